"""Check-up layers: units coloured by their open problems (else by kind), problems by severity, unit values
of one indicator per run; a department user reads only its own indicators' values."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from checkup.conftest import UNIT_HEADERS, UNITS, xlsx_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture
def run(regions, city_admin):
    from cityrenew.checkup import services
    from cityrenew.checkup.catalogue import load_indicator_sets
    from cityrenew.checkup.models import AssessmentUnit
    from cityrenew.checkup.services.units import import_units_excel

    sets = load_indicator_sets()
    report = import_units_excel(io.BytesIO(xlsx_bytes(UNIT_HEADERS, UNITS)), regions["郑州市"], city_admin)
    assert report.ok, report.summary_text()
    run = services.create_run(regions["郑州市"], 2025, sets["MOHURD-2025"], city_admin)
    run.units = {u.code: u for u in AssessmentUnit.objects.all()}
    return run


@pytest.fixture
def problems(run, city_admin):
    from cityrenew.checkup import services

    ind1 = run.indicator_set.indicators.get(number=1)
    u = run.units
    severe = services.record_problem(run, ind1, u["T-B01"], city_admin, severity="severe", description="外墙空鼓")
    general = services.record_problem(run, ind1, u["T-B01"], city_admin, severity="general", description="楼道照明")
    other = services.record_problem(run, ind1, u["T-B03"], city_admin, severity="general", description="管道锈蚀")
    fixed = services.record_problem(run, ind1, u["T-X02"], city_admin, severity="serious", description="已修好")
    services.set_problem_status(fixed, "fixed", city_admin)
    return {"severe": severe, "general": general, "other": other, "fixed": fixed}


def features(client, url):
    response = client.get(url)
    assert response.status_code == 200, response.content
    return {f["properties"]["code"] if "code" in f["properties"] else f["id"]: f for f in response.json()["features"]}


def test_units_coloured_by_open_problems_else_kind(signed_in, viewer, problems):
    units = features(signed_in(viewer), "/map/layers/checkup-units.geojson")
    assert units["T-B01"]["properties"]["evaluation"] == "severe"  # worst of its open problems
    assert units["T-B01"]["properties"]["open_problems"] == 2
    assert units["T-B01"]["properties"]["evaluation_label"] == "有严重问题"
    assert units["T-B03"]["properties"]["evaluation"] == "general"
    assert units["T-X02"]["properties"]["evaluation"] == "compound"  # its problem is fixed: coloured by kind
    assert units["T-X02"]["properties"]["open_problems"] == 0
    assert units["T-J01"]["properties"]["evaluation"] == "block"
    assert units["T-J01"]["properties"]["url"] == f"/checkup/units/{units['T-J01']['id']}/"
    only = features(signed_in(viewer), "/map/layers/checkup-units.geojson?category=building")
    assert set(only) == {"T-B01", "T-B02", "T-B03"}


def test_problems_by_severity_and_status(signed_in, viewer, problems, run):
    c = signed_in(viewer)
    data = c.get("/map/layers.json").json()
    layer = next(l for l in data["layers"] if l["name"] == "checkup-problems")
    assert layer["style"]["colours"] == {"general": "#f2b01e", "serious": "#e8590c", "severe": "#b3261e"}
    assert next(f for f in layer["filters"] if f["name"] == "run")["options"] == [[str(run.pk), "郑州市2025年城市体检"]]
    fc = c.get(f"/map/layers/checkup-problems.geojson?run={run.pk}").json()
    by_id = {f["id"]: f["properties"] for f in fc["features"]}
    assert len(by_id) == 4
    p = by_id[problems["severe"].pk]
    assert p["severity_label"] == "严重" and p["status_label"] == "待整治" and p["unit"] == "伏牛路小区1号楼"
    assert p["url"] == f"/checkup/problems/{problems['severe'].pk}/"
    fc = c.get(f"/map/layers/checkup-problems.geojson?run={run.pk}&status=fixed").json()
    assert [f["id"] for f in fc["features"]] == [problems["fixed"].pk]
    r = c.get("/map/layers/checkup-problems.geojson?run=999999")
    assert r.status_code == 400 and "体检 999999 不存在" in r.json()["error"]


@pytest.fixture
def coverage(run):
    """指标22 中学服务半径覆盖率 (%), as a city reports it per 小区 (the engine's unit results), with a local
    standard of at least 80 % (the national catalogue gives none for it)."""
    from cityrenew.checkup.models import IndicatorValue

    ind = run.indicator_set.indicators.get(number=22)
    ind.report_level, ind.threshold, ind.comparator = "compound", Decimal(80), ">="
    ind.save()
    for code, value in (("T-X01", "80"), ("T-X02", "79.99")):  # both sides of the standard
        IndicatorValue(run=run, indicator=ind, unit=run.units[code], value=Decimal(value), source="spatial").save()
    return ind


def test_unit_values_of_an_indicator(signed_in, city_admin, run, coverage):
    c = signed_in(city_admin)
    entry = next(l for l in c.get("/map/layers.json").json()["layers"] if l["name"] == "checkup-values")
    assert [str(coverage.pk), coverage.label] in next(f for f in entry["filters"] if f["name"] == "indicator")["options"]
    units = features(c, f"/map/layers/checkup-values.geojson?run={run.pk}&indicator={coverage.pk}")
    assert set(units) == {"T-X01", "T-X02"}
    x1, x2 = units["T-X01"]["properties"], units["T-X02"]["properties"]
    assert x1["value"] == 80.0 and x1["value_unit"] == "%" and x1["source_label"] == "空间计算"
    assert x1["verdict"] == "pass" and x2["verdict"] == "fail" and x2["verdict_label"] == "未达标"


def test_department_user_reads_only_its_indicators_values(signed_in, make_user, run, coverage):
    from cityrenew.core.models import Region, RoleAssignment

    task = run.tasks.exclude(indicators=coverage).first()
    clerk = make_user("clerk", None, None)
    RoleAssignment.objects.create(user=clerk, role="dept_editor", region=Region.objects.get(code="410100"),
                                  organisation=task.organisation)
    c = signed_in(clerk)
    entry = next(l for l in c.get("/map/layers.json").json()["layers"] if l["name"] == "checkup-values")
    assert next(f for f in entry["filters"] if f["name"] == "indicator")["options"] == []
    assert c.get(f"/map/layers/checkup-values.geojson?run={run.pk}").json()["features"] == []
    r = c.get(f"/map/layers/checkup-values.geojson?run={run.pk}&indicator={coverage.pk}")
    assert r.status_code == 400 and "无权查看" in r.json()["error"]
