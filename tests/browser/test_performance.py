"""Performance in a real browser: a 市级管理员 draws up the 2025 annual target table (a result, an indicator with its
target), files it with the stamped scan, sees the targets sealed, finds the 2026 central-subsidy release blocked by
the missing 2025 actual value, records it with evidence and sees the release allowed."""

from __future__ import annotations

import re

import pytest
from conftest import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PDF = (b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\n"
       b"endobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n")


def test_fill_targets_file_record_actual_release_check(page, live_server, city_admin, regions, tmp_path, screenshot_dir):
    from cityrenew.performance.models import Period, TargetTable

    from tests.performance.support import filed_table

    zz = regions["郑州市"]
    scan = tmp_path / "2025年度绩效目标表（盖章）.pdf"
    scan.write_bytes(PDF)
    evidence = tmp_path / "2025年统计年报.pdf"
    evidence.write_bytes(PDF)
    login(page, live_server, "cityadmin", "pass-cityadmin")

    page.goto(f"{live_server.url}/funding/performance/new/")
    form = page.locator("[data-testid=object-form]")
    form.locator("select[name=city]").select_option(str(zz.pk))
    form.locator("select[name=kind]").select_option("annual")
    form.locator("input[name=year]").fill("2025")
    form.locator("[data-testid=save]").click()
    page.wait_for_url(re.compile(r".*/funding/performance/\d+/$"))
    table = TargetTable.objects.get(year=2025)
    assert page.locator("[data-testid=table-state]").inner_text() == "编制中"

    page.locator("[data-testid=add-result]").click()
    page.locator("input[name=title]").fill("老旧片区宜居环境建设取得明显成效")
    page.locator("[data-testid=save]").click()
    page.locator("[data-testid=add-indicator]").click()
    page.locator("input[name=name]").fill("开工改造城镇老旧小区")
    page.locator("input[name=unit]").fill("个")
    page.locator("input[name=baseline]").fill("0")
    page.locator("input[name=target_2025]").fill("-150")  # a slip of the finger: refused, nothing saved
    page.locator("[data-testid=save]").click()
    assert "不能为负数" in page.locator("ul.errorlist[data-field=target_2025]").inner_text()
    page.locator("input[name=target_2025]").fill("150")
    page.locator("[data-testid=save]").click()
    page.wait_for_url(re.compile(rf".*/funding/performance/{table.pk}/#indicator-\d+$"))
    row = page.locator("[data-testid=period][data-indicator=开工改造城镇老旧小区]")
    assert row.locator("[data-testid=target]").inner_text() == "150"

    page.locator("[data-testid=file-form] input[name=sealed_scan]").set_input_files(str(scan))
    page.locator("[data-testid=file-button]").click()
    assert page.locator("[data-testid=table-state]").inner_text() == "已盖章备案"
    assert page.locator("[data-testid=add-indicator]").count() == 0  # sealed: no more target edits
    assert page.locator("[data-testid=edit-button]").count() == 0
    page.screenshot(path=str(screenshot_dir / "performance-table-filed.png"), full_page=True)

    filed_table(zz, year=2026)  # next year's table, filed the same way
    page.goto(f"{live_server.url}/funding/performance/release/")
    page.locator("[data-testid=release-form] select[name=city]").select_option(str(zz.pk))
    page.locator("[data-testid=release-form] input[name=year]").fill("2026")
    page.locator("[data-testid=release-form] button").click()
    blocker = page.locator("[data-testid=blocker]")
    assert blocker.count() == 1
    assert "2025 年度以下指标尚未填报实际值" in blocker.inner_text() and "开工改造城镇老旧小区" in blocker.inner_text()
    page.screenshot(path=str(screenshot_dir / "performance-release-blocked.png"), full_page=True)

    page.goto(f"{live_server.url}{table.get_absolute_url()}")
    page.locator("[data-testid=period][data-indicator=开工改造城镇老旧小区] [data-testid=record-actual]").click()
    form = page.locator("[data-testid=actual-form]")
    form.locator("input[name=actual]").fill("162")
    form.locator("input[name=evidence]").set_input_files(str(evidence))
    form.locator("input[name=evidence_note]").fill("统计年报")
    form.locator("[data-testid=save]").click()
    row = page.locator("[data-testid=period][data-indicator=开工改造城镇老旧小区]")
    assert row.locator("[data-testid=actual]").inner_text() == "162"
    assert row.locator("[data-testid=achieved]").inner_text() == "达成"
    assert "统计年报" in row.inner_text()
    assert Period.objects.get(indicator__result__table=table).evidence.count() == 1

    page.goto(f"{live_server.url}/funding/performance/release/?city={zz.pk}&year=2026")
    assert "可以拨付" in page.locator("[data-testid=release-ok]").inner_text()
    page.screenshot(path=str(screenshot_dir / "performance-release-ok.png"), full_page=True)
