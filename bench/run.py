"""``make bench``: run every benchmark and print its report.

Each benchmark compares against a baseline measured in the same run and prints ratios; absolute
times on a shared 2-core machine vary by up to 2× between runs, so read the ratios.

    python bench/run.py            # full runs
    python bench/run.py --quick    # small sizes, for a smoke check
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
BENCHES = [
    ("项目库：导入、列表接口、汇总", HERE / "projects_bench.py"),
    ("空间引擎：步行网络服务半径覆盖（内存查询，及 .osm.pbf → 结果的端到端）", HERE / "engine_bench.py"),
    ("负载：50 个模拟用户 + 2 万行导入，对 cityrenew serve", HERE / "load_bench.py"),
    ("恶意上传：压缩炸弹与百万行 CSV 的拒绝时间（预算 2 秒、300 MB）", HERE / "uploads_bench.py"),
    ("台账：百万设施设备行作为后台任务导入（预算 2 分钟）", HERE / "ledgers_bench.py"),
    ("台账判定入库：全市设施设备台账判定任务（判定、理由、批量写入）与任务清单", HERE / "ledger_tasks_bench.py"),
    ("一张图：百万建筑面入库、z14 矢量切片、10 万点落区（SpatiaLite 与 PostGIS）", HERE / "map_bench.py"),
    ("业主表决：2,000 张表决票由并发客户端在网上投出（预算 1 分钟，0 丢失），对 cityrenew serve", HERE / "ballots_bench.py"),
    ("政策库检索：整库 200 余个问题的 p50/p95/max（SQLite FTS5 与 PostgreSQL，预算 p95 < 50 ms）", HERE / "policies_bench.py"),
    ("公示页面：500 位读者并发阅读同一公示（预算 p95 < 300 ms），中途新增意见后无旧页面", HERE / "notices_bench.py"),
    ("城市生命线：1 万台设备批量入库速率、MQTT 读数到报警的时延、大量历史读数下各数据流最新值（SQLite 与 PostgreSQL）", HERE / "lifeline_bench.py"),
]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true", help="小规模快速运行")
    ap.add_argument("--only", choices=["projects", "engine", "load", "uploads", "map", "policies", "ledgers", "ledger_tasks", "ballots", "notices", "lifeline"], help="只运行其中一项")
    args = ap.parse_args(argv)
    failed = 0
    for title, script in BENCHES:
        if args.only and args.only not in script.name:
            continue
        print(f"\n==== {title} ({script.name}) ====", flush=True)
        cmd = [sys.executable, str(script)] + (["--quick"] if args.quick else [])
        t0 = time.perf_counter()
        rc = subprocess.call(cmd)
        print(f"---- {script.name}: exit {rc}, {time.perf_counter() - t0:.1f} s", flush=True)
        failed += rc != 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
