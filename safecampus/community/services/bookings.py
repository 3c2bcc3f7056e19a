"""Service requests (服务申请, 订单式服务), writes: a unit books a service from the catalogue, the
office accepts it with a schedule and staff (or declines it), reschedules, delivers and
records what was done; the unit rates it. Either side cancels before delivery.

Rules:

- Lead time: the service date is at least ``item.lead_days`` days after the local day of
  booking — working days (official holidays and make-up days, :mod:`safecampus.core.workdays`)
  when ``item.lead_in_workdays``; a refusal names the earliest date allowed.
- Capacity: at most ``item.daily_capacity`` live bookings (awaiting, accepted or delivered)
  of one service on one date (0: no limit); a refusal names the next day with room.
- SLA: the office decides (accepts or declines) within ``item.sla_hours`` of the booking;
  ``sla_met`` is set when it decides (``decided_at <= sla_due_at``).
- Staff: active office staff and guards. A person already assigned to another accepted
  booking whose schedule overlaps is refused, naming the booking and its time, unless the
  office says the overlap is wanted (``allow_overlap``).
- Schedule: the start falls on a Beijing day at most ``SCHEDULE_WINDOW_DAYS`` (30) days
  before or after the booked service date, and the service lasts at most a week.
- Delivery: only once the scheduled start has come; ``delivered_on_time`` says whether it
  was delivered for the booked date (the scheduled start falls on the service date).

Times are stored aware UTC; days are Beijing (Asia/Shanghai) days. Errors:
:class:`~safecampus.core.errors.DomainError` (400, field errors name the fields),
:class:`~safecampus.core.errors.NotAllowed` (403), :class:`~safecampus.core.errors.Conflict`
(409: the request's state does not allow it, or it changed at the same moment).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping

from django.conf import settings
from django.db import transaction
from django.db.models import Count
from django.utils import formats, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext
from django_fsm import can_proceed

from safecampus.accounts.models import OFFICE_ROLES, UNIT_ROLES, Role, User
from safecampus.accounts.selectors import office_people, unit_people
from safecampus.core import clock
from safecampus.core.activity import activity_record
from safecampus.core.errors import (
    Conflict,
    DomainError,
    perm_require,
    raise_field_errors,
    text_checked,
)
from safecampus.core.forms import id_or_none
from safecampus.core.idempotency import idempotency_lookup, idempotency_race_lost
from safecampus.core.phones import PHONE_INVALID, phone_is_valid, phone_normalise
from safecampus.core.workdays import add_working_days
from safecampus.notifications.services import notification_send
from safecampus.organisation.models import Campus, Place, Unit

from ..models import Sequence as NumberSequence
from ..models import ServiceAssignment, ServiceField, ServiceItem, ServiceRequest
from .sequences import sequence_next

SUBMIT_SCOPE = "community.service_request"
#: Requests that take a place of the day's capacity.
LIVE_STATES = (ServiceRequest.State.SUBMITTED, ServiceRequest.State.ACCEPTED,
               ServiceRequest.State.DELIVERED)
#: Who may be assigned to deliver a service.
STAFF_ROLES = frozenset(OFFICE_ROLES | {Role.GUARD})
LOCATION_MAX, NOTES_MAX, REASON_MAX, NOTE_MAX, DELIVERY_MAX = 200, 2000, 500, 500, 5000
ANSWER_SHORT_MAX, ANSWER_LONG_MAX = 200, 2000
#: How far ahead a service can be booked, and the longest scheduled service.
BOOK_AHEAD_DAYS = 366
LONGEST_SERVICE = dt.timedelta(days=7)
#: The office schedules a service to start at most this many days before or after the date
#: the unit booked (moved with the unit's agreement; ``delivered_on_time`` says if it moved).
SCHEDULE_WINDOW_DAYS = 30
PEOPLE_MAX = 1_000_000
#: The office is reminded of a request whose SLA ends within this time (and once overdue).
SLA_REMIND_BEFORE = dt.timedelta(hours=4)
TRUE_TEXTS = {"1", "true", "yes", "on", "y"}
FALSE_TEXTS = {"0", "false", "no", "off", "n", ""}


def request_number(year: int, sequence: int) -> str:
    """``FW-2026-0042``: a service request's number, unique per (local) year."""
    return f"FW-{year}-{sequence:04d}"


def day_text(day: dt.date) -> str:
    """A date as a sentence says it (``2026年6月19日``; English ``19 June 2026``)."""
    return formats.date_format(day, pgettext("long date format", "j F Y"))


def moment_text(moment: dt.datetime) -> str:
    """An aware datetime as Beijing time, ``2026-06-19 14:00``."""
    return moment.astimezone(clock.local_zone()).strftime("%Y-%m-%d %H:%M")


def state_label(state: str) -> str:
    return str(dict(ServiceRequest.State.choices).get(state, state))


def msg_state(request: ServiceRequest) -> str:
    return _("Service request %(number)s is %(state)s; that cannot be done to it now.") % {
        "number": request.number, "state": state_label(request.state)}


