"""Readings published to a real MQTT broker (Debian's mosquitto, started here on loopback) are stored by
the bridge and raise alarms; bad messages are refused one by one, the others stored."""

import datetime as dt
import json
import os
import shutil
import socket
import subprocess
import time
import uuid

import paho.mqtt.client as mqtt
import pytest

from cityrenew.lifeline.models import Alarm, AlarmRule, Datastream, Device, ObservedProperty, Sensor
from cityrenew.lifeline.mqtt import Bridge, publish
from cityrenew.lifeline.storage import latest_values

pytestmark = pytest.mark.django_db


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def prefix():
    """A topic prefix of this test's own: test workers may share one broker (CI starts one)."""
    return f"test-{uuid.uuid4().hex[:8]}/"


@pytest.fixture
def broker(tmp_path):
    """The broker CI started (CITYRENEW_TEST_MQTT_PORT, .ci/mosquitto.sh), or one of this test's own."""
    if os.environ.get("CITYRENEW_TEST_MQTT_PORT"):
        yield int(os.environ["CITYRENEW_TEST_MQTT_PORT"])
        return
    exe = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
    port = free_port()
    conf = tmp_path / "mosquitto.conf"
    conf.write_text(f"listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\n")
    proc = subprocess.Popen([exe, "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.05)
    else:
        proc.kill()
        raise RuntimeError(f"mosquitto 未能启动：{proc.stderr.read().decode()}")
    yield port
    proc.terminate()
    proc.wait(5)


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


def drain_until(bridge: Bridge, n: int, seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while bridge.stats.received < n and time.monotonic() < deadline:
        bridge.drain(wait_s=0.5)


def test_a_published_observation_is_stored_and_raises_an_alarm(broker, prefix, stream):
    bridge = Bridge("127.0.0.1", broker, flush_s=0.1, prefix=prefix, client_id=prefix)
    bridge.start()
    try:
        now = dt.datetime.now(dt.timezone.utc)
        publish("127.0.0.1", broker, stream.pk, {"phenomenonTime": now.isoformat(), "result": 25}, prefix=prefix)
        drain_until(bridge, 1)
    finally:
        bridge.stop()
    assert (bridge.stats.stored, bridge.stats.refused) == (1, 0)
    assert latest_values([stream.pk])[0]["value"] == 25.0
    alarm = Alarm.objects.get()
    assert (alarm.level, alarm.value, alarm.device.code) == ("一级", 25.0, "GAS-W-12")  # 25 is 25以上


def test_bad_messages_are_refused_one_by_one_and_the_rest_stored(broker, prefix, stream):
    bridge = Bridge("127.0.0.1", broker, flush_s=0.3, prefix=prefix, client_id=prefix)
    bridge.start()
    now = dt.datetime.now(dt.timezone.utc)
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2)
    client.connect("127.0.0.1", broker)
    client.loop_start()
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
