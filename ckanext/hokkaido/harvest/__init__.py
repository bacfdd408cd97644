"""Harvesting municipal portals into the Hokkaido portal (ckanext-harvest plugins).

``base`` holds the logic shared by every source kind, ``ckan`` the harvester
for CKAN portals, ``report`` the per-run counters, ``logic`` the
``hokkaido_harvest_report`` action and ``plugin`` the plugin that registers it.
"""
