"""Production settings read only the environment: required variables fail clearly, the
media storage is chosen by SAFECAMPUS_MEDIA_STORAGE, and the deploy samples agree with
the settings."""

import json
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

BASE_DIR = Path(settings.BASE_DIR)
REQUIRED = {
    "SECRET_KEY": secrets.token_urlsafe(60),
    "DATABASE_URL": "postgres://safecampus:secret@db.example.edu.cn:5432/safecampus",
    "ALLOWED_HOSTS": "safecampus.example.edu.cn,www.safecampus.example.edu.cn",
}
PRINT = ("import json; from django.conf import settings as s; "
         "print(json.dumps({'hosts': s.ALLOWED_HOSTS, 'db': s.DATABASES['default']['ENGINE'], "
         "'media': s.STORAGES['default'], 'root': str(s.MEDIA_ROOT), "
         "'session': s.SESSION_ENGINE, 'huey': s.HUEY['huey_class'], "
         "'cache': s.CACHES['default']['BACKEND'], 'secure': s.SESSION_COOKIE_SECURE, "
         "'csrf_secure': s.CSRF_COOKIE_SECURE}))")


def _load(tmp_path, **env) -> subprocess.CompletedProcess:
    """Import config.settings.production in a fresh interpreter with exactly ``env`` (plus
    PATH) and print what it chose."""
    clean = {"PATH": os.environ.get("PATH", ""), "SAFECAMPUS_VAR_DIR": str(tmp_path / "var"),
             "DJANGO_SETTINGS_MODULE": "config.settings.production", **env}
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); " + PRINT],
        cwd=BASE_DIR, env=clean, capture_output=True, text=True, timeout=120)


def _error(result) -> str:
    assert result.returncode != 0
    return result.stderr.strip().splitlines()[-1]


def test_each_required_variable_missing_is_named(tmp_path):
    # given everything required but one / then the start fails and says which and why
    for name, message in [
        ("SECRET_KEY", "SECRET_KEY must be set to a random string of at least 50 characters"),
        ("DATABASE_URL", "DATABASE_URL must be set in production: the PostgreSQL database, "
                         "e.g. postgres://safecampus:PASSWORD@db.example/safecampus"),
        ("ALLOWED_HOSTS", "ALLOWED_HOSTS must be set in production: the host names the site "
                          "is reached by, comma-separated, e.g. safecampus.example.edu.cn"),
    ]:
        env = {k: v for k, v in REQUIRED.items() if k != name}
        assert _error(_load(tmp_path, **env)) == (
            f"django.core.exceptions.ImproperlyConfigured: {message}")


def test_a_whole_number_setting_that_is_not_one_is_named_with_its_value(tmp_path):
    # given a typo in an integer variable / then the start fails naming it and the bad value
    result = _load(tmp_path, **REQUIRED, SAFECAMPUS_BACKUP_KEEP="abc")
    assert _error(result) == ("django.core.exceptions.ImproperlyConfigured: "
                              "SAFECAMPUS_BACKUP_KEEP must be a whole number, got 'abc'")
    assert "ValueError" not in result.stderr


def test_get_int_reads_whole_numbers_and_refuses_the_rest(monkeypatch):
    from django.core.exceptions import ImproperlyConfigured

    from config import env

    for raw, expected in [(None, 14), ("", 14), ("7", 7), (" 21 ", 21), ("-1", -1)]:
        if raw is None:
            monkeypatch.delenv("SAFECAMPUS_TEST_INT", raising=False)
        else:
            monkeypatch.setenv("SAFECAMPUS_TEST_INT", raw)
        assert env.get_int("SAFECAMPUS_TEST_INT", 14) == expected
    for raw in ["abc", "1.5", "1e3", "14天"]:
        monkeypatch.setenv("SAFECAMPUS_TEST_INT", raw)
        with pytest.raises(ImproperlyConfigured) as caught:
            env.get_int("SAFECAMPUS_TEST_INT", 14)
        assert str(caught.value) == f"SAFECAMPUS_TEST_INT must be a whole number, got {raw!r}"


def test_a_short_secret_key_is_refused(tmp_path):
    assert _error(_load(tmp_path, **{**REQUIRED, "SECRET_KEY": "short"})).endswith(
        "SECRET_KEY must be set to a random string of at least 50 characters")


