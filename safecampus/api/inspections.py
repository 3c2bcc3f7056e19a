"""REST API of inspections: ``/api/v1/inspections/…`` (house rule 5: thin entry points).

- ``templates/``: checklists (检查表) with their versions; ``templates/{id}/versions/{n}/``
  one version with its sections and items;
- ``plans/``: recurring schedules and campaigns with coverage counts; the office creates
  them; ``plans/{id}/targets/`` the places a plan covers and where each stands;
- ``inspections/``: list and one inspection with its results; ``POST`` starts one (with an
  ``Idempotency-Key``); ``{id}/results/`` reads and records answers item by item;
  ``{id}/submit/``, ``approve/``, ``send-back/``, ``reopen/``, ``cancel/``.

Every read goes through :mod:`safecampus.inspections.selectors`: what the user may not see
answers 404. Writes call :mod:`safecampus.inspections.services`, as the pages do: bad input
400 with per-field messages, not allowed 403, a finished inspection or a stale
``row_version`` 409.
"""

from django.db.models import Count
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from safecampus.core.errors import NotAllowed
from safecampus.core.idempotency import idempotency_lookup
from safecampus.hazards.models import Grade
from safecampus.inspections import selectors, services
from safecampus.inspections.models import (
    ChecklistTemplate,
    ChecklistVersion,
    Coverage,
    Inspection,
    InspectionPlan,
    Outcome,
    PlanKind,
    ResultPhoto,
    Scoring,
)

from .fields import IdField
from .hazards import (
    IDEMPOTENCY_PARAMETER,
    CategoryRefField,
    LabelField,
    NamedRefSerializer,
    RefField,
    _abs,
    _errors,
    _field_names,
    _idempotency_key,
    _key_reused,
    _parse,
)
from .pagination import CountlessPagination

#: The scope under which ``inspection_start`` remembers idempotency keys.
START_SCOPE = "inspections.start"
#: A service's errors about the whole request come under DRF's usual key.
NON_FIELD = {"__all__": "non_field_errors"}


# --- output serializers ----------------------------------------------------------------------
class InspectionRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    reference = serializers.CharField()


class TemplateRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()


@extend_schema_field(NamedRefSerializer)
class PersonField(RefField):
    """A person as ``{"id", "name"}``."""

    def to_representation(self, user):
        return {"id": user.pk, "name": str(user)}


@extend_schema_field(TemplateRefSerializer)
class TemplateRefField(RefField):
    def to_representation(self, template):
        return {"id": template.pk, "code": template.code, "name": template.name}


@extend_schema_field(InspectionRefSerializer)
class InspectionRefField(RefField):
    def to_representation(self, inspection):
        return {"id": inspection.pk, "reference": inspection.reference}


class VersionSummarySerializer(serializers.Serializer):
    number = serializers.IntegerField()
    state = serializers.CharField()
    state_display = LabelField(ChecklistVersion.State, source="state")
    published_at = serializers.DateTimeField(allow_null=True)
    pass_score = serializers.DecimalField(max_digits=7, decimal_places=1, allow_null=True)
    notes = serializers.CharField()
    item_count = serializers.IntegerField()
    url = serializers.SerializerMethodField()

    def get_url(self, version) -> str:
        return _abs(self.context.get("request"), reverse(
            "api:inspection-template-version", args=[version.template_id, version.number]))


class TemplateSerializer(serializers.ModelSerializer):
    """A checklist: ``published_number`` is the version new inspections use (None before the
    first is published); ``draft_number`` the version being edited (shown to the office)."""

    kind_display = LabelField(ChecklistTemplate.Kind, source="kind")
    published_number = serializers.IntegerField(read_only=True, allow_null=True)
    published_at = serializers.DateTimeField(read_only=True, allow_null=True)
    draft_number = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField()

    class Meta:
        model = ChecklistTemplate
        fields = ["id", "code", "url", "name", "kind", "kind_display", "description", "is_active",
                  "published_number", "published_at", "draft_number"]
        read_only_fields = fields

    def get_draft_number(self, template) -> int | None:
        request = self.context.get("request")
        if request is None or not request.user.has_perm("inspections.manage_templates"):
            return None
        return template.draft_number

    def get_url(self, template) -> str:
        return _abs(self.context.get("request"),
                    reverse("api:inspection-template-detail", args=[template.pk]))


