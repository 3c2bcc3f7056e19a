"""Who sees and does what in the hazard loop, for every role (house rule 6).

Five hazards: unit A's, unit B's, one in grid zone 1 routed to logistics, a police bulletin
and an anonymous student report. Each role is checked against the permission, the selectors,
the pages, the PDF, the photos and every action URL, with the expected answers written out.
"""

import subprocess
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import translation

from safecampus.accounts.models import Membership, Role, User
from safecampus.core.models import ActivityEntry
from safecampus.hazards import selectors, services
from safecampus.hazards.models import Evidence, ExtensionRequest, Hazard, RectificationPlan, Status
from safecampus.notifications.models import Notification
from safecampus.tests.factories import photo_upload

from .helpers import acknowledged, confirmed, fresh, noticed, rectifying, reported, submitted

pytestmark = pytest.mark.django_db

ROLES = ["admin", "staff", "staff2", "guard", "grid", "grid_head", "contact_a", "leader_a", "contact_b",
         "contact_log", "police", "leadership", "student", "student2"]
HAZARDS = ["unit_a", "unit_b", "zone1", "police", "anon"]
ALL = set(HAZARDS)

#: role → the hazards it may see
VIEW = {
    "admin": ALL, "staff": ALL, "staff2": ALL, "leadership": ALL,
    "guard": {"unit_a", "zone1"},  # campus 1
    "grid": {"unit_a", "zone1"},  # zone 1
    "grid_head": {"unit_a", "zone1"},  # zone 1
    "contact_a": {"unit_a"}, "leader_a": {"unit_a"},
    "contact_b": {"unit_b", "police", "anon"},  # all three are routed to unit B
    "contact_log": {"zone1"},  # traffic hazards go to logistics
    "police": {"police"},
    "student": {"anon"},  # his own anonymous report
    "student2": {"unit_a", "unit_b", "zone1"},  # his own reports
}
#: role → the hazards whose rectification notice it may see
NOTICE_VIEW = {
    "admin": ALL, "staff": ALL, "staff2": ALL, "leadership": ALL,
    "contact_a": {"unit_a"}, "leader_a": {"unit_a"},
    "contact_b": {"unit_b", "police", "anon"},
    "contact_log": {"zone1"},
}


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def world(org):
    """The five hazards, each with a photo and on its own notice (so notices exist too)."""
    student = org.users.student
    # the liaison's partner serves the south campus, where the police hazard is
    Membership.objects.create(user=org.users.police, role=Role.POLICE_LIAISON,
                              campus=org.campus2)
    User.objects.filter(pk=student.pk).update(full_name="匿名举报人王小明")
    student.refresh_from_db()
    hazards = {
        "unit_a": reported(org, reporter=org.users.student2, title="化学楼灭火器过期",
                           photos=[photo_upload()]),
        "unit_b": reported(org, reporter=org.users.student2, title="机械楼插线板过载",
                           place_id=org.place_b.pk, photos=[photo_upload()]),
        "zone1": reported(org, reporter=org.users.student2, title="北一网格路口车辆乱停",
                          category_id=org.traffic.pk, photos=[photo_upload()]),
        "police": reported(org, reporter=org.users.staff, title="警方通报：南校区电动车被盗",
                           place_id=org.place_b.pk, source="police", photos=[photo_upload()]),
        "anon": reported(org, reporter=student, title="机械楼消防通道堵塞",
                         place_id=org.place_b.pk, is_anonymous=True, photos=[photo_upload()]),
    }
    notices = {}
    for key, hazard in hazards.items():
        services.hazard_confirm(actor=org.users.staff, hazard_id=hazard.pk)
        notices[key] = services.notice_issue(actor=org.users.staff, hazard_ids=[hazard.pk],
                                             requirements="限期整改", deadline_days=7)
    hazards = {key: fresh(h) for key, h in hazards.items()}
    assert hazards["unit_a"].responsible_unit == org.unit_a
    assert hazards["zone1"].responsible_unit == org.logistics
    assert hazards["zone1"].zone == org.zone1
    assert {hazards[k].responsible_unit for k in ("unit_b", "police", "anon")} == {org.unit_b}
    photos = {key: h.photos.get() for key, h in hazards.items()}
    return SimpleNamespace(org=org, hazards=hazards, notices=notices, photos=photos)


def _login(client, user):
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"  # pages follow the chosen language
    return client


def test_expected_table_covers_every_role(org):
    assert set(VIEW) == set(ROLES) == set(vars(org.users))


