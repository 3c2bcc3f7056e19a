"""The office staff's guide (保卫处工作人员/检查员, ``inspector1`` at a desk; the office
administrator ``office_head`` for the operations page): the hazard ledger, confirming a
report and issuing a rectification notice, verifying a rectification, a campaign's progress,
the duty log, the traffic violations, the cockpit and the monthly reports; deciding a unit's
extension request (``transport_contact`` asks first), a new checklist published and a
campaign started with it, a patrol route's checkpoints, registering a vehicle and issuing its
permit, and the violation ledger import. Pictures ``office-staff-<nn>-<what>-desktop.jpg``.

It takes "the first new report" and "the first hazard waiting for verification" (the other
walks leave new ones), so it passes again on the same demo.
"""

import datetime as dt
import re
import uuid

import pytest
from django.utils import translation

pytestmark = [pytest.mark.browser, pytest.mark.guide]

#: What the office types, in the language of the walk.
TEXT = {
    "zh-hans": {"verify": "现场复查合格，整改到位。",
                "call": "学生来电：东区1号公寓楼道灯不亮，已通知物业维修。",
                "extension": "需采购专用隔离护栏，到货约需两周。",
                "granted": "同意延期，请在新期限前完成整改并提交佐证。",
                "checklist": "电动车充电棚专项检查表",
                "item": "充电棚内无私拉电线、飞线充电",
                "campaign": "电动车充电棚冬季专项检查",
                "owner": "李文博"},
    "en": {"verify": "Checked on site: rectified as required.",
           "call": ("A student called: the corridor light in East dormitory 1 is out; "
                    "property services told."),
           "extension": "Special barriers must be ordered; delivery takes about two weeks.",
           "granted": "Granted; rectify and send the evidence by the new deadline.",
           "checklist": "E-bike charging shed checklist",
           "item": "No makeshift wiring or cables run to charge in the shed",
           "campaign": "Winter check of e-bike charging sheds",
           "owner": "Li Wenbo"},
}


def t(lang: str, msgid: str, **values) -> str:
    """The text the UI shows for ``msgid`` in ``lang``."""
    with translation.override(lang):
        text = translation.gettext(msgid)
    return text % values if values else text


def success(page) -> str:
    return " ".join(page.locator(".alert-success").all_inner_texts())


#: The address of the first hazard the ledger shows (its rows link to /hazards/<id>/).
FIRST_ROW = """() => ([...document.querySelectorAll("main a[href^='/hazards/']")]
    .find(a => a.offsetParent !== null && /^\\/hazards\\/\\d+\\/$/.test(a.getAttribute("href")))
    || {}).getAttribute?.("href") || null"""


def first_hazard(page, status: str):
    """The ledger's first visible row link to a hazard in ``status``, or None."""
    page.goto(f"/hazards/?status={status}")
    href = page.evaluate(FIRST_ROW)
    return page.locator(f"main a[href='{href}']:visible").first if href else None


