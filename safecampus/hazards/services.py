"""Writes of the hazard loop (house rules 1–4).

Every public function is ``<entity>_<verb>`` with keyword-only arguments, and follows one
order: resolve ids → lock the row (``select_for_update``) → check permission → check state
→ write, all inside one transaction, with an :class:`ActivityEntry` per state change and
notifications sent on commit. Errors: :class:`~safecampus.core.errors.DomainError` (bad
input, 400), :class:`~safecampus.core.errors.NotAllowed` (403),
:class:`~safecampus.core.errors.Conflict` (illegal or stale transition, 409).
"""

import datetime as dt
from collections.abc import Sequence

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django_fsm import ConcurrentTransition, can_proceed

from safecampus.accounts.models import Role
from safecampus.accounts.selectors import office_people as _office_people
from safecampus.accounts.selectors import unit_people as _unit_people
from safecampus.core import clock, workdays
from safecampus.core.activity import activity_record
from safecampus.core.errors import Conflict, DomainError, perm_require
from safecampus.core.idempotency import idempotency_lookup, idempotency_remember
from safecampus.core.uploads import photo_process
from safecampus.notifications.services import notification_send, robot_broadcast
from safecampus.organisation.models import Building, Campus, Place, Unit

from . import selectors
from .models import (
    NOTICE_DAYS_MAX,
    UNIT_STATES,
    DeadlineBasis,
    Evidence,
    ExtensionRequest,
    Grade,
    Hazard,
    HazardCategory,
    HazardPhoto,
    NoticeItem,
    NoticeSequence,
    PlanMilestone,
    RectificationNotice,
    RectificationPlan,
    RoutingRule,
    Source,
    Status,
)

MAX_PHOTOS = 9


# --- helpers ------------------------------------------------------------------------------
#: Longest free text accepted (characters): titles, descriptions and evidence, comments.
TITLE_MAX, TEXT_MAX, COMMENT_MAX = 120, 5000, 2000


def _check_length(field: str, value: str | None, limit: int) -> None:
    """Refuse (never silently cut) text longer than ``limit`` characters."""
    if value and len(value) > limit:
        message = _("At most %(limit)s characters (this has %(length)s).") % {
            "limit": limit, "length": len(value)}
        raise DomainError(message, field_errors={field: [message]})


def _lock_hazard(hazard_id: int, version: int | None) -> Hazard:
    """Lock and return the hazard; a stale ``version`` (another edit happened) is a Conflict."""
    try:
        hazard = Hazard.objects.select_for_update().get(pk=hazard_id)
    except (Hazard.DoesNotExist, ValueError, TypeError) as exc:
        raise DomainError(_("This hazard does not exist."), code="not_found") from exc
    if version is not None and hazard.version != version:
        raise Conflict(
            _(
                "Someone else changed this hazard while you were looking at it. "
                "Reload the page and try again."
            ),
            code="stale",
        )
    return hazard


def _transition(hazard: Hazard, name: str, *, actor, verb: str, comment: str = "", data=None):
    """Run transition ``name`` on the locked ``hazard``, bump its version, save, and log."""
    method = getattr(hazard, name)
    if not can_proceed(method):
        raise Conflict(
            _("This cannot be done while the hazard is “%(status)s”.")
            % {"status": hazard.get_status_display()},
            code="illegal_transition",
        )
    from_state = hazard.status
    method()
    hazard.version += 1
    try:
        hazard.save()
    except ConcurrentTransition as exc:  # the row changed between read and write
        raise Conflict(
            _("Someone else changed this hazard at the same moment. Reload and try again."),
            code="stale",
        ) from exc
    activity_record(
        target=hazard,
        actor=actor,
        verb=verb,
        from_state=from_state,
        to_state=hazard.status,
        comment=comment,
        data=data,
    )


def _hazard_url(hazard: Hazard) -> str:
    return reverse("hazards:detail", args=[hazard.pk])


def _notify_on_commit(**kwargs) -> None:
    transaction.on_commit(lambda: notification_send(**kwargs))


def _save_photos(hazard: Hazard, processed, *, stage: str, actor, evidence=None) -> None:
    for full, thumb in processed:
        HazardPhoto.objects.create(
            hazard=hazard,
            evidence=evidence,
            stage=stage,
            image=full,
            thumbnail=thumb,
            uploaded_by=actor if actor is not None and actor.is_authenticated else None,
        )


def _process_photos(photos: Sequence, *, field: str = "photos") -> list:
    """Validate and re-encode all photos before anything is written (all or nothing)."""
    photos = [p for p in (photos or []) if p]
    if len(photos) > MAX_PHOTOS:
        message = _("At most %(count)s photos can be attached.") % {"count": MAX_PHOTOS}
        raise DomainError(message, field_errors={field: [message]})
    return [photo_process(p, field=field) for p in photos]


def hazard_route(*, category_id: int, campus_id: int, place: Place | None,
                 building: Building | None) -> int | None:
    """The responsible unit id for a hazard (see :class:`RoutingRule` for the order)."""
    rules = {
        r.campus_id: r.unit_id
        for r in RoutingRule.objects.filter(category_id=category_id).only("campus_id", "unit_id")
    }
    if campus_id in rules:
        return rules[campus_id]
    if None in rules:
        return rules[None]
    if place is not None and place.owning_unit_id:
        return place.owning_unit_id
    if building is not None and building.unit_id:
        return building.unit_id
    return None


def _resolve_location(*, campus_id, building_id, place_id):
    """Check that campus, building and place exist and belong together."""
    place = building = None
    if place_id:
        place = Place.objects.select_related("building").filter(pk=place_id).first()
        if place is None:
            raise DomainError(_("Choose a place from the list."), field_errors={"place": [
                _("Choose a place from the list.")]})
        campus_id = campus_id or place.campus_id
        building_id = building_id or place.building_id
    if building_id:
        building = Building.objects.filter(pk=building_id).first()
        if building is None:
            raise DomainError(_("Choose a building from the list."), field_errors={
                "building": [_("Choose a building from the list.")]})
        campus_id = campus_id or building.campus_id
    campus = Campus.objects.filter(pk=campus_id).first() if campus_id else None
    if campus is None:
        message = _("Choose the campus where the hazard is.")
        raise DomainError(message, field_errors={"campus": [message]})
    if (building and building.campus_id != campus.pk) or (place and place.campus_id != campus.pk):
        message = _("The building or place is not on the chosen campus.")
        raise DomainError(message, field_errors={"place": [message]})
    if place and building and place.building_id and place.building_id != building.pk:
        message = _("The place is not in the chosen building.")
        raise DomainError(message, field_errors={"place": [message]})
    zone_id = (place.zone_id if place else None) or (building.zone_id if building else None)
    return campus, building, place, zone_id


