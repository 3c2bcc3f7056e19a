"""REST API of the fraud-risk checker: ``POST /api/v1/education/checker/check/``.

Anyone may call it, signed in or not (like the page); calls are limited per IP address per
minute together with the page's checks (429 when exceeded). The text is checked against the
live rule set through :func:`safecampus.education.selectors.checker.message_check`, exactly
as the page does, and is neither stored nor logged. An empty text is a 400 at ``text``;
without a live rule set the answer is 503 (``not_configured``). Texts longer than
``SAFECAMPUS["CHECKER_MAX_CHARS"]`` are checked on their first that many characters
(``truncated``, and ``complete`` false: the level is that of the part read).
"""

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import permissions, serializers, throttling, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from safecampus.core.errors import DomainError, field_error
from safecampus.education.selectors import checker as selectors
from safecampus.education.services import checker as services

from .exceptions import ErrorSerializer
from .hazards import _errors, _parse

TEXT_MAX = 200_000


class CheckInput(serializers.Serializer):
    text = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False,
                                 max_length=TEXT_MAX, label=gettext_lazy("Text"),
                                 help_text=gettext_lazy(
                                     "The message, chat text, link or phone number."))


class CheckTypeOutput(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    score = serializers.IntegerField()
    url = serializers.CharField(allow_null=True, help_text=gettext_lazy(
        "The type's page in the fraud case library."))


class RedFlagOutput(serializers.Serializer):
    start = serializers.IntegerField(help_text=gettext_lazy(
        "Index of the first character in the text sent (Python string index)."))
    end = serializers.IntegerField(help_text=gettext_lazy("Index after the last character."))
    text = serializers.CharField()
    explanation = serializers.CharField()
    type = serializers.CharField(source="type_code", help_text=gettext_lazy(
        "Fraud type code; empty for a shared signal (link, phone number …)."))


class CheckOutput(serializers.Serializer):
    level = serializers.ChoiceField(choices=["none", "low", "medium", "high"])
    score = serializers.IntegerField(help_text=gettext_lazy("0–100."))
    types = CheckTypeOutput(many=True, help_text=gettext_lazy("Highest score first."))
    red_flags = RedFlagOutput(many=True)
    advice = serializers.ListField(child=serializers.CharField())
    hotline = serializers.CharField()
    truncated = serializers.BooleanField(help_text=gettext_lazy(
        "Whether the text was cut: only the first checked_chars characters were read."))
    complete = serializers.BooleanField(help_text=gettext_lazy(
        "False when the text was cut: the level is that of the part read, and the rest may "
        "hide fraud, so a cut text is never an all-clear."))
    checked_chars = serializers.IntegerField()
    total_chars = serializers.IntegerField()
    version = serializers.IntegerField(help_text=gettext_lazy("The rule set's version."))


class CheckerThrottle(throttling.BaseThrottle):
    """Checks per IP address per minute, counted together with the page's."""

    def allow_request(self, request, view) -> bool:
        if getattr(view, "action", None) != "check":
            return True
        return services.checker_rate_take(client=self.get_ident(request))

    def wait(self) -> float:
        return 60.0


def _type_url(code: str) -> str | None:
    try:
        return reverse("education:fraud_type", args=[code])
    except NoReverseMatch:
        return None


class NotConfigured(DomainError):
    status_code = 503


@extend_schema(tags=["education"])
class CheckerViewSet(viewsets.ViewSet):
    """The fraud-risk checker."""

    permission_classes = [permissions.AllowAny]
    throttle_classes = [CheckerThrottle]

    @extend_schema(
        summary=gettext_lazy("Check a message for signs of fraud"),
        description=gettext_lazy(
            "Anyone may call this, signed in or not; calls are limited per address per "
            "minute (429). Nothing is stored."),
        request=CheckInput,
        responses={200: CheckOutput, **_errors(400),
                   429: OpenApiResponse(ErrorSerializer, description=gettext_lazy(
                       "Too many checks from this address; wait a minute.")),
                   503: OpenApiResponse(ErrorSerializer, description=gettext_lazy(
                       "No rule set is live yet."))})
    @action(detail=False, methods=["post"])
    def check(self, request):
        text = _parse(CheckInput, request).get("text", "")
        outcome = selectors.message_check(text)
        if outcome.status == "empty":
            raise field_error("text", outcome.message, code="empty")
        if outcome.status == "not_configured":
            raise NotConfigured(outcome.message, code="not_configured")
        result = outcome.result
        return Response(CheckOutput({
            "level": result.level, "score": result.score,
            "types": [{"code": t.code, "name": t.name, "score": t.score,
                       "url": _type_url(t.code)} for t in result.types],
            "red_flags": result.red_flags, "advice": outcome.advice,
            "hotline": outcome.hotline, "truncated": result.truncated,
            "complete": result.complete,
            "checked_chars": result.checked_chars, "total_chars": result.total_chars,
            "version": result.version}).data)


routes = [("v1/education/checker", CheckerViewSet, "education-checker")]
