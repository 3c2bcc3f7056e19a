"""Which demo accounts to sign in as, one per role, for walking the hazard loop (reads only)."""

import unicodedata
from dataclasses import dataclass

from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.db.models import Count, Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from safecampus.accounts.models import Membership, Role, User
from safecampus.hazards.models import Hazard, RectificationNotice
from safecampus.inspections.models import Inspection

from .data import DEMO_PASSWORD

# The loop in the order a newcomer walks it: (role, preferred username, what to try).
FEATURED = [
    (Role.COMMUNITY_MEMBER, "student", gettext_lazy("report a hazard, follow its progress")),
    (Role.COMMUNITY_MEMBER, "teacher1", gettext_lazy(
        "staff member with a car: see the move-car notice and appeal a violation")),
    (Role.OFFICE_STAFF, "inspector1", gettext_lazy(
        "confirm reports, issue notices, verify; inspect the places assigned to you")),
    (Role.UNIT_SAFETY_CONTACT, None, gettext_lazy("sign notices, rectify, submit evidence")),
    (Role.UNIT_LEADER, None, gettext_lazy("receives escalations of overdue hazards")),
    (Role.OFFICE_ADMIN, "office_head", gettext_lazy(
        "office head: escalations, approving inspection results, the whole picture")),
    (Role.LEADERSHIP, "leadership", gettext_lazy(
        "read-only overview of the university, the four-colour risk maps")),
    (Role.POLICE_LIAISON, "police_xq", gettext_lazy(
        "police station liaison: post incident bulletins, open hazards from them, follow "
        "up joint meeting actions")),
    (Role.GUARD, "guard_xq1", gettext_lazy("patrol on a phone, report what is found")),
    (Role.GUARD, "shift_leader", gettext_lazy(
        "shift leader: missed checkpoints in red, their alerts, completion rates")),
    (Role.GRID_OFFICER, None, gettext_lazy(
        "log visits to your grid on a phone; the hazards of one grid")),
    (Role.GRID_HEAD, "gridhead_xq", gettext_lazy(
        "heads a campus's grids: their visits, hazards, incidents and dashboard")),
    (Role.COUNSELLOR, "chem_counsellor", gettext_lazy(
        "college counsellor: follow up students named in police warnings, quiz results")),
]


@dataclass(frozen=True)
class AccountRow:
    username: str
    full_name: str
    password: str
    role: str
    scope: str
    hint: str


def _scope_text(memberships) -> str:
    places = [str(m.unit or m.zone or m.campus) for m in memberships if m.unit or m.zone or m.campus]
    return "、".join(places) if places else _("Whole university")


def _busiest_unit_with(role: str) -> int | None:
    """The unit with most open notices that has a ``role`` account (so there is work to do)."""
    staffed = set(Membership.objects.filter(role=role).values_list("unit_id", flat=True))
    open_states = [RectificationNotice.State.ISSUED, RectificationNotice.State.ACKNOWLEDGED]
    busiest = (RectificationNotice.objects.values("unit_id")
               .annotate(open=Count("id", filter=Q(state__in=open_states)), n=Count("id"))
               .order_by("-open", "-n", "unit_id").values_list("unit_id", flat=True))
    for unit_id in busiest:
        if unit_id in staffed:
            return unit_id
    return None


def _featured_user(role: str, username: str | None, unit_id: int | None):
    members = (Membership.objects.filter(role=role).select_related("user")
               .exclude(user__password__startswith=UNUSABLE_PASSWORD_PREFIX))
    if username:
        chosen = members.filter(user__username=username).first()
        if chosen:
            return chosen.user
    if role in (Role.UNIT_SAFETY_CONTACT, Role.UNIT_LEADER) and unit_id:
        chosen = members.filter(unit_id=unit_id).order_by("user__username").first()
        if chosen:
            return chosen.user
    if role == Role.GRID_OFFICER:
        zones = (Hazard.objects.filter(zone__memberships__role=role).values("zone_id")
                 .annotate(n=Count("id")).order_by("-n", "zone_id").values_list("zone_id", flat=True))
        zone_id = next(iter(zones), None)
        if zone_id:
            chosen = members.filter(zone_id=zone_id).order_by("user__username").first()
            if chosen:
                return chosen.user
    chosen = members.order_by("user__username").first()
    return chosen.user if chosen else None