# --- reporting ------------------------------------------------------------------------------
def hazard_report(
    *,
    reporter,
    title: str,
    category_id: int,
    campus_id: int | None = None,
    description: str = "",
    building_id: int | None = None,
    place_id: int | None = None,
    location_text: str = "",
    map_x=None,
    map_y=None,
    grade: str = Grade.GENERAL,
    is_anonymous: bool = False,
    photos: Sequence = (),
    source: str = Source.REPORT,
    source_record=None,
    idempotency_key: str | None = None,
    notify_office: bool = True,
    responsible_unit_id: int | None = None,
) -> Hazard:
    """Record a newly found hazard in state ``reported`` and tell the office.

    ``responsible_unit_id``: the unit that answers for it when the source knows (a charging
    station's operator unit); it must be an active unit. Without it the routing rules
    decide (:func:`hazard_route`).

    ``notify_office=False`` when the caller confirms it at once (an office inspection's
    findings), so the office is not told about its own work.

    ``photos``: uploaded files (JPEG/PNG/WebP/HEIC, ≤ 9); all are processed before anything
    is written. ``source_record``: the inspection/patrol record it came from (generic
    reference). With the same ``idempotency_key`` a second call returns the first hazard.
    Raises DomainError for a missing title/category/campus or an unreadable photo.
    """
    perm_require(reporter, "hazards.report_hazard")
    existing = idempotency_lookup(scope="hazards.report", key=idempotency_key, model=Hazard,
                                  user=reporter)
    if existing is not None:
        return existing
    title = (title or "").strip()
    _check_length("title", title, TITLE_MAX)
    _check_length("description", description, TEXT_MAX)
    _check_length("location_text", location_text, 200)
    errors: dict[str, list[str]] = {}
    if not title:
        errors["title"] = [_("Say in a few words what the hazard is.")]
    category = HazardCategory.objects.filter(pk=category_id, is_active=True).first() if str(
        category_id or "").isdigit() else None
    if category is None:
        errors["category"] = [_("Choose a category.")]
    if grade not in Grade.values:
        errors["grade"] = [_("Choose a grade.")]
    if source not in Source.values:
        errors["source"] = [_("Unknown source.")]
    unit = None
    if responsible_unit_id is not None:
        unit = Unit.objects.filter(pk=responsible_unit_id, is_active=True).first() if str(
            responsible_unit_id).isdigit() else None
        if unit is None:
            errors["responsible_unit"] = [_("Choose a responsible unit from the list.")]
    if errors:
        raise DomainError(next(iter(errors.values()))[0], field_errors=errors)
    campus, building, place, zone_id = _resolve_location(
        campus_id=campus_id, building_id=building_id, place_id=place_id
    )
    processed = _process_photos(photos)

    with transaction.atomic():
        hazard = Hazard.objects.create(
            title=title[:120],
            description=(description or "").strip(),
            category=category,
            grade=grade,
            campus=campus,
            zone_id=zone_id,
            building=building,
            place=place,
            location_text=(location_text or "").strip()[:200],
            map_x=map_x,
            map_y=map_y,
            source=source,
            source_type=ContentType.objects.get_for_model(source_record) if source_record else None,
            source_id=source_record.pk if source_record else None,
            responsible_unit_id=unit.pk if unit is not None else hazard_route(
                category_id=category.pk, campus_id=campus.pk, place=place, building=building
            ),
            reporter=reporter if reporter.is_authenticated else None,
            is_anonymous=is_anonymous,
            reported_at=clock.now(),
        )
        _save_photos(hazard, processed, stage=HazardPhoto.Stage.BEFORE, actor=reporter)
        activity_record(
            target=hazard,
            actor=None if is_anonymous else reporter,
            verb="hazards.report",
            to_state=hazard.status,
            data={"source": source, "anonymous": is_anonymous},
        )
        if not idempotency_remember(
            scope="hazards.report", key=idempotency_key, user=reporter, result=hazard
        ):
            # A concurrent request with the same key won: read its result first (queries are
            # refused once the block is marked for rollback), then undo this attempt.
            winner = idempotency_lookup(scope="hazards.report", key=idempotency_key, model=Hazard,
                                        user=reporter)
            transaction.set_rollback(True)
            return winner
        if hazard.grade == Grade.MAJOR:  # the office's group chats hear of it at once
            with translation.override(settings.LANGUAGE_CODE):  # not the reporter's language
                robot_broadcast(
                    topic="hazards", campus_id=campus.pk, url=_hazard_url(hazard), urgent=True,
                    title=_("Major hazard reported: %(title)s") % {"title": hazard.title},
                    body=_("%(campus)s · %(category)s") % {"campus": campus.name,
                                                           "category": category})
        if not notify_office:
            return hazard
        _notify_on_commit(
            recipients=_office_people(Role.OFFICE_STAFF, Role.OFFICE_ADMIN),
            verb="hazards.report",
            title=_("New hazard report: %(title)s") % {"title": hazard.title},
            body=_("%(campus)s · %(category)s") % {"campus": campus.name, "category": category},
            url=_hazard_url(hazard),
            dedupe_key=f"hazard:{hazard.pk}:reported",
            email=False,
        )
    return hazard


