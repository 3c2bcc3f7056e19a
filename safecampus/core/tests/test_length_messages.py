"""Django's too-long / too-short messages in SafeCampus's own Chinese wording."""

from django import forms
from django.core import validators
from django.utils import translation

from safecampus.core import length_messages


class _Form(forms.Form):
    title = forms.CharField(max_length=120)
    code = forms.CharField(min_length=8)


def test_a_form_error_in_chinese_uses_the_project_wording():
    # given text too long and too short for a form's fields
    form = _Form({"title": "长" * 500, "code": "QQ"})
    # when the form is checked in Chinese
    with translation.override("zh-hans"):
        assert not form.is_valid()
        errors = {name: [str(e) for e in errs] for name, errs in form.errors.items()}
    # then the messages are ours, not Django's “确保该变量包含不超过 120 字符”
    assert errors == {"title": ["最多 120 个字符（当前 500 个）。"],
                      "code": ["至少 8 个字符（当前 2 个）。"]}
    # and English keeps Django's wording
    with translation.override("en"):
        assert _Form({"title": "x" * 121, "code": "12345678"}).errors["title"] == [
            "Ensure this value has at most 120 characters (it has 121)."]


def test_the_marked_msgids_are_djangos_exactly():
    # A msgid that differed from Django's by one character would silently fall back to
    # Django's own translation.
    for ours, theirs in ((length_messages.MAX_LENGTH, validators.MaxLengthValidator.message),
                         (length_messages.MIN_LENGTH, validators.MinLengthValidator.message)):
        with translation.override("en"):
            for n in (1, 2):
                assert ours % {"limit_value": n, "show_value": n} == \
                    theirs % {"limit_value": n, "show_value": n}
        with translation.override("zh-hans"):
            assert ours % {"limit_value": 3, "show_value": 4} == \
                theirs % {"limit_value": 3, "show_value": 4}
