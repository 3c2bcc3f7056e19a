"""Office pages of the notification channels: group robots (list, add, change, deactivate,
test message) and the delivery log with "send again". Thin: parse, one service or selector
call, render."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.http import Http404, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from safecampus.core.errors import DomainError
from safecampus.core.forms import apply_domain_error, id_or_none
from safecampus.core.pagination import paginate

from . import selectors, services
from .forms import DeliveryFilterForm, RobotForm
from .models import Attempts, GroupRobot

MANAGE = "notifications.manage_channels"
VIEW = "notifications.view_deliveries"


def _require(request, perm: str) -> None:
    if not request.user.has_perm(perm):
        raise PermissionDenied


def _robot_or_404(pk) -> GroupRobot:
    robot = GroupRobot.objects.filter(pk=id_or_none(pk)).first()
    if robot is None:
        raise Http404
    return robot


@login_required
def robot_list(request):
    _require(request, MANAGE)
    return render(request, "notifications/robots/list.html", {
        "page": paginate(request, selectors.robot_list(), per_page=50),
        "topics": dict(GroupRobot.Topic.choices)})


@login_required
def robot_edit(request, pk: int | None = None):
    """Add a robot (no ``pk``) or change one."""
    _require(request, MANAGE)
    robot = _robot_or_404(pk) if pk is not None else None
    initial = ({"name": robot.name, "kind": robot.kind, "campus": robot.campus_id,
                "topics": robot.topics, "active": robot.active}
               if robot is not None else None)  # never the URL or the secret
    form = RobotForm(request.POST or None, initial=initial, robot=robot)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            saved = services.robot_save(
                actor=request.user, robot_id=robot.pk if robot else None, name=data["name"],
                kind=data["kind"], webhook_url=data["webhook_url"],
                secret="" if data.get("clear_secret") else (data["secret"] or (
                    None if robot is not None else "")),
                topics=data["topics"], active=data["active"],
                campus_id=data["campus"].pk if data["campus"] else None)
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            messages.success(request, _("The group robot “%(name)s” was saved.") % {
                "name": saved.name})
            return redirect("notifications:robots")
    return render(request, "notifications/robots/form.html", {"form": form, "robot": robot})


@login_required
@require_POST
def robot_deactivate(request, pk: int):
    _require(request, MANAGE)
    robot = services.robot_deactivate(actor=request.user, robot_id=_robot_or_404(pk).pk)
    messages.success(request, _("The group robot “%(name)s” no longer receives messages.") % {
        "name": robot.name})
    return redirect("notifications:robots")


@login_required
@require_POST
def robot_reactivate(request, pk: int):
    _require(request, MANAGE)
    robot = services.robot_reactivate(actor=request.user, robot_id=_robot_or_404(pk).pk)
    messages.success(request, _("The group robot “%(name)s” receives messages again.") % {
        "name": robot.name})
    return redirect("notifications:robots")


@login_required
@require_POST
def robot_test(request, pk: int):
    """Send a test message now and say how it went (the reason when it failed)."""
    _require(request, MANAGE)
    message = services.robot_test(actor=request.user, robot_id=_robot_or_404(pk).pk)
    if message.state == Attempts.State.SENT:
        messages.success(request, _("Test message to “%(name)s”: sent.") % {
            "name": message.robot.name})
    else:
        messages.error(request, _("Test message to “%(name)s”: failed — %(reason)s") % {
            "name": message.robot.name, "reason": message.last_error})
    return redirect("notifications:robots")


@login_required
def delivery_log(request):
    """E-mail and SMS deliveries, robot messages or daily digests, newest first; filters
    channel and state; paginated (a fixed number of queries per page). Notifications about
    an anonymous report show neither recipient nor title."""
    _require(request, VIEW)
    form = DeliveryFilterForm(request.GET or None)
    channel = state = ""
    if form.is_bound:  # an invalid filter is reported on the page and not applied
        form.is_valid()
        channel = form.cleaned_data.get("channel", "")
        state = form.cleaned_data.get("state", "")
    robots = channel == DeliveryFilterForm.ROBOT
    digests = channel == DeliveryFilterForm.DIGEST
    rows = (selectors.robot_message_log(state=state) if robots
            else selectors.digest_log(state=state) if digests
            else selectors.delivery_log(channel=channel, state=state))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "notifications/deliveries.html", {
        "form": form, "robots": robots, "digests": digests,
        "failures": selectors.delivery_failures(), "page": paginate(request, rows, per_page=50),
        "query": query.urlencode(), "can_retry": request.user.has_perm(MANAGE)})


@login_required
@require_POST
def delivery_retry(request, kind: str, pk: int):
    """Send one failed delivery (``kind`` ``delivery``) or robot message (``robot``) again
    now; back to the log with the outcome."""
    _require(request, MANAGE)
    try:
        if kind == "robot":
            row = services.robot_message_retry(actor=request.user, message_id=pk)
        elif kind == "digest":
            row = services.digest_retry(actor=request.user, digest_id=pk)
        else:
            row = services.delivery_retry(actor=request.user, delivery_id=pk)
    except ObjectDoesNotExist as error:
        raise Http404 from error
    except DomainError as error:
        messages.error(request, error.message)
    else:
        if row.state == Attempts.State.SENT:
            messages.success(request, _("Sent again."))
        else:
            messages.error(request, _("Not sent: %(reason)s") % {"reason": row.last_error})
    query = QueryDict(request.POST.get("query") or "")  # back to the same filters and page
    return redirect(reverse("notifications:deliveries") + "?" + query.urlencode())
