"""REST API of the police module's partners area (under ``/api/v1/police/``).

- ``v1/police/partners/``: partners visible to the caller (office and leadership: all; a
  liaison: their own) with campuses served and active liaisons; ``{id}/`` one partner; POST
  creates one (office admin; ``Idempotency-Key``: a retry returns the first partner with
  200); PUT replaces its details (campuses changed → its liaisons' scope follows).

``kind`` is a plain string (the service checks it), so no enum component collides with other
modules' "Kind". Reads through :mod:`safecampus.police.selectors.partners`, writes through
:mod:`safecampus.police.services.partners`, as the pages.
"""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status, viewsets
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from safecampus.core.errors import NotAllowed
from safecampus.core.idempotency import idempotency_lookup
from safecampus.police.models import Partner
from safecampus.police.selectors import partners as selectors
from safecampus.police.services import partners as services

from .duty import _parse
from .fields import IdField
from .hazards import IDEMPOTENCY_PARAMETER, LabelField, NamedRefSerializer, _errors, _idempotency_key
from .pagination import CountlessPagination


class PoliceLiaisonOutput(serializers.Serializer):
    id = serializers.IntegerField()
    user = serializers.IntegerField(source="user_id")
    name = serializers.CharField(source="user.__str__")
    post = serializers.CharField()


class PolicePartnerSerializer(serializers.ModelSerializer):
    kind = serializers.CharField()
    kind_display = LabelField(Partner.Kind, source="kind")
    campuses = serializers.SerializerMethodField()
    liaisons = serializers.SerializerMethodField()

    class Meta:
        model = Partner
        fields = ["id", "code", "name", "kind", "kind_display", "campuses", "address", "phone",
                  "is_active", "liaisons"]
        read_only_fields = fields

    @extend_schema_field(NamedRefSerializer(many=True))
    def get_campuses(self, obj):
        return [{"id": c.pk, "name": c.name} for c in obj.campuses.all()]

    @extend_schema_field(PoliceLiaisonOutput(many=True))
    def get_liaisons(self, obj):
        rows = getattr(obj, "active_liaisons", None)
        if rows is None:
            rows = [li for li in getattr(obj, "all_liaisons", ()) if li.is_active]
        return PoliceLiaisonOutput(rows, many=True).data


class PolicePartnerInput(serializers.Serializer):
    code = serializers.CharField(max_length=32, label=gettext_lazy("Code"))
    name = serializers.CharField(max_length=100, label=gettext_lazy("Name"))
    kind = serializers.CharField(max_length=24, label=gettext_lazy("Kind"), help_text=(
        gettext_lazy("police_station, traffic_police, campus_protection, fire_rescue or "
                     "other.")))
    campuses = serializers.ListField(child=IdField(), required=False, max_length=50,
                                     label=gettext_lazy("Campuses served"))
    address = serializers.CharField(max_length=200, required=False, allow_blank=True,
                                    label=gettext_lazy("Address"))
    phone = serializers.CharField(max_length=32, required=False, allow_blank=True,
                                  label=gettext_lazy("Duty phone"))
    is_active = serializers.BooleanField(required=False, default=True,
                                         label=gettext_lazy("Active"))


def _input(d) -> services.PartnerInput:
    return services.PartnerInput(code=d["code"], name=d["name"], kind=d["kind"],
                                 campus_ids=d.get("campuses", ()),
                                 address=d.get("address", ""), phone=d.get("phone", ""),
                                 is_active=d.get("is_active", True))


@extend_schema(tags=["police"])
class PolicePartnerViewSet(viewsets.GenericViewSet):
    """Partners of the office (警校合作单位) and their liaisons."""

    pagination_class = CountlessPagination
    filter_backends: list = []
    lookup_value_converter = "int"
    serializer_class = PolicePartnerSerializer
    queryset = Partner.objects.none()  # reads go through the selectors

    def _partner(self, pk) -> Partner:
        partner = selectors.partner_detail(self.request.user, pk)
        if partner is None:
            raise NotFound(_("Partner not found"))
        return partner

    @extend_schema(summary=gettext_lazy("Partners visible to you"),
                   responses={200: PolicePartnerSerializer(many=True), **_errors(403)})
    def list(self, request):
        if not request.user.has_perm("police.view_partners"):
            raise NotAllowed()
        page = self.paginate_queryset(selectors.partner_list(request.user))
        return self.get_paginated_response(PolicePartnerSerializer(page, many=True).data)

    @extend_schema(summary=gettext_lazy("One partner"),
                   responses={200: PolicePartnerSerializer, **_errors(404)})
    def retrieve(self, request, pk=None):
        return Response(PolicePartnerSerializer(self._partner(pk)).data)

    @extend_schema(summary=gettext_lazy("Add a partner"), request=PolicePartnerInput,
                   parameters=[IDEMPOTENCY_PARAMETER],
                   responses={201: PolicePartnerSerializer, 200: PolicePartnerSerializer,
                              **_errors(400, 403, 409)})
    def create(self, request):
        if not request.user.has_perm("police.manage_partners"):
            raise NotAllowed()
        d = _parse(PolicePartnerInput, request)
        key = _idempotency_key(request)
        replay = idempotency_lookup(scope=services.PARTNER_CREATE_SCOPE, key=key,
                                    model=Partner, user=request.user) is not None
        partner = services.partner_create(actor=request.user, data=_input(d),
                                          idempotency_key=key)
        return Response(PolicePartnerSerializer(self._partner(partner.pk)).data,
                        status=status.HTTP_200_OK if replay else status.HTTP_201_CREATED)

    @extend_schema(summary=gettext_lazy("Replace a partner's details"),
                   request=PolicePartnerInput,
                   responses={200: PolicePartnerSerializer, **_errors(400, 403, 404)})
    def update(self, request, pk=None):
        if not request.user.has_perm("police.manage_partners"):
            raise NotAllowed()
        partner = self._partner(pk)
        d = _parse(PolicePartnerInput, request)
        services.partner_update(actor=request.user, partner_id=partner.pk, data=_input(d))
        return Response(PolicePartnerSerializer(self._partner(partner.pk)).data)


routes = [("v1/police/partners", PolicePartnerViewSet, "police-partner")]
