"""The abandoned-vehicle pages: the list (tabs with counts, filters, pinned query count), the
phone report, the case page with one form per allowed step, the steps (errors re-render,
conflicts are messages), photos, the printable notice, and the clean-up drive pages."""

import shutil
import subprocess

import pytest
from django.urls import reverse
from django.utils import translation

from safecampus.core import clock
from safecampus.tests.factories import photo_upload
from safecampus.tests.pages import login, messages_of, text_of
from safecampus.traffic.models import AbandonedVehicleCase, CleanUpDrive

from .abandoned_helpers import DAY0, at, notice, open_case, stored_case
from .violation_helpers import owner_user, vehicle

State = AbandonedVehicleCase.State
LIST = "/traffic/abandoned/"


def url(case, step=""):
    return reverse("traffic:abandoned_detail", args=[case.pk]) + (f"{step}/" if step else "")


# --- list -----------------------------------------------------------------------------------
def test_the_list_has_tabs_with_counts_filters_and_a_fixed_query_count(
        client, org, django_assert_max_num_queries):
    for i in range(3):
        open_case(org, f"陕A1000{i}")
    notice(org, open_case(org, "京B12345", campus_id=org.campus2.pk, actor=org.users.staff))
    login(client, org.users.staff)
    with clock.frozen(at(1)), django_assert_max_num_queries(12) as few:
        client.get(LIST)
    for i in range(12):
        open_case(org, f"粤C1000{i}" if i < 10 else f"粤C100{i}", source="long_stay", actor=None)
    with clock.frozen(at(1)), django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(LIST)
    assert response.status_code == 200
    text = text_of(response)
    assert "Open cases 16" in text and "Suspected 15" in text and "Notice posted 1" in text
    with clock.frozen(at(1)):
        text = text_of(client.get(LIST, {"state": "noticed"}))
    assert "京B12345" in text and "陕A10000" not in text and "Move by 2026-03-09" in text
    with clock.frozen(at(1)):
        text = text_of(client.get(LIST, {"q": "陕a 1000", "state": "open"}))
    assert "陕A10001" in text and "京B" not in text and "粤C" not in text
    with clock.frozen(at(1)):
        text = text_of(client.get(LIST, {"source": "long_stay", "campus": org.campus1.pk}))
    assert "粤C10000" in text and "陕A1000" not in text
    # the deadline passes: the case moves to "ready to remove"
    with clock.frozen(at(10)):
        text = text_of(client.get(LIST, {"state": "due_removal"}))
    assert "Ready to remove 1" in text and "京B12345" in text


def test_the_list_is_for_the_office_guards_and_leadership(client, org):
    for user, status in [(org.users.guard, 200), (org.users.leadership, 200),
                         (org.users.student, 403), (org.users.contact_a, 403)]:
        login(client, user)
        assert client.get(LIST).status_code == status
    login(client, org.users.leadership)
    assert "Report a vehicle" not in text_of(client.get(LIST))


# --- report ---------------------------------------------------------------------------------
def test_a_guard_reports_on_the_phone_form(client, org):
    login(client, org.users.guard)
    form = client.get(reverse("traffic:abandoned_report"))
    key = form.context["form"].initial["idempotency_key"]
    body = {"plate": "陕a 12345", "vehicle_kind": "car", "description": "白色轿车，四轮亏气",
            "source": "patrol", "campus": org.campus1.pk, "location_text": "3号楼后",
            "photos": [photo_upload()], "idempotency_key": key}
    response = client.post(reverse("traffic:abandoned_report"), body)
    case = AbandonedVehicleCase.objects.get()
    assert response.status_code == 302 and response.url == url(case)
    assert messages_of(response) == [f"Case {case.number} opened."]
    # the double tap lands on the same case
    client.post(reverse("traffic:abandoned_report"), {**body, "photos": [photo_upload()]})
    assert AbandonedVehicleCase.objects.count() == 1
    # another report of the same plate leads to the open case with a warning
    again = client.post(reverse("traffic:abandoned_report"),
                        {**body, "idempotency_key": "", "photos": [photo_upload()]})
    assert again.url == url(case)
    assert messages_of(again)[-1:] == [f"陕A12345 already has an open case: {case.number} (Suspected)."]


