"""Pages of the reference layers (参考图层): list and detail for every signed-in user, the load page for a
市级管理员 (a GeoJSON or the real Chengdu ``.osm.pbf`` → a background job → the layer), refusals on the
form that write nothing, and the audited delete that takes the features with it."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from cityrenew.core.choices import AuditAction
from cityrenew.core.models import AuditLog
from cityrenew.jobs.choices import JobStatus
from cityrenew.jobs.models import Job
from cityrenew.jobs.runner import run_pending
from cityrenew.map.jobs import UPLOAD_KIND
from cityrenew.map.loaders import load_file
from cityrenew.map.models import ReferenceFeature, ReferenceLayer

pytestmark = pytest.mark.django_db

OSM = Path(__file__).resolve().parents[1] / "data" / "osm-chengdu-central" / "chengdu_central.osm.pbf"
ZZ = (113.54, 34.74)  # inside 中原区 as the `drawn` fixture draws it
LOAD = "/map/reference/load/"


@pytest.fixture(autouse=True)
def data_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path
    return tmp_path


def stashed(data_dir: Path) -> list[Path]:
    d = data_dir / "uploads" / UPLOAD_KIND
    return sorted(d.iterdir()) if d.is_dir() else []


def square(x: float, y: float, d: float = 0.001) -> list:
    return [[x, y], [x + d, y], [x + d, y + d], [x, y + d], [x, y]]


def geojson(geometries: list[dict]) -> bytes:
    return json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": f"地块{i + 1}"}, "geometry": g} for i, g in enumerate(geometries)]},
        ensure_ascii=False).encode()


def squares(n: int, x: float = ZZ[0], y: float = ZZ[1]) -> bytes:
    return geojson([{"type": "Polygon", "coordinates": [square(x + i * 0.002, y)]} for i in range(n)])


def layer_post(content: bytes, filename: str = "zones.geojson", **fields) -> dict:
    return {"source": "file", "file": SimpleUploadedFile(filename, content), "name": "dev-zones", "title": "开发区地块",
            "kind": "boundaries", "crs": "", **fields}


def errors(resp) -> str:
    """The text of the form's error lists."""
    html = resp.content.decode()
    return " ".join(re.sub(r"<[^>]+>", "", m) for m in re.findall(r'<ul class="errorlist[^"]*"[^>]*>(.*?)</ul>', html, re.DOTALL))


@pytest.fixture
def zones(tmp_path):
    """A reference layer of 3 squares loaded as the command line would."""
    path = tmp_path / "zones.geojson"
    path.write_bytes(squares(3))
    return load_file(path, name="zones", title="测试地块", kind="boundaries", licence="政府公开信息").layer


# --- list and detail ---------------------------------------------------------------------------------


def test_list_detail_and_history_readable_by_a_viewer(client, viewer, zones):
    client.force_login(viewer)
    resp = client.get("/map/reference/")
    assert resp.status_code == 200
    html = resp.content.decode()
    for label in ("标识", "名称", "类型", "要素数", "已修复", "原始坐标系", "来源", "许可", "用作底图"):
        assert f">{label}" in html, label
    row = re.search(rf'<tr data-pk="{zones.pk}">(.*?)</tr>', html, re.DOTALL).group(1)
    cells = [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.DOTALL)]
    assert cells == ["zones", "测试地块", "边界", "3", "0", "EPSG:4326", "zones.geojson", "政府公开信息", "否"]
    assert 'href="/map/reference/zones/"' in row
    assert "载入图层" not in html  # a viewer may not load
    assert "共 1 条" in client.get("/map/reference/?basemap=false&kind=boundaries").content.decode()
    assert "共 0 条" in client.get("/map/reference/?basemap=true").content.decode()
    resp = client.get("/map/reference/zones/")
    assert resp.status_code == 200
    html = resp.content.decode()
    # the map page reads ?layer= (map-page.js: params.get("layer")); the layer is registered as ref-<name>
    assert 'href="/map/?layer=ref-zones"' in html and "在一张图中查看" in html
    assert "经度 113.54000" in html and "删除" not in html
    assert "新增" in html  # the load, in the layer's history
    assert client.get("/map/reference/zones/history/").status_code == 200
    assert client.get("/map/reference/nothing/").status_code == 404
    # the one map's side panel links the list
    assert 'href="/map/reference/"' in client.get("/map/").content.decode()


# --- loading -------------------------------------------------------------------------------------------


