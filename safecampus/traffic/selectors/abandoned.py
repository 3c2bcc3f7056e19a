"""Abandoned vehicles (僵尸车), reads: who sees which cases, the filtered list and its counts
per state, the "due" lists (ready to remove, ready to dispose), one case with what its page
shows, the clean-up drives.

Cases are seen by those with ``traffic.view_abandoned``: the office and leadership see
every campus, a guard only the campuses of his memberships (``user.scope.campus_ids``; none
without one); everyone else sees none (house rule 6: pages, API, photos and PDF go through
:func:`case_list_visible_to`). Clean-up drives are scoped the same way.
"""

from __future__ import annotations

from django.db.models import Count, Prefetch, Q

from safecampus.core import clock
from safecampus.core.activity import activity_for

from ..models import CASE_OPEN_STATES, AbandonedVehicleCase, CasePhoto, CleanUpDrive
from ..plates import plate_normalise

Case = AbandonedVehicleCase
State = AbandonedVehicleCase.State

#: The list's tabs besides the states: all open cases, and the two "due" lists.
TAB_OPEN = "open"
TAB_DUE_REMOVAL = "due_removal"
TAB_DUE_DISPOSAL = "due_disposal"
#: A notice was posted and the case is not removed yet (a case contacted without a notice
#: is never due for removal, whatever deadline an older version gave it).
DUE_REMOVAL_Q = Q(state__in=[State.NOTICED, State.CONTACTED], notice_posted_at__isnull=False)


def sees_cases(user) -> bool:
    return user.is_authenticated and user.has_perm("traffic.view_abandoned")


def _campus_scoped(rows, user, field: str = "campus_id"):
    """``rows`` limited to ``user``'s campuses unless the office or leadership."""
    if not sees_cases(user):
        return rows.none()
    scope = user.scope
    if scope.sees_everything:
        return rows
    return rows.filter(**{f"{field}__in": scope.campus_ids})


def case_list_visible_to(user):
    """Cases ``user`` may see, newest first, with campus, place, vehicle and drive joined."""
    rows = Case.objects.select_related("campus", "place", "vehicle", "drive")
    return _campus_scoped(rows, user).order_by("-created_at", "-id")


def _due_removal(rows, today):
    return rows.filter(DUE_REMOVAL_Q, notice_deadline__lt=today)


def _due_disposal(rows, today):
    return rows.filter(state=State.STORED, claim_until__lt=today)


def case_search(user, *, state: str = "", campus_id: int | None = None, source: str = "",
                drive_id: int | None = None, q: str = ""):
    """The visible cases filtered as the list page and the API offer.

    ``state``: a case state, or ``open`` (every open state), ``due_removal`` (notice
    deadline passed, not removed yet) or ``due_disposal`` (claim period over, still stored);
    ``q``: a plate or part of one (normalised, so ``"陕a 123"`` finds 陕A12345), or text of
    the case number, description or location.
    """
    rows = _filtered(case_list_visible_to(user), campus_id=campus_id, source=source,
                     drive_id=drive_id, q=q)
    today = clock.local_today()
    if state == TAB_OPEN:
        rows = rows.filter(state__in=CASE_OPEN_STATES)
    elif state == TAB_DUE_REMOVAL:
        rows = _due_removal(rows, today).order_by("notice_deadline", "id")
    elif state == TAB_DUE_DISPOSAL:
        rows = _due_disposal(rows, today).order_by("claim_until", "id")
    elif state:
        rows = rows.filter(state=state)
    return rows


def _filtered(rows, *, campus_id=None, source="", drive_id=None, q=""):
    if campus_id:
        rows = rows.filter(campus_id=campus_id)
    if source:
        rows = rows.filter(source=source)
    if drive_id:
        rows = rows.filter(drive_id=drive_id)
    q = (q or "").strip()
    if q:
        number = plate_normalise(q)
        match = Q(number__icontains=q) | Q(description__icontains=q) | Q(
            location_text__icontains=q)
        if number:
            match |= Q(plate__startswith=number) if len(number) >= 7 else Q(
                plate__contains=number)
        rows = rows.filter(match)
    return rows


def case_state_counts(user, *, campus_id: int | None = None, source: str = "",
                      drive_id: int | None = None, q: str = "") -> dict[str, int]:
    """``{state: n, "open": n, "due_removal": n, "due_disposal": n, "all": n}`` over the
    visible cases with the same filters as the list (one query, aggregated in SQL)."""
    rows = _filtered(case_list_visible_to(user).order_by(), campus_id=campus_id,
                     source=source, drive_id=drive_id, q=q)
    today = clock.local_today()
    aggregates = {value: Count("id", filter=Q(state=value)) for value in State.values}
    aggregates["all"] = Count("id")
    aggregates[TAB_OPEN] = Count("id", filter=Q(state__in=CASE_OPEN_STATES))
    aggregates[TAB_DUE_REMOVAL] = Count("id", filter=DUE_REMOVAL_Q & Q(
        notice_deadline__lt=today))
    aggregates[TAB_DUE_DISPOSAL] = Count("id", filter=Q(state=State.STORED,
                                                        claim_until__lt=today))
    return rows.aggregate(**aggregates)


def cases_due_for_removal(user):
    """Visible cases whose notice deadline has passed and that are not removed yet, the
    oldest deadline first."""
    return _due_removal(case_list_visible_to(user), clock.local_today()).order_by(
        "notice_deadline", "id")


def cases_due_for_disposal(user):
    """Visible stored cases whose claim period is over, the oldest first."""
    return _due_disposal(case_list_visible_to(user), clock.local_today()).order_by(
        "claim_until", "id")


def case_detail(user, pk) -> AbandonedVehicleCase | None:
    """One case ``user`` may see with its photos (in order) and the vehicle's owner, or
    None."""
    if not str(pk or "").isascii() or not str(pk or "").isdigit():
        return None
    return (case_list_visible_to(user)
            .select_related("vehicle__owner", "vehicle__unit", "reported_by")
            .prefetch_related(Prefetch("photos", queryset=CasePhoto.objects.order_by("id")))
            .filter(pk=pk).first())


def case_timeline(case: AbandonedVehicleCase):
    return activity_for(case).order_by("occurred_at", "id")


def case_photo_visible(user, pk) -> CasePhoto | None:
    if not str(pk).isdigit():
        return None
    return _campus_scoped(CasePhoto.objects.all(), user, "case__campus_id").filter(
        pk=pk).first()


# --- clean-up drives ------------------------------------------------------------------------------
def drive_list_visible_to(user):
    """Clean-up drives, the newest first, with the number of cases and of open cases."""
    rows = _campus_scoped(CleanUpDrive.objects.select_related("campus", "created_by"), user)
    return rows.annotate(
        case_count=Count("cases"),
        open_count=Count("cases", filter=Q(cases__state__in=CASE_OPEN_STATES)),
    ).order_by("-starts_on", "-id")


def drive_detail(user, pk) -> CleanUpDrive | None:
    if not str(pk or "").isascii() or not str(pk or "").isdigit():
        return None
    return drive_list_visible_to(user).filter(pk=pk).first()


def drive_cases(drive: CleanUpDrive):
    """The drive's cases in the order they were tagged."""
    return (Case.objects.filter(drive=drive).select_related("campus", "place", "vehicle")
            .order_by("id"))


def drive_state_counts(drive: CleanUpDrive) -> dict[str, int]:
    """``{state: n}`` of the drive's cases (states without cases left out)."""
    return dict(Case.objects.filter(drive=drive).order_by().values_list("state")
                .annotate(n=Count("id")).values_list("state", "n"))
