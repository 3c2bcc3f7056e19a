"""Attendance pages and API: the QR link page (GET writes nothing, the tap signs in once),
the scanner, the organiser's list with additions, imports, controls, poster and export, my
records, person records and their scoping, the trainings page, the hub card, and the API."""
# ruff: noqa: F811  (fixtures imported from attendance_helpers)

import io

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from safecampus.education.models import Activity, Attendance
from safecampus.education.qr import activity_code, activity_url
from safecampus.education.services import attendance as services

from .attendance_helpers import english, make_activity, roster  # noqa: F401

pytestmark = pytest.mark.usefixtures("english")


@pytest.fixture(autouse=True)
def _english_pages(client):
    """Pages in English (the exact messages below); the UI's default is Chinese."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


def _client(client, user):
    client.force_login(user)
    return client


def _code_path(activity) -> str:
    return reverse("education:attendance_code", args=[activity_code(activity)])


# --- the QR link ------------------------------------------------------------------------------
def test_opening_the_qr_link_asks_to_log_in_first(client, roster):
    response = client.get(_code_path(roster.training))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_qr_link_shows_the_activity_and_writes_nothing_on_get(client, roster):
    student = roster.chem_students[0]
    response = _client(client, student).get(_code_path(roster.training))
    assert response.status_code == 200
    html = response.content.decode()
    assert "消防安全培训" in html and 'id="sign-in-submit"' in html
    assert not Attendance.objects.exists()
    # the tap: a POST with the phone's fields
    response = client.post(_code_path(roster.training), {
        "signed_at": "", "latitude": "34.246100", "longitude": "108.983100"})
    assert response.status_code == 302 and response["Location"] == _code_path(roster.training)
    attendance = Attendance.objects.get()
    assert (attendance.user, attendance.method, attendance.distance_m) == (
        student, "qr", 14)
    page = client.get(response["Location"]).content.decode()
    assert 'id="already-signed-in"' in page and 'id="sign-in-submit"' not in page
    assert "Signed in at 消防安全培训" in page
    # a second tap changes nothing
    client.post(_code_path(roster.training), {})
    assert Attendance.objects.count() == 1


def test_a_replaced_or_forged_code_shows_why(client, roster):
    old = _code_path(roster.training)
    services.activity_sign_in_renew(actor=roster.training.organiser,
                                    activity_id=roster.training.pk)
    response = _client(client, roster.chem_students[0]).get(old)
    assert response.status_code == 400
    assert "This sign-in code has been replaced by a new one." in response.content.decode()
    response = client.post(old[:-4] + "abc/", {})
    assert response.status_code == 400
    assert "This sign-in code cannot be read: scan again or type the code printed on the " \
        "poster." in response.content.decode()
    assert not Attendance.objects.exists()


def test_closed_sign_in_shows_no_button(client, roster):
    Activity.objects.filter(pk=roster.training.pk).update(sign_in_open=False)
    response = _client(client, roster.chem_students[0]).get(_code_path(roster.training))
    html = response.content.decode()
    assert 'id="sign-in-closed"' in html and 'id="sign-in-submit"' not in html
    response = client.post(_code_path(roster.training), {})
    assert response.status_code == 400
    assert "Sign-in for this activity is closed." in response.content.decode()


def test_the_scanner_signs_in_with_a_pasted_address(client, roster):
    c = _client(client, roster.mech_students[0])
    assert c.get(reverse("education:attendance_scan")).status_code == 200
    response = c.post(reverse("education:attendance_scan"),
                      {"code": activity_url(roster.training)})
    assert response.status_code == 302
    assert response["Location"] == reverse("education:attendance_mine")
    assert Attendance.objects.get().user == roster.mech_students[0]
    response = c.post(reverse("education:attendance_scan"), {"code": "nonsense"})
    assert response.status_code == 400
    assert "This sign-in code cannot be read" in response.content.decode()


def test_the_scanner_signs_in_with_the_typed_manual_code(client, org, roster):
    code = services.activity_sign_in_open(actor=org.users.contact_a,
                                          activity_id=roster.training.pk).sign_in_manual_code
    c = _client(client, roster.mech_students[0])
    typed = f" {code[:4].lower()} {code[4:]} "
    response = c.post(reverse("education:attendance_scan"), {"code": typed})
    assert response.status_code == 302
    assert Attendance.objects.get().activity == roster.training


# --- the organiser's list ---------------------------------------------------------------------
def test_the_list_groups_by_unit_with_absentees_and_a_fixed_query_count(client, org, roster):
    for student in roster.chem_students[:2]:
        services.attendance_sign_in(actor=student, code=roster.code)
    url = reverse("education:attendance_activity", args=[roster.training.pk])
    c = _client(client, org.users.contact_a)
    c.get(url)
    with CaptureQueriesContext(connection) as few:
        response = c.get(url)
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="sign-in-controls"' in html and 'id="add-form"' in html
    assert 'id="absent-list"' in html and "chem3" not in html  # names, not usernames
    assert html.count('class="list-group-item d-flex flex-wrap gap-2 align-items-center '
                      'attendance-row"') == 2
    for student in roster.chem_students[2:] + roster.mech_students:
        services.attendance_sign_in(actor=student, code=roster.code)
    with CaptureQueriesContext(connection) as more:
        c.get(url)
    assert len(more) == len(few)


def test_the_list_is_refused_to_other_units_and_students(client, org, roster):
    url = reverse("education:attendance_activity", args=[roster.training.pk])
    for user in (org.users.contact_b, roster.chem_students[0], roster.mech_counsellor):
        client.force_login(user)
        assert client.get(url).status_code == 403
    client.force_login(org.users.leadership)  # leadership reads, without controls
    html = client.get(url).content.decode()
    assert 'id="unit-table"' in html and 'id="sign-in-controls"' not in html
    assert client.post(url, {"person": "chem1"}).status_code == 403


def test_the_organiser_adds_a_person_and_sees_unknown_numbers(client, org, roster):
    url = reverse("education:attendance_activity", args=[roster.training.pk])
    counsellor = _client(client, roster.chem_counsellor)  # reads the list, does not add
    html = counsellor.get(url).content.decode()
    assert 'id="unit-table"' in html and 'id="sign-in-controls"' not in html
    assert counsellor.post(url, {"person": "202400102"}).status_code == 403
    assert not Attendance.objects.exists()
    c = _client(client, org.users.contact_a)
    response = c.post(url, {"person": "202400102"})
    assert response.status_code == 302
    assert Attendance.objects.get().user == roster.chem_students[1]
    response = c.post(url, {"person": "nobody"})
    assert response.status_code == 400
    assert "Nobody has the staff or student number or username “nobody”." in \
        response.content.decode()


def test_sign_in_controls(client, org, roster):
    c = _client(client, org.users.contact_a)
    base = roster.training.pk
    c.post(reverse("education:attendance_sign_in_action", args=[base, "close"]))
    c.post(reverse("education:attendance_sign_in_action", args=[base, "renew"]))
    roster.training.refresh_from_db()
    assert (roster.training.sign_in_open, roster.training.sign_in_generation) == (False, 2)
    assert c.get(reverse("education:attendance_sign_in_action",
                         args=[base, "open"])).status_code == 405  # GET writes nothing
    assert c.post(reverse("education:attendance_sign_in_action",
                          args=[base, "explode"])).status_code == 404
    client.force_login(roster.chem_students[0])
    assert client.post(reverse("education:attendance_sign_in_action",
                               args=[base, "open"])).status_code == 403


def test_the_import_page_lists_bad_rows_and_imports_good_files(client, org, roster):
    url = reverse("education:attendance_import", args=[roster.training.pk])
    c = _client(client, org.users.contact_a)
    assert c.get(url).status_code == 200
    bad = SimpleUploadedFile("list.csv", "学号\n202400101\n123\n".encode(), "text/csv")
    response = c.post(url, {"file": bad})
    html = response.content.decode()
    assert response.status_code == 400 and 'id="import-errors"' in html
    assert "Nobody has the staff or student number or username “123”." in html
    assert not Attendance.objects.exists()
    good = SimpleUploadedFile("list.csv", "学号\n202400101\n202400201\n".encode(), "text/csv")
    response = c.post(url, {"file": good})
    assert response.status_code == 302
    assert Attendance.objects.filter(method="import").count() == 2


def test_the_poster_page_and_pdf(client, org, roster):
    c = _client(client, org.users.contact_a)
    html = c.get(reverse("education:attendance_poster", args=[roster.training.pk])) \
        .content.decode()
    assert activity_url(roster.training) in html and 'src="data:image/svg+xml' in html
    assert 'id="poster-manual-code"' not in html  # opened before manual codes: none yet
    code = services.activity_sign_in_open(actor=org.users.contact_a,
                                          activity_id=roster.training.pk).sign_in_manual_code
    html = c.get(reverse("education:attendance_poster", args=[roster.training.pk])) \
        .content.decode()
    assert f'id="poster-manual-code">{code[:4]} {code[4:]}<' in html
    response = c.get(reverse("education:attendance_poster_pdf", args=[roster.training.pk]))
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    client.force_login(roster.chem_students[0])
    assert client.get(reverse("education:attendance_poster_pdf",
                              args=[roster.training.pk])).status_code == 403


def test_the_excel_export_and_absentees(client, org, roster):
    services.attendance_sign_in(actor=roster.chem_students[0], code=roster.code)
    c = _client(client, org.users.staff)
    response = c.get(reverse("education:attendance_export", args=[roster.training.pk]))
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:5] == ("College or unit", "Class", "Staff or student number", "Username",
                           "Name")
    assert rows[1][:4] == ("化学学院", "化学2401", "202400101", "chem1")
    response = c.get(reverse("education:attendance_export", args=[roster.training.pk])
                     + "?list=absent")
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert [r[3] for r in rows[1:]] == ["chem2", "chem3", "chem4"]


# --- records ----------------------------------------------------------------------------------
def test_my_records_page(client, org, roster):
    services.attendance_sign_in(actor=roster.chem_students[0], code=roster.code)
    html = _client(client, roster.chem_students[0]).get(
        reverse("education:attendance_mine")).content.decode()
    assert "消防安全培训" in html and 'id="no-records"' not in html
    client.force_login(roster.chem_students[1])
    assert 'id="no-records"' in client.get(reverse("education:attendance_mine")).content.decode()


def test_person_records_are_scoped_for_counsellors(client, org, roster):
    services.attendance_sign_in(actor=roster.mech_students[0], code=roster.code)
    c = _client(client, roster.chem_counsellor)
    html = c.get(reverse("education:attendance_people") + "?q=2024").content.decode()
    assert "chem1" not in html  # shown by name and number
    assert html.count('href="/education/attendance/people/') == 4
    assert c.get(reverse("education:attendance_person",
                         args=[roster.mech_students[0].pk])).status_code == 404
    assert c.get(reverse("education:attendance_person",
                         args=[roster.chem_students[0].pk])).status_code == 200
    client.force_login(org.users.staff)
    html = client.get(reverse("education:attendance_person",
                              args=[roster.mech_students[0].pk])).content.decode()
    assert "消防安全培训" in html
    client.force_login(roster.chem_students[0])
    assert client.get(reverse("education:attendance_people")).status_code == 403


def test_the_trainings_page_and_the_hub_card(client, org, roster):
    services.attendance_sign_in(actor=roster.chem_students[0], code=roster.code)
    c = _client(client, roster.chem_students[1])
    html = c.get(reverse("education:attendance_trainings")).content.decode()
    assert "消防安全培训" in html and "化学学院 1" in html
    assert c.get(reverse("education:attendance_trainings") + "?when=past").status_code == 200
    home = c.get(reverse("education:home")).content.decode()
    assert 'id="home-scan"' in home and reverse("education:attendance_mine") in home
    assert reverse("education:attendance_people") not in home
    client.force_login(roster.chem_counsellor)
    assert reverse("education:attendance_people") in client.get(
        reverse("education:home")).content.decode()


# --- API --------------------------------------------------------------------------------------
API = "/api/v1/education/attendance/"


def test_api_sign_in_is_idempotent_and_refusals_have_codes(client, org, roster):
    c = _client(client, roster.chem_students[0])
    body = {"code": activity_url(roster.training), "signed_at": None,
            "latitude": "34.246100", "longitude": "108.983100"}
    first = c.post(API, body, content_type="application/json")
    again = c.post(API, body, content_type="application/json")
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    assert first.json()["college"] == {"id": org.unit_a.pk, "name": "化学学院"}
    assert first.json()["distance_m"] == 14
    Activity.objects.filter(pk=roster.training.pk).update(sign_in_open=False)
    client.force_login(roster.chem_students[1])
    refused = client.post(API, body, content_type="application/json")
    assert refused.status_code == 400 and refused.json()["code"] == "sign_in_closed"
    bad = client.post(API, {"code": "x", "latitude": 200}, content_type="application/json")
    assert bad.status_code == 400 and "latitude" in bad.json()["errors"]


def test_api_list_for_permitted_users_and_mine(client, org, roster):
    services.attendance_sign_in(actor=roster.chem_students[0], code=roster.code)
    c = _client(client, org.users.contact_a)
    response = c.get(API, {"activity": roster.training.pk})
    assert response.status_code == 200
    assert [r["user"]["id"] for r in response.json()["results"]] == [
        roster.chem_students[0].pk]
    assert c.get(API, {"activity": 999999}).status_code == 404
    assert c.get(API).status_code == 400
    client.force_login(org.users.contact_b)
    assert client.get(API, {"activity": roster.training.pk}).status_code == 403
    client.force_login(roster.chem_students[0])
    mine = client.get(API + "mine/").json()["results"]
    assert [r["activity"]["title"] for r in mine] == ["消防安全培训"]


def test_an_activity_without_place_or_campus_renders(client, org, roster):
    online = make_activity(org, organiser=org.users.staff, kind=Activity.Kind.TRAINING,
                           title="线上培训")
    Activity.objects.filter(pk=online.pk).update(campus=None, place=None, location="",
                                                 latitude=None, longitude=None)
    c = _client(client, org.users.staff)
    assert c.get(reverse("education:attendance_activity", args=[online.pk])).status_code == 200
    assert c.get(reverse("education:attendance_poster_pdf", args=[online.pk])).status_code == 200


def test_the_activity_panel_for_the_activities_page(org, roster):
    from django.template.loader import render_to_string

    services.attendance_sign_in(actor=roster.chem_students[0], code=roster.code)
    html = render_to_string("education/attendance/_activity_panel.html",
                            {"activity": roster.training, "user": org.users.contact_a})
    assert 'id="attendance-panel"' in html and "attendance-panel-title" in html
    assert reverse("education:attendance_poster", args=[roster.training.pk]) in html
    assert ">1</span>" in html
    html = render_to_string("education/attendance/_activity_panel.html",
                            {"activity": roster.training, "user": org.users.leadership})
    assert 'id="attendance-panel"' in html
    assert reverse("education:attendance_poster", args=[roster.training.pk]) not in html
    assert render_to_string("education/attendance/_activity_panel.html",
                            {"activity": roster.training,
                             "user": roster.chem_students[0]}).strip() == ""


def test_the_activity_timeline_names_sign_in_changes_and_leaves_out_each_sign_in(
        client, org, roster):
    """Given four sign-ins, one person added by hand, and sign-in closed, reopened and its
    code renewed, the activity page's timeline lists the three sign-in changes by name, no
    per-person entry and no raw verb; the attendance list still has the five people."""
    for student in roster.chem_students:
        services.attendance_sign_in(actor=student, code=roster.code)
    services.attendance_add(actor=org.users.contact_a, activity_id=roster.training.pk,
                            identifier="mech1")
    services.activity_sign_in_close(actor=org.users.contact_a, activity_id=roster.training.pk)
    services.activity_sign_in_open(actor=org.users.contact_a, activity_id=roster.training.pk)
    services.activity_sign_in_renew(actor=org.users.contact_a, activity_id=roster.training.pk)
    c = _client(client, org.users.contact_a)
    html = c.get(reverse("education:activity_detail", args=[roster.training.pk])
                 ).content.decode()
    timeline = html[html.index('id="timeline"'):]
    timeline = timeline[:timeline.index("</ul>")]
    assert timeline.count("<li") == 3
    assert timeline.index("Sign-in closed") < timeline.index("Sign-in opened") < \
        timeline.index("New sign-in code issued; earlier codes no longer work")
    assert "education." not in timeline
    assert Attendance.objects.filter(activity=roster.training).count() == 5
