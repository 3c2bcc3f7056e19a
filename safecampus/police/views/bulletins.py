"""Pages of the incident bulletins (警情通报): list, draft and edit, records, publish and
withdraw, import from a spreadsheet, what to do with a record (a hazard, a risk review, a
warning) and the statistics with the hot spots. Thin: parse, one service or selector call,
render; a DomainError becomes form errors; what the user may not see is a 404."""

from __future__ import annotations

import dataclasses
import functools

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from safecampus.core.charts import bars, columns, month_line
from safecampus.core.errors import DomainError
from safecampus.core.forms import apply_domain_error
from safecampus.core.import_views import ImportPages
from safecampus.core.incidents import IncidentCategory
from safecampus.core.pagination import paginate
from safecampus.core.spreadsheets import XLSX_CONTENT_TYPE, content_disposition, write_xlsx
from safecampus.notifications.audiences import audience_key, msg_audience_changed
from safecampus.organisation.models import Campus

from ..forms.bulletins import (
    BulletinFilterForm,
    BulletinForm,
    BulletinMappingForm,
    BulletinStatsFilterForm,
    OpenHazardForm,
    RecordForm,
    RecordWarningForm,
    RiskReviewForm,
    WithdrawForm,
    record_initial,
)
from ..models import BulletinRecord
from ..rules import liaison_partner_id
from ..selectors import bulletins as selectors
from ..services import bulletin_import as importing
from ..services import bulletins as services


def _bulletin_or_404(request, pk):
    bulletin = selectors.bulletin_get(request.user, pk)
    if bulletin is None:
        raise Http404
    return bulletin


def _record_or_404(request, pk):
    record = selectors.record_get(request.user, pk)
    if record is None:
        raise Http404
    return record


@login_required
def bulletin_list(request):
    """Bulletins the user sees, filtered by partner, campus, period and state; paginated."""
    if not request.user.has_perm("police.view_bulletins"):
        raise PermissionDenied
    form = BulletinFilterForm(request.GET or None)
    page = paginate(request, selectors.bulletin_list(request.user, form.to_filters()),
                    per_page=25)
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "police/bulletins/list.html", {
        "form": form, "page": page, "query": query.urlencode(),
        "can_draft": request.user.has_perm("police.draft_bulletin"),
        "can_stats": request.user.has_perm("police.view_bulletin_statistics"),
    })


@login_required
def bulletin_new(request):
    """Draft a bulletin (a liaison for their partner; the office chooses the partner)."""
    if not request.user.has_perm("police.draft_bulletin"):
        raise PermissionDenied
    choose = liaison_partner_id(request.user) is None
    form = BulletinForm(request.POST or None, choose_partner=choose)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            bulletin = services.bulletin_draft(
                actor=request.user, title=d["title"], period_start=d["period_start"],
                period_end=d["period_end"], summary=d["summary"],
                partner_id=d["partner"].pk if d.get("partner") else None,
                idempotency_key=d.get("idempotency_key"))
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            return redirect(bulletin)
    return render(request, "police/bulletins/form.html", {"form": form, "bulletin": None})


@login_required
def bulletin_edit(request, pk: int):
    bulletin = _bulletin_or_404(request, pk)
    if not request.user.has_perm("police.edit_bulletin", bulletin):
        raise PermissionDenied
    form = BulletinForm(request.POST or None, initial={
        "title": bulletin.title, "period_start": bulletin.period_start,
        "period_end": bulletin.period_end, "summary": bulletin.summary})
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            services.bulletin_update(actor=request.user, bulletin_id=bulletin.pk,
                                     title=d["title"], period_start=d["period_start"],
                                     period_end=d["period_end"], summary=d["summary"])
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            return redirect(bulletin)
    return render(request, "police/bulletins/form.html", {"form": form, "bulletin": bulletin})


@login_required
def bulletin_detail(request, pk: int):
    """A bulletin with its records and what the user may do."""
    bulletin = _bulletin_or_404(request, pk)
    user = request.user
    return render(request, "police/bulletins/detail.html", {
        "bulletin": bulletin, "records": list(selectors.bulletin_records(bulletin)),
        "can_edit": user.has_perm("police.edit_bulletin", bulletin),
        "can_publish": user.has_perm("police.publish_bulletin", bulletin),
        "can_withdraw": user.has_perm("police.withdraw_bulletin", bulletin),
        "can_act": user.has_perm("police.act_on_record", bulletin),
        "withdraw_form": WithdrawForm(),
    })


