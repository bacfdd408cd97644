"""Actions for use cases (``hokkaido_use_case_*``) and data requests
(``hokkaido_data_request_*``): check_access → validate → work → return,
as every action of the portal."""
from __future__ import annotations

import logging
from typing import Any, Optional

from ckan import model
from ckan.plugins import toolkit

from ckanext.hokkaido import names
from ckanext.hokkaido.community import data_requests, schema, use_cases
from ckanext.hokkaido.validation import validate as _validate

__all__ = [
    "hokkaido_use_case_list", "hokkaido_use_case_show", "hokkaido_use_case_create",
    "hokkaido_use_case_update", "hokkaido_use_case_delete",
    "hokkaido_data_request_list", "hokkaido_data_request_show", "hokkaido_data_request_create",
    "hokkaido_data_request_answer", "hokkaido_data_request_moderate",
    "user_create",
]

log = logging.getLogger(__name__)

#: the most rows a list action returns at once
LIST_LIMIT = 100


def _paging(data: dict) -> tuple[int, int]:
    return min(int(data.get("limit") or 20), LIST_LIMIT), int(data.get("offset") or 0)


def _user_context(context: dict) -> dict:
    return {"user": context.get("user"), "auth_user_obj": context.get("auth_user_obj")}


def _may_see(context: dict, package_id: str) -> bool:
    try:
        toolkit.check_access("package_show", _user_context(context), {"id": package_id})
    except toolkit.NotAuthorized:
        return False
    return True


def _visible(context: dict, use_case: dict[str, Any]) -> dict[str, Any]:
    """The use case with only the datasets the caller may see."""
    if "datasets" in use_case:
        use_case["datasets"] = [d for d in use_case["datasets"]
                                if not d["private"] or _may_see(context, d["id"])]
        for d in use_case["datasets"]:
            del d["owner_org"]
    return use_case


def _package_ids(context: dict, names: list[str], field: str = "datasets") -> list[str]:
    """Ids of the datasets named (names or ids) that the caller may see."""
    ids, unknown = [], []
    for name in names or []:
        name = str(name).strip()
        if not name:
            continue
        package = model.Package.get(name)
        if package is None or package.state != "active" or not _may_see(context, package.id):
            unknown.append(name)
        else:
            ids.append(package.id)
    if unknown:
        raise toolkit.ValidationError({field: [toolkit._("No such dataset: {names}").format(names=", ".join(unknown))]})
    return ids


def _use_case(name: str) -> dict[str, Any]:
    found = use_cases.get(name)
    if found is None:
        raise toolkit.ObjectNotFound(toolkit._("Use case not found"))
    return found


def _current_user(context: dict) -> model.User:
    user = context.get("auth_user_obj") or model.User.get(context.get("user") or "")
    if user is None:
        raise toolkit.NotAuthorized(toolkit._("You must be logged in"))
    return user


# -- use cases ----------------------------------------------------------------

@toolkit.side_effect_free
def hokkaido_use_case_list(context, data_dict) -> dict[str, Any]:
    """Use cases (活用事例), newest first.

    :param q: words their title or description holds (optional)
    :type q: string
    :param dataset: a dataset's name or id: only the use cases that use it
    :type dataset: string
    :param limit: how many, at most 100 (default 20)
    :type limit: int
    :param offset: how many to skip
    :type offset: int
    :returns: ``count`` and ``results`` (each as hokkaido_use_case_show)
    """
    toolkit.check_access("hokkaido_use_case_list", context, data_dict)
    data = _validate(data_dict, schema.use_case_list(), context)
    if data.get("dataset"):
        package = model.Package.get(data["dataset"])
        if package is None or not _may_see(context, package.id):
            raise toolkit.ObjectNotFound(toolkit._("Dataset not found"))
        found = use_cases.for_dataset(package.id)
        return {"count": len(found), "results": found}
    limit, offset = _paging(data)
    q = data.get("q") or ""
    return {"count": use_cases.count(q),
            "results": [_visible(context, u) for u in use_cases.search(q, limit, offset)]}


@toolkit.side_effect_free
def hokkaido_use_case_show(context, data_dict) -> dict[str, Any]:
    """One use case with the datasets it uses (those the caller may see).

    :param id: its name
    :type id: string
    """
    toolkit.check_access("hokkaido_use_case_show", context, data_dict)
    data = _validate(data_dict, schema.by_id(), context)
    return _visible(context, _use_case(data["id"]))


