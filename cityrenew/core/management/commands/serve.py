"""``cityrenew serve [--bind 127.0.0.1:8000] [--workers N] [--threads T] [--keep-alive S] [--no-worker]`` — the production server.

Two supervised child processes:

- gunicorn (``gthread`` workers, ``--preload``) serving ``cityrenew.wsgi``; static files are served by
  WhiteNoise straight from the static finders (our ``static/`` and the npm packages in
  ``node_modules``). Measured on this repository (3,474 files, 131 MB, mostly the npm packages):
  indexing them through the finders takes 0.95 s, once, in the gunicorn master thanks to ``--preload``;
  ``collectstatic`` would first copy 131 MB into the data directory (8.2 s the first time, 1.6 s on
  every later start) to save 0.35 s of that indexing. So ``serve`` does not collect; an operator who
  puts nginx in front may still run ``cityrenew collectstatic`` into ``<data dir>/static``.
- no HTTP keep-alive by default (``--keep-alive 0``): a gthread worker keeps every connection it
  accepted, so clients that reuse their connection stay on whichever process won the accept race. The
  work is CPU-bound Python (one core per process at most), so that race decides the throughput:
  measured with ``bench/load_bench.py`` (50 users, 4 workers on 2 cores), with keep-alive the
  workers' CPU split 65/12/12/12 % and the server answered 38 requests/s; with a new connection per
  request it split 28/24/24/24 % and answered 44 requests/s on a busier machine. A connection on
  loopback or a LAN costs far less than a request waiting behind a busy process.
- the background job worker, ``cityrenew worker`` (the jobs app: recovers jobs of dead workers,
  then runs django-tasks-db's worker loop).
- lifeline monitoring (unless ``--no-lifeline``): the MQTT broker (Debian's ``mosquitto`` on
  127.0.0.1:``CITYRENEW_MQTT_PORT``, 1883 by default, loopback only — unless ``CITYRENEW_MQTT_HOST``
  names a broker of the city's, or one already answers on that port; no anonymous login: each device
  with its code and key, the bridge and the demo's simulator with passwords generated at this start,
  ``lifeline/broker.py``), the bridge that stores the
  readings published to it (``cityrenew lifeline mqtt``), the clock's checks every minute (no data,
  escalation: ``cityrenew lifeline tick --loop 60``), and in the demo the simulated sensors
  (``cityrenew lifeline simulate``).

SIGINT/SIGTERM are forwarded once to both children (they run in their own process group, so a
terminal's Ctrl-C is not delivered twice: a second signal makes the job worker abandon its task);
when either child dies the other is stopped and ``serve`` exits with an error.
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time

from django.core.management.base import BaseCommand, CommandError


LABELS = {"web": "网页服务", "worker": "后台任务进程", "broker": "MQTT 服务器", "bridge": "MQTT 桥接",
          "tick": "定时检查", "simulator": "模拟设备"}


def _answers(host: str, port: int) -> bool:
    try:
        socket.create_connection((host, port), timeout=0.3).close()
        return True
    except OSError:
        return False


def default_workers() -> int:
    """Two gunicorn processes per core (each with threads), at least 2 and at most 16."""
    return max(2, min(16, 2 * (os.cpu_count() or 1)))


class Command(BaseCommand):
    help = "以生产方式启动服务：gunicorn 多进程网页服务（含静态文件）和后台任务进程"

    def add_arguments(self, parser):
        parser.add_argument("--bind", default="127.0.0.1:8000", help="监听地址（默认 127.0.0.1:8000）")
        parser.add_argument("--workers", type=int, default=default_workers(),
                            help=f"gunicorn 进程数（默认每核 2 个，本机 {default_workers()} 个）")
        parser.add_argument("--threads", type=int, default=4, help="每个进程的线程数（默认 4）")
        parser.add_argument("--timeout", type=int, default=120, help="单个请求的最长秒数（默认 120）")
        parser.add_argument("--keep-alive", type=int, default=0,
                            help="HTTP 长连接保持秒数（默认 0：每个请求新建连接，请求在各进程间均衡分配）")
        parser.add_argument("--no-worker", action="store_true", help="不启动后台任务进程")
        parser.add_argument("--no-lifeline", action="store_true", help="不启动城市生命线的 MQTT 服务器、桥接与定时检查")

    def handle(self, *args, **opts):
        if opts["workers"] < 1 or opts["threads"] < 1:
            raise CommandError("--workers 和 --threads 至少为 1。")
        if opts["keep_alive"] < 0:
            raise CommandError("--keep-alive 不能为负数。")
        env = dict(os.environ, DJANGO_SETTINGS_MODULE=os.environ.get("DJANGO_SETTINGS_MODULE", "cityrenew.settings"))
        web = [
            sys.executable, "-m", "gunicorn", "cityrenew.wsgi:application",
            "--bind", opts["bind"],
            "--workers", str(opts["workers"]),
            "--worker-class", "gthread",
            "--threads", str(opts["threads"]),
            "--timeout", str(opts["timeout"]),
            "--keep-alive", str(opts["keep_alive"]),
            "--graceful-timeout", "30",
            "--preload",
            "--access-logfile", "-",
            "--no-control-socket",  # several instances on one host must not share ~/.gunicorn/gunicorn.ctl
        ]
        children: dict[str, subprocess.Popen] = {}
        children["web"] = subprocess.Popen(web, env=env, process_group=0)
        self.stdout.write(f"网页服务：http://{opts['bind']}/（gunicorn，{opts['workers']} 个进程 × {opts['threads']} 线程）")
        if not opts["no_worker"]:
            children["worker"] = subprocess.Popen([sys.executable, "-m", "django", "worker"], env=env, process_group=0)
            self.stdout.write("后台任务进程：worker")
        if not opts["no_lifeline"]:
            children.update(self.lifeline(env))
        self.stdout.flush()
        return_code = self.supervise(children)
        if return_code:
            raise CommandError(f"子进程意外退出（退出码 {return_code}），服务已停止。", returncode=return_code)

    def lifeline(self, env: dict[str, str]) -> dict[str, subprocess.Popen]:
        """The monitoring processes (see the module docstring)."""
        from cityrenew.lifeline import broker as mqtt_broker

        django = [sys.executable, "-m", "django", "lifeline"]
        out: dict[str, subprocess.Popen] = {}
        host = os.environ.get("CITYRENEW_MQTT_HOST", "")
        port = int(os.environ.get("CITYRENEW_MQTT_PORT", "1883"))
        demo = os.environ.get("CITYRENEW_DEMO") == "1"
        # the bridge's and the simulator's logins: given (a city's own broker) or generated at each start
        bridge_env = {k: os.environ[k] for k in ("CITYRENEW_MQTT_USER", "CITYRENEW_MQTT_PASSWORD") if k in os.environ}
        sim_env: dict[str, str] = {}
        if not host:
            host = "127.0.0.1"
            if _answers(host, port):
                self.stdout.write(f"MQTT 服务器：沿用 {host}:{port} 上已在运行的服务器（桥接账号取自 CITYRENEW_MQTT_USER/CITYRENEW_MQTT_PASSWORD）")
            elif mqtt_broker.executable():
                users = [mqtt_broker.ServiceUser(os.environ.get("CITYRENEW_MQTT_USER") or mqtt_broker.BRIDGE_USER,
                                                 os.environ.get("CITYRENEW_MQTT_PASSWORD") or secrets.token_urlsafe(24),
                                                 topics=("read v1.1/#",))]
                if demo:
                    users.append(mqtt_broker.ServiceUser(mqtt_broker.SIMULATOR_USER, secrets.token_urlsafe(24), simulated=True))
                bridge_env = {"CITYRENEW_MQTT_USER": users[0].name, "CITYRENEW_MQTT_PASSWORD": users[0].password}
                if demo:
                    sim_env = {"CITYRENEW_MQTT_USER": users[1].name, "CITYRENEW_MQTT_PASSWORD": users[1].password}
                try:
                    out["broker"] = mqtt_broker.start(port, users, env=env, process_group=0,
                                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                    self.stdout.write(f"MQTT 服务器：mosquitto，{host}:{port}（仅本机；设备以设备编码和设备密钥登录，"
                                      f"只能向本设备的数据流报送；配置在 {mqtt_broker.directory()}）")
                except RuntimeError as exc:  # the web and job processes already run: go on without MQTT, as without mosquitto
                    host = ""
                    self.stderr.write(f"{exc}：城市生命线不接收 MQTT 报送（SensorThings 接口仍可用）")
            else:
                host = ""
                self.stdout.write("未安装 mosquitto：城市生命线不接收 MQTT 报送（SensorThings 接口仍可用；make demo 会安装它）")
        if host:
            out["bridge"] = subprocess.Popen([*django, "mqtt", "--host", host, "--port", str(port)],
                                             env={**env, **bridge_env}, process_group=0)
        out["tick"] = subprocess.Popen([*django, "tick", "--loop", "60"], env=env, process_group=0,
                                       stdout=subprocess.DEVNULL)
        if demo:
            sim = [*django, "simulate", "--interval", "30"] + (["--mqtt", f"{host}:{port}"] if host else [])
            out["simulator"] = subprocess.Popen(sim, env={**env, **sim_env}, process_group=0)
        self.stdout.write("城市生命线：" + "、".join(LABELS[k] for k in out))
        return out

    def supervise(self, children: dict[str, subprocess.Popen]) -> int:
        stopping: list[int] = []

        def forward(signum, frame):
            if not stopping:
                stopping.append(signum)
                for proc in children.values():
                    if proc.poll() is None:
                        proc.send_signal(signal.SIGTERM)

        previous = {s: signal.signal(s, forward) for s in (signal.SIGINT, signal.SIGTERM)}
        try:
            dead = None
            while dead is None:
                dead = next((name for name, p in children.items() if p.poll() is not None), None)
                if dead is None:
                    time.sleep(0.2)
            code = children[dead].returncode
            unexpected = not stopping
            if unexpected:
                name = LABELS.get(dead, dead)
                self.stderr.write(self.style.ERROR(f"{name}已退出（退出码 {code}），正在停止其余进程。"))
                forward(signal.SIGTERM, None)
            for proc in children.values():
                try:
                    proc.wait(timeout=40)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
        finally:
            for s, handler in previous.items():
                signal.signal(s, handler)
        if not unexpected:
            self.stdout.write("服务已停止。")
            return 0
        return code or 1