@login_required
@require_POST
def bulletin_publish(request, pk: int):
    bulletin = _bulletin_or_404(request, pk)
    try:
        services.bulletin_publish(actor=request.user, bulletin_id=bulletin.pk)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Bulletin %(number)s published.") % {
            "number": services.bulletin_label(bulletin)})
    return redirect(bulletin)


@login_required
def bulletin_withdraw(request, pk: int):
    bulletin = _bulletin_or_404(request, pk)
    if not request.user.has_perm("police.withdraw_bulletin", bulletin):
        raise PermissionDenied
    form = WithdrawForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.bulletin_withdraw(actor=request.user, bulletin_id=bulletin.pk,
                                       reason=form.cleaned_data["reason"])
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            messages.success(request, _("Bulletin %(number)s withdrawn.") % {
                "number": services.bulletin_label(bulletin)})
            return redirect(bulletin)
    return render(request, "police/bulletins/withdraw.html", {"form": form,
                                                              "bulletin": bulletin})


# --- records -------------------------------------------------------------------------------
@login_required
def record_new(request, pk: int):
    bulletin = _bulletin_or_404(request, pk)
    if not request.user.has_perm("police.edit_bulletin", bulletin):
        raise PermissionDenied
    form = RecordForm(request.POST or None,
                      campus_ids=services.liaison_campus_scope(request.user))
    if request.method == "POST" and form.is_valid():
        try:
            record = services.record_add(
                actor=request.user, bulletin_id=bulletin.pk,
                idempotency_key=form.cleaned_data.get("idempotency_key"), **form.values())
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            messages.success(request, _("Incident %(position)s saved.")
                             % {"position": record.position})
            if "another" in request.POST:
                return redirect("police:record_new", pk=bulletin.pk)
            return redirect(bulletin)
    return render(request, "police/bulletins/record_form.html", {
        "form": form, "bulletin": bulletin, "record": None})


@login_required
def record_edit(request, pk: int):
    record = _record_or_404(request, pk)
    if not request.user.has_perm("police.edit_bulletin", record.bulletin):
        raise PermissionDenied
    form = RecordForm(request.POST or None, initial=record_initial(record),
                      campus_ids=services.liaison_campus_scope(request.user))
    if request.method == "POST" and form.is_valid():
        try:
            services.record_update(actor=request.user, record_id=record.pk, **form.values())
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            return redirect(record.bulletin)
    return render(request, "police/bulletins/record_form.html", {
        "form": form, "bulletin": record.bulletin, "record": record})


@login_required
@require_POST
def record_delete(request, pk: int):
    record = _record_or_404(request, pk)
    try:
        services.record_delete(actor=request.user, record_id=record.pk)
    except DomainError as error:
        messages.error(request, error.message)
    return redirect(record.bulletin)


@login_required
def record_detail(request, pk: int):
    """One record: what, when, where, and what was done with it."""
    record = _record_or_404(request, pk)
    user = request.user
    can_act = user.has_perm("police.act_on_record", record.bulletin)
    return render(request, "police/bulletins/record_detail.html", {
        "record": record, "bulletin": record.bulletin, "can_act": can_act,
        "can_edit": user.has_perm("police.edit_bulletin", record.bulletin),
        "reviews": list(selectors.record_reviews_visible_to(user, record)),
        "can_see_hazard": bool(record.hazard_id)
        and user.has_perm("hazards.view_hazard", record.hazard),
    })


def _act_on(request, pk):
    record = _record_or_404(request, pk)
    if not request.user.has_perm("police.act_on_record", record.bulletin):
        raise PermissionDenied
    return record


@login_required
def record_hazard(request, pk: int):
    """Open a hazard from a record (once; a second try goes to the existing one)."""
    record = _act_on(request, pk)
    if record.hazard_id:
        messages.info(request, _("A hazard was already opened from this incident."))
        return redirect(record)
    texts = services.record_hazard_texts(record)
    initial = {"title": texts["title"], "description": texts["description"]}
    form = OpenHazardForm(request.POST or None, record=record, initial=initial,
                          campus_ids=services.liaison_campus_scope(request.user))
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            hazard, _created = services.record_open_hazard(
                actor=request.user, record_id=record.pk, category_id=d["category"].pk,
                title=d["title"], description=d["description"],
                campus_id=d["campus"].pk if d.get("campus") else None,
                idempotency_key=d.get("idempotency_key"))
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            messages.success(request, _("Hazard %(number)s opened from the incident.") % {
                "number": hazard.reference})
            return redirect(record)
    return render(request, "police/bulletins/record_action.html", {
        "form": form, "record": record, "title": _("Open a hazard"),
        "button": _("Open the hazard"), "show_record": True})


