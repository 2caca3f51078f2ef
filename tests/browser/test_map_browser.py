"""The one map (一张图) in a real browser (Debian chromium through Playwright) against a live server.

Demo-like data: the Zhengzhou library (276 projects) with district boundaries, two projects given a
point and an area, the 2024/2025 check-ups with assessment units and field problems. Open /map/,
switch on every layer in turn and check what MapLibre drew (``queryRenderedFeatures``), with a
screenshot per layer; click a project → popup → its page; search; measure a segment against a
haversine distance computed here; a user who may not read a layer does not get its records; draw a
project's area and save it through the API, then see the Chinese refusal when someone saved first.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import openpyxl
import pytest
import test_csp_browser
from conftest import login
from test_checkup_browser import BLOCKS, seed_checkup
from test_csp_browser import wait_until

from cityrenew.core.models import AuditLog
from cityrenew.projects.models import RenewalProject

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
strict_page = test_csp_browser.strict_page  # the CSP-enforcing page fixture

POINT_PROJECT = ("K202201005", "芝麻街1958双创园", (113.6152, 34.7688))  # a point in 中原区
AREA_PROJECT = "K202202001"
AREA_RING = [[113.652, 34.716], [113.662, 34.716], [113.662, 34.724], [113.652, 34.724], [113.652, 34.716]]


def haversine_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance in metres on the mean Earth sphere (R = 6 371 008.8 m), lon/lat in degrees."""
    r = 6371008.8
    lon1, lat1, lon2, lat2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * r * math.asin(math.sqrt(h))


@pytest.fixture
def onemap(regions, city_admin):
    """The library, district boundaries, the check-up runs and two located projects."""
    from django.contrib.gis.geos import GEOSGeometry, Point

    from cityrenew.core.models import Region
    from cityrenew.projects import demo
    from cityrenew.projects.boundaries import load_district_boundaries

    demo.load()
    run = seed_checkup(city_admin)
    load_district_boundaries(Region.objects.get(code="410100"))
    code, _name, (lon, lat) = POINT_PROJECT
    RenewalProject.objects.filter(code=code).update(location=Point(lon, lat, srid=4326), location_source="测试")
    ring = ",".join(f"{x} {y}" for x, y in AREA_RING)
    RenewalProject.objects.filter(code=AREA_PROJECT).update(
        location=GEOSGeometry(f"SRID=4326;POLYGON(({ring}))"), location_source="测试")
    offline_basemap()
    return run


def offline_basemap() -> None:
    """A small offline base map (底图) as an OSM extract would give it: a road grid over central
    Zhengzhou, a river, building footprints around the check-up blocks, and the neighbouring cities."""
    from django.contrib.gis.geos import LineString, Polygon

    from cityrenew.map.models import ReferenceFeature, ReferenceLayer

    def layer(name, title, kind):
        return ReferenceLayer.objects.create(name=name, title=title, kind=kind, basemap=True, source="测试数据",
                                             licence="ODbL（OpenStreetMap）", source_crs="EPSG:4326")

    roads, water, buildings = layer("roads", "道路", "roads"), layer("water", "水系", "water"), layer("buildings", "建筑", "buildings")
    neighbours = layer("neighbours", "周边城市", "boundaries")
    features = [ReferenceFeature(layer=neighbours, name=name, geom=Polygon.from_bbox(box)) for name, box in (
        ("开封市", (114.22, 34.35, 114.9, 34.95)), ("许昌市", (113.2, 33.7, 114.2, 34.25)),
        ("洛阳市", (112.2, 34.3, 112.72, 35.0)), ("新乡市", (113.3, 35.0, 114.2, 35.5)))]
    for i in range(13):
        lon = 113.56 + i * 0.01
        features.append(ReferenceFeature(layer=roads, name=f"经{i}路", category="secondary",
                                         geom=LineString((lon, 34.68), (lon + 0.004, 34.82), srid=4326)))
    for j in range(12):
        lat = 34.69 + j * 0.011
        features.append(ReferenceFeature(layer=roads, name=f"纬{j}路", category="secondary",
                                         geom=LineString((113.54, lat), (113.70, lat + 0.003), srid=4326)))
    river = [(113.54 + k * 0.02, 34.795 + 0.004 * math.sin(k)) for k in range(9)]
    ring = river + [(x, y + 0.004) for x, y in reversed(river)] + [river[0]]
    features.append(ReferenceFeature(layer=water, name="金水河", category="river", geom=Polygon(ring, srid=4326)))
    for _code, _name, _street, lon, lat in BLOCKS:
        for a in range(-4, 5):
            for b in range(-4, 5):
                x, y = lon + a * 0.0013, lat + b * 0.0011
                features.append(ReferenceFeature(layer=buildings, category="residential", geom=Polygon.from_bbox(
                    (x - 0.0004, y - 0.0003, x + 0.0004, y + 0.0003))))
    ReferenceFeature.objects.bulk_create(features)


