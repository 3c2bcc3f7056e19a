"""Writes of the inspection module (house rules 1–4).

Every public function is ``<entity>_<verb>`` with keyword-only arguments: resolve ids → lock
→ check permission → check state → write, in one transaction, with an ActivityEntry per
state change and notifications on commit. Findings reach the hazard loop only through
``safecampus.hazards.services`` (the module never writes a hazard itself).

Errors: DomainError (bad input, 400), NotAllowed (403), Conflict (stale or illegal, 409).
"""

import base64
import binascii
import datetime as dt
import io
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Case, Max, When
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_fsm import can_proceed
from PIL import Image, UnidentifiedImageError

from safecampus.accounts.models import Role, User
from safecampus.accounts.selectors import office_people, unit_people
from safecampus.core import clock
from safecampus.core.activity import activity_record
from safecampus.core.errors import Conflict, DomainError, NotAllowed
from safecampus.core.idempotency import idempotency_lookup, idempotency_remember
from safecampus.core.uploads import photo_process
from safecampus.hazards import services as hazard_services
from safecampus.hazards.models import Grade, HazardCategory, Source
from safecampus.notifications.services import notification_send
from safecampus.organisation.models import Campus, Place

from .models import (
    ChecklistItem,
    ChecklistSection,
    ChecklistTemplate,
    ChecklistVersion,
    Coverage,
    Inspection,
    InspectionPlan,
    InspectionResult,
    InspectionTarget,
    Outcome,
    PlanKind,
    ResultPhoto,
    Scoring,
)

MAX_PHOTOS_PER_ITEM = 9
NAME_MAX, TEXT_MAX, NOTE_MAX, CODE_MAX = 120, 2000, 2000, 24
SIGNATURE_MAX_BYTES = 512 * 1024
#: Item codes such as ``1``, ``1.1`` or ``1.1.1`` (letters allowed: ``A3``, ``B.2``).
# Points are a magnitude for every kind of scoring (a deduction item's points are what it
# takes off), so they are never negative; a scored, bonus or deduction item must carry some.
POINTS_MAX = Decimal("1000")
POINTED_SCORINGS = frozenset({Scoring.SCORED, Scoring.BONUS, Scoring.DEDUCTION})
POINTS_NEGATIVE = gettext_lazy("Points cannot be negative: write them as a positive number (a "
                               "deduction item's points are what it takes off).")
POINTS_TOO_HIGH = gettext_lazy("Points must be at most 1000.")
POINTS_NEEDED = gettext_lazy("A scored, bonus or deduction item needs points above 0 (choose "
                             "“Not scored” for an item without points).")
CODE_CHARS = frozenset("0123456789.-_ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")


def _require(actor, perm: str, obj=None) -> None:
    if not actor.has_perm(perm, obj):
        raise NotAllowed()


def _refuse(field_name: str, message: str) -> None:
    raise DomainError(message, field_errors={field_name: [message]})


def _check_length(field_name: str, value: str | None, limit: int) -> None:
    if value and len(value) > limit:
        _refuse(field_name, _("At most %(limit)s characters (this has %(length)s).")
                % {"limit": limit, "length": len(value)})


def _notify_on_commit(**kwargs) -> None:
    transaction.on_commit(lambda: notification_send(**kwargs))


def _inspection_url(inspection: Inspection) -> str:
    return reverse("inspections:detail", args=[inspection.pk])


# --- checklists ---------------------------------------------------------------------------
@dataclass
class ItemData:
    """One item as read from a form or a file (``line``: where it came from, for errors)."""

    code: str
    text: str
    basis: str = ""
    hazard_category_id: int | None = None
    hazard_grade: str = Grade.GENERAL
    is_veto: bool = False
    scoring: str = Scoring.NONE
    points: Decimal = Decimal("0")
    line: int | None = None


@dataclass
class SectionData:
    code: str
    title: str
    items: list[ItemData] = field(default_factory=list)


@dataclass
class ChecklistData:
    """A whole checklist: the shape every import format is read into."""

    name: str
    code: str
    kind: str = ChecklistTemplate.Kind.GENERAL
    description: str = ""
    pass_score: Decimal | None = None
    sections: list[SectionData] = field(default_factory=list)


def checklist_validate(data: ChecklistData) -> list[tuple[int | None, str]]:
    """Every problem of ``data`` as ``(line or None, message)``; empty when it can be saved.

    Rules: a name and a code; at least one item; item codes present, at most 24 characters
    of letters, digits and ``. - _``, and unique within the version; item text present;
    scoring known; points a number from 0 to 1000, above 0 for a scored, bonus or deduction
    item; category/grade known.
    """
    problems: list[tuple[int | None, str]] = []
    if not (data.name or "").strip():
        problems.append((None, _("The checklist needs a name.")))
    elif len(data.name) > NAME_MAX:
        problems.append((None, _("The name is longer than %(limit)s characters.")
                         % {"limit": NAME_MAX}))
    code = (data.code or "").strip()
    if not code:
        problems.append((None, _("The checklist needs a code.")))
    elif len(code) > 48 or not all(ch in CODE_CHARS for ch in code):
        problems.append((None, _("The checklist code may use only letters, digits, dots, "
                                 "hyphens and underscores (at most 48).")))
    if data.kind not in ChecklistTemplate.Kind.values:
        problems.append((None, _("Unknown checklist kind “%(kind)s”.") % {"kind": data.kind}))
    seen: dict[str, int | None] = {}
    count = 0
    for section in data.sections:
        if not (section.title or "").strip():
            problems.append((None, _("Every section needs a title.")))
        for item in section.items:
            count += 1
            line = item.line
            item_code = (item.code or "").strip()
            problems.extend((line, message) for _field, message in _item_problems(item))
            if item_code and item_code in seen:
                where = seen[item_code]
                problems.append((line, _("Item code “%(code)s” appears twice (also on line "
                                         "%(line)s).") % {"code": item_code, "line": where}
                                 if where else _("Item code “%(code)s” appears twice.")
                                 % {"code": item_code}))
            elif item_code:
                seen[item_code] = line
    if count == 0:
        problems.append((None, _("The checklist has no items.")))
    return problems


def _item_problems(item: ItemData) -> list[tuple[str, str]]:
    """Problems of one item on its own, as ``(field, message)``: code, text, scoring,
    grade and points (uniqueness of the code is checked over the whole version)."""
    problems: list[tuple[str, str]] = []
    item_code = (item.code or "").strip()
    if not item_code:
        problems.append(("code", _("The item code is missing.")))
    elif len(item_code) > CODE_MAX or not all(ch in CODE_CHARS for ch in item_code):
        problems.append(("code", _("Item code “%(code)s” may use only letters, digits, dots, "
                                   "hyphens and underscores (at most 24).")
                         % {"code": item_code}))
    if not (item.text or "").strip():
        problems.append(("text", _("The check point text is missing.")))
    elif len(item.text) > TEXT_MAX:
        problems.append(("text", _("The check point text is longer than %(limit)s "
                                   "characters.") % {"limit": TEXT_MAX}))
    if item.scoring not in Scoring.values:
        problems.append(("scoring", _("Unknown scoring “%(value)s”.") % {"value": item.scoring}))
    if item.hazard_grade not in Grade.values:
        problems.append(("hazard_grade", _("Unknown hazard grade “%(value)s”.")
                         % {"value": item.hazard_grade}))
    try:
        points = Decimal(item.points)
        if not points.is_finite():
            raise InvalidOperation
    except (InvalidOperation, TypeError, ValueError):
        problems.append(("points", _("Points must be a number between 0 and 1000.")))
    else:
        if points < 0:
            problems.append(("points", str(POINTS_NEGATIVE)))
        elif points > POINTS_MAX:
            problems.append(("points", str(POINTS_TOO_HIGH)))
        elif points == 0 and item.scoring in POINTED_SCORINGS:
            problems.append(("points", str(POINTS_NEEDED)))
    return problems


