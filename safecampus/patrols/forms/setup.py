"""Forms of the set-up pages. They parse input only; the rules (unique route code, a place of
the route's campus, positions in range, a window that fits a round) live in
``services.setup`` so the pages and the API give the same messages."""

from django import forms
from django.utils.dates import WEEKDAYS_ABBR
from django.utils.translation import gettext_lazy as _

from safecampus.core.forms import IdempotentFormMixin, bootstrap
from safecampus.organisation.models import Campus, Zone

from ..selectors.setup import patrol_people
from ..services.setup import (
    CHECKPOINT_NAME_MAX,
    RADIUS_MAX,
    RADIUS_MIN,
    ROUTE_CODE_MAX,
    ROUTE_NAME_MAX,
    TEXT_MAX,
    route_errors,
)

#: ISO weekday numbers with Django's translated short names (Mon … Sun).
WEEKDAY_CHOICES = [(str(n + 1), WEEKDAYS_ABBR[n]) for n in range(7)]


def _person(user) -> str:
    return user.full_name or user.username


class RouteForm(IdempotentFormMixin):
    """Campus, code and name are required (marked and ``required`` in the page); the limits
    are the service's and the model's. The form checks only what the page marks; every other
    rule is the service's, so that all of a submit's errors show at once."""

    campus = forms.CharField(label=_("Campus"), widget=forms.Select, error_messages={
        "required": _("Choose the campus of the route.")})
    zone = forms.CharField(label=_("Zone"), required=False, widget=forms.Select)
    code = forms.CharField(
        label=_("Route code"), max_length=ROUTE_CODE_MAX,
        help_text=_("Short and unique, letters, digits and dashes: north-night."),
        error_messages={"required": _("Give the route a short code, e.g. north-night.")})
    name = forms.CharField(label=_("Route name"), max_length=ROUTE_NAME_MAX,
                           error_messages={"required": _("Give the route a name.")})
    description = forms.CharField(label=_("Description"), required=False, max_length=TEXT_MAX,
                                  widget=forms.Textarea(attrs={"rows": 3}))
    is_active = forms.BooleanField(label=_("In use"), required=False, initial=True,
                                   help_text=_("A route not in use plans no shifts and its "
                                               "stickers are refused."))

    def __init__(self, *args, route_id: int | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.route_id = route_id
        self.fields["campus"].widget.choices = [("", _("Choose a campus"))] + [
            (c.pk, c.name) for c in Campus.objects.order_by("sort_order", "id")]
        self.fields["zone"].widget.choices = [("", _("No zone"))] + [
            (z.pk, f"{z.campus.name} · {z.name}")
            for z in Zone.objects.select_related("campus").order_by("campus__sort_order",
                                                                    "campus_id", "name")]
        bootstrap(self)

    def clean(self):
        """Every rule of the service at once, beside the form's own errors (a missing code
        and a zone of another campus show together, not one per submit)."""
        data = super().clean()
        if self.errors:
            for name, messages in route_errors(**self._arguments(data),
                                               route_id=self.route_id).items():
                if name in self.fields and name not in self.errors:
                    for message in messages:
                        self.add_error(name, message)
        return data

    @staticmethod
    def _arguments(d) -> dict:
        return {"campus_id": d.get("campus"), "zone_id": d.get("zone") or None,
                "code": d.get("code", ""), "name": d.get("name", ""),
                "description": d.get("description", "")}

    def service_arguments(self) -> dict:
        return {**self._arguments(self.cleaned_data),
                "is_active": bool(self.cleaned_data.get("is_active"))}


class PlaceSearchForm(forms.Form):
    """The search above the place list on the add-checkpoint page (GET)."""

    q = forms.CharField(label=_("Find a place"), required=False, max_length=100,
                        widget=forms.TextInput(attrs={
                            "type": "search", "autocomplete": "off",
                            "placeholder": _("Name, code or building")}))
    building = forms.IntegerField(label=_("Building"), required=False, widget=forms.Select)

    def __init__(self, *args, buildings=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["building"].widget.choices = [("", _("All buildings"))] + [
            (b.pk, b.name) for b in buildings]
        bootstrap(self)

    def values(self) -> dict:
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return {"text": data.get("q") or "", "building_id": data.get("building")}


class _PositionFields(forms.Form):
    """Name and position of a checkpoint. Text, not number fields: the service says what is
    wrong with each (range, both or neither), all at once with the place's error.

    ``position_hint``: (latitude, longitude) of the campus, if known, shown as placeholders;
    else the ranges."""

    name = forms.CharField(label=_("Name on the sticker"), required=False,
                           max_length=CHECKPOINT_NAME_MAX,
                           help_text=_("Leave empty to use the place's name."))
    latitude = forms.CharField(label=_("Latitude"), required=False, max_length=32,
                               widget=forms.TextInput(attrs={"inputmode": "decimal",
                                                             "placeholder": "−90 … 90"}))
    longitude = forms.CharField(label=_("Longitude"), required=False, max_length=32,
                                widget=forms.TextInput(attrs={"inputmode": "decimal",
                                                              "placeholder": "−180 … 180"}))
    radius_m = forms.CharField(label=_("Allowed distance (m)"), required=False, initial=150,
                               max_length=12,
                               widget=forms.NumberInput(attrs={"min": RADIUS_MIN,
                                                               "max": RADIUS_MAX}),
                               help_text=_("A scan farther than this from the position is "
                                           "flagged."))

    def _position_hint(self, hint) -> None:
        if hint:
            self.fields["latitude"].widget.attrs["placeholder"] = f"{hint[0]:.6f}"
            self.fields["longitude"].widget.attrs["placeholder"] = f"{hint[1]:.6f}"


class CheckpointAddForm(IdempotentFormMixin, _PositionFields):
    place = forms.CharField(label=_("Place"), required=False, max_length=20,
                            widget=forms.HiddenInput)

    def __init__(self, *args, position_hint=None, **kwargs):
        super().__init__(*args, **kwargs)
        self._position_hint(position_hint)
        bootstrap(self)

    def service_arguments(self) -> dict:
        d = self.cleaned_data
        return {"place_id": d.get("place"), "name": d.get("name", ""),
                "latitude": d.get("latitude"), "longitude": d.get("longitude"),
                "radius_m": d.get("radius_m")}


class CheckpointForm(_PositionFields):
    is_active = forms.BooleanField(label=_("In use"), required=False,
                                   help_text=_("A checkpoint not in use refuses its stickers; "
                                               "rounds that have not begun stop expecting it."))

    def __init__(self, *args, position_hint=None, **kwargs):
        super().__init__(*args, **kwargs)
        self._position_hint(position_hint)
        bootstrap(self)

    def service_arguments(self) -> dict:
        d = self.cleaned_data
        return {"name": d.get("name", ""), "latitude": d.get("latitude"),
                "longitude": d.get("longitude"), "radius_m": d.get("radius_m"),
                "is_active": bool(d.get("is_active"))}


class _PeopleFields(forms.Form):
    leader = forms.IntegerField(label=_("Shift leader"), required=False, widget=forms.Select,
                                help_text=_("Alerted when checkpoints are missed."))
    guards = forms.TypedMultipleChoiceField(label=_("Guards"), required=False, coerce=int,
                                            widget=forms.CheckboxSelectMultiple)

    def _people_choices(self):
        people = list(patrol_people())
        self.fields["leader"].widget.choices = [("", _("No leader (the office is alerted)"))] + [
            (u.pk, _person(u)) for u in people]
        self.fields["guards"].choices = [(u.pk, _person(u)) for u in people]


class ScheduleForm(IdempotentFormMixin, _PeopleFields):
    name = forms.CharField(label=_("Schedule name"), max_length=200, required=False,
                           widget=forms.TextInput(attrs={"placeholder": _("e.g. Night")}))
    starts_at = forms.TimeField(label=_("Starts at"),
                                widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"))
    ends_at = forms.TimeField(label=_("Ends at"),
                              widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
                              help_text=_("An end not after the start is the next morning "
                                          "(22:00–06:00 is a night shift)."))
    rounds = forms.IntegerField(label=_("Rounds per shift"), initial=4)
    window_minutes = forms.IntegerField(
        label=_("Window (minutes)"), initial=30,
        help_text=_("The shift is cut into equal parts, one per round; each round must be "
                    "walked within this many minutes of the start of its part."))
    weekdays = forms.MultipleChoiceField(label=_("Weekdays"), required=False,
                                         choices=WEEKDAY_CHOICES, initial=[c for c, _l in
                                                                           WEEKDAY_CHOICES],
                                         widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._people_choices()
        bootstrap(self)
        self.fields["guards"].widget.attrs["class"] = "form-check-input"
        self.fields["weekdays"].widget.attrs["class"] = "form-check-input"

    @classmethod
    def initial_from(cls, schedule) -> dict:
        return {"name": schedule.name, "starts_at": schedule.starts_at,
                "ends_at": schedule.ends_at, "rounds": schedule.rounds,
                "window_minutes": schedule.window_minutes, "weekdays": list(schedule.weekdays),
                "leader": schedule.leader_id,
                "guards": [g.pk for g in schedule.guards.all()]}

    def service_arguments(self) -> dict:
        d = self.cleaned_data
        return {"name": d.get("name", ""), "starts_at": d["starts_at"], "ends_at": d["ends_at"],
                "rounds": d["rounds"], "window_minutes": d["window_minutes"],
                "weekdays": d.get("weekdays") or [], "leader_id": d.get("leader"),
                "guard_ids": d.get("guards") or []}


class ShiftAssignForm(_PeopleFields):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._people_choices()
        bootstrap(self)
        self.fields["guards"].widget.attrs["class"] = "form-check-input"