class TemplateDetailSerializer(TemplateSerializer):
    versions = serializers.SerializerMethodField()

    class Meta(TemplateSerializer.Meta):
        fields = TemplateSerializer.Meta.fields + ["versions"]
        read_only_fields = fields

    @extend_schema_field(VersionSummarySerializer(many=True))
    def get_versions(self, template):
        return VersionSummarySerializer(_versions(self.context["request"].user, template),
                                        many=True, context=self.context).data


class ItemSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    text = serializers.CharField()
    basis = serializers.CharField()
    hazard_category = CategoryRefField(allow_null=True)
    hazard_grade = serializers.CharField()
    hazard_grade_display = LabelField(Grade, source="hazard_grade")
    is_veto = serializers.BooleanField()
    scoring = serializers.CharField()
    scoring_display = LabelField(Scoring, source="scoring")
    points = serializers.DecimalField(max_digits=6, decimal_places=1)
    position = serializers.IntegerField()


class SectionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    title = serializers.CharField()
    items = ItemSerializer(many=True, source="item_list")


class VersionDetailSerializer(VersionSummarySerializer):
    template = TemplateRefField()
    sections = serializers.SerializerMethodField()

    @extend_schema_field(SectionSerializer(many=True))
    def get_sections(self, version):
        return SectionSerializer(selectors.version_contents(version), many=True).data


class CoverageCountsSerializer(serializers.Serializer):
    """How many of the plan's places (those you may see) stand where."""

    never = serializers.IntegerField()
    due = serializers.IntegerField()
    in_progress = serializers.IntegerField()
    done = serializers.IntegerField()
    late = serializers.IntegerField()
    total = serializers.IntegerField()


class InspectionPlanSerializer(serializers.ModelSerializer):
    kind_display = LabelField(PlanKind, source="kind")
    state_display = LabelField(InspectionPlan.State, source="state")
    template = TemplateRefField()
    campus = RefField(allow_null=True)
    coverage = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField()
    targets_url = serializers.SerializerMethodField()

    class Meta:
        model = InspectionPlan
        fields = ["id", "url", "kind", "kind_display", "name", "description", "template",
                  "campus", "starts_on", "ends_on", "interval_days", "by_risk_level",
                  "deadline_days", "needs_review", "state", "state_display", "coverage",
                  "targets_url", "created_at"]
        read_only_fields = fields

    @extend_schema_field(CoverageCountsSerializer)
    def get_coverage(self, plan) -> dict:
        counts = self.context.get("coverage", {}).get(plan.pk, {})
        row = {value: counts.get(value, 0) for value in Coverage.values}
        row["total"] = sum(row.values())
        return row

    def get_url(self, plan) -> str:
        return _abs(self.context.get("request"), reverse("api:inspection-plan-detail",
                                                         args=[plan.pk]))

    def get_targets_url(self, plan) -> str:
        return _abs(self.context.get("request"), reverse("api:inspection-plan-targets",
                                                         args=[plan.pk]))


class InspectionPlanDetailSerializer(InspectionPlanSerializer):
    inspectors = serializers.SerializerMethodField()

    class Meta(InspectionPlanSerializer.Meta):
        fields = InspectionPlanSerializer.Meta.fields + ["inspectors"]
        read_only_fields = fields

    @extend_schema_field(NamedRefSerializer(many=True))
    def get_inspectors(self, plan):
        return [{"id": u.pk, "name": str(u)} for u in plan.inspectors.all()]


class TargetSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    place = RefField()
    unit = RefField(allow_null=True)
    inspector = PersonField(allow_null=True)
    coverage = serializers.CharField()
    coverage_display = LabelField(Coverage, source="coverage")
    due_on = serializers.DateField(allow_null=True)
    last_inspected_at = serializers.DateTimeField(allow_null=True)
    last_inspection = InspectionRefField(allow_null=True)


