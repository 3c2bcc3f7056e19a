"""REST API of charging points (充电设施): ``/api/v1/traffic/…`` (thin entry points).

- ``charging-stations/``: every station (anyone signed in), filters ``campus``, ``kind``
  (``ebike`` | ``ev``), ``status`` (``in_service`` | ``fault`` | ``out_of_service``) and
  ``q`` (name, operator, operator's id, place); ``{id}/`` one station with its open faults;
- ``charging-faults/``: ``POST`` reports a fault at a station (JSON, or multipart/form-data
  with ``photos``; an ``Idempotency-Key`` makes a retry return the first report with 200):
  it opens a hazard routed to the station's operator unit and sets the station to
  ``fault``; ``{id}/`` one fault (its reporter, or the office).

Reads go through :mod:`safecampus.traffic.selectors.charging`, writes call
:mod:`safecampus.traffic.services.charging` as the pages do: bad input 400 with per-field
messages, not allowed 403, a station out of service 409. ``kind`` and ``status`` are plain
strings in the schema (their labels are in ``kind_display``/``status_display``), so no enum
name collides with the other modules' ``kind`` and ``status``.
"""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status, viewsets
from rest_framework.exceptions import NotFound
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from safecampus.core.errors import DomainError
from safecampus.core.idempotency import idempotency_lookup
from safecampus.traffic.models import ChargingFault, ChargingStation
from safecampus.traffic.selectors import charging as selectors
from safecampus.traffic.services import charging as services

from .duty import _parse, _query
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
from .pagination import CountlessPagination


# --- output ----------------------------------------------------------------------------------
class ChargingStationSerializer(serializers.ModelSerializer):
    kind = serializers.CharField(read_only=True, help_text=gettext_lazy("ebike or ev"))
    kind_display = LabelField(ChargingStation.Kind, source="kind")
    status = serializers.CharField(read_only=True, help_text=gettext_lazy(
        "in_service, fault or out_of_service"))
    status_display = LabelField(ChargingStation.Status, source="status")
    campus = RefField()
    place = RefField(allow_null=True)
    operator_unit = RefField(allow_null=True)
    url = serializers.SerializerMethodField()
    report_url = serializers.SerializerMethodField(help_text=gettext_lazy(
        "The page where anyone signed in reports a fault (the station's QR sticker)."))

    class Meta:
        model = ChargingStation
        fields = ["id", "url", "report_url", "name", "kind", "kind_display", "status",
                  "status_display", "points", "campus", "place", "operator_name",
                  "operator_unit", "external_id"]
        read_only_fields = fields

    def get_url(self, station) -> str:
        return _abs(self.context.get("request"), station.get_absolute_url())

    def get_report_url(self, station) -> str:
        from django.urls import reverse

        return _abs(self.context.get("request"),
                    reverse("traffic:charging_report", args=[station.pk]))


class ChargingFaultSerializer(serializers.ModelSerializer):
    station = serializers.IntegerField(source="station_id", read_only=True)
    state = serializers.CharField(read_only=True, help_text=gettext_lazy("open or fixed"))
    state_display = LabelField(ChargingFault.State, source="state")
    hazard = serializers.IntegerField(source="hazard_id", read_only=True, allow_null=True,
                                      help_text=gettext_lazy("The hazard the fault opened."))

    class Meta:
        model = ChargingFault
        fields = ["id", "station", "description", "state", "state_display", "hazard",
                  "created_at", "fixed_at"]
        read_only_fields = fields


class ChargingStationDetailSerializer(ChargingStationSerializer):
    open_faults = serializers.SerializerMethodField()

    class Meta(ChargingStationSerializer.Meta):
        fields = ChargingStationSerializer.Meta.fields + ["note", "open_faults"]
        read_only_fields = fields

    @extend_schema_field(ChargingFaultSerializer(many=True))
    def get_open_faults(self, station) -> list[dict]:
        faults = [f for f in station.faults.all() if f.state == ChargingFault.State.OPEN]
        return ChargingFaultSerializer(faults, many=True).data


# --- input -----------------------------------------------------------------------------------
class StationQuerySerializer(serializers.Serializer):
    campus = IdField(required=False, label=gettext_lazy("Campus"))
    kind = serializers.CharField(required=False, allow_blank=True, max_length=8,
                                 label=gettext_lazy("Type"),
                                 help_text=gettext_lazy("ebike or ev"))
    status = serializers.CharField(required=False, allow_blank=True, max_length=16,
                                   label=gettext_lazy("Status"), help_text=gettext_lazy(
                                       "in_service, fault or out_of_service"))
    q = serializers.CharField(required=False, allow_blank=True, max_length=100,
                              label=gettext_lazy("Name, operator or place"))

    def validate_kind(self, value):
        if value and value not in ChargingStation.Kind.values:
            raise serializers.ValidationError(_("Choose ebike or ev."))
        return value

    def validate_status(self, value):
        if value and value not in ChargingStation.Status.values:
            raise serializers.ValidationError(_("Choose in_service, fault or out_of_service."))
        return value


