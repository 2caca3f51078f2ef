"""Issue 13's screens in a real Chromium: one alarm from reading to closure (城市生命线，报警处置全流程).

A small city built through the models (one gas device in 中原区 with its datastream and a 一级 rule, no demo):
readings go in through ``storage.ingest`` (the path every channel uses) and raise the alarm. The duty officer
(市级管理员) sees it in the dashboard's live list and the device coloured red on the one map (the feature's
``state`` and the colour MapLibre evaluated for it), opens the alarm, acknowledges it (named) and dispatches it
(派单); the 中原区 handler records the disposal (处置) with a photo; the reading returns to normal; the duty
officer reviews (复核) and closes it. The timeline shows every step with who and when; the device page's chart
holds the readings and the threshold line; the statistics page counts the alarm and its closure.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from conftest import login
from test_csp_browser import wait_until

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
RED = "#c92a2a"  # STATE_COLOURS["1"] of the lifeline map layer


@pytest.fixture
def small_city(regions, city_admin, zhongyuan_editor):
    from django.contrib.gis.geos import Point

    from cityrenew.core.models import Region
    from cityrenew.lifeline.models import AlarmRule, Datastream, Device, MonitoredAsset, ObservedProperty, Sensor

    zy = Region.objects.get(code="410102")
    prop = ObservedProperty.objects.create(name="燃气管网压力")
    asset = MonitoredAsset.objects.create(code="GAS-SEG-01", name="中原路中压燃气管段", kind="pipe_segment", sector="gas",
                                          district=zy)
    device = Device.objects.create(code="GAS-P-01", name="中原路燃气压力计", sector="gas", district=zy, asset=asset,
                                   device_type="压力变送器", location=Point(113.62, 34.75, srid=4326))
    ds = Datastream.objects.create(name="管网压力", device=device, sensor=Sensor.objects.create(name="压力变送器"),
                                   observed_property=prop, unit_name="兆帕", unit_symbol="MPa")
    AlarmRule.objects.create(code="GAS-P-HIGH", name="燃气管网压力过高", observed_property=prop, sector="gas", unit_symbol="MPa",
                             basis="测试阈值", definition={"levels": [{"name": "一级", "rank": 1, "conditions": [
                                 {"kind": "threshold", "word": "超过", "value": 0.4}]}]})
    return ds


@pytest.fixture
def pages(browser, page):
    """The duty officer's page and the handler's (two sessions); left on about:blank after the test so no
    request of the live server still reads the database when it is flushed."""
    ctx = browser.new_context(locale="zh-CN", viewport={"width": 1400, "height": 900}, bypass_csp=True)
    handler = ctx.new_page()
    handler.set_default_timeout(15000)
    yield page, handler
    for pg in (page, handler):
        pg.goto("about:blank")
    ctx.close()


def step(pg, name: str, **fields) -> None:
    pg.select_option('[data-testid="step-form"] select[name=step]', name)
    for key, value in fields.items():
        if key == "photo":
            pg.set_input_files('[data-testid="step-form"] input[name=photo]', str(value))
        else:
            pg.fill(f'[data-testid="step-form"] [name={key}]', value)
    with pg.expect_navigation():
        pg.click('[data-testid="step-form"] button')


def test_alarm_from_reading_to_closure_on_dashboard_map_alarm_chart_and_statistics(
        pages, live_server, small_city, tmp_path, screenshot_dir):
    from PIL import Image

    from cityrenew.lifeline.choices import AlarmStatus
    from cityrenew.lifeline.models import Alarm, AlarmStep
    from cityrenew.lifeline.storage import Reading, ingest

    duty, handler = pages
    ds = small_city
    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    ingest([Reading(ds.pk, now - dt.timedelta(minutes=3), 0.31), Reading(ds.pk, now - dt.timedelta(minutes=2), 0.52)],
           source="api")
    alarm = Alarm.objects.get()
    assert (alarm.level, alarm.status, alarm.value) == ("一级", AlarmStatus.ACTIVE, 0.52)

    # the dashboard: the alarm in the live list
    login(duty, live_server, "cityadmin", "pass-cityadmin")
    duty.goto(live_server.url + "/lifeline/")
    row = duty.locator('[data-testid="live-alarms"] [data-testid="alarm-row"]')
    assert row.count() == 1 and "GAS-P-01" in row.inner_text() and "未确认" in row.inner_text()
    assert duty.locator('[data-testid="active-count"] b').inner_text() == "1"

    # the one map: the device drawn with state 1 (一级), painted red
    duty.goto(live_server.url + "/map/?layer=lifeline-devices")
    duty.wait_for_function("window.cityrenewOneMap && window.cityrenewOneMap.ready", timeout=30000)
    duty.wait_for_selector('.layer-row[data-layer="lifeline-devices"][data-state="ready"]', timeout=30000)
    duty.evaluate("""() => new Promise(done => { const h = window.cityrenewOneMap; h.zoomTo('lifeline-devices');
                     h.map.once('idle', () => done(true)); h.map.triggerRepaint(); })""")
    drawn = duty.evaluate(
        """() => { const h = window.cityrenewOneMap; const e = h.layers.find(l => l.name === 'lifeline-devices');
                   const ids = e.styleLayers.filter(id => h.map.getLayer(id));
                   return h.map.queryRenderedFeatures({layers: ids}).filter(f => f.layer.type === 'circle')
                     .map(f => ({code: f.properties.code, state: f.properties.state, colour: f.layer.paint['circle-color']})); }""")
    assert drawn and {d["code"] for d in drawn} == {"GAS-P-01"} and {d["state"] for d in drawn} == {"1"}
    colour = drawn[0]["colour"]
    assert (colour if isinstance(colour, str) else "#%02x%02x%02x" % tuple(round(colour[c] * 255) for c in "rgb")) == RED

    # the alarm page: acknowledge (named), dispatch
    duty.goto(live_server.url + "/lifeline/")
    with duty.expect_navigation():
        duty.locator('[data-testid="alarm-row"] a').first.click()
    assert re.search(rf"/lifeline/alarms/{alarm.pk}/$", duty.url)
    with duty.expect_navigation():
        duty.click('[data-testid="ack-button"]')
    assert "已确认报警" in duty.content()
    step(duty, "dispatch", assignee="郑州华润燃气抢修一队", note="立即到场排查")

    # the handler (中原区) records the disposal with a photo
    photo = tmp_path / "现场.png"
    Image.new("RGB", (40, 30), (200, 80, 40)).save(photo)
    login(handler, live_server, "zyeditor", "pass-zyeditor")
    handler.goto(f"{live_server.url}/lifeline/alarms/{alarm.pk}/")
    step(handler, "handle", note="关闭上游阀门，调压器已更换", photo=photo)
    assert "已记录：处置" in handler.content()

    # the reading returns to normal (已恢复); the duty officer reviews and closes
    back = dt.datetime.now(dt.timezone.utc)
    ingest([Reading(ds.pk, back, 0.30)], source="api")
    duty.reload()
    step(duty, "verify", note="复核：压力已恢复正常")
    step(duty, "close", note="处置完毕")
    alarm.refresh_from_db()
    assert alarm.status == AlarmStatus.CLOSED and alarm.acknowledged_by.username == "cityadmin"
    handle = AlarmStep.objects.get(step="handle")
    assert handle.user.username == "zyeditor" and handle.photo.name.endswith(".png")

    # the timeline: each step with who and when, in order
    items = duty.locator('[data-testid="timeline"] li').all_inner_texts()
    what = [re.match(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d (\S+)", t).group(1) for t in items]
    assert what == ["报警", "确认", "派单", "处置", "恢复", "复核", "关闭"], items
    assert "市管理员" in items[1] and "市管理员" in items[2] and "郑州华润燃气抢修一队" in items[2]
    assert "中原区编辑" in items[3] and "调压器已更换" in items[3] and "市管理员" in items[5] and "市管理员" in items[6]
    assert not duty.locator('[data-testid="alarm-actions"]').count()  # closed: no more actions
    duty.screenshot(path=str(screenshot_dir / "lifeline-alarm-closed.png"), full_page=True)

    # the device page: the series and the threshold line in the chart
    duty.goto(f"{live_server.url}/lifeline/devices/{ds.device_id}/")
    wait_until(duty, "document.querySelector('[data-testid=\"series-chart\"]').dataset.rendered === '1'")
    option = duty.evaluate("""() => { const o = echarts.getInstanceByDom(document.querySelector('[data-testid="series-chart"]')).getOption();
                                     return {values: o.series[0].data.map(p => p[1]), lines: o.series[0].markLine.data.map(l => l.yAxis)}; }""")
    assert option == {"values": [0.31, 0.52, 0.3], "lines": [0.4]}

    # the statistics page (linked from the dashboard): the alarm, its acknowledgement and closure counted
    duty.goto(live_server.url + "/lifeline/")
    with duty.expect_navigation():
        duty.click('[data-testid="statistics-link"]')
    wait_until(duty, "document.querySelector('[data-testid=\"stats-sector-chart\"]').dataset.rendered === '1'")
    cards = {k: duty.locator(f'[data-testid="stat-{k}"] b').inner_text() for k in ("devices", "online", "assets", "alarms", "open", "closed")}
    assert cards == {"devices": "1", "online": "1", "assets": "1", "alarms": "1", "open": "0", "closed": "1"}
    heads = duty.locator('[data-testid="stats-district"] thead th').all_inner_texts()
    cells = duty.locator('[data-testid="stats-district"] tr[data-label="中原区"] td').all_inner_texts()
    figures = dict(zip(heads, cells))
    assert (figures["报警"], figures["一级/红色"], figures["已确认"], figures["已关闭"]) == ("1", "1", "1", "1")
    duty.screenshot(path=str(screenshot_dir / "lifeline-statistics.png"), full_page=True)
