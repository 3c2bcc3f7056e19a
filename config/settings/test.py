"""Settings for pytest. DATABASE_URL selects SQLite (default) or PostgreSQL."""

import os

from .base import *  # noqa: F403
from .base import DATABASES, HUEY, SAFECAMPUS, VAR_DIR

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
HUEY = {**HUEY, "immediate": True}
if HUEY["huey_class"] == "huey.SqliteHuey":
    HUEY = {**HUEY, "huey_class": "huey.MemoryHuey"}
    HUEY.pop("filename", None)
MEDIA_ROOT = VAR_DIR / "test-media" / str(os.getpid())
AXES_ENABLED = False
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
SAFECAMPUS = {**SAFECAMPUS}
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Parallel runs (several shells, CI) must not share one PostgreSQL test database.
if DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3":
    DATABASES["default"]["TEST"] = {
        "NAME": "test_safecampus_" + os.environ.get("SAFECAMPUS_TEST_DB_SUFFIX", str(os.getpid()))
    }
