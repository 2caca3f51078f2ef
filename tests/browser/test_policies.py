"""The policy library in a real browser: a rule's citation badge → the article it cites → the rule
listed under 依据本条的规则 → back to the rule; the reader's table of contents and a deep link #a<number>."""

from __future__ import annotations

import re

import pytest
from conftest import login
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def manual(regions):
    """The whole library (the seeds and the excerpt documents such as the check-up manual) and the national
    indicator sets whose indicators cite the manual, as ``cityrenew policies ingest`` and ``load_indicator_sets`` write them."""
    from cityrenew.checkup.catalogue import SET_2025, load_indicator_sets
    from cityrenew.checkup.models import IndicatorSet
    from cityrenew.policies.ingest import ingest_seeds

    ingest_seeds()
    load_indicator_sets()
    return IndicatorSet.objects.get(code=SET_2025)


def test_follow_a_rule_citation_to_its_article_and_back(page, live_server, viewer, manual, screenshot_dir):
    from cityrenew.policies.models import Article

    article = Article.objects.select_related("document").get(document__key="MOHURD-CHECKUP-2025", ref="指标60")
    indicator = manual.indicators.get(number=60)
    login(page, live_server, "viewer1", "pass-viewer1")
    page.goto(f"{live_server.url}/checkup/sets/{manual.pk}/")
    badge = page.locator(f"#ind-{indicator.pk} a.cite")
    assert "指标60" in badge.inner_text()
    badge.click()
    page.wait_for_url(re.compile(re.escape(f"{live_server.url}/policies/MOHURD-CHECKUP-2025/{article.number}/")))
    assert page.locator("[data-testid=article-title]").inner_text().startswith("指标60")
    text = page.locator("[data-testid=article-text]").inner_text()
    assert article.text.split("\n")[0][-20:] in text  # the manual's own words
    rules = page.locator("[data-testid=citing-rules]")
    assert "问题整治完成率" in rules.inner_text()
    assert page.locator("[data-testid=citation-text]").input_value() == "《城市体检工作手册（试行）》指标60"
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    copy = page.locator("[data-copy]")
    copy.click()
    expect(copy).to_have_text("已复制")
    assert page.evaluate("navigator.clipboard.readText()") == "《城市体检工作手册（试行）》指标60"
    page.screenshot(path=str(screenshot_dir / "policies-article.png"), full_page=True)

    # back to the rule: the indicator's own row in its set
    rules.locator("a", has_text="问题整治完成率").first.click()
    page.wait_for_url(re.compile(re.escape(f"{live_server.url}/checkup/sets/{manual.pk}/")))
    assert page.locator(f"#ind-{indicator.pk}").is_visible()


def test_reader_toc_and_deep_link(page, live_server, viewer, manual, screenshot_dir):
    from cityrenew.policies.models import Article

    article = Article.objects.get(document__key="MOHURD-CHECKUP-2025", ref="指标30")  # mid-document: room to scroll
    login(page, live_server, "viewer1", "pass-viewer1")
    page.goto(f"{live_server.url}/policies/")
    page.screenshot(path=str(screenshot_dir / "policies-list.png"), full_page=True)
    page.locator("[data-testid=doc-MOHURD-CHECKUP-2025] a", has_text="城市体检工作手册").click()
    page.wait_for_url(f"{live_server.url}/policies/MOHURD-CHECKUP-2025/")
    page.screenshot(path=str(screenshot_dir / "policies-reader.png"))
    toc_link = page.locator(f"[data-testid=toc-{article.number}]")
    toc_link.click()
    page.wait_for_url(f"{live_server.url}/policies/MOHURD-CHECKUP-2025/#a{article.number}")
    target = page.locator(f"#a{article.number}")
    box = target.bounding_box()
    assert box is not None and 0 <= box["y"] < 300  # scrolled to the article
    assert target.locator(".rules-badge").inner_text().endswith("条规则引用")

    # a deep link opened from outside lands on the article too
    page.goto(f"{live_server.url}/policies/")
    page.goto(f"{live_server.url}/policies/MOHURD-CHECKUP-2025/#a{article.number}")
    box = page.locator(f"#a{article.number}").bounding_box()
    assert box is not None and 0 <= box["y"] < 300
    # its entry in the table of contents is marked and scrolled into the sticky list
    entry = page.locator(f"[data-testid=toc-{article.number}]")
    expect(entry).to_have_class("current")
    toc = page.locator("[data-testid=toc]").bounding_box()
    mark = entry.bounding_box()
    assert toc["y"] <= mark["y"] <= toc["y"] + toc["height"] - mark["height"]
    assert page.evaluate("document.querySelector('.toc').scrollTop") > 0  # it was below the list's fold
    page.screenshot(path=str(screenshot_dir / "policies-deep-link.png"))
    # the old version says it is replaced and links the new one
    page.goto(f"{live_server.url}/policies/MOHURD-CHECKUP-2024/")
    banner = page.locator("[data-testid=replaced-banner]")
    assert "城市体检工作手册（试行）" in banner.inner_text()
    page.screenshot(path=str(screenshot_dir / "policies-replaced.png"))


def test_policy_pages_keep_the_content_security_policy(browser, live_server, viewer, manual):
    """No inline script or style: the list, the reader and the article page (with its copy button) under the CSP."""
    from test_csp_browser import RECORD_VIOLATIONS

    ctx = browser.new_context(locale="zh-CN", viewport={"width": 1400, "height": 900})  # CSP enforced
    ctx.add_init_script(RECORD_VIOLATIONS)
    ctx.grant_permissions(["clipboard-read", "clipboard-write"])
    page = ctx.new_page()
    errors: list[str] = []
    page.on("console", lambda m: m.type == "error" and "Content Security Policy" in m.text and errors.append(m.text))
    page.on("response", lambda r: r.status >= 400 and "/static/" in r.url and errors.append(f"{r.status} {r.url}"))
    try:
        login(page, live_server, "viewer1", "pass-viewer1")
        for url in ["/policies/", "/policies/MOHURD-CHECKUP-2025/", "/policies/MOHURD-CHECKUP-2025/1/"]:
            page.goto(live_server.url + url)
            assert page.evaluate("window.__csp") == [], url
        page.locator("[data-copy]").click()
        expect(page.locator("[data-copy]")).to_have_text("已复制")  # policies.js runs
        assert page.evaluate("window.__csp") == [] and errors == []
    finally:
        ctx.close()
