"""A department user's inbox in a real browser (Debian chromium through Playwright), against a live server.

The 教育局 clerk logs in and lands on 我的待办, opens the task from 待填报, downloads the Excel
template (a real download event; the file is opened with openpyxl and carries the manual's Chinese
texts), types the values into it, uploads it and submits. The city authority's reviewer logs in, finds
the task under 待审核 and returns it with a reason; the clerk finds it under 已退回 with that reason.
Screenshots go to test-results/screenshots/.
"""

from __future__ import annotations

import datetime as dt

import pytest
from openpyxl import load_workbook

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

REASON = "指标22的数值与教育统计年鉴不一致，请核对后重新上传"


@pytest.fixture
def scene(regions, city_admin, make_user):
    from cityrenew.checkup import services
    from cityrenew.checkup.catalogue import SET_2025, load_indicator_sets
    from cityrenew.checkup.choices import Department
    from cityrenew.core.choices import OrganisationKind
    from cityrenew.core.models import Organisation, RoleAssignment

    sets = load_indicator_sets()
    city = regions["郑州市"]
    run = services.create_run(city, 2025, sets[SET_2025], city_admin, deadline=dt.date(2099, 6, 30))
    edu = run.tasks.get(department=Department.EDUCATION)
    clerk = make_user("educlerk", None, None, first_name="教育局填报员")
    RoleAssignment.objects.create(user=clerk, role="dept_editor", region=city, organisation=edu.organisation)
    authority = Organisation.objects.create(name="郑州市城市更新局", kind=OrganisationKind.AUTHORITY, region=city)
    reviewer = make_user("reviewer", None, None, first_name="更新局审核员")
    RoleAssignment.objects.create(user=reviewer, role="dept_reviewer", region=city, organisation=authority)
    return {"run": run, "task": edu, "rows": services.expected_rows(edu)}


def _login(page, live_server, username: str) -> None:
    page.goto(live_server.url + "/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "pass-" + username)
    page.click("button[type=submit]")
    page.wait_for_url(live_server.url + "/inbox/")  # department users start from their inbox


def _logout(page) -> None:
    page.click("header form button:has-text('退出')")
    page.wait_for_load_state()


def test_department_inbox_fill_upload_submit_return(page, live_server, scene, screenshot_dir, tmp_path):
    from cityrenew.catalogue.indicator_texts import read_texts
    from cityrenew.checkup.models import IndicatorValue

    task = scene["task"]
    title = f"{task.organisation.name} · 郑州市2025年城市体检"
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))

    # --- the clerk: inbox → task → template → upload → submit ---
    _login(page, live_server, "educlerk")
    nav = page.inner_text("nav.mainnav")
    assert "我的待办" in nav and "项目库" not in nav
    assert page.inner_text("[data-testid=inbox-count]") == "1"
    to_fill = page.locator("[data-testid=inbox-to_fill]")
    assert title in to_fill.inner_text() and "2099-06-30" in to_fill.inner_text()
    page.screenshot(path=str(screenshot_dir / "inbox-department.png"), full_page=True)
    to_fill.get_by_text(title).click()
    page.wait_for_url(f"**/checkup/tasks/{task.pk}/")
    assert page.inner_text("[data-testid=task-deadline]").startswith("填报截止日期：2099-06-30")
    # the manual's texts, opened as a clerk would, read as printed (line breaks kept)
    texts = read_texts()
    box = page.locator("[data-testid=indicator-texts][data-indicator='22']")
    box.locator("summary").click()
    assert box.locator("[data-testid=text-definition]").inner_text() == texts[22].definition
    assert box.locator("[data-testid=text-method]").inner_text() == texts[22].method
    page.screenshot(path=str(screenshot_dir / "task-indicator-texts.png"), full_page=True)

    with page.expect_download() as info:
        page.click("[data-testid=template-download]")
    download = info.value
    assert download.suggested_filename.endswith("填报模板.xlsx")
    path = tmp_path / "template.xlsx"
    download.save_as(path)
    wb = load_workbook(path)
    info_ws = wb["说明"]
    definitions = {row[0]: row[4] for row in info_ws.iter_rows(values_only=True) if isinstance(row[0], int)}
    assert definitions[22] == texts[22].definition
    ws = wb["填报表"]
    header = [c.value for c in ws[3]]
    c_num, c_val = header.index("序号") + 1, header.index("数值") + 1
    typed = {}
    for r in range(4, ws.max_row + 1):
        n = ws.cell(r, c_num).value
        if n is None:
            continue
        typed[n] = 86.5 if ws.cell(r, header.index("计量单位") + 1).value == "%" else 4
        ws.cell(r, c_val).value = typed[n]
    assert len(typed) == len(scene["rows"]) and 22 in typed
    filled = tmp_path / "教育局填报.xlsx"
    wb.save(filled)

    page.set_input_files("[data-testid=upload-form] input[type=file]", str(filled))
    page.click("[data-testid=upload-form] button")
    page.wait_for_selector(".msg-success")
    assert "上传成功" in page.inner_text(".messages")
    saved = {v.indicator.number: float(v.value) for v in IndicatorValue.objects.filter(run=scene["run"]).select_related("indicator")}
    assert saved == {n: float(v) for n, v in typed.items()}
    page.click("[data-testid=submit-task]")
    page.wait_for_selector("[data-testid=task-status]:has-text('已提交')")
    page.goto(live_server.url + "/inbox/")
    assert "暂无" in page.inner_text("[data-testid=inbox-to_fill]")
    assert title in page.inner_text("[data-testid=inbox-submitted]")  # its own work, waiting for review
    assert page.locator("[data-testid=inbox-count]").count() == 0
    _logout(page)

    # --- the reviewer: 待审核 → return with a reason ---
    _login(page, live_server, "reviewer")
    to_review = page.locator("[data-testid=inbox-to_review]")
    assert title in to_review.inner_text()
    assert page.inner_text("[data-testid=inbox-count]") == "1"
    page.screenshot(path=str(screenshot_dir / "inbox-reviewer.png"), full_page=True)
    to_review.get_by_text(title).click()
    page.wait_for_url(f"**/checkup/tasks/{task.pk}/")
    page.fill("[data-testid=return-form] textarea, [data-testid=return-form] input[name=reason]", REASON)
    page.click("[data-testid=return-form] button")
    page.wait_for_selector("[data-testid=task-status]:has-text('已退回')")
    page.goto(live_server.url + "/inbox/")
    assert "暂无" in page.inner_text("[data-testid=inbox-to_review]")
    _logout(page)

    # --- the clerk: 已退回 with the reason ---
    _login(page, live_server, "educlerk")
    returned = page.locator("[data-testid=inbox-returned]")
    assert title in returned.inner_text()
    assert page.inner_text("[data-testid=inbox-reason]") == f"退回原因：{REASON}"
    page.screenshot(path=str(screenshot_dir / "inbox-returned.png"), full_page=True)
    assert errors == []