def open_map(page, live_server, query: str = "") -> None:
    page.goto(live_server.url + "/map/" + query)
    page.wait_for_function("window.cityrenewOneMap && window.cityrenewOneMap.ready", timeout=30000)


def layer_names(page) -> list[str]:
    return page.evaluate("window.cityrenewOneMap.layers.filter(e => !e.base).map(e => e.name)")


def switch(page, name: str, on: bool = True) -> None:
    box = page.locator(f'[data-testid="layer-toggle-{name}"]')
    if on:
        box.check()
        page.wait_for_selector(f'.layer-row[data-layer="{name}"][data-state="ready"]', timeout=30000)
    else:
        box.uncheck()


def rendered(page, name: str) -> list[dict]:
    """Properties of the features MapLibre drew for layer ``name`` in the current view."""
    return page.evaluate(
        """name => { const h = window.cityrenewOneMap;
                     const e = h.layers.find(l => l.name === name);
                     const ids = e.styleLayers.filter(id => h.map.getLayer(id));
                     return h.map.queryRenderedFeatures({layers: ids}).map(f => f.properties); }""",
        name,
    )


def screen_xy(page, lonlat) -> tuple[float, float]:
    return tuple(page.evaluate(
        """c => { const m = window.cityrenewOneMap.map; const p = m.project(c);
                  const r = m.getCanvas().getBoundingClientRect(); return [r.left + p.x, r.top + p.y]; }""",
        list(lonlat),
    ))


def idle(page) -> None:
    page.evaluate("""() => new Promise(done => { const m = window.cityrenewOneMap.map;
                     m.once('idle', () => done(true)); m.triggerRepaint(); })""")


@pytest.fixture(autouse=True)
def settle(request):
    """After each test: let the map finish its requests and leave the page, so no request of the live
    server still touches the database when the test's data is flushed. (The page is fetched here, so
    it is closed after this fixture's teardown.)"""
    from playwright.sync_api import Error as PlaywrightError

    pages = [request.getfixturevalue(n) for n in ("page", "strict_page") if n in request.fixturenames]
    yield
    for pg in pages:
        if pg.is_closed():
            continue
        try:
            if pg.evaluate("!!(window.cityrenewOneMap && window.cityrenewOneMap.map)"):
                idle(pg)
        except PlaywrightError:  # the page navigated away or broke: nothing to wait for
            pass
        pg.goto("about:blank")


