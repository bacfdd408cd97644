"""gunicorn settings of the portal (``make demo`` and the systemd unit).

Every value can be overridden from the environment, so one file serves the
demo on a laptop and a production host:

``HOKKAIDO_BIND``      where to listen (default ``127.0.0.1:5000``; behind a
                       reverse proxy keep it on loopback or a unix socket)
``WEB_CONCURRENCY``    worker processes (default 2 × cores + 1, gunicorn's
                       rule of thumb; CKAN's work per request is CPU in Python
                       plus waiting on PostgreSQL and Solr)
``HOKKAIDO_THREADS``   threads per worker (default 1: the sync worker)
``HOKKAIDO_ACCESS_LOG`` / ``HOKKAIDO_ERROR_LOG``  files, or ``-`` for stderr
"""
import multiprocessing
import os

bind = os.environ.get("HOKKAIDO_BIND", "127.0.0.1:5000")
workers = int(os.environ.get("WEB_CONCURRENCY") or multiprocessing.cpu_count() * 2 + 1)
threads = int(os.environ.get("HOKKAIDO_THREADS") or 1)
worker_class = "gthread" if threads > 1 else "sync"

# A request CKAN cannot answer in two minutes is stuck (a hung connection to
# a service): the worker is replaced. Workers are also recycled after a
# thousand requests or so, which bounds any slow growth of memory.
timeout = 120
graceful_timeout = 30
max_requests = 1000
max_requests_jitter = 100
backlog = 2048

# Each worker loads the app itself (no preload): no database connection or
# Solr session is ever shared across a fork, and a worker killed (OOM, a
# crash) is replaced by the master while the others go on serving.
preload_app = False

accesslog = os.environ.get("HOKKAIDO_ACCESS_LOG", "-")
errorlog = os.environ.get("HOKKAIDO_ERROR_LOG", "-")
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms "%(a)s"'
# X-Forwarded-* are trusted from the reverse proxy on the same host only
forwarded_allow_ips = os.environ.get("HOKKAIDO_FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
proc_name = "ckan-hokkaido"
