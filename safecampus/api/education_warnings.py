"""REST API of anti-fraud warnings and counsellor follow-ups (thin entry points).

- ``v1/education/warnings/``: GET the sent warnings with read counts and read % (office,
  police liaisons); POST sends one (same service as the page; ``Idempotency-Key`` → the first
  warning again with 200); ``{id}/`` its read receipts by college; ``{id}/remind/`` (POST)
  reminds the unread once (409 ``already_reminded`` the second time); ``mine/`` the warnings
  sent to me, unread first.
- ``v1/education/followups/``: the follow-ups I may see (open first; ``?state=open|closed``),
  ``{id}/`` one (404 when not mine to see), ``{id}/close/`` (POST ``outcome``, ``note``).

``level``, ``audience_kind``, ``state`` and ``outcome`` are plain strings here (the services
check them), so their choices add no enum components that collide with other modules'.
"""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from safecampus.core.errors import NotAllowed
from safecampus.core.idempotency import idempotency_lookup
from safecampus.education.models import FollowUp
from safecampus.education.selectors import followups as followup_selectors
from safecampus.education.selectors import warnings as selectors
from safecampus.education.services import followups as followup_services
from safecampus.education.services import warnings as services
from safecampus.notifications.models import Alert, Notification
from safecampus.notifications.selectors import read_percent

from .duty import _parse, _query
from .hazards import IDEMPOTENCY_PARAMETER, LabelField, RefField, _errors, _idempotency_key
from .inspections import PersonField
from .pagination import CountlessPagination


# --- output ----------------------------------------------------------------------------------
class WarningSerializer(serializers.ModelSerializer):
    level = serializers.CharField(help_text=gettext_lazy("info, warning or urgent."))
    audience_kind = serializers.CharField(help_text=gettext_lazy(
        "everyone, campus, college, year or class."))
    level_display = LabelField(Alert.Level, source="level")
    audience = serializers.SerializerMethodField()
    sent_by = PersonField(allow_null=True)
    read_count = serializers.SerializerMethodField()
    read_percent = serializers.SerializerMethodField()

    class Meta:
        model = Alert
        fields = ["id", "title", "body", "level", "level_display", "audience_kind", "audience",
                  "audience_campus", "audience_unit", "audience_year", "audience_class",
                  "sent_by", "sent_at", "recipient_count", "read_count", "read_percent"]
        read_only_fields = fields

    def get_audience(self, alert) -> str:
        from safecampus.notifications.audiences import audience_label

        return audience_label(alert)

    def get_read_count(self, alert) -> int:
        return getattr(alert, "read_count", 0)

    def get_read_percent(self, alert) -> int:
        return read_percent(getattr(alert, "read_count", 0), alert.recipient_count)


class CollegeReceiptSerializer(serializers.Serializer):
    college = serializers.CharField()
    total = serializers.IntegerField()
    read = serializers.IntegerField()
    unread = serializers.IntegerField()
    percent = serializers.IntegerField()


class ReceiptsSerializer(serializers.Serializer):
    recipients = serializers.IntegerField()
    read = serializers.IntegerField()
    unread = serializers.IntegerField()
    percent = serializers.IntegerField()
    reminded = serializers.BooleanField()
    by_college = CollegeReceiptSerializer(many=True)


class WarningDetailSerializer(WarningSerializer):
    """One warning with its receipts. The view passes ``context["receipts"]`` (one
    :func:`~safecampus.education.selectors.warnings.warning_receipts` call per response);
    ``read_count`` and ``read_percent`` come from the same figures."""

    receipts = serializers.SerializerMethodField()

    class Meta(WarningSerializer.Meta):
        fields = [*WarningSerializer.Meta.fields, "receipts"]
        read_only_fields = fields

    def _receipts(self, alert) -> dict:
        if "receipts" not in self.context:
            self.context["receipts"] = selectors.warning_receipts(alert)
        return self.context["receipts"]

    @extend_schema_field(ReceiptsSerializer)
    def get_receipts(self, alert) -> dict:
        return self._receipts(alert)

    def get_read_count(self, alert) -> int:
        return self._receipts(alert)["read"]

    def get_read_percent(self, alert) -> int:
        return self._receipts(alert)["percent"]


