"""Plugins of the harvest subpackage.

``hokkaido_harvest`` registers the report action and the harvest config
options; ``hokkaido_ckan_harvester``, ``hokkaido_shirasagi_harvester``,
``hokkaido_dcat_harvester``, ``hokkaido_catalog_csv_harvester`` and
``hokkaido_webpage_harvester`` are the ckanext-harvest harvesters, one per
kind of portal. All need ckanext-harvest's ``harvest`` plugin.
"""
from __future__ import annotations

import os

from ckan import plugins
from ckan.plugins import toolkit

from ckanext.hokkaido.harvest import logic
from ckanext.hokkaido.harvest.ckan import HokkaidoCkanHarvester
from ckanext.hokkaido.harvest.kinds import (HokkaidoCatalogCsvHarvester,
                                            HokkaidoDcatHarvester,
                                            HokkaidoShirasagiHarvester,
                                            HokkaidoWebpageHarvester)

__all__ = ["HokkaidoHarvestPlugin", "HokkaidoCkanHarvester",
           "HokkaidoShirasagiHarvester", "HokkaidoDcatHarvester",
           "HokkaidoCatalogCsvHarvester", "HokkaidoWebpageHarvester"]

_HERE = os.path.dirname(os.path.abspath(__file__))


@toolkit.blanket.actions(logic)
@toolkit.blanket.config_declarations(os.path.join(_HERE, "config_declaration.yaml"))
class HokkaidoHarvestPlugin(plugins.SingletonPlugin):
    """The ``hokkaido_harvest_report`` action and ``ckanext.hokkaido.harvest.*`` options."""
