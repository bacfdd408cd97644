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

Identity, duplicates
    :mod:`ckanext.hokkaido.harvest.identity`: a dataset's name
    (``<code>-<12 hex>``), the harvest objects that find it again, the first
    source keeps a remote dataset.

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
    :mod:`ckanext.hokkaido.harvest.merging`: the source wins on its
    fields, except a protected field (``not_overwrite_fields``) and a value
    a steward entered where the source has none.

Report
    Counters per job (found, created, updated, unchanged, deleted, errored)
    come from the harvest objects' report status, see
    :mod:`ckanext.hokkaido.harvest.report`; each error names the record's
    identifier and the reason, in Japanese and English.
"""
from __future__ import annotations

import contextvars
import dataclasses
import json
import logging
from datetime import datetime, timezone
from typing import Any, ClassVar, Optional

from ckan import model
from ckan.plugins import toolkit

from ckanext.harvest.harvesters.base import HarvesterBase
from ckanext.harvest.model import HarvestJob, HarvestObject

from harvesters import adapter_class
from harvesters.util import is_link, read_modified
from harvesters.errors import HarvestError
from harvesters.client import HttpClient
from harvesters.records import Record
from harvesters.base import SourceAdapter

from ckanext.hokkaido import outbound, registry
from ckanext.hokkaido.harvest import errors, gathering, identity, indexing, merging, publisher, source_config
from ckanext.hokkaido.harvest.errors import RecordError
from ckanext.hokkaido.harvest.source_config import HarvestSettings, SourceConfigError

__all__ = [
    "HokkaidoHarvesterBase",
    "ImportOutcome",
    "LIMIT",
    "TimeLimit",
]

log = logging.getLogger(__name__)

@dataclasses.dataclass
class TimeLimit:
    """The time limit a run gives one source (set by
    :mod:`ckanext.hokkaido.harvest.nightly` in the thread running the job,
    through :data:`LIMIT`): no request starts after ``deadline``
    (``time.monotonic()``), and the gather says so in ``reached`` when the
    limit stopped its reading — a value, not a message to look for."""

    deadline: float
    reached: bool = False


#: the time limit of the job this thread runs (``None``, the default: none)
LIMIT: contextvars.ContextVar[Optional[TimeLimit]] = contextvars.ContextVar("hokkaido_harvest_limit",
                                                                           default=None)


def _caused_by(exc: BaseException, kind: type) -> bool:
    """Whether ``exc`` or an exception it was raised from is a ``kind``."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, kind):
            return True
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return False


