"""Forms of the checklist pages: a new template, sections and items of a draft, and the
import steps. They parse input only; the rules live in ``services`` and ``checklist_files``."""

from decimal import Decimal

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from safecampus.core.forms import bootstrap
from safecampus.hazards.models import Grade, HazardCategory

from ..checklist_files import EXTENSIONS, FIELDS, MAX_BYTES
from ..models import ChecklistTemplate, Scoring
from ..services import POINTS_MAX, POINTS_NEGATIVE, POINTS_TOO_HIGH, ItemData

# Django's stock slug message speaks of a "slug"; say plainly what a checklist code may hold.
CODE_INVALID = gettext_lazy("The code may contain only English letters, digits, hyphens (-) and "
                            "underscores (_), with no spaces or Chinese characters, e.g. "
                            "lab-2026.")


class TemplateForm(forms.Form):
    code = forms.SlugField(label=gettext_lazy("Code"), max_length=48,
                           error_messages={"invalid": CODE_INVALID},
                           help_text=gettext_lazy("English letters, digits, hyphens and "
                                                  "underscores, e.g. lab-2026."))
    name = forms.CharField(label=gettext_lazy("Checklist name"), max_length=120)
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=ChecklistTemplate.Kind.choices,
                             initial=ChecklistTemplate.Kind.GENERAL)
    description = forms.CharField(label=gettext_lazy("Description"), required=False,
                                  max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        bootstrap(self)


class SectionForm(forms.Form):
    code = forms.CharField(label=gettext_lazy("Section code"), max_length=24, required=False)
    title = forms.CharField(label=gettext_lazy("Section title"), max_length=200)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        bootstrap(self)


class ItemForm(forms.Form):
    """One item of a draft version; ``sections`` are the version's sections."""

    code = forms.CharField(label=gettext_lazy("Item code"), max_length=24,
                           help_text=gettext_lazy("e.g. 1.1.1; unique in this version."))
    section = forms.TypedChoiceField(label=gettext_lazy("Section"), coerce=int)
    text = forms.CharField(label=gettext_lazy("Check point"), max_length=2000,
                           widget=forms.Textarea(attrs={"rows": 3}))
    basis = forms.CharField(label=gettext_lazy("Basis (regulation or rule)"), required=False,
                            max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))
    hazard_category = forms.ModelChoiceField(
        HazardCategory.objects.filter(is_active=True), required=False,
        label=gettext_lazy("Hazard category when failed"))
    hazard_grade = forms.ChoiceField(label=gettext_lazy("Hazard grade when failed"),
                                     choices=Grade.choices, initial=Grade.GENERAL)
    is_veto = forms.BooleanField(label=gettext_lazy("Veto item (一票否决)"), required=False)
    scoring = forms.ChoiceField(label=gettext_lazy("Scoring"), choices=Scoring.choices,
                                initial=Scoring.NONE)
    points = forms.DecimalField(label=gettext_lazy("Points"), max_digits=6, decimal_places=1,
                                min_value=Decimal("0"), max_value=POINTS_MAX,
                                initial=Decimal("0"), required=False,
                                error_messages={"min_value": POINTS_NEGATIVE,
                                                "max_value": POINTS_TOO_HIGH})

    def __init__(self, *args, sections=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["section"].choices = [
            (s.pk, f"{s.code} {s.title}".strip()) for s in sections]
        bootstrap(self)

    def to_item(self) -> ItemData:
        data = self.cleaned_data
        category = data.get("hazard_category")
        return ItemData(code=data["code"], text=data["text"], basis=data.get("basis", ""),
                        hazard_category_id=category.pk if category else None,
                        hazard_grade=data["hazard_grade"], is_veto=data.get("is_veto", False),
                        scoring=data["scoring"], points=data.get("points") or Decimal("0"))

    @staticmethod
    def initial_for(item) -> dict:
        return {"code": item.code, "section": item.section_id, "text": item.text,
                "basis": item.basis, "hazard_category": item.hazard_category_id,
                "hazard_grade": item.hazard_grade, "is_veto": item.is_veto,
                "scoring": item.scoring, "points": item.points}


class ChecklistUploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Checklist file"),
        help_text=gettext_lazy("Excel (.xlsx, first sheet), CSV (.csv) with one item a row and "
                               "the column headers in the first row, or YAML (.yaml)."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].widget.attrs["accept"] = ",".join(EXTENSIONS)
        bootstrap(self)

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not (upload.name or "").lower().endswith(EXTENSIONS):
            raise forms.ValidationError(
                _("“%(name)s” is not an Excel (.xlsx), CSV (.csv) or YAML (.yaml) file.")
                % {"name": upload.name})
        if upload.size > MAX_BYTES:
            raise forms.ValidationError(
                _("The file is larger than %(size)s MB; a checklist is much smaller.")
                % {"size": MAX_BYTES // (1024 * 1024)})
        return upload


class ImportForm(forms.Form):
    """Import step 2: which column holds what (spreadsheets only), and which template the
    items become: a new one (code, name, kind) or the next version of an existing one."""

    template = forms.ModelChoiceField(
        ChecklistTemplate.objects.order_by("name", "id"), required=False,
        label=gettext_lazy("Add as a new version of"),
        empty_label=gettext_lazy("— a new checklist —"),
        help_text=gettext_lazy("An unpublished draft of that checklist is replaced."))
    code = forms.SlugField(label=gettext_lazy("Code"), max_length=48, required=False,
                           error_messages={"invalid": CODE_INVALID})
    name = forms.CharField(label=gettext_lazy("Checklist name"), max_length=120, required=False)
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=ChecklistTemplate.Kind.choices,
                             initial=ChecklistTemplate.Kind.GENERAL)
    description = forms.CharField(label=gettext_lazy("Description"), required=False,
                                  max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))
    pass_score = forms.DecimalField(label=gettext_lazy("Pass score"), required=False,
                                    max_digits=7, decimal_places=1, min_value=Decimal("0"))
    publish = forms.BooleanField(label=gettext_lazy("Publish at once"), required=False,
                                 help_text=gettext_lazy("Otherwise the import is saved as a "
                                                        "draft to check first."))

    def __init__(self, *args, headers=None, columns=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.column_names = []
        if headers is not None:
            choices = [("", _("— not in the file —"))] + [(str(i), h) for i, h in
                                                           enumerate(headers)]
            for field in FIELDS:
                name = f"col_{field.key}"
                index = (columns or {}).get(field.key)
                self.fields[name] = forms.ChoiceField(
                    choices=choices, required=field.required, label=field.label,
                    initial="" if index is None else str(index))
                self.column_names.append(name)
        bootstrap(self)

    def column_fields(self):
        return [self[name] for name in self.column_names]

    def detail_fields(self):
        return [self[name] for name in ("template", "code", "name", "kind", "description",
                                        "pass_score", "publish")]

    def columns(self) -> dict[str, int | None]:
        data = self.cleaned_data
        return {f.key: (int(data[f"col_{f.key}"]) if data.get(f"col_{f.key}") else None)
                for f in FIELDS}

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("template"):
            for name in ("code", "name"):
                if not cleaned.get(name) and name not in self.errors:
                    self.add_error(name, _("Needed for a new checklist."))
        if self.column_names:
            chosen = [cleaned.get(n) for n in self.column_names if cleaned.get(n)]
            if len(chosen) != len(set(chosen)):
                self.add_error(None, _("Each column can hold one field only."))
        return cleaned
