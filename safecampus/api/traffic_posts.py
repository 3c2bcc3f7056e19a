"""REST API of traffic duty posts (交通执勤岗): ``/api/v1/traffic/posts/…`` (thin entry points).

- ``posts/``: active duty posts with their state now (staffed, unstaffed, waiting, starting,
  off) and the duty running or next today; ``posts/{id}/`` one post (also one out of use);
- ``posts/sign-in/`` (POST): a guard signs in at a post by the code from its QR (or the typed
  manual code), with the phone's time, its id of the sign-in (``client_id``) and position.
  The same ``client_id`` again returns the stored sign-in with 200 instead of 201;
- ``posts/{id}/log/``: the post's log, newest first; POST adds a line (``Idempotency-Key``).

Reads go through :mod:`safecampus.traffic.selectors.posts`, writes call
:mod:`safecampus.traffic.services.posts` as the pages do: bad input 400 (an unknown, forged or
replaced code with code ``unknown_code`` / ``forged_code`` / ``revoked_code``), not allowed
403. ``kind`` and ``method`` are plain strings here (the service checks them), so their
choices do not add enum components that collide with other modules' "Kind" or "Method".
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
from safecampus.traffic.models import DutyPost, PostLogEntry, PostSignIn
from safecampus.traffic.selectors import posts as selectors
from safecampus.traffic.services import posts as services

from .duty import _parse, _query
from .fields import DegreesField
from .hazards import (
    IDEMPOTENCY_PARAMETER,
    LabelField,
    RefField,
    _errors,
    _idempotency_key,
    _key_reused,
)
from .inspections import PersonField
from .pagination import CountlessPagination


# --- output ----------------------------------------------------------------------------------
class PostDutyOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField(source="duty_time.name")
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    first_sign_in_at = serializers.DateTimeField(allow_null=True)


class SignedInOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    signed_at = serializers.DateTimeField()


class PostStatusOutput(serializers.Serializer):
    state = serializers.CharField(help_text=gettext_lazy(
        "staffed, unstaffed, waiting (running, nobody yet, still within the grace minutes), "
        "starting (within the hour) or off."))
    state_display = serializers.CharField(source="label")
    duty = PostDutyOutput(allow_null=True, help_text=gettext_lazy(
        "The duty running now, else the next one today."))
    guards = serializers.ListField(child=PersonField(), help_text=gettext_lazy(
        "Rostered on that duty."))
    signed_in = serializers.SerializerMethodField(help_text=gettext_lazy(
        "Who signed in on that duty, first sign-in each."))

    @extend_schema_field(SignedInOutput(many=True))
    def get_signed_in(self, row) -> list[dict]:
        return [{"id": s.guard_id, "name": str(s.guard), "signed_at": s.signed_at}
                for s in row.signed_in]


class DutyPostSerializer(serializers.ModelSerializer):
    kind_display = LabelField(DutyPost.Kind, source="kind")
    campus = RefField()
    place = RefField(allow_null=True)
    now = serializers.SerializerMethodField()

    class Meta:
        model = DutyPost
        fields = ["id", "name", "kind", "kind_display", "campus", "place", "duties",
                  "latitude", "longitude", "radius_m", "is_active", "now"]
        read_only_fields = fields

    @extend_schema_field(PostStatusOutput)
    def get_now(self, post) -> dict:
        row = self.context.get("rows", {}).get(post.pk) or selectors.post_now(post)
        return PostStatusOutput(row).data


class PostSignInSerializer(serializers.ModelSerializer):
    post = serializers.IntegerField(source="post_id", read_only=True)
    duty = serializers.IntegerField(source="duty_id", read_only=True, allow_null=True)
    guard = PersonField()
    method_display = LabelField(PostSignIn.Method, source="method")
    flags = serializers.ListField(child=serializers.CharField(), help_text=gettext_lazy(
        "far_from_post, not_rostered, outside_duty, future_time, late."))

    class Meta:
        model = PostSignIn
        fields = ["id", "post", "duty", "guard", "method", "method_display", "signed_at",
                  "received_at", "latitude", "longitude", "distance_m", "flags", "client_id"]
        read_only_fields = fields


class PostLogEntrySerializer(serializers.ModelSerializer):
    post = serializers.IntegerField(source="post_id", read_only=True)
    duty = serializers.IntegerField(source="duty_id", read_only=True, allow_null=True)
    author = PersonField(allow_null=True)
    kind_display = LabelField(PostLogEntry.Kind, source="kind")

    class Meta:
        model = PostLogEntry
        fields = ["id", "post", "duty", "author", "kind", "kind_display", "text", "logged_at"]
        read_only_fields = fields


# --- input -----------------------------------------------------------------------------------
class PostQuerySerializer(serializers.Serializer):
    campus = serializers.IntegerField(required=False, min_value=1,
                                      label=gettext_lazy("Campus"))


class SignInInput(serializers.Serializer):
    code = serializers.CharField(max_length=200, label=gettext_lazy("Post code"),
                                 help_text=gettext_lazy(
                                     "The QR code's content (its URL) or the manual code."))
    client_id = serializers.UUIDField(label=gettext_lazy("Client id"), help_text=gettext_lazy(
        "The phone's id of this sign-in; sending it again creates nothing new."))
    signed_at = serializers.DateTimeField(required=False, allow_null=True,
                                          label=gettext_lazy("Signed in at"),
                                          help_text=gettext_lazy(
                                              "The phone's clock, ISO 8601; default now."))
    latitude = DegreesField(limit=90)
    longitude = DegreesField(limit=180)
    method = serializers.CharField(required=False, allow_blank=True, max_length=8,
                                   label=gettext_lazy("Method"),
                                   help_text=gettext_lazy("qr or manual; default: as the code "
                                                          "says."))


class LogEntryInput(serializers.Serializer):
    text = serializers.CharField(max_length=2000, label=gettext_lazy("Text"))
    kind = serializers.CharField(required=False, default=PostLogEntry.Kind.NOTE, max_length=12,
                                 label=gettext_lazy("Type"), help_text=gettext_lazy(
                                     "note, congestion, incident or handover."))


# --- views -----------------------------------------------------------------------------------
@extend_schema(tags=["traffic"])
class DutyPostViewSet(viewsets.GenericViewSet):
    """Traffic duty posts, their state now, sign-ins and log."""

    pagination_class = CountlessPagination
    filter_backends: list = []
    lookup_value_converter = "int"
    serializer_class = DutyPostSerializer
    queryset = DutyPost.objects.none()  # reads go through the selectors

    def _require(self, perm: str) -> None:
        if not self.request.user.has_perm(perm):
            raise NotAllowed()

    def _post(self, pk) -> DutyPost:
        self._require("traffic.view_duty_posts")
        post = DutyPost.objects.select_related("campus", "place").filter(pk=pk).first()
        if post is None:
            raise NotFound(_("Duty post not found"))
        return post

    @extend_schema(summary=gettext_lazy("Active duty posts with their state now, worst first"),
                   parameters=[PostQuerySerializer],
                   responses={200: DutyPostSerializer(many=True), **_errors(400, 403)})
    def list(self, request):
        self._require("traffic.view_duty_posts")
        q = _query(PostQuerySerializer, request)
        rows = selectors.posts_now(campus_id=q.get("campus"))
        page = self.paginate_queryset([row.post for row in rows])
        context = {**self.get_serializer_context(), "rows": {r.post.pk: r for r in rows}}
        return self.get_paginated_response(
            DutyPostSerializer(page, many=True, context=context).data)

    @extend_schema(summary=gettext_lazy("One duty post with its state now"),
                   responses={200: DutyPostSerializer, **_errors(403, 404)})
    def retrieve(self, request, pk=None):
        return Response(self.get_serializer(self._post(pk)).data)

    @extend_schema(
        summary=gettext_lazy("Sign in at a post"),
        description=gettext_lazy(
            "The sign-in belongs to the post's duty running at the phone's time (from the "
            "sign-in margin before its start to its end) and is flagged, not refused, when far "
            "from the post, not rostered, outside any duty, with the phone's time in the "
            "future, or late (received more than five minutes after the phone's time or after "
            "the duty ended: such a sign-in never makes the duty staffed). The same client_id "
            "again returns the stored sign-in with 200."),
        request=SignInInput,
        responses={201: PostSignInSerializer, 200: PostSignInSerializer,
                   **_errors(400, 403)})
    @action(detail=False, methods=["post"], url_path="sign-in")
    def sign_in(self, request):
        self._require("traffic.sign_in_post")
        d = _parse(SignInInput, request)
        outcome = services.post_sign_in(
            actor=request.user, code=d["code"], signed_at=d.get("signed_at"),
            client_id=d["client_id"], latitude=d.get("latitude"),
            longitude=d.get("longitude"), method=d.get("method") or None)
        return Response(PostSignInSerializer(outcome.sign_in).data,
                        status=status.HTTP_201_CREATED if outcome.created else status.HTTP_200_OK)

    @extend_schema(summary=gettext_lazy("A post's sign-ins, newest first"),
                   responses={200: PostSignInSerializer(many=True), **_errors(403, 404)})
    @action(detail=True, methods=["get"], url_path="sign-ins")
    def sign_ins(self, request, pk=None):
        post = self._post(pk)
        page = self.paginate_queryset(selectors.post_sign_ins(post))
        return self.get_paginated_response(PostSignInSerializer(page, many=True).data)

    @extend_schema(methods=["GET"], summary=gettext_lazy("A post's log, newest first"),
                   responses={200: PostLogEntrySerializer(many=True), **_errors(403, 404)})
    @extend_schema(methods=["POST"], summary=gettext_lazy("Add a line to a post's log"),
                   request=LogEntryInput, parameters=[IDEMPOTENCY_PARAMETER],
                   responses={201: PostLogEntrySerializer, 200: PostLogEntrySerializer,
                              **_errors(400, 403, 404, 409)})
    @action(detail=True, methods=["get", "post"])
    def log(self, request, pk=None):
        post = self._post(pk)
        if request.method == "GET":
            page = self.paginate_queryset(selectors.post_log(post))
            return self.get_paginated_response(PostLogEntrySerializer(page, many=True).data)
        self._require("traffic.sign_in_post")
        d = _parse(LogEntryInput, request)
        key = _idempotency_key(request)
        replay = idempotency_lookup(scope=services.LOG_SCOPE, key=key, model=PostLogEntry,
                                    user=request.user) is not None
        entry = services.post_log_add(actor=request.user, post_id=post.pk, text=d["text"],
                                      kind=d["kind"], idempotency_key=key)
        if entry.author_id != request.user.pk:
            raise _key_reused()
        return Response(PostLogEntrySerializer(entry).data,
                        status=status.HTTP_200_OK if replay else status.HTTP_201_CREATED)


routes = [("v1/traffic/posts", DutyPostViewSet, "duty-post")]
