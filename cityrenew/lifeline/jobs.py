"""Background jobs of lifeline monitoring: large device imports (see :mod:`cityrenew.jobs`)."""

from __future__ import annotations

from typing import Any

from cityrenew.core.uploads import stashed_upload
from cityrenew.jobs.models import Job, JobError
from cityrenew.jobs.registry import register

from .importer import import_devices

UPLOAD_KIND = "lifeline-device-imports"
IMPORT_SUFFIXES = (".csv", ".xlsx")
MAX_LISTED_ERRORS = 500


@register("lifeline.import_devices", title="导入感知设备", atomic=False)
def import_devices_job(job: Job, *, token: str = "", path: str = "", filename: str = "", dry_run: bool = False) -> dict[str, Any]:
    """A device import from the file kept between the page's two steps (``token``) or a server path;
    checks every row with progress, then writes in one transaction (a killed worker writes nothing)."""
    source = stashed_upload(UPLOAD_KIND, token, IMPORT_SUFFIXES) if token else path
    if not source:
        raise JobError("导入文件已失效，请重新上传")
    job.progress(0, 0, f"读取文件 {filename}")
    report = import_devices(source, user=job.owner, dry_run=dry_run, name=filename, progress=job.progress)
    summary: dict[str, Any] = {"text": report.headline(), "report": {k: v for k, v in report.as_dict().items() if k != "errors"}}
    if not report.ok:
        errors = [str(e) for e in report.errors]
        summary["errors"] = errors[:MAX_LISTED_ERRORS]
        if report.error_count > MAX_LISTED_ERRORS:
            summary["errors"].append(f"……另有 {report.error_count - MAX_LISTED_ERRORS} 处错误未列出")
        raise JobError(summary["text"], summary)
    if token and not dry_run:
        source.unlink(missing_ok=True)
    return summary