def test_every_layer_renders_with_popup_search_and_measure(page, live_server, onemap, viewer, screenshot_dir):
    login(page, live_server, "viewer1", "pass-viewer1")
    page.goto(live_server.url + "/")
    page.locator("nav.mainnav a", has_text="一张图").click()
    page.wait_for_url(re.compile(r".*/map/$"))
    page.wait_for_function("window.cityrenewOneMap && window.cityrenewOneMap.ready", timeout=30000)

    names = layer_names(page)
    assert {"districts", "projects"} <= set(names), names
    # the district layer is on when the page opens: the library's districts and zones are drawn
    page.wait_for_selector('.layer-row[data-layer="districts"][data-state="ready"]', timeout=30000)
    drawn = {p["name"] for p in rendered(page, "districts")}
    assert {"中原区", "金水区", "二七区", "登封市"} <= drawn
    page.screenshot(path=str(screenshot_dir / "onemap-districts.png"))

    # every layer in turn: switched on alone (districts kept as context), zoomed to, drawn, photographed
    for name in names:
        if name != "districts":
            switch(page, name, on=False)
    seen: dict[str, set] = {}
    for name in names:
        if name == "districts":
            continue
        switch(page, name)
        page.click(f'[data-testid="layer-zoom-{name}"]')
        idle(page)
        seen[name] = {p.get("code") or p["name"] for p in rendered(page, name)}
        page.screenshot(path=str(screenshot_dir / f"onemap-layer-{name}.png"))
        switch(page, name, on=False)
    # every located project is drawn (the two above and the one the check-up made from a problem), no other
    located = set(RenewalProject.objects.filter(location__isnull=False).values_list("code", flat=True))
    assert {POINT_PROJECT[0], AREA_PROJECT} <= located and seen["projects"] == located, seen
    checkup_layers = [n for n in names if n.startswith("checkup")]
    assert checkup_layers and all(seen[n] for n in checkup_layers), seen

    # a project's point → popup with its properties → its page
    switch(page, "projects")
    code, name, lonlat = POINT_PROJECT
    page.evaluate("c => window.cityrenewOneMap.map.jumpTo({center: c, zoom: 15})", list(lonlat))
    idle(page)
    x, y = screen_xy(page, lonlat)
    page.mouse.click(x, y)
    popup = page.locator('[data-testid="map-popup"]')
    popup.wait_for()
    text = popup.inner_text()
    project = RenewalProject.objects.get(code=code)
    assert "城市更新项目" in text and name in text and code in text and project.get_status_display() in text, text
    link = popup.locator('[data-testid="popup-link"]')
    assert link.inner_text().startswith("查看详情")
    assert link.get_attribute("href") == f"/projects/{code}/"
    page.screenshot(path=str(screenshot_dir / "onemap-popup.png"))

    # the export links carry the visible layers, the view's bbox and the format
    href = page.get_attribute('[data-testid="export-gpkg"]', "href")
    assert href.startswith("/map/export?") and "format=gpkg" in href and "bbox=" in href
    assert "projects" in re.search(r"layers=([^&]+)", href).group(1).replace("%2C", ",").split(",")

    # search by name: the hit flies there and opens the popup
    page.click(".maplibregl-popup-close-button")
    assert page.locator('[data-testid="map-popup"]').count() == 0
    switch(page, "projects", on=False)  # the hit switches its layer on
    page.evaluate("window.cityrenewOneMap.map.jumpTo({center: [113.3, 34.5], zoom: 9})")
    page.fill('[data-testid="map-search"]', "芝麻街")
    hit = page.locator('[data-testid="search-hit"]').first
    hit.wait_for()
    assert name in hit.inner_text()
    hit.click()
    page.locator('[data-testid="map-popup"]', has_text=name).wait_for()
    assert page.locator('[data-testid="layer-toggle-projects"]').is_checked()
    # the popup is the drawn feature's: every popup property, not only the search result's name
    assert project.get_status_display() in page.inner_text('[data-testid="map-popup"]')
    centre = page.evaluate("window.cityrenewOneMap.map.getCenter().toArray()")
    assert haversine_m(tuple(centre), lonlat) < 50

    # measure a segment: the shown length agrees with the haversine distance within 1 %
    page.click('[data-testid="measure-distance"]')
    box = page.locator("#onemap canvas").bounding_box()
    a = (box["x"] + box["width"] * 0.25, box["y"] + box["height"] * 0.4)
    b = (box["x"] + box["width"] * 0.75, box["y"] + box["height"] * 0.6)
    page.mouse.click(*a)
    page.mouse.click(*b)
    page.mouse.dblclick(*b)
    page.wait_for_selector('[data-testid="measure-result"][data-done="1"]')
    ends = page.evaluate(
        """pts => { const m = window.cityrenewOneMap.map; const r = m.getCanvas().getBoundingClientRect();
                    return pts.map(p => m.unproject([p[0] - r.left, p[1] - r.top]).toArray()); }""",
        [list(a), list(b)],
    )
    expected = haversine_m(tuple(ends[0]), tuple(ends[1]))
    shown = page.inner_text('[data-testid="measure-result"]')
    m = re.search(r"距离：([\d.]+) (米|公里)", shown)
    assert m, shown
    metres = float(m.group(1)) * (1000 if m.group(2) == "公里" else 1)
    assert abs(metres - expected) / expected < 0.01, (shown, expected)
    assert page.evaluate("window.cityrenewOneMap.measure.points.length") == 2  # the double-click added no vertex
    page.screenshot(path=str(screenshot_dir / "onemap-measure.png"))
    # no popup while measuring
    page.mouse.click(x, y)
    assert page.locator('[data-testid="map-popup"]').count() == 0 or "距离" in page.inner_text('[data-testid="measure-result"]')

    # the area tool: a square of known size
    page.click('[data-testid="measure-area"]')
    page.evaluate("window.cityrenewOneMap.map.jumpTo({center: [113.65, 34.75], zoom: 14})")
    idle(page)
    corners = [(113.645, 34.745), (113.655, 34.745), (113.655, 34.755), (113.645, 34.755)]
    for c in corners:
        page.mouse.click(*screen_xy(page, c))
    page.mouse.dblclick(*screen_xy(page, corners[-1]))
    page.wait_for_selector('[data-testid="measure-result"][data-done="1"]')
    shown = page.inner_text('[data-testid="measure-result"]')
    m = re.search(r"面积：([\d.,]+) (平方米|平方公里)", shown)
    assert m, shown
    area = float(m.group(1).replace(",", "")) * (1e6 if m.group(2) == "平方公里" else 1)
    # the square: 0.01° of longitude × 0.01° of latitude at 34.75° N on the sphere ≈ 1 011 800 m²
    width = haversine_m((113.645, 34.75), (113.655, 34.75))
    height = haversine_m((113.65, 34.745), (113.65, 34.755))
    assert abs(area - width * height) / (width * height) < 0.01, (shown, width * height)

    # the popup's link opens the record's page
    page.click('[data-testid="measure-clear"]')
    page.evaluate("c => window.cityrenewOneMap.map.jumpTo({center: c, zoom: 15})", list(lonlat))
    idle(page)
    page.mouse.click(*screen_xy(page, lonlat))
    page.locator('[data-testid="popup-link"]').click()
    page.wait_for_url(re.compile(rf".*/projects/{code}/$"))

    # and back: 在地图上查看 opens the map on the project, its popup open
    page.click('[data-testid="map-link"]')
    page.wait_for_url(re.compile(rf".*/map/\?layer=projects&focus=projects:{project.pk}$"))
    popup = page.locator('[data-testid="map-popup"]', has_text=code)
    popup.wait_for()
    assert name in popup.inner_text()
    assert haversine_m(tuple(page.evaluate("window.cityrenewOneMap.map.getCenter().toArray()")), lonlat) < 50


