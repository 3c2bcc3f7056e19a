"""Risk register services: registering (codes, places, map positions, bad input), assessing
(history, next review, review requests resolved), publishing (refusals), place sync on
publish / reassess / move / retire, the state machine's edges, measures, permissions, the
review sweep and a concurrent publish."""
# ruff: noqa: F811  (fixtures imported from risks_helpers)

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import translation

from safecampus.core import clock
from safecampus.core.activity import activity_for
from safecampus.core.errors import Conflict, DomainError, NotAllowed
from safecampus.notifications.models import Notification
from safecampus.police.models import ControlMeasure, RiskAssessment, RiskPoint, RiskReview
from safecampus.police.selectors import risks as selectors
from safecampus.police.services import risks as services
from safecampus.police.services.risk_reviews import risk_review_request
from safecampus.tests.factories import PlaceFactory
from safecampus.tests.threads import race

from .risks_helpers import (  # noqa: F401
    NOW,
    assess_lec,
    assess_matrix,
    english,
    local,
    measure,
    published,
    register,
    risk,
)

pytestmark = pytest.mark.usefixtures("english")


# --- registering ------------------------------------------------------------------------------
def test_codes_follow_the_campus_and_a_place_sets_campus_building_and_position(risk):
    org = risk.org
    org.place_a.map_x, org.place_a.map_y = Decimal("41.5"), Decimal("22")
    org.place_a.save()
    org.building_b.map_x, org.building_b.map_y = Decimal("70"), Decimal("80")
    org.building_b.save()
    first = register(org)
    second = register(org, name="通风橱")
    south = register(org, place=None, campus_id=None, building_id=org.building_b.pk,
                     name="机械楼配电房")
    assert (first.code, second.code, south.code) == ("FX-NORTH-0001", "FX-NORTH-0002",
                                                     "FX-SOUTH-0001")
    assert (first.campus, first.building, first.place) == (org.campus1, org.building_a,
                                                           org.place_a)
    assert (first.map_x, first.map_y) == (Decimal("41.50"), Decimal("22.00"))
    assert (south.campus, south.map_x, south.map_y) == (org.campus2, Decimal("70"), Decimal("80"))
    assert first.state == "draft" and first.level == ""
    assert [e.verb for e in activity_for(first)] == ["police.risk_point_register"]


def test_a_given_map_position_wins_and_the_same_key_registers_once(risk):
    org = risk.org
    data = {"name": "东门", "kind": "gate", "campus_id": org.campus1.pk, "map_x": "12.5",
            "map_y": "90", "hazard_factors": "上下学高峰人车混行"}
    one = services.risk_point_register(actor=risk.staff, data=data, idempotency_key="key-000001")
    two = services.risk_point_register(actor=risk.staff, data=data, idempotency_key="key-000001")
    assert one.pk == two.pk and RiskPoint.objects.count() == 1
    assert (one.map_x, one.map_y) == (Decimal("12.50"), Decimal("90.00"))


def test_bad_input_names_every_field_and_writes_nothing(risk):
    org = risk.org
    with pytest.raises(DomainError) as error:
        services.risk_point_register(actor=risk.staff, data={
            "name": " ", "kind": "volcano", "place_id": org.place_a.pk,
            "campus_id": org.campus2.pk, "map_x": "101", "map_y": "abc",
            "hazard_factors": "", "responsible_person_id": 999999,
            "review_cycle_days": 0})
    assert error.value.field_errors == {
        "name": ["Give the risk point a name."],
        "kind": ["Choose the kind of risk point."],
        "hazard_factors": ["Name the hazard factors."],
        "campus": ["The place is on another campus."],
        "map_x": ["A map position is a percentage from 0 to 100."],
        "map_y": ["A map position is a percentage from 0 to 100."],
        "responsible_person": ["No such person."],
        "review_cycle_days": ["A review cycle is from 1 to 3650 days."]}
    assert RiskPoint.objects.count() == 0


def test_only_the_office_registers(risk):
    with pytest.raises(NotAllowed):
        register(risk.org, actor=risk.contact_a)
    with pytest.raises(NotAllowed):
        register(risk.org, actor=risk.liaison)


