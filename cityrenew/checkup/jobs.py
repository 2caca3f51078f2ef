"""Background jobs of the check-up: the Word report, a run's evaluation, attaching engine results.

Each runs in one transaction (the registry's default): a worker killed halfway writes nothing.
"""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from cityrenew.core import audit
from cityrenew.jobs.models import Job, JobError
from cityrenew.jobs.registry import register

from . import services
from .models import CheckupRun


def _run(pk: int) -> CheckupRun:
    run = CheckupRun.objects.select_related("city", "indicator_set").filter(pk=pk).first()
    if run is None:
        raise JobError("该城市体检已不存在")
    return run


def report_filename(run: CheckupRun) -> str:
    return f"{run.city.display_name}{run.year}年城市体检报告.docx"


@register("checkup.report", title="生成体检报告（Word）", idempotent=True)
def report_job(job: Job, *, run: int) -> dict[str, Any]:
    from .report import build_report

    checkup_run = _run(run)
    job.progress(0, 1, "生成图表与报告")
    try:
        with job.result_file_path(report_filename(checkup_run)) as tmp:
            facts = build_report(checkup_run, tmp)
    except (services.CheckupError, ValueError) as exc:  # the builder names what is missing
        raise JobError(f"体检报告生成失败：{services.error_text(exc)}") from None
    job.progress(1, 1, "报告已生成")
    summary: dict[str, Any] = {"text": f"已生成{checkup_run.city.display_name}{checkup_run.year}年城市体检报告"}
    if facts and facts.get("warnings"):
        summary["errors"] = list(facts["warnings"])
    return summary


@register("checkup.evaluate", title="运行体检评价", idempotent=True)
def evaluate_job(job: Job, *, run: int) -> dict[str, Any]:
    checkup_run = _run(run)
    job.progress(0, 1, "评价各项指标")
    try:
        result = services.evaluate_run(checkup_run, job.owner)
    except services.CheckupError as exc:
        raise JobError(f"评价失败：{services.error_text(exc)}") from None
    job.progress(1, 1, "评价完成")
    return {"text": f"已完成评价：{len(result)} 项指标",
            "links": [{"label": "查看指标评价", "url": reverse("checkup:evaluation", args=[checkup_run.pk])}]}


@register("checkup.engine", title="导入空间计算结果", idempotent=True)
def engine_job(job: Job, *, run: int, summary: dict[str, Any], filename: str = "summary.json") -> dict[str, Any]:
    checkup_run = _run(run)
    job.progress(0, 1, f"导入 {filename}")
    try:
        result = services.attach_engine_results(checkup_run, summary, job.owner)
    except services.CheckupError as exc:
        raise JobError(f"空间计算结果导入失败：{services.error_text(exc)}") from None
    job.progress(1, 1, "导入完成")
    attached = [[a["code"], f"{a['number']}. {a['name']}", audit.to_jsonable(a["value"])] for a in result["attached"]]
    skipped = [[s["code"], s["reason"]] for s in result["skipped"]]
    return {
        "text": f"已导入 {len(attached)} 个指标值（空间计算），未导入 {len(skipped)} 项；导入后请重新运行体检评价",
        "tables": [
            {"title": "已导入的指标值（空间计算）", "headers": ["结果编码", "指标", "数值"], "rows": attached},
            {"title": "未导入的结果及原因", "headers": ["结果编码", "原因"], "rows": skipped},
        ],
        "attached": [row[0] for row in attached],
        "links": [{"label": "查看指标评价", "url": reverse("checkup:evaluation", args=[checkup_run.pk])}],
    }