def located_codes(**lookup) -> set[str]:
    return set(RenewalProject.objects.filter(location__isnull=False, **lookup).values_list("code", flat=True))


def test_filters_reload_the_layer_and_export_the_view(page, live_server, onemap, viewer, tmp_path):
    login(page, live_server, "viewer1", "pass-viewer1")
    open_map(page, live_server)
    switch(page, "projects")
    page.click('[data-testid="layer-zoom-projects"]')
    idle(page)
    assert {p["code"] for p in rendered(page, "projects")} == located_codes()
    page.locator('[data-testid="filter-district"]').select_option(label="中原区")
    page.wait_for_selector('.layer-row[data-layer="projects"][data-state="ready"]')
    idle(page)
    zhongyuan = located_codes(districts__code="410102")
    assert POINT_PROJECT[0] in zhongyuan and AREA_PROJECT not in zhongyuan
    assert {p["code"] for p in rendered(page, "projects")} == zhongyuan
    assert "district=" in page.get_attribute('[data-testid="export-xlsx"]', "href")
    # the address keeps the open layers, the filter and the view: a reload (or a sent link) shows the same
    assert re.search(r"[?&]layer=[^&#]*projects", page.url) and "district=" in page.url and "#view=" in page.url
    page.reload()
    page.wait_for_function("window.cityrenewOneMap && window.cityrenewOneMap.ready", timeout=30000)
    page.wait_for_selector('.layer-row[data-layer="projects"][data-state="ready"]')
    idle(page)
    assert page.locator('[data-testid="filter-district"] option:checked').inner_text() == "中原区"
    assert {p["code"] for p in rendered(page, "projects")} == zhongyuan

    # the export of the current view: what is drawn, as a GeoJSON file downloaded by the browser
    page.evaluate("window.cityrenewOneMap.map.jumpTo({center: [113.64, 34.75], zoom: 11})")
    idle(page)
    with page.expect_download() as download:
        page.click('[data-testid="export-geojson"]')
    exported = json.loads(Path(download.value.path()).read_text(encoding="utf-8"))
    codes = {f["properties"]["code"] for f in exported["features"] if f["properties"]["layer"] == "projects"}
    assert codes == zhongyuan, exported

    # a 类型 (project category) does not apply to the check-up units: they are left out of the export
    switch(page, "checkup-units")
    category = RenewalProject.objects.get(code=POINT_PROJECT[0]).category
    page.locator('[data-testid="filter-category"]').select_option(category)
    page.wait_for_selector('.layer-row[data-layer="projects"][data-state="ready"]')
    href = page.get_attribute('[data-testid="export-xlsx"]', "href")
    assert "checkup-units" not in href and "projects" in href and f"category={category}" in href
    assert "未包含：体检单元" in page.inner_text("#export-note")
    with page.expect_download() as download:
        page.click('[data-testid="export-xlsx"]')
    assert download.value.suggested_filename == "一张图导出.xlsx"
    download.value.save_as(tmp_path / "view.xlsx")
    book = openpyxl.load_workbook(tmp_path / "view.xlsx", read_only=True)
    assert "体检单元" not in book.sheetnames, book.sheetnames
    rows = list(book["城市更新项目"].iter_rows(values_only=True))
    assert any(POINT_PROJECT[0] in [str(c) for c in row] for row in rows[1:]), rows[:3]
    page.locator('[data-testid="filter-category"]').select_option("")
    switch(page, "checkup-units", on=False)

    # back to 全部: the 二七区 area returns
    page.locator('[data-testid="filter-district"]').select_option(label="全部")
    page.wait_for_selector('.layer-row[data-layer="projects"][data-state="ready"]')
    idle(page)
    assert AREA_PROJECT in {p["code"] for p in rendered(page, "projects")}


