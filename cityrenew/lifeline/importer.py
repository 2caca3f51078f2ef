"""Bulk import of the device registry (感知设备批量导入): CSV (UTF-8 or GBK) or xlsx, all or nothing.

    report = import_devices("devices.xlsx", user=user, dry_run=True)
    report.ok, report.errors, report.created, report.updated, report.unchanged, report.streams_created

One row per device, in the columns of :data:`COLUMNS` (the template :func:`cityrenew.lifeline.exports.template_workbook`
writes them; the registry export writes the same, so an export re-imports as it is). What a device measures is the
cell 「监测内容」: its datastreams as ``观测属性（单位）`` separated by ``；`` — e.g. ``燃气管网压力（MPa）；甲烷浓度（%LEL）``.

* The file passes the shared upload limits (:func:`cityrenew.core.tabular.read_rows`).
* Every row is checked before anything is written; any problem → nothing is written, and every problem
  is listed as ``第 N 行「字段」：原因``: a missing value, an unknown 行业/运维状态/所在区, an unknown
  监测对象编码 or one in another district, a bad or future date, coordinates that are not numbers, lie
  outside China, or are swapped, a code twice in the file, a unit that is not the unit the platform
  already uses for that observed property (its datastreams and alarm rules: a rule would not judge it).
* **A code already registered is updated** (matched by 设备编码; only changed fields are saved, each
  change audited; importing the same file again changes nothing). Its datastreams listed in 「监测内容」
  that it lacks are added; datastreams are never removed or re-united by an import (their readings are
  stored in their unit) — a different unit for an observed property the device already measures is refused.
* With a ``user``: every row's district (and, for an update, the district the device is registered
  in) must be one the user may edit (a 区级编辑 imports only its own district's devices), and only the
  fields the field rules (:mod:`cityrenew.lifeline.fieldrules`) let the user write are written.
* Written in one transaction, each device and datastream saved through the model (AuditedModel: one
  audit entry per created or updated object, attributed to the user, source 导入, the file named).
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.contrib.gis.geos import Point
from django.db import DatabaseError, transaction
from django.utils import timezone

from cityrenew.core import audit
from cityrenew.core.choices import AuditSource, RegionLevel
from cityrenew.core.fieldrules import is_city_level, refusal_message, writable_fields
from cityrenew.core.models import Region
from cityrenew.core.permissions import editable_region_ids
from cityrenew.core.regions import default_city
from cityrenew.core.tabular import CountedImportReport, RowError, TableFileError, read_rows, write_failed

from .choices import DeviceStatus, Sector
from .models import AlarmRule, Datastream, Device, MonitoredAsset, ObservedProperty, Sensor

Progress = Callable[[int, int, str], None]
TRUE = {"是", "Y", "y", "yes", "Yes", "TRUE", "True", "true", "1", "√"}
FALSE = {"否", "N", "n", "no", "No", "FALSE", "False", "false", "0", "×"}
STREAM_SPLIT = re.compile(r"[；;\n]+")
STREAM_ITEM = re.compile(r"^(?P<prop>.+?)\s*[（(]\s*(?P<unit>[^()（）]+?)\s*[)）]$")
DEFAULT_SENSOR = "未注明型号"
# Unit symbols and their Chinese names (SensorThings unitOfMeasurement.name); a symbol not listed is its own name.
UNIT_NAMES = {
    "MPa": "兆帕", "kPa": "千帕", "Pa": "帕", "m": "米", "cm": "厘米", "mm": "毫米", "%LEL": "爆炸下限百分比",
    "%VOL": "体积百分比", "ppm": "百万分率", "°": "度", "℃": "摄氏度", "%RH": "相对湿度百分比", "m³/h": "立方米每小时",
    "L/s": "升每秒", "m/s": "米每秒", "mg/L": "毫克每升", "NTU": "散射浊度单位", "mm/h": "毫米每小时", "V": "伏", "A": "安",
    "Hz": "赫兹", "g": "重力加速度", "dB": "分贝", "kN": "千牛", "με": "微应变",
}


@dataclass(frozen=True)
class Column:  # 导入列
    name: str  # Device field, or a file-only name
    header: str  # the Chinese header the template writes
    required: bool = False
    aliases: tuple[str, ...] = ()
    hint: str = ""


SYNC_FIELDS = ("sync_design", "sync_construction", "sync_acceptance", "sync_handover")
COLUMNS: list[Column] = [
    Column("code", "设备编码", True, ("设备编号", "编码", "编号"), "设备的唯一编码（网关上报时的用户名），已登记的编码按文件内容更新"),
    Column("name", "名称", True, ("设备名称",), "如：中原路调压箱出口压力计"),
    Column("device_type", "设备类型", False, (), "如：压力变送器、智能井盖、液位计"),
    Column("sector", "行业", True, (), "燃气、供水、排水、供热、桥梁、隧道、综合管廊、窨井盖、其他"),
    Column("district", "所在区", False, ("所在区县", "区县", "行政区"), "本市的区县名称；留空时取监测对象的所在区"),
    Column("asset", "监测对象编码", False, ("监测对象",), "已在“监测对象”中登记的编码（管段、桥梁、窨井……），可留空"),
    Column("lon", "经度", False, ("经度（WGS84）",), "WGS84 经度，如 113.625（与纬度同时填写）"),
    Column("lat", "纬度", False, ("纬度（WGS84）",), "WGS84 纬度，如 34.748"),
    Column("install_date", "安装日期", False, (), "如 2025-06-30，不晚于今天"),
    Column("sync_design", "同步设计", False, (), "四同步（河南省设备更新标准目录 序号7）：是/否"),
    Column("sync_construction", "同步施工", False, (), "是/否"),
    Column("sync_acceptance", "同步验收", False, (), "是/否"),
    Column("sync_handover", "同步交付使用", False, (), "是/否"),
    Column("status", "运维状态", False, ("状态",), "正常、维护中、故障、已停用；留空为正常"),
    Column("streams", "监测内容", False, ("数据流", "观测属性"),
           "设备测量的量及单位，写作 观测属性（单位），多项以“；”分隔，如：燃气管网压力（MPa）；甲烷浓度（%LEL）"),
    Column("sensor", "传感器型号", False, ("传感器",), "新增数据流的传感器型号；留空取设备类型"),
    Column("description", "描述", False, ("备注",), ""),
]
LABELS = {c.name: c.header for c in COLUMNS}
DEVICE_FIELDS = ("name", "device_type", "sector", "district", "asset", "location", "install_date", *SYNC_FIELDS, "status",
                 "description")


def normalise_header(text: Any) -> str:
    return re.sub(r"\s+", "", str(text or "")).replace("(", "（").replace(")", "）").lstrip("\ufeff").rstrip("*＊")


HEADER_INDEX = {normalise_header(h): c.name for c in COLUMNS for h in (c.header, c.name, *c.aliases)}


@dataclass
class DeviceImportReport(CountedImportReport):  # 设备导入报告
    streams_created: int = 0
    new_properties: list[str] = field(default_factory=list)  # 观测属性 the import creates

    def headline(self) -> str:
        text = self.counts_headline(f"感知设备 {self.source}".strip(), unit="台")
        if not self.ok:
            return text + "。"
        text += f"；新增数据流 {self.streams_created} 个"
        if self.new_properties:
            text += f"；新增观测属性：{'、'.join(self.new_properties)}"
        return text + "。"

    def as_dict(self) -> dict[str, Any]:
        return {"source": self.source, "ok": self.ok, "dry_run": self.dry_run, "written": self.written, "rows": self.rows,
                "created": self.created, "updated": self.updated, "unchanged": self.unchanged,
                "streams_created": self.streams_created, "new_properties": self.new_properties,
                "error_count": self.error_count, "errors": [str(e) for e in self.errors]}


@dataclass
class _Row:
    no: int
    code: str
    values: dict[str, Any]  # Device field → value, only the columns the file has
    streams: list[tuple[str, str]] | None  # (observed property, unit symbol); None: the cell is absent or empty
    sensor: str
    device: Device | None = None  # the registered device of this code
    changes: dict[str, Any] = field(default_factory=dict)
    new_streams: list[tuple[str, str]] = field(default_factory=list)


# --- cells -----------------------------------------------------------------------------------------


def _choice(text: str, choices: type) -> str | None:
    by = {str(label): value for value, label in choices.choices} | {v: v for v in choices.values}
    return by.get(text)


def _date(text: str) -> dt.date | None:
    t = (text.replace("年", "-").replace("月", "-").replace("日", "").replace("/", "-").replace(".", "-")
         .split(" ")[0].split("T")[0])
    try:
        return dt.date.fromisoformat("-".join(p.zfill(2) for p in t.split("-")))
    except ValueError:
        return None


def _number(text: str) -> float | None:
    try:
        v = float(text.replace("，", "").replace(",", ""))
    except ValueError:
        return None
    return v if math.isfinite(v) else None


def _in_china(lon: float, lat: float) -> bool:
    from cityrenew.engine.crs import in_china

    return bool(in_china(lon, lat))


def parse_streams(text: str) -> tuple[list[tuple[str, str]], list[str]]:
    """``燃气管网压力（MPa）；甲烷浓度（%LEL）`` → [(property, unit)], and the problems in Chinese."""
    out: list[tuple[str, str]] = []
    problems: list[str] = []
    seen: dict[str, str] = {}
    for item in (p.strip() for p in STREAM_SPLIT.split(text)):
        if not item:
            continue
        m = STREAM_ITEM.match(item)
        if m is None:
            problems.append(f"“{item}”缺少单位：应写作 观测属性（单位），如 燃气管网压力（MPa）")
            continue
        prop, unit = m["prop"].strip(), m["unit"].strip()
        if len(prop) > 200 or len(unit) > 32:
            problems.append(f"“{item[:40]}”过长：观测属性不超过 200 字，单位不超过 32 字")
            continue
        if prop in seen:
            problems.append(f"观测属性“{prop}”重复列出")
            continue
        seen[prop] = unit
        out.append((prop, unit))
    return out, problems


def streams_text(streams: list[tuple[str, str]]) -> str:
    """The 「监测内容」 cell of an export: the inverse of :func:`parse_streams`."""
    return "；".join(f"{prop}（{unit}）" for prop, unit in streams)


# --- the import ------------------------------------------------------------------------------------


class _Lookups:
    """The registry the rows are checked against, read once: districts, assets, devices, units."""

    def __init__(self, codes: list[str], asset_codes: list[str], props: list[str]) -> None:
        city = default_city()
        districts = Region.objects.filter(level=RegionLevel.DISTRICT)
        if city is not None:
            districts = districts.filter(path__startswith=city.path)
        self.districts: dict[str, Region] = {}
        for r in districts.order_by("code"):
            for key in (r.code, *r.all_names()):
                self.districts.setdefault(key, r)
        self.district_names = list(dict.fromkeys(r.display_name for r in self.districts.values()))
        self.assets = {a.code: a for a in _in_chunks(MonitoredAsset.objects.select_related("district"), "code", asset_codes)}
        self.devices = {d.code: d for d in _in_chunks(Device.objects.select_related("district", "asset"), "code", codes)}
        self.device_units: dict[int, dict[str, str]] = {}  # device pk → {property name: unit}
        streams = Datastream.objects.values_list("device_id", "observed_property__name", "unit_symbol")
        for dev, prop, unit in _in_chunks(streams, "device__code", codes):
            self.device_units.setdefault(dev, {}).setdefault(prop, unit)
        self.props = {p.name: p for p in _in_chunks(ObservedProperty.objects, "name", props)}
        self.units: dict[str, set[str]] = {}  # property name → the units the platform uses for it
        for prop, unit in Datastream.objects.filter(observed_property__name__in=list(self.props)).values_list(
                "observed_property__name", "unit_symbol").distinct():
            self.units.setdefault(prop, set()).add(unit)
        for prop, unit in AlarmRule.objects.filter(observed_property__name__in=list(self.props)).values_list(
                "observed_property__name", "unit_symbol").distinct():
            self.units.setdefault(prop, set()).add(unit)


def _in_chunks(qs, field_name: str, values: list[str], size: int = 900):
    values = list(dict.fromkeys(v for v in values if v))
    for start in range(0, len(values), size):
        yield from qs.filter(**{f"{field_name}__in": values[start:start + size]})


def _header(table, report: DeviceImportReport) -> dict[int, str] | None:
    mapping: dict[int, str] = {}
    for i, h in enumerate(table.header):
        name = HEADER_INDEX.get(normalise_header(h))
        if name is not None and name not in mapping.values():
            mapping[i] = name
    missing = [c.header for c in COLUMNS if c.required and c.name not in mapping.values()]
    if missing:
        got = "、".join(h for h in table.header if h)[:120] or "（空）"
        report.error(table.header_row, "表头", f"缺少必需的列：{'、'.join(missing)}（第一行应为表头，实际为“{got}”）；请使用导入模板")
        return None
    return mapping


def _parse_row(no: int, cells: dict[str, str], look: _Lookups, report: DeviceImportReport, today: dt.date) -> _Row:
    err = lambda name, message: report.error(no, LABELS[name], message)  # noqa: E731
    values: dict[str, Any] = {}
    for c in COLUMNS:
        if c.required and c.name in cells and not cells[c.name]:
            err(c.name, "必填，不能为空")
    code = cells.get("code", "")
    for name, limit in (("code", 64), ("name", 200), ("device_type", 100)):
        if len(cells.get(name, "")) > limit:
            err(name, f"超过 {limit} 个字")
    for name in ("name", "device_type", "description"):
        if name in cells:
            values[name] = cells[name]
    if cells.get("sector"):
        values["sector"] = _choice(cells["sector"], Sector)
        if values["sector"] is None:
            err("sector", f"未知的行业“{cells['sector']}”，应为：{'、'.join(str(x) for x in Sector.labels)}")
    if "status" in cells:
        values["status"] = _choice(cells["status"], DeviceStatus) if cells["status"] else DeviceStatus.NORMAL
        if values["status"] is None:
            err("status", f"未知的运维状态“{cells['status']}”，应为：{'、'.join(str(x) for x in DeviceStatus.labels)}")
    asset = None
    if cells.get("asset"):
        asset = look.assets.get(cells["asset"])
        if asset is None:
            err("asset", f"未登记的监测对象编码“{cells['asset']}”：请先在“监测对象”中登记，或留空")
    if "asset" in cells:
        values["asset"] = asset
    district = None
    if cells.get("district"):
        district = look.districts.get(cells["district"])
        if district is None:
            examples = "、".join(look.district_names[:6])
            err("district", f"未知的区“{cells['district']}”：应为本市的区县名称" + (f"，如 {examples}" if examples else
                                                                          "（尚未加载行政区划：cityrenew regions load）"))
    elif asset is not None and asset.district_id:
        district = asset.district
    if district is not None and asset is not None and asset.district_id and asset.district_id != district.pk:
        err("district", f"监测对象“{asset.code}”在{asset.district.display_name}，与所在区“{district.display_name}”不一致")
    if district is not None:
        values["district"] = district
    elif not cells.get("district") and code not in look.devices:  # an update keeps its registered district
        err("district", "必填：请填写所在区（或填写已登记所在区的监测对象编码）")
    lon_t, lat_t = cells.get("lon", ""), cells.get("lat", "")
    if lon_t or lat_t:
        lon, lat = _number(lon_t) if lon_t else None, _number(lat_t) if lat_t else None
        if not lon_t or not lat_t:
            err("lat" if lon_t else "lon", "经度和纬度须同时填写或同时留空")
        elif lon is None:
            err("lon", f"不是有效的数字（实际为“{lon_t}”）")
        elif lat is None:
            err("lat", f"不是有效的数字（实际为“{lat_t}”）")
        elif abs(lon) <= 180 and abs(lat) <= 90 and _in_china(lon, lat):
            values["location"] = Point(lon, lat, srid=4326)
        elif abs(lat) <= 180 and abs(lon) <= 90 and _in_china(lat, lon):
            err("lon", f"经度和纬度似乎填反了（经度 {lon_t}，纬度 {lat_t}；郑州约为经度 113.6、纬度 34.7），请交换后重新导入")
        else:
            err("lon", f"坐标（经度 {lon_t}，纬度 {lat_t}）不在中国境内：应为 WGS84 经纬度（度），"
                       "不是投影坐标或其他坐标系")
    elif "lon" in cells or "lat" in cells:
        values["location"] = None
    if "install_date" in cells:
        values["install_date"] = None
        if cells["install_date"]:
            d = _date(cells["install_date"])
            if d is None:
                err("install_date", f"不是有效的日期（实际为“{cells['install_date']}”），应如 2025-06-30")
            elif d > today:
                err("install_date", f"{d.isoformat()} 晚于今天（{today.isoformat()}），请核对")
            else:
                values["install_date"] = d
    for name in SYNC_FIELDS:
        if name in cells:
            t = cells[name]
            values[name] = True if t in TRUE else False if (t in FALSE or not t) else None
            if values[name] is None:
                err(name, f"应填“是”或“否”（实际为“{t}”）")
    streams = None
    if cells.get("streams"):
        streams, problems = parse_streams(cells["streams"])
        for p in problems:
            err("streams", p)
    sensor = (cells.get("sensor") or cells.get("device_type") or DEFAULT_SENSOR)[:200]
    return _Row(no, code, values, streams, sensor)


def _check_units(row: _Row, look: _Lookups, report: DeviceImportReport, file_units: dict[str, tuple[str, int]]) -> None:
    """Each datastream's unit against the device's own datastreams and the platform's units for the property."""
    have = look.device_units.get(row.device.pk, {}) if row.device is not None else {}
    for prop, unit in row.streams or []:
        if prop in have:
            if have[prop] != unit:
                report.error(row.no, LABELS["streams"], f"设备已有“{prop}”数据流（单位 {have[prop]}），导入不能更改其单位"
                                                        f"（已存读数按原单位保存）；请改为 {have[prop]} 或另建设备")
            continue
        known = look.units.get(prop)
        if known and unit not in known:
            report.error(row.no, LABELS["streams"],
                         f"单位“{unit}”与观测属性“{prop}”在本平台使用的单位（{'、'.join(sorted(known))}）不一致："
                         f"报警规则按该单位判定，请换算为 {'、'.join(sorted(known))}")
            continue
        if prop in file_units and file_units[prop][0] != unit and not known:
            first_unit, first_no = file_units[prop]
            report.error(row.no, LABELS["streams"], f"单位“{unit}”与第 {first_no} 行同一观测属性“{prop}”的单位“{first_unit}”不一致")
            continue
        file_units.setdefault(prop, (unit, row.no))
        row.new_streams.append((prop, unit))