def test_filesystem_media_by_default_with_secure_cookies(tmp_path):
    # given only the required variables and a MEDIA_ROOT on a shared folder
    result = _load(tmp_path, **REQUIRED, MEDIA_ROOT="/mnt/nfs/safecampus-media")
    assert result.returncode == 0, result.stderr
    chosen = json.loads(result.stdout)
    # then uploads go to that folder, the database is PostgreSQL, cookies are Secure
    assert chosen["media"] == {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    assert chosen["root"] == "/mnt/nfs/safecampus-media"
    assert chosen["hosts"] == ["safecampus.example.edu.cn", "www.safecampus.example.edu.cn"]
    assert chosen["db"] == "django.db.backends.postgresql"
    assert chosen["secure"] is True and chosen["csrf_secure"] is True
    # and without REDIS_URL the queue and cache stay on this server
    assert chosen["huey"] == "huey.SqliteHuey"
    assert chosen["cache"] == "django.core.cache.backends.filebased.FileBasedCache"


def test_redis_url_moves_cache_sessions_and_queue_to_redis(tmp_path):
    result = _load(tmp_path, **REQUIRED, REDIS_URL="redis://10.0.0.5:6379/2")
    assert result.returncode == 0, result.stderr
    chosen = json.loads(result.stdout)
    assert chosen["huey"] == "huey.RedisHuey"
    assert chosen["cache"] == "django.core.cache.backends.redis.RedisCache"
    assert chosen["session"] == "django.contrib.sessions.backends.cached_db"


def test_s3_media_takes_the_bucket_and_keeps_objects_private(tmp_path):
    # given S3 storage with a bucket on an S3-compatible server
    result = _load(tmp_path, **REQUIRED, SAFECAMPUS_MEDIA_STORAGE="s3",
                   AWS_STORAGE_BUCKET_NAME="safecampus-media",
                   AWS_S3_ENDPOINT_URL="https://minio.example.edu.cn",
                   AWS_ACCESS_KEY_ID="AKIDEXAMPLE", AWS_SECRET_ACCESS_KEY="secret-example",
                   AWS_S3_REGION_NAME="cn-north-1")
    assert result.returncode == 0, result.stderr
    media = json.loads(result.stdout)["media"]
    # then django-storages' S3Storage gets exactly these, private, never overwriting
    assert media == {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": {
        "bucket_name": "safecampus-media", "endpoint_url": "https://minio.example.edu.cn",
        "access_key": "AKIDEXAMPLE", "secret_key": "secret-example",
        "region_name": "cn-north-1", "addressing_style": None, "default_acl": "private",
        "querystring_auth": True, "file_overwrite": False}}


def test_s3_without_a_bucket_and_an_unknown_storage_are_refused(tmp_path):
    assert _error(_load(tmp_path, **REQUIRED, SAFECAMPUS_MEDIA_STORAGE="s3")).endswith(
        "AWS_STORAGE_BUCKET_NAME must be set in production: the bucket uploads are kept in "
        "when SAFECAMPUS_MEDIA_STORAGE=s3")
    assert _error(_load(tmp_path, **REQUIRED, SAFECAMPUS_MEDIA_STORAGE="ftp")).endswith(
        "SAFECAMPUS_MEDIA_STORAGE must be 'filesystem' or 's3', not 'ftp'")


def test_nginx_accepts_exactly_the_request_size_the_application_does():
    conf = (BASE_DIR / "deploy" / "nginx" / "safecampus.conf").read_text()
    sizes = re.findall(r"^\s*client_max_body_size\s+(\d+)([kKmMgG]?)\s*;", conf, re.MULTILINE)
    assert len(sizes) == 1
    number, unit = sizes[0]
    factor = {"": 1, "k": 1024, "m": 1024 ** 2, "g": 1024 ** 3}[unit.lower()]
    assert int(number) * factor == settings.DATA_UPLOAD_MAX_MEMORY_SIZE == 30 * 1024 * 1024


def test_the_env_example_lists_every_variable_the_settings_read():
    example = (BASE_DIR / "deploy" / "safecampus.env.example").read_text()
    listed = set(re.findall(r"^([A-Z][A-Z0-9_]*)=", example, re.MULTILINE))
    read = set()
    for path in [*(BASE_DIR / "config").glob("*.py"), *(BASE_DIR / "config" / "settings").glob("*.py")]:
        text = path.read_text()
        read |= set(re.findall(r'env\.get(?:_bool|_int|_list)?\(\s*"([A-Z][A-Z0-9_]*)"', text))
        read |= set(re.findall(r'_int\(\s*"([A-Z][A-Z0-9_]*)"', text))
        read |= set(re.findall(r'os\.environ\.get\(\s*"([A-Z][A-Z0-9_]*)"', text))
        read |= set(re.findall(r'_required\(\s*"([A-Z][A-Z0-9_]*)"', text))
    read -= {"SAFECAMPUS_TEST_DB_SUFFIX"}  # test settings only
    assert read - listed == set()


def test_only_one_consumer_unit_schedules_periodic_tasks():
    units = BASE_DIR / "deploy" / "systemd"
    starts = {p.name: re.search(r"^ExecStart=(.*)$", p.read_text(), re.MULTILINE).group(1)
              for p in units.glob("*.service")}
    consumers = {name: cmd for name, cmd in starts.items() if "run_huey" in cmd}
    scheduling = [name for name, cmd in consumers.items() if "--no-periodic" not in cmd]
    assert scheduling == ["safecampus-scheduler.service"]
    assert consumers["safecampus-worker@.service"].endswith("run_huey --no-periodic")
    assert "gunicorn -c config/gunicorn.conf.py config.wsgi" in starts["safecampus-web.service"]
