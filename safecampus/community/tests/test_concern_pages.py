"""The concern pages: submit (questions and similar answers by htmx), my concerns, a
concern's page for each viewer (anonymity, contact details, read-only leadership, why a
concern cannot be reopened), the office's queue with its filters and the public board.
List pages' query counts do not grow with their rows."""

import datetime as dt

import pytest
from django.urls import reverse

from safecampus.community.models import Concern
from safecampus.community.services import concerns as services
from safecampus.tests.factories import photo_upload
from safecampus.tests.pages import login

from .concerns_helpers import answered, later, planned
from .helpers import submit

pytestmark = pytest.mark.django_db(transaction=False)


def page(client, name, *args, **query):
    response = client.get(reverse(f"community:{name}", args=args), query)
    return response, response.content.decode()


def published(community, **extra) -> Concern:
    concern = answered(community, **extra)
    return services.concern_publish(actor=community.users.staff, concern_id=concern.pk)


# --- submit ---------------------------------------------------------------------------------
def test_submit_page_sends_and_shows_the_number(community, client):
    login(client, community.users.student)
    response, html = page(client, "concern_new")
    assert response.status_code == 200 and 'name="idempotency_key"' in html
    assert "The office never sees who you are; you still follow and rate it here." in html
    data = {"category": community.lighting.pk, "title": "银杏大道路灯不亮",
            "campus": community.org.campus1.pk, "attribute[road]": "银杏大道",
            "attribute[when]": "night", "description": "晚上十点后一片漆黑",
            "is_anonymous": "on", "idempotency_key": "key-abcdef12",
            "photos": [photo_upload()]}
    response = client.post(reverse("community:concern_new"), data, follow=True)
    concern = Concern.objects.get()
    assert response.redirect_chain[-1][0] == reverse("community:concern_detail",
                                                      args=[concern.pk])
    html = response.content.decode()
    assert ("Thank you. Your concern was received as number SQ-2026-000001; you will be told "
            "when the office answers.") in html
    assert concern.is_anonymous and concern.attributes == {"road": "银杏大道", "when": "night"}
    assert concern.photos.count() == 1
    assert "anonymous: the office does not see who you are" in html
    # the same key again: still one concern
    data["photos"] = [photo_upload()]
    client.post(reverse("community:concern_new"), data)
    assert Concern.objects.count() == 1


def test_submit_page_marks_the_missing_answers(community, client):
    login(client, community.users.student)
    response = client.post(reverse("community:concern_new"), {
        "category": community.lighting.pk, "title": "路灯", "campus": community.org.campus1.pk,
        "attribute[lamps]": "很多"})
    html = response.content.decode()
    assert response.status_code == 400 and not Concern.objects.exists()
    assert "Answer “哪条路”." in html and "“几盏灯不亮” needs a number." in html


def test_questions_follow_the_category(community, client):
    login(client, community.users.student)
    response, html = page(client, "concern_questions", category=community.lighting.pk)
    assert 'name="attribute[road]"' in html and 'required' in html
    assert "深夜" in html and 'name="attribute[lamps]"' in html
    _r, html = page(client, "concern_questions", category=community.parking.pk)
    assert "attribute[" not in html


def test_similar_answers_from_the_board(community, client):
    published(community, title="东门晚上停车难")
    published(community, category="lighting", title="东门路灯不亮",
              attributes={"road": "东门路"})
    submit(community, title="东门停车位太少")  # not published: never suggested
    login(client, community.users.student2)
    _r, html = page(client, "concern_similar", title="东门停车", category=community.parking.pk)
    assert html.index("东门晚上停车难") < html.index("东门路灯不亮")
    assert "东门停车位太少" not in html and "东门外已增设临时停车区。" in html
    _r, html = page(client, "concern_similar", title="", category="")
    assert html.strip() == ""


