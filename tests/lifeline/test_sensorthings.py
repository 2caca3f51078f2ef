"""The SensorThings API v1.1 at /api/sta/v1.1/: what a gateway or client does, as the standard describes it
(deep insert, observations, $filter/$orderby/$top/$skip/$count/$expand/$select, dataArray), with user
and per-device authentication, and the refusals."""

import base64
import datetime as dt
import json

import pytest
from rest_framework.test import APIClient

from cityrenew.core.auth import issue_token
from cityrenew.lifeline.keys import issue_key, revoke_key
from cityrenew.lifeline.models import Alarm, AlarmRule, Datastream, Device, Location, ObservedProperty, Sensor
from cityrenew.lifeline.storage import latest_values

pytestmark = pytest.mark.django_db
ROOT = "/api/sta/v1.1/"


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


@pytest.fixture
def admin_client(city_admin):
    c = APIClient()
    c.credentials(HTTP_AUTHORIZATION=basic("cityadmin", "pass-cityadmin"))
    return c


def now(minutes=0):
    return (dt.datetime.now(dt.timezone.utc).replace(microsecond=0) + dt.timedelta(minutes=minutes))


THING = {
    "name": "金水路桥梁监测站",
    "description": "桥梁结构健康监测：挠度与倾角",
    "properties": {"code": "BR-0101", "sector": "桥梁", "owner": "市政设施中心"},
    "Locations": [{"name": "金水路桥", "description": "桥中跨", "encodingType": "application/geo+json",
                   "location": {"type": "Point", "coordinates": [113.6801, 34.7712]}}],
    "Datastreams": [
        {"name": "跨中挠度", "description": "跨中竖向位移",
         "unitOfMeasurement": {"name": "毫米", "symbol": "mm", "definition": "http://qudt.org/vocab/unit/MilliM"},
         "observationType": "http://www.opengis.net/def/observationType/OGC-OM/2.0/OM_Measurement",
         "Sensor": {"name": "激光位移计", "description": "LD-200", "encodingType": "application/pdf", "metadata": "https://example.org/ld200.pdf"},
         "ObservedProperty": {"name": "挠度", "definition": "https://example.org/deflection", "description": "竖向位移"}},
        {"name": "墩顶倾角", "description": "",
         "unitOfMeasurement": {"name": "度", "symbol": "°", "definition": ""},
         "observationType": "http://www.opengis.net/def/observationType/OGC-OM/2.0/OM_Measurement",
         "Sensor": {"name": "倾角计", "description": "", "encodingType": "application/pdf", "metadata": ""},
         "ObservedProperty": {"name": "倾角", "definition": "", "description": ""}},
    ],
}


def test_service_root_lists_the_entity_sets(admin_client):
    body = admin_client.get(ROOT).json()
    assert [v["name"] for v in body["value"]] == ["Things", "Locations", "Sensors", "ObservedProperties", "Datastreams", "Observations"]
    assert body["value"][0]["url"] == "http://testserver/api/sta/v1.1/Things"
    assert "http://www.opengis.net/spec/iot_sensing/1.1/req/create-update-delete" in body["serverSettings"]["conformance"]


def test_deep_insert_of_a_thing_and_reading_it_back_expanded(admin_client):
    r = admin_client.post(ROOT + "Things", THING, format="json")
    assert r.status_code == 201, r.content
    thing_id = r.json()["@iot.id"]
    assert r["Location"] == f"http://testserver/api/sta/v1.1/Things({thing_id})"
    device = Device.objects.get(pk=thing_id)
    assert (device.code, device.sector, device.location.coords) == ("BR-0101", "bridge", (113.6801, 34.7712))
    assert Datastream.objects.filter(device=device).count() == 2 and Location.objects.count() == 1
    body = admin_client.get(ROOT + f"Things({thing_id})", {"$expand": "Locations,Datastreams($expand=Sensor,ObservedProperty;$orderby=name)"}).json()
    assert body["name"] == "金水路桥梁监测站" and body["properties"]["owner"] == "市政设施中心"
    assert body["Locations"][0]["location"] == {"type": "Point", "coordinates": [113.6801, 34.7712]}
    assert [d["name"] for d in body["Datastreams"]] == ["墩顶倾角", "跨中挠度"]
    assert body["Datastreams"][1]["Sensor"]["name"] == "激光位移计"
    assert body["Datastreams"][1]["unitOfMeasurement"] == {"name": "毫米", "symbol": "mm", "definition": "http://qudt.org/vocab/unit/MilliM"}
    assert body["Datastreams@iot.navigationLink"].endswith(f"Things({thing_id})/Datastreams")
    # link an existing Sensor/ObservedProperty by @iot.id
    sensor = Sensor.objects.get(name="倾角计")
    r = admin_client.post(ROOT + f"Things({thing_id})/Datastreams", {
        "name": "墩底倾角", "unitOfMeasurement": {"name": "度", "symbol": "°"},
        "Sensor": {"@iot.id": sensor.pk}, "ObservedProperty": {"@iot.id": ObservedProperty.objects.get(name="倾角").pk},
    }, format="json")
    assert r.status_code == 201 and Sensor.objects.count() == 2


