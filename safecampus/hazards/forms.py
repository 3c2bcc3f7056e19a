"""Forms of the hazard pages. They parse input only; the rules live in ``services.py``."""

from django import forms
from django.utils.translation import gettext_lazy as _

from safecampus.core.forms import (
    IdempotentFormMixin,
    LocalDateField,
    MultiplePhotoField,
    VersionedFormMixin,
    bootstrap,
)
from safecampus.core.uploads import ACCEPT_ATTRIBUTE
from safecampus.organisation.models import Building, Campus, Place, Unit

from . import selectors
from .models import NOTICE_DAYS_MAX, DeadlineBasis, Grade, HazardCategory, Source, Status


def _photo_field(label=None, required=False):
    field = MultiplePhotoField(label=label or _("Photos"), required=required)
    field.widget.attrs.update({"accept": ACCEPT_ATTRIBUTE, "multiple": True})
    return field


class LocationFieldsMixin(forms.Form):
    campus = forms.ModelChoiceField(Campus.objects.all(), label=_("Campus"))
    building = forms.ModelChoiceField(
        Building.objects.select_related("campus"), label=_("Building"), required=False
    )
    place = forms.ModelChoiceField(
        Place.objects.select_related("building"), label=_("Place"), required=False
    )
    location_text = forms.CharField(
        label=_("Where exactly"),
        required=False,
        max_length=200,
        help_text=_("Floor, room, landmark …"),
    )

    def limit_to_campus(self, campus_id: int) -> None:
        """Offer only one campus's buildings and places in the rendered lists (display only;
        a bound form validates against every place)."""
        self.fields["building"].queryset = self.fields["building"].queryset.filter(
            campus_id=campus_id)
        self.fields["place"].queryset = self.fields["place"].queryset.filter(campus_id=campus_id)

    def _location_widgets(self):
        # The place picker (static/js/app.js) filters buildings and places by campus.
        self.fields["campus"].widget.attrs["data-picker"] = "campus"
        self.fields["building"].widget.attrs["data-picker"] = "building"
        self.fields["place"].widget.attrs["data-picker"] = "place"
        self.fields["building"].label_from_instance = lambda b: b.name
        self.fields["place"].label_from_instance = lambda p: p.name


