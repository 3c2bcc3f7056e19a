"""Risk register API: list with filters, retrieve with measures and assessments, create
(idempotent), update, assess (refused values are 400 naming the field), measures, publish
(refusals), retire, request a review; a liaison's view without phones; the OpenAPI schema."""
# ruff: noqa: F811

import pytest
from django.conf import settings
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema

from safecampus.police.models import RiskPoint

from .risks_helpers import english, published, register, risk  # noqa: F401

URL = "/api/v1/police/risk-points/"


@pytest.fixture
def api(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def _post(api, url, data=None, **headers):
    return api.post(url, data or {}, content_type="application/json", **headers)


def test_the_whole_flow_through_the_api(risk, api):
    org = risk.org
    api.force_login(risk.staff)
    body = {"name": "南门晚高峰", "kind": "gate", "place": org.place_a.pk,
            "hazard_factors": "人车混行", "responsible_unit": org.unit_a.pk}
    first = _post(api, URL, body, HTTP_IDEMPOTENCY_KEY="api-key-0001")
    again = _post(api, URL, body, HTTP_IDEMPOTENCY_KEY="api-key-0001")
    assert (first.status_code, again.status_code) == (201, 200)
    point = first.json()
    assert point["id"] == again.json()["id"] and point["code"] == "FX-NORTH-0001"
    assert point["campus"] == {"id": org.campus1.pk, "name": "北校区"}
    url = f"{URL}{point['id']}/"
    response = _post(api, url + "publish/")
    assert response.status_code == 400
    assert response.json()["errors"]["__all__"][0] == "Assess the risk point before publishing it."
    response = _post(api, url + "assess/", {"method": "lec", "lec_l": "4", "lec_e": "6",
                                             "lec_c": "7"})
    assert response.status_code == 400
    assert response.json()["errors"] == {
        "lec_l": ["L must be one of the method's values: 10, 6, 3, 1, 0.5, 0.2, 0.1."]}
    response = _post(api, url + "assess/", {"method": "lec", "lec_l": "10", "lec_e": "1",
                                             "lec_c": "7", "reason": "initial"})
    assert response.status_code == 200
    assert (response.json()["level"], response.json()["score"]) == ("moderate", "70.00")
    response = _post(api, url + "measures/", {"kind": "management", "description": "高峰执勤",
                                               "tier": "post",
                                               "responsible_unit": org.unit_a.pk,
                                               "responsible_person": risk.contact_a.pk})
    assert response.status_code == 201 and len(response.json()["measures"]) == 1
    api.patch(url, {"responsible_person": risk.contact_a.pk}, content_type="application/json")
    response = _post(api, url + "publish/")  # a post-level measure cannot control a moderate risk
    assert response.status_code == 400
    assert response.json()["errors"]["__all__"] == [
        "Add a control measure in force at the “Team or laboratory” tier or higher, with its "
        "responsible person, before publishing."]
    response = _post(api, url + "measures/", {"kind": "management", "description": "高峰执勤",
                                               "tier": "unit",
                                               "responsible_unit": org.unit_a.pk,
                                               "responsible_person": risk.contact_a.pk})
    assert response.status_code == 201 and len(response.json()["measures"]) == 2
    response = api.patch(url, {"responsible_person": risk.contact_a.pk},
                         content_type="application/json")
    assert response.status_code == 200
    assert response.json()["responsible_person"]["phone"] == "13800138000"
    response = _post(api, url + "publish/")
    assert response.status_code == 200 and response.json()["state"] == "published"
    org.place_a.refresh_from_db()
    assert org.place_a.risk_level == "moderate"
    response = _post(api, url + "request-review/", {"reason": "附近发生交通事故"},
                     HTTP_IDEMPOTENCY_KEY="review-key-01")
    assert response.status_code == 201 and len(response.json()["open_reviews"]) == 1
    response = _post(api, url + "request-review/", {"reason": "附近发生交通事故"},
                     HTTP_IDEMPOTENCY_KEY="review-key-01")  # a retry: the same request
    assert response.status_code == 200 and len(response.json()["open_reviews"]) == 1
    response = _post(api, url + "assess/", {"method": "matrix", "likelihood": 5,
                                             "severity": 4, "reason": "incident"})
    detail = response.json()
    assert detail["level"] == "major" and detail["open_reviews"] == []
    assert [a["level"] for a in detail["assessments"]] == ["major", "moderate"]
    response = _post(api, url + "retire/", {"reason": "改道"})
    assert response.status_code == 200 and response.json()["state"] == "retired"
    response = _post(api, url + "retire/", {"reason": "改道"})
    assert response.status_code == 409


def test_list_filters_and_a_liaisons_view(risk, api):
    org = risk.org
    shared = published(org)
    published(org, name="不共享", shared_with_partners=False)
    register(org, name="草稿")
    api.force_login(risk.staff)
    rows = api.get(URL, {"state": "published"}).json()["results"]
    assert len(rows) == 2
    assert [r["name"] for r in api.get(URL, {"level": "none"}).json()["results"]] == ["草稿"]
    assert api.get(URL, {"campus": org.campus2.pk}).json()["results"] == []
    api.force_login(risk.liaison)
    rows = api.get(URL).json()["results"]
    assert [r["id"] for r in rows] == [shared.pk]
    assert rows[0]["responsible_person"]["phone"] is None
    hidden = RiskPoint.objects.get(name="不共享")
    assert api.get(f"{URL}{hidden.pk}/").status_code == 404
    assert _post(api, f"{URL}{shared.pk}/publish/").status_code == 403
    assert _post(api, URL, {"name": "x"}).status_code == 403


def test_the_schema_is_valid():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    validate_schema(schema)
    assert "/api/v1/police/risk-points/{id}/assess/" in schema["paths"]


def test_a_full_update_keeps_sharing_and_cannot_drop_the_responsible_person(risk, api):
    # Given a published point not shared with the police
    org = risk.org
    point = published(org, shared_with_partners=False)
    api.force_login(risk.staff)
    body = {"name": "危化品库房", "kind": "hazardous_goods", "place": org.place_a.pk,
            "hazard_factors": "易燃易爆化学品储存", "responsible_unit": org.unit_a.pk,
            "responsible_person": risk.contact_a.pk}
    # When a PUT leaves out shared_with_partners, then the point stays unshared
    response = api.put(f"{URL}{point.pk}/", body, content_type="application/json")
    assert response.status_code == 200, response.content
    point.refresh_from_db()
    assert point.shared_with_partners is False
    # When a PUT leaves out the responsible person, then it is refused with the publish rule
    del body["responsible_person"]
    response = api.put(f"{URL}{point.pk}/", body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["errors"] == {
        "responsible_person": ["A risk point without a responsible person cannot be published."]}
    point.refresh_from_db()
    assert point.responsible_person == risk.contact_a
    # And a create without it still shares the point
    response = _post(api, URL, {"name": "东门", "kind": "gate", "campus": org.campus1.pk,
                                "hazard_factors": "人车混行"})
    assert response.status_code == 201 and response.json()["shared_with_partners"] is True
