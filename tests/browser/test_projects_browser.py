"""The project library in a real browser (Debian chromium through Playwright) against a live server.

Log in as the 中原区 editor, filter the list (HTMX and the plain form), open a project, edit it and see
the change in its history; the summary page with its ECharts chart (screenshot); the district map.
"""

from __future__ import annotations

import re

import pytest
from conftest import login

from cityrenew.core.models import AuditLog
from cityrenew.projects.models import RenewalProject

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def library(regions):
    from cityrenew.projects import demo

    demo.load()
    return regions


def table_codes(page) -> list[str]:
    return page.locator("#project-table tbody tr[data-code]").evaluate_all("rows => rows.map(r => r.dataset.code)")


def test_filter_open_edit_and_see_history(page, live_server, library, zhongyuan_editor, screenshot_dir):
    login(page, live_server, "zyeditor", "pass-zyeditor")
    page.goto(live_server.url + "/projects/")
    page.get_by_text("共 276 个项目").wait_for()

    # a select change refreshes the table through HTMX (no full reload)
    page.evaluate("window.__sameDocument = true")
    page.select_option("#project-filters select[name=district]", label="中原区")
    page.get_by_text("共 26 个项目").wait_for()
    assert page.evaluate("window.__sameDocument") is True
    assert "district=" in page.url  # hx-push-url keeps the filter in the address bar
    codes = table_codes(page)
    assert len(codes) == 26 and "K202201005" in codes

    # search within it and submit the form
    page.fill("#project-filters input[name=q]", "芝麻街")
    page.click("#project-filters button[type=submit]")
    page.get_by_text("共 1 个项目").wait_for()
    assert table_codes(page) == ["K202201005"]
    # the editor may edit this one; the cross-district project shows no edit button
    assert page.locator('[data-testid="edit-K202201005"]').count() == 1

    page.click("#project-table a:has-text('芝麻街1958双创园')")
    page.wait_for_url(re.compile(r".*/projects/K202201005/$"))
    assert page.inner_text('[data-testid="project-name"]') == "芝麻街1958双创园"

    page.click('[data-testid="edit-button"]')
    page.wait_for_url(re.compile(r".*/projects/K202201005/edit/$"))
    # a wrong value first: the Chinese message names the field, nothing is saved
    page.fill("input[name=total_investment]", "-5")
    page.click('[data-testid="save"]')
    page.locator('ul.errorlist[data-field="total_investment"]').get_by_text("项目总投资不能为负数").wait_for()
    page.fill("input[name=total_investment]", "51.25")
    page.fill("input[name=name]", "芝麻街1958双创园（提质改造）")
    page.select_option("select[name='fundings-0-source']", label="地方政府专项债券")
    page.fill("input[name='fundings-0-amount']", "10")
    page.click('[data-testid="save"]')
    page.wait_for_url(re.compile(r".*/projects/K202201005/$"))

    assert page.inner_text('[data-testid="project-name"]') == "芝麻街1958双创园（提质改造）"
    assert page.inner_text('[data-testid="project-investment"]').startswith("51.25")
    history = page.locator("#history table tbody tr").first
    text = history.inner_text()
    assert "中原区编辑" in text and "修改" in text  # the editor by name
    assert "芝麻街1958双创园 → 芝麻街1958双创园（提质改造）" in text
    assert "50 → 51.25" in text
    assert "地方政府专项债券" in page.inner_text('[data-testid="fundings"]')
    page.screenshot(path=str(screenshot_dir / "projects-detail-after-edit.png"), full_page=True)

    # the database agrees, and the audit row carries the user
    p = RenewalProject.objects.get(code="K202201005")
    assert p.name == "芝麻街1958双创园（提质改造）"
    assert AuditLog.for_object(p).filter(action="update").first().user.username == "zyeditor"

    # another district's project: 403 in Chinese, by direct URL
    page.goto(live_server.url + "/projects/K202202001/edit/")
    assert "无权修改项目 K202202001" in page.inner_text('[data-testid="forbidden-message"]')


def test_summary_chart_renders(page, live_server, library, viewer, screenshot_dir):
    login(page, live_server, "viewer1", "pass-viewer1")
    page.goto(live_server.url + "/projects/summary/")
    page.wait_for_selector("#district-chart canvas")
    page.wait_for_selector('#district-chart[data-rendered="1"]')
    assert page.evaluate("window.cityrenewSummaryChart.bars") == 15  # 15 districts in the official table
    assert page.inner_text('[data-testid="grand-total"]') == "7895.45"
    # the canvas really has pixels drawn (not blank)
    painted = page.evaluate(
        """() => { const c = document.querySelector('#district-chart canvas');
                   const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
                   let n = 0; for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++; return n; }"""
    )
    assert painted > 10000
    page.screenshot(path=str(screenshot_dir / "projects-summary.png"), full_page=True)

    page.click('[data-testid="mode-detail"]')
    page.wait_for_selector("tr.project-row")
    assert page.locator("tr.project-row").count() == 276


def test_map_shows_district_layer_and_popup(page, live_server, library, viewer, screenshot_dir):
    login(page, live_server, "viewer1", "pass-viewer1")
    page.goto(live_server.url + "/projects/map/")
    page.wait_for_function("window.cityrenewMap && window.cityrenewMap.loaded", timeout=30000)
    assert page.evaluate("window.cityrenewMap.features") == 12
    rendered = page.evaluate(
        "window.cityrenewMap.map.queryRenderedFeatures({layers: ['district-fill']}).map(f => f.properties.name)"
    )
    assert {"中原区", "金水区", "登封市"} <= set(rendered)
    assert "无边界数据" in page.inner_text('[data-testid="no-boundary"]')

    # click on 中原区 (at its stored interior point) → popup with name, total, count and a list link
    xy = page.evaluate(
        """() => { const m = window.cityrenewMap.map;
                   const f = m.querySourceFeatures('districts').find(f => f.properties.name === '中原区');
                   const c = JSON.parse(f.properties.centroid);
                   const p = m.project(c); const r = m.getCanvas().getBoundingClientRect();
                   return [r.left + p.x, r.top + p.y]; }"""
    )
    page.mouse.click(xy[0], xy[1])
    popup = page.locator(".maplibregl-popup-content")
    popup.wait_for()
    text = popup.inner_text()
    assert "中原区" in text and "947.99" in text and "25 个" in text
    page.screenshot(path=str(screenshot_dir / "projects-map.png"), full_page=True)
    popup.locator("a").click()
    page.wait_for_url(re.compile(r".*/projects/\?district=\d+$"))
    page.get_by_text("共 26 个项目").wait_for()
