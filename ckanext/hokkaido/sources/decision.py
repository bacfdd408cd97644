"""What becomes of each source ``ckan hokkaido discover`` finds: the one
decision, made here for the command and anything else that discovers.

* a shared portal (HARP, BODIK …) is noted as such: its source exists, or is
  registered by the prefecture, never per municipality from a link;
* with ``register``, a source found with high confidence is registered
  (:func:`~ckanext.hokkaido.sources.registration.register`, which refuses
  one registered already);
* one registered already (the same rule) is left alone;
* anything else is proposed to the municipality's stewards
  (:mod:`~ckanext.hokkaido.sources.proposals`), who accept or reject it.
"""
from __future__ import annotations

import dataclasses
from typing import Optional

from harvesters.discover import Found

from ckanext.hokkaido.sources import proposals, registration

__all__ = ["Outcome", "decide"]


@dataclasses.dataclass(frozen=True)
class Outcome:
    """What was done with one source found: ``action`` in words (for the
    command's line and its findings file), ``registered`` the source's name
    when one was registered."""

    action: str
    registered: Optional[str] = None


def decide(found: Found, code: str, *, register: bool, user: Optional[str]) -> Outcome:
    """Do with ``found`` (a source of municipality ``code``) what the rules
    above say; ``user`` registers (required with ``register``)."""
    if found.kind == "shared":
        return Outcome(f"shared source {found.shared}")
    if register and found.confidence == "high":
        try:
            name = registration.register(found.kind, found.url, found.config, code, user or "")
        except registration.RegistrationRefused as exc:
            return Outcome(str(exc))
        return Outcome(f"registered {name}", name)
    if registration.registered_at(found.url, found.config.get("municipality_code") or code):
        return Outcome("already registered")
    proposals.propose(code, found)
    return Outcome(f"proposed to stewards (/municipalities/{code}/proposals)")
