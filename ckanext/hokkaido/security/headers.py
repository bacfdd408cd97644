"""Headers on every answer, and uploaded files served as files.

Every answer says who may frame it (``frame-ancestors``, and
``X-Frame-Options`` for older browsers: clickjacking) and that its type is
not to be guessed (``nosniff``).

An uploaded file is whatever its uploader made it; CKAN serves it inline
with the type the uploader wrote in the resource's ``mimetype``, so an
XHTML document uploaded as ``.xml`` or a ``.csv`` declared ``text/html``
ran script on the portal's origin. Here the answer of CKAN's download view
is rewritten: the type is sniffed from the stored bytes (libmagic), never
taken from the resource; only raster images and plain text (``.txt``) are
shown inline, everything else is an attachment; types a browser would run
(HTML, XHTML, SVG, XML, script) go as ``application/octet-stream``; and
the file is sandboxed (``Content-Security-Policy: sandbox``) in case a
browser renders it all the same. The view is recognised by its function
(``ckan.views.resource.download``, named in ``tests/test_ckan_internals.py``).
"""
from __future__ import annotations

import logging
import os
from typing import Optional

from flask import Response, current_app, request
from ckan.plugins import toolkit

__all__ = ["INLINE_TYPES", "ACTIVE_TYPES", "download_headers", "add_headers"]

log = logging.getLogger(__name__)

#: shown in the browser: cannot run script
INLINE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp", "image/bmp", "text/plain"})
#: types a browser renders as a document that may run script
ACTIVE_TYPES = frozenset({"text/html", "application/xhtml+xml", "image/svg+xml", "text/xml", "application/xml",
                          "text/javascript", "application/javascript", "application/x-javascript",
                          "text/ecmascript", "application/ecmascript",
                          "application/x-shockwave-flash", "text/xsl", "application/xslt+xml",
                          "multipart/x-mixed-replace", "message/rfc822", "text/x-shellscript"})
#: text files named as these are typed so, not as text/plain
TEXT_BY_EXTENSION = {".csv": "text/csv", ".tsv": "text/tab-separated-values",
                     ".json": "application/json", ".geojson": "application/geo+json"}

DOWNLOAD_POLICY = "sandbox; default-src 'none'; img-src 'self'; style-src 'unsafe-inline'"


def _sniff(path: str) -> str:
    import magic
    try:
        return magic.from_file(path, mime=True) or "application/octet-stream"
    except (OSError, magic.MagicException) as exc:
        log.warning("could not read the type of %s: %s", path, exc)
        return "application/octet-stream"


def download_headers(path: Optional[str], filename: str) -> tuple[str, str]:
    """(Content-Type, disposition) of a stored upload at ``path`` named
    ``filename``: the sniffed type (see the module's docs)."""
    sniffed = _sniff(path) if path and os.path.isfile(path) else "application/octet-stream"
    extension = os.path.splitext(filename)[1].lower()
    if sniffed in ACTIVE_TYPES:
        return "application/octet-stream", "attachment"
    if sniffed.startswith("text/") and extension in TEXT_BY_EXTENSION:
        return TEXT_BY_EXTENSION[extension] + _charset(path), "attachment"
    if sniffed.startswith("text/"):
        # shown as text only when it is plain text named as text
        inline = sniffed == "text/plain" and extension == ".txt"
        return "text/plain" + _charset(path), "inline" if inline else "attachment"
    return sniffed, "inline" if sniffed in INLINE_TYPES else "attachment"


def _charset(path: Optional[str]) -> str:
    """``; charset=utf-8`` when libmagic is sure; nothing otherwise (a
    Shift_JIS file reads as "unknown-8bit": the browser then guesses)."""
    import magic
    try:
        found = magic.Magic(mime_encoding=True).from_file(path) if path else ""
    except (OSError, magic.MagicException):
        found = ""
    return f"; charset={found}" if found in ("utf-8", "us-ascii") else ""


def _is_download() -> bool:
    from ckan.views import resource
    view = current_app.view_functions.get(request.endpoint or "")
    return view is resource.download


def _upload_path(resource_id: str) -> Optional[str]:
    from ckan.lib import uploader
    try:
        upload = uploader.get_resource_uploader({"id": resource_id, "url_type": "upload"})
        return upload.get_path(resource_id) if getattr(upload, "storage_path", None) else None
    except (TypeError, toolkit.ValidationError):
        return None


def _harden_download(response: Response) -> None:
    args = request.view_args or {}
    resource_id = str(args.get("resource_id") or "")
    filename = str(args.get("filename") or "") or resource_id
    content_type, disposition = download_headers(_upload_path(resource_id), filename)
    response.headers["Content-Type"] = content_type
    response.headers.set("Content-Disposition", disposition, filename=filename)
    response.headers["Content-Security-Policy"] = DOWNLOAD_POLICY
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cross-Origin-Resource-Policy"] = "same-site"


def add_headers(response: Response) -> Response:
    """Flask ``after_request``: the headers above on every answer."""
    ancestors = toolkit.config.get("ckanext.hokkaido.security.frame_ancestors")
    if response.status_code == 200 and _is_download():
        _harden_download(response)
    policy = response.headers.get("Content-Security-Policy")
    frame = f"frame-ancestors {ancestors}"
    response.headers["Content-Security-Policy"] = f"{policy}; {frame}" if policy else frame
    if ancestors.strip() == "'self'":
        response.headers.setdefault("X-Frame-Options", "SAMEORIGIN")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    return response
