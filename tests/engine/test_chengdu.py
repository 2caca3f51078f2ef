"""Acceptance on the real Chengdu extract: counts, independent networkx distances, CLI outputs."""

from __future__ import annotations

import json
import subprocess
import sys

import networkx as nx
import numpy as np
import pyogrio
import pytest
import shapely
from pyproj import Geod

from cityrenew.catalogue.spatial import load_spatial_rules
from cityrenew.engine.coverage import search_limits


def test_extract_sizes(chengdu_city):
    c = chengdu_city
    assert c.units.n == 178  # named 小区 (landuse=residential with a name)
    assert c.network.input_nodes == 9552  # walking network (pyrosm's walking filter, read with pyosmium)
    assert c.network.n < 9552  # only the largest component is kept
    assert c.crs == "EPSG:4544"  # CGCS2000 3-degree GK, CM 105E


def _independent_graph(chengdu_osm):
    """networkx graph built from the OSM edges with ellipsoidal (geodesic) edge lengths."""
    g = Geod(ellps="WGS84")
    xy = shapely.get_coordinates(chengdu_osm.edge_geoms)
    lengths = g.inv(xy[0::2, 0], xy[0::2, 1], xy[1::2, 0], xy[1::2, 1])[2]
    G = nx.Graph()
    for a, b, w in zip(chengdu_osm.u.tolist(), chengdu_osm.v.tolist(), lengths.tolist()):
        if a == b:
            continue
        if G.has_edge(a, b):
            w = min(w, G[a][b]["w"])
        G.add_edge(a, b, w=max(w, 1e-3))
    big = max(nx.connected_components(G), key=len)
    return G.subgraph(big).copy()


def _brute_force_snap(px, py, nx_, ny_, ids):
    """Nearest node by brute force; ties at equal distance go to the smallest id."""
    out = np.empty(len(px), dtype=np.int64)
    order = np.argsort(ids)
    nx_, ny_, ids = nx_[order], ny_[order], ids[order]
    for s in range(0, len(px), 256):
        d = np.hypot(px[s : s + 256, None] - nx_[None, :], py[s : s + 256, None] - ny_[None, :])
        out[s : s + 256] = ids[np.argmin(d, axis=1)]  # argmin takes the first = smallest id
    return out


def test_distances_agree_with_networkx_within_1m(chengdu_city, chengdu_osm, chengdu_result):
    c, res = chengdu_city, chengdu_result
    G = _independent_graph(chengdu_osm)
    lcc_ids = np.array(sorted(G.nodes), dtype=np.int64)
    assert set(lcc_ids.tolist()) == set(c.network.node_ids.tolist())
    pos = np.searchsorted(c.network.node_ids, lcc_ids)
    nx_, ny_ = c.network.x[pos], c.network.y[pos]
    unit_ids = _brute_force_snap(c.units.x, c.units.y, nx_, ny_, lcc_ids)
    assert (c.network.node_ids[res.unit_node] == unit_ids).all()
    f = c.facilities
    ap_ids = _brute_force_snap(f.ax, f.ay, nx_, ny_, lcc_ids)
    ap_snap = np.hypot(f.ax - c.network.x[np.searchsorted(c.network.node_ids, ap_ids)], f.ay - c.network.y[np.searchsorted(c.network.node_ids, ap_ids)])
    limits = search_limits(load_spatial_rules())
    checked = 0
    for cat, limit in limits.items():
        mask = f.access_mask(cat) & (ap_snap <= 300.0)
        sources = set(ap_ids[mask].tolist())
        eng = res.distance_m[cat]
        if not sources:
            assert np.isinf(eng).all()
            continue
        ref = nx.multi_source_dijkstra_path_length(G, sources, cutoff=limit, weight="w")
        expect = np.array([ref.get(int(u), np.inf) for u in unit_ids])
        both = np.isfinite(eng) & np.isfinite(expect)
        assert np.abs(eng[both] - expect[both]).max(initial=0.0) < 1.0, cat
        # beyond the search limit in one and not the other only at the limit itself
        only = np.isfinite(eng) ^ np.isfinite(expect)
        assert np.all(np.abs(np.where(np.isfinite(eng), eng, expect)[only] - limit) < 1.0), cat
        checked += int(both.sum())
    assert checked > 500  # many unit/category pairs actually compared


