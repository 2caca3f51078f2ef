"""报送与统计 in a real browser: 洛阳市's 市级管理员 files its yearly report (a year without data refused first);
the province user (省住建厅, 只读用户 over 河南省) returns it, the city files version 2, the province accepts it,
compares 郑州市 and 洛阳市 side by side (table and ECharts chart) and exports the statistics."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from conftest import login
from openpyxl import load_workbook

from cityrenew.reports.models import ProgressReport

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def two_cities(regions):
    from cityrenew.reports import demo

    return demo.load(report=False)


def test_file_yearly_report_then_province_compares_and_exports(page, live_server, two_cities, screenshot_dir):
    login(page, live_server, "luoyang", "cityrenew-luoyang")
    page.click("nav >> text=报送与统计")
    page.wait_for_url(re.compile(r".*/reports/$"))

    form = page.locator('[data-testid="generate-form"]')
    form.locator("input[name=year]").fill("2019")
    page.click('[data-testid="generate"]')
    page.get_by_text("洛阳市2019年没有可报送的数据").wait_for()
    assert ProgressReport.objects.count() == 0

    form.locator("input[name=year]").fill("2025")
    form.locator("textarea[name=progress]").fill("涧西区工业遗产街区更新按计划推进。")
    page.click('[data-testid="generate"]')
    page.wait_for_url(re.compile(r".*/reports/\d+/$"))
    assert page.inner_text('[data-testid="report-state"]') == "已生成（待报送）"
    assert "57000" in page.inner_text("main")  # 2025 planned funding of 洛阳市, 万元
    with page.expect_download() as dl:
        page.click('[data-testid="download-docx"]')
    assert dl.value.suggested_filename == "洛阳市2025年年度报告_第1版.docx"
    page.click('[data-testid="submit-report"]')
    page.get_by_text("已报送（待审核）").first.wait_for()
    first = ProgressReport.objects.get()
    assert first.state == "submitted"

    # the province returns it with comments
    page.context.clear_cookies()
    login(page, live_server, "shengting", "cityrenew-shengting")
    page.goto(live_server.url + f"/reports/{first.pk}/")
    page.fill('[data-testid="review-form"] textarea[name=comment]', "请补充地下管网改造进度")
    page.click('[data-testid="return-report"]')
    page.get_by_text("请补充地下管网改造进度").first.wait_for()
    assert page.inner_text('[data-testid="report-state"]') == "已退回"

    # the city files version 2
    page.context.clear_cookies()
    login(page, live_server, "luoyang", "cityrenew-luoyang")
    page.goto(live_server.url + f"/reports/{first.pk}/")  # the returned version offers a new one, texts carried over
    form = page.locator('[data-testid="regenerate-form"]')
    assert form.locator("textarea[name=progress]").input_value() == "涧西区工业遗产街区更新按计划推进。"
    form.locator("textarea[name=progress]").fill("补充：洛龙区地下管网更新改造已开工。")
    page.click('[data-testid="regenerate"]')
    page.wait_for_url(re.compile(r".*/reports/\d+/$"))
    assert "第2版" in page.inner_text('[data-testid="object-title"]')
    page.locator("details summary").click()  # 报送前 the texts may still be changed
    page.fill('[data-testid="text-form"] textarea[name=problems]', "地下管网改造资金缺口较大。")
    page.click('[data-testid="save-text"]')
    page.get_by_text("已保存").wait_for()
    assert ProgressReport.objects.get(version=2).problems == "地下管网改造资金缺口较大。"
    page.click('[data-testid="submit-report"]')
    page.get_by_text("已报送（待审核）").first.wait_for()

    # the province accepts it, compares the two cities and exports the statistics
    page.context.clear_cookies()
    login(page, live_server, "shengting", "cityrenew-shengting")
    second = ProgressReport.objects.get(version=2)
    page.goto(live_server.url + f"/reports/{second.pk}/")
    page.click('[data-testid="accept-report"]')
    page.get_by_text("已接收").first.wait_for()
    page.screenshot(path=str(screenshot_dir / "reports-accepted.png"), full_page=True)
    assert ProgressReport.objects.get(pk=second.pk).state == "accepted"

    page.goto(live_server.url + "/reports/")
    page.click('[data-testid="compare-link"]')
    page.fill('[data-testid="compare-form"] input[name=year]', "2025")
    page.click('[data-testid="compare-submit"]')
    page.locator('#compare-chart[data-rendered="1"]').wait_for()
    heads = page.locator('[data-testid="compare-table"] thead th[data-city]').all_inner_texts()
    assert heads == ["郑州市", "洛阳市"]
    row = page.locator('[data-testid="compare-table"] tr[data-label="资金计划（万元）"] td').all_inner_texts()
    assert row[2] == "57000"
    page.screenshot(path=str(screenshot_dir / "reports-compare.png"), full_page=True)

    page.goto(live_server.url + "/reports/statistics/?start=2024&end=2025")
    assert page.locator('[data-testid="statistics-table"] tr[data-city="合计"]').count() == 2
    with page.expect_download() as dl:
        page.click('[data-testid="export-statistics"]')
    ws = load_workbook(io.BytesIO(Path(dl.value.path()).read_bytes())).active  # the download has no .xlsx suffix
    rows = {(r[0], r[1]): r for r in ws.iter_rows(min_row=2, values_only=True) if isinstance(r[0], int)}
    assert rows[(2025, "洛阳市")][3] == 2 and rows[(2025, "洛阳市")][4] == "无此类记录"


def test_compare_chart_runs_under_the_csp(browser, live_server, two_cities):
    """The comparison page with the Content Security Policy enforced: the chart draws, nothing is blocked."""
    from test_csp_browser import RECORD_VIOLATIONS, assert_no_violations

    ctx = browser.new_context(locale="zh-CN", viewport={"width": 1400, "height": 900})  # CSP enforced
    ctx.add_init_script(RECORD_VIOLATIONS)
    page = ctx.new_page()
    page.set_default_timeout(20000)
    page.console_errors = []
    page.on("console", lambda m: m.type == "error" and page.console_errors.append(m.text))
    try:
        login(page, live_server, "shengting", "cityrenew-shengting")
        page.goto(live_server.url + "/reports/compare/?year=2025")
        page.wait_for_selector('#compare-chart[data-rendered="1"] canvas')
        assert_no_violations(page)
        page.goto(live_server.url + "/reports/statistics/?start=2024&end=2025")
        page.wait_for_selector('[data-testid="statistics-table"] tr[data-city="洛阳市"]')
        assert_no_violations(page)
    finally:
        ctx.close()
