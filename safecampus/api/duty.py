"""REST API of the duty room and incidents: ``/api/v1/patrols/…`` (thin entry points).

- ``duty-shifts/``: shifts newest first; ``duty-shifts/current/`` the shift on duty (404
  when nobody is);
- ``duty-entries/``: the duty log (filters: ``status``, ``shift``, ``kind``); ``POST`` logs
  an entry into the open shift (with an ``Idempotency-Key`` a retry returns the first entry
  with 200, as does the same entry sent again within 10 minutes); ``{id}/close/`` closes one;
- ``incidents/``: list (filters as the incident page), one incident, ``POST`` records one by
  hand (``Idempotency-Key`` too).

Reads go through :mod:`safecampus.patrols.selectors`; writes call
:mod:`safecampus.patrols.services.duty` as the pages do: bad input 400 with per-field
messages (nothing changed; ``detail`` names the field by its translated label), not allowed
403, a closed entry 409. A caller's phone number is
personal data: it is null for those who do not keep the duty log.
"""

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.parsers import FormParser, JSONParser
from rest_framework.response import Response

from safecampus.core.errors import DomainError, NotAllowed
from safecampus.core.forms import day_validators
from safecampus.core.idempotency import idempotency_lookup
from safecampus.patrols.models import DutyLogEntry, DutyShift, Incident
from safecampus.patrols.selectors import duty as duty_selectors
from safecampus.patrols.selectors import incidents as incident_selectors
from safecampus.patrols.services import duty as services

from .fields import IdField
from .hazards import (
    IDEMPOTENCY_PARAMETER,
    LabelField,
    RefField,
    _abs,
    _errors,
    _idempotency_key,
    _key_reused,
)
from .inspections import PersonField
from .pagination import CountlessPagination


class IncidentRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    reference = serializers.CharField()


@extend_schema_field(IncidentRefSerializer)
class IncidentRefField(RefField):
    def to_representation(self, incident):
        return {"id": incident.pk, "reference": incident.reference}


# --- output ----------------------------------------------------------------------------------
class DutyShiftSerializer(serializers.ModelSerializer):
    state_display = LabelField(DutyShift.State, source="state")
    officer = PersonField()
    leader = PersonField(allow_null=True)
    previous = serializers.IntegerField(source="previous_id", allow_null=True, read_only=True)
    url = serializers.SerializerMethodField()

    class Meta:
        model = DutyShift
        fields = ["id", "url", "state", "state_display", "officer", "leader", "started_at",
                  "ended_at", "previous", "handover_note", "carried_over"]
        read_only_fields = fields

    def get_url(self, shift) -> str:
        return _abs(self.context.get("request"), reverse("patrols:duty_shift_detail",
                                                         args=[shift.pk]))


class DutyEntrySerializer(serializers.ModelSerializer):
    """A duty log entry; ``shift`` is where it is now, ``logged_in_shift`` where it began."""

    kind_display = LabelField(DutyLogEntry.Kind, source="kind")
    status_display = LabelField(DutyLogEntry.Status, source="status")
    shift = serializers.IntegerField(source="shift_id", read_only=True)
    logged_in_shift = serializers.IntegerField(source="logged_in_shift_id", read_only=True)
    logged_by = PersonField()
    campus = RefField(allow_null=True)
    place = RefField(allow_null=True)
    caller_phone = serializers.SerializerMethodField(help_text=gettext_lazy(
        "Null unless you keep the duty log (personal data)."))
    incident = IncidentRefField(allow_null=True)
    url = serializers.SerializerMethodField()

    class Meta:
        model = DutyLogEntry
        fields = ["id", "url", "occurred_at", "kind", "kind_display", "status",
                  "status_display", "shift", "logged_in_shift", "logged_by", "campus", "place",
                  "location_text", "caller_name", "caller_phone", "summary", "action_taken",
                  "closed_at", "incident"]
        read_only_fields = fields

    def get_caller_phone(self, entry) -> str | None:
        return entry.caller_phone if self.context.get("show_phone") else None

    def get_url(self, entry) -> str:
        return _abs(self.context.get("request"), entry.get_absolute_url())


