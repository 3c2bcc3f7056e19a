"""gunicorn settings for SafeCampus: `gunicorn -c config/gunicorn.conf.py config.wsgi`.

Each value comes from an environment variable (deploy/safecampus.env.example), with a
default that suits a 2–4 core server behind nginx on the same machine.
"""

import multiprocessing
import os


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name, "")
    return int(raw) if raw else default


# Where nginx sends requests: a loopback address (or a Unix socket, "unix:/run/…/web.sock").
bind = os.environ.get("GUNICORN_BIND", "") or "127.0.0.1:8000"
# Worker processes (2 × cores + 1 is gunicorn's rule of thumb) and threads in each: pages
# wait on PostgreSQL and Redis far more than they compute.
workers = _int("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2 + 1)
threads = _int("GUNICORN_THREADS", 4)
worker_class = "gthread"
# Seconds a request may take before its worker is restarted: long enough for a Word or PDF
# report or a big spreadsheet export (nginx's proxy_read_timeout is longer still).
timeout = _int("GUNICORN_TIMEOUT", 120)
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)
keepalive = _int("GUNICORN_KEEPALIVE", 5)
# A worker is replaced after this many requests (caps slow memory growth); 0 turns it off.
max_requests = _int("GUNICORN_MAX_REQUESTS", 2000)
max_requests_jitter = _int("GUNICORN_MAX_REQUESTS_JITTER", 200)
# Addresses whose X-Forwarded-For/-Proto headers are believed: the proxy (nginx) only.
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "") or "127.0.0.1,::1"
# Logs to stdout/stderr, which systemd's journal keeps (journalctl -u safecampus-web).
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "") or "info"
# The heartbeat files live in memory, not on a possibly slow disk.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
proc_name = "safecampus"
