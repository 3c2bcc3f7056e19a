"""The unread count on the phone's menu button: inside the button and the screen, never cut
by an edge, and at most "99+"."""

import pytest

from safecampus.notifications.models import Notification

pytestmark = [
    pytest.mark.browser,
    pytest.mark.filterwarnings("ignore:No directory at:UserWarning"),
]


@pytest.mark.parametrize("unread, shown", [(157, "99+"), (7, "7")])
def test_the_unread_badge_is_fully_visible_on_the_menu_button(browsing, org, unread, shown):
    Notification.objects.bulk_create(
        Notification(recipient=org.users.staff, verb="test.badge", title=f"通知{n}")
        for n in range(unread))
    page = browsing.login("staff1", "phone")
    page.goto("/")
    badge = page.locator("#toggler-unread")
    assert badge.inner_text().split()[0] == shown
    button = page.locator(".navbar-toggler").bounding_box()
    box = badge.bounding_box()
    width = page.viewport_size["width"]
    # inside the button (so no edge of it crosses the number) and inside the screen
    assert button["x"] <= box["x"] and box["x"] + box["width"] <= button["x"] + button["width"]
    assert button["y"] <= box["y"] and box["y"] + box["height"] <= button["y"] + button["height"]
    assert 0 <= button["x"] and button["x"] + button["width"] <= width and box["y"] >= 0
    assert browsing.overflow(page) == 0
    # the brand, the report button and the menu button stay on one line
    assert page.locator(".navbar-brand").bounding_box()["y"] < button["y"] + button["height"]
    browsing.shot(page, f"menu-badge-{unread}", full_page=False)


def test_the_menu_button_is_hidden_on_a_desktop(browsing, org):
    Notification.objects.create(recipient=org.users.staff, verb="test.badge", title="通知")
    page = browsing.login("staff1", "desktop")
    page.goto("/")
    assert not page.locator(".navbar-toggler").is_visible()
    assert page.locator("#mainnav").is_visible()
