"""Backup and restore (``manage.py backup`` / ``manage.py restore``) on SQLite and PostgreSQL.

The round trip builds a real hazard ledger through the hazards services, backs it up, restores
the archive into a NEW EMPTY database (PostgreSQL: ``<test db>_restore``; SQLite: a new file)
with ``manage.py restore`` in a subprocess, and reads the restored installation back in a
second subprocess. Refusals run in-process against the test database and must change
nothing.
"""

import datetime as dt
import hashlib
import io
import json
import os
import subprocess
import sys
import tarfile
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import translation

from safecampus.core.models import ActivityEntry
from safecampus.hazards import services
from safecampus.hazards.models import Hazard, RectificationNotice
from safecampus.operations import backup as backup_service
from safecampus.operations.models import Backup
from safecampus.tests.factories import photo_upload

BASE_DIR = Path(settings.BASE_DIR)
SUBPROCESS_TIMEOUT = 600


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


# --------------------------------------------------------------------------------------------
# Helpers


def build_ledger(org) -> None:
    """Four hazards at four points of the loop, with report and evidence photos."""
    staff, contact = org.users.staff, org.users.contact_a

    def report(title, **kwargs):
        return services.hazard_report(reporter=org.users.student, title=title,
                                      category_id=org.fire.pk, place_id=org.place_a.pk, **kwargs)

    report("走廊堆放杂物", photos=[photo_upload("corridor.jpg")])
    issued = []
    for title in ("灭火器过期", "应急灯损坏", "安全出口锁闭"):
        hazard = services.hazard_confirm(actor=staff, hazard_id=report(title).pk)
        notice = services.notice_issue(actor=staff, hazard_ids=[hazard.pk],
                                       requirements="限期整改", deadline_days=7)
        issued.append((hazard, notice))
    for hazard, notice in issued[1:]:
        services.notice_acknowledge(actor=contact, notice_id=notice.pk)
        services.hazard_start_rectification(actor=contact, hazard_id=hazard.pk)
        services.evidence_submit(actor=contact, hazard_id=hazard.pk, text="已整改",
                                 photos=[photo_upload("fixed.jpg", size=(80, 60))])
    services.hazard_verify(actor=staff, hazard_id=issued[2][0].pk)


def _sha(storage, name: str) -> str:
    with storage.open(name, "rb") as handle:
        return hashlib.sha256(handle.read()).hexdigest()


def snapshot() -> dict:
    """What must survive a restore: the ledger, the notices, the timelines and the files."""
    def iso(value):
        return value.isoformat() if value else None

    timelines: dict[str, list[str]] = {}
    for entry in ActivityEntry.objects.filter(target_type__app_label="hazards").select_related(
            "target_type").order_by("occurred_at", "id"):
        key = f"{entry.target_type.model}:{entry.target_id}"
        timelines.setdefault(key, []).append(entry.verb)
    return {
        "hazards": [[h.pk, h.title, h.status, iso(h.deadline)]
                    for h in Hazard.objects.order_by("pk")],
        "notices": [[n.number, iso(n.deadline), n.state]
                    for n in RectificationNotice.objects.order_by("pk")],
        "timelines": timelines,
        "files": {name: _sha(default_storage, name)
                  for name in backup_service._media_names(default_storage)},
        "restores": list(Backup.objects.filter(kind=Backup.Kind.RESTORE).values_list(
            "state", "archive_name", "row_count", "file_count")),
        "tables": sorted(connection.introspection.table_names()),
    }


def _target_env(tmp_path: Path, database_url: str) -> dict:
    env = {k: v for k, v in os.environ.items()
           if k not in {"DATABASE_URL", "REDIS_URL", "HUEY_NAME", "MEDIA_ROOT"}}
    env.update(DJANGO_SETTINGS_MODULE="config.settings.local", DATABASE_URL=database_url,
               MEDIA_ROOT=str(tmp_path / "target-media"),
               SAFECAMPUS_VAR_DIR=str(tmp_path / "target-var"))
    return env


