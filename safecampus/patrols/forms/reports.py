"""The patrol report's filters: shift dates from–to (local), campus, route."""

from django import forms
from django.utils.translation import gettext_lazy as _

from safecampus.core.forms import LocalDateField, bootstrap
from safecampus.organisation.selectors import campuses

from ..models import PatrolRoute
from ..selectors.reports import ReportFilters

#: The longest period one report covers, in days counting both ends (a leap year; the table
#: per night has a row a day).
MAX_DAYS = 366


class ReportFilterForm(forms.Form):
    date_from = LocalDateField(label=_("Shifts from"))
    date_to = LocalDateField(label=_("Shifts to"))
    campus = forms.ModelChoiceField(queryset=None, required=False, label=_("Campus"),
                                    empty_label=_("All campuses"))
    route = forms.ModelChoiceField(queryset=None, required=False, label=_("Route"),
                                   empty_label=_("All routes"))

    def __init__(self, data=None, **kwargs):
        super().__init__(data, **kwargs)
        self.defaults = ReportFilters.default()
        self.fields["campus"].queryset = campuses()
        self.fields["route"].queryset = PatrolRoute.objects.order_by("campus_id", "code")
        self.fields["date_from"].widget.attrs["placeholder"] = self.defaults.date_from.isoformat()
        self.fields["date_to"].widget.attrs["placeholder"] = self.defaults.date_to.isoformat()
        if not self.is_bound:
            self.initial = {"date_from": self.defaults.date_from, "date_to": self.defaults.date_to}
        bootstrap(self)

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        #: A reversed or too long period: neither date applies (the default period is shown).
        self.bad_range = False
        if start and end and start > end:
            self.bad_range = True
            self.add_error("date_to", _("The end date is before the start date."))
        elif start and end and (end - start).days + 1 > MAX_DAYS:
            self.bad_range = True
            self.add_error("date_to", _(
                "A report covers at most %(max)s days; this period has %(days)s.") % {
                "max": MAX_DAYS, "days": (end - start).days + 1})
        return data

    def to_filters(self) -> ReportFilters:
        """The filters to apply: a field with a bad value is left out (its error is shown on
        the page); without dates the period is this month, with one date alone its month; a
        reversed or too long period is an error and this month is shown (never a period
        the person did not ask for)."""
        if not self.is_bound:
            return self.defaults
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        start, end = data.get("date_from"), data.get("date_to")
        if getattr(self, "bad_range", False):
            start = end = None
        elif start and not end:  # one date alone: its month
            end = ReportFilters.default(start).date_to
        elif end and not start:
            start = end.replace(day=1)
        start = start or self.defaults.date_from
        end = end or self.defaults.date_to
        campus, route = data.get("campus"), data.get("route")
        return ReportFilters(date_from=start, date_to=end,
                             campus_id=campus.pk if campus else None,
                             route_id=route.pk if route else None)
