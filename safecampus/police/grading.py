"""Grading a risk point: the LEC method and the likelihood × severity matrix (pure functions,
no database).

LEC (作业条件危险性评价法, Graham–Kinney, 1976): the danger of a working condition is
D = L × E × C, where L is the likelihood of an accident, E the frequency of exposure to the
hazard and C the consequence if it happens. Each factor takes only the values of the standard
tables (:data:`LEC_L`, :data:`LEC_E`, :data:`LEC_C`); D is graded by
``SAFECAMPUS["RISK_LEC_BANDS"]``: major (red) from ``["major"]`` (320), high (orange) from
``["high"]`` (160), moderate (yellow) from ``["moderate"]`` (70), else low (blue) — each lower
bound included.

Risk matrix (风险矩阵法): likelihood and severity are integers 1–5 (:data:`MATRIX_LIKELIHOOD`,
:data:`MATRIX_SEVERITY`), R = likelihood × severity, graded by
``SAFECAMPUS["RISK_MATRIX_BANDS"]`` the same way (20 / 12 / 6).

The control tier (管控层级) a level needs: major → university, high → unit, moderate → team,
low → post (:data:`TIER_BY_LEVEL`); a measure at that tier or a higher one controls it
(:func:`tiers_for_level`).

Bad input raises :class:`~safecampus.core.errors.DomainError` with a field error: a blank
factor (None or empty text) asks for it by name and meaning ("Choose L (the likelihood of an
accident)."); a value outside the method's table, or text, names the allowed values.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from safecampus.core.errors import DomainError

from .models.risks import AssessmentMethod, ControlTier

MAJOR, HIGH, MODERATE, LOW = "major", "high", "moderate", "low"
#: Highest first: the order places and lists compare levels in.
LEVEL_ORDER = (MAJOR, HIGH, MODERATE, LOW)
LEVEL_RANK = {MAJOR: 4, HIGH: 3, MODERATE: 2, LOW: 1, "": 0}

#: L: likelihood of an accident (事故发生的可能性).
LEC_L = (
    (Decimal("10"), gettext_lazy("Fully expected")),  # 完全可以预料
    (Decimal("6"), gettext_lazy("Quite possible")),  # 相当可能
    (Decimal("3"), gettext_lazy("Possible but unusual")),  # 可能，但不经常
    (Decimal("1"), gettext_lazy("Unlikely, a pure accident")),  # 可能性小，完全意外
    (Decimal("0.5"), gettext_lazy("Very unlikely but conceivable")),  # 很不可能，可以设想
    (Decimal("0.2"), gettext_lazy("Extremely unlikely")),  # 极不可能
    (Decimal("0.1"), gettext_lazy("Practically impossible")),  # 实际不可能
)
#: E: how often people are exposed to the hazard (暴露于危险环境的频繁程度).
LEC_E = (
    (Decimal("10"), gettext_lazy("Continuous exposure")),  # 连续暴露
    (Decimal("6"), gettext_lazy("Daily during working hours")),  # 每天工作时间内暴露
    (Decimal("3"), gettext_lazy("Weekly or now and then")),  # 每周一次或偶然暴露
    (Decimal("2"), gettext_lazy("Monthly")),  # 每月一次暴露
    (Decimal("1"), gettext_lazy("A few times a year")),  # 每年几次暴露
    (Decimal("0.5"), gettext_lazy("Very rarely")),  # 非常罕见地暴露
)
#: C: the consequence of an accident (发生事故产生的后果).
LEC_C = (
    (Decimal("100"), gettext_lazy("Catastrophe, many deaths")),  # 大灾难，许多人死亡
    (Decimal("40"), gettext_lazy("Disaster, several deaths")),  # 灾难，数人死亡
    (Decimal("15"), gettext_lazy("Very serious, one death")),  # 非常严重，一人死亡
    (Decimal("7"), gettext_lazy("Serious injury")),  # 严重，重伤
    (Decimal("3"), gettext_lazy("Major, disabling injury")),  # 重大，致残
    (Decimal("1"), gettext_lazy("Noticeable, needs first aid")),  # 引人注目，需要救护
)
#: Matrix likelihood (可能性) 1–5.
MATRIX_LIKELIHOOD = (
    (5, gettext_lazy("Almost certain")),  # 几乎肯定
    (4, gettext_lazy("Likely")),  # 很可能
    (3, gettext_lazy("Possible")),  # 可能
    (2, gettext_lazy("Unlikely")),  # 不太可能
    (1, gettext_lazy("Rare")),  # 极少
)
#: Matrix severity (严重程度) 1–5.
MATRIX_SEVERITY = (
    (5, gettext_lazy("Catastrophic: deaths")),  # 灾难性：死亡
    (4, gettext_lazy("Major: serious injury")),  # 严重：重伤
    (3, gettext_lazy("Moderate: minor injury")),  # 较大：轻伤
    (2, gettext_lazy("Minor: first aid")),  # 一般：需简单救护
    (1, gettext_lazy("Negligible")),  # 轻微
)

TIER_BY_LEVEL = {MAJOR: ControlTier.UNIVERSITY, HIGH: ControlTier.UNIT,
                 MODERATE: ControlTier.TEAM, LOW: ControlTier.POST}
#: Tiers from the lowest (post) to the highest (university).
TIER_RANK = {ControlTier.POST: 1, ControlTier.TEAM: 2, ControlTier.UNIT: 3,
             ControlTier.UNIVERSITY: 4}


def tiers_for_level(level: str) -> list[str]:
    """The control tiers that may control a risk of ``level``: the tier it needs
    (:data:`TIER_BY_LEVEL`) and every higher one (a university-level measure also controls a
    moderate risk). Empty for no level."""
    needed = TIER_BY_LEVEL.get(level)
    if needed is None:
        return []
    return [tier for tier, rank in TIER_RANK.items() if rank >= TIER_RANK[needed]]


@dataclass(frozen=True)
class Grade:
    """The result of one grading: ``score`` (D or R, a Decimal), ``level`` (major/high/
    moderate/low) and the ``control_tier`` that level needs."""

    method: str
    score: Decimal
    level: str
    control_tier: str


def band(score: Decimal | int, bands: dict) -> str:
    """The level of ``score`` under ``bands`` ``{"major": x, "high": y, "moderate": z}``
    (lower bounds included; below ``moderate`` is low)."""
    for level in (MAJOR, HIGH, MODERATE):
        if score >= bands[level]:
            return level
    return LOW


def lec_band(score) -> str:
    return band(Decimal(score), settings.SAFECAMPUS["RISK_LEC_BANDS"])


def matrix_band(score) -> str:
    return band(int(score), settings.SAFECAMPUS["RISK_MATRIX_BANDS"])


def _allowed_text(values) -> str:
    return ", ".join(_number_text(value) for value, _label in values)


def _number_text(value) -> str:
    text = format(value, "f") if isinstance(value, Decimal) else str(value)
    return text.rstrip("0").rstrip(".") if "." in text else text


def msg_value_refused(*, name: str, values) -> str:
    return _("%(name)s must be one of the method's values: %(values)s.") % {
        "name": name, "values": _allowed_text(values)}


def _decimal_of(value) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def msg_value_missing(field: str) -> str:
    """The message for a factor left blank, naming what the factor means."""
    messages = {
        "lec_l": _("Choose L (the likelihood of an accident)."),
        "lec_e": _("Choose E (how often people are exposed to the hazard)."),
        "lec_c": _("Choose C (the consequence of an accident)."),
        "likelihood": _("Choose the likelihood."),
        "severity": _("Choose the severity."),
    }
    return messages[field]


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _pick(value, table, *, field: str, name: str, errors: dict):
    if _blank(value):
        errors[field] = [msg_value_missing(field)]
        return None
    number = _decimal_of(value)
    for allowed, _label in table:
        if number is not None and number == allowed:
            return allowed
    errors[field] = [msg_value_refused(name=name, values=table)]
    return None


def grade_lec(l, e, c) -> Grade:  # noqa: E741 - the method's own letters
    """D = L × E × C graded by ``RISK_LEC_BANDS``. ``l``, ``e``, ``c``: numbers or text of the
    tables' values (``"0.5"``, ``6``, ``Decimal("10")``). Raises DomainError with field errors
    at ``lec_l`` / ``lec_e`` / ``lec_c`` for any value outside its table."""
    errors: dict[str, list[str]] = {}
    lv = _pick(l, LEC_L, field="lec_l", name="L", errors=errors)
    ev = _pick(e, LEC_E, field="lec_e", name="E", errors=errors)
    cv = _pick(c, LEC_C, field="lec_c", name="C", errors=errors)
    if errors:
        raise DomainError(next(iter(errors.values()))[0], code="invalid", field_errors=errors)
    score = (lv * ev * cv).quantize(Decimal("0.01"))
    level = lec_band(score)
    return Grade(AssessmentMethod.LEC, score, level, TIER_BY_LEVEL[level])


def grade_matrix(likelihood, severity) -> Grade:
    """R = likelihood × severity (integers 1–5) graded by ``RISK_MATRIX_BANDS``. Raises
    DomainError with field errors at ``likelihood`` / ``severity``."""
    errors: dict[str, list[str]] = {}
    lv = _pick(likelihood, MATRIX_LIKELIHOOD, field="likelihood", name=_("Likelihood"),
               errors=errors)
    sv = _pick(severity, MATRIX_SEVERITY, field="severity", name=_("Severity"), errors=errors)
    if errors:
        raise DomainError(next(iter(errors.values()))[0], code="invalid", field_errors=errors)
    score = Decimal(int(lv) * int(sv)).quantize(Decimal("0.01"))
    level = matrix_band(score)
    return Grade(AssessmentMethod.MATRIX, score, level, TIER_BY_LEVEL[level])


def grade(method, *, lec_l=None, lec_e=None, lec_c=None, likelihood=None,
          severity=None) -> Grade:
    """Grade by ``method`` ("lec" or "matrix"); the other method's values are ignored."""
    if method == AssessmentMethod.LEC:
        return grade_lec(lec_l, lec_e, lec_c)
    if method == AssessmentMethod.MATRIX:
        return grade_matrix(likelihood, severity)
    message = _("Choose the assessment method.")
    raise DomainError(message, field_errors={"method": [message]})


def level_max(levels) -> str:
    """The highest of ``levels`` ("" when none)."""
    best = ""
    for level in levels:
        if LEVEL_RANK.get(level or "", 0) > LEVEL_RANK[best]:
            best = level
    return best


def tables() -> dict:
    """The tables as plain data for forms and the page's script: ``{"lec_l": [(value text,
    label), …], …, "lec_bands": {...}, "matrix_bands": {...}}``."""
    return {
        "lec_l": [(_number_text(v), str(label)) for v, label in LEC_L],
        "lec_e": [(_number_text(v), str(label)) for v, label in LEC_E],
        "lec_c": [(_number_text(v), str(label)) for v, label in LEC_C],
        "likelihood": [(str(v), str(label)) for v, label in MATRIX_LIKELIHOOD],
        "severity": [(str(v), str(label)) for v, label in MATRIX_SEVERITY],
        "lec_bands": dict(settings.SAFECAMPUS["RISK_LEC_BANDS"]),
        "matrix_bands": dict(settings.SAFECAMPUS["RISK_MATRIX_BANDS"]),
    }
