"""REST API of the police module's meetings area (under ``/api/v1/police/``).

- ``v1/police/meetings/``: meetings visible to the caller, newest first (filters ``state``,
  ``kind``, ``campus``, ``year``); ``{id}/`` one meeting with its agenda (carried-over actions
  with their live state), attendees and actions; POST plans one (office; ``Idempotency-Key``);
  PUT ``{id}/`` edits a planned one (carried-over items recomputed);
  POST ``{id}/hold/`` records minutes, attendance and decisions (all or nothing);
  POST ``{id}/cancel/`` cancels with a reason.
- ``v1/police/actions/``: actions visible to the caller (``mine=true``: those they answer
  for; filters ``state``, ``overdue``, ``side``, ``partner``, ``unit``, ``meeting``); ``{id}/``
  one action; POST ``progress/``, ``complete/``, ``reopen/``, ``drop/``.

States, kinds and sides are plain strings here (the services check them), so they add no
enum components that collide with other modules'. Same services and selectors as the pages.
"""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action as route
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from safecampus.core.errors import DomainError, NotAllowed
from safecampus.core.idempotency import idempotency_lookup
from safecampus.police.models import Meeting, MeetingAction, Side
from safecampus.police.selectors import meetings as selectors
from safecampus.police.services import meetings as services

from .duty import TimeField, _checked, _parse, _query
from .fields import IdField
from .hazards import IDEMPOTENCY_PARAMETER, LabelField, NamedRefSerializer, _errors, _idempotency_key
from .pagination import CountlessPagination


# --- output ---------------------------------------------------------------------------------
class _ActionStates:
    """The action states' labels in the words of supervised work (办理中/已办结/已撤销)."""

    choices = services.ACTION_STATE_CHOICES


class _MeetingStates:
    """The meeting states' labels (待召开/已召开/已取消)."""

    choices = services.MEETING_STATE_CHOICES


class PoliceActionSerializer(serializers.ModelSerializer):
    meeting = serializers.IntegerField(source="meeting_id")
    side = serializers.CharField()
    side_display = LabelField(Side, source="side")
    state = serializers.CharField()
    state_display = LabelField(_ActionStates, source="state")
    live_state = serializers.SerializerMethodField(help_text=gettext_lazy(
        "open, overdue (open and due before today, local), done or cancelled."))
    owner_unit = serializers.SerializerMethodField()
    owner_partner = serializers.SerializerMethodField()
    owner = serializers.SerializerMethodField()

    class Meta:
        model = MeetingAction
        fields = ["id", "meeting", "number", "title", "detail", "side", "side_display",
                  "owner_unit", "owner_partner", "owner", "due_on", "state", "state_display",
                  "live_state", "progress", "completed_at", "completion_note"]
        read_only_fields = fields

    def get_live_state(self, obj) -> str:
        return selectors.action_live_state(obj)

    @extend_schema_field(NamedRefSerializer(allow_null=True))
    def get_owner_unit(self, obj):
        return {"id": obj.owner_unit.pk, "name": obj.owner_unit.name} if obj.owner_unit else None

    @extend_schema_field(NamedRefSerializer(allow_null=True))
    def get_owner_partner(self, obj):
        p = obj.owner_partner
        return {"id": p.pk, "name": p.name} if p else None

    @extend_schema_field(NamedRefSerializer(allow_null=True))
    def get_owner(self, obj):
        return {"id": obj.owner.pk, "name": str(obj.owner)} if obj.owner else None


class PoliceAgendaItemOutput(serializers.Serializer):
    """An agenda item. A carried action the caller may not see (a campus action decided at a
    meeting without their partner) is given as ``hidden_action: true`` with a neutral title
    and no ``carried_action``."""

    position = serializers.IntegerField()
    title = serializers.SerializerMethodField()
    notes = serializers.CharField()
    carried_action = serializers.SerializerMethodField()
    hidden_action = serializers.SerializerMethodField()

    def _hidden(self, obj) -> bool:
        shown = self.context.get("shown_actions")
        return bool(obj.carried_action_id) and (shown is None
                                                or obj.carried_action_id not in shown)

    def get_title(self, obj) -> str:
        return _("An action decided at another meeting") if self._hidden(obj) else obj.title

    def get_hidden_action(self, obj) -> bool:
        return self._hidden(obj)

    @extend_schema_field(PoliceActionSerializer(allow_null=True))
    def get_carried_action(self, obj):
        a = obj.carried_action
        return PoliceActionSerializer(a).data if a is not None and not self._hidden(obj) else None


