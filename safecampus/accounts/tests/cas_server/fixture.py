"""The ``cas_server`` pytest fixture: the test CAS server as a separate process on loopback,
plus a tiny client that walks the CAS login the way a browser does (for ``requests``)."""

import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlencode

import pytest
import requests

from .people import PASSWORD, PEOPLE

ROOT = Path(__file__).resolve().parents[4]
SETTINGS = "safecampus.accounts.tests.cas_server.settings"


@dataclass
class CasServer:
    url: str  # ends with "/", e.g. http://127.0.0.1:40123/cas/
    password: str = PASSWORD
    people: dict = None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def unavailable(reason: str):
    """The CAS server cannot run here: skip with the reason, but fail under ``CI=true``
    (where every test must run)."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(reason)
    pytest.skip(reason)


def _run(args, env, folder) -> None:
    done = subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=180)
    if done.returncode != 0:
        unavailable(f"the test CAS server could not be set up ({' '.join(args)}): "
                    f"{done.stderr[-800:]}")


@pytest.fixture(scope="session")
def cas_server(tmp_path_factory):
    """A django-cas-server instance on 127.0.0.1:<free port> with its own SQLite database,
    the accounts of :mod:`.people`, and a service pattern for SafeCampus on loopback.
    Skips (with the reason) only when the server cannot be started; fails then under
    ``CI=true``."""
    folder = tmp_path_factory.mktemp("cas-server")
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE")}
    env.update(DJANGO_SETTINGS_MODULE=SETTINGS, CAS_TEST_DIR=str(folder), PYTHONUNBUFFERED="1")
    _run(["-m", "django", "migrate", "--no-input", "-v", "0"], env, folder)
    _run(["-m", "safecampus.accounts.tests.cas_server.seed"], env, folder)
    port = _free_port()
    log = open(folder / "server.log", "w")  # noqa: SIM115 - closed at teardown
    process = subprocess.Popen(
        [sys.executable, "-m", "django", "runserver", f"127.0.0.1:{port}", "--noreload"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/cas/"
    deadline = time.monotonic() + 60
    while True:
        try:
            if requests.get(url + "login", timeout=2).status_code == 200:
                break
        except requests.RequestException:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            log.close()
            unavailable("the test CAS server did not start: "
                        + (folder / "server.log").read_text()[-800:])
        time.sleep(0.2)
    try:
        yield CasServer(url=url, people=PEOPLE)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


class _Inputs(HTMLParser):
    def __init__(self):
        super().__init__()
        self.values: dict[str, str] = {}

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "input" and attrs.get("name") and attrs.get("type") != "checkbox":
            self.values[attrs["name"]] = attrs.get("value") or ""


@dataclass
class CasRound:
    session: requests.Session
    ticket_url: str  # where the CAS server sent the browser back, with ?ticket=…
    response: requests.Response  # SafeCampus's answer to that URL (not followed)


def cas_sign_in(base_url: str, cas: CasServer, username: str, *, next_url: str = "/accounts/me/",
                password: str | None = None) -> CasRound:
    """Walk the CAS login as a browser: our /accounts/cas/login/ → the CAS form → POST the
    credentials → back to SafeCampus with a ticket. Returns the session and the answer."""
    session = requests.Session()
    start = session.get(f"{base_url}/accounts/cas/login/?{urlencode({'next': next_url})}",
                        allow_redirects=False, timeout=30)
    assert start.status_code == 302, start.text[:500]
    assert start.headers["Location"].startswith(cas.url + "login?service="), start.headers
    form = session.get(start.headers["Location"], timeout=30)
    inputs = _Inputs()
    inputs.feed(form.text)
    data = {**inputs.values, "username": username, "password": password or cas.password}
    posted = session.post(form.url, data=data, allow_redirects=False, timeout=30)
    assert posted.status_code == 302, posted.text[:800]
    ticket_url = posted.headers["Location"]
    assert "ticket=ST-" in ticket_url, ticket_url
    answer = session.get(ticket_url, allow_redirects=False, timeout=30)
    return CasRound(session=session, ticket_url=ticket_url, response=answer)


def cas_ticket(base_url: str, cas: CasServer, username: str, *,
               next_url: str = "/accounts/me/") -> tuple[requests.Session, str]:
    """Walk the CAS login as a browser but stop before returning: the browser session and the
    URL (with ``ticket=…``) the CAS server sends it back to."""
    session = requests.Session()
    start = session.get(f"{base_url}/accounts/cas/login/?{urlencode({'next': next_url})}",
                        allow_redirects=False, timeout=30)
    form = session.get(start.headers["Location"], timeout=30)
    inputs = _Inputs()
    inputs.feed(form.text)
    posted = session.post(form.url, data={**inputs.values, "username": username,
                                          "password": cas.password},
                          allow_redirects=False, timeout=30)
    return session, posted.headers["Location"]
