"""Forms of the violation ledger import (column and value mapping). They parse input only;
reading and checking the rows is :mod:`safecampus.traffic.services.violation_import`."""

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy

from safecampus.core.forms import bootstrap
from safecampus.core.importing import (
    MAX_DISTINCT_VALUES,
    TIME_ZONES,
    PlanProblemsFormMixin,
    add_column_fields,
    bound_column,
    columns_from,
    distinct_keyed,
    init_time_fields,
    value_field_name,
)
from safecampus.core.spreadsheets import Table

from ..services import violation_import as importing
from ..services.violation_import import TARGETS, VALUE_COLUMNS, VALUE_KINDS, ViolationImportPlan

DATE_ORDER_CHOICES = (
    ("auto", gettext_lazy("Detect from the file")),
    ("mdy", gettext_lazy("Month first (MM/DD/YYYY, as US ledgers write)")),
    ("dmy", gettext_lazy("Day first (DD/MM/YYYY)")),
)


class ViolationMappingForm(PlanProblemsFormMixin, forms.Form):
    """Step 2: a column for each of our fields, the file's time zone and date order, whether
    W-codes are warnings, and one select per distinct type and status (initially the
    suggestion). ``value_rows`` lists the value selects for the template."""

    time_zone = forms.ChoiceField(
        choices=TIME_ZONES, initial="Asia/Shanghai", label=gettext_lazy("Times in the file are in"),
        help_text=gettext_lazy(
            "Times without a zone are read as local times of this zone; the statistics group "
            "by Beijing time. Keep Asia/Shanghai to chart a ledger by the clock times it "
            "records. A row with a date only is kept on that date."))
    date_order = forms.ChoiceField(
        choices=DATE_ORDER_CHOICES, initial="auto", label=gettext_lazy("Dates like 03/04/2024"),
        help_text=gettext_lazy("A date whose first number is above 12 can only be day first; "
                               "detection uses such dates and falls back to month first."))
    warning_marker = forms.BooleanField(
        required=False, initial=True,
        label=gettext_lazy("Codes like W35A and types written “W- …” or with 警告 are warnings"))

    plan_problems = staticmethod(importing.plan_problems)

    def __init__(self, *args, table: Table, plan: ViolationImportPlan, **kwargs):
        super().__init__(*args, **kwargs)
        self.table = table
        self.column_fields = add_column_fields(self, TARGETS, table, plan)
        self.fields["warning_marker"].initial = plan.warning_marker
        init_time_fields(self, plan, importing.date_order_of(table, plan))
        self.value_groups = []
        labels = {t.key: t.label for t in TARGETS}
        for kind in VALUE_KINDS:
            column = bound_column(self, VALUE_COLUMNS[kind], table, plan)
            if column is None:
                continue
            distinct = distinct_keyed(table, column)
            suggested = importing.value_suggestions(kind, [v for _k, v, _n in distinct])
            chosen = plan.values.get(kind, {})
            options = importing.value_options(kind)
            rows = []
            for key, value, count in distinct[:MAX_DISTINCT_VALUES]:
                name = value_field_name(kind, key)
                initial = chosen.get(key) or suggested.get(key) or ""
                self.fields[name] = forms.ChoiceField(
                    choices=options, required=False, label=value, initial=initial)
                # "Other" is what no keyword matched: the page marks it for a look.
                unmatched = kind == "kind" and not chosen.get(key) and (
                    importing.suggest_kind(value) is None)
                rows.append((value, count, name, key, unmatched))
            self.value_groups.append({
                "kind": kind, "label": labels[VALUE_COLUMNS[kind]],
                "header": table.headers[column], "rows": rows,
                "hidden": max(0, len(distinct) - MAX_DISTINCT_VALUES),
                "unmatched": sum(1 for row in rows if row[4]),
            })
        bootstrap(self)

    def value_rows(self):
        """For the template: each group with rows (value, count, bound field, unmatched)."""
        for group in self.value_groups:
            yield {**group, "rows": [(v, n, self[name], unmatched)
                                     for v, n, name, _k, unmatched in group["rows"]]}

    def to_plan(self) -> ViolationImportPlan:
        data = self.cleaned_data
        values: dict[str, dict[str, str]] = {}
        for group in self.value_groups:
            for _v, _n, name, key, _u in group["rows"]:
                if data.get(name):
                    values.setdefault(group["kind"], {})[key] = data[name]
        return ViolationImportPlan(
            columns=columns_from(data, TARGETS), values=values,
            time_zone=data.get("time_zone") or settings.TIME_ZONE,
            date_order=data.get("date_order") or "auto",
            warning_marker=bool(data.get("warning_marker")))
