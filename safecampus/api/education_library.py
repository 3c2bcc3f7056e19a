"""REST API of the fraud case library and fraud reports: ``/api/v1/education/…`` (thin entry
points over the same selectors and services as the pages).

- ``fraud-types/``: the active fraud types in their order (read; ``{id}/`` one type);
- ``fraud-cases/``: the published cases of active types (read), filters ``type`` (a type's
  code) and ``q`` (text in the title, story or lesson);
- ``fraud-reports/``: ``POST`` reports fraud (anyone signed in; with an ``Idempotency-Key``
  a retry returns the first report with 200); the list is your own reports, or every report
  for police liaisons and office administrators (filter ``state``: ``open`` or a state);
  ``{id}/`` is 404 for anyone else. Steps for the handlers: ``{id}/receive/``,
  ``{id}/refer/`` (``police_reference``), ``{id}/close/`` (``note``), and
  ``{id}/classify/`` (``fraud_type``: an active type's id or null for "not sure"; until closed).

Errors: bad input 400 with per-field messages (nothing changed), not allowed 403, unknown or
not yours 404, illegal in the current state 409.
"""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from safecampus.core.errors import NotAllowed
from safecampus.core.idempotency import idempotency_lookup
from safecampus.education.models import FraudCase, FraudReport, FraudType
from safecampus.education.selectors import library as library_selectors
from safecampus.education.selectors import reports as selectors
from safecampus.education.services import reports as services

from .duty import _parse, _query
from .fields import IdField
from .hazards import IDEMPOTENCY_PARAMETER, LabelField, RefField, _errors, _idempotency_key
from .pagination import CountlessPagination
from .traffic_abandoned import _choice

State = FraudReport.State
Channel = FraudReport.Channel


def _lines(text: str) -> list[str]:
    return [line for line in (text or "").splitlines() if line.strip()]


# --- output ----------------------------------------------------------------------------------
class FraudTypeSerializer(serializers.ModelSerializer):
    tactics = serializers.SerializerMethodField()
    red_flags = serializers.SerializerMethodField()
    advice = serializers.SerializerMethodField()

    class Meta:
        model = FraudType
        fields = ["id", "code", "name", "group", "summary", "tactics", "red_flags", "advice",
                  "position"]
        read_only_fields = fields

    def get_tactics(self, obj) -> list[str]:
        return _lines(obj.tactics)

    def get_red_flags(self, obj) -> list[str]:
        return _lines(obj.red_flags)

    def get_advice(self, obj) -> list[str]:
        return _lines(obj.advice)


class FraudTypeRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()


class FraudCaseSerializer(serializers.ModelSerializer):
    fraud_type = FraudTypeRefSerializer(read_only=True)

    class Meta:
        model = FraudCase
        fields = ["id", "fraud_type", "title", "occurred_on", "victim_profile", "loss_amount",
                  "story", "lesson", "published_at"]
        read_only_fields = fields


class FraudReportSerializer(serializers.ModelSerializer):
    fraud_type = FraudTypeRefSerializer(read_only=True, allow_null=True)
    channel = _choice(Channel.choices, read_only=True)
    channel_display = LabelField(Channel, source="channel")
    state = _choice(State.choices, read_only=True)
    state_display = LabelField(State, source="state")
    college = RefField(allow_null=True)
    campus = RefField(allow_null=True)

    class Meta:
        model = FraudReport
        fields = ["id", "state", "state_display", "channel", "channel_display", "occurred_on",
                  "fraud_type", "lost_money", "loss_amount", "description", "message_text",
                  "counterpart", "contact_phone", "college", "campus", "police_reference",
                  "closing_note", "closed_at", "created_at"]
        read_only_fields = fields


class FraudReportDetailSerializer(FraudReportSerializer):
    actions = serializers.SerializerMethodField()

    class Meta(FraudReportSerializer.Meta):
        fields = FraudReportSerializer.Meta.fields + ["actions"]
        read_only_fields = fields

    def get_actions(self, report) -> list[str]:
        request = self.context.get("request")
        if request is None or not selectors.handles(request.user):
            return []
        steps = [name for name in ("receive", "refer", "close")
                 if services.step_offered(report, name)]
        return steps + (["classify"] if services.classify_offered(report) else [])


# --- input -----------------------------------------------------------------------------------
class FraudCaseQuerySerializer(serializers.Serializer):
    type = serializers.CharField(required=False, max_length=32, label=gettext_lazy("Type code"))
    q = serializers.CharField(required=False, allow_blank=True, max_length=64,
                              label=gettext_lazy("Text"))


