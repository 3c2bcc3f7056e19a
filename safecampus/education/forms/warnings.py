"""Forms of the warnings pages. They parse input only; the rules (texts, a complete audience,
who may send) live in :mod:`..services.warnings`, so the pages and the API say the same."""

from django import forms
from django.utils.translation import gettext_lazy as _

from safecampus.accounts.models import AudienceKind
from safecampus.core.forms import IdempotentFormMixin, bootstrap, id_or_none
from safecampus.notifications.models import Alert
from safecampus.organisation.models import STUDENT_UNIT_KINDS, Campus, ClassGroup, Unit


def campus_choices():
    return [("", _("— any campus —"))] + [(c.pk, c.name) for c in Campus.objects.order_by(
        "sort_order", "pk")]


def college_choices():
    return [("", _("— choose —"))] + [(u.pk, u.name) for u in Unit.objects.filter(
        kind__in=STUDENT_UNIT_KINDS, is_active=True).order_by("code")]


def class_choices():
    rows = (ClassGroup.objects.filter(is_active=True).select_related("college")
            .order_by("college__code", "enrolment_year", "code")[:2000])
    return [("", _("— choose —"))] + [(g.pk, f"{g.college.name} · {g.name}") for g in rows]


class WarningForm(IdempotentFormMixin):
    """Compose a warning. ``confirmed`` is set by the preview step (the count was shown)."""

    title = forms.CharField(label=_("Title"), max_length=200)
    body = forms.CharField(label=_("Text"), max_length=5000,
                           widget=forms.Textarea(attrs={"rows": 6}))
    level = forms.ChoiceField(label=_("Level"), choices=Alert.Level.choices,
                              initial=Alert.Level.WARNING)
    audience_kind = forms.ChoiceField(label=_("Send to"), choices=AudienceKind.choices,
                                      initial=AudienceKind.EVERYONE)
    audience_campus = forms.TypedChoiceField(label=_("Campus"), required=False, coerce=int,
                                             empty_value=None)
    audience_unit = forms.TypedChoiceField(label=_("College"), required=False, coerce=int,
                                           empty_value=None)
    audience_year = forms.IntegerField(label=_("Year group"), required=False, min_value=1950,
                                       max_value=2100,
                                       widget=forms.NumberInput(attrs={"placeholder": "2025"}))
    audience_class = forms.TypedChoiceField(label=_("Class"), required=False, coerce=int,
                                            empty_value=None)
    confirmed = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["audience_campus"].choices = campus_choices()
        self.fields["audience_unit"].choices = college_choices()
        self.fields["audience_class"].choices = class_choices()
        bootstrap(self)

    def audience(self) -> dict:
        d = self.cleaned_data
        return {"kind": d["audience_kind"], "campus_id": d.get("audience_campus"),
                "unit_id": d.get("audience_unit"), "year": d.get("audience_year"),
                "class_id": d.get("audience_class")}


def audience_from_query(data) -> dict:
    """The audience of the live count (htmx GET of the compose form's fields); junk ids and
    years become None (the count then names what is missing)."""
    year = data.get("audience_year") or ""
    year = int(year) if year.isascii() and year.isdigit() and len(year) == 4 else None
    return {"kind": data.get("audience_kind") or "", "campus_id": id_or_none(
        data.get("audience_campus")), "unit_id": id_or_none(data.get("audience_unit")),
        "year": year, "class_id": id_or_none(data.get("audience_class"))}
