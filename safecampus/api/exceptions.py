"""API error shape: every error is ``{"detail", "code", "errors"}``.

- :class:`~safecampus.core.errors.DomainError` → 400, ``NotAllowed`` → 403, ``Conflict`` → 409;
  a plain DomainError with ``code="not_found"`` (a service could not find the row) → 404.
- DRF's own errors keep their status; a serializer ``ValidationError`` becomes 400 with the
  per-field messages in ``errors`` and the first of them in ``detail``.

``detail`` is translated text for people; ``code`` is stable for programs; ``errors`` maps
request field names to lists of messages (empty when the error is not about fields).
"""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from safecampus.core.errors import DomainError, NotAllowed


class ErrorSerializer(serializers.Serializer):
    """The body of every error response (documented in the OpenAPI schema)."""

    detail = serializers.CharField(help_text=_("What went wrong, in the user's language."))
    code = serializers.CharField(help_text=_("Stable machine code, e.g. invalid, stale, not_allowed."))
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text=_("Messages per request field; empty when the error is not about a field."),
    )


def _first_message(errors) -> str:
    """The first message found in a (possibly nested) DRF error structure."""
    if isinstance(errors, dict):
        for value in errors.values():
            message = _first_message(value)
            if message:
                return message
        return ""
    if isinstance(errors, list | tuple):
        for value in errors:
            message = _first_message(value)
            if message:
                return message
        return ""
    return str(errors)


def exception_handler(exc, context):
    if isinstance(exc, DomainError):
        code = exc.status_code
        if exc.code == "not_found" and not isinstance(exc, NotAllowed):
            code = status.HTTP_404_NOT_FOUND
        return Response({"detail": exc.message, "code": exc.code, "errors": exc.field_errors},
                        status=code)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, ValidationError):
        detail = exc.detail
        errors = detail if isinstance(detail, dict) else {"non_field_errors": detail}
        response.data = {"detail": _first_message(errors), "code": "invalid", "errors": errors}
        return response
    data = response.data if isinstance(response.data, dict) else {}
    detail = data.get("detail", "")
    response.data = {
        "detail": str(detail),
        "code": getattr(detail, "code", None) or "error",
        "errors": {},
    }
    return response
