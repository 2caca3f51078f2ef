"""Reference layers loaded into the database (cityrenew.map.loaders, ``cityrenew map load-osm|load-layer``,
the ``map.load_layer`` job): the real Chengdu OSM extract, repaired and refused geometry, atomic replace.

Counts of the OSM layers are computed independently with pyosmium (its own area assembly), not with
pyrosm, which the loader uses."""

from __future__ import annotations

import json
import warnings
import zipfile
from pathlib import Path

import osmium
import pytest

from cityrenew.core.models import AuditLog
from cityrenew.map import loaders
from cityrenew.map.loaders import LoadError, load_file, load_osm
from cityrenew.map.models import ReferenceFeature, ReferenceLayer

pytestmark = pytest.mark.django_db

OSM = Path(__file__).resolve().parents[1] / "data" / "osm-chengdu-central" / "chengdu_central.osm.pbf"
GREEN_TAGS = {("leisure", "park"), ("leisure", "garden"), ("landuse", "grass"), ("landuse", "forest"),
              ("landuse", "meadow"), ("landuse", "recreation_ground"), ("landuse", "village_green"),
              ("natural", "wood"), ("natural", "grassland"), ("natural", "scrub")}

# 郑州 二七区 (WGS84): small squares around (113.64, 34.73)
ZZ = (113.64, 34.73)


def osmium_counts(path: Path) -> dict[str, int]:
    counts = {"buildings": 0, "roads": 0, "water": 0, "green": 0}
    for obj in osmium.FileProcessor(str(path)).with_areas():
        tags = obj.tags
        if obj.is_area():
            counts["buildings"] += "building" in tags
            counts["water"] += tags.get("natural") == "water" or tags.get("landuse") in ("reservoir", "basin")
            counts["green"] += any(tags.get(k) == v for k, v in GREEN_TAGS)
        elif obj.is_way():
            counts["roads"] += "highway" in tags
            counts["water"] += "waterway" in tags
    return counts


def square(x: float, y: float, d: float = 0.001) -> list:
    return [[x, y], [x + d, y], [x + d, y + d], [x, y + d], [x, y]]


def bowtie(x: float, y: float, d: float = 0.001) -> list:
    return [[x, y], [x + d, y + d], [x + d, y], [x, y + d], [x, y]]  # self-intersecting


def geojson_file(path: Path, geometries: list[dict], names: list[str] | None = None, crs: str | None = None) -> Path:
    data: dict = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": (names or [f"要素{i + 1}" for i in range(len(geometries))])[i], "code": i + 1},
         "geometry": g} for i, g in enumerate(geometries)]}
    if crs:
        data["crs"] = {"type": "name", "properties": {"name": crs}}
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def polygons_file(path: Path, n: int = 3, x: float = ZZ[0], y: float = ZZ[1]) -> Path:
    return geojson_file(path, [{"type": "Polygon", "coordinates": [square(x + i * 0.002, y)]} for i in range(n)])


# --- OSM ------------------------------------------------------------------------------------------

