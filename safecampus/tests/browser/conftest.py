"""Browser test harness: Playwright (sync API) driving Debian's Chromium against live_server.

Every test that uses the ``browsing`` fixture gets pages that record console errors, uncaught page
errors, failed requests and HTTP error responses; at teardown the test fails if any of them
happened (a missing stylesheet, a script blocked by the CSP, a 404 on an icon font …).
Each user gets a browser context of their own (own cookies), signed in through the real form.
"""

import os
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

# Playwright's sync API runs an asyncio loop in this thread; Django refuses ORM calls from a
# thread with a running loop unless told that this is deliberate (tests only).
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PASSWORD = "pass-1234"
SHOTS = Path(os.environ.get("SAFECAMPUS_SHOTS", "/tmp/shots"))

VIEWPORTS = {
    "phone": {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True,
              "device_scale_factor": 2},
    "desktop": {"viewport": {"width": 1440, "height": 900}},
}


@dataclass
class PageProblems:
    """What went wrong in one browser context, collected from Playwright events."""

    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)
    bad_responses: list[str] = field(default_factory=list)

    def csp_violations(self) -> list[str]:
        return [m for m in self.console_errors if "Content Security Policy" in m]

    def all(self) -> list[str]:
        return self.console_errors + self.page_errors + self.failed_requests + self.bad_responses


def _watch(context, problems: PageProblems, base_url: str) -> None:
    def on_console(message):
        if message.type == "error":
            problems.console_errors.append(f"{message.location.get('url', '')}: {message.text}")

    def on_response(response):
        if response.url.startswith(base_url) and response.status >= 400:
            path = response.url[len(base_url):]
            problems.bad_responses.append(f"{response.status} {path}")

    def on_request_failed(request):
        failure = request.failure or ""
        # A navigation that replaces a still-loading document aborts its subresources.
        if "ERR_ABORTED" in failure:
            return
        problems.failed_requests.append(f"{request.url}: {failure}")

    def on_page(page):
        page.on("console", on_console)
        page.on("pageerror", lambda error: problems.page_errors.append(str(error)))

    context.on("page", on_page)
    context.on("response", on_response)
    context.on("requestfailed", on_request_failed)


@pytest.fixture(scope="session")
def chromium():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is not installed")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                             args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(params=list(VIEWPORTS), ids=list(VIEWPORTS))
def viewport(request) -> str:
    """Parametrizes a test over the phone (390×844, touch) and desktop (1440×900) sizes."""
    return request.param


