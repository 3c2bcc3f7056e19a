"""Changing one's own password (e.g. the initial one the office handed a liaison)."""

import pytest
from django.urls import reverse

from safecampus.accounts.models import Role
from safecampus.tests.factories import user_with_role

pytestmark = pytest.mark.django_db


@pytest.fixture
def liaison():
    user = user_with_role(Role.POLICE_LIAISON, username="liaison1")
    user.set_password("Initial-2026-pass")
    user.save()
    return user


def test_a_user_changes_the_initial_password_and_stays_signed_in(client, liaison):
    # given the liaison signed in with the password the office handed over
    assert client.login(username="liaison1", password="Initial-2026-pass")
    assert reverse("accounts:password_change") in client.get(
        reverse("accounts:profile")).content.decode()
    # when they change it
    response = client.post(reverse("accounts:password_change"), {
        "old_password": "Initial-2026-pass", "new_password1": "Qingming-road-7781",
        "new_password2": "Qingming-road-7781"}, follow=True)
    # then the new password works, the old one does not, and the session goes on
    assert response.redirect_chain[-1][0] == reverse("accounts:profile")
    assert "密码已修改。" in response.content.decode()
    liaison.refresh_from_db()
    assert liaison.check_password("Qingming-road-7781")
    assert not liaison.check_password("Initial-2026-pass")
    assert client.get(reverse("accounts:profile")).status_code == 200


def test_a_wrong_old_password_or_a_weak_new_one_changes_nothing(client, liaison):
    client.force_login(liaison)
    for data in ({"old_password": "wrong", "new_password1": "Qingming-road-7781",
                  "new_password2": "Qingming-road-7781"},
                 {"old_password": "Initial-2026-pass", "new_password1": "12345678",
                  "new_password2": "12345678"}):
        response = client.post(reverse("accounts:password_change"), data)
        assert response.status_code == 200
        assert response.context["form"].errors
    liaison.refresh_from_db()
    assert liaison.check_password("Initial-2026-pass")


def test_signed_out_people_are_sent_to_sign_in(client):
    response = client.get(reverse("accounts:password_change"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login"))
