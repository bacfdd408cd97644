"""gunicorn settings of the portal (``make demo`` and the systemd unit).

Every value can be overridden from the environment, so one file serves the
demo on a laptop and a production host:

``HOKKAIDO_BIND``      where to listen (default ``127.0.0.1:5000``; behind a
                       reverse proxy keep it on loopback or a unix socket)
``WEB_CONCURRENCY``    worker processes (default cores + 1: CKAN's work per
                       request is mostly CPU in Python, and PostgreSQL and Solr
                       share the cores; on 2 cores bench/load.py measured 3
                       workers at 74 req/s, 5 at 68, 2 at 73)
``HOKKAIDO_THREADS``   threads per worker (default 1: the sync worker)
``HOKKAIDO_ACCESS_LOG`` / ``HOKKAIDO_ERROR_LOG``  files, or ``-`` for stderr
"""
import multiprocessing
import os

bind = os.environ.get("HOKKAIDO_BIND", "127.0.0.1:5000")
workers = int(os.environ.get("WEB_CONCURRENCY") or multiprocessing.cpu_count() + 1)
threads = int(os.environ.get("HOKKAIDO_THREADS") or 1)
worker_class = "gthread" if threads > 1 else "sync"
# the workers' heartbeat file in memory, never on a disk that may stall
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None

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
