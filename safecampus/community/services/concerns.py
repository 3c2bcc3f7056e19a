"""Concerns (writes): submitting one from the web, the office or an Open311 client.

The office's triage (answer, fix, plan, turn into a hazard, duplicate), the submitter's
rating and reopening, publishing and moderation live beside this in the same module.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from safecampus.accounts.models import Role, User
from safecampus.core import clock
from safecampus.core.activity import activity_record
from safecampus.core.errors import DomainError, perm_require, raise_field_errors, text_checked
from safecampus.core.geo import LATITUDE_LIMIT, LONGITUDE_LIMIT, BadCoordinate, parse_degrees
from safecampus.core.idempotency import idempotency_lookup, idempotency_race_lost
from safecampus.core.uploads import photo_process
from safecampus.hazards import services as hazard_services
from safecampus.notifications.services import notification_send
from safecampus.organisation.models import Building, Campus, Place

from ..models import CategoryAttribute, Concern, ConcernCategory, ConcernPhoto
from ..models import Sequence as NumberSequence
from .sequences import sequence_next

TITLE_MAX, TEXT_MAX, LOCATION_MAX = 120, 5000, 200
MAX_PHOTOS = 9
#: Longest answer to one attribute: short (string, number, datetime) and long (text).
ATTRIBUTE_SHORT_MAX, ATTRIBUTE_TEXT_MAX = 200, 2000


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
            values = [str(v).strip() for v in value if str(v).strip()]
        else:
            text = str(value).strip() if value is not None else ""
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
        value = values[0]
        if kind == CategoryAttribute.Datatype.SINGLE:
            if value not in keys:
                errors[field] = [_("“%(value)s” is not one of the choices of “%(question)s”.")
                                 % {"value": value, "question": attribute.description}]
            else:
                clean[attribute.code] = value
        elif kind == CategoryAttribute.Datatype.NUMBER:
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
            moment = _parse_datetime(value)
            if moment is None:
                errors[field] = [_("“%(question)s” needs a date and time such as "
                                   "2026-05-01T14:30:00+08:00.") % {
                                       "question": attribute.description}]
            else:
                clean[attribute.code] = moment.astimezone(clock.local_zone()).isoformat()
        else:
            limit = ATTRIBUTE_TEXT_MAX if kind == CategoryAttribute.Datatype.TEXT else (
                ATTRIBUTE_SHORT_MAX)
            if len(value) > limit:
                errors[field] = [_("At most %(count)s characters.") % {"count": limit}]
            else:
                clean[attribute.code] = value
    raise_field_errors(errors)
    return clean


def _parse_datetime(text: str) -> dt.datetime | None:
    """ISO 8601 / W3C date-time; without an offset it is Beijing time."""
    try:
        moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=clock.local_zone())
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
    return User.objects.filter(is_active=True, memberships__role__in=(
        Role.OFFICE_STAFF, Role.OFFICE_ADMIN)).distinct()


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
    if not title and not description and "title" not in errors:
        errors["title" if channel != Concern.Channel.OPEN311 else "description"] = [
            _("Say in a few words what troubles you.")]
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
        transaction.on_commit(lambda: notification_send(
            recipients=_office_people(), verb="community.submit", title=title_text,
            body=str(category), url=url, dedupe_key=f"concern:{concern.pk}:submitted",
            email=False))
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