@pytest.mark.parametrize("role", ROLES)
def test_view_permission_and_selectors_agree_with_the_table(world, role):
    # given a user of ``role``
    user = User.objects.get(pk=getattr(world.org.users, role).pk)
    # then the object permission, the ledger selector and the notice selector say the same
    by_perm = {k for k, h in world.hazards.items() if user.has_perm("hazards.view_hazard", h)}
    assert by_perm == VIEW[role]
    ids = set(selectors.hazard_list_visible_to(user).values_list("pk", flat=True))
    assert ids == {world.hazards[k].pk for k in VIEW[role]}
    ledger = {h.pk for h in selectors.hazard_ledger(user, selectors.LedgerFilters())}
    assert ledger == ids
    notice_ids = set(selectors.notice_list_visible_to(user).values_list("pk", flat=True))
    assert notice_ids == {world.notices[k].pk for k in NOTICE_VIEW.get(role, set())}
    by_notice_perm = {k for k, n in world.notices.items() if user.has_perm("hazards.view_notice", n)}
    assert by_notice_perm == NOTICE_VIEW.get(role, set())


@pytest.mark.parametrize("role", ROLES)
def test_pages_photos_and_pdf_are_404_for_those_who_may_not_see(world, role, client, monkeypatch):
    # the PDF's content is tested in test_notice_pdf; here only who gets it
    monkeypatch.setattr("safecampus.hazards.documents.notice_pdf_bytes",
                        lambda notice: b"%PDF-1.7 " + notice.number.encode())
    _login(client, getattr(world.org.users, role))
    for key, hazard in world.hazards.items():
        expected = 200 if key in VIEW[role] else 404
        response = client.get(reverse("hazards:detail", args=[hazard.pk]))
        assert response.status_code == expected, (role, key, "detail")
        for size in ("full", "thumb"):
            response = client.get(reverse("hazards:photo", args=[world.photos[key].pk, size]))
            assert response.status_code == expected, (role, key, "photo", size)
            if expected == 200:
                assert response["Content-Type"] == "image/jpeg"
                assert b"".join(response.streaming_content)[:2] == b"\xff\xd8"
        notice = world.notices[key]
        expected = 200 if key in NOTICE_VIEW.get(role, set()) else 404
        response = client.get(reverse("hazards:notice_detail", args=[notice.pk]))
        assert response.status_code == expected, (role, key, "notice")
        response = client.get(reverse("hazards:notice_pdf", args=[notice.pk]))
        assert response.status_code == expected, (role, key, "pdf")
        if expected == 200:
            assert response["Content-Type"] == "application/pdf"


def test_signed_out_visitors_see_nothing(world, client):
    hazard = world.hazards["unit_a"]
    for url in (reverse("hazards:detail", args=[hazard.pk]),
                reverse("hazards:photo", args=[world.photos["unit_a"].pk, "full"]),
                reverse("hazards:notice_pdf", args=[world.notices["unit_a"].pk])):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:login"))
    anonymous = SimpleNamespace(is_authenticated=False)
    assert not selectors.hazard_list_visible_to(anonymous).exists()
    assert not selectors.notice_list_visible_to(anonymous).exists()


# --- actions ---------------------------------------------------------------------------------
OFFICE = {"admin", "staff", "staff2"}
UNIT_A = {"contact_a", "leader_a"}


def _build(org, state, **kwargs):
    if state == Status.REPORTED:
        return reported(org, **kwargs)
    if state == Status.CONFIRMED:
        return confirmed(org, **kwargs)
    if state == Status.NOTICE_ISSUED:
        return noticed(org, **kwargs)[0]
    if state == Status.ACKNOWLEDGED:
        return acknowledged(org, **kwargs)[0]
    if state == Status.RECTIFYING:
        return rectifying(org, **kwargs)[0]
    return submitted(org, **kwargs)[0]


def _data(org, action, hazard, other):
    version = {"version": hazard.version}
    return {
        "confirm": {**version, "grade": "general", "responsible_unit": org.unit_a.pk},
        "reject": {**version, "comment": "不是隐患"},
        "duplicate": {**version, "duplicate_of": other.pk},
        "fix_on_spot": {**version, "text": "当场清理", "photos": photo_upload()},
        "start": {**version, "comment": "开始整改"},
        "evidence": {**version, "text": "已整改", "photos": photo_upload()},
        "verify": {**version, "comment": "合格"},
        "return": {**version, "comment": "照片不清楚"},
        "location": {**version, "category": org.fire.pk, "grade": "general",
                     "campus": org.campus2.pk, "place": org.place_b.pk},
        "extension": {"requested_deadline": "2026-12-31", "reason": "材料未到"},
        "plan": {"plan": "更换线路", "interim_measures": "断电停用", "person_in_charge": "张三",
                 "milestones": "2026-12-20 采购"},
    }[action]


