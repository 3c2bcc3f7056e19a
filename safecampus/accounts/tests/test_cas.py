"""Single sign-on through a real CAS server (django-cas-server in its own process on loopback).

Given the test CAS server of :mod:`.cas_server` and SafeCampus served by ``live_server``, the
tests walk the CAS login with ``requests`` as a browser would, for CAS 2.0 and 3.0.
"""

import threading
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.db import connection
from django.db.models.signals import pre_save
from django.urls import reverse
from django.utils import translation
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from safecampus.accounts import services
from safecampus.accounts.models import Membership, Role, User
from safecampus.accounts.services import cas_user_resolve
from safecampus.accounts.views import CAS_STATE_KEY
from safecampus.core.errors import DomainError
from safecampus.core.models import ActivityEntry
from safecampus.tests.factories import user_with_role

from .cas_server import fixture as cas_fixture
from .cas_server.fixture import cas_server, cas_sign_in, cas_ticket  # noqa: F401 - fixture

pytestmark = pytest.mark.django_db(transaction=True)

REFUSED = "统一身份认证登录失败：登录票据无效、已过期或已被使用。请重新登录。"
OTHER_BROWSER = "此次登录不是在本浏览器中发起的，或已过期。请重新进行统一身份认证登录。"
NAME_TAKEN = "账号名 admin 已被其他账号使用，请联系保卫处。"


def begin(session, base_url: str, next_url: str = "/accounts/me/") -> str:
    """Press the CAS button in ``session`` (a requests session or a test client): the service
    URL (with this browser's ``state``) SafeCampus asks the CAS server to send it back to."""
    url = base_url + reverse("accounts:cas_login") + "?" + urlencode({"next": next_url})
    if isinstance(session, requests.Session):
        location = session.get(url, allow_redirects=False, timeout=30).headers["Location"]
    else:
        location = session.get(url)["Location"]
    return parse_qs(urlsplit(location).query)["service"][0]


@pytest.fixture
def cas_on(settings, cas_server):  # noqa: F811
    settings.CAS_SERVER_URL = cas_server.url
    settings.CAS_VERSION = "3"
    return cas_server


@pytest.fixture(params=["2", "3"], ids=["cas2", "cas3"])
def cas_version(request, settings, cas_on):
    """The CAS server, spoken to in CAS 2.0 (/serviceValidate) or 3.0 (/p3/serviceValidate)."""
    settings.CAS_VERSION = request.param
    return cas_on


def signed_in_user(round_) -> User | None:
    """The SafeCampus user of the session cookie the CAS round left behind (None if none)."""
    key = round_.session.cookies.get("sessionid")
    if not key:
        return None
    user_id = SessionStore(session_key=key).get(SESSION_KEY)
    return User.objects.filter(pk=user_id).first() if user_id else None


def test_first_sign_in_creates_a_community_member_and_the_second_finds_the_same_user(
        live_server, cas_version):
    # given a student SafeCampus has never seen
    assert not User.objects.filter(employee_number="2024010101").exists()
    # when they sign in through CAS
    first = cas_sign_in(live_server.url, cas_version, "2024010101")
    # then they land on the page they asked for, signed in as a new community member
    assert first.response.status_code == 302
    assert first.response.headers["Location"] == "/accounts/me/"
    page = first.session.get(live_server.url + "/accounts/me/", timeout=30)
    assert page.status_code == 200 and "王小明" in page.text
    user = User.objects.get(employee_number="2024010101")
    assert (user.username, user.full_name, user.email) == (
        "2024010101", "王小明", "wangxm@stu.example.edu.cn")
    assert user.is_active and not user.has_usable_password()
    assert list(user.memberships.values_list("role", flat=True)) == [Role.COMMUNITY_MEMBER]
    created = ActivityEntry.objects.get(verb="accounts.create", target_id=user.pk)
    assert created.data == {"source": "cas", "role": "community_member"}
    assert signed_in_user(first) == user
    # when they sign in again (a new browser), then it is the same account
    second = cas_sign_in(live_server.url, cas_version, "2024010101")
    assert signed_in_user(second) == user
    assert User.objects.filter(employee_number="2024010101").count() == 1
    assert ActivityEntry.objects.filter(verb="accounts.create").count() == 1


