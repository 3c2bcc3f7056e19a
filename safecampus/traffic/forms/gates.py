"""Forms of the gate pages. They parse input only; the rules (a unique code, a place on the
gate's campus, a CSV file imported once …) live in ``services.gates`` so that the pages and
the API give the same messages."""

import datetime as dt

from django import forms
from django.utils.translation import gettext_lazy as _

from safecampus.core import clock
from safecampus.core.forms import IdempotentFormMixin, LocalDateField, bootstrap
from safecampus.organisation.models import Campus, Place

CHOOSE = _("Choose…")
#: The longest period the statistics page covers (days).
MAX_STATS_DAYS = 366


class GateForm(IdempotentFormMixin):
    """Add or edit a gate."""

    campus = forms.ChoiceField(label=_("Campus"))
    name = forms.CharField(label=_("Name"), max_length=64,
                           help_text=_("As the guards call it, e.g. 北门 or 东门车行道."))
    code = forms.CharField(label=_("Code in the camera files"), max_length=32,
                           help_text=_("Exactly as the gate camera's export writes it in the "
                                       "通道/出入口 column, e.g. N1 or 北门入口."))
    place = forms.ChoiceField(label=_("Place"), required=False)
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["campus"].choices = [("", CHOOSE)] + [
            (c.pk, c.name) for c in Campus.objects.order_by("name").only("pk", "name")]
        self.fields["place"].choices = [("", _("— none —"))] + [
            (p.pk, f"{p.campus.name} · {p.name}") for p in
            Place.objects.select_related("campus").order_by("campus__name", "name")[:500]]
        bootstrap(self)

    @classmethod
    def initial_of(cls, gate) -> dict:
        return {"campus": gate.campus_id, "name": gate.name, "code": gate.code,
                "place": gate.place_id or "", "is_active": gate.is_active}


class GateUploadForm(IdempotentFormMixin):
    """One CSV export of the gate cameras (size and content are checked by the service)."""

    file = forms.FileField(label=_("Gate camera file (CSV)"), help_text=_(
        "The export of the plate cameras: plate (车牌号码), gate (通道), direction (入场/出场) and "
        "time (通行时间) columns; UTF-8 or GBK."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].widget.attrs["accept"] = ".csv,.txt,text/csv"
        bootstrap(self)


class GateStatsForm(forms.Form):
    """Period (local days; default the last 30 days) and campus of the statistics."""

    date_from = LocalDateField(label=_("From"))
    date_to = LocalDateField(label=_("To"))
    campus = forms.ChoiceField(label=_("Campus"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["campus"].choices = [("", _("All campuses"))] + [
            (c.pk, c.name) for c in Campus.objects.order_by("name").only("pk", "name")]
        bootstrap(self)

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", _("The end is before the start."))
        elif start and end and (end - start).days >= MAX_STATS_DAYS:
            self.add_error("date_to", _("Choose at most %(days)s days.") % {
                "days": MAX_STATS_DAYS})
        return data

    def period(self) -> tuple[dt.date, dt.date, int | None]:
        today = clock.local_today()
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        end = data.get("date_to") or today
        start = data.get("date_from") or end - dt.timedelta(days=29)
        campus = int(data["campus"]) if data.get("campus") else None
        return start, end, campus


#: The longest stay (days) the long-stay page and its action accept.
MAX_LONG_STAY_DAYS = 365
#: Said of any refused number of days: not a whole number, or outside 1 … 365.
DAYS_RANGE = _("Enter a whole number of days from 1 to 365.")


class LongStayForm(forms.Form):
    """The number of days of the long-stay list and of running the detection now (empty: the
    configured number). Any refused value gets the one message :data:`DAYS_RANGE`."""

    days = forms.IntegerField(
        label=_("Inside longer than (days)"), min_value=1, max_value=MAX_LONG_STAY_DAYS,
        required=False, error_messages={"invalid": DAYS_RANGE, "min_value": DAYS_RANGE,
                                        "max_value": DAYS_RANGE})

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        bootstrap(self)

    def days_or(self, default: int) -> int:
        """The valid number of days entered, else ``default``."""
        if self.is_bound and self.is_valid() and self.cleaned_data.get("days"):
            return self.cleaned_data["days"]
        return default
