"""Wall displays (大屏): tokens created once and stored hashed, revoked, unknown; the screen
and its fragment open without a session; the token opens nothing else."""

import datetime as dt
import hashlib
import re

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from safecampus.core import clock
from safecampus.core.errors import DomainError, NotAllowed
from safecampus.core.models import ActivityEntry
from safecampus.dashboards import services
from safecampus.dashboards.models import DisplayToken

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 20, 4, 0, tzinfo=dt.UTC)


@pytest.fixture
def display(org):
    with clock.frozen(NOW):
        return services.display_token_create(actor=org.users.admin, name="值班室大屏")


def test_create_stores_only_the_hash_and_writes_the_timeline(org, display):
    shown, token = display
    row = DisplayToken.objects.get(pk=shown.pk)
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in row.token_hash and len(token) >= 40
    assert row.campus_id is None and row.created_by == org.users.admin
    entry = ActivityEntry.objects.get(verb="dashboards.display_create")
    assert entry.target_id == row.pk and entry.actor == org.users.admin


def test_create_refuses_a_bad_name_or_campus_and_others(org):
    with translation.override("en"):
        with pytest.raises(DomainError) as error:
            services.display_token_create(actor=org.users.admin, name="  ")
        assert error.value.field_errors == {"name": ["Give the display a name."]}
        with pytest.raises(DomainError) as error:
            services.display_token_create(actor=org.users.admin, name="x", campus_id=999999)
        assert error.value.field_errors == {"campus": ["No such campus."]}
    for user in (org.users.staff, org.users.leadership, org.users.contact_a):
        with pytest.raises(NotAllowed):
            services.display_token_create(actor=user, name="大屏")
    assert not DisplayToken.objects.exists()


def test_admin_page_shows_the_address_once_with_a_qr_code(org, client):
    client.force_login(org.users.admin)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.post(reverse("dashboards:displays"),
                           {"name": "东门大屏", "campus": org.campus1.pk})
    html = response.content.decode()
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    token_url = re.search(r'value="(http://testserver/screen/[^"]+/)"', html).group(1)
    assert 'id="display-qr"' in html and "data:image/svg+xml" in html
    assert DisplayToken.objects.get().campus == org.campus1
    # Shown once: the list page does not repeat it
    assert token_url not in client.get(reverse("dashboards:displays")).content.decode()
    # Empty name: the error, nothing created
    response = client.post(reverse("dashboards:displays"), {"name": ""})
    assert "This field is required." in response.content.decode()
    assert DisplayToken.objects.count() == 1


def test_the_screen_opens_without_a_session_and_records_last_seen(org, client, display):
    shown, token = display
    with clock.frozen(NOW):
        response = client.get(reverse("dashboards:screen", args=[token]))
    assert response.status_code == 200
    assert "sessionid" not in response.cookies and "csrftoken" not in response.cookies
    html = response.content.decode()
    assert '<html lang="zh-Hans">' in html
    assert "逾期隐患" in html  # Chinese whatever the browser asks for
    assert f'hx-get="/screen/{token}/data/"' in html and 'hx-trigger="every 60s, screen-refresh"' in html
    shown.refresh_from_db()
    assert shown.last_seen_at == NOW
    # The fragment: same figures, at most one write a minute
    with clock.frozen(NOW + dt.timedelta(seconds=30)):
        fragment = client.get(reverse("dashboards:screen_data", args=[token]))
    assert fragment.status_code == 200
    assert "<html" not in fragment.content.decode()
    assert 'data-metric="hazards_overdue"' in fragment.content.decode()
    shown.refresh_from_db()
    assert shown.last_seen_at == NOW
    with clock.frozen(NOW + dt.timedelta(seconds=61)):
        client.get(reverse("dashboards:screen_data", args=[token]))
    shown.refresh_from_db()
    assert shown.last_seen_at == NOW + dt.timedelta(seconds=61)
    assert "sessionid" not in fragment.cookies


def test_revoked_and_unknown_tokens_get_403_in_chinese(org, client, display):
    shown, token = display
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    for bad in ("nope", "x" * 200, token + "x"):
        response = client.get(reverse("dashboards:screen", args=[bad]))
        assert response.status_code == 403
        assert "此终端无权打开大屏" in response.content.decode()
    services.display_token_revoke(actor=org.users.admin, display_id=shown.pk)
    for name in ("screen", "screen_data", "screen_map"):
        response = client.get(reverse(f"dashboards:{name}", args=[token]))
        assert response.status_code == 403
        assert "请联系" in response.content.decode()
    # Revoking twice is harmless; an unknown display is an error; others may not
    services.display_token_revoke(actor=org.users.admin, display_id=shown.pk)
    assert ActivityEntry.objects.filter(verb="dashboards.display_revoke").count() == 1
    with pytest.raises(DomainError):
        services.display_token_revoke(actor=org.users.admin, display_id=999999)
    with pytest.raises(NotAllowed):
        services.display_token_revoke(actor=org.users.staff, display_id=shown.pk)


