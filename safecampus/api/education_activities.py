"""REST API of education activities and coverage (thin entry points).

- ``v1/education/activities/``: activities visible to the caller, newest first, filtered by
  ``term``, ``topic``, ``kind``, ``state``, ``campaign``; ``{id}/`` one activity with its
  groups reached, partners and materials; POST plans one (``Idempotency-Key``: a retry
  returns the first activity with 200); PUT replaces a planned activity's details, PATCH
  changes only the fields sent (the organiser or the office; held or cancelled: 409).
- ``v1/education/coverage/`` (GET): coverage of a term (default: the current term) by
  ``dimension`` (dorms, colleges, classes, campuses), optionally of one ``topic`` and of one
  ``campaign`` (its activities only, in its term).

Reads go through :mod:`safecampus.education.selectors.activities`, writes through
:mod:`safecampus.education.services.activities`, as the pages do. ``topic``, ``kind`` and
``state`` are plain strings here (the service checks them), so their choices add no enum
components that collide with other modules' "Kind" or "State".
"""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status, viewsets
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from safecampus.core.errors import NotAllowed, field_error
from safecampus.core.idempotency import idempotency_lookup
from safecampus.education.models import Activity, Term, Topic
from safecampus.education.selectors import activities as selectors
from safecampus.education.services import activities as services

from .duty import TimeField, _checked, _parse, _query
from .fields import IdField
from .hazards import (
    IDEMPOTENCY_PARAMETER,
    LabelField,
    NamedRefSerializer,
    RefField,
    _errors,
    _idempotency_key,
)
from .pagination import CountlessPagination


class MaterialOutput(serializers.Serializer):
    name = serializers.CharField()
    quantity = serializers.IntegerField()
    unit_label = serializers.CharField()


class ActivitySerializer(serializers.ModelSerializer):
    topic = serializers.CharField()
    topic_display = serializers.CharField(source="get_topic_display")
    kind = serializers.CharField()
    kind_display = LabelField(Activity.Kind, source="kind")
    state = serializers.CharField()
    state_display = LabelField(Activity.State, source="state")
    campaign = serializers.IntegerField(source="campaign_id", allow_null=True)
    campus = RefField(allow_null=True)
    place = RefField(allow_null=True)

    class Meta:
        model = Activity
        fields = ["id", "title", "topic", "topic_display", "kind", "kind_display", "state",
                  "state_display", "campaign", "starts_at", "ends_at", "campus", "place",
                  "location", "audience_count", "latitude", "longitude", "sign_in_radius_m"]
        read_only_fields = fields


class ActivityDetailSerializer(ActivitySerializer):
    partners = serializers.SerializerMethodField()
    buildings = serializers.SerializerMethodField()
    colleges = serializers.SerializerMethodField()
    class_groups = serializers.SerializerMethodField()
    campuses = serializers.SerializerMethodField()
    materials = MaterialOutput(many=True, read_only=True)

    class Meta(ActivitySerializer.Meta):
        fields = [*ActivitySerializer.Meta.fields, "description", "held_note", "cancel_reason",
                  "partners", "buildings", "colleges", "class_groups", "campuses", "materials"]
        read_only_fields = fields

    def _refs(self, rows):
        return [{"id": r.pk, "name": r.name} for r in rows.all()]

    @extend_schema_field(NamedRefSerializer(many=True))
    def get_partners(self, obj):
        return self._refs(obj.partners)

    @extend_schema_field(NamedRefSerializer(many=True))
    def get_buildings(self, obj):
        return self._refs(obj.buildings)

    @extend_schema_field(NamedRefSerializer(many=True))
    def get_colleges(self, obj):
        return self._refs(obj.colleges)

    @extend_schema_field(NamedRefSerializer(many=True))
    def get_class_groups(self, obj):
        return self._refs(obj.class_groups)

    @extend_schema_field(NamedRefSerializer(many=True))
    def get_campuses(self, obj):
        return self._refs(obj.campuses)