def test_load_page_is_for_city_admins_only(client, viewer, zhongyuan_editor, data_dir):
    for user in (viewer, zhongyuan_editor):
        client.force_login(user)
        resp = client.get(LOAD)
        assert resp.status_code == 403 and "只有市级管理员" in resp.content.decode()
        resp = client.post(LOAD, layer_post(squares(2)))
        assert resp.status_code == 403
    assert not Job.objects.exists() and not ReferenceLayer.objects.exists() and stashed(data_dir) == []


def test_admin_uploads_a_geojson_and_the_job_loads_it(client, city_admin, drawn, data_dir):
    client.force_login(city_admin)
    resp = client.get("/map/reference/")
    assert f'href="{LOAD}"' in resp.content.decode()
    assert client.get(LOAD).status_code == 200
    resp = client.post(LOAD, layer_post(squares(4), filename="开发区.geojson", basemap="on", licence="测试"))
    job = Job.objects.get()
    assert resp.status_code == 302 and resp["Location"] == job.get_absolute_url()
    assert job.kind == "map.load_layer" and job.owner == city_admin
    assert {k: job.params[k] for k in ("filename", "layer_name", "layer_title", "layer_kind", "crs", "basemap", "replace")} == {
        "filename": "开发区.geojson", "layer_name": "dev-zones", "layer_title": "开发区地块", "layer_kind": "boundaries",
        "crs": "", "basemap": True, "replace": False}
    assert not ReferenceLayer.objects.exists()  # nothing before the job runs
    run_pending()
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED, job.error
    assert [link["url"] for link in job.result_summary["links"]] == ["/map/?layer=ref-dev-zones", "/map/reference/dev-zones/"]
    layer = ReferenceLayer.objects.get(name="dev-zones")
    assert layer.feature_count == 4 == ReferenceFeature.objects.filter(layer=layer).count()
    assert (layer.title, layer.kind, layer.source, layer.licence, layer.basemap) == ("开发区地块", "boundaries", "开发区.geojson", "测试", True)
    entry = AuditLog.objects.get(object_repr="开发区地块", action=AuditAction.CREATE)
    assert entry.user == city_admin and entry.changes["feature_count"] == [None, 4]
    assert stashed(data_dir) == []  # the job removed the upload
    # the same name again without “替换同名图层” is refused on the form; with it, replaced by the job
    resp = client.post(LOAD, layer_post(squares(2)))
    assert resp.status_code == 400 and "已存在，共 4 个要素" in errors(resp) and Job.objects.count() == 1
    resp = client.post(LOAD, layer_post(squares(2), replace="on"))
    assert resp.status_code == 302
    run_pending()
    layer.refresh_from_db()
    assert layer.feature_count == 2 == ReferenceFeature.objects.filter(layer=layer).count()


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PROJECTED = {"type": "Polygon", "coordinates": [[[464600, 3846726], [464700, 3846726], [464700, 3846826], [464600, 3846726]]]}
CHENGDU = {"type": "Polygon", "coordinates": [square(104.07, 30.66)]}


@pytest.mark.parametrize("content,filename,fields,message", [
    (PNG, "zones.geojson", {}, "扩展名是 .geojson，但内容不是 GeoJSON"),
    (b"<html><body>x</body></html>", "zones.gpkg", {}, "内容不是 GeoPackage"),
    (b"", "zones.geojson", {}, "上传的文件是空的"),
    (b'{"type": "FeatureCollection", "features": []}', "zones.geojson", {}, "图层文件 zones.geojson 中没有要素"),
    (geojson([PROJECTED]), "zones.geojson", {}, "第 1 个要素"),  # metres read as degrees: outside lon/lat
    (geojson([CHENGDU]), "zones.geojson", {}, "第 1 个要素"),  # in lon/lat, but not in this city
    (geojson([{"type": "Polygon", "coordinates": [square(*ZZ)]}, {"type": "Point", "coordinates": list(ZZ)}]),
     "zones.geojson", {}, "第 2 个（Point）"),  # a point in a layer of boundaries
    (squares(1), "zones.txt", {}, "不支持的文件类型“zones.txt”"),
    (squares(1), "zones.geojson", {"name": "Dev Zones"}, "图层标识“Dev Zones”无效"),
    (squares(1), "zones.geojson", {"crs": "epsg"}, "请填写 EPSG 代码"),
])
def test_a_bad_file_is_refused_on_the_form_and_nothing_is_written(client, city_admin, drawn, data_dir, content, filename,
                                                                  fields, message):
    client.force_login(city_admin)
    resp = client.post(LOAD, layer_post(content, filename=filename, **fields))
    assert resp.status_code == 400
    assert message in errors(resp), errors(resp)
    assert not Job.objects.exists() and not ReferenceLayer.objects.exists() and not ReferenceFeature.objects.exists()
    assert stashed(data_dir) == []


