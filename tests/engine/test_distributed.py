"""Dask: two extracts as two tasks on a local cluster give exactly the in-process numbers."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from cityrenew.engine.distributed import run_job, run_many

from .osm_tools import clip_pbf

REPO = Path(__file__).resolve().parents[2]


def _without_timings(summaries: list[dict]) -> list[dict]:
    """Summaries minus the measured seconds (the only part that differs between two runs)."""
    out = []
    for s in summaries:
        s = dict(s)
        assert set(s.pop("timings")) >= {"parse_s", "load_s", "compute_s"}
        out.append(s)
    return out


def test_two_extracts_on_local_cluster_equal_in_process(chengdu_pbf, tmp_path):
    east = clip_pbf(chengdu_pbf, tmp_path / "chengdu_east.osm.pbf", (104.08, 30.65, 104.14, 30.73))
    jobs = [{"osm": str(chengdu_pbf), "label": "full"}, {"osm": str(east), "label": "east"}]
    local = [run_job(j) for j in jobs]
    dask = run_many(jobs, workers=2)
    assert [s["label"] for s in dask] == ["full", "east"]
    assert _without_timings(dask) == _without_timings(local)
    # and the two tasks really are different cities
    assert local[0]["units"] == 178
    assert 0 < local[1]["units"] < 178


def _start(cmd: list[str], log: Path, env: dict) -> subprocess.Popen:
    return subprocess.Popen(cmd, stdout=log.open("wb"), stderr=subprocess.STDOUT, env=env, cwd=str(REPO))


def test_cli_on_a_command_line_cluster_equals_in_process(chengdu_pbf, tmp_path):
    """`dask scheduler` + two `dask worker` processes on loopback, then `cityrenew engine coverage
    --scheduler tcp://127.0.0.1:PORT --osm a --osm b`: the same summaries as the in-process run."""
    from distributed import Client

    east = clip_pbf(chengdu_pbf, tmp_path / "chengdu_east.osm.pbf", (104.08, 30.65, 104.14, 30.73))
    west = clip_pbf(chengdu_pbf, tmp_path / "chengdu_west.osm.pbf", (104.00, 30.65, 104.09, 30.73))
    dask = [sys.executable, "-m", "dask"]  # the `dask` command of this environment
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]))
    sched_file = tmp_path / "scheduler.json"
    procs = [
        _start([*dask, "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard", "--scheduler-file", str(sched_file)],
               tmp_path / "scheduler.log", env)
    ]
    try:
        deadline = time.monotonic() + 60
        while not sched_file.exists():
            assert procs[0].poll() is None, (tmp_path / "scheduler.log").read_text()
            assert time.monotonic() < deadline, "dask scheduler did not start in 60 s"
            time.sleep(0.2)
        time.sleep(0.2)  # the file is written in one go, but let it be closed
        address = json.loads(sched_file.read_text())["address"]
        assert address.startswith("tcp://127.0.0.1:")
        for i in range(2):
            procs.append(
                _start([*dask, "worker", address, "--host", "127.0.0.1", "--nthreads", "1", "--no-nanny", "--no-dashboard",
                        "--name", f"w{i}"], tmp_path / f"worker{i}.log", env)
            )
        with Client(address, timeout=60) as client:
            client.wait_for_workers(2, timeout=120)
            assert len(client.scheduler_info()["workers"]) == 2
        out = tmp_path / "out"
        p = subprocess.run(
            [sys.executable, "-m", "cityrenew.cli", "engine", "coverage", "--scheduler", address, "--osm", str(east),
             "--osm", str(west), "--out", str(out), "--no-progress"],
            check=False, capture_output=True, text=True, timeout=300, env=env, cwd=str(REPO),
        )
        assert p.returncode == 0, p.stderr
        cities = json.loads(p.stdout)["cities"]
        assert [c["label"] for c in cities] == ["chengdu_east.osm.pbf", "chengdu_west.osm.pbf"]
        local = [run_job({"osm": str(f), "label": f.name}) for f in (east, west)]
        assert _without_timings([{k: v for k, v in c.items() if k != "outputs"} for c in cities]) == _without_timings(local)
        assert local[0]["units"] != local[1]["units"]
        for c in cities:  # each worker wrote its city's files
            assert Path(c["outputs"]["summary"]).exists() and Path(c["outputs"]["geopackage"]).exists()
    finally:
        for pr in reversed(procs):
            pr.terminate()
        for pr in procs:
            try:
                pr.wait(timeout=20)
            except subprocess.TimeoutExpired:
                pr.kill()
                pr.wait(timeout=10)
