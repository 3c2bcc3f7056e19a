"""Forms of the ledger import pages (upload, column and value mapping). They parse input
only; reading and checking the rows is :mod:`safecampus.hazards.importing`."""

from django import forms
from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from safecampus.core.forms import bootstrap
from safecampus.core.importing import (
    TIME_ZONES,
    PlanProblemsFormMixin,
    add_column_fields,
    bound_column,
    columns_from,
    distinct_keyed,
    value_field_name,
)
from safecampus.core.spreadsheets import SpreadsheetUploadForm, Table
from safecampus.organisation.models import Campus

from . import importing
from .importing import TARGETS, VALUE_KINDS, ImportPlan

__all__ = ["LedgerMappingForm", "SpreadsheetUploadForm"]


class LedgerMappingForm(PlanProblemsFormMixin, forms.Form):
    """Step 2: a source column for each of our fields, a campus for rows without one, the
    time zone of the file's times, and one select per distinct unit/category/status/campus
    value. ``value_groups`` lists the value selects for the template."""

    default_campus = forms.ModelChoiceField(
        Campus.objects.order_by("sort_order", "id"), required=False,
        label=gettext_lazy("Campus for rows without one"))
    time_zone = forms.ChoiceField(
        choices=TIME_ZONES, initial="Asia/Shanghai", label=gettext_lazy("Times in the file are in"),
        help_text=gettext_lazy("Times without a zone are read as local time of this zone."))

    plan_problems = staticmethod(importing.plan_problems)

    def __init__(self, *args, table: Table, plan: ImportPlan, **kwargs):
        super().__init__(*args, **kwargs)
        self.table = table
        self.column_fields = add_column_fields(self, TARGETS, table, plan)
        self.fields["default_campus"].initial = plan.default_campus
        zones = dict(TIME_ZONES)
        if plan.time_zone not in zones:
            self.fields["time_zone"].choices = [*TIME_ZONES, (plan.time_zone, plan.time_zone)]
        self.fields["time_zone"].initial = plan.time_zone
        self.value_groups = []
        labels = {t.key: t.label for t in TARGETS}
        for kind in VALUE_KINDS:
            column = self._column(kind, plan)
            if column is None:
                continue
            merged = {key: (value, count) for key, value, count in distinct_keyed(table, column)}
            auto = importing.auto_match(kind, [v for v, _n in merged.values()])
            chosen = plan.values.get(kind, {})
            options = [("", _("— not mapped —"))] + importing.value_options(kind)
            rows = []
            for key, (value, count) in list(merged.items())[:importing.MAX_DISTINCT_VALUES]:
                name = value_field_name(kind, key)
                self.fields[name] = forms.ChoiceField(
                    choices=options, required=False, label=value,
                    initial=chosen.get(key) or auto.get(key, ""))
                rows.append((value, count, name, key))
            self.value_groups.append({
                "kind": kind, "label": labels[kind], "header": table.headers[column],
                "rows": rows, "hidden": max(0, len(merged) - importing.MAX_DISTINCT_VALUES),
            })
        bootstrap(self)

    def _column(self, kind: str, plan: ImportPlan) -> int | None:
        return bound_column(self, kind, self.table, plan)

    def value_rows(self):
        """For the template: (label, header, [(source value, count, bound field)], hidden)."""
        for group in self.value_groups:
            yield {**group, "rows": [(v, n, self[name]) for v, n, name, _k in group["rows"]]}

    def to_plan(self) -> ImportPlan:
        data = self.cleaned_data
        columns = columns_from(data, TARGETS)
        values: dict[str, dict[str, str]] = {}
        for group in self.value_groups:
            for _v, _n, name, key in group["rows"]:
                if data.get(name):
                    values.setdefault(group["kind"], {})[key] = data[name]
        campus = data.get("default_campus")
        return ImportPlan(columns=columns, values=values,
                          default_campus=campus.pk if campus else None,
                          time_zone=data.get("time_zone") or settings.TIME_ZONE)
