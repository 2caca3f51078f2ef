"""Readings over MQTT (SensorThings MQTT extension): a bridge from the broker to the batch path.

Senders publish an Observation (JSON, as for ``POST …/Observations``) to ``v1.1/Datastreams(<id>)/Observations``
(or to ``v1.1/Observations`` with ``"Datastream": {"@iot.id": …}``). The bridge subscribes to both, keeps
the messages the client library's network thread hands it in a queue, and the main thread stores them
through :func:`cityrenew.lifeline.storage.ingest` in batches (at most ``batch_max`` readings or every
``flush_s`` seconds), so many devices cost one transaction per batch, not one per reading. A message that
cannot be read (malformed JSON, unknown datastream, wrong unit, a time in the future …) is refused on its
own — logged in Chinese with the topic — and the rest of the batch is stored; nothing of a refused message is.
The broker decides who may publish where (:mod:`cityrenew.lifeline.broker`: a device only to its own
datastreams); the batch path still checks each message (a device whose key is revoked is refused even
before the broker has reloaded its files).
"""

from __future__ import annotations

import json
import logging
import queue
import re
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import paho.mqtt.client as mqtt

from .storage import IngestError, Reading, ingest

log = logging.getLogger("cityrenew.lifeline.mqtt")
TOPICS = ("v1.1/+/Observations", "v1.1/Observations")
TOPIC_DS = re.compile(r"^v1\.1/Datastreams\((\d+)\)/Observations$")


@dataclass
class Stats:  # 桥接统计
    received: int = 0
    stored: int = 0
    refused: int = 0
    batches: int = 0
    problems: list[str] = field(default_factory=list)  # the latest refusals (Chinese)


