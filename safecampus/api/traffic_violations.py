"""REST API of parking violations and move-car notices: ``/api/v1/traffic/…`` (thin entry
points).

- ``violations/``: the violations you may see (the office, guards and leadership: all; an
  owner: those of their vehicles), filters ``kind``, ``state``, ``level``, ``date_from``,
  ``date_to``, ``plate`` (a plate or part of one); ``POST`` records one (JSON, or
  multipart/form-data with 1–6 ``photos``, required for level ``violation``; with an
  ``Idempotency-Key`` a retry returns the first with 200); ``{id}/close/`` (moved | towed),
  ``{id}/void/`` (a reason), ``{id}/notices/`` sends a move-car notice again;
- ``notices/``: move-car notices of the violations you may see, newest first (filter
  ``violation``).

Reads go through :mod:`safecampus.traffic.selectors.violations`, writes call
:mod:`safecampus.traffic.services.violations` as the pages do: bad input 400 with per-field
messages (nothing changed), not allowed 403, a closed violation 409. The owner's phone is
masked (138****8000) unless you may send move-car notices.
"""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from safecampus.core.errors import NotAllowed
from safecampus.core.forms import day_validators
from safecampus.core.idempotency import idempotency_lookup
from safecampus.traffic.models import MoveCarNotice, Violation, ViolationKind
from safecampus.traffic.selectors import violations as selectors
from safecampus.traffic.services import violations as services

from .duty import TimeField, _parse, _query
from .fields import IdField
from .hazards import (
    IDEMPOTENCY_PARAMETER,
    LabelField,
    RefField,
    _abs,
    _errors,
    _idempotency_key,
    _key_reused,
    _photos,
)
from .inspections import PersonField
from .pagination import CountlessPagination


# --- output ----------------------------------------------------------------------------------
class MoveCarNoticeSerializer(serializers.ModelSerializer):
    channel_display = LabelField(MoveCarNotice.Channel, source="channel")
    violation = serializers.IntegerField(source="violation_id", read_only=True)
    sent_by = PersonField(allow_null=True)

    class Meta:
        model = MoveCarNotice
        fields = ["id", "violation", "sequence", "channel", "channel_display", "sent_at",
                  "sent_by"]
        read_only_fields = fields


class ViolationOwnerSerializer(serializers.Serializer):
    name = serializers.CharField()
    phone = serializers.CharField(help_text=gettext_lazy(
        "Masked (138****8000) unless you may send move-car notices."))
    has_account = serializers.BooleanField()


class ViolationSerializer(serializers.ModelSerializer):
    kind_display = LabelField(ViolationKind, source="kind")
    level_display = LabelField(Violation.Level, source="level")
    state_display = LabelField(Violation.State, source="state")
    campus = RefField(allow_null=True)
    place = RefField(allow_null=True)
    vehicle = serializers.IntegerField(source="vehicle_id", read_only=True, allow_null=True)
    owner = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField()

    class Meta:
        model = Violation
        fields = ["id", "url", "plate", "vehicle", "owner", "kind", "kind_display", "level",
                  "level_display", "state", "state_display", "campus", "place",
                  "location_text", "observed_at", "note", "closed_at", "close_reason"]
        read_only_fields = fields

    @extend_schema_field(ViolationOwnerSerializer(allow_null=True))
    def get_owner(self, violation) -> dict | None:
        vehicle = violation.vehicle
        if vehicle is None:
            return None
        full = self.context.get("show_phone")
        return {"name": vehicle.owner_name,
                "phone": vehicle.owner_phone if full else services.phone_masked(
                    vehicle.owner_phone),
                "has_account": vehicle.owner_id is not None}

    def get_url(self, violation) -> str:
        return _abs(self.context.get("request"), violation.get_absolute_url())


class ViolationDetailSerializer(ViolationSerializer):
    notices = MoveCarNoticeSerializer(many=True, read_only=True)
    photos = serializers.IntegerField(source="photos.count", read_only=True,
                                      help_text=gettext_lazy("How many photos it has."))
    recorded_by = PersonField(allow_null=True)

    class Meta(ViolationSerializer.Meta):
        fields = ViolationSerializer.Meta.fields + ["recorded_by", "photos", "notices"]
        read_only_fields = fields


class RecordWarningSerializer(serializers.Serializer):
    code = serializers.CharField(help_text=gettext_lazy(
        "recent_duplicate (an identical violation was recorded just before) or "
        "notice_not_sent (the owner was not notified; the message says why)."))
    message = serializers.CharField()
    violation = serializers.IntegerField(allow_null=True, help_text=gettext_lazy(
        "The earlier identical violation, for recent_duplicate."))


class ViolationRecordedSerializer(ViolationDetailSerializer):
    warnings = RecordWarningSerializer(many=True, read_only=True)

    class Meta(ViolationDetailSerializer.Meta):
        fields = ViolationDetailSerializer.Meta.fields + ["warnings"]
        read_only_fields = fields


