"""Reads of incidents (警情): who sees which, the filtered list and one incident.

Statistics and imports have their own modules. Who sees what (``patrols.view_incident`` in
the rules): the office, leadership and police liaisons every incident; a guard the incidents
of the duty log and those he recorded.
"""

from __future__ import annotations

import datetime as dt
import re

from django.db.models import Q, QuerySet

from safecampus.core import clock

from ..models import Incident

#: ``JQ2026-00042`` (or ``2026-42``) typed into the search box finds that incident.
_REFERENCE_RE = re.compile(r"^\s*(?:JQ)?\s*(\d{4})\s*-\s*(\d{1,9})\s*$", re.IGNORECASE)


def _own_scope(user) -> Q | None:
    """The rows a user without the whole list sees (``duty_room_incident`` in the rules, in
    SQL), or None for all rows."""
    if user.has_perm("patrols.view_incident"):
        return None
    if user.has_perm("patrols.record_incident"):
        return Q(source=Incident.Source.DUTY_LOG) | Q(recorded_by=user)
    return Q(pk__in=[])


def incident_list_visible_to(user) -> QuerySet[Incident]:
    """Incidents ``user`` may see (none for anonymous users, students or unit staff)."""
    if not user.is_authenticated:
        return Incident.objects.none()
    scope = _own_scope(user)
    return Incident.objects.all() if scope is None else Incident.objects.filter(scope)


def incident_visible(user, incident: Incident) -> bool:
    """The rule of :func:`incident_list_visible_to` for one incident (no query)."""
    return user.is_authenticated and user.has_perm("patrols.view_incident", incident)


def incident_list_allowed(user) -> bool:
    """Whether ``user`` has an incident list at all (the office, leadership, police, and the
    duty room's guards for their own part of it)."""
    return user.has_perm("patrols.view_incident") or user.has_perm("patrols.record_incident")


def incident_search(user, *, category: str = "", disposition: str = "", source: str = "",
                    date_from: dt.date | None = None, date_to: dt.date | None = None,
                    text: str = "", campus_id: int | None = None) -> QuerySet[Incident]:
    """The incident list's filters over what ``user`` may see, newest occurred first.

    Dates are local (Asia/Shanghai) days of the time the incident occurred, both included;
    ``campus_id`` keeps the incidents recorded on that campus.
    ``text`` matches a reference (``JQ2026-00042``) exactly, else summary, type as
    recorded, location, place name, police reference or number in an imported log.
    """
    rows = incident_list_visible_to(user)
    if campus_id:
        rows = rows.filter(campus_id=campus_id)
    if category:
        rows = rows.filter(category=category)
    if disposition:
        rows = rows.filter(disposition=disposition)
    if source:
        rows = rows.filter(source=source)
    if date_from:
        rows = rows.filter(occurred_at__gte=clock.start_of_local_day(date_from))
    if date_to:
        rows = rows.filter(occurred_at__lt=clock.start_of_local_day(date_to + dt.timedelta(days=1)))
    text = (text or "").strip()
    if text:
        match = _REFERENCE_RE.match(text)
        if match:
            rows = rows.filter(year=int(match.group(1)), sequence=int(match.group(2)))
        else:
            rows = rows.filter(Q(summary__icontains=text) | Q(type_label__icontains=text)
                               | Q(location_text__icontains=text) | Q(place__name__icontains=text)
                               | Q(police_reference__icontains=text)
                               | Q(external_ref__icontains=text))
    return rows.select_related("campus", "place").order_by("-occurred_at", "-id")


def incident_detail(user, pk) -> Incident | None:
    """One incident with its place, recorder and duty log entry, if ``user`` may see it."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        return None
    return (incident_list_visible_to(user)
            .select_related("campus", "place", "recorded_by", "import_job", "duty_entry")
            .filter(pk=pk).first())
