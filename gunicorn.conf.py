"""gunicorn's settings for the web process (`gunicorn wsgi:app` reads this file from the working directory).

Threaded workers for pages and the API: the websockets are served by the realtime process (realtime.py,
gevent), so workers × threads need only cover concurrent page and API requests (README, "Live pages").
Every value can be changed from the environment without a new image.
"""

import os
import shutil
import tempfile

bind = os.environ.get("GUNICORN_BIND", f"0.0.0.0:{os.environ.get('PORT', '8000')}")
worker_class = "gthread"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("GUNICORN_THREADS", "16"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))  # a worker silent this long is restarted
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
keepalive = 5
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "0"))  # 0: workers are not recycled
max_requests_jitter = max_requests // 10

# The app writes one access line per request itself, with the request id and user (storefront/observability);
# gunicorn's own would say the same without them. Errors and gunicorn's notices go to stderr.
accesslog = None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")

# Prometheus: each worker process writes its figures to files here and /metrics adds them up, whichever worker
# answers. Set before the workers import prometheus_client (the app is loaded in each worker, after this file).
# Without a configured one (the image sets it), a fresh folder of this server's own: two servers on one machine
# must not add up, or wipe, each other's figures.
_own_metrics_dir = not os.environ.get("PROMETHEUS_MULTIPROC_DIR")
if _own_metrics_dir:
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="storefront-metrics-")
metrics_dir = os.environ["PROMETHEUS_MULTIPROC_DIR"]


def on_starting(server):
    # Figures left by an earlier run would be added to this one's.
    shutil.rmtree(metrics_dir, ignore_errors=True)
    os.makedirs(metrics_dir, exist_ok=True)


def child_exit(server, worker):
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)  # its gauges go; its counters stay counted


def on_exit(server):
    if _own_metrics_dir:
        shutil.rmtree(metrics_dir, ignore_errors=True)
