"""Gate pages and statistics: who may open what, upload → report → fix → imported, gates
add/edit, statistics figures (hours, days, overnight stays, entries without a permit),
long-stay page and its action, pinned query counts on the lists."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from safecampus.core import clock
from safecampus.tests.pages import login, messages_of, text_of
from safecampus.traffic.models import AbandonedVehicleCase, Gate, GateImport, GateRecord, Permit
from safecampus.traffic.selectors.gates import gate_statistics

from .gate_helpers import batch, camera_file, gate, local, passes
from .violation_helpers import vehicle

pytestmark = pytest.mark.django_db

NOW = local(2026, 11, 30, 12, 0)


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"), clock.frozen(NOW):
        yield


@pytest.fixture
def north(org):
    return gate(org, "N1", "北门")


PAGES = ["gate_overview", "gate_list", "gate_add", "gate_import_list", "gate_upload",
         "gate_statistics", "gate_long_stay"]


def test_who_may_open_the_pages(client, org, north):
    office_only = {"gate_list", "gate_add", "gate_import_list", "gate_upload"}
    for user, allowed in ((org.users.staff, set(PAGES)),
                          (org.users.leadership, set(PAGES) - office_only),
                          (org.users.guard, set()), (org.users.student, set())):
        login(client, user)
        for name in PAGES:
            status = client.get(reverse(f"traffic:{name}")).status_code
            assert status == (200 if name in allowed else 403), (user, name, status)


def test_upload_a_bad_file_see_the_report_then_fix_it(client, org, north,
                                                      django_capture_on_commit_callbacks):
    login(client, org.users.staff)
    bad = camera_file(["陕A12345,N1,入场,2026-11-29 07:58:12,,", "陕A12345,X9,出场,2026-11-29 18:00,,"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("traffic:gate_upload"), {"file": bad})
    text = text_of(client.get(response["Location"]))
    assert "Problems found" in text and "nothing was imported" in text
    assert "X9" in text and "通道" in text
    assert GateRecord.objects.count() == 0
    good = camera_file(["陕A12345,N1,入场,2026-11-29 07:58:12,,",
                        "陕A12345,N1,出场,2026-11-29 18:00,,"], name="fixed.csv")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("traffic:gate_upload"), {"file": good})
    assert "2 gate records imported." in text_of(client.get(response["Location"]))
    assert GateRecord.objects.count() == 2
    job = GateImport.objects.get(original_name="fixed.csv")
    # the htmx poll returns the status part only
    part = client.get(reverse("traffic:gate_import_detail", args=[job.pk]),
                      headers={"HX-Request": "true"})
    assert part.content.decode().startswith('<div id="import-status"')
    assert "hx-trigger" not in part.content.decode()  # finished: no more polling


def test_a_running_import_is_polled(client, org, north):
    login(client, org.users.staff)
    job = GateImport.objects.create(created_by=org.users.staff, original_name="big.csv",
                                    digest="y" * 64, state=GateImport.State.RUNNING,
                                    rows_read=40000)
    response = client.get(reverse("traffic:gate_import_detail", args=[job.pk]))
    text = response.content.decode()
    assert 'hx-trigger="every 2s"' in text and "40000 rows read" in text


def test_an_import_not_heard_of_for_an_hour_shows_as_failed_and_is_not_polled(client, org,
                                                                             north):
    from safecampus.traffic.selectors.gates import STALE_AFTER

    login(client, org.users.staff)
    job = GateImport.objects.create(created_by=org.users.staff, original_name="big.csv",
                                    digest="z" * 64, state=GateImport.State.RUNNING,
                                    rows_read=40000)
    GateImport.objects.filter(pk=job.pk).update(
        updated_at=NOW - STALE_AFTER + dt.timedelta(minutes=1))
    assert 'hx-trigger="every 2s"' in client.get(
        reverse("traffic:gate_import_detail", args=[job.pk])).content.decode()
    GateImport.objects.filter(pk=job.pk).update(
        updated_at=NOW - STALE_AFTER - dt.timedelta(minutes=1))
    part = client.get(reverse("traffic:gate_import_detail", args=[job.pk]),
                      headers={"HX-Request": "true"}).content.decode()
    assert "hx-trigger" not in part and 'data-state="stalled"' in part
    assert "The import stopped without finishing" in part and "Failed" in part
    text = text_of(client.get(reverse("traffic:gate_import_list")))
    assert "Failed" in text


def test_add_and_edit_a_gate(client, org):
    login(client, org.users.staff)
    response = client.post(reverse("traffic:gate_add"), {
        "campus": org.campus1.pk, "name": "东门", "code": "E1", "is_active": "on",
        "idempotency_key": "k" * 16}, follow=True)
    assert messages_of(response) == ["Gate “东门” added."]
    gate_obj = Gate.objects.get(code="E1")
    response = client.post(reverse("traffic:gate_add"), {
        "campus": org.campus1.pk, "name": "东门2", "code": "e1"})
    assert response.status_code == 200 and "already has this code" in text_of(response)
    response = client.post(reverse("traffic:gate_edit", args=[gate_obj.pk]), {
        "campus": org.campus1.pk, "name": "东门车行道", "code": "E1"}, follow=True)
    gate_obj.refresh_from_db()
    assert (gate_obj.name, gate_obj.is_active) == ("东门车行道", False)


def test_list_pages_have_a_fixed_query_count(client, org, north):
    login(client, org.users.staff)
    for i in range(3):
        GateImport.objects.create(created_by=org.users.staff, original_name=f"{i}.csv",
                                  digest=str(i) * 64, state=GateImport.State.IMPORTED)
        Gate.objects.create(campus=org.campus2, name=f"门{i}", code=f"G{i}")

    def count(name):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse(f"traffic:{name}")).status_code == 200
        return len(queries)

    few = {name: count(name) for name in ("gate_import_list", "gate_list")}
    for i in range(3, 12):
        GateImport.objects.create(created_by=org.users.staff2, original_name=f"{i}.csv",
                                  digest=f"{i:02d}" * 32, state=GateImport.State.REJECTED)
        Gate.objects.create(campus=org.campus1, place=org.place_a, name=f"门{i}", code=f"G{i}")
    assert {name: count(name) for name in few} == few


# --- statistics ----------------------------------------------------------------------------------
def test_statistics_hours_days_overnight_and_permits(org, north):
    job = batch(org)
    south = gate(org, "S2", "南门", campus=org.campus2)
    permitted = vehicle("陕A11111")
    Permit.objects.create(vehicle=permitted, valid_from=dt.date(2026, 11, 1),
                          valid_until=dt.date(2026, 12, 31))
    expired = vehicle("陕A22222")
    Permit.objects.create(vehicle=expired, valid_from=dt.date(2026, 1, 1),
                          valid_until=dt.date(2026, 11, 27))
    passes(north, job,
           # a commuter with a permit: in and out the same day (no overnight)
           ("陕A11111", "in", local(2026, 11, 28, 7, 50)),
           ("陕A11111", "out", local(2026, 11, 28, 18, 10)),
           # expired permit: in on the 28th at 23:30, out the 29th → one overnight (28th)
           ("陕A22222", "in", local(2026, 11, 28, 23, 30)),
           ("陕A22222", "out", local(2026, 11, 29, 0, 30)),
           # a visitor twice on the 29th (counted once without permit) and still inside
           ("陕A33333", "in", local(2026, 11, 29, 8, 5)),
           ("陕A33333", "out", local(2026, 11, 29, 9, 0)),
           ("陕A33333", "in", local(2026, 11, 29, 10, 0)),
           # no plate: an entry, not an overnight or permit case
           ("", "in", local(2026, 11, 29, 8, 30)))
    passes(south, job, ("陕A44444", "in", local(2026, 11, 29, 23, 59)))
    stats = gate_statistics(date_from=dt.date(2026, 11, 28), date_to=dt.date(2026, 11, 29))
    assert stats.hourly[north.pk][7] == 1 and stats.hourly[north.pk][8] == 2
    assert stats.hourly[north.pk][23] == 1 and stats.hourly[south.pk][23] == 1
    assert stats.daily == [(dt.date(2026, 11, 28), 2, 1), (dt.date(2026, 11, 29), 4, 2)]
    assert stats.entries == 6 and stats.no_plate_entries == 1
    # 28th: 陕A22222; 29th: 陕A33333 (no later pass, today is the 30th) and 陕A44444
    assert stats.overnight == [(dt.date(2026, 11, 28), 1), (dt.date(2026, 11, 29), 2)]
    # 28th: 陕A22222 (expired the 27th); 29th: 陕A33333 and 陕A44444
    assert stats.without_permit == [(dt.date(2026, 11, 28), 1), (dt.date(2026, 11, 29), 2)]
    assert stats.inside_now == 2
    campus2 = gate_statistics(date_from=dt.date(2026, 11, 28), date_to=dt.date(2026, 11, 29),
                              campus_id=org.campus2.pk)
    assert campus2.entries == 1 and campus2.overnight[1] == (dt.date(2026, 11, 29), 1)


def test_the_statistics_page_draws_charts(client, org, north):
    passes(north, batch(org), ("陕A33333", "in", local(2026, 11, 29, 8, 5)))
    login(client, org.users.leadership)
    response = client.get(reverse("traffic:gate_statistics"), {
        "date_from": "2026-11-01", "date_to": "2026-11-30"})
    text = response.content.decode()
    assert 'id="gate-chart-hour"' in text and 'id="stats-entries">1<' in text
    assert client.get(reverse("traffic:gate_statistics"), {
        "date_from": "2026-11-30", "date_to": "2026-11-01"}).status_code == 200


# --- long stays ----------------------------------------------------------------------------------
def test_the_long_stay_page_opens_cases(client, org, north):
    passes(north, batch(org), ("陕A00001", "in", NOW - dt.timedelta(days=45)),
           ("陕A00002", "in", NOW - dt.timedelta(days=2)))
    login(client, org.users.leadership)
    text = text_of(client.get(reverse("traffic:gate_long_stay")))
    assert "陕A00001" in text and "陕A00002" not in text and "Open abandoned" not in text
    assert client.post(reverse("traffic:gate_long_stay_open"), {"days": 30}).status_code == 403
    login(client, org.users.staff)
    response = client.post(reverse("traffic:gate_long_stay_open"), {"days": 30}, follow=True)
    assert messages_of(response) == ["1 abandoned-vehicle case opened."]
    assert "case open" in text_of(response)
    assert AbandonedVehicleCase.objects.get().plate == "陕A00001"
    response = client.post(reverse("traffic:gate_long_stay_open"), {"days": 30}, follow=True)
    assert messages_of(response) == [
        "No new case: every candidate already has a case (open, or closed since its last entry)."]


def test_the_long_stay_page_is_cached_per_days_until_an_import_or_detection(client, org, north):
    from safecampus.traffic.selectors.gates import figures_forget

    job = batch(org)
    passes(north, job, ("陕A00001", "in", NOW - dt.timedelta(days=45)))
    login(client, org.users.staff)
    url = reverse("traffic:gate_long_stay")

    def page(**params):
        with CaptureQueriesContext(connection) as queries:
            text = text_of(client.get(url, params))
        return text, len(queries)

    first, cold = page()
    assert "陕A00001" in first
    passes(north, job, ("陕A00002", "in", NOW - dt.timedelta(days=40)))
    again, warm = page()
    assert "陕A00002" not in again and warm < cold  # from the cache
    assert "陕A00002" in page(days=35)[0]  # another number of days: its own entry
    figures_forget()  # what an import and the detection do
    assert "陕A00002" in page()[0]
    # detection clears it too: the badge appears at once
    passes(north, job, ("陕A00003", "in", NOW - dt.timedelta(days=50)))
    client.post(reverse("traffic:gate_long_stay_open"), {"days": 30})
    text = text_of(client.get(url))
    assert "陕A00003" in text and text.count("case open") == 3


def test_long_stay_days_are_bounded(client, org, north):
    passes(north, batch(org), ("陕A00001", "in", NOW - dt.timedelta(days=45)))
    login(client, org.users.staff)
    for bad in ("0", "-5", "366", "99999999999", "x", "1.5"):
        response = client.get(reverse("traffic:gate_long_stay"), {"days": bad})
        assert response.status_code == 200
        assert response.context["days"] == 30, bad  # the configured days instead
        text = text_of(response)
        assert "陕A00001" in text
        # the refused value, why, and the days used; the box shows the days used
        assert (f"“{bad}” was not used: Enter a whole number of days from 1 to 365. The list "
                "shows the vehicles inside longer than 30 days.") in text, text
        assert 'type="number" name="days" value="30"' in response.content.decode()
        assert bad == "30" or f'value="{bad}"' not in response.content.decode()
    for good, days in (("365", 365), ("", 30)):
        response = client.get(reverse("traffic:gate_long_stay"), {"days": good})
        assert response.context["days"] == days
        assert 'id="days-refused"' not in response.content.decode()
        assert f'type="number" name="days" value="{days}"' in response.content.decode()
    # the action refuses bad days instead of running the detection with other days
    response = client.post(reverse("traffic:gate_long_stay_open"), {"days": "-5"}, follow=True)
    assert messages_of(response) == ["Enter a whole number of days from 1 to 365."]
    assert not AbandonedVehicleCase.objects.exists()


def test_a_dismissed_case_is_shown_as_closed_and_not_opened_again(client, org, north):
    from safecampus.traffic.services import abandoned

    passes(north, batch(org), ("陕A00001", "in", NOW - dt.timedelta(days=45)))
    login(client, org.users.staff)
    response = client.post(reverse("traffic:gate_long_stay_open"), {"days": 30}, follow=True)
    assert messages_of(response) == ["1 abandoned-vehicle case opened."]
    case = AbandonedVehicleCase.objects.get()
    abandoned.abandoned_dismiss(actor=org.users.staff, case_id=case.pk, reason="教职工车辆")
    response = client.post(reverse("traffic:gate_long_stay_open"), {"days": 30}, follow=True)
    assert messages_of(response) == [
        "No new case: every candidate already has a case (open, or closed since its last entry)."]
    assert 'data-case="handled"' in response.content.decode()
    assert "case closed" in text_of(response) and AbandonedVehicleCase.objects.count() == 1