class PoliceAttendeeOutput(serializers.Serializer):
    id = serializers.IntegerField()
    side = serializers.CharField()
    user = serializers.IntegerField(source="user_id", allow_null=True)
    name = serializers.CharField()
    organisation = serializers.CharField()
    post = serializers.CharField()
    attended = serializers.BooleanField()


class PoliceMeetingSerializer(serializers.ModelSerializer):
    kind = serializers.CharField()
    kind_display = LabelField(Meeting.Kind, source="kind")
    state = serializers.CharField()
    state_display = LabelField(_MeetingStates, source="state")
    campus = serializers.SerializerMethodField(help_text=gettext_lazy(
        "Null: the whole university."))
    partners = serializers.SerializerMethodField()

    class Meta:
        model = Meeting
        fields = ["id", "kind", "kind_display", "title", "campus", "starts_at", "location",
                  "partners", "chair", "state", "state_display", "held_at", "cancel_reason"]
        read_only_fields = fields

    @extend_schema_field(NamedRefSerializer(allow_null=True))
    def get_campus(self, obj):
        return {"id": obj.campus.pk, "name": obj.campus.name} if obj.campus else None

    @extend_schema_field(NamedRefSerializer(many=True))
    def get_partners(self, obj):
        return [{"id": p.pk, "name": p.name} for p in obj.partners.all()]


class PoliceMeetingDetailSerializer(PoliceMeetingSerializer):
    agenda = PoliceAgendaItemOutput(many=True, read_only=True)
    attendees = PoliceAttendeeOutput(many=True, read_only=True)
    actions = PoliceActionSerializer(many=True, read_only=True)

    class Meta(PoliceMeetingSerializer.Meta):
        fields = [*PoliceMeetingSerializer.Meta.fields, "minutes", "agenda", "attendees",
                  "actions"]
        read_only_fields = fields


# --- input ----------------------------------------------------------------------------------
class PoliceMeetingQuery(serializers.Serializer):
    state = serializers.CharField(required=False, allow_blank=True, max_length=12,
                                  label=gettext_lazy("State"))
    kind = serializers.CharField(required=False, allow_blank=True, max_length=16,
                                 label=gettext_lazy("Kind"))
    campus = IdField(required=False, label=gettext_lazy("Campus"))
    year = serializers.IntegerField(required=False, min_value=2000, max_value=2999,
                                    label=gettext_lazy("Year"))


class PoliceGuestInput(serializers.Serializer):
    name = serializers.CharField(max_length=64, label=gettext_lazy("Name"))
    organisation = serializers.CharField(max_length=100, required=False, allow_blank=True,
                                         label=gettext_lazy("Unit or agency"))
    post = serializers.CharField(max_length=64, required=False, allow_blank=True,
                                 label=gettext_lazy("Post"))


class PoliceMeetingInput(serializers.Serializer):
    kind = serializers.CharField(max_length=16, label=gettext_lazy("Kind"), help_text=(
        gettext_lazy("joint, assessment or special.")))
    title = serializers.CharField(max_length=200, label=gettext_lazy("Title"))
    starts_at = TimeField(label=gettext_lazy("Starts at"))
    campus = IdField(required=False, allow_null=True, label=gettext_lazy("Campus"),
                     help_text=gettext_lazy("Null: the whole university."))
    location = serializers.CharField(max_length=200, required=False, allow_blank=True,
                                     label=gettext_lazy("Location"))
    chair = serializers.CharField(max_length=64, required=False, allow_blank=True,
                                  label=gettext_lazy("Chaired by"))
    partners = serializers.ListField(child=IdField(), required=False, max_length=50,
                                     label=gettext_lazy("Partners taking part"))
    agenda = serializers.ListField(child=serializers.CharField(max_length=200),
                                   required=False, max_length=30, label=gettext_lazy("Agenda"))
    campus_attendees = serializers.ListField(child=IdField(), required=False, max_length=100,
                                             label=gettext_lazy("Campus side"))
    police_attendees = serializers.ListField(child=IdField(), required=False, max_length=100,
                                             label=gettext_lazy("Police side: liaisons"),
                                             help_text=gettext_lazy("User ids of liaisons."))
    guests = PoliceGuestInput(many=True, required=False, label=gettext_lazy(
        "Police side: others"))


