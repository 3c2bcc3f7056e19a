"""Forms of the meetings area: plan, hold (minutes, attendance, decision rows), cancel,
filters, and the action forms. They parse input only; the rules (and their messages) live in
:mod:`..services.meetings`."""

from django import forms
from django.db.models import Q
from django.forms import formset_factory
from django.utils.translation import gettext_lazy as _

from safecampus.accounts.models import Role, User
from safecampus.core.forms import IdempotentFormMixin, LocalDateField, bootstrap, id_or_none
from safecampus.organisation.models import Campus, Unit

from ..models import Meeting, MeetingAction, Side
from ..selectors import meetings as selectors
from ..selectors import partners as partner_selectors
from ..services.meetings import ActionInput, GuestInput, MeetingInput

#: Blank decision rows on the "record as held" page.
ACTION_ROWS = 5
#: Roles whose people are offered as campus-side attendees and owners.
CAMPUS_ROLES = [Role.OFFICE_ADMIN, Role.OFFICE_STAFF, Role.UNIT_SAFETY_CONTACT,
                Role.UNIT_LEADER, Role.LEADERSHIP, Role.GRID_HEAD]


def campus_people() -> list[tuple[int, str]]:
    rows = (User.objects.filter(is_active=True, memberships__role__in=CAMPUS_ROLES)
            .distinct().order_by("username").values_list("pk", "full_name", "username"))
    return [(pk, full_name or username) for pk, full_name, username in rows]


def campus_choices() -> list[tuple[int, str]]:
    return list(Campus.objects.order_by("sort_order", "pk").values_list("pk", "name"))


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
    campus_attendees = forms.MultipleChoiceField(label=_("Campus side"), required=False,
                                                 widget=forms.SelectMultiple(attrs={"size": 6}))
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
            (li.user_id, f"{li.user} · {li.partner.name}") for li in liaisons]
        widget = LiaisonCheckboxes()
        widget.partner_of = {str(li.user_id): str(li.partner_id) for li in liaisons}
        widget.choices = self.fields["police_attendees"].choices
        self.fields["police_attendees"].widget = widget
        bootstrap(self)
        for name in ("partners", "police_attendees"):
            self.fields[name].widget.attrs["class"] = "form-check-input"

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
                                 widget=forms.Select)
    owner_partner = forms.CharField(label=_("Responsible partner"), required=False,
                                    widget=forms.Select)
    owner = forms.CharField(label=_("Responsible person"), required=False, widget=forms.Select)
    due_on = LocalDateField(label=_("Complete by"))

    def __init__(self, *args, choices=None, **kwargs):
        super().__init__(*args, **kwargs)
        units, partners, people = choices
        self.fields["owner_unit"].widget.choices = [("", "—"), *units]
        self.fields["owner_partner"].widget.choices = [("", "—"), *partners]
        self.fields["owner"].widget.choices = [("", "—"), *people]
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
    """(units, partners, people) of the decision rows: people are campus people and active
    liaisons (labelled with their partner)."""
    units = list(Unit.objects.order_by("code").values_list("pk", "name"))
    partners = partner_selectors.partner_choices()
    people = campus_people() + [(li.user_id, f"{li.user} · {li.partner.name}")
                                for li in partner_selectors.liaisons_active()]
    return units, partners, people


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
    reason = forms.CharField(label=_("Reason"), max_length=200, required=False,
                             widget=forms.TextInput())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        bootstrap(self)


class ProgressForm(forms.Form):
    progress = forms.CharField(label=_("Progress so far"), required=False, max_length=8000,
                               widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        bootstrap(self)


class CompleteForm(forms.Form):
    note = forms.CharField(label=_("How it was done"), required=False, max_length=8000,
                           widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        bootstrap(self)


class MeetingFilterForm(forms.Form):
    state = forms.ChoiceField(label=_("State"), required=False,
                              choices=[("", _("All")), *Meeting.State.choices])
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
                              choices=[("", _("All")), *MeetingAction.State.choices])
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
