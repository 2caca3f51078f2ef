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
    xs = [p[0] for p in ring["coordinates"][0]]
    assert 0 <= min(xs) < max(xs) <= 4096  # quantised to the tile grid
    roads = decode(c.get("/map/tiles/ref-roads/{}/{}/{}.mvt".format(*Z10)))["ref-roads"]
    assert [f["properties"]["name"] for f in roads["features"]] == ["建设路"]  # the far road is in another tile
    assert roads["features"][0]["geometry"]["type"] == "LineString"
    # filter by category; a tile with nothing in it is empty (204)
    empty = c.get("/map/tiles/ref-buildings/{}/{}/{}.mvt?category=office".format(*Z14))
    assert empty.status_code == 204 and empty.content == b""
    assert c.get("/map/tiles/ref-buildings/14/0/0.mvt").status_code == 204


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

