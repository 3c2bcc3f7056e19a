"""Signed QR codes for things guards scan on site (patrol checkpoints, traffic duty posts).

A code names one object and one *generation* of its sticker: ``<id>-<generation>.<signature>``
where the signature is an HMAC (Django's :class:`~django.core.signing.Signer`, SHA-256, keyed
by ``SECRET_KEY``) with a salt of its own per kind of object, so a checkpoint's code is never
accepted as a post's and nobody without the server's key can make a code for another object
or generation. Rotating a sticker raises the object's generation; the caller compares it.

The QR image holds a URL, ``<PUBLIC_URL>/<app>/<segment>/<code>/``; :meth:`CodeSigner.parse`
accepts that URL, the signed code alone, or (returning None) anything else, which the caller
then tries as a *manual code*: random characters from :data:`MANUAL_ALPHABET`, an alphabet
without look-alikes, printed under the QR for a camera that cannot read it.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

import segno
from django.core import signing

#: Manual codes: no 0/O, 1/I/L, so a guard reading a worn sticker cannot mistype them.
MANUAL_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
#: 8 characters of 31: about 40 bits.
MANUAL_LENGTH = 8
#: QR error correction "M" (15 %): small enough for large modules on a printed sign.
QR_ERROR = "m"
#: Quiet zone around the code, in modules.
QR_BORDER = 2

_CODE_RE = re.compile(r"^(\d+)-(\d+)\.[A-Za-z0-9_-]+$")


class ForgedCode(Exception):
    """The text has the form of a signed code but its signature is wrong."""


@dataclass(frozen=True)
class SignedCode:
    """What a valid signed code names: the object's primary key and the sticker generation."""

    pk: int
    generation: int


class CodeSigner:
    """Signs and reads ``<id>-<generation>`` codes of one kind of object.

    ``salt``: a distinct text per kind (e.g. ``"safecampus.patrols.checkpoint"``).
    ``url_segment``: the path segment before the code in the QR's URL (``"c"`` for
    ``/patrols/c/<code>/``), used to pick the code out of a scanned URL.
    """

    def __init__(self, *, salt: str, url_segment: str):
        self.salt = salt
        self._signer = signing.Signer(salt=salt, sep=".")
        self._url_re = re.compile(r"/" + re.escape(url_segment) + r"/([^/?#\s]*)")

    def sign(self, pk: int, generation: int) -> str:
        """The signed code, e.g. ``12-3.Xy…`` (ASCII, URL-safe)."""
        return self._signer.sign(f"{pk}-{generation}")

    def parse(self, text: str) -> SignedCode | None:
        """Read a scanned or typed text.

        Returns the :class:`SignedCode` of a valid signed code (given alone or inside its
        URL), ``None`` when the text is not a signed code at all (try it as a manual code),
        and raises :class:`ForgedCode` when it looks like one but the signature is wrong.
        """
        text = (text or "").strip()
        in_url = self._url_re.search(text)
        if in_url is not None:
            text = in_url.group(1)
        match = _CODE_RE.match(text)
        if match is None:
            return None
        try:
            self._signer.unsign(text)
        except signing.BadSignature:
            raise ForgedCode(text) from None
        return SignedCode(pk=int(match.group(1)), generation=int(match.group(2)))

    def extract(self, text: str) -> str:
        """The text with a scanned URL reduced to its code part (else unchanged, stripped)."""
        text = (text or "").strip()
        in_url = self._url_re.search(text)
        return in_url.group(1) if in_url is not None else text


def manual_code_new() -> str:
    """A fresh random manual code (:data:`MANUAL_LENGTH` characters of
    :data:`MANUAL_ALPHABET`). Callers check uniqueness among their own objects."""
    return "".join(secrets.choice(MANUAL_ALPHABET) for _i in range(MANUAL_LENGTH))


def manual_code_normalise(text: str) -> str:
    """A typed manual code as stored: spaces and dashes removed, upper case."""
    return re.sub(r"[\s\-]", "", text or "").upper()


def manual_code_grouped(code: str) -> str:
    """A manual code in groups of four for reading aloud: ``"ABCD EFGH"``."""
    return " ".join(code[i:i + 4] for i in range(0, len(code), 4))


def qr_svg_data_uri(payload: str, *, error: str = QR_ERROR, border: int = QR_BORDER) -> str:
    """``payload`` as a QR code: an SVG ``data:`` URI, black on white, ``border`` modules of
    quiet zone (vector, so it prints sharp at any size; nothing is fetched while a PDF is
    built)."""
    return segno.make(payload, error=error, micro=False).svg_data_uri(
        scale=1, border=border, dark="#000", light="#fff")
