"""REST API of the police module's bulletins area (under ``/api/v1/police/``), thin entry
points over :mod:`safecampus.police.selectors.bulletins` and
:mod:`safecampus.police.services.bulletins`, as the pages:

- ``bulletins/``: GET the bulletins the caller sees (filters ``partner``, ``campus``,
  ``state``, ``date_from``, ``date_to``); POST drafts one (``Idempotency-Key``); ``{id}/``
  GET, PUT/PATCH a draft; POST ``{id}/publish/``, ``{id}/withdraw/``.
- ``incidents/``: the bulletin records: GET with filters (``bulletin``, ``campus``,
  ``category``, ``proximity``, ``date_from``, ``date_to``, ``published``); POST adds one to a
  draft; ``{id}/`` GET, PUT/PATCH, DELETE while draft; POST ``{id}/open-hazard/``,
  ``{id}/send-warning/`` on a published bulletin's record.

``state``, ``category``, ``proximity`` and ``relevance`` are plain strings (the service checks
them), so that they add no enum components that collide with other modules'.
"""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from safecampus.core.errors import NotAllowed
from safecampus.core.forms import day_validators
from safecampus.core.idempotency import idempotency_lookup
from safecampus.police.models import Bulletin, BulletinRecord
from safecampus.police.selectors import bulletins as selectors
from safecampus.police.services import bulletins as services

from .duty import TimeField, _checked, _parse, _query
from .fields import IdField
from .hazards import IDEMPOTENCY_PARAMETER, RefField, _errors, _idempotency_key
from .pagination import CountlessPagination


class BulletinOutput(serializers.ModelSerializer):
    partner = RefField()
    reference = serializers.CharField(help_text=gettext_lazy(
        "Year and issue number, machine form: 2026-07."))
    label = serializers.SerializerMethodField(help_text=gettext_lazy(
        "Year and issue number as people write it, in the request's language: 2026年第7期."))
    record_count = serializers.IntegerField(required=False)

    class Meta:
        model = Bulletin
        fields = ["id", "partner", "year", "sequence", "reference", "label", "title",
                  "period_start", "period_end", "summary", "state", "published_at",
                  "withdrawn_reason", "record_count"]
        read_only_fields = fields

    def get_label(self, bulletin: Bulletin) -> str:
        return services.bulletin_label(bulletin)


class BulletinIncidentOutput(serializers.ModelSerializer):
    bulletin = serializers.IntegerField(source="bulletin_id")
    campus = RefField(allow_null=True)
    place = RefField(allow_null=True)
    hazard = serializers.IntegerField(source="hazard_id", allow_null=True)
    alert = serializers.IntegerField(source="alert_id", allow_null=True)

    class Meta:
        model = BulletinRecord
        fields = ["id", "bulletin", "position", "occurred_at", "category", "type_label",
                  "proximity", "campus", "place", "location_text", "summary", "relevance",
                  "external_ref", "disposition_label", "hazard", "alert"]
        read_only_fields = fields


class BulletinQuery(serializers.Serializer):
    partner = IdField(required=False)
    campus = IdField(required=False)
    state = serializers.CharField(required=False, allow_blank=True, max_length=12)
    date_from = serializers.DateField(required=False, validators=day_validators())
    date_to = serializers.DateField(required=False, validators=day_validators())


class BulletinInput(serializers.Serializer):
    partner = IdField(required=False, allow_null=True, help_text=gettext_lazy(
        "The office chooses it; a liaison's bulletins are their partner's."))
    title = serializers.CharField(max_length=200)
    period_start = serializers.DateField()
    period_end = serializers.DateField()
    summary = serializers.CharField(required=False, allow_blank=True, max_length=5000,
                                    default="")


class BulletinWithdrawInput(serializers.Serializer):
    reason = serializers.CharField(max_length=200)


class BulletinIncidentQuery(serializers.Serializer):
    bulletin = IdField(required=False)
    campus = IdField(required=False)
    category = serializers.CharField(required=False, allow_blank=True, max_length=16)
    proximity = serializers.CharField(required=False, allow_blank=True, max_length=12)
    date_from = serializers.DateField(required=False, validators=day_validators())
    date_to = serializers.DateField(required=False, validators=day_validators())
    published = serializers.BooleanField(required=False, default=False)