# --- one concern ----------------------------------------------------------------------------
def test_anonymous_on_office_pages(community, client):
    concern = submit(community, is_anonymous=True, title="宿舍楼下有人推销")
    for viewer in ("staff", "leadership"):
        login(client, getattr(community.users, viewer))
        _r, html = page(client, "concern_detail", concern.pk)
        assert 'id="concern-anonymous"' in html
        assert community.users.student.full_name not in html
        assert community.users.student.username not in html
        _r, html = page(client, "concern_queue")
        assert "宿舍楼下有人推销" in html and community.users.student.full_name not in html


def test_contact_only_for_the_office(community, client):
    concern = submit(community)
    student = community.users.student
    login(client, community.users.staff)
    _r, html = page(client, "concern_detail", concern.pk)
    assert 'id="concern-contact"' in html and student.full_name in html
    assert f'action="/community/concerns/{concern.pk}/answer/"' in html
    login(client, community.users.leadership)
    _r, html = page(client, "concern_detail", concern.pk)
    assert student.full_name not in html and 'id="concern-contact"' not in html
    assert "/answer/" not in html and "/publish/" not in html  # read only
    login(client, community.users.student2)
    response, _html = page(client, "concern_detail", concern.pk)
    assert response.status_code == 404


def test_the_submitter_sees_every_step_and_rates(community, client):
    concern = planned(community)
    login(client, community.users.student)
    _r, html = page(client, "concern_detail", concern.pk)
    assert "Planned, to be done by 2026-06-30 · 化学学院" in html
    assert 'id="concern-expected">2026-06-30 23:59' in html
    assert "Rate the handling" not in html
    with later(days=2):
        services.concern_complete(actor=community.users.staff, concern_id=concern.pk,
                                  answer="新增车位已启用。")
        _r, html = page(client, "concern_detail", concern.pk)
        assert "Rate the handling" in html and "You can reopen it once, until 2026-06-25" in html
        response = client.post(reverse("community:concern_action", args=[concern.pk, "rate"]),
                               {"rating": "5", "comment": "很满意"}, follow=True)
        assert "Thank you for rating the handling." in response.content.decode()
    assert Concern.objects.get().rating == 5


def test_the_page_says_why_it_cannot_be_reopened(community, client, settings):
    settings.SAFECAMPUS = {**settings.SAFECAMPUS, "CONCERN_REOPEN_DAYS": 7}
    concern = answered(community)
    login(client, community.users.student)
    with later(days=8):
        _r, html = page(client, "concern_detail", concern.pk)
        assert ("More than 7 days have passed since it was closed; submit a new concern "
                "instead.") in html
        response = client.post(reverse("community:concern_action",
                                       args=[concern.pk, "reopen"]), {"reason": "没解决"},
                               follow=True)
    assert Concern.objects.get().state == Concern.State.CLOSED
    assert "More than 7 days have passed" in response.content.decode()


def test_a_refused_answer_keeps_what_was_typed(community, client):
    concern = submit(community)
    login(client, community.users.staff)
    response = client.post(reverse("community:concern_action", args=[concern.pk, "plan"]),
                           {"target_date": "2026-06-01", "answer": "暑期施工"})
    html = response.content.decode()
    assert response.status_code == 400 and "The target date cannot be in the past." in html
    assert "暑期施工" in html


def test_hidden_text_and_submitter_never_on_the_board(community, client):
    shown = published(community, title="东门停车难")
    hidden = published(community, title="宿舍推销", description="推销员电话 138xxxx")
    services.concern_moderate(actor=community.users.staff, concern_id=hidden.pk,
                              hide_text=True, reason="含手机号")
    login(client, community.users.student2)
    _r, html = page(client, "board")
    assert "东门停车难" in html and "宿舍推销" in html
    assert "推销员电话" not in html and "The content was hidden by a moderator." in html
    assert community.users.student.full_name not in html
    assert community.users.student.username not in html
    _r, html = page(client, "concern_detail", hidden.pk)  # on the board: readable, text hidden
    assert "推销员电话" not in html and community.users.student.full_name not in html
    _r, html = page(client, "board", q="东门停车")
    assert "东门停车难" in html and "宿舍推销" not in html
    assert shown.number in html


