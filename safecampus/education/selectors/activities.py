"""Education activities, reads: terms, partners, campaigns and their totals, activity lists
visible to a user, the pick lists of the activity form, and coverage (覆盖情况).

Coverage of a term (:func:`coverage`): for every group of one dimension (dormitory buildings,
colleges, classes, campuses) the held activities of the term (optionally of one topic, or
only one campaign's) that named the group, by local (Asia/Shanghai) month, the last time one
did and the people they reached (sum of their audience counts); for dormitories, colleges and
classes also how many of the group's students (current
:class:`~safecampus.accounts.models.Affiliation`) signed in at any held activity of the term
(of the topic and campaign, if given) at least once, whether or not
that activity named the group. A group is "reached" only when an activity named it: a campus
reached does not count for its buildings; attendance is shown beside, never mixed in.
All figures come from four SQL queries whatever the number of groups.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Count, Max, Q, Sum
from django.db.models.functions import TruncMonth
from django.utils.translation import gettext_lazy as _

from safecampus.accounts.models import Affiliation
from safecampus.core import clock
from safecampus.core.activity import activity_for
from safecampus.organisation.models import (
    STUDENT_UNIT_KINDS,
    Building,
    Campus,
    ClassGroup,
    Place,
    Unit,
)

from ..models import Activity, ActivityMaterial, Attendance, Campaign, Partner, Term
from ..rules import activity_units_of

COLLEGE_KINDS = STUDENT_UNIT_KINDS

# --- terms, partners, campaigns ---------------------------------------------------------------


def term_for_date(day: dt.date) -> Term | None:
    """The term containing local date ``day`` (terms do not overlap), or None."""
    return Term.objects.filter(starts_on__lte=day, ends_on__gte=day).first()


def term_current() -> Term | None:
    """The term containing today (local), else the latest term that has begun, else None."""
    today = clock.local_today()
    return term_for_date(today) or Term.objects.filter(starts_on__lte=today).first()


def term_list():
    return Term.objects.annotate(n_campaigns=Count("campaigns")).order_by("-starts_on")


def term_bounds(term: Term) -> tuple[dt.datetime, dt.datetime]:
    """The term's first and last instant (local days, aware)."""
    return clock.start_of_local_day(term.starts_on), clock.end_of_local_day(term.ends_on)


def partner_list(*, active_only: bool = False):
    qs = Partner.objects.annotate(n_activities=Count("activities"))
    return qs.filter(is_active=True) if active_only else qs.order_by("-is_active", "kind", "name")


def campaign_list():
    return (Campaign.objects.select_related("term")
            .annotate(n_activities=Count("activities")).order_by("-starts_on", "-id"))


@dataclass
class CampaignTotals:
    activities: int
    held: int
    planned: int
    cancelled: int
    people: int
    materials: list[dict]


def campaign_totals(campaign: Campaign) -> CampaignTotals:
    """Activities by state, people reached (held ones) and materials handed out by item and
    unit of count (two queries)."""
    row = campaign.activities.aggregate(
        activities=Count("id"),
        held=Count("id", filter=Q(state=Activity.State.HELD)),
        planned=Count("id", filter=Q(state=Activity.State.PLANNED)),
        cancelled=Count("id", filter=Q(state=Activity.State.CANCELLED)),
        people=Sum("audience_count", filter=Q(state=Activity.State.HELD)))
    materials = list(ActivityMaterial.objects.filter(
        activity__campaign=campaign, activity__state=Activity.State.HELD)
        .values("name", "unit_label").annotate(quantity=Sum("quantity"))
        .order_by("-quantity", "name"))
    return CampaignTotals(activities=row["activities"], held=row["held"],
                          planned=row["planned"], cancelled=row["cancelled"],
                          people=row["people"] or 0, materials=materials)


