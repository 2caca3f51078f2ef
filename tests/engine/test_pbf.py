"""The pyosmium PBF reader (engine/pbf.py) against pyrosm, the reader it replaced: same walking filter,
same nodes and edges, same residential areas and POIs — on tricky tags and on the Chengdu extract."""

from __future__ import annotations

import json
import subprocess
import sys
import warnings

import numpy as np
import osmium
import pandas as pd
import pytest
import shapely

from cityrenew.engine.io import InputError, osm_poi_filter, read_osm
from cityrenew.engine.pbf import (
    ACCESS_CLOSED,
    DRIVING_ACCESS_KEYS,
    DRIVING_EXCLUDE,
    WALKING_ACCESS_KEYS,
    WALKING_EXCLUDE,
    is_driving_way,
    is_walking_way,
)


def _pyrosm(path):
    import pyrosm

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        osm = pyrosm.OSM(str(path))
        nodes, edges = osm.get_network(network_type="walking", nodes=True)
        custom = {k: (True if v is None else sorted(v)) for k, v in osm_poi_filter().items()}
        pois = osm.get_pois(custom_filter=custom)
        res = osm.get_data_by_custom_criteria(
            custom_filter={"landuse": ["residential"]}, filter_type="keep", keep_nodes=False, keep_ways=True, keep_relations=True
        )
    return nodes, edges, pois, res


def test_walking_filter_is_pyrosms_walking_filter():
    from pyrosm.config.osm_filters import AccessRule, walking_filter

    f = walking_filter()
    access = f.pop("access")
    assert isinstance(access, AccessRule)
    assert access.keys == WALKING_ACCESS_KEYS
    assert {k: frozenset(v) for k, v in f.items()} == WALKING_EXCLUDE
    assert not access.closes({"access": "no", "foot": "yes"})
    assert all(access.closes({"access": v}) for v in ACCESS_CLOSED)


def test_driving_filter_is_pyrosms_driving_filter():
    from pyrosm.config.osm_filters import AccessRule, driving_filter

    f = driving_filter()
    access = f.pop("access")
    assert isinstance(access, AccessRule)
    assert access.keys == DRIVING_ACCESS_KEYS
    assert {k: frozenset(v) for k, v in f.items()} == DRIVING_EXCLUDE
    assert is_driving_way({"highway": "primary", "access": "no", "motorcar": "yes"})
    assert not is_driving_way({"highway": "primary", "access": "yes", "motor_vehicle": "no"})
    assert not is_driving_way({"highway": "footway"}) and not is_driving_way({"highway": "service"})
    assert is_driving_way({"highway": "motorway"}) and not is_walking_way({"highway": "motorway"})


# (tags, walkable) — each case is one way of the test file
CASES = [
    ({"highway": "footway"}, True),
    ({"highway": "residential"}, True),
    ({"highway": "service", "service": "private"}, False),
    ({"highway": "service", "service": "driveway"}, True),
    ({"highway": "cycleway"}, False),
    ({"highway": "motorway_link"}, False),
    ({"highway": "construction;footway"}, False),  # one of several values
    ({"highway": "footway", "area": "yes"}, False),
    ({"highway": "primary", "sidewalk": "separate"}, False),
    ({"highway": "primary", "sidewalk:left": "separate"}, False),
    ({"highway": "track", "access": "no"}, False),
    ({"highway": "track", "access": "no", "foot": "yes"}, True),  # the most specific tag decides
    ({"highway": "track", "access": "yes", "foot": "private"}, False),
    ({"highway": "path", "access": "private;delivery"}, False),
    ({"highway": "steps", "access": "destination"}, True),
    ({"building": "yes"}, False),
    # read in the highway pass: an escaped name (CJK, space, comma) and a POI tagged only by highway
    ({"highway": "footway", "name": "锦城绿道 一段,东", "access": "yes"}, True),
    ({"highway": "bus_stop"}, True),
]
GREENWAY_CASE = 100 + len(CASES) - 2
BUS_STOP_CASE = 100 + len(CASES) - 1


