"""Joint meetings as people click them: the office plans a meeting on a phone or a desktop
(ticking a partner lists its liaison), the open action of last month's meeting is on the new
agenda by itself; the office records the minutes with one police-side decision; the station's
liaison, signed in on a phone, marks it done; the meeting page then shows the carried action
done. Screenshots go to /tmp/shots."""

import datetime as dt

import pytest

from safecampus.core import clock
from safecampus.police.models import Meeting, MeetingAction
from safecampus.police.services import meetings as services
from safecampus.police.services import partners as partner_services

pytestmark = [
    pytest.mark.browser,
    pytest.mark.filterwarnings("ignore:No directory at:UserWarning"),
]


@pytest.fixture
def station(org):
    """A station serving campus 1 with liaison ``police1``; last month's meeting with one open
    campus-side action."""
    admin = org.users.admin
    partner = partner_services.partner_create(actor=admin, data=partner_services.PartnerInput(
        code="st1", name="北派出所", kind="police_station", campus_ids=[org.campus1.pk]))
    partner_services.liaison_add(actor=admin, partner_id=partner.pk, user_id=org.users.police.pk)
    today = clock.local_today()
    earlier = services.meeting_plan(actor=org.users.staff, data=services.MeetingInput(
        kind="joint", title="上月联席会议", partner_ids=[partner.pk],
        starts_at=dt.datetime.combine(today - dt.timedelta(days=30), dt.time(14),
                                      tzinfo=clock.local_zone())))
    services.meeting_hold(actor=org.users.staff, meeting_id=earlier.pk, minutes="纪要",
                          actions=[services.ActionInput(
                              title="南门照明整改", side="campus", owner_unit_id=org.unit_a.pk,
                              due_on=today + dt.timedelta(days=10))])
    return partner


def test_a_meeting_carries_open_actions_and_a_liaison_completes_a_decision(
        browsing, org, station, viewport):
    office = browsing.login("staff1", viewport, next_url="/police/meetings/new/")
    office.fill("input[name=title]", "本月警校联席会议")
    # began an hour ago, whatever the time of day the test runs (minutes are recorded once a
    # meeting has begun)
    began = (clock.now() - dt.timedelta(hours=1)).astimezone(clock.local_zone())
    office.fill("input[name=starts_at]", began.strftime("%Y-%m-%dT%H:%M"))
    liaison_box = office.locator(f"#meeting-liaisons input[value='{org.users.police.pk}']")
    assert not liaison_box.is_visible()  # no partner ticked yet
    office.locator("#meeting-partners input[type=checkbox]").first.check()
    browsing.wait_until(office, "() => !document.querySelector("
                        "'#meeting-liaisons input[data-partner]').closest('.form-check')"
                        ".classList.contains('d-none')")
    liaison_box.check()
    office.fill("textarea[name=agenda]", "通报本月警情")
    assert browsing.overflow(office) == 0
    browsing.shot(office, "plan")
    with office.expect_navigation():
        office.locator("#meeting-form button[type=submit]").click()
    meeting = Meeting.objects.get(title="本月警校联席会议")
    carried = office.locator("#agenda li.agenda-carried")
    assert carried.count() == 1 and "南门照明整改" in carried.inner_text()
    assert office.locator("#agenda [data-live=open]").count() == 1
    browsing.shot(office, "planned")

    with office.expect_navigation():
        office.click("#record-minutes")
    office.fill("textarea[name=minutes]", "通报了本月警情，研究了周边治安。")
    office.fill("input[name=actions-0-title]", "加强北门夜间巡逻")
    office.select_option("select[name=actions-0-side]", "police")
    office.select_option("select[name=actions-0-owner_partner]", str(station.pk))
    office.fill("input[name=actions-0-due_on]",
                (clock.local_today() + dt.timedelta(days=7)).isoformat())
    assert browsing.overflow(office) == 0
    with office.expect_navigation():
        office.locator("#hold-form button[type=submit]").click()
    assert office.locator("#decisions li").count() == 1
    action = MeetingAction.objects.get(meeting=meeting)

    phone = browsing.login("police1", "phone", next_url=f"/police/actions/{action.pk}/")
    phone.fill("textarea[name=note]", "已增派警力巡逻两周")
    with phone.expect_navigation():
        phone.locator("#complete-form button[type=submit]").click()
    assert phone.locator("[data-live=done]").count() == 1
    assert browsing.overflow(phone) == 0
    browsing.shot(phone, "done")
    action.refresh_from_db()
    assert action.state == MeetingAction.State.DONE
