"""Checklist versioning (a published version never changes; inspections keep theirs) and the
checklist pages: who may read and edit, the draft editor, import through the browser, export."""

import io
from decimal import Decimal

import pytest
import yaml
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from safecampus.core.errors import Conflict
from safecampus.inspections import services
from safecampus.inspections.models import (
    ChecklistItem,
    ChecklistSection,
    ChecklistTemplate,
    ChecklistVersion,
    Scoring,
)
from safecampus.inspections.services import ItemData

from .helpers import answer_all, login, messages_of, published_checklist, signature_png

pytestmark = pytest.mark.django_db


def _codes(version) -> list[str]:
    return list(version.items.order_by("position").values_list("code", flat=True))


# --- versioning ------------------------------------------------------------------------------
def test_a_published_version_refuses_every_change(org):
    # given a published version
    version = published_checklist(org.users.admin, items=2)
    item = version.items.get(code="1.1")
    section = version.sections.get()
    # when the office tries to change it, then each change is a conflict and nothing changes
    message = "Version 1 is published and can no longer change; start a new version to edit it."
    with pytest.raises(Conflict) as error:
        services.item_save(actor=org.users.admin, version_id=version.pk, section_id=section.pk,
                           data=ItemData(code="1.9", text="新增"))
    assert error.value.message == message
    with pytest.raises(Conflict):
        services.item_save(actor=org.users.admin, version_id=version.pk, section_id=section.pk,
                           data=ItemData(code="1.1", text="改过的"), item_id=item.pk)
    with pytest.raises(Conflict):
        services.item_delete(actor=org.users.admin, item_id=item.pk)
    with pytest.raises(Conflict):
        services.section_add(actor=org.users.admin, version_id=version.pk, title="新分类")
    with pytest.raises(Conflict):
        services.version_publish(actor=org.users.admin, version_id=version.pk)
    assert _codes(version) == ["1.1", "1.2"]
    assert version.items.get(code="1.1").text == item.text
    assert version.sections.count() == 1


def test_a_new_version_copies_the_items_and_publishing_it_supersedes_the_old(org):
    v1 = published_checklist(org.users.admin, items=3, scoring=Scoring.SCORED, points="5")
    # when a new version is started from the published one
    v2 = services.version_new_draft(actor=org.users.admin, template_id=v1.template_id)
    # then it is draft 2 with copies of the items (same codes, texts, scores; new rows)
    assert (v2.number, v2.state) == (2, ChecklistVersion.State.DRAFT)
    assert _codes(v2) == ["1.1", "1.2", "1.3"]
    assert set(v2.items.values_list("points", flat=True)) == {Decimal("5")}
    assert not set(v2.items.values_list("pk", flat=True)) & set(v1.items.values_list("pk", flat=True))
    # and asking again opens the same draft
    assert services.version_new_draft(actor=org.users.admin, template_id=v1.template_id) == v2
    # when the draft is changed and published
    services.item_delete(actor=org.users.admin, item_id=v2.items.get(code="1.3").pk)
    services.version_publish(actor=org.users.admin, version_id=v2.pk)
    v1.refresh_from_db()
    # then v2 is current, v1 superseded and unchanged
    assert v1.state == ChecklistVersion.State.RETIRED
    assert services.version_current(v1.template) == v2
    assert _codes(v1) == ["1.1", "1.2", "1.3"] and _codes(v2) == ["1.1", "1.2"]


def test_an_inspection_keeps_the_version_it_started_with(org):
    # given an inspection started on v1
    v1 = published_checklist(org.users.admin, items=3)
    inspection = services.inspection_start(actor=org.users.staff, place_id=org.place_a.pk,
                                           template_id=v1.template_id)
    # when v2 (with one item fewer) is published meanwhile
    v2 = services.version_new_draft(actor=org.users.admin, template_id=v1.template_id)
    services.item_delete(actor=org.users.admin, item_id=v2.items.get(code="1.3").pk)
    services.version_publish(actor=org.users.admin, version_id=v2.pk)
    # then the inspection still goes through v1's three items and is finished on them
    answer_all(inspection, org.users.staff, fails={"1.3": "灭火器过期"})
    services.inspection_submit(actor=org.users.staff, inspection_id=inspection.pk,
                               signer_name="王老师", signature=signature_png())
    inspection.refresh_from_db()
    assert inspection.version_id == v1.pk
    assert (inspection.items_total, inspection.items_failed) == (3, 1)
    # and v2's items are refused for it
    with pytest.raises(services.DomainError):
        services.result_record(actor=org.users.staff, inspection_id=inspection.pk,
                               item_id=v2.items.first().pk, outcome="complies")
    # while a new inspection uses v2
    fresh = services.inspection_start(actor=org.users.staff, place_id=org.place_b.pk,
                                      template_id=v1.template_id)
    assert fresh.version_id == v2.pk


