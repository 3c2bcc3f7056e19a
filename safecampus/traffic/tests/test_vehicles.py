"""Vehicles and permits: registering (plates, e-bike tags, duplicates, owners), editing,
deactivating, permits (dates, overlaps, revoking), the plate lookup, who sees what, and the
pages (lookup with htmx, list query count, detail, register, edit, my vehicles)."""

import datetime as dt
import re

import pytest
from django.conf import settings
from django.contrib.messages import get_messages
from django.db.models import Q
from django.urls import reverse
from django.utils import translation

from safecampus.core import clock
from safecampus.core.activity import activity_for
from safecampus.core.errors import Conflict, DomainError, NotAllowed
from safecampus.traffic.models import Permit, Vehicle
from safecampus.traffic.plates import plate_normalise
from safecampus.traffic.selectors import vehicles as selectors
from safecampus.traffic.services import vehicles as services

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 5, 20)


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def on_today():
    """Permits are checked against today (a past last day is refused): today is TODAY."""
    with clock.frozen(dt.datetime(2026, 5, 20, 9, 0, tzinfo=clock.local_zone())):
        yield


@pytest.fixture
def at_noon():
    with clock.frozen(dt.datetime(2026, 5, 20, 12, 0, tzinfo=clock.local_zone())):
        yield


def register(org, plate="陕A12345", **kwargs):
    kwargs.setdefault("owner_name", "王老师")
    kwargs.setdefault("owner_kind", Vehicle.OwnerKind.STAFF)
    return services.vehicle_register(actor=kwargs.pop("actor", org.users.staff), plate=plate,
                                     **kwargs)


def login(client, user):
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


