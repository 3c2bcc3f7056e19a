"""REST API of the hazard loop: ``/api/v1/hazards/…`` (house rule 5: thin entry points).

Each endpoint parses the request with a serializer, makes one call to
:mod:`safecampus.hazards.services` (writes) or :mod:`safecampus.hazards.selectors` (reads),
and renders the result; the browser pages call the same functions, so both behave the same.

Visibility: every read goes through ``hazard_list_visible_to`` / ``notice_list_visible_to``
(via ``hazard_ledger``, ``hazard_detail``, ``hazard_reported_by``): a hazard or notice the
user may not see answers 404 on every route. Acting on a visible hazard without the right
answers 403, in the wrong state or with a stale ``version`` 409, bad input 400 with
per-field messages. Anonymous reports never show their reporter to anyone but himself.
"""

import contextlib

from django.db.models import prefetch_related_objects
from django.urls import reverse
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
)
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from safecampus.core import clock
from safecampus.core.activity import activity_for
from safecampus.core.errors import Conflict, DomainError, NotAllowed
from safecampus.core.forms import MAX_ID, day_validators
from safecampus.core.idempotency import clean_key, idempotency_lookup
from safecampus.hazards import selectors, services
from safecampus.hazards.documents import notice_pdf_bytes
from safecampus.hazards.models import (
    UNIT_STATES,
    DeadlineBasis,
    Grade,
    Hazard,
    RectificationNotice,
    Source,
    Status,
)

from .exceptions import ErrorSerializer
from .fields import IdField
from .pagination import CountlessPagination
from .renderers import PdfRenderer

IDEMPOTENCY_HEADER = "Idempotency-Key"
# The scopes under which the services remember idempotency keys (core.idempotency).
REPORT_SCOPE = "hazards.report"
NOTICE_SCOPE = "hazards.notice_issue"

VERB_LABELS = {
    "hazards.report": gettext_lazy("Reported"),
    "hazards.confirm": gettext_lazy("Confirmed"),
    "hazards.reject": gettext_lazy("Rejected"),
    "hazards.mark_duplicate": gettext_lazy("Merged as duplicate"),
    "hazards.fix_on_spot": gettext_lazy("Fixed on the spot"),
    "hazards.issue_notice": gettext_lazy("Notice issued"),
    "hazards.acknowledge": gettext_lazy("Notice signed for"),
    "hazards.start_rectification": gettext_lazy("Rectification started"),
    "hazards.submit_evidence": gettext_lazy("Evidence submitted"),
    "hazards.verify": gettext_lazy("Verified and closed"),
    "hazards.return": gettext_lazy("Returned for rework"),
    "hazards.reroute": gettext_lazy("Re-routed to another unit"),
    "hazards.update": gettext_lazy("Details changed"),
    "hazards.request_extension": gettext_lazy("Extension requested"),
    "hazards.grant_extension": gettext_lazy("Extension granted"),
    "hazards.refuse_extension": gettext_lazy("Extension refused"),
    "hazards.submit_plan": gettext_lazy("Rectification plan submitted"),
    "hazards.remind": gettext_lazy("Deadline reminder sent"),
    "hazards.overdue": gettext_lazy("Marked overdue"),
    "hazards.escalate": gettext_lazy("Escalated"),
    "hazards.import": gettext_lazy("Imported from a ledger"),
    "notices.issue": gettext_lazy("Notice issued"),
    "notices.acknowledge": gettext_lazy("Signed for"),
    "notices.complete": gettext_lazy("All hazards closed"),
    "notices.cancel": gettext_lazy("Notice cancelled"),
}
STATE_LABELS = {**dict(Status.choices), **dict(RectificationNotice.State.choices)}


# --- helpers ---------------------------------------------------------------------------------
def _abs(request, url: str) -> str:
    return request.build_absolute_uri(url) if request is not None else url


def _person(user) -> str | None:
    return str(user) if user is not None else None


def reporter_visible(hazard: Hazard, viewer) -> bool:
    """The page's rule: the reporter is shown unless the report is anonymous, and always to
    the reporter himself."""
    return not hazard.is_anonymous or (viewer is not None and hazard.reporter_id == viewer.pk)


def _idempotency_key(request) -> str | None:
    """The ``Idempotency-Key`` header (8–64 of A–Z a–z 0–9 _ -); a malformed key is a 400
    rather than silently ignored, so a client never believes it is protected when it is not."""
    raw = request.headers.get(IDEMPOTENCY_HEADER)
    if raw is None or raw == "":
        return None
    key = clean_key(raw.strip())
    if key is None:
        message = _("The Idempotency-Key header must be 8 to 64 letters, digits, “_” or “-”.")
        raise DomainError(message, code="invalid_idempotency_key",
                          field_errors={IDEMPOTENCY_HEADER: [message]})
    return key


def _key_reused() -> Conflict:
    return Conflict(
        _("This Idempotency-Key was already used for a different request; use a new key."),
        code="idempotency_key_reused",
    )


def _stale() -> Conflict:
    return Conflict(
        _("Someone else changed this hazard while you were looking at it. "
          "Reload the page and try again."),
        code="stale",
    )