def test_osm_extract_loads_four_layers_with_independent_counts():
    expected = osmium_counts(OSM)
    results = {r.layer.name: r for r in load_osm(OSM)}
    assert set(results) == {"osm-buildings", "osm-roads", "osm-water", "osm-green"}
    layers = {layer.name: layer for layer in ReferenceLayer.objects.all()}
    for key, low, high in [("buildings", 0.98, 1.01), ("roads", 0.97, 1.0), ("water", 0.95, 1.0), ("green", 0.95, 1.0)]:
        layer = layers[f"osm-{key}"]
        n = ReferenceFeature.objects.filter(layer=layer).count()
        assert n == layer.feature_count == results[layer.name].loaded
        assert low * expected[key] <= n <= high * expected[key], (key, n, expected[key])
        assert layer.licence == "© OpenStreetMap contributors, ODbL 1.0"
        assert layer.source == f"OpenStreetMap {OSM.name}"
        assert layer.basemap == (key != "buildings")
        # the extent is the README's bounding box of the extract (ways crossing the box kept whole)
        x0, y0, x1, y1 = layer.extent.extent
        assert 103.9 < x0 < x1 < 104.3 and 30.5 < y0 < y1 < 30.9
    assert "yes" in set(ReferenceFeature.objects.filter(layer__name="osm-buildings").values_list("category", flat=True))
    roads = ReferenceFeature.objects.filter(layer__name="osm-roads")
    assert {"primary", "secondary", "residential"} <= set(roads.values_list("category", flat=True))
    assert all(g.geom_type in ("LineString", "MultiLineString") for g in roads.values_list("geom", flat=True)[:500])
    buildings = ReferenceFeature.objects.filter(layer__name="osm-buildings")
    assert all(g.geom_type in ("Polygon", "MultiPolygon") and g.valid for g in buildings.values_list("geom", flat=True))
    # the one unclosed building way of the extract is skipped and counted, not stored
    assert results["osm-buildings"].skipped == 1
    # the load is in the audit log (who/what: the layer row with its counts)
    assert AuditLog.objects.filter(object_repr="建筑轮廓（OSM）").exists()


def test_osm_layers_subset_and_existing_layer_refused_without_replace():
    load_osm(OSM, ["roads"])
    assert list(ReferenceLayer.objects.values_list("name", flat=True)) == ["osm-roads"]
    with pytest.raises(LoadError, match="已存在.*--replace"):
        load_osm(OSM, ["water", "roads"])
    assert not ReferenceLayer.objects.filter(name="osm-water").exists()  # checked before anything was written
    before = ReferenceLayer.objects.get(name="osm-roads").feature_count
    [r] = load_osm(OSM, ["roads"], replace=True)
    assert r.replaced == before == r.loaded == ReferenceFeature.objects.filter(layer=r.layer).count()


def test_not_a_pbf_is_refused(tmp_path):
    bad = tmp_path / "city.osm.pbf"
    bad.write_bytes(b"<osm version='0.6'></osm>")
    with pytest.raises(LoadError, match="OSM 文件 city.osm.pbf"):
        load_osm(bad, ["roads"])
    assert not ReferenceLayer.objects.exists()
    with pytest.raises(LoadError, match="未知的 OSM 图层：railways"):
        loaders.parse_layer_keys("roads,railways")


# --- repair and refusals --------------------------------------------------------------------------

def test_invalid_polygon_is_repaired_and_counted(tmp_path):
    f = geojson_file(tmp_path / "b.geojson", [
        {"type": "Polygon", "coordinates": [square(*ZZ)]},
        {"type": "Polygon", "coordinates": [bowtie(ZZ[0] + 0.01, ZZ[1])]},
        {"type": "Polygon", "coordinates": [bowtie(ZZ[0] + 0.02, ZZ[1])]},
    ])
    r = load_file(f, name="survey", title="测绘建筑", kind="buildings")
    layer = ReferenceLayer.objects.get(name="survey")
    assert (r.repaired, layer.repaired_count, layer.feature_count) == (2, 2, 3)
    geoms = list(ReferenceFeature.objects.filter(layer=layer).order_by("pk").values_list("geom", flat=True))
    assert all(g.valid and g.geom_type in ("Polygon", "MultiPolygon") for g in geoms)
    # a bow-tie becomes its two triangles: same footprint, half the square's area each side
    assert geoms[1].geom_type == "MultiPolygon" and len(geoms[1]) == 2
    assert abs(geoms[1].area - 0.5e-6) < 1e-12
    # one valid file: nothing repaired (the other side of the count)
    r2 = load_file(polygons_file(tmp_path / "ok.geojson"), name="survey", title="测绘建筑", kind="buildings", replace=True)
    assert (r2.repaired, ReferenceLayer.objects.get(name="survey").repaired_count) == (0, 0)


