"""Issue 12's acceptance in a real Chromium, across the four apps (资金, 绩效, 中央财政支持, 报送与统计).

郑州市: the 中原区 editor fills the project's funding plan and requests a central-subsidy tranche; the 市级管理员
approves it for the district; finance is refused until the city names its finance approver (财政审核部门) and then
blocked by the performance release check (no filed 2025 annual target table) — the Chinese reason on the tranche
page; the 市级管理员 names 郑州市财政局, draws up and files the 2025 annual target table; finance approves. The city
files its 2025 yearly report (the funding figures come from the plan). The province user (只读用户 over 河南省) reads
郑州市's funding, performance and the central-fund page, compares 郑州市 and 洛阳市 and exports the national statistics:
the xlsx holds the figures counted from the records."""

from __future__ import annotations

import io
import re
from decimal import Decimal
from pathlib import Path

import pytest
from conftest import login
from openpyxl import load_workbook

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
CODE = "K202201005"
PDF = (b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\n"
       b"endobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n")


@pytest.fixture
def setting(regions, city_admin, zhongyuan_editor):
    """A 中原区 project, 郑州市财政局 with its reviewer (not yet named as the city's finance approver), and 洛阳市 with
    the province user ``shengting`` from the reports demo (its 2025 records, no report)."""
    from django.contrib.auth import get_user_model

    from cityrenew.core.models import Organisation, Region, RoleAssignment
    from cityrenew.projects.models import RenewalProject
    from cityrenew.reports import demo

    district = Region.objects.get(code="410102")
    project = RenewalProject.objects.create(code=CODE, name="芝麻街1958双创园", city=district.parent,
                                            total_investment=Decimal("5"), category="old_community",
                                            status="implementing", start_year=2025)
    project.districts.add(district)
    org = Organisation.objects.create(name="郑州市财政局", short_name="市财政局", kind="department", region=district.parent)
    user = get_user_model().objects.create_user(username="caizheng", password="pass-caizheng", first_name="财政审核员")
    RoleAssignment.objects.create(user=user, role="dept_reviewer", region=district.parent, organisation=org)
    demo.load(report=False)
    return project


def new_page(browser):
    ctx = browser.new_context(locale="zh-CN", viewport={"width": 1400, "height": 900}, bypass_csp=True)
    pg = ctx.new_page()
    pg.set_default_timeout(20000)
    return pg