class MyWarningSerializer(serializers.ModelSerializer):
    warning = serializers.IntegerField(source="alert_id")
    level = serializers.CharField(source="alert.level")
    body = serializers.CharField(source="alert.body")
    sent_at = serializers.DateTimeField(source="alert.sent_at")

    class Meta:
        model = Notification
        fields = ["id", "warning", "title", "body", "level", "sent_at", "read_at", "url"]
        read_only_fields = fields


class RemindedSerializer(serializers.Serializer):
    reminded = serializers.IntegerField(help_text=gettext_lazy("How many were reminded."))


class FollowUpSerializer(serializers.ModelSerializer):
    college = RefField()
    fraud_type = RefField(allow_null=True)
    state = serializers.CharField(help_text=gettext_lazy("open or closed."))
    outcome = serializers.CharField(help_text=gettext_lazy(
        "reached_safe, reached_loss, not_reached, not_ours or empty while open."))
    state_display = LabelField(FollowUp.State, source="state")
    outcome_display = LabelField(FollowUp.Outcome, source="outcome")
    created_by = PersonField(allow_null=True)
    closed_by = PersonField(allow_null=True)
    overdue = serializers.SerializerMethodField()

    class Meta:
        model = FollowUp
        fields = ["id", "student_name", "student_number", "college", "warning_source",
                  "warning_reference", "reason", "fraud_type", "due_on", "overdue", "state",
                  "state_display", "outcome", "outcome_display", "note", "created_by",
                  "created_at", "closed_by", "closed_at"]
        read_only_fields = fields

    def get_overdue(self, followup) -> bool:
        return followup_selectors.is_overdue(followup)


# --- input -----------------------------------------------------------------------------------
class WarningInput(serializers.Serializer):
    title = serializers.CharField(max_length=200, label=gettext_lazy("Title"))
    body = serializers.CharField(max_length=5000, label=gettext_lazy("Text"))
    level = serializers.CharField(max_length=16, default=Alert.Level.WARNING,
                                  help_text=gettext_lazy("info, warning or urgent."))
    audience_kind = serializers.CharField(max_length=16, help_text=gettext_lazy(
        "everyone, campus, college (optionally with audience_year), year (optionally with "
        "audience_campus) or class."))
    audience_campus = serializers.IntegerField(required=False, allow_null=True, min_value=1)
    audience_unit = serializers.IntegerField(required=False, allow_null=True, min_value=1)
    audience_year = serializers.IntegerField(required=False, allow_null=True, min_value=1950,
                                             max_value=2100)
    audience_class = serializers.IntegerField(required=False, allow_null=True, min_value=1)


class FollowUpQuery(serializers.Serializer):
    state = serializers.CharField(required=False, max_length=8,
                                  help_text=gettext_lazy("open or closed; default all."))


class FollowUpCloseInput(serializers.Serializer):
    outcome = serializers.CharField(max_length=16, help_text=gettext_lazy(
        "reached_safe, reached_loss, not_reached or not_ours."))
    note = serializers.CharField(max_length=4000, help_text=gettext_lazy(
        "What was done, at least 10 characters."))


