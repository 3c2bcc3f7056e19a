"""The fraud case library: the seed (idempotent, keeps staff edits), types (create, edit,
reorder, deactivate), anonymised cases (mobile and ID numbers refused), publishing rules,
and the reading pages (index, type, case, search) with who sees what."""

import datetime as dt

import pytest
from django.conf import settings
from django.core.management import call_command
from django.urls import reverse

from safecampus.core import clock
from safecampus.core.activity import activity_for
from safecampus.core.errors import Conflict, DomainError, NotAllowed
from safecampus.education.forms.library import FraudCaseForm
from safecampus.education.models import FraudCase, FraudType
from safecampus.education.selectors import library as selectors
from safecampus.education.services import library as services
from safecampus.education.taxonomy import FRAUD_TYPES, GROUPS
from safecampus.tests.pages import login, messages_of, text_of

from .library_helpers import NOW, case, english, taxonomy_fixture  # noqa: F401

pytestmark = pytest.mark.usefixtures("english")


# --- seed -------------------------------------------------------------------------------------
def test_the_taxonomy_has_the_common_types_with_points_and_the_hotline():
    codes = [t["code"] for t in FRAUD_TYPES]
    assert len(codes) == len(set(codes)) == 13
    names = {t["name"] for t in FRAUD_TYPES}
    assert {"刷单返利", "冒充公检法", "网络婚恋交友（杀猪盘）", "助学金/补助类"} <= names
    for entry in FRAUD_TYPES:
        assert entry["group"] in GROUPS
        for key in ("tactics", "red_flags", "advice"):
            assert len(entry[key].splitlines()) >= 3, (entry["code"], key)
        assert "96110" in entry["advice"] or "110" in entry["advice"], entry["code"]


def test_the_seed_creates_missing_types_only_and_keeps_staff_edits(org):
    first = services.fraud_types_seed()
    assert first == {"created": 13, "kept": 0}
    brushing = FraudType.objects.get(code="brushing")
    services.fraud_type_update(actor=org.users.staff, type_id=brushing.pk, code="brushing",
                               name="刷单返利类", summary="Edited by the office.")
    services.fraud_type_set_active(actor=org.users.staff, type_id=FraudType.objects.get(
        code="loan").pk, active=False)
    FraudType.objects.filter(code="shopping").delete()
    call_command("fraud_types_seed", stdout=open("/dev/null", "w"))
    assert FraudType.objects.count() == 13
    brushing.refresh_from_db()
    assert brushing.name == "刷单返利类" and brushing.summary == "Edited by the office."
    assert not FraudType.objects.get(code="loan").is_active
    shopping = FraudType.objects.get(code="shopping")
    assert shopping.position > FraudType.objects.exclude(code="shopping").order_by(
        "-position").first().position
    assert services.fraud_types_seed() == {"created": 0, "kept": 13}
    assert FraudType.objects.count() == 13


# --- types ------------------------------------------------------------------------------------
def test_types_are_created_edited_reordered_and_deactivated_by_the_office(org, taxonomy):
    with pytest.raises(NotAllowed):
        services.fraud_type_create(actor=org.users.student, code="x_type", name="X")
    with pytest.raises(DomainError) as caught:
        services.fraud_type_create(actor=org.users.staff, code="Bad Code!", name="刷单返利",
                                   tactics="a")
    assert caught.value.field_errors == {
        "code": ["2–32 lower-case letters, digits or “_”, starting with a letter."],
        "name": ["Another fraud type has this name."]}
    new = services.fraud_type_create(actor=org.users.staff, code="sextortion", name="裸聊敲诈",
                                     tactics="  one \r\n\r\n two  \n", advice="call 110")
    assert new.tactics == "one\ntwo" and new.is_active
    assert list(FraudType.objects.order_by("position").values_list("code", flat=True))[-1] \
        == "sextortion"
    services.fraud_type_move(actor=org.users.staff, type_id=new.pk, direction="up")
    order = list(FraudType.objects.order_by("position").values_list("code", flat=True))
    assert order[-2:] == ["sextortion", "grant_subsidy"]
    first = FraudType.objects.order_by("position").first()
    services.fraud_type_move(actor=org.users.staff, type_id=first.pk, direction="up")
    assert FraudType.objects.order_by("position").first() == first  # nothing above it
    services.fraud_type_set_active(actor=org.users.staff, type_id=new.pk, active=False)
    with pytest.raises(Conflict) as caught:
        services.fraud_type_set_active(actor=org.users.staff, type_id=new.pk, active=False)
    assert caught.value.message == "This fraud type is already inactive."
    assert new.pk not in [t.pk for t in selectors.fraud_types_for_readers()]
    verbs = [e.verb for e in activity_for(new)]
    assert verbs == ["education.fraud_type_create", "education.fraud_type_move",
                     "education.fraud_type_deactivate"]


