"""Per-device authentication on the MQTT path: a real mosquitto (tests/lifeline/conftest.py) with the
password and ACL files lifeline/broker.py writes; devices log in with their code and key and may publish
only to their own datastreams' topics; revocation and re-issue reach the running broker."""

import base64
import datetime as dt
import json
import subprocess
import threading
import time

import paho.mqtt.client as mqtt
import pytest

from cityrenew.lifeline import broker as mqtt_broker
from cityrenew.lifeline.keys import issue_key, revoke_key
from cityrenew.lifeline.models import Datastream, Device, Observation, ObservedProperty, Sensor
from cityrenew.lifeline.mqtt import Bridge
from cityrenew.lifeline.storage import latest_values

pytestmark = pytest.mark.django_db


def make_stream(code: str, **props) -> Datastream:
    device = Device.objects.create(code=code, name=f"{code} 液位计", sector="drainage")
    return Datastream.objects.create(name="液位", device=device, sensor=Sensor.objects.create(name="雷达液位计"),
                                     observed_property=ObservedProperty.objects.create(name="液位"),
                                     unit_name="米", unit_symbol="m", properties=props)


@pytest.fixture
def two(broker, django_capture_on_commit_callbacks):
    """Two devices with a datastream and a key each; issuing the keys rewrote the broker's files."""
    with django_capture_on_commit_callbacks(execute=True):
        a, b = make_stream("DR-A"), make_stream("DR-B")
        keys = {"DR-A": issue_key(a.device), "DR-B": issue_key(b.device)}
    for code, key in keys.items():
        assert not broker.answer_becomes(code, key, ok=True).is_failure
    return a, b, keys


def reading(value: float) -> str:
    return json.dumps({"phenomenonTime": dt.datetime.now(dt.timezone.utc).isoformat(), "result": value})


def started_bridge(broker, prefix) -> Bridge:
    bridge = Bridge("127.0.0.1", broker.port, username=broker.bridge.name, password=broker.bridge.password,
                    flush_s=0.1, prefix=prefix, client_id=prefix)
    bridge.start()
    return bridge


def drain_until(bridge: Bridge, n: int, seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while bridge.stats.received < n and time.monotonic() < deadline:
        bridge.drain(wait_s=0.3)


def test_the_password_entry_is_the_one_mosquitto_passwd_makes(tmp_path):
    subprocess.run(["mosquitto_passwd", "-c", "-b", str(tmp_path / "pw"), "DR-A", "钥匙-key-1"], check=True)
    user, entry = (tmp_path / "pw").read_text().strip().split(":", 1)
    _, seven, iterations, salt, _ = entry.split("$")
    assert (user, seven, int(iterations)) == ("DR-A", "7", mqtt_broker.ITERATIONS)
    assert len(base64.b64decode(salt)) == mqtt_broker.SALT_BYTES
    made = mqtt_broker.password_entry("钥匙-key-1", salt=base64.b64decode(salt), iterations=int(iterations))
    assert made == entry
    assert mqtt_broker.password_entry("钥匙-key-2", salt=base64.b64decode(salt)) != entry


def test_a_device_logs_in_with_its_key_only_and_nobody_anonymously(broker, two):
    a, b, keys = two
    assert not broker.answer("DR-A", keys["DR-A"]).is_failure
    assert str(broker.answer("DR-A", keys["DR-B"])) == "Not authorized"  # another device's key
    assert str(broker.answer("DR-A", keys["DR-A"] + "x")) == "Not authorized"
    assert str(broker.answer("DR-C", keys["DR-A"])) == "Not authorized"  # no such device
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="test-anonymous", reconnect_on_failure=False)
    answer, done = [], threading.Event()
    client.on_connect = lambda c, u, f, reason, p: (answer.append(str(reason)), done.set())
    client.connect("127.0.0.1", broker.port)
    client.loop_start()
    assert done.wait(5) and answer == ["Not authorized"]
    client.loop_stop()


def test_a_device_publishes_only_to_its_own_datastreams(broker, prefix, two):
    a, b, keys = two
    bridge = started_bridge(broker, prefix)
    client, reason = broker.login("DR-A", keys["DR-A"], protocol=mqtt.MQTTv5)
    acks: dict[int, str] = {}
    client.on_publish = lambda c, u, mid, reason, p: acks.__setitem__(mid, str(reason))
    try:
        theirs = client.publish(f"{prefix}v1.1/Datastreams({b.pk})/Observations", reading(7.5), qos=1)
        theirs.wait_for_publish(5)
        mine = client.publish(f"{prefix}v1.1/Datastreams({a.pk})/Observations", reading(1.5), qos=1)
        mine.wait_for_publish(5)
        drain_until(bridge, 1)  # the broker forwards in order: had B's topic passed, it would have come first
    finally:
        client.disconnect()
        client.loop_stop()
        bridge.stop()
    assert acks == {theirs.mid: "Not authorized", mine.mid: "Success"}
    assert (bridge.stats.received, bridge.stats.stored) == (1, 1)
    assert latest_values([a.pk])[0]["value"] == 1.5 and latest_values([b.pk]) == []


