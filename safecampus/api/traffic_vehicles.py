"""REST API of vehicles and campus entry permits: ``/api/v1/traffic/…`` (thin entry points).

- ``vehicles/``: the vehicles you may see (the office and guards: all; others: their own),
  filters ``kind``, ``owner_kind``, ``active``, ``q``; ``POST`` registers one (the office;
  with an ``Idempotency-Key`` a retry returns the first vehicle with 200);
  ``vehicles/lookup/?q=`` the gate's plate lookup (exact plate first, then fragments, tags
  and owner names; at most 20), each with its permit status today;
- ``permits/``: permits of the vehicles you may see (filter ``vehicle``); ``POST`` issues one
  (``Idempotency-Key`` too); ``{id}/revoke/`` revokes one with a reason.

Reads go through :mod:`safecampus.traffic.selectors.vehicles`, writes call
:mod:`safecampus.traffic.services.vehicles` as the pages do: bad input 400 with per-field
messages (nothing changed), not allowed 403, a revoked permit or a deactivated vehicle 409.
"""

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.parsers import FormParser, JSONParser
from rest_framework.response import Response

from safecampus.core.errors import NotAllowed
from safecampus.core.forms import day_validators
from safecampus.core.idempotency import idempotency_lookup
from safecampus.traffic.models import Permit, Vehicle
from safecampus.traffic.selectors import vehicles as selectors
from safecampus.traffic.services import vehicles as services

from .duty import _parse, _query
from .fields import IdField
from .hazards import IDEMPOTENCY_PARAMETER, LabelField, RefField, _abs, _errors, _idempotency_key
from .inspections import PersonField
from .pagination import CountlessPagination


# --- output ----------------------------------------------------------------------------------
class PermitStatusSerializer(serializers.Serializer):
    code = serializers.CharField(help_text=gettext_lazy(
        "valid, suspended, upcoming (starts later), expired or none (today, local date)."))
    label = serializers.CharField()
    permit = serializers.IntegerField(allow_null=True, source="permit.pk")
    valid_from = serializers.DateField(allow_null=True, source="permit.valid_from")
    valid_until = serializers.DateField(allow_null=True, source="permit.valid_until")

    def to_representation(self, value):
        permit = value.permit
        return {"code": value.code, "label": str(value.label),
                "permit": permit.pk if permit else None,
                "valid_from": permit.valid_from.isoformat() if permit else None,
                "valid_until": permit.valid_until.isoformat() if permit else None}


class VehicleSerializer(serializers.ModelSerializer):
    kind_display = LabelField(Vehicle.Kind, source="kind")
    owner_kind_display = LabelField(Vehicle.OwnerKind, source="owner_kind")
    owner = PersonField(allow_null=True)
    unit = RefField(allow_null=True)
    permit_status = PermitStatusSerializer(read_only=True)
    url = serializers.SerializerMethodField()

    class Meta:
        model = Vehicle
        fields = ["id", "url", "plate", "plate_kind", "tag_number", "kind", "kind_display",
                  "make", "colour", "owner", "owner_name", "owner_kind", "owner_kind_display",
                  "owner_phone", "unit", "is_active", "permit_status"]
        read_only_fields = fields

    def get_url(self, vehicle) -> str:
        return _abs(self.context.get("request"),
                    reverse("traffic:vehicle_detail", args=[vehicle.pk]))