def test_full_distances_agree_with_networkx(chengdu_city, chengdu_osm):
    """Without a search limit (whole city, up to tens of km): within 1 m + 0.02 % (GK scale)."""
    from cityrenew.engine.coverage import coverage

    c = chengdu_city
    res = coverage(c.network, c.units, c.facilities, search_limit_m=np.inf)
    G = _independent_graph(chengdu_osm)
    f = c.facilities
    fac_ok = res.facility_snap_m <= 300.0
    for cat in ("primary_school", "park", "culture"):
        src = set(c.network.node_ids[res.facility_node[f.access_mask(cat) & fac_ok]].tolist())
        ref = nx.multi_source_dijkstra_path_length(G, src, weight="w")
        expect = np.array([ref[int(u)] for u in c.network.node_ids[res.unit_node]])
        eng = res.distance_m[cat]
        assert np.isfinite(eng).all()
        assert np.all(np.abs(eng - expect) < 1.0 + 2e-4 * expect), cat


def test_shares_follow_flags_and_network_never_beats_straight_line(chengdu_result):
    res = chengdu_result
    for ind in res.indicators:
        if ind.rule.kind == "radius_jobs":  # evaluated on the jobs layer (none here)
            assert ind.status == "no_jobs" and ind.total == 0
            continue
        flag = res.covered[ind.rule.code]
        assert ind.covered == int(flag.sum())
        assert ind.total == 178
        if ind.status == "ok":
            assert ind.share == pytest.approx(ind.covered / ind.total)
    # a walk is never shorter than the straight line between the snapped nodes
    for cat, d in res.distance_m.items():
        s = res.straight_m[cat]
        ok = np.isfinite(d) & np.isfinite(s)
        snap_u = res.unit_snap_m
        # straight line runs between centroid and facility; network between their nodes
        assert np.all(d[ok] + snap_u[ok] + 300.0 >= s[ok])


def test_missing_category_is_reported_not_zero(chengdu_result):
    elderly = next(i for i in chengdu_result.indicators if i.rule.code == "I10_ELDERLY_300")
    assert elderly.facilities == 0
    assert elderly.status == "no_facilities"
    assert elderly.share is None
    d = elderly.as_dict()
    assert d["share"] is None and "没有" in d["message"]


def test_road_density_uses_catalogue_threshold(chengdu_result):
    d = chengdu_result.road_density
    assert d["threshold"] == 8.0
    assert 3.0 < d["value"] < 20.0
    assert d["meets_threshold"] == (d["value"] >= 8.0)


def test_cli_summary_and_geopackage(chengdu_pbf, tmp_path):
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "cityrenew.cli", "engine", "coverage", "--osm", str(chengdu_pbf),
           "--districts", str(chengdu_pbf.parent / "chengdu_central_districts_cnmaps_wgs84.geojson"),
           "--out", str(out), "--format", "json"]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    s = json.loads(p.stdout)
    assert s["crs"] == "EPSG:4544" and s["units"] == 178
    codes = {i["code"] for i in s["indicators"]}
    assert {"I13_PRIMARY_500", "I22_MIDDLE_1000", "I25_PARK_500", "LC15"} <= codes
    for i in s["indicators"]:
        assert {"code", "name", "radius_m", "covered", "total", "share"} <= set(i)
    middle = next(i for i in s["indicators"] if i["code"] == "I22_MIDDLE_1000")
    assert middle["radius_m"] == 1000.0 and 0 < middle["covered"] < 178
    assert sum(d["total"] for d in middle["by_district"]) == 178
    assert "覆盖率计算" in p.stderr  # the progress bar went to stderr
    layers = dict(pyogrio.list_layers(out / "coverage.gpkg"))
    assert "units" in layers and "facilities" in layers
    units = pyogrio.read_dataframe(out / "coverage.gpkg", layer="units")
    assert len(units) == 178
    assert int(units["cov_I22_MIDDLE_1000"].sum()) == middle["covered"]
    assert units.crs.to_epsg() == 4544
    assert json.loads((out / "summary.json").read_text(encoding="utf-8"))["units"] == 178
