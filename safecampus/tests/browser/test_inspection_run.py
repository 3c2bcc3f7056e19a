"""Doing an inspection on a phone (390×844) as the inspector clicks it: start, answer item by
item, reload mid-way and find every answer, fail an item with a photo, lose the network,
answer on, get it back and see everything saved once, sign on the screen and submit; the
unit then has a rectification notice. One desktop pass of the run page too."""

import pytest
from django.utils import translation
from PIL import Image

from safecampus.hazards.models import RectificationNotice
from safecampus.inspections import services
from safecampus.inspections.models import Inspection, InspectionResult, Outcome, ResultPhoto
from safecampus.inspections.tests.helpers import answer_all, published_checklist, signature_png

pytestmark = [
    pytest.mark.browser,
    pytest.mark.filterwarnings("ignore:No directory at:UserWarning"),
]

SAVED = "#run-status[data-state=saved]"


def zh(msgid: str) -> str:
    with translation.override("zh-hans"):
        return translation.gettext(msgid)


def photo_file(tmp_path, name="finding.jpg", colour=(200, 40, 40)) -> str:
    path = tmp_path / name
    Image.new("RGB", (1024, 768), colour).save(path, format="JPEG")
    return str(path)


def card(page, code: str):
    return page.locator(f".run-item[data-code='{code}']")


def answer(page, code: str, outcome: str) -> None:
    card(page, code).locator(f".run-outcomes [data-outcome={outcome}]").click()


def outcomes(inspection) -> dict[str, str]:
    return dict(InspectionResult.objects.filter(inspection=inspection)
                .values_list("item_code", "outcome"))


def forgive_offline_requests(page) -> None:
    """Requests that failed while the test had switched the network off are expected."""
    problems = page.sc_problems
    offline = ("ERR_INTERNET_DISCONNECTED", "ERR_NETWORK_CHANGED")
    problems.failed_requests[:] = [p for p in problems.failed_requests
                                   if not any(code in p for code in offline)]
    problems.console_errors[:] = [p for p in problems.console_errors
                                  if not any(code in p for code in offline)]


def test_inspection_on_a_phone_survives_reload_and_offline(browsing, org, tmp_path):
    version = published_checklist(org.users.admin, category_id=org.fire.pk, items=6)
    page = browsing.login("staff1", "phone")

    # -- start an ad-hoc inspection with the place picker ---------------------------------
    page.goto("/inspections/")
    with page.expect_navigation():
        page.locator("main a[href='/inspections/start/']").first.click()
    page.select_option("select[name=campus]", label="北校区")
    page.select_option("select[name=building]", label="化学楼")
    page.select_option("select[name=place]", label="101实验室")
    page.select_option("select[name=template]", label=version.template.name)
    with page.expect_navigation():
        page.locator("#start-form button[type=submit]").click()
    inspection = Inspection.objects.get()
    assert page.url.endswith(f"/inspections/{inspection.pk}/run/")
    page.wait_for_selector("html[data-run-ready]")
    assert browsing.overflow(page) == 0
    browsing.shot(page, "01-run-empty", full_page=False)

    # -- answer three items; each is saved at once ----------------------------------------
    for code in ("1.1", "1.2", "1.3"):
        answer(page, code, "complies")
    page.wait_for_selector(SAVED)
    assert outcomes(inspection) == {"1.1": "complies", "1.2": "complies", "1.3": "complies"}
    assert page.locator("#run-answered").inner_text() == zh(
        "Answered %(answered)s of %(total)s") % {"answered": 3, "total": 6}

    # -- reload mid-way: every answer is still there --------------------------------------
    page.reload()
    page.wait_for_selector("html[data-run-ready]")
    for code in ("1.1", "1.2", "1.3"):
        assert card(page, code).get_attribute("data-outcome") == "complies"
        pressed = card(page, code).locator("[data-outcome=complies]")
        assert pressed.get_attribute("aria-pressed") == "true"
    for code in ("1.4", "1.5", "1.6"):
        assert card(page, code).get_attribute("data-outcome") == ""
    assert page.locator(SAVED).count() == 1

    # -- fail an item with a note and a photo ----------------------------------------------
    answer(page, "1.4", "fails")
    failed = card(page, "1.4")
    failed.locator("textarea[data-field=note]").fill("实验台下堆放纸箱，堵塞通道")
    failed.locator("input[type=file][data-stage=finding]").set_input_files(photo_file(tmp_path))
    failed.locator(".run-photo[data-photo-id]").wait_for()
    page.wait_for_selector(SAVED)
    result = InspectionResult.objects.get(inspection=inspection, item_code="1.4")
    assert (result.outcome, result.note) == (Outcome.FAILS, "实验台下堆放纸箱，堵塞通道")
    assert ResultPhoto.objects.filter(result=result).count() == 1
    assert browsing.image_shown(failed.locator(".run-photo img").first) > 0
    browsing.shot(page, "02-run-failed-item")

    # -- the network drops: answers wait on the phone ----------------------------------------
    page.context.set_offline(True)
    answer(page, "1.5", "complies")
    answer(page, "1.6", "na")
    page.wait_for_selector("#run-status[data-state=offline][data-pending='2']")
    assert zh("Offline: %(count)s change(s) waiting; they are sent when the network "
              "returns.") % {"count": 2} in page.locator("#run-status").inner_text()
    stored = page.evaluate(f"() => JSON.parse(localStorage.getItem('sc-inspection-run:{inspection.pk}'))")
    assert sorted(stored["results"]) == sorted(str(inspection.version.items.get(code=c).pk)
                                               for c in ("1.5", "1.6"))
    assert set(outcomes(inspection)) == {"1.1", "1.2", "1.3", "1.4"}
    browsing.shot(page, "03-run-offline", full_page=False)

    # -- and comes back: everything is sent, once ----------------------------------------------
    page.context.set_offline(False)
    page.wait_for_selector(SAVED, timeout=20_000)
    forgive_offline_requests(page)
    assert outcomes(inspection) == {"1.1": "complies", "1.2": "complies", "1.3": "complies",
                                    "1.4": "fails", "1.5": "complies", "1.6": "na"}
    assert InspectionResult.objects.filter(inspection=inspection).count() == 6
    assert ResultPhoto.objects.filter(result__inspection=inspection).count() == 1
    assert page.locator("#run-answered").inner_text() == zh(
        "Answered %(answered)s of %(total)s") % {"answered": 6, "total": 6}

    # -- sign on the screen and submit ------------------------------------------------------------
    with page.expect_navigation():
        page.locator("#run-finish").click()
    assert page.locator("#submit-pending").is_hidden()
    page.fill("input[name=signer_name]", "王老师")
    pad = page.locator("#signature-pad")
    pad.evaluate("el => el.scrollIntoView({block: 'center'})")
    box = pad.bounding_box()
    page.mouse.move(box["x"] + 30, box["y"] + 120)
    page.mouse.down()
    for step in range(1, 12):
        page.mouse.move(box["x"] + 30 + step * 25, box["y"] + 120 - (step % 3) * 30)
    page.mouse.up()
    page.wait_for_selector("#signature-pad.is-signed")
    assert browsing.overflow(page) == 0
    browsing.shot(page, "04-submit-signed")
    with page.expect_navigation():
        page.locator("#submit-form button[type=submit]").click()
    assert page.url.endswith(f"/inspections/{inspection.pk}/"), page.locator("main").inner_text()
    inspection.refresh_from_db()
    assert inspection.state == Inspection.State.FINISHED
    assert inspection.signature and inspection.signer_name == "王老师"
    assert (inspection.items_complied, inspection.items_failed,
            inspection.items_not_applicable) == (4, 1, 1)
    notice = RectificationNotice.objects.get()
    assert notice.unit == org.unit_a
    assert page.locator(f"a[href='/hazards/{notice.items.get().hazard_id}/']").count() >= 1
    assert browsing.image_shown(page.locator("img.signature-image")) > 0
    assert browsing.overflow(page) == 0
    browsing.shot(page, "05-detail")


