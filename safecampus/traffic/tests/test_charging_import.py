"""Importing charging stations and sessions: the real Lugano files (counts, a session's
times in Europe/Zurich, the mixed date formats), utilisation by hour checked against an
independent computation from the CSV, bad rows write nothing, duplicates skipped, a file
imported once, who may import."""

import csv
import datetime as dt
import io
import re
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from safecampus.core import clock
from safecampus.core.errors import DomainError, NotAllowed
from safecampus.core.spreadsheets import ImportRejected
from safecampus.traffic.models import ChargingImport, ChargingSession, ChargingStation
from safecampus.traffic.selectors import charging as selectors
from safecampus.traffic.services import charging_import as imp

pytestmark = pytest.mark.django_db

STATIONS = "other/ev-charging/ail_lugano_charging_stations.csv"
SESSIONS = "other/ev-charging/ail_lugano_ev_charging_sessions_2017.csv"
ZURICH = ZoneInfo("Europe/Zurich")
UTC = dt.UTC


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def upload(actor, name, data, content):
    return imp.charging_import_upload(actor=actor, uploaded_file=SimpleUploadedFile(name, data),
                                      content=content)


def commit(actor, job, **changes):
    plan = imp.PLANS[job.content].from_json(job.plan)
    for key, value in changes.items():
        setattr(plan, key, value)
    return imp.charging_import_commit(actor=actor, job=job, plan=plan)


def csv_bytes(rows) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue().encode()


def import_lugano(org, shared_data, *, zone="Europe/Zurich"):
    staff = org.users.staff
    job = upload(staff, "stations.csv", (shared_data / STATIONS).read_bytes(), "stations")
    commit(staff, job, default_campus=org.campus1.pk, operator_name="AIL",
           operator_unit=org.logistics.pk, points=2)
    job = upload(staff, "sessions.csv", (shared_data / SESSIONS).read_bytes(), "sessions")
    return commit(staff, job, time_zone=zone)


