"""Signed sticker codes shared by patrol checkpoints and traffic duty posts."""

import pytest
import segno
from django.core import signing

from safecampus.core import qrcodes

A = qrcodes.CodeSigner(salt="test.a", url_segment="c")
B = qrcodes.CodeSigner(salt="test.b", url_segment="p")


def test_a_code_round_trips_alone_and_inside_its_url():
    code = A.sign(12, 3)
    assert code.startswith("12-3.") and code.isascii()
    assert A.parse(code) == qrcodes.SignedCode(pk=12, generation=3)
    assert A.parse(f"  https://campus.example/patrols/c/{code}/?x=1 ") == qrcodes.SignedCode(12, 3)


def test_a_changed_id_or_generation_or_another_salt_is_forged():
    code = A.sign(12, 3)
    signature = code.split(".", 1)[1]
    for forged in (f"13-3.{signature}", f"12-4.{signature}", B.sign(12, 3),
                   signing.Signer(key="not-our-key", salt="test.a", sep=".").sign("12-3")):
        with pytest.raises(qrcodes.ForgedCode):
            A.parse(forged)


def test_text_that_is_not_a_signed_code_is_left_to_the_manual_code():
    for text in ("", "   ", "ABCD EFGH", "hello", "12-3", "https://evil.example/c/"):
        assert A.parse(text) is None
    assert A.extract("https://x/patrols/c/ABCD2345/") == "ABCD2345"
    assert A.extract(" ab-cd ") == "ab-cd"


def test_manual_codes_avoid_look_alike_letters_and_normalise():
    codes = {qrcodes.manual_code_new() for _i in range(200)}
    assert len(codes) == 200
    for code in codes:
        assert len(code) == qrcodes.MANUAL_LENGTH
        assert not set(code) & set("01OIL")
    assert qrcodes.manual_code_normalise(" abcd - efgh\t") == "ABCDEFGH"
    assert qrcodes.manual_code_grouped("ABCDEFGH") == "ABCD EFGH"


def test_the_qr_image_is_segnos_drawing_of_the_payload():
    payload = "https://campus.example/traffic/p/7-2.abc/"
    uri = qrcodes.qr_svg_data_uri(payload)
    expected = segno.make(payload, error=qrcodes.QR_ERROR, micro=False)
    assert uri == expected.svg_data_uri(scale=1, border=qrcodes.QR_BORDER, dark="#000",
                                       light="#fff")