# --- dates: lead time and capacity -------------------------------------------------------------
def earliest_by_lead_time(item: ServiceItem, today: dt.date | None = None) -> dt.date:
    """The first service date ``item``'s lead time allows when booking on ``today`` (local):
    ``lead_days`` working days (or calendar days) after today; today itself for no lead
    time. A year whose holidays nobody has entered counts calendar days."""
    today = today or clock.local_today()
    if item.lead_days < 1:
        return today
    if item.lead_in_workdays:
        try:
            return add_working_days(today, item.lead_days)
        except DomainError:
            pass
    return today + dt.timedelta(days=item.lead_days)


def booked_per_day(item: ServiceItem, first: dt.date, last: dt.date,
                   *, exclude_id: int | None = None) -> dict[dt.date, int]:
    """``{date: live bookings}`` of ``item`` between two dates (inclusive), one query."""
    rows = ServiceRequest.objects.filter(item=item, state__in=LIVE_STATES,
                                         service_date__range=(first, last))
    if exclude_id:
        rows = rows.exclude(pk=exclude_id)
    return dict(rows.values("service_date").annotate(n=Count("id"))
                .values_list("service_date", "n"))


def first_free_day(item: ServiceItem, start: dt.date) -> dt.date | None:
    """The first date on or after ``start`` with room for one more booking of ``item``
    (``start`` itself when there is no daily limit); None when nothing is free within
    :data:`BOOK_AHEAD_DAYS`."""
    if not item.daily_capacity:
        return start
    last = start + dt.timedelta(days=BOOK_AHEAD_DAYS)
    taken = booked_per_day(item, start, last)
    day = start
    while day <= last:
        if taken.get(day, 0) < item.daily_capacity:
            return day
        day += dt.timedelta(days=1)
    return None


def msg_lead_time(item: ServiceItem, earliest: dt.date) -> str:
    if item.lead_in_workdays:
        text = ngettext(
            "“%(service)s” must be booked at least %(days)s working day ahead: the earliest "
            "date allowed is %(date)s.",
            "“%(service)s” must be booked at least %(days)s working days ahead: the earliest "
            "date allowed is %(date)s.", item.lead_days)
    else:
        text = ngettext(
            "“%(service)s” must be booked at least %(days)s day ahead: the earliest date "
            "allowed is %(date)s.",
            "“%(service)s” must be booked at least %(days)s days ahead: the earliest date "
            "allowed is %(date)s.", item.lead_days)
    return text % {"service": item.name, "days": item.lead_days, "date": day_text(earliest)}


def _check_service_date(item: ServiceItem, day, errors: dict) -> None:
    if not isinstance(day, dt.date) or isinstance(day, dt.datetime):
        errors["service_date"] = [_("Give the date of the service.")]
        return
    today = clock.local_today()
    earliest = earliest_by_lead_time(item, today)
    if day < today:
        errors["service_date"] = [_("That date has passed: the earliest date allowed is "
                                    "%(date)s.") % {"date": day_text(earliest)}]
    elif day < earliest:
        errors["service_date"] = [msg_lead_time(item, earliest)]
    elif day > today + dt.timedelta(days=BOOK_AHEAD_DAYS):
        errors["service_date"] = [_("A service can be booked at most %(days)s days ahead.")
                                  % {"days": BOOK_AHEAD_DAYS}]
    elif item.daily_capacity and booked_per_day(item, day, day).get(day, 0) >= (
            item.daily_capacity):
        free = first_free_day(item, day)
        errors["service_date"] = [
            _("“%(service)s” is fully booked on %(date)s; the next day with room is "
              "%(free)s.") % {"service": item.name, "date": day_text(day),
                               "free": day_text(free)} if free else
            _("“%(service)s” is fully booked on %(date)s.") % {
                "service": item.name, "date": day_text(day)}]


# --- the service's own questions ---------------------------------------------------------------
def answer_field(code: str) -> str:
    """The form field (and error key) of a service question's answer."""
    return f"answer_{code}"


def msg_number_range(field: ServiceField) -> str:
    """The refusal of a whole number outside the question's range."""
    return _("“%(question)s” needs a whole number from %(min)s to %(max)s.") % {
        "question": field.label, "min": field.min_value, "max": field.max_value}


def _as_list(value) -> list[str]:
    if value is None:
        return []
    if isinstance(value, (list, tuple, set)):
        return [str(v).strip() for v in value if str(v).strip()]
    return [v.strip() for v in str(value).split(",") if v.strip()]