class IncidentSerializer(serializers.ModelSerializer):
    reference = serializers.CharField(read_only=True)
    category_display = LabelField(Incident.Category, source="category")
    disposition_display = LabelField(Incident.Disposition, source="disposition")
    source_display = LabelField(Incident.Source, source="source")
    campus = RefField(allow_null=True)
    place = RefField(allow_null=True)
    url = serializers.SerializerMethodField()

    class Meta:
        model = Incident
        fields = ["id", "reference", "url", "category", "category_display", "type_label",
                  "summary", "reported_at", "occurred_at", "occurred_until", "campus", "place",
                  "location_text", "people_involved", "disposition", "disposition_display",
                  "disposition_label", "police_reference", "source", "source_display",
                  "external_ref"]
        read_only_fields = fields

    def get_url(self, incident) -> str:
        return _abs(self.context.get("request"), incident.get_absolute_url())


class IncidentDetailSerializer(IncidentSerializer):
    recorded_by = PersonField(allow_null=True)
    duty_entry = serializers.SerializerMethodField()

    class Meta(IncidentSerializer.Meta):
        fields = IncidentSerializer.Meta.fields + ["recorded_by", "duty_entry"]
        read_only_fields = fields

    def get_duty_entry(self, incident) -> int | None:
        entry = getattr(incident, "duty_entry", None)
        return entry.pk if entry is not None else None


# --- input -----------------------------------------------------------------------------------
def _checked(serializer: serializers.Serializer):
    """The serializer's data, or a 400 whose ``detail`` names the field by its translated
    label ("类别：该字段是必填项。", not "category: …"); ``errors`` keeps the request field
    names as keys, for programs."""
    if serializer.is_valid():
        return serializer.validated_data
    errors = {name: [str(m) for m in (messages if isinstance(messages, list) else [messages])]
              for name, messages in serializer.errors.items()}
    name, messages = next(iter(errors.items()))
    field = serializer.fields.get(name)
    detail = messages[0] if field is None else _("%(field)s: %(message)s") % {
        "field": field.label, "message": messages[0]}
    raise DomainError(detail, code="invalid", field_errors=errors)


def _parse(serializer_class, request):
    return _checked(serializer_class(data=request.data))


def _query(serializer_class, request):
    return _checked(serializer_class(data=request.query_params))


class TimeField(serializers.DateTimeField):
    """An ISO 8601 time (without an offset: Asia/Shanghai). A time that cannot be placed in
    the local zone (year 1 at midnight …) is a field error, not a 500 (DRF's own check of
    the local time overflows there)."""

    def to_internal_value(self, value):
        try:
            return super().to_internal_value(value)
        except OverflowError:
            raise serializers.ValidationError(_("This time is too far in the past.")) from None


# Every input field has a translated label: a bad value's message names it ("类别：…").
class EntryQuerySerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=DutyLogEntry.Status.choices, required=False,
                                     label=gettext_lazy("Status"))
    kind = serializers.ChoiceField(choices=DutyLogEntry.Kind.choices, required=False,
                                   label=gettext_lazy("Type"))
    shift = IdField(required=False, label=gettext_lazy("Shift"),
                    help_text=gettext_lazy("Entries now in this shift."))


class EntryInput(serializers.Serializer):
    summary = serializers.CharField(required=False, allow_blank=True,
                                    label=gettext_lazy("What happened"),
                                    help_text=gettext_lazy("What happened (required)."))
    kind = serializers.ChoiceField(choices=DutyLogEntry.Kind.choices, required=False,
                                   default=DutyLogEntry.Kind.CALL, label=gettext_lazy("Type"))
    occurred_at = TimeField(required=False, allow_null=True, label=gettext_lazy("Time"),
                            help_text=gettext_lazy("Default: now."))
    campus = IdField(required=False, allow_null=True, label=gettext_lazy("Campus"))
    place = IdField(required=False, allow_null=True, label=gettext_lazy("Place"))
    location_text = serializers.CharField(required=False, allow_blank=True,
                                          label=gettext_lazy("Where exactly"))
    caller_name = serializers.CharField(required=False, allow_blank=True,
                                        label=gettext_lazy("Caller"))
    caller_phone = serializers.CharField(required=False, allow_blank=True,
                                         label=gettext_lazy("Caller's phone"))
    action_taken = serializers.CharField(required=False, allow_blank=True,
                                         label=pgettext_lazy("duty log", "What was done"))


