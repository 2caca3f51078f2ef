"""Assessment-unit pages (体检单元), their import (dry run → confirm) and the engine summary upload on a run.

Real SQLite, real xlsx files (openpyxl), real geodata (geopandas writes a GBK Shapefile in CGCS2000
and a GeoJSON), the real ``cityrenew`` script for the CLI and a real Chromium for the map.
"""

from __future__ import annotations

import io
import json
import math
import re
import zipfile
from decimal import Decimal
from pathlib import Path

import geopandas as gpd
import pytest
from conftest import login
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook
from shapely.geometry import Point

from cityrenew.checkup import services as svc
from cityrenew.checkup.catalogue import SET_2025
from cityrenew.checkup.choices import ValueSource
from cityrenew.checkup.models import AssessmentUnit, IndicatorValue
from cityrenew.checkup.services.units import import_units_excel
from cityrenew.core.models import AuditLog, Region
from cityrenew.engine.crs import gcj02_to_wgs84, wgs84_to_gcj02
from cityrenew.jobs.models import Job
from cityrenew.jobs.runner import run_pending

from .conftest import UNIT_HEADERS, UNITS, xlsx_bytes

pytestmark = pytest.mark.django_db

IMPORT_URL = "/checkup/units/import/"
BAD_ROWS = [
    ("", "好小区", "小区", "伏牛路社区", "", 113.62, 34.75, 1990, 100),
    ("", "", "小区", "伏牛路社区", "", 113.62, 34.75, None, None),
    ("", "坏类型", "大院", "伏牛路社区", "", 113.62, 34.75, None, None),
]


@pytest.fixture(autouse=True)
def data_dir(settings, tmp_path):
    settings.DATA_DIR = str(tmp_path / "data")
    return tmp_path / "data" / "uploads" / "unit-imports"


def _codes(html: str) -> list[str]:
    return re.findall(r'<tr data-testid="unit-row"><td>([^<]+)</td>', html)


