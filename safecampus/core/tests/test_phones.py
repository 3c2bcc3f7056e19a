"""The shared phone-number check (vehicle owners, duty-log callers) and the idempotency race
helper: a request that lost the race to the same key returns the winner's record and keeps
nothing of its own."""

import pytest
from django.db import transaction
from django.utils import translation

from safecampus.core.idempotency import idempotency_race_lost, idempotency_remember
from safecampus.core.models import IdempotencyKey
from safecampus.core.phones import PHONE_INVALID, phone_is_valid, phone_normalise
from safecampus.organisation.models import Campus


@pytest.mark.parametrize("typed", [
    "13800138000", "+86 138-0013-8000", "(029) 8266 8000", "029-82668000 转123",
    "029 8266 8000 分机 12", "82668000 ext. 45", "82668000x7", "１３８００１３８０００",
    "（029）82668000"])
def test_numbers_people_write_pass_after_folding(typed):
    assert phone_is_valid(phone_normalise(typed))


@pytest.mark.parametrize("typed", [
    "", "   ", "call me", "138-abc", "+", "--", "138 00 转", "123 ext 1234567", "138+0013"])
def test_what_is_not_a_number_is_refused(typed):
    assert not phone_is_valid(phone_normalise(typed))


def test_normal_form_folds_full_width_and_strips():
    assert phone_normalise("  １３８　００１３ ") == "138 0013"
    assert phone_normalise(None) == ""


def test_the_message_is_translated():
    with translation.override("en"):
        assert str(PHONE_INVALID) == "Enter a phone number (digits, with spaces, +, - or " \
                                     "brackets)."
    with translation.override("zh-hans"):
        assert str(PHONE_INVALID) != "Enter a phone number (digits, with spaces, +, - or " \
                                     "brackets)."


def test_the_first_request_with_a_key_keeps_its_record(org):
    with transaction.atomic():
        campus = Campus.objects.create(code="c-first", name="First")
        assert idempotency_race_lost(scope="core.test", key="key-12345678",
                                     user=org.users.staff, result=campus) is None
    assert Campus.objects.filter(code="c-first").exists()
    assert IdempotencyKey.objects.get(key="key-12345678").result_id == campus.pk


def test_without_a_key_nothing_is_remembered(org):
    with transaction.atomic():
        campus = Campus.objects.create(code="c-nokey", name="No key")
        assert idempotency_race_lost(scope="core.test", key=None, user=org.users.staff,
                                     result=campus) is None
    assert Campus.objects.filter(code="c-nokey").exists()
    assert not IdempotencyKey.objects.exists()


def test_the_loser_of_a_race_returns_the_winner_and_rolls_back(org):
    """Given a concurrent request that already remembered the key (its record committed),
    when this one finishes its own record and remembers the same key, then it gets the
    winner back and its own record is rolled back."""
    winner = Campus.objects.create(code="c-winner", name="Winner")
    assert idempotency_remember(scope="core.test", key="key-12345678", user=org.users.staff,
                                result=winner)
    with transaction.atomic():
        loser = Campus.objects.create(code="c-loser", name="Loser")
        got = idempotency_race_lost(scope="core.test", key="key-12345678",
                                    user=org.users.staff, result=loser)
    assert got == winner and isinstance(got, Campus)
    assert not Campus.objects.filter(code="c-loser").exists()
    assert IdempotencyKey.objects.filter(key="key-12345678").count() == 1