# --- office triage --------------------------------------------------------------------------
def hazard_confirm(
    *,
    actor,
    hazard_id: int,
    version: int | None = None,
    grade: str | None = None,
    responsible_unit_id: int | None = None,
    comment: str = "",
) -> Hazard:
    """Accept a reported hazard; optionally set its grade and responsible unit."""
    _check_length("comment", comment, COMMENT_MAX)
    with transaction.atomic():
        hazard = _lock_hazard(hazard_id, version)
        perm_require(actor, "hazards.confirm_hazard", hazard)
        if grade is not None:
            if grade not in Grade.values:
                raise DomainError(_("Choose a grade."), field_errors={"grade": [_("Choose a grade.")]})
            hazard.grade = grade
        if responsible_unit_id:
            unit = Unit.objects.filter(pk=responsible_unit_id, is_active=True).first()
            if unit is None:
                message = _("Choose a responsible unit from the list.")
                raise DomainError(message, field_errors={"responsible_unit": [message]})
            hazard.responsible_unit = unit
        hazard.confirmed_at = clock.now()
        _transition(hazard, "confirm", actor=actor, verb="hazards.confirm", comment=comment)
        _tell_reporter(hazard, _("Your report was confirmed: %(title)s"))
    return hazard


def hazard_reject(*, actor, hazard_id: int, reason: str, version: int | None = None) -> Hazard:
    """Decline a report with a reason the reporter will see."""
    _check_length("comment", reason, COMMENT_MAX)
    reason = (reason or "").strip()
    if not reason:
        message = _("Give the reason, the reporter will see it.")
        raise DomainError(message, field_errors={"comment": [message]})
    with transaction.atomic():
        hazard = _lock_hazard(hazard_id, version)
        perm_require(actor, "hazards.confirm_hazard", hazard)
        hazard.resolution_comment = reason
        _transition(hazard, "reject", actor=actor, verb="hazards.reject", comment=reason)
        _tell_reporter(hazard, _("Your report was not accepted: %(title)s"), body=reason)
    return hazard


def hazard_mark_duplicate(
    *, actor, hazard_id: int, duplicate_of_id: int, version: int | None = None, comment: str = ""
) -> Hazard:
    """Merge a report into an existing hazard; the reporter is pointed to it.

    ``duplicate_of_id`` is the other hazard's number (its id); a hazard merged already leads
    to the one it was merged into. Raises DomainError on ``duplicate_of`` when no hazard has
    that number, when it is this hazard, or when it was merged into this hazard; Conflict
    (not a report, or stale), NotAllowed.
    """
    _check_length("comment", comment, COMMENT_MAX)
    with transaction.atomic():
        hazard = _lock_hazard(hazard_id, version)
        perm_require(actor, "hazards.confirm_hazard", hazard)
        given = isinstance(duplicate_of_id, int) and not isinstance(duplicate_of_id, bool)
        original = (Hazard.objects.filter(pk=duplicate_of_id).first()
                    if given and 0 < duplicate_of_id < 2**63 else None)
        message = ""
        if not given:
            message = _("Give the number of the hazard this one repeats.")
        elif original is None:
            message = _("There is no hazard numbered %(number)s.") % {"number": duplicate_of_id}
        elif original.pk == hazard.pk:
            message = _("A hazard cannot repeat itself: give the number of another hazard.")
        elif original.status == Status.DUPLICATE:
            original = original.duplicate_of or original
            # Checked after following the chain: merging A into B when B was merged into A
            # would make A its own duplicate and lose the hazard.
            if original.pk == hazard.pk:
                message = _("%(ref)s was merged into this hazard already.") % {
                    "ref": Hazard.objects.get(pk=duplicate_of_id).reference}
        if message:
            raise DomainError(message, field_errors={"duplicate_of": [message]})
        hazard.duplicate_of = original
        _transition(
            hazard,
            "mark_duplicate",
            actor=actor,
            verb="hazards.mark_duplicate",
            comment=comment,
            data={"duplicate_of": original.pk},
        )
        _tell_reporter(
            hazard,
            _("Your report was merged with one already being handled: %(title)s"),
        )
    return hazard


def hazard_fix_on_spot(
    *, actor, hazard_id: int, text: str, photos: Sequence = (), version: int | None = None
) -> Hazard:
    """Close a confirmed hazard fixed during the visit (立行立改); needs text and a photo."""
    _check_length("text", text, TEXT_MAX)
    text = (text or "").strip()
    if not text:
        message = _("Describe what was done on the spot.")
        raise DomainError(message, field_errors={"text": [message]})
    if not [p for p in photos if p]:
        message = _("Add at least one photo of the fixed state.")
        raise DomainError(message, field_errors={"photos": [message]})
    processed = _process_photos(photos)
    with transaction.atomic():
        hazard = _lock_hazard(hazard_id, version)
        perm_require(actor, "hazards.fix_on_spot", hazard)
        now = clock.now()
        evidence = Evidence.objects.create(
            hazard=hazard, kind=Evidence.Kind.ON_THE_SPOT, text=text, submitted_by=actor,
            submitted_at=now,
        )
        _save_photos(hazard, processed, stage=HazardPhoto.Stage.AFTER, actor=actor,
                     evidence=evidence)
        hazard.closed_at = now
        hazard.closed_on_time = True
        _transition(hazard, "fix_on_spot", actor=actor, verb="hazards.fix_on_spot", comment=text)
        _tell_reporter(hazard, _("The hazard you reported was fixed: %(title)s"))
    return hazard


def _tell_reporter(hazard: Hazard, template: str, *, body: str = "") -> None:
    if hazard.reporter_id is None:
        return
    _notify_on_commit(
        recipients=[hazard.reporter],
        verb="hazards.reporter_update",
        title=template % {"title": hazard.title},
        body=body,
        url=_hazard_url(hazard),
        dedupe_key=f"hazard:{hazard.pk}:reporter:{hazard.status}:{hazard.version}",
        private=hazard.is_anonymous,  # logs and the admin never name an anonymous reporter
    )


# --- notices --------------------------------------------------------------------------------
def notice_number_next(*, year: int) -> tuple[int, str]:
    """Take the next notice number of ``year`` (call inside a transaction).

    The year's row in :class:`NoticeSequence` is locked, so concurrent issuers queue and get
    consecutive numbers; a rolled-back issue releases its number with the lock, so numbers
    have no gaps and are never reused. Format: ``SAFECAMPUS["NOTICE_NUMBER_FORMAT"]``.
    """
    NoticeSequence.objects.get_or_create(year=year)
    sequence = NoticeSequence.objects.select_for_update().get(year=year)
    sequence.last_number += 1
    sequence.save(update_fields=["last_number"])
    number = settings.SAFECAMPUS["NOTICE_NUMBER_FORMAT"].format(
        year=year, seq=sequence.last_number
    )
    return sequence.last_number, number