class PoliceActionInput(serializers.Serializer):
    title = serializers.CharField(max_length=200, allow_blank=True,
                                  label=gettext_lazy("Decision taken"))
    detail = serializers.CharField(max_length=8000, required=False, allow_blank=True,
                                   label=gettext_lazy("Detail"))
    side = serializers.CharField(max_length=8, allow_blank=True, label=gettext_lazy("Side"),
                                 help_text=gettext_lazy("campus or police."))
    due_on = serializers.DateField(label=gettext_lazy("Complete by"))
    owner_unit = IdField(required=False, allow_null=True,
                         label=gettext_lazy("Responsible unit"))
    owner_partner = IdField(required=False, allow_null=True,
                            label=gettext_lazy("Responsible partner"))
    owner = IdField(required=False, allow_null=True, label=gettext_lazy("Responsible person"))


class PoliceHoldInput(serializers.Serializer):
    minutes = serializers.CharField(allow_blank=True, max_length=32000,
                                    label=gettext_lazy("Minutes"))
    attended = serializers.ListField(child=IdField(), required=False, max_length=100,
                                     label=gettext_lazy("Attended"),
                                     help_text=gettext_lazy("Attendee ids; the rest absent."))
    actions = PoliceActionInput(many=True, required=False, label=gettext_lazy("Decisions"))


class PoliceHoldParse(PoliceHoldInput):
    """:class:`PoliceHoldInput` with the decision rows left raw: each is checked on its own by
    :func:`_decision_rows`, so that a bad row reads "Decision N: …" as on the page."""

    actions = serializers.ListField(child=serializers.JSONField(), required=False,
                                    max_length=30, label=gettext_lazy("Decisions"))


def _decision_rows(raw) -> list[dict]:
    """Every decision row checked with :class:`PoliceActionInput`; raises one
    :class:`DomainError` with one "Decision N: field: problem; …." message per bad row
    (``field_errors["actions"]``), as the service words its own row checks."""
    rows, messages = [], []
    for n, item in enumerate(raw or (), start=1):
        row = PoliceActionInput(data=item if isinstance(item, dict) else {})
        if row.is_valid():
            rows.append(row.validated_data)
            continue
        problems = []
        for name, errors in row.errors.items():
            message = str(errors[0] if isinstance(errors, list) else errors).rstrip(".。")
            field = row.fields.get(name)
            problems.append(_("%(field)s: %(message)s") % {
                "field": field.label if field else name, "message": message})
        messages.append(_("Decision %(number)s: %(problems)s.") % {
            "number": n, "problems": _("; ").join(problems)})
    if messages:
        raise DomainError(messages[0], code="invalid", field_errors={"actions": messages})
    return rows


class PoliceReasonInput(serializers.Serializer):
    reason = serializers.CharField(allow_blank=True, max_length=8000,
                                   label=gettext_lazy("Reason"))


class PoliceProgressInput(serializers.Serializer):
    progress = serializers.CharField(allow_blank=True, max_length=8000,
                                     label=gettext_lazy("Progress so far"))


class PoliceCompleteInput(serializers.Serializer):
    note = serializers.CharField(allow_blank=True, max_length=8000,
                                 label=gettext_lazy("How it was done"))


class PoliceActionQuery(serializers.Serializer):
    mine = serializers.BooleanField(required=False, default=False, label=gettext_lazy("Mine"))
    state = serializers.CharField(required=False, allow_blank=True, max_length=12,
                                  label=gettext_lazy("State"))
    overdue = serializers.BooleanField(required=False, default=False,
                                       label=gettext_lazy("Overdue only"))
    side = serializers.CharField(required=False, allow_blank=True, max_length=8,
                                 label=gettext_lazy("Side"))
    partner = IdField(required=False, label=gettext_lazy("Partner"))
    unit = IdField(required=False, label=gettext_lazy("Unit"))
    meeting = IdField(required=False, label=gettext_lazy("Meeting"))


def _meeting_input(d) -> services.MeetingInput:
    return services.MeetingInput(
        kind=d["kind"], title=d["title"], starts_at=d["starts_at"],
        campus_id=d.get("campus"), location=d.get("location", ""),
        partner_ids=d.get("partners", ()), chair=d.get("chair", ""),
        agenda=d.get("agenda", ()), campus_user_ids=d.get("campus_attendees", ()),
        liaison_user_ids=d.get("police_attendees", ()),
        guests=[services.GuestInput(g["name"], g.get("organisation", ""), g.get("post", ""))
                for g in d.get("guests", ())])