def _record_warnings(violation: Violation) -> list[dict]:
    """What the guard should know about a violation just recorded, as the page warns."""
    warnings = []
    if violation.recent_duplicate is not None:
        warnings.append({"code": "recent_duplicate",
                         "message": services.msg_recent_duplicate(violation.recent_duplicate),
                         "violation": violation.recent_duplicate.pk})
    if violation.notice is None and violation.notice_problem:
        warnings.append({"code": "notice_not_sent", "message": violation.notice_problem,
                         "violation": None})
    return warnings


# --- input -----------------------------------------------------------------------------------
class ViolationQuerySerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=ViolationKind.choices, required=False,
                                   label=gettext_lazy("Type"))
    state = serializers.ChoiceField(choices=Violation.State.choices, required=False,
                                    label=gettext_lazy("State"))
    level = serializers.ChoiceField(choices=Violation.Level.choices, required=False,
                                    label=gettext_lazy("Level"))
    date_from = serializers.DateField(required=False, validators=day_validators(),
                                      label=gettext_lazy("From"), help_text=gettext_lazy(
                                          "Seen on or after this local day."))
    date_to = serializers.DateField(required=False, validators=day_validators(),
                                    label=gettext_lazy("To"), help_text=gettext_lazy(
                                        "Seen on or before this local day."))
    plate = serializers.CharField(required=False, allow_blank=True, max_length=32,
                                  label=gettext_lazy("Plate"),
                                  help_text=gettext_lazy("A plate or part of one."))


class ViolationInput(serializers.Serializer):
    plate = serializers.CharField(max_length=32, label=gettext_lazy("Plate number"))
    kind = serializers.ChoiceField(choices=ViolationKind.choices, label=gettext_lazy("Type"))
    level = serializers.ChoiceField(choices=Violation.Level.choices, required=False,
                                    default=Violation.Level.VIOLATION,
                                    label=gettext_lazy("Level"))
    campus = IdField(required=False, allow_null=True, label=gettext_lazy("Campus"),
                     help_text=gettext_lazy("Default: the place's, else your only campus."))
    place = IdField(required=False, allow_null=True, label=gettext_lazy("Place"))
    location_text = serializers.CharField(required=False, allow_blank=True, max_length=200,
                                          label=gettext_lazy("Where exactly"))
    observed_at = TimeField(required=False, allow_null=True, label=gettext_lazy("Seen at"),
                            help_text=gettext_lazy("Default: now; not in the future."))
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000,
                                 label=gettext_lazy("Note"))


class ViolationMultipartInput(ViolationInput):
    photos = serializers.ListField(child=serializers.FileField(), required=False,
                                   label=gettext_lazy("Photos"), help_text=gettext_lazy(
                                       "1 to 6 photos; required for level violation."))


class ViolationCloseInput(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=[("moved", gettext_lazy("Moved")),
                                               ("towed", gettext_lazy("Towed"))],
                                      label=gettext_lazy("Outcome"))
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000,
                                 label=gettext_lazy("Note"))


class ViolationVoidInput(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=2000,
                                   label=gettext_lazy("Reason"),
                                   help_text=gettext_lazy("Why it is void (required)."))


class NoticeQuerySerializer(serializers.Serializer):
    violation = IdField(required=False, label=gettext_lazy("Violation"))


