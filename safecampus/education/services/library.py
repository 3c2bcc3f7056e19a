"""The fraud case library, writes: seeding the taxonomy, keeping fraud types (create, edit,
reorder, deactivate) and anonymised cases (create, edit, publish, unpublish).

Every write resolves ids, locks the row, checks ``education.manage_fraud_library`` and the
state, then writes in one transaction with an
:class:`~safecampus.core.models.ActivityEntry` (verbs ``education.fraud_type_<verb>`` and
``education.fraud_case_<verb>``). ``actor`` None is the system (the seed command, the demo):
no permission check.

Cases are anonymised: a title, victim description, story or lesson that contains what looks
like a mainland mobile number (11 digits starting 13–19, also written with spaces or dashes)
or an 18-character ID card number is refused at that field, so nobody can be recognised
from a published page. Masked numbers (138****5678) pass.

Errors: :class:`~safecampus.core.errors.DomainError` (bad input, with ``field_errors``;
nothing written), :class:`~safecampus.core.errors.NotAllowed`,
:class:`~safecampus.core.errors.Conflict` (publishing a published case …).
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from safecampus.core import clock
from safecampus.core.activity import activity_record
from safecampus.core.errors import (
    Conflict,
    DomainError,
    NotAllowed,
    field_error,
    raise_field_errors,
    text_checked,
)
from safecampus.core.forms import id_or_none

from ..models import FraudCase, FraudType
from ..taxonomy import FRAUD_TYPES

MANAGE = "education.manage_fraud_library"
TITLE_MAX = 120
NAME_MAX = 64
CODE_MAX = 32
PROFILE_MAX = 64
TEXT_MAX = 4000
STORY_MAX = 10_000
LOSS_MAX = Decimal("10000000")
_CODE_RE = re.compile(r"^[a-z][a-z0-9_]{1,31}$")
#: A mainland mobile number: 1, then 3–9, then nine digits, single spaces or dashes allowed
#: between digits; not part of a longer number.
_MOBILE_RE = re.compile(r"(?<![0-9])1[3-9](?:[ \-]?[0-9]){9}(?![0-9])")
#: An 18-character resident ID number: 17 digits and a digit or X, not part of a longer one.
_ID_RE = re.compile(r"(?<![0-9A-Za-z])[0-9]{17}[0-9Xx](?![0-9A-Za-z])")
#: The case fields checked for personal numbers.
CASE_TEXT_FIELDS = ("title", "victim_profile", "story", "lesson")


def _require(actor) -> None:
    if actor is not None and not actor.has_perm(MANAGE):
        raise NotAllowed()


def _lines(value) -> str:
    """One point per line: lines stripped, empty lines dropped, Windows line ends folded."""
    return "\n".join(line.strip() for line in str(value or "").splitlines() if line.strip())


# --- anonymisation --------------------------------------------------------------------------
def personal_number_problem(text: str) -> str | None:
    """Why ``text`` cannot be published (a mobile or ID number in it, quoted masked), or None.

    The text is NFKC-folded first, so full-width digits (１３８…) are found too."""
    folded = unicodedata.normalize("NFKC", text or "")
    match = _ID_RE.search(folded)
    if match:
        number = match.group(0)
        return _("Remove the ID card number (%(number)s): cases must not identify anyone.") % {
            "number": number[:4] + "*" * 10 + number[-4:]}
    match = _MOBILE_RE.search(folded)
    if match:
        digits = re.sub(r"[^0-9]", "", match.group(0))
        return _("Remove the mobile phone number (%(number)s) or mask it like 138****5678: "
                 "cases must not identify anyone.") % {
            "number": digits[:3] + "****" + digits[-4:]}
    return None


def _check_anonymous(values: dict[str, str], errors: dict) -> None:
    for field in CASE_TEXT_FIELDS:
        problem = personal_number_problem(values.get(field, ""))
        if problem and field not in errors:
            errors[field] = [problem]


# --- seed -----------------------------------------------------------------------------------
def fraud_types_seed(*, actor=None) -> dict[str, int]:
    """Create the types of :data:`~safecampus.education.taxonomy.FRAUD_TYPES` that are missing
    (matched by code, then by name). Existing types are left exactly as they are, so staff
    edits, reordering and deactivation survive a re-run. New types go after the existing
    ones in the taxonomy's order. Returns ``{"created": n, "kept": m}``."""
    _require(actor)
    created = kept = 0
    with transaction.atomic():
        existing_codes = set(FraudType.objects.select_for_update().values_list("code", flat=True))
        existing_names = set(FraudType.objects.values_list("name", flat=True))
        position = (FraudType.objects.aggregate(m=Max("position"))["m"] or 0)
        for entry in FRAUD_TYPES:
            if entry["code"] in existing_codes or entry["name"] in existing_names:
                kept += 1
                continue
            position += 10
            fraud_type = FraudType.objects.create(position=position, is_active=True, **entry)
            activity_record(target=fraud_type, actor=actor, verb="education.fraud_type_seed",
                            data={"code": fraud_type.code})
            created += 1
    return {"created": created, "kept": kept}