class InspectionSerializer(serializers.ModelSerializer):
    """An inspection; the figures are filled in when it is submitted."""

    reference = serializers.CharField(read_only=True)
    kind_display = LabelField(Inspection.Kind, source="kind")
    state_display = LabelField(Inspection.State, source="state")
    template = TemplateRefField(source="version.template")
    version = serializers.IntegerField(source="version.number", read_only=True)
    plan = RefField(allow_null=True)
    campus = RefField()
    place = RefField()
    unit = RefField(allow_null=True)
    inspector = PersonField()
    compliance_rate = serializers.DecimalField(
        max_digits=4, decimal_places=1, read_only=True, allow_null=True, help_text=gettext_lazy(
            "Complied ÷ (complied + failed) in percent; null before any item applied."))
    url = serializers.SerializerMethodField()

    class Meta:
        model = Inspection
        fields = ["id", "reference", "url", "kind", "kind_display", "state", "state_display",
                  "template", "version", "plan", "target", "campus", "place", "unit",
                  "inspector", "needs_review", "started_at", "submitted_at", "finished_at",
                  "items_total", "items_complied", "items_failed", "items_not_applicable",
                  "compliance_rate", "score", "max_score", "vetoed", "row_version"]
        read_only_fields = fields

    def get_url(self, inspection) -> str:
        return _abs(self.context.get("request"),
                    reverse("api:inspection-detail", args=[inspection.pk]))


class PhotoRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    stage = serializers.CharField()
    stage_display = LabelField(ResultPhoto.Stage, source="stage")


class ResultSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    item = serializers.IntegerField(source="item_id")
    item_code = serializers.CharField()
    item_text = serializers.CharField(source="item.text")
    outcome = serializers.CharField()
    outcome_display = LabelField(Outcome, source="outcome")
    note = serializers.CharField()
    fixed_on_spot = serializers.BooleanField()
    fix_note = serializers.CharField()
    recorded_by = PersonField(allow_null=True)
    recorded_at = serializers.DateTimeField()
    is_repeat = serializers.BooleanField(help_text=gettext_lazy(
        "The same item failed at the same place within the last 18 months."))
    repeats = InspectionRefField(source="repeat_of.inspection", allow_null=True,
                                 help_text=gettext_lazy("The inspection whose finding this repeats."))
    hazard = serializers.IntegerField(source="hazard_id", allow_null=True)
    photos = PhotoRefSerializer(many=True)


class InspectionDetailSerializer(InspectionSerializer):
    reviewed_by = PersonField(allow_null=True)
    version_url = serializers.SerializerMethodField()
    results = serializers.SerializerMethodField()
    unanswered = serializers.SerializerMethodField(help_text=gettext_lazy(
        "Items of the version without a result yet."))
    actions = serializers.SerializerMethodField(help_text=gettext_lazy(
        "Endpoints you may call now, e.g. results, submit, approve, reopen."))

    class Meta(InspectionSerializer.Meta):
        fields = InspectionSerializer.Meta.fields + [
            "summary", "signer_name", "signed_at", "reviewed_by", "version_url", "unanswered",
            "results", "actions"]
        read_only_fields = fields

    def get_version_url(self, inspection) -> str:
        return _abs(self.context.get("request"), reverse(
            "api:inspection-template-version",
            args=[inspection.version.template_id, inspection.version.number]))

    @extend_schema_field(ResultSerializer(many=True))
    def get_results(self, inspection):
        return ResultSerializer(_results(inspection), many=True).data

    def get_unanswered(self, inspection) -> int:
        return services.inspection_figures(inspection).unanswered

    def get_actions(self, inspection) -> list[str]:
        request = self.context.get("request")
        return inspection_actions(inspection, request.user) if request is not None else []


