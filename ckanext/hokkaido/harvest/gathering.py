"""What gather writes: which listing a run asks for (full, or the changes
since the last clean run), one harvest object per record read — stored as
done at once when its hash is the one last imported — one per dataset the
source no longer lists, and the adapter's record-level problems.
"""
from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta, timezone

import sqlalchemy as sa

from ckan import model

from ckanext.harvest.model import HarvestGatherError, HarvestJob, HarvestObject, HarvestObjectExtra, HarvestSource

from harvesters.records import Record

from ckanext.hokkaido.harvest import errors
from ckanext.hokkaido.harvest.source_config import HarvestSettings

__all__ = ["INCREMENTAL_MARGIN", "create_objects", "create_withdrawals", "incremental_since", "record_problems",
           "wants_full_listing"]

#: Incremental runs ask for changes since the last clean run minus this margin
#: (the remote clock may differ from ours; the hash skips what did not change).
INCREMENTAL_MARGIN = timedelta(hours=1)


def clean_jobs(source: HarvestSource, harvest_job: HarvestJob):
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

def wants_full_listing(source: HarvestSource, harvest_job: HarvestJob,
                        settings: HarvestSettings) -> bool:
    if settings.force or settings.full_listing_every <= 0:
        return True
    full_objects = sa.exists().where(sa.and_(
        HarvestObject.harvest_job_id == HarvestJob.id,
        HarvestObjectExtra.harvest_object_id == HarvestObject.id,
        HarvestObjectExtra.key == "listing", HarvestObjectExtra.value == "full"))
    last_full = clean_jobs(source, harvest_job).filter(full_objects).first()
    if last_full is None:
        return True
    return datetime.utcnow() - last_full.gather_started >= timedelta(days=settings.full_listing_every)

def incremental_since(source: HarvestSource, harvest_job: HarvestJob) -> datetime | None:
    last = clean_jobs(source, harvest_job).first()
    if last is None:
        return None
    return last.gather_started.replace(tzinfo=timezone.utc) - INCREMENTAL_MARGIN

def create_objects(harvest_job: HarvestJob, records: list[Record], listing: str,
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

def create_withdrawals(harvest_job: HarvestJob, held: dict[str, str], listed: set[str],
                        settings: HarvestSettings) -> list[str]:
    gone = sorted(set(held) - listed)
    if not gone:
        return []
    if len(listed) < settings.min_listing_ratio * len(held):
        errors.gather_error(
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


def record_problems(harvest_job: HarvestJob, problems: list) -> None:
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