def test_an_existing_office_user_is_found_by_staff_number_and_keeps_the_office_role(
        live_server, cas_version):
    # given an office staff member whose local user name differs from the CAS id
    staff = user_with_role(Role.OFFICE_STAFF, username="lijianguo")
    staff.employee_number, staff.full_name, staff.email = "T20050017", "", ""
    staff.save()
    # when they sign in through CAS (the CAS says "staff", which is no office role)
    round_ = cas_sign_in(live_server.url, cas_version, "T20050017", next_url="/")
    # then they are that user, still office staff and nothing else; blanks were filled in
    assert round_.response.status_code == 302 and round_.response.headers["Location"] == "/"
    assert signed_in_user(round_) == staff
    assert list(staff.memberships.values_list("role", flat=True)) == [Role.OFFICE_STAFF]
    staff.refresh_from_db()
    assert (staff.full_name, staff.email) == ("李建国", "lijg@example.edu.cn")
    assert User.objects.count() == 1


def test_a_replayed_ticket_is_refused(live_server, cas_on):
    # given a ticket that was used to sign in
    first = cas_sign_in(live_server.url, cas_on, "2024010101")
    assert signed_in_user(first) is not None
    # when the same ticket URL is opened again by a browser holding that sign-in's state
    state = parse_qs(urlsplit(first.ticket_url).query)["state"][0]
    store = SessionStore()
    store[CAS_STATE_KEY] = [state]
    store.create()
    replay = requests.Session()
    replay.cookies.set("sessionid", store.session_key)
    response = replay.get(first.ticket_url, allow_redirects=False, timeout=30)
    # then the CAS server refuses the used ticket, our sign-in page says so, nobody is signed in
    assert response.status_code == 403
    assert REFUSED in response.text and 'id="cas-login"' in response.text
    assert not any(SessionStore(session_key=c.value).get(SESSION_KEY)
                   for c in replay.cookies if c.name == "sessionid")


def test_a_ticket_url_opened_in_another_browser_is_refused(live_server, cas_on):
    # given a ticket the CAS server issued to browser A (e.g. an attacker's own sign-in)
    browser_a, ticket_url = cas_ticket(live_server.url, cas_on, "2024010101")
    # when browser B is made to open it (login CSRF)
    victim = requests.Session()
    response = victim.get(ticket_url, allow_redirects=False, timeout=30)
    # then it is refused: B did not begin this sign-in; nobody is signed in, nothing created
    assert response.status_code == 403 and OTHER_BROWSER in response.text
    assert not User.objects.exists()
    # and without the state at all, too
    no_state = ticket_url.replace("state=", "x=")
    assert browser_a.get(no_state, allow_redirects=False, timeout=30).status_code == 403
    # while browser A, which began it, is signed in with it
    done = browser_a.get(ticket_url, allow_redirects=False, timeout=30)
    assert done.status_code == 302 and done.headers["Location"] == "/accounts/me/"


def test_a_made_up_ticket_is_refused_and_changes_nothing(live_server, cas_on):
    browser = requests.Session()
    url = begin(browser, live_server.url, "/") + "&ticket=ST-1-made-up-ticket-value"
    with translation.override("en"):
        response = browser.get(url, allow_redirects=False, timeout=30,
                               headers={"Accept-Language": "en"})
    assert response.status_code == 403
    assert REFUSED in response.text  # Chinese first, whatever the browser asks for
    assert User.objects.count() == 0


