"""The portal as a WSGI application, for gunicorn (or any WSGI server).

    CKAN_INI=/etc/ckan/ckan.ini gunicorn --config deploy/gunicorn.conf.py --pythonpath deploy wsgi:application

The same ini as ``ckan -c … run``: CKAN's own loader reads it (``use =
config:…`` chains and ``CKAN_*`` environment overrides included) and its
``[logger_*]`` sections configure logging, as CKAN's deployment guide does
with its ``wsgi.py``.

Static files (CKAN's and the plugins' ``public/`` folders, and the bundles
``ckan asset build`` wrote) are answered by WhiteNoise from an index made
at start, with cache headers and without entering CKAN: a page's thirty
assets cost no CKAN request each. Behind nginx (``deploy/nginx/``) nginx
answers them first; ``HOKKAIDO_STATIC=0`` leaves them all to CKAN.
Uploaded files are never in the index: they change while the server runs.
"""
import logging.config
import os

from ckan.cli import CKANConfigLoader
from ckan.config.middleware import make_app

config_file = os.path.abspath(os.environ.get("CKAN_INI", "ckan.ini"))
if not os.path.isfile(config_file):
    raise SystemExit(f"CKAN_INI: no such file: {config_file}")
logging.config.fileConfig(config_file, disable_existing_loggers=False)
application = make_app(CKANConfigLoader(config_file).get_config())


def with_static_files(app):
    """``app`` behind WhiteNoise, serving what CKAN's static route would,
    in CKAN's order of precedence (a plugin's file before core's)."""
    import ckan
    from ckan.common import config
    from ckan.lib.webassets_tools import get_webassets_path
    from whitenoise import WhiteNoise

    folders = [p for p in (config.get("extra_public_paths") or "").split(",") if p]
    folders += list(config.get("plugin_public_paths") or [])
    folders.append(os.path.join(os.path.dirname(ckan.__file__), config.get("ckan.base_public_folder")))
    served = WhiteNoise(app, max_age=3600, allow_all_origins=False)
    for folder in reversed(folders):  # a later add_files wins: the first folder last
        if os.path.isdir(folder):
            served.add_files(folder, prefix="/")
    bundles = get_webassets_path()
    if bundles and os.path.isdir(bundles):
        served.add_files(bundles, prefix=config["ckan.webassets.url"].rstrip("/") + "/")
    return served


if os.environ.get("HOKKAIDO_STATIC", "1") != "0":
    application = with_static_files(application)
