"""Actions of the publishing tracker and the search box's suggestions,
readable anonymously through ``/api/3/action/hokkaido_*``, and the chained
``package_update`` that keeps a draft without data from being published."""
from __future__ import annotations

import datetime as dt
import functools
import unicodedata
from typing import Any

from ckan import model
from ckan.plugins import toolkit

from harvesters.errors import public_url

from ckanext.hokkaido import registry, tracker
from ckanext.hokkaido.harvest import errors as harvest_errors
from ckanext.hokkaido.logic import schema
from ckanext.hokkaido.validation import validate as _validate

__all__ = [
    "hokkaido_municipality_list",
    "hokkaido_municipality_show",
    "hokkaido_publishing_summary",
    "hokkaido_publishing_history",
    "hokkaido_municipality_set_elsewhere",
    "hokkaido_search_suggest",
    "package_update",
]

#: the most suggestions of each kind an API caller gets
SUGGEST_LIMIT = 20


@toolkit.side_effect_free
def hokkaido_municipality_list(context, data_dict) -> list[dict[str, Any]]:
    """北海道's own row (``is_prefecture``, outside the 179 and the rate),
    then the 179 municipalities of Hokkaido with their publishing status and
    ``warnings`` (sources whose last run was not clean).

    :param subprefecture: only this 振興局, e.g. ``石狩振興局`` (optional)
    :type subprefecture: string
    :param status: only this status: 公開中, 更新停滞, 取得エラー,
        他サイトで公開 or 未確認 (or its English label) (optional)
    :type status: string
    :rtype: list of dictionaries
    """
    toolkit.check_access("hokkaido_municipality_list", context, data_dict)
    data = _validate(data_dict, schema.municipality_list(), context)
    rows = tracker.cached_statuses()
    if data.get("subprefecture"):
        rows = [r for r in rows if r["subprefecture"] == data["subprefecture"]]
    if data.get("status"):
        rows = [r for r in rows if r["status"] == data["status"]]
    return rows


def _merged_standard(code: str) -> set[str]:
    """The standard datasets whose merged table holds rows of ``code``."""
    import sqlalchemy as sa
    from ckan import model
    rows = model.Session.execute(sa.text(
        "SELECT DISTINCT standard_no FROM hokkaido_standard_source "
        "WHERE municipality_code = :code AND status = 'merged' AND rows > 0"), {"code": code})
    return {r.standard_no for r in rows}


@toolkit.side_effect_free
def hokkaido_municipality_show(context, data_dict) -> dict[str, Any]:
    """One municipality: status, sources with their last runs and errors,
    standard-dataset coverage, its newest public datasets and how many
    data requests its organization has (``data_requests``: ``total`` and
    by status).

    Errors are public messages in our own words; sysadmins and members of a
    source's organization also get each one's ``detail``. Source URLs are
    shown without credentials and with secret-looking query values masked.

    :param id: the 6-digit local government code, e.g. ``011002``
    :type id: string
    :rtype: dictionary
    """
    toolkit.check_access("hokkaido_municipality_show", context, data_dict)
    data = _validate(data_dict, schema.municipality_show(), context)
    code = data["id"]
    if registry.get(code) is None and code != registry.PREFECTURE_CODE:
        raise toolkit.ObjectNotFound(toolkit._("{code} is not a Hokkaido municipality").format(code=code))
    row = next(r for r in tracker.cached_statuses() if r["code"] == code)
    sources = tracker.cached_sources(code)
    for source in sources:
        source["url"] = public_url(source["url"])
        run = source["last_run"]
        if run and (run["gather_errors"] or run["objects_errored"]):
            run["errors"] = tracker.harvest_errors(
                run["job_id"], with_detail=harvest_errors.may_read_detail(context, source["id"]))
    have = set(row["standard_datasets"])
    merged = _merged_standard(code)
    row["sources"] = sources
    # published: a dataset says it is the standard dataset; merged: its rows
    # are in the prefecture-wide table in the national columns (standard/)
    row["standard_coverage"] = [
        {"no": s.no, "name": s.name, "present": s.no in have, "merged": s.no in merged}
        for s in registry.standard_datasets()]
    search = toolkit.get_action("package_search")
    found = search({"ignore_auth": True, "user": ""}, {
        "fq": f'municipality_code:"{code}"', "rows": 50,
        "sort": "metadata_modified desc", "facet.field": []})
    row["datasets"] = [{"name": p["name"], "title": p["title"],
                        "metadata_modified": p["metadata_modified"],
                        "source_url": p.get("source_url"),
                        "num_resources": p.get("num_resources", 0)}
                       for p in found["results"]]
    # data requests to its organization (hidden ones not counted)
    from ckanext.hokkaido.community import data_requests
    organization = model.Group.by_name(code)
    row["data_requests"] = data_requests.counts_by_organization(organization.id) if organization is not None \
        else {**{status: 0 for status in data_requests.STATUSES}, "total": 0}
    return row


@toolkit.side_effect_free
def hokkaido_publishing_summary(context, data_dict) -> dict[str, Any]:
    """Totals over the 179 municipalities: count per status, 実施率 with its
    definition, and the same figures by subprefecture.

    :rtype: dictionary
    """
    toolkit.check_access("hokkaido_publishing_summary", context, data_dict)
    return tracker.summarize(tracker.cached_statuses())


@toolkit.side_effect_free
def hokkaido_publishing_history(context, data_dict) -> dict[str, Any]:
    """The daily snapshots: count per status and 実施率 over time.

    :param days: how many days back (default 365)
    :type days: int
    :rtype: dictionary
    """
    toolkit.check_access("hokkaido_publishing_history", context, data_dict)
    data = _validate(data_dict, schema.publishing_history(), context)
    return {"definition": tracker.RATE_DEFINITION,
            "series": tracker.history(int(data.get("days") or 365))}


