"""REST API of patrols: ``/api/v1/patrols/…`` (house rule 5: thin entry points).

- ``routes/``: patrol routes with their checkpoints in order (guards, the office and
  leadership). The signed QR codes are never sent; the typed-in (manual) codes only to
  those who manage patrols.
- ``rounds/``: the rounds you may see (``patrols.view_round``): ``scope=mine`` (you walk
  them or are a guard on the shift), ``led`` (you lead the shift) or ``all`` (default:
  everything you may see, the office sees every round); filtered by shift date, route,
  state.
- ``scans/``: your own checkpoint scans (the office: everyone's); ``POST scans/bulk/``
  uploads a phone's queue of scans (at most 500) through ``patrolling.scan_record_many``:
  each scan is ``created``, ``duplicate`` (its ``client_id`` was stored before for you: a
  replayed upload creates nothing new) or ``refused`` with the reason; one bad scan does not
  stop the others.

Reads go through :mod:`safecampus.patrols.selectors`; a round you may not see answers 404.
"""


from django.db.models import Prefetch, Q
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.parsers import JSONParser
from rest_framework.response import Response

from safecampus.core import clock
from safecampus.core.errors import NotAllowed
from safecampus.core.forms import day_validators
from safecampus.patrols.models import Checkpoint, CheckpointScan, PatrolRound
from safecampus.patrols.selectors import rounds as round_selectors
from safecampus.patrols.selectors import setup as setup_selectors
from safecampus.patrols.services import patrolling

from .fields import IdField
from .hazards import LabelField, RefField, _abs, _errors, _parse
from .inspections import PersonField, _query
from .pagination import CountlessPagination

#: Who may read routes: those who walk them, set them up or read the reports.
ROUTE_READERS = ("patrols.patrol", "patrols.manage_patrols", "patrols.view_patrol_reports")


# --- output serializers ----------------------------------------------------------------------
class FlagSerializer(serializers.Serializer):
    code = serializers.CharField()
    label = serializers.CharField(help_text=gettext_lazy("In the user's language."))


@extend_schema_field(FlagSerializer(many=True))
class FlagsField(serializers.Field):
    """A scan's flags as ``[{"code", "label"}]``."""

    def __init__(self, **kwargs):
        super().__init__(read_only=True, **kwargs)

    def to_representation(self, flags):
        labels = dict(CheckpointScan.Flag.choices)
        return [{"code": code, "label": str(labels.get(code, code))} for code in flags or []]


class CheckpointSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    sequence = serializers.IntegerField(help_text=gettext_lazy("Order on the route, from 1."))
    name = serializers.CharField(source="label")
    place = RefField()
    latitude = serializers.DecimalField(max_digits=9, decimal_places=6, allow_null=True)
    longitude = serializers.DecimalField(max_digits=9, decimal_places=6, allow_null=True)
    radius_m = serializers.IntegerField(help_text=gettext_lazy(
        "A scan farther away than this (metres) is flagged."))
    is_active = serializers.BooleanField()
    manual_code = serializers.SerializerMethodField(help_text=gettext_lazy(
        "The code typed when the QR code cannot be read; only for those who manage patrols."))

    def get_manual_code(self, checkpoint) -> str | None:
        return checkpoint.manual_code if self.context.get("manager") else None


class RouteSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()
    description = serializers.CharField()
    campus = RefField()
    zone = RefField(allow_null=True)
    is_active = serializers.BooleanField()
    checkpoint_count = serializers.IntegerField(help_text=gettext_lazy("Active checkpoints."))
    url = serializers.SerializerMethodField()

    def get_url(self, route) -> str:
        return _abs(self.context.get("request"), reverse("api:patrol-route-detail",
                                                         args=[route.pk]))


class RouteDetailSerializer(RouteSerializer):
    checkpoints = CheckpointSerializer(many=True, source="checkpoint_list")


class ShiftRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    shift_date = serializers.DateField(help_text=gettext_lazy(
        "Local date the shift starts on (a night shift after midnight keeps it)."))
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    leader = PersonField(allow_null=True)


class RoundSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    url = serializers.SerializerMethodField()
    route = RefField()
    shift = ShiftRefSerializer()
    sequence = serializers.IntegerField()
    state = serializers.CharField(help_text=gettext_lazy(
        "planned, in_progress, completed, ended_early or incomplete (checkpoints missed)."))
    state_display = LabelField(PatrolRound.State, source="state")
    window_start = serializers.DateTimeField()
    window_end = serializers.DateTimeField()
    late_until = serializers.DateTimeField()
    guard = PersonField(allow_null=True)
    started_at = serializers.DateTimeField(allow_null=True)
    ended_at = serializers.DateTimeField(allow_null=True)
    end_reason = serializers.CharField()
    checkpoints_expected = serializers.IntegerField()
    checkpoints_on_time = serializers.IntegerField()
    checkpoints_late = serializers.IntegerField()
    checkpoints_missed = serializers.IntegerField(help_text=gettext_lazy(
        "Set when the round's window has closed."))
    checkpoints_done = serializers.IntegerField()
    flagged_scans = serializers.IntegerField()

    def get_url(self, round_) -> str:
        return _abs(self.context.get("request"), reverse("api:patrol-round-detail",
                                                         args=[round_.pk]))


class CheckpointRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    route = serializers.IntegerField()


@extend_schema_field(CheckpointRefSerializer)
class CheckpointRefField(RefField):
    def to_representation(self, checkpoint):
        return {"id": checkpoint.pk, "name": checkpoint.label, "route": checkpoint.route_id}


class ScanSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    client_id = serializers.UUIDField()
    checkpoint = CheckpointRefField()
    round = serializers.IntegerField(source="round_id", allow_null=True)
    guard = PersonField()
    method = serializers.CharField(help_text=gettext_lazy("qr or manual."))
    scanned_at = serializers.DateTimeField(help_text=gettext_lazy("The phone's clock."))
    received_at = serializers.DateTimeField(help_text=gettext_lazy("The server's clock."))
    counted_at = serializers.DateTimeField(help_text=gettext_lazy(
        "The time the scan counts at: the phone's unless it was ahead of the server."))
    timing = serializers.CharField(help_text=gettext_lazy("on_time, late, repeat or outside."))
    timing_display = LabelField(CheckpointScan.Timing, source="timing")
    latitude = serializers.DecimalField(max_digits=9, decimal_places=6, allow_null=True)
    longitude = serializers.DecimalField(max_digits=9, decimal_places=6, allow_null=True)
    accuracy_m = serializers.IntegerField(allow_null=True)
    distance_m = serializers.IntegerField(allow_null=True)
    is_flagged = serializers.BooleanField()
    flags = FlagsField()
    note = serializers.CharField()


class ScanOutcomeScanSerializer(serializers.Serializer):
    """The stored scan, without joins (a batch answers in one go)."""

    id = serializers.IntegerField()
    round = serializers.IntegerField(source="round_id", allow_null=True)
    timing = serializers.CharField()
    counted_at = serializers.DateTimeField()
    is_flagged = serializers.BooleanField()
    flags = FlagsField()


class ScanOutcomeSerializer(serializers.Serializer):
    index = serializers.IntegerField(help_text=gettext_lazy("Position in the uploaded list."))
    client_id = serializers.CharField()
    status = serializers.CharField(help_text=gettext_lazy("created, duplicate or refused."))
    scan = ScanOutcomeScanSerializer(allow_null=True)
    error = serializers.CharField(help_text=gettext_lazy("Why it was refused (empty otherwise)."))
    code = serializers.CharField(help_text=gettext_lazy(
        "Stable reason code: unknown_code, forged_code, revoked_code, bad_scan, bad_code, "
        "bad_client_id, bad_time, bad_location, bad_round, bad_note …"))


class BulkScanResultSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    duplicate = serializers.IntegerField()
    refused = serializers.IntegerField()
    results = ScanOutcomeSerializer(many=True)


# --- input serializers -----------------------------------------------------------------------
class RouteQuerySerializer(serializers.Serializer):
    campus = IdField(required=False)
    active = serializers.BooleanField(required=False, allow_null=True, default=None)


SCOPES = [("all", gettext_lazy("Every round you may see")),
          ("mine", gettext_lazy("Rounds you walk or whose shift you are a guard on")),
          ("led", gettext_lazy("Rounds of shifts you lead"))]


class RoundQuerySerializer(serializers.Serializer):
    scope = serializers.ChoiceField(choices=SCOPES, required=False, default="all")
    date = serializers.DateField(required=False, validators=day_validators(),
                                 help_text=gettext_lazy("A local shift date."))
    date_from = serializers.DateField(required=False, validators=day_validators(), help_text=gettext_lazy(
        "Shifts dated on or after this local day."))
    date_to = serializers.DateField(required=False, validators=day_validators(), help_text=gettext_lazy(
        "Shifts dated on or before this local day."))
    route = IdField(required=False)
    state = serializers.ChoiceField(choices=PatrolRound.State.choices, required=False)


