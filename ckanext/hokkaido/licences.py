"""The portal's licences, and what a harvested licence means in their terms.

The list ships as ``data/licenses.json`` in CKAN's licence format (point
``licenses_group_url`` at :data:`LICENCES_FILE`). Portals describe their
licences in many ways — a CKAN or SPDX id, the URL of the licence deed, or a
name written by hand, in Japanese or English, with full-width brackets and
every kind of dash — and :func:`resolve` maps each of them to one of our ids.

Pure Python: the adapters and the tests use it without CKAN.
"""
from __future__ import annotations

import functools
import json
import os
import re
import unicodedata
from urllib.parse import urlsplit

__all__ = ["LICENCES_FILE", "known_ids", "resolve"]

LICENCES_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                             "data", "licenses.json")

#: ids of CKAN's default licences and of SPDX (case-folded) that are not
#: ours, with the licence of our list they mean. A CC id without a version
#: means the current one, 4.0.
_FOREIGN_IDS = {
    # CKAN
    "cc-by": "cc-by-4.0",
    "cc-by-sa": "cc-by-sa-4.0",
    "cc-zero": "cc-zero-1.0",
    "cc-nc": "cc-by-nc-4.0",
    "odc-pddl": "other-pd",
    "uk-ogl": "other-at",
    "gfdl": "other-open",
    # SPDX (CC-BY-4.0, CC-BY-SA-4.0, CC-BY-NC-4.0 and CC-BY-ND-4.0 are ours)
    "cc0-1.0": "cc-zero-1.0",
    "odc-by-1.0": "odc-by",
    "odbl-1.0": "odc-odbl",
    "pddl-1.0": "other-pd",
}

#: CKAN gives its default licences the URL ``opendefinition.org/licenses/<id>``
_OPENDEFINITION = "opendefinition.org/licenses/"


# -- the list ------------------------------------------------------------


@functools.cache
def _licences() -> tuple[dict, ...]:
    with open(LICENCES_FILE, encoding="utf-8") as f:
        return tuple(json.load(f))


@functools.cache
def known_ids() -> frozenset[str]:
    """The ids of the portal's licences (``data/licenses.json``)."""
    return frozenset(licence["id"] for licence in _licences())


@functools.cache
def _by_url() -> dict[str, str]:
    """Our licences by the normalised URLs that name them: each licence's
    own URL, and CKAN's opendefinition.org URL of the CKAN ids we map."""
    urls = {_url_key(licence["url"]): licence["id"]
            for licence in _licences() if licence["url"]}
    for ckan_id in ("cc-by", "cc-by-sa", "cc-zero", "odc-by", "odc-odbl",
                    "odc-pddl", "gfdl"):
        urls[_OPENDEFINITION + ckan_id] = _FOREIGN_IDS.get(ckan_id, ckan_id)
    return urls


@functools.cache
def _by_title() -> dict[str, str]:
    """Our licences by their titles, compacted (see :func:`_compact`)."""
    return {_compact(_normalise(licence["title"])): licence["id"]
            for licence in _licences()}


# -- resolving -------------------------------------------------------------


def resolve(license_id: str | None,
            license_title: str | None = None) -> str | None:
    """The id of our licence that a harvested licence means, or ``None``.

    The licence may come as an id, a URL or a name, in either argument;
    ``license_id`` is tried first, then ``license_title``. Each is normalised
    (NFKC, case-folded, trimmed) and read, in this order, as

    * an id: one of ours, or one of CKAN's or SPDX's (``cc-by``,
      ``CC-BY-4.0``, ``cc-zero``, ``CC0-1.0``, ``odc-pddl``, ``uk-ogl``...);
    * a URL (``http(s)://``, ``www.`` or ``host.tld/path``): the URL of one
      of our licences, with or without ``www.``, a trailing slash, a
      ``deed.xx`` or ``legalcode`` page, a query or a fragment; or CKAN's
      ``opendefinition.org/licenses/<ckan id>``. Any other URL is unknown;
    * one of our titles;
    * a name, read word by word (see :func:`_read_name`).

    ``None`` when nothing was given as well as when the licence is not
    recognised (the caller tells the two apart: it has the arguments).
    """
    for value in (license_id, license_title):
        found = _resolve_one(value)
        if found:
            return found
    return None


def _resolve_one(value: str | None) -> str | None:
    text = _normalise(value or "")
    if not text:
        return None
    if text in known_ids():
        return text
    if text in _FOREIGN_IDS:
        return _FOREIGN_IDS[text]
    if _URL.match(text):
        return _by_url().get(_url_key(text))
    compact = _compact(text)
    return _by_title().get(compact) or _read_name(compact)


