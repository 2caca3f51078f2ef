"""/map/layers.json, GeoJSON layers and their filters, search, and which region a point falls in."""

from __future__ import annotations

import pytest
from django.contrib.gis.geos import Point

from cityrenew.map import spatial

pytestmark = pytest.mark.django_db


def test_region_at_on_both_sides_of_a_boundary(drawn):
    # 113.5999 lies in 中原区, 113.6001 in 二七区 (about 10 m either side of the shared edge)
    assert spatial.region_at((113.5999, 34.71)).code == "410102"
    assert spatial.region_at((113.6001, 34.71)).code == "410103"
    assert spatial.region_at(Point(113.4999, 34.71, srid=4326)) is None  # west of every drawn boundary
    # inside 高新区 too: the administrative district is the answer unless zones are asked for
    assert spatial.region_at((113.58, 34.78)).code == "410102"
    assert spatial.region_at((113.58, 34.78), zones=True).code == "410172"
    assert spatial.region_at((113.52, 34.71), zones=True).code == "410102"  # no zone there
    assert spatial.regions_at([(113.5999, 34.71), (113.6001, 34.71), (113.4999, 34.71), (113.58, 34.78)]) == [
        drawn["410102"].pk, drawn["410103"].pk, None, drawn["410102"].pk]


def test_region_at_refuses_a_point_off_the_globe(drawn):
    with pytest.raises(spatial.SpatialError, match="超出经纬度范围"):
        spatial.region_at((413.6, 34.7))


def test_layers_json_lists_layers_basemap_and_bounds(signed_in, viewer, projects):
    data = signed_in(viewer).get("/map/layers.json").json()
    by_name = {l["name"]: l for l in data["layers"]}
    assert {"districts", "projects"} <= set(by_name)
    p = by_name["projects"]
    assert p["kind"] == "geojson" and p["url"] == "/map/layers/projects.geojson" and p["source_layer"] == "projects"
    assert ["status_label", "项目状态"] in p["popup"]
    assert [f["name"] for f in p["filters"]] == ["district", "year", "status", "category"]
    status = next(f for f in p["filters"] if f["name"] == "status")
    assert ["implementing", "实施"] in status["options"]
    district = next(f for f in p["filters"] if f["name"] == "district")
    assert [str(projects["zy"].districts.get().pk), "中原区"] in district["options"]
    assert {"label": "实施", "colour": "#e8590c"} in p["legend"]
    assert data["basemap"]["kind"] == "offline"
    assert data["bounds"] == [113.5, 34.7, 113.7, 34.8]


def test_layers_need_a_signed_in_user(client, projects):
    for url in ("/map/layers.json", "/map/layers/projects.geojson", "/map/tiles/projects/0/0/0.mvt", "/map/search.json?q=K"):
        response = client.get(url)
        assert response.status_code == 302 and "/login/" in response["Location"], url


def test_geojson_of_projects_and_filters(signed_in, viewer, projects, drawn):
    c = signed_in(viewer)
    fc = c.get("/map/layers/projects.geojson").json()
    assert fc["type"] == "FeatureCollection"
    by_code = {f["properties"]["code"]: f for f in fc["features"]}
    assert set(by_code) == {"K202501001", "K202501002", "K202501003"}  # the one without location is not drawn
    zy = by_code["K202501001"]["properties"]
    assert zy["status_label"] == "实施" and zy["category_label"] == "城镇老旧小区改造"
    assert zy["total_investment"] == 2.25 and zy["districts"] == "中原区" and zy["url"] == "/projects/K202501001/"
    assert by_code["K202501003"]["geometry"]["type"] == "Polygon"

    def codes(query):
        return sorted(f["properties"]["code"] for f in c.get("/map/layers/projects.geojson?" + query).json()["features"])

    assert codes(f"district={drawn['410103'].pk}") == ["K202501002"]
    assert codes("year=2025") == ["K202501001", "K202501003"]
    assert codes("status=completed") == ["K202501003"]
    assert codes("category=old_block&year=2024") == ["K202501002"]
    bad = c.get("/map/layers/projects.geojson?year=二〇二五")
    assert bad.status_code == 400 and "「年份」应为整数" in bad.json()["error"]
    bad = c.get("/map/layers/projects.geojson?status=done")
    assert bad.status_code == 400 and "「状态」的值“done”无效" in bad.json()["error"]


