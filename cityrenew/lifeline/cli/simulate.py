"""``cityrenew lifeline simulate [--interval 60] [--mqtt HOST:PORT] [--once]`` — keeps the demo city's
simulated sensors sending readings (:mod:`cityrenew.lifeline.simulate`): every interval one reading per
simulated datastream, published to the MQTT broker when ``--mqtt`` is given (as devices do) or stored
through the batch path. Now and then a stream drifts (an excursion of 10–60 minutes), so alarms rise
and clear; a stream that is in alarm when the simulator starts stays so for a while."""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import signal
import threading

from django.core.management.base import CommandError

NAME = "simulate"
HELP = "演示：模拟感知设备持续报送读数（经 MQTT 或直接入库），偶发异常以产生报警"


def add_arguments(parser) -> None:
    parser.add_argument("--interval", type=int, default=60, help="报送间隔（秒）")
    parser.add_argument("--mqtt", default="", help="经 MQTT 服务器报送，如 127.0.0.1:1883（不填则直接入库）")
    parser.add_argument("--prefix", default="", help="MQTT 主题前缀")
    parser.add_argument("--username", default=os.environ.get("CITYRENEW_MQTT_USER", ""),
                        help="MQTT 登录账号（口令取自环境变量 CITYRENEW_MQTT_PASSWORD；cityrenew serve 为模拟设备生成）")
    parser.add_argument("--once", action="store_true", help="只报送一轮")
    parser.add_argument("--seed", type=int, default=None, help="随机数种子")


def run(command, opts) -> None:
    import paho.mqtt.client as mqtt

    from cityrenew.core import audit
    from cityrenew.core.choices import AuditSource
    from cityrenew.lifeline.choices import AlarmStatus
    from cityrenew.lifeline.models import Alarm
    from cityrenew.lifeline.simulate import readings, simulated_streams
    from cityrenew.lifeline.storage import IngestError, ingest

    if opts["interval"] < 1:
        raise CommandError("--interval 至少为 1 秒", returncode=2)
    streams = simulated_streams()
    if not streams and opts["once"]:
        raise CommandError("没有模拟数据流：请先运行 cityrenew demo（演示数据流的 properties 含 sim 参数）", returncode=1)
    rng = random.Random(opts["seed"])
    now = dt.datetime.now(dt.timezone.utc)
    until: dict[int, dt.datetime] = {  # streams in alarm keep drifting for a while
        a.datastream_id: now + dt.timedelta(minutes=rng.randint(10, 60))
        for a in Alarm.objects.filter(status=AlarmStatus.ACTIVE, datastream__in=streams)
    }
    client = None
    if opts["mqtt"]:
        host, _, port = opts["mqtt"].partition(":")
        client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"{opts['prefix']}cityrenew-simulator")
        if opts["username"]:
            client.username_pw_set(opts["username"], os.environ.get("CITYRENEW_MQTT_PASSWORD") or None)
        client.on_connect = lambda c, u, f, reason, p: reason.is_failure and command.stderr.write(
            f"MQTT 服务器 {opts['mqtt']} 拒绝了模拟设备的登录（{reason}）")
        try:
            client.connect(host, int(port or 1883))
        except OSError as exc:
            raise CommandError(f"无法连接 MQTT 服务器 {opts['mqtt']}：{exc}", returncode=1) from None
        client.loop_start()
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    command.stdout.write(f"模拟 {len(streams)} 个数据流，每 {opts['interval']} 秒一轮" + (f"，经 MQTT {opts['mqtt']}" if client else "，直接入库"))
    if not streams:
        command.stdout.write("暂无模拟数据流（cityrenew demo 生成），等待中…")
    while not stop.is_set():
        if not streams:  # serve may start before the demo data exists: look again each interval
            stop.wait(opts["interval"])
            streams = simulated_streams()
            continue
        now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
        for ds in streams:  # a rare drift: about once a day per stream at a 60-second interval
            if ds.pk not in until and rng.random() < opts["interval"] / 86400:
                until[ds.pk] = now + dt.timedelta(minutes=rng.randint(10, 60))
        busy = {k for k, t in until.items() if t > now}
        batch = readings(streams, now, rng, busy)
        if client is not None:
            for r in batch:
                client.publish(f"{opts['prefix']}v1.1/Datastreams({r.datastream_id})/Observations",
                               json.dumps({"phenomenonTime": r.phenomenon_time.isoformat(), "result": r.result}), qos=1)
        else:
            try:
                with audit.actor(None, AuditSource.SYSTEM, note="模拟器"):
                    ingest(batch, source="simulator")
            except IngestError as exc:
                command.stderr.write(str(exc))
        if opts["once"]:
            break
        stop.wait(opts["interval"])
    if client is not None:
        client.loop_stop()
        client.disconnect()