# --- views -----------------------------------------------------------------------------------
@extend_schema(tags=["education"])
class WarningViewSet(viewsets.GenericViewSet):
    """Anti-fraud warnings (预警) with read receipts."""

    pagination_class = CountlessPagination
    filter_backends: list = []
    lookup_value_converter = "int"
    serializer_class = WarningSerializer
    queryset = Alert.objects.none()  # reads go through the selectors

    def _require(self, perm: str) -> None:
        if not self.request.user.has_perm(perm):
            raise NotAllowed()

    @extend_schema(summary=gettext_lazy("Sent warnings, newest first, with read counts"),
                   responses={200: WarningSerializer(many=True), **_errors(403)})
    def list(self, request):
        self._require("education.view_warning_receipts")
        page = self.paginate_queryset(selectors.warnings_sent())
        return self.get_paginated_response(WarningSerializer(page, many=True).data)

    @extend_schema(summary=gettext_lazy("Send a warning"), request=WarningInput,
                   parameters=[IDEMPOTENCY_PARAMETER],
                   responses={201: WarningSerializer, 200: WarningSerializer,
                              **_errors(400, 403, 409)})
    def create(self, request):
        self._require("education.send_warning")
        d = _parse(WarningInput, request)
        key = _idempotency_key(request)
        replay = idempotency_lookup(scope=services.SEND_SCOPE, key=key, model=Alert,
                                    user=request.user) is not None
        alert = services.warning_send(
            actor=request.user, title=d["title"], body=d["body"], level=d["level"],
            audience_kind=d["audience_kind"], campus_id=d.get("audience_campus"),
            unit_id=d.get("audience_unit"), year=d.get("audience_year"),
            class_id=d.get("audience_class"), idempotency_key=key)
        alert.read_count = Notification.objects.filter(alert=alert,
                                                       read_at__isnull=False).count()
        return Response(WarningSerializer(alert).data,
                        status=status.HTTP_200_OK if replay else status.HTTP_201_CREATED)

    def _alert(self, pk) -> Alert:
        self._require("education.view_warning_receipts")
        alert = selectors.warning_get(pk)
        if alert is None:
            raise NotFound(_("Warning not found"))
        return alert

    @extend_schema(summary=gettext_lazy("One warning with its read receipts by college"),
                   responses={200: WarningDetailSerializer, **_errors(403, 404)})
    def retrieve(self, request, pk=None):
        alert = self._alert(pk)
        return Response(WarningDetailSerializer(alert, context={
            "receipts": selectors.warning_receipts(alert)}).data)

    @extend_schema(summary=gettext_lazy("Remind the unread (once per warning)"), request=None,
                   responses={200: RemindedSerializer, **_errors(403, 404, 409)})
    @action(detail=True, methods=["post"])
    def remind(self, request, pk=None):
        alert = self._alert(pk)
        count = services.warning_remind_unread(actor=request.user, alert_id=alert.pk)
        return Response({"reminded": count})

    @extend_schema(summary=gettext_lazy("The warnings sent to me, unread first"),
                   responses={200: MyWarningSerializer(many=True)})
    @action(detail=False, methods=["get"])
    def mine(self, request):
        page = self.paginate_queryset(selectors.warnings_for(request.user))
        return self.get_paginated_response(MyWarningSerializer(page, many=True).data)


@extend_schema(tags=["education"])
class FollowUpViewSet(viewsets.GenericViewSet):
    """Counsellor follow-ups of students named in police warnings."""

    pagination_class = CountlessPagination
    filter_backends: list = []
    lookup_value_converter = "int"
    serializer_class = FollowUpSerializer
    queryset = FollowUp.objects.none()

    def _followup(self, pk) -> FollowUp:
        followup = followup_selectors.followup_get_visible(self.request.user, pk)
        if followup is None:
            raise NotFound(_("Follow-up not found"))
        return followup

    @extend_schema(summary=gettext_lazy("Follow-ups I may see, open first"),
                   parameters=[FollowUpQuery],
                   responses={200: FollowUpSerializer(many=True), **_errors(400, 403)})
    def list(self, request):
        if not request.user.has_perm("education.view_followups"):
            raise NotAllowed()
        q = _query(FollowUpQuery, request)
        page = self.paginate_queryset(followup_selectors.followups_visible_to(
            request.user, state=q.get("state")))
        return self.get_paginated_response(FollowUpSerializer(page, many=True).data)

    @extend_schema(summary=gettext_lazy("One follow-up"),
                   responses={200: FollowUpSerializer, **_errors(404)})
    def retrieve(self, request, pk=None):
        return Response(FollowUpSerializer(self._followup(pk)).data)

    @extend_schema(summary=gettext_lazy("Close a follow-up with an outcome and a note"),
                   request=FollowUpCloseInput,
                   responses={200: FollowUpSerializer, **_errors(400, 403, 404, 409)})
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        followup = self._followup(pk)
        d = _parse(FollowUpCloseInput, request)
        closed = followup_services.followup_close(actor=request.user, followup_id=followup.pk,
                                                  outcome=d["outcome"], note=d["note"])
        return Response(FollowUpSerializer(closed).data)


routes = [("v1/education/warnings", WarningViewSet, "education-warning"),
          ("v1/education/followups", FollowUpViewSet, "education-followup")]