def test_a_bad_report_shows_the_reasons_and_writes_nothing(client, org):
    login(client, org.users.guard)
    response = client.post(reverse("traffic:abandoned_report"), {
        "plate": "陕A1234", "source": "patrol", "campus": org.campus1.pk})
    assert response.status_code == 400
    assert ("A plate has 7 characters (8 for new-energy vehicles); this one has 6."
            in text_of(response))
    response = client.post(reverse("traffic:abandoned_report"), {
        "plate": "", "source": "patrol", "campus": org.campus1.pk})
    assert "Without a plate, describe the vehicle" in text_of(response)
    assert not AbandonedVehicleCase.objects.exists()
    login(client, org.users.student)
    assert client.get(reverse("traffic:abandoned_report")).status_code == 403


# --- case page and steps ----------------------------------------------------------------------
def test_the_case_page_offers_only_the_allowed_steps_to_the_office(client, org):
    owner = owner_user()
    vehicle(owner=owner, owner_name="王老师")
    case = open_case(org)
    login(client, org.users.staff)
    page = client.get(url(case))
    steps = [s["action"] for s in page.context["steps"]]
    assert steps == ["notice", "contact", "moved", "dismiss"]
    text = text_of(page)
    assert "王老师" in text and "Case opened" in text and "Print the notice" in text
    login(client, org.users.guard)
    page = client.get(url(case))
    assert page.context["steps"] == [] and 'id="steps"' not in page.content.decode()
    assert client.post(url(case, "dismiss"), {"dismiss-reason": "x"}).status_code == 403
    login(client, org.users.student)
    assert client.get(url(case)).status_code == 404


def test_posting_the_notice_from_the_page(client, org):
    case = open_case(org)
    login(client, org.users.staff)
    with clock.frozen(DAY0):
        bad = client.post(url(case, "notice"), {"notice-version": 1})
    assert bad.status_code == 400
    assert "Take a photo of the notice on the vehicle." in text_of(bad)
    assert [s["action"] for s in bad.context["steps"] if s["open"]] == ["notice"]
    with clock.frozen(DAY0):
        done = client.post(url(case, "notice"), {"notice-version": 1,
                                                 "notice-photos": [photo_upload()]})
    assert done.status_code == 302 and messages_of(done) == ["Done: Notice posted."]
    case.refresh_from_db()
    assert case.state == State.NOTICED and str(case.notice_deadline) == "2026-03-09"
    # a stale form (the version it was loaded with) is a message, nothing changes
    stale = client.post(url(case, "dismiss"), {"dismiss-version": 1, "dismiss-reason": "x"})
    assert messages_of(stale)[-1:] == ["Someone else changed this case while you were looking at "
                                  "it. Reload the page and try again."]
    case.refresh_from_db()
    assert case.state == State.NOTICED
    # too early to remove: a message, nothing changes
    with clock.frozen(at(3)):
        early = client.post(url(case, "store"), {"store-storage_place": "北门停车场",
                                                 "store-photos": [photo_upload()]})
    assert messages_of(early)[-1].startswith("The notice deadline (2026-03-09) has not passed")
    assert client.post(url(case, "fly")).status_code == 404


def test_store_claim_and_the_photos_by_stage(client, org):
    case = stored_case(org)
    login(client, org.users.staff)
    with clock.frozen(at(20)):
        page = client.get(url(case))
        assert [s["action"] for s in page.context["steps"]] == ["claim", "dispose"]
        text = text_of(page)
        assert "Removal to storage" in text and "Sighting" in text and "2026-06-08" in text
        done = client.post(url(case, "claim"), {"claim-claimed_by_name": "王老师",
                                                "claim-verification": "驾驶证、行驶证已核对"})
    assert messages_of(done) == ["Done: Claimed by the owner."]
    photo = case.photos.first()
    assert client.get(reverse("traffic:abandoned_photo", args=[photo.pk, "thumb"])
                      ).status_code == 200
    login(client, org.users.student)
    assert client.get(reverse("traffic:abandoned_photo", args=[photo.pk, "full"])
                      ).status_code == 404


