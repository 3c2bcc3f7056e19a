"""Given a published checklist, when an office inspection finds failures, then each failure
becomes a hazard and each unit receives one notice listing its findings."""

import pytest

from safecampus.core.activity import activity_for
from safecampus.core.errors import Conflict, DomainError, NotAllowed
from safecampus.hazards.models import Hazard, RectificationNotice, Source, Status
from safecampus.inspections import services
from safecampus.inspections.models import Inspection, Outcome, ResultPhoto
from safecampus.notifications.models import Notification
from safecampus.tests.factories import photo_upload

from .helpers import answer_all, published_checklist, signature_png

pytestmark = pytest.mark.django_db


def _start(org, **kwargs):
    version = published_checklist(org.users.admin, category_id=org.fire.pk, **kwargs)
    inspection = services.inspection_start(actor=org.users.staff, place_id=org.place_a.pk,
                                           template_id=version.template_id)
    return version, inspection


def test_failures_become_hazards_on_one_notice_per_unit(org, django_capture_on_commit_callbacks):
    _version, inspection = _start(org, items=4)
    answer_all(inspection, org.users.staff, fails={"1.1": "通道堆放纸箱", "1.3": "灭火器过期"},
               na=("1.4",))
    with django_capture_on_commit_callbacks(execute=True):
        services.inspection_submit(actor=org.users.staff, inspection_id=inspection.pk,
                                   signer_name="王老师", signature=signature_png())
    inspection.refresh_from_db()
    assert inspection.state == Inspection.State.FINISHED
    assert (inspection.items_complied, inspection.items_failed,
            inspection.items_not_applicable) == (1, 2, 1)
    assert str(inspection.compliance_rate) == "33.3"
    hazards = list(Hazard.objects.filter(source=Source.INSPECTION).order_by("pk"))
    # each titled by what was found; the checklist item is in the description
    assert [h.title for h in hazards] == ["[1.1] 通道堆放纸箱", "[1.3] 灭火器过期"]
    assert "检查项 1.1：检查项1：消防通道畅通" in hazards[0].description
    assert {h.status for h in hazards} == {Status.NOTICE_ISSUED}
    assert all("通道堆放纸箱" in hazards[0].description for _ in [0])
    notices = list(RectificationNotice.objects.all())
    assert len(notices) == 1 and notices[0].unit_id == org.unit_a.pk
    assert set(notices[0].items.values_list("hazard_id", flat=True)) == {h.pk for h in hazards}
    # The office is not told about its own findings; the unit gets the notice and the report.
    assert not Notification.objects.filter(verb="hazards.report").exists()
    assert Notification.objects.filter(recipient=org.users.contact_a,
                                       verb="inspections.report").count() == 1
    assert [e.verb for e in activity_for(inspection)][:2] == ["inspections.start",
                                                             "inspections.finish"]


def test_fixed_on_the_spot_closes_the_hazard_without_a_notice(org):
    _version, inspection = _start(org, items=2)
    answer_all(inspection, org.users.staff)
    item = inspection.version.items.get(code="1.2")
    services.result_record(actor=org.users.staff, inspection_id=inspection.pk, item_id=item.pk,
                           outcome=Outcome.FAILS, note="插线板串接", fixed_on_spot=True,
                           fix_note="当场拆除串接插线板")
    for stage in (ResultPhoto.Stage.FINDING, ResultPhoto.Stage.FIXED):
        services.result_photo_add(actor=org.users.staff, inspection_id=inspection.pk,
                                  item_id=item.pk, upload=photo_upload(), client_id=stage,
                                  stage=stage)
    services.inspection_submit(actor=org.users.staff, inspection_id=inspection.pk,
                               signer_name="王老师", signature=signature_png())
    hazard = Hazard.objects.get(source=Source.INSPECTION)
    assert hazard.status == Status.FIXED_ON_SPOT
    assert not RectificationNotice.objects.exists()


def test_submit_lists_what_is_missing_and_changes_nothing(org):
    _version, inspection = _start(org, items=3)
    item = inspection.version.items.get(code="1.1")
    services.result_record(actor=org.users.staff, inspection_id=inspection.pk, item_id=item.pk,
                           outcome=Outcome.FAILS)
    with pytest.raises(DomainError) as error:
        services.inspection_submit(actor=org.users.staff, inspection_id=inspection.pk,
                                   signer_name="", signature="")
    assert error.value.field_errors["__all__"] == [
        "2 item(s) have no result yet.",
        "Item 1.1: describe what does not comply.",
        "Item 1.1: add a photo of what does not comply.",
        "Write the name of the unit's representative who signs.",
        "The unit's representative must sign on the screen.",
    ]
    inspection.refresh_from_db()
    assert inspection.state == Inspection.State.IN_PROGRESS
    assert not Hazard.objects.exists()


def test_result_for_an_item_of_another_version_is_refused(org):
    version, inspection = _start(org, items=2)
    other = published_checklist(org.users.admin, code="dorm", items=1)
    with pytest.raises(DomainError, match="not in the checklist version"):
        services.result_record(actor=org.users.staff, inspection_id=inspection.pk,
                               item_id=other.items.get().pk, outcome=Outcome.COMPLIES)
    assert not inspection.results.exists()