# --- permissions ---------------------------------------------------------------------------------
@pytest.mark.parametrize("who", ["student", "guard", "police"])
def test_people_outside_the_office_units_and_leadership_cannot_see_checklists(org, client, who):
    version = published_checklist(org.users.admin)
    login(client, getattr(org.users, who))
    assert client.get(reverse("inspections:checklist_list")).status_code == 403
    assert client.get(reverse("inspections:checklist_detail",
                              args=[version.template_id])).status_code == 403
    assert client.get(reverse("inspections:checklist_export",
                              args=[version.pk, "xlsx"])).status_code == 403


@pytest.mark.parametrize("who", ["contact_a", "leader_a", "leadership"])
def test_units_and_leadership_read_published_versions_but_cannot_edit(org, client, who):
    # given a template with a published v1 and a draft v2
    v1 = published_checklist(org.users.admin)
    v2 = services.version_new_draft(actor=org.users.admin, template_id=v1.template_id)
    login(client, getattr(org.users, who))
    # then they see the list and v1, without edit controls or the draft
    listing = client.get(reverse("inspections:checklist_list"))
    assert listing.status_code == 200 and "实验室安全检查表" in listing.content.decode()
    page = client.get(reverse("inspections:checklist_detail", args=[v1.template_id]))
    html = page.content.decode()
    assert page.status_code == 200 and page.context["version"] == v1
    assert [v.number for v in page.context["versions"]] == [1]
    assert "Add item" not in html and "Start a new version" not in html
    assert "Publish…" not in html and "Delete" not in html
    assert client.get(reverse("inspections:checklist_detail", args=[v1.template_id]),
                      {"v": 2}).context["version"] == v1
    # and every editing address is refused, changing nothing
    item = v2.items.first()
    refused = [
        client.get(reverse("inspections:checklist_new")),
        client.post(reverse("inspections:checklist_new"), {"code": "x", "name": "x",
                                                           "kind": "general"}),
        client.post(reverse("inspections:checklist_item_new", args=[v2.pk]),
                    {"code": "9", "text": "x", "section": item.section_id}),
        client.post(reverse("inspections:checklist_item_edit", args=[item.pk]),
                    {"code": "9", "text": "x", "section": item.section_id}),
        client.post(reverse("inspections:checklist_item_delete", args=[item.pk])),
        client.post(reverse("inspections:checklist_section_add", args=[v2.pk]), {"title": "x"}),
        client.post(reverse("inspections:checklist_version_publish", args=[v2.pk])),
        client.post(reverse("inspections:checklist_version_draft", args=[v1.template_id])),
        client.get(reverse("inspections:checklist_import")),
        client.get(reverse("inspections:checklist_export", args=[v2.pk, "csv"])),
    ]
    assert [r.status_code for r in refused] == [403] * 9 + [404]
    assert ChecklistTemplate.objects.count() == 1
    assert _codes(v2) == ["1.1", "1.2", "1.3"] and v2.sections.count() == 1
    v2.refresh_from_db()
    assert v2.state == ChecklistVersion.State.DRAFT


def test_list_page_queries_do_not_grow_with_templates(org, client, django_assert_max_num_queries):
    for n in range(12):
        version = published_checklist(org.users.admin, code=f"t{n}", name=f"检查表{n}")
        services.version_new_draft(actor=org.users.admin, template_id=version.template_id)
    login(client, org.users.staff)
    with django_assert_max_num_queries(8):
        page = client.get(reverse("inspections:checklist_list"))
    assert page.status_code == 200
    rows = list(page.context["page"])
    assert len(rows) == 12
    assert {(r.published_number, r.draft_number) for r in rows} == {(1, 2)}


