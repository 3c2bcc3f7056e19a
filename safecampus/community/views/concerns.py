"""Pages of the concerns area (诉求/意见建议): submit (the category's questions and the
"already answered" hints come by htmx), my concerns, a concern's page (every step, the
expected time, the answer, rating and reopening; the office's triage, publishing and
moderation), the office's queue and the public board. Views are thin (house rule 5):
parse, one service or selector call, render; concerns the user may not see are 404."""

import hashlib

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponseNotModified
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.http import parse_etags, quote_etag
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from safecampus.core import clock
from safecampus.core.errors import Conflict, DomainError, NotAllowed
from safecampus.core.forms import apply_domain_error, id_or_none
from safecampus.core.pagination import paginate
from safecampus.core.views import query_without_page, require_perm
from safecampus.organisation.selectors import place_picker_data

from ..forms.concerns import (
    AnswerForm,
    BoardFilterForm,
    ConcernForm,
    DuplicateForm,
    FixForm,
    ModerateForm,
    PlanForm,
    QueueFilterForm,
    RateForm,
    ReasonForm,
    ReplanForm,
    ToHazardForm,
)
from ..models import Concern, ConcernPhoto
from ..selectors import concerns as selectors
from ..services import concerns as services

PER_PAGE = 25


def _concern_or_404(request, pk) -> Concern:
    concern = selectors.concern_detail(request.user, pk)
    if concern is None:
        raise Http404(_("Concern not found"))
    return concern


# --- submitting -----------------------------------------------------------------------------
@login_required
def concern_new(request):
    """The submit page (phone first). After sending: the concern's page with its number."""
    require_perm(request, "community.submit_concern")
    data = request.POST if request.method == "POST" else None
    category = ConcernForm.category_of(data or request.GET)
    initial = {"category": category.pk} if category and data is None else None
    form = ConcernForm(data, request.FILES or None, category=category, initial=initial)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            concern = services.concern_submit(
                actor=request.user, category_id=d["category"].pk, title=d["title"],
                description=d["description"], campus_id=d["campus"].pk,
                building_id=d["building"].pk if d.get("building") else None,
                place_id=d["place"].pk if d.get("place") else None,
                location_text=d["location_text"], attributes=form.attributes(),
                is_anonymous=d["is_anonymous"], photos=request.FILES.getlist("photos"),
                idempotency_key=d.get("idempotency_key"))
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            messages.success(request, _(
                "Thank you. Your concern was received as number %(number)s; you will be told "
                "when the office answers.") % {"number": concern.number})
            return redirect("community:concern_detail", pk=concern.pk)
    return render(request, "community/concerns/new.html", {
        "form": form, "picker": place_picker_data(),
        "similar": selectors.concern_similar(title=form["title"].value() or "",
                                             category_id=category.pk if category else None)
        if form.is_bound else []},
        status=400 if form.errors else 200)


@login_required
def concern_questions(request):
    """The chosen category's questions (htmx, as the category changes)."""
    require_perm(request, "community.submit_concern")
    form = ConcernForm(category=ConcernForm.category_of(request.GET))
    return render(request, "community/concerns/_questions.html", {"form": form})


@login_required
def concern_similar(request):
    """Concerns already answered on the board that look like the one being written (htmx)."""
    require_perm(request, "community.view_board")
    rows = selectors.concern_similar(title=request.GET.get("title", "")[:120],
                                     category_id=request.GET.get("category"))
    return render(request, "community/concerns/_similar.html", {"similar": rows})


# --- lists ----------------------------------------------------------------------------------
@login_required
def concern_mine(request):
    page = paginate(request, selectors.concern_mine(request.user), per_page=PER_PAGE)
    rows = selectors.concern_expected_for(page)
    return render(request, "community/concerns/mine.html", {"page": page, "rows": rows})


@login_required
def concern_queue(request):
    require_perm(request, "community.view_concern_queue")
    form = QueueFilterForm(request.GET or None)
    filters = form.filters()
    page = paginate(request, selectors.concern_queue(request.user, filters), per_page=PER_PAGE)
    rows = selectors.concern_expected_for(page)
    return render(request, "community/concerns/queue.html", {
        "form": form, "page": page, "rows": rows, "query": query_without_page(request),
        "now": clock.now()})


@login_required
def board(request):
    require_perm(request, "community.view_board")
    form = BoardFilterForm(request.GET or None)
    page = paginate(request, selectors.concern_board(**form.filters()), per_page=PER_PAGE)
    return render(request, "community/board/list.html", {
        "form": form, "page": page, "query": query_without_page(request),
        "can_moderate": request.user.has_perm("community.moderate_concern")})