def _inspected_unit_contact():
    """The safety contact of the unit whose office inspection finished last (its report and
    notice are waiting for it)."""
    latest = (Inspection.objects.filter(kind=Inspection.Kind.OFFICE,
                                        state=Inspection.State.FINISHED, items_failed__gt=0,
                                        unit__memberships__role=Role.UNIT_SAFETY_CONTACT)
              .order_by("-finished_at").values_list("unit_id", flat=True).first())
    if latest is None:
        return None
    chosen = (Membership.objects.filter(role=Role.UNIT_SAFETY_CONTACT, unit_id=latest)
              .select_related("user").order_by("user__username").first())
    return chosen.user if chosen else None


def demo_account_rows(*, everyone: bool = False) -> list[AccountRow]:
    """One row per role (the featured accounts) and the superuser; ``everyone``: all users
    one can sign in as (users without a usable password, such as API clients, are left out).

    The contact and leader shown belong to the unit with most notices, the grid officer to
    the grid with most hazards. Passwords shown are the demo password.
    """
    unit_id = _busiest_unit_with(Role.UNIT_LEADER) or _busiest_unit_with(Role.UNIT_SAFETY_CONTACT)
    users: list[tuple[User, str, str]] = []  # (user, role shown, hint)
    for role, username, hint in FEATURED:
        user = _featured_user(role, username, unit_id)
        if user is not None:
            users.append((user, role, str(hint)))
    inspected = _inspected_unit_contact()
    if inspected is not None and inspected.pk not in {u.pk for u, _r, _h in users}:
        users.append((inspected, Role.UNIT_SAFETY_CONTACT, str(_(
            "receives inspection reports and their notices; runs self-inspections"))))
    admin = User.objects.filter(is_superuser=True).order_by("username").first()
    if everyone:
        shown = {u.pk for u, _r, _h in users}
        # Accounts without a usable password (an Open311 API client's user: its API key is
        # its credential) are no sign-in accounts and are not listed.
        for user in (User.objects.exclude(pk__in=shown)
                     .exclude(password__startswith=UNUSABLE_PASSWORD_PREFIX).order_by("username")):
            users.append((user, "", ""))
    rows = []
    for user, role, hint in users:
        memberships = list(user.memberships.select_related("unit", "zone__campus", "campus"))
        if role:
            scoped = [m for m in memberships if m.role == role]
            label = Role(role).label
        else:
            scoped = memberships
            label = "、".join(str(Role(r).label) for r in dict.fromkeys(m.role for m in memberships))
        if user.is_superuser and not memberships:
            label = _("Superuser (Django admin)")
        rows.append(AccountRow(user.username, user.full_name, DEMO_PASSWORD, str(label),
                               _scope_text(scoped), hint))
    if admin is not None and not everyone:
        rows.append(AccountRow(admin.username, admin.full_name, DEMO_PASSWORD,
                               _("Superuser (Django admin)"),
                               _("Whole university"), _("configuration in /admin/")))
    return rows


def display_width(text: str) -> int:
    """Columns ``text`` takes in a terminal: wide (CJK) characters count twice."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def format_table(rows: list[AccountRow]) -> str:
    """A plain-text table with aligned columns (CJK-aware)."""
    header = (_("Username"), _("Name"), _("Password"), _("Role"), _("Scope"), _("Try"))
    table = [header] + [(r.username, r.full_name, r.password, r.role, r.scope, r.hint)
                        for r in rows]
    widths = [max(display_width(row[i]) for row in table) for i in range(len(header))]

    def line(cells):
        padded = (c + " " * (w - display_width(c)) for c, w in zip(cells, widths, strict=True))
        return "  ".join(padded).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(table[0]), rule] + [line(r) for r in table[1:]])
