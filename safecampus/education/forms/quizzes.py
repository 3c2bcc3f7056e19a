"""Forms of the quizzes area: banks, questions, the import's upload and mapping, a new quiz
(times in local time, one or more groups), taking a quiz and the results filter."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from safecampus.accounts.models import AudienceKind
from safecampus.core.forms import IdempotentFormMixin, bootstrap
from safecampus.core.importing import add_column_fields, columns_from
from safecampus.organisation.models import STUDENT_UNIT_KINDS, Campus, ClassGroup, Unit

from ..models import Question, QuestionBank
from ..models.terms import Topic
from ..services import question_import as importing

DATETIME_FORMAT = "%Y-%m-%dT%H:%M"
FIRST_YEAR, LAST_YEAR = 2000, 2100


class BankForm(forms.Form):
    name = forms.CharField(label=pgettext_lazy("question bank", "Name"), max_length=120)
    topic = forms.ChoiceField(label=gettext_lazy("Topic"), choices=Topic.choices)
    source = forms.CharField(label=gettext_lazy("Source"), max_length=200, required=False,
                             help_text=gettext_lazy("Where the questions come from."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        bootstrap(self)


class QuestionForm(forms.Form):
    """A question typed in: options one per line; the answer as letters (``B``, ``AC``) or
    an option's text; a true/false question needs no options (正确/错误)."""

    kind = forms.ChoiceField(label=gettext_lazy("Type"), choices=Question.Kind.choices)
    stem = forms.CharField(label=gettext_lazy("Question"), max_length=importing.STEM_MAX,
                           widget=forms.Textarea(attrs={"rows": 3}))
    options = forms.CharField(
        label=gettext_lazy("Options"), required=False, widget=forms.Textarea(attrs={"rows": 5}),
        help_text=gettext_lazy("One option per line (A, B, C … in this order). A true-or-false "
                               "question may leave this empty: 正确 / 错误."))
    answer = forms.CharField(
        label=gettext_lazy("Correct answer"), max_length=200,
        help_text=gettext_lazy("Letters such as B or ACD; for true or false 正确 or 错误."))
    explanation = forms.CharField(label=gettext_lazy("Explanation"), required=False,
                                  widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        bootstrap(self)

    @classmethod
    def initial_of(cls, question: Question) -> dict:
        return {"kind": question.kind, "stem": question.stem,
                "options": "\n".join(question.options),
                "answer": "".join(importing.LETTERS[i] for i in question.answer),
                "explanation": question.explanation}

    def clean(self):
        data = super().clean()
        options = [line.strip() for line in (data.get("options") or "").splitlines()
                   if line.strip()]
        if data.get("kind") == Question.Kind.TRUE_FALSE and not options:
            options = list(importing.TF_OPTIONS)
        data["option_list"] = options
        if data.get("answer"):
            try:
                data["answer_list"] = importing.parse_answer(data["answer"], options)
            except ValueError as error:
                message = str(error)
                self.add_error("answer", message[:1].upper() + message[1:] + ".")
        return data

    def service_arguments(self) -> dict:
        data = self.cleaned_data
        return {"kind": data["kind"], "stem": data["stem"], "options": data["option_list"],
                "answer": data["answer_list"], "explanation": data.get("explanation", "")}


class QuestionFileForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Question file"),
        help_text=gettext_lazy("A JSON file (a list of questions) or an Excel file (.xlsx, first "
                               "sheet, the first row holds the column headers)."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].widget.attrs["accept"] = ",".join(importing.EXTENSIONS)
        bootstrap(self)


class QuestionMappingForm(forms.Form):
    """One select per field of ours, preselected from the file's field names."""

    def __init__(self, *args, table, plan, **kwargs):
        super().__init__(*args, **kwargs)
        self.table = table
        add_column_fields(self, importing.TARGETS, table, plan)
        bootstrap(self)

    def to_plan(self) -> importing.QuestionImportPlan:
        return importing.QuestionImportPlan(columns=columns_from(self.cleaned_data,
                                                                 importing.TARGETS))


class LocalDateTimeField(forms.DateTimeField):
    """A local (Asia/Shanghai) date and time from a phone's or desktop's picker."""

    def __init__(self, **kwargs):
        kwargs.setdefault("widget", forms.DateTimeInput(attrs={"type": "datetime-local"},
                                                        format=DATETIME_FORMAT))
        kwargs.setdefault("input_formats", [DATETIME_FORMAT, "%Y-%m-%d %H:%M",
                                            "%Y-%m-%dT%H:%M:%S"])
        super().__init__(**kwargs)

    def clean(self, value):
        result = super().clean(value)
        if result is not None and not FIRST_YEAR <= result.year <= LAST_YEAR:
            raise forms.ValidationError(_("Give a date between %(first)s and %(last)s.")
                                        % {"first": FIRST_YEAR, "last": LAST_YEAR})
        return result


class QuizForm(IdempotentFormMixin):
    """A new quiz: the bank and how many of which questions, the times, the rules, and who
    it is for — one group per chosen campus, college or class (a college may be narrowed to
    a year group; a year group to a campus)."""

    bank = forms.ModelChoiceField(label=gettext_lazy("Question bank"),
                                  queryset=QuestionBank.objects.order_by("name"))
    title = forms.CharField(label=gettext_lazy("Title"), max_length=120)
    instructions = forms.CharField(label=gettext_lazy("Instructions"), required=False,
                                   widget=forms.Textarea(attrs={"rows": 2}))
    question_count = forms.IntegerField(
        label=gettext_lazy("Questions drawn"), required=False, min_value=1, max_value=500,
        help_text=gettext_lazy("Drawn at random from the bank; empty: all of them."))
    kinds = forms.MultipleChoiceField(
        label=gettext_lazy("Question types"), required=False, choices=Question.Kind.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy("None ticked: every type."))
    opens_at = LocalDateTimeField(label=gettext_lazy("Opens at"))
    closes_at = LocalDateTimeField(label=pgettext_lazy("quiz", "Deadline"))
    time_limit_minutes = forms.IntegerField(
        label=gettext_lazy("Time limit (minutes)"), required=False, min_value=1, max_value=600,
        help_text=gettext_lazy("Empty: no limit."))
    pass_mark = forms.IntegerField(label=gettext_lazy("Pass mark (%)"), min_value=0,
                                   max_value=100, initial=60)
    max_attempts = forms.IntegerField(label=gettext_lazy("Attempts allowed"), min_value=1,
                                      max_value=20, initial=1)
    shuffle = forms.BooleanField(label=gettext_lazy("Each person gets the questions in their "
                                                    "own order"), required=False, initial=True)
    audience_kind = forms.ChoiceField(label=gettext_lazy("For"), choices=AudienceKind.choices)
    audience_campus = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Campuses"), required=False, queryset=Campus.objects.none(),
        help_text=gettext_lazy("For a campus; for a year group, to narrow it to campuses."))
    audience_unit = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Colleges"), required=False, queryset=Unit.objects.none())
    audience_year = forms.IntegerField(
        label=gettext_lazy("Year group"), required=False, min_value=1950, max_value=2100,
        help_text=gettext_lazy("E.g. 2025; for a year group, or to narrow colleges to one."))
    audience_class = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Classes"), required=False, queryset=ClassGroup.objects.none())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["audience_campus"].queryset = Campus.objects.order_by("sort_order", "pk")
        self.fields["audience_unit"].queryset = Unit.objects.filter(
            kind__in=STUDENT_UNIT_KINDS).order_by("name")
        self.fields["audience_class"].queryset = ClassGroup.objects.filter(
            is_active=True).select_related("college").order_by("college__name", "code")
        self.fields["audience_class"].label_from_instance = (
            lambda c: f"{c.name} · {c.college.name}")
        for name in ("audience_campus", "audience_unit", "audience_class"):
            self.fields[name].widget.attrs["size"] = 6
        bootstrap(self)
        self.fields["kinds"].widget.attrs["class"] = "form-check-input"

    def audiences(self) -> list[dict]:
        """One audience per chosen campus, college or class (see :class:`QuizForm`)."""
        data = self.cleaned_data
        kind = data["audience_kind"]
        year = data.get("audience_year")
        campuses = list(data.get("audience_campus") or [])
        if kind == AudienceKind.EVERYONE:
            return [{"kind": kind}]
        if kind == AudienceKind.CAMPUS:
            return [{"kind": kind, "campus_id": c.pk} for c in campuses] or [{"kind": kind}]
        if kind == AudienceKind.COLLEGE:
            return ([{"kind": kind, "unit_id": u.pk, "year": year}
                     for u in data.get("audience_unit") or []] or [{"kind": kind}])
        if kind == AudienceKind.YEAR:
            return ([{"kind": kind, "year": year, "campus_id": c.pk} for c in campuses]
                    or [{"kind": kind, "year": year}])
        return ([{"kind": kind, "class_id": c.pk} for c in data.get("audience_class") or []]
                or [{"kind": kind}])

    def service_arguments(self) -> dict:
        data = self.cleaned_data
        return {"bank_id": data["bank"].pk, "title": data["title"],
                "instructions": data.get("instructions", ""),
                "question_count": data.get("question_count"), "kinds": data.get("kinds") or [],
                "opens_at": data["opens_at"], "closes_at": data["closes_at"],
                "time_limit_minutes": data.get("time_limit_minutes"),
                "pass_mark": data["pass_mark"], "max_attempts": data["max_attempts"],
                "shuffle": data.get("shuffle", False), "audiences": self.audiences(),
                "idempotency_key": data.get("idempotency_key")}


