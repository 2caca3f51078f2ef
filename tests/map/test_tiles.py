"""Vector tiles: decoded with mapbox_vector_tile, only the readable and filtered records, bad coordinates."""

from __future__ import annotations

import mapbox_vector_tile
import pytest
from django.contrib.gis.geos import LineString, Polygon

from cityrenew.map import tiles

pytestmark = pytest.mark.django_db

# tiles holding 113.55°E 34.72°N (中原区) at zoom 14 and 10
Z14 = (14, 13359, 6505)
Z10 = (10, 834, 406)


@pytest.fixture
def reference(db):
    from cityrenew.map.models import ReferenceFeature, ReferenceLayer

    roads = ReferenceLayer.objects.create(name="roads", title="道路", kind="roads", basemap=True, licence="ODbL（OpenStreetMap）")
    ReferenceFeature.objects.create(layer=roads, name="建设路", category="primary",
                                    geom=LineString((113.54, 34.72), (113.56, 34.72), srid=4326))
    ReferenceFeature.objects.create(layer=roads, name="远处的路", category="primary",
                                    geom=LineString((113.80, 34.90), (113.81, 34.90), srid=4326))
    buildings = ReferenceLayer.objects.create(name="buildings", title="建筑", kind="buildings", basemap=True)
    ReferenceFeature.objects.create(layer=buildings, name="一号楼", category="residential",
                                    geom=Polygon.from_bbox((113.5495, 34.7195, 113.5505, 34.7205)))
    ReferenceFeature.objects.create(layer=buildings, name="", category="school",
                                    geom=Polygon.from_bbox((113.5510, 34.7195, 113.5520, 34.7205)))
    return {"roads": roads, "buildings": buildings}


def test_tile_coordinates():
    assert tiles.lonlat_bounds(0, 0, 0)[0] == -180.0
    w, s, e, n = tiles.lonlat_bounds(*Z14)
    assert w < 113.55 < e and s < 34.72 < n
    tiles.check_tile(22, 0, (1 << 22) - 1)
    for bad in ((23, 0, 0), (3, 8, 0), (3, 0, 8), (3, -1, 0)):
        with pytest.raises(ValueError):
            tiles.check_tile(*bad)


def decode(response):
    assert response["Content-Type"] == "application/vnd.mapbox-vector-tile"
    assert response["Cache-Control"].startswith("private")
    return mapbox_vector_tile.decode(response.content) if response.status_code == 200 else {}


def test_reference_layers_listed_as_vector_tiles(signed_in, viewer, reference):
    data = signed_in(viewer).get("/map/layers.json").json()
    by_name = {l["name"]: l for l in data["layers"]}
    roads = by_name["ref-roads"]
    assert roads["kind"] == "mvt" and roads["url"] == "/map/tiles/ref-roads/{z}/{x}/{y}.mvt"
    assert roads["group"] == "底图" and roads["source_layer"] == "ref-roads" and roads["geometry"] == "line"
    assert by_name["ref-buildings"]["minzoom"] == 13
    assert data["layers"][0]["group"] == "底图"  # base-map layers come first (drawn underneath)
    assert data["basemap"] == {"kind": "offline", "tiles": [], "layers": ["ref-buildings", "ref-roads"],
                               "attribution": "© OpenStreetMap 贡献者（ODbL）"}


def test_reference_tile_decodes_with_features_and_properties(signed_in, viewer, reference):
    c = signed_in(viewer)
    layer = decode(c.get("/map/tiles/ref-buildings/{}/{}/{}.mvt".format(*Z14)))["ref-buildings"]
    assert layer["extent"] == 4096
    names = sorted((f["properties"].get("name", ""), f["properties"]["category"]) for f in layer["features"])
    assert names == [("", "school"), ("一号楼", "residential")]
    ring = next(f for f in layer["features"] if f["properties"]["category"] == "residential")["geometry"]
    assert ring["type"] == "Polygon"
    exterior = ring["coordinates"][0]
    xs = [p[0] for p in exterior]
    assert 0 <= min(xs) < max(xs) <= 4096 and all(isinstance(x, int) for x in xs)  # quantised to the tile grid
    # MVT 2.1: an exterior ring has positive area in the y-down grid, i.e. it is clockwise in the decoded y-up
    area = sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in zip(exterior, exterior[1:] + exterior[:1])) / 2
    assert area < 0
    roads = decode(c.get("/map/tiles/ref-roads/{}/{}/{}.mvt".format(*Z10)))["ref-roads"]
    assert [f["properties"]["name"] for f in roads["features"]] == ["建设路"]  # the far road is in another tile
    assert roads["features"][0]["geometry"]["type"] == "LineString"
    # filter by category; a tile with nothing in it is empty (204)
    empty = c.get("/map/tiles/ref-buildings/{}/{}/{}.mvt?category=office".format(*Z14))
    assert empty.status_code == 204 and empty.content == b""
    assert c.get("/map/tiles/ref-buildings/14/0/0.mvt").status_code == 204
    # buildings are drawn from zoom 13: the z12 tile holding them is empty, the z13 one is not
    assert c.get("/map/tiles/ref-buildings/12/3339/1626.mvt").status_code == 204
    assert c.get("/map/tiles/ref-buildings/13/6679/3252.mvt").status_code == 200