def inspection_actions(inspection: Inspection, user) -> list[str]:
    """The endpoints ``user`` may call on ``inspection`` now; the services decide in the end."""
    s = inspection.state
    checks = [
        ("results", s == Inspection.State.IN_PROGRESS, "inspections.record_results"),
        ("submit", s == Inspection.State.IN_PROGRESS, "inspections.record_results"),
        ("approve", s == Inspection.State.AWAITING_REVIEW, "inspections.review_inspection"),
        ("send-back", s == Inspection.State.AWAITING_REVIEW, "inspections.review_inspection"),
        ("reopen", s == Inspection.State.FINISHED, "inspections.reopen_inspection"),
        ("cancel", s == Inspection.State.IN_PROGRESS, "inspections.cancel_inspection"),
    ]
    return [name for name, ok, perm in checks if ok and user.has_perm(perm, inspection)]


# --- input serializers -----------------------------------------------------------------------
class TemplateQuerySerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=ChecklistTemplate.Kind.choices, required=False)
    runnable = serializers.BooleanField(required=False, default=False, help_text=gettext_lazy(
        "Only active checklists with a published version (what an inspection can use)."))


class PlanQuerySerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=PlanKind.choices, required=False)
    state = serializers.ChoiceField(choices=InspectionPlan.State.choices, required=False)
    template = IdField(required=False)


class TargetQuerySerializer(serializers.Serializer):
    coverage = serializers.ChoiceField(choices=Coverage.choices, required=False)
    unit = IdField(required=False)
    inspector = IdField(required=False)


class InspectionQuerySerializer(serializers.Serializer):
    state = serializers.ChoiceField(choices=Inspection.State.choices, required=False)
    kind = serializers.ChoiceField(choices=Inspection.Kind.choices, required=False)
    unit = IdField(required=False)
    place = IdField(required=False)
    plan = IdField(required=False)
    campus = IdField(required=False)
    template = IdField(required=False)


class PlanCreateInput(serializers.Serializer):
    kind = serializers.ChoiceField(choices=PlanKind.choices)
    name = serializers.CharField(required=False, allow_blank=True, max_length=120)
    description = serializers.CharField(required=False, allow_blank=True)
    template = IdField(required=False, allow_null=True)
    places = serializers.ListField(child=IdField(), required=False, max_length=10_000)
    campus = IdField(required=False, allow_null=True)
    starts_on = serializers.DateField(help_text=gettext_lazy("A local date."))
    ends_on = serializers.DateField(required=False, allow_null=True, help_text=gettext_lazy(
        "A local date, included; required for a campaign."))
    interval_days = serializers.IntegerField(required=False, allow_null=True,
                                             help_text=gettext_lazy("1 to 366, for a recurring plan."))
    by_risk_level = serializers.BooleanField(required=False, default=False)
    inspectors = serializers.ListField(child=IdField(), required=False, max_length=500)
    deadline_days = serializers.IntegerField(required=False, allow_null=True,
                                             help_text=gettext_lazy("1 to 180."))
    needs_review = serializers.BooleanField(required=False, default=False)


class StartInput(serializers.Serializer):
    target = IdField(required=False, allow_null=True, help_text=gettext_lazy(
        "A place of a plan: the plan's checklist is used."))
    place = IdField(required=False, allow_null=True)
    template = IdField(required=False, allow_null=True)


class ResultInput(serializers.Serializer):
    item = IdField(help_text=gettext_lazy("An item of the inspection's checklist version."))
    outcome = serializers.ChoiceField(choices=Outcome.choices)
    note = serializers.CharField(required=False, allow_blank=True, help_text=gettext_lazy(
        "What does not comply (required for a failed item before submitting)."))
    fixed_on_spot = serializers.BooleanField(required=False, default=False)
    fix_note = serializers.CharField(required=False, allow_blank=True)


class PhotoInput(serializers.Serializer):
    item = IdField(help_text=gettext_lazy("An item already recorded in this inspection."))
    client_id = serializers.CharField(max_length=64, help_text=gettext_lazy(
        "Chosen by the client, e.g. a UUID; sending the same photo again stores it once."))
    stage = serializers.ChoiceField(choices=ResultPhoto.Stage.choices, required=False,
                                    default=ResultPhoto.Stage.FINDING)
    photo = serializers.FileField(help_text=gettext_lazy("JPEG, PNG, WebP or HEIC."))


class RowVersionInput(serializers.Serializer):
    row_version = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, max_value=2**31 - 1,
        help_text=gettext_lazy("The inspection's row_version you saw; a stale one answers 409."))


