"""Forms of the grid pages. They parse input only; the rules (a building of the grid, a
time not in the future, one's own grid …) live in :mod:`..services.grids`, so the page and
any other caller get the same messages."""

import datetime as dt

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from safecampus.accounts.models import Role, User
from safecampus.core import clock
from safecampus.core.forms import (
    IdempotentFormMixin,
    LocalDateField,
    MultiplePhotoField,
    bootstrap,
)
from safecampus.hazards.selectors import categories_active
from safecampus.organisation.models import Building, Place, Zone
from safecampus.organisation.selectors import campuses

from ..models import GridVisit
from ..selectors.grids import month_start
from ..services.grids import visit_zones_for

LOCAL_MINUTE = "%Y-%m-%dT%H:%M"


def _zone_label(zone: Zone) -> str:
    return f"{zone.campus.name} · {zone.name}"


class GridVisitForm(IdempotentFormMixin):
    """A grid officer's visit, on a phone: his grid (preselected when he has one), a
    building of it, what kind of visit, when, where, whom he met and what he found."""

    zone = forms.TypedChoiceField(label=_("Grid"), coerce=int)
    building = forms.TypedChoiceField(label=_("Building"), coerce=int, required=False,
                                      empty_value=None)
    kind = forms.ChoiceField(label=_("Kind of visit"), choices=GridVisit.Kind.choices,
                             initial=GridVisit.Kind.ROUTINE)
    visited_at = forms.DateTimeField(
        label=_("Time of the visit"), input_formats=[LOCAL_MINUTE, "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=LOCAL_MINUTE))
    community = forms.CharField(label=_("Community or rooms visited"), required=False,
                                max_length=120, widget=forms.TextInput(attrs={
                                    "placeholder": _("e.g. Building 3, rooms 301–310")}))
    people_met = forms.IntegerField(label=_("People met"), min_value=0, max_value=1000, required=False,
                                    initial=0, widget=forms.NumberInput(attrs={
                                        "inputmode": "numeric"}))
    findings = forms.CharField(label=_("What was found"), required=False, max_length=4000,
                               widget=forms.Textarea(attrs={"rows": 3}))
    needs_follow_up = forms.BooleanField(label=_("Needs follow-up"), required=False)
    found_hazard = forms.BooleanField(
        label=_("Found a hazard"), required=False,
        help_text=_("After saving, you report it with this visit as its source."))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        zones = list(visit_zones_for(user).select_related("campus")
                     .order_by("campus__sort_order", "campus_id", "code"))
        self.zones = zones
        choices = [(z.pk, _zone_label(z)) for z in zones]
        if len(zones) != 1:
            choices.insert(0, ("", _("Choose a grid")))
        self.fields["zone"].choices = choices
        if len(zones) == 1 and not self.is_bound:
            self.initial.setdefault("zone", zones[0].pk)
        # Buildings grouped by grid; the service checks the building is in the chosen grid.
        buildings: dict[int, list] = {}
        for b in Building.objects.filter(zone__in=[z.pk for z in zones]).order_by("code"):
            buildings.setdefault(b.zone_id, []).append((b.pk, b.name))
        grouped = [("", _("No particular building"))]
        if len(zones) == 1:
            grouped += buildings.get(zones[0].pk, [])
        else:
            grouped += [(z.name, buildings[z.pk]) for z in zones if z.pk in buildings]
        self.fields["building"].choices = grouped
        if not self.is_bound:
            now = clock.now().astimezone(clock.local_zone()).replace(second=0, microsecond=0)
            self.initial.setdefault("visited_at", now)
        self.fields["visited_at"].widget.attrs["max"] = (
            clock.now().astimezone(clock.local_zone()).strftime(LOCAL_MINUTE))
        bootstrap(self)

    def service_arguments(self) -> dict:
        data = self.cleaned_data
        return {"zone_id": data["zone"], "building_id": data.get("building"),
                "kind": data["kind"], "visited_at": data["visited_at"],
                "community": data.get("community", ""), "people_met": data.get("people_met") or 0,
                "findings": data.get("findings", ""),
                "needs_follow_up": data.get("needs_follow_up", False),
                "idempotency_key": data.get("idempotency_key")}


class VisitHazardForm(IdempotentFormMixin):
    """A hazard found on a grid visit: what, which category, where in the grid, photos."""

    title = forms.CharField(label=_("What is the hazard?"), max_length=120,
                            widget=forms.TextInput(attrs={"placeholder": _(
                                "e.g. Fire door propped open")}))
    category = forms.TypedChoiceField(label=_("Category"), coerce=int)
    building = forms.TypedChoiceField(label=_("Building"), coerce=int, required=False,
                                      empty_value=None)
    place = forms.TypedChoiceField(label=_("Place (optional)"), coerce=int, required=False,
                                   empty_value=None)
    location_text = forms.CharField(label=_("Where exactly"), required=False, max_length=200)
    description = forms.CharField(label=_("Description"), required=False, max_length=4000,
                                  widget=forms.Textarea(attrs={"rows": 3}))
    photos = MultiplePhotoField()

    def __init__(self, *args, visit: GridVisit, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [("", _("Choose a category"))] + [
            (c.pk, c.name) for c in categories_active()]
        self.fields["building"].choices = [("", _("Choose a building"))] + [
            (b.pk, b.name) for b in Building.objects.filter(zone_id=visit.zone_id)
            .order_by("code")]
        self.fields["place"].choices = [("", _("No particular place"))] + [
            (p.pk, str(p)) for p in Place.objects.filter(zone_id=visit.zone_id)
            .select_related("building").order_by("building__code", "code")[:300]]
        self.fields["photos"].widget.attrs["accept"] = "image/*"
        if not self.is_bound:
            self.initial.setdefault("building", visit.building_id)
            self.initial.setdefault("title", "")
            self.initial.setdefault("description", visit.findings)
        bootstrap(self)

    def service_arguments(self) -> dict:
        data = self.cleaned_data
        return {"title": data["title"], "category_id": data["category"],
                "building_id": data.get("building"), "place_id": data.get("place"),
                "location_text": data.get("location_text", ""),
                "description": data.get("description", ""), "photos": data.get("photos") or [],
                "idempotency_key": data.get("idempotency_key")}


class UserByNameField(forms.CharField):
    """A user named by username or staff number (for thousands of users a select would not
    do)."""

    def clean(self, value):
        value = super().clean(value)
        if not value:
            return None
        user = (User.objects.filter(Q(username=value) | Q(employee_number=value))
                .order_by("pk").first())
        if user is None:
            raise forms.ValidationError(_("No user with this username or staff number."),
                                        code="unknown_user")
        return user


class GridMemberForm(forms.Form):
    user = UserByNameField(label=_("Username or staff number"), max_length=150)
    role = forms.ChoiceField(label=_("Role"), choices=[
        (Role.GRID_HEAD, Role.GRID_HEAD.label), (Role.GRID_OFFICER, Role.GRID_OFFICER.label)],
        initial=Role.GRID_OFFICER)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        bootstrap(self)


class GridBuildingForm(forms.Form):
    """A building of the grid's campus that is not yet in this grid."""

    building = forms.TypedChoiceField(label=_("Building"), coerce=int)

    def __init__(self, *args, zone: Zone, **kwargs):
        super().__init__(*args, **kwargs)
        others = (Building.objects.filter(campus_id=zone.campus_id)
                  .exclude(zone_id=zone.pk).select_related("zone").order_by("code"))
        self.fields["building"].choices = [("", _("Choose a building"))] + [
            (b.pk, f"{b.name} ({b.zone.name})" if b.zone_id else b.name) for b in others]
        bootstrap(self)


class VisitFilterForm(forms.Form):
    zone = forms.TypedChoiceField(label=_("Grid"), coerce=int, required=False,
                                  empty_value=None)
    kind = forms.ChoiceField(label=_("Kind of visit"), required=False,
                             choices=[("", _("All kinds"))] + GridVisit.Kind.choices)
    follow_up = forms.BooleanField(label=_("Needs follow-up"), required=False)
    date_from = LocalDateField(label=_("From"))
    date_to = LocalDateField(label=_("To"))

    def __init__(self, *args, zones, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["zone"].choices = [("", _("All grids"))] + [
            (z.pk, _zone_label(z)) for z in zones]
        bootstrap(self)

    def filtered(self, visits):
        """``visits`` narrowed by the valid filters (a bad value is ignored, its error shown)."""
        if not self.is_bound or not self.is_valid():
            return visits
        data = self.cleaned_data
        if data.get("zone"):
            visits = visits.filter(zone_id=data["zone"])
        if data.get("kind"):
            visits = visits.filter(kind=data["kind"])
        if data.get("follow_up"):
            visits = visits.filter(needs_follow_up=True)
        if data.get("date_from"):
            visits = visits.filter(visited_at__gte=clock.start_of_local_day(data["date_from"]))
        if data.get("date_to"):
            visits = visits.filter(visited_at__lt=clock.start_of_local_day(
                data["date_to"] + dt.timedelta(days=1)))
        return visits


class DashboardFilterForm(forms.Form):
    """The dashboard's period (local dates, default this month) and campus."""

    date_from = LocalDateField(label=_("From"))
    date_to = LocalDateField(label=_("To"))
    campus = forms.ModelChoiceField(queryset=None, required=False, label=_("Campus"),
                                    empty_label=_("All campuses"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["campus"].queryset = campuses()
        today = clock.local_today()
        self.default_from, self.default_to = month_start(today), today
        if not self.is_bound:
            self.initial = {"date_from": self.default_from, "date_to": self.default_to}
        bootstrap(self)

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and start > clock.local_today():
            # As the cockpit says it: a period that has not begun has no visits to count.
            self.add_error("date_from", _("This period has not started yet; choose a "
                                          "period up to today."))
        elif start and end and start > end:
            self.add_error("date_to", _("The end date is before the start date."))
        elif start and end and (end - start).days > 366:
            self.add_error("date_to", _("Choose a period of at most a year."))
        return data

    def period(self) -> tuple[dt.date, dt.date, int | None]:
        """``(date_from, date_to, campus id)``; a bad or missing value takes its default."""
        if not self.is_bound or not self.is_valid():
            data = getattr(self, "cleaned_data", {}) if self.is_bound else {}
            campus = data.get("campus")
            return self.default_from, self.default_to, campus.pk if campus else None
        data = self.cleaned_data
        campus = data.get("campus")
        return (data.get("date_from") or self.default_from, data.get("date_to") or self.default_to,
                campus.pk if campus else None)
