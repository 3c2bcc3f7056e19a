"""Attendance at education activities, reads: an activity's list by college or unit, the
expected audience of a training or drill and who of it did not attend, a person's records,
the people an officer or counsellor may look up, and the trainings and drills page.

Expected audience: the students (by :class:`~safecampus.accounts.models.Affiliation`) of the
colleges and classes an activity reached, and those living in the buildings it reached (a
dormitory drill). A whole campus reached is not turned into an expected list (a campus-wide
booth expects nobody in particular).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from safecampus.accounts.models import Affiliation, Role
from safecampus.core import clock

from ..models import Activity, Attendance

TRAINING_KINDS = (Activity.Kind.TRAINING, Activity.Kind.DRILL)
#: The person search shows at most this many matches.
SEARCH_LIMIT = 30


def activity_get(pk: int) -> Activity | None:
    """One activity with what the attendance pages show (campus, place, organiser, the
    groups it reached prefetched)."""
    return (Activity.objects.select_related("campus", "place__building", "organiser")
            .prefetch_related("colleges", "class_groups", "buildings")
            .filter(pk=pk).first())


def attendance_list(activity: Activity) -> QuerySet:
    """The activity's attendance, by college or unit (none last), then class and time."""
    return (Attendance.objects.filter(activity=activity)
            .select_related("user", "college", "class_group", "recorded_by")
            .order_by("college__name", "class_group__name", "signed_in_at", "pk"))


def expected_q(activity: Activity) -> Q | None:
    """The filter on :class:`Affiliation` of the activity's expected audience (students of
    the colleges, classes and buildings it reached), or None when it names none."""
    college_ids = [c.pk for c in activity.colleges.all()]
    class_ids = [c.pk for c in activity.class_groups.all()]
    building_ids = [b.pk for b in activity.buildings.all()]
    if not (college_ids or class_ids or building_ids):
        return None
    q = Q(pk__in=[])
    if college_ids:
        q |= Q(college_id__in=college_ids)
    if class_ids:
        q |= Q(class_group_id__in=class_ids)
    if building_ids:
        q |= Q(dormitory_id__in=building_ids)
    return q & Q(kind=Affiliation.Kind.STUDENT, user__is_active=True)


def absentees(activity: Activity) -> QuerySet:
    """Affiliations of the expected audience who have no attendance, by college, class and
    name (empty when the activity names no audience)."""
    q = expected_q(activity)
    if q is None:
        return Affiliation.objects.none()
    return (Affiliation.objects.filter(q)
            .exclude(Exists(Attendance.objects.filter(activity=activity,
                                                      user_id=OuterRef("user_id"))))
            .select_related("user", "college", "class_group")
            .order_by("college__name", "class_group__name", "user__username"))


@dataclass
class UnitRow:
    """One college or unit of an activity: ``attended`` people on the list, ``expected``
    students of its audience, ``absent`` of those who did not come (None without an
    expected audience)."""

    college_id: int | None
    name: str
    attended: int
    expected: int | None
    absent: int | None

    @property
    def rate(self) -> int | None:
        """Share of the expected who attended, in percent (rounded)."""
        if not self.expected:
            return None
        return round(100 * (self.expected - (self.absent or 0)) / self.expected)


def attendance_by_unit(activity: Activity) -> list[UnitRow]:
    """Counts per college or unit (two grouped queries, three with an expected audience):
    people attending, and for an expected audience how many were expected and absent. Units
    by name; people without a college last."""
    attended = {row["college_id"]: (row["college__name"], row["n"]) for row in
                Attendance.objects.filter(activity=activity).values("college_id", "college__name")
                .annotate(n=Count("pk")).order_by()}
    expected: dict = {}
    absent: dict = {}
    q = expected_q(activity)
    if q is not None:
        expected = {row["college_id"]: (row["college__name"], row["n"]) for row in
                    Affiliation.objects.filter(q).values("college_id", "college__name")
                    .annotate(n=Count("pk")).order_by()}
        absent = {row["college_id"]: row["n"] for row in
                  absentees(activity).values("college_id").annotate(n=Count("pk")).order_by()}
    rows = []
    for college_id in set(attended) | set(expected):
        name = (attended.get(college_id) or expected.get(college_id))[0] or ""
        rows.append(UnitRow(
            college_id=college_id, name=name,
            attended=attended.get(college_id, ("", 0))[1],
            expected=expected.get(college_id, ("", 0))[1] if q is not None else None,
            absent=absent.get(college_id, 0) if q is not None else None))
    rows.sort(key=lambda r: (r.college_id is None, r.name))
    return rows


