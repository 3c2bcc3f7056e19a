"""Forms of the concerns area: submitting (with the category's questions), the office's
triage, the submitter's rating and reopening, moderation, and the list filters. They parse
input only; the rules and their messages live in :mod:`..services.concerns`."""

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from safecampus.core.errors import DomainError
from safecampus.core.forms import (
    IdempotentFormMixin,
    MultiplePhotoField,
    VersionedFormMixin,
    bootstrap,
    id_or_none,
)
from safecampus.core.uploads import ACCEPT_ATTRIBUTE
from safecampus.hazards.forms import LocationFieldsMixin
from safecampus.hazards.models import HazardCategory
from safecampus.organisation.models import Campus, Unit

from ..models import CategoryAttribute, Concern, ConcernCategory
from ..selectors.concerns import QueueFilters
from ..services.concerns import (
    ANSWER_MAX,
    COMMENT_MAX,
    MODERATION_REASON_MAX,
    REASON_MAX,
    TEXT_MAX,
    TITLE_MAX,
    attribute_field,
    attributes_clean,
)


def _photo_field(label=None):
    field = MultiplePhotoField(label=label or _("Photos"), required=False,
                               help_text=_("At most 9 photos."))
    field.widget.attrs.update({"accept": ACCEPT_ATTRIBUTE, "multiple": True})
    return field


def categories_active():
    return ConcernCategory.objects.filter(is_active=True).order_by("sort_order", "id")


def attribute_form_field(attribute: CategoryAttribute) -> forms.Field:
    """The form field asking one of a category's questions (required ones marked; the
    service checks the answers again with its own messages)."""
    kind = CategoryAttribute.Datatype
    required_message = gettext("Answer “%(question)s”.") % {"question": attribute.description}
    common = {"label": attribute.description, "required": attribute.required,
              "help_text": attribute.datatype_description,
              "error_messages": {"required": required_message}}
    choices = [(str(v.get("key")), v.get("name") or v.get("key"))
               for v in attribute.values or [] if isinstance(v, dict)]
    if attribute.datatype == kind.MULTI:
        return forms.MultipleChoiceField(choices=choices, widget=forms.CheckboxSelectMultiple,
                                         **common)
    if attribute.datatype == kind.SINGLE:
        return forms.ChoiceField(choices=[("", gettext("Choose…")), *choices], **common)
    if attribute.datatype == kind.TEXT:
        return forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=2000,
                               **common)
    if attribute.datatype == kind.NUMBER:
        return forms.CharField(widget=forms.TextInput(attrs={"inputmode": "decimal"}),
                               max_length=40, **common)
    if attribute.datatype == kind.DATETIME:
        return forms.CharField(widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
                               max_length=40, **common)
    return forms.CharField(max_length=200, **common)


