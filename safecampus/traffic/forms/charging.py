"""Forms of the charging pages: filters, a station, a fault report (phone), status, the
utilisation filters and the two import mappings. They parse input only; the rules live in
:mod:`..services.charging` and :mod:`..services.charging_import`, so pages and API give the
same messages."""

from django import forms
from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from safecampus.core import clock
from safecampus.core.forms import (
    IdempotentFormMixin,
    LocalDateField,
    MultiplePhotoField,
    bootstrap,
)
from safecampus.core.importing import (
    TIME_ZONES,
    add_column_fields,
    bound_column,
    columns_from,
)
from safecampus.core.spreadsheets import Table
from safecampus.organisation.models import Campus, Place, Unit

from ..models import ChargingStation
from ..selectors.charging import MAX_RANGE_DAYS, UtilisationFilters, default_range
from ..services import charging_import as importing

#: The import's time zones: the shared list plus the Lugano sample's.
CHARGING_TIME_ZONES = (*TIME_ZONES, ("Europe/Zurich", gettext_lazy("Zurich (Europe/Zurich)")))
DATE_ORDER_CHOICES = (
    ("auto", gettext_lazy("Detect from the file")),
    ("mdy", gettext_lazy("Month first (12/31/2017, 01.02.17 = 2 January)")),
    ("dmy", gettext_lazy("Day first (31/12/2017, 01.02.17 = 1 February)")),
)


def _campus_choices(empty: str):
    return [("", empty)] + [(c.pk, c.name) for c in Campus.objects.order_by("sort_order", "pk")]