# --- types ----------------------------------------------------------------------------------
def _type_values(*, code, name, group, summary, tactics, red_flags, advice, errors) -> dict:
    code = (code or "").strip().lower()
    if not _CODE_RE.match(code):
        errors["code"] = [_("2–32 lower-case letters, digits or “_”, starting with a letter.")]
    return {
        "code": code,
        "name": text_checked(name, field="name", limit=NAME_MAX, errors=errors,
                             required=_("Name the fraud type.")),
        "group": text_checked(group, field="group", limit=NAME_MAX, errors=errors),
        "summary": text_checked(summary, field="summary", limit=TEXT_MAX, errors=errors),
        "tactics": text_checked(_lines(tactics), field="tactics", limit=TEXT_MAX, errors=errors),
        "red_flags": text_checked(_lines(red_flags), field="red_flags", limit=TEXT_MAX, errors=errors),
        "advice": text_checked(_lines(advice), field="advice", limit=TEXT_MAX, errors=errors),
    }


def _check_unique(values: dict, errors: dict, *, exclude: int | None = None) -> None:
    others = FraudType.objects.exclude(pk=exclude) if exclude else FraudType.objects.all()
    if "code" not in errors and others.filter(code=values["code"]).exists():
        errors["code"] = [_("Another fraud type has this code.")]
    if "name" not in errors and others.filter(name=values["name"]).exists():
        errors["name"] = [_("Another fraud type has this name.")]


def fraud_type_create(*, actor, code: str, name: str, group: str = "", summary: str = "",
                      tactics: str = "", red_flags: str = "", advice: str = "") -> FraudType:
    """A new active fraud type at the end of the list. ``tactics``, ``red_flags`` and
    ``advice`` are one point per line (blank lines dropped). Field errors: ``code`` (2–32
    of a–z 0–9 _, unique), ``name`` (required, unique), the texts (length)."""
    _require(actor)
    errors: dict[str, list[str]] = {}
    values = _type_values(code=code, name=name, group=group, summary=summary, tactics=tactics,
                          red_flags=red_flags, advice=advice, errors=errors)
    with transaction.atomic():
        _check_unique(values, errors)
        raise_field_errors(errors)
        position = (FraudType.objects.select_for_update().aggregate(m=Max("position"))["m"]
                    or 0) + 10
        fraud_type = FraudType.objects.create(position=position, **values)
        activity_record(target=fraud_type, actor=actor, verb="education.fraud_type_create",
                        data={"code": fraud_type.code})
    return fraud_type


def _locked_type(type_id) -> FraudType:
    fraud_type = (FraudType.objects.select_for_update().filter(pk=type_id).first()
                  if id_or_none(type_id) else None)
    if fraud_type is None:
        raise DomainError(_("This fraud type does not exist."), code="not_found")
    return fraud_type


def fraud_type_update(*, actor, type_id: int, code: str, name: str, group: str = "",
                      summary: str = "", tactics: str = "", red_flags: str = "",
                      advice: str = "") -> FraudType:
    """Edit a type's code, name, group and texts (as :func:`fraud_type_create`); the
    timeline names the fields changed."""
    _require(actor)
    errors: dict[str, list[str]] = {}
    values = _type_values(code=code, name=name, group=group, summary=summary, tactics=tactics,
                          red_flags=red_flags, advice=advice, errors=errors)
    with transaction.atomic():
        fraud_type = _locked_type(type_id)
        _check_unique(values, errors, exclude=fraud_type.pk)
        raise_field_errors(errors)
        changed = [k for k, v in values.items() if getattr(fraud_type, k) != v]
        for key, value in values.items():
            setattr(fraud_type, key, value)
        fraud_type.save()
        activity_record(target=fraud_type, actor=actor, verb="education.fraud_type_update",
                        data={"fields": changed})
    return fraud_type


