"""The pages work under the Content Security Policy, in a real Chromium that enforces it.

Every other browser test runs with ``bypass_csp`` (Playwright's ``wait_for_function`` evaluates code in
the page, which the CSP forbids); this one keeps the policy on, records every violation the browser
reports (``securitypolicyviolation`` events and console errors) and checks that the charts, the maps,
the unit map's nonce'd inline script, the language switcher and the check-all box still work.
"""

from __future__ import annotations

import re
import time

import pytest
from conftest import login
from test_checkup_browser import seed_checkup

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

RECORD_VIOLATIONS = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", e => {
  window.__csp.push(e.violatedDirective + " " + (e.blockedURI || "inline") + " @" + e.sourceFile + ":" + e.lineNumber);
});
"""


@pytest.fixture
def site(regions, city_admin):
    from cityrenew.projects import demo
    from cityrenew.projects.boundaries import load_district_boundaries

    demo.load()
    run = seed_checkup(city_admin)
    load_district_boundaries(run.city)
    return run


@pytest.fixture
def strict_page(browser):
    ctx = browser.new_context(locale="zh-CN", viewport={"width": 1400, "height": 900})  # CSP enforced
    ctx.add_init_script(RECORD_VIOLATIONS)
    pg = ctx.new_page()
    pg.set_default_timeout(20000)
    pg.console_errors = []
    pg.on("console", lambda m: m.type == "error" and pg.console_errors.append(m.text))
    yield pg
    ctx.close()


def wait_until(page, expression: str, seconds: float = 30) -> None:
    """Poll a page expression from outside the page (page.evaluate is not subject to the CSP)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if page.evaluate(expression):
            return
        page.wait_for_timeout(200)
    raise AssertionError(f"never true: {expression}")


def assert_no_violations(page) -> None:
    violations = page.evaluate("window.__csp")
    console = [m for m in page.console_errors if "Content Security Policy" in m]
    assert violations == [] and console == [], (page.url, violations, console)


def test_pages_run_under_the_csp(strict_page, live_server, site):
    page, run = strict_page, site
    login(page, live_server, "cityadmin", "pass-cityadmin")
    assert "script-src 'self'" in page.evaluate("fetch('/').then(r => r.headers.get('content-security-policy'))")
    assert_no_violations(page)

    page.goto(live_server.url + "/projects/")
    page.wait_for_selector("#project-table tbody tr")
    assert_no_violations(page)

    page.goto(live_server.url + "/projects/summary/")
    page.wait_for_selector('#district-chart[data-rendered="1"] canvas')
    assert page.evaluate("window.cityrenewSummaryChart.bars") == 15
    assert_no_violations(page)

    page.goto(live_server.url + "/projects/map/")
    wait_until(page, "window.cityrenewMap && window.cityrenewMap.loaded")
    assert page.evaluate("window.cityrenewMap.features") == 12
    assert_no_violations(page)

    page.goto(f"{live_server.url}/checkup/?run={run.pk}")
    for chart in ("chart-verdicts", "chart-completeness", "chart-problems"):
        page.wait_for_selector(f'[data-testid="{chart}"] canvas')
    wait_until(page, "window.cityrenewCheckup && window.cityrenewCheckup.mapLoaded")
    assert page.evaluate("window.cityrenewCheckup.map.queryRenderedFeatures({layers: ['problem']}).length") >= 1
    assert_no_violations(page)

    # the unit page's inline script carries the request's nonce
    from cityrenew.checkup.models import AssessmentUnit

    unit = AssessmentUnit.objects.filter(kind="block").order_by("code").first()
    page.goto(f"{live_server.url}/checkup/units/{unit.pk}/")
    page.wait_for_selector('#unit-map[data-ready="1"]')
    assert_no_violations(page)

    # data-check-all (was an inline onclick)
    page.goto(f"{live_server.url}/checkup/runs/{run.pk}/problems/")
    boxes = page.locator("input[name=problem]")
    assert boxes.count() > 1
    page.locator("input[data-check-all]").check()
    assert all(boxes.nth(i).is_checked() for i in range(boxes.count()))
    assert_no_violations(page)

    # data-autosubmit (was an inline onchange): the language switcher reloads the page in English
    page.select_option('select[name="language"]', "en")
    page.wait_for_selector('html[lang="en"]')
    assert re.search(r"/checkup/runs/\d+/problems/$", page.url)
    assert_no_violations(page)
