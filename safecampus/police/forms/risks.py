"""Forms of the risk register. They parse input only: ids, LEC values and matrix grades are
checked by :mod:`..services.risks` and :mod:`..grading`, so the pages and the API give the
same messages."""

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from safecampus.accounts.models import OFFICE_ROLES, UNIT_ROLES, User
from safecampus.core.forms import IdempotentFormMixin, bootstrap, id_or_none
from safecampus.organisation.models import Building, Campus, Place, RiskLevel, Unit

from .. import grading
from ..models import AssessmentMethod, ControlMeasure, RiskAssessment, RiskPoint
from ..models.risks import ControlTier


def _campus_choices():
    return [(c.pk, c.name) for c in Campus.objects.order_by("sort_order", "pk")]


def _unit_choices():
    return [(u.pk, u.name) for u in Unit.objects.filter(is_active=True).order_by("name")]


def _person_choices():
    people = (User.objects.filter(is_active=True)
              .filter(Q(memberships__role__in=UNIT_ROLES | OFFICE_ROLES))
              .distinct().order_by("full_name", "pk"))
    return [(u.pk, u.full_name or u.username) for u in people]


def _select(label, *, required=False, **kwargs):
    return forms.CharField(label=label, required=required, widget=forms.Select, **kwargs)


class RiskFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    campus = _select(_("Campus"))
    kind = forms.ChoiceField(label=_("Kind"), required=False,
                             choices=[("", _("All kinds")), *RiskPoint.Kind.choices])
    level = forms.ChoiceField(label=_("Risk level"), required=False,
                              choices=[("", _("All levels")), *RiskLevel.choices,
                                       ("none", _("Not assessed"))])
    state = forms.ChoiceField(label=_("State"), required=False,
                              choices=[("", _("All states")), *RiskPoint.State.choices])
    unit = _select(_("Responsible unit"))
    overdue = forms.BooleanField(label=_("Review overdue"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["campus"].widget.choices = [("", _("All campuses")), *_campus_choices()]
        self.fields["unit"].widget.choices = [("", _("All units")), *_unit_choices()]
        bootstrap(self)

    def filters(self) -> dict:
        """Selector keyword arguments; a junk value is ignored (the whole register)."""
        if not self.is_bound or not self.is_valid():
            return {}
        d = self.cleaned_data
        campus_id, unit_id = id_or_none(d.get("campus")), id_or_none(d.get("unit"))
        return {"campus": Campus.objects.filter(pk=campus_id).first() if campus_id else None,
                "unit": Unit.objects.filter(pk=unit_id).first() if unit_id else None,
                "kind": d.get("kind") or "", "level": d.get("level") or "",
                "state": d.get("state") or "", "overdue": bool(d.get("overdue")),
                "q": d.get("q") or ""}


class RiskPointForm(IdempotentFormMixin):
    name = forms.CharField(label=pgettext_lazy("risk point", "Name"), max_length=120,
                           widget=forms.TextInput(attrs={"placeholder": "化学实验楼危化品库房"}))
    kind = forms.ChoiceField(label=_("Kind"), choices=RiskPoint.Kind.choices)
    campus = _select(_("Campus"), help_text=_("Taken from the place or building when one is "
                                              "chosen."))
    building = _select(_("Building"))
    place = _select(_("Place"))
    location_text = forms.CharField(label=_("Location"), required=False, max_length=200)
    map_x = forms.CharField(label=_("Map x (%)"), required=False, max_length=12,
                            widget=forms.TextInput(attrs={"inputmode": "decimal"}))
    map_y = forms.CharField(label=_("Map y (%)"), required=False, max_length=12,
                            widget=forms.TextInput(attrs={"inputmode": "decimal"}),
                            help_text=_("Empty: the position of the place or building."))
    hazard_factors = forms.CharField(label=_("Hazard factors"), max_length=4000,
                                     widget=forms.Textarea(attrs={"rows": 3}))
    possible_accidents = forms.CharField(label=_("Possible accidents"), required=False,
                                         max_length=300)
    responsible_unit = _select(_("Responsible unit"))
    responsible_person = _select(_("Responsible person"))
    review_cycle_days = forms.CharField(
        label=_("Review every (days)"), required=False, max_length=6,
        widget=forms.TextInput(attrs={"inputmode": "numeric"}),
        help_text=_("Empty: the default for its level."))
    shared_with_partners = forms.BooleanField(
        label=_("Shared with police partners"), required=False, initial=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        blank = [("", "—")]
        campuses = list(Campus.objects.order_by("sort_order", "pk"))
        buildings = list(Building.objects.select_related("campus").order_by("campus_id", "name"))
        places = list(Place.objects.select_related("campus", "building")
                      .order_by("campus_id", "code"))
        self.fields["campus"].widget.choices = blank + [(c.pk, c.name) for c in campuses]
        self.fields["building"].widget.choices = blank + [
            (b.pk, f"{b.campus.name} · {b.name}") for b in buildings]
        self.fields["place"].widget.choices = blank + [
            (p.pk, f"{p.campus.name} · {p}") for p in places]
        #: Campuses with a map image, for click-to-place on the form (risks_form.js).
        self.campus_maps = [c for c in campuses if c.map_image]
        #: The campus of every building and place, so the script shows the right map.
        self.campus_of = {"building": {str(b.pk): str(b.campus_id) for b in buildings},
                          "place": {str(p.pk): str(p.campus_id) for p in places}}
        self.fields["responsible_unit"].widget.choices = blank + _unit_choices()
        self.fields["responsible_person"].widget.choices = blank + _person_choices()
        bootstrap(self)

    @classmethod
    def initial_of(cls, point: RiskPoint) -> dict:
        return {"name": point.name, "kind": point.kind, "campus": point.campus_id,
                "building": point.building_id or "", "place": point.place_id or "",
                "location_text": point.location_text,
                "map_x": "" if point.map_x is None else point.map_x,
                "map_y": "" if point.map_y is None else point.map_y,
                "hazard_factors": point.hazard_factors,
                "possible_accidents": point.possible_accidents,
                "responsible_unit": point.responsible_unit_id or "",
                "responsible_person": point.responsible_person_id or "",
                "review_cycle_days": point.review_cycle_days or "",
                "shared_with_partners": point.shared_with_partners}

    def service_data(self) -> dict:
        d = self.cleaned_data
        return {"name": d["name"], "kind": d["kind"], "campus_id": d["campus"] or None,
                "building_id": d["building"] or None, "place_id": d["place"] or None,
                "location_text": d["location_text"], "map_x": d["map_x"], "map_y": d["map_y"],
                "hazard_factors": d["hazard_factors"],
                "possible_accidents": d["possible_accidents"],
                "responsible_unit_id": d["responsible_unit"] or None,
                "responsible_person_id": d["responsible_person"] or None,
                "review_cycle_days": d["review_cycle_days"] or None,
                "shared_with_partners": d["shared_with_partners"]}


def _table_choices(rows):
    return [("", "—")] + [(value, f"{value} · {label}") for value, label in rows]


class AssessForm(forms.Form):
    """LEC selects or matrix selects (the page's script shows one set and the level it gives;
    the service grades again)."""

    method = forms.ChoiceField(label=_("Method"), choices=AssessmentMethod.choices,
                               widget=forms.RadioSelect, initial=AssessmentMethod.LEC)
    lec_l = _select(_("L: likelihood"))
    lec_e = _select(_("E: exposure"))
    lec_c = _select(_("C: consequence"))
    likelihood = _select(_("Likelihood (1–5)"))
    severity = _select(_("Severity (1–5)"))
    reason = forms.ChoiceField(label=_("Reason"), choices=RiskAssessment.Reason.choices)
    note = forms.CharField(label=_("Note"), required=False, max_length=4000,
                           widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        t = grading.tables()
        for name in ("lec_l", "lec_e", "lec_c", "likelihood", "severity"):
            self.fields[name].widget.choices = _table_choices(t[name])
            self.fields[name].widget.attrs["data-risk-factor"] = name
        bootstrap(self)
        self.fields["method"].widget.attrs["class"] = "form-check-input"

    def service_arguments(self) -> dict:
        d = self.cleaned_data
        return {"method": d["method"], "lec_l": d["lec_l"] or None,
                "lec_e": d["lec_e"] or None, "lec_c": d["lec_c"] or None,
                "likelihood": d["likelihood"] or None, "severity": d["severity"] or None,
                "reason": d["reason"], "note": d["note"]}


class MeasureForm(IdempotentFormMixin):
    kind = forms.ChoiceField(label=_("Kind"), choices=ControlMeasure.Kind.choices)
    description = forms.CharField(label=_("Measure"), max_length=4000,
                                  widget=forms.Textarea(attrs={"rows": 2}))
    tier = forms.ChoiceField(label=_("Control tier"), choices=ControlTier.choices)
    responsible_unit = _select(_("Responsible unit"), required=True)
    responsible_person = _select(_("Responsible person"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["responsible_unit"].widget.choices = [("", "—"), *_unit_choices()]
        self.fields["responsible_person"].widget.choices = [("", "—"), *_person_choices()]
        bootstrap(self)

    def service_arguments(self) -> dict:
        d = self.cleaned_data
        return {"kind": d["kind"], "description": d["description"], "tier": d["tier"],
                "responsible_unit_id": d["responsible_unit"],
                "responsible_person_id": d["responsible_person"] or None}


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=2000,
                             widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        bootstrap(self)


class ReviewRequestForm(IdempotentFormMixin, ReasonForm):
    """Why a point should be reassessed, with the key that makes a double tap one request."""
