"""Pages of the attendance area: the page of an activity's QR link ``/education/a/<code>/``
(opened by a phone's camera app: the activity and one sign-in button; GET writes nothing),
the scanner page, an activity's attendance list by unit with who of the expected audience
did not come (manual additions, list import, Excel export), the sign-in controls and the
poster (page and A4 PDF), "my trainings and activities", the office's and counsellors'
person records, and the trainings and drills page. Views are thin (house rule 5)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from safecampus.core import clock
from safecampus.core.errors import DomainError
from safecampus.core.forms import apply_domain_error
from safecampus.core.pagination import paginate
from safecampus.core.spreadsheets import (
    XLSX_CONTENT_TYPE,
    ImportRejected,
    content_disposition,
    write_xlsx,
)
from safecampus.core.views import require_perm

from .. import documents_attendance as documents
from ..forms.attendance import AddPersonForm, ImportListForm, PersonSearchForm, SignInForm
from ..models import Attendance
from ..qr import activity_url
from ..selectors import attendance as selectors
from ..services import attendance as services

PER_PAGE = 100
ABSENT_SHOWN = 200
TRAININGS_PER_PAGE = 20
RECORDS_PER_PAGE = 30


def _activity_or_404(pk: int):
    activity = selectors.activity_get(pk)
    if activity is None:
        raise Http404(_("Activity not found"))
    return activity


def _signed_in_message(request, attendance: Attendance, created: bool) -> None:
    local = attendance.signed_in_at.astimezone(clock.local_zone())
    values = {"activity": attendance.activity.title, "time": f"{local:%H:%M}"}
    if not created:
        messages.info(request, _("You are already signed in at %(activity)s (since %(time)s).")
                      % values)
    elif attendance.far_away:
        messages.warning(request, _("Signed in at %(activity)s at %(time)s. Your phone's "
                                    "position is far from the activity; the organiser sees "
                                    "this.") % values)
    else:
        messages.success(request, _("Signed in at %(activity)s at %(time)s.") % values)


def _sign_in(request, form: SignInForm, code: str):
    """Sign in with a valid ``form``: the attendance, or None after putting the service's
    refusal into the form."""
    data = form.cleaned_data
    try:
        outcome = services.attendance_sign_in(
            actor=request.user, code=code, signed_at=form.signed_at_value(),
            latitude=data["latitude"], longitude=data["longitude"])
    except DomainError as error:
        if error.field_errors:
            apply_domain_error(form, error)
        else:
            form.add_error("code", error.message)
        return None
    _signed_in_message(request, outcome.attendance, outcome.created)
    return outcome.attendance


@login_required
def sign_in_code(request, code: str):
    """The page of an activity's QR link (after login). GET shows the activity, whether
    sign-in is possible now and one big button, and writes nothing (a link preview or a
    prefetch signs nobody in); the tap POSTs here with the phone's time and position. Signing
    in twice keeps one attendance."""
    require_perm(request, "education.sign_in_activity")
    try:
        activity = services.activity_resolve(code)
    except DomainError as error:
        return render(request, "education/attendance/sign_in_code.html",
                      {"refusal": error.message}, status=400)
    status = 200
    if request.method == "POST":
        form = SignInForm({**request.POST.dict(), "code": code})
        if form.is_valid() and _sign_in(request, form, code) is not None:
            return redirect(request.path)
        status = 400
    else:
        form = SignInForm(initial={"code": code})
    mine = Attendance.objects.filter(activity=activity, user=request.user).first()
    refusal = None if mine else services.sign_in_refusal(activity, clock.now())
    errors = list(dict.fromkeys(str(m) for ms in form.errors.values() for m in ms))
    return render(request, "education/attendance/sign_in_code.html", {
        "activity": activity, "form": form, "mine": mine, "errors": errors,
        "closed": refusal.message if refusal else "",
    }, status=status)


@login_required
def scan(request):
    """The scanner: the phone's camera reads the poster's QR (or the address is pasted) and
    signs in."""
    require_perm(request, "education.sign_in_activity")
    form = SignInForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            attendance = _sign_in(request, form, form.cleaned_data["code"])
            if attendance is not None:
                return redirect("education:attendance_mine")
        status = 400
    return render(request, "education/attendance/scan.html", {
        "form": form,
        "scan_config": {
            "jsqrUrl": static("vendor/jsqr/jsQR.js"),
            "text": {
                "cameraStarting": _("Starting the camera…"),
                "cameraReady": _("Point the camera at the QR code on the activity's poster."),
                "scanned": _("Code read. Signing in…"),
                "noCamera": _("This phone's browser cannot use the camera: type the sign-in "
                              "code printed under the QR code."),
                "cameraRefused": _("The camera is not available (not allowed or in use): type "
                                   "the sign-in code printed under the QR code."),
            },
        },
    }, status=status)


@login_required
def activity_attendance(request, pk: int):
    """An activity's attendance: counts by college or unit, who of the expected audience did
    not attend, the list (paged), and for its organisers the sign-in controls, adding a
    person and importing a list."""
    activity = _activity_or_404(pk)
    require_perm(request, "education.view_activity_attendance", activity)
    can_manage = request.user.has_perm("education.manage_attendance", activity)
    add_form = AddPersonForm(request.POST or None)
    status = 200
    if request.method == "POST":
        require_perm(request, "education.manage_attendance", activity)
        if add_form.is_valid():
            try:
                outcome = services.attendance_add(actor=request.user, activity_id=activity.pk,
                                                  identifier=add_form.cleaned_data["person"])
            except DomainError as error:
                apply_domain_error(add_form, error)
            else:
                person = outcome.attendance.user
                if outcome.created:
                    messages.success(request, _("%(person)s added to the attendance list.")
                                     % {"person": person})
                else:
                    messages.info(request, _("%(person)s is already on the attendance list.")
                                  % {"person": person})
                return redirect("education:attendance_activity", pk=activity.pk)
        status = 400
    units = selectors.attendance_by_unit(activity)
    expected = any(u.expected is not None for u in units) or \
        selectors.expected_q(activity) is not None
    absent = list(selectors.absentees(activity)[:ABSENT_SHOWN]) if expected else []
    return render(request, "education/attendance/activity.html", {
        "activity": activity, "units": units, "expected": expected,
        "total_attended": sum(u.attended for u in units),
        "total_expected": sum(u.expected or 0 for u in units),
        "total_absent": sum(u.absent or 0 for u in units),
        "absent": absent, "absent_shown": ABSENT_SHOWN,
        "page": paginate(request, selectors.attendance_list(activity), per_page=PER_PAGE),
        "can_manage": can_manage, "add_form": add_form,
        "import_form": ImportListForm() if can_manage else None,
        "refusal": services.sign_in_refusal(activity, clock.now()),
        "code_url": activity_url(activity) if can_manage else "",
    }, status=status)


@login_required
@require_POST
def sign_in_action(request, pk: int, action: str):
    """Open or close sign-in, or renew the code."""
    activity = _activity_or_404(pk)
    require_perm(request, "education.manage_attendance", activity)
    try:
        if action == "open":
            services.activity_sign_in_open(actor=request.user, activity_id=activity.pk)
            messages.success(request, _("Sign-in is open: show the poster's QR code."))
        elif action == "close":
            services.activity_sign_in_close(actor=request.user, activity_id=activity.pk)
            messages.success(request, _("Sign-in is closed."))
        elif action == "renew":
            services.activity_sign_in_renew(actor=request.user, activity_id=activity.pk)
            messages.success(request, _("New sign-in code issued: show or print the new poster; "
                                        "the old code no longer works."))
        else:
            raise Http404
    except DomainError as error:
        messages.error(request, error.message)
    return redirect("education:attendance_activity", pk=activity.pk)


@login_required
def import_list(request, pk: int):
    """Import an Excel/CSV list of staff/student numbers: every row checked first; an unknown
    number lists its row and nothing is written."""
    activity = _activity_or_404(pk)
    require_perm(request, "education.manage_attendance", activity)
    form = ImportListForm(request.POST or None, request.FILES or None)
    rejected = None
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                outcome = services.attendance_import(actor=request.user, activity_id=activity.pk,
                                                     uploaded_file=form.cleaned_data["file"])
            except ImportRejected as error:
                rejected = error
            except DomainError as error:
                apply_domain_error(form, error)
            else:
                messages.success(request, _("%(added)s people added from %(rows)s rows "
                                            "(%(already)s were already on the list).") % {
                    "added": outcome.added, "rows": outcome.rows, "already": outcome.already})
                return redirect("education:attendance_activity", pk=activity.pk)
        status = 400
    return render(request, "education/attendance/import.html", {
        "activity": activity, "form": form, "rejected": rejected,
        "errors_shown": rejected.errors[:100] if rejected else [],
    }, status=status)


@login_required
def poster(request, pk: int):
    """The sign-in poster on screen (shown on a projector or a phone held up)."""
    activity = _activity_or_404(pk)
    require_perm(request, "education.manage_attendance", activity)
    return render(request, "education/attendance/poster.html",
                  {**documents.poster_context(activity),
                   "refusal": services.sign_in_refusal(activity, clock.now())})


@login_required
def poster_pdf(request, pk: int):
    """The A4 sign-in poster to print (Chinese)."""
    activity = _activity_or_404(pk)
    require_perm(request, "education.manage_attendance", activity)
    response = HttpResponse(documents.poster_pdf_bytes(activity=activity),
                            content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="sign-in-{activity.pk}.pdf"'
    return response


@login_required
def export(request, pk: int):
    """The attendance list (or with ``?list=absent`` the absentees) as an Excel file."""
    activity = _activity_or_404(pk)
    require_perm(request, "education.view_activity_attendance", activity)
    if request.GET.get("list") == "absent":
        headers = [_("College or unit"), _("Class"), _("Staff or student number"),
                   _("Username"), _("Name")]
        body = write_xlsx(headers, selectors.absentee_rows(activity), text_columns=(2, 3),
                          sheet_title=_("Absent"))
        name = _("%(activity)s – absent.xlsx") % {"activity": activity.title}
    else:
        headers = [_("College or unit"), _("Class"), _("Staff or student number"),
                   _("Username"), _("Name"), _("Signed in at"), _("Method"), _("Distance (m)"),
                   _("Far away"), _("Recorded by")]
        body = write_xlsx(headers, selectors.export_rows(activity), text_columns=(2, 3),
                          sheet_title=_("Attendance"))
        name = _("%(activity)s – attendance.xlsx") % {"activity": activity.title}
    response = HttpResponse(body, content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition(
        name, fallback=f"attendance-{activity.pk}.xlsx")
    return response


@login_required
def mine(request):
    """My trainings and activities: every attendance of mine, newest first."""
    return render(request, "education/attendance/mine.html", {
        "page": paginate(request, selectors.my_attendances(request.user),
                         per_page=RECORDS_PER_PAGE),
        "can_scan": request.user.has_perm("education.sign_in_activity"),
    })


@login_required
def people(request):
    """Look up a person's record by number or name (counsellors: their colleges' people)."""
    require_perm(request, "education.view_person_records")
    form = PersonSearchForm(request.GET or None)
    found = selectors.person_search(request.user, form.cleaned_data["q"]) \
        if form.is_valid() else []
    return render(request, "education/attendance/people.html", {
        "form": form, "found": found, "searched": form.is_bound and form.is_valid()
        and bool(form.cleaned_data["q"].strip()),
    })


@login_required
def person(request, user_id: int):
    """One person's trainings and activities (for the office, or a counsellor of their
    college)."""
    require_perm(request, "education.view_person_records")
    person_ = selectors.person_get(request.user, user_id)
    if person_ is None or not request.user.has_perm("education.view_person_records", person_):
        raise Http404(_("Person not found"))
    return render(request, "education/attendance/person.html", {
        "person": person_, "affiliation": getattr(person_, "affiliation", None),
        "page": paginate(request, selectors.my_attendances(person_), per_page=RECORDS_PER_PAGE),
    })


@login_required
def trainings(request):
    """Trainings and drills: upcoming (and running) ones, or ``?when=past``, with attendance
    counts by unit."""
    past = request.GET.get("when") == "past"
    page = paginate(request, selectors.trainings(upcoming=not past),
                    per_page=TRAININGS_PER_PAGE)
    units = selectors.units_of(page.object_list)
    for activity in page:
        activity.unit_counts = units.get(activity.pk, [])
    return render(request, "education/attendance/trainings.html", {
        "page": page, "past": past, "query": "when=past" if past else "",
        "can_view_lists": request.user.has_perm("education.view_attendance"),
    })


urls = [
    path("a/<str:code>/", sign_in_code, name="attendance_code"),
    path("attendance/scan/", scan, name="attendance_scan"),
    path("attendance/mine/", mine, name="attendance_mine"),
    path("attendance/trainings/", trainings, name="attendance_trainings"),
    path("attendance/people/", people, name="attendance_people"),
    path("attendance/people/<int:user_id>/", person, name="attendance_person"),
    path("attendance/<int:pk>/", activity_attendance, name="attendance_activity"),
    path("attendance/<int:pk>/import/", import_list, name="attendance_import"),
    path("attendance/<int:pk>/poster/", poster, name="attendance_poster"),
    path("attendance/<int:pk>/poster.pdf", poster_pdf, name="attendance_poster_pdf"),
    path("attendance/<int:pk>/export.xlsx", export, name="attendance_export"),
    path("attendance/<int:pk>/sign-in/<str:action>/", sign_in_action,
         name="attendance_sign_in_action"),
]