def test_detail_page_queries_do_not_grow_with_items(org, client, django_assert_max_num_queries):
    version = published_checklist(org.users.admin, items=40, category_id=org.fire.pk)
    login(client, org.users.staff)
    with django_assert_max_num_queries(10):
        page = client.get(reverse("inspections:checklist_detail", args=[version.template_id]))
    assert page.context["item_count"] == 40


# --- the draft editor through the pages ---------------------------------------------------------------
def test_office_builds_publishes_and_revises_a_checklist_through_the_pages(org, client):
    login(client, org.users.staff)
    # when the office creates a checklist
    response = client.post(reverse("inspections:checklist_new"), {
        "code": "fire-2026", "name": "消防安全检查表", "kind": "fire", "description": "每月"})
    template = ChecklistTemplate.objects.get(code="fire-2026")
    draft = template.versions.get()
    assert response.url == reverse("inspections:checklist_detail", args=[template.pk]) + "?v=1"
    # then the draft shows its edit controls
    page = client.get(response.url)
    assert page.context["editable"] is True
    assert "Add item" in page.content.decode()
    # when it adds a section and two items (one a veto item with a category)
    client.post(reverse("inspections:checklist_section_add", args=[draft.pk]),
                {"code": "2", "title": "消防设施"})
    section = draft.sections.get(code="2")
    first = client.post(reverse("inspections:checklist_item_new", args=[draft.pk]), {
        "code": "2.1", "section": section.pk, "text": "灭火器在有效期内", "basis": "GB 50140",
        "hazard_category": org.fire.pk, "hazard_grade": "major", "is_veto": "on",
        "scoring": "scored", "points": "10"})
    assert first.status_code == 302
    client.post(reverse("inspections:checklist_item_new", args=[draft.pk]), {
        "code": "2.2", "section": section.pk, "text": "疏散通道畅通", "hazard_grade": "general",
        "scoring": "none", "points": ""})
    item = draft.items.get(code="2.1")
    assert (item.hazard_category_id, item.hazard_grade, item.is_veto, item.scoring,
            item.points, item.basis) == (org.fire.pk, "major", True, "scored", Decimal("10"),
                                         "GB 50140")
    # and a duplicate code is refused beside the field, with what was typed kept (400)
    clash = client.post(reverse("inspections:checklist_item_new", args=[draft.pk]), {
        "code": "2.1", "section": section.pk, "text": "重复", "hazard_grade": "general",
        "scoring": "none"})
    assert clash.status_code == 400
    assert clash.context["form"].errors["code"] == [
        "Item code “2.1” is used already in this version."]
    # when it edits and deletes
    client.post(reverse("inspections:checklist_item_edit", args=[item.pk]), {
        "code": "2.1", "section": section.pk, "text": "灭火器压力正常、在有效期内",
        "hazard_grade": "major", "scoring": "scored", "points": "8"})
    client.post(reverse("inspections:checklist_item_delete",
                        args=[draft.items.get(code="2.2").pk]))
    item.refresh_from_db()
    assert (item.text, item.points, item.is_veto) == ("灭火器压力正常、在有效期内", Decimal("8"), False)
    assert _codes(draft) == ["2.1"]
    # when it publishes
    published = client.post(reverse("inspections:checklist_version_publish", args=[draft.pk]))
    assert messages_of(published)[-1] == "Version 1 is published; new inspections use it."
    draft.refresh_from_db()
    assert draft.state == ChecklistVersion.State.PUBLISHED and draft.published_by == org.users.staff
    # then the page shows no edit controls, only "start a new version"
    html = client.get(published.url).content.decode()
    assert "Add item" not in html and "Start a new version" in html
    # and a stale form posted to the published version is refused with a message, not a 500
    stale = client.post(reverse("inspections:checklist_item_new", args=[draft.pk]), {
        "code": "2.9", "section": section.pk, "text": "迟到的修改", "hazard_grade": "general",
        "scoring": "none"}, follow=True)
    assert stale.status_code == 200
    assert messages_of(stale) == ["Version 1 is published and can no longer change; start a new "
                                "version to edit it."]
    stale = client.post(reverse("inspections:checklist_item_delete", args=[item.pk]),
                        follow=True)
    assert "can no longer change" in messages_of(stale)[0]
    assert client.get(reverse("inspections:checklist_item_edit", args=[item.pk])).status_code == 302
    assert _codes(draft) == ["2.1"]
    # when it starts a new version, then a draft v2 copies the items
    new = client.post(reverse("inspections:checklist_version_draft", args=[template.pk]))
    v2 = template.versions.get(number=2)
    assert new.url.endswith("?v=2") and _codes(v2) == ["2.1"]


