"""The city check-up in a real browser (Debian chromium through Playwright) against a live server.

Seed a 郑州市 check-up through the back end's services (2024 and 2025 runs, assessment units with
geometry, department values, field problems, evaluation), log in, open the dashboard (wait for the
ECharts canvases and the MapLibre map), open the problem list, take screenshots of both, and
download the Word report and read it with python-docx: the 60 indicator rows of the 2025 set.
"""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from conftest import login
from django.contrib.gis.geos import GEOSGeometry

from cityrenew.core import geo

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _square(lon: float, lat: float, d: float) -> GEOSGeometry:
    ring = [[lon - d, lat - d], [lon + d, lat - d], [lon + d, lat + d], [lon - d, lat + d], [lon - d, lat - d]]
    return geo.parse({"type": "Polygon", "coordinates": [ring]})


# (code, name, street code, lon, lat) of 街区; each gets two 小区 with three buildings each.
BLOCKS = [
    ("B-ZY1", "绿东村街区", "410102-S01", 113.6236, 34.7541),
    ("B-ZY2", "桐柏路街区", "410102-S02", 113.6052, 34.7530),
    ("B-EQ1", "建中街街区", "410103-S01", 113.6478, 34.7362),
]
# (indicator number, sub-problem code or "", severity or None, description)
PROBLEMS = [
    (1, "2.1.1", None, "二层楼板裂缝，宽约2毫米"),
    (1, "2.1.3", "serious", "砖混外墙缺棱掉角"),
    (2, "2.2.1", "severe", "燃气立管锈蚀严重"),
    (2, "2.2.2", "serious", "户内橡胶软管老化"),
    (3, "2.3.7", "general", "楼道堆放杂物"),
    (3, "2.3.8", "serious", "楼道停放电动自行车充电"),
    (4, "2.4.1", "serious", "外墙保温层空鼓脱落"),
    (7, "2.7.1", "general", "六层住宅未加装电梯"),
    (14, "", "general", "停车泊位缺口约60个"),
    (16, "", "serious", "飞线充电"),
    (17, "", "general", "健身器材破损"),
    (18, "", "general", "步行道路面破损、雨后积水"),
]


def plausible(indicator, k: int = 0) -> Decimal:
    """A deterministic, plausible value for a reported indicator."""
    if indicator.is_percentage:
        return Decimal(55 + (indicator.number * 7 + k * 3) % 44) + Decimal("0.5")
    return Decimal((indicator.number * 3 + k) % 9)


def seed_checkup(admin):
    """郑州市 2024 and 2025 check-ups with units, values, problems and evaluation (through services)."""
    from cityrenew.checkup import services
    from cityrenew.checkup.catalogue import SET_2024, SET_2025, load_indicator_sets
    from cityrenew.checkup.choices import UnitKind
    from cityrenew.checkup.models import AssessmentUnit
    from cityrenew.core.audit import actor
    from cityrenew.core.models import Region
    from cityrenew.core.regions import load_regions

    load_regions()
    sets = load_indicator_sets()
    city = Region.objects.get(code="410100")
    buildings = []
    with actor(admin, "system"):
        for code, name, street, lon, lat in BLOCKS:
            region = Region.objects.get(code=street)
            block = AssessmentUnit.objects.create(kind=UnitKind.BLOCK, name=name, code=code, city=city, region=region,
                                                  geometry=_square(lon, lat, 0.006), centroid_lon=lon, centroid_lat=lat)
            for j, dx in enumerate((-0.003, 0.003), start=1):
                clon, clat = lon + dx, lat + (0.002 if j == 1 else -0.002)
                compound = AssessmentUnit.objects.create(
                    kind=UnitKind.COMPOUND, name=f"{name[:-2]}{j}号小区", code=f"{code}-{j}", city=city, region=region,
                    parent=block, geometry=_square(clon, clat, 0.0018), centroid_lon=clon, centroid_lat=clat,
                    attributes={"建成年代": 1990 + j * 3},
                )
                for b in range(1, 4):
                    buildings.append(AssessmentUnit.objects.create(
                        kind=UnitKind.BUILDING, name=f"{compound.name}{b}号楼", code=f"{compound.code}-{b}", city=city,
                        region=region, parent=compound, centroid_lon=clon - 0.001 + b * 0.0005, centroid_lat=clat,
                    ))
    runs = {}
    for year, set_code in ((2024, SET_2024), (2025, SET_2025)):
        run = services.create_run(city, year, sets[set_code], admin)
        runs[year] = run
        for task in run.tasks.all():
            for k, (ind, unit) in enumerate(services.expected_rows(task)):
                services.set_value(task, ind, unit, plausible(ind, k + year - 2024), admin)
    # 2024: three problems; one becomes a project that is completed (counts as fixed in 2025)
    r24 = runs[2024]
    old = [
        services.record_problem(r24, r24.indicator_set.indicators.get(name="存在燃气安全隐患的住宅数量"), buildings[0], admin,
                                severity="severe", description="2024年发现：燃气引入管锈蚀"),
        services.record_problem(r24, r24.indicator_set.indicators.get(name="存在结构安全隐患的住宅数量"), buildings[4], admin,
                                severity="serious", description="2024年发现：墙体裂缝"),
        services.record_problem(r24, r24.indicator_set.indicators.get(name="存在结构安全隐患的住宅数量"), buildings[8], admin,
                                severity="general", description="2024年发现：阳台栏板松动"),
    ]
    project = services.problems_to_project(old[:1], admin)
    from cityrenew.projects.choices import ProjectStatus

    with actor(admin, "system"):
        project.status = ProjectStatus.COMPLETED
        project.save()
    services.evaluate_run(r24)
    # 2025: problems spread over the buildings and 小区
    r25 = runs[2025]
    compounds = list(AssessmentUnit.objects.filter(kind=UnitKind.COMPOUND).order_by("code"))
    for i, (number, sub, severity, text) in enumerate(PROBLEMS):
        ind = r25.indicator_set.indicators.get(number=number)
        unit = buildings[(i * 5) % len(buildings)] if number <= 9 else compounds[i % len(compounds)]
        services.record_problem(r25, ind, unit, admin, sub_problem=sub or None, severity=severity, description=text)
    services.evaluate_run(r25)
    return r25


