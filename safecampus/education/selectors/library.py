"""The fraud case library, reads: the types and published cases every signed-in reader sees,
search over case titles and stories, and the office's lists with drafts and inactive types.

Readers see active types and the published cases of active types; the office
(``education.manage_fraud_library``) sees everything. A row a user may not see is None
(the pages answer 404).
"""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from safecampus.core.activity import activity_for

from ..models import FraudCase, FraudType

MANAGE = "education.manage_fraud_library"
SEARCH_MAX = 64


def _manages(user) -> bool:
    return user.has_perm(MANAGE)


def published_cases() -> QuerySet[FraudCase]:
    """Published cases of active types, newest published first, with their type."""
    return (FraudCase.objects.filter(is_published=True, fraud_type__is_active=True)
            .select_related("fraud_type").order_by("-published_at", "-id"))


def fraud_types_for_readers() -> QuerySet[FraudType]:
    """Active types in their order, each with ``case_count`` (published cases)."""
    return (FraudType.objects.filter(is_active=True)
            .annotate(case_count=Count("cases", filter=Q(cases__is_published=True)))
            .order_by("position", "code"))


def fraud_types_all() -> QuerySet[FraudType]:
    """Every type (office list), with ``case_count`` (all cases) and ``published_count``."""
    return (FraudType.objects
            .annotate(case_count=Count("cases"),
                      published_count=Count("cases", filter=Q(cases__is_published=True)))
            .order_by("position", "code"))


def fraud_type_for(user, code: str) -> FraudType | None:
    """The type with ``code``: active for readers, any for the office; else None."""
    qs = FraudType.objects.filter(code=str(code or "")[:32])
    if not _manages(user):
        qs = qs.filter(is_active=True)
    return qs.first()


def fraud_type_cases(user, fraud_type: FraudType) -> QuerySet[FraudCase]:
    """The type's cases: published ones for readers, all for the office (drafts first)."""
    if _manages(user):
        return (fraud_type.cases.select_related("fraud_type")
                .order_by("is_published", "-published_at", "-id"))
    return published_cases().filter(fraud_type=fraud_type)


def fraud_case_for(user, pk) -> FraudCase | None:
    """One case: a published case of an active type for readers, any for the office."""
    from safecampus.core.forms import id_or_none

    if not id_or_none(pk):
        return None
    if _manages(user):
        return FraudCase.objects.select_related("fraud_type", "created_by").filter(pk=pk).first()
    return published_cases().filter(pk=pk).first()


def fraud_cases_all(*, state: str = "", fraud_type_id: int | None = None,
                    q: str = "") -> QuerySet[FraudCase]:
    """The office's case list: ``state`` ``published`` | ``draft`` | "" (all), a type, text."""
    qs = FraudCase.objects.select_related("fraud_type").order_by("is_published", "-updated_at",
                                                                 "-id")
    if state == "published":
        qs = qs.filter(is_published=True)
    elif state == "draft":
        qs = qs.filter(is_published=False)
    if fraud_type_id:
        qs = qs.filter(fraud_type_id=fraud_type_id)
    if q:
        qs = qs.filter(Q(title__icontains=q) | Q(story__icontains=q))
    return qs


def library_search(q: str) -> tuple[list[FraudType], QuerySet[FraudCase]]:
    """Active types whose name, summary or red flags contain ``q``, and published cases
    whose title, story or lesson does (case-insensitive; ``q`` cut to 64 characters). An
    empty ``q`` finds nothing."""
    q = (q or "").strip()[:SEARCH_MAX]
    if not q:
        return [], FraudCase.objects.none()
    types = list(fraud_types_for_readers().filter(
        Q(name__icontains=q) | Q(summary__icontains=q) | Q(red_flags__icontains=q)
        | Q(tactics__icontains=q)))
    cases = published_cases().filter(Q(title__icontains=q) | Q(story__icontains=q)
                                     | Q(lesson__icontains=q))
    return types, cases


def fraud_case_timeline(case: FraudCase):
    return activity_for(case).order_by("occurred_at", "id")


def active_fraud_types() -> QuerySet[FraudType]:
    """Active types in their order (choices of forms)."""
    return FraudType.objects.filter(is_active=True).order_by("position", "code")