def test_a_ticket_issued_for_another_service_url_is_refused(live_server, cas_on):
    # given a fresh ticket issued for ".../accounts/cas/login/?next=/accounts/me/"
    session = requests.Session()
    start = session.get(live_server.url + "/accounts/cas/login/?next=/accounts/me/",
                        allow_redirects=False, timeout=30)
    form = session.get(start.headers["Location"], timeout=30)
    from .cas_server.fixture import _Inputs

    inputs = _Inputs()
    inputs.feed(form.text)
    posted = session.post(form.url, data={**inputs.values, "username": "2024010101",
                                          "password": cas_on.password},
                          allow_redirects=False, timeout=30)
    query = parse_qs(urlsplit(posted.headers["Location"]).query)
    ticket, state = query["ticket"][0], query["state"][0]
    # when it is presented for another service URL (next=/ instead of /accounts/me/)
    response = session.get(f"{live_server.url}/accounts/cas/login/?"
                           + urlencode({"next": "/", "state": state, "ticket": ticket}),
                           allow_redirects=False, timeout=30)
    # then it is refused
    assert response.status_code == 403 and REFUSED in response.text
    assert User.objects.count() == 0


def test_a_disabled_account_is_refused_with_a_message(live_server, cas_on):
    user = user_with_role(Role.OFFICE_STAFF, username="zhaomin")
    user.employee_number, user.is_active = "T20090033", False
    user.save()
    round_ = cas_sign_in(live_server.url, cas_on, "T20090033")
    assert round_.response.status_code == 403
    assert "您的平安校园账号已停用，请联系保卫处。" in round_.response.text
    assert signed_in_user(round_) is None


@pytest.mark.parametrize("match_field", ["employee_number", "username"])
def test_a_cas_name_never_takes_over_a_local_account_of_another_person(
        live_server, cas_on, settings, match_field):
    settings.SAFECAMPUS_CAS = {**settings.SAFECAMPUS_CAS, "MATCH_FIELD": match_field}
    # given the local administrator "admin" (a superuser with a password, no staff number)
    admin = user_with_role(Role.OFFICE_ADMIN, username="admin")
    admin.is_superuser = admin.is_staff = True
    admin.save()
    # when a CAS account called "admin" signs in
    round_ = cas_sign_in(live_server.url, cas_on, "admin")
    # then it is refused, and the local account is untouched
    assert round_.response.status_code == 403
    assert NAME_TAKEN in round_.response.text
    assert signed_in_user(round_) is None
    assert User.objects.get() == admin


@pytest.mark.parametrize("match_field", ["employee_number", "username"])
@pytest.mark.parametrize("cas_id", ["admin", "ADMIN", "ａｄｍｉｎ", " admin "])
def test_no_spelling_of_a_cas_id_maps_to_a_local_administrator(settings, db, match_field,
                                                                 cas_id):
    settings.SAFECAMPUS_CAS = {**settings.SAFECAMPUS_CAS, "MATCH_FIELD": match_field}
    admin = user_with_role(Role.OFFICE_ADMIN, username="admin")
    admin.is_superuser = admin.is_staff = True
    admin.save()
    with pytest.raises(DomainError) as refused:
        cas_user_resolve(cas_id=cas_id, attributes={"cn": "冒名者"})
    assert refused.value.code == "cas_name_taken"
    assert list(User.objects.all()) == [admin] and admin.full_name != "冒名者"


def test_by_user_name_only_accounts_without_a_password_or_linked_ones_are_mapped(settings, db):
    settings.SAFECAMPUS_CAS = {**settings.SAFECAMPUS_CAS, "MATCH_FIELD": "username"}
    # given a local account with its own password, one from the roster (no password) …
    local = user_with_role(Role.OFFICE_STAFF, username="zhangsan")
    roster = user_with_role(Role.COMMUNITY_MEMBER, username="lisi")
    roster.set_unusable_password()
    roster.save()
    # … then CAS "zhangsan" is refused, CAS "lisi" is that roster account
    with translation.override("zh-hans"), pytest.raises(DomainError) as refused:
        cas_user_resolve(cas_id="zhangsan")
    assert refused.value.message == "账号名 zhangsan 已被其他账号使用，请联系保卫处。"
    assert cas_user_resolve(cas_id="lisi") == roster
    # when the office links the local account (and an administrator's), they are mapped
    local.cas_linked = True
    local.save()
    assert cas_user_resolve(cas_id="zhangsan") == local