class ActivityQuery(serializers.Serializer):
    term = IdField(required=False, label=gettext_lazy("Term"))
    topic = serializers.CharField(required=False, allow_blank=True, max_length=16,
                                  label=gettext_lazy("Topic"))
    kind = serializers.CharField(required=False, allow_blank=True, max_length=16,
                                 label=gettext_lazy("Kind"))
    state = serializers.CharField(required=False, allow_blank=True, max_length=16,
                                  label=gettext_lazy("State"), help_text=gettext_lazy(
                                      "planned, held or cancelled."))
    campaign = IdField(required=False, label=gettext_lazy("Campaign"))


class ActivityInput(serializers.Serializer):
    title = serializers.CharField(max_length=120)
    topic = serializers.CharField(max_length=16, help_text=gettext_lazy(
        "anti_fraud, fire, traffic, lab or general."))
    kind = serializers.CharField(max_length=16, help_text=gettext_lazy(
        "booth, dorm_visit, classroom_talk, lecture, online, training or drill."))
    starts_at = TimeField()
    ends_at = TimeField()
    campaign = IdField(required=False, allow_null=True)
    campus = IdField(required=False, allow_null=True)
    place = IdField(required=False, allow_null=True)
    location = serializers.CharField(required=False, allow_blank=True, max_length=120)
    description = serializers.CharField(required=False, allow_blank=True, max_length=4000)
    partners = serializers.ListField(child=IdField(),
                                     required=False, max_length=50)
    campuses = serializers.ListField(child=IdField(),
                                     required=False, max_length=50)
    buildings = serializers.ListField(child=IdField(),
                                      required=False, max_length=500)
    colleges = serializers.ListField(child=IdField(),
                                     required=False, max_length=200)
    class_groups = serializers.ListField(child=IdField(),
                                         required=False, max_length=1000)
    latitude = serializers.CharField(
        required=False, allow_null=True, allow_blank=True, max_length=32,
        help_text=gettext_lazy("Where sign-in is expected: WGS-84 decimal degrees (with "
                               "longitude, or neither)."))
    longitude = serializers.CharField(
        required=False, allow_null=True, allow_blank=True, max_length=32,
        help_text=gettext_lazy("WGS-84 decimal degrees (with latitude, or neither)."))
    sign_in_radius_m = serializers.IntegerField(
        required=False, allow_null=True, help_text=gettext_lazy(
            "Metres from the position within which a sign-in is near (default 300)."))


