"""Project funding in a real Chromium: a district editor fills the funding plan (a negative amount refused),
asks for a tranche larger than the plan (refused in Chinese, nothing saved) and then one that fits; the city's
administrator approves it for the district, the finance bureau's reviewer finds it in 我的待办 and approves it;
the project page then shows the approved amount drawn from the plan."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from conftest import login

from cityrenew.funding.models import FundingLine, Tranche

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
CODE = "K202201005"


@pytest.fixture
def project(regions):
    from cityrenew.core.models import Region
    from cityrenew.projects.models import RenewalProject

    district = Region.objects.get(code="410102")
    p = RenewalProject.objects.create(code=CODE, name="芝麻街1958双创园", city=district.parent,
                                      total_investment=Decimal("5"), category="old_community", status="implementing")
    p.districts.add(district)
    return p


@pytest.fixture
def finance_user(regions):
    from django.contrib.auth import get_user_model

    from cityrenew.core.models import Organisation, Region, RoleAssignment

    city = Region.objects.get(code="410100")
    org = Organisation.objects.create(name="郑州市财政局", short_name="市财政局", kind="department", region=city)
    user = get_user_model().objects.create_user(username="caizheng", password="pass-caizheng", first_name="财政审核员")
    RoleAssignment.objects.create(user=user, role="dept_reviewer", region=city, organisation=org)
    from cityrenew.funding.models import FundingSettings

    FundingSettings.objects.create(city=city).finance_organisations.add(org)  # the city's finance approver
    return user


@pytest.fixture
def performance_filed(regions):
    """郑州市's 2025 annual performance targets, filed: the performance release check lets 2025 subsidy through."""
    from tests.performance.support import filed_table

    return filed_table(regions["郑州市"], kind="annual", year=2025)


def new_page(browser):
    ctx = browser.new_context(locale="zh-CN", viewport={"width": 1400, "height": 900}, bypass_csp=True)
    pg = ctx.new_page()
    pg.set_default_timeout(15000)
    return pg


def add_line(page, live_server, channel_label, year, planned, received="0", spent="0"):
    page.goto(f"{live_server.url}/funding/projects/{CODE}/")
    page.click('[data-testid="add-line"]')
    page.select_option("select[name=channel]", label=channel_label)
    page.fill("input[name=year]", str(year))
    page.fill("input[name=planned]", planned)
    page.fill("input[name=received]", received)
    page.fill("input[name=spent]", spent)
    page.click('[data-testid="save"]')


