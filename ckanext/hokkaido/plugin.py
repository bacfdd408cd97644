"""The ``hokkaido`` CKAN plugin: schema wiring, facets and templates."""
from __future__ import annotations

import functools
import logging
from collections import OrderedDict
from typing import Any

from ckan import plugins
from ckan.lib.plugins import DefaultTranslation
from ckan.plugins import toolkit
from ckanext.xloader.interfaces import IXloader

from ckanext.hokkaido import licences, registry, romaji, tables, views
from ckanext.hokkaido.community import action as community_action
from ckanext.hokkaido.community import auth as community_auth
from ckanext.hokkaido.community import views as community_views
from ckanext.hokkaido.logic import action, auth
from ckanext.hokkaido.interop import dcat_views
from ckanext.hokkaido.interop import views as interop_views
from ckanext.hokkaido.mcp import views as mcp_views
from ckanext.hokkaido.security import action as security_action
from ckanext.hokkaido.security import csrf as csrf_rules
from ckanext.hokkaido.security import headers, uploads
from ckanext.hokkaido.sources import action as sources_action
from ckanext.hokkaido.sources import auth as sources_auth
from ckanext.hokkaido.sources import views as sources_views
from ckanext.hokkaido.standard import action as standard_action
from ckanext.hokkaido.standard import auth as standard_auth
from ckanext.hokkaido.standard import views as standard_views
from ckanext.hokkaido.tables import action as tables_action
from ckanext.hokkaido.tables import views as tables_views

log = logging.getLogger(__name__)

#: facets added to the dataset search page and to package_search: an
#: English message id for the page (translated by the portal's catalogue)
#: and the Japanese title the API answers with (the portal's language)
FACETS = OrderedDict([
    ("municipality_code", ("Municipality", "市町村")),
    ("department", ("Department", "部局")),
    ("category", ("Category", "分類")),
    ("standard_dataset", ("Standard dataset", "標準データセット")),
    ("res_format", ("File format", "ファイル形式")),
    ("update_frequency", ("Update frequency", "更新頻度")),
    ("tags", ("Tags", "タグ")),
    ("license_id", ("Licence", "ライセンス")),
    ("publishable", ("Publishable", "公開可否")),
])


@functools.lru_cache(maxsize=1)
def _municipality_names() -> frozenset[str]:
    """北海道 and the 179 names, as tags write them (札幌市, 札幌)."""
    names = {registry.PREFECTURE_NAME}
    for m in registry.municipalities():
        names.update((m.name, m.stem))
    return frozenset(names)


_KANA_SUFFIXES = {"市": ("シ",), "町": ("チョウ", "マチ"), "村": ("ムラ", "ソン")}


@functools.lru_cache(maxsize=256)
def _names_of(municipality: Any) -> list[str]:
    """What a municipality is called, each a whole word for the
    ``municipality_names`` field: 札幌市, 札幌, サッポロシ, サッポロ, sapporo
    (hiragana is folded to katakana by the field itself)."""
    names = [municipality.name, municipality.name_kana, municipality.stem]
    short_kana = municipality.name_kana
    if municipality.stem != municipality.name:
        for suffix in _KANA_SUFFIXES.get(municipality.name[-1], ()):
            if municipality.name_kana.endswith(suffix):
                short_kana = municipality.name_kana[:-len(suffix)]
                break
    names.append(short_kana)
    names += romaji.variants(short_kana) + romaji.variants(municipality.name_kana)
    return list(dict.fromkeys(n for n in names if n))


def _a_stewards_write(context: Any) -> bool:
    """A person's write (the web form, the API with their token), not the
    site's bulk (the harvest, the inventory import: the site user)."""
    user = (context or {}).get("user")
    return bool(user) and user != toolkit.config.get("ckan.site_id")


def _members(*modules: Any) -> Any:
    """What the modules export (``__all__``), for a blanket decorator."""
    return lambda: {name: getattr(module, name) for module in modules for name in module.__all__}


@toolkit.blanket.blueprints(lambda: [getattr(module, name) for module in (views, community_views, tables_views,
                                                                         standard_views, mcp_views, interop_views,
                                                                         sources_views)
                                     for name in module.__all__])
@toolkit.blanket.actions(_members(action, community_action, tables_action, security_action, standard_action,
                                  sources_action))
