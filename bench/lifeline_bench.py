"""Lifeline monitoring (城市生命线): ingestion rate, alarm latency, latest values over a large history.

    python bench/lifeline_bench.py                # SQLite, and PostgreSQL when a URL is given (make bench)
    python bench/lifeline_bench.py --quick        # 1,000 devices, 1 M stored readings: a smoke run
    python bench/lifeline_bench.py --history 100000000 --postgres postgres://…

Each database (a child process, a fresh database):

1. **Ingestion** through the batch path (``storage.ingest``, what the MQTT bridge, the SensorThings
   dataArray and the CSV import call): 10,000 devices with one datastream each and an alarm rule on
   every stream; rounds of one reading per device (10,000 readings a batch, as the bridge collects
   them), for ``--rounds`` rounds; readings/s over the whole run (checks, COPY/executemany, latest
   values, rule evaluation and alarms included). Budget: 20,000/s on PostgreSQL, 5,000/s on SQLite.
2. **Alarm latency**: a real broker (Debian's mosquitto on a free loopback port, configured as ``serve``
   does it: logins and topic rights, ``lifeline/broker.py``) and the bridge
   (``lifeline.mqtt.Bridge``, flush every 0.2 s) in this process; 20 readings over the threshold
   published one at a time; the time from publishing to the alarm row being in the database (polled
   from another connection). Budget: 2 s.
3. **Latest value of every datastream** after ``--history`` generated readings (default 100,000,000 on
   PostgreSQL — generated inside the database with ``generate_series``, into its month partitions — and
   10,000,000 on SQLite): ``storage.latest_values()`` for all 10,000 datastreams, median of 5. Budget:
   200 ms. Also one device's week (``storage.series``), median of 20 devices.

Times are wall-clock on a shared machine; ratios to budgets are printed, nothing is asserted.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import bench_db

REPO = bench_db.REPO
BUDGET = {"postgresql": 20000.0, "sqlite": 5000.0}
LATEST_BUDGET_MS = 200.0
ALARM_BUDGET_S = 2.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_city(n: int):
    from cityrenew.lifeline.models import AlarmRule, Datastream, Device, ObservedProperty, Sensor

    prop = ObservedProperty.objects.create(name="管网压力")
    sensor = Sensor.objects.create(name="压力变送器")
    Device.objects.bulk_create([Device(code=f"B-{i:05d}", name=f"压力计{i}", sector="gas") for i in range(n)], batch_size=2000)
    devices = list(Device.objects.order_by("id"))
    Datastream.objects.bulk_create([Datastream(name="压力", device=d, sensor=sensor, observed_property=prop,
                                               unit_name="兆帕", unit_symbol="MPa") for d in devices], batch_size=2000)
    AlarmRule.objects.create(code="P", name="压力过高", observed_property=prop, unit_symbol="MPa", definition={"levels": [
        {"name": "一级", "rank": 1, "conditions": [{"kind": "threshold", "word": "超过", "value": 0.8}]},
        {"name": "二级", "rank": 2, "conditions": [{"kind": "threshold", "word": "超过", "value": 0.6, "duration_min": 5}]}]})
    return list(Datastream.objects.order_by("id").values_list("id", flat=True))


def server_cpu() -> float:
    """CPU seconds of this connection's PostgreSQL backend (same machine, loopback), 0 on SQLite: with the
    client's own CPU time it gives readings per CPU second, which other load on a shared machine does not
    change as it changes wall time."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return 0.0
    with connection.cursor() as cur:
        cur.execute("SELECT pg_backend_pid()")
        pid = cur.fetchone()[0]
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def ingestion(ids: list[int], rounds: int) -> dict:
    import random

    from cityrenew.lifeline.models import Alarm
    from cityrenew.lifeline.storage import Reading, ingest

    rng = random.Random(1)
    start = dt.datetime.now(dt.timezone.utc).replace(microsecond=0) - dt.timedelta(minutes=rounds + 5)
    server0, cpu0 = server_cpu(), time.process_time()
    total, t0 = 0, time.perf_counter()
    per_batch = []
    for r in range(rounds):
        t = start + dt.timedelta(minutes=r)
        # ~0.5 % of the readings over a threshold, so rules raise, update and clear alarms as they go
        batch = [Reading(i, t, 0.85 if rng.random() < 0.005 else 0.3 + rng.random() * 0.1) for i in ids]
        b0 = time.perf_counter()
        ingest(batch, source="bench")
        per_batch.append(time.perf_counter() - b0)
        total += len(batch)
    wall = time.perf_counter() - t0
    cpu, server = time.process_time() - cpu0, server_cpu() - server0
    return {"readings": total, "batch": len(ids), "rounds": rounds, "wall_s": wall, "per_s": total / wall,
            "client_cpu_s": cpu, "server_cpu_s": server, "per_cpu_s": total / (cpu + server),
            "batch_p50_s": statistics.median(per_batch), "alarms": Alarm.objects.count()}


