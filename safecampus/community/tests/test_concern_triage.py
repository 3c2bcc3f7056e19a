"""The office's triage of a concern: answer, fix at once, plan (and re-plan, complete), turn
into a hazard, close as a duplicate. Every allowed and forbidden edge of the state machine,
stale forms, permissions, and the submitter being told."""

import datetime as dt

import pytest

from safecampus.community.models import Concern, ConcernPhoto, Resolution
from safecampus.community.services import concerns as services
from safecampus.core.errors import Conflict, DomainError, NotAllowed
from safecampus.core.models import ActivityEntry
from safecampus.hazards.models import Hazard
from safecampus.notifications.models import Notification
from safecampus.tests.factories import photo_upload

from .concerns_helpers import answered, fresh, in_hazard, later, planned
from .helpers import NOW, submit

pytestmark = pytest.mark.django_db(transaction=False)


def entries(concern, verb):
    return ActivityEntry.objects.filter(target_id=concern.pk, verb=verb)


def test_answer_closes_and_tells_the_submitter(community, django_capture_on_commit_callbacks):
    # given a submitted concern
    concern = submit(community)
    # when the office answers it with a photo
    with django_capture_on_commit_callbacks(execute=True), later(hours=2):
        services.concern_answer(actor=community.users.staff, concern_id=concern.pk,
                                answer="已协调增设车位。", photos=[photo_upload()])
    # then it is closed as answered, the answer time counts, the submitter is told once
    concern = fresh(concern)
    assert (concern.state, concern.resolution) == (Concern.State.CLOSED, Resolution.ANSWERED)
    assert concern.answer == "已协调增设车位。"
    assert concern.answered_at == NOW + dt.timedelta(hours=2)
    assert concern.answered_by == community.users.staff and concern.closed_at == concern.answered_at
    assert concern.photos.get().stage == ConcernPhoto.Stage.ANSWER
    entry = entries(concern, "community.answer").get()
    assert (entry.from_state, entry.to_state, entry.actor) == ("submitted", "closed",
                                                               community.users.staff)
    told = Notification.objects.get(recipient=community.users.student, verb="community.answer")
    assert told.title == "您的诉求 SQ-2026-000001 已答复"


def test_answer_needs_text_and_nothing_changes(community, english):
    concern = submit(community)
    with pytest.raises(DomainError) as caught:
        services.concern_answer(actor=community.users.staff, concern_id=concern.pk, answer="  ")
    assert caught.value.field_errors == {"answer": ["Write the answer the submitter will read."]}
    assert fresh(concern).state == Concern.State.SUBMITTED
    assert not entries(concern, "community.answer").exists()


def test_fix_at_once(community):
    concern = submit(community)
    services.concern_fix(actor=community.users.staff, concern_id=concern.pk,
                         answer="已当场清理。")
    concern = fresh(concern)
    assert (concern.state, concern.resolution) == (Concern.State.CLOSED, Resolution.FIXED)


def test_plan_replan_complete(community, django_capture_on_commit_callbacks, english):
    # given a submitted concern, when the office plans it for unit A
    concern = submit(community)
    with django_capture_on_commit_callbacks(execute=True):
        services.concern_plan(actor=community.users.staff, concern_id=concern.pk,
                              target_date=dt.date(2026, 6, 30), answer="暑期扩建车位。",
                              handling_unit_id=community.org.unit_a.pk)
    concern = fresh(concern)
    assert concern.state == Concern.State.PLANNED and concern.target_date == dt.date(2026, 6, 30)
    assert concern.answered_at == NOW and concern.handling_unit == community.org.unit_a
    # then the unit's safety contact and leader are told and may see it; others may not
    unit_told = set(Notification.objects.filter(verb="community.plan_unit")
                    .values_list("recipient__username", flat=True))
    assert unit_told == {"contact_a", "leader_a"}
    assert community.users.contact_a.has_perm("community.view_concern", concern)
    assert not community.users.contact_b.has_perm("community.view_concern", concern)
    # when the plan changes (a reason is required) and later completes
    with pytest.raises(DomainError) as caught:
        services.concern_replan(actor=community.users.staff, concern_id=concern.pk,
                                target_date=dt.date(2026, 7, 15), reason="")
    assert caught.value.field_errors == {"reason": ["Say why the plan changes."]}
    with later(days=1):
        services.concern_replan(actor=community.users.staff, concern_id=concern.pk,
                                target_date=dt.date(2026, 7, 15), reason="材料未到货",
                                handling_unit_id=community.org.logistics.pk)
    entry = entries(concern, "community.replan").get()
    assert entry.data == {"target_date": "2026-07-15", "old_target_date": "2026-06-30",
                          "unit": "后勤保障部"}
    with later(days=20):
        services.concern_complete(actor=community.users.staff2, concern_id=concern.pk,
                                  answer="新增车位 40 个已投入使用。")
    concern = fresh(concern)
    assert (concern.state, concern.resolution) == (Concern.State.CLOSED, Resolution.PLAN_DONE)
    # the first response stays the time to answer
    assert concern.answered_at == NOW and concern.answered_by == community.users.staff