def test_by_number_an_administrator_needs_the_link(settings, db):
    boss = user_with_role(Role.OFFICE_ADMIN, username="boss")
    boss.employee_number, boss.is_staff = "T20010001", True
    boss.save()
    with translation.override("zh-hans"), pytest.raises(DomainError) as refused:
        cas_user_resolve(cas_id="T20010001")
    assert refused.value.code == "cas_not_linked"
    assert refused.value.message == ("此账号不能通过统一身份认证登录。请使用密码登录，或请保卫处为其"
                                     "关联统一身份认证。")
    boss.cas_linked = True
    boss.save()
    assert cas_user_resolve(cas_id="T20010001") == boss


@pytest.mark.parametrize("cas_id", ["t20050017", "Ｔ２００５００１７", " T20050017 "])
def test_numbers_match_as_the_roster_import_normalises_them(db, cas_id):
    # given a staff number stored by the roster import
    staff = user_with_role(Role.OFFICE_STAFF, username="lijianguo")
    staff.employee_number = "T20050017"
    staff.save()
    # when the CAS server spells it in another case / full width / with spaces
    user = cas_user_resolve(cas_id=cas_id, attributes={})
    # then it is the same person, still office staff, and nobody new was created
    assert user == staff and User.objects.count() == 1
    assert list(user.memberships.values_list("role", flat=True)) == [Role.OFFICE_STAFF]


def _other_tab_creates(user_kwargs: dict):
    """A ``pre_save`` receiver: just before the first sign-in saves the new account, another
    connection (another tab, another web node) creates and commits ``user_kwargs``."""
    done = []

    def receiver(sender, instance, **kwargs):
        if done or instance.pk is not None or instance.username != user_kwargs["username"]:
            return
        done.append(True)  # once: the other tab's own save fires this receiver too

        def create():
            try:
                other = User(**user_kwargs)
                other.set_unusable_password()
                other.save()
            finally:
                connection.close()

        thread = threading.Thread(target=create)
        thread.start()
        thread.join()
    return receiver


@pytest.fixture
def postgres(transactional_db):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite serialises writers, so another tab cannot "
                    "create the account in between (run with DATABASE_URL=postgres://…)")


@pytest.mark.postgres_only
@pytest.mark.parametrize("number, same_person", [("2024010101", True), ("T99", False)])
def test_an_account_created_meanwhile_is_used_only_if_it_is_the_same_person(
        postgres, number, same_person):
    receiver = _other_tab_creates({"username": "2024010101", "employee_number": number})
    pre_save.connect(receiver, sender=User)
    try:
        if same_person:
            user = cas_user_resolve(cas_id="2024010101", attributes={"cn": "王小明"})
            assert user.employee_number == "2024010101" and User.objects.count() == 1
        else:
            with pytest.raises(DomainError) as refused:
                cas_user_resolve(cas_id="2024010101", attributes={"cn": "王小明"})
            assert refused.value.code == "cas_name_taken"
            assert User.objects.get().employee_number == "T99"
    finally:
        pre_save.disconnect(receiver, sender=User)


def test_a_new_account_gets_the_role_its_attribute_maps_to(live_server, cas_on, settings):
    settings.SAFECAMPUS_CAS = {**settings.SAFECAMPUS_CAS, "ROLE_ATTRIBUTE": "eduPersonAffiliation",
                               "ROLE_MAP": {"security": "office_staff", "staff": "office_admin"}}
    # a mapped, allowed role is given to a new account …
    round_ = cas_sign_in(live_server.url, cas_on, "T20120045")
    assert signed_in_user(round_).scope.roles == {Role.OFFICE_STAFF}
    # … a role needing review (office administrator) never is: the default applies
    other = cas_sign_in(live_server.url, cas_on, "T20090033")
    assert set(signed_in_user(other).memberships.values_list("role", flat=True)) == {
        Role.COMMUNITY_MEMBER}


def test_bad_tickets_do_not_lock_cas_sign_in_behind_one_address(live_server, cas_on, settings):
    from axes.models import AccessAttempt

    settings.AXES_ENABLED = True
    # given 11 refused tickets from this IP address (more than AXES_FAILURE_LIMIT)
    browser = requests.Session()
    for attempt in range(11):
        url = begin(browser, live_server.url) + f"&ticket=ST-bogus-{attempt}"
        bad = browser.get(url, allow_redirects=False, timeout=30)
        assert bad.status_code == 403 and REFUSED in bad.text
    # then none counted as a password failure (they would lock "no user name + this IP")
    assert not AccessAttempt.objects.exists()
    # and a valid CAS sign-in from the same address works
    good = cas_sign_in(live_server.url, cas_on, "2024010101")
    assert good.response.status_code == 302 and signed_in_user(good) is not None


