"""Backup and restore of a whole installation: the database and every uploaded file.

An archive is one gzip-compressed tar file named ``safecampus-backup-YYYYMMDD-HHMMSS.tar.gz``
(local Asia/Shanghai time of its start) holding, in this order:

- ``database.dump`` (PostgreSQL, ``pg_dump --format=custom``) or ``database.sqlite3``
  (SQLite, a copy made with the sqlite3 online backup API);
- ``media/<name>`` for every file of the default storage (read through the storage API, so
  S3 media are included);
- ``manifest.json``: ``format`` ("safecampus-backup"), ``format_version``,
  ``safecampus_version``, ``created_at`` (ISO 8601, UTC), ``host``, ``backup_id``,
  ``database`` (``vendor``, ``server_version``, ``member``), ``migrations`` (app label → sorted
  applied migration names), ``tables`` (table → row count), ``rows`` (their sum), ``media``
  (list of ``{"name", "size", "sha256"}``) and ``members`` (member name → ``{"size",
  "sha256"}`` for every other member of the archive). Sizes are bytes, SHA-256 in lower-case
  hex.

The dump, the migrations and the row counts come from one consistent view of the database:
PostgreSQL exports a snapshot that ``pg_dump --snapshot`` and the counting transaction share;
SQLite counts in the copy itself.

Services:

- :func:`run_backup` writes an archive and records a :class:`~.models.Backup` row.
- :func:`verify_archive` checks an archive without touching the installation.
- :func:`run_restore` replaces the database and writes the files back.

Both raise :class:`BackupError` with a translated message; a failed backup leaves no partial
file and a ``failed`` Backup row, a refused restore changes nothing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
import re
import shutil
import socket
import sqlite3
import subprocess
import tarfile
import tempfile
import zlib
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path, PurePosixPath

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files import File
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.loader import MigrationLoader
from django.utils.translation import gettext as _

from safecampus.core import clock
from safecampus.core.activity import activity_record
from safecampus.core.errors import DomainError

from .models import Backup
from .services import BACKUP_RUNNING_LIMIT

FORMAT = "safecampus-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
ARCHIVE_PATTERN = re.compile(r"^safecampus-backup-\d{8}-\d{6}\.tar\.gz$")
_PARTIAL_PATTERN = re.compile(r"^\.safecampus-backup-\d{8}-\d{6}\.tar\.gz\.partial-\d+$")
_PARTIAL_STALE = dt.timedelta(days=1)
_DB_MEMBER = {"postgresql": "database.dump", "sqlite": "database.sqlite3"}
# Tables that ``migrate`` fills by itself: rows there do not make a database "in use".
_BOOKKEEPING_TABLES = {"django_migrations", "django_content_type", "auth_permission"}
_CHUNK = 1024 * 1024
#: Archives and the folder the backup command creates are for their owner only: they hold
#: every user's personal data.
ARCHIVE_MODE = 0o600
FOLDER_MODE = 0o700


class BackupError(DomainError):
    """A backup or restore that could not be done or was refused; ``message`` is translated."""


def safecampus_version() -> str:
    """The installed SafeCampus version (package metadata), or "unknown"."""
    try:
        return metadata.version("safecampus")
    except metadata.PackageNotFoundError:
        return "unknown"


def backup_dir() -> Path:
    """The default archive folder: SAFECAMPUS["BACKUP_DIR"] (env SAFECAMPUS_BACKUP_DIR)."""
    return Path(settings.SAFECAMPUS["BACKUP_DIR"])


def archive_name_for(at: dt.datetime) -> str:
    """``safecampus-backup-YYYYMMDD-HHMMSS.tar.gz`` for aware ``at`` in local time."""
    return f"safecampus-backup-{at.astimezone(clock.local_zone()):%Y%m%d-%H%M%S}.tar.gz"


# --------------------------------------------------------------------------------------------
# Small helpers


class _HashingWriter:
    """A write-only file that hashes and counts what passes through to ``target``."""

    def __init__(self, target):
        self.target = target
        self.sha = hashlib.sha256()
        self.size = 0

    def write(self, data) -> int:
        self.target.write(data)
        self.sha.update(data)
        self.size += len(data)
        return len(data)

    def tell(self) -> int:
        return self.size

    def flush(self) -> None:
        self.target.flush()


class _HashingReader:
    """A read-only file that hashes and counts what is read from ``source``."""

    def __init__(self, source):
        self.source = source
        self.sha = hashlib.sha256()
        self.size = 0

    def read(self, n: int = -1) -> bytes:
        data = self.source.read(n)
        self.sha.update(data)
        self.size += len(data)
        return data


def _sha256_of(path: Path) -> tuple[int, str]:
    sha = hashlib.sha256()
    size = 0
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            sha.update(chunk)
            size += len(chunk)
    return size, sha.hexdigest()


def _media_names(storage, folder: str = ""):
    """Every file name of ``storage`` below ``folder``, depth first, sorted."""
    try:
        folders, files = storage.listdir(folder)
    except FileNotFoundError:
        return
    for name in sorted(files):
        yield f"{folder}/{name}" if folder else name
    for sub in sorted(folders):
        yield from _media_names(storage, f"{folder}/{sub}" if folder else sub)


def _pg_params() -> dict:
    """Host, port, user, password and name of the default PostgreSQL database (settings)."""
    conf = connection.settings_dict
    return {"host": conf.get("HOST") or "", "port": str(conf.get("PORT") or ""),
            "user": conf.get("USER") or "", "password": conf.get("PASSWORD") or "",
            "dbname": conf.get("NAME") or "",
            "sslmode": (conf.get("OPTIONS") or {}).get("sslmode", "")}


def _pg_command(program: str, params: dict) -> tuple[list[str], dict]:
    """argv start and environment for a PostgreSQL client; the password only in PGPASSWORD."""
    executable = shutil.which(program)
    if executable is None:
        raise BackupError(_("%(program)s is not installed (or not on the PATH); install the "
                            "PostgreSQL client programs of your server's version.")
                          % {"program": program})
    argv = [executable]
    if params["host"]:
        argv += ["--host", params["host"]]
    if params["port"]:
        argv += ["--port", params["port"]]
    if params["user"]:
        argv += ["--username", params["user"]]
    env = {**os.environ}
    env.pop("PGPASSWORD", None)
    if params["password"]:
        env["PGPASSWORD"] = params["password"]
    if params["sslmode"]:
        env["PGSSLMODE"] = params["sslmode"]
    return argv, env


def _run(argv: list[str], env: dict, program: str) -> str:
    result = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        detail = (result.stderr or result.stdout or "").strip().splitlines()[-5:]
        raise BackupError(_("%(program)s failed: %(detail)s") % {
            "program": program, "detail": " / ".join(detail) or result.returncode})
    return result.stdout


def _pg_connect(params: dict):
    import psycopg

    kwargs = {k: v for k, v in params.items() if v}
    return psycopg.connect(**kwargs)


def _sqlite_facts(db: sqlite3.Connection) -> tuple[dict, dict]:
    tables = [row[0] for row in db.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
        "ORDER BY name")]
    counts = {t: db.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0] for t in tables}
    migrations = {}
    if "django_migrations" in counts:
        for app, name in db.execute("SELECT app, name FROM django_migrations ORDER BY app, name"):
            migrations.setdefault(app, []).append(name)
    return counts, migrations


# --------------------------------------------------------------------------------------------
# Backup


@dataclass
class _Dump:
    path: Path
    vendor: str
    server_version: str
    tables: dict
    migrations: dict


def _dump_sqlite(workdir: Path) -> _Dump:
    """Copy the live SQLite database with the online backup API, in one step, through a
    connection of its own: it sees committed data only, and in WAL mode writers go on.

    An in-memory database (the test suite's) has no file to open: it is serialised through
    Django's connection instead (the backup API returns "locked" forever while that same
    connection holds a write transaction)."""
    target = workdir / "database.sqlite3"
    name = str(connection.settings_dict["NAME"])
    copy = sqlite3.connect(target)
    try:
        if connection.creation.is_in_memory_db(name):
            connection.ensure_connection()
            image = sqlite3.connect(":memory:")
            image.deserialize(connection.connection.serialize())
            image.backup(copy)
            image.close()
        else:
            source = sqlite3.connect(name, timeout=30)
            try:
                source.backup(copy)
            finally:
                source.close()
        tables, migrations = _sqlite_facts(copy)
    finally:
        copy.close()
    return _Dump(target, "sqlite", sqlite3.sqlite_version, tables, migrations)


def _dump_postgresql(workdir: Path) -> _Dump:
    """``pg_dump --format=custom`` from an exported snapshot, counted in the same snapshot."""
    import psycopg

    params = _pg_params()
    argv, env = _pg_command("pg_dump", params)
    target = workdir / "database.dump"
    try:
        snap = _pg_connect(params)
    except psycopg.Error as exc:
        raise BackupError(_("Cannot connect to the database: %(error)s") % {
            "error": str(exc).strip()}) from exc
    try:
        snap.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        snap.read_only = True
        with snap.cursor() as cur:
            snapshot = cur.execute("SELECT pg_export_snapshot()").fetchone()[0]
            _run(argv + ["--format=custom", "--snapshot", snapshot, "--file", str(target),
                         "--dbname", params["dbname"]], env, "pg_dump")
            tables = [row[0] for row in cur.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = ANY(current_schemas(false)) "
                "ORDER BY tablename")]
            counts = {}
            for table in tables:
                quoted = connection.ops.quote_name(table)
                counts[table] = cur.execute(f"SELECT COUNT(*) FROM {quoted}").fetchone()[0]
            migrations = {}
            if "django_migrations" in counts:
                for app, name in cur.execute(
                        "SELECT app, name FROM django_migrations ORDER BY app, name"):
                    migrations.setdefault(app, []).append(name)
            server_version = cur.execute("SHOW server_version").fetchone()[0]
        snap.rollback()
    finally:
        snap.close()
    return _Dump(target, "postgresql", server_version, counts, migrations)


def _add_file(tar: tarfile.TarFile, name: str, source, size: int, mtime: float) -> str:
    """Add ``size`` bytes of ``source`` as member ``name``; return their SHA-256."""
    info = tarfile.TarInfo(name)
    info.size = size
    info.mtime = mtime
    info.mode = 0o600
    reader = _HashingReader(source)
    tar.addfile(info, reader)
    return reader.sha.hexdigest()


def _write_archive(partial: Path, dump: _Dump, *, backup: Backup, started: dt.datetime):
    """Write the archive to ``partial`` (created new, mode 0600: it holds personal data);
    return (size, sha256, file count)."""
    storage = default_storage
    mtime = started.timestamp()
    db_member = _DB_MEMBER[dump.vendor]
    members, media = {}, []
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0),
                 ARCHIVE_MODE)
    os.fchmod(fd, ARCHIVE_MODE)  # whatever the umask
    with os.fdopen(fd, "wb") as raw:
        writer = _HashingWriter(raw)
        with tarfile.open(fileobj=writer, mode="w:gz", compresslevel=6,
                          format=tarfile.PAX_FORMAT) as tar:
            db_size = dump.path.stat().st_size
            with dump.path.open("rb") as handle:
                members[db_member] = {"size": db_size,
                                      "sha256": _add_file(tar, db_member, handle, db_size, mtime)}
            for name in _media_names(storage):
                try:
                    size = storage.size(name)
                    with storage.open(name, "rb") as handle:
                        sha = _add_file(tar, f"media/{name}", handle, size, mtime)
                except OSError as exc:
                    raise BackupError(_("The uploaded file %(name)s could not be read: "
                                        "%(error)s") % {"name": name,
                                                        "error": exc.strerror or exc}) from exc
                members[f"media/{name}"] = {"size": size, "sha256": sha}
                media.append({"name": name, "size": size, "sha256": sha})
            manifest = {
                "format": FORMAT,
                "format_version": FORMAT_VERSION,
                "safecampus_version": backup.version,
                "created_at": started.astimezone(dt.UTC).isoformat(),
                "host": backup.host,
                "backup_id": backup.pk,
                "database": {"vendor": dump.vendor, "server_version": dump.server_version,
                             "member": db_member},
                "migrations": dump.migrations,
                "tables": dump.tables,
                "rows": sum(dump.tables.values()),
                "media": media,
                "members": members,
            }
            body = json.dumps(manifest, ensure_ascii=False, indent=2).encode()
            _add_file(tar, MANIFEST, io.BytesIO(body), len(body), mtime)
        raw.flush()
        os.fsync(raw.fileno())
    return writer.size, writer.sha.hexdigest(), len(media)


def archives_prune(folder: Path, *, keep: int) -> list[str]:
    """Delete all but the newest ``keep`` archives in ``folder`` (names matching
    ``safecampus-backup-YYYYMMDD-HHMMSS.tar.gz`` only; other files are never touched) and
    partial files of runs that died more than a day ago. Returns the deleted names."""
    removed = []
    names = sorted((p.name for p in folder.iterdir() if p.is_file()
                    and ARCHIVE_PATTERN.match(p.name)), reverse=True)
    for name in names[keep:]:
        (folder / name).unlink(missing_ok=True)
        removed.append(name)
    stale_before = clock.now().timestamp() - _PARTIAL_STALE.total_seconds()
    for path in folder.iterdir():
        if _PARTIAL_PATTERN.match(path.name) and path.stat().st_mtime < stale_before:
            path.unlink(missing_ok=True)
            removed.append(path.name)
    return removed


def _finish(backup: Backup, *, state: str, message: str, actor, verb: str, **values) -> None:
    backup.state = state
    backup.finished_at = clock.now()
    backup.message = message
    for key, value in values.items():
        setattr(backup, key, value)
    with transaction.atomic():
        backup.save()
        activity_record(target=backup, actor=actor, verb=verb, from_state=Backup.State.RUNNING,
                        to_state=state, comment=message)


def backups_abandoned_fail(*, at: dt.datetime | None = None) -> int:
    """Mark ``failed`` every backup or restore still ``running`` more than
    :data:`~.services.BACKUP_RUNNING_LIMIT` before ``at`` (aware; default now): its process
    was killed or the machine restarted, so it will never finish. Returns how many."""
    at = at or clock.now()
    stale = list(Backup.objects.filter(state=Backup.State.RUNNING,
                                       started_at__lt=at - BACKUP_RUNNING_LIMIT))
    for backup in stale:
        _finish(backup, state=Backup.State.FAILED, actor=None, verb="operations.backup_fail",
                message=_("Stopped before it finished: the process ended or the machine "
                          "restarted."))
    return len(stale)


def _require_tables() -> None:
    """Raise :class:`BackupError` unless the database answers and holds SafeCampus's tables
    (a database never migrated, or settings / DATABASE_URL pointing at the wrong one)."""
    try:
        tables = set(connection.introspection.table_names())
    except DatabaseError as exc:
        raise BackupError(_("The database cannot be reached: %(error)s") % {
            "error": exc}) from exc
    if Backup._meta.db_table not in tables:
        raise BackupError(_("The database has no SafeCampus tables: run “manage.py migrate” "
                            "first, or check the settings (DATABASE_URL)."))


def _folder_make(folder: Path) -> None:
    """Create ``folder`` (and missing parents) when it does not exist; the folder itself
    owner-only (0700). An existing folder keeps the mode its administrator chose."""
    if folder.is_dir():
        return
    folder.mkdir(mode=FOLDER_MODE, parents=True, exist_ok=True)
    folder.chmod(FOLDER_MODE)


def run_backup(*, output_dir: Path | str | None = None, keep: int | None = None,
               requested_by_id: int | None = None) -> Backup:
    """Write one archive of the database and media to ``output_dir`` and keep the newest
    ``keep``.

    ``output_dir``: default :func:`backup_dir`; created when missing. ``keep``: ≥ 1, default
    SAFECAMPUS["BACKUP_KEEP"] (env SAFECAMPUS_BACKUP_KEEP, 14). ``requested_by_id``: the user
    who asked (the operations page), recorded on the backup's timeline.

    The archive is written as ``.<name>.partial-<pid>`` and renamed when complete. Returns the
    :class:`~.models.Backup` row (``done``: size, sha256, vendor, rows, files, version, host)
    with one extra attribute, ``pruned``: the names of the old archives removed.
    Raises :class:`BackupError` (translated) after marking the row ``failed`` with the reason
    and removing the partial file: folder not writable, pg_dump missing or failing, a media
    file unreadable, an archive of the same second already present, ``keep`` < 1. Backups
    left ``running`` by a killed process are marked failed first
    (:func:`backups_abandoned_fail`). A database without SafeCampus's tables (never
    migrated) or out of reach raises :class:`BackupError` before anything is written (there
    is no table to record it in).

    The archive is created mode 0600 and a folder this call creates 0700: both hold personal
    data.
    """
    _require_tables()
    folder = (Path(output_dir) if output_dir else backup_dir()).expanduser().absolute()
    keep = settings.SAFECAMPUS["BACKUP_KEEP"] if keep is None else keep
    actor = get_user_model().objects.filter(pk=requested_by_id).first() if requested_by_id else None
    started = clock.now()
    backups_abandoned_fail(at=started)
    name = archive_name_for(started)
    backup = Backup.objects.create(
        kind=Backup.Kind.BACKUP, state=Backup.State.RUNNING, started_at=started,
        archive_name=name, location=str(folder), database_vendor=connection.vendor,
        version=safecampus_version(), host=socket.gethostname()[:100])
    partial = folder / f".{name}.partial-{os.getpid()}"
    try:
        if not isinstance(keep, int) or keep < 1:
            raise BackupError(_("Keep at least one archive (got %(keep)s).") % {"keep": keep})
        if connection.vendor not in _DB_MEMBER:
            raise BackupError(_("Backups support PostgreSQL and SQLite, not %(vendor)s.")
                              % {"vendor": connection.vendor})
        try:
            _folder_make(folder)
            probe = tempfile.NamedTemporaryFile(dir=folder, prefix=".safecampus-probe-")
            probe.close()
        except OSError as exc:
            raise BackupError(_("The backup folder %(folder)s cannot be written: %(error)s")
                              % {"folder": folder, "error": exc.strerror or exc}) from exc
        if (folder / name).exists():
            raise BackupError(_("An archive named %(name)s already exists; try again in a "
                                "second.") % {"name": name})
        with tempfile.TemporaryDirectory(prefix=".safecampus-dump-", dir=folder) as work:
            dump = (_dump_postgresql if connection.vendor == "postgresql" else _dump_sqlite)(
                Path(work))
            try:
                size, sha, files = _write_archive(partial, dump, backup=backup, started=started)
            except (OSError, tarfile.TarError) as exc:
                raise BackupError(_("Writing the archive failed: %(error)s") % {
                    "error": exc}) from exc
        os.replace(partial, folder / name)
    except Exception as exc:
        try:
            partial.unlink(missing_ok=True)
        except OSError:
            pass  # no folder to write in, so no partial file either
        reason = exc.message if isinstance(exc, DomainError) else _(
            "Unexpected error: %(error)s") % {"error": repr(exc)}
        _finish(backup, state=Backup.State.FAILED, message=reason, actor=actor,
                verb="operations.backup_fail")
        if isinstance(exc, BackupError):
            raise
        raise BackupError(reason) from exc
    try:
        removed = archives_prune(folder, keep=keep)
    except OSError as exc:
        removed = []
        note = _("Old archives could not be removed: %(error)s") % {"error": exc}
    else:
        note = ""
    _finish(backup, state=Backup.State.DONE, message=note, actor=actor,
            verb="operations.backup_done", size_bytes=size, sha256=sha,
            row_count=sum(dump.tables.values()), file_count=files)
    backup.pruned = removed
    return backup


# --------------------------------------------------------------------------------------------
# Verify


@dataclass
class Archive:
    """A verified archive, unpacked into ``workdir`` (a temporary folder the caller removes).

    ``manifest`` is the parsed manifest.json; ``files`` maps each member name to its unpacked
    path; ``size`` and ``sha256`` are those of the archive file itself.
    """

    path: Path
    manifest: dict
    workdir: Path
    files: dict = field(default_factory=dict)
    size: int = 0
    sha256: str = ""

    @property
    def vendor(self) -> str:
        return self.manifest["database"]["vendor"]

    @property
    def database_file(self) -> Path:
        return self.files[self.manifest["database"]["member"]]


def _not_an_archive(path: Path) -> BackupError:
    return BackupError(_("%(name)s is not a SafeCampus backup archive.") % {"name": path.name})


def _damaged(path: Path, detail) -> BackupError:
    return BackupError(_("The archive %(name)s is damaged (%(detail)s); nothing was changed.")
                       % {"name": path.name, "detail": detail})


def _safe_media_name(name: str) -> bool:
    parts = PurePosixPath(name).parts
    return bool(parts) and not name.startswith("/") and "\\" not in name and all(
        part not in ("", ".", "..") for part in parts)


def _check_manifest(path: Path, manifest) -> None:
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise _not_an_archive(path)
    version = manifest.get("format_version")
    if not isinstance(version, int):
        raise _not_an_archive(path)
    if version > FORMAT_VERSION:
        raise BackupError(_("The archive %(name)s was written by a newer SafeCampus "
                            "(%(version)s); upgrade this installation first.") % {
            "name": path.name, "version": manifest.get("safecampus_version", "?")})
    try:
        database, members = manifest["database"], manifest["members"]
        complete = (
            database["vendor"] in _DB_MEMBER and database["member"] in members
            and isinstance(manifest["migrations"], dict) and isinstance(manifest["tables"], dict)
            and isinstance(manifest["rows"], int)
            and all(_safe_media_name(e["name"]) and members.get(f"media/{e['name']}") == {
                "size": e["size"], "sha256": e["sha256"]} for e in manifest["media"])
            and set(members) == {database["member"]} | {
                f"media/{e['name']}" for e in manifest["media"]})
    except (KeyError, TypeError, AttributeError):
        complete = False
    if not complete:
        raise _damaged(path, _("the manifest is incomplete"))


def verify_archive(path: Path | str, workdir: Path | str) -> Archive:
    """Read the whole archive at ``path``, unpack it into ``workdir`` and check it.

    Checks: a gzip tar with a SafeCampus manifest.json of a known format version; every
    member listed in the manifest present once, with its size and SHA-256; no other member.
    Touches nothing outside ``workdir``. Raises :class:`BackupError`: no such file, not a
    SafeCampus archive, damaged (truncated, altered, incomplete), newer format.
    """
    path = Path(path)
    workdir = Path(workdir)
    if not path.is_file():
        raise BackupError(_("There is no archive at %(path)s.") % {"path": path})
    archive = Archive(path=path, manifest={}, workdir=workdir)
    seen: dict[str, dict] = {}
    manifest_body = None
    started = False  # a member header was read: from here on, errors mean "damaged"
    try:
        try:
            tar = tarfile.open(path, mode="r:gz")
        except (tarfile.TarError, OSError, EOFError, zlib.error) as exc:
            raise _not_an_archive(path) from exc
        with tar:
            for index, member in enumerate(tar):
                started = True
                if member.name in seen or (member.name == MANIFEST and manifest_body):
                    raise _damaged(path, _("member %(member)s appears twice")
                                   % {"member": member.name})
                if not member.isfile():
                    raise _damaged(path, _("unexpected member %(member)s")
                                   % {"member": member.name})
                source = tar.extractfile(member)
                if member.name == MANIFEST:
                    if member.size > 64 * 1024 * 1024:
                        raise _not_an_archive(path)
                    manifest_body = source.read()
                    continue
                target = workdir / f"m{index:08d}"
                sha = hashlib.sha256()
                size = 0
                with target.open("wb") as out:
                    while chunk := source.read(_CHUNK):
                        sha.update(chunk)
                        size += len(chunk)
                        out.write(chunk)
                seen[member.name] = {"size": size, "sha256": sha.hexdigest()}
                archive.files[member.name] = target
            # Read the compressed stream to its end so that gzip checks its CRC and length.
            while tar.fileobj.read(_CHUNK):
                pass
    except BackupError:
        raise
    except (tarfile.TarError, OSError, EOFError, zlib.error) as exc:
        if not started:
            raise _not_an_archive(path) from exc
        raise _damaged(path, exc) from exc
    if manifest_body is None:
        raise _not_an_archive(path)
    try:
        manifest = json.loads(manifest_body)
    except ValueError as exc:
        raise _not_an_archive(path) from exc
    _check_manifest(path, manifest)
    for name, expected in manifest["members"].items():
        found = seen.get(name)
        if found is None:
            raise _damaged(path, _("%(member)s is missing") % {"member": name})
        if found != expected:
            raise _damaged(path, _("%(member)s does not match its checksum")
                           % {"member": name})
    extra = sorted(set(seen) - set(manifest["members"]))
    if extra:
        raise _damaged(path, _("unexpected member %(member)s") % {"member": extra[0]})
    archive.manifest = manifest
    archive.size, archive.sha256 = _sha256_of(path)
    return archive


# --------------------------------------------------------------------------------------------
# Restore


def _table_counts() -> dict:
    with connection.cursor() as cur:
        names = connection.introspection.table_names(cur)
        counts = {}
        for table in names:
            cur.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}")
            counts[table] = cur.fetchone()[0]
    return counts


def _target_in_use() -> str:
    """What makes the target database or storage already hold data ("" when it is empty)."""
    for table, count in sorted(_table_counts().items()):
        if count and table not in _BOOKKEEPING_TABLES:
            return _("table %(table)s has %(count)s rows") % {"table": table, "count": count}
    for name in _media_names(default_storage):
        return _("the file storage already holds %(name)s") % {"name": name}
    return ""


def _unknown_migrations(manifest: dict) -> list[str]:
    known = set(MigrationLoader(None, ignore_no_migrations=True).disk_migrations)
    return sorted(f"{app}.{name}" for app, names in manifest["migrations"].items()
                  for name in names if (app, name) not in known)


def _restore_postgresql(archive: Archive) -> None:
    params = _pg_params()
    argv, env = _pg_command("pg_restore", params)
    # Leave out comments on extensions: only an extension's owner may set them, and the
    # restoring role may not own one that already exists in the target.
    listing = _run(argv[:1] + ["--list", str(archive.database_file)], env, "pg_restore")
    entries = [line for line in listing.splitlines()
               if not re.search(r"\bCOMMENT - EXTENSION\b", line)]
    use_list = archive.workdir / "restore.list"
    use_list.write_text("\n".join(entries) + "\n")
    existing = connection.introspection.table_names()
    if existing:
        with transaction.atomic(), connection.cursor() as cur:
            cur.execute("DROP TABLE IF EXISTS {} CASCADE".format(
                ", ".join(connection.ops.quote_name(t) for t in existing)))
    connection.close()
    try:
        _run(argv + ["--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction",
                     "--use-list", str(use_list), "--dbname", params["dbname"],
                     str(archive.database_file)], env, "pg_restore")
    except BackupError as exc:
        if not existing:
            raise
        raise BackupError(_("%(error)s The target's old tables were already dropped: the "
                            "database is now empty; fix the cause and restore again.")
                          % {"error": exc.message}) from exc


def _restore_sqlite(archive: Archive) -> None:
    connection.close()
    connection.ensure_connection()
    source = sqlite3.connect(archive.database_file)
    try:
        source.backup(connection.connection)
    finally:
        source.close()
    connection.close()


def _restore_media(archive: Archive) -> int:
    storage = default_storage
    for entry in archive.manifest["media"]:
        name = entry["name"]
        if storage.exists(name):
            storage.delete(name)
        with archive.files[f"media/{name}"].open("rb") as handle:
            saved = storage.save(name, File(handle, name=name))
        if saved != name:
            raise BackupError(_("The file storage saved %(name)s as %(saved)s.")
                              % {"name": name, "saved": saved})
        sha = hashlib.sha256()
        with storage.open(name, "rb") as handle:
            while chunk := handle.read(_CHUNK):
                sha.update(chunk)
        if sha.hexdigest() != entry["sha256"]:
            raise BackupError(_("The file %(name)s reads back differently from the archive.")
                              % {"name": name})
    return len(archive.manifest["media"])


def _incompatibility(manifest: dict) -> str:
    """Why an archive cannot be restored into this installation ("" when it can)."""
    vendor = manifest["database"]["vendor"]
    if vendor != connection.vendor:
        return _("The archive holds a %(archive)s database but this installation uses "
                 "%(target)s; restore it onto the same kind of database.") % {
            "archive": vendor, "target": connection.vendor}
    unknown = _unknown_migrations(manifest)
    if unknown:
        return _("The archive was made by a newer SafeCampus (%(version)s): this version does "
                 "not know the migrations %(names)s. Upgrade first.") % {
            "version": manifest.get("safecampus_version", "?"), "names": ", ".join(unknown[:5])}
    return ""


def archive_check(*, archive_path: Path | str) -> dict:
    """Verify the archive completely (:func:`verify_archive`) and describe it, changing nothing.

    Returns ``{"name", "size", "sha256", "created_at", "host", "version", "vendor", "tables",
    "rows", "files", "problem"}``: ``created_at`` an aware datetime in Asia/Shanghai,
    ``size`` in bytes, ``problem`` why it cannot be restored here ("" when it can). Raises
    :class:`BackupError` for a missing, foreign or damaged archive.
    """
    with tempfile.TemporaryDirectory(prefix="safecampus-check-") as work:
        archive = verify_archive(archive_path, work)
    manifest = archive.manifest
    try:
        created = dt.datetime.fromisoformat(manifest.get("created_at", "")).astimezone(
            clock.local_zone())
    except (TypeError, ValueError):
        created = None
    return {"name": archive.path.name, "size": archive.size, "sha256": archive.sha256,
            "created_at": created, "host": manifest.get("host", ""),
            "version": manifest.get("safecampus_version", ""), "vendor": archive.vendor,
            "tables": len(manifest["tables"]), "rows": manifest["rows"],
            "files": len(manifest["media"]), "problem": _incompatibility(manifest)}


@dataclass
class RestoreResult:
    """What :func:`run_restore` did: rows and tables loaded, files written, migrations
    applied afterwards, and the kind=restore :class:`~.models.Backup` row."""

    rows: int
    tables: int
    files: int
    migrations_applied: int
    backup: Backup


def run_restore(*, archive_path: Path | str, force: bool = False) -> RestoreResult:
    """Replace this installation's database and media with the archive at ``archive_path``.

    First the whole archive is verified (:func:`verify_archive`) and refused, changing
    nothing, when: it is not a SafeCampus archive or is damaged; its database vendor differs
    from this installation's; it holds migrations this code does not know (made by a newer
    version); the target database or file storage already holds data and ``force`` is False
    (``force`` replaces the database wholly and overwrites files of the same name).

    Then: PostgreSQL ``pg_restore --no-owner --no-privileges --exit-on-error
    --single-transaction`` (after dropping the target's tables), SQLite the backup API into
    the target file; row counts checked against the manifest; files written back through the
    default storage and read back against their SHA-256; ``migrate`` when the archive is
    older than the code; a kind=restore Backup row recorded in the restored database.
    Raises :class:`BackupError` (translated).
    """
    path = Path(archive_path)
    with tempfile.TemporaryDirectory(prefix="safecampus-restore-") as work:
        archive = verify_archive(path, work)
        manifest = archive.manifest
        problem = _incompatibility(manifest)
        if problem:
            raise BackupError(problem)
        if not force:
            in_use = _target_in_use()
            if in_use:
                raise BackupError(_("The target already holds data (%(what)s). Restore onto an "
                                    "empty database, or add --force to replace it wholly.")
                                  % {"what": in_use})
        started = clock.now()
        if archive.vendor == "postgresql":
            _restore_postgresql(archive)
        else:
            _restore_sqlite(archive)
        counts = _table_counts()
        different = sorted(t for t, n in manifest["tables"].items() if counts.get(t) != n)
        if different:
            raise BackupError(_("The restored database does not match the archive (table "
                                "%(table)s).") % {"table": different[0]})
        files = _restore_media(archive)
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if plan:
        call_command("migrate", interactive=False, verbosity=0)
    now = clock.now()
    Backup.objects.filter(pk=manifest.get("backup_id"), kind=Backup.Kind.BACKUP,
                          state=Backup.State.RUNNING).update(
        state=Backup.State.DONE, finished_at=now, size_bytes=archive.size,
        sha256=archive.sha256, row_count=manifest["rows"], file_count=files)
    backup = Backup.objects.create(
        kind=Backup.Kind.RESTORE, state=Backup.State.DONE, started_at=started, finished_at=now,
        archive_name=path.name, location=str(path.parent.resolve()),
        size_bytes=archive.size, sha256=archive.sha256, database_vendor=archive.vendor,
        row_count=manifest["rows"], file_count=files,
        version=str(manifest.get("safecampus_version", ""))[:40], host=socket.gethostname()[:100],
        message=_("Restored from an archive made on %(created)s by %(host)s.") % {
            "created": manifest.get("created_at", "?"), "host": manifest.get("host", "?")})
    activity_record(target=backup, actor=None, verb="operations.restore",
                    to_state=Backup.State.DONE, comment=backup.message)
    return RestoreResult(rows=manifest["rows"], tables=len(manifest["tables"]), files=files,
                         migrations_applied=len(plan), backup=backup)