class HazardReportForm(IdempotentFormMixin, LocationFieldsMixin):
    title = forms.CharField(
        label=_("What is wrong"),
        max_length=120,
        widget=forms.TextInput(attrs={"placeholder": _("e.g. fire exit blocked by bicycles")}),
    )
    category = forms.ModelChoiceField(HazardCategory.objects.filter(is_active=True),
                                      label=_("Category"))
    description = forms.CharField(label=_("Details"), required=False, max_length=5000,
                                  widget=forms.Textarea(attrs={"rows": 3}))
    photos = _photo_field()
    map_x = forms.DecimalField(required=False, widget=forms.HiddenInput, min_value=0,
                               max_value=100)
    map_y = forms.DecimalField(required=False, widget=forms.HiddenInput, min_value=0,
                               max_value=100)
    is_anonymous = forms.BooleanField(
        label=_("Report anonymously"),
        required=False,
        help_text=_("Your name is shown to nobody; you can still follow the report yourself."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._location_widgets()
        bootstrap(self)


class StaffHazardForm(HazardReportForm):
    """The office records a hazard it found, with grade and source."""

    grade = forms.ChoiceField(choices=Grade.choices, label=_("Grade"), initial=Grade.GENERAL)
    source = forms.ChoiceField(
        choices=[(v, lbl) for v, lbl in Source.choices if v != Source.LEDGER_IMPORT],
        label=_("Source"),
        initial=Source.OFFICE,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["is_anonymous"]
        bootstrap(self)


class CommentForm(VersionedFormMixin):
    comment = forms.CharField(label=_("Comment"), required=False, max_length=2000,
                              widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        bootstrap(self)


class ReasonForm(CommentForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["comment"].label = _("Reason")


class ConfirmForm(CommentForm):
    grade = forms.ChoiceField(choices=Grade.choices, label=_("Grade"))
    responsible_unit = forms.ModelChoiceField(
        Unit.objects.filter(is_active=True), label=_("Responsible unit"), required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        bootstrap(self)


class DuplicateForm(CommentForm):
    duplicate_of = forms.CharField(
        label=_("Number of the hazard it repeats"), max_length=20,
        widget=forms.TextInput(attrs={"placeholder": "YH2026-000123"}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        bootstrap(self)

    def clean_duplicate_of(self) -> int:
        """Accept the reference people see (YH2026-000123) or the bare number (123)."""
        import re

        match = re.fullmatch(r"(?:YH\d{4}-)?0*(\d{1,12})", self.cleaned_data["duplicate_of"].strip().upper())
        if match is None:
            raise forms.ValidationError(_("Write the hazard number like YH2026-000123."))
        return int(match.group(1))


class EvidenceForm(IdempotentFormMixin, VersionedFormMixin):
    text = forms.CharField(label=_("What was done"), max_length=5000,
                           widget=forms.Textarea(attrs={"rows": 3}))
    photos = _photo_field(_("Photos of the rectified state"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        bootstrap(self)


class LocationForm(VersionedFormMixin, LocationFieldsMixin):
    category = forms.ModelChoiceField(HazardCategory.objects.all(), label=_("Category"))
    grade = forms.ChoiceField(choices=Grade.choices, label=_("Grade"))
    responsible_unit = forms.ModelChoiceField(
        Unit.objects.filter(is_active=True), label=_("Responsible unit"), required=False,
        help_text=_("Left as it is, the unit follows the routing rules of the place and "
                    "category; another unit chosen here is assigned instead."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._location_widgets()
        bootstrap(self)


class ExtensionRequestForm(forms.Form):
    requested_deadline = forms.DateField(
        label=_("New deadline"), widget=forms.DateInput(attrs={"type": "date"})
    )
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}),
                             error_messages={"required": _("Give the reason for the extension.")})

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The date picker offers no later day than the service accepts.
        latest = selectors.extension_latest_date()
        self.fields["requested_deadline"].widget.attrs["max"] = latest.isoformat()
        self.fields["requested_deadline"].help_text = _(
            "At most %(days)s days from today (%(date)s).") % {
                "days": NOTICE_DAYS_MAX, "date": latest.isoformat()}
        bootstrap(self)


class ExtensionDecisionForm(forms.Form):
    # Nothing preselected: the officer chooses grant or refuse every time.
    decision = forms.ChoiceField(
        choices=[("", _("— choose —")), ("grant", _("Grant")), ("refuse", _("Refuse"))],
        label=_("Decision"))
    comment = forms.CharField(label=_("Comment"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        bootstrap(self)


class PlanForm(forms.Form):
    plan = forms.CharField(label=_("Rectification plan"), widget=forms.Textarea(attrs={"rows": 3}))
    interim_measures = forms.CharField(label=_("Interim control measures"),
                                       widget=forms.Textarea(attrs={"rows": 2}))
    person_in_charge = forms.CharField(label=_("Person in charge"), max_length=64)
    funding = forms.CharField(label=_("Funding"), required=False, max_length=120)
    milestones = forms.CharField(
        label=_("Milestones"),
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "2026-12-15 采购灭火器\n2026-12-30 完成安装"}),
        help_text=_("One per line: a date (YYYY-MM-DD), a space, then what will be done."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        bootstrap(self)

    def clean_milestones(self):
        import datetime as dt

        rows = []
        for number, line in enumerate(self.cleaned_data["milestones"].splitlines(), start=1):
            line = line.strip()
            if not line:
                continue
            date_text, _sep, title = line.partition(" ")
            try:
                day = dt.date.fromisoformat(date_text.strip())
            except ValueError:
                raise forms.ValidationError(
                    _("Line %(line)s: start with a date like 2026-12-31."), params={"line": number}
                ) from None
            if not title.strip():
                raise forms.ValidationError(
                    _("Line %(line)s: say what will be done by that date."),
                    params={"line": number},
                )
            rows.append((title.strip(), day))
        if not rows:
            raise forms.ValidationError(_("Add at least one milestone with a date."))
        return rows


class NoticeForm(IdempotentFormMixin):
    hazards = forms.ModelMultipleChoiceField(
        queryset=None, label=_("Hazards"), widget=forms.CheckboxSelectMultiple
    )
    requirements = forms.CharField(
        label=_("Rectification requirements"),
        widget=forms.Textarea(attrs={"rows": 4}),
        initial=_(
            "Please rectify the hazards listed below by the deadline, take interim control "
            "measures until then, and submit photos of the rectified state in SafeCampus."
        ),
    )
    deadline_days = forms.IntegerField(
        label=_("Days allowed"), min_value=1, max_value=NOTICE_DAYS_MAX, required=False)
    deadline_basis = forms.ChoiceField(choices=DeadlineBasis.choices, label=_("Counted in"),
                                       initial=DeadlineBasis.WORKING_DAYS)

    def __init__(self, *args, hazards_qs=None, **kwargs):
        from django.conf import settings

        super().__init__(*args, **kwargs)
        self.fields["hazards"].queryset = hazards_qs
        # The days start empty: left so, they follow the highest risk level of the places of
        # the hazards finally chosen (see clean), which the help text spells out.
        by_risk = settings.SAFECAMPUS["NOTICE_DAYS_BY_RISK"]
        self.fields["deadline_days"].help_text = _(
            "Leave empty for the default of the highest risk level among the chosen hazards' "
            "places: major risk %(major)s days, high %(high)s, moderate %(moderate)s, low "
            "%(low)s, not assessed %(none)s.") % {
                "major": by_risk["major"], "high": by_risk["high"],
                "moderate": by_risk["moderate"], "low": by_risk["low"], "none": by_risk[""]}
        self.fields["deadline_days"].widget.attrs["placeholder"] = _("By risk level")
        # The service's own words (and the guide's), not Django's "ensure this value …".
        out_of_range = _("The deadline must be between 1 and %(max)s days.") % {
            "max": NOTICE_DAYS_MAX}
        self.fields["deadline_days"].error_messages.update(
            {"min_value": out_of_range, "max_value": out_of_range})
        self.fields["hazards"].label_from_instance = (
            lambda h: f"{h.reference} · {h.title} · {h.responsible_unit}"
        )
        bootstrap(self)
        self.fields["hazards"].widget.attrs["class"] = "form-check-input"

    def clean(self):
        data = super().clean()
        if data.get("deadline_days") is None and data.get("hazards") is not None:
            data["deadline_days"] = selectors.notice_days_default(
                [h.pk for h in data["hazards"]])
        return data


class LedgerFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False)
    campus = forms.ModelChoiceField(Campus.objects.all(), required=False, label=_("Campus"))
    unit = forms.ModelChoiceField(Unit.objects.all(), required=False, label=_("Unit"))
    category = forms.ModelChoiceField(HazardCategory.objects.all(), required=False,
                                      label=_("Category"))
    grade = forms.ChoiceField(choices=[("", _("All grades"))] + Grade.choices, required=False,
                              label=_("Grade"))
    status = forms.ChoiceField(
        choices=[("", _("All statuses")), ("open", _("All open")),
                 ("valid", _("All but rejected and duplicates"))] + Status.choices,
        required=False,
        label=_("Status"),
    )
    source = forms.ChoiceField(choices=[("", _("All sources"))] + Source.choices, required=False,
                               label=_("Source"))
    overdue = forms.BooleanField(required=False, label=_("Overdue only"))
    # Bounded (1900–2999): the start and end of the local day must be datetimes Python holds.
    date_from = LocalDateField(label=_("Reported from"))
    date_to = LocalDateField(label=_("Reported to"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        bootstrap(self)
        for name in ("campus", "unit", "category"):
            self.fields[name].empty_label = self.fields[name].label

    def to_filters(self):
        from .selectors import LedgerFilters

        # A filter with a bad value (e.g. date_from=2026-13-45) is dropped and its error shown
        # on the page; the valid ones still apply.
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return LedgerFilters(
            campus=data.get("campus").pk if data.get("campus") else None,
            unit=data.get("unit").pk if data.get("unit") else None,
            category=data.get("category").pk if data.get("category") else None,
            grade=data.get("grade") or "",
            status=data.get("status") or "",
            overdue=bool(data.get("overdue")),
            source=data.get("source") or "",
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
            text=data.get("q") or "",
        )