def notice_deadline(*, issued_on: dt.date, days: int, basis: str) -> dt.datetime:
    """End of the local day that is ``days`` calendar/working days after ``issued_on``."""
    if basis == DeadlineBasis.WORKING_DAYS:
        due = workdays.add_working_days(issued_on, days)
    else:
        due = workdays.add_calendar_days(issued_on, days)
    return clock.end_of_local_day(due)


def notice_issue(
    *,
    actor,
    hazard_ids: Sequence[int],
    requirements: str,
    deadline_days: int,
    deadline_basis: str = DeadlineBasis.CALENDAR_DAYS,
    idempotency_key: str | None = None,
) -> RectificationNotice:
    """Issue one numbered notice listing confirmed hazards of a single responsible unit.

    ``deadline_days``: 1–``NOTICE_DAYS_MAX`` (180), counted in calendar or working days from today (local).
    Raises DomainError for an empty list, mixed units, or bad days; Conflict if a hazard is no
    longer confirmed (e.g. another officer issued it a moment ago).
    """
    _check_length("requirements", requirements, TEXT_MAX)
    existing = idempotency_lookup(
        scope="hazards.notice_issue", key=idempotency_key, model=RectificationNotice, user=actor)
    if existing is not None:
        return existing
    requirements = (requirements or "").strip()
    errors: dict[str, list[str]] = {}
    ids = sorted({int(h) for h in hazard_ids if str(h).isdigit()})
    if not ids:
        errors["hazards"] = [_("Choose at least one hazard for the notice.")]
    if not requirements:
        errors["requirements"] = [_("Write the rectification requirements.")]
    if not isinstance(deadline_days, int) or not 1 <= deadline_days <= NOTICE_DAYS_MAX:
        errors["deadline_days"] = [_("The deadline must be between 1 and %(max)s days.")
                                   % {"max": NOTICE_DAYS_MAX}]
    if deadline_basis not in DeadlineBasis.values:
        errors["deadline_basis"] = [_("Choose calendar days or working days.")]
    if errors:
        raise DomainError(next(iter(errors.values()))[0], field_errors=errors)
    perm_require(actor, "hazards.issue_notice")

    with transaction.atomic():
        hazards = list(Hazard.objects.select_for_update().filter(pk__in=ids).order_by("pk"))
        if len(hazards) != len(ids):
            raise DomainError(_("Some of the chosen hazards do not exist."))
        units = {h.responsible_unit_id for h in hazards}
        if None in units:
            raise DomainError(_("Assign a responsible unit to every hazard first."))
        if len(units) != 1:
            raise DomainError(_("One notice goes to one unit: choose hazards of a single unit."))
        for hazard in hazards:
            if hazard.status != Status.CONFIRMED:
                # A double tap: the first request issued it while this one waited for the lock.
                replay = idempotency_lookup(scope="hazards.notice_issue", key=idempotency_key,
                                            model=RectificationNotice, user=actor)
                if replay is not None:
                    return replay
                raise Conflict(
                    _("%(ref)s is “%(status)s” and cannot be put on a notice.")
                    % {"ref": hazard.reference, "status": hazard.get_status_display()}
                )
        now = clock.now()
        local_now = now.astimezone(clock.local_zone())
        deadline = notice_deadline(
            issued_on=local_now.date(), days=deadline_days, basis=deadline_basis
        )
        sequence, number = notice_number_next(year=local_now.year)
        notice = RectificationNotice.objects.create(
            number=number,
            year=local_now.year,
            sequence=sequence,
            unit_id=units.pop(),
            requirements=requirements,
            deadline_days=deadline_days,
            deadline_basis=deadline_basis,
            deadline=deadline,
            issued_by=actor,
            issued_at=now,
        )
        for position, hazard in enumerate(hazards, start=1):
            NoticeItem.objects.create(notice=notice, hazard=hazard, position=position)
            hazard.current_notice = notice
            hazard.deadline = deadline
            hazard.is_overdue = False
            hazard.escalation_level = 0
            _transition(
                hazard,
                "issue_notice",
                actor=actor,
                verb="hazards.issue_notice",
                data={"notice": notice.number},
            )
        activity_record(target=notice, actor=actor, verb="notices.issue", to_state=notice.state)
        if not idempotency_remember(
            scope="hazards.notice_issue", key=idempotency_key, user=actor, result=notice
        ):
            winner = idempotency_lookup(
                scope="hazards.notice_issue", key=idempotency_key, model=RectificationNotice, user=actor)
            transaction.set_rollback(True)  # after the read: see hazard_report
            return winner
        _notify_on_commit(
            recipients=_unit_people(notice.unit_id, Role.UNIT_SAFETY_CONTACT, Role.UNIT_LEADER),
            verb="notices.issue",
            title=_("Rectification notice %(number)s: please sign for it") % {"number": number},
            body=_("%(count)s hazard(s), deadline %(deadline)s")
            % {
                "count": len(hazards),
                "deadline": deadline.astimezone(clock.local_zone()).strftime("%Y-%m-%d"),
            },
            url=reverse("hazards:notice_detail", args=[notice.pk]),
            dedupe_key=f"notice:{notice.pk}:issued",
        )
    return notice


def notice_acknowledge(*, actor, notice_id: int) -> RectificationNotice:
    """The unit signs for the notice (签收): every listed hazard becomes ``acknowledged``."""
    with transaction.atomic():
        notice = RectificationNotice.objects.select_for_update().filter(pk=notice_id).first()
        if notice is None:
            raise DomainError(_("This notice does not exist."), code="not_found")
        perm_require(actor, "hazards.acknowledge_notice", notice)
        if notice.state != RectificationNotice.State.ISSUED:
            raise Conflict(
                _("This notice is “%(state)s” and cannot be signed for again.")
                % {"state": notice.get_state_display()}
            )
        notice.state = RectificationNotice.State.ACKNOWLEDGED
        notice.acknowledged_by = actor
        notice.acknowledged_at = clock.now()
        notice.save(update_fields=["state", "acknowledged_by", "acknowledged_at", "updated_at"])
        activity_record(
            target=notice,
            actor=actor,
            verb="notices.acknowledge",
            from_state=RectificationNotice.State.ISSUED,
            to_state=notice.state,
        )
        hazard_ids = notice.items.filter(cancelled_at__isnull=True).values_list("hazard_id",
                                                                                 flat=True)
        for hazard in Hazard.objects.select_for_update().filter(pk__in=list(hazard_ids)):
            if hazard.status == Status.NOTICE_ISSUED:
                _transition(hazard, "acknowledge", actor=actor, verb="hazards.acknowledge",
                            data={"notice": notice.number})
    return notice


