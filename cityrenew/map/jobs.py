"""Background jobs of the one map: a large export of the current view (see :mod:`cityrenew.jobs`)."""

from __future__ import annotations

import os
from typing import Any

from django.http import QueryDict

from cityrenew.jobs.models import Job, JobError
from cityrenew.jobs.registry import register

from . import exports


@register("map.export", title="导出一张图", idempotent=True)
def export_job(job: Job, *, query: str) -> dict[str, Any]:
    """The export of ``query`` (the page's query string) as its owner may read it."""
    request = exports.LayerRequest(user=job.owner, GET=QueryDict(query))
    try:
        plan = exports.plan(request)
    except (exports.ExportError, LookupError) as exc:
        raise JobError(str(exc)) from None
    name = plan.filename
    with job.result_file_path(name) as tmp:
        # written under its own extension (GDAL names the GeoPackage by it), then moved onto the job's
        # temporary name, which the job renames into place
        staged = tmp.with_name(tmp.name + exports.FORMATS[plan.format][2])
        try:
            n = exports.write(plan, staged, job.progress)
            os.replace(staged, tmp)
        except exports.ExportError as exc:
            raise JobError(str(exc)) from None
        finally:
            staged.unlink(missing_ok=True)
    return {"text": f"已导出 {len(plan.layers)} 个图层共 {n} 个要素（{exports.FORMATS[plan.format][0]}）"}
