"""The violation statistics page's filters: seen between two local dates, type, level,
source."""

from django import forms
from django.utils.translation import gettext_lazy as _

from safecampus.core.forms import DateRangeMixin, LocalDateField, bootstrap

from ..models import Violation, ViolationKind
from ..selectors.statistics import ViolationStatsFilters


class ViolationStatsFilterForm(DateRangeMixin):
    date_from = LocalDateField(label=_("Seen from"))
    date_to = LocalDateField(label=_("Seen to"))
    kind = forms.ChoiceField(required=False, label=_("Violation type"),
                             choices=[("", _("All types")), *ViolationKind.choices])
    level = forms.ChoiceField(required=False, label=_("Level"),
                              choices=[("", _("Warnings and violations")),
                                       *Violation.Level.choices])
    source = forms.ChoiceField(required=False, label=_("Source"),
                               choices=[("", _("All sources")), *Violation.Source.choices])

    def __init__(self, data=None, **kwargs):
        super().__init__(data, **kwargs)
        bootstrap(self)

    def to_filters(self) -> ViolationStatsFilters:
        """The filters to apply; a field with a bad value is left out (its error is shown)."""
        if not self.is_bound:
            return ViolationStatsFilters()
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        start, end = data.get("date_from"), data.get("date_to")
        if "date_to" in self.errors:  # a reversed range: neither end is applied
            start = end = None
        return ViolationStatsFilters(date_from=start, date_to=end,
                                     kind=data.get("kind") or None,
                                     level=data.get("level") or None,
                                     source=data.get("source") or None)
