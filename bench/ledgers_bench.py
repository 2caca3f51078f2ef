"""Ledgers benchmark: evaluation of a whole equipment ledger against each province's renewal rules.

    python bench/ledgers_bench.py                 # 1,000,000 equipment rows (the reported size)
    python bench/ledgers_bench.py --quick         # 50,000 rows, a smoke check

Evaluation part (:func:`evaluation_bench`): N synthetic equipment rows (categories, materials, dates,
capacities and flags drawn at random, fixed seed) as canonical columns in memory, then per province
``cityrenew.ledgers.rules.evaluate`` (median of 3 runs) — budget: 10 s for 1,000,000 rows on 2 cores —
plus the JSON rows the CLI prints, and the reasons of 1,000 fired rows. Baseline in the same run: the
same evaluator called row at a time (as a row-wise rule engine would run) on 500 rows, extrapolated to
N; the ratio is what vectorising buys.

Prints a table and a JSON line. Times are wall-clock on whatever machine runs it; no assertions.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from datetime import date
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

AS_OF = date(2026, 6, 30)
PROVINCES = ["河南省", "河北省", "山西省", "上海市", "广东省"]


def synthetic_equipment(n: int, seed: int = 20260630):
    """N equipment rows with the canonical columns (``cityrenew.ledgers.rules.columns``), clearly synthetic."""
    import numpy as np
    import pandas as pd

    from cityrenew.ledgers.rules import CATEGORIES

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
        "category": np.array(CATEGORIES, dtype=object)[rng.integers(0, len(CATEGORIES), n)],
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


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=1_000_000, help="设备台账行数")
    ap.add_argument("--quick", action="store_true", help="5 万行快速运行")
    args = ap.parse_args(argv)
    n = 50_000 if args.quick else args.n
    ev = evaluation_bench(n)
    print(f"设施设备台账判定：{n:,} 行（合成数据，生成 {ev['generate_s']} s）")
    for province, r in ev["provinces"].items():
        budget = 10.0 * n / 1_000_000
        print(f"  {province}：{r['evaluate_s']:>6.2f} s（预算 {budget:.1f} s）  {r['counts']}")
    print(f"  JSON 行（CLI 输出）：{ev['json_rows_s']} s；1000 行理由：{ev['reasons_1000_s']} s")
    print(f"  逐行调用（基线，按 500 行外推）：{ev['row_at_a_time_extrapolated_s']} s，向量化快 {ev['speedup_vs_row_at_a_time']} 倍")
    print(json.dumps({"bench": "ledgers", "evaluation": ev}, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
