"""Readings published to a real MQTT broker (Debian's mosquitto on loopback, with the generated logins:
tests/lifeline/conftest.py) are stored by the bridge and raise alarms; bad messages are refused one by one,
the others stored."""

import datetime as dt
import json
import time

import pytest

from cityrenew.lifeline.keys import issue_key
from cityrenew.lifeline.models import Alarm, AlarmRule, Datastream, Device, ObservedProperty, Sensor
from cityrenew.lifeline.mqtt import Bridge, publish
from cityrenew.lifeline.storage import latest_values

pytestmark = pytest.mark.django_db


@pytest.fixture
def stream():
    prop = ObservedProperty.objects.create(name="甲烷浓度")
    device = Device.objects.create(code="GAS-W-12", name="阀门井甲烷监测仪", sector="gas")
    ds = Datastream.objects.create(name="甲烷浓度", device=device, sensor=Sensor.objects.create(name="激光甲烷传感器"),
                                   observed_property=prop, unit_name="爆炸下限百分比", unit_symbol="%LEL")
    AlarmRule.objects.create(code="CH4", name="阀门井甲烷浓度", observed_property=prop, unit_symbol="%LEL",
                             definition={"levels": [
                                 {"name": "一级", "rank": 1, "conditions": [{"kind": "threshold", "word": "以上", "value": 25}]},
                                 {"name": "三级", "rank": 3, "conditions": [{"kind": "threshold", "word": "以上", "value": 5}]}]})
    return ds


@pytest.fixture
def device_key(stream, broker, django_capture_on_commit_callbacks):
    """The key of the stream's device; issuing it rewrote the broker's files and signalled it (on commit)."""
    with django_capture_on_commit_callbacks(execute=True):
        key = issue_key(stream.device)
    assert broker.answer_becomes("GAS-W-12", key, ok=True).is_failure is False
    return key


def bridge_for(broker, prefix, flush_s=0.1) -> Bridge:
    return Bridge("127.0.0.1", broker.port, username=broker.bridge.name, password=broker.bridge.password,
                  flush_s=flush_s, prefix=prefix, client_id=prefix)


def drain_until(bridge: Bridge, n: int, seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while bridge.stats.received < n and time.monotonic() < deadline:
        bridge.drain(wait_s=0.5)


def test_a_published_observation_is_stored_and_raises_an_alarm(broker, prefix, stream, device_key):
    bridge = bridge_for(broker, prefix)
    bridge.start()
    try:
        now = dt.datetime.now(dt.timezone.utc)
        publish("127.0.0.1", broker.port, stream.pk, {"phenomenonTime": now.isoformat(), "result": 25}, prefix=prefix,
                username="GAS-W-12", password=device_key, client_id=f"{prefix}GAS-W-12")
        drain_until(bridge, 1)
    finally:
        bridge.stop()
    assert (bridge.stats.stored, bridge.stats.refused) == (1, 0)
    assert latest_values([stream.pk])[0]["value"] == 25.0
    alarm = Alarm.objects.get()
    assert (alarm.level, alarm.value, alarm.device.code) == ("一级", 25.0, "GAS-W-12")  # 25 is 25以上


def test_bad_messages_are_refused_one_by_one_and_the_rest_stored(broker, prefix, stream):
    """Sent by a login that may write every topic (a device may only write its own datastreams' topics)."""
    bridge = bridge_for(broker, prefix, flush_s=0.3)
    bridge.start()
    now = dt.datetime.now(dt.timezone.utc)
    client, reason = broker.login(broker.gateway.name, broker.gateway.password)
    assert not reason.is_failure
    try:
        msgs = [
            (f"v1.1/Datastreams({stream.pk})/Observations", json.dumps({"phenomenonTime": now.isoformat(), "result": 3})),
            (f"v1.1/Datastreams({stream.pk})/Observations", "{not json"),
            ("v1.1/Datastreams(999999)/Observations", json.dumps({"phenomenonTime": now.isoformat(), "result": 3})),
            (f"v1.1/Datastreams({stream.pk})/Observations",
             json.dumps({"phenomenonTime": (now + dt.timedelta(hours=1)).isoformat(), "result": 3})),
            ("v1.1/Observations", json.dumps({"phenomenonTime": now.isoformat(), "result": 6, "Datastream": {"@iot.id": stream.pk}})),
        ]
        for topic, payload in msgs:
            client.publish(prefix + topic, payload, qos=1).wait_for_publish(5)
        drain_until(bridge, len(msgs))
    finally:
        client.disconnect()
        client.loop_stop()
        bridge.stop()
    assert (bridge.stats.received, bridge.stats.stored, bridge.stats.refused) == (5, 2, 3)
    problems = " ".join(bridge.stats.problems)
    assert "不是有效的 JSON" in problems and "数据流 999999 不存在" in problems and "晚于当前时间" in problems
    assert Alarm.objects.get().level == "三级" and latest_values([stream.pk])[0]["value"] == 6.0
