"""/api/docs/ in a real browser with every non-loopback request refused: Swagger UI comes from npm.

Before, drf-spectacular loaded Swagger UI from a CDN, so the page stayed blank offline or on an
intranet. The page must render the API's operations with nothing but the local server reachable.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from conftest import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}


def test_api_docs_render_with_the_network_blocked(page, live_server, city_admin, screenshot_dir):
    refused: list[str] = []

    def only_loopback(route):
        url = route.request.url
        if urlsplit(url).hostname in LOCAL_HOSTS or url.startswith(("data:", "blob:")):
            route.continue_()
        else:
            refused.append(url)
            route.abort()

    page.route("**/*", only_loopback)
    login(page, live_server, "cityadmin", "pass-cityadmin")
    page.goto(live_server.url + "/api/docs/")
    # the operations of the project library are listed, with their paths
    page.locator(".swagger-ui .opblock-tag").first.wait_for()
    # Swagger UI renders a long list of operations virtually (only what is on screen is in the page):
    # scroll down until the project library's operations come into view
    tag = page.locator(".swagger-ui .opblock-tag", has_text="projects").first
    for _ in range(300):
        if tag.count() and tag.is_visible():
            break
        page.mouse.wheel(0, 2000)
        page.wait_for_timeout(30)
    tag.wait_for()
    page.locator(".opblock-summary-path", has_text="/api/projects/").first.wait_for()
    assert page.locator(".opblock").count() > 10
    assert "CityRenew" in page.inner_text(".swagger-ui .info .title")
    assert refused == []  # nothing was even attempted off the machine
    sources = page.eval_on_selector_all("script[src], link[href]", "els => els.map(e => e.src || e.href)")
    assert all(urlsplit(s).hostname in LOCAL_HOSTS for s in sources), sources
    page.screenshot(path=str(screenshot_dir / "api-docs-offline.png"))