def my_attendances(user) -> QuerySet:
    """``user``'s attendances, newest first, with the activity and its campus."""
    return (Attendance.objects.filter(user=user)
            .select_related("activity", "activity__campus", "activity__place__building")
            .order_by("-signed_in_at", "-pk"))


def people_visible_to(actor) -> QuerySet:
    """The people whose records ``actor`` may read: everyone for the office, the students
    and staff of their colleges for a counsellor, nobody else."""
    users = get_user_model().objects.filter(is_active=True)
    if actor.scope.is_office:
        return users
    colleges = [unit_id for unit_id, roles in actor.scope.unit_roles.items()
                if Role.COUNSELLOR in roles]
    if not colleges:
        return users.none()
    return users.filter(affiliation__college_id__in=colleges)


def person_search(actor, text: str) -> list:
    """Up to :data:`SEARCH_LIMIT` people visible to ``actor`` whose staff/student number or
    username starts with ``text``, or whose name contains it (with their affiliation)."""
    text = (text or "").strip()
    if not text:
        return []
    return list(people_visible_to(actor)
                .filter(Q(employee_number__istartswith=text) | Q(username__istartswith=text)
                        | Q(full_name__icontains=text))
                .select_related("affiliation", "affiliation__college",
                                "affiliation__class_group")
                .order_by("username")[:SEARCH_LIMIT])


def person_get(actor, pk: int):
    """The person ``pk`` when ``actor`` may read their records, else None."""
    return (people_visible_to(actor).select_related(
        "affiliation", "affiliation__college", "affiliation__class_group",
        "affiliation__dormitory").filter(pk=pk).first())


def trainings(*, upcoming: bool) -> QuerySet:
    """Trainings and drills (not cancelled ones in the past), with ``attended`` counts:
    upcoming and running ones (not yet ended) soonest first, else past ones newest first."""
    now = clock.now()
    rows = (Activity.objects.filter(kind__in=TRAINING_KINDS)
            .select_related("campus", "place__building")
            .annotate(attended=Count("attendances")))
    if upcoming:
        return rows.filter(ends_at__gte=now).order_by("starts_at", "pk")
    return rows.filter(ends_at__lt=now).order_by("-starts_at", "-pk")


def units_of(activities) -> dict[int, list[tuple[str, int]]]:
    """Attendance counts by college or unit for the activities of one page (one query):
    activity id → [(unit name, count)], most first."""
    ids = [a.pk for a in activities]
    result: dict[int, list[tuple[str, int]]] = {pk: [] for pk in ids}
    for row in (Attendance.objects.filter(activity_id__in=ids)
                .values("activity_id", "college__name").annotate(n=Count("pk"))
                .order_by("activity_id", "-n", "college__name")):
        result[row["activity_id"]].append((row["college__name"] or "", row["n"]))
    return result


def export_rows(activity: Activity):
    """Rows of the attendance export: college or unit, class, number, username, name,
    signed in at (aware), method label, distance, far away, recorded by."""
    for a in attendance_list(activity).iterator(chunk_size=1000):
        yield [a.college.name if a.college else "", a.class_group.name if a.class_group else "",
               a.user.employee_number, a.user.username, a.user.full_name, a.signed_in_at,
               a.get_method_display(), a.distance_m if a.distance_m is not None else "",
               "✓" if a.far_away else "", str(a.recorded_by) if a.recorded_by else ""]


def absentee_rows(activity: Activity):
    """Rows of the export's absentee sheet: college, class, number, username, name."""
    for a in absentees(activity).iterator(chunk_size=1000):
        yield [a.college.name if a.college else "", a.class_group.name if a.class_group else "",
               a.user.employee_number, a.user.username, a.user.full_name]
