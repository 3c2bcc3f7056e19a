"""Where things are and who is responsible: campuses, zones (grids), buildings, places, units.

Map positions (``map_x``/``map_y``) are percentages (0–100) of the width and height of the
campus map image, measured from its top-left corner.
"""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from safecampus.core.models import BaseModel

PERCENT = [MinValueValidator(0), MaxValueValidator(100)]


class Campus(BaseModel):
    """One site of the university (校区)."""

    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=64, unique=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    map_image = models.FileField(_("campus map image"), upload_to="campus-maps/", blank=True)
    sort_order = models.PositiveSmallIntegerField(_("sort order"), default=0)

    class Meta:
        verbose_name = _("campus")
        verbose_name_plural = _("campuses")
        ordering = ["sort_order", "id"]

    def __str__(self) -> str:
        return self.name


class Zone(BaseModel):
    """A grid (网格) of a campus with named people responsible for it."""

    campus = models.ForeignKey(
        Campus, on_delete=models.PROTECT, related_name="zones", verbose_name=_("campus")
    )
    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=64)

    class Meta:
        verbose_name = _("zone")
        verbose_name_plural = _("zones")
        ordering = ["campus_id", "code"]

    def __str__(self) -> str:
        return f"{self.campus.name} · {self.name}"


class Unit(BaseModel):
    """A college, residential college, office, lab, logistics team or contractor (单位)."""

    class Kind(models.TextChoices):
        COLLEGE = "college", _("College")  # 学院
        RESIDENTIAL_COLLEGE = "residential_college", _("Residential college")  # 书院
        OFFICE = "office", _("Administrative office")  # 职能部门
        LAB = "lab", _("Laboratory or institute")  # 实验室 / 研究院
        LOGISTICS = "logistics", _("Logistics and services")  # 后勤
        CONTRACTOR = "contractor", _("Contractor")  # 外包 / 驻校单位
        SECURITY_OFFICE = "security_office", _("Security office")  # 保卫处

    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100, unique=True)
    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices, db_index=True)
    phone = models.CharField(_("office phone"), max_length=32, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("unit")
        verbose_name_plural = _("units")
        ordering = ["kind", "code"]

    def __str__(self) -> str:
        return self.name


#: Units students belong to: colleges (学院) and residential colleges (书院).
STUDENT_UNIT_KINDS = (Unit.Kind.COLLEGE, Unit.Kind.RESIDENTIAL_COLLEGE)


class Building(BaseModel):
    """A building or a named outdoor area of a campus (楼宇)."""

    campus = models.ForeignKey(
        Campus, on_delete=models.PROTECT, related_name="buildings", verbose_name=_("campus")
    )
    zone = models.ForeignKey(
        Zone,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="buildings",
        verbose_name=_("zone"),
    )
    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    unit = models.ForeignKey(
        Unit,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="buildings",
        verbose_name=_("managing unit"),
    )
    map_x = models.DecimalField(
        _("map x (%)"), max_digits=5, decimal_places=2, null=True, blank=True, validators=PERCENT
    )
    map_y = models.DecimalField(
        _("map y (%)"), max_digits=5, decimal_places=2, null=True, blank=True, validators=PERCENT
    )

    class Meta:
        verbose_name = _("building")
        verbose_name_plural = _("buildings")
        ordering = ["campus_id", "code"]

    def __str__(self) -> str:
        return self.name


class RiskLevel(models.TextChoices):
    """The four grades of the risk register and their map colours (四色图)."""

    MAJOR = "major", _("Major risk (red)")  # 重大风险 红
    HIGH = "high", _("High risk (orange)")  # 较大风险 橙
    MODERATE = "moderate", _("Moderate risk (yellow)")  # 一般风险 黄
    LOW = "low", _("Low risk (blue)")  # 低风险 蓝


class Place(BaseModel):
    """A room, lab, road, gate, car park, canteen or other spot (场所/点位)."""

    class Kind(models.TextChoices):
        ROOM = "room", _("Room or office")
        LAB = "lab", _("Laboratory")
        DORMITORY = "dormitory", _("Dormitory")
        CANTEEN = "canteen", _("Canteen")
        ROAD = "road", _("Road")
        GATE = "gate", _("Gate")
        CAR_PARK = "car_park", _("Car park")
        OUTDOOR = "outdoor", _("Outdoor area")
        OTHER = "other", _("Other")

    campus = models.ForeignKey(
        Campus, on_delete=models.PROTECT, related_name="places", verbose_name=_("campus")
    )
    zone = models.ForeignKey(
        Zone,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="places",
        verbose_name=_("zone"),
    )
    building = models.ForeignKey(
        Building,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="places",
        verbose_name=_("building"),
    )
    code = models.SlugField(_("code"), max_length=48, unique=True)
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.ROOM)
    unit = models.ForeignKey(
        Unit,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="places",
        verbose_name=_("responsible unit"),
    )
    risk_level = models.CharField(
        _("risk level"), max_length=16, choices=RiskLevel.choices, blank=True, db_index=True
    )
    map_x = models.DecimalField(
        _("map x (%)"), max_digits=5, decimal_places=2, null=True, blank=True, validators=PERCENT
    )
    map_y = models.DecimalField(
        _("map y (%)"), max_digits=5, decimal_places=2, null=True, blank=True, validators=PERCENT
    )

    class Meta:
        verbose_name = _("place")
        verbose_name_plural = _("places")
        ordering = ["campus_id", "building_id", "code"]
        indexes = [models.Index(fields=["campus", "building"])]

    def __str__(self) -> str:
        if self.building_id:
            return f"{self.building.name} {self.name}"
        return self.name

    @property
    def owning_unit_id(self) -> int | None:
        """The place's own unit, else its building's managing unit."""
        if self.unit_id:
            return self.unit_id
        return self.building.unit_id if self.building_id else None


class ClassGroup(BaseModel):
    """A class of students (班级) in a college and year group, e.g. 化工2301."""

    college = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="class_groups", verbose_name=_("college")
    )
    enrolment_year = models.PositiveSmallIntegerField(_("year group"))
    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=64)
    campus = models.ForeignKey(
        Campus, null=True, blank=True, on_delete=models.SET_NULL, related_name="class_groups",
        verbose_name=_("campus"),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("class")
        verbose_name_plural = _("classes")
        ordering = ["college_id", "enrolment_year", "code"]

    def __str__(self) -> str:
        return self.name
