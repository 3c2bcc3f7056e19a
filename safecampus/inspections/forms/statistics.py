"""The statistics page's filters: finished between two local dates, campus, checklist."""

from django import forms
from django.utils.translation import gettext_lazy as _

from safecampus.core.forms import DateRangeMixin, LocalDateField, bootstrap
from safecampus.organisation.selectors import campuses

from ..selectors import template_list_visible_to
from ..stats import StatsFilters


class StatisticsFilterForm(DateRangeMixin):
    date_from = LocalDateField(label=_("Finished from"))
    date_to = LocalDateField(label=_("Finished to"))
    campus = forms.ModelChoiceField(queryset=None, required=False, label=_("Campus"),
                                    empty_label=_("All campuses"))
    template = forms.ModelChoiceField(queryset=None, required=False, label=_("Checklist"),
                                      empty_label=_("All checklists"))

    def __init__(self, data=None, *, user, **kwargs):
        super().__init__(data, **kwargs)
        self.defaults = StatsFilters.default()
        self.fields["campus"].queryset = campuses()
        self.fields["template"].queryset = template_list_visible_to(user).order_by("name", "id")
        self.fields["date_from"].widget.attrs["placeholder"] = self.defaults.date_from.isoformat()
        self.fields["date_to"].widget.attrs["placeholder"] = self.defaults.date_to.isoformat()
        if not self.is_bound:
            self.initial = {"date_from": self.defaults.date_from, "date_to": self.defaults.date_to}
        bootstrap(self)

    def to_filters(self) -> StatsFilters:
        """The filters to apply: a field with a bad value is left out (its error is shown on
        the page) and an empty date takes its default (the last 180 days up to today)."""
        if not self.is_bound:
            return self.defaults
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        start = data.get("date_from") or self.defaults.date_from
        end = data.get("date_to") or self.defaults.date_to
        if start > end:
            start, end = self.defaults.date_from, self.defaults.date_to
        campus, template = data.get("campus"), data.get("template")
        return StatsFilters(date_from=start, date_to=end,
                            campus_id=campus.pk if campus else None,
                            template_id=template.pk if template else None)
