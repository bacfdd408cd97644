"""Who is asking: the client's address behind the portal's own proxy.

Behind nginx (``deploy/nginx``) every request reaches gunicorn from
127.0.0.1; nginx appends the address it saw to ``X-Forwarded-For``. That
header is believed only when the request comes from a proxy of ours
(``ckanext.hokkaido.security.trusted_proxies``), and then only its last
entry, the one our proxy wrote (a client can write the others).
"""
from __future__ import annotations

from flask import request
from ckan.plugins import toolkit

__all__ = ["client_address"]


def client_address() -> str:
    """The address of the client of the current request."""
    direct = request.remote_addr or ""
    trusted = toolkit.config.get("ckanext.hokkaido.security.trusted_proxies") or []
    forwarded = request.headers.get("X-Forwarded-For", "")
    if direct in trusted and forwarded:
        return forwarded.split(",")[-1].strip() or direct
    return direct