def _raise_problems(problems: list[tuple[int | None, str]]) -> None:
    lines = [
        _("Line %(line)s: %(message)s") % {"line": line, "message": message} if line
        else message
        for line, message in problems
    ]
    raise DomainError(lines[0] if len(lines) == 1 else _("%(count)s problems, nothing was "
                      "saved.") % {"count": len(lines)},
                      code="invalid_checklist", field_errors={"file": lines})


def _write_items(version: ChecklistVersion, sections: Sequence[SectionData]) -> None:
    position = 0
    for s_position, section in enumerate(sections, start=1):
        section_row = ChecklistSection.objects.create(
            version=version, code=(section.code or "").strip()[:24],
            title=section.title.strip()[:200], position=s_position)
        rows = []
        for item in section.items:
            position += 1
            rows.append(ChecklistItem(
                version=version, section=section_row, code=item.code.strip(),
                text=item.text.strip(), basis=(item.basis or "").strip(),
                hazard_category_id=item.hazard_category_id, hazard_grade=item.hazard_grade,
                is_veto=bool(item.is_veto), scoring=item.scoring,
                points=Decimal(item.points), position=position))
        ChecklistItem.objects.bulk_create(rows)


def checklist_import(*, actor, data: ChecklistData, publish: bool = False) -> ChecklistVersion:
    """Save ``data`` as a new template, or as the next draft of the template with its code.

    All or nothing: every problem (see :func:`checklist_validate`) is reported with its line
    and nothing is written. An existing draft of that template is replaced. ``publish``
    publishes the new version at once. Returns the new version.
    """
    _require(actor, "inspections.manage_templates")
    problems = checklist_validate(data)
    if problems:
        _raise_problems(problems)
    with transaction.atomic():
        template = ChecklistTemplate.objects.select_for_update().filter(
            code=data.code.strip()).first()
        if template is None:
            template = ChecklistTemplate.objects.create(
                code=data.code.strip(), name=data.name.strip(), kind=data.kind,
                description=(data.description or "").strip())
            activity_record(target=template, actor=actor, verb="inspections.template_create")
        template.versions.filter(state=ChecklistVersion.State.DRAFT).delete()
        number = (template.versions.aggregate(n=Max("number"))["n"] or 0) + 1
        version = ChecklistVersion.objects.create(
            template=template, number=number, pass_score=data.pass_score,
            notes=_("Imported from a file"))
        _write_items(version, data.sections)
        activity_record(target=version, actor=actor, verb="inspections.version_import",
                        to_state=version.state, data={"number": number})
    if publish:
        version = version_publish(actor=actor, version_id=version.pk)
    return version


def template_create(*, actor, code: str, name: str, kind: str = ChecklistTemplate.Kind.GENERAL,
                    description: str = "") -> ChecklistVersion:
    """A new, empty template with its draft version 1 and one section to add items to."""
    _require(actor, "inspections.manage_templates")
    data = ChecklistData(name=name, code=code, kind=kind, description=description,
                         sections=[SectionData(code="", title="-", items=[ItemData("x", "x")])])
    problems = [p for p in checklist_validate(data)]
    if problems:
        _raise_problems(problems)
    if ChecklistTemplate.objects.filter(code=code.strip()).exists():
        _refuse("code", _("A checklist with this code exists already."))
    with transaction.atomic():
        template = ChecklistTemplate.objects.create(code=code.strip(), name=name.strip(),
                                                    kind=kind, description=description.strip())
        version = ChecklistVersion.objects.create(template=template, number=1)
        with translation.override(settings.LANGUAGE_CODE):
            title = _("Check items")
        ChecklistSection.objects.create(version=version, title=title, position=1)
        activity_record(target=template, actor=actor, verb="inspections.template_create")
    return version


def _lock_draft(version_id: int) -> ChecklistVersion:
    version = ChecklistVersion.objects.select_for_update().filter(pk=version_id).first()
    if version is None:
        raise DomainError(_("This checklist version does not exist."), code="not_found")
    if not version.is_editable:
        raise Conflict(_("Version %(number)s is published and can no longer change; start a "
                         "new version to edit it.") % {"number": version.number})
    return version


def version_new_draft(*, actor, template_id: int) -> ChecklistVersion:
    """A draft copying the newest version of the template (or its existing draft)."""
    _require(actor, "inspections.manage_templates")
    with transaction.atomic():
        template = ChecklistTemplate.objects.select_for_update().filter(pk=template_id).first()
        if template is None:
            raise DomainError(_("This checklist does not exist."), code="not_found")
        draft = template.versions.filter(state=ChecklistVersion.State.DRAFT).first()
        if draft is not None:
            return draft
        latest = template.versions.order_by("-number").first()
        number = (latest.number if latest else 0) + 1
        draft = ChecklistVersion.objects.create(
            template=template, number=number, pass_score=latest.pass_score if latest else None)
        if latest is not None:
            _write_items(draft, version_sections(latest))
        activity_record(target=draft, actor=actor, verb="inspections.version_draft",
                        to_state=draft.state, data={"number": number})
    return draft


def version_sections(version: ChecklistVersion) -> list[SectionData]:
    """The version's sections and items as plain data (for copying and export)."""
    sections = {s.pk: SectionData(code=s.code, title=s.title) for s in version.sections.all()}
    for item in version.items.order_by("position", "id"):
        sections[item.section_id].items.append(ItemData(
            code=item.code, text=item.text, basis=item.basis,
            hazard_category_id=item.hazard_category_id, hazard_grade=item.hazard_grade,
            is_veto=item.is_veto, scoring=item.scoring, points=item.points))
    return list(sections.values())


def version_publish(*, actor, version_id: int) -> ChecklistVersion:
    """Freeze a draft; the version published before it is marked superseded.

    Inspections already started keep the version they began with.
    """
    _require(actor, "inspections.manage_templates")
    with transaction.atomic():
        version = _lock_draft(version_id)
        if not version.items.exists():
            raise DomainError(_("Add at least one item before publishing."))
        version.template.versions.filter(state=ChecklistVersion.State.PUBLISHED).update(
            state=ChecklistVersion.State.RETIRED)
        version.state = ChecklistVersion.State.PUBLISHED
        version.published_at = clock.now()
        version.published_by = actor
        version.save(update_fields=["state", "published_at", "published_by", "updated_at"])
        activity_record(target=version, actor=actor, verb="inspections.version_publish",
                        from_state=ChecklistVersion.State.DRAFT, to_state=version.state)
    return version


def section_add(*, actor, version_id: int, title: str, code: str = "") -> ChecklistSection:
    _require(actor, "inspections.manage_templates")
    title = (title or "").strip()
    if not title:
        _refuse("title", _("Give the section a title."))
    _check_length("title", title, 200)
    _check_length("code", code, 24)
    with transaction.atomic():
        version = _lock_draft(version_id)
        position = (version.sections.aggregate(n=Max("position"))["n"] or 0) + 1
        return ChecklistSection.objects.create(version=version, title=title,
                                               code=(code or "").strip(), position=position)