class FaultInput(serializers.Serializer):
    station = IdField(label=gettext_lazy("Station"))
    description = serializers.CharField(required=False, allow_blank=True, max_length=2000,
                                        label=gettext_lazy("What is wrong"))
    is_anonymous = serializers.BooleanField(required=False, default=False,
                                            label=gettext_lazy("Report anonymously"))


class FaultMultipartInput(FaultInput):
    photos = serializers.ListField(child=serializers.FileField(), required=False,
                                   label=gettext_lazy("Photos"))


# --- views -----------------------------------------------------------------------------------
@extend_schema(tags=["traffic"])
class ChargingStationViewSet(viewsets.GenericViewSet):
    """Charging stations (充电站) and their status."""

    pagination_class = CountlessPagination
    filter_backends: list = []
    lookup_value_converter = "int"
    serializer_class = ChargingStationSerializer
    queryset = ChargingStation.objects.none()  # reads go through the selectors

    @extend_schema(summary=gettext_lazy("Charging stations by campus and name"),
                   parameters=[StationQuerySerializer],
                   responses={200: ChargingStationSerializer(many=True), **_errors(400)})
    def list(self, request):
        q = _query(StationQuerySerializer, request)
        rows = selectors.charging_station_list(
            request.user, campus=q.get("campus"), kind=q.get("kind", ""),
            status=q.get("status", ""), text=q.get("q", ""))
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(summary=gettext_lazy("One charging station with its open faults"),
                   responses={200: ChargingStationDetailSerializer, **_errors(404)})
    def retrieve(self, request, pk=None):
        station = selectors.charging_station_detail(request.user, pk)
        if station is None:
            raise NotFound(_("Charging station not found"))
        return Response(ChargingStationDetailSerializer(
            station, context=self.get_serializer_context()).data)


@extend_schema(tags=["traffic"])
class ChargingFaultViewSet(viewsets.GenericViewSet):
    """Faults reported at charging stations (充电设施故障报修); each opens a hazard."""

    parser_classes = [JSONParser, MultiPartParser, FormParser]
    filter_backends: list = []
    lookup_value_converter = "int"
    serializer_class = ChargingFaultSerializer
    queryset = ChargingFault.objects.none()

    @extend_schema(
        summary=gettext_lazy("Report a fault at a station (opens a hazard)"),
        description=gettext_lazy(
            "JSON, or multipart/form-data with `photos`. The hazard is routed to the "
            "station's operator unit; the station's status becomes fault. 409 when the "
            "station is out of service. With an Idempotency-Key a retry returns the first "
            "report with 200 instead of 201."),
        request={"application/json": FaultInput, "multipart/form-data": FaultMultipartInput},
        parameters=[IDEMPOTENCY_PARAMETER],
        responses={201: ChargingFaultSerializer, 200: ChargingFaultSerializer,
                   **_errors(400, 403, 409)})
    def create(self, request):
        d = _parse(FaultInput, request)
        key = _idempotency_key(request)
        replay = idempotency_lookup(scope=services.FAULT_SCOPE, key=key, model=ChargingFault,
                                    user=request.user) is not None
        if selectors.charging_station_detail(request.user, d["station"]) is None:
            message = _("This charging station does not exist.")
            raise DomainError(message, code="invalid", field_errors={"station": [message]})
        fault = services.charging_fault_report(
            actor=request.user, station_id=d["station"], description=d.get("description", ""),
            photos=_photos(request), is_anonymous=d.get("is_anonymous", False),
            idempotency_key=key)
        if replay and fault.station_id != d["station"]:
            raise _key_reused()
        return Response(ChargingFaultSerializer(fault).data,
                        status=status.HTTP_200_OK if replay else status.HTTP_201_CREATED)

    @extend_schema(summary=gettext_lazy("One fault (its reporter, or the office)"),
                   responses={200: ChargingFaultSerializer, **_errors(404)})
    def retrieve(self, request, pk=None):
        fault = ChargingFault.objects.filter(pk=pk).first()
        user = request.user
        if fault is None or not (user.has_perm("traffic.manage_charging")
                                 or (fault.reporter_id and fault.reporter_id == user.pk)):
            raise NotFound(_("Fault not found"))
        return Response(ChargingFaultSerializer(fault).data)


routes: list = [
    ("v1/traffic/charging-stations", ChargingStationViewSet, "charging-station"),
    ("v1/traffic/charging-faults", ChargingFaultViewSet, "charging-fault"),
]