class CloseInput(serializers.Serializer):
    action_taken = serializers.CharField(
        required=False, allow_blank=True, label=pgettext_lazy("duty log", "What was done"),
        help_text=gettext_lazy("What was done; replaces the entry's text when given. Required "
                               "if the entry has none."))


class IncidentQuerySerializer(serializers.Serializer):
    category = serializers.ChoiceField(choices=Incident.Category.choices, required=False,
                                       label=gettext_lazy("Category"))
    disposition = serializers.ChoiceField(choices=Incident.Disposition.choices, required=False,
                                          label=gettext_lazy("Disposition"))
    source = serializers.ChoiceField(choices=Incident.Source.choices, required=False,
                                     label=gettext_lazy("Source"))
    date_from = serializers.DateField(required=False, validators=day_validators(),
                                      label=gettext_lazy("From"), help_text=gettext_lazy(
                                          "Occurred on or after this local day."))
    date_to = serializers.DateField(required=False, validators=day_validators(),
                                    label=gettext_lazy("To"), help_text=gettext_lazy(
                                        "Occurred on or before this local day."))
    q = serializers.CharField(required=False, allow_blank=True, label=gettext_lazy("Search"),
                              help_text=gettext_lazy(
                                  "A reference (JQ2026-00042) or text in the summary, type, "
                                  "place or police reference."))


class IncidentInput(serializers.Serializer):
    category = serializers.ChoiceField(choices=Incident.Category.choices,
                                       label=gettext_lazy("Category"))
    summary = serializers.CharField(required=False, allow_blank=True,
                                    label=gettext_lazy("What happened"))
    type_label = serializers.CharField(required=False, allow_blank=True,
                                       label=gettext_lazy("Type as recorded"))
    reported_at = TimeField(required=False, allow_null=True, label=gettext_lazy("Reported at"),
                            help_text=gettext_lazy("Default: now."))
    occurred_at = TimeField(required=False, allow_null=True, label=gettext_lazy("Occurred at"),
                            help_text=gettext_lazy("Default: reported_at; never after it."))
    occurred_until = TimeField(required=False, allow_null=True,
                               label=gettext_lazy("Occurred until"))
    campus = IdField(required=False, allow_null=True, label=gettext_lazy("Campus"))
    place = IdField(required=False, allow_null=True, label=gettext_lazy("Place"))
    location_text = serializers.CharField(required=False, allow_blank=True,
                                          label=gettext_lazy("Where exactly"))
    people_involved = serializers.CharField(required=False, allow_blank=True,
                                            label=gettext_lazy("People involved"))
    disposition = serializers.ChoiceField(choices=Incident.Disposition.choices, required=False,
                                          default=Incident.Disposition.OPEN,
                                          label=gettext_lazy("Disposition"))
    police_reference = serializers.CharField(required=False, allow_blank=True,
                                             label=gettext_lazy("Police reference number"))


