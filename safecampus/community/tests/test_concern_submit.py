"""Submitting a concern: numbering, where, the category's questions, anonymity, photos, the
straight path into the hazard loop, and idempotency."""

import pytest

from safecampus.community.models import CategoryAttribute, Concern, ConcernPhoto
from safecampus.core.errors import DomainError
from safecampus.core.models import ActivityEntry
from safecampus.hazards.models import Hazard
from safecampus.notifications.models import Notification
from safecampus.tests.factories import photo_upload

from .helpers import submit

pytestmark = pytest.mark.django_db(transaction=False)


def test_submit_numbers_per_year_and_tells_the_office(community, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        first = submit(community)
        second = submit(community, title="南门路灯")
    assert (first.number, second.number) == ("SQ-2026-000001", "SQ-2026-000002")
    assert first.state == Concern.State.SUBMITTED and first.submitter == community.users.student
    told = Notification.objects.filter(verb="community.submit", recipient=community.users.staff)
    assert told.count() == 2
    assert told.order_by("id").first().title == "新诉求 SQ-2026-000001：东门晚上停车位不够"
    assert ActivityEntry.objects.filter(verb="community.submit", target_id=first.pk).get(
    ).actor == community.users.student


def test_anonymous_concern_keeps_submitter_but_no_actor(community):
    concern = submit(community, is_anonymous=True, photos=[photo_upload()])
    assert concern.is_anonymous and concern.submitter == community.users.student
    entry = ActivityEntry.objects.get(verb="community.submit", target_id=concern.pk)
    assert entry.actor is None
    assert ConcernPhoto.objects.get(concern=concern).uploaded_by is None


def test_web_concern_needs_a_campus_and_a_text(community, english):
    with pytest.raises(DomainError) as caught:
        submit(community, title="", description="", campus_id=None)
    assert caught.value.field_errors == {
        "title": ["Say in a few words what troubles you."],
        "campus": ["Choose the campus it is about."]}
    assert not Concern.objects.exists()


def test_category_questions_are_checked(community, english):
    with pytest.raises(DomainError) as caught:
        submit(community, category="lighting", attributes={"lamps": "many", "when": "noon"})
    assert caught.value.field_errors == {
        "attribute[road]": ["Answer “哪条路”."],
        "attribute[lamps]": ["“几盏灯不亮” needs a number."],
        "attribute[when]": ["“noon” is not one of the choices of “什么时段”."]}
    concern = submit(community, category="lighting",
                     attributes={"road": "银杏大道", "lamps": "3", "when": "night", "x": "y"})
    assert concern.attributes == {"road": "银杏大道", "lamps": "3", "when": "night"}


def test_hazard_category_goes_straight_into_the_hazard_loop(community):
    concern = submit(community, category="fire-exit", title="宿舍楼消防通道堆放杂物",
                     place_id=community.org.place_a.pk)
    concern.refresh_from_db()
    assert concern.state == Concern.State.HAZARD
    hazard = Hazard.objects.get(pk=concern.hazard_id)
    assert (hazard.category, hazard.title, hazard.place) == (
        community.org.fire, "宿舍楼消防通道堆放杂物", community.org.place_a)
    assert hazard.source_id == concern.pk and hazard.reporter == community.users.student


def test_address_id_is_a_place_code(community):
    concern = submit(community, campus_id=None, address_id="a1-101")
    assert (concern.place, concern.building, concern.campus) == (
        community.org.place_a, community.org.building_a, community.org.campus1)


def test_same_key_creates_one_concern(community):
    first = submit(community, idempotency_key="key-12345678")
    again = submit(community, idempotency_key="key-12345678")
    assert first.pk == again.pk and Concern.objects.count() == 1


@pytest.fixture
def asked_when(community):
    """A date-time question on the lighting category."""
    return CategoryAttribute.objects.create(
        category=community.lighting, code="seen", description="何时发现",
        datatype="datetime", order=4)


@pytest.mark.parametrize("answers,errors", [
    # years beyond what a date-time can hold once moved to Beijing time
    ({"seen": "0001-01-01T00:00:00+14:00"},
     {"attribute[seen]": ["“何时发现” needs a date between the years 1900 and 2999."]}),
    ({"seen": "9999-12-31T23:59:59-12:00"},
     {"attribute[seen]": ["“何时发现” needs a date between the years 1900 and 2999."]}),
    ({"seen": "1899-12-31T12:00:00+08:00"},
     {"attribute[seen]": ["“何时发现” needs a date between the years 1900 and 2999."]}),
    ({"seen": "2999-12-31T23:00:00-12:00"},  # 3000 in Beijing time
     {"attribute[seen]": ["“何时发现” needs a date between the years 1900 and 2999."]}),
    ({"seen": "yesterday"},
     {"attribute[seen]": ["“何时发现” needs a date and time such as "
                          "2026-05-01T14:30:00+08:00."]}),
    # one choice only, never silently the first of several
    ({"when": ["evening", "night"]}, {"attribute[when]": ["Give one answer to “什么时段”."]}),
    # numbers as long as the web form allows
    ({"lamps": "1" * 41}, {"attribute[lamps]": ["At most 40 characters."]}),
])
def test_out_of_range_answers_are_field_errors(community, english, asked_when, answers,
                                              errors):
    with pytest.raises(DomainError) as caught:
        submit(community, category="lighting", attributes={"road": "银杏大道", **answers})
    assert caught.value.field_errors == errors
    assert not Concern.objects.exists()


def test_answers_at_the_edges_are_kept(community, asked_when):
    concern = submit(community, category="lighting", attributes={
        "road": "银杏\x00大道\x1b", "lamps": "1" * 40, "when": ["night"],
        "seen": "2026-06-15T14:00:00Z"})
    assert concern.attributes == {"road": "银杏大道", "lamps": "1" * 40, "when": "night",
                                  "seen": "2026-06-15T22:00:00+08:00"}
