"""SafeCampus's own wording of Django's too-long / too-short messages.

Django's validators (``django/core/validators.py``, ``MaxLengthValidator`` and
``MinLengthValidator``) carry these exact msgids; marking them here keeps them in our
catalogue when ``makemessages`` runs, and our catalogue (``LOCALE_PATHS``) takes precedence
over Django's own. So every form field with ``max_length`` / ``min_length`` says, in Chinese,
“最多 120 个字符（当前 500 个）。” instead of Django's wording. The msgids, plural included,
must stay identical to Django's (``core/tests/test_length_messages.py`` checks it).
"""

from django.utils.translation import ngettext_lazy

MAX_LENGTH = ngettext_lazy(
    "Ensure this value has at most %(limit_value)d character (it has "
    "%(show_value)d).",
    "Ensure this value has at most %(limit_value)d characters (it has "
    "%(show_value)d).",
    "limit_value",
)

MIN_LENGTH = ngettext_lazy(
    "Ensure this value has at least %(limit_value)d character (it has "
    "%(show_value)d).",
    "Ensure this value has at least %(limit_value)d characters (it has "
    "%(show_value)d).",
    "limit_value",
)
