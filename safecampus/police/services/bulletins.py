"""Incident bulletins (警情通报), writes: draft, edit, records while draft, publish, withdraw,
and what the office does with a published record (a hazard, a warning).

Who: ``police.draft_bulletin`` (a liaison for their partner, the office for any partner),
``police.edit_bulletin`` / ``publish_bulletin`` (draft; the office or the partner's liaison),
``police.withdraw_bulletin``, ``police.act_on_record`` (published; see ``police/rules.py``).

Numbers: per partner and year (``2026-03``, shown as :func:`bulletin_label` "2026年第3期"),
taken under a lock on the partner row, so two drafts at once never share a number and a
deleted draft's number is never given again (the next is the highest ever given + 1; drafts
are not deleted, only their records are).

Errors: DomainError with field errors (nothing written), NotAllowed, Conflict (state changed).
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django_fsm import TransitionNotAllowed

from safecampus.accounts.models import Role
from safecampus.accounts.selectors import office_people
from safecampus.core import clock
from safecampus.core.activity import activity_record
from safecampus.core.errors import Conflict, DomainError, perm_require, raise_field_errors, text_checked
from safecampus.core.forms import id_or_none
from safecampus.core.idempotency import idempotency_lookup, idempotency_race_lost
from safecampus.core.incidents import IncidentCategory
from safecampus.organisation.models import Campus, Place

from ..models import Bulletin, BulletinRecord, Partner, RiskPoint
from ..rules import liaison_partner_id

DRAFT_SCOPE = "police.bulletin_draft"
RECORD_SCOPE = "police.record_add"
HAZARD_SCOPE = "police.record_open_hazard"
WARNING_SCOPE = "police.record_send_warning"
WARNING_TOPIC = "police"
TITLE_MAX = 200
#: The earliest first day of a bulletin's period (older police logs are imported into a
#: bulletin whose period covers them; the oldest the office holds are from 2014).
FIRST_PERIOD_DAY = dt.date(2000, 1, 1)
HAZARD_TITLE_MAX = 120  # hazards.Hazard.title
SUMMARY_MAX = 5000


# --- numbering -----------------------------------------------------------------------------
def bulletin_number_take(*, partner_id: int, year: int) -> int:
    """The next issue number of ``partner_id`` in ``year``: call inside a transaction; locks
    the partner row so that concurrent drafts wait and each gets its own number."""
    Partner.objects.select_for_update().filter(pk=partner_id).first()
    top = (Bulletin.objects.filter(partner_id=partner_id, year=year)
           .aggregate(top=Max("sequence"))["top"])
    return (top or 0) + 1


# --- labels --------------------------------------------------------------------------------
def bulletin_label(bulletin: Bulletin) -> str:
    """The issue as people write it, in the current language: "2026 issue 7" /
    "2026年第7期" (``reference`` ``2026-07`` stays the machine form)."""
    return _("%(year)s issue %(number)s") % {"year": bulletin.year,
                                              "number": bulletin.sequence}


# --- checks --------------------------------------------------------------------------------
def _bulletin_texts(*, title, period_start, period_end, summary) -> tuple[str, str]:
    errors: dict[str, list[str]] = {}
    title = text_checked(title, field="title", limit=TITLE_MAX, errors=errors,
                         required=_("Give the bulletin a title."))
    summary = text_checked(summary, field="summary", limit=SUMMARY_MAX, errors=errors)
    if not isinstance(period_start, dt.date):
        errors["period_start"] = [_("Give the first day of the period.")]
    if not isinstance(period_end, dt.date):
        errors["period_end"] = [_("Give the last day of the period.")]
    elif isinstance(period_start, dt.date) and period_end < period_start:
        errors["period_end"] = [_("The period ends before it starts.")]
    elif period_end > clock.local_today():
        errors["period_end"] = [_("The period cannot end in the future.")]
    if isinstance(period_start, dt.date) and period_start < FIRST_PERIOD_DAY:
        errors["period_start"] = [_("The period cannot start before %(date)s.") % {
            "date": f"{FIRST_PERIOD_DAY:%Y-%m-%d}"}]
    raise_field_errors(errors)
    return title, summary


def _partner_for(actor, partner_id) -> int:
    """The partner a new bulletin is for: the liaison's own; the office chooses one."""
    own = liaison_partner_id(actor) if actor is not None else None
    if own is not None:
        return own
    partner_id = id_or_none(partner_id)
    if partner_id is None or not Partner.objects.filter(pk=partner_id, is_active=True).exists():
        message = _("Choose the partner the bulletin is from.")
        raise DomainError(message, field_errors={"partner": [message]})
    return partner_id


