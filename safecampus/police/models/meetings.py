"""Joint meetings of the office and its police partners (联席会议, 研判会).

A meeting is planned with an agenda and attendees, held (minutes recorded) or cancelled. Its
decisions are :class:`MeetingAction` rows with an owner on the campus side (a unit and a
person) or the police side (a partner and a liaison) and a due date, followed to done. Every
action still open when a later meeting is planned is carried onto that meeting's agenda as
an :class:`AgendaItem` (``carried_action``) automatically, so nothing decided is forgotten.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from safecampus.core.models import BaseModel


class Meeting(ConcurrentTransitionMixin, BaseModel):
    class Kind(models.TextChoices):
        JOINT = "joint", _("Joint meeting")  # 警校联席会议
        ASSESSMENT = "assessment", _("Risk assessment meeting")  # 安全形势研判会
        SPECIAL = "special", _("Special meeting")  # 专题会议

    class State(models.TextChoices):
        PLANNED = "planned", _("Planned")  # 待召开
        HELD = "held", _("Held")  # 已召开
        CANCELLED = "cancelled", _("Cancelled")  # 已取消

    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices,
                            default=Kind.JOINT, db_index=True)
    title = models.CharField(_("title"), max_length=200)
    campus = models.ForeignKey("organisation.Campus", null=True, blank=True,
                               on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("campus"),
                               help_text=_("Leave empty for the whole university."))
    starts_at = models.DateTimeField(_("starts at"), db_index=True)
    location = models.CharField(_("location"), max_length=200, blank=True)
    partners = models.ManyToManyField("police.Partner", related_name="meetings",
                                      verbose_name=_("partners taking part"), blank=True)
    chair = models.CharField(_("chaired by"), max_length=64, blank=True)
    minutes = models.TextField(_("minutes"), blank=True)
    state = FSMField(_("state"), max_length=12, choices=State.choices, default=State.PLANNED,
                     protected=True, db_index=True)
    held_at = models.DateTimeField(_("minutes recorded at"), null=True, blank=True)
    cancel_reason = models.CharField(_("reason for cancelling"), max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True,
                                   on_delete=models.SET_NULL, related_name="+",
                                   verbose_name=_("planned by"))

    class Meta:
        verbose_name = _("joint meeting")
        verbose_name_plural = _("joint meetings")
        ordering = ["-starts_at", "-id"]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("police:meeting_detail", args=[self.pk])

    @transition(field=state, source=State.PLANNED, target=State.HELD)
    def hold(self) -> None:
        """Planned → held: the minutes are recorded."""

    @transition(field=state, source=State.PLANNED, target=State.CANCELLED)
    def cancel(self) -> None:
        """Planned → cancelled (its carried-over items go on to the next meeting)."""


class Side(models.TextChoices):
    CAMPUS = "campus", _("Campus side")  # 校方
    POLICE = "police", _("Police side")  # 警方


class MeetingAttendee(BaseModel):
    """Someone at the meeting: a user, or a name with their organisation."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="attendees",
                                verbose_name=_("meeting"))
    side = models.CharField(_("side"), max_length=8, choices=Side.choices)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                             on_delete=models.SET_NULL, related_name="+",
                             verbose_name=_("user"))
    name = models.CharField(_("name"), max_length=64)
    organisation = models.CharField(_("unit or agency"), max_length=100, blank=True)
    post = models.CharField(_("post"), max_length=64, blank=True)
    attended = models.BooleanField(_("attended"), default=True)

    class Meta:
        verbose_name = _("attendee")
        verbose_name_plural = _("attendees")
        ordering = ["meeting_id", "side", "id"]

    def __str__(self) -> str:
        return self.name


class MeetingAction(ConcurrentTransitionMixin, BaseModel):
    """A decision to act (会议决定事项 / 督办事项) with an owner and a due date."""

    class State(models.TextChoices):
        OPEN = "open", _("Open")  # 办理中
        DONE = "done", _("Done")  # 已办结
        CANCELLED = "cancelled", _("Dropped")  # 已撤销

    meeting = models.ForeignKey(Meeting, on_delete=models.PROTECT, related_name="actions",
                                verbose_name=_("decided at"))
    number = models.PositiveSmallIntegerField(_("number"))
    title = models.CharField(_("decision"), max_length=200)
    detail = models.TextField(_("detail"), blank=True)
    side = models.CharField(_("owner side"), max_length=8, choices=Side.choices)
    owner_unit = models.ForeignKey("organisation.Unit", null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("responsible unit"))
    owner_partner = models.ForeignKey("police.Partner", null=True, blank=True,
                                      on_delete=models.PROTECT, related_name="actions",
                                      verbose_name=_("responsible partner"))
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="+",
                              verbose_name=_("responsible person"))
    due_on = models.DateField(_("due on"), db_index=True)
    state = FSMField(_("state"), max_length=12, choices=State.choices, default=State.OPEN,
                     protected=True, db_index=True)
    progress = models.TextField(_("latest progress"), blank=True)
    completed_at = models.DateTimeField(_("done at"), null=True, blank=True)
    completion_note = models.TextField(_("how it was done"), blank=True)
    # The overdue sweep reminds the owner once per action (idempotent).
    overdue_reminded_at = models.DateTimeField(_("overdue reminder sent at"), null=True,
                                               blank=True)

    class Meta:
        verbose_name = _("meeting action")
        verbose_name_plural = _("meeting actions")
        ordering = ["due_on", "id"]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "number"], name="police_action_number"),
        ]
        indexes = [models.Index(fields=["state", "due_on"])]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("police:action_detail", args=[self.pk])

    @transition(field=state, source=State.OPEN, target=State.DONE)
    def complete(self) -> None:
        """Open → done, with a note on how."""

    @transition(field=state, source=State.DONE, target=State.OPEN)
    def reopen(self) -> None:
        """Done → open again (not really done, said at a later meeting)."""

    @transition(field=state, source=State.OPEN, target=State.CANCELLED)
    def drop(self) -> None:
        """Open → dropped (no longer needed), with a reason."""


class AgendaItem(BaseModel):
    """One item on a meeting's agenda; ``carried_action`` is an open action from an earlier
    meeting put here automatically when the meeting was planned (or when a meeting before it
    was held with new open actions)."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="agenda",
                                verbose_name=_("meeting"))
    position = models.PositiveSmallIntegerField(_("order"))
    title = models.CharField(_("item"), max_length=200)
    notes = models.TextField(_("notes"), blank=True)
    carried_action = models.ForeignKey(MeetingAction, null=True, blank=True,
                                       on_delete=models.CASCADE, related_name="agenda_items",
                                       verbose_name=_("action followed up"))

    class Meta:
        verbose_name = _("agenda item")
        verbose_name_plural = _("agenda items")
        ordering = ["meeting_id", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "carried_action"],
                                    name="police_agenda_action_once"),
        ]

    def __str__(self) -> str:
        return self.title