# --- views -----------------------------------------------------------------------------------
@extend_schema(tags=["patrols"])
class DutyShiftViewSet(viewsets.GenericViewSet):
    """Duty shifts (值班班次): one open at a time; the next starts by handing over."""

    pagination_class = CountlessPagination
    filter_backends: list = []
    lookup_value_converter = "int"
    serializer_class = DutyShiftSerializer
    queryset = DutyShift.objects.none()  # reads go through the selectors

    def _check(self, request) -> None:
        if not request.user.has_perm("patrols.view_duty_log"):
            raise NotAllowed()

    @extend_schema(summary=gettext_lazy("Duty shifts, newest first"),
                   responses={200: DutyShiftSerializer(many=True), **_errors(403)})
    def list(self, request):
        self._check(request)
        page = self.paginate_queryset(duty_selectors.duty_shift_list_visible_to(request.user))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(summary=gettext_lazy("One duty shift"),
                   responses={200: DutyShiftSerializer, **_errors(403, 404)})
    def retrieve(self, request, pk=None):
        self._check(request)
        shift = duty_selectors.duty_shift_list_visible_to(request.user).filter(pk=pk).first()
        if shift is None:
            raise NotFound(_("Shift not found"))
        return Response(self.get_serializer(shift).data)

    @extend_schema(summary=gettext_lazy("The shift on duty now (404 when nobody is)"),
                   responses={200: DutyShiftSerializer, **_errors(403, 404)})
    @action(detail=False, methods=["get"])
    def current(self, request):
        self._check(request)
        shift = duty_selectors.duty_shift_open()
        if shift is None:
            raise NotFound(services.msg_no_open_shift())
        return Response(self.get_serializer(shift).data)


@extend_schema(tags=["patrols"])
class DutyEntryViewSet(viewsets.GenericViewSet):
    """The duty log (值班日志): calls and events, logged into the open shift."""

    pagination_class = CountlessPagination
    parser_classes = [JSONParser, FormParser]
    filter_backends: list = []
    lookup_value_converter = "int"
    serializer_class = DutyEntrySerializer
    queryset = DutyLogEntry.objects.none()  # reads go through the selectors

    def get_serializer_context(self):
        context = super().get_serializer_context()
        context["show_phone"] = duty_selectors.caller_phone_visible(self.request.user)
        return context

    def _visible(self, pk) -> DutyLogEntry:
        entry = duty_selectors.duty_entry_detail(self.request.user, pk)
        if entry is None:
            raise NotFound(_("Entry not found"))
        return entry

    def _render(self, pk, *, code=status.HTTP_200_OK) -> Response:
        return Response(self.get_serializer(self._visible(pk)).data, status=code)

    @extend_schema(summary=gettext_lazy("Duty log entries, newest first"),
                   parameters=[EntryQuerySerializer],
                   responses={200: DutyEntrySerializer(many=True), **_errors(400, 403)})
    def list(self, request):
        if not request.user.has_perm("patrols.view_duty_log"):
            raise NotAllowed()
        query = _query(EntryQuerySerializer, request)
        rows = duty_selectors.duty_entry_list_visible_to(request.user)
        for name in ("status", "kind"):
            if query.get(name):
                rows = rows.filter(**{name: query[name]})
        if query.get("shift"):
            rows = rows.filter(shift_id=query["shift"])
        page = self.paginate_queryset(rows.order_by("-occurred_at", "-id"))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(summary=gettext_lazy("One duty log entry"),
                   responses={200: DutyEntrySerializer, **_errors(404)})
    def retrieve(self, request, pk=None):
        return self._render(pk)

    @extend_schema(
        summary=gettext_lazy("Log a call or event into the open shift"),
        description=gettext_lazy(
            "Refused with 400 (code no_open_shift) when nobody is on duty. With an "
            "Idempotency-Key a retry returns the first entry with 200 instead of 201; so does "
            "the same entry sent again by the same person within 10 minutes (same type, "
            "summary, place, location and caller)."),
        request=EntryInput, parameters=[IDEMPOTENCY_PARAMETER],
        responses={201: DutyEntrySerializer, 200: DutyEntrySerializer,
                   **_errors(400, 403, 409)},
    )
    def create(self, request):
        if not request.user.has_perm("patrols.keep_duty_log"):
            raise NotAllowed()
        d = _parse(EntryInput, request)
        key = _idempotency_key(request)
        replay = idempotency_lookup(scope=services.ENTRY_SCOPE, key=key, model=DutyLogEntry,
                                    user=request.user) is not None
        entry = services.duty_entry_log(
            actor=request.user, summary=d.get("summary", ""), kind=d["kind"],
            occurred_at=d.get("occurred_at"), campus_id=d.get("campus"),
            place_id=d.get("place"), location_text=d.get("location_text", ""),
            caller_name=d.get("caller_name", ""), caller_phone=d.get("caller_phone", ""),
            action_taken=d.get("action_taken", ""), idempotency_key=key)
        if entry.logged_by_id != request.user.pk:
            raise _key_reused()
        replay = replay or getattr(entry, "already_logged", False)
        return self._render(entry.pk,
                            code=status.HTTP_200_OK if replay else status.HTTP_201_CREATED)

    @extend_schema(summary=gettext_lazy("Close an entry: it was dealt with"), request=CloseInput,
                   responses={200: DutyEntrySerializer, **_errors(400, 403, 404, 409)})
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        entry = self._visible(pk)
        d = _parse(CloseInput, request)
        services.duty_entry_close(actor=request.user, entry_id=entry.pk,
                                  action_taken=d.get("action_taken"))
        return self._render(entry.pk)


