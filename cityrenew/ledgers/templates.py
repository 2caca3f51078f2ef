"""Downloadable import templates (导入模板), one per ledger type: Chinese headers, a 说明 sheet with
each column's meaning and rules, and drop-down lists (Excel data validation) for choices and 是/否."""

from __future__ import annotations

from openpyxl import Workbook
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from cityrenew.core.xlsx import BODY_FONT, HEADER_FILL, HEADER_FONT, put

from .choices import BUILDING_SOURCE, COMMUNITY_SOURCE, DANGEROUS_SOURCE, EQUIPMENT_SOURCE, RENOVATION_ITEMS, LedgerKind
from .columns import BOOL, CHOICE, COLUMNS, DATE, ITEMS, YEAR

SHEET_TITLES = {k: f"{label}台账" for k, label in LedgerKind.choices}
SOURCES = {LedgerKind.EQUIPMENT: EQUIPMENT_SOURCE, LedgerKind.BUILDING: BUILDING_SOURCE,
           LedgerKind.COMMUNITY: COMMUNITY_SOURCE, LedgerKind.DANGEROUS_HOUSING: DANGEROUS_SOURCE}
DATA_ROWS = 5000  # rows that carry the drop-down lists


def template_filename(kind: str) -> str:
    return f"{SHEET_TITLES[kind]}导入模板.xlsx"


def template_workbook(kind: str) -> Workbook:
    cols = COLUMNS[kind]
    wb = Workbook()
    ws = wb.active
    ws.title = SHEET_TITLES[kind]
    options = wb.create_sheet("选项")
    notes = wb.create_sheet("说明")
    for j, col in enumerate(cols, start=1):
        c = put(ws, 1, j, col.header)
        c.font, c.fill = HEADER_FONT, HEADER_FILL
        ws.column_dimensions[get_column_letter(j)].width = max(10, len(col.header) * 2 + 2)
        letter = get_column_letter(j)
        rng = f"{letter}2:{letter}{DATA_ROWS + 1}"
        values: list[str] = []
        if col.type == CHOICE:
            values = [str(label) for label in col.choices.labels]
        elif col.type == BOOL:
            values = ["是", "否"]
        if values:
            for i, v in enumerate(values, start=1):
                put(options, i, j, v)
            dv = DataValidation(type="list", formula1=f"=选项!${letter}$1:${letter}${len(values)}", allow_blank=True,
                                showErrorMessage=True, errorTitle="输入有误", error=f"「{col.header}」请从下拉列表中选择")
            dv.add(rng)
            ws.add_data_validation(dv)
        elif col.type == DATE:
            dv = DataValidation(type="date", operator="lessThanOrEqual", formula1="TODAY()", allow_blank=True,
                                showErrorMessage=True, errorTitle="日期有误", error=f"「{col.header}」应为不晚于今天的日期")
            dv.add(rng)
            ws.add_data_validation(dv)
        elif col.type == YEAR:
            dv = DataValidation(type="whole", operator="between", formula1="1800", formula2="YEAR(TODAY())", allow_blank=True,
                                showErrorMessage=True, errorTitle="年份有误", error=f"「{col.header}」应为四位年份，不晚于今年")
            dv.add(rng)
            ws.add_data_validation(dv)
        elif col.name in ("capacity_tph", "length_km", "floor_area", "maintenance_fund", "heating_area", "power_kw"):
            dv = DataValidation(type="decimal", operator="greaterThanOrEqual", formula1="0", allow_blank=True,
                                showErrorMessage=True, errorTitle="数值有误", error=f"「{col.header}」不能为负数")
            dv.add(rng)
            ws.add_data_validation(dv)
    options.sheet_state = "hidden"
    ws.freeze_panes = "A2"
    put(notes, 1, 1, f"{SHEET_TITLES[kind]}导入说明").font = HEADER_FONT
    put(notes, 2, 1, f"依据：{SOURCES[kind]}")
    put(notes, 3, 1, "第一个工作表第 1 行为表头（可调整列的顺序，可增加其他列，导入时忽略）；从第 2 行起每行一条记录。"
                     "全部行校验通过才写入，任何一行有误则不导入任何数据并逐行列出原因。按“编号”匹配：已有编号按文件内容更新，"
                     "未变的行不作修改。")
    for j, h in enumerate(["列名", "必填", "类型", "说明", "可选值"], start=1):
        c = put(notes, 5, j, h)
        c.font, c.fill = HEADER_FONT, HEADER_FILL
    kinds = {"text": "文本", "int": "整数", "decimal": "数字", "percent": "百分数", "date": "日期", "bool": "是/否",
             "choice": "选项", "region": "区域", "items": "多项（以“、”分隔）", "year": "年份"}
    for i, col in enumerate(cols, start=6):
        allowed = ""
        if col.type == CHOICE:
            allowed = "、".join(str(x) for x in col.choices.labels)
        elif col.type == BOOL:
            allowed = "是、否"
        elif col.type == ITEMS:
            allowed = "、".join(RENOVATION_ITEMS[col.group])
        for j, v in enumerate([col.header, "是" if col.required else "", kinds[col.type], col.hint, allowed], start=1):
            put(notes, i, j, v).font = BODY_FONT
    for letter, width in zip("ABCDE", (28, 6, 12, 48, 80)):
        notes.column_dimensions[letter].width = width
    return wb
