"""Harvesting municipal portals into the Hokkaido portal (ckanext-harvest plugins).

``kinds`` holds the five harvesters (one per source kind) on ``base``, the
stages every kind shares, which uses ``source_config`` (a source's JSON
config), ``gathering`` (the harvest objects a run writes), ``identity`` (which
dataset a record is, who holds it), ``merging`` (the fields a record sets,
the local-edit rules; no database), ``publisher`` (whose organization
publishes it) and ``errors`` (public message and detail); ``nightly`` is the
cron-safe run of ``ckan hokkaido harvest`` (``commands``), ``report`` the
per-run counters, ``action`` and ``auth`` the harvest's actions, ``views``
its pages and ``plugin`` the plugin that registers them. The HTTP client is
the portal's (:mod:`ckanext.hokkaido.outbound`).
"""
