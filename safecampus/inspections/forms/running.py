"""Forms for doing an inspection: start, record a result, submit, and the detail-page actions.

They parse input only; the rules (which outcome, which item, what is missing) live in
``services.py`` so the phone page, the API and the tests get the same messages.
"""

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from safecampus.core.forms import IdempotentFormMixin, bootstrap
from safecampus.organisation.models import Building, Campus, Place, Unit

from ..models import ChecklistTemplate, Inspection, ResultPhoto
from ..selectors import templates_runnable


def self_inspection_places(user):
    """Places a unit's safety contact or leader may self-inspect: those of the units they act
    for (the place's own unit, else its building's)."""
    units = [uid for uid in user.scope.unit_ids if user.scope.acts_for_unit(uid)]
    return Place.objects.filter(
        Q(unit_id__in=units) | Q(unit__isnull=True, building__unit_id__in=units))


def picker_limited_to(picker: dict, places) -> dict:
    """The place picker's data (``organisation.selectors.place_picker_data``) cut down to
    ``places`` and the buildings they are in."""
    ids = set(places.values_list("pk", flat=True))
    rows = [row for row in picker["places"] if row[0] in ids]
    buildings = {row[2] for row in rows}
    return {"buildings": [row for row in picker["buildings"] if row[0] in buildings],
            "places": rows}


class StartForm(IdempotentFormMixin):
    """An ad-hoc inspection: campus → building → place (cascading picker) and a checklist."""

    campus = forms.ModelChoiceField(Campus.objects.all(), label=_("Campus"))
    building = forms.ModelChoiceField(Building.objects.all(), label=_("Building"),
                                      required=False)
    place = forms.ModelChoiceField(Place.objects.select_related("building"), label=_("Place"))
    template = forms.ModelChoiceField(ChecklistTemplate.objects.none(), label=_("Checklist"))

    def __init__(self, *args, places=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["template"].queryset = templates_runnable().order_by("name")
        if places is not None:
            self.fields["place"].queryset = places.select_related("building")
            self.fields["building"].queryset = Building.objects.filter(
                pk__in=places.values("building_id"))
            self.fields["campus"].queryset = Campus.objects.filter(
                pk__in=places.values("campus_id"))
        self.fields["campus"].widget.attrs["data-picker"] = "campus"
        self.fields["building"].widget.attrs["data-picker"] = "building"
        self.fields["place"].widget.attrs["data-picker"] = "place"
        self.fields["building"].label_from_instance = lambda b: b.name
        self.fields["place"].label_from_instance = lambda p: p.name
        bootstrap(self)


class StartTargetForm(IdempotentFormMixin):
    """The Start button beside a planned target."""

    target_id = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class ResultForm(forms.Form):
    """One item's answer as the run page sends it (the outcome is checked by the service)."""

    outcome = forms.CharField(required=False, max_length=32)
    note = forms.CharField(required=False, strip=False)
    fixed_on_spot = forms.BooleanField(required=False)
    fix_note = forms.CharField(required=False, strip=False)


class ResultPhotoForm(forms.Form):
    client_id = forms.CharField(required=False, max_length=200)
    stage = forms.CharField(required=False, max_length=16)
    photo = forms.FileField(required=False)

    def clean_stage(self) -> str:
        return self.cleaned_data["stage"] or ResultPhoto.Stage.FINDING


class _SignerNameField(forms.CharField):
    """Required for an office inspection (marked so on the page), but an empty name is
    reported by ``inspection_submit`` together with everything else still missing."""

    def validate(self, value):
        if value not in self.empty_values:
            super().validate(value)


class SubmitForm(forms.Form):
    """Overall remarks, the unit representative's name and on-screen signature."""

    summary = forms.CharField(label=_("Overall remarks"), required=False,
                              widget=forms.Textarea(attrs={"rows": 3}))
    signer_name = _SignerNameField(label=_("Unit representative"), required=False, max_length=64,
                                   help_text=_("The person of the inspected unit who signs."))
    signature = forms.CharField(widget=forms.HiddenInput, required=False)
    row_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, inspection: Inspection | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if inspection is not None and inspection.kind == Inspection.Kind.SELF:
            self.fields["signer_name"].help_text = _(
                "Optional for a self-inspection: who signs for the unit.")
        elif inspection is not None:
            # inspection_submit: an office inspection needs the representative's name.
            self.fields["signer_name"].required = True
        bootstrap(self)


class ReasonForm(forms.Form):
    """A reason (send back, reopen, cancel) or a comment (approve), with the row version."""

    reason = forms.CharField(label=_("Reason"), required=False,
                             widget=forms.Textarea(attrs={"rows": 2}))
    row_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, label=None, **kwargs):
        super().__init__(*args, **kwargs)
        if label:
            self.fields["reason"].label = label
        bootstrap(self)


class InspectionFilterForm(forms.Form):
    state = forms.ChoiceField(choices=[("", _("All states"))] + Inspection.State.choices,
                              required=False, label=_("State"))
    unit = forms.ModelChoiceField(Unit.objects.all(), required=False, label=_("Unit"))
    campus = forms.ModelChoiceField(Campus.objects.all(), required=False, label=_("Campus"))

    def __init__(self, *args, unit_ids=None, **kwargs):
        super().__init__(*args, **kwargs)
        if unit_ids is not None:  # a unit's people choose among their own units only
            self.fields["unit"].queryset = Unit.objects.filter(pk__in=unit_ids)
        bootstrap(self)
        for name in ("unit", "campus"):
            self.fields[name].empty_label = self.fields[name].label

    def apply(self, queryset):
        """``queryset`` narrowed by the valid filters (a bad value is dropped, shown as an
        error on the page)."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        if data.get("state"):
            queryset = queryset.filter(state=data["state"])
        if data.get("unit"):
            queryset = queryset.filter(unit=data["unit"])
        if data.get("campus"):
            queryset = queryset.filter(campus=data["campus"])
        return queryset