def answers_clean(fields: Iterable[ServiceField], raw: Mapping[str, object] | None) -> dict:
    """Check the answers to a service's questions; return ``{code: value}``.

    ``raw`` maps question codes to what was given: text; a whole number (int or digits);
    a date (``date`` or ``YYYY-MM-DD``); one option's text; several options (a list, or
    one comma-separated text); yes/no (bool, or ``true/false/1/0/yes/no/on/off``). A whole
number must lie within the question's ``min_value``–``max_value`` (inclusive). Stored:
    texts, int, ISO date text, option text, list of option texts (in the options' order),
    bool. Codes the service does not ask are dropped. A required question must be answered;
    a required yes/no question must be answered yes (an agreement such as "I have read the
    safety rules"). Raises :class:`DomainError` with field errors at ``answer_<code>``."""
    raw = raw or {}
    errors: dict[str, list[str]] = {}
    clean: dict[str, object] = {}
    Kind = ServiceField.Kind
    for field in fields:
        key = answer_field(field.code)
        value = raw.get(field.code)
        label = field.label
        if field.kind == Kind.BOOLEAN:
            if isinstance(value, bool):
                answer = value
            else:
                text = str(value if value is not None else "").strip().lower()
                if text not in TRUE_TEXTS | FALSE_TEXTS:
                    errors[key] = [_("Answer “%(question)s” with yes or no.") % {
                        "question": label}]
                    continue
                answer = text in TRUE_TEXTS
            if field.required and not answer:
                errors[key] = [_("“%(question)s” must be ticked.") % {"question": label}]
                continue
            clean[field.code] = answer
            continue
        if field.kind == Kind.MULTICHOICE:
            values = _as_list(value)
        else:
            values = [] if value is None or str(value).strip() == "" else [value]
        if not values:
            if field.required:
                errors[key] = [_("Answer “%(question)s”.") % {"question": label}]
            continue
        options = [str(o) for o in field.options or []]
        if field.kind == Kind.MULTICHOICE:
            unknown = [v for v in values if v not in options]
            if unknown:
                errors[key] = [_("“%(value)s” is not one of the choices of “%(question)s”.")
                               % {"value": unknown[0][:50], "question": label}]
            else:
                clean[field.code] = [o for o in options if o in values]
            continue
        value = values[0]
        if field.kind == Kind.CHOICE:
            value = str(value).strip()
            if value not in options:
                errors[key] = [_("“%(value)s” is not one of the choices of “%(question)s”.")
                               % {"value": value[:50], "question": label}]
            else:
                clean[field.code] = value
        elif field.kind == Kind.NUMBER:
            if isinstance(value, bool):
                value = ""
            text = str(value).strip()
            digits = text[1:] if text.startswith("-") else text
            if isinstance(value, int) or (digits.isascii() and digits.isdigit()
                                          and len(digits) <= 12):
                number = int(value if isinstance(value, int) else text)
                if field.min_value <= number <= field.max_value:
                    clean[field.code] = number
                else:
                    errors[key] = [msg_number_range(field)]
            else:
                errors[key] = [_("“%(question)s” needs a whole number.") % {
                    "question": label}]
        elif field.kind == Kind.DATE:
            if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
                clean[field.code] = value.isoformat()
                continue
            try:
                clean[field.code] = dt.date.fromisoformat(str(value).strip()).isoformat()
            except ValueError:
                errors[key] = [_("“%(question)s” needs a date such as 2026-06-19.") % {
                    "question": label}]
        else:
            text = str(value).strip()
            limit = ANSWER_LONG_MAX if field.kind == Kind.TEXTAREA else ANSWER_SHORT_MAX
            if len(text) > limit:
                errors[key] = [_("At most %(count)s characters.") % {"count": limit}]
            else:
                clean[field.code] = text
    raise_field_errors(errors)
    return clean


# --- who is told --------------------------------------------------------------------------------
def _office_people() -> list:
    """Active office staff and administrators (they run the queue)."""
    return office_people(*OFFICE_ROLES)


def staff_people():
    """Who can be assigned to deliver a service: active office staff and guards."""
    return (User.objects.filter(is_active=True, memberships__role__in=STAFF_ROLES)
            .distinct().order_by("full_name", "username"))


def _unit_people(request: ServiceRequest) -> list:
    """The person who booked and the unit's active safety contacts and leaders."""
    people = unit_people(request.unit_id, *UNIT_ROLES)
    booker = request.requested_by
    if booker is not None and booker.is_active and all(p.pk != booker.pk for p in people):
        people.insert(0, booker)
    return people


def _tell(request: ServiceRequest, recipients, verb: str, title: str, key: str,
          body: str = "") -> None:
    """Send after the transaction commits (recipients resolved then)."""
    url = request.get_absolute_url()

    def send():
        notification_send(recipients=recipients() if callable(recipients) else recipients,
                          verb=verb, title=title, body=body, url=url,
                          dedupe_key=f"service_request:{request.pk}:{key}", email=False)

    transaction.on_commit(send)


def _stored(text_of) -> str:
    """A stored text (notification title) in the site's language."""
    with translation.override(settings.LANGUAGE_CODE):
        return text_of()


