"""Forms of the account pages: the two-factor code."""

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from safecampus.core.forms import bootstrap

from .services import two_factor_code_normalise, two_factor_code_well_formed


class TwoFactorCodeForm(forms.Form):
    """One code: 6 digits from the authenticator app, or (``backup=True``) a backup code.

    The form checks the format first (full-width digits, spaces and hyphens are accepted):
    letters or a wrong length get a format error here and never reach django-otp, so a typo
    does not count as a wrong code (nor make the next try wait). ``cleaned_data["code"]`` is
    the normalised code."""

    code = forms.CharField(label=pgettext_lazy("two-factor", "Code"), max_length=32, strip=True)

    def __init__(self, *args, backup: bool = True, autofocus: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self.backup = backup
        bootstrap(self)
        attrs = self.fields["code"].widget.attrs
        attrs.update({"autocomplete": "one-time-code",
                      "inputmode": "text" if backup else "numeric", "spellcheck": "false"})
        if autofocus:
            attrs["autofocus"] = True
        if backup:
            self.fields["code"].help_text = _(
                "The 6 digits your authenticator app shows now, or one of your backup codes.")
        else:
            self.fields["code"].help_text = _("The 6 digits your authenticator app shows now.")

    def clean_code(self) -> str:
        code = two_factor_code_normalise(self.cleaned_data["code"])
        if not two_factor_code_well_formed(code, backup=self.backup):
            raise forms.ValidationError(
                _("Enter the 6 digits, or one of your backup codes.") if self.backup
                else _("Enter the 6 digits the app shows."), code="malformed")
        return code
