"""Pages of the duty-post area (交通执勤岗): the live list (refreshed by htmx), the post page
with sign-ins and log, the setup pages (posts, duty times, class timetable), a day's roster,
the guard's sign-in page on the phone (camera or typed code), the page of a post's QR link
``/traffic/p/<code>/`` opened by a phone's camera app (the post, its duty now and one sign-in
button: only the tap signs in) and the A4 printable QR sign. Views are thin (house rule 5)."""

import datetime as dt
import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from safecampus.core import clock
from safecampus.core.errors import DomainError
from safecampus.core.forms import apply_domain_error, id_or_none
from safecampus.core.pagination import paginate
from safecampus.core.views import require_perm
from safecampus.organisation.models import Campus

from .. import documents_posts as documents
from ..forms.posts import (
    DutyTimeForm,
    LogEntryForm,
    PostForm,
    RosterForm,
    SignInForm,
    TimetableForm,
)
from ..models import DutyPost, PostDutyTime
from ..selectors import posts as selectors
from ..services import posts as services

PER_PAGE = 20
#: The live list refreshes itself this often (seconds).
REFRESH_SECONDS = 45



def _post_or_404(pk: int) -> DutyPost:
    post = DutyPost.objects.select_related("campus", "place").filter(pk=pk).first()
    if post is None:
        raise Http404(_("Duty post not found"))
    return post


@login_required
def post_live(request):
    """Every active post now: staffed, unstaffed, starting soon, off duty. An htmx request
    (every REFRESH_SECONDS) gets the list alone."""
    require_perm(request, "traffic.view_duty_posts")
    campus_id = id_or_none(request.GET.get("campus"))
    rows = selectors.posts_now(campus_id=campus_id)
    context = {"rows": rows, "counts": selectors.state_counts(rows), "now": clock.now(),
               "campuses": Campus.objects.order_by("sort_order", "pk"), "campus_id": campus_id,
               "refresh": REFRESH_SECONDS, "states": selectors.STATES,
               "can_manage": request.user.has_perm("traffic.manage_duty_posts"),
               "can_sign_in": request.user.has_perm("traffic.sign_in_post")}
    if request.headers.get("HX-Request"):
        return render(request, "traffic/posts/_live_list.html", context)
    return render(request, "traffic/posts/live.html", context)


@login_required
def post_detail(request, pk: int):
    """A post: its state now, duty times, recent duties with sign-ins, the log (add a line)."""
    require_perm(request, "traffic.view_duty_posts")
    post = _post_or_404(pk)
    form = LogEntryForm(request.POST or None)
    if request.method == "POST":
        require_perm(request, "traffic.sign_in_post")
        if form.is_valid():
            try:
                services.post_log_add(actor=request.user, post_id=post.pk,
                                      kind=form.cleaned_data["kind"],
                                      text=form.cleaned_data["text"],
                                      idempotency_key=form.cleaned_data["idempotency_key"])
            except DomainError as error:
                apply_domain_error(form, error)
            else:
                messages.success(request, _("Added to the post log."))
                return redirect("traffic:post_detail", pk=post.pk)
    can_manage = request.user.has_perm("traffic.manage_duty_posts")
    duties = paginate(request, selectors.post_duties_of(post), per_page=PER_PAGE)
    now = clock.now()
    for duty in duties:
        duty.state_unstaffed = duty.first_sign_in_at is None and duty.starts_at <= now
        for sign_in in duty.sign_ins.all():
            sign_in.flag_texts = [services.FLAG_LABELS.get(f, f) for f in sign_in.flags]
    return render(request, "traffic/posts/detail.html", {
        "post": post, "now_row": selectors.post_now(post), "form": form,
        "duty_times": selectors.post_duty_times(post), "duties": duties,
        "log": selectors.post_log(post)[:30], "can_manage": can_manage,
        "can_sign_in": request.user.has_perm("traffic.sign_in_post"),
        "code_url": services.post_url(post) if can_manage else "",
    }, status=400 if form.errors else 200)