class PermitSerializer(serializers.ModelSerializer):
    kind_display = LabelField(Permit.Kind, source="kind")
    state_display = LabelField(Permit.State, source="state")
    vehicle = serializers.IntegerField(source="vehicle_id", read_only=True)
    plate = serializers.CharField(source="vehicle.plate", read_only=True)
    issued_by = PersonField(allow_null=True)
    standing = serializers.SerializerMethodField(help_text=gettext_lazy(
        "The permit's status today (local date): valid, upcoming (starts later), expired, "
        "suspended or revoked. `state` alone stays active after the last day."))
    standing_display = serializers.SerializerMethodField()

    class Meta:
        model = Permit
        fields = ["id", "vehicle", "plate", "kind", "kind_display", "valid_from", "valid_until",
                  "state", "state_display", "standing", "standing_display", "issued_by", "note"]
        read_only_fields = fields

    def get_standing(self, permit) -> str:
        return selectors.permit_standing(permit)

    def get_standing_display(self, permit) -> str:
        return str(selectors.PERMIT_STANDINGS[selectors.permit_standing(permit)][0])


class PermitWarningSerializer(serializers.Serializer):
    code = serializers.CharField(help_text=gettext_lazy(
        "overlap: the new permit shares days with another active permit of the vehicle."))
    message = serializers.CharField()
    permit = serializers.IntegerField(help_text=gettext_lazy("The other permit."))


class PermitIssuedSerializer(PermitSerializer):
    warnings = PermitWarningSerializer(many=True, read_only=True)

    class Meta(PermitSerializer.Meta):
        fields = PermitSerializer.Meta.fields + ["warnings"]
        read_only_fields = fields


# --- input -----------------------------------------------------------------------------------
class VehicleQuerySerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=Vehicle.Kind.choices, required=False,
                                   label=gettext_lazy("Vehicle type"))
    owner_kind = serializers.ChoiceField(choices=Vehicle.OwnerKind.choices, required=False,
                                         label=gettext_lazy("Owner type"))
    active = serializers.BooleanField(required=False, allow_null=True, default=None,
                                      label=gettext_lazy("Active"))
    q = serializers.CharField(required=False, allow_blank=True, max_length=64,
                              label=gettext_lazy("Plate, tag or owner"))


class LookupQuerySerializer(serializers.Serializer):
    q = serializers.CharField(allow_blank=True, max_length=64,
                              label=gettext_lazy("Plate, tag or owner"), help_text=gettext_lazy(
                                  "A plate as typed (any case, spaces, full width), a part of "
                                  "one (12345, A123), a campus tag or an owner's name."))


class VehicleInput(serializers.Serializer):
    plate = serializers.CharField(required=False, allow_blank=True, max_length=32,
                                  label=gettext_lazy("Plate number"))
    kind = serializers.ChoiceField(choices=Vehicle.Kind.choices, required=False,
                                   default=Vehicle.Kind.CAR, label=gettext_lazy("Vehicle type"))
    tag_number = serializers.CharField(required=False, allow_blank=True, max_length=64,
                                       label=gettext_lazy("Campus tag number"))
    make = serializers.CharField(required=False, allow_blank=True, max_length=128,
                                 label=gettext_lazy("Make and model"))
    colour = serializers.CharField(required=False, allow_blank=True, max_length=64,
                                   label=gettext_lazy("Colour"))
    owner_name = serializers.CharField(required=False, allow_blank=True, max_length=128,
                                       label=gettext_lazy("Owner"))
    owner_kind = serializers.ChoiceField(choices=Vehicle.OwnerKind.choices, required=False,
                                         allow_blank=True, label=gettext_lazy("Owner type"))
    owner_phone = serializers.CharField(required=False, allow_blank=True, max_length=64,
                                        label=gettext_lazy("Owner's phone"))
    owner = IdField(required=False, allow_null=True, label=gettext_lazy("Owner's account"))
    unit = IdField(required=False, allow_null=True, label=gettext_lazy("Unit"))


class PermitQuerySerializer(serializers.Serializer):
    vehicle = IdField(required=False, label=gettext_lazy("Vehicle"))


