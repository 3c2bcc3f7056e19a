"""The OpenAPI 3 document describes the hazard API and is valid."""

import re

import pytest
from drf_spectacular.validation import validate_schema

from .helpers import client_for

pytestmark = pytest.mark.django_db

PATHS = [
    "/api/v1/auth/token/",
    "/api/v1/hazards/hazards/",
    "/api/v1/hazards/hazards/mine/",
    "/api/v1/hazards/hazards/{id}/",
    "/api/v1/hazards/hazards/{id}/confirm/",
    "/api/v1/hazards/hazards/{id}/reject/",
    "/api/v1/hazards/hazards/{id}/duplicate/",
    "/api/v1/hazards/hazards/{id}/fix-on-spot/",
    "/api/v1/hazards/hazards/{id}/start-rectification/",
    "/api/v1/hazards/hazards/{id}/evidence/",
    "/api/v1/hazards/hazards/{id}/verify/",
    "/api/v1/hazards/hazards/{id}/return/",
    "/api/v1/hazards/hazards/{id}/relocate/",
    "/api/v1/hazards/hazards/{id}/extension-request/",
    "/api/v1/hazards/hazards/{id}/plan/",
    "/api/v1/hazards/extensions/{id}/decide/",
    "/api/v1/hazards/notices/",
    "/api/v1/hazards/notices/{id}/",
    "/api/v1/hazards/notices/{id}/acknowledge/",
    "/api/v1/hazards/notices/{id}/pdf/",
]


@pytest.fixture
def schema(org):
    response = client_for(org.users.staff).get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    return response.json()


def test_schema_is_valid_openapi_3_and_lists_every_path(schema):
    validate_schema(schema)  # raises on an invalid document
    assert schema["openapi"].startswith("3.")
    assert set(PATHS) <= set(schema["paths"])


def test_schema_describes_bodies_responses_and_errors(schema):
    paths, components = schema["paths"], schema["components"]["schemas"]
    report = paths["/api/v1/hazards/hazards/"]["post"]
    assert set(report["requestBody"]["content"]) == {"application/json", "multipart/form-data"}
    multipart = report["requestBody"]["content"]["multipart/form-data"]["schema"]["$ref"]
    photos = components[multipart.rsplit("/", 1)[1]]["properties"]["photos"]
    assert photos["items"] == {"type": "string", "format": "binary"}
    assert {"200", "201", "400"} <= set(report["responses"])
    assert any(p["name"] == "Idempotency-Key" and p["in"] == "header" for p in report["parameters"])
    listing = paths["/api/v1/hazards/hazards/"]["get"]
    names = {p["name"] for p in listing["parameters"]}
    assert {"campus", "unit", "category", "grade", "status", "overdue", "source", "date_from",
            "date_to", "q", "page", "page_size"} <= names
    verify = paths["/api/v1/hazards/hazards/{id}/verify/"]["post"]
    assert {"200", "400", "403", "404", "409"} <= set(verify["responses"])
    error = verify["responses"]["409"]["content"]["application/json"]["schema"]["$ref"]
    assert set(components[error.rsplit("/", 1)[1]]["properties"]) == {"detail", "code", "errors"}
    detail = components["HazardDetail"]["properties"]
    assert {"status_display", "reporter", "photos", "evidence", "plan", "timeline",
            "version"} <= set(detail)
    pdf = paths["/api/v1/hazards/notices/{id}/pdf/"]["get"]["responses"]["200"]["content"]
    assert "application/pdf" in pdf
    assert "tokenAuth" in schema["components"]["securitySchemes"]


def _assert_csp_clean(html: str) -> None:
    """No inline script or style (the CSP is default-src 'self') and nothing from a CDN."""
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), html
    assert "<style" not in html and "style=" not in html
    assert "//cdn" not in html and "https://" not in html


def test_docs_page_runs_swagger_ui_from_local_static_files(org, monkeypatch):
    from safecampus.api import views

    real = views.apps.is_installed
    monkeypatch.setattr(views.apps, "is_installed",
                        lambda name: name == views.ASSETS_APP or real(name))
    response = client_for(org.users.staff).get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    _assert_csp_clean(html)
    assert 'src="/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js"' in html
    assert 'src="/static/api/docs.js"' in html
    assert 'data-schema-url="/api/schema/"' in html


def test_docs_page_without_the_assets_links_the_schema(org, monkeypatch):
    from safecampus.api import views

    real = views.apps.is_installed
    monkeypatch.setattr(views.apps, "is_installed",
                        lambda name: False if name == views.ASSETS_APP else real(name))
    response = client_for(org.users.staff).get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    _assert_csp_clean(html)
    assert "<script" not in html
    assert 'href="/api/schema/"' in html


def test_unknown_api_address_answers_json_404(client):
    response = client.get("/api/v1/hazards/hazards/abc/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
