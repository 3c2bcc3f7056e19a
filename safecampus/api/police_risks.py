"""REST API of the risk register (under ``/api/v1/police/risk-points/``), thin entry points
over :mod:`safecampus.police.selectors.risks` and :mod:`safecampus.police.services.risks`, as
the pages:

- GET ``risk-points/``: the points visible to the caller, filtered by ``campus``, ``kind``,
  ``level`` (``none``: not assessed), ``state``, ``unit``, ``overdue`` and ``q``;
  ``{id}/`` one point with its measures, assessments and open review requests;
  POST registers a draft (``Idempotency-Key``); PUT/PATCH edit it.
- POST ``{id}/assess/`` (LEC or matrix), ``{id}/publish/``, ``{id}/retire/``,
  ``{id}/measures/`` (a control measure), ``{id}/request-review/`` (``Idempotency-Key``).

People's phone numbers are shown only to callers with ``police.view_contacts`` (never to
police liaisons). ``kind``, ``state``, ``level`` and ``method`` are plain strings (the
service checks them) so that they add no enum components that collide with other modules'.
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
from safecampus.organisation.models import Campus, RiskLevel, Unit
from safecampus.police.models import ControlMeasure, RiskAssessment, RiskPoint, RiskReview
from safecampus.police.models.risks import ControlTier
from safecampus.police.selectors import risks as selectors
from safecampus.police.services import risk_reviews as review_services
from safecampus.police.services import risks as services

from .duty import _checked, _parse, _query
from .fields import IdField
from .hazards import IDEMPOTENCY_PARAMETER, LabelField, RefField, _errors, _idempotency_key
from .pagination import CountlessPagination


class RiskPersonSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    phone = serializers.CharField(allow_null=True, help_text=gettext_lazy(
        "Null for callers who may not see people's contact details."))


def _person(user, *, contacts: bool):
    if user is None:
        return None
    return {"id": user.pk, "name": user.full_name or user.username,
            "phone": (user.phone or "") if contacts else None}


class RiskMeasureSerializer(serializers.ModelSerializer):
    kind_display = LabelField(ControlMeasure.Kind, source="kind")
    tier_display = LabelField(ControlTier, source="tier")
    responsible_unit = RefField()
    responsible_person = serializers.SerializerMethodField()

    class Meta:
        model = ControlMeasure
        fields = ["id", "kind", "kind_display", "description", "tier", "tier_display",
                  "responsible_unit", "responsible_person", "is_active"]
        read_only_fields = fields

    @extend_schema_field(RiskPersonSerializer(allow_null=True))
    def get_responsible_person(self, obj):
        return _person(obj.responsible_person, contacts=self.context.get("contacts", False))


class RiskAssessmentSerializer(serializers.ModelSerializer):
    level_display = LabelField(RiskLevel, source="level")
    reason_display = LabelField(RiskAssessment.Reason, source="reason")
    assessed_by = serializers.SerializerMethodField()

    class Meta:
        model = RiskAssessment
        fields = ["id", "method", "lec_l", "lec_e", "lec_c", "likelihood", "severity",
                  "score", "level", "level_display", "reason", "reason_display", "note",
                  "assessed_by", "assessed_at"]
        read_only_fields = fields

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_assessed_by(self, obj):
        return obj.assessed_by.full_name if obj.assessed_by else None


class RiskReviewOutput(serializers.Serializer):
    id = serializers.IntegerField()
    reason = serializers.CharField()
    record = serializers.IntegerField(source="record_id", allow_null=True)
    assessment = serializers.IntegerField(source="assessment_id", allow_null=True)
    created_at = serializers.DateTimeField()


class RiskPointSerializer(serializers.ModelSerializer):
    kind_display = LabelField(RiskPoint.Kind, source="kind")
    state_display = LabelField(RiskPoint.State, source="state")
    level_display = LabelField(RiskLevel, source="level")
    campus = RefField()
    building = RefField(allow_null=True)
    place = RefField(allow_null=True)
    responsible_unit = RefField(allow_null=True)
    responsible_person = serializers.SerializerMethodField()

    class Meta:
        model = RiskPoint
        fields = ["id", "code", "name", "kind", "kind_display", "state", "state_display",
                  "level", "level_display", "method", "score", "control_tier", "campus",
                  "building", "place", "location_text", "map_x", "map_y",
                  "responsible_unit", "responsible_person", "next_review_on",
                  "last_assessed_at", "published_at", "shared_with_partners"]
        read_only_fields = fields

    @extend_schema_field(RiskPersonSerializer(allow_null=True))
    def get_responsible_person(self, obj):
        return _person(obj.responsible_person, contacts=self.context.get("contacts", False))


class RiskPointDetailSerializer(RiskPointSerializer):
    measures = serializers.SerializerMethodField()
    assessments = serializers.SerializerMethodField()
    open_reviews = serializers.SerializerMethodField()

    class Meta(RiskPointSerializer.Meta):
        fields = [*RiskPointSerializer.Meta.fields, "hazard_factors", "possible_accidents",
                  "review_cycle_days", "measures", "assessments", "open_reviews"]
        read_only_fields = fields

    @extend_schema_field(RiskMeasureSerializer(many=True))
    def get_measures(self, obj):
        return RiskMeasureSerializer(selectors.risk_point_measures(obj), many=True,
                                     context=self.context).data

    @extend_schema_field(RiskAssessmentSerializer(many=True))
    def get_assessments(self, obj):
        return RiskAssessmentSerializer(selectors.risk_point_assessments(obj), many=True).data

    @extend_schema_field(RiskReviewOutput(many=True))
    def get_open_reviews(self, obj):
        return RiskReviewOutput(selectors.risk_point_open_reviews(obj), many=True).data


class RiskPointQuery(serializers.Serializer):
    campus = IdField(required=False, label=gettext_lazy("Campus"))
    kind = serializers.CharField(required=False, allow_blank=True, max_length=16)
    level = serializers.CharField(required=False, allow_blank=True, max_length=16,
                                  help_text=gettext_lazy(
                                      "major, high, moderate, low, or none (not assessed)."))
    state = serializers.CharField(required=False, allow_blank=True, max_length=16,
                                  help_text=gettext_lazy("draft, published or retired."))
    unit = IdField(required=False, label=gettext_lazy("Responsible unit"))
    overdue = serializers.BooleanField(required=False, default=False, help_text=gettext_lazy(
        "Only published points whose review date has passed (a review due today is not yet "
        "overdue)."))
    q = serializers.CharField(required=False, allow_blank=True, max_length=100)


class RiskPointInput(serializers.Serializer):
    name = serializers.CharField(max_length=120)
    kind = serializers.CharField(max_length=16)
    campus = IdField(required=False, allow_null=True, help_text=gettext_lazy(
        "Not needed with a place or building (taken from it)."))
    building = IdField(required=False, allow_null=True)
    place = IdField(required=False, allow_null=True)
    location_text = serializers.CharField(required=False, allow_blank=True, max_length=200)
    map_x = serializers.CharField(required=False, allow_null=True, allow_blank=True,
                                  max_length=12, help_text=gettext_lazy("Percent, 0–100."))
    map_y = serializers.CharField(required=False, allow_null=True, allow_blank=True,
                                  max_length=12, help_text=gettext_lazy("Percent, 0–100."))
    hazard_factors = serializers.CharField(max_length=4000)
    possible_accidents = serializers.CharField(required=False, allow_blank=True,
                                               max_length=300)
    responsible_unit = IdField(required=False, allow_null=True)
    responsible_person = IdField(required=False, allow_null=True)
    review_cycle_days = serializers.IntegerField(required=False, allow_null=True)
    # No default here: a create without it shares the point (_EMPTY), an update without it
    # keeps the point's current setting.
    shared_with_partners = serializers.BooleanField(required=False)


#: Fields a full update (PUT) that omits them leaves as they are, rather than emptying them.
_KEPT_ON_UPDATE = {"shared_with_partners"}
#: API input name → service key.
_INPUT_NAMES = {"name": "name", "kind": "kind", "campus": "campus_id",
                "building": "building_id", "place": "place_id",
                "location_text": "location_text", "map_x": "map_x", "map_y": "map_y",
                "hazard_factors": "hazard_factors", "possible_accidents": "possible_accidents",
                "responsible_unit": "responsible_unit_id",
                "responsible_person": "responsible_person_id",
                "review_cycle_days": "review_cycle_days",
                "shared_with_partners": "shared_with_partners"}
_EMPTY = {"location_text": "", "possible_accidents": "", "shared_with_partners": True}


class RiskAssessInput(serializers.Serializer):
    method = serializers.CharField(max_length=8, help_text=gettext_lazy("lec or matrix."))
    lec_l = serializers.CharField(required=False, allow_null=True, allow_blank=True,
                                  max_length=8, help_text=gettext_lazy(
                                      "L: 10, 6, 3, 1, 0.5, 0.2 or 0.1."))
    lec_e = serializers.CharField(required=False, allow_null=True, allow_blank=True,
                                  max_length=8, help_text=gettext_lazy(
                                      "E: 10, 6, 3, 2, 1 or 0.5."))
    lec_c = serializers.CharField(required=False, allow_null=True, allow_blank=True,
                                  max_length=8, help_text=gettext_lazy(
                                      "C: 100, 40, 15, 7, 3 or 1."))
    likelihood = serializers.CharField(required=False, allow_null=True, allow_blank=True,
                                       max_length=4, help_text=gettext_lazy("1–5."))
    severity = serializers.CharField(required=False, allow_null=True, allow_blank=True,
                                     max_length=4, help_text=gettext_lazy("1–5."))
    reason = serializers.CharField(required=False, max_length=12, default="initial",
                                   help_text=gettext_lazy(
                                       "initial, periodic, incident, change or meeting."))
    note = serializers.CharField(required=False, allow_blank=True, max_length=4000)


class RiskMeasureInput(serializers.Serializer):
    kind = serializers.CharField(max_length=16, help_text=gettext_lazy(
        "engineering, management, training, protection or emergency."))
    description = serializers.CharField(max_length=4000)
    tier = serializers.CharField(max_length=16, help_text=gettext_lazy(
        "university, unit, team or post."))
    responsible_unit = IdField()
    responsible_person = IdField(required=False, allow_null=True)


class RiskReasonInput(serializers.Serializer):
    reason = serializers.CharField(max_length=4000)


@extend_schema(tags=["police"])
class RiskPointViewSet(viewsets.GenericViewSet):
    """Risk points of the register (风险点)."""

    pagination_class = CountlessPagination
    filter_backends: list = []
    lookup_value_converter = "int"
    serializer_class = RiskPointSerializer
    queryset = RiskPoint.objects.none()  # reads go through the selectors

    def _context(self, request) -> dict:
        return {"contacts": request.user.has_perm("police.view_contacts")}

    def _point(self, request, pk) -> RiskPoint:
        point = selectors.risk_point_detail(pk)
        if point is None or not request.user.has_perm("police.view_risk_point", point):
            raise NotFound(_("Risk point not found"))
        return point

    def _detail(self, request, pk, *, code=status.HTTP_200_OK):
        return Response(RiskPointDetailSerializer(selectors.risk_point_detail(pk),
                                                  context=self._context(request)).data,
                        status=code)

    @extend_schema(summary=gettext_lazy("Risk points visible to you"),
                   parameters=[RiskPointQuery],
                   responses={200: RiskPointSerializer(many=True), **_errors(400, 403)})
    def list(self, request):
        if not request.user.has_perm("police.view_risk_register"):
            raise NotAllowed()
        q = _query(RiskPointQuery, request)
        campus = Campus.objects.filter(pk=q["campus"]).first() if q.get("campus") else None
        unit = Unit.objects.filter(pk=q["unit"]).first() if q.get("unit") else None
        rows = selectors.risk_point_list(
            request.user, campus=campus, unit=unit, kind=q.get("kind") or "",
            level=q.get("level") or "", state=q.get("state") or "",
            overdue=q.get("overdue", False), q=q.get("q") or "")
        if (q.get("campus") and campus is None) or (q.get("unit") and unit is None):
            rows = rows.none()
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(
            RiskPointSerializer(page, many=True, context=self._context(request)).data)

    @extend_schema(summary=gettext_lazy("One risk point with its measures and assessments"),
                   responses={200: RiskPointDetailSerializer, **_errors(403, 404)})
    def retrieve(self, request, pk=None):
        point = self._point(request, pk)
        return self._detail(request, point.pk)

    @extend_schema(summary=gettext_lazy("Register a risk point (a draft)"),
                   request=RiskPointInput, parameters=[IDEMPOTENCY_PARAMETER],
                   responses={201: RiskPointDetailSerializer, 200: RiskPointDetailSerializer,
                              **_errors(400, 403, 409)})
    def create(self, request):
        if not request.user.has_perm("police.manage_risk_points"):
            raise NotAllowed()
        d = _parse(RiskPointInput, request)
        key = _idempotency_key(request)
        replay = idempotency_lookup(scope=services.REGISTER_SCOPE, key=key, model=RiskPoint,
                                    user=request.user) is not None
        data = {service: d.get(name, _EMPTY.get(name)) for name, service in _INPUT_NAMES.items()}
        point = services.risk_point_register(actor=request.user, data=data,
                                             idempotency_key=key)
        return self._detail(request, point.pk, code=status.HTTP_200_OK if replay
                            else status.HTTP_201_CREATED)

    def _update(self, request, pk, *, partial: bool):
        d = _checked(RiskPointInput(data=request.data, partial=partial))
        point = self._point(request, pk)
        changes = {service: d[name] for name, service in _INPUT_NAMES.items() if name in d}
        if not partial:
            for name, service in _INPUT_NAMES.items():
                if name not in _KEPT_ON_UPDATE:
                    changes.setdefault(service, _EMPTY.get(name))
        services.risk_point_update(actor=request.user, risk_point_id=point.pk, changes=changes)
        return self._detail(request, point.pk)

    @extend_schema(summary=gettext_lazy("Replace a risk point's details"),
                   request=RiskPointInput,
                   responses={200: RiskPointDetailSerializer, **_errors(400, 403, 404, 409)})
    def update(self, request, pk=None):
        return self._update(request, pk, partial=False)

    @extend_schema(summary=gettext_lazy("Change some details of a risk point"),
                   request=RiskPointInput(partial=True),
                   responses={200: RiskPointDetailSerializer, **_errors(400, 403, 404, 409)})
    def partial_update(self, request, pk=None):
        return self._update(request, pk, partial=True)

    @extend_schema(summary=gettext_lazy("Assess a risk point (LEC or matrix)"),
                   request=RiskAssessInput,
                   responses={200: RiskPointDetailSerializer, **_errors(400, 403, 404, 409)})
    @action(detail=True, methods=["post"], url_path="assess")
    def assess(self, request, pk=None):
        d = _parse(RiskAssessInput, request)
        point = self._point(request, pk)
        services.risk_point_assess(
            actor=request.user, risk_point_id=point.pk, method=d["method"],
            lec_l=d.get("lec_l") or None, lec_e=d.get("lec_e") or None,
            lec_c=d.get("lec_c") or None, likelihood=d.get("likelihood") or None,
            severity=d.get("severity") or None, reason=d.get("reason") or "initial",
            note=d.get("note", ""))
        return self._detail(request, point.pk)

    @extend_schema(summary=gettext_lazy("Publish a risk point"), request=None,
                   responses={200: RiskPointDetailSerializer, **_errors(400, 403, 404, 409)})
    @action(detail=True, methods=["post"], url_path="publish")
    def publish(self, request, pk=None):
        point = self._point(request, pk)
        services.risk_point_publish(actor=request.user, risk_point_id=point.pk)
        return self._detail(request, point.pk)

    @extend_schema(summary=gettext_lazy("Retire a published risk point"),
                   request=RiskReasonInput,
                   responses={200: RiskPointDetailSerializer, **_errors(400, 403, 404, 409)})
    @action(detail=True, methods=["post"], url_path="retire")
    def retire(self, request, pk=None):
        d = _parse(RiskReasonInput, request)
        point = self._point(request, pk)
        services.risk_point_retire(actor=request.user, risk_point_id=point.pk,
                                   reason=d["reason"])
        return self._detail(request, point.pk)

    @extend_schema(summary=gettext_lazy("Add a control measure"), request=RiskMeasureInput,
                   parameters=[IDEMPOTENCY_PARAMETER],
                   responses={201: RiskPointDetailSerializer, **_errors(400, 403, 404, 409)})
    @action(detail=True, methods=["post"], url_path="measures")
    def measures(self, request, pk=None):
        d = _parse(RiskMeasureInput, request)
        point = self._point(request, pk)
        services.control_measure_add(
            actor=request.user, risk_point_id=point.pk, kind=d["kind"],
            description=d["description"], tier=d["tier"],
            responsible_unit_id=d["responsible_unit"],
            responsible_person_id=d.get("responsible_person"),
            idempotency_key=_idempotency_key(request))
        return self._detail(request, point.pk, code=status.HTTP_201_CREATED)

    @extend_schema(summary=gettext_lazy("Request a review of a risk point"),
                   request=RiskReasonInput, parameters=[IDEMPOTENCY_PARAMETER],
                   responses={201: RiskPointDetailSerializer, 200: RiskPointDetailSerializer,
                              **_errors(400, 403, 404, 409)})
    @action(detail=True, methods=["post"], url_path="request-review")
    def request_review(self, request, pk=None):
        d = _parse(RiskReasonInput, request)
        point = self._point(request, pk)
        key = _idempotency_key(request)
        replay = idempotency_lookup(scope=review_services.REVIEW_SCOPE, key=key,
                                    model=RiskReview, user=request.user) is not None
        review_services.risk_review_request(actor=request.user, risk_point_id=point.pk,
                                            reason=d["reason"], idempotency_key=key)
        return self._detail(request, point.pk, code=status.HTTP_200_OK if replay
                            else status.HTTP_201_CREATED)


routes = [("v1/police/risk-points", RiskPointViewSet, "police-risk-point")]