def item_save(*, actor, version_id: int, section_id: int, data: ItemData,
              item_id: int | None = None) -> ChecklistItem:
    """Add an item to a draft (or change one); codes stay unique within the version."""
    _require(actor, "inspections.manage_templates")
    problems = _item_problems(data)
    if problems:
        raise DomainError(problems[0][1], field_errors={f: [m] for f, m in reversed(problems)})
    if data.hazard_category_id and not HazardCategory.objects.filter(
            pk=data.hazard_category_id, is_active=True).exists():
        _refuse("hazard_category", _("Choose a category from the list."))
    with transaction.atomic():
        version = _lock_draft(version_id)
        section = version.sections.filter(pk=section_id).first()
        if section is None:
            _refuse("section", _("Choose a section of this version."))
        clash = version.items.filter(code=data.code.strip())
        if item_id:
            clash = clash.exclude(pk=item_id)
        if clash.exists():
            _refuse("code", _("Item code “%(code)s” is used already in this version.")
                    % {"code": data.code.strip()})
        if item_id:
            item = version.items.filter(pk=item_id).first()
            if item is None:
                raise DomainError(_("This item does not exist."), code="not_found")
        else:
            item = ChecklistItem(version=version,
                                 position=(version.items.aggregate(n=Max("position"))["n"]
                                           or 0) + 1)
        item.section = section
        item.code = data.code.strip()
        item.text = data.text.strip()
        item.basis = (data.basis or "").strip()
        item.hazard_category_id = data.hazard_category_id or None
        item.hazard_grade = data.hazard_grade
        item.is_veto = data.is_veto
        item.scoring = data.scoring
        item.points = Decimal(data.points)
        item.save()
    return item


def item_delete(*, actor, item_id: int) -> None:
    _require(actor, "inspections.manage_templates")
    with transaction.atomic():
        item = ChecklistItem.objects.filter(pk=item_id).first()
        if item is None:
            return
        _lock_draft(item.version_id)
        item.delete()


def version_current(template: ChecklistTemplate) -> ChecklistVersion | None:
    """The template's published version (what new inspections use), or None."""
    return template.versions.filter(state=ChecklistVersion.State.PUBLISHED).order_by(
        "-number").first()


# --- plans and campaigns ------------------------------------------------------------------
def _interval_days(plan: InspectionPlan, place: Place) -> int | None:
    if plan.kind != PlanKind.RECURRING:
        return None
    if plan.by_risk_level:
        table = settings.SAFECAMPUS["INSPECTION_DAYS_BY_RISK"]
        return table.get(place.risk_level or "", table.get("", 90))
    return plan.interval_days


#: No plan starts before this day: nothing on this platform is older (a year like 1926 or
#: 2206 is a typo); a plan starts at most PLAN_START_AHEAD days ahead, and a campaign, a
#: drive with an end, lasts at most CAMPAIGN_MAX_DAYS (longer checks are a recurring schedule).
PLAN_EARLIEST_DAY = dt.date(2000, 1, 1)
PLAN_START_AHEAD = 366
CAMPAIGN_MAX_DAYS = 366


def _plan_date_problems(kind: str, starts_on: dt.date | None,
                        ends_on: dt.date | None) -> dict[str, list[str]]:
    """Field errors of a plan's local dates. A campaign that has already ended is allowed:
    registered afterwards, it puts a drive already run on record, and the inspections done
    at its places within its dates count for it (the others show as late)."""
    errors: dict[str, list[str]] = {}
    if starts_on is None:
        errors["starts_on"] = [_("Give the start date.")]
        return errors
    latest_start = clock.local_today() + dt.timedelta(days=PLAN_START_AHEAD)
    if starts_on < PLAN_EARLIEST_DAY:
        errors["starts_on"] = [_("A plan cannot start before %(date)s; check the year.")
                               % {"date": PLAN_EARLIEST_DAY.isoformat()}]
    elif starts_on > latest_start:
        errors["starts_on"] = [_("A plan can start at most one year from today (by %(date)s); "
                                 "check the year.") % {"date": latest_start.isoformat()}]
    if ends_on and ends_on < starts_on:
        errors["ends_on"] = [_("The end date is before the start date.")]
    elif (ends_on and kind == PlanKind.CAMPAIGN
          and (ends_on - starts_on).days + 1 > CAMPAIGN_MAX_DAYS):
        errors["ends_on"] = [_("A campaign lasts at most one year; for checks that go on "
                               "longer, make a recurring schedule.")]
    return errors


def plan_create(
    *,
    actor,
    kind: str,
    name: str,
    template_id: int,
    place_ids: Sequence[int],
    starts_on: dt.date,
    ends_on: dt.date | None = None,
    interval_days: int | None = None,
    by_risk_level: bool = False,
    inspector_ids: Sequence[int] = (),
    deadline_days: int | None = None,
    needs_review: bool = False,
    description: str = "",
    campus_id: int | None = None,
    idempotency_key: str | None = None,
) -> InspectionPlan:
    """Create a recurring schedule or a campaign and one target per place.

    Inspectors are assigned to targets in turn, keeping a unit's places with one inspector.
    Dates are local (Asia/Shanghai). Raises DomainError for a missing name/template/place,
    an unpublished template, ``ends_on`` before ``starts_on``, a campaign without an end or
    longer than a year, a start before 2000-01-01 or more than a year ahead (see
    :func:`_plan_date_problems`; a campaign that has already ended is allowed), or a
    recurring plan without an interval (unless it follows the risk level). With the same
    ``idempotency_key`` a second call returns the first plan.
    """
    _require(actor, "inspections.manage_plans")
    existing = idempotency_lookup(scope="inspections.plan_create", key=idempotency_key,
                                  model=InspectionPlan, user=actor)
    if existing is not None:
        return existing
    errors: dict[str, list[str]] = {}
    name = (name or "").strip()
    _check_length("name", name, NAME_MAX)
    _check_length("description", description, TEXT_MAX)
    if not name:
        errors["name"] = [_("Give the plan a name.")]
    if kind not in PlanKind.values:
        errors["kind"] = [_("Choose a recurring schedule or a campaign.")]
    template = ChecklistTemplate.objects.filter(pk=template_id, is_active=True).first() if str(
        template_id or "").isdigit() else None
    if template is None:
        errors["template"] = [_("Choose a checklist.")]
    elif version_current(template) is None:
        errors["template"] = [_("This checklist has no published version yet.")]
    ids = sorted({int(p) for p in place_ids if str(p).isdigit()})
    places = list(Place.objects.filter(pk__in=ids).select_related("building"))
    if not ids:
        errors["places"] = [_("Choose at least one place.")]
    elif len(places) != len(ids):
        errors["places"] = [_("Some of the chosen places do not exist.")]
    if kind == PlanKind.CAMPAIGN and not ends_on:
        errors["ends_on"] = [_("A campaign needs an end date.")]
    errors.update(_plan_date_problems(kind, starts_on, ends_on))
    if kind == PlanKind.RECURRING and not by_risk_level and not (
            isinstance(interval_days, int) and 1 <= interval_days <= 366):
        errors["interval_days"] = [_("Repeat every 1 to 366 days, or follow the risk level.")]
    if deadline_days is not None and not (isinstance(deadline_days, int)
                                          and 1 <= deadline_days <= 180):
        errors["deadline_days"] = [_("The deadline must be between 1 and 180 days.")]
    inspectors = list(User.objects.filter(pk__in=[int(i) for i in inspector_ids
                                                  if str(i).isdigit()], is_active=True))
    if len(inspectors) != len({str(i) for i in inspector_ids}):
        errors["inspectors"] = [_("Some of the chosen inspectors do not exist.")]
    elif any(not u.has_perm("inspections.start_inspection") for u in inspectors):
        errors["inspectors"] = [_("Inspectors must be security office staff.")]
    campus = Campus.objects.filter(pk=campus_id).first() if str(campus_id or "").isdigit() \
        else None
    if campus_id and campus is None:
        errors["campus"] = [_("Choose a campus from the list.")]
    if errors:
        raise DomainError(next(iter(errors.values()))[0], field_errors=errors)
    with transaction.atomic():
        plan = InspectionPlan.objects.create(
            kind=kind, name=name, description=(description or "").strip(), template=template,
            campus=campus, starts_on=starts_on, ends_on=ends_on,
            interval_days=interval_days if kind == PlanKind.RECURRING else None,
            by_risk_level=by_risk_level and kind == PlanKind.RECURRING,
            deadline_days=deadline_days or settings.SAFECAMPUS["INSPECTION_DEADLINE_DAYS"],
            needs_review=needs_review, created_by=actor)
        plan.inspectors.set(inspectors)
        # Keep a unit's places with one inspector: sort by unit, then deal units out in turn.
        places.sort(key=lambda p: (p.owning_unit_id or 0, p.code))
        by_unit: dict[int | None, int] = {}
        targets = []
        for place in places:
            unit_id = place.owning_unit_id
            if inspectors and unit_id not in by_unit:
                by_unit[unit_id] = len(by_unit) % len(inspectors)
            inspector = inspectors[by_unit[unit_id]] if inspectors else None
            targets.append(InspectionTarget(plan=plan, place=place, unit_id=unit_id,
                                            inspector=inspector))
        InspectionTarget.objects.bulk_create(targets, batch_size=500)
        _targets_seed(plan)
        activity_record(target=plan, actor=actor, verb="inspections.plan_create",
                        to_state=plan.state, data={"kind": kind, "places": len(targets)})
        if not idempotency_remember(scope="inspections.plan_create", key=idempotency_key,
                                    user=actor, result=plan):
            winner = idempotency_lookup(scope="inspections.plan_create", key=idempotency_key,
                                        model=InspectionPlan, user=actor)
            transaction.set_rollback(True)  # after the read, see hazards.services.hazard_report
            return winner
    return plan


