"""Forms of the abandoned-vehicle pages. They parse input only; the rules (a valid plate, a
photo, the deadlines, the claim period …) live in :mod:`..services.abandoned`, so the pages
and the API give the same messages."""

import re

from django import forms
from django.utils.translation import gettext_lazy as _

from safecampus.core.forms import (
    IdempotentFormMixin,
    LocalDateField,
    MultiplePhotoField,
    bootstrap,
)
from safecampus.organisation.models import Campus, Place

from ..models import AbandonedVehicleCase, CasePhoto, CleanUpDrive, Vehicle
from ..services.abandoned import CONTACT_CHANNELS

Source = AbandonedVehicleCase.Source


def _campus_choices(empty, only=None):
    """``only``: the campus ids to offer (a guard's own campuses); None: all."""
    campuses = Campus.objects.order_by("sort_order", "pk")
    if only is not None:
        campuses = campuses.filter(pk__in=only)
    return [("", empty)] + [(c.pk, c.name) for c in campuses]


def _place_choices():
    places = Place.objects.select_related("campus").order_by("campus__sort_order", "campus_id",
                                                             "code")[:500]
    return [("", _("No particular place"))] + [(p.pk, f"{p.campus.name} · {p.name}")
                                               for p in places]


class CaseReportForm(IdempotentFormMixin):
    """A guard's phone form: photo first, plate (optional for a vehicle without one), type,
    what it looks like, where."""

    photos = MultiplePhotoField(label=_("Photos of the vehicle"),
                                help_text=_("At least one: the whole vehicle, the dust, the "
                                            "flat tyres."))
    plate = forms.CharField(label=_("Plate number"), max_length=32, required=False,
                            help_text=_("Leave empty if the vehicle has no readable plate."),
                            widget=forms.TextInput(attrs={
                                "autocapitalize": "characters", "autocomplete": "off",
                                "spellcheck": "false", "placeholder": _("e.g. 陕A12345")}))
    vehicle_kind = forms.ChoiceField(label=_("Vehicle type"), required=False,
                                     choices=Vehicle.Kind.choices, initial=Vehicle.Kind.CAR,
                                     widget=forms.RadioSelect)
    description = forms.CharField(label=_("What it looks like"), max_length=200, required=False,
                                  widget=forms.TextInput(attrs={
                                      "placeholder": _("e.g. white sedan, flat tyres, thick "
                                                       "dust")}))
    source = forms.ChoiceField(label=_("Found by"), choices=[
        (Source.PATROL, Source.PATROL.label), (Source.REPORT, Source.REPORT.label)],
        initial=Source.PATROL, widget=forms.RadioSelect)
    campus = forms.TypedChoiceField(label=_("Campus"), coerce=int, required=False,
                                    empty_value=None)
    place = forms.TypedChoiceField(label=_("Place (optional)"), coerce=int, required=False,
                                   empty_value=None)
    location_text = forms.CharField(label=_("Where exactly"), required=False, max_length=200,
                                    widget=forms.TextInput(attrs={
                                        "placeholder": _("e.g. behind building 3, bay 12")}))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["campus"].choices = _campus_choices(
            _("Choose the campus"), only=None if user.scope.sees_everything
            else user.scope.campus_ids)
        if len(user.scope.campus_ids) == 1 and not self.is_bound:
            self.initial.setdefault("campus", next(iter(user.scope.campus_ids)))
        self.fields["place"].choices = _place_choices()
        self.fields["photos"].widget.attrs["accept"] = "image/*"
        bootstrap(self)
        for name in ("vehicle_kind", "source"):
            self.fields[name].widget.attrs["class"] = "btn-check"
        self.fields["plate"].widget.attrs["class"] = "form-control form-control-lg plate-input"

    def service_arguments(self) -> dict:
        d = self.cleaned_data
        return {"source": d["source"], "plate": d.get("plate", ""),
                "vehicle_kind": d.get("vehicle_kind") or "",
                "description": d.get("description", ""), "campus_id": d.get("campus"),
                "place_id": d.get("place"), "location_text": d.get("location_text", ""),
                "photos": d.get("photos") or [], "idempotency_key": d.get("idempotency_key")}


class CaseFilterForm(forms.Form):
    q = forms.CharField(label=_("Plate or text"), required=False, max_length=64)
    campus = forms.TypedChoiceField(label=_("Campus"), coerce=int, required=False,
                                    empty_value=None)
    source = forms.ChoiceField(label=_("Source"), required=False,
                               choices=[("", _("All sources"))] + Source.choices)
    drive = forms.TypedChoiceField(label=_("Clean-up drive"), coerce=int, required=False,
                                   empty_value=None)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["campus"].choices = _campus_choices(_("All campuses"))
        self.fields["drive"].choices = [("", _("Any"))] + [
            (d.pk, d.name) for d in CleanUpDrive.objects.order_by("-starts_on", "-id")[:50]]
        bootstrap(self)

    def filters(self) -> dict:
        """The valid filters (a bad one is left out and shown as the form's error)."""
        data = self.cleaned_data if self.is_bound else {}
        return {"q": data.get("q") or "", "campus_id": data.get("campus"),
                "source": data.get("source") or "", "drive_id": data.get("drive")}


