"""Ledgers in a real browser: a 市级管理员 evaluates the city's equipment ledger from its list page (the
background job), opens a row's page and sees its verdict, the rule that fired with the reason and the
article's own text from the policy library, follows the article link; the task list shows the progress chart."""

from __future__ import annotations

import re
from datetime import date

import pytest
from conftest import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def equipment(regions):
    from cityrenew.ledgers.models import Equipment
    from cityrenew.policies.ingest import ingest_seeds

    ingest_seeds()
    zy, eq = regions["中原区"], regions["二七区"]
    gas = Equipment(code="GAS-ZY-20", name="中原路燃气管道", region=zy, category="燃气管道", material="钢质",
                    commissioned=date(2006, 6, 30), hazard=True, inspection="允许使用", length_km="2.5")
    gas.save()
    Equipment(code="GAS-EQ-GREY", name="大学路燃气管道", region=eq, category="燃气管道", material="灰口铸铁",
              commissioned=date(2015, 1, 1), hazard=False, inspection="允许使用", length_km="3", status="renewed").save()
    return gas


def test_evaluate_then_a_row_shows_its_rule_and_article_text(page, live_server, city_admin, equipment, screenshot_dir):
    from cityrenew.jobs.runner import run_pending
    from cityrenew.policies.models import Article

    login(page, live_server, "cityadmin", "pass-cityadmin")
    page.goto(f"{live_server.url}/ledgers/equipment/")
    form = page.locator("[data-testid=list-evaluate-form]")  # on the ledger's own list page
    form.locator("select[name=province]").select_option("河北省")
    form.locator("[data-testid=list-evaluate-button]").click()
    page.wait_for_url(re.compile(r".*/jobs/\d+/"))
    assert run_pending() == 1  # the worker's part, in this process

    page.goto(f"{live_server.url}/ledgers/equipment/{equipment.pk}/")
    panel = page.locator("[data-testid=ledger-verdict]")
    assert panel.locator("[data-testid=verdict]").inner_text() == "强制更新"
    rule = panel.locator("li[data-rule=HE-2-1c]")
    assert "HE-2-1c" in rule.inner_text()
    assert "20" in rule.locator("[data-testid=rule-reason]").inner_text()
    from cityrenew.ledgertasks.models import LedgerVerdict

    fired = next(r for r in LedgerVerdict.objects.get(code="GAS-ZY-20").rules if r["id"] == "HE-2-1c")
    article = Article.objects.get(document__key=fired["document"], ref=fired["article"])
    text = rule.locator("[data-testid=rule-article-text]").inner_text()
    assert article.text.split("\n")[0].strip()[:30] in text  # the article's own words, from the library
    page.screenshot(path=str(screenshot_dir / "ledger-row-verdict.png"), full_page=True)
    rule.locator("[data-testid=rule-article-link]").click()
    page.wait_for_url(re.compile(re.escape(f"/policies/{article.document.key}/{article.number}/")))

    page.goto(f"{live_server.url}/ledgers/tasks/equipment/")
    page.wait_for_function("document.getElementById('ledger-progress-chart').dataset.rendered === '1'")
    counts = page.locator("[data-testid=verdict-counts]").inner_text()
    assert "按河北省规则" in page.locator("[data-testid=evaluation]").inner_text()
    assert "强制更新" in counts
    tasks = page.locator("[data-testid=task-list]").inner_text()
    assert "中原区" in tasks and "燃气管道" in tasks and "公里" in tasks
    page.screenshot(path=str(screenshot_dir / "ledger-tasks.png"), full_page=True)