# --- one concern ----------------------------------------------------------------------------
def _office_forms(user, concern: Concern) -> dict:
    version = {"version": services.concern_version(concern)}
    forms = {}
    if not user.has_perm("community.triage_concern", concern):
        return forms
    state = concern.state
    if state == Concern.State.SUBMITTED:
        forms["answer"] = AnswerForm(initial=version)
        forms["fix"] = FixForm(initial=version)
        forms["plan"] = PlanForm(initial=version)
    if state == Concern.State.PLANNED:
        forms["complete"] = FixForm(initial=version)
        forms["replan"] = ReplanForm(initial={
            **version, "target_date": concern.target_date,
            "handling_unit": concern.handling_unit_id})
    if state in (Concern.State.SUBMITTED, Concern.State.PLANNED):
        forms["to_hazard"] = ToHazardForm(
            initial={**version, "hazard_category": concern.category.hazard_category_id},
            needs_campus=concern.campus_id is None)
        forms["duplicate"] = DuplicateForm(initial=version)
    return forms


def _detail_context(request, concern: Concern, *, bound_action: str = "",
                    bound_form=None) -> dict:
    user = request.user
    mine = concern.submitter_id == user.pk
    forms = _office_forms(user, concern)
    if concern.state == Concern.State.CLOSED and user.has_perm("community.rate_concern",
                                                                 concern):
        forms["rate"] = RateForm()
    reopen_note = ""
    if mine and concern.state == Concern.State.CLOSED:
        refusal = services.concern_reopen_refusal(concern, user)
        if refusal:
            reopen_note = refusal
        else:
            forms["reopen"] = ReasonForm(label=_("Why are you not satisfied?"))
    if user.has_perm("community.moderate_concern", concern):
        forms["moderate"] = ModerateForm()
    if bound_form is not None and bound_action in forms:
        forms[bound_action] = bound_form
    hazard = concern.hazard
    photos = list(concern.photos.all())
    return {
        "concern": concern, "mine": mine, "forms": forms,
        "expected_at": selectors.concern_expected_at(concern),
        "timeline": selectors.concern_timeline(concern, user),
        "contact": selectors.concern_contact(concern, user),
        "answers": selectors.concern_answers(concern, user),
        "shows_text": selectors.concern_shows_text(concern, user),
        "submitted_photos": [p for p in photos if p.stage == ConcernPhoto.Stage.SUBMITTED],
        "answer_photos": [p for p in photos if p.stage == ConcernPhoto.Stage.ANSWER],
        "duplicate_link": concern.duplicate_of is not None and user.has_perm(
            "community.view_concern", concern.duplicate_of),
        "hazard": hazard,
        "hazard_link": hazard is not None and user.has_perm("hazards.view_hazard", hazard),
        "reopen_until": services.concern_reopen_until(concern) if "reopen" in forms else None,
        "reopen_note": reopen_note,
        "can_publish": user.has_perm("community.publish_concern", concern),
        "can_moderate": user.has_perm("community.moderate_concern", concern),
        "bound_action": bound_action,
    }


@login_required
def concern_detail(request, pk: int):
    concern = _concern_or_404(request, pk)
    return render(request, "community/concerns/detail.html", _detail_context(request, concern))


def _unit_id(d):
    return d["handling_unit"].pk if d.get("handling_unit") else None


# Each action: (form class, form kwargs from the concern, service call, success message).
ACTIONS = {
    "answer": (AnswerForm, lambda u, c, d, f: services.concern_answer(
        actor=u, concern_id=c.pk, answer=d["answer"], photos=f.getlist("photos"),
        version=d.get("version")), gettext_lazy("Answered; the submitter was told.")),
    "fix": (FixForm, lambda u, c, d, f: services.concern_fix(
        actor=u, concern_id=c.pk, answer=d["answer"], photos=f.getlist("photos"),
        version=d.get("version")), gettext_lazy("Closed as fixed at once.")),
    "plan": (PlanForm, lambda u, c, d, f: services.concern_plan(
        actor=u, concern_id=c.pk, target_date=d["target_date"], answer=d["answer"],
        handling_unit_id=_unit_id(d), version=d.get("version")),
        gettext_lazy("Planned; the submitter was told the target date.")),
    "replan": (ReplanForm, lambda u, c, d, f: services.concern_replan(
        actor=u, concern_id=c.pk, target_date=d["target_date"], reason=d["reason"],
        handling_unit_id=_unit_id(d), version=d.get("version")),
        gettext_lazy("Plan changed.")),
    "complete": (FixForm, lambda u, c, d, f: services.concern_complete(
        actor=u, concern_id=c.pk, answer=d["answer"], photos=f.getlist("photos"),
        version=d.get("version")), gettext_lazy("Closed: the planned work is done.")),
    "to_hazard": (ToHazardForm, lambda u, c, d, f: services.concern_to_hazard(
        actor=u, concern_id=c.pk, hazard_category_id=d["hazard_category"].pk,
        campus_id=d["campus"].pk if d.get("campus") else None, title=d.get("title", ""),
        version=d.get("version")), gettext_lazy("Turned into a hazard report.")),
    "duplicate": (DuplicateForm, lambda u, c, d, f: services.concern_mark_duplicate(
        actor=u, concern_id=c.pk, duplicate_of_number=d["duplicate_of"],
        version=d.get("version")), gettext_lazy("Closed as a duplicate.")),
    "rate": (RateForm, lambda u, c, d, f: services.concern_rate(
        actor=u, concern_id=c.pk, rating=d["rating"], comment=d.get("comment", "")),
        gettext_lazy("Thank you for rating the handling.")),
    "reopen": (ReasonForm, lambda u, c, d, f: services.concern_reopen(
        actor=u, concern_id=c.pk, reason=d["reason"]),
        gettext_lazy("Reopened; the office will look at it again.")),
    "hide_text": (ModerateForm, lambda u, c, d, f: services.concern_moderate(
        actor=u, concern_id=c.pk, hide_text=True, reason=d["reason"]),
        gettext_lazy("The text is hidden from everyone but the office and the submitter.")),
    "show_text": (ModerateForm, lambda u, c, d, f: services.concern_moderate(
        actor=u, concern_id=c.pk, hide_text=False, reason=d["reason"]),
        gettext_lazy("The text is shown again.")),
}
#: Actions without input: publishing on and off the board.
BUTTONS = {
    "publish": (services.concern_publish, gettext_lazy("Published on the board.")),
    "unpublish": (services.concern_unpublish, gettext_lazy("Taken off the board.")),
}


