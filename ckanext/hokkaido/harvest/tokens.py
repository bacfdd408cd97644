"""API tokens of harvest sources: used for the harvest, never shown.

A source whose portal needs a token carries it in its JSON config as
``"api_key"`` (the key ckanext-harvest's own CKAN harvester uses). The
harvest sends it as the ``Authorization`` header to the source URL's own
origin only (:class:`harvesters.client.HttpClient`).

The token is **write-only**. Nobody reads it back, not even a sysadmin or
the source's editors: wherever a source's config leaves the database
(``package_show``, ``harvest_source_show``, ``harvest_source_list``, the
edit form, the activity stream, the search index) its value is
:data:`MASK`. To change it, write the new token; to remove it, delete the
key. A config saved with the mask keeps the stored token
(:func:`restore_config`), so editing a source's other settings through the
form or ``harvest_source_patch`` neither wipes nor exposes it, unless the
source URL moves to another origin: then the token must be entered again,
so that an editor cannot redirect a token they cannot read to a host of
their choosing.

Tokens also never reach a log line, a harvest error or a report:
:func:`redact` replaces every token this process has seen
(:func:`remember`) and any ``"api_key": "…"`` value, and
:func:`install_log_redaction` applies it to every log record as it is made
(message and traceback), whichever library logs it: ckanext-harvest logs
whole data dicts when sources are created or updated.
"""
from __future__ import annotations

import json
import logging
import re
import threading
from typing import Any, Optional
from urllib.parse import urlsplit

__all__ = ["KEY", "MASK", "TokenMustBeEntered", "check_token", "remember", "redact", "api_key_of",
           "mask_config", "restore_config", "same_origin", "install_log_redaction"]

#: The source config key holding the token.
KEY = "api_key"
#: What is shown instead of a token.
MASK = "********"

# printable ASCII, no leading or trailing space: what an HTTP header can carry
_TOKEN = re.compile(r"^[!-~](?:[ -~]*[!-~])?$")
MIN_LENGTH, MAX_LENGTH = 8, 4096

# "api_key": "value" as JSON, as JSON inside JSON (\"…\") and as a Python repr
_KEY_VALUE = re.compile(r"""(api_key\\*["']\s*:\s*\\*["'])([^"'\\]+)""")

_known: set[str] = set()
_lock = threading.Lock()


def check_token(value: Any) -> Optional[str]:
    """Why ``value`` cannot be a token (bilingual), or ``None`` if it can."""
    if not isinstance(value, str) or not _TOKEN.match(value) or not MIN_LENGTH <= len(value) <= MAX_LENGTH:
        return (f"{KEY} は {MIN_LENGTH}〜{MAX_LENGTH} 文字の印字可能なASCII文字列で指定してください "
                f"({KEY} must be a string of {MIN_LENGTH} to {MAX_LENGTH} printable ASCII characters)")
    if value == MASK:
        return (f"{KEY} にはトークンそのものを入力してください（{MASK} は保存済みのトークンを表す表示です） "
                f"({KEY}: enter the token itself; {MASK} only stands for a stored token)")
    return None


def remember(token: Optional[str]) -> None:
    """Redact ``token`` from everything this process logs or reports from now on."""
    if token and len(token) >= MIN_LENGTH and token != MASK:
        with _lock:
            _known.add(token)


def redact(text: Any) -> Any:
    """``text`` with every remembered token and every ``api_key`` value
    replaced by :data:`MASK`; anything that is not a string is returned as is."""
    if not isinstance(text, str) or not text:
        return text
    for token in tuple(_known):
        if token in text:
            text = text.replace(token, MASK)
    if KEY in text:
        text = _KEY_VALUE.sub(lambda m: m.group(1) + MASK, text)
    return text


def _load(config: Optional[str]) -> Optional[dict[str, Any]]:
    try:
        loaded = json.loads(config) if config and config.strip() else {}
    except (ValueError, RecursionError):  # not JSON, or nested too deeply to read
        return None
    return loaded if isinstance(loaded, dict) else None


def api_key_of(config: Optional[str]) -> Optional[str]:
    """The token in a source's JSON config, if any."""
    loaded = _load(config)
    value = loaded.get(KEY) if loaded else None
    return value if isinstance(value, str) and value else None


def mask_config(config: Any) -> Any:
    """A source's config (JSON string) as it may be shown: the token as
    :data:`MASK`. A config that is not a JSON object is redacted as text."""
    if not isinstance(config, str):
        return config
    loaded = _load(config)
    if loaded is None:
        return redact(config)
    if KEY not in loaded:
        return config
    remember(loaded[KEY] if isinstance(loaded[KEY], str) else None)
    loaded[KEY] = MASK
    return json.dumps(loaded, ensure_ascii=False, indent=2)


def same_origin(a: Optional[str], b: Optional[str]) -> bool:
    """Whether two URLs have the same scheme, host and port."""
    def origin(url: Optional[str]) -> tuple:
        parts = urlsplit((url or "").strip())
        try:
            port = parts.port
        except ValueError:
            port = None
        scheme = parts.scheme.lower()
        return scheme, (parts.hostname or "").lower(), port or {"http": 80, "https": 443}.get(scheme)
    return origin(a) == origin(b)


class TokenMustBeEntered(ValueError):
    """The config keeps the stored token (:data:`MASK`) but cannot."""


def restore_config(config: Any, stored_config: Optional[str], *, url: Optional[str] = None,
                   stored_url: Optional[str] = None) -> Any:
    """The config to save when ``config`` (from a form or an API call) may
    carry :data:`MASK` for the token saved in ``stored_config``.

    :raises TokenMustBeEntered: when the mask stands for a token but the
        source URL moves to another origin (``url`` vs ``stored_url``), or
        when there is no stored token the mask could stand for.
    """
    if not isinstance(config, str):
        return config
    loaded = _load(config)
    if not loaded or loaded.get(KEY) != MASK:
        if loaded:
            remember(loaded.get(KEY) if isinstance(loaded.get(KEY), str) else None)
        return config
    stored = api_key_of(stored_config)
    if stored is None:
        raise TokenMustBeEntered(
            f"{KEY}: 保存済みのトークンがありません。トークンそのものを入力してください "
            f"({KEY}: no token is stored for {MASK} to stand for; enter the token itself)")
    if url is not None and stored_url is not None and not same_origin(url, stored_url):
        raise TokenMustBeEntered(
            f"{KEY}: 収集元URLのホストが変わったため、トークンをもう一度入力してください "
            f"({KEY}: the source URL moved to another host; enter the token again, or remove {KEY})")
    loaded[KEY] = stored
    return json.dumps(loaded, ensure_ascii=False, indent=2)


# -- logging ------------------------------------------------------------------

_installed: dict[str, bool] = {}


def _redact_record(record: logging.LogRecord) -> None:
    try:
        message = record.getMessage()
    except Exception:  # a malformed record is the logging module's to report
        return
    clean = redact(message)
    if clean != message:
        record.msg, record.args = clean, ()
    if record.exc_info and record.exc_info[0] is not None and not record.exc_text:
        text = logging.Formatter().formatException(record.exc_info)
        clean = redact(text)
        if clean != text:
            record.exc_text = clean


def install_log_redaction() -> None:
    """Redact tokens from every log record made in this process (idempotent)."""
    with _lock:
        if _installed.get("yes"):
            return
        previous = logging.getLogRecordFactory()

        def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
            record = previous(*args, **kwargs)
            _redact_record(record)
            return record

        logging.setLogRecordFactory(factory)
        _installed["yes"] = True