def _targets_seed(plan: InspectionPlan) -> None:
    """Start each new target from the place's last finished inspection with this template."""
    today = clock.local_today()
    targets = list(plan.targets.select_related("place"))
    last = {}
    for row in (Inspection.objects.filter(
            place_id__in=[t.place_id for t in targets], version__template_id=plan.template_id,
            state=Inspection.State.FINISHED).order_by("place_id", "finished_at")
            .values("place_id", "pk", "finished_at")):
        last[row["place_id"]] = row
    for target in targets:
        row = last.get(target.place_id)
        if row:
            target.last_inspection_id = row["pk"]
            target.last_inspected_at = row["finished_at"]
        _target_compute(target, plan=plan, today=today, has_open=False)
    InspectionTarget.objects.bulk_update(
        targets, ["coverage", "due_on", "last_inspection", "last_inspected_at"], batch_size=500)


def _target_compute(target: InspectionTarget, *, plan: InspectionPlan, today: dt.date,
                    has_open: bool) -> None:
    """Set ``coverage`` and ``due_on`` of ``target`` from its plan and last inspection.

    Campaign: done when finished within the campaign's dates, else in progress, due (never
    inspected, when the place has no inspection with the checklist at all), and late after
    ``ends_on``. Recurring: the first check is due ``interval`` days after the plan starts
    (never inspected until then, late after); each next one ``interval`` days after the last
    (``due`` from INSPECTION_DUE_SOON_DAYS before), late after that day.
    """
    last_day = (target.last_inspected_at.astimezone(clock.local_zone()).date()
                if target.last_inspected_at else None)
    if plan.kind == PlanKind.CAMPAIGN:
        target.due_on = plan.ends_on
        if last_day and plan.starts_on <= last_day <= (plan.ends_on or last_day):
            target.coverage = Coverage.DONE
        elif has_open:
            target.coverage = Coverage.IN_PROGRESS
        elif plan.ends_on and today > plan.ends_on:
            target.coverage = Coverage.LATE
        else:
            # Not yet done in this campaign: "never inspected" when the place has no earlier
            # inspection with this checklist either.
            target.coverage = Coverage.NEVER if last_day is None else Coverage.DUE
        return
    interval = _interval_days(plan, target.place) or 30
    if has_open:
        target.coverage = Coverage.IN_PROGRESS
        target.due_on = (last_day or plan.starts_on) + dt.timedelta(days=interval)
        return
    if last_day is None:
        # The first check is due one interval after the plan starts; after that it is late.
        target.due_on = plan.starts_on + dt.timedelta(days=interval)
        target.coverage = Coverage.LATE if today > target.due_on else Coverage.NEVER
        return
    target.due_on = last_day + dt.timedelta(days=interval)
    soon = dt.timedelta(days=settings.SAFECAMPUS["INSPECTION_DUE_SOON_DAYS"])
    if today > target.due_on:
        target.coverage = Coverage.LATE
    elif today >= target.due_on - soon:
        target.coverage = Coverage.DUE
    else:
        target.coverage = Coverage.DONE


def _target_refresh(target_id: int | None) -> None:
    if not target_id:
        return
    target = InspectionTarget.objects.select_for_update().select_related(
        "plan", "place").filter(pk=target_id).first()
    if target is None:
        return
    inspections = Inspection.objects.filter(target=target)
    has_open = inspections.filter(state__in=[Inspection.State.IN_PROGRESS,
                                             Inspection.State.AWAITING_REVIEW]).exists()
    last = inspections.filter(state=Inspection.State.FINISHED).order_by("-finished_at").first()
    if last is None:
        # Inspections of the place outside the plan count too (e.g. before the plan began).
        last = Inspection.objects.filter(
            place_id=target.place_id, version__template_id=target.plan.template_id,
            state=Inspection.State.FINISHED).order_by("-finished_at").first()
    target.last_inspection = last
    target.last_inspected_at = last.finished_at if last else None
    _target_compute(target, plan=target.plan, today=clock.local_today(), has_open=has_open)
    target.save(update_fields=["coverage", "due_on", "last_inspection", "last_inspected_at",
                               "updated_at"])


def target_assign(*, actor, plan_id: int, target_ids: Sequence[int],
                  inspector_id: int | None) -> int:
    """Assign (or, with None, unassign) an inspector to places of an active plan.

    Ids of other plans' targets are ignored. Returns how many targets changed; the change is
    on the plan's timeline. Raises DomainError for an unknown inspector or no places,
    Conflict when the plan is closed.
    """
    _require(actor, "inspections.manage_plans")
    inspector = None
    if inspector_id:
        inspector = User.objects.filter(pk=inspector_id, is_active=True).first()
        if inspector is None or not inspector.has_perm("inspections.start_inspection"):
            _refuse("inspector", _("Inspectors must be security office staff."))
    ids = [int(t) for t in target_ids if str(t).isdigit()]
    if not ids:
        _refuse("targets", _("Choose at least one place."))
    with transaction.atomic():
        plan = InspectionPlan.objects.select_for_update().filter(pk=plan_id).first()
        if plan is None:
            raise DomainError(_("This plan does not exist."), code="not_found")
        if plan.state != InspectionPlan.State.ACTIVE:
            raise Conflict(_("This plan is closed."))
        count = plan.targets.filter(pk__in=ids).update(inspector=inspector,
                                                       updated_at=clock.now())
        activity_record(target=plan, actor=actor, verb="inspections.assign",
                        data={"inspector": inspector.pk if inspector else None,
                              "targets": count})
    return count


