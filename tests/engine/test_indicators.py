"""Indicators 32 (绿道), 33 (足球场地), 53 (消防站, driving time), both ends of 43, building units.

Every case runs on a small .osm.pbf the test writes with osmium (tests/engine/osm_synth.py), laid out
in metres, with each threshold tested on both sides of its boundary.
"""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from cityrenew.catalogue.spatial import load_drive_speeds
from cityrenew.engine.cli import main
from cityrenew.engine.driving import build_drive_network
from cityrenew.engine.features import football_sizes, residential_building_mask

from .osm_synth import METRIC, X0, Y0, OsmFile, units_csv


def run(argv, capsys):
    code = main(argv + ["--no-progress"])
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    assert code == 0, err
    return json.loads(out)


def indicator(summary, code):
    return next(i for i in summary["indicators"] if i["code"] == code)


def units_layer(out_dir):
    return gpd.read_file(out_dir / "coverage.gpkg", layer="units")


# ------------------------------------------------------------------ 指标33 足球场地


def test_football_pitch_radius_depends_on_size_both_sides(tmp_path, capsys):
    """3人制 300 m, 5人制 500 m, 7/11人制 1000 m: a home 1 m inside and 1 m outside each radius."""
    osm = OsmFile()
    osm.line([0, 701, 1000, 1015, 1316, 3501, 4000, 4030, 4531, 6001, 7000, 7060, 8061, 9000], highway="residential")
    osm.polygon(1000, 5, 15, 20, leisure="pitch", sport="soccer")  # 300 m² → 3人制
    osm.polygon(4000, 5, 30, 20, leisure="pitch", sport="soccer")  # 600 m² → 5人制
    osm.polygon(7000, 5, 60, 40, leisure="pitch", sport="soccer")  # 2400 m² → 7/11人制
    osm.polygon(2000, 5, 60, 40, leisure="pitch", sport="basketball")  # not football
    pbf = osm.write(tmp_path / "football.osm.pbf")
    homes = units_csv(tmp_path / "homes.csv", [(701, 0), (1316, 0), (3501, 0), (4531, 0), (6001, 0), (8061, 0)])
    # a search limit past every radius, so the GeoPackage shows the distances beyond them too
    s = run(["coverage", "--osm", str(pbf), "--units", str(homes), "--units-crs", "wgs84", "--out", str(tmp_path / "o"), "--search-limit-m", "2000"], capsys)
    assert s["crs"] == METRIC
    fb = indicator(s, "I33_FOOTBALL")
    assert fb["indicator_number"] == 33 and fb["status"] == "ok"
    assert fb["category_radii_m"] == {"football_3": 300, "football_5": 500, "football_11": 1000}
    assert fb["facilities"] == 3 and fb["covered"] == 3 and fb["total"] == 6
    u = units_layer(tmp_path / "o")
    assert u["cov_I33_FOOTBALL"].tolist() == [1, 0, 1, 0, 1, 0]
    np.testing.assert_allclose(u["dist_football_3_m"][:2], [299, 301], atol=0.05)
    np.testing.assert_allclose(u["dist_football_5_m"][2:4], [499, 501], atol=0.05)
    np.testing.assert_allclose(u["dist_football_11_m"][4:6], [999, 1001], atol=0.05)
    assert any(v["indicator_number"] == 33 for v in s["checkup_values"])


def _pitches(areas, **cols):
    geoms = [shapely.box(0, 0, a / 10.0, 10.0) for a in areas]
    n = len(areas)
    tags = pd.DataFrame({"leisure": cols.get("leisure", ["pitch"] * n), "sport": cols.get("sport", ["soccer"] * n), "name": cols.get("name", [""] * n)})
    return football_sizes(tags, np.array(geoms, dtype=object))


def test_football_size_reading_on_both_sides_of_the_area_limits():
    m = _pitches([399, 401, 1499, 1501])
    assert m["football_3"].tolist() == [True, False, False, False]
    assert m["football_5"].tolist() == [False, True, True, False]
    assert m["football_11"].tolist() == [False, False, False, True]


