"""Production settings: gunicorn behind a reverse proxy (nginx) that terminates TLS.

Everything here comes from environment variables read through :mod:`config.env`; the full
list, with a comment each, is ``deploy/safecampus.env.example``. Required: ``SECRET_KEY``,
``DATABASE_URL`` and ``ALLOWED_HOSTS`` (ImproperlyConfigured names the one missing).

One server: PostgreSQL, uploads under ``MEDIA_ROOT``; cache and the task queue fall back to
files under ``SAFECAMPUS_VAR_DIR``. More than one server needs ``REDIS_URL`` (shared cache,
sessions and task queue; only one task consumer may schedule periodic tasks) and uploads
all servers see: ``MEDIA_ROOT`` on a shared folder (NFS) or ``SAFECAMPUS_MEDIA_STORAGE=s3``.
Uploaded files are private: they are only ever served by SafeCampus views after a
permission check, never by the web server or from a storage URL.
"""

from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from config import env

from .base import *  # noqa: F403
from .base import MIDDLEWARE, REDIS_URL, VAR_DIR


def _required(name: str, what: str) -> str:
    value = env.get(name)
    if not value:
        raise ImproperlyConfigured(f"{name} must be set in production: {what}")
    return value


DEBUG = False
SECRET_KEY = env.get("SECRET_KEY")
if not SECRET_KEY or len(SECRET_KEY) < 50:
    raise ImproperlyConfigured("SECRET_KEY must be set to a random string of at least 50 characters")
_required("DATABASE_URL", "the PostgreSQL database, e.g. postgres://safecampus:PASSWORD@db.example/safecampus")
_required("ALLOWED_HOSTS", "the host names the site is reached by, comma-separated, "
                           "e.g. safecampus.example.edu.cn")
ALLOWED_HOSTS = env.get_list("ALLOWED_HOSTS")
CSRF_TRUSTED_ORIGINS = env.get_list("CSRF_TRUSTED_ORIGINS")

# TLS ends at the proxy, which says so in X-Forwarded-Proto (deploy/nginx/safecampus.conf).
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.get_bool("SECURE_SSL_REDIRECT", True)
SECURE_REDIRECT_EXEMPT = [r"^operations/healthz$"]  # load balancers probe over plain HTTP
SECURE_HSTS_SECONDS = env.get_int("SECURE_HSTS_SECONDS", 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True

STATIC_ROOT = Path(env.get("STATIC_ROOT", str(VAR_DIR / "staticfiles")))

# Uploaded files (photos, evidence, campus maps, imports, report files).
MEDIA_STORAGE = env.get("SAFECAMPUS_MEDIA_STORAGE", "filesystem")
if MEDIA_STORAGE == "filesystem":
    MEDIA_ROOT = Path(env.get("MEDIA_ROOT", str(VAR_DIR / "media")))
    _media = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
elif MEDIA_STORAGE == "s3":
    _acl = env.get("AWS_DEFAULT_ACL", "private")
    _media = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": _required("AWS_STORAGE_BUCKET_NAME",
                                     "the bucket uploads are kept in when SAFECAMPUS_MEDIA_STORAGE=s3"),
            "endpoint_url": env.get("AWS_S3_ENDPOINT_URL") or None,
            "access_key": env.get("AWS_ACCESS_KEY_ID") or None,
            "secret_key": env.get("AWS_SECRET_ACCESS_KEY") or None,
            "region_name": env.get("AWS_S3_REGION_NAME") or None,
            "addressing_style": env.get("AWS_S3_ADDRESSING_STYLE") or None,
            # Private objects: no public ACL ("none": send no ACL, for buckets with ACLs
            # turned off, which are private anyway), and any URL would be a signed one.
            "default_acl": None if _acl == "none" else _acl,
            "querystring_auth": True,
            # Two uploads with the same name keep both files, as on a disk.
            "file_overwrite": False,
        },
    }
else:
    raise ImproperlyConfigured(
        f"SAFECAMPUS_MEDIA_STORAGE must be 'filesystem' or 's3', not {MEDIA_STORAGE!r}")
STORAGES = {
    "default": _media,
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# Sessions live in the database (seen by every server), read through the Redis cache when
# there is one.
if REDIS_URL:
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

# Outgoing e-mail (SMTP by default in production).
EMAIL_BACKEND = env.get("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = env.get("EMAIL_HOST", "localhost")
EMAIL_PORT = env.get_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env.get("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env.get("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env.get_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env.get_bool("EMAIL_USE_SSL", False)
EMAIL_FILE_PATH = env.get("EMAIL_FILE_PATH", str(VAR_DIR / "mail"))
SERVER_EMAIL = env.get("SERVER_EMAIL", env.get("DEFAULT_FROM_EMAIL", "safecampus@localhost"))

MIDDLEWARE = list(MIDDLEWARE)