def alarm_latency(ids: list[int], trials: int = 20) -> dict:
    from django.db import connection

    from cityrenew.lifeline import broker as mqtt_broker
    from cityrenew.lifeline.mqtt import Bridge, publish

    if not mqtt_broker.executable():
        return {"skipped": "未安装 mosquitto"}
    port = free_port()
    work = Path(tempfile.mkdtemp(prefix="cityrenew-mqtt-bench-"))
    # the configuration serve writes (no anonymous login, password and ACL files); the sender is a gateway
    # login that may write every datastream's topic
    reader = mqtt_broker.ServiceUser(mqtt_broker.BRIDGE_USER, secrets.token_urlsafe(16), topics=("read v1.1/#",))
    sender = mqtt_broker.ServiceUser("bench-gateway", secrets.token_urlsafe(16), topics=("write v1.1/#",))
    broker = mqtt_broker.start(port, [reader, sender], where=work, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    bridge = Bridge("127.0.0.1", port, username=reader.name, password=reader.password, flush_s=0.2, client_id="bench-bridge")
    stop = threading.Event()

    def serve():
        bridge.run_forever(stop)
        connection.close()

    bridge.start()
    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    latencies = []
    try:
        for k in range(trials):
            ds = ids[-1 - k]  # streams with no alarm yet
            sent = time.perf_counter()
            publish("127.0.0.1", port, ds, {"phenomenonTime": dt.datetime.now(dt.timezone.utc).isoformat(), "result": 0.95},
                    username=sender.name, password=sender.password)
            while time.perf_counter() - sent < 10:
                with connection.cursor() as cur:
                    cur.execute("SELECT count(*) FROM lifeline_alarm WHERE datastream_id = %s AND status = 'active'", [ds])
                    if cur.fetchone()[0]:
                        latencies.append(time.perf_counter() - sent)
                        break
                time.sleep(0.01)
            else:
                latencies.append(float("inf"))
    finally:
        stop.set()
        thread.join(5)
        bridge.stop()
        broker.terminate()
        broker.wait(5)
        shutil.rmtree(work, ignore_errors=True)
    latencies.sort()
    return {"trials": trials, "p50_s": statistics.median(latencies), "max_s": latencies[-1],
            "lost": sum(1 for x in latencies if x == float("inf"))}


def generate_history(ids: list[int], n: int) -> float:
    """``n`` readings spread over the datastreams, one per minute going back in time, inside the database."""
    from django.db import connection

    from cityrenew.lifeline.storage import ensure_partitions

    per = max(1, n // len(ids))
    end = dt.datetime.now(dt.timezone.utc).replace(second=0, microsecond=0) - dt.timedelta(days=1)
    first = end - dt.timedelta(minutes=per)
    t0 = time.perf_counter()
    lo, hi = min(ids), max(ids)
    if connection.vendor == "postgresql":
        months, t = [], first
        while t <= end:
            months.append(t)
            t += dt.timedelta(days=27)
        ensure_partitions(months + [end])
        with connection.cursor() as cur:
            cur.execute(
                "INSERT INTO lifeline_observation (datastream_id, phenomenon_time, result) "
                "SELECT d, %s::timestamptz + make_interval(mins => m), 0.3 + random() * 0.1 "
                "FROM generate_series(1, %s) AS m, generate_series(%s, %s) AS d",
                [first, per, lo, hi])
            cur.execute("ANALYZE lifeline_observation")
    else:
        with connection.cursor() as cur:
            cur.execute(
                "WITH RECURSIVE m(k) AS (SELECT 1 UNION ALL SELECT k + 1 FROM m WHERE k < %s), "
                "d(i) AS (SELECT %s UNION ALL SELECT i + 1 FROM d WHERE i < %s) "
                "INSERT INTO lifeline_observation (datastream_id, phenomenon_time, result) "
                "SELECT i, strftime('%%Y-%%m-%%d %%H:%%M:%%S', %s, '+' || k || ' minutes'), 0.3 + (abs(random()) %% 1000) / 10000.0 "
                "FROM m, d", [per, lo, hi, first.strftime("%Y-%m-%d %H:%M:%S")])
            cur.execute("ANALYZE lifeline_observation")
    return time.perf_counter() - t0


def latest_and_series(ids: list[int]) -> dict:
    from django.db import connection

    from cityrenew.lifeline.storage import latest_values, series

    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM lifeline_observation")
        stored = cur.fetchone()[0]
    times = []
    for _ in range(5):
        t0 = time.perf_counter()
        rows = latest_values()
        times.append((time.perf_counter() - t0) * 1000)
    end = dt.datetime.now(dt.timezone.utc)
    week = []
    for ds in ids[:: max(1, len(ids) // 20)][:20]:
        t0 = time.perf_counter()
        pts = series(ds, end - dt.timedelta(days=8), end)
        week.append((time.perf_counter() - t0) * 1000)
    return {"stored": stored, "latest_rows": len(rows), "latest_ms": statistics.median(times),
            "week_ms": statistics.median(week), "week_points": len(pts)}


def child(args) -> int:
    bench_db.setup_django(args.database_url, Path(tempfile.mkdtemp(prefix="cityrenew-lifeline-bench-")))
    from django.core.management import call_command
    from django.db import connection

    from cityrenew.core import audit

    call_command("migrate", verbosity=0)
    out: dict = {"vendor": connection.vendor}
    with audit.actor(None, "system", note="bench"):
        ids = make_city(args.devices)
        out["ingest"] = ingestion(ids, args.rounds)
        out["alarm"] = alarm_latency(ids)
        history = args.history if args.history is not None else (
            100_000_000 if connection.vendor == "postgresql" else 10_000_000)
        if args.quick:
            history = 1_000_000
        out["history_s"] = generate_history(ids, history)
        out["latest"] = latest_and_series(ids)
    print("RESULT " + json.dumps(out, ensure_ascii=False, default=str), flush=True)
    return 0


def report(results: dict[str, dict]) -> int:
    over = []
    for vendor, r in results.items():
        i, a, lt = r["ingest"], r["alarm"], r["latest"]
        budget = BUDGET[vendor]
        print(f"\n[{vendor}] {i['batch']:,} devices × {i['rounds']} rounds = {i['readings']:,} readings in {i['wall_s']:.1f} s: "
              f"{i['per_s']:,.0f} readings/s (budget {budget:,.0f}/s, ratio {i['per_s'] / budget:.2f}); "
              f"batch p50 {i['batch_p50_s']:.2f} s; {i['alarms']:,} alarms raised")
        print(f"  CPU: client {i['client_cpu_s']:.1f} s + database server {i['server_cpu_s']:.1f} s = "
              f"{i['per_cpu_s']:,.0f} readings per CPU second (what wall time gives on an idle machine; "
              f"the server's share is 0 on SQLite, which runs in the client)")
        if "skipped" in a:
            print(f"  alarm latency: {a['skipped']}")
        else:
            print(f"  alarm latency (MQTT → alarm row), {a['trials']} readings: p50 {a['p50_s']:.2f} s, max {a['max_s']:.2f} s "
                  f"(budget {ALARM_BUDGET_S:.0f} s), lost {a['lost']}")
        print(f"  {lt['stored']:,} stored readings (generated in {r['history_s']:.0f} s): latest value of all "
              f"{lt['latest_rows']:,} datastreams {lt['latest_ms']:.1f} ms (budget {LATEST_BUDGET_MS:.0f} ms); "
              f"one device's week {lt['week_ms']:.1f} ms ({lt['week_points']:,} points)")
        if i["per_s"] < budget or lt["latest_ms"] > LATEST_BUDGET_MS or (a.get("max_s", 0) > ALARM_BUDGET_S):
            over.append(vendor)
    print("\nover budget: " + ", ".join(over) if over else "\nwithin every budget")
    return 1 if over else 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="1,000 devices, 1 M stored readings")
    ap.add_argument("--devices", type=int, default=10000)
    ap.add_argument("--rounds", type=int, default=30, help="rounds of one reading per device")
    ap.add_argument("--history", type=int, default=None, help="generated readings (default 100 M PostgreSQL, 10 M SQLite)")
    ap.add_argument("--postgres", default=None)
    ap.add_argument("--no-sqlite", action="store_true")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--database-url", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.quick:
        args.devices, args.rounds = min(args.devices, 1000), min(args.rounds, 5)
    if args.child:
        return child(args)
    extra = ["--devices", str(args.devices), "--rounds", str(args.rounds)] + (["--quick"] if args.quick else []) + (
        ["--history", str(args.history)] if args.history is not None else [])
    results: dict[str, dict] = {}
    work = Path(tempfile.mkdtemp(prefix="cityrenew-lifeline-bench-"))
    if not args.no_sqlite:
        r = bench_db.run_child(__file__, f"sqlite:///{work / 'bench.sqlite3'}", extra, timeout=7200)
        if r is None:
            return 1
        results["sqlite"] = r
        shutil.rmtree(work, ignore_errors=True)
    pg = bench_db.postgres_url(args.postgres)
    if pg:
        with bench_db.scratch_postgres(pg) as url:
            r = bench_db.run_child(__file__, url, extra, timeout=7200)
        if r is None:
            return 1
        results["postgresql"] = r
    else:
        print("PostgreSQL: skipped (no --postgres URL)")
    return report(results)


if __name__ == "__main__":
    sys.exit(main())