def _run(argv: list[str], env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(argv, cwd=BASE_DIR, env=env, capture_output=True, text=True,
                          timeout=SUBPROCESS_TIMEOUT, check=False)


def _read_target(env: dict) -> dict:
    code = ("import django, json; django.setup(); "
            "from safecampus.operations.tests.test_backup import snapshot; "
            "print(json.dumps(snapshot()))")
    result = _run([sys.executable, "-c", code], env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.fixture
def empty_target(tmp_path):
    """A new, empty database of the test database's kind: (DATABASE_URL, name)."""
    if connection.vendor == "sqlite":
        path = tmp_path / "target.sqlite3"
        yield f"sqlite:///{path}"
        return
    import psycopg

    conf = connection.settings_dict
    name = f"{conf['NAME']}_restore"
    admin = {"dbname": "postgres", "user": conf["USER"], "password": conf["PASSWORD"],
             "host": conf["HOST"], "port": conf["PORT"]}
    admin = {k: v for k, v in admin.items() if v}
    with psycopg.connect(**admin, autocommit=True) as pg:
        pg.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        pg.execute(f'CREATE DATABASE "{name}"')
    auth = quote(conf["USER"] or "", safe="")
    if conf["PASSWORD"]:
        auth += ":" + quote(conf["PASSWORD"], safe="")
    yield f"postgres://{auth}@{conf['HOST'] or ''}:{conf['PORT'] or 5432}/{name}"
    with psycopg.connect(**admin, autocommit=True) as pg:
        pg.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _archives(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def _rewrite(source: Path, target: Path, *, manifest=None, member=None) -> Path:
    """Copy an archive, changing its manifest (``manifest(dict)``) or one member's bytes
    (``member=(name, bytes)``) without updating the manifest."""
    with tarfile.open(source, "r:gz") as old, tarfile.open(target, "w:gz") as new:
        for info in old.getmembers():
            data = old.extractfile(info).read()
            if info.name == "manifest.json" and manifest:
                data = json.dumps(manifest(json.loads(data))).encode()
            if member and info.name == member[0]:
                data = member[1]
            info.size = len(data)
            new.addfile(info, io.BytesIO(data))
    return target


def _backup(folder: Path) -> Path:
    call_command("backup", output_dir=str(folder), stdout=io.StringIO())
    (name,) = [n for n in _archives(folder) if n.endswith(".tar.gz")]
    return folder / name


# --------------------------------------------------------------------------------------------
# The round trip


@pytest.mark.django_db(transaction=True)
def test_backup_then_restore_into_a_new_empty_database(org, tmp_path, empty_target):
    # given a ledger with notices, photos and timelines, in a database one migration behind
    # the code (core 0002 rolled back), so that the restore has to migrate afterwards
    build_ledger(org)
    before = snapshot()
    assert len(before["hazards"]) == 4 and len(before["notices"]) == 3
    assert len(before["files"]) >= 6
    call_command("migrate", "core", "0001", verbosity=0)
    try:
        # when it is backed up
        out = io.StringIO()
        call_command("backup", output_dir=str(tmp_path / "archives"), stdout=out)
    finally:
        call_command("migrate", "core", verbosity=0)
    (name,) = _archives(tmp_path / "archives")
    archive = tmp_path / "archives" / name
    row = Backup.objects.get(kind=Backup.Kind.BACKUP)
    # then one archive and a done Backup row describe it
    assert row.state == Backup.State.DONE and row.archive_name == name
    assert row.size_bytes == archive.stat().st_size
    assert row.sha256 == hashlib.sha256(archive.read_bytes()).hexdigest()
    assert row.database_vendor == connection.vendor and row.file_count == len(before["files"])
    assert row.row_count > 0 and row.version and row.host
    assert out.getvalue().startswith(f"Backup written: {archive} (")
    with tarfile.open(archive) as tar:
        names = tar.getnames()
        manifest = json.loads(tar.extractfile("manifest.json").read())
    assert names[0] == manifest["database"]["member"] and names[-1] == "manifest.json"
    assert manifest["database"]["vendor"] == connection.vendor
    assert "0002_workday_override" not in manifest["migrations"]["core"]
    assert manifest["tables"]["hazards_hazard"] == 4
    assert {m["name"]: m["sha256"] for m in manifest["media"]} == before["files"]
    assert manifest["rows"] == row.row_count == sum(manifest["tables"].values())

    # when it is restored into a new, empty database and file storage
    env = _target_env(tmp_path, empty_target)
    result = _run([sys.executable, "manage.py", "restore", str(archive)], env)
    # then the restore succeeds, says what it restored and migrated the older archive
    assert result.returncode == 0, result.stderr
    # (in the site's language: compare the figures, which every translation keeps)
    restored, migrated = result.stdout.strip().splitlines()
    for figure in (f" {row.row_count} ", f" {len(manifest['tables'])} ",
                   f" {row.file_count} ", name):
        assert figure in restored, (figure, restored)
    assert " 1 " in migrated, migrated
    # and the target holds the same ledger, notices, timelines and files (same bytes)
    after = _read_target(env)
    for key in ("hazards", "notices", "timelines", "files", "tables"):
        assert after[key] == before[key], key
    assert after["restores"] == [["done", name, row.row_count, row.file_count]]

    # when the restored installation (a database file or server of its own) backs up in turn
    second = _run([sys.executable, "manage.py", "backup", "--output-dir",
                   str(tmp_path / "second")], env)
    assert second.returncode == 0, second.stderr
    (name2,) = _archives(tmp_path / "second")
    # then that archive checks out, with the ledger's rows and the same files
    out = io.StringIO()
    call_command("restore", str(tmp_path / "second" / name2), check=True, stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[0] == f"{name2} is complete: every checksum matches."
    assert f" {connection.vendor} database, " in lines[1]
    assert f" {len(before['files'])} files; " in lines[1]
    assert lines[2] == "It can be restored into this installation."
    with tarfile.open(tmp_path / "second" / name2) as tar:
        manifest2 = json.loads(tar.extractfile("manifest.json").read())
    assert manifest2["tables"]["hazards_hazard"] == 4
    assert manifest2["migrations"]["core"][-1] == "0002_workday_override"

    # when the same archive is restored again over the now-used target without --force
    again = _run([sys.executable, "manage.py", "restore", str(archive)], env)
    # then it is refused
    assert again.returncode != 0 and again.stdout == ""
    assert _read_target(env)["restores"] == after["restores"]


# --------------------------------------------------------------------------------------------
# Refusals change nothing


def _refused(archive: Path, *, force: bool = True) -> str:
    with pytest.raises(CommandError) as caught:
        call_command("restore", str(archive), force=force, stdout=io.StringIO())
    return str(caught.value)


def test_restore_refusals_change_nothing(org, tmp_path):
    # given a ledger and an archive of it (Django's connection sees the test's data)
    build_ledger(org)
    archive = _backup(tmp_path / "archives")
    before = snapshot()
    other = "postgresql" if connection.vendor == "sqlite" else "sqlite"
    prefix = "Restore refused or failed: "
    cases = {
        "truncated": (lambda p: p.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])
                      or p),
        "not-archive": lambda p: p.write_text("hello") and p,
        "altered": lambda p: _rewrite(archive, p, member=(
            f"media/{next(iter(before['files']))}", b"tampered")),
        "wrong-vendor": lambda p: _rewrite(archive, p, manifest=lambda m: {
            **m, "database": {**m["database"], "vendor": other}}),
        "newer-migration": lambda p: _rewrite(archive, p, manifest=lambda m: {
            **m, "migrations": {**m["migrations"], "hazards": m["migrations"]["hazards"] + [
                "9999_from_the_future"]}}),
        "newer-format": lambda p: _rewrite(archive, p, manifest=lambda m: {
            **m, "format_version": 99}),
        "no-manifest": lambda p: _rewrite_without_manifest(archive, p),
    }
    messages = {}
    for case, make in cases.items():
        path = tmp_path / f"{case}.tar.gz"
        make(path)
        # when each bad archive is restored, even with --force
        messages[case] = _refused(path)
    # then each is refused with its reason and nothing changed
    damaged = "The archive {} is damaged ({}); nothing was changed."
    assert messages["truncated"].startswith(prefix + "The archive truncated.tar.gz is damaged (")
    assert messages["not-archive"] == prefix + "not-archive.tar.gz is not a SafeCampus backup " \
                                               "archive."
    assert messages["no-manifest"] == prefix + "no-manifest.tar.gz is not a SafeCampus backup " \
                                               "archive."
    altered = f"media/{next(iter(before['files']))}"
    assert messages["altered"] == prefix + damaged.format(
        "altered.tar.gz", f"{altered} does not match its checksum")
    assert messages["wrong-vendor"] == prefix + (
        f"The archive holds a {other} database but this installation uses "
        f"{connection.vendor}; restore it onto the same kind of database.")
    version = backup_service.safecampus_version()
    assert messages["newer-migration"] == prefix + (
        f"The archive was made by a newer SafeCampus ({version}): this version does not know "
        "the migrations hazards.9999_from_the_future. Upgrade first.")
    assert messages["newer-format"] == prefix + (
        f"The archive newer-format.tar.gz was written by a newer SafeCampus ({version}); "
        "upgrade this installation first.")
    # when the good archive is restored over this database, which holds data, without --force
    in_use = _refused(archive, force=False)
    # then it is refused too
    assert in_use.startswith(prefix + "The target already holds data (table ")
    assert in_use.endswith("Restore onto an empty database, or add --force to replace it "
                           "wholly.")
    assert snapshot() == before
    assert not Backup.objects.filter(kind=Backup.Kind.RESTORE).exists()


def _rewrite_without_manifest(source: Path, target: Path) -> Path:
    with tarfile.open(source, "r:gz") as old, tarfile.open(target, "w:gz") as new:
        for info in old.getmembers():
            if info.name != "manifest.json":
                new.addfile(info, old.extractfile(info))
    return target


# --------------------------------------------------------------------------------------------
# Pruning, failures, the schedule


def test_backup_keeps_the_newest_n_and_never_touches_other_files(db, tmp_path):
    # given older archives, a stale and a fresh partial file and files of someone else
    folder = tmp_path / "archives"
    folder.mkdir()
    old = [f"safecampus-backup-2025010{d}-023000.tar.gz" for d in range(1, 5)]
    others = ["notes.txt", "safecampus-backup-manual.tar.gz", "db-20250101.sql.gz"]
    for name in old + others:
        (folder / name).write_bytes(b"x")
    stale = folder / ".safecampus-backup-20250101-023000.tar.gz.partial-77"
    fresh = folder / ".safecampus-backup-20250102-023000.tar.gz.partial-78"
    for path in (stale, fresh):
        path.write_bytes(b"x")
    week_ago = (dt.datetime.now() - dt.timedelta(days=7)).timestamp()
    os.utime(stale, (week_ago, week_ago))
    # when a backup keeps 2
    out = io.StringIO()
    call_command("backup", output_dir=str(folder), keep=2, stdout=out)
    # then the new archive and the newest old one remain, with everything that is not ours
    new = Backup.objects.get().archive_name
    assert _archives(folder) == sorted([new, old[-1], *others, fresh.name])
    assert [line for line in out.getvalue().splitlines() if line.startswith("Removed")] == [
        f"Removed old archive {name}." for name in [old[2], old[1], old[0], stale.name]]


def test_backup_keep_must_be_positive(db, tmp_path):
    with pytest.raises(CommandError, match="at least 1"):
        call_command("backup", "--keep", "0", output_dir=str(tmp_path))
    assert not Backup.objects.exists()


def test_failed_backup_leaves_no_partial_file_and_a_failed_row(db, tmp_path, settings):
    # given an uploaded file that cannot be read (a link to a file that is gone)
    media = Path(settings.MEDIA_ROOT)
    (media / "hazards").mkdir(parents=True)
    (media / "hazards" / "ok.jpg").write_bytes(b"photo")
    (media / "hazards" / "gone.jpg").symlink_to(tmp_path / "nowhere.jpg")
    folder = tmp_path / "archives"
    # when a backup runs
    with pytest.raises(CommandError) as caught:
        call_command("backup", output_dir=str(folder))
    # then it fails with the reason, leaves nothing behind and says so in its row
    reason = ("The uploaded file hazards/gone.jpg could not be read: No such file or "
              "directory")
    assert str(caught.value) == f"Backup failed: {reason}"
    assert _archives(folder) == []
    row = Backup.objects.get()
    assert (row.state, row.message) == (Backup.State.FAILED, reason)
    assert row.finished_at is not None and row.size_bytes is None
    assert ActivityEntry.objects.get(verb="operations.backup_fail").target_id == row.pk


def test_a_backup_left_running_by_a_killed_process_is_marked_failed_by_the_next(db, tmp_path):
    # given a backup whose process was killed 7 hours ago and one started a minute ago
    now = dt.datetime.now(dt.UTC)
    dead = Backup.objects.create(kind=Backup.Kind.BACKUP, state=Backup.State.RUNNING,
                                 started_at=now - dt.timedelta(hours=7))
    busy = Backup.objects.create(kind=Backup.Kind.BACKUP, state=Backup.State.RUNNING,
                                 started_at=now - dt.timedelta(minutes=1))
    # when the next backup runs
    call_command("backup", output_dir=str(tmp_path / "archives"), stdout=io.StringIO())
    # then the dead one is failed with the reason, the recent one is left alone
    dead.refresh_from_db()
    busy.refresh_from_db()
    assert (dead.state, dead.message) == (
        Backup.State.FAILED,
        "Stopped before it finished: the process ended or the machine restarted.")
    assert dead.finished_at is not None and busy.state == Backup.State.RUNNING
    assert Backup.objects.filter(state=Backup.State.DONE).count() == 1


def test_backup_into_a_folder_that_cannot_be_made_fails_clearly(db, tmp_path):
    # given a "folder" whose parent is a file
    (tmp_path / "file").write_text("x")
    # when a backup is written there
    with pytest.raises(CommandError) as caught:
        call_command("backup", output_dir=str(tmp_path / "file" / "archives"))
    # then it fails with a clear reason and the row says so
    assert str(caught.value) == (f"Backup failed: The backup folder {tmp_path}/file/archives "
                                 "cannot be written: Not a directory")
    assert Backup.objects.get().state == Backup.State.FAILED


def test_archives_are_owner_only_and_so_is_a_folder_the_backup_makes(db, tmp_path):
    # given the usual umask (files 0644, folders 0755 unless said otherwise)
    old_umask = os.umask(0o022)
    try:
        # when a backup makes its folder, and another goes to a folder that exists (0750)
        made = tmp_path / "new" / "archives"
        kept = tmp_path / "kept"
        kept.mkdir(mode=0o750)
        kept.chmod(0o750)
        archives = [_backup(made), _backup(kept)]
    finally:
        os.umask(old_umask)
    # then the archives are readable by their owner only, the folder made too; the
    # administrator's own folder keeps its mode
    assert [oct(path.stat().st_mode & 0o777) for path in archives] == ["0o600", "0o600"]
    assert oct(made.stat().st_mode & 0o777) == "0o700"
    assert oct(kept.stat().st_mode & 0o777) == "0o750"


def test_backup_of_a_database_without_our_tables_says_to_migrate(db, tmp_path, monkeypatch):
    # given a database in which the tables were never made (or the settings name another)
    monkeypatch.setattr(connection.introspection, "table_names", lambda *a, **k: [])
    # when a backup runs
    with pytest.raises(CommandError) as caught:
        call_command("backup", output_dir=str(tmp_path / "archives"))
    # then it says what to do, and writes nothing
    assert str(caught.value) == (
        "Backup failed: The database has no SafeCampus tables: run “manage.py migrate” first, "
        "or check the settings (DATABASE_URL).")
    assert not (tmp_path / "archives").exists()


def test_backup_of_a_never_migrated_database_is_a_clear_error_not_a_traceback(
        tmp_path, empty_target):
    # given a new database nobody ran migrate on
    env = _target_env(tmp_path, empty_target)
    # when manage.py backup runs against it
    result = _run([sys.executable, "manage.py", "backup", "--output-dir",
                   str(tmp_path / "archives")], env)
    # then it stops with one line naming the cure, no traceback
    assert result.returncode == 1
    assert "Traceback" not in result.stderr and "OperationalError" not in result.stderr
    assert result.stderr.strip().startswith("CommandError:")
    assert "manage.py migrate" in result.stderr and "DATABASE_URL" in result.stderr
    assert not (tmp_path / "archives").exists()


def test_backup_without_pg_dump_fails_clearly(db, tmp_path, monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("pg_dump is only needed on PostgreSQL")
    # given no pg_dump on the PATH
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    # when a backup runs
    with pytest.raises(CommandError) as caught:
        call_command("backup", output_dir=str(tmp_path / "archives"))
    # then it says what is missing, and no file is left
    assert str(caught.value) == (
        "Backup failed: pg_dump is not installed (or not on the PATH); install the PostgreSQL "
        "client programs of your server's version.")
    assert _archives(tmp_path / "archives") == []
    assert Backup.objects.get().state == Backup.State.FAILED


def test_backup_now_task_records_who_asked(org, tmp_path, settings):
    from safecampus.operations.tasks.backup import backup_now

    # given the default folder set to a temporary one
    settings.SAFECAMPUS = {**settings.SAFECAMPUS, "BACKUP_DIR": tmp_path / "nightly"}
    # when an administrator presses "back up now" (tasks run at once in tests)
    result = backup_now(requested_by_id=org.users.admin.pk)()
    # then the service wrote an archive into the default folder and the timeline names them
    row = Backup.objects.get()
    assert result == {"backup_id": row.pk, "archive": row.archive_name,
                      "size_bytes": row.size_bytes}
    assert _archives(tmp_path / "nightly") == [row.archive_name]
    entry = ActivityEntry.objects.get(verb="operations.backup_done")
    assert (entry.actor, entry.target_id, entry.to_state) == (org.users.admin, row.pk, "done")


def test_nightly_schedule_runs_at_half_past_the_backup_hour_unless_turned_off(settings):
    from safecampus.operations.tasks.backup import _nightly_due

    hour = settings.SAFECAMPUS["BACKUP_HOUR"]
    assert _nightly_due(dt.datetime(2026, 3, 1, hour, 30))
    assert not _nightly_due(dt.datetime(2026, 3, 1, hour, 31))
    assert not _nightly_due(dt.datetime(2026, 3, 1, (hour + 1) % 24, 30))
    settings.SAFECAMPUS = {**settings.SAFECAMPUS, "BACKUP_SCHEDULE": False}
    assert not _nightly_due(dt.datetime(2026, 3, 1, hour, 30))


def test_archive_name_uses_campus_local_time():
    at = dt.datetime(2026, 3, 1, 18, 30, 5, tzinfo=dt.UTC)
    assert backup_service.archive_name_for(at) == "safecampus-backup-20260302-023005.tar.gz"