# --- activities -------------------------------------------------------------------------------
def activities_visible_to(user):
    """Activities ``user`` may see: all for the office and leadership; for unit contacts,
    leaders and counsellors those that reached one of their units or that they organised."""
    qs = Activity.objects.select_related("campaign", "campus", "place__building", "organiser")
    if not user.is_authenticated:
        return qs.none()
    if user.scope.sees_everything:
        return qs
    units = activity_units_of(user)
    through = Activity.colleges.through.objects.filter(unit_id__in=units)
    return qs.filter(Q(organiser=user) | Q(pk__in=through.values("activity_id")))


def activity_list(user, *, term: Term | None = None, topic: str = "", kind: str = "",
                  campus_id: int | None = None, campaign_id: int | None = None,
                  state: str = "", date_from: dt.date | None = None,
                  date_to: dt.date | None = None):
    """Visible activities, newest first, narrowed by the list's filters; ``date_from`` and
    ``date_to`` are local (Asia/Shanghai) days of the start, both included."""
    qs = activities_visible_to(user)
    if date_from:
        qs = qs.filter(starts_at__gte=clock.start_of_local_day(date_from))
    if date_to:
        qs = qs.filter(starts_at__lt=clock.start_of_local_day(date_to + dt.timedelta(days=1)))
    if term is not None:
        start, end = term_bounds(term)
        qs = qs.filter(starts_at__gte=start, starts_at__lte=end)
    if topic:
        qs = qs.filter(topic=topic)
    if kind:
        qs = qs.filter(kind=kind)
    if campus_id:
        qs = qs.filter(campus_id=campus_id)
    if campaign_id:
        qs = qs.filter(campaign_id=campaign_id)
    if state:
        qs = qs.filter(state=state)
    return qs.order_by("-starts_at", "-id")


def activity_detail(pk: int) -> Activity | None:
    return (Activity.objects.select_related("campaign", "campus", "place__building", "organiser")
            .prefetch_related("partners", "campuses", "buildings", "colleges",
                              "class_groups__college", "materials", "photos")
            .filter(pk=pk).first())


#: Timeline verbs written once per person (a sign-in by code, a person added by hand): the
#: attendance list shows them, and on the activity's timeline they would grow with the
#: audience (3,000 rows for a large training).
PER_PERSON_VERBS = ("education.attendance_sign_in", "education.attendance_add")


def activity_timeline(activity: Activity):
    """The activity's timeline, oldest first, without the per-person attendance entries
    (:data:`PER_PERSON_VERBS`): planned, held, cancelled, sign-in opened/closed/renewed,
    lists imported (one query)."""
    return activity_for(activity).exclude(verb__in=PER_PERSON_VERBS)


# --- pick lists -------------------------------------------------------------------------------
def dormitory_building_ids():
    return Place.objects.filter(kind=Place.Kind.DORMITORY, building__isnull=False).values(
        "building_id")


def building_choices() -> list:
    """Buildings grouped: dormitory buildings first, then the others, each ``(id, label)``."""
    dorm_ids = set(dormitory_building_ids().values_list("building_id", flat=True))
    dorms, others = [], []
    for b in Building.objects.select_related("campus").order_by("campus__sort_order", "code"):
        (dorms if b.pk in dorm_ids else others).append((b.pk, f"{b.name} · {b.campus.name}"))
    groups = []
    if dorms:
        groups.append((_("Dormitory buildings"), dorms))
    if others:
        groups.append((_("Other buildings"), others))
    return groups


def college_choices(user) -> list:
    """Colleges reached a user may pick: every college for the office; otherwise only the
    units they act for or counsel."""
    if user.has_perm("education.manage_education"):
        qs = Unit.objects.filter(kind__in=COLLEGE_KINDS, is_active=True)
    else:
        qs = Unit.objects.filter(pk__in=activity_units_of(user))
    return [(u.pk, u.name) for u in qs.order_by("code")]


def class_choices(user) -> list:
    """Classes grouped by college (only the user's units unless office)."""
    qs = ClassGroup.objects.filter(is_active=True).select_related("college")
    if not user.has_perm("education.manage_education"):
        qs = qs.filter(college_id__in=activity_units_of(user))
    groups: dict[str, list] = {}
    for c in qs.order_by("college__code", "enrolment_year", "code"):
        groups.setdefault(c.college.name, []).append((c.pk, c.name))
    return list(groups.items())


