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


OFFICE_ROLES = frozenset({Role.OFFICE_ADMIN, Role.OFFICE_STAFF})
UNIT_ROLES = frozenset({Role.UNIT_SAFETY_CONTACT, Role.UNIT_LEADER})


class User(AbstractUser):
    """A person who signs in. ``full_name`` is the Chinese name shown everywhere."""

    full_name = models.CharField(_("full name"), max_length=64, blank=True)
    phone = models.CharField(_("mobile phone"), max_length=20, blank=True)
    employee_number = models.CharField(_("staff or student number"), max_length=32, blank=True)

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

    def __init__(self, roles, unit_ids, zone_ids, campus_ids, unit_roles):
        self.roles: frozenset[str] = frozenset(roles)
        self.unit_ids: frozenset[int] = frozenset(unit_ids)
        self.zone_ids: frozenset[int] = frozenset(zone_ids)
        self.campus_ids: frozenset[int] = frozenset(campus_ids)
        self.unit_roles: dict[int, set[str]] = unit_roles

    @classmethod
    def for_user(cls, user) -> "Scope":
        if not getattr(user, "is_authenticated", False):
            return cls((), (), (), (), {})
        roles, units, zones, campuses, unit_roles = set(), set(), set(), set(), {}
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
        if user.is_superuser:
            roles.add(Role.OFFICE_ADMIN)
        return cls(roles, units, zones, campuses, unit_roles)

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