@contextlib.contextmanager
def _field_names(renames: dict[str, str]):
    """Rename a service's field-error keys to this endpoint's request field names."""
    try:
        yield
    except DomainError as error:
        error.field_errors = {renames.get(k, k): v for k, v in error.field_errors.items()}
        raise


def _parse(serializer_class, request, **kwargs):
    serializer = serializer_class(data=request.data, **kwargs)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def _photos(request) -> list:
    return request.FILES.getlist("photos") if request.FILES else []


# --- output serializers ----------------------------------------------------------------------
# Rows are rendered by light read-only fields rather than nested serializers: a 50-row ledger
# page is serialised in a few milliseconds instead of tens.
_LABELS: dict[tuple, dict[str, str]] = {}


def _labels(choices) -> dict[str, str]:
    """``{value: label}`` of a TextChoices class in the active language (cached per language)."""
    key = (choices, get_language())
    labels = _LABELS.get(key)
    if labels is None:
        labels = _LABELS[key] = {value: str(label) for value, label in choices.choices}
    return labels


@extend_schema_field(OpenApiTypes.STR)
class LabelField(serializers.Field):
    """The translated label of a choice (``status`` → "Rectifying" / "整改中")."""

    def __init__(self, choices, **kwargs):
        self.choices = choices
        super().__init__(read_only=True, **kwargs)

    def to_representation(self, value):
        return _labels(self.choices).get(value, value)


class NamedRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class CategoryRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField(help_text=gettext_lazy("In the user's language."))


class NoticeRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField()


@extend_schema_field(NamedRefSerializer)
class RefField(serializers.Field):
    """A campus, zone, building, place or unit as ``{"id", "name"}``."""

    def __init__(self, **kwargs):
        super().__init__(read_only=True, **kwargs)

    def to_representation(self, obj):
        return {"id": obj.pk, "name": obj.name}


@extend_schema_field(CategoryRefSerializer)
class CategoryRefField(RefField):
    def to_representation(self, obj):
        return {"id": obj.pk, "code": obj.code, "name": str(obj)}


@extend_schema_field(NoticeRefSerializer)
class NoticeRefField(RefField):
    def to_representation(self, obj):
        return {"id": obj.pk, "number": obj.number}


class ReporterSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField(source="__str__")


class HazardSerializer(serializers.ModelSerializer):
    """A ledger row. ``reporter`` is null for an anonymous report unless you reported it."""

    reference = serializers.CharField(read_only=True)
    status_display = LabelField(Status, source="status")
    grade_display = LabelField(Grade, source="grade")
    source_display = LabelField(Source, source="source")
    category = CategoryRefField()
    campus = RefField()
    building = RefField(allow_null=True)
    place = RefField(allow_null=True)
    responsible_unit = RefField(allow_null=True)
    current_notice = NoticeRefField(allow_null=True)
    reporter = serializers.SerializerMethodField()
    is_overdue = serializers.SerializerMethodField(
        help_text=gettext_lazy("Past the deadline and still owed by the unit."))
    url = serializers.SerializerMethodField()

    class Meta:
        model = Hazard
        fields = [
            "id", "reference", "url", "title", "status", "status_display", "grade",
            "grade_display", "category", "campus", "building", "place", "location_text",
            "source", "source_display", "responsible_unit", "reporter", "is_anonymous",
            "reported_at", "deadline", "is_overdue", "escalation_level", "current_notice",
            "closed_at", "version",
        ]
        read_only_fields = fields

    @extend_schema_field(ReporterSerializer(allow_null=True))
    def get_reporter(self, hazard) -> dict | None:
        request = self.context.get("request")
        viewer = getattr(request, "user", None)
        if hazard.reporter_id is None or not reporter_visible(hazard, viewer):
            return None
        return {"id": hazard.reporter_id, "name": str(hazard.reporter)}

    def get_is_overdue(self, hazard) -> bool:
        return bool(hazard.status in UNIT_STATES and hazard.deadline is not None
                    and hazard.deadline < clock.now())

    def get_url(self, hazard) -> str:
        return _abs(self.context.get("request"), reverse("api:hazard-detail", args=[hazard.pk]))


class PhotoSerializer(serializers.Serializer):
    """A photo served by the protected photo view (only to users who may see the hazard)."""

    id = serializers.IntegerField()
    stage = serializers.CharField()
    stage_display = serializers.CharField(source="get_stage_display")
    evidence = serializers.IntegerField(source="evidence_id", allow_null=True)
    url = serializers.SerializerMethodField()
    thumbnail_url = serializers.SerializerMethodField()

    def get_url(self, photo) -> str:
        return _abs(self.context.get("request"), reverse("hazards:photo", args=[photo.pk, "full"]))

    def get_thumbnail_url(self, photo) -> str:
        return _abs(self.context.get("request"), reverse("hazards:photo", args=[photo.pk, "thumb"]))


class EvidenceSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    kind_display = serializers.CharField(source="get_kind_display")
    text = serializers.CharField()
    submitted_by = serializers.SerializerMethodField()
    submitted_at = serializers.DateTimeField()
    photos = PhotoSerializer(many=True)

    def get_submitted_by(self, evidence) -> str | None:
        return _person(evidence.submitted_by)


class MilestoneSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    due_date = serializers.DateField()
    done_at = serializers.DateTimeField(read_only=True, allow_null=True)


class PlanSerializer(serializers.Serializer):
    plan = serializers.CharField()
    interim_measures = serializers.CharField()
    person_in_charge = serializers.CharField()
    funding = serializers.CharField()
    milestones = MilestoneSerializer(many=True)
    created_at = serializers.DateTimeField()


class ExtensionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    requested_deadline = serializers.DateField()
    reason = serializers.CharField()
    state = serializers.CharField()
    state_display = serializers.CharField(source="get_state_display")
    requested_by = serializers.SerializerMethodField()
    decided_by = serializers.SerializerMethodField()
    decided_at = serializers.DateTimeField(allow_null=True)
    decision_comment = serializers.CharField()
    decide_url = serializers.SerializerMethodField()

    def get_requested_by(self, extension) -> str | None:
        return _person(extension.requested_by)

    def get_decided_by(self, extension) -> str | None:
        return _person(extension.decided_by)

    def get_decide_url(self, extension) -> str:
        return _abs(self.context.get("request"),
                    reverse("api:extension-decide", args=[extension.pk]))


class TimelineEntrySerializer(serializers.Serializer):
    """One entry of the domain timeline (ActivityEntry), oldest first."""

    verb = serializers.CharField()
    verb_display = serializers.SerializerMethodField()
    actor = serializers.SerializerMethodField(
        help_text=gettext_lazy("Null for the system, and for the reporter of an anonymous report."))
    from_state = serializers.CharField()
    from_state_display = serializers.SerializerMethodField()
    to_state = serializers.CharField()
    to_state_display = serializers.SerializerMethodField()
    comment = serializers.CharField()
    occurred_at = serializers.DateTimeField()

    def get_verb_display(self, entry) -> str:
        return str(VERB_LABELS.get(entry.verb, entry.verb))

    def get_actor(self, entry) -> str | None:
        return _person(entry.actor)

    def get_from_state_display(self, entry) -> str:
        return str(STATE_LABELS.get(entry.from_state, entry.from_state))

    def get_to_state_display(self, entry) -> str:
        return str(STATE_LABELS.get(entry.to_state, entry.to_state))


def hazard_actions(hazard: Hazard, user) -> list[str]:
    """The transition endpoints ``user`` may call on ``hazard`` now (the forms its page
    offers), e.g. ``["confirm", "reject", "duplicate"]``; the services decide in the end."""
    s = hazard.status
    pending = any(e.state == "pending" for e in hazard.extensions.all())
    checks = [
        ("confirm", s == Status.REPORTED, "hazards.confirm_hazard"),
        ("reject", s == Status.REPORTED, "hazards.confirm_hazard"),
        ("duplicate", s == Status.REPORTED, "hazards.confirm_hazard"),
        ("fix-on-spot", s == Status.CONFIRMED, "hazards.fix_on_spot"),
        ("start-rectification", s in (Status.ACKNOWLEDGED, Status.RETURNED),
         "hazards.rectify_hazard"),
        ("evidence", s == Status.RECTIFYING, "hazards.rectify_hazard"),
        ("verify", s == Status.EVIDENCE_SUBMITTED, "hazards.verify_hazard"),
        ("return", s == Status.EVIDENCE_SUBMITTED, "hazards.verify_hazard"),
        ("relocate", hazard.is_open and s != Status.REPORTED, "hazards.edit_hazard"),
        ("extension-request", s in UNIT_STATES and hazard.deadline is not None and not pending,
         "hazards.request_extension"),
        ("plan", hazard.grade == Grade.MAJOR and hazard.is_open
         and s not in (Status.REPORTED, Status.EVIDENCE_SUBMITTED), "hazards.submit_plan"),
    ]
    return [name for name, state_ok, perm in checks if state_ok and user.has_perm(perm, hazard)]


class HazardDetailSerializer(HazardSerializer):
    """Everything the hazard page shows: photos, evidence, plan, extensions, timeline, and
    the actions the viewer may take now."""

    zone = RefField(allow_null=True)
    duplicate_of = serializers.IntegerField(source="duplicate_of_id", read_only=True,
                                            allow_null=True)
    photos = serializers.SerializerMethodField()
    evidence = EvidenceSerializer(many=True, read_only=True)
    plan = serializers.SerializerMethodField()
    extensions = ExtensionSerializer(many=True, read_only=True)
    timeline = serializers.SerializerMethodField()
    page_url = serializers.SerializerMethodField()
    actions = serializers.SerializerMethodField(help_text=gettext_lazy(
        "Transition endpoints you may call now, e.g. confirm, evidence, verify."))

    class Meta(HazardSerializer.Meta):
        fields = HazardSerializer.Meta.fields + [
            "description", "zone", "map_x", "map_y", "confirmed_at", "closed_on_time",
            "duplicate_of", "resolution_comment", "photos", "evidence", "plan", "extensions",
            "timeline", "actions", "page_url",
        ]
        read_only_fields = fields

    @extend_schema_field(PhotoSerializer(many=True))
    def get_photos(self, hazard):
        """Photos of the hazard as reported (evidence photos are listed with their evidence)."""
        photos = [p for p in hazard.photos.all() if p.evidence_id is None]
        return PhotoSerializer(photos, many=True, context=self.context).data

    @extend_schema_field(PlanSerializer(allow_null=True))
    def get_plan(self, hazard):
        plan = getattr(hazard, "plan", None)
        return PlanSerializer(plan).data if plan is not None else None

    @extend_schema_field(TimelineEntrySerializer(many=True))
    def get_timeline(self, hazard):
        return TimelineEntrySerializer(activity_for(hazard), many=True).data

    def get_page_url(self, hazard) -> str:
        return _abs(self.context.get("request"), reverse("hazards:detail", args=[hazard.pk]))

    def get_actions(self, hazard) -> list[str]:
        request = self.context.get("request")
        return hazard_actions(hazard, request.user) if request is not None else []


class NoticeHazardSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    reference = serializers.CharField()
    title = serializers.CharField()
    status = serializers.CharField()
    status_display = LabelField(Status, source="status")
    category = CategoryRefField()
    place = RefField(allow_null=True)
    location_text = serializers.CharField()


class NoticeSerializer(serializers.ModelSerializer):
    state_display = serializers.CharField(source="get_state_display", read_only=True)
    deadline_basis_display = serializers.CharField(source="get_deadline_basis_display",
                                                   read_only=True)
    unit = RefField()
    issued_by = serializers.SerializerMethodField()
    acknowledged_by = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField()
    pdf_url = serializers.SerializerMethodField()

    class Meta:
        model = RectificationNotice
        fields = [
            "id", "number", "url", "pdf_url", "year", "sequence", "unit", "state",
            "state_display", "requirements", "deadline_days", "deadline_basis",
            "deadline_basis_display", "deadline", "issued_by", "issued_at", "acknowledged_by",
            "acknowledged_at",
        ]
        read_only_fields = fields

    def get_issued_by(self, notice) -> str | None:
        return _person(notice.issued_by)

    def get_acknowledged_by(self, notice) -> str | None:
        return _person(notice.acknowledged_by)

    def get_url(self, notice) -> str:
        return _abs(self.context.get("request"), reverse("api:notice-detail", args=[notice.pk]))

    def get_pdf_url(self, notice) -> str:
        return _abs(self.context.get("request"), reverse("api:notice-pdf", args=[notice.pk]))


class NoticeDetailSerializer(NoticeSerializer):
    hazards = serializers.SerializerMethodField()
    timeline = serializers.SerializerMethodField()

    class Meta(NoticeSerializer.Meta):
        fields = NoticeSerializer.Meta.fields + ["hazards", "timeline"]
        read_only_fields = fields

    @extend_schema_field(NoticeHazardSerializer(many=True))
    def get_hazards(self, notice):
        return NoticeHazardSerializer(selectors.notice_hazards(notice), many=True).data

    @extend_schema_field(TimelineEntrySerializer(many=True))
    def get_timeline(self, notice):
        return TimelineEntrySerializer(activity_for(notice), many=True).data


# --- input serializers -----------------------------------------------------------------------
# Types are checked here; the rules (required text, known ids, states) are the services'
# and come back with the services' own messages.
class LedgerQuerySerializer(serializers.Serializer):
    """The ledger's filters (the same as the ledger page's)."""

    campus = IdField(required=False)
    unit = IdField(required=False)
    category = IdField(required=False)
    grade = serializers.ChoiceField(choices=Grade.choices, required=False)
    status = serializers.ChoiceField(
        choices=[("open", gettext_lazy("All open")), *Status.choices], required=False,
        help_text=gettext_lazy("A status, or “open” for every open status."))
    overdue = serializers.BooleanField(required=False, default=False)
    source = serializers.ChoiceField(choices=Source.choices, required=False)
    date_from = serializers.DateField(required=False, validators=day_validators(), help_text=(
        gettext_lazy("Reported on or after this local (Asia/Shanghai) day.")))
    date_to = serializers.DateField(required=False, validators=day_validators(), help_text=gettext_lazy(
        "Reported on or before this local (Asia/Shanghai) day."))
    q = serializers.CharField(required=False, allow_blank=True, max_length=100, help_text=(
        gettext_lazy("Text in title, description or location, or a number like YH2026-000123.")))

    def to_filters(self) -> selectors.LedgerFilters:
        d = self.validated_data
        return selectors.LedgerFilters(
            campus=d.get("campus"), unit=d.get("unit"), category=d.get("category"),
            grade=d.get("grade", ""), status=d.get("status", ""), overdue=d.get("overdue", False),
            source=d.get("source", ""), date_from=d.get("date_from"), date_to=d.get("date_to"),
            text=d.get("q", ""),
        )


class VersionedInput(serializers.Serializer):
    version = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, max_value=MAX_ID,
        help_text=gettext_lazy("The hazard's version you saw; a stale one answers 409."))