# --- submit -------------------------------------------------------------------------------------
def service_request_submit(
    *,
    actor,
    item_id,
    unit_id,
    service_date,
    start_time,
    campus_id,
    contact_phone: str,
    end_time=None,
    place_id=None,
    location_text: str = "",
    notes: str = "",
    answers: Mapping[str, object] | None = None,
    idempotency_key: str | None = None,
) -> ServiceRequest:
    """Book service ``item_id`` for unit ``unit_id`` (the actor is its safety contact or
    leader) on local date ``service_date`` from ``start_time`` (to ``end_time``, optional,
    later the same day) at ``campus_id`` and a place of it or a ``location_text``.
    ``answers``: the service's questions (:func:`answers_clean`). Returns the request, state
    submitted, numbered ``FW-<year>-<nnnn>``, due for a decision ``sla_hours`` after now;
    the office is told. With the same ``idempotency_key`` a second call returns the first
    request. Raises :class:`DomainError` (nothing written): the date inside the lead time
    (names the earliest date), past, or fully booked (names the next free day), a bad phone
    number, a missing or bad answer …; :class:`NotAllowed` when the actor books for no
    unit."""
    perm_require(actor, "community.book_service")
    existing = idempotency_lookup(scope=SUBMIT_SCOPE, key=idempotency_key,
                                  model=ServiceRequest, user=actor)
    if existing is not None:
        return existing
    errors: dict[str, list[str]] = {}
    item = (ServiceItem.objects.filter(pk=id_or_none(item_id) or 0, is_active=True)
            .prefetch_related("fields").first())
    if item is None:
        errors["item"] = [_("Choose a service from the catalogue.")]
    unit = Unit.objects.filter(pk=id_or_none(unit_id) or 0).first()
    if unit is None or not actor.scope.acts_for_unit(unit.pk):
        errors["unit"] = [_("Choose one of the units you book for.")]
    if item is not None:
        _check_service_date(item, service_date, errors)
    if not isinstance(start_time, dt.time):
        errors["start_time"] = [_("Give the time the service starts.")]
    elif end_time is not None and not isinstance(end_time, dt.time):
        errors["end_time"] = [_("Give the time the service ends.")]
    elif end_time is not None and end_time <= start_time:
        errors["end_time"] = [_("The end time is not after the start time.")]
    campus = Campus.objects.filter(pk=id_or_none(campus_id) or 0).first()
    if campus is None:
        errors["campus"] = [_("Choose the campus.")]
    place = None
    if place_id not in (None, ""):
        place = Place.objects.filter(pk=id_or_none(place_id) or 0).first()
        if place is None:
            errors["place"] = [_("Choose a place from the list.")]
        elif campus is not None and place.campus_id != campus.pk:
            errors["place"] = [_("The place is not on the chosen campus.")]
    location_text = text_checked(location_text, field="location_text", limit=LOCATION_MAX,
                                 errors=errors)
    if place is None and not location_text and "place" not in errors and (
            "location_text" not in errors):
        errors["location_text"] = [_("Choose a place or say where the service is.")]
    phone = phone_normalise(contact_phone)
    if not phone:
        errors["contact_phone"] = [_("Give a phone number the office can call.")]
    elif len(phone) > 20 or not phone_is_valid(phone):
        errors["contact_phone"] = [str(PHONE_INVALID)]
    notes = text_checked(notes, field="notes", limit=NOTES_MAX, errors=errors)
    clean_answers = {}
    if item is not None:
        try:
            clean_answers = answers_clean(item.fields.all(), answers)
        except DomainError as error:
            errors.update(error.field_errors)
    raise_field_errors(errors)
    now = clock.now()
    year = clock.local_today().year
    with transaction.atomic():
        # One booking at a time per service, so the day's capacity holds under concurrency.
        item = ServiceItem.objects.select_for_update().get(pk=item.pk)
        _check_service_date(item, service_date, errors)
        raise_field_errors(errors)
        sequence = sequence_next(kind=NumberSequence.Kind.SERVICE_REQUEST, year=year)
        request = ServiceRequest.objects.create(
            number=request_number(year, sequence), year=year, sequence=sequence, item=item,
            unit=unit, requested_by=actor, contact_phone=phone, service_date=service_date,
            start_time=start_time, end_time=end_time, campus=campus, place=place,
            location_text=location_text, answers=clean_answers, notes=notes,
            submitted_at=now, sla_due_at=now + dt.timedelta(hours=item.sla_hours))
        activity_record(target=request, actor=actor, verb="community.service_submit",
                        to_state=request.state)
        winner = idempotency_race_lost(scope=SUBMIT_SCOPE, key=idempotency_key, user=actor,
                                       result=request)
        if winner is not None:
            return winner
        title = _stored(lambda: _("New service request %(number)s: %(service)s for %(unit)s "
                                  "on %(date)s") % {
            "number": request.number, "service": item.name, "unit": unit.name,
            "date": day_text(service_date)})
        body = _stored(lambda: _("Decide by %(due)s.") % {"due": moment_text(
            request.sla_due_at)})
        _tell(request, _office_people, "community.service_submit", title, "submitted", body)
    return request


# --- the office's decision ----------------------------------------------------------------------
def _locked(request_id) -> ServiceRequest:
    request = (ServiceRequest.objects.select_for_update().select_related("item", "unit")
               .filter(pk=id_or_none(request_id) or 0).first())
    if request is None:
        raise DomainError(_("This service request does not exist."), code="not_found")
    return request


