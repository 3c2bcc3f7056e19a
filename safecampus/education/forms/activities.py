"""Forms of the activities area. They parse input only; the rules live in
:mod:`..services.activities`, so the pages and the API give the same messages."""

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from safecampus.core.forms import (
    IdempotentFormMixin,
    LocalDateField,
    MultiplePhotoField,
    bootstrap,
    id_or_none,
)
from safecampus.core.uploads import ACCEPT_ATTRIBUTE
from safecampus.organisation.models import Campus

from ..models import Activity, Partner, Topic
from ..selectors import activities as selectors
from ..services.activities import ActivityInput, Material

#: Blank material rows on the "record as held" form.
MATERIAL_ROWS = 5


class TermForm(forms.Form):
    name = forms.CharField(label=pgettext_lazy("term", "Name"), max_length=64,
                           widget=forms.TextInput(attrs={"placeholder": "2026–2027学年第一学期"}))
    starts_on = LocalDateField(label=_("First day"), required=True)
    ends_on = LocalDateField(label=_("Last day"), required=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        bootstrap(self)


class PartnerForm(forms.Form):
    name = forms.CharField(label=pgettext_lazy("partner", "Name"), max_length=100)
    kind = forms.ChoiceField(label=_("Kind"), choices=Partner.Kind.choices)
    contact = forms.CharField(label=_("Contact"), max_length=100, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        bootstrap(self)


class CampaignForm(IdempotentFormMixin):
    title = forms.CharField(label=_("Title"), max_length=120,
                            widget=forms.TextInput(attrs={"placeholder": "2026年秋季反诈宣传月"}))
    topic = forms.ChoiceField(label=_("Topic"), choices=Topic.choices)
    term = forms.TypedChoiceField(label=_("Term"), coerce=int, required=False, empty_value=None,
                                  help_text=_("Empty: the term containing the first day."))
    starts_on = LocalDateField(label=_("First day"), required=True)
    ends_on = LocalDateField(label=_("Last day"), required=True)
    goal = forms.CharField(label=_("Goal"), required=False, max_length=4000,
                           widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["term"].choices = [("", "—")] + [
            (t.pk, t.name) for t in selectors.term_list()]
        bootstrap(self)

    def service_arguments(self) -> dict:
        d = self.cleaned_data
        return {"title": d["title"], "topic": d["topic"], "term_id": d["term"],
                "starts_on": d["starts_on"], "ends_on": d["ends_on"], "goal": d["goal"]}


class ActivityForm(IdempotentFormMixin):
    """Plan an activity. Ids of the pick lists are checked by the service (an unknown id is
    a field error there), so the multiple choices here accept any value."""

    title = forms.CharField(label=_("Title"), max_length=120, widget=forms.TextInput(
        attrs={"placeholder": _("e.g. Anti-fraud booth outside the canteen")}))
    topic = forms.ChoiceField(label=_("Topic"), choices=Topic.choices)
    kind = forms.ChoiceField(label=_("Kind"), choices=Activity.Kind.choices)
    campaign = forms.CharField(label=pgettext_lazy("education", "Campaign"), required=False,
                               widget=forms.Select)
    starts_at = forms.DateTimeField(label=_("Starts at"), widget=forms.DateTimeInput(
        attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"))
    ends_at = forms.DateTimeField(label=_("Ends at"), widget=forms.DateTimeInput(
        attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"))
    campus = forms.CharField(label=_("Campus"), required=False, widget=forms.Select)
    place = forms.CharField(label=_("Place (optional)"), required=False, widget=forms.Select)
    location = forms.CharField(label=_("Or where"), required=False, max_length=120,
                               widget=forms.TextInput(attrs={
                                   "placeholder": _("e.g. outside 康乐餐厅, online platform")}))
    partners = forms.MultipleChoiceField(label=_("Partners"), required=False)
    campuses = forms.MultipleChoiceField(label=_("Campuses reached"), required=False)
    buildings = forms.MultipleChoiceField(label=_("Buildings reached"), required=False)
    colleges = forms.MultipleChoiceField(label=_("Colleges reached"), required=False)
    class_groups = forms.MultipleChoiceField(label=_("Classes reached"), required=False)
    description = forms.CharField(label=_("Description"), required=False, max_length=4000,
                                  widget=forms.Textarea(attrs={"rows": 3}))
    # Checked by the service (decimal degrees, both or neither, the distance's range).
    latitude = forms.CharField(label=_("Latitude"), required=False, max_length=32,
                               widget=forms.TextInput(attrs={"inputmode": "decimal",
                                                             "placeholder": "34.246000"}))
    longitude = forms.CharField(label=_("Longitude"), required=False, max_length=32,
                                widget=forms.TextInput(attrs={"inputmode": "decimal",
                                                              "placeholder": "108.983000"}))
    sign_in_radius_m = forms.CharField(
        label=_("Allowed distance (m)"), required=False, max_length=8,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "placeholder": "300"}),
        help_text=_("A sign-in farther than this from the position is marked as far away "
                    "(not refused). Empty: 300 m."))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        campuses = [(c.pk, c.name) for c in Campus.objects.order_by("sort_order", "pk")]
        self.fields["campaign"].widget.choices = [("", "—"), *selectors.campaign_choices()]
        self.fields["campus"].widget.choices = [("", "—"), *campuses]
        self.fields["place"].widget.choices = [("", "—"), *selectors.place_choices()]
        self.fields["partners"].choices = [
            (p.pk, p.name) for p in selectors.partner_list(active_only=True)]
        self.fields["campuses"].choices = campuses
        self.fields["buildings"].choices = selectors.building_choices()
        self.fields["colleges"].choices = selectors.college_choices(user)
        self.fields["class_groups"].choices = selectors.class_choices(user)
        for name in ("partners", "campuses", "buildings", "colleges", "class_groups"):
            # Unknown ids reach the service, which names them.
            self.fields[name].valid_value = lambda value: True
            self.fields[name].widget.attrs["size"] = 6
        bootstrap(self)

    @staticmethod
    def initial_of(activity) -> dict:
        """The form's values for editing ``activity`` (times shown in local time)."""
        data = ActivityInput.of(activity)
        return {"title": data.title, "topic": data.topic, "kind": data.kind,
                "starts_at": data.starts_at, "ends_at": data.ends_at,
                "campaign": data.campaign_id or "", "campus": data.campus_id or "",
                "place": data.place_id or "", "location": data.location,
                "description": data.description, "partners": data.partner_ids,
                "campuses": data.campus_ids, "buildings": data.building_ids,
                "colleges": data.college_ids, "class_groups": data.class_ids,
                "latitude": "" if data.latitude is None else str(data.latitude),
                "longitude": "" if data.longitude is None else str(data.longitude),
                "sign_in_radius_m": data.sign_in_radius_m}

    def service_input(self) -> ActivityInput:
        d = self.cleaned_data
        return ActivityInput(
            title=d["title"], topic=d["topic"], kind=d["kind"], starts_at=d["starts_at"],
            ends_at=d["ends_at"], campaign_id=d["campaign"] or None,
            campus_id=d["campus"] or None, place_id=d["place"] or None,
            location=d["location"], description=d["description"],
            partner_ids=d["partners"], campus_ids=d["campuses"], building_ids=d["buildings"],
            college_ids=d["colleges"], class_ids=d["class_groups"],
            latitude=d["latitude"], longitude=d["longitude"],
            sign_in_radius_m=d["sign_in_radius_m"])


class HoldForm(forms.Form):
    audience_count = forms.IntegerField(label=_("People reached"), min_value=0,
                                        max_value=100_000)
    summary = forms.CharField(label=_("Summary"), required=False, max_length=4000,
                              widget=forms.Textarea(attrs={"rows": 3}))
    photos = MultiplePhotoField(label=_("Photos (up to 9)"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for i in range(MATERIAL_ROWS):
            self.fields[f"material_{i}_name"] = forms.CharField(
                label=pgettext_lazy("material", "Item"), required=False, max_length=64,
                widget=forms.TextInput(attrs={"placeholder": _("e.g. 纸巾")}))
            self.fields[f"material_{i}_quantity"] = forms.IntegerField(
                label=_("Quantity"), required=False, min_value=1, max_value=1_000_000)
            self.fields[f"material_{i}_unit"] = forms.CharField(
                label=_("Unit of count"), required=False, max_length=8,
                widget=forms.TextInput(attrs={"placeholder": _("e.g. 包")}))
        self.fields["photos"].widget.attrs.update({"accept": ACCEPT_ATTRIBUTE, "multiple": True})
        bootstrap(self)

    def material_rows(self):
        """``[(name field, quantity field, unit field), …]`` for the template."""
        return [(self[f"material_{i}_name"], self[f"material_{i}_quantity"],
                 self[f"material_{i}_unit"]) for i in range(MATERIAL_ROWS)]

    def materials(self) -> list[Material]:
        d = self.cleaned_data
        return [Material(name=d.get(f"material_{i}_name") or "",
                         quantity=d.get(f"material_{i}_quantity"),
                         unit_label=d.get(f"material_{i}_unit") or "")
                for i in range(MATERIAL_ROWS)]


class CancelForm(forms.Form):
    reason = forms.CharField(label=_("Reason for cancelling"), max_length=4000,
                             widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        bootstrap(self)


class ActivityFilterForm(forms.Form):
    """The list's filters (GET). Bad values are dropped, never an error page."""

    term = forms.CharField(required=False)
    topic = forms.ChoiceField(label=_("Topic"), required=False,
                              choices=[("", _("All topics")), *Topic.choices])
    kind = forms.ChoiceField(label=_("Kind"), required=False,
                             choices=[("", _("All kinds")), *Activity.Kind.choices])
    state = forms.ChoiceField(label=_("State"), required=False,
                              choices=[("", _("All states")), *Activity.State.choices])
    campus = forms.CharField(required=False)
    campaign = forms.CharField(required=False)
    date_from = LocalDateField(label=_("From"))
    date_to = LocalDateField(label=_("To"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["term"].widget = forms.Select(choices=[("", _("All terms"))] + [
            (t.pk, t.name) for t in selectors.term_list()])
        self.fields["campus"].widget = forms.Select(choices=[("", _("All campuses"))] + [
            (c.pk, c.name) for c in Campus.objects.order_by("sort_order", "pk")])
        self.fields["campaign"].widget = forms.Select(
            choices=[("", _("All campaigns")), *selectors.campaign_choices()])
        for name, label in (("term", _("Term")), ("campus", _("Campus")),
                            ("campaign", pgettext_lazy("education", "Campaign"))):
            self.fields[name].label = label
        bootstrap(self)

    def filters(self) -> dict:
        d = self.cleaned_data if self.is_valid() else {}
        from ..models import Term

        term_id = id_or_none(d.get("term"))
        return {"term": Term.objects.filter(pk=term_id).first() if term_id else None,
                "topic": d.get("topic") or "", "kind": d.get("kind") or "",
                "state": d.get("state") or "", "campus_id": id_or_none(d.get("campus")),
                "campaign_id": id_or_none(d.get("campaign")),
                "date_from": d.get("date_from"), "date_to": d.get("date_to")}


class CoverageForm(forms.Form):
    term = forms.CharField(required=False)
    topic = forms.ChoiceField(label=_("Topic"), required=False,
                              choices=[("", _("All topics")), *Topic.choices])
    campaign = forms.CharField(required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["term"].widget = forms.Select(
            choices=[(t.pk, t.name) for t in selectors.term_list()])
        self.fields["term"].label = _("Term")
        self.fields["campaign"].widget = forms.Select(
            choices=[("", _("All campaigns")), *selectors.campaign_choices()])
        self.fields["campaign"].label = pgettext_lazy("education", "Campaign")
        bootstrap(self)