# --- cases: anonymisation and publishing ------------------------------------------------------
@pytest.mark.parametrize("field, text, message", [
    ("story", "她的手机号13812345678被骗子要走了",
     "Remove the mobile phone number (138****5678) or mask it like 138****5678: cases must "
     "not identify anyone."),
    ("story", "联系 139-1234-5678 的人", "Remove the mobile phone number (139****5678) or mask "
     "it like 138****5678: cases must not identify anyone."),
    ("lesson", "全角号码１５０１２３４５６７８也不行", "Remove the mobile phone number "
     "(150****5678) or mask it like 138****5678: cases must not identify anyone."),
    ("victim_profile", "身份证61010219990101123X", "Remove the ID card number "
     "(6101**********123X): cases must not identify anyone."),
    ("title", "学生 110101200001011234 被骗", "Remove the ID card number "
     "(1101**********1234): cases must not identify anyone."),
])
def test_a_case_with_a_mobile_or_id_number_is_refused_at_its_field(org, taxonomy, field, text,
                                                                  message):
    values = {"title": "标题", "story": "经过", field: text}
    with clock.frozen(NOW), pytest.raises(DomainError) as caught:
        services.fraud_case_create(actor=org.users.staff, fraud_type_id=taxonomy["loan"].pk,
                                   **values)
    assert caught.value.field_errors == {field: [message]}
    assert not FraudCase.objects.exists()


def test_masked_numbers_amounts_and_dates_pass_the_anonymisation_check():
    for text in ("号码138****5678", "损失12800元", "2025年11月3日晚上", "订单号 2025110312345",
                 "客服电话 400-123-4567", "96110", "卡号后四位1234"):
        assert services.personal_number_problem(text) is None, text


def test_publish_rules(org, taxonomy):
    with clock.frozen(NOW):
        draft = case(org, taxonomy["brushing"], loss_amount="12800",
                     occurred_on=dt.date(2026, 1, 5))
    assert not draft.is_published and draft.loss_amount == 12800
    with pytest.raises(NotAllowed):
        services.fraud_case_publish(actor=org.users.student, case_id=draft.pk)
    with clock.frozen(NOW):
        services.fraud_case_publish(actor=org.users.staff, case_id=draft.pk)
    draft.refresh_from_db()
    assert draft.is_published and draft.published_at == NOW
    with pytest.raises(Conflict) as caught:
        services.fraud_case_publish(actor=org.users.staff, case_id=draft.pk)
    assert caught.value.message == "This case is already published."
    services.fraud_case_unpublish(actor=org.users.staff, case_id=draft.pk, reason="outdated")
    with pytest.raises(Conflict) as caught:
        services.fraud_case_unpublish(actor=org.users.staff, case_id=draft.pk)
    assert caught.value.message == "This case is not published."
    # A case typed in before the check (e.g. in the admin) is refused at publishing.
    FraudCase.objects.filter(pk=draft.pk).update(story="电话13912345678")
    with pytest.raises(DomainError) as caught:
        services.fraud_case_publish(actor=org.users.staff, case_id=draft.pk)
    assert "story" in caught.value.field_errors
    FraudCase.objects.filter(pk=draft.pk).update(story="电话139****5678")
    services.fraud_type_set_active(actor=org.users.staff, type_id=taxonomy["brushing"].pk,
                                   active=False)
    with pytest.raises(Conflict) as caught:
        services.fraud_case_publish(actor=org.users.staff, case_id=draft.pk)
    assert caught.value.message == ("The case's fraud type “刷单返利” is inactive: choose an "
                                    "active type first.")
    verbs = [(e.verb, e.from_state, e.to_state) for e in activity_for(draft)]
    assert verbs == [("education.fraud_case_create", "", "draft"),
                     ("education.fraud_case_publish", "draft", "published"),
                     ("education.fraud_case_unpublish", "published", "draft")]


