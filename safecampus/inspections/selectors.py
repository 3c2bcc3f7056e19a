"""Reading inspections, plans and checklists (house rule 1).

Every list, export, PDF and API path goes through :func:`inspection_list_visible_to` /
:func:`target_list_visible_to`, which encode ``inspections.view_inspection`` in SQL: the
office and leadership see everything, an inspector his own inspections, a unit's safety
contact or leader the unit's self-inspections and the office's finished ones (results go
out to the unit when they are released, after any approval).
"""

from django.db.models import Max, Prefetch, Q, QuerySet

from .models import (
    ChecklistItem,
    ChecklistTemplate,
    ChecklistVersion,
    Inspection,
    InspectionPlan,
    InspectionTarget,
)


def _acting_unit_ids(user) -> list[int]:
    scope = user.scope
    return [uid for uid in scope.unit_ids if scope.acts_for_unit(uid)]


def inspection_list_visible_to(user) -> QuerySet[Inspection]:
    """Inspections ``user`` may see (unordered); anonymous users see none."""
    if not user.is_authenticated:
        return Inspection.objects.none()
    if user.scope.sees_everything:
        return Inspection.objects.all()
    q = Q(inspector_id=user.pk)
    units = _acting_unit_ids(user)
    if units:
        # A unit sees its self-inspections, and the office's only once the results went out.
        q |= Q(unit_id__in=units) & (Q(kind=Inspection.Kind.SELF)
                                     | Q(state=Inspection.State.FINISHED))
    return Inspection.objects.filter(q)


def plan_list_visible_to(user) -> QuerySet[InspectionPlan]:
    """Plans the office and leadership see all of; others the plans covering their units or
    assigning them a place."""
    if not user.is_authenticated:
        return InspectionPlan.objects.none()
    if user.scope.sees_everything:
        return InspectionPlan.objects.all()
    q = Q(targets__inspector_id=user.pk)
    units = _acting_unit_ids(user)
    if units:
        q |= Q(targets__unit_id__in=units)
    return InspectionPlan.objects.filter(pk__in=InspectionPlan.objects.filter(q).values("pk"))


def target_list_visible_to(user, plan: InspectionPlan | None = None) -> QuerySet[InspectionTarget]:
    """Targets ``user`` may see (of ``plan`` if given): all for office/leadership, else the
    ones assigned to the user or belonging to the user's units."""
    qs = InspectionTarget.objects.all() if plan is None else plan.targets.all()
    if not user.is_authenticated:
        return qs.none()
    if user.scope.sees_everything:
        return qs
    q = Q(inspector_id=user.pk)
    units = _acting_unit_ids(user)
    if units:
        q |= Q(unit_id__in=units)
    return qs.filter(q)


def template_list_visible_to(user) -> QuerySet[ChecklistTemplate]:
    """Active templates for anyone who may view checklists (the office also sees inactive)."""
    if not user.has_perm("inspections.view_templates"):
        return ChecklistTemplate.objects.none()
    if user.has_perm("inspections.manage_templates"):
        return ChecklistTemplate.objects.all()
    return ChecklistTemplate.objects.filter(is_active=True)


def templates_runnable() -> QuerySet[ChecklistTemplate]:
    """Active templates that have a published version (what an inspection can use)."""
    return ChecklistTemplate.objects.filter(
        is_active=True, versions__state=ChecklistVersion.State.PUBLISHED).distinct()


def template_overview_visible_to(user) -> QuerySet[ChecklistTemplate]:
    """Templates ``user`` may see, ordered by name, each with ``published_number``,
    ``published_at`` (of its current published version) and ``draft_number`` (or None)."""
    published = Q(versions__state=ChecklistVersion.State.PUBLISHED)
    return template_list_visible_to(user).annotate(
        published_number=Max("versions__number", filter=published),
        published_at=Max("versions__published_at", filter=published),
        draft_number=Max("versions__number",
                         filter=Q(versions__state=ChecklistVersion.State.DRAFT)),
    ).order_by("name", "id")


def version_contents(version: ChecklistVersion) -> list:
    """The version's sections in order, each with ``item_list`` (items in order, their
    hazard category joined): two queries whatever the size."""
    items = ChecklistItem.objects.select_related("hazard_category").order_by("position", "id")
    return list(version.sections.order_by("position", "id").prefetch_related(
        Prefetch("items", queryset=items, to_attr="item_list")))


def inspection_reported_hazard_references(inspection: Inspection) -> list[str]:
    """References (``YH2026-000123``) of the hazards the inspection's failed items opened, in
    checklist order; empty before it is released or when every item complied (one query)."""
    results = (inspection.results.filter(hazard__isnull=False).select_related("hazard")
               .order_by("item__position", "pk"))
    return [result.hazard.reference for result in results]