def _locked(bulletin_id, *, perm: str, actor, system: bool = False) -> Bulletin:
    bulletin = Bulletin.objects.select_for_update().filter(pk=id_or_none(bulletin_id)).first()
    if bulletin is None:
        raise DomainError(_("This bulletin does not exist."), code="not_found")
    perm_require(actor, perm, bulletin, system=system)
    return bulletin


def _conflict(bulletin: Bulletin) -> Conflict:
    return Conflict(_("The bulletin is %(state)s now; reload the page.") % {
        "state": bulletin.get_state_display()}, code="state_changed")


# --- bulletins -----------------------------------------------------------------------------
def bulletin_draft(*, actor, title: str, period_start: dt.date, period_end: dt.date,
                   summary: str = "", partner_id: int | None = None,
                   idempotency_key: str | None = None, system: bool = False) -> Bulletin:
    """Start a draft bulletin of the actor's partner (a liaison) or of ``partner_id`` (the
    office). The issue number is the next of the partner in the year the period ends (local
    dates). Needs ``police.draft_bulletin``. One ``police.bulletin_draft`` entry. The same
    ``idempotency_key`` returns the first draft."""
    perm_require(actor, "police.draft_bulletin", system=system)
    existing = idempotency_lookup(scope=DRAFT_SCOPE, key=idempotency_key, model=Bulletin,
                                  user=actor)
    if existing is not None:
        return existing
    partner_id = _partner_for(actor, partner_id)
    title, summary = _bulletin_texts(title=title, period_start=period_start,
                                     period_end=period_end, summary=summary)
    with transaction.atomic():
        year = period_end.year
        sequence = bulletin_number_take(partner_id=partner_id, year=year)
        bulletin = Bulletin.objects.create(
            partner_id=partner_id, year=year, sequence=sequence, title=title,
            period_start=period_start, period_end=period_end, summary=summary,
            created_by=actor)
        activity_record(target=bulletin, actor=actor, verb="police.bulletin_draft",
                        to_state=bulletin.state, data={"number": bulletin.reference})
        winner = idempotency_race_lost(scope=DRAFT_SCOPE, key=idempotency_key, user=actor,
                                       result=bulletin)
    return winner or bulletin


def bulletin_update(*, actor, bulletin_id: int, title: str, period_start: dt.date,
                    period_end: dt.date, summary: str = "") -> Bulletin:
    """Change a draft's title, period and summary (``police.edit_bulletin``). The number
    stays, so the period must still end in the number's year (DomainError ``year_changed``).
    Raises NotAllowed after publishing, DomainError (``records_outside``) when the new period
    leaves out incidents already in the bulletin."""
    title, summary = _bulletin_texts(title=title, period_start=period_start,
                                     period_end=period_end, summary=summary)
    with transaction.atomic():
        bulletin = _locked(bulletin_id, perm="police.edit_bulletin", actor=actor)
        if period_end.year != bulletin.year:
            message = _("The bulletin is numbered %(label)s: its period must end in %(year)s "
                        "(draft a new bulletin for another year).") % {
                "label": bulletin_label(bulletin), "year": bulletin.year}
            raise DomainError(message, code="year_changed",
                              field_errors={"period_end": [message]})
        outside = bulletin.records.exclude(
            occurred_at__gte=clock.start_of_local_day(period_start),
            occurred_at__lte=clock.end_of_local_day(period_end)).count()
        if outside:
            message = ngettext(
                "%(count)s incident of the bulletin occurred outside this period; change "
                "or delete it first.",
                "%(count)s incidents of the bulletin occurred outside this period; change "
                "or delete them first.", outside) % {"count": outside}
            raise DomainError(message, code="records_outside",
                              field_errors={"period_start": [message]})
        Bulletin.objects.filter(pk=bulletin.pk).update(
            title=title, period_start=period_start, period_end=period_end, summary=summary,
            updated_at=clock.now())
        bulletin.refresh_from_db()
    return bulletin


