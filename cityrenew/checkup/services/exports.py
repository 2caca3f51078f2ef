"""问题清单 and 整治建议清单: rows for pages and Excel in the official list layout
(《城市体检工作手册（试行）》2025 附件四 问题清单样例、附件五 整治建议清单样例)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from cityrenew.catalogue.policies import cite
from cityrenew.core.xlsx import put, write_table

from ..choices import UnitKind
from ..models import CheckupRun, FieldProblem
from .problems import is_fixed, suggestion_for

PROBLEM_LIST_SOURCE = cite("MOHURD-CHECKUP-2025", "附件四", "各维度体检问题清单（样例）", rule="问题清单的版式")
REMEDIATION_LIST_SOURCE = cite("MOHURD-CHECKUP-2025", "附件五", "各维度体检整治建议清单（样例）", rule="整治建议清单的版式")

PROBLEM_HEADERS = ["序号", "体检维度", "指标", "问题类型", "所在区县", "所在街道", "所在街区", "小区", "楼栋",
                   "严重程度", "问题描述", "经度", "纬度", "整治状态", "关联项目"]
REMEDIATION_HEADERS = ["序号", "问题类型", "指标", "所在街区", "小区", "楼栋", "严重程度", "问题描述", "整治建议",
                       "责任单位", "整治任务", "关联项目", "完成时限"]
TABLE_START_ROW = 3  # row 1 title, row 2 note, row 3 header


def problems_of(run: CheckupRun) -> QuerySet[FieldProblem]:
    return (
        FieldProblem.objects.filter(run=run)
        .select_related("indicator", "sub_problem", "unit__region__parent", "unit__parent__parent__parent",
                        "project", "remediation_task__organisation")
        .order_by("indicator__number", "unit__code", "id")
    )


def _where(p: FieldProblem) -> dict[str, str]:
    u = p.unit
    block = u.ancestor_of_kind(UnitKind.BLOCK)
    compound = u.ancestor_of_kind(UnitKind.COMPOUND)
    building = u if u.kind == UnitKind.BUILDING else None
    region = u.region
    chain = region.ancestors() if region else []
    street = next((r for r in chain if r.level == "street"), None)
    district = next((r for r in chain if r.level == "district"), None)
    return {
        "district": district.display_name if district else "",
        "street": street.display_name if street else "",
        "block": block.name if block else (street.display_name if street else ""),
        "compound": compound.name if compound else "",
        "building": building.name if building else "",
    }


def problem_list_rows(run: CheckupRun, problems: QuerySet[FieldProblem] | None = None) -> list[dict[str, Any]]:
    """One dict per problem: where it is, what it is, how serious, its status and project."""
    rows = []
    for i, p in enumerate(problems if problems is not None else problems_of(run), start=1):
        w = _where(p)
        rows.append({
            "seq": i,
            "problem": p,
            "dimension": p.indicator.get_dimension_display(),
            "indicator": f"{p.indicator.number}. {p.indicator.name}",
            "type": f"{p.sub_problem.code} {p.sub_problem.name}" if p.sub_problem_id else p.indicator.name,
            **w,
            "severity": p.get_severity_display(),
            "description": p.description,
            "lon": p.lon,
            "lat": p.lat,
            "status": "已整治" if is_fixed(p) else p.get_status_display(),
            "project": p.project.code if p.project_id else "",
            "suggestion": p.suggestion or suggestion_for(p.indicator, p.sub_problem),
            "responsible": (str(p.remediation_task.organisation) if p.remediation_task_id and p.remediation_task.organisation_id
                            else (p.indicator.get_department_display() if p.indicator.department else "")),
            "task": p.remediation_task.title if p.remediation_task_id else "",
            "due": f"{p.remediation_task.due_year}年" if p.remediation_task_id and p.remediation_task.due_year else "",
        })
    return rows


def remediation_list_rows(run: CheckupRun, problems: QuerySet[FieldProblem] | None = None) -> list[dict[str, Any]]:
    return problem_list_rows(run, problems)


def _title(ws, text: str, note: str, ncols: int) -> None:
    put(ws, 1, 1, text).font = Font(name="宋体", bold=True, size=14)
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=ncols)
    ws.cell(row=1, column=1).alignment = Alignment(horizontal="center")
    put(ws, 2, 1, note).font = Font(name="宋体", size=9)


def problem_list_workbook(run: CheckupRun, problems: QuerySet[FieldProblem] | None = None) -> Workbook:
    """问题清单 (Excel): title, note with source, then one row per problem (header on row 3)."""
    wb = Workbook()
    ws = wb.active
    ws.title = "问题清单"
    rows = problem_list_rows(run, problems)
    _title(ws, f"{run.city.display_name}{run.year}年城市体检问题清单", f"格式依据：{PROBLEM_LIST_SOURCE}；共{len(rows)}个问题", len(PROBLEM_HEADERS))
    write_table(ws, PROBLEM_HEADERS, (
        [r["seq"], r["dimension"], r["indicator"], r["type"], r["district"], r["street"], r["block"], r["compound"],
         r["building"], r["severity"], r["description"], r["lon"], r["lat"], r["status"], r["project"]]
        for r in rows
    ), start_row=TABLE_START_ROW, widths=[6, 12, 30, 30, 10, 12, 14, 16, 14, 8, 36, 11, 10, 8, 12])
    return wb


def remediation_list_workbook(run: CheckupRun, problems: QuerySet[FieldProblem] | None = None) -> Workbook:
    """整治建议清单 (Excel): problem, place, suggestion and responsible unit per row (header on row 3)."""
    wb = Workbook()
    ws = wb.active
    ws.title = "整治建议清单"
    rows = remediation_list_rows(run, problems)
    _title(ws, f"{run.city.display_name}{run.year}年城市体检整治建议清单", f"格式依据：{REMEDIATION_LIST_SOURCE}；共{len(rows)}项", len(REMEDIATION_HEADERS))
    write_table(ws, REMEDIATION_HEADERS, (
        [r["seq"], r["type"], r["indicator"], r["block"], r["compound"], r["building"], r["severity"], r["description"],
         r["suggestion"], r["responsible"], r["task"], r["project"], r["due"]]
        for r in rows
    ), start_row=TABLE_START_ROW, widths=[6, 30, 30, 14, 16, 14, 8, 36, 40, 16, 24, 12, 10])
    return wb
