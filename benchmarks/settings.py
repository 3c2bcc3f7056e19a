"""Settings for the benchmark: the production-like stack (DEBUG off) on a database of its own.

``benchmarks/run.py`` sets ``DATABASE_URL`` (a SQLite file under ``var/bench/`` or the
PostgreSQL database ``safecampus_bench``) and ``SAFECAMPUS_VAR_DIR`` before Django starts.
"""

from config.settings.base import *  # noqa: F403
from config.settings.base import ALLOWED_HOSTS

DEBUG = False
# django.test.Client sends Host: testserver.
ALLOWED_HOSTS = [*ALLOWED_HOSTS, "testserver"]
# The generated users sign in with force_login; hashing speed does not matter, lock-outs must not.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
AXES_ENABLED = False
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# No task queue file: nothing the measured pages do enqueues work.
HUEY = {"huey_class": "huey.MemoryHuey", "name": "safecampus-bench", "immediate": True, "utc": False}
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}
