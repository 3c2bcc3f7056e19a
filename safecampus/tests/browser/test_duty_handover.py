"""The duty room as the officers click it (desktop 1440×900 and a phone 390×844): the guard on
duty takes over, logs a call and a second one, closes the second, turns the first into an
incident and the incident into a hazard, and hands over with the open item carried over.
The next officer sees the carried-over item, its incident and the hazard, whose page links
back to the incident. Screenshots of the duty room, the handover form, the entry page and
the incident list go to /tmp/shots."""

import pytest
from django.utils import translation

from safecampus.hazards.models import Hazard
from safecampus.patrols.models import DutyLogEntry, DutyShift, Incident

pytestmark = [
    pytest.mark.browser,
    pytest.mark.filterwarnings("ignore:No directory at:UserWarning"),
]


def zh(msgid: str) -> str:
    with translation.override("zh-hans"):
        return translation.gettext(msgid)


def log_call(page, summary: str, *, place: bool = True) -> None:
    """Fill the duty room's quick form (opened first on a phone) and send it."""
    form = page.locator("#log-form")
    if not form.is_visible():
        page.click("#log-toggle")
        # Bootstrap adds "show" when the collapse has finished opening; a click on the submit
        # button while the panel still grows can land beside it on a slow machine.
        page.wait_for_selector("#log-form-body.show")
        form.wait_for(state="visible")
    form.locator("select[name=kind]").select_option("call")
    form.locator("textarea[name=summary]").fill(summary)
    if place:
        form.locator("select[name=campus]").select_option(label="北校区")
        form.locator("select[name=place]").select_option(label="101实验室")
        form.locator("input[name=caller_name]").fill("王同学")
        form.locator("input[name=caller_phone]").fill("13800001111")
    with page.expect_navigation():
        form.locator("button[type=submit]").click()


def open_action(page, name: str):
    card = page.locator(f"#action-{name}")
    if card.get_attribute("open") is None:
        card.locator("summary").click()
    return card


