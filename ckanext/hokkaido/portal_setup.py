"""Setting up the portal's mission: the organizations of the prefecture and
its 179 municipalities (``ckan hokkaido init``). The harvest sources of the
portals we know of are the sources room's
(:mod:`ckanext.hokkaido.sources.known_portals`).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Optional

from ckan import model
from ckan.plugins import toolkit

from ckanext.hokkaido import registry


# -- organizations ----------------------------------------------------------

@dataclass
class InitReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (f"created {len(self.created)}, updated {len(self.updated)}, "
                f"unchanged {len(self.unchanged)}")


def organization_extras(m: Optional[registry.Municipality]) -> dict[str, str]:
    """The registry's columns as organization extras."""
    if m is None:
        return {"code": registry.PREFECTURE_CODE, "municipality_type": "都道府県"}
    return {"code": m.code, "code5": m.code5, "name_kana": m.name_kana,
            "name_hiragana": m.name_hiragana, "municipality_type": m.type,
            "subprefecture": m.subprefecture, "homepage_url": m.homepage_url,
            "lat": "" if m.lat is None else str(m.lat),
            "lng": "" if m.lng is None else str(m.lng)}


def init_organizations(user: str,
                       progress: Optional[Callable[[int, int], None]] = None
                       ) -> InitReport:
    """Create the 180 organizations; idempotent.

    An existing organization keeps its title (a steward may have edited it)
    and its other extras; only missing registry extras are added. Nothing
    is ever deleted; a deleted organization is brought back.
    """
    report = InitReport()
    entries = [(registry.PREFECTURE_CODE, registry.PREFECTURE_NAME, None)]
    entries += [(m.code, m.name, m) for m in registry.municipalities()]
    context = lambda: {"user": user, "model": model, "session": model.Session}
    for done, (code, name, m) in enumerate(entries, start=1):
        wanted = {k: v for k, v in organization_extras(m).items() if v}
        org = model.Group.get(code)
        if org is None:
            toolkit.get_action("organization_create")(context(), {
                "name": code, "title": name,
                "extras": [{"key": k, "value": v} for k, v in wanted.items()]})
            report.created.append(code)
        else:
            current = dict(org.extras)
            missing = {k: v for k, v in wanted.items() if k not in current}
            if missing or org.state != "active":
                data = {"id": org.id,
                        "extras": [{"key": k, "value": v} for k, v in
                                   dict(current, **missing).items()]}
                if org.state != "active":
                    data["state"] = "active"
                toolkit.get_action("organization_patch")(context(), data)
                report.updated.append(code)
            else:
                report.unchanged.append(code)
        if progress:
            progress(done, len(entries))
    return report