def test_publishing_an_empty_draft_says_why(org, client):
    login(client, org.users.admin)
    version = services.template_create(actor=org.users.admin, code="empty", name="空表")
    response = client.post(reverse("inspections:checklist_version_publish", args=[version.pk]),
                           follow=True)
    assert messages_of(response) == ["Add at least one item before publishing."]
    version.refresh_from_db()
    assert version.state == ChecklistVersion.State.DRAFT


def test_a_taken_code_is_shown_on_the_new_checklist_form(org, client):
    published_checklist(org.users.admin, code="lab")
    login(client, org.users.admin)
    response = client.post(reverse("inspections:checklist_new"),
                           {"code": "lab", "name": "x", "kind": "general"})
    assert response.status_code == 400
    assert response.context["form"].errors["code"] == ["A checklist with this code exists already."]


# --- import and export through the pages ---------------------------------------------------------------
def _file(name: str, content: bytes | str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content.encode() if isinstance(content, str) else content)


def test_office_imports_the_dormitory_sheet_through_the_pages(org, client, shared_data):
    path = shared_data / ("lab-checklist/dormitory_inspection_scoring_items_"
                          "KnowledgeAndAction_Dormitory.csv")
    login(client, org.users.staff)
    # when the office uploads the sheet
    upload = client.post(reverse("inspections:checklist_import"),
                         {"file": _file(path.name, path.read_bytes())})
    assert upload.status_code == 302
    # then the mapping step suggests the columns
    step = client.get(upload.url)
    form = step.context["form"]
    assert {k: form[f"col_{k}"].initial for k in ("code", "scoring", "text", "points", "basis")} \
        == {"code": "0", "scoring": "1", "text": "2", "points": "3", "basis": ""}
    mapping = {"col_code": "0", "col_scoring": "1", "col_text": "2", "col_points": "3",
               "code": "dorm", "name": "学生宿舍检查评分表", "kind": "dormitory"}
    # when it asks for a preview, then it sees the computed section and the first items
    preview = client.post(upload.url, {**mapping, "preview": "1"})
    assert preview.status_code == 200 and preview.context["preview_total"] == 24
    assert [s.title for s in preview.context["preview"].sections] == ["Check items"]
    assert [i["code"] for i in preview.context["preview_items"]] == [str(n) for n in range(1, 11)]
    assert not ChecklistTemplate.objects.exists()
    # when it imports and publishes
    done = client.post(upload.url, {**mapping, "publish": "on", "import": "1"})
    version = ChecklistVersion.objects.get(template__code="dorm")
    assert done.url.endswith(f"?v={version.number}")
    assert messages_of(done) == ["24 items imported as version 1 of “学生宿舍检查评分表”."]
    assert version.state == ChecklistVersion.State.PUBLISHED
    assert version.items.filter(scoring=Scoring.DEDUCTION, points=20).count() == 5
    # and the upload is gone from the session: the step answers 404
    assert client.get(upload.url).status_code == 404


def test_import_adds_a_new_version_to_an_existing_checklist(org, client):
    v1 = published_checklist(org.users.admin, code="lab", items=2)
    login(client, org.users.admin)
    upload = client.post(reverse("inspections:checklist_import"), {"file": _file(
        "lab.csv", "分类,编号,检查内容,分值\n1 消防,1.1,通道畅通,5\n,1.2,灭火器有效,5\n"
                   "2 用电,2.1,无私拉电线,10\n")})
    done = client.post(upload.url, {"col_section": "0", "col_code": "1", "col_text": "2",
                                    "col_points": "3", "template": v1.template_id,
                                    "kind": "general", "import": "1"})
    assert done.status_code == 302
    v2 = ChecklistVersion.objects.get(template=v1.template, number=2)
    assert v2.state == ChecklistVersion.State.DRAFT
    assert list(v2.sections.values_list("code", "title")) == [("1", "消防"), ("2", "用电")]
    assert _codes(v2) == ["1.1", "1.2", "2.1"]
    assert _codes(v1) == ["1.1", "1.2"]


