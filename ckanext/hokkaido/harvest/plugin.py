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

from harvesters.errors import public_url

from ckanext.hokkaido.harvest import action, auth, errors, indexing, tokens, views
from ckanext.hokkaido.harvest.kinds import (HokkaidoCatalogCsvHarvester, harvester_title,
                                            HokkaidoCkanHarvester,
                                            HokkaidoDcatHarvester,
                                            HokkaidoShirasagiHarvester,
                                            HokkaidoWebpageHarvester)

__all__ = ["HokkaidoHarvestPlugin", "HokkaidoCkanHarvester",
           "HokkaidoShirasagiHarvester", "HokkaidoDcatHarvester",
           "HokkaidoCatalogCsvHarvester", "HokkaidoWebpageHarvester"]

_HERE = os.path.dirname(os.path.abspath(__file__))

#: ckanext-harvest's frequencies → their words in ckanext-hokkaido's catalogue
FREQUENCIES = {"MANUAL": "Manual", "DAILY": "Daily", "WEEKLY": "Weekly",
               "BIWEEKLY": "Biweekly", "MONTHLY": "Monthly", "ALWAYS": "Always"}


@toolkit.blanket.actions(action)
@toolkit.blanket.blueprints(views)
@toolkit.blanket.auth_functions(auth)
@toolkit.blanket.config_declarations(os.path.join(_HERE, "config_declaration.yaml"))
class HokkaidoHarvestPlugin(plugins.SingletonPlugin):
    """The ``hokkaido_harvest_report`` action, ``ckanext.hokkaido.harvest.*``
    options, the note of datasets written while the nightly run defers
    search indexing (:mod:`ckanext.hokkaido.harvest.indexing`), the chained
    actions that keep tokens write-only and unguarded source types from
    running, and the confirmation of ckanext-harvest's state-changing links
    (:mod:`ckanext.hokkaido.harvest.views`; its template, like the source
    form that replaces ckanext-harvest's, is in the ``hokkaido`` plugin's
    template directory, which must come before ``harvest`` in ckan.plugins)."""

    plugins.implements(plugins.IDomainObjectModification, inherit=True)

    # IDomainObjectModification

    def notify(self, entity, operation):
        indexing.note(entity)

    # Tokens: harvest sources' API tokens are write-only (harvest/tokens.py)

    plugins.implements(plugins.IConfigurable)
    plugins.implements(plugins.IPackageController, inherit=True)

    # IConfigurable

    def configure(self, config):
        tokens.install_log_redaction()

    # IPackageController

    def after_dataset_show(self, context, pkg_dict):
        """A harvest source's token is shown as the mask, to everyone and in
        everything built from package_show (API, form, activity, index).
        Its URL is shown whole to sysadmins and the source's organization
        (who edit it), to others without credentials and with
        secret-looking query values masked (:func:`harvesters.errors.public_url`)."""
        if pkg_dict.get("type") == "harvest":
            if "config" in pkg_dict:
                pkg_dict["config"] = tokens.mask_config(pkg_dict["config"])
            extras = pkg_dict.get("extras")
            if isinstance(extras, dict):  # CKAN 2.12: a mapping
                if "config" in extras:
                    extras["config"] = tokens.mask_config(extras["config"])
            for extra in extras if isinstance(extras, list) else []:  # CKAN 2.11: key/value pairs
                if isinstance(extra, dict) and extra.get("key") == "config":
                    extra["value"] = tokens.mask_config(extra.get("value"))
            # the search index keeps the URL whole (its reads are ignore_auth
            # and unvalidated; package_show may answer from it): every reader
            # gets it masked here or in after_dataset_search
            index_read = context.get("ignore_auth") and context.get("validate") is False
            if pkg_dict.get("url") and not index_read \
                    and not errors.may_read_detail(context, pkg_dict.get("id") or ""):
                pkg_dict["url"] = public_url(pkg_dict["url"])

    def before_dataset_index(self, pkg_dict):
        """No token reaches the search index, whatever read CKAN builds the
        document from (CKAN 2.12 stores a copy read without
        ``after_dataset_show``): every text of a harvest source's document
        is redacted (:func:`tokens.redact`: the config's ``api_key`` value)."""
        if pkg_dict.get("type") == "harvest" or pkg_dict.get("dataset_type") == "harvest":
            for key, value in list(pkg_dict.items()):
                if isinstance(value, str):
                    pkg_dict[key] = tokens.redact(value)
        return pkg_dict

    def after_dataset_search(self, search_results, search_params):
        """Search results are public: harvest source URLs as others see them.
        The facets of the source list name types and frequencies in words."""
        for result in search_results.get("results") or []:
            if isinstance(result, dict) and result.get("type") == "harvest" and result.get("url"):
                result["url"] = public_url(result["url"])
        facets = search_results.get("search_facets") or {}
        for item in facets.get("source_type", {}).get("items", []):
            item["display_name"] = harvester_title(item["name"])
        for item in facets.get("frequency", {}).get("items", []):
            label = FREQUENCIES.get(item["name"])
            item["display_name"] = toolkit._(label) if label else item["name"]
        return search_results

    # IFacets: ckanext-harvest's facet titles are English literals

    plugins.implements(plugins.IFacets, inherit=True)

    def dataset_facets(self, facets_dict, package_type):
        if package_type == "harvest":
            for field_name, title in (("frequency", "Frequency"), ("source_type", "Source type")):
                if field_name in facets_dict:
                    facets_dict[field_name] = toolkit._(title)
        return facets_dict