class FraudReportQuerySerializer(serializers.Serializer):
    state = _choice([(selectors.TAB_OPEN, gettext_lazy("Open reports")), *State.choices],
                    required=False, label=gettext_lazy("State"))


class FraudReportInput(serializers.Serializer):
    channel = _choice(Channel.choices, label=gettext_lazy("How it reached you"))
    occurred_on = serializers.DateField(label=gettext_lazy("Occurred on"), help_text=(
        gettext_lazy("A local date from 2000 to today.")))
    fraud_type = IdField(required=False, allow_null=True, label=gettext_lazy("Fraud type"),
                         help_text=gettext_lazy("An active type's id; empty for “not sure”."))
    lost_money = serializers.BooleanField(required=False, default=False,
                                          label=gettext_lazy("Money was lost"))
    loss_amount = serializers.DecimalField(required=False, allow_null=True, max_digits=12,
                                           decimal_places=2, label=gettext_lazy("Loss (yuan)"))
    description = serializers.CharField(max_length=5000, label=gettext_lazy("What happened"))
    counterpart = serializers.CharField(required=False, allow_blank=True, max_length=200,
                                        label=gettext_lazy("Their phone, account or link"))
    message_text = serializers.CharField(required=False, allow_blank=True, max_length=5000,
                                         label=gettext_lazy("The suspicious message"))
    contact_phone = serializers.CharField(required=False, allow_blank=True, max_length=40,
                                          label=gettext_lazy("Your phone"))


class FraudReportClassifyInput(serializers.Serializer):
    fraud_type = IdField(allow_null=True, label=gettext_lazy("Fraud type"),
                         help_text=gettext_lazy("An active type's id; null for “not sure”."))


class FraudReportStepInput(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000,
                                 label=gettext_lazy("Note"))


class FraudReportReferInput(FraudReportStepInput):
    police_reference = serializers.CharField(max_length=64,
                                             label=gettext_lazy("Police case number"))


# --- views -----------------------------------------------------------------------------------
@extend_schema(tags=["education"])
class FraudTypeViewSet(viewsets.GenericViewSet):
    """The fraud types of the library (active ones, in their order)."""

    pagination_class = None
    filter_backends: list = []
    lookup_value_converter = "int"
    serializer_class = FraudTypeSerializer
    queryset = FraudType.objects.none()

    @extend_schema(summary=gettext_lazy("Active fraud types in their order"),
                   responses={200: FraudTypeSerializer(many=True)})
    def list(self, request):
        rows = library_selectors.active_fraud_types()
        return Response(self.get_serializer(rows, many=True).data)

    @extend_schema(summary=gettext_lazy("One active fraud type"),
                   responses={200: FraudTypeSerializer, **_errors(404)})
    def retrieve(self, request, pk=None):
        row = library_selectors.active_fraud_types().filter(pk=pk).first()
        if row is None:
            raise NotFound(_("Fraud type not found"))
        return Response(self.get_serializer(row).data)


@extend_schema(tags=["education"])
class FraudCaseViewSet(viewsets.GenericViewSet):
    """Published, anonymised fraud cases."""

    pagination_class = CountlessPagination
    filter_backends: list = []
    lookup_value_converter = "int"
    serializer_class = FraudCaseSerializer
    queryset = FraudCase.objects.none()

    @extend_schema(summary=gettext_lazy("Published fraud cases, newest first"),
                   parameters=[FraudCaseQuerySerializer],
                   responses={200: FraudCaseSerializer(many=True), **_errors(400)})
    def list(self, request):
        q = _query(FraudCaseQuerySerializer, request)
        if q.get("q"):
            _types, rows = library_selectors.library_search(q["q"])
        else:
            rows = library_selectors.published_cases()
        if q.get("type"):
            rows = rows.filter(fraud_type__code=q["type"])
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(summary=gettext_lazy("One published fraud case"),
                   responses={200: FraudCaseSerializer, **_errors(404)})
    def retrieve(self, request, pk=None):
        row = library_selectors.published_cases().filter(pk=pk).first()
        if row is None:
            raise NotFound(_("Case not found"))
        return Response(self.get_serializer(row).data)


def _step_schema(request_serializer, summary):
    return extend_schema(summary=summary, request=request_serializer,
                         responses={200: FraudReportDetailSerializer,
                                    **_errors(400, 403, 404, 409)})


