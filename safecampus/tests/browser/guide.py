"""The user guides' walks: browser tests against the demo university that also take the
guides' screenshots.

``demo_site`` (session) serves a freshly loaded demo the way ``make demo`` does — its own
SQLite database and media in a temporary folder, ``manage.py demo_load`` then
``manage.py runserver`` on a free loopback port — or uses the demo already running at
``SAFECAMPUS_GUIDE_URL``. It does not touch the test database.

``guide`` gives signed-in pages for the demo accounts (password ``safecampus``) in Chinese or
English, and ``guide.shot(page, name)`` writes the picture a guide shows:
``<dir>/<lang>/<name>-<size>.jpg`` where ``<dir>`` is ``SAFECAMPUS_GUIDE_SHOTS`` (``make
guide`` sets it to ``docs/guide/img``) or a temporary folder, so that ``make test`` walks the
guides without rewriting their pictures. Pages are checked as in every browser test: a console
error, a CSP violation or an error response fails the walk.
"""

import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from django.conf import settings

from .conftest import VIEWPORTS, Browsing, PageProblems, _watch

DEMO_PASSWORD = "safecampus"
GUIDE_SHOTS = os.environ.get("SAFECAMPUS_GUIDE_SHOTS", "")
#: JPEG keeps the guide's pictures small in the repository; 85 keeps Chinese text crisp.
JPEG_QUALITY = 85
#: Seconds the demo may take to load and start (demo_load takes minutes on a busy machine).
START_TIMEOUT_S = 900


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_for_port(port: int, process: subprocess.Popen, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the demo server stopped with exit code {process.returncode}")
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise RuntimeError(f"the demo server did not answer on port {port} in {timeout_s} s")


class DemoSite:
    """A demo university served on loopback; ``url`` is its base (no trailing slash)."""

    def __init__(self):
        self.url = os.environ.get("SAFECAMPUS_GUIDE_URL", "").rstrip("/")
        self.folder = None
        self.server = None

    def start(self) -> "DemoSite":
        if self.url:
            return self
        self.folder = tempfile.TemporaryDirectory(prefix="safecampus-guide-")
        port = _free_port()
        env = {key: value for key, value in os.environ.items()
               if key not in {"DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE"}}
        env.update(SAFECAMPUS_VAR_DIR=str(Path(self.folder.name) / "var"),
                   DJANGO_SETTINGS_MODULE="config.settings.local",
                   SAFECAMPUS_PUBLIC_URL=f"http://127.0.0.1:{port}", PYTHONUNBUFFERED="1")
        manage = [sys.executable, str(settings.BASE_DIR / "manage.py")]
        log = Path(self.folder.name) / "demo.log"
        with log.open("w") as out:
            for step in (["migrate", "--no-input", "-v", "0"], ["demo_load"]):
                done = subprocess.run(manage + step, env=env, stdout=out, stderr=subprocess.STDOUT,
                                      timeout=START_TIMEOUT_S, check=False)
                if done.returncode:
                    raise RuntimeError(f"{' '.join(step)} failed:\n{log.read_text()[-3000:]}")
        self.server = subprocess.Popen(
            manage + ["runserver", f"127.0.0.1:{port}", "--noreload"], env=env,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _wait_for_port(port, self.server, 120)
        self.url = f"http://127.0.0.1:{port}"
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.terminate()
            try:
                self.server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.server.kill()
        if self.folder is not None:
            self.folder.cleanup()


class Guide(Browsing):
    """Signed-in pages on the demo site for the guides' walks, and their screenshots."""

    def __init__(self, browser_for, base_url: str, test_name: str, shots_dir: Path):
        super().__init__(None, base_url, test_name)
        self.browser_for = browser_for
        self.shots_dir = shots_dir

    def new_page(self, size: str = "desktop", lang: str = "zh-hans"):
        """A fresh context at ``size`` showing the site in ``lang`` (``zh-hans`` or ``en``)."""
        context = self.browser_for(lang).new_context(
            base_url=self.base_url, locale="zh-CN" if lang == "zh-hans" else "en-US",
            timezone_id="Asia/Shanghai", **VIEWPORTS[size])
        context.set_default_timeout(20_000)
        host = self.base_url.split("//", 1)[1].split(":")[0]
        context.add_cookies([{"name": settings.LANGUAGE_COOKIE_NAME, "value": lang,
                              "domain": host, "path": "/"}])
        problems = PageProblems()
        _watch(context, problems, self.base_url)
        page = context.new_page()
        page.sc_problems = problems
        page.sc_size = size
        page.sc_lang = "zh" if lang == "zh-hans" else "en"
        self.contexts.append((context, problems))
        return page

    def login(self, username: str, size: str = "desktop", next_url: str = "",
              lang: str = "zh-hans"):
        """Sign in the demo account ``username`` through the sign-in form."""
        page = self.new_page(size, lang)
        page.goto("/accounts/login/" + (f"?next={next_url}" if next_url else ""))
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", DEMO_PASSWORD)
        with page.expect_navigation():
            page.click("form button[type=submit]")
        assert "/accounts/login/" not in page.url, f"sign-in as {username} failed"
        return page

    def shot(self, page, name: str, *, full_page: bool = False) -> Path:
        """The guide's picture ``<lang>/<name>-<size>.jpg``: the first screen as the user
        sees it, or with ``full_page=True`` the whole page."""
        folder = self.shots_dir / page.sc_lang
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{name}-{page.sc_size}.jpg"
        page.evaluate("window.scrollTo(0, 0)")
        page.screenshot(path=str(path), full_page=full_page, type="jpeg", quality=JPEG_QUALITY,
                        animations="disabled", caret="hide")
        return path
