"""The lifeline pages: dashboard, device registry with keys, alarm page with acknowledgement and disposal,
rules validated as data, the chart data and the map layer — through the test client, with permissions."""

import datetime as dt
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from cityrenew.core.models import AuditLog, Region
from cityrenew.lifeline.choices import AlarmStatus
from cityrenew.lifeline.models import Alarm, AlarmRule, AlarmStep, Datastream, Device, ObservedProperty, Sensor
from cityrenew.lifeline.storage import Reading, ingest

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup(regions):
    from django.contrib.gis.geos import Point

    prop = ObservedProperty.objects.create(name="管网压力")
    device = Device.objects.create(code="W-001", name="中原路供水管网压力计", sector="water",
                                   district=Region.objects.get(code="410102"), location=Point(113.62, 34.75, srid=4326))
    ds = Datastream.objects.create(name="压力", device=device, sensor=Sensor.objects.create(name="压力变送器"),
                                   observed_property=prop, unit_name="兆帕", unit_symbol="MPa")
    rule = AlarmRule.objects.create(code="W-P-LOW", name="供水管网压力过低", observed_property=prop, unit_symbol="MPa",
                                    escalate_after_min=10, basis="供水企业调度规程",
                                    definition={"levels": [{"name": "二级", "rank": 2, "conditions": [
                                        {"kind": "threshold", "word": "低于", "value": 0.14}]}]})
    now = dt.datetime.now(dt.timezone.utc)
    ingest([Reading(ds.pk, now - dt.timedelta(minutes=2), 0.3), Reading(ds.pk, now - dt.timedelta(minutes=1), 0.1)], source="api")
    return device, ds, rule, Alarm.objects.get()


def test_dashboard_lists_live_alarms(client, city_admin, setup):
    client.force_login(city_admin)
    page = client.get(reverse("lifeline:dashboard")).content.decode()
    assert "供水管网压力过低" in page and "W-001" in page and "未确认" in page
    part = client.get(reverse("lifeline:dashboard") + "?part=alarms", HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in part and "W-001" in part


def test_device_page_shows_latest_value_and_issues_a_key_once(client, zhongyuan_editor, erqi_editor, setup):
    device = setup[0]
    client.force_login(zhongyuan_editor)
    page = client.get(device.get_absolute_url()).content.decode()
    assert "0.1 MPa" in page and "签发密钥" in page
    r = client.post(reverse("lifeline:device_key", args=[device.pk]), {"action": "issue"}, follow=True)
    key = r.context["new_key"]
    assert key and key in r.content.decode() and "登录 MQTT 服务器" in r.content.decode()
    assert key not in client.get(device.get_absolute_url()).content.decode()  # shown once
    device.refresh_from_db()
    assert device.key_hash.startswith("sha256$") and key not in device.key_hash
    assert device.mqtt_hash.startswith("$7$101$") and key not in device.mqtt_hash  # the broker's entry of the key
    for field in ("key_hash", "mqtt_hash"):
        assert AuditLog.objects.filter(object_id=str(device.pk), changes__has_key=field).count() == 0
    assert device.mqtt_hash not in client.get(device.get_absolute_url()).content.decode()
    thing = client.get(f"/api/sta/v1.1/Things({device.pk})")
    assert thing.status_code == 200 and device.mqtt_hash not in thing.content.decode()
    assert "仅可用于 HTTP 报送" not in client.get(device.get_absolute_url()).content.decode()
    Device.objects.filter(pk=device.pk).update(mqtt_hash="")  # a key issued before MQTT logins existed
    assert "仅可用于 HTTP 报送" in client.get(device.get_absolute_url()).content.decode()
    client.force_login(erqi_editor)  # another district
    assert client.post(reverse("lifeline:device_key", args=[device.pk]), {"action": "revoke"}).status_code == 403


def test_alarm_acknowledged_and_disposed_by_named_users(client, zhongyuan_editor, viewer, setup):
    alarm = setup[3]
    client.force_login(viewer)
    assert client.post(reverse("lifeline:alarm_act", args=[alarm.pk]), {"action": "ack"}).status_code == 403
    client.force_login(zhongyuan_editor)
    client.post(reverse("lifeline:alarm_act", args=[alarm.pk]), {"action": "ack"})
    alarm.refresh_from_db()
    assert alarm.acknowledged_by == zhongyuan_editor
    r = client.post(reverse("lifeline:alarm_act", args=[alarm.pk]), {"step": "handle", "note": "x"}, follow=True)
    assert "当前应进行“派单”" in r.content.decode()
    client.post(reverse("lifeline:alarm_act", args=[alarm.pk]), {"step": "dispatch", "assignee": "供水集团抢修队"})
    page = client.get(alarm.get_absolute_url()).content.decode()
    assert "派单" in page and "供水集团抢修队" in page and "确认" in page
    assert AlarmStep.objects.get().user == zhongyuan_editor
    bad = client.post(reverse("lifeline:alarm_act", args=[alarm.pk]),
                      {"step": "handle", "photo": SimpleUploadedFile("x.png", b"<html>not an image</html>")}, follow=True)
    assert AlarmStep.objects.count() == 1 and "现场照片" in bad.content.decode()


def test_rule_definitions_are_validated_in_chinese(client, city_admin, setup):
    client.force_login(city_admin)
    prop = ObservedProperty.objects.get()
    data = {"code": "R2", "name": "测试", "observed_property": prop.pk, "unit_symbol": "MPa", "enabled": "on",
            "definition": json.dumps({"levels": [{"name": "一级", "conditions": [{"word": "大概", "value": 1}]}]})}
    r = client.post(reverse("lifeline:alarmrule_add"), data)
    assert r.status_code == 400 and "阈值用语“大概”无法识别" in r.content.decode()
    data["definition"] = json.dumps({"levels": [{"name": "一级", "conditions": [{"word": "以上", "value": 1}]}]})
    r = client.post(reverse("lifeline:alarmrule_add"), data)
    assert r.status_code == 302 and AlarmRule.objects.filter(code="R2").exists()
    assert "读数1MPa以上" in client.get(reverse("lifeline:alarmrule_list")).content.decode()


def test_series_json_has_the_readings_and_thresholds(client, viewer, setup):
    client.force_login(viewer)
    data = client.get(reverse("lifeline:series", args=[setup[1].pk])).json()
    assert [v for _, v in data["points"]] == [0.3, 0.1]
    assert data["thresholds"] == [{"level": "二级", "value": 0.14, "text": "读数低于0.14MPa", "rule": "供水管网压力过低"}]


def test_map_layer_colours_devices_by_alarm_level(client, viewer, setup):
    client.force_login(viewer)
    fc = client.get("/map/layers/lifeline-devices.geojson").json()
    assert [(f["properties"]["code"], f["properties"]["state"]) for f in fc["features"]] == [("W-001", "2")]
    Alarm.objects.update(status=AlarmStatus.CLEARED)
    fc = client.get("/map/layers/lifeline-devices.geojson").json()
    assert fc["features"][0]["properties"]["state"] == "normal"