def test_football_size_from_tags_and_names_first():
    m = _pitches(
        [5000, 300, 5000, 300, 2000, 2000],
        sport=["futsal", "soccer", "soccer", "soccer;basketball", "basketball", "soccer"],
        name=["", "十一人制足球场", "三人制笼式足球场", "", "", ""],
        leisure=["pitch", "pitch", "pitch", "pitch", "pitch", "park"],
    )
    assert m["football_5"][0] and not m["football_11"][0]  # sport=futsal: 5人制 even if large
    assert m["football_11"][1] and not m["football_3"][1]  # a 11人制 name beats a small outline
    assert m["football_3"][2] and not m["football_5"][2]
    assert m["football_3"][3]  # soccer in a ;-list
    assert not any(m[k][4] or m[k][5] for k in m)  # basketball; soccer on a park is not a pitch


# ------------------------------------------------------------------ 指标53 消防站


def test_fire_station_four_minutes_of_driving_both_sides(tmp_path, capsys):
    """5 min = 1 min turnout + 4 min driving; on a 主干路 (40 km/h) 4 min is 2666.7 m."""
    osm = OsmFile()
    osm.line([-3000, -2673, -1000, 0, 1000, 2660, 3000], highway="primary")
    osm.node(0, 5, amenity="fire_station", name="测试消防站")
    pbf = osm.write(tmp_path / "fire.osm.pbf")
    homes = units_csv(tmp_path / "homes.csv", [(2660, 0), (-2673, 0)])
    s = run(["coverage", "--osm", str(pbf), "--units", str(homes), "--units-crs", "wgs84", "--out", str(tmp_path / "o")], capsys)
    f = indicator(s, "I53_FIRE_5MIN")
    assert f["kind"] == "drive_time" and f["time_min"] == 5 and f["turnout_min"] == 1 and f["drive_budget_s"] == 240
    assert f["status"] == "ok" and f["covered"] == 1 and f["total"] == 2
    assert "建标152-2017" in f["source"] and "GB 51080-2015" in f["source"]
    assert s["driving_network"]["speeds_kmh"]["primary"] == 40
    u = units_layer(tmp_path / "o")
    assert u["cov_I53_FIRE_5MIN"].tolist() == [1, 0]
    assert u["drive_fire_station_s"][0] == pytest.approx(2660 / (40 / 3.6), abs=0.05)  # 239.4 s
    assert np.isnan(u["drive_fire_station_s"][1])  # 240.6 s: beyond the budget
    # the same homes on a 支路 (20 km/h): 4 min is 1333 m, neither is covered
    osm2 = OsmFile()
    osm2.line([-3000, -2673, 0, 1333, 2660, 3000], highway="residential")
    osm2.node(0, 5, amenity="fire_station")
    homes2 = units_csv(tmp_path / "homes2.csv", [(1333, 0), (2660, 0)])
    s2 = run(["coverage", "--osm", str(osm2.write(tmp_path / "fire2.osm.pbf")), "--units", str(homes2), "--units-crs", "wgs84", "--out", str(tmp_path / "o2")], capsys)
    assert units_layer(tmp_path / "o2")["cov_I53_FIRE_5MIN"].tolist() == [1, 0]  # 239.9 s vs 478.8 s
    assert indicator(s2, "I53_FIRE_5MIN")["covered"] == 1


