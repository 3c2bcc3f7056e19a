"""Open311 keys and concern reports as the office clicks them (phone 390×844 and desktop
1440×900): the administrator issues a key for the campus photo-report app, sees it once and
copies it, an app posts a request with it, the key is revoked and refused; the office reads
the concern reports with their charts. Screenshots go to /tmp/shots."""

import pytest
from django.test import Client

from safecampus.community.models import ApiClient, Concern, ConcernCategory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.filterwarnings("ignore:No directory at:UserWarning"),
]


def test_issue_use_and_revoke_a_key(browsing, org, viewport):
    ConcernCategory.objects.create(code="parking", name="停车难")
    page = browsing.login("admin1", viewport, next_url="/community/")
    page.click("#hub-open311 a")
    page.click("#issue-key")
    page.fill("input[name=name]", "校园随手拍 App")
    page.fill("input[name=contact]", "网络信息中心")
    with page.expect_navigation():
        page.click("#issue-form button[type=submit]")
    key = page.input_value("#api-key")
    assert len(key) == 43 and "密钥仅显示这一次" in page.inner_text("#issued-key")
    page.click("#copy-key")
    browsing.wait_until(page, "() => document.querySelector('#copy-key').textContent"
                              ".includes('已复制')")
    assert browsing.overflow(page) == 0
    browsing.shot(page, "issued")
    app = Client()
    response = app.post("/open311/v2/requests.json", {
        "api_key": key, "service_code": "parking", "address_string": "东门",
        "description": "东门晚上车位全满"})
    assert response.status_code == 200 and Concern.objects.get().channel == "open311"
    with page.expect_navigation():
        page.click("text=返回客户端列表")
    assert key not in page.content() and key[:8] in page.inner_text("#client-list")
    page.once("dialog", lambda dialog: dialog.accept())
    with page.expect_navigation():
        page.click("#client-list button.revoke")
    assert "已吊销" in page.inner_text("#client-list")
    assert not ApiClient.objects.get().is_active
    assert browsing.overflow(page) == 0
    browsing.shot(page, "revoked")
    response = app.post("/open311/v2/requests.json", {
        "api_key": key, "service_code": "parking", "address_string": "东门",
        "description": "again"})
    assert response.status_code == 403 and Concern.objects.count() == 1


def test_concern_reports_draw_their_charts(browsing, org, viewport):
    from safecampus.community.services.concerns import concern_submit

    category = ConcernCategory.objects.create(code="lighting", name="道路照明")
    for n in range(3):
        concern_submit(actor=org.users.student, category_id=category.pk, title=f"路灯{n}",
                       campus_id=(org.campus1 if n else org.campus2).pk)
    page = browsing.login("leader1", viewport, next_url="/community/")
    with page.expect_navigation():
        page.click("#hub-reports a")
    browsing.wait_until(page, "() => document.body.hasAttribute('data-report-ready')")
    assert page.inner_text("#fig-total") == "3"
    assert "北校区" in page.inner_text("#by-campus") and "南校区" in page.inner_text("#by-campus")
    assert browsing.overflow(page) == 0
    browsing.shot(page, "reports")
