"""Domain errors raised by services and turned into form errors, messages or API responses.

Services raise these instead of Django's ValidationError so that an HTML view and the API
can both render the same translated message: 400 for :class:`DomainError`, 403 for
:class:`NotAllowed`, 409 for :class:`Conflict`.
"""

from django.utils.translation import gettext as _


class DomainError(Exception):
    """Input or state that the rule does not allow. ``message`` is translated text.

    ``field_errors`` maps form/API field names to lists of messages, when the error is about
    specific fields.
    """

    status_code = 400

    def __init__(self, message: str, *, code: str = "invalid", field_errors=None):
        super().__init__(message)
        self.message = message
        self.code = code
        self.field_errors: dict[str, list[str]] = field_errors or {}


class NotAllowed(DomainError):
    """The actor may not do this to this object (permission)."""

    status_code = 403

    def __init__(self, message: str | None = None, *, code: str = "not_allowed"):
        super().__init__(message or _("You are not allowed to do this."), code=code)


class Conflict(DomainError):
    """The object changed under the caller: an illegal or stale transition."""

    status_code = 409

    def __init__(self, message: str, *, code: str = "conflict"):
        super().__init__(message, code=code)


def perm_require(actor, perm: str, obj=None, *, system: bool = False) -> None:
    """Raise :class:`NotAllowed` unless ``actor`` has ``perm`` (on ``obj``: django-rules object
    permissions). ``actor`` None is the system itself (a seed command, the demo loader): allowed
    only when the service says so with ``system=True``, refused otherwise."""
    if actor is None:
        if system:
            return
        raise NotAllowed()
    if not actor.has_perm(perm, obj):
        raise NotAllowed()


def field_error(field: str, message: str, *, code: str = "invalid") -> DomainError:
    """A :class:`DomainError` about one field: ``message`` (translated) shown at ``field``."""
    return DomainError(message, code=code, field_errors={field: [message]})


def raise_field_errors(errors: dict[str, list[str]]) -> None:
    """Raise a :class:`DomainError` carrying every field's messages (``{field: [message, …]}``)
    when there are any; its message is the first one. Does nothing for an empty dict."""
    if errors:
        raise DomainError(next(iter(errors.values()))[0], field_errors=errors)


#: C0 control characters other than tab, line feed and carriage return, and DEL: invisible,
#: refused by PostgreSQL (NUL) and by XML 1.0, never meant by a person typing.
_CONTROL_CHARACTERS = dict.fromkeys([*range(0, 9), 11, 12, *range(14, 32), 127])


def without_control_characters(text: str) -> str:
    """``text`` without the control characters a person never means to type (NUL, bell,
    escape … but not tab and line breaks)."""
    return text.translate(_CONTROL_CHARACTERS)


def text_checked(value, *, field: str, limit: int, errors: dict[str, list[str]],
                 required: str = "") -> str:
    """A service's free-text argument, stripped; problems are added to ``errors`` for
    :func:`raise_field_errors` so that every field's message is shown at once.

    ``value``: the text as given (None is ""). ``limit``: the most characters allowed after
    stripping. ``required``: the translated message when the text is empty (empty allowed when
    ""). Control characters are dropped (:func:`without_control_characters`). Returns the
    stripped text even when it is refused; sets ``errors[field]`` to one message (empty, or
    "At most N characters.") and never raises."""
    value = without_control_characters(value or "").strip()
    if required and not value:
        errors[field] = [required]
    elif len(value) > limit:
        errors[field] = [_("At most %(count)s characters.") % {"count": limit}]
    return value


def msg_calendar_unknown(*, year: int) -> str:
    return _(
        "The official holiday calendar for %(year)s is not known yet: use calendar days, or ask "
        "the administrator to enter that year's holidays and make-up working days."
    ) % {"year": year}
