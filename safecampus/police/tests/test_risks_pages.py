"""Risk register pages: the register (filters, query count), a point's page (actions by
permission, no phone for a liaison, 404 for what one may not see), registering, assessing with
a refused value, publishing with its refusals, the Excel export and the hub card."""
# ruff: noqa: F811

import io

import openpyxl
import pytest
from django.conf import settings
from django.urls import reverse

from safecampus.police.models import RiskPoint

from .risks_helpers import assess_lec, english, measure, published, register, risk  # noqa: F401


@pytest.fixture
def en(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def test_register_list_filters_and_its_query_count_does_not_grow(risk, en,
                                                                 django_assert_max_num_queries):
    org = risk.org
    for n in range(3):
        published(org, name=f"库房{n}")
    register(org, name="草稿点")
    en.force_login(risk.staff)
    with django_assert_max_num_queries(12):
        response = en.get(reverse("police:risk_list"))
    assert response.status_code == 200
    for n in range(10):
        published(org, name=f"更多{n}")
    with django_assert_max_num_queries(12):
        response = en.get(reverse("police:risk_list"))
    html = response.content.decode()
    assert "Moderate risk (yellow)" in html and "Not assessed" in html
    response = en.get(reverse("police:risk_list"), {"state": "draft"})
    assert "草稿点" in response.content.decode() and "库房0" not in response.content.decode()
    response = en.get(reverse("police:risk_list"), {"level": "major", "q": "库房"})
    assert "No risk points match." in response.content.decode()


def test_a_liaison_sees_a_shared_point_without_phones_and_404_for_others(risk, en):
    org = risk.org
    shown = published(org)
    hidden = published(org, shared_with_partners=False, name="不共享")
    en.force_login(risk.staff)
    assert "13800138000" in en.get(shown.get_absolute_url()).content.decode()
    en.force_login(risk.liaison)
    html = en.get(shown.get_absolute_url()).content.decode()
    assert "13800138000" not in html and "Request a review" in html and 'id="publish"' not in html
    assert en.get(hidden.get_absolute_url()).status_code == 404
    data = en.get(reverse("police:risk_export")).content
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert "Mobile phone" not in rows[0] and [r[0] for r in rows[1:]] == [shown.code]


def test_register_assess_with_a_refused_value_then_publish(risk, en):
    org = risk.org
    en.force_login(risk.staff)
    response = en.post(reverse("police:risk_create"), {
        "name": "湖边步道", "kind": "water", "campus": org.campus1.pk,
        "hazard_factors": "夜间照明不足，落水", "responsible_unit": org.unit_a.pk,
        "idempotency_key": "form-key-01"})
    point = RiskPoint.objects.get(name="湖边步道")
    assert response.status_code == 302 and response["Location"] == point.get_absolute_url()
    response = en.post(reverse("police:risk_publish", args=[point.pk]), follow=True)
    html = response.content.decode()
    assert "Assess the risk point before publishing it." in html
    assert "A risk point without a responsible person cannot be published." in html
    response = en.post(reverse("police:risk_assess", args=[point.pk]), {
        "method": "lec", "lec_l": "4", "lec_e": "6", "lec_c": "7", "reason": "initial"})
    assert response.status_code == 400
    assert "L must be one of the method&#x27;s values: 10, 6, 3, 1, 0.5, 0.2, 0.1." in (
        response.content.decode())
    response = en.post(reverse("police:risk_assess", args=[point.pk]), {
        "method": "matrix", "likelihood": "4", "severity": "3", "reason": "initial"})
    assert response.status_code == 302
    point.refresh_from_db()
    assert (point.level, point.score) == ("high", 12)
    response = en.post(reverse("police:risk_measure_add", args=[point.pk]), {
        "kind": "engineering", "description": "加装护栏和夜间照明", "tier": "unit",
        "responsible_unit": org.logistics.pk, "idempotency_key": "form-key-02"})
    assert response.status_code == 302
    response = en.post(reverse("police:risk_edit", args=[point.pk]), {
        "name": "湖边步道", "kind": "water", "campus": org.campus1.pk,
        "hazard_factors": "夜间照明不足，落水", "responsible_unit": org.unit_a.pk,
        "responsible_person": risk.contact_a.pk, "shared_with_partners": "on"})
    assert response.status_code == 302
    response = en.post(reverse("police:risk_publish", args=[point.pk]), follow=True)
    assert "Risk point published." in response.content.decode()
    point.refresh_from_db()
    assert point.state == "published"


def test_a_unit_contact_assesses_but_sees_no_publish_and_cannot_post_it(risk, en):
    point = register(risk.org)
    assess_lec(risk.org, point)
    measure(risk.org, point)
    en.force_login(risk.contact_a)
    html = en.get(point.get_absolute_url()).content.decode()
    assert 'id="assess-link"' in html and 'id="publish"' not in html
    assert en.post(reverse("police:risk_publish", args=[point.pk])).status_code == 403
    assert en.get(reverse("police:risk_assess", args=[point.pk])).status_code == 200
    assert en.get(reverse("police:risk_create")).status_code == 403


def test_the_export_is_the_register_with_measures(risk, en):
    point = published(risk.org)
    en.force_login(risk.staff)
    response = en.get(reverse("police:risk_export"))
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    rows = list(openpyxl.load_workbook(io.BytesIO(response.content)).active
                .iter_rows(values_only=True))
    header, row = rows[0], rows[1]
    assert header[0] == "Code" and "Mobile phone" in header
    assert row[0] == point.code and "双人双锁" in row[header.index("Control measures")]
    assert row[header.index("Mobile phone")] == "13800138000"


def test_the_hub_card_counts_by_level_and_overdue(risk, en):
    published(risk.org)
    en.force_login(risk.staff)
    html = en.get(reverse("police:home")).content.decode()
    assert 'id="hub-risks"' in html and "0 points overdue for review" in html
    en.force_login(risk.org.users.student)
    assert en.get(reverse("police:risk_list")).status_code == 403
