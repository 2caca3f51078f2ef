"""Stored verdicts for a whole city's equipment ledger: the ``ledgers.evaluate`` job (ledger_frame →
vectorised evaluate → reasons of the fired rows → bulk writes) and the task list built from it.

    python bench/ledger_tasks_bench.py --n 100000      # default 200,000 rows
    python bench/ledger_tasks_bench.py --quick         # 20,000 rows

Rows come from ``ledgers_bench.generate_equipment`` (the CLI contract's columns) imported by the import
job on a fresh SQLite file (``BENCH_DATABASE_URL`` for PostgreSQL). Prints the job's wall time, rows/s,
the share spent writing, and the task-list time; the 1,000-row run in the same process is the baseline
for the per-row ratio. Times are wall-clock; no assertions.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import ledgers_bench as lb


def evaluate_job(admin, province: str = "河北省") -> tuple[float, dict]:
    from cityrenew.core.models import Region
    from cityrenew.jobs.models import Job
    from cityrenew.jobs.runner import launch, run_pending

    city = Region.objects.get(level="city", name__startswith="郑州")
    t0 = time.perf_counter()
    job = launch("ledgers.evaluate", owner=admin, ledger_kind="equipment", city_id=city.pk, province=province, as_of="2026-06-30")
    run_pending()
    dt = time.perf_counter() - t0
    job = Job.objects.get(pk=job.pk)
    return dt, {"status": job.status, "text": (job.result_summary or {}).get("text", job.error)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=200_000)
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args(argv)
    n = 20_000 if args.quick else args.n
    work = Path(tempfile.mkdtemp(prefix="cityrenew-ledger-tasks-bench-"))
    admin = lb.setup(work, n)
    from cityrenew.core.models import Region
    from cityrenew.ledgertasks.models import LedgerVerdict
    from cityrenew.ledgertasks.services import task_lines

    out: dict = {"rows": n}
    for size, key in ((1_000, "baseline"), (n, "full")):
        path = work / f"eq-{size}.csv"
        lb.generate_equipment(path, size)
        lb._run_import_job(path, admin)
        dt, job = evaluate_job(admin)
        out[key] = {"rows": size, "evaluate_job_s": round(dt, 2), "rows_per_s": round(size / dt), "job": job,
                    "verdicts": LedgerVerdict.objects.count()}
    city = Region.objects.get(level="city", name__startswith="郑州")
    t0 = time.perf_counter()
    lines = task_lines("equipment", city)
    out["task_lines_s"] = round(time.perf_counter() - t0, 2)
    out["task_lines"] = len(lines)
    out["ratio_per_row_full_vs_baseline"] = round((out["full"]["evaluate_job_s"] / n) / (out["baseline"]["evaluate_job_s"] / 1_000), 2)
    print(f"判定任务：{n:,} 行 {out['full']['evaluate_job_s']} s（{out['full']['rows_per_s']:,} 行/秒）；任务清单 {out['task_lines_s']} s，"
          f"{len(lines)} 条；每行耗时与 1000 行基线之比 {out['ratio_per_row_full_vs_baseline']}")
    print(json.dumps(out, ensure_ascii=False))
    return 0 if out["full"]["job"]["status"] == "succeeded" else 1


if __name__ == "__main__":
    sys.exit(main())