def _local_day(moment: dt.datetime) -> dt.date | None:
    """The Beijing day of an aware datetime; None when it cannot be one (year 1 or 9999)."""
    try:
        return moment.astimezone(clock.local_zone()).date()
    except (OverflowError, ValueError):
        return None


def schedule_window(request: ServiceRequest) -> tuple[dt.date, dt.date]:
    """The first and last Beijing day a service may be scheduled to start on:
    :data:`SCHEDULE_WINDOW_DAYS` days either side of the booked service date."""
    around = dt.timedelta(days=SCHEDULE_WINDOW_DAYS)
    return request.service_date - around, request.service_date + around


def msg_schedule_window(request: ServiceRequest) -> str:
    first, last = schedule_window(request)
    return _("The service was booked for %(date)s: schedule it to start between %(first)s and "
             "%(last)s.") % {"date": day_text(request.service_date), "first": day_text(first),
                             "last": day_text(last)}


def _schedule_checked(request: ServiceRequest, *, scheduled_start, scheduled_end, staff_ids,
                      lead_id, allow_overlap: bool, errors: dict) -> tuple[list, User | None]:
    """The staff (lead first) for a schedule, after checking times, people and overlaps.
    The staff's user rows are locked (in id order) before the overlap check, so two office
    members assigning one person to overlapping bookings at once cannot both pass."""
    times_ok = True
    if not isinstance(scheduled_start, dt.datetime) or scheduled_start.tzinfo is None:
        errors["scheduled_start"] = [_("Give the day and time the service starts.")]
        times_ok = False
    else:
        first, last = schedule_window(request)
        day = _local_day(scheduled_start)
        if day is None or not first <= day <= last:
            errors["scheduled_start"] = [msg_schedule_window(request)]
            times_ok = False
    if not isinstance(scheduled_end, dt.datetime) or scheduled_end.tzinfo is None:
        errors["scheduled_end"] = [_("Give the day and time the service ends.")]
        times_ok = False
    elif times_ok and scheduled_end <= scheduled_start:
        errors["scheduled_end"] = [_("The end is not after the start.")]
        times_ok = False
    elif times_ok and scheduled_end - scheduled_start > LONGEST_SERVICE:
        errors["scheduled_end"] = [_("A service is scheduled for at most %(days)s days.") % {
            "days": LONGEST_SERVICE.days}]
        times_ok = False
    ids = []
    for value in staff_ids or ():
        number = id_or_none(value)
        if number is None:
            errors["staff"] = [_("Choose staff from the list.")]
        elif number not in ids:
            ids.append(number)
    people = {u.pk: u for u in staff_people().filter(pk__in=ids)}
    if "staff" not in errors:
        if not ids:
            errors["staff"] = [_("Assign at least one member of staff.")]
        elif len(people) != len(ids):
            errors["staff"] = [_("Only active office staff and guards can be assigned.")]
    lead = None
    lead_number = id_or_none(lead_id)
    if lead_number is None and len(ids) == 1:
        lead_number = ids[0]
    if lead_number is None:
        errors["lead"] = [_("Say who is in charge.")]
    elif lead_number not in ids:
        errors["lead"] = [_("The person in charge must be one of the staff assigned.")]
    else:
        lead = people.get(lead_number)
    if times_ok and people and not allow_overlap and "staff" not in errors:
        list(User.objects.select_for_update().filter(pk__in=sorted(people)).order_by("pk")
             .values_list("pk", flat=True))
        clash = (ServiceAssignment.objects
                 .filter(user_id__in=list(people), request__state=ServiceRequest.State.ACCEPTED,
                         request__scheduled_start__lt=scheduled_end,
                         request__scheduled_end__gt=scheduled_start)
                 .exclude(request_id=request.pk)
                 .select_related("user", "request__item", "request__unit")
                 .order_by("request__scheduled_start", "id"))
        messages = [
            _("%(person)s is already assigned to %(number)s (%(service)s, %(unit)s) from "
              "%(start)s to %(end)s.") % {
                "person": a.user.full_name or a.user.username, "number": a.request.number,
                "service": a.request.item.name, "unit": a.request.unit.name,
                "start": moment_text(a.request.scheduled_start),
                "end": moment_text(a.request.scheduled_end)} for a in clash]
        if messages:
            errors["staff"] = messages
    ordered = ([lead] if lead else []) + [people[i] for i in ids if i in people and (
        lead is None or i != lead.pk)]
    return ordered, lead


def _assign(request: ServiceRequest, staff: list, lead: User | None) -> list[int]:
    """Replace the request's assignments; returns the ids of people newly assigned."""
    before = set(request.assignments.values_list("user_id", flat=True))
    request.assignments.exclude(user_id__in=[u.pk for u in staff]).delete()
    for person in staff:
        ServiceAssignment.objects.update_or_create(
            request=request, user=person,
            defaults={"is_lead": lead is not None and person.pk == lead.pk})
    return [u.pk for u in staff if u.pk not in before]