def test_observations_posted_filtered_ordered_paged_and_counted(admin_client):
    thing_id = admin_client.post(ROOT + "Things", THING, format="json").json()["@iot.id"]
    ds = Datastream.objects.get(device_id=thing_id, name="跨中挠度")
    for i, v in enumerate([3.0, 5.5, 9.0, 12.5, 4.0]):
        r = admin_client.post(ROOT + f"Datastreams({ds.pk})/Observations",
                              {"phenomenonTime": (now(-10 + i)).isoformat(), "result": v}, format="json")
        assert r.status_code == 201, r.content
        assert r["Location"] == f"http://testserver/api/sta/v1.1/Observations({r.json()['@iot.id']})"
    path = ROOT + f"Datastreams({ds.pk})/Observations"
    latest = admin_client.get(path, {"$orderby": "phenomenonTime desc", "$top": "1"}).json()
    assert [o["result"] for o in latest["value"]] == [4.0] and "@iot.nextLink" in latest
    page = admin_client.get(path, {"$filter": "result gt 5 and result le 12.5", "$orderby": "result", "$count": "true"}).json()
    assert (page["@iot.count"], [o["result"] for o in page["value"]]) == (3, [5.5, 9.0, 12.5])
    second = admin_client.get(path, {"$orderby": "phenomenonTime", "$top": "2", "$skip": "2", "$select": "result"}).json()
    assert second["value"] == [{"result": 9.0}, {"result": 12.5}]
    after = now(-8).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert len(admin_client.get(ROOT + "Observations", {"$filter": f"phenomenonTime gt {after} and Datastream/@iot.id eq {ds.pk}"}).json()["value"]) == 2
    one = admin_client.get(ROOT + f"Observations({latest['value'][0]['@iot.id']})", {"$expand": "Datastream"}).json()
    assert one["Datastream"]["name"] == "跨中挠度"
    assert latest_values([ds.pk])[0]["value"] == 4.0


def test_data_array_creates_all_or_nothing(admin_client):
    thing_id = admin_client.post(ROOT + "Things", THING, format="json").json()["@iot.id"]
    ds = Datastream.objects.get(device_id=thing_id, name="跨中挠度")
    body = [{"Datastream": {"@iot.id": ds.pk}, "components": ["phenomenonTime", "result"],
             "dataArray@iot.count": 3, "dataArray": [[now(-3).isoformat(), 1.0], [now(-2).isoformat(), 2.0], [now(-1).isoformat(), 3.0]]}]
    r = admin_client.post(ROOT + "CreateObservations", body, format="json")
    assert r.status_code == 201 and len(r.json()) == 3 and r.json()[0].startswith("http://testserver/api/sta/v1.1/Observations(")
    body[0]["dataArray"] = [[now(-1).isoformat(), 4.0], [now(30).isoformat(), 5.0]]  # the second is in the future
    r = admin_client.post(ROOT + "CreateObservations", body, format="json")
    assert r.status_code == 400 and "第 2 条" in r.json()["message"] and "晚于当前时间" in r.json()["message"]
    assert admin_client.get(ROOT + f"Datastreams({ds.pk})/Observations", {"$count": "true"}).json()["@iot.count"] == 3