def test_reader_without_rights_sees_no_records(page, live_server, onemap, viewer):
    """A 部门填报员 reads the values of its own department's indicators only: another department's
    indicator values are not drawn for it (nor offered, nor served), while a city-wide reader sees them."""
    from django.contrib.auth import get_user_model

    from cityrenew.checkup import services
    from cityrenew.checkup.models import IndicatorValue
    from cityrenew.core.models import Region, RoleAssignment

    run = onemap
    with_values = set(IndicatorValue.objects.filter(run=run, unit__isnull=False).values_list("indicator_id", flat=True))
    everything = [i for i in services.visible_indicators(viewer, run).order_by("number") if i.pk in with_values]
    shown = everything[0]  # the layer's default indicator for a city-wide reader
    login(page, live_server, "viewer1", "pass-viewer1")
    open_map(page, live_server)
    switch(page, "checkup-values")
    page.click('[data-testid="layer-zoom-checkup-values"]')
    idle(page)
    seen = rendered(page, "checkup-values")
    assert seen and {p["indicator"] for p in seen} == {shown.label}
    bounds = page.evaluate("window.cityrenewOneMap.map.getBounds().toArray()")

    # a filler of a department that does not own that indicator but owns another with unit values
    user = get_user_model().objects.create_user(username="deptfiller", password="pass-deptfiller", first_name="部门填报员")
    for task in run.tasks.select_related("organisation"):
        ra = RoleAssignment.objects.create(user=user, role="dept_editor", region=Region.objects.get(code="410100"),
                                           organisation=task.organisation)
        own = {i.pk for i in services.visible_indicators(user, run)} & with_values
        if own and shown.pk not in own:
            break
        ra.delete()
    else:
        pytest.fail("no department without the default indicator")
    other = page.context.browser.new_context(locale="zh-CN", viewport={"width": 1400, "height": 900}, bypass_csp=True)
    try:
        p2 = other.new_page()
        p2.set_default_timeout(15000)
        p2.goto(live_server.url + "/login/")
        p2.fill("input[name=username]", "deptfiller")
        p2.fill("input[name=password]", "pass-deptfiller")
        p2.click("button[type=submit]")
        p2.wait_for_url(re.compile(r".*/inbox/$"))  # a department user lands on 我的待办
        open_map(p2, live_server, "?layer=checkup-values")
        p2.wait_for_selector('.layer-row[data-layer="checkup-values"][data-state="ready"]')
        p2.evaluate("b => window.cityrenewOneMap.map.fitBounds(b, {duration: 0})", bounds)
        idle(p2)
        drawn = rendered(p2, "checkup-values")
        assert drawn and shown.label not in {p["indicator"] for p in drawn}
        offered = p2.locator('[data-testid="filter-indicator"] option').evaluate_all("os => os.map(o => o.value)")
        assert str(shown.pk) not in offered and len(offered) > 1
        # asking for it by URL: refused with the Chinese reason, no records
        answer = p2.evaluate(
            "pk => fetch('/map/layers/checkup-values.geojson?indicator=' + pk).then(r => r.json().then(b => [r.status, b]))",
            shown.pk)
        assert answer[0] == 400 and "无权查看" in answer[1]["error"] and "features" not in answer[1]
    finally:
        other.close()


