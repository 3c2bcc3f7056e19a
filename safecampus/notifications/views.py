"""The in-app notification inbox."""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from safecampus.core.forms import id_or_none
from safecampus.core.pagination import paginate

from .selectors import alert_notification_of, notification_inbox
from .services import alert_mark_read, notification_mark_read


@login_required
def inbox(request):
    page = paginate(request, notification_inbox(request.user), per_page=30)
    return render(request, "notifications/inbox.html", {"page": page})


@login_required
@require_POST
def mark_read(request, pk: int | None = None):
    notification_mark_read(user=request.user, notification_id=pk)
    target = request.POST.get("next") or ""
    # Only a path on this site: "/\evil.example" and "//evil.example" leave it in browsers.
    if target.startswith("/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect("notifications:inbox")


@login_required
def alert(request, pk: int):
    """One warning (预警) in full for one of its recipients (404 for anyone else). Showing it
    changes nothing: the read receipt is recorded by :func:`alert_read` (a POST of the "I have
    read it" button), so a link preview, a prefetch or a crawler never counts as reading."""
    notification = alert_notification_of(request.user, id_or_none(pk))
    if notification is None:
        raise Http404
    return render(request, "notifications/alert.html",
                  {"notification": notification, "alert": notification.alert})


@login_required
@require_POST
def alert_read(request, pk: int):
    """The read receipt: the recipient confirms having read warning ``pk`` (the first time
    is kept); back to the warning."""
    if alert_mark_read(user=request.user, alert_id=id_or_none(pk)) is None:
        raise Http404
    return redirect("notifications:alert", pk=pk)


# --- preferences ----------------------------------------------------------------------------
@login_required
def preferences(request):
    """The signed-in user's own channels, digest, quiet hours and mobile number."""
    from django.contrib import messages
    from django.utils.translation import gettext as _

    from safecampus.core.errors import DomainError
    from safecampus.core.forms import apply_domain_error

    from .forms import PreferenceForm
    from .selectors import notification_preference_of
    from .services import preference_update

    pref = notification_preference_of(request.user)
    has_email = bool(request.user.email)
    form = PreferenceForm(request.POST or None, has_email=has_email, initial={
        "email_enabled": pref.email_enabled, "sms_enabled": pref.sms_enabled,
        "digest": pref.digest, "quiet_start": pref.quiet_start, "quiet_end": pref.quiet_end,
        "phone": request.user.phone})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if not has_email:  # the disabled e-mail choices keep what is stored
            data = {**data, "email_enabled": pref.email_enabled, "digest": pref.digest}
        try:
            preference_update(user=request.user, **data)
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            messages.success(request, _("Your notification settings were saved."))
            return redirect("notifications:preferences")
    return render(request, "notifications/preferences.html",
                  {"form": form, "has_email": has_email})