@extend_schema(tags=["patrols"])
class IncidentViewSet(viewsets.GenericViewSet):
    """Incidents (警情): from the duty log, recorded by hand or imported."""

    pagination_class = CountlessPagination
    parser_classes = [JSONParser, FormParser]
    filter_backends: list = []
    lookup_value_converter = "int"
    serializer_class = IncidentSerializer
    queryset = Incident.objects.none()  # reads go through the selectors

    def _render(self, pk, *, code=status.HTTP_200_OK) -> Response:
        incident = incident_selectors.incident_detail(self.request.user, pk)
        if incident is None:
            raise NotFound(_("Incident not found"))
        return Response(IncidentDetailSerializer(incident, context=self.get_serializer_context())
                        .data, status=code)

    @extend_schema(summary=gettext_lazy("Incidents you may see, newest occurred first"),
                   parameters=[IncidentQuerySerializer],
                   responses={200: IncidentSerializer(many=True), **_errors(400, 403)})
    def list(self, request):
        if not incident_selectors.incident_list_allowed(request.user):
            raise NotAllowed()
        q = _query(IncidentQuerySerializer, request)
        rows = incident_selectors.incident_search(
            request.user, category=q.get("category", ""), disposition=q.get("disposition", ""),
            source=q.get("source", ""), date_from=q.get("date_from"), date_to=q.get("date_to"),
            text=q.get("q", ""))
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(summary=gettext_lazy("One incident"),
                   responses={200: IncidentDetailSerializer, **_errors(404)})
    def retrieve(self, request, pk=None):
        return self._render(pk)

    @extend_schema(
        summary=gettext_lazy("Record an incident by hand"),
        description=gettext_lazy(
            "Numbered JQ<year>-<n> by the local year it was reported. With an "
            "Idempotency-Key a retry returns the first incident with 200 instead of 201."),
        request=IncidentInput, parameters=[IDEMPOTENCY_PARAMETER],
        responses={201: IncidentDetailSerializer, 200: IncidentDetailSerializer,
                   **_errors(400, 403, 409)},
    )
    def create(self, request):
        if not request.user.has_perm("patrols.record_incident"):
            raise NotAllowed()
        d = _parse(IncidentInput, request)
        key = _idempotency_key(request)
        replay = idempotency_lookup(scope=services.INCIDENT_SCOPE, key=key, model=Incident,
                                    user=request.user) is not None
        incident = services.incident_record(
            actor=request.user, category=d["category"], summary=d.get("summary", ""),
            type_label=d.get("type_label", ""), reported_at=d.get("reported_at"),
            occurred_at=d.get("occurred_at"), occurred_until=d.get("occurred_until"),
            campus_id=d.get("campus"), place_id=d.get("place"),
            location_text=d.get("location_text", ""),
            people_involved=d.get("people_involved", ""), disposition=d["disposition"],
            police_reference=d.get("police_reference", ""), idempotency_key=key)
        if incident.recorded_by_id != request.user.pk:
            raise _key_reused()
        return self._render(incident.pk,
                            code=status.HTTP_200_OK if replay else status.HTTP_201_CREATED)
