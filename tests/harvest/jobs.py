"""Run one harvest job in-process, as ckanext-harvest's queue consumers
would (gather → fetch → import), with the harvester of the source's type."""
from __future__ import annotations

from typing import Any

from ckan.plugins import PluginImplementations, toolkit

from ckanext.harvest.interfaces import IHarvester
from ckanext.harvest.model import HarvestJob
from ckanext.harvest.tests.lib import run_harvest_job


def harvester_for(source_type: str) -> Any:
    return next(p for p in PluginImplementations(IHarvester)
                if p.info()["name"] == source_type)


def run_job(source: dict[str, Any], context: dict[str, Any]) -> dict[str, Any]:
    """Run a new job of ``source``; return its ``hokkaido_harvest_report``."""
    job = toolkit.get_action("harvest_job_create")(
        dict(context), {"source_id": source["id"], "run": False})
    run_harvest_job(HarvestJob.get(job["id"]), harvester_for(source["source_type"]))
    return toolkit.get_action("hokkaido_harvest_report")(dict(context), {"id": job["id"]})
