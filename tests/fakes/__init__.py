"""What the tests (and the benchmarks) run against instead of the internet:
a real HTTP server on 127.0.0.1 that serves realistic answers
(:mod:`portal_server`), the portals built on it in their real formats (a
CKAN action API, :mod:`ckan`; SHIRASAGI, :mod:`shirasagi`; catalog files,
:mod:`catalog`; ArcGIS Hub DCAT feeds, :mod:`dcat`; a municipal page of data
files, :mod:`webpage`), a real second CKAN instance (:mod:`source_ckan`) and
hostile bodies (:mod:`hostile`). Nothing here is a test: test modules and
``bench/`` import from here, never from each other.
"""
