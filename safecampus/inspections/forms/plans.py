"""Forms of the plan and campaign pages. They parse input only; the rules (a campaign needs
an end, a recurring plan an interval, a published checklist …) live in ``services.plan_create``
so that the page and the API give the same messages."""

import datetime as dt

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from safecampus.accounts.models import OFFICE_ROLES, User
from safecampus.core import clock
from safecampus.core.forms import IdempotentFormMixin, bootstrap
from safecampus.organisation.models import Building, Campus, Place, Unit

from ..models import Coverage
from ..selectors import templates_runnable
from ..services import PLAN_EARLIEST_DAY, PLAN_START_AHEAD

#: The three ways a plan repeats, as the form offers them (``risk`` is a recurring plan whose
#: interval follows each place's risk level).
KIND_EVERY = "recurring"
KIND_RISK = "risk"
KIND_CAMPAIGN = "campaign"
#: Most places one hand-picked list may carry (larger sets go by "all matching").
MAX_PICKED = 5000


def office_inspectors():
    """Active security office staff and administrators: who may inspect (by name)."""
    return (User.objects.filter(is_active=True, memberships__role__in=OFFICE_ROLES)
            .distinct().order_by("full_name", "username"))


class IdListField(forms.Field):
    """Several integer ids sent under one name (checkboxes); junk values are refused."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value):
        if not value:
            return []
        values = value if isinstance(value, list | tuple) else [value]
        if len(values) > MAX_PICKED:
            raise forms.ValidationError(
                _("At most %(limit)s places can be picked one by one; use \"all matching\"."),
                params={"limit": MAX_PICKED}, code="too_many")
        out = []
        for v in values:
            if not str(v).isdigit():
                raise forms.ValidationError(_("Choose places from the list."), code="invalid")
            out.append(int(v))
        return out


class PlaceFilterMixin(forms.Form):
    """Which places a plan covers, as criteria: the view resolves them to place ids in SQL,
    so a campaign over thousands of places posts a few values, not thousands of boxes."""

    campus = forms.ModelMultipleChoiceField(Campus.objects.all(), required=False,
                                            label=_("Campus"))
    building = forms.ModelChoiceField(Building.objects.select_related("campus"), required=False,
                                      label=_("Building"))
    unit = forms.ModelMultipleChoiceField(Unit.objects.filter(is_active=True), required=False,
                                          label=_("Responsible unit"))
    place_kind = forms.MultipleChoiceField(choices=Place.Kind.choices, required=False,
                                           label=_("Kind of place"))
    all_matching = forms.BooleanField(required=False, label=_("All places matching the filters"))
    places = IdListField(required=False, label=_("Places"))

    def place_filter(self) -> Q:
        """The chosen criteria as a filter on Place (call after validation)."""
        data = self.cleaned_data
        q = Q()
        if data.get("campus"):
            q &= Q(campus__in=data["campus"])
        if data.get("building"):
            q &= Q(building=data["building"])
        if data.get("unit"):
            units = list(data["unit"])
            # A place's responsible unit, else the unit that manages its building.
            q &= Q(unit__in=units) | Q(unit__isnull=True, building__unit__in=units)
        if data.get("place_kind"):
            q &= Q(kind__in=data["place_kind"])
        return q


class PlanForm(IdempotentFormMixin, PlaceFilterMixin):
    kind = forms.ChoiceField(
        label=_("Kind"), widget=forms.RadioSelect,
        choices=[(KIND_EVERY, _("Recurring: every N days")),
                 (KIND_RISK, _("Recurring: by each place's risk level")),
                 (KIND_CAMPAIGN, _("Campaign with start and end dates"))])
    # Required by the service ("Give the plan a name."), so the page and the API say the same.
    name = forms.CharField(label=_("Plan name"), max_length=120, required=False,
                           widget=forms.TextInput(attrs={"placeholder": _(
                               "e.g. Spring term laboratory safety campaign")}))
    description = forms.CharField(label=_("Description"), required=False, max_length=2000,
                                  widget=forms.Textarea(attrs={"rows": 2}))
    # Offers the runnable checklists but takes any id: the service refuses a missing or
    # unpublished one with its own message (the same as the API's).
    template = forms.IntegerField(label=_("Checklist"), required=False, widget=forms.Select)
    starts_on = forms.DateField(label=_("Starts on"),
                                widget=forms.DateInput(attrs={"type": "date"}))
    ends_on = forms.DateField(label=_("Ends on"), required=False,
                              widget=forms.DateInput(attrs={"type": "date"}))
    interval_days = forms.IntegerField(label=_("Every (days)"), required=False, min_value=1,
                                       max_value=366)
    inspectors = forms.ModelMultipleChoiceField(
        User.objects.none(), required=False, label=_("Inspectors"),
        help_text=_("Places are dealt out to them in turn; a unit's places go to one inspector."))
    deadline_days = forms.IntegerField(label=_("Rectification deadline (days)"), required=False,
                                       min_value=1, max_value=180, initial=7)
    needs_review = forms.BooleanField(label=_("Results need approval before they go out"),
                                      required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["template"].widget.choices = [("", _("Choose a checklist"))] + [
            (t.pk, t.name) for t in templates_runnable().order_by("name", "id")]
        inspectors = self.fields["inspectors"]
        inspectors.queryset = office_inspectors()
        inspectors.label_from_instance = lambda u: u.full_name or u.username
        self.fields["building"].label_from_instance = lambda b: f"{b.campus.name} · {b.name}"
        bootstrap(self)
        self.fields["building"].empty_label = _("Any building")
        for name in ("campus", "unit", "place_kind", "inspectors"):
            self.fields[name].widget.attrs["size"] = 5
        # The date pickers offer the days the service accepts (it says why for the others).
        latest = clock.local_today() + dt.timedelta(days=PLAN_START_AHEAD)
        self.fields["starts_on"].widget.attrs.update(
            {"min": PLAN_EARLIEST_DAY.isoformat(), "max": latest.isoformat()})
        self.fields["ends_on"].widget.attrs["min"] = PLAN_EARLIEST_DAY.isoformat()
        # The service's words, not Django's "ensure this value is less than or equal to …".
        for name, message in (
                ("interval_days", _("Repeat every 1 to 366 days, or follow the risk level.")),
                ("deadline_days", _("The deadline must be between 1 and 180 days."))):
            self.fields[name].error_messages.update({"min_value": message,
                                                     "max_value": message})

    def service_arguments(self) -> dict:
        """Keyword arguments for ``services.plan_create`` except ``actor`` and ``place_ids``."""
        d = self.cleaned_data
        kind = d["kind"]
        return {
            "kind": "campaign" if kind == KIND_CAMPAIGN else "recurring",
            "by_risk_level": kind == KIND_RISK,
            "name": d["name"],
            "description": d.get("description", ""),
            "template_id": d.get("template"),
            "starts_on": d["starts_on"],
            "ends_on": d.get("ends_on"),
            "interval_days": d.get("interval_days") if kind == KIND_EVERY else None,
            "inspector_ids": [u.pk for u in d.get("inspectors") or []],
            "deadline_days": d.get("deadline_days"),
            "needs_review": bool(d.get("needs_review")),
            "campus_id": d["campus"][0].pk if d.get("campus") and len(d["campus"]) == 1 else None,
            "idempotency_key": d.get("idempotency_key"),
        }


class PlacePreviewForm(PlaceFilterMixin):
    """The same criteria, read from a GET while the form is being filled in."""


class TargetFilterForm(forms.Form):
    """Filters of the coverage page's target list (unit and inspector lists are for display;
    any id is taken, and one that matches nothing shows nothing)."""

    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    coverage = forms.ChoiceField(choices=[("", _("All coverage"))] + Coverage.choices,
                                 required=False, label=_("Coverage"))
    unit = forms.IntegerField(required=False, min_value=1, label=_("Unit"), widget=forms.Select)
    inspector = forms.IntegerField(required=False, min_value=0, label=_("Inspector"),
                                   widget=forms.Select)

    def __init__(self, *args, units=(), inspectors=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].widget.choices = [("", _("All units"))] + [
            (uid, name) for uid, name in units if uid]
        self.fields["inspector"].widget.choices = [("", _("All inspectors")),
                                                   (0, _("No inspector assigned"))] + [
            (u.pk, u.full_name or u.username) for u in inspectors]
        bootstrap(self)

    def filters(self) -> dict:
        """The valid filters (a bad value is dropped and its error shown on the page)."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return {k: data[k] for k in ("q", "coverage", "unit", "inspector")
                if data.get(k) not in (None, "")}


class AssignForm(forms.Form):
    """Bulk assignment: the ticked targets (or all matching the filters) to one inspector."""

    targets = IdListField(required=False)
    all_matching = forms.BooleanField(required=False)
    inspector = forms.IntegerField(required=False, min_value=1, label=_("Assign to"),
                                   widget=forms.Select)

    def __init__(self, *args, inspectors=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["inspector"].widget.choices = [("", _("Nobody (unassign)"))] + [
            (u.pk, u.full_name or u.username) for u in inspectors]
        bootstrap(self)