@extend_schema(tags=["education"])
class FraudReportViewSet(viewsets.GenericViewSet):
    """Confidential fraud reports: yours, or all for police liaisons and office administrators."""

    pagination_class = CountlessPagination
    filter_backends: list = []
    lookup_value_converter = "int"
    serializer_class = FraudReportSerializer
    queryset = FraudReport.objects.none()

    def _visible(self, pk) -> FraudReport:
        report = selectors.report_for(self.request.user, pk)
        if report is None:
            raise NotFound(_("Report not found"))
        return report

    def _render(self, pk, *, code=status.HTTP_200_OK) -> Response:
        return Response(FraudReportDetailSerializer(
            self._visible(pk), context=self.get_serializer_context()).data, status=code)

    @extend_schema(summary=gettext_lazy(
        "Your fraud reports (every report for police liaisons and office administrators)"),
        parameters=[FraudReportQuerySerializer],
        responses={200: FraudReportSerializer(many=True), **_errors(400)})
    def list(self, request):
        q = _query(FraudReportQuerySerializer, request)
        if selectors.handles(request.user):
            rows = selectors.report_queue(request.user, state=q.get("state", ""))
        else:
            rows = selectors.my_reports(request.user)
            state = q.get("state", "")
            if state == selectors.TAB_OPEN:
                rows = rows.filter(state__in=selectors.OPEN_STATES)
            elif state:
                rows = rows.filter(state=state)
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(summary=gettext_lazy("One fraud report (yours, or any for the handlers)"),
                   responses={200: FraudReportDetailSerializer, **_errors(404)})
    def retrieve(self, request, pk=None):
        return self._render(pk)

    @extend_schema(
        summary=gettext_lazy("Report fraud (confidential)"),
        description=gettext_lazy(
            "The police liaisons of your campus and the office administrators are notified "
            "without any content. With an Idempotency-Key a retry returns the first report "
            "with 200 instead of 201."),
        request=FraudReportInput, parameters=[IDEMPOTENCY_PARAMETER],
        responses={201: FraudReportDetailSerializer, 200: FraudReportDetailSerializer,
                   **_errors(400, 403, 409)})
    def create(self, request):
        if not request.user.has_perm("education.report_fraud"):
            raise NotAllowed()
        d = _parse(FraudReportInput, request)
        key = _idempotency_key(request)
        replay = idempotency_lookup(scope=services.SUBMIT_SCOPE, key=key, model=FraudReport,
                                    user=request.user) is not None
        report = services.fraud_report_submit(
            actor=request.user, channel=d["channel"], occurred_on=d["occurred_on"],
            fraud_type_id=d.get("fraud_type"), lost_money=d.get("lost_money", False),
            loss_amount=d.get("loss_amount"), description=d["description"],
            counterpart=d.get("counterpart", ""), message_text=d.get("message_text", ""),
            contact_phone=d.get("contact_phone", ""), idempotency_key=key)
        return self._render(report.pk,
                            code=status.HTTP_200_OK if replay else status.HTTP_201_CREATED)

    def _step(self, pk, serializer_class, call):
        report = self._visible(pk)
        d = _parse(serializer_class, self.request)
        call(report, d)
        return self._render(report.pk)

    @_step_schema(FraudReportStepInput, gettext_lazy("Receive the report"))
    @action(detail=True, methods=["post"])
    def receive(self, request, pk=None):
        return self._step(pk, FraudReportStepInput, lambda r, d: services.fraud_report_receive(
            actor=request.user, report_id=r.pk, note=d.get("note", "")))

    @_step_schema(FraudReportReferInput, gettext_lazy("Refer it to the police station"))
    @action(detail=True, methods=["post"])
    def refer(self, request, pk=None):
        return self._step(pk, FraudReportReferInput, lambda r, d: services.fraud_report_refer(
            actor=request.user, report_id=r.pk, police_reference=d["police_reference"],
            note=d.get("note", "")))

    @_step_schema(FraudReportStepInput, gettext_lazy("Close it with a note"))
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        return self._step(pk, FraudReportStepInput, lambda r, d: services.fraud_report_close(
            actor=request.user, report_id=r.pk, note=d.get("note", "")))

    @_step_schema(FraudReportClassifyInput, gettext_lazy("Set the fraud type (until closed)"))
    @action(detail=True, methods=["post"])
    def classify(self, request, pk=None):
        return self._step(pk, FraudReportClassifyInput,
                          lambda r, d: services.fraud_report_classify(
                              actor=request.user, report_id=r.pk,
                              fraud_type_id=d.get("fraud_type")))


routes = [
    ("v1/education/fraud-types", FraudTypeViewSet, "fraud-type"),
    ("v1/education/fraud-cases", FraudCaseViewSet, "fraud-case"),
    ("v1/education/fraud-reports", FraudReportViewSet, "fraud-report"),
]
