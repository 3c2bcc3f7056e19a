"""The whole university's figures come from a snapshot the refresh task keeps."""

import pytest
from django.core.cache import cache
from django.urls import reverse

from safecampus.dashboards import selectors
from safecampus.dashboards.services import university_figures_refresh
from safecampus.dashboards.tasks import refresh_university_figures
from safecampus.hazards.tests.helpers import reported

pytestmark = pytest.mark.django_db


def test_refresh_stores_every_campus_in_every_language(org):
    reported(org)
    stored = university_figures_refresh()
    # all campuses + 2 campuses, × zh-hans and en
    assert stored == 3 * 2
    keys = selectors.university_snapshot_keys()
    assert all(cache.get(key) is not None for _cid, _lang, key in keys)
    assert cache.get(keys[0][2])["totals"]["total"] == 1


def test_office_page_reads_the_snapshot_until_the_next_refresh(org, client):
    reported(org)
    university_figures_refresh()
    client.force_login(org.users.staff)
    # given a second report after the snapshot
    reported(org, title="第二个隐患")
    page = client.get(reverse("dashboards:home"))
    # then the office page still shows the snapshot, and says when it was computed
    assert page.context["figures"]["totals"]["total"] == 1
    assert "computed_at" in page.context["figures"]
    # when the task runs (huey is immediate in tests), the page shows the new figure
    refresh_university_figures()
    page = client.get(reverse("dashboards:home"))
    assert page.context["figures"]["totals"]["total"] == 2


def test_unit_page_is_live_not_the_snapshot(org, client):
    reported(org)
    university_figures_refresh()
    client.force_login(org.users.contact_a)
    reported(org, title="第二个隐患")
    page = client.get(reverse("dashboards:home"))
    assert page.context["figures"]["totals"]["total"] == 2
    assert "computed_at" not in page.context["figures"]