# --- the unit's work ------------------------------------------------------------------------
def hazard_start_rectification(
    *, actor, hazard_id: int, version: int | None = None, comment: str = ""
) -> Hazard:
    """The unit starts rectification (after signing) or resumes it after a return."""
    _check_length("comment", comment, COMMENT_MAX)
    with transaction.atomic():
        hazard = _lock_hazard(hazard_id, version)
        perm_require(actor, "hazards.rectify_hazard", hazard)
        _transition(hazard, "start_rectification", actor=actor,
                    verb="hazards.start_rectification", comment=comment)
    return hazard


def evidence_submit(
    *, actor, hazard_id: int, text: str, photos: Sequence = (), version: int | None = None,
    idempotency_key: str | None = None,
) -> Evidence:
    """The unit submits rectification evidence (text and ≥ 1 photo) for verification.

    A major hazard must have a rectification plan before evidence can be submitted.
    """
    _check_length("text", text, TEXT_MAX)
    existing = idempotency_lookup(scope="hazards.evidence", key=idempotency_key, model=Evidence,
                                  user=actor)
    if existing is not None:
        return existing
    text = (text or "").strip()
    if not text:
        message = _("Describe what was done to rectify the hazard.")
        raise DomainError(message, field_errors={"text": [message]})
    if not [p for p in photos if p]:
        message = _("Add at least one photo of the rectified state.")
        raise DomainError(message, field_errors={"photos": [message]})
    processed = _process_photos(photos)
    with transaction.atomic():
        try:
            hazard = _lock_hazard(hazard_id, version)
        except Conflict:
            # A double tap: the first request submitted while this one waited for the lock.
            replay = idempotency_lookup(scope="hazards.evidence", key=idempotency_key,
                                        model=Evidence, user=actor)
            if replay is not None:
                return replay
            raise
        replay = idempotency_lookup(scope="hazards.evidence", key=idempotency_key, model=Evidence,
                                    user=actor)
        if replay is not None:
            return replay
        perm_require(actor, "hazards.rectify_hazard", hazard)
        if hazard.grade == Grade.MAJOR and not RectificationPlan.objects.filter(
            hazard=hazard
        ).exists():
            raise DomainError(
                _("A major hazard needs a rectification plan with interim control measures "
                  "before evidence can be submitted."),
                code="plan_required",
            )
        evidence = Evidence.objects.create(
            hazard=hazard, kind=Evidence.Kind.RECTIFICATION, text=text, submitted_by=actor,
            submitted_at=clock.now(),
        )
        _save_photos(hazard, processed, stage=HazardPhoto.Stage.AFTER, actor=actor,
                     evidence=evidence)
        _transition(hazard, "submit_evidence", actor=actor, verb="hazards.submit_evidence",
                    comment=text)
        if not idempotency_remember(
            scope="hazards.evidence", key=idempotency_key, user=actor, result=evidence
        ):
            winner = idempotency_lookup(scope="hazards.evidence", key=idempotency_key,
                                        model=Evidence, user=actor)
            transaction.set_rollback(True)  # after the read: see hazard_report
            return winner
        _notify_on_commit(
            recipients=_office_people(Role.OFFICE_STAFF),
            verb="hazards.submit_evidence",
            title=_("Evidence submitted for verification: %(title)s") % {"title": hazard.title},
            url=_hazard_url(hazard),
            dedupe_key=f"hazard:{hazard.pk}:evidence:{evidence.pk}",
            email=False,
        )
    return evidence


def plan_submit(
    *,
    actor,
    hazard_id: int,
    plan: str,
    interim_measures: str,
    person_in_charge: str,
    milestones: Sequence[tuple[str, dt.date]],
    funding: str = "",
) -> RectificationPlan:
    """Record (or replace) a major hazard's rectification plan with ≥ 1 milestone."""
    _check_length("plan", plan, TEXT_MAX)
    _check_length("interim_measures", interim_measures, TEXT_MAX)
    _check_length("person_in_charge", person_in_charge, 64)
    _check_length("funding", funding, 120)
    errors: dict[str, list[str]] = {}
    if not (plan or "").strip():
        errors["plan"] = [_("Describe the rectification plan.")]
    if not (interim_measures or "").strip():
        errors["interim_measures"] = [_("Describe the interim control measures.")]
    if not (person_in_charge or "").strip():
        errors["person_in_charge"] = [_("Name the person in charge.")]
    cleaned = [(t.strip(), d) for t, d in milestones if (t or "").strip() and d]
    if not cleaned:
        errors["milestones"] = [_("Add at least one milestone with a date.")]
    if errors:
        raise DomainError(next(iter(errors.values()))[0], field_errors=errors)
    with transaction.atomic():
        hazard = _lock_hazard(hazard_id, None)
        perm_require(actor, "hazards.submit_plan", hazard)
        if hazard.grade != Grade.MAJOR:
            raise DomainError(_("Only major hazards need a rectification plan."))
        if hazard.status not in UNIT_STATES and hazard.status != Status.CONFIRMED:
            raise Conflict(_("The plan can no longer be changed at this stage."))
        RectificationPlan.objects.filter(hazard=hazard).delete()
        record = RectificationPlan.objects.create(
            hazard=hazard,
            plan=plan.strip(),
            interim_measures=interim_measures.strip(),
            person_in_charge=person_in_charge.strip(),
            funding=(funding or "").strip(),
            submitted_by=actor,
        )
        PlanMilestone.objects.bulk_create(
            [PlanMilestone(plan=record, title=t, due_date=d) for t, d in cleaned]
        )
        activity_record(target=hazard, actor=actor, verb="hazards.submit_plan",
                        comment=record.plan[:500])
    return record


