"""Partners and their liaisons, reads.

The office and leadership see every partner; a liaison sees only the partner they speak for.
"""

from django.db.models import Count, Prefetch, Q, QuerySet

from safecampus.accounts.models import Role, User
from safecampus.core.activity import activity_for

from ..models import Partner, PartnerLiaison
from ..rules import liaison_partner_id


def partners_visible_to(user) -> QuerySet[Partner]:
    """Partners ``user`` may see (none without ``police.view_partners``)."""
    if not user.has_perm("police.view_partners"):
        return Partner.objects.none()
    rows = Partner.objects.all()
    if not user.scope.sees_everything:
        rows = rows.filter(pk=liaison_partner_id(user) or 0)
    return rows


def _liaisons():
    return Prefetch("liaisons", queryset=PartnerLiaison.objects.filter(is_active=True)
                    .select_related("user").order_by("id"), to_attr="active_liaisons")


def partner_list(user, *, kind: str = "", active: str = "") -> QuerySet[Partner]:
    """Visible partners with their campuses and active liaisons prefetched (two queries more,
    whatever the page's size); ``active``: "1" only active, "0" only inactive."""
    rows = partners_visible_to(user)
    if kind:
        rows = rows.filter(kind=kind)
    if active in ("0", "1"):
        rows = rows.filter(is_active=active == "1")
    return (rows.prefetch_related("campuses", _liaisons())
            .order_by("-is_active", "kind", "code"))


def partner_detail(user, pk) -> Partner | None:
    """One visible partner with campuses, all liaisons (active first) and counts of its
    bulletins, meetings and open actions; None when absent or not visible."""
    return (partners_visible_to(user).filter(pk=pk)
            .prefetch_related("campuses", Prefetch(
                "liaisons", queryset=PartnerLiaison.objects.select_related("user")
                .order_by("-is_active", "id"), to_attr="all_liaisons"))
            .annotate(bulletin_count=Count("bulletins", distinct=True),
                      meeting_count=Count("meetings", distinct=True),
                      open_action_count=Count("actions", filter=Q(actions__state="open"),
                                              distinct=True))
            .first())


def partner_choices(*, active_only: bool = True) -> list[tuple[int, str]]:
    rows = Partner.objects.order_by("kind", "code")
    if active_only:
        rows = rows.filter(is_active=True)
    return list(rows.values_list("pk", "name"))


def liaison_candidates() -> QuerySet[User]:
    """The "existing user" pick list of adding a liaison: active users holding the police
    liaison role, or having held one, who speak for no partner now (a short list: the
    university's thousands of students and staff are not offered)."""
    return (User.objects.filter(is_active=True)
            .filter(Q(memberships__role=Role.POLICE_LIAISON) | Q(police_liaison__isnull=False))
            .exclude(police_liaison__is_active=True).distinct().order_by("username"))


def liaison_user_search(text: str, *, limit: int = 20) -> list[User]:
    """The "existing user" suggestions of adding a liaison: active users whose user name, full
    name or staff/student number contains ``text`` (stripped; at least one character) and who
    speak for no partner now, by user name; at most ``limit``. Without ``text``: the
    :func:`liaison_candidates` (former liaisons and liaison-role holders)."""
    text = (text or "").strip()[:64]
    if not text:
        return list(liaison_candidates().only("pk", "username", "full_name",
                                              "employee_number")[:limit])
    return list(User.objects.filter(is_active=True)
                .filter(Q(username__icontains=text) | Q(full_name__icontains=text)
                        | Q(employee_number__icontains=text))
                .exclude(police_liaison__is_active=True)
                .only("pk", "username", "full_name", "employee_number")
                .order_by("username")[:limit])


def liaisons_active() -> QuerySet[PartnerLiaison]:
    """Active liaisons of active partners, with user and partner (pick lists of meetings)."""
    return (PartnerLiaison.objects.filter(is_active=True, partner__is_active=True)
            .select_related("user", "partner").order_by("partner__kind", "partner__code", "id"))


def partner_timeline(partner: Partner):
    """The partner's timeline (created, edited, liaisons added and deactivated), newest first."""
    return activity_for(partner).order_by("-occurred_at", "-pk")