# --- lists and query counts -----------------------------------------------------------------
def _many(community, count):
    for n in range(count):
        concern = submit(community, title=f"问题{n}", photos=[photo_upload()] if n < 3 else [])
        if n % 3 == 0:
            services.concern_answer(actor=community.users.staff, concern_id=concern.pk,
                                    answer="已答复")
            services.concern_publish(actor=community.users.staff, concern_id=concern.pk)
        elif n % 3 == 1:
            services.concern_to_hazard(actor=community.users.staff, concern_id=concern.pk,
                                       hazard_category_id=community.org.fire.pk)


@pytest.mark.parametrize("name,user,queries", [
    ("concern_mine", "student", 8),
    ("concern_queue", "staff", 10),
    ("board", "student2", 10),
])
def test_list_queries_do_not_grow(community, client, django_assert_num_queries, name, user,
                                  queries):
    login(client, getattr(community.users, user))
    _many(community, 3)
    client.get(reverse(f"community:{name}"))  # warm caches (content types, session)
    with django_assert_num_queries(queries):
        response = client.get(reverse(f"community:{name}"), {"state": ""} if user == "staff"
                              else {})
    assert response.status_code == 200
    _many(community, 9)
    with django_assert_num_queries(queries):
        client.get(reverse(f"community:{name}"), {"state": ""} if user == "staff" else {})


def test_queue_filters(community, client):
    old = submit(community, title="早就提交的诉求")
    with later(days=10):
        late_plan = planned(community, title="计划逾期")
    with later(days=20):
        fresh_one = submit(community, title="刚提交", category="lighting",
                           attributes={"road": "南路"})
        login(client, community.users.staff)
        _r, html = page(client, "concern_queue", overdue="on")
        assert old.title in html and late_plan.title in html and fresh_one.title not in html
        _r, html = page(client, "concern_queue", state="planned")
        assert late_plan.title in html and old.title not in html
        _r, html = page(client, "concern_queue", category=community.lighting.pk)
        assert fresh_one.title in html and old.title not in html
        _r, html = page(client, "concern_queue", q=old.number)
        assert old.title in html and late_plan.title not in html
        _r, html = page(client, "concern_queue", q="计划")
        assert late_plan.title in html and old.title not in html
        _r, html = page(client, "concern_queue", campus=community.org.campus2.pk)
        assert "No concern matches these filters." in html
    login(client, community.users.student)
    response, _html = page(client, "concern_queue")
    assert response.status_code == 403


def test_hub_card_counts(community, client):
    submit(community)
    with later(days=10):
        login(client, community.users.staff)
        _r, html = page(client, "home")
        assert "1 awaiting the office" in html and "1 overdue" in html
        login(client, community.users.student)
        _r, html = page(client, "home")
        assert 'id="hub-mine-open">1<' in html and "awaiting the office" not in html


def test_photos_only_for_those_who_see_the_concern(community, client):
    concern = submit(community, photos=[photo_upload()])
    photo = concern.photos.get()
    login(client, community.users.student2)
    assert client.get(reverse("community:concern_photo", args=[photo.pk, "thumb"])
                      ).status_code == 404
    services.concern_answer(actor=community.users.staff, concern_id=concern.pk, answer="答复")
    services.concern_publish(actor=community.users.staff, concern_id=concern.pk)
    response = client.get(reverse("community:concern_photo", args=[photo.pk, "thumb"]))
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"


def test_expected_time_counts_working_days(community):
    concern = submit(community)  # Tuesday 16 June 2026; 3 working days, 19 June a holiday
    from safecampus.community.selectors.concerns import concern_expected_at

    assert concern_expected_at(concern).date() == dt.date(2026, 6, 22)


