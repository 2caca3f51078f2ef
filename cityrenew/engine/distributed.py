"""Many cities or tiles on Dask (分布式计算): one task per city, identical to the in-process run.

A *job* is a plain dict of keyword arguments for :func:`cityrenew.engine.coverage.coverage_files`
(file paths and options, all picklable) plus an optional ``out`` directory. :func:`run_job` runs one
job anywhere (this process or a Dask worker) and returns its JSON summary; :func:`run_many` runs a
list of jobs in-process, on a local cluster of ``workers`` processes, or on a running scheduler.
Each task computes exactly what the single-process run computes (same code, same deterministic
snapping), so the summaries are equal, not just close. A job that fails does not stop the batch:
it is reported in its entry (``status: "failed"``, a Chinese ``error``) and in its ``summary.json``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any


def run_job(job: dict[str, Any]) -> dict[str, Any]:
    """Run one coverage job and return its summary; writes GeoPackage and JSON if ``out`` is set."""
    from .coverage import coverage_files
    from .output import write_geopackage, write_summary

    job = dict(job)
    out = job.pop("out", None)
    label = job.pop("label", None)
    res = coverage_files(**job)
    summary = res.summary()
    if label is not None:
        summary["label"] = label
    if out is not None:
        outdir = Path(out)
        write_geopackage(res, outdir / "coverage.gpkg", res.node_ids)
        summary["outputs"] = {"geopackage": str(outdir / "coverage.gpkg"), "summary": str(outdir / "summary.json")}
        write_summary(summary, outdir / "summary.json")
    return summary


def run_job_reporting(job: dict[str, Any]) -> dict[str, Any]:
    """:func:`run_job`, but a failure becomes a summary instead of an exception, so one bad city
    does not abort a batch: ``{"label", "status": "failed", "error", "error_kind"}``, where
    ``error_kind`` is ``"input"`` (bad input, Chinese message) or ``"internal"`` (an engine bug).
    The failure summary is written to the job's ``summary.json`` as well."""
    from cityrenew.catalogue.spatial import SpatialRuleError

    from .coverage import CoverageError
    from .crs import CRSInputError
    from .io import InputError
    from .network import NetworkError
    from .output import write_summary

    try:
        return run_job(job)
    except (InputError, NetworkError, CoverageError, CRSInputError, SpatialRuleError) as exc:
        kind, message = "input", str(exc)
    except Exception as exc:  # noqa: BLE001 - reported per job, the batch goes on
        kind, message = "internal", f"内部错误：{type(exc).__name__}: {exc}"
    summary: dict[str, Any] = {"label": job.get("label") or str(job.get("osm") or job.get("roads") or ""), "status": "failed", "error": message, "error_kind": kind}
    if job.get("out") is not None:
        outdir = Path(job["out"])
        summary["outputs"] = {"summary": str(outdir / "summary.json")}
        write_summary(summary, outdir / "summary.json")
    return summary


def run_many(
    jobs: list[dict[str, Any]],
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    progress: Callable[[int], None] | None = None,
) -> list[dict[str, Any]]:
    """Run ``jobs`` and return their summaries in input order.

    ``scheduler``: address of a running Dask scheduler (``tcp://host:8786``). ``workers``: start a
    local cluster with that many single-threaded worker processes. Neither: run in this process.
    ``progress`` is called with the number of jobs finished so far. A job that fails does not stop
    the others: its entry is a failure summary (:func:`run_job_reporting`).
    """
    if scheduler is None and not workers:
        out = []
        for i, j in enumerate(jobs, 1):
            out.append(run_job_reporting(j))
            if progress:
                progress(i)
        return out
    from distributed import Client, LocalCluster, as_completed

    cluster = None
    if scheduler is not None:
        client = Client(scheduler)
    else:
        cluster = LocalCluster(n_workers=int(workers or 1), threads_per_worker=1, processes=True, dashboard_address=None)
        client = Client(cluster)
    try:
        futures = client.map(run_job_reporting, jobs, pure=False)
        index = {f.key: i for i, f in enumerate(futures)}
        results: list[dict[str, Any] | None] = [None] * len(jobs)
        for done, fut in enumerate(as_completed(futures), 1):
            results[index[fut.key]] = fut.result()
            if progress:
                progress(done)
        return [r for r in results if r is not None]
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