#: action → (state it applies to, roles allowed, extra hazard kwargs)
ACTIONS = {
    "confirm": (Status.REPORTED, OFFICE, {}),
    "reject": (Status.REPORTED, OFFICE, {}),
    "duplicate": (Status.REPORTED, OFFICE, {}),
    "fix_on_spot": (Status.CONFIRMED, OFFICE, {}),
    "location": (Status.CONFIRMED, OFFICE, {}),
    "extension": (Status.NOTICE_ISSUED, UNIT_A, {}),
    "start": (Status.ACKNOWLEDGED, UNIT_A, {}),
    "evidence": (Status.RECTIFYING, UNIT_A, {}),
    "verify": (Status.EVIDENCE_SUBMITTED, OFFICE, {}),
    "return": (Status.EVIDENCE_SUBMITTED, OFFICE, {}),
    "plan": (Status.CONFIRMED, OFFICE | UNIT_A, {"grade": "major"}),
}


def _snapshot(hazard):
    h = fresh(hazard)
    return (h.status, h.version, h.responsible_unit_id, h.place_id, h.deadline,
            ActivityEntry.objects.count(), Evidence.objects.count(),
            ExtensionRequest.objects.count(), RectificationPlan.objects.count(),
            h.photos.count())


@pytest.mark.parametrize("action", list(ACTIONS))
def test_action_urls_refuse_the_wrong_roles_and_change_nothing(org, client, action):
    state, allowed, extra = ACTIONS[action]
    # given a unit A hazard in the state the action applies to
    other = reported(org, title="另一处")
    hazard = fresh(_build(org, state, **extra))
    before = _snapshot(hazard)
    url = reverse("hazards:action", args=[hazard.pk, action])
    viewers = {role for role in ROLES
               if getattr(org.users, role).has_perm("hazards.view_hazard", hazard)}
    # when every other role posts the action
    for role in sorted(set(ROLES) - allowed):
        client.logout()
        _login(client, getattr(org.users, role))
        response = client.post(url, _data(org, action, hazard, other))
        # then those who cannot see the hazard get 404, the others a refusal; nothing changes
        if role in viewers:
            assert response.status_code == 302, (role, action)
            texts = [str(m) for m in get_messages(response.wsgi_request)]
            assert "You are not allowed to do this." in texts, (role, action, texts)
        else:
            assert response.status_code == 404, (role, action)
        assert _snapshot(hazard) == before, (role, action)
    # and a role that may do it succeeds with the same request (so the check can fail)
    client.logout()
    _login(client, getattr(org.users, sorted(allowed)[0]))
    response = client.post(url, _data(org, action, hazard, other))
    assert response.status_code == 302
    texts = [str(m) for m in get_messages(response.wsgi_request)]
    assert not [t for t in texts if "not allowed" in t], texts
    assert _snapshot(hazard) != before


def test_leadership_sees_everything_but_can_do_nothing(world, client):
    org = world.org
    leader = org.users.leadership
    _login(client, leader)
    hazard = world.hazards["unit_a"]
    notice = world.notices["unit_a"]
    before = _snapshot(hazard)
    # the detail page shows no action form to leadership
    page = client.get(reverse("hazards:detail", args=[hazard.pk])).content.decode()
    assert "/act/" not in page
    # signing for a notice and deciding an extension are refused
    response = client.post(reverse("hazards:notice_acknowledge", args=[notice.pk]))
    assert response.status_code == 302
    assert "You are not allowed to do this." in [str(m) for m in get_messages(response.wsgi_request)]
    extension = services.extension_request(actor=org.users.contact_a, hazard_id=hazard.pk,
                                           requested_deadline=_date("2026-12-31"), reason="缺材料")
    response = client.post(reverse("hazards:extension_decide", args=[hazard.pk, extension.pk]),
                           {"decision": "grant"})
    assert response.status_code == 302
    assert ExtensionRequest.objects.get(pk=extension.pk).state == ExtensionRequest.State.PENDING
    assert fresh(hazard).status == before[0]
    # and no domain permission to act is granted
    for perm in ("confirm_hazard", "edit_hazard", "issue_notice", "verify_hazard",
                 "decide_extension", "fix_on_spot", "rectify_hazard", "request_extension",
                 "submit_plan", "import_ledger"):
        assert not leader.has_perm(f"hazards.{perm}", hazard), perm
    assert not leader.has_perm("hazards.acknowledge_notice", notice)


def _date(text):
    import datetime as dt

    return dt.date.fromisoformat(text)


