"""Ledger benchmark (台账): 1,000,000 equipment rows imported as a background job (budget 120 s).

    python bench/ledgers_bench.py             # 1,000,000 rows (the reported size)
    python bench/ledgers_bench.py --quick     # 20,000 rows, a smoke check
    python bench/ledgers_bench.py --n 200000
    python bench/ledgers_bench.py --part evaluation   # one part: import | evaluation

Import part (:func:`bench_import`): generates N equipment rows over the 15 Zhengzhou districts and
every category (the CLI contract's columns, UTF-8 CSV), then on a fresh SQLite file launches the
``ledgers.import`` job and runs it with the job runner in this process (validation with pandas,
``bulk_create`` in batches of 5,000 inside one transaction, one audited import batch). Prints rows/s,
the job's wall time against the 120 s budget, and the ratio to a 10 % baseline run of the same job
(ratios are what to compare on a shared machine).

Evaluation part (:func:`evaluation_bench`): N synthetic equipment rows (categories, materials, dates,
capacities and flags drawn at random, fixed seed) as canonical columns in memory, then per province
``cityrenew.ledgers.rules.evaluate`` (median of 3 runs) — budget: 10 s for 1,000,000 rows on 2 cores —
plus the JSON rows the CLI prints and the reasons of 1,000 fired rows. Baseline in the same run: the
same evaluator called row at a time (as a row-wise rule engine would run) on 500 rows, extrapolated
to N; the ratio is what vectorising buys.

Times are wall-clock; no assertions.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import statistics
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
# the evaluator's input columns (ledgers.md): what the rules read
RULE_COLUMNS = ["category", "material", "commissioned", "capacity_tph", "efficiency_grade", "emission_ok", "hazard",
                "inspection", "length_km"]


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
    t0 = time.perf_counter()
    ledger_frame("equipment", columns=RULE_COLUMNS)
    results["ledger_frame_rule_columns_s"] = round(time.perf_counter() - t0, 2)
    print(f"导入 {n:,} 行设施设备（后台任务）：{dt:.1f} s，{n / dt:,.0f} 行/秒；预算 {IMPORT_BUDGET_S:.0f} s："
          f"{'达标' if dt <= IMPORT_BUDGET_S else '超出'}；与 {small_n:,} 行基线的每行耗时比 {results['ratio_to_baseline_per_row']}",
          flush=True)
    return results


AS_OF = date(2026, 6, 30)
PROVINCES = ["河南省", "河北省", "山西省", "上海市", "广东省"]


def synthetic_equipment(n: int, seed: int = 20260630):
    """N equipment rows with the canonical columns (``cityrenew.ledgers.rules.columns``), clearly synthetic."""
    import numpy as np
    import pandas as pd

    from cityrenew.ledgers.rules import CATEGORIES as RULE_CATEGORIES

    rng = np.random.default_rng(seed)

    def flag(p_true: float, p_empty: float = 0.05):
        u = rng.random(n)
        return pd.array(np.where(u < p_empty, None, u < p_empty + p_true), dtype="boolean")

    days = rng.integers(0, 60 * 365, n)  # commissioned within the 60 years before the evaluation date
    commissioned = pd.Timestamp(AS_OF) - pd.to_timedelta(days, unit="D")
    materials = np.array(["灰口铸铁", "球墨铸铁", "钢质", "聚乙烯", "钢筋混凝土", "平口混凝土"], dtype=object)
    inspections = np.array(["允许使用", "合格", "不合格", "不允许使用", None], dtype=object)
    return pd.DataFrame({
        "code": np.char.add("SYN-", np.arange(n).astype(str)).astype(object),
        "category": np.array(RULE_CATEGORIES, dtype=object)[rng.integers(0, len(RULE_CATEGORIES), n)],
        "material": materials[rng.integers(0, len(materials), n)],
        "commissioned": commissioned,
        "capacity_tph": np.round(rng.uniform(1, 120, n)),
        "efficiency_grade": np.array(["1级", "2级", "3级"], dtype=object)[rng.integers(0, 3, n)],
        "emission_ok": flag(0.8),
        "hazard": flag(0.1),
        "inspection": inspections[rng.integers(0, len(inspections), n)],
        "region": np.array(["金水区", "二七区", "中原区"], dtype=object)[rng.integers(0, 3, n)],
        "length_km": np.round(rng.uniform(0.01, 5, n), 3),
        "service_life_exceeded": flag(0.1),
        "damaged": flag(0.05),
        "no_repair_value": flag(0.3),
        "high_energy": flag(0.1),
        "outdated": flag(0.1),
        "leak": flag(0.05),
        "misconnection": flag(0.05),
        "gb5842_ok": flag(0.9),
    })


def evaluation_bench(n: int) -> dict:
    """Time ``evaluate`` over N rows per province; returns the figures (seconds)."""
    from cityrenew.ledgers.rules import evaluate

    t0 = time.perf_counter()
    frame = synthetic_equipment(n)
    gen = time.perf_counter() - t0
    out: dict = {"rows": n, "generate_s": round(gen, 2), "provinces": {}}
    for province in PROVINCES:
        runs = []
        for _ in range(3):
            t0 = time.perf_counter()
            result = evaluate(frame, "equipment", province, AS_OF)
            runs.append(time.perf_counter() - t0)
        out["provinces"][province] = {"evaluate_s": round(statistics.median(runs), 2), "counts": result.counts}
    t0 = time.perf_counter()
    rows = result.json_rows()
    out["json_rows_s"] = round(time.perf_counter() - t0, 2)
    fired = [i for i, m in enumerate(result.fired_bits[: 200_000]) if m][:1000]
    t0 = time.perf_counter()
    reasons = result.fired_many(fired)
    out["reasons_1000_s"] = round(time.perf_counter() - t0, 2)
    assert len(rows) == n and len(reasons) == len(fired)
    # baseline: the evaluator called row at a time on 500 rows, extrapolated to n
    sample = frame.iloc[:500]
    t0 = time.perf_counter()
    for i in range(len(sample)):
        evaluate(sample.iloc[i : i + 1], "equipment", "河南省", AS_OF)
    per_row = (time.perf_counter() - t0) / len(sample)
    out["row_at_a_time_extrapolated_s"] = round(per_row * n, 1)
    out["speedup_vs_row_at_a_time"] = round(per_row * n / out["provinces"]["河南省"]["evaluate_s"], 1)
    return out


def print_evaluation(ev: dict) -> None:
    n = ev["rows"]
    print(f"设施设备台账判定：{n:,} 行（合成数据，生成 {ev['generate_s']} s）")
    for province, r in ev["provinces"].items():
        budget = 10.0 * n / 1_000_000
        print(f"  {province}：{r['evaluate_s']:>6.2f} s（预算 {budget:.1f} s）  {r['counts']}")
    print(f"  JSON 行（CLI 输出）：{ev['json_rows_s']} s；1000 行理由：{ev['reasons_1000_s']} s")
    print(f"  逐行调用（基线，按 500 行外推）：{ev['row_at_a_time_extrapolated_s']} s，向量化快 {ev['speedup_vs_row_at_a_time']} 倍",
          flush=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=1_000_000, help="equipment rows (default 1000000)")
    ap.add_argument("--quick", action="store_true", help="20,000 rows")
    ap.add_argument("--part", choices=["all", "import", "evaluation"], default="all", help="run one part only")
    args = ap.parse_args(argv)
    n = 20_000 if args.quick else args.n
    results: dict = {}
    if args.part in ("all", "evaluation"):
        results["evaluation"] = evaluation_bench(n)
        print_evaluation(results["evaluation"])
    ok = True
    if args.part in ("all", "import"):
        work = Path(tempfile.mkdtemp(prefix="cityrenew-ledgers-bench-"))
        admin = setup(work, n)
        results.update({"database": os.environ["DATABASE_URL"].split(":", 1)[0], **bench_import(work, n, admin)})
        ok = results["import_job"]["status"] == "succeeded"
    print(json.dumps(results, ensure_ascii=False))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