# --- assessing --------------------------------------------------------------------------------
def test_reassessment_keeps_history_and_sets_the_next_review(risk):
    org = risk.org
    point = register(org)
    first = assess_lec(org, point)  # 3 × 6 × 7 = 126: moderate, yearly
    point.refresh_from_db()
    assert (point.level, point.method, point.score, point.control_tier) == (
        "moderate", "lec", Decimal("126.00"), "team")
    assert point.next_review_on == dt.date(2027, 6, 15)
    assert point.last_assessed_at == NOW
    with clock.frozen(local(2026, 9, 1, 23, 30)):  # 23:30 local is 15:30 UTC: the local day
        second = assess_matrix(org, point, 4, 5)  # 20: major, every 90 days
    point.refresh_from_db()
    assert (point.level, point.method, point.score, point.control_tier) == (
        "major", "matrix", Decimal("20.00"), "university")
    assert point.next_review_on == dt.date(2026, 9, 1) + dt.timedelta(days=90)
    assert list(selectors.risk_point_assessments(point)) == [second, first]
    assert (first.lec_l, first.lec_e, first.lec_c, first.likelihood) == (
        Decimal("3"), Decimal("6"), Decimal("7"), None)
    assert (second.likelihood, second.severity, second.lec_l) == (4, 5, None)
    assert [e.data["to_level"] for e in activity_for(point)
            if e.verb == "police.risk_point_assess"] == ["moderate", "major"]


def test_the_points_own_cycle_sets_the_next_review(risk):
    point = register(risk.org, review_cycle_days=30)
    assess_lec(risk.org, point, 10, 6, 40)
    point.refresh_from_db()
    assert point.level == "major" and point.next_review_on == dt.date(2026, 7, 15)


def test_an_lec_value_outside_the_method_is_refused_and_nothing_written(risk):
    point = register(risk.org)
    with pytest.raises(DomainError) as error:
        assess_lec(risk.org, point, l=4)
    assert error.value.field_errors == {
        "lec_l": ["L must be one of the method's values: 10, 6, 3, 1, 0.5, 0.2, 0.1."]}
    with pytest.raises(DomainError):
        assess_matrix(risk.org, point, 6, 1)
    point.refresh_from_db()
    assert point.level == "" and RiskAssessment.objects.count() == 0


def test_a_review_request_is_resolved_by_the_next_assessment(risk, django_capture_on_commit_callbacks):
    org = risk.org
    point = published(org)
    with django_capture_on_commit_callbacks(execute=True):
        review = risk_review_request(actor=risk.liaison, risk_point_id=point.pk,
                                     reason="近期周边发生盗窃警情")
    assert selectors.risk_point_open_reviews(point) == [review]
    assert Notification.objects.filter(recipient=risk.contact_a,
                                       verb="police.risk_review_request").count() == 1
    assessment = assess_lec(org, point, reason="incident")
    review.refresh_from_db()
    assert review.assessment == assessment
    assert selectors.risk_point_open_reviews(point) == []
    with pytest.raises(DomainError) as error:
        risk_review_request(actor=risk.staff, risk_point_id=point.pk, reason=" ")
    assert error.value.field_errors == {"reason": ["Say why the risk point should be reviewed."]}


def test_a_draft_cannot_be_asked_for_a_review(risk):
    # Given a draft (not assessed, not published), when a review is requested, then it is
    # refused as the state's conflict and nothing is written
    draft = register(risk.org)
    with pytest.raises(Conflict) as error:
        risk_review_request(actor=risk.staff, risk_point_id=draft.pk, reason="警情")
    assert error.value.message == "This cannot be done while the risk point is “Draft”."
    assert RiskReview.objects.count() == 0


# --- publishing -------------------------------------------------------------------------------
def test_publish_refusals_name_every_missing_piece(risk):
    org = risk.org
    point = register(org, person=None)
    with pytest.raises(DomainError) as error:
        services.risk_point_publish(actor=risk.staff, risk_point_id=point.pk)
    assert error.value.field_errors["__all__"] == [
        "Assess the risk point before publishing it.",
        "A risk point without a responsible person cannot be published.",
        "Add at least one control measure in force, with its responsible unit, before "
        "publishing."]
    assess_lec(org, point)
    measure(org, point)
    with pytest.raises(DomainError) as error:
        services.risk_point_publish(actor=risk.staff, risk_point_id=point.pk)
    assert error.value.message == "A risk point without a responsible person cannot be published."
    point.refresh_from_db()
    assert point.state == "draft" and point.published_at is None