def _same(device: Device, name: str, value: Any) -> bool:
    if name == "location":
        current = device.location
        if current is None or value is None:
            return current is None and value is None
        return abs(current.x - value.x) < 1e-7 and abs(current.y - value.y) < 1e-7
    if name in ("district", "asset"):
        return getattr(device, f"{name}_id") == (value.pk if value is not None else None)
    return getattr(device, name) == value


def _check_permission(row: _Row, user: Any, allowed: set[int] | None, city_level: bool, report: DeviceImportReport) -> None:
    """The region scope (the row's district and, for an update, the registered one) and the field rules."""
    if user is None:
        return
    if row.device is not None and allowed is not None:
        if row.device.district_id is None and not city_level:
            report.error(row.no, LABELS["code"], f"设备“{row.code}”未登记所在区，只有市级管理员可以修改")
            return
        if row.device.district_id is not None and row.device.district_id not in allowed:
            report.error(row.no, LABELS["code"],
                         f"设备“{row.code}”登记在{row.device.district.display_name}，超出您的授权区划范围，不能修改")
            return
    district = row.values.get("district")
    if district is not None and allowed is not None and district.pk not in allowed:
        report.error(row.no, LABELS["district"], f"“{district.display_name}”超出您的授权区划范围，不能导入该区的设备")
        return
    fields = set(row.changes) if row.device is not None else set(row.values) | {"code"}
    for name in sorted(fields - writable_fields(user, Device, row.device)):  # 「运维状态」您的角色（…）不能修改。
        label = LABELS.get("lon" if name == "location" else name, name)
        why = refusal_message(user, Device, [name], row.device).rstrip("。")
        report.error(row.no, label, re.sub(r"^「[^」]*」", "", why))
    if row.new_streams and not {"device", "observed_property", "unit_symbol"} <= writable_fields(user, Datastream):
        why = refusal_message(user, Datastream, ["device"]).rstrip("。")
        report.error(row.no, LABELS["streams"], "不能新增数据流：" + re.sub(r"^「[^」]*」", "", why))


