"""Gate records (出入记录): what the gate cameras saw, imported from their CSV exports.

A gate record is one pass of one plate through one gate, in or out, at an aware UTC moment.
Records arrive in large files (a campus gate sees tens of thousands of passes a day); they
are imported whole or not at all, and read by long-stay detection (a vehicle inside for more
than N days without an exit becomes an abandoned-vehicle candidate) and by the statistics.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from safecampus.core.models import BaseModel


class Gate(BaseModel):
    """A campus gate with a plate camera (校门 / 道闸). ``code`` is how its files name it."""

    campus = models.ForeignKey("organisation.Campus", on_delete=models.PROTECT,
                               related_name="gates", verbose_name=_("campus"))
    name = models.CharField(_("name"), max_length=64)
    code = models.CharField(_("code in the camera files"), max_length=32, unique=True)
    place = models.ForeignKey("organisation.Place", null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="gates",
                              verbose_name=_("place"))
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("gate")
        verbose_name_plural = _("gates")
        ordering = ["campus_id", "name"]

    def __str__(self) -> str:
        return self.name


class GateImport(BaseModel):
    """One uploaded gate-camera file, from upload to import (出入记录导入)."""

    class State(models.TextChoices):
        UPLOADED = "uploaded", _("Uploaded")  # 已上传
        RUNNING = "running", pgettext_lazy("import", "Importing")  # 导入中
        REJECTED = "rejected", _("Problems found")  # 校验未通过
        IMPORTED = "imported", _("Imported")  # 已导入

    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True,
                                   on_delete=models.SET_NULL, related_name="+",
                                   verbose_name=_("uploaded by"))
    file = models.FileField(_("file"), upload_to="imports/gates/%Y/%m/")
    original_name = models.CharField(_("file name"), max_length=200)
    #: SHA-256 of the file: the same file is imported once.
    digest = models.CharField(_("file digest"), max_length=64, db_index=True)
    state = models.CharField(_("state"), max_length=16, choices=State.choices,
                             default=State.UPLOADED, db_index=True)
    plan = models.JSONField(_("column mapping"), default=dict, blank=True)
    #: Rows read so far (progress while running; the file's rows when done).
    rows_read = models.PositiveIntegerField(_("rows read"), default=0)
    error_count = models.PositiveIntegerField(_("problems found"), default=0)
    #: The first problems found, ``[{"row": 12, "column": "plate", "message": "…"}, …]``.
    errors = models.JSONField(_("problems"), default=list, blank=True)
    imported_count = models.PositiveIntegerField(_("records imported"), default=0)
    first_passed_at = models.DateTimeField(_("earliest record"), null=True, blank=True)
    last_passed_at = models.DateTimeField(_("latest record"), null=True, blank=True)
    imported_at = models.DateTimeField(_("imported at"), null=True, blank=True)

    class Meta:
        verbose_name = _("gate-record import")
        verbose_name_plural = _("gate-record imports")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.original_name


class GateRecord(models.Model):
    """One pass through a gate. Kept lean (no BaseModel timestamps): there are millions.

    ``plate`` is the normal form, or empty for a vehicle the camera saw without a plate.
    """

    class Direction(models.TextChoices):
        IN = "in", pgettext_lazy("gate", "In")  # 入
        OUT = "out", pgettext_lazy("gate", "Out")  # 出

    id = models.BigAutoField(primary_key=True)
    gate = models.ForeignKey(Gate, on_delete=models.PROTECT, related_name="records",
                             verbose_name=_("gate"))
    plate = models.CharField(_("plate number"), max_length=8)
    direction = models.CharField(_("direction"), max_length=3, choices=Direction.choices)
    passed_at = models.DateTimeField(_("passed at"))
    batch = models.ForeignKey(GateImport, on_delete=models.CASCADE, related_name="records",
                              verbose_name=_("import"))

    class Meta:
        verbose_name = _("gate record")
        verbose_name_plural = _("gate records")
        ordering = ["-passed_at", "-id"]
        indexes = [
            models.Index(fields=["plate", "passed_at"], name="traffic_gate_plate_time"),
            models.Index(fields=["gate", "passed_at"], name="traffic_gate_gate_time"),
            models.Index(fields=["passed_at"], name="traffic_gate_time"),
        ]

    def __str__(self) -> str:
        return f"{self.plate} {self.direction} {self.passed_at:%Y-%m-%d %H:%M}"
