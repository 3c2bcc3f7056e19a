"""Single sign-on and two-factor as users click them: a student signs in through the
unified identity authentication (a real CAS server on loopback) on a phone; an office
officer sets up an authenticator app and then passes the code step at a desk."""

import pytest
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from safecampus.accounts.models import Role, User
from safecampus.accounts.tests.cas_server.fixture import cas_server  # noqa: F401 - fixture
from safecampus.tests.factories import user_with_role

pytestmark = [
    pytest.mark.browser,
    pytest.mark.filterwarnings("ignore:No directory at:UserWarning"),
]


def code_of(device: TOTPDevice) -> str:
    device.refresh_from_db()
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"


def test_a_student_signs_in_through_cas_on_a_phone(browsing, cas_server, settings):  # noqa: F811
    settings.CAS_SERVER_URL = cas_server.url
    page = browsing.new_page("phone")
    page.goto("/accounts/login/")
    button = page.locator("#cas-login")
    assert button.inner_text().strip() == "统一身份认证登录"
    assert browsing.overflow(page) == 0
    browsing.shot(page, "1-sign-in")
    # the button leads to the CAS server's form
    with page.expect_navigation():
        button.click()
    assert page.url.startswith(cas_server.url + "login?service=")
    page.fill("input[name=username]", "2024010101")
    page.fill("input[name=password]", cas_server.password)
    browsing.shot(page, "2-cas-form")
    with page.expect_navigation():
        page.click("#cas-submit")
    # back on SafeCampus home, signed in as the new community member
    page.wait_for_load_state()
    assert page.url == browsing.base_url + "/", page.url
    assert "王小明" in page.locator("#nav-account").inner_text()
    assert browsing.overflow(page) == 0
    browsing.shot(page, "3-home")
    assert User.objects.get(username="2024010101").scope.roles == {Role.COMMUNITY_MEMBER}


def test_an_officer_sets_up_two_factor_and_passes_the_code_step(browsing):
    user_with_role(Role.OFFICE_STAFF, username="officer1")
    # set-up on a phone
    phone = browsing.login("officer1", "phone", next_url="/accounts/me/")
    phone.goto("/accounts/me/2fa/")
    with phone.expect_navigation():
        phone.click("main form button[type=submit]")
    qr = phone.locator("img[src$='qr.svg']")
    assert browsing.image_shown(qr) > 0
    device = TOTPDevice.objects.get(user__username="officer1")
    # a phone cannot scan its own screen: a link opens the app on it, and the key copies
    link = phone.locator("#otpauth-link")
    assert link.is_visible() and link.inner_text().strip() == "在本机身份验证器中打开"
    assert link.get_attribute("href") == device.config_url
    phone.click("#copy-totp-key")
    browsing.wait_until(
        phone, "() => document.querySelector('#copy-totp-key span').textContent === '已复制'")
    assert browsing.overflow(phone) == 0
    browsing.shot(phone, "1-set-up")
    phone.fill("input[name=code]", code_of(device))
    with phone.expect_navigation():
        phone.click("main form button[type=submit]")
    # the codes are shown on a page reached by a redirect, and a reload does not show them
    assert phone.url == browsing.base_url + "/accounts/me/2fa/"
    assert phone.locator("#backup-codes li").count() == 10
    assert browsing.overflow(phone) == 0
    browsing.shot(phone, "2-backup-codes")
    phone.reload()
    assert phone.locator("#backup-codes").count() == 0
    assert phone.locator("#renew-backup-codes").is_visible()
    browsing.shot(phone, "2b-on")
    TOTPDevice.objects.filter(pk=device.pk).update(last_t=-1)  # a later time step
    # sign-in at a desk: password, then the code step
    desk = browsing.new_page("desktop")
    desk.goto("/accounts/login/?next=/accounts/me/")
    desk.fill("input[name=username]", "officer1")
    desk.fill("input[name=password]", "pass-1234")
    with desk.expect_navigation():
        desk.click("main form button[type=submit]")
    desk.wait_for_load_state()
    assert "/accounts/verify/" in desk.url
    assert desk.locator("h1").inner_text().strip() == "输入动态验证码"
    assert desk.locator("#mainnav").count() == 0 and desk.locator("#nav-minimal").count() == 1
    browsing.shot(desk, "3-code-step")
    desk.fill("input[name=code]", code_of(device))
    with desk.expect_navigation():
        desk.click("form button[type=submit]:has-text('验证')")
    assert desk.url == browsing.base_url + "/accounts/me/"
    assert desk.locator("#two-factor-status").inner_text().strip() == "已开启"
    browsing.shot(desk, "4-profile")
    # new backup codes with a backup code (the phone is elsewhere)
    old = list(device.user.staticdevice_set.get().token_set.values_list("token", flat=True))
    desk.goto("/accounts/me/2fa/")
    desk.fill("#renew_code", old[0])
    with desk.expect_navigation():
        desk.click("#renew-backup-codes button[type=submit]")
    assert desk.locator("#backup-codes li").count() == 10
    assert old[1] not in desk.locator("#backup-codes").inner_text()
    browsing.shot(desk, "5-new-backup-codes")