def test_plan_target_date_cannot_be_past(community, english):
    concern = submit(community)
    with pytest.raises(DomainError) as caught:
        services.concern_plan(actor=community.users.staff, concern_id=concern.pk,
                              target_date=dt.date(2026, 6, 15), answer="计划")
    assert caught.value.field_errors == {
        "target_date": ["The target date cannot be in the past."]}
    # today (local) is allowed
    services.concern_plan(actor=community.users.staff, concern_id=concern.pk,
                          target_date=dt.date(2026, 6, 16), answer="今天处理")


def test_to_hazard_follows_the_hazard(community):
    concern = in_hazard(community)
    concern = fresh(concern)
    hazard = Hazard.objects.get(pk=concern.hazard_id)
    assert concern.state == Concern.State.HAZARD and hazard.category == community.org.fire
    assert hazard.source_id == concern.pk and concern.answered_at == NOW
    assert entries(concern, "community.to_hazard").get().data["reference"] == hazard.reference


def test_to_hazard_without_a_campus_needs_one(community, english):
    # given a concern from an Open311 client, with a position but no campus
    concern = submit(community, actor=community.users.staff, channel="open311", campus_id=None,
                     latitude="34.25", longitude="108.98")
    assert concern.campus is None
    with pytest.raises(DomainError) as caught:
        services.concern_to_hazard(actor=community.users.staff, concern_id=concern.pk,
                                   hazard_category_id=community.org.fire.pk)
    assert caught.value.field_errors == {"campus": ["Choose the campus the hazard is on."]}
    assert fresh(concern).state == Concern.State.SUBMITTED and not Hazard.objects.exists()
    services.concern_to_hazard(actor=community.users.staff, concern_id=concern.pk,
                               hazard_category_id=community.org.fire.pk,
                               campus_id=community.org.campus2.pk, title="路口消防栓被遮挡")
    hazard = Hazard.objects.get()
    assert (hazard.campus, hazard.title) == (community.org.campus2, "路口消防栓被遮挡")


def test_duplicate_names_the_other(community, english):
    original = submit(community)
    again = submit(community, actor=community.users.student2)
    for number, message in [
        ("abc", "Write the number of the concern it repeats, like SQ-2026-000123."),
        ("SQ-2026-000099", "No concern has the number SQ-2026-000099."),
        (again.number, "A concern cannot repeat itself; give the other concern's number."),
    ]:
        with pytest.raises(DomainError) as caught:
            services.concern_mark_duplicate(actor=community.users.staff, concern_id=again.pk,
                                            duplicate_of_number=number)
        assert caught.value.field_errors == {"duplicate_of": [message]}
    services.concern_mark_duplicate(actor=community.users.staff, concern_id=again.pk,
                                    duplicate_of_number="sq-2026-1")
    again = fresh(again)
    assert (again.state, again.resolution, again.duplicate_of) == (
        Concern.State.CLOSED, Resolution.DUPLICATE, original)
    # the other concern is someone else's and not on the board: its number only
    assert again.answer == f"此诉求与 {original.number} 重复，将在该诉求中一并办理。"


@pytest.mark.parametrize("case,titled", [
    ("private, someone else's", False),
    ("anonymous, someone else's", False),
    ("on the board", True),
    ("the same submitter's", True),
    ("anonymous, the same submitter's", True),
])
def test_duplicate_answer_names_the_title_only_when_the_submitter_may_read_it(
        community, case, titled):
    original = submit(community, title="宿舍区夜间有陌生人",
                      is_anonymous=case.startswith("anonymous"))
    if case == "on the board":
        services.concern_answer(actor=community.users.staff, concern_id=original.pk,
                                answer="已加强巡逻。")
        services.concern_publish(actor=community.users.staff, concern_id=original.pk)
    actor = (community.users.student if case.endswith("the same submitter's")
             else community.users.student2)
    again = submit(community, actor=actor)
    services.concern_mark_duplicate(actor=community.users.staff, concern_id=again.pk,
                                    duplicate_of_number=original.number)
    title = "（“宿舍区夜间有陌生人”）" if titled else " "
    assert fresh(again).answer == f"此诉求与 {original.number}{title}重复，将在该诉求中一并办理。"