def test_revoking_a_key_refuses_the_device_at_the_broker(broker, two, django_capture_on_commit_callbacks):
    a, b, keys = two
    client, reason = broker.login("DR-A", keys["DR-A"])
    assert not reason.is_failure and client.is_connected()
    with django_capture_on_commit_callbacks(execute=True):
        revoke_key(a.device)
    assert str(broker.answer_becomes("DR-A", keys["DR-A"], ok=False)) == "Not authorized"
    deadline = time.monotonic() + 5
    while client.is_connected() and time.monotonic() < deadline:  # the reload closed its open connection too
        time.sleep(0.05)
    assert not client.is_connected()
    client.loop_stop()
    assert not broker.answer("DR-B", keys["DR-B"]).is_failure  # the other device is untouched
    assert "DR-A" not in (broker.directory / "passwd").read_text()


def test_a_reissued_key_works_and_the_old_one_fails(broker, two, django_capture_on_commit_callbacks):
    a, b, keys = two
    with django_capture_on_commit_callbacks(execute=True):
        new = issue_key(a.device)
    assert not broker.answer_becomes("DR-A", new, ok=True).is_failure
    assert str(broker.answer("DR-A", keys["DR-A"])) == "Not authorized"


def test_the_bridge_refuses_a_revoked_devices_reading_the_broker_let_through(broker, prefix, two):
    """Defence in depth: between a revocation's commit and the broker's reload a message may still pass;
    the bridge checks each one against the database."""
    a, b, keys = two
    bridge = started_bridge(broker, prefix)
    client, _ = broker.login("DR-A", keys["DR-A"])
    Device.objects.filter(pk=a.device_id).update(key_revoked=True)  # no signal: the broker has not reloaded
    try:
        client.publish(f"{prefix}v1.1/Datastreams({a.pk})/Observations", reading(2.0), qos=1).wait_for_publish(5)
        drain_until(bridge, 1)
    finally:
        client.disconnect()
        client.loop_stop()
        bridge.stop()
    assert (bridge.stats.received, bridge.stats.stored, bridge.stats.refused) == (1, 0, 1)
    assert "DR-A 的密钥已吊销" in bridge.stats.problems[0]
    assert not Observation.objects.exists()


def test_the_files_list_keyed_devices_their_streams_and_the_services(settings, tmp_path):
    settings.CITYRENEW_MQTT_DIR = tmp_path
    settings.CITYRENEW_MQTT_PREFIX = ""
    assert mqtt_broker.sync() is False and not (tmp_path / "passwd").exists()  # not a broker this installation runs
    a, plain, bad = make_stream("DR-A"), make_stream("DR-N"), make_stream("DR:1")
    second = Datastream.objects.create(name="流速", device=a.device, sensor=a.sensor, observed_property=a.observed_property,
                                       unit_name="米每秒", unit_symbol="m/s")
    sim = make_stream("SIM-1", sim={"base": 1.0})
    issue_key(a.device), issue_key(bad.device)
    mqtt_broker.configure(1883, [mqtt_broker.ServiceUser("cityrenew-simulator", "pw", simulated=True)], where=tmp_path)
    passwd, acl = (tmp_path / "passwd").read_text(), (tmp_path / "acl").read_text()
    assert [line.split(":")[0] for line in passwd.splitlines()] == ["cityrenew-simulator", "DR-A"]  # no key / unusable name: none
    assert f"user DR-A\ntopic write v1.1/Datastreams({a.pk})/Observations\ntopic write v1.1/Datastreams({second.pk})/Observations\n" in acl
    assert f"user cityrenew-simulator\ntopic write v1.1/Datastreams({sim.pk})/Observations\n" in acl
    assert f"Datastreams({plain.pk})" not in acl and "allow_anonymous false" in (tmp_path / "mosquitto.conf").read_text()
    revoke_key(a.device)
    assert mqtt_broker.sync() is True  # managed now; no broker runs, so nothing to signal
    assert "DR-A" not in (tmp_path / "passwd").read_text() and "DR-A" not in (tmp_path / "acl").read_text()