class ScanQuerySerializer(serializers.Serializer):
    round = IdField(required=False)
    checkpoint = IdField(required=False)
    flagged = serializers.BooleanField(required=False, allow_null=True, default=None)
    date_from = serializers.DateField(required=False, validators=day_validators(), help_text=gettext_lazy(
        "Counted on or after this local day."))
    date_to = serializers.DateField(required=False, validators=day_validators(), help_text=gettext_lazy(
        "Counted on or before this local day."))


class ScanItemInput(serializers.Serializer):
    """One queued scan, as the phone recorded it (for the schema: the items are read by
    ``patrolling.scan_item_parse``, the same reader as the scan page's)."""

    code = serializers.CharField(max_length=2000, help_text=gettext_lazy(
        "What the QR code holds (the whole URL or its code) or the manual code typed in."))
    client_id = serializers.CharField(max_length=64, help_text=gettext_lazy(
        "The phone's UUID for this scan; the same id from you is stored once."))
    scanned_at = serializers.CharField(max_length=64, help_text=gettext_lazy(
        "The phone's time of the scan, ISO 8601 with an offset, e.g. 2026-11-30T22:05:00+08:00."))
    latitude = serializers.FloatField(required=False, allow_null=True, help_text=gettext_lazy(
        "WGS-84 degrees."))
    longitude = serializers.FloatField(required=False, allow_null=True, help_text=gettext_lazy(
        "WGS-84 degrees."))
    accuracy_m = serializers.IntegerField(required=False, allow_null=True, min_value=0,
                                          max_value=1_000_000)
    round_id = IdField(required=False, allow_null=True, help_text=gettext_lazy(
        "The round the guard was walking, when known."))
    note = serializers.CharField(required=False, allow_blank=True, max_length=500)


class BulkScanInput(serializers.Serializer):
    scans = ScanItemInput(many=True, help_text=gettext_lazy("At most 500 scans."))


class _BulkEnvelope(serializers.Serializer):
    """What is parsed first: a list; each item is then read on its own by the service."""

    scans = serializers.ListField(child=serializers.JSONField(), allow_empty=True)


# --- reads -----------------------------------------------------------------------------------
def _can_read_routes(user) -> bool:
    return any(user.has_perm(perm) for perm in ROUTE_READERS)


def _routes(query: dict):
    return setup_selectors.route_list_for_office(campus_id=query.get("campus"),
                                                 active=query.get("active"))


def _rounds(user, query: dict):
    rows = round_selectors.round_list_visible_to(user)
    if query.get("scope") == "mine":
        rows = rows.filter(Q(guard=user) | Q(shift__guards=user)).distinct()
    elif query.get("scope") == "led":
        rows = rows.filter(shift__leader=user)
    if query.get("date"):
        rows = rows.filter(shift__shift_date=query["date"])
    if query.get("date_from"):
        rows = rows.filter(shift__shift_date__gte=query["date_from"])
    if query.get("date_to"):
        rows = rows.filter(shift__shift_date__lte=query["date_to"])
    if query.get("route"):
        rows = rows.filter(route_id=query["route"])
    if query.get("state"):
        rows = rows.filter(state=query["state"])
    return rows.select_related("route", "shift__leader", "guard")


def _scans(user, query: dict):
    rows = round_selectors.scan_list_visible_to(user)
    for name, lookup in (("round", "round_id"), ("checkpoint", "checkpoint_id")):
        if query.get(name):
            rows = rows.filter(**{lookup: query[name]})
    if query.get("flagged") is not None:
        rows = rows.filter(is_flagged=query["flagged"])
    if query.get("date_from"):
        rows = rows.filter(counted_at__gte=clock.start_of_local_day(query["date_from"]))
    if query.get("date_to"):
        rows = rows.filter(counted_at__lte=clock.end_of_local_day(query["date_to"]))
    return rows.select_related("checkpoint__place__building", "guard").order_by(
        "-counted_at", "-id")


# --- the bulk upload -------------------------------------------------------------------------
def scans_upload(user, raw_items: list) -> dict:
    """Record the uploaded items with ``scan_record_many`` (which reads each one, as for the
    scan page) and answer the counts and one outcome per item in the order given."""
    outcomes = [{"index": index, **result} for index, result in
                enumerate(patrolling.scan_record_many(actor=user, scans=raw_items))]
    counts = {status: sum(1 for o in outcomes if o["status"] == status)
              for status in ("created", "duplicate", "refused")}
    return {**counts, "results": outcomes}


