"""Forms of the four-colour risk map: the filters (GET, work without JavaScript) and the
campus map upload."""

from django import forms
from django.utils.translation import gettext_lazy as _

from safecampus.core.forms import bootstrap
from safecampus.core.uploads import ACCEPT_ATTRIBUTE
from safecampus.organisation.campus_maps import MAP_MIN_SIDE_PX
from safecampus.organisation.models import Campus, RiskLevel

from ..models import RiskPoint

PAPER_CHOICES = [("A3", "A3"), ("A4", "A4")]


class RiskMapFilterForm(forms.Form):
    """``campus`` (one of ``campuses``), ``kind`` and ``level`` (empty: all), ``paper`` for
    the PDF. An unknown value is a field error and that filter is not applied."""

    campus = forms.TypedChoiceField(label=_("Campus"), required=False, coerce=int,
                                    empty_value=None)
    kind = forms.ChoiceField(label=_("Kind"), required=False,
                             choices=[("", _("All kinds")), *RiskPoint.Kind.choices])
    level = forms.ChoiceField(label=_("Risk level"), required=False,
                              choices=[("", _("All levels")), *RiskLevel.choices])
    paper = forms.ChoiceField(label=_("Paper"), required=False, choices=PAPER_CHOICES)

    def __init__(self, *args, campuses=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["campus"].choices = [(c.pk, c.name) for c in campuses]
        bootstrap(self)

    def value(self, name: str, default=""):
        """The cleaned value of ``name`` when valid, else ``default``."""
        if not self.is_bound:
            return default
        self.is_valid()
        if name in self.errors:
            return default
        return self.cleaned_data.get(name) or default


class CampusMapUploadForm(forms.Form):
    """The campus and the new map image; :meth:`selected_campus_id` names the campus whose
    current map the page previews."""

    campus = forms.ModelChoiceField(label=_("Campus"), queryset=Campus.objects.all(),
                                    empty_label=None)
    image = forms.FileField(
        label=_("Campus map image"),
        widget=forms.ClearableFileInput(attrs={"accept": ACCEPT_ATTRIBUTE}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Formatted here, in the reader's language (a lazy text formatted at import would not).
        self.fields["image"].help_text = _(
            "PNG, JPEG, WebP or HEIC, at least %(minimum)s pixels on the long side. North up; "
            "points are placed by their position on this picture, so keep the same layout "
            "when you replace it.") % {"minimum": MAP_MIN_SIDE_PX}
        bootstrap(self)

    def selected_campus_id(self) -> int | None:
        """The campus chosen (posted, else initial), else None (the first of the list)."""
        raw = self["campus"].value()
        return int(raw) if str(raw or "").isdigit() else None
