"""Forms of the duty-post pages. They parse input only; the rules live in
:mod:`..services.posts`, so the pages and the API give the same messages."""

import datetime as dt

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from safecampus.accounts.models import Role
from safecampus.core.forms import IdempotentFormMixin, bootstrap
from safecampus.organisation.models import Campus, Place

from ..models import ClassPeriod, DutyPost, PostDutyTime, PostLogEntry

WEEKDAY_CHOICES = [("1", _("Mon")), ("2", _("Tue")), ("3", _("Wed")), ("4", _("Thu")),
                   ("5", _("Fri")), ("6", _("Sat")), ("7", _("Sun"))]
#: Rows of the timetable form (enough for a 12-period day and a few evening periods).
TIMETABLE_ROWS = 14


def guard_choices():
    """Active guards and office staff (who may sign in at a post), by name."""
    users = (get_user_model().objects.filter(
        is_active=True, memberships__role__in=[Role.GUARD, Role.OFFICE_STAFF])
        .distinct().order_by("full_name", "username"))
    return [(u.pk, f"{u.full_name or u.username} ({u.username})") for u in users]


class PostForm(IdempotentFormMixin):
    campus = forms.TypedChoiceField(label=_("Campus"), coerce=int, empty_value=None)
    name = forms.CharField(label=pgettext_lazy("duty post", "Name"), max_length=64, widget=forms.TextInput(
        attrs={"placeholder": _("e.g. 一食堂 north entrance")}))
    kind = forms.ChoiceField(label=_("Type"), choices=DutyPost.Kind.choices)
    place = forms.TypedChoiceField(label=_("Place (optional)"), coerce=int, required=False,
                                   empty_value=None)
    duties = forms.CharField(label=_("Duties"), required=False, max_length=2000,
                             widget=forms.Textarea(attrs={"rows": 2}))
    latitude = forms.CharField(label=_("Latitude"), required=False, max_length=20)
    longitude = forms.CharField(label=_("Longitude"), required=False, max_length=20)
    radius_m = forms.IntegerField(label=_("Allowed distance (m)"), initial=150)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["campus"].choices = [(c.pk, c.name) for c in
                                         Campus.objects.order_by("sort_order", "pk")]
        places = Place.objects.select_related("campus").order_by("campus__sort_order", "code")
        self.fields["place"].choices = [("", "—")] + [
            (p.pk, f"{p.campus.name} · {p}") for p in places[:500]]
        bootstrap(self)

    def service_arguments(self) -> dict:
        data = self.cleaned_data
        return {"campus_id": data["campus"], "name": data["name"], "kind": data["kind"],
                "place_id": data["place"], "duties": data["duties"],
                "latitude": data["latitude"], "longitude": data["longitude"],
                "radius_m": data["radius_m"]}