def plan_close(*, actor, plan_id: int) -> InspectionPlan:
    _require(actor, "inspections.manage_plans")
    with transaction.atomic():
        plan = InspectionPlan.objects.select_for_update().filter(pk=plan_id).first()
        if plan is None:
            raise DomainError(_("This plan does not exist."), code="not_found")
        if plan.state == InspectionPlan.State.CLOSED:
            return plan
        plan.state = InspectionPlan.State.CLOSED
        plan.save(update_fields=["state", "updated_at"])
        activity_record(target=plan, actor=actor, verb="inspections.plan_close",
                        from_state=InspectionPlan.State.ACTIVE, to_state=plan.state)
    return plan


def coverage_sweep(*, today: dt.date | None = None) -> dict[str, int]:
    """Move targets of active plans on with the calendar (run daily; safe to re-run).

    Campaign targets still due after the end date become late; recurring targets turn due
    INSPECTION_DUE_SOON_DAYS before their due date and late after it (set-based updates).
    First, places of plans that follow the risk level get their due date again from their
    current risk level, which the risk register may have changed since the last inspection.
    Returns counts: ``{"late": n, "due": n, "rescheduled": n}``.
    """
    today = today or clock.local_today()
    rescheduled = _risk_targets_reschedule(today)
    soon = today + dt.timedelta(days=settings.SAFECAMPUS["INSPECTION_DUE_SOON_DAYS"])
    active = InspectionTarget.objects.filter(plan__state=InspectionPlan.State.ACTIVE)
    late_campaign = active.filter(plan__kind=PlanKind.CAMPAIGN, plan__ends_on__lt=today,
                                  coverage__in=[Coverage.DUE, Coverage.NEVER]).update(
        coverage=Coverage.LATE)
    recurring = active.filter(plan__kind=PlanKind.RECURRING)
    late = recurring.filter(coverage__in=[Coverage.DONE, Coverage.DUE, Coverage.NEVER],
                            due_on__lt=today).update(coverage=Coverage.LATE)
    due = recurring.filter(coverage=Coverage.DONE, due_on__lte=soon).update(coverage=Coverage.DUE)
    return {"late": late_campaign + late, "due": due, "rescheduled": rescheduled}


def _risk_targets_reschedule(today: dt.date) -> int:
    """Recompute due date and coverage of active risk-level plans' targets not in progress;
    write only those that changed. Returns how many changed."""
    targets = (InspectionTarget.objects
               .filter(plan__state=InspectionPlan.State.ACTIVE, plan__by_risk_level=True)
               .exclude(coverage=Coverage.IN_PROGRESS)
               .select_related("plan", "place").order_by("pk"))
    changed = []
    for target in targets.iterator(chunk_size=500):
        before = (target.due_on, target.coverage)
        _target_compute(target, plan=target.plan, today=today, has_open=False)
        if (target.due_on, target.coverage) != before:
            changed.append(target)
    InspectionTarget.objects.bulk_update(changed, ["due_on", "coverage"], batch_size=500)
    return len(changed)


# --- doing an inspection ------------------------------------------------------------------
def inspection_start(
    *,
    actor,
    place_id: int | None = None,
    template_id: int | None = None,
    target_id: int | None = None,
    idempotency_key: str | None = None,
) -> Inspection:
    """Begin (or resume) an inspection of a place with a template's published version.

    From a plan's target: the plan's template and review setting; an inspection of that
    target already in progress by the same person is returned instead of a second one. An
    office inspection started from a place that an active plan covers with the same
    checklist counts for that plan (it is attached to the place's target).
    Office staff start office inspections; a unit's safety contact or leader starts a
    self-inspection (自查) of one of the unit's places.
    """
    existing = idempotency_lookup(scope="inspections.start", key=idempotency_key,
                                  model=Inspection, user=actor)
    if existing is not None:
        return existing
    target = None
    plan = None
    if target_id:
        target = InspectionTarget.objects.select_related("plan", "place").filter(
            pk=target_id).first()
        if target is None:
            _refuse("target", _("This place is not in the plan."))
        plan = target.plan
        if plan.state != InspectionPlan.State.ACTIVE:
            raise Conflict(_("This plan is closed."))
        place = target.place
        template = plan.template
    else:
        place = Place.objects.select_related("building").filter(pk=place_id).first() if str(
            place_id or "").isdigit() else None
        template = ChecklistTemplate.objects.filter(pk=template_id, is_active=True).first() if str(
            template_id or "").isdigit() else None
        errors = {}
        if place is None:
            errors["place"] = [_("Choose the place to inspect.")]
        if template is None:
            errors["template"] = [_("Choose a checklist.")]
        if errors:
            raise DomainError(next(iter(errors.values()))[0], field_errors=errors)
    version = version_current(template)
    if version is None:
        _refuse("template", _("This checklist has no published version yet."))
    unit_id = target.unit_id if target else place.owning_unit_id
    if actor.has_perm("inspections.start_inspection"):
        kind = Inspection.Kind.OFFICE
    elif actor.has_perm("inspections.start_self_inspection") and actor.scope.acts_for_unit(
            unit_id) and target is None:
        kind = Inspection.Kind.SELF
    else:
        raise NotAllowed()
    if target is None and kind == Inspection.Kind.OFFICE:
        # Started from the place, but the place is due in an active plan with this checklist:
        # the inspection counts for that plan (the actor's own assignment first).
        target = (InspectionTarget.objects
                  .filter(place=place, plan__template=template,
                          plan__state=InspectionPlan.State.ACTIVE)
                  .select_related("plan")
                  .order_by(Case(When(inspector=actor, then=0), default=1), "-plan__starts_on",
                            "pk").first())
        if target is not None:
            plan, unit_id = target.plan, target.unit_id
    with transaction.atomic():
        if target is not None:
            InspectionTarget.objects.select_for_update().filter(pk=target.pk).first()
            running = Inspection.objects.filter(
                target=target, state=Inspection.State.IN_PROGRESS, inspector=actor).first()
            if running is not None:
                return running
        inspection = Inspection.objects.create(
            kind=kind, version=version, plan=plan, target=target, campus_id=place.campus_id,
            place=place, unit_id=unit_id, inspector=actor,
            needs_review=bool(plan and plan.needs_review), started_at=clock.now())
        activity_record(target=inspection, actor=actor, verb="inspections.start",
                        to_state=inspection.state,
                        data={"template": template.code, "version": version.number})
        if not idempotency_remember(scope="inspections.start", key=idempotency_key, user=actor,
                                    result=inspection):
            winner = idempotency_lookup(scope="inspections.start", key=idempotency_key,
                                        model=Inspection, user=actor)
            transaction.set_rollback(True)
            return winner
        _target_refresh(target.pk if target else None)
    return inspection


def _lock_inspection(inspection_id: int, *, row_version: int | None = None) -> Inspection:
    inspection = (Inspection.objects.select_for_update().filter(pk=inspection_id).first()
                  if str(inspection_id or "").isdigit() else None)
    if inspection is None:
        raise DomainError(_("This inspection does not exist."), code="not_found")
    if row_version is not None and int(row_version) != inspection.row_version:
        raise Conflict(_("Someone changed this inspection a moment ago; reload the page."))
    return inspection


