"""Patrolling pages: the patrols home, a round's page (missed checkpoints in red), start and
end early, the scan page, a sticker's landing page, the scan upload endpoint and reporting a
hazard from a checkpoint. Pages are asked for in English (see conftest)."""

import datetime as dt
import json
import re
import uuid

import pytest
from django.urls import reverse
from PIL import Image

from safecampus.accounts.models import Role
from safecampus.core import clock
from safecampus.hazards.models import Hazard, Source
from safecampus.patrols.models import CheckpointScan, PatrolRound
from safecampus.patrols.services import patrolling
from safecampus.tests.factories import user_with_role

from .helpers import build_route, local, login, scan, text_of

pytestmark = pytest.mark.django_db
NIGHT = dt.date(2026, 11, 30)  # a Monday
IN_ROUND_1 = local(2026, 11, 30, 22, 10)  # round 1's window is 22:00–22:30
UNKNOWN = ("This code is not a checkpoint code in use: it may be mistyped or replaced. "
    "Check the sticker; if it has been replaced, tell your shift leader.")
FORGED = ("This code is forged or damaged: it was not issued by the security office. "
          "Report the sticker to your shift leader.")
REVOKED = "This sticker's code has been replaced. Report the old sticker to your shift leader."


@pytest.fixture
def night(org):
    """Route with 4 checkpoints; tonight's shift (22:00–06:00, 4 rounds, 30-minute windows),
    guard1 on it, staff1 its leader."""
    built = build_route(org)
    built.shift = patrolling.shift_plan(schedule=built.schedule, day=NIGHT)
    built.rounds = list(built.shift.rounds.order_by("sequence"))
    return built


