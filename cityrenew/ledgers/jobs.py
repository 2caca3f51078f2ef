"""Background jobs of the ledgers: large imports (see :mod:`cityrenew.jobs`)."""

from __future__ import annotations

from typing import Any

from cityrenew.core.uploads import stashed_upload
from cityrenew.jobs.models import Job, JobError, import_summary
from cityrenew.jobs.registry import register

from .importer import import_ledger

UPLOAD_KIND = "ledger-imports"
IMPORT_SUFFIXES = (".csv", ".xlsx")


@register("ledgers.import", title="导入台账", atomic=False)
def import_job(job: Job, *, ledger_kind: str, token: str = "", path: str = "", filename: str = "",
               dry_run: bool = False) -> dict[str, Any]:
    """A ledger import from the file kept between the pages' two steps (``token``) or a server path
    (the CLI); validates with progress, then writes in one transaction (a killed worker writes nothing)."""
    source = stashed_upload(UPLOAD_KIND, token, IMPORT_SUFFIXES) if token else path
    if not source:
        raise JobError("导入文件已失效，请重新上传")
    job.progress(0, 0, f"读取文件 {filename}")
    report = import_ledger(source, ledger_kind, user=job.owner, dry_run=dry_run, name=filename, progress=job.progress)
    summary = import_summary(report)
    return summary