def _metres(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    r = 6371008.8
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    return 2 * r * math.asin(math.sqrt(a))


def city_admin_of(make_user):
    return make_user("zzadmin", "city_admin", "410100")


def _dry_run(client, name: str, data: bytes, **fields):
    post = {"city": Region.objects.get(code="410100").pk, "crs": "auto", **fields,
            "file": SimpleUploadedFile(name, data)}
    return client.post(IMPORT_URL, post)


def _confirm(client, resp):
    form = {"confirm": "1", "token": resp.context["token"], "filename": resp.context["filename"], **resp.context["options"]}
    return client.post(IMPORT_URL, form)


# --- list and detail -------------------------------------------------------------------------------


def test_list_filters_by_kind_region_with_descendants_parent_and_keyword(client, units, viewer, regions):
    client.force_login(viewer)
    url = reverse("checkup:unit_list")
    html = client.get(url).content.decode()
    assert sorted(_codes(html)) == sorted(units)
    assert "共 7 个体检单元" in html and "住房（楼栋） 3" in html and "小区 2" in html and "街区 2" in html

    assert sorted(_codes(client.get(url, {"kind": "building"}).content.decode())) == ["T-B01", "T-B02", "T-B03"]
    # 中原区 includes units registered on its streets and communities
    html = client.get(url, {"region": regions["中原区"].pk}).content.decode()
    assert sorted(_codes(html)) == ["T-B01", "T-B02", "T-J01", "T-X01"]
    # counts by type follow the other filters
    assert "住房（楼栋） 2" in html and "街区 1" in html
    html = client.get(url, {"parent": units["T-X01"].pk}).content.decode()
    assert sorted(_codes(html)) == ["T-B01", "T-B02"] and "伏牛路小区" in html
    assert sorted(_codes(client.get(url, {"q": "建中"}).content.decode())) == ["T-B03", "T-J02", "T-X02"]
    assert _codes(client.get(url, {"q": "建中", "kind": "compound"}).content.decode()) == ["T-X02"]


def test_detail_shows_attributes_children_problems_and_history(client, units, sets, regions, city_admin, viewer):
    run = svc.create_run(regions["郑州市"], 2025, sets[SET_2025], city_admin)
    svc.record_problem(run, sets[SET_2025].indicators.get(number=2), units["T-B01"], city_admin,
                       sub_problem="2.2.1", description="水平干管锈蚀")
    client.force_login(viewer)
    html = client.get(reverse("checkup:unit_detail", args=[units["T-B01"].pk])).content.decode()
    assert "伏牛路小区1号楼" in html and "水平干管锈蚀" in html and 'data-testid="unit-problem-row"' in html
    assert "year_built" in html and "1992" in html  # attributes table
    assert f'href="/checkup/units/{units["T-X01"].pk}/" data-testid="unit-parent"' in html
    # change history: created by the city admin's import
    assert "变更记录" in html and city_admin.username in html and "伏牛路小区1号楼" in html
    html = client.get(reverse("checkup:unit_detail", args=[units["T-X01"].pk])).content.decode()
    assert 'data-testid="unit-children"' in html and "伏牛路小区2号楼" in html and "没有记录问题" in html


# --- import ------------------------------------------------------------------------------------------


def test_bad_excel_dry_run_reports_rows_and_writes_nothing(client, city_admin, data_dir):
    client.force_login(city_admin)
    logs = AuditLog.objects.count()
    resp = _dry_run(client, "bad.xlsx", xlsx_bytes(UNIT_HEADERS, BAD_ROWS))
    assert resp.status_code == 400
    html = resp.content.decode()
    assert "第 3 行「名称」：不能为空" in html
    assert "第 4 行「类型」：“大院”不是有效的体检单元类型，应为住房（楼栋）、小区、社区、街区或城区" in html
    assert 'data-testid="confirm-form"' not in html
    assert AssessmentUnit.objects.count() == 0 and AuditLog.objects.count() == logs
    assert not any(data_dir.iterdir())  # a refused file is not kept


def test_dry_run_then_confirm_writes_units_audited_with_the_user(client, city_admin, data_dir):
    client.force_login(city_admin)
    resp = _dry_run(client, "units.xlsx", xlsx_bytes(UNIT_HEADERS, UNITS))
    assert resp.status_code == 200
    assert "将新增 7 个、更新 0 个" in resp.content.decode()
    assert AssessmentUnit.objects.count() == 0 and AuditLog.objects.filter(
        content_type=ContentType.objects.get_for_model(AssessmentUnit)).count() == 0
    assert [p.name for p in data_dir.iterdir()] == [resp.context["token"]]

    done = _confirm(client, resp)
    assert done.status_code == 200 and 'data-testid="import-committed"' in done.content.decode()
    assert AssessmentUnit.objects.count() == 7
    assert AssessmentUnit.objects.get(code="T-B01").parent.code == "T-X01"
    created = AuditLog.objects.filter(content_type=ContentType.objects.get_for_model(AssessmentUnit), action="create")
    assert created.count() == 7 and set(created.values_list("user", flat=True)) == {city_admin.pk}
    assert not any(data_dir.iterdir())
    # the same token cannot be replayed, and a made-up path is never opened
    again = client.post(IMPORT_URL, {"confirm": "1", "token": resp.context["token"], "city": resp.context["options"]["city"]})
    assert again.status_code == 302
    evil = client.post(IMPORT_URL, {"confirm": "1", "token": "../../cityrenew.sqlite3", "city": resp.context["options"]["city"]})
    assert evil.status_code == 302 and AssessmentUnit.objects.count() == 7


def test_template_download_has_the_importer_columns_and_its_example_imports(client, units, city_admin):
    client.force_login(city_admin)
    resp = client.get(reverse("checkup:unit_template"))
    assert resp.status_code == 200
    ws = load_workbook(io.BytesIO(resp.content))["体检单元"]
    assert [c.value for c in ws[1]] == ["编码", "名称", "类型", "所在区划", "上级单元", "经度", "纬度", "建成年代", "户数", "人口"]
    report = import_units_excel(io.BytesIO(resp.content), Region.objects.get(code="410100"), city_admin)
    assert report.ok and report.created == 0 and report.updated == 1  # the example is 伏牛路小区 (T-X01), re-parented
    assert AssessmentUnit.objects.get(code="T-X01").attributes["population"] == 1180


def test_zipped_gbk_shapefile_in_cgcs2000_without_cpg(client, regions, city_admin, tmp_path):
    gdf = gpd.GeoDataFrame(
        {"名称": ["碧云小区", "绿城苑"], "建成年代": [1995, 1998]},
        geometry=[Point(113.6205, 34.7552), Point(113.6463, 34.7372)], crs="EPSG:4326",
    ).to_crs("EPSG:4547")  # CGCS2000 / 3-degree Gauss-Krüger CM 114E
    shp_dir = tmp_path / "shp"
    shp_dir.mkdir()
    gdf.to_file(shp_dir / "小区.shp", encoding="gbk")
    (shp_dir / "小区.cpg").unlink(missing_ok=True)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for p in sorted(shp_dir.iterdir()):
            zf.write(p, f"小区/{p.name}")
    assert sorted(Path(n).suffix for n in zipfile.ZipFile(io.BytesIO(buf.getvalue())).namelist()) == [".dbf", ".prj", ".shp", ".shx"]

    client.force_login(city_admin)
    resp = _dry_run(client, "xiaoqu.zip", buf.getvalue(), kind="compound", region="中原区")
    html = resp.content.decode()
    assert resp.status_code == 200, html
    assert "将新增 2 个" in html and "EPSG:4547" in html and "gb" in html.lower()
    assert AssessmentUnit.objects.count() == 0
    assert _confirm(client, resp).status_code == 200
    u = AssessmentUnit.objects.get(name="碧云小区")
    assert u.kind == "compound" and u.region == regions["中原区"] and u.attributes == {"year_built": 1995}  # GBK field name decoded and mapped
    assert u.centroid_lon == pytest.approx(113.6205, abs=1e-6) and u.centroid_lat == pytest.approx(34.7552, abs=1e-6)
    assert AssessmentUnit.objects.filter(name="绿城苑").exists()


def test_gcj02_geojson_declared_lands_on_the_wgs84_point(client, regions, city_admin, tmp_path):
    wlon, wlat = 113.6236, 34.7541
    glon, glat = (float(v) for v in wgs84_to_gcj02(wlon, wlat))
    fc = {"type": "FeatureCollection", "features": [{"type": "Feature", "geometry": {"type": "Point", "coordinates": [glon, glat]},
                                                     "properties": {"名称": "高德点位小区", "类型": "小区", "所在区划": "绿东村街道"}}]}
    client.force_login(city_admin)
    resp = _dry_run(client, "amap.geojson", json.dumps(fc, ensure_ascii=False).encode(), crs="gcj02")
    assert resp.status_code == 200, resp.content.decode()
    _confirm(client, resp)
    u = AssessmentUnit.objects.get(name="高德点位小区")
    elon, elat = (float(v) for v in gcj02_to_wgs84(glon, glat))
    assert _metres(u.centroid_lon, u.centroid_lat, elon, elat) < 3
    assert _metres(u.centroid_lon, u.centroid_lat, wlon, wlat) < 3
    assert _metres(glon, glat, wlon, wlat) > 100  # the GCJ-02 offset is real, and it was removed
    assert u.geometry.geom_type == "Point"


def test_bad_zip_and_epsg_without_code_are_chinese_errors(client, city_admin):
    client.force_login(city_admin)
    resp = _dry_run(client, "x.zip", b"not a zip")
    assert resp.status_code == 400 and "无法打开压缩包" in resp.content.decode()
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("readme.txt", "no layer")
    resp = _dry_run(client, "y.zip", buf.getvalue())
    assert resp.status_code == 400 and "压缩包中没有 .shp 文件" in resp.content.decode()
    resp = _dry_run(client, "units.xlsx", xlsx_bytes(UNIT_HEADERS, UNITS), crs="epsg")
    assert resp.status_code == 400 and "请填写代码" in resp.content.decode()
    resp = _dry_run(client, "units.csv", b"a,b")
    assert resp.status_code == 400 and "不支持的文件类型" in resp.content.decode()
    assert AssessmentUnit.objects.count() == 0


def test_viewer_and_editor_of_another_city_get_403_and_district_editor_stays_in_district(
    client, regions, viewer, zhongyuan_editor, make_user
):
    chengdu = Region.objects.create(code="510100", name="成都市", level="city", kind="prefecture_city", parent=None)
    Region.objects.create(code="510104", name="锦江区", level="district", kind="district", parent=chengdu)
    other = make_user("jjeditor", "district_editor", "510104")
    data = xlsx_bytes(UNIT_HEADERS, UNITS)
    for user in (viewer, other):
        client.force_login(user)
        resp = client.get(IMPORT_URL)
        assert resp.status_code == 403 and "只有本市的市级管理员或区级编辑可以导入体检单元" in resp.content.decode()
        assert _dry_run(client, "units.xlsx", data).status_code == 403
    assert AssessmentUnit.objects.count() == 0
    # a 中原区 editor may import, but not units of 二七区
    client.force_login(zhongyuan_editor)
    assert client.get(IMPORT_URL).status_code == 200
    resp = _dry_run(client, "units.xlsx", data)
    html = resp.content.decode()
    assert resp.status_code == 400 and "体检单元“建中街街区”位于二七区 · 建中街街道，不在您的授权区划内" in html
    zhongyuan_only = [r for r in UNITS if r[0] in ("T-J01", "T-X01", "T-B01", "T-B02")]
    resp = _dry_run(client, "zy.xlsx", xlsx_bytes(UNIT_HEADERS, zhongyuan_only))
    assert resp.status_code == 200 and _confirm(client, resp).status_code == 200
    assert AssessmentUnit.objects.count() == 4
    # nor move a unit of 二七区 into 中原区: the unit's old district counts too
    client.force_login(city_admin_of(make_user))
    assert _confirm(client, _dry_run(client, "eq.xlsx", xlsx_bytes(UNIT_HEADERS, [r for r in UNITS if r[0] == "T-J02"]))).status_code == 200
    client.force_login(zhongyuan_editor)
    moved = [("T-J02", "建中街街区", "街区", "绿东村街道", "", 113.6236, 34.7541, None, None)]
    resp = _dry_run(client, "move.xlsx", xlsx_bytes(UNIT_HEADERS, moved))
    assert resp.status_code == 400
    assert "体检单元“建中街街区”原属二七区 · 建中街街道，不在您的授权区划内，不能移入本区" in resp.content.decode()
    assert AssessmentUnit.objects.get(code="T-J02").region.name == "建中街街道"


# --- engine results on a run ---------------------------------------------------------------------------


def _summary() -> dict:
    """A summary in the shape of ``CoverageResult.summary()``."""
    return {
        "crs": "EPSG:32649", "units": 12, "units_evaluated": 12, "units_outside_network": 0,
        "checkup_values": [
            {"indicator_number": 22, "code": "I22_MIDDLE_1000", "value": 87.5, "unit": "%", "basis": "小区个数"},
            {"indicator_number": 13, "code": "I13_PRIMARY_500", "value": 91.67, "unit": "%", "basis": "小区个数"},
            {"indicator_number": 35, "code": "I35_ROAD_DENSITY", "value": 7.62, "unit": "千米/平方千米", "basis": "行政区面积"},
        ],
    }


def test_engine_summary_upload_attaches_values_and_lists_skipped(client, sets, regions, city_admin, viewer):
    run = svc.create_run(regions["郑州市"], 2025, sets[SET_2025], city_admin)
    url = reverse("checkup:run_engine", args=[run.pk])
    client.force_login(viewer)
    assert 'data-testid="engine-form"' not in client.get(reverse("checkup:run_detail", args=[run.pk])).content.decode()
    resp = client.post(url, {"file": SimpleUploadedFile("summary.json", json.dumps(_summary()).encode())})
    assert resp.status_code == 403 and not IndicatorValue.objects.filter(run=run).exists()

    client.force_login(city_admin)
    assert 'data-testid="engine-form"' in client.get(reverse("checkup:run_detail", args=[run.pk])).content.decode()
    resp = client.post(url, {"file": SimpleUploadedFile("summary.json", json.dumps(_summary(), ensure_ascii=False).encode())})
    assert resp.status_code == 302 and resp["Location"].startswith("/jobs/")  # attached by a background job
    assert not IndicatorValue.objects.filter(run=run).exists()
    assert run_pending() == 1
    job = Job.objects.get(kind="checkup.engine")
    assert job.status == "succeeded", job.error
    assert job.result_summary["attached"] == ["I22_MIDDLE_1000", "I35_ROAD_DENSITY"]
    html = client.get(resp["Location"]).content.decode()
    assert "I13_PRIMARY_500" in html and "辅助空间校核（指标13为学位缺口数）" in html
    middle = IndicatorValue.objects.get(run=run, indicator__number=22, unit__isnull=True)
    assert middle.value == Decimal("87.5") and middle.source == ValueSource.SPATIAL
    assert middle.get_history().filter(user=city_admin, action="create").exists()
    assert IndicatorValue.objects.get(run=run, indicator__number=35, unit__isnull=True).value == Decimal("7.62")


def test_engine_summary_errors_are_chinese_and_attach_nothing(client, sets, regions, city_admin):
    run = svc.create_run(regions["郑州市"], 2025, sets[SET_2025], city_admin)
    url = reverse("checkup:run_engine", args=[run.pk])
    client.force_login(city_admin)
    resp = client.post(url, {"file": SimpleUploadedFile("summary.json", b"{not json")})
    assert resp.status_code == 400 and "不是有效的 JSON（第 1 行第 2 列" in resp.content.decode()
    resp = client.post(url, {"file": SimpleUploadedFile("summary.json", json.dumps({"crs": "EPSG:4326"}).encode())})
    assert resp.status_code == 400 and "没有 checkup_values 列表" in resp.content.decode()
    resp = client.post(url, {})
    assert resp.status_code == 400 and "请选择 summary.json 文件" in resp.content.decode()
    assert not IndicatorValue.objects.filter(run=run).exists()


# --- command line ----------------------------------------------------------------------------------------


@pytest.mark.django_db(False)
def test_cli_units_import_dry_run_commit_and_errors(tmp_path, migrated_cli):
    def _cli(args, env):
        return migrated_cli(*args, **env)

    db = migrated_cli.database
    env = {"CITYRENEW_DATA_DIR": str(tmp_path / "data")}
    assert _cli(["regions", "load"], env).returncode == 0

    def count() -> int:
        return db.scalar("SELECT COUNT(*) FROM checkup_assessmentunit")

    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(xlsx_bytes(UNIT_HEADERS, BAD_ROWS))
    r = _cli(["checkup", "units", "import", str(bad), "--city", "郑州市"], env)
    assert r.returncode != 0 and "第 3 行「名称」：不能为空" in r.stderr and count() == 0

    good = tmp_path / "units.xlsx"
    glon, glat = (float(v) for v in wgs84_to_gcj02(113.6205, 34.7552))
    good.write_bytes(xlsx_bytes(UNIT_HEADERS, [("G-X01", "伏牛路小区", "小区", "中原区", "", glon, glat, 1992, 420)]))
    r = _cli(["checkup", "units", "import", str(good), "--city", "郑州市", "--crs", "gcj02", "--dry-run"], env)
    assert r.returncode == 0, r.stderr
    assert "将新增1个" in r.stdout and count() == 0
    r = _cli(["checkup", "units", "import", str(good), "--city", "郑州市", "--crs", "gcj02"], env)
    assert r.returncode == 0 and "新增1个" in r.stdout and count() == 1
    lon, lat = db.rows("SELECT centroid_lon, centroid_lat FROM checkup_assessmentunit")[0]
    assert _metres(lon, lat, 113.6205, 34.7552) < 1
    r = _cli(["checkup", "units", "import", str(good), "--city", "郑州市", "--crs", "EPSG:99999"], env)
    assert r.returncode != 0 and "无法识别的坐标系" in r.stderr


# --- browser -------------------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_unit_detail_map_draws_the_geometry(live_server, page, units, viewer, screenshot_dir):
    u = units["T-X01"]
    u.geometry = "POLYGON((113.619 34.754, 113.622 34.754, 113.622 34.7565, 113.619 34.7565, 113.619 34.754))"
    u.save()
    login(page, live_server, viewer.username, "pass-" + viewer.username)
    page.goto(live_server.url + reverse("checkup:unit_detail", args=[u.pk]))
    page.wait_for_selector("#unit-map[data-ready='1']")
    assert page.evaluate("() => document.querySelector('#unit-map canvas').width") > 0
    page.screenshot(path=str(screenshot_dir / "checkup-unit-detail.png"), full_page=True)
    page.goto(live_server.url + reverse("checkup:unit_list") + "?kind=building")
    assert page.locator("[data-testid=unit-row]").count() == 3