class Browsing:
    """Opens signed-in browser contexts against the live server and checks them at the end."""

    def __init__(self, chromium, base_url: str, test_name: str):
        self.chromium = chromium
        self.base_url = base_url
        self.test_name = re.sub(r"[^A-Za-z0-9_.-]+", "-", test_name).strip("-")
        self.contexts: list[tuple[object, PageProblems]] = []

    def new_page(self, size: str = "desktop"):
        """A fresh context (own cookies) at ``size`` with the Chinese UI; returns its page."""
        context = self.chromium.new_context(
            base_url=self.base_url, locale="zh-CN", timezone_id="Asia/Shanghai",
            **VIEWPORTS[size])
        context.set_default_timeout(15_000)
        problems = PageProblems()
        _watch(context, problems, self.base_url)
        page = context.new_page()
        page.sc_problems = problems
        page.sc_size = size
        self.contexts.append((context, problems))
        return page

    def login(self, username: str, size: str = "desktop", next_url: str = ""):
        """Sign in ``username`` through the real sign-in form; returns the signed-in page."""
        page = self.new_page(size)
        page.goto("/accounts/login/" + (f"?next={next_url}" if next_url else ""))
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", PASSWORD)
        with page.expect_navigation():
            page.click("form button[type=submit]")
        assert "/accounts/login/" not in page.url, f"sign-in as {username} failed"
        return page

    def shot(self, page, name: str, *, full_page: bool = True) -> Path:
        """Screenshot into /tmp/shots/<test>/<name>-<size>.png (outside the repo): the whole
        page, or with ``full_page=False`` the first screen as the user sees it."""
        folder = SHOTS / self.test_name
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{name}-{page.sc_size}.png"
        # From the top: sticky and fixed bars are drawn where the viewport is when the shot
        # is taken, and a full-page shot does not move them.
        page.evaluate("window.scrollTo(0, 0)")
        page.screenshot(path=str(path), full_page=full_page)
        return path

    @staticmethod
    def wait_until(page, expression: str, arg=None, *, timeout_s: float = 10.0) -> None:
        """Wait until ``expression`` (a JS function of ``arg``) is truthy on ``page``.

        Polls from Python with ``page.evaluate`` rather than ``page.wait_for_function``: the
        latter compiles its predicate with ``eval`` inside the page whenever it has to poll,
        which our Content-Security-Policy (no ``unsafe-eval``) refuses on a busy machine.
        Raises AssertionError naming the expression after ``timeout_s`` seconds."""
        deadline = time.monotonic() + timeout_s
        while not page.evaluate(expression, arg):
            if time.monotonic() > deadline:
                raise AssertionError(f"still false after {timeout_s} s: {expression}")
            page.wait_for_timeout(50)

    @staticmethod
    def image_shown(image, *, timeout_s: float = 10.0) -> int:
        """Scroll ``image`` (a Locator of one ``<img>``, perhaps ``loading=lazy``) into view,
        wait until the browser has decoded it, and return its natural width in pixels
        (0 only when it failed to load). Raises AssertionError after ``timeout_s`` seconds."""
        image.scroll_into_view_if_needed()
        deadline = time.monotonic() + timeout_s
        while not image.evaluate("img => img.complete"):
            if time.monotonic() > deadline:
                raise AssertionError(f"image still loading after {timeout_s} s")
            image.page.wait_for_timeout(50)
        return image.evaluate("img => img.naturalWidth")

    @staticmethod
    def overflow(page) -> int:
        """How many CSS pixels the page is wider than its viewport (0 when it fits)."""
        return page.evaluate(
            "() => Math.max(0, document.documentElement.scrollWidth - window.innerWidth)")

    @staticmethod
    def assets(page) -> dict:
        """Which of the page's static assets took effect: Bootstrap's CSS and JS, htmx,
        the icon font, our app.css and app.js."""
        return page.evaluate("""async () => (await document.fonts.ready, {
            bootstrap_css: getComputedStyle(document.querySelector(".navbar")).display === "flex",
            bootstrap_js: typeof window.bootstrap === "object",
            htmx: typeof window.htmx === "object",
            icons: [...document.fonts].some(
                f => f.family.replace(/"/g, "") === "bootstrap-icons" && f.status === "loaded"),
            app_css: getComputedStyle(document.body).getPropertyValue("--sc-red").trim() === "#d9342b",
            app_js: document.documentElement.hasAttribute("data-app-ready"),
        })""")

    def check(self) -> list[str]:
        problems = []
        for _context, found in self.contexts:
            problems.extend(found.all())
        return problems

    def close(self):
        for context, _found in self.contexts:
            context.close()


@pytest.fixture
def browsing(chromium, live_server, transactional_db, request) -> Browsing:
    """Signed-in pages for any user; fails the test if a page logged an error, had a CSP
    violation, or a request to the server failed or answered with an error status."""
    session = Browsing(chromium, live_server.url, request.node.name)
    yield session
    try:
        problems = session.check()
        csp = [p for _c, found in session.contexts for p in found.csp_violations()]
        assert not csp, f"CSP violations: {csp}"
        assert not problems, "browser problems:\n" + "\n".join(problems)
    finally:
        session.close()


@pytest.fixture(scope="session")
def demo_site():
    """The demo university served on loopback for the guides' walks (see ``guide.py``)."""
    from .guide import DemoSite

    site = DemoSite()
    try:
        yield site.start()
    finally:
        site.stop()


@pytest.fixture(scope="session")
def guide_shots_dir(tmp_path_factory) -> Path:
    """Where the guides' pictures go: ``SAFECAMPUS_GUIDE_SHOTS`` or a temporary folder."""
    from .guide import GUIDE_SHOTS

    return Path(GUIDE_SHOTS) if GUIDE_SHOTS else tmp_path_factory.mktemp("guide-shots")


@pytest.fixture(scope="session")
def guide_browsers(chromium):
    """One Chromium per guide language, started with ``--lang`` so that the browser's own
    widgets (date pickers, file inputs) speak the page's language in the pictures."""
    browsers = {}

    def browser_for(lang: str):
        if lang not in browsers:
            browsers[lang] = chromium.browser_type.launch(
                executable_path=CHROMIUM, headless=True,
                args=CHROMIUM_ARGS + [f"--lang={'zh-CN' if lang == 'zh-hans' else 'en-US'}"])
        return browsers[lang]

    yield browser_for
    for browser in browsers.values():
        browser.close()


@pytest.fixture
def guide(guide_browsers, demo_site, guide_shots_dir, request):
    """Signed-in pages on the demo site (``guide.login(username, size, lang=…)``) and the
    guides' screenshots (``guide.shot(page, name)``); fails on any browser problem."""
    from .guide import Guide

    session = Guide(guide_browsers, demo_site.url, request.node.name, guide_shots_dir)
    yield session
    try:
        problems = session.check()
        assert not problems, "browser problems:\n" + "\n".join(problems)
    finally:
        session.close()
