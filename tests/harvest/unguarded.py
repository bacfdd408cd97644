"""A test-only harvester of another extension's kind: it fetches with its
own code (plain ``requests``), not through the portal's guarded client, as
ckanext-harvest's stock ``ckan_harvester`` does. Registered as the
``ckan.test_plugins`` entry point ``hokkaido_test_unguarded_harvester``."""
from __future__ import annotations

import requests

from ckan import plugins

from ckanext.harvest.interfaces import IHarvester

TYPE = "test_unguarded"


class UnguardedHarvester(plugins.SingletonPlugin):
    plugins.implements(IHarvester)

    def info(self):
        return {"name": TYPE, "title": "Unguarded (test)", "description": "fetches with requests.get"}

    def validate_config(self, config):
        return config

    def gather_stage(self, harvest_job):
        requests.get(harvest_job.source.url, timeout=5)
        return []

    def fetch_stage(self, harvest_object):
        return True

    def import_stage(self, harvest_object):
        return True