def _tell_staff(request: ServiceRequest, staff: list, *, key: str) -> None:
    start = moment_text(request.scheduled_start)
    title = _stored(lambda: _("You are assigned to %(number)s: %(service)s for %(unit)s at "
                              "%(start)s") % {"number": request.number,
                                              "service": request.item.name,
                                              "unit": request.unit.name, "start": start})
    where = request.place.name if request.place_id else request.location_text
    _tell(request, staff, "community.service_assigned", title, f"{key}:{start}", where)


def service_request_accept(*, actor, request_id, scheduled_start: dt.datetime,
                           scheduled_end: dt.datetime, staff_ids, lead_id=None,
                           office_note: str = "", allow_overlap: bool = False
                           ) -> ServiceRequest:
    """Accept a request awaiting the office with its schedule (aware datetimes) and staff
    (``lead_id`` in charge; optional when one person is assigned). Sets the decision time and
    whether it was within the SLA; tells the unit and the staff. Raises :class:`DomainError`
    for bad times or staff, and for staff already on an overlapping accepted booking (unless
    ``allow_overlap``); :class:`Conflict` when it is no longer awaiting."""
    perm_require(actor, "community.decide_service_request")
    errors: dict[str, list[str]] = {}
    office_note = text_checked(office_note, field="office_note", limit=NOTE_MAX,
                               errors=errors)
    with transaction.atomic():
        request = _locked(request_id)
        if not can_proceed(request.accept):
            raise Conflict(msg_state(request))
        staff, lead = _schedule_checked(
            request, scheduled_start=scheduled_start, scheduled_end=scheduled_end,
            staff_ids=staff_ids, lead_id=lead_id, allow_overlap=allow_overlap, errors=errors)
        raise_field_errors(errors)
        now = clock.now()
        request.accept()
        request.scheduled_start, request.scheduled_end = scheduled_start, scheduled_end
        request.office_note = office_note
        request.decided_at, request.decided_by = now, actor
        request.sla_met = now <= request.sla_due_at
        request.save()
        _assign(request, staff, lead)
        activity_record(target=request, actor=actor, verb="community.service_accept",
                        from_state=ServiceRequest.State.SUBMITTED, to_state=request.state,
                        comment=office_note, data={
                            "start": moment_text(scheduled_start),
                            "end": moment_text(scheduled_end),
                            "staff": [u.full_name or u.username for u in staff],
                            "sla_met": request.sla_met, "overlap": bool(allow_overlap)})
        title = _stored(lambda: _("%(number)s accepted: %(service)s on %(start)s") % {
            "number": request.number, "service": request.item.name,
            "start": moment_text(scheduled_start)})
        _tell(request, lambda: _unit_people(request), "community.service_accept", title,
              "accepted", office_note)
        _tell_staff(request, staff, key="assigned")
    return request


def service_request_reschedule(*, actor, request_id, scheduled_start: dt.datetime,
                               scheduled_end: dt.datetime, staff_ids, lead_id=None,
                               office_note: str = "", allow_overlap: bool = False
                               ) -> ServiceRequest:
    """Give an accepted request a new schedule and/or other staff (same checks as
    :func:`service_request_accept`). The decision and its SLA stay as they were. The unit
    is told of a new time; staff are told of their (new) assignment, and the timeline says
    what changed. Raises :class:`DomainError` when nothing changes."""
    perm_require(actor, "community.decide_service_request")
    errors: dict[str, list[str]] = {}
    office_note = text_checked(office_note, field="office_note", limit=NOTE_MAX,
                               errors=errors)
    with transaction.atomic():
        request = _locked(request_id)
        if not can_proceed(request.reschedule):
            raise Conflict(msg_state(request))
        staff, lead = _schedule_checked(
            request, scheduled_start=scheduled_start, scheduled_end=scheduled_end,
            staff_ids=staff_ids, lead_id=lead_id, allow_overlap=allow_overlap, errors=errors)
        raise_field_errors(errors)
        before = {(a.user_id, a.is_lead) for a in request.assignments.all()}
        after = {(u.pk, lead is not None and u.pk == lead.pk) for u in staff}
        moved = (request.scheduled_start, request.scheduled_end) != (scheduled_start,
                                                                      scheduled_end)
        if not moved and before == after and office_note == request.office_note:
            raise DomainError(_("Nothing changed: give another time or other staff."),
                              field_errors={"scheduled_start": [
                                  _("Nothing changed: give another time or other staff.")]})
        old = moment_text(request.scheduled_start)
        request.reschedule()
        request.scheduled_start, request.scheduled_end = scheduled_start, scheduled_end
        request.office_note = office_note
        request.save()
        new_ids = _assign(request, staff, lead)
        activity_record(target=request, actor=actor, verb="community.service_reschedule",
                        from_state=request.state, to_state=request.state,
                        comment=office_note, data={
                            "from": old, "start": moment_text(scheduled_start),
                            "end": moment_text(scheduled_end), "moved": moved,
                            "staff": [u.full_name or u.username for u in staff]})
        if moved:
            title = _stored(lambda: _("%(number)s moved: %(service)s now on %(start)s") % {
                "number": request.number, "service": request.item.name,
                "start": moment_text(scheduled_start)})
            _tell(request, lambda: _unit_people(request), "community.service_reschedule",
                  title, f"moved:{moment_text(scheduled_start)}", office_note)
        told = staff if moved else [u for u in staff if u.pk in new_ids]
        if told:
            _tell_staff(request, told, key="assigned")
    return request