class SubmitInput(RowVersionInput):
    signer_name = serializers.CharField(required=False, allow_blank=True, help_text=gettext_lazy(
        "The unit representative who signs (office inspections)."))
    signature = serializers.CharField(required=False, allow_blank=True, help_text=gettext_lazy(
        "The signature drawn on screen as a PNG data URL (data:image/png;base64,…)."))
    summary = serializers.CharField(required=False, allow_blank=True)


class InspectionCommentInput(RowVersionInput):
    comment = serializers.CharField(required=False, allow_blank=True)


class InspectionReasonInput(RowVersionInput):
    reason = serializers.CharField(required=False, allow_blank=True, help_text=gettext_lazy(
        "Required; it goes on the timeline."))


# --- reads -----------------------------------------------------------------------------------
def _versions(user, template):
    """The template's versions newest first, with their item counts; drafts only for those who
    manage checklists."""
    versions = template.versions.annotate(item_count=Count("items")).order_by("-number")
    if not user.has_perm("inspections.manage_templates"):
        versions = versions.exclude(state=ChecklistVersion.State.DRAFT)
    return versions


def _results(inspection: Inspection):
    return (inspection.results.select_related("item", "recorded_by", "repeat_of__inspection")
            .prefetch_related("photos").order_by("item__position", "id"))


def _coverage_counts(user, plans) -> dict[int, dict[str, int]]:
    """``{plan_id: {coverage: count}}`` over the targets ``user`` may see (one query)."""
    counts: dict[int, dict[str, int]] = {}
    rows = (selectors.target_list_visible_to(user)
            .filter(plan_id__in=[p.pk for p in plans]).order_by()
            .values_list("plan_id", "coverage").annotate(n=Count("pk")))
    for plan_id, coverage, n in rows:
        counts.setdefault(plan_id, {})[coverage] = n
    return counts


def _query(serializer_class, request):
    query = serializer_class(data=request.query_params)
    query.is_valid(raise_exception=True)
    return query.validated_data


# --- views -----------------------------------------------------------------------------------
NUMBER_PARAMETER = OpenApiParameter("number", OpenApiTypes.INT, OpenApiParameter.PATH,
                                    description=gettext_lazy("The version number (1, 2, …)."))


@extend_schema(tags=["inspections"])
class TemplateViewSet(viewsets.GenericViewSet):
    """Checklists (检查表) and their versions; a published version never changes."""

    pagination_class = CountlessPagination
    filter_backends: list = []
    lookup_value_converter = "int"
    serializer_class = TemplateSerializer
    queryset = ChecklistTemplate.objects.none()  # reads go through the selectors

    def _visible(self, pk) -> ChecklistTemplate:
        template = selectors.template_overview_visible_to(self.request.user).filter(pk=pk).first()
        if template is None:
            raise NotFound(_("Checklist not found"))
        return template

    @extend_schema(summary=gettext_lazy("Checklists you may use or see"),
                   parameters=[TemplateQuerySerializer],
                   responses={200: TemplateSerializer(many=True), **_errors(400, 403)})
    def list(self, request):
        if not request.user.has_perm("inspections.view_templates"):
            raise NotAllowed()
        query = _query(TemplateQuerySerializer, request)
        rows = selectors.template_overview_visible_to(request.user)
        if query.get("kind"):
            rows = rows.filter(kind=query["kind"])
        if query.get("runnable"):
            rows = rows.filter(is_active=True, published_number__isnull=False)
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(summary=gettext_lazy("One checklist with its versions"),
                   responses={200: TemplateDetailSerializer, **_errors(404)})
    def retrieve(self, request, pk=None):
        return Response(TemplateDetailSerializer(self._visible(pk),
                                                 context=self.get_serializer_context()).data)

    @extend_schema(summary=gettext_lazy("One version of a checklist with its sections and items"),
                   parameters=[NUMBER_PARAMETER],
                   responses={200: VersionDetailSerializer, **_errors(404)})
    @action(detail=True, methods=["get"], url_path="versions/<int:number>",
            url_name="version")
    def version(self, request, pk=None, number=None):
        template = self._visible(pk)
        version = _versions(request.user, template).filter(number=number).select_related(
            "template").first()
        if version is None:
            raise NotFound(_("Version not found"))
        return Response(VersionDetailSerializer(version, context=self.get_serializer_context()).data)


