"""The filter form of the concern reports."""

from django import forms
from django.utils.translation import gettext_lazy as _

from safecampus.core.forms import DateRangeMixin, LocalDateField, bootstrap
from safecampus.organisation.models import Campus

from ..models import ConcernCategory
from ..selectors.reports import ReportFilters, default_period


class ReportFilterForm(DateRangeMixin, forms.Form):
    date_from = LocalDateField(label=_("From"))
    date_to = LocalDateField(label=_("To"))
    campus = forms.ModelChoiceField(Campus.objects.none(), required=False, label=_("Campus"),
                                    empty_label=_("All campuses"))
    category = forms.ModelChoiceField(ConcernCategory.objects.none(), required=False,
                                      label=_("Category"), empty_label=_("All categories"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["campus"].queryset = Campus.objects.order_by("sort_order", "id")
        self.fields["category"].queryset = ConcernCategory.objects.order_by("sort_order", "id")
        start, end = default_period()
        self.fields["date_from"].widget.attrs["placeholder"] = start.isoformat()
        self.fields["date_to"].widget.attrs["placeholder"] = end.isoformat()
        bootstrap(self)

    def to_filters(self) -> ReportFilters:
        """The valid filters (a form with errors reports the default period)."""
        if not self.is_bound or not self.is_valid():
            return ReportFilters()
        d = self.cleaned_data
        return ReportFilters(date_from=d.get("date_from"), date_to=d.get("date_to"),
                             campus_id=d["campus"].pk if d.get("campus") else None,
                             category_id=d["category"].pk if d.get("category") else None)
