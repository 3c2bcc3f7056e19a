"""The home page's "My recent reports" on a phone and a desktop: a long title wraps beside
its status badge and never runs under it (as on the "My reports" page)."""

import pytest

from safecampus.hazards import services as hazard_services

pytestmark = pytest.mark.browser

LONG_TITLE = "充电站故障：东区1号学生公寓电动车充电棚"

#: For each report of the card: [title, whether the title's box overlaps a badge's box,
#: whether every badge stays inside the row]. Badges are measured one by one: a squeezed
#: badge group lets its badges spill out of its own box, over the title.
BOXES = """() => [...document.querySelectorAll('#home-my-reports .list-group-item-action')]
  .map((a) => {
    const t = a.querySelector('.fw-semibold').getBoundingClientRect();
    const r = a.getBoundingClientRect();
    const badges = [...a.querySelectorAll('.badge')].map((b) => b.getBoundingClientRect());
    const apart = (s) => t.right <= s.left || s.right <= t.left || t.bottom <= s.top
      || s.bottom <= t.top;
    return [a.querySelector('.fw-semibold').textContent, !badges.every(apart),
            badges.length > 0 && badges.every((s) => s.left >= r.left && s.right <= r.right)];
  })"""


def test_a_long_title_never_runs_under_its_status_badge(browsing, org, viewport):
    # Given a student with a long-titled report and a short one
    for title in ("窨井盖破损", LONG_TITLE):
        hazard_services.hazard_report(reporter=org.users.student, title=title,
                                      category_id=org.fire.pk, place_id=org.place_a.pk)
    # When they open the home page
    page = browsing.login(org.users.student.username, viewport)
    page.goto("/")
    # Then each title sits beside its badge, wrapped where needed, nothing overlapping
    rows = page.evaluate(BOXES)
    assert [row[0] for row in rows] == [LONG_TITLE, "窨井盖破损"]
    assert all(not overlap and inside for _title, overlap, inside in rows), rows
    assert browsing.overflow(page) == 0
    browsing.shot(page, "home-my-reports")
