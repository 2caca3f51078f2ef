"""Production mode in real processes: settings checked, the demo's key, `cityrenew serve` (web server, job
worker, MQTT broker, bridge and clock).

Each test starts fresh processes with the environment a city would set, or not set, on a SQLite database of
its own (``clean_env``) whatever database the suite runs on — so `.ci/run` runs this file once, in its
first (SQLite) run. The error pages and headers, in process: ``test_error_pages.py``.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import socket
import stat
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CLI = str(Path(sys.executable).with_name("cityrenew"))

# Variables our settings (and Django) read; each subprocess starts from none of them.
OURS = ("CITYRENEW_", "DJANGO_", "DATABASE_URL")


def clean_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(OURS)}
    env.update(DATABASE_URL=f"sqlite:///{tmp_path / 'prod.sqlite3'}", CITYRENEW_DATA_DIR=str(tmp_path / "data"),
               PYTHONPATH=str(REPO))
    env.update(extra)
    return env


def django_run(env: dict[str, str], *args: str, code: str | None = None) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-c", code] if code else [sys.executable, "-m", "django", *args]
    env = dict(env, DJANGO_SETTINGS_MODULE="cityrenew.settings")
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300, cwd=REPO)


PRODUCTION = {"CITYRENEW_SECRET_KEY": "k3Q9-vT2x_" * 6, "CITYRENEW_ALLOWED_HOSTS": "renew.zhengzhou.example.cn"}


def test_check_deploy_is_clean_in_production(tmp_path):
    env = clean_env(tmp_path, **PRODUCTION)
    migrate = django_run(env, "migrate", "-v0")  # a production database is migrated (the API schema check reads it)
    assert migrate.returncode == 0, migrate.stderr
    p = django_run(env, "check", "--deploy", "--fail-level", "WARNING")
    assert p.returncode == 0, p.stdout + p.stderr
    assert "System check identified no issues" in p.stdout
    assert "WARNING" not in p.stderr.upper()


def test_check_deploy_warns_when_served_over_plain_http(tmp_path):
    """The other side: CITYRENEW_HTTPS=0 drops secure cookies, redirect and HSTS, and the check says so."""
    p = django_run(clean_env(tmp_path, CITYRENEW_HTTPS="0", **PRODUCTION), "check", "--deploy", "--fail-level", "WARNING")
    assert p.returncode != 0
    for check in ("security.W004", "security.W008", "security.W012", "security.W016"):
        assert check in p.stderr


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    p = django_run(clean_env(tmp_path), "check")
    assert p.returncode != 0
    assert "未设置 CITYRENEW_SECRET_KEY" in p.stderr and "CITYRENEW_SECRET_KEY is not set" in p.stderr


SHOW = "import django; django.setup(); from django.conf import settings as s; print(s.DEBUG, s.SECRET_KEY)"


def test_debug_only_when_asked_for(tmp_path):
    on = django_run(clean_env(tmp_path, CITYRENEW_DEBUG="1"), code=SHOW)
    assert on.returncode == 0, on.stderr
    assert on.stdout.split()[0] == "True"
    off = django_run(clean_env(tmp_path, CITYRENEW_DEBUG="0", **PRODUCTION), code=SHOW)
    assert off.stdout.split() == ["False", PRODUCTION["CITYRENEW_SECRET_KEY"]]


def test_demo_generates_its_key_once_and_keeps_it_private(tmp_path):
    env = clean_env(tmp_path, CITYRENEW_DEMO="1")
    first = django_run(env, code=SHOW)
    assert first.returncode == 0, first.stderr
    debug, key = first.stdout.split()
    assert debug == "False" and len(key) >= 50
    key_file = tmp_path / "data" / "secret_key"
    assert key_file.read_text().strip() == key
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert django_run(env, code=SHOW).stdout.split()[1] == key  # kept
    other = django_run(clean_env(tmp_path / "other", CITYRENEW_DEMO="1"), code=SHOW)
    assert other.stdout.split()[1] != key  # random per data dir
    given = django_run(dict(env, CITYRENEW_SECRET_KEY=PRODUCTION["CITYRENEW_SECRET_KEY"]), code=SHOW)
    assert given.stdout.split()[1] == PRODUCTION["CITYRENEW_SECRET_KEY"]  # an explicit key wins


# --- cityrenew serve ----------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(url: str, proc: subprocess.Popen, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"serve exited early: {proc.returncode}\n{proc.stdout.read()}")
        try:
            urllib.request.urlopen(url, timeout=5)
            return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.3)
    raise AssertionError(f"{url} did not answer")


def children_of(pid: int) -> list[int]:
    text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    return [int(x) for x in text.split()]


@pytest.fixture
def served(tmp_path):
    env = clean_env(tmp_path, CITYRENEW_DEMO="1")
    migrate = subprocess.run([CLI, "migrate", "-v0"], env=env, capture_output=True, text=True, timeout=600)
    assert migrate.returncode == 0, migrate.stderr
    port = free_port()
    proc = subprocess.Popen([CLI, "serve", "--bind", f"127.0.0.1:{port}", "--workers", "2", "--threads", "2", "--no-lifeline"],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(base + "/login/", proc)
        yield proc, base
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_serve_answers_pages_and_static_files_and_stops_cleanly(served):
    proc, base = served
    with urllib.request.urlopen(base + "/login/", timeout=10) as resp:
        assert resp.status == 200
        assert "登录" in resp.read().decode()
        assert "script-src 'self'" in resp.headers["Content-Security-Policy"]
    with urllib.request.urlopen(base + "/static/cityrenew/app.css", timeout=10) as resp:
        assert resp.status == 200 and resp.headers["Content-Type"].startswith("text/css")
        assert b".htmx-indicator" in resp.read()
    with urllib.request.urlopen(base + "/static/vendor/htmx.org/dist/htmx.min.js", timeout=10) as resp:
        assert resp.status == 200 and len(resp.read()) > 10_000
    with pytest.raises(urllib.error.HTTPError) as missing:
        urllib.request.urlopen(base + "/static/cityrenew/no-such-file.js", timeout=10)
    assert missing.value.code == 404
    workers = children_of(children_of(proc.pid)[0])
    assert len(workers) == 2  # gunicorn master → 2 workers
    proc.send_signal(signal.SIGTERM)
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0, out
    assert "服务已停止" in out
    for pid in workers:
        assert not Path(f"/proc/{pid}").exists() or "zombie" in Path(f"/proc/{pid}/status").read_text()


def test_serve_stops_when_the_web_server_dies(served):
    proc, base = served
    gunicorn_master = children_of(proc.pid)[0]
    os.kill(gunicorn_master, signal.SIGKILL)
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode != 0
    assert "网页服务已退出" in out


def test_serve_supervises_the_job_worker(tmp_path):
    """With a task backend installed, serve starts its worker beside gunicorn; the worker dying stops serve."""
    (tmp_path / "tasks_settings.py").write_text(
        "from cityrenew.settings_test import *  # noqa\n"
        "if 'django_tasks_db' not in INSTALLED_APPS:\n"
        "    INSTALLED_APPS = [*INSTALLED_APPS, 'django_tasks', 'django_tasks_db']\n"
        "    TASKS = {'default': {'BACKEND': 'django_tasks_db.DatabaseBackend'}}\n"
    )
    env = clean_env(tmp_path, CITYRENEW_DEMO="1", DJANGO_SETTINGS_MODULE="tasks_settings",
                    PYTHONPATH=f"{tmp_path}:{REPO}")
    migrate = subprocess.run([CLI, "migrate", "-v0"], env=env, capture_output=True, text=True, timeout=600)
    assert migrate.returncode == 0, migrate.stderr
    port = free_port()
    proc = subprocess.Popen([CLI, "serve", "--bind", f"127.0.0.1:{port}", "--workers", "1", "--threads", "2", "--no-lifeline"],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        wait_for(f"http://127.0.0.1:{port}/login/", proc)
        web, worker = children_of(proc.pid)
        cmdline = Path(f"/proc/{worker}/cmdline").read_bytes().split(b"\0")
        assert b"worker" in cmdline
        os.kill(worker, signal.SIGKILL)
        out, _ = proc.communicate(timeout=60)
        assert proc.returncode != 0
        assert "后台任务进程已退出" in out
        assert not Path(f"/proc/{web}").exists() or "zombie" in Path(f"/proc/{web}/status").read_text()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_serve_runs_the_lifeline_broker_bridge_and_clock(tmp_path):
    """Lifeline monitoring in the demo: serve starts mosquitto on its port, the bridge, the clock's checks
    and the simulator; a reading a device publishes to that broker with its key is stored in the database
    serve uses; the broker refuses anonymous logins."""
    env = clean_env(tmp_path, CITYRENEW_DEMO="1", CITYRENEW_MQTT_PORT=str(free_port()))
    migrate = subprocess.run([CLI, "migrate", "-v0"], env=env, capture_output=True, text=True, timeout=600)
    assert migrate.returncode == 0, migrate.stderr
    make = ("from cityrenew.lifeline.models import *; from cityrenew.lifeline.keys import issue_key; "
            "p = ObservedProperty.objects.create(name='液位'); d = Device.objects.create(code='D1', name='液位计'); "
            "print(Datastream.objects.create(name='液位', device=d, sensor=Sensor.objects.create(name='s'), "
            "observed_property=p, unit_name='米', unit_symbol='m').pk, issue_key(d))")
    made = subprocess.run([CLI, "shell", "-c", make], env=env, capture_output=True, text=True, timeout=300)
    assert made.returncode == 0, made.stderr
    ds_id, key = made.stdout.strip().splitlines()[-1].split()  # shell first reports its automatic imports
    ds_id = int(ds_id)
    port = free_port()
    proc = subprocess.Popen([CLI, "serve", "--bind", f"127.0.0.1:{port}", "--workers", "1", "--threads", "2", "--no-worker"],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        wait_for(f"http://127.0.0.1:{port}/login/", proc)
        names = [Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode() for pid in children_of(proc.pid)]
        assert any("mosquitto" in n for n in names) and any("lifeline mqtt" in n for n in names)
        assert any("lifeline tick" in n for n in names) and any("lifeline simulate" in n for n in names)
        from cityrenew.lifeline.mqtt import publish

        now = dt.datetime.now(dt.timezone.utc).isoformat()
        deadline = time.monotonic() + 30
        stored = ""
        with pytest.raises(ConnectionError, match="拒绝了 匿名 的登录"):
            publish("127.0.0.1", int(env["CITYRENEW_MQTT_PORT"]), ds_id, {"phenomenonTime": now, "result": 1.25})
        while time.monotonic() < deadline and "1.25" not in stored:
            publish("127.0.0.1", int(env["CITYRENEW_MQTT_PORT"]), ds_id, {"phenomenonTime": now, "result": 1.25},
                    username="D1", password=key)
            time.sleep(1)
            stored = subprocess.run(
                [CLI, "shell", "-c", f"from cityrenew.lifeline.storage import latest_values; print(latest_values([{ds_id}]))"],
                env=env, capture_output=True, text=True, timeout=120).stdout
        assert "1.25" in stored
        # a key re-issued by another process (as the web page does) reaches the running broker (SIGHUP)
        reissue = ("from cityrenew.lifeline.keys import issue_key; from cityrenew.lifeline.models import Device; "
                   "print(issue_key(Device.objects.get(code='D1')))")
        new_key = subprocess.run([CLI, "shell", "-c", reissue], env=env, capture_output=True, text=True,
                                 timeout=120).stdout.strip().splitlines()[-1]
        publish("127.0.0.1", int(env["CITYRENEW_MQTT_PORT"]), ds_id, {"phenomenonTime": now, "result": 1.5},
                username="D1", password=new_key)
        with pytest.raises(ConnectionError, match="拒绝了 D1 的登录"):
            publish("127.0.0.1", int(env["CITYRENEW_MQTT_PORT"]), ds_id, {"phenomenonTime": now, "result": 1.5},
                    username="D1", password=key)
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=60)
        assert proc.returncode == 0, out
        assert "MQTT 服务器：mosquitto" in out and "城市生命线：MQTT 服务器、MQTT 桥接、定时检查、模拟设备" in out
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
