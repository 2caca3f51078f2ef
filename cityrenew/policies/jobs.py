"""Background job of the policy library: import a city's own document (导入本地政策文件).

The import page checks the upload (size, type by content) and stashes it under :data:`UPLOAD_KIND`;
the job parses it with :func:`cityrenew.policies.ingest.import_document` — the parser the seed
documents go through — in one transaction, so a file that cannot be parsed leaves nothing behind.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from cityrenew.core.uploads import safe_filename, stashed_upload
from cityrenew.jobs.models import Job, JobError
from cityrenew.jobs.registry import register

UPLOAD_KIND = "policy-documents"
SUFFIXES = (".txt", ".docx", ".pdf")


@register("policies.import_document", title="导入政策文件")
def import_document_job(job: Job, *, token: str, filename: str = "", meta: dict[str, Any],
                        replace: bool = False) -> dict[str, Any]:
    from .ingest import PolicyImportError, import_document

    path = stashed_upload(UPLOAD_KIND, token, SUFFIXES)
    if path is None:
        raise JobError("上传的政策文件已失效，请重新上传")
    # parsed under the name the user gave it (made safe), in a directory of its own: the document's 来源
    # and every message name the uploaded file, not the stash's random name
    with tempfile.TemporaryDirectory(dir=path.parent) as tmp:
        named = Path(tmp) / safe_filename(filename or path.name)
        if named.suffix.lower() != path.suffix:
            named = named.with_name(named.name + path.suffix)
        path.rename(named)
        try:
            doc = import_document(named, meta, job.owner, replace=replace)
        except PolicyImportError as exc:  # the parser's Chinese reason: unreadable, no text layer, no articles
            raise JobError(str(exc)) from None
    return {"text": f"已导入{doc}，共 {doc.articles.count()} 个条文",
            "links": [{"label": f"阅读{doc}", "url": doc.get_absolute_url()}]}
