"""Forms of the service request pages. They parse input only; the rules (lead time,
capacity, SLA, overlaps, states) live in ``services/bookings.py``."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from safecampus.core import clock
from safecampus.core.forms import (
    FIRST_DAY,
    LAST_DAY,
    DateRangeMixin,
    IdempotentFormMixin,
    LocalDateField,
    bootstrap,
    id_or_none,
)
from safecampus.organisation.models import Campus, Place

from ..models import ServiceField, ServiceItem, ServiceRequest
from ..services.bookings import answer_field, msg_number_range

Kind = ServiceField.Kind


def _checkboxes(form: forms.Form) -> None:
    """Ticked lists get Bootstrap's check class (``bootstrap`` gives them a text box's)."""
    for field in form.fields.values():
        if isinstance(field.widget, forms.CheckboxSelectMultiple | forms.RadioSelect):
            field.widget.attrs["class"] = "form-check-input"


def _question(spec: ServiceField) -> forms.Field:
    """A form field for one of a service's questions (named ``answer_<code>``)."""
    common = {"label": spec.label, "required": spec.required, "help_text": spec.help_text}
    required = {"required": _("Answer “%(question)s”.") % {"question": spec.label}}
    options = [(str(o), str(o)) for o in spec.options or []]
    if spec.kind == Kind.TEXTAREA:
        return forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=2000,
                               error_messages=required, **common)
    if spec.kind == Kind.NUMBER:
        # Django formats range messages with ``%``: a label's own ``%`` stays literal.
        out_of_range = msg_number_range(spec).replace("%", "%%")
        return forms.IntegerField(
            min_value=spec.min_value, max_value=spec.max_value, error_messages={
                **required, "invalid": _("“%(question)s” needs a whole number.") % {
                    "question": spec.label},
                "min_value": out_of_range, "max_value": out_of_range},
            widget=forms.NumberInput(attrs={"inputmode": "numeric"}), **common)
    if spec.kind == Kind.DATE:
        return forms.DateField(widget=forms.DateInput(attrs={"type": "date"},
                                                      format="%Y-%m-%d"),
                               error_messages={**required, "invalid": _(
                                   "“%(question)s” needs a date such as 2026-06-19.") % {
                                   "question": spec.label}}, **common)
    if spec.kind == Kind.CHOICE:
        return forms.ChoiceField(choices=[("", "---------"), *options],
                                 error_messages=required, **common)
    if spec.kind == Kind.MULTICHOICE:
        return forms.MultipleChoiceField(choices=options, widget=forms.CheckboxSelectMultiple,
                                         error_messages=required, **common)
    if spec.kind == Kind.BOOLEAN:
        return forms.BooleanField(error_messages={"required": _(
            "“%(question)s” must be ticked.") % {"question": spec.label}}, **common)
    return forms.CharField(max_length=200, error_messages=required, **common)