def test_unknown_layer_is_404(signed_in, viewer, projects):
    assert signed_in(viewer).get("/map/layers/nothing.geojson").status_code == 404


def test_districts_layer_carries_investment(signed_in, viewer, projects, drawn):
    fc = signed_in(viewer).get("/map/layers/districts.geojson").json()
    by_code = {f["properties"]["code"]: f["properties"] for f in fc["features"]}
    assert set(by_code) == {"410102", "410103", "410172"}  # only districts with a boundary are drawn
    # 中原区: 2.25 (实施) + 1.5 (竣工) + 1.5 (入库, not drawn but in the library); 二七区: 1.5
    assert by_code["410102"]["investment"] == 5.25 and by_code["410103"]["investment"] == 1.5
    assert by_code["410172"]["kind_label"] == "开发区（功能区）"
    assert by_code["410102"]["url"] == f"/regions/{drawn['410102'].pk}/"


def test_search_by_name_or_code(signed_in, viewer, projects):
    data = signed_in(viewer).get("/map/search.json", {"q": "二七区"}).json()
    hits = {(r["layer"], r["name"]) for r in data["results"]}
    assert ("projects", "二七区测试项目") in hits and ("districts", "二七区") in hits
    p = next(r for r in data["results"] if r["layer"] == "projects")
    assert p["url"] == "/projects/K202501002/" and p["bbox"] == [113.65, 34.72, 113.65, 34.72]


def test_basemap_settings(signed_in, viewer, settings, drawn):
    c = signed_in(viewer)
    settings.CITYRENEW_BASEMAP, settings.CITYRENEW_TIANDITU_KEY = "tianditu", "k123"
    bm = c.get("/map/layers.json").json()["basemap"]
    assert bm["kind"] == "tianditu" and bm["key"] == "k123" and len(bm["tiles"]) == 2
    vec, cva = bm["tiles"]
    assert vec.startswith("https://t0.tianditu.gov.cn/vec_w/wmts?") and "LAYER=vec" in vec and "TILEMATRIXSET=w" in vec
    assert "TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk=k123" in vec and "LAYER=cva" in cva and bm["url"] == vec
    assert "天地图" in bm["attribution"]
    settings.CITYRENEW_TIANDITU_KEY = ""  # no key: the offline map, and the page is told why
    bm = c.get("/map/layers.json").json()["basemap"]
    assert bm["kind"] == "offline" and "CITYRENEW_TIANDITU_KEY" in bm["warning"]
    settings.CITYRENEW_BASEMAP = "https://tiles.example.cn/{z}/{x}/{y}.png"
    settings.CITYRENEW_BASEMAP_ATTRIBUTION = "© 示例测绘"
    assert c.get("/map/layers.json").json()["basemap"] == {
        "kind": "xyz", "url": "https://tiles.example.cn/{z}/{x}/{y}.png",
        "tiles": ["https://tiles.example.cn/{z}/{x}/{y}.png"], "attribution": "© 示例测绘"}


def test_a_layer_the_user_may_not_read_is_absent_and_404(signed_in, viewer, city_admin, projects):
    """A layer's ``readable`` hook: hidden from layers.json, and 404 on every endpoint for that user."""
    from cityrenew.core.permissions import is_city_admin
    from cityrenew.map import registry
    from cityrenew.projects.maplayers import projects as project_records

    registry.register(registry.Layer(
        name="admin-projects", title="管理员图层", group="项目库", kind=registry.MVT, queryset=project_records,
        geom_field="location", properties={"code": "code"}, search=("code",), readable=lambda request: is_city_admin(request.user)))
    try:
        for user, visible in ((viewer, False), (city_admin, True)):
            c = signed_in(user)
            names = [l["name"] for l in c.get("/map/layers.json").json()["layers"]]
            assert ("admin-projects" in names) is visible
            expected = 200 if visible else 404
            assert c.get("/map/layers/admin-projects.geojson?bbox=113,34,114,35").status_code == expected
            assert c.get("/map/tiles/admin-projects/10/834/406.mvt").status_code == (200 if visible else 404)
            assert c.get("/map/export?layers=admin-projects").status_code == expected
            assert c.get("/api/map/near/?layer=admin-projects&lon=113.55&lat=34.72&radius=10").status_code == expected
            hits = [r["layer"] for r in c.get("/map/search.json?q=K2025").json()["results"]]
            assert ("admin-projects" in hits) is visible
    finally:
        registry.unregister("admin-projects")
