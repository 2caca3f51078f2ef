"""Funding-plan Excel template, import and export (资金计划模板、导入、导出).

One row per project × channel × year, amounts in 万元. The import is all-or-nothing: every row is
checked first (第 N 行「字段」：原因), and only a file without errors is written, in one transaction;
a line that exists is updated, a new one created, an unchanged one left alone (so re-running the same
file changes nothing). The user must be allowed to plan each project named.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Iterable

from django.db import transaction
from openpyxl import Workbook, load_workbook
from openpyxl.worksheet.datavalidation import DataValidation

from cityrenew.core.tabular import (
    RowError,
    RowErrorReport,
    cell_text,
    read_upload,
    write_failed,
)
from cityrenew.core.xlsx import write_table
from cityrenew.projects.choices import FundingSource
from cityrenew.projects.models import RenewalProject

from . import permissions
from .models import FundingLine
from .services import FundingError, amount, check_planned_covers_drawn

HEADERS = ["项目编号", "资金渠道", "年度", "计划金额（万元）", "到位金额（万元）", "支出金额（万元）", "说明"]
REQUIRED = HEADERS[:4]
AMOUNT_FIELDS = {"计划金额（万元）": "planned", "到位金额（万元）": "received", "支出金额（万元）": "spent"}
CHANNEL_BY_TEXT = {**{label: value for value, label in FundingSource.choices}, **{v: v for v in FundingSource.values}}
YEARS = (2000, 2100)  # plausible plan years


@dataclass
class ImportReport(RowErrorReport):  # 资金计划导入结果
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    dry_run: bool = True
    planned: list[dict[str, Any]] = field(default_factory=list)

    def error(self, row: int, label: str, message: str) -> None:
        self.add_error(RowError(row, label, message))

    @property
    def summary(self) -> str:
        if not self.ok:
            return f"发现 {len(self.errors)} 处错误，未导入任何数据。"
        verb = "将" if self.dry_run else "已"
        return f"共 {self.rows} 行：{verb}新增 {self.created} 条、{verb}更新 {self.updated} 条，{self.unchanged} 条无变化。"


def template_workbook() -> Workbook:
    """The empty template: the headers, a channel drop-down, a sample row explained in a note sheet."""
    wb = Workbook()
    ws = wb.active
    ws.title = "资金计划"
    write_table(ws, HEADERS, [], widths=[14, 26, 8, 16, 16, 16, 30])
    dv = DataValidation(type="list", formula1="=渠道!$A$1:$A$%d" % len(FundingSource.choices), allow_blank=False)
    ws.add_data_validation(dv)
    dv.add("B2:B5000")
    ch = wb.create_sheet("渠道")
    for i, (_, label) in enumerate(FundingSource.choices, start=1):
        ch.cell(row=i, column=1, value=label)
    note = wb.create_sheet("填写说明")
    for i, text in enumerate([
        "每行一个项目在一个年度、一个资金渠道的资金计划；金额单位为万元，不能为负数。",
        "项目编号须为项目库中已有、且您有权编辑的项目；资金渠道从下拉列表选择（见“渠道”表）。",
        "同一项目、渠道、年度只能有一行；已有的计划按本表更新，导入为全部成功或全部不导入。",
    ], start=1):
        note.cell(row=i, column=1, value=text)
    return wb


def export_workbook(lines: Iterable[FundingLine]) -> Workbook:
    """The lines in the template's layout (so an export can be edited and imported again)."""
    wb = Workbook()
    ws = wb.active
    ws.title = "资金计划"
    rows = ([ln.project.code, ln.get_channel_display(), ln.year, ln.planned, ln.received, ln.spent, ln.note] for ln in lines)
    write_table(ws, HEADERS, rows, widths=[14, 26, 8, 16, 16, 16, 30])
    return wb


def _rows(data: bytes) -> list[list[str]]:
    if data[:4] == b"PK\x03\x04":
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        ws = wb["资金计划"] if "资金计划" in wb.sheetnames else wb.worksheets[0]
        out = [[cell_text(v) for v in row] for row in ws.iter_rows(values_only=True)]
        wb.close()
        return out
    for enc in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(enc)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise FundingError("文件既不是 Excel（.xlsx），也不是 UTF-8 或 GBK 编码的 CSV")
    return [[c.strip() for c in row] for row in csv.reader(io.StringIO(text))]


