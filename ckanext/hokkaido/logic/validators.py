"""Validators used by the Hokkaido dataset schema.

Messages are English message ids translated through the portal's catalogue
(``i18n/ja``), as CKAN's own validators are: Japanese on the Japanese UI
and in API answers (the portal's default locale), English under ``/en/``.
"""
from __future__ import annotations

import re
from typing import Any


from ckan import model
from ckan.plugins import toolkit

from harvesters.util import is_link, is_repeating_interval, normalize_format, parse_date

from ckanext.hokkaido import authority, extras, names, registry
from ckanext.hokkaido.inventory.file import BAND_PATTERN, dataset_name

__all__ = [
    "hokkaido_agency_code",
    "hokkaido_municipality_code",
    "hokkaido_record_count_band",
    "hokkaido_inventory_key_unique",
    "hokkaido_http_url",
    "hokkaido_source_modified",
    "hokkaido_resource_url",
    "hokkaido_resource_id",
    "hokkaido_single_line",
    "hokkaido_municipality_from_organization",
    "hokkaido_file_format",
    "hokkaido_standard_dataset",
    "hokkaido_dataset_name",
]

Invalid = toolkit.Invalid



def _missing(value: Any) -> bool:
    return value is toolkit.missing or value is None or value == ""


def hokkaido_agency_code(value: Any) -> Any:
    """執行機関コード: exactly six digits."""
    if _missing(value):
        return value
    value = str(value).strip()
    if not re.fullmatch(r"\d{6}", value):
        raise Invalid(toolkit._("The agency code must be 6 digits: %r") % value)
    return value


def hokkaido_municipality_code(value: Any) -> Any:
    """全国地方公共団体コード: six digits with a valid check digit."""
    if _missing(value):
        return value
    value = str(value).strip()
    if not registry.is_valid_code(value):
        raise Invalid(toolkit._("Invalid local government code (6 digits with a check digit): %r") % value)
    return value


def hokkaido_record_count_band(value: Any) -> Any:
    """データID: a record-count band such as ``1-100`` or ``10001以上``."""
    if _missing(value):
        return value
    value = str(value).strip().replace("－", "-").replace("〜", "-").replace("～", "-")
    if not BAND_PATTERN.match(value):
        raise Invalid(toolkit._("A record-count band looks like 1-100: %r") % value)
    return value


def hokkaido_single_line(value: Any) -> Any:
    """A one-line field (a title, a name, an address): no line breaks or
    other control characters, which would break a mail's subject or a
    CSV row further on."""
    if _missing(value):
        return value
    if re.search(r"[\x00-\x1f\x7f\u0085\u2028\u2029]", str(value)):
        raise Invalid(toolkit._("Write this on one line, without line breaks or control characters"))
    return value


def hokkaido_http_url(value: Any) -> Any:
    """Only http(s) and ftp links are stored."""
    if _missing(value):
        return value
    value = str(value).strip()
    if not is_link(value):
        raise Invalid(toolkit._("A URL must start with http(s):// or ftp://: %r") % value)
    return value


def hokkaido_source_modified(value: Any) -> Any:
    """収集元更新日時: a date in any form the sources write (stored as ISO
    8601), or a repeating interval such as ``R/P1D`` (continuously updated)."""
    if _missing(value):
        return value
    text = str(value).strip()
    if is_repeating_interval(text):
        return text
    parsed = parse_date(text)
    if parsed is None:
        raise Invalid(toolkit._("Give a date such as 2024-04-01, 2024/4/1 or 令和6年4月1日, or an ISO 8601 "
                                "repeating interval such as R/P1D: %r") % text[:100])
    return parsed


def hokkaido_file_format(value: Any) -> Any:
    """ファイル形式 and a resource's format: one spelling per format
    (``CSV``, not ``csv`` or ``ＣＳＶ``), for the facet and the tracker."""
    if _missing(value):
        return value
    return normalize_format(value)


def hokkaido_resource_url(key: Any, data: dict, errors: dict, context: dict) -> None:
    """A resource's link or file: every resource has one (CKAN's form sends
    an empty file field as if it were data, which made resources of
    nothing); a link is http(s) or ftp, the schemes the harvest stores
    (never ``javascript:``, ``data:``, ``file:``); an uploaded file keeps
    the name CKAN gives it, with an extension the portal accepts
    (``ckanext.hokkaido.upload.allowed_extensions``). A DataStore-only
    resource (``url_type`` datastore) needs neither."""
    value = data.get(key)
    url_type = data.get(key[:-1] + ("url_type",))
    if _missing(value) or not str(value).strip():
        if url_type == "datastore":
            return
        errors[key].append(toolkit._("Give the data's URL or upload a file"))
        raise toolkit.StopOnError
    value = data[key] = str(value).strip()
    if url_type == "upload":
        allowed = toolkit.config.get("ckanext.hokkaido.upload.allowed_extensions") or []
        allowed = {e.lower().lstrip(".") for e in (allowed.split() if isinstance(allowed, str) else allowed)}
        name = value.rsplit("/", 1)[-1]
        extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
        if "*" not in allowed and extension not in allowed:
            errors[key].append(toolkit._("Files of this type cannot be uploaded (allowed extensions: {allowed}): "
                                         "{name}").format(allowed=" ".join(sorted(allowed)), name=name[:100]))
        return
    if not is_link(value):
        errors[key].append(toolkit._("A URL must start with http(s):// or ftp://: %r") % value[:200])


