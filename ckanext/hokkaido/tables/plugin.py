"""The ``hokkaido_tables`` plugin: searching inside tables.

CKAN's DataStore insists on being the first IDatastore plugin loaded, so
this hook lives in a plugin of its own, listed after ``datastore`` in
``ckan.plugins``. The chained ``datastore_search``
(:mod:`ckanext.hokkaido.tables.action`) takes a plain ``q`` out of the
DataStore's hands and leaves it in the context; here it becomes the
conditions of :mod:`ckanext.hokkaido.tables.search`.
"""
from __future__ import annotations

from typing import Any

from ckan import plugins
from ckanext.datastore.interfaces import IDatastore

from ckanext.hokkaido.tables import search


class HokkaidoTablesPlugin(plugins.SingletonPlugin):
    plugins.implements(IDatastore, inherit=True)

    # IDatastore

    def datastore_search(self, context: Any, data_dict: dict[str, Any], fields_types: dict[str, str],
                         query_dict: dict[str, Any]) -> dict[str, Any]:
        q = context.get(search.CONTEXT_KEY)
        if q:
            query_dict["where"] += search.where_clauses(context["connection"], data_dict["resource_id"], q,
                                                         fields_types)
        return query_dict