def bulletin_publish(*, actor, bulletin_id: int, system: bool = False) -> Bulletin:
    """Draft → published (``police.publish_bulletin``; at least one record). Tells the office
    staff and admins after commit. One ``police.bulletin_publish`` entry."""
    with transaction.atomic():
        bulletin = _locked(bulletin_id, perm="police.publish_bulletin", actor=actor,
                           system=system)
        if not bulletin.records.exists():
            raise DomainError(_("Add at least one incident before publishing the bulletin."),
                              code="no_records")
        old = bulletin.state
        try:
            bulletin.publish()
        except TransitionNotAllowed:
            raise _conflict(bulletin) from None
        bulletin.published_by = actor
        bulletin.published_at = clock.now()
        bulletin.save()
        count = bulletin.records.count()
        activity_record(target=bulletin, actor=actor, verb="police.bulletin_publish",
                        from_state=old, to_state=bulletin.state, data={"records": count})
        transaction.on_commit(lambda: _tell_office_published(bulletin.pk))
    return bulletin


def _tell_office_published(bulletin_id: int) -> None:
    from safecampus.notifications.services import notification_send

    bulletin = Bulletin.objects.select_related("partner").get(pk=bulletin_id)
    with translation.override(settings.LANGUAGE_CODE):
        title = _("Incident bulletin %(number)s from %(partner)s: %(title)s") % {
            "number": bulletin_label(bulletin), "partner": bulletin.partner.name,
            "title": bulletin.title[:120]}
    notification_send(
        recipients=office_people(Role.OFFICE_STAFF, Role.OFFICE_ADMIN),
        verb="police.bulletin_published", title=title, url=bulletin.get_absolute_url(),
        dedupe_key=f"police.bulletin_published:{bulletin.pk}", email=False)


def bulletin_withdraw(*, actor, bulletin_id: int, reason: str) -> Bulletin:
    """Published → withdrawn with a reason (``police.withdraw_bulletin``); it leaves the
    statistics. One ``police.bulletin_withdraw`` entry with the reason."""
    errors: dict[str, list[str]] = {}
    reason = text_checked(reason, field="reason", limit=200, errors=errors,
                          required=_("Say why the bulletin is withdrawn."))
    raise_field_errors(errors)
    with transaction.atomic():
        bulletin = _locked(bulletin_id, perm="police.withdraw_bulletin", actor=actor)
        old = bulletin.state
        try:
            bulletin.withdraw()
        except TransitionNotAllowed:
            raise _conflict(bulletin) from None
        bulletin.withdrawn_reason = reason
        bulletin.save()
        activity_record(target=bulletin, actor=actor, verb="police.bulletin_withdraw",
                        from_state=old, to_state=bulletin.state, comment=reason)
    return bulletin


# --- records -------------------------------------------------------------------------------
def period_text(start: dt.date, end: dt.date) -> str:
    """``2026-05-01 – 2026-05-31``: a bulletin's period in messages."""
    return f"{start:%Y-%m-%d} – {end:%Y-%m-%d}"


def outside_period(occurred_at: dt.datetime, period: tuple[dt.date, dt.date] | None) -> bool:
    """True when ``occurred_at`` (aware) falls on a local day outside ``period`` (inclusive
    local dates; None: no period to keep)."""
    if period is None:
        return False
    day = occurred_at.astimezone(clock.local_zone()).date()
    return not period[0] <= day <= period[1]


def liaison_campus_scope(actor) -> set[int] | None:
    """The campuses a police liaison may enter incidents and hazards on: those their partner
    serves (their scope, which follows the partner's campuses). None for the office and
    anyone else who is not a liaison (no limit)."""
    if actor is None or not actor.is_authenticated or actor.scope.sees_everything:
        return None
    if liaison_partner_id(actor) is None:
        return None
    return set(actor.scope.campus_ids)


def msg_campus_not_served() -> str:
    return _("Choose a campus your partner serves; an incident on another campus is for the "
             "partner serving it to report.")