def test_case_input_is_checked_and_nothing_is_written(org, taxonomy):
    with clock.frozen(NOW), pytest.raises(DomainError) as caught:
        services.fraud_case_create(actor=org.users.staff, fraud_type_id=999999, title="",
                                   story=" ", occurred_on=dt.date(2026, 3, 11),
                                   loss_amount="-1")
    assert caught.value.field_errors == {
        "fraud_type": ["Choose the fraud type."], "occurred_on": ["The date cannot be in the "
                                                                  "future."],
        "loss_amount": ["Enter an amount from 0 to 10,000,000 yuan."],
        "title": ["Give the case a title."], "story": ["Tell what happened."]}
    services.fraud_type_set_active(actor=org.users.staff, type_id=taxonomy["loan"].pk,
                                   active=False)
    with pytest.raises(DomainError) as caught:
        case(org, taxonomy["loan"])
    assert caught.value.field_errors == {"fraud_type": ["This fraud type is inactive."]}
    assert not FraudCase.objects.exists()


# --- pages ------------------------------------------------------------------------------------
def _published(org, fraud_type, **kwargs):
    made = case(org, fraud_type, **kwargs)
    return services.fraud_case_publish(actor=org.users.staff, case_id=made.pk)


def test_readers_see_active_types_and_published_cases_only(client, org, taxonomy):
    shown = _published(org, taxonomy["brushing"], title="刷单垫付三次后被拉黑")
    draft = case(org, taxonomy["brushing"], title="还没发布的草稿")
    login(client, org.users.student)
    text = text_of(client.get(reverse("education:library")))
    assert "刷单返利" in text and "冒充公检法" in text and "刷单垫付三次后被拉黑" in text
    response = client.get(reverse("education:fraud_type", args=["brushing"]))
    text = text_of(response)
    assert response.status_code == 200
    assert "How it works" in text and "Red flags" in text and "What to do" in text
    assert "要先垫钱才能拿佣金" in text and "96110" in text
    assert "刷单垫付三次后被拉黑" in text and "还没发布的草稿" not in text
    assert client.get(reverse("education:fraud_case", args=[shown.pk])).status_code == 200
    assert client.get(reverse("education:fraud_case", args=[draft.pk])).status_code == 404
    services.fraud_type_set_active(actor=org.users.staff, type_id=taxonomy["brushing"].pk,
                                   active=False)
    assert client.get(reverse("education:fraud_type", args=["brushing"])).status_code == 404
    assert client.get(reverse("education:fraud_case", args=[shown.pk])).status_code == 404
    assert client.get(reverse("education:library_manage")).status_code == 403
    login(client, org.users.staff)
    assert client.get(reverse("education:fraud_type", args=["brushing"])).status_code == 200
    assert client.get(reverse("education:fraud_case", args=[draft.pk])).status_code == 200


def test_the_reading_pages_are_open_signed_out_and_the_office_pages_are_not(client, org,
                                                                           taxonomy):
    shown = _published(org, taxonomy["brushing"], title="刷单垫付三次后被拉黑",
                       victim_profile="大一学生")
    draft = case(org, taxonomy["brushing"], title="还没发布的草稿")
    # Given nobody signed in (the checker's result links to the type pages), reading English
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    pages = {"index": reverse("education:library"),
             "type": reverse("education:fraud_type", args=["brushing"]),
             "case": reverse("education:fraud_case", args=[shown.pk]),
             "search": reverse("education:library_search") + "?q=垫付"}
    texts = {}
    for name, url in pages.items():
        response = client.get(url)
        assert response.status_code == 200, name
        texts[name] = text_of(response)
        html = response.content.decode()
        # no report button, an offer to sign in instead, no signed-in menu
        assert 'id="report-fraud"' not in html, name
        assert "Sign out" not in texts[name] and "Inbox" not in texts[name], name
    assert "刷单返利" in texts["index"] and "刷单垫付三次后被拉黑" in texts["index"]
    assert "要先垫钱才能拿佣金" in texts["type"] and "还没发布的草稿" not in texts["type"]
    assert "刷单垫付三次后被拉黑" in texts["case"] and "大一学生" in texts["case"]
    assert "Timeline" not in texts["case"] and org.users.staff.username not in texts["case"]
    assert "刷单垫付三次后被拉黑" in texts["search"]
    for name in ("index", "type", "case"):
        assert "Sign in to report fraud" in texts[name], name
    assert client.get(reverse("education:fraud_case", args=[draft.pk])).status_code == 404
    # the office's pages still need signing in
    for url in (reverse("education:library_manage"), reverse("education:fraud_type_create"),
                reverse("education:fraud_case_create"),
                reverse("education:fraud_case_edit", args=[shown.pk]),
                reverse("education:fraud_report"), reverse("education:fraud_statistics")):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], url
    response = client.post(reverse("education:fraud_case_publish", args=[shown.pk]),
                           {"publish": "0"})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    shown.refresh_from_db()
    assert shown.is_published