def test_revoke_asks_for_a_ticked_box_first(org, client, display):
    shown, _token = display
    url = reverse("dashboards:display_revoke", args=[shown.pk])
    client.force_login(org.users.admin)
    # Given the list, "Revoke…" is a link to a confirmation page, not a one-click form
    listing = client.get(reverse("dashboards:displays")).content.decode()
    assert f'href="{url}"' in listing and f'action="{url}"' not in listing
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    with translation.override("en"):
        page = client.get(url)
        assert page.status_code == 200
        html = page.content.decode()
        assert "值班室大屏" in html and "Revoking cannot be undone" in html
        assert 'type="checkbox" name="confirm"' in html
        # When it is posted without the box ticked, nothing is revoked
        refused = client.post(url)
        assert refused.status_code == 400
        assert "Tick the box to revoke the display link." in refused.content.decode()
    shown.refresh_from_db()
    assert shown.revoked_at is None
    assert not ActivityEntry.objects.filter(verb="dashboards.display_revoke").exists()
    # Then with the box ticked it is revoked, once
    response = client.post(url, {"confirm": "on"}, follow=True)
    assert response.status_code == 200
    shown.refresh_from_db()
    assert shown.revoked_at is not None
    assert client.get(url).status_code == 302
    assert ActivityEntry.objects.filter(verb="dashboards.display_revoke").count() == 1
    client.force_login(org.users.staff)
    assert client.post(url, {"confirm": "on"}).status_code == 403
    assert client.get(url).status_code == 403


def test_the_token_grants_no_other_page(org, client, display):
    _shown, token = display
    # The screen is read, then every other page still asks for a sign-in
    client.get(reverse("dashboards:screen", args=[token]))
    for url in (reverse("dashboards:cockpit"), reverse("hazards:ledger"), reverse("dashboards:home"),
                f"{reverse('dashboards:cockpit')}?token={token}"):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    # Only GET
    assert client.post(reverse("dashboards:screen", args=[token])).status_code == 405


def test_a_campus_screen_shows_the_map_when_there_is_one(org, client):
    from safecampus.police.tests.risk_map_helpers import give_map

    give_map(org.campus1)
    _display, token = services.display_token_create(actor=org.users.admin, name="北校区",
                                                    campus_id=org.campus1.pk)
    html = client.get(reverse("dashboards:screen", args=[token])).content.decode()
    assert f'href="/screen/{token}/map/"' in html
    image = client.get(reverse("dashboards:screen_map", args=[token]))
    assert image.status_code == 200 and b"".join(image.streaming_content)[:4] == b"\x89PNG"
    # A whole-university display has no map
    _d, other = services.display_token_create(actor=org.users.admin, name="全校")
    assert client.get(reverse("dashboards:screen_map", args=[other])).status_code == 404


def test_the_screen_shows_figures_per_unit_and_never_a_hazard_title(org, client, display):
    # Given two overdue hazards of unit A (the titles name what and where)
    from safecampus.hazards import services as hazard_services

    _shown, token = display
    with clock.frozen(NOW - dt.timedelta(days=20)):
        for title in ("化学楼三层消防通道堵塞", "危化品库房门锁损坏"):
            hazard = hazard_services.hazard_report(
                reporter=org.users.student, title=title, category_id=org.fire.pk,
                place_id=org.place_a.pk)
            hazard_services.hazard_confirm(actor=org.users.staff, hazard_id=hazard.pk)
            hazard_services.notice_issue(actor=org.users.staff, hazard_ids=[hazard.pk],
                                         requirements="整改", deadline_days=7)
    # When the whole-university screen (no map) and its fragment are read
    with clock.frozen(NOW):
        pages = [client.get(reverse(name, args=[token])).content.decode()
                 for name in ("dashboards:screen", "dashboards:screen_data")]
    for html in pages:
        # Then no hazard title is shown, only counts per unit
        assert "化学楼三层消防通道堵塞" not in html and "危化品库房门锁损坏" not in html
        assert "各单位未整改隐患" in html
        row = re.search(r"<tr><td>化学学院</td><td[^>]*>(\d+)</td><td[^>]*>(\d+)</td></tr>", html)
        assert row and row.groups() == ("2", "2")
