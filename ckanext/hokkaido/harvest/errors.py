"""Harvest errors in two parts: a public message and the detail.

ckanext-harvest's error tables (``harvest_gather_error``,
``harvest_object_error``) are read by its public pages and actions
(``/harvest/<source>/job/<id>``, ``harvest_job_report``, the source page),
by our tracker and by the municipality pages, for anyone. So they hold only
a **public message**: our own words, the host and the HTTP status
(:attr:`harvesters.errors.HarvestError.public_message`). Never a byte a remote
server chose, never a URL's path, query string or credentials.

What the server said (an error body, a parser's complaint quoting it, an
exception's text) is the **detail**, kept in ``hokkaido_harvest_error_detail``
under the error's id and read only by sysadmins and members of the source's
organization (:func:`may_read_detail`): ``hokkaido_harvest_report`` and the
municipality page add it for them. Both parts pass through
:func:`ckanext.hokkaido.harvest.tokens.redact`.

A gather error is a **read failure** when the source could not be read at
all (nothing came: unreachable, refused, not a portal, a bad config, a type
that may not run). Everything else that goes wrong after a good read (a
partial listing, withdrawals skipped, the time limit after a partial
import, a search-index error, an interrupted run) is a problem to show, not
a failure to publish: the tracker's rules read the flag
(:func:`ckanext.hokkaido.tracker.harvest_sources`).
"""
from __future__ import annotations

import logging
from typing import Any, Iterable, Optional

import sqlalchemy as sa

from ckan import authz, model

from ckanext.harvest.model import HarvestGatherError, HarvestJob, HarvestObject, HarvestObjectError

from harvesters.errors import HarvestError, HttpStatusError

from ckanext.hokkaido.harvest import tokens

__all__ = ["RecordError", "UNEXPECTED", "describe", "gather_error", "object_error", "details",
           "may_read_detail", "is_member", "prune"]

log = logging.getLogger(__name__)


class RecordError(Exception):
    """A record cannot be imported; ``str()`` is ``"<日本語> (<English>)"``,
    public (our words); ``detail`` may quote the record."""

    def __init__(self, message_ja: str, message_en: str, detail: Optional[str] = None) -> None:
        super().__init__(f"{message_ja} ({message_en})")
        self.detail = detail


#: The public message of an exception that is not a :class:`HarvestError`.
UNEXPECTED = "予期しないエラーが発生しました / an unexpected error occurred"

#: Longest detail kept (an error body's excerpt is at most 4 KiB already).
MAX_DETAIL = 8000

_TABLE = "hokkaido_harvest_error_detail"


def describe(exc: BaseException) -> tuple[str, str]:
    """``(public message, detail)`` of an exception."""
    if isinstance(exc, HarvestError):
        detail = str(exc)
        if isinstance(exc, HttpStatusError) and exc.body_excerpt:
            detail += f"\n--- response body (excerpt) ---\n{exc.body_excerpt}"
        return exc.public_message, detail
    return UNEXPECTED, repr(exc)


def _store_detail(error_id: str, detail: Optional[str], read_failure: bool = False) -> None:
    if not detail and not read_failure:
        return
    model.Session.execute(
        sa.text(f"INSERT INTO {_TABLE} (error_id, detail, read_failure) VALUES (:id, :detail, :failure)"),
        {"id": error_id, "detail": tokens.redact(detail)[:MAX_DETAIL] if detail else None,
         "failure": read_failure})


def _record(error: Any, where: str, detail: Optional[str], read_failure: bool = False) -> None:
    """Log, store and commit ``error`` (its message redacted) with its detail."""
    error.message = tokens.redact(error.message)
    log.warning("%s: %s%s", where, error.message, f" [{tokens.redact(detail)}]" if detail else "")
    model.Session.add(error)
    model.Session.flush()
    _store_detail(error.id, detail, read_failure)
    model.Session.commit()


def gather_error(job: HarvestJob, public: str, detail: Optional[str] = None, *,
                 read_failure: bool = False) -> None:
    """Record (and commit) a gather error of ``job``; ``read_failure`` when
    the source could not be read at all."""
    _record(HarvestGatherError(message=public, job=job), f"harvest job {job.id}", detail, read_failure)


def object_error(harvest_object: HarvestObject, public: str, stage: str,
                 detail: Optional[str] = None) -> None:
    """Record (and commit) an error of one harvest object, at ``stage``."""
    _record(HarvestObjectError(message=public, object=harvest_object, stage=stage),
            f"harvest object {harvest_object.id} ({harvest_object.guid})", detail)


def details(error_ids: Iterable[str]) -> dict[str, str]:
    """error id → its detail, for the ids that have one."""
    ids = [i for i in error_ids if i]
    if not ids:
        return {}
    stmt = sa.text(f"SELECT error_id, detail FROM {_TABLE} WHERE error_id IN :ids AND detail IS NOT NULL") \
        .bindparams(sa.bindparam("ids", expanding=True))
    return dict(model.Session.execute(stmt, {"ids": ids}).fetchall())


def may_read_detail(context: dict[str, Any], source_id: str) -> bool:
    """Sysadmins and members (any role) of the source's organization may;
    nobody else, not even an internal read with ``ignore_auth`` and no user
    (the search index, the activity stream), whose result others read."""
    package = model.Package.get(source_id)
    return is_member(context, package.owner_org if package is not None else None)


def is_member(context: dict[str, Any], organization_id: Optional[str]) -> bool:
    """Whether the context's user is a sysadmin or a member (any role) of
    the organization."""
    user = context.get("user")
    if not user:
        return False
    if authz.is_sysadmin(user):
        return True
    return bool(organization_id) and authz.users_role_for_group_or_org(organization_id, user) is not None


def prune() -> int:
    """Forget the details of errors that are gone (a source cleared, a job's
    history removed); returns how many."""
    result = model.Session.execute(sa.text(f"""
        DELETE FROM {_TABLE} d
         WHERE NOT EXISTS (SELECT 1 FROM harvest_gather_error g WHERE g.id = d.error_id)
           AND NOT EXISTS (SELECT 1 FROM harvest_object_error o WHERE o.id = d.error_id)"""))
    model.Session.commit()
    return result.rowcount or 0
