"""Forms of the meetings area: plan, hold (minutes, attendance, decision rows), cancel,
filters, and the action forms. They parse input only; the rules (and their messages) live in
:mod:`..services.meetings`."""

from django import forms
from django.db.models import Q
from django.forms import formset_factory
from django.utils.translation import gettext_lazy as _

from safecampus.core import clock
from safecampus.core.forms import IdempotentFormMixin, LocalDateField, bootstrap, id_or_none
from safecampus.organisation.models import Campus, Unit

from ..models import Meeting, MeetingAction, Side
from ..selectors import meetings as selectors
from ..selectors import partners as partner_selectors
from ..services.meetings import (
    ACTION_STATE_CHOICES,
    MEETING_STATE_CHOICES,
    ActionInput,
    GuestInput,
    MeetingInput,
)

#: The placeholder of the box that filters a long pick list as one types (police/meetings.js).
FILTER_HINT = _("Type to filter…")
#: Blank decision rows on the "record as held" page.
ACTION_ROWS = 5


def campus_people() -> list[tuple[int, str]]:
    """Campus people offered as attendees and responsible persons, by name: "name (user
    name) · unit role, …" so that two people of one name are told apart and one can type a
    unit to find its people."""
    return [(pk, label) for pk, label, _units in selectors.campus_people_with_units()]


class FilterSelect(forms.Select):
    """A select the page lets one filter by typing (police/meetings.js adds the box); options
    may carry ``data-units`` / ``data-partner`` so that a decision row offers only the people
    of the chosen unit or partner."""

    option_data: dict = {}

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        option["attrs"].update(self.option_data.get(str(value), {}))
        return option


class FilterSelectMultiple(forms.SelectMultiple):
    """A multiple select filtered by typing (police/meetings.js)."""


def campus_choices() -> list[tuple[int, str]]:
    return list(Campus.objects.order_by("sort_order", "pk").values_list("pk", "name"))


def liaison_label(liaison) -> str:
    post = f" {liaison.post}" if liaison.post else ""
    return f"{liaison.user} ({liaison.user.username}) · {liaison.partner.name}{post}"


class LiaisonCheckboxes(forms.CheckboxSelectMultiple):
    """Police-side attendees; each option carries its partner (``data-partner``) so that the
    page lists only the liaisons of the partners ticked (police/meetings.js)."""

    partner_of: dict = {}

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        partner = self.partner_of.get(str(value))
        if partner:
            option["attrs"]["data-partner"] = partner
        return option