class PermitInput(serializers.Serializer):
    vehicle = IdField(label=gettext_lazy("Vehicle"))
    kind = serializers.ChoiceField(choices=Permit.Kind.choices, required=False,
                                   default=Permit.Kind.LONG_TERM,
                                   label=gettext_lazy("Permit type"))
    valid_from = serializers.DateField(validators=day_validators(),
                                       label=gettext_lazy("Valid from"))
    valid_until = serializers.DateField(validators=day_validators(),
                                        label=gettext_lazy("Valid until"))
    note = serializers.CharField(required=False, allow_blank=True, max_length=400,
                                 label=gettext_lazy("Note"))


class RevokeInput(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, label=gettext_lazy("Reason"))


# --- views -----------------------------------------------------------------------------------
@extend_schema(tags=["traffic"])
class VehicleViewSet(viewsets.GenericViewSet):
    """Vehicles (车辆) with their owners and permit status today."""

    pagination_class = CountlessPagination
    parser_classes = [JSONParser, FormParser]
    filter_backends: list = []
    lookup_value_converter = "int"
    serializer_class = VehicleSerializer
    queryset = Vehicle.objects.none()  # reads go through the selectors

    def _render(self, pk, *, code=status.HTTP_200_OK) -> Response:
        vehicle = selectors.vehicle_detail(self.request.user, pk)
        if vehicle is None:
            raise NotFound(_("Vehicle not found"))
        selectors.with_permit_status([vehicle])
        return Response(self.get_serializer(vehicle).data, status=code)

    @extend_schema(summary=gettext_lazy("Vehicles you may see, by plate"),
                   parameters=[VehicleQuerySerializer],
                   responses={200: VehicleSerializer(many=True), **_errors(400)})
    def list(self, request):
        query = _query(VehicleQuerySerializer, request)
        active = query.get("active")
        rows = selectors.vehicle_filter(
            selectors.vehicle_list_visible_to(request.user), kind=query.get("kind", ""),
            owner_kind=query.get("owner_kind", ""),
            active="" if active is None else ("yes" if active else "no"),
            q=query.get("q", "")).order_by("plate", "id")
        page = selectors.with_permit_status(self.paginate_queryset(rows))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(summary=gettext_lazy("One vehicle"),
                   responses={200: VehicleSerializer, **_errors(404)})
    def retrieve(self, request, pk=None):
        return self._render(pk)

    @extend_schema(summary=gettext_lazy("Look a plate up (at most 20, best match first)"),
                   parameters=[LookupQuerySerializer],
                   responses={200: VehicleSerializer(many=True), **_errors(400, 403)})
    @action(detail=False, methods=["get"], pagination_class=None)
    def lookup(self, request):
        if not request.user.has_perm("traffic.view_vehicle"):
            raise NotAllowed()
        query = _query(LookupQuerySerializer, request)
        rows = selectors.vehicle_lookup(request.user, query.get("q", ""))
        return Response(self.get_serializer(rows, many=True).data)

    @extend_schema(
        summary=gettext_lazy("Register a vehicle"),
        description=gettext_lazy(
            "The plate is normalised and validated (400 with the reason); a plate already "
            "registered is refused naming that vehicle. An e-bike may give only tag_number. "
            "With an Idempotency-Key a retry returns the first vehicle with 200."),
        request=VehicleInput, parameters=[IDEMPOTENCY_PARAMETER],
        responses={201: VehicleSerializer, 200: VehicleSerializer, **_errors(400, 403, 409)})
    def create(self, request):
        if not request.user.has_perm("traffic.manage_vehicles"):
            raise NotAllowed()
        d = _parse(VehicleInput, request)
        key = _idempotency_key(request)
        replay = idempotency_lookup(scope=services.VEHICLE_SCOPE, key=key, model=Vehicle,
                                    user=request.user) is not None
        vehicle = services.vehicle_register(
            actor=request.user, plate=d.get("plate", ""), kind=d["kind"],
            tag_number=d.get("tag_number", ""), make=d.get("make", ""),
            colour=d.get("colour", ""), owner_name=d.get("owner_name", ""),
            owner_kind=d.get("owner_kind", ""), owner_phone=d.get("owner_phone", ""),
            owner_id=d.get("owner"), unit_id=d.get("unit"), idempotency_key=key)
        return self._render(vehicle.pk,
                            code=status.HTTP_200_OK if replay else status.HTTP_201_CREATED)