def fraud_type_move(*, actor, type_id: int, direction: str) -> FraudType:
    """Move a type one place ``up`` or ``down`` in the list (all types, active or not);
    positions are renumbered 10, 20, … in the new order. At either end nothing moves."""
    _require(actor)
    if direction not in ("up", "down"):
        raise field_error("direction", _("Choose up or down."))
    with transaction.atomic():
        ordered = list(FraudType.objects.select_for_update().order_by("position", "code"))
        index = next((i for i, t in enumerate(ordered) if str(t.pk) == str(type_id)), None)
        if index is None or not id_or_none(type_id):
            raise DomainError(_("This fraud type does not exist."), code="not_found")
        other = index - 1 if direction == "up" else index + 1
        moved = ordered[index]
        if 0 <= other < len(ordered):
            ordered[index], ordered[other] = ordered[other], ordered[index]
            for number, fraud_type in enumerate(ordered, start=1):
                if fraud_type.position != number * 10:
                    FraudType.objects.filter(pk=fraud_type.pk).update(position=number * 10)
            activity_record(target=moved, actor=actor, verb="education.fraud_type_move",
                            data={"direction": direction})
        moved.refresh_from_db()
    return moved


def fraud_type_set_active(*, actor, type_id: int, active: bool) -> FraudType:
    """Deactivate a type (hidden from readers, the report form and new cases; its cases and
    reports keep it) or activate it again. Conflict when it already is so."""
    _require(actor)
    with transaction.atomic():
        fraud_type = _locked_type(type_id)
        if fraud_type.is_active == active:
            raise Conflict(_("This fraud type is already active.") if active
                           else _("This fraud type is already inactive."), code="unchanged")
        fraud_type.is_active = active
        fraud_type.save(update_fields=["is_active", "updated_at"])
        activity_record(target=fraud_type, actor=actor,
                        verb="education.fraud_type_activate" if active
                        else "education.fraud_type_deactivate",
                        from_state="inactive" if active else "active",
                        to_state="active" if active else "inactive")
    return fraud_type


# --- cases ----------------------------------------------------------------------------------
def _case_values(*, fraud_type_id, title, occurred_on, victim_profile, loss_amount, story,
                 lesson, errors) -> dict:
    fraud_type = (FraudType.objects.filter(pk=fraud_type_id).first()
                  if id_or_none(fraud_type_id) else None)
    if fraud_type is None:
        errors["fraud_type"] = [_("Choose the fraud type.")]
    if occurred_on is not None and occurred_on > clock.local_today():
        errors["occurred_on"] = [_("The date cannot be in the future.")]
    elif occurred_on is not None and occurred_on < dt.date(2000, 1, 1):
        errors["occurred_on"] = [_("The date cannot be before 2000.")]
    loss = None
    if loss_amount not in (None, ""):
        try:
            # Range first: quantizing 1e30 to cents overflows the decimal context.
            loss = Decimal(str(loss_amount))
            if loss.is_finite() and 0 <= loss <= LOSS_MAX:
                loss = loss.quantize(Decimal("0.01"))
        except (InvalidOperation, ValueError):
            loss = None
            errors["loss_amount"] = [_("Enter an amount in yuan.")]
        else:
            if not loss.is_finite() or loss < 0 or loss > LOSS_MAX:
                errors["loss_amount"] = [_("Enter an amount from 0 to 10,000,000 yuan.")]
    values = {
        "fraud_type": fraud_type,
        "title": text_checked(title, field="title", limit=TITLE_MAX, errors=errors,
                              required=_("Give the case a title.")),
        "occurred_on": occurred_on,
        "victim_profile": text_checked(victim_profile, field="victim_profile", limit=PROFILE_MAX,
                                       errors=errors),
        "loss_amount": loss,
        "story": text_checked(story, field="story", limit=STORY_MAX, errors=errors,
                              required=_("Tell what happened.")),
        "lesson": text_checked(lesson, field="lesson", limit=TEXT_MAX, errors=errors),
    }
    _check_anonymous(values, errors)
    return values


