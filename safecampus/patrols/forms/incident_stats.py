"""The incident statistics page's filters: occurred between two local dates, campus,
category, source."""

from django import forms
from django.utils.translation import gettext_lazy as _

from safecampus.core.forms import DateRangeMixin, LocalDateField, bootstrap
from safecampus.organisation.selectors import campuses

from ..models import Incident
from ..selectors.incident_stats import IncidentStatsFilters


class IncidentStatsFilterForm(DateRangeMixin):
    date_from = LocalDateField(label=_("Occurred from"))
    date_to = LocalDateField(label=_("Occurred to"))
    campus = forms.ModelChoiceField(queryset=None, required=False, label=_("Campus"),
                                    empty_label=_("All campuses"))
    category = forms.ChoiceField(required=False, label=_("Category"),
                                 choices=[("", _("All categories")), *Incident.Category.choices])
    source = forms.ChoiceField(required=False, label=_("Source"),
                               choices=[("", _("All sources")), *Incident.Source.choices])

    def __init__(self, data=None, **kwargs):
        super().__init__(data, **kwargs)
        self.fields["campus"].queryset = campuses()
        bootstrap(self)

    def to_filters(self) -> IncidentStatsFilters:
        """The filters to apply; a field with a bad value is left out (its error is shown)."""
        if not self.is_bound:
            return IncidentStatsFilters()
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        start, end = data.get("date_from"), data.get("date_to")
        if "date_to" in self.errors:  # a reversed range: neither end is applied
            start = end = None
        campus = data.get("campus")
        return IncidentStatsFilters(date_from=start, date_to=end,
                                    campus_id=campus.pk if campus else None,
                                    category=data.get("category") or None,
                                    source=data.get("source") or None)
