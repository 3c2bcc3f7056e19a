"""The demo's inspections, replayed through the real services after the hazard year.

Three checklists (laboratory, dormitory scoring sheet, fire safety of key places); the
laboratory checklist gets a second version in the middle of the term's campaign, so both
versions have inspections. Three plans: the autumn campus-wide campaign over every
laboratory (about half done, a few in progress, the rest due), a monthly dormitory schedule
and a fire-safety schedule that follows each place's risk level and needs approval. One
unit runs a self-inspection. Each step runs inside :func:`clock.frozen` at its own time, so
timelines, notices and the coverage of each plan are the real ones.
"""

import base64
import datetime as dt
import io
import random
from decimal import Decimal
from functools import partial

from django.contrib.contenttypes.models import ContentType
from PIL import Image, ImageDraw

from safecampus.core import clock
from safecampus.hazards import services as hazard_services
from safecampus.hazards.models import HazardCategory, RectificationNotice
from safecampus.inspections import services
from safecampus.inspections.models import (
    Inspection,
    InspectionResult,
    Outcome,
    PlanKind,
    ResultPhoto,
)
from safecampus.inspections.services import ChecklistData, ItemData, SectionData
from safecampus.organisation.models import Place

from . import inspection_data as data
from .images import photo_jpeg

DAY = dt.timedelta(days=1)
CATEGORY_COLOURS = {"fire": (170, 60, 40), "electrical": (60, 90, 160), "hazchem": (120, 140, 40)}


def _checklist(spec, categories, *, extra=None) -> ChecklistData:
    code, name, kind, pass_score, sections = spec
    out = []
    for s_code, title, items in sections:
        rows = [ItemData(code=i[0], text=i[1], basis=i[2], hazard_category_id=categories[i[3]].pk,
                         hazard_grade=i[4], is_veto=i[5], scoring=i[6], points=Decimal(i[7]))
                for i in items]
        if extra and extra[0] == s_code:
            i = extra[1]
            rows.append(ItemData(code=i[0], text=i[1], basis=i[2],
                                 hazard_category_id=categories[i[3]].pk, hazard_grade=i[4],
                                 is_veto=i[5], scoring=i[6], points=Decimal(i[7])))
        out.append(SectionData(code=s_code, title=title, items=rows))
    return ChecklistData(name=name, code=code, kind=kind, sections=out,
                         pass_score=Decimal(pass_score) if pass_score else None)


