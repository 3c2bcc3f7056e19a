"""Partners and liaison accounts: who may manage them, the liaison's scope following the
partner's campuses, one partner per user, new accounts without a usable password, the
timeline, the pages (404 for a partner a liaison may not see) and the list's query count."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from safecampus.accounts.models import Membership, Role, User
from safecampus.core.activity import activity_for
from safecampus.core.errors import DomainError, NotAllowed
from safecampus.police.models import Partner, PartnerLiaison
from safecampus.police.services import partners as services
from safecampus.tests.pages import login, text_of

from .meetings_helpers import english, fresh, police

FIXTURES = (english, police)  # the helpers' fixtures, requested by name

pytestmark = pytest.mark.django_db


def liaison_campuses(user) -> set[int]:
    return set(Membership.objects.filter(user=user, role=Role.POLICE_LIAISON)
               .values_list("campus_id", flat=True))


def data(**changes) -> services.PartnerInput:
    fields = {"code": "new", "name": "新派出所", "kind": "police_station", "campus_ids": []}
    return services.PartnerInput(**{**fields, **changes})


def test_a_liaison_gets_one_membership_per_campus_served(org, police):
    # Given station 1 serving campus 1 and its liaison (whose role had no campus before)
    # Then the liaison's scope is exactly campus 1
    assert liaison_campuses(police.liaison1) == {org.campus1.pk}
    assert police.liaison1.has_perm("police.view_meetings")
    assert [e.verb for e in activity_for(police.station1)] == [
        "police.partner_create", "police.liaison_add"]


def test_when_the_partners_campuses_change_its_liaisons_scope_follows(org, police):
    services.partner_update(actor=police.admin, partner_id=police.station1.pk, data=data(
        code="st1", name="北派出所", campus_ids=[org.campus1.pk, org.campus2.pk]))
    assert liaison_campuses(police.liaison1) == {org.campus1.pk, org.campus2.pk}
    services.partner_update(actor=police.admin, partner_id=police.station1.pk, data=data(
        code="st1", name="北派出所", campus_ids=[org.campus2.pk]))
    assert liaison_campuses(police.liaison1) == {org.campus2.pk}
    entry = activity_for(police.station1).last()
    assert entry.verb == "police.partner_update" and entry.data["fields"] == ["campuses"]
    # Deactivating the partner takes the role away; activating it gives it back
    services.partner_update(actor=police.admin, partner_id=police.station1.pk, data=data(
        code="st1", name="北派出所", campus_ids=[org.campus2.pk], is_active=False))
    assert liaison_campuses(police.liaison1) == set()
    assert not fresh(police.liaison1).has_perm("police.view_meetings")


def test_deactivating_a_liaison_removes_only_the_liaison_role(org, police):
    Membership.objects.create(user=police.liaison1, role=Role.COMMUNITY_MEMBER)
    liaison = PartnerLiaison.objects.get(user=police.liaison1)
    services.liaison_deactivate(actor=police.admin, liaison_id=liaison.pk)
    liaison.refresh_from_db()
    assert not liaison.is_active
    assert liaison_campuses(police.liaison1) == set()
    assert Membership.objects.filter(user=police.liaison1, role=Role.COMMUNITY_MEMBER).exists()
    assert activity_for(police.station1).last().verb == "police.liaison_deactivate"


def test_a_user_liaises_for_one_partner_at_most(org, police, english):
    with pytest.raises(DomainError) as error:
        services.liaison_add(actor=police.admin, partner_id=police.brigade.pk,
                             user_id=police.liaison1.pk)
    assert error.value.message == ("This person is already a liaison of 北派出所; a user "
                                   "liaises for one partner at most.")
    with pytest.raises(DomainError) as error:
        services.liaison_add(actor=police.admin, partner_id=police.station1.pk,
                             user_id=police.liaison1.pk)
    assert error.value.message == "This person is already a liaison of this partner."
    # Once deactivated they may move to another partner
    services.liaison_deactivate(actor=police.admin, liaison_id=PartnerLiaison.objects.get(
        user=police.liaison1).pk)
    moved = services.liaison_add(actor=police.admin, partner_id=police.brigade.pk,
                                 user_id=police.liaison1.pk)
    assert moved.partner == police.brigade and moved.is_active
    assert liaison_campuses(police.liaison1) == {org.campus1.pk, org.campus2.pk}


def test_a_new_liaison_account_has_no_usable_password(org, police, english):
    liaison = services.liaison_add(actor=police.admin, partner_id=police.brigade.pk,
                                   username="traffic1", full_name="王警官", phone="13800000000",
                                   post="秩序民警")
    user = User.objects.get(username="traffic1")
    assert liaison.user == user and user.full_name == "王警官"
    assert not user.has_usable_password()
    with pytest.raises(DomainError) as error:
        services.liaison_add(actor=police.admin, partner_id=police.brigade.pk,
                             username="TRAFFIC1", full_name="重名")
    assert error.value.field_errors == {
        "username": ["This user name is taken; pick the existing user instead."]}
    with pytest.raises(DomainError) as error:
        services.liaison_add(actor=police.admin, partner_id=police.brigade.pk, username="a b")
    assert error.value.field_errors == {
        "username": ["Use letters, digits and @ . + - _ only."],
        "full_name": ["Give the liaison's full name."]}


def test_only_the_office_admin_manages_partners(org, police):
    for user in (police.staff, org.users.leadership, police.liaison1):
        with pytest.raises(NotAllowed):
            services.partner_create(actor=user, data=data())
        with pytest.raises(NotAllowed):
            services.liaison_add(actor=user, partner_id=police.brigade.pk, username="x",
                                 full_name="x")


def test_bad_partner_input_is_refused_with_every_field_named(org, police, english):
    with pytest.raises(DomainError) as error:
        services.partner_create(actor=police.admin, data=data(
            code="ST1", name="南派出所", kind="bank", campus_ids=["x", 999999]))
    assert error.value.field_errors == {
        "code": ["Another partner has this code."],
        "name": ["Another partner has this name."],
        "kind": ["Choose the kind of partner."],
        "campuses": ["“x” is not a valid choice.", "Unknown choices: 999999."]}
    assert Partner.objects.count() == 3


def test_create_twice_with_one_key_creates_one_partner(org, police):
    first = services.partner_create(actor=police.admin, data=data(), idempotency_key="k" * 16)
    again = services.partner_create(actor=police.admin, data=data(), idempotency_key="k" * 16)
    assert first == again and Partner.objects.filter(code="new").count() == 1


def test_pages_liaison_sees_only_their_partner(org, police, client):
    login(client, police.liaison1)
    response = client.get(reverse("police:partner_list"))
    assert response.status_code == 200
    assert "北派出所" in text_of(response) and "南派出所" not in text_of(response)
    assert client.get(reverse("police:partner_detail", args=[police.station2.pk])
                      ).status_code == 404
    assert client.get(reverse("police:partner_create")).status_code == 403


def test_office_admin_adds_a_partner_and_a_liaison_on_the_pages(org, police, client):
    login(client, police.admin)
    form = client.get(reverse("police:partner_create"))
    key = form.context["form"].initial["idempotency_key"]
    response = client.post(reverse("police:partner_create"), {
        "code": "fire", "name": "消防救援站", "kind": "fire_rescue",
        "campuses": [org.campus2.pk], "is_active": "on", "idempotency_key": key})
    partner = Partner.objects.get(code="fire")
    assert response.status_code == 302 and response.url == f"/police/partners/{partner.pk}/"
    response = client.post(reverse("police:partner_detail", args=[partner.pk]), {
        "username": "fire1", "full_name": "赵消防", "post": "指导员"})
    assert response.status_code == 302
    assert liaison_campuses(User.objects.get(username="fire1")) == {org.campus2.pk}
    response = client.post(reverse("police:partner_detail", args=[partner.pk]), {
        "user": str(police.liaison1.pk)})
    assert response.status_code == 400
    assert ("This person is already a liaison of 北派出所; a user liaises for one partner at "
            "most.") in text_of(response)
    page = client.get(reverse("police:partner_detail", args=[partner.pk]))
    assert "赵消防" in text_of(page) and "Liaison added" in text_of(page)


def test_partner_list_query_count_is_flat(org, police, client):
    login(client, org.users.leadership)

    def queries():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("police:partner_list")).status_code == 200
        return len(ctx)

    few = queries()
    for n in range(8):
        partner = services.partner_create(actor=police.admin, data=data(
            code=f"p{n}", name=f"派出所{n}", campus_ids=[org.campus1.pk]))
        services.liaison_add(actor=police.admin, partner_id=partner.pk, username=f"l{n}",
                             full_name=f"民警{n}")
    assert queries() == few
