"""Public notice page benchmark: 500 concurrent readers on one notice page, against ``cityrenew serve``.

    python bench/notices_bench.py            # 500 readers, 60 s, think time 1–3 s
    python bench/notices_bench.py --quick    # 100 readers, 15 s

Everything runs on this machine over loopback (127.0.0.1) and stops by itself: a bounded number of
readers, a bounded duration, a bounded connection pool.

1. A fresh SQLite file (or ``--database-url``) in a temporary data directory: migrate, load the
   regions, an approved plan of a project in 中原区, published for 15 working days through
   ``notices.services.publish`` (the real publication), with ``--comments`` public comments and the
   entity's replies, so the page is the size of a real busy notice.
2. ``cityrenew serve`` (gunicorn + the worker) on a free loopback port.
3. Baseline: one reader alone, ``--baseline`` sequential GETs of the page (p50/p95).
4. Load: ``--readers`` asyncio readers (asyncio streams, a new connection per request as the server
   closes each — see ``fetch``; spread over ``--client-procs`` client processes), each
   GETs the page, reads it for a think time (uniform ``--think`` seconds, a resident reading a notice
   on a phone) and GETs it again, until the end. Every response must be 200 and hold the notice title.
5. Half-way, a resident posts a comment through the public form. Every page whose request started
   more than one second after that post was answered must show it (the cached page follows changes
   across all gunicorn processes); a page without it is counted as stale.
6. Prints p50/p95/max against the 300 ms budget, requests/s, the ratio p95 under load ÷ p50 alone,
   the server's CPU per request, errors and stale pages, and a JSON line. Exits 1 on errors or a stale
   page; the latency budget is printed, never asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

import httpx

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(HERE))

from load_bench import free_port, process_cpu  # noqa: E402
from projects_bench import pct  # noqa: E402

BUDGET_MS = 300
TITLE = "建设路片区城市更新实施方案公示"
NEW_COMMENT = "基准测试新增意见：请在小区公告栏同步张贴公示。"


def prepare(comments: int) -> int:
    """The demo notice; returns its id."""
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.contrib.gis.geos import Point
    from django.core.management import call_command

    from cityrenew.core import audit
    from cityrenew.core.choices import OrganisationKind, Role
    from cityrenew.core.models import Organisation, Region, RoleAssignment
    from cityrenew.core.regions import load_regions
    from cityrenew.notices import services
    from cityrenew.plans.choices import PlanState
    from cityrenew.plans.models import ImplementationPlan
    from cityrenew.projects.models import RenewalProject

    call_command("migrate", interactive=False, verbosity=0)
    User = get_user_model()
    admin = User.objects.create_superuser("benchadmin", password=secrets.token_urlsafe(16))
    with audit.actor(admin, "system"):
        load_regions()
        zy = Region.objects.get(code="410102")
        entity = Organisation.objects.create(name="郑州中原城市更新有限公司", kind=OrganisationKind.ENTITY, region=zy)
        project = RenewalProject.objects.create(code="K202601001", name="建设路片区老旧小区改造", city=zy.parent,
                                                total_investment=Decimal("1.25"), location=Point(113.6312, 34.7535, srid=4326))
        project.districts.add(zy)
        plan = ImplementationPlan.objects.create(
            code="SS-2026-001", title="建设路片区城市更新实施方案", project=project, district=zy, entity=entity,
            state=PlanState.APPROVED, summary="改造建筑面积3.2万平方米，加装电梯12部，新增停车位86个。\n" * 5,
        )
        editor = User.objects.create_user("benchentity", password=secrets.token_urlsafe(16))
        RoleAssignment.objects.create(user=editor, role=Role.ENTITY_EDITOR, region=zy, organisation=entity)
        notice = services.publish(plan, user=admin)
    rnd = random.Random(5)
    for i in range(comments):
        c = services.add_comment(notice, name=f"居民{i}", contact=f"1380013{i:04d}",
                                 body="建议" + "保留绿地、增加停车位、加装电梯费用公开。"[: rnd.randint(8, 20)] * 3,
                                 ip=f"10.1.{i // 250}.{i % 250}")
        if i % 2 == 0:
            services.reply(c, user=editor, body="感谢意见，已纳入方案修改。")
    return notice.pk


async def fetch(host: str, port: int, path: str) -> tuple[int, bytes]:
    """One GET on a new connection (``cityrenew serve`` closes each connection: no keep-alive by default).

    asyncio streams rather than httpx here: httpx spends ~2.5 ms of CPU per request, twice the server's,
    and the clients share the machine with the server — the bench would measure its own client."""
    reader_, writer = await asyncio.open_connection(host, port)
    try:
        writer.write(f"GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
        await writer.drain()
        raw = await reader_.read(-1)
    finally:
        writer.close()
    head, _, body = raw.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1]) if head.startswith(b"HTTP/") else 0
    return status, body


async def reader(host: str, port: int, path: str, deadline: float, think: tuple[float, float], rnd: random.Random,
                 out: list[tuple[float, float, bool]], errors: list[str]) -> None:
    title, new = TITLE.encode(), NEW_COMMENT.encode()
    await asyncio.sleep(rnd.uniform(0, think[1]))  # readers arrive spread over one think time
    while time.monotonic() < deadline:
        t0 = time.monotonic()
        try:
            status, body = await asyncio.wait_for(fetch(host, port, path), 30)
        except (OSError, TimeoutError, ValueError, IndexError) as exc:
            errors.append(f"{type(exc).__name__} {exc}")
        else:
            ms = (time.monotonic() - t0) * 1000
            if status != 200 or title not in body:
                errors.append(f"HTTP {status}")
            else:
                out.append((t0, ms, new in body))
        await asyncio.sleep(rnd.uniform(*think))


async def _readers(host: str, port: int, path: str, first: int, n: int, deadline: float, think: tuple[float, float],
                   out: list, errors: list) -> None:
    await asyncio.gather(*[reader(host, port, path, deadline, think, random.Random(first + k), out, errors)
                           for k in range(n)])


def client_process(args: tuple) -> tuple[list[tuple[float, float, bool]], list[str], float]:
    """One client process: ``n`` asyncio readers until ``deadline`` (time.monotonic is system-wide on Linux)."""
    base, url, first, n, deadline, think = args
    out: list[tuple[float, float, bool]] = []
    errors: list[str] = []
    c0 = time.process_time()
    host, port = base.removeprefix("http://").split(":")
    asyncio.run(_readers(host, int(port), url, first, n, deadline, think, out, errors))
    return out, errors, time.process_time() - c0


def load(base: str, url: str, readers: int, duration: float, think: tuple[float, float], notice_pk: int,
         procs: int) -> tuple[list[tuple[float, float, bool]], list[str], float | None, float]:
    """``readers`` spread over ``procs`` client processes; half-way a comment is posted through the public form."""
    import multiprocessing

    deadline = time.monotonic() + duration
    share = [readers // procs + (1 if i < readers % procs else 0) for i in range(procs)]
    jobs = [(base, url, sum(share[:i]), share[i], deadline, think) for i in range(procs) if share[i]]
    with multiprocessing.get_context("fork").Pool(len(jobs)) as pool:
        pending = pool.map_async(client_process, jobs)
        time.sleep(duration / 2)
        r = httpx.post(base + f"/public/notices/{notice_pk}/comments/", timeout=30,
                       data={"name": "测试居民", "contact": "13700000000", "body": NEW_COMMENT, "kind": "opinion"})
        posted = time.monotonic() if r.status_code == 200 else None
        results = pending.get(timeout=duration + 600)
    out = [x for o, _, _ in results for x in o]
    errors = [msg for _, errs, _ in results for msg in errs]
    if posted is None:
        errors.append(f"comment POST: HTTP {r.status_code}")
    return out, errors, posted, sum(c for _, _, c in results)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--readers", type=int, default=500)
    ap.add_argument("--duration", type=float, default=60.0, help="seconds of load (default 60)")
    ap.add_argument("--think", type=float, nargs=2, default=(1.0, 3.0), metavar=("MIN", "MAX"))
    ap.add_argument("--comments", type=int, default=40, help="comments on the page (half answered)")
    ap.add_argument("--baseline", type=int, default=200, help="sequential GETs by one reader alone")
    ap.add_argument("--workers", type=int, default=None, help="gunicorn workers (default: serve's default)")
    ap.add_argument("--client-procs", type=int, default=4, help="client processes the readers are spread over")
    ap.add_argument("--database-url", default=None, help="default: a fresh SQLite file")
    ap.add_argument("--quick", action="store_true", help="100 readers, 15 s")
    args = ap.parse_args(argv)
    if args.quick:
        args.readers, args.duration, args.baseline = 100, 15.0, 50

    work = Path(tempfile.mkdtemp(prefix="cityrenew-notices-"))
    env = dict(os.environ)
    env.update({
        "DATABASE_URL": args.database_url or f"sqlite:///{work / 'notices.sqlite3'}",
        "CITYRENEW_DATA_DIR": str(work), "CITYRENEW_DEBUG": "0", "CITYRENEW_SECRET_KEY": secrets.token_urlsafe(50),
        "CITYRENEW_ALLOWED_HOSTS": "127.0.0.1,localhost", "CITYRENEW_HTTPS": "0",
        # the readers share one loopback address; the single comment posted must not meet the spam limit
        "CITYRENEW_NOTICE_COMMENTS_PER_HOUR": "1000",
        # the 15 working days count from a day the calendar covers (chinese-calendar: up to 2026), whatever today is
        "CITYRENEW_TODAY": "2026-09-25",
        "PYTHONPATH": str(REPO) + os.pathsep + env.get("PYTHONPATH", ""),
    })
    os.environ.update(env)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cityrenew.settings")
    print(f"准备数据：{work}", flush=True)
    pk = prepare(args.comments)
    from django.db import connections

    connections.close_all()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    url = f"/public/notices/{pk}/"
    cli = str(Path(sys.executable).with_name("cityrenew"))
    cmd = [cli, "serve", "--bind", f"127.0.0.1:{port}"] + (["--workers", str(args.workers)] if args.workers else [])
    server = subprocess.Popen(cmd, env=env, cwd=work, stdout=open(work / "serve.log", "wb"), stderr=subprocess.STDOUT,
                              start_new_session=True)
    try:
        t_wait = time.monotonic() + 90
        while True:
            try:
                if httpx.get(base + url, timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if server.poll() is not None or time.monotonic() > t_wait:
                print("服务未能启动：\n" + (work / "serve.log").read_text(errors="replace")[-3000:])
                return 1
            time.sleep(0.5)
        size = len(httpx.get(base + url).content)
        alone = []
        with httpx.Client(base_url=base, timeout=30) as c:
            for _ in range(20):  # every gunicorn process renders and caches the page once
                c.get(url)
            for _ in range(args.baseline):
                t0 = time.perf_counter()
                c.get(url)
                alone.append((time.perf_counter() - t0) * 1000)
        cpu_before = process_cpu(server.pid)
        print(f"{args.readers} 位读者，{args.duration:.0f} 秒，思考时间 {args.think[0]}–{args.think[1]} 秒，{base}{url}（{size:,} 字节）",
              flush=True)
        t0 = time.monotonic()
        out, errors, posted, client_cpu = load(base, url, args.readers, args.duration, tuple(args.think), pk,
                                               args.client_procs)
        elapsed = time.monotonic() - t0
        cpu_after = process_cpu(server.pid)
    finally:
        try:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            os.killpg(server.pid, signal.SIGKILL)

    lat = [ms for _, ms, _ in out]
    stale = sum(1 for start, _, seen in out if posted is not None and start > posted + 1.0 and not seen)
    after = sum(1 for start, _, _ in out if posted is not None and start > posted + 1.0)
    web_cpu = sum(cpu - cpu_before.get(pid, ("", 0.0))[1] for pid, (cmd_, cpu) in cpu_after.items() if "gunicorn" in cmd_)
    res = {
        "readers": args.readers, "think_s": list(args.think), "duration_s": round(elapsed, 1), "requests": len(out),
        "requests_per_s": round(len(out) / elapsed, 1), "page_bytes": size, "errors": len(errors),
        "stale_pages": stale, "pages_checked_after_comment": after,
        "alone_p50_ms": round(pct(alone, 0.5), 1), "alone_p95_ms": round(pct(alone, 0.95), 1),
        "p50_ms": round(pct(lat, 0.5), 1) if lat else None, "p95_ms": round(pct(lat, 0.95), 1) if lat else None,
        "max_ms": round(max(lat), 1) if lat else None,
        "server_cpu_ms_per_request": round(1000 * web_cpu / len(out), 2) if out and web_cpu else None,
        "client_cpu_ms_per_request": round(1000 * client_cpu / len(out), 2) if out else None,
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }
    res["p95_over_alone_p50"] = round(res["p95_ms"] / res["alone_p50_ms"], 1) if lat and res["alone_p50_ms"] else None
    ok = not errors and stale == 0 and posted is not None and after > 0
    p95 = res["p95_ms"]
    print("公示页面并发读者基准 / public notice page benchmark")
    for k, v in [
        ("读者 / 时长", f"{args.readers} / {elapsed:.0f} s，{len(out):,} 次请求（{res['requests_per_s']}/s）"),
        ("单人 p50 / p95", f"{res['alone_p50_ms']} / {res['alone_p95_ms']} ms（基线）"),
        ("并发 p50 / p95 / max", f"{res['p50_ms']} / {p95} ms {'✓' if p95 is not None and p95 < BUDGET_MS else '✗'}"
                                f"（预算 {BUDGET_MS} ms） / {res['max_ms']} ms"),
        ("p95 ÷ 单人 p50", f"{res['p95_over_alone_p50']}×"),
        ("CPU / 请求", f"服务端 {res['server_cpu_ms_per_request']} ms，客户端 {res['client_cpu_ms_per_request']} ms（同机）"),
        ("错误", f"{len(errors)}"),
        ("新意见后仍为旧页面", f"{stale} / {after}"),
        ("本机负载（1/5/15 分钟）", " / ".join(f"{x:.2f}" for x in os.getloadavg())),
    ]:
        print(f"  {k:<16} {v}")
    if errors:
        print("错误示例：\n  " + "\n  ".join(errors[:10]))
    print(json.dumps(res, ensure_ascii=False))
    if ok:
        shutil.rmtree(work, ignore_errors=True)
    else:
        print(f"数据目录已保留：{work}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
