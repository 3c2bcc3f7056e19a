"""The two-factor pages as people use them: the phone link and the key to copy, a clear
wait after a wrong code, typos that do not count as wrong codes, new backup codes, the
backup codes shown once after a redirect, and no warnings banner on the code pages."""

import re

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from safecampus.accounts import services
from safecampus.accounts.models import Role
from safecampus.core.errors import DomainError
from safecampus.core.models import ActivityEntry
from safecampus.tests.factories import user_with_role

from .test_two_factor import WRONG, a_while_later, current_code, sign_in, token_for

pytestmark = pytest.mark.django_db

FORMAT_ANY = "请输入 6 位数字，或一个备用验证码。"
FORMAT_APP = "请输入应用显示的 6 位数字。"


@pytest.fixture
def officer():
    return user_with_role(Role.OFFICE_STAFF, username="officer1")


@pytest.fixture
def protected(officer):
    device = services.two_factor_start(user=officer)
    codes = services.two_factor_confirm(user=officer, token=current_code(device)).backup_codes
    TOTPDevice.objects.filter(pk=device.pk).update(last_t=-1)
    return officer, device, codes


def failures(user) -> list[int]:
    """django-otp's wrong-code counts of the user's devices (app first)."""
    return [*TOTPDevice.objects.filter(user=user).values_list("throttling_failure_count", flat=True),
            *StaticDevice.objects.filter(user=user).values_list("throttling_failure_count",
                                                                flat=True)]


def just_failed_once(user) -> None:
    """As if a wrong code had been entered a moment ago (django-otp: wait 1 s)."""
    for model in (TOTPDevice, StaticDevice):
        model.objects.filter(user=user).update(throttling_failure_count=1,
                                               throttling_failure_timestamp=timezone.now())


# --- 1. a phone that cannot scan its own screen ------------------------------------------------
def test_the_set_up_page_links_the_app_on_this_phone_and_copies_the_key(client, officer):
    client.force_login(officer)
    client.post(reverse("accounts:two_factor_start"))
    device = TOTPDevice.objects.get(user=officer)
    html = client.get(reverse("accounts:two_factor")).content.decode()
    link = re.search(r'<a [^>]*href="([^"]+)" id="otpauth-link"', html)
    assert link and link.group(1).replace("&amp;", "&") == device.config_url
    assert link.group(1).startswith("otpauth://totp/SafeCampus%3Aofficer1?secret=")
    assert "在本机身份验证器中打开" in html
    # the key in groups of 4, with a copy button (script from a static file, none inline)
    key = re.search(r'<code[^>]*id="totp-key">([^<]+)</code>', html).group(1)
    assert re.fullmatch(r"([A-Z2-7]{4} )+[A-Z2-7]{1,4}", key), key
    assert 'data-copy="totp-key"' in html and "accounts/two_factor.js" in html
    assert "<script>" not in html and "<script>\n" not in html


# --- 2. the wait after a wrong code, and typos ---------------------------------------------------
def test_the_wait_after_a_wrong_code_is_said_clearly(client, protected):
    officer, device, _codes = protected
    sign_in(client, "officer1")
    just_failed_once(officer)
    hurried = client.post(reverse("accounts:two_factor_verify"),
                          {"code": current_code(device), "next": "/accounts/me/"})
    assert hurried.status_code == 400
    assert "验证码错误次数较多，请 1 秒后再试。" in hurried.content.decode()
    just_failed_once(officer)
    with translation.override("en"), pytest.raises(DomainError) as error:
        services.two_factor_check(user=officer, token=current_code(device))
    assert error.value.code == "throttled"
    assert error.value.message == (
        "Several wrong codes were entered: please try again in 1 second.")


@pytest.mark.parametrize("typed", ["12345", "1234567", "12345a", "abc", "验证码"])
def test_a_malformed_code_is_refused_before_it_counts(client, protected, typed):
    officer, device, codes = protected
    sign_in(client, "officer1")
    response = client.post(reverse("accounts:two_factor_verify"),
                           {"code": typed, "next": "/accounts/me/"})
    assert response.status_code == 400
    html = response.content.decode()
    assert FORMAT_ANY in html and "秒后再试" not in html and WRONG not in html
    # it did not count: no wait, and the right code goes straight through
    assert failures(officer) == [0, 0]
    done = client.post(reverse("accounts:two_factor_verify"),
                       {"code": current_code(device), "next": "/accounts/me/"})
    assert done.status_code == 302 and done.url == "/accounts/me/"


def test_codes_typed_with_spaces_or_full_width_digits_are_accepted(client, protected):
    officer, device, codes = protected
    sign_in(client, "officer1")
    code = current_code(device)
    wide = " ".join(chr(ord(c) + 0xFEE0) for c in code)  # １ ２ ３ … from a Chinese IME
    done = client.post(reverse("accounts:two_factor_verify"), {"code": wide, "next": "/"})
    assert done.status_code == 302 and done.url == "/"
    other = type(client)()
    sign_in(other, "officer1")
    backup = codes[3][:4].upper() + "-" + codes[3][4:]
    assert other.post(reverse("accounts:two_factor_verify"),
                      {"code": backup, "next": "/"}).status_code == 302


def test_the_set_up_confirmation_wants_six_digits_and_does_not_count_a_typo(client, officer):
    client.force_login(officer)
    client.post(reverse("accounts:two_factor_start"))
    device = TOTPDevice.objects.get(user=officer)
    for typed in ("abcd2345", "12345"):  # a backup-code shape is no app code either
        response = client.post(reverse("accounts:two_factor_confirm"), {"code": typed})
        assert response.status_code == 400 and FORMAT_APP in response.content.decode()
    assert failures(officer) == [0]
    done = client.post(reverse("accounts:two_factor_confirm"), {"code": current_code(device)})
    assert done.status_code == 302


