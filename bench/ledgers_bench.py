"""Ledger benchmark (台账): 1,000,000 equipment rows imported as a background job (budget 120 s).

    python bench/ledgers_bench.py             # 1,000,000 rows (the reported size)
    python bench/ledgers_bench.py --quick     # 20,000 rows, a smoke check
    python bench/ledgers_bench.py --n 200000

Import part (:func:`bench_import`): generates N equipment rows over the 15 Zhengzhou districts and
every category (the CLI contract's columns, UTF-8 CSV), then on a fresh SQLite file launches the
``ledgers.import`` job and runs it with the job runner in this process (validation with pandas,
``bulk_create`` in batches of 5,000 inside one transaction, one audited import batch). Prints rows/s,
the job's wall time against the 120 s budget, and the ratio to a 10 % baseline run of the same job
(ratios are what to compare on a shared machine). The rules' evaluation has its own function.
Times are wall-clock; no assertions.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

DISTRICTS = ["中原区", "二七区", "金水区", "管城区", "惠济区", "经开区", "高新区", "郑东新区",
             "荥阳市", "巩义市", "新密市", "新郑市", "上街区", "中牟县", "登封市"]
CATEGORIES = ["燃气管道", "供水管道", "污水管道", "排水管道", "住宅电梯", "燃煤锅炉", "燃气锅炉", "换热站", "液化石油气钢瓶",
              "液化石油气充装站", "环卫车辆/设备", "建筑施工机械", "建筑节能设备", "生命线感知设备"]
PIPE_MATERIALS = ["灰口铸铁", "球墨铸铁", "钢质", "聚乙烯", "镀锌钢管"]
HEADER = ["编号", "设备类别", "材质", "投用日期", "额定蒸发量（蒸吨/小时）", "能效等级", "排放达标", "安全隐患", "检验结论",
          "所在区域", "长度（公里）"]
IMPORT_BUDGET_S = 120.0


def generate_equipment(path: Path, n: int, seed: int = 20260630) -> None:
    """N rows of the CLI contract's columns; empty cells where a category does not use them."""
    rnd = random.Random(seed)
    start = date(1985, 1, 1)
    span = (date(2026, 6, 30) - start).days
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(HEADER)
        for i in range(n):
            cat = CATEGORIES[i % len(CATEGORIES)]
            pipe, boiler = cat.endswith("管道"), cat.endswith("锅炉")
            w.writerow([
                f"EQ{i:07d}", cat, rnd.choice(PIPE_MATERIALS) if pipe else "",
                (start + timedelta(days=rnd.randrange(span))).isoformat(),
                rnd.choice(["4", "10", "20", "35", "36", "75"]) if boiler else "",
                rnd.choice(["1级", "2级", "3级"]) if boiler else "",
                rnd.choice(["是", "否"]) if boiler else "",
                "是" if rnd.random() < 0.1 else "否",
                "不允许使用" if cat == "住宅电梯" and rnd.random() < 0.02 else "",
                rnd.choice(DISTRICTS),
                f"{rnd.uniform(0.05, 5):.3f}" if pipe else "",
            ])


def setup(work: Path, n: int):
    os.environ["DATABASE_URL"] = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{work / 'bench.sqlite3'}"
    os.environ["CITYRENEW_DATA_DIR"] = str(work)
    os.environ["CITYRENEW_DEBUG"] = "0"
    os.environ["CITYRENEW_UPLOAD_MAX_ROWS"] = str(max(n + 1, 200_000))
    os.environ["CITYRENEW_UPLOAD_MAX_TABLE_MB"] = str(max(50, n // 5_000))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cityrenew.settings_test")
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from cityrenew.core import audit
    from cityrenew.core.regions import load_regions

    call_command("migrate", interactive=False, verbosity=0)
    admin = get_user_model().objects.create_superuser("bench", password="bench-pass")
    with audit.actor(admin, "system"):
        load_regions()
    return admin


def _run_import_job(path: Path, admin) -> tuple[float, dict]:
    from cityrenew.jobs.models import Job
    from cityrenew.jobs.runner import launch, run_pending
    from cityrenew.ledgers.models import Equipment

    Equipment.objects.all().delete()
    t0 = time.perf_counter()
    job = launch("ledgers.import", owner=admin, source="cli", ledger_kind="equipment", path=str(path), filename=path.name)
    run_pending()
    dt = time.perf_counter() - t0
    job = Job.objects.get(pk=job.pk)
    return dt, {"status": job.status, "text": (job.result_summary or {}).get("text") or job.error}


def bench_import(work: Path, n: int, admin) -> dict:
    """The import part: N rows as a background job, and a 10 % baseline of the same job."""
    from cityrenew.ledgers.models import Equipment

    results: dict = {"import_rows": n}
    small_n = max(1_000, n // 10)
    big, small = work / "equipment.csv", work / "equipment_small.csv"
    t0 = time.perf_counter()
    generate_equipment(big, n)
    generate_equipment(small, small_n)
    results["generate_s"] = round(time.perf_counter() - t0, 1)
    results["file_mb"] = round(big.stat().st_size / 1e6, 1)
    dt_small, info = _run_import_job(small, admin)
    results["baseline_rows"], results["baseline_s"] = small_n, round(dt_small, 2)
    dt, info = _run_import_job(big, admin)
    results["import_job"] = info
    results["import_s"] = round(dt, 2)
    results["import_rows_per_s"] = round(n / dt)
    results["rows_in_db"] = Equipment.objects.count()
    results["ratio_to_baseline_per_row"] = round((dt / n) / (dt_small / small_n), 2)
    from cityrenew.ledgers.frame import ledger_frame

    t0 = time.perf_counter()
    frame = ledger_frame("equipment")
    results["ledger_frame_s"] = round(time.perf_counter() - t0, 2)  # what the rules' evaluation reads first
    results["ledger_frame_rows"] = len(frame)
    print(f"导入 {n:,} 行设施设备（后台任务）：{dt:.1f} s，{n / dt:,.0f} 行/秒；预算 {IMPORT_BUDGET_S:.0f} s："
          f"{'达标' if dt <= IMPORT_BUDGET_S else '超出'}；与 {small_n:,} 行基线的每行耗时比 {results['ratio_to_baseline_per_row']}",
          flush=True)
    return results


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=1_000_000, help="equipment rows (default 1000000)")
    ap.add_argument("--quick", action="store_true", help="20,000 rows")
    args = ap.parse_args(argv)
    n = 20_000 if args.quick else args.n
    work = Path(tempfile.mkdtemp(prefix="cityrenew-ledgers-bench-"))
    admin = setup(work, n)
    results = {"database": os.environ["DATABASE_URL"].split(":", 1)[0], **bench_import(work, n, admin)}
    print(json.dumps(results, ensure_ascii=False))
    return 0 if results["import_job"]["status"] == "succeeded" else 1


if __name__ == "__main__":
    sys.exit(main())