def test_run_page_on_a_desktop(browsing, org, tmp_path):
    version = published_checklist(org.users.admin, items=4, veto="1.2")
    # an earlier inspection of the place failed item 1.1
    earlier = services.inspection_start(actor=org.users.staff2, place_id=org.place_a.pk,
                                        template_id=version.template_id)
    answer_all(earlier, org.users.staff2, fails={"1.1": "通道堆物"})
    services.inspection_submit(actor=org.users.staff2, inspection_id=earlier.pk,
                               signer_name="王老师", signature=signature_png())
    inspection = services.inspection_start(actor=org.users.staff, place_id=org.place_a.pk,
                                           template_id=version.template_id)
    page = browsing.login("staff1", "desktop")
    page.goto(f"/inspections/{inspection.pk}/run/")
    page.wait_for_selector("html[data-run-ready]")
    assert card(page, "1.2").locator(".badge.text-bg-danger").inner_text().strip() == zh("Veto item")
    for code in ("1.1", "1.2", "1.3", "1.4"):
        answer(page, code, "na" if code == "1.3" else "complies")
    answer(page, "1.1", "fails")  # changed mind: the newer answer wins
    assert card(page, "1.1").locator("[data-fail]").is_visible()
    card(page, "1.1").locator("[data-field=fixed_on_spot]").check()
    card(page, "1.1").locator("[data-field=fix_note]").fill("当场清理")
    card(page, "1.1").locator("[data-field=note]").fill("通道堆物")
    page.wait_for_selector(SAVED)
    browsing.wait_until(
        page, "() => document.getElementById('run-status').getAttribute('data-pending') === '0'")
    assert outcomes(inspection) == {"1.1": "fails", "1.2": "complies", "1.3": "na",
                                    "1.4": "complies"}
    result = InspectionResult.objects.get(inspection=inspection, item_code="1.1")
    assert (result.note, result.fixed_on_spot, result.fix_note) == ("通道堆物", True, "当场清理")
    assert card(page, "1.1").locator("[data-repeat]").is_visible(), "repeat finding flagged"
    # a file that is not a photo is refused with the server's message and stays in view
    fake = tmp_path / "scan.jpg"
    fake.write_bytes(b"not a picture at all")
    card(page, "1.1").locator("input[type=file][data-stage=finding]").set_input_files(str(fake))
    refused = card(page, "1.1").locator(".run-photo.is-refused figcaption")
    refused.wait_for()
    assert refused.inner_text() == zh(
        "%(name)s is not a photo we can read; use JPEG, PNG, WebP or HEIC.") % {"name": "scan.jpg"}
    assert not ResultPhoto.objects.filter(result__inspection=inspection).exists()
    page.sc_problems.bad_responses[:] = [
        p for p in page.sc_problems.bad_responses
        if not p.startswith(f"400 /inspections/{inspection.pk}/items/")]
    page.sc_problems.console_errors[:] = [
        p for p in page.sc_problems.console_errors if "400 (Bad Request)" not in p]
    assert browsing.overflow(page) == 0
    browsing.shot(page, "run-desktop")