def _now() -> datetime:
    return datetime.now(timezone.utc)


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
        """Parse and check a source's JSON config (cached per config text):
        :func:`ckanext.hokkaido.harvest.source_config.parse`.

        :raises SourceConfigError: with a message in Japanese and English.
        """
        key = (self.kind, config_str or "")
        settings = self._parsed.get(key)
        if settings is None:
            settings = source_config.parse(config_str, self.kind, self.check_adapter_config)
            if len(self._parsed) > 1000:
                self._parsed.clear()
            self._parsed[key] = settings
        return settings

    def make_adapter(self, url: str, config: dict[str, Any], client: HttpClient) -> SourceAdapter:
        """The adapter for one source."""
        return adapter_class(self.kind)(url, config, client)

    @staticmethod
    def make_client(api_key: Optional[str] = None, url: Optional[str] = None) -> HttpClient:
        """The portal's client (:func:`ckanext.hokkaido.outbound.make_client`)
        with the job's time limit, if it runs under one (:data:`LIMIT`)."""
        limit = LIMIT.get()
        return outbound.make_client(api_key, url, deadline=limit.deadline if limit is not None else None)

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

        held = identity.held_datasets(source.id)
        full = gathering.wants_full_listing(source, harvest_job, settings)
        since = None if full else gathering.incremental_since(source, harvest_job)
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
            limit = LIMIT.get()
            if limit is not None and _caused_by(exc, outbound.TimeLimitExceeded):
                limit.reached = True
        except ValueError as exc:  # a record the adapter could not normalise
            failure = ("データセットを正規化できませんでした / a record could not be normalised", str(exc))
        finally:
            client.close()

        ids = gathering.create_objects(harvest_job, records, "full" if full else "incremental", settings.force)
        gathering.record_problems(harvest_job, list(getattr(adapter, "problems", None) or []))
        if failure is not None:
            self._gather_error(
                harvest_job,
                f"ハーベスト元を読めませんでした: {failure[0]}. 取得できた {len(records)} 件のみ取り込み、"
                f"削除は行いません (reading the source failed; {len(records)} records read are imported, "
                "no dataset is withdrawn)", failure[1], read_failure=not records)
            return ids
        if listed is not None:
            ids += gathering.create_withdrawals(harvest_job, held, set(listed) | {r.identifier for r in records},
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
        current = identity.current_object(harvest_object.harvest_source_id, harvest_object.guid)
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

    # -- import helpers -----------------------------------------------------

    def _context(self) -> dict[str, Any]:
        return {"model": model, "session": model.Session, "user": self._get_user_name(), "ignore_auth": True}

    @staticmethod
    def _extra(harvest_object: HarvestObject, key: str) -> str | None:
        for extra in harvest_object.extras:
            if extra.key == key:
                return extra.value
        return None

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
        publisher.check_publishes_for(self._job_facts(harvest_object), harvest_object, code)
        record = self._without_unsafe_links(harvest_object, record)
        unmapped = merging.harvested_licence(record)[1]
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
        previous = identity.latest_with_package(source.id, record.identifier)
        package = model.Package.get(previous.package_id) if previous is not None else None
        portal = identity.portal_key(source.url)
        name = package.name if package is not None else identity.dataset_name(code, portal, record.identifier)
        if package is None:
            package = model.Package.by_name(name)
            previous = None
        fields = merging.dataset_fields(record, _now())
        # may commit: before the locks
        owner_org = publisher.organization(self._job_facts(harvest_object), self._context(), code, fields)
        identity.lock_remote_dataset(portal, record)
        identity.check_not_duplicate(package, source, record)

        # nothing here reads the result; the commit below is the only one (the
        # activity of the dataset follows defer_commit too, so it is written with it)
        context = {**self._context(), "return_id_only": True, "defer_commit": True}
        if package is None:
            package_id = toolkit.get_action("package_create")(
                context, {"name": name, "owner_org": owner_org, "private": False, **fields})
            # before the commit, which indexes the dataset with its harvest object
            identity.make_current(harvest_object, package_id, created=True)
            outcome = "added"
        else:
            existing = toolkit.get_action("package_show")(self._context(), {"id": package.id})
            previous_fields = None
            if previous is not None and previous.content:
                previous_fields = merging.dataset_fields(Record(**json.loads(previous.content)), _now())
            data = merging.merge(existing, fields, previous_fields, settings.not_overwrite_fields)
            data.update(owner_org=owner_org, state="active")
            # the update is the dataset's modification: CKAN 2.11 stamps it always,
            # 2.12 only when the data does not carry the old stamp (the show's)
            data.pop("metadata_modified", None)
            # CKAN 2.12 says a dataset changed (for its activity) only when it
            # commits itself; the record's hash changed, so the dataset did
            context["changed_entities"] = {"packages": {package.id}}
            toolkit.get_action("package_update")(context, data)
            identity.make_current(harvest_object, package.id)
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
        owner = identity.owner(package.id)
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

    @staticmethod
    def _object_error(harvest_object: HarvestObject, reason: str, stage: str,
                      detail: Optional[str] = None) -> None:
        """``reason`` is public: our words only; ``detail`` may quote the source."""
        errors.object_error(harvest_object, f"{harvest_object.guid}: {reason}", stage, detail)
