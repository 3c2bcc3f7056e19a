"""Builders shared by the inspection tests: a published checklist, a signature, answers."""

import base64
import io
from decimal import Decimal

from PIL import Image, ImageDraw

from safecampus.inspections import services
from safecampus.inspections.models import Outcome, Scoring
from safecampus.inspections.services import ChecklistData, ItemData, SectionData


def checklist_data(*, code: str = "lab", name: str = "实验室安全检查表", items: int = 3,
                   category_id: int | None = None, veto: str | None = None,
                   scoring: str = Scoring.NONE, points: str = "0") -> ChecklistData:
    """``items`` items coded 1.1, 1.2, … in one section; ``veto`` names a veto item code."""
    rows = [
        ItemData(code=f"1.{n}", text=f"检查项{n}：消防通道畅通", basis="《高等学校消防安全管理规定》",
                 hazard_category_id=category_id, is_veto=(f"1.{n}" == veto), scoring=scoring,
                 points=Decimal(points), line=n + 1)
        for n in range(1, items + 1)
    ]
    return ChecklistData(name=name, code=code, sections=[SectionData("1", "安全设施", rows)])


def published_checklist(actor, **kwargs):
    """A published version built through the import service."""
    return services.checklist_import(actor=actor, data=checklist_data(**kwargs), publish=True)


def signature_png() -> str:
    """A canvas-like PNG data URL with a stroke on it."""
    image = Image.new("RGBA", (300, 120), (0, 0, 0, 0))
    ImageDraw.Draw(image).line([(10, 60), (120, 20), (290, 100)], fill=(0, 0, 0, 255), width=4)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def answer_all(inspection, actor, *, fails: dict[str, str] | None = None,
               na: tuple[str, ...] = (), photos: bool = True) -> None:
    """Record every item: complies, except ``fails`` (code → note, with one photo each unless
    ``photos`` is false) and ``na`` codes."""
    from safecampus.tests.factories import photo_upload

    fails = fails or {}
    for item in inspection.version.items.all():
        if item.code in fails:
            services.result_record(actor=actor, inspection_id=inspection.pk, item_id=item.pk,
                                   outcome=Outcome.FAILS, note=fails[item.code])
            if photos:
                services.result_photo_add(actor=actor, inspection_id=inspection.pk,
                                          item_id=item.pk, upload=photo_upload(),
                                          client_id=f"finding-{item.pk}")
        else:
            outcome = Outcome.NOT_APPLICABLE if item.code in na else Outcome.COMPLIES
            services.result_record(actor=actor, inspection_id=inspection.pk, item_id=item.pk,
                                   outcome=outcome)


def login(client, user):
    """Sign ``client`` in as ``user`` (force_login) with the pages in English."""
    from django.conf import settings

    client.logout()
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def messages_of(response) -> list[str]:
    """The flash messages a response queued, as text."""
    from django.contrib.messages import get_messages

    return [str(m) for m in get_messages(response.wsgi_request)]
