"""Bad input: each case ends with a clear Chinese message (exit code 2) or a stated behaviour."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from cityrenew.engine import crs
from cityrenew.engine.cli import main

from .osm_tools import poi_only_pbf


def run(argv, capsys):
    code = main(argv)
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, out, err


def test_no_walking_network(tmp_path, capsys):
    pbf = poi_only_pbf(tmp_path / "pois_only.osm.pbf")
    code, _, err = run(["coverage", "--osm", str(pbf), "--out", str(tmp_path / "o"), "--no-progress"], capsys)
    assert code == 2
    assert "没有步行路网" in err


def test_not_a_pbf_and_missing_file(tmp_path, capsys):
    bad = tmp_path / "bad.osm.pbf"
    bad.write_text("这不是PBF", encoding="utf-8")
    code, _, err = run(["coverage", "--osm", str(bad), "--out", str(tmp_path / "o"), "--no-progress"], capsys)
    assert code == 2 and "无法读取OSM文件" in err
    code, _, err = run(["coverage", "--osm", str(tmp_path / "nope.osm.pbf"), "--out", str(tmp_path / "o")], capsys)
    assert code == 2 and "找不到" in err


def test_bad_arguments_exit_2(capsys):
    with pytest.raises(SystemExit) as e:
        main(["coverage", "--workers", "two", "--out", "x"])
    assert e.value.code == 2
    assert "错误" in capsys.readouterr().err


def _write_points_csv(path, lon, lat, **cols):
    pd.DataFrame({"name": [f"单元{i}" for i in range(len(lon))], "lon": lon, "lat": lat, **cols}).to_csv(path, index=False)
    return path


def test_units_all_outside_the_network(chengdu_pbf, tmp_path, capsys):
    csv = _write_points_csv(tmp_path / "beijing.csv", [116.40, 116.41], [39.90, 39.91])
    code, _, err = run(["coverage", "--osm", str(chengdu_pbf), "--units", str(csv), "--out", str(tmp_path / "o"), "--no-progress"], capsys)
    assert code == 2
    assert "路网范围之外" in err


def test_some_units_outside_are_excluded_and_counted(chengdu_pbf, tmp_path, capsys):
    csv = _write_points_csv(tmp_path / "mixed.csv", [104.0665, 104.0800, 104.0900, 104.7], [30.6700, 30.6800, 30.6900, 31.2])
    code, out, err = run(
        ["coverage", "--osm", str(chengdu_pbf), "--units", str(csv), "--units-crs", "wgs84", "--out", str(tmp_path / "o"), "--no-progress"],
        capsys,
    )
    assert code == 0, err
    s = json.loads(out)
    assert s["units"] == 4 and s["units_outside_network"] == 1
    assert all(i["total"] == 3 for i in s["indicators"] if i["kind"] != "radius_jobs")  # jobs: no --jobs layer
    assert "路网范围之外" in err  # the warning is shown


def test_category_without_facilities_is_flagged_not_zero(chengdu_pbf, tmp_path, capsys):
    # a facilities file with primary schools only: every other category is "no_facilities"
    fac = _write_points_csv(tmp_path / "schools.csv", [104.0665, 104.0900], [30.6700, 30.6900], category=["小学", "小学"])
    code, out, err = run(
        ["coverage", "--osm", str(chengdu_pbf), "--facilities", str(fac), "--facilities-crs", "wgs84", "--out", str(tmp_path / "o"), "--no-progress"],
        capsys,
    )
    assert code == 0, err
    s = json.loads(out)
    by = {i["code"]: i for i in s["indicators"]}
    assert by["I13_PRIMARY_500"]["status"] == "ok" and by["I13_PRIMARY_500"]["facilities"] == 2
    assert by["I22_MIDDLE_1000"]["status"] == "no_facilities"
    assert by["I22_MIDDLE_1000"]["share"] is None
    assert "无法评价" in by["I22_MIDDLE_1000"]["message"]
    assert "no facilities" in err


def test_unknown_crs_option(chengdu_pbf, tmp_path, capsys):
    code, _, err = run(["coverage", "--osm", str(chengdu_pbf), "--units-crs", "EPSG:123456", "--out", str(tmp_path / "o")], capsys)
    assert code == 2 and "无法识别的坐标系" in err


def _chengdu_units_gdf(chengdu_osm):
    res = chengdu_osm.residential
    res = res[res["name"].notna()].head(30)
    return gpd.GeoDataFrame({"name": res["name"].astype(str).to_numpy()}, geometry=res.geometry.values, crs="EPSG:4326")


def test_shapefile_without_prj_is_unknown_crs(chengdu_pbf, chengdu_osm, tmp_path, capsys):
    shp = tmp_path / "units.shp"
    _chengdu_units_gdf(chengdu_osm).to_file(shp, encoding="utf-8")
    shp.with_suffix(".prj").unlink()
    code, _, err = run(["coverage", "--osm", str(chengdu_pbf), "--units", str(shp), "--out", str(tmp_path / "o"), "--no-progress"], capsys)
    assert code == 2 and "没有坐标系信息" in err
    # stating the CRS fixes it
    code, out, err = run(
        ["coverage", "--osm", str(chengdu_pbf), "--units", str(shp), "--units-crs", "cgcs2000", "--out", str(tmp_path / "o"), "--no-progress"],
        capsys,
    )
    assert code == 0, err
    assert json.loads(out)["units"] == 30


def test_gbk_shapefile_without_cpg_reads_chinese_names(chengdu_pbf, chengdu_osm, tmp_path, capsys):
    gdf = _chengdu_units_gdf(chengdu_osm)
    shp = tmp_path / "units_gbk.shp"
    gdf.to_file(shp, encoding="gbk")
    cpg = shp.with_suffix(".cpg")
    if cpg.exists():
        cpg.unlink()  # legacy GBK shapefiles from desktop GIS usually have no .cpg
    raw = shp.with_suffix(".dbf").read_bytes()
    assert gdf["name"].iloc[0].encode("gbk") in raw  # really GBK bytes on disk
    from cityrenew.engine.io import read_layer

    layer = read_layer(shp)
    assert layer.encoding == "gb18030"
    assert layer.gdf["name"].tolist() == gdf["name"].tolist()
    code, out, err = run(["coverage", "--osm", str(chengdu_pbf), "--units", str(shp), "--out", str(tmp_path / "o"), "--no-progress"], capsys)
    assert code == 0, err
    units = gpd.read_file(tmp_path / "o" / "coverage.gpkg", layer="units")
    assert sorted(units["name"]) == sorted(gdf["name"])


def _osm_point_facilities(chengdu_osm):
    from cityrenew.engine.facilities import match_osm

    pois = chengdu_osm.pois
    m = match_osm(chengdu_osm.poi_tags)
    pts = np.asarray(shapely.get_type_id(pois.geometry.values) == 0)
    rows = []
    for cat in ("primary_school", "middle_school", "health", "market", "park", "sports", "metro_station"):
        sel = m[cat] & pts
        g = pois.geometry.values[sel]
        rows.append(pd.DataFrame({"name": pois["name"].fillna("").to_numpy()[sel], "category": cat, "lon": shapely.get_x(g), "lat": shapely.get_y(g)}))
    return pd.concat(rows, ignore_index=True)


def test_gcj02_csv_assumed_wgs84_is_refused_then_converted(chengdu_pbf, chengdu_osm, tmp_path, capsys):
    df = _osm_point_facilities(chengdu_osm)
    assert len(df) > 50
    wgs = tmp_path / "fac_wgs.csv"
    df.to_csv(wgs, index=False)
    glon, glat = crs.wgs84_to_gcj02(df["lon"].to_numpy(), df["lat"].to_numpy())
    gcj = tmp_path / "fac_gcj.csv"
    df.assign(lon=np.round(glon, 7), lat=np.round(glat, 7)).to_csv(gcj, index=False)

    base = ["coverage", "--osm", str(chengdu_pbf), "--no-progress"]
    code, _, err = run(base + ["--facilities", str(gcj), "--out", str(tmp_path / "a")], capsys)
    assert code == 2
    assert "GCJ-02" in err and "--facilities-crs gcj02" in err
    # the genuine WGS84 file passes the same check
    code, out_wgs, err = run(base + ["--facilities", str(wgs), "--out", str(tmp_path / "b")], capsys)
    assert code == 0, err
    # declared as GCJ-02 it is converted and gives the same coverage as the WGS84 file
    code, out_gcj, err = run(base + ["--facilities", str(gcj), "--facilities-crs", "gcj02", "--out", str(tmp_path / "c")], capsys)
    assert code == 0, err
    a = {i["code"]: i["covered"] for i in json.loads(out_wgs)["indicators"]}
    b = {i["code"]: i["covered"] for i in json.loads(out_gcj)["indicators"]}
    assert a == b
    assert a["I13_PRIMARY_500"] > 0


def test_amap_style_csv_without_crs_is_refused(chengdu_pbf, tmp_path, capsys):
    amap = tmp_path / "amap_pois.csv"
    pd.DataFrame(
        {"name": ["测试小学"], "type": ["科教文化服务;学校;小学"], "typecode": ["141203"], "location": ["104.070000,30.670000"]}
    ).to_csv(amap, index=False)
    code, _, err = run(["coverage", "--osm", str(chengdu_pbf), "--facilities", str(amap), "--out", str(tmp_path / "o")], capsys)
    assert code == 2
    assert "高德" in err and "gcj02" in err


def test_csv_without_coordinates(chengdu_pbf, tmp_path, capsys):
    p = tmp_path / "nocoords.csv"
    pd.DataFrame({"name": ["a"], "地址": ["某路1号"]}).to_csv(p, index=False)
    code, _, err = run(["coverage", "--osm", str(chengdu_pbf), "--units", str(p), "--out", str(tmp_path / "o")], capsys)
    assert code == 2 and "经纬度列" in err