def test_publishing_needs_a_measure_at_the_levels_tier_or_higher_with_a_person(risk):
    # Given a major point (university tier) with a person, measures at a lower tier and one at
    # the right tier without a responsible person
    org = risk.org
    point = register(org)
    assess_lec(org, point, 10, 6, 40)  # 2400: major
    measure(org, point, tier="unit")
    services.control_measure_add(
        actor=risk.staff, risk_point_id=point.pk, kind="management", description="校级督查",
        tier="university", responsible_unit_id=org.unit_a.pk)
    # When publishing, then it is refused naming the tier needed
    with pytest.raises(DomainError) as error:
        services.risk_point_publish(actor=risk.staff, risk_point_id=point.pk)
    assert error.value.field_errors["__all__"] == [
        "Add a control measure in force at the “University” tier or higher, with its "
        "responsible person, before publishing."]
    # And a university-level measure with its person lets it through
    measure(org, point, tier="university")
    assert services.risk_point_publish(actor=risk.staff, risk_point_id=point.pk).state == (
        "published")


def test_a_lower_level_is_controlled_by_a_higher_tier(risk):
    org = risk.org
    point = register(org)
    assess_lec(org, point, 1, 1, 1)  # 1: low, post tier
    measure(org, point, tier="university")
    assert services.risk_point_publish(actor=risk.staff, risk_point_id=point.pk).state == (
        "published")


def test_a_published_point_keeps_its_responsible_person_and_unit(risk):
    org = risk.org
    point = published(org)
    with pytest.raises(DomainError) as error:
        services.risk_point_update(actor=risk.staff, risk_point_id=point.pk,
                                   changes={"responsible_person_id": None,
                                            "responsible_unit_id": ""})
    assert error.value.field_errors == {
        "responsible_person": ["A risk point without a responsible person cannot be published."],
        "responsible_unit": ["A published risk point keeps its responsible unit."]}
    point.refresh_from_db()
    assert (point.responsible_person, point.responsible_unit) == (risk.contact_a, org.unit_a)
    # A draft may still be left without them (publishing asks for the person)
    draft = register(org, name="草稿")
    services.risk_point_update(actor=risk.staff, risk_point_id=draft.pk,
                               changes={"responsible_person_id": None})
    draft.refresh_from_db()
    assert draft.responsible_person is None


def test_the_same_key_requests_a_review_once(risk, django_capture_on_commit_callbacks):
    point = published(risk.org)
    with django_capture_on_commit_callbacks(execute=True):
        first = risk_review_request(actor=risk.liaison, risk_point_id=point.pk, reason="警情",
                                    idempotency_key="review-key-01")
        again = risk_review_request(actor=risk.liaison, risk_point_id=point.pk, reason="警情",
                                    idempotency_key="review-key-01")
    assert first.pk == again.pk and RiskReview.objects.count() == 1
    assert Notification.objects.filter(verb="police.risk_review_request").count() == 1
    with pytest.raises(Conflict):  # someone else's key never replays another's request
        risk_review_request(actor=risk.staff, risk_point_id=point.pk, reason="警情",
                            idempotency_key="review-key-01")


def test_a_withdrawn_measure_does_not_count_and_the_last_one_stays(risk):
    org = risk.org
    point = register(org)
    assess_lec(org, point)
    only = measure(org, point)
    services.control_measure_withdraw(actor=risk.staff, measure_id=only.pk, reason="重写")
    with pytest.raises(DomainError):
        services.risk_point_publish(actor=risk.staff, risk_point_id=point.pk)
    kept = measure(org, point)
    services.risk_point_publish(actor=risk.staff, risk_point_id=point.pk)
    with pytest.raises(DomainError) as error:
        services.control_measure_withdraw(actor=risk.staff, measure_id=kept.pk)
    assert error.value.message == ("A published risk point keeps at least one control measure "
                                   "in force: add another one first.")
    assert ControlMeasure.objects.get(pk=kept.pk).is_active


