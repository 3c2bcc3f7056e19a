"""Forms of the attendance pages. They parse input only; the rules live in
:mod:`..services.attendance`, so the pages and the API give the same messages."""

import datetime as dt

from django import forms
from django.utils.translation import gettext_lazy as _

from safecampus.core.forms import bootstrap
from safecampus.core.spreadsheets import SpreadsheetUploadForm


class SignInForm(forms.Form):
    """A sign-in from the code's page or the scanner: the code (from the URL or scanned), and
    what the phone's script adds (its time and position)."""

    code = forms.CharField(label=_("Sign-in code"), max_length=300, widget=forms.TextInput(
        attrs={"autocomplete": "off", "spellcheck": "false",
               "placeholder": _("The code printed under the QR code"),
               "class": "form-control font-monospace"}))
    signed_at = forms.CharField(widget=forms.HiddenInput, required=False, max_length=40)
    latitude = forms.CharField(widget=forms.HiddenInput, required=False, max_length=20)
    longitude = forms.CharField(widget=forms.HiddenInput, required=False, max_length=20)

    def signed_at_value(self) -> dt.datetime | None:
        """The phone's time (ISO 8601 with offset) or None (the server's time is used)."""
        text = (self.cleaned_data.get("signed_at") or "").strip()
        try:
            value = dt.datetime.fromisoformat(text) if text else None
        except ValueError:
            return None
        return value if value is not None and value.tzinfo is not None else None


class AddPersonForm(forms.Form):
    person = forms.CharField(label=_("Staff or student number, or username"), max_length=64,
                             widget=forms.TextInput(attrs={"autocomplete": "off",
                                                           "placeholder": _("e.g. 2024000123")}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        bootstrap(self)


class ImportListForm(SpreadsheetUploadForm):
    """An Excel or CSV list with a column of staff/student numbers (学号/工号) or usernames."""


class PersonSearchForm(forms.Form):
    q = forms.CharField(label=_("Number or name"), max_length=64, required=False,
                        widget=forms.TextInput(attrs={"type": "search",
                                                      "placeholder": _("e.g. 2024000123 or 张")}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        bootstrap(self)
