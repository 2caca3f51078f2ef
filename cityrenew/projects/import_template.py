"""The project import template (项目导入模板): the columns the importer reads, an example row that
imports as it stands, and a 填写说明 sheet in Chinese.

The headers are the first accepted name of each column in :data:`cityrenew.projects.importer.COLUMNS`,
so the template and the importer cannot drift apart (a test imports the template itself).
"""

from __future__ import annotations

from openpyxl import Workbook
from openpyxl.styles import Font

from cityrenew.core.xlsx import write_table

from .choices import CATEGORY_ALIASES, ProjectCategory, ProjectStatus
from .importer import COLUMNS, DECIMALS, MAX_NAME, REQUIRED

TEMPLATE_COLUMNS = ("seq", "code", "name", "total_investment", "district", "region_group", "category", "status",
                    "start_year", "end_year", "lon", "lat", "geometry")
TEMPLATE_FILENAME = "项目导入模板.xlsx"
EXAMPLE = {
    "seq": 1,
    "code": "K202501001",
    "name": "示例：中原区某小区老旧小区改造项目（导入前请删除本行）",
    "total_investment": 1.25,
    "district": "中原区",
    "region_group": "",  # derived from 区域; left to the notes, as is 项目状态 (default 入库)
    "category": "城镇老旧小区改造",
    "status": "",
    "start_year": 2025,
    "end_year": 2026,
    "lon": 113.6134,  # WGS84, inside 中原区
    "lat": 34.7482,
    "geometry": "",
}
WIDTHS = {"seq": 6, "code": 14, "name": 44, "total_investment": 18, "district": 16, "region_group": 12, "category": 22,
          "status": 10, "start_year": 10, "end_year": 10,
          "lon": 12, "lat": 12, "geometry": 40}


def header(key: str) -> str:
    return COLUMNS[key][0]


def _notes() -> list[tuple[str, str, str]]:
    aliases = "、".join(f"{a}（{ProjectCategory(v).label}）" for a, v in CATEGORY_ALIASES.items())
    return [
        (header("seq"), "选填", "官方汇总表中的序号，正整数"),
        (header("code"), "必填", "K + 年份（4 位）+ 批次（2 位）+ 序号（3 位），如 K202501001；同一文件中不能重复。"
                                  "编号已在项目库中且内容不同时，需勾选“更新已有项目”"),
        (header("name"), "必填", f"最多 {MAX_NAME} 个字"),
        (header("total_investment"), "必填", f"单位：亿元；不能为负数，最多 {DECIMALS} 位小数"),
        (header("district"), "必填", "行政区划名称，如 中原区、管城区（或管城回族区）、郑东新区；跨区项目用“/”分隔，如 中原区/二七区"),
        (header("region_group"), "选填", "如 市内五区、各开发区、各区县（市）；留空时按区域自动确定"),
        (header("category"), "选填", "可选：" + "、".join(ProjectCategory.labels) + "。也接受常用名称：" + aliases),
        (header("status"), "选填", "可选：" + "、".join(ProjectStatus.labels) + "；留空为“入库”"),
        (header("start_year"), "选填", "四位年份，如 2025"),
        (header("end_year"), "选填", "四位年份，不能早于开工年份"),
        (header("lon"), "选填", "项目位置（点）的经度，如 113.6134；与纬度同时填写。坐标系在导入页面选择（默认 WGS84，"
                               "也可 CGCS2000、3度带高斯投影 EPSG 代码或高德/腾讯 GCJ-02；投影坐标时填 X 坐标）"),
        (header("lat"), "选填", "项目位置（点）的纬度，如 34.7482；投影坐标时填 Y 坐标。经纬度填反或位置不在本市时会报错"),
        (header("geometry"), "选填", "项目范围（面）或位置（点），WKT 如 POLYGON((113.62 34.74, 113.63 34.74, 113.63 34.75, 113.62 34.74))，"
                                    "或 GeoJSON；与经纬度只填一种。自相交的面会自动修复。区域留空时按位置所在区县自动填写"),
        ("导入规则", "", "先“试运行”逐行检查，不写入数据；确认无误后再正式导入。任何一行有错误时整份文件都不会写入；"
                        "同一文件重复导入不会产生变化。表头必须保留在第一行；示例行请在导入前删除。"),
    ]


def template_workbook() -> Workbook:
    """The template as an openpyxl workbook: sheet 项目 (header + example) and sheet 填写说明."""
    wb = Workbook()
    ws = wb.active
    ws.title = "项目"
    headers = [header(k) for k in TEMPLATE_COLUMNS]
    write_table(ws, headers, [[EXAMPLE[k] for k in TEMPLATE_COLUMNS]], widths=[WIDTHS[k] for k in TEMPLATE_COLUMNS])
    for col, key in enumerate(TEMPLATE_COLUMNS, start=1):
        if key in REQUIRED:
            ws.cell(row=1, column=col).font = Font(name="宋体", bold=True, color="C00000")
        ws.cell(row=2, column=col).font = Font(name="宋体", italic=True, color="808080")
    notes = wb.create_sheet("填写说明")
    write_table(notes, ["列", "是否必填", "填写要求"], _notes(), widths=[18, 10, 100])
    return wb
