"""core.errors.text_checked: the one check of a service's free-text argument (stripped,
required, at most N characters), its problems collected for raise_field_errors."""

import pytest
from django.utils import translation

from safecampus.core.errors import DomainError, raise_field_errors, text_checked


def test_text_is_stripped_and_problems_are_collected_per_field():
    errors: dict[str, list[str]] = {}
    with translation.override("en"):
        assert text_checked("  ok  ", field="a", limit=2, errors=errors) == "ok"
        assert text_checked(None, field="b", limit=5, errors=errors) == ""
        assert text_checked(" \n", field="c", limit=5, errors=errors,
                            required="Say something.") == ""
        assert text_checked(" abcdef ", field="d", limit=5, errors=errors) == "abcdef"
    assert errors == {"c": ["Say something."], "d": ["At most 5 characters."]}
    with pytest.raises(DomainError) as caught:
        raise_field_errors(errors)
    assert caught.value.message == "Say something." and caught.value.field_errors == errors


def test_the_limit_message_is_translated():
    errors: dict[str, list[str]] = {}
    with translation.override("zh-hans"):
        text_checked("x" * 6, field="d", limit=5, errors=errors)
        expected = translation.gettext("At most %(count)s characters.") % {"count": 5}
    assert errors == {"d": [expected]} and expected != "At most 5 characters."