def _tricky_pbf(path):
    w = osmium.SimpleWriter(str(path))
    nid = 0
    try:
        # one 3-node way per case, 0.001° apart; node 9999 of the last highway way is missing from the file
        ways = []
        for i, (tags, _) in enumerate(CASES):
            refs = []
            for j in range(3):
                nid += 1
                w.add_node(osmium.osm.mutable.Node(id=nid, version=1, location=osmium.osm.Location(104.0 + 0.001 * j, 30.6 + 0.001 * i)))
                refs.append(nid)
            ways.append((100 + i, refs, tags))
        # a walking way through a node of the footway (a junction) and a missing node
        ways.append((200, [2, 5, 9999, 8], {"highway": "living_street"}))
        # a closed residential way with a name, one without, a school polygon, a school node
        ring = []
        for j, (dx, dy) in enumerate([(0, 0), (0.002, 0), (0.002, 0.002), (0, 0.002)]):
            nid += 1
            w.add_node(osmium.osm.mutable.Node(id=nid, version=1, location=osmium.osm.Location(104.01 + dx, 30.61 + dy)))
            ring.append(nid)
        ways.append((300, ring + [ring[0]], {"landuse": "residential", "name": "测试小区"}))
        # a residential multipolygon with a hole (relation 7, untagged member ways 401 and 402)
        for wid, (x0, y0, d) in ((401, (104.02, 30.61, 0.01)), (402, (104.023, 30.613, 0.002))):
            ring2 = []
            for dx, dy in [(0, 0), (d, 0), (d, d), (0, d)]:
                nid += 1
                w.add_node(osmium.osm.mutable.Node(id=nid, version=1, location=osmium.osm.Location(x0 + dx, y0 + dy)))
                ring2.append(nid)
            ways.append((wid, ring2 + [ring2[0]], {}))
        ways.append((301, ring + [ring[0]], {"amenity": "school", "name": "测试小学"}))
        nid += 1
        w.add_node(osmium.osm.mutable.Node(id=nid, version=1, location=osmium.osm.Location(104.02, 30.62), tags={"amenity": "kindergarten"}))
        for wid, refs, tags in sorted(ways):
            w.add_way(osmium.osm.mutable.Way(id=wid, version=1, nodes=refs, tags=tags))
        w.add_relation(
            osmium.osm.mutable.Relation(
                id=7, version=1, members=[("w", 401, "outer"), ("w", 402, "inner")],
                tags={"type": "multipolygon", "landuse": "residential", "name": "带内环小区"},
            )
        )
    finally:
        w.close()
    return path


def test_is_walking_way_cases():
    for tags, walkable in CASES:
        assert is_walking_way(tags) is walkable, tags


def test_tricky_tags_read_as_pyrosm_reads_them(tmp_path):
    p = _tricky_pbf(tmp_path / "tricky.osm.pbf")
    ext = read_osm(p)
    nodes, edges, pois, res = _pyrosm(p)
    assert sorted(ext.node_ids.tolist()) == sorted(nodes["id"].tolist())
    assert sorted(zip(ext.u.tolist(), ext.v.tolist())) == sorted(zip(edges["u"].tolist(), edges["v"].tolist()))
    walk_ways = {100 + i for i, (_, ok) in enumerate(CASES) if ok} | {200}
    assert set(edges["id"].tolist()) == walk_ways
    # the missing node 9999 is skipped: 5 → 8 is an edge of way 200
    assert (5, 8) in set(zip(ext.u.tolist(), ext.v.tolist()))
    assert list(zip(ext.residential["osm_type"], ext.residential["id"])) == list(zip(res["osm_type"], res["id"]))
    assert ext.residential["id"].tolist() == [300, 7]
    assert ext.residential["name"].tolist() == ["测试小区", "带内环小区"]
    assert shapely.equals(ext.residential.geometry.values, res.geometry.values).all()
    assert len(shapely.get_interior_ring(ext.residential.geometry.values[1], 0).coords) == 5  # the hole
    assert list(zip(ext.pois["osm_type"], ext.pois["id"])) == list(zip(pois["osm_type"], pois["id"]))
    assert shapely.equals(ext.pois.geometry.values, pois.geometry.values).all()
    assert ext.pois["id"].tolist()[1:] == [BUS_STOP_CASE, 301]  # after the node, ways in file order
    assert ext.poi_tags["amenity"].tolist() == ["kindergarten", pd.NA, "school"]
    assert ext.poi_tags["highway"].tolist()[1] == "bus_stop"


