"""Filters of the cockpit and its map, and the wall-display form."""

import datetime as dt

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from safecampus.core import clock
from safecampus.core.errors import DomainError
from safecampus.core.forms import LocalDateField, bootstrap

from .periods import Period, PeriodKind, current_period, custom_period, last_complete_period


class PeriodChoice:
    THIS_MONTH = "this_month"
    LAST_MONTH = "last_month"
    THIS_QUARTER = "this_quarter"
    LAST_QUARTER = "last_quarter"
    CUSTOM = "custom"


PERIOD_CHOICES = [
    (PeriodChoice.THIS_MONTH, _("This month")),
    (PeriodChoice.LAST_MONTH, _("Last month")),
    (PeriodChoice.THIS_QUARTER, _("This quarter")),
    (PeriodChoice.LAST_QUARTER, _("Last quarter")),
    (PeriodChoice.CUSTOM, pgettext_lazy("period", "Custom")),
]


class CockpitFilterForm(forms.Form):
    """``campus`` (empty: the whole university), ``period`` and, for a custom period,
    ``date_from``/``date_to`` (local days, both included). A bad value is shown as an error
    and the page falls back to this month (campus: the whole university)."""

    campus = forms.TypedChoiceField(label=_("Campus"), required=False, coerce=int,
                                    empty_value=None)
    period = forms.ChoiceField(label=_("Period"), required=False, choices=PERIOD_CHOICES)
    date_from = LocalDateField(label=_("From"))
    date_to = LocalDateField(label=_("To"))

    def __init__(self, data=None, *, campuses, university: bool = True, **kwargs):
        super().__init__(data, **kwargs)
        choices = [("", _("Whole university"))] if university else []
        self.fields["campus"].choices = choices + [(str(c.pk), c.name) for c in campuses]
        bootstrap(self)

    def clean(self):
        data = super().clean()
        if data.get("period") == PeriodChoice.CUSTOM:
            first, last = data.get("date_from"), data.get("date_to")
            if not first and "date_from" not in self.errors:
                self.add_error("date_from", _("Give the first day of a custom period."))
            if not last and "date_to" not in self.errors:
                self.add_error("date_to", _("Give the last day of a custom period."))
            if first and first > clock.local_today():
                self.add_error("date_from", _("This period has not started yet; choose a "
                                              "period up to today."))
            elif first and last:
                try:
                    data["custom"] = custom_period(first, last)
                except DomainError as error:
                    for message in error.field_errors.get("last", [error.message]):
                        self.add_error("date_to", message)
        return data

    def chosen(self, today: dt.date | None = None) -> tuple[int | None, Period]:
        """(campus id or None, period); a field in error takes its default."""
        today = today or clock.local_today()
        if not self.is_bound:
            return None, current_period(PeriodKind.MONTH, today=today)
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        campus_id = data.get("campus") if "campus" not in self.errors else None
        choice = data.get("period") or PeriodChoice.THIS_MONTH
        if "period" in self.errors:
            choice = PeriodChoice.THIS_MONTH
        if choice == PeriodChoice.CUSTOM:
            period = data.get("custom") or current_period(PeriodKind.MONTH, today=today)
        elif choice == PeriodChoice.LAST_MONTH:
            period = last_complete_period(PeriodKind.MONTH, today=today)
        elif choice == PeriodChoice.THIS_QUARTER:
            period = current_period(PeriodKind.QUARTER, today=today)
        elif choice == PeriodChoice.LAST_QUARTER:
            period = last_complete_period(PeriodKind.QUARTER, today=today)
        else:
            period = current_period(PeriodKind.MONTH, today=today)
        return campus_id, period


#: The query-string fields of the cockpit's period, kept in links between the cockpit and
#: its map.
PERIOD_FIELDS = ("period", "date_from", "date_to")


class MapLayer:
    HAZARDS = "hazards"
    INCIDENTS = "incidents"
    VIOLATIONS = "violations"


LAYER_CHOICES = [
    (MapLayer.HAZARDS, _("Open hazards")),
    (MapLayer.INCIDENTS, _("Incidents")),
    (MapLayer.VIOLATIONS, _("Traffic violations")),
]
MODE_CHOICES = [("points", pgettext_lazy("map mode", "Points")),
                ("heat", pgettext_lazy("map mode", "Heat"))]


class MapFilterForm(CockpitFilterForm):
    """The map page's ``campus`` (one of ``campuses``), ``layer``, ``mode`` and the
    cockpit's period fields (``period``, ``date_from``, ``date_to``; :meth:`chosen`). Bad
    values fall back to the defaults (a bad custom period is shown as an error)."""

    layer = forms.ChoiceField(label=_("Layer"), required=False, choices=LAYER_CHOICES)
    mode = forms.ChoiceField(label=pgettext_lazy("map mode", "Display"), required=False,
                             choices=MODE_CHOICES)

    def __init__(self, data=None, *, campuses, **kwargs):
        super().__init__(data, campuses=campuses, university=False, **kwargs)

    def value(self, name: str, default):
        if not self.is_bound or not self.is_valid() and name in self.errors:
            return default
        return self.cleaned_data.get(name) or default


class DisplayRevokeForm(forms.Form):
    """The second step of revoking a display link: revoking cannot be undone, so it takes
    a ticked box (no script needed: the page works under the strict CSP)."""

    confirm = forms.BooleanField(
        label=_("Yes: this display stops showing the big screen at once, and its address "
                "can never be used again."),
        error_messages={"required": _("Tick the box to revoke the display link.")})

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["confirm"].widget.attrs["class"] = "form-check-input"


class DisplayTokenForm(forms.Form):
    name = forms.CharField(label=pgettext_lazy("wall display", "Name"), max_length=100,
                           help_text=_("Where the display hangs, e.g. duty room wall."))
    campus = forms.TypedChoiceField(label=_("Campus"), required=False, coerce=int,
                                    empty_value=None)

    def __init__(self, data=None, *, campuses, **kwargs):
        super().__init__(data, **kwargs)
        self.fields["campus"].choices = [("", _("Whole university"))] + [
            (str(c.pk), c.name) for c in campuses]
        bootstrap(self)