def test_draw_a_project_area_and_see_a_stale_refusal(page, live_server, onemap, city_admin, zhongyuan_editor,
                                                    screenshot_dir):
    from cityrenew.core.audit import actor

    code = POINT_PROJECT[0]
    login(page, live_server, "zyeditor", "pass-zyeditor")
    page.goto(live_server.url + f"/projects/{code}/")
    page.click('[data-testid="draw-link"]')
    page.wait_for_url(re.compile(r".*/map/\?draw=project:\d+$"))
    page.wait_for_function("window.cityrenewOneMap && window.cityrenewOneMap.ready", timeout=30000)
    page.wait_for_function("window.cityrenewOneMap.draw.active")
    assert code in page.inner_text("#draw-target")

    # an area of four corners, finished with a double-click, saved
    page.check("input[name=draw-kind][value=Polygon]")
    page.evaluate("window.cityrenewOneMap.map.jumpTo({center: [113.62, 34.77], zoom: 15})")
    idle(page)
    corners = [(113.617, 34.767), (113.623, 34.767), (113.623, 34.772), (113.617, 34.772)]
    for c in corners[:-1]:
        page.mouse.click(*screen_xy(page, c))
    page.mouse.dblclick(*screen_xy(page, corners[-1]))
    assert page.evaluate("window.cityrenewOneMap.draw.points.length") == 4
    page.click('[data-testid="draw-save"]')
    page.wait_for_selector('[data-testid="draw-status"][data-kind="ok"]')
    assert "已保存" in page.inner_text('[data-testid="draw-status"]')
    # the project layer is reloaded: the project is now drawn as an area, no longer as a point
    page.wait_for_selector('.layer-row[data-layer="projects"][data-state="ready"]')
    idle(page)
    kinds = page.evaluate(
        """code => { const h = window.cityrenewOneMap; const e = h.layers.find(l => l.name === 'projects');
                     return h.map.queryRenderedFeatures({layers: e.styleLayers})
                       .filter(f => f.properties.code === code).map(f => f.layer.type); }""", code)
    assert "fill" in kinds and "circle" not in kinds, kinds
    page.screenshot(path=str(screenshot_dir / "onemap-draw.png"))

    project = RenewalProject.objects.get(code=code)
    assert project.location.geom_type == "Polygon" and project.location.num_coords == 5
    lon0, lat0 = project.location.coords[0][0]
    assert abs(lon0 - 113.617) < 1e-4 and abs(lat0 - 34.767) < 1e-4
    entry = AuditLog.for_object(project).first()
    assert entry.user.username == "zyeditor" and "location" in entry.changes

    # someone else saves in between: the next save is refused with the API's Chinese message
    with actor(city_admin, "web"):
        project.name = project.name + "（二期）"
        project.save()
    page.check("input[name=draw-kind][value=Point]")
    page.mouse.click(*screen_xy(page, (113.62, 34.77)))
    page.click('[data-testid="draw-save"]')
    page.wait_for_selector('[data-testid="draw-status"][data-kind="error"]')
    message = page.inner_text('[data-testid="draw-status"]')
    assert "已被他人修改" in message and "您的修改没有保存" in message, message
    assert page.get_attribute('[data-testid="draw-status"]', "data-status") == "409"
    assert RenewalProject.objects.get(code=code).location.geom_type == "Polygon"  # nothing half-written


