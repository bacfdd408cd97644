"""Source adapters for municipal open-data portals.

Nothing in this package imports CKAN: an adapter reads one kind of portal
over HTTP and yields normalised records, usable on its own
(``python -m harvesters ...``) or through the harvest plugins of
``ckanext.hokkaido``.
"""