def test_search_finds_titles_stories_and_types(client, org, taxonomy):
    _published(org, taxonomy["police_impersonation"], title="“警官”视频里出示通缉令",
               story="对方要求把钱转到安全账户。")
    _published(org, taxonomy["game_trade"], title="买游戏皮肤被骗", story="私下交易。")
    login(client, org.users.student)
    text = text_of(client.get(reverse("education:library_search"), {"q": "安全账户"}))
    assert "“警官”视频里出示通缉令" in text and "买游戏皮肤被骗" not in text
    assert "冒充公检法" in text  # its red flags mention 安全账户
    text = text_of(client.get(reverse("education:library_search"), {"q": "没有这个词"}))
    assert "No case mentions “没有这个词”." in text
    response = client.get(reverse("education:library_search"), {"q": "x" * 500})
    assert response.status_code == 200


def test_the_type_page_query_count_does_not_grow_with_cases(client, org, taxonomy,
                                                           django_assert_max_num_queries):
    _published(org, taxonomy["loan"])
    login(client, org.users.student)
    url = reverse("education:fraud_type", args=["loan"])
    with django_assert_max_num_queries(20) as few:
        client.get(url)
    for i in range(8):
        _published(org, taxonomy["loan"], title=f"案例{i}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(url).status_code == 200


def test_the_office_keeps_cases_on_pages_and_a_phone_number_is_refused(client, org, taxonomy):
    login(client, org.users.staff)
    url = reverse("education:fraud_case_create")
    page = text_of(client.get(url))
    assert "Anonymise: no names, student numbers, phone or ID numbers" in page
    response = client.post(url, {"fraud_type": taxonomy["loan"].pk, "title": "网贷被骗",
                                 "story": "联系人 18612345678"})
    assert response.status_code == 400
    assert ("Remove the mobile phone number (186****5678) or mask it like 138****5678"
            in text_of(response))
    assert not FraudCase.objects.exists()
    response = client.post(url, {"fraud_type": taxonomy["loan"].pk, "title": "网贷被骗",
                                 "story": "联系人 186****5678", "loss_amount": "3000"})
    made = FraudCase.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "education:fraud_case", args=[made.pk])
    response = client.post(reverse("education:fraud_case_publish", args=[made.pk]),
                           {"publish": "1"})
    assert messages_of(response)[-1] == "Case published."
    response = client.post(reverse("education:fraud_case_publish", args=[made.pk]),
                           {"publish": "1"})
    assert messages_of(response)[-1] == "This case is already published."
    made.refresh_from_db()
    assert made.is_published
    response = client.post(reverse("education:fraud_type_move", args=[taxonomy["loan"].pk]),
                           {"direction": "sideways"})
    assert messages_of(response)[-1] == "Choose up or down."
    login(client, org.users.student)
    assert client.post(reverse("education:fraud_case_publish", args=[made.pk]),
                       {"publish": "0"}).status_code == 403


def test_a_huge_case_loss_gets_one_range_message_in_the_form_and_the_service(org, taxonomy):
    form = FraudCaseForm({"loss_amount": "1e30"})
    assert form.errors["loss_amount"] == ["Enter an amount from 0 to 10,000,000 yuan."]
    with clock.frozen(NOW), pytest.raises(DomainError) as caught:
        services.fraud_case_create(actor=org.users.staff, fraud_type_id=taxonomy["loan"].pk,
                                   title="t", story="s", occurred_on=dt.date(2026, 3, 1),
                                   loss_amount="1e30")
    assert caught.value.field_errors == {
        "loss_amount": ["Enter an amount from 0 to 10,000,000 yuan."]}