class ReportInput(serializers.Serializer):
    title = serializers.CharField(required=False, allow_blank=True, max_length=120)
    category = IdField(required=False, allow_null=True)
    campus = IdField(required=False, allow_null=True, help_text=gettext_lazy(
        "Optional when a building or place is given."))
    building = IdField(required=False, allow_null=True)
    place = IdField(required=False, allow_null=True)
    location_text = serializers.CharField(required=False, allow_blank=True, max_length=200)
    description = serializers.CharField(required=False, allow_blank=True)
    map_x = serializers.DecimalField(required=False, allow_null=True, max_digits=5,
                                     decimal_places=2, min_value=0, max_value=100)
    map_y = serializers.DecimalField(required=False, allow_null=True, max_digits=5,
                                     decimal_places=2, min_value=0, max_value=100)
    is_anonymous = serializers.BooleanField(required=False, default=False, help_text=gettext_lazy(
        "Hide your name from everyone else (ignored for office staff)."))
    grade = serializers.ChoiceField(choices=Grade.choices, required=False, help_text=gettext_lazy(
        "Office staff only; ignored for others."))
    source = serializers.ChoiceField(choices=Source.choices, required=False, help_text=gettext_lazy(
        "Office staff only; ignored for others. Not “ledger_import”."))

    def validate_source(self, value):
        if value == Source.LEDGER_IMPORT:
            raise serializers.ValidationError(_("Ledger rows are imported on the import page."))
        return value


class ReportMultipartInput(ReportInput):
    photos = serializers.ListField(child=serializers.FileField(), required=False,
                                   help_text=gettext_lazy("Up to 9 photos (JPEG, PNG, WebP, HEIC)."))


class CommentInput(VersionedInput):
    comment = serializers.CharField(required=False, allow_blank=True)


class ReasonInput(VersionedInput):
    reason = serializers.CharField(required=False, allow_blank=True, help_text=gettext_lazy(
        "Required; the other side will see it."))


class ConfirmInput(CommentInput):
    grade = serializers.ChoiceField(choices=Grade.choices, required=False)
    responsible_unit = IdField(required=False, allow_null=True)


class DuplicateInput(CommentInput):
    duplicate_of = IdField(required=False, allow_null=True)


class EvidenceInput(VersionedInput):
    text = serializers.CharField(required=False, allow_blank=True)


class EvidenceMultipartInput(EvidenceInput):
    photos = serializers.ListField(child=serializers.FileField(), required=False,
                                   help_text=gettext_lazy("1–9 photos of the fixed state."))


class RelocateInput(VersionedInput):
    category = IdField(required=False, allow_null=True)
    campus = IdField(required=False, allow_null=True)
    building = IdField(required=False, allow_null=True)
    place = IdField(required=False, allow_null=True)
    location_text = serializers.CharField(required=False, allow_blank=True, max_length=200)
    grade = serializers.ChoiceField(choices=Grade.choices, required=False)
    responsible_unit = IdField(required=False, allow_null=True, help_text=gettext_lazy(
        "Another active unit than the current one: assigned instead of the routed unit."))


class ExtensionRequestInput(VersionedInput):
    requested_deadline = serializers.DateField(required=False, allow_null=True,
                                               help_text=gettext_lazy("A local date."))
    reason = serializers.CharField(required=False, allow_blank=True)


class PlanInput(VersionedInput):
    plan = serializers.CharField(required=False, allow_blank=True)
    interim_measures = serializers.CharField(required=False, allow_blank=True)
    person_in_charge = serializers.CharField(required=False, allow_blank=True, max_length=64)
    funding = serializers.CharField(required=False, allow_blank=True, max_length=120)
    milestones = MilestoneSerializer(many=True, required=False)


class ExtensionDecisionInput(serializers.Serializer):
    decision = serializers.ChoiceField(choices=[("grant", gettext_lazy("Grant")),
                                                ("refuse", gettext_lazy("Refuse"))])
    comment = serializers.CharField(required=False, allow_blank=True, help_text=gettext_lazy(
        "Required when refusing."))


class NoticeIssueInput(serializers.Serializer):
    hazard_ids = serializers.ListField(child=IdField(), required=False)
    requirements = serializers.CharField(required=False, allow_blank=True)
    deadline_days = serializers.IntegerField(required=False, allow_null=True,
                                             help_text=gettext_lazy(
        "1 to 180. Default: by the highest risk level of the hazards' places "
        "(NOTICE_DAYS_BY_RISK)."))
    deadline_basis = serializers.ChoiceField(choices=DeadlineBasis.choices, required=False,
                                             default=DeadlineBasis.CALENDAR_DAYS)


# --- views -----------------------------------------------------------------------------------
def _visible_hazard(request, pk: int) -> Hazard:
    """The hazard with what its page shows, or 404 if absent or not visible to the user."""
    hazard = selectors.hazard_detail(request.user, pk)
    if hazard is None:
        raise NotFound(_("Hazard not found"))
    return hazard


def _hazard_response(request, pk: int, *, code=status.HTTP_200_OK) -> Response:
    """The hazard as the user may now see it (re-read after a write)."""
    hazard = _visible_hazard(request, pk)
    # people named on the page, joined up front: the query count does not grow with them
    prefetch_related_objects([hazard], "evidence__submitted_by", "extensions__requested_by",
                             "extensions__decided_by")
    return Response(HazardDetailSerializer(hazard, context={"request": request}).data,
                    status=code)


