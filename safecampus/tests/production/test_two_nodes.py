"""Two SafeCampus nodes on one PostgreSQL and one Redis, as production runs them.

Own empty database (``safecampus_twonodes_<suffix>``), migrated and seeded with a small
university by ``manage.py`` under ``config.settings.production``; static files collected;
two gunicorn web processes (A and B) and two ``run_huey`` consumers (one scheduling the
periodic tasks, one with ``--no-periodic``) share one media folder, one Redis database, one
queue name and one folder of sent e-mails. Requests alternate between A and B the way a
load balancer would send them (with nginx's ``X-Forwarded-Proto: https``). Everything is
stopped and removed in ``finally``.
"""

import email
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
import uuid
from email.header import decode_header, make_header
from pathlib import Path

import pytest
from django.conf import settings

BASE_DIR = Path(settings.BASE_DIR)
PORTS = range(8400, 8420)  # this test's own port range
REDIS_DB = int(os.environ.get("SAFECAMPUS_TWO_NODES_REDIS_DB", "11"))
STARTUP_S = 300  # the machine may be busy: generous deadlines, short polls
SEED = """
import json
from safecampus.tests.factories import build_org
o = build_org()
print("SEED " + json.dumps({"campus": o.campus1.pk, "building": o.building_a.pk,
    "place": o.place_a.pk, "fire": o.fire.pk, "unit": o.unit_a.pk}))
"""
ENQUEUE_SWEEP = "from safecampus.hazards.tasks import deadline_sweep; deadline_sweep()"


def _pg_or_skip() -> dict:
    db = settings.DATABASES["default"]
    if "postgresql" not in db["ENGINE"]:
        pytest.skip("the two-node test runs on PostgreSQL only (DATABASE_URL is SQLite)")
    return db


def _redis_url_or_skip() -> str:
    import redis

    base = os.environ.get("REDIS_TEST_URL") or "redis://127.0.0.1:6379/15"
    url = re.sub(r"/\d*$", "", base.rstrip("/")) + f"/{REDIS_DB}"
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError as error:
        if os.environ.get("CI") == "true":
            pytest.fail(f"Redis is required under CI=true on PostgreSQL but {url} fails: {error}")
        pytest.skip(f"Redis does not answer at {url}: {error}")
    return url


def _free_ports(count: int) -> list[int]:
    found = []
    for port in PORTS:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) != 0:
                found.append(port)
        if len(found) == count:
            return found
    pytest.fail(f"no {count} free ports in {PORTS.start}–{PORTS.stop - 1}")


