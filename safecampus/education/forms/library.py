"""Forms of the fraud library pages. They parse input only; the rules (unique codes, the
anonymisation check, publishing) live in :mod:`..services.library`, so the pages and the API
give the same messages."""

from django import forms
from django.utils.translation import gettext_lazy as _

from safecampus.core.forms import LocalDateField, bootstrap

from ..models import FraudCase, FraudType
from .reports import loss_amount_field


def _lines_widget(placeholder: str = "") -> forms.Textarea:
    return forms.Textarea(attrs={"rows": 5, "placeholder": placeholder})


class FraudTypeForm(forms.Form):
    """A fraud type: code, name, family, summary and one point per line of tactics, red
    flags and advice."""

    name = forms.CharField(label=_("Name"), max_length=64)
    code = forms.CharField(label=_("Code"), max_length=32, help_text=_(
        "Lower-case letters, digits and “_”, e.g. brushing. The checker's rules find the type "
        "by it."), widget=forms.TextInput(attrs={"autocapitalize": "none",
                                                  "spellcheck": "false"}))
    group = forms.CharField(label=_("Group"), max_length=64, required=False,
                            help_text=_("The family it belongs to, e.g. 仿冒身份欺诈."))
    summary = forms.CharField(label=_("Summary"), required=False,
                              widget=forms.Textarea(attrs={"rows": 3}))
    tactics = forms.CharField(label=_("Tactics"), required=False,
                              help_text=_("One point per line."), widget=_lines_widget())
    red_flags = forms.CharField(label=_("Red flags"), required=False,
                                help_text=_("One point per line."), widget=_lines_widget())
    advice = forms.CharField(label=_("Advice"), required=False, help_text=_(
        "One point per line; name the anti-fraud hotline 96110 and the police 110 where it "
        "fits."), widget=_lines_widget())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        bootstrap(self)

    @classmethod
    def for_type(cls, fraud_type: FraudType, data=None):
        return cls(data, initial={f: getattr(fraud_type, f) for f in (
            "name", "code", "group", "summary", "tactics", "red_flags", "advice")})


class FraudCaseForm(forms.Form):
    """An anonymised case. The hint above the story warns not to write names, phone or ID
    numbers; the service refuses mobile and ID numbers."""

    fraud_type = forms.ModelChoiceField(label=_("Fraud type"), queryset=FraudType.objects.none(),
                                        empty_label=_("Choose…"))
    title = forms.CharField(label=_("Title"), max_length=120)
    occurred_on = LocalDateField(label=_("Happened on"))
    victim_profile = forms.CharField(label=_("Victim"), max_length=64, required=False,
                                     help_text=_("Anonymised, e.g. 某学院大二学生."))
    loss_amount = loss_amount_field(_("Loss (yuan)"))
    story = forms.CharField(label=_("What happened"), widget=forms.Textarea(attrs={"rows": 8}))
    lesson = forms.CharField(label=_("Lesson"), required=False,
                             widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, case: FraudCase | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        types = FraudType.objects.filter(is_active=True)
        if case is not None:
            types = FraudType.objects.filter(pk=case.fraud_type_id) | types
        self.fields["fraud_type"].queryset = types.order_by("position", "code")
        bootstrap(self)

    @classmethod
    def for_case(cls, case: FraudCase, data=None):
        return cls(data, case=case, initial={
            "fraud_type": case.fraud_type_id, "title": case.title,
            "occurred_on": case.occurred_on, "victim_profile": case.victim_profile,
            "loss_amount": case.loss_amount, "story": case.story, "lesson": case.lesson})

    def service_arguments(self) -> dict:
        d = self.cleaned_data
        return {"fraud_type_id": d["fraud_type"].pk, "title": d["title"],
                "occurred_on": d.get("occurred_on"), "victim_profile": d.get("victim_profile", ""),
                "loss_amount": d.get("loss_amount"), "story": d["story"],
                "lesson": d.get("lesson", "")}


class LibrarySearchForm(forms.Form):
    q = forms.CharField(label=_("Search the library"), max_length=64, required=False,
                        widget=forms.TextInput(attrs={
                            "type": "search", "placeholder": _("e.g. 刷单, 客服, 贷款")}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        bootstrap(self)

    def query(self) -> str:
        return self.cleaned_data.get("q", "") if self.is_bound and self.is_valid() else ""


class CaseFilterForm(forms.Form):
    """The office's case list: state, type, text."""

    state = forms.ChoiceField(label=_("State"), required=False, choices=[
        ("", _("All cases")), ("draft", _("Drafts")), ("published", _("Published"))])
    fraud_type = forms.ModelChoiceField(label=_("Fraud type"), required=False,
                                        queryset=FraudType.objects.order_by("position", "code"),
                                        empty_label=_("All types"))
    q = forms.CharField(label=_("Text"), required=False, max_length=64)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        bootstrap(self)

    def filters(self) -> dict:
        if not self.is_bound or not self.is_valid():
            return {}
        d = self.cleaned_data
        return {"state": d.get("state") or "", "q": d.get("q") or "",
                "fraud_type_id": d["fraud_type"].pk if d.get("fraud_type") else None}
