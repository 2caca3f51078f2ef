"""Reference layers (参考图层) in a real browser: from the one map's side panel to the list, the load page,
a GeoJSON uploaded through the form, the job run, the layer's page and back to the map with it on."""

from __future__ import annotations

import json
import re

import pytest
from conftest import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_admin_loads_a_layer_through_the_page(page, live_server, city_admin, settings, tmp_path, screenshot_dir):
    from cityrenew.jobs.runner import run_pending
    from cityrenew.map.models import ReferenceFeature, ReferenceLayer

    settings.DATA_DIR = tmp_path
    d = 0.001
    feats = [{"type": "Feature", "properties": {"name": f"地块{i}"}, "geometry": {"type": "Polygon", "coordinates": [[
        [113.6 + i * 0.002, 34.7], [113.6 + i * 0.002 + d, 34.7], [113.6 + i * 0.002 + d, 34.7 + d], [113.6 + i * 0.002, 34.7]]]}}
        for i in range(5)]
    upload = tmp_path / "开发区.geojson"
    upload.write_text(json.dumps({"type": "FeatureCollection", "features": feats}, ensure_ascii=False), encoding="utf-8")

    login(page, live_server, "cityadmin", "pass-cityadmin")
    page.goto(live_server.url + "/map/")
    page.click("[data-testid=reference-layers-link]")
    page.wait_for_url(live_server.url + "/map/reference/")
    page.click("[data-testid=load-link]")
    page.wait_for_url(live_server.url + "/map/reference/load/")
    form = page.locator("[data-testid=layer-form]")
    form.locator("input[name=file]").set_input_files(str(upload))
    form.locator("input[name=name]").fill("dev-zones")
    form.locator("input[name=title]").fill("开发区地块")
    form.locator("select[name=kind]").select_option("boundaries")
    form.locator("input[name=basemap]").check()
    page.screenshot(path=str(screenshot_dir / "reference-load.png"), full_page=True)
    form.locator("[data-testid=load-layer]").click()
    page.wait_for_url(live_server.url + "/jobs/**")
    assert "已提交后台任务" in page.content()

    assert run_pending() == 1
    layer = ReferenceLayer.objects.get(name="dev-zones")
    assert layer.feature_count == 5 == ReferenceFeature.objects.filter(layer=layer).count()

    page.goto(live_server.url + "/map/reference/")
    row = page.locator(f"tr[data-pk='{layer.pk}']")
    assert row.locator("td").all_inner_texts()[:5] == ["dev-zones", "开发区地块", "边界", "5", "0"]
    page.screenshot(path=str(screenshot_dir / "reference-list.png"), full_page=True)
    row.locator("a", has_text="开发区地块").click()
    page.wait_for_url(live_server.url + "/map/reference/dev-zones/")
    page.click("[data-testid=map-link]")
    page.wait_for_url(re.compile(re.escape(live_server.url + "/map/?layer=ref-dev-zones")))
    # the layer is listed and switched on (map-page.js reads ?layer=)
    box = page.locator("[data-testid=layer-toggle-ref-dev-zones]")
    box.wait_for()
    assert box.is_checked()