@login_required
def post_setup(request):
    """The office's list of posts (active first) and the form for a new one."""
    require_perm(request, "traffic.manage_duty_posts")
    form = PostForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            post = services.post_create(actor=request.user, **form.service_arguments(),
                                        idempotency_key=form.cleaned_data["idempotency_key"])
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            messages.success(request, _("Duty post “%(name)s” created. Add its duty times.")
                             % {"name": post.name})
            return redirect("traffic:post_detail", pk=post.pk)
    return render(request, "traffic/posts/setup.html", {
        "posts": selectors.duty_posts_all(), "form": form,
        "campuses": Campus.objects.order_by("sort_order", "pk"),
    }, status=400 if form.errors else 200)


@login_required
def post_edit(request, pk: int):
    require_perm(request, "traffic.manage_duty_posts")
    post = _post_or_404(pk)
    initial = {"campus": post.campus_id, "name": post.name, "kind": post.kind,
               "place": post.place_id, "duties": post.duties, "latitude": post.latitude or "",
               "longitude": post.longitude or "", "radius_m": post.radius_m}
    form = PostForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.post_update(actor=request.user, post_id=post.pk,
                                 **form.service_arguments())
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            messages.success(request, _("Duty post saved."))
            return redirect("traffic:post_detail", pk=post.pk)
    return render(request, "traffic/posts/form.html", {"post": post, "form": form},
                  status=400 if form.errors else 200)


@login_required
@require_POST
def post_action(request, pk: int, action: str):
    """Rotate the code, take the post out of use or back into use."""
    require_perm(request, "traffic.manage_duty_posts")
    post = _post_or_404(pk)
    try:
        if action == "rotate":
            services.post_rotate_code(actor=request.user, post_id=post.pk)
            messages.success(request, _("New code issued: print the new sign; the old one no "
                                        "longer works."))
        elif action in ("deactivate", "activate"):
            services.post_set_active(actor=request.user, post_id=post.pk,
                                     active=action == "activate")
            messages.success(request, _("Duty post saved."))
        else:
            raise Http404
    except DomainError as error:
        messages.error(request, error.message)
    return redirect("traffic:post_detail", pk=post.pk)


