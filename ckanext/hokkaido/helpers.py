"""Template helpers; every public name carries the ``hokkaido_`` prefix."""
from __future__ import annotations

from typing import Any

from ckan.plugins import toolkit

from ckanext.hokkaido import maps, registry, tracker

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
    "hokkaido_publisher_of",
    "hokkaido_date",
    "hokkaido_api_example",
    "hokkaido_map_outline",
    "hokkaido_map_attribution",
    "hokkaido_page_carries_csrf",
    "render_datetime",
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
    """A harvest source type by its harvester's title
    (:func:`ckanext.hokkaido.harvest.kinds.harvester_title`)."""
    from ckanext.hokkaido.harvest.kinds import harvester_title
    return harvester_title(source_type)


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


@toolkit.chained_helper
def render_datetime(next_helper: Any, datetime_: Any, date_format: Any = None, with_hours: bool = False,
                    with_seconds: bool = False) -> str:
    """CKAN's ``render_datetime``, in Japanese order on Japanese pages.

    CKAN writes a time with its hours in English order whatever the language
    (「12月 7, 2026, 12:24 (JST)」); here a Japanese page reads 「2026年12月7日
    12:24」 in the display time zone (``ckan.display_timezone``: JST). Dates
    without hours, English pages and explicit formats stay CKAN's."""
    if date_format or not (with_hours or with_seconds) or toolkit.h.lang() != "ja":
        return next_helper(datetime_, date_format, with_hours, with_seconds)
    import datetime as dt
    if isinstance(datetime_, str):
        try:
            datetime_ = toolkit.h.date_str_to_datetime(datetime_)
        except (TypeError, ValueError):
            return ""
    if not isinstance(datetime_, dt.datetime):
        return ""
    # stored times are UTC (CKAN's rule); shown in the display time zone
    value = (datetime_ if datetime_.tzinfo else datetime_.replace(tzinfo=dt.timezone.utc)).astimezone(
        toolkit.h.get_display_timezone())
    clock = f"{value:%H:%M:%S}" if with_seconds else f"{value:%H:%M}"
    return f"{value.year}年{value.month}月{value.day}日 {clock}"


def hokkaido_publisher_of(package: dict[str, Any]) -> str:
    """Who publishes a dataset, for a search result: its municipality, or
    for the prefecture's own, 北海道 and the department (部局)."""
    code = package.get("municipality_code") or ""
    name = registry.name_of(code) if code else None
    if code == registry.PREFECTURE_CODE:
        department = package.get("department") or ""
        return f"{name} {department}".strip()
    if name:
        return name
    organization = package.get("organization") or {}
    return organization.get("title") or ""


def hokkaido_date(value: Any) -> str:
    """A date as the page's language writes it (2026年12月7日 / December 7,
    2026); a date-time is shown in the display time zone; '' for what is
    not a date (a repeating interval such as R/P1D reads as "continuously")."""
    text = str(value or "")
    if text.startswith("R"):
        return toolkit._("continuously updated")
    return toolkit.h.render_datetime(text) if text[:4].isdigit() else ""


def hokkaido_api_example(resource_id: str) -> dict[str, str]:
    """A column, a value of it and a word inside it, from a loaded table's
    quick analysis, for the Data API popup's examples (CKAN's say "jones"
    and "watershed"); a generic Japanese example while there is none."""
    example = {"column": "住所", "value": "中央区", "word": "中央"}
    try:
        profile = toolkit.get_action("hokkaido_table_profile")({}, {"resource_id": resource_id})
    except (toolkit.ObjectNotFound, toolkit.NotAuthorized, toolkit.ValidationError):
        return example
    for column in profile.get("columns") or []:
        top = [t for t in (column.get("top") or []) if str(t.get("value") or "").strip()]
        if column.get("type") == "text" and top:
            value = str(top[0]["value"])
            return {"column": column["name"], "value": value, "word": value[:2] if len(value) > 2 else value}
    return example


def hokkaido_map_outline() -> Any:
    """Hokkaido's land and municipal borders as SVG path data
    (:func:`ckanext.hokkaido.maps.outline`)."""
    return maps.outline()


def hokkaido_map_attribution() -> str:
    """The source of the maps' boundaries, to print under a map (the credit
    the MLIT's terms ask for)."""
    return toolkit._("Boundaries: National Land Numerical Information (administrative areas, "
                     "2021), MLIT, processed by this portal")


def hokkaido_page_carries_csrf() -> bool:
    """Whether the page renders CKAN's CSRF token (an anonymous visitor's
    read-only pages do not: :func:`ckanext.hokkaido.security.csrf.page_carries_token`)."""
    from ckanext.hokkaido.security.csrf import page_carries_token
    return page_carries_token()
