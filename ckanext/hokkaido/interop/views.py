"""``/sitemap.xml`` (the index) and ``/sitemap-<n>.xml`` (the pages); the
``Sitemap:`` line of ``/robots.txt`` is in templates/home/robots.txt."""
from __future__ import annotations

from typing import Iterable
from xml.sax.saxutils import escape

from flask import Blueprint, Response
from ckan.plugins import toolkit

from ckanext.hokkaido.interop import sitemap as sitemaps
from ckanext.hokkaido.settings import site_address

__all__ = ["sitemap"]

sitemap = Blueprint("hokkaido_sitemap", __name__)

NAMESPACE = "http://www.sitemaps.org/schemas/sitemap/0.9"


def _xml(lines: Iterable[str]) -> Response:
    body = '<?xml version="1.0" encoding="UTF-8"?>\n' + "\n".join(lines) + "\n"
    return Response(body, mimetype="application/xml")


@sitemap.route("/sitemap.xml")
def index() -> Response:
    pages = sitemaps.page_count()
    return _xml([f'<sitemapindex xmlns="{NAMESPACE}">',
                 *(f"  <sitemap><loc>{escape(site_address(f'/sitemap-{n}.xml'))}</loc></sitemap>"
                   for n in range(1, pages + 1)),
                 "</sitemapindex>"])


@sitemap.route("/sitemap-<int:page>.xml")
def page(page: int) -> Response:
    try:
        entries = list(sitemaps.page_entries(page))
    except ValueError:
        return toolkit.abort(404, toolkit._("No such sitemap page"))
    lines = [f'<urlset xmlns="{NAMESPACE}">']
    for entry in entries:
        lastmod = f"<lastmod>{entry.lastmod.isoformat()}</lastmod>" if entry.lastmod else ""
        lines.append(f"  <url><loc>{escape(site_address(entry.path))}</loc>{lastmod}</url>")
    lines.append("</urlset>")
    return _xml(lines)