class DutyTimeForm(IdempotentFormMixin):
    name = forms.CharField(label=pgettext_lazy("duty post", "Name"), max_length=64, widget=forms.TextInput(
        attrs={"placeholder": _("e.g. Morning, before period 1")}))
    anchor = forms.ChoiceField(label=_("Timing"), choices=PostDutyTime.Anchor.choices)
    class_period = forms.TypedChoiceField(label=_("Class period"), coerce=int, required=False,
                                          empty_value=None)
    minutes_before = forms.IntegerField(label=_("Minutes before"), initial=15, min_value=0,
                                        required=False)
    minutes_after = forms.IntegerField(label=_("Minutes after"), initial=10, min_value=0,
                                       required=False)
    starts_at = forms.TimeField(label=_("Starts at (fixed)"), required=False,
                                widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"))
    ends_at = forms.TimeField(label=_("Ends at (fixed)"), required=False,
                              widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"))
    weekdays = forms.MultipleChoiceField(label=_("Weekdays"), choices=WEEKDAY_CHOICES,
                                         initial=list("12345"),
                                         widget=forms.CheckboxSelectMultiple)
    guards = forms.TypedMultipleChoiceField(label=_("Standing guards"), coerce=int,
                                            required=False,
                                            widget=forms.CheckboxSelectMultiple)
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args, post: DutyPost, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["class_period"].choices = [("", "—")] + [
            (p.pk, _("Period %(number)s (%(start)s–%(end)s)") % {
                "number": p.number, "start": f"{p.starts_at:%H:%M}", "end": f"{p.ends_at:%H:%M}"})
            for p in ClassPeriod.objects.filter(campus_id=post.campus_id).order_by("number")]
        self.fields["guards"].choices = guard_choices()
        bootstrap(self)
        for name in ("weekdays", "guards"):
            self.fields[name].widget.attrs["class"] = "form-check-input"

    def service_arguments(self) -> dict:
        data = self.cleaned_data
        return {"name": data["name"], "anchor": data["anchor"],
                "class_period_id": data["class_period"],
                "minutes_before": data["minutes_before"] or 0,
                "minutes_after": data["minutes_after"] or 0,
                "starts_at": data["starts_at"], "ends_at": data["ends_at"],
                "weekdays": "".join(data["weekdays"]), "guard_ids": data["guards"]}


class TimetableForm(forms.Form):
    """Rows of start and end times; the filled rows, in order, are periods 1, 2, …"""

    def __init__(self, *args, periods=(), **kwargs):
        super().__init__(*args, **kwargs)
        for number in range(1, TIMETABLE_ROWS + 1):
            for part in ("start", "end"):
                self.fields[f"p{number}_{part}"] = forms.TimeField(
                    required=False, label=f"{number}",
                    widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"))
        for period in periods:
            if period.number <= TIMETABLE_ROWS:
                self.initial[f"p{period.number}_start"] = period.starts_at
                self.initial[f"p{period.number}_end"] = period.ends_at
        bootstrap(self)

    def rows(self):
        return [(n, self[f"p{n}_start"], self[f"p{n}_end"])
                for n in range(1, TIMETABLE_ROWS + 1)]

    def periods(self) -> list[tuple[dt.time | None, dt.time | None]]:
        """The rows with anything in them, as (start, end); empty trailing rows dropped."""
        rows = [(self.cleaned_data.get(f"p{n}_start"), self.cleaned_data.get(f"p{n}_end"))
                for n in range(1, TIMETABLE_ROWS + 1)]
        while rows and rows[-1] == (None, None):
            rows.pop()
        return rows


class RosterForm(forms.Form):
    guards = forms.TypedMultipleChoiceField(label=_("Guards"), coerce=int, required=False,
                                            widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["guards"].choices = guard_choices()


class SignInForm(forms.Form):
    """The guard's sign-in: the code (typed, scanned or from the QR's URL), the phone's id of
    the sign-in, and what the phone's script adds (its time and position)."""

    code = forms.CharField(label=_("Post code"), max_length=200, widget=forms.TextInput(
        attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false",
               "placeholder": _("e.g. ABCD EFGH"),
               "class": "form-control form-control-lg font-monospace"}))
    client_id = forms.UUIDField(widget=forms.HiddenInput)
    signed_at = forms.CharField(widget=forms.HiddenInput, required=False, max_length=40)
    latitude = forms.CharField(widget=forms.HiddenInput, required=False, max_length=20)
    longitude = forms.CharField(widget=forms.HiddenInput, required=False, max_length=20)
    method = forms.ChoiceField(widget=forms.HiddenInput, required=False,
                               choices=[("", ""), ("qr", "qr"), ("manual", "manual")])

    def signed_at_value(self) -> dt.datetime | None:
        """The phone's time (ISO 8601 with offset) or None (the server's time is used)."""
        text = (self.cleaned_data.get("signed_at") or "").strip()
        if not text:
            return None
        try:
            value = dt.datetime.fromisoformat(text)
        except ValueError:
            return None
        return value if value.tzinfo is not None else None


class LogEntryForm(IdempotentFormMixin):
    kind = forms.ChoiceField(label=_("Type"), choices=PostLogEntry.Kind.choices)
    text = forms.CharField(label=_("What happened"), max_length=2000,
                           widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        bootstrap(self)
