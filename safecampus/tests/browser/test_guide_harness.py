"""The guides' harness: the demo site answers, the demo accounts sign in, pictures are taken."""

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.guide]


def test_demo_site_serves_the_demo_in_both_languages(guide):
    page = guide.login("student", "phone")
    assert page.locator("nav.navbar").is_visible()
    path = guide.shot(page, "harness-home")
    assert path.name == "harness-home-phone.jpg" and path.stat().st_size > 5_000
    english = guide.login("student", "desktop", lang="en")
    assert english.evaluate("document.documentElement.lang") == "en"
    assert english.locator("text=Sign out").count() == 1
