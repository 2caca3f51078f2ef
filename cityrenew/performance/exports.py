"""A target table as Excel (绩效目标表导出): one row per indicator and year, with the table's filing status."""

from __future__ import annotations

from openpyxl import Workbook

from cityrenew.core.xlsx import put, write_table

from .models import TargetTable

HEADERS = ["序号", "绩效目标", "绩效指标", "计量单位", "指标方向", "年度", "基线值", "目标值", "实际值", "是否达成", "实际值说明",
           "佐证材料（份）"]


def table_rows(table: TargetTable) -> list[list]:
    rows = []
    n = 0
    for result in table.results.prefetch_related("indicators__periods__evidence"):
        for ind in result.indicators.all():
            n += 1
            for p in ind.periods.all():
                achieved = {True: "是", False: "否", None: ""}[p.achieved]
                rows.append([n, result.title, ind.name, ind.unit, ind.get_direction_display().split("（")[0], p.year,
                             p.baseline, p.target, p.actual, achieved, p.actual_note, len(p.evidence.all())])
    return rows


def table_workbook(table: TargetTable) -> Workbook:
    wb = Workbook()
    ws = wb.active
    ws.title = "绩效目标表"
    put(ws, 1, 1, str(table))
    state = table.get_state_display()
    if table.is_filed and table.filed_at:
        state += f"（{table.filed_at:%Y-%m-%d}）"
    put(ws, 2, 1, f"城市：{table.city.name}　类型：{table.get_kind_display()}　状态：{state}")
    write_table(ws, HEADERS, table_rows(table), start_row=4, widths=[6, 30, 30, 10, 8, 8, 12, 12, 12, 10, 30, 12])
    return wb