def test_mixed_geometry_types_refused_for_polygon_layer_and_stored_for_other(tmp_path):
    f = geojson_file(tmp_path / "mixed.geojson", [
        {"type": "Polygon", "coordinates": [square(*ZZ)]},
        {"type": "LineString", "coordinates": [list(ZZ), [ZZ[0] + 0.01, ZZ[1]]]},
        {"type": "Point", "coordinates": list(ZZ)},
    ])
    with pytest.raises(LoadError, match=r"只能包含面.*第 2 个（LineString）、第 3 个（Point）.*混合几何类型"):
        load_file(f, name="zones", title="开发区边界", kind="boundaries")
    assert not ReferenceLayer.objects.exists()
    r = load_file(f, name="misc", title="其他要素", kind="other")
    assert r.loaded == 3


def test_empty_layer_refused(tmp_path):
    f = tmp_path / "empty.geojson"
    f.write_text('{"type": "FeatureCollection", "features": []}', encoding="utf-8")
    with pytest.raises(LoadError, match="没有要素"):
        load_file(f, name="empty", title="空图层")
    assert not ReferenceLayer.objects.exists()


def test_projected_coordinates_without_declared_crs_refused(tmp_path):
    # CGCS2000 3-degree zone 38 (EPSG:4526) metres for 郑州, written as if they were lon/lat
    f = geojson_file(tmp_path / "proj.geojson", [{"type": "Polygon", "coordinates": [
        [[38_468_000, 3_843_000], [38_469_000, 3_843_000], [38_469_000, 3_844_000], [38_468_000, 3_843_000]]]}])
    with pytest.raises(LoadError, match="第 1 个要素：坐标超出经纬度范围.*请声明坐标系"):
        load_file(f, name="proj", title="投影数据")
    # declared, the same file lands in 郑州
    r = load_file(f, name="proj", title="投影数据", crs="EPSG:4526")
    x0, y0, x1, y1 = r.layer.extent.extent
    assert 113.0 < x0 < x1 < 114.5 and 34.2 < y0 < y1 < 35.0
    assert r.layer.source_crs == "EPSG:4526"


def test_unknown_crs_and_missing_prj_refused(tmp_path):
    f = polygons_file(tmp_path / "a.geojson")
    with pytest.raises(LoadError, match="无法识别的坐标系"):
        load_file(f, name="a", title="甲", crs="EPSG:999999")
    # a zipped shapefile without its .prj: the CRS must be declared
    import geopandas as gpd

    shp_dir = tmp_path / "shp"
    shp_dir.mkdir()
    gdf = gpd.read_file(f)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "'crs' was not provided": that is the point
        gdf.set_crs(None, allow_override=True).to_file(shp_dir / "zones.shp", engine="pyogrio")
    (shp_dir / "zones.prj").unlink(missing_ok=True)
    z = tmp_path / "zones.zip"
    with zipfile.ZipFile(z, "w") as zf:
        for p in shp_dir.iterdir():
            zf.write(p, p.name)
    with pytest.raises(LoadError, match="没有坐标系信息"):
        load_file(z, name="zones", title="片区", kind="boundaries")
    r = load_file(z, name="zones", title="片区", kind="boundaries", crs="wgs84")
    assert r.loaded == 3 and r.layer.source_crs == "EPSG:4326"
    assert ReferenceLayer.objects.count() == 1


def test_layer_outside_the_city_refused(tmp_path, regions):
    from cityrenew.projects.boundaries import load_district_boundaries

    load_district_boundaries()
    bounds = loaders.city_bounds()
    assert bounds is not None and bounds[0] < ZZ[0] < bounds[2]
    # WGS84 declared, but the polygons are in 成都: a wrong CRS or a wrong file
    f = polygons_file(tmp_path / "cd.geojson", x=104.06, y=30.66)
    with pytest.raises(LoadError, match="几何位于本市范围之外"):
        load_file(f, name="cd", title="成都", bounds=bounds)
    # inside the city: accepted with the same bounds (both sides of the check)
    assert load_file(polygons_file(tmp_path / "zz.geojson"), name="zz", title="郑州", bounds=bounds).loaded == 3