def message_reading(topic: str, payload: bytes, prefix: str = "") -> Reading:
    """The reading a message carries, or WriteError (Chinese) naming what is wrong. ``prefix``: the topic
    prefix of this installation on a shared broker (e.g. ``zhengzhou/``), stripped first."""
    from .sta.writes import WriteError, reading_from

    if prefix and topic.startswith(prefix):
        topic = topic[len(prefix):]
    try:
        data = json.loads(payload.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise WriteError(f"消息不是有效的 JSON：{exc}") from None
    m = TOPIC_DS.match(topic)
    if m:
        if not isinstance(data, dict):
            raise WriteError("消息必须是 JSON 对象（一条 Observation）")
        data = {**data, "Datastream": {"@iot.id": int(m.group(1))}}
    elif topic != "v1.1/Observations":
        raise WriteError(f"不支持的主题 {topic}（应为 v1.1/Datastreams(编号)/Observations）")
    return reading_from(data, None)


class Bridge:
    def __init__(self, host: str = "127.0.0.1", port: int = 1883, *, username: str | None = None,
                 password: str | None = None, batch_max: int = 5000, flush_s: float = 0.2,
                 client_id: str = "cityrenew-bridge", prefix: str = "") -> None:
        self.host, self.port, self.batch_max, self.flush_s = host, port, batch_max, flush_s
        self.prefix = prefix
        self.queue: queue.Queue[tuple[str, bytes]] = queue.Queue()
        self.stats = Stats()
        self.connected = threading.Event()
        self.refused = ""  # the broker's reason when it refused the login (e.g. Not authorized)
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id, clean_session=True)
        if username:
            self.client.username_pw_set(username, password)
        self.client.on_connect = self._on_connect
        self.client.on_subscribe = self._on_subscribe
        self.client.on_message = self._on_message
        self._pending: set[int] = set()

    def _on_connect(self, client, userdata, flags, reason_code, properties) -> None:
        if reason_code.is_failure:
            log.error("无法连接 MQTT 服务器 %s:%s：%s", self.host, self.port, reason_code)
            self.refused = str(reason_code)
            self.connected.set()
            return
        for topic in TOPICS:  # ready once the broker has acknowledged every subscription (SUBACK)
            _, mid = client.subscribe(self.prefix + topic, qos=1)
            self._pending.add(mid)

    def _on_subscribe(self, client, userdata, mid, reason_codes, properties) -> None:
        self._pending.discard(mid)
        if not self._pending:
            self.connected.set()

    def _on_message(self, client, userdata, msg) -> None:
        self.queue.put((msg.topic, msg.payload))

    def start(self, timeout: float = 10.0) -> None:
        self.client.connect(self.host, self.port, keepalive=30)
        self.client.loop_start()
        if not self.connected.wait(timeout) or self.refused:
            self.client.loop_stop()
            if self.refused:
                raise ConnectionError(f"MQTT 服务器 {self.host}:{self.port} 拒绝了桥接账号的登录（{self.refused}）")
            raise ConnectionError(f"无法连接 MQTT 服务器 {self.host}:{self.port}（{timeout:g} 秒内未连上）")

    def stop(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()

    def _refuse(self, topic: str, reason: str) -> None:
        self.stats.refused += 1
        text = f"主题 {topic}：{reason}"
        self.stats.problems = (self.stats.problems + [text])[-50:]
        log.warning("已拒收：%s", text)

    def drain(self, wait_s: float | None = None) -> int:
        """Store what arrived (waiting up to ``wait_s`` for a first message); returns readings stored."""
        from .sta.writes import WriteError

        items: list[tuple[str, bytes]] = []
        try:
            items.append(self.queue.get(timeout=self.flush_s if wait_s is None else wait_s))
        except queue.Empty:
            return 0
        deadline = time.monotonic() + self.flush_s
        while len(items) < self.batch_max and time.monotonic() < deadline:
            try:
                items.append(self.queue.get(timeout=max(0.0, deadline - time.monotonic())))
            except queue.Empty:
                break
        self.stats.received += len(items)
        readings: list[tuple[str, Reading]] = []
        for topic, payload in items:
            try:
                readings.append((topic, message_reading(topic, payload, self.prefix)))
            except WriteError as exc:
                self._refuse(topic, str(exc))
        while readings:
            try:
                ingest([r for _, r in readings], source="mqtt")
            except IngestError as exc:  # refuse the messages at fault, store the others
                bad = {p.index for p in exc.problems if p.index}
                if not bad:
                    for topic, _ in readings:
                        self._refuse(topic, str(exc))
                    return 0
                for p in exc.problems:
                    if p.index:
                        self._refuse(readings[p.index - 1][0], f"「{p.field}」：{p.reason}")
                readings = [x for i, x in enumerate(readings, 1) if i not in bad]
                continue
            self.stats.stored += len(readings)
            self.stats.batches += 1
            return len(readings)
        return 0

    def run_forever(self, stop: threading.Event | None = None) -> None:
        stop = stop or threading.Event()
        while not stop.is_set():
            self.drain()


def publish(host: str, port: int, datastream_id: int, observation: dict[str, Any], *, qos: int = 1,
            prefix: str = "", username: str | None = None, password: str | None = None, client_id: str = "") -> None:
    """Publish one observation as ``username`` (a device code and its key; the simulator and tests use it,
    devices use their own clients). ConnectionError (Chinese) when the broker refuses the login."""
    done = threading.Event()
    answer: list[Any] = []

    def on_connect(client, userdata, flags, reason_code, properties) -> None:
        answer.append(reason_code)
        done.set()

    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id)
    if username:
        client.username_pw_set(username, password)
    client.on_connect = on_connect
    client.connect(host, port)
    client.loop_start()
    try:
        if not done.wait(5) or answer[0].is_failure:
            raise ConnectionError(f"MQTT 服务器 {host}:{port} 拒绝了 {username or '匿名'} 的登录（{answer[0] if answer else '未应答'}）")
        info = client.publish(f"{prefix}v1.1/Datastreams({datastream_id})/Observations", json.dumps(observation), qos=qos)
        info.wait_for_publish(5)
        client.disconnect()
    finally:
        client.loop_stop()
