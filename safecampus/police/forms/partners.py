"""Forms of the partners area. They parse input only; the rules live in
:mod:`..services.partners`, so the pages and the API give the same messages."""

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from safecampus.core.forms import IdempotentFormMixin, bootstrap
from safecampus.organisation.models import Campus

from ..models import Partner
from ..services.partners import PartnerInput


class PartnerForm(IdempotentFormMixin):
    code = forms.CharField(label=_("Code"), max_length=32, widget=forms.TextInput(
        attrs={"placeholder": "xq-station", "autocapitalize": "off"}))
    name = forms.CharField(label=pgettext_lazy("partner", "Name"), max_length=100)
    kind = forms.ChoiceField(label=_("Kind"), choices=Partner.Kind.choices)
    campuses = forms.MultipleChoiceField(label=_("Campuses served"), required=False,
                                         widget=forms.CheckboxSelectMultiple)
    address = forms.CharField(label=_("Address"), max_length=200, required=False)
    phone = forms.CharField(label=_("Duty phone"), max_length=32, required=False,
                            widget=forms.TextInput(attrs={"inputmode": "tel"}))
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["campuses"].choices = list(
            Campus.objects.order_by("sort_order", "pk").values_list("pk", "name"))
        bootstrap(self)
        self.fields["campuses"].widget.attrs["class"] = "form-check-input"

    @staticmethod
    def initial_of(partner: Partner) -> dict:
        return {"code": partner.code, "name": partner.name, "kind": partner.kind,
                "campuses": [c.pk for c in partner.campuses.all()],
                "address": partner.address, "phone": partner.phone,
                "is_active": partner.is_active}

    def service_input(self) -> PartnerInput:
        d = self.cleaned_data
        return PartnerInput(code=d["code"], name=d["name"], kind=d["kind"],
                            campus_ids=d["campuses"], address=d["address"], phone=d["phone"],
                            is_active=d["is_active"])


class LiaisonForm(forms.Form):
    """An existing user (typed: user name, name or staff number, with suggestions), or a new
    account by user name, full name, phone and an initial password."""

    user = forms.CharField(
        label=_("Existing user"), required=False, max_length=150,
        help_text=_("Type a user name, name or staff/student number and pick from the list."),
        widget=forms.TextInput(attrs={"autocapitalize": "off", "autocomplete": "off",
                                      "list": "liaison-users", "type": "search"}))
    username = forms.CharField(label=_("Or a new account: user name"), required=False,
                               max_length=150, widget=forms.TextInput(
                                   attrs={"autocapitalize": "off"}))
    full_name = forms.CharField(label=_("Full name"), required=False, max_length=64)
    phone = forms.CharField(label=_("Mobile phone"), required=False, max_length=20,
                            widget=forms.TextInput(attrs={"inputmode": "tel"}))
    password = forms.CharField(
        label=_("Initial password"), required=False, strip=False,
        help_text=_("For a new account. Give it to the liaison in person; they should change "
                    "it after signing in. Leave empty if they sign in by single sign-on."),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))
    post = forms.CharField(label=_("Post"), required=False, max_length=64,
                           widget=forms.TextInput(attrs={"placeholder": _("e.g. 社区民警")}))

    def __init__(self, *args, search_url: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        bootstrap(self)
        if search_url:  # suggestions as one types (htmx swaps the datalist's options)
            self.fields["user"].widget.attrs.update({
                "hx-get": search_url, "hx-trigger": "input changed delay:250ms",
                "hx-target": "#liaison-users", "hx-swap": "innerHTML"})