def test_fill_plan_request_tranche_two_approvals(browser, page, live_server, project, zhongyuan_editor, city_admin,
                                                 finance_user, performance_filed, screenshot_dir):
    login(page, live_server, "zyeditor", "pass-zyeditor")
    page.click("nav >> text=资金")
    page.wait_for_url(re.compile(r".*/funding/$"))

    # a negative amount: the Chinese message under the field, nothing saved
    add_line(page, live_server, "中央财政城市更新补助资金", 2025, "-100")
    page.locator('ul.errorlist[data-field="planned"]').get_by_text("不能为负数（填写的是 -100 万元）").wait_for()
    assert FundingLine.objects.count() == 0
    page.fill("input[name=planned]", "3000")
    page.fill("input[name=received]", "1200")
    page.click('[data-testid="save"]')
    page.wait_for_url(re.compile(rf".*/funding/projects/{CODE}/$"))
    add_line(page, live_server, "地方政府一般公共预算", 2025, "1500", "1500", "900")
    page.wait_for_url(re.compile(rf".*/funding/projects/{CODE}/$"))
    total = page.locator('[data-testid="plan-total"]')
    assert total.locator("td").nth(0).inner_text() == "4500"
    assert total.locator("td").nth(1).inner_text() == "2700"
    assert page.locator('[data-testid="double-funding-flag"]').count() == 0

    # a tranche larger than what the plan leaves: refused, nothing saved
    page.click('[data-testid="request-tranche"]')
    page.select_option("select[name=channel]", label="中央财政城市更新补助资金")
    page.fill("input[name=year]", "2025")
    page.fill("input[name=amount]", "3200")
    page.fill("input[name=purpose]", "老旧管网改造工程款")
    page.click('[data-testid="submit-tranche"]')
    page.locator('ul.errorlist[data-field="amount"]').get_by_text(
        "申请金额 3200 万元超过资金计划剩余额度：2025 年“中央财政城市更新补助资金”计划 3000 万元").wait_for()
    assert Tranche.objects.count() == 0
    page.fill("input[name=amount]", "1000")
    page.click('[data-testid="submit-tranche"]')
    page.wait_for_url(re.compile(r".*/funding/tranches/\d+/$"))
    assert page.inner_text('[data-testid="tranche-state"]') == "已申请"
    tranche = Tranche.objects.get()

    # the city administrator approves for the district
    admin = new_page(browser)
    login(admin, live_server, "cityadmin", "pass-cityadmin")
    admin.goto(live_server.url + "/funding/tranches/?mine=1")
    admin.click(f'tr[data-pk="{tranche.pk}"] a')
    admin.check("input[name=decision][value=approve]")
    admin.fill("textarea[name=comment]", "同意，工程进度已核实")
    admin.click('[data-testid="submit-decision"]')
    admin.locator('[data-testid="tranche-state"]', has_text="区级已审核").wait_for()

    # finance: lands on 我的待办, finds the tranche and approves it
    fin = new_page(browser)
    fin.goto(live_server.url + "/login/")
    fin.fill("input[name=username]", "caizheng")
    fin.fill("input[name=password]", "pass-caizheng")
    fin.click("button[type=submit]")
    fin.wait_for_url(re.compile(r".*/inbox/$"))
    fin.click(f'a[href="/funding/tranches/{tranche.pk}/"]')
    fin.check("input[name=decision][value=approve]")
    fin.fill("textarea[name=comment]", "同意拨付")
    fin.click('[data-testid="submit-decision"]')
    fin.locator('[data-testid="tranche-state"]', has_text="财政已审核").wait_for()
    rows = fin.locator('[data-testid="reviews"] tbody tr')
    assert rows.count() == 2
    assert "区级审核" in rows.nth(0).inner_text() and "市管理员" in rows.nth(0).inner_text()
    assert "财政审核" in rows.nth(1).inner_text() and "财政审核员" in rows.nth(1).inner_text()
    fin.screenshot(path=str(screenshot_dir / "funding_tranche_approved.png"), full_page=True)

    # the plan now shows 1000 drawn, 2000 left
    page.goto(f"{live_server.url}/funding/projects/{CODE}/")
    row = page.locator('[data-testid="plan-table"] tbody tr[data-channel="central_finance"][data-year="2025"]')
    assert row.locator('[data-testid="remaining"]').inner_text() == "2000"
    page.screenshot(path=str(screenshot_dir / "funding_project.png"), full_page=True)
    tranche.refresh_from_db()
    assert tranche.state == "approved"
    admin.context.close()
    fin.context.close()


def test_double_funding_flag_is_shown_with_its_citation(page, live_server, project, viewer):
    FundingLine.objects.create(project=project, channel="central_finance", year=2025, planned=Decimal("100"))
    FundingLine.objects.create(project=project, channel="treasury_bond", year=2025, planned=Decimal("100"))
    login(page, live_server, "viewer1", "pass-viewer1")
    page.goto(f"{live_server.url}/funding/")
    page.click('[data-testid="double-funding-link"]')
    page.locator(f'tr[data-code="{CODE}"]').wait_for()
    page.click(f'tr[data-code="{CODE}"] a')
    flag = page.locator('[data-testid="double-funding-flag"]')
    assert "超长期特别国债" in flag.inner_text()
    assert "财办建〔2025〕11号" in flag.locator("a.cite").inner_text()
