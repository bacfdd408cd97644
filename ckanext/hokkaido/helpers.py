"""Template helpers; every public name carries the ``hokkaido_`` prefix."""
from __future__ import annotations

from typing import Any

from ckan.plugins import toolkit

from ckanext.hokkaido import registry, tracker

__all__ = [
    "hokkaido_standard_dataset_choices",
    "hokkaido_municipality_choices",
    "hokkaido_municipality_name",
    "hokkaido_stale_months",
    "hokkaido_status_label",
    "hokkaido_harvester_title",
    "hokkaido_front_page",
    "hokkaido_use_cases_of",
    "hokkaido_data_request_status_label",
    "hokkaido_table_profile",
]


def hokkaido_standard_dataset_choices(field: Any = None) -> list[dict[str, str]]:
    """Choices for the standard-dataset field (scheming ``choices_helper``)."""
    return [{"value": s.no, "label": f"{s.no} {s.name}"}
            for s in registry.standard_datasets()]


def hokkaido_municipality_choices(field: Any = None) -> list[dict[str, str]]:
    """The prefecture and the 179 municipalities, as scheming choices."""
    choices = [{"value": registry.PREFECTURE_CODE,
                "label": f"{registry.PREFECTURE_CODE} {registry.PREFECTURE_NAME}"}]
    choices += [{"value": m.code, "label": f"{m.code} {m.name}"}
                for m in registry.municipalities()]
    return choices


def hokkaido_municipality_name(code: str) -> str:
    """Japanese name of a municipality code; the code itself if unknown."""
    return registry.name_of(code) or code


def hokkaido_stale_months() -> int:
    """``ckanext.hokkaido.stale_months``: how long data stays fresh, and a
    他サイトで公開 record stays current."""
    return tracker.stale_months()


def hokkaido_status_label(status: str) -> str:
    """A tracker status (stored and answered in Japanese: 公開中 …) in the
    page's language."""
    label = tracker.STATUS_LABELS.get(status)
    return toolkit._(label) if label else status


def hokkaido_harvester_title(source_type: str) -> str:
    """A harvest source type by its harvester's title (``hokkaido_ckan`` →
    the CKAN harvester's title); the type itself if no harvester has it."""
    try:
        infos = toolkit.get_action("harvesters_info_show")({}, {})
    except KeyError:  # ckanext-harvest not loaded
        return source_type
    return next((i["title"] for i in infos if i["name"] == source_type), source_type)


def hokkaido_front_page() -> dict[str, Any]:
    """The front page's figures and lists (:mod:`ckanext.hokkaido.front_page`)."""
    from ckanext.hokkaido.front_page import front_page
    return front_page()


def hokkaido_use_cases_of(package_id: str) -> list[dict[str, Any]]:
    """The use cases that use a dataset, newest first (the dataset page)."""
    return toolkit.get_action("hokkaido_use_case_list")(
        {"user": toolkit.current_user.name if toolkit.current_user.is_authenticated else ""},
        {"dataset": package_id})["results"]


def hokkaido_data_request_status_label(status: str) -> str:
    """A data request's status in the page's language (受付, 検討中 …)."""
    from ckanext.hokkaido.community.data_requests import STATUSES
    english, japanese = STATUSES.get(status, (status, status))
    return japanese if toolkit.h.lang() == "ja" else toolkit._(english)


def hokkaido_table_profile(resource_id: str) -> dict[str, Any]:
    """The resource's table and its quick analysis, as the API gives it to
    the visitor (``status`` ``none`` when there is nothing to show)."""
    try:
        return toolkit.get_action("hokkaido_table_profile")(
            {"user": toolkit.current_user.name if toolkit.current_user.is_authenticated else ""},
            {"resource_id": resource_id})
    except (toolkit.ObjectNotFound, toolkit.NotAuthorized):
        return {"status": "none", "columns": []}