def hokkaido_use_case_create(context, data_dict) -> dict[str, Any]:
    """Publish a use case: an app, a study, an article or a service that
    uses the portal's data.

    :param name: its URL name (lowercase letters, digits, - and _); when
        not given, made from the title (``usecase-<Latin words or date>``)
    :type name: string
    :param title: its title
    :type title: string
    :param description: what it is and how it uses the data (Markdown)
    :type description: string
    :param url: where to see it (http or https)
    :type url: string
    :param image_url: an image of it (http or https)
    :type image_url: string
    :param datasets: the names or ids of the datasets it uses
    :type datasets: list of strings
    :returns: the use case as hokkaido_use_case_show
    """
    toolkit.check_access("hokkaido_use_case_create", context, data_dict)
    data = _validate(data_dict, schema.use_case_create(), context)
    if not data.get("name"):
        data["name"] = names.free_name("usecase", data["title"], use_cases.name_taken)
    if use_cases.name_taken(data["name"]):
        raise toolkit.ValidationError({"name": [toolkit._("That URL is already in use.")]})
    package_ids = _package_ids(context, data.get("datasets") or [])
    user = _current_user(context)
    return _visible(context, use_cases.create(data, package_ids, user.id))


def hokkaido_use_case_update(context, data_dict) -> dict[str, Any]:
    """Change a use case (its author or a sysadmin). Fields as
    hokkaido_use_case_create except ``name``; those not given stay.

    :param id: its name
    :type id: string
    """
    data = _validate(data_dict, schema.use_case_update(), context)
    found = _use_case(data["id"])
    toolkit.check_access("hokkaido_use_case_update", context, {"id": found["name"]})
    package_ids = _package_ids(context, data["datasets"]) if "datasets" in data else None
    values = {k: data[k] for k in ("title", "description", "url", "image_url") if k in data}
    return _visible(context, use_cases.update(found["id"], values, package_ids))


def hokkaido_use_case_delete(context, data_dict) -> None:
    """Delete a use case (its author or a sysadmin).

    :param id: its name
    :type id: string
    """
    data = _validate(data_dict, schema.by_id(), context)
    found = _use_case(data["id"])
    toolkit.check_access("hokkaido_use_case_delete", context, {"id": found["name"]})
    use_cases.delete(found["id"])


# -- data requests ------------------------------------------------------------

def _organization(id_or_name: str) -> model.Group:
    group = model.Group.get(id_or_name)
    if group is None or not group.is_organization or group.state != "active":
        raise toolkit.ValidationError({"organization": [toolkit._("No such organization")]})
    return group


def _notify(users: list[model.User], subject: str, body: str) -> dict[str, list[str]]:
    """Mail each user; who could not be mailed (no address, the mail server
    refused or is away, any other failure of the mailer) is logged and
    returned, the others are still mailed and the request stands."""
    from ckan.lib.mailer import mail_user
    result: dict[str, list[str]] = {"notified": [], "not_notified": []}
    for user in users:
        try:
            mail_user(user, subject, body)
        except Exception as exc:  # noqa: BLE001 - one mail never undoes the request or the other mails
            log.warning("data request: could not mail %s: %r", user.name, exc)
            result["not_notified"].append(user.name)
        else:
            result["notified"].append(user.name)
    return result


def _request_url(request_id: int) -> str:
    return toolkit.url_for("hokkaido_data_requests.read", id=request_id, _external=True)


def _stewards(organization_id: str) -> list[model.User]:
    """Editors and admins of the organization, but not the site user (which
    made the organizations, ``ckan hokkaido init``, and reads no mail)."""
    return (model.Session.query(model.User)
            .join(model.Member, model.Member.table_id == model.User.id)
            .filter(model.Member.group_id == organization_id, model.Member.table_name == "user",
                    model.Member.state == "active", model.Member.capacity.in_(("admin", "editor")),
                    model.User.state == "active", model.User.name != toolkit.config.get("ckan.site_id"))
            .order_by(model.User.name).all())