def _require_editable(inspection: Inspection) -> None:
    if inspection.state != Inspection.State.IN_PROGRESS:
        raise Conflict(_("This inspection is “%(state)s” and its results cannot be changed; "
                         "reopen it with a reason first.")
                       % {"state": inspection.get_state_display()})


def _repeat_of(*, place_id: int, template_id: int, item_code: str, before: dt.datetime,
               exclude_inspection_id: int) -> InspectionResult | None:
    """The latest failure of the same item at the same place in the last 18 months."""
    months = settings.SAFECAMPUS["REPEAT_FINDING_MONTHS"]
    since = before - dt.timedelta(days=round(months * 30.44))
    return (InspectionResult.objects.filter(
        place_id=place_id, item_code=item_code, outcome=Outcome.FAILS,
        item__version__template_id=template_id, inspection__state=Inspection.State.FINISHED,
        recorded_at__gte=since, recorded_at__lt=before)
        .exclude(inspection_id=exclude_inspection_id).order_by("-recorded_at").first())


def result_record(
    *,
    actor,
    inspection_id: int,
    item_id: int,
    outcome: str,
    note: str = "",
    fixed_on_spot: bool = False,
    fix_note: str = "",
) -> InspectionResult:
    """Save the answer to one item (insert or update: a retried save changes nothing more).

    Raises DomainError for an unknown outcome or an item not in the inspection's checklist
    version; Conflict when the inspection is no longer in progress.
    """
    if outcome not in Outcome.values:
        _refuse("outcome", _("Choose complies, does not comply or not applicable."))
    _check_length("note", note, NOTE_MAX)
    _check_length("fix_note", fix_note, NOTE_MAX)
    with transaction.atomic():
        inspection = _lock_inspection(inspection_id)
        _require(actor, "inspections.record_results", inspection)
        _require_editable(inspection)
        item = ChecklistItem.objects.filter(pk=item_id, version_id=inspection.version_id).first() \
            if str(item_id or "").isdigit() else None
        if item is None:
            _refuse("item", _("This item is not in the checklist version this inspection uses."))
        if fixed_on_spot and inspection.kind == Inspection.Kind.SELF:
            _refuse("fixed_on_spot", _("A self-inspection reports its findings to the office; "
                                       "describe any immediate fix in the note."))
        now = clock.now()
        result, _created = InspectionResult.objects.update_or_create(
            inspection=inspection, item=item,
            defaults={
                "outcome": outcome,
                "note": (note or "").strip(),
                "fixed_on_spot": bool(fixed_on_spot) and outcome == Outcome.FAILS,
                "fix_note": (fix_note or "").strip() if outcome == Outcome.FAILS else "",
                "recorded_by": actor,
                "recorded_at": now,
                "place_id": inspection.place_id,
                "item_code": item.code,
            },
        )
        repeat = None
        if outcome == Outcome.FAILS:
            repeat = _repeat_of(place_id=inspection.place_id,
                                template_id=inspection.version.template_id, item_code=item.code,
                                before=inspection.started_at,
                                exclude_inspection_id=inspection.pk)
        if result.is_repeat != bool(repeat) or result.repeat_of_id != (repeat.pk if repeat
                                                                       else None):
            result.is_repeat = bool(repeat)
            result.repeat_of = repeat
            result.save(update_fields=["is_repeat", "repeat_of", "updated_at"])
    return result


def result_photo_add(*, actor, inspection_id: int, item_id: int, upload, client_id: str,
                     stage: str = ResultPhoto.Stage.FINDING) -> ResultPhoto:
    """Attach a photo to a recorded item; the same ``client_id`` sent twice is stored once.

    The photo is validated and stripped of metadata first (HEIC/MPO accepted); a bad file
    raises DomainError and nothing is stored.
    """
    client_id = (client_id or "").strip()
    if not client_id or len(client_id) > 64:
        _refuse("client_id", _("The photo has no identifier; try again."))
    if stage not in ResultPhoto.Stage.values:
        _refuse("stage", _("Unknown photo stage."))
    if upload is None:
        _refuse("photo", _("Choose a photo."))
    with transaction.atomic():
        inspection = _lock_inspection(inspection_id)
        _require(actor, "inspections.record_results", inspection)
        _require_editable(inspection)
        result = InspectionResult.objects.filter(inspection=inspection, item_id=item_id).first() \
            if str(item_id or "").isdigit() else None
        if result is None:
            _refuse("item", _("Record the result of this item before adding photos."))
        existing = result.photos.filter(client_id=client_id).first()
        if existing is not None:
            return existing
        if result.photos.count() >= MAX_PHOTOS_PER_ITEM:
            _refuse("photo", _("At most %(count)s photos per item.")
                    % {"count": MAX_PHOTOS_PER_ITEM})
        full, thumb = photo_process(upload, field="photo")
        try:
            with transaction.atomic():
                return ResultPhoto.objects.create(result=result, stage=stage,
                                                  client_id=client_id, image=full,
                                                  thumbnail=thumb, uploaded_by=actor)
        except IntegrityError:
            return result.photos.get(client_id=client_id)


def result_photo_delete(*, actor, photo_id: int) -> None:
    with transaction.atomic():
        photo = ResultPhoto.objects.select_related("result").filter(pk=photo_id).first()
        if photo is None:
            return
        inspection = _lock_inspection(photo.result.inspection_id)
        _require(actor, "inspections.record_results", inspection)
        _require_editable(inspection)
        photo.delete()


@dataclass
class Figures:
    """The inspection's counts and score (``score``/``max_score`` None when not scored)."""

    total: int
    complied: int
    failed: int
    not_applicable: int
    unanswered: int
    score: Decimal | None
    max_score: Decimal | None
    vetoed: bool


def inspection_figures(inspection: Inspection) -> Figures:
    """Counts, score and veto of an inspection from its results (see :class:`Scoring`).

    Scored items earn their points when they comply and make up the maximum; bonus items
    add theirs when they comply; deduction items take their points off when they fail;
    items not applicable count nowhere. A failed veto item (一票否决) fails the inspection.
    """
    items = list(inspection.version.items.values("pk", "scoring", "points", "is_veto"))
    results = dict(inspection.results.values_list("item_id", "outcome"))
    complied = failed = na = 0
    score = max_score = Decimal("0")
    scored = False
    vetoed = False
    for item in items:
        outcome = results.get(item["pk"])
        points = Decimal(item["points"])
        if item["scoring"] != Scoring.NONE:
            scored = True
        if outcome == Outcome.COMPLIES:
            complied += 1
            if item["scoring"] in (Scoring.SCORED, Scoring.BONUS):
                score += abs(points)
        elif outcome == Outcome.FAILS:
            failed += 1
            if item["scoring"] == Scoring.DEDUCTION:
                score -= abs(points)
            if item["is_veto"]:
                vetoed = True
        elif outcome == Outcome.NOT_APPLICABLE:
            na += 1
        if item["scoring"] == Scoring.SCORED and outcome in (Outcome.COMPLIES, Outcome.FAILS):
            max_score += abs(points)
    return Figures(total=len(items), complied=complied, failed=failed, not_applicable=na,
                   unanswered=len(items) - complied - failed - na,
                   score=score if scored else None, max_score=max_score if scored else None,
                   vetoed=vetoed)


