"""Registering a harvest source: :func:`register`, the one way every
path takes (``ckan hokkaido probe``, a file of URLs, ``discover --register``,
a steward accepting a proposal, the known portals), and the one rule for
"already registered" (:func:`registered_at`).

A source is never registered twice: the same URL (:func:`same_url`: the
same scheme, host, path and query, whatever the case of the host or a final
slash) read for the same municipality — or by a source that reads the whole
portal for every municipality — is reported with the source that has it.
A shared portal (BODIK) may hold one source per municipality: the same URL
with another ``municipality_code`` is another source.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Optional
from urllib.parse import urlsplit

from ckan import model
from ckan.plugins import toolkit
from ckanext.harvest.model import HarvestSource

from harvesters.client import Limits
from harvesters.errors import BadResponse, LimitExceeded
from harvesters.probe import KIND_LABELS
from harvesters.tables import read_table

from ckanext.hokkaido import registry
from ckanext.hokkaido.harvest import tokens

__all__ = ["FileRow", "RegistrationRefused", "read_file", "read_rows", "register", "registered_at",
           "same_url"]

#: a file of URLs to onboard: small, and read with the table reader's bounds
FILE_LIMITS = Limits(max_table_rows=5000)


class RegistrationRefused(Exception):
    """The source could not be registered; the message says why, in both languages."""


@dataclass(frozen=True)
class FileRow:
    """One row of a file of URLs to onboard.

    :ivar problem: why the row cannot be probed (bilingual), or ``None``.
    """

    line: int
    code: str
    url: str
    problem: Optional[str] = None


def read_rows(data: bytes, where: str) -> list[FileRow]:
    """The rows of a CSV/TSV/XLSX file of (municipality code, URL), in any
    encoding the table reader knows; a first row that is not a code is a
    header. Blank rows are skipped; every other row is returned, those that
    cannot be probed with their ``problem``.

    :raises BadResponse, LimitExceeded: a file that is not a table (HTML, .xls)
        or over the bounds.
    """
    table = read_table(data, where=where, limits=FILE_LIMITS)
    unreadable = {p.line: p for p in table.problems if p.skipped}
    rows: list[FileRow] = []
    for number, row in enumerate(table.rows):
        if row.cells is None:
            problem = unreadable.get(row.line)
            reason = f"{problem.message_ja} / {problem.reason}" if problem else "読めない行 / unreadable row"
            rows.append(FileRow(row.line, "", "", reason))
            continue
        cells = [str(c).strip() if c is not None else "" for c in row.cells]
        if not any(cells):
            continue
        code, url = (cells + ["", ""])[:2]
        if number == 0 and not code.isdigit():
            continue  # a header: 市町村コード,URL
        if len(cells) > 2 and any(cells[2:]):
            rows.append(FileRow(row.line, code, url,
                                "列が多すぎます（市町村コード,URL の2列） / too many columns (code, URL)"))
        elif registry.name_of(code) is None:
            rows.append(FileRow(row.line, code, url,
                                f"{code or '（空）'} は北海道の市町村コードではありません / "
                                f"{code or '(empty)'} is not a Hokkaido municipality code"))
        elif urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).netloc:
            rows.append(FileRow(row.line, code, url,
                                f"URLは http(s):// で始まる必要があります / not an http(s) URL: {url or '(empty)'}"))
        else:
            rows.append(FileRow(row.line, code, url))
    return rows


def same_url(url: str) -> str:
    """``url`` as compared with registered sources: lower-case scheme and
    host, no final slash, no fragment."""
    parts = urlsplit(url.strip())
    path = parts.path.rstrip("/")
    query = f"?{parts.query}" if parts.query else ""
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}{path}{query}"


def _municipality_of(config_text: Optional[str]) -> Optional[str]:
    try:
        config = json.loads(config_text) if config_text else {}
    except ValueError:
        return None
    code = config.get("municipality_code") if isinstance(config, dict) else None
    return code if isinstance(code, str) and code else None


def registered_at(url: str, code: Optional[str] = None) -> Optional[str]:
    """The name of the active harvest source that reads ``url`` (as
    :func:`same_url` compares them) for municipality ``code`` or for every
    municipality (any source of ``url`` when ``code`` is ``None``); ``None``
    when there is none."""
    wanted = same_url(url)
    rows = (model.Session.query(HarvestSource.url, HarvestSource.config, model.Package.name)
            .join(model.Package, model.Package.id == HarvestSource.id)
            .filter(model.Package.state == "active"))
    for source_url, config, name in rows:
        if same_url(source_url) != wanted:
            continue
        theirs = _municipality_of(config)
        if code is None or theirs is None or theirs == code:
            return name
    return None


def _free_name(base: str) -> str:
    name, n = base, 1
    while model.Package.get(name) is not None:
        n += 1
        name = f"{base}-{n}"
    return name


def register(kind: str, url: str, config: dict[str, Any], code: Optional[str], user: str,
             api_key: Optional[str] = None, *, name: Optional[str] = None, title: Optional[str] = None) -> str:
    """Create a harvest source of ``kind`` (an adapter kind, as a probe or
    discovery names it) for ``url`` with ``config``, in the municipality's
    organization (the prefecture's, 010006, for a shared portal); its name
    (``name``, else ``<code>-<kind>`` made free), titled ``title`` (else the
    municipality and the kind).

    :raises RegistrationRefused: the URL is registered already for this
        municipality (:func:`registered_at`), or CKAN refused the source
        (its errors, tokens redacted).
    """
    already = registered_at(url, config.get("municipality_code") or code)
    if already:
        raise RegistrationRefused(f"登録済みです（収集元 {already}） / already registered as source {already}")
    owner = code or registry.PREFECTURE_CODE
    name = name or _free_name(f"{owner}-{kind.replace('_', '-')}")
    config = dict(config, **({tokens.KEY: api_key} if api_key else {}))
    try:
        toolkit.get_action("harvest_source_create")({"user": user}, {
            "name": name, "title": title or f"{registry.name_of(owner)} {KIND_LABELS[kind]}",
            "url": url, "source_type": f"hokkaido_{kind}",
            "frequency": "DAILY", "owner_org": owner,
            "config": json.dumps(config, ensure_ascii=False)})
    except toolkit.ValidationError as e:
        raise RegistrationRefused(tokens.redact(f"登録できません / cannot register: {e.error_dict}")) from None
    return name


def read_file(path: str) -> list[FileRow]:
    """:func:`read_rows` of the file at ``path``.

    :raises RegistrationRefused: the file cannot be read as a table (naming it).
    """
    try:
        with open(path, "rb") as f:
            data = f.read(FILE_LIMITS.max_table_rows * 2048 + 1)
    except OSError as exc:
        raise RegistrationRefused(f"{path}: 読めません / cannot read: {exc.strerror}") from None
    if len(data) > FILE_LIMITS.max_table_rows * 2048:
        raise RegistrationRefused(f"{path}: 大きすぎます / too large for a list of URLs")
    try:
        return read_rows(data, path)
    except (BadResponse, LimitExceeded) as exc:
        raise RegistrationRefused(str(exc)) from None
