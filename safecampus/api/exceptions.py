"""API error shape: DomainError → 400/403/409 with ``{"detail", "code", "errors"}``."""

from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from safecampus.core.errors import DomainError


def exception_handler(exc, context):
    if isinstance(exc, DomainError):
        return Response(
            {"detail": exc.message, "code": exc.code, "errors": exc.field_errors},
            status=exc.status_code,
        )
    return drf_exception_handler(exc, context)
