"""The device registry as Excel (感知设备台账): the import template and the export, in the same columns
(:data:`cityrenew.lifeline.importer.COLUMNS`), so an export re-imports as it is.

* :func:`template_workbook` — openpyxl: Chinese headers, drop-down lists (行业, 所在区 — the city's districts —,
  运维状态, 是/否 for the 四同步 flags) on a hidden 选项 sheet, a date check, and a 说明 sheet with every
  column's meaning;
* :func:`registry_workbook` — XlsxWriter (:class:`cityrenew.core.xlsx.XlsxBook`): every text cell a string
  cell, formula-like text (``=…``, ``+…``, ``@…``) with the quote prefix, never a formula.
"""

from __future__ import annotations

from collections.abc import Iterable

from openpyxl import Workbook
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from cityrenew.core.choices import RegionLevel
from cityrenew.core.models import Region
from cityrenew.core.regions import default_city
from cityrenew.core.xlsx import BODY_FONT, HEADER_FILL, HEADER_FONT, XlsxBook, dropdown, put

from .choices import DeviceStatus, Sector
from .importer import COLUMNS, SYNC_FIELDS, streams_text
from .models import Device
from .policy import FOUR_SYNC

SHEET_TITLE = "感知设备"
TEMPLATE_FILENAME = "感知设备导入模板.xlsx"
EXPORT_FILENAME = "感知设备台账.xlsx"
DATA_ROWS = 5000  # rows that carry the drop-down lists


def district_names() -> list[str]:
    """The names the template offers for 所在区: the districts of the default city."""
    city = default_city()
    qs = Region.objects.filter(level=RegionLevel.DISTRICT)
    if city is not None:
        qs = qs.filter(path__startswith=city.path)
    return list(dict.fromkeys(r.display_name for r in qs.order_by("order", "code")))


def template_workbook() -> Workbook:
    wb = Workbook()
    ws = wb.active
    ws.title = SHEET_TITLE
    options = wb.create_sheet("选项")
    notes = wb.create_sheet("说明")
    lists = {"sector": [str(x) for x in Sector.labels], "status": [str(x) for x in DeviceStatus.labels],
             "district": district_names(), **{name: ["是", "否"] for name in SYNC_FIELDS}}
    for j, col in enumerate(COLUMNS, start=1):
        c = put(ws, 1, j, col.header)
        c.font, c.fill = HEADER_FONT, HEADER_FILL
        ws.column_dimensions[get_column_letter(j)].width = 40 if col.name == "streams" else max(10, len(col.header) * 2 + 4)
        if lists.get(col.name):
            dropdown(ws, options, j, lists[col.name], header=col.header, rows=DATA_ROWS)
        elif col.name == "install_date":
            letter = get_column_letter(j)
            dv = DataValidation(type="date", operator="lessThanOrEqual", formula1="TODAY()", allow_blank=True,
                                showErrorMessage=True, errorTitle="日期有误", error="「安装日期」应为不晚于今天的日期")
            dv.add(f"{letter}2:{letter}{DATA_ROWS + 1}")
            ws.add_data_validation(dv)
    options.sheet_state = "hidden"
    ws.freeze_panes = "A2"
    put(notes, 1, 1, "感知设备（物联智能感知设备）导入说明").font = HEADER_FONT
    put(notes, 2, 1, f"依据：{FOUR_SYNC}（同步设计、同步施工、同步验收、同步交付使用：四同步）")
    put(notes, 3, 1, "第一个工作表第 1 行为表头（可调整列的顺序；其他列导入时忽略），从第 2 行起每台设备一行。全部行校验通过才写入，"
                     "任何一行有误则不导入任何数据并逐行列出原因。按“设备编码”匹配：已登记的编码按文件内容更新（未变的不作修改），"
                     "并补充文件中新列出的数据流；已有数据流不会被删除或改单位。区级编辑只能导入本区的设备。")
    put(notes, 4, 1, "监测内容示例：燃气管网压力（MPa）；甲烷浓度（%LEL）— 观测属性须与平台已有数据流、报警规则使用的单位一致。")
    for j, h in enumerate(["列名", "必填", "说明", "可选值"], start=1):
        c = put(notes, 6, j, h)
        c.font, c.fill = HEADER_FONT, HEADER_FILL
    for i, col in enumerate(COLUMNS, start=7):
        allowed = "、".join(lists.get(col.name, []))
        for j, v in enumerate([col.header, "是" if col.required else "", col.hint, allowed], start=1):
            put(notes, i, j, v).font = BODY_FONT
    for letter, width in zip("ABCD", (16, 6, 70, 60)):
        notes.column_dimensions[letter].width = width
    return wb


def _row(d: Device) -> list:
    streams = sorted(d.datastreams.all(), key=lambda s: s.pk)
    point = d.location
    values = {
        "code": d.code, "name": d.name, "device_type": d.device_type, "sector": d.get_sector_display(),
        "district": d.district.display_name if d.district_id else "", "asset": d.asset.code if d.asset_id else "",
        "lon": round(point.x, 7) if point is not None else "", "lat": round(point.y, 7) if point is not None else "",
        "install_date": d.install_date.isoformat() if d.install_date else "",
        **{name: "是" if getattr(d, name) else "否" for name in SYNC_FIELDS},
        "status": d.get_status_display(),
        "streams": streams_text([(s.observed_property.name, s.unit_symbol) for s in streams]),
        "sensor": streams[0].sensor.name if streams else "", "description": d.description,
    }
    return [values[c.name] for c in COLUMNS]


def registry_workbook(devices: Iterable[Device] | None = None) -> XlsxBook:
    """The devices (default: all) in the template's columns, with what each measures."""
    if devices is None:
        devices = Device.objects.all()
    if hasattr(devices, "select_related"):
        devices = devices.select_related("district", "asset").prefetch_related(
            "datastreams__observed_property", "datastreams__sensor")
    book = XlsxBook()
    ws = book.add_sheet(SHEET_TITLE)
    book.table(ws, [c.header for c in COLUMNS], (_row(d) for d in devices),
               widths=[40 if c.name == "streams" else 14 for c in COLUMNS])
    return book