@toolkit.side_effect_free
def hokkaido_data_request_list(context, data_dict) -> dict[str, Any]:
    """Data requests (データ公開リクエスト), newest first. Requests hidden by
    a sysadmin are listed to sysadmins only.

    :param q: words their title, description or reason holds
    :type q: string
    :param status: ``received`` (受付), ``considering`` (検討中),
        ``published`` (公開済み) or ``refused`` (公開できない)
    :type status: string
    :param organization: the organization asked (name or id)
    :type organization: string
    :param limit: how many, at most 100 (default 20)
    :type limit: int
    :param offset: how many to skip
    :type offset: int
    :returns: ``count`` and ``results``
    """
    toolkit.check_access("hokkaido_data_request_list", context, data_dict)
    data = _validate(data_dict, schema.data_request_list(), context)
    organization_id = _organization(data["organization"]).id if data.get("organization") else ""
    with_hidden = _is_sysadmin(context)
    limit, offset = _paging(data)
    args = (data.get("q") or "", data.get("status") or "", organization_id, with_hidden)
    return {"count": data_requests.count(*args),
            "results": [_for_viewer(context, r) for r in data_requests.search(*args, limit=limit, offset=offset)]}


def _for_viewer(context: dict, request: dict[str, Any]) -> dict[str, Any]:
    """The request as the caller may see it: the dataset it was published
    as only when the caller may see that dataset (a private one stays
    unnamed), and why it was hidden only for sysadmins (the reason stays in
    its history when it is shown again)."""
    request = dict(request)
    if request.get("package_id") and not _may_see(context, request["package_id"]):
        request.update(package_id=None, package_name=None, package_title=None)
    if not _is_sysadmin(context):
        request["hidden_reason"] = ""
        if "events" in request:
            request["events"] = [dict(e, message="") if e["kind"] in ("hidden", "shown") else e
                                 for e in request["events"]]
    return request


def _is_sysadmin(context: dict) -> bool:
    try:
        toolkit.check_access("hokkaido_data_request_moderate", context, {})
    except toolkit.NotAuthorized:
        return False
    return True


@toolkit.side_effect_free
def hokkaido_data_request_show(context, data_dict) -> dict[str, Any]:
    """One data request with its history (``events``: answers, changes of
    status, moderation).

    :param id: its number
    :type id: int
    """
    toolkit.check_access("hokkaido_data_request_show", context, data_dict)
    data = _validate(data_dict, schema.data_request_show(), context)
    found = data_requests.get(int(data["id"]))
    if found is None or (found["hidden"] and not _is_sysadmin(context)):
        raise toolkit.ObjectNotFound(toolkit._("Data request not found"))
    return _for_viewer(context, found)


def hokkaido_data_request_create(context, data_dict) -> dict[str, Any]:
    """Ask an organization to publish a dataset. Its editors and admins are
    mailed. A user may make ``ckanext.hokkaido.data_requests.per_user_per_day``
    requests in 24 hours (default 5).

    :param title: the data wanted, in a line
    :type title: string
    :param description: what the data is (columns, area, period)
    :type description: string
    :param reason: what it would be used for
    :type reason: string
    :param organization: the organization asked (a municipality's code, or a name or id)
    :type organization: string
    :returns: the request (as hokkaido_data_request_show) with
        ``notified`` and ``not_notified`` (the stewards mailed, and those who
        could not be)
    """
    toolkit.check_access("hokkaido_data_request_create", context, data_dict)
    data = _validate(data_dict, schema.data_request_create(), context)
    organization = _organization(data["organization"])
    user = _current_user(context)
    per_day = toolkit.config.get("ckanext.hokkaido.data_requests.per_user_per_day")
    created = data_requests.create(data["title"], data["description"], data.get("reason") or "",
                                   organization.id, user.id, per_day=None if user.sysadmin else per_day)
    if created is None:
        raise toolkit.ValidationError({"title": [toolkit._(
            "You have made {n} requests in the last 24 hours, the most allowed; please try again later"
        ).format(n=per_day)]})
    created = _for_viewer(context, created)
    subject = f"[データ公開リクエスト / Data request] {created['title']}"
    body = (f"{organization.title} へのデータ公開リクエストがありました。\n"
            f"A data request was made to {organization.title}.\n\n"
            f"{created['title']}\n\n{created['description']}\n\n"
            f"{toolkit._('Reason')}: {created['reason'] or '-'}\n\n{_request_url(created['id'])}\n")
    return {**created, **_notify(_stewards(organization.id), subject, body)}


