"""``cityrenew lifeline mqtt [--host 127.0.0.1] [--port 1883]`` — the MQTT bridge: subscribes to
``v1.1/+/Observations`` and stores readings in batches (:mod:`cityrenew.lifeline.mqtt`); runs until stopped."""

from __future__ import annotations

import os
import signal
import threading

from django.core.management.base import CommandError

NAME = "mqtt"
HELP = "运行 MQTT 桥接：订阅 v1.1/Datastreams(编号)/Observations，批量入库读数"


def add_arguments(parser) -> None:
    parser.add_argument("--host", default=os.environ.get("CITYRENEW_MQTT_HOST", "127.0.0.1"), help="MQTT 服务器地址")
    parser.add_argument("--port", type=int, default=int(os.environ.get("CITYRENEW_MQTT_PORT", "1883")), help="端口")
    parser.add_argument("--username", default=os.environ.get("CITYRENEW_MQTT_USER", ""), help="桥接账号（可选）")
    parser.add_argument("--batch", type=int, default=5000, help="每批最多读数条数")
    parser.add_argument("--prefix", default=os.environ.get("CITYRENEW_MQTT_PREFIX", ""),
                        help="主题前缀（共用 MQTT 服务器时区分本系统，如 zhengzhou/）")


def run(command, opts) -> None:
    from cityrenew.core import audit
    from cityrenew.core.choices import AuditSource
    from cityrenew.lifeline.mqtt import Bridge

    bridge = Bridge(opts["host"], opts["port"], username=opts["username"] or None,
                    password=os.environ.get("CITYRENEW_MQTT_PASSWORD") or None, batch_max=opts["batch"],
                    prefix=opts["prefix"])
    try:
        bridge.start()
    except (ConnectionError, OSError) as exc:
        raise CommandError(f"无法连接 MQTT 服务器 {opts['host']}:{opts['port']}：{exc}", returncode=1) from None
    command.stdout.write(f"MQTT 桥接已连接 {opts['host']}:{opts['port']}，订阅 v1.1/+/Observations")
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    with audit.actor(None, AuditSource.SYSTEM, note="MQTT"):
        bridge.run_forever(stop)
    bridge.stop()
    command.stdout.write(f"MQTT 桥接已停止：收到 {bridge.stats.received} 条，入库 {bridge.stats.stored} 条，拒收 {bridge.stats.refused} 条")
