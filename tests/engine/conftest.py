"""Fixtures for the spatial engine tests: the real Chengdu OSM extract (shipped in tests/data, ODbL; see
tests/data/README.md) and synthetic networks. No Django: the engine imports no web framework."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CHENGDU_DIR = REPO / "tests" / "data" / "osm-chengdu-central"
CHENGDU_PBF = CHENGDU_DIR / "chengdu_central.osm.pbf"
CHENGDU_DISTRICTS = CHENGDU_DIR / "chengdu_central_districts_cnmaps_wgs84.geojson"


@pytest.fixture(scope="session")
def chengdu_pbf() -> Path:
    if not CHENGDU_PBF.exists():
        pytest.fail(f"缺少成都OSM提取文件：{CHENGDU_PBF}（应随仓库提供，见 tests/data/README.md）")
    return CHENGDU_PBF


@pytest.fixture(scope="session")
def chengdu_city(chengdu_pbf):
    from cityrenew.engine.io import load_city

    return load_city(osm=chengdu_pbf)


@pytest.fixture(scope="session")
def chengdu_osm(chengdu_pbf):
    from cityrenew.engine.io import read_osm

    return read_osm(chengdu_pbf)


@pytest.fixture(scope="session")
def chengdu_result(chengdu_city):
    from cityrenew.engine.coverage import coverage

    c = chengdu_city
    return coverage(c.network, c.units, c.facilities, roads=c.roads, area=c.area, area_source=c.area_source)
