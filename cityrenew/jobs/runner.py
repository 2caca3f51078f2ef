"""Launching, running and recovering jobs on django-tasks (database backend).

* :func:`launch` creates a :class:`~cityrenew.jobs.models.Job` (排队中) and enqueues :func:`run_job`
  with its id on the ``default`` task backend (``django_tasks_db``: a table, no extra server);
* ``cityrenew worker`` (the ``worker`` command) first calls :func:`recover`, then runs the
  django-tasks-db worker loop, which calls :func:`run_job`;
* :func:`run_job` claims the job, runs its kind's function (in one transaction unless the kind
  manages its own) and records 已完成 / 失败 / 已取消 with the result or a Chinese error;
* :func:`recover` finds jobs left 运行中 by a worker that died (its process is gone, or its heartbeat
  is older than ``CITYRENEW_JOBS_STALE_AFTER`` seconds) and marks them 失败, or re-queues them when
  their kind is idempotent.
"""

from __future__ import annotations

import logging
import os
import socket
import traceback
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_tasks import task

from cityrenew.core import audit

from . import registry
from .choices import JobStatus
from .models import Job, JobCancelled, JobError

logger = logging.getLogger(__name__)

DIED_MESSAGE = "后台工作进程在任务运行中意外退出，任务已中止；数据库未做任何修改，请重新提交。"


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def launch(kind: str, *, owner: Any, title: str | None = None, source: str = "web", **params: Any) -> Job:
    """Create a job of ``kind`` for ``owner`` and put it in the queue; returns the job (排队中)."""
    spec = registry.get(kind)
    if spec is None:
        raise ValueError(f"unknown job kind {kind!r}")
    job = Job.objects.create(kind=kind, title=(title or spec.title)[:200], owner=owner if getattr(owner, "pk", None) else None,
                             source=source, params=params)
    _enqueue(job)
    return job


def _enqueue(job: Job) -> None:
    result = run_job.enqueue(job.pk)
    job.task_id = str(result.id)
    Job.objects.filter(pk=job.pk).update(task_id=job.task_id)


@task()
def run_job(job_id: int) -> str:
    """The django-tasks task: run one job. Returns the job's final status."""
    claimed = Job.objects.filter(pk=job_id, status=JobStatus.QUEUED, cancel_requested=False)
    now = timezone.now()
    job = Job.objects.filter(pk=job_id).first()
    if job is None:
        return "missing"
    if not claimed.update(status=JobStatus.RUNNING, started_at=now, heartbeat_at=now, worker=worker_name(),
                          attempts=job.attempts + 1, error=""):
        if job.status == JobStatus.QUEUED:  # cancelled before it started
            Job.objects.filter(pk=job_id).update(status=JobStatus.CANCELLED, finished_at=now)
            return JobStatus.CANCELLED
        return job.status
    job.refresh_from_db()
    spec = registry.get(job.kind)
    fields: dict[str, Any]
    try:
        if spec is None:
            raise JobError(f"未知的任务类型“{job.kind}”")
        with audit.actor(job.owner, job.source, note=f"后台任务 #{job.pk} {job.title}"[:300]):
            if spec.atomic:
                with transaction.atomic():
                    summary = spec.fn(job, **job.params)
            else:
                summary = spec.fn(job, **job.params)
        fields = {"status": JobStatus.SUCCEEDED, "result_summary": summary or {},
                  "result_file": job.result_file, "result_name": job.result_name}
        if job.progress_total:
            fields["progress_done"] = job.progress_total
    except JobCancelled:
        fields = {"status": JobStatus.CANCELLED, "error": "任务已按提交人的要求取消，数据库未做任何修改。"}
    except JobError as exc:
        fields = {"status": JobStatus.FAILED, "error": str(exc), "result_summary": getattr(exc, "summary", {}) or {}}
    except Exception as exc:  # recorded on the job (traceback for admins)
        logger.exception("job %s (%s) failed", job.pk, job.kind)
        fields = {"status": JobStatus.FAILED, "traceback": traceback.format_exc()[-20000:],
                  "error": f"任务运行出错（{type(exc).__name__}），数据库未做任何修改；请联系管理员并告知任务编号 #{job.pk}。"}
    fields.update(finished_at=timezone.now(), heartbeat_at=timezone.now(),
                  progress_message=job.progress_message, progress_total=job.progress_total,
                  progress_done=fields.get("progress_done", job.progress_done))
    Job.objects.filter(pk=job.pk).update(**fields)
    return fields["status"]


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def worker_died(job: Job, *, now=None) -> bool:
    """True when the worker running ``job`` is gone: same host and its process no longer exists, or
    no heartbeat for ``CITYRENEW_JOBS_STALE_AFTER`` seconds."""
    now = now or timezone.now()
    host, _, pid = job.worker.rpartition(":")
    if host == socket.gethostname() and pid.isdigit():
        if int(pid) == os.getpid() or not _pid_alive(int(pid)):
            return True
    stale_after = timedelta(seconds=settings.CITYRENEW_JOBS_STALE_AFTER)
    beat = job.heartbeat_at or job.started_at or job.created_at
    return beat < now - stale_after


def recover() -> list[tuple[Job, str]]:
    """Jobs left 运行中 by a dead worker: re-queued (idempotent kinds with attempts left) or 失败.

    Returns ``[(job, "requeued" | "failed")]``. The work of a killed job was inside one transaction
    (or a temporary file), so the database holds nothing of it.
    """
    from django_tasks_db.models import DBTaskResult

    done: list[tuple[Job, str]] = []
    now = timezone.now()
    for job in Job.objects.filter(status=JobStatus.RUNNING):
        if not worker_died(job, now=now):
            continue
        if job.task_id:
            row = DBTaskResult.objects.filter(id=job.task_id, status="RUNNING").first()
            if row is not None:
                row.set_failed(RuntimeError(f"worker {job.worker} died"))
        spec = registry.get(job.kind)
        if spec is not None and spec.idempotent and job.attempts < spec.max_attempts and not job.cancel_requested:
            if Job.objects.filter(pk=job.pk, status=JobStatus.RUNNING).update(
                status=JobStatus.QUEUED, progress_done=0, progress_message="工作进程中断后重新排队", worker="",
            ):
                job.refresh_from_db()
                _enqueue(job)
                done.append((job, "requeued"))
        elif Job.objects.filter(pk=job.pk, status=JobStatus.RUNNING).update(
            status=JobStatus.FAILED, error=DIED_MESSAGE, finished_at=now,
        ):
            done.append((job, "failed"))
    return done


def run_pending(*, backend_name: str = "default") -> int:
    """Run every queued task in this process with django-tasks-db's own worker code; returns the count.

    ``cityrenew worker`` is the normal way; this is for ``worker --once`` style use in tests and scripts.
    """
    from django_tasks_db.management.commands.db_worker import Worker
    from django_tasks_db.models import DBTaskResult

    worker = Worker(queue_names=["default"], interval=0, batch=True, backend_name=backend_name, startup_delay=False,
                    max_tasks=None, worker_id=f"inprocess-{os.getpid()}", excluded_queue_names=[])
    n = 0
    while True:
        row = DBTaskResult.objects.ready().filter(backend_name=backend_name).order_by("-priority", "enqueued_at").first()
        if row is None:
            return n
        row.claim(worker.worker_id)
        worker.run_task(row)
        n += 1
