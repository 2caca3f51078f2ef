"""Dask: two extracts as two tasks on a local cluster give exactly the in-process numbers."""

from __future__ import annotations

from cityrenew.engine.distributed import run_job, run_many

from .osm_tools import clip_pbf


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
