"""The checker page and API for everyone (signed out too): results with highlights and
advice, empty and huge texts, nothing stored or logged, the per-address rate limit; the
hub card; the office's rule-set pages (list, a version, adding a rule with a bad regular
expression, evaluating an upload, publishing) and who may open them."""

import logging
import re
from urllib.parse import quote

import pytest
from django.apps import apps
from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from safecampus.education.models import CheckerRuleSet
from safecampus.tests.pages import login, messages_of, text_of

from .checker_helpers import _fresh_checker, english, live, no_corpus, taxonomy

FIXTURES = (_fresh_checker, english, live, no_corpus, taxonomy)  # requested by name below

pytestmark = pytest.mark.usefixtures("english", "english_pages")
SCAM = "我是市公安局民警，你名下的银行卡涉嫌洗钱案，请将资金转到安全账户，不要告诉任何人。"
URL = "/education/checker/"
API = "/api/v1/education/checker/check/"


@pytest.fixture
def english_pages(client):
    """Pages (and the API) in English: the language cookie, as a reader who chose English."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


def _rows() -> int:
    return sum(model.objects.count() for model in apps.get_models()
               if model._meta.app_label not in ("sessions", "contenttypes"))


def test_a_signed_out_visitor_checks_a_scam_and_sees_why(client, live):
    page = client.get(URL)
    assert page.status_code == 200 and page["Cache-Control"].startswith("max-age=0")
    response = client.post(URL, {"text": SCAM})
    assert response.status_code == 200
    html = response.content.decode()
    text = text_of(response)
    assert 'data-level="high"' in html
    assert "High risk: very likely a scam" in text
    assert '<mark data-flags="' in html and ">安全账户<sup>" in html
    assert 'data-type="police_impersonation"' in html
    assert reverse("education:fraud_type", args=["police_impersonation"]) in html
    assert "Call the anti-fraud hotline 96110 to check" in text
    assert 'href="tel:96110"' in html
    assert "no-store" in response["Cache-Control"]
    # signed out: no report form carrying the text, a sign-in link to the report form instead
    report = reverse("education:fraud_report")
    assert 'id="checker-report"' not in html and 'name="text" value="' not in html
    assert (f'href="{reverse("accounts:login")}?next={quote(report, safe="/")}"' in html)
    assert "The text you pasted is not carried over" in text
    assert SCAM not in html.split('id="checker-highlight"')[0].split("<textarea")[0]


def test_a_signed_in_reader_reports_by_a_post_that_keeps_the_text_out_of_urls(client, org,
                                                                                live):
    response = login(client, org.users.student).post(URL, {"text": SCAM})
    html = response.content.decode()
    form = html.split('id="checker-report"')[0].rsplit("<form", 1)[1] + html.split(
        'id="checker-report"')[1].split("</form>")[0]
    assert 'method="post"' in form
    assert f'action="{reverse("education:fraud_report")}"' in form
    assert 'name="csrfmiddlewaretoken"' in form
    assert '<input type="hidden" name="from" value="checker">' in form
    assert f'<input type="hidden" name="text" value="{SCAM}">' in form
    # the type the checker found goes along, so the report starts classified
    top = re.search(r'name="fraud_type" value="([a-z_]+)"', form).group(1)
    assert top in html.split('id="checker-types"')[1].split("</ul>")[0]
    assert "checker-report-signin" not in html


def test_the_page_speaks_chinese_unless_english_was_chosen(client, live):
    del client.cookies[settings.LANGUAGE_COOKIE_NAME]
    response = client.post(URL, {"text": SCAM})
    with translation.override("zh-hans"):
        expected = [gettext("High risk: very likely a scam"), gettext("Sign in to report it")]
    assert expected[0] != "High risk: very likely a scam"  # the catalogue has it
    for phrase in expected:
        assert phrase in text_of(response)


def test_the_pasted_text_is_escaped_in_the_highlights(client, live):
    response = client.post(URL, {"text": "<script>alert(1)</script> 刷单 返利 垫付 佣金 兼职任务"})
    html = response.content.decode()
    assert "<script>alert(1)" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_empty_and_huge_texts_get_clear_answers(client, live):
    empty = client.post(URL, {"text": "  \n "})
    assert empty.status_code == 200
    assert "Paste a message to check" in text_of(empty)
    huge = client.post(URL, {"text": "普通的文字。" * 20_000})
    assert huge.status_code == 200
    assert ("Only the first 20000 of 120000 characters were checked; the rest may hide fraud. "
            "Paste the suspicious part and check it again.") in text_of(huge)


ORDINARY = ("各位同学：本周四下午两点在图书馆三楼报告厅举行学术讲座，主题是城市水资源保护，"
            "请按时到场并在门口签到。讲座结束后各班班长把出勤情况交到学院办公室。"
            "期末考试安排已在教务网公布，请同学们认真复习，按时参加考试。\n")


def _ordinary(length: int) -> str:
    """``length`` characters of an everyday class notice, again and again."""
    return (ORDINARY * (length // len(ORDINARY) + 1))[:length]


def test_a_scam_after_6392_ordinary_characters_is_found(client, live, settings):
    settings.SAFECAMPUS = {**settings.SAFECAMPUS, "CHECKER_MAX_CHARS": 20_000}
    ordinary = _ordinary(6392)
    assert len(ordinary) == 6392
    alone = client.post(API, {"text": ordinary}, content_type="application/json").json()
    assert (alone["level"], alone["complete"]) == ("none", True)
    data = client.post(API, {"text": ordinary + SCAM}, content_type="application/json").json()
    assert (data["level"], data["truncated"], data["complete"]) == ("high", False, True)
    assert data["checked_chars"] == data["total_chars"] == 6392 + len(SCAM)
    assert {"安全账户", "涉嫌洗钱"} <= {f["text"] for f in data["red_flags"]}
    assert all(f["start"] >= 6392 for f in data["red_flags"])
    page = client.post(URL, {"text": ordinary + SCAM})
    assert 'data-level="high"' in page.content.decode()
    assert 'data-complete="true"' in page.content.decode()
    assert "High risk: very likely a scam" in text_of(page)


def test_emoji_and_line_breaks_count_as_the_page_counter_counts_them(client, live, settings):
    """The server's limit is in characters (code points), as the page's counter counts: an
    emoji is one, a line break is one although the browser sends it as "\\r\\n"."""
    settings.SAFECAMPUS = {**settings.SAFECAMPUS, "CHECKER_MAX_CHARS": 120}
    # the counter's limit is on the page before any check
    assert 'data-max="120"' in client.get(URL).content.decode()
    typed = ("明天交费😀🎉👍\n" * 20)[:120]
    assert len(typed) == 120 and len(typed.encode("utf-16-le")) // 2 > 120
    at_limit = client.post(URL, {"text": typed.replace("\n", "\r\n")})  # as a browser sends it
    html = at_limit.content.decode()
    assert 'data-complete="true"' in html and 'id="checker-truncated"' not in html
    assert 'data-max="120"' in html
    over = client.post(URL, {"text": (typed + "😀").replace("\n", "\r\n")}).content.decode()
    assert 'data-complete="false"' in over and 'id="checker-truncated"' in over


@pytest.mark.parametrize("tail", ["", SCAM])
def test_a_cut_text_is_never_an_all_clear(client, live, settings, tail):
    """100 KB: only the first CHECKER_MAX_CHARS are read; whatever the part read scores
    (here nothing), the result is the amber 'incomplete' state, not the green all-clear."""
    settings.SAFECAMPUS = {**settings.SAFECAMPUS, "CHECKER_MAX_CHARS": 20_000}
    text = _ordinary(100_000 - len(tail)) + tail
    assert len(text) == 100_000
    data = client.post(API, {"text": text}, content_type="application/json").json()
    assert (data["truncated"], data["complete"]) == (True, False)
    assert (data["checked_chars"], data["total_chars"]) == (20_000, 100_000)
    assert data["level"] == "none"  # the level of the part read, kept
    assert data["advice"][0] == ("Only the first 20000 characters were checked; the rest may "
                                 "hide fraud. Paste the suspicious part and check it again.")
    assert not any(line.startswith("No warning signs found") for line in data["advice"])
    page = client.post(URL, {"text": text})
    html, shown = page.content.decode(), text_of(page)
    assert 'data-complete="false"' in html and "checker-incomplete" in html
    assert 'class="alert alert-warning py-2" id="checker-truncated"' in html
    assert "Incomplete check: not all of the text was read" in shown
    assert "No warning signs found" not in shown
    assert ("Only the first 20000 of 100000 characters were checked; the rest may hide fraud. "
            "Paste the suspicious part and check it again.") in shown


def test_a_cut_text_keeps_the_level_of_the_part_read(client, live, settings):
    settings.SAFECAMPUS = {**settings.SAFECAMPUS, "CHECKER_MAX_CHARS": 20_000}
    text = SCAM + _ordinary(100_000 - len(SCAM))
    data = client.post(API, {"text": text}, content_type="application/json").json()
    assert (data["level"], data["complete"]) == ("high", False)
    page = client.post(URL, {"text": text})
    assert 'data-level="high"' in page.content.decode()
    assert "High risk: very likely a scam" in text_of(page)
    assert "the rest may hide fraud" in text_of(page)


def test_without_a_live_rule_set_the_page_says_so(client, db):
    response = client.post(URL, {"text": SCAM})
    assert response.status_code == 200
    assert "The checker is not set up yet: no rule set is live." in text_of(response)


def test_checking_stores_nothing_and_logs_nothing(client, live, caplog):
    secret = "独一无二的检查文本XYZ123 请把验证码发给我 安全账户"
    before = _rows()
    with caplog.at_level(logging.DEBUG):
        client.post(URL, {"text": secret})
        client.post(API, {"text": secret}, content_type="application/json")
    assert _rows() == before
    assert "XYZ123" not in caplog.text
    assert all("XYZ123" not in str(r.args) for r in caplog.records)


def test_checks_are_limited_per_address_per_minute(client, live, settings):
    settings.SAFECAMPUS = {**settings.SAFECAMPUS, "CHECKER_CHECKS_PER_MINUTE": 3}
    for _ in range(3):
        assert client.post(URL, {"text": "你好"}).status_code == 200
    limited = client.post(URL, {"text": "你好"})
    assert limited.status_code == 429
    assert "Too many checks from your network in the last minute." in text_of(limited)
    api = client.post(API, {"text": "你好"}, content_type="application/json")
    assert api.status_code == 429
    other = client.post(URL, {"text": "你好"}, REMOTE_ADDR="10.0.0.9")
    assert other.status_code == 200


# --- API --------------------------------------------------------------------------------------
def test_the_api_checks_anonymously_with_spans_into_the_text_sent(client, live):
    response = client.post(API, {"text": SCAM}, content_type="application/json")
    assert response.status_code == 200
    data = response.json()
    assert (data["level"], data["version"], data["truncated"]) == ("high", 1, False)
    assert data["complete"] is True
    assert data["types"][0]["code"] == "police_impersonation"
    assert data["types"][0]["url"] == "/education/library/types/police_impersonation/"
    for flag in data["red_flags"]:
        assert SCAM[flag["start"]:flag["end"]] == flag["text"]
    assert {"安全账户", "涉嫌洗钱"} <= {f["text"] for f in data["red_flags"]}
    assert data["hotline"] == "96110" and len(data["advice"]) >= 4


def test_the_api_answers_empty_and_unconfigured_clearly(client, db, taxonomy, no_corpus):
    unconfigured = client.post(API, {"text": SCAM}, content_type="application/json")
    assert unconfigured.status_code == 503
    assert unconfigured.json()["code"] == "not_configured"
    from safecampus.education.services.checker import checker_rules_seed

    checker_rules_seed(actor=None)
    from django.core.cache import cache

    cache.clear()
    empty = client.post(API, {"text": ""}, content_type="application/json")
    assert empty.status_code == 400
    assert empty.json()["errors"]["text"] == [
        "Paste a message to check: a text message, chat text, a link or a phone number."]
    big = client.post(API, {"text": "普通" * 60_000}, content_type="application/json")
    assert big.status_code == 200 and big.json()["truncated"] is True
    assert big.json()["complete"] is False


# --- the hub card and the office pages ------------------------------------------------------
def test_the_hub_card_posts_to_the_checker(client, org, live):
    response = login(client, org.users.student).get(reverse("education:home"))
    html = response.content.decode()
    assert 'id="home-checker"' in html
    assert f'action="{URL}"' in html
    assert reverse("education:checker_rulesets") not in html
    staff = login(client, org.users.staff).get(reverse("education:home")).content.decode()
    assert reverse("education:checker_rulesets") in staff


def test_only_the_office_opens_the_rule_pages(client, org, live):
    for user in (org.users.student, org.users.police, org.users.contact_a):
        assert login(client, user).get(reverse("education:checker_rulesets")).status_code == 403
    client.logout()
    assert client.get(reverse("education:checker_rulesets")).status_code == 302


def test_the_office_makes_a_version_adds_rules_evaluates_and_publishes(
        client, org, live, settings, django_assert_max_num_queries):
    staff = login(client, org.users.staff)
    with django_assert_max_num_queries(12):
        listing = staff.get(reverse("education:checker_rulesets"))
    assert "0 / 26 (0.00%)" in text_of(listing)
    assert ("Live as the seed's bootstrap: evaluated on only 26 ordinary messages, fewer than "
            "the 5000 a publish needs.") in text_of(listing)
    response = staff.post(reverse("education:checker_rulesets"), {"note": "more loan rules"})
    v2 = CheckerRuleSet.objects.get(version=2)
    assert response.url == reverse("education:checker_ruleset", args=[v2.pk])
    with django_assert_max_num_queries(16):
        detail = staff.get(reverse("education:checker_ruleset", args=[v2.pk]))
    assert detail.status_code == 200 and 'id="rule-add"' in detail.content.decode()
    bad = staff.post(reverse("education:checker_rule_add", args=[v2.pk]), {
        "fraud_type": "", "kind": "regex", "pattern": r"(?<!\d)95\d{3}", "weight": 20,
        "red_flag": "x", "window": 30})
    assert bad.status_code == 400
    assert "The checker runs regular expressions in RE2, which has no look-ahead or " \
           "look-behind" in text_of(bad)
    good = staff.post(reverse("education:checker_rule_add", args=[v2.pk]), {
        "fraud_type": str(v2.rules.exclude(fraud_type=None).first().fraud_type_id),
        "kind": "phrase", "pattern": "网贷秒批|网贷秒下", "weight": 25,
        "red_flag": "Instant online loans", "requires": "", "excludes": "", "window": 30})
    assert good.status_code == 302
    tried = staff.post(reverse("education:checker_ruleset_try", args=[v2.pk]),
                       {"text": "网贷秒批，先交保证金"})
    assert "网贷秒批" in text_of(tried) and 'id="checker-result"' in tried.content.decode()
    csv = "label,content\n0,明天开班会\n1,你涉嫌洗钱，转到安全账户\n".encode()
    from django.core.files.uploadedfile import SimpleUploadedFile

    evaluated = staff.post(reverse("education:checker_ruleset_evaluate", args=[v2.pk]),
                           {"file": SimpleUploadedFile("mine.csv", csv, "text/csv")})
    assert evaluated.status_code == 302
    v2.refresh_from_db()
    assert v2.state == "evaluated" and v2.evaluation["corpus"] == "mine.csv"
    refused = staff.post(reverse("education:checker_ruleset_publish", args=[v2.pk]))
    assert refused.status_code == 403
    admin = login(client, org.users.admin)
    page = admin.get(reverse("education:checker_ruleset", args=[v2.pk]))
    assert "too few ordinary messages to publish" in text_of(page)
    too_few = admin.post(reverse("education:checker_ruleset_publish", args=[v2.pk]))
    assert messages_of(too_few) == [
        "The evaluation had only 1 ordinary messages; a version goes live only after an "
        "evaluation on at least 5000, so that its false-positive rate means something. "
        "Evaluate it on the configured corpus or a larger labelled file."]
    admin.get(too_few.url)  # the message shown (and so used up)
    settings.SAFECAMPUS = {**settings.SAFECAMPUS, "CHECKER_MIN_ORDINARY": 1}
    published = admin.post(reverse("education:checker_ruleset_publish", args=[v2.pk]))
    assert messages_of(published) == ["Version 2 is live."]
    v2.refresh_from_db()
    live.refresh_from_db()
    assert (v2.state, live.state) == ("live", "retired")


def test_the_history_reads_labels_and_the_try_button_its_own_word(client, org, live):
    from django.utils.translation import pgettext

    from safecampus.education.selectors.checker import VERB_LABELS

    staff = login(client, org.users.staff)
    html = staff.get(reverse("education:checker_ruleset", args=[live.pk])).content.decode()
    assert "education.checker_ruleset_publish" not in html.replace(
        'data-verb="education.checker_ruleset_publish"', "")
    assert '<span data-verb="education.checker_ruleset_publish">Published</span>' in html
    # every verb the services record has a label
    source = (settings.BASE_DIR / "safecampus/education/services/checker.py").read_text()
    import re

    verbs = set(re.findall(r'"(education\.checker_[a-z_]+)"', source))
    assert len(verbs) >= 10 and verbs <= set(VERB_LABELS), verbs - set(VERB_LABELS)
    del client.cookies[settings.LANGUAGE_COOKIE_NAME]
    chinese = staff.get(reverse("education:checker_ruleset", args=[live.pk])).content.decode()
    with translation.override("zh-hans"):
        label, button = str(VERB_LABELS["education.checker_ruleset_publish"]), pgettext(
            "checker", "Try")
        assert gettext("Try") == "可以试试"  # the word elsewhere, not the button's
    assert f'data-verb="education.checker_ruleset_publish">{label}</span>' in chinese
    assert f'type="submit">{button}</button>' in chinese and "可以试试" not in chinese