@pytest.fixture
def checkup(regions, city_admin):
    from cityrenew.projects.boundaries import load_district_boundaries

    run = seed_checkup(city_admin)
    load_district_boundaries(run.city)  # the map draws Region.boundary where present
    return run


def test_dashboard_problem_list_and_report(page, live_server, checkup, city_admin, screenshot_dir, tmp_path):
    from docx import Document

    from cityrenew.jobs.runner import run_pending

    run = checkup
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    login(page, live_server, "cityadmin", "pass-cityadmin")

    # home card
    assert "2025 年度 · 60 项指标" in page.inner_text(".cards")

    page.goto(f"{live_server.url}/checkup/?run={run.pk}")
    assert page.inner_text('[data-testid="card-indicators"]') == "60 项"
    assert page.inner_text('[data-testid="card-problems"]').startswith(str(len(PROBLEMS)))
    # 问题整治完成率: one of the three 2024 problems has its project completed → 33.33%
    assert page.inner_text('[data-testid="card-completion"]') == "33.33%"
    for chart in ("chart-verdicts", "chart-completeness", "chart-problems"):
        page.wait_for_selector(f'[data-testid="{chart}"] canvas')
    page.wait_for_function("window.cityrenewCheckup && window.cityrenewCheckup.mapLoaded")
    state = page.evaluate("({p: window.cityrenewCheckup.problems, u: window.cityrenewCheckup.units, c: window.cityrenewCheckup.charts})")
    # 街区 and 小区 always, buildings only where a problem was recorded
    with_problems = run.problems.filter(unit__kind="building").values("unit").distinct().count()
    assert state == {"p": len(PROBLEMS), "u": 3 + 6 + with_problems, "c": 3}
    assert page.locator("#checkup-map canvas.maplibregl-canvas").count() == 1
    assert re.search(r"区县边界 (\d+) 个", page.inner_text('[data-testid="map-status"]')).group(1) != "0"
    # the problem layer really draws: the rendered features at the map canvas include problem points
    rendered = page.evaluate("window.cityrenewCheckup.map.queryRenderedFeatures({layers: ['problem']}).length")
    assert rendered >= 1
    page.screenshot(path=str(screenshot_dir / "checkup-dashboard.png"), full_page=True)

    # problem list with a filter
    page.click('[data-testid="run-nav"] a:has-text("现场问题")')
    page.wait_for_url(re.compile(rf".*/checkup/runs/{run.pk}/problems/$"))
    assert page.locator('[data-testid="problem-row"]').count() == len(PROBLEMS)
    page.select_option('[data-testid="problem-filters"] select[name=severity]', "severe")
    page.click('[data-testid="problem-filters"] button')
    page.wait_for_url(re.compile(r".*severity=severe.*"))
    severe = run.problems.filter(severity="severe").count()
    assert page.locator('[data-testid="problem-row"]').count() == severe
    assert page.inner_text('[data-testid="problem-total"]').startswith(f"共 {severe} 个问题")
    page.goto(f"{live_server.url}/checkup/runs/{run.pk}/problems/")
    page.screenshot(path=str(screenshot_dir / "checkup-problem-list.png"), full_page=True)

    # the Word report, generated by a background job: its page polls until the download appears
    page.goto(f"{live_server.url}/checkup/?run={run.pk}")
    page.click('[data-testid="report-download"]')
    page.click('[data-testid="job-launch-submit"]')
    page.wait_for_url(re.compile(r".*/jobs/\d+/$"))
    assert page.inner_text('[data-testid="job-status-label"]') == "排队中"
    assert run_pending() == 1  # django-tasks-db's worker code, in this process
    page.wait_for_selector('[data-testid="job-download"]', timeout=15000)  # HTMX polling, no reload
    assert page.inner_text('[data-testid="job-status-label"]') == "已完成"
    with page.expect_download() as dl:
        page.click('[data-testid="job-download"]')
    target = tmp_path / "report.docx"
    dl.value.save_as(target)
    assert dl.value.suggested_filename.endswith(".docx")
    doc = Document(str(target))
    names = list(run.indicator_set.indicators.order_by("number").values_list("number", "name"))
    header = ["序号", "指标名称", "单位", "数值", "标准", "评价", "趋势"]
    rows = []
    for table in doc.tables:
        if [c.text.strip() for c in table.rows[0].cells] == header:
            rows += [(int(r.cells[0].text), r.cells[1].text.strip()) for r in table.rows[1:]]
    assert len(rows) == 60
    assert rows == names
    text = "\n".join(p.text for p in doc.paragraphs)
    assert f"共记录问题{len(PROBLEMS)}个" in text
    assert not errors, errors
