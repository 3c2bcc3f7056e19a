"""Forms of the incident log import (upload, column and value mapping). They parse input only;
reading and checking the rows is :mod:`safecampus.patrols.services.incident_import`."""

from django import forms
from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from safecampus.core.forms import bootstrap
from safecampus.core.importing import (
    TIME_ZONES,
    PlanProblemsFormMixin,
    ValueMappingFormMixin,
    add_column_fields,
    columns_from,
    init_time_fields,
)
from safecampus.core.spreadsheets import SpreadsheetUploadForm, Table
from safecampus.organisation.models import Campus

from ..services import incident_import as importing
from ..services.incident_import import TARGETS, VALUE_COLUMNS, VALUE_KINDS, IncidentImportPlan

__all__ = ["IncidentMappingForm", "SpreadsheetUploadForm"]

DATE_ORDER_CHOICES = (
    ("auto", gettext_lazy("Detect from the file")),
    ("mdy", gettext_lazy("Month first (MM/DD/YYYY, as US logs write)")),
    ("dmy", gettext_lazy("Day first (DD/MM/YYYY)")),
)


class IncidentMappingForm(PlanProblemsFormMixin, ValueMappingFormMixin, forms.Form):
    """Step 2: a column for each of our fields, a campus for rows without one, the file's
    time zone and date order, and one select per distinct type, disposition and campus value
    (initially the suggestion). ``value_groups`` lists the value selects for the template."""

    default_campus = forms.ModelChoiceField(
        Campus.objects.order_by("sort_order", "id"), required=False,
        label=gettext_lazy("Campus for rows without one"),
        empty_label=gettext_lazy("— no campus —"))
    time_zone = forms.ChoiceField(
        choices=TIME_ZONES, initial="Asia/Shanghai", label=gettext_lazy("Times in the file are in"),
        help_text=gettext_lazy(
            "Times without a zone are read as local times of this zone. The statistics group "
            "incidents by Beijing time (Asia/Shanghai): keep Asia/Shanghai to chart a log by "
            "the clock times it records; a log kept in New York and read as New York time "
            "shows its incidents 12 to 13 hours later."))
    date_order = forms.ChoiceField(
        choices=DATE_ORDER_CHOICES, initial="auto", label=gettext_lazy("Dates like 03/04/2024"),
        help_text=gettext_lazy("A date whose first number is above 12 can only be day first; "
                               "detection uses such dates and falls back to month first."))

    plan_problems = staticmethod(importing.plan_problems)

    def __init__(self, *args, table: Table, plan: IncidentImportPlan, **kwargs):
        super().__init__(*args, **kwargs)
        self.table = table
        self.column_fields = add_column_fields(self, TARGETS, table, plan)
        self.fields["default_campus"].initial = plan.default_campus
        init_time_fields(self, plan, importing.date_order_of(table, plan))
        self.add_value_groups(
            table=table, plan=plan, kinds=VALUE_KINDS, value_columns=VALUE_COLUMNS,
            labels={t.key: t.label for t in TARGETS}, suggestions=importing.value_suggestions,
            options=importing.value_options, blank_option={"campus": _("— not mapped —")},
            # "Other" for a type is what nothing matched: the page marks it for a look.
            unmatched=lambda kind, value: (kind == "category"
                                           and importing.suggest_category(value) is None))
        bootstrap(self)

    def column_bound_fields(self):
        return [self[name] for name in self.column_fields]

    def to_plan(self) -> IncidentImportPlan:
        data = self.cleaned_data
        values = self.mapped_values()
        campus = data.get("default_campus")
        return IncidentImportPlan(
            columns=columns_from(data, TARGETS), values=values,
            default_campus=campus.pk if campus else None,
            time_zone=data.get("time_zone") or settings.TIME_ZONE,
            date_order=data.get("date_order") or "auto")
