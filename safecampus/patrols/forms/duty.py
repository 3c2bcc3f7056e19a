"""Forms of the duty room and incident pages. They parse input only; the rules (an open shift,
no handover to oneself, occurred before reported, a known place …) live in
``services.duty`` so that the pages and the API give the same messages.

Times are typed as local (Asia/Shanghai) date and time (``datetime-local`` inputs) and reach
the services as aware datetimes.
"""

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from safecampus.core.forms import IdempotentFormMixin, LocalDateField, bootstrap, id_or_none
from safecampus.hazards.models import Grade, HazardCategory
from safecampus.organisation.models import Campus, Place

from ..models import DutyLogEntry, Incident
from ..selectors.duty import duty_people

LOCAL_INPUT = "%Y-%m-%dT%H:%M"


def _when(label, *, required=False, help_text=""):
    return forms.DateTimeField(
        label=label, required=required, help_text=help_text,
        input_formats=[LOCAL_INPUT, "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=LOCAL_INPUT))


def _person_label(user) -> str:
    return user.full_name or user.username


class PlaceFieldsMixin(forms.Form):
    """Campus and place (the cascading picker of ``static/js/app.js`` fills the places of
    the chosen campus) and free text. Ids are passed on as typed: the service refuses an
    unknown one with its own message."""

    campus = forms.IntegerField(label=_("Campus"), required=False, widget=forms.Select)
    place = forms.IntegerField(label=_("Place"), required=False, widget=forms.Select)
    location_text = forms.CharField(label=_("Where exactly"), required=False, max_length=200,
                                    help_text=_("Building, floor, gate, road …"))

    def _place_widgets(self):
        campus = self.fields["campus"].widget
        campus.choices = [("", _("Choose…"))] + [
            (c.pk, c.name) for c in Campus.objects.order_by("sort_order", "id")]
        campus.attrs["data-picker"] = "campus"
        place = self.fields["place"].widget
        place.attrs["data-picker"] = "place"
        chosen = self.data.get(self.add_prefix("place")) if self.is_bound else self.initial.get(
            "place")
        campus_id = (self.data.get(self.add_prefix("campus")) if self.is_bound
                     else self.initial.get("campus"))
        # Rendered: the chosen campus's places only (the picker refills them from JSON).
        rows = []
        campus_id, chosen = id_or_none(campus_id), id_or_none(chosen)
        if campus_id is not None:
            rows = list(Place.objects.filter(campus_id=campus_id).order_by("name")
                        .values_list("pk", "name")[:2000])
        elif chosen is not None:
            rows = list(Place.objects.filter(pk=chosen).values_list("pk", "name"))
        place.choices = [("", _("Choose…"))] + rows


class EntryForm(IdempotentFormMixin, PlaceFieldsMixin):
    """A call or event in the duty log (the quick form on the duty room page, and edits)."""

    kind = forms.ChoiceField(label=_("Type"), choices=DutyLogEntry.Kind.choices,
                             initial=DutyLogEntry.Kind.CALL)
    occurred_at = _when(_("Time"), help_text=_("Leave empty for now."))
    # Not required here: the service says what is missing, as it does for the API.
    summary = forms.CharField(label=_("What happened"), max_length=4000, required=False,
                              widget=forms.Textarea(attrs={"rows": 3}))
    caller_name = forms.CharField(label=_("Caller"), required=False, max_length=64)
    caller_phone = forms.CharField(label=_("Caller's phone"), required=False, max_length=32,
                                   widget=forms.TextInput(attrs={"inputmode": "tel",
                                                                 "autocomplete": "off"}))
    action_taken = forms.CharField(label=pgettext_lazy("duty log", "What was done"),
                                   required=False, max_length=4000,
                                   widget=forms.Textarea(attrs={"rows": 2}))

    field_order = ["kind", "occurred_at", "summary", "campus", "place", "location_text",
                   "caller_name", "caller_phone", "action_taken"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._place_widgets()
        bootstrap(self)

    def service_arguments(self) -> dict:
        d = self.cleaned_data
        return {"kind": d["kind"], "occurred_at": d.get("occurred_at"), "summary": d.get("summary", ""),
                "campus_id": d.get("campus"), "place_id": d.get("place"),
                "location_text": d.get("location_text", ""),
                "caller_name": d.get("caller_name", ""),
                "caller_phone": d.get("caller_phone", ""),
                "action_taken": d.get("action_taken", "")}


class _PeopleMixin(forms.Form):
    def _people(self, *names):
        people = [("", _("Choose…"))] + [(u.pk, _person_label(u)) for u in duty_people()]
        for name in names:
            self.fields[name].widget.choices = people


class TakeOverForm(_PeopleMixin):
    leader = forms.IntegerField(label=_("Leader on duty"), required=False, widget=forms.Select)
    note = forms.CharField(label=_("Note"), required=False, max_length=2000,
                           widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._people("leader")
        bootstrap(self)


class HandoverForm(IdempotentFormMixin, _PeopleMixin):
    """Hand over the shift shown on the page (``shift``): a form sent again (double tap,
    resend) carries the same key and lands on the first handover's result."""

    shift = forms.IntegerField(widget=forms.HiddenInput, required=False)
    next_officer = forms.IntegerField(label=_("Next duty officer"), required=False,
                                      widget=forms.Select)
    leader = forms.IntegerField(label=_("Leader on duty"), required=False, widget=forms.Select)
    note = forms.CharField(
        label=_("Handover note"), required=False, max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("What the next officer must know: open matters, keys, equipment, "
                    "instructions."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._people("next_officer", "leader")
        self.fields["next_officer"].widget.attrs["required"] = True
        bootstrap(self)


class CloseForm(forms.Form):
    action_taken = forms.CharField(label=pgettext_lazy("duty log", "What was done"),
                                   required=False, max_length=4000,
                                   widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        bootstrap(self)


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Why reopen it"), required=False, max_length=2000,
                             widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        bootstrap(self)


class _IncidentDetailsMixin(forms.Form):
    category = forms.ChoiceField(label=_("Category"),
                                 choices=[("", _("Choose…")), *Incident.Category.choices],
                                 required=False)
    type_label = forms.CharField(label=_("Type as recorded"), required=False, max_length=120,
                                 help_text=_("e.g. bicycle theft, phishing call"))
    occurred_at = _when(_("Occurred at"),
                        help_text=_("When it happened; may be earlier than it was reported."))
    occurred_until = _when(_("Occurred until"), help_text=_("For an incident over a period."))
    people_involved = forms.CharField(label=_("People involved"), required=False,
                                      max_length=4000, widget=forms.Textarea(attrs={"rows": 2}))
    disposition = forms.ChoiceField(label=_("Disposition"),
                                    choices=Incident.Disposition.choices,
                                    initial=Incident.Disposition.OPEN)
    police_reference = forms.CharField(label=_("Police reference number"), required=False,
                                       max_length=64)


class EntryIncidentForm(_IncidentDetailsMixin):
    """Turn a duty log entry into an incident: place and reported time come from the entry."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        bootstrap(self)

    def service_arguments(self) -> dict:
        d = self.cleaned_data
        return {"category": d.get("category", ""), "type_label": d.get("type_label", ""),
                "occurred_at": d.get("occurred_at"), "occurred_until": d.get("occurred_until"),
                "people_involved": d.get("people_involved", ""),
                "disposition": d["disposition"],
                "police_reference": d.get("police_reference", "")}


class IncidentForm(IdempotentFormMixin, PlaceFieldsMixin, _IncidentDetailsMixin):
    """A new incident by hand, or an incident's details changed (``editing``: the reported
    time is fixed once recorded)."""

    reported_at = _when(_("Reported at"), help_text=_("Leave empty for now."))
    # Not required here: the service says what is missing, as it does for the API.
    summary = forms.CharField(label=_("What happened"), max_length=4000, required=False,
                              widget=forms.Textarea(attrs={"rows": 3}))

    field_order = ["category", "type_label", "reported_at", "occurred_at", "occurred_until",
                   "campus", "place", "location_text", "summary", "people_involved",
                   "disposition", "police_reference"]

    def __init__(self, *args, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if editing:
            del self.fields["reported_at"]
            del self.fields["idempotency_key"]
        self._place_widgets()
        bootstrap(self)

    def service_arguments(self) -> dict:
        d = self.cleaned_data
        args = {"category": d.get("category", ""), "type_label": d.get("type_label", ""),
                "summary": d.get("summary", ""), "occurred_at": d.get("occurred_at"),
                "occurred_until": d.get("occurred_until"), "campus_id": d.get("campus"),
                "place_id": d.get("place"), "location_text": d.get("location_text", ""),
                "people_involved": d.get("people_involved", ""),
                "disposition": d["disposition"],
                "police_reference": d.get("police_reference", "")}
        if "reported_at" in self.fields:
            args["reported_at"] = d.get("reported_at")
        return args


class HazardForm(IdempotentFormMixin, PlaceFieldsMixin):
    """Report a hazard found through an entry or an incident (place prefilled from it)."""

    title = forms.CharField(label=_("What is wrong"), max_length=120, required=False,
                            widget=forms.TextInput(attrs={"placeholder": _(
                                "e.g. fire exit blocked by bicycles")}))
    category = forms.IntegerField(label=_("Hazard category"), required=False,
                                  widget=forms.Select)
    grade = forms.ChoiceField(label=_("Grade"), choices=Grade.choices, initial=Grade.GENERAL)
    description = forms.CharField(label=_("Details"), required=False, max_length=5000,
                                  widget=forms.Textarea(attrs={"rows": 3}))

    field_order = ["title", "category", "grade", "campus", "place", "location_text",
                   "description"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].widget.choices = [("", _("Choose…"))] + [
            (c.pk, str(c)) for c in HazardCategory.objects.filter(is_active=True).order_by(
                "code")]
        self._place_widgets()
        bootstrap(self)

    def service_arguments(self) -> dict:
        d = self.cleaned_data
        return {"title": d.get("title", ""), "category_id": d.get("category"),
                "grade": d["grade"], "description": d.get("description", ""),
                "campus_id": d.get("campus"), "place_id": d.get("place"),
                "location_text": d.get("location_text", ""),
                "idempotency_key": d.get("idempotency_key")}


class IncidentFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=100,
                        widget=forms.TextInput(attrs={
                            "placeholder": _("Number, text, place, police reference"),
                            "type": "search"}))
    category = forms.ChoiceField(label=_("Category"), required=False,
                                 choices=[("", _("All categories")), *Incident.Category.choices])
    disposition = forms.ChoiceField(label=_("Disposition"), required=False, choices=[
        ("", _("All dispositions")), *Incident.Disposition.choices])
    source = forms.ChoiceField(label=_("Source"), required=False,
                               choices=[("", _("All sources")), *Incident.Source.choices])
    date_from = LocalDateField(label=_("From"))
    date_to = LocalDateField(label=_("To"))
    campus = forms.ModelChoiceField(Campus.objects.all(), required=False, label=_("Campus"),
                                    empty_label=_("All campuses"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        bootstrap(self)
        for field in self.fields.values():
            css = field.widget.attrs.get("class", "")
            field.widget.attrs["class"] = css.replace("form-control", "form-control "
                                                      "form-control-sm").replace(
                "form-select", "form-select form-select-sm")

    def filters(self) -> dict:
        """Keyword arguments for ``selectors.incidents.incident_search`` (valid fields only)."""
        if not self.is_bound:
            return {}
        self.is_valid()
        d = getattr(self, "cleaned_data", {})
        return {"category": d.get("category") or "", "disposition": d.get("disposition") or "",
                "source": d.get("source") or "", "date_from": d.get("date_from"),
                "date_to": d.get("date_to"), "text": d.get("q") or "",
                "campus_id": d["campus"].pk if d.get("campus") else None}