# --- one form per step -----------------------------------------------------------------------
class _StepForm(forms.Form):
    """Carries the case's version so that a stale form is refused with a conflict."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if isinstance(field, MultiplePhotoField):
                field.widget.attrs["accept"] = "image/*"
        bootstrap(self)


class NoticeForm(_StepForm):
    photos = MultiplePhotoField(label=_("Photo of the notice on the vehicle"))
    deadline = LocalDateField(label=_("Move by"), help_text=_(
        "Empty: the usual notice period."))
    note = forms.CharField(label=_("Note"), required=False, max_length=2000,
                           widget=forms.Textarea(attrs={"rows": 2}))


class ContactForm(_StepForm):
    channel = forms.ChoiceField(label=_("How"), choices=[("", _("Choose how"))]
                                + list(CONTACT_CHANNELS.items()))
    note = forms.CharField(label=_("What was said or tried"), required=False, max_length=2000,
                           widget=forms.Textarea(attrs={"rows": 2}))


class MovedForm(_StepForm):
    note = forms.CharField(label=_("Note"), required=False, max_length=2000,
                           widget=forms.Textarea(attrs={"rows": 2}))


class StoreForm(_StepForm):
    storage_place = forms.CharField(label=_("Stored at"), max_length=200)
    stored_on = LocalDateField(label=_("Removed on"), help_text=_("Empty: today."))
    photos = MultiplePhotoField(label=_("Photos of the removal"))
    note = forms.CharField(label=_("Note"), required=False, max_length=2000,
                           widget=forms.Textarea(attrs={"rows": 2}))


class ClaimForm(_StepForm):
    claimed_by_name = forms.CharField(label=_("Claimed by"), max_length=64)
    verification = forms.CharField(label=_("Owner verified by"), max_length=200,
                                   widget=forms.TextInput(attrs={
                                       "placeholder": _("e.g. driving licence and vehicle "
                                                        "registration checked")}))
    photos = MultiplePhotoField(label=_("Photos (optional)"))
    note = forms.CharField(label=_("Note"), required=False, max_length=2000,
                           widget=forms.Textarea(attrs={"rows": 2}))


class DisposeForm(_StepForm):
    note = forms.CharField(label=_("How it was disposed of"), max_length=2000,
                           widget=forms.Textarea(attrs={"rows": 2}))
    photos = MultiplePhotoField(label=_("Photos (optional)"))


class DismissForm(_StepForm):
    reason = forms.CharField(label=_("Why it is not abandoned"), max_length=2000,
                             widget=forms.Textarea(attrs={"rows": 2}))


class PhotosForm(IdempotentFormMixin):
    stage = forms.ChoiceField(label=_("Stage"), choices=CasePhoto.Stage.choices)
    photos = MultiplePhotoField(label=_("Photos"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["photos"].widget.attrs["accept"] = "image/*"
        bootstrap(self)


# --- clean-up drives -------------------------------------------------------------------------
class DriveForm(IdempotentFormMixin):
    name = forms.CharField(label=_("Name"), max_length=100, widget=forms.TextInput(attrs={
        "placeholder": _("e.g. Spring clean-up of the east car parks")}))
    campus = forms.TypedChoiceField(label=_("Campus"), coerce=int, empty_value=None)
    starts_on = LocalDateField(label=_("Starts on"), help_text=_("Empty: today."))
    notice_deadline = LocalDateField(label=_("Owners move their vehicles by"),
                                     help_text=_("Empty: the usual notice period."))
    note = forms.CharField(label=_("Note"), required=False, max_length=2000,
                           widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["campus"].choices = _campus_choices(_("Choose the campus"))
        bootstrap(self)


#: "no plate" written in the tag list's plate column.
NO_PLATE = {"-", "—", "无", "无牌", "无车牌", "none", "no plate"}
_SPLIT = re.compile(r"[\t,，;；]|\s+")


def tag_rows(text: str) -> list[dict]:
    """The tag list's lines as service rows: ``plate<space or comma>where it stands``; a
    plate of ``-`` or ``无牌`` is a vehicle without a plate whose rest of the line is its
    description. Empty lines are left out."""
    rows = []
    for line in (text or "").splitlines():
        line = line.strip()
        if not line:
            continue
        parts = _SPLIT.split(line, maxsplit=1)
        plate, rest = parts[0].strip(), (parts[1].strip() if len(parts) > 1 else "")
        if plate.lower() in NO_PLATE:
            rows.append({"plate": "", "description": rest, "location_text": ""})
        else:
            rows.append({"plate": plate, "description": "", "location_text": rest})
    return rows


class TagForm(IdempotentFormMixin):
    lines = forms.CharField(label=_("Vehicles, one per line"), widget=forms.Textarea(attrs={
        "rows": 8, "spellcheck": "false", "autocapitalize": "characters", "class": "tag-lines",
        "placeholder": _("陕A12345 behind building 3\n陕AD12345, east car park bay 12\n"
                         "- white e-bike without a plate, by the canteen")}),
        help_text=_("Plate, then where it stands. For a vehicle without a plate write “-” and "
                    "describe it."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        bootstrap(self)

    def rows(self) -> list[dict]:
        return tag_rows(self.cleaned_data.get("lines", ""))
