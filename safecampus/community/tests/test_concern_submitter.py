"""The submitter's side: rating the handling once per closing, reopening once within
CONCERN_REOPEN_DAYS days (with the reason the page gives when it is not allowed), and
anonymity of their steps on the timeline."""

import pytest
from django.urls import reverse

from safecampus.community.models import Concern
from safecampus.community.services import concerns as services
from safecampus.core.errors import Conflict, DomainError, NotAllowed
from safecampus.core.models import ActivityEntry
from safecampus.notifications.models import Notification
from safecampus.tests.pages import login

from .concerns_helpers import answered, fresh, later
from .helpers import NOW, submit

pytestmark = pytest.mark.django_db(transaction=False)


def test_rate_once_per_closing(community, english):
    concern = answered(community)
    student = community.users.student
    # not someone else, not out of range
    with pytest.raises(NotAllowed):
        services.concern_rate(actor=community.users.student2, concern_id=concern.pk, rating=5)
    with pytest.raises(NotAllowed):
        services.concern_rate(actor=community.users.staff, concern_id=concern.pk, rating=5)
    for bad in (0, 6, "x", None):
        with pytest.raises(DomainError) as caught:
            services.concern_rate(actor=student, concern_id=concern.pk, rating=bad)
        assert caught.value.field_errors == {
            "rating": ["Choose from 1 (very dissatisfied) to 5 (very satisfied)."]}
    services.concern_rate(actor=student, concern_id=concern.pk, rating=4, comment="处理及时")
    concern = fresh(concern)
    assert (concern.rating, concern.rating_comment, concern.rated_at) == (4, "处理及时", NOW)
    entry = ActivityEntry.objects.get(target_id=concern.pk, verb="community.rate")
    assert entry.actor == student and entry.data == {"rating": 4}
    with pytest.raises(Conflict) as caught:
        services.concern_rate(actor=student, concern_id=concern.pk, rating=5)
    assert caught.value.message == "You already rated the handling of concern SQ-2026-000001."
    assert fresh(concern).rating == 4


def test_an_open_concern_cannot_be_rated(community, english):
    concern = submit(community)
    with pytest.raises(Conflict) as caught:
        services.concern_rate(actor=community.users.student, concern_id=concern.pk, rating=5)
    assert caught.value.message == "Concern SQ-2026-000001 can be rated once it is closed."


def test_anonymous_steps_name_nobody(community):
    concern = answered(community, is_anonymous=True)
    services.concern_rate(actor=community.users.student, concern_id=concern.pk, rating=2)
    services.concern_reopen(actor=community.users.student, concern_id=concern.pk,
                            reason="车位还是不够")
    actors = set(ActivityEntry.objects.filter(
        target_id=concern.pk, verb__in=["community.submit", "community.rate",
                                        "community.reopen"]).values_list("actor", flat=True))
    assert actors == {None}


def test_reopen_once_clears_the_rating_and_tells_the_office(
        community, english, django_capture_on_commit_callbacks):
    # given an answered concern rated 2
    concern = answered(community)
    student = community.users.student
    services.concern_rate(actor=student, concern_id=concern.pk, rating=2, comment="没解决")
    # a reason is required
    with pytest.raises(DomainError) as caught:
        services.concern_reopen(actor=student, concern_id=concern.pk, reason=" ")
    assert caught.value.field_errors == {"reason": ["Say why you are not satisfied."]}
    # when the submitter reopens it three days later
    with later(days=3), django_capture_on_commit_callbacks(execute=True):
        services.concern_reopen(actor=student, concern_id=concern.pk, reason="晚上还是没车位")
    # then it awaits the office again, the rating is cleared but kept on the timeline
    concern = fresh(concern)
    assert concern.state == Concern.State.SUBMITTED and concern.reopen_count == 1
    assert (concern.rating, concern.rating_comment, concern.resolution) == (None, "", "")
    assert concern.reopen_reason == "晚上还是没车位" and concern.closed_at is None
    entry = ActivityEntry.objects.get(target_id=concern.pk, verb="community.reopen")
    assert entry.data == {"rating": 2, "rating_comment": "没解决", "resolution": "answered",
                          "duplicate_of": ""}
    assert (entry.from_state, entry.to_state, entry.comment) == ("closed", "submitted",
                                                                 "晚上还是没车位")
    told = Notification.objects.filter(verb="community.reopen")
    assert set(told.values_list("recipient__username", flat=True)) == {"staff1", "staff2",
                                                                       "admin1"}
    # the expected time counts from the reopening: 19 June (a holiday) + 3 working days
    from safecampus.community.selectors.concerns import concern_expected_at

    assert concern_expected_at(concern).date().isoformat() == "2026-06-24"
    # when the office answers again and the submitter rates it, then it can't be reopened
    with later(days=4):
        services.concern_answer(actor=community.users.staff, concern_id=concern.pk,
                                answer="已协调夜间临时车位。")
        services.concern_rate(actor=student, concern_id=concern.pk, rating=5)
        concern = fresh(concern)
        assert services.concern_reopen_refusal(concern, student) == (
            "This concern was reopened once already; it cannot be reopened again.")
        with pytest.raises(Conflict) as caught:
            services.concern_reopen(actor=student, concern_id=concern.pk, reason="再试")
        assert caught.value.message == (
            "This concern was reopened once already; it cannot be reopened again.")
    assert fresh(concern).rating == 5


