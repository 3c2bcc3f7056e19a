"""Forms for patrolling on a phone: typing a checkpoint's code, ending a round early,
reporting a hazard from a checkpoint, and reading the envelope of the phone's upload of
queued scans (each scan is read by the service).

They parse input only; the rules (which code, which round, what a reason needs) live in
``services/patrolling.py`` and ``hazards.services`` so the page, the API and the tests get
the same messages.
"""

from __future__ import annotations

import json

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from safecampus.core.errors import DomainError
from safecampus.core.forms import IdempotentFormMixin, MultiplePhotoField, bootstrap
from safecampus.core.uploads import ACCEPT_ATTRIBUTE
from safecampus.hazards.models import HazardCategory


class ManualCodeForm(forms.Form):
    """The code printed under the QR code (8 characters), typed when the camera cannot read
    the sticker. The scan page's script sends it through the offline queue."""

    code = forms.CharField(
        label=gettext_lazy("Code under the QR code"), max_length=200,
        widget=forms.TextInput(attrs={
            "autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false",
            "autocorrect": "off", "enterkeyhint": "done",
            "placeholder": gettext_lazy("e.g. K7QM 4XPA"),
        }))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        bootstrap(self)
        self.fields["code"].widget.attrs["class"] += " form-control-lg font-monospace"


class EndEarlyForm(forms.Form):
    """Ending a round before every checkpoint is scanned; the service requires the reason
    (the form leaves that to it so the page shows the service's own message)."""

    reason = forms.CharField(
        label=gettext_lazy("Why does the round end early?"), required=False, strip=False,
        widget=forms.Textarea(attrs={
            "rows": 2, "placeholder": gettext_lazy("e.g. called to an incident at the east gate"),
        }))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        bootstrap(self)


class CheckpointHazardForm(IdempotentFormMixin):
    """A hazard found at a checkpoint: the place is the checkpoint's, so only what and
    photos are asked (the phone form)."""

    title = forms.CharField(
        label=gettext_lazy("What is wrong"), max_length=120,
        widget=forms.TextInput(attrs={
            "placeholder": gettext_lazy("e.g. fire exit blocked by bicycles")}))
    category = forms.ModelChoiceField(HazardCategory.objects.filter(is_active=True),
                                      label=gettext_lazy("Category"))
    description = forms.CharField(label=gettext_lazy("Details"), required=False,
                                  max_length=5000, widget=forms.Textarea(attrs={"rows": 3}))
    photos = MultiplePhotoField(label=gettext_lazy("Photos"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["photos"].widget.attrs.update({"accept": ACCEPT_ATTRIBUTE,
                                                   "multiple": True})
        bootstrap(self)


# --- the phone's upload of queued scans -------------------------------------------------------
def scan_upload_read(body: bytes) -> list:
    """The list of scans in the scan page's upload ``{"scans": [...]}`` (UTF-8 JSON), each
    item as JSON decoded it: ``patrolling.scan_record_many`` reads each one (the same reader
    as the bulk API). Raises DomainError (400, ``bad_json``) when the body is not JSON or not
    an object with a list ``scans``."""
    try:
        payload = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise DomainError(_("The upload is not valid JSON."), code="bad_json") from None
    scans = payload.get("scans") if isinstance(payload, dict) else None
    if not isinstance(scans, list):
        raise DomainError(_("The upload must be a JSON object with a list of scans under "
                            "“scans”."), code="bad_json")
    return scans
