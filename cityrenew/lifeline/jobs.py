"""Background jobs of lifeline monitoring (see :mod:`cityrenew.jobs`): large device imports, downsampling
(小时/日聚合) and retention (数据保留), see :mod:`cityrenew.lifeline.rollup`.

``cityrenew lifeline tick --loop 60`` (run by ``cityrenew serve``) launches the rollup once an hour and
the retention once a day through the job runner (:func:`launch_due`), so their progress shows on the jobs
page; a kind is not launched again while one of it is queued or running. Both kinds manage their own
transactions (each bucket range is committed with its watermark: a killed run resumes where it stopped)
and are idempotent (re-queued when their worker died).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone
from django.utils.dateparse import parse_datetime

from cityrenew.core.uploads import stashed_upload
from cityrenew.jobs.models import Job, JobError, import_summary
from cityrenew.jobs.registry import register

from .importer import import_devices

UPLOAD_KIND = "lifeline-device-imports"
IMPORT_SUFFIXES = (".csv", ".xlsx")


@register("lifeline.import_devices", title="导入感知设备", atomic=False)
def import_devices_job(job: Job, *, token: str = "", path: str = "", filename: str = "", dry_run: bool = False) -> dict[str, Any]:
    """A device import from the file kept between the page's two steps (``token``) or a server path;
    checks every row with progress, then writes in one transaction (a killed worker writes nothing)."""
    source = stashed_upload(UPLOAD_KIND, token, IMPORT_SUFFIXES) if token else path
    if not source:
        raise JobError("导入文件已失效，请重新上传")
    job.progress(0, 0, f"读取文件 {filename}")
    report = import_devices(source, user=job.owner, dry_run=dry_run, name=filename, progress=job.progress)
    summary = import_summary(report)
    if token and not dry_run:
        source.unlink(missing_ok=True)
    return summary


ROLLUP = "lifeline.rollup"
RETENTION = "lifeline.retention"
EVERY = {ROLLUP: dt.timedelta(hours=1), RETENTION: dt.timedelta(days=1)}


@register(ROLLUP, title="生命线读数小时/日聚合", idempotent=True, atomic=False)
def rollup_job(job: Job, *, since: str | None = None) -> dict[str, Any]:
    from . import rollup

    if since:
        start = parse_datetime(since)
        if start is None or start.tzinfo is None:
            raise JobError(f"重新聚合的起始时间“{since}”无效（须为带时区的 ISO 8601 时间）")
        rollup.reopen(start)
    return {"text": rollup.rollup(progress=job.progress).text()}


@register(RETENTION, title="生命线读数保留期限清理", idempotent=True, atomic=False)
def retention_job(job: Job) -> dict[str, Any]:
    from . import rollup

    rolled = rollup.rollup(progress=job.progress)  # what is complete is aggregated before anything goes
    purged = rollup.purge(progress=job.progress)
    raw_days, hourly_days = rollup.retention_periods()
    return {"text": f"保留期限：原始读数 {raw_days} 天，小时聚合 {hourly_days} 天，日聚合永久。{purged.text()}；{rolled.text()}"}


def launch_due(now: dt.datetime | None = None) -> list[Job]:
    """Launch the rollup (hourly) and the retention (daily) when their period has passed since the last
    one was launched and none is queued or running; returns the jobs launched."""
    from cityrenew.core.choices import AuditSource
    from cityrenew.jobs.choices import JobStatus
    from cityrenew.jobs.runner import launch

    now = now or timezone.now()
    launched = []
    for kind, every in EVERY.items():
        jobs = Job.objects.filter(kind=kind)
        if jobs.filter(status__in=[JobStatus.QUEUED, JobStatus.RUNNING]).exists():
            continue
        if jobs.filter(created_at__gt=now - every).exists():
            continue
        launched.append(launch(kind, owner=None, source=AuditSource.SYSTEM))
    return launched