@extend_schema(tags=["traffic"])
class PermitViewSet(viewsets.GenericViewSet):
    """Campus entry permits (校园通行证), valid between two local dates (inclusive)."""

    pagination_class = CountlessPagination
    parser_classes = [JSONParser, FormParser]
    filter_backends: list = []
    lookup_value_converter = "int"
    serializer_class = PermitSerializer
    queryset = Permit.objects.none()  # reads go through the selectors

    def _render(self, pk, *, code=status.HTTP_200_OK) -> Response:
        permit = selectors.permit_list_visible_to(self.request.user).filter(pk=pk).first()
        if permit is None:
            raise NotFound(_("Permit not found"))
        return Response(self.get_serializer(permit).data, status=code)

    @extend_schema(summary=gettext_lazy("Permits of the vehicles you may see"),
                   parameters=[PermitQuerySerializer],
                   responses={200: PermitSerializer(many=True), **_errors(400)})
    def list(self, request):
        query = _query(PermitQuerySerializer, request)
        rows = selectors.permit_list_visible_to(request.user)
        if query.get("vehicle"):
            rows = rows.filter(vehicle_id=query["vehicle"])
        page = self.paginate_queryset(rows.order_by("-valid_until", "-id"))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(summary=gettext_lazy("One permit"),
                   responses={200: PermitSerializer, **_errors(404)})
    def retrieve(self, request, pk=None):
        return self._render(pk)

    @extend_schema(
        summary=gettext_lazy("Issue a permit"),
        description=gettext_lazy(
            "Refused with 400 when the last day is already past (local date), and (code "
            "permit_overlap, naming the permit) when the period overlaps a suspended permit of "
            "the vehicle. Overlapping an active permit is allowed (a renewal); `warnings` "
            "names it. With an Idempotency-Key a retry returns the first permit with 200."),
        request=PermitInput, parameters=[IDEMPOTENCY_PARAMETER],
        responses={201: PermitIssuedSerializer, 200: PermitIssuedSerializer,
                   **_errors(400, 403, 409)})
    def create(self, request):
        if not request.user.has_perm("traffic.manage_vehicles"):
            raise NotAllowed()
        d = _parse(PermitInput, request)
        key = _idempotency_key(request)
        replay = idempotency_lookup(scope=services.PERMIT_SCOPE, key=key, model=Permit,
                                    user=request.user) is not None
        permit = services.permit_issue(
            actor=request.user, vehicle_id=d["vehicle"], kind=d["kind"],
            valid_from=d["valid_from"], valid_until=d["valid_until"], note=d.get("note", ""),
            idempotency_key=key)
        issued = selectors.permit_list_visible_to(request.user).get(pk=permit.pk)
        issued.warnings = [{"code": "overlap", "message": services.msg_permit_overlaps(other),
                            "permit": other.pk} for other in selectors.permit_overlaps(issued)]
        return Response(PermitIssuedSerializer(issued, context=self.get_serializer_context()).data,
                        status=status.HTTP_200_OK if replay else status.HTTP_201_CREATED)

    @extend_schema(summary=gettext_lazy("Revoke a permit (a reason is required)"),
                   request=RevokeInput,
                   responses={200: PermitSerializer, **_errors(400, 403, 404, 409)})
    @action(detail=True, methods=["post"])
    def revoke(self, request, pk=None):
        permit = selectors.permit_list_visible_to(request.user).filter(pk=pk).first()
        if permit is None:
            raise NotFound(_("Permit not found"))
        d = _parse(RevokeInput, request)
        services.permit_revoke(actor=request.user, permit_id=permit.pk,
                               reason=d.get("reason", ""))
        return self._render(permit.pk)