def import_devices(file: Any, *, user: Any = None, dry_run: bool = False, name: str = "",
                   progress: Progress | None = None) -> DeviceImportReport:
    """Check ``file`` row by row and, unless ``dry_run`` or any problem, write it in one transaction.

    ``user`` None (the command line run by the server's operator) writes without a region limit."""
    progress = progress or (lambda done, total, message: None)
    report = DeviceImportReport(dry_run=dry_run)
    try:
        table = read_rows(file, name)
    except TableFileError as exc:
        report.count_error(exc.error)
        return report
    report.source = table.name
    mapping = _header(table, report)
    if mapping is None:
        return report
    records = [(no, {key: (cells[i] if i < len(cells) else "") for i, key in mapping.items()}) for no, cells in table.rows]
    report.rows = len(records)
    if not records:
        report.error(table.header_row + 1, "文件", "文件中没有数据行（第 1 行为表头，从第 2 行起每台设备一行）")
        return report
    if user is not None and editable_region_ids(user) == set():
        report.error(0, "权限", "您的角色不能新建或修改感知设备（只读用户不能导入）")
        return report
    progress(0, report.rows, f"校验 {report.rows} 行")
    props = [p for _, c in records for p, _u in parse_streams(c.get("streams", ""))[0]]
    look = _Lookups([c.get("code", "") for _, c in records], [c.get("asset", "") for _, c in records], props)
    allowed = editable_region_ids(user) if user is not None else None
    city_level = is_city_level(user) if user is not None else True
    today = timezone.localdate()
    seen: dict[str, int] = {}
    file_units: dict[str, tuple[str, int]] = {}
    rows: list[_Row] = []
    for k, (no, cells) in enumerate(records, start=1):
        row = _parse_row(no, cells, look, report, today)
        if row.code:
            if row.code in seen:
                report.error(no, LABELS["code"], f"设备编码“{row.code}”与第 {seen[row.code]} 行重复")
            seen.setdefault(row.code, no)
            row.device = look.devices.get(row.code)
        _check_units(row, look, report, file_units)
        if row.device is not None:
            row.changes = {k2: v for k2, v in row.values.items() if not _same(row.device, k2, v)}
        _check_permission(row, user, allowed, city_level, report)
        rows.append(row)
        if k % 1000 == 0:
            progress(k, report.rows, f"已校验 {k} 行")
    if not report.ok:
        return report
    report.created = sum(1 for r in rows if r.device is None)
    report.updated = sum(1 for r in rows if r.device is not None and r.changes)
    report.unchanged = sum(1 for r in rows if r.device is not None and not r.changes and not r.new_streams)
    report.streams_created = sum(len(r.new_streams) for r in rows)
    report.new_properties = list(dict.fromkeys(p for r in rows for p, _u in r.new_streams if p not in look.props))
    if dry_run:
        return report
    progress(0, report.rows, "校验通过，正在写入数据库（一次提交）")
    try:
        with audit.actor(user, AuditSource.IMPORT, note=f"导入感知设备 {report.source}"[:300]), transaction.atomic():
            _write(rows, look, report, progress)
    except DatabaseError as exc:
        report.count_error(RowError(0, "文件", write_failed(exc)))
        return report
    report.written = True
    return report


def _write(rows: list[_Row], look: _Lookups, report: DeviceImportReport, progress: Progress) -> None:
    props = dict(look.props)
    sensors: dict[str, Sensor] = {}
    for k, row in enumerate(rows, start=1):
        device = row.device
        if device is None:
            device = Device(code=row.code, **row.values)
            device.save()
        elif row.changes:
            for name, value in row.changes.items():
                setattr(device, name, value)
            device.save()
        for prop, unit in row.new_streams:
            if prop not in props:
                props[prop] = ObservedProperty.objects.create(name=prop)
            if row.sensor not in sensors:
                sensors[row.sensor] = Sensor.objects.filter(name=row.sensor).order_by("pk").first() or \
                    Sensor.objects.create(name=row.sensor)
            Datastream.objects.create(name=prop, device=device, sensor=sensors[row.sensor], observed_property=props[prop],
                                      unit_symbol=unit, unit_name=UNIT_NAMES.get(unit, unit))
        if k % 500 == 0:
            progress(k, report.rows, f"已写入 {k} 行")
