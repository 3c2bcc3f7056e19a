"""Publishing on the board (needs an answer), hiding a concern's text and redacting a
photo (the original files are gone, a heavily blurred copy replaces them)."""

import io

import pytest
from PIL import Image

from safecampus.community.models import ConcernPhoto
from safecampus.community.services import concerns as services
from safecampus.core.errors import Conflict, DomainError, NotAllowed
from safecampus.core.models import ActivityEntry
from safecampus.tests.factories import photo_upload

from .concerns_helpers import answered, fresh
from .helpers import NOW, submit

pytestmark = pytest.mark.django_db(transaction=False)


def test_publish_needs_an_answer(community, english):
    concern = submit(community)
    with pytest.raises(DomainError) as caught:
        services.concern_publish(actor=community.users.staff, concern_id=concern.pk)
    assert caught.value.message == ("Answer the concern before publishing it: the board shows "
                                    "the office's answer.")
    assert not fresh(concern).is_public
    concern = answered(community)
    with pytest.raises(NotAllowed):
        services.concern_publish(actor=community.users.student, concern_id=concern.pk)
    services.concern_publish(actor=community.users.staff, concern_id=concern.pk)
    assert (fresh(concern).is_public, fresh(concern).published_at) == (True, NOW)
    with pytest.raises(Conflict):
        services.concern_publish(actor=community.users.staff, concern_id=concern.pk)
    services.concern_unpublish(actor=community.users.staff, concern_id=concern.pk)
    assert not fresh(concern).is_public
    verbs = list(ActivityEntry.objects.filter(target_id=concern.pk).values_list("verb", flat=True))
    assert verbs[-2:] == ["community.publish", "community.unpublish"]


def test_hide_and_show_text(community, english):
    concern = answered(community)
    with pytest.raises(DomainError) as caught:
        services.concern_moderate(actor=community.users.staff, concern_id=concern.pk,
                                  hide_text=True, reason="")
    assert caught.value.field_errors == {"reason": ["Give the reason for the moderation."]}
    with pytest.raises(NotAllowed):
        services.concern_moderate(actor=community.users.leadership, concern_id=concern.pk,
                                  hide_text=True, reason="含个人信息")
    services.concern_moderate(actor=community.users.staff, concern_id=concern.pk,
                              hide_text=True, reason="含他人手机号")
    concern = fresh(concern)
    assert concern.text_hidden and concern.moderation_reason == "含他人手机号"
    assert concern.moderated_by == community.users.staff and concern.moderated_at == NOW
    with pytest.raises(Conflict) as caught:
        services.concern_moderate(actor=community.users.staff, concern_id=concern.pk,
                                  hide_text=True, reason="再次")
    assert caught.value.message == "The text of concern SQ-2026-000001 is hidden already."
    services.concern_moderate(actor=community.users.staff, concern_id=concern.pk,
                              hide_text=False, reason="已核实无误")
    assert not fresh(concern).text_hidden


def _busy_photo():
    """A photo with sharp detail: a checkerboard of 8 px squares."""
    image = Image.new("RGB", (640, 480), "white")
    for x in range(0, 640, 8):
        for y in range(0, 480, 8):
            if (x // 8 + y // 8) % 2:
                image.paste((0, 0, 0), (x, y, x + 8, y + 8))
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=95)
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("plate.jpg", buffer.getvalue(), content_type="image/jpeg")


def _contrast(field) -> int:
    with field.open("rb") as handle:
        image = Image.open(handle).convert("L")
        low, high = image.getextrema()
    return high - low


def test_redact_replaces_the_photo_for_good(community, english,
                                            django_capture_on_commit_callbacks):
    concern = submit(community, photos=[_busy_photo(), photo_upload()])
    photo = concern.photos.order_by("id").first()
    storage = photo.image.storage
    old = [photo.image.name, photo.thumbnail.name]
    assert all(storage.exists(name) for name in old)
    assert _contrast(photo.image) > 200
    with pytest.raises(NotAllowed):
        services.concern_photo_redact(actor=community.users.student, photo_id=photo.pk,
                                      reason="车牌")
    with django_capture_on_commit_callbacks(execute=True):
        services.concern_photo_redact(actor=community.users.staff, photo_id=photo.pk,
                                      reason="照片中有他人车牌")
    photo = ConcernPhoto.objects.get(pk=photo.pk)
    assert photo.redacted and photo.redacted_by == community.users.staff
    assert not any(storage.exists(name) for name in old)
    assert photo.image.name not in old and storage.exists(photo.image.name)
    assert _contrast(photo.image) < 40 and _contrast(photo.thumbnail) < 40
    with Image.open(photo.image.open("rb")) as image:
        assert image.size == (640, 480)
    entry = ActivityEntry.objects.get(target_id=concern.pk, verb="community.redact_photo")
    assert entry.comment == "照片中有他人车牌" and entry.data == {"photo_id": photo.pk}
    with pytest.raises(Conflict) as caught:
        services.concern_photo_redact(actor=community.users.staff, photo_id=photo.pk,
                                      reason="再次")
    assert caught.value.message == "This photo was redacted already."
