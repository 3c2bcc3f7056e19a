"""Chinese motor-vehicle number plates (机动车号牌): one normal form, and validation.

The normal form is upper-case with no spaces or separators, full-width characters folded
(``"京ａ·１２３４５"`` → ``"京A12345"``). Accepted, after GA 36-2018 and the Ministry of Public
Security's later series:

- **ordinary** (7 characters): province abbreviation, issuing-office letter, then five
  letters or digits; the last may instead be 学 (driving school), 警 (police), 挂 (trailer),
  港 or 澳 (Hong Kong / Macau vehicles entering from Guangdong);
- **new energy** (8 characters): province, office letter, then either a small-vehicle
  series (an energy letter D/A/B/C/E for battery-electric or F/G/H/J/K for other new
  energy, one letter or digit, four digits) or a large-vehicle series (five digits, then the
  energy letter D or F).

Letters I and O never appear after the province (they read as 1 and 0). Everything else is
refused with a reason; :func:`plate_check` says which rule failed.
"""

import re
import unicodedata
from dataclasses import dataclass

from django.utils.translation import gettext as _

from safecampus.core.errors import DomainError

#: The 31 provincial abbreviations of mainland China (省、自治区、直辖市简称).
PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
#: Letters used on plates: A–Z without I and O.
LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"
DIGITS = "0123456789"
#: Last characters of special ordinary plates.
SPECIAL_SUFFIXES = "学警挂港澳"
#: Energy letters of small new-energy plates (3rd character).
SMALL_ENERGY = "DABCEFGHJK"
#: Energy letters of large new-energy plates (8th character).
LARGE_ENERGY = "DF"

#: Characters people put between the parts of a plate: dots, dashes, spaces, underscores.
_SEPARATORS = re.compile(r"[\s·•・．.\-‐‑–—_]+")
_ALNUM = f"[{LETTERS}{DIGITS}]"
_ORDINARY = re.compile(f"^[{PROVINCES}][{LETTERS}]{_ALNUM}{{4}}(?:{_ALNUM}|[{SPECIAL_SUFFIXES}])$")
_SMALL_NEW_ENERGY = re.compile(f"^[{PROVINCES}][{LETTERS}][{SMALL_ENERGY}]{_ALNUM}[{DIGITS}]{{4}}$")
_LARGE_NEW_ENERGY = re.compile(f"^[{PROVINCES}][{LETTERS}][{DIGITS}]{{5}}[{LARGE_ENERGY}]$")


@dataclass(frozen=True)
class Plate:
    """A valid plate: ``number`` in normal form, ``kind`` ``ordinary`` or ``new_energy``."""

    number: str
    kind: str


def plate_normalise(text: str) -> str:
    """The normal form of ``text``: NFKC-folded (full width → half width), separators and
    spaces removed, upper-case; applying it twice changes nothing. Does not validate; ``""``
    for empty input."""
    result = text or ""
    for _round in range(4):  # to a fixed point: removing a space can let marks recombine
        folded = _SEPARATORS.sub("", unicodedata.normalize("NFKC", result)).upper()
        if folded == result:
            break
        result = folded
    return result


def plate_problem(number: str) -> str | None:
    """Why the normal-form ``number`` is not a plate (translated text), or None if it is."""
    if not number:
        return _("Enter the plate number.")
    if number[0] not in PROVINCES:
        return _("A plate starts with a province abbreviation such as 京, 陕 or 粤.")
    if len(number) not in (7, 8):
        return _("A plate has 7 characters (8 for new-energy vehicles); this one has "
                 "%(count)s.") % {"count": len(number)}
    if number[1] not in LETTERS:
        return _("The second character is the issuing office's letter (A–Z, no I or O).")
    if "I" in number or "O" in number:
        return _("Plates use no letters I or O (they would read as 1 and 0).")
    if len(number) == 7:
        if _ORDINARY.match(number):
            return None
        return _("After the province and office letter an ordinary plate has five letters or "
                 "digits (the last may be 学, 警, 挂, 港 or 澳).")
    if _SMALL_NEW_ENERGY.match(number) or _LARGE_NEW_ENERGY.match(number):
        return None
    return _("An 8-character new-energy plate continues with D, A, B, C, E, F, G, H, J or K, "
             "one letter or digit and four digits (small vehicles), or five digits and D or F "
             "(large vehicles).")


def plate_check(text: str) -> Plate:
    """Normalise and validate ``text``; returns the :class:`Plate`.

    Raises DomainError (code ``bad_plate``, field ``plate``) with the reason when it is not
    an ordinary 7-character or new-energy 8-character plate.
    """
    number = plate_normalise(text)
    problem = plate_problem(number)
    if problem is not None:
        raise DomainError(problem, code="bad_plate", field_errors={"plate": [problem]})
    return Plate(number=number, kind="ordinary" if len(number) == 7 else "new_energy")