def test_cas_sign_in_of_an_officer_with_two_factor_asks_for_the_code(live_server, cas_on):
    # given an office member with two-factor authentication on, known by staff number
    staff = user_with_role(Role.OFFICE_STAFF, username="lijianguo")
    staff.employee_number = "T20050017"
    staff.save()
    device = services.two_factor_start(user=staff)
    services.two_factor_confirm(user=staff, token=_code(device))
    TOTPDevice.objects.filter(pk=device.pk).update(last_t=-1)
    # when they sign in through CAS
    round_ = cas_sign_in(live_server.url, cas_on, "T20050017", next_url="/")
    assert round_.response.status_code == 302 and signed_in_user(round_) == staff
    # then every page first asks for the code
    home = round_.session.get(live_server.url + "/", allow_redirects=False, timeout=30)
    assert home.status_code == 302 and home.headers["Location"] == "/accounts/verify/?next=%2F"
    page = round_.session.get(live_server.url + home.headers["Location"], timeout=30)
    assert "输入动态验证码" in page.text and 'id="mainnav"' not in page.text
    # and with the code they reach the page
    done = round_.session.post(live_server.url + "/accounts/verify/",
                               data={"code": _code(device), "next": "/",
                                     "csrfmiddlewaretoken": round_.session.cookies["csrftoken"]},
                               headers={"Referer": page.url}, allow_redirects=False, timeout=30)
    assert done.status_code == 302 and done.headers["Location"] == "/"
    assert round_.session.get(live_server.url + "/", allow_redirects=False,
                              timeout=30).status_code == 200


def _code(device: TOTPDevice) -> str:
    device.refresh_from_db()
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"


def test_signing_out_of_a_cas_session_signs_out_at_the_cas_server_too(live_server, cas_on):
    round_ = cas_sign_in(live_server.url, cas_on, "2024010101")
    page = round_.session.get(live_server.url + "/accounts/me/", timeout=30)
    token = round_.session.cookies["csrftoken"]
    out = round_.session.post(live_server.url + "/accounts/logout/",
                              data={"csrfmiddlewaretoken": token},
                              headers={"Referer": page.url}, allow_redirects=False, timeout=30)
    assert out.status_code == 302
    assert out.headers["Location"].startswith(cas_on.url + "logout?service=")
    assert signed_in_user(round_) is None


@pytest.mark.parametrize("path", ["/accounts/logout/", "/accounts/cas/logout/"])
@pytest.mark.parametrize("next_url, back_to", [
    ("https://evil.example/", "/"), ("//evil.example/", "/"), ("/\\evil.example/", "/"),
    ("/hazards/?page=2", "/hazards/?page=2")])
def test_the_cas_server_sends_the_browser_back_only_to_this_site(live_server, cas_on, path,
                                                                 next_url, back_to):
    round_ = cas_sign_in(live_server.url, cas_on, "2024010101")
    page = round_.session.get(live_server.url + "/accounts/me/", timeout=30)
    out = round_.session.post(live_server.url + path + "?" + urlencode({"next": next_url}),
                              data={"csrfmiddlewaretoken": round_.session.cookies["csrftoken"]},
                              headers={"Referer": page.url}, allow_redirects=False, timeout=30)
    assert out.status_code == 302
    assert out.headers["Location"] == cas_on.url + "logout?" + urlencode(
        {"service": live_server.url + back_to})
    assert signed_in_user(round_) is None


# --- without a CAS server ----------------------------------------------------------------------
def test_without_cas_the_sign_in_page_has_no_button_and_the_cas_url_is_404(client, settings):
    settings.CAS_SERVER_URL = None
    page = client.get(reverse("accounts:login"))
    assert 'id="cas-login"' not in page.content.decode()
    assert client.get(reverse("accounts:cas_login")).status_code == 404


