"""Community voice pages: service requests (服务申请). The catalogue, booking a service, the
queue, a request's page with the office's and the unit's steps, the calendar of booked
services and staff, and the report per service (page and Excel). Views are thin (house
rule 5): parse, one service or selector call, render; requests the user may not see are
404."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_POST

from safecampus.core import clock
from safecampus.core.charts import weekday_labels
from safecampus.core.errors import Conflict, DomainError
from safecampus.core.forms import apply_domain_error
from safecampus.core.pagination import paginate
from safecampus.core.spreadsheets import XLSX_CONTENT_TYPE, content_disposition, write_xlsx
from safecampus.core.views import query_without_page, require_perm
from safecampus.organisation.models import Unit
from safecampus.organisation.selectors import place_picker_data

from ..forms.bookings import (
    BookingForm,
    CalendarFilterForm,
    DeliverForm,
    QueueFilterForm,
    RateForm,
    ReasonForm,
    ReportPeriodForm,
    ScheduleForm,
    parse_month,
)
from ..models import ServiceRequest
from ..selectors import bookings as selectors
from ..services import bookings as services

PER_PAGE = 25


def _request_or_404(request, pk: int) -> ServiceRequest:
    booking = selectors.service_request_detail(pk)
    if booking is None or not request.user.has_perm("community.view_service_request",
                                                     booking):
        raise Http404(_("Service request not found"))
    return booking


# --- catalogue and booking ---------------------------------------------------------------------
@login_required
def catalogue(request):
    require_perm(request, "community.view_catalogue")
    return render(request, "community/bookings/catalogue.html", {
        "entries": selectors.catalogue(),
        "can_book": request.user.has_perm("community.book_service")})


@login_required
def book(request, code: str):
    if not request.user.has_perm("community.book_service"):
        # 403, but saying who can order: the catalogue is open to everyone signed in.
        return render(request, "community/bookings/not_allowed.html", status=403)
    item = selectors.service_item_for_booking(code)
    if item is None:
        raise Http404(_("Service not found"))
    entry = selectors.CatalogueEntry(item, selectors.catalogue_earliest(item))
    form = BookingForm(request.POST or None, item=item,
                       units=selectors.units_booked_for(request.user), user=request.user,
                       earliest=entry.earliest)
    if request.method == "POST" and form.is_valid():
        try:
            booking = services.service_request_submit(actor=request.user, item_id=item.pk,
                                                      **form.service_input())
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            messages.success(request, _(
                "Service request %(number)s sent. The office will answer by %(due)s.") % {
                "number": booking.number, "due": services.moment_text(booking.sla_due_at)})
            return redirect("community:service_request_detail", pk=booking.pk)
    return render(request, "community/bookings/book.html", {
        "form": form, "entry": entry, "picker": place_picker_data()},
        status=400 if form.errors else 200)


# --- the queue and a request's page ------------------------------------------------------------
@login_required
def request_list(request):
    require_perm(request, "community.view_service_requests")
    user = request.user
    sees_all = user.scope.sees_everything
    units = (Unit.objects.filter(service_requests__isnull=False).distinct().order_by("name")
             if sees_all else selectors.units_booked_for(user))
    filters = QueueFilterForm(request.GET or None, units=units)
    page = paginate(request, selectors.service_request_list(user, **filters.filters()),
                    per_page=PER_PAGE)
    return render(request, "community/bookings/list.html", {
        "page": page, "filters": filters, "query": query_without_page(request),
        "sees_all": sees_all})


def _detail_context(request, booking: ServiceRequest, **forms) -> dict:
    user = request.user
    state = booking.state
    State = ServiceRequest.State
    decide = user.has_perm("community.decide_service_request")
    staff = selectors.staff_choices()
    can_deliver = state == State.ACCEPTED and user.has_perm(
        "community.deliver_service_request")
    started = services.service_started(booking)
    schedule_initial = ScheduleForm.initial_for(booking)
    return {
        "booking": booking, "answers": selectors.answers_shown(booking),
        "timeline": selectors.service_request_timeline(booking),
        "assignments": list(booking.assignments.all()),
        "sla_overdue": state == State.SUBMITTED and booking.sla_due_at < clock.now(),
        "can_accept": state == State.SUBMITTED and decide,
        "can_reschedule": state == State.ACCEPTED and decide,
        "can_deliver": can_deliver and started,
        "deliver_later": services.msg_too_early(booking) if can_deliver and not started
        else "",
        "can_cancel": user.has_perm("community.cancel_service_request", booking),
        "can_rate": user.has_perm("community.rate_service_request", booking),
        "schedule_form": forms.get("schedule_form") or ScheduleForm(
            initial=schedule_initial, staff=staff),
        "decline_form": forms.get("decline_form") or ReasonForm(prefix="decline"),
        "cancel_form": forms.get("cancel_form") or ReasonForm(prefix="cancel"),
        "deliver_form": forms.get("deliver_form") or DeliverForm(),
        "rate_form": forms.get("rate_form") or RateForm(),
        "open_form": next(iter(forms), ""),
    }


@login_required
def request_detail(request, pk: int):
    booking = _request_or_404(request, pk)
    return render(request, "community/bookings/detail.html", _detail_context(request, booking))


def _step(request, pk: int, *, form, form_key: str, call, done: str):
    """Run one step of a request with a posted form: a refused input is shown again at its
    field (nothing lost, 400); a state conflict comes back as a message on the page."""
    booking = _request_or_404(request, pk)
    if form.is_valid():
        try:
            call(booking, form.cleaned_data)
        except DomainError as error:
            if error.status_code == 403:
                raise PermissionDenied from None
            if isinstance(error, Conflict) or not error.field_errors and (
                    error.code == "too_early"):
                messages.error(request, error.message)
                return redirect("community:service_request_detail", pk=booking.pk)
            apply_domain_error(form, error)
        else:
            messages.success(request, done)
            return redirect("community:service_request_detail", pk=booking.pk)
    booking = _request_or_404(request, pk)
    return render(request, "community/bookings/detail.html",
                  _detail_context(request, booking, **{form_key: form}), status=400)


@login_required
@require_POST
def request_accept(request, pk: int):
    require_perm(request, "community.decide_service_request")
    form = ScheduleForm(request.POST, staff=selectors.staff_choices())
    return _step(request, pk, form=form, form_key="schedule_form", call=lambda b, d: (
        services.service_request_accept(actor=request.user, request_id=b.pk,
                                        **form.service_input())),
        done=_("Accepted and scheduled; the unit and the staff are told."))


@login_required
@require_POST
def request_reschedule(request, pk: int):
    require_perm(request, "community.decide_service_request")
    form = ScheduleForm(request.POST, staff=selectors.staff_choices())
    return _step(request, pk, form=form, form_key="schedule_form", call=lambda b, d: (
        services.service_request_reschedule(actor=request.user, request_id=b.pk,
                                            **form.service_input())),
        done=_("Schedule changed."))


@login_required
@require_POST
def request_decline(request, pk: int):
    require_perm(request, "community.decide_service_request")
    form = ReasonForm(request.POST, prefix="decline")
    return _step(request, pk, form=form, form_key="decline_form", call=lambda b, d: (
        services.service_request_decline(actor=request.user, request_id=b.pk,
                                         reason=d["reason"])),
        done=_("Declined; the unit is told."))


@login_required
@require_POST
def request_deliver(request, pk: int):
    require_perm(request, "community.deliver_service_request")
    form = DeliverForm(request.POST)
    return _step(request, pk, form=form, form_key="deliver_form", call=lambda b, d: (
        services.service_request_deliver(actor=request.user, request_id=b.pk,
                                         delivery_note=d["delivery_note"],
                                         people_reached=d.get("people_reached"))),
        done=_("Recorded as delivered; the unit is asked to rate it."))


@login_required
@require_POST
def request_cancel(request, pk: int):
    form = ReasonForm(request.POST, prefix="cancel")
    return _step(request, pk, form=form, form_key="cancel_form", call=lambda b, d: (
        services.service_request_cancel(actor=request.user, request_id=b.pk,
                                        reason=d["reason"])),
        done=_("Service request cancelled."))


@login_required
@require_POST
def request_rate(request, pk: int):
    form = RateForm(request.POST)
    return _step(request, pk, form=form, form_key="rate_form", call=lambda b, d: (
        services.service_request_rate(actor=request.user, request_id=b.pk,
                                      rating=d["rating"], comment=d.get("comment", ""))),
        done=_("Thank you for rating the service."))


# --- calendar and report -----------------------------------------------------------------------
@login_required
def service_calendar(request):
    """``?month=2026-06`` (default: this month), ``?staff=<id>``; ``?mine=1`` is the
    signed-in member of staff's own assignments. Guards see only their own."""
    require_perm(request, "community.view_service_calendar")
    user = request.user
    month = parse_month(request.GET.get("month")) or clock.local_today().replace(day=1)
    sees_all = user.scope.sees_everything
    staff = list(selectors.staff_choices()) if sees_all else []
    query = request.GET.copy()
    if query.get("mine") == "1":
        query["staff"] = str(user.pk)
    filters = CalendarFilterForm(query if "staff" in query else None, staff=staff)
    staff_id = filters.staff_id() if sees_all else user.pk
    return render(request, "community/bookings/calendar.html", {
        "cal": selectors.calendar_month(month, viewer=user, staff_id=staff_id),
        "filters": filters, "staff_id": staff_id, "today": clock.local_today(),
        "weekdays": weekday_labels(), "sees_all": sees_all,
        "is_staff": sees_all and any(u.pk == user.pk for u in staff)})