ERRORS = {
    400: OpenApiResponse(ErrorSerializer, description=gettext_lazy("Bad input; nothing changed.")),
    403: OpenApiResponse(ErrorSerializer, description=gettext_lazy("Not allowed.")),
    404: OpenApiResponse(ErrorSerializer, description=gettext_lazy("Absent or not visible to you.")),
    409: OpenApiResponse(ErrorSerializer, description=gettext_lazy(
        "Illegal in the current state, or stale version, or reused idempotency key.")),
}
IDEMPOTENCY_PARAMETER = OpenApiParameter(
    IDEMPOTENCY_HEADER, OpenApiTypes.STR, OpenApiParameter.HEADER, required=False,
    description=gettext_lazy("8–64 characters [A-Za-z0-9_-]; a retry with the same key returns "
                             "the first result instead of creating a second one."),
)


def _errors(*codes: int) -> dict:
    return {code: ERRORS[code] for code in codes}


def _transition_schema(request_serializer, summary, *, multipart=None, extra=None):
    body = {"application/json": request_serializer}
    if multipart is not None:
        body["multipart/form-data"] = multipart
    return extend_schema(
        summary=summary, request=body, parameters=extra or [],
        responses={200: HazardDetailSerializer, **_errors(400, 403, 404, 409)},
    )