def _signature_file(data_url: str) -> ContentFile:
    """A PNG from the canvas (``data:image/png;base64,…``), checked to be a real image."""
    prefix = "data:image/png;base64,"
    if not data_url or not data_url.startswith(prefix):
        _refuse("signature", _("The unit's representative must sign on the screen."))
    try:
        raw = base64.b64decode(data_url[len(prefix):], validate=True)
    except (binascii.Error, ValueError):
        _refuse("signature", _("The signature could not be read; sign again."))
    if len(raw) > SIGNATURE_MAX_BYTES:
        _refuse("signature", _("The signature is too large; clear it and sign again."))
    try:
        image = Image.open(io.BytesIO(raw))
        if image.format != "PNG":
            raise UnidentifiedImageError
        image.load()
        # Ink shows as alpha on a transparent canvas, or as shades on an opaque one.
        channel = image.getchannel("A") if "A" in image.getbands() else image.convert("L")
        low, high = channel.getextrema()
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        raise DomainError(_("The signature could not be read; sign again."),
                          field_errors={"signature": [_("The signature could not be read; "
                                                        "sign again.")]}) from exc
    if low == high:
        _refuse("signature", _("The unit's representative must sign on the screen."))
    return ContentFile(raw, name="signature.png")


def inspection_submit(
    *,
    actor,
    inspection_id: int,
    signer_name: str = "",
    signature: str = "",
    summary: str = "",
    row_version: int | None = None,
) -> Inspection:
    """Finish the walk: check every item is answered, sign, and release (or send to review).

    Failed items need a note and a photo; items fixed on the spot also need what was done
    and a photo of the fixed state. Office inspections need the unit representative's name and on-screen
    signature (PNG data URL). Raises DomainError listing what is missing; Conflict when
    stale or not in progress.
    """
    _check_length("summary", summary, TEXT_MAX)
    _check_length("signer_name", signer_name, 64)
    with transaction.atomic():
        inspection = _lock_inspection(inspection_id, row_version=row_version)
        _require(actor, "inspections.record_results", inspection)
        _require_editable(inspection)
        figures = inspection_figures(inspection)
        problems = []
        if figures.unanswered:
            problems.append(_("%(count)s item(s) have no result yet.")
                            % {"count": figures.unanswered})
        failed = list(inspection.results.filter(outcome=Outcome.FAILS).select_related("item")
                      .prefetch_related("photos"))
        for result in failed:
            if not result.note.strip():
                problems.append(_("Item %(code)s: describe what does not comply.")
                                % {"code": result.item_code})
            if not any(p.stage == ResultPhoto.Stage.FINDING for p in result.photos.all()):
                problems.append(_("Item %(code)s: add a photo of what does not comply.")
                                % {"code": result.item_code})
            if result.fixed_on_spot:
                if not result.fix_note.strip():
                    problems.append(_("Item %(code)s: say what was done on the spot.")
                                    % {"code": result.item_code})
                if not any(p.stage == ResultPhoto.Stage.FIXED for p in result.photos.all()):
                    problems.append(_("Item %(code)s: add a photo of the fixed state.")
                                    % {"code": result.item_code})
        signer_name = (signer_name or "").strip()
        signature_file = None
        if inspection.kind == Inspection.Kind.OFFICE or signature:
            if not signer_name:
                problems.append(_("Write the name of the unit's representative who signs."))
            try:
                signature_file = _signature_file(signature)
            except DomainError as error:
                problems.append(error.message)
        if problems:
            raise DomainError(problems[0] if len(problems) == 1 else
                              _("%(count)s things to finish first.") % {"count": len(problems)},
                              code="incomplete", field_errors={"__all__": problems})
        now = clock.now()
        inspection.items_total = figures.total
        inspection.items_complied = figures.complied
        inspection.items_failed = figures.failed
        inspection.items_not_applicable = figures.not_applicable
        inspection.score = figures.score
        inspection.max_score = figures.max_score
        inspection.vetoed = figures.vetoed
        inspection.summary = (summary or "").strip()
        inspection.signer_name = signer_name
        if signature_file is not None:
            inspection.signature.save(signature_file.name, signature_file, save=False)
            inspection.signed_at = now
        inspection.submitted_at = now
        inspection.row_version += 1
        if inspection.needs_review:
            inspection.submit_for_review()
            inspection.save()
            activity_record(target=inspection, actor=actor, verb="inspections.submit",
                            from_state=Inspection.State.IN_PROGRESS, to_state=inspection.state)
            with translation.override(settings.LANGUAGE_CODE):  # stored for its recipients
                _notify_on_commit(
                    recipients=office_people(Role.OFFICE_ADMIN),
                    verb="inspections.review",
                    title=_("Inspection %(ref)s awaits your approval")
                    % {"ref": inspection.reference},
                    body=str(inspection.place),
                    url=_inspection_url(inspection),
                    dedupe_key=f"inspection:{inspection.pk}:review:{inspection.row_version}",
                )
        else:
            _release(inspection, actor=actor, verb="inspections.finish")
        _target_refresh(inspection.target_id)
    return inspection


def inspection_approve(*, actor, inspection_id: int, comment: str = "",
                       row_version: int | None = None) -> Inspection:
    """The reviewer approves: results go out exactly as on :func:`inspection_submit`."""
    _check_length("comment", comment, NOTE_MAX)
    with transaction.atomic():
        inspection = _lock_inspection(inspection_id, row_version=row_version)
        _require(actor, "inspections.review_inspection", inspection)
        if inspection.state != Inspection.State.AWAITING_REVIEW:
            raise Conflict(_("This inspection is not awaiting approval."))
        inspection.reviewed_by = actor
        inspection.row_version += 1
        _release(inspection, actor=actor, verb="inspections.approve", comment=comment)
        _target_refresh(inspection.target_id)
    return inspection


def inspection_send_back(*, actor, inspection_id: int, reason: str,
                         row_version: int | None = None) -> Inspection:
    """The reviewer returns the inspection to the inspector with a reason."""
    return _back_to_progress(actor=actor, inspection_id=inspection_id, reason=reason,
                             row_version=row_version, perm="inspections.review_inspection",
                             source=Inspection.State.AWAITING_REVIEW, name="send_back",
                             verb="inspections.send_back")


def inspection_reopen(*, actor, inspection_id: int, reason: str,
                      row_version: int | None = None) -> Inspection:
    """Reopen a finished inspection to correct it; the reason goes on the timeline.

    Hazards already opened from its findings stay in the hazard loop; releasing it again
    opens hazards only for findings that have none yet.
    """
    return _back_to_progress(actor=actor, inspection_id=inspection_id, reason=reason,
                             row_version=row_version, perm="inspections.reopen_inspection",
                             source=Inspection.State.FINISHED, name="reopen",
                             verb="inspections.reopen")


def _back_to_progress(*, actor, inspection_id, reason, row_version, perm, source, name, verb):
    reason = (reason or "").strip()
    _check_length("reason", reason, NOTE_MAX)
    if not reason:
        _refuse("reason", _("Give the reason; it goes on the timeline."))
    with transaction.atomic():
        inspection = _lock_inspection(inspection_id, row_version=row_version)
        _require(actor, perm, inspection)
        if inspection.state != source:
            raise Conflict(_("This inspection is “%(state)s”; it cannot be changed this way.")
                           % {"state": inspection.get_state_display()})
        old = inspection.state
        getattr(inspection, name)()
        inspection.row_version += 1
        inspection.save()
        activity_record(target=inspection, actor=actor, verb=verb, from_state=old,
                        to_state=inspection.state, comment=reason)
        if inspection.inspector_id != actor.pk:
            with translation.override(settings.LANGUAGE_CODE):  # stored for its recipient
                _notify_on_commit(
                    recipients=[inspection.inspector],
                    verb=verb,
                    title=_("Inspection %(ref)s is open again") % {"ref": inspection.reference},
                    body=reason,
                    url=_inspection_url(inspection),
                    dedupe_key=f"inspection:{inspection.pk}:{name}:{inspection.row_version}",
                )
        _target_refresh(inspection.target_id)
    return inspection


