"""Forms of the abandoned-vehicle pages. They parse input only; the rules (a valid plate, a
photo, the deadlines, the claim period …) live in :mod:`..services.abandoned`, so the pages
and the API give the same messages."""

import datetime as dt
import re
import unicodedata

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from safecampus.core.forms import IdempotentFormMixin, MultiplePhotoField, bootstrap
from safecampus.organisation.models import Campus, Place

from ..models import AbandonedVehicleCase, CasePhoto, CleanUpDrive, Vehicle
from ..plates import DIGITS, LETTERS, PROVINCES, SPECIAL_SUFFIXES, plate_normalise, plate_problem
from ..services import abandoned as services
from ..services.abandoned import CONTACT_CHANNELS

Source = AbandonedVehicleCase.Source


def _campus_choices(empty, only=None):
    """``only``: the campus ids to offer (a guard's own campuses); None: all."""
    campuses = Campus.objects.order_by("sort_order", "pk")
    if only is not None:
        campuses = campuses.filter(pk__in=only)
    return [("", empty)] + [(c.pk, c.name) for c in campuses]


def _place_choices():
    places = Place.objects.select_related("campus").order_by("campus__sort_order", "campus_id",
                                                             "code")[:500]
    return [("", _("No particular place"))] + [(p.pk, f"{p.campus.name} · {p.name}")
                                               for p in places]


class CaseReportForm(IdempotentFormMixin):
    """A guard's phone form: photo first, plate (optional for a vehicle without one), type,
    what it looks like, where."""

    photos = MultiplePhotoField(label=_("Photos of the vehicle"),
                                help_text=_("At least one: the whole vehicle, the dust, the "
                                            "flat tyres."))
    plate = forms.CharField(label=_("Plate number"), max_length=32, required=False,
                            help_text=_("Leave empty if the vehicle has no readable plate."),
                            widget=forms.TextInput(attrs={
                                "autocapitalize": "characters", "autocomplete": "off",
                                "spellcheck": "false", "placeholder": _("e.g. 陕A12345")}))
    vehicle_kind = forms.ChoiceField(label=_("Vehicle type"), required=False,
                                     choices=Vehicle.Kind.choices, initial=Vehicle.Kind.CAR,
                                     widget=forms.RadioSelect)
    description = forms.CharField(label=_("What it looks like"), max_length=200, required=False,
                                  widget=forms.TextInput(attrs={
                                      "placeholder": _("e.g. white sedan, flat tyres, thick "
                                                       "dust")}))
    source = forms.ChoiceField(label=_("Found by"), choices=[
        (Source.PATROL, Source.PATROL.label), (Source.REPORT, Source.REPORT.label)],
        initial=Source.PATROL, widget=forms.RadioSelect)
    campus = forms.TypedChoiceField(label=_("Campus"), coerce=int, required=False,
                                    empty_value=None)
    place = forms.TypedChoiceField(label=_("Place (optional)"), coerce=int, required=False,
                                   empty_value=None)
    location_text = forms.CharField(label=_("Where exactly"), required=False, max_length=200,
                                    widget=forms.TextInput(attrs={
                                        "placeholder": _("e.g. behind building 3, bay 12")}))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["campus"].choices = _campus_choices(
            _("Choose the campus"), only=None if user.scope.sees_everything
            else user.scope.campus_ids)
        if len(user.scope.campus_ids) == 1 and not self.is_bound:
            self.initial.setdefault("campus", next(iter(user.scope.campus_ids)))
        self.fields["place"].choices = _place_choices()
        self.fields["photos"].widget.attrs["accept"] = "image/*"
        bootstrap(self)
        for name in ("vehicle_kind", "source"):
            self.fields[name].widget.attrs["class"] = "btn-check"
        self.fields["plate"].widget.attrs["class"] = "form-control form-control-lg plate-input"

    def service_arguments(self) -> dict:
        d = self.cleaned_data
        return {"source": d["source"], "plate": d.get("plate", ""),
                "vehicle_kind": d.get("vehicle_kind") or "",
                "description": d.get("description", ""), "campus_id": d.get("campus"),
                "place_id": d.get("place"), "location_text": d.get("location_text", ""),
                "photos": d.get("photos") or [], "idempotency_key": d.get("idempotency_key")}


