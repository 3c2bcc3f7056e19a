"""The unit safety contact's guide (单位安全员, ``transport_contact``; ``clinic_contact`` for an
inspection report): the unit's open work and notices at a desk, signing for a notice, starting
rectification and submitting evidence with a photo on a phone, the inspection report the office
sent, the unit's education page and the warnings, and booking a service (a safety talk) for
the unit. Pictures ``unit-contact-<nn>-<what>-<size>.jpg``.

It takes "the first notice still to sign" and "the first hazard still to rectify" of the unit,
so it passes again on the same demo while the unit has such work left (the demo leaves several).
"""

import datetime as dt

import pytest
from django.utils import translation
from PIL import Image

pytestmark = [pytest.mark.browser, pytest.mark.guide]

#: What the contact types, in the language of the walk.
EVIDENCE = {"zh-hans": "已设置临时警示标志，损坏部分已更换，现场恢复正常。",
            "en": "Warning signs were put up, the broken part was replaced, the site is back to normal."}


#: The booked safety talk: days after the earliest bookable date (one walk per language, so
#: the two never compete for the same day's slots), where, and the contact's phone.
BOOKING = {"zh-hans": {"days_after": 14, "where": "交通运输中心二楼会议室"},
           "en": {"days_after": 15, "where": "Transport centre, meeting room 2F"}}


def t(lang: str, msgid: str, **values) -> str:
    """The text the UI shows for ``msgid`` in ``lang``."""
    with translation.override(lang):
        text = translation.gettext(msgid)
    return text % values if values else text


def success(page) -> str:
    return " ".join(page.locator(".alert-success").all_inner_texts())


def first_hazard_to_rectify(page) -> str | None:
    """Address of the unit's first hazard that is signed for, being rectified or returned."""
    for status in ("acknowledged", "rectifying", "returned"):
        page.goto(f"/hazards/?status={status}")
        rows = page.locator("main a[href^='/hazards/'][href$='/']").filter(
            has=page.locator(".badge"))
        if rows.count():
            return rows.first.get_attribute("href")
    return None


@pytest.mark.parametrize("lang", ["zh-hans", "en"])
def test_unit_contact_daily_tasks(guide, lang, tmp_path):
    desk = guide.login("transport_contact", "desktop", lang=lang)

    # -- the home page lists the unit's open work with its deadlines --------------------------
    assert desk.locator("main a[href^='/hazards/']").count() > 0
    guide.shot(desk, "unit-contact-01-home")
    desk.goto("/hazards/notices/")
    notices = desk.locator("main a[href^='/hazards/notices/']")
    assert notices.count() > 0
    guide.shot(desk, "unit-contact-02-notices")
    to_sign = notices.filter(has_text=t(lang, "Issued"))

    # -- sign for a notice on the phone ---------------------------------------------------------
    phone = guide.login("transport_contact", "phone", lang=lang)
    chosen = to_sign.first if to_sign.count() else notices.first
    number = chosen.inner_text().strip().split("\n")[0].strip()
    phone.goto(chosen.get_attribute("href"))
    sign = phone.get_by_role("button", name=t(lang, "Sign for the notice"))
    if sign.count():
        guide.shot(phone, "unit-contact-03-notice")
        with phone.expect_navigation():
            sign.click()
        assert t(lang, "Signed for notice %(number)s.", number=number) in success(phone)
    else:
        guide.shot(phone, "unit-contact-03-notice")

    # -- start rectification and submit evidence with a photo ----------------------------------------
    href = first_hazard_to_rectify(phone)
    assert href, "the unit has a hazard to rectify"
    phone.goto(href)
    start = phone.locator("#action-start button[type=submit]")
    if start.count():
        guide.shot(phone, "unit-contact-04-hazard")
        with phone.expect_navigation():
            start.click()
        assert t(lang, "Rectification started.") in success(phone)
    else:
        guide.shot(phone, "unit-contact-04-hazard")
    photo = tmp_path / "after.jpg"
    Image.new("RGB", (800, 600), (40, 160, 60)).save(photo, format="JPEG")
    phone.fill("#action-evidence textarea[name=text]", EVIDENCE[lang])
    phone.set_input_files("#action-evidence input[name=photos]", str(photo))
    guide.shot(phone, "unit-contact-05-evidence")
    with phone.expect_navigation():
        phone.locator("#action-evidence button[type=submit]").click()
    assert t(lang, "Evidence submitted; the office will verify it.") in success(phone)
    guide.shot(phone, "unit-contact-06-evidence-submitted")

    # -- an inspection report of the unit (the clinic was inspected by the office) -------------------
    clinic = guide.login("clinic_contact", "desktop", lang=lang)
    clinic.goto("/inspections/")
    guide.shot(clinic, "unit-contact-07-inspections")
    with clinic.expect_navigation():
        clinic.locator("main table a[href^='/inspections/']").first.click()
    assert clinic.locator("main a[href$='/report.pdf']").count() >= 1
    guide.shot(clinic, "unit-contact-08-inspection")

    # -- the unit's education page and the warnings to confirm -----------------------------------------
    phone.goto("/education/")
    assert phone.locator("main a[href='/education/activities/']").count() == 1
    guide.shot(phone, "unit-contact-09-education")

    # -- book a service for the unit: a safety talk ------------------------------------------------
    desk.goto("/community/services/")
    with desk.expect_navigation():
        desk.locator("main a[href='/community/services/safety-talk/book/']").click()
    form = desk.locator("#booking-form")
    earliest = dt.date.fromisoformat(form.locator("input[name=service_date]").get_attribute("min"))
    day = earliest + dt.timedelta(days=BOOKING[lang]["days_after"])
    form.locator("input[name=service_date]").fill(day.isoformat())
    form.locator("input[name=start_time]").fill("14:30")
    form.locator("input[name=end_time]").fill("16:00")
    form.locator("select[name=campus]").select_option(index=1)
    form.locator("input[name=location_text]").fill(BOOKING[lang]["where"])
    form.locator("input[name=answer_audience]").fill("40")
    form.locator("select[name=answer_topic]").select_option(index=4)
    form.locator("input[name=answer_devices]").first.check()
    form.locator("input[name=contact_phone]").fill("029-82660000")
    guide.shot(desk, "unit-contact-10-service-booking", full_page=True)
    with desk.expect_navigation():
        form.locator("button[type=submit]").click()
    before, after = t(lang, "Service request %(number)s sent. The office will answer by "
                            "%(due)s.").split("%(number)s")
    assert before in success(desk) and after.split("%(due)s")[0] in success(desk)
    assert "/community/services/requests/" in desk.url