def _wait(what: str, check, *, timeout_s: float, every_s: float = 0.5):
    """Poll ``check`` until it returns something truthy; fail with ``what`` at the deadline."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout_s:.0f} s waiting for {what}")
        time.sleep(every_s)


class Node:
    def __init__(self, name: str, port: int):
        self.name, self.port = name, port
        self.base = f"http://127.0.0.1:{port}"
        self.origin = f"https://127.0.0.1:{port}"


class Cluster:
    """The processes of the test and how to talk to them."""

    def __init__(self, tmp: Path, env: dict, db: dict, dbname: str):
        self.tmp, self.env, self.db, self.dbname = tmp, env, db, dbname
        self.procs: list[tuple[str, subprocess.Popen, Path]] = []

    def manage(self, *args: str, timeout_s: float = 1800) -> str:
        result = subprocess.run([sys.executable, "manage.py", *args], cwd=BASE_DIR, env=self.env,
                                capture_output=True, text=True, timeout=timeout_s)
        assert result.returncode == 0, f"manage.py {args[0]} failed:\n{result.stderr[-3000:]}"
        return result.stdout

    def start(self, name: str, argv: list[str]) -> None:
        log = self.tmp / f"{name}.log"
        handle = log.open("wb")
        proc = subprocess.Popen(argv, cwd=BASE_DIR, env=self.env, stdout=handle,
                                stderr=subprocess.STDOUT, start_new_session=True)
        handle.close()
        self.procs.append((name, proc, log))

    def check_alive(self) -> None:
        for name, proc, log in self.procs:
            if proc.poll() is not None:
                pytest.fail(f"{name} exited with {proc.returncode}:\n{log.read_text()[-3000:]}")

    def log(self, name: str) -> str:
        return next(log for n, _p, log in self.procs if n == name).read_text(errors="replace")

    def stop(self) -> None:
        for _name, proc, _log in self.procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for _name, proc, _log in self.procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)

    def sql(self, query: str, *params):
        import psycopg

        with psycopg.connect(**self.connect_args(self.dbname), autocommit=True) as conn:
            return conn.execute(query, params).fetchall()

    def connect_args(self, dbname: str) -> dict:
        args = {"dbname": dbname, "user": self.db.get("USER") or None,
                "password": self.db.get("PASSWORD") or None, "host": self.db.get("HOST") or None,
                "port": self.db.get("PORT") or None}
        return {k: v for k, v in args.items() if v is not None}


def _admin_sql(cluster: Cluster, query: str) -> None:
    import psycopg

    with psycopg.connect(**cluster.connect_args(cluster.db["NAME"]), autocommit=True) as conn:
        conn.execute(query)


def _session():
    """A browser behind nginx: it speaks https to nginx, so it sends its Secure cookies;
    here the test stands where nginx would be and speaks plain http with
    ``X-Forwarded-Proto: https``, so the cookies are sent by hand (requests keeps Secure
    cookies for https addresses only)."""
    import requests

    class Browser(requests.Session):
        def request(self, method, url, **kwargs):
            headers = dict(kwargs.pop("headers", None) or {})
            headers["Cookie"] = "; ".join(f"{c.name}={c.value}" for c in self.cookies)
            return super().request(method, url, headers=headers, **kwargs)

    session = Browser()
    session.headers["X-Forwarded-Proto"] = "https"
    return session


def _post(session, node: Node, path: str, data: dict, files=None):
    """A form POST as a browser on ``node`` sends it (CSRF token and Origin)."""
    token = session.cookies.get("csrftoken")
    assert token, "no CSRF cookie yet"
    return session.post(node.base + path, data={**data, "csrfmiddlewaretoken": token}, files=files,
                        headers={"Origin": node.origin, "Referer": node.origin + path},
                        allow_redirects=False, timeout=120)


def _jpeg_bytes() -> bytes:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (640, 480), (180, 60, 40)).save(buffer, format="JPEG", quality=90)
    return buffer.getvalue()


def _mails(folder: Path) -> list[email.message.Message]:
    """Every message the file e-mail backend wrote (each followed by a line of 79 dashes)."""
    found = []
    for path in sorted(folder.glob("*.log")):
        for chunk in path.read_bytes().split(b"\n" + b"-" * 79 + b"\n"):
            if chunk.strip():
                found.append(email.message_from_bytes(chunk.lstrip(b"\n")))
    return found


def _header(message, name: str) -> str:
    return str(make_header(decode_header(message.get(name, ""))))


def _sweeps_done(cluster: Cluster) -> int:
    return sum(len(re.findall(r"deadline_sweep: [0-9a-f-]+ executed in", cluster.log(name)))
               for name in ("consumer-periodic", "consumer-plain"))


def test_two_web_nodes_and_two_consumers_share_everything(tmp_path):
    db = _pg_or_skip()
    redis_url = _redis_url_or_skip()
    import redis
    import requests

    suffix = re.sub(r"\W", "", os.environ.get("SAFECAMPUS_TEST_DB_SUFFIX", str(os.getpid())))
    dbname = f"safecampus_twonodes_{suffix}".lower()
    port_a, port_b = _free_ports(2)
    a, b = Node("A", port_a), Node("B", port_b)
    media, mail, static = tmp_path / "media", tmp_path / "mail", tmp_path / "static"
    for folder in (media, mail, static):
        folder.mkdir()
    url_db = {**db, "NAME": dbname}
    database_url = "postgres://{user}:{password}@{host}:{port}/{name}".format(
        user=url_db.get("USER") or "", password=url_db.get("PASSWORD") or "",
        host=url_db.get("HOST") or "127.0.0.1", port=url_db.get("PORT") or 5432, name=dbname)
    env = {
        "PATH": os.environ.get("PATH", ""), "LANG": "C.UTF-8", "PYTHONUNBUFFERED": "1",
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "SECRET_KEY": secrets.token_urlsafe(60), "DATABASE_URL": database_url,
        "ALLOWED_HOSTS": "127.0.0.1,localhost", "REDIS_URL": redis_url,
        "HUEY_NAME": f"twonodes-{uuid.uuid4().hex[:12]}",
        "SAFECAMPUS_VAR_DIR": str(tmp_path / "var"), "STATIC_ROOT": str(static),
        "SAFECAMPUS_MEDIA_STORAGE": "filesystem", "MEDIA_ROOT": str(media),
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(mail), "SAFECAMPUS_PUBLIC_URL": a.origin,
        # the sweep runs every minute; a one-day notice is inside the reminder window
        "SAFECAMPUS_DEADLINE_SWEEP_MINUTES": "1", "SAFECAMPUS_REMINDER_HOURS": "72",
        "SECURE_HSTS_SECONDS": "0", "LOG_LEVEL": "INFO",
        "GUNICORN_WORKERS": "1", "GUNICORN_THREADS": "4", "GUNICORN_TIMEOUT": "300",
    }
    cluster = Cluster(tmp_path, env, db, dbname)
    queue = redis.Redis.from_url(redis_url)
    queue.flushdb()
    _admin_sql(cluster, f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')
    _admin_sql(cluster, f'CREATE DATABASE "{dbname}"')
    try:
        # given an empty database migrated and seeded, and static files collected
        cluster.manage("migrate", "--no-input", "-v", "0")
        seed = json.loads(cluster.manage("shell", "-c", SEED).split("SEED ", 1)[1])
        cluster.manage("collectstatic", "--no-input", "-v", "0")
        assert (static / "staticfiles.json").is_file()
        # and two web nodes and two task consumers on them
        for node in (a, b):
            cluster.start(f"web-{node.name}", [
                sys.executable, "-m", "gunicorn", "-c", "config/gunicorn.conf.py",
                "--bind", f"127.0.0.1:{node.port}", "config.wsgi"])
        cluster.start("consumer-periodic", [sys.executable, "manage.py", "run_huey", "-w", "2"])
        cluster.start("consumer-plain",
                      [sys.executable, "manage.py", "run_huey", "--no-periodic", "-w", "2"])
        browser = _session()

        def up(node):
            cluster.check_alive()
            try:
                return browser.get(node.base + "/accounts/login/", timeout=10).status_code == 200
            except requests.RequestException:
                return False

        for node in (a, b):
            _wait(f"web node {node.name}", lambda node=node: up(node), timeout_s=STARTUP_S)
        _wait("both consumers", lambda: cluster.check_alive() or all(
            "Huey consumer started" in cluster.log(n) for n in ("consumer-periodic", "consumer-plain")),
            timeout_s=STARTUP_S)
        assert "Periodic tasks are enabled." in cluster.log("consumer-periodic")
        assert "Periodic tasks are disabled." in cluster.log("consumer-plain")

        # when office staff sign in on A
        signed_in = _post(browser, a, "/accounts/login/",
                          {"username": "staff1", "password": "pass-1234"})
        assert signed_in.status_code == 302, cluster.log("web-A")[-3000:]
        # then the session works on B (sessions live in PostgreSQL behind the Redis cache)
        on_b = browser.get(b.base + "/hazards/notices/", allow_redirects=False, timeout=60)
        assert on_b.status_code == 200

        # when they report a hazard with a photo on B
        reported = _post(browser, b, "/hazards/report/", {
            "title": "楼梯间堆放纸箱", "category": seed["fire"], "campus": seed["campus"],
            "building": seed["building"], "place": seed["place"], "location_text": "二楼楼梯间",
            "grade": "general", "source": "office", "idempotency_key": uuid.uuid4().hex},
            files=[("photos", ("stairs.jpg", _jpeg_bytes(), "image/jpeg"))])
        assert reported.status_code == 302, reported.text[:3000]
        hazard_id = int(re.search(r"/hazards/(\d+)/$", reported.headers["Location"]).group(1))
        detail = browser.get(b.base + f"/hazards/{hazard_id}/", timeout=60).text
        photo_id = int(re.search(r"/hazards/photos/(\d+)/thumb/", detail).group(1))
        # then A serves the photo B stored (one media folder)
        photo = browser.get(a.base + f"/hazards/photos/{photo_id}/full/", timeout=60)
        assert photo.status_code == 200 and photo.headers["Content-Type"] == "image/jpeg"
        assert photo.content[:3] == b"\xff\xd8\xff"
        assert any(p.suffix == ".jpg" for p in (media / "hazards").rglob("*"))

        # when B confirms it and A issues a one-day rectification notice to its unit
        confirmed = _post(browser, b, f"/hazards/{hazard_id}/act/confirm/",
                          {"grade": "general", "comment": ""})
        assert confirmed.status_code == 302
        issued = _post(browser, a, "/hazards/notices/new/", {
            "hazards": [hazard_id], "requirements": "请于期限内清理楼梯间杂物。",
            "deadline_days": "1", "deadline_basis": "calendar",
            "idempotency_key": uuid.uuid4().hex})
        assert issued.status_code == 302, issued.text[:3000]
        notice_path = issued.headers["Location"]
        assert re.fullmatch(r"/hazards/notices/\d+/", notice_path)
        # then B finds it with its number
        number = cluster.sql("SELECT number FROM hazards_rectificationnotice")[0][0]
        found = browser.get(b.base + notice_path, timeout=60)
        assert found.status_code == 200 and number in found.text

        # when the deadline sweep is enqueued from both nodes at the same moment
        enqueue = [subprocess.Popen([sys.executable, "manage.py", "shell", "-c", ENQUEUE_SWEEP],
                                    cwd=BASE_DIR, env=env) for _node in (a, b)]
        assert [p.wait(timeout=300) for p in enqueue] == [0, 0]
        contacts = cluster.sql(
            "SELECT u.id, u.email FROM accounts_user u JOIN accounts_membership m "
            "ON m.user_id = u.id WHERE m.role = 'unit_safety_contact' AND m.unit_id = %s",
            seed["unit"])
        assert contacts

        def reminders():
            return cluster.sql(
                "SELECT recipient_id, title FROM notifications_notification "
                "WHERE verb = 'hazards.deadline_reminder'")

        def reminder_mails():
            title = reminders()[0][1]
            return [m for m in _mails(mail) if _header(m, "Subject") == title]

        # then the consumers send the reminder: in the inbox and by e-mail
        _wait("the reminder", lambda: cluster.check_alive() or reminders(), timeout_s=STARTUP_S)
        _wait("the reminder e-mails", lambda: cluster.check_alive() or (
            len(reminder_mails()) >= len(contacts)), timeout_s=STARTUP_S)
        # and after another scheduled sweep has run, still exactly one per recipient
        done = _sweeps_done(cluster)
        _wait("another scheduled sweep", lambda: cluster.check_alive() or (
            _sweeps_done(cluster) > done), timeout_s=STARTUP_S, every_s=2)
        assert sorted(r for r, _t in reminders()) == sorted(pk for pk, _e in contacts)
        sent_to = sorted(_header(m, "To") for m in reminder_mails())
        assert sent_to == sorted(e for _pk, e in contacts)
        # and only the scheduling consumer put periodic tasks on the queue
        assert "Enqueueing periodic task" in cluster.log("consumer-periodic")
        assert "Enqueueing periodic task" not in cluster.log("consumer-plain")
        assert cluster.sql("SELECT count(*) FROM notifications_delivery d JOIN "
                           "notifications_notification n ON n.id = d.notification_id WHERE "
                           "n.verb = 'hazards.deadline_reminder' AND d.channel = 'email' "
                           "AND d.state = 'sent'")[0][0] == len(contacts)
    finally:
        cluster.stop()
        queue.flushdb()
        queue.close()
        _admin_sql(cluster, f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')
