"""Forms of the bulletin pages. They parse input only; the rules (texts, periods, places on
the campus, who may do what) live in :mod:`..services.bulletins`, so the pages and the API say
the same."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from safecampus.core import clock
from safecampus.core.forms import DateRangeMixin, IdempotentFormMixin, LocalDateField, bootstrap
from safecampus.core.importing import (
    TIME_ZONES,
    PlanProblemsFormMixin,
    ValueMappingFormMixin,
    add_column_fields,
    columns_from,
    init_time_fields,
)
from safecampus.core.incidents import IncidentCategory
from safecampus.core.spreadsheets import Table
from safecampus.hazards.models import HazardCategory
from safecampus.notifications.models import Alert
from safecampus.organisation.models import (
    STUDENT_UNIT_KINDS,
    Campus,
    ClassGroup,
    Place,
    Unit,
)

from ..models import Bulletin, BulletinRecord, Partner, RiskPoint
from ..selectors.bulletins import BulletinFilters, BulletinStatsFilters, hazard_category_suggested
from ..services import bulletin_import as importing


def _campuses():
    return Campus.objects.order_by("sort_order", "id")


class BulletinForm(IdempotentFormMixin):
    """A bulletin's head; ``partner`` only for the office (a liaison's is their own)."""

    partner = forms.ModelChoiceField(Partner.objects.filter(is_active=True),
                                     label=gettext_lazy("Partner"), required=False)
    title = forms.CharField(label=gettext_lazy("Title"), max_length=200)
    period_start = forms.DateField(label=gettext_lazy("Period from"),
                                   widget=forms.DateInput(attrs={"type": "date"}))
    period_end = forms.DateField(label=gettext_lazy("Period to"),
                                 widget=forms.DateInput(attrs={"type": "date"}))
    summary = forms.CharField(label=gettext_lazy("Summary and advice"), required=False,
                              max_length=5000, widget=forms.Textarea(attrs={"rows": 4}))

    def __init__(self, *args, choose_partner: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if not choose_partner:
            del self.fields["partner"]
        bootstrap(self)


class PlaceSelect(forms.Select):
    """A place select whose options carry their campus (``data-campus``), so that
    ``police/bulletin_record.js`` shows only the chosen campus's places; without the script
    every place is listed and the service refuses one on another campus."""

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        instance = getattr(value, "instance", None)
        if instance is not None:
            option["attrs"]["data-campus"] = str(instance.campus_id)
        return option


class RecordForm(IdempotentFormMixin):
    """One incident record; ``occurred_at`` is a local date and time."""

    occurred_at = forms.DateTimeField(
        label=gettext_lazy("Occurred at"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"])
    # No type until the liaison picks one (a preselected 盗窃 went in unnoticed); not required
    # here: the service says what is missing, as it does for the API.
    category = forms.ChoiceField(label=gettext_lazy("Type"), required=False,
                                 choices=[("", gettext_lazy("Choose…")),
                                          *IncidentCategory.choices])
    type_label = forms.CharField(label=gettext_lazy("Type as recorded"), max_length=120,
                                 required=False)
    proximity = forms.ChoiceField(label=gettext_lazy("On or off campus"),
                                  choices=BulletinRecord.Proximity.choices)
    campus = forms.ModelChoiceField(_campuses(), label=gettext_lazy("Campus"), required=False)
    place = forms.ModelChoiceField(
        Place.objects.none(), label=gettext_lazy("Place"), required=False,
        widget=PlaceSelect, help_text=gettext_lazy(
            "A place on the chosen campus; leave it empty for an incident off campus."))
    location_text = forms.CharField(label=gettext_lazy("Location"), max_length=200,
                                    required=False)
    summary = forms.CharField(label=gettext_lazy("Summary"), required=False, max_length=5000,
                              widget=forms.Textarea(attrs={"rows": 3}))
    relevance = forms.ChoiceField(label=gettext_lazy("Relevance to campus"),
                                  choices=BulletinRecord.Relevance.choices,
                                  initial=BulletinRecord.Relevance.MEDIUM)
    external_ref = forms.CharField(label=gettext_lazy("Police reference number"),
                                   max_length=64, required=False)
    disposition_label = forms.CharField(label=gettext_lazy("Disposition as recorded"),
                                        max_length=120, required=False)

    def __init__(self, *args, campus_ids: set[int] | None = None, **kwargs):
        """``campus_ids``: the campuses offered (a liaison's partner's); None: all."""
        super().__init__(*args, **kwargs)
        places = Place.objects.select_related("campus").order_by("campus_id", "name")
        if campus_ids is not None:
            places = places.filter(campus_id__in=campus_ids)
            self.fields["campus"].queryset = _campuses().filter(pk__in=campus_ids)
        self.fields["place"].queryset = places
        self.fields["place"].label_from_instance = lambda p: f"{p.campus.name} · {p.name}"
        bootstrap(self)

    def values(self) -> dict:
        """Keyword arguments of :func:`~..services.bulletins.record_fields_checked`."""
        d = self.cleaned_data
        occurred = d["occurred_at"]
        if occurred is not None and occurred.tzinfo is None:
            occurred = occurred.replace(tzinfo=clock.local_zone())
        return {"occurred_at": occurred, "category": d["category"],
                "type_label": d.get("type_label", ""), "proximity": d["proximity"],
                "campus_id": d["campus"].pk if d.get("campus") else None,
                "place_id": d["place"].pk if d.get("place") else None,
                "location_text": d.get("location_text", ""), "summary": d.get("summary", ""),
                "relevance": d["relevance"], "external_ref": d.get("external_ref", ""),
                "disposition_label": d.get("disposition_label", "")}


def record_initial(record: BulletinRecord) -> dict:
    return {"occurred_at": record.occurred_at.astimezone(clock.local_zone()),
            "category": record.category, "type_label": record.type_label,
            "proximity": record.proximity, "campus": record.campus_id, "place": record.place_id,
            "location_text": record.location_text, "summary": record.summary,
            "relevance": record.relevance, "external_ref": record.external_ref,
            "disposition_label": record.disposition_label}


class WithdrawForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("Reason for withdrawal"), max_length=200)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        bootstrap(self)


class BulletinFilterForm(DateRangeMixin, forms.Form):
    partner = forms.ModelChoiceField(Partner.objects.all(), required=False,
                                     label=gettext_lazy("Partner"),
                                     empty_label=gettext_lazy("All partners"))
    campus = forms.ModelChoiceField(_campuses(), required=False, label=gettext_lazy("Campus"),
                                    empty_label=gettext_lazy("All campuses"))
    state = forms.ChoiceField(required=False, label=gettext_lazy("State"),
                              choices=[("", gettext_lazy("Any state")), *Bulletin.State.choices])
    date_from = LocalDateField(label=gettext_lazy("From"))
    date_to = LocalDateField(label=gettext_lazy("To"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        bootstrap(self)

    def to_filters(self) -> BulletinFilters:
        if not self.is_bound or not self.is_valid():
            return BulletinFilters()
        d = self.cleaned_data
        return BulletinFilters(partner_id=d["partner"].pk if d.get("partner") else None,
                               campus_id=d["campus"].pk if d.get("campus") else None,
                               state=d.get("state") or None, date_from=d.get("date_from"),
                               date_to=d.get("date_to"))


class BulletinStatsFilterForm(DateRangeMixin, forms.Form):
    date_from = LocalDateField(label=gettext_lazy("From"))
    date_to = LocalDateField(label=gettext_lazy("To"))
    partner = forms.ModelChoiceField(Partner.objects.all(), required=False,
                                     label=gettext_lazy("Partner"),
                                     empty_label=gettext_lazy("All partners"))
    campus = forms.ModelChoiceField(_campuses(), required=False, label=gettext_lazy("Campus"),
                                    empty_label=gettext_lazy("All campuses"))
    category = forms.ChoiceField(
        choices=[("", gettext_lazy("All categories")), *IncidentCategory.choices],
        required=False, label=gettext_lazy("Type"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        bootstrap(self)

    def to_filters(self) -> BulletinStatsFilters:
        if not self.is_bound or not self.is_valid():
            return BulletinStatsFilters()
        d = self.cleaned_data
        return BulletinStatsFilters(
            date_from=d.get("date_from"), date_to=d.get("date_to"),
            partner_id=d["partner"].pk if d.get("partner") else None,
            campus_id=d["campus"].pk if d.get("campus") else None,
            category=d.get("category") or "")


# --- acting on a record --------------------------------------------------------------------
class OpenHazardForm(IdempotentFormMixin):
    category = forms.ModelChoiceField(HazardCategory.objects.none(),
                                      label=gettext_lazy("Hazard category"))
    campus = forms.ModelChoiceField(_campuses(), required=False, label=gettext_lazy("Campus"))
    title = forms.CharField(label=gettext_lazy("Title"), max_length=200)
    description = forms.CharField(label=gettext_lazy("Description"), max_length=5000,
                                  widget=forms.Textarea(attrs={"rows": 5}))

    def __init__(self, *args, record: BulletinRecord, campus_ids: set[int] | None = None,
                 **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = HazardCategory.objects.filter(is_active=True)
        if campus_ids is not None:
            self.fields["campus"].queryset = _campuses().filter(pk__in=campus_ids)
        suggested = hazard_category_suggested(record.category)
        if suggested is not None:
            self.fields["category"].initial = suggested.pk
        if record.campus_id:
            del self.fields["campus"]
        bootstrap(self)


class RiskReviewForm(IdempotentFormMixin):
    risk_point = forms.ModelChoiceField(RiskPoint.objects.none(),
                                        label=gettext_lazy("Risk point"))
    reason = forms.CharField(label=gettext_lazy("Why review it"), max_length=2000,
                             widget=forms.Textarea(attrs={"rows": 4}))

    def __init__(self, *args, points, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["risk_point"].queryset = points
        self.fields["risk_point"].label_from_instance = lambda p: f"{p.code} · {p.name}"
        bootstrap(self)


class RecordWarningForm(IdempotentFormMixin):
    """A warning about a record, to the audiences of the office's general warning form:
    everyone, a campus, a college (optionally one year group), a year group (optionally on
    one campus) or a class. The page previews the count first (``send`` absent), then sends."""

    title = forms.CharField(label=gettext_lazy("Title"), max_length=200)
    body = forms.CharField(label=gettext_lazy("Text"), max_length=5000,
                           widget=forms.Textarea(attrs={"rows": 5}))
    level = forms.ChoiceField(label=gettext_lazy("Level"), choices=Alert.Level.choices,
                              initial=Alert.Level.WARNING)
    audience_kind = forms.ChoiceField(label=gettext_lazy("Send to"))
    audience_campus = forms.ModelChoiceField(_campuses(), required=False,
                                             label=gettext_lazy("Campus"))
    audience_unit = forms.ModelChoiceField(Unit.objects.none(), required=False,
                                           label=gettext_lazy("College"))
    audience_year = forms.IntegerField(label=gettext_lazy("Year group"), required=False,
                                       min_value=1950, max_value=2100,
                                       widget=forms.NumberInput(attrs={"placeholder": "2025"}))
    audience_class = forms.ModelChoiceField(ClassGroup.objects.none(), required=False,
                                            label=gettext_lazy("Class"))

    def __init__(self, *args, **kwargs):
        from safecampus.accounts.models import AudienceKind

        super().__init__(*args, **kwargs)
        self.fields["audience_kind"].choices = AudienceKind.choices
        self.fields["audience_unit"].queryset = Unit.objects.filter(
            kind__in=STUDENT_UNIT_KINDS, is_active=True).order_by("code")
        self.fields["audience_class"].queryset = (
            ClassGroup.objects.filter(is_active=True).select_related("college")
            .order_by("college__code", "enrolment_year", "code"))
        self.fields["audience_class"].label_from_instance = (
            lambda g: f"{g.college.name} · {g.name}")
        bootstrap(self)

    def audience(self) -> dict:
        d = self.cleaned_data
        return {"audience_kind": d["audience_kind"],
                "campus_id": d["audience_campus"].pk if d.get("audience_campus") else None,
                "unit_id": d["audience_unit"].pk if d.get("audience_unit") else None,
                "year": d.get("audience_year"),
                "class_id": d["audience_class"].pk if d.get("audience_class") else None}

    def values(self) -> dict:
        d = self.cleaned_data
        return {"title": d["title"], "body": d["body"], "level": d["level"], **self.audience(),
                "idempotency_key": d.get("idempotency_key")}


# --- import mapping ------------------------------------------------------------------------
DATE_ORDER_CHOICES = (
    ("auto", gettext_lazy("Detect from the file")),
    ("mdy", gettext_lazy("Month first (MM/DD/YYYY, as US logs write)")),
    ("dmy", gettext_lazy("Day first (DD/MM/YYYY)")),
)


class BulletinMappingForm(PlanProblemsFormMixin, ValueMappingFormMixin, forms.Form):
    """Step 2 of the import: a column per field, defaults, and one select per distinct type,
    campus and "where" value (initially the suggestion)."""

    default_campus = forms.ModelChoiceField(
        _campuses(), required=False, label=gettext_lazy("Campus for rows without one"),
        empty_label=gettext_lazy("— no campus —"))
    default_proximity = forms.ChoiceField(
        choices=BulletinRecord.Proximity.choices, initial=BulletinRecord.Proximity.AREA,
        label=gettext_lazy("Where, for rows without a campus or location type"))
    time_zone = forms.ChoiceField(choices=TIME_ZONES, label=gettext_lazy(
        "Times in the file are in"))
    date_order = forms.ChoiceField(choices=DATE_ORDER_CHOICES,
                                   label=gettext_lazy("Dates like 03/04/2024"))

    plan_problems = staticmethod(importing.plan_problems)

    def __init__(self, *args, table: Table, plan: importing.BulletinImportPlan, **kwargs):
        super().__init__(*args, **kwargs)
        self.table = table
        self.column_fields = add_column_fields(self, importing.TARGETS, table, plan)
        self.fields["default_campus"].initial = plan.default_campus
        self.fields["default_proximity"].initial = plan.default_proximity
        init_time_fields(self, plan, importing.date_order_of(table, plan))
        self.add_value_groups(
            table=table, plan=plan, kinds=importing.VALUE_KINDS,
            value_columns=importing.VALUE_COLUMNS,
            labels={t.key: t.label for t in importing.TARGETS},
            suggestions=importing.value_suggestions, options=importing.value_options,
            blank_option={"campus": _("— not mapped —")},
            unmatched=lambda kind, value: (kind == "category"
                                           and importing.suggest_category(value) is None))
        bootstrap(self)

    def column_bound_fields(self):
        return [self[name] for name in self.column_fields]

    def to_plan(self) -> importing.BulletinImportPlan:
        d = self.cleaned_data
        campus = d.get("default_campus")
        return importing.BulletinImportPlan(
            columns=columns_from(d, importing.TARGETS), values=self.mapped_values(),
            default_campus=campus.pk if campus else None,
            time_zone=d.get("time_zone") or settings.TIME_ZONE,
            date_order=d.get("date_order") or "auto",
            default_proximity=d.get("default_proximity") or BulletinRecord.Proximity.AREA)


__all__ = ["BulletinFilterForm", "BulletinForm", "BulletinMappingForm", "BulletinStatsFilterForm",
           "OpenHazardForm", "RecordForm", "RecordWarningForm", "RiskReviewForm", "WithdrawForm"]
