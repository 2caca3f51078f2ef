"""Excel (xlsx) exports of the project library.

* :func:`library_workbook` — the official layout of 郑州市城市更新项目库 (seed 003 L7480–8443):
  title row; header 序号 / 项目编号 / 项目名称 / 项目总投资（亿元） / 区域 / 区域总投资（亿元）; a banner
  row per region group with its total; each district block with merged 区域 and 区域总投资 cells;
  cross-district projects with their own 区域总投资; the grand total 合计.
* :func:`summary_workbook` — region groups → districts with project counts and totals.
* :func:`projects_workbook` — a flat list (e.g. the filtered list page); it re-imports unchanged.

The two project-by-project layouts are written with XlsxWriter (:class:`~cityrenew.core.xlsx.XlsxBook`):
100,000 projects in seconds. Text is never written as a formula (see :mod:`cityrenew.core.xlsx`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet
from openpyxl import Workbook

from cityrenew.core.models import Region
from cityrenew.core.xlsx import (
    CELL_FORMAT,
    HEADER_FONT,
    HEADER_FORMAT,
    XlsxBook,
    write_table,
)

from .choices import ProjectCategory, ProjectStatus
from .models import AdjustmentBatch, RenewalProject
from .summary import compute_summary, library_rows

Progress = Callable[[int, int, str], Any]  # (done, total, message), e.g. Job.progress or a tqdm bar

LIBRARY_HEADERS = ["序号", "项目编号", "项目名称", "项目总投资（亿元）", "区域", "区域总投资（亿元）"]
LIST_HEADERS = ["序号", "项目编号", "项目名称", "项目总投资（亿元）", "区域", "片区分组", "更新类型", "项目状态", "开工年份", "完工年份", "入库批次"]
AMOUNT_FORMAT = "0.00####"  # up to 6 decimals, at least 2 (亿元)
TOTAL_FORMAT = "0.00"
PROGRESS_EVERY = 5000  # rows between progress reports

# XlsxWriter formats of the official layout (宋体, thin grey borders, as the printed table)
TITLE = {"font_name": "宋体", "bold": True, "font_size": 14, "align": "center", "valign": "vcenter"}
BODY = CELL_FORMAT
NAME = {**CELL_FORMAT, "text_wrap": True}
AMOUNT = {**CELL_FORMAT, "num_format": AMOUNT_FORMAT}
CENTER = {**CELL_FORMAT, "align": "center", "text_wrap": True}
CENTER_TOTAL = {**CENTER, "num_format": TOTAL_FORMAT}
BANNER = {**CELL_FORMAT, "bold": True, "align": "center", "bg_color": "#F2F2F2"}
BANNER_TOTAL = {**BANNER, "num_format": TOTAL_FORMAT}
GRAND = {**BANNER, "bg_color": "#FFF2CC"}
GRAND_TOTAL = {**GRAND, "num_format": TOTAL_FORMAT}


def _amount(value: Decimal | str) -> float | int:
    """Excel stores numbers as doubles; an amount with ≤ 6 decimals round-trips exactly through repr."""
    d = Decimal(str(value))
    return int(d) if d == d.to_integral_value() else float(d)


def library_workbook(
    projects: QuerySet[RenewalProject] | None = None,
    *,
    city: Region | None = None,
    as_of: AdjustmentBatch | None = None,
    title: str | None = None,
    progress: Progress | None = None,
) -> XlsxBook:
    """The library in the official layout (one sheet 项目库): merged 区域 cells, banners and 合计."""
    rows = library_rows(projects, city=city, as_of=as_of)
    book = XlsxBook()
    ws = book.add_sheet("项目库")
    if title is None:
        city_name = city.name if city is not None else (as_of.city.name if as_of is not None else "郑州市")
        title = f"{city_name}城市更新项目库" + (f"（截至 {as_of.doc_number}）" if as_of is not None else "")
    last_col = len(LIBRARY_HEADERS) - 1
    book.merge(ws, 0, 0, 0, last_col, title, TITLE)
    ws.set_row(0, 24)
    for col, h in enumerate(LIBRARY_HEADERS):
        book.write(ws, 1, col, h, HEADER_FORMAT)
    total = len(rows)
    r = 2
    for i, row in enumerate(rows):
        kind = row["kind"]
        if kind in ("group", "total"):
            label = row["name"] if kind == "group" else "合计（亿元）"
            book.merge(ws, r, 0, r, last_col - 1, label, BANNER if kind == "group" else GRAND)
            book.write(ws, r, last_col, _amount(row["total"]), BANNER_TOTAL if kind == "group" else GRAND_TOTAL)
        else:
            book.write(ws, r, 0, row["no"], BODY)
            book.write(ws, r, 1, row["code"], BODY)
            book.write(ws, r, 2, row["name"], NAME)
            book.write(ws, r, 3, _amount(row["investment"]), AMOUNT)
            if kind == "multi" or row["first"]:
                size = 1 if kind == "multi" else row["block_size"]
                book.merge(ws, r, 4, r + size - 1, 4, row["district"], CENTER)
                book.merge(ws, r, 5, r + size - 1, 5, _amount(row["district_total"]), CENTER_TOTAL)
        r += 1
        if progress is not None and (i + 1) % PROGRESS_EVERY == 0:
            progress(i + 1, total, "写入 Excel")
    for col, w in enumerate([6, 14, 52, 14, 12, 14]):
        ws.set_column(col, col, w)
    ws.freeze_panes(2, 0)
    if progress is not None:
        progress(total, total, "写入 Excel")
    return book


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


def projects_workbook(queryset: QuerySet[RenewalProject], *, progress: Progress | None = None) -> XlsxBook:
    """A flat list of projects (what the list page shows after filtering); importable as is.

    Read as plain tuples (not model instances), so 100,000 projects take seconds.
    """
    book = XlsxBook()
    ws = book.add_sheet("项目清单")
    rows_qs = queryset.values_list("pk", "seq", "code", "name", "total_investment", "region_group__name", "category",
                                   "status", "start_year", "end_year", "batch__doc_number")
    total = queryset.count() if progress is not None else 0
    links: dict[int, list[int]] = defaultdict(list)
    for pid, rid in RenewalProject.districts.through.objects.filter(renewalproject__in=queryset.values("pk")).values_list(
            "renewalproject_id", "region_id").iterator(chunk_size=10000):
        links[pid].append(rid)
    regions = {r.pk: r for r in Region.objects.filter(pk__in={rid for rids in links.values() for rid in rids})}
    categories, statuses = dict(ProjectCategory.choices), dict(ProjectStatus.choices)

    def rows():
        for i, (pk, seq, code, name, investment, group, category, status, start, end, batch) in enumerate(
                rows_qs.iterator(chunk_size=5000), start=1):
            regs = sorted((regions[rid] for rid in links.get(pk, ())), key=lambda r: (r.order, r.code))
            yield [seq, code, name, _amount(investment), "/".join(r.display_name for r in regs), group or "",
                   categories.get(category, category), statuses.get(status, status), start, end, batch or ""]
            if progress is not None and i % PROGRESS_EVERY == 0:
                progress(i, total, "写入 Excel")

    book.table(ws, LIST_HEADERS, rows(), widths=[6, 14, 52, 14, 20, 14, 18, 10, 10, 10, 22],
               col_formats={2: NAME, 3: AMOUNT})
    if progress is not None:
        progress(total, total, "写入 Excel")
    return book