def test_gcj02_declared_is_converted_to_wgs84(tmp_path):
    f = polygons_file(tmp_path / "amap.geojson", n=1)
    r = load_file(f, name="amap", title="高德坐标", crs="gcj02")
    c = ReferenceFeature.objects.get(layer=r.layer).geom.centroid
    # GCJ-02 lies ~0.0055° east and ~0.0012° south of WGS84 in 郑州: the stored polygon moved back west, north
    assert 0.004 < ZZ[0] + 0.0005 - c.x < 0.007 and 0.0005 < c.y - (ZZ[1] + 0.0005) < 0.002
    assert r.layer.source_crs == "GCJ-02"


# --- atomic replace -------------------------------------------------------------------------------

def test_failing_replace_leaves_the_old_layer_intact(tmp_path, monkeypatch):
    old = load_file(polygons_file(tmp_path / "old.geojson", n=3), name="blocks", title="街区", kind="buildings")
    old_ids = set(ReferenceFeature.objects.filter(layer=old.layer).values_list("pk", flat=True))
    new_file = polygons_file(tmp_path / "new.geojson", n=7, y=ZZ[1] + 0.01)

    # 1. refused at the check (a feature outside lon/lat): nothing deleted
    bad = geojson_file(tmp_path / "bad.geojson", [{"type": "Polygon", "coordinates": [square(*ZZ)]},
                                                  {"type": "Point", "coordinates": [500.0, 34.7]}])
    with pytest.raises(LoadError, match="第 2 个要素"):
        load_file(bad, name="blocks", title="街区", kind="buildings", replace=True)

    # 2. fails in the middle of the write (after the old features were deleted and 2 batches written),
    #    as a worker stopped or a database error would: the transaction rolls back as a whole
    monkeypatch.setattr(loaders, "BATCH", 2)

    class Stopped(Exception):
        pass

    def stop_after_two_batches(done, total, message=""):
        if done >= 4:
            raise Stopped()

    with pytest.raises(Stopped):
        load_file(new_file, name="blocks", title="街区（新）", kind="buildings", replace=True, progress=stop_after_two_batches)
    layer = ReferenceLayer.objects.get(name="blocks")
    assert (layer.title, layer.feature_count) == ("街区", 3)
    assert set(ReferenceFeature.objects.filter(layer=layer).values_list("pk", flat=True)) == old_ids

    # 3. the same replace without the failure: 7 new features, the old ones gone, in batches of 2
    r = load_file(new_file, name="blocks", title="街区（新）", kind="buildings", replace=True)
    assert (r.replaced, r.loaded) == (3, 7)
    assert ReferenceFeature.objects.filter(layer=layer).count() == 7
    assert not ReferenceFeature.objects.filter(pk__in=old_ids).exists()


# --- permissions, CLI and the background job ------------------------------------------------------

def test_only_city_admin_loads(tmp_path, zhongyuan_editor, city_admin):
    f = polygons_file(tmp_path / "a.geojson")
    with pytest.raises(LoadError, match="只有市级管理员"):
        load_file(f, name="a", title="甲", user=zhongyuan_editor)
    with pytest.raises(LoadError, match="只有市级管理员"):
        load_osm(OSM, ["water"], user=zhongyuan_editor)
    assert not ReferenceLayer.objects.exists()
    assert load_file(f, name="a", title="甲", user=city_admin).loaded == 3


