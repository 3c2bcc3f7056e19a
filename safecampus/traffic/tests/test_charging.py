"""Charging stations and faults through the services: a fault opens a hazard routed to the
operator's unit, the station's status edges (allowed and refused), idempotency, anonymity,
bad input changes nothing, permissions; the station pages and their query counts."""

import pytest
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from safecampus.core.errors import Conflict, DomainError, NotAllowed
from safecampus.core.models import ActivityEntry
from safecampus.hazards.models import Hazard, HazardPhoto
from safecampus.hazards.models import Status as HazardStatus
from safecampus.tests.factories import photo_upload
from safecampus.tests.pages import login
from safecampus.traffic.models import ChargingFault, ChargingStation
from safecampus.traffic.services import charging as services

pytestmark = pytest.mark.django_db
Status = ChargingStation.Status


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def station(org, **kwargs):
    kwargs.setdefault("campus_id", org.campus1.pk)
    kwargs.setdefault("name", "东区宿舍充电棚")
    kwargs.setdefault("operator_name", "安充科技")
    kwargs.setdefault("operator_unit_id", org.logistics.pk)
    kwargs.setdefault("points", 20)
    return services.charging_station_create(actor=org.users.staff, **kwargs)


def report(org, st, **kwargs):
    kwargs.setdefault("actor", org.users.student)
    kwargs.setdefault("description", "3号插座冒烟，有焦味")
    return services.charging_fault_report(station_id=st.pk, **kwargs)


def verbs(st):
    return list(ActivityEntry.objects.filter(
        target_type=ContentType.objects.get_for_model(ChargingStation), target_id=st.pk)
        .order_by("pk").values_list("verb", "from_state", "to_state"))


# --- faults → hazards ----------------------------------------------------------------------------
def test_a_students_fault_report_opens_a_hazard_routed_to_the_operators_unit(org):
    # given an e-bike shed kept by logistics, in a place owned by unit A's building
    st = station(org, place_id=org.place_a.pk)
    # when a student reports a fault with a photo
    fault = report(org, st, photos=[photo_upload()])
    # then a hazard is open for logistics (not the building's unit A), from the fault
    hazard = Hazard.objects.get(pk=fault.hazard_id)
    assert hazard.responsible_unit == org.logistics
    assert hazard.category == org.electrical
    assert hazard.status == HazardStatus.REPORTED
    assert (hazard.source_type.model, hazard.source_id) == ("chargingfault", fault.pk)
    # stored in the site's language whatever the reporter's page was in
    with translation.override(settings.LANGUAGE_CODE):
        assert hazard.title == gettext("Charging station fault: %(station)s") % {
            "station": "东区宿舍充电棚"}
    assert hazard.description == "3号插座冒烟，有焦味"
    assert (hazard.campus, hazard.place, hazard.reporter) == (
        org.campus1, org.place_a, org.users.student)
    assert HazardPhoto.objects.filter(hazard=hazard).count() == 1
    # and the station is in fault, on its timeline
    st.refresh_from_db()
    assert st.status == Status.FAULT
    assert verbs(st)[-1] == ("traffic.charging_fault_report", "in_service", "fault")
    assert fault.reporter == org.users.student and fault.state == "open"


def test_without_an_operator_unit_the_hazard_routing_rules_decide(org):
    st = station(org, operator_unit_id=None, place_id=org.place_a.pk)
    fault = report(org, st)
    assert Hazard.objects.get(pk=fault.hazard_id).responsible_unit == org.unit_a


def test_an_anonymous_report_keeps_no_reporter_on_the_fault_or_timeline(org):
    st = station(org)
    fault = report(org, st, is_anonymous=True)
    assert fault.reporter is None
    assert Hazard.objects.get(pk=fault.hazard_id).is_anonymous is True
    entry = ActivityEntry.objects.filter(verb="traffic.charging_fault_report").get()
    assert entry.actor is None


def test_the_same_key_reports_once(org):
    st = station(org)
    first = report(org, st, idempotency_key="fault-key-0001")
    again = report(org, st, idempotency_key="fault-key-0001")
    assert again.pk == first.pk
    assert ChargingFault.objects.count() == 1 and Hazard.objects.count() == 1