def test_draw_refused_without_edit_rights(page, live_server, onemap, zhongyuan_editor):
    """The 中原区 editor may not edit a 二七区 project: the draw panel says so and saves nothing."""
    project = RenewalProject.objects.get(code=AREA_PROJECT)
    login(page, live_server, "zyeditor", "pass-zyeditor")
    open_map(page, live_server, f"?draw=project:{project.pk}")
    page.wait_for_selector('[data-testid="draw-status"][data-kind="error"]')
    assert "没有修改项目" in page.inner_text('[data-testid="draw-status"]')
    assert page.locator('[data-testid="draw-save"]').is_disabled()

    # rights withdrawn while the page is open: the API's 403 and its Chinese reason are shown as they come
    from cityrenew.core.models import RoleAssignment

    own = RenewalProject.objects.get(code=POINT_PROJECT[0])
    open_map(page, live_server, f"?draw=project:{own.pk}")
    page.wait_for_function("window.cityrenewOneMap.draw.active")
    RoleAssignment.objects.filter(user=zhongyuan_editor).delete()
    page.evaluate("window.cityrenewOneMap.map.jumpTo({center: [113.62, 34.77], zoom: 15})")
    idle(page)
    page.mouse.click(*screen_xy(page, (113.62, 34.77)))
    page.click('[data-testid="draw-save"]')
    page.wait_for_selector('[data-testid="draw-status"][data-kind="error"]')
    message = page.inner_text('[data-testid="draw-status"]')
    # the field rules answer first: a user without a role may not change the location
    assert page.get_attribute('[data-testid="draw-status"]', "data-status") == "403"
    assert message == "「位置或范围（WGS84）」您的角色（无角色）不能修改。", message
    own.refresh_from_db()
    assert own.location.geom_type == "Point" and own.location.coords == POINT_PROJECT[2]