def test_fsm_edges(risk):
    org = risk.org
    draft = register(org, name="草稿")
    with pytest.raises(Conflict) as error:
        services.risk_point_retire(actor=risk.staff, risk_point_id=draft.pk, reason="x")
    assert error.value.message == "This cannot be done while the risk point is “Draft”."
    point = published(org)
    with pytest.raises(Conflict) as error:
        services.risk_point_publish(actor=risk.staff, risk_point_id=point.pk)
    assert error.value.message == "This cannot be done while the risk point is “Published”."
    with pytest.raises(DomainError) as error:
        services.risk_point_retire(actor=risk.staff, risk_point_id=point.pk, reason=" ")
    assert error.value.field_errors == {"reason": ["Say why the risk point is retired."]}
    services.risk_point_retire(actor=risk.staff, risk_point_id=point.pk, reason="库房已拆除")
    retired = "This cannot be done while the risk point is “Retired”."
    for call in (lambda: services.risk_point_publish(actor=risk.staff, risk_point_id=point.pk),
                 lambda: services.risk_point_retire(actor=risk.staff, risk_point_id=point.pk,
                                                    reason="again"),
                 lambda: assess_lec(org, point),
                 lambda: measure(org, point),
                 lambda: services.risk_point_update(actor=risk.staff, risk_point_id=point.pk,
                                                    changes={"name": "x"}),
                 lambda: risk_review_request(actor=risk.staff, risk_point_id=point.pk,
                                             reason="x")):
        with pytest.raises(Conflict) as error:
            call()
        assert error.value.message == retired
    assert [(e.verb, e.from_state, e.to_state) for e in activity_for(point)
            if e.to_state] == [("police.risk_point_register", "", "draft"),
                               ("police.risk_point_publish", "draft", "published"),
                               ("police.risk_point_retire", "published", "retired")]


# --- place sync -------------------------------------------------------------------------------
def test_place_level_follows_publish_reassess_move_and_retire(risk):
    org = risk.org
    place = org.place_a
    draft = register(org, name="未发布")
    assess_lec(org, draft, 10, 10, 100)  # a draft's level does not count
    place.refresh_from_db()
    assert place.risk_level == ""
    moderate = published(org, name="一般")
    place.refresh_from_db()
    assert place.risk_level == "moderate"
    major = published(org, name="重大")
    assess_lec(org, major, 10, 6, 40)
    place.refresh_from_db()
    assert place.risk_level == "major"
    assess_matrix(org, major, 1, 1)  # reassessed down to low: the moderate point leads
    place.refresh_from_db()
    assert place.risk_level == "moderate"
    other = PlaceFactory(building=org.building_a, campus=org.campus1, code="a1-102")
    services.risk_point_update(actor=risk.staff, risk_point_id=moderate.pk,
                               changes={"place_id": other.pk})
    place.refresh_from_db()
    other.refresh_from_db()
    assert (place.risk_level, other.risk_level) == ("low", "moderate")
    services.risk_point_retire(actor=risk.staff, risk_point_id=major.pk, reason="已整治")
    place.refresh_from_db()
    assert place.risk_level == ""
    assert [(e.from_state, e.to_state) for e in activity_for(place)
            if e.verb == "organisation.place_risk_level"] == [
        ("", "moderate"), ("moderate", "major"), ("major", "moderate"), ("moderate", "low"),
        ("low", "")]


# --- permissions ------------------------------------------------------------------------------
def test_a_liaison_sees_only_shared_published_points_of_their_campuses(risk):
    org = risk.org
    shown = published(org, name="共享")
    published(org, name="不共享", shared_with_partners=False)
    register(org, name="草稿")
    published(org, name="南校区", place=org.place_b, unit=org.unit_b, person="contact_b")
    assert list(selectors.risk_points_visible_to(risk.liaison)) == [shown]
    assert risk.liaison.has_perm("police.view_risk_point", shown)
    assert not risk.liaison.has_perm("police.view_contacts")
    with pytest.raises(NotAllowed):
        assess_lec(org, shown, actor=risk.liaison)
    review = risk_review_request(actor=risk.liaison, risk_point_id=shown.pk, reason="警情")
    assert review.requested_by == risk.liaison


def test_a_unit_contact_sees_their_units_points_assesses_but_cannot_publish(risk):
    org = risk.org
    own = register(org)
    register(org, place=org.place_b, unit=org.unit_b, person="contact_b", name="机械")
    assert list(selectors.risk_points_visible_to(risk.contact_a)) == [own]
    assess_lec(org, own, actor=risk.contact_a)
    measure(org, own, actor=risk.contact_a)
    with pytest.raises(NotAllowed):
        services.risk_point_publish(actor=risk.contact_a, risk_point_id=own.pk)
    with pytest.raises(NotAllowed):
        services.risk_point_update(actor=risk.contact_a, risk_point_id=own.pk,
                                   changes={"name": "x"})
    other = RiskPoint.objects.get(name="机械")
    with pytest.raises(NotAllowed):
        assess_lec(org, other, actor=risk.contact_a)


