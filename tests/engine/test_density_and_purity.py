"""城市道路网密度 on a figure we can check by hand, and the engine's independence from Django."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import shapely

from cityrenew.engine.coverage import road_network_density


def test_road_density_counts_only_the_length_inside_the_area():
    # 1 km × 1 km area; 11 north-south streets 100 m apart, each 2 km long and centred on it
    area = shapely.box(0, 0, 1000, 1000)
    xs = np.arange(0, 1001, 100.0)
    roads = shapely.linestrings([[(x, -500.0), (x, 1500.0)] for x in xs])
    d = road_network_density(roads, area, threshold=8.0)
    assert d["road_km"] == pytest.approx(11.0)  # only the 1 km inside counts for each street
    assert d["area_km2"] == pytest.approx(1.0)
    assert d["value"] == pytest.approx(11.0)
    assert d["meets_threshold"] is True
    sparse = road_network_density(roads[::2], area, threshold=8.0)
    assert sparse["value"] == pytest.approx(6.0) and sparse["meets_threshold"] is False


def test_road_density_from_segments_equals_from_geometries():
    # segments as coordinates (the OSM reader's form): inside a convex area they are summed without
    # geometries; crossing ones are clipped; a non-convex area (an L) and a hole take the general path
    rng = np.random.default_rng(3)
    a = rng.uniform(-200, 1200, (400, 2))
    segs = np.stack([a, a + rng.normal(0, 60, (400, 2))], axis=1)
    lines = shapely.linestrings(segs)
    square = shapely.box(0, 0, 1000, 1000)
    ell = shapely.difference(square, shapely.box(500, 500, 1000, 1000))
    holed = shapely.difference(square, shapely.box(300, 300, 700, 700))
    for area in (square, ell, holed):
        fast, slow = road_network_density(segs, area), road_network_density(lines, area)
        assert fast["road_km"] == pytest.approx(slow["road_km"], rel=1e-12)
        assert fast["value"] == slow["value"]
    assert road_network_density(segs, ell)["road_km"] < road_network_density(segs, square)["road_km"]


def test_engine_imports_no_web_framework():
    code = (
        "import sys, cityrenew.engine.cli, cityrenew.engine.coverage, cityrenew.engine.io, "
        "cityrenew.engine.output, cityrenew.engine.distributed; "
        "bad = [m for m in sys.modules if m.split('.')[0] in ('django', 'rest_framework')]; "
        "print(bad); sys.exit(1 if bad else 0)"
    )
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env={"PATH": "/usr/bin:/bin"})
    assert p.returncode == 0, p.stdout + p.stderr
