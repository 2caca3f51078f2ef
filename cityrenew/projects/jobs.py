"""Background jobs of the project library: large imports and the xlsx exports (see :mod:`cityrenew.jobs`)."""

from __future__ import annotations

from typing import Any

from django.http import QueryDict
from django.urls import reverse

from cityrenew.core.uploads import stashed_upload
from cityrenew.jobs.models import MAX_LISTED_ERRORS, Job, JobError, import_summary
from cityrenew.jobs.registry import register

from . import exports
from .filtersets import ProjectFilterSet
from .geometry import import_project_geometry
from .importer import import_projects
from .models import AdjustmentBatch, RenewalProject

UPLOAD_KIND = "project-imports"
IMPORT_SUFFIXES = (".csv", ".xlsx")


@register("projects.import", title="导入项目", atomic=False)
def import_job(job: Job, *, token: str, filename: str = "", batch_no: str = "", batch_type: str = "",
               update: bool = False, dry_run: bool = False, crs: str = "") -> dict[str, Any]:
    """A project import (dry run or commit) from the file kept between the two steps.

    :func:`import_projects` validates every row (reporting progress), then writes everything in one
    transaction; a worker killed during the write leaves the library unchanged.
    """
    path = stashed_upload(UPLOAD_KIND, token, IMPORT_SUFFIXES)
    if path is None:
        raise JobError("导入文件已失效，请重新上传")
    job.progress(0, 0, f"读取文件 {filename}")
    report = import_projects(path, user=job.owner, batch_no=batch_no or None, batch_type=batch_type or None,
                             dry_run=dry_run, update=update, crs=crs or None, progress=job.progress)
    summary = import_summary(report, details=False)
    if dry_run:
        fields = {"confirm": "1", "token": token, "filename": filename, "batch_no": batch_no, "batch_type": batch_type}
        if crs:  # the page's crs/epsg fields
            named = crs in ("wgs84", "cgcs2000", "gcj02")
            fields.update(crs=crs if named else "epsg", epsg="" if named else crs)
        if update:
            fields["update"] = "on"
        summary["actions"] = [{"label": f"确认导入 {filename}", "url": reverse("projects:import"), "fields": fields}]
    else:
        path.unlink(missing_ok=True)
        summary["links"] = [{"label": "查看项目库", "url": reverse("projects:project_list")},
                            {"label": "调整批次", "url": reverse("projects:batch_list")}]
    return summary


GEOMETRY_UPLOAD_KIND = "project-geometry"
GEOMETRY_SUFFIXES = (".gpkg", ".geojson", ".json", ".zip")


@register("projects.import_geometry", title="导入项目位置", atomic=False)
def import_geometry_job(job: Job, *, token: str, filename: str = "", code_field: str = "", crs: str = "",
                        layer: str = "", dry_run: bool = False) -> dict[str, Any]:
    """Project locations from a layer (dry run or commit), from the file kept between the two steps;
    :func:`import_project_geometry` checks every feature, then writes in one transaction."""
    path = stashed_upload(GEOMETRY_UPLOAD_KIND, token, GEOMETRY_SUFFIXES)
    if path is None:
        raise JobError("导入文件已失效，请重新上传")
    report = import_project_geometry(path, code_field=code_field or None, crs=crs or None, layer=layer or None,
                                     user=job.owner, dry_run=dry_run, name=filename or path.name, progress=job.progress)
    summary: dict[str, Any] = {"text": report.headline()}
    lines = report.summary_text().split("\n")[1:]
    if not report.ok:
        summary["errors"] = lines[:MAX_LISTED_ERRORS]
        raise JobError(summary["text"], summary)
    if report.unmatched:
        shown = "、".join(f"第 {r} 行 {c}" for r, c in report.unmatched[:20])
        more = f"等 {len(report.unmatched)} 个" if len(report.unmatched) > 20 else ""
        summary["text"] += f"项目库中没有的编号（已跳过）：{shown}{more}"
    if dry_run:
        # the page's form fields (cityrenew.core.generic.geoimport.GeoFileImportForm)
        named = crs in ("", "wgs84", "cgcs2000", "gcj02")
        fields = {"confirm": "1", "token": token, "filename": filename, "match_field": code_field, "layer": layer,
                  "crs": crs if named else "epsg", "epsg": "" if named else crs}
        summary["actions"] = [{"label": f"确认导入 {filename}", "url": reverse("projects:import_geometry"), "fields": fields}]
    else:
        path.unlink(missing_ok=True)
        summary["links"] = [{"label": "查看项目库", "url": reverse("projects:project_list")}]
    return summary


def _as_of(pk: int | None) -> AdjustmentBatch | None:
    if pk is None:
        return None
    batch = AdjustmentBatch.objects.filter(pk=pk).first()
    if batch is None:
        raise JobError("所选调整批次已不存在")
    return batch


def library_filename(as_of: AdjustmentBatch | None, kind: str = "library") -> str:
    suffix = f"（截至{as_of.doc_number}）" if as_of else ""
    return f"城市更新项目库汇总表{suffix}.xlsx" if kind == "summary" else f"城市更新项目库{suffix}.xlsx"


@register("projects.export_library", title="导出项目库（正式格式）", idempotent=True, atomic=False)
def export_library_job(job: Job, *, as_of: int | None = None) -> dict[str, Any]:
    batch = _as_of(as_of)
    job.progress(0, 0, "汇总项目")
    wb = exports.library_workbook(as_of=batch, progress=job.progress)
    job.save_workbook(wb, library_filename(batch))
    return {"text": "已生成项目库 Excel（正式格式）"}


@register("projects.export_list", title="导出项目清单", idempotent=True, atomic=False)
def export_list_job(job: Job, *, query: str = "") -> dict[str, Any]:
    """The list page's filtered projects (``query`` is the page's query string)."""
    from .views import base_queryset

    fs = ProjectFilterSet(QueryDict(query), queryset=base_queryset())
    qs = fs.qs
    wb = exports.projects_workbook(qs, progress=job.progress)
    job.save_workbook(wb, "城市更新项目清单.xlsx")
    return {"text": f"已导出 {job.progress_total or qs.count()} 个项目"}


def count_projects(query: QueryDict | None = None) -> int:
    if query is None:
        return RenewalProject.objects.count()
    from .views import base_queryset

    return ProjectFilterSet(query, queryset=base_queryset()).qs.count()