def test_a_file_above_the_page_check_is_checked_by_the_job(client, city_admin, drawn, data_dir, settings):
    """Up to CITYRENEW_IMPORT_JOB_ROWS features the form runs the loader's checks; above, the job does,
    and fails with the same reason, writing nothing."""
    settings.CITYRENEW_IMPORT_JOB_ROWS = 2
    client.force_login(city_admin)
    bad = geojson([PROJECTED] * 2)
    resp = client.post(LOAD, layer_post(bad))
    assert resp.status_code == 400 and "第 1 个要素" in errors(resp)
    resp = client.post(LOAD, layer_post(geojson([PROJECTED] * 3)))
    assert resp.status_code == 302
    run_pending()
    job = Job.objects.get()
    assert job.status == JobStatus.FAILED and "第 1 个要素" in job.error and "未写入任何数据" in job.error
    assert not ReferenceLayer.objects.exists() and not ReferenceFeature.objects.exists()


def test_osm_extract_upload_loads_roads(client, city_admin, data_dir):
    client.force_login(city_admin)
    resp = client.post(LOAD, {"source": "osm", "osm_file": SimpleUploadedFile("成都中心城区.osm.pbf", OSM.read_bytes()),
                              "layers": ["roads"]})
    job = Job.objects.get()
    assert resp.status_code == 302 and resp["Location"] == job.get_absolute_url()
    assert (job.kind, job.params["layers"], job.params["replace"]) == ("map.load_osm", "roads", False)
    run_pending()
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED, job.error
    [layer] = ReferenceLayer.objects.all()
    n = ReferenceFeature.objects.filter(layer=layer).count()
    assert layer.name == "osm-roads" and n > 0 and n == layer.feature_count
    assert layer.source == "OpenStreetMap 成都中心城区.osm.pbf" and layer.licence == "© OpenStreetMap contributors, ODbL 1.0"
    assert AuditLog.objects.filter(object_repr="道路（OSM）", action=AuditAction.CREATE, user=city_admin).exists()
    assert stashed(data_dir) == []
    # again without “替换同名图层”: refused on the form
    resp = client.post(LOAD, {"source": "osm", "osm_file": SimpleUploadedFile("a.osm.pbf", OSM.read_bytes()), "layers": ["roads"]})
    assert resp.status_code == 400 and "osm-roads 已存在" in errors(resp) and Job.objects.count() == 1


@pytest.mark.parametrize("content,filename,layers,message", [
    (b"<?xml version='1.0'?><osm version='0.6'></osm>", "city.osm.pbf", ["roads"], "内容不是 OpenStreetMap PBF"),
    (OSM.read_bytes()[:14], "city.osm.pbf", ["roads"], "内容不是 OpenStreetMap PBF"),  # cut inside “OSMHeader”
    (OSM.read_bytes(), "city.pbf", ["roads"], "请上传 OpenStreetMap 的 .osm.pbf 文件"),
    (OSM.read_bytes(), "city.osm.pbf", [], "请至少选择一个图层"),
    (OSM.read_bytes(), "city.osm.pbf", ["railways"], "railways"),
])
def test_a_bad_osm_upload_is_refused(client, city_admin, data_dir, content, filename, layers, message):
    client.force_login(city_admin)
    resp = client.post(LOAD, {"source": "osm", "osm_file": SimpleUploadedFile(filename, content), "layers": layers})
    assert resp.status_code == 400 and message in errors(resp), errors(resp)
    assert not Job.objects.exists() and stashed(data_dir) == []


# --- delete ----------------------------------------------------------------------------------------------


def test_delete_by_admin_takes_the_features_and_is_audited_a_viewer_is_refused(client, viewer, city_admin, zones):
    url = "/map/reference/zones/delete/"
    client.force_login(viewer)
    assert client.get(url).status_code == 403
    resp = client.post(url, {"row_version": zones.row_version})
    assert resp.status_code == 403 and "只有市级管理员" in resp.content.decode()
    assert ReferenceFeature.objects.filter(layer=zones).count() == 3
    client.force_login(city_admin)
    assert "删除" in client.get("/map/reference/zones/").content.decode()
    resp = client.get(url)
    assert resp.status_code == 200 and "图层的 3 个要素一并删除" in resp.content.decode()
    resp = client.post(url, {"row_version": zones.row_version})
    assert resp.status_code == 302 and resp["Location"] == "/map/reference/"
    assert not ReferenceLayer.objects.exists() and not ReferenceFeature.objects.exists()
    entry = AuditLog.objects.get(object_repr="测试地块", action=AuditAction.DELETE)
    assert entry.user == city_admin and entry.changes["feature_count"] == [3, None]