def inspection_cancel(*, actor, inspection_id: int, reason: str) -> Inspection:
    """Cancel an inspection in progress (nothing is released); reason on the timeline."""
    reason = (reason or "").strip()
    _check_length("reason", reason, NOTE_MAX)
    if not reason:
        _refuse("reason", _("Give the reason; it goes on the timeline."))
    with transaction.atomic():
        inspection = _lock_inspection(inspection_id)
        _require(actor, "inspections.cancel_inspection", inspection)
        if not can_proceed(inspection.cancel):
            raise Conflict(_("Only an inspection in progress can be cancelled."))
        inspection.cancel()
        inspection.row_version += 1
        inspection.save()
        activity_record(target=inspection, actor=actor, verb="inspections.cancel",
                        from_state=Inspection.State.IN_PROGRESS, to_state=inspection.state,
                        comment=reason)
        _target_refresh(inspection.target_id)
    return inspection


def _fallback_category_id() -> int:
    category = (HazardCategory.objects.filter(is_active=True, code="other").first()
                or HazardCategory.objects.filter(is_active=True).order_by("pk").first())
    if category is None:
        raise DomainError(_("Set up at least one hazard category first."))
    return category.pk


def _finding_text(result: InspectionResult, inspection: Inspection) -> tuple[str, str]:
    item = result.item
    # The title says what was found (the note); the item it fails is in the description.
    title = (result.note.strip() or item.text.strip()).splitlines()[0]
    if len(title) > 100:
        title = title[:99] + "…"
    parts = [
        _("Inspection %(ref)s, %(template)s v%(version)s, item %(code)s: %(text)s") % {
            "ref": inspection.reference, "template": inspection.version.template.name,
            "version": inspection.version.number, "code": item.code, "text": item.text},
        _("Finding: %(note)s") % {"note": result.note},
    ]
    if item.basis:
        parts.append(_("Basis: %(basis)s") % {"basis": item.basis})
    if result.is_repeat:
        parts.append(_("Repeat finding: this item failed here within the last %(months)s "
                       "months.") % {"months": settings.SAFECAMPUS["REPEAT_FINDING_MONTHS"]})
    return _("[%(code)s] %(title)s") % {"code": item.code, "title": title}, "\n".join(parts)


def _photo_copies(photos) -> list[ContentFile]:
    """The stored photos as in-memory files for the hazard (read once, no open handles)."""
    copies = []
    for photo in photos:
        with photo.image.open("rb") as handle:
            copies.append(ContentFile(handle.read(), name=photo.image.name.rsplit("/", 1)[-1]))
    return copies


def _release(inspection: Inspection, *, actor, verb: str, comment: str = "") -> None:
    """Results go out: failed items become hazards; one notice per unit; report to the unit.

    Office inspections: each finding is reported by the inspector and confirmed; a finding
    fixed on the spot is closed with its photo (立行立改); the others are put on one
    rectification notice per responsible unit. Self-inspections: findings are reported by
    the unit and wait for the office like any report.

    Texts written into hazards, notices and timelines are in the site's language
    (``LANGUAGE_CODE``), whatever language the releasing user reads: they are records.
    """
    with translation.override(settings.LANGUAGE_CODE):
        _release_in_site_language(inspection, actor=actor, verb=verb, comment=comment)


def _release_in_site_language(inspection: Inspection, *, actor, verb: str, comment: str) -> None:
    old = inspection.state
    inspection.finish()
    inspection.finished_at = clock.now()
    inspection.save()
    activity_record(target=inspection, actor=actor, verb=verb, from_state=old,
                    to_state=inspection.state, comment=comment,
                    data={"failed": inspection.items_failed})
    results = list(inspection.results.filter(outcome=Outcome.FAILS, hazard__isnull=True)
                   .select_related("item", "item__version__template")
                   .prefetch_related("photos").order_by("item__position"))
    office = inspection.kind == Inspection.Kind.OFFICE
    fallback = None
    by_unit: dict[int, list[int]] = defaultdict(list)
    unrouted = 0
    for result in results:
        item = result.item
        category_id = item.hazard_category_id
        if category_id is None:
            fallback = fallback or _fallback_category_id()
            category_id = fallback
        title, description = _finding_text(result, inspection)
        findings = [p for p in result.photos.all() if p.stage == ResultPhoto.Stage.FINDING]
        fixed = [p for p in result.photos.all() if p.stage == ResultPhoto.Stage.FIXED]
        hazard = hazard_services.hazard_report(
            reporter=inspection.inspector, title=title, description=description,
            category_id=category_id, campus_id=inspection.campus_id,
            building_id=inspection.place.building_id, place_id=inspection.place_id,
            grade=Grade.MAJOR if item.hazard_grade == Grade.MAJOR else Grade.GENERAL,
            photos=_photo_copies(findings[:9]), source=Source.INSPECTION,
            source_record=result, notify_office=not office)
        result.hazard = hazard
        result.save(update_fields=["hazard", "updated_at"])
        if not office:
            continue
        hazard = hazard_services.hazard_confirm(
            actor=actor, hazard_id=hazard.pk,
            responsible_unit_id=None if hazard.responsible_unit_id else inspection.unit_id,
            comment=_("Found in inspection %(ref)s") % {"ref": inspection.reference})
        if result.fixed_on_spot:
            hazard_services.hazard_fix_on_spot(
                actor=actor, hazard_id=hazard.pk, text=result.fix_note,
                photos=_photo_copies(fixed[:9]))
        elif hazard.responsible_unit_id:
            by_unit[hazard.responsible_unit_id].append(hazard.pk)
        else:
            unrouted += 1
    deadline_days = (inspection.plan.deadline_days if inspection.plan_id
                     else settings.SAFECAMPUS["INSPECTION_DEADLINE_DAYS"])
    notices = []
    for _unit_id, hazard_ids in sorted(by_unit.items()):
        notices.append(hazard_services.notice_issue(
            actor=actor, hazard_ids=hazard_ids, deadline_days=deadline_days,
            requirements=_("Rectify the findings of inspection %(ref)s (%(template)s) listed "
                           "below, then submit photos and a description as evidence.")
            % {"ref": inspection.reference, "template": inspection.version.template.name}))
    if notices or unrouted:
        activity_record(target=inspection, actor=actor, verb="inspections.notices",
                        data={"notices": [n.number for n in notices], "unrouted": unrouted})
    if inspection.unit_id:
        rate = inspection.compliance_rate
        _notify_on_commit(
            recipients=unit_people(inspection.unit_id, Role.UNIT_SAFETY_CONTACT,
                                   Role.UNIT_LEADER),
            verb="inspections.report",
            title=_("Inspection report %(ref)s: %(place)s") % {
                "ref": inspection.reference, "place": str(inspection.place)},
            body=_("%(failed)s finding(s); compliance %(rate)s%%") % {
                "failed": inspection.items_failed, "rate": rate if rate is not None else "—"},
            url=_inspection_url(inspection),
            dedupe_key=f"inspection:{inspection.pk}:report:{inspection.row_version}",
        )