@toolkit.blanket.auth_functions(_members(auth, community_auth, standard_auth, sources_auth))
@toolkit.blanket.cli
@toolkit.blanket.helpers
@toolkit.blanket.validators
@toolkit.blanket.config_declarations
class HokkaidoPlugin(plugins.SingletonPlugin, DefaultTranslation):
    plugins.implements(plugins.IConfigurer)
    # Japanese for ckanext-harvest's screens and CKAN strings without one
    # (i18n/ja/LC_MESSAGES/ckanext-hokkaido.po, compiled by scripts/setup.sh)
    plugins.implements(plugins.ITranslation)
    plugins.implements(plugins.IFacets, inherit=True)
    plugins.implements(plugins.IPackageController, inherit=True)
    # ckanext-xloader's own download is refused: tables are fetched through
    # the harvest's guard and loaded by our job (ckanext/hokkaido/tables)
    plugins.implements(IXloader, inherit=True)
    # CSRF exemptions per request, frame-ancestors, uploads served as files
    # (ckanext/hokkaido/security); the DCAT catalogue's pages kept (interop/dcat_views.py)
    plugins.implements(plugins.IMiddleware, inherit=True)

    # IConfigurer

    def update_config(self, config: Any) -> None:
        toolkit.add_template_directory(config, "templates")
        toolkit.add_public_directory(config, "public")
        toolkit.add_resource("assets", "hokkaido")
        # the portal's own face and licences unless the site sets its own
        # (CKAN's generated ckan.ini names CKAN's logo and icon)
        if config.get("ckan.site_logo") in (None, "", "/base/images/ckan-logo.png"):
            config["ckan.site_logo"] = "/hokkaido/logo.svg"
        if config.get("ckan.favicon") in (None, "", "/base/images/ckan.ico"):
            config["ckan.favicon"] = "/hokkaido/favicon.svg"
        if not config.get("licenses_group_url"):
            config["licenses_group_url"] = "file://" + licences.LICENCES_FILE
        # Japanese column names stay as written (ckanext-xloader would spell
        # them in pinyin); the tables' loader relies on it
        config["ckanext.xloader.unidecode_headers"] = False

    # IMiddleware

    def make_middleware(self, app: Any, config: Any) -> Any:
        from ckan.config.middleware.flask_app import csrf
        csrf_rules.install(csrf)
        app.after_request(headers.add_headers)
        dcat_views.install(app)  # ckanext-dcat's catalogue pages kept, private datasets not found
        return app

    # IFacets

    def dataset_facets(self, facets_dict: "OrderedDict[str, Any]",
                       package_type: str) -> "OrderedDict[str, Any]":
        # one facet per meaning: 市町村 (the organization of a municipality
        # is its 市町村; the prefecture's sections are its 部局), one ファイル形式
        # (the resources' formats; the inventory's declared file_format stays
        # a field and an API facet), no groups (the portal has none)
        facets_dict.clear()
        facets_dict.update((field, toolkit._(title)) for field, (title, _ja) in FACETS.items())
        return facets_dict

    # IPackageController

    def before_dataset_search(self, search_params: dict[str, Any]) -> dict[str, Any]:
        # API callers who ask for no facets get ours, so that the portal's
        # facets are visible through package_search as on the search page
        search_params.setdefault("facet.field", list(FACETS))
        # the Japanese analyses of schemas/solr/derive_schema.py, weighted
        search_params.setdefault("qf", toolkit.config.get("ckanext.hokkaido.search.query_fields"))
        return search_params

    def before_dataset_index(self, pkg_dict: dict[str, Any]) -> dict[str, Any]:
        # the municipality's name and readings: さっぽろ, サッポロ and 札幌 find
        # 札幌市's datasets (the field municipality_names of the derived schema)
        code = pkg_dict.get("municipality_code")
        municipality = None
        if code == registry.PREFECTURE_CODE:
            municipality = registry.prefecture()
        elif isinstance(code, str):
            municipality = registry.get(code)
        if municipality is not None:
            # one value, the names separated by spaces (the field's analysis
            # splits at spaces only; CKAN's stock schema takes one value)
            pkg_dict["municipality_names"] = " ".join(_names_of(municipality))
        return pkg_dict

    def after_dataset_create(self, context: Any, pkg_dict: dict[str, Any]) -> None:
        tables.queue_changed(pkg_dict.get("id"), priority=_a_stewards_write(context))

    def after_dataset_update(self, context: Any, pkg_dict: dict[str, Any]) -> None:
        # the resources this write deleted leave no file, table or profile
        uploads.forget_deleted(pkg_dict.get("id"))
        tables.queue_changed(pkg_dict.get("id"), priority=_a_stewards_write(context))

    def after_dataset_search(self, search_results: dict[str, Any],
                             search_params: dict[str, Any]) -> dict[str, Any]:
        facets = search_results.get("search_facets", {})
        standard = {s.no: f"{s.no} {s.name}" for s in registry.standard_datasets()}
        for field_name, (_title, label) in FACETS.items():
            if field_name not in facets:
                continue
            facets[field_name]["title"] = label
            if field_name == "tags":
                # a tag that names a municipality is the 市町村 facet's business
                names = _municipality_names()
                facets[field_name]["items"] = [i for i in facets[field_name]["items"] if i["name"] not in names]
            for item in facets[field_name]["items"]:
                if field_name == "municipality_code":
                    item["display_name"] = registry.name_of(item["name"]) or item["name"]
                elif field_name == "standard_dataset":
                    item["display_name"] = standard.get(item["name"], item["name"])
        return search_results

    # IXloader

    def can_upload(self, resource_id: str) -> bool:
        log.info("xloader's download refused for %s: ckanext-hokkaido loads tables "
                 "through the harvest's address guard", resource_id)
        return False
