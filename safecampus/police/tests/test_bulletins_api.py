"""The bulletins API: drafts, incidents, publish, withdraw, open-hazard, send-warning,
liaison scoping and the OpenAPI schema."""
# ruff: noqa: F811  (the bul fixture is imported from bulletins_helpers)

import pytest
from django.conf import settings
from rest_framework.test import APIClient

from safecampus.hazards.models import Hazard
from safecampus.police.models import Bulletin, BulletinRecord

from .bulletins_helpers import bul, draft, published  # noqa: F401

B = "/api/v1/police/bulletins/"
I = "/api/v1/police/incidents/"  # noqa: E741


def api(user):
    client = APIClient()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client.force_authenticate(user)
    return client


def test_liaison_drafts_fills_publishes_and_opens_a_hazard(bul):
    c = api(bul.liaison_xq)
    r = c.post(B, {"title": "五月通报", "period_start": "2026-05-01",
                   "period_end": "2026-05-31"}, format="json", HTTP_IDEMPOTENCY_KEY="key-00001")
    assert r.status_code == 201 and r.data["reference"] == "2026-01"
    again = c.post(B, {"title": "五月通报", "period_start": "2026-05-01",
                       "period_end": "2026-05-31"}, format="json",
                   HTTP_IDEMPOTENCY_KEY="key-00001")
    assert again.status_code == 200 and Bulletin.objects.count() == 1
    bid = r.data["id"]
    r = c.post(I, {"bulletin": bid, "occurred_at": "2026-05-03T21:30:00", "category": "theft",
                   "type_label": "电动车被盗", "proximity": "on_campus",
                   "campus": bul.org.campus1.pk, "place": bul.org.place_a.pk,
                   "relevance": "high"}, format="json")
    assert r.status_code == 201, r.data
    rid = r.data["id"]
    assert c.patch(f"{I}{rid}/", {"summary": "夜间"}, format="json").data["summary"] == "夜间"
    assert c.post(f"{B}{bid}/publish/").data["state"] == "published"
    assert c.patch(f"{I}{rid}/", {"summary": "x"}, format="json").status_code == 403
    r = c.post(f"{I}{rid}/open-hazard/", {"category": bul.org.fire.pk}, format="json")
    assert r.status_code == 201 and r.data["created"] is True
    assert Hazard.objects.get(pk=r.data["id"]).source == "police"
    r = c.post(f"{I}{rid}/open-hazard/", {"category": bul.org.fire.pk}, format="json")
    assert r.status_code == 200 and r.data["created"] is False
    r = c.post(f"{I}{rid}/send-warning/", {"title": "提醒", "body": "锁好车", "level": "warning",
                                           "audience_kind": "year", "audience_year": 2031},
               format="json")
    assert r.status_code == 400 and r.data["code"] == "no_recipients"
    assert BulletinRecord.objects.get().alert_id is None
    r = c.post(f"{I}{rid}/send-warning/", {"title": "提醒", "body": "锁好车", "level": "warning",
                                           "audience_kind": "everyone"}, format="json")
    assert r.status_code == 201
    assert BulletinRecord.objects.get().alert_id == r.data["id"]


def test_other_partners_draft_is_not_found_and_filters_work(bul):
    mine = draft(bul.liaison_xq)
    pub = published(bul.liaison_xq, bul.org)
    c = api(bul.liaison_cx)
    assert c.get(f"{B}{mine.pk}/").status_code == 404
    assert [b["id"] for b in c.get(B).data["results"]] == [pub.pk]
    assert len(c.get(I, {"published": "true"}).data["results"]) == 1
    assert c.get(I, {"campus": bul.org.campus2.pk}).data["results"] == []
    assert c.post(f"{B}{pub.pk}/withdraw/", {"reason": "x"}, format="json").status_code == 403


def test_bad_input_is_a_clear_400(bul):
    c = api(bul.staff)
    r = c.post(B, {"title": "t", "period_start": "2026-05-31", "period_end": "2026-05-01",
                   "partner": bul.xq.pk}, format="json")
    assert r.status_code == 400
    assert r.data["detail"] == "The period ends before it starts."
    assert not Bulletin.objects.exists()


@pytest.mark.django_db
def test_schema_is_valid(client):
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.validation import validate_schema

    schema = SchemaGenerator().get_schema(request=None, public=True)
    validate_schema(schema)
    assert "/api/v1/police/incidents/{id}/open-hazard/" in schema["paths"]
