"""The shared base of the portal's harvesters (ckanext-harvest plugins).

A harvester of one source kind is a subclass that names the kind of
:mod:`harvesters` adapter it wraps (``kind = "ckan"``) and, if it has any,
checks its own configuration keys (:meth:`HokkaidoHarvesterBase.check_adapter_config`).
Everything else is decided here, once for every kind:

Stages
    ``gather_stage`` reads the source through the adapter (all the HTTP
    work happens here, with the SSRF guard, timeouts, retries and size cap
    of :class:`harvesters.client.HttpClient`) and stores each normalised
    record as the content of a harvest object, with its sha256
    (:meth:`harvesters.records.Record.content_hash`) in the object's extras.
    ``fetch_stage`` skips records whose hash equals the one last imported
    (report status "not modified": no ``package_update``, no reindex).
    ``import_stage`` creates, updates or withdraws the CKAN dataset.

Identity
    A dataset is named ``<municipality code>-<12 hex digits>``, the digits
    being the start of sha256(``<portal host and path>\\n<source identifier>``):
    short, within CKAN's name rules whatever the identifier looks like, and
    the same for every source that carries the same remote dataset. Once a
    dataset exists, later runs find it through the source's harvest objects
    (guid = source identifier), so its name never changes.

Duplicates
    The source that first harvested a remote dataset keeps it. Another
    source that meets the same dataset (same derived name, i.e. the same
    portal and identifier, or the same ``source_url``) records the error
    "duplicate of <name>, kept by source <title>" for that record and skips
    it. Once the first source withdraws the dataset, the next source that
    carries it takes it over.

Deletions
    A run that completes a *full listing* withdraws (``package_delete``,
    state "deleted"; the dataset comes back with the same name if it
    reappears) the datasets this source holds whose identifiers the source
    no longer lists; private datasets are not listed by a CKAN portal to
    anonymous readers, so "made private there" is "gone". Nothing is
    withdrawn when reading the source failed at any point, or when the
    listing holds fewer than ``min_listing_ratio`` (default 0.5) times the
    number of datasets the source held before the run.

Local edits
    An update starts from the dataset as it is in CKAN, so fields the
    source does not carry (分類, 更新頻度, …) are never touched. For the
    harvested fields the source wins, except: a field listed in
    ``not_overwrite_fields`` keeps its local value once it has one, and a
    field the source leaves empty keeps a value a steward entered locally
    (one that differs from what the previous harvest wrote).

Report
    Counters per job (found, created, updated, unchanged, deleted, errored)
    come from the harvest objects' report status, see
    :mod:`ckanext.hokkaido.harvest.report`; each error names the record's
    identifier and the reason, in Japanese and English.
"""
from __future__ import annotations

import contextvars
import dataclasses
import hashlib
import json
import logging
import re
import threading
import time
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any, ClassVar, Optional
from urllib.parse import urlsplit

import sqlalchemy as sa

from ckan import model
from ckan.plugins import toolkit

from ckanext.harvest.harvesters.base import HarvesterBase
from ckanext.harvest.model import (
    HarvestGatherError,
    HarvestJob,
    HarvestObject,
    HarvestObjectExtra,
    HarvestSource,
)

from harvesters import adapter_class
from harvesters.util import is_link, read_modified
from harvesters.errors import ConfigError, FetchError, HarvestError
from harvesters.client import HostThrottle, HttpClient
from harvesters.records import Record
from harvesters.base import SourceAdapter

from ckanext.hokkaido import authority, extras, licences, registry
from ckanext.hokkaido.inventory import file as inventory
from ckanext.hokkaido.harvest import errors, indexing, tokens
from ckanext.hokkaido.settings import allowed_addresses, limits_from_config

__all__ = [
    "HokkaidoHarvesterBase",
    "ImportOutcome",
    "HarvestSettings",
    "SourceConfigError",
    "RecordError",
    "dataset_name",
    "portal_key",
    "clean_tags",
]

log = logging.getLogger(__name__)

#: Keys of a source's JSON config handled by the base (the rest go to the adapter).
HARVEST_KEYS = frozenset({"force", "not_overwrite_fields", "min_listing_ratio", "full_listing_every",
                          tokens.KEY})

#: The prefecture's fields a harvest writes when a record carries them (a
#: Hokkaido portal's DCAT: ``extras["fields"]``, see ``harvesters.dcat``):
#: the inventory's columns, the homepage and the standard dataset. The
#: municipality and the ``source_*`` fields are the harvest's own: they name
#: where this harvest read the dataset.
PREFECTURE_FIELDS = ("agency_code", "serial_no", "department", "section", "category", "record_count",
                     "update_frequency", "file_format", "file_format_2", "fee", "publishable", "homepage_url",
                     "standard_dataset")

#: Harvested fields a source config may protect with ``not_overwrite_fields``.
PROTECTABLE_FIELDS = ("title", "notes", "tags", "license_id", "resources")

#: Incremental runs ask for changes since the last clean run minus this margin
#: (the remote clock may differ from ours; the hash skips what did not change).
INCREMENTAL_MARGIN = timedelta(hours=1)

#: ``time.monotonic()`` after which a run gives up on its source (set by
#: :mod:`ckanext.hokkaido.harvest.nightly` in the thread running the job;
#: ``None``, the default, is no limit). Checked before every request.
DEADLINE: contextvars.ContextVar[Optional[float]] = contextvars.ContextVar("hokkaido_harvest_deadline",
                                                                          default=None)


class TimeLimitExceeded(FetchError):
    """The run's time limit for this source passed before a request."""

    default_message_ja = "時間制限を超えたため収集を中断しました"
    message_en = "the run's time limit for this source was reached"


_throttles: dict[float, HostThrottle] = {}
_throttles_lock = threading.Lock()


