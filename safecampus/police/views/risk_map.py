"""Pages of the four-colour risk map (安全风险四色图): the map of one campus with its points
coloured by level (filters by kind and level, a list under it), its A3/A4 PDF, the campus map
upload, and the leadership overview. Views are thin: parse, one selector or service call,
render (house rule 5). A campus the user may not open is a 404."""

import hashlib

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from safecampus.core.errors import DomainError
from safecampus.core.forms import apply_domain_error
from safecampus.core.pagination import page_of
from safecampus.core.spreadsheets import content_disposition
from safecampus.core.views import require_perm
from safecampus.organisation.campus_maps import campus_map_size, campus_map_upload
from safecampus.organisation.models import Campus, RiskLevel

from ..documents_risk_map import map_svg, point_url_pattern, risk_map_pdf_bytes
from ..forms.risk_map import CampusMapUploadForm, RiskMapFilterForm
from ..models import RiskPoint
from ..selectors import risk_map as selectors
from ..selectors import risk_overview

VIEW = "police.view_risk_map"
UPLOAD = "police.upload_campus_map"
OVERVIEW = "police.view_risk_overview"
PER_PAGE = 50


def _campus_and_filters(request):
    """(form, tabs, campus or None, kind, level) from the query string; 404 for a campus the
    user may not open."""
    tabs = selectors.map_campuses(request.user)
    form = RiskMapFilterForm(request.GET or None, campuses=[t.campus for t in tabs])
    campus_id = form.value("campus", None)
    if campus_id is None and request.GET.get("campus"):
        raise Http404(_("Campus not found"))
    if campus_id is None:
        campus = selectors.default_campus(tabs)
    else:
        campus = next((t.campus for t in tabs if t.campus.pk == campus_id), None)
        if campus is None:
            raise Http404(_("Campus not found"))
    return form, tabs, campus, form.value("kind"), form.value("level")


def _map_url(campus) -> str:
    # The file name changes with every upload: a new ?v= makes browsers fetch the new map.
    version = hashlib.sha1(campus.map_image.name.encode()).hexdigest()[:10]
    return f"{reverse('organisation:campus_map', args=[campus.pk])}?v={version}"


@login_required
def risk_map(request):
    """The map of one campus: tabs of campuses, filters, legend with counts per level, the
    map image with its points (inline SVG), the points as a paginated list."""
    require_perm(request, VIEW)
    form, tabs, campus, kind, level = _campus_and_filters(request)
    context = {"form": form, "tabs": tabs, "campus": campus, "kind": kind, "level": level,
               "can_upload": request.user.has_perm(UPLOAD)}
    if campus is not None:
        data = selectors.map_points(request.user, campus_id=campus.pk, kind=kind, level=level)
        size = campus_map_size(campus)
        query = {"campus": campus.pk, "kind": kind, "level": level}
        page = page_of(data.points, _page_number(request), per_page=PER_PAGE)
        pattern = point_url_pattern()
        for row in page:
            row["url"] = pattern.format(pk=row["pk"]) if pattern else ""
        context.update({
            "data": data, "legend": selectors.legend(data.counts), "has_map": size is not None,
            "svg": map_svg(data=data, size=size, image_url=_map_url(campus),
                           label=_("Four-colour risk map of %(campus)s") % {
                               "campus": campus.name}) if size else "",
            "page": page,
            "query": urlencode({k: v for k, v in query.items() if v}),
            "tab_query": urlencode({k: v for k, v in query.items() if v and k != "campus"}),
            "level_query": urlencode({k: v for k, v in query.items()
                                      if v and k != "level"}),
        })
    return render(request, "police/risk_map/map.html", context)


def _page_number(request) -> int:
    raw = request.GET.get("page") or "1"
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 6 else 1


@login_required
def risk_map_pdf(request):
    """The map of one campus as a landscape A3 (default) or A4 PDF with legend and the red and
    orange points in a table; the same filters as the page."""
    require_perm(request, VIEW)
    form, _tabs, campus, kind, level = _campus_and_filters(request)
    if campus is None:
        raise Http404(_("Campus not found"))
    paper = form.value("paper", "A3")
    data = selectors.map_points(request.user, campus_id=campus.pk, kind=kind, level=level,
                                fields=selectors.PDF_FIELDS)
    pdf = risk_map_pdf_bytes(campus=campus, data=data, paper=paper,
                             kind_label=dict(RiskPoint.Kind.choices).get(kind, "") if kind else "",
                             level_label=dict(RiskLevel.choices).get(level, "") if level else "")
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition(
        f"{campus.name}安全风险四色图-{paper}.pdf", fallback=f"risk-map-{campus.code}-{paper}.pdf")
    return response


@login_required
def campus_map_upload_page(request):
    """Upload or replace a campus's map image (office administrators). A bad file is refused
    with its reason and the old map stays."""
    require_perm(request, UPLOAD)
    if request.method == "POST":
        form = CampusMapUploadForm(request.POST, request.FILES)
        if form.is_valid():
            campus = form.cleaned_data["campus"]
            try:
                campus_map_upload(actor=request.user, campus_id=campus.pk,
                                  upload=form.cleaned_data["image"])
            except DomainError as error:
                apply_domain_error(form, error)
            else:
                messages.success(request, _("The map of %(campus)s is saved.") % {
                    "campus": campus.name})
                return redirect(f"{reverse('police:risk_map')}?campus={campus.pk}")
    else:
        initial = {}
        campus_id = request.GET.get("campus", "")
        if campus_id.isascii() and campus_id.isdigit():
            initial["campus"] = int(campus_id)
        form = CampusMapUploadForm(initial=initial)
    return render(request, "police/risk_map/upload.html", {
        "form": form, "previews": _previews(form.selected_campus_id())})


def _previews(selected_id: int | None) -> list[dict]:
    """Every campus's current map for the upload page: ``campus``, ``url`` and ``size``
    (pixels) when it has one, and ``selected`` (the form's campus, else the first)."""
    rows = []
    for campus in Campus.objects.all():
        size = campus_map_size(campus) if campus.map_image else None
        rows.append({"campus": campus, "size": size, "url": _map_url(campus) if size else "",
                     "selected": campus.pk == selected_id})
    if rows and not any(row["selected"] for row in rows):
        rows[0]["selected"] = True
    return rows


@login_required
def risk_overview_page(request):
    """Leadership's overview: points by level × campus, reviews overdue, open meeting actions,
    recent bulletins and their top incident types, links to each campus's map."""
    require_perm(request, OVERVIEW)
    user = request.user
    overdue_count, overdue_rows = risk_overview.reviews_overdue(user)
    return render(request, "police/risk_map/overview.html", {
        "matrix": risk_overview.level_matrix(user),
        "reviews_overdue": overdue_count, "reviews_overdue_rows": overdue_rows,
        "actions": risk_overview.actions_summary(user),
        "bulletins": risk_overview.bulletin_summary(user),
    })


urls = [
    # Under the register's ``risks/`` (``risks/<int:pk>/`` cannot take these words).
    path("risks/map/", risk_map, name="risk_map"),
    path("risks/map/pdf/", risk_map_pdf, name="risk_map_pdf"),
    path("risks/map/upload/", campus_map_upload_page, name="campus_map_upload"),
    path("risks/overview/", risk_overview_page, name="risk_overview"),
]