def place_choices() -> list:
    """Places grouped by campus (canteens, dormitories, rooms …), at most 500."""
    groups: dict[str, list] = {}
    for p in (Place.objects.select_related("campus", "building")
              .order_by("campus__sort_order", "code")[:500]):
        label = f"{p.building.name} · {p.name}" if p.building_id else p.name
        groups.setdefault(p.campus.name, []).append((p.pk, label))
    return list(groups.items())


def campaign_choices() -> list:
    today = clock.local_today()
    return [(c.pk, c.title) for c in Campaign.objects.filter(
        ends_on__gte=today - dt.timedelta(days=400)).order_by("-starts_on", "-id")[:100]]


# --- coverage ---------------------------------------------------------------------------------
DIMENSIONS = {
    "dorms": _("Dormitory buildings"),
    "colleges": _("Colleges"),
    "classes": _("Classes"),
    "campuses": _("Campuses"),
}
#: The activity relation, its through table's column and the affiliation field of a dimension.
_RELATION = {
    "dorms": ("buildings", "building_id", "dormitory_id"),
    "colleges": ("colleges", "unit_id", "college_id"),
    "classes": ("class_groups", "classgroup_id", "class_group_id"),
    "campuses": ("campuses", "campus_id", None),
}


@dataclass
class CoverageRow:
    group_id: int
    label: str
    detail: str
    months: list[int] = field(default_factory=list)
    activities: int = 0
    last_at: dt.datetime | None = None
    people: int = 0
    #: Students of the group (dorms, colleges, classes; None for campuses).
    size: int | None = None
    #: Students of this group who signed in at any held activity this term (of the topic,
    #: if one is given), whether or not that activity named the group.
    attended: int | None = None

    @property
    def reached(self) -> bool:
        return self.activities > 0

    @property
    def percent(self) -> float | None:
        if not self.size or self.attended is None:
            return None
        return round(100 * self.attended / self.size, 1)


@dataclass
class Coverage:
    term: Term
    topic: str
    dimension: str
    months: list[dt.date]
    rows: list[CoverageRow]
    campaign: Campaign | None = None

    @property
    def uncovered(self) -> list[CoverageRow]:
        return [r for r in self.rows if not r.reached]

    @property
    def with_attendance(self) -> bool:
        return _RELATION[self.dimension][2] is not None


def _term_months(term: Term) -> list[dt.date]:
    months, day = [], term.starts_on.replace(day=1)
    while day <= term.ends_on:
        months.append(day)
        day = (day + dt.timedelta(days=32)).replace(day=1)
    return months


def _groups(dimension: str) -> list[tuple[int, str, str]]:
    if dimension == "dorms":
        return [(b.pk, b.name, b.campus.name) for b in Building.objects.filter(
            pk__in=dormitory_building_ids()).select_related("campus")
            .order_by("campus__sort_order", "code")]
    if dimension == "colleges":
        return [(u.pk, u.name, "") for u in Unit.objects.filter(
            kind__in=COLLEGE_KINDS, is_active=True).order_by("code")]
    if dimension == "classes":
        return [(c.pk, c.name, c.college.name) for c in ClassGroup.objects.filter(
            is_active=True).select_related("college")
            .order_by("college__code", "enrolment_year", "code")]
    return [(c.pk, c.name, "") for c in Campus.objects.order_by("sort_order", "pk")]


def held_in_term(term: Term, topic: str = "", campaign: Campaign | None = None):
    """Held activities that started within the term (local days), of ``topic`` and of
    ``campaign`` if given."""
    start, end = term_bounds(term)
    qs = Activity.objects.filter(state=Activity.State.HELD, starts_at__gte=start,
                                 starts_at__lte=end)
    if campaign is not None:
        qs = qs.filter(campaign=campaign)
    return qs.filter(topic=topic) if topic else qs