@pytest.mark.parametrize("description, message", [
    ("", "Say what is wrong with the station."),
    ("x" * 2001, "At most 2000 characters."),
])
def test_a_bad_report_changes_nothing(org, description, message):
    st = station(org)
    with pytest.raises(DomainError) as caught:
        report(org, st, description=description)
    assert caught.value.field_errors == {"description": [message]}
    assert ChargingFault.objects.count() == 0 and Hazard.objects.count() == 0
    st.refresh_from_db()
    assert st.status == Status.IN_SERVICE


def test_a_bad_photo_changes_nothing(org):
    from django.core.files.uploadedfile import SimpleUploadedFile

    st = station(org)
    with pytest.raises(DomainError):
        report(org, st, photos=[SimpleUploadedFile("x.jpg", b"not an image")])
    assert ChargingFault.objects.count() == 0 and Hazard.objects.count() == 0
    st.refresh_from_db()
    assert st.status == Status.IN_SERVICE


def test_a_missing_fault_category_is_a_clear_error(org, settings):
    settings.SAFECAMPUS = {**settings.SAFECAMPUS, "CHARGING_FAULT_CATEGORY": "nope"}
    st = station(org)
    with pytest.raises(DomainError) as caught:
        report(org, st)
    assert caught.value.code == "no_category"
    assert ChargingFault.objects.count() == 0


# --- the station's status edges -------------------------------------------------------------------
def test_fixing_the_last_open_fault_puts_the_station_back_in_service(org):
    st = station(org)
    one, two = report(org, st), report(org, st, description="屏幕不亮")
    assert Hazard.objects.count() == 2
    services.charging_fault_fix(actor=org.users.staff, fault_id=one.pk, comment="已更换插座")
    st.refresh_from_db()
    assert st.status == Status.FAULT  # another fault is open
    services.charging_fault_fix(actor=org.users.staff, fault_id=two.pk)
    st.refresh_from_db()
    assert st.status == Status.IN_SERVICE
    assert verbs(st)[-3:] == [("traffic.charging_fault_report", "fault", "fault"),
                              ("traffic.charging_fault_fix", "fault", "fault"),
                              ("traffic.charging_fault_fix", "fault", "in_service")]
    with pytest.raises(Conflict):
        services.charging_fault_fix(actor=org.users.staff, fault_id=two.pk)


def test_out_of_service_and_back(org):
    st = station(org)
    staff = org.users.staff
    services.charging_station_status_set(actor=staff, station_id=st.pk, status="out_of_service",
                                         reason="线路改造")
    with pytest.raises(Conflict):  # no fault reports while switched off
        report(org, st)
    with pytest.raises(Conflict):  # same status
        services.charging_station_status_set(actor=staff, station_id=st.pk,
                                             status="out_of_service", reason="again")
    services.charging_station_status_set(actor=staff, station_id=st.pk, status="in_service")
    st.refresh_from_db()
    assert st.status == Status.IN_SERVICE
    assert verbs(st)[-2:] == [("traffic.charging_station_status", "in_service", "out_of_service"),
                              ("traffic.charging_station_status", "out_of_service", "in_service")]


def test_a_station_with_an_open_fault_does_not_go_back_in_service_by_hand(org):
    st = station(org)
    staff = org.users.staff
    report(org, st)
    with pytest.raises(Conflict):  # fault → in service only by fixing
        services.charging_station_status_set(actor=staff, station_id=st.pk, status="in_service")
    services.charging_station_status_set(actor=staff, station_id=st.pk, status="out_of_service",
                                         reason="等待维修")
    with pytest.raises(Conflict) as caught:  # still an open fault
        services.charging_station_status_set(actor=staff, station_id=st.pk, status="in_service")
    assert caught.value.message == "This station has open faults; mark them fixed first."
    fault = ChargingFault.objects.get()
    services.charging_fault_fix(actor=staff, fault_id=fault.pk)
    st.refresh_from_db()
    assert st.status == Status.OUT_OF_SERVICE  # fixing does not switch it back on
    services.charging_station_status_set(actor=staff, station_id=st.pk, status="in_service")


@pytest.mark.parametrize("status, reason, field", [
    ("fault", "x", "status"), ("out_of_service", "", "reason"), ("nonsense", "x", "status")])
def test_bad_status_input(org, status, reason, field):
    st = station(org)
    with pytest.raises(DomainError) as caught:
        services.charging_station_status_set(actor=org.users.staff, station_id=st.pk,
                                             status=status, reason=reason)
    assert list(caught.value.field_errors) == [field]
    st.refresh_from_db()
    assert st.status == Status.IN_SERVICE