def default_quiz_times(now: dt.datetime) -> dict:
    """Initial opening (the next full hour) and deadline (a week later), local time."""
    from safecampus.core import clock

    local = now.astimezone(clock.local_zone())
    opens = local.replace(minute=0, second=0, microsecond=0) + dt.timedelta(hours=1)
    return {"opens_at": opens.strftime(DATETIME_FORMAT),
            "closes_at": (opens + dt.timedelta(days=7)).strftime(DATETIME_FORMAT)}


def answers_from_post(data, question_ids: list[int]) -> dict[str, list[str]]:
    """The answers a quiz page sent: ``q<id>`` fields (one or several values each) of the
    attempt's questions; the service checks every value."""
    answers = {}
    for pk in question_ids:
        values = [v for v in data.getlist(f"q{pk}") if v != ""]
        if values:
            answers[str(pk)] = values
    for key in data:
        digits = key[1:]
        if (key.startswith("q") and digits.isascii() and digits.isdigit() and len(digits) < 19
                and int(digits) not in question_ids):
            answers[key[1:]] = data.getlist(key)
    return answers


class ResultsFilterForm(forms.Form):
    college = forms.TypedChoiceField(label=gettext_lazy("College"), required=False,
                                     coerce=int, empty_value=None)

    def __init__(self, *args, colleges: list[tuple[int, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["college"].choices = [("", _("All colleges"))] + colleges
        bootstrap(self)