def test_the_api_refuses_a_malformed_otp_without_counting_it(protected):
    officer, device, _codes = protected
    response = token_for("officer1", otp="12ab56")
    assert response.status_code == 400 and response.json()["code"] == "malformed_code"
    assert response.json()["errors"] == {"otp": [FORMAT_ANY]}
    assert failures(officer) == [0, 0]
    assert token_for("officer1", otp=current_code(device)).status_code == 200


# --- 3. new backup codes -------------------------------------------------------------------------
def test_new_backup_codes_need_a_current_code_and_replace_the_old_ones(client, protected):
    officer, device, old = protected
    sign_in(client, "officer1")
    client.post(reverse("accounts:two_factor_verify"), {"code": old[0], "next": "/"})
    page = client.get(reverse("accounts:two_factor")).content.decode()
    assert "重新生成备用验证码" in page and 'id="renew_code"' in page and 'id="id_code"' in page
    # a wrong code changes nothing
    wrong = client.post(reverse("accounts:two_factor_backup_codes_renew"), {"code": "000000"})
    assert wrong.status_code == 400 and WRONG in wrong.content.decode()
    assert set(StaticToken.objects.filter(device__user=officer).values_list(
        "token", flat=True)) == set(old[1:])
    # with the current app code: new codes, shown once after a redirect
    a_while_later(officer)
    done = client.post(reverse("accounts:two_factor_backup_codes_renew"),
                       {"code": current_code(device)})
    assert done.status_code == 302 and done.url == reverse("accounts:two_factor")
    new = sorted(StaticToken.objects.filter(device__user=officer).values_list("token", flat=True))
    assert len(new) == 10 and not set(new) & set(old)
    html = client.get(done.url).content.decode()
    assert "已生成新的备用验证码，原有备用验证码已失效。" in html
    assert all(code in html for code in new)
    again = client.get(done.url).content.decode()
    assert not any(code in again for code in new) and "剩余 10 个备用验证码。" in again
    assert ActivityEntry.objects.filter(verb="accounts.two_factor_backup_codes_renew",
                                        target_id=officer.pk).count() == 1
    # the old codes no longer sign in; a new one does
    other = type(client)()
    sign_in(other, "officer1")
    refused = other.post(reverse("accounts:two_factor_verify"), {"code": old[1], "next": "/"})
    assert refused.status_code == 400 and WRONG in refused.content.decode()
    a_while_later(officer)
    assert other.post(reverse("accounts:two_factor_verify"),
                      {"code": new[0], "next": "/"}).status_code == 302


def test_new_backup_codes_are_not_made_while_two_factor_is_off(client, officer):
    client.force_login(officer)
    response = client.post(reverse("accounts:two_factor_backup_codes_renew"), {"code": "123456"})
    assert response.status_code == 302 and response.url == reverse("accounts:two_factor")
    assert not StaticDevice.objects.exists()
    with pytest.raises(DomainError) as error:
        services.two_factor_backup_codes_renew(user=officer, token="123456")
    assert error.value.code == "no_device"


# --- 4. post, redirect, show once ----------------------------------------------------------------
def test_confirming_redirects_and_a_reload_does_not_show_the_codes_again(client, officer):
    client.force_login(officer)
    client.post(reverse("accounts:two_factor_start"))
    device = TOTPDevice.objects.get(user=officer)
    done = client.post(reverse("accounts:two_factor_confirm"), {"code": current_code(device)})
    assert done.status_code == 302 and done.url == reverse("accounts:two_factor")
    codes = list(StaticToken.objects.filter(device__user=officer).values_list("token", flat=True))
    shown = client.get(done.url)
    assert "no-store" in shown["Cache-Control"]
    html = shown.content.decode()
    assert 'id="backup-codes"' in html and all(code in html for code in codes)
    reload = client.get(done.url).content.decode()
    assert 'id="backup-codes"' not in reload and not any(code in reload for code in codes)
    # re-sending the confirmation (the browser's "resubmit") shows nothing either
    resent = client.post(reverse("accounts:two_factor_confirm"), {"code": current_code(device)})
    assert resent.status_code == 400 and not any(c in resent.content.decode() for c in codes)


# --- 5. no warnings banner on the code pages -----------------------------------------------------
def test_the_code_pages_show_no_warnings_banner(client, settings, protected):
    from safecampus.notifications.services import alert_send

    officer, device, _codes = protected
    alert_send(sender=None, title="暴雨预警", body="请注意安全", level="warning",
               audience_kind="everyone")
    sign_in(client, "officer1")
    verify = client.get(reverse("accounts:two_factor_verify")).content.decode()
    assert 'id="unread-alerts-banner"' not in verify
    client.post(reverse("accounts:two_factor_verify"), {"code": current_code(device), "next": "/"})
    assert 'id="unread-alerts-banner"' in client.get(reverse("accounts:profile")).content.decode()
    # nor the set-up page an office user is held on
    settings.OFFICE_2FA_REQUIRED = True
    newcomer = user_with_role(Role.OFFICE_STAFF, username="officer2")
    alert_send(sender=None, title="暴雨预警", body="请注意安全", level="warning",
               audience_kind="everyone")
    other = type(client)()
    sign_in(other, newcomer.username)
    setup = other.get(reverse("accounts:two_factor")).content.decode()
    assert 'id="nav-minimal"' in setup and 'id="unread-alerts-banner"' not in setup