@pytest.mark.parametrize("lang", ["zh-hans", "en"])
def test_office_staff_daily_tasks(guide, lang):
    tag = uuid.uuid4().hex[:6]
    page = guide.login("inspector1", "desktop", lang=lang)

    # -- the ledger: new reports first --------------------------------------------------------
    row = first_hazard(page, "reported")
    assert row is not None, "a new report waits for the office"
    guide.shot(page, "office-staff-01-ledger")
    with page.expect_navigation():
        row.click()
    with page.expect_navigation():
        page.locator("#action-confirm button[type=submit]").click()
    assert t(lang, "Hazard confirmed.") in success(page)
    guide.shot(page, "office-staff-02-confirmed")

    # -- issue the rectification notice ------------------------------------------------------------
    with page.expect_navigation():
        page.locator("a[href*='/hazards/notices/new/']:visible").first.click()
    page.fill("input[name=deadline_days]", "5")
    page.select_option("select[name=deadline_basis]", "working")
    guide.shot(page, "office-staff-03-notice-new")
    with page.expect_navigation():
        page.locator("main form button[type=submit]", has_text=t(lang, "Issue notice")).click()
    assert "/hazards/notices/" in page.url
    assert page.locator("main a[href$='/pdf/']").count() >= 1
    assert page.locator(".alert-success").count() == 1

    # -- verify a rectification ------------------------------------------------------------------------
    row = first_hazard(page, "evidence_submitted")
    assert row is not None, "a rectification waits for verification"
    with page.expect_navigation():
        row.click()
    page.fill("#action-verify textarea[name=comment]", TEXT[lang]["verify"])
    page.locator("#action-verify").scroll_into_view_if_needed()
    guide.shot(page, "office-staff-04-verify", full_page=True)
    with page.expect_navigation():
        page.locator("#action-verify button[type=submit]").click()
    assert t(lang, "Verified and closed.") in success(page)

    # -- a campaign's progress ----------------------------------------------------------------------------
    page.goto("/inspections/plans/")
    with page.expect_navigation():
        page.locator("main a[href^='/inspections/plans/'][href$='/']").filter(
            has_not_text=t(lang, "New")).first.click()
    guide.shot(page, "office-staff-05-campaign")

    # -- the duty log: record a call ----------------------------------------------------------------------
    page.goto("/patrols/duty/")
    page.select_option("#log-form select[name=kind]", "call")
    page.fill("#log-form textarea[name=summary]", f"{TEXT[lang]['call']} {tag}")
    page.select_option("#log-form select[name=campus]", "1")
    with page.expect_navigation():
        page.locator("#log-form button[type=submit]").click()
    assert page.locator("main", has_text=tag).count() >= 1
    guide.shot(page, "office-staff-06-duty-log")

    # -- traffic violations, the cockpit and the reports ------------------------------------------------
    page.goto("/traffic/violations/")
    assert page.locator("main a[href^='/traffic/violations/']").count() > 0
    guide.shot(page, "office-staff-07-violations")
    page.goto("/cockpit/")
    guide.shot(page, "office-staff-08-cockpit")
    page.goto("/reports/")
    assert page.locator("main a[href$='.pdf'], main a[href*='pdf']").count() >= 1
    guide.shot(page, "office-staff-09-reports")

    # -- what the office administrator has besides: the operations page -----------------------------
    admin = guide.login("office_head", "desktop", lang=lang)
    admin.goto("/operations/")
    guide.shot(admin, "office-staff-10-operations")