def hokkaido_data_request_answer(context, data_dict) -> dict[str, Any]:
    """Answer a request and set its status (editors and admins of the
    organization asked). The requester is mailed.

    :param id: the request's number
    :type id: int
    :param status: ``received``, ``considering``, ``published`` (with
        ``dataset``) or ``refused`` (with ``message``, the reason)
    :type status: string
    :param message: the answer
    :type message: string
    :param dataset: the dataset published (name or id), for ``published``
    :type dataset: string
    :returns: the request, with ``notified`` and ``not_notified``
    """
    data = _validate(data_dict, schema.data_request_answer(), context)
    found = data_requests.get(int(data["id"]))
    if found is None:
        raise toolkit.ObjectNotFound(toolkit._("Data request not found"))
    toolkit.check_access("hokkaido_data_request_answer", context, {"id": found["id"]})
    status, message = data["status"], data.get("message") or ""
    package_id: Optional[str] = None
    if status == "published":
        if not data.get("dataset"):
            raise toolkit.ValidationError({"dataset": [toolkit._("Name the dataset that was published")]})
        package_id = _package_ids(context, [data["dataset"]], field="dataset")[0]
    if status == "refused" and not message:
        raise toolkit.ValidationError({"message": [toolkit._("Say why it cannot be published")]})
    user = _current_user(context)
    answered = data_requests.set_status(found["id"], status, message, package_id, user.id)
    label = data_requests.STATUSES[status][1]
    requester = model.User.get(found["user_id"])
    body = (f"データ公開リクエスト「{answered['title']}」は「{label}」になりました。\n"
            f"Your data request is now: {data_requests.STATUSES[status][0]}.\n\n{message}\n\n"
            f"{_request_url(answered['id'])}\n")
    notified = _notify([requester] if requester is not None else [],
                       f"[データ公開リクエスト / Data request] {label}: {answered['title']}", body)
    return {**_for_viewer(context, answered), **notified}


def hokkaido_data_request_moderate(context, data_dict) -> dict[str, Any]:
    """Hide a request (spam, abuse, personal information) or show it again:
    sysadmins only. A hidden request is listed and shown to sysadmins only.

    :param id: the request's number
    :type id: int
    :param hidden: hide (true) or show again (false)
    :type hidden: bool
    :param reason: why (kept in its history)
    :type reason: string
    """
    toolkit.check_access("hokkaido_data_request_moderate", context, data_dict)
    data = _validate(data_dict, schema.data_request_moderate(), context)
    found = data_requests.get(int(data["id"]))
    if found is None:
        raise toolkit.ObjectNotFound(toolkit._("Data request not found"))
    return _for_viewer(context, data_requests.set_hidden(found["id"], bool(data["hidden"]),
                                                         data.get("reason") or "", _current_user(context).id))


# -- sign-up ------------------------------------------------------------------

@toolkit.chained_action
def user_create(next_action, context, data_dict):
    """CKAN's ``user_create``, with a limit on the accounts made from one
    address in 24 hours through the sign-up form
    (``ckanext.hokkaido.signup.per_address_per_day``); a sysadmin's, the
    command line's and the site's own calls are not counted."""
    from flask import has_request_context
    from ckan import authz
    limit = toolkit.config.get("ckanext.hokkaido.signup.per_address_per_day")
    if not limit or not has_request_context() or authz.is_sysadmin(context.get("user")) \
            or context.get("ignore_auth"):
        return next_action(context, data_dict)
    from ckan.lib.redis import connect_to_redis
    from ckanext.hokkaido.security.client import client_address
    key = f"hokkaido:signup:{client_address()}"
    redis = connect_to_redis()
    made = redis.incr(key)
    if made == 1:
        redis.expire(key, 24 * 3600)
    if made > limit:
        redis.decr(key)
        raise toolkit.ValidationError({"name": [toolkit._(
            "Too many accounts were made from your address in the last 24 hours; please try again tomorrow")]})
    try:
        return next_action(context, data_dict)
    except Exception:
        redis.decr(key)  # a sign-up that failed (a name taken, a short password) is not counted
        raise
