"""The registry of job kinds: each app declares its long work in its own ``jobs.py``.

    from cityrenew.jobs.registry import register

    @register("projects.export_library", title="导出项目库（正式格式）", idempotent=True)
    def export_library(job, *, as_of=None):
        wb = library_workbook(as_of=..., progress=job.progress)
        job.save_workbook(wb, "城市更新项目库.xlsx")
        return {"text": "已生成 …"}

``fn(job, **params)`` reports progress with ``job.progress(done, total, message)``, may store one
result file (``job.save_workbook`` / ``job.result_file_path``) and returns a JSON summary shown on the
job page: ``text`` (one Chinese sentence), optional ``errors`` (list of lines), ``links``
(``[{"label", "url"}]``). It raises :class:`~cityrenew.jobs.models.JobError` with a Chinese message
for a failure the user can act on.

``atomic=True`` (default) runs the whole function in one database transaction: a worker killed
halfway leaves nothing written. A kind that manages its own transaction (the project import, which
reports progress while it validates and then writes in one transaction) says ``atomic=False``.
``idempotent=True`` kinds are re-queued when their worker died (up to ``max_attempts`` runs);
the others are marked 失败.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

JobFunction = Callable[..., dict[str, Any] | None]


@dataclass(frozen=True)
class JobKind:
    kind: str
    title: str
    fn: JobFunction
    idempotent: bool = False
    atomic: bool = True
    max_attempts: int = 3


_kinds: dict[str, JobKind] = {}


def register(kind: str, *, title: str, idempotent: bool = False, atomic: bool = True,
             max_attempts: int = 3) -> Callable[[JobFunction], JobFunction]:
    def decorator(fn: JobFunction) -> JobFunction:
        if kind in _kinds and _kinds[kind].fn is not fn:
            raise ValueError(f"job kind {kind!r} registered twice")
        _kinds[kind] = JobKind(kind, title, fn, idempotent, atomic, max_attempts)
        return fn

    return decorator


def get(kind: str) -> JobKind | None:
    return _kinds.get(kind)


def kinds() -> dict[str, JobKind]:
    return dict(_kinds)