def test_a_malformed_sheet_lists_each_line_and_imports_nothing(org, client):
    login(client, org.users.admin)
    upload = client.post(reverse("inspections:checklist_import"), {"file": _file(
        "bad.csv", "编号,检查内容,类型,分值\n1,地面洁净,得分项,10\n1,床下洁净,得分项,十\n2,,得分项,5\n")})
    response = client.post(upload.url, {"col_code": "0", "col_text": "1", "col_scoring": "2",
                                        "col_points": "3", "code": "dorm", "name": "宿舍",
                                        "kind": "dormitory", "import": "1"})
    assert response.status_code == 400
    assert response.context["problems"] == [
        "Line 3: Points must be a number, not “十”.",
        "Line 3: Item code “1” appears twice (also on line 2).",
        "Line 4: The check point text is missing.",
    ]
    assert "Nothing was imported." in response.content.decode()
    assert not ChecklistTemplate.objects.exists() and not ChecklistItem.objects.exists()


def test_bad_yaml_is_refused_on_upload_with_its_line(org, client):
    login(client, org.users.admin)
    response = client.post(reverse("inspections:checklist_import"), {"file": _file(
        "lab.yaml", "code: lab\nname: 实验室\nsections:\n  - title: [一\n")})
    assert response.status_code == 400
    [problem] = response.context["problems"]
    assert problem == ("Line 4: A list in square brackets is not closed with “]”, or a comma "
                       "is missing between its entries.")
    assert not ChecklistTemplate.objects.exists() and not ChecklistSection.objects.exists()


def test_yaml_export_imports_back_as_a_new_checklist_through_the_pages(org, client):
    version = published_checklist(org.users.admin, code="lab", items=3, veto="1.2",
                                  category_id=org.fire.pk, scoring=Scoring.SCORED, points="5")
    login(client, org.users.admin)
    exported = client.get(reverse("inspections:checklist_export", args=[version.pk, "yaml"]))
    assert exported["Content-Type"] == "application/yaml; charset=utf-8"
    doc = yaml.safe_load(exported.content)
    assert doc["code"] == "lab" and doc["sections"][0]["items"][1]["veto"] is True
    doc["code"], doc["name"] = "lab-copy", "实验室安全检查表（副本）"
    upload = client.post(reverse("inspections:checklist_import"), {"file": _file(
        "lab.yaml", yaml.safe_dump(doc, allow_unicode=True))})
    step = client.get(upload.url)
    assert step.context["form"]["code"].initial == "lab-copy"
    client.post(upload.url, {"code": "lab-copy", "name": "实验室安全检查表（副本）", "kind": "general",
                             "import": "1"})
    copy = ChecklistVersion.objects.get(template__code="lab-copy")
    assert services.version_sections(copy) == services.version_sections(version)


def test_excel_and_csv_exports_of_a_version(org, client):
    version = published_checklist(org.users.admin, code="lab", items=2)
    login(client, org.users.contact_a)
    xlsx = client.get(reverse("inspections:checklist_export", args=[version.pk, "xlsx"]))
    assert xlsx.status_code == 200
    assert "filename*=UTF-8''" in xlsx["Content-Disposition"]
    rows = list(load_workbook(io.BytesIO(xlsx.content)).active.iter_rows(values_only=True))
    assert rows[1][:4] == ("1", "安全设施", "1.1", "检查项1：消防通道畅通")
    csv = client.get(reverse("inspections:checklist_export", args=[version.pk, "csv"]))
    assert csv.content.decode("utf-8").splitlines()[2].startswith("1,安全设施,1.2,检查项2")
    assert client.get(reverse("inspections:checklist_export",
                              args=[version.pk, "pdf"])).status_code == 404