def record_fields_checked(*, occurred_at, category, type_label="", proximity, campus_id=None,
                          place_id=None, location_text="", summary="", relevance,
                          external_ref="", disposition_label="",
                          period: tuple[dt.date, dt.date] | None = None,
                          campus_ids: set[int] | None = None,
                          allowed_campus_ids: set[int] | None = None) -> dict:
    """The fields of one record checked, the one set of rules of the form, the API and each
    row of an import: returns the model field values; raises DomainError with every field's
    message. ``occurred_at`` must be aware, not in the future and on a local day of the
    bulletin's ``period`` (first and last day); an incident on campus names its campus; a
    place must be on the campus, and an incident elsewhere in the precinct has no place
    (places are on campus). ``campus_ids``: the campuses that exist, when the caller knows
    them (an import checks thousands of rows without a query each). ``allowed_campus_ids``:
    the campuses a liaison may name (:func:`liaison_campus_scope`; None: any)."""
    errors: dict[str, list[str]] = {}
    if not isinstance(occurred_at, dt.datetime) or occurred_at.tzinfo is None:
        errors["occurred_at"] = [_("Give the time the incident occurred.")]
    elif occurred_at > clock.now() + dt.timedelta(hours=1):
        errors["occurred_at"] = [_("The incident cannot have occurred in the future.")]
    elif outside_period(occurred_at, period):
        errors["occurred_at"] = [_(
            "The incident occurred on %(date)s, outside the bulletin's period (%(period)s).")
            % {"date": occurred_at.astimezone(clock.local_zone()).strftime("%Y-%m-%d"),
               "period": period_text(*period)}]
    if category not in IncidentCategory.values:
        errors["category"] = [_("Choose the type of incident.")]
    if proximity not in BulletinRecord.Proximity.values:
        errors["proximity"] = [_("Choose where it happened.")]
    if relevance not in BulletinRecord.Relevance.values:
        errors["relevance"] = [_("Choose how it concerns the campus.")]
    type_label = text_checked(type_label, field="type_label", limit=120, errors=errors)
    location_text = text_checked(location_text, field="location_text", limit=200, errors=errors)
    summary = text_checked(summary, field="summary", limit=SUMMARY_MAX, errors=errors)
    external_ref = text_checked(external_ref, field="external_ref", limit=64, errors=errors)
    disposition_label = text_checked(disposition_label, field="disposition_label", limit=120,
                                     errors=errors)
    campus_id, place_id = id_or_none(campus_id), id_or_none(place_id)
    if campus_id and not (campus_id in campus_ids if campus_ids is not None
                          else Campus.objects.filter(pk=campus_id).exists()):
        errors["campus"] = [_("Choose a campus.")]
    if place_id:
        place_campus = Place.objects.filter(pk=place_id).values_list("campus_id", flat=True)
        place_campus = place_campus.first()
        if place_campus is None:
            errors["place"] = [_("Choose a place.")]
        elif campus_id and place_campus != campus_id:
            errors["place"] = [_("The place is not on the chosen campus.")]
        else:
            campus_id = place_campus
    if (allowed_campus_ids is not None and campus_id and campus_id not in allowed_campus_ids
            and not errors.get("campus") and not errors.get("place")):
        errors["campus"] = [msg_campus_not_served()]
    if proximity == BulletinRecord.Proximity.ON_CAMPUS and not campus_id and not errors.get(
            "campus"):
        errors["campus"] = [_("Choose the campus it happened on.")]
    if proximity == BulletinRecord.Proximity.AREA and place_id and not errors.get("place"):
        errors["place"] = [_("A place is on campus: for an incident elsewhere in the precinct "
                             "leave the place empty and write the location.")]
    raise_field_errors(errors)
    return {"occurred_at": occurred_at, "category": category, "type_label": type_label,
            "proximity": proximity, "campus_id": campus_id, "place_id": place_id,
            "location_text": location_text, "summary": summary, "relevance": relevance,
            "external_ref": external_ref, "disposition_label": disposition_label}