# --- verification ---------------------------------------------------------------------------
def hazard_verify(*, actor, hazard_id: int, version: int | None = None,
                  comment: str = "") -> Hazard:
    """The office verifies the rectification (复查) and closes the hazard (销号).

    ``closed_on_time`` records whether it closed by its deadline (on-time rate).
    """
    _check_length("comment", comment, COMMENT_MAX)
    with transaction.atomic():
        hazard = _lock_hazard(hazard_id, version)
        perm_require(actor, "hazards.verify_hazard", hazard)
        if hazard.grade == Grade.MAJOR and not PlanMilestone.objects.filter(
            plan__hazard=hazard
        ).exists():
            raise DomainError(
                _("A major hazard cannot close without a rectification plan and milestones."),
                code="plan_required",
            )
        now = clock.now()
        hazard.closed_at = now
        hazard.closed_on_time = hazard.deadline is None or now <= hazard.deadline
        hazard.is_overdue = False
        _transition(hazard, "verify", actor=actor, verb="hazards.verify", comment=comment)
        _complete_notice_if_done(hazard.current_notice_id, actor=actor)
        _tell_reporter(hazard, _("The hazard you reported was rectified and closed: %(title)s"))
        _notify_on_commit(
            recipients=_unit_people(hazard.responsible_unit_id, Role.UNIT_SAFETY_CONTACT),
            verb="hazards.verify",
            title=_("Rectification accepted and closed: %(title)s") % {"title": hazard.title},
            url=_hazard_url(hazard),
            dedupe_key=f"hazard:{hazard.pk}:verified",
            email=False,
        )
    return hazard


def hazard_return(*, actor, hazard_id: int, reason: str, version: int | None = None) -> Hazard:
    """The office returns insufficient rectification with reasons; the unit reworks it."""
    _check_length("comment", reason, COMMENT_MAX)
    reason = (reason or "").strip()
    if not reason:
        message = _("Say what is still wrong, the unit will see it.")
        raise DomainError(message, field_errors={"comment": [message]})
    with transaction.atomic():
        hazard = _lock_hazard(hazard_id, version)
        perm_require(actor, "hazards.verify_hazard", hazard)
        _transition(hazard, "return_for_rework", actor=actor, verb="hazards.return",
                    comment=reason)
        _notify_on_commit(
            recipients=_unit_people(hazard.responsible_unit_id, Role.UNIT_SAFETY_CONTACT,
                                    Role.UNIT_LEADER),
            verb="hazards.return",
            title=_("Rectification returned: %(title)s") % {"title": hazard.title},
            body=reason,
            url=_hazard_url(hazard),
            dedupe_key=f"hazard:{hazard.pk}:returned:{hazard.version}",
        )
    return hazard


def _complete_notice_if_done(notice_id: int | None, *, actor) -> None:
    if not notice_id:
        return
    notice = RectificationNotice.objects.select_for_update().get(pk=notice_id)
    open_left = notice.items.filter(cancelled_at__isnull=True).exclude(
        hazard__status=Status.CLOSED
    )
    if notice.state != RectificationNotice.State.CANCELLED and not open_left.exists():
        old = notice.state
        notice.state = RectificationNotice.State.COMPLETED
        notice.save(update_fields=["state", "updated_at"])
        activity_record(target=notice, actor=actor, verb="notices.complete", from_state=old,
                        to_state=notice.state)


# --- routing --------------------------------------------------------------------------------
def hazard_update_location(
    *,
    actor,
    hazard_id: int,
    version: int | None = None,
    category_id: int,
    campus_id: int | None,
    building_id: int | None = None,
    place_id: int | None = None,
    location_text: str = "",
    grade: str | None = None,
    responsible_unit_id: int | None = None,
) -> Hazard:
    """Change category, grade, place or responsible unit; routing is recomputed.

    The unit comes from the routing rules of the (new) place and category, else stays as it
    was. ``responsible_unit_id``, when it names an active unit other than the current one,
    is the office's choice and wins over routing (e.g. an outdoor place no rule covers, or a
    hazard confirmed without a unit). When the responsible unit changes while a notice is
    out, the old unit's notice item is cancelled, the hazard goes back to ``confirmed`` for a
    new notice, and the old unit is told. Everything is on the timeline. Raises DomainError
    (unknown category, place or unit), Conflict (finished or stale), NotAllowed.
    """
    category = HazardCategory.objects.filter(pk=category_id).first()
    if category is None:
        raise DomainError(_("Choose a category."), field_errors={"category": [_("Choose a category.")]})
    chosen_unit = None
    if responsible_unit_id:
        chosen_unit = Unit.objects.filter(pk=responsible_unit_id, is_active=True).first()
        if chosen_unit is None:
            message = _("Choose a responsible unit from the list.")
            raise DomainError(message, field_errors={"responsible_unit": [message]})
    campus, building, place, zone_id = _resolve_location(
        campus_id=campus_id, building_id=building_id, place_id=place_id
    )
    with transaction.atomic():
        hazard = _lock_hazard(hazard_id, version)
        perm_require(actor, "hazards.edit_hazard", hazard)
        if hazard.status in (Status.CLOSED, Status.FIXED_ON_SPOT, Status.REJECTED,
                             Status.DUPLICATE):
            raise Conflict(_("A finished hazard can no longer be changed."))
        old_unit_id = hazard.responsible_unit_id
        old = {
            "category": str(hazard.category),
            "place": str(hazard.place or hazard.building or hazard.campus),
            "unit": str(hazard.responsible_unit or ""),
        }
        hazard.category = category
        hazard.campus, hazard.building, hazard.place, hazard.zone_id = (
            campus, building, place, zone_id
        )
        hazard.location_text = (location_text or "").strip()[:200]
        if grade in Grade.values:
            hazard.grade = grade
        if chosen_unit is not None and chosen_unit.pk != old_unit_id:
            new_unit_id = chosen_unit.pk
        else:
            new_unit_id = hazard_route(category_id=category.pk, campus_id=campus.pk, place=place,
                                       building=building) or old_unit_id
        hazard.responsible_unit_id = new_unit_id
        data = {"before": old, "after": {
            "category": str(category), "place": str(place or building or campus),
            "unit": str(Unit.objects.filter(pk=new_unit_id).first() or "")}}
        if new_unit_id != old_unit_id and hazard.status in (
            Status.NOTICE_ISSUED, Status.ACKNOWLEDGED, Status.RECTIFYING,
            Status.EVIDENCE_SUBMITTED, Status.RETURNED,
        ):
            old_notice_id = hazard.current_notice_id
            NoticeItem.objects.filter(notice_id=old_notice_id, hazard=hazard).update(
                cancelled_at=clock.now()
            )
            hazard.current_notice = None
            hazard.deadline = None
            hazard.is_overdue = False
            hazard.escalation_level = 0
            # The old unit's pending extension request goes with its notice.
            hazard.extensions.filter(state=ExtensionRequest.State.PENDING).update(
                state=ExtensionRequest.State.REFUSED, decided_at=clock.now(),
                updated_at=clock.now(),
                decision_comment=_("The hazard was reassigned to another unit."),
            )
            _transition(hazard, "reroute", actor=actor, verb="hazards.reroute", data=data)
            _cancel_notice_if_empty(old_notice_id, actor=actor)
            _notify_on_commit(
                recipients=_unit_people(old_unit_id, Role.UNIT_SAFETY_CONTACT, Role.UNIT_LEADER),
                verb="hazards.reroute",
                title=_("Hazard reassigned to another unit, no action needed: %(title)s")
                % {"title": hazard.title},
                url="",
                dedupe_key=f"hazard:{hazard.pk}:rerouted:{hazard.version}",
                email=False,
            )
        else:
            hazard.version += 1
            hazard.save()
            activity_record(target=hazard, actor=actor, verb="hazards.update", data=data)
    return hazard


