"""Two-factor authentication (TOTP with django-otp) for office staff: set-up, the code step
at sign-in, wrong / reused / backup codes, turning it off, and the "required" setting."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from safecampus.accounts import services
from safecampus.accounts.models import Role
from safecampus.core.models import ActivityEntry
from safecampus.tests.factories import user_with_role

pytestmark = pytest.mark.django_db

PASSWORD = "pass-1234"
WRONG = "验证码不正确或已被使用。"


def current_code(device: TOTPDevice) -> str:
    device.refresh_from_db()
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"


def a_while_later(user) -> None:
    """Given the throttling wait after the last wrong code has passed."""
    past = timezone.now() - dt.timedelta(minutes=10)
    TOTPDevice.objects.filter(user=user).update(throttling_failure_timestamp=past)
    from django_otp.plugins.otp_static.models import StaticDevice
    StaticDevice.objects.filter(user=user).update(throttling_failure_timestamp=past)


@pytest.fixture
def officer():
    return user_with_role(Role.OFFICE_STAFF, username="officer1")


@pytest.fixture
def protected(officer):
    """The officer with two-factor on: (user, app device, backup codes)."""
    device = services.two_factor_start(user=officer)
    codes = services.two_factor_confirm(user=officer, token=current_code(device)).backup_codes
    device.refresh_from_db()
    # the set-up code is spent; sign-in tests start from a fresh time step
    TOTPDevice.objects.filter(pk=device.pk).update(last_t=-1)
    return officer, device, codes


def sign_in(client, username, next_url="/accounts/me/"):
    response = client.post(reverse("accounts:login") + "?next=" + next_url,
                           {"username": username, "password": PASSWORD, "next": next_url})
    assert response.status_code == 302, response.content.decode()[:500]
    return response


def test_an_office_user_sets_up_the_app_and_gets_ten_backup_codes_once(client, officer):
    client.force_login(officer)
    profile = client.get(reverse("accounts:profile")).content.decode()
    assert reverse("accounts:two_factor") in profile and "未开启" in profile
    # when they start the set-up, then a QR code of the otpauth:// URI and the key are shown
    assert client.post(reverse("accounts:two_factor_start")).status_code == 302
    page = client.get(reverse("accounts:two_factor")).content.decode()
    device = TOTPDevice.objects.get(user=officer, confirmed=False)
    assert reverse("accounts:two_factor_qr") in page and 'id="totp-key"' in page
    qr = client.get(reverse("accounts:two_factor_qr"))
    assert qr["Content-Type"] == "image/svg+xml" and b"<svg" in qr.content
    assert device.config_url.startswith("otpauth://totp/SafeCampus%3Aofficer1?secret=")
    # a wrong code is refused and changes nothing
    response = client.post(reverse("accounts:two_factor_confirm"), {"code": "000000"})
    assert response.status_code == 400
    assert "验证码不正确，请输入应用当前显示的 6 位数字。" in response.content.decode()
    assert not TOTPDevice.objects.filter(user=officer, confirmed=True).exists()
    # right after it, even the right code waits (django-otp throttling)
    response = client.post(reverse("accounts:two_factor_confirm"),
                           {"code": current_code(device)})
    assert "验证码错误次数较多，请 1 秒后再试。" in response.content.decode()
    # when the wait is over and the current code is entered
    a_while_later(officer)
    response = client.post(reverse("accounts:two_factor_confirm"),
                           {"code": current_code(device)})
    # then it is on, and (after a redirect) ten backup codes are shown this once
    assert response.status_code == 302 and response.url == reverse("accounts:two_factor")
    html = client.get(response.url).content.decode()
    assert "双因素认证已开启。" in html
    codes = list(StaticToken.objects.filter(device__user=officer).values_list("token", flat=True))
    assert len(codes) == 10 and all(code in html for code in codes)
    assert ActivityEntry.objects.filter(verb="accounts.two_factor_enable",
                                        target_id=officer.pk).count() == 1
    # … and never again: the page and the QR code no longer give them (nor the secret)
    again = client.get(reverse("accounts:two_factor")).content.decode()
    assert not any(code in again for code in codes) and "剩余 10 个备用验证码。" in again
    assert client.get(reverse("accounts:two_factor_qr")).status_code == 404
    # the session that set it up stays signed in
    assert client.get(reverse("accounts:profile")).status_code == 200


def test_sign_in_asks_for_the_code_before_any_page(client, protected):
    officer, device, codes = protected
    # when the officer signs in with the password
    response = sign_in(client, "officer1")
    # then every page (and the API) sends them to the code step first
    assert response.url == "/accounts/me/"
    response = client.get("/accounts/me/")
    assert response.status_code == 302
    assert response.url == reverse("accounts:two_factor_verify") + "?next=%2Faccounts%2Fme%2F"
    assert client.get("/").url.startswith(reverse("accounts:two_factor_verify"))
    api = client.get("/api/v1/hazards/hazards/")
    assert api.status_code == 403 and api.json() == {
        "detail": "请先输入双因素认证的动态验证码。", "code": "two_factor_required", "errors": {}}
    page = client.get(response.url).content.decode()
    assert "输入动态验证码" in page and 'name="code"' in page
    # a wrong code is refused
    wrong = client.post(reverse("accounts:two_factor_verify"), {"code": "123456", "next": "/accounts/me/"})
    assert wrong.status_code == 400 and WRONG in wrong.content.decode()
    # and the next try must wait (throttling counts the wrong code)
    hurried = client.post(reverse("accounts:two_factor_verify"),
                          {"code": current_code(device), "next": "/accounts/me/"})
    assert hurried.status_code == 400 and "秒后再试" in hurried.content.decode()
    # when the current code is entered after the wait
    a_while_later(officer)
    code = current_code(device)
    done = client.post(reverse("accounts:two_factor_verify"), {"code": code, "next": "/accounts/me/"})
    # then they reach the page they asked for
    assert done.status_code == 302 and done.url == "/accounts/me/"
    assert client.get("/accounts/me/").status_code == 200
    # a code already used is refused in another sign-in
    other = type(client)()
    sign_in(other, "officer1")
    reused = other.post(reverse("accounts:two_factor_verify"), {"code": code, "next": "/"})
    assert reused.status_code == 400 and WRONG in reused.content.decode()
    assert other.get("/accounts/me/").status_code == 302


def test_a_backup_code_works_once(client, protected):
    officer, _device, codes = protected
    sign_in(client, "officer1")
    response = client.post(reverse("accounts:two_factor_verify"),
                           {"code": codes[0].upper(), "next": "/accounts/me/"})
    assert response.status_code == 302 and response.url == "/accounts/me/"
    assert client.get("/accounts/me/").status_code == 200
    assert StaticToken.objects.filter(device__user=officer).count() == 9
    other = type(client)()
    sign_in(other, "officer1")
    again = other.post(reverse("accounts:two_factor_verify"), {"code": codes[0], "next": "/"})
    assert again.status_code == 400 and WRONG in again.content.decode()


def test_turning_it_off_needs_a_current_code(client, protected):
    officer, device, codes = protected
    client.force_login(officer)
    # force_login is the password step; the code step is still due
    assert client.get(reverse("accounts:two_factor")).status_code == 302
    client.post(reverse("accounts:two_factor_verify"), {"code": codes[1], "next": "/"})
    wrong = client.post(reverse("accounts:two_factor_disable"), {"code": "999999"})
    assert wrong.status_code == 400 and WRONG in wrong.content.decode()
    assert TOTPDevice.objects.filter(user=officer).exists()
    a_while_later(officer)
    off = client.post(reverse("accounts:two_factor_disable"), {"code": codes[2]})
    assert off.status_code == 302 and off.url == reverse("accounts:profile")
    assert not TOTPDevice.objects.filter(user=officer).exists()
    assert not StaticToken.objects.filter(device__user=officer).exists()
    assert ActivityEntry.objects.filter(verb="accounts.two_factor_disable").count() == 1
    # the next sign-in needs only the password
    other = type(client)()
    sign_in(other, "officer1")
    assert other.get("/accounts/me/").status_code == 200


def test_people_outside_the_office_cannot_set_it_up(client):
    student = user_with_role(Role.COMMUNITY_MEMBER, username="student9")
    client.force_login(student)
    assert reverse("accounts:two_factor") not in client.get(
        reverse("accounts:profile")).content.decode()
    assert client.get(reverse("accounts:two_factor")).status_code == 403
    assert client.post(reverse("accounts:two_factor_start")).status_code == 403
    assert not TOTPDevice.objects.exists()


def test_with_the_required_setting_office_users_must_set_it_up(client, settings, officer):
    settings.OFFICE_2FA_REQUIRED = True
    sign_in(client, "officer1", next_url="/")
    response = client.get("/")
    assert response.status_code == 302
    assert response.url == reverse("accounts:two_factor") + "?next=%2F"
    page = client.get(response.url).content.decode()
    assert "保卫处账号须开启双因素认证，请完成设置后继续。" in page
    client.post(reverse("accounts:two_factor_start"))
    device = TOTPDevice.objects.get(user=officer)
    client.post(reverse("accounts:two_factor_confirm"), {"code": current_code(device)})
    assert client.get("/accounts/me/").status_code == 200
    # others are not asked
    student = user_with_role(Role.COMMUNITY_MEMBER, username="student9")
    other = type(client)()
    sign_in(other, student.username)
    assert other.get("/accounts/me/").status_code == 200


# --- the API token endpoint --------------------------------------------------------------------
def token_for(username, **extra):
    return APIClient().post("/api/v1/auth/token/",
                            {"username": username, "password": PASSWORD, **extra}, format="json")


def test_the_api_token_needs_the_code_when_two_factor_is_on(protected):
    officer, device, codes = protected
    # the password alone gets no token
    response = token_for("officer1")
    assert response.status_code == 403
    assert response.json() == {
        "detail": "此账号已开启双因素认证：请同时以 otp 参数发送当前的动态验证码。",
        "code": "two_factor_required", "errors": {}}
    # a wrong code neither
    wrong = token_for("officer1", otp="123456")
    assert wrong.status_code == 400 and wrong.json()["code"] == "wrong_code"
    assert wrong.json()["errors"] == {"otp": [WRONG]}
    assert not Token.objects.exists()
    # with the current code (after the throttling wait) there is a token, and it works
    a_while_later(officer)
    done = token_for("officer1", otp=current_code(device))
    assert done.status_code == 200
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION="Token " + done.json()["token"])
    assert api.get("/api/v1/hazards/hazards/").status_code == 200
    # a backup code works too (once)
    assert token_for("officer1", otp=codes[0]).json() == done.json()
    assert token_for("officer1", otp=codes[0]).status_code == 400


def test_the_api_token_is_refused_while_a_set_up_is_due(settings, officer):
    settings.OFFICE_2FA_REQUIRED = True
    response = token_for("officer1")
    assert response.status_code == 403 and response.json() == {
        "detail": "保卫处账号须开启双因素认证，请完成设置后继续。", "code": "two_factor_required",
        "errors": {}}
    assert not Token.objects.exists()
    # people outside the office are not asked
    user_with_role(Role.COMMUNITY_MEMBER, username="student9")
    assert token_for("student9").status_code == 200


def test_turning_two_factor_on_ends_other_sessions_and_deletes_api_tokens(client, officer):
    # given another session of the officer (say a stolen one) and an API token
    other = type(client)()
    other.force_login(officer)
    assert other.get("/accounts/me/").status_code == 200
    key = token_for("officer1").json()["token"]
    # when the officer turns two-factor authentication on in this session
    client.force_login(officer)
    client.post(reverse("accounts:two_factor_start"))
    device = TOTPDevice.objects.get(user=officer)
    on = client.post(reverse("accounts:two_factor_confirm"), {"code": current_code(device)},
                     follow=True)
    assert on.status_code == 200 and "双因素认证已开启。" in on.content.decode()
    # then this session goes on, the other one is signed out and the token is gone
    assert client.get("/accounts/me/").status_code == 200
    response = other.get("/accounts/me/")
    assert response.status_code == 302 and response.url.startswith(reverse("accounts:login"))
    assert not Token.objects.filter(key=key).exists()
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION="Token " + key)
    assert api.get("/api/v1/hazards/hazards/").status_code == 401
    # a new sign-in asks for the code
    again = type(client)()
    sign_in(again, "officer1")
    assert again.get("/accounts/me/").url.startswith(reverse("accounts:two_factor_verify"))


# --- where the code step applies ---------------------------------------------------------------
def test_the_admin_asks_an_unverified_user_for_the_code(client, protected):
    officer, device, _codes = protected
    officer.is_staff = True
    officer.save()
    response = client.post("/admin/login/?next=/admin/",
                           {"username": "officer1", "password": PASSWORD, "next": "/admin/"})
    assert response.status_code == 302
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response.url == reverse("accounts:two_factor_verify") + "?next=%2Fadmin%2F"
    client.post(reverse("accounts:two_factor_verify"), {"code": current_code(device),
                                                        "next": "/admin/"})
    assert client.get("/admin/").status_code == 200


def test_htmx_requests_go_back_to_the_page_the_browser_shows(client, protected):
    sign_in(client, "officer1")
    # an htmx fragment request sends the browser to the code step, then back to its page
    response = client.get("/accounts/me/", HTTP_HX_REQUEST="true",
                          HTTP_HX_CURRENT_URL="http://testserver/hazards/?page=2")
    assert response.status_code == 204
    assert response["HX-Redirect"] == (reverse("accounts:two_factor_verify")
                                       + "?next=%2Fhazards%2F%3Fpage%3D2")
    # a page of another site is never used
    response = client.get("/accounts/me/", HTTP_HX_REQUEST="true",
                          HTTP_HX_CURRENT_URL="https://evil.example/x")
    assert response["HX-Redirect"] == reverse("accounts:two_factor_verify")


def test_the_code_step_works_under_a_url_prefix(client, protected):
    from django.urls import set_script_prefix

    sign_in(client, "officer1")
    set_script_prefix("/safecampus/")  # as the WSGI handler does for SCRIPT_NAME=/safecampus
    try:
        page = client.get("/accounts/verify/", SCRIPT_NAME="/safecampus")
        assert page.status_code == 200 and 'name="code"' in page.content.decode()
        home = client.get("/", SCRIPT_NAME="/safecampus")
        assert home.status_code == 302
        assert home.url == "/safecampus/accounts/verify/?next=%2Fsafecampus%2F"
    finally:
        set_script_prefix("/")


@pytest.mark.parametrize("next_url", ["//evil.example/", "/\\evil.example/",
                                      "https://evil.example/"])
def test_the_code_step_never_leads_off_site(client, protected, next_url):
    officer, device, _codes = protected
    sign_in(client, "officer1", next_url="/")
    page = client.get(reverse("accounts:two_factor_verify"), {"next": next_url})
    assert 'value="/"' in page.content.decode()
    done = client.post(reverse("accounts:two_factor_verify"),
                       {"code": current_code(device), "next": next_url})
    assert done.status_code == 302 and done.url == "/"


def test_the_code_page_shows_no_menu(client, protected):
    sign_in(client, "officer1")
    html = client.get(reverse("accounts:two_factor_verify")).content.decode()
    assert 'id="nav-minimal"' in html and 'id="mainnav"' not in html
    assert reverse("hazards:ledger") not in html


# --- the same code twice at once ---------------------------------------------------------------
@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_code_being_checked_elsewhere_is_waited_for(officer):
    """Given another check holding the officer's devices (it is using backup code 0), a
    second check of the same code waits for it and is then refused: a code is accepted once."""
    import threading

    from django.db import connection, transaction
    from django_otp.plugins.otp_static.models import StaticDevice

    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL row locks and parallel connections (DATABASE_URL)")
    device = services.two_factor_start(user=officer)
    codes = services.two_factor_confirm(user=officer, token=current_code(device)).backup_codes
    outcome = {}

    def second_check():
        try:
            outcome["device"] = services.two_factor_check(user=officer, token=codes[0])
        except Exception as error:  # noqa: BLE001 - inspected below
            outcome["error"] = error
        finally:
            connection.close()

    with transaction.atomic():
        list(StaticDevice.objects.select_for_update().filter(user=officer))
        list(TOTPDevice.objects.select_for_update().filter(user=officer))
        thread = threading.Thread(target=second_check)
        thread.start()
        thread.join(timeout=1.5)
        assert thread.is_alive() and not outcome, "the second check did not wait for the lock"
        StaticToken.objects.filter(device__user=officer, token=codes[0]).delete()
    thread.join(timeout=10)
    assert outcome["error"].code == "wrong_code", outcome
