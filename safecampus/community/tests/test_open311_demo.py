"""The Open311 part of the demo: one client with the published demo key and about twenty
requests posted through the endpoint's services into the categories that exist."""

import random
from types import SimpleNamespace

import pytest

from safecampus.community.models import ApiClient, Concern
from safecampus.community.services.open311 import api_client_authenticate
from safecampus.core import clock
from safecampus.demo.community_open311 import CLIENT_NAME, DEMO_KEY, Open311Demo

from .helpers import NOW

pytestmark = pytest.mark.django_db(transaction=False)


def _replay(demo):
    for at, action in sorted(demo.events(), key=lambda e: e[0]):
        assert at < NOW
        with clock.frozen(at):
            action()
    demo.backdate()


def test_demo_client_and_requests(community):
    world = SimpleNamespace(places=[community.org.place_a, community.org.place_b])
    demo = Open311Demo(random.Random(7), world, NOW)
    _replay(demo)
    client = ApiClient.objects.get()
    assert client.name == CLIENT_NAME and api_client_authenticate(key=DEMO_KEY) == client
    made = Concern.objects.filter(api_client=client)
    assert demo.counts["open311_clients"] == 1
    assert 15 <= demo.counts["open311_requests"] == made.count() <= 20
    assert set(made.values_list("channel", flat=True)) == {"open311"}
    assert all(c.description and c.account_id.startswith("ssp-") for c in made)
    assert made.filter(category=community.lighting).exclude(attributes={}).count() == (
        made.filter(category=community.lighting).count())
    assert min(made.values_list("submitted_at", flat=True)) >= client.created_at
    # Untouched since posted: created and last changed when they were posted.
    assert all(c.created_at == c.updated_at == c.submitted_at for c in made)


def test_demo_without_categories_posts_nothing(org):
    demo = Open311Demo(random.Random(7), SimpleNamespace(places=[]), NOW)
    with clock.frozen(NOW):
        _replay(demo)
    assert demo.counts == {"open311_clients": 1, "open311_requests": 0}
    assert not Concern.objects.exists()
