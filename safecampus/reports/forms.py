"""Forms of the report pages: asking for a report of a month, a quarter or chosen days, and
a schedule. Checks of substance are the services'; these parse and compose."""

from django import forms
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from safecampus.core import clock
from safecampus.core.errors import DomainError
from safecampus.core.forms import IdempotentFormMixin, LocalDateField, bootstrap
from safecampus.dashboards.periods import PeriodKind, current_period, last_complete_period

from .models import ReportSchedule, SafetyReport
from .selectors import campuses_for
from .services import earliest_day, recipients_allowed

#: How many quarters (the current one included) the quarter list offers.
QUARTERS_OFFERED = 8


def quarter_choices(today=None) -> list[tuple[str, str]]:
    period = current_period(PeriodKind.QUARTER, today=today or clock.local_today())
    choices = []
    for _i in range(QUARTERS_OFFERED):
        choices.append((period.key, period.label))
        period = period.previous()
    return choices


class ReportRequestForm(IdempotentFormMixin, forms.Form):
    kind = forms.ChoiceField(label=_("Report"), choices=[
        (PeriodKind.MONTH, pgettext_lazy("report kind", "Month")),
        (PeriodKind.QUARTER, pgettext_lazy("report kind", "Quarter")),
        (PeriodKind.CUSTOM, pgettext_lazy("report kind", "Chosen days"))],
        initial=PeriodKind.MONTH, widget=forms.RadioSelect)
    month = forms.CharField(label=_("Month"), required=False, max_length=7,
                            widget=forms.DateInput(attrs={"type": "month"}))
    quarter = forms.ChoiceField(label=_("Quarter"), required=False, choices=())
    date_from = LocalDateField(label=_("From"))
    date_to = LocalDateField(label=_("To"))
    campus = forms.ChoiceField(label=_("Campus"), required=False, choices=())

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["quarter"].choices = quarter_choices()
        campuses = [(str(c.pk), c.name) for c in campuses_for(user)]
        if user.scope.campus_ids:
            self.fields["campus"].choices = campuses
        else:
            self.fields["campus"].choices = [("", _("Whole university")), *campuses]
        # The pickers offer no day before the first the service accepts, nor after today.
        earliest, today = earliest_day(), clock.local_today()
        self.fields["month"].widget.attrs.update({"min": earliest.strftime("%Y-%m"),
                                                  "max": today.strftime("%Y-%m")})
        for name in ("date_from", "date_to"):
            self.fields[name].widget.attrs.update({"min": earliest.isoformat(),
                                                   "max": today.isoformat()})
        if not self.is_bound:
            self.initial.setdefault("month", last_complete_period(PeriodKind.MONTH).key)
            self.initial.setdefault("quarter", last_complete_period(PeriodKind.QUARTER).key)
        bootstrap(self)
        self.fields["kind"].widget.attrs["class"] = "form-check-input"

    def clean(self):
        data = super().clean()
        kind = data.get("kind")
        if kind == PeriodKind.MONTH:
            if not data.get("month"):
                self.add_error("month", gettext("Choose a month."))
            else:
                data["period"] = data["month"]
        elif kind == PeriodKind.QUARTER:
            if not data.get("quarter"):
                self.add_error("quarter", gettext("Choose a quarter."))
            else:
                data["period"] = data["quarter"]
        elif kind == PeriodKind.CUSTOM:
            first, last = data.get("date_from"), data.get("date_to")
            if not first and "date_from" not in self.errors:
                self.add_error("date_from", gettext("Give the first day."))
            if not last and "date_to" not in self.errors:
                self.add_error("date_to", gettext("Give the last day."))
            if first and last:
                data["period"] = f"{first.isoformat()}..{last.isoformat()}"
        return data

    def period_field(self) -> str:
        """The field a service's ``period`` error belongs to."""
        kind = self.cleaned_data.get("kind")
        return {PeriodKind.MONTH: "month", PeriodKind.QUARTER: "quarter"}.get(kind, "date_to")

    def apply_error(self, error: DomainError) -> None:
        placed = False
        for name, messages in error.field_errors.items():
            # Period errors (``period``, or ``first``/``last`` of a custom one) belong to the
            # field of the chosen kind.
            target = self.period_field() if name in ("period", "first", "last") else name
            for message in messages:
                if target in self.fields:
                    self.add_error(target, message)
                    placed = True
        if not placed:
            self.add_error(None, error.message)

    def service_kwargs(self) -> dict:
        return {"period": self.cleaned_data["period"],
                "campus_id": self.cleaned_data.get("campus") or None,
                "idempotency_key": self.cleaned_data.get("idempotency_key")}


class ReportFilterForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), required=False)
    campus = forms.ChoiceField(label=_("Campus"), required=False)
    state = forms.ChoiceField(label=_("State"), required=False)

    def __init__(self, *args, user, **kwargs):
        # ids ``filter_<field>``: the generate form on the same page has ``id_<field>``
        kwargs.setdefault("auto_id", "filter_%s")
        super().__init__(*args, **kwargs)
        from .models import ReportKind

        self.fields["kind"].choices = [("", _("All kinds")), *ReportKind.choices]
        campuses = [(str(c.pk), c.name) for c in campuses_for(user)]
        head = [("", _("All campuses"))]
        if not user.scope.campus_ids:
            head.append(("all", _("Whole university")))
        self.fields["campus"].choices = [*head, *campuses]
        self.fields["state"].choices = [("", _("All states")), *SafetyReport.State.choices]
        bootstrap(self)
        for field in self.fields.values():
            field.widget.attrs["class"] += " form-select-sm"


class RecipientField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return obj.full_name or obj.username


class ScheduleForm(forms.Form):
    name = forms.CharField(label=pgettext_lazy("report schedule", "Name"), max_length=100)
    kind = forms.ChoiceField(label=_("Kind"), choices=ReportSchedule.Kind.choices)
    campus = forms.ChoiceField(label=_("Campus"), required=False)
    send_day = forms.IntegerField(label=_("Send on day"), min_value=1, max_value=28, initial=1,
                                  help_text=_("Day of the month after the period (1–28)."))
    recipients = RecipientField(label=_("Recipients"), queryset=None,
                                widget=forms.CheckboxSelectMultiple)
    active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from safecampus.organisation.models import Campus

        self.fields["campus"].choices = [("", _("Whole university")),
                                         *[(str(c.pk), c.name) for c in Campus.objects.all()]]
        self.fields["recipients"].queryset = recipients_allowed().order_by("full_name",
                                                                           "username")
        bootstrap(self)
        self.fields["recipients"].widget.attrs["class"] = "form-check-input"

    @staticmethod
    def initial_of(schedule: ReportSchedule) -> dict:
        return {"name": schedule.name, "kind": schedule.kind,
                "campus": str(schedule.campus_id or ""), "send_day": schedule.send_day,
                "recipients": list(schedule.recipients.values_list("pk", flat=True)),
                "active": schedule.active}

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {"name": data["name"], "kind": data["kind"],
                "campus_id": data.get("campus") or None, "send_day": data["send_day"],
                "recipient_ids": [u.pk for u in data["recipients"]]}