class MeetingForm(IdempotentFormMixin):
    kind = forms.ChoiceField(label=_("Kind"), choices=Meeting.Kind.choices)
    title = forms.CharField(label=_("Title"), max_length=200, widget=forms.TextInput(
        attrs={"placeholder": _("e.g. 2026年第二季度警校联席会议")}))
    campus = forms.CharField(label=_("Campus"), required=False, widget=forms.Select,
                             help_text=_("Empty: the whole university."))
    starts_at = forms.DateTimeField(label=_("Starts at"), widget=forms.DateTimeInput(
        attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"))
    location = forms.CharField(label=_("Location"), required=False, max_length=200)
    chair = forms.CharField(label=_("Chaired by"), required=False, max_length=64)
    partners = forms.MultipleChoiceField(label=_("Partners taking part"), required=False,
                                         widget=forms.CheckboxSelectMultiple)
    agenda = forms.CharField(label=_("Agenda"), required=False, widget=forms.Textarea(
        attrs={"rows": 4}), help_text=_("One item a line. Open actions of earlier meetings "
                                         "are added by themselves."))
    campus_attendees = forms.MultipleChoiceField(
        label=_("Campus side"), required=False,
        help_text=_("Type to filter by name, user name or unit; hold Ctrl (⌘) to pick several."),
        widget=FilterSelectMultiple(attrs={"size": 8, "data-filter": FILTER_HINT}))
    police_attendees = forms.MultipleChoiceField(label=_("Police side: liaisons"),
                                                 required=False, widget=LiaisonCheckboxes)
    guests = forms.CharField(label=_("Police side: others"), required=False,
                             widget=forms.Textarea(attrs={"rows": 2}), help_text=_(
                                 "One a line: name, agency, post."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["campus"].widget.choices = [("", _("Whole university")), *campus_choices()]
        self.fields["partners"].choices = partner_selectors.partner_choices()
        self.fields["campus_attendees"].choices = campus_people()
        liaisons = list(partner_selectors.liaisons_active())
        self.fields["police_attendees"].choices = [
            (li.user_id, liaison_label(li)) for li in liaisons]
        widget = LiaisonCheckboxes()
        widget.partner_of = {str(li.user_id): str(li.partner_id) for li in liaisons}
        widget.choices = self.fields["police_attendees"].choices
        self.fields["police_attendees"].widget = widget
        bootstrap(self)
        for name in ("partners", "police_attendees"):
            self.fields[name].widget.attrs["class"] = "form-check-input"

    @staticmethod
    def initial_of(meeting: Meeting) -> dict:
        """The form's initial values for editing a planned ``meeting``."""
        attendees = list(meeting.attendees.all())
        return {
            "kind": meeting.kind, "title": meeting.title, "campus": meeting.campus_id or "",
            "starts_at": meeting.starts_at.astimezone(clock.local_zone()).replace(tzinfo=None),
            "location": meeting.location, "chair": meeting.chair,
            "partners": [p.pk for p in meeting.partners.all()],
            "agenda": "\n".join(i.title for i in meeting.agenda.all() if not i.carried_action_id),
            "campus_attendees": [a.user_id for a in attendees
                                 if a.side == Side.CAMPUS and a.user_id],
            "police_attendees": [a.user_id for a in attendees
                                 if a.side == Side.POLICE and a.user_id],
            "guests": "\n".join(", ".join(x for x in (a.name, a.organisation, a.post) if x)
                                for a in attendees if a.side == Side.POLICE and not a.user_id)}

    def service_input(self) -> MeetingInput:
        d = self.cleaned_data
        guests = []
        for line in (d["guests"] or "").splitlines():
            parts = [p.strip() for p in line.replace("，", ",").split(",")]
            if parts and parts[0]:
                guests.append(GuestInput(parts[0], parts[1] if len(parts) > 1 else "",
                                         ",".join(parts[2:]) if len(parts) > 2 else ""))
        return MeetingInput(
            kind=d["kind"], title=d["title"], starts_at=d["starts_at"],
            campus_id=d["campus"] or None, location=d["location"],
            partner_ids=d["partners"], chair=d["chair"],
            agenda=(d["agenda"] or "").splitlines(), campus_user_ids=d["campus_attendees"],
            liaison_user_ids=d["police_attendees"], guests=guests)


class ActionRowForm(forms.Form):
    """One decision on the hold page; a blank row is skipped."""

    title = forms.CharField(label=_("Decision taken"), required=False, max_length=200)
    detail = forms.CharField(label=_("Detail"), required=False, max_length=8000,
                             widget=forms.Textarea(attrs={"rows": 1}))
    side = forms.ChoiceField(label=_("Side"), required=False,
                             choices=[("", "—"), *Side.choices])
    owner_unit = forms.CharField(label=_("Responsible unit"), required=False,
                                 widget=forms.Select(attrs={"data-filter": FILTER_HINT}))
    owner_partner = forms.CharField(label=_("Responsible partner"), required=False,
                                    widget=forms.Select)
    owner = forms.CharField(label=_("Responsible person"), required=False,
                            widget=FilterSelect(attrs={"data-filter": FILTER_HINT, "data-owner": "1"}),
                            help_text=_("Only the people of the chosen unit or partner are "
                                        "listed; type to filter."))
    due_on = LocalDateField(label=_("Complete by"))

    def __init__(self, *args, choices=None, **kwargs):
        super().__init__(*args, **kwargs)
        units, partners, people, option_data = choices
        self.fields["owner_unit"].widget.choices = [("", "—"), *units]
        self.fields["owner_partner"].widget.choices = [("", "—"), *partners]
        self.fields["owner"].widget.choices = [("", "—"), *people]
        self.fields["owner"].widget.option_data = option_data
        bootstrap(self)

    def is_blank(self) -> bool:
        d = getattr(self, "cleaned_data", {}) or {}
        return not any(d.get(k) for k in ("title", "detail", "owner_unit", "owner_partner",
                                           "owner", "due_on"))

    def service_input(self) -> ActionInput:
        d = self.cleaned_data
        return ActionInput(title=d["title"], detail=d["detail"], side=d["side"],
                           due_on=d["due_on"], owner_unit_id=id_or_none(d["owner_unit"]),
                           owner_partner_id=id_or_none(d["owner_partner"]),
                           owner_id=d["owner"] or None)


ActionRows = formset_factory(ActionRowForm, extra=ACTION_ROWS, max_num=30)


def action_choices():
    """(units, partners, people, option data) of the decision rows: people are campus people
    (labelled with their units and roles, ``data-units``) and active liaisons (labelled with
    their partner and post, ``data-partner``)."""
    units = list(Unit.objects.order_by("code").values_list("pk", "name"))
    partners = partner_selectors.partner_choices()
    people, data = [], {}
    for pk, label, unit_ids in selectors.campus_people_with_units():
        people.append((pk, label))
        data[str(pk)] = {"data-units": " ".join(str(u) for u in unit_ids)}
    for li in partner_selectors.liaisons_active():
        people.append((li.user_id, liaison_label(li)))
        data.setdefault(str(li.user_id), {})["data-partner"] = str(li.partner_id)
    return units, partners, people, data


class HoldForm(forms.Form):
    minutes = forms.CharField(label=_("Minutes"), required=False, widget=forms.Textarea(
        attrs={"rows": 6}))
    attended = forms.MultipleChoiceField(label=_("Attended"), required=False,
                                         widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, meeting, **kwargs):
        super().__init__(*args, **kwargs)
        attendees = list(meeting.attendees.all())
        self.fields["attended"].choices = [
            (a.pk, f"{a.name}{' · ' + a.organisation if a.organisation else ''}")
            for a in attendees]
        if not self.is_bound:
            self.initial["attended"] = [a.pk for a in attendees if a.attended]
        bootstrap(self)
        self.fields["attended"].widget.attrs["class"] = "form-check-input"


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), required=False,
                             widget=forms.TextInput())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        bootstrap(self)


class ProgressForm(forms.Form):
    # No max_length: the service gives the length message and the page keeps the text.
    progress = forms.CharField(label=_("Progress so far"), required=False,
                               widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        bootstrap(self)


class CompleteForm(forms.Form):
    note = forms.CharField(label=_("How it was done"), required=False,
                           widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        bootstrap(self)


class MeetingFilterForm(forms.Form):
    state = forms.ChoiceField(label=_("State"), required=False,
                              choices=[("", _("All")), *MEETING_STATE_CHOICES])
    kind = forms.ChoiceField(label=_("Kind"), required=False,
                             choices=[("", _("All")), *Meeting.Kind.choices])
    campus = forms.ChoiceField(label=_("Campus"), required=False)
    year = forms.TypedChoiceField(label=_("Year"), required=False, coerce=int,
                                  empty_value=None)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["campus"].choices = [("", _("All")), ("university", _("Whole university")),
                                         *[(str(k), v) for k, v in campus_choices()]]
        self.fields["year"].choices = [("", _("All")), *[
            (y, str(y)) for y in selectors.meeting_years()]]
        bootstrap(self)

    def filters(self) -> dict:
        if not self.is_bound or not self.is_valid():
            return {}
        d = self.cleaned_data
        return {"state": d["state"], "kind": d["kind"], "year": d["year"],
                "university": d["campus"] == "university",
                "campus_id": id_or_none(d["campus"])}


class ActionFilterForm(forms.Form):
    state = forms.ChoiceField(label=_("State"), required=False,
                              choices=[("", _("All")), *ACTION_STATE_CHOICES])
    overdue = forms.BooleanField(label=_("Overdue only"), required=False)
    side = forms.ChoiceField(label=_("Side"), required=False,
                             choices=[("", _("All")), *Side.choices])
    partner = forms.TypedChoiceField(label=_("Partner"), required=False, coerce=int,
                                     empty_value=None)
    unit = forms.TypedChoiceField(label=_("Unit"), required=False, coerce=int,
                                  empty_value=None)
    meeting = forms.IntegerField(required=False, widget=forms.HiddenInput, min_value=1,
                                 max_value=2**62)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["partner"].choices = [("", _("All")), *partner_selectors.partner_choices(
            active_only=False)]
        self.fields["unit"].choices = [("", _("All")), *Unit.objects.filter(
            Q(pk__in=MeetingAction.objects.values("owner_unit_id"))).order_by("code")
            .values_list("pk", "name")]
        bootstrap(self)
        self.fields["overdue"].widget.attrs["class"] = "form-check-input"

    def filters(self) -> dict:
        if not self.is_bound or not self.is_valid():
            return {}
        d = self.cleaned_data
        return {"state": d["state"], "overdue": d["overdue"], "side": d["side"],
                "partner_id": d["partner"], "unit_id": d["unit"], "meeting_id": d["meeting"]}