def hokkaido_municipality_set_elsewhere(context, data_dict) -> dict[str, Any]:
    """Record that a municipality publishes on a site the portal cannot
    harvest (他サイトで公開), or clear the record with an empty ``url``.

    :param id: the municipality's 6-digit code
    :type id: string
    :param url: the site's URL (http, https or ftp); empty clears the record
    :type url: string
    :param date: when a person checked it (YYYY-MM-DD; default today)
    :type date: string
    :param note: free text
    :type note: string
    :rtype: dictionary
    """
    toolkit.check_access("hokkaido_municipality_set_elsewhere", context, data_dict)
    data = _validate(data_dict, schema.set_elsewhere(), context)
    code = data["id"]
    org = model.Group.get(code)
    if org is None or not org.is_organization or org.state != "active":
        raise toolkit.ObjectNotFound(
            f"組織 {code} がありません（ckan hokkaido init を実行） / "
            f"no organization {code}; run `ckan hokkaido init`")
    url = data.get("url") or ""
    checked = data["date"].date() if data.get("date") else dt.date.today()
    values = {"elsewhere_url": url,
              "elsewhere_date": checked.isoformat() if url else "",
              "elsewhere_note": data.get("note") or ""}
    org_dict = toolkit.get_action("organization_show")(
        {"ignore_auth": True}, {"id": org.id})
    extras = [e for e in org_dict.get("extras", [])
              if e["key"] not in values]
    # an empty value clears (the tracker ignores records without a URL)
    extras += [{"key": k, "value": v} for k, v in values.items()]
    patch_context = {"ignore_auth": True, "user": context.get("user")}
    toolkit.get_action("organization_patch")(
        patch_context, {"id": org.id, "extras": extras})
    tracker.invalidate()
    return {"id": code, "url": values["elsewhere_url"] or None,
            "date": values["elsewhere_date"] or None,
            "note": values["elsewhere_note"] or None}


def _kana_folded(text: str) -> str:
    """NFKC, case-folded, katakana as hiragana: how a typed prefix is
    compared with a municipality's name and readings."""
    text = unicodedata.normalize("NFKC", text).casefold()
    return "".join(chr(ord(c) - 0x60) if "\u30a1" <= c <= "\u30f6" else c for c in text)


@functools.lru_cache(maxsize=1)
def _folded_names() -> tuple[tuple[Any, tuple[str, ...]], ...]:
    """The prefecture and the municipalities with their name and readings
    folded (:func:`_kana_folded`), once: the search box asks at every key."""
    return tuple((m, tuple(_kana_folded(n) for n in (m.name, m.name_hiragana, m.name_kana) if n))
                 for m in (registry.prefecture(), *registry.municipalities()))


@toolkit.side_effect_free
def hokkaido_search_suggest(context, data_dict) -> dict[str, Any]:
    """What the search box suggests while one types: municipalities whose
    name or reading starts with ``q`` (さっぽろ, サッポロ, 札幌), and the
    datasets package_search finds for ``q`` (the portal's Japanese search;
    private datasets only for those who may see them), titles first.

    :param q: what has been typed (an empty ``q`` suggests nothing)
    :type q: string
    :param limit: how many datasets, at most 20 (default 8)
    :type limit: int
    :returns: ``q``, ``municipalities`` (``code``, ``name``, ``url``) and
        ``datasets`` (``name``, ``title``, ``municipality``, ``url``)
    :rtype: dictionary
    """
    toolkit.check_access("hokkaido_search_suggest", context, data_dict)
    data = _validate(data_dict, schema.search_suggest(), context)
    q = (data.get("q") or "")[:100]
    limit = min(int(data.get("limit") or 8), SUGGEST_LIMIT)
    result: dict[str, Any] = {"q": q, "municipalities": [], "datasets": []}
    if not q:
        return result
    typed = _kana_folded(q)
    for m, names in _folded_names():
        if any(name.startswith(typed) for name in names):
            result["municipalities"].append({
                "code": m.code, "name": m.name,
                "url": toolkit.url_for("hokkaido_municipalities.read", code=m.code)})
        if len(result["municipalities"]) == 5:
            break
    found = toolkit.get_action("package_search")(
        {"user": context.get("user"), "auth_user_obj": context.get("auth_user_obj")},
        {"q": q, "rows": limit, "facet": "false"})
    for dataset in found["results"]:
        result["datasets"].append({
            "name": dataset["name"], "title": dataset.get("title") or dataset["name"],
            "municipality": registry.name_of(dataset.get("municipality_code") or "") or "",
            "url": toolkit.url_for("dataset.read", id=dataset["name"])})
    return result


@toolkit.chained_action
def package_update(up_func, context, data_dict) -> dict[str, Any]:
    """CKAN's, refusing to publish a draft that has no resource while
    ``ckan.dataset.create_on_ui_requires_resources`` is on (CKAN's default).

    The form's second step, 「完了」 with nothing entered, publishes the draft:
    CKAN 2.11's resource view refuses that itself, CKAN 2.12's publishes an
    empty dataset. A dataset written active at once (the API, the import,
    the harvest) is not a draft and is not concerned."""
    data = data_dict if isinstance(data_dict, dict) else {}
    if data.get("state") == "active" and not data.get("resources") and toolkit.asbool(
            toolkit.config.get("ckan.dataset.create_on_ui_requires_resources")):
        package = model.Package.get(data.get("id") or data.get("name") or "")
        if package is not None and package.state == "draft":
            raise toolkit.ValidationError({"resources": [toolkit._("You must add at least one data resource")]})
    return up_func(context, data_dict)
