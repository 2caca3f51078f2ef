"""The policy search page in a real browser: a question typed in the box brings live results (HTMX)
with the hits highlighted; the first result opens the article at its anchor."""

from __future__ import annotations

import re

import pytest
from conftest import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def ingested(regions):
    from cityrenew.policies.ingest import ingest_seeds

    ingest_seeds()


def test_type_a_question_see_live_results_and_open_the_article(page, live_server, viewer, ingested, screenshot_dir):
    from cityrenew.policies.models import Article

    article = Article.objects.get(document__key="MOF-2025-11", ref="四、（一）")
    login(page, live_server, "viewer1", "pass-viewer1")
    page.goto(f"{live_server.url}/policies/search/")
    page.locator("#id_q").press_sequentially("西部城市中央补助上限", delay=20)  # no submit: results come as you type
    first = page.locator("[data-testid=search-hit]").first
    first.wait_for()
    assert "四、（一）" in first.inner_text() and "财办建〔2025〕11号" in first.inner_text()
    assert "西部地区" in first.locator("mark").all_inner_texts()
    assert "q=" in page.url  # the address follows the question (hx-push-url): the search can be shared
    page.screenshot(path=str(screenshot_dir / "policies-search.png"), full_page=True)
    first.locator("a").first.click()
    page.wait_for_url(re.compile(re.escape(f"{live_server.url}/policies/MOF-2025-11/{article.number}/") + r"#a\d+$"))
    assert "12亿元" in page.content() or "12 亿元" in page.content()