def test_driving_network_respects_one_way_and_class_speeds():
    speeds = load_drive_speeds()
    # 0 —(1000 m residential, one-way 0→1)— 1 —(1000 m primary, two-way)— 2
    net = build_drive_network(
        [10, 11, 12], [0.0, 1000.0, 2000.0], [0.0, 0.0, 0.0], [10, 11], [11, 12], [1000.0, 1000.0],
        ["residential", "primary"], crs=METRIC, oneway=["yes", None], speeds=speeds,
    )
    t0 = net.times_from([0])
    assert t0[1] == pytest.approx(1000 / (20 / 3.6)) and t0[2] == pytest.approx(180 + 90)
    t2 = net.times_from([2])
    assert t2[1] == pytest.approx(90) and np.isinf(t2[0])  # against the one-way: unreachable
    # oneway=-1 is driven backwards only
    back = build_drive_network([1, 2], [0.0, 100.0], [0.0, 0.0], [1], [2], [100.0], ["primary"], crs=METRIC, oneway=["-1"])
    assert np.isinf(back.times_from([0])[1]) and np.isfinite(back.times_from([1])[0])


def test_fire_station_without_driving_roads_is_reported(tmp_path, capsys):
    osm = OsmFile()
    osm.line([0, 100, 200], highway="footway")
    osm.node(100, 5, amenity="fire_station")
    homes = units_csv(tmp_path / "homes.csv", [(0, 0)])
    s = run(["coverage", "--osm", str(osm.write(tmp_path / "foot.osm.pbf")), "--units", str(homes), "--units-crs", "wgs84", "--out", str(tmp_path / "o")], capsys)
    f = indicator(s, "I53_FIRE_5MIN")
    assert f["status"] == "no_network" and f["share"] is None and "行车路网" in f["message"]


# ------------------------------------------------------------------ 指标32 绿道


def test_greenway_coverage_and_length_from_named_ways(tmp_path, capsys):
    osm = OsmFile()
    osm.line([0, 500, 999, 1001, 2000, 2500, 3000, 5000, 5200], highway="residential")
    osm.line([2000, 2250, 2500], y=10, highway="cycleway", name="锦江绿道")  # not in the walking network
    osm.line([700, 900], y=10, highway="cycleway", name="人民南路")  # a cycleway, not a greenway
    osm.line([5000, 5200], y=10, highway="footway", name="Riverside GREENWAY")
    pbf = osm.write(tmp_path / "greenway.osm.pbf")
    homes = units_csv(tmp_path / "homes.csv", [(1001, 0), (999, 0)])
    s = run(["coverage", "--osm", str(pbf), "--units", str(homes), "--units-crs", "wgs84", "--out", str(tmp_path / "o"), "--search-limit-m", "2000"], capsys)
    g = indicator(s, "I32_GREENWAY_1000")
    assert g["status"] == "ok" and g["covered"] == 1 and g["total"] == 2 and g["facilities"] == 2
    u = units_layer(tmp_path / "o")
    np.testing.assert_allclose(u["dist_greenway_m"], [999, 1001], atol=0.05)
    assert s["greenways"]["ways"] == 2 and s["greenways"]["km"] == pytest.approx(0.7, abs=0.002)
    assert "绿道" in s["greenways"]["reading"]


# ------------------------------------------------------------------ 指标43 both ends


def test_rail_commute_home_and_jobs_ends(tmp_path, capsys):
    osm = OsmFile()
    osm.line([0, 199, 201, 1000, 1799, 1801, 2500], highway="residential")
    osm.node(1000, 5, railway="station", name="测试地铁站")
    pbf = osm.write(tmp_path / "rail.osm.pbf")
    homes = units_csv(tmp_path / "homes.csv", [(201, 0), (1801, 0)])  # 799 m, 801 m
    jobs = units_csv(tmp_path / "jobs.csv", [(1799, 0), (199, 0)], 就业岗位=[100, 300])  # 799 m, 801 m
    args = ["coverage", "--osm", str(pbf), "--units", str(homes), "--units-crs", "wgs84", "--out", str(tmp_path / "o"), "--search-limit-m", "1500"]
    s = run(args + ["--jobs", str(jobs)], capsys)
    home, work = indicator(s, "I43_RAIL_800"), indicator(s, "I43_RAIL_800_JOBS")
    assert home["covered"] == 1 and home["share"] == 0.5
    assert work["covered"] == 1 and work["total"] == 2 and work["share"] == 0.25  # 100 of 400 jobs
    c = s["commute_43"]
    assert c["home_share"] == 0.5 and c["jobs_share"] == 0.25 and c["both_ends_estimate"] == 0.125
    assert c["jobs_basis"] == "就业岗位数加权" and "相互独立" in c["assumption"]
    j = gpd.read_file(tmp_path / "o" / "coverage.gpkg", layer="jobs")
    np.testing.assert_allclose(j["dist_metro_station_m"], [799, 801], atol=0.05)
    assert j["cov_I43_RAIL_800_JOBS"].tolist() == [1, 0]
    # without a jobs layer: stated, not a number
    s2 = run(args, capsys)
    w2 = indicator(s2, "I43_RAIL_800_JOBS")
    assert w2["status"] == "no_jobs" and w2["share"] is None and "--jobs" in w2["message"]
    assert s2["commute_43"]["both_ends_estimate"] is None