def fraud_case_create(*, actor, fraud_type_id: int, title: str, story: str,
                      occurred_on: dt.date | None = None, victim_profile: str = "",
                      loss_amount=None, lesson: str = "") -> FraudCase:
    """A new, unpublished anonymised case of an active type. Field errors: ``fraud_type``
    (exists and active), ``title`` and ``story`` (required), ``occurred_on`` (2000 … today,
    local), ``loss_amount`` (0 … 10,000,000 yuan), and any text field with a mobile or ID
    number (see :func:`personal_number_problem`)."""
    _require(actor)
    errors: dict[str, list[str]] = {}
    values = _case_values(fraud_type_id=fraud_type_id, title=title, occurred_on=occurred_on,
                          victim_profile=victim_profile, loss_amount=loss_amount, story=story,
                          lesson=lesson, errors=errors)
    if values["fraud_type"] is not None and not values["fraud_type"].is_active:
        errors.setdefault("fraud_type", [_("This fraud type is inactive.")])
    raise_field_errors(errors)
    with transaction.atomic():
        case = FraudCase.objects.create(
            created_by=actor if actor is not None and actor.is_authenticated else None,
            **values)
        activity_record(target=case, actor=actor, verb="education.fraud_case_create",
                        to_state="draft", data={"fraud_type": case.fraud_type.code})
    return case


def _locked_case(case_id) -> FraudCase:
    case = (FraudCase.objects.select_for_update(of=("self",)).select_related("fraud_type")
            .filter(pk=case_id).first() if id_or_none(case_id) else None)
    if case is None:
        raise DomainError(_("This case does not exist."), code="not_found")
    return case


def fraud_case_update(*, actor, case_id: int, fraud_type_id: int, title: str, story: str,
                      occurred_on: dt.date | None = None, victim_profile: str = "",
                      loss_amount=None, lesson: str = "") -> FraudCase:
    """Edit a case (published or not) with the checks of :func:`fraud_case_create`; a case
    may keep an inactive type it already had."""
    _require(actor)
    errors: dict[str, list[str]] = {}
    values = _case_values(fraud_type_id=fraud_type_id, title=title, occurred_on=occurred_on,
                          victim_profile=victim_profile, loss_amount=loss_amount, story=story,
                          lesson=lesson, errors=errors)
    with transaction.atomic():
        case = _locked_case(case_id)
        new_type = values["fraud_type"]
        if new_type is not None and not new_type.is_active and new_type.pk != case.fraud_type_id:
            errors.setdefault("fraud_type", [_("This fraud type is inactive.")])
        raise_field_errors(errors)
        changed = [k for k, v in values.items() if getattr(case, k) != v]
        for key, value in values.items():
            setattr(case, key, value)
        case.save()
        activity_record(target=case, actor=actor, verb="education.fraud_case_update",
                        data={"fields": changed})
    return case


def fraud_case_publish(*, actor, case_id: int) -> FraudCase:
    """Publish a draft case to every reader. Refused (Conflict) when it is published
    already or its type is inactive; refused (DomainError at the field) when a text still
    holds a personal number (cases written before the check, or edited in the admin)."""
    _require(actor)
    with transaction.atomic():
        case = _locked_case(case_id)
        if case.is_published:
            raise Conflict(_("This case is already published."), code="illegal_transition")
        if not case.fraud_type.is_active:
            raise Conflict(_("The case's fraud type “%(type)s” is inactive: choose an active "
                             "type first.") % {"type": case.fraud_type.name},
                           code="type_inactive")
        errors: dict[str, list[str]] = {}
        _check_anonymous({f: getattr(case, f) for f in CASE_TEXT_FIELDS}, errors)
        raise_field_errors(errors)
        case.is_published = True
        case.published_at = clock.now()
        case.save(update_fields=["is_published", "published_at", "updated_at"])
        activity_record(target=case, actor=actor, verb="education.fraud_case_publish",
                        from_state="draft", to_state="published")
    return case


def fraud_case_unpublish(*, actor, case_id: int, reason: str = "") -> FraudCase:
    """Take a published case off the library (it becomes a draft again; ``published_at``
    keeps when it was last published). Conflict when it is not published."""
    _require(actor)
    errors: dict[str, list[str]] = {}
    reason = text_checked(reason, field="reason", limit=TEXT_MAX, errors=errors)
    raise_field_errors(errors)
    with transaction.atomic():
        case = _locked_case(case_id)
        if not case.is_published:
            raise Conflict(_("This case is not published."), code="illegal_transition")
        case.is_published = False
        case.save(update_fields=["is_published", "updated_at"])
        activity_record(target=case, actor=actor, verb="education.fraud_case_unpublish",
                        from_state="published", to_state="draft", comment=reason)
    return case
