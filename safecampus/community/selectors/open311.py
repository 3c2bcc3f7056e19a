"""Open311 (reads): the services (active concern categories), the requests a caller may
see, and the keys page's list of clients.

Which requests the GeoReport endpoint shows: without a key the concerns on the public
board; with a client's key those and the client's own. Nothing here names the submitter
or their contact details.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet

from safecampus.core import clock

from ..models import ApiClient, CategoryAttribute, Concern, ConcernCategory

#: The most ids one ``service_request_id`` list may name.
MAX_IDS = 1000


@dataclass(frozen=True)
class RequestFilters:
    """The query of GET requests. ``ids``: service_request_id numbers (the other filters
    are ignored when given, as the specification says); ``start``/``end`` aware;
    ``status``: a set of "open"/"closed" (empty: both)."""

    ids: Sequence[str] = ()
    service_codes: Sequence[str] = ()
    start: dt.datetime | None = None
    end: dt.datetime | None = None
    status: frozenset[str] = frozenset()


def service_list() -> list[ConcernCategory]:
    """Active categories in their order, each with ``has_attributes`` (one query)."""
    return list(ConcernCategory.objects.filter(is_active=True).annotate(
        has_attributes=Exists(CategoryAttribute.objects.filter(category=OuterRef("pk")))))


def service_get(code: str) -> ConcernCategory | None:
    """The active category with ``code`` and its attributes (ordered), or None."""
    return (ConcernCategory.objects.filter(code=str(code or "")[:64], is_active=True)
            .prefetch_related(Prefetch("attributes",
                                       queryset=CategoryAttribute.objects.order_by("order", "id"),
                                       to_attr="attribute_list"))
            .first())


def _visible(client: ApiClient | None) -> Q:
    if client is None:
        return Q(is_public=True)
    return Q(is_public=True) | Q(api_client=client)


def _with_related(queryset: QuerySet) -> QuerySet:
    return queryset.select_related(
        "category", "place__building", "building", "handling_unit",
        "hazard__responsible_unit",
    )


def request_list(*, client: ApiClient | None, filters: RequestFilters) -> list[Concern]:
    """The requests of GET requests, newest first, at most ``OPEN311_LIST_MAX``.

    With ``filters.ids`` exactly those the caller may see (unknown ones are left out).
    Otherwise filtered by service codes, status and the period, which spans at most
    ``OPEN311_LIST_DAYS`` days (the specification's 90): without dates the last ones, with
    only ``end`` those before it, with only ``start`` those after it (a longer span of
    both dates is refused by the view). One query (concerns with their joins)."""
    limit = settings.SAFECAMPUS["OPEN311_LIST_MAX"]
    span = dt.timedelta(days=settings.SAFECAMPUS["OPEN311_LIST_DAYS"])
    queryset = Concern.objects.filter(_visible(client))
    if filters.ids:
        queryset = queryset.filter(number__in=list(filters.ids)[:MAX_IDS])
    else:
        end, start = filters.end, filters.start
        if start is None:
            start = (end or clock.now()) - span
        elif end is None:
            end = start + span
        queryset = queryset.filter(submitted_at__gte=start)
        if end is not None:
            queryset = queryset.filter(submitted_at__lte=end)
        if filters.service_codes:
            queryset = queryset.filter(category__code__in=list(filters.service_codes))
        if filters.status == {"open"}:
            queryset = queryset.exclude(state=Concern.State.CLOSED)
        elif filters.status == {"closed"}:
            queryset = queryset.filter(state=Concern.State.CLOSED)
    return list(_with_related(queryset.order_by("-submitted_at", "-id"))[:limit])


def request_get(*, client: ApiClient | None, number: str) -> Concern | None:
    """The request numbered ``number`` when the caller may see it, else None."""
    return _with_related(Concern.objects.filter(_visible(client), number=str(number)[:20])
                         ).first()


def api_client_list() -> QuerySet:
    """Every client for the keys page, active first, then by name, with who issued it."""
    return ApiClient.objects.select_related("created_by").order_by("-is_active", "name")
