"""Region boundaries from any polygon layer (core.boundaries over core.geofiles): matching by name and
alias, zones created under a parent, CRS, repairs, bad input, permissions, audit, CLI and page."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from pyproj import Transformer

from cityrenew.core.boundaries import import_boundaries
from cityrenew.core.choices import RegionKind, RegionLevel
from cityrenew.core.geofiles import GeoFileError, list_layers, read_layer
from cityrenew.core.models import AuditLog, Region
from cityrenew.projects.demo import ZONES_FILE

pytestmark = pytest.mark.django_db

# A square in 郑东新区 around the CBD's 如意湖 (WGS84).
CBD = shapely.box(113.715, 34.765, 113.735, 34.785)
# The same area as a self-intersecting "bow-tie" ring: valid after make_valid as two triangles.
BOWTIE = shapely.Polygon([(113.52, 34.80), (113.58, 34.85), (113.58, 34.80), (113.52, 34.85), (113.52, 34.80)])


@pytest.fixture
def boundaries(regions):
    from cityrenew.projects.boundaries import load_district_boundaries

    load_district_boundaries(Region.objects.get(code="410100"))
    return regions


def geojson(tmp_path: Path, features: list[tuple[dict, dict | None]], name: str = "zones.geojson") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": p, "geometry": g} for p, g in features]}, ensure_ascii=False), encoding="utf-8")
    return path


def region_state():
    return (sorted(Region.objects.values_list("code", "boundary", "boundary_source")), AuditLog.objects.count())


def test_the_demo_zones_file_draws_the_four_development_zones(boundaries, city_admin):
    assert all(Region.objects.get(code=c).boundary is None for c in ("410171", "410172", "4101ZD", "410173"))
    report = import_boundaries(ZONES_FILE, user=city_admin)
    assert report.ok, report.summary_text()
    assert sorted(report.updated) == sorted(["郑东新区", "经开区", "高新区", "航空港区"])
    for code in ("410171", "410172", "4101ZD", "410173"):
        r = Region.objects.get(code=code)
        assert r.boundary.geom_type == "MultiPolygon" and r.boundary.valid
        assert r.boundary_source == "示意范围：CityRenew 按公开资料近似绘制，非法定边界"
        assert r.boundary.contains(shapely_point(r.centroid_lon, r.centroid_lat))
    # 航空港区 holds 新郑国际机场 (113.84°E, 34.52°N); 郑东新区 the CBD
    assert Region.objects.get(code="410173").boundary.contains(shapely_point(113.84, 34.52))
    assert Region.objects.get(code="4101ZD").boundary.contains(shapely_point(113.725, 34.775))
    ct = ContentType.objects.get_for_model(Region)
    log = AuditLog.objects.filter(content_type=ct, object_id=str(Region.objects.get(code="4101ZD").pk)).latest("id")
    assert log.user == city_admin and log.changes["boundary"][0] is None and log.changes["boundary"][1].startswith("MULTIPOLYGON")
    n = AuditLog.objects.count()
    again = import_boundaries(ZONES_FILE, user=city_admin)
    assert again.ok and len(again.unchanged) == 4 and not again.updated and AuditLog.objects.count() == n


def shapely_point(lon, lat):
    from django.contrib.gis.geos import Point

    return Point(lon, lat, srid=4326)


def test_geopackage_in_gauss_kruger_with_layer_choice_and_new_zone_under_parent(boundaries, tmp_path):
    to_gk = Transformer.from_crs("EPSG:4490", "EPSG:4547", always_xy=True)
    gk = shapely.transform(CBD, lambda xy: np.column_stack(to_gk.transform(xy[:, 0], xy[:, 1])))
    gdf = gpd.GeoDataFrame({"qhmc": ["郑州郑东新区", "测试功能区"]}, geometry=[gk, shapely.affinity.translate(gk, 5000, 0)], crs="EPSG:4547")
    path = tmp_path / "zones.gpkg"
    gdf.to_file(path, layer="开发区", driver="GPKG")
    gdf.iloc[:1].to_file(path, layer="草稿", driver="GPKG")
    assert list_layers(path) == ["开发区", "草稿"]
    report = import_boundaries(path, name_field="qhmc")
    assert [e.field for e in report.errors] == ["图层"]

    # without a parent, a name that matches no region is an error and nothing is written
    before = region_state()
    report = import_boundaries(path, name_field="qhmc", layer="开发区")
    assert [str(e) for e in report.errors] == ["第 2 行「qhmc」：郑州市以下没有名为“测试功能区”的区划；如需新建，请选择上级区划（--parent）"]
    assert region_state() == before

    city = Region.objects.get(code="410100")
    report = import_boundaries(path, name_field="qhmc", layer="开发区", parent=city)
    assert report.ok, report.summary_text()
    assert report.updated == ["郑东新区"] and report.created == ["测试功能区"]
    zd = Region.objects.get(code="4101ZD")  # matched by its alias 郑州郑东新区
    assert zd.boundary.extent == pytest.approx(CBD.bounds, abs=1e-7)
    new = Region.objects.get(name="测试功能区")
    assert (new.parent, new.level, new.kind, new.code) == (city, RegionLevel.DISTRICT, RegionKind.DEVELOPMENT_ZONE, "410100K01")
    assert new.boundary_source == "导入：zones.gpkg · 图层 开发区 · EPSG:4547（文件）"


def test_invalid_polygon_repaired_and_counted(boundaries, tmp_path):
    path = geojson(tmp_path, [({"name": "高新区"}, shapely.geometry.mapping(BOWTIE))])
    assert not BOWTIE.is_valid
    report = import_boundaries(path)
    assert report.ok and report.repaired == 1 and "修复无效面（自相交等）1 个" in report.headline()
    b = Region.objects.get(code="410172").boundary
    assert b.valid and len(b) == 2 and b.area == pytest.approx(shapely.make_valid(BOWTIE).area, rel=1e-9) == 0.0015  # both triangles kept


def test_mixed_types_refused_with_rows_and_nothing_written(boundaries, tmp_path):
    path = geojson(tmp_path, [
        ({"name": "高新区"}, shapely.geometry.mapping(CBD)),
        ({"name": "经开区"}, {"type": "LineString", "coordinates": [[113.72, 34.68], [113.80, 34.66]]}),
        ({"name": "航空港区"}, {"type": "Point", "coordinates": [113.84, 34.52]}),
    ])
    before = region_state()
    report = import_boundaries(path)
    assert [str(e) for e in report.errors] == [
        "第 2 行「几何」：边界应为面（Polygon/MultiPolygon），该要素是线（LineString）",
        "第 3 行「几何」：边界应为面（Polygon/MultiPolygon），该要素是点（Point）",
    ]
    assert region_state() == before


def test_layer_outside_the_city_refused(boundaries, tmp_path):
    # undeclared projected CRS: GK metres in a GeoJSON (which says WGS84)
    to_gk = Transformer.from_crs("EPSG:4490", "EPSG:4547", always_xy=True)
    gk = shapely.transform(CBD, lambda xy: np.column_stack(to_gk.transform(xy[:, 0], xy[:, 1])))
    before = region_state()
    report = import_boundaries(geojson(tmp_path, [({"name": "郑东新区"}, shapely.geometry.mapping(gk))], "gk.geojson"))
    assert [e.field for e in report.errors] == ["坐标系"] and "请声明坐标系 EPSG:4547" in report.errors[0].message
    # swapped longitude and latitude
    swapped = shapely.transform(CBD, lambda xy: xy[:, ::-1].copy())
    report = import_boundaries(geojson(tmp_path, [({"name": "郑东新区"}, shapely.geometry.mapping(swapped))], "swapped.geojson"))
    assert "经度和纬度似乎填反了" in report.errors[0].message
    # somewhere else (Beijing)
    beijing = shapely.box(116.38, 39.90, 116.40, 39.92)
    report = import_boundaries(geojson(tmp_path, [({"name": "郑东新区"}, shapely.geometry.mapping(beijing))], "bj.geojson"))
    assert report.errors[0].message.startswith("图层位于本市范围之外（图层范围 116.3800,39.9000 – 116.4000,39.9200")
    assert region_state() == before


def test_empty_layer_and_missing_name_column(boundaries, tmp_path):
    with pytest.raises(GeoFileError, match="图层“empty”中没有要素（空图层）"):
        read_layer(geojson(tmp_path, [], "empty.geojson"))
    report = import_boundaries(geojson(tmp_path, [({"mingcheng": "高新区"}, shapely.geometry.mapping(CBD))], "x.geojson"))
    assert [str(e) for e in report.errors] == ["「字段」：找不到名称字段（可用名称：名称、区划名称、区域、name、NAME、mc、qhmc），请指定字段；现有字段：mingcheng"]


def test_zip_without_shp_and_without_dbf(tmp_path):
    bad = tmp_path / "bad.zip"
    with zipfile.ZipFile(bad, "w") as zf:
        zf.writestr("readme.txt", "nothing")
    with pytest.raises(GeoFileError, match="压缩包中没有 .shp 文件"):
        read_layer(bad)
    partial = tmp_path / "partial.zip"
    with zipfile.ZipFile(partial, "w") as zf:
        zf.writestr("a.shp", b"\x00" * 100)
        zf.writestr("a.shx", b"\x00" * 100)
    with pytest.raises(GeoFileError, match="压缩包中缺少 a.dbf"):
        read_layer(partial)


def test_only_a_city_admin_may_import(boundaries, zhongyuan_editor, tmp_path):
    before = region_state()
    report = import_boundaries(ZONES_FILE, user=zhongyuan_editor)
    assert [str(e) for e in report.errors] == ["「权限」：无权导入区划边界：只有市级管理员可以导入或修改行政区划边界"]
    assert region_state() == before


def test_cli_import_boundaries(boundaries, tmp_path, capsys):
    path = geojson(tmp_path, [({"mc": "新建功能区"}, shapely.geometry.mapping(CBD))])
    with pytest.raises(CommandError) as exc:
        call_command("regions", "import-boundaries", str(path), "--name-field", "mc")
    assert exc.value.returncode == 1 and "没有名为“新建功能区”的区划" in capsys.readouterr().out
    call_command("regions", "import-boundaries", str(path), "--name-field", "mc", "--parent", "410100", "--crs", "cgcs2000")
    assert "新建区划 1 个" in capsys.readouterr().out
    assert Region.objects.get(name="新建功能区").boundary.extent == pytest.approx(CBD.bounds, abs=1e-9)


def test_boundary_page_dry_run_then_confirm(boundaries, client, city_admin, viewer):
    client.force_login(viewer)
    assert client.get("/regions/boundaries/import/").status_code == 403
    client.force_login(city_admin)
    page = client.get("/regions/").content.decode()
    assert 'href="/regions/boundaries/import/"' in page
    data = ZONES_FILE.read_bytes()
    resp = client.post("/regions/boundaries/import/", {"file": SimpleUploadedFile("开发区.geojson", data), "crs": ""})
    body = resp.content.decode()
    assert resp.status_code == 200 and "试运行通过" in body and "更新边界 4 个" in body
    assert Region.objects.get(code="4101ZD").boundary is None
    token = resp.context["token"]
    resp = client.post("/regions/boundaries/import/", {"confirm": "1", "token": token, "filename": "开发区.geojson", "crs": "",
                                                       "epsg": "", "layer": "", "match_field": "name", "parent": ""})
    assert resp.status_code == 200 and "导入完成" in resp.content.decode()
    assert Region.objects.get(code="4101ZD").boundary is not None
    # a bad file: the report lists the reason, status 400
    bad = SimpleUploadedFile("x.geojson", json.dumps({"type": "FeatureCollection", "features": []}).encode())
    resp = client.post("/regions/boundaries/import/", {"file": bad, "crs": ""})
    assert resp.status_code == 400 and "空图层" in resp.content.decode()


def test_check_up_unit_without_region_gets_the_district_holding_its_point(boundaries, city_admin):
    """Region auto-fill (map.spatial.region_at): a unit row with lon/lat and no 所在区划."""
    import io

    from openpyxl import Workbook

    from cityrenew.checkup.models import AssessmentUnit
    from cityrenew.checkup.services.units import import_units_excel

    wb = Workbook()
    ws = wb.active
    ws.append(["名称", "类型", "所在区划", "经度", "纬度"])
    ws.append(["建设路小区", "小区", None, 113.6134, 34.7482])  # in 中原区, no street boundary drawn
    ws.append(["远郊小区", "小区", None, 112.50, 34.00])  # outside every boundary: still an error
    buf = io.BytesIO()
    wb.save(buf)
    report = import_units_excel(io.BytesIO(buf.getvalue()), Region.objects.get(code="410100"), city_admin)
    assert [str(e) for e in report.errors] == ["第 3 行「所在区划」：不能为空"]
    ws.delete_rows(3)
    buf = io.BytesIO()
    wb.save(buf)
    report = import_units_excel(io.BytesIO(buf.getvalue()), Region.objects.get(code="410100"), city_admin)
    assert report.ok, report.errors
    assert AssessmentUnit.objects.get(name="建设路小区").region.code == "410102"


def test_page_refuses_a_geodata_file_whose_content_is_not_what_its_name_says(boundaries, client, city_admin):
    client.force_login(city_admin)
    fake = SimpleUploadedFile("边界.gpkg", b"<html><script>alert(1)</script></html>")
    resp = client.post("/regions/boundaries/import/", {"file": fake, "crs": ""})
    assert resp.status_code == 400
    assert "文件“边界.gpkg”的扩展名是 .gpkg，但内容不是 GeoPackage" in resp.content.decode()
    resp = client.post("/regions/boundaries/import/", {"file": SimpleUploadedFile("a.kml", b"<kml/>"), "crs": ""})
    assert resp.status_code == 400 and "不支持的文件类型“a.kml”" in resp.content.decode()