def test_with_cas_the_button_comes_first_and_keeps_next(client, settings):
    settings.CAS_SERVER_URL = "http://127.0.0.1:9/cas/"
    html = client.get(reverse("accounts:login") + "?next=/hazards/").content.decode()
    assert html.index('id="cas-login"') < html.index('name="password"')
    assert 'href="/accounts/cas/login/?next=%2Fhazards%2F"' in html
    assert "统一身份认证登录" in html


@pytest.mark.parametrize("next_url", ["https://evil.example/", "//evil.example/",
                                      "/\\evil.example/", "\\\\evil.example"])
def test_a_next_leading_off_site_is_replaced_by_the_home_page(client, settings, next_url):
    settings.CAS_SERVER_URL = "http://127.0.0.1:9/cas/"
    response = client.get(reverse("accounts:cas_login") + "?" + urlencode({"next": next_url}))
    assert response.status_code == 302
    assert response.url.startswith("http://127.0.0.1:9/cas/login?service=")
    service = parse_qs(urlsplit(response.url).query)["service"][0]
    state = client.session[CAS_STATE_KEY][-1]
    assert service == "http://testserver/accounts/cas/login/?" + urlencode(
        {"next": "/", "state": state})


def test_the_cas_post_is_404_without_cas_and_never_a_500(client, settings):
    settings.CAS_SERVER_URL = None
    assert client.post(reverse("accounts:cas_login"), {"x": "1"}).status_code == 404
    settings.CAS_SERVER_URL = "http://127.0.0.1:9/cas/"
    response = client.post(reverse("accounts:cas_login"), {"next": "https://evil.example/"})
    assert response.status_code == 400 and "Location" not in response


SLO = """<samlp:LogoutRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol"
 xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="x" Version="2.0"
 IssueInstant="2026-01-01T00:00:00Z"><saml:NameID>2024010101</saml:NameID>
 <samlp:SessionIndex>{ticket}</samlp:SessionIndex></samlp:LogoutRequest>"""


def test_single_logout_is_refused_unless_the_setting_allows_it(client, settings):
    settings.CAS_SERVER_URL = "http://127.0.0.1:9/cas/"
    student = user_with_role(Role.COMMUNITY_MEMBER, username="2024010101")
    client.force_login(student)
    services.cas_session_remember(session_key=client.session.session_key, ticket="ST-1-abc")
    server = type(client)()
    # by default the CAS server's logout request is refused, the session lives on
    refused = server.post(reverse("accounts:cas_login"),
                          {"logoutRequest": SLO.format(ticket="ST-1-abc")})
    assert refused.status_code == 400
    assert client.get(reverse("accounts:profile")).status_code == 200
    # with the setting on, it ends that session; unreadable requests are refused
    settings.SAFECAMPUS_CAS = {**settings.SAFECAMPUS_CAS, "SINGLE_LOGOUT": True}
    assert server.post(reverse("accounts:cas_login"), {"logoutRequest": "<x"}).status_code == 400
    assert client.get(reverse("accounts:profile")).status_code == 200
    done = server.post(reverse("accounts:cas_login"),
                       {"logoutRequest": SLO.format(ticket="ST-1-abc")})
    assert done.status_code == 200
    assert client.get(reverse("accounts:profile")).status_code == 302


def test_an_unreachable_cas_server_is_refused_with_a_message(client, settings):
    settings.CAS_SERVER_URL = "http://127.0.0.1:9/cas/"  # discard port: nothing listens
    response = client.get(begin(client, "", "/") + "&ticket=ST-1-abc")
    assert response.status_code == 403
    assert "无法连接统一身份认证服务" in response.content.decode()
    assert not Membership.objects.exists()


def test_the_cas_server_fixture_fails_under_ci_instead_of_skipping(monkeypatch):
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="did not start"):
        cas_fixture.unavailable("the test CAS server did not start")
    monkeypatch.delenv("CI")
    with pytest.raises(pytest.skip.Exception):
        cas_fixture.unavailable("the test CAS server did not start")