class BulletinIncidentInput(serializers.Serializer):
    bulletin = IdField(required=False, help_text=gettext_lazy("The draft (on create)."))
    occurred_at = TimeField()
    category = serializers.CharField(max_length=16)
    type_label = serializers.CharField(required=False, allow_blank=True, max_length=120,
                                       default="")
    proximity = serializers.CharField(max_length=12)
    campus = IdField(required=False, allow_null=True)
    place = IdField(required=False, allow_null=True)
    location_text = serializers.CharField(required=False, allow_blank=True, max_length=200,
                                          default="")
    summary = serializers.CharField(required=False, allow_blank=True, max_length=5000,
                                    default="")
    relevance = serializers.CharField(required=False, max_length=8, default="medium")
    external_ref = serializers.CharField(required=False, allow_blank=True, max_length=64,
                                         default="")
    disposition_label = serializers.CharField(required=False, allow_blank=True, max_length=120,
                                              default="")


class BulletinHazardInput(serializers.Serializer):
    category = IdField(help_text=gettext_lazy("Hazard category."))
    title = serializers.CharField(required=False, allow_blank=True, max_length=200, default="")
    description = serializers.CharField(required=False, allow_blank=True, max_length=5000,
                                        default="")
    campus = IdField(required=False, allow_null=True, help_text=gettext_lazy(
        "For an incident without a campus."))