def shared_throttle(min_delay: float) -> HostThrottle:
    """The process's per-host throttle: the sources running at once share
    it, so the portals that serve many municipalities (BODIK, HARP) see at
    most 2 requests in flight and ``min_delay`` seconds between two starts,
    whatever the number of their sources and workers."""
    with _throttles_lock:
        throttle = _throttles.get(min_delay)
        if throttle is None:
            throttle = _throttles[min_delay] = HostThrottle(2, min_delay)
        return throttle


class _DeadlineClient(HttpClient):
    """An :class:`HttpClient` that refuses to start a request after ``deadline``."""

    deadline: float = float("inf")

    def _request(self, method: str, url: str, **kwargs: Any):  # type: ignore[override]
        if time.monotonic() > self.deadline:
            raise TimeLimitExceeded(url, "time limit reached, request not started")
        return super()._request(method, url, **kwargs)


def _now() -> datetime:
    return datetime.now(timezone.utc)


_TAG_FORBIDDEN = re.compile(r"[^\w \-.]+", re.UNICODE)


class SourceConfigError(ValueError):
    """A harvest source's configuration is invalid; the message is bilingual."""


class RecordError(Exception):
    """A record cannot be imported; ``str()`` is ``"<日本語> (<English>)"``,
    public (our words); ``detail`` may quote the record."""

    def __init__(self, message_ja: str, message_en: str, detail: Optional[str] = None) -> None:
        super().__init__(f"{message_ja} ({message_en})")
        self.detail = detail


@dataclasses.dataclass(frozen=True)
class HarvestSettings:
    """A source's parsed configuration.

    :ivar adapter_config: the keys passed on to the adapter.
    :ivar force: import every record even when its hash is unchanged, and
        always read a full listing.
    :ivar not_overwrite_fields: harvested fields whose local value wins.
    :ivar min_listing_ratio: withdraw nothing when a full listing has fewer
        than this share of the datasets the source held.
    :ivar full_listing_every: days between full listings; 0 makes every run
        a full listing, otherwise runs in between ask only for datasets
        modified since the last clean run (and withdraw nothing).
    :ivar api_key: the source's API token (``api_key``), sent as the
        ``Authorization`` header to the source URL's origin only; see
        :mod:`ckanext.hokkaido.harvest.tokens`.
    """

    adapter_config: dict[str, Any]
    force: bool = False
    not_overwrite_fields: tuple[str, ...] = ()
    min_listing_ratio: float = 0.5
    full_listing_every: float = 0.0
    api_key: Optional[str] = dataclasses.field(default=None, repr=False)


def portal_key(url: str) -> str:
    """The identity of a portal: host and path of its base URL, lower-case,
    without scheme, credentials, default port or trailing slash."""
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower()
    port = parts.port
    if port and port not in (80, 443):
        host = f"{host}:{port}"
    return host + parts.path.rstrip("/").lower()


def dataset_name(code: str, portal: str, identifier: str) -> str:
    """``<code>-<12 hex>``: the CKAN name of a remote dataset (see module docs)."""
    digest = hashlib.sha256(f"{portal}\n{identifier}".encode("utf-8")).hexdigest()
    return f"{code}-{digest[:12]}"


def clean_tags(tags: list[str]) -> list[str]:
    """Tags CKAN accepts: characters other than letters, digits, space,
    ``-``, ``_`` and ``.`` become ``-`` (``子育て・教育`` → ``子育て-教育``),
    2 to 100 characters, no duplicates."""
    cleaned: list[str] = []
    for tag in tags:
        text = _TAG_FORBIDDEN.sub("-", tag).strip(" -")[:100].strip(" -")
        if len(text) >= 2 and text not in cleaned:
            cleaned.append(text)
    return cleaned


def harvested_licence(record: Record) -> tuple[str, Optional[str]]:
    """The dataset's ``license_id`` for a harvested record: the portal's
    licence the source's id, URL or name means (:func:`licences.resolve`).
    A licence it cannot map is kept as the source gave it (CKAN shows an
    unknown id as it is) and returned second, for the run's report."""
    given = record.license_id or record.license_title
    if not given:
        return "", None
    known = licences.resolve(record.license_id, record.license_title)
    if known is not None:
        return known, None
    return given[:200], given


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def _comparable(field: str, value: Any) -> Any:
    """A value of a harvested field in a form that compares across dicts."""
    if field == "tags":
        return sorted(t["name"] if isinstance(t, dict) else str(t) for t in value or [])
    if field == "resources":
        return [tuple(str(r.get(k) or "") for k in ("url", "name", "format", "description")) for r in value or []]
    return value or ""


@dataclasses.dataclass(frozen=True)
class ImportOutcome:
    """What :meth:`HokkaidoHarvesterBase.import_record` did with one record.

    :ivar result: what ckanext-harvest's ``import_stage`` answers: ``True``
        (imported or withdrawn), ``False`` (errored, the error is on the
        object) or ``"unchanged"``.
    :ivar recorded: the object's state, report status and import time were
        committed together with the dataset, so the caller writes nothing
        more (ckanext-harvest's queue writes them itself at each step).
    """

    result: bool | str
    recorded: bool = False


