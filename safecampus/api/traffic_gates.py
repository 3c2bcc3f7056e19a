"""REST API of gate records (出入记录): ``/api/v1/traffic/…`` (thin entry points).

- ``gates/``: the gates with the code their camera files use (``traffic.view_gate_records``);
- ``gate-imports/``: ``POST`` a camera CSV file (multipart ``file``; ``Idempotency-Key``
  supported) → 202 with the import job, which then runs in the background; ``GET
  gate-imports/{id}/`` polls it (``state`` uploaded → running → imported | rejected,
  ``stalled`` when a job not finished was not heard of for an hour, ``rows_read`` while
  running, the counts, and for a rejected file the first problems as
  ``{"row", "column", "message"}``); ``GET gate-imports/`` the history, newest first
  (``traffic.import_gate_records``).

Writes call :mod:`safecampus.traffic.services.gates` as the pages do: a file that is not CSV,
empty, or already imported is a 400 (codes ``bad_spreadsheet``, ``already_imported``,
``in_progress``) and nothing is kept; not allowed is a 403.
"""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status, viewsets
from rest_framework.exceptions import NotFound
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from safecampus.core.errors import NotAllowed
from safecampus.core.idempotency import idempotency_lookup
from safecampus.traffic.models import Gate, GateImport
from safecampus.traffic.selectors import gates as selectors
from safecampus.traffic.services import gates as services

from .duty import _parse
from .hazards import IDEMPOTENCY_PARAMETER, LabelField, RefField, _errors, _idempotency_key
from .inspections import PersonField
from .pagination import CountlessPagination


class GateSerializer(serializers.ModelSerializer):
    campus = RefField()
    place = RefField(allow_null=True)

    class Meta:
        model = Gate
        fields = ["id", "name", "code", "campus", "place", "is_active"]
        read_only_fields = fields


class GateImportProblemSerializer(serializers.Serializer):
    row = serializers.IntegerField(help_text=gettext_lazy("Row in the file (the header is 1)."))
    column = serializers.CharField(help_text=gettext_lazy("Column header (empty: the row)."))
    message = serializers.CharField()


class GateImportSerializer(serializers.ModelSerializer):
    # Plain text rather than a choice field: the enum name "state" is taken by other models.
    state = serializers.CharField(read_only=True, help_text=gettext_lazy(
        "uploaded, running, rejected (nothing imported) or imported."))
    state_display = LabelField(GateImport.State, source="state")
    created_by = PersonField(allow_null=True)
    errors = GateImportProblemSerializer(many=True, read_only=True, help_text=gettext_lazy(
        "The first problems found (all are counted in error_count)."))
    stalled = serializers.SerializerMethodField(help_text=gettext_lazy(
        "True when the job is still uploaded or running but nothing was heard of it for an "
        "hour (its worker stopped): it failed and nothing was imported; stop polling and "
        "upload the file again."))

    class Meta:
        model = GateImport
        fields = ["id", "original_name", "state", "state_display", "stalled", "created_by",
                  "created_at",
                  "rows_read", "error_count", "errors", "imported_count", "first_passed_at",
                  "last_passed_at", "imported_at"]
        read_only_fields = fields


    @extend_schema_field(OpenApiTypes.BOOL)
    def get_stalled(self, job) -> bool:
        return bool(getattr(job, "stalled", False))


class GateImportInput(serializers.Serializer):
    file = serializers.FileField(label=gettext_lazy("Gate camera file (CSV)"), help_text=(
        gettext_lazy("Columns plate (车牌号码), gate (通道), direction (入场/出场) and time "
                     "(通行时间); UTF-8 or GBK.")))


@extend_schema(tags=["traffic"])
class GateViewSet(viewsets.GenericViewSet):
    """Campus gates with plate cameras (校门 / 道闸)."""

    pagination_class = CountlessPagination
    filter_backends: list = []
    lookup_value_converter = "int"
    serializer_class = GateSerializer
    queryset = Gate.objects.none()  # reads go through the selectors

    def _rows(self):
        if not self.request.user.has_perm("traffic.view_gate_records"):
            raise NotAllowed()
        return selectors.gate_list()

    @extend_schema(summary=gettext_lazy("Gates, by campus and name"),
                   responses={200: GateSerializer(many=True), **_errors(403)})
    def list(self, request):
        page = self.paginate_queryset(self._rows())
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(summary=gettext_lazy("One gate"),
                   responses={200: GateSerializer, **_errors(403, 404)})
    def retrieve(self, request, pk=None):
        gate = self._rows().filter(pk=pk).first()
        if gate is None:
            raise NotFound(_("Gate not found"))
        return Response(self.get_serializer(gate).data)


@extend_schema(tags=["traffic"])
class GateImportViewSet(viewsets.GenericViewSet):
    """Uploads of gate camera files and their import jobs."""

    pagination_class = CountlessPagination
    parser_classes = [MultiPartParser, FormParser]
    filter_backends: list = []
    lookup_value_converter = "int"
    serializer_class = GateImportSerializer
    queryset = GateImport.objects.none()  # reads go through the selectors

    def _require(self):
        if not self.request.user.has_perm(services.PERMISSION):
            raise NotAllowed()

    @extend_schema(summary=gettext_lazy("Gate-record imports, newest first"),
                   responses={200: GateImportSerializer(many=True), **_errors(403)})
    def list(self, request):
        self._require()
        page = self.paginate_queryset(selectors.gate_import_list(request.user))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(summary=gettext_lazy("One import (poll it while it runs)"),
                   responses={200: GateImportSerializer, **_errors(403, 404)})
    def retrieve(self, request, pk=None):
        self._require()
        job = selectors.gate_import_get(request.user, pk)
        if job is None:
            raise NotFound(_("Import not found"))
        return Response(self.get_serializer(job).data)

    @extend_schema(
        summary=gettext_lazy("Upload a gate camera file to import"),
        description=gettext_lazy(
            "multipart/form-data with `file` (CSV). Returns 202 with the job; poll "
            "`gate-imports/{id}/` until `state` is imported or rejected. Every row is checked "
            "first; one bad row rejects the whole file and nothing is imported. The same file "
            "is imported once (400, code already_imported). With an Idempotency-Key a retry "
            "returns the first job with 200."),
        request={"multipart/form-data": GateImportInput},
        parameters=[IDEMPOTENCY_PARAMETER],
        responses={202: GateImportSerializer, 200: GateImportSerializer,
                   **_errors(400, 403)},
    )
    def create(self, request):
        self._require()
        d = _parse(GateImportInput, request)
        key = _idempotency_key(request)
        replay = idempotency_lookup(scope=services.UPLOAD_SCOPE, key=key, model=GateImport,
                                    user=request.user) is not None
        job = services.gate_import_upload(actor=request.user, uploaded_file=d["file"],
                                          idempotency_key=key)
        return Response(self.get_serializer(job).data,
                        status=status.HTTP_200_OK if replay else status.HTTP_202_ACCEPTED)


routes: list = [
    ("v1/traffic/gates", GateViewSet, "gate"),
    ("v1/traffic/gate-imports", GateImportViewSet, "gate-import"),
]