@extend_schema(tags=["inspections"])
class PlanViewSet(viewsets.GenericViewSet):
    """Recurring schedules (定期检查) and campaigns (专项检查) with their coverage."""

    pagination_class = CountlessPagination
    parser_classes = [JSONParser, FormParser]
    filter_backends: list = []
    lookup_value_converter = "int"
    serializer_class = InspectionPlanSerializer
    queryset = InspectionPlan.objects.none()  # reads go through the selectors

    def _visible(self, pk) -> InspectionPlan:
        plan = (selectors.plan_list_visible_to(self.request.user).filter(pk=pk)
                .select_related("template", "campus").prefetch_related("inspectors").first())
        if plan is None:
            raise NotFound(_("Plan not found"))
        return plan

    def _render(self, pk, *, code=status.HTTP_200_OK) -> Response:
        plan = self._visible(pk)
        context = self.get_serializer_context()
        context["coverage"] = _coverage_counts(self.request.user, [plan])
        return Response(InspectionPlanDetailSerializer(plan, context=context).data, status=code)

    @extend_schema(summary=gettext_lazy("Plans and campaigns you may see, newest first"),
                   parameters=[PlanQuerySerializer],
                   responses={200: InspectionPlanSerializer(many=True), **_errors(400, 403)})
    def list(self, request):
        if not request.user.has_perm("inspections.view_plans"):
            raise NotAllowed()
        query = _query(PlanQuerySerializer, request)
        rows = selectors.plan_list_visible_to(request.user).select_related("template", "campus")
        for name in ("kind", "state"):
            if query.get(name):
                rows = rows.filter(**{name: query[name]})
        if query.get("template"):
            rows = rows.filter(template_id=query["template"])
        page = self.paginate_queryset(rows.order_by("-starts_on", "-id"))
        context = self.get_serializer_context()
        context["coverage"] = _coverage_counts(request.user, page)
        return self.get_paginated_response(InspectionPlanSerializer(page, many=True, context=context).data)

    @extend_schema(summary=gettext_lazy("One plan with its coverage counts"),
                   responses={200: InspectionPlanDetailSerializer, **_errors(404)})
    def retrieve(self, request, pk=None):
        return self._render(pk)

    @extend_schema(
        summary=gettext_lazy("Create a recurring plan or a campaign (office)"),
        description=gettext_lazy(
            "One target per place; inspectors are assigned to places in turn, keeping a "
            "unit's places with one inspector."),
        request=PlanCreateInput,
        responses={201: InspectionPlanDetailSerializer, **_errors(400, 403)},
    )
    def create(self, request):
        if not request.user.has_perm("inspections.manage_plans"):
            raise NotAllowed()
        d = _parse(PlanCreateInput, request)
        plan = services.plan_create(
            actor=request.user, kind=d["kind"], name=d.get("name", ""),
            template_id=d.get("template"), place_ids=d.get("places", []),
            starts_on=d["starts_on"], ends_on=d.get("ends_on"),
            interval_days=d.get("interval_days"), by_risk_level=d.get("by_risk_level", False),
            inspector_ids=d.get("inspectors", []), deadline_days=d.get("deadline_days"),
            needs_review=d.get("needs_review", False), description=d.get("description", ""),
            campus_id=d.get("campus"), idempotency_key=_idempotency_key(request))
        return self._render(plan.pk, code=status.HTTP_201_CREATED)

    @extend_schema(summary=gettext_lazy("The places a plan covers and where each stands"),
                   parameters=[TargetQuerySerializer],
                   responses={200: TargetSerializer(many=True), **_errors(400, 404)})
    @action(detail=True, methods=["get"])
    def targets(self, request, pk=None):
        plan = self._visible(pk)
        query = _query(TargetQuerySerializer, request)
        rows = selectors.target_list_visible_to(request.user, plan)
        for name, lookup in (("coverage", "coverage"), ("unit", "unit_id"),
                             ("inspector", "inspector_id")):
            if query.get(name):
                rows = rows.filter(**{lookup: query[name]})
        rows = rows.select_related("place", "unit", "inspector", "last_inspection").order_by(
            "due_on", "id")
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(TargetSerializer(page, many=True).data)


