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
from safecampus.organisation.models import Campus
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
    campus = Campus.objects.order_by("pk").first()
    fields = {"code": "new", "name": "新派出所", "kind": "police_station",
              "campus_ids": [campus.pk]}
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
        "user": police.liaison1.username})
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


# --- fix round: picking existing users, initial passwords, phones ---------------------------
def test_an_existing_user_is_found_by_user_name_number_or_name(org, police, english):
    student = org.users.student
    User.objects.filter(pk=student.pk).update(full_name="张学生", employee_number="2024001")
    for reference in ("STUDENT1", "2024001", "张学生"):
        liaison = services.liaison_add(actor=police.admin, partner_id=police.brigade.pk,
                                       user_ref=reference)
        assert liaison.user == student
        services.liaison_deactivate(actor=police.admin, liaison_id=liaison.pk)
    with pytest.raises(DomainError) as error:
        services.liaison_add(actor=police.admin, partner_id=police.brigade.pk, user_ref="nobody")
    assert error.value.field_errors == {"user": [
        "No active user has the user name, number or name “nobody”; pick one from the list."]}


def test_the_user_search_suggests_anyone_by_name_or_number(org, police, client):
    User.objects.filter(pk=org.users.student.pk).update(full_name="张学生",
                                                         employee_number="2024001")
    login(client, police.admin)
    url = reverse("police:partner_user_search", args=[police.brigade.pk])
    for text in ("学生", "2024", "student1"):
        html = client.get(url, {"user": text}).content.decode()
        assert '<option value="student1">张学生 · 2024001</option>' in html
    # Active liaisons are not offered; the page's own list is there without typing
    assert "police1" not in client.get(url, {"user": "police"}).content.decode()
    page = client.get(reverse("police:partner_detail", args=[police.brigade.pk]))
    assert 'list="liaison-users"' in page.content.decode()
    assert 'hx-get="' + url + '"' in page.content.decode()
    login(client, police.staff)
    assert client.get(url, {"user": "x"}).status_code == 403


def test_a_new_account_gets_the_initial_password_checked_and_hashed(org, police, english):
    with pytest.raises(DomainError) as error:
        services.liaison_add(actor=police.admin, partner_id=police.brigade.pk,
                             username="traffic2", full_name="李警官", phone="abc",
                             password="123")
    assert error.value.field_errors["phone"] == [
        "Enter a phone number (digits, with spaces, +, - or brackets)."]
    assert error.value.field_errors["password"][0] == (
        "This password is too short. It must contain at least 8 characters.")
    assert not User.objects.filter(username="traffic2").exists()
    liaison = services.liaison_add(actor=police.admin, partner_id=police.brigade.pk,
                                   username="traffic2", full_name="李警官",
                                   phone="１３８ 0000 0000", password="Jiaojing-2026!")
    user = liaison.user
    assert user.check_password("Jiaojing-2026!") and "Jiaojing" not in user.password
    assert user.phone == "138 0000 0000"
    assert activity_for(police.brigade).last().data["password_set"] is True


def test_a_partners_duty_phone_is_checked(org, police, english):
    with pytest.raises(DomainError) as error:
        services.partner_create(actor=police.admin, data=data(phone="abc"))
    assert error.value.field_errors == {
        "phone": ["Enter a phone number (digits, with spaces, +, - or brackets)."]}


def test_adding_a_new_liaison_with_a_password_on_the_page(org, police, client):
    login(client, police.admin)
    url = reverse("police:partner_detail", args=[police.brigade.pk])
    response = client.post(url, {"username": "traffic3", "full_name": "周警官",
                                 "phone": "13900000000", "password": "Jiaojing-2026!"})
    assert response.status_code == 302
    assert "ask them to change the password" in " ".join(
        str(m) for m in response.wsgi_request._messages)
    assert User.objects.get(username="traffic3").check_password("Jiaojing-2026!")
    response = client.post(url, {"username": "traffic4", "full_name": "吴警官",
                                 "phone": "abc", "password": "Jiaojing-2026!"})
    assert response.status_code == 400
    assert "Enter a phone number" in text_of(response)
    assert 'value="Jiaojing-2026!"' not in response.content.decode()  # never echoed


def test_a_partner_serves_at_least_one_campus(org, police, english):
    with pytest.raises(DomainError) as error:
        services.partner_create(actor=police.admin, data=data(campus_ids=[]))
    assert error.value.field_errors == {
        "campuses": ["Choose at least one campus the partner serves."]}
    # One left without campuses (from before the rule) gets no liaison
    police.brigade.campuses.clear()
    with pytest.raises(DomainError) as error:
        services.liaison_add(actor=police.admin, partner_id=police.brigade.pk,
                             username="t9", full_name="无校区")
    assert error.value.message == ("This partner serves no campus yet, so a liaison would see "
                                   "nothing: give it its campuses first.")
    assert not User.objects.filter(username="t9").exists()