def service_request_decline(*, actor, request_id, reason: str) -> ServiceRequest:
    """Decline a request awaiting the office, with a reason the unit reads. Sets the
    decision time and ``sla_met``; tells the unit."""
    perm_require(actor, "community.decide_service_request")
    errors: dict[str, list[str]] = {}
    reason = text_checked(reason, field="reason", limit=REASON_MAX, errors=errors,
                          required=_("Say why the request is declined."))
    raise_field_errors(errors)
    with transaction.atomic():
        request = _locked(request_id)
        if not can_proceed(request.decline):
            raise Conflict(msg_state(request))
        now = clock.now()
        request.decline()
        request.decline_reason = reason
        request.decided_at, request.decided_by = now, actor
        request.sla_met = now <= request.sla_due_at
        request.save()
        activity_record(target=request, actor=actor, verb="community.service_decline",
                        from_state=ServiceRequest.State.SUBMITTED, to_state=request.state,
                        comment=reason, data={"sla_met": request.sla_met})
        title = _stored(lambda: _("%(number)s declined: %(service)s") % {
            "number": request.number, "service": request.item.name})
        _tell(request, lambda: _unit_people(request), "community.service_decline", title,
              "declined", reason)
    return request


def _whole_number(value) -> int | None:
    """A non-negative whole number from an int or ASCII digits, else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    text = str(value).strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 9 else None


def service_started(request: ServiceRequest, now: dt.datetime | None = None) -> bool:
    """True once the scheduled start has come (delivery may be recorded from then)."""
    return request.scheduled_start is not None and request.scheduled_start <= (
        now or clock.now())


def msg_too_early(request: ServiceRequest) -> str:
    return _("The service has not started yet: delivery can be recorded from %(start)s.") % {
        "start": moment_text(request.scheduled_start)}


def service_request_deliver(*, actor, request_id, delivery_note: str,
                            people_reached=None) -> ServiceRequest:
    """Record an accepted request as delivered (from its scheduled start on): what was done
    and, optionally, how many people it reached. ``delivered_on_time``: the scheduled start
    fell on the booked service date (Beijing day). Tells the unit, who may then rate it."""
    perm_require(actor, "community.deliver_service_request")
    errors: dict[str, list[str]] = {}
    delivery_note = text_checked(delivery_note, field="delivery_note", limit=DELIVERY_MAX,
                                 errors=errors, required=_("Say what was done."))
    reached = None
    if people_reached not in (None, ""):
        reached = _whole_number(people_reached)
        if reached is None or not 0 <= reached <= PEOPLE_MAX:
            errors["people_reached"] = [_("Give the number of people as a whole number "
                                          "from 0 to %(max)s.") % {"max": PEOPLE_MAX}]
    raise_field_errors(errors)
    with transaction.atomic():
        request = _locked(request_id)
        if not can_proceed(request.deliver):
            raise Conflict(msg_state(request))
        now = clock.now()
        if not service_started(request, now):
            raise DomainError(msg_too_early(request), code="too_early")
        request.deliver()
        request.delivered_at = now
        request.delivered_on_time = (request.scheduled_start.astimezone(clock.local_zone())
                                     .date() == request.service_date)
        request.delivery_note = delivery_note
        request.people_reached = reached
        request.save()
        activity_record(target=request, actor=actor, verb="community.service_deliver",
                        from_state=ServiceRequest.State.ACCEPTED, to_state=request.state,
                        comment=delivery_note, data={
                            "people": reached, "on_time": request.delivered_on_time})
        title = _stored(lambda: _("%(number)s delivered: %(service)s. Please rate it.") % {
            "number": request.number, "service": request.item.name})
        _tell(request, lambda: _unit_people(request), "community.service_deliver", title,
              "delivered")
    return request


def service_request_cancel(*, actor, request_id, reason: str) -> ServiceRequest:
    """Cancel a request before delivery (awaiting or accepted), by the unit or the office,
    with a reason. The other side and any assigned staff are told."""
    errors: dict[str, list[str]] = {}
    reason = text_checked(reason, field="reason", limit=REASON_MAX, errors=errors,
                          required=_("Say why the request is cancelled."))
    with transaction.atomic():
        request = _locked(request_id)
        if not can_proceed(request.cancel):
            perm_require(actor, "community.view_service_request", request)
            raise Conflict(msg_state(request))
        perm_require(actor, "community.cancel_service_request", request)
        raise_field_errors(errors)
        from_state = request.state
        request.cancel()
        request.cancelled_reason = reason
        request.save()
        by_office = actor.scope.is_office
        activity_record(target=request, actor=actor, verb="community.service_cancel",
                        from_state=from_state, to_state=request.state, comment=reason,
                        data={"by_office": by_office})
        title = _stored(lambda: _("%(number)s cancelled: %(service)s on %(date)s") % {
            "number": request.number, "service": request.item.name,
            "date": day_text(request.service_date)})
        staff = list(User.objects.filter(pk__in=request.assignments.values("user_id")))
        others = (lambda: _unit_people(request) + staff) if by_office else (
            lambda: _office_people() + staff)
        _tell(request, others, "community.service_cancel", title, "cancelled", reason)
    return request


def service_request_rate(*, actor, request_id, rating, comment: str = "") -> ServiceRequest:
    """The unit rates a delivered request once: ``rating`` 1–5 (satisfaction) and an
    optional comment. Raises :class:`Conflict` when it is not delivered or already rated,
    :class:`NotAllowed` for anyone but the unit's contacts, leaders and the booker."""
    errors: dict[str, list[str]] = {}
    score = _whole_number(rating) if rating not in (None, "") else None
    if score is None or not 1 <= score <= 5:
        errors["rating"] = [_("Give a rating from 1 to 5.")]
    comment = text_checked(comment, field="comment", limit=REASON_MAX, errors=errors)
    with transaction.atomic():
        request = _locked(request_id)
        perm_require(actor, "community.view_service_request", request)
        if request.rating is not None:
            raise Conflict(_("Service request %(number)s was already rated.") % {
                "number": request.number}, code="already_rated")
        if request.state != ServiceRequest.State.DELIVERED:
            raise Conflict(_("Only a delivered service can be rated."), code="not_delivered")
        perm_require(actor, "community.rate_service_request", request)
        raise_field_errors(errors)
        request.rating, request.rating_comment = score, comment
        request.rated_at, request.rated_by = clock.now(), actor
        request.save(update_fields=["rating", "rating_comment", "rated_at", "rated_by",
                                    "updated_at"])
        activity_record(target=request, actor=actor, verb="community.service_rate",
                        comment=comment, data={"rating": score})
        title = _stored(lambda: _("%(number)s rated %(rating)s/5 by %(unit)s") % {
            "number": request.number, "rating": score, "unit": request.unit.name})
        _tell(request, _office_people, "community.service_rate", title, "rated", comment)
    return request


