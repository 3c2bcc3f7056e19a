"""Forms of the checker area: the message box, a rule, a version's thresholds, the
evaluation upload. Fields parse input only; the services check the rules of the domain."""

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from safecampus.core.forms import bootstrap

from ..models import CheckerRule


class CheckForm(forms.Form):
    """The pasted text; no length limit here (the checker reads the first
    ``CHECKER_MAX_CHARS`` characters and says so)."""

    text = forms.CharField(label=_("Message, chat text, link or phone number"), required=False,
                           strip=False, widget=forms.Textarea(attrs={
                               "rows": 6, "autocomplete": "off", "spellcheck": "false",
                               "placeholder": _("Paste a message, chat text, link or phone "
                                                "number here")}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        bootstrap(self)
        self.fields["text"].widget.attrs["class"] += " checker-text"

    def pasted(self) -> str:
        """The text as typed: line breaks as "\\n" (browsers send a textarea's as "\\r\\n"),
        so the server counts its characters (code points) as the page's counter does."""
        text = (self.cleaned_data.get("text") or "") if self.is_valid() else ""
        return text.replace("\r\n", "\n").replace("\r", "\n")


class RuleForm(forms.Form):
    fraud_type = forms.TypedChoiceField(label=_("Fraud type"), required=False, coerce=str,
                                        empty_value="")
    kind = forms.ChoiceField(label=_("Kind"), choices=CheckerRule.Kind.choices,
                             initial=CheckerRule.Kind.PHRASE)
    pattern = forms.CharField(label=_("Pattern"), max_length=300, strip=True, help_text=_(
        "A phrase (several separated by |, matched after folding full-width, look-alike and "
        "traditional characters) or a regular expression (RE2: no look-around or "
        "back-references) over the folded, lower-case text; name the part to highlight "
        "(?P<flag>…) when the pattern also matches its neighbours."))
    weight = forms.IntegerField(label=_("Weight"), min_value=-100, max_value=100, initial=20)
    red_flag = forms.CharField(label=_("Red flag shown to the reader"), max_length=120)
    requires = forms.CharField(label=_("Only with (one phrase per line)"), required=False,
                               widget=forms.Textarea(attrs={"rows": 3}))
    excludes = forms.CharField(label=_("Not with (one phrase per line)"), required=False,
                               widget=forms.Textarea(attrs={"rows": 3}))
    window = forms.IntegerField(label=_("Context window (characters)"), min_value=0,
                                max_value=200, initial=30)

    def __init__(self, *args, type_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["fraud_type"].choices = [("", _("— shared signal (no type) —")),
                                             *type_choices]
        bootstrap(self)

    @classmethod
    def initial_for(cls, rule: CheckerRule) -> dict:
        return {"fraud_type": str(rule.fraud_type_id or ""), "kind": rule.kind,
                "pattern": rule.pattern, "weight": rule.weight, "red_flag": rule.red_flag,
                "requires": rule.requires, "excludes": rule.excludes, "window": rule.window}

    def service_arguments(self) -> dict:
        d = self.cleaned_data
        return {"fraud_type_id": d["fraud_type"] or None, "kind": d["kind"],
                "pattern": d["pattern"], "weight": d["weight"], "red_flag": d["red_flag"],
                "requires": d["requires"], "excludes": d["excludes"], "window": d["window"]}


class ThresholdsForm(forms.Form):
    note = forms.CharField(label=_("What changed"), max_length=200, required=False)
    medium_threshold = forms.IntegerField(label=_("Medium risk from score"), min_value=1,
                                          max_value=100)
    high_threshold = forms.IntegerField(label=_("High risk from score"), min_value=1,
                                        max_value=100)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        bootstrap(self)


class EvaluateForm(forms.Form):
    file = forms.FileField(label=_("Labelled messages (CSV: label,content; 0 ordinary, 1 "
                                   "spam)"), required=False)
    use_corpus = forms.BooleanField(label=_("Use the configured message corpus"),
                                    required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        bootstrap(self)
        self.fields["file"].widget.attrs["accept"] = ".csv,text/csv"

    def service_arguments(self) -> dict:
        upload = self.cleaned_data.get("file")
        data = b""
        if upload is not None:
            limit = settings.SAFECAMPUS["IMPORT_MAX_BYTES"]
            data = upload.read(limit + 1)
        return {"upload": data or None, "upload_name": getattr(upload, "name", ""),
                "use_corpus": bool(self.cleaned_data.get("use_corpus")) and not data}


class NewVersionForm(forms.Form):
    note = forms.CharField(label=_("What will change"), max_length=200, required=False)
    source = forms.IntegerField(required=False, widget=forms.HiddenInput, min_value=1,
                                max_value=2**31 - 1)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        bootstrap(self)