# --- views ----------------------------------------------------------------------------------
@extend_schema(tags=["police"])
class PoliceMeetingViewSet(viewsets.GenericViewSet):
    """Joint meetings (联席会议, 研判会) with their agenda, attendees and decisions."""

    pagination_class = CountlessPagination
    filter_backends: list = []
    lookup_value_converter = "int"
    serializer_class = PoliceMeetingSerializer
    queryset = Meeting.objects.none()  # reads go through the selectors

    def _meeting(self, pk) -> Meeting:
        meeting = selectors.meeting_detail(pk)
        if meeting is None or not self.request.user.has_perm("police.view_meeting", meeting):
            raise NotFound(_("Meeting not found"))
        return meeting

    def _detail(self, pk, code=status.HTTP_200_OK) -> Response:
        return Response(self._serialised(selectors.meeting_detail(pk)), status=code)

    def _serialised(self, meeting: Meeting) -> dict:
        shown = selectors.action_ids_visible_to(
            self.request.user, [i.carried_action_id for i in meeting.agenda.all()])
        return PoliceMeetingDetailSerializer(meeting, context={"shown_actions": shown}).data

    @extend_schema(summary=gettext_lazy("Meetings visible to you, newest first"),
                   parameters=[PoliceMeetingQuery],
                   responses={200: PoliceMeetingSerializer(many=True), **_errors(400, 403)})
    def list(self, request):
        if not request.user.has_perm("police.view_meetings"):
            raise NotAllowed()
        q = _query(PoliceMeetingQuery, request)
        page = self.paginate_queryset(selectors.meeting_list(
            request.user, state=q.get("state") or "", kind=q.get("kind") or "",
            campus_id=q.get("campus"), year=q.get("year")))
        return self.get_paginated_response(PoliceMeetingSerializer(page, many=True).data)

    @extend_schema(summary=gettext_lazy("One meeting with agenda, attendees and actions"),
                   responses={200: PoliceMeetingDetailSerializer, **_errors(404)})
    def retrieve(self, request, pk=None):
        return Response(self._serialised(self._meeting(pk)))

    @extend_schema(summary=gettext_lazy("Plan a meeting (open actions are carried over)"),
                   request=PoliceMeetingInput, parameters=[IDEMPOTENCY_PARAMETER],
                   responses={201: PoliceMeetingDetailSerializer,
                              200: PoliceMeetingDetailSerializer, **_errors(400, 403, 409)})
    def create(self, request):
        if not request.user.has_perm("police.plan_meeting"):
            raise NotAllowed()
        d = _parse(PoliceMeetingInput, request)
        key = _idempotency_key(request)
        replay = idempotency_lookup(scope=services.MEETING_PLAN_SCOPE, key=key, model=Meeting,
                                    user=request.user) is not None
        meeting = services.meeting_plan(actor=request.user, idempotency_key=key,
                                        data=_meeting_input(d))
        return self._detail(meeting.pk, status.HTTP_200_OK if replay
                            else status.HTTP_201_CREATED)

    @extend_schema(summary=gettext_lazy("Edit a planned meeting (carried items recomputed)"),
                   request=PoliceMeetingInput,
                   responses={200: PoliceMeetingDetailSerializer, **_errors(400, 403, 404, 409)})
    def update(self, request, pk=None):
        if not request.user.has_perm("police.plan_meeting"):
            raise NotAllowed()
        meeting = self._meeting(pk)
        d = _parse(PoliceMeetingInput, request)
        services.meeting_update(actor=request.user, meeting_id=meeting.pk, data=_meeting_input(d))
        return self._detail(meeting.pk)

    @extend_schema(summary=gettext_lazy("Record minutes, attendance and decisions"),
                   request=PoliceHoldInput,
                   responses={200: PoliceMeetingDetailSerializer, **_errors(400, 403, 404, 409)})
    @route(detail=True, methods=["post"])
    def hold(self, request, pk=None):
        meeting = self._meeting(pk)
        d = _parse(PoliceHoldParse, request)
        services.meeting_hold(
            actor=request.user, meeting_id=meeting.pk, minutes=d["minutes"],
            attended_ids=d.get("attended", ()),
            actions=[services.ActionInput(
                title=a["title"], detail=a.get("detail", ""), side=a["side"],
                due_on=a["due_on"], owner_unit_id=a.get("owner_unit"),
                owner_partner_id=a.get("owner_partner"), owner_id=a.get("owner"))
                for a in _decision_rows(d.get("actions", ()))])
        return self._detail(meeting.pk)

    @extend_schema(summary=gettext_lazy("Cancel a planned meeting"), request=PoliceReasonInput,
                   responses={200: PoliceMeetingDetailSerializer, **_errors(400, 403, 404, 409)})
    @route(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        meeting = self._meeting(pk)
        d = _parse(PoliceReasonInput, request)
        services.meeting_cancel(actor=request.user, meeting_id=meeting.pk, reason=d["reason"])
        return self._detail(meeting.pk)


@extend_schema(tags=["police"])
class PoliceActionViewSet(viewsets.GenericViewSet):
    """Meeting actions (决定事项/督办事项) followed to done."""

    pagination_class = CountlessPagination
    filter_backends: list = []
    lookup_value_converter = "int"
    serializer_class = PoliceActionSerializer
    queryset = MeetingAction.objects.none()

    def _action(self, pk) -> MeetingAction:
        action = selectors.action_detail(pk)
        if action is None or not self.request.user.has_perm("police.view_action", action):
            raise NotFound(_("Action not found"))
        return action

    def _done(self, pk) -> Response:
        return Response(PoliceActionSerializer(selectors.action_detail(pk)).data)

    @extend_schema(summary=gettext_lazy("Actions visible to you, soonest due first"),
                   parameters=[PoliceActionQuery],
                   responses={200: PoliceActionSerializer(many=True), **_errors(400, 403)})
    def list(self, request):
        user = request.user
        if not (user.scope.sees_everything or user.has_perm("police.view_my_actions")):
            raise NotAllowed()
        q = _query(PoliceActionQuery, request)
        page = self.paginate_queryset(selectors.action_list(
            user, mine=q["mine"] or not user.scope.sees_everything,
            state=q.get("state") or "", overdue=q["overdue"], side=q.get("side") or "",
            partner_id=q.get("partner"), unit_id=q.get("unit"), meeting_id=q.get("meeting")))
        return self.get_paginated_response(PoliceActionSerializer(page, many=True).data)

    @extend_schema(summary=gettext_lazy("One action"),
                   responses={200: PoliceActionSerializer, **_errors(404)})
    def retrieve(self, request, pk=None):
        return Response(PoliceActionSerializer(self._action(pk)).data)

    @extend_schema(summary=gettext_lazy("Record progress of an open action"),
                   request=PoliceProgressInput,
                   responses={200: PoliceActionSerializer, **_errors(400, 403, 404, 409)})
    @route(detail=True, methods=["post"])
    def progress(self, request, pk=None):
        action = self._action(pk)
        d = _checked(PoliceProgressInput(data=request.data))
        services.action_progress(actor=request.user, action_id=action.pk,
                                 progress=d["progress"])
        return self._done(action.pk)

    @extend_schema(summary=gettext_lazy("Mark an action as done, with a note"),
                   request=PoliceCompleteInput,
                   responses={200: PoliceActionSerializer, **_errors(400, 403, 404, 409)})
    @route(detail=True, methods=["post"])
    def complete(self, request, pk=None):
        action = self._action(pk)
        d = _parse(PoliceCompleteInput, request)
        services.action_complete(actor=request.user, action_id=action.pk, note=d["note"])
        return self._done(action.pk)

    @extend_schema(summary=gettext_lazy("Reopen a done action (office)"),
                   request=PoliceReasonInput,
                   responses={200: PoliceActionSerializer, **_errors(400, 403, 404, 409)})
    @route(detail=True, methods=["post"])
    def reopen(self, request, pk=None):
        action = self._action(pk)
        d = _parse(PoliceReasonInput, request)
        services.action_reopen(actor=request.user, action_id=action.pk, reason=d["reason"])
        return self._done(action.pk)

    @extend_schema(summary=gettext_lazy("Drop an open action (office)"),
                   request=PoliceReasonInput,
                   responses={200: PoliceActionSerializer, **_errors(400, 403, 404, 409)})
    @route(detail=True, methods=["post"])
    def drop(self, request, pk=None):
        action = self._action(pk)
        d = _parse(PoliceReasonInput, request)
        services.action_drop(actor=request.user, action_id=action.pk, reason=d["reason"])
        return self._done(action.pk)


routes = [("v1/police/meetings", PoliceMeetingViewSet, "police-meeting"),
          ("v1/police/actions", PoliceActionViewSet, "police-action")]