def record_add(*, actor, bulletin_id: int, idempotency_key: str | None = None,
               system: bool = False, **fields) -> BulletinRecord:
    """Add one record to a draft (``police.edit_bulletin``) at the next position; ``fields``
    as :func:`record_fields_checked` takes them (the period is the bulletin's; a liaison names
    only a campus their partner serves)."""
    existing = idempotency_lookup(scope=RECORD_SCOPE, key=idempotency_key,
                                  model=BulletinRecord, user=actor)
    if existing is not None:
        return existing
    with transaction.atomic():
        bulletin = _locked(bulletin_id, perm="police.edit_bulletin", actor=actor, system=system)
        values = record_fields_checked(
            **fields, period=(bulletin.period_start, bulletin.period_end),
            allowed_campus_ids=None if system else liaison_campus_scope(actor))
        top = bulletin.records.aggregate(top=Max("position"))["top"] or 0
        record = BulletinRecord.objects.create(bulletin=bulletin, position=top + 1, **values)
        winner = idempotency_race_lost(scope=RECORD_SCOPE, key=idempotency_key, user=actor,
                                       result=record)
    return winner or record


def _locked_record(record_id, *, perm: str, actor) -> BulletinRecord:
    record = (BulletinRecord.objects.select_related("bulletin")
              .filter(pk=id_or_none(record_id)).first())
    if record is None:
        raise DomainError(_("This incident record does not exist."), code="not_found")
    bulletin = _locked(record.bulletin_id, perm=perm, actor=actor)
    locked = BulletinRecord.objects.select_for_update().get(pk=record.pk)
    locked.bulletin = bulletin
    return locked


def record_update(*, actor, record_id: int, **fields) -> BulletinRecord:
    """Change a record of a draft (``police.edit_bulletin`` on its bulletin; a liaison names
    only a campus their partner serves)."""
    with transaction.atomic():
        record = _locked_record(record_id, perm="police.edit_bulletin", actor=actor)
        values = record_fields_checked(
            **fields, period=(record.bulletin.period_start, record.bulletin.period_end),
            allowed_campus_ids=liaison_campus_scope(actor))
        BulletinRecord.objects.filter(pk=record.pk).update(**values, updated_at=clock.now())
        record.refresh_from_db()
    return record


def record_delete(*, actor, record_id: int) -> int:
    """Delete a record of a draft (``police.edit_bulletin``); returns its bulletin's id.
    Positions of the others stay (gaps are fine; a number is the order of entry)."""
    with transaction.atomic():
        record = _locked_record(record_id, perm="police.edit_bulletin", actor=actor)
        bulletin_id = record.bulletin_id
        record.delete()
    return bulletin_id


# --- acting on a published record ----------------------------------------------------------
def _record_to_act_on(record_id, actor) -> BulletinRecord:
    record = (BulletinRecord.objects.select_related("bulletin", "bulletin__partner", "place")
              .filter(pk=id_or_none(record_id)).first())
    if record is None:
        raise DomainError(_("This incident record does not exist."), code="not_found")
    perm_require(actor, "police.act_on_record", record.bulletin)
    return record


def record_open_hazard(*, actor, record_id: int, category_id: int, title: str = "",
                       description: str = "", campus_id: int | None = None,
                       idempotency_key: str | None = None):
    """Open a hazard (source ``police``) from a published record: title, description, campus
    and place default to the record's (``campus_id`` for a record without a campus); the
    default texts are written in the site language (:func:`record_hazard_texts`), whatever
    the caller's. A record opens one hazard: a second call returns the first (``created``
    False). Returns ``(hazard, created)``. Needs ``police.act_on_record`` and the hazards
    module's ``report_hazard``. A liaison opens hazards only on a campus their partner serves
    (DomainError, field ``campus``): the hazard is the serving partner's to raise and see."""
    from safecampus.hazards.models import Hazard
    from safecampus.hazards.services import hazard_report

    record = _record_to_act_on(record_id, actor)
    if record.hazard_id:
        return Hazard.objects.get(pk=record.hazard_id), False
    scope = liaison_campus_scope(actor)
    campus = record.campus_id or id_or_none(campus_id)
    if scope is not None and campus and campus not in scope:
        message = msg_campus_not_served()
        raise DomainError(message, field_errors={"campus": [message]})
    defaults = record_hazard_texts(record)
    title = (title or "").strip() or defaults["title"]
    description = (description or "").strip() or defaults["description"]
    with transaction.atomic():
        locked = BulletinRecord.objects.select_for_update().get(pk=record.pk)
        if locked.hazard_id:
            return Hazard.objects.get(pk=locked.hazard_id), False
        hazard = hazard_report(
            reporter=actor, title=title[:HAZARD_TITLE_MAX], category_id=category_id,
            campus_id=record.campus_id or id_or_none(campus_id), place_id=record.place_id,
            building_id=record.place.building_id if record.place else None,
            description=description, location_text=record.location_text,
            source="police", source_record=record, idempotency_key=idempotency_key)
        BulletinRecord.objects.filter(pk=record.pk).update(hazard=hazard, updated_at=clock.now())
        activity_record(target=record.bulletin, actor=actor, verb="police.record_open_hazard",
                        data={"record": record.pk, "hazard": hazard.pk})
    return hazard, True


