"""Form helpers shared by the apps: idempotency keys, Bootstrap widgets, service errors,
bounded date filters and ids from query strings."""

import datetime as dt
import uuid

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils.translation import gettext_lazy as _

from .errors import DomainError


class IdempotentFormMixin(forms.Form):
    """Adds a hidden ``idempotency_key`` filled with a fresh UUID when the form is rendered,
    so a double tap or a resubmitted POST reaches the service with the same key."""

    idempotency_key = forms.CharField(widget=forms.HiddenInput, required=False, max_length=64)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("idempotency_key", uuid.uuid4().hex)


class DateRangeMixin(forms.Form):
    """A filter form with ``date_from`` / ``date_to``: a period that ends before it starts is
    refused at ``date_to`` (statistics pages)."""

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("The end date is before the start date."))
        return data


class VersionedFormMixin(forms.Form):
    """Carries the object's version so that a stale form is refused with a conflict."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


def bootstrap(form: forms.BaseForm) -> forms.BaseForm:
    """Give every widget its Bootstrap class (called in form __init__)."""
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, forms.HiddenInput):
            continue
        if isinstance(widget, forms.CheckboxInput):
            css = "form-check-input"
        elif isinstance(widget, forms.Select | forms.SelectMultiple):
            css = "form-select"
        else:
            css = "form-control"
        widget.attrs["class"] = (widget.attrs.get("class", "") + " " + css).strip()
    return form


def apply_domain_error(form: forms.BaseForm, error: DomainError) -> None:
    """Put a service's error into ``form``: field errors where the field exists, else
    a non-field error. The caller re-renders the form; nothing was written."""
    placed = False
    for name, messages in error.field_errors.items():
        for message in messages:
            if name in form.fields:
                form.add_error(name, message)
                placed = True
    if not placed:
        form.add_error(None, error.message)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultiplePhotoField(forms.FileField):
    """Several photos in one input; validation and processing happen in the service."""

    widget = MultipleFileInput

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("label", _("Photos"))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if isinstance(data, list | tuple):
            return [f for f in data if f]
        return [data] if data else []


# --- date filters and ids from query strings ---------------------------------------------------
# :class:`LocalDateField` is the date filter of every list, report and statistics page: a local
# (Asia/Shanghai) calendar day between :data:`FIRST_DAY` and :data:`LAST_DAY`, so that the
# start and the end of the day it names (and the next day) are always datetimes Python and the
# database can hold. A date outside gets the field's error, never a 500.

#: The first and last day a date filter accepts (the oldest imported logs are from 2014).
FIRST_DAY = dt.date(1900, 1, 1)
LAST_DAY = dt.date(2999, 12, 31)


def day_validators() -> list:
    """Validators keeping a date between :data:`FIRST_DAY` and :data:`LAST_DAY` (also for
    the API's query serializers)."""
    return [MinValueValidator(FIRST_DAY), MaxValueValidator(LAST_DAY)]


class LocalDateField(forms.DateField):
    """An optional local date (``YYYY-MM-DD``, a date picker on phones) within the bounds."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("widget", forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
        kwargs["validators"] = [*kwargs.get("validators", ()), *day_validators()]
        super().__init__(**kwargs)


#: The largest row id the databases hold (a signed 64-bit integer).
MAX_ID = 2**63 - 1


def id_or_none(value) -> int | None:
    """A row id from a query or form value (``"42"``, 42), or None for anything else: empty,
    not ASCII digits (``"²"``, ``"-1"``), zero, or too large for the database."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    else:
        text = str(value or "").strip()
        if not (text.isascii() and text.isdigit()) or len(text) > 19:
            return None
        number = int(text)
    return number if 0 < number <= MAX_ID else None
