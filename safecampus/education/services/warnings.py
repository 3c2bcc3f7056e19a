"""Anti-fraud warnings (预警), writes: send a warning to an audience, remind the unread once.

A warning is a :class:`~safecampus.notifications.models.Alert` with topic
:data:`TOPIC`, sent through :func:`~safecampus.notifications.services.alert_send` (one
notification per recipient, read receipts). Who may send: ``education.send_warning`` (the
office and police liaisons); reminding the unread: ``education.view_warning_receipts``.

Errors: DomainError with field errors (``title``, ``body``, ``level``, ``audience_*``;
nothing written), DomainError ``no_recipients`` (the audience matches no one: nothing is
sent, a warning to nobody would look sent), NotAllowed, Conflict (already reminded,
idempotency key of someone else).
"""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from safecampus.accounts.models import AudienceKind
from safecampus.core.errors import DomainError, NotAllowed, raise_field_errors
from safecampus.core.forms import id_or_none
from safecampus.core.idempotency import idempotency_lookup, idempotency_race_lost
from safecampus.notifications.audiences import audience_check, audience_users
from safecampus.notifications.models import Alert
from safecampus.notifications.services import alert_remind_unread, alert_send

TOPIC = "anti_fraud"
SEND_SCOPE = "education.warning_send"
TITLE_MAX = 200
BODY_MAX = 5000


def audience_resolve(*, kind: str, campus_id=None, unit_id=None, year=None,
                     class_id=None) -> dict:
    """Check an audience and keep only the fields its kind uses: ``{"kind", "campus_id",
    "unit_id", "year", "class_id"}`` with ids of rows that exist (a college must be an active
    college, a class active). Raises DomainError with ``audience_*`` field errors."""
    year = int(year) if year not in (None, "") else None
    campus_id = campus_id or None
    unit_id = unit_id or None
    class_id = class_id or None
    keep = {
        AudienceKind.EVERYONE: (),
        AudienceKind.CAMPUS: ("campus_id",),
        AudienceKind.COLLEGE: ("unit_id", "year"),
        AudienceKind.YEAR: ("year", "campus_id"),
        AudienceKind.CLASS: ("class_id",),
    }.get(kind, ())
    values = {"campus_id": campus_id, "unit_id": unit_id, "year": year, "class_id": class_id}
    values = {k: (v if k in keep else None) for k, v in values.items()}
    audience_check(kind=kind, **values)
    return {"kind": kind, **values}


def msg_no_recipients() -> str:
    """The refusal of an audience that matches no one (translated)."""
    return _("No one matches this audience, so the warning was not sent. Check the year "
             "group, college, class or campus.")


def audience_require_recipients(audience: dict) -> None:
    """Refuse an audience (as returned by :func:`audience_resolve`) that reaches no active
    person: DomainError code ``no_recipients``, no field errors (it is about the audience as a
    whole)."""
    kind = audience["kind"]
    rest = {k: v for k, v in audience.items() if k != "kind"}
    if not audience_users(kind=kind, **rest).exists():
        raise DomainError(msg_no_recipients(), code="no_recipients")


def _texts(*, title: str, body: str, level: str) -> tuple[str, str]:
    errors: dict[str, list[str]] = {}
    title, body = (title or "").strip(), (body or "").strip()
    if not title:
        errors["title"] = [_("Give the warning a title.")]
    elif len(title) > TITLE_MAX:
        errors["title"] = [_("At most %(count)s characters.") % {"count": TITLE_MAX}]
    if not body:
        errors["body"] = [_("Write what the warning says.")]
    elif len(body) > BODY_MAX:
        errors["body"] = [_("At most %(count)s characters.") % {"count": BODY_MAX}]
    if level not in Alert.Level.values:
        errors["level"] = [_("Choose the level.")]
    raise_field_errors(errors)
    return title, body


def warning_send(*, actor, title: str, body: str, level: str, audience_kind: str,
                 campus_id: int | None = None, unit_id: int | None = None,
                 year: int | None = None, class_id: int | None = None, url: str = "",
                 idempotency_key: str | None = None) -> Alert:
    """Send an anti-fraud warning to one audience (everyone / a campus / a college, optionally
    one year group of it / a year group, optionally on one campus / a class).

    Needs ``education.send_warning``. The same ``idempotency_key`` by the same actor returns
    the first warning (a double tap sends once). Returns the alert (``recipient_count`` set).
    An audience that matches no one is refused (DomainError ``no_recipients``), nothing sent.
    """
    if not actor.has_perm("education.send_warning"):
        raise NotAllowed()
    existing = idempotency_lookup(scope=SEND_SCOPE, key=idempotency_key, model=Alert, user=actor)
    if existing is not None:
        return existing
    title, body = _texts(title=title, body=body, level=level)
    audience = audience_resolve(kind=audience_kind, campus_id=campus_id, unit_id=unit_id,
                                year=year, class_id=class_id)
    audience_require_recipients(audience)
    with transaction.atomic():
        alert = alert_send(
            sender=actor, title=title, body=body, level=level, topic=TOPIC, url=url,
            audience_kind=audience["kind"], audience_campus_id=audience["campus_id"],
            audience_unit_id=audience["unit_id"], audience_year=audience["year"],
            audience_class_id=audience["class_id"])
        winner = idempotency_race_lost(scope=SEND_SCOPE, key=idempotency_key, user=actor,
                                       result=alert)
    return winner or alert


def warning_remind_unread(*, actor, alert_id: int) -> int:
    """Remind every recipient of warning ``alert_id`` who has not read it (once per warning;
    the second time is a Conflict, code ``already_reminded``). Needs
    ``education.view_warning_receipts``. Returns how many were reminded."""
    if not actor.has_perm("education.view_warning_receipts"):
        raise NotAllowed()
    alert_id = id_or_none(alert_id)
    alert = Alert.objects.filter(pk=alert_id, topic=TOPIC).first() if alert_id else None
    if alert is None:
        raise DomainError(_("This warning does not exist."), code="not_found")
    with translation.override(settings.LANGUAGE_CODE):
        title = _("Reminder: please read the warning “%(title)s”") % {"title": alert.title[:120]}
    return alert_remind_unread(actor=actor, alert_id=alert.pk, title=title,
                               url=reverse("notifications:alert", args=[alert.pk]))