def test_only_the_units_contacts_sign_for_a_notice(org, client):
    hazard, notice = noticed(org)
    for role in ("contact_b", "contact_log", "guard", "grid", "police", "student", "leadership"):
        client.logout()
        _login(client, getattr(org.users, role))
        response = client.post(reverse("hazards:notice_acknowledge", args=[notice.pk]))
        assert response.status_code in (302, 404), role
        assert fresh(hazard).status == Status.NOTICE_ISSUED, role
    client.logout()
    _login(client, org.users.leader_a)
    client.post(reverse("hazards:notice_acknowledge", args=[notice.pk]))
    assert fresh(hazard).status == Status.ACKNOWLEDGED


# --- anonymous reports ------------------------------------------------------------------------
def test_anonymous_reporter_is_named_nowhere_but_to_himself(org, client, tmp_path,
                                                           django_capture_on_commit_callbacks):
    # given an anonymous report by a student, walked through the whole loop
    student = org.users.student
    # the liaison's partner serves the south campus, where the police hazard is
    Membership.objects.create(user=org.users.police, role=Role.POLICE_LIAISON,
                              campus=org.campus2)
    User.objects.filter(pk=student.pk).update(full_name="匿名举报人王小明")
    student.refresh_from_db()
    names = ("匿名举报人王小明", student.username)
    with django_capture_on_commit_callbacks(execute=True):  # notifications go out on commit
        hazard = reported(org, reporter=student, is_anonymous=True, title="实验室通风橱故障")
    for step in (
        lambda: services.hazard_confirm(actor=org.users.staff, hazard_id=hazard.pk),
        lambda: services.notice_issue(actor=org.users.staff, hazard_ids=[hazard.pk],
                                      requirements="维修", deadline_days=3),
        lambda: services.notice_acknowledge(actor=org.users.contact_a,
                                            notice_id=fresh(hazard).current_notice_id),
        lambda: services.hazard_start_rectification(actor=org.users.contact_a, hazard_id=hazard.pk),
        lambda: services.evidence_submit(actor=org.users.contact_a, hazard_id=hazard.pk,
                                         text="已修复", photos=[photo_upload()]),
        lambda: services.hazard_verify(actor=org.users.staff, hazard_id=hazard.pk),
    ):
        with django_capture_on_commit_callbacks(execute=True):
            step()
    notice = fresh(hazard).current_notice
    # then no timeline entry names him as actor
    from safecampus.core.activity import activity_for

    assert not activity_for(hazard).filter(actor=student).exists()
    assert activity_for(hazard).filter(verb="hazards.report").get().actor is None
    # and no notification to anyone else carries his name
    others = Notification.objects.exclude(recipient=student)
    assert others.exists()
    for note in others:
        for name in names:
            assert name not in note.title and name not in note.body, note.title
    # and the detail page hides him from every viewer but himself
    for role in ROLES:
        user = getattr(org.users, role)
        if not user.has_perm("hazards.view_hazard", fresh(hazard)):
            continue
        client.logout()
        _login(client, user)
        html = client.get(reverse("hazards:detail", args=[hazard.pk])).content.decode()
        if role == "student":
            assert "匿名举报人王小明" in html  # he sees his own name on his own report
        else:
            assert "Anonymous reporter" in html, role
            for name in names:
                assert name not in html, (role, name)
    # and the printed notice does not name him
    from safecampus.hazards.documents import notice_pdf_bytes

    pdf = tmp_path / "notice.pdf"
    pdf.write_bytes(notice_pdf_bytes(notice))
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(pdf), "-"], capture_output=True,
                          text=True, check=True).stdout
    assert "实验室通风橱故障" in text
    for name in names:
        assert name not in text
    # while the student is still told about his own report
    assert Notification.objects.filter(recipient=student, verb="hazards.reporter_update").exists()


def test_anonymous_report_on_the_ledger_and_my_reports(org, client):
    student = org.users.student
    # the liaison's partner serves the south campus, where the police hazard is
    Membership.objects.create(user=org.users.police, role=Role.POLICE_LIAISON,
                              campus=org.campus2)
    User.objects.filter(pk=student.pk).update(full_name="匿名举报人王小明")
    hazard = reported(org, reporter=student, is_anonymous=True, title="楼道堆放杂物")
    _login(client, org.users.staff)
    html = client.get(reverse("hazards:ledger")).content.decode()
    assert "楼道堆放杂物" in html and "匿名举报人王小明" not in html
    client.logout()
    _login(client, User.objects.get(pk=student.pk))
    html = client.get(reverse("hazards:mine")).content.decode()
    assert hazard.title in html
    assert Hazard.objects.get(pk=hazard.pk).reporter_id == student.pk