class BookingForm(IdempotentFormMixin, forms.Form):
    """Book a service: for which unit, when, where, a phone, notes and the service's own
    questions (``answer_<code>`` fields, in the service's order)."""

    unit = forms.TypedChoiceField(label=_("For unit"), coerce=int)
    service_date = forms.DateField(label=_("Service date"), widget=forms.DateInput(
        attrs={"type": "date"}, format="%Y-%m-%d"))
    start_time = forms.TimeField(label=pgettext_lazy("time", "From"), widget=forms.TimeInput(
        attrs={"type": "time"}, format="%H:%M"))
    end_time = forms.TimeField(label=pgettext_lazy("time", "Until"), required=False, widget=forms.TimeInput(
        attrs={"type": "time"}, format="%H:%M"))
    campus = forms.ModelChoiceField(Campus.objects.order_by("sort_order", "id"),
                                    label=_("Campus"))
    place = forms.ModelChoiceField(Place.objects.order_by("campus_id", "name"),
                                   label=_("Place"), required=False)
    location_text = forms.CharField(label=_("Or where exactly"), required=False,
                                    max_length=200,
                                    help_text=_("A hall, a room, a sports ground …"))
    contact_phone = forms.CharField(label=_("Contact phone"), max_length=40,
                                    widget=forms.TextInput(attrs={"inputmode": "tel",
                                                                  "autocomplete": "tel"}))
    notes = forms.CharField(label=_("Notes for the office"), required=False, max_length=2000,
                            widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, item: ServiceItem, units, user=None, earliest=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.item = item
        units = list(units)
        self.fields["unit"].choices = [(u.pk, u.name) for u in units]
        if len(units) == 1:
            self.initial.setdefault("unit", units[0].pk)
        if user is not None and user.phone:
            self.initial.setdefault("contact_phone", user.phone)
        if earliest:
            self.initial.setdefault("service_date", earliest)
            self.fields["service_date"].widget.attrs["min"] = earliest.isoformat()
        self.fields["campus"].widget.attrs["data-picker"] = "campus"
        self.fields["place"].widget.attrs["data-picker"] = "place"
        self.fields["place"].label_from_instance = lambda p: p.name
        self.questions = []
        for spec in item.fields.all():
            name = answer_field(spec.code)
            self.fields[name] = _question(spec)
            self.questions.append(name)
        bootstrap(self)
        _checkboxes(self)

    def question_fields(self):
        return [self[name] for name in self.questions]

    def answers(self) -> dict:
        """``{question code: value}`` as the service takes them."""
        data = self.cleaned_data
        return {spec.code: data.get(answer_field(spec.code)) for spec in self.item.fields.all()}

    def service_input(self) -> dict:
        data = self.cleaned_data
        return {
            "unit_id": data["unit"], "service_date": data["service_date"],
            "start_time": data["start_time"], "end_time": data.get("end_time"),
            "campus_id": data["campus"].pk, "place_id": data["place"].pk if data.get("place")
            else None, "location_text": data.get("location_text", ""),
            "contact_phone": data["contact_phone"], "notes": data.get("notes", ""),
            "answers": self.answers(), "idempotency_key": data.get("idempotency_key")}


class StaffCheckboxes(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return obj.full_name or obj.username


def moment_in_bounds(value: dt.datetime) -> None:
    """A day and time between :data:`~safecampus.core.forms.FIRST_DAY` and ``LAST_DAY`` (as
    the date filters), so that it can be stored and compared at all; the service's own
    rule (near the booked date) comes after."""
    if value is not None and not FIRST_DAY <= value.date() <= LAST_DAY:
        raise forms.ValidationError(_("Give a day from %(first)s to %(last)s.") % {
            "first": FIRST_DAY.isoformat(), "last": LAST_DAY.isoformat()}, code="out_of_range")


class ScheduleForm(forms.Form):
    """Accept or reschedule: when, who (and who is in charge), a note to the unit, and
    whether an overlap with the staff's other bookings is wanted."""

    scheduled_start = forms.DateTimeField(label=pgettext_lazy("time", "From"), widget=forms.DateTimeInput(
        attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"), validators=[moment_in_bounds])
    scheduled_end = forms.DateTimeField(label=pgettext_lazy("time", "Until"), widget=forms.DateTimeInput(
        attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"), validators=[moment_in_bounds])
    staff = StaffCheckboxes(queryset=None, label=pgettext_lazy("service request", "Staff"),
                            widget=forms.CheckboxSelectMultiple)
    lead = forms.TypedChoiceField(label=_("In charge"), coerce=int, required=False,
                                  empty_value=None)
    office_note = forms.CharField(label=_("Note to the unit"), required=False, max_length=500,
                                  widget=forms.Textarea(attrs={"rows": 2}))
    allow_overlap = forms.BooleanField(
        label=_("Assign even if someone is already on another booking at that time"),
        required=False)

    def __init__(self, *args, staff, **kwargs):
        super().__init__(*args, **kwargs)
        people = list(staff)
        self.fields["staff"].queryset = staff
        self.fields["lead"].choices = [("", "---------")] + [
            (u.pk, u.full_name or u.username) for u in people]
        bootstrap(self)
        _checkboxes(self)

    @classmethod
    def initial_for(cls, request: ServiceRequest) -> dict:
        """The booking's own times (or the current schedule)."""
        zone = clock.local_zone()
        if request.scheduled_start:
            assignments = list(request.assignments.all())
            return {"scheduled_start": request.scheduled_start.astimezone(zone),
                    "scheduled_end": request.scheduled_end.astimezone(zone),
                    "staff": [a.user_id for a in assignments],
                    "lead": next((a.user_id for a in assignments if a.is_lead), None),
                    "office_note": request.office_note}
        start = dt.datetime.combine(request.service_date, request.start_time, tzinfo=zone)
        end = (dt.datetime.combine(request.service_date, request.end_time, tzinfo=zone)
               if request.end_time else start + dt.timedelta(
                   minutes=request.item.duration_minutes))
        return {"scheduled_start": start, "scheduled_end": end}

    def service_input(self) -> dict:
        data = self.cleaned_data
        return {"scheduled_start": data["scheduled_start"],
                "scheduled_end": data["scheduled_end"],
                "staff_ids": [u.pk for u in data["staff"]], "lead_id": data.get("lead"),
                "office_note": data.get("office_note", ""),
                "allow_overlap": data.get("allow_overlap", False)}


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=500,
                             widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        bootstrap(self)


class DeliverForm(forms.Form):
    delivery_note = forms.CharField(label=pgettext_lazy("service request", "What was done"), max_length=5000,
                                    widget=forms.Textarea(attrs={"rows": 3}))
    people_reached = forms.IntegerField(label=_("People reached"), required=False,
                                        min_value=0, max_value=1_000_000)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        bootstrap(self)


class RateForm(forms.Form):
    rating = forms.TypedChoiceField(
        label=_("How satisfied are you?"), coerce=int, widget=forms.RadioSelect,
        choices=[(5, _("5 · very satisfied")), (4, _("4 · satisfied")), (3, _("3 · fair")),
                 (2, _("2 · dissatisfied")), (1, _("1 · very dissatisfied"))])
    comment = forms.CharField(label=_("Comment"), required=False, max_length=500,
                              widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        bootstrap(self)
        _checkboxes(self)


class QueueFilterForm(forms.Form):
    state = forms.ChoiceField(label=_("State"), required=False,
                              choices=[("", _("All states")), *ServiceRequest.State.choices])
    item = forms.ModelChoiceField(ServiceItem.objects.all(),
                                  label=pgettext_lazy("service request", "Service"),
                                  required=False, empty_label=_("All services"))
    unit = forms.TypedChoiceField(label=_("Unit"), required=False, coerce=int,
                                  empty_value=None)
    month = forms.CharField(label=_("Month of service"), required=False, widget=forms.TextInput(
        attrs={"type": "month"}))

    def __init__(self, *args, units=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].choices = [("", _("All units"))] + [(u.pk, u.name) for u in units]
        bootstrap(self)

    def clean_month(self):
        text = (self.cleaned_data.get("month") or "").strip()
        if not text:
            return None
        month = parse_month(text)
        if month is None:
            raise forms.ValidationError(_("Give a month such as 2026-06."))
        return month

    def filters(self) -> dict:
        if not self.is_bound or not self.is_valid():
            return {}
        data = self.cleaned_data
        return {"state": data.get("state") or "", "item_id": data["item"].pk if data.get(
            "item") else None, "unit_id": data.get("unit"), "month": data.get("month")}


def parse_month(text: str | None) -> dt.date | None:
    """``2026-06`` → 1 June 2026; None for anything else (or a year outside 2000–2999)."""
    text = (text or "").strip()
    try:
        year, month = text.split("-")
        day = dt.date(int(year), int(month), 1)
    except (ValueError, TypeError):
        return None
    return day if 2000 <= day.year <= 2999 and len(year) == 4 else None


class CalendarFilterForm(forms.Form):
    staff = forms.TypedChoiceField(label=pgettext_lazy("service request", "Staff"),
                                   required=False, coerce=int,
                                   empty_value=None)

    def __init__(self, *args, staff=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["staff"].choices = [("", _("All staff"))] + [
            (u.pk, u.full_name or u.username) for u in staff]
        bootstrap(self)

    def staff_id(self) -> int | None:
        if self.is_bound and self.is_valid():
            return self.cleaned_data.get("staff")
        return id_or_none(None)


class ReportPeriodForm(DateRangeMixin, forms.Form):
    date_from = LocalDateField(label=_("From"))
    date_to = LocalDateField(label=_("To"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        bootstrap(self)

    def period(self) -> tuple[dt.date, dt.date]:
        """The period asked for; by default this year up to today (local)."""
        today = clock.local_today()
        start, end = dt.date(today.year, 1, 1), today
        if self.is_bound and self.is_valid():
            start = self.cleaned_data.get("date_from") or start
            end = self.cleaned_data.get("date_to") or max(end, start)
        return start, end
