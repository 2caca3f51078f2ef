"""Export of the current view: GeoJSON, GeoPackage and xlsx opened back (json, pyogrio, openpyxl); the box
and the filters apply; formula-like names stay text; large exports run as a background job."""

from __future__ import annotations

import io
import json

import pyogrio
import pytest
from openpyxl import load_workbook

from cityrenew.jobs.choices import JobStatus
from cityrenew.jobs.models import Job
from cityrenew.jobs.runner import run_pending

pytestmark = pytest.mark.django_db

WEST_OF_ERQI = "113.45,34.65,113.59,34.85"  # 中原区's projects only


def body(response) -> bytes:
    return b"".join(response.streaming_content)


def test_geojson_export_with_box_and_filters(signed_in, viewer, projects):
    c = signed_in(viewer)
    r = c.get("/map/export", {"layers": "projects,districts", "format": "geojson", "bbox": WEST_OF_ERQI})
    assert r.status_code == 200 and r["Content-Type"] == "application/geo+json"
    assert "attachment" in r["Content-Disposition"]
    fc = json.loads(body(r))
    got = sorted((f["properties"]["layer"], f["properties"].get("code")) for f in fc["features"])
    # the box meets 中原区 and 高新区 (and touches nothing of 二七区, which starts at 113.60)
    assert got == [("districts", "410102"), ("districts", "410172"), ("projects", "K202501001"), ("projects", "K202501003")]
    r = c.get("/map/export", {"layers": "projects", "format": "geojson", "status": "completed"})
    assert [f["properties"]["code"] for f in json.loads(body(r))["features"]] == ["K202501003"]


def test_geopackage_export_has_one_table_per_layer(signed_in, viewer, projects, tmp_path):
    r = signed_in(viewer).get("/map/export", {"layers": "projects,districts", "format": "gpkg"})
    assert r.status_code == 200 and r["Content-Disposition"].endswith(".gpkg")
    path = tmp_path / "view.gpkg"
    path.write_bytes(body(r))
    assert sorted(name for name, _ in pyogrio.list_layers(path)) == ["districts", "projects"]
    frame = pyogrio.read_dataframe(path, layer="projects")
    assert sorted(frame["code"]) == ["K202501001", "K202501002", "K202501003"]
    assert frame.crs.to_epsg() == 4326
    row = frame[frame["code"] == "K202501001"].iloc[0]
    assert row["status_label"] == "实施" and row["districts"] == "中原区" and row.geometry.x == pytest.approx(113.55)
    assert set(frame.geometry.geom_type) == {"Point", "Polygon"}  # a mixed layer stays one table
    districts = pyogrio.read_dataframe(path, layer="districts")
    assert len(districts) == 3 and set(districts.geometry.geom_type) == {"MultiPolygon"}


def test_xlsx_export_one_sheet_per_layer_with_wkt(signed_in, viewer, projects):
    p = projects["eq"]
    p.name = "=HYPERLINK(\"http://evil\")"
    p.save()
    r = signed_in(viewer).get("/map/export", {"layers": "projects,districts", "format": "xlsx"})
    wb = load_workbook(io.BytesIO(body(r)))
    assert wb.sheetnames == ["城市更新项目", "区县与开发区"]
    ws = wb["城市更新项目"]
    headers = [c.value for c in ws[1]]
    assert headers[:3] == ["编号", "项目编号", "项目名称"] and headers[-1] == "几何（WKT，WGS84）"
    rows = {row[1]: row for row in ws.iter_rows(min_row=2, values_only=True)}
    assert rows["K202501001"][-1] == "POINT (113.550000 34.720000)"
    evil = next(row for row in ws.iter_rows(min_row=2) if row[1].value == "K202501002")[2]
    assert evil.value == p.name and evil.data_type == "s" and evil.quotePrefix  # text, not a formula
    assert rows["K202501003"][-1].startswith("POLYGON ((113.520000 34.720000")


def test_bad_export_requests(signed_in, viewer, projects):
    c = signed_in(viewer)
    r = c.get("/map/export", {"layers": "projects", "format": "shp"})
    assert r.status_code == 400 and "导出格式“shp”无效" in r.json()["error"]
    r = c.get("/map/export", {"layers": "projects", "bbox": "113.7,34.7,113.5,34.8"})
    assert r.status_code == 400 and "范围 bbox 无效" in r.json()["error"]
    r = c.get("/map/export", {"layers": "projects", "year": "明年"})
    assert r.status_code == 400 and "「年份」应为整数" in r.json()["error"]
    assert c.get("/map/export", {"layers": ""}).status_code == 400
    assert c.get("/map/export", {"layers": "projects,secret"}).status_code == 404


def test_large_export_runs_as_a_job(signed_in, viewer, projects, settings):
    c = signed_in(viewer)
    settings.CITYRENEW_EXPORT_JOB_ROWS = 3  # three projects with a location: at the limit, in the request
    assert c.get("/map/export", {"layers": "projects", "format": "gpkg"})["Content-Disposition"].endswith(".gpkg")
    settings.CITYRENEW_EXPORT_JOB_ROWS = 2
    r = c.get("/map/export", {"layers": "projects", "format": "gpkg"})
    assert r.status_code == 200 and "共 3 个要素" in r.content.decode() and not Job.objects.exists()
    r = c.post("/map/export?layers=projects&format=gpkg")
    job = Job.objects.get()
    assert r.status_code == 302 and r["Location"] == job.get_absolute_url() and job.kind == "map.export"
    assert run_pending() == 1
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED, job.error
    assert "共 3 个要素" in job.result_summary["text"]
    frame = pyogrio.read_dataframe(job.result_path, layer="projects")
    assert len(frame) == 3


def test_an_empty_layer_is_an_empty_table(signed_in, viewer, projects, tmp_path):
    r = signed_in(viewer).get("/map/export", {"layers": "projects", "format": "gpkg", "status": "removed"})
    path = tmp_path / "empty.gpkg"
    path.write_bytes(body(r))
    assert [name for name, _ in pyogrio.list_layers(path)] == ["projects"]
    assert len(pyogrio.read_dataframe(path, layer="projects")) == 0
    r = signed_in(viewer).get("/map/export", {"layers": "projects", "format": "xlsx", "status": "removed"})
    ws = load_workbook(io.BytesIO(body(r)))["城市更新项目"]
    assert ws.max_row == 1  # the header only
