"""Actions of the ``hokkaido_harvest`` plugin."""
from __future__ import annotations

from typing import Any

from ckan import model
from ckan.plugins import toolkit
from ckan.types import Context, DataDict

from ckanext.harvest.model import HarvestJob, HarvestSource

from ckanext.hokkaido.harvest.report import job_report

__all__ = ["hokkaido_harvest_report"]


@toolkit.side_effect_free
def hokkaido_harvest_report(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """The report of one harvest run: counters and errors.

    :param id: a harvest job id, or
    :type id: string
    :param source_id: a harvest source id or name, for its latest job
    :type source_id: string

    :returns: ``job_id``, ``source_id``, ``source_title``, ``status``,
        ``gather_started``, ``finished``, ``listing`` (``full`` or
        ``incremental``), ``counters`` (``found``, ``created``, ``updated``,
        ``unchanged``, ``deleted``, ``errored``) and ``errors`` (each with
        ``identifier``, ``stage`` and ``message``).
    :rtype: dict
    """
    job_id = data_dict.get("id")
    source_id = data_dict.get("source_id")
    if not job_id and not source_id:
        raise toolkit.ValidationError({"id": ["id（ジョブID）か source_id を指定してください "
                                              "(give a job id or a source_id)"]})
    if job_id:
        job = HarvestJob.get(job_id)
    else:
        source = HarvestSource.get(source_id)
        if source is None:  # a harvest source's dataset name
            package = model.Package.get(source_id)
            source = HarvestSource.get(package.id) if package is not None else None
        if source is None:
            raise toolkit.ObjectNotFound(f"harvest source {source_id} not found")
        job = (HarvestJob.filter(source_id=source.id).order_by(HarvestJob.created.desc()).first())
    if job is None:
        raise toolkit.ObjectNotFound("harvest job not found")
    toolkit.check_access("harvest_job_show", context, {"id": job.id})
    return job_report(job)