# ------------------------------------------------------------------ building units


def _building_city(tmp_path):
    osm = OsmFile()
    osm.line([0, 20, 55, 310, 330, 500], highway="residential")
    osm.polygon(0, 20, 200, 100, landuse="residential", name="幸福小区")
    osm.polygon(10, 30, 20, 10, building="yes", building__levels="2")  # in 小区: a unit, 400 m² floor
    osm.polygon(50, 60, 10, 10, building="house")  # a unit, 100 m² floor
    osm.polygon(100, 30, 20, 20, building="commercial")  # in 小区 but not housing
    osm.polygon(300, 20, 20, 20, building="apartments")  # housing outside any 小区: a unit
    osm.polygon(400, 30, 20, 20, building="yes")  # outside: not a unit
    osm.node(330, 5, amenity="kindergarten")
    pbf = osm.write(tmp_path / "buildings.osm.pbf")
    pop = gpd.GeoDataFrame({"人口": [300]}, geometry=[shapely.box(X0, Y0 + 20, X0 + 200, Y0 + 120)], crs=METRIC)
    pop.to_file(tmp_path / "pop.geojson")
    return pbf, tmp_path / "pop.geojson"


def test_building_units_with_and_without_population(tmp_path, capsys):
    pbf, pop = _building_city(tmp_path)
    base = ["coverage", "--osm", str(pbf), "--building-units"]
    s = run(base + ["--out", str(tmp_path / "a")], capsys)
    assert s["units"] == 3 and s["unit_kind"] == "building"
    assert s["unit_basis"] == "建筑单元按栋数（未加权：未提供人口）"
    k = indicator(s, "I12_KINDERGARTEN_300")
    assert k["covered"] == 2 and k["share"] == pytest.approx(2 / 3, abs=1e-4)  # 20 m, 275 m vs 310 m
    assert next(v for v in s["checkup_values"] if v["code"] == "I12_KINDERGARTEN_300")["value"] == pytest.approx(66.67)
    s2 = run(base + ["--population", str(pop), "--out", str(tmp_path / "b")], capsys)
    assert s2["unit_basis"] == "建筑单元按人口加权"
    assert any("1 个评价单元不在人口图层" in w for w in s2["warnings"])  # the apartments: stated, left out
    u = units_layer(tmp_path / "b").sort_values("area_m2")
    # 300 people shared by floor area (footprint × levels): house 100 m², the 2-storey block 400 m²
    assert u["population"].tolist()[:2] == pytest.approx([60, 240], abs=0.05)  # 1 cm OSM coordinates
    assert np.isnan(u["population"].tolist()[2])  # apartments outside the population polygon
    k2 = indicator(s2, "I12_KINDERGARTEN_300")
    assert k2["share_by_population"] == pytest.approx(0.2)  # the house (60 people) is covered, the block not
    assert next(v for v in s2["checkup_values"] if v["code"] == "I12_KINDERGARTEN_300")["value"] == pytest.approx(20.0)


