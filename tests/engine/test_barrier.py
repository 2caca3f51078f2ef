"""Straight line vs network: a river-like barrier makes walking coverage lower than buffers say."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from cityrenew.catalogue.spatial import load_spatial_rules
from cityrenew.engine import crs
from cityrenew.engine.cli import main
from cityrenew.engine.coverage import coverage
from cityrenew.engine.facilities import Facilities
from cityrenew.engine.network import build_network
from cityrenew.engine.units import units_from_geometries

X0, Y0 = 400_000.0, 3_395_000.0  # near Chengdu in EPSG:4544 (CGCS2000 GK CM 105E), metres
STEP = 50.0


def river_grid(n: int = 41, bridge_rows: tuple[int, ...] = (0,)):
    """n×n street grid, 50 m blocks; a river between columns 20 and 21 crossed only at bridge_rows."""
    ii, jj = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")  # i = column (x), j = row (y)
    ids = (ii * n + jj).ravel()
    x = X0 + ii.ravel() * STEP
    y = Y0 + jj.ravel() * STEP
    h_u = (ii[:-1, :] * n + jj[:-1, :]).ravel()
    h_v = (ii[1:, :] * n + jj[1:, :]).ravel()
    crossing = (ii[:-1, :].ravel() == 20) & ~np.isin(jj[:-1, :].ravel(), bridge_rows)
    h_u, h_v = h_u[~crossing], h_v[~crossing]
    v_u = (ii[:, :-1] * n + jj[:, :-1]).ravel()
    v_v = (ii[:, 1:] * n + jj[:, 1:]).ravel()
    return ids, x, y, np.concatenate([h_u, v_u]), np.concatenate([h_v, v_v])


def _school(xf: float, yf: float) -> Facilities:
    return Facilities(
        ax=np.array([xf]), ay=np.array([yf]), owner=np.array([0]), members={"primary_school": np.array([0])},
        names=np.array(["河东小学"], dtype=object), px=np.array([xf]), py=np.array([yf]),
    )


def test_river_barrier_lowers_network_coverage():
    ids, x, y, u, v = river_grid()
    net = build_network(ids, x, y, u, v, crs="EPSG:4544")
    # school on the east bank near the middle; homes on the west bank within 500 m straight line
    fac = _school(X0 + 22 * STEP, Y0 + 20 * STEP)
    hx, hy = np.meshgrid(X0 + np.arange(14, 21) * STEP + 10, Y0 + np.arange(15, 26) * STEP + 10)
    units = units_from_geometries(shapely.points(hx.ravel(), hy.ravel()))
    rules = [r for r in load_spatial_rules() if r.code == "I13_PRIMARY_500"]
    res = coverage(net, units, fac, rules=rules)
    ind = res.indicators[0]
    assert ind.covered_line > 0.5 * ind.total  # buffers say most homes are covered
    assert ind.covered == 0  # but the only bridge is 1 km south: nobody walks there in 500 m
    assert ind.share < ind.share_line
    # with a bridge next to the school the network agrees much better
    ids, x, y, u, v = river_grid(bridge_rows=(0, 20))
    res2 = coverage(build_network(ids, x, y, u, v, crs="EPSG:4544"), units, fac, rules=rules)
    assert res2.indicators[0].covered > 0.5 * res2.indicators[0].covered_line


@settings(max_examples=40, deadline=None)
@given(
    st.integers(0, 2**32 - 1),
    st.floats(0.0, 0.35),
)
def test_walk_is_never_shorter_than_the_crow_flies(seed, drop):
    """Units and facilities exactly on nodes (snap 0): network distance >= straight distance."""
    rng = np.random.default_rng(seed)
    ids, x, y, u, v = river_grid(n=12, bridge_rows=tuple(rng.choice(12, 2, replace=False).tolist()))
    keep = rng.random(u.size) >= drop
    net = build_network(ids, x + rng.normal(0, 5, x.size), y + rng.normal(0, 5, y.size), u[keep], v[keep], crs="EPSG:4544")
    pick = rng.choice(net.n, size=min(20, net.n), replace=False)
    fpick = rng.choice(net.n, size=3, replace=False)
    units = units_from_geometries(shapely.points(net.x[pick], net.y[pick]))
    fac = Facilities(
        ax=net.x[fpick], ay=net.y[fpick], owner=np.arange(3), members={"primary_school": np.arange(3)},
        names=np.array(["a", "b", "c"], dtype=object), px=net.x[fpick], py=net.y[fpick],
    )
    rules = [r for r in load_spatial_rules() if r.code == "I13_PRIMARY_500"]
    res = coverage(net, units, fac, rules=rules, search_limit_m=np.inf)
    d, s = res.distance_m["primary_school"], res.straight_m["primary_school"]
    assert np.all(d >= s - 1e-6)
    assert np.all(res.covered["I13_PRIMARY_500"] <= res.covered_line["I13_PRIMARY_500"])


def test_barrier_through_files_and_cli(tmp_path, capsys):
    """Same barrier, from a roads GeoPackage (EPSG:4544), units CSV (WGS84) and facilities GeoJSON."""
    ids, x, y, u, v = river_grid()
    pos = {int(i): k for k, i in enumerate(ids)}
    a = np.array([pos[i] for i in u])
    b = np.array([pos[i] for i in v])
    lines = shapely.linestrings(np.stack([np.column_stack([x[a], y[a]]), np.column_stack([x[b], y[b]])], axis=1))
    gpd.GeoDataFrame({"highway": ["residential"] * len(lines)}, geometry=lines, crs="EPSG:4544").to_file(tmp_path / "roads.gpkg")
    hx, hy = np.meshgrid(X0 + np.arange(14, 21) * STEP + 10, Y0 + np.arange(15, 26) * STEP + 10)
    lon, lat = crs.to_lonlat(hx.ravel(), hy.ravel(), "EPSG:4544")
    pd.DataFrame({"名称": [f"小区{i}" for i in range(lon.size)], "经度": lon, "纬度": lat}).to_csv(tmp_path / "units.csv", index=False, encoding="gbk")
    gpd.GeoDataFrame({"name": ["河东小学"], "category": ["primary_school"]}, geometry=[shapely.Point(X0 + 22 * STEP, Y0 + 20 * STEP)], crs="EPSG:4544").to_crs("EPSG:4490").to_file(tmp_path / "fac.geojson")
    code = main([
        "coverage", "--roads", str(tmp_path / "roads.gpkg"), "--units", str(tmp_path / "units.csv"), "--units-crs", "wgs84",
        "--facilities", str(tmp_path / "fac.geojson"), "--out", str(tmp_path / "o"), "--no-progress",
    ])
    out, err = capsys.readouterr()
    assert code == 0, err
    s = json.loads(out)
    assert s["crs"] == "EPSG:4544"
    p = next(i for i in s["indicators"] if i["code"] == "I13_PRIMARY_500")
    assert p["total"] == 77 and p["covered"] == 0 and p["straight_line_covered"] > 38
    assert s["road_network_density"]["value"] > 0