def test_hidden_text_hides_the_answers_and_the_submitters_words(community, client):
    # given a published lighting concern whose answers, rating comment and reopen reason
    # name people
    concern = published(community, category="lighting", title="路灯不亮",
                        attributes={"road": "3号楼 王小明宿舍旁", "when": "night"})
    student = community.users.student
    services.concern_rate(actor=student, concern_id=concern.pk, rating=2,
                          comment="宿管李阿姨电话13900000000")
    services.concern_reopen(actor=student, concern_id=concern.pk, reason="王小明说还是黑的")
    services.concern_answer(actor=community.users.staff, concern_id=concern.pk,
                            answer="已更换灯泡。")
    services.concern_rate(actor=student, concern_id=concern.pk, rating=3,
                          comment="赵同学也这么说")
    words = ("3号楼 王小明宿舍旁", "深夜", "宿管李阿姨电话", "王小明说还是黑的", "赵同学也这么说")
    login(client, community.users.student2)
    _r, html = page(client, "concern_detail", concern.pk)
    assert all(word in html for word in words)  # shown while the text is not hidden
    # when a moderator hides its text
    services.concern_moderate(actor=community.users.staff, concern_id=concern.pk,
                              hide_text=True, reason="含个人信息")
    # then board readers see none of it (the rating itself stays)
    _r, html = page(client, "concern_detail", concern.pk)
    assert not any(word in html for word in words)
    assert "已更换灯泡。" in html and "Satisfaction: 3 of 5" in html
    assert "Rated the handling 2 of 5" in html and "Reopened" in html
    # and the office and the submitter still do
    for reader in (community.users.staff, student):
        login(client, reader)
        _r, html = page(client, "concern_detail", concern.pk)
        assert all(word in html for word in words)


def test_the_duplicate_link_only_when_the_other_may_be_seen(community, client):
    original = submit(community, title="东门停车难")
    again = submit(community, actor=community.users.student2, title="东门车位不够")
    services.concern_mark_duplicate(actor=community.users.staff, concern_id=again.pk,
                                    duplicate_of_number=original.number)
    link = f'href="/community/concerns/{original.pk}/"'
    login(client, community.users.student2)
    _r, html = page(client, "concern_detail", again.pk)
    assert f'id="concern-duplicate-of">{original.number}<' in html and link not in html
    assert "东门停车难" not in html
    services.concern_answer(actor=community.users.staff, concern_id=original.pk,
                            answer="已增设车位。")
    services.concern_publish(actor=community.users.staff, concern_id=original.pk)
    _r, html = page(client, "concern_detail", again.pk)
    assert link in html
    login(client, community.users.staff)
    _r, html = page(client, "concern_detail", again.pk)
    assert link in html


def test_photos_are_asked_for_again_so_a_blurred_one_replaces_the_original(
        community, client, django_capture_on_commit_callbacks):
    concern = submit(community, photos=[photo_upload()])
    photo = concern.photos.get()
    url = reverse("community:concern_photo", args=[photo.pk, "thumb"])
    login(client, community.users.student)
    response = client.get(url)
    original = b"".join(response.streaming_content)
    assert response["Cache-Control"] == "private, no-cache"
    etag = response["ETag"]
    response = client.get(url, headers={"If-None-Match": etag})
    assert response.status_code == 304 and response["Cache-Control"] == "private, no-cache"
    with django_capture_on_commit_callbacks(execute=True):
        services.concern_photo_redact(actor=community.users.staff, photo_id=photo.pk,
                                      reason="有人脸")
    response = client.get(url, headers={"If-None-Match": etag})
    assert response.status_code == 200 and response["ETag"] != etag
    assert b"".join(response.streaming_content) != original


def test_an_open311_request_without_a_description(community, client):
    concern = submit(community, actor=community.users.staff, channel="open311",
                     title="", description="", campus_id=None, latitude="34.2583",
                     longitude="108.9286")
    assert concern.title == "停车难"
    concern = services.concern_answer(actor=community.users.staff, concern_id=concern.pk,
                                      answer="已安排巡查。")
    services.concern_publish(actor=community.users.staff, concern_id=concern.pk)
    for reader, name, args in [("staff", "concern_queue", ()), ("staff", "concern_detail",
                                                                 (concern.pk,)),
                               ("student2", "board", ()),
                               ("student2", "concern_detail", (concern.pk,))]:
        login(client, getattr(community.users, reader))
        response, html = page(client, name, *args)
        assert response.status_code == 200 and "停车难" in html
        if name == "concern_detail":
            assert 'id="concern-title">停车难<' in html and 'id="concern-text"' not in html
