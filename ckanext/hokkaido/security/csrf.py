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
``tests/test_ckan_internals.py``. CKAN 2.11.6 fixed the same flaw itself
(``CSRFProtectPerRequest.exempt_this_request`` marks the request, not the
view); there nothing calls ``exempt`` during a request and this changes
nothing.
"""
from __future__ import annotations

from typing import Any, Iterable

from flask import g, has_request_context

__all__ = ["ANONYMOUS_READS", "PerRequestExemptions", "install", "page_carries_token"]

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


#: pages an anonymous visitor only reads (no form that posts): they carry no
#: CSRF token, so CKAN starts no session for them and nginx may answer them
#: from its short cache (deploy/nginx/ckan-cache.conf); a logged-in user's
#: pages, and every other page, carry the token as CKAN does
ANONYMOUS_READS = frozenset({
    "home.index", "home.about", "dataset.search", "dataset.read", "organization.index", "organization.read",
    "hokkaido_municipalities.index", "hokkaido_municipalities.read", "hokkaido_standard.index",
    "hokkaido_standard.read", "hokkaido_pages.api_guide", "hokkaido_pages.terms", "hokkaido_ai.index",
    "hokkaido_use_cases.index", "hokkaido_use_cases.read",
    # ckanext-dcat's content negotiation answers "/" and "/dataset/<name>"
    # (the front page and the dataset page unless RDF is asked for)
    "dcat.read_catalog", "dcat.read_dataset",
})


def page_carries_token() -> bool:
    """Whether this page needs the CSRF token (and so a session): not for
    an anonymous GET of :data:`ANONYMOUS_READS`."""
    from flask import request

    from ckan.plugins import toolkit
    if not has_request_context():
        return True
    return (toolkit.current_user.is_authenticated or request.method not in ("GET", "HEAD")
            or request.endpoint not in ANONYMOUS_READS)
