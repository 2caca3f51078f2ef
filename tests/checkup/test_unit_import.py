"""Assessment-unit import from Excel and geodata (GeoJSON, GBK Shapefile, CGCS2000 GK zone, GCJ-02)."""

from __future__ import annotations

import io

import geopandas as gpd
import pytest
from shapely.geometry import Point, box

from cityrenew.checkup.models import AssessmentUnit
from cityrenew.checkup.services.units import import_units_excel, import_units_geodata
from cityrenew.engine.crs import wgs84_to_gcj02

from .conftest import UNIT_HEADERS, xlsx_bytes

pytestmark = pytest.mark.django_db


def test_excel_errors_name_row_and_column_and_save_nothing(regions, city_admin):
    rows = [
        ("", "好小区", "小区", "伏牛路社区", "", 113.62, 34.75, 1990, 100),
        ("", "", "小区", "伏牛路社区", "", 113.62, 34.75, None, None),
        ("", "坏类型", "大院", "伏牛路社区", "", 113.62, 34.75, None, None),
        ("", "外地小区", "小区", "鼓楼区", "", 113.62, 34.75, None, None),
        ("", "反了", "小区", "伏牛路社区", "", 34.75, 113.62, None, None),
    ]
    rep = import_units_excel(io.BytesIO(xlsx_bytes(UNIT_HEADERS, rows)), regions["郑州市"], city_admin)
    assert [str(e) for e in rep.errors] == [
        "第 3 行「名称」：不能为空",
        "第 4 行「类型」：“大院”不是有效的体检单元类型，应为住房（楼栋）、小区、社区、街区或城区",
        "第 5 行「所在区划」：“鼓楼区”不在郑州市的行政区划内",
        "第 6 行「经度/纬度」：坐标（34.75, 113.62）不在中国范围内，请检查坐标系或经纬度是否填反",
    ]
    assert AssessmentUnit.objects.count() == 0


def test_excel_gcj02_is_stored_as_wgs84_and_reimport_changes_nothing(regions, city_admin):
    glon, glat = wgs84_to_gcj02(113.6205, 34.7552)
    data = xlsx_bytes(UNIT_HEADERS, [("G-X01", "伏牛路小区", "小区", "中原区", "", float(glon), float(glat), 1992, 420)])
    rep = import_units_excel(io.BytesIO(data), regions["郑州市"], city_admin, crs="gcj02")
    assert rep.ok and rep.created == 1
    u = AssessmentUnit.objects.get(code="G-X01")
    assert u.centroid_lon == pytest.approx(113.6205, abs=1e-6) and u.centroid_lat == pytest.approx(34.7552, abs=1e-6)
    assert u.attributes == {"year_built": 1992, "households": 420}
    again = import_units_excel(io.BytesIO(data), regions["郑州市"], city_admin, crs="gcj02")
    assert again.ok and again.created == 0 and again.unchanged == 1


def test_geojson_and_gbk_shapefile_in_cgcs2000_gauss_kruger(regions, city_admin, tmp_path):
    zz = regions["郑州市"]
    gdf = gpd.GeoDataFrame(
        {"名称": ["绿东村街区", "建中街街区"], "类型": ["街区", "街区"], "所在区划": ["绿东村街道", "建中街街道"]},
        geometry=[box(113.617, 34.748, 113.630, 34.760), box(113.641, 34.730, 113.654, 34.742)], crs="EPSG:4326",
    )
    gj = tmp_path / "blocks.geojson"
    gdf.to_file(gj, driver="GeoJSON")
    rep = import_units_geodata(gj, zz, city_admin)
    assert rep.ok, rep.summary_text()
    assert rep.created == 2 and AssessmentUnit.objects.get(name="绿东村街区").geometry.geom_type == "Polygon"
    # a shapefile in CGCS2000 / 3-degree GK CM 114E (EPSG:4547) with GBK attributes and no .cpg
    pts = gpd.GeoDataFrame({"name": ["建中街小区3号楼"], "kind": ["住房"], "region": ["建中街社区"]},
                           geometry=[Point(113.6463, 34.7372)], crs="EPSG:4326").to_crs("EPSG:4547")
    shp = tmp_path / "buildings.shp"
    pts.to_file(shp, encoding="GBK")
    shp.with_suffix(".cpg").unlink(missing_ok=True)
    rep = import_units_geodata(shp, zz, city_admin)
    assert rep.ok, rep.summary_text()
    u = AssessmentUnit.objects.get(name="建中街小区3号楼")
    assert u.kind == "building" and u.region.name == "建中街社区"
    assert u.centroid_lon == pytest.approx(113.6463, abs=1e-6) and u.centroid_lat == pytest.approx(34.7372, abs=1e-6)
    assert rep.crs == "EPSG:4547"
