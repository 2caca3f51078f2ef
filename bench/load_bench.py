"""Load benchmark: simulated users against ``cityrenew serve`` while a large import runs.

    python bench/load_bench.py                   # 50 users, 180 s, 20,000-row import, 5,000-project library
    python bench/load_bench.py --quick           # 10 users, 20 s, 2,000-row import, 1,000 projects

Everything runs on this machine over loopback (127.0.0.1) and stops by itself: a bounded number of
users, a bounded duration, one import.

1. A fresh SQLite file (or ``--database-url``) in a temporary data directory: migrate, load the
   regions, import a synthetic library, create one district editor (区级编辑) per simulated user,
   spread over the districts, each editing only single-district projects of its own district.
2. ``cityrenew serve`` on a free loopback port (gunicorn + the background worker).
3. Each simulated user logs in through the login page (session + CSRF, as a browser does) and loops
   over a mix of reads and writes with a think time between requests (``--think``, default 1–3 s, a
   clerk reading a page before the next click; ``--think 0.1 0.5`` is a stress pace that needs more
   than two cores for the 500 ms budget):
   list page (HTML, filters and pages), project detail page, list API, summary page, and district
   edits through the API: read the project (ETag), PATCH its description with ``If-Match``. A 412/409
   is a refused stale write (counted, not an error); any other non-2xx or a connection error is an error.
   Each edit increments a counter written in the description, so a lost update shows as a counter
   lower than the number of writes the server accepted for that project.
4. After a few seconds a ``cityrenew projects import`` of ``--import-rows`` new projects starts in a
   separate process and runs alongside the users.
5. At the end: errors, refused stale writes, lost updates (accepted writes − counter), audit rows for
   the users' updates (must equal accepted writes), the import's exit status and row count, and
   p50/p95 of page and API requests against the 500 ms budget, and the server's CPU per request
   (its processes' user + system time from /proc over the run: on a shared machine latency follows
   the neighbours' load, CPU per request does not).

Prints a table and a JSON line; exits 1 when a correctness check fails (errors, lost updates, audit
mismatch, failed import). Latency budgets are printed, never asserted.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from decimal import Decimal
from pathlib import Path

import httpx

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(HERE))

from projects_bench import DISTRICTS, generate, pct  # noqa: E402

PASSWORD = "Load-bench-Pass-2026"
COUNTER = re.compile(r"负载测试计数\s*(\d+)")
BUDGET_MS = 500


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write_import_file(path: Path, n: int, seed: int = 7) -> None:
    """``n`` new projects with codes from year 2031 on, so they never collide with the library."""
    rnd = random.Random(seed)
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["seq", "code", "name", "total_investment_yi", "district"])
        for i in range(n):
            year = 2031 + i // (99 * 999)
            code = f"K{year}{(i // 999) % 99 + 1:02d}{i % 999 + 1:03d}"
            district = rnd.choice(DISTRICTS)
            inv = Decimal(rnd.randint(1, 500_000)) / Decimal(10_000)
            w.writerow([i + 1, code, f"{district}负载导入项目{i + 1}", inv, district])


def process_cpu(root: int) -> dict[int, tuple[str, float]]:
    """CPU seconds (user + system) of ``root`` and its live descendants, by pid, from /proc (Linux).

    Latency on a shared machine depends on the neighbours; the server's CPU per request does not.
    """
    tick = os.sysconf("SC_CLK_TCK")
    children: dict[int, list[int]] = defaultdict(list)
    stats: dict[int, tuple[str, float]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            raw = (entry / "stat").read_text()
            cmd = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
        except OSError:
            continue
        fields = raw[raw.rindex(")") + 2:].split()
        children[int(fields[1])].append(int(entry.name))
        stats[int(entry.name)] = (cmd, (int(fields[11]) + int(fields[12])) / tick)
    out, todo = {}, [root]
    while todo:
        pid = todo.pop()
        if pid in stats:
            out[pid] = stats[pid]
        todo += children.get(pid, [])
    return out


class Stats:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.latency: dict[str, list[float]] = defaultdict(list)
        self.errors: list[str] = []
        self.accepted: Counter[str] = Counter()  # project code -> writes the server accepted
        self.stale = 0
        self.requests = 0

    def record(self, kind: str, ms: float) -> None:
        with self.lock:
            self.latency[kind].append(ms)
            self.requests += 1

    def error(self, text: str) -> None:
        with self.lock:
            if len(self.errors) < 200:
                self.errors.append(text)
            else:
                self.errors.append("…")


def timed(stats: Stats, kind: str, client: httpx.Client, method: str, url: str, **kw) -> httpx.Response | None:
    t0 = time.perf_counter()
    try:
        r = client.request(method, url, **kw)
    except httpx.HTTPError as exc:
        stats.error(f"{method} {url}: {type(exc).__name__} {exc}")
        return None
    stats.record(kind, (time.perf_counter() - t0) * 1000)
    return r


def login(client: httpx.Client, username: str) -> None:
    r = client.get("/login/")
    r.raise_for_status()
    m = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', r.text)
    if not m:
        raise RuntimeError("登录页没有 CSRF 令牌")
    r = client.post("/login/", data={"username": username, "password": PASSWORD, "csrfmiddlewaretoken": m.group(1)},
                    headers={"Referer": str(client.base_url) + "/login/"})
    if r.status_code not in (302, 303):
        raise RuntimeError(f"{username} 登录失败：HTTP {r.status_code}")


def user_loop(base: str, username: str, district_id: int, codes: list[str], deadline: float, stats: Stats, seed: int,
              think: tuple[float, float] = (1.0, 3.0)) -> None:
    rnd = random.Random(seed)
    with httpx.Client(base_url=base, timeout=30.0, follow_redirects=False) as client:
        try:
            login(client, username)
        except Exception as exc:  # noqa: BLE001 - a failed login is reported as an error of the run
            stats.error(f"{username}: {exc}")
            return
        csrf = client.cookies.get("csrftoken", "")
        while time.monotonic() < deadline:
            op = rnd.random()
            if op < 0.25:
                params = rnd.choice([{}, {"page": rnd.randint(1, 20)}, {"district": district_id}, {"q": "老旧小区"},
                                     {"ordering": "-total_investment"}])
                r = timed(stats, "page", client, "GET", "/projects/", params=params)
            elif op < 0.40:
                r = timed(stats, "page", client, "GET", f"/projects/{rnd.choice(codes)}/")
            elif op < 0.45:
                r = timed(stats, "page", client, "GET", "/projects/summary/")
            elif op < 0.70:
                params = rnd.choice([{}, {"district": district_id}, {"page": rnd.randint(1, 20)},
                                     {"ordering": "-total_investment"}, {"q": "K2022"}])
                r = timed(stats, "api", client, "GET", "/api/projects/", params=params)
            else:
                code = rnd.choice(codes)
                r = timed(stats, "api", client, "GET", f"/api/projects/{code}/")
                if r is not None and r.status_code == 200:
                    body = r.json()
                    m = COUNTER.search(body.get("description") or "")
                    n = int(m.group(1)) if m else 0
                    headers = {"X-CSRFToken": csrf, "Referer": base + "/"}
                    payload: dict[str, object] = {"description": f"负载测试计数 {n + 1}（{username}）"}
                    if r.headers.get("ETag"):
                        headers["If-Match"] = r.headers["ETag"]
                    elif "row_version" in body:
                        payload["row_version"] = body["row_version"]
                    w = timed(stats, "api", client, "PATCH", f"/api/projects/{code}/", json=payload, headers=headers)
                    if w is not None:
                        if w.status_code == 200:
                            with stats.lock:
                                stats.accepted[code] += 1
                        elif w.status_code in (409, 412):
                            with stats.lock:
                                stats.stale += 1
                        else:
                            stats.error(f"PATCH {code}: HTTP {w.status_code} {w.text[:200]}")
                    r = w
            if r is not None and r.status_code >= 400 and r.status_code not in (409, 412):
                stats.error(f"{r.request.method} {r.request.url}: HTTP {r.status_code}")
            time.sleep(rnd.uniform(*think))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--users", type=int, default=50)
    ap.add_argument("--duration", type=float, default=180.0, help="seconds of load (default 180)")
    ap.add_argument("--import-rows", type=int, default=20_000)
    ap.add_argument("--library", type=int, default=5_000, help="projects in the library before the run")
    ap.add_argument("--workers", type=int, default=None, help="gunicorn workers (default: serve's default)")
    ap.add_argument("--database-url", default=None, help="default: a fresh SQLite file")
    ap.add_argument("--think", type=float, nargs=2, default=(1.0, 3.0), metavar=("MIN", "MAX"),
                    help="each user's pause between requests, uniform in seconds (default 1 3)")
    ap.add_argument("--quick", action="store_true", help="10 users, 20 s, 2,000-row import, 1,000 projects")
    args = ap.parse_args(argv)
    if args.quick:
        args.users, args.duration, args.import_rows, args.library = 10, 20.0, 2_000, 1_000

    work = Path(tempfile.mkdtemp(prefix="cityrenew-load-"))
    env = dict(os.environ)
    env.update({
        "DATABASE_URL": args.database_url or f"sqlite:///{work / 'load.sqlite3'}",
        "CITYRENEW_DATA_DIR": str(work),
        "CITYRENEW_DEBUG": "0",
        "CITYRENEW_SECRET_KEY": secrets.token_urlsafe(50),
        "CITYRENEW_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "CITYRENEW_HTTPS": "0",  # plain HTTP on loopback: no SSL redirect, no __Host- cookies
        "PYTHONPATH": str(REPO) + os.pathsep + env.get("PYTHONPATH", ""),
    })
    os.environ.update(env)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cityrenew.settings")
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from cityrenew.core import audit
    from cityrenew.core.choices import Role
    from cityrenew.core.models import AuditLog, Region, RoleAssignment
    from cityrenew.core.regions import load_regions, region_by_name
    from cityrenew.projects.importer import import_projects
    from cityrenew.projects.models import RenewalProject

    print(f"准备数据：{work}", flush=True)
    call_command("migrate", interactive=False, verbosity=0)
    User = get_user_model()
    admin = User.objects.create_superuser("loadadmin", password=PASSWORD)
    with audit.actor(admin, "system"):
        load_regions()
    lib_csv = work / "library.csv"
    generate(lib_csv, args.library)
    report = import_projects(lib_csv, user=admin, batch_no="负载测试〔2026〕1号", batch_type="初始入库")
    if not report.ok:
        print(report.summary_text()[:2000])
        return 1
    import_csv = work / "import.csv"
    write_import_file(import_csv, args.import_rows)

    users: list[tuple[str, int, list[str]]] = []
    by_district: dict[int, list[str]] = {}
    for i in range(args.users):
        name = DISTRICTS[i % len(DISTRICTS)]
        region = region_by_name(name)
        if region.pk not in by_district:
            by_district[region.pk] = list(
                RenewalProject.objects.filter(districts=region).exclude(districts__in=Region.objects.exclude(pk=region.pk))
                .values_list("code", flat=True)[:200]
            )
        username = f"load{i:02d}"
        u = User.objects.create_user(username, password=PASSWORD, first_name=f"{name}编辑{i}")
        RoleAssignment.objects.create(user=u, role=Role.DISTRICT_EDITOR, region=region)
        users.append((username, region.pk, by_district[region.pk]))
    user_ids = list(User.objects.filter(username__startswith="load").exclude(username="loadadmin").values_list("pk", flat=True))
    audit_before = AuditLog.objects.filter(action="update", user_id__in=user_ids).count()
    projects_before = RenewalProject.objects.count()
    from django.db import connections

    connections.close_all()

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    cli = str(Path(sys.executable).with_name("cityrenew"))
    serve_cmd = [cli, "serve", "--bind", f"127.0.0.1:{port}"] + (["--workers", str(args.workers)] if args.workers else [])
    server = subprocess.Popen(serve_cmd, env=env, cwd=work, stdout=open(work / "serve.log", "wb"), stderr=subprocess.STDOUT,
                              start_new_session=True)
    try:
        t_wait = time.monotonic() + 90
        while True:
            try:
                if httpx.get(base + "/login/", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if server.poll() is not None or time.monotonic() > t_wait:
                print("服务未能启动：\n" + (work / "serve.log").read_text(errors="replace")[-3000:])
                return 1
            time.sleep(0.5)

        try:
            cpu_before = process_cpu(server.pid)
        except OSError:
            cpu_before = {}
        stats = Stats()
        start = time.monotonic()
        deadline = start + args.duration
        threads = [threading.Thread(target=user_loop, args=(base, u, d, codes, deadline, stats, k, tuple(args.think)),
                                    daemon=True)
                   for k, (u, d, codes) in enumerate(users)]
        print(f"{len(threads)} 个模拟用户，{args.duration:.0f} 秒，思考时间 {args.think[0]}–{args.think[1]} 秒，{base}", flush=True)
        for t in threads:
            t.start()
        time.sleep(min(10.0, args.duration / 6))
        t_imp = time.monotonic()
        imp = subprocess.run([cli, "projects", "import", str(import_csv), "--batch-no", "负载测试〔2026〕2号",
                              "--batch-type", "新增入库", "--quiet-rows"], env=env, cwd=work, capture_output=True, text=True)
        import_s = time.monotonic() - t_imp
        import_overlapped = time.monotonic() < deadline
        for t in threads:
            t.join(timeout=args.duration + 120)
        elapsed = time.monotonic() - start
        try:
            cpu_after = process_cpu(server.pid)
        except OSError:  # no /proc: CPU figures are left out
            cpu_after = {}
    finally:
        try:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            os.killpg(server.pid, signal.SIGKILL)

    # --- verification, against the database the server wrote ---
    accepted = sum(stats.accepted.values())
    counters = 0
    for code, n in stats.accepted.items():
        desc = RenewalProject.objects.filter(code=code).values_list("description", flat=True).first() or ""
        m = COUNTER.search(desc)
        counters += int(m.group(1)) if m else 0
    lost = accepted - counters
    audit_rows = AuditLog.objects.filter(action="update", user_id__in=user_ids).count() - audit_before
    imported = RenewalProject.objects.count() - projects_before

    # gunicorn workers' CPU during the run (the job worker and the import run in other processes)
    web_cpu = {pid: cpu - cpu_before.get(pid, ("", 0.0))[1] for pid, (cmd, cpu) in cpu_after.items()
               if "gunicorn" in cmd}
    web_cpu_s = sum(web_cpu.values())
    shares = sorted((round(100 * v / web_cpu_s) for v in web_cpu.values() if v > 0), reverse=True) if web_cpu_s else []

    page, api = stats.latency.get("page", []), stats.latency.get("api", [])
    res = {
        "users": args.users, "think_s": list(args.think), "duration_s": round(elapsed, 1), "requests": stats.requests,
        "requests_per_s": round(stats.requests / elapsed, 1), "errors": len(stats.errors),
        "writes_accepted": accepted, "stale_writes_refused": stats.stale, "lost_updates": lost,
        "audit_update_rows": audit_rows, "import_rows": args.import_rows, "import_exit": imp.returncode,
        "import_s": round(import_s, 1), "import_overlapped_load": import_overlapped, "projects_imported": imported,
        "page_p50_ms": round(pct(page, 0.5), 1) if page else None, "page_p95_ms": round(pct(page, 0.95), 1) if page else None,
        "api_p50_ms": round(pct(api, 0.5), 1) if api else None, "api_p95_ms": round(pct(api, 0.95), 1) if api else None,
        "server_cpu_s": round(web_cpu_s, 1),
        "server_cpu_ms_per_request": round(1000 * web_cpu_s / stats.requests, 1) if stats.requests and web_cpu_s else None,
        "server_cpu_share_pct": shares, "load_average": [round(x, 2) for x in os.getloadavg()],
    }
    ok = (not stats.errors and lost == 0 and audit_rows == accepted and imp.returncode == 0
          and imported == args.import_rows and accepted > 0)

    def budget(v):
        return "—" if v is None else f"{v} ms {'✓' if v < BUDGET_MS else '✗'} (预算 {BUDGET_MS} ms)"

    print("负载基准 / load benchmark")
    for k, v in [
        ("用户 / 时长", f"{args.users} / {elapsed:.0f} s, {stats.requests:,} 次请求（{res['requests_per_s']}/s）"),
        ("错误", f"{len(stats.errors)}"),
        ("写入：接受 / 过期被拒", f"{accepted} / {stats.stale}"),
        ("丢失更新", f"{lost}"),
        ("审计行（更新）= 接受的写入", f"{audit_rows} {'=' if audit_rows == accepted else '≠'} {accepted}"),
        ("并行导入", f"{args.import_rows:,} 行，退出码 {imp.returncode}，{import_s:.1f} s，新增 {imported:,}"),
        ("页面 p50 / p95", f"{res['page_p50_ms']} / {budget(res['page_p95_ms'])}"),
        ("接口 p50 / p95", f"{res['api_p50_ms']} / {budget(res['api_p95_ms'])}"),
        ("服务端 CPU", f"{web_cpu_s:.1f} s，每次请求 {res['server_cpu_ms_per_request']} ms，各进程占比 {shares} %"),
        ("本机负载（1/5/15 分钟）", " / ".join(f"{x:.2f}" for x in os.getloadavg())),
    ]:
        print(f"  {k:<18} {v}")
    if stats.errors:
        print("错误示例：\n  " + "\n  ".join(stats.errors[:10]))
    if imp.returncode != 0:
        print("导入输出：\n" + (imp.stdout + imp.stderr)[-2000:])
    print(json.dumps(res, ensure_ascii=False))
    if ok:
        shutil.rmtree(work, ignore_errors=True)  # the database, the import file and serve.log: kept only on failure
    else:
        print(f"数据目录已保留：{work}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