def test_saving_twice_keeps_one_result_and_one_photo(org):
    _version, inspection = _start(org, items=1)
    item = inspection.version.items.get()
    for _ in range(2):
        services.result_record(actor=org.users.staff, inspection_id=inspection.pk,
                               item_id=item.pk, outcome=Outcome.FAILS, note="堆物")
        services.result_photo_add(actor=org.users.staff, inspection_id=inspection.pk,
                                  item_id=item.pk, upload=photo_upload(), client_id="same")
    assert inspection.results.count() == 1
    assert ResultPhoto.objects.count() == 1


def test_finished_inspection_cannot_change_until_reopened_with_a_reason(org):
    _version, inspection = _start(org, items=1)
    answer_all(inspection, org.users.staff)
    services.inspection_submit(actor=org.users.staff, inspection_id=inspection.pk,
                               signer_name="王老师", signature=signature_png())
    item = inspection.version.items.get()
    with pytest.raises(Conflict):
        services.result_record(actor=org.users.staff, inspection_id=inspection.pk,
                               item_id=item.pk, outcome=Outcome.FAILS, note="x")
    with pytest.raises(DomainError, match="Give the reason"):
        services.inspection_reopen(actor=org.users.admin, inspection_id=inspection.pk, reason="")
    services.inspection_reopen(actor=org.users.admin, inspection_id=inspection.pk,
                               reason="漏记一项")
    services.result_record(actor=org.users.staff, inspection_id=inspection.pk, item_id=item.pk,
                           outcome=Outcome.FAILS, note="插座破损")
    entry = activity_for(inspection).filter(verb="inspections.reopen").get()
    assert entry.comment == "漏记一项"


def test_repeat_finding_within_18_months(org):
    version, first = _start(org, items=1)
    answer_all(first, org.users.staff, fails={"1.1": "堆物"})
    services.inspection_submit(actor=org.users.staff, inspection_id=first.pk,
                               signer_name="王老师", signature=signature_png())
    second = services.inspection_start(actor=org.users.staff2, place_id=org.place_a.pk,
                                       template_id=version.template_id)
    answer_all(second, org.users.staff2, fails={"1.1": "又堆物"})
    result = second.results.get()
    assert result.is_repeat and result.repeat_of.inspection_id == first.pk


def test_only_the_office_inspects_and_units_self_inspect_their_own_places(org):
    version = published_checklist(org.users.admin)
    with pytest.raises(NotAllowed):
        services.inspection_start(actor=org.users.contact_b, place_id=org.place_a.pk,
                                  template_id=version.template_id)
    own = services.inspection_start(actor=org.users.contact_a, place_id=org.place_a.pk,
                                    template_id=version.template_id)
    assert own.kind == Inspection.Kind.SELF
    with pytest.raises(NotAllowed):
        services.result_record(actor=org.users.staff, inspection_id=own.pk,
                               item_id=version.items.first().pk, outcome=Outcome.COMPLIES)


def test_the_hazard_page_links_back_to_the_inspection_item(org, client):
    _version, inspection = _start(org, items=1)
    answer_all(inspection, org.users.staff, fails={"1.1": "通道堆放纸箱"})
    services.inspection_submit(actor=org.users.staff, inspection_id=inspection.pk,
                               signer_name="王老师", signature=signature_png())
    hazard = Hazard.objects.get(source=Source.INSPECTION)
    item = inspection.version.items.get()
    client.cookies["django_language"] = "en"
    client.force_login(org.users.contact_a)
    html = client.get(f"/hazards/{hazard.pk}/").content.decode()
    assert (f'<a href="/inspections/{inspection.pk}/#item-{item.pk}">'
            f"Inspection {inspection.reference}, item 1.1</a>") in html


def test_texts_written_into_records_are_in_the_site_language(org):
    # given an inspector reading the pages in English (the tests' language)
    _version, inspection = _start(org, items=1)
    answer_all(inspection, org.users.staff, fails={"1.1": "通道堆放纸箱"})
    services.inspection_submit(actor=org.users.staff, inspection_id=inspection.pk,
                               signer_name="王老师", signature=signature_png())
    # then the hazard and the notice carry Chinese text (LANGUAGE_CODE zh-hans), not English
    hazard = Hazard.objects.get(source=Source.INSPECTION)
    assert hazard.description.startswith(f"检查 {inspection.reference}")
    assert "检查发现的问题：通道堆放纸箱" in hazard.description
    assert RectificationNotice.objects.get().requirements.startswith(
        f"请对检查 {inspection.reference}")


def test_the_link_back_is_shown_only_to_those_who_may_open_the_inspection(org, client):
    _version, inspection = _start(org, items=1)
    answer_all(inspection, org.users.staff, fails={"1.1": "通道堆放纸箱"})
    services.inspection_submit(actor=org.users.staff, inspection_id=inspection.pk,
                               signer_name="王老师", signature=signature_png())
    hazard = Hazard.objects.get(source=Source.INSPECTION)
    # while the inspection is reopened, the unit may not open it: no link for the unit
    services.inspection_reopen(actor=org.users.admin, inspection_id=inspection.pk,
                               reason="漏记一项")
    client.cookies["django_language"] = "en"
    client.force_login(org.users.contact_a)
    assert f"/inspections/{inspection.pk}/" not in client.get(f"/hazards/{hazard.pk}/").content.decode()
    client.force_login(org.users.staff)
    assert f"/inspections/{inspection.pk}/" in client.get(f"/hazards/{hazard.pk}/").content.decode()