# --- the review sweep -------------------------------------------------------------------------
def test_the_review_sweep_reminds_once_per_due_date(risk, django_capture_on_commit_callbacks):
    org = risk.org
    yearly = published(org, name="一般")  # due 2027-06-15
    major = published(org, name="重大")
    assess_lec(org, major, 10, 6, 40)  # due 2026-09-13
    draft = register(org, name="草稿")
    assess_lec(org, draft, 10, 6, 40)
    assert services.risk_reviews_remind(today=dt.date(2026, 9, 12)) == 0
    with django_capture_on_commit_callbacks(execute=True):
        assert services.risk_reviews_remind(today=dt.date(2026, 9, 13)) == 1
        assert services.risk_reviews_remind(today=dt.date(2026, 9, 14)) == 0  # already told
    major.refresh_from_db()
    assert major.review_reminded_for == dt.date(2026, 9, 13)
    told = Notification.objects.filter(verb="police.risk_review_due")
    assert sorted(n.recipient.username for n in told) == ["contact_a", "staff1", "staff2"]
    assert told.first().title == "风险点 FX-NORTH-0002 重大 已到复评日期（2026-09-13）。"
    # Reassessed: a new due date is reminded again, once; a moderate point tells no office staff.
    with clock.frozen(local(2026, 9, 14, 9)):
        assess_lec(org, major, 3, 6, 7)
        assert yearly.pk != major.pk
    with django_capture_on_commit_callbacks(execute=True):
        assert services.risk_reviews_remind(today=dt.date(2027, 9, 14)) == 2
        assert services.risk_reviews_remind(today=dt.date(2027, 9, 14)) == 0
    assert Notification.objects.filter(verb="police.risk_review_due").count() == 5


# --- a concurrent publish ---------------------------------------------------------------------
@pytest.mark.django_db(transaction=True)
def test_two_publishing_at_once_one_wins(org):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL row locks and parallel connections; SQLite serialises "
                    "writers (run with DATABASE_URL=postgres://…)")
    with translation.override("en"), clock.frozen(NOW):
        point = register(org)
        assess_lec(org, point)
        measure(org, point)
    outcomes = race([lambda u=u: services.risk_point_publish(actor=u, risk_point_id=point.pk)
                     for u in (org.users.staff, org.users.staff2)], at=NOW)
    errors = [error for _outcome, error in outcomes if error]
    assert len(errors) == 1 and isinstance(errors[0], Conflict)
    assert errors[0].message == "This cannot be done while the risk point is “Published”."
    assert [e.verb for e in activity_for(point)].count("police.risk_point_publish") == 1
    assert RiskReview.objects.count() == 0


def test_a_responsible_person_belongs_to_the_responsible_unit(risk):
    """A point's or a measure's responsible person is of the responsible unit (or of the
    security office); someone of another unit is refused and nothing is written."""
    org = risk.org
    with pytest.raises(DomainError) as error:
        services.risk_point_register(actor=org.users.staff, data={
            "name": "北门", "kind": "gate", "campus_id": org.campus1.pk,
            "hazard_factors": "人车混行", "responsible_unit_id": org.logistics.pk,
            "responsible_person_id": risk.contact_a.pk})
    assert list(error.value.field_errors) == ["responsible_person"]
    point = services.risk_point_register(actor=org.users.staff, data={
        "name": "北门", "kind": "gate", "campus_id": org.campus1.pk,
        "hazard_factors": "人车混行", "responsible_unit_id": org.unit_a.pk,
        "responsible_person_id": risk.contact_a.pk})
    with pytest.raises(DomainError) as error:
        services.control_measure_add(actor=org.users.staff, risk_point_id=point.pk,
                                     kind="management", description="高峰执勤", tier="unit",
                                     responsible_unit_id=org.logistics.pk,
                                     responsible_person_id=risk.contact_a.pk)
    assert list(error.value.field_errors) == ["responsible_person"]
    assert not ControlMeasure.objects.exists()
    services.control_measure_add(actor=org.users.staff, risk_point_id=point.pk,
                                 kind="management", description="高峰执勤", tier="unit",
                                 responsible_unit_id=org.logistics.pk,
                                 responsible_person_id=org.users.staff.pk)  # the office
    assert ControlMeasure.objects.count() == 1
