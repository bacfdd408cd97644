"""Finding and registering harvest sources: the sources room.

* :mod:`.registration` — :func:`~.registration.register`, the one way a
  source is registered (probe, a file of URLs, discover, a steward's accept,
  the known portals), and the one rule for "already registered";
* :mod:`.known_portals` — the portals we know of (``data/known_portals.csv``);
* :mod:`.decision` — what becomes of a source discover finds (registered,
  proposed, noted as a shared portal);
* :mod:`.proposals` — the proposals kept for stewards (migration 0006);
* :mod:`.action`, :mod:`.auth`, :mod:`.schema`, :mod:`.views` — their
  actions and page (``/municipalities/<code>/proposals``), registered by the
  hokkaido plugin.

Probing and discovery themselves read the web and live in
:mod:`harvesters.probe` and :mod:`harvesters.discover` (no CKAN).
"""