def messages_of(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


# --- registering ---------------------------------------------------------------------------
def test_register_normalises_the_plate_and_records_the_timeline(org):
    vehicle = register(org, plate=" 陕ａ·１２３４５ ", owner_phone="138 0013 8000",
                       owner_id=org.users.student.pk, unit_id=org.unit_a.pk)
    assert (vehicle.plate, vehicle.plate_kind, vehicle.owner, vehicle.unit) == (
        "陕A12345", "ordinary", org.users.student, org.unit_a)
    [entry] = activity_for(vehicle)
    assert (entry.verb, entry.actor, entry.to_state) == (
        "traffic.vehicle_register", org.users.staff, "active")


def test_register_new_energy_plate(org):
    assert register(org, plate="粤B D12345").plate_kind == "new_energy"


def test_bad_plate_is_refused_with_the_reason(org):
    with pytest.raises(DomainError) as caught:
        register(org, plate="陕A1234")
    assert caught.value.field_errors["plate"] == [
        "A plate has 7 characters (8 for new-energy vehicles); this one has 6."]
    assert not Vehicle.objects.exists()


def test_duplicate_plate_is_refused_naming_the_vehicle(org):
    register(org, plate="陕A12345")
    with pytest.raises(DomainError) as caught:
        register(org, plate="陕a-12345", owner_name="李四")
    assert caught.value.field_errors["plate"] == [
        "This plate is already registered: 陕A12345 of 王老师. Open that vehicle instead."]
    assert Vehicle.objects.count() == 1


def test_ebike_with_only_a_campus_tag(org):
    bike = register(org, plate="", kind=Vehicle.Kind.EBIKE, tag_number=" dc 0042 ")
    assert (bike.plate, bike.tag_number) == ("", "DC0042")
    with pytest.raises(DomainError) as caught:
        register(org, plate="", kind=Vehicle.Kind.EBIKE, tag_number="DC0042")
    assert caught.value.field_errors["tag_number"] == [
        "This campus tag is already on DC0042 of 王老师."]
    with pytest.raises(DomainError) as caught:
        register(org, plate="", kind=Vehicle.Kind.CAR, tag_number="DC0043")
    assert caught.value.field_errors["plate"] == ["Enter the plate number."]
    with pytest.raises(DomainError) as caught:
        register(org, plate="", kind=Vehicle.Kind.EBIKE)
    assert caught.value.field_errors["plate"] == [
        "Enter the plate number or, for an e-bike without a plate, its campus tag number."]


def test_owner_fields_are_checked(org):
    with pytest.raises(DomainError) as caught:
        register(org, owner_name="  ", owner_kind="alien", owner_phone="call me",
                 owner_id="999999", unit_id="x")
    assert caught.value.field_errors == {
        "owner_name": ["Enter the owner's name."],
        "owner_kind": ["Choose the owner type (staff, student, contractor or visitor)."],
        "owner_phone": ["Enter a phone number (digits, with spaces, +, - or brackets)."],
        "owner": ["Choose an account from the list, or leave it empty."],
        "unit": ["Choose a unit from the list."],
    }
    assert not Vehicle.objects.exists()


def test_only_the_office_registers(org):
    for user in (org.users.guard, org.users.student):
        with pytest.raises(NotAllowed):
            register(org, actor=user)
    assert register(org, actor=org.users.admin).pk


def test_register_twice_with_one_key_creates_one(org):
    first = register(org, idempotency_key="key-vehicle-1")
    again = register(org, idempotency_key="key-vehicle-1")
    assert again.pk == first.pk
    assert Vehicle.objects.count() == 1


# --- editing and deactivating --------------------------------------------------------------
def test_update_revalidates_a_changed_plate(org):
    vehicle = register(org)
    other = register(org, plate="陕A54321", owner_name="李四")
    with pytest.raises(DomainError) as caught:
        services.vehicle_update(actor=org.users.staff, vehicle_id=other.pk, plate="陕A12345")
    assert caught.value.field_errors["plate"] == [
        "This plate is already registered: 陕A12345 of 王老师. Open that vehicle instead."]
    with pytest.raises(DomainError) as caught:
        services.vehicle_update(actor=org.users.staff, vehicle_id=other.pk, plate="陕I12345")
    assert caught.value.field_errors["plate"] == [
        "The second character is the issuing office's letter (A–Z, no I or O)."]
    updated = services.vehicle_update(actor=org.users.staff, vehicle_id=vehicle.pk,
                                      plate="陕a 99999", colour="白")
    assert (updated.plate, updated.colour) == ("陕A99999", "白")
    entry = activity_for(vehicle).last()
    assert entry.verb == "traffic.vehicle_update"
    assert entry.data["changed"] == {"plate": ["陕A12345", "陕A99999"], "colour": ["", "白"]}


def test_deactivate_revokes_permits_and_only_once(org, at_noon):
    vehicle = register(org)
    permit = services.permit_issue(actor=org.users.staff, vehicle_id=vehicle.pk,
                                   valid_from=TODAY, valid_until=TODAY + dt.timedelta(days=30))
    services.vehicle_deactivate(actor=org.users.staff, vehicle_id=vehicle.pk, reason="Sold")
    vehicle.refresh_from_db()
    permit.refresh_from_db()
    assert (vehicle.is_active, permit.state) == (False, Permit.State.REVOKED)
    with pytest.raises(Conflict, match="陕A12345 is already deactivated."):
        services.vehicle_deactivate(actor=org.users.staff, vehicle_id=vehicle.pk)
    with pytest.raises(Conflict, match="陕A12345 is deactivated; it cannot get a permit."):
        services.permit_issue(actor=org.users.staff, vehicle_id=vehicle.pk,
                              valid_from=TODAY, valid_until=TODAY)
    with pytest.raises(DomainError) as caught:
        register(org, owner_name="新车主")
    assert caught.value.field_errors["plate"] == [
        "This plate is already registered: 陕A12345 of 王老师 (deactivated). Open that vehicle "
        "instead."]


# --- permits -------------------------------------------------------------------------------
def test_permit_dates_are_checked(org):
    vehicle = register(org)
    with pytest.raises(DomainError) as caught:
        services.permit_issue(actor=org.users.staff, vehicle_id=vehicle.pk,
                              valid_from=TODAY, valid_until=TODAY - dt.timedelta(days=1))
    assert caught.value.field_errors == {
        "valid_until": ["The last day is before the first day."]}
    with pytest.raises(DomainError) as caught:
        services.permit_issue(actor=org.users.staff, vehicle_id=vehicle.pk,
                              valid_from=None, valid_until=None)
    assert caught.value.field_errors == {
        "valid_from": ["Enter the first day of validity."],
        "valid_until": ["Enter the last day of validity."]}
    assert not Permit.objects.exists()


def test_permit_whose_last_day_is_past_is_refused(org):
    # Given a vehicle, when a temporary permit for days already past is issued, it is refused
    vehicle = register(org)
    with pytest.raises(DomainError) as caught:
        services.permit_issue(actor=org.users.staff, vehicle_id=vehicle.pk,
                              kind=Permit.Kind.TEMPORARY, valid_from=dt.date(2020, 1, 1),
                              valid_until=dt.date(2020, 1, 10))
    assert caught.value.field_errors == {"valid_until": [
        "The last day (2020-01-10) is already past: a permit must be valid until today "
        "(2026-05-20) or later."]}
    assert not Permit.objects.exists()
    # A permit that started earlier but ends today is still accepted.
    services.permit_issue(actor=org.users.staff, vehicle_id=vehicle.pk,
                          valid_from=dt.date(2026, 5, 1), valid_until=TODAY)
    assert Permit.objects.count() == 1


def test_permit_standing_follows_today(org):
    vehicle = register(org)
    permit = Permit(vehicle=vehicle, valid_from=dt.date(2026, 1, 1),
                    valid_until=dt.date(2026, 3, 31))
    assert selectors.permit_standing(permit, today=TODAY) == "expired"
    assert selectors.permit_standing(permit, today=dt.date(2026, 3, 31)) == "valid"
    assert selectors.permit_standing(permit, today=dt.date(2025, 12, 31)) == "upcoming"
    permit.state = Permit.State.SUSPENDED
    assert selectors.permit_standing(permit, today=dt.date(2026, 2, 1)) == "suspended"
    permit.state = Permit.State.REVOKED
    assert selectors.permit_standing(permit, today=dt.date(2026, 2, 1)) == "revoked"


def test_overlapping_an_active_permit_is_allowed_with_a_warning(org):
    # Given a permit for this year, a renewal starting before it ends is issued
    vehicle = register(org)
    first = services.permit_issue(actor=org.users.staff, vehicle_id=vehicle.pk,
                                  valid_from=dt.date(2026, 1, 1),
                                  valid_until=dt.date(2026, 12, 31))
    renewal = services.permit_issue(actor=org.users.staff, vehicle_id=vehicle.pk,
                                    kind=Permit.Kind.TEMPORARY, valid_from=dt.date(2026, 12, 31),
                                    valid_until=dt.date(2027, 1, 5))
    assert selectors.permit_overlaps(renewal) == [first]
    assert services.msg_permit_overlaps(first) == (
        "The new permit overlaps the Long-term permit valid 2026-01-01 – 2026-12-31. If it "
        "replaces that one, revoke the old permit.")
    assert selectors.permit_overlaps(services.permit_issue(
        actor=org.users.staff, vehicle_id=vehicle.pk, valid_from=dt.date(2027, 1, 6),
        valid_until=dt.date(2027, 2, 1))) == []
    services.permit_revoke(actor=org.users.staff, permit_id=first.pk, reason="Replaced")
    assert selectors.permit_overlaps(renewal) == []


def test_overlapping_a_suspended_permit_is_refused_naming_it(org):
    # A new permit must not lift a repeat offender's suspension
    vehicle = register(org)
    Permit.objects.create(vehicle=vehicle, valid_from=dt.date(2026, 1, 1),
                          valid_until=dt.date(2026, 12, 31), state=Permit.State.SUSPENDED)
    with pytest.raises(DomainError) as caught:
        services.permit_issue(actor=org.users.staff, vehicle_id=vehicle.pk,
                              kind=Permit.Kind.TEMPORARY, valid_from=dt.date(2026, 12, 31),
                              valid_until=dt.date(2027, 1, 5))
    assert caught.value.code == "permit_overlap"
    assert caught.value.message == (
        "This period overlaps the Long-term permit valid 2026-01-01 – 2026-12-31 (Suspended); "
        "revoke it first or choose other dates.")
    assert Permit.objects.count() == 1
    # The next day is fine.
    services.permit_issue(actor=org.users.staff, vehicle_id=vehicle.pk,
                          valid_from=dt.date(2027, 1, 1), valid_until=dt.date(2027, 1, 5))
    verbs = [e.verb for e in activity_for(vehicle)]
    assert verbs == ["traffic.vehicle_register", "traffic.permit_issue"]


def test_revoke_needs_a_reason_and_happens_once(org):
    vehicle = register(org)
    permit = services.permit_issue(actor=org.users.staff, vehicle_id=vehicle.pk,
                                   valid_from=TODAY, valid_until=TODAY)
    with pytest.raises(DomainError, match="Say why the permit is revoked."):
        services.permit_revoke(actor=org.users.staff, permit_id=permit.pk, reason=" ")
    with pytest.raises(NotAllowed):
        services.permit_revoke(actor=org.users.guard, permit_id=permit.pk, reason="x")
    services.permit_revoke(actor=org.users.staff, permit_id=permit.pk, reason="Misuse")
    with pytest.raises(Conflict, match="This permit is already revoked."):
        services.permit_revoke(actor=org.users.staff, permit_id=permit.pk, reason="again")
    entry = activity_for(vehicle).last()
    assert (entry.verb, entry.from_state, entry.to_state, entry.comment) == (
        "traffic.permit_revoke", "active", "revoked", "Misuse")


def test_permit_issue_twice_with_one_key_creates_one(org):
    vehicle = register(org)
    args = {"actor": org.users.staff, "vehicle_id": vehicle.pk, "valid_from": TODAY,
            "valid_until": TODAY, "idempotency_key": "key-permit-1"}
    assert services.permit_issue(**args).pk == services.permit_issue(**args).pk
    assert Permit.objects.count() == 1


def test_permit_status_today(org, at_noon):
    def status_of(vehicle):
        return selectors.with_permit_status([vehicle])[0].permit_status.code

    vehicle = register(org)
    assert status_of(vehicle) == "none"
    old = Permit.objects.create(vehicle=vehicle, valid_from=dt.date(2025, 1, 1),
                                valid_until=TODAY - dt.timedelta(days=1))
    assert status_of(vehicle) == "expired"
    Permit.objects.create(vehicle=vehicle, valid_from=TODAY + dt.timedelta(days=1),
                          valid_until=dt.date(2026, 12, 31))
    assert status_of(vehicle) == "upcoming"
    Permit.objects.create(vehicle=vehicle, valid_from=TODAY, valid_until=TODAY,
                          state=Permit.State.SUSPENDED)
    assert status_of(vehicle) == "suspended"
    Permit.objects.filter(pk=old.pk).update(valid_until=TODAY)
    assert status_of(vehicle) == "valid"


# --- lookup and visibility -----------------------------------------------------------------
def test_lookup_exact_first_then_partial_then_tag_and_owner(org):
    exact = register(org, plate="京A12345", owner_name="张三")
    starts = register(org, plate="京AD12345", owner_name="李四")
    contains = register(org, plate="沪BA1234", owner_name="赵六")
    by_owner = register(org, plate="粤C99999", owner_name="A12 Ltd",
                        owner_kind=Vehicle.OwnerKind.CONTRACTOR)
    bike = register(org, plate="", kind=Vehicle.Kind.EBIKE, tag_number="A12-77",
                    owner_name="钱七", owner_kind=Vehicle.OwnerKind.STUDENT)
    guard = org.users.guard

    def plates(query):
        return [v.pk for v in selectors.vehicle_lookup(guard, query)]

    assert plates("京a·12345") == [exact.pk]
    assert plates("12345") == [exact.pk, starts.pk]
    assert plates("a123") == [exact.pk, contains.pk]
    assert plates("京A") == [exact.pk, starts.pk]
    assert plates("A12") == [exact.pk, contains.pk, bike.pk, by_owner.pk]
    assert plates("钱七") == [bike.pk]
    assert plates("1") == [] and plates("  ") == []


def test_lookup_returns_at_most_twenty(org):
    for i in range(25):
        register(org, plate=f"陕A{i:05d}", owner_name=f"Owner {i}")
    assert len(selectors.vehicle_lookup(org.users.guard, "陕A")) == 20


def _lookup_in_one_query(user, query, limit=20):
    """The lookup as one ``OR`` over plate, tag and owner (before the prefix step and the
    plate alphabet check): the reference the faster lookup must equal."""
    text = " ".join(query.split())
    number, tag = plate_normalise(text)[:8], selectors.tag_normalise(text)
    match = Q(owner_name__contains=text)
    if tag:
        match |= Q(tag_number__contains=tag)
    if number:
        match |= Q(plate__contains=number)
    return [v.pk for v in selectors.vehicle_list_visible_to(user).filter(match)
            .annotate(rank=selectors._rank(number, tag))
            .order_by("rank", "-is_active", "plate", "id")[:limit]]


def test_lookup_equals_the_one_query_ranking(org, django_assert_num_queries):
    """Given 23 plates starting 陕A (two deactivated), plates with 陕A inside a tag or an
    owner's name, and short owner names, when a guard looks up fragments short and long,
    then each answer equals the one-query ranking; 陕A is answered from the plates starting
    with it alone (one query for them, one for their permits)."""
    for i in range(23):
        register(org, plate=f"陕A{i:03d}{'X' if i % 2 else '9'}{i % 10}",
                 owner_name="王伟" if i % 3 == 0 else "李娜")
    for pk in Vehicle.objects.order_by("id").values_list("pk", flat=True)[:2]:
        services.vehicle_deactivate(actor=org.users.staff, vehicle_id=pk, reason="Sold")
    register(org, plate="京B12345", owner_name="陕A车队")
    register(org, plate="", kind=Vehicle.Kind.EBIKE, tag_number="陕A-7", owner_name="王伟芳",
             owner_kind=Vehicle.OwnerKind.STUDENT)
    register(org, plate="沪C9A001", owner_name="Wang Wei")
    guard = org.users.guard
    for query in ["陕A", "陕", "陕A0", "a00", "A0", "99", "x1", "王伟", "王伟芳", "李", "Wang",
                  "ang W", "京B", "沪C9a", "陕A-7", "a-7", "学", "9A0"]:
        assert [v.pk for v in selectors.vehicle_lookup(guard, query)] == \
            _lookup_in_one_query(guard, query), query
    with django_assert_num_queries(2):
        found = selectors.vehicle_lookup(guard, "陕A")
    assert len(found) == 20 and all(v.plate.startswith("陕A") for v in found)
    assert [v.is_active for v in found][-2:] == [True, True]


@pytest.mark.parametrize(("fragment", "possible"), [
    ("陕A12345", True), ("12345", True), ("A1", True), ("陕", True), ("1234学", True),
    ("学1", False), ("A陕", False), ("王伟", False), ("A-1", False), ("陕A1234567", False),
    ("", False)])
def test_plate_fragment_possible(fragment, possible):
    assert selectors.plate_fragment_possible(fragment) is possible


def test_visibility(org):
    mine = register(org, owner_id=org.users.student.pk)
    register(org, plate="陕A54321")
    assert selectors.vehicle_list_visible_to(org.users.staff).count() == 2
    assert selectors.vehicle_list_visible_to(org.users.guard).count() == 2
    assert list(selectors.vehicle_list_visible_to(org.users.student)) == [mine]
    assert not selectors.vehicle_list_visible_to(org.users.student2).exists()
    assert selectors.vehicle_lookup(org.users.student, "陕A") == [mine]


# --- pages ---------------------------------------------------------------------------------
def test_lookup_page_and_htmx_results(client, org, at_noon):
    vehicle = register(org)
    services.permit_issue(actor=org.users.staff, vehicle_id=vehicle.pk, valid_from=TODAY,
                          valid_until=dt.date(2026, 12, 31))
    login(client, org.users.guard)
    page = client.get(reverse("traffic:vehicle_lookup"), {"q": "12345"})
    assert page.status_code == 200
    assert b'id="lookup-q"' in page.content and b'data-permit="valid"' in page.content
    partial = client.get(reverse("traffic:vehicle_lookup"), {"q": "a1"}, HTTP_HX_REQUEST="true")
    html = partial.content.decode()
    assert "<html" not in html and "陕A12345" in html and "Valid permit · until 2026-12-31" in html
    empty = client.get(reverse("traffic:vehicle_lookup"), {"q": "陕B"}, HTTP_HX_REQUEST="true")
    assert "No vehicle matches “陕B”." in empty.content.decode()
    login(client, org.users.student)
    assert client.get(reverse("traffic:vehicle_lookup"), {"q": "12345"}).status_code == 403


def test_home_links_by_permission(client, org):
    login(client, org.users.staff)
    html = client.get(reverse("traffic:home")).content.decode()
    assert reverse("traffic:vehicle_list") in html and 'id="home-q"' in html
    login(client, org.users.student)
    html = client.get(reverse("traffic:home")).content.decode()
    assert f'href="{reverse("traffic:vehicle_list")}"' not in html and 'id="home-q"' not in html
    assert reverse("traffic:my_vehicles") in html


def test_vehicle_list_query_count_is_pinned(client, org, django_assert_max_num_queries):
    for i in range(30):
        vehicle = register(org, plate=f"陕A{i:05d}", owner_name=f"Owner {i}",
                           unit_id=org.unit_a.pk, owner_id=org.users.student.pk)
        services.permit_issue(actor=org.users.staff, vehicle_id=vehicle.pk,
                              valid_from=TODAY, valid_until=TODAY)
    login(client, org.users.staff)
    url = reverse("traffic:vehicle_list")
    with django_assert_max_num_queries(12):
        response = client.get(url)
    assert response.content.decode().count('data-vehicle="') == 30
    with django_assert_max_num_queries(12):
        response = client.get(url, {"q": "a0001", "kind": "car", "active": "yes"})
    assert response.content.decode().count('data-vehicle="') == 10
    login(client, org.users.guard)
    assert client.get(url).status_code == 403


def test_register_edit_and_permit_pages(client, org):
    login(client, org.users.staff)
    url = reverse("traffic:vehicle_register")
    bad = client.post(url, {"plate": "陕A1234", "kind": "car", "owner_name": "王",
                            "owner_kind": "staff"})
    assert bad.status_code == 400
    assert "this one has 6." in bad.content.decode()
    ok = client.post(url, {"plate": "陕A12345", "kind": "car", "owner_name": "王",
                           "owner_kind": "staff", "owner": "student1",
                           "idempotency_key": "form-key-0001"})
    vehicle = Vehicle.objects.get()
    assert ok.status_code == 302 and ok.url == reverse("traffic:vehicle_detail", args=[vehicle.pk])
    assert messages_of(ok) == ["Vehicle 陕A12345 registered."]
    again = client.post(url, {"plate": "陕A12345", "kind": "car", "owner_name": "王",
                              "owner_kind": "staff", "idempotency_key": "form-key-0001"})
    assert again.status_code == 302 and Vehicle.objects.count() == 1
    edit = client.post(reverse("traffic:vehicle_edit", args=[vehicle.pk]), {
        "plate": "陕A12346", "kind": "car", "owner_name": "王", "owner_kind": "staff",
        "owner": "student1"})
    assert edit.status_code == 302
    vehicle.refresh_from_db()
    assert vehicle.plate == "陕A12346"
    issue = reverse("traffic:permit_issue", args=[vehicle.pk])
    bad = client.post(issue, {"permit-kind": "long_term", "permit-valid_from": "2026-05-02",
                              "permit-valid_until": "2026-05-01"})
    assert bad.status_code == 400 and "The last day is before the first day." in bad.content.decode()
    ok = client.post(issue, {"permit-kind": "long_term", "permit-valid_from": "2026-05-01",
                             "permit-valid_until": "2026-05-31"})
    assert messages_of(ok) == ["Permit issued: valid 2026-05-01 – 2026-05-31."]
    permit = Permit.objects.get()
    revoke = client.post(reverse("traffic:permit_revoke", args=[permit.pk]), {"reason": ""})
    assert messages_of(revoke)[-1] == "Say why the permit is revoked."
    detail = client.get(reverse("traffic:vehicle_detail", args=[vehicle.pk]))
    assert detail.status_code == 200 and 'data-verb="traffic.permit_issue"' in detail.content.decode()
    # The owner sees the vehicle (no timeline, no forms); others do not.
    login(client, org.users.student)
    own = client.get(reverse("traffic:vehicle_detail", args=[vehicle.pk])).content.decode()
    assert "陕A12346" in own and 'id="permit-form"' not in own and 'id="timeline"' not in own
    assert "陕A12346" in client.get(reverse("traffic:my_vehicles")).content.decode()
    login(client, org.users.student2)
    assert client.get(reverse("traffic:vehicle_detail", args=[vehicle.pk])).status_code == 404
    assert client.get(reverse("traffic:vehicle_register")).status_code == 403


def test_permit_page_refuses_a_past_period_lists_status_today_and_warns_of_overlap(client, org):
    vehicle = register(org)
    login(client, org.users.staff)
    issue = reverse("traffic:permit_issue", args=[vehicle.pk])
    # Given the office issues a temporary permit for January 2020: refused, nothing listed
    past = client.post(issue, {"permit-kind": "temporary", "permit-valid_from": "2020-01-01",
                               "permit-valid_until": "2020-01-10"})
    assert past.status_code == 400
    assert ("The last day (2020-01-10) is already past: a permit must be valid until today "
            "(2026-05-20) or later.") in past.content.decode()
    assert not Permit.objects.exists()
    # A permit that ran out (stored as active) is listed as expired, not as valid
    Permit.objects.create(vehicle=vehicle, valid_from=dt.date(2025, 9, 1),
                          valid_until=dt.date(2026, 5, 19))
    ok = client.post(issue, {"permit-kind": "long_term", "permit-valid_from": "2026-05-01",
                             "permit-valid_until": "2026-12-31"})
    assert messages_of(ok) == ["Permit issued: valid 2026-05-01 – 2026-12-31."]  # old: expired
    # A renewal starting before the current permit ends is issued, with a warning naming it
    renewal = client.post(issue, {"permit-kind": "long_term", "permit-valid_from": "2026-12-01",
                                  "permit-valid_until": "2027-12-31"})
    assert messages_of(renewal)[-2:] == [
        "Permit issued: valid 2026-12-01 – 2027-12-31.",
        "The new permit overlaps the Long-term permit valid 2026-05-01 – 2026-12-31. If it "
        "replaces that one, revoke the old permit."]
    Permit.objects.create(vehicle=vehicle, valid_from=dt.date(2026, 1, 1),
                          valid_until=dt.date(2026, 1, 31), state=Permit.State.REVOKED)
    page = client.get(reverse("traffic:vehicle_detail", args=[vehicle.pk])).content.decode()
    badges = re.findall(r'data-standing="(\w+)">([^<]+)<', page)
    assert badges == [("upcoming", "Not yet valid"), ("valid", "Valid"),
                      ("expired", "Expired"), ("revoked", "Revoked")]


def test_the_hub_and_my_vehicles_link_to_my_vehicles_violations(client, org):
    target = reverse("traffic:my_violations")
    login(client, org.users.student)
    # Without a vehicle there is nothing to link to
    assert 'id="my-violations-link"' not in client.get(reverse("traffic:home")).content.decode()
    register(org, owner_id=org.users.student.pk)
    for page in ("traffic:home", "traffic:my_vehicles"):
        html = client.get(reverse(page)).content.decode()
        link = re.search(r'<a [^>]*id="my-violations-link"[^>]*>.*?</a>', html, re.S).group(0)
        assert f'href="{target}"' in link and "My vehicles' violations" in link
    assert client.get(target).status_code == 200
