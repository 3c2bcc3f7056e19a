"""Open311 keys: issuing (shown once, only the digest stored, a service account), revoking,
who may manage them, and the keys page."""

import hashlib

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from safecampus.accounts.models import Role
from safecampus.community.models import ApiClient
from safecampus.community.services import open311 as services
from safecampus.core.errors import DomainError, NotAllowed
from safecampus.core.models import ActivityEntry

from .open311_helpers import open311_fixture, page_client  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=False)


def test_issue_makes_a_service_account_and_stores_only_the_digest(community, english):
    client, key = services.api_client_issue(actor=community.users.admin, name="随手拍 App",
                                            contact="信息中心 王老师")
    assert len(key) == 43 and client.key_prefix == key[:8]
    assert client.key_hash == hashlib.sha256(key.encode()).hexdigest()
    user = client.user
    assert user.full_name == "随手拍 App" and not user.has_usable_password()
    assert list(user.memberships.values_list("role", flat=True)) == [Role.COMMUNITY_MEMBER]
    assert client.created_by == community.users.admin and client.is_active
    entry = ActivityEntry.objects.get(verb="community.open311_issue")
    assert entry.actor == community.users.admin and key not in str(entry.data)
    _other, other_key = services.api_client_issue(actor=community.users.admin, name="另一个")
    assert other_key != key


def test_issue_refusals(community, english):
    with pytest.raises(NotAllowed):
        services.api_client_issue(actor=community.users.staff, name="随手拍")
    with pytest.raises(NotAllowed):
        services.api_client_issue(actor=community.users.student, name="随手拍")
    with pytest.raises(DomainError) as caught:
        services.api_client_issue(actor=community.users.admin, name="  ", contact="x" * 201)
    assert caught.value.field_errors == {"name": ["Give the client a name."],
                                         "contact": ["At most 200 characters."]}
    services.api_client_issue(actor=community.users.admin, name="随手拍")
    with pytest.raises(DomainError) as caught:
        services.api_client_issue(actor=community.users.admin, name="随手拍")
    assert caught.value.field_errors == {"name": ["A client with this name already exists."]}
    with pytest.raises(DomainError) as caught:
        services.api_client_issue(actor=community.users.admin, name="短钥匙", key="short")
    assert caught.value.field_errors == {
        "key": ["A key has 32 to 128 letters, digits, “-” or “_”."]}
    assert ApiClient.objects.count() == 1


def test_revoke_refuses_the_key_and_is_on_the_timeline(open311, english):
    assert services.api_client_authenticate(key=open311.key) == open311.client
    with pytest.raises(NotAllowed):
        services.api_client_revoke(actor=open311.users.staff, client_id=open311.client.pk)
    client = services.api_client_revoke(actor=open311.users.admin, client_id=open311.client.pk)
    assert not client.is_active and client.revoked_at is not None
    client.user.refresh_from_db()
    assert not client.user.is_active
    assert services.api_client_authenticate(key=open311.key) is None
    assert ActivityEntry.objects.filter(verb="community.open311_revoke",
                                        target_id=client.pk).count() == 1
    with pytest.raises(DomainError, match="This key was already revoked."):
        services.api_client_revoke(actor=open311.users.admin, client_id=client.pk)
    with pytest.raises(DomainError, match="This Open311 client does not exist."):
        services.api_client_revoke(actor=open311.users.admin, client_id="x")


def test_authenticate_ignores_junk(open311):
    for junk in (None, "", " ", "x", open311.key + "x", open311.key.upper(), "é" * 43):
        assert services.api_client_authenticate(key=junk) is None


def test_keys_page_issue_shows_the_key_once(community, client):
    page_client(client, community.users.admin)
    response = client.get(reverse("community:open311_client_issue"))
    assert response.status_code == 200
    response = client.post(reverse("community:open311_client_issue"),
                           {"name": "校园随手拍 App", "contact": "信息中心"})
    assert response.status_code == 200
    created = ApiClient.objects.get()
    key = response.context["key"]
    assert created.key_hash == hashlib.sha256(key.encode()).hexdigest()
    body = response.content.decode()
    assert f'value="{key}"' in body and 'id="copy-key"' in body
    assert "no-store" in response["Cache-Control"]
    listing = client.get(reverse("community:open311_clients")).content.decode()
    assert key not in listing and f"{key[:8]}…" in listing and "校园随手拍 App" in listing
    response = client.post(reverse("community:open311_client_issue"), {"name": "校园随手拍 App"})
    assert response.status_code == 200 and "key" not in response.context
    assert response.context["form"].errors == {"name": ["A client with this name already exists."]}
    assert ApiClient.objects.count() == 1


def test_keys_page_revoke(open311, client):
    page_client(client, open311.users.admin)
    url = reverse("community:open311_client_revoke", args=[open311.client.pk])
    assert client.get(url).status_code == 405
    response = client.post(url)
    assert response.status_code == 302
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "The key of “随手拍” was revoked; its requests are refused from now on."]
    open311.client.refresh_from_db()
    assert not open311.client.is_active
    listing = client.get(reverse("community:open311_clients")).content.decode()
    assert "Key revoked" in listing and "Revoke key" not in listing
    response = client.post(url, follow=True)
    assert "This key was already revoked." in response.content.decode()


@pytest.mark.parametrize("who", ["staff", "student", "leadership", "contact_a"])
def test_keys_page_is_for_office_administrators(community, client, who):
    page_client(client, getattr(community.users, who))
    for url in (reverse("community:open311_clients"),
                reverse("community:open311_client_issue")):
        assert client.get(url).status_code == 403
    assert client.post(reverse("community:open311_client_issue"), {"name": "x"}
                       ).status_code == 403
    assert not ApiClient.objects.exists()
    assert "hub-open311" not in client.get(reverse("community:home")).content.decode()


def test_hub_card_for_administrators_in_chinese(community, client):
    page_client(client, community.users.admin, language="zh-hans")
    body = client.get(reverse("community:home")).content.decode()
    assert 'id="hub-open311"' in body and reverse("community:open311_clients") in body


def test_keys_page_query_count_is_flat(community, client):
    page_client(client, community.users.admin)
    services.api_client_issue(actor=community.users.admin, name="第一个")

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("community:open311_clients")).status_code == 200
        return len(captured)

    few = queries()
    for n in range(6):
        services.api_client_issue(actor=community.users.admin, name=f"客户端{n}")
    assert queries() == few
