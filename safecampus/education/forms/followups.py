"""Forms of the follow-up pages (parsing only; the rules are in :mod:`..services.followups`)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from safecampus.core.forms import IdempotentFormMixin, LocalDateField, bootstrap

from ..models import FollowUp, FraudType
from .warnings import college_choices


def fraud_type_choices():
    return [("", _("— not known —"))] + [(t.pk, t.name) for t in FraudType.objects.filter(
        is_active=True).order_by("position", "code")]


class _SourceFields(forms.Form):
    warning_source = forms.CharField(label=_("Warning from"), max_length=120,
                                     help_text=_("e.g. 96110 warning centre, 雁塔派出所."))
    warning_reference = forms.CharField(label=_("Warning reference"), max_length=64,
                                        required=False)
    fraud_type = forms.TypedChoiceField(label=_("Fraud type"), required=False, coerce=int,
                                        empty_value=None)
    due_on = LocalDateField(label=_("Follow up by"),
                            help_text=_("Empty: the usual number of days from today."))


class FollowUpForm(IdempotentFormMixin, _SourceFields):
    student_number = forms.CharField(label=_("Student number"), max_length=32, required=False)
    student_name = forms.CharField(label=_("Name (only if the number is not in the roster)"),
                                   max_length=64, required=False)
    college = forms.TypedChoiceField(label=_("College (only if the number is not in the "
                                             "roster)"), required=False, coerce=int,
                                     empty_value=None)
    reason = forms.CharField(label=_("What the police said"), max_length=2000,
                             widget=forms.Textarea(attrs={"rows": 4}))

    field_order = ["student_number", "student_name", "college", "warning_source",
                   "warning_reference", "reason", "fraud_type", "due_on"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["college"].choices = college_choices()
        self.fields["fraud_type"].choices = fraud_type_choices()
        bootstrap(self)


class FollowUpBulkForm(IdempotentFormMixin, _SourceFields):
    rows = forms.CharField(label=_("Students"), required=False, widget=forms.Textarea(
        attrs={"rows": 8, "placeholder": "2024000123\t多次接到冒充客服电话\n2025000456\t向涉诈账户转账"}),
        help_text=_("One student per line: the student number, then a tab, comma or space, "
                    "then the reason. Or upload a sheet below."))
    file = forms.FileField(label=_("Or a sheet (.xlsx or .csv) with the columns 学号 and 原因"),
                           help_text=_("The headers may also be in English: “Student number” "
                                       "and “Reason”. Without either, the first column is the "
                                       "student number and the second the reason."),
                           required=False,
                           widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv"}))

    field_order = ["rows", "file", "warning_source", "warning_reference", "fraud_type", "due_on"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["fraud_type"].choices = fraud_type_choices()
        bootstrap(self)


class CloseForm(forms.Form):
    outcome = forms.ChoiceField(label=_("Outcome"), choices=[("", _("— choose —")),
                                                            *FollowUp.Outcome.choices])
    note = forms.CharField(label=_("Follow-up note"), max_length=4000,
                           widget=forms.Textarea(attrs={"rows": 4}),
                           help_text=_("What was done: whom you reached, what was said. At "
                                       "least 10 characters."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        bootstrap(self)


class ReopenForm(forms.Form):
    comment = forms.CharField(label=_("Why reopen"), max_length=4000, required=False,
                              widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        bootstrap(self)