def test_duty_officer_logs_turns_into_incident_and_hazard_and_hands_over(browsing, org,
                                                                          viewport):
    officer = browsing.login("guard1", viewport, next_url="/patrols/duty/")
    page = officer
    assert page.url.endswith("/patrols/duty/")

    # -- nobody is on duty: take over ---------------------------------------------------------
    assert page.locator("#nobody-on-duty").is_visible()
    page.select_option("select[name=leader]", str(org.users.staff.pk))
    with page.expect_navigation():
        page.click("#take-over")
    shift = DutyShift.objects.get(state="open")
    assert shift.officer == org.users.guard and shift.leader == org.users.staff

    # -- log two calls; close the second ------------------------------------------------------
    log_call(page, "东门来电：实验楼后门有人撬锁")
    log_call(page, "咨询失物招领电话", place=False)
    first = DutyLogEntry.objects.get(summary="东门来电：实验楼后门有人撬锁")
    second = DutyLogEntry.objects.get(summary="咨询失物招领电话")
    assert (first.place, first.caller_phone, first.shift) == (org.place_a, "13800001111", shift)
    assert page.locator(f"#entries [data-entry='{first.pk}']").is_visible()
    assert browsing.overflow(page) == 0
    browsing.shot(page, "01-duty-home")

    with page.expect_navigation():
        page.click(f"#entries [data-entry='{second.pk}']")
    card = open_action(page, "close")
    card.locator("textarea[name=action_taken]").fill("已告知失物招领处电话")
    with page.expect_navigation():
        card.locator("button[type=submit]").click()
    second.refresh_from_db()
    assert second.status == "closed"

    # -- the first call becomes an incident ----------------------------------------------------
    page.goto(first.get_absolute_url())
    assert "13800001111" in page.locator("#entry-caller").inner_text()
    assert browsing.overflow(page) == 0
    browsing.shot(page, "02-entry-detail")
    card = open_action(page, "incident")
    card.locator("select[name=category]").select_option("burglary")
    card.locator("input[name=type_label]").fill("撬锁未遂")
    card.locator("textarea[name=people_involved]").fill("报警人：王同学")
    with page.expect_navigation():
        card.locator("button[type=submit]").click()
    incident = Incident.objects.get()
    assert page.url.endswith(incident.get_absolute_url())
    assert incident.reference in page.locator("main").inner_text()
    assert (incident.source, incident.place, incident.reported_at) == (
        "duty_log", org.place_a, first.occurred_at)

    # -- the incident becomes a hazard -------------------------------------------------------------
    card = open_action(page, "hazard")
    card.locator("input[name=title]").fill("实验楼后门门锁损坏")
    card.locator("select[name=category]").select_option(str(org.fire.pk))
    assert card.locator("select[name=place]").input_value() == str(org.place_a.pk)
    with page.expect_navigation():
        card.locator("button[type=submit]").click()
    hazard = Hazard.objects.get()
    assert (hazard.source, hazard.place, hazard.source_id) == ("office", org.place_a, incident.pk)
    assert page.locator(f"a[href='/hazards/{hazard.pk}/']").count() >= 1
    # one event, one hazard: the pages show it instead of the button
    assert page.locator("#action-hazard").count() == 0
    assert page.locator("#incident-hazard").inner_text().strip() == hazard.reference
    page.goto(first.get_absolute_url())
    assert page.locator("#action-hazard").count() == 0
    assert page.locator("#entry-hazard").inner_text().strip() == hazard.reference
    assert browsing.overflow(page) == 0
    browsing.shot(page, "02-entry-detail-with-hazard")

    # -- hand over: the open call carries over, the closed one stays ----------------------------
    page.goto("/patrols/duty/")
    with page.expect_navigation():
        page.click("#handover-link")
    carrying = page.locator("#carrying [data-entry]")
    assert carrying.count() == 1
    assert carrying.first.get_attribute("data-entry") == str(first.pk)
    assert hazard.reference in carrying.first.inner_text()
    page.select_option("select[name=next_officer]", str(org.users.staff2.pk))
    page.fill("textarea[name=note]", "实验楼后门撬锁一事待派出所回复")
    assert browsing.overflow(page) == 0
    browsing.shot(page, "03-handover-form")
    with page.expect_navigation():
        page.dblclick("#handover-submit")  # an impatient double tap hands over once
    page.wait_for_load_state()
    assert page.url.endswith("/patrols/duty/")
    assert page.locator(".alert-success").count() == 1
    shift.refresh_from_db()
    assert DutyShift.objects.count() == 2
    new = DutyShift.objects.get(state="open")
    assert (shift.state, shift.carried_over, new.officer) == ("handed_over", 1, org.users.staff2)
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.shift, second.shift) == (new, shift)

    # -- the next officer sees the carried-over item, its incident and the hazard -------------
    nxt = browsing.login("staff2", viewport, next_url="/patrols/duty/")
    assert nxt.locator("#duty-officer").inner_text() == str(org.users.staff2)
    rows = nxt.locator("#entries [data-entry]")
    assert rows.count() == 1
    assert rows.first.get_attribute("data-entry") == str(first.pk)
    assert zh("carried over") in rows.first.inner_text()
    assert incident.reference in rows.first.inner_text()
    assert hazard.reference in rows.first.inner_text()
    assert browsing.overflow(nxt) == 0
    browsing.shot(nxt, "06-duty-home-next-officer")
    with nxt.expect_navigation():
        rows.first.click()
    assert nxt.locator("#entry-incident").inner_text() == incident.reference
    with nxt.expect_navigation():
        nxt.click("#entry-incident")
    with nxt.expect_navigation():
        nxt.locator(f"main a[href='/hazards/{hazard.pk}/']").first.click()
    # the hazard page links back to the incident
    back = nxt.locator(f"main a[href='{incident.get_absolute_url()}']")
    assert back.count() == 1
    with nxt.expect_navigation():
        back.click()
    assert nxt.url.endswith(incident.get_absolute_url())
    assert browsing.overflow(nxt) == 0
    browsing.shot(nxt, "05-incident-detail")

    # -- the handed-over shift says who handed over to whom -----------------------------------
    nxt.goto(shift.get_absolute_url())
    lines = nxt.locator("li[data-verb='patrols.duty_hand_over'] .handover-line")
    assert str(org.users.staff2) in lines.inner_text()
    assert browsing.overflow(nxt) == 0
    browsing.shot(nxt, "07-shift-detail")

    # -- the incident list ------------------------------------------------------------------------
    nxt.goto("/patrols/incidents/")
    assert nxt.locator(f"#incidents [data-incident='{incident.pk}']").is_visible()
    assert browsing.overflow(nxt) == 0
    browsing.shot(nxt, "04-incident-list")
