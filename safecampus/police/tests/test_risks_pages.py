"""Risk register pages: the register (filters, query count), a point's page (actions by
permission, no phone for a liaison, 404 for what one may not see), registering, assessing with
a refused value, publishing with its refusals, the Excel export and the hub card."""
# ruff: noqa: F811

import datetime as dt
import io
import json
import re

import openpyxl
import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from safecampus.core import clock
from safecampus.police.models import RiskPoint
from safecampus.police.models.risks import ControlTier

from .risk_map_helpers import give_map
from .risks_helpers import (  # noqa: F401
    assess_lec,
    english,
    local,
    measure,
    published,
    register,
    risk,
)


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
        "responsible_unit": org.unit_a.pk, "responsible_person": risk.contact_a.pk,
        "idempotency_key": "form-key-02"})
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
    assert header[:2] == ("Code", "Risk point name") and "Mobile phone" in header
    assert row[0] == point.code and "双人双锁" in row[header.index("Control measures")]
    assert row[header.index("Mobile phone")] == "13800138000"


def test_the_hub_card_counts_by_level_and_overdue(risk, en):
    published(risk.org)
    en.force_login(risk.staff)
    html = en.get(reverse("police:home")).content.decode()
    assert 'id="hub-risks"' in html and "0 points overdue for review" in html
    en.force_login(risk.org.users.student)
    assert en.get(reverse("police:risk_list")).status_code == 403


def test_a_draft_offers_no_review_request_and_a_published_point_does(risk, en):
    # Given an unassessed draft and a published point, when the office opens them
    draft = register(risk.org, name="草稿")
    shown = published(risk.org)
    en.force_login(risk.staff)
    # Then only the published point offers "Request a review"
    assert "Request a review" not in en.get(draft.get_absolute_url()).content.decode()
    assert "Request a review" in en.get(shown.get_absolute_url()).content.decode()
    # And a hand-made POST on the draft is refused with the state's message
    response = en.post(reverse("police:risk_review_request", args=[draft.pk]),
                       {"reason": "警情"}, follow=True)
    assert "This cannot be done while the risk point is “Draft”." in response.content.decode()


def test_an_empty_assessment_asks_for_each_value_by_name(risk, en):
    point = register(risk.org)
    en.force_login(risk.staff)
    response = en.post(reverse("police:risk_assess", args=[point.pk]),
                       {"method": "lec", "reason": "initial"})
    html = response.content.decode()
    assert response.status_code == 400
    assert "Choose L (the likelihood of an accident)." in html
    assert "Choose E (how often people are exposed to the hazard)." in html
    assert "Choose C (the consequence of an accident)." in html
    assert "must be one of the method" not in html
    response = en.post(reverse("police:risk_assess", args=[point.pk]),
                       {"method": "matrix", "likelihood": "3", "reason": "initial"})
    assert "Choose the severity." in response.content.decode()
    point.refresh_from_db()
    assert point.level == "" and not point.assessments.exists()


def test_the_form_shows_the_campus_map_to_click_and_keeps_the_fields(risk, en):
    # Given campus 1 with a map image and campus 2 without
    org = risk.org
    give_map(org.campus1)
    en.force_login(risk.staff)
    # When the office opens the register form
    response = en.get(reverse("police:risk_create"))
    html = response.content.decode()
    # Then campus 1's map is there to click, the fields stay, and the script knows which
    # campus each place and building is on
    assert f'data-risk-map="{org.campus1.pk}"' in html
    assert f'data-risk-map="{org.campus2.pk}"' not in html
    assert reverse("organisation:campus_map", args=[org.campus1.pk]) in html
    assert 'name="map_x"' in html and 'name="map_y"' in html and "police/risks_form.js" in html
    script = re.search(r'<script id="risk-point-campus-of" type="application/json">(.*?)</script>',
                       html).group(1)
    campus_of = json.loads(script)
    assert campus_of["place"][str(org.place_a.pk)] == str(org.campus1.pk)
    assert campus_of["building"][str(org.building_b.pk)] == str(org.campus2.pk)
    # And the position typed (or set by a click) is saved
    response = en.post(reverse("police:risk_create"), {
        "name": "东门", "kind": "gate", "campus": org.campus1.pk, "map_x": "25.5",
        "map_y": "74.25", "hazard_factors": "人车混行", "idempotency_key": "form-key-09"})
    point = RiskPoint.objects.get(name="东门")
    assert (float(point.map_x), float(point.map_y)) == (25.5, 74.25)


