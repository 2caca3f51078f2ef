"""Background jobs (后台任务): long work run by ``cityrenew worker`` with progress and a result.

A :class:`Job` is what a user sees (title, owner, status, progress, result file, error in Chinese);
the queue under it is django-tasks with its database backend (``django_tasks_db``), so no extra
server is needed on SQLite or PostgreSQL. See :mod:`cityrenew.jobs.runner`.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection, models
from django.urls import reverse
from django.utils import timezone

from .choices import FINISHED, JobStatus


class JobCancelled(Exception):
    """Raised inside a job when its owner cancelled it; the job's transaction is rolled back."""


class JobError(Exception):
    """A failure the user can act on; the message (Chinese) is shown on the job page, with an
    optional summary (e.g. the row-by-row errors of an import)."""

    def __init__(self, message: str, summary: dict[str, Any] | None = None):
        super().__init__(message)
        self.summary = summary or {}


MAX_LISTED_ERRORS = 500  # row errors the page of a failed import job lists (the count says how many in all)


def import_summary(report: Any, *, details: bool = True) -> dict[str, Any]:
    """The result of an import job from its report (``ok``, ``headline()``, ``errors``; ``error_count`` when the
    report counts more errors than it keeps; ``as_dict()`` when ``details``): the summary, or :class:`JobError`
    with the first :data:`MAX_LISTED_ERRORS` errors listed when the import was refused."""
    summary: dict[str, Any] = {"text": report.headline()}
    if details:
        summary["report"] = {k: v for k, v in report.as_dict().items() if k != "errors"}
    if not report.ok:
        errors = [str(e) for e in report.errors]
        total = max(getattr(report, "error_count", 0), len(errors))
        summary["errors"] = errors[:MAX_LISTED_ERRORS]
        if total > MAX_LISTED_ERRORS:
            summary["errors"].append(f"……另有 {total - MAX_LISTED_ERRORS} 处错误未列出")
        raise JobError(summary["text"], summary)
    return summary


def jobs_dir() -> Path:
    return Path(settings.DATA_DIR) / "jobs"


def _safe_filename(name: str) -> str:
    name = re.sub(r'[\\/:*?"<>|\x00-\x1f]', "_", name).strip(" .")
    return name[:150] or "result"


class Job(models.Model):  # 后台任务
    kind = models.CharField("任务类型", max_length=64)
    title = models.CharField("任务名称", max_length=200)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="提交人", null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="jobs")
    source = models.CharField("来源", max_length=16, default="web")  # audit source of the work (web/cli/api)
    params = models.JSONField("参数", default=dict, blank=True)
    status = models.CharField("状态", max_length=16, choices=JobStatus.choices, default=JobStatus.QUEUED, db_index=True)
    progress_done = models.PositiveIntegerField("已完成", default=0)
    progress_total = models.PositiveIntegerField("总量", default=0)
    progress_message = models.CharField("进度说明", max_length=200, blank=True)
    result_file = models.CharField("结果文件", max_length=300, blank=True)  # relative to DATA_DIR/jobs, never shown
    result_name = models.CharField("下载文件名", max_length=200, blank=True)
    result_summary = models.JSONField("结果摘要", default=dict, blank=True)
    error = models.TextField("错误信息", blank=True)
    traceback = models.TextField("错误详情（管理员）", blank=True)
    created_at = models.DateTimeField("提交时间", default=timezone.now, db_index=True)
    started_at = models.DateTimeField("开始时间", null=True, blank=True)
    finished_at = models.DateTimeField("结束时间", null=True, blank=True)
    heartbeat_at = models.DateTimeField("最近心跳", null=True, blank=True)
    attempts = models.PositiveSmallIntegerField("运行次数", default=0)
    worker = models.CharField("工作进程", max_length=200, blank=True)  # host:pid of the worker running it
    task_id = models.CharField("队列任务编号", max_length=64, blank=True)  # django_tasks_db DBTaskResult id
    cancel_requested = models.BooleanField("已请求取消", default=False)

    class Meta:
        verbose_name = "后台任务"
        verbose_name_plural = "后台任务"
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"#{self.pk} {self.title}"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._last_persist = 0.0

    def get_absolute_url(self) -> str:
        return reverse("jobs:detail", args=[self.pk])

    # --- state ------------------------------------------------------------------------------

    @property
    def finished(self) -> bool:
        return self.status in FINISHED

    @property
    def percent(self) -> int:
        if self.status == JobStatus.SUCCEEDED:
            return 100
        if not self.progress_total:
            return 0
        return min(99, int(100 * self.progress_done / self.progress_total))  # 100 only when finished

    @property
    def result_path(self) -> Path | None:
        if not self.result_file:
            return None
        base = jobs_dir().resolve()
        path = (base / self.result_file).resolve()
        return path if path.is_relative_to(base) and path.is_file() else None

    # --- called by job functions -----------------------------------------------------------

    def progress(self, done: int, total: int, message: str = "") -> None:
        """Report progress; written to the database at most every ``CITYRENEW_JOBS_PROGRESS_EVERY`` s (0.5) (and never inside the job's
        own transaction, where nobody else could see it). Raises :class:`JobCancelled` when the
        owner cancelled the job."""
        self.progress_done, self.progress_total = max(0, int(done)), max(0, int(total))
        if message:
            self.progress_message = message[:200]
        now = time.monotonic()
        if connection.in_atomic_block or (now - self._last_persist < settings.CITYRENEW_JOBS_PROGRESS_EVERY and done < total):
            return
        self._last_persist = now
        self.heartbeat_at = timezone.now()
        Job.objects.filter(pk=self.pk).update(
            progress_done=self.progress_done, progress_total=self.progress_total,
            progress_message=self.progress_message, heartbeat_at=self.heartbeat_at,
        )
        if Job.objects.filter(pk=self.pk, cancel_requested=True).exists():
            raise JobCancelled()

    @contextmanager
    def result_file_path(self, filename: str) -> Iterator[Path]:
        """A temporary path to write the result to; renamed into place only when the block succeeds,
        so a killed worker never leaves a half-written result."""
        folder = jobs_dir() / str(self.pk)
        folder.mkdir(parents=True, exist_ok=True)
        safe = _safe_filename(filename)
        final = folder / safe
        tmp = folder / f".{safe}.{os.getpid()}.part"
        try:
            yield tmp
            os.replace(tmp, final)
        finally:
            tmp.unlink(missing_ok=True)
        self.result_file = f"{self.pk}/{safe}"
        self.result_name = filename

    def save_workbook(self, wb: Any, filename: str) -> None:
        """Store an openpyxl ``Workbook`` or :class:`~cityrenew.core.xlsx.XlsxBook` as the result."""
        from cityrenew.core.xlsx import workbook_bytes

        with self.result_file_path(filename) as tmp:
            tmp.write_bytes(workbook_bytes(wb))