# --- views -----------------------------------------------------------------------------------
@extend_schema(tags=["traffic"])
class ViolationViewSet(viewsets.GenericViewSet):
    """Parking violations (违停) and their move-car notices."""

    pagination_class = CountlessPagination
    parser_classes = [JSONParser, MultiPartParser, FormParser]
    filter_backends: list = []
    lookup_value_converter = "int"
    serializer_class = ViolationSerializer
    queryset = Violation.objects.none()  # reads go through the selectors

    def get_serializer_context(self):
        context = super().get_serializer_context()
        context["show_phone"] = self.request.user.has_perm("traffic.send_move_car_notice")
        return context

    def _visible(self, pk) -> Violation:
        violation = selectors.violation_detail(self.request.user, pk)
        if violation is None:
            raise NotFound(_("Violation not found"))
        return violation

    def _render(self, pk, *, code=status.HTTP_200_OK) -> Response:
        return Response(ViolationDetailSerializer(
            self._visible(pk), context=self.get_serializer_context()).data, status=code)

    @extend_schema(summary=gettext_lazy("Violations you may see, newest seen first"),
                   parameters=[ViolationQuerySerializer],
                   responses={200: ViolationSerializer(many=True), **_errors(400)})
    def list(self, request):
        q = _query(ViolationQuerySerializer, request)
        rows = selectors.violation_search(
            request.user, kind=q.get("kind", ""), state=q.get("state", ""),
            level=q.get("level", ""), date_from=q.get("date_from"), date_to=q.get("date_to"),
            plate=q.get("plate", ""))
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(summary=gettext_lazy("One violation with its notices"),
                   responses={200: ViolationDetailSerializer, **_errors(404)})
    def retrieve(self, request, pk=None):
        return self._render(pk)

    @extend_schema(
        summary=gettext_lazy("Record a violation (and notify a registered owner)"),
        description=gettext_lazy(
            "JSON (a warning without photos), or multipart/form-data with 1 to 6 `photos`. "
            "An invalid plate is a 400 with the reason (code bad_plate). With an "
            "Idempotency-Key a retry returns the first violation with 200 instead of 201. "
            "`warnings` lists what the guard should be told: the same vehicle recorded just "
            "before (recent_duplicate), or why the owner was not notified (notice_not_sent)."),
        request={"application/json": ViolationInput,
                 "multipart/form-data": ViolationMultipartInput},
        parameters=[IDEMPOTENCY_PARAMETER],
        responses={201: ViolationRecordedSerializer, 200: ViolationRecordedSerializer,
                   **_errors(400, 403, 409)},
    )
    def create(self, request):
        if not request.user.has_perm("traffic.record_violation"):
            raise NotAllowed()
        d = _parse(ViolationInput, request)
        key = _idempotency_key(request)
        replay = idempotency_lookup(scope=services.RECORD_SCOPE, key=key, model=Violation,
                                    user=request.user) is not None
        violation = services.violation_record(
            actor=request.user, plate=d["plate"], kind=d["kind"], level=d["level"],
            campus_id=d.get("campus"), place_id=d.get("place"),
            location_text=d.get("location_text", ""), observed_at=d.get("observed_at"),
            note=d.get("note", ""), photos=_photos(request), idempotency_key=key)
        if violation.recorded_by_id != request.user.pk:
            raise _key_reused()
        recorded = self._visible(violation.pk)
        recorded.warnings = [] if replay else _record_warnings(violation)
        return Response(ViolationRecordedSerializer(
            recorded, context=self.get_serializer_context()).data,
            status=status.HTTP_200_OK if replay else status.HTTP_201_CREATED)

    @extend_schema(summary=gettext_lazy("Close: the vehicle was moved or towed"),
                   request=ViolationCloseInput,
                   responses={200: ViolationDetailSerializer, **_errors(400, 403, 404, 409)})
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        violation = self._visible(pk)
        d = _parse(ViolationCloseInput, request)
        services.violation_close(actor=request.user, violation_id=violation.pk,
                                 outcome=d["outcome"], note=d.get("note", ""))
        return self._render(violation.pk)

    @extend_schema(summary=gettext_lazy("Void a violation recorded by mistake, with a reason"),
                   request=ViolationVoidInput,
                   responses={200: ViolationDetailSerializer, **_errors(400, 403, 404, 409)})
    @action(detail=True, methods=["post"])
    def void(self, request, pk=None):
        violation = self._visible(pk)
        d = _parse(ViolationVoidInput, request)
        services.violation_void(actor=request.user, violation_id=violation.pk,
                                reason=d.get("reason", ""))
        return self._render(violation.pk)

    @extend_schema(
        summary=gettext_lazy("Send the move-car notice again"),
        description=gettext_lazy(
            "400 with code notice_too_soon (the minutes left in the message) before the "
            "re-send interval, notice_daily_cap beyond the owner's daily cap."),
        request=None, responses={201: MoveCarNoticeSerializer, **_errors(400, 403, 404, 409)})
    @action(detail=True, methods=["post"])
    def notices(self, request, pk=None):
        violation = self._visible(pk)
        notice = services.move_car_notice_send(actor=request.user, violation_id=violation.pk)
        return Response(MoveCarNoticeSerializer(notice).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["traffic"])
class NoticeViewSet(viewsets.GenericViewSet):
    """Move-car notices (挪车通知) of the violations you may see."""

    pagination_class = CountlessPagination
    filter_backends: list = []
    lookup_value_converter = "int"
    serializer_class = MoveCarNoticeSerializer
    queryset = MoveCarNotice.objects.none()  # reads go through the selectors

    def _rows(self):
        return (MoveCarNotice.objects.filter(
            violation__in=selectors.violation_list_visible_to(self.request.user).values("pk"))
            .select_related("sent_by").order_by("-sent_at", "-id"))

    @extend_schema(summary=gettext_lazy("Move-car notices, newest first"),
                   parameters=[NoticeQuerySerializer],
                   responses={200: MoveCarNoticeSerializer(many=True), **_errors(400)})
    def list(self, request):
        q = _query(NoticeQuerySerializer, request)
        rows = self._rows()
        if q.get("violation"):
            rows = rows.filter(violation_id=q["violation"])
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(summary=gettext_lazy("One move-car notice"),
                   responses={200: MoveCarNoticeSerializer, **_errors(404)})
    def retrieve(self, request, pk=None):
        notice = self._rows().filter(pk=pk).first()
        if notice is None:
            raise NotFound(_("Notice not found"))
        return Response(self.get_serializer(notice).data)