class BulletinWarningInput(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    body = serializers.CharField(max_length=5000)
    level = serializers.CharField(max_length=16)
    audience_kind = serializers.CharField(max_length=16, help_text=gettext_lazy(
        "everyone, campus, college or year."))
    audience_campus = IdField(required=False, allow_null=True)
    audience_unit = IdField(required=False, allow_null=True)
    audience_year = serializers.IntegerField(required=False, allow_null=True)


class BulletinActionOutput(serializers.Serializer):
    id = serializers.IntegerField()
    created = serializers.BooleanField()


def _record_values(d) -> dict:
    return {"occurred_at": d["occurred_at"], "category": d["category"],
            "type_label": d.get("type_label", ""), "proximity": d["proximity"],
            "campus_id": d.get("campus"), "place_id": d.get("place"),
            "location_text": d.get("location_text", ""), "summary": d.get("summary", ""),
            "relevance": d.get("relevance") or "medium",
            "external_ref": d.get("external_ref", ""),
            "disposition_label": d.get("disposition_label", "")}


@extend_schema(tags=["police"])
class BulletinViewSet(viewsets.GenericViewSet):
    """Incident bulletins (警情通报)."""

    pagination_class = CountlessPagination
    filter_backends: list = []
    lookup_value_converter = "int"
    serializer_class = BulletinOutput
    queryset = Bulletin.objects.none()

    def _bulletin(self, request, pk) -> Bulletin:
        bulletin = selectors.bulletin_get(request.user, pk)
        if bulletin is None:
            raise NotFound(_("Bulletin not found"))
        return bulletin

    def _out(self, request, pk, code=status.HTTP_200_OK):
        return Response(BulletinOutput(selectors.bulletin_get(request.user, pk)).data,
                        status=code)

    @extend_schema(summary=gettext_lazy("Bulletins visible to you"), parameters=[BulletinQuery],
                   responses={200: BulletinOutput(many=True), **_errors(400, 403)})
    def list(self, request):
        if not request.user.has_perm("police.view_bulletins"):
            raise NotAllowed()
        q = _query(BulletinQuery, request)
        rows = selectors.bulletin_list(request.user, selectors.BulletinFilters(
            partner_id=q.get("partner"), campus_id=q.get("campus"),
            state=q.get("state") or None, date_from=q.get("date_from"),
            date_to=q.get("date_to")))
        return self.get_paginated_response(
            BulletinOutput(self.paginate_queryset(rows), many=True).data)

    @extend_schema(summary=gettext_lazy("One bulletin"),
                   responses={200: BulletinOutput, **_errors(404)})
    def retrieve(self, request, pk=None):
        return Response(BulletinOutput(self._bulletin(request, pk)).data)

    @extend_schema(summary=gettext_lazy("Draft a bulletin"), request=BulletinInput,
                   parameters=[IDEMPOTENCY_PARAMETER],
                   responses={201: BulletinOutput, 200: BulletinOutput,
                              **_errors(400, 403, 409)})
    def create(self, request):
        d = _parse(BulletinInput, request)
        key = _idempotency_key(request)
        replay = idempotency_lookup(scope=services.DRAFT_SCOPE, key=key, model=Bulletin,
                                    user=request.user) is not None
        bulletin = services.bulletin_draft(
            actor=request.user, title=d["title"], period_start=d["period_start"],
            period_end=d["period_end"], summary=d.get("summary", ""),
            partner_id=d.get("partner"), idempotency_key=key)
        return self._out(request, bulletin.pk,
                         status.HTTP_200_OK if replay else status.HTTP_201_CREATED)

    def _update(self, request, pk, *, partial):
        bulletin = self._bulletin(request, pk)
        d = _checked(BulletinInput(data=request.data, partial=partial))
        services.bulletin_update(
            actor=request.user, bulletin_id=bulletin.pk,
            title=d.get("title", bulletin.title),
            period_start=d.get("period_start", bulletin.period_start),
            period_end=d.get("period_end", bulletin.period_end),
            summary=d.get("summary", bulletin.summary if partial else ""))
        return self._out(request, bulletin.pk)

    @extend_schema(summary=gettext_lazy("Replace a draft bulletin's head"),
                   request=BulletinInput,
                   responses={200: BulletinOutput, **_errors(400, 403, 404)})
    def update(self, request, pk=None):
        return self._update(request, pk, partial=False)

    @extend_schema(summary=gettext_lazy("Change a draft bulletin's head"),
                   request=BulletinInput(partial=True),
                   responses={200: BulletinOutput, **_errors(400, 403, 404)})
    def partial_update(self, request, pk=None):
        return self._update(request, pk, partial=True)

    @extend_schema(summary=gettext_lazy("Publish a draft bulletin"), request=None,
                   responses={200: BulletinOutput, **_errors(400, 403, 404, 409)})
    @action(detail=True, methods=["post"], url_path="publish")
    def publish(self, request, pk=None):
        bulletin = self._bulletin(request, pk)
        services.bulletin_publish(actor=request.user, bulletin_id=bulletin.pk)
        return self._out(request, bulletin.pk)

    @extend_schema(summary=gettext_lazy("Withdraw a published bulletin"),
                   request=BulletinWithdrawInput,
                   responses={200: BulletinOutput, **_errors(400, 403, 404, 409)})
    @action(detail=True, methods=["post"], url_path="withdraw")
    def withdraw(self, request, pk=None):
        bulletin = self._bulletin(request, pk)
        d = _parse(BulletinWithdrawInput, request)
        services.bulletin_withdraw(actor=request.user, bulletin_id=bulletin.pk,
                                   reason=d["reason"])
        return self._out(request, bulletin.pk)


@extend_schema(tags=["police"])
class BulletinIncidentViewSet(viewsets.GenericViewSet):
    """Incidents (records) of bulletins."""

    pagination_class = CountlessPagination
    filter_backends: list = []
    lookup_value_converter = "int"
    serializer_class = BulletinIncidentOutput
    queryset = BulletinRecord.objects.none()

    def _record(self, request, pk) -> BulletinRecord:
        record = selectors.record_get(request.user, pk)
        if record is None:
            raise NotFound(_("Incident not found"))
        return record

    def _out(self, request, pk, code=status.HTTP_200_OK):
        return Response(BulletinIncidentOutput(selectors.record_get(request.user, pk)).data,
                        status=code)

    @extend_schema(summary=gettext_lazy("Bulletin incidents visible to you"),
                   parameters=[BulletinIncidentQuery],
                   responses={200: BulletinIncidentOutput(many=True), **_errors(400, 403)})
    def list(self, request):
        if not request.user.has_perm("police.view_bulletins"):
            raise NotAllowed()
        q = _query(BulletinIncidentQuery, request)
        rows = selectors.record_list(request.user, selectors.RecordFilters(
            bulletin_id=q.get("bulletin"), campus_id=q.get("campus"),
            category=q.get("category") or None, proximity=q.get("proximity") or None,
            date_from=q.get("date_from"), date_to=q.get("date_to"),
            published=q.get("published", False)))
        return self.get_paginated_response(
            BulletinIncidentOutput(self.paginate_queryset(rows), many=True).data)

    @extend_schema(summary=gettext_lazy("One bulletin incident"),
                   responses={200: BulletinIncidentOutput, **_errors(404)})
    def retrieve(self, request, pk=None):
        return Response(BulletinIncidentOutput(self._record(request, pk)).data)

    @extend_schema(summary=gettext_lazy("Add an incident to a draft bulletin"),
                   request=BulletinIncidentInput, parameters=[IDEMPOTENCY_PARAMETER],
                   responses={201: BulletinIncidentOutput, **_errors(400, 403, 404)})
    def create(self, request):
        d = _parse(BulletinIncidentInput, request)
        bulletin = selectors.bulletin_get(request.user, d.get("bulletin"))
        if bulletin is None:
            raise NotFound(_("Bulletin not found"))
        record = services.record_add(actor=request.user, bulletin_id=bulletin.pk,
                                     idempotency_key=_idempotency_key(request),
                                     **_record_values(d))
        return self._out(request, record.pk, status.HTTP_201_CREATED)

    def _update(self, request, pk, *, partial):
        record = self._record(request, pk)
        d = dict(_checked(BulletinIncidentInput(data=request.data, partial=partial)))
        if partial:
            current = {"occurred_at": record.occurred_at, "category": record.category,
                       "type_label": record.type_label, "proximity": record.proximity,
                       "campus": record.campus_id, "place": record.place_id,
                       "location_text": record.location_text, "summary": record.summary,
                       "relevance": record.relevance, "external_ref": record.external_ref,
                       "disposition_label": record.disposition_label}
            d = {**current, **d}
        services.record_update(actor=request.user, record_id=record.pk, **_record_values(d))
        return self._out(request, record.pk)

    @extend_schema(summary=gettext_lazy("Replace an incident of a draft bulletin"),
                   request=BulletinIncidentInput,
                   responses={200: BulletinIncidentOutput, **_errors(400, 403, 404)})
    def update(self, request, pk=None):
        return self._update(request, pk, partial=False)

    @extend_schema(summary=gettext_lazy("Change an incident of a draft bulletin"),
                   request=BulletinIncidentInput(partial=True),
                   responses={200: BulletinIncidentOutput, **_errors(400, 403, 404)})
    def partial_update(self, request, pk=None):
        return self._update(request, pk, partial=True)

    @extend_schema(summary=gettext_lazy("Delete an incident of a draft bulletin"),
                   responses={204: None, **_errors(403, 404)})
    def destroy(self, request, pk=None):
        record = self._record(request, pk)
        services.record_delete(actor=request.user, record_id=record.pk)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(summary=gettext_lazy("Open a hazard from an incident (once)"),
                   request=BulletinHazardInput, parameters=[IDEMPOTENCY_PARAMETER],
                   responses={201: BulletinActionOutput, 200: BulletinActionOutput,
                              **_errors(400, 403, 404)})
    @action(detail=True, methods=["post"], url_path="open-hazard")
    def open_hazard(self, request, pk=None):
        record = self._record(request, pk)
        d = _parse(BulletinHazardInput, request)
        hazard, created = services.record_open_hazard(
            actor=request.user, record_id=record.pk, category_id=d["category"],
            title=d.get("title", ""), description=d.get("description", ""),
            campus_id=d.get("campus"), idempotency_key=_idempotency_key(request))
        return Response({"id": hazard.pk, "created": created},
                        status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)

    @extend_schema(summary=gettext_lazy("Send a warning about an incident (once)"),
                   request=BulletinWarningInput, parameters=[IDEMPOTENCY_PARAMETER],
                   responses={201: BulletinActionOutput, 200: BulletinActionOutput,
                              **_errors(400, 403, 404)})
    @action(detail=True, methods=["post"], url_path="send-warning")
    def send_warning(self, request, pk=None):
        record = self._record(request, pk)
        d = _parse(BulletinWarningInput, request)
        alert, created = services.record_send_warning(
            actor=request.user, record_id=record.pk, title=d["title"], body=d["body"],
            level=d["level"], audience_kind=d["audience_kind"],
            campus_id=d.get("audience_campus"), unit_id=d.get("audience_unit"),
            year=d.get("audience_year"), idempotency_key=_idempotency_key(request))
        return Response({"id": alert.pk, "created": created},
                        status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


routes: list = [
    ("v1/police/bulletins", BulletinViewSet, "police-bulletin"),
    ("v1/police/incidents", BulletinIncidentViewSet, "police-incident"),
]