class CaseFilterForm(forms.Form):
    q = forms.CharField(label=_("Plate or text"), required=False, max_length=64)
    campus = forms.TypedChoiceField(label=_("Campus"), coerce=int, required=False,
                                    empty_value=None)
    source = forms.ChoiceField(label=_("Source"), required=False,
                               choices=[("", _("All sources"))] + Source.choices)
    drive = forms.TypedChoiceField(label=_("Clean-up drive"), coerce=int, required=False,
                                   empty_value=None)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["campus"].choices = _campus_choices(_("All campuses"))
        self.fields["drive"].choices = [("", _("Any"))] + [
            (d.pk, d.name) for d in CleanUpDrive.objects.order_by("-starts_on", "-id")[:50]]
        bootstrap(self)

    def filters(self) -> dict:
        """The valid filters (a bad one is left out and shown as the form's error)."""
        data = self.cleaned_data if self.is_bound else {}
        return {"q": data.get("q") or "", "campus_id": data.get("campus"),
                "source": data.get("source") or "", "drive_id": data.get("drive")}


class DayField(forms.DateField):
    """An optional local day of a case step or drive (``YYYY-MM-DD``, a date picker on
    phones). Only parsed here: how far back or ahead it may be is the service's rule (so
    the pages and the API give the same message); the date picker offers that range."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("widget", forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
        super().__init__(**kwargs)

    def offer(self, first: dt.date | None, last: dt.date | None) -> None:
        """Limit the date picker to ``first``…``last`` (today's range, set per form)."""
        for attr, day in (("min", first), ("max", last)):
            if day is not None:
                self.widget.attrs[attr] = day.isoformat()


def _offer_deadline(field: DayField) -> None:
    today = services.local_today()
    latest = services.latest_notice_deadline()
    field.offer(today + dt.timedelta(days=1), latest)
    field.help_text = gettext("Empty: the usual notice period. At most %(days)s days ahead.") % {
        "days": (latest - today).days}


# --- one form per step -----------------------------------------------------------------------
class _StepForm(forms.Form):
    """Carries the case's version so that a stale form is refused with a conflict."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if isinstance(field, MultiplePhotoField):
                field.widget.attrs["accept"] = "image/*"
        if "deadline" in self.fields:
            _offer_deadline(self.fields["deadline"])
        if "stored_on" in self.fields:
            self.fields["stored_on"].offer(None, services.local_today())
        bootstrap(self)


class NoticeForm(_StepForm):
    photos = MultiplePhotoField(label=_("Photo of the notice on the vehicle"))
    deadline = DayField(label=_("Move by"))
    note = forms.CharField(label=_("Note"), required=False, max_length=2000,
                           widget=forms.Textarea(attrs={"rows": 2}))


class ContactForm(_StepForm):
    channel = forms.ChoiceField(label=_("How"), choices=[("", _("Choose how"))]
                                + list(CONTACT_CHANNELS.items()))
    note = forms.CharField(label=_("What was said or tried"), required=False, max_length=2000,
                           widget=forms.Textarea(attrs={"rows": 2}))


class MovedForm(_StepForm):
    note = forms.CharField(label=_("Note"), required=False, max_length=2000,
                           widget=forms.Textarea(attrs={"rows": 2}))


class StoreForm(_StepForm):
    storage_place = forms.CharField(label=_("Stored at"), max_length=200)
    stored_on = DayField(label=_("Removed on"), help_text=_("Empty: today."))
    photos = MultiplePhotoField(label=_("Photos of the removal"))
    note = forms.CharField(label=_("Note"), required=False, max_length=2000,
                           widget=forms.Textarea(attrs={"rows": 2}))


class ClaimForm(_StepForm):
    claimed_by_name = forms.CharField(label=_("Claimed by"), max_length=64)
    verification = forms.CharField(label=_("Owner verified by"), max_length=200,
                                   widget=forms.TextInput(attrs={
                                       "placeholder": _("e.g. driving licence and vehicle "
                                                        "registration checked")}))
    photos = MultiplePhotoField(label=_("Photos (optional)"))
    note = forms.CharField(label=_("Note"), required=False, max_length=2000,
                           widget=forms.Textarea(attrs={"rows": 2}))


class DisposeForm(_StepForm):
    note = forms.CharField(label=_("How it was disposed of"), max_length=2000,
                           widget=forms.Textarea(attrs={"rows": 2}))
    photos = MultiplePhotoField(label=_("Photos (optional)"))


class DismissForm(_StepForm):
    reason = forms.CharField(label=_("Why it is not abandoned"), max_length=2000,
                             widget=forms.Textarea(attrs={"rows": 2}))


class PhotosForm(IdempotentFormMixin):
    stage = forms.ChoiceField(label=_("Stage"), choices=CasePhoto.Stage.choices)
    photos = MultiplePhotoField(label=_("Photos"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["photos"].widget.attrs["accept"] = "image/*"
        bootstrap(self)


# --- clean-up drives -------------------------------------------------------------------------
class DriveForm(IdempotentFormMixin):
    name = forms.CharField(label=_("Drive name"), max_length=100, widget=forms.TextInput(attrs={
        "placeholder": _("e.g. Spring clean-up of the east car parks")}))
    campus = forms.TypedChoiceField(label=_("Campus"), coerce=int, empty_value=None)
    starts_on = DayField(label=_("Starts on"), help_text=_("Empty: today."))
    notice_deadline = DayField(label=_("Owners move their vehicles by"))
    note = forms.CharField(label=_("Note"), required=False, max_length=2000,
                           widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["campus"].choices = _campus_choices(_("Choose the campus"))
        span = dt.timedelta(days=services.DATE_RANGE_DAYS)
        today = services.local_today()
        self.fields["starts_on"].offer(today - span, today + span)
        _offer_deadline(self.fields["notice_deadline"])
        bootstrap(self)


#: "no plate" written at the start of a tag line: a dash, or a word followed by a space or
#: a separator (the rest of the line describes the vehicle).
NO_PLATE_DASHES = ("-", "—", "－")
NO_PLATE_WORDS = ("no plate", "none", "无")
#: Marks that may run into the description (no plate starts with 无).
NO_PLATE_MARKS = ("无车牌", "无牌")
#: The separators between a line's plate and the rest: spaces, tab, commas, semicolons,
#: colons.
_SEPARATORS = ",，;；、:："
_SPLIT = re.compile(r"[,，;；、:：]|\s+")
#: What is left out between the plate and the place: separators (and a dot after them).
_REST_LEAD = re.compile(r"^[\s,，;；、:：·•・]+")
#: A plate typed with spaces or dots between its parts is at most this long.
_PLATE_TEXT_MAX = 24
#: Characters that belong to a plate (after NFKC and upper-casing); I and O are in so
#: that a plate with them is reported as such.
_PLATE_CHARS = set(PROVINCES + LETTERS + DIGITS + SPECIAL_SUFFIXES + "IO")
#: A tag line is at most this long (a plate, and 200 characters of place or description).
TAG_LINE_MAX = 250


def _folded(char: str) -> str:
    return unicodedata.normalize("NFKC", char).upper()


def _separator(char: str) -> bool:
    return char.isspace() or char in _SEPARATORS


def _plate_prefix(line: str) -> int:
    """The length of the shortest start of ``line`` that is a valid plate once normalised
    (``"陕a 12345 北门"`` → 8) and ends the line or is followed by a space or separator (so
    ``"陕AD12345"`` is not read as ``陕AD1234`` and ``5``, nor ``"陕A 1234 3号楼"`` as
    ``陕A12343`` and ``号楼``); 0 if there is none."""
    for end in range(1, min(len(line), _PLATE_TEXT_MAX) + 1):
        if _separator(line[end - 1]):
            continue
        number = plate_normalise(line[:end])
        if len(number) > 8:
            break
        if (len(number) in (7, 8) and plate_problem(number) is None
                and (end == len(line) or _separator(line[end]))):
            return end
    return 0


def _plate_guess(line: str) -> int:
    """For a line without a valid plate: the length of its start that was meant as the
    plate, for the error message — the first word, joined with the next words while they
    are letters and digits and the whole stays within 8 characters (``"陕a 1234 北门"`` →
    ``"陕a 1234"``)."""
    words = list(re.finditer(r"\S+", line))
    if not words:
        return 0
    end = words[0].end()
    first = _SPLIT.split(line[:end], maxsplit=1)[0]
    if len(first) < end - words[0].start():  # a comma or tab inside the first word
        return words[0].start() + len(first)
    for word in words[1:]:
        text = word.group()
        if (not all(c in _PLATE_CHARS for c in _folded(text))
                or len(plate_normalise(line[:word.end()])) > 8):
            break
        end = word.end()
    return end


def _no_plate_rest(line: str) -> str | None:
    """The description after a "no plate" mark at the start of ``line``, or None."""
    lowered = line.lower()
    if lowered.startswith(NO_PLATE_DASHES):
        return line[1:]
    for mark in NO_PLATE_MARKS:
        if line.startswith(mark):
            return line[len(mark):]
    for word in NO_PLATE_WORDS:
        if lowered.startswith(word) and (len(line) == len(word)
                                         or _separator(line[len(word)])):
            return line[len(word):]
    return None


def tag_line(line: str, number: int | None = None) -> dict:
    """One tag line as a service row: the plate (typed with or without spaces, dots, full
    width or lower case: the shortest start of the line that is a plate), then where the
    vehicle stands after a space, tab or comma (``"陕a 12345，北门停车场"``). A line starting
    with ``-`` or ``无牌`` is a vehicle without a plate; the rest describes it. ``number``:
    the line's number in the text, for the service's messages."""
    line = line.strip()
    rest = _no_plate_rest(line)
    if rest is not None:
        row = {"plate": "", "description": _REST_LEAD.sub("", rest).strip(),
               "location_text": ""}
    else:
        end = _plate_prefix(line) or _plate_guess(line)
        row = {"plate": line[:end].strip(), "description": "",
               "location_text": _REST_LEAD.sub("", line[end:]).strip()}
    if number is not None:
        row["line"] = number
    return row


def tag_rows(text: str) -> list[dict]:
    """The tag list's lines (:func:`tag_line`) as service rows, each with its ``line``
    number in ``text`` (so messages name the line the user sees); empty lines are left
    out."""
    return [tag_line(line, number)
            for number, line in enumerate((text or "").splitlines(), start=1) if line.strip()]


def tag_line_problems(text: str) -> list[str]:
    """The lines too long to be a tag line, each named by its number with its start."""
    return [services.msg_row(number, gettext(
        "This line has %(count)s characters, at most %(limit)s are allowed: “%(start)s”.")
        % {"count": len(line.strip()), "limit": TAG_LINE_MAX,
           "start": services.quote(line.strip())})
        for number, line in enumerate((text or "").splitlines(), start=1)
        if len(line.strip()) > TAG_LINE_MAX]


class TagForm(IdempotentFormMixin):
    lines = forms.CharField(label=_("Vehicles, one per line"), widget=forms.Textarea(attrs={
        "rows": 8, "spellcheck": "false", "autocapitalize": "characters", "class": "tag-lines",
        "placeholder": _("陕A12345 behind building 3\n陕AD12345, east car park bay 12\n"
                         "- white e-bike without a plate, by the canteen")}),
        help_text=_("Plate, then where it stands. For a vehicle without a plate write “-” and "
                    "describe it."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        bootstrap(self)

    def clean_lines(self):
        text = self.cleaned_data.get("lines", "")
        count = sum(1 for line in text.splitlines() if line.strip())
        if count > services.TAG_MAX_ROWS:
            raise forms.ValidationError(gettext("At most %(count)s vehicles in one go.")
                                        % {"count": services.TAG_MAX_ROWS})
        problems = tag_line_problems(text)
        if problems:
            raise forms.ValidationError(problems)
        return text

    def rows(self) -> list[dict]:
        return tag_rows(self.cleaned_data.get("lines", ""))
