"""Robust input (issue 9, item 1): each failure seen on real extracts, on tiny OSM files written
here by osmium. Each case gives the stated behaviour or a clear Chinese message (exit code 2),
never a traceback or a silent number."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely

from cityrenew.engine import crs
from cityrenew.engine.cli import main, output_dirs

from .osm_build import OsmBuilder, town

FIRST_ID = 7_000_000_001


def run(argv, capsys):
    code = main([*argv, "--no-progress"] if argv and argv[0] == "coverage" else argv)
    out, err = capsys.readouterr()
    assert "Traceback" not in err and "内部错误" not in err, err
    return code, out, err


def one_town(path: Path, *, named: bool = True, pois: list[tuple[float, float, dict]] = (), lon0=104.05, lat0=30.65) -> Path:
    b = OsmBuilder(lon0, lat0, first_id=FIRST_ID)
    town(b, 0, 0, named=named)
    for x, y, tags in pois:
        b.node(x, y, tags)
    return b.write(path)


SCHOOL = {"amenity": "school", "isced:level": "1", "name": "第一小学"}


# ---------------------------------------------------------------- invalid geometry


def bowtie(x, y, w, h):
    return [(x, y), (x + w, y + h), (x + w, y), (x, y + h)]


def test_self_intersecting_residential_areas_are_repaired_and_counted(tmp_path, capsys):
    b = OsmBuilder(first_id=FIRST_ID)
    town(b, 0, 0)
    b.ring(bowtie(420, 120, 60, 60), {"landuse": "residential", "name": "蝴蝶小区"})
    b.ring(bowtie(420, 420, 60, 60), {"landuse": "residential"})  # unnamed: only with --all-residential
    b.node(350, 350, SCHOOL)
    pbf = b.write(tmp_path / "bowtie.osm.pbf")
    code, out, err = run(["coverage", "--osm", str(pbf), "--all-residential", "--out", str(tmp_path / "o")], capsys)
    assert code == 0, err
    s = json.loads(out)
    assert s["units"] == 6
    assert any("2 个无效几何" in w for w in s["warnings"]), s["warnings"]
    units = gpd.read_file(tmp_path / "o" / "coverage.gpkg", layer="units")
    # a bow-tie of two 30 × 30 m triangles keeps both halves (buffer(0) would keep one): 1800 m²
    assert units.loc[units["name"] == "蝴蝶小区", "area_m2"].iloc[0] == pytest.approx(1800, rel=0.02)


def test_invalid_building_layer_and_area_layer(tmp_path, capsys):
    pbf = one_town(tmp_path / "t.osm.pbf", pois=[(350, 350, SCHOOL)])
    b = OsmBuilder(first_id=FIRST_ID)
    rings = [bowtie(120, 120, 40, 40), bowtie(520, 520, 30, 30), [(120, 520), (160, 520), (160, 560), (120, 560)]]
    polys = [shapely.Polygon([b.lonlat(x, y) for x, y in r]) for r in rings]
    assert [p.is_valid for p in polys] == [False, False, True]
    bld = tmp_path / "buildings.gpkg"
    gpd.GeoDataFrame({"name": ["甲楼", "乙楼", "丙楼"]}, geometry=polys, crs="EPSG:4326").to_file(bld, driver="GPKG")
    area = tmp_path / "area.gpkg"
    gpd.GeoDataFrame({"name": ["建成区"]}, geometry=[shapely.Polygon([b.lonlat(x, y) for x, y in bowtie(-50, -50, 800, 800)])], crs="EPSG:4326").to_file(area, driver="GPKG")
    code, out, err = run(["coverage", "--osm", str(pbf), "--units", str(bld), "--area", str(area), "--out", str(tmp_path / "o")], capsys)
    assert code == 0, err
    s = json.loads(out)
    assert s["units"] == 3
    assert any("评价单元中有 2 个无效几何" in w for w in s["warnings"])
    assert any("建成区范围图层中有 1 个无效几何" in w for w in s["warnings"])
    assert s["road_network_density"]["value"] > 0


# ---------------------------------------------------------------- residential without names


def test_extract_without_named_residential_areas(tmp_path, capsys):
    pbf = one_town(tmp_path / "unnamed.osm.pbf", named=False, pois=[(350, 350, SCHOOL)])
    code, _, err = run(["coverage", "--osm", str(pbf), "--out", str(tmp_path / "a")], capsys)
    assert code == 2
    assert "都没有名称" in err and "--all-residential" in err
    code, out, err = run(["coverage", "--osm", str(pbf), "--all-residential", "--out", str(tmp_path / "b")], capsys)
    assert code == 0, err
    assert json.loads(out)["units"] == 4


# ---------------------------------------------------------------- facility classification


def test_school_levels_from_tags_first_then_names():
    from cityrenew.engine.facilities import match_osm, unclassified_osm

    rows = [
        ({"amenity": "school", "isced:level": "1", "name": "Riverside School"}, (True, False)),
        ({"amenity": "school", "isced:level": "1;2", "name": "Hillside School"}, (True, True)),
        ({"amenity": "school", "isced:level": "1-3"}, (True, True)),
        ({"amenity": "school", "school:level": "primary"}, (True, False)),
        ({"amenity": "school", "school": "secondary"}, (False, True)),
        ({"amenity": "school", "grades": "7-9"}, (False, True)),
        ({"amenity": "school", "grades": "K-5"}, (True, False)),
        ({"amenity": "school", "isced:level": "3", "name": "实验小学"}, (False, False)),  # tag wins over name
        ({"amenity": "school", "name": "成都市第一小学"}, (True, False)),
        ({"amenity": "school", "name": "七中"}, (False, True)),
        ({"amenity": "school", "name": "Maple Elementary"}, (True, False)),
        ({"amenity": "school", "name": "树德中学高中部"}, (False, False)),
        ({"amenity": "school", "name": "阳光学校"}, (False, False)),  # unclassified
        ({"amenity": "school", "name": "Sunshine School"}, (False, False)),  # unclassified
        ({"amenity": "school"}, (False, False)),  # unclassified
        ({"amenity": "school", "name": "四川大学"}, (False, False)),  # higher education: settled, not ours
    ]
    tags = pd.DataFrame([r for r, _ in rows]).astype("string")
    m = match_osm(tags)
    got = list(zip(m["primary_school"].tolist(), m["middle_school"].tolist()))
    assert got == [e for _, e in rows]
    assert unclassified_osm(tags, m)["school"].tolist() == [False] * 12 + [True, True, True, False]


def test_unclassified_schools_are_counted_not_reported_as_missing(tmp_path, capsys):
    unnamed_level = [(150 + 100 * i, 350, {"amenity": "school", "name": f"阳光学校{i}"}) for i in range(3)]
    pbf = one_town(tmp_path / "schools.osm.pbf", pois=[*unnamed_level, (350, 150, {"amenity": "school", "name": "Oak School", "isced:level": "2"})])
    code, out, err = run(["coverage", "--osm", str(pbf), "--out", str(tmp_path / "o")], capsys)
    assert code == 0, err
    s = json.loads(out)
    assert any("3 所学校无法判定学段" in w for w in s["warnings"]), s["warnings"]
    by = {i["code"]: i for i in s["indicators"]}
    primary = by["I13_PRIMARY_500"]
    assert primary["status"] == "no_facilities" and primary["share"] is None
    assert "3 所学校无法判定学段" in primary["message"] and "输入数据中没有" not in primary["message"]
    middle = by["I22_MIDDLE_1000"]  # the isced:level=2 school counts
    assert middle["status"] == "ok" and middle["facilities"] == 1 and middle["covered"] == 4
    assert "可能偏低" in middle["message"]


def test_social_facility_without_target_is_counted(tmp_path, capsys):
    pois = [
        (150, 350, {"amenity": "social_facility", "social_facility:for": "senior", "name": "Evergreen"}),
        (250, 350, {"amenity": "social_facility", "name": "社区服务站"}),
        (350, 350, {"amenity": "social_facility", "social_facility:for": "homeless", "name": "Shelter"}),
        (450, 350, {"amenity": "social_facility", "name": "幸福养老院"}),
    ]
    pbf = one_town(tmp_path / "social.osm.pbf", pois=pois)
    code, out, err = run(["coverage", "--osm", str(pbf), "--out", str(tmp_path / "o")], capsys)
    assert code == 0, err
    s = json.loads(out)
    elderly = next(i for i in s["indicators"] if i["code"] == "I10_ELDERLY_300")
    assert elderly["facilities"] == 2  # the senior one and the 养老院; not the homeless shelter
    assert any("1 处社会福利设施" in w for w in s["warnings"]), s["warnings"]


# ---------------------------------------------------------------- coordinates


def test_gcj02_applies_inside_china_outline_only():
    # Seoul, Osaka, Hanoi lie in the rectangle other implementations use, not in China
    for lon, lat in ((126.978, 37.5665), (135.5023, 34.6937), (105.8342, 21.0278)):
        assert crs.in_china_box(lon, lat) and not crs.in_china(lon, lat)
        assert crs.wgs84_to_gcj02(lon, lat) == (lon, lat)
        assert crs.gcj02_to_wgs84(lon, lat) == (lon, lat)
    for lon, lat in ((116.404, 39.915), (104.06, 30.67), (114.17, 22.32), (113.54, 22.19), (122.2, 30.0), (75.99, 39.47)):
        assert crs.in_china(lon, lat)
        glon, glat = crs.wgs84_to_gcj02(lon, lat)
        assert abs(float(glon) - lon) + abs(float(glat) - lat) > 1e-4


def test_gcj02_facilities_in_seoul_are_not_shifted_and_named(tmp_path, capsys):
    pbf = one_town(tmp_path / "seoul.osm.pbf", lon0=126.978, lat0=37.5665)
    b = OsmBuilder(126.978, 37.5665)
    lon, lat = b.lonlat(350, 350)
    fac = tmp_path / "fac.csv"
    pd.DataFrame({"name": ["Seoul Primary"], "category": ["小学"], "lon": [lon], "lat": [lat]}).to_csv(fac, index=False)
    base = ["coverage", "--osm", str(pbf), "--facilities", str(fac)]
    code, out_g, err = run([*base, "--facilities-crs", "gcj02", "--out", str(tmp_path / "g")], capsys)
    assert code == 0, err
    s = json.loads(out_g)
    assert any("1 个要素位于中国境外" in w and "126.98" in w for w in s["warnings"]), s["warnings"]
    code, out_w, err = run([*base, "--facilities-crs", "wgs84", "--out", str(tmp_path / "w")], capsys)
    assert code == 0, err
    g = gpd.read_file(tmp_path / "g" / "coverage.gpkg", layer="units")
    w = gpd.read_file(tmp_path / "w" / "coverage.gpkg", layer="units")
    np.testing.assert_allclose(g["dist_primary_school_m"], w["dist_primary_school_m"])  # not shifted
    primary = next(i for i in json.loads(out_w)["indicators"] if i["code"] == "I13_PRIMARY_500")
    assert primary["facilities"] == 1 and primary["covered"] > 0
    assert np.isfinite(g["dist_primary_school_m"]).all()


def test_swapped_lon_lat_below_90_is_refused(tmp_path, capsys):
    # Kashgar: lon 76, lat 39, both below 90, so a swap still reads as valid degrees
    pbf = one_town(tmp_path / "kashgar.osm.pbf", lon0=75.99, lat0=39.47, pois=[(350, 350, SCHOOL)])
    b = OsmBuilder(75.99, 39.47)
    pts = [b.lonlat(150, 150), b.lonlat(550, 550)]
    units = tmp_path / "units.csv"
    pd.DataFrame({"name": ["甲", "乙"], "lon": [p[1] for p in pts], "lat": [p[0] for p in pts]}).to_csv(units, index=False)
    code, _, err = run(["coverage", "--osm", str(pbf), "--units", str(units), "--out", str(tmp_path / "a")], capsys)
    assert code == 2
    assert "经度、纬度疑似颠倒" in err and "--lon-col" in err
    fixed = tmp_path / "units_ok.csv"
    pd.DataFrame({"name": ["甲", "乙"], "lon": [p[0] for p in pts], "lat": [p[1] for p in pts]}).to_csv(fixed, index=False)
    code, out, err = run(["coverage", "--osm", str(pbf), "--units", str(fixed), "--out", str(tmp_path / "b")], capsys)
    assert code == 0, err
    assert json.loads(out)["units_outside_network"] == 0


def test_swapped_lon_lat_above_90_is_refused(tmp_path, capsys):
    pbf = one_town(tmp_path / "t.osm.pbf", pois=[(350, 350, SCHOOL)])
    b = OsmBuilder()
    lon, lat = b.lonlat(150, 150)
    units = tmp_path / "units.csv"
    pd.DataFrame({"name": ["甲"], "lon": [lat], "lat": [lon]}).to_csv(units, index=False)
    code, _, err = run(["coverage", "--osm", str(pbf), "--units", str(units), "--out", str(tmp_path / "a")], capsys)
    assert code == 2 and "疑似颠倒" in err


def test_coordinates_outside_the_stated_crs(tmp_path, capsys):
    pbf = one_town(tmp_path / "t.osm.pbf", pois=[(350, 350, SCHOOL)])
    b = OsmBuilder()
    lon, lat = b.lonlat(150, 150)
    units = tmp_path / "units.csv"
    pd.DataFrame({"name": ["甲"], "lon": [lon], "lat": [lat]}).to_csv(units, index=False)
    # lon/lat degrees declared as CGCS2000 / 3-degree GK CM 108E
    code, _, err = run(["coverage", "--osm", str(pbf), "--units", str(units), "--units-crs", "EPSG:4545", "--out", str(tmp_path / "a")], capsys)
    assert code == 2
    assert "不在所声明坐标系 EPSG:4545" in err and "像经纬度" in err


# ---------------------------------------------------------------- search limit and radius


@pytest.mark.parametrize(
    "value,message",
    [("400", "小于规则的服务半径"), ("999", "I22_MIDDLE_1000"), ("-5", "非负数"), ("nan", "非负数")],
)
def test_search_limit_is_checked(tmp_path, capsys, value, message):
    pbf = one_town(tmp_path / "t.osm.pbf", pois=[(350, 350, SCHOOL)])
    code, _, err = run(["coverage", "--osm", str(pbf), f"--search-limit-m={value}", "--out", str(tmp_path / "o")], capsys)
    assert code == 2
    assert message in err


def test_search_limit_at_the_largest_radius_and_inf_are_accepted(tmp_path, capsys):
    pbf = one_town(tmp_path / "t.osm.pbf", pois=[(350, 350, SCHOOL)])
    for value in ("1000", "inf"):
        code, _, err = run(["coverage", "--osm", str(pbf), f"--search-limit-m={value}", "--out", str(tmp_path / value)], capsys)
        assert code == 0, err


@pytest.mark.parametrize("value", ["inf", "nan", "-inf"])
def test_non_finite_radius_in_rules_csv(tmp_path, capsys, value):
    from cityrenew.catalogue.spatial import SPATIAL_RULES_CSV

    rows = pd.read_csv(SPATIAL_RULES_CSV, dtype=str, keep_default_na=False)
    rows.loc[rows["code"] == "I13_PRIMARY_500", "radius_m"] = value
    rules = tmp_path / "rules.csv"
    rows.to_csv(rules, index=False)
    pbf = one_town(tmp_path / "t.osm.pbf", pois=[(350, 350, SCHOOL)])
    code, _, err = run(["coverage", "--osm", str(pbf), "--rules", str(rules), "--out", str(tmp_path / "o")], capsys)
    assert code == 2
    assert "有限的米数" in err and value in err


@pytest.mark.parametrize("opt,value", [("--max-snap-m", "nan"), ("--max-snap-m", "-1"), ("--max-snap-m", "0"), ("--min-component-m", "-1")])
def test_bad_distance_options(tmp_path, capsys, opt, value):
    pbf = one_town(tmp_path / "t.osm.pbf", pois=[(350, 350, SCHOOL)])
    code, _, err = run(["coverage", "--osm", str(pbf), f"{opt}={value}", "--out", str(tmp_path / "o")], capsys)
    assert code == 2 and opt in err


# ---------------------------------------------------------------- duplicates


def test_duplicate_facility_points_count_once(tmp_path, capsys):
    pbf = one_town(tmp_path / "t.osm.pbf")
    b = OsmBuilder()
    pts = [b.lonlat(350, 350), b.lonlat(350, 350), b.lonlat(353, 350), b.lonlat(350, 356), b.lonlat(150, 550)]
    fac = tmp_path / "fac.csv"
    pd.DataFrame({"name": ["一小"] * 5, "category": ["小学"] * 5, "lon": [p[0] for p in pts], "lat": [p[1] for p in pts]}).to_csv(fac, index=False)
    code, out, err = run(["coverage", "--osm", str(pbf), "--facilities", str(fac), "--facilities-crs", "wgs84", "--out", str(tmp_path / "o")], capsys)
    assert code == 0, err
    s = json.loads(out)
    primary = next(i for i in s["indicators"] if i["code"] == "I13_PRIMARY_500")
    # 0 m and 3 m from the first: duplicates; 6 m: a different point (tolerance 5 m); far: different
    assert primary["facilities"] == 3
    assert any("去除重复设施 2 处" in w for w in s["warnings"]), s["warnings"]


# ---------------------------------------------------------------- outputs


def test_same_file_names_get_their_own_output_folders(tmp_path, capsys):
    (tmp_path / "east").mkdir()
    (tmp_path / "west").mkdir()
    a = one_town(tmp_path / "east" / "city.osm.pbf", pois=[(350, 350, SCHOOL)])
    b = one_town(tmp_path / "west" / "city.osm.pbf", pois=[(150, 150, SCHOOL)])
    out = tmp_path / "out"
    code, stdout, err = run(["coverage", "--osm", str(a), "--osm", str(b), "--out", str(out)], capsys)
    assert code == 0, err
    cities = json.loads(stdout)["cities"]
    dirs = [Path(c["outputs"]["summary"]).parent for c in cities]
    assert [d.name for d in dirs] == ["east_city", "west_city"]
    for d, c in zip(dirs, cities):
        assert json.loads((d / "summary.json").read_text(encoding="utf-8")) == c
        assert (d / "coverage.gpkg").exists()
    assert cities[0]["indicators"] != cities[1]["indicators"]  # not one overwriting the other


def test_output_dir_names():
    out = Path("/o")
    assert output_dirs(out, ["a/x.osm.pbf", "b/y.osm.pbf"]) == [out / "x", out / "y"]
    assert output_dirs(out, ["a/x.osm.pbf", "b/x.osm.pbf"]) == [out / "a_x", out / "b_x"]
    assert output_dirs(out, ["a/x.osm.pbf", "a/x.osm.pbf", "b/a_x.pbf"]) == [out / "a_x", out / "a_x_2", out / "a_x_3"]


def test_geopackage_node_id_is_the_osm_node_id(tmp_path, capsys):
    from cityrenew.engine.io import read_osm

    pbf = one_town(tmp_path / "t.osm.pbf", pois=[(350, 350, SCHOOL)])
    code, _, err = run(["coverage", "--osm", str(pbf), "--out", str(tmp_path / "o")], capsys)
    assert code == 0, err
    units = pyogrio.read_dataframe(tmp_path / "o" / "coverage.gpkg", layer="units")
    osm_ids = set(read_osm(pbf).node_ids.tolist())
    assert units["node_id"].min() >= FIRST_ID
    assert set(units["node_id"].tolist()) <= osm_ids
    fac = pyogrio.read_dataframe(tmp_path / "o" / "coverage.gpkg", layer="facilities")
    assert len(fac) == 1 and int(fac["node_id"].iloc[0]) in osm_ids


def test_one_failing_job_on_dask_does_not_stop_the_others(tmp_path, capsys):
    good = one_town(tmp_path / "good.osm.pbf", pois=[(350, 350, SCHOOL)])
    bad = tmp_path / "bad.osm.pbf"
    bad.write_text("不是PBF", encoding="utf-8")
    out = tmp_path / "out"
    code, stdout, err = run(["coverage", "--osm", str(good), "--osm", str(bad), "--workers", "2", "--out", str(out)], capsys)
    assert code == 2
    cities = json.loads(stdout)["cities"]
    assert cities[0]["units"] == 4 and (out / "good" / "coverage.gpkg").exists()
    assert cities[1]["status"] == "failed" and cities[1]["error_kind"] == "input"
    assert "无法读取OSM文件" in cities[1]["error"]
    assert json.loads((out / "bad" / "summary.json").read_text(encoding="utf-8"))["status"] == "failed"
    assert "任务 bad.osm.pbf 失败" in err and "1/2 个任务失败" in err


# ---------------------------------------------------------------- encodings


def test_gbk_shapefile_whose_cpg_says_utf8(tmp_path, capsys):
    from cityrenew.engine.io import read_layer

    pbf = one_town(tmp_path / "t.osm.pbf", pois=[(350, 350, SCHOOL)])
    b = OsmBuilder()
    names = ["锦江花园", "玉林小区"]
    polys = [shapely.box(*b.lonlat(120, 120), *b.lonlat(180, 180)), shapely.box(*b.lonlat(520, 520), *b.lonlat(580, 580))]
    shp = tmp_path / "xiaoqu.shp"
    gpd.GeoDataFrame({"name": names}, geometry=polys, crs="EPSG:4326").to_file(shp, encoding="gbk")
    shp.with_suffix(".cpg").write_text("UTF-8", encoding="ascii")
    assert names[0].encode("gbk") in shp.with_suffix(".dbf").read_bytes()
    layer = read_layer(shp)
    assert layer.encoding == "gb18030"
    assert layer.gdf["name"].tolist() == names
    assert "UTF-8" in layer.warnings[0] and "GBK" in layer.warnings[0]
    code, out, err = run(["coverage", "--osm", str(pbf), "--units", str(shp), "--out", str(tmp_path / "o")], capsys)
    assert code == 0, err
    assert any(".cpg 声明为 UTF-8" in w for w in json.loads(out)["warnings"])
    units = gpd.read_file(tmp_path / "o" / "coverage.gpkg", layer="units")
    assert sorted(units["name"]) == sorted(names)


# ---------------------------------------------------------------- network components


def two_towns_and_an_island(path: Path) -> Path:
    """Town A at (0, 0) and town B 3 km east (8 × 8 grids of 100 m: 11.2 km of ways each), an
    island of 3 × 3 nodes (1.2 km of ways) 2 km north with one residential area; a primary
    school in town A only."""
    b = OsmBuilder(first_id=FIRST_ID)
    town(b, 0, 0, prefix="甲镇")
    town(b, 3000, 0, prefix="乙镇")
    b.grid(0, 2000, 3, 200.0)
    b.box(220, 2220, 160, 160, {"landuse": "residential", "name": "岛上小区"})
    b.node(350, 350, SCHOOL)
    return b.write(path)


def test_every_large_component_is_kept_and_reported(tmp_path, capsys):
    pbf = two_towns_and_an_island(tmp_path / "towns.osm.pbf")
    code, out, err = run(["coverage", "--osm", str(pbf), "--out", str(tmp_path / "o")], capsys)
    assert code == 0, err
    s = json.loads(out)
    assert s["units"] == 9
    assert s["units_outside_network"] == 1  # only the island's unit: the island (1.2 km) is dropped
    comps = s["network"]["kept_components"]
    assert [(c["nodes"], c["units"]) for c in comps] == [(64, 4), (64, 4)]
    assert sorted(c["facilities"].get("primary_school", 0) for c in comps) == [0, 1]
    assert all(c["length_km"] > 5 for c in comps)
    assert s["network"]["min_component_m"] == 5000.0
    primary = next(i for i in s["indicators"] if i["code"] == "I13_PRIMARY_500")
    units = gpd.read_file(tmp_path / "o" / "coverage.gpkg", layer="units")
    a_units = units[units["name"].str.startswith("甲镇")]
    b_units = units[units["name"].str.startswith("乙镇")]
    assert a_units["dist_primary_school_m"].notna().all()
    # town B has no school of its own: its units are not served by town A's (distance infinite)
    assert b_units["dist_primary_school_m"].isna().all() and (b_units["outside_network"] == 0).all()
    assert primary["total"] == 8 and primary["covered"] == int((a_units["dist_primary_school_m"] <= 500).sum()) > 0


def test_component_threshold_both_sides(tmp_path, capsys):
    pbf = two_towns_and_an_island(tmp_path / "towns.osm.pbf")
    from cityrenew.engine.io import load_city

    island_m = 2 * 3 * 2 * 200.0  # 3 × 3 grid, 200 m steps
    kept = load_city(osm=pbf, min_component_m=island_m - 1.0)
    dropped = load_city(osm=pbf, min_component_m=island_m + 1.0)
    assert kept.network.component_length_m.size == 3
    assert dropped.network.component_length_m.size == 2
    assert kept.network.n == dropped.network.n + 9
    code, out, err = run(["coverage", "--osm", str(pbf), f"--min-component-m={island_m - 1}", "--out", str(tmp_path / "o")], capsys)
    assert code == 0, err
    s = json.loads(out)
    assert s["units_outside_network"] == 0
    assert sorted(c["units"] for c in s["network"]["kept_components"]) == [1, 4, 4]


def test_tiled_chengdu_keeps_every_tile(chengdu_pbf, tmp_path):
    """Two unconnected copies of the Chengdu extract side by side (the second 0.4° east: a shift in
    longitude keeps every length, one in latitude would not): with only the largest component kept,
    every unit of one copy was "more than 300 m from the walking network"."""
    from cityrenew.engine.coverage import coverage_files

    from .osm_build import tile_pbf

    tiled = tile_pbf(chengdu_pbf, tmp_path / "chengdu_2x1.osm.pbf", [(0.0, 0.0), (0.4, 0.0)])
    res = coverage_files(osm=tiled)
    s = res.summary()
    single = coverage_files(osm=chengdu_pbf).summary()  # the same path (driving network for 消防站 included)
    assert s["units"] == 2 * single["units"]
    assert s["units_outside_network"] == 2 * single["units_outside_network"]
    comps = s["network"]["kept_components"]
    assert len(comps) == 2 and [c["units"] for c in comps] == [single["units"]] * 2
    assert s["network"]["nodes"] == 2 * single["network"]["nodes"]
    # each copy is served by its own facilities: the same shares as the single extract
    for a, b in zip(s["indicators"], single["indicators"]):
        assert (a["covered"], a["total"]) == (2 * b["covered"], 2 * b["total"]), a["code"]