class HokkaidoHarvesterBase(HarvesterBase):
    """Base of every ckanext-hokkaido harvester (see the module docs).

    Subclasses set :attr:`kind` (a key of :data:`harvesters.ADAPTERS`),
    :attr:`title` and :attr:`description`, and may override
    :meth:`check_adapter_config`.
    """

    #: The adapter kind, e.g. ``"ckan"``; the source type is ``hokkaido_<kind>``.
    kind: ClassVar[str] = ""
    #: Shown in the source form's list of types, with an example config.
    title: ClassVar[str] = ""
    description: ClassVar[str] = ""
    config_example: ClassVar[str] = ""

    # -- configuration ----------------------------------------------------

    def check_adapter_config(self, config: dict[str, Any]) -> None:
        """Kind-specific checks of the adapter part of the config.

        The default requires ``municipality_code``; raise
        :class:`SourceConfigError` with a bilingual message.
        """
        if not config.get("municipality_code"):
            raise SourceConfigError(
                "municipality_code（市町村コード）を指定してください "
                "(municipality_code is required: the 6-digit code of the municipality)")

    #: Parsed configs by (kind, config text): fetch and import parse the
    #: source's config once per record.
    _parsed: ClassVar[dict[tuple[str, str], HarvestSettings]] = {}

    def parse_config(self, config_str: str | None) -> HarvestSettings:
        """Parse and check a source's JSON config (cached per config text).

        :raises SourceConfigError: with a message in Japanese and English.
        """
        key = (self.kind, config_str or "")
        settings = self._parsed.get(key)
        if settings is None:
            settings = self._parse_config(config_str)
            if len(self._parsed) > 1000:
                self._parsed.clear()
            self._parsed[key] = settings
        return settings

    def _parse_config(self, config_str: str | None) -> HarvestSettings:
        try:
            config = json.loads(config_str) if config_str and config_str.strip() else {}
        except ValueError as exc:
            raise SourceConfigError(f"設定がJSONとして読めません (config is not valid JSON: {exc})") from exc
        except RecursionError as exc:
            raise SourceConfigError("設定のJSONの入れ子が深すぎます (config is nested too deeply)") from exc
        if not isinstance(config, dict):
            raise SourceConfigError("設定はJSONオブジェクト {…} で指定してください (config must be a JSON object)")

        force = config.get("force", False)
        if not isinstance(force, bool):
            raise SourceConfigError(f"force は true か false です (force must be true or false, not {force!r})")

        fields = config.get("not_overwrite_fields", [])
        if not isinstance(fields, list) or not all(isinstance(f, str) for f in fields):
            raise SourceConfigError("not_overwrite_fields は項目名のリストです "
                                    "(not_overwrite_fields must be a list of field names)")
        fields = ["tags" if f == "tag_string" else f for f in fields]
        unknown = [f for f in fields if f not in PROTECTABLE_FIELDS]
        if unknown:
            raise SourceConfigError(
                f"not_overwrite_fields に指定できない項目です: {', '.join(unknown)} "
                f"(not_overwrite_fields accepts {', '.join(PROTECTABLE_FIELDS)})")

        ratio = config.get("min_listing_ratio", 0.5)
        if isinstance(ratio, bool) or not isinstance(ratio, (int, float)) or not 0 <= ratio <= 1:
            raise SourceConfigError(f"min_listing_ratio は 0〜1 の数です "
                                    f"(min_listing_ratio must be a number from 0 to 1, not {ratio!r})")

        every = config.get("full_listing_every", 0)
        if isinstance(every, bool) or not isinstance(every, (int, float)) or every < 0:
            raise SourceConfigError(f"full_listing_every は 0 以上の日数です "
                                    f"(full_listing_every must be a number of days >= 0, not {every!r})")

        api_key = config.get(tokens.KEY)
        problem = tokens.check_token(api_key) if api_key is not None else None
        if problem:
            raise SourceConfigError(problem)
        tokens.remember(api_key)

        adapter_config = {k: v for k, v in config.items() if k not in HARVEST_KEYS}
        code = adapter_config.get("municipality_code")
        if code not in (None, ""):
            if not isinstance(code, str) or not registry.is_valid_code(code):
                raise SourceConfigError(
                    f"municipality_code {code!r} は検査数字付き6桁の自治体コードではありません "
                    "(municipality_code must be a 6-digit local government code with a valid check digit, "
                    "e.g. \"011002\" for 札幌市)")
            if registry.name_of(code) is None:
                raise SourceConfigError(
                    f"municipality_code {code} は北海道の市町村ではありません "
                    "(municipality_code is not one of Hokkaido's municipalities)")
        self.check_adapter_config(adapter_config)
        try:
            # The adapter checks its own keys; no request is made here.
            self.make_adapter("https://example.invalid", adapter_config, HttpClient())
        except ConfigError as exc:
            raise SourceConfigError(f"{exc.message_ja} ({exc.reason})") from exc
        return HarvestSettings(adapter_config, force, tuple(fields), float(ratio), float(every), api_key)

    def make_adapter(self, url: str, config: dict[str, Any], client: HttpClient) -> SourceAdapter:
        """The adapter for one source (override for adapters needing more)."""
        return adapter_class(self.kind)(url, config, client)

    @staticmethod
    def make_client(api_key: Optional[str] = None, url: Optional[str] = None) -> HttpClient:
        """An HTTP client configured from ``ckanext.hokkaido.harvest.*``;
        with ``api_key``, it authorizes requests to ``url``'s origin only."""
        config = toolkit.config
        deadline = DEADLINE.get()
        client = HttpClient if deadline is None else _DeadlineClient
        made = client(
            portal_url=config.get("ckan.site_url") or None,
            read_timeout=float(config.get("ckanext.hokkaido.harvest.timeout") or 30),
            max_retries=int(config.get("ckanext.hokkaido.harvest.retries") or 0),
            throttle=shared_throttle(float(config.get("ckanext.hokkaido.harvest.min_delay") or 0)),
            max_bytes=int(config.get("ckanext.hokkaido.harvest.max_bytes") or 100 * 1024 * 1024),
            limits=limits_from_config(),
            allow=allowed_addresses(),
            authorization=api_key, authorization_url=url if api_key else None,
        )
        if deadline is not None:
            made.deadline = deadline
        return made

    # IHarvester

    def info(self) -> dict[str, str]:
        return {"name": f"hokkaido_{self.kind}", "title": self.title, "description": self.description,
                "config_example": self.config_example}

    def validate_config(self, config: str | None) -> str:
        """Check the JSON config; return it re-serialised (pretty-printed)."""
        self.parse_config(config)
        if not config or not config.strip():
            return "{}"
        return json.dumps(json.loads(config), ensure_ascii=False, indent=2)

    def get_original_url(self, harvest_object_id: str) -> Optional[str]:
        obj = HarvestObject.get(harvest_object_id)
        if obj is None or not obj.content:
            return None
        try:
            return json.loads(obj.content).get("source_url")
        except ValueError:
            return None

    def gather_stage(self, harvest_job: HarvestJob) -> list[str]:
        """Read the source; one harvest object per record and per withdrawal.

        Never raises: an exception escaping here would stop ckanext-harvest's
        gather consumer (and every other source with it) and leave the job
        "Running"; it is recorded as a gather error instead.
        """
        try:
            return self._gather(harvest_job)
        except Exception as exc:
            model.Session.rollback()
            log.exception("gather of harvest job %s failed", harvest_job.id)
            self._gather_error(harvest_job, "収集中に予期しないエラーが発生しました。削除は行いません "
                                            "(unexpected error, no dataset withdrawn)", repr(exc),
                               read_failure=True)
            return []

    def _gather(self, harvest_job: HarvestJob) -> list[str]:
        source = harvest_job.source
        try:
            settings = self.parse_config(source.config)
        except SourceConfigError as exc:
            self._gather_error(harvest_job, f"設定エラー: {exc}", read_failure=True)
            return []

        held = self._held_datasets(source.id)
        full = self._wants_full_listing(source, harvest_job, settings)
        since = None if full else self._incremental_since(source, harvest_job)
        full = full or since is None
        records: list[Record] = []
        listed: list[str] | None = None
        failure: tuple[str, str] | None = None
        client = self.make_client(settings.api_key, source.url)
        adapter = None
        try:
            adapter = self.make_adapter(source.url, settings.adapter_config, client)
            if full:
                listed = adapter.list_identifiers()
            for record in adapter.records(since=since):
                records.append(record)
        except HarvestError as exc:
            failure = errors.describe(exc)
        except ValueError as exc:  # a record the adapter could not normalise
            failure = ("データセットを正規化できませんでした / a record could not be normalised", str(exc))
        finally:
            client.close()

        ids = self._create_objects(harvest_job, records, "full" if full else "incremental", settings.force)
        self._record_problems(harvest_job, list(getattr(adapter, "problems", None) or []))
        if failure is not None:
            self._gather_error(
                harvest_job,
                f"ハーベスト元を読めませんでした: {failure[0]}. 取得できた {len(records)} 件のみ取り込み、"
                f"削除は行いません (reading the source failed; {len(records)} records read are imported, "
                "no dataset is withdrawn)", failure[1], read_failure=not records)
            return ids
        if listed is not None:
            ids += self._create_withdrawals(harvest_job, held, set(listed) | {r.identifier for r in records},
                                            settings)
        log.info("%s: gathered %d records (%s listing), %d objects", source.url, len(records),
                 "full" if full else f"incremental since {since}", len(ids))
        return ids

    def fetch_stage(self, harvest_object: HarvestObject) -> bool | str:
        """The record was read in gather; skip it when its hash is unchanged."""
        if self._extra(harvest_object, "status") == "delete":
            return True
        try:
            settings = self.parse_config(harvest_object.source.config)
        except SourceConfigError as exc:
            self._object_error(harvest_object, f"設定エラー: {exc}", "Fetch")
            return False
        except Exception as exc:  # see gather_stage: never let the fetch consumer die
            model.Session.rollback()
            log.exception("fetch of %s failed", harvest_object.guid)
            self._object_error(harvest_object, errors.UNEXPECTED, "Fetch", repr(exc))
            return False
        if settings.force or self._extra(harvest_object, "status") == "new":
            return True  # "new": the gather found no current object for the record
        current = self._current_object(harvest_object.harvest_source_id, harvest_object.guid)
        if (current is not None and current.package is not None and current.package.state == "active"
                and self._extra(current, "content_hash") == self._extra(harvest_object, "content_hash")):
            return "unchanged"
        return True

    def import_stage(self, harvest_object: HarvestObject) -> bool | str:
        """ckanext-harvest's import stage: the result of :meth:`import_record`."""
        return self.import_record(harvest_object).result

    def import_record(self, harvest_object: HarvestObject) -> "ImportOutcome":
        """Create, update or withdraw the dataset; errors stay with the record.

        The nightly run calls this instead of :meth:`import_stage` and reads
        from the outcome whether the object's state was written with the
        dataset (then it writes nothing more)."""
        try:
            if self._extra(harvest_object, "status") == "delete":
                return ImportOutcome(self._withdraw(harvest_object))
            settings = self.parse_config(harvest_object.source.config)
            record = Record(**json.loads(harvest_object.content))
            return ImportOutcome(self._import_record(harvest_object, record, settings), recorded=True)
        except (RecordError, SourceConfigError) as exc:
            model.Session.rollback()
            self._object_error(harvest_object, str(exc), "Import", getattr(exc, "detail", None))
        except toolkit.ValidationError as exc:
            model.Session.rollback()
            # the field names are the schema's; the messages may quote the record
            fields = ", ".join(sorted(map(str, exc.error_dict))) if isinstance(exc.error_dict, dict) else "?"
            self._object_error(harvest_object, f"データセットの検証に失敗しました / validation failed ({fields})",
                               "Import", json.dumps(exc.error_dict, ensure_ascii=False))
        except Exception as exc:  # one broken record must not stop the others
            model.Session.rollback()
            log.exception("import of %s failed", harvest_object.guid)
            self._object_error(harvest_object, errors.UNEXPECTED, "Import", repr(exc))
        return ImportOutcome(False)

    # -- gather helpers -----------------------------------------------------

    def _held_datasets(self, source_id: str) -> dict[str, str]:
        """guid → package id of the active datasets this source holds."""
        rows = (model.Session.query(HarvestObject.guid, HarvestObject.package_id)
                .join(model.Package, model.Package.id == HarvestObject.package_id)
                .filter(HarvestObject.harvest_source_id == source_id)
                .filter(HarvestObject.current == sa.true())
                .filter(model.Package.state == "active"))
        return {guid: package_id for guid, package_id in rows}

    @staticmethod
    def _clean_jobs(source: HarvestSource, harvest_job: HarvestJob):
        """Finished earlier jobs of the source with no gather and no object errors."""
        errored = sa.exists().where(sa.and_(HarvestObject.harvest_job_id == HarvestJob.id,
                                            HarvestObject.state == "ERROR"))
        gather_errors = sa.exists().where(HarvestGatherError.harvest_job_id == HarvestJob.id)
        return (model.Session.query(HarvestJob)
                .filter(HarvestJob.source_id == source.id)
                .filter(HarvestJob.id != harvest_job.id)
                .filter(HarvestJob.status == "Finished")
                .filter(HarvestJob.gather_started.isnot(None))
                .filter(~errored).filter(~gather_errors)
                .order_by(HarvestJob.gather_started.desc()))

    def _wants_full_listing(self, source: HarvestSource, harvest_job: HarvestJob,
                            settings: HarvestSettings) -> bool:
        if settings.force or settings.full_listing_every <= 0:
            return True
        full_objects = sa.exists().where(sa.and_(
            HarvestObject.harvest_job_id == HarvestJob.id,
            HarvestObjectExtra.harvest_object_id == HarvestObject.id,
            HarvestObjectExtra.key == "listing", HarvestObjectExtra.value == "full"))
        last_full = self._clean_jobs(source, harvest_job).filter(full_objects).first()
        if last_full is None:
            return True
        return datetime.utcnow() - last_full.gather_started >= timedelta(days=settings.full_listing_every)

    def _incremental_since(self, source: HarvestSource, harvest_job: HarvestJob) -> datetime | None:
        last = self._clean_jobs(source, harvest_job).first()
        if last is None:
            return None
        return last.gather_started.replace(tzinfo=timezone.utc) - INCREMENTAL_MARGIN

    def _create_objects(self, harvest_job: HarvestJob, records: list[Record], listing: str,
                        force: bool = False) -> list[str]:
        """One harvest object per record; returns the ids of those to fetch and import.

        A record whose hash equals the one last imported, into a dataset that
        is still active, is stored as already done ("not modified") in one
        multi-row insert: an unchanged source costs no fetch, no import and
        no commit per record. (``fetch_stage`` makes the same check for
        objects of records seen before that reach it.)
        """
        last = {guid: (content_hash if state == "active" else None) for guid, content_hash, state in (
            model.Session.query(HarvestObject.guid, HarvestObjectExtra.value, model.Package.state)
            .outerjoin(HarvestObjectExtra, sa.and_(HarvestObjectExtra.harvest_object_id == HarvestObject.id,
                                                   HarvestObjectExtra.key == "content_hash"))
            .outerjoin(model.Package, model.Package.id == HarvestObject.package_id)
            .filter(HarvestObject.harvest_source_id == harvest_job.source_id)
            .filter(HarvestObject.current == sa.true()))}
        now = datetime.utcnow()
        objects, done, done_extras = [], [], []
        for record in records:
            content = json.dumps(record.to_dict(), ensure_ascii=False)
            content_hash = record.content_hash()
            extras = {"status": "change" if record.identifier in last else "new",
                      "content_hash": content_hash, "listing": listing}
            if not force and last.get(record.identifier) == content_hash:
                object_id = str(uuid.uuid4())
                done.append({"id": object_id, "guid": record.identifier, "current": False, "gathered": now,
                             "fetch_started": now, "fetch_finished": now, "content": content,
                             "state": "COMPLETE", "report_status": "not modified", "retry_times": 0,
                             "harvest_job_id": harvest_job.id, "harvest_source_id": harvest_job.source_id})
                done_extras += [{"id": str(uuid.uuid4()), "harvest_object_id": object_id, "key": key,
                                 "value": value} for key, value in extras.items()]
                continue
            obj = HarvestObject(guid=record.identifier, job=harvest_job, harvest_source_id=harvest_job.source_id,
                                content=content,
                                extras=[HarvestObjectExtra(key=k, value=v) for k, v in extras.items()])
            model.Session.add(obj)
            objects.append(obj)
        model.Session.flush()
        if done:
            model.Session.execute(HarvestObject.__table__.insert(), done)
            model.Session.execute(HarvestObjectExtra.__table__.insert(), done_extras)
        model.Session.commit()
        return [obj.id for obj in objects]

    def _create_withdrawals(self, harvest_job: HarvestJob, held: dict[str, str], listed: set[str],
                            settings: HarvestSettings) -> list[str]:
        gone = sorted(set(held) - listed)
        if not gone:
            return []
        if len(listed) < settings.min_listing_ratio * len(held):
            self._gather_error(
                harvest_job,
                f"一覧のデータセット数 ({len(listed)} 件) が保持している {len(held)} 件の "
                f"{settings.min_listing_ratio:.0%} 未満のため、{len(gone)} 件の削除を見送りました "
                f"(the listing has {len(listed)} datasets, below min_listing_ratio {settings.min_listing_ratio:g} "
                f"of the {len(held)} held; {len(gone)} withdrawals skipped)")
            return []
        objects = []
        for guid in gone:
            obj = HarvestObject(guid=guid, job=harvest_job, harvest_source_id=harvest_job.source_id,
                                package_id=held[guid],
                                extras=[HarvestObjectExtra(key="status", value="delete")])
            model.Session.add(obj)
            objects.append(obj)
        model.Session.commit()
        return [obj.id for obj in objects]

    # -- import helpers -----------------------------------------------------

    def _context(self) -> dict[str, Any]:
        return {"model": model, "session": model.Session, "user": self._get_user_name(), "ignore_auth": True}

    @staticmethod
    def _extra(harvest_object: HarvestObject, key: str) -> str | None:
        for extra in harvest_object.extras:
            if extra.key == key:
                return extra.value
        return None

    @staticmethod
    def _current_object(source_id: str, guid: str) -> HarvestObject | None:
        return (model.Session.query(HarvestObject)
                .filter(HarvestObject.harvest_source_id == source_id)
                .filter(HarvestObject.guid == guid)
                .filter(HarvestObject.current == sa.true())
                .first())

    @staticmethod
    def _latest_with_package(source_id: str, guid: str) -> HarvestObject | None:
        """This source's newest object for ``guid`` that points at a dataset."""
        return (model.Session.query(HarvestObject)
                .filter(HarvestObject.harvest_source_id == source_id)
                .filter(HarvestObject.guid == guid)
                .filter(HarvestObject.package_id.isnot(None))
                .order_by(HarvestObject.gathered.desc())
                .first())

    @staticmethod
    def _owner(package_id: str) -> HarvestSource | None:
        """The source whose current object imported the dataset, if any."""
        obj = (model.Session.query(HarvestObject)
               .filter(HarvestObject.package_id == package_id)
               .filter(HarvestObject.current == sa.true())
               .first())
        return obj.source if obj is not None else None

    @staticmethod
    def _ever_harvested(package_id: str) -> bool:
        return model.Session.query(HarvestObject.id).filter(HarvestObject.package_id == package_id).first() is not None

    @staticmethod
    def _lock_remote_dataset(portal: str, record: Record) -> None:
        """Hold PostgreSQL advisory locks on the record's identity (portal and
        identifier, source URL) until the next commit, so that two sources
        importing the same remote dataset at the same moment (the nightly run's
        workers) see each other and only the first creates it."""
        keys = sorted({f"{portal}\n{record.identifier}", record.source_url or ""} - {""})
        # one statement; PostgreSQL takes them in this (sorted) order
        locks = ", ".join(f"pg_advisory_xact_lock(hashtext(:key{i}))" for i in range(len(keys)))
        model.Session.execute(sa.text(f"SELECT {locks}"),
                              {f"key{i}": "hokkaido-harvest\n" + key for i, key in enumerate(keys)})

    @staticmethod
    def _with_source_url(source_url: str) -> Any:
        """The active datasets whose ``source_url`` is this (a query on the
        index of migration 0002_source_url_index)."""
        return extras.with_values(model.Session.query(model.Package).filter(model.Package.state == "active"),
                                  source_url=source_url)

    def _check_not_duplicate(self, package: model.Package | None, source: HarvestSource,
                             record: Record) -> None:
        """Raise :class:`RecordError` when another source keeps this dataset."""
        if package is not None:
            owner = self._owner(package.id)
            if owner is None and not self._ever_harvested(package.id):
                raise RecordError(f"名前 {package.name} は手作業で作成されたデータセットが使用しています",
                                  f"the name {package.name} is taken by a dataset created locally")
            if owner is not None and owner.id != source.id and owner.active and package.state == "active":
                raise RecordError(f"{package.name} の重複です（収集元「{owner.title or owner.url}」が保持）",
                                  f"duplicate of {package.name}, kept by source {owner.title or owner.url}")
        if record.source_url:
            for other in self._with_source_url(record.source_url):
                if package is not None and other.id == package.id:
                    continue
                owner = self._owner(other.id)
                if owner is not None and owner.id != source.id and owner.active:
                    raise RecordError(
                        f"{other.name} の重複です（同じ収集元URL、収集元「{owner.title or owner.url}」が保持）",
                        f"duplicate of {other.name} (same source_url), kept by source {owner.title or owner.url}")

    #: what every record of a harvest job would look up again, by job id (a
    #: job's source and organizations do not change while it imports)
    _per_job: ClassVar[dict[str, dict[str, Any]]] = {}

    def _job_facts(self, harvest_object: HarvestObject) -> dict[str, Any]:
        facts = self._per_job.get(harvest_object.harvest_job_id)
        if facts is None:
            if len(self._per_job) > 100:
                self._per_job.clear()
            facts = self._per_job.setdefault(harvest_object.harvest_job_id, {})
        return facts

    def _check_publishes_for(self, harvest_object: HarvestObject, code: str) -> None:
        """A source publishes only for the municipality its organization
        speaks for, or for any when it is the prefecture's (the shared
        portals): :func:`ckanext.hokkaido.authority.may_publish_for`."""
        facts = self._job_facts(harvest_object)
        if "owner" not in facts:
            package = model.Package.get(harvest_object.harvest_source_id)
            owner = model.Group.get(package.owner_org) if package is not None and package.owner_org else None
            facts["owner"] = (authority.organization_code(owner), owner.name if owner is not None else None)
        owner_code, owner_name = facts["owner"]
        if not authority.may_publish_for(owner_code, code):
            raise RecordError(
                f"この収集元の組織は{registry.name_of(code)}のデータを公開できません"
                "（市町村の組織か北海道の組織の収集元だけが公開できます）",
                "this source's organization does not speak for the record's municipality: only a source of the "
                "municipality's organization or of the prefecture's may publish for it",
                f"municipality_code {code}, organization {owner_name}")

    def _organization(self, harvest_object: HarvestObject, code: str, fields: dict[str, Any]) -> str:
        """Id of the dataset's organization, created if missing (looked up
        once a job): the municipality's (name = code) or, for a dataset of
        the prefecture's that names its 執行機関 (a Hokkaido portal's DCAT),
        that agency's, as the inventory's import places it
        (:func:`ckanext.hokkaido.inventory.file.agency_org_name`)."""
        agency = fields.get("agency_code") if code == registry.PREFECTURE_CODE else None
        name = inventory.agency_org_name(agency) if agency else code
        known = self._job_facts(harvest_object).setdefault("organizations", {})
        if name not in known:
            if agency:
                title = "北海道 " + (" ".join(v for v in (fields.get("department"), fields.get("section")) if v)
                                     or agency)
                facts = {"parent": registry.PREFECTURE_CODE, "agency_code": agency}
            else:
                title, facts = registry.name_of(code) or code, {}
            known[name] = self._organization_now(name, title, facts)
        return known[name]

    def _organization_now(self, name: str, title: str, facts: dict[str, str]) -> str:
        group = model.Group.by_name(name)  # a code is never a group id: one query, not Group.get's two
        if group is not None:
            if not group.is_organization:
                raise RecordError(f"{name} はグループ名として使われていて組織を作成できません",
                                  f"{name} is the name of a group, not an organization")
            if group.state != "active":
                toolkit.get_action("organization_patch")(self._context(), {"id": group.id, "state": "active"})
            return group.id
        organization = toolkit.get_action("organization_create")(self._context(), {
            "name": name, "title": title, "extras": [{"key": k, "value": v} for k, v in facts.items()]})
        return organization["id"]

    @staticmethod
    def dataset_fields(record: Record) -> dict[str, Any]:
        """The harvested fields of a dataset (scheming field names): CKAN's,
        the municipality, where it was read and, when the record carries
        them, every one of :data:`PREFECTURE_FIELDS` (empty where the source
        has none, so that a value the source removed goes too)."""
        carried = record.extras.get("fields")
        prefecture = {field: str(carried.get(field) or "") for field in PREFECTURE_FIELDS} \
            if isinstance(carried, dict) else {}
        return {
            **prefecture,
            "title": record.title,
            "notes": record.notes,
            "tags": [{"name": tag} for tag in clean_tags(record.tags)],
            "license_id": harvested_licence(record)[0],
            "resources": [dict(resource) for resource in record.resources],
            "municipality_code": record.municipality_code,
            "source_url": record.source_url or "",
            "source_identifier": record.identifier,
            "source_modified": read_modified(record.source_modified, _now())[0] or "",
        }

    @staticmethod
    def merge(existing: dict[str, Any], fields: dict[str, Any], previous: dict[str, Any] | None,
              protected: tuple[str, ...]) -> dict[str, Any]:
        """The update of ``existing`` with harvested ``fields`` (local-edit rules
        in the module docs); ``previous`` are the fields the last import wrote."""
        data = dict(existing)
        data.pop("tag_string", None)
        for field, value in fields.items():
            local = existing.get(field)
            if field in protected and not _empty(local):
                continue
            if _empty(value) and not _empty(local) and (
                    previous is None or _comparable(field, local) != _comparable(field, previous.get(field))):
                continue  # the source has nothing, a steward filled it in
            if field == "resources":
                value = HokkaidoHarvesterBase._merge_resources(local or [], value)
            data[field] = value
        return data

    @staticmethod
    def _merge_resources(local: list[dict[str, Any]], harvested: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Harvested resources, reusing the local resource with the same URL
        (its id and any locally added fields stay)."""
        unused = list(local)
        merged = []
        for resource in harvested:
            match = next((r for r in unused if r.get("url") == resource["url"]), None)
            if match is not None:
                unused.remove(match)
                merged.append({**match, **resource})
            else:
                merged.append(dict(resource))
        return merged

    def _make_current(self, harvest_object: HarvestObject, package_id: str, created: bool = False) -> None:
        if not created:  # a dataset just created has no other object
            model.Session.query(HarvestObject).filter(HarvestObject.package_id == package_id) \
                .filter(HarvestObject.id != harvest_object.id).update({"current": False}, synchronize_session=False)
        harvest_object.package_id = package_id
        harvest_object.current = True
        model.Session.add(harvest_object)

    def _without_unsafe_links(self, harvest_object: HarvestObject, record: Record) -> Record:
        """Only http(s) and ftp links are stored: a resource with another URL
        (``javascript:``, ``data:``, ``file:`` …) or none is dropped (the
        schema's rule: every resource has a link or a file) and a source URL
        of another scheme is blanked; the report says which."""
        refused = [r for r in record.resources
                   if not is_link(r.get("url"))]
        for resource in refused:
            if not resource.get("url"):
                self._object_error(
                    harvest_object,
                    "[warning] URLのないリソースを保存しません / a resource without a URL is "
                    "not stored", "Import", repr(str(resource.get("name") or "")[:200]))
                continue
            self._object_error(
                harvest_object,
                "[warning] リソースのURLを保存しません（http/https/ftp のみ） / resource URL "
                "refused, only http(s) and ftp are stored", "Import", repr(str(resource["url"])[:200]))
        source_url = record.source_url
        if source_url and not is_link(source_url):
            self._object_error(
                harvest_object,
                "[warning] 収集元URLを保存しません / source URL refused, only http(s) and ftp "
                "are stored", "Import", repr(source_url[:200]))
            source_url = None
        if not refused and source_url == record.source_url:
            return record
        return dataclasses.replace(
            record, source_url=source_url,
            resources=[r for r in record.resources if r not in refused])

    def _import_record(self, harvest_object: HarvestObject, record: Record,
                       settings: HarvestSettings) -> bool:
        code = record.municipality_code
        if not code:
            raise RecordError("市町村を特定できません。municipality_code か attribution を設定してください",
                              "the record could not be attributed to a municipality; "
                              "set municipality_code or an attribution rule")
        if registry.name_of(code) is None:
            raise RecordError("市町村コードが北海道の市町村ではありません",
                              "the record's municipality code is not a Hokkaido municipality",
                              f"municipality_code {code!r}")
        self._check_publishes_for(harvest_object, code)
        record = self._without_unsafe_links(harvest_object, record)
        unmapped = harvested_licence(record)[1]
        if unmapped:
            self._object_error(harvest_object, "[warning] ライセンスを対応付けられません（収集元の表記のまま保存） / "
                                               "licence not recognised, kept as the source wrote it",
                               "Import", repr(unmapped[:200]))
        _, date_problem = read_modified(record.source_modified, _now())
        if date_problem:  # the dataset imports without it (the tracker then uses when we first saw it)
            self._object_error(harvest_object, "[warning] 収集元の更新日を使いません（読めない日付か未来の日付） / "
                                               "the source's date is not used (unreadable, or in the future)",
                               "Import", date_problem)
        source = harvest_object.source
        previous = self._latest_with_package(source.id, record.identifier)
        package = model.Package.get(previous.package_id) if previous is not None else None
        name = package.name if package is not None else dataset_name(code, portal_key(source.url), record.identifier)
        if package is None:
            package = model.Package.by_name(name)
            previous = None
        fields = self.dataset_fields(record)
        owner_org = self._organization(harvest_object, code, fields)  # may commit: before the locks
        self._lock_remote_dataset(portal_key(source.url), record)
        self._check_not_duplicate(package, source, record)

        # nothing here reads the result; the commit below is the only one (the
        # activity of the dataset follows defer_commit too, so it is written with it)
        context = {**self._context(), "return_id_only": True, "defer_commit": True}
        if package is None:
            package_id = toolkit.get_action("package_create")(
                context, {"name": name, "owner_org": owner_org, "private": False, **fields})
            # before the commit, which indexes the dataset with its harvest object
            self._make_current(harvest_object, package_id, created=True)
            outcome = "added"
        else:
            existing = toolkit.get_action("package_show")(self._context(), {"id": package.id})
            previous_fields = None
            if previous is not None and previous.content:
                previous_fields = self.dataset_fields(Record(**json.loads(previous.content)))
            data = self.merge(existing, fields, previous_fields, settings.not_overwrite_fields)
            data.update(owner_org=owner_org, state="active")
            # the update is the dataset's modification: CKAN 2.11 stamps it always,
            # 2.12 only when the data does not carry the old stamp (the show's)
            data.pop("metadata_modified", None)
            # CKAN 2.12 says a dataset changed (for its activity) only when it
            # commits itself; the record's hash changed, so the dataset did
            context["changed_entities"] = {"packages": {package.id}}
            toolkit.get_action("package_update")(context, data)
            self._make_current(harvest_object, package.id)
            outcome = "updated"  # as ckanext-harvest counts it: the dataset was harvested before
        # the outcome goes with the dataset (ImportOutcome.recorded): nothing more to write
        harvest_object.state = "COMPLETE"
        harvest_object.report_status = outcome
        harvest_object.import_finished = datetime.utcnow()
        model.Session.commit()
        indexing.committed(harvest_object.package_id)
        return True

    def _withdraw(self, harvest_object: HarvestObject) -> bool | str:
        package = model.Package.get(harvest_object.package_id) if harvest_object.package_id else None
        if package is None or package.state != "active":
            return "unchanged"
        owner = self._owner(package.id)
        if owner is None or owner.id != harvest_object.harvest_source_id:
            return "unchanged"  # another source took it over since the gather
        toolkit.get_action("package_delete")(self._context(), {"id": package.id})
        model.Session.query(HarvestObject).filter(HarvestObject.package_id == package.id) \
            .update({"current": False}, synchronize_session=False)
        harvest_object.current = False
        model.Session.add(harvest_object)
        model.Session.commit()
        log.info("withdrew %s (%s): gone from the source", package.name, harvest_object.guid)
        return True

    # -- errors ---------------------------------------------------------------

    @staticmethod
    def _gather_error(harvest_job: HarvestJob, message: str, detail: Optional[str] = None, *,
                      read_failure: bool = False) -> None:
        """``message`` is public: our words only; ``detail`` may quote the
        source; ``read_failure`` when nothing could be read."""
        errors.gather_error(harvest_job, message, detail, read_failure=read_failure)

    def _record_problems(self, harvest_job: HarvestJob, problems: list) -> None:
        """Put the adapter's record-level problems in the job's report.

        A warning (the record was read, e.g. without a known area) becomes an
        error message on that record's harvest object, which still imports.
        An error (the row or record was skipped) becomes a harvest object of
        its own, marked errored, so the report counts it and names it.
        """
        if not problems:
            return
        objects = {o.guid: o for o in model.Session.query(HarvestObject)
                   .filter(HarvestObject.harvest_job_id == harvest_job.id)}
        for problem in problems:
            where = problem.identifier or (f"line {problem.line}" if problem.line else "?")
            obj = objects.get(problem.identifier) if problem.level == "warning" else None
            if obj is None:
                obj = HarvestObject(guid=where, job=harvest_job,
                                    harvest_source_id=harvest_job.source_id,
                                    state="ERROR", report_status="errored")
                obj.save()
            errors.object_error(obj, problem.public_message, "Gather", problem.reason)

    @staticmethod
    def _object_error(harvest_object: HarvestObject, reason: str, stage: str,
                      detail: Optional[str] = None) -> None:
        """``reason`` is public: our words only; ``detail`` may quote the source."""
        errors.object_error(harvest_object, f"{harvest_object.guid}: {reason}", stage, detail)