# --- reminders ----------------------------------------------------------------------------------
def service_request_sweep(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Hourly reminders (idempotent: dedupe keys, so a re-run or an overlapping run sends
    nothing twice). The office, once per request, when a request awaiting it has its SLA end
    within :data:`SLA_REMIND_BEFORE`, and once more when the SLA has passed; each assigned
    member of staff the day before an accepted booking's (Beijing) day, once per scheduled
    start. Returns ``{"sla_soon": n, "sla_passed": n, "tomorrow": n}`` (requests)."""
    now = now or clock.now()
    counts = {"sla_soon": 0, "sla_passed": 0, "tomorrow": 0}
    waiting = (ServiceRequest.objects.filter(state=ServiceRequest.State.SUBMITTED)
               .select_related("item", "unit").order_by("sla_due_at", "pk"))
    office = _office_people()
    with translation.override(settings.LANGUAGE_CODE):
        for request in waiting.filter(sla_due_at__lte=now + SLA_REMIND_BEFORE):
            passed = request.sla_due_at <= now
            if passed:
                title = _("SLA passed for %(number)s: %(service)s for %(unit)s was due for a "
                          "decision by %(due)s") % {
                    "number": request.number, "service": request.item.name,
                    "unit": request.unit.name, "due": moment_text(request.sla_due_at)}
            else:
                title = _("Decide %(number)s by %(due)s: %(service)s for %(unit)s") % {
                    "number": request.number, "service": request.item.name,
                    "unit": request.unit.name, "due": moment_text(request.sla_due_at)}
            with transaction.atomic():
                sent = notification_send(
                    recipients=office, verb="community.service_sla", title=title,
                    url=request.get_absolute_url(), email=False,
                    dedupe_key=f"service_request:{request.pk}:sla_"
                               f"{'passed' if passed else 'soon'}")
            counts["sla_passed" if passed else "sla_soon"] += bool(sent)
        tomorrow = now.astimezone(clock.local_zone()).date() + dt.timedelta(days=1)
        upcoming = (ServiceRequest.objects.filter(
            state=ServiceRequest.State.ACCEPTED,
            scheduled_start__gte=clock.start_of_local_day(tomorrow),
            scheduled_start__lte=clock.end_of_local_day(tomorrow))
            .select_related("item", "unit", "place").prefetch_related("assignments__user")
            .order_by("scheduled_start", "pk"))
        for request in upcoming:
            start = moment_text(request.scheduled_start)
            title = _("Tomorrow %(start)s: %(service)s for %(unit)s (%(number)s)") % {
                "start": start, "service": request.item.name, "unit": request.unit.name,
                "number": request.number}
            where = request.place.name if request.place_id else request.location_text
            with transaction.atomic():
                sent = notification_send(
                    recipients=[a.user for a in request.assignments.all()],
                    verb="community.service_tomorrow", title=title, body=where,
                    url=request.get_absolute_url(), email=False,
                    dedupe_key=f"service_request:{request.pk}:tomorrow:{start}")
            counts["tomorrow"] += bool(sent)
    return counts