@pytest.mark.parametrize("lang", ["zh-hans", "en"])
def test_office_staff_setup_tasks(guide, lang):
    tag = uuid.uuid4().hex[:6]
    today = dt.date.today()

    # -- a unit asks for an extension; the office decides it -----------------------------------
    unit = guide.login("transport_contact", "desktop", lang=lang)
    asked = None
    for status in ("returned", "rectifying", "acknowledged"):
        unit.goto(f"/hazards/?status={status}")
        for link in unit.locator("main a[href^='/hazards/'][href$='/']").filter(
                has=unit.locator(".badge")).all():
            href = link.get_attribute("href")
            unit.goto(href)
            form = unit.locator("form[action$='/act/extension/']")
            if form.count():
                asked = href
                break
            unit.goto(f"/hazards/?status={status}")
        if asked:
            break
    assert asked, "the unit has a hazard it may ask an extension for"
    # Two weeks after the deadline in force (a date-only deadline shows as 23:59 that day).
    deadlines = [dt.date.fromisoformat(day) for day in
                 re.findall(r"(\d{4}-\d{2}-\d{2}) 23:59", unit.locator("main").inner_text())]
    wanted = max([today, *deadlines]) + dt.timedelta(days=14)
    unit.locator("details:has(form[action$='/act/extension/']) > summary").click()
    form.locator("input[name=requested_deadline]").fill(wanted.isoformat())
    form.locator("textarea[name=reason]").fill(TEXT[lang]["extension"])
    with unit.expect_navigation():
        form.locator("button[type=submit]").click()
    assert t(lang, "Extension requested.") in success(unit)

    page = guide.login("inspector1", "desktop", lang=lang)
    page.goto(asked)
    decide = page.locator("form[action*='/extensions/'][action$='/decide/']")
    decide.locator("select[name=decision]").select_option(index=1)
    decide.locator("input[name=comment]").fill(TEXT[lang]["granted"])
    decide.scroll_into_view_if_needed()
    guide.shot(page, "office-staff-11-extension", full_page=True)
    with page.expect_navigation():
        decide.locator("button[type=submit]").click()
    assert t(lang, "Decision recorded.") in success(page)

    # -- a new checklist: items, publish; then a campaign with it ---------------------------------------
    page.goto("/inspections/checklists/new/")
    page.fill("input[name=code]", f"ev-shed-{tag}")
    page.fill("input[name=name]", TEXT[lang]["checklist"])
    page.select_option("select[name=kind]", "fire")
    with page.expect_navigation():
        page.locator("main form button[type=submit]").first.click()
    assert t(lang, "Checklist created. Add its items, then publish it.") in success(page)
    checklist_id = re.search(r"/inspections/checklists/(\d+)/", page.url).group(1)
    with page.expect_navigation():
        page.locator("main a[href$='/items/new/']").first.click()
    page.fill("input[name=code]", "1.1")
    page.fill("textarea[name=text]", TEXT[lang]["item"])
    page.select_option("select[name=hazard_category]", index=2)
    with page.expect_navigation():
        page.locator("main form button[type=submit]").first.click()
    page.locator("details:has(form[action$='/publish/']) > summary").click()
    with page.expect_navigation():
        page.locator("form[action$='/publish/'] button[type=submit]").click()
    assert t(lang, "Version %(number)s is published; new inspections use it.", number=1) \
        in success(page)
    guide.shot(page, "office-staff-12-checklist")

    page.goto("/inspections/plans/new/")
    page.check("input[name=kind][value=campaign]")
    page.fill("input[name=name]", TEXT[lang]["campaign"])
    page.select_option("select[name=template]", checklist_id)
    page.fill("input[name=starts_on]", (today + dt.timedelta(days=1)).isoformat())
    page.fill("input[name=ends_on]", (today + dt.timedelta(days=20)).isoformat())
    # Each filter change reloads the list of matching places (after a short delay); the page's
    # first list or the campus's may still be on its way: wait for the list of both filters.
    page.select_option("select[name=campus]", "1")
    with page.expect_response(lambda response: "preview=1" in response.url
                              and "campus=1" in response.url
                              and "place_kind=outdoor" in response.url):
        page.select_option("select[name=place_kind]", "outdoor")
    page.wait_for_selector("#place-preview:not(.htmx-request)")  # swapped in
    guide.wait_until(page, "() => document.querySelectorAll('#plan-form input[name=places]')"
                           ".length > 0")
    page.check("input[name=all_matching]")
    page.select_option("select[name=inspectors]", index=0)
    guide.shot(page, "office-staff-13-campaign-new")
    with page.expect_navigation():
        page.locator("#plan-form button[type=submit]").click()
    assert "/inspections/plans/" in page.url and page.locator(".alert-success").count() == 1

    # -- patrol routes: checkpoints and their QR sheet ----------------------------------------------------
    page.goto("/patrols/setup/routes/")
    with page.expect_navigation():
        page.locator("main a[href^='/patrols/routes/']").first.click()
    assert page.locator("main a[href$='/sheet.pdf']").count() > 1
    guide.shot(page, "office-staff-14-route")

    # -- register a vehicle and issue its permit ----------------------------------------------
    plate = "陕A" + tag[:5].upper()
    page.goto("/traffic/vehicles/new/")
    page.fill("input[name=plate]", plate)
    page.fill("input[name=owner_name]", TEXT[lang]["owner"])
    page.select_option("select[name=owner_kind]", index=1)
    page.fill("input[name=owner_phone]", "13800001234")
    with page.expect_navigation():
        page.locator("main form button[type=submit]").first.click()
    assert plate in success(page)
    permit = page.locator("#permit-form")
    permit.locator("input[name='permit-valid_from']").fill(today.isoformat())
    permit.locator("input[name='permit-valid_until']").fill(
        (today + dt.timedelta(days=365)).isoformat())
    with page.expect_navigation():
        permit.locator("button[type=submit]").click()
    assert page.locator("form[action$='/revoke/']").count() == 1
    guide.shot(page, "office-staff-15-vehicle")

    # -- importing an old violation ledger: the upload step ---------------------------------------------
    page.goto("/traffic/violations/import/")
    assert page.locator("main input[type=file][name=file]").count() == 1
    guide.shot(page, "office-staff-16-violation-import")
