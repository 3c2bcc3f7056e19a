"""Forms of the set-up pages. They parse input only; the rules (unique route code, a place of
the route's campus, positions in range, a window that fits a round) live in
``services.setup`` so the pages and the API give the same messages."""

from django import forms
from django.utils.dates import WEEKDAYS_ABBR
from django.utils.translation import gettext_lazy as _

from safecampus.core.forms import IdempotentFormMixin, bootstrap
from safecampus.organisation.models import Campus, Zone

from ..selectors.setup import patrol_people

#: ISO weekday numbers with Django's translated short names (Mon … Sun).
WEEKDAY_CHOICES = [(str(n + 1), WEEKDAYS_ABBR[n]) for n in range(7)]


def _person(user) -> str:
    return user.full_name or user.username


class RouteForm(IdempotentFormMixin):
    campus = forms.IntegerField(label=_("Campus"), widget=forms.Select)
    zone = forms.IntegerField(label=_("Zone"), required=False, widget=forms.Select)
    code = forms.CharField(label=_("Route code"), max_length=64, required=False,
                           help_text=_("Short and unique, letters, digits and dashes: "
                                       "north-night."))
    name = forms.CharField(label=_("Route name"), max_length=200, required=False)
    description = forms.CharField(label=_("Description"), required=False, max_length=4000,
                                  widget=forms.Textarea(attrs={"rows": 3}))
    is_active = forms.BooleanField(label=_("In use"), required=False, initial=True,
                                   help_text=_("A route not in use plans no shifts and its "
                                               "stickers are refused."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["campus"].widget.choices = [("", _("Choose a campus"))] + [
            (c.pk, c.name) for c in Campus.objects.order_by("sort_order", "id")]
        self.fields["zone"].widget.choices = [("", _("No zone"))] + [
            (z.pk, f"{z.campus.name} · {z.name}")
            for z in Zone.objects.select_related("campus").order_by("campus__sort_order",
                                                                    "campus_id", "name")]
        bootstrap(self)

    def service_arguments(self) -> dict:
        d = self.cleaned_data
        return {"campus_id": d.get("campus"), "zone_id": d.get("zone"), "code": d["code"],
                "name": d["name"], "description": d.get("description", ""),
                "is_active": bool(d.get("is_active"))}


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
    name = forms.CharField(label=_("Name on the sticker"), required=False, max_length=200,
                           help_text=_("Leave empty to use the place's name."))
    # Text, not DecimalField: the service says what is wrong (range, both or neither).
    latitude = forms.CharField(label=_("Latitude"), required=False, max_length=32,
                               widget=forms.TextInput(attrs={"inputmode": "decimal",
                                                             "placeholder": "30.760123"}))
    longitude = forms.CharField(label=_("Longitude"), required=False, max_length=32,
                                widget=forms.TextInput(attrs={"inputmode": "decimal",
                                                              "placeholder": "103.980456"}))
    radius_m = forms.IntegerField(label=_("Allowed distance (m)"), required=False, initial=150,
                                  help_text=_("A scan farther than this from the position is "
                                              "flagged."))


class CheckpointAddForm(IdempotentFormMixin, _PositionFields):
    place = forms.IntegerField(label=_("Place"), required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
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

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
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