@login_required
@require_POST
def concern_action(request, pk: int, action: str):
    """POST target of every action form on a concern's page. A refused input is shown again
    at its field (nothing typed is lost); a state conflict or refusal as a message."""
    if action not in ACTIONS and action not in BUTTONS:
        raise Http404
    concern = _concern_or_404(request, pk)
    if action in BUTTONS:
        call, success = BUTTONS[action]
        try:
            call(actor=request.user, concern_id=concern.pk)
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, success)
        return redirect("community:concern_detail", pk=concern.pk)
    form_class, call, success = ACTIONS[action]
    form = (form_class(request.POST, request.FILES, label=_("Why are you not satisfied?"))
            if action == "reopen" else
            form_class(request.POST, request.FILES, needs_campus=concern.campus_id is None)
            if action == "to_hazard" else form_class(request.POST, request.FILES))
    if form.is_valid():
        try:
            call(request.user, concern, form.cleaned_data, request.FILES)
        except NotAllowed:
            raise PermissionDenied from None
        except Conflict as error:
            messages.error(request, error.message)
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            messages.success(request, success)
            return redirect("community:concern_detail", pk=concern.pk)
    if form.errors:
        if request.FILES:
            form.add_error(None, _("Photos must be chosen again."))
        concern = _concern_or_404(request, pk)
        bound = "moderate" if action in ("hide_text", "show_text") else action
        return render(request, "community/concerns/detail.html",
                      _detail_context(request, concern, bound_action=bound, bound_form=form),
                      status=400)
    return redirect(reverse("community:concern_detail", args=[concern.pk])
                    + f"#action-{action}")


@login_required
@require_POST
def photo_redact(request, pk: int):
    """Replace a photo by a blurred copy (moderators; irreversible)."""
    photo = ConcernPhoto.objects.filter(pk=id_or_none(pk)).first()
    if photo is None:
        raise Http404
    concern = _concern_or_404(request, photo.concern_id)
    form = ModerateForm(request.POST)
    form.is_valid()
    try:
        services.concern_photo_redact(actor=request.user, photo_id=photo.pk,
                                      reason=form.cleaned_data.get("reason", ""))
    except NotAllowed:
        raise PermissionDenied from None
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The photo was replaced by a blurred copy."))
    return redirect("community:concern_detail", pk=concern.pk)


@login_required
def concern_photo(request, pk: int, size: str):
    """A concern's photo, only to those who may see the concern (never a public file)."""
    if size not in ("thumb", "full"):
        raise Http404
    photo = ConcernPhoto.objects.filter(pk=id_or_none(pk)).first()
    if photo is None or selectors.concern_detail(request.user, photo.concern_id) is None:
        raise Http404
    field = photo.thumbnail if size == "thumb" else photo.image
    # Redaction replaces the file under the same address: browsers must ask again every
    # time (an unchanged file costs a 304), never show a cached original.
    etag = quote_etag(hashlib.sha256(field.name.encode()).hexdigest()[:32])
    if etag in parse_etags(request.headers.get("If-None-Match", "")):
        response = HttpResponseNotModified()
    else:
        response = FileResponse(field.open("rb"), content_type="image/jpeg")
    response["ETag"] = etag
    response["Cache-Control"] = "private, no-cache"
    return response


urls = [
    path("concerns/", concern_queue, name="concern_queue"),
    path("concerns/new/", concern_new, name="concern_new"),
    path("concerns/new/questions/", concern_questions, name="concern_questions"),
    path("concerns/similar/", concern_similar, name="concern_similar"),
    path("concerns/mine/", concern_mine, name="concern_mine"),
    path("concerns/<int:pk>/", concern_detail, name="concern_detail"),
    path("concerns/<int:pk>/<slug:action>/", concern_action, name="concern_action"),
    path("concerns/photos/<int:pk>/redact/", photo_redact, name="concern_photo_redact"),
    path("concerns/photos/<int:pk>/<slug:size>/", concern_photo, name="concern_photo"),
    path("board/", board, name="board"),
]