@extend_schema(tags=["hazards"])
class HazardViewSet(viewsets.GenericViewSet):
    """Hazards (隐患): the ledger, one hazard, reporting, and every transition of the loop."""

    pagination_class = CountlessPagination
    parser_classes = [JSONParser, MultiPartParser, FormParser]
    filter_backends: list = []
    lookup_value_converter = "int"
    serializer_class = HazardSerializer
    queryset = Hazard.objects.none()  # reads go through the selectors, never through this

    # -- reads -----------------------------------------------------------------------------
    def _visible(self, pk) -> Hazard:
        return _visible_hazard(self.request, pk)

    def _render(self, pk, *, code=status.HTTP_200_OK) -> Response:
        return _hazard_response(self.request, pk, code=code)

    @extend_schema(
        summary=gettext_lazy("The hazard ledger (隐患台账)"),
        parameters=[LedgerQuerySerializer],
        responses={200: HazardSerializer(many=True), **_errors(400, 403)},
    )
    def list(self, request):
        if not request.user.has_perm("hazards.view_ledger"):
            raise NotAllowed()
        query = LedgerQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        rows = selectors.hazard_ledger(request.user, query.to_filters()).select_related(
            "reporter", "current_notice")
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(
        summary=gettext_lazy("Hazards I reported"),
        responses={200: HazardSerializer(many=True)},
    )
    @action(detail=False, methods=["get"])
    def mine(self, request):
        page = self.paginate_queryset(
            selectors.hazard_reported_by(request.user).select_related("responsible_unit",
                                                                      "current_notice",
                                                                      "reporter"))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(
        summary=gettext_lazy("One hazard with photos, evidence, plan and timeline"),
        responses={200: HazardDetailSerializer, **_errors(404)},
    )
    def retrieve(self, request, pk=None):
        return self._render(pk)

    # -- report ----------------------------------------------------------------------------
    @extend_schema(
        summary=gettext_lazy("Report a hazard"),
        description=gettext_lazy(
            "JSON without photos, or multipart/form-data with up to 9 `photos`. With an "
            "Idempotency-Key a retry returns the first hazard with 200 instead of 201."),
        request={"application/json": ReportInput, "multipart/form-data": ReportMultipartInput},
        parameters=[IDEMPOTENCY_PARAMETER],
        responses={201: HazardDetailSerializer, 200: HazardDetailSerializer,
                   **_errors(400, 409)},
    )
    def create(self, request):
        d = _parse(ReportInput, request)
        key = _idempotency_key(request)
        user = request.user
        replay = idempotency_lookup(scope=REPORT_SCOPE, key=key, model=Hazard, user=user) is not None
        staff = user.has_perm("hazards.confirm_hazard")
        hazard = services.hazard_report(
            reporter=user,
            title=d.get("title", ""),
            category_id=d.get("category"),
            campus_id=d.get("campus"),
            description=d.get("description", ""),
            building_id=d.get("building"),
            place_id=d.get("place"),
            location_text=d.get("location_text", ""),
            map_x=d.get("map_x"),
            map_y=d.get("map_y"),
            grade=d.get("grade", Grade.GENERAL) if staff else Grade.GENERAL,
            source=d.get("source", Source.OFFICE) if staff else Source.REPORT,
            is_anonymous=False if staff else d.get("is_anonymous", False),
            photos=_photos(request),
            idempotency_key=key,
        )
        if hazard.reporter_id != user.pk:
            raise _key_reused()
        return self._render(hazard.pk, code=status.HTTP_200_OK if replay else status.HTTP_201_CREATED)

    # -- transitions -----------------------------------------------------------------------
    @_transition_schema(ConfirmInput, gettext_lazy("Confirm a reported hazard (office)"))
    @action(detail=True, methods=["post"])
    def confirm(self, request, pk=None):
        hazard = self._visible(pk)
        d = _parse(ConfirmInput, request)
        services.hazard_confirm(actor=request.user, hazard_id=hazard.pk, version=d.get("version"),
                                grade=d.get("grade"), responsible_unit_id=d.get("responsible_unit"),
                                comment=d.get("comment", ""))
        return self._render(pk)

    @_transition_schema(ReasonInput, gettext_lazy("Reject a report, with a reason (office)"))
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        hazard = self._visible(pk)
        d = _parse(ReasonInput, request)
        with _field_names({"comment": "reason"}):
            services.hazard_reject(actor=request.user, hazard_id=hazard.pk,
                                   version=d.get("version"), reason=d.get("reason", ""))
        return self._render(pk)

    @_transition_schema(DuplicateInput, gettext_lazy("Merge a report into another hazard (office)"))
    @action(detail=True, methods=["post"])
    def duplicate(self, request, pk=None):
        hazard = self._visible(pk)
        d = _parse(DuplicateInput, request)
        services.hazard_mark_duplicate(actor=request.user, hazard_id=hazard.pk,
                                       version=d.get("version"),
                                       duplicate_of_id=d.get("duplicate_of"),
                                       comment=d.get("comment", ""))
        return self._render(pk)

    @_transition_schema(EvidenceInput, gettext_lazy("Close as fixed on the spot (office)"),
                        multipart=EvidenceMultipartInput)
    @action(detail=True, methods=["post"], url_path="fix-on-spot")
    def fix_on_spot(self, request, pk=None):
        hazard = self._visible(pk)
        d = _parse(EvidenceInput, request)
        services.hazard_fix_on_spot(actor=request.user, hazard_id=hazard.pk,
                                    version=d.get("version"), text=d.get("text", ""),
                                    photos=_photos(request))
        return self._render(pk)

    @_transition_schema(CommentInput, gettext_lazy("Start (or resume) rectification (unit)"))
    @action(detail=True, methods=["post"], url_path="start-rectification")
    def start_rectification(self, request, pk=None):
        hazard = self._visible(pk)
        d = _parse(CommentInput, request)
        services.hazard_start_rectification(actor=request.user, hazard_id=hazard.pk,
                                            version=d.get("version"), comment=d.get("comment", ""))
        return self._render(pk)

    @_transition_schema(EvidenceInput, gettext_lazy("Submit rectification evidence (unit)"),
                        multipart=EvidenceMultipartInput, extra=[IDEMPOTENCY_PARAMETER])
    @action(detail=True, methods=["post"])
    def evidence(self, request, pk=None):
        hazard = self._visible(pk)
        d = _parse(EvidenceInput, request)
        evidence = services.evidence_submit(
            actor=request.user, hazard_id=hazard.pk, version=d.get("version"),
            text=d.get("text", ""), photos=_photos(request),
            idempotency_key=_idempotency_key(request))
        if evidence.hazard_id != hazard.pk:
            raise _key_reused()
        return self._render(pk)

    @_transition_schema(CommentInput, gettext_lazy("Verify and close (office)"))
    @action(detail=True, methods=["post"])
    def verify(self, request, pk=None):
        hazard = self._visible(pk)
        d = _parse(CommentInput, request)
        services.hazard_verify(actor=request.user, hazard_id=hazard.pk, version=d.get("version"),
                               comment=d.get("comment", ""))
        return self._render(pk)

    @_transition_schema(ReasonInput, gettext_lazy("Return for rework, with a reason (office)"))
    @action(detail=True, methods=["post"], url_path="return")
    def return_for_rework(self, request, pk=None):
        hazard = self._visible(pk)
        d = _parse(ReasonInput, request)
        with _field_names({"comment": "reason"}):
            services.hazard_return(actor=request.user, hazard_id=hazard.pk,
                                   version=d.get("version"), reason=d.get("reason", ""))
        return self._render(pk)

    @_transition_schema(RelocateInput, gettext_lazy(
        "Change category, grade, place or unit; routing is recomputed (office)"))
    @action(detail=True, methods=["post"])
    def relocate(self, request, pk=None):
        hazard = self._visible(pk)
        d = _parse(RelocateInput, request)
        services.hazard_update_location(
            actor=request.user, hazard_id=hazard.pk, version=d.get("version"),
            category_id=d.get("category"), campus_id=d.get("campus"),
            building_id=d.get("building"), place_id=d.get("place"),
            location_text=d.get("location_text", ""), grade=d.get("grade"),
            responsible_unit_id=d.get("responsible_unit"))
        return self._render(pk)

    @_transition_schema(ExtensionRequestInput, gettext_lazy("Ask for a later deadline (unit)"))
    @action(detail=True, methods=["post"], url_path="extension-request")
    def extension_request(self, request, pk=None):
        hazard = self._visible(pk)
        d = _parse(ExtensionRequestInput, request)
        if d.get("version") is not None and d["version"] != hazard.version:
            raise _stale()
        services.extension_request(actor=request.user, hazard_id=hazard.pk,
                                   requested_deadline=d.get("requested_deadline"),
                                   reason=d.get("reason", ""))
        return self._render(pk)

    @_transition_schema(PlanInput, gettext_lazy(
        "Submit a major hazard's rectification plan with interim measures and milestones"))
    @action(detail=True, methods=["post"])
    def plan(self, request, pk=None):
        hazard = self._visible(pk)
        d = _parse(PlanInput, request)
        if d.get("version") is not None and d["version"] != hazard.version:
            raise _stale()
        services.plan_submit(
            actor=request.user, hazard_id=hazard.pk, plan=d.get("plan", ""),
            interim_measures=d.get("interim_measures", ""),
            person_in_charge=d.get("person_in_charge", ""), funding=d.get("funding", ""),
            milestones=[(m["title"], m["due_date"]) for m in d.get("milestones", [])])
        return self._render(pk)


