"""The browser harness itself: it must notice what it promises to notice."""

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.filterwarnings("ignore:No directory at:UserWarning")]


def test_harness_sees_csp_violations_and_missing_files(browsing, org):
    """Given a signed-in page, when an inline script runs and a missing file is requested,
    then the harness records a CSP violation and a 404 (and this test clears them after)."""
    page = browsing.login("student1", "phone")
    # The browser reports the violation, the 404 and its console error asynchronously
    with page.expect_console_message(lambda m: "Content Security Policy" in m.text), \
            page.expect_console_message(lambda m: "missing.css" in m.location.get("url", "")), \
            page.expect_response("**/static/css/missing.css"):
        page.evaluate("""() => {
            const s = document.createElement("script");
            s.textContent = "window.inlineRan = true";
            document.body.appendChild(s);
            const l = document.createElement("link");
            l.rel = "stylesheet"; l.href = "/static/css/missing.css";
            document.head.appendChild(l);
        }""")
    problems = page.sc_problems
    assert page.evaluate("() => window.inlineRan === undefined"), "the CSP blocked the inline script"
    assert any("script-src" in m for m in problems.csp_violations())
    assert any(r.startswith("404 /static/css/missing.css") for r in problems.bad_responses)
    problems.console_errors.clear()
    problems.bad_responses.clear()
    assert browsing.check() == []