# --- views -----------------------------------------------------------------------------------
@extend_schema(tags=["patrols"])
class RouteViewSet(viewsets.GenericViewSet):
    """Patrol routes (巡逻路线) and their checkpoints (巡更点) in order."""

    pagination_class = CountlessPagination
    filter_backends: list = []
    lookup_value_converter = "int"
    serializer_class = RouteSerializer
    queryset = Checkpoint.objects.none()  # reads go through the selectors

    def _check(self):
        if not _can_read_routes(self.request.user):
            raise NotAllowed()

    @extend_schema(summary=gettext_lazy("Patrol routes"), parameters=[RouteQuerySerializer],
                   responses={200: RouteSerializer(many=True), **_errors(400, 403)})
    def list(self, request):
        self._check()
        page = self.paginate_queryset(_routes(_query(RouteQuerySerializer, request)))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(summary=gettext_lazy("One route with its checkpoints in order"),
                   responses={200: RouteDetailSerializer, **_errors(403, 404)})
    def retrieve(self, request, pk=None):
        self._check()
        checkpoints = Checkpoint.objects.select_related("place__building").order_by("sequence")
        route = (_routes({}).filter(pk=pk)
                 .prefetch_related(Prefetch("checkpoints", queryset=checkpoints,
                                            to_attr="checkpoint_list")).first())
        if route is None:
            raise NotFound(_("Route not found"))
        context = self.get_serializer_context()
        context["manager"] = request.user.has_perm("patrols.manage_patrols")
        return Response(RouteDetailSerializer(route, context=context).data)


@extend_schema(tags=["patrols"])
class RoundViewSet(viewsets.GenericViewSet):
    """Patrol rounds (一轮巡逻) you may see, newest window first."""

    pagination_class = CountlessPagination
    filter_backends: list = []
    lookup_value_converter = "int"
    serializer_class = RoundSerializer
    queryset = PatrolRound.objects.none()  # reads go through the selectors

    @extend_schema(summary=gettext_lazy("Rounds you may see"), parameters=[RoundQuerySerializer],
                   responses={200: RoundSerializer(many=True), **_errors(400)})
    def list(self, request):
        rows = _rounds(request.user, _query(RoundQuerySerializer, request))
        page = self.paginate_queryset(rows.order_by("-window_start", "-id"))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(summary=gettext_lazy("One round"),
                   responses={200: RoundSerializer, **_errors(404)})
    def retrieve(self, request, pk=None):
        round_ = _rounds(request.user, {}).filter(pk=pk).first()
        if round_ is None:
            raise NotFound(_("Round not found"))
        return Response(self.get_serializer(round_).data)


@extend_schema(tags=["patrols"])
class ScanViewSet(viewsets.GenericViewSet):
    """Checkpoint scans (打卡): yours (the office: everyone's), and the bulk upload of a
    phone's queue."""

    pagination_class = CountlessPagination
    parser_classes = [JSONParser]
    filter_backends: list = []
    serializer_class = ScanSerializer
    queryset = CheckpointScan.objects.none()  # reads go through the selectors

    @extend_schema(summary=gettext_lazy("Your checkpoint scans, newest first"),
                   parameters=[ScanQuerySerializer],
                   responses={200: ScanSerializer(many=True), **_errors(400)})
    def list(self, request):
        page = self.paginate_queryset(_scans(request.user, _query(ScanQuerySerializer, request)))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(
        summary=gettext_lazy("Upload queued scans (at most 500)"),
        description=gettext_lazy(
            "Each scan is recorded on its own with the phone's time: created, duplicate (the "
            "same client_id was stored for you before; a replayed upload creates nothing new) "
            "or refused with the reason (unknown, forged or revoked code, a time without an "
            "offset …). Scans far from the checkpoint, outside any round or with the phone's "
            "clock far off are stored and flagged. Answers 200 with one result per scan, in "
            "order; 400 when the body is not a list or holds more than 500 scans."),
        request=BulkScanInput,
        responses={200: BulkScanResultSerializer, **_errors(400, 403)},
    )
    @action(detail=False, methods=["post"])
    def bulk(self, request):
        if not request.user.has_perm("patrols.patrol"):
            raise NotAllowed()
        data = _parse(_BulkEnvelope, request)
        result = scans_upload(request.user, data["scans"])
        return Response(BulkScanResultSerializer(result).data)

