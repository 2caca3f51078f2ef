"""Background jobs of the policy library (see :mod:`cityrenew.jobs`): rebuilding it from the seeds, and
importing a city's own document from an uploaded file (a long PDF takes a while to read).

The import page (``policies:import``) checks the upload with :func:`cityrenew.policies.ingest.check_upload`
(the shared size and type checks), keeps it with ``stash_upload(upload, UPLOAD_KIND)`` and launches
``policies.import`` with the token and the document's metadata.
"""

from __future__ import annotations

from typing import Any

from django.urls import NoReverseMatch

from cityrenew.core.uploads import stashed_upload
from cityrenew.jobs.models import Job, JobError
from cityrenew.jobs.registry import register

from .ingest import IMPORT_SUFFIXES, PolicyImportError, import_document, ingest_seeds
from .text import masked_summary

UPLOAD_KIND = "policy-imports"


@register("policies.ingest", title="重建政策库", idempotent=True)
def ingest_job(job: Job) -> dict[str, Any]:
    """Rebuild every manifest document from the seed texts (idempotent)."""
    job.progress(0, 0, "解析原文")
    result = ingest_seeds()
    return {"text": result["summary"]}


@register("policies.import", title="导入政策文件")
def import_job(job: Job, *, token: str, filename: str = "", meta: dict[str, Any] | None = None,
               replace: bool = False) -> dict[str, Any]:
    """Import the uploaded document kept under ``token``; all or nothing (one transaction)."""
    path = stashed_upload(UPLOAD_KIND, token, IMPORT_SUFFIXES)
    if path is None:
        raise JobError("导入文件已失效，请重新上传")
    job.progress(0, 0, f"读取文件 {filename}")
    try:
        doc = import_document(path, dict(meta or {}), job.owner, replace=replace, filename=filename)
    except PolicyImportError as exc:
        raise JobError(str(exc)) from None
    from collections import Counter

    text = f"已导入{doc}：{doc.articles.count()} 条"
    masked = masked_summary(Counter(getattr(doc, "masked", {})))
    if masked:
        text += f"；已脱敏 {masked}"
    summary: dict[str, Any] = {"text": text}
    try:
        summary["links"] = [{"label": str(doc), "url": doc.get_absolute_url()}]
    except NoReverseMatch:  # the reading pages are not installed
        pass
    return summary