@login_required
def duty_time_edit(request, pk: int, duty_time_id: int | None = None):
    """Add a duty time to post ``pk`` or change one."""
    require_perm(request, "traffic.manage_duty_posts")
    post = _post_or_404(pk)
    duty_time = None
    initial = {}
    if duty_time_id is not None:
        duty_time = PostDutyTime.objects.filter(pk=duty_time_id, post=post).first()
        if duty_time is None:
            raise Http404
        initial = {"name": duty_time.name, "anchor": duty_time.anchor,
                   "class_period": duty_time.class_period_id,
                   "minutes_before": duty_time.minutes_before,
                   "minutes_after": duty_time.minutes_after,
                   "starts_at": duty_time.starts_at, "ends_at": duty_time.ends_at,
                   "weekdays": list(duty_time.weekdays),
                   "guards": list(duty_time.guards.values_list("pk", flat=True)),
                   "is_active": duty_time.is_active}
    form = DutyTimeForm(request.POST or None, post=post, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            if duty_time is None:
                services.duty_time_create(
                    actor=request.user, post_id=post.pk, **form.service_arguments(),
                    idempotency_key=form.cleaned_data["idempotency_key"])
            else:
                services.duty_time_update(actor=request.user, duty_time_id=duty_time.pk,
                                          is_active=form.cleaned_data["is_active"],
                                          **form.service_arguments())
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            messages.success(request, _("Duty time saved. It applies from the next planned "
                                        "day; change today's roster on the roster page."))
            return redirect("traffic:post_detail", pk=post.pk)
    return render(request, "traffic/posts/duty_time_form.html", {
        "post": post, "duty_time": duty_time, "form": form,
    }, status=400 if form.errors else 200)


@login_required
def class_timetable(request, campus_id: int):
    """A campus's class timetable (作息时间表)."""
    require_perm(request, "traffic.manage_duty_posts")
    campus = Campus.objects.filter(pk=campus_id).first()
    if campus is None:
        raise Http404
    form = TimetableForm(request.POST or None, periods=selectors.class_timetable(campus.pk))
    if request.method == "POST" and form.is_valid():
        try:
            services.class_timetable_set(actor=request.user, campus_id=campus.pk,
                                         periods=form.periods())
        except DomainError as error:
            for name, errors in error.field_errors.items():
                number = name.removeprefix("period_")
                target = f"p{number}_start" if f"p{number}_start" in form.fields else None
                for message in errors:
                    form.add_error(target, message)
            if not error.field_errors:
                form.add_error(None, error.message)
        else:
            messages.success(request, _("Class timetable saved."))
            return redirect("traffic:class_timetable", campus_id=campus.pk)
    return render(request, "traffic/posts/timetable.html", {
        "campus": campus, "form": form,
        "campuses": Campus.objects.order_by("sort_order", "pk"),
    }, status=400 if form.errors else 200)


#: The roster pages show and plan days at most this far from today; a date beyond (a typo,
#: ``9999-12-31``) is treated as no date.
ROSTER_DAYS_MAX = 3660


def _day(request) -> dt.date:
    """The ``day`` asked for (ISO date), else today (local): also when it is not a date or
    more than :data:`ROSTER_DAYS_MAX` days from today."""
    today = clock.local_today()
    try:
        day = dt.date.fromisoformat(request.GET.get("day") or "")
    except ValueError:
        return today
    return day if abs((day - today).days) <= ROSTER_DAYS_MAX else today


@login_required
def roster(request):
    """The duties of one local day with their guards; the office changes a duty's roster."""
    require_perm(request, "traffic.manage_duty_posts")
    day = _day(request)
    if request.method == "POST":
        duty_id = id_or_none(request.POST.get("duty"))
        form = RosterForm(request.POST)
        if form.is_valid() and duty_id:
            try:
                services.post_duty_roster_set(actor=request.user, duty_id=duty_id,
                                              guard_ids=form.cleaned_data["guards"])
            except DomainError as error:
                messages.error(request, error.message)
            else:
                messages.success(request, _("Roster saved."))
        else:
            messages.error(request, _("Choose guards from the list."))
        return redirect(f"{reverse('traffic:post_roster')}?day={day.isoformat()}")
    duties = list(selectors.duties_of_day(day))
    choices = RosterForm().fields["guards"].choices
    for duty in duties:
        duty.guard_ids = {g.pk for g in duty.guards.all()}
    return render(request, "traffic/posts/roster.html", {
        "day": day, "duties": duties, "guard_choices": choices, "now": clock.now(),
        "previous": day - dt.timedelta(days=1), "next": day + dt.timedelta(days=1),
    })


@login_required
@require_POST
def roster_plan(request):
    """Plan the duties of a day now (the task does it daily for today and tomorrow)."""
    require_perm(request, "traffic.manage_duty_posts")
    day = _day(request)
    created = services.post_duties_plan(day=day)
    messages.success(request, _("%(count)s duties planned.") % {"count": created})
    return redirect(f"{reverse('traffic:post_roster')}?day={day.isoformat()}")


def _sign_in_page(request, *, form=None, status: int = 200):
    """The sign-in page of a guard who is not at a QR link: the camera and the typed code."""
    form = form or SignInForm(initial={"client_id": uuid.uuid4()})
    return render(request, "traffic/posts/sign_in.html", {
        "form": form, "duties": selectors.my_duties_today(request.user),
        "scan_config": {
            "jsqrUrl": static("vendor/jsqr/jsQR.js"),
            "text": {
                "cameraStarting": _("Starting the camera…"),
                "cameraReady": _("Point the camera at the QR code on the post's sign."),
                "scanned": _("Code read. Signing in…"),
                "noCamera": _("This phone's browser cannot use the camera: type the code."),
                "cameraRefused": _("The camera is not available (not allowed or in use): "
                                   "type the code."),
            },
        },
    }, status=status)


#: DomainError codes of post_resolve: the code itself is wrong.
CODE_ERRORS = ("forged_code", "unknown_code", "revoked_code")


def _sign_in_submit(request, form: SignInForm, *, code: str):
    """Sign in with a bound, valid ``form`` at the post of ``code``: the redirect to the
    sign-in page with the outcome, or None after putting the service's refusal into ``form``
    once (a wrong code at the code field, anything else where it belongs)."""
    data = form.cleaned_data
    try:
        outcome = services.post_sign_in(
            actor=request.user, code=code, signed_at=form.signed_at_value(),
            client_id=data["client_id"], latitude=data["latitude"],
            longitude=data["longitude"], method=data["method"] or None)
    except DomainError as error:
        if error.code in CODE_ERRORS and not error.field_errors:
            form.add_error("code", error.message)
        else:
            apply_domain_error(form, error)
        return None
    sign_in = outcome.sign_in
    local = sign_in.signed_at.astimezone(clock.local_zone())
    if sign_in.duty_id and not sign_in.flags:
        messages.success(request, _("Signed in at %(post)s at %(time)s.")
                         % {"post": sign_in.post.name, "time": f"{local:%H:%M}"})
    else:
        flags = "; ".join(str(services.FLAG_LABELS[f]) for f in sign_in.flags)
        messages.warning(request, _("Signed in at %(post)s at %(time)s, flagged for the office: "
                                    "%(flags)s.") % {"post": sign_in.post.name,
                                                     "time": f"{local:%H:%M}", "flags": flags})
    return redirect("traffic:post_sign_in")


@login_required
def sign_in(request):
    """The guard's sign-in page: scan the post's QR or type its code. POST signs in."""
    require_perm(request, "traffic.sign_in_post")
    if request.method != "POST":
        return _sign_in_page(request)
    form = SignInForm(request.POST)
    if form.is_valid():
        done = _sign_in_submit(request, form, code=form.cleaned_data["code"])
        if done is not None:
            return done
    return _sign_in_page(request, form=form, status=400)


@login_required
def sign_in_code(request, code: str):
    """Opened from the QR sign by a phone's camera app (after login). GET shows the post, its
    duty now and one big sign-in button, and writes nothing (a link preview or a prefetch
    signs nobody in); the tap POSTs here with the phone's time, position and id of the
    sign-in (a repeated POST with the same id stores one sign-in)."""
    require_perm(request, "traffic.sign_in_post")
    try:
        post, _method = services.post_resolve(code)
    except DomainError as error:
        return render(request, "traffic/posts/sign_in_post.html",
                      {"refusal": error.message}, status=400)
    status = 200
    if request.method == "POST":
        form = SignInForm({**request.POST.dict(), "code": code})
        if form.is_valid():
            done = _sign_in_submit(request, form, code=code)
            if done is not None:
                return done
        status = 400
    else:
        form = SignInForm(initial={"code": code, "client_id": uuid.uuid4(), "method": "qr"})
    errors = list(dict.fromkeys(str(m) for messages_ in form.errors.values()
                                for m in messages_))
    now = selectors.post_now(post)
    return render(request, "traffic/posts/sign_in_post.html", {
        "post": post, "form": form, "errors": errors, "row": now,
        "running": now.duty is not None and now.duty.starts_at <= clock.now(),
        "rostered": any(g.pk == request.user.pk for g in now.guards),
        "mine": next((s for s in now.signed_in if s.guard_id == request.user.pk), None),
    }, status=status)


@login_required
def post_sign_pdf(request, pk: int):
    """The A4 sign to hang at the post: its QR code, name and manual code (Chinese)."""
    require_perm(request, "traffic.manage_duty_posts")
    post = _post_or_404(pk)
    response = HttpResponse(documents.post_sign_pdf_bytes(post=post),
                            content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="duty-post-{post.pk}.pdf"'
    return response


urls = [
    path("posts/", post_live, name="post_live"),
    path("posts/setup/", post_setup, name="post_setup"),
    path("posts/roster/", roster, name="post_roster"),
    path("posts/roster/plan/", roster_plan, name="post_roster_plan"),
    path("posts/sign-in/", sign_in, name="post_sign_in"),
    path("posts/timetable/<int:campus_id>/", class_timetable, name="class_timetable"),
    path("posts/<int:pk>/", post_detail, name="post_detail"),
    path("posts/<int:pk>/edit/", post_edit, name="post_edit"),
    path("posts/<int:pk>/sign.pdf", post_sign_pdf, name="post_sign_pdf"),
    path("posts/<int:pk>/times/new/", duty_time_edit, name="duty_time_new"),
    path("posts/<int:pk>/times/<int:duty_time_id>/", duty_time_edit, name="duty_time_edit"),
    path("posts/<int:pk>/<str:action>/", post_action, name="post_action"),
    path("p/<str:code>/", sign_in_code, name="post_sign_in_code"),
]
