"""Forms of the violation pages. They parse input only; the rules (a valid plate, a photo
for a violation, the notice interval and cap …) live in :mod:`..services.violations`, so the
pages and the API give the same messages."""

from django import forms
from django.utils.translation import gettext_lazy as _

from safecampus.core.forms import (
    IdempotentFormMixin,
    LocalDateField,
    MultiplePhotoField,
    bootstrap,
)
from safecampus.organisation.models import Campus, Place

from ..models import Appeal, OffenderRule, Violation, ViolationKind


class ViolationRecordForm(IdempotentFormMixin):
    """A guard's phone form: plate (big input), type as large buttons, level, where, photos
    from the camera, note."""

    plate = forms.CharField(label=_("Plate number"), max_length=32, widget=forms.TextInput(
        attrs={"autocapitalize": "characters", "autocomplete": "off", "spellcheck": "false",
               "placeholder": _("e.g. 陕A12345"), "class": "plate-input"}))
    kind = forms.ChoiceField(label=_("What is wrong"), choices=ViolationKind.choices,
                             widget=forms.RadioSelect)
    level = forms.ChoiceField(label=_("Level"), choices=Violation.Level.choices,
                              initial=Violation.Level.VIOLATION, widget=forms.RadioSelect)
    campus = forms.TypedChoiceField(label=_("Campus"), coerce=int, required=False,
                                    empty_value=None)
    place = forms.TypedChoiceField(label=_("Place (optional)"), coerce=int, required=False,
                                   empty_value=None)
    location_text = forms.CharField(label=_("Where exactly"), required=False, max_length=200,
                                    widget=forms.TextInput(attrs={
                                        "placeholder": _("e.g. north gate, by the hydrant")}))
    photos = MultiplePhotoField(label=_("Photos of the vehicle and where it stands"),
                                help_text=_("Required for a violation, 1 to 6 photos."))
    note = forms.CharField(label=_("Note"), required=False, max_length=2000,
                           widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        campuses = list(Campus.objects.order_by("sort_order", "pk"))
        self.fields["campus"].choices = [("", _("Choose the campus"))] + [
            (c.pk, c.name) for c in campuses]
        if len(user.scope.campus_ids) == 1 and not self.is_bound:
            self.initial.setdefault("campus", next(iter(user.scope.campus_ids)))
        places = Place.objects.select_related("campus").order_by("campus__sort_order",
                                                                 "campus_id", "code")[:500]
        self.fields["place"].choices = [("", _("No particular place"))] + [
            (p.pk, f"{p.campus.name} · {p.name}") for p in places]
        self.fields["photos"].widget.attrs["accept"] = "image/*"
        bootstrap(self)
        for name in ("kind", "level"):
            self.fields[name].widget.attrs["class"] = "btn-check"
        self.fields["plate"].widget.attrs["class"] = "form-control form-control-lg plate-input"

    def service_arguments(self) -> dict:
        data = self.cleaned_data
        return {"plate": data["plate"], "kind": data["kind"], "level": data["level"],
                "campus_id": data.get("campus"), "place_id": data.get("place"),
                "location_text": data.get("location_text", ""), "note": data.get("note", ""),
                "photos": data.get("photos") or [],
                "idempotency_key": data.get("idempotency_key")}


class VoidForm(forms.Form):
    reason = forms.CharField(label=_("Why is it void?"), max_length=2000,
                             widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        bootstrap(self)


class AppealForm(forms.Form):
    reason = forms.CharField(label=_("Why is the violation wrong?"), max_length=2000,
                             widget=forms.Textarea(attrs={"rows": 3}))
    photo = forms.FileField(label=_("Photo (optional)"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["photo"].widget.attrs["accept"] = "image/*"
        # the service's (and the guide's) words for an empty reason
        self.fields["reason"].error_messages["required"] = _("Say why the violation is wrong.")
        bootstrap(self)

    def clean_photo(self):
        """One photo: several files under ``photo`` (a crafted request, an old page) are
        refused rather than all but one dropped silently."""
        files = self.files
        sent = files.getlist(self.add_prefix("photo")) if hasattr(files, "getlist") else []
        if len(sent) > 1:
            raise forms.ValidationError(_("Send one photo only (%(count)s were sent).")
                                        % {"count": len(sent)}, code="several")
        return self.cleaned_data.get("photo")


class AppealDecideForm(forms.Form):
    decision = forms.ChoiceField(label=_("Decision"), widget=forms.RadioSelect, choices=[
        ("grant", _("Grant: the violation becomes void")),
        ("refuse", _("Refuse: the violation stands"))])
    #: No max_length here: the service refuses a longer note saying how long it is.
    note = forms.CharField(label=_("Reason for the decision"),
                           widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        bootstrap(self)
        self.fields["decision"].widget.attrs["class"] = "form-check-input"


class ViolationFilterForm(forms.Form):
    plate = forms.CharField(label=_("Plate"), required=False, max_length=32)
    kind = forms.ChoiceField(label=_("Type"), required=False,
                             choices=[("", _("All types"))] + ViolationKind.choices)
    state = forms.ChoiceField(label=_("State"), required=False,
                              choices=[("", _("All states"))] + Violation.State.choices)
    date_from = LocalDateField(label=_("From"))
    date_to = LocalDateField(label=_("To"))
    campus = forms.ModelChoiceField(Campus.objects.all(), required=False, label=_("Campus"),
                                    empty_label=_("All campuses"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        bootstrap(self)

    def filters(self) -> dict:
        """The valid filters (a bad one is left out and shown as the form's error)."""
        data = self.cleaned_data if self.is_bound else {}
        campus = data.get("campus")
        return {"plate": data.get("plate") or "", "kind": data.get("kind") or "",
                "state": data.get("state") or "", "date_from": data.get("date_from"),
                "date_to": data.get("date_to"), "campus_id": campus.pk if campus else None}


class OffenderRuleForm(forms.Form):
    name = forms.CharField(label=_("Rule name"), max_length=64)
    count = forms.IntegerField(label=_("Violations"), min_value=1, max_value=100)
    days = forms.IntegerField(label=_("Within days"), min_value=1, max_value=3650)
    action = forms.ChoiceField(label=_("Action"), choices=OffenderRule.Action.choices)
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        bootstrap(self)


class AppealQueueForm(forms.Form):
    """The appeals queue's filter: which state (pending by default)."""

    state = forms.ChoiceField(label=_("State"), required=False, choices=Appeal.State.choices)

    def chosen_state(self) -> str:
        """The state asked for, or pending when none (or a bad one) is given."""
        if self.is_bound and self.is_valid() and self.cleaned_data.get("state"):
            return self.cleaned_data["state"]
        return Appeal.State.PENDING
