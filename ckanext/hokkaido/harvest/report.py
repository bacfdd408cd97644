"""One report per harvest run: counters and the errors a person can act on."""
from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from ckan import model

from ckanext.harvest.model import (
    HarvestGatherError,
    HarvestJob,
    HarvestObject,
    HarvestObjectError,
    HarvestObjectExtra,
)

from ckanext.hokkaido.harvest import errors as error_details

__all__ = ["COUNTERS", "job_report"]

#: The counters of a run, in display order.
COUNTERS = ("found", "created", "updated", "unchanged", "deleted", "errored")

_STATUS_COUNTER = {"added": "created", "updated": "updated", "not modified": "unchanged", "deleted": "deleted"}


def _iso(moment: Any) -> str | None:
    # ckanext-harvest's harvest_jobs_run may store job.finished as a string
    if moment is None:
        return None
    return moment.isoformat() if hasattr(moment, "isoformat") else str(moment)


def job_report(job: HarvestJob, with_detail: bool = False) -> dict[str, Any]:
    """The report of one harvest job.

    ``found`` counts the records read from the source (objects other than
    withdrawals), ``created``/``updated``/``unchanged``/``deleted`` the
    objects' report status, ``errored`` the records that failed (a record
    that imported with a warning is not one) plus the errors of the gather
    stage (a source that could not be read). ``errors``
    lists each one with the record identifier (``None`` for gather errors),
    the stage and the message, which is public (see
    :mod:`ckanext.hokkaido.harvest.errors`); ``with_detail`` adds each
    error's ``detail`` (or ``None``), for those who may read it.
    """
    session = model.Session
    counters = dict.fromkeys(COUNTERS, 0)
    withdrawal = sa.exists().where(sa.and_(HarvestObjectExtra.harvest_object_id == HarvestObject.id,
                                           HarvestObjectExtra.key == "status",
                                           HarvestObjectExtra.value == "delete"))
    counters["found"] = (session.query(sa.func.count(HarvestObject.id))
                         .filter(HarvestObject.harvest_job_id == job.id).filter(~withdrawal).scalar())
    for status, count in (session.query(HarvestObject.report_status, sa.func.count(HarvestObject.id))
                          .filter(HarvestObject.harvest_job_id == job.id)
                          .group_by(HarvestObject.report_status)):
        if status in _STATUS_COUNTER:
            counters[_STATUS_COUNTER[status]] += count

    errors: list[dict[str, Any]] = []
    for error in (session.query(HarvestGatherError).filter(HarvestGatherError.harvest_job_id == job.id)
                  .order_by(HarvestGatherError.created)):
        errors.append({"id": error.id, "identifier": None, "stage": "Gather", "message": error.message})
    errored_objects: set[str] = set()
    for error, guid, status in (session.query(HarvestObjectError, HarvestObject.guid, HarvestObject.report_status)
                                .join(HarvestObject, HarvestObject.id == HarvestObjectError.harvest_object_id)
                                .filter(HarvestObject.harvest_job_id == job.id)
                                .order_by(HarvestObjectError.created)):
        if status not in _STATUS_COUNTER:  # a warning on a record that imported is not an error
            errored_objects.add(error.harvest_object_id)
        errors.append({"id": error.id, "identifier": guid, "stage": error.stage, "message": error.message})
    failed_silently = (session.query(HarvestObject.id).filter(HarvestObject.harvest_job_id == job.id)
                       .filter(HarvestObject.state == "ERROR"))
    errored_objects.update(obj_id for (obj_id,) in failed_silently)
    counters["errored"] = len(errored_objects) + sum(
        1 for e in errors if e["stage"] == "Gather" and e["identifier"] is None)

    found = error_details.details(e["id"] for e in errors) if with_detail else {}
    for error in errors:
        error_id = error.pop("id")
        if with_detail:
            error["detail"] = found.get(error_id)

    listing = (session.query(HarvestObjectExtra.value)
               .join(HarvestObject, HarvestObject.id == HarvestObjectExtra.harvest_object_id)
               .filter(HarvestObject.harvest_job_id == job.id)
               .filter(HarvestObjectExtra.key == "listing").first())
    return {
        "job_id": job.id,
        "source_id": job.source_id,
        "source_title": job.source.title if job.source else None,
        "status": job.status,
        "gather_started": _iso(job.gather_started),
        "finished": _iso(job.finished),
        "listing": listing[0] if listing else None,
        "counters": counters,
        "errors": errors,
    }
