"""Forms of the fraud report pages: the confidential report (phone-first), the handlers'
steps and the statistics filter. Rules live in :mod:`..services.reports`."""

from django import forms
from django.utils.translation import gettext_lazy as _

from safecampus.core.forms import DateRangeMixin, IdempotentFormMixin, LocalDateField, bootstrap

from ..models import FraudReport, FraudType
from ..services.reports import TEXT_MAX

#: The most characters of a message brought along from the checker (POST ``text``).
PREFILL_MAX = TEXT_MAX


def checker_text(data) -> str:
    """The message the checker hands over in a POST (``text``), cut to :data:`PREFILL_MAX`
    characters; "" when there is none."""
    return str(data.get("text", "") or "")[:PREFILL_MAX]


def checker_fraud_type(data) -> str:
    """The code of the checker's top matched fraud type in its POST (``fraud_type``, a
    :class:`~..models.FraudType` code, not an id); "" when there is none. An unknown or
    inactive code is ignored by :class:`FraudReportForm`."""
    return str(data.get("fraud_type", "") or "")[:32]


#: The one message for an amount out of range (too big, negative, too many digits).
LOSS_RANGE_MESSAGE = _("Enter an amount from 0 to 10,000,000 yuan.")


def loss_amount_field(label) -> forms.DecimalField:
    """A money loss in yuan: 0 to 10,000,000 with at most 2 decimal places. Out of range
    (1e30 too) gives one message, not a second one about the count of digits: the range
    already bounds the digits (the model's ``max_digits=12`` holds)."""
    return forms.DecimalField(
        label=label, required=False, min_value=0, max_value=10_000_000, decimal_places=2,
        error_messages={"min_value": LOSS_RANGE_MESSAGE, "max_value": LOSS_RANGE_MESSAGE},
        widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": "0.01"}))


class FraudReportForm(IdempotentFormMixin):
    """What happened, when, how it reached you, whether money was lost, the other side's
    number or link, your phone; the suspicious message itself (prefilled from the checker)."""

    channel = forms.ChoiceField(label=_("How did it reach you?"),
                                choices=FraudReport.Channel.choices, widget=forms.RadioSelect)
    occurred_on = LocalDateField(label=_("When did it happen?"), required=True)
    fraud_type = forms.ModelChoiceField(label=_("What kind of fraud is it?"), required=False,
                                        queryset=FraudType.objects.none(),
                                        empty_label=_("Not sure"))
    lost_money = forms.BooleanField(label=_("I lost money"), required=False)
    loss_amount = loss_amount_field(_("How much (yuan)?"))
    description = forms.CharField(label=_("What happened?"), max_length=TEXT_MAX,
                                  widget=forms.Textarea(attrs={"rows": 5, "placeholder": _(
                                      "Who contacted you, what they said, what you did.")}))
    counterpart = forms.CharField(label=_("Their phone number, account or link"),
                                  max_length=200, required=False)
    message_text = forms.CharField(label=_("The suspicious message (optional)"), required=False,
                                   max_length=TEXT_MAX,
                                   widget=forms.Textarea(attrs={"rows": 4}))
    contact_phone = forms.CharField(label=_("Your phone"), max_length=20, required=False,
                                    help_text=_("So that the police liaison can call you back."),
                                    widget=forms.TextInput(attrs={"type": "tel",
                                                                  "inputmode": "tel",
                                                                  "autocomplete": "tel"}))

    def __init__(self, *args, user=None, message: str = "", fraud_type_code: str = "",
                 **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["fraud_type"].queryset = FraudType.objects.filter(is_active=True).order_by(
            "position", "code")
        if not self.is_bound:
            if message:
                self.initial["message_text"] = message[:PREFILL_MAX]
            if fraud_type_code:
                chosen = self.fields["fraud_type"].queryset.filter(code=fraud_type_code).first()
                if chosen is not None:
                    self.initial["fraud_type"] = chosen.pk
            if user is not None and getattr(user, "phone", ""):
                self.initial["contact_phone"] = user.phone
        bootstrap(self)
        self.fields["channel"].widget.attrs.update({"class": "btn-check", "autocomplete": "off"})

    def service_arguments(self) -> dict:
        d = self.cleaned_data
        return {"channel": d["channel"], "occurred_on": d["occurred_on"],
                "fraud_type_id": d["fraud_type"].pk if d.get("fraud_type") else None,
                "lost_money": d.get("lost_money", False), "loss_amount": d.get("loss_amount"),
                "description": d["description"], "counterpart": d.get("counterpart", ""),
                "message_text": d.get("message_text", ""),
                "contact_phone": d.get("contact_phone", ""),
                "idempotency_key": d.get("idempotency_key") or None}


class ClassifyForm(forms.Form):
    """A handler sets the report's fraud type (or "not sure")."""

    fraud_type = forms.ModelChoiceField(label=_("Fraud type"), required=False,
                                        queryset=FraudType.objects.none(),
                                        empty_label=_("Not sure"))

    def __init__(self, *args, report=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["fraud_type"].queryset = FraudType.objects.filter(is_active=True).order_by(
            "position", "code")
        if report is not None and not self.is_bound:
            self.initial["fraud_type"] = report.fraud_type_id
        bootstrap(self)


class ReceiveForm(forms.Form):
    note = forms.CharField(label=_("Note"), required=False, max_length=2000,
                           widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        bootstrap(self)


class ReferForm(ReceiveForm):
    police_reference = forms.CharField(label=_("Police case number"), max_length=64)
    field_order = ["police_reference", "note"]


class CloseForm(forms.Form):
    note = forms.CharField(label=_("Closing note"), max_length=2000,
                           widget=forms.Textarea(attrs={"rows": 3, "placeholder": _(
                               "What came of it.")}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        bootstrap(self)


class FraudStatsFilterForm(DateRangeMixin):
    #: The period is the day the fraud happened (``occurred_on``), not the day of the report.
    date_from = LocalDateField(label=_("Happened from"))
    date_to = LocalDateField(label=_("Happened to"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        bootstrap(self)

    def period(self) -> dict:
        """``{"date_from", "date_to"}`` to apply; bad values are left out (errors shown)."""
        if not self.is_bound:
            return {"date_from": None, "date_to": None}
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        if "date_to" in self.errors:
            return {"date_from": None, "date_to": None}
        return {"date_from": data.get("date_from"), "date_to": data.get("date_to")}
