"""Background job of the policy library: import a city's own document (导入本地政策文件).

The import page checks the upload (size, type by content) and stashes it under :data:`UPLOAD_KIND`;
the job parses it with :func:`cityrenew.policies.ingest.import_document` — the parser the seed
documents go through — in one transaction, so a file that cannot be parsed leaves nothing behind.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from cityrenew.core.uploads import stashed_upload
from cityrenew.jobs.models import Job, JobError
from cityrenew.jobs.registry import register

UPLOAD_KIND = "policy-documents"
SUFFIXES = (".txt", ".docx", ".pdf")
DATE_FIELDS = ("issued", "effective", "expires")


@register("policies.import_document", title="导入政策文件")
def import_document_job(job: Job, *, token: str, filename: str = "", meta: dict[str, Any]) -> dict[str, Any]:
    from .ingest import import_document

    path = stashed_upload(UPLOAD_KIND, token, SUFFIXES)
    if path is None:
        raise JobError("上传的政策文件已失效，请重新上传")
    values = {k: v for k, v in meta.items() if v not in ("", None)}
    for k in DATE_FIELDS:
        if k in values:
            values[k] = dt.date.fromisoformat(values[k])
    try:
        doc = import_document(path, values, job.owner)
    except ValueError as exc:  # the parser's Chinese reason (unreadable file, no text layer, no articles)
        raise JobError(f"文件“{filename or path.name}”：{exc}") from None
    path.unlink(missing_ok=True)
    n = doc.articles.count()
    return {"text": f"已导入{doc}，共 {n} 个条文",
            "links": [{"label": f"阅读{doc}", "url": doc.get_absolute_url()}]}