def _cancel_notice_if_empty(notice_id: int | None, *, actor) -> None:
    if not notice_id:
        return
    notice = RectificationNotice.objects.select_for_update().get(pk=notice_id)
    if not notice.items.filter(cancelled_at__isnull=True).exists():
        old = notice.state
        notice.state = RectificationNotice.State.CANCELLED
        notice.save(update_fields=["state", "updated_at"])
        activity_record(target=notice, actor=actor, verb="notices.cancel", from_state=old,
                        to_state=notice.state)
    else:
        _complete_notice_if_done(notice_id, actor=actor)


# --- deadline extensions --------------------------------------------------------------------
def extension_request(
    *, actor, hazard_id: int, requested_deadline: dt.date, reason: str
) -> ExtensionRequest:
    """The unit asks for a later deadline: ``requested_deadline`` is a local date after the
    current deadline and at most ``NOTICE_DAYS_MAX`` (180) calendar days after today (local),
    the longest a new notice may allow. Raises DomainError (bad date or no reason), Conflict
    (nothing due, or a request already waiting), NotAllowed."""
    _check_length("reason", reason, COMMENT_MAX)
    reason = (reason or "").strip()
    if not reason:
        message = _("Give the reason for the extension.")
        raise DomainError(message, field_errors={"reason": [message]})
    with transaction.atomic():
        hazard = _lock_hazard(hazard_id, None)
        perm_require(actor, "hazards.request_extension", hazard)
        if hazard.status not in UNIT_STATES or hazard.deadline is None:
            raise Conflict(_("An extension can only be asked for while rectification is due."))
        current = hazard.deadline.astimezone(clock.local_zone()).date()
        if not isinstance(requested_deadline, dt.date) or requested_deadline <= current:
            message = _("The new deadline must be after the current one (%(date)s).") % {
                "date": current.isoformat()}
            raise DomainError(message, field_errors={"requested_deadline": [message]})
        latest = selectors.extension_latest_date()
        if requested_deadline > latest:
            message = _("The new deadline can be at most %(days)s days from today (%(date)s).") % {
                "days": NOTICE_DAYS_MAX, "date": latest.isoformat()}
            raise DomainError(message, field_errors={"requested_deadline": [message]})
        if hazard.extensions.filter(state=ExtensionRequest.State.PENDING).exists():
            raise Conflict(_("An extension request is already waiting for a decision."))
        request = ExtensionRequest.objects.create(
            hazard=hazard, requested_deadline=requested_deadline, reason=reason,
            requested_by=actor,
        )
        activity_record(target=hazard, actor=actor, verb="hazards.request_extension",
                        comment=reason, data={"requested_deadline": requested_deadline.isoformat()})
        _notify_on_commit(
            recipients=_office_people(Role.OFFICE_STAFF),
            verb="hazards.request_extension",
            title=_("Deadline extension requested: %(title)s") % {"title": hazard.title},
            body=reason,
            url=_hazard_url(hazard),
            dedupe_key=f"extension:{request.pk}:requested",
            email=False,
        )
    return request


def extension_decide(
    *, actor, extension_id: int, grant: bool, comment: str = ""
) -> ExtensionRequest:
    """Grant (the hazard's deadline moves to the requested date) or refuse an extension."""
    _check_length("comment", comment, COMMENT_MAX)
    with transaction.atomic():
        request = ExtensionRequest.objects.select_for_update().filter(pk=extension_id).first()
        if request is None:
            raise DomainError(_("This extension request does not exist."), code="not_found")
        hazard = _lock_hazard(request.hazard_id, None)
        perm_require(actor, "hazards.decide_extension", hazard)
        if request.state != ExtensionRequest.State.PENDING:
            raise Conflict(_("This extension request was already decided."))
        if grant and hazard.status not in (*UNIT_STATES, Status.EVIDENCE_SUBMITTED):
            # closed, or re-routed to another unit since the request: no deadline to move
            raise Conflict(
                _("The hazard is “%(status)s” now; this request can only be refused.")
                % {"status": hazard.get_status_display()}
            )
        if not grant and not (comment or "").strip():
            message = _("Give the reason for refusing.")
            raise DomainError(message, field_errors={"comment": [message]})
        request.state = ExtensionRequest.State.GRANTED if grant else ExtensionRequest.State.REFUSED
        request.decided_by = actor
        request.decided_at = clock.now()
        request.decision_comment = (comment or "").strip()
        request.save()
        if grant:
            hazard.deadline = clock.end_of_local_day(request.requested_deadline)
            hazard.is_overdue = hazard.deadline < clock.now()
            if not hazard.is_overdue:
                hazard.escalation_level = 0
            hazard.version += 1
            hazard.save()
        activity_record(
            target=hazard, actor=actor,
            verb="hazards.grant_extension" if grant else "hazards.refuse_extension",
            comment=request.decision_comment,
            data={"requested_deadline": request.requested_deadline.isoformat()},
        )
        _notify_on_commit(
            recipients=[request.requested_by] if request.requested_by else [],
            verb="hazards.extension_decided",
            title=(_("Extension granted: %(title)s") if grant else
                   _("Extension refused: %(title)s")) % {"title": hazard.title},
            body=request.decision_comment,
            url=_hazard_url(hazard),
            dedupe_key=f"extension:{request.pk}:decided",
        )
    return request