def test_a_device_key_posts_only_its_own_readings_and_raises_an_alarm(admin_client, city_admin):
    thing_id = admin_client.post(ROOT + "Things", THING, format="json").json()["@iot.id"]
    device = Device.objects.get(pk=thing_id)
    ds = device.datastreams.get(name="跨中挠度")
    AlarmRule.objects.create(code="BR-DEFL", name="桥梁挠度超限", observed_property=ds.observed_property, unit_symbol="mm",
                             definition={"levels": [{"name": "黄色", "rank": 3, "conditions": [{"kind": "threshold", "word": "超过", "value": 10}]}]})
    key = issue_key(device)
    dev = APIClient()
    dev.credentials(HTTP_AUTHORIZATION=basic("BR-0101", key))
    r = dev.post(ROOT + f"Datastreams({ds.pk})/Observations", {"phenomenonTime": now().isoformat(), "result": 10.5}, format="json")
    assert r.status_code == 201, r.content
    assert Alarm.objects.get().level == "黄色"
    other = admin_client.post(ROOT + "Things", {**THING, "properties": {"code": "BR-0102"}, "Locations": []}, format="json").json()["@iot.id"]
    theirs = Datastream.objects.filter(device_id=other).first()
    r = dev.post(ROOT + f"Datastreams({theirs.pk})/Observations", {"phenomenonTime": now().isoformat(), "result": 1}, format="json")
    assert r.status_code == 400 and "不属于设备 BR-0101" in r.json()["message"]
    assert dev.get(ROOT + "Things").status_code == 403
    wrong = APIClient()
    wrong.credentials(HTTP_AUTHORIZATION=basic("BR-0101", "not-the-key"))
    assert wrong.post(ROOT + f"Datastreams({ds.pk})/Observations", {"phenomenonTime": now().isoformat(), "result": 1}, format="json").status_code == 401
    revoke_key(device)
    r = dev.post(ROOT + f"Datastreams({ds.pk})/Observations", {"phenomenonTime": now().isoformat(), "result": 1}, format="json")
    assert r.status_code == 401 and "已吊销" in r.json()["message"]


def test_token_authentication_and_who_may_write(admin_client, viewer):
    assert APIClient().get(ROOT + "Things").status_code == 401
    token = APIClient()
    token.credentials(HTTP_AUTHORIZATION="Token " + issue_token(viewer).key)
    assert token.get(ROOT + "Things").status_code == 200
    r = token.post(ROOT + "Things", THING, format="json")
    assert r.status_code == 403 and "没有修改监测设备数据的权限" in r.json()["message"]
    assert not Device.objects.exists()


@pytest.mark.parametrize(
    "path, body, status, message",
    [
        ("Things", {"description": "无名称"}, 400, "Thing缺少必填属性 name"),
        ("Things", {**THING, "Datastreams": [{**THING["Datastreams"][0], "unitOfMeasurement": None}]}, 400, "缺少 unitOfMeasurement"),
        ("Things", {**THING, "Locations": [{"name": "x", "location": {"type": "Point", "coordinates": [34.77, 213.68]}}]}, 400, "超出经纬度范围"),
        ("Datastreams(999)/Observations", {"phenomenonTime": "2026-01-01T00:00:00Z", "result": 1}, 404, "Datastream 999 不存在"),
        ("Observations", {"Datastream": {"@iot.id": 999}, "phenomenonTime": "2026-01-01T00:00:00Z", "result": 1}, 400, "数据流 999 不存在"),
        ("Observations", {"phenomenonTime": "2026-01-01T00:00:00", "result": 1, "Datastream": {"@iot.id": 1}}, 400, "缺少时区"),
        ("Nothing", {}, 404, "资源“Nothing”不存在"),
    ],
)
def test_bad_writes_are_refused_in_chinese_and_nothing_is_created(admin_client, path, body, status, message):
    r = admin_client.post(ROOT + path, body, format="json")
    assert r.status_code == status, r.content
    assert message in r.json()["message"] and r.json()["type"] == "error"
    assert not Device.objects.exists() and not Sensor.objects.exists()


def test_malformed_json_bad_options_and_append_only_readings(admin_client):
    r = admin_client.generic("POST", ROOT + "Things", "{name: 'x'", content_type="application/json")
    assert r.status_code == 400 and r.json()["type"] == "error"
    r = admin_client.get(ROOT + "Things", {"$filter": "colour eq 'red'"})
    assert r.status_code == 400 and "属性“colour”不存在" in r.json()["message"]
    assert admin_client.get(ROOT + "Things", {"$top": "-1"}).status_code == 400
    assert admin_client.get(ROOT + "Things", {"$expand": "Wheels"}).status_code in (200, 400)
    thing_id = admin_client.post(ROOT + "Things", THING, format="json").json()["@iot.id"]
    ds = Datastream.objects.get(device_id=thing_id, name="跨中挠度")
    obs = admin_client.post(ROOT + f"Datastreams({ds.pk})/Observations", {"phenomenonTime": now().isoformat(), "result": 1}, format="json").json()
    r = admin_client.patch(ROOT + f"Observations({obs['@iot.id']})", {"result": 2}, format="json")
    assert r.status_code == 405 and "只增不改" in r.json()["message"]
    assert admin_client.get(ROOT + "Things", {"$expand": "Wheels"}).status_code == 400
    r = admin_client.patch(ROOT + f"Things({thing_id})", {"name": "金水路桥监测站（新）"}, format="json")
    assert r.status_code == 200 and Device.objects.get(pk=thing_id).name == "金水路桥监测站（新）"