def _signature(rng: random.Random) -> str:
    image = Image.new("RGBA", (360, 140), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    x, y = 20, 80
    points = [(x, y)]
    for _ in range(14):
        x += rng.randint(12, 26)
        y = max(20, min(120, y + rng.randint(-35, 35)))
        points.append((x, y))
    draw.line(points, fill=(20, 20, 60, 255), width=4, joint="curve")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


class InspectionDemo:
    def __init__(self, rng: random.Random, world, now: dt.datetime):
        self.rng = rng
        self.world = world
        self.now = now
        self.admin = world.office_head
        self.categories = {c.code: c for c in HazardCategory.objects.all()}
        self.category_codes = {c.pk: c.code for c in self.categories.values()}
        self.plans: dict[str, object] = {}
        self.signed_or_not: set[int] = set()
        self.count = 0
        self.result_type = ContentType.objects.get_for_model(InspectionResult)

    def at(self, days_ago: float, hour: int | None = None) -> dt.datetime:
        day = (self.now - dt.timedelta(days=days_ago)).astimezone(clock.local_zone()).date()
        hour = hour if hour is not None else self.rng.randint(8, 16)
        moment = dt.datetime.combine(day, dt.time(hour, self.rng.randint(0, 59)),
                                     tzinfo=clock.local_zone())
        return min(moment, self.now - dt.timedelta(minutes=5))

    def inspect(self, *, actor, place=None, template=None, target=None, until: dt.datetime,
                fail_share: float, finish: bool = True, answer_share: float = 1.0,
                fail_again: frozenset = frozenset()):
        """One inspection, submitted (when ``finish``) at ``until``, begun item by item
        before it, so what it issues keeps the replay's time order."""
        rng = self.rng
        pace = [dt.timedelta(seconds=rng.randint(30, 90)) for _ in range(20)]
        started = until - sum(pace, dt.timedelta()) - dt.timedelta(minutes=3)
        with clock.frozen(started):
            inspection = services.inspection_start(
                actor=actor, target_id=target.pk if target else None,
                place_id=place.pk if place else None,
                template_id=template.pk if template else None)
        items = list(inspection.version.items.order_by("position"))
        moment = started
        for index, item in enumerate(items):
            if index >= len(items) * answer_share:
                break
            moment = min(moment + pace[index % len(pace)], until - dt.timedelta(seconds=1))
            with clock.frozen(moment):
                if rng.random() < fail_share or (item.code in fail_again
                                                 and rng.random() < 0.6):
                    code = self.category_codes.get(item.hazard_category_id, "other")
                    notes = data.ITEM_NOTES.get(inspection.version.template.code, {}).get(
                        item.code) or data.FINDING_NOTES.get(code, data.FINDING_NOTES["other"])
                    fixable = inspection.kind == Inspection.Kind.OFFICE and rng.random() < 0.25
                    services.result_record(
                        actor=actor, inspection_id=inspection.pk, item_id=item.pk,
                        outcome=Outcome.FAILS,
                        note=rng.choice(notes),
                        fixed_on_spot=fixable,
                        fix_note=rng.choice(data.FIX_NOTES) if fixable else "")
                    colour = CATEGORY_COLOURS.get(code, (140, 110, 90))
                    services.result_photo_add(
                        actor=actor, inspection_id=inspection.pk, item_id=item.pk,
                        upload=photo_jpeg(rng, colour), client_id=f"demo-{item.pk}-f")
                    if fixable:
                        services.result_photo_add(
                            actor=actor, inspection_id=inspection.pk, item_id=item.pk,
                            upload=photo_jpeg(rng, colour, after=True),
                            client_id=f"demo-{item.pk}-x", stage=ResultPhoto.Stage.FIXED)
                else:
                    outcome = Outcome.NOT_APPLICABLE if rng.random() < 0.05 else Outcome.COMPLIES
                    services.result_record(actor=actor, inspection_id=inspection.pk,
                                           item_id=item.pk, outcome=outcome)
        if finish:
            with clock.frozen(until):
                services.inspection_submit(
                    actor=actor, inspection_id=inspection.pk,
                    signer_name=rng.choice(data.SIGNERS), signature=_signature(rng),
                    summary=rng.choice(data.SUMMARIES))
        return inspection

    # --- the story, as timed events for the replay --------------------------------------
    def events(self) -> list[tuple[dt.datetime, object]]:
        """``(when, callable)`` pairs; the replay runs each at its time, in time order."""
        rng = self.rng
        events: list[tuple[dt.datetime, object]] = [
            (self.at(65, 9), self.setup_checklists),
            (self.at(62, 10), self.setup_schedules),
            (self.at(22, 10), self.setup_campaign),
        ]
        labs = list(Place.objects.filter(kind=Place.Kind.LAB).order_by("code")
                    .values_list("pk", flat=True))
        dorms = list(Place.objects.filter(kind=Place.Kind.DORMITORY).order_by("code")
                     .values_list("pk", flat=True))
        self.key_places = list(Place.objects.filter(
            kind__in=[Place.Kind.CANTEEN, Place.Kind.ROOM]).exclude(risk_level="")
            .order_by("code").values_list("pk", flat=True))[:24]
        self.labs, self.dorms = labs, dorms

        # The campaign: about half of the laboratories done over three weeks, a few in
        # progress today; version 2 of the checklist is published after the first week.
        order = labs[:]
        rng.shuffle(order)
        done = order[: len(order) // 2]
        for n, place_id in enumerate(done):
            events.append((self.at(20 - n * 19 / max(1, len(done))),
                           partial(self.inspect_target, "campaign", place_id, fail_share=0.09)))
        events.append((self.at(14, 18), self.publish_lab_v2))
        for place_id in order[len(done): len(done) + 3]:
            events.append((self.at(0.2, 9), partial(
                self.inspect_target, "campaign", place_id, fail_share=0.1, finish=False,
                answer_share=0.5)))

        # Monthly dormitory checks, two rounds (40–60 and 8–40 days ago): what failed the
        # first time often fails again (repeat findings); some rooms are now due or late.
        for place_id in dorms:
            if rng.random() < 0.1:
                continue
            events.append((self.at(rng.uniform(42, 60)),
                           partial(self.inspect_target, "monthly", place_id, fail_share=0.15)))
            if rng.random() < 0.85:
                events.append((self.at(rng.uniform(8, 40)), partial(
                    self.inspect_target, "monthly", place_id, fail_share=0.1, repeat=True)))

        # Fire safety of key places by risk level; the office head approves most results.
        for index, place_id in enumerate(self.key_places):
            if index % 3 == 2:
                continue
            events.append((self.at(rng.uniform(3, 30)),
                           partial(self.inspect_target, "by_risk", place_id, fail_share=0.08)))
            if index % 4:
                events.append((self.at(rng.uniform(0.5, 1.5)), partial(self.approve, place_id)))

        # A college inspects one of its own laboratories (self-inspection, 自查).
        events.append((self.at(3, 15), self.self_inspection))
        # Units sign for most inspection notices within a day or so.
        for days_ago in range(60, 0, -2):
            events.append((self.at(days_ago, 17), self.units_sign))
        return events

    def setup_checklists(self) -> None:
        admin = self.admin
        self.lab = services.checklist_import(
            actor=admin, data=_checklist(data.LAB, self.categories), publish=True)
        self.dorm = services.checklist_import(
            actor=admin, data=_checklist(data.DORM, self.categories), publish=True)
        self.fire = services.checklist_import(
            actor=admin, data=_checklist(data.FIRE, self.categories), publish=True)

    def setup_schedules(self) -> None:
        inspectors = self.world.inspectors
        self.plans["monthly"] = services.plan_create(
            actor=self.admin, kind=PlanKind.RECURRING, name="学生宿舍月度安全卫生检查",
            template_id=self.dorm.template_id, place_ids=self.dorms,
            starts_on=clock.local_today(), interval_days=30,
            inspector_ids=[u.pk for u in inspectors[:2]], deadline_days=3)
        self.plans["by_risk"] = services.plan_create(
            actor=self.admin, kind=PlanKind.RECURRING, name="重点部位消防安全检查（按风险等级）",
            template_id=self.fire.template_id, place_ids=self.key_places,
            starts_on=clock.local_today(), by_risk_level=True, needs_review=True,
            inspector_ids=[u.pk for u in inspectors[2:]], deadline_days=7)

    def setup_campaign(self) -> None:
        today = clock.local_today()
        self.plans["campaign"] = services.plan_create(
            actor=self.admin, kind=PlanKind.CAMPAIGN, name="2026年秋季学期实验室安全大检查",
            description="覆盖全校所有实验室，检查结果纳入学院年度安全考核。",
            template_id=self.lab.template_id, place_ids=self.labs,
            starts_on=today + DAY, ends_on=today + 31 * DAY,
            inspector_ids=[u.pk for u in self.world.inspectors], deadline_days=10)

    def publish_lab_v2(self) -> None:
        admin = self.admin
        draft = services.version_new_draft(actor=admin, template_id=self.lab.template_id)
        section = draft.sections.get(code=data.LAB_V2_EXTRA[0])
        i = data.LAB_V2_EXTRA[1]
        services.item_save(actor=admin, version_id=draft.pk, section_id=section.pk,
                           data=ItemData(code=i[0], text=i[1], basis=i[2],
                                         hazard_category_id=self.categories[i[3]].pk))
        services.version_publish(actor=admin, version_id=draft.pk)

    def inspect_target(self, plan_key: str, place_id: int, *, repeat: bool = False,
                       **kwargs) -> None:
        target = self.plans[plan_key].targets.select_related("inspector").get(place_id=place_id)
        fail_again = frozenset()
        if repeat and target.last_inspection_id:
            fail_again = frozenset(target.last_inspection.results.filter(
                outcome=Outcome.FAILS).values_list("item_code", flat=True))
        self.inspect(actor=target.inspector, target=target, until=clock.now(),
                     fail_again=fail_again, **kwargs)
        self.count += 1

    def approve(self, place_id: int) -> None:
        inspection = Inspection.objects.filter(
            plan=self.plans["by_risk"], place_id=place_id,
            state=Inspection.State.AWAITING_REVIEW).first()
        if inspection is not None:
            services.inspection_approve(actor=self.admin, inspection_id=inspection.pk)

    def self_inspection(self) -> None:
        for place in Place.objects.filter(pk__in=self.labs).order_by("code"):
            unit_id = place.unit_id or (place.building.unit_id if place.building_id else None)
            contact = self.world.contacts.get(unit_id)
            if contact is not None:
                self.inspect(actor=contact, place=place, template=self.lab.template,
                             until=clock.now(), fail_share=0.12)
                self.count += 1
                return

    def units_sign(self) -> None:
        cutoff = clock.now() - dt.timedelta(hours=12)
        for notice in RectificationNotice.objects.filter(
                state=RectificationNotice.State.ISSUED, issued_at__lt=cutoff,
                items__hazard__source_type=self.result_type).exclude(pk__in=self.signed_or_not).distinct():
            self.signed_or_not.add(notice.pk)
            contact = self.world.contacts.get(notice.unit_id)
            if contact is not None and self.rng.random() < 0.6:
                hazard_services.notice_acknowledge(actor=contact, notice_id=notice.pk)