def test_reopen_only_within_the_days(community, english, settings):
    settings.SAFECAMPUS = {**settings.SAFECAMPUS, "CONCERN_REOPEN_DAYS": 7}
    concern = answered(community)
    student = community.users.student
    with later(days=6, hours=23):
        assert services.concern_reopen_refusal(fresh(concern), student) == ""
        assert services.concern_reopen_until(fresh(concern)) == NOW.replace(day=23)
        assert student.has_perm("community.reopen_concern", fresh(concern))
    with later(days=7):
        assert not student.has_perm("community.reopen_concern", fresh(concern))
        with pytest.raises(Conflict) as caught:
            services.concern_reopen(actor=student, concern_id=concern.pk, reason="没解决")
    assert caught.value.message == ("More than 7 days have passed since it was closed; "
                                    "submit a new concern instead.")
    assert fresh(concern).state == Concern.State.CLOSED


def test_only_the_submitter_reopens_a_closed_concern(community, english):
    concern = submit(community)
    with pytest.raises(Conflict) as caught:
        services.concern_reopen(actor=community.users.student, concern_id=concern.pk,
                                reason="没解决")
    assert caught.value.message == "Only a closed concern can be reopened."
    services.concern_answer(actor=community.users.staff, concern_id=concern.pk, answer="答复")
    for other in ("student2", "staff", "leadership"):
        with pytest.raises(NotAllowed):
            services.concern_reopen(actor=getattr(community.users, other),
                                    concern_id=concern.pk, reason="没解决")
    assert fresh(concern).state == Concern.State.CLOSED


def test_reopening_a_duplicate_forgets_the_other_concern(community, english, client):
    # given a concern closed as a duplicate of an earlier one
    original = submit(community, title="东门停车难")
    again = submit(community, actor=community.users.student2, title="东门车位不够")
    services.concern_mark_duplicate(actor=community.users.staff, concern_id=again.pk,
                                    duplicate_of_number=original.number)
    assert fresh(again).duplicate_of == original
    # when its submitter reopens it
    services.concern_reopen(actor=community.users.student2, concern_id=again.pk,
                            reason="那边一直没处理")
    # then it no longer says which concern it repeated; the timeline entry keeps it
    again = fresh(again)
    assert again.duplicate_of is None and again.resolution == ""
    entry = ActivityEntry.objects.get(target_id=again.pk, verb="community.reopen")
    assert entry.data["duplicate_of"] == original.number
    # and after the office's new answer its page does not call it a duplicate
    services.concern_answer(actor=community.users.staff, concern_id=again.pk,
                            answer="已在东门增设临时车位。")
    login(client, community.users.student2)
    html = client.get(reverse("community:concern_detail", args=[again.pk])).content.decode()
    assert 'id="concern-duplicate-of"' not in html and "Duplicate of" not in html
    assert "已在东门增设临时车位。" in html
