"""Form helpers shared by the apps: idempotency keys, Bootstrap widgets, service errors."""

import uuid

from django import forms
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