def test_a_tiled_layer_as_geojson_needs_a_box(signed_in, viewer, reference, settings):
    c = signed_in(viewer)
    r = c.get("/map/layers/ref-buildings.geojson")
    assert r.status_code == 400 and "以矢量切片提供" in r.json()["error"] and "bbox" in r.json()["error"]
    fc = c.get("/map/layers/ref-buildings.geojson?bbox=113.549,34.719,113.5512,34.721").json()
    assert sorted(f["properties"]["category"] for f in fc["features"]) == ["residential", "school"]
    fc = c.get("/map/layers/ref-buildings.geojson?bbox=113.549,34.719,113.5502,34.721").json()
    assert [f["properties"]["name"] for f in fc["features"]] == ["一号楼"]  # the school starts at 113.5510
    settings.CITYRENEW_EXPORT_JOB_ROWS = 1
    r = c.get("/map/layers/ref-buildings.geojson?bbox=113.549,34.719,113.5512,34.721")
    assert r.status_code == 400 and "范围内有 2 个要素" in r.json()["error"]
    r = c.get("/map/layers/ref-buildings.geojson?bbox=113.6,34.7")
    assert r.status_code == 400 and "bbox" in r.json()["error"]


def test_bad_tile_coordinates_are_400(signed_in, viewer, reference):
    c = signed_in(viewer)
    r = c.get("/map/tiles/ref-roads/3/8/0.mvt")
    assert r.status_code == 400 and "切片坐标超出范围" in r.json()["error"]
    r = c.get("/map/tiles/ref-roads/23/0/0.mvt")
    assert r.status_code == 400 and "切片层级" in r.json()["error"]
    assert c.get("/map/tiles/ref-nothing/3/0/0.mvt").status_code == 404


def test_project_tile_carries_database_properties(signed_in, viewer, projects):
    """A GeoJSON layer is also served as tiles (the same records); callables are not carried."""
    c = signed_in(viewer)
    layer = decode(c.get("/map/tiles/projects/{}/{}/{}.mvt".format(*Z10)))["projects"]
    by_code = {f["properties"]["code"]: f for f in layer["features"]}
    assert set(by_code) == {"K202501001", "K202501003"}  # 二七区's project lies in the next tile east
    props = by_code["K202501001"]["properties"]
    assert props["status_label"] == "实施" and props["url"] == "/projects/K202501001/"
    assert props["total_investment"] == pytest.approx(2.25) and props["start_year"] == 2025
    assert "districts" not in props
    assert by_code["K202501001"]["id"] == projects["zy"].pk
    only = decode(c.get("/map/tiles/projects/{}/{}/{}.mvt?status=completed".format(*Z10)))["projects"]
    assert [f["properties"]["code"] for f in only["features"]] == ["K202501003"]



def test_every_geometry_column_has_its_spatial_index():
    """Tiles and spatial questions search the index: each record geometry column keeps one after migrations."""
    from django.db import connection

    columns = [("core_region", "boundary"), ("projects_renewalproject", "location"),
               ("checkup_assessmentunit", "geometry"), ("checkup_fieldproblem", "location"),
               ("map_referencefeature", "geom")]
    with connection.cursor() as cursor:
        for table, column in columns:
            if connection.vendor == "sqlite":
                cursor.execute("SELECT spatial_index_enabled FROM geometry_columns WHERE f_table_name = %s "
                               "AND f_geometry_column = %s", [table, column])
                assert cursor.fetchone() == (1,), (table, column)
            else:
                cursor.execute("SELECT indexdef FROM pg_indexes WHERE tablename = %s", [table])
                assert any("gist" in d.lower() and column in d for (d,) in cursor.fetchall()), (table, column)