@login_required
def report(request):
    require_perm(request, "community.view_service_reports")
    form = ReportPeriodForm(request.GET or None)
    date_from, date_to = form.period()
    rows, totals = selectors.service_report(date_from, date_to)
    if request.GET.get("export") == "xlsx" and not form.errors:
        return _report_xlsx(rows, totals, date_from, date_to)
    return render(request, "community/bookings/report.html", {
        "form": form, "rows": rows, "totals": totals, "date_from": date_from,
        "date_to": date_to, "query": query_without_page(request)})


def _share(value):
    return round(value * 100, 1) if value is not None else None


def _hours(value):
    return round(value, 1) if value is not None else None


def _report_xlsx(rows, totals, date_from, date_to) -> HttpResponse:
    headers = [pgettext("service request", "Service"), _("Requests"),
               _("Awaiting the office"), _("Accepted"), _("Declined"), _("Delivered"),
               pgettext("service request", "Cancelled"), _("Decided"),
               _("Decided within the SLA"), _("Within the SLA (%)"),
               _("Median hours to decision"), _("Delivered on the booked date"),
               _("On the booked date (%)"), _("Ratings"), _("Average rating")]

    def line(row, name):
        return [name, row.total, row.submitted, row.accepted, row.declined, row.delivered,
                row.cancelled, row.decided, row.sla_met, _share(row.sla_share),
                _hours(row.median_hours), row.on_time, _share(row.on_time_share),
                row.rating_count, round(row.rating_avg, 2) if row.rating_avg else None]

    data = [line(r, r.item.name) for r in rows] + [line(totals, _("Total"))]
    body = write_xlsx(headers, data, widths=[20] + [12] * (len(headers) - 1),
                      sheet_title=_("Services"))
    response = HttpResponse(body, content_type=XLSX_CONTENT_TYPE)
    name = _("service-report-%(start)s-%(end)s.xlsx") % {"start": date_from.isoformat(),
                                                          "end": date_to.isoformat()}
    response["Content-Disposition"] = content_disposition(
        name, fallback=f"service-report-{date_from.isoformat()}-{date_to.isoformat()}.xlsx")
    return response


urls = [
    path("services/", catalogue, name="service_catalogue"),
    path("services/<slug:code>/book/", book, name="service_book"),
    path("services/requests/", request_list, name="service_request_list"),
    path("services/requests/<int:pk>/", request_detail, name="service_request_detail"),
    path("services/requests/<int:pk>/accept/", request_accept, name="service_request_accept"),
    path("services/requests/<int:pk>/reschedule/", request_reschedule,
         name="service_request_reschedule"),
    path("services/requests/<int:pk>/decline/", request_decline,
         name="service_request_decline"),
    path("services/requests/<int:pk>/deliver/", request_deliver,
         name="service_request_deliver"),
    path("services/requests/<int:pk>/cancel/", request_cancel, name="service_request_cancel"),
    path("services/requests/<int:pk>/rate/", request_rate, name="service_request_rate"),
    path("services/calendar/", service_calendar, name="service_calendar"),
    path("services/report/", report, name="service_report"),
]