@extend_schema(tags=["education"])
class ActivityViewSet(viewsets.GenericViewSet):
    """Education activities (宣教活动)."""

    pagination_class = CountlessPagination
    filter_backends: list = []
    lookup_value_converter = "int"
    serializer_class = ActivitySerializer
    queryset = Activity.objects.none()  # reads go through the selectors

    @extend_schema(summary=gettext_lazy("Activities visible to you, newest first"),
                   parameters=[ActivityQuery],
                   responses={200: ActivitySerializer(many=True), **_errors(400, 403)})
    def list(self, request):
        if not request.user.has_perm("education.view_activities"):
            raise NotAllowed()
        q = _query(ActivityQuery, request)
        term = Term.objects.filter(pk=q["term"]).first() if q.get("term") else None
        rows = selectors.activity_list(
            request.user, term=term, topic=q.get("topic") or "", kind=q.get("kind") or "",
            state=q.get("state") or "", campaign_id=q.get("campaign"))
        if q.get("term") and term is None:  # an unknown term has no activities
            rows = rows.none()
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(ActivitySerializer(page, many=True).data)

    @extend_schema(summary=gettext_lazy("One activity"),
                   responses={200: ActivityDetailSerializer, **_errors(403, 404)})
    def retrieve(self, request, pk=None):
        activity = selectors.activity_detail(pk)
        if activity is None or not request.user.has_perm("education.view_activity", activity):
            raise NotFound(_("Activity not found"))
        return Response(ActivityDetailSerializer(activity).data)

    @extend_schema(summary=gettext_lazy("Plan an activity"), request=ActivityInput,
                   parameters=[IDEMPOTENCY_PARAMETER],
                   responses={201: ActivityDetailSerializer, 200: ActivityDetailSerializer,
                              **_errors(400, 403, 409)})
    def create(self, request):
        if not request.user.has_perm("education.record_activity"):
            raise NotAllowed()
        d = _parse(ActivityInput, request)
        key = _idempotency_key(request)
        replay = idempotency_lookup(scope=services.ACTIVITY_CREATE_SCOPE, key=key,
                                    model=Activity, user=request.user) is not None
        activity = services.activity_create(actor=request.user, idempotency_key=key,
                                            data=services.ActivityInput(
            title=d["title"], topic=d["topic"], kind=d["kind"], starts_at=d["starts_at"],
            ends_at=d["ends_at"], campaign_id=d.get("campaign"), campus_id=d.get("campus"),
            place_id=d.get("place"), location=d.get("location", ""),
            description=d.get("description", ""), partner_ids=d.get("partners", ()),
            campus_ids=d.get("campuses", ()), building_ids=d.get("buildings", ()),
            college_ids=d.get("colleges", ()), class_ids=d.get("class_groups", ()),
            latitude=d.get("latitude"), longitude=d.get("longitude"),
            sign_in_radius_m=d.get("sign_in_radius_m")))
        return Response(ActivityDetailSerializer(selectors.activity_detail(activity.pk)).data,
                        status=status.HTTP_200_OK if replay else status.HTTP_201_CREATED)

    def _update(self, request, pk, *, partial: bool):
        d = _checked(ActivityInput(data=request.data, partial=partial))
        changes = {service_name: d[name] for name, service_name in _INPUT_NAMES.items()
                   if name in d}
        if not partial:  # PUT: a field left out is emptied, as on the form
            for name, service_name in _INPUT_NAMES.items():
                changes.setdefault(service_name, _EMPTY.get(name))
        activity = selectors.activity_detail(pk)
        if activity is None or not request.user.has_perm("education.view_activity", activity):
            raise NotFound(_("Activity not found"))
        services.activity_update(actor=request.user, activity_id=activity.pk, changes=changes)
        return Response(ActivityDetailSerializer(selectors.activity_detail(activity.pk)).data)

    @extend_schema(summary=gettext_lazy("Replace a planned activity's details"),
                   request=ActivityInput,
                   responses={200: ActivityDetailSerializer, **_errors(400, 403, 404, 409)})
    def update(self, request, pk=None):
        return self._update(request, pk, partial=False)

    @extend_schema(summary=gettext_lazy("Change some details of a planned activity"),
                   request=ActivityInput(partial=True),
                   responses={200: ActivityDetailSerializer, **_errors(400, 403, 404, 409)})
    def partial_update(self, request, pk=None):
        return self._update(request, pk, partial=True)


#: API input name → :class:`services.ActivityInput` field; and what PUT gives a field left out.
_INPUT_NAMES = {"title": "title", "topic": "topic", "kind": "kind", "starts_at": "starts_at",
                "ends_at": "ends_at", "campaign": "campaign_id", "campus": "campus_id",
                "place": "place_id", "location": "location", "description": "description",
                "partners": "partner_ids", "campuses": "campus_ids",
                "buildings": "building_ids", "colleges": "college_ids",
                "class_groups": "class_ids", "latitude": "latitude",
                "longitude": "longitude", "sign_in_radius_m": "sign_in_radius_m"}
_EMPTY = {"location": "", "description": "", "partners": (), "campuses": (),
          "buildings": (), "colleges": (), "class_groups": ()}