def test_control_tiers_have_their_own_labels_not_a_persons_post(risk, en):
    # "Post" as a control tier (岗位级) is not "Post" as a person's job (职务)
    with translation.override("zh-hans"):
        assert str(ControlTier.POST.label) != translation.gettext("Post")
    point = published(risk.org)
    en.force_login(risk.staff)
    html = en.get(reverse("police:risk_measure_add", args=[point.pk])).content.decode()
    assert '<option value="post">Post</option>' in html
    assert '<option value="university">University</option>' in html


def test_a_reassessment_to_a_higher_level_warns_of_the_missing_tier(risk, en):
    # Given a published moderate point whose one measure is at the team tier
    point = published(risk.org)
    en.force_login(risk.staff)
    assert 'id="tier-missing"' not in en.get(point.get_absolute_url()).content.decode()
    # When it is reassessed as major, then its page warns that no measure is at university level
    assess_lec(risk.org, point, 10, 6, 40)
    html = en.get(point.get_absolute_url()).content.decode()
    assert 'id="tier-missing"' in html
    assert ("No control measure in force, with a responsible person, is at the "
            "“University” tier this level needs or higher: add one.") in html
    # And a university-level measure with its person clears the warning
    measure(risk.org, point, tier="university")
    assert 'id="tier-missing"' not in en.get(point.get_absolute_url()).content.decode()


def test_a_review_due_today_is_not_overdue_until_the_day_has_passed(risk, en):
    # Given a published point assessed on 15 June with a one-day cycle: due 16 June
    point = published(risk.org, review_cycle_days=1)
    point.refresh_from_db()
    assert point.next_review_on == dt.date(2026, 6, 16)
    en.force_login(risk.staff)
    # When it is 16 June, then it is due today, not overdue, on the register, the hub and the page
    with clock.frozen(local(2026, 6, 16, 23, 50)):
        html = en.get(reverse("police:risk_list")).content.decode()
        assert "Review due today: 2026-06-16" in html and "Review overdue: " not in html
        html = en.get(reverse("police:risk_list"), {"overdue": "on"}).content.decode()
        assert "No risk points match." in html
        html = en.get(reverse("police:home")).content.decode()
        assert "0 points overdue for review" in html and "1 point due for review today" in html
        html = en.get(point.get_absolute_url()).content.decode()
        assert "2026-06-16 · due today" in html and "· overdue" not in html
    # When it is 17 June, then it is overdue everywhere
    with clock.frozen(local(2026, 6, 17, 0, 5)):
        html = en.get(reverse("police:risk_list"), {"overdue": "on"}).content.decode()
        assert point.name in html and "Review overdue: 2026-06-16" in html
        html = en.get(reverse("police:home")).content.decode()
        assert "1 point overdue for review" in html
        assert "2026-06-16 · overdue" in en.get(point.get_absolute_url()).content.decode()


def test_the_review_form_sends_one_request_for_a_double_tap(risk, en):
    point = published(risk.org)
    en.force_login(risk.liaison)
    html = en.get(point.get_absolute_url()).content.decode()
    assert 'name="idempotency_key"' in html
    for _tap in range(2):
        response = en.post(reverse("police:risk_review_request", args=[point.pk]),
                           {"reason": "附近发生盗窃警情", "idempotency_key": "page-key-0001"})
        assert response.status_code == 302
    assert point.review_requests.count() == 1