def test_tricky_tags_greenways_and_driving(tmp_path):
    p = _tricky_pbf(tmp_path / "tricky.osm.pbf")
    ext = read_osm(p, greenways=True, driving=True)
    assert ext.greenways["id"].tolist() == [GREENWAY_CASE]
    assert ext.greenways["name"].tolist() == ["锦城绿道 一段,东"]  # OPL escapes resolved
    assert shapely.get_num_points(ext.greenways.geometry.values).tolist() == [3]
    import pyrosm

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _, edges = pyrosm.OSM(str(p)).get_network(network_type="driving", nodes=True)
    assert set(edges["id"].tolist()) == {101, 105, 108, 109, BUS_STOP_CASE, 200}
    d = ext.drive
    assert sorted(zip(d.u.tolist(), d.v.tolist())) == sorted(zip(edges["u"].tolist(), edges["v"].tolist()))
    assert not set(zip(d.u.tolist(), d.v.tolist())) & {(1, 2), (2, 3)}  # the footway is not driven


def test_chengdu_reader_equals_pyrosm(chengdu_pbf, chengdu_osm):
    nodes, edges, pois, res = _pyrosm(chengdu_pbf)
    ext = chengdu_osm
    order = np.argsort(nodes["id"].to_numpy())
    assert np.array_equal(ext.node_ids, nodes["id"].to_numpy()[order])
    assert np.array_equal(ext.lon, nodes["lon"].to_numpy(float)[order])
    assert np.array_equal(ext.lat, nodes["lat"].to_numpy(float)[order])
    ours = sorted(zip(ext.u.tolist(), ext.v.tolist(), ext.highway.tolist()))
    theirs = sorted(zip(edges["u"].tolist(), edges["v"].tolist(), edges["highway"].tolist()))
    assert ours == theirs
    assert ext.residential["id"].tolist() == res["id"].tolist()
    assert shapely.equals_exact(ext.residential.geometry.values, res.geometry.values, 0).all()
    assert list(zip(ext.pois["osm_type"], ext.pois["id"])) == list(zip(pois["osm_type"], pois["id"]))
    assert shapely.equals(ext.pois.geometry.values, pois.geometry.values).all()
    assert ext.parse_s > 0


def test_buildings_from_the_same_pass(chengdu_pbf):
    ext = read_osm(chengdu_pbf, buildings=True)
    assert ext.buildings is not None and len(ext.buildings) > 500
    assert set(shapely.get_type_id(ext.buildings.geometry.values)) <= {3, 6}
    assert ext.buildings["building"].notna().all()
    assert read_osm(chengdu_pbf).buildings is None
    import pyrosm

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = pyrosm.OSM(str(chengdu_pbf)).get_buildings()
    theirs = theirs[np.isin(shapely.get_type_id(theirs.geometry.values), (3, 6))]
    theirs = theirs[theirs["building"] != "no"]
    # pyrosm also assembles three relations tagged type=polygon (not a multipolygon: osmium's area
    # assembler reads only type=multipolygon/boundary) and leaves out one closed way (a childcare
    # building); every other building is the same, with the same building:levels
    ours, theirs_ids = set(ext.buildings["id"].tolist()), set(theirs["id"].tolist())
    assert theirs_ids - ours == {3228809, 3228810, 3228812}
    assert ours - theirs_ids == {239428437}
    lv = {k: v for k, v in zip(theirs["id"], theirs["building:levels"]) if isinstance(v, str) and k in ours}
    got = {k: v for k, v in zip(ext.buildings["id"], ext.buildings["building:levels"]) if v is not pd.NA}
    assert got == lv and len(lv) > 0


