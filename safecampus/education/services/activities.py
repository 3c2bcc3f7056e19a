"""Education activities (宣教活动), writes: terms, partners, campaigns, and activities from
planning to "held" (audience, materials, photos, summary) or "cancelled" (with a reason).

Times are stored aware UTC; forms give local (Asia/Shanghai) times. Dates of terms and
campaigns are local calendar days, both ends inclusive.

Who may record an activity: the office for any groups; a unit safety contact, unit leader or
counsellor (:func:`safecampus.education.rules.activity_units_of`) only for the units they act
for or counsel, and must name at least one of them as a college reached.

Errors: :class:`~safecampus.core.errors.DomainError` (bad input, 400, ``field_errors`` name the
fields), :class:`~safecampus.core.errors.NotAllowed` (403), :class:`~safecampus.core.errors.
Conflict` (409: a transition the state does not allow, or a concurrent change).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from dataclasses import fields as dataclass_fields
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.translation import gettext as _
from django_fsm import ConcurrentTransition, can_proceed

from safecampus.core import clock
from safecampus.core.activity import activity_record
from safecampus.core.errors import Conflict, DomainError, perm_require, raise_field_errors
from safecampus.core.forms import id_or_none
from safecampus.core.geo import LATITUDE_LIMIT, LONGITUDE_LIMIT, BadCoordinate, parse_degrees
from safecampus.core.idempotency import idempotency_lookup, idempotency_race_lost
from safecampus.core.uploads import photo_process
from safecampus.organisation.models import Building, Campus, ClassGroup, Place, Unit

from ..models import Activity, ActivityMaterial, ActivityPhoto, Campaign, Partner, Term, Topic
from ..rules import activity_units_of
from ..selectors.activities import term_for_date

ACTIVITY_CREATE_SCOPE = "education.activity_create"
CAMPAIGN_CREATE_SCOPE = "education.campaign_create"
TITLE_MAX = 120
NAME_MAX = 64
LOCATION_MAX = 120
TEXT_MAX = 4000
#: Longest term (days, inclusive) and longest activity.
TERM_DAYS_MAX = 366
ACTIVITY_LENGTH_MAX = dt.timedelta(days=31)
PHOTOS_MAX = 9
MATERIALS_MAX = 20
QUANTITY_MAX = 1_000_000
AUDIENCE_MAX = 100_000
#: Allowed distance (metres) of a sign-in from the activity's position.
RADIUS_MIN = 10
RADIUS_MAX = 5000
#: Activities may be planned at most this far ahead and recorded this far back.
YEARS_AHEAD = 2
FIRST_YEAR = 2000


def _text(value, *, field: str, limit: int, errors: dict, required_message: str = "") -> str:
    text = (value or "").strip()
    if not text and required_message:
        errors.setdefault(field, []).append(required_message)
    elif len(text) > limit:
        errors.setdefault(field, []).append(
            _("At most %(count)s characters.") % {"count": limit})
    return text


# --- terms ----------------------------------------------------------------------------------
def msg_term_overlap(other: Term) -> str:
    return _("These dates overlap the term “%(name)s” (%(first)s to %(last)s).") % {
        "name": other.name, "first": other.starts_on.isoformat(),
        "last": other.ends_on.isoformat()}


def _term_fields(*, name: str, starts_on, ends_on, term_id: int | None = None) -> dict:
    errors: dict[str, list[str]] = {}
    name = _text(name, field="name", limit=NAME_MAX, errors=errors,
                 required_message=_("Give the term a name."))
    if name and Term.objects.filter(name=name).exclude(pk=term_id).exists():
        errors.setdefault("name", []).append(_("Another term already has this name."))
    if not isinstance(starts_on, dt.date):
        errors.setdefault("starts_on", []).append(_("Give the first day."))
    if not isinstance(ends_on, dt.date):
        errors.setdefault("ends_on", []).append(_("Give the last day."))
    if isinstance(starts_on, dt.date) and isinstance(ends_on, dt.date):
        if ends_on < starts_on:
            errors.setdefault("ends_on", []).append(
                _("The last day is before the first day."))
        elif (ends_on - starts_on).days + 1 > TERM_DAYS_MAX:
            errors.setdefault("ends_on", []).append(
                _("A term lasts at most %(days)s days.") % {"days": TERM_DAYS_MAX})
        else:
            other = (Term.objects.filter(starts_on__lte=ends_on, ends_on__gte=starts_on)
                     .exclude(pk=term_id).order_by("starts_on").first())
            if other is not None:
                errors.setdefault("starts_on", []).append(msg_term_overlap(other))
    raise_field_errors(errors)
    return {"name": name, "starts_on": starts_on, "ends_on": ends_on}


def term_create(*, actor, name: str, starts_on: dt.date, ends_on: dt.date) -> Term:
    """A new term (local dates, inclusive). Refused when it overlaps another term (the
    message names it), when the name is taken or the dates are reversed."""
    perm_require(actor, "education.manage_education")
    with transaction.atomic():
        # Terms are few: locking them all serialises concurrent edits of the calendar.
        list(Term.objects.select_for_update().values_list("pk", flat=True))
        fields = _term_fields(name=name, starts_on=starts_on, ends_on=ends_on)
        term = Term.objects.create(**fields)
        activity_record(target=term, actor=actor, verb="education.term_create",
                        data={"starts_on": str(starts_on), "ends_on": str(ends_on)})
    return term


def term_update(*, actor, term_id: int, name: str, starts_on: dt.date,
                ends_on: dt.date) -> Term:
    """Rename or move a term (same rules as :func:`term_create`)."""
    perm_require(actor, "education.manage_education")
    with transaction.atomic():
        list(Term.objects.select_for_update().values_list("pk", flat=True))
        term = Term.objects.filter(pk=id_or_none(term_id) or 0).first()
        if term is None:
            raise DomainError(_("This term does not exist."), code="not_found")
        fields = _term_fields(name=name, starts_on=starts_on, ends_on=ends_on, term_id=term.pk)
        for key, value in fields.items():
            setattr(term, key, value)
        term.save()
        activity_record(target=term, actor=actor, verb="education.term_update",
                        data={"starts_on": str(starts_on), "ends_on": str(ends_on)})
    return term


# --- partners -------------------------------------------------------------------------------
def partner_create(*, actor, name: str, kind: str, contact: str = "") -> Partner:
    """A new active partner (police station, college, volunteers …); names are unique: a
    taken name, also when two requests create it at the same moment, is a field error on
    ``name``."""
    perm_require(actor, "education.manage_education")
    errors: dict[str, list[str]] = {}
    name = _text(name, field="name", limit=100, errors=errors,
                 required_message=_("Give the partner's name."))
    contact = _text(contact, field="contact", limit=100, errors=errors)
    if kind not in Partner.Kind.values:
        errors.setdefault("kind", []).append(_("Choose the kind of partner."))
    taken = _("A partner with this name exists.")
    if name and Partner.objects.filter(name=name).exists():
        errors.setdefault("name", []).append(taken)
    raise_field_errors(errors)
    try:
        with transaction.atomic():
            partner = Partner.objects.create(name=name, kind=kind, contact=contact)
            activity_record(target=partner, actor=actor, verb="education.partner_create")
    except IntegrityError:
        # The same name sent twice at once (a double tap): the unique name decides.
        raise DomainError(taken, code="taken", field_errors={"name": [taken]}) from None
    return partner


def partner_set_active(*, actor, partner_id: int, active: bool) -> Partner:
    """Deactivate a partner (no longer offered for new activities) or take it back."""
    perm_require(actor, "education.manage_education")
    with transaction.atomic():
        partner = (Partner.objects.select_for_update().filter(pk=id_or_none(partner_id) or 0)
                   .first())
        if partner is None:
            raise DomainError(_("This partner does not exist."), code="not_found")
        if partner.is_active != active:
            partner.is_active = active
            partner.save(update_fields=["is_active", "updated_at"])
            activity_record(target=partner, actor=actor,
                            verb="education.partner_activate" if active
                            else "education.partner_deactivate")
    return partner


# --- campaigns ------------------------------------------------------------------------------
def _campaign_fields(*, title, topic, term_id, goal, starts_on, ends_on) -> dict:
    errors: dict[str, list[str]] = {}
    title = _text(title, field="title", limit=TITLE_MAX, errors=errors,
                  required_message=_("Give the campaign a title."))
    goal = _text(goal, field="goal", limit=TEXT_MAX, errors=errors)
    if topic not in Topic.values:
        errors.setdefault("topic", []).append(_("Choose a topic."))
    if not isinstance(starts_on, dt.date):
        errors.setdefault("starts_on", []).append(_("Give the first day."))
    if not isinstance(ends_on, dt.date):
        errors.setdefault("ends_on", []).append(_("Give the last day."))
    dates_ok = isinstance(starts_on, dt.date) and isinstance(ends_on, dt.date)
    if dates_ok and ends_on < starts_on:
        errors.setdefault("ends_on", []).append(_("The last day is before the first day."))
        dates_ok = False
    term = None
    if term_id not in (None, ""):
        term = Term.objects.filter(pk=id_or_none(term_id) or 0).first()
        if term is None:
            errors.setdefault("term", []).append(_("No such term."))
    elif dates_ok:
        term = term_for_date(starts_on)
    if term is not None and dates_ok and not (
            term.starts_on <= starts_on and ends_on <= term.ends_on):
        errors.setdefault("ends_on", []).append(
            _("The campaign must lie within the term “%(name)s” (%(first)s to %(last)s).")
            % {"name": term.name, "first": term.starts_on.isoformat(),
               "last": term.ends_on.isoformat()})
    raise_field_errors(errors)
    return {"title": title, "topic": topic, "term": term, "goal": goal, "starts_on": starts_on,
            "ends_on": ends_on}


def campaign_create(*, actor, title: str, topic: str, starts_on: dt.date, ends_on: dt.date,
                    term_id: int | None = None, goal: str = "",
                    idempotency_key: str | None = None) -> Campaign:
    """A campaign (专项宣传). Without a term it belongs to the term containing its first day;
    its dates must lie within its term."""
    perm_require(actor, "education.manage_education")
    earlier = idempotency_lookup(scope=CAMPAIGN_CREATE_SCOPE, key=idempotency_key,
                                 model=Campaign, user=actor)
    if earlier is not None:
        return earlier
    fields = _campaign_fields(title=title, topic=topic, term_id=term_id, goal=goal,
                              starts_on=starts_on, ends_on=ends_on)
    with transaction.atomic():
        campaign = Campaign.objects.create(**fields, created_by=actor)
        activity_record(target=campaign, actor=actor, verb="education.campaign_create")
        winner = idempotency_race_lost(scope=CAMPAIGN_CREATE_SCOPE, key=idempotency_key,
                                       user=actor, result=campaign)
    return winner or campaign


def campaign_update(*, actor, campaign_id: int, title: str, topic: str, starts_on: dt.date,
                    ends_on: dt.date, term_id: int | None = None, goal: str = "") -> Campaign:
    perm_require(actor, "education.manage_education")
    with transaction.atomic():
        campaign = (Campaign.objects.select_for_update()
                    .filter(pk=id_or_none(campaign_id) or 0).first())
        if campaign is None:
            raise DomainError(_("This campaign does not exist."), code="not_found")
        fields = _campaign_fields(title=title, topic=topic, term_id=term_id, goal=goal,
                                  starts_on=starts_on, ends_on=ends_on)
        for key, value in fields.items():
            setattr(campaign, key, value)
        campaign.save()
        activity_record(target=campaign, actor=actor, verb="education.campaign_update")
    return campaign


# --- activities -----------------------------------------------------------------------------
def _ids(values, *, field: str, errors: dict) -> list[int]:
    ids = []
    for value in values or ():
        number = id_or_none(value)
        if number is None:
            errors.setdefault(field, []).append(_("“%(value)s” is not a valid choice.")
                                                % {"value": str(value)[:20]})
        else:
            ids.append(number)
    return sorted(set(ids))


def _rows(model, ids: list[int], *, field: str, errors: dict, queryset=None) -> list:
    if not ids:
        return []
    rows = list((queryset if queryset is not None else model.objects).filter(pk__in=ids))
    missing = sorted(set(ids) - {r.pk for r in rows})
    if missing:
        errors.setdefault(field, []).append(
            _("Unknown choices: %(ids)s.") % {"ids": ", ".join(str(i) for i in missing)})
    return rows


@dataclass
class ActivityInput:
    """What a planner gives for a new activity (times aware, any zone)."""

    title: str
    topic: str
    kind: str
    starts_at: dt.datetime | None
    ends_at: dt.datetime | None
    campaign_id: int | None = None
    campus_id: int | None = None
    place_id: int | None = None
    location: str = ""
    description: str = ""
    partner_ids: Sequence = ()
    campus_ids: Sequence = ()
    building_ids: Sequence = ()
    college_ids: Sequence = ()
    class_ids: Sequence = ()
    #: Where sign-in is expected (WGS-84 decimal degrees, both or neither) and how far from
    #: there a sign-in is still near (metres; None: the model's default, 300 m).
    latitude: Decimal | float | str | None = None
    longitude: Decimal | float | str | None = None
    sign_in_radius_m: int | str | None = None

    @classmethod
    def of(cls, activity: Activity) -> ActivityInput:
        """What ``activity`` holds now, as input (the start of an edit)."""
        def ids(name):
            return sorted(getattr(activity, name).values_list("pk", flat=True))
        return cls(
            title=activity.title, topic=activity.topic, kind=activity.kind,
            starts_at=activity.starts_at, ends_at=activity.ends_at,
            campaign_id=activity.campaign_id, campus_id=activity.campus_id,
            place_id=activity.place_id, location=activity.location,
            description=activity.description, partner_ids=ids("partners"),
            campus_ids=ids("campuses"), building_ids=ids("buildings"),
            college_ids=ids("colleges"), class_ids=ids("class_groups"),
            latitude=activity.latitude, longitude=activity.longitude,
            sign_in_radius_m=activity.sign_in_radius_m)


def _position(data: ActivityInput, errors: dict) -> dict:
    """The checked ``latitude``, ``longitude`` and ``sign_in_radius_m`` of ``data``."""
    values = {}
    for field, limit in (("latitude", LATITUDE_LIMIT), ("longitude", LONGITUDE_LIMIT)):
        try:
            values[field] = parse_degrees(getattr(data, field), limit=limit)
        except BadCoordinate as bad:
            values[field] = None
            if bad.reason == "not_a_number":
                message = _("Enter the position in decimal degrees (WGS-84), not degrees and "
                            "minutes.")
            elif limit == LATITUDE_LIMIT:
                message = _("The latitude must be between -90 and 90 degrees.")
            else:
                message = _("The longitude must be between -180 and 180 degrees.")
            errors.setdefault(field, []).append(message)
    if (values["latitude"] is None) != (values["longitude"] is None) \
            and "latitude" not in errors and "longitude" not in errors:
        missing = "longitude" if values["longitude"] is None else "latitude"
        errors.setdefault(missing, []).append(_("Give both latitude and longitude, or neither."))
    radius = data.sign_in_radius_m
    if radius in (None, ""):
        values["sign_in_radius_m"] = Activity._meta.get_field("sign_in_radius_m").default
    else:
        try:
            values["sign_in_radius_m"] = int(str(radius).strip())
        except (TypeError, ValueError):
            values["sign_in_radius_m"] = -1
        if not RADIUS_MIN <= values["sign_in_radius_m"] <= RADIUS_MAX:
            errors.setdefault("sign_in_radius_m", []).append(
                _("The allowed distance is a whole number of metres from %(min)s to %(max)s.")
                % {"min": RADIUS_MIN, "max": RADIUS_MAX})
    return values


def _activity_fields(actor, data: ActivityInput,
                     activity: Activity | None = None) -> tuple[dict, dict]:
    """The checked fields and groups of ``data`` (field errors raised together). Editing
    ``activity``, its partners stay allowed after they were deactivated."""
    errors: dict[str, list[str]] = {}
    title = _text(data.title, field="title", limit=TITLE_MAX, errors=errors,
                  required_message=_("Give the activity a title."))
    location = _text(data.location, field="location", limit=LOCATION_MAX, errors=errors)
    description = _text(data.description, field="description", limit=TEXT_MAX, errors=errors)
    if data.topic not in Topic.values:
        errors.setdefault("topic", []).append(_("Choose a topic."))
    if data.kind not in Activity.Kind.values:
        errors.setdefault("kind", []).append(_("Choose the kind of activity."))
    starts_at, ends_at = data.starts_at, data.ends_at
    if not isinstance(starts_at, dt.datetime):
        errors.setdefault("starts_at", []).append(_("Give the start time."))
        starts_at = None
    if not isinstance(ends_at, dt.datetime):
        errors.setdefault("ends_at", []).append(_("Give the end time."))
        ends_at = None
    if starts_at is not None:
        latest = clock.now().year + YEARS_AHEAD
        if not FIRST_YEAR <= starts_at.astimezone(clock.local_zone()).year <= latest:
            errors.setdefault("starts_at", []).append(
                _("The start must be between %(first)s and %(last)s.")
                % {"first": FIRST_YEAR, "last": latest})
            starts_at = None
    if starts_at is not None and ends_at is not None:
        if ends_at < starts_at:
            errors.setdefault("ends_at", []).append(_("The end is before the start."))
        elif ends_at - starts_at > ACTIVITY_LENGTH_MAX:
            errors.setdefault("ends_at", []).append(
                _("An activity lasts at most %(days)s days.")
                % {"days": ACTIVITY_LENGTH_MAX.days})

    campaign = None
    if data.campaign_id not in (None, ""):
        campaign = Campaign.objects.filter(pk=id_or_none(data.campaign_id) or 0).first()
        if campaign is None:
            errors.setdefault("campaign", []).append(_("No such campaign."))
    campus = None
    if data.campus_id not in (None, ""):
        campus = Campus.objects.filter(pk=id_or_none(data.campus_id) or 0).first()
        if campus is None:
            errors.setdefault("campus", []).append(_("No such campus."))
    place = None
    if data.place_id not in (None, ""):
        place = (Place.objects.select_related("campus")
                 .filter(pk=id_or_none(data.place_id) or 0).first())
        if place is None:
            errors.setdefault("place", []).append(_("No such place."))
        elif campus is not None and place.campus_id != campus.pk:
            errors.setdefault("place", []).append(
                _("%(place)s is not on %(campus)s.") % {"place": place.name,
                                                        "campus": campus.name})
        else:
            campus = place.campus
    if place is None and not location and "place" not in errors:
        errors.setdefault("location", []).append(
            _("Choose a place or say where (e.g. outside the canteen, online platform)."))

    partners = _rows(Partner, _ids(data.partner_ids, field="partners", errors=errors),
                     field="partners", errors=errors,
                     queryset=Partner.objects.filter(
                         Q(is_active=True) | Q(pk__in=activity.partners.values("pk"))
                         if activity is not None else Q(is_active=True)))
    campuses = _rows(Campus, _ids(data.campus_ids, field="campuses", errors=errors),
                     field="campuses", errors=errors)
    buildings = _rows(Building, _ids(data.building_ids, field="buildings", errors=errors),
                      field="buildings", errors=errors)
    colleges = _rows(Unit, _ids(data.college_ids, field="colleges", errors=errors),
                     field="colleges", errors=errors)
    classes = _rows(ClassGroup, _ids(data.class_ids, field="class_groups", errors=errors),
                    field="class_groups", errors=errors)

    if not actor.has_perm("education.manage_education"):
        mine = activity_units_of(actor)
        outside = [u.name for u in colleges if u.pk not in mine]
        if outside:
            errors.setdefault("colleges", []).append(
                _("You record activities only for your own units; not for %(units)s.")
                % {"units": "、".join(outside)})
        elif not colleges and "colleges" not in errors:
            errors.setdefault("colleges", []).append(
                _("Name your unit among the colleges reached."))
        foreign = [c.name for c in classes if c.college_id not in mine]
        if foreign:
            errors.setdefault("class_groups", []).append(
                _("These classes are not in your units: %(classes)s.")
                % {"classes": "、".join(foreign)})
    position = _position(data, errors)
    raise_field_errors(errors)
    fields = {"title": title, "topic": data.topic, "kind": data.kind, "starts_at": starts_at,
              "ends_at": ends_at, "campaign": campaign, "campus": campus, "place": place,
              "location": location, "description": description, **position}
    relations = {"partners": partners, "campuses": campuses, "buildings": buildings,
                 "colleges": colleges, "class_groups": classes}
    return fields, relations


def activity_create(*, actor, data: ActivityInput,
                    idempotency_key: str | None = None) -> Activity:
    """Plan an activity (state ``planned``) with the groups it is for and, optionally, where
    sign-in is expected (latitude/longitude, WGS-84, and the allowed distance in metres: a
    sign-in farther away is flagged ``far_away``).

    Refused (field errors, nothing written) for a missing title/topic/kind/time, an end
    before the start, unknown ids, a place not on the campus given, a position that is not
    decimal degrees, out of range or half given, an allowed distance outside
    :data:`RADIUS_MIN`–:data:`RADIUS_MAX`, or, for a unit contact or counsellor, colleges or
    classes outside their units. A repeated call with the same
    ``idempotency_key`` returns the first activity.
    """
    perm_require(actor, "education.record_activity")
    earlier = idempotency_lookup(scope=ACTIVITY_CREATE_SCOPE, key=idempotency_key,
                                 model=Activity, user=actor)
    if earlier is not None:
        return earlier
    fields, relations = _activity_fields(actor, data)
    with transaction.atomic():
        activity = Activity.objects.create(**fields, organiser=actor)
        for name, rows in relations.items():
            if rows:
                getattr(activity, name).set(rows)
        activity_record(target=activity, actor=actor, verb="education.activity_create",
                        to_state=activity.state)
        winner = idempotency_race_lost(scope=ACTIVITY_CREATE_SCOPE, key=idempotency_key,
                                       user=actor, result=activity)
    return winner or activity


def msg_not_editable(activity: Activity) -> str:
    return _("Only a planned activity can be edited; this one is already %(state)s.") % {
        "state": activity.get_state_display()}


def activity_update(*, actor, activity_id: int, changes: Mapping) -> Activity:
    """Edit a planned activity: ``changes`` maps :class:`ActivityInput` field names to new
    values (the others keep what the activity holds, read under the lock, so a partial edit
    never undoes someone else's). The organiser or the office only
    (``education.change_activity``); a held or cancelled activity is refused (Conflict).

    Checked exactly as :func:`activity_create` (field errors, nothing written). One
    ``education.activity_update`` entry names the changed fields (``data["changed"]``);
    an edit that changes nothing writes nothing.
    """
    known = {f.name for f in dataclass_fields(ActivityInput)}
    unknown = sorted(set(changes) - known)
    if unknown:
        raise DomainError(_("Unknown fields: %(fields)s.") % {"fields": ", ".join(unknown)})
    with transaction.atomic():
        activity = _locked_activity(activity_id)
        perm_require(actor, "education.change_activity", activity)
        if activity.state != Activity.State.PLANNED:
            raise Conflict(msg_not_editable(activity), code="illegal_transition")
        before = ActivityInput.of(activity)
        data = replace(before, **changes)
        fields, relations = _activity_fields(actor, data, activity)
        changed = [name for name, value in fields.items()
                   if getattr(activity, name) != value]
        for name in changed:
            setattr(activity, name, fields[name])
        for name, rows in relations.items():
            if sorted(r.pk for r in rows) != sorted(
                    getattr(activity, name).values_list("pk", flat=True)):
                getattr(activity, name).set(rows)
                changed.append(name)
        if not changed:
            return activity
        scalar = [name for name in changed if name not in relations]
        if scalar:
            activity.save(update_fields=[*scalar, "updated_at"])
        else:
            activity.save(update_fields=["updated_at"])
        activity_record(target=activity, actor=actor, verb="education.activity_update",
                        data={"changed": sorted(changed)})
    return activity


def _locked_activity(activity_id) -> Activity:
    activity = (Activity.objects.select_for_update().filter(pk=id_or_none(activity_id) or 0)
                .first())
    if activity is None:
        raise DomainError(_("This activity does not exist."), code="not_found")
    return activity


def msg_illegal(activity: Activity) -> str:
    return _("This activity is already %(state)s.") % {"state": activity.get_state_display()}


def _transition(activity: Activity, name: str, *, actor, verb: str, fields: list[str],
                comment: str = "", data: dict | None = None) -> None:
    method = getattr(activity, name)
    if not can_proceed(method):
        raise Conflict(msg_illegal(activity), code="illegal_transition")
    old = activity.state
    method()
    try:
        activity.save(update_fields=["state", *fields, "updated_at"])
    except ConcurrentTransition as exc:
        raise Conflict(_("Someone else changed this activity at the same moment. Reload and "
                         "try again."), code="stale") from exc
    activity_record(target=activity, actor=actor, verb=verb, from_state=old,
                    to_state=activity.state, comment=comment, data=data)


@dataclass
class Material:
    name: str
    quantity: int | str | None
    unit_label: str = ""


def _materials(rows: Iterable, errors: dict) -> list[ActivityMaterial]:
    out = []
    for number, row in enumerate(rows or (), start=1):
        name = (row.name or "").strip()
        unit_label = (row.unit_label or "").strip()
        quantity = row.quantity
        if not name and quantity in (None, "") and not unit_label:
            continue
        where = {"row": number}
        if not name:
            errors.setdefault("materials", []).append(
                _("Row %(row)s: name the item.") % where)
            continue
        if len(name) > NAME_MAX or len(unit_label) > 8:
            errors.setdefault("materials", []).append(
                _("Row %(row)s: the item is at most 64 characters and its unit at most 8.")
                % where)
            continue
        try:
            count = int(str(quantity).strip())
        except (TypeError, ValueError):
            count = -1
        if not 1 <= count <= QUANTITY_MAX:
            errors.setdefault("materials", []).append(
                _("Row %(row)s: the quantity of %(item)s must be a whole number from 1 to "
                  "%(max)s.") % {**where, "item": name, "max": QUANTITY_MAX})
            continue
        out.append(ActivityMaterial(name=name, quantity=count, unit_label=unit_label))
    if len(out) > MATERIALS_MAX:
        errors.setdefault("materials", []).append(
            _("At most %(count)s kinds of material.") % {"count": MATERIALS_MAX})
    return out


def activity_hold(*, actor, activity_id: int, audience_count, summary: str = "",
                  materials: Iterable[Material] = (), photos: Sequence = ()) -> Activity:
    """Record that a planned activity took place: people reached, materials handed out
    (item, quantity, unit), 0–9 photos and a summary.

    Every photo is processed (:func:`core.uploads.photo_process`) before anything is written:
    one bad photo refuses the whole submission, naming the file. Refused too before the
    activity's start and when it is not planned (Conflict).
    """
    errors: dict[str, list[str]] = {}
    summary = _text(summary, field="summary", limit=TEXT_MAX, errors=errors)
    try:
        audience = int(str(audience_count).strip())
    except (TypeError, ValueError):
        audience = -1
    if not 0 <= audience <= AUDIENCE_MAX:
        errors.setdefault("audience_count", []).append(
            _("Give the number of people reached (0 to %(max)s).") % {"max": AUDIENCE_MAX})
    material_rows = _materials(materials, errors)
    photos = [p for p in photos or () if p]
    if len(photos) > PHOTOS_MAX:
        errors.setdefault("photos", []).append(
            _("At most %(count)s photos.") % {"count": PHOTOS_MAX})
    raise_field_errors(errors)
    processed = [photo_process(p, field="photos")[0] for p in photos]
    with transaction.atomic():
        activity = _locked_activity(activity_id)
        perm_require(actor, "education.change_activity", activity)
        if activity.state == Activity.State.PLANNED and activity.starts_at > clock.now():
            raise DomainError(_("This activity has not started yet; record it once it has "
                                "taken place."), code="not_started")
        activity.audience_count = audience
        activity.held_note = summary
        _transition(activity, "hold", actor=actor, verb="education.activity_hold",
                    fields=["audience_count", "held_note"],
                    data={"audience_count": audience, "photos": len(processed),
                          "materials": len(material_rows)})
        for row in material_rows:
            row.activity = activity
        ActivityMaterial.objects.bulk_create(material_rows)
        for image in processed:
            ActivityPhoto.objects.create(activity=activity, image=image, uploaded_by=actor)
    return activity


def activity_cancel(*, actor, activity_id: int, reason: str) -> Activity:
    """Call off a planned activity; the reason is required and kept."""
    errors: dict[str, list[str]] = {}
    reason = _text(reason, field="reason", limit=TEXT_MAX, errors=errors,
                   required_message=_("Say why the activity is cancelled."))
    raise_field_errors(errors)
    with transaction.atomic():
        activity = _locked_activity(activity_id)
        perm_require(actor, "education.change_activity", activity)
        activity.cancel_reason = reason
        _transition(activity, "cancel", actor=actor, verb="education.activity_cancel",
                    fields=["cancel_reason"], comment=reason)
    return activity