# --- deadlines: reminders, overdue, escalation ----------------------------------------------
def hazard_deadline_sweep(*, at: dt.datetime | None = None) -> dict[str, int]:
    """One pass of the deadline rules; run every few minutes by a periodic task.

    1. Reminder to the unit's safety contacts REMINDER_HOURS_BEFORE_DEADLINE before the deadline.
    2. Past the deadline and still owed by the unit: marked overdue (逾期), contacts told.
    3. Overdue ≥ ESCALATE_TO_UNIT_LEADER_AFTER_DAYS: escalated to the unit leader (督办 1).
    4. Overdue ≥ ESCALATE_TO_OFFICE_HEAD_AFTER_DAYS: escalated to the office head (督办 2).

    Idempotent: each step re-checks its condition under a row lock and each message has a
    dedupe key, so re-runs and overlapping runs never send twice. Returns counts per step.
    """
    now = at or clock.now()
    conf = settings.SAFECAMPUS
    counts = {"reminded": 0, "overdue": 0, "escalated_to_unit_leader": 0,
              "escalated_to_office_head": 0}
    due_soon = now + dt.timedelta(hours=conf["REMINDER_HOURS_BEFORE_DEADLINE"])
    candidates = Hazard.objects.filter(status__in=UNIT_STATES, deadline__isnull=False)

    for pk in candidates.filter(deadline__gt=now, deadline__lte=due_soon).values_list(
        "pk", flat=True
    ):
        with transaction.atomic():
            hazard = Hazard.objects.select_for_update().get(pk=pk)
            if hazard.status not in UNIT_STATES or not (now < hazard.deadline <= due_soon):
                continue
            sent = notification_send(
                recipients=_unit_people(hazard.responsible_unit_id, Role.UNIT_SAFETY_CONTACT),
                verb="hazards.deadline_reminder",
                title=_("Rectification due by %(deadline)s: %(title)s") % {
                    "deadline": _local_str(hazard.deadline), "title": hazard.title},
                url=_hazard_url(hazard),
                dedupe_key=f"hazard:{pk}:reminder:{hazard.deadline.isoformat()}",
            )
            if sent:
                activity_record(target=hazard, actor=None, verb="hazards.remind",
                                data={"recipients": len(sent)})
                counts["reminded"] += 1

    steps = [
        ("overdue", 0, 0),
        ("escalated_to_unit_leader", conf["ESCALATE_TO_UNIT_LEADER_AFTER_DAYS"], 1),
        ("escalated_to_office_head", conf["ESCALATE_TO_OFFICE_HEAD_AFTER_DAYS"], 2),
    ]
    for name, days, level in steps:
        limit = now - dt.timedelta(days=days)
        todo = candidates.filter(deadline__lt=limit)
        todo = todo.filter(is_overdue=False) if level == 0 else todo.filter(
            escalation_level__lt=level)
        for pk in todo.values_list("pk", flat=True):
            with transaction.atomic():
                hazard = Hazard.objects.select_for_update().get(pk=pk)
                if hazard.status not in UNIT_STATES or hazard.deadline is None or not (
                    hazard.deadline < limit
                ):
                    continue
                if (level == 0 and hazard.is_overdue) or (
                    level and hazard.escalation_level >= level
                ):
                    continue
                _deadline_step(hazard, level=level)
                counts[name] += 1
    return counts


def _deadline_step(hazard: Hazard, *, level: int) -> None:
    """Mark overdue (level 0) or escalate (1: unit leader, 2: office head) one locked hazard."""
    values = {"title": hazard.title, "deadline": _local_str(hazard.deadline)}
    if level == 0:
        Hazard.objects.filter(pk=hazard.pk).update(is_overdue=True)
        recipients = _unit_people(hazard.responsible_unit_id, Role.UNIT_SAFETY_CONTACT)
        title = _("Overdue since %(deadline)s: %(title)s") % values
        verb = "hazards.overdue"
    else:
        Hazard.objects.filter(pk=hazard.pk).update(is_overdue=True, escalation_level=level)
        if level == 1:
            recipients = _unit_people(hazard.responsible_unit_id, Role.UNIT_LEADER)
            title = _("Escalated to you: overdue since %(deadline)s: %(title)s") % values
        else:
            recipients = _office_people(Role.OFFICE_ADMIN)
            title = _("Escalated to the office head: overdue since %(deadline)s: %(title)s") % (
                values)
        verb = "hazards.escalate"
        with translation.override(settings.LANGUAGE_CODE):
            robot_broadcast(topic="hazards", url=_hazard_url(hazard), campus_id=hazard.campus_id,
                            title=(_("Escalated to the unit leader: overdue since %(deadline)s: "
                                     "%(title)s") if level == 1 else
                                   _("Escalated to the office head: overdue since "
                                     "%(deadline)s: %(title)s")) % values)
    activity_record(target=hazard, actor=None, verb=verb, data={"level": level})
    _notify_on_commit(
        recipients=recipients,
        verb=verb,
        title=title,
        url=_hazard_url(hazard),
        dedupe_key=f"hazard:{hazard.pk}:{verb}:{level}:{hazard.deadline.isoformat()}",
    )


def _local_str(value: dt.datetime) -> str:
    return value.astimezone(clock.local_zone()).strftime("%Y-%m-%d %H:%M")
