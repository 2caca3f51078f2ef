"""Hostile uploads benchmark: how fast a zip-bomb xlsx and a million-row CSV are refused, and the
worker's peak memory while refusing them (issue 7: refused in under 2 s, worker under 300 MB).

Each file goes through the real entry point (``import_projects``, what the import page and
``cityrenew projects import`` call) in a fresh interpreter, so its peak RSS (``VmHWM``) is that import's.
For scale, the same interpreter's memory after ``django.setup()`` alone is printed as the baseline.

    python bench/uploads_bench.py            # a 3 GiB-unpacked bomb, 1,000,000 rows
    python bench/uploads_bench.py --quick    # the same files (they are written in ~2 s)
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO / "tests" / "core"))
from hostile_files import million_row_csv, run_probe, zip_bomb_xlsx  # noqa: E402

BUDGET_S = 2.0  # issue 7: "refused in under 2 s"
BUDGET_MB = 300  # issue 7: "the worker stays under 300 MB"



def probe(path: str, work: Path) -> dict:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "cityrenew.settings_test", "CITYRENEW_DATA_DIR": str(work),
           "DATABASE_URL": f"sqlite:///{work / 'bench.sqlite3'}", "CITYRENEW_DEBUG": "0",
           "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
    return run_probe(path, env, work)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="same files (already quick)")
    ap.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="cityrenew-uploads-bench-"))
    files = [
        ("zip-bomb xlsx (3 GiB unpacked)", zip_bomb_xlsx(work / "bomb.xlsx")),
        ("CSV, 1,000,000 rows", million_row_csv(work / "million.csv")),
    ]
    base = probe("-", work)["base_mb"]
    print(f"baseline: python + django.setup() = {base:.0f} MB")
    print(f"{'file':34} {'on disk':>9} {'refused in':>11} {'peak RSS':>9}  budget")
    over = 0
    for label, path in files:
        r = probe(str(path), work)
        ok = r["errors"] and r["seconds"] < BUDGET_S and r["maxrss_mb"] < BUDGET_MB
        over += not ok
        print(f"{label:34} {path.stat().st_size / 1e6:7.1f} MB {r['seconds']:9.2f} s {r['maxrss_mb']:6.0f} MB"
              f"  {'OK' if ok else 'OVER'} (< {BUDGET_S:g} s, < {BUDGET_MB} MB)")
        print(f"    {r['errors'][0] if r['errors'] else '未被拒绝！'}")
    for p in work.iterdir():
        p.unlink()
    work.rmdir()
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
