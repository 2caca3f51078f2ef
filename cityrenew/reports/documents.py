"""A progress report as tables, as an Excel workbook (openpyxl) and as a Word document (python-docx).

:func:`sections` turns a report's figures (the snapshot kept in :class:`ProgressReport.figures`) into
titled tables; the page, the workbook (one sheet per section) and the document (one table per section)
all show these same tables, so the three never disagree.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from openpyxl import Workbook

from cityrenew.core.xlsx import put, write_table

from .choices import REPORT_SOURCE
from .figures import NATIONAL_SOURCE, NATIONAL_STATS, NO_RECORDS, SOURCES


@dataclass
class Section:  # 报告的一节（一张表）
    title: str
    headers: list[str]
    rows: list[list[Any]]
    source: str


def sections(figures: dict[str, Any]) -> list[Section]:
    p, led, fund, ck = figures["projects"], figures["ledgers"], figures["funding"], figures.get("checkup")
    year = figures["year"]
    out = [
        Section("一、项目总体情况", ["指标", "数值"], [
            ["项目总数（个，不含调出）", p["count"]], ["项目总投资（亿元）", p["investment"]],
            [f"{year}年开工项目（个）", p["started"]], [f"{year}年完工项目（个）", p["completed"]],
        ], SOURCES["projects"] + "；" + SOURCES["projects_started"] + "；" + SOURCES["projects_completed"]),
        Section("二、项目按状态", ["状态", "项目数（个）", "总投资（亿元）"],
                [[r["status"], r["count"], r["investment"]] for r in p["by_status"]], SOURCES["projects"]),
        Section("三、项目按更新类型", ["更新类型", "项目数（个）", "总投资（亿元）"],
                [[r["category"], r["count"], r["investment"]] for r in p["by_category"]], SOURCES["projects"]),
        Section("四、城镇老旧小区台账", ["状态", "小区数（个）"],
                [[r["status"], r["count"]] for r in led["communities_by_status"]] + [["合计", led["communities_total"]]],
                SOURCES["communities"]),
        Section(f"五、{year}年投用的设施设备", ["设备类别", "数量（行）", "长度（公里）"],
                [[r["category"], r["count"], r["length_km"]] for r in led["equipment"]], SOURCES["equipment"]),
    ]
    if ck:
        rows = [["体检", ck["run"]], ["状态", ck["status"]]] + [[f"评价：{v['verdict']}（项）", v["count"]] for v in ck["verdicts"]]
    else:
        rows = [["体检", f"{year}年及以前没有城市体检记录"]]
    out.append(Section("六、城市体检结果", ["项目", "内容"], rows, SOURCES["checkup"]))
    t = fund["totals"]
    out.append(Section(f"七、{year}年资金计划与执行（万元）", ["资金渠道", "计划金额（万元）", "到位金额（万元）", "支出金额（万元）"],
                       [[r["channel"], r["planned"], r["received"], r["spent"]] for r in fund["by_channel"]]
                       + [["合计", t["planned"], t["received"], t["spent"]]], SOURCES["funding"]))
    nat = figures["national"]
    out.append(Section(f"八、{year}年全国统计口径", ["统计项", "单位", "数值", "来源"],
                       [[s.label, s.unit, nat[s.key] if nat[s.key] is not None else NO_RECORDS, s.source or "暂无此类记录类型"]
                        for s in NATIONAL_STATS], "住房城乡建设部公布的五项统计"))
    return out


def _cell(value: Any) -> Any:
    """Figures are kept as text; numeric text becomes a number cell."""
    if isinstance(value, str) and value and value[0].isdigit():
        try:
            return Decimal(value)
        except InvalidOperation:
            return value
    return value


def workbook(report) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "报告信息"
    info = [["城市", report.city.display_name], ["年度", report.year], ["报告类型", report.get_kind_display()],
            ["版本", report.version], ["状态", report.get_state_display()], ["标题", report.title],
            ["工作进展", report.progress], ["存在问题", report.problems], ["经验做法", report.practices],
            ["报送依据", str(REPORT_SOURCE)]]
    write_table(ws, ["项目", "内容"], info, widths=[16, 80])
    for i, s in enumerate(sections(report.figures), start=1):
        sh = wb.create_sheet(s.title.split("、", 1)[-1][:28] or f"表{i}")
        nxt = write_table(sh, s.headers, [[_cell(v) for v in row] for row in s.rows], widths=[30] + [18] * (len(s.headers) - 1))
        put(sh, nxt + 1, 1, f"数据来源：{s.source}")
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def document(report) -> bytes:
    from docx import Document
    from docx.oxml.ns import qn

    doc = Document()
    style = doc.styles["Normal"]
    style.font.name = "宋体"
    style.element.rPr.rFonts.set(qn("w:eastAsia"), "宋体")
    doc.add_heading(report.title, level=0)
    doc.add_paragraph(f"{report.city.display_name} · {report.year}年 · {report.get_kind_display()} · 第{report.version}版 · "
                      f"{report.get_state_display()}")
    doc.add_paragraph(f"报送依据：{REPORT_SOURCE}")
    for heading, body in (("工作进展", report.progress), ("存在问题", report.problems), ("经验做法", report.practices)):
        doc.add_heading(heading, level=1)
        doc.add_paragraph(body or "（未填写）")
    doc.add_heading("主要数据", level=1)
    for s in sections(report.figures):
        doc.add_heading(s.title, level=2)
        table = doc.add_table(rows=1, cols=len(s.headers))
        table.style = "Table Grid"
        for c, h in zip(table.rows[0].cells, s.headers):
            c.text = h
        for row in s.rows:
            cells = table.add_row().cells
            for c, v in zip(cells, row):
                c.text = "" if v is None else str(v)
        doc.add_paragraph(f"数据来源：{s.source}")
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def statistics_workbook(rows: list[dict[str, Any]]) -> Workbook:
    """The national statistics (rows of :func:`figures.statistics`) as a workbook: one row per year and city,
    a 合计 row per year, then the source of each figure ("无此类记录" where no record type exists)."""
    wb = Workbook()
    ws = wb.active
    ws.title = "城市更新统计"
    headers = ["年度", "城市"] + [f"{s.label}（{s.unit}）" for s in NATIONAL_STATS]
    body = [[r["year"], r["city"]] + [_cell(r[s.key]) if r[s.key] is not None else NO_RECORDS for s in NATIONAL_STATS]
            for r in rows]
    nxt = write_table(ws, headers, body, widths=[8, 12] + [22] * len(NATIONAL_STATS))
    put(ws, nxt + 1, 1, f"统计口径：{NATIONAL_SOURCE}")
    for i, s in enumerate(NATIONAL_STATS):
        put(ws, nxt + 2 + i, 1, f"{s.label}：{s.source or '暂无此类记录类型，未统计（' + NO_RECORDS + '）'}")
    return wb