# --- every edge ---------------------------------------------------------------------------
def _call(community, name, concern, version=None):
    staff = community.users.staff
    calls = {
        "answer": lambda: services.concern_answer(actor=staff, concern_id=concern.pk,
                                                  answer="答复", version=version),
        "fix": lambda: services.concern_fix(actor=staff, concern_id=concern.pk, answer="已改",
                                            version=version),
        "plan": lambda: services.concern_plan(actor=staff, concern_id=concern.pk,
                                              target_date=dt.date(2026, 7, 1), answer="计划",
                                              version=version),
        "replan": lambda: services.concern_replan(actor=staff, concern_id=concern.pk,
                                                  target_date=dt.date(2026, 7, 2),
                                                  reason="改期", version=version),
        "complete": lambda: services.concern_complete(actor=staff, concern_id=concern.pk,
                                                      answer="完成", version=version),
        "to_hazard": lambda: services.concern_to_hazard(
            actor=staff, concern_id=concern.pk, hazard_category_id=community.org.fire.pk,
            version=version),
        "duplicate": lambda: services.concern_mark_duplicate(
            actor=staff, concern_id=concern.pk, duplicate_of_number="SQ-2026-000001",
            version=version),
    }
    return calls[name]()


ALLOWED = {
    "submitted": {"answer": "closed", "fix": "closed", "plan": "planned",
                  "to_hazard": "hazard", "duplicate": "closed"},
    "planned": {"replan": "planned", "complete": "closed", "to_hazard": "hazard",
                "duplicate": "closed"},
    "hazard": {},
    "closed": {},
}
MAKERS = {"submitted": submit, "planned": planned, "hazard": in_hazard, "closed": answered}


@pytest.mark.parametrize("state", list(ALLOWED))
@pytest.mark.parametrize("action", ["answer", "fix", "plan", "replan", "complete", "to_hazard",
                                    "duplicate"])
def test_every_edge(community, english, state, action):
    submit(community, title="最早的诉求")  # SQ-2026-000001, the original of duplicates
    concern = MAKERS[state](community)
    before = fresh(concern)
    assert before.state == state
    target = ALLOWED[state].get(action)
    if target is None:
        with pytest.raises(Conflict) as caught:
            _call(community, action, concern)
        state_word = dict(Concern.State.choices)[state]
        assert caught.value.message == (
            f"Concern {concern.number} is now “{state_word}”; that cannot be done to it any "
            "more. Reload the page to see what changed.")
        after = fresh(concern)
        assert (after.state, after.updated_at) == (before.state, before.updated_at)
    else:
        _call(community, action, concern)
        assert fresh(concern).state == target


def test_a_stale_form_is_a_conflict(community, english):
    """Two office members open the page; the first answers, the second's form is stale."""
    concern = submit(community)
    version = services.concern_version(concern)
    _call(community, "plan", concern, version=version)
    with pytest.raises(Conflict) as caught:
        _call(community, "to_hazard", concern, version=version)
    assert caught.value.message == ("Concern SQ-2026-000001 was changed by someone else a "
                                    "moment ago. Reload the page and try again.")
    assert fresh(concern).state == Concern.State.PLANNED


@pytest.mark.parametrize("who", ["student", "student2", "leadership", "contact_a", "police"])
def test_only_the_office_triages(community, who):
    concern = submit(community)
    for action in ("answer", "fix", "plan", "to_hazard", "duplicate"):
        with pytest.raises(NotAllowed):
            calls = {
                "answer": lambda: services.concern_answer(
                    actor=getattr(community.users, who), concern_id=concern.pk, answer="答复"),
                "fix": lambda: services.concern_fix(
                    actor=getattr(community.users, who), concern_id=concern.pk, answer="答复"),
                "plan": lambda: services.concern_plan(
                    actor=getattr(community.users, who), concern_id=concern.pk,
                    target_date=dt.date(2026, 7, 1), answer="计划"),
                "to_hazard": lambda: services.concern_to_hazard(
                    actor=getattr(community.users, who), concern_id=concern.pk,
                    hazard_category_id=community.org.fire.pk),
                "duplicate": lambda: services.concern_mark_duplicate(
                    actor=getattr(community.users, who), concern_id=concern.pk,
                    duplicate_of_number=concern.number),
            }
            calls[action]()
    assert fresh(concern).state == Concern.State.SUBMITTED