def test_city_funds_files_targets_tranche_report_and_province_compares(browser, page, live_server, setting, regions,
                                                                       tmp_path, screenshot_dir):
    from cityrenew.core.models import AuditLog, Region
    from cityrenew.funding.models import FundingLine, FundingSettings, Tranche
    from cityrenew.ledgers.models import Equipment
    from cityrenew.performance.models import TargetTable
    from cityrenew.projects.models import RenewalProject
    from cityrenew.reports.models import ProgressReport

    zz = regions["郑州市"]
    scan = tmp_path / "2025年度绩效目标表（盖章）.pdf"
    scan.write_bytes(PDF)

    # 1. the district editor fills the funding plan (资金 → the project's page) and requests a tranche
    login(page, live_server, "zyeditor", "pass-zyeditor")
    page.click("nav >> text=资金")
    page.wait_for_url(re.compile(r".*/funding/$"))
    assert page.locator('[data-testid="performance-link"]').get_attribute("href") == "/funding/performance/"
    assert page.locator('[data-testid="central-link"]').get_attribute("href") == "/funding/central/"
    page.goto(f"{live_server.url}/funding/projects/{CODE}/")
    page.click('[data-testid="add-line"]')
    page.select_option("select[name=channel]", label="中央财政城市更新补助资金")
    page.fill("input[name=year]", "2025")
    page.fill("input[name=planned]", "3000")
    page.fill("input[name=received]", "1200")
    page.fill("input[name=spent]", "800")
    page.click('[data-testid="save"]')
    page.wait_for_url(re.compile(rf".*/funding/projects/{CODE}/$"))
    assert FundingLine.objects.get(project=setting).planned == Decimal("3000")
    page.click('[data-testid="request-tranche"]')
    page.select_option("select[name=channel]", label="中央财政城市更新补助资金")
    page.fill("input[name=year]", "2025")
    page.fill("input[name=amount]", "1000")
    page.fill("input[name=purpose]", "老旧管网改造第一期工程款")
    page.click('[data-testid="submit-tranche"]')
    page.wait_for_url(re.compile(r".*/funding/tranches/\d+/$"))
    tranche = Tranche.objects.get()
    assert page.inner_text('[data-testid="tranche-state"]') == "已申请"

    # 2. the 市级管理员 approves it for the district
    admin = new_page(browser)
    login(admin, live_server, "cityadmin", "pass-cityadmin")
    admin.goto(f"{live_server.url}/funding/tranches/{tranche.pk}/")
    admin.check("input[name=decision][value=approve]")
    admin.fill("textarea[name=comment]", "同意，工程进度已核实")
    admin.click('[data-testid="submit-decision"]')
    admin.locator('[data-testid="tranche-state"]', has_text="区级已审核").wait_for()
    # both release checks are asked before finance: the performance one blocks (no filed 2025 annual table)
    blockers = admin.locator('[data-testid="blockers"]').inner_text()
    assert "2025 年度绩效目标表尚未盖章备案" in blockers
    # the city has not named its finance approver yet: a clear Chinese refusal on the page
    assert "郑州市尚未指定审核拨付申请的财政部门" in admin.inner_text('[data-testid="finance-missing"]')

    fin = new_page(browser)
    fin.goto(live_server.url + "/login/")
    fin.fill("input[name=username]", "caizheng")
    fin.fill("input[name=password]", "pass-caizheng")
    fin.click("button[type=submit]")
    fin.wait_for_url(re.compile(r".*/inbox/$"))
    fin.goto(f"{live_server.url}/funding/tranches/{tranche.pk}/")
    assert fin.locator('[data-testid="decision-form"]').count() == 0  # not yet the finance approver

    # 3. the 市级管理员 names 郑州市财政局 (audited)
    admin.goto(f"{live_server.url}/funding/settings/")
    admin.get_by_label("郑州市财政局").check()
    admin.click('[data-testid="save"]')
    admin.get_by_text("已保存郑州市的财政审核部门：郑州市财政局").wait_for()
    conf = FundingSettings.objects.get(city=zz)
    assert [o.name for o in conf.finance_organisations.all()] == ["郑州市财政局"]
    assert AuditLog.for_object(conf).exists()

    # finance may decide now, but the performance release check refuses the approval, in Chinese, nothing changes
    fin.goto(f"{live_server.url}/funding/tranches/{tranche.pk}/")
    fin.check("input[name=decision][value=approve]")
    fin.fill("textarea[name=comment]", "同意拨付")
    fin.click('[data-testid="submit-decision"]')
    assert "暂不能拨付：2025 年度绩效目标表尚未盖章备案" in fin.inner_text('[data-testid="decision-error"]')
    tranche.refresh_from_db()
    assert tranche.state == "district_approved"

    # 4. the 市级管理员 draws up and files the 2025 annual target table (绩效, linked from 资金)
    admin.goto(f"{live_server.url}/funding/")
    admin.click('[data-testid="performance-link"]')
    admin.wait_for_url(re.compile(r".*/funding/performance/$"))
    admin.goto(f"{live_server.url}/funding/performance/new/")
    form = admin.locator("[data-testid=object-form]")
    form.locator("select[name=city]").select_option(str(zz.pk))
    form.locator("select[name=kind]").select_option("annual")
    form.locator("input[name=year]").fill("2025")
    form.locator("[data-testid=save]").click()
    admin.wait_for_url(re.compile(r".*/funding/performance/\d+/$"))
    admin.locator("[data-testid=add-result]").click()
    admin.locator("input[name=title]").fill("老旧片区宜居环境建设取得明显成效")
    admin.locator("[data-testid=save]").click()
    admin.locator("[data-testid=add-indicator]").click()
    admin.locator("input[name=name]").fill("开工改造城镇老旧小区")
    admin.locator("input[name=unit]").fill("个")
    admin.locator("input[name=baseline]").fill("0")
    admin.locator("input[name=target_2025]").fill("150")
    admin.locator("[data-testid=save]").click()
    admin.wait_for_url(re.compile(r".*/funding/performance/\d+/#indicator-\d+$"))
    admin.locator("[data-testid=file-form] input[name=sealed_scan]").set_input_files(str(scan))
    admin.locator("[data-testid=file-button]").click()
    assert admin.locator("[data-testid=table-state]").inner_text() == "已盖章备案"
    table = TargetTable.objects.get(city=zz, kind="annual", year=2025)

    # 5. finance approves: both checks pass now (performance: the table is filed; cap: 1000 万元 ≤ 中部 10 亿元)
    fin.goto(f"{live_server.url}/funding/tranches/{tranche.pk}/")
    assert fin.locator('[data-testid="blockers"]').count() == 0
    fin.check("input[name=decision][value=approve]")
    fin.fill("textarea[name=comment]", "同意拨付")
    fin.click('[data-testid="submit-decision"]')
    fin.locator('[data-testid="tranche-state"]', has_text="财政已审核").wait_for()
    rows = fin.locator('[data-testid="reviews"] tbody tr')
    assert "区级审核" in rows.nth(0).inner_text() and "财政审核" in rows.nth(1).inner_text()
    fin.screenshot(path=str(screenshot_dir / "e2e-tranche-approved.png"), full_page=True)
    tranche.refresh_from_db()
    assert tranche.state == "approved"

    # 6. the city files its 2025 yearly report, generated from the records
    admin.goto(f"{live_server.url}/reports/")
    gen = admin.locator('[data-testid="generate-form"]')
    gen.locator("select[name=city]").select_option(str(zz.pk))
    gen.locator("input[name=year]").fill("2025")
    gen.locator("textarea[name=progress]").fill("中原区老旧管网改造第一期工程款已拨付。")
    admin.click('[data-testid="generate"]')
    admin.wait_for_url(re.compile(r".*/reports/\d+/$"))
    assert "3000" in admin.inner_text("main")  # the 2025 plan of 郑州市, 万元
    admin.click('[data-testid="submit-report"]')
    admin.get_by_text("已报送（待审核）").first.wait_for()
    report = ProgressReport.objects.get(city=zz)
    assert report.state == "submitted" and report.year == 2025

    # 7. the province user reads 郑州市's records, compares 郑州市 and 洛阳市 and exports the statistics
    prov = new_page(browser)
    login(prov, live_server, "shengting", "cityrenew-shengting")
    for url, text in [(f"/funding/projects/{CODE}/", "芝麻街1958双创园"), (f"/funding/tranches/{tranche.pk}/", "财政已审核"),
                      (table.get_absolute_url(), "开工改造城镇老旧小区"), (f"/reports/{report.pk}/", "郑州市"),
                      ("/funding/central/", "中央财政支持城市更新申报与遴选")]:
        resp = prov.goto(live_server.url + url)
        assert resp.status == 200, url
        assert text in prov.inner_text("main"), url
    prov.goto(live_server.url + "/reports/")
    prov.click('[data-testid="compare-link"]')
    prov.fill('[data-testid="compare-form"] input[name=year]', "2025")
    prov.click('[data-testid="compare-submit"]')
    prov.locator('#compare-chart[data-rendered="1"]').wait_for()
    heads = prov.locator('[data-testid="compare-table"] thead th[data-city]').all_inner_texts()
    assert heads == ["郑州市", "洛阳市"]
    row = prov.locator('[data-testid="compare-table"] tr[data-label="资金计划（万元）"] td').all_inner_texts()
    assert row[1] == "3000" and row[2] == "57000"
    prov.screenshot(path=str(screenshot_dir / "e2e-compare.png"), full_page=True)

    prov.goto(live_server.url + "/reports/statistics/?start=2024&end=2025")
    with prov.expect_download() as dl:
        prov.click('[data-testid="export-statistics"]')
    ws = load_workbook(io.BytesIO(Path(dl.value.path()).read_bytes())).active
    header = [c.value for c in ws[1]]
    rows = {(r[0], r[1]): r for r in ws.iter_rows(min_row=2, values_only=True) if isinstance(r[0], int)}
    col = {name: i for i, name in enumerate(header)}
    started = next(i for n, i in col.items() if n and n.startswith("新开工改造城镇老旧小区"))
    elevators = next(i for n, i in col.items() if n and n.startswith("加装电梯"))
    parks = next(i for n, i in col.items() if n and n.startswith("口袋公园"))
    cities = {r.name: r for r in Region.objects.filter(level="city", name__in=["郑州市", "洛阳市"])}
    assert {c.parent.name for c in cities.values()} == {"河南省"}
    for (year, city), r in rows.items():
        if city not in cities:
            continue
        c = cities[city]  # each figure equals the records it is counted from
        assert r[elevators] == Equipment.objects.filter(region__path__startswith=c.path, category="住宅电梯",
                                                        commissioned__year=year).count(), (year, city)
        assert r[started] == RenewalProject.objects.filter(city=c, category="old_community", start_year=year).count()
        assert r[parks] == "无此类记录"
    assert rows[(2025, "郑州市")][started] == 1  # this test's project, started in 2025
    assert rows[(2025, "洛阳市")][elevators] == 2
    for pg in (admin, fin, prov):
        pg.context.close()