def record_hazard_texts(record: BulletinRecord) -> dict[str, str]:
    """``{"title", "description", "warning_title"}``: what a hazard or a warning opened from
    ``record`` says unless the user writes otherwise, in the site language
    (``settings.LANGUAGE_CODE``; stored texts are read by everyone in it)."""
    with translation.override(settings.LANGUAGE_CODE):
        kind = record.type_label or str(record.get_category_display())
        return {
            "title": _("%(type)s reported by %(partner)s") % {
                "type": kind, "partner": record.bulletin.partner.name},
            "description": record_description(record),
            "warning_title": _("Safety warning: %(type)s") % {"type": kind},
        }


def record_description(record: BulletinRecord) -> str:
    """The text a hazard or warning opened from ``record`` starts with, in the site language:
    the bulletin's issue, the incident's number and local time, location and summary."""
    when = record.occurred_at.astimezone(clock.local_zone()).strftime("%Y-%m-%d %H:%M")
    with translation.override(settings.LANGUAGE_CODE):
        parts = [_("Incident bulletin %(number)s of %(partner)s, incident %(position)s, "
                   "occurred %(time)s.") % {"number": bulletin_label(record.bulletin),
                                           "partner": record.bulletin.partner.name,
                                           "position": record.position, "time": when}]
    if record.location_text:
        parts.append(record.location_text)
    if record.summary:
        parts.append(record.summary)
    return "\n".join(parts)


def record_warning_audience(*, audience_kind: str, campus_id=None, unit_id=None, year=None,
                           class_id=None) -> tuple[dict, int]:
    """Check the audience of a warning about a record and count who it reaches now:
    ``({"kind", "campus_id", "unit_id", "year", "class_id"}, count)``, keeping only the fields
    the kind uses (everyone / a campus / a college, optionally a year group / a year group,
    optionally on a campus / a class — the kinds of the office's general warning form).
    Resolution and counting are the shared ones of
    :mod:`safecampus.notifications.audiences`. Raises DomainError (``audience_*`` field
    errors) for an incomplete audience, code ``no_recipients`` for one that matches no active
    person (a warning to no one would look sent)."""
    from safecampus.accounts.models import AudienceKind
    from safecampus.notifications.audiences import audience_check, audience_users

    keep = {AudienceKind.EVERYONE: (), AudienceKind.CAMPUS: ("campus_id",),
            AudienceKind.COLLEGE: ("unit_id", "year"), AudienceKind.YEAR: ("year", "campus_id"),
            AudienceKind.CLASS: ("class_id",)}
    if audience_kind not in keep:
        message = _("Choose who the warning is for.")
        raise DomainError(message, field_errors={"audience_kind": [message]})
    try:
        year = int(year) if year not in (None, "") else None
    except (TypeError, ValueError):
        year = -1  # refused by audience_check with the year-group message
    values = {"campus_id": id_or_none(campus_id), "unit_id": id_or_none(unit_id),
              "year": year, "class_id": id_or_none(class_id)}
    values = {k: (v if k in keep[audience_kind] else None) for k, v in values.items()}
    audience_check(kind=audience_kind, **values)
    count = audience_users(kind=audience_kind, **values).count()
    if not count:
        raise DomainError(msg_no_recipients(), code="no_recipients")
    return {"kind": audience_kind, **values}, count


