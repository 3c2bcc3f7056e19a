"""What the office administrator needs to see of the running installation.

- :class:`Backup`: one run of ``manage.py backup`` or ``manage.py restore`` (or of the
  nightly backup task): when, by which host, the archive's name, size and SHA-256, and how
  it ended. The operations page shows the last successful backup from here.
- :class:`ScheduledRun`: the last run of each periodic task (``huey`` task name), written by
  the consumer's signal handler whatever the task's module: started, finished, how it ended,
  how long it took, and running counts of runs and failures.
- :class:`WorkerHeartbeat`: each task consumer (``host:pid``) records itself every minute;
  a consumer silent for more than a few minutes is shown as gone.

Times are aware UTC datetimes, shown in Asia/Shanghai.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from safecampus.core.models import BaseModel


class Backup(BaseModel):
    class Kind(models.TextChoices):
        BACKUP = "backup", _("Backup")
        RESTORE = "restore", _("Restore")

    class State(models.TextChoices):
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.BACKUP)
    state = models.CharField(_("state"), max_length=10, choices=State.choices,
                             default=State.RUNNING, db_index=True)
    started_at = models.DateTimeField(_("started at"))
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    archive_name = models.CharField(_("archive"), max_length=255, blank=True)
    location = models.CharField(_("folder"), max_length=500, blank=True)
    size_bytes = models.BigIntegerField(_("size (bytes)"), null=True, blank=True)
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True)
    database_vendor = models.CharField(_("database"), max_length=20, blank=True)
    row_count = models.BigIntegerField(_("rows"), null=True, blank=True)
    file_count = models.IntegerField(_("files"), null=True, blank=True)
    version = models.CharField(_("version"), max_length=40, blank=True)
    host = models.CharField(_("host"), max_length=100, blank=True)
    message = models.TextField(_("message"), blank=True)

    class Meta:
        ordering = ["-started_at", "-pk"]
        verbose_name = _("backup")
        verbose_name_plural = _("backups")

    def __str__(self) -> str:
        return self.archive_name or f"{self.get_kind_display()} {self.started_at:%Y-%m-%d %H:%M}"


class ScheduledRun(models.Model):
    class State(models.TextChoices):
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    task_name = models.CharField(_("task"), max_length=200, unique=True)
    last_started_at = models.DateTimeField(_("last started"), null=True, blank=True)
    last_finished_at = models.DateTimeField(_("last finished"), null=True, blank=True)
    last_state = models.CharField(_("last state"), max_length=10, choices=State.choices,
                                  blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    last_duration_ms = models.IntegerField(_("last duration (ms)"), null=True, blank=True)
    runs = models.PositiveIntegerField(_("runs"), default=0)
    failures = models.PositiveIntegerField(_("failures"), default=0)

    class Meta:
        ordering = ["task_name"]
        verbose_name = _("scheduled run")
        verbose_name_plural = _("scheduled runs")

    def __str__(self) -> str:
        return self.task_name


class WorkerHeartbeat(models.Model):
    name = models.CharField(_("consumer"), max_length=150, unique=True)
    started_at = models.DateTimeField(_("started at"))
    seen_at = models.DateTimeField(_("last seen"), db_index=True)

    class Meta:
        ordering = ["-seen_at"]
        verbose_name = _("task consumer")
        verbose_name_plural = _("task consumers")

    def __str__(self) -> str:
        return self.name
