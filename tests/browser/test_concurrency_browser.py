"""Two editors, two browsers, one project: the second save is refused with what changed, and the
second editor's input stays in the form (Debian chromium through Playwright against a live server)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from conftest import login

from cityrenew.core.models import Region
from cityrenew.projects.models import RenewalProject

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CODE = "K202201005"


@pytest.fixture
def project(regions):
    zhongyuan = Region.objects.get(code="410102")
    p = RenewalProject.objects.create(code=CODE, name="芝麻街1958双创园", city=zhongyuan.parent,
                                      total_investment=Decimal("50"), category="old_community", status="library")
    p.districts.add(zhongyuan)
    return p


def test_second_stale_save_in_the_browser(browser, live_server, project, zhongyuan_editor, make_user, screenshot_dir):
    make_user("zyeditor2", "district_editor", "410102", first_name="另一编辑")
    pages = []
    for username in ("zyeditor", "zyeditor2"):
        ctx = browser.new_context(locale="zh-CN", viewport={"width": 1400, "height": 900})
        pg = ctx.new_page()
        pg.set_default_timeout(15000)
        login(pg, live_server, username, "pass-" + username)
        pg.goto(live_server.url + f"/projects/{CODE}/edit/")
        pages.append(pg)
    first, second = pages

    first.fill("input[name=name]", "芝麻街1958（一期）")
    first.click("[data-testid=project-form] button[type=submit]")
    first.wait_for_url(live_server.url + f"/projects/{CODE}/")

    second.fill("input[name=name]", "芝麻街（第二位编辑）")
    second.fill("textarea[name=description]", "第二位编辑写的概况")
    second.click("[data-testid=project-form] button[type=submit]")
    message = second.locator("[data-testid=stale-message]")
    message.wait_for()
    text = message.inner_text()
    assert "已被他人修改" in text and "项目名称：芝麻街1958双创园 → 芝麻街1958（一期）" in text and "zyeditor" in text
    assert "芝麻街1958（一期）" in second.locator("h1").inner_text()  # the heading names the stored project
    assert second.input_value("input[name=name]") == "芝麻街（第二位编辑）"
    assert second.input_value("textarea[name=description]") == "第二位编辑写的概况"
    second.screenshot(path=str(screenshot_dir / "stale-edit.png"), full_page=True)
    assert RenewalProject.objects.get(code=CODE).name == "芝麻街1958（一期）"

    # having read the change, the second editor saves again
    second.click("[data-testid=project-form] button[type=submit]")
    second.wait_for_url(live_server.url + f"/projects/{CODE}/")
    assert RenewalProject.objects.get(code=CODE).name == "芝麻街（第二位编辑）"
    for pg in pages:
        pg.context.close()
