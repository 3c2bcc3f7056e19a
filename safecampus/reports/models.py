"""Safety work reports (安全工作月报/季报) and the schedules that send them.

A :class:`SafetyReport` covers one period (a month, a quarter or any run of local days) for
one campus or the whole university (``campus`` empty). It is generated in the background:

    queued ──start──▶ running ──finish──▶ done
                         └──────fail──────▶ failed ──retry──▶ queued

``progress`` (0–100) and ``step`` say how far the generation is, written in short
transactions of their own so that the report's page can show them while it runs; each also
sets ``heartbeat_at``. A queued or running report silent for longer than
``SAFECAMPUS["REPORT_STUCK_MINUTES"]`` (a worker killed mid-build, a lost task) is marked
failed by a periodic sweep; ``failures`` counts the failed generations (a scheduled report is
retried automatically up to ``SAFECAMPUS["REPORT_AUTO_RETRIES"]`` times). The PDF and
the Word file are private: they are served only by ``reports:file``, which checks
``reports.view_report``, never from ``MEDIA_URL``.

A :class:`ReportSchedule` asks for the report of the last complete month or quarter on its
``send_day`` of the month after the period and sends it to its recipients; a scheduled
report is unique per (schedule, period), so a re-run or an overlapping run creates nothing
new.
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from safecampus.core.models import BaseModel


class ReportKind(models.TextChoices):
    MONTH = "month", _("Monthly report")  # 安全工作月报
    QUARTER = "quarter", _("Quarterly report")  # 安全工作季报
    CUSTOM = "custom", _("Report for a chosen period")  # 专题/任意统计期


class ReportSchedule(BaseModel):
    """Every month (or quarter) on ``send_day`` (1–28), the report of the period just ended
    for ``campus`` (empty: the whole university) goes to ``recipients``."""

    class Kind(models.TextChoices):
        MONTH = "month", _("Monthly report")
        QUARTER = "quarter", _("Quarterly report")

    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices, default=Kind.MONTH)
    campus = models.ForeignKey("organisation.Campus", null=True, blank=True,
                               on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("campus"),
                               help_text=_("Empty: the whole university."))
    send_day = models.PositiveSmallIntegerField(
        _("send on day"), default=1, validators=[MinValueValidator(1), MaxValueValidator(28)],
        help_text=_("Day of the month after the period (1–28) on which the report is sent."))
    recipients = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="+",
                                        verbose_name=_("recipients"))
    active = models.BooleanField(_("active"), default=True, db_index=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+",
                                   verbose_name=_("created by"))

    class Meta:
        verbose_name = _("report schedule")
        verbose_name_plural = _("report schedules")
        ordering = ["-active", "name", "id"]
        indexes = [models.Index(fields=["active", "send_day"])]

    def __str__(self) -> str:
        return self.name


class SafetyReport(ConcurrentTransitionMixin, BaseModel):
    class State(models.TextChoices):
        QUEUED = "queued", _("Queued")  # 排队中
        RUNNING = "running", _("Generating")  # 生成中
        DONE = "done", _("Ready")  # 已生成
        FAILED = "failed", _("Failed")  # 生成失败

    class Step(models.TextChoices):
        """What the generation is doing now (shown beside the progress bar)."""

        WAITING = "", _("Waiting for the report worker")  # 等待生成
        FIGURES = "figures", _("Computing the figures")  # 统计数据
        CHARTS = "charts", _("Drawing the charts")  # 绘制图表
        PDF = "pdf", _("Writing the PDF")  # 生成 PDF
        WORD = "word", _("Writing the Word document")  # 生成 Word
        SAVING = "saving", _("Saving the files")  # 保存文件
        DONE = "done", _("Done")  # 完成

    kind = models.CharField(_("kind"), max_length=8, choices=ReportKind.choices, db_index=True)
    period_first = models.DateField(_("first day"), help_text=_("Local date (Asia/Shanghai)."))
    period_last = models.DateField(_("last day"), help_text=_("Local date, included."))
    period_key = models.CharField(_("period"), max_length=32, db_index=True)
    campus = models.ForeignKey("organisation.Campus", null=True, blank=True,
                               on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("campus"))
    state = FSMField(_("state"), max_length=8, choices=State.choices, default=State.QUEUED,
                     protected=True, db_index=True)
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    step = models.CharField(_("step"), max_length=16, choices=Step.choices, blank=True)
    pdf = models.FileField(_("PDF"), upload_to="reports/%Y/", blank=True, max_length=200)
    docx = models.FileField(_("Word document"), upload_to="reports/%Y/", blank=True,
                            max_length=200)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="+",
                                     verbose_name=_("requested by"))
    schedule = models.ForeignKey(ReportSchedule, null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="reports",
                                 verbose_name=_("schedule"))
    is_empty = models.BooleanField(_("no records in the period"), default=False)
    error = models.TextField(_("error"), blank=True)
    generated_at = models.DateTimeField(_("generated at"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    heartbeat_at = models.DateTimeField(
        _("last sign of life"), null=True, blank=True, db_index=True,
        help_text=_("When the report was queued or last moved on; a queued or running report "
                    "silent for longer than the stuck limit is marked failed."))
    failures = models.PositiveSmallIntegerField(
        _("failed generations"), default=0,
        help_text=_("How many times the generation failed (a scheduled report is retried "
                    "automatically a few times)."))

    class Meta:
        verbose_name = _("safety work report")
        verbose_name_plural = _("safety work reports")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["campus", "-created_at"]),
                   models.Index(fields=["kind", "-created_at"])]
        constraints = [models.UniqueConstraint(
            fields=["schedule", "period_key"], condition=models.Q(schedule__isnull=False),
            name="reports_one_per_schedule_and_period")]

    def __str__(self) -> str:
        return f"{self.period_key} {self.campus_id or '*'}"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("reports:detail", args=[self.pk])

    @property
    def period(self):
        """The report's :class:`~safecampus.dashboards.periods.Period` (local days)."""
        from safecampus.dashboards.periods import Period

        return Period(self.kind, self.period_first, self.period_last)

    @property
    def in_progress(self) -> bool:
        return self.state in (self.State.QUEUED, self.State.RUNNING)

    @transition(field=state, source=State.QUEUED, target=State.RUNNING)
    def start(self) -> None:
        """The task took the report."""

    @transition(field=state, source=State.RUNNING, target=State.DONE)
    def finish(self) -> None:
        """Both files are written."""

    @transition(field=state, source=[State.QUEUED, State.RUNNING], target=State.FAILED)
    def fail(self) -> None:
        """Generation stopped with an error (kept in ``error``)."""

    @transition(field=state, source=State.FAILED, target=State.QUEUED)
    def retry(self) -> None:
        """Queued again after a failure."""
