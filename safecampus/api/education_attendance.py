"""REST API of attendance at education activities: ``/api/v1/education/attendance/…``
(thin entry points).

- ``attendance/?activity=<id>``: the activity's attendance list (by college or unit), for
  the office, leadership and the activity's organisers;
- ``attendance/`` (POST): the signed-in user signs in with the code from the activity's QR
  (its URL, the signed code or the typed manual code), the phone's time and position.
  Idempotent: signing in again returns the stored attendance with 200 instead of 201;
- ``attendance/mine/``: the user's own attendances, newest first.

Reads go through :mod:`safecampus.education.selectors.attendance`, writes call
:mod:`safecampus.education.services.attendance` as the pages do: bad input 400 (a forged,
unknown or replaced code with ``forged_code`` / ``unknown_code`` / ``revoked_code``; refusals
``cancelled``, ``sign_in_closed``, ``too_early``, ``too_late``), not allowed 403. ``method``
is a plain string (no enum component to collide with other modules' "Method").
"""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from safecampus.core.errors import NotAllowed
from safecampus.education.models import Attendance
from safecampus.education.selectors import attendance as selectors
from safecampus.education.services import attendance as services

from .duty import _parse, _query
from .fields import DegreesField, IdField
from .hazards import LabelField, RefField, _errors
from .inspections import PersonField
from .pagination import CountlessPagination


class AttendanceActivitySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    kind = serializers.CharField()
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()


class AttendanceSerializer(serializers.ModelSerializer):
    activity = AttendanceActivitySerializer()
    user = PersonField()
    employee_number = serializers.CharField(source="user.employee_number")
    college = RefField(allow_null=True)
    class_group = RefField(allow_null=True)
    method = serializers.CharField(help_text=gettext_lazy("qr, manual or import."))
    method_display = LabelField(Attendance.Method, source="method")

    class Meta:
        model = Attendance
        fields = ["id", "activity", "user", "employee_number", "college", "class_group",
                  "signed_in_at", "method", "method_display", "distance_m", "far_away"]
        read_only_fields = fields


class AttendanceQuerySerializer(serializers.Serializer):
    activity = IdField(label=gettext_lazy("Activity"))


class AttendanceSignInInput(serializers.Serializer):
    code = serializers.CharField(max_length=300, label=gettext_lazy("Sign-in code"),
                                 help_text=gettext_lazy(
                                     "The QR code's content (its URL), the signed code, or "
                                     "the manual code printed under the QR code."))
    signed_at = serializers.DateTimeField(required=False, allow_null=True,
                                          label=gettext_lazy("Signed in at"),
                                          help_text=gettext_lazy(
                                              "The phone's clock, ISO 8601; default now."))
    latitude = DegreesField(limit=90)
    longitude = DegreesField(limit=180)


def _rows(queryset):
    return queryset.select_related("activity")


@extend_schema(tags=["education"])
class AttendanceViewSet(viewsets.GenericViewSet):
    """Attendance at trainings, drills and other education activities."""

    pagination_class = CountlessPagination
    filter_backends: list = []
    serializer_class = AttendanceSerializer
    queryset = Attendance.objects.none()  # reads go through the selectors

    @extend_schema(summary=gettext_lazy("An activity's attendance list, by college or unit"),
                   parameters=[AttendanceQuerySerializer],
                   responses={200: AttendanceSerializer(many=True), **_errors(400, 403, 404)})
    def list(self, request):
        q = _query(AttendanceQuerySerializer, request)
        activity = selectors.activity_get(q["activity"])
        if activity is None:
            raise NotFound(_("Activity not found"))
        if not request.user.has_perm("education.view_activity_attendance", activity):
            raise NotAllowed()
        page = self.paginate_queryset(_rows(selectors.attendance_list(activity)))
        return self.get_paginated_response(AttendanceSerializer(page, many=True).data)

    @extend_schema(
        summary=gettext_lazy("Sign in at an activity"),
        description=gettext_lazy(
            "Sign-in is possible while the organiser has it open, from one hour before the "
            "activity starts to two hours after it ends, unless it was cancelled. A position "
            "farther than the activity's allowed distance is flagged (far_away), not refused. "
            "Signing in again returns the stored attendance with 200."),
        request=AttendanceSignInInput,
        responses={201: AttendanceSerializer, 200: AttendanceSerializer, **_errors(400, 403)})
    def create(self, request):
        if not request.user.has_perm("education.sign_in_activity"):
            raise NotAllowed()
        d = _parse(AttendanceSignInInput, request)
        outcome = services.attendance_sign_in(
            actor=request.user, code=d["code"], signed_at=d.get("signed_at"),
            latitude=d.get("latitude"), longitude=d.get("longitude"))
        return Response(AttendanceSerializer(outcome.attendance).data,
                        status=status.HTTP_201_CREATED if outcome.created else status.HTTP_200_OK)

    @extend_schema(summary=gettext_lazy("My attendances, newest first"),
                   responses={200: AttendanceSerializer(many=True), **_errors(403)})
    @action(detail=False, methods=["get"])
    def mine(self, request):
        if not request.user.is_authenticated:
            raise NotAllowed()
        page = self.paginate_queryset(selectors.my_attendances(request.user)
                                      .select_related("college", "class_group", "user"))
        return self.get_paginated_response(AttendanceSerializer(page, many=True).data)


routes = [("v1/education/attendance", AttendanceViewSet, "education-attendance")]