@extend_schema(tags=["hazards"])
class ExtensionViewSet(viewsets.GenericViewSet):
    """Deadline extension requests: the office's decision."""

    parser_classes = [JSONParser, FormParser]
    filter_backends: list = []
    lookup_value_converter = "int"
    serializer_class = ExtensionDecisionInput
    queryset = Hazard.objects.none()

    @extend_schema(
        summary=gettext_lazy("Grant or refuse a deadline extension (office)"),
        request=ExtensionDecisionInput,
        responses={200: HazardDetailSerializer, **_errors(400, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"])
    def decide(self, request, pk=None):
        hazard = selectors.hazard_list_visible_to(request.user).filter(extensions__pk=pk).first()
        if hazard is None:
            raise NotFound(_("Extension request not found"))
        d = _parse(ExtensionDecisionInput, request)
        services.extension_decide(actor=request.user, extension_id=pk,
                                  grant=d["decision"] == "grant", comment=d.get("comment", ""))
        return _hazard_response(request, hazard.pk)


@extend_schema(tags=["notices"])
class NoticeViewSet(viewsets.GenericViewSet):
    """Rectification notices (隐患整改通知单): list, one notice, issue, sign for, print."""

    pagination_class = CountlessPagination
    parser_classes = [JSONParser, FormParser]
    filter_backends: list = []
    lookup_value_converter = "int"
    serializer_class = NoticeSerializer
    queryset = RectificationNotice.objects.none()

    def _visible(self, pk) -> RectificationNotice:
        notice = selectors.notice_list_visible_to(self.request.user).filter(pk=pk).first()
        if notice is None:
            raise NotFound(_("Notice not found"))
        return notice

    def _render(self, pk, *, code=status.HTTP_200_OK) -> Response:
        return Response(
            NoticeDetailSerializer(self._visible(pk), context=self.get_serializer_context()).data,
            status=code,
        )

    @extend_schema(summary=gettext_lazy("Notices you may see"),
                   responses={200: NoticeSerializer(many=True), **_errors(403)})
    def list(self, request):
        if not request.user.has_perm("hazards.view_ledger"):
            raise NotAllowed()
        page = self.paginate_queryset(selectors.notice_list_visible_to(request.user))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(summary=gettext_lazy("One notice with its hazards and timeline"),
                   responses={200: NoticeDetailSerializer, **_errors(404)})
    def retrieve(self, request, pk=None):
        return self._render(pk)

    @extend_schema(
        summary=gettext_lazy("Issue a numbered notice for confirmed hazards of one unit (office)"),
        request=NoticeIssueInput,
        parameters=[IDEMPOTENCY_PARAMETER],
        responses={201: NoticeDetailSerializer, 200: NoticeDetailSerializer,
                   **_errors(400, 403, 409)},
    )
    def create(self, request):
        d = _parse(NoticeIssueInput, request)
        key = _idempotency_key(request)
        replay = idempotency_lookup(scope=NOTICE_SCOPE, key=key, model=RectificationNotice,
                                    user=request.user) is not None
        with _field_names({"hazards": "hazard_ids"}):
            notice = services.notice_issue(
                actor=request.user, hazard_ids=d.get("hazard_ids", []),
                requirements=d.get("requirements", ""),
                deadline_days=(d["deadline_days"] if d.get("deadline_days") is not None
                               else selectors.notice_days_default(d.get("hazard_ids", []))),
                deadline_basis=d.get("deadline_basis", DeadlineBasis.CALENDAR_DAYS),
                idempotency_key=key)
        if notice.issued_by_id != request.user.pk:
            raise _key_reused()
        return self._render(notice.pk, code=status.HTTP_200_OK if replay else status.HTTP_201_CREATED)

    @extend_schema(summary=gettext_lazy("Sign for a notice (unit)"), request=None,
                   responses={200: NoticeDetailSerializer, **_errors(403, 404, 409)})
    @action(detail=True, methods=["post"])
    def acknowledge(self, request, pk=None):
        notice = self._visible(pk)
        services.notice_acknowledge(actor=request.user, notice_id=notice.pk)
        return self._render(pk)

    @extend_schema(
        summary=gettext_lazy("The printable notice as an A4 PDF"),
        responses={(200, "application/pdf"): OpenApiTypes.BINARY, **_errors(404)},
    )
    @action(detail=True, methods=["get"], renderer_classes=[JSONRenderer, PdfRenderer])
    def pdf(self, request, pk=None):
        from django.http import HttpResponse

        notice = self._visible(pk)
        response = HttpResponse(notice_pdf_bytes(notice), content_type="application/pdf")
        response["Content-Disposition"] = (
            f'inline; filename="notice-{notice.year}-{notice.sequence:04d}.pdf"'
        )
        return response