def test_map_page_works_under_the_csp(strict_page, live_server, onemap, viewer):
    """No inline script, no violation: the page, its layers and MapLibre's workers under the policy."""
    page = strict_page
    failed = []
    page.on("response", lambda r: r.status >= 400 and failed.append(f"{r.status} {r.url}"))
    login(page, live_server, "viewer1", "pass-viewer1")
    page.goto(live_server.url + "/map/")
    wait_until(page, "window.cityrenewOneMap && window.cityrenewOneMap.ready")
    page.locator('[data-testid="layer-toggle-checkup-units"]').check()
    page.wait_for_selector('.layer-row[data-layer="checkup-units"][data-state="ready"]')
    page.click('[data-testid="layer-zoom-checkup-units"]')
    wait_until(page, "window.cityrenewOneMap.map.queryRenderedFeatures({layers: "
                     "window.cityrenewOneMap.layers.find(l => l.name === 'checkup-units').styleLayers}).length > 0")
    assert page.evaluate("window.__csp") == []
    failed = [f for f in failed if not f.endswith("/favicon.ico")]
    assert failed == []
    assert len([e for e in page.console_errors if "404" not in e]) == 0, page.console_errors


TILE_PNG = Path(__file__).resolve().parents[2] / "node_modules" / "swagger-ui-dist" / "favicon-32x32.png"


def test_online_base_maps(page, live_server, onemap, viewer, settings):
    """天地图 (vec_w + cva_w with the key) and an XYZ template as raster layers under the data; the offline
    底图 layers stay off. The 天地图 servers are answered locally (no network in tests)."""
    asked = []

    def tianditu(route):
        asked.append(route.request.url)
        route.fulfill(status=200, content_type="image/png", body=TILE_PNG.read_bytes())

    page.route(re.compile(r"https://t\d\.tianditu\.gov\.cn/.*"), tianditu)
    settings.CITYRENEW_BASEMAP = "tianditu"
    settings.CITYRENEW_TIANDITU_KEY = "city-key-123"
    login(page, live_server, "viewer1", "pass-viewer1")
    open_map(page, live_server)
    layers = page.evaluate("window.cityrenewOneMap.map.getStyle().layers.map(l => l.id)")
    assert layers[:3] == ["basemap-background", "basemap-vec", "basemap-cva"]
    assert any("/vec_w/wmts?" in u and "tk=city-key-123" in u for u in asked)
    assert any("/cva_w/wmts?" in u and "LAYER=cva" in u for u in asked)
    assert not page.locator('[data-testid="layer-toggle-ref-roads"]').is_checked()
    assert page.evaluate("window.cityrenewOneMap.map.isSourceLoaded('basemap-vec')")

    # any XYZ template: tiles from this server (the swagger favicon stands in for a tile)
    served = []
    page.on("response", lambda r: "favicon-32x32.png" in r.url and served.append((r.status, r.url)))
    settings.CITYRENEW_BASEMAP = live_server.url + "/static/vendor/swagger-ui-dist/favicon-32x32.png?tile={z}/{x}/{y}"
    open_map(page, live_server)
    assert "basemap-xyz" in page.evaluate("window.cityrenewOneMap.map.getStyle().layers.map(l => l.id)")
    assert served and all(status == 200 for status, _ in served)
    assert re.search(r"tile=\d+/\d+/\d+", served[0][1])
    assert not page.locator('[data-testid="layer-toggle-ref-water"]').is_checked()

    # offline (the default): the 底图 layers from the database are on
    settings.CITYRENEW_BASEMAP = "offline"
    open_map(page, live_server)
    assert page.locator('[data-testid="layer-toggle-ref-roads"]').is_checked()
    page.evaluate("window.cityrenewOneMap.map.jumpTo({center: [113.62, 34.75], zoom: 14})")
    idle(page)
    assert rendered(page, "ref-roads") and rendered(page, "ref-buildings")
