"""gunicorn for hipwatch: `gunicorn -c config/gunicorn.conf.py config.wsgi`.

Workers and threads default to what measured best on a 2-core machine under 20
clients (docs/benchmarks.md: cores + 1 sync workers once the master freezes its
heap before the fork — 2, 3, 4 and 6 workers gave 184, 173–191, 162 and 146
requests/s; 2 workers of 4 threads were slower and dropped requests); set
WEB_WORKERS and WEB_THREADS for other machines. The application, its URLconf and views (WeasyPrint among them)
are imported once in the master before the workers fork, so no officer's first
request pays for the imports."""

import multiprocessing
import os

bind = os.environ.get("WEB_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("WEB_WORKERS", multiprocessing.cpu_count() + 1))
threads = int(os.environ.get("WEB_THREADS", "1"))
worker_class = "gthread" if threads > 1 else "sync"
preload_app = True
# A draft bulletin's PDF is rendered on request: give it time.
timeout = int(os.environ.get("WEB_TIMEOUT", "120"))
# Recycle workers now and then (memory held by large PDFs and figures).
max_requests = 2000
max_requests_jitter = 200
accesslog = os.environ.get("WEB_ACCESS_LOG") or None


def on_starting(server):
    """Import every view in the master, after the application (preload_app) and
    before the arbiter watches its children: importing WeasyPrint runs short-lived
    subprocesses (ctypes looking for libraries), which the arbiter would otherwise
    log as workers that died."""
    import gc

    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018
    # Everything imported so far (Django, the URLconf, WeasyPrint: most of a worker's
    # objects) to the collector's permanent generation before the workers fork: a
    # worker's full collections no longer walk it, nor copy its pages by touching
    # them (the gc module's advice for a server that forks).
    gc.freeze()
