"""Form fields shared by the patrol forms.

:class:`LocalDateField` is the date filter of every list, report and statistics page: a local
(Asia/Shanghai) calendar day between :data:`FIRST_DAY` and :data:`LAST_DAY`, so that the
start and the end of the day it names (and the next day) are always datetimes Python and the
database can hold. A date outside gets the field's error, never a 500.
"""

import datetime as dt

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator

#: The first and last day a date filter accepts (the oldest imported logs are from 2014).
FIRST_DAY = dt.date(1900, 1, 1)
LAST_DAY = dt.date(2999, 12, 31)


def day_validators() -> list:
    """Validators keeping a date between :data:`FIRST_DAY` and :data:`LAST_DAY` (also for
    the API's query serializers)."""
    return [MinValueValidator(FIRST_DAY), MaxValueValidator(LAST_DAY)]


class LocalDateField(forms.DateField):
    """An optional local date (``YYYY-MM-DD``, a date picker on phones) within the bounds."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("widget", forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
        kwargs["validators"] = [*kwargs.get("validators", ()), *day_validators()]
        super().__init__(**kwargs)


#: The largest row id the databases hold (a signed 64-bit integer).
MAX_ID = 2**63 - 1


def id_or_none(value) -> int | None:
    """A row id from a query or form value (``"42"``, 42), or None for anything else: empty,
    not ASCII digits (``"²"``, ``"-1"``), zero, or too large for the database."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    else:
        text = str(value or "").strip()
        if not (text.isascii() and text.isdigit()) or len(text) > 19:
            return None
        number = int(text)
    return number if 0 < number <= MAX_ID else None