def test_residential_building_rule():
    geoms = np.array([shapely.box(0, 0, 10, 10), shapely.box(50, 0, 60, 10), shapely.box(0, 0, 5, 5), shapely.box(200, 0, 210, 10)], dtype=object)
    area = np.array([shapely.box(-1, -1, 100, 100)], dtype=object)
    b = pd.Series(["yes", "dormitory", "retail", "dormitory"])
    assert residential_building_mask(b, geoms, area).tolist() == [True, True, False, True]
    assert residential_building_mask(pd.Series(["yes"] * 4), geoms, np.array([], dtype=object)).tolist() == [False] * 4


def test_building_units_need_buildings(tmp_path, capsys):
    osm = OsmFile()
    osm.line([0, 100], highway="residential")
    pbf = osm.write(tmp_path / "nobuildings.osm.pbf")
    code = main(["coverage", "--osm", str(pbf), "--building-units", "--out", str(tmp_path / "o"), "--no-progress"])
    err = capsys.readouterr().err
    assert code == 2 and "建筑" in err and "Traceback" not in err


def test_fire_station_and_greenway_from_layers(tmp_path, capsys):
    """No OSM: a road GeoPackage with highway classes, a facilities GeoJSON with a station and a greenway line."""
    xs = [-3000, -2673, 0, 999, 1001, 2000, 2660, 3000]
    road = shapely.linestrings([(X0 + x, Y0) for x in xs])
    gpd.GeoDataFrame({"highway": ["primary"]}, geometry=[road], crs=METRIC).to_file(tmp_path / "roads.gpkg")
    greenway = shapely.linestrings([(X0 + 2000, Y0 + 10), (X0 + 2600, Y0 + 10)])
    gpd.GeoDataFrame(
        {"name": ["测试消防站", "滨河绿道"], "category": ["消防站", "绿道"]},
        geometry=[shapely.Point(X0, Y0 + 5), greenway], crs=METRIC,
    ).to_file(tmp_path / "fac.geojson")
    homes = units_csv(tmp_path / "homes.csv", [(2660, 0), (-2673, 0), (1001, 0), (999, 0)])
    s = run(["coverage", "--roads", str(tmp_path / "roads.gpkg"), "--facilities", str(tmp_path / "fac.geojson"),
             "--units", str(homes), "--units-crs", "wgs84", "--out", str(tmp_path / "o")], capsys)
    u = units_layer(tmp_path / "o")
    assert u["cov_I53_FIRE_5MIN"].tolist() == [1, 0, 1, 1]  # 239.4 s, 240.6 s, 90 s, 90 s
    # straight-line reading: the circle of a 7 km² 一级站 district, r = 1493 m
    assert u["covl_I53_FIRE_5MIN"].tolist() == [0, 0, 1, 1]
    assert u["cov_I32_GREENWAY_1000"].tolist() == [1, 0, 1, 0]  # the line starts at x = 2000: 999 m vs 1001 m
    assert s["greenways"]["ways"] == 1 and s["greenways"]["km"] == pytest.approx(0.6, abs=1e-3)


def test_building_layer_with_population_column_is_weighted(tmp_path, capsys):
    """--units with building polygons and a 人口 column, --building-units: population-weighted value."""
    osm = OsmFile()
    osm.line([0, 100, 400, 700], highway="residential")
    osm.node(0, 5, amenity="kindergarten")
    pbf = osm.write(tmp_path / "k.osm.pbf")
    # building centroids at x = 100 (100 m walk: covered), 400 (400 m: not covered); 30 and 90 people
    blds = [shapely.box(X0 + x - 5, Y0 + 10, X0 + x + 5, Y0 + 20) for x in (100, 400)]
    gpd.GeoDataFrame({"人口": [30, 90]}, geometry=blds, crs=METRIC).to_file(tmp_path / "blds.gpkg")
    args = ["coverage", "--osm", str(pbf), "--units", str(tmp_path / "blds.gpkg"), "--out", str(tmp_path / "o")]
    s = run(args + ["--building-units"], capsys)
    assert s["unit_kind"] == "building" and s["unit_basis"] == "建筑单元按人口加权"
    k = indicator(s, "I12_KINDERGARTEN_300")
    assert k["share"] == 0.5 and k["share_by_population"] == 0.25
    assert next(v for v in s["checkup_values"] if v["code"] == "I12_KINDERGARTEN_300")["value"] == 25.0
    # the same layer as 小区 units: the value is area-weighted (equal areas: 50 %)
    s2 = run(args, capsys)
    assert s2["unit_kind"] == "area" and next(v for v in s2["checkup_values"] if v["code"] == "I12_KINDERGARTEN_300")["value"] == 50.0


