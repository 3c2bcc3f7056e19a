"""Forms of the Open311 keys page."""

from django import forms
from django.utils.translation import gettext_lazy as _

from safecampus.core.forms import bootstrap

from ..services.open311 import CONTACT_MAX, NAME_MAX


class ApiClientIssueForm(forms.Form):
    name = forms.CharField(label=_("Client name"), max_length=NAME_MAX,
                           help_text=_("The app or system that will post requests, e.g. "
                                       "the campus photo-report app."))
    contact = forms.CharField(label=_("Who runs it"), max_length=CONTACT_MAX, required=False,
                              help_text=_("A person or team and how to reach them."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        bootstrap(self)
