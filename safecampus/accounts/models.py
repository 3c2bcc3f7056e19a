"""Users, their roles and where each role applies (unit, zone or campus).

A person may hold several memberships: a teacher can be a unit safety contact of his
college and a community member at once. Permissions (``rules.py``) read memberships.
"""

from functools import cached_property

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from safecampus.core.models import BaseModel


class Role(models.TextChoices):
    OFFICE_ADMIN = "office_admin", _("Office administrator")  # 保卫处管理员 / 处领导
    OFFICE_STAFF = "office_staff", _("Office staff / inspector")  # 保卫处工作人员 / 检查员
    GUARD = "guard", _("Guard")  # 校卫队 / 特勤
    GRID_HEAD = "grid_head", _("Grid head")  # 网格长
    GRID_OFFICER = "grid_officer", _("Grid officer")  # 网格员
    UNIT_SAFETY_CONTACT = "unit_safety_contact", _("Unit safety contact")  # 单位安全员
    UNIT_LEADER = "unit_leader", _("Unit leader")  # 单位负责人
    POLICE_LIAISON = "police_liaison", _("Police liaison")  # 联络民警
    LEADERSHIP = "leadership", _("University leadership")  # 校领导 (read-only)
    COMMUNITY_MEMBER = "community_member", _("Student or staff member")  # 师生
    COUNSELLOR = "counsellor", _("College counsellor")  # 辅导员 (scoped to a college)


OFFICE_ROLES = frozenset({Role.OFFICE_ADMIN, Role.OFFICE_STAFF})
UNIT_ROLES = frozenset({Role.UNIT_SAFETY_CONTACT, Role.UNIT_LEADER})


class User(AbstractUser):
    """A person who signs in. ``full_name`` is the Chinese name shown everywhere."""

    full_name = models.CharField(_("full name"), max_length=64, blank=True)
    phone = models.CharField(_("mobile phone"), max_length=20, blank=True)
    employee_number = models.CharField(_("staff or student number"), max_length=32, blank=True)
    # Single sign-on never maps a CAS person onto an administrator account, nor (when matching
    # by user name) onto an account with its own password, unless the office ticks this.
    cas_linked = models.BooleanField(
        _("linked to unified identity authentication"), default=False,
        help_text=_("Lets the unified identity authentication (CAS) sign this account in even "
                    "though it is an administrator or has its own password."))
    # Raised when two-factor authentication is turned on: every session started before it ends.
    session_generation = models.PositiveIntegerField(_("session generation"), default=0,
                                                     editable=False)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["username"]

    def __str__(self) -> str:
        return self.full_name or self.username

    @cached_property
    def scope(self) -> "Scope":
        """The user's roles and their unit/zone/campus ids, loaded once per request."""
        return Scope.for_user(self)


class Membership(BaseModel):
    """The user holds ``role``, in ``unit`` / ``zone`` / ``campus`` when the role is scoped."""

    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("user")
    )
    role = models.CharField(_("role"), max_length=32, choices=Role.choices, db_index=True)
    unit = models.ForeignKey(
        "organisation.Unit",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="memberships",
        verbose_name=_("unit"),
    )
    zone = models.ForeignKey(
        "organisation.Zone",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="memberships",
        verbose_name=_("zone"),
    )
    campus = models.ForeignKey(
        "organisation.Campus",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="memberships",
        verbose_name=_("campus"),
    )

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        ordering = ["user_id", "role"]
        indexes = [models.Index(fields=["role", "unit"]), models.Index(fields=["role", "zone"])]

    def __str__(self) -> str:
        where = self.unit or self.zone or self.campus or ""
        return f"{self.user} · {self.get_role_display()} {where}".strip()


