"""Forms of the survey pages. They parse input only; the rules (a complete audience, 2–20
options, a 2–10 point scale, required answers) live in :mod:`..services.surveys`."""

from django import forms
from django.utils.translation import gettext_lazy as _

from safecampus.accounts.models import AudienceKind
from safecampus.core.errors import without_control_characters
from safecampus.core.forms import IdempotentFormMixin, bootstrap
from safecampus.organisation.models import STUDENT_UNIT_KINDS, Campus, ClassGroup, Unit

from ..models import SurveyQuestion
from ..selectors.surveys import KIND_LABELS
from ..services.surveys import QUESTION_MAX

CLASS_CHOICES_MAX = 2000


def _audience_choices() -> tuple[list, list, list]:
    """(campus, college, class) choices of the audience fields."""
    campuses = [("", _("— any campus —"))] + [
        (c.pk, c.name) for c in Campus.objects.order_by("sort_order", "pk")]
    colleges = [("", _("— choose —"))] + [
        (u.pk, u.name) for u in Unit.objects.filter(kind__in=STUDENT_UNIT_KINDS,
                                                    is_active=True).order_by("code")]
    groups = (ClassGroup.objects.filter(is_active=True).select_related("college")
              .order_by("college__code", "enrolment_year", "code")[:CLASS_CHOICES_MAX])
    classes = [("", _("— choose —"))] + [(g.pk, f"{g.college.name} · {g.name}")
                                          for g in groups]
    return campuses, colleges, classes


class SurveyForm(IdempotentFormMixin):
    """A survey's settings (create and edit of a draft)."""

    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(
        label=_("Introduction"), required=False, max_length=3000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Shown above the questions: why you ask and how long it takes."))
    is_anonymous = forms.BooleanField(
        label=_("Anonymous"), required=False, initial=True,
        help_text=_("Recommended. Nobody, the security office included, can see who gave "
                    "which answers: only whether someone has answered, so that each person "
                    "answers once. Turn it off only when you must know who said what."))
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
    closes_at = forms.DateTimeField(
        label=_("Closes at"), required=False, input_formats=["%Y-%m-%dT%H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text=_("Optional: after this time no more answers are taken."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        campuses, colleges, classes = _audience_choices()
        self.fields["audience_campus"].choices = campuses
        self.fields["audience_unit"].choices = colleges
        self.fields["audience_class"].choices = classes
        bootstrap(self)

    @classmethod
    def initial_of(cls, survey) -> dict:
        return {"title": survey.title, "description": survey.description,
                "is_anonymous": survey.is_anonymous, "audience_kind": survey.audience_kind,
                "audience_campus": survey.audience_campus_id,
                "audience_unit": survey.audience_unit_id, "audience_year": survey.audience_year,
                "audience_class": survey.audience_class_id, "closes_at": survey.closes_at}

    def service_kwargs(self) -> dict:
        d = self.cleaned_data
        return {"title": d["title"], "description": d.get("description", ""),
                "is_anonymous": d.get("is_anonymous", False),
                "audience_kind": d["audience_kind"], "campus_id": d.get("audience_campus"),
                "unit_id": d.get("audience_unit"), "year": d.get("audience_year"),
                "class_id": d.get("audience_class"), "closes_at": d.get("closes_at")}


class QuestionForm(forms.Form):
    """One question: its kind decides which of the other fields count."""

    kind = forms.ChoiceField(label=_("Kind"), choices=list(KIND_LABELS.items()),
                             initial=SurveyQuestion.Kind.SINGLE)
    text = forms.CharField(label=_("Question"), max_length=QUESTION_MAX)
    required = forms.BooleanField(label=_("An answer is required"), required=False,
                                  initial=True)
    options = forms.CharField(
        label=_("Options"), required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("One option per line, 2 to 20."))
    scale_min = forms.IntegerField(label=_("Scale from"), required=False, initial=1)
    scale_max = forms.IntegerField(label=_("Scale to"), required=False, initial=5)
    scale_min_label = forms.CharField(label=_("Label of the lowest"), required=False,
                                      max_length=32,
                                      widget=forms.TextInput(attrs={"placeholder": "很不满意"}))
    scale_max_label = forms.CharField(label=_("Label of the highest"), required=False,
                                      max_length=32,
                                      widget=forms.TextInput(attrs={"placeholder": "很满意"}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        bootstrap(self)

    @classmethod
    def initial_of(cls, question) -> dict:
        return {"kind": question.kind, "text": question.text, "required": question.required,
                "options": "\n".join(question.options), "scale_min": question.scale_min,
                "scale_max": question.scale_max, "scale_min_label": question.scale_min_label,
                "scale_max_label": question.scale_max_label}

    def service_kwargs(self) -> dict:
        """The service's arguments; options are the lines of the box, the blank lines
        before the first and after the last left out."""
        d = self.cleaned_data
        text = (d.get("options") or "").strip("\r\n \t")
        return {"kind": d["kind"], "text": d["text"], "required": d.get("required", False),
                "options": text.splitlines() if text else [],
                "scale_min": d.get("scale_min"), "scale_max": d.get("scale_max"),
                "scale_min_label": d.get("scale_min_label", ""),
                "scale_max_label": d.get("scale_max_label", "")}


def answers_from_post(questions, data) -> dict:
    """``{question id: raw answer}`` from the answer page's POST: field ``q<id>`` (a list
    for multiple choice), without control characters (a NUL would not even reach the
    database)."""
    answers = {}
    for question in questions:
        name = f"q{question.pk}"
        if question.kind == SurveyQuestion.Kind.MULTIPLE:
            answers[question.pk] = [without_control_characters(v) for v in data.getlist(name)]
        else:
            answers[question.pk] = without_control_characters(data.get(name, ""))
    return answers