class ConcernForm(IdempotentFormMixin, LocationFieldsMixin):
    """The submit page: category (its questions follow it), what and where, photos,
    anonymous or not. ``questions`` are the chosen category's attributes."""

    category = forms.ModelChoiceField(categories_active(), label=_("Category"))
    title = forms.CharField(
        label=_("What troubles you"), max_length=TITLE_MAX,
        widget=forms.TextInput(attrs={"placeholder": _("e.g. the road behind the library "
                                                       "is dark at night"),
                                      "autocomplete": "off"}))
    description = forms.CharField(label=_("Details"), required=False, max_length=TEXT_MAX,
                                  widget=forms.Textarea(attrs={"rows": 4}))
    photos = _photo_field()
    is_anonymous = forms.BooleanField(
        label=_("Submit anonymously"), required=False,
        help_text=_("The office never sees who you are; you still follow and rate it here."))

    def __init__(self, *args, category: ConcernCategory | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self._location_widgets()
        self.fields["category"].label_from_instance = lambda c: c.name
        self.fields["category"].widget.attrs["data-concern-category"] = ""
        self.fields["title"].widget.attrs["data-concern-title"] = ""
        self.questions = []
        self.notes = []
        if category is not None:
            for attribute in category.attributes.order_by("order", "id"):
                if not attribute.variable:
                    self.notes.append(attribute.description)
                    continue
                name = attribute_field(attribute.code)
                self.fields[name] = attribute_form_field(attribute)
                self.questions.append(name)
        bootstrap(self)

    @staticmethod
    def category_of(data) -> ConcernCategory | None:
        """The active category chosen in ``data`` (a QueryDict), if any."""
        pk = id_or_none((data or {}).get("category"))
        return categories_active().filter(pk=pk).first() if pk else None

    def clean(self):
        """Every answer to the category's questions is checked at once (the service's
        rules and messages), so that one sending shows all that needs correcting."""
        data = super().clean()
        category = data.get("category")
        if category is not None and self.questions:
            raw = {name[len("attribute["):-1]: self.data.getlist(name)
                   if hasattr(self.data, "getlist") else self.data.get(name)
                   for name in self.questions}
            try:
                attributes_clean(category, raw)
            except DomainError as error:
                for name, messages in error.field_errors.items():
                    if name in self.fields and name not in self.errors:
                        for message in messages:
                            self.add_error(name, message)
        return data

    def question_fields(self):
        return [self[name] for name in self.questions]

    def attributes(self) -> dict:
        """The answers to the category's questions, by attribute code."""
        data = self.cleaned_data
        return {name[len("attribute["):-1]: data.get(name) for name in self.questions}


class AnswerForm(VersionedFormMixin):
    answer = forms.CharField(label=_("Answer"), max_length=ANSWER_MAX,
                             widget=forms.Textarea(attrs={"rows": 4}))
    photos = _photo_field()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        bootstrap(self)


class FixForm(AnswerForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["answer"].label = _("What was done")


class PlanForm(VersionedFormMixin):
    target_date = forms.DateField(label=_("Target date"),
                                  widget=forms.DateInput(attrs={"type": "date"},
                                                         format="%Y-%m-%d"))
    handling_unit = forms.ModelChoiceField(Unit.objects.filter(is_active=True).order_by(
        "kind", "code"), label=_("Handling unit"), required=False)
    answer = forms.CharField(label=_("What is planned"), max_length=ANSWER_MAX,
                             widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["handling_unit"].empty_label = gettext("The office itself")
        bootstrap(self)


class ReplanForm(PlanForm):
    answer = None
    reason = forms.CharField(label=_("Why the plan changes"), max_length=REASON_MAX,
                             widget=forms.Textarea(attrs={"rows": 2}))


class ToHazardForm(VersionedFormMixin):
    hazard_category = forms.ModelChoiceField(HazardCategory.objects.filter(is_active=True),
                                             label=_("Hazard category"))
    campus = forms.ModelChoiceField(Campus.objects.order_by("sort_order", "id"),
                                    label=_("Campus"), required=False)
    title = forms.CharField(label=_("Hazard title"), max_length=TITLE_MAX, required=False,
                            help_text=_("Leave empty to use the concern's title."))

    def __init__(self, *args, needs_campus: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if not needs_campus:
            del self.fields["campus"]
        bootstrap(self)


class DuplicateForm(VersionedFormMixin):
    duplicate_of = forms.CharField(
        label=_("Number of the concern it repeats"), max_length=20,
        widget=forms.TextInput(attrs={"placeholder": "SQ-2026-000123"}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        bootstrap(self)


class RateForm(forms.Form):
    rating = forms.TypedChoiceField(
        label=_("How satisfied are you with the handling?"), coerce=int,
        choices=[(5, _("5 · very satisfied")), (4, _("4 · satisfied")), (3, _("3 · so-so")),
                 (2, _("2 · dissatisfied")), (1, _("1 · very dissatisfied"))],
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose from 1 (very dissatisfied) to 5 (very "
                                      "satisfied).")})
    comment = forms.CharField(label=_("Comment"), required=False, max_length=COMMENT_MAX,
                              widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        bootstrap(self)
        # Radios are styled by community/concerns.css (a class here would land on their box).
        self.fields["rating"].widget.attrs.pop("class", None)


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=REASON_MAX,
                             widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, label=None, **kwargs):
        super().__init__(*args, **kwargs)
        if label:
            self.fields["reason"].label = label
        bootstrap(self)


class ModerateForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=MODERATION_REASON_MAX)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        bootstrap(self)


class QueueFilterForm(forms.Form):
    q = forms.CharField(label=_("Number or title"), required=False, max_length=120)
    state = forms.ChoiceField(
        label=_("State"), required=False,
        choices=[("open", _("All open")), ("", _("All states")), *Concern.State.choices])
    category = forms.ModelChoiceField(ConcernCategory.objects.order_by("sort_order", "id"),
                                      label=_("Category"), required=False)
    campus = forms.ModelChoiceField(Campus.objects.order_by("sort_order", "id"),
                                    label=_("Campus"), required=False)
    overdue = forms.BooleanField(label=_("Overdue only"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        bootstrap(self)
        for name in ("category", "campus"):
            self.fields[name].empty_label = self.fields[name].label

    def filters(self) -> QueueFilters:
        """The valid filters (a bad value is dropped and its error shown); no state given
        means the open ones."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        state = data.get("state", "open") if self.is_bound and "state" in self.data else "open"
        return QueueFilters(
            state=state or "",
            category=data["category"].pk if data.get("category") else None,
            campus=data["campus"].pk if data.get("campus") else None,
            overdue=bool(data.get("overdue")), q=data.get("q") or "")


class BoardFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=120)
    category = forms.ModelChoiceField(categories_active(), label=_("Category"),
                                      required=False)
    campus = forms.ModelChoiceField(Campus.objects.order_by("sort_order", "id"),
                                    label=_("Campus"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        bootstrap(self)
        for name in ("category", "campus"):
            self.fields[name].empty_label = self.fields[name].label

    def filters(self) -> dict:
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return {"q": data.get("q") or "",
                "category": data["category"].pk if data.get("category") else None,
                "campus": data["campus"].pk if data.get("campus") else None}


__all__ = [
    "AnswerForm", "BoardFilterForm", "ConcernForm", "DuplicateForm", "FixForm",
    "ModerateForm", "PlanForm", "QueueFilterForm", "RateForm",
    "ReasonForm", "ReplanForm", "ToHazardForm",
]
