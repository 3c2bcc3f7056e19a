"""Forms for patrolling on a phone: typing a checkpoint's code, ending a round early,
reporting a hazard from a checkpoint, and reading the phone's upload of queued scans.

They parse input only; the rules (which code, which round, what a reason needs) live in
``services/patrolling.py`` and ``hazards.services`` so the page, the API and the tests get
the same messages.
"""

from __future__ import annotations

import json
import math

from django import forms
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from safecampus.core.errors import DomainError
from safecampus.core.forms import (
    IdempotentFormMixin,
    MultiplePhotoField,
    bootstrap,
    id_or_none,
)
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
#: Keys of one uploaded scan that reach ``patrolling.scan_record``; others are ignored.
SCAN_KEYS = ("code", "client_id", "scanned_at", "latitude", "longitude", "accuracy_m",
             "round_id", "note")


def scan_upload_parse(body: bytes) -> list[tuple[str, dict | DomainError]]:
    """Read the scan page's upload ``{"scans": [{...}, ...]}`` (UTF-8 JSON).

    Returns one pair per scan, in order: the ``client_id`` it carried (text, "" when none)
    and either the keyword arguments for ``patrolling.scan_record`` (``scanned_at`` a
    datetime, or None when not sent; positions that are not numbers dropped to None) or a
    DomainError saying why that one scan cannot be read (its time, its shape). Raises
    DomainError (400) when the body is not JSON or not an object with a list ``scans``.
    """
    try:
        payload = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise DomainError(_("The upload is not valid JSON."), code="bad_json") from None
    scans = payload.get("scans") if isinstance(payload, dict) else None
    if not isinstance(scans, list):
        raise DomainError(_("The upload must be a JSON object with a list of scans under "
                            "“scans”."), code="bad_json")
    return [(_client_id_text(item), _scan_item(item)) for item in scans]


def _client_id_text(item) -> str:
    value = item.get("client_id") if isinstance(item, dict) else None
    return value if isinstance(value, str) else ""


def _scan_item(item) -> dict | DomainError:
    if not isinstance(item, dict):
        return DomainError(_("Each scan must be a JSON object."), code="bad_scan")
    data = {key: item[key] for key in SCAN_KEYS if key in item}
    code = data.get("code")
    data["code"] = code if isinstance(code, str) else ("" if code is None else str(code))
    data.setdefault("client_id", None)
    note = data.get("note")
    data["note"] = note if isinstance(note, str) else ""
    for key in ("latitude", "longitude"):
        if key in data and not _plain_number(data[key]):
            data[key] = None
    data["accuracy_m"] = _finite(data.get("accuracy_m"))
    round_id = data.get("round_id")
    data["round_id"] = id_or_none(round_id)
    scanned_at = data.get("scanned_at")
    if scanned_at in (None, ""):
        data["scanned_at"] = None
    else:
        try:
            parsed = parse_datetime(scanned_at) if isinstance(scanned_at, str) else None
        except ValueError:
            parsed = None
        if parsed is None:
            return DomainError(_("The scan time is not a date and time (ISO 8601, e.g. "
                                 "2026-11-30T22:05:00+08:00)."), code="bad_time",
                               field_errors={"scanned_at": [_("Not a date and time.")]})
        data["scanned_at"] = parsed
    return data


def _plain_number(value) -> bool:
    """A finite number or a string (the service reads strings itself); not a bool."""
    if value is None or isinstance(value, str):
        return True
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    return math.isfinite(value)


def _finite(value) -> float | None:
    """A finite number (from a number or numeric string), else None."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    return number if math.isfinite(number) else None