def test_photos_added_later(client, org):
    case = open_case(org, actor=None, source="long_stay")
    login(client, org.users.staff)
    response = client.post(reverse("traffic:abandoned_photos", args=[case.pk]), {
        "photos-stage": "sighting", "photos-photos": [photo_upload(), photo_upload()]})
    assert messages_of(response) == ["2 photos added."]
    assert case.photos.count() == 2


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")
def test_the_printable_notice_is_a_chinese_pdf(client, org, tmp_path):
    case = notice(org, open_case(org, description="白色轿车"))
    login(client, org.users.staff)
    response = client.get(reverse("traffic:abandoned_notice_pdf", args=[case.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    path = tmp_path / "notice.pdf"
    path.write_bytes(response.content)
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert "车辆限期移走告知单" in text and case.number in text and "陕A12345" in text
    assert "2026年3月9日" in text
    login(client, org.users.student)
    assert client.get(reverse("traffic:abandoned_notice_pdf", args=[case.pk])
                      ).status_code == 404


# --- clean-up drives --------------------------------------------------------------------------
def test_the_office_runs_a_drive_from_its_pages(client, org):
    login(client, org.users.staff)
    drives = reverse("traffic:abandoned_drive_list")
    with clock.frozen(DAY0):
        key = client.get(drives).context["form"].initial["idempotency_key"]
        created = client.post(drives, {"name": "东区停车场清理", "campus": org.campus1.pk,
                                       "idempotency_key": key})
    d = CleanUpDrive.objects.get()
    assert created.url == reverse("traffic:abandoned_drive_detail", args=[d.pk])
    tag_url = reverse("traffic:abandoned_drive_tag", args=[d.pk])
    with clock.frozen(DAY0):
        bad = client.post(tag_url, {"lines": "陕A12345 东1\n陕A1234 东2"})
    assert bad.status_code == 400
    text = text_of(bad)
    assert "1 of 2 lines have problems; nothing was saved." in text
    assert "Line 2: 陕A1234: A plate has 7 characters" in text
    assert not AbandonedVehicleCase.objects.exists()
    with clock.frozen(DAY0):
        done = client.post(tag_url, {"lines": "陕A12345 东1\n陕A54321 东2"})
    assert messages_of(done) == ["2 vehicles tagged."]
    with clock.frozen(at(1)):
        posted = client.post(reverse("traffic:abandoned_drive_notices", args=[d.pk]))
    assert messages_of(posted)[-1:] == ["Notices posted on 2 vehicles (move by 2026-03-09)."]
    page = client.get(reverse("traffic:abandoned_drive_detail", args=[d.pk]))
    assert "Notice posted 2" in text_of(page)
    assert "东区停车场清理" in text_of(client.get(drives))
    login(client, org.users.guard)
    assert client.post(tag_url, {"lines": "陕A11111"}).status_code == 403
    assert client.get(drives).context["form"] is None


def test_a_double_tap_on_the_tag_and_photo_forms_saves_once(client, org):
    login(client, org.users.staff)
    with clock.frozen(DAY0):
        d = CleanUpDrive.objects.get(pk=client.post(reverse("traffic:abandoned_drive_list"), {
            "name": "东区清理", "campus": org.campus1.pk}).url.rstrip("/").split("/")[-1])
        page = client.get(reverse("traffic:abandoned_drive_detail", args=[d.pk]))
        key = page.context["tag_form"].initial["idempotency_key"]
        assert f'name="idempotency_key" value="{key}"' in page.content.decode()
        tag_url = reverse("traffic:abandoned_drive_tag", args=[d.pk])
        lines = "陕A12345 东1\n- 白色电动车 无牌"
        first = client.post(tag_url, {"lines": lines, "idempotency_key": key})
        second = client.post(tag_url, {"lines": lines, "idempotency_key": key})
    assert messages_of(first) == ["2 vehicles tagged."]
    assert second.status_code == 302  # the first result, no errors
    assert messages_of(second)[-1] == "2 vehicles tagged."
    assert AbandonedVehicleCase.objects.count() == 2
    case = AbandonedVehicleCase.objects.get(plate="陕A12345")
    page = client.get(url(case))
    key = page.context["photos_form"].initial["idempotency_key"]
    photos_url = reverse("traffic:abandoned_photos", args=[case.pk])
    for _ in range(2):
        response = client.post(photos_url, {"photos-stage": "sighting",
                                            "photos-photos": [photo_upload()],
                                            "photos-idempotency_key": key})
        assert response.status_code == 302
        assert messages_of(response)[-1] == "1 photos added."
    assert case.photos.count() == 1


def test_the_drive_page_names_the_cases_left_as_they_are(client, org):
    login(client, org.users.staff)
    with clock.frozen(DAY0):
        d = CleanUpDrive.objects.get(pk=client.post(reverse("traffic:abandoned_drive_list"), {
            "name": "东区清理", "campus": org.campus1.pk}).url.rstrip("/").split("/")[-1])
        client.post(reverse("traffic:abandoned_drive_tag", args=[d.pk]),
                    {"lines": "陕A12345 东1\n陕A54321 东2"})
    moved = AbandonedVehicleCase.objects.get(plate="陕A54321")
    client.post(url(moved, "moved"), {"moved-version": 1})
    with clock.frozen(at(1)):
        posted = client.post(reverse("traffic:abandoned_drive_notices", args=[d.pk]))
    assert messages_of(posted)[-2:] == [
        "Notices posted on 1 vehicles (move by 2026-03-09).",
        f"Not suspected any more, so left as they are: {moved.number}."]


def test_a_guard_works_on_his_campus_only(client, org):
    south = open_case(org, "陕A22222", actor=org.users.staff, campus_id=org.campus2.pk)
    north = open_case(org, "陕A11111")
    login(client, org.users.guard)
    assert client.get(url(south)).status_code == 404
    assert client.get(url(north)).status_code == 200
    listed = client.get(LIST + "?state=")
    assert [c.pk for c in listed.context["page"].object_list] == [north.pk]
    form = client.get(reverse("traffic:abandoned_report")).context["form"]
    assert [value for value, _label in form.fields["campus"].choices] == ["", org.campus1.pk]


# --- tag lines, the drive form, dates ----------------------------------------------------------
def _new_drive(client, org):
    with clock.frozen(DAY0):
        return CleanUpDrive.objects.get(pk=client.post(reverse("traffic:abandoned_drive_list"), {
            "name": "东区清理", "campus": org.campus1.pk}).url.rstrip("/").split("/")[-1])


def test_sloppy_plates_are_tagged_from_the_drive_page(client, org):
    login(client, org.users.staff)
    d = _new_drive(client, org)
    with clock.frozen(DAY0):
        done = client.post(reverse("traffic:abandoned_drive_tag", args=[d.pk]), {
            "lines": "陕a 12345 北门停车场东侧第1排\r\n 陕a 0l3０4 \r\n陕AD 12345\t东区"})
    assert done.status_code == 302 and messages_of(done)[-1] == "3 vehicles tagged."
    assert sorted(AbandonedVehicleCase.objects.values_list("plate", "location_text")) == [
        ("陕A0L304", ""), ("陕A12345", "北门停车场东侧第1排"), ("陕AD12345", "东区")]


def test_an_over_long_tag_line_is_refused_quoting_its_start(client, org):
    login(client, org.users.staff)
    d = _new_drive(client, org)
    long_line = "陕A12345 " + "很长的位置说明" * 800  # 5,609 characters
    with clock.frozen(DAY0):
        response = client.post(reverse("traffic:abandoned_drive_tag", args=[d.pk]), {
            "lines": f"陕A11111 东1\n{long_line}\n{'x' * 251}"})
    assert response.status_code == 400
    errors = response.context["tag_form"].errors["lines"]
    assert errors == [
        f"Line 2: This line has {len(long_line)} characters, at most 250 are allowed: "
        f"“{long_line[:30]}…”.",
        f"Line 3: This line has 251 characters, at most 250 are allowed: “{'x' * 30}…”."]
    # the line stays in the text box to be fixed, and only there
    assert response.content.decode().count(long_line[:40]) == 1
    assert not AbandonedVehicleCase.objects.exists()
    with clock.frozen(DAY0):
        too_many = client.post(reverse("traffic:abandoned_drive_tag", args=[d.pk]), {
            "lines": "\n".join(f"陕A{i:05d}" for i in range(201))})
    assert too_many.context["tag_form"].errors["lines"] == ["At most 200 vehicles in one go."]
    assert not AbandonedVehicleCase.objects.exists()


def test_the_drive_form_names_the_drive_not_a_person(client, org):
    login(client, org.users.staff)
    with clock.frozen(DAY0):
        form = client.get(reverse("traffic:abandoned_drive_list")).context["form"]
    with translation.override("zh-hans"):
        assert str(form.fields["name"].label) == "行动名称"
    with translation.override("en"):
        assert str(form.fields["name"].label) == "Drive name"
    assert (form.fields["starts_on"].widget.attrs["min"],
            form.fields["starts_on"].widget.attrs["max"]) == ("2025-12-02", "2026-05-31")
    assert (form.fields["notice_deadline"].widget.attrs["min"],
            form.fields["notice_deadline"].widget.attrs["max"]) == ("2026-03-03", "2026-05-31")
    with translation.override("en"):
        assert str(form.fields["notice_deadline"].help_text) == (
            "Empty: the usual notice period. At most 90 days ahead.")


def test_dates_too_far_ahead_get_a_clear_message_on_the_pages(client, org):
    login(client, org.users.staff)
    with clock.frozen(DAY0):
        response = client.post(reverse("traffic:abandoned_drive_list"), {
            "name": "东区清理", "campus": org.campus1.pk, "starts_on": "3000-01-01",
            "notice_deadline": "3000-01-02"})
    assert response.status_code == 400
    assert response.context["form"].errors == {
        "starts_on": ["A drive starts at most 90 days before or after today "
                      "(2025-12-02 to 2026-05-31)."],
        "notice_deadline": ["The deadline can be at most 90 days ahead, by 2026-05-31 at the "
                            "latest."]}
    assert not CleanUpDrive.objects.exists()
    case = open_case(org)
    for day in ("2026-06-01", "3000-01-01", "9999-12-31"):
        with clock.frozen(DAY0):
            bad = client.post(url(case, "notice"), {"notice-version": 1,
                                                    "notice-deadline": day,
                                                    "notice-photos": [photo_upload()]})
        assert bad.status_code == 400
        [form] = [s["form"] for s in bad.context["steps"] if s["open"]]
        assert form.errors == {"deadline": [
            "The deadline can be at most 90 days ahead, by 2026-05-31 at the latest."]}
    with clock.frozen(DAY0):
        form = [s["form"] for s in client.get(url(case)).context["steps"]
                if s["action"] == "notice"][0]
    assert (form.fields["deadline"].widget.attrs["min"],
            form.fields["deadline"].widget.attrs["max"]) == ("2026-03-03", "2026-05-31")
    case.refresh_from_db()
    assert case.state == State.SUSPECTED
    # removal: the day of removal is not in the future (also far in it)
    case = notice(org, case)
    with clock.frozen(at(10)):
        for day in ("2026-03-13", "3000-01-01"):
            bad = client.post(url(case, "store"), {"store-storage_place": "北门停车场",
                                                   "store-stored_on": day,
                                                   "store-photos": [photo_upload()]})
            [form] = [s["form"] for s in bad.context["steps"] if s["open"]]
            assert form.errors == {"stored_on": ["The day of removal cannot be in the future."]}
        assert [s["form"] for s in client.get(url(case)).context["steps"]
                if s["action"] == "store"][0].fields["stored_on"].widget.attrs["max"] == (
            "2026-03-12")
