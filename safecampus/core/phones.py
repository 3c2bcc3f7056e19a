"""Phone numbers as people type them into a form: one normal form and one check, shared by
every module that keeps a contact number (a vehicle's owner, a duty-log caller …).

A phone number is digits with spaces, ``+``, ``-`` and brackets, and optionally an extension
(``转123``, ``分机 123``, ``ext 123``, ``x123``). It is checked after NFKC folding, so
full-width digits and brackets typed with a Chinese input method pass. Nothing checks the
number of digits: campus extensions, landlines and mobiles all occur.
"""

import re
import unicodedata

from django.utils.translation import gettext_lazy as _

_PHONE_RE = re.compile(r"^\+?[0-9 ()\-]*[0-9][0-9 ()\-]*"
                       r"(?:\s*(?:转|分机|ext\.?|x)\s*[0-9]{1,6})?$", re.IGNORECASE)

#: The message for a number that is not one (a caller may give a more specific one).
PHONE_INVALID = _("Enter a phone number (digits, with spaces, +, - or brackets).")


def phone_normalise(text: str | None) -> str:
    """``text`` NFKC-folded (full-width digits and brackets become ASCII) and stripped;
    "" for None."""
    return unicodedata.normalize("NFKC", str(text or "")).strip()


def phone_is_valid(phone: str) -> bool:
    """True when ``phone`` (already normalised, see :func:`phone_normalise`) is written like a
    phone number: digits with spaces, ``+``, ``-``, brackets and an optional extension. An
    empty string is not a number; callers decide whether the field is optional."""
    return bool(_PHONE_RE.match(phone))