def _normalise(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold().strip()


# -- URLs ----------------------------------------------------------------

_URL = re.compile(r"(?:[a-z][a-z0-9+.-]*://|www\.|(?:[a-z0-9-]+\.)+[a-z]{2,}/)")

#: the last part of a licence's URL that only chooses a page of the licence
_PAGE = re.compile(r"/(?:deed(?:\.[a-z-]+)?|legalcode(?:\.[a-z-]+)?)$")


def _url_key(url: str) -> str:
    """``host/path`` of a URL, without scheme, ``www.``, query, fragment,
    trailing slash or the page (``deed.ja``, ``legalcode``) of a licence."""
    url = _normalise(url)
    parts = urlsplit(url if "://" in url else "//" + url)
    host = parts.hostname or ""
    host = host.removeprefix("www.")
    path = _PAGE.sub("", parts.path.rstrip("/")).rstrip("/")
    return host + path


# -- names ---------------------------------------------------------------

#: the words of licence names, each with its token ("" for words that say
#: nothing about which licence it is). Names are compacted first (spaces and
#: punctuation removed), so "Creative Commons" is "creativecommons".
_WORDS = {
    "cc": ("cc", "creativecommons", "クリエイティブコモンズ"),
    "by": ("by", "attribution", "表示"),
    "sa": ("sa", "sharealike", "継承"),
    "nc": ("nc", "noncommercial", "非営利"),
    "nd": ("nd", "noderivatives", "noderivs", "改変禁止"),
    "jp": ("jp", "japan", "日本"),
    "zero": ("cc0", "cczero", "ccゼロ", "zero", "ゼロ"),
    "pd": ("publicdomain", "publicdomaindedication", "パブリックドメイン",
           "パブリックドメイン提供"),
    "pdl": ("pdl", "publicdatalicense", "公共データ利用規約"),
    "gov-std": ("政府標準利用規約", "governmentstandardtermsofuse"),
    "": ("license", "licence", "ライセンス", "international", "国際",
         "universal", "全世界", "version", "ver", "v", "第", "版",
         "ー"),  # a prolonged sound mark written for a dash
}
_TOKEN_OF = {word: token for token, words in _WORDS.items() for word in words}
_WORD = re.compile(r"\d+(?:\.\d+)*|"
                   + "|".join(map(re.escape, sorted(_TOKEN_OF, key=len, reverse=True))))

_CC_MODIFIERS = {"sa", "nc", "nd"}
_CC_WORDS = {"cc", "by", "jp"} | _CC_MODIFIERS


def _compact(text: str) -> str:
    """Text without spaces, punctuation (brackets, dashes of any kind, ・)
    and symbols, except a dot inside a number (``4.0``)."""
    text = re.sub(r"(?<=\d)\.(?=\d)", "\0", text)
    kept = (ch for ch in text
            if ch == "\0" or unicodedata.category(ch)[0] not in "PZSC")
    return "".join(kept).replace("\0", ".")


def _tokens(name: str) -> list[str | None]:
    """The tokens of a compacted name, or ``None`` if a part of it is not a
    known word or a number. Numbers become versions: ``4`` → ``4.0``."""
    tokens, pos = [], 0
    while pos < len(name):
        match = _WORD.match(name, pos)
        if not match:
            return None
        word = match.group()
        if word[0].isdigit():
            tokens.append(word if "." in word else word + ".0")
        elif _TOKEN_OF[word]:
            tokens.append(_TOKEN_OF[word])
        pos = match.end()
    return tokens


def _read_name(name: str) -> str | None:
    """Our licence that a compacted name means, read as tokens.

    Every part of the name must be a known word or a version:
    クリエイティブ・コモンズ / creative commons → cc; 表示 / attribution / by
    → by; 継承 / sharealike → sa; 非営利 / noncommercial → nc; 改変禁止 /
    noderivatives → nd; 日本 / japan → jp; CC0 / CCゼロ → zero; パブリック
    ドメイン → pd; 公共データ利用規約 / PDL → pdl; 政府標準利用規約 →
    gov-std; ライセンス, 国際, version and the like say nothing.

    A name often says its licence twice ("表示 4.0 国際（CC BY 4.0）"): it
    is cut where a word comes again, and every mention must mean the same
    licence (see :func:`_read_mention`); "CC BY 4.0 / CC BY-SA 4.0" means
    none.
    """
    tokens = _tokens(name)
    if not tokens:
        return None
    meant = {_read_mention(mention) for mention in _mentions(tokens)}
    return meant.pop() if len(meant) == 1 else None


def _mentions(tokens: list[str]) -> list[list[str]]:
    """The tokens cut before each word that the current mention has."""
    mentions: list[list[str]] = [[]]
    for token in tokens:
        if not token[0].isdigit() and token in mentions[-1]:
            mentions.append([])
        mentions[-1].append(token)
    return mentions


def _read_mention(tokens: list[str]) -> str | None:
    """Our licence that one mention of a licence means:

    * pdl (version 1.0 or none) → ``pdl-1.0``; gov-std (2.0 or none) →
      ``gov-std-2.0``; zero (1.0 or none) → ``cc-zero-1.0``; pd alone →
      ``other-pd``;
    * by, with cc or one modifier (sa, nc or nd), version 4.0 or none (a
      name without a version means the current one) → ``cc-by-4.0``,
      ``cc-by-sa-4.0``, ``cc-by-nc-4.0`` or ``cc-by-nd-4.0``; by with jp and
      version 2.1 → ``cc-by-2.1-jp``;
    * anything else (another CC version, "BY" or 表示 alone, two modifiers,
      two versions) → ``None``.
    """
    versions = {token for token in tokens if token[0].isdigit()}
    words = set(tokens) - versions
    if len(versions) > 1:
        return None
    version = next(iter(versions), None)

    if words == {"pdl"}:
        return "pdl-1.0" if version in (None, "1.0") else None
    if words == {"gov-std"}:
        return "gov-std-2.0" if version in (None, "2.0") else None
    if "zero" in words and words <= {"cc", "zero", "pd"}:
        return "cc-zero-1.0" if version in (None, "1.0") else None
    if words == {"pd"}:
        return "other-pd" if version is None else None
    if "by" not in words or not words <= _CC_WORDS:
        return None
    modifiers = words & _CC_MODIFIERS
    if len(modifiers) > 1 or not ("cc" in words or modifiers):
        return None
    if "jp" in words:
        return "cc-by-2.1-jp" if version == "2.1" and not modifiers else None
    if version not in (None, "4.0"):
        return None
    return "-".join(["cc", "by", *sorted(modifiers), "4.0"])
