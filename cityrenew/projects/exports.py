"""Excel (xlsx) exports of the project library.

* :func:`library_workbook` — the official layout of 郑州市城市更新项目库 (seed 003 L7480–8443):
  title row; header 序号 / 项目编号 / 项目名称 / 项目总投资（亿元） / 区域 / 区域总投资（亿元）; a banner
  row per region group with its total; each district block with merged 区域 and 区域总投资 cells;
  cross-district projects with their own 区域总投资; the grand total 合计.
* :func:`summary_workbook` — region groups → districts with project counts and totals.
* :func:`projects_workbook` — a flat list (e.g. the filtered list page); it re-imports unchanged.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db.models import QuerySet
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill

from cityrenew.core.models import Region
from cityrenew.core.xlsx import BODY_FONT, BORDER, HEADER_FILL, HEADER_FONT, write_table

from .models import AdjustmentBatch, RenewalProject
from .summary import compute_summary, library_rows

LIBRARY_HEADERS = ["序号", "项目编号", "项目名称", "项目总投资（亿元）", "区域", "区域总投资（亿元）"]
LIST_HEADERS = ["序号", "项目编号", "项目名称", "项目总投资（亿元）", "区域", "片区分组", "更新类型", "项目状态", "开工年份", "完工年份", "入库批次"]
GROUP_FILL = PatternFill("solid", fgColor="F2F2F2")
TOTAL_FILL = PatternFill("solid", fgColor="FFF2CC")
CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
AMOUNT_FORMAT = "0.00####"  # up to 6 decimals, at least 2 (亿元)
TOTAL_FORMAT = "0.00"


def _amount(value: Decimal | str) -> float | int:
    """openpyxl writes numbers as floats; an amount with ≤ 6 decimals round-trips exactly through repr."""
    d = Decimal(str(value))
    return int(d) if d == d.to_integral_value() else float(d)


def _style(ws, row: int, ncols: int, *, font=BODY_FONT, fill=None) -> None:
    for col in range(1, ncols + 1):
        c = ws.cell(row=row, column=col)
        c.font, c.border = font, BORDER
        if fill is not None:
            c.fill = fill
        if c.alignment is None or not c.alignment.wrap_text:
            c.alignment = Alignment(vertical="center", wrap_text=col == 3)


def library_workbook(
    projects: QuerySet[RenewalProject] | None = None,
    *,
    city: Region | None = None,
    as_of: AdjustmentBatch | None = None,
    title: str | None = None,
) -> Workbook:
    """The library in the official layout (one sheet 项目库)."""
    wb = Workbook()
    ws = wb.active
    ws.title = "项目库"
    if title is None:
        city_name = city.name if city is not None else (as_of.city.name if as_of is not None else "郑州市")
        title = f"{city_name}城市更新项目库" + (f"（截至 {as_of.doc_number}）" if as_of is not None else "")
    ncols = len(LIBRARY_HEADERS)
    ws.cell(row=1, column=1, value=title).font = Font(name="宋体", bold=True, size=14)
    ws.cell(row=1, column=1).alignment = CENTER
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=ncols)
    for col, h in enumerate(LIBRARY_HEADERS, start=1):
        c = ws.cell(row=2, column=col, value=h)
        c.font, c.fill, c.border, c.alignment = HEADER_FONT, HEADER_FILL, BORDER, CENTER
    r = 3
    for row in library_rows(projects, city=city, as_of=as_of):
        kind = row["kind"]
        if kind in ("group", "total"):
            label = f"{row['name']}" if kind == "group" else "合计（亿元）"
            ws.cell(row=r, column=1, value=label)
            ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=ncols - 1)
            c = ws.cell(row=r, column=ncols, value=_amount(row["total"]))
            c.number_format = TOTAL_FORMAT
            _style(ws, r, ncols, font=HEADER_FONT, fill=GROUP_FILL if kind == "group" else TOTAL_FILL)
            ws.cell(row=r, column=1).alignment = CENTER
            r += 1
            continue
        values = [row["no"], row["code"], row["name"], _amount(row["investment"])]
        for col, v in enumerate(values, start=1):
            ws.cell(row=r, column=col, value=v)
        ws.cell(row=r, column=4).number_format = AMOUNT_FORMAT
        _style(ws, r, ncols)
        if kind == "multi" or row["first"]:
            ws.cell(row=r, column=5, value=row["district"]).alignment = CENTER
            c = ws.cell(row=r, column=6, value=_amount(row["district_total"]))
            c.number_format, c.alignment = TOTAL_FORMAT, CENTER
            size = 1 if kind == "multi" else row["block_size"]
            if size > 1:
                ws.merge_cells(start_row=r, start_column=5, end_row=r + size - 1, end_column=5)
                ws.merge_cells(start_row=r, start_column=6, end_row=r + size - 1, end_column=6)
        r += 1
    for col, w in enumerate([6, 14, 52, 14, 12, 14], start=1):
        ws.column_dimensions[chr(64 + col)].width = w
    ws.freeze_panes = "A3"
    return wb


def summary_workbook(
    projects: QuerySet[RenewalProject] | None = None,
    *,
    city: Region | None = None,
    as_of: AdjustmentBatch | None = None,
) -> Workbook:
    """Groups → districts with counts and totals (2 decimals, half up), then the cross-district projects."""
    s = compute_summary(projects, city=city, as_of=as_of)
    wb = Workbook()
    ws = wb.active
    ws.title = "汇总"
    rows: list[list[Any]] = []
    for g in s["groups"]:
        rows.append([g["name"], "（小计）", g["count"], _amount(g["total"])])
        for d in g["districts"]:
            rows.append([g["name"], d["name"], d["count"], _amount(d["total"])])
    for m in s["multi_district"]:
        rows.append(["跨区项目", f"{m['code']}（{'/'.join(m['districts'])}）", 1, _amount(m["total"])])
    rows.append(["合计", "", s["count"], _amount(s["total"])])
    end = write_table(ws, ["片区分组", "区域", "项目数", "总投资（亿元）"], rows, widths=[16, 36, 10, 16])
    for r in range(2, end):
        ws.cell(row=r, column=4).number_format = TOTAL_FORMAT
        if ws.cell(row=r, column=2).value in ("（小计）", "") or ws.cell(row=r, column=1).value == "合计":
            for col in range(1, 5):
                ws.cell(row=r, column=col).font = HEADER_FONT
    return wb


def projects_workbook(queryset: QuerySet[RenewalProject]) -> Workbook:
    """A flat list of projects (what the list page shows after filtering); importable as is."""
    wb = Workbook()
    ws = wb.active
    ws.title = "项目清单"
    qs = queryset.select_related("region_group", "batch").prefetch_related("districts")
    rows = []
    for p in qs.iterator(chunk_size=2000):
        regs = sorted(p.districts.all(), key=lambda r: (r.order, r.code))
        rows.append(
            [
                p.seq,
                p.code,
                p.name,
                _amount(p.total_investment),
                "/".join(r.display_name for r in regs),
                p.region_group.name if p.region_group else "",
                p.get_category_display(),
                p.get_status_display(),
                p.start_year,
                p.end_year,
                p.batch.doc_number if p.batch else "",
            ]
        )
    end = write_table(ws, LIST_HEADERS, rows, widths=[6, 14, 52, 14, 20, 14, 18, 10, 10, 10, 22])
    for r in range(2, end):
        ws.cell(row=r, column=4).number_format = AMOUNT_FORMAT
    return wb