def hokkaido_resource_id(key: Any, data: dict, errors: dict, context: dict) -> None:
    """A resource's id is the portal's to give: an editor may send back the
    ids of the dataset's own resources, never choose a new one (a purged
    resource's id would bring back its file and table:
    :mod:`ckanext.hokkaido.security.uploads`)."""
    from ckanext.hokkaido.security import uploads
    value = data.get(key)
    if _missing(value):
        return
    if not uploads.may_choose_id(context, str(value)):
        errors[key].append(toolkit._("A new resource's id is given by the portal and cannot be chosen"))


def hokkaido_municipality_from_organization(key: Any, data: dict, errors: dict, context: dict) -> None:
    """市町村: the organization decides it (:mod:`ckanext.hokkaido.authority`).
    A dataset of 北海道 (or of one of its sections) or of a municipality's
    organization gets that code, whatever the form said; a dataset of an
    organization that speaks for no municipality has none, and naming one
    is an error."""
    owner_org = data.get(("owner_org",))
    group = None if _missing(owner_org) else model.Group.get(str(owner_org))
    code = authority.organization_code(group)
    if code is not None:
        data[key] = code
    elif not _missing(data.get(key)):
        errors[key].append(toolkit._(
            "Only the municipality's own organization (or the prefecture's) can publish for a municipality; "
            "leave 市町村 empty in this organization"))


def _tags(data: dict) -> list[str]:
    """The dataset's tag names, from ``tags`` (API) and ``tag_string`` (form)."""
    names = [str(v) for k, v in data.items()
             if len(k) == 3 and k[0] == "tags" and k[2] == "name" and v]
    tag_string = data.get(("tag_string",))
    if isinstance(tag_string, str):
        names.extend(t.strip() for t in tag_string.split(",") if t.strip())
    return names


def hokkaido_standard_dataset(key: Any, data: dict, errors: dict, context: dict) -> None:
    """標準データセット: the publisher's choice, else what the title (or a
    tagged description) says (``registry.standard_dataset_of``, the one
    rule the search facet and the tracker share)."""
    if not _missing(data.get(key)):
        return
    title, notes = data.get(("title",)), data.get(("notes",))
    found = registry.standard_dataset_of(
        title if isinstance(title, str) else "",
        notes if isinstance(notes, str) else "", _tags(data))
    if found:
        data[key] = found


def _name_taken(name: str) -> bool:
    # deleted datasets keep their names too: a new one must not take them
    return model.Session.query(
        model.Session.query(model.Package.id)
        .filter(model.Package.name == name).exists()).scalar()


def hokkaido_dataset_name(key: Any, data: dict, errors: dict, context: dict) -> None:
    """URL name of a new dataset whose form left it empty.

    CKAN's form makes the name from the title's Latin letters, so a title in
    Japanese only gives none. Then the name is offered here instead of an
    error: an inventory row's own name (``hokkaido-<agency>-<serial>``) when
    both codes are given, else the organization's name, the title's Latin
    words (or today's date) and a number when needed to be unique. An
    existing dataset keeps its name."""
    if not _missing(data.get(key)) or context.get("package") \
            or not _missing(data.get(("id",))):
        return
    agency, serial = (str(data.get((f,)) or "").strip()
                      for f in ("agency_code", "serial_no"))
    if re.fullmatch(r"\d{6}", agency) and serial.isdigit():
        data[key] = dataset_name(agency, serial)
        return
    owner = data.get(("owner_org",))
    group = None if _missing(owner) else model.Group.get(str(owner))
    data[key] = names.free_name(group.name if group is not None else "dataset",
                                str(data.get(("title",)) or ""), _name_taken)


def hokkaido_inventory_key_unique(key: Any, data: dict, errors: dict,
                                  context: dict) -> None:
    """(agency_code, serial_no) identifies one inventory row portal-wide.

    Used on ``serial_no``: when both parts are set, no other active dataset
    may hold the same pair.
    """
    agency = data.get(("agency_code",))
    serial = data.get(key)
    if _missing(agency) or _missing(serial) or errors.get(key):
        return
    package_id = data.get(("id",))
    if not package_id:
        package = context.get("package")
        package_id = package.id if package else None
    q = extras.with_values(model.Session.query(model.Package.name).filter(model.Package.state != "deleted"),
                           agency_code=str(agency).strip(), serial_no=str(serial).strip())
    if package_id:
        q = q.filter(model.Package.id != package_id)
    other = q.first()
    if other:
        errors[key].append(toolkit._("Agency {agency} serial {serial} is already used by dataset {dataset}").format(
            agency=agency, serial=serial, dataset=other.name))