def import_lines(user: Any, file: Any, *, dry_run: bool = True) -> ImportReport:
    """Check every row, then (unless ``dry_run`` or any error) write them all in one transaction."""
    report = ImportReport(dry_run=dry_run)
    try:
        rows = _rows(read_upload(file))
    except FundingError as exc:
        report.error(0, "文件", exc.message)
        return report
    except Exception as exc:  # an unreadable file: a damaged xlsx, limits exceeded
        report.error(0, "文件", getattr(exc, "message", None) or f"无法读取文件（{type(exc).__name__}）")
        return report
    if not rows:
        report.error(0, "文件", "文件为空")
        return report
    header = rows[0]
    col = {h: i for i, h in enumerate(header) if h}
    missing = [h for h in REQUIRED if h not in col]
    if missing:
        report.error(1, "表头", "缺少列：" + "、".join(missing) + "（请使用资金计划导入模板）")
        return report
    projects = {p.code: p for p in RenewalProject.objects.filter(
        code__in={r[col["项目编号"]] for r in rows[1:] if len(r) > col["项目编号"]})}
    existing = {(ln.project_id, ln.channel, ln.year): ln
                for ln in FundingLine.objects.filter(project__in=list(projects.values()))}
    plannable: dict[str, bool] = {}
    seen: dict[tuple[str, str, int], int] = {}
    pending: list[tuple[FundingLine, dict[str, Any]]] = []
    for n, row in enumerate(rows[1:], start=2):
        get = lambda h: row[col[h]] if h in col and col[h] < len(row) else ""  # noqa: E731
        if not any(row):
            continue
        report.rows += 1
        ok = True
        code = get("项目编号")
        project = projects.get(code)
        if not code:
            report.error(n, "项目编号", "不能为空")
            ok = False
        elif project is None:
            report.error(n, "项目编号", f"项目库中没有编号为“{code}”的项目")
            ok = False
        else:
            if code not in plannable:
                plannable[code] = permissions.can_plan(user, project)
            if not plannable[code]:
                report.error(n, "项目编号", f"无权修改项目 {code} 的资金计划：超出您的编辑范围")
                ok = False
        channel = CHANNEL_BY_TEXT.get(get("资金渠道"))
        if channel is None:
            report.error(n, "资金渠道", f"“{get('资金渠道')}”不是可选的资金渠道（见模板“渠道”表）")
            ok = False
        year_text = get("年度")
        year = int(year_text) if year_text.isdigit() else None
        if year is None or not YEARS[0] <= year <= YEARS[1]:
            report.error(n, "年度", f"“{year_text}”不是 {YEARS[0]}–{YEARS[1]} 之间的年份")
            ok = False
        values: dict[str, Any] = {"note": get("说明")[:300]}
        for label, name in AMOUNT_FIELDS.items():
            text = get(label)
            if not text and label != "计划金额（万元）":
                values[name] = Decimal("0")
                continue
            try:
                values[name] = amount(text, label)
            except FundingError as exc:
                report.error(n, label, exc.message.split("」", 1)[-1] if "」" in exc.message else exc.message)
                ok = False
        if not ok:
            continue
        key = (code, channel, year)
        if key in seen:
            report.error(n, "项目编号", f"与第 {seen[key]} 行重复：同一项目、渠道、年度只能有一行")
            continue
        seen[key] = n
        line = existing.get((project.pk, channel, year))
        if line is not None and values["planned"] != line.planned:
            try:
                check_planned_covers_drawn(project, channel, year, values["planned"])
            except FundingError as exc:
                report.error(n, "计划金额（万元）", exc.message)
                continue
        if line is None:
            report.created += 1
            line = FundingLine(project=project, channel=channel, year=year)
        elif all(getattr(line, k) == v for k, v in values.items()):
            report.unchanged += 1
            continue
        else:
            report.updated += 1
        pending.append((line, values))
        report.planned.append({"row": n, "code": code, "channel": FundingSource(channel).label, "year": year, **values})
    if report.rows == 0 and report.ok:
        report.error(0, "文件", "没有数据行")
    if dry_run or not report.ok:
        return report
    try:
        with transaction.atomic():
            for line, values in pending:
                for k, v in values.items():
                    setattr(line, k, v)
                line.save()
    except Exception as exc:  # rolled back as a whole
        report.error(0, "文件", write_failed(exc))
        report.created = report.updated = 0
    return report