@login_required
def record_review(request, pk: int):
    """Ask for a published risk point on the record's campus to be assessed again (the points
    at the record's place first, then in its building, then the campus's)."""
    record = _act_on(request, pk)
    form = RiskReviewForm(request.POST or None,
                          points=selectors.review_points_for(request.user, record))
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            services.record_request_review(actor=request.user, record_id=record.pk,
                                           risk_point_id=d["risk_point"].pk,
                                           reason=d["reason"],
                                           idempotency_key=d.get("idempotency_key"))
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            messages.success(request, _("Review of %(code)s requested.") % {
                "code": d["risk_point"].code})
            return redirect(record)
    return render(request, "police/bulletins/record_action.html", {
        "form": form, "record": record, "title": _("Request a risk review"),
        "button": _("Request the review"), "show_record": True})


@login_required
def record_warning(request, pk: int):
    """Send a warning about the record (once; a second try shows the one sent). The first
    POST ("preview") shows how many people the audience reaches and asks to confirm; an
    audience of no one is refused there and on "send"."""
    record = _act_on(request, pk)
    if record.alert_id and record.alert.recipient_count:
        messages.info(request, _("A warning was already sent about this incident."))
        return redirect(record)
    texts = services.record_hazard_texts(record)
    form = RecordWarningForm(request.POST or None, initial={
        "title": texts["warning_title"], "body": texts["description"],
        "audience_campus": record.campus_id,
        "audience_kind": "campus" if record.campus_id else "everyone"})
    count, checked = None, ""
    if request.method == "POST" and form.is_valid():
        audience = form.audience()
        checked = audience_key(kind=audience["audience_kind"], campus_id=audience["campus_id"],
                               unit_id=audience["unit_id"], year=audience["year"],
                               class_id=audience["class_id"])
        changed = "send" in request.POST and request.POST.get("checked_audience") != checked
        if changed:
            messages.warning(request, msg_audience_changed())
        try:
            if "send" not in request.POST or changed:
                _audience, count = services.record_warning_audience(**audience)
            else:
                alert, _created = services.record_send_warning(
                    actor=request.user, record_id=record.pk, **form.values())
                messages.success(request, _("Warning sent to %(count)s people.") % {
                    "count": alert.recipient_count})
                return redirect(record)
        except DomainError as error:
            apply_domain_error(form, error)
    return render(request, "police/bulletins/record_warning.html", {
        "form": form, "record": record, "count": count, "checked_audience": checked})


# --- import --------------------------------------------------------------------------------
PAGES = ImportPages(
    permission="police.draft_bulletin",
    upload=importing.bulletin_import_upload,
    get=importing.bulletin_import_get,
    table=importing.bulletin_import_table,
    plan_class=importing.BulletinImportPlan,
    form_class=BulletinMappingForm,
    commit=importing.bulletin_import_commit,
    upload_template="police/bulletins/import_upload.html",
    map_template="police/bulletins/import_map.html",
    done_template="police/bulletins/import_done.html",
    map_url="police:bulletin_import_map",
    done_url="police:bulletin_import_done",
)


@login_required
def bulletin_import(request, pk: int):
    """Step 1: upload an .xlsx or .csv of incidents into this draft."""
    bulletin = _bulletin_or_404(request, pk)
    if not request.user.has_perm("police.edit_bulletin", bulletin):
        raise PermissionDenied
    pages = dataclasses.replace(
        PAGES, upload=functools.partial(importing.bulletin_import_upload,
                                        bulletin_id=bulletin.pk))
    request.bulletin = bulletin
    return pages.upload_page(request)


@login_required
def bulletin_import_map(request, pk: int):
    """Steps 2 and 3: map columns and values, then check every row and import."""
    return PAGES.map_page(request, pk)


@login_required
def bulletin_import_done(request, pk: int):
    return PAGES.done_page(request, pk)


# --- statistics ----------------------------------------------------------------------------
def _charts(stats) -> dict:
    if not stats.total:
        return {}
    categories = dict(IncidentCategory.choices)
    count = _("Incidents")
    return {
        "category": bars([str(categories.get(r["category"], r["category"]))
                          for r in stats.by_category], [r["n"] for r in stats.by_category],
                         count),
        "type": bars([r["type_label"] for r in stats.by_type],
                     [r["n"] for r in stats.by_type], count),
        "location": bars([r["where"] for r in stats.by_location],
                         [r["n"] for r in stats.by_location], count),
        "hour": columns([f"{h:02d}" for h in range(24)], stats.by_hour, count),
        "month": month_line(stats.by_month, count),
    }