# --- points are a magnitude: never negative, above 0 when the item is scored -------------------
NEGATIVE = ("Points cannot be negative: write them as a positive number (a deduction item's "
            "points are what it takes off).")
NEEDED = ("A scored, bonus or deduction item needs points above 0 (choose “Not scored” for an "
          "item without points).")


@pytest.mark.parametrize(("scoring", "points", "message"), [
    ("scored", "-5", NEGATIVE),
    ("deduction", "-5", NEGATIVE),
    ("none", "-1", NEGATIVE),
    ("scored", "0", NEEDED),
    ("bonus", "", NEEDED),
    ("deduction", "0", NEEDED),
], ids=["scored-negative", "deduction-negative", "unscored-negative", "scored-zero",
        "bonus-empty", "deduction-zero"])
def test_the_item_form_refuses_negative_or_missing_points_beside_the_field(
        org, client, scoring, points, message):
    # given a draft with a section
    draft = services.template_create(actor=org.users.staff, code="dorm", name="宿舍评分表")
    section = draft.sections.get()
    login(client, org.users.staff)
    # when the office saves an item with such points
    response = client.post(reverse("inspections:checklist_item_new", args=[draft.pk]), {
        "code": "1", "section": section.pk, "text": "地面洁净", "hazard_grade": "general",
        "scoring": scoring, "points": points})
    # then it is refused beside the points field and nothing is saved
    assert response.status_code == 400
    assert response.context["form"].errors["points"] == [message]
    assert not draft.items.exists()


def test_item_save_refuses_negative_points_even_past_the_form(org):
    # given a draft (the service is what the API and any other entry point call)
    draft = services.template_create(actor=org.users.staff, code="dorm", name="宿舍评分表")
    section = draft.sections.get()
    # when an item of -5 points comes in, then it is refused on the points field
    with pytest.raises(services.DomainError) as error:
        services.item_save(actor=org.users.staff, version_id=draft.pk, section_id=section.pk,
                           data=ItemData("1", "地面洁净", scoring=Scoring.SCORED,
                                         points=Decimal("-5")))
    assert error.value.field_errors == {"points": [NEGATIVE]}
    assert not draft.items.exists()


def test_the_database_refuses_a_negative_item_whatever_writes_it(org):
    from django.db import IntegrityError, transaction

    version = published_checklist(org.users.admin, code="lab", items=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        version.items.update(points=Decimal("-5"))


def test_a_scored_item_earns_its_points_toward_a_max_made_of_positive_points(org):
    # given a scored item of 5 and one of 5 (what "-5 and +5" must be written as now)
    version = published_checklist(org.users.admin, code="dorm", items=2,
                                  scoring=Scoring.SCORED, points="5")
    inspection = services.inspection_start(actor=org.users.staff, place_id=org.place_a.pk,
                                           template_id=version.template_id)
    # when one complies and one fails
    answer_all(inspection, org.users.staff, fails={"1.1": "地面有垃圾"})
    figures = services.inspection_figures(inspection)
    # then the score is 5 of 10
    assert (figures.score, figures.max_score) == (Decimal("5"), Decimal("10"))


@pytest.mark.parametrize("code", ["实验室", "lab 2026", "lab.2026"])
def test_a_checklist_code_with_other_characters_says_what_a_code_may_hold(org, client, code):
    login(client, org.users.staff)
    response = client.post(reverse("inspections:checklist_new"),
                           {"code": code, "name": "实验室安全检查表", "kind": "general"})
    assert response.status_code == 400
    assert response.context["form"].errors["code"] == [
        "The code may contain only English letters, digits, hyphens (-) and underscores (_), "
        "with no spaces or Chinese characters, e.g. lab-2026."]
    assert not ChecklistTemplate.objects.exists()


def test_the_checklist_list_heads_its_name_column_with_the_word_for_a_things_name(org, client):
    from django.conf import settings
    from django.utils import translation

    published_checklist(org.users.admin, code="lab")
    client.force_login(org.users.staff)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    with translation.override("zh-hans"):
        html = client.get(reverse("inspections:checklist_list")).content.decode()
    assert "<th>名称</th>" in html and "姓名" not in html