# --- keeping stations --------------------------------------------------------------------------------
def test_station_create_and_update_with_their_checks(org):
    st = station(org, external_id="E-01", idempotency_key="station-key-1")
    assert station(org, external_id="E-01", idempotency_key="station-key-1").pk == st.pk
    with pytest.raises(DomainError) as caught:
        station(org, external_id="E-01", points=0, name="", place_id=org.place_b.pk,
                operator_unit_id=999_999)
    assert set(caught.value.field_errors) == {"external_id", "points", "name", "place",
                                              "operator_unit"}
    assert caught.value.field_errors["external_id"] == [
        "Another station already has the operator's id E-01."]
    assert ChargingStation.objects.count() == 1
    services.charging_station_update(
        actor=org.users.staff, station_id=st.pk, campus_id=org.campus2.pk, name="南区充电棚",
        operator_name="安充科技", points=24, kind="ebike", external_id="E-01")
    st.refresh_from_db()
    assert (st.campus, st.name, st.points) == (org.campus2, "南区充电棚", 24)
    entry = ActivityEntry.objects.filter(verb="traffic.charging_station_update").get()
    assert entry.data["changed"]["points"] == [20, 24]


@pytest.mark.parametrize("who", ["student", "guard", "contact_log", "leadership"])
def test_only_the_office_keeps_stations_and_fixes_faults(org, who):
    user = getattr(org.users, who)
    st = station(org)
    fault = report(org, st)
    with pytest.raises(NotAllowed):
        services.charging_station_create(actor=user, campus_id=org.campus1.pk, name="x",
                                         operator_name="y", points=1)
    with pytest.raises(NotAllowed):
        services.charging_fault_fix(actor=user, fault_id=fault.pk)
    with pytest.raises(NotAllowed):
        services.charging_station_status_set(actor=user, station_id=st.pk,
                                             status="out_of_service", reason="x")
    assert ChargingStation.objects.count() == 1


def test_every_signed_in_user_may_report(org):
    st = station(org)
    for who in ("student", "guard", "contact_a", "leadership", "staff"):
        report(org, st, actor=getattr(org.users, who))
    assert ChargingFault.objects.count() == 5


# --- pages --------------------------------------------------------------------------------------------
def test_station_list_query_count_does_not_grow_with_rows(client, org):
    for n in range(3):
        station(org, name=f"充电棚{n}")
    login(client, org.users.student)
    url = reverse("traffic:charging_list")
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    for n in range(3, 25):
        station(org, name=f"充电棚{n}", place_id=org.place_a.pk)
    with CaptureQueriesContext(connection) as many:
        response = client.get(url)
    assert response.status_code == 200
    assert len(many) == len(few)


def test_the_phone_report_page_reports_and_shows_the_station(client, org):
    st = station(org)
    login(client, org.users.student)
    url = reverse("traffic:charging_report", args=[st.pk])
    page = client.get(url)
    assert page.status_code == 200
    key = page.context["form"].initial["idempotency_key"]
    data = {"description": "充电口松动", "idempotency_key": key}
    response = client.post(url, data)
    assert response.status_code == 302
    client.post(url, data)  # a double tap
    assert ChargingFault.objects.count() == 1
    assert Hazard.objects.get().responsible_unit == org.logistics
    bad = client.post(url, {"description": "", "idempotency_key": "another-key-1"})
    assert bad.status_code == 400
    assert ChargingFault.objects.count() == 1


def test_only_the_office_sees_the_manage_pages(client, org):
    st = station(org)
    login(client, org.users.student)
    assert client.get(reverse("traffic:charging_detail", args=[st.pk])).status_code == 200
    for name, args in (("charging_add", []), ("charging_edit", [st.pk]),
                       ("charging_utilisation", []), ("charging_import_stations", []),
                       ("charging_import_sessions", [])):
        assert client.get(reverse(f"traffic:{name}", args=args)).status_code == 403, name
    client.logout()
    login(client, org.users.staff)
    for name, args in (("charging_add", []), ("charging_edit", [st.pk]),
                       ("charging_utilisation", []), ("charging_import_stations", []),
                       ("charging_import_sessions", []), ("charging_sticker", [st.pk])):
        assert client.get(reverse(f"traffic:{name}", args=args)).status_code == 200, name
    sticker = client.get(reverse("traffic:charging_sticker", args=[st.pk])).content.decode()
    assert 'src="data:image/svg+xml' in sticker
    assert f"/traffic/charging/{st.pk}/report/" in sticker