class CoverageQuery(serializers.Serializer):
    term = IdField(required=False, label=gettext_lazy("Term"),
                   help_text=gettext_lazy("Default: the current term."))
    dimension = serializers.ChoiceField(choices=list(selectors.DIMENSIONS), required=False,
                                        default="dorms", label=gettext_lazy("Dimension"))
    topic = serializers.CharField(required=False, allow_blank=True, max_length=16,
                                  label=gettext_lazy("Topic"))
    campaign = IdField(required=False, label=gettext_lazy("Campaign"), help_text=gettext_lazy(
        "Only this campaign's activities count; its term is used."))


class CoverageRowOutput(serializers.Serializer):
    id = serializers.IntegerField(source="group_id")
    name = serializers.CharField(source="label")
    detail = serializers.CharField(help_text=gettext_lazy("Campus of a building, college of a "
                                                          "class."))
    reached = serializers.BooleanField()
    activities = serializers.IntegerField()
    last_reached_at = serializers.DateTimeField(source="last_at", allow_null=True)
    people_reached = serializers.IntegerField(source="people")
    by_month = serializers.ListField(child=serializers.IntegerField(), source="months")
    students = serializers.IntegerField(source="size", allow_null=True, help_text=gettext_lazy(
        "Students of the group; null for campuses."))
    students_attended = serializers.IntegerField(
        source="attended", allow_null=True, help_text=gettext_lazy(
            "Students of this group who signed in at any held activity this term (of the "
            "topic, if given), whether or not that activity named the group."))
    attended_percent = serializers.FloatField(source="percent", allow_null=True,
                                              help_text=gettext_lazy(
        "students_attended as a percentage of students."))


class CoverageOutput(serializers.Serializer):
    term = serializers.SerializerMethodField()
    campaign = serializers.SerializerMethodField()
    topic = serializers.CharField()
    dimension = serializers.CharField()
    months = serializers.ListField(child=serializers.DateField(), help_text=gettext_lazy(
        "First day of each month of the term; by_month follows this order."))
    rows = CoverageRowOutput(many=True)
    not_reached = serializers.SerializerMethodField()

    @extend_schema_field(NamedRefSerializer)
    def get_term(self, obj) -> dict:
        return {"id": obj.term.pk, "name": obj.term.name}

    @extend_schema_field(NamedRefSerializer(allow_null=True))
    def get_campaign(self, obj) -> dict | None:
        return {"id": obj.campaign.pk, "name": obj.campaign.title} if obj.campaign else None

    @extend_schema_field(serializers.ListField(child=serializers.IntegerField()))
    def get_not_reached(self, obj) -> list[int]:
        return [r.group_id for r in obj.uncovered]


@extend_schema(tags=["education"])
class CoverageViewSet(viewsets.GenericViewSet):
    """Coverage of a term: who was reached and who was not."""

    filter_backends: list = []
    pagination_class = None
    serializer_class = CoverageOutput
    queryset = Activity.objects.none()

    @extend_schema(summary=gettext_lazy("Coverage of a term by one dimension"),
                   parameters=[CoverageQuery],
                   responses={200: CoverageOutput, **_errors(400, 403, 404)})
    def list(self, request):
        if not request.user.has_perm("education.view_coverage"):
            raise NotAllowed()
        q = _query(CoverageQuery, request)
        if q.get("term") and not Term.objects.filter(pk=q["term"]).exists():
            raise NotFound(_("No such term."))
        term, campaign = selectors.coverage_scope(term_id=q.get("term"),
                                                  campaign_id=q.get("campaign"))
        if q.get("campaign") and campaign is None:
            raise NotFound(_("No such campaign."))
        if term is None:
            raise NotFound(_("No such term."))
        topic = q.get("topic") or ""
        if topic and topic not in Topic.values:
            raise field_error("topic", _("Choose a topic."))
        result = selectors.coverage(term=term, dimension=q["dimension"], topic=topic,
                                    campaign=campaign)
        return Response(CoverageOutput(result).data)


routes = [("v1/education/activities", ActivityViewSet, "education-activity"),
          ("v1/education/coverage", CoverageViewSet, "education-coverage")]
