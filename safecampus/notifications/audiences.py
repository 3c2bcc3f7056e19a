"""Resolve an audience (everyone / a campus / a college / a year group / a class) to people.

Used by targeted warnings (:mod:`safecampus.notifications`) and quiz assignments
(:mod:`safecampus.education`). People are matched through their :class:`Affiliation`;
"everyone" means every active user. A campus audience also reaches people whose class is
on that campus. Raises :class:`~safecampus.core.errors.DomainError` (field errors) when the
fields the kind needs are missing.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from safecampus.accounts.models import AudienceKind, User
from safecampus.core.errors import raise_field_errors
from safecampus.organisation.models import STUDENT_UNIT_KINDS, Campus, ClassGroup, Unit


def audience_check(*, kind: str, campus_id=None, unit_id=None, year=None, class_id=None) -> None:
    """Refuse an audience whose kind lacks the field it needs, or that names a campus, college
    (an active unit of kind college) or class (active) that does not exist. Raises
    :class:`DomainError` with ``{field: [message]}`` field errors (translated)."""
    errors: dict[str, list[str]] = {}
    if kind not in AudienceKind.values:
        errors["audience_kind"] = [_("Choose who it is for.")]
    elif kind == AudienceKind.CAMPUS and not campus_id:
        errors["audience_campus"] = [_("Choose the campus.")]
    elif kind == AudienceKind.COLLEGE and not unit_id:
        errors["audience_unit"] = [_("Choose the college.")]
    elif kind == AudienceKind.YEAR and not year:
        errors["audience_year"] = [_("Give the year group, e.g. 2024.")]
    elif kind == AudienceKind.CLASS and not class_id:
        errors["audience_class"] = [_("Choose the class.")]
    if year is not None and not (1950 <= int(year) <= 2100):
        errors["audience_year"] = [_("Give the year group as a year, e.g. 2024.")]
    if campus_id and not Campus.objects.filter(pk=campus_id).exists():
        errors["audience_campus"] = [_("This campus does not exist.")]
    if unit_id and not Unit.objects.filter(pk=unit_id, kind__in=STUDENT_UNIT_KINDS,
                                           is_active=True).exists():
        errors["audience_unit"] = [_("Choose one of the colleges.")]
    if class_id and not ClassGroup.objects.filter(pk=class_id, is_active=True).exists():
        errors["audience_class"] = [_("This class does not exist.")]
    raise_field_errors(errors)


def audience_q(*, kind: str, campus_id=None, unit_id=None, year=None, class_id=None) -> Q:
    """The filter on :class:`User` for one audience (active users only)."""
    q = Q(is_active=True)
    if kind == AudienceKind.EVERYONE:
        return q
    if kind == AudienceKind.CAMPUS:
        return q & (Q(affiliation__campus_id=campus_id)
                    | Q(affiliation__class_group__campus_id=campus_id))
    if kind == AudienceKind.COLLEGE:
        q &= Q(affiliation__college_id=unit_id)
        if year:
            q &= Q(affiliation__enrolment_year=year)
        return q
    if kind == AudienceKind.YEAR:
        q &= Q(affiliation__enrolment_year=year)
        if campus_id:
            q &= Q(affiliation__campus_id=campus_id)
        return q
    if kind == AudienceKind.CLASS:
        return q & Q(affiliation__class_group_id=class_id)
    return Q(pk__in=[])


def audience_users(*, kind: str, campus_id=None, unit_id=None, year=None,
                   class_id=None) -> QuerySet:
    """Active users in the audience (checked first; see :func:`audience_check`)."""
    audience_check(kind=kind, campus_id=campus_id, unit_id=unit_id, year=year, class_id=class_id)
    return User.objects.filter(audience_q(kind=kind, campus_id=campus_id, unit_id=unit_id,
                                          year=year, class_id=class_id)).distinct()


def audience_key(*, kind: str, campus_id=None, unit_id=None, year=None, class_id=None) -> str:
    """A short text naming exactly the audience as composed, e.g. ``"class||||17"``. The compose
    forms put the key of the audience whose count was shown beside the send button; a send
    whose audience no longer has that key was changed after the check, so it is shown for
    checking again instead of being sent to people nobody counted."""
    return "|".join("" if v in (None, "") else str(getattr(v, "pk", v))
                    for v in (kind, campus_id, unit_id, year, class_id))


def msg_audience_changed() -> str:
    return _("Who receives it was changed after the recipients were checked: check the new "
             "number below, then send.")


def audience_of(row) -> dict:
    """The keyword arguments of one :class:`~safecampus.accounts.models.Audience` row."""
    return {"kind": row.audience_kind, "campus_id": row.audience_campus_id,
            "unit_id": row.audience_unit_id, "year": row.audience_year,
            "class_id": row.audience_class_id}


def audience_label(row) -> str:
    """Human text for an audience row, e.g. "化学学院 2024级" (translated)."""
    kind = row.audience_kind
    if kind == AudienceKind.EVERYONE:
        return _("Everyone")
    if kind == AudienceKind.CAMPUS:
        return str(row.audience_campus)
    if kind == AudienceKind.COLLEGE:
        if row.audience_year:
            return _("%(college)s, year group %(year)s") % {
                "college": row.audience_unit, "year": row.audience_year}
        return str(row.audience_unit)
    if kind == AudienceKind.YEAR:
        label = _("Year group %(year)s") % {"year": row.audience_year}
        return f"{row.audience_campus} · {label}" if row.audience_campus_id else label
    return str(row.audience_class)
