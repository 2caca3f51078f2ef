"""The spatial engine's results flow into a check-up run (issue 4 → issue 3).

A real engine run on the OpenStreetMap extract of central Chengdu (shipped in tests/data,
ODbL) gives the 中学服务半径覆盖率 and 城市道路网密度; ``attach_engine_results`` stores them as
spatial values of a 成都市 2025 run, and the evaluation judges them.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from cityrenew.checkup import services as svc
from cityrenew.checkup.services.evaluation import ENGINE_VALUE_CODES
from cityrenew.checkup.choices import ValueSource
from cityrenew.checkup.models import IndicatorValue
from cityrenew.core.models import Region
from cityrenew.engine.coverage import coverage_files

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def chengdu_summary(reference_data):
    pbf = reference_data / "osm-chengdu-central" / "chengdu_central.osm.pbf"
    return coverage_files(osm=pbf).summary()


@pytest.fixture
def chengdu_admin(regions, make_user):
    Region.objects.create(code="510100", name="成都市", level="city", kind="prefecture_city")
    return make_user("cdadmin", "city_admin", "510100")


@pytest.fixture
def chengdu_run(sets, chengdu_admin):
    return svc.create_run(Region.objects.get(code="510100"), 2025, sets["MOHURD-2025"], chengdu_admin)


def test_engine_summary_becomes_spatial_values(chengdu_summary, chengdu_run, chengdu_admin):
    run, city_admin = chengdu_run, chengdu_admin

    result = svc.attach_engine_results(run, chengdu_summary, city_admin)

    engine_values = {v["code"]: v for v in chengdu_summary["checkup_values"]}
    attached = {a["code"]: a for a in result["attached"]}
    valued = {c for c, v in engine_values.items() if v.get("value") is not None}
    assert set(attached) == set(ENGINE_VALUE_CODES) & valued
    assert {"I22_MIDDLE_1000", "I35_ROAD_DENSITY", "I33_FOOTBALL", "I53_FIRE_5MIN"} <= set(attached)
    # the Chengdu extract maps no greenway: no value, listed with its reason
    assert any(s["code"] == "I32_GREENWAY_1000" and s["reason"] == "空间计算未得出数值" for s in result["skipped"])
    # supporting checks are listed with a reason, never silently dropped
    assert all(s["reason"] for s in result["skipped"])

    middle = IndicatorValue.objects.get(run=run, indicator__number=22, unit__isnull=True)
    assert middle.source == ValueSource.SPATIAL
    assert middle.value == Decimal(str(engine_values["I22_MIDDLE_1000"]["value"]))
    assert 0 < middle.value <= 100
    density = IndicatorValue.objects.get(run=run, indicator__number=35, unit__isnull=True)
    assert density.value == Decimal(str(engine_values["I35_ROAD_DENSITY"]["value"])).quantize(density.value)

    evaluations = {e.indicator.number: e for e in svc.evaluate_run(run, city_admin)}
    # 城市道路网密度 has a numeric standard (>= 8 km/km²), so the verdict follows the engine's value
    expected = "pass" if density.value >= 8 else "fail"
    assert evaluations[35].verdict == expected
    # the attachment is audited with the user
    assert middle.get_history().filter(user=city_admin, action="create").exists()


def test_reported_value_is_not_overwritten(chengdu_summary, chengdu_run, chengdu_admin):
    run, city_admin = chengdu_run, chengdu_admin
    ind = run.indicator_set.indicators.get(number=22)
    IndicatorValue(run=run, indicator=ind, unit=None, value=Decimal("91.5"), source=ValueSource.REPORTED).save()

    result = svc.attach_engine_results(run, chengdu_summary, city_admin)

    assert "I22_MIDDLE_1000" not in {a["code"] for a in result["attached"]}
    assert any(s["code"] == "I22_MIDDLE_1000" and "91.5" in s["reason"] for s in result["skipped"])
    assert IndicatorValue.objects.get(run=run, indicator=ind, unit__isnull=True).value == Decimal("91.5")
