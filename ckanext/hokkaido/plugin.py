"""The ``hokkaido`` CKAN plugin: schema wiring, facets and templates."""
from __future__ import annotations

from collections import OrderedDict
from typing import Any

from ckan import plugins
from ckan.plugins import toolkit

#: facets added to the dataset search page and to package_search, with
#: Japanese labels (the UI's default locale is ja)
FACETS = OrderedDict([
    ("category", "分類"),
    ("update_frequency", "更新頻度"),
    ("file_format", "ファイル形式"),
    ("department", "部局"),
    ("municipality_code", "市町村"),
    ("standard_dataset", "標準データセット"),
])


@toolkit.blanket.cli
@toolkit.blanket.helpers
@toolkit.blanket.validators
@toolkit.blanket.config_declarations
class HokkaidoPlugin(plugins.SingletonPlugin):
    plugins.implements(plugins.IConfigurer)
    plugins.implements(plugins.IFacets, inherit=True)

    # IConfigurer

    def update_config(self, config: Any) -> None:
        toolkit.add_template_directory(config, "templates")

    # IFacets

    def dataset_facets(self, facets_dict: "OrderedDict[str, Any]",
                       package_type: str) -> "OrderedDict[str, Any]":
        facets_dict.update(FACETS)
        return facets_dict