def msg_no_recipients() -> str:
    """The refusal of a warning whose audience matches no one (translated; the same words as
    the office's general warning form)."""
    return _("No one matches this audience, so the warning was not sent. Check the year "
             "group, college, class or campus.")


def record_send_warning(*, actor, record_id: int, title: str, body: str, level: str,
                        audience_kind: str, campus_id: int | None = None,
                        unit_id: int | None = None, year: int | None = None,
                        class_id: int | None = None, idempotency_key: str | None = None):
    """Send a warning (预警, topic ``police``) about a published record to one audience
    (see :func:`record_warning_audience`). A record sends one warning: a second call returns
    the first (``created`` False); a warning that reached no one (sent before such warnings
    were refused) does not count. Returns ``(alert, created)``.

    Raises DomainError with field errors (texts, level, ``audience_*``) or code
    ``no_recipients`` when the audience matches no active person; nothing is written."""
    from safecampus.notifications.models import Alert
    from safecampus.notifications.services import alert_send

    record = _record_to_act_on(record_id, actor)
    sent = _record_alert(record)
    if sent is not None:
        return sent, False
    existing = idempotency_lookup(scope=WARNING_SCOPE, key=idempotency_key, model=Alert,
                                  user=actor)
    if existing is not None:
        return existing, False
    errors: dict[str, list[str]] = {}
    title = text_checked(title, field="title", limit=TITLE_MAX, errors=errors,
                         required=_("Give the warning a title."))
    body = text_checked(body, field="body", limit=SUMMARY_MAX, errors=errors,
                        required=_("Write what the warning says."))
    if level not in Alert.Level.values:
        errors["level"] = [_("Choose the level.")]
    raise_field_errors(errors)
    audience, _count = record_warning_audience(
        audience_kind=audience_kind, campus_id=campus_id, unit_id=unit_id, year=year,
        class_id=class_id)
    with transaction.atomic():
        locked = BulletinRecord.objects.select_for_update(of=("self",)).select_related(
            "alert").get(pk=record.pk)
        sent = _record_alert(locked)
        if sent is not None:
            return sent, False
        alert = alert_send(
            sender=actor, title=title, body=body, level=level, topic=WARNING_TOPIC,
            audience_kind=audience["kind"], audience_campus_id=audience["campus_id"],
            audience_unit_id=audience["unit_id"], audience_year=audience["year"],
            audience_class_id=audience["class_id"])
        BulletinRecord.objects.filter(pk=record.pk).update(alert=alert, updated_at=clock.now())
        activity_record(target=record.bulletin, actor=actor, verb="police.record_send_warning",
                        data={"record": record.pk, "alert": alert.pk})
        winner = idempotency_race_lost(scope=WARNING_SCOPE, key=idempotency_key, user=actor,
                                       result=alert)
    return (winner, False) if winner else (alert, True)


def _record_alert(record: BulletinRecord):
    """The warning already sent about ``record``, or None (also for one that reached no one:
    it warned nobody, so the right one may still be sent)."""
    if record.alert_id is None:
        return None
    alert = record.alert
    return alert if alert.recipient_count else None


def record_request_review(*, actor, record_id: int, risk_point_id: int, reason: str,
                          idempotency_key: str | None = None):
    """Ask for a review of published risk point ``risk_point_id`` on the campus of published
    record ``record_id`` (``police.act_on_record``), through
    :func:`~.risk_reviews.risk_review_request` (which tells the point's responsible person;
    the same ``idempotency_key`` returns the first request). Raises DomainError (field
    ``risk_point``) for a point not published or on another campus."""
    from .risk_reviews import risk_review_request

    record = _record_to_act_on(record_id, actor)
    point = RiskPoint.objects.filter(pk=id_or_none(risk_point_id)).first()
    if point is None or point.state != RiskPoint.State.PUBLISHED:
        message = _("Choose a published risk point.")
        raise DomainError(message, field_errors={"risk_point": [message]})
    if record.campus_id and point.campus_id != record.campus_id:
        message = _("Choose a risk point on the incident's campus.")
        raise DomainError(message, field_errors={"risk_point": [message]})
    return risk_review_request(actor=actor, risk_point_id=point.pk, reason=reason,
                               record_id=record.pk, idempotency_key=idempotency_key)