def test_the_leadership_sees_the_utilisation_but_does_not_import(client, org):
    from safecampus.traffic.selectors import charging as selectors

    station(org)
    filters = selectors.UtilisationFilters()
    assert selectors.charging_utilisation(org.users.leadership, filters) is not None
    assert selectors.charging_utilisation(org.users.student, filters) is None
    login(client, org.users.leadership)
    listing = client.get(reverse("traffic:charging_list")).content.decode()
    assert 'id="utilisation-link"' in listing
    assert reverse("traffic:charging_import_sessions") not in listing
    page = client.get(reverse("traffic:charging_utilisation"))
    assert page.status_code == 200
    assert (page.context["usage"].all_points, page.context["usage"].points) == (20, 0)
    assert 'id="import-sessions"' not in page.content.decode()
    for name in ("charging_import_stations", "charging_import_sessions", "charging_add"):
        assert client.get(reverse(f"traffic:{name}")).status_code == 403, name
    client.logout()
    login(client, org.users.student)
    assert 'id="utilisation-link"' not in client.get(reverse("traffic:charging_list")).content.decode()
    client.logout()
    login(client, org.users.staff)
    assert 'id="import-sessions"' in client.get(reverse("traffic:charging_utilisation")).content.decode()


def _winner_took_the_key(monkeypatch, scope, key, user, winner):
    """As when a concurrent request with ``key`` committed ``winner`` after this one's early
    lookup: the key row exists, the early lookup saw nothing."""
    from safecampus.core.idempotency import idempotency_remember

    assert idempotency_remember(scope=scope, key=key, user=user, result=winner)
    monkeypatch.setattr(services, "idempotency_lookup", lambda **kwargs: None)


def test_a_station_create_that_loses_the_key_race_returns_the_winner_and_keeps_nothing(
        org, monkeypatch):
    winner = station(org, name="先到的充电棚")
    entries = ActivityEntry.objects.count()
    _winner_took_the_key(monkeypatch, services.STATION_SCOPE, "race-key-0001", org.users.staff,
                         winner)
    got = station(org, name="后到的充电棚", idempotency_key="race-key-0001")
    assert got.pk == winner.pk
    assert list(ChargingStation.objects.values_list("name", flat=True)) == ["先到的充电棚"]
    assert ActivityEntry.objects.count() == entries


def test_a_fault_report_that_loses_the_key_race_returns_the_winner_and_keeps_nothing(
        org, monkeypatch):
    st = station(org)
    winner = report(org, st)
    hazards, entries = Hazard.objects.count(), ActivityEntry.objects.count()
    _winner_took_the_key(monkeypatch, services.FAULT_SCOPE, "race-key-0002", org.users.student,
                         winner)
    got = report(org, st, description="又冒烟了", idempotency_key="race-key-0002")
    assert got.pk == winner.pk
    assert list(ChargingFault.objects.values_list("pk", flat=True)) == [winner.pk]
    assert (Hazard.objects.count(), ActivityEntry.objects.count()) == (hazards, entries)


# --- the module's name and the utilisation table in Chinese ----------------------------------
def session_at(st, day, *, hours=2, number="1"):
    """A session of ``st`` from 09:00 Beijing time on ``day`` lasting ``hours``."""
    import datetime as dt

    from safecampus.core import clock
    from safecampus.traffic.models import ChargingSession

    started = clock.start_of_local_day(day) + dt.timedelta(hours=9)
    return ChargingSession.objects.create(station=st, external_id=number, started_at=started,
                                          ended_at=started + dt.timedelta(hours=hours),
                                          energy_wh=5000)


def test_the_module_is_named_charging_facilities_not_the_count_of_points(
        client, org):
    """"Charging points" is also the station's count field (充电桩数): the module's name on
    the traffic home, the list's title and the breadcrumb uses its own msgid; the busiest
    table's headers say occupancy and charging points."""
    import re

    from safecampus.core import clock

    st = station(org)
    session_at(st, clock.local_today())
    login(client, org.users.staff)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    home = client.get(reverse("traffic:home")).content.decode()
    assert re.search(r'bi-ev-station[^<]*</i>充电设施</a>', home)
    listing = client.get(reverse("traffic:charging_list")).content.decode()
    assert re.search(r"<title>充电设施", listing) and '<h1 class="h4 mb-0 me-auto">充电设施</h1>' in listing
    detail = client.get(reverse("traffic:charging_detail", args=[st.pk])).content.decode()
    assert re.search(r'breadcrumb-item"><a href="[^"]+">充电设施</a>', detail)
    assert '<dt class="col-5">充电桩数</dt><dd class="col-7">20</dd>' in detail  # the count
    page = client.get(reverse("traffic:charging_utilisation")).content.decode()
    busiest = page[page.index('id="busiest"'):]
    headers = re.findall(r'<th scope="col"[^>]*>([^<]*)</th>', busiest)
    assert headers == ["充电站", "占用率", "充电次数", "kWh", "充电桩数"]
    assert "启用" not in busiest and "分值" not in busiest