def lugano_rows(shared_data):
    with open(shared_data / SESSIONS, encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def month_first(date: str, hour: str) -> dt.datetime:
    """The test's own reading: both 12/31/2017 and 01.02.17 are month first."""
    parts = date.replace(".", "/").split("/")
    month, day, year = int(parts[0]), int(parts[1]), int(parts[2])
    year += 2000 if year < 100 else 0
    hh, mm = hour.split(":")
    return dt.datetime(year, month, day, int(hh), int(mm), tzinfo=ZURICH)


def test_lugano_stations_and_sessions_import_exactly(org, shared_data):
    result = import_lugano(org, shared_data)
    assert ChargingStation.objects.count() == 62
    station = ChargingStation.objects.get(external_id="1949")
    assert station.name == "AIL - N2 - 06 - PARCHEGGIO AEROPORTO"
    assert station.note == "Agno · Ricarica gratuita"
    assert (station.operator_name, station.operator_unit, station.points, station.kind) == (
        "AIL", org.logistics, 2, "ev")
    # the description says 5,728 sessions; the file has 5,729 rows, all with distinct ids
    assert result.created == 5729 == len(lugano_rows(shared_data))
    assert ChargingSession.objects.count() == 5729
    assert result.skipped == 0
    # a winter session (CET, UTC+1) and a summer one (CEST, UTC+2) read in Europe/Zurich
    winter = ChargingSession.objects.get(external_id="150776")
    assert winter.station.external_id == "1874"
    assert winter.started_at == dt.datetime(2017, 1, 1, 13, 50, tzinfo=UTC)
    assert winter.ended_at == dt.datetime(2017, 1, 1, 14, 51, tzinfo=UTC)
    assert (winter.energy_wh, winter.plug, winter.user_ref) == (16742, "Sinistra", "Sconosciuto")
    rows = {r["ChargeLogId"]: r for r in lugano_rows(shared_data)}
    summer_id = next(k for k, r in rows.items() if r["BeginDate"] == "07/15/2017")
    summer = ChargingSession.objects.get(external_id=summer_id)
    expected = month_first(rows[summer_id]["BeginDate"], rows[summer_id]["BeginHour"])
    assert expected.utcoffset() == dt.timedelta(hours=2)
    assert summer.started_at == expected
    # a dotted date is month first: 01.02.17 is 2 January (its duration says so)
    dotted = ChargingSession.objects.get(external_id="150860")
    assert dotted.started_at == dt.datetime(2017, 1, 2, 11, 18, tzinfo=UTC)
    # every session's end minus start equals the file's Duration within the minute
    for session in ChargingSession.objects.only("external_id", "started_at", "ended_at"):
        seconds = (session.ended_at - session.started_at).total_seconds()
        assert abs(seconds - int(rows[session.external_id]["Duration"])) <= 60
    job = ChargingImport.objects.get(content="sessions")
    assert (job.state, job.imported_count) == ("imported", 5729)


def test_lugano_utilisation_by_hour_matches_an_independent_computation(org, shared_data):
    import_lugano(org, shared_data)
    year = selectors.charging_utilisation(org.users.staff, selectors.UtilisationFilters(
        date_from=dt.date(2017, 1, 1), date_to=dt.date(2017, 12, 31)))
    # independently: split each CSV session at Beijing hour boundaries, clip to the range
    local = clock.local_zone()
    start = dt.datetime(2017, 1, 1, tzinfo=local)
    end = dt.datetime(2018, 1, 1, tzinfo=local)
    occupied = [0.0] * 24
    per_station: dict[str, float] = {}
    for row in lugano_rows(shared_data):
        a = max(month_first(row["BeginDate"], row["BeginHour"]), start)
        b = min(month_first(row["EndDate"], row["EndHour"]), end)
        if b <= a:
            continue
        per_station[row["ChargingStationId"]] = (per_station.get(row["ChargingStationId"], 0)
                                                 + (b - a).total_seconds() / 3600)
        cursor = a
        while cursor < b:
            hour_end = (cursor.astimezone(local).replace(minute=0, second=0, microsecond=0)
                        + dt.timedelta(hours=1))
            step = min(hour_end, b)
            occupied[cursor.astimezone(local).hour] += (step - cursor).total_seconds() / 3600
            cursor = step
    # the denominator: the stations with sessions in the period (started in it or
    # overlapping it: 52 of the 62; one has only a zero-length session), 2 points each
    with_sessions = set(per_station) | {
        r["ChargingStationId"] for r in lugano_rows(shared_data)
        if start <= month_first(r["BeginDate"], r["BeginHour"]) < end}
    assert len(with_sessions) == 52
    available = len(with_sessions) * 2 * 365
    assert (year.station_count, year.all_station_count) == (52, 62)
    assert (year.points, year.all_points) == (104, 124)
    assert year.available_hours == available
    for hour in range(24):
        assert year.occupied_hours[hour] == pytest.approx(occupied[hour], abs=1e-3)
        assert year.by_hour[hour] == pytest.approx(occupied[hour] / available, abs=1e-9)
    # Lugano's busy midday (12:00 CET) is 19:00 in Beijing
    assert max(range(24), key=lambda h: year.by_hour[h]) == 19
    busiest = year.stations[0]
    top_id = max(per_station, key=per_station.get)
    assert busiest["station"].external_id == top_id
    assert busiest["occupied_hours"] == pytest.approx(per_station[top_id], abs=1e-3)
    assert busiest["share"] == pytest.approx(per_station[top_id] / (2 * 365 * 24), abs=1e-9)
    starts = [month_first(r["BeginDate"], r["BeginHour"]) for r in lugano_rows(shared_data)]
    assert year.sessions == sum(1 for s in starts if start <= s < end)
    assert year.sessions == 5729 - 7  # seven start on 31 Dec after 17:00 in Zurich
    assert sum(n for _m, n in year.by_month) == year.sessions
    assert [m.month for m, _n in year.by_month] == list(range(1, 13))


def test_keeping_the_clock_times_charts_lugano_by_its_own_clock(org, shared_data):
    import_lugano(org, shared_data, zone="Asia/Shanghai")
    year = selectors.charging_utilisation(org.users.staff, selectors.UtilisationFilters(
        date_from=dt.date(2017, 1, 1), date_to=dt.date(2017, 12, 31)))
    assert max(range(24), key=lambda h: year.by_hour[h]) in (11, 12, 13)
    winter = ChargingSession.objects.get(external_id="150776")
    assert winter.started_at == dt.datetime(2017, 1, 1, 6, 50, tzinfo=UTC)


def test_a_split_session_counts_in_each_hour_it_covers(org):
    staff = org.users.staff
    job = upload(staff, "s.csv", csv_bytes([["id", "name"], ["E1", "东区充电棚"]]), "stations")
    commit(staff, job, default_campus=org.campus1.pk, operator_name="校园充电", points=4,
           kind="ebike")
    job = upload(staff, "x.csv", csv_bytes([
        ["订单号", "充电站编号", "开始时间", "结束时间", "电量wh"],
        ["1", "E1", "2026-03-02 17:40", "2026-03-02 19:10", "800"],
        ["2", "E1", "2026-03-02 23:30", "2026-03-03 00:30", "300"],
    ]), "sessions")
    commit(staff, job)
    day = selectors.charging_utilisation(staff, selectors.UtilisationFilters(
        date_from=dt.date(2026, 3, 2), date_to=dt.date(2026, 3, 2)))
    assert day.occupied_hours[17] == pytest.approx(20 / 60)
    assert day.occupied_hours[18] == pytest.approx(1)
    assert day.occupied_hours[19] == pytest.approx(10 / 60)
    assert day.occupied_hours[23] == pytest.approx(0.5)  # clipped at the end of the range
    assert day.occupied_hours[0] == 0
    assert day.by_hour[18] == pytest.approx(1 / 4)
    assert day.sessions == 2 and day.energy_kwh == pytest.approx(1.1)


def test_a_bad_row_writes_nothing_and_is_listed(org):
    staff = org.users.staff
    job = upload(staff, "s.csv", csv_bytes([["id", "name"], ["E1", "东区充电棚"]]), "stations")
    commit(staff, job, default_campus=org.campus1.pk, operator_name="校园充电")
    job = upload(staff, "x.csv", csv_bytes([
        ["id", "station", "start", "end", "wh"],
        ["1", "E1", "2026-03-02 17:40", "2026-03-02 19:10", "800"],
        ["2", "E9", "2026-03-02 17:40", "2026-03-02 19:10", "800"],
        ["3", "E1", "2026-03-02 19:40", "2026-03-02 19:10", "800"],
        ["1", "E1", "2026-03-02 20:40", "2026-03-02 21:10", "x"],
        ["5", "E1", "yesterday", "2026-03-02 21:10", "1"],
    ]), "sessions")
    with pytest.raises(ImportRejected) as caught:
        commit(staff, job)
    assert [(e.row, e.message) for e in caught.value.errors] == [
        (3, "No station has the operator's id E9; import or add the stations first."),
        (4, "The session ends before it starts."),
        (5, "Session 1 of this station is also on row 2."),
        (5, "“x” is not a whole number of Wh."),
        (6, caught.value.errors[-1].message),
    ]
    assert "yesterday" in caught.value.errors[-1].message
    assert ChargingSession.objects.count() == 0
    job.refresh_from_db()
    assert (job.state, job.error_count) == ("rejected", 5)


def test_sessions_already_imported_are_skipped_and_a_file_is_imported_once(org):
    staff = org.users.staff
    job = upload(staff, "s.csv", csv_bytes([["id", "name"], ["E1", "东区充电棚"]]), "stations")
    commit(staff, job, default_campus=org.campus1.pk, operator_name="校园充电")
    first = csv_bytes([["id", "station", "start", "end"],
                       ["1", "E1", "2026-03-02 17:40", "2026-03-02 19:10"]])
    commit(staff, upload(staff, "march.csv", first, "sessions"))
    overlapping = csv_bytes([["id", "station", "start", "end"],
                             ["1", "E1", "2026-03-02 17:40", "2026-03-02 19:10"],
                             ["2", "E1", "2026-03-03 17:40", "2026-03-03 19:10"]])
    result = commit(staff, upload(staff, "march-2.csv", overlapping, "sessions"))
    assert (result.created, result.skipped) == (1, 1)
    assert ChargingSession.objects.count() == 2
    with pytest.raises(DomainError) as caught:
        upload(staff, "again.csv", first, "sessions")
    assert caught.value.code == "already_imported"
    # a station id already registered is a bad row of a station file
    job = upload(staff, "s2.csv", csv_bytes([["id", "name"], ["E1", "西区"], ["E2", "北区"]]),
                 "stations")
    with pytest.raises(ImportRejected) as caught:
        commit(staff, job, default_campus=org.campus1.pk, operator_name="校园充电")
    assert [e.message for e in caught.value.errors] == [
        "Station E1 is already registered; edit it on its page."]
    assert ChargingStation.objects.count() == 1


def test_a_wrong_plan_is_refused(org):
    staff = org.users.staff
    job = upload(staff, "s.csv", csv_bytes([["id", "name"], ["E1", "东区"]]), "stations")
    with pytest.raises(DomainError) as caught:
        commit(staff, job)  # no campus, no operator
    assert caught.value.field_errors["__all__"] == [
        "Choose the campus of these stations.",
        "Enter the operator, or choose the column that holds it."]
    job = upload(staff, "x.csv", csv_bytes([["id", "station", "start"], ["1", "E1", "x"]]),
                 "sessions")
    with pytest.raises(DomainError) as caught:
        commit(staff, job)
    assert caught.value.field_errors["__all__"] == [
        "Choose the column of the end, or of the duration in seconds."]


@pytest.mark.parametrize("who", ["student", "guard", "contact_log", "leadership"])
def test_only_the_office_imports(org, who):
    with pytest.raises(NotAllowed):
        upload(getattr(org.users, who), "s.csv", csv_bytes([["id", "name"], ["E1", "x"]]),
               "stations")
    assert ChargingImport.objects.count() == 0


def test_the_import_pages_take_the_lugano_files(client, org, shared_data):
    from django.urls import reverse

    from safecampus.tests.pages import login

    login(client, org.users.staff)
    # stations: upload, then the mapping with what the file does not say
    response = client.post(reverse("traffic:charging_import_stations"), {
        "file": SimpleUploadedFile("stations.csv", (shared_data / STATIONS).read_bytes())})
    job = ChargingImport.objects.get(content="stations")
    assert response.status_code == 302
    assert response.url == reverse("traffic:charging_import_stations_map", args=[job.pk])
    page = client.get(response.url)
    assert page.status_code == 200
    form = page.context["form"]
    data = {name: form[name].value() or "" for name in form.column_fields}
    assert data["col_external_id"] == "0" and data["col_name"] == "1"  # suggested
    data.update({"default_campus": org.campus1.pk, "kind": "ev", "operator_name": "AIL",
                 "operator_unit": org.logistics.pk, "points": 2, "import": "1"})
    done = client.post(response.url, data)
    assert done.status_code == 302, done.context["form"].errors if done.context else ""
    assert ChargingStation.objects.count() == 62
    # sessions: the time zone and the detected date order on the mapping step
    response = client.post(reverse("traffic:charging_import_sessions"), {
        "file": SimpleUploadedFile("sessions.csv", (shared_data / SESSIONS).read_bytes())})
    page = client.get(response.url)
    form = page.context["form"]
    assert form.detected_order == "month first"
    assert form["time_zone"].value() == "Asia/Shanghai"
    data = {name: form[name].value() or "" for name in form.column_fields}
    assert data["col_start_date"] != "" and data["col_end_time"] != ""
    data.update({"time_zone": "Europe/Zurich", "date_order": "auto", "import": "1"})
    done = client.post(response.url, data)
    assert done.status_code == 302
    assert "5729" in client.get(done.url).content.decode()
    assert ChargingSession.objects.count() == 5729
    assert ChargingSession.objects.get(external_id="150776").started_at == dt.datetime(
        2017, 1, 1, 13, 50, tzinfo=UTC)
    # the utilisation page shows the year
    page = client.get(reverse("traffic:charging_utilisation"),
                      {"date_from": "2017-01-01", "date_to": "2017-12-31"})
    assert page.status_code == 200 and page.context["usage"].sessions == 5722


def _stations_e1(staff, org):
    job = upload(staff, "s.csv", csv_bytes([["id", "name"], ["E1", "东区充电棚"]]), "stations")
    commit(staff, job, default_campus=org.campus1.pk, operator_name="校园充电")


def test_out_of_range_durations_dates_and_wh_are_row_errors_and_write_nothing(org):
    staff = org.users.staff
    _stations_e1(staff, org)
    job = upload(staff, "x.csv", csv_bytes([
        ["id", "station", "start", "duration", "wh"],
        ["1", "E1", "2026-03-02 17:40", "3600", "3000000"],         # 3 MWh in one session
        ["2", "E1", "2026-03-02 17:40", "999999999999", "800"],     # ~31,700 years
        ["3", "E1", "0001-01-01 00:00", "60", "800"],               # no UTC for it
        ["4", "E1", "9999-12-31 23:59", "3600", "800"],             # the end overflows
        ["5", "E1", "1999-12-31 23:00", "60", "800"],
        ["6", "E1", "2026-03-02 17:40", str(7 * 24 * 3600 + 1), "800"],
        ["7", "E1", "2026-03-02 17:40", str(7 * 24 * 3600), "1000000"],  # the limits: fine
    ]), "sessions")
    with pytest.raises(ImportRejected) as caught:
        commit(staff, job)
    assert [(e.row, e.column, e.message) for e in caught.value.errors] == [
        (2, "wh", "“3000000” is more energy than one charging session takes (at most "
                  "1000 kWh)."),
        (3, "duration", "The session lasts longer than 168 hours."),
        (4, "start", "“0001-01-01 00:00” is before 2000; check the date and the date order."),
        (5, "start", "9999-12-31 23:59 is in the future."),
        (6, "start", "“1999-12-31 23:00” is before 2000; check the date and the date order."),
        (7, "duration", "The session lasts longer than 168 hours."),
    ]
    assert ChargingSession.objects.count() == 0
    job.refresh_from_db()
    assert (job.state, job.error_count) == ("rejected", 6)


def test_out_of_range_kwh_and_end_dates_are_row_errors_and_write_nothing(org):
    staff = org.users.staff
    _stations_e1(staff, org)
    rows = [
        ["id", "station", "start", "end", "kWh"],
        ["1", "E1", "2026-03-02 17:40", "2026-03-02 19:10", "999999999"],  # over the int column
        ["2", "E1", "2026-03-02 17:40", "9999-12-31 23:59", "8"],  # no Beijing time for it
        ["3", "E1", "2026-03-02 17:40", "1970-01-01 00:00", "8"],
        ["4", "E1", "2026-03-02 17:40", "2026-03-02 19:10", "1000.1 kWh"],
        ["5", "E1", "2026-03-02 17:40", "2026-03-02 19:10", "1000"],  # the limit: fine
    ]
    job = upload(staff, "x.csv", csv_bytes(rows), "sessions")
    with pytest.raises(ImportRejected) as caught:
        commit(staff, job, time_zone="UTC")
    assert [(e.row, e.column, e.message) for e in caught.value.errors] == [
        (2, "kWh", "“999999999” is more energy than one charging session takes (at most "
                   "1000 kWh)."),
        (3, "end", "9999-12-31 23:59 is in the future."),
        (4, "end", "“1970-01-01 00:00” is before 2000; check the date and the date order."),
        (5, "kWh", "“1000.1 kWh” is more energy than one charging session takes (at most "
                   "1000 kWh)."),
    ]
    assert ChargingSession.objects.count() == 0
    # the rows within the limits import
    job = upload(staff, "y.csv", csv_bytes([rows[0], rows[5]]), "sessions")
    assert commit(staff, job, time_zone="UTC").created == 1
    assert ChargingSession.objects.get().energy_wh == 1_000_000


def test_a_kwh_cell_that_is_not_a_finite_number_is_not_energy():
    assert imp._kwh(float("inf")) is None and imp._kwh(float("nan")) is None
    assert imp._kwh(17.5) == 17.5 and imp._kwh("17 kWh") == 17.0


def test_lugano_headline_counts_only_the_stations_with_sessions(client, org, shared_data):
    """Next to the 62 imported Lugano stations (52 with sessions in 2017), campus stations
    without data are not counted as idle: the headline divides by the points of the 52."""
    from django.urls import reverse

    from safecampus.tests.pages import login
    from safecampus.traffic.services import charging as services

    import_lugano(org, shared_data)
    for number in range(11):
        services.charging_station_create(
            actor=org.users.staff, campus_id=org.campus1.pk, name=f"校内充电棚 {number}",
            operator_name="校园充电", points=10, kind="ebike")
    year = selectors.charging_utilisation(org.users.staff, selectors.UtilisationFilters(
        date_from=dt.date(2017, 1, 1), date_to=dt.date(2017, 12, 31)))
    assert (year.all_station_count, year.all_points) == (73, 124 + 110)
    with_sessions = {r["ChargingStationId"] for r in lugano_rows(shared_data)
                     if month_first(r["BeginDate"], r["BeginHour"]).astimezone(
                         clock.local_zone()).year == 2017}
    assert len(with_sessions) == 52
    assert (year.station_count, year.points) == (52, 104)
    assert {row["station"].external_id for row in year.stations} <= with_sessions
    assert year.available_hours == 104 * 365
    assert year.overall == pytest.approx(sum(year.occupied_hours) / (104 * 365 * 24))
    assert year.overall > 0.005  # with the idle campus points it would read 0 %
    login(client, org.users.staff)
    page = client.get(reverse("traffic:charging_utilisation"),
                      {"date_from": "2017-01-01", "date_to": "2017-12-31"}).content.decode()
    assert 'id="stations-with-sessions">52 <span class="fs-6 fw-normal text-secondary">/ 73' in page
    assert f'id="overall">{round(100 * year.overall)}%' in page and 'id="overall">0%' not in page
    assert 'id="partial-months"' not in page  # twelve whole months


def test_lugano_default_window_labels_its_partial_months(client, org, shared_data):
    """The default 30 days end on the latest session's Beijing day (1 January 2018: seven
    sessions start on 31 December after 17:00 in Zurich), so both months are partial."""
    from django.urls import reverse

    from safecampus.tests.pages import login

    import_lugano(org, shared_data)
    usage = selectors.charging_utilisation(org.users.staff, selectors.UtilisationFilters())
    assert (usage.date_from, usage.date_to) == (dt.date(2017, 12, 3), dt.date(2018, 1, 1))
    assert [m for m, _n in usage.by_month] == [dt.date(2017, 12, 1), dt.date(2018, 1, 1)]
    assert usage.month_labels == ["2017-12 (3–31)", "2018-01 (1–1)"]
    assert usage.partial_months
    whole = selectors.charging_utilisation(org.users.staff, selectors.UtilisationFilters(
        date_from=dt.date(2017, 3, 1), date_to=dt.date(2017, 4, 30)))
    assert whole.month_labels == ["2017-03", "2017-04"] and not whole.partial_months
    login(client, org.users.staff)
    page = client.get(reverse("traffic:charging_utilisation"))
    charts = page.context["charts"]
    assert charts["month"]["xAxis"]["data"] == ["2017-12 (3–31)", "2018-01 (1–1)"]
    assert charts["kwh"]["xAxis"]["data"] == ["2017-12 (3–31)", "2018-01 (1–1)"]
    assert 'id="partial-months"' in page.content.decode()


def _station_mapping_page(client, org, shared_data):
    from django.urls import reverse

    from safecampus.tests.pages import login

    login(client, org.users.staff)
    response = client.post(reverse("traffic:charging_import_stations"), {
        "file": SimpleUploadedFile("stations.csv", (shared_data / STATIONS).read_bytes())})
    return response.url, client.get(response.url)


def _field_block(html: str, field_id: str) -> str:
    """The ``includes/field.html`` block of the input ``field_id`` (label to its end)."""
    start = html.index(f'<label class="form-label" for="{field_id}"')
    return html[start:html.index('<div class="mb-3', start + 1)]


def test_station_mapping_marks_the_operator_as_needed_and_shows_its_error_there(
        client, org, shared_data):
    """The Lugano file has no operator column: the operator field is marked * and, left
    empty, says so at the field (not at the top of the page); the campus likewise."""
    url, page = _station_mapping_page(client, org, shared_data)
    form = page.context["form"]
    assert form["col_operator_name"].value() in (None, "")  # no operator column suggested
    html = page.content.decode()
    assert '<span class="text-danger">*</span>' in _field_block(html, "id_operator_name")
    assert '<span class="text-danger">*</span>' in _field_block(html, "id_default_campus")
    # no browser-side "required": choosing the operator column must be enough to submit
    operator_input = re.search(r'<input[^>]*id="id_operator_name"[^>]*>', html).group(0)
    assert " required" not in operator_input
    data = {name: form[name].value() or "" for name in form.column_fields}
    data.update({"kind": "ev", "operator_name": "", "default_campus": "", "points": 2,
                 "import": "1"})
    refused = client.post(url, data)
    assert refused.status_code == 200  # the mapping page again, with the errors
    form = refused.context["form"]
    assert form.errors["operator_name"] == [
        "Enter the operator, or choose the column that holds it."]
    assert form.errors["default_campus"] == ["Choose the campus of these stations."]
    assert not form.non_field_errors()
    html = refused.content.decode()
    assert "Enter the operator, or choose" in _field_block(html, "id_operator_name")
    assert 'class="alert alert-danger"' not in html.split("<form", 1)[1].split("</h2>", 1)[0]
    assert ChargingStation.objects.count() == 0
    # a column chosen for the operator makes the typed name unnecessary (no * then)
    data.update({"col_operator_name": "1", "default_campus": org.campus1.pk})
    del data["import"]  # "refresh": the form again for the chosen columns
    page = client.post(url, data)
    assert '<span class="text-danger">*</span>' not in _field_block(
        page.content.decode(), "id_operator_name")


def test_station_plan_problems_name_their_fields(org):
    staff = org.users.staff
    job = upload(staff, "s.csv", csv_bytes([["id", "name"], ["E1", "东区"]]), "stations")
    plan = imp.PLANS[job.content].from_json(job.plan)
    plan.operator_unit, plan.points, plan.kind = 999999, 0, "tram"
    table = imp.charging_import_table(job)
    assert imp.station_plan_field_problems(table, plan) == [
        ("default_campus", "Choose the campus of these stations."),
        ("kind", "Choose e-bike or electric-car charging."),
        ("operator_name", "Enter the operator, or choose the column that holds it."),
        ("operator_unit", "Choose a unit from the list."),
        ("points", "Enter a number of charging points from 1 to 500.")]
