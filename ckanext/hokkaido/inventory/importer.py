"""Apply the prefecture's inventory to the portal, and read it back.

Organizations: every 執行機関 (agency code, e.g. 011500 = 総務部総務課) is a
CKAN organization named ``010006-<agency code>`` with the prefecture's code
as its ``parent`` extra, so CKAN's own member roles keep one section's
stewards from editing another's datasets. Every inventory dataset carries
``municipality_code = 010006``, which is how the publishing tracker counts
them for 北海道.

Each row is one ``package_create`` or ``package_patch`` call, so a row is
written whole or not at all; a rerun after fixing the file converges.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Callable, Optional


from ckan import model
from ckan.lib import search
from ckan.plugins import toolkit

from ckanext.hokkaido import extras, registry
from ckanext.hokkaido.inventory import file as inventory
from ckanext.hokkaido.settings import limits_from_config

log = logging.getLogger(__name__)

Progress = Callable[[int, int, "ImportReport"], None]


@dataclass
class ImportReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    rejected: list[inventory.RowError] = field(default_factory=list)
    organizations_created: list[str] = field(default_factory=list)
    unknown_columns: list[str] = field(default_factory=list)
    changes: list[str] = field(default_factory=list)     # human-readable
    encoding: Optional[str] = None
    file_format: str = "csv"
    dry_run: bool = False

    @property
    def rejected_rows(self) -> int:
        return len({e.row for e in self.rejected})

    def summary(self) -> str:
        return (f"{'(dry run) ' if self.dry_run else ''}"
                f"created {len(self.created)}, updated {len(self.updated)}, "
                f"unchanged {len(self.unchanged)}, "
                f"rejected {self.rejected_rows}")


def _context(user: str, **extra) -> dict:
    return dict({"user": user, "model": model, "session": model.Session},
                **extra)


def ensure_organization(name: str, title: str, extras: dict[str, str],
                        user: str, dry_run: bool = False) -> Optional[dict]:
    """Create an organization unless it exists; never overwrite a title.

    Returns the created organization, or None when it already existed (or
    would be created, on a dry run).
    """
    existing = model.Group.get(name)
    if existing is not None and existing.state == "active":
        return None
    if dry_run:
        return {"name": name, "title": title}
    data = {"name": name, "title": title,
            "extras": [{"key": k, "value": v} for k, v in extras.items()]}
    if existing is not None:     # deleted earlier: bring it back as it was
        data["id"] = existing.id
        data["title"] = existing.title or title
        return toolkit.get_action("organization_update")(_context(user), data)
    return toolkit.get_action("organization_create")(_context(user), data)


def existing_keys() -> dict[tuple[str, str], str]:
    """(agency_code, serial_no) → package id, for every non-deleted dataset.

    One query for the whole portal, not one per row.
    """
    agency, serial = extras.value_of("agency_code"), extras.value_of("serial_no")
    rows = (model.Session.query(agency, serial, model.Package.id)
            .filter(model.Package.state != "deleted"))
    return {(a, s): pid for a, s, pid in rows if a is not None and s is not None}


def _error_rows(line: int, error: toolkit.ValidationError) -> list[inventory.RowError]:
    labels = dict(inventory.COLUMNS)
    labels["file_format_2"] = "ファイル形式(2)"
    out = []
    for key, messages in (error.error_dict or {}).items():
        if isinstance(messages, list):
            messages = "; ".join(str(m) for m in messages)
        out.append(inventory.RowError(line, labels.get(key, key), str(messages)))
    return out or [inventory.RowError(line, "", str(error))]


def import_inventory(path: str, user: str, dry_run: bool = False,
                     encoding: Optional[str] = None,
                     progress: Optional[Progress] = None) -> ImportReport:
    """Create or update one dataset per inventory row.

    Raises :class:`inventory.InventoryFileError` when the file cannot be
    read at all; row problems are collected in the report instead.
    """
    parsed = inventory.parse(inventory.read_table(path, encoding=encoding, limits=limits_from_config()))
    report = ImportReport(rejected=list(parsed.errors),
                          unknown_columns=parsed.unknown_columns,
                          encoding=parsed.encoding,
                          file_format=parsed.file_format, dry_run=dry_run)

    created = ensure_organization(
        registry.PREFECTURE_CODE, registry.PREFECTURE_NAME,
        {"code": registry.PREFECTURE_CODE, "municipality_type": "都道府県"}, user, dry_run)
    if created:
        report.organizations_created.append(created["name"])
    agencies: dict[str, dict[str, str]] = {}
    for row in parsed.rows:
        agencies.setdefault(row.values["agency_code"], row.values)
    for code, values in agencies.items():
        title = " ".join(v for v in (values["department"],
                                     values["section"]) if v) or code
        created = ensure_organization(
            inventory.agency_org_name(code), f"北海道 {title}",
            {"parent": registry.PREFECTURE_CODE, "agency_code": code},
            user, dry_run)
        if created:
            report.organizations_created.append(created["name"])

    keys = existing_keys()
    show = toolkit.get_action("package_show")
    # Index each row without a Solr commit of its own (Solr's soft commit
    # makes it searchable within a second); one commit at the end.
    solr_commit = toolkit.config.get("ckan.search.solr_commit")
    toolkit.config["ckan.search.solr_commit"] = False
    try:
        _apply_rows(parsed.rows, keys, show, user, dry_run, report, progress)
    finally:
        toolkit.config["ckan.search.solr_commit"] = solr_commit
    if not dry_run and (report.created or report.updated):
        search.commit()
    report.rejected.sort(key=lambda e: e.row)
    return report


def publication(wanted: dict[str, str], current: dict | None) -> dict:
    """What a row marked 公開=可 adds besides its columns: its ホームページURL
    as a resource, the way to the data (unless the dataset has a resource of
    that address already), and the prefecture's licence
    (``ckanext.hokkaido.inventory.licence``) when the dataset has none."""
    if wanted.get("publishable") != "可":
        return {}
    changes: dict = {}
    licence = toolkit.config.get("ckanext.hokkaido.inventory.licence")
    if licence and not (current or {}).get("license_id"):
        changes["license_id"] = licence
    url = wanted.get("homepage_url") or ""
    resources = [dict(r) for r in (current or {}).get("resources") or []]
    if url and not any(r.get("url") == url for r in resources):
        changes["resources"] = resources + [{
            "url": url, "format": "HTML", "name": "掲載ページ",
            "description": "道のホームページでデータを掲載しているページ（道保有データのリストのホームページURL）"}]
    return changes


def _apply_rows(rows, keys, show, user, dry_run, report, progress) -> None:
    total = len(rows)
    for done, row in enumerate(rows, start=1):
        wanted = inventory.to_dataset(row.values)
        package_id = keys.get(row.key)
        try:
            if package_id:
                current = show(_context(user), {"id": package_id})
                changes = inventory.changed_fields(current, wanted)
                published = publication(wanted, current)
                if not changes and not published:
                    report.unchanged.append(current["name"])
                else:
                    report.changes.append(
                        f"update {current['name']} (row {row.row}): " + ", ".join(
                            [f"{f}: {current.get(f) or ''!r} → {wanted[f]!r}" for f in changes]
                            + [f"{f}: +" for f in published]))
                    if not dry_run:
                        toolkit.get_action("package_patch")(
                            _context(user),
                            dict({f: wanted[f] for f in changes}, id=package_id, **published))
                    report.updated.append(current["name"])
            else:
                name = inventory.dataset_name(*row.key)
                report.changes.append(
                    f"create {name} (row {row.row}): {wanted['title']}")
                if not dry_run:
                    toolkit.get_action("package_create")(
                        _context(user),
                        dict(wanted, name=name, owner_org=inventory.agency_org_name(row.key[0]),
                             **publication(wanted, None)))
                report.created.append(name)
        except toolkit.ValidationError as e:
            model.Session.rollback()
            report.rejected.extend(_error_rows(row.row, e))
        except toolkit.NotAuthorized as e:
            model.Session.rollback()
            report.rejected.append(inventory.RowError(
                row.row, "", f"権限がありません / not authorized: {e}"))
        if progress:
            progress(done, total, report)


def inventory_datasets(user: str, include_private: bool = False) -> list[dict[str, str]]:
    """Every public inventory dataset (and, with ``include_private``, every
    private one the user may see), as inventory rows, in (agency code,
    serial) order."""
    search = toolkit.get_action("package_search")
    rows, start = [], 0
    while True:
        page = search(_context(user), {
            "fq": "agency_code:[* TO *] AND serial_no:[* TO *]",
            "include_private": include_private, "rows": 1000, "start": start,
            "sort": "name asc"})
        rows.extend(inventory.from_dataset(p) for p in page["results"])
        start += len(page["results"])
        if not page["results"] or start >= page["count"]:
            break

    def order(values: dict[str, str]) -> tuple:
        serial = values["serial_no"]
        return (values["agency_code"],
                int(serial) if serial.isdigit() else 0, serial)
    return sorted(rows, key=order)


def export_inventory(path: str, user: str, include_private: bool = False) -> int:
    """Write the inventory as CSV (UTF-8 with BOM) or XLSX, by extension:
    the public datasets, and with ``include_private`` the private ones the
    user may see."""
    rows = inventory_datasets(user, include_private)
    if path.lower().endswith((".xlsx", ".xlsm")):
        return inventory.write_xlsx(rows, path)
    return inventory.write_csv(rows, path)
