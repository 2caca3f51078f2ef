"""Public notice of an implementation plan in a real browser (Debian chromium through Playwright), live server.

The district's authority publishes the approved plan (a 14-working-day period is refused, citing
第十一条; 15 is accepted) and sees the end date; a resident on a phone — with the site's real CSP in
force — finds the notice on the public site, sees the end date, the countdown and the map, comments
with a phone number that appears nowhere on the public page, and reports a comment; the implementing
entity answers; the authority sees the contact, hides the reported comment with a reason, and the
public page shows “该意见已被隐藏（理由）” with the entity's reply still below it.
Screenshots go to test-results/screenshots/.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = "13912345678"
OPINION = "建议施工期间保留小区北门通行，方便老人出入。"
SPAM = "低价装修请加微信，电话 021-88886666"
REASON = "广告信息，与本项目无关"
# Friday 2026-09-25: 09-28..09-30 (3), National Day 10-01..10-07, 10-08, 10-09, 10-10 (adjusted Saturday) (6),
# 10-12..10-16 (11), 10-19..10-22 (15): 15 working days end on 2026-10-22 (民法典第二百零一条: start day not counted)
TODAY, END = "2026-09-25", "2026-10-22"
ANSWER = "感谢意见：施工期间北门保持通行，另设临时无障碍坡道。"


@pytest.fixture
def scene(regions, zhongyuan_editor, make_user, settings):
    from django.contrib.gis.geos import Point

    from cityrenew.core.choices import OrganisationKind, Role
    from cityrenew.core.models import Organisation, Region, RoleAssignment
    from cityrenew.plans.choices import PlanState
    from cityrenew.plans.models import ImplementationPlan
    from cityrenew.projects.models import RenewalProject

    # the periods count from a pinned day inside the calendar's coverage (chinese-calendar: up to 2026)
    settings.CITYRENEW_TODAY = TODAY
    zhongyuan = Region.objects.get(code="410102")
    entity = Organisation.objects.create(name="郑州中原城市更新有限公司", kind=OrganisationKind.ENTITY, region=zhongyuan)
    project = RenewalProject.objects.create(code="K202601002", name="棉纺路社区综合整治", city=zhongyuan.parent,
                                            total_investment=Decimal("0.86"), location=Point(113.6101, 34.7602, srid=4326))
    project.districts.add(zhongyuan)
    plan = ImplementationPlan.objects.create(
        code="SS-2026-007", title="棉纺路社区城市更新实施方案", project=project, district=zhongyuan, entity=entity,
        state=PlanState.APPROVED, summary="整治老旧楼栋24栋，改造雨污管网3.1公里，新增养老服务驿站1处。",
    )
    entity_user = make_user("shishi7", None, None, first_name="实施主体填报员")
    RoleAssignment.objects.create(user=entity_user, role=Role.ENTITY_EDITOR, region=zhongyuan, organisation=entity)
    return {"plan": plan}


def _login(page, live_server, username: str) -> None:
    page.goto(live_server.url + "/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "pass-" + username)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    assert "/login/" not in page.url


def _logout(page) -> None:
    page.click("header form button:has-text('退出')")
    page.wait_for_load_state()


def test_publish_comment_report_reply_and_moderate(browser, page, live_server, scene, screenshot_dir):
    from cityrenew.notices.models import Comment, Notice

    plan = scene["plan"]
    end = END
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))

    # --- the authority publishes: 14 working days refused, 15 accepted ---
    _login(page, live_server, "zyeditor")
    page.goto(live_server.url + "/plans/notices/")
    page.click(f"[data-testid=publish-{plan.code}]")
    assert page.inner_text("[data-testid=end-preview]") == end
    page.fill("input[name=days]", "14")
    page.click("[data-testid=publish-submit]")
    assert "公示时间不得少于15个工作日" in page.inner_text("[data-testid=publish-errors]")
    assert not Notice.objects.exists()
    page.fill("input[name=days]", "15")
    page.click("[data-testid=publish-submit]")
    page.wait_for_selector(".msg-success")
    notice = Notice.objects.get()
    assert page.inner_text("[data-testid=staff-end-date]") == end
    _logout(page)

    # --- a resident on a phone, with the site's CSP in force ---
    phone = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    res = phone.new_page()
    res.set_default_timeout(15000)
    csp_errors: list[str] = []
    res.on("console", lambda m: csp_errors.append(m.text) if "Content Security Policy" in m.text else None)
    res.on("pageerror", lambda e: errors.append(str(e)))
    res.goto(live_server.url + "/public/")
    item = res.locator(f"[data-testid=notice-item][data-notice='{notice.pk}']")
    assert "公示中 · 剩余15个工作日" in item.inner_text() and end in item.inner_text()
    res.screenshot(path=str(screenshot_dir / "public-notice-list-mobile.png"), full_page=True)
    item.get_by_role("link").click()
    res.wait_for_url(f"**/public/notices/{notice.pk}/")
    assert res.inner_text("[data-testid=end-date]") == end
    assert res.inner_text("[data-testid=workdays-left]") == "15"
    assert "整治老旧楼栋24栋" in res.inner_text("[data-testid=notice-summary]")
    res.wait_for_selector("#notice-map[data-loaded='1']")  # MapLibre drew the district and the project
    assert res.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")  # no sideways scroll
    # every visible form field has a label a screen reader reads
    unlabelled = res.evaluate("""Array.from(document.querySelectorAll('form input:not([type=hidden]), form textarea, form select'))
        .filter(e => !e.closest('.hp') && !e.closest('label') && !e.getAttribute('aria-label')).length""")
    assert unlabelled == 0
    res.get_by_label("署名").fill("赵桂兰")
    res.get_by_label("联系方式（电话或电子邮箱）").fill(PHONE)
    res.get_by_label("内容").fill(OPINION)
    res.click("[data-testid=comment-form] button[type=submit]")
    assert "您的意见已提交" in res.inner_text("[data-testid=thanks]")
    # a second comment, the advertisement the authority will hide
    res.click("[data-testid=back-to-notice]")
    res.get_by_label("署名").fill("钱先生")
    res.get_by_label("联系方式（电话或电子邮箱）").fill("qian@example.com")
    res.get_by_label("内容").fill(SPAM)
    res.click("[data-testid=comment-form] button[type=submit]")
    res.click("[data-testid=back-to-notice]")
    spam = Comment.objects.get(body=SPAM)
    mine = Comment.objects.get(body=OPINION)
    html = res.content()
    assert OPINION in html and "赵**" in html and PHONE not in html and "赵桂兰" not in html and "qian@example.com" not in html
    box = res.locator(f"[data-comment='{spam.pk}']")
    box.locator("summary").click()
    box.get_by_label("举报理由").fill("广告")
    box.locator("button[type=submit]").click()
    assert "举报已收到" in res.inner_text("[data-testid=thanks]")
    res.screenshot(path=str(screenshot_dir / "public-notice-thanks-mobile.png"), full_page=True)

    # --- the entity answers the resident ---
    _login(page, live_server, "shishi7")
    page.goto(live_server.url + f"/plans/notices/{notice.pk}/")
    page.locator(f"[data-testid=staff-comment][data-comment='{mine.pk}'] [data-testid=reply-form] textarea").fill(ANSWER)
    page.locator(f"[data-testid=staff-comment][data-comment='{mine.pk}'] [data-testid=reply-form] button").click()
    page.wait_for_selector(".msg-success")
    # the entity also answers the advertisement, before it is hidden (the answer must survive the hiding)
    page.locator(f"[data-testid=staff-comment][data-comment='{spam.pk}'] [data-testid=reply-form] textarea").fill("本页面仅受理与本项目有关的意见。")
    page.locator(f"[data-testid=staff-comment][data-comment='{spam.pk}'] [data-testid=reply-form] button").click()
    page.wait_for_selector(".msg-success")
    _logout(page)

    # --- the authority sees the contact and the report, hides the advertisement with a reason ---
    _login(page, live_server, "zyeditor")
    page.goto(live_server.url + f"/plans/notices/{notice.pk}/")
    row = page.locator(f"[data-testid=staff-comment][data-comment='{spam.pk}']")
    assert "qian@example.com" in row.inner_text() and "举报：广告" in row.inner_text()
    assert PHONE in page.inner_text(f"[data-testid=staff-comment][data-comment='{mine.pk}']")
    row.locator("[data-testid=hide-form] input[name=reason]").fill(REASON)
    row.locator("[data-testid=hide-form] button").click()
    page.wait_for_selector(".msg-success")
    assert "已隐藏" in page.inner_text(f"[data-testid=staff-comment][data-comment='{spam.pk}']")
    page.screenshot(path=str(screenshot_dir / "staff-notice-moderation.png"), full_page=True)

    # --- the public page: hidden with its reason, the reply kept, the resident's answer shown ---
    res.goto(live_server.url + f"/public/notices/{notice.pk}/")
    hidden = res.locator(f"[data-comment='{spam.pk}']")
    assert hidden.locator("[data-testid=comment-body]").inner_text() == f"该意见已被隐藏（{REASON}）"
    assert "本页面仅受理与本项目有关的意见" in hidden.locator("[data-testid=reply]").inner_text()
    assert SPAM not in res.content()
    answered = res.locator(f"[data-comment='{mine.pk}'] [data-testid=reply]")
    assert ANSWER in answered.inner_text() and "郑州中原城市更新有限公司" in answered.inner_text()
    res.screenshot(path=str(screenshot_dir / "public-notice-mobile.png"), full_page=True)
    assert not csp_errors, csp_errors
    assert not errors, errors
    phone.close()