class Scope:
    """What a user is and where: computed once from memberships (one query)."""

    def __init__(self, roles, unit_ids, zone_ids, campus_ids, unit_roles, area_campus_ids=None):
        self.roles: frozenset[str] = frozenset(roles)
        self.unit_ids: frozenset[int] = frozenset(unit_ids)
        self.zone_ids: frozenset[int] = frozenset(zone_ids)
        self.campus_ids: frozenset[int] = frozenset(campus_ids)
        self.unit_roles: dict[int, set[str]] = unit_roles
        #: Campuses the user works on for the university (guards and others scoped to a
        #: campus): a police liaison's campuses are the ones their partner serves, which
        #: shows them what the office shares with partners, not everything on the campus.
        self.area_campus_ids: frozenset[int] = frozenset(
            campus_ids if area_campus_ids is None else area_campus_ids)

    @classmethod
    def for_user(cls, user) -> "Scope":
        if not getattr(user, "is_authenticated", False):
            return cls((), (), (), (), {})
        roles, units, zones, campuses, unit_roles = set(), set(), set(), set(), {}
        area_campuses = set()
        for role, unit_id, zone_id, campus_id in Membership.objects.filter(user=user).values_list(
            "role", "unit_id", "zone_id", "campus_id"
        ):
            roles.add(role)
            if unit_id:
                units.add(unit_id)
                unit_roles.setdefault(unit_id, set()).add(role)
            if zone_id:
                zones.add(zone_id)
            if campus_id:
                campuses.add(campus_id)
                if role != Role.POLICE_LIAISON:
                    area_campuses.add(campus_id)
        if user.is_superuser:
            roles.add(Role.OFFICE_ADMIN)
        return cls(roles, units, zones, campuses, unit_roles, area_campuses)

    @property
    def is_office(self) -> bool:
        return bool(self.roles & OFFICE_ROLES)

    @property
    def is_office_admin(self) -> bool:
        return Role.OFFICE_ADMIN in self.roles

    @property
    def is_leadership(self) -> bool:
        return Role.LEADERSHIP in self.roles

    @property
    def sees_everything(self) -> bool:
        """Office staff and leadership see the whole campus (leadership read-only)."""
        return self.is_office or self.is_leadership

    def acts_for_unit(self, unit_id: int | None) -> bool:
        """True if the user is a safety contact or leader of unit ``unit_id``."""
        return bool(unit_id) and bool(self.unit_roles.get(unit_id, set()) & UNIT_ROLES)


class Affiliation(BaseModel):
    """Where a student or member of staff belongs: college, year group, class, dormitory.

    One row per person (学籍/人事 roster, imported by the office). Targeted warnings, quiz
    assignments, education coverage and statistics by college read it; a person without an
    affiliation is reached only by audiences of "everyone".
    ``enrolment_year`` is the year group (年级, e.g. 2024 for 2024级); staff have none.
    """

    class Kind(models.TextChoices):
        STUDENT = "student", _("Student")
        STAFF = "staff", _("Staff member")

    user = models.OneToOneField(
        User, on_delete=models.CASCADE, related_name="affiliation", verbose_name=_("user")
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, db_index=True)
    campus = models.ForeignKey(
        "organisation.Campus", null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+", verbose_name=_("campus"),
    )
    college = models.ForeignKey(
        "organisation.Unit", null=True, blank=True, on_delete=models.SET_NULL,
        related_name="affiliations", verbose_name=_("college or unit"),
    )
    enrolment_year = models.PositiveSmallIntegerField(
        _("year group"), null=True, blank=True, db_index=True
    )
    class_group = models.ForeignKey(
        "organisation.ClassGroup", null=True, blank=True, on_delete=models.SET_NULL,
        related_name="affiliations", verbose_name=_("class"),
    )
    dormitory = models.ForeignKey(
        "organisation.Building", null=True, blank=True, on_delete=models.SET_NULL,
        related_name="residents", verbose_name=_("dormitory building"),
    )
    room = models.CharField(_("room"), max_length=16, blank=True)

    class Meta:
        verbose_name = _("affiliation")
        verbose_name_plural = _("affiliations")
        ordering = ["user_id"]
        indexes = [
            models.Index(fields=["college", "enrolment_year"]),
            models.Index(fields=["campus", "kind"]),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.college or ''} {self.enrolment_year or ''}".strip()


class AudienceKind(models.TextChoices):
    """Who a warning or a quiz is for (one group per row)."""

    EVERYONE = "everyone", _("Everyone")
    CAMPUS = "campus", _("A campus")
    COLLEGE = "college", _("A college")
    YEAR = "year", _("A year group")
    CLASS = "class", _("A class")


class Audience(models.Model):
    """Abstract: one target group. Which fields must be set depends on ``audience_kind``:
    campus → ``audience_campus``; college → ``audience_unit`` (optionally narrowed by
    ``audience_year``); year → ``audience_year`` (optionally narrowed by ``audience_campus``);
    class → ``audience_class``. Resolved to people by :mod:`safecampus.notifications.audiences`.
    """

    audience_kind = models.CharField(
        _("audience"), max_length=16, choices=AudienceKind.choices, default=AudienceKind.EVERYONE
    )
    audience_campus = models.ForeignKey(
        "organisation.Campus", null=True, blank=True, on_delete=models.PROTECT,
        related_name="+", verbose_name=_("campus"),
    )
    audience_unit = models.ForeignKey(
        "organisation.Unit", null=True, blank=True, on_delete=models.PROTECT,
        related_name="+", verbose_name=_("college"),
    )
    audience_year = models.PositiveSmallIntegerField(_("year group"), null=True, blank=True)
    audience_class = models.ForeignKey(
        "organisation.ClassGroup", null=True, blank=True, on_delete=models.PROTECT,
        related_name="+", verbose_name=_("class"),
    )

    class Meta:
        abstract = True
