"""``demo_accounts --all`` lists the accounts one can sign in as, not API clients' users."""

import pytest
from django.utils import translation

from safecampus.accounts.models import User
from safecampus.community.services.open311 import api_client_issue
from safecampus.demo.accounts import demo_account_rows

pytestmark = pytest.mark.django_db


def test_an_open311_clients_user_is_not_listed_as_a_sign_in_account(org):
    # given an Open311 client (its user has no usable password; the API key is its credential)
    client, _key = api_client_issue(actor=org.users.admin, name="校园服务小程序")
    service_user = User.objects.get(pk=client.user_id)
    assert not service_user.has_usable_password()
    # when every demo account is listed
    with translation.override("en"):
        rows = demo_account_rows(everyone=True)
    usernames = {row.username for row in rows}
    # then the people are there with the demo password, the client's user is not
    assert {"staff1", "guard1", "student1"} <= usernames
    assert service_user.username not in usernames
    assert all(User.objects.get(username=row.username).has_usable_password() for row in rows)