def test_cli_load_osm_and_load_layer(migrated_cli, tmp_path):
    r = migrated_cli("map", "load-osm", str(OSM), "--layers", "water,green", CITYRENEW_DEBUG="1")
    assert r.returncode == 0, r.stderr
    assert "水系（OSM）" in r.stdout and "绿地（OSM）" in r.stdout
    r = migrated_cli("map", "load-osm", str(OSM), "--layers", "water", CITYRENEW_DEBUG="1")
    assert r.returncode == 1 and "已存在" in r.stderr
    bad = geojson_file(tmp_path / "zones.geojson", [{"type": "Polygon", "coordinates": [square(*ZZ)]},
                                                    {"type": "LineString", "coordinates": [list(ZZ), [113.7, 34.8]]}])
    r = migrated_cli("map", "load-layer", str(bad), "--name", "zones", "--title", "开发区", "--kind", "boundaries",
                      CITYRENEW_DEBUG="1")
    assert r.returncode == 1 and "第 2 个（LineString）" in r.stderr
    ok = polygons_file(tmp_path / "ok.geojson")
    r = migrated_cli("map", "load-layer", str(ok), "--name", "zones", "--title", "开发区", "--kind", "boundaries",
                      "--basemap", CITYRENEW_DEBUG="1")
    assert r.returncode == 0, r.stderr
    db = migrated_cli.database
    assert db.rows("SELECT name, feature_count, basemap FROM map_referencelayer ORDER BY name") == [
        ("osm-green", 46, True), ("osm-water", 62, True), ("zones", 3, True)]


def test_load_layer_job(tmp_path, city_admin, zhongyuan_editor):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from cityrenew.core.uploads import stash_upload
    from cityrenew.jobs.choices import JobStatus
    from cityrenew.jobs.runner import launch, run_pending
    from cityrenew.map.jobs import UPLOAD_KIND

    data = polygons_file(tmp_path / "zones.geojson", n=4).read_bytes()
    token, _ = stash_upload(SimpleUploadedFile("zones.geojson", data), UPLOAD_KIND)
    job = launch("map.load_layer", owner=city_admin, token=token, filename="开发区.geojson", layer_name="zones",
                 layer_title="开发区边界", layer_kind="boundaries", anywhere=True)
    run_pending()
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED, job.error
    assert "已载入 4 个要素" in job.result_summary["text"]
    layer = ReferenceLayer.objects.get(name="zones")
    assert (layer.feature_count, layer.source) == (4, "开发区.geojson")
    assert AuditLog.objects.filter(object_repr="开发区边界", user=city_admin).exists()
    # a district editor's job fails with the reason; the layer is unchanged
    token, _ = stash_upload(SimpleUploadedFile("zones.geojson", data), UPLOAD_KIND)
    job = launch("map.load_layer", owner=zhongyuan_editor, token=token, layer_name="zones", layer_title="改", replace=True, anywhere=True)
    run_pending()
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and "只有市级管理员" in job.error
    assert ReferenceLayer.objects.get(name="zones").title == "开发区边界"


def test_load_osm_job_and_layer_names(city_admin):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from cityrenew.core.uploads import stash_upload
    from cityrenew.jobs.choices import JobStatus
    from cityrenew.jobs.runner import launch, run_pending
    from cityrenew.map.jobs import UPLOAD_KIND

    token, _ = stash_upload(SimpleUploadedFile("成都.osm.pbf", OSM.read_bytes()), UPLOAD_KIND)
    job = launch("map.load_osm", owner=city_admin, token=token, filename="成都.osm.pbf", layers="roads,water")
    run_pending()
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED, job.error
    assert "道路（OSM）" in job.result_summary["text"] and "水系（OSM）" in job.result_summary["text"]
    assert set(ReferenceLayer.objects.values_list("source", flat=True)) == {"OpenStreetMap 成都.osm.pbf"}
    # a token that names no stashed file: the job says so
    job = launch("map.load_osm", owner=city_admin, token="0" * 32 + ".pbf")
    run_pending()
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and "已失效" in job.error
    for bad in ("Roads", "道路", "a b", "x" * 65):
        with pytest.raises(LoadError, match="图层标识.*无效"):
            load_file(OSM, name=bad, title="甲")
    # /map/reference/load/ is the load page: no layer of that name, from the page or the command line
    with pytest.raises(LoadError, match="图层标识“load”是页面地址的保留字"):
        load_file(OSM, name="load", title="甲")
    with pytest.raises(LoadError, match="图层标识“My-osm-buildings”无效"):
        load_osm(OSM, ["roads"], prefix="My-osm")