def coverage_scope(*, term_id: int | None, campaign_id: int | None,
                   ) -> tuple[Term | None, Campaign | None]:
    """The term and campaign a coverage request names: a campaign (if it exists) brings its
    own term; else the term asked for, else the current term."""
    campaign = (Campaign.objects.select_related("term").filter(pk=campaign_id).first()
                if campaign_id else None)
    if campaign is not None and campaign.term is not None:
        return campaign.term, campaign
    term = (Term.objects.filter(pk=term_id).first() if term_id else None) or term_current()
    return term, campaign


def coverage(*, term: Term, dimension: str, topic: str = "",
             campaign: Campaign | None = None) -> Coverage:
    """Coverage of ``term`` by ``dimension`` (a key of :data:`DIMENSIONS`), rows in the
    groups' natural order; with ``campaign``, only that campaign's activities (and the
    sign-ins at them) count. Three queries (groups, per-month counts, affiliations)."""
    if dimension not in DIMENSIONS:
        raise ValueError(dimension)
    relation, column, affiliation_field = _RELATION[dimension]
    months = _term_months(term)
    month_index = {m: i for i, m in enumerate(months)}
    rows = {pk: CoverageRow(group_id=pk, label=label, detail=detail, months=[0] * len(months))
            for pk, label, detail in _groups(dimension)}
    start, end = term_bounds(term)
    through = getattr(Activity, relation).through.objects.filter(
        activity__state=Activity.State.HELD, activity__starts_at__gte=start,
        activity__starts_at__lte=end)
    if topic:
        through = through.filter(activity__topic=topic)
    if campaign is not None:
        through = through.filter(activity__campaign=campaign)
    zone = clock.local_zone()
    counts = (through.annotate(month=TruncMonth("activity__starts_at", tzinfo=zone))
              .values(column, "month")
              .annotate(n=Count("activity_id"), last=Max("activity__starts_at"),
                        people=Sum("activity__audience_count"))
              .order_by())
    for item in counts:
        row = rows.get(item[column])
        if row is None:  # a group no longer listed (inactive class, building without dorms)
            continue
        month = item["month"].astimezone(zone).date() if isinstance(
            item["month"], dt.datetime) else item["month"]
        index = month_index.get(month.replace(day=1))
        if index is not None:
            row.months[index] += item["n"]
        row.activities += item["n"]
        row.people += item["people"] or 0
        if row.last_at is None or item["last"] > row.last_at:
            row.last_at = item["last"]
    if affiliation_field is not None:
        attendees = Attendance.objects.filter(
            activity__in=held_in_term(term, topic, campaign)).values("user_id")
        for item in (Affiliation.objects.filter(kind=Affiliation.Kind.STUDENT,
                                                **{f"{affiliation_field}__isnull": False})
                     .values(affiliation_field)
                     .annotate(size=Count("id"),
                               attended=Count("id", filter=Q(user_id__in=attendees)))
                     .order_by()):
            row = rows.get(item[affiliation_field])
            if row is not None:
                row.size, row.attended = item["size"], item["attended"]
        for row in rows.values():
            if row.size is None:
                row.size, row.attended = 0, 0
    return Coverage(term=term, topic=topic, dimension=dimension, months=months,
                    rows=list(rows.values()), campaign=campaign)


def uncovered_counts(term: Term) -> dict[str, int]:
    """How many groups of each dimension no held activity of ``term`` named (one query per
    dimension)."""
    start, end = term_bounds(term)
    out = {}
    group_qs = {
        "dorms": Building.objects.filter(pk__in=dormitory_building_ids()),
        "colleges": Unit.objects.filter(kind__in=COLLEGE_KINDS, is_active=True),
        "classes": ClassGroup.objects.filter(is_active=True),
        "campuses": Campus.objects.all(),
    }
    for dimension, (relation, column, _field) in _RELATION.items():
        named = getattr(Activity, relation).through.objects.filter(
            activity__state=Activity.State.HELD, activity__starts_at__gte=start,
            activity__starts_at__lte=end).values(column)
        out[dimension] = group_qs[dimension].exclude(pk__in=named).count()
    return out
