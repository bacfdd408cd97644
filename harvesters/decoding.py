"""Text decoding that understands Japanese portals.

:func:`decode_text` picks the encoding of a body from its BOM, the declared
charset (Japanese labels as seen in the wild, :func:`normalize_charset`) and
strict trial decodes scored for Japanese text, in that order; the inventory
import and every adapter decode with it.

This module must never import ``ckan`` or ``ckanext``.
"""
from __future__ import annotations

import codecs
import dataclasses
import re

__all__ = [
    "DecodedText",
    "decode_text",
    "normalize_charset",
]


@dataclasses.dataclass(frozen=True)
class DecodedText:
    """A decoded body and how its encoding was chosen.

    :ivar encoding: the Python codec used (``"utf-8"``, ``"utf-8-sig"``,
        ``"cp932"``, ``"euc_jp"``, ...).
    :ivar source: where the encoding came from: ``"http"`` (Content-Type
        charset), ``"bom"``, ``"html-meta"``, ``"xml-declaration"``,
        ``"detected"`` (strict decoding, see :func:`decode_text`) or
        ``"fallback"`` (nothing decoded cleanly; invalid bytes were replaced).
    """

    text: str
    encoding: str
    source: str


# Japanese charset labels seen in the wild, mapped to the Python codec that
# reads them best. Shift_JIS as served by Japanese sites is nearly always the
# Windows variant (NEC/IBM extensions such as ① or ㈱), hence cp932.
_CHARSET_ALIASES = {
    "shift_jis": "cp932",
    "shift-jis": "cp932",
    "sjis": "cp932",
    "x-sjis": "cp932",
    "s-jis": "cp932",
    "ms_kanji": "cp932",
    "csshiftjis": "cp932",
    "windows-31j": "cp932",
    "cswindows31j": "cp932",
    "ms932": "cp932",
    "x-euc-jp": "euc_jp",
    "eucjp": "euc_jp",
    "cseucpkdfmtjapanese": "euc_jp",
    "utf8": "utf-8",
}

_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)

_HTTP_CHARSET = re.compile(r"""charset\s*=\s*["']?([^"';\s]+)""", re.IGNORECASE)
_XML_DECLARATION = re.compile(rb"""^\s*<\?xml\s[^>]*?encoding\s*=\s*["']([A-Za-z0-9._:-]+)["']""", re.IGNORECASE)
_META_CHARSET = re.compile(rb"""<meta\s[^>]*?charset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)""", re.IGNORECASE)
_SNIFF_BYTES = 4096


def normalize_charset(label: str | None) -> str | None:
    """Map a charset label to a Python codec name, or ``None`` if unknown.

    ``"Shift_JIS"`` and its aliases map to ``"cp932"``; ``"EUC-JP"`` to
    ``"euc_jp"``.
    """
    if not label:
        return None
    key = label.strip().strip("\"'").lower()
    key = _CHARSET_ALIASES.get(key, key)
    try:
        return codecs.lookup(key).name
    except LookupError:
        return None


#: what Python's cp932 makes of the single bytes 0xFD-0xFF, which no
#: Shift_JIS text contains (they are unassigned there)
_CP932_UNASSIGNED = re.compile("[\uf8f0-\uf8f3]")


def _strict(data: bytes, encoding: str) -> str | None:
    """The text if ``data`` decodes cleanly as ``encoding``: every byte
    valid, no NUL character (text has none: binary data does) and, for
    cp932, none of the bytes Shift_JIS leaves unassigned."""
    try:
        text = data.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return None
    if "\x00" in text or (encoding == "cp932" and _CP932_UNASSIGNED.search(text)):
        return None
    if encoding in ("utf-8", "utf-8-sig") and text.startswith("\ufeff"):
        text = text[1:]
    return text


#: CJK punctuation, hiragana, katakana; CJK unified ideographs; full-width ASCII variants
_JAPANESE_CHARS = re.compile("[\u3000-\u30ff\u4e00-\u9fff\uff01-\uff5e]")
_NON_ASCII = re.compile("[^\x00-\x7f]")


def _japanese_score(text: str) -> int:
    """A simple plausibility score for Japanese text.

    Counts non-ASCII characters that are common in Japanese writing (kana,
    CJK ideographs, CJK punctuation, full-width forms) against all other
    non-ASCII characters. EUC-JP read as cp932 turns into a run of half-width
    katakana, which scores badly. (Counted by regular expressions: a 10 MB
    file is scored in a fraction of a second.)
    """
    japanese = len(_JAPANESE_CHARS.findall(text))
    return japanese - (len(_NON_ASCII.findall(text)) - japanese)


def decode_text(data: bytes, content_type: str | None = None) -> DecodedText:
    """Decode a body, choosing the encoding the way a careful browser would.

    The order is:

    1. the ``charset`` of the ``Content-Type`` header;
    2. a byte order mark (UTF-8, UTF-16, UTF-32);
    3. an HTML ``<meta charset>`` / ``http-equiv`` tag or an XML declaration
       in the first 4 KB;
    4. detection among UTF-8, cp932 (Shift_JIS) and EUC-JP: UTF-8 if the body
       decodes strictly as UTF-8 (pure ASCII included); otherwise whichever of
       cp932 and EUC-JP decodes strictly, and if both do, the one whose text
       looks more like Japanese (:func:`_japanese_score`; ties go to cp932).

    A declared encoding (steps 1 and 3) is only used if the body decodes
    strictly with it; a declaration that the bytes contradict is skipped.
    If nothing decodes cleanly the candidate with the fewest invalid bytes is
    used with replacement characters, and ``source`` says ``"fallback"``.
    A leading UTF-8 BOM never appears in the text.
    """
    if content_type:
        match = _HTTP_CHARSET.search(content_type)
        encoding = normalize_charset(match.group(1)) if match else None
        if encoding:
            text = _strict(data, encoding)
            if text is not None:
                return DecodedText(text, encoding, "http")

    for bom, encoding in _BOMS:
        if data.startswith(bom):
            text = _strict(data, encoding)
            if text is not None:
                return DecodedText(text, encoding, "bom")

    head = data[:_SNIFF_BYTES]
    for pattern, source in ((_XML_DECLARATION, "xml-declaration"), (_META_CHARSET, "html-meta")):
        declared = pattern.search(head)
        encoding = normalize_charset(declared.group(1).decode("ascii")) if declared else None
        # A UTF-16/32 label found by an ASCII pattern cannot be true.
        if encoding and not encoding.startswith(("utf-16", "utf-32")):
            text = _strict(data, encoding)
            if text is not None:
                return DecodedText(text, encoding, source)

    text = _strict(data, "utf-8")
    if text is not None:
        return DecodedText(text, "utf-8", "detected")
    candidates = [(enc, t) for enc in ("cp932", "euc_jp") if (t := _strict(data, enc)) is not None]
    if len(candidates) == 1:
        return DecodedText(candidates[0][1], candidates[0][0], "detected")
    if candidates:
        encoding, text = max(candidates, key=lambda c: _japanese_score(c[1]))  # max keeps the first on ties
        return DecodedText(text, encoding, "detected")

    best = min(
        ((enc, data.decode(enc, errors="replace")) for enc in ("utf-8", "cp932", "euc_jp")),
        key=lambda c: c[1].count("\ufffd"),
    )
    return DecodedText(best[1].lstrip("\ufeff"), best[0], "fallback")