# --- the utilisation period ----------------------------------------------------------------
@pytest.mark.parametrize(("query", "field", "message"), [
    ({"date_from": "2999-01-01", "date_to": "1900-01-01"}, "date_from",
     "Choose today ({today}) or an earlier day."),
    ({"date_from": "2026-03-10", "date_to": "2026-03-01"}, "date_to",
     "The end date is before the start date."),
    ({"date_from": "2020-01-01", "date_to": "2022-01-01"}, "date_to",
     "Choose a period of at most 731 days."),
    ({"date_to": "2999-01-01"}, "date_to", "Choose today ({today}) or an earlier day."),
    ({"date_from": "1900-01-01"}, "date_from", "Choose a period of at most 731 days."),
])
def test_a_bad_utilisation_period_is_refused_with_a_message(client, org, query, field,
                                                            message):
    import datetime as dt

    from safecampus.core import clock

    today = clock.local_today()
    st = station(org)
    session_at(st, dt.date(2026, 3, 2))
    login(client, org.users.leadership)
    response = client.get(reverse("traffic:charging_utilisation"), query)
    assert response.status_code == 200
    form = response.context["form"]
    assert form.errors[field] == [message.format(today=today.isoformat())]
    html = response.content.decode()
    assert "These filters were not applied:" in html and form.errors[field][0] in html
    usage = response.context["usage"]  # the default period: 30 days up to the last session
    assert (usage.date_from, usage.date_to) == (dt.date(2026, 2, 1), dt.date(2026, 3, 2))


def test_a_good_utilisation_period_is_applied(client, org):
    import datetime as dt

    st = station(org)
    session_at(st, dt.date(2026, 3, 2))
    login(client, org.users.leadership)
    for query, period in [
            ({"date_from": "2024-03-03", "date_to": "2026-03-02"},
             (dt.date(2024, 3, 3), dt.date(2026, 3, 2))),  # 731 days: the longest
            ({"date_from": "2026-03-02", "date_to": "2026-03-02"},
             (dt.date(2026, 3, 2), dt.date(2026, 3, 2))),
            ({"date_from": "2026-01-01"}, (dt.date(2026, 1, 1), dt.date(2026, 3, 2)))]:
        response = client.get(reverse("traffic:charging_utilisation"), query)
        assert not response.context["form"].errors, query
        usage = response.context["usage"]
        assert (usage.date_from, usage.date_to) == period
        assert usage.sessions == 1


def test_the_headline_counts_the_stations_with_sessions_in_the_period(client, org):
    """A station without sessions in the period is not counted as an idle one: the headline
    and by-hour shares divide by the points of the stations with sessions."""
    import datetime as dt

    from safecampus.traffic.selectors import charging as selectors

    busy = station(org, name="东区", points=4)
    station(org, name="西区", points=16)  # no data at all
    day = dt.date(2026, 3, 2)
    session_at(busy, day, hours=6)
    usage = selectors.charging_utilisation(org.users.staff, selectors.UtilisationFilters(
        date_from=day, date_to=day))
    assert (usage.station_count, usage.points) == (1, 4)
    assert (usage.all_station_count, usage.all_points) == (2, 20)
    assert usage.overall == pytest.approx(6 / (4 * 24))
    assert usage.by_hour[9] == pytest.approx(1 / 4)
    login(client, org.users.staff)
    page = client.get(reverse("traffic:charging_utilisation"),
                      {"date_from": "2026-03-02", "date_to": "2026-03-02"}).content.decode()
    assert 'id="stations-with-sessions">1 <span class="fs-6 fw-normal text-secondary">/ 2' in page
    assert 'id="overall">6%' in page  # 6 of 96 point-hours; 1% if all 20 points counted
