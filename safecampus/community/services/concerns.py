"""Concerns (writes): submitting one from the web, the office or an Open311 client.

The office's triage (answer, fix, plan, turn into a hazard, duplicate), the submitter's
rating and reopening, publishing and moderation live beside this in the same module.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import uuid
from collections.abc import Mapping, Sequence
from decimal import Decimal

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django_fsm import can_proceed
from PIL import Image, ImageFilter

from safecampus.accounts.models import Role
from safecampus.accounts.selectors import office_people, unit_people
from safecampus.core import clock
from safecampus.core.activity import activity_record
from safecampus.core.errors import (
    Conflict,
    DomainError,
    NotAllowed,
    perm_require,
    raise_field_errors,
    text_checked,
    without_control_characters,
)
from safecampus.core.geo import LATITUDE_LIMIT, LONGITUDE_LIMIT, BadCoordinate, parse_degrees
from safecampus.core.idempotency import idempotency_lookup, idempotency_race_lost
from safecampus.core.models import ActivityEntry
from safecampus.core.uploads import photo_process
from safecampus.hazards import services as hazard_services
from safecampus.hazards.models import HazardCategory
from safecampus.hazards.models import Status as HazardStatus
from safecampus.notifications.services import notification_send, notification_send_bulk
from safecampus.organisation.models import Building, Campus, Place, Unit

from ..models import CategoryAttribute, Concern, ConcernCategory, ConcernPhoto, Resolution
from ..models import Sequence as NumberSequence
from .sequences import sequence_next

TITLE_MAX, TEXT_MAX, LOCATION_MAX = 120, 5000, 200
MAX_PHOTOS = 9
#: Longest answer to one attribute: short (string, number, datetime) and long (text).
ATTRIBUTE_SHORT_MAX, ATTRIBUTE_TEXT_MAX = 200, 2000
#: Longest number answer (the web form's limit too).
ATTRIBUTE_NUMBER_MAX = 40
#: The years a date-time answer may fall in.
ATTRIBUTE_FIRST_YEAR, ATTRIBUTE_LAST_YEAR = 1900, 2999


def concern_number(year: int, sequence: int) -> str:
    """``SQ-2026-000123``: 诉求 number, unique per year."""
    return f"SQ-{year}-{sequence:06d}"


def attribute_field(code: str) -> str:
    """The field name an attribute's error is reported at (Open311's ``attribute[code]``)."""
    return f"attribute[{code}]"


def attributes_clean(category: ConcernCategory, raw: Mapping[str, object] | None,
                     *, attributes: Sequence[CategoryAttribute] | None = None) -> dict:
    """Check the answers to ``category``'s attributes (Open311 service definition).

    ``raw`` maps attribute codes to a text (or, for ``multivaluelist``, a list of texts or
    one comma-separated text); codes the category does not ask for are ignored. Returns
    ``{code: value}`` with numbers as int/Decimal text, date-times as ISO text in Beijing
    time and lists as lists of keys. Raises :class:`DomainError` with field errors at
    ``attribute[code]`` for a required answer missing, a number or date-time that is not
    one, or a key not among the attribute's values. ``attributes``: the category's active
    attributes when the caller already loaded them."""
    raw = raw or {}
    rows = attributes if attributes is not None else list(category.attributes.all())
    errors: dict[str, list[str]] = {}
    clean: dict[str, object] = {}
    for attribute in rows:
        if not attribute.variable:
            continue
        field = attribute_field(attribute.code)
        value = raw.get(attribute.code)
        if isinstance(value, (list, tuple)):
            values = [v for v in (without_control_characters(str(v)).strip() for v in value)
                      if v]
        else:
            text = without_control_characters(str(value)).strip() if value is not None else ""
            values = [v.strip() for v in text.split(",") if v.strip()] if (
                attribute.datatype == CategoryAttribute.Datatype.MULTI) else (
                [text] if text else [])
        if not values:
            if attribute.required:
                errors[field] = [_("Answer “%(question)s”.") % {
                    "question": attribute.description}]
            continue
        keys = {str(v.get("key")) for v in attribute.values or [] if isinstance(v, dict)}
        kind = attribute.datatype
        if kind == CategoryAttribute.Datatype.MULTI:
            unknown = [v for v in values if v not in keys]
            if unknown:
                errors[field] = [_("“%(value)s” is not one of the choices of “%(question)s”.")
                                 % {"value": unknown[0], "question": attribute.description}]
            else:
                clean[attribute.code] = values
            continue
        if len(values) > 1:
            errors[field] = [_("Give one answer to “%(question)s”.") % {
                "question": attribute.description}]
            continue
        value = values[0]
        if kind == CategoryAttribute.Datatype.SINGLE:
            if value not in keys:
                errors[field] = [_("“%(value)s” is not one of the choices of “%(question)s”.")
                                 % {"value": value, "question": attribute.description}]
            else:
                clean[attribute.code] = value
        elif kind == CategoryAttribute.Datatype.NUMBER:
            if len(value) > ATTRIBUTE_NUMBER_MAX:
                errors[field] = [_("At most %(count)s characters.") % {
                    "count": ATTRIBUTE_NUMBER_MAX}]
                continue
            try:
                number = Decimal(value)
                if not number.is_finite():
                    raise ValueError(value)
            except (ArithmeticError, ValueError):
                errors[field] = [_("“%(question)s” needs a number.") % {
                    "question": attribute.description}]
            else:
                clean[attribute.code] = str(number)
        elif kind == CategoryAttribute.Datatype.DATETIME:
            try:
                moment = _parse_datetime(value)
            except _YearOutOfRange:
                errors[field] = [_("“%(question)s” needs a date between the years %(first)s "
                                   "and %(last)s.") % {
                                       "question": attribute.description,
                                       "first": ATTRIBUTE_FIRST_YEAR,
                                       "last": ATTRIBUTE_LAST_YEAR}]
                continue
            if moment is None:
                errors[field] = [_("“%(question)s” needs a date and time such as "
                                   "2026-05-01T14:30:00+08:00.") % {
                                       "question": attribute.description}]
            else:
                clean[attribute.code] = moment.isoformat()
        else:
            limit = ATTRIBUTE_TEXT_MAX if kind == CategoryAttribute.Datatype.TEXT else (
                ATTRIBUTE_SHORT_MAX)
            if len(value) > limit:
                errors[field] = [_("At most %(count)s characters.") % {"count": limit}]
            else:
                clean[attribute.code] = value
    raise_field_errors(errors)
    return clean


class _YearOutOfRange(ValueError):
    pass


def _parse_datetime(text: str) -> dt.datetime | None:
    """ISO 8601 / W3C date-time in Beijing time (without an offset it is Beijing time), or
    None when it is not one. Raises :class:`_YearOutOfRange` when its year (as given or in
    Beijing time) is outside ATTRIBUTE_FIRST_YEAR…ATTRIBUTE_LAST_YEAR."""
    try:
        moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    years = range(ATTRIBUTE_FIRST_YEAR, ATTRIBUTE_LAST_YEAR + 1)
    if moment.year not in years:
        raise _YearOutOfRange(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=clock.local_zone())
    try:
        moment = moment.astimezone(clock.local_zone())
    except OverflowError:
        raise _YearOutOfRange(text) from None
    if moment.year not in years:
        raise _YearOutOfRange(text)
    return moment


def _resolve_location(*, campus_id, building_id, place_id, address_id: str,
                      errors: dict[str, list[str]]):
    """(campus, building, place) from ids or an address id (a place or building code)."""
    place = building = campus = None
    if address_id:
        place = Place.objects.select_related("building").filter(code=address_id).first()
        building = None if place else Building.objects.filter(code=address_id).first()
        if place is None and building is None:
            errors["address_id"] = [_("No building or place has the code “%(code)s”.") % {
                "code": address_id}]
            return None, None, None
        building = building or place.building
        campus = (place or building).campus
        return campus, building, place
    if place_id:
        place = Place.objects.select_related("building").filter(pk=place_id).first()
        if place is None:
            errors["place"] = [_("Choose a place from the list.")]
            return None, None, None
        campus_id = campus_id or place.campus_id
        building_id = building_id or place.building_id
    if building_id:
        building = Building.objects.filter(pk=building_id).first()
        if building is None:
            errors["building"] = [_("Choose a building from the list.")]
            return None, None, None
        campus_id = campus_id or building.campus_id
    if campus_id:
        campus = Campus.objects.filter(pk=campus_id).first()
        if campus is None:
            errors["campus"] = [_("Choose a campus from the list.")]
            return None, None, None
    if campus and ((building and building.campus_id != campus.pk)
                   or (place and place.campus_id != campus.pk)):
        errors["place"] = [_("The building or place is not on the chosen campus.")]
    elif place and building and place.building_id and place.building_id != building.pk:
        errors["place"] = [_("The place is not in the chosen building.")]
    return campus, building, place


def _coordinate(value, *, limit: int, field: str, errors: dict[str, list[str]]):
    try:
        return parse_degrees(value, limit=limit)
    except BadCoordinate as error:
        errors[field] = [_("Give the latitude as decimal degrees between -90 and 90.")
                         if limit == LATITUDE_LIMIT else
                         _("Give the longitude as decimal degrees between -180 and 180.")
                         ] if error.reason == "out_of_range" else [
            _("Give the position as decimal degrees, e.g. 34.2583.")]
        return None


def _office_people():
    """Who hears of new and reopened concerns: office staff and administrators."""
    return office_people(Role.OFFICE_STAFF, Role.OFFICE_ADMIN)


def concern_submit(
    *,
    actor,
    category_id,
    title: str = "",
    description: str = "",
    campus_id=None,
    building_id=None,
    place_id=None,
    location_text: str = "",
    latitude=None,
    longitude=None,
    address_id: str = "",
    attributes: Mapping[str, object] | None = None,
    is_anonymous: bool = False,
    photos: Sequence = (),
    channel: str = Concern.Channel.WEB,
    api_client=None,
    contact_name: str = "",
    contact_email: str = "",
    contact_phone: str = "",
    device_id: str = "",
    account_id: str = "",
    media_url: str = "",
    idempotency_key: str | None = None,
) -> Concern:
    """Record a concern (state ``submitted``) numbered ``SQ-<year>-<n>`` and tell the office.

    ``actor``: the person submitting (web), the office member recording it for someone
    (``channel="office"``; the submitter is then nobody and the contact fields say who), or
    the Open311 client's service account (``channel="open311"`` with ``api_client``).
    Where: on the web a campus (or a building/place, or an ``address_id`` = building or
    place code) is required; an Open311 request needs a latitude and longitude (decimal
    degrees, WGS-84), a ``location_text`` (address) or an ``address_id``. ``attributes``:
    answers to the category's questions (:func:`attributes_clean`). ``photos``: uploads
    (≤ 9; JPEG/PNG/WebP/HEIC/MPO), all processed before anything is written.

    When the category names a hazard category and the campus is known, the concern goes
    straight into the hazard loop (``hazards.services.hazard_report``, linked both ways) in
    the same transaction. With the same ``idempotency_key`` a second call returns the first
    concern. Raises :class:`DomainError` with field errors (nothing is written) and
    :class:`NotAllowed` when the actor may not submit.
    """
    perm_require(actor, "community.submit_concern")
    existing = idempotency_lookup(scope="community.concern", key=idempotency_key,
                                  model=Concern, user=actor)
    if existing is not None:
        return existing
    errors: dict[str, list[str]] = {}
    category = ConcernCategory.objects.filter(pk=category_id, is_active=True).select_related(
        "hazard_category").first() if str(category_id or "").isdigit() else None
    if category is None:
        errors["category"] = [_("Choose a category.")]
    if channel not in Concern.Channel.values:
        errors["channel"] = [_("Unknown channel.")]
    title = text_checked(title, field="title", limit=TITLE_MAX, errors=errors)
    description = text_checked(description, field="description", limit=TEXT_MAX,
                               errors=errors)
    # Open311 makes the description optional (the service and its attributes may say it all).
    if not title and not description and "title" not in errors and (
            channel != Concern.Channel.OPEN311):
        errors["title"] = [_("Say in a few words what troubles you.")]
    location_text = text_checked(location_text, field="location_text", limit=LOCATION_MAX,
                                 errors=errors)
    contact_name = text_checked(contact_name, field="contact_name", limit=64, errors=errors)
    contact_email = text_checked(contact_email, field="contact_email", limit=254,
                                 errors=errors)
    contact_phone = text_checked(contact_phone, field="contact_phone", limit=20,
                                 errors=errors)
    device_id = text_checked(device_id, field="device_id", limit=64, errors=errors)
    account_id = text_checked(account_id, field="account_id", limit=64, errors=errors)
    media_url = text_checked(media_url, field="media_url", limit=500, errors=errors)
    if media_url and not media_url.lower().startswith(("http://", "https://")):
        errors["media_url"] = [_("Give the media link as an http or https address.")]
    address_id = text_checked(address_id, field="address_id", limit=64, errors=errors)
    lat = _coordinate(latitude, limit=LATITUDE_LIMIT, field="lat", errors=errors)
    lon = _coordinate(longitude, limit=LONGITUDE_LIMIT, field="long", errors=errors)
    if (lat is None) != (lon is None) and "lat" not in errors and "long" not in errors:
        errors["lat" if lat is None else "long"] = [
            _("Give both the latitude and the longitude.")]
    campus, building, place = _resolve_location(
        campus_id=campus_id, building_id=building_id, place_id=place_id,
        address_id=address_id, errors=errors)
    if channel == Concern.Channel.OPEN311:
        if lat is None and not location_text and not address_id and not (
                errors.keys() & {"lat", "long"}):
            errors["lat"] = [_("Give a position (lat and long), an address_string or an "
                               "address_id.")]
    elif campus is None and not (errors.keys() & {"campus", "building", "place", "address_id"}):
        errors["campus"] = [_("Choose the campus it is about.")]
    clean_attributes = {}
    if category is not None:
        try:
            clean_attributes = attributes_clean(category, attributes)
        except DomainError as error:
            errors.update(error.field_errors)
    photos = [p for p in (photos or []) if p]
    if len(photos) > MAX_PHOTOS:
        errors["photos"] = [_("At most %(count)s photos can be attached.") % {
            "count": MAX_PHOTOS}]
    raise_field_errors(errors)
    processed = [photo_process(p, field="photos") for p in photos]
    if not title:
        first_line = description.splitlines()[0].strip() if description else ""
        title = first_line[:40] + ("…" if len(first_line) > 40 else "") or category.name
    now = clock.now()
    year = clock.local_today().year
    submitter = actor if channel == Concern.Channel.WEB else None

    with transaction.atomic():
        sequence = sequence_next(kind=NumberSequence.Kind.CONCERN, year=year)
        concern = Concern.objects.create(
            number=concern_number(year, sequence), year=year, sequence=sequence,
            category=category, title=title, description=description,
            attributes=clean_attributes, campus=campus, building=building, place=place,
            location_text=location_text, latitude=lat, longitude=lon, address_id=address_id,
            submitter=submitter, is_anonymous=bool(is_anonymous),
            contact_name=contact_name, contact_email=contact_email,
            contact_phone=contact_phone, channel=channel, api_client=api_client,
            device_id=device_id, account_id=account_id, media_url=media_url,
            submitted_at=now,
        )
        for full, thumb in processed:
            ConcernPhoto.objects.create(concern=concern, image=full, thumbnail=thumb,
                                        uploaded_by=None if is_anonymous else submitter)
        activity_record(target=concern, actor=None if is_anonymous else actor,
                        verb="community.submit", to_state=concern.state,
                        data={"channel": channel, "anonymous": bool(is_anonymous)})
        winner = idempotency_race_lost(scope="community.concern", key=idempotency_key,
                                       user=actor, result=concern)
        if winner is not None:
            return winner
        if category.hazard_category_id and campus is not None:
            concern_open_hazard(concern=concern, actor=actor, photos=photos, system=True)
            return concern
        url = concern.get_absolute_url()
        with translation.override(settings.LANGUAGE_CODE):
            title_text = _("New concern %(number)s: %(title)s") % {
                "number": concern.number, "title": concern.title}
        # One bulk insert for the whole office: Open311 clients post concerns in bursts.
        transaction.on_commit(lambda: notification_send_bulk(
            recipients=[(p.pk, p.email) for p in _office_people()], verb="community.submit",
            title=title_text, body=str(category), url=url,
            dedupe_key=f"concern:{concern.pk}:submitted"))
    return concern


def concern_open_hazard(*, concern: Concern, actor, photos: Sequence = (), title: str = "",
                        hazard_category_id=None, system: bool = False) -> Concern:
    """Turn ``concern`` (locked by the caller, state submitted or planned) into a hazard
    report through ``hazards.services.hazard_report`` and link the two (source reference on
    the hazard, ``concern.hazard`` here); the concern then follows the hazard. The hazard's
    reporter is ``actor`` (an Open311 client's service account for its requests), anonymous
    when the concern is. ``system=True``: the automatic step of :func:`concern_submit`
    (no triage permission needed). Raises :class:`DomainError` from the hazard service
    (e.g. no campus) and :class:`Conflict` from the state machine."""
    if not system:
        perm_require(actor, "community.triage_concern", concern)
    category_id = hazard_category_id or concern.category.hazard_category_id
    for photo in photos:
        if hasattr(photo, "seek"):
            photo.seek(0)
    hazard = hazard_services.hazard_report(
        reporter=actor, title=title or concern.title, category_id=category_id,
        campus_id=concern.campus_id, description=concern.description,
        building_id=concern.building_id, place_id=concern.place_id,
        location_text=concern.location_text, is_anonymous=concern.is_anonymous,
        photos=photos, source_record=concern,
    )
    from_state = concern.state
    concern.to_hazard()
    concern.hazard = hazard
    concern.save()
    activity_record(target=concern, actor=None if system else actor,
                    verb="community.to_hazard", from_state=from_state, to_state=concern.state,
                    data={"hazard_id": hazard.pk, "reference": hazard.reference})
    return concern


# --- the office's triage, the submitter's rating and reopening, the board, moderation -------
# Each service below resolves the concern, locks its row (``select_for_update``), checks the
# permission and the state, then writes the change, its timeline entry and (on commit) the
# notification in one transaction. Of two office members acting at the same moment one wins;
# the other gets a :class:`Conflict` naming the state the concern is now in.

ANSWER_MAX, REASON_MAX, COMMENT_MAX = 5000, 500, 500
MODERATION_REASON_MAX = 200
#: How strongly a redacted photo is blurred (Gaussian radius, in pixels of a 64 px copy).
REDACT_SIDE_PX, REDACT_BLUR_RADIUS = 24, 4


def concern_version(concern: Concern) -> int:
    """The version a page shows a concern at (microseconds of its last change, UTC): a form
    sent back with an older one is refused as a :class:`Conflict` (someone changed it)."""
    return int(concern.updated_at.timestamp() * 1_000_000)


def state_label(state: str) -> str:
    return str(dict(Concern.State.choices).get(state, state))


def msg_concern_state(concern: Concern) -> str:
    return _("Concern %(number)s is now “%(state)s”; that cannot be done to it any more. "
             "Reload the page to see what changed.") % {
        "number": concern.number, "state": state_label(concern.state)}


def msg_concern_changed(concern: Concern) -> str:
    return _("Concern %(number)s was changed by someone else a moment ago. Reload the page "
             "and try again.") % {"number": concern.number}


def _locked(concern_id, version: int | None = None) -> Concern:
    """Lock and return the concern (with its category and submitter)."""
    concern = (Concern.objects.select_for_update(of=("self",))
               .select_related("category", "submitter")
               .filter(pk=concern_id).first()) if str(concern_id or "").isdigit() else None
    if concern is None:
        raise DomainError(_("This concern does not exist."), code="not_found")
    if version is not None and concern_version(concern) != version:
        raise Conflict(msg_concern_changed(concern))
    return concern


def _require_state(concern: Concern, transition_name: str) -> None:
    if not can_proceed(getattr(concern, transition_name)):
        raise Conflict(msg_concern_state(concern))


def _answer_checked(answer: str, *, errors: dict, required: str) -> str:
    return text_checked(answer, field="answer", limit=ANSWER_MAX, errors=errors,
                        required=required)


def _photos_checked(photos: Sequence, *, errors: dict) -> list:
    photos = [p for p in (photos or []) if p]
    if len(photos) > MAX_PHOTOS:
        errors["photos"] = [_("At most %(count)s photos can be attached.") % {
            "count": MAX_PHOTOS}]
    return photos


def _save_answer_photos(concern: Concern, processed, *, actor) -> None:
    for full, thumb in processed:
        ConcernPhoto.objects.create(concern=concern, stage=ConcernPhoto.Stage.ANSWER,
                                    image=full, thumbnail=thumb, uploaded_by=actor)


def _first_response(concern: Concern, actor, now: dt.datetime) -> None:
    """The office's first response of any kind counts as its answer time (time to answer)."""
    if concern.answered_at is None:
        concern.answered_at = now
        concern.answered_by = actor


def _submitter_actor(concern: Concern, actor):
    """Who the timeline names for the submitter's own steps: nobody for anonymous ones."""
    return None if concern.is_anonymous else actor


def _tell_submitter(concern: Concern, *, verb: str, title: str, entry, body: str = "") -> None:
    """Tell the submitter (if there is one) after commit; ``title`` is already rendered in
    the site language. One notification per timeline entry (its id is the dedupe key)."""
    if concern.submitter_id is None:
        return
    submitter, url = concern.submitter, concern.get_absolute_url()
    transaction.on_commit(lambda: notification_send(
        recipients=[submitter], verb=verb, title=title, body=body, url=url,
        dedupe_key=f"concern:{concern.pk}:entry:{entry.pk}", email=False,
        private=concern.is_anonymous))  # logs and the admin never name an anonymous sender


def _site_text(template: str, **values) -> str:
    """A stored text (notification title) in the site language."""
    with translation.override(settings.LANGUAGE_CODE):
        return _(template) % values


def _close(concern: Concern, *, actor, transition_name: str, resolution: str, answer: str,
           verb: str, data: dict | None = None):
    """Run a closing transition on the locked ``concern`` and record it; returns the entry."""
    from_state = concern.state
    getattr(concern, transition_name)()
    now = clock.now()
    concern.resolution = resolution
    concern.answer = answer
    concern.closed_at = now
    if actor is not None:
        _first_response(concern, actor, now)
    concern.save()
    return activity_record(target=concern, actor=actor, verb=verb, from_state=from_state,
                           to_state=concern.state, comment=answer,
                           data={"resolution": resolution, **(data or {})})


def _close_with_answer(*, actor, concern_id, answer: str, photos: Sequence, version,
                       transition_name: str, resolution: str, verb: str,
                       required: str, title: str) -> Concern:
    errors: dict[str, list[str]] = {}
    answer = _answer_checked(answer, errors=errors, required=required)
    photos = _photos_checked(photos, errors=errors)
    raise_field_errors(errors)
    processed = [photo_process(p, field="photos") for p in photos]
    with transaction.atomic():
        concern = _locked(concern_id, version)
        perm_require(actor, "community.triage_concern", concern)
        _require_state(concern, transition_name)
        entry = _close(concern, actor=actor, transition_name=transition_name,
                       resolution=resolution, answer=answer, verb=verb)
        _save_answer_photos(concern, processed, actor=actor)
        _tell_submitter(concern, verb=verb, entry=entry, body=answer,
                        title=_site_text(title, number=concern.number))
    return concern


def concern_answer(*, actor, concern_id, answer: str, photos: Sequence = (),
                   version: int | None = None) -> Concern:
    """Submitted → closed / answered: the office answers (nothing more to do). ``answer``
    (required, ≤ 5000 characters) is what the submitter and, if published, everyone reads;
    ``photos`` (≤ 9) go with it. Raises DomainError (field errors), NotAllowed, Conflict."""
    return _close_with_answer(
        actor=actor, concern_id=concern_id, answer=answer, photos=photos, version=version,
        transition_name="close", resolution=Resolution.ANSWERED, verb="community.answer",
        required=_("Write the answer the submitter will read."),
        title=gettext_noop("Your concern %(number)s was answered"))


def concern_fix(*, actor, concern_id, answer: str, photos: Sequence = (),
                version: int | None = None) -> Concern:
    """Submitted → closed / fixed (立行立改): fixed at once; ``answer`` says what was done."""
    return _close_with_answer(
        actor=actor, concern_id=concern_id, answer=answer, photos=photos, version=version,
        transition_name="close", resolution=Resolution.FIXED, verb="community.fix",
        required=_("Say what was done."),
        title=gettext_noop("Your concern %(number)s was fixed at once"))


def concern_complete(*, actor, concern_id, answer: str, photos: Sequence = (),
                     version: int | None = None) -> Concern:
    """Planned → closed / plan_done: the planned work is done; ``answer`` says what."""
    return _close_with_answer(
        actor=actor, concern_id=concern_id, answer=answer, photos=photos, version=version,
        transition_name="complete", resolution=Resolution.PLAN_DONE, verb="community.complete",
        required=_("Say what was done."),
        title=gettext_noop("The planned work on your concern %(number)s is done"))


def _handling_unit(handling_unit_id, errors: dict):
    if handling_unit_id in (None, ""):
        return None
    unit = Unit.objects.filter(pk=handling_unit_id, is_active=True).first() if str(
        handling_unit_id).isdigit() else None
    if unit is None:
        errors["handling_unit"] = [_("Choose a unit from the list.")]
    return unit


def _target_checked(target_date, errors: dict) -> dt.date | None:
    if not isinstance(target_date, dt.date):
        errors["target_date"] = [_("Give the target date.")]
        return None
    if target_date < clock.local_today():
        errors["target_date"] = [_("The target date cannot be in the past.")]
    return target_date


def _tell_unit(concern: Concern, unit, entry, *, title: str) -> None:
    if unit is None:
        return
    people = unit_people(unit.pk, Role.UNIT_SAFETY_CONTACT, Role.UNIT_LEADER)
    url = concern.get_absolute_url()
    transaction.on_commit(lambda: notification_send(
        recipients=people, verb="community.plan_unit", title=title, url=url,
        dedupe_key=f"concern:{concern.pk}:unit:{entry.pk}", email=False))


def concern_plan(*, actor, concern_id, target_date: dt.date, answer: str,
                 handling_unit_id=None, version: int | None = None) -> Concern:
    """Submitted → planned: the office will act by ``target_date`` (a local date, today or
    later); ``answer`` tells the submitter what is planned; ``handling_unit_id`` (optional)
    is the unit asked to carry it out, whose safety contacts and leaders are notified and
    may then see the concern."""
    errors: dict[str, list[str]] = {}
    answer = _answer_checked(answer, errors=errors,
                             required=_("Say what is planned; the submitter will read it."))
    target_date = _target_checked(target_date, errors)
    unit = _handling_unit(handling_unit_id, errors)
    raise_field_errors(errors)
    with transaction.atomic():
        concern = _locked(concern_id, version)
        perm_require(actor, "community.triage_concern", concern)
        _require_state(concern, "plan")
        from_state = concern.state
        concern.plan()
        concern.target_date = target_date
        concern.handling_unit = unit
        concern.answer = answer
        _first_response(concern, actor, clock.now())
        concern.save()
        entry = activity_record(
            target=concern, actor=actor, verb="community.plan", from_state=from_state,
            to_state=concern.state, comment=answer,
            data={"target_date": target_date.isoformat(),
                  "unit": unit.name if unit else ""})
        _tell_submitter(concern, verb="community.plan", entry=entry, body=answer,
                        title=_site_text(gettext_noop("Your concern %(number)s is planned for %(date)s"),
                                         number=concern.number, date=target_date.isoformat()))
        _tell_unit(concern, unit, entry, title=_site_text(
            gettext_noop("Concern %(number)s is for your unit to carry out by %(date)s"),
            number=concern.number, date=target_date.isoformat()))
    return concern


def concern_replan(*, actor, concern_id, target_date: dt.date, reason: str,
                   handling_unit_id=None, version: int | None = None) -> Concern:
    """Planned → planned with a new target date and/or handling unit; ``reason`` (required)
    goes on the timeline and to the submitter. A new unit is notified."""
    errors: dict[str, list[str]] = {}
    reason = text_checked(reason, field="reason", limit=REASON_MAX, errors=errors,
                          required=_("Say why the plan changes."))
    target_date = _target_checked(target_date, errors)
    unit = _handling_unit(handling_unit_id, errors)
    raise_field_errors(errors)
    with transaction.atomic():
        concern = _locked(concern_id, version)
        perm_require(actor, "community.triage_concern", concern)
        _require_state(concern, "replan")
        old_date, old_unit_id = concern.target_date, concern.handling_unit_id
        concern.replan()
        concern.target_date = target_date
        concern.handling_unit = unit
        concern.save()
        entry = activity_record(
            target=concern, actor=actor, verb="community.replan", from_state=concern.state,
            to_state=concern.state, comment=reason,
            data={"target_date": target_date.isoformat(),
                  "old_target_date": old_date.isoformat() if old_date else "",
                  "unit": unit.name if unit else ""})
        _tell_submitter(concern, verb="community.replan", entry=entry, body=reason,
                        title=_site_text(gettext_noop("The plan for your concern %(number)s changed: now "
                                         "by %(date)s"), number=concern.number,
                                         date=target_date.isoformat()))
        if unit is not None and unit.pk != old_unit_id:
            _tell_unit(concern, unit, entry, title=_site_text(
                gettext_noop("Concern %(number)s is for your unit to carry out by %(date)s"),
                number=concern.number, date=target_date.isoformat()))
    return concern


def concern_to_hazard(*, actor, concern_id, hazard_category_id, campus_id=None,
                      title: str = "", version: int | None = None) -> Concern:
    """Submitted or planned → hazard: the office turns the concern into a hazard report of
    ``hazard_category_id`` (``hazards.services.hazard_report``, linked both ways); the
    concern then follows the hazard (:func:`concern_hazards_sync`). A concern without a
    campus (Open311) needs ``campus_id``. ``title``: the hazard's title (default the
    concern's). The hazard's photos are the concern's own."""
    errors: dict[str, list[str]] = {}
    title = text_checked(title, field="title", limit=TITLE_MAX, errors=errors)
    if not HazardCategory.objects.filter(pk=hazard_category_id, is_active=True).exists() \
            if str(hazard_category_id or "").isdigit() else True:
        errors["hazard_category"] = [_("Choose a hazard category.")]
    raise_field_errors(errors)
    with transaction.atomic():
        concern = _locked(concern_id, version)
        perm_require(actor, "community.triage_concern", concern)
        _require_state(concern, "to_hazard")
        if concern.campus_id is None:
            campus = Campus.objects.filter(pk=campus_id).first() if str(
                campus_id or "").isdigit() else None
            if campus is None:
                raise_field_errors({"campus": [_("Choose the campus the hazard is on.")]})
            concern.campus = campus
        _first_response(concern, actor, clock.now())
        photos = [p.image.open("rb") for p in concern.photos.filter(
            stage=ConcernPhoto.Stage.SUBMITTED, redacted=False)]
        try:
            concern_open_hazard(concern=concern, actor=actor, photos=photos, title=title,
                                hazard_category_id=int(hazard_category_id))
        finally:
            for photo in photos:
                photo.close()
        entry = concern_last_entry(concern, "community.to_hazard")
        _tell_submitter(concern, verb="community.to_hazard", entry=entry,
                        title=_site_text(gettext_noop("Your concern %(number)s is being handled as hazard "
                                         "%(reference)s"), number=concern.number,
                                         reference=concern.hazard.reference))
    return concern


def concern_last_entry(concern: Concern, verb: str):
    return ActivityEntry.objects.filter(
        target_type=ContentType.objects.get_for_model(Concern), target_id=concern.pk,
        verb=verb).order_by("-id").first()


def concern_number_parse(text: str) -> tuple[int, int] | None:
    """(year, sequence) of ``SQ-2026-000123`` (case, spaces and leading zeros forgiven)."""
    match = re.fullmatch(r"\s*SQ-?(\d{4})-?0*(\d{1,9})\s*", (text or "").upper())
    return (int(match.group(1)), int(match.group(2))) if match else None


def concern_mark_duplicate(*, actor, concern_id, duplicate_of_number: str,
                           version: int | None = None) -> Concern:
    """Submitted or planned → closed / duplicate of the concern numbered
    ``duplicate_of_number`` (``SQ-2026-000123``; followed to its original when that one is a
    duplicate too). The answer names the other concern by its number, and by its title too
    when the submitter may read it (on the board, or their own)."""
    parsed = concern_number_parse(duplicate_of_number)
    if parsed is None:
        raise_field_errors({"duplicate_of": [
            _("Write the number of the concern it repeats, like SQ-2026-000123.")]})
    with transaction.atomic():
        concern = _locked(concern_id, version)
        perm_require(actor, "community.triage_concern", concern)
        _require_state(concern, "mark_duplicate")
        original = Concern.objects.filter(year=parsed[0], sequence=parsed[1]).first()
        if original is not None and original.resolution == Resolution.DUPLICATE \
                and original.duplicate_of_id:
            original = original.duplicate_of
        if original is None:
            raise_field_errors({"duplicate_of": [
                _("No concern has the number %(number)s.") % {
                    "number": concern_number(*parsed)}]})
        if original.pk == concern.pk:
            raise_field_errors({"duplicate_of": [
                _("A concern cannot repeat itself; give the other concern's number.")]})
        concern.duplicate_of = original
        # The other concern's title only when its submitter may read it anyway: it is on
        # the board, or it is their own. Otherwise its number alone.
        if original.is_public or (concern.submitter_id is not None
                                  and original.submitter_id == concern.submitter_id):
            answer = _site_text(gettext_noop("This concern repeats %(number)s (“%(title)s”); "
                                             "it is handled there."),
                                number=original.number, title=original.title)
        else:
            answer = _site_text(gettext_noop("This concern repeats %(number)s; it is handled "
                                             "there."), number=original.number)
        entry = _close(concern, actor=actor, transition_name="mark_duplicate",
                       resolution=Resolution.DUPLICATE, answer=answer,
                       verb="community.mark_duplicate",
                       data={"duplicate_of": original.number})
        _tell_submitter(concern, verb="community.mark_duplicate", entry=entry, body=answer,
                        title=_site_text(gettext_noop("Your concern %(number)s repeats %(original)s"),
                                         number=concern.number, original=original.number))
    return concern


def _hazard_outcome(hazard) -> tuple[str, str] | None:
    """(resolution, answer) for a hazard that has ended, else None (still open)."""
    Status = HazardStatus
    if hazard.status in (Status.CLOSED, Status.FIXED_ON_SPOT):
        evidence = hazard.evidence.order_by("-submitted_at", "-id").first()
        done = evidence.text if evidence else ""
        if hazard.status == Status.FIXED_ON_SPOT:
            template = (gettext_noop("Hazard %(reference)s was fixed on the spot: %(text)s")
                        if done else gettext_noop("Hazard %(reference)s was fixed on the spot."))
        else:
            template = (gettext_noop("Hazard %(reference)s was rectified and verified: "
                                     "%(text)s") if done else
                        gettext_noop("Hazard %(reference)s was rectified and verified."))
        return Resolution.VIA_HAZARD, _site_text(template, reference=hazard.reference,
                                                 text=done)
    if hazard.status == Status.REJECTED:
        return Resolution.ANSWERED, _site_text(
            gettext_noop("The office did not take it on as a hazard: %(comment)s"),
            comment=hazard.resolution_comment)
    if hazard.status == Status.DUPLICATE:
        original = hazard.duplicate_of
        return Resolution.ANSWERED, _site_text(
            gettext_noop("It repeats hazard %(reference)s, which is being handled."),
            reference=original.reference if original else hazard.reference)
    return None


def concern_hazards_sync() -> int:
    """Close the concerns whose hazard has ended (task, every 10 minutes; idempotent).

    Hazard closed or fixed on the spot → closed / via_hazard, the answer from the hazard's
    evidence; hazard rejected or merged as a duplicate → closed / answered with the office's
    comment. The submitter is told once. Returns how many concerns were closed."""
    Status = HazardStatus
    ended = (Status.CLOSED, Status.FIXED_ON_SPOT, Status.REJECTED, Status.DUPLICATE)
    ids = list(Concern.objects.filter(state=Concern.State.HAZARD, hazard__status__in=ended)
               .order_by("id").values_list("id", flat=True))
    closed = 0
    for concern_id in ids:
        with transaction.atomic():
            concern = _locked(concern_id)
            if concern.state != Concern.State.HAZARD or concern.hazard_id is None:
                continue  # another run got there first
            hazard = concern.hazard
            outcome = _hazard_outcome(hazard)
            if outcome is None:
                continue
            resolution, answer = outcome
            entry = _close(concern, actor=None, transition_name="hazard_done",
                           resolution=resolution, answer=answer, verb="community.hazard_done",
                           data={"hazard_status": hazard.status,
                                 "reference": hazard.reference})
            _tell_submitter(concern, verb="community.hazard_done", entry=entry, body=answer,
                            title=_site_text(gettext_noop("Your concern %(number)s is closed"),
                                             number=concern.number))
            closed += 1
    return closed


def concern_rate(*, actor, concern_id, rating, comment: str = "") -> Concern:
    """The submitter rates the handling (满意度) of a closed concern: ``rating`` 1 (very
    dissatisfied) to 5 (very satisfied), an optional ``comment`` (≤ 500). Once per closing
    (a reopened concern may be rated again when it closes again)."""
    errors: dict[str, list[str]] = {}
    try:
        rating = int(rating)
    except (TypeError, ValueError):
        rating = None
    if rating is None or not 1 <= rating <= 5:
        errors["rating"] = [_("Choose from 1 (very dissatisfied) to 5 (very satisfied).")]
    comment = text_checked(comment, field="comment", limit=COMMENT_MAX, errors=errors)
    raise_field_errors(errors)
    with transaction.atomic():
        concern = _locked(concern_id)
        if actor is None or concern.submitter_id != actor.pk:
            raise NotAllowed()
        if concern.state != Concern.State.CLOSED:
            raise Conflict(_("Concern %(number)s can be rated once it is closed.") % {
                "number": concern.number})
        if concern.rating is not None:
            raise Conflict(_("You already rated the handling of concern %(number)s.") % {
                "number": concern.number})
        perm_require(actor, "community.rate_concern", concern)
        concern.rating = rating
        concern.rating_comment = comment
        concern.rated_at = clock.now()
        concern.save()
        activity_record(target=concern, actor=_submitter_actor(concern, actor),
                        verb="community.rate", comment=comment, data={"rating": rating})
    return concern


def concern_reopen_refusal(concern: Concern, user) -> str:
    """Why ``user`` may not reopen ``concern`` now ("" when they may): not theirs, not
    closed, reopened once already, or closed more than CONCERN_REOPEN_DAYS days ago."""
    days = settings.SAFECAMPUS["CONCERN_REOPEN_DAYS"]
    if user is None or not user.is_authenticated or concern.submitter_id != user.pk:
        return str(NotAllowed().message)
    if concern.state != Concern.State.CLOSED:
        return _("Only a closed concern can be reopened.")
    if concern.reopen_count >= 1:
        return _("This concern was reopened once already; it cannot be reopened again.")
    if concern.closed_at is None or clock.now() - concern.closed_at >= dt.timedelta(days=days):
        return _("More than %(days)s days have passed since it was closed; submit a new "
                 "concern instead.") % {"days": days}
    return ""


def concern_reopen_until(concern: Concern) -> dt.datetime | None:
    """Until when a closed concern may be reopened (aware), or None."""
    if concern.closed_at is None:
        return None
    return concern.closed_at + dt.timedelta(days=settings.SAFECAMPUS["CONCERN_REOPEN_DAYS"])


def concern_reopen(*, actor, concern_id, reason: str) -> Concern:
    """Closed → submitted: the submitter is not satisfied (``reason`` required, ≤ 500).
    Once, within CONCERN_REOPEN_DAYS days of closing. The rating, resolution and "duplicate
    of" are cleared (the old values are kept in the timeline entry's data) and the office is
    told. Refusals say why."""
    errors: dict[str, list[str]] = {}
    reason = text_checked(reason, field="reason", limit=REASON_MAX, errors=errors,
                          required=_("Say why you are not satisfied."))
    raise_field_errors(errors)
    with transaction.atomic():
        concern = _locked(concern_id)
        refusal = concern_reopen_refusal(concern, actor)
        if refusal:
            if actor is None or concern.submitter_id != actor.pk:
                raise NotAllowed()
            raise Conflict(refusal)
        perm_require(actor, "community.reopen_concern", concern)
        old = {"rating": concern.rating, "rating_comment": concern.rating_comment,
               "resolution": concern.resolution,
               "duplicate_of": concern.duplicate_of.number if concern.duplicate_of_id else ""}
        concern.reopen()
        now = clock.now()
        concern.reopen_count += 1
        concern.reopened_at = now
        concern.reopen_reason = reason
        concern.rating = None
        concern.rating_comment = ""
        concern.rated_at = None
        concern.resolution = ""
        concern.closed_at = None
        concern.duplicate_of = None
        concern.save()
        activity_record(target=concern, actor=_submitter_actor(concern, actor),
                        verb="community.reopen", from_state=Concern.State.CLOSED,
                        to_state=concern.state, comment=reason, data=old)
        title = _site_text(gettext_noop("Concern %(number)s was reopened: %(title)s"),
                           number=concern.number, title=concern.title)
        url = concern.get_absolute_url()
        transaction.on_commit(lambda: notification_send(
            recipients=_office_people(), verb="community.reopen", title=title, body=reason,
            url=url, dedupe_key=f"concern:{concern.pk}:reopened:{concern.reopen_count}",
            email=False))
    return concern


def concern_publish(*, actor, concern_id) -> Concern:
    """Put the concern and the office's answer on the public board (never who sent it).
    Needs an answer."""
    with transaction.atomic():
        concern = _locked(concern_id)
        perm_require(actor, "community.publish_concern", concern)
        if concern.is_public:
            raise Conflict(_("Concern %(number)s is on the board already.") % {
                "number": concern.number})
        if not concern.answer.strip():
            raise DomainError(_("Answer the concern before publishing it: the board shows "
                                "the office's answer."), code="no_answer")
        concern.is_public = True
        concern.published_at = clock.now()
        concern.save()
        activity_record(target=concern, actor=actor, verb="community.publish")
    return concern


def concern_unpublish(*, actor, concern_id) -> Concern:
    """Take the concern off the public board."""
    with transaction.atomic():
        concern = _locked(concern_id)
        perm_require(actor, "community.publish_concern", concern)
        if not concern.is_public:
            raise Conflict(_("Concern %(number)s is not on the board.") % {
                "number": concern.number})
        concern.is_public = False
        concern.save()
        activity_record(target=concern, actor=actor, verb="community.unpublish")
    return concern


def concern_moderate(*, actor, concern_id, hide_text: bool, reason: str) -> Concern:
    """Hide the concern's text (title stays, description and location details hidden) from
    everyone but the office and the submitter, or show it again; ``reason`` required."""
    errors: dict[str, list[str]] = {}
    reason = text_checked(reason, field="reason", limit=MODERATION_REASON_MAX, errors=errors,
                          required=_("Give the reason for the moderation."))
    raise_field_errors(errors)
    with transaction.atomic():
        concern = _locked(concern_id)
        perm_require(actor, "community.moderate_concern", concern)
        if concern.text_hidden == bool(hide_text):
            message = (_("The text of concern %(number)s is hidden already.") if hide_text
                       else _("The text of concern %(number)s is not hidden."))
            raise Conflict(message % {"number": concern.number})
        concern.text_hidden = bool(hide_text)
        concern.moderation_reason = reason
        concern.moderated_by = actor
        concern.moderated_at = clock.now()
        concern.save()
        activity_record(target=concern, actor=actor,
                        verb="community.hide_text" if hide_text else "community.show_text",
                        comment=reason)
    return concern


def _blurred(field) -> ContentFile:
    """A heavily blurred JPEG copy of the picture in ``field``: shrunk to a few pixels,
    blurred, and scaled back up, so nothing in it can be recognised."""
    with field.open("rb") as handle:
        image = Image.open(handle)
        image.load()
    image = image.convert("RGB")
    width, height = image.size
    small = image.copy()
    small.thumbnail((REDACT_SIDE_PX, REDACT_SIDE_PX))
    small = small.filter(ImageFilter.GaussianBlur(REDACT_BLUR_RADIUS / 2))
    blurred = small.resize((width, height), Image.Resampling.BILINEAR).filter(
        ImageFilter.GaussianBlur(REDACT_BLUR_RADIUS))
    buffer = io.BytesIO()
    blurred.save(buffer, format="JPEG", quality=70)
    return ContentFile(buffer.getvalue(), name=f"{uuid.uuid4().hex}_r.jpg")


def concern_photo_redact(*, actor, photo_id, reason: str) -> ConcernPhoto:
    """Replace a photo's picture and thumbnail by a heavily blurred copy and delete the
    original files (after commit). Irreversible; on the concern's timeline with
    ``reason`` (required)."""
    errors: dict[str, list[str]] = {}
    reason = text_checked(reason, field="reason", limit=MODERATION_REASON_MAX, errors=errors,
                          required=_("Give the reason for the moderation."))
    raise_field_errors(errors)
    with transaction.atomic():
        photo = (ConcernPhoto.objects.select_for_update().filter(pk=photo_id).first()
                 if str(photo_id or "").isdigit() else None)
        if photo is None:
            raise DomainError(_("This photo does not exist."), code="not_found")
        concern = _locked(photo.concern_id)
        perm_require(actor, "community.moderate_concern", concern)
        if photo.redacted:
            raise Conflict(_("This photo was redacted already."))
        old_names = [photo.image.name, photo.thumbnail.name]
        storage = photo.image.storage
        photo.image = _blurred(photo.image)
        photo.thumbnail = _blurred(photo.thumbnail)
        photo.redacted = True
        photo.redacted_by = actor
        photo.redacted_at = clock.now()
        photo.save()
        activity_record(target=concern, actor=actor, verb="community.redact_photo",
                        comment=reason, data={"photo_id": photo.pk})

        def delete_originals():
            for name in old_names:
                if name:
                    storage.delete(name)

        transaction.on_commit(delete_originals)
    return photo