@pytest.fixture(autouse=True)
def english_pages(client, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


def upload(client, scans, **extra):
    return client.post(reverse("patrols:scan_upload"), data=json.dumps({"scans": scans}),
                       content_type="application/json", **extra)


def item(checkpoint=None, *, code=None, at=IN_ROUND_1, client_id=None, **more):
    data = {"code": code if code is not None else patrolling.checkpoint_code(checkpoint),
            "client_id": client_id or str(uuid.uuid4()), "scanned_at": at.isoformat()}
    data.update(more)
    return data


# --- home -----------------------------------------------------------------------------------
def test_home_shows_a_guard_tonights_rounds_with_the_next_one_highlighted(night, org, client):
    login(client, org.users.guard)
    with clock.frozen(local(2026, 11, 30, 23, 10)):  # round 1 late period, round 2 next
        scan(org.users.guard, night.checkpoints[0], local(2026, 11, 30, 22, 5))
        response = client.get(reverse("patrols:home"))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="scan-button"' in html and "Scan checkpoint" in html
    rows = re.findall(r'class="[^"]*round-row([^"]*)"[^>]*data-round="(\d+)"', html)
    assert [int(pk) for _cls, pk in rows] == [r.pk for r in night.rounds]
    highlighted = [int(pk) for cls, pk in rows if "is-next" in cls]
    assert highlighted == [night.rounds[0].pk]  # in progress, late scans still count
    page = text_of(response)
    assert "Next: Route north-night, round 1" in page
    assert "Window 22:00–22:30" in page and "1/4" in page
    assert 'id="patrol-overview"' not in html  # guards get no office hub


def test_home_after_midnight_still_shows_last_nights_shift(night, org, client):
    login(client, org.users.guard)
    with clock.frozen(local(2026, 12, 1, 2, 40)):
        response = client.get(reverse("patrols:home"))
    html = response.content.decode()
    assert f'data-shift="{night.shift.pk}"' in html
    assert re.search(rf'round-row is-next"[^>]*data-round="{night.rounds[2].pk}"', html)


def test_a_guard_without_a_shift_today_is_told_so(night, org, client):
    login(client, org.users.guard)
    with clock.frozen(local(2026, 12, 3, 12, 0)):
        response = client.get(reverse("patrols:home"))
    assert "You are not on a patrol shift today." in text_of(response)


def test_home_for_the_office_is_a_hub_with_missed_checkpoints(night, org, client):
    with clock.frozen(local(2026, 11, 30, 22, 40)):
        scan(org.users.guard, night.checkpoints[0], local(2026, 11, 30, 22, 5))
        patrolling.patrol_sweep()
        response = login(client, org.users.admin).get(reverse("patrols:home"))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="missed-rounds"' in html and "3 missed" in text_of(response)
    assert reverse("patrols:round_detail", args=[night.rounds[0].pk]) in html
    links = re.search(r'id="patrol-links">(.*?)</div>', html, re.S).group(1)
    assert re.findall(r'href="([^"]+)"', links) == [
        "/patrols/reports/", "/patrols/setup/routes/", "/patrols/grids/dashboard/",
        "/patrols/duty/", "/patrols/incidents/"]
    for label in ("Patrol reports", "Routes and checkpoints", "Grids", "Duty room", "Incidents"):
        assert label in links


def test_home_for_leadership_has_reports_but_no_scan_button(night, org, client):
    response = login(client, org.users.leadership).get(reverse("patrols:home"))
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="scan-button"' not in html and 'id="patrol-overview"' in html
    assert "Routes and checkpoints" not in html  # only the office sets routes up


def test_home_for_a_grid_officer_logs_visits_and_lists_his_grid(org, client):
    response = login(client, org.users.grid).get(reverse("patrols:home"))
    assert response.status_code == 200
    html = response.content.decode()
    section = re.search(r'id="my-grid-work".*?</section>', html, re.S).group(0)
    assert re.findall(r'href="([^"]+)"', section) == [
        reverse("patrols:grid_visit_create"), reverse("patrols:grid_visit_list"),
        reverse("patrols:grid_detail", args=[org.zone1.pk])]
    assert "Log a visit" in section and "My visits" in section and "北一网格" in section
    assert 'id="scan-button"' not in html and 'id="nothing-here"' not in html
    head = login(client, org.users.grid_head).get(reverse("patrols:home")).content.decode()
    assert 'id="log-visit"' in head
    office = login(client, org.users.admin).get(reverse("patrols:home")).content.decode()
    assert 'id="my-grid-work"' not in office  # the office logs visits from the grids pages


@pytest.mark.parametrize("who,text,links", [
    ("student", "Patrol rounds, grid visits and the duty room are for guards, grid officers "
                "and the security office; there is nothing here for your role.", []),
    ("police", "Patrol rounds and grid visits are kept by guards, grid officers and the "
               "security office; the buttons above open what your role may see.",
     ["/patrols/incidents/"]),
])
def test_home_tells_those_with_nothing_here_what_it_is_for(org, client, who, text, links):
    response = login(client, getattr(org.users, who)).get(reverse("patrols:home"))
    assert response.status_code == 200
    html = response.content.decode()
    assert text in text_of(response)
    hub = re.search(r'id="patrol-links">(.*?)</div>', html, re.S).group(1)
    assert re.findall(r'href="([^"]+)"', hub) == links
    assert 'id="scan-button"' not in html and 'id="my-grid-work"' not in html


def test_home_asks_strangers_to_sign_in(client):
    response = client.get(reverse("patrols:home"))
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_home_does_not_send_the_scan_button_to_a_round_hours_away(night, org, client):
    login(client, org.users.guard)
    with clock.frozen(local(2026, 11, 30, 18, 0)):
        early = client.get(reverse("patrols:home"))
    html = early.content.decode()
    assert 'href="/patrols/scan/" id="scan-button"' in html
    assert "Window 22:00–22:30 · Planned · can be started from 21:45" in text_of(early)
    with clock.frozen(local(2026, 11, 30, 21, 50)):
        html = client.get(reverse("patrols:home")).content.decode()
    assert f'href="/patrols/scan/?round={night.rounds[0].pk}" id="scan-button"' in html
    assert "can be started from" not in html


def test_home_query_count_does_not_grow_with_shifts(night, org, client,
                                                    django_assert_max_num_queries):
    for code in ("east-night", "west-night"):
        extra = build_route(org, code=code, checkpoints=2)
        patrolling.shift_plan(schedule=extra.schedule, day=NIGHT)
    login(client, org.users.staff)
    org.users.staff.patrol_shifts.add(*night.shift.schedule.route.shifts.all())
    with clock.frozen(local(2026, 11, 30, 23, 0)):
        client.get(reverse("patrols:home"))  # warm the session and caches
        # 12: one of them asks whether the user leads any shift (the "Shifts I lead" link)
        with django_assert_max_num_queries(12):
            response = client.get(reverse("patrols:home"))
    assert response.status_code == 200


# --- the round page ---------------------------------------------------------------------------
def test_the_round_page_shows_missed_checkpoints_in_red_after_the_sweep(night, org, client):
    guard = org.users.guard
    first = night.rounds[0]
    with clock.frozen(local(2026, 11, 30, 22, 20)):
        scan(guard, night.checkpoints[0], local(2026, 11, 30, 22, 5))
        scan(guard, night.checkpoints[1], local(2026, 11, 30, 22, 15),
             latitude=night.checkpoints[1].latitude + 1)  # far away: flagged
    with clock.frozen(local(2026, 11, 30, 22, 45)):
        scan(guard, night.checkpoints[2], local(2026, 11, 30, 22, 44))  # after the window
    with clock.frozen(local(2026, 11, 30, 22, 50)):
        patrolling.patrol_sweep()
        response = login(client, org.users.staff).get(
            reverse("patrols:round_detail", args=[first.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    statuses = dict((int(pk), status) for pk, status in re.findall(
        r'data-checkpoint="(\d+)" data-status="(\w+)"', html))
    cps = night.checkpoints
    assert statuses == {cps[0].pk: "on_time", cps[1].pk: "on_time", cps[2].pk: "late",
                        cps[3].pk: "missed"}
    assert f'checkpoint-row is-missed" data-checkpoint="{cps[3].pk}"' in html
    page = text_of(response)
    assert "Checkpoints missed" in page  # the round's state
    assert "1 missed" in page and "1 late" in page
    assert "Far from the checkpoint" in page
    assert "22:05:00" in page and "22:44:00" in page


def test_pending_checkpoints_are_not_missed_while_the_window_is_open(night, org, client):
    with clock.frozen(local(2026, 11, 30, 22, 10)):
        scan(org.users.guard, night.checkpoints[0], local(2026, 11, 30, 22, 5))
        response = login(client, org.users.guard).get(
            reverse("patrols:round_detail", args=[night.rounds[0].pk]))
    statuses = re.findall(r'data-status="(\w+)"', response.content.decode())
    assert statuses == ["on_time", "pending", "pending", "pending"]
    assert "Window open now" in text_of(response)


@pytest.mark.parametrize("who,status", [
    ("guard", 200), ("staff", 200), ("admin", 200), ("leadership", 200),
    ("student", 404), ("grid", 404), ("other_guard", 404),
])
def test_who_may_open_a_round(night, org, client, who, status):
    user = (user_with_role(Role.GUARD, campus=org.campus1) if who == "other_guard"
            else getattr(org.users, who))
    response = login(client, user).get(reverse("patrols:round_detail",
                                               args=[night.rounds[0].pk]))
    assert response.status_code == status


def test_an_unknown_round_is_404(org, client):
    response = login(client, org.users.admin).get(reverse("patrols:round_detail", args=[999]))
    assert response.status_code == 404


def test_the_round_page_query_count_is_pinned(night, org, client, django_assert_max_num_queries):
    with clock.frozen(local(2026, 11, 30, 22, 20)):
        for checkpoint in night.checkpoints:
            for _ in range(3):  # repeats and flags do not add queries
                scan(org.users.guard, checkpoint, local(2026, 11, 30, 22, 5),
                     latitude=checkpoint.latitude + 1)
        login(client, org.users.guard)
        client.get(reverse("patrols:round_detail", args=[night.rounds[0].pk]))
        with django_assert_max_num_queries(9):
            response = client.get(reverse("patrols:round_detail", args=[night.rounds[0].pk]))
    assert response.content.decode().count('data-status="on_time"') == 4


# --- start and end early ---------------------------------------------------------------------
def test_a_guard_starts_a_round_once(night, org, client):
    url = reverse("patrols:round_start", args=[night.rounds[0].pk])
    login(client, org.users.guard)
    with clock.frozen(IN_ROUND_1):
        response = client.post(url, follow=True)
        assert "Round started. Scan each checkpoint in turn." in text_of(response)
        response = client.post(url, follow=True)
    assert "This round has already started or ended." in text_of(response)
    round_ = PatrolRound.objects.get(pk=night.rounds[0].pk)
    assert round_.state == "in_progress" and round_.guard == org.users.guard
    assert client.get(url).status_code == 405


@pytest.mark.parametrize("at,start,later", [
    (local(2026, 11, 30, 21, 44), False, True),  # more than 15 minutes before the window
    (local(2026, 11, 30, 21, 45), True, False),
    (local(2026, 11, 30, 23, 59), True, False),  # late scans still count until 00:00
    (local(2026, 12, 1, 0, 0), False, False),  # over: round 2's time
])
def test_start_round_is_offered_only_when_the_round_can_be_started(night, org, client, at,
                                                                     start, later):
    login(client, org.users.guard)
    with clock.frozen(at):
        response = client.get(reverse("patrols:round_detail", args=[night.rounds[0].pk]))
    html = response.content.decode()
    assert ('id="start-round"' in html) is start
    assert ('id="start-later"' in html) is later
    assert ('id="scan-button"' in html) is (start or at >= local(2026, 11, 30, 21, 45)
                                            and at < local(2026, 12, 1))
    if later:
        assert "You can start this round from 21:45, 15 minutes before its window opens." in \
            text_of(response)


def test_starting_too_early_shows_the_services_message(night, org, client):
    login(client, org.users.guard)
    with clock.frozen(local(2026, 11, 30, 21, 0)):
        response = client.post(reverse("patrols:round_start", args=[night.rounds[0].pk]),
                               follow=True)
    assert "This round's window opens at 11-30 22:00; start it then." in \
        text_of(response).replace("&#x27;", "'")
    assert PatrolRound.objects.get(pk=night.rounds[0].pk).state == "planned"


def test_ending_early_needs_a_reason_and_shows_the_services_message(night, org, client):
    login(client, org.users.guard)
    url = reverse("patrols:round_end_early", args=[night.rounds[0].pk])
    with clock.frozen(IN_ROUND_1):
        client.post(reverse("patrols:round_start", args=[night.rounds[0].pk]))
        response = client.post(url, {"reason": "   "})
        assert response.status_code == 400
        assert "A reason is required." in text_of(response)
        assert PatrolRound.objects.get(pk=night.rounds[0].pk).state == "in_progress"
        response = client.post(url, {"reason": "Called to a fight at the east gate"},
                               follow=True)
    round_ = PatrolRound.objects.get(pk=night.rounds[0].pk)
    assert round_.state == "ended_early"
    assert round_.end_reason == "Called to a fight at the east gate"
    page = text_of(response)
    assert "Called to a fight at the east gate" in page and "Ended early" in page
    assert re.findall(r'data-status="(\w+)"', response.content.decode()) == ["missed"] * 4


def test_ending_a_planned_round_is_a_conflict_shown_on_the_form(night, org, client):
    login(client, org.users.staff)
    response = client.post(reverse("patrols:round_end_early", args=[night.rounds[0].pk]),
                           {"reason": "no"})
    assert response.status_code == 409
    assert "Only a round in progress can be ended early." in text_of(response)


def test_another_guard_cannot_end_someone_elses_round(night, org, client):
    other = user_with_role(Role.GUARD, campus=org.campus1)
    night.shift.guards.add(other)
    with clock.frozen(IN_ROUND_1):
        patrolling.round_start(actor=org.users.guard, round_id=night.rounds[0].pk)
    response = login(client, other).post(
        reverse("patrols:round_end_early", args=[night.rounds[0].pk]), {"reason": "tired"})
    assert response.status_code == 403
    assert "Only the round's guard or the shift leader can end it." in \
        text_of(response).replace("&#x27;", "'")


# --- the scan page and a sticker's landing page -------------------------------------------
def test_the_scan_page_carries_the_queue_config(night, org, client):
    with clock.frozen(IN_ROUND_1):
        response = login(client, org.users.guard).get(
            reverse("patrols:scan") + f"?round={night.rounds[0].pk}")
    assert response.status_code == 200
    assert (f'<span id="round-progress" data-round="{night.rounds[0].pk}">0 of 4 scanned'
            f'</span>') in response.content.decode()
    config = json.loads(re.search(r'id="patrol-config" type="application/json">(.*?)</script>',
                                  response.content.decode(), re.S).group(1))
    assert config["uploadUrl"] == reverse("patrols:scan_upload")
    assert config["roundId"] == night.rounds[0].pk
    assert config["queueKey"] == f"sc-patrol-queue:{org.users.guard.pk}"
    assert config["jsqrUrl"].endswith("vendor/jsqr/jsQR.js")
    assert config["text"]["waitingMany"] == "%(count)s scans waiting to upload"
    assert 'id="manual-form"' in response.content.decode()


def test_the_scan_page_does_not_offer_a_round_that_cannot_be_started_yet(night, org, client):
    with clock.frozen(local(2026, 11, 30, 20, 0)):
        response = login(client, org.users.guard).get(
            reverse("patrols:scan") + f"?round={night.rounds[0].pk}")
    html = response.content.decode()
    assert "Route north-night, round 1 is not open yet. Its window opens at 22:00; you can " \
           "start it from 21:45. A scan before then counts for no round." in text_of(response)
    assert 'id="round-progress"' not in html and '"roundId": null' in html


def test_only_patrollers_get_the_scan_page(org, client):
    assert login(client, org.users.student).get(reverse("patrols:scan")).status_code == 403


def test_a_stickers_page_shows_the_checkpoint_and_writes_nothing(night, org, client):
    checkpoint = night.checkpoints[2]
    code = patrolling.checkpoint_code(checkpoint)
    response = login(client, org.users.guard).get(reverse("patrols:scan_code", args=[code]))
    assert response.status_code == 200
    html = response.content.decode()
    assert f'<h1 class="h4 mb-1" id="checkpoint-title">{checkpoint.label}</h1>' in html
    assert json.dumps(code) in html  # the page's script queues and uploads it
    assert CheckpointScan.objects.count() == 0


def test_a_stickers_page_signs_in_first_and_comes_back(night, org, client):
    path = reverse("patrols:scan_code", args=[patrolling.checkpoint_code(night.checkpoints[0])])
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={path}"


def test_a_forged_revoked_or_unknown_stickers_page_says_why(night, org, client):
    login(client, org.users.guard)
    good = patrolling.checkpoint_code(night.checkpoints[0])
    forged = f"{night.checkpoints[1].pk}-1.{good.split('.', 1)[1]}"
    patrolling.checkpoint_rotate_code(actor=org.users.admin, checkpoint_id=night.checkpoints[0].pk)
    for code, message in ((forged, FORGED), (good, REVOKED), ("999-1.abc", FORGED),
                          ("ZZZZ3333", UNKNOWN)):
        response = client.get(reverse("patrols:scan_code", args=[code]))
        assert response.status_code == 200
        assert message in text_of(response).replace("&#x27;", "'")
        assert "This code cannot be scanned" in text_of(response)
        assert '"code": ""' in response.content.decode()  # nothing to queue
    assert CheckpointScan.objects.count() == 0


# --- the upload endpoint -----------------------------------------------------------------------
def test_upload_records_scans_and_a_replay_creates_nothing(night, org, client):
    login(client, org.users.guard)
    scans = [item(cp, at=local(2026, 11, 30, 22, 1 + i), latitude=float(cp.latitude),
                  longitude=float(cp.longitude), accuracy_m=12)
             for i, cp in enumerate(night.checkpoints)]
    with clock.frozen(local(2026, 11, 30, 23, 5)):  # uploaded late, from the offline queue
        response = upload(client, scans)
        replay = upload(client, scans)
    assert response.status_code == 200
    results = response.json()["results"]
    assert [r["status"] for r in results] == ["created"] * 4
    assert [r["client_id"] for r in results] == [s["client_id"] for s in scans]
    assert results[0]["checkpoint"] == "化学楼 Point 1" and results[0]["timing"] == "on_time"
    assert results[0]["time"] == "22:01:00" and results[0]["flags"] == []
    assert results[3]["round"] == {
        "id": night.rounds[0].pk, "url": f"/patrols/rounds/{night.rounds[0].pk}/",
        "sequence": 1, "state": "completed", "state_label": "Completed", "done": 4,
        "expected": 4}
    assert [r["status"] for r in replay.json()["results"]] == ["duplicate"] * 4
    assert CheckpointScan.objects.count() == 4
    stored = CheckpointScan.objects.get(client_id=scans[0]["client_id"])
    assert stored.scanned_at == local(2026, 11, 30, 22, 1)
    assert stored.received_at == local(2026, 11, 30, 23, 5)
    assert stored.accuracy_m == 12 and stored.distance_m == 0


def test_upload_refuses_unknown_forged_and_revoked_codes_with_their_messages(night, org,
                                                                             client):
    login(client, org.users.guard)
    good = patrolling.checkpoint_code(night.checkpoints[0])
    forged = f"{night.checkpoints[1].pk}-1.{good.split('.', 1)[1]}"
    patrolling.checkpoint_rotate_code(actor=org.users.admin, checkpoint_id=night.checkpoints[0].pk)
    with clock.frozen(IN_ROUND_1):
        response = upload(client, [item(code="ZZZZ2222"), item(code=forged), item(code=good),
                                   item(night.checkpoints[2])])
    results = response.json()["results"]
    assert [(r["status"], r["code"], r["error"]) for r in results] == [
        ("refused", "unknown_code", UNKNOWN),
        ("refused", "forged_code", FORGED),
        ("refused", "revoked_code", REVOKED),
        ("created", "", ""),
    ]
    assert CheckpointScan.objects.count() == 1


def test_a_scan_with_a_bad_or_missing_time_is_refused_alone(night, org, client):
    login(client, org.users.guard)
    bad = item(night.checkpoints[0])
    bad["scanned_at"] = "yesterday-ish"
    naive = item(night.checkpoints[1], at=IN_ROUND_1)
    naive["scanned_at"] = "2026-11-30T22:10:00"
    timeless = item(night.checkpoints[3])
    del timeless["scanned_at"]  # not "now": an offline scan's time is what counts
    with clock.frozen(IN_ROUND_1):
        results = upload(client, [bad, naive, item(night.checkpoints[2]),
                                  timeless]).json()["results"]
    assert [(r["status"], r["code"], r["error"]) for r in results] == [
        ("refused", "bad_time", "“yesterday-ish” is not a date and time. Send ISO 8601 with an "
                                "offset, e.g. 2026-11-30T22:05:00+08:00."),
        ("refused", "bad_time", "The scan time “2026-11-30T22:10:00” has no time zone offset. "
                                "Send e.g. 2026-11-30T22:05:00+08:00."),
        ("created", "", ""),
        ("refused", "bad_time", "The scan has no time. Send the phone's time in ISO 8601 with "
                                "an offset, e.g. 2026-11-30T22:05:00+08:00."),
    ]
    assert results[0]["client_id"] == bad["client_id"]
    assert CheckpointScan.objects.count() == 1


def test_odd_values_in_a_scan_are_answered_not_crashed_on(night, org, client):
    login(client, org.users.guard)
    odd = [
        item(night.checkpoints[0], accuracy_m=None, round_id=None, extra="ignored",
             latitude=None, longitude=None),
        item(night.checkpoints[1], accuracy_m="Infinity", round_id="abc",
             latitude=True, longitude={"x": 1}),
        {"code": 12345, "client_id": 7, "scanned_at": 5},
        "not an object",
        item(night.checkpoints[1], client_id="not-a-uuid"),
        item(night.checkpoints[2], note="x" * 501),
        item(night.checkpoints[3], round_id="abc"),
    ]
    with clock.frozen(IN_ROUND_1):
        response = client.post(reverse("patrols:scan_upload"),
                               data=json.dumps({"scans": odd}).replace('"Infinity"',
                                                                       "Infinity"),
                               content_type="application/json")
    assert response.status_code == 200
    results = response.json()["results"]
    assert [(r["status"], r["code"], r["error"]) for r in results] == [
        ("created", "", ""),
        ("refused", "bad_location", "The position is not a number."),
        ("refused", "bad_client_id", "The scan has no valid id from the phone."),
        ("refused", "bad_scan",
         "Each scan must be a JSON object with a code, a client_id and a scanned_at."),
        ("refused", "bad_client_id", "The scan has no valid id from the phone."),
        ("refused", "bad_note", "The note is too long (at most 500 characters)."),
        ("refused", "bad_round", "The round is not a valid round id."),
    ]
    assert [r["client_id"] for r in results[2:5]] == ["", "", "not-a-uuid"]
    stored = CheckpointScan.objects.get()
    assert stored.accuracy_m is None and stored.latitude is None


@pytest.mark.parametrize("body,message", [
    (b"{not json", "The upload is not valid JSON."),
    (b"\xff\xfe", "The upload is not valid JSON."),
    (b"[]", "The upload must be a JSON object with a list of scans under “scans”."),
    (b'{"scans": {"a": 1}}', "The upload must be a JSON object with a list of scans under "
                             "“scans”."),
])
def test_a_bad_upload_is_a_400_with_a_message(org, client, body, message):
    response = login(client, org.users.guard).post(reverse("patrols:scan_upload"), data=body,
                                                   content_type="application/json")
    assert response.status_code == 400
    assert response.json() == {"ok": False, "error": message, "code": "bad_json"}


def test_too_many_scans_at_once_are_refused(org, client):
    scans = [{"code": "X", "client_id": str(uuid.uuid4())} for _ in range(501)]
    response = upload(login(client, org.users.guard), scans)
    assert response.status_code == 400
    assert response.json()["error"] == "Upload at most 500 scans at once."


def test_upload_needs_a_signed_in_patroller_and_post(org, client):
    assert upload(client, []).status_code == 401
    assert upload(login(client, org.users.student), []).status_code == 403
    response = login(client, org.users.guard).get(reverse("patrols:scan_upload"))
    assert response.status_code == 405 and response.json()["error"] == "Use POST."


def test_upload_needs_the_csrf_header(org, client):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.cookies["django_language"] = "en"
    strict.force_login(org.users.guard)
    assert upload(strict, []).status_code == 403
    strict.get(reverse("patrols:scan"))  # sets the CSRF cookie
    token = strict.cookies["csrftoken"].value
    response = upload(strict, [], HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 200 and response.json() == {"ok": True, "results": []}


# --- hazards and incidents from a checkpoint -------------------------------------------------
def photo(tmp_path):
    path = tmp_path / "exit.jpg"
    Image.new("RGB", (64, 48), (200, 40, 40)).save(path, format="JPEG")
    return path


def test_report_a_hazard_at_a_checkpoint_links_it_to_the_round(night, org, client, tmp_path):
    round_, checkpoint = night.rounds[0], night.checkpoints[1]
    url = reverse("patrols:checkpoint_hazard", args=[round_.pk, checkpoint.pk])
    login(client, org.users.guard)
    page = client.get(url)
    assert page.status_code == 200 and "化学楼 Point 2" in text_of(page)
    key = uuid.uuid4().hex
    for _ in range(2):  # a double tap sends the same key twice
        with open(photo(tmp_path), "rb") as file:
            response = client.post(url, {"title": "Fire exit blocked", "category": org.fire.pk,
                                         "description": "Bicycles", "photos": file,
                                         "idempotency_key": key})
        assert response.status_code == 302
        assert response["Location"] == reverse("patrols:round_detail", args=[round_.pk])
    hazard = Hazard.objects.get()
    assert hazard.source == Source.PATROL and hazard.place_id == checkpoint.place_id
    assert hazard.campus_id == org.campus1.pk and hazard.photos.count() == 1
    assert (hazard.source_type.model_class(), hazard.source_id) == (PatrolRound, round_.pk)
    followed = client.get(response["Location"])
    assert f"Hazard {hazard.reference} reported at 化学楼 Point 2." in text_of(followed)
    hazard_page = login(client, org.users.staff).get(reverse("hazards:detail", args=[hazard.pk]))
    assert f'href="{round_.get_absolute_url()}"' in hazard_page.content.decode()


def test_a_hazard_form_with_errors_is_shown_again(night, org, client):
    url = reverse("patrols:checkpoint_hazard",
                  args=[night.rounds[0].pk, night.checkpoints[0].pk])
    response = login(client, org.users.guard).post(url, {"title": "", "category": ""})
    assert response.status_code == 400
    assert "The report was not sent." in text_of(response)
    assert Hazard.objects.count() == 0


def test_a_checkpoint_not_on_the_round_has_no_hazard_form(night, org, client):
    other = build_route(org, code="east-night", checkpoints=1).checkpoints[0]
    url = reverse("patrols:checkpoint_hazard", args=[night.rounds[0].pk, other.pk])
    assert login(client, org.users.guard).get(url).status_code == 404


def test_each_checkpoint_links_to_the_incident_form_for_its_place(night, org, client):
    response = login(client, org.users.guard).get(
        reverse("patrols:round_detail", args=[night.rounds[0].pk]))
    html = response.content.decode()
    for checkpoint in night.checkpoints:
        assert re.search(rf'href="/patrols/incidents/new/\?place={checkpoint.place_id}"', html)
        assert reverse("patrols:checkpoint_hazard",
                       args=[night.rounds[0].pk, checkpoint.pk]) in html
