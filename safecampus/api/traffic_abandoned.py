"""REST API of abandoned vehicles (僵尸车): ``/api/v1/traffic/…`` (thin entry points).

- ``abandoned-cases/``: the cases you may see (the office, guards, leadership), filters
  ``state`` (a state, or ``open``, ``due_removal``, ``due_disposal``), ``campus``,
  ``source``, ``drive``, ``q`` (a plate or part of one, or text); ``POST`` opens one (JSON,
  or multipart/form-data with ``photos``, at least one for a patrol sighting or a report;
  with an ``Idempotency-Key`` a retry returns the first case with 200). A plate with an open
  case is a 409 with code ``case_already_open``. Steps: ``{id}/notice/``, ``{id}/contact/``,
  ``{id}/moved/``, ``{id}/store/``, ``{id}/claim/``, ``{id}/dispose/``, ``{id}/dismiss/``,
  each with an optional ``version`` (the case's ``row_version`` you saw: a stale one is a
  409 with code ``stale``);
- ``clean-up-drives/``: drives; ``POST`` creates one (``Idempotency-Key``), ``{id}/tag/``
  opens a case per row all or nothing (every bad row in ``errors.rows``), ``{id}/notices/``
  posts the drive's deadline on its suspected cases.

Reads go through :mod:`safecampus.traffic.selectors.abandoned`, writes call
:mod:`safecampus.traffic.services.abandoned` as the pages do: bad input 400 with per-field
messages (nothing changed), not allowed 403, illegal in the state or stale 409.
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
from safecampus.core.idempotency import idempotency_lookup
from safecampus.core.models import ActivityEntry
from safecampus.traffic.models import AbandonedVehicleCase, CasePhoto, CleanUpDrive, Vehicle
from safecampus.traffic.selectors import abandoned as selectors
from safecampus.traffic.services import abandoned as services

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

Case = AbandonedVehicleCase
State = AbandonedVehicleCase.State
Source = AbandonedVehicleCase.Source
LIST_STATES = [(selectors.TAB_OPEN, gettext_lazy("Open cases")),
               (selectors.TAB_DUE_REMOVAL, gettext_lazy("Ready to remove")),
               (selectors.TAB_DUE_DISPOSAL, gettext_lazy("Ready to dispose of")),
               *State.choices]


def _choice(choices, **kwargs) -> serializers.ChoiceField:
    """A choice field whose schema keeps its enum inline (``allOf: [{enum}]``): these choice
    sets share field names (``state``, ``source``, ``channel``) with other models' enums, and
    a named enum component per set would need an ENUM_NAME_OVERRIDES entry in the settings
    (drf-spectacular names only enums that are direct property schemas)."""
    values = [value for value, _label in choices]
    field_class = extend_schema_field({"allOf": [{"type": "string", "enum": values}]})(
        type("InlineChoiceField", (serializers.ChoiceField,), {}))
    return field_class(choices=choices, **kwargs)


# --- output ----------------------------------------------------------------------------------
class AbandonedPhotoSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    stage = _choice(CasePhoto.Stage.choices, read_only=True)
    thumbnail = serializers.CharField(help_text=gettext_lazy("URL of the thumbnail."))
    full = serializers.CharField(help_text=gettext_lazy("URL of the full photo."))


class AbandonedDriveRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


@extend_schema_field(AbandonedDriveRefSerializer)
class DriveRefField(RefField):
    pass


class AbandonedCaseSerializer(serializers.ModelSerializer):
    state = _choice(State.choices, read_only=True)
    state_display = LabelField(State, source="state")
    source = _choice(Source.choices, read_only=True)
    source_display = LabelField(Source, source="source")
    vehicle_kind = _choice(Vehicle.Kind.choices, read_only=True)
    campus = RefField()
    place = RefField(allow_null=True)
    drive = DriveRefField(allow_null=True)
    vehicle = serializers.IntegerField(source="vehicle_id", read_only=True, allow_null=True)
    url = serializers.SerializerMethodField()

    class Meta:
        model = Case
        fields = ["id", "url", "number", "state", "state_display", "row_version", "source",
                  "source_display", "plate", "vehicle", "vehicle_kind", "description",
                  "campus", "place", "location_text", "drive", "last_entry_at",
                  "notice_posted_at", "notice_deadline", "stored_on", "claim_until",
                  "closed_at", "created_at"]
        read_only_fields = fields

    def get_url(self, case) -> str:
        return _abs(self.context.get("request"), case.get_absolute_url())


ACTIONS = {"notice": "post_notice", "contact": "contact", "moved": "mark_moved",
           "store": "store", "claim": "claim", "dispose": "dispose", "dismiss": "dismiss"}


class AbandonedCaseDetailSerializer(AbandonedCaseSerializer):
    reported_by = PersonField(allow_null=True)
    photos = serializers.SerializerMethodField()
    actions = serializers.SerializerMethodField()

    class Meta(AbandonedCaseSerializer.Meta):
        fields = AbandonedCaseSerializer.Meta.fields + [
            "source_ref", "reported_by", "contacted_at", "contact_note", "storage_place",
            "claimed_by_name", "claim_verification", "close_note", "photos", "actions"]
        read_only_fields = fields

    @extend_schema_field(AbandonedPhotoSerializer(many=True))
    def get_photos(self, case) -> list:
        request = self.context.get("request")
        return [{"id": p.pk, "stage": p.stage,
                 "thumbnail": _abs(request, _photo_url(p.pk, "thumb")),
                 "full": _abs(request, _photo_url(p.pk, "full"))} for p in case.photos.all()]

    @extend_schema_field(serializers.ListField(child=serializers.CharField(), help_text=(
        gettext_lazy("The steps you may take now (notice, contact, moved, store, claim, "
                     "dispose, dismiss)."))))
    def get_actions(self, case) -> list[str]:
        request = self.context.get("request")
        if request is None or not request.user.has_perm("traffic.manage_abandoned"):
            return []
        return [name for name, transition in ACTIONS.items()
                if services.step_offered(case, transition)]


def _photo_url(pk: int, size: str) -> str:
    from django.urls import reverse

    return reverse("traffic:abandoned_photo", args=[pk, size])


class CleanUpDriveSerializer(serializers.ModelSerializer):
    campus = RefField()
    created_by = PersonField(allow_null=True)
    case_count = serializers.IntegerField(read_only=True)
    open_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = CleanUpDrive
        fields = ["id", "name", "campus", "starts_on", "notice_deadline", "note",
                  "created_by", "case_count", "open_count"]
        read_only_fields = fields


class DriveNoticesResultSerializer(serializers.Serializer):
    posted = serializers.IntegerField()
    skipped = serializers.IntegerField()
    skipped_cases = serializers.ListField(
        child=serializers.CharField(), help_text=gettext_lazy(
            "Numbers of the drive's cases left as they are (not suspected any more)."))


# --- input -----------------------------------------------------------------------------------
class AbandonedCaseQuerySerializer(serializers.Serializer):
    state = _choice(LIST_STATES, required=False, label=gettext_lazy("State"))
    campus = IdField(required=False, label=gettext_lazy("Campus"))
    source = _choice(Source.choices, required=False, label=gettext_lazy("Source"))
    drive = IdField(required=False, label=gettext_lazy("Clean-up drive"))
    q = serializers.CharField(required=False, allow_blank=True, max_length=64,
                              label=gettext_lazy("Plate or text"))


class AbandonedCaseInput(serializers.Serializer):
    source = _choice(Source.choices, label=gettext_lazy("Source"))
    plate = serializers.CharField(required=False, allow_blank=True, max_length=32,
                                  label=gettext_lazy("Plate number"),
                                  help_text=gettext_lazy("Empty for a vehicle without a "
                                                         "readable plate."))
    vehicle_kind = _choice(Vehicle.Kind.choices, required=False,
                           label=gettext_lazy("Vehicle type"))
    description = serializers.CharField(required=False, allow_blank=True, max_length=200,
                                        label=gettext_lazy("Description"))
    campus = IdField(required=False, allow_null=True, label=gettext_lazy("Campus"))
    place = IdField(required=False, allow_null=True, label=gettext_lazy("Place"))
    location_text = serializers.CharField(required=False, allow_blank=True, max_length=200,
                                          label=gettext_lazy("Where exactly"))
    last_entry_at = TimeField(required=False, allow_null=True,
                              label=gettext_lazy("Last entry through a gate"))
    source_ref = serializers.CharField(required=False, allow_blank=True, max_length=64,
                                       label=gettext_lazy("Source reference"))
    drive = IdField(required=False, allow_null=True, label=gettext_lazy("Clean-up drive"))


class AbandonedCaseMultipartInput(AbandonedCaseInput):
    photos = serializers.ListField(child=serializers.FileField(), required=False,
                                   label=gettext_lazy("Photos"))


class AbandonedStepInput(serializers.Serializer):
    version = serializers.IntegerField(required=False, allow_null=True, min_value=1,
                                       label=gettext_lazy("Version"), help_text=gettext_lazy(
                                           "The case's row_version you saw (optional)."))
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000,
                                 label=gettext_lazy("Note"))


class _Photos(serializers.Serializer):
    photos = serializers.ListField(child=serializers.FileField(), required=False,
                                   label=gettext_lazy("Photos"))


class AbandonedNoticeInput(AbandonedStepInput):
    deadline = serializers.DateField(required=False, allow_null=True,
                                     label=gettext_lazy("Move by"), help_text=gettext_lazy(
                                         "A local date after today and at most 90 days "
                                         "ahead; default: the usual notice period."))


class AbandonedNoticeMultipartInput(AbandonedNoticeInput, _Photos):
    pass


class AbandonedContactInput(AbandonedStepInput):
    channel = _choice(list(services.CONTACT_CHANNELS.items()), label=gettext_lazy("How"))


class AbandonedStoreInput(AbandonedStepInput):
    storage_place = serializers.CharField(max_length=200, label=gettext_lazy("Stored at"))
    stored_on = serializers.DateField(required=False, allow_null=True,
                                      label=gettext_lazy("Removed on"), help_text=gettext_lazy(
                                          "A local date after the notice deadline, not in "
                                          "the future; default: today."))


class AbandonedStoreMultipartInput(AbandonedStoreInput, _Photos):
    pass


class AbandonedClaimInput(AbandonedStepInput):
    claimed_by_name = serializers.CharField(max_length=64, label=gettext_lazy("Claimed by"))
    verification = serializers.CharField(max_length=200,
                                         label=gettext_lazy("Owner verified by"))


class AbandonedClaimMultipartInput(AbandonedClaimInput, _Photos):
    pass


class AbandonedDisposeInput(AbandonedStepInput):
    pass


class AbandonedDisposeMultipartInput(AbandonedDisposeInput, _Photos):
    pass


class AbandonedDismissInput(AbandonedStepInput):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=2000,
                                   label=gettext_lazy("Reason"),
                                   help_text=gettext_lazy("Why it is not abandoned "
                                                          "(required)."))


class CleanUpDriveInput(serializers.Serializer):
    campus = IdField(label=gettext_lazy("Campus"))
    name = serializers.CharField(max_length=100, label=gettext_lazy("Drive name"))
    starts_on = serializers.DateField(required=False, allow_null=True,
                                      label=gettext_lazy("Starts on"), help_text=gettext_lazy(
                                          "At most 90 days before or after today; default: "
                                          "today."))
    notice_deadline = serializers.DateField(required=False, allow_null=True,
                                            label=gettext_lazy("Move by"),
                                            help_text=gettext_lazy(
                                                "A local date after today and at most 90 days "
                                                "ahead; default: the usual notice period."))
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000,
                                 label=gettext_lazy("Note"))


class TagRowInput(serializers.Serializer):
    plate = serializers.CharField(required=False, allow_blank=True, max_length=32,
                                  label=gettext_lazy("Plate number"))
    location_text = serializers.CharField(required=False, allow_blank=True, max_length=200,
                                          label=gettext_lazy("Where exactly"))
    description = serializers.CharField(required=False, allow_blank=True, max_length=200,
                                        label=gettext_lazy("Description"))
    vehicle_kind = _choice(Vehicle.Kind.choices, required=False,
                           label=gettext_lazy("Vehicle type"))
    place = IdField(required=False, allow_null=True, label=gettext_lazy("Place"))


class TagInput(serializers.Serializer):
    rows = TagRowInput(many=True, label=gettext_lazy("Vehicles"))


# --- views -----------------------------------------------------------------------------------
def _step_schema(json_input, summary, multipart=None):
    body = {"application/json": json_input}
    if multipart is not None:
        body["multipart/form-data"] = multipart
    return extend_schema(summary=summary, request=body,
                         responses={200: AbandonedCaseDetailSerializer,
                                    **_errors(400, 403, 404, 409)})


@extend_schema(tags=["traffic"])
class AbandonedCaseViewSet(viewsets.GenericViewSet):
    """Abandoned-vehicle cases (僵尸车) and every step of their workflow."""

    pagination_class = CountlessPagination
    parser_classes = [JSONParser, MultiPartParser, FormParser]
    filter_backends: list = []
    lookup_value_converter = "int"
    serializer_class = AbandonedCaseSerializer
    queryset = Case.objects.none()  # reads go through the selectors

    def _visible(self, pk) -> AbandonedVehicleCase:
        case = selectors.case_detail(self.request.user, pk)
        if case is None:
            raise NotFound(_("Case not found"))
        return case

    def _render(self, pk, *, code=status.HTTP_200_OK) -> Response:
        return Response(AbandonedCaseDetailSerializer(
            self._visible(pk), context=self.get_serializer_context()).data, status=code)

    @extend_schema(summary=gettext_lazy("Abandoned-vehicle cases you may see, newest first"),
                   parameters=[AbandonedCaseQuerySerializer],
                   responses={200: AbandonedCaseSerializer(many=True), **_errors(400)})
    def list(self, request):
        q = _query(AbandonedCaseQuerySerializer, request)
        rows = selectors.case_search(request.user, state=q.get("state", ""),
                                     campus_id=q.get("campus"), source=q.get("source", ""),
                                     drive_id=q.get("drive"), q=q.get("q", ""))
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(summary=gettext_lazy("One case with its photos and the steps you may take"),
                   responses={200: AbandonedCaseDetailSerializer, **_errors(404)})
    def retrieve(self, request, pk=None):
        return self._render(pk)

    @extend_schema(
        summary=gettext_lazy("Open a case about a suspected abandoned vehicle"),
        description=gettext_lazy(
            "JSON, or multipart/form-data with `photos` (at least one for sources patrol and "
            "report). An invalid plate is a 400 (code bad_plate); a plate with an open case "
            "a 409 (code case_already_open, the case number in the message). With an "
            "Idempotency-Key a retry returns the first case with 200 instead of 201."),
        request={"application/json": AbandonedCaseInput,
                 "multipart/form-data": AbandonedCaseMultipartInput},
        parameters=[IDEMPOTENCY_PARAMETER],
        responses={201: AbandonedCaseDetailSerializer, 200: AbandonedCaseDetailSerializer,
                   **_errors(400, 403, 409)},
    )
    def create(self, request):
        if not request.user.has_perm("traffic.report_abandoned"):
            raise NotAllowed()
        d = _parse(AbandonedCaseInput, request)
        key = _idempotency_key(request)
        replay = idempotency_lookup(scope=services.OPEN_SCOPE, key=key, model=Case,
                                    user=request.user) is not None
        case = services.abandoned_case_open(
            actor=request.user, source=d["source"], plate=d.get("plate", ""),
            vehicle_kind=d.get("vehicle_kind", ""), description=d.get("description", ""),
            campus_id=d.get("campus"), place_id=d.get("place"),
            location_text=d.get("location_text", ""), last_entry_at=d.get("last_entry_at"),
            source_ref=d.get("source_ref", ""), drive_id=d.get("drive"),
            photos=_photos(request), idempotency_key=key)
        if case.reported_by_id != request.user.pk:
            raise _key_reused()
        return self._render(case.pk,
                            code=status.HTTP_200_OK if replay else status.HTTP_201_CREATED)

    def _step(self, pk, serializer_class, call):
        case = self._visible(pk)
        d = _parse(serializer_class, self.request)
        call(case, d, {"actor": self.request.user, "case_id": case.pk,
                       "version": d.get("version")})
        return self._render(case.pk)

    @_step_schema(AbandonedNoticeInput, gettext_lazy("Post the notice (photo required)"),
                  AbandonedNoticeMultipartInput)
    @action(detail=True, methods=["post"])
    def notice(self, request, pk=None):
        return self._step(pk, AbandonedNoticeInput, lambda c, d, a: services.abandoned_notice_post(
            **a, photos=_photos(request), deadline=d.get("deadline"), note=d.get("note", "")))

    @_step_schema(AbandonedContactInput, gettext_lazy("The owner was contacted"))
    @action(detail=True, methods=["post"])
    def contact(self, request, pk=None):
        return self._step(pk, AbandonedContactInput,
                          lambda c, d, a: services.abandoned_owner_contact(
                              **a, channel=d["channel"], note=d.get("note", "")))

    @_step_schema(AbandonedStepInput, gettext_lazy("The owner moved the vehicle"))
    @action(detail=True, methods=["post"])
    def moved(self, request, pk=None):
        return self._step(pk, AbandonedStepInput, lambda c, d, a: services.abandoned_mark_moved(
            **a, note=d.get("note", "")))

    @_step_schema(AbandonedStoreInput, gettext_lazy(
        "Removed to storage (after the notice deadline; photo required)"),
        AbandonedStoreMultipartInput)
    @action(detail=True, methods=["post"])
    def store(self, request, pk=None):
        return self._step(pk, AbandonedStoreInput, lambda c, d, a: services.abandoned_store(
            **a, storage_place=d["storage_place"], stored_on=d.get("stored_on"),
            photos=_photos(request), note=d.get("note", "")))

    @_step_schema(AbandonedClaimInput, gettext_lazy("Claimed by the verified owner"),
                  AbandonedClaimMultipartInput)
    @action(detail=True, methods=["post"])
    def claim(self, request, pk=None):
        return self._step(pk, AbandonedClaimInput, lambda c, d, a: services.abandoned_claim(
            **a, claimed_by_name=d["claimed_by_name"], verification=d["verification"],
            photos=_photos(request), note=d.get("note", "")))

    @_step_schema(AbandonedDisposeInput, gettext_lazy(
        "Disposed of after the claim period (note: how)"), AbandonedDisposeMultipartInput)
    @action(detail=True, methods=["post"])
    def dispose(self, request, pk=None):
        return self._step(pk, AbandonedDisposeInput, lambda c, d, a: services.abandoned_dispose(
            **a, note=d.get("note", ""), photos=_photos(request)))

    @_step_schema(AbandonedDismissInput, gettext_lazy("Not abandoned, with a reason"))
    @action(detail=True, methods=["post"])
    def dismiss(self, request, pk=None):
        return self._step(pk, AbandonedDismissInput, lambda c, d, a: services.abandoned_dismiss(
            **a, reason=d.get("reason", "")))


@extend_schema(tags=["traffic"])
class CleanUpDriveViewSet(viewsets.GenericViewSet):
    """Clean-up drives (僵尸车清理行动): batch tagging and batch notices."""

    pagination_class = CountlessPagination
    filter_backends: list = []
    lookup_value_converter = "int"
    serializer_class = CleanUpDriveSerializer
    queryset = CleanUpDrive.objects.none()  # reads go through the selectors

    def _visible(self, pk) -> CleanUpDrive:
        drive = selectors.drive_detail(self.request.user, pk)
        if drive is None:
            raise NotFound(_("Clean-up drive not found"))
        return drive

    @extend_schema(summary=gettext_lazy("Clean-up drives, newest first"),
                   responses={200: CleanUpDriveSerializer(many=True)})
    def list(self, request):
        page = self.paginate_queryset(selectors.drive_list_visible_to(request.user))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(summary=gettext_lazy("One clean-up drive"),
                   responses={200: CleanUpDriveSerializer, **_errors(404)})
    def retrieve(self, request, pk=None):
        return Response(self.get_serializer(self._visible(pk)).data)

    @extend_schema(summary=gettext_lazy("Start a clean-up drive"), request=CleanUpDriveInput,
                   parameters=[IDEMPOTENCY_PARAMETER],
                   responses={201: CleanUpDriveSerializer, **_errors(400, 403)})
    def create(self, request):
        if not request.user.has_perm("traffic.manage_abandoned"):
            raise NotAllowed()
        d = _parse(CleanUpDriveInput, request)
        drive = services.clean_up_drive_create(
            actor=request.user, campus_id=d["campus"], name=d["name"],
            starts_on=d.get("starts_on"), notice_deadline=d.get("notice_deadline"),
            note=d.get("note", ""), idempotency_key=_idempotency_key(request))
        return Response(self.get_serializer(self._visible(drive.pk)).data,
                        status=status.HTTP_201_CREATED)

    @extend_schema(
        summary=gettext_lazy("Tag vehicles: one case per row, all or nothing"),
        description=gettext_lazy("A 400 with code rows_invalid lists every bad row in "
                                 "errors.rows (\"Line 3: …\"); nothing is written. With an "
                                 "Idempotency-Key a retry returns the cases the first call "
                                 "opened with 200 instead of 201."),
        request=TagInput, parameters=[IDEMPOTENCY_PARAMETER],
        responses={201: AbandonedCaseSerializer(many=True),
                   200: AbandonedCaseSerializer(many=True), **_errors(400, 403, 404, 409)})
    @action(detail=True, methods=["post"])
    def tag(self, request, pk=None):
        drive = self._visible(pk)
        d = _parse(TagInput, request)
        key = _idempotency_key(request)
        replay = idempotency_lookup(scope=services.TAG_SCOPE, key=key, model=ActivityEntry,
                                    user=request.user) is not None
        rows = [{**row, "place_id": row.get("place")} for row in d["rows"]]
        cases = services.abandoned_cases_tag(actor=request.user, drive_id=drive.pk, rows=rows,
                                             idempotency_key=key)
        return Response(AbandonedCaseSerializer(cases, many=True, context={
            "request": request}).data,
            status=status.HTTP_200_OK if replay else status.HTTP_201_CREATED)

    @extend_schema(summary=gettext_lazy("Post the drive's notice on its suspected cases"),
                   request=None, responses={200: DriveNoticesResultSerializer,
                                            **_errors(403, 404, 409)})
    @action(detail=True, methods=["post"])
    def notices(self, request, pk=None):
        drive = self._visible(pk)
        return Response(services.drive_notices_post(actor=request.user, drive_id=drive.pk))


routes = [
    ("v1/traffic/abandoned-cases", AbandonedCaseViewSet, "abandoned-case"),
    ("v1/traffic/clean-up-drives", CleanUpDriveViewSet, "clean-up-drive"),
]
