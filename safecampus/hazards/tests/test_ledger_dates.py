"""Ledger date filters at the edges of the calendar: a day outside 1900–2999 is the filter's
error on the page, a refused export and a 400 from the API, never a 500."""

import pytest
from django.conf import settings
from django.urls import reverse

from safecampus.api.tests.helpers import HAZARDS, client_for

from .helpers import reported

pytestmark = pytest.mark.django_db

TOO_EARLY = "Ensure this value is greater than or equal to 1900-01-01."
TOO_LATE = "Ensure this value is less than or equal to 2999-12-31."


def _login(client, user):
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.mark.parametrize(("field", "value", "message"), [
    ("date_from", "0001-01-01", TOO_EARLY),
    ("date_to", "0001-01-01", TOO_EARLY),
    ("date_from", "9999-12-31", TOO_LATE),
    ("date_to", "9999-12-31", TOO_LATE),
])
def test_ledger_page_shows_a_day_out_of_range_as_a_filter_error(org, client, field, value,
                                                                 message):
    # given a hazard on the ledger
    hazard = reported(org)
    # when the office filters by a day the database cannot hold the start or end of
    response = _login(client, org.users.staff).get(reverse("hazards:ledger"), {field: value})
    # then the page says which filter was not applied and lists the rows without it
    assert response.status_code == 200
    assert list(response.context["form"].errors) == [field]
    html = response.content.decode()
    assert "These filters were not applied:" in html and message in html
    assert hazard.reference in html


def test_ledger_export_refuses_a_day_out_of_range(org, client):
    response = _login(client, org.users.staff).get(reverse("hazards:ledger_export"),
                                                   {"date_to": "9999-12-31"})
    assert response.status_code == 302
    assert response.url.startswith(reverse("hazards:ledger"))


@pytest.mark.parametrize(("field", "value", "message"), [
    ("date_from", "0001-01-01", TOO_EARLY),
    ("date_to", "9999-12-31", TOO_LATE),
])
def test_ledger_api_answers_400_for_a_day_out_of_range(org, field, value, message):
    response = client_for(org.users.staff).get(HAZARDS, {field: value})
    assert response.status_code == 400
    assert response.json()["errors"] == {field: [message]}


def test_ledger_api_takes_the_first_and_last_day_allowed(org):
    hazard = reported(org)
    response = client_for(org.users.staff).get(HAZARDS, {"date_from": "1900-01-01",
                                                         "date_to": "2999-12-31"})
    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == [hazard.pk]