def test_chengdu_driving_network_and_greenways_equal_pyrosm(chengdu_pbf):
    import pyrosm

    from cityrenew.engine import features
    from cityrenew.engine.io import _tags_frame

    ext = read_osm(chengdu_pbf, driving=True, greenways=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        osm = pyrosm.OSM(str(chengdu_pbf))
        nodes, edges = osm.get_network(network_type="driving", nodes=True)
        ways = osm.get_data_by_custom_criteria(
            custom_filter={"highway": True}, extra_attributes=["name:zh"], filter_type="keep",
            keep_nodes=False, keep_ways=True, keep_relations=False,
        )
    d = ext.drive
    order = np.argsort(nodes["id"].to_numpy())
    assert np.array_equal(d.node_ids, nodes["id"].to_numpy()[order])
    assert np.array_equal(d.lon, nodes["lon"].to_numpy(float)[order])

    def s(v):
        return None if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)) else str(v)

    ours = sorted(zip(d.u.tolist(), d.v.tolist(), d.highway.tolist(), map(s, d.oneway), map(s, d.junction)), key=str)
    theirs = sorted(zip(edges["u"].tolist(), edges["v"].tolist(), edges["highway"].tolist(), map(s, edges["oneway"]),
                        map(s, edges["junction"])), key=str)
    assert ours == theirs
    assert any(o == "yes" for o in d.oneway)  # Chengdu has one-way streets
    gw = ways[features.greenway_mask(_tags_frame(ways, ("highway", "name", "name:zh")))]
    gw = gw[np.isin(shapely.get_type_id(gw.geometry.values), (1, 5))]
    assert sorted(ext.greenways["id"].tolist()) == sorted(gw["id"].tolist())
    assert np.isclose(shapely.length(ext.greenways.geometry.values).sum(), shapely.length(gw.geometry.values).sum())


def test_not_a_pbf_is_a_chinese_error(tmp_path, chengdu_pbf):
    bad = tmp_path / "bad.osm.pbf"
    bad.write_bytes(b"not a pbf at all")
    with pytest.raises(InputError, match="不是有效的 .osm.pbf"):
        read_osm(bad)
    cut = tmp_path / "cut.osm.pbf"  # a download that stopped half way
    cut.write_bytes(chengdu_pbf.read_bytes()[:100_000])
    with pytest.raises(InputError, match="cut.osm.pbf：不是有效的 .osm.pbf.*unexpected EOF"):
        read_osm(cut)


def test_no_facility_keys_reads_no_pois(chengdu_pbf):
    from cityrenew.engine.pbf import read_pbf

    data = read_pbf(chengdu_pbf, {})
    assert data.pois["id"] == [] and data.walk.node_ids.size == 9552 and len(data.residential["id"]) == 186


def test_parse_time_in_summary_and_text_output(chengdu_pbf, tmp_path):
    p = subprocess.run(
        [sys.executable, "-m", "cityrenew.cli", "engine", "coverage", "--osm", str(chengdu_pbf), "--out", str(tmp_path / "o"),
         "--format", "text", "--no-progress"],
        check=False, capture_output=True, text=True, timeout=300,
    )
    assert p.returncode == 0, p.stderr
    assert "读取OSM" in p.stdout and "秒" in p.stdout
    summary = json.loads((tmp_path / "o" / "summary.json").read_text(encoding="utf-8"))
    t = summary["timings"]
    assert 0 < t["parse_s"] <= t["load_s"]
    assert t["compute_s"] > 0
