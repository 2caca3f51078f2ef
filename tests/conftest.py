"""Shared test fixtures: reference data, regions, users with roles, and a real Chromium.

Tests run against a real database: SQLite by default, PostgreSQL when ``DATABASE_URL`` says so
(``.ci/run`` does both). Page tests drive Debian's chromium through Playwright.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import pytest

REPO = Path(__file__).resolve().parent.parent
# Reference data shipped with the tests (see tests/data/README.md for sources and licences).
TEST_DATA = REPO / "tests" / "data"
CITYRENEW = str(Path(sys.executable).with_name("cityrenew"))
DATABASE_URL = os.environ.get("DATABASE_URL", "")
ON_POSTGRES = DATABASE_URL.startswith(("postgres://", "postgresql://", "pgsql://"))
CHROMIUM = os.environ.get("CITYRENEW_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture(scope="session")
def reference_data() -> Path:
    """The reference data shipped in ``tests/data`` (sources and licences in its README)."""
    if not TEST_DATA.is_dir():
        pytest.fail(f"参考数据目录不存在：{TEST_DATA}（应随仓库提供）")
    return TEST_DATA


# --- scratch databases for the `cityrenew` console script --------------------------------------

class ScratchDatabase:
    """A new, empty database of the kind the suite runs on, for ``cityrenew`` subprocesses: a SQLite
    file under the test's tmp dir, or (when ``DATABASE_URL`` is PostgreSQL) a database created on
    that server and dropped after the test. ``scalar``/``rows`` read it with the plain DB-API driver."""

    def __init__(self, url: str, vendor: str):
        self.url, self.vendor = url, vendor

    def rows(self, sql: str) -> list[tuple]:
        if self.vendor == "sqlite":
            with sqlite3.connect(urlsplit(self.url).path) as con:
                return con.execute(sql).fetchall()
        import psycopg

        with psycopg.connect(self.url) as con:
            return con.execute(sql).fetchall()

    def scalar(self, sql: str):
        return self.rows(sql)[0][0]


def _pg_admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(DATABASE_URL, autocommit=True) as con:
        con.execute(sql)


class ScratchDatabases:
    """Makes scratch databases under ``directory`` (SQLite) or on the PostgreSQL server; drops them.
    ``migrated=True``: a copy of the template the console script migrated once per test process
    (``migrated_template``) instead of an empty database — for tests of commands, not of migrating."""

    def __init__(self, directory: Path, template=None):
        self.directory, self.made, self.template = directory, [], template

    def __call__(self, name: str = "cli", *, migrated: bool = False) -> ScratchDatabase:
        template = self.template() if migrated else None
        if not ON_POSTGRES:
            path = self.directory / (name + ".sqlite3")
            if template:
                shutil.copyfile(urlsplit(template).path, path)
            return ScratchDatabase(f"sqlite:///{path}", "sqlite")
        dbname = f"cityrenew_scratch_{name}_{uuid.uuid4().hex[:10]}"
        copy = f' TEMPLATE "{urlsplit(template).path.lstrip("/")}"' if template else ""
        _pg_admin(f'CREATE DATABASE "{dbname}"{copy}')
        self.made.append(dbname)
        return ScratchDatabase(urlsplit(DATABASE_URL)._replace(path="/" + dbname).geturl(), "postgresql")

    def drop_all(self) -> None:
        for dbname in self.made:
            _pg_admin(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory):
    """A database migrated by ``cityrenew migrate`` once per test process (xdist worker); scratch databases
    with ``migrated=True`` are copies of it (a file copy on SQLite, ``CREATE DATABASE … TEMPLATE`` on
    PostgreSQL), so each command test does not pay for the migrations again."""
    root = tmp_path_factory.mktemp("migrated-template")
    if ON_POSTGRES:
        dbname = f"cityrenew_template_{uuid.uuid4().hex[:10]}"
        _pg_admin(f'CREATE DATABASE "{dbname}"')
        url = urlsplit(DATABASE_URL)._replace(path="/" + dbname).geturl()
    else:
        url = f"sqlite:///{root / 'template.sqlite3'}"
    env = {**os.environ, "DATABASE_URL": url, "CITYRENEW_DATA_DIR": str(root)}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    done = subprocess.run([CITYRENEW, "migrate", "--no-input", "-v", "0"], capture_output=True, text=True, env=env,
                          cwd=root, timeout=900, check=False)
    assert done.returncode == 0, done.stderr
    yield url
    if ON_POSTGRES:
        _pg_admin(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')


@pytest.fixture
def scratch_db(tmp_path, request):
    """Factory: ``scratch_db("name")`` makes a new empty database, ``scratch_db("name", migrated=True)`` a
    migrated one (see ScratchDatabases)."""
    databases = ScratchDatabases(tmp_path, lambda: request.getfixturevalue("migrated_template"))
    yield databases
    databases.drop_all()


def cli_runner(database: ScratchDatabase, data_dir: Path):
    """Run the ``cityrenew`` console script on ``database`` and ``data_dir``, as a user would:
    ``run("projects", "summary", CITYRENEW_DATA_DIR=…)`` (keyword arguments override the environment)."""

    def run(*args: str, **env: str) -> subprocess.CompletedProcess:
        full = {**os.environ, "DATABASE_URL": database.url, "CITYRENEW_DATA_DIR": str(data_dir), **env}
        full.pop("DJANGO_SETTINGS_MODULE", None)
        return subprocess.run([CITYRENEW, *args], capture_output=True, text=True, env=full, cwd=data_dir,
                              timeout=600, check=False)

    run.database = database
    return run


@pytest.fixture
def cityrenew_cli(tmp_path, scratch_db):
    """The ``cityrenew`` console script on a scratch database (``.database``) and ``tmp_path``."""
    return cli_runner(scratch_db(), tmp_path)


@pytest.fixture
def migrated_cli(tmp_path, scratch_db):
    """The ``cityrenew`` console script on a scratch database already migrated by it (``.database``)."""
    return cli_runner(scratch_db(migrated=True), tmp_path)


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
    # bypass_csp: Playwright's wait_for_function evaluates its predicate in the page, which our CSP
    # forbids; tests/browser/test_csp_browser.py drives the pages with the CSP in force.
    ctx = browser.new_context(locale="zh-CN", viewport={"width": 1400, "height": 900}, bypass_csp=True)
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
