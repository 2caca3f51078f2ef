"""Ballots benchmark: 2,000 owners cast their ballots on the public site at once, against ``cityrenew serve``.

    python bench/ballots_bench.py                 # 2,000 ballots, 20 concurrent clients
    python bench/ballots_bench.py --quick         # 200 ballots, 10 clients

Everything runs on this machine over loopback and stops by itself (a bounded number of ballots).

1. A fresh SQLite file (or ``--database-url``) in a temporary data directory: migrate, load the regions,
   one plan with one open vote whose register has ``--ballots`` 专有部分 of as many owners; codes issued
   (the plaintext codes stay in this process, as the printed letters would).
2. ``cityrenew serve`` on a free loopback port.
3. ``--clients`` threads, each a browser-like client (cookie + CSRF token from the vote page), share the
   codes and POST one ballot per code to ``/public/vote/<id>/`` as fast as the server answers.
4. Checks against the database the server wrote: every POST answered with a receipt, one ballot per owner,
   every code consumed, one audit row per ballot, and the tally after close counts every owner as voted —
   ``lost`` = ballots accepted − ballots stored. Prints the wall time against the one-minute budget,
   throughput and p50/p95 per ballot, a table and a JSON line; exits 1 when a correctness check fails.
   Time budgets are printed, never asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
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

BUDGET_S = 60.0
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
RECEIPT = re.compile(r'data-testid="receipt-code">([A-Z0-9-]+)<')


def setup(n: int):
    """The plan, the vote and its ``n`` one-time codes, in the benchmark's database."""
    import datetime as dt

    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.utils import timezone

    from cityrenew.ballots import services
    from cityrenew.ballots.models import OwnerUnit, Vote
    from cityrenew.core import audit
    from cityrenew.core.choices import OrganisationKind
    from cityrenew.core.models import Organisation, Region
    from cityrenew.core.regions import load_regions
    from cityrenew.plans.choices import PlanState
    from cityrenew.plans.models import ImplementationPlan
    from cityrenew.projects.models import RenewalProject

    call_command("migrate", interactive=False, verbosity=0)
    admin = get_user_model().objects.create_superuser("benchadmin", password=secrets.token_urlsafe(16))
    with audit.actor(admin, "system"):
        load_regions()
        district = Region.objects.get(code="410102")
        project = RenewalProject.objects.create(code="K202201005", name="表决基准项目", city=district.parent,
                                                total_investment=Decimal("1"), category="old_community", status="library")
        project.districts.add(district)
        entity = Organisation.objects.create(name="基准实施主体", kind=OrganisationKind.ENTITY, region=district)
        plan = ImplementationPlan.objects.create(code="SSFA-BENCH-1", title="表决基准方案", project=project, district=district,
                                                 entity=entity, state=PlanState.CONSULTATION)
        now = timezone.now()
        vote = Vote.objects.create(plan=plan, title="基准表决", matter="major", opens_at=now - dt.timedelta(hours=1),
                                   closes_at=now + dt.timedelta(days=1))
        OwnerUnit.objects.bulk_create([
            OwnerUnit(vote=vote, building=str(1 + i // 200), unit=str(1 + (i // 50) % 4), room=f"{1 + (i // 2) % 25:02d}{i % 2 + 1:02d}",
                      owner=f"业主{i + 1:05d}", area=Decimal("60") + Decimal(i % 50))
            for i in range(n)])
        codes = [code for _, code in services.issue_codes(vote)]
    return vote, codes


def client_loop(base: str, vote_pk: int, codes: list[str], lock: threading.Lock, out: dict) -> None:
    url = f"/public/vote/{vote_pk}/"
    with httpx.Client(base_url=base, timeout=60.0) as client:
        try:
            page = client.get(url)
            token = CSRF.search(page.text).group(1)
        except Exception as exc:  # noqa: BLE001 - reported as an error of the run
            with lock:
                out["errors"].append(f"GET {url}: {exc}")
            return
        while True:
            with lock:
                if not codes:
                    return
                code = codes.pop()
            choice = "同意" if int(hashlib_digit(code)) % 4 else "反对"
            t0 = time.perf_counter()
            try:
                r = client.post(url, data={"action": "cast", "code": code, "choice": choice, "csrfmiddlewaretoken": token},
                                headers={"Referer": base + url})
            except httpx.HTTPError as exc:
                with lock:
                    out["errors"].append(f"POST {code}: {type(exc).__name__} {exc}")
                continue
            ms = (time.perf_counter() - t0) * 1000
            m = RECEIPT.search(r.text) if r.status_code == 200 else None
            with lock:
                out["latency"].append(ms)
                if m:
                    out["receipts"].append(m.group(1))
                else:
                    out["errors"].append(f"POST {code}: HTTP {r.status_code} {r.text[:200]}")


def hashlib_digit(code: str) -> str:
    import hashlib

    return str(int(hashlib.sha256(code.encode()).hexdigest()[:6], 16))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ballots", type=int, default=2000)
    ap.add_argument("--clients", type=int, default=20)
    ap.add_argument("--workers", type=int, default=None, help="gunicorn workers (default: serve's default)")
    ap.add_argument("--database-url", default=None, help="default: a fresh SQLite file")
    ap.add_argument("--quick", action="store_true", help="200 ballots, 10 clients")
    args = ap.parse_args(argv)
    if args.quick:
        args.ballots, args.clients = 200, 10

    work = Path(tempfile.mkdtemp(prefix="cityrenew-ballots-"))
    env = dict(os.environ)
    env.update({
        "DATABASE_URL": args.database_url or f"sqlite:///{work / 'ballots.sqlite3'}",
        "CITYRENEW_DATA_DIR": str(work), "CITYRENEW_DEBUG": "0", "CITYRENEW_SECRET_KEY": secrets.token_urlsafe(50),
        "CITYRENEW_ALLOWED_HOSTS": "127.0.0.1,localhost", "CITYRENEW_HTTPS": "0",
        "PYTHONPATH": str(REPO) + os.pathsep + env.get("PYTHONPATH", ""),
    })
    os.environ.update(env)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cityrenew.settings")
    import django

    django.setup()
    from django.db import connections

    print(f"准备数据：{work}（{args.ballots:,} 个专有部分）", flush=True)
    vote, codes = setup(args.ballots)
    connections.close_all()

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    cli = str(Path(sys.executable).with_name("cityrenew"))
    cmd = [cli, "serve", "--bind", f"127.0.0.1:{port}", "--no-worker"] + (["--workers", str(args.workers)] if args.workers else [])
    server = subprocess.Popen(cmd, env=env, cwd=work, stdout=open(work / "serve.log", "wb"), stderr=subprocess.STDOUT,
                              start_new_session=True)
    out: dict = {"latency": [], "receipts": [], "errors": []}
    try:
        t_wait = time.monotonic() + 90
        while True:
            try:
                if httpx.get(base + f"/public/vote/{vote.pk}/", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if server.poll() is not None or time.monotonic() > t_wait:
                print("服务未能启动：\n" + (work / "serve.log").read_text(errors="replace")[-3000:])
                return 1
            time.sleep(0.5)
        pending = list(codes)
        lock = threading.Lock()
        threads = [threading.Thread(target=client_loop, args=(base, vote.pk, pending, lock, out), daemon=True)
                   for _ in range(args.clients)]
        print(f"{args.clients} 个并发客户端投出 {args.ballots:,} 张表决票，{base}", flush=True)
        try:
            cpu_before = process_cpu(server.pid)
        except OSError:
            cpu_before = {}
        t0 = time.monotonic()
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=600)
        elapsed = time.monotonic() - t0
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
    import datetime as dt

    from django.contrib.contenttypes.models import ContentType
    from django.utils import timezone

    from cityrenew.ballots import services
    from cityrenew.ballots.models import Ballot, Vote
    from cityrenew.core.models import AuditLog

    accepted = len(out["receipts"])
    stored = Ballot.objects.filter(vote=vote).count()
    used = vote.units.filter(code_used_at__isnull=False).count()
    audit_rows = AuditLog.objects.filter(content_type=ContentType.objects.get_for_model(Ballot), action="create").count()
    vote = Vote.objects.get(pk=vote.pk)
    vote.closes_at = timezone.now() - dt.timedelta(seconds=1)
    vote.save()
    result = services.finalize(vote).result
    lost = accepted - stored
    # the web server's CPU per ballot: on a shared machine latency follows the neighbours' load, CPU does not
    web_cpu_s = sum(cpu - cpu_before.get(pid, ("", 0.0))[1] for pid, (cmd, cpu) in cpu_after.items() if "gunicorn" in cmd)
    lat = out["latency"]
    res = {
        "ballots": args.ballots, "clients": args.clients, "elapsed_s": round(elapsed, 1),
        "ballots_per_s": round(accepted / elapsed, 1) if elapsed else None, "accepted": accepted, "stored": stored,
        "lost": lost, "codes_used": used, "audit_create_rows": audit_rows, "tally_owners_voted": result["owners_voted"],
        "errors": len(out["errors"]), "p50_ms": round(pct(lat, 0.5), 1) if lat else None,
        "p95_ms": round(pct(lat, 0.95), 1) if lat else None, "server_cpu_s": round(web_cpu_s, 1),
        "server_cpu_ms_per_ballot": round(1000 * web_cpu_s / accepted, 1) if accepted and web_cpu_s else None,
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }
    ok = (not out["errors"] and lost == 0 and accepted == args.ballots and used == args.ballots
          and audit_rows == args.ballots and result["owners_voted"] == args.ballots and len(set(out["receipts"])) == accepted)
    print("业主表决基准 / ballots benchmark")
    for k, v in [
        ("表决票 / 并发客户端", f"{args.ballots:,} / {args.clients}"),
        ("用时", f"{elapsed:.1f} s {'✓' if elapsed <= BUDGET_S else '✗'}（预算 {BUDGET_S:.0f} s）"),
        ("吞吐", f"{res['ballots_per_s']} 张/秒"),
        ("接受 / 入库 / 丢失", f"{accepted} / {stored} / {lost}"),
        ("已用表决码 / 审计行", f"{used} / {audit_rows}"),
        ("截止后计票：参与人数", f"{result['owners_voted']}"),
        ("每张 p50 / p95", f"{res['p50_ms']} / {res['p95_ms']} ms"),
        ("服务端 CPU", f"{web_cpu_s:.1f} s，每张 {res['server_cpu_ms_per_ballot']} ms"),
        ("错误", f"{len(out['errors'])}"),
        ("本机负载（1/5/15 分钟）", " / ".join(f"{x:.2f}" for x in os.getloadavg())),
    ]:
        print(f"  {k:<18} {v}")
    if out["errors"]:
        print("错误示例：\n  " + "\n  ".join(out["errors"][:10]))
    print(json.dumps(res, ensure_ascii=False))
    if ok:
        shutil.rmtree(work, ignore_errors=True)
    else:
        print(f"数据目录已保留：{work}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
