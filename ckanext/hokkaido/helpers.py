"""Template helpers; every public name carries the ``hokkaido_`` prefix."""
from __future__ import annotations

from typing import Any


from ckanext.hokkaido import registry, tracker

__all__ = [
    "hokkaido_standard_dataset_choices",
    "hokkaido_municipality_choices",
    "hokkaido_municipality_name",
    "hokkaido_stale_months",
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
