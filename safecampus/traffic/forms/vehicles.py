"""Forms of the vehicle pages. They parse input only; the rules (a valid plate, registered
once, owner type, permits that do not overlap …) live in ``services.vehicles`` so that the
pages and the API give the same messages."""

from django import forms
from django.utils.translation import gettext_lazy as _

from safecampus.core.forms import IdempotentFormMixin, LocalDateField, bootstrap
from safecampus.organisation.models import Unit

from ..models import Permit, Vehicle

CHOOSE = _("Choose…")


def _choices(choices, *, empty=CHOOSE):
    return [("", empty), *choices]


class VehicleForm(IdempotentFormMixin):
    """Register or edit a vehicle. ``owner`` is an account id (optional)."""

    plate = forms.CharField(label=_("Plate number"), required=False, max_length=32,
                            help_text=_("As on the plate, e.g. 陕A12345; spaces and dots do "
                                        "not matter."),
                            widget=forms.TextInput(attrs={"autocomplete": "off",
                                                          "autocapitalize": "characters"}))
    kind = forms.ChoiceField(label=_("Vehicle type"), choices=Vehicle.Kind.choices,
                             initial=Vehicle.Kind.CAR)
    tag_number = forms.CharField(label=_("Campus tag number"), required=False, max_length=64,
                                 help_text=_("E-bikes without a plate: the campus tag."))
    make = forms.CharField(label=_("Make and model"), required=False, max_length=128)
    colour = forms.CharField(label=_("Colour"), required=False, max_length=64)
    owner_name = forms.CharField(label=_("Owner"), required=False, max_length=128)
    owner_kind = forms.ChoiceField(label=_("Owner type"), required=False,
                                   choices=_choices(Vehicle.OwnerKind.choices))
    owner_phone = forms.CharField(label=_("Owner's phone"), required=False, max_length=64,
                                  widget=forms.TextInput(attrs={"inputmode": "tel"}))
    owner = forms.CharField(label=_("Owner's account"), required=False, max_length=150,
                            help_text=_("User name of the owner's SafeCampus account, if any; "
                                        "they then see the vehicle and get move-car notices."))
    unit = forms.ChoiceField(label=_("Unit"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].choices = _choices(
            [(u.pk, u.name) for u in Unit.objects.order_by("name").only("pk", "name")])
        bootstrap(self)

    @classmethod
    def initial_of(cls, vehicle: Vehicle) -> dict:
        return {"plate": vehicle.plate, "kind": vehicle.kind, "tag_number": vehicle.tag_number,
                "make": vehicle.make, "colour": vehicle.colour,
                "owner_name": vehicle.owner_name, "owner_kind": vehicle.owner_kind,
                "owner_phone": vehicle.owner_phone,
                "owner": vehicle.owner.username if vehicle.owner else "",
                "unit": vehicle.unit_id or ""}

    def clean_owner(self):
        from safecampus.accounts.models import User

        name = self.cleaned_data.get("owner", "").strip()
        if not name:
            return None
        user = User.objects.filter(username=name).first()
        if user is None:
            raise forms.ValidationError(_("No account has this user name."))
        return user.pk

    def service_arguments(self) -> dict:
        d = self.cleaned_data
        return {"plate": d.get("plate", ""), "kind": d["kind"],
                "tag_number": d.get("tag_number", ""), "make": d.get("make", ""),
                "colour": d.get("colour", ""), "owner_name": d.get("owner_name", ""),
                "owner_kind": d.get("owner_kind", ""), "owner_phone": d.get("owner_phone", ""),
                "owner_id": d.get("owner"), "unit_id": d.get("unit") or None}


class PermitForm(IdempotentFormMixin):
    kind = forms.ChoiceField(label=_("Permit type"), choices=Permit.Kind.choices,
                             initial=Permit.Kind.LONG_TERM)
    valid_from = LocalDateField(label=_("Valid from"))
    valid_until = LocalDateField(label=_("Valid until"))
    note = forms.CharField(label=_("Note"), required=False, max_length=400)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("prefix", "permit")
        super().__init__(*args, **kwargs)
        bootstrap(self)


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), required=False, max_length=4000,
                             widget=forms.TextInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        bootstrap(self)


class VehicleFilterForm(forms.Form):
    q = forms.CharField(label=_("Plate, tag or owner"), required=False, max_length=64)
    kind = forms.ChoiceField(label=_("Vehicle type"), required=False,
                             choices=_choices(Vehicle.Kind.choices, empty=_("All types")))
    owner_kind = forms.ChoiceField(label=_("Owner type"), required=False,
                                   choices=_choices(Vehicle.OwnerKind.choices,
                                                    empty=_("All owners")))
    active = forms.ChoiceField(label=_("State"), required=False, choices=[
        ("yes", _("Active")), ("no", _("Deactivated")), ("", _("All"))])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        bootstrap(self)