def _inspection_schema(request_serializer, summary, *, codes=(400, 403, 404, 409)):
    return extend_schema(summary=summary, request=request_serializer,
                         responses={200: InspectionDetailSerializer, **_errors(*codes)})


@extend_schema(tags=["inspections"])
class InspectionViewSet(viewsets.GenericViewSet):
    """Inspections (安全检查): start, answer item by item, submit, approve, reopen."""

    pagination_class = CountlessPagination
    parser_classes = [JSONParser, FormParser]
    filter_backends: list = []
    lookup_value_converter = "int"
    serializer_class = InspectionSerializer
    queryset = Inspection.objects.none()  # reads go through the selectors

    def _visible(self, pk) -> Inspection:
        inspection = (selectors.inspection_list_visible_to(self.request.user).filter(pk=pk)
                      .select_related("version__template", "plan", "campus", "place", "unit",
                                      "inspector", "reviewed_by").first())
        if inspection is None:
            raise NotFound(_("Inspection not found"))
        return inspection

    def _render(self, pk, *, code=status.HTTP_200_OK) -> Response:
        return Response(InspectionDetailSerializer(self._visible(pk),
                                                   context=self.get_serializer_context()).data,
                        status=code)

    @extend_schema(summary=gettext_lazy("Inspections you may see, newest first"),
                   parameters=[InspectionQuerySerializer],
                   responses={200: InspectionSerializer(many=True), **_errors(400)})
    def list(self, request):
        query = _query(InspectionQuerySerializer, request)
        rows = selectors.inspection_list_visible_to(request.user)
        for name in ("state", "kind"):
            if query.get(name):
                rows = rows.filter(**{name: query[name]})
        for name in ("unit", "place", "plan", "campus"):
            if query.get(name):
                rows = rows.filter(**{f"{name}_id": query[name]})
        if query.get("template"):
            rows = rows.filter(version__template_id=query["template"])
        rows = rows.select_related("version__template", "plan", "campus", "place", "unit",
                                   "inspector").order_by("-started_at", "-id")
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(summary=gettext_lazy("One inspection with its results"),
                   responses={200: InspectionDetailSerializer, **_errors(404)})
    def retrieve(self, request, pk=None):
        return self._render(pk)

    @extend_schema(
        summary=gettext_lazy("Start (or resume) an inspection"),
        description=gettext_lazy(
            "Either a plan's `target`, or a `place` and a `template` (its published version "
            "is used). Office staff start office inspections; a unit's safety contact or "
            "leader a self-inspection of the unit's place. With an Idempotency-Key a retry "
            "returns the first inspection with 200 instead of 201."),
        request=StartInput,
        parameters=[IDEMPOTENCY_PARAMETER],
        responses={201: InspectionDetailSerializer, 200: InspectionDetailSerializer,
                   **_errors(400, 403, 409)},
    )
    def create(self, request):
        d = _parse(StartInput, request)
        key = _idempotency_key(request)
        user = request.user
        replay = idempotency_lookup(scope=START_SCOPE, key=key, model=Inspection,
                                    user=user) is not None
        inspection = services.inspection_start(
            actor=user, place_id=d.get("place"), template_id=d.get("template"),
            target_id=d.get("target"), idempotency_key=key)
        if inspection.inspector_id != user.pk:
            raise _key_reused()
        return self._render(inspection.pk,
                            code=status.HTTP_200_OK if replay else status.HTTP_201_CREATED)

    @extend_schema(methods=["GET"], summary=gettext_lazy("The inspection's results, in item order"),
                   request=None, responses={200: ResultSerializer(many=True), **_errors(404)})
    @extend_schema(
        methods=["POST", "PUT"],
        summary=gettext_lazy("Record the result of one item (inspector)"),
        description=gettext_lazy(
            "Insert or update: sending the same answer again changes nothing more. The item "
            "must belong to the inspection's checklist version."),
        request=ResultInput,
        responses={200: ResultSerializer, **_errors(400, 403, 404, 409)},
    )
    @action(detail=True, methods=["get", "post", "put"])
    def results(self, request, pk=None):
        inspection = self._visible(pk)
        if request.method == "GET":
            page = self.paginate_queryset(_results(inspection))
            return self.get_paginated_response(ResultSerializer(page, many=True).data)
        d = _parse(ResultInput, request)
        result = services.result_record(
            actor=request.user, inspection_id=inspection.pk, item_id=d["item"],
            outcome=d["outcome"], note=d.get("note", ""),
            fixed_on_spot=d.get("fixed_on_spot", False), fix_note=d.get("fix_note", ""))
        return Response(ResultSerializer(_results(inspection).get(pk=result.pk)).data)

    @extend_schema(summary=gettext_lazy("Add a photo to a recorded item (inspector)"),
                   request={"multipart/form-data": PhotoInput},
                   responses={201: PhotoRefSerializer, 200: PhotoRefSerializer,
                              **_errors(400, 403, 404, 409)})
    @action(detail=True, methods=["post"], parser_classes=[MultiPartParser, FormParser])
    def photos(self, request, pk=None):
        inspection = self._visible(pk)
        d = _parse(PhotoInput, request)
        known = ResultPhoto.objects.filter(result__inspection=inspection,
                                           result__item_id=d["item"],
                                           client_id=d["client_id"].strip()).exists()
        photo = services.result_photo_add(
            actor=request.user, inspection_id=inspection.pk, item_id=d["item"],
            upload=d["photo"], client_id=d["client_id"], stage=d["stage"])
        return Response(PhotoRefSerializer(photo).data,
                        status=status.HTTP_200_OK if known else status.HTTP_201_CREATED)

    @_inspection_schema(SubmitInput, gettext_lazy(
        "Sign and submit: results go out, or to the reviewer when the plan needs approval"))
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        inspection = self._visible(pk)
        d = _parse(SubmitInput, request)
        with _field_names(NON_FIELD):
            services.inspection_submit(
                actor=request.user, inspection_id=inspection.pk,
                signer_name=d.get("signer_name", ""), signature=d.get("signature", ""),
                summary=d.get("summary", ""), row_version=d.get("row_version"))
        return self._render(pk)

    @_inspection_schema(InspectionCommentInput, gettext_lazy("Approve submitted results (reviewer)"))
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        inspection = self._visible(pk)
        d = _parse(InspectionCommentInput, request)
        services.inspection_approve(actor=request.user, inspection_id=inspection.pk,
                                    comment=d.get("comment", ""), row_version=d.get("row_version"))
        return self._render(pk)

    @_inspection_schema(InspectionReasonInput, gettext_lazy(
        "Send submitted results back to the inspector, with a reason (reviewer)"))
    @action(detail=True, methods=["post"], url_path="send-back")
    def send_back(self, request, pk=None):
        inspection = self._visible(pk)
        d = _parse(InspectionReasonInput, request)
        services.inspection_send_back(actor=request.user, inspection_id=inspection.pk,
                                      reason=d.get("reason", ""), row_version=d.get("row_version"))
        return self._render(pk)

    @_inspection_schema(InspectionReasonInput, gettext_lazy(
        "Reopen a finished inspection to correct it, with a reason"))
    @action(detail=True, methods=["post"])
    def reopen(self, request, pk=None):
        inspection = self._visible(pk)
        d = _parse(InspectionReasonInput, request)
        services.inspection_reopen(actor=request.user, inspection_id=inspection.pk,
                                   reason=d.get("reason", ""), row_version=d.get("row_version"))
        return self._render(pk)

    @_inspection_schema(InspectionReasonInput, gettext_lazy(
        "Cancel an inspection in progress, with a reason"))
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        inspection = self._visible(pk)
        d = _parse(InspectionReasonInput, request)
        services.inspection_cancel(actor=request.user, inspection_id=inspection.pk,
                                   reason=d.get("reason", ""))
        return self._render(pk)
