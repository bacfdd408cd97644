"""CSRF exemptions that last one request.

CKAN lets a request authenticated by the ``Authorization`` header (an API
token, which a forged cross-site request cannot carry) skip the CSRF token:
``ckan_before_request`` calls ``csrf.exempt(view)`` for that request's
view. Flask-WTF's ``exempt`` is meant for declarations made once at start
up, so the view stays exempt for every later request the worker serves,
cookie-authenticated ones too: a page that received one token POST then
accepted forged form posts.

:func:`install` replaces Flask-WTF's set of exempt views with
:class:`PerRequestExemptions`, which keeps what was declared outside a
request (CKAN's and the plugins' own ``csrf.exempt`` at start up) and holds
an exemption asked for during a header-authenticated request for that
request only. The CKAN internals this relies on are named in
``tests/test_ckan_internals.py``.
"""
from __future__ import annotations

from typing import Any, Iterable

from flask import g, has_request_context

__all__ = ["PerRequestExemptions", "install"]

_REQUEST_KEY = "hokkaido_csrf_exempt_view"


def _token_request() -> bool:
    return has_request_context() and bool(g.get("login_via_auth_header"))


class PerRequestExemptions(set):
    """Exempt views: the declared ones, and this request's view when an API
    token authenticated it."""

    def __init__(self, declared: Iterable[str] = ()) -> None:
        super().__init__(declared)

    def add(self, view: Any) -> None:
        if has_request_context():
            # asked while serving a request: only that request is exempt,
            # and only when its token authenticated it (CKAN's condition)
            if _token_request():
                setattr(g, _REQUEST_KEY, view)
            return
        super().add(view)

    def __contains__(self, view: Any) -> bool:
        if super().__contains__(view):
            return True
        return _token_request() and g.get(_REQUEST_KEY) == view


def install(csrf: Any) -> None:
    """Make ``csrf`` (CKAN's ``CSRFProtect``) hold exemptions per request;
    idempotent (CKAN builds an app per test, the protector is global)."""
    if not isinstance(csrf._exempt_views, PerRequestExemptions):
        csrf._exempt_views = PerRequestExemptions(csrf._exempt_views)
