"""A real MQTT broker for the lifeline tests: Debian's mosquitto on a free loopback port, started per test
with the configuration ``cityrenew serve`` writes (``lifeline/broker.py``: no anonymous login, the
password and ACL files made from the test's database), so each test has its own devices and logins.
Under CI (``.ci/mosquitto.sh``) every broker logs its connections into ``CITYRENEW_TEST_MQTT_LOGS``,
which CI's proof line counts."""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest

from cityrenew.lifeline import broker as mqtt_broker


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Broker:
    port: int
    directory: Path
    bridge: mqtt_broker.ServiceUser  # reads v1.1/#
    gateway: mqtt_broker.ServiceUser  # writes anywhere under v1.1/ (to send the bridge bad messages)
    proc: subprocess.Popen

    def login(self, username: str, password: str, *, protocol=mqtt.MQTTv311) -> tuple[mqtt.Client, mqtt.ReasonCode]:
        """A connected client (loop running) and the broker's CONNACK reason; the caller disconnects it."""
        done = threading.Event()
        answer: list = []

        def on_connect(client, userdata, flags, reason_code, properties):
            answer.append(reason_code)
            done.set()

        client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"test-{uuid.uuid4().hex[:10]}",
                             protocol=protocol, reconnect_on_failure=False)
        client.username_pw_set(username, password)
        client.on_connect = on_connect
        client.connect("127.0.0.1", self.port)
        client.loop_start()
        assert done.wait(5), "MQTT 服务器未应答 CONNECT"
        return client, answer[0]

    def answer(self, username: str, password: str):
        client, reason = self.login(username, password)
        client.disconnect()
        client.loop_stop()
        return reason

    def answer_becomes(self, username: str, password: str, ok: bool, seconds: float = 5):
        """The CONNACK reason once it is (not) a failure — the broker reloads its files on SIGHUP
        asynchronously — or the last one seen after ``seconds``."""
        deadline = time.monotonic() + seconds
        while True:
            reason = self.answer(username, password)
            if reason.is_failure != ok or time.monotonic() > deadline:
                return reason
            time.sleep(0.05)


@pytest.fixture
def prefix():
    return f"test-{uuid.uuid4().hex[:8]}/"


@pytest.fixture
def broker(tmp_path, settings, prefix):
    """mosquitto with the generated files in ``tmp_path/mqtt`` (``CITYRENEW_MQTT_DIR`` for this test, so
    changes of devices and keys rewrite them and signal this broker), topics under ``prefix``."""
    settings.CITYRENEW_MQTT_DIR = tmp_path / "mqtt"
    settings.CITYRENEW_MQTT_PREFIX = prefix
    bridge = mqtt_broker.ServiceUser(mqtt_broker.BRIDGE_USER, secrets.token_urlsafe(16), topics=("read v1.1/#",))
    gateway = mqtt_broker.ServiceUser("test-gateway", secrets.token_urlsafe(16), topics=("write v1.1/#",))
    logs = os.environ.get("CITYRENEW_TEST_MQTT_LOGS")
    log_file = Path(logs) / f"{uuid.uuid4().hex}.log" if logs else None
    port = free_port()
    proc = mqtt_broker.start(port, [bridge, gateway], where=tmp_path / "mqtt", log_file=log_file,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    yield Broker(port, tmp_path / "mqtt", bridge, gateway, proc)
    proc.terminate()
    proc.wait(5)