def _campus_rows(stats) -> list[tuple[str, list[int], int]]:
    """(campus name or "no campus", [n per proximity], total) in proximity order."""
    order = list(BulletinRecord.Proximity.values)
    rows: dict[str, list[int]] = {}
    for r in stats.by_campus:
        name = r["campus__name"] or _("No campus")
        rows.setdefault(name, [0] * len(order))[order.index(r["proximity"])] += r["n"]
    return [(name, counts, sum(counts)) for name, counts in rows.items()]


@login_required
def bulletin_statistics(request):
    """Published records by type, campus and proximity, location (hot spots on the campus
    maps), month and hour of day; period, partner and campus filters."""
    if not request.user.has_perm("police.view_bulletin_statistics"):
        raise PermissionDenied
    form = BulletinStatsFilterForm(request.GET or None)
    stats = selectors.bulletin_statistics(request.user, form.to_filters())
    campuses = {c.pk: c for c in Campus.objects.filter(pk__in=list(stats.points))}
    maps = [{"campus": campuses[pk], "points": points,
             "top": max(p["n"] for p in points)}
            for pk, points in stats.points.items() if pk in campuses]
    return render(request, "police/bulletins/statistics.html", {
        "form": form, "stats": stats, "charts": _charts(stats),
        "campus_rows": _campus_rows(stats), "proximities": BulletinRecord.Proximity.labels,
        "maps": maps, "query": request.GET.urlencode(),
        "category_labels": dict(IncidentCategory.choices),
    })


@login_required
def bulletin_statistics_xlsx(request):
    """The statistics' tables as one Excel sheet (figure, value, count)."""
    if not request.user.has_perm("police.view_bulletin_statistics"):
        raise PermissionDenied
    form = BulletinStatsFilterForm(request.GET or None)
    stats = selectors.bulletin_statistics(request.user, form.to_filters())
    categories = dict(IncidentCategory.choices)
    proximities = dict(BulletinRecord.Proximity.choices)
    rows = [(_("Total"), "", stats.total)]
    rows += [(_("Type"), str(categories.get(r["category"], r["category"])), r["n"])
             for r in stats.by_category]
    rows += [(_("Type as recorded"), r["type_label"], r["n"]) for r in stats.by_type]
    rows += [(_("Campus"), f"{r['campus__name'] or _('No campus')} · "
              f"{proximities.get(r['proximity'], r['proximity'])}", r["n"])
             for r in stats.by_campus]
    rows += [(_("Location"), r["where"], r["n"]) for r in stats.by_location]
    rows += [(_("Month"), m.strftime("%Y-%m"), n) for m, n in stats.by_month]
    rows += [(_("Hour of day"), f"{h:02d}", n) for h, n in enumerate(stats.by_hour)]
    data = write_xlsx([_("Figure"), _("Value"), _("Incidents")], rows, text_columns=[1],
                      widths=[18, 40, 12], sheet_title=_("Incident statistics"))
    response = HttpResponse(data, content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition(
        "警情通报统计.xlsx", fallback="bulletin-statistics.xlsx")
    return response


urls: list = [
    path("bulletins/", bulletin_list, name="bulletin_list"),
    path("bulletins/new/", bulletin_new, name="bulletin_new"),
    path("bulletins/statistics/", bulletin_statistics, name="bulletin_statistics"),
    path("bulletins/statistics.xlsx", bulletin_statistics_xlsx,
         name="bulletin_statistics_xlsx"),
    path("bulletins/<int:pk>/", bulletin_detail, name="bulletin_detail"),
    path("bulletins/<int:pk>/edit/", bulletin_edit, name="bulletin_edit"),
    path("bulletins/<int:pk>/publish/", bulletin_publish, name="bulletin_publish"),
    path("bulletins/<int:pk>/withdraw/", bulletin_withdraw, name="bulletin_withdraw"),
    path("bulletins/<int:pk>/records/new/", record_new, name="record_new"),
    path("bulletins/<int:pk>/import/", bulletin_import, name="bulletin_import"),
    path("bulletins/imports/<int:pk>/", bulletin_import_map, name="bulletin_import_map"),
    path("bulletins/imports/<int:pk>/done/", bulletin_import_done,
         name="bulletin_import_done"),
    path("bulletins/records/<int:pk>/", record_detail, name="record_detail"),
    path("bulletins/records/<int:pk>/edit/", record_edit, name="record_edit"),
    path("bulletins/records/<int:pk>/delete/", record_delete, name="record_delete"),
    path("bulletins/records/<int:pk>/hazard/", record_hazard, name="record_hazard"),
    path("bulletins/records/<int:pk>/review/", record_review, name="record_review"),
    path("bulletins/records/<int:pk>/warning/", record_warning, name="record_warning"),
]