class StationFilterForm(forms.Form):
    q = forms.CharField(label=gettext_lazy("Name, operator or place"), required=False,
                        max_length=100)
    campus = forms.TypedChoiceField(label=gettext_lazy("Campus"), required=False, coerce=int,
                                    empty_value=None)
    kind = forms.ChoiceField(label=gettext_lazy("Type"), required=False)
    status = forms.ChoiceField(label=gettext_lazy("Status"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["campus"].choices = _campus_choices(_("All campuses"))
        self.fields["kind"].choices = [("", _("All types")), *ChargingStation.Kind.choices]
        self.fields["status"].choices = [("", _("Any status")), *ChargingStation.Status.choices]
        bootstrap(self)

    def filters(self) -> dict:
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        return {"campus": data.get("campus"), "kind": data.get("kind") or "",
                "status": data.get("status") or "", "text": data.get("q") or ""}


class StationForm(IdempotentFormMixin):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=100)
    kind = forms.ChoiceField(label=gettext_lazy("Type"), choices=ChargingStation.Kind.choices)
    campus = forms.TypedChoiceField(label=gettext_lazy("Campus"), coerce=int, required=False,
                                    empty_value=None)
    place = forms.TypedChoiceField(label=gettext_lazy("Place (optional)"), coerce=int,
                                   required=False, empty_value=None)
    points = forms.IntegerField(label=gettext_lazy("Charging points"), min_value=1,
                                max_value=500, initial=1)
    operator_name = forms.CharField(label=gettext_lazy("Operator"), max_length=64)
    operator_unit = forms.TypedChoiceField(
        label=gettext_lazy("Operator's unit (faults are routed to it)"), coerce=int,
        required=False, empty_value=None)
    external_id = forms.CharField(
        label=gettext_lazy("Operator's station id"), max_length=32, required=False,
        help_text=gettext_lazy("How the operator's session files name the station."))
    note = forms.CharField(label=gettext_lazy("Note"), required=False, max_length=2000,
                           widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["campus"].choices = _campus_choices(_("Choose the campus"))
        places = Place.objects.select_related("campus").order_by(
            "campus__sort_order", "campus_id", "code")[:500]
        self.fields["place"].choices = [("", _("No particular place"))] + [
            (p.pk, f"{p.campus.name} · {p.name}") for p in places]
        self.fields["operator_unit"].choices = [("", _("None: the routing rules decide"))] + [
            (u.pk, u.name) for u in Unit.objects.filter(is_active=True).order_by("kind", "name")]
        bootstrap(self)

    @classmethod
    def initial_of(cls, station: ChargingStation) -> dict:
        return {"name": station.name, "kind": station.kind, "campus": station.campus_id,
                "place": station.place_id, "points": station.points,
                "operator_name": station.operator_name,
                "operator_unit": station.operator_unit_id, "external_id": station.external_id,
                "note": station.note}

    def service_arguments(self) -> dict:
        data = self.cleaned_data
        return {"name": data["name"], "kind": data["kind"], "campus_id": data.get("campus"),
                "place_id": data.get("place"), "points": data["points"],
                "operator_name": data["operator_name"],
                "operator_unit_id": data.get("operator_unit"),
                "external_id": data.get("external_id") or "", "note": data.get("note") or ""}


class FaultReportForm(IdempotentFormMixin):
    """A phone form: what is wrong, photos from the camera, anonymous."""

    description = forms.CharField(
        label=gettext_lazy("What is wrong?"), max_length=2000, required=False,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": gettext_lazy(
            "e.g. socket 3 smells of burning; the cable is broken; the screen is dark")}))
    photos = MultiplePhotoField(label=gettext_lazy("Photos (optional)"))
    is_anonymous = forms.BooleanField(
        label=gettext_lazy("Report anonymously (the office and the operator do not see who "
                           "reported)"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["photos"].widget.attrs["accept"] = "image/*"
        bootstrap(self)

    def service_arguments(self) -> dict:
        data = self.cleaned_data
        return {"description": data.get("description") or "",
                "photos": data.get("photos") or [],
                "is_anonymous": bool(data.get("is_anonymous")),
                "idempotency_key": data.get("idempotency_key")}


class FaultFixForm(forms.Form):
    comment = forms.CharField(label=gettext_lazy("What was done (optional)"), required=False,
                              max_length=2000, widget=forms.TextInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        bootstrap(self)


class StatusForm(forms.Form):
    status = forms.ChoiceField(choices=[
        (ChargingStation.Status.OUT_OF_SERVICE, gettext_lazy("Out of service")),
        (ChargingStation.Status.IN_SERVICE, gettext_lazy("Back in service"))])
    reason = forms.CharField(label=gettext_lazy("Why"), required=False, max_length=2000,
                             widget=forms.TextInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        bootstrap(self)


class UtilisationFilterForm(forms.Form):
    date_from = LocalDateField(label=gettext_lazy("From"))
    date_to = LocalDateField(label=gettext_lazy("To"))
    campus = forms.TypedChoiceField(label=gettext_lazy("Campus"), required=False, coerce=int,
                                    empty_value=None)
    kind = forms.ChoiceField(label=gettext_lazy("Type"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["campus"].choices = _campus_choices(_("All campuses"))
        self.fields["kind"].choices = [("", _("All types")), *ChargingStation.Kind.choices]
        bootstrap(self)

    def clean(self):
        """A period that ends before it starts, lies in the future or is longer than
        :data:`MAX_RANGE_DAYS` is refused at its field (a lone start is measured to the
        end the page would use)."""
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        today = clock.local_today()
        for name, day in (("date_from", start), ("date_to", end)):
            if day and day > today:
                self.add_error(name, _("Choose today (%(today)s) or an earlier day.")
                               % {"today": today.isoformat()})
        if self.errors:
            return data
        if start and end and start > end:
            self.add_error("date_to", _("The end date is before the start date."))
            return data
        if start and end is None:  # the end the page will use: the latest session's day
            end = default_range(UtilisationFilters(
                date_from=start, campus=data.get("campus"), kind=data.get("kind") or None))[1]
        if start and (end - start).days >= MAX_RANGE_DAYS:
            self.add_error("date_to" if data.get("date_to") else "date_from",
                           _("Choose a period of at most %(days)s days.")
                           % {"days": MAX_RANGE_DAYS})
        return data

    def to_filters(self) -> UtilisationFilters:
        """The filters to apply. A bad date drops both dates (the default period is shown
        with the error above it); a bad campus or type is left out."""
        if not self.is_bound:
            return UtilisationFilters()
        self.is_valid()
        data = self.cleaned_data
        dates_ok = not ({"date_from", "date_to"} & set(self.errors))
        return UtilisationFilters(date_from=data.get("date_from") if dates_ok else None,
                                  date_to=data.get("date_to") if dates_ok else None,
                                  campus=data.get("campus"), kind=data.get("kind") or None)


# --- import mappings --------------------------------------------------------------------------------
class StationMappingForm(forms.Form):
    """Step 2 of a station import: columns, and what the file does not say (campus, type,
    operator, the unit faults go to, points)."""

    #: No browser-side "required": the operator's name is needed only while no column holds
    #: it, and choosing the column on this page must not leave the browser blocking the
    #: submit; every problem comes back at its field instead.
    use_required_attribute = False

    default_campus = forms.TypedChoiceField(label=gettext_lazy("Campus of these stations"),
                                            coerce=int, required=False, empty_value=None)
    kind = forms.ChoiceField(label=gettext_lazy("Type"), choices=ChargingStation.Kind.choices)
    operator_name = forms.CharField(
        label=gettext_lazy("Operator (when the file has no operator column)"), required=False,
        max_length=64)
    operator_unit = forms.TypedChoiceField(
        label=gettext_lazy("Operator's unit (faults are routed to it)"), coerce=int,
        required=False, empty_value=None)
    points = forms.IntegerField(
        label=gettext_lazy("Charging points per station (when the file has no points column)"),
        min_value=1, max_value=500)

    def __init__(self, *args, table: Table, plan: importing.StationImportPlan, **kwargs):
        super().__init__(*args, **kwargs)
        self.table = table
        self.column_fields = add_column_fields(self, importing.STATION_TARGETS, table, plan)
        self.fields["default_campus"].choices = _campus_choices(_("Choose the campus"))
        self.fields["operator_unit"].choices = [("", _("None: the routing rules decide"))] + [
            (u.pk, u.name) for u in Unit.objects.filter(is_active=True).order_by("kind", "name")]
        for name in ("default_campus", "kind", "operator_name", "operator_unit", "points"):
            self.fields[name].initial = getattr(plan, name)
        # The campus is always needed; the operator's name when no column holds it (the
        # column chosen in this submission, else the suggested one): both marked "*".
        self.fields["default_campus"].required = True
        self.fields["default_campus"].error_messages["required"] = _(
            "Choose the campus of these stations.")
        self.fields["operator_name"].required = (
            bound_column(self, "operator_name", table, plan) is None)
        self.fields["operator_name"].error_messages["required"] = (
            importing.operator_missing_message())
        bootstrap(self)

    def to_plan(self) -> importing.StationImportPlan:
        data = self.cleaned_data
        return importing.StationImportPlan(
            columns=columns_from(data, importing.STATION_TARGETS),
            default_campus=data.get("default_campus"), kind=data.get("kind"),
            operator_name=(data.get("operator_name") or "").strip(),
            operator_unit=data.get("operator_unit"), points=data.get("points") or 1)

    def clean(self):
        cleaned = super().clean()
        if not self.errors:
            for name, problem in importing.station_plan_field_problems(self.table,
                                                                       self.to_plan()):
                self.add_error(name if name in self.fields else None, problem)
        return cleaned


class SessionMappingForm(forms.Form):
    """Step 2 of a session import: columns, the file's time zone and date order."""

    time_zone = forms.ChoiceField(
        choices=CHARGING_TIME_ZONES, label=gettext_lazy("Times in the file are in"),
        help_text=gettext_lazy(
            "The operator's local time. The statistics group by Beijing time: Europe/Zurich "
            "keeps the true moments of the Lugano sample (its noon is 19:00 in Beijing); "
            "Asia/Shanghai charts a file by the clock times it records."))
    date_order = forms.ChoiceField(
        choices=DATE_ORDER_CHOICES, label=gettext_lazy("Dates like 01.02.17"),
        help_text=gettext_lazy("Detection uses the dates that can only be read one way (a "
                               "number above 12) and falls back to month first."))

    def __init__(self, *args, table: Table, plan: importing.SessionImportPlan, **kwargs):
        super().__init__(*args, **kwargs)
        self.table = table
        self.column_fields = add_column_fields(self, importing.SESSION_TARGETS, table, plan)
        if plan.time_zone not in dict(CHARGING_TIME_ZONES):
            self.fields["time_zone"].choices = [*CHARGING_TIME_ZONES,
                                                (plan.time_zone, plan.time_zone)]
        self.fields["time_zone"].initial = plan.time_zone
        self.fields["date_order"].initial = plan.date_order
        day_first, decided = importing.date_order_of(table, plan)
        self.detected_order = (
            (_("day first") if day_first else _("month first")) if decided else None)
        self.value_groups = []
        bootstrap(self)

    def value_rows(self):
        return iter(())

    def to_plan(self) -> importing.SessionImportPlan:
        data = self.cleaned_data
        return importing.SessionImportPlan(
            columns=columns_from(data, importing.SESSION_TARGETS),
            time_zone=data.get("time_zone") or settings.TIME_ZONE,
            date_order=data.get("date_order") or "auto")

    def clean(self):
        cleaned = super().clean()
        if not self.errors:
            for problem in importing.session_plan_problems(self.table, self.to_plan()):
                self.add_error(None, problem)
        return cleaned