def test_road_density_clips_only_roads_crossing_the_area():
    from cityrenew.engine.coverage import road_network_density

    area = shapely.box(0, 0, 1000, 1000)  # 1 km²
    roads = np.array([
        shapely.LineString([(100, 100), (900, 100)]),  # inside: 0.8 km
        shapely.LineString([(500, -500), (500, 1500)]),  # crosses both edges: 1.0 km inside
        shapely.LineString([(0, 500), (1000, 500)]),  # on the boundary and through: 1.0 km
        shapely.LineString([(2000, 0), (3000, 0)]),  # outside
    ], dtype=object)
    d = road_network_density(roads, area)
    assert d["road_km"] == pytest.approx(2.8) and d["value"] == pytest.approx(2.8)


def test_building_units_without_osm_or_layer_is_a_clear_message(tmp_path, capsys):
    road = shapely.linestrings([(X0, Y0), (X0 + 500, Y0)])
    gpd.GeoDataFrame({"highway": ["residential"]}, geometry=[road], crs=METRIC).to_file(tmp_path / "roads.gpkg")
    fac = units_csv(tmp_path / "fac.csv", [(0, 0)], category=["幼儿园"])
    code = main(["coverage", "--roads", str(tmp_path / "roads.gpkg"), "--facilities", str(fac), "--facilities-crs", "wgs84",
                 "--building-units", "--out", str(tmp_path / "o"), "--no-progress"])
    err = capsys.readouterr().err
    assert code == 2 and "--building-units" in err and "Traceback" not in err


def test_jobs_from_amap_without_crs_is_refused_then_converted(tmp_path, capsys):
    """A jobs CSV with Amap columns must say its CRS; with --jobs-crs gcj02 it is shifted back onto OSM."""
    from cityrenew.engine import crs as C

    from .osm_synth import lonlat

    osm = OsmFile()
    osm.line([0, 199, 201, 1000, 1799, 1801, 2500], highway="residential")
    osm.node(1000, 5, railway="station", name="测试地铁站")
    pbf = osm.write(tmp_path / "rail.osm.pbf")
    homes = units_csv(tmp_path / "homes.csv", [(201, 0)])
    ll = [lonlat(x, 0) for x in (1799, 199)]
    glon, glat = C.wgs84_to_gcj02(np.array([a for a, _ in ll]), np.array([b for _, b in ll]))
    pd.DataFrame({"name": ["甲公司", "乙公司"], "lon": glon, "lat": glat, "adcode": ["510104"] * 2, "就业岗位": [100, 300]}).to_csv(tmp_path / "jobs.csv", index=False)
    args = ["coverage", "--osm", str(pbf), "--units", str(homes), "--units-crs", "wgs84", "--jobs", str(tmp_path / "jobs.csv"),
            "--search-limit-m", "1500", "--out", str(tmp_path / "o"), "--no-progress"]
    code = main(args)
    err = capsys.readouterr().err
    assert code == 2 and "--jobs-crs gcj02" in err and "Traceback" not in err
    s = run(args[:-1] + ["--jobs-crs", "gcj02"], capsys)
    assert indicator(s, "I43_RAIL_800_JOBS")["share"] == 0.25  # 799 m covered (100 jobs), 801 m not (300)
