"""Shared test fixtures: reference data, regions, users with roles, and a real Chromium.

Tests run against a real database: SQLite by default, PostgreSQL when ``DATABASE_URL`` says so
(``.ci/run`` does both). Page tests drive Debian's chromium through Playwright.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
# Reference data shipped with the tests (see tests/data/README.md for sources and licences).
SHARED_DATA = REPO / "tests" / "data"
CHROMIUM = os.environ.get("CITYRENEW_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.fail(f"参考数据目录不存在：{SHARED_DATA}（应随仓库提供）")
    return SHARED_DATA


@pytest.fixture
def regions(db):
    """The Zhengzhou region tree (province → city → districts/zones → streets → communities)."""
    from cityrenew.core.regions import load_regions
    from cityrenew.core.models import Region

    load_regions()
    return {r.display_name: r for r in Region.objects.all()}


def _make_user(username: str, role: str | None, region_code: str | None, **extra):
    from django.contrib.auth import get_user_model

    from cityrenew.core.models import Region, RoleAssignment

    user = get_user_model().objects.create_user(username=username, password="pass-" + username, **extra)
    if role:
        RoleAssignment.objects.create(user=user, role=role, region=Region.objects.get(code=region_code))
    return user


@pytest.fixture
def make_user(regions):
    return _make_user


@pytest.fixture
def city_admin(regions):
    return _make_user("cityadmin", "city_admin", "410100", first_name="市管理员")


@pytest.fixture
def zhongyuan_editor(regions):
    return _make_user("zyeditor", "district_editor", "410102", first_name="中原区编辑")


@pytest.fixture
def erqi_editor(regions):
    return _make_user("eqeditor", "district_editor", "410103", first_name="二七区编辑")


@pytest.fixture
def viewer(regions):
    return _make_user("viewer1", "viewer", "410100", first_name="只读")


# --- a real browser ---------------------------------------------------------------------------

CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


@pytest.fixture(scope="session")
def browser():
    """Debian's chromium driven by Playwright (never a downloaded browser)."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"找不到 Chromium：{CHROMIUM}（make test 会用 apt 安装 Debian 的 chromium）")
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    ctx = browser.new_context(locale="zh-CN", viewport={"width": 1400, "height": 900})
    pg = ctx.new_page()
    pg.set_default_timeout(15000)
    yield pg
    ctx.close()


@pytest.fixture
def screenshot_dir() -> Path:
    d = Path(os.environ.get("CITYRENEW_SCREENSHOTS", REPO / "test-results" / "screenshots"))
    d.mkdir(parents=True, exist_ok=True)
    return d


def login(page, live_server, username: str, password: str) -> None:
    page.goto(live_server.url + "/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(live_server.url + "/")
