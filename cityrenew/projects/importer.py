"""Import of the project library from CSV (UTF-8 with/without BOM, GBK) or Excel (xlsx).

The rules (see ``shared/STYLE.md`` "Errors and data safety"):

* **all or nothing** — every row is validated first; one bad row and nothing is written;
* **dry run** — the same validation and the same row-by-row report, nothing written;
* **idempotent** — re-importing the same file finds every project 不变 and writes nothing;
* a code that already exists with different content is an error unless ``update=True``; then each
  change is written to the audit log with its old and new value;
* errors are Chinese and name the row and the field: ``第 5 行「项目编号」：格式不正确……``.

Writes use bulk operations (100,000 rows in a few minutes on a laptop), and still leave one
:class:`~cityrenew.core.models.AuditLog` row per created or changed project, attributed to the user.
"""

from __future__ import annotations

import csv
import io
import math
import os
import re
import zipfile
from contextlib import nullcontext
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Iterable, Iterator

from django.contrib.contenttypes.models import ContentType
from django.db import DatabaseError, transaction
from django.db.models import Max
from django.contrib.gis.geos import GEOSGeometry
import numpy as np
import shapely

from cityrenew.core import geo
from cityrenew.core.geofiles import Bounds, city_bounds
from cityrenew.engine import crs as crsmod
from cityrenew.engine.crs import WGS84 as WGS84_CRS
from cityrenew.core.tabular import RowError, RowErrorReport, cell_text, read_upload, write_failed
from cityrenew.core.uploads import UploadLimitError
from cityrenew.core import audit
from cityrenew.core.choices import AuditAction, RegionLevel
from cityrenew.core.models import AuditLog, Region, RegionGroup
from cityrenew.core.fieldrules import is_city_level, refusal_message, value_refusals, writable_fields
from cityrenew.core.permissions import editable_region_ids
from cityrenew.core.regions import region_by_name, regions_not_loaded

from .choices import BATCH_TYPE_BY_LABEL, CATEGORY_ALIASES, BatchType, ChangeAction, ProjectCategory, ProjectStatus
from .models import PROJECT_CODE_RE, AdjustmentBatch, ProjectChange, RenewalProject, to_micro

ProjectDistrict = RenewalProject.districts.through

# Row statuses of the report
NEW, UNCHANGED, UPDATED, REMOVED, ERROR = "新增", "不变", "更新", "调出", "错误"

# Column → accepted header names (Chinese as the official tables print them, and the CSV's English names).
COLUMNS: dict[str, tuple[str, ...]] = {
    "seq": ("序号", "seq", "no"),
    "code": ("项目编号", "编号", "项目代码", "code"),
    "name": ("项目名称", "名称", "name"),
    "total_investment": ("项目总投资（亿元）", "项目总投资", "总投资（亿元）", "总投资", "total_investment_yi", "total_investment", "investment"),
    "district": ("区域", "所在区域", "区县", "所在区县", "district", "districts"),
    "region_group": ("片区分组", "区域分组", "分组", "region_group", "group"),
    "category": ("更新类型", "项目类型", "类型", "category"),
    "status": ("项目状态", "状态", "status"),
    "start_year": ("开工年份", "start_year"),
    "end_year": ("完工年份", "end_year"),
    # the project's location (optional): a point by lon/lat, or a point or an area as WKT / GeoJSON text,
    # in the file's declared coordinate system (``crs``; default WGS84)
    "lon": ("经度", "lon", "lng", "longitude", "x"),
    "lat": ("纬度", "lat", "latitude", "y"),
    "geometry": ("几何（WKT 或 GeoJSON）", "几何", "位置", "项目范围", "范围", "WKT", "GeoJSON", "geometry", "geom"),
}
REQUIRED = ("code", "name", "total_investment", "district")
LABELS = {
    "seq": "序号",
    "code": "项目编号",
    "name": "项目名称",
    "total_investment": "项目总投资（亿元）",
    "district": "区域",
    "region_group": "片区分组",
    "category": "更新类型",
    "status": "项目状态",
    "start_year": "开工年份",
    "end_year": "完工年份",
    "lon": "经度",
    "lat": "纬度",
    "geometry": "几何",
    "location": "位置",
    "location_source": "位置来源",
    "crs": "坐标系",
    "file": "文件",
    "header": "表头",
    "encoding": "文件编码",
    "batch": "调整批次",
}
MAX_NAME = RenewalProject._meta.get_field("name").max_length
MAX_DIGITS, DECIMALS = 18, 6  # total_investment DECIMAL(18, 6)
DISTRICT_SPLIT = re.compile(r"\s*[/／、,，;；]\s*")


def _norm_header(value: Any) -> str:
    text = re.sub(r"\s+", "", str(value or "")).replace("(", "（").replace(")", "）")
    return text.lower()


HEADER_INDEX = {_norm_header(name): key for key, names in COLUMNS.items() for name in names}


@dataclass
class RowResult:  # 每行的处理结果
    row: int
    code: str
    name: str
    status: str  # 新增 / 不变 / 更新 / 调出 / 错误
    messages: list[str] = field(default_factory=list)
    changes: dict[str, list[Any]] = field(default_factory=dict)


@dataclass
class ImportReport(RowErrorReport):  # 导入报告
    source: str = ""
    dry_run: bool = False
    batch: str = ""
    rows: list[RowResult] = field(default_factory=list)
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    created_investment: Decimal = Decimal("0")
    written: bool = False

    def error(self, row: int, field_key: str, message: str) -> None:
        self.add_error(RowError(row, LABELS.get(field_key, field_key), message))

    def headline(self) -> str:
        """The first line of :meth:`summary_text` (pages list the errors in a table of their own)."""
        return self.summary_text().split("\n", 1)[0]

    def summary_text(self) -> str:
        """The report in Chinese: a headline, then one line per error."""
        total = len(self.rows)
        if not self.ok:
            lines = [f"导入失败：共 {total} 行，发现 {len(self.errors)} 处错误，数据库未做任何修改。"]
            lines += [f"  {e}" for e in self.errors]
            return "\n".join(lines)
        head = "试导入（未写入）" if self.dry_run else "导入完成"
        parts = [f"新增 {self.created} 个", f"更新 {self.updated} 个", f"不变 {self.unchanged} 个"]
        if self.removed:
            parts.append(f"调出 {self.removed} 个")
        text = f"{head}：共 {total} 行，" + "，".join(parts) + "。"
        if self.created:
            text += f"新增项目总投资 {format(self.created_investment.normalize(), 'f')} 亿元。"
        if self.batch:
            text += f"调整批次：{self.batch}。"
        if self.created == self.updated == self.removed == 0:
            text += "文件内容与项目库一致，未做任何修改。"
        return text

    def row_report(self) -> str:
        """One line per row: 行号 编号 状态 说明."""
        out = []
        for r in self.rows:
            # an error row's messages are in the error list (summary_text), not repeated here
            msg = "" if r.status == ERROR else "；".join(r.messages)
            if r.changes and not msg:
                msg = "，".join(f"{LABELS.get(k, k)}：{v[0]} → {v[1]}" for k, v in r.changes.items())
            out.append(f"第 {r.row} 行 {r.code or '（无编号）'} {r.status}{('：' + msg) if msg else ''}")
        return "\n".join(out)

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "dry_run": self.dry_run,
            "batch": self.batch,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "removed": self.removed,
            "errors": [{"row": e.row, "field": e.field, "message": e.message, "text": str(e)} for e in self.errors],
            "rows": [{"row": r.row, "code": r.code, "status": r.status, "messages": r.messages} for r in self.rows],
            "summary": self.summary_text(),
        }


class ImportFileError(Exception):
    """The file as a whole cannot be read (encoding, corrupt xlsx, missing header)."""

    def __init__(self, field_key: str, message: str, row: int = 0):
        super().__init__(message)
        self.field_key, self.message, self.row = field_key, message, row


# --- reading ------------------------------------------------------------------------------------


def _read_bytes(path_or_file: Any) -> tuple[bytes, str]:
    """The file's bytes after the upload limits (size, rows, xlsx unpacked size), checked before parsing."""
    if isinstance(path_or_file, (str, os.PathLike)):
        p = Path(path_or_file)
        if not p.is_file():
            raise ImportFileError("file", f"文件不存在：{p}")
        name = p.name
    else:
        name = getattr(path_or_file, "name", "") or ""
    try:
        return read_upload(path_or_file), name
    except UploadLimitError as exc:
        raise ImportFileError("file", exc.message) from None


def _decode_csv(data: bytes) -> str:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as utf8_exc:
        try:
            text = data.decode("gbk")
        except UnicodeDecodeError:
            line = data[: utf8_exc.start].count(b"\n") + 1
            raise ImportFileError(
                "encoding",
                f"无法识别的文件编码（第 {line} 行附近有既不是 UTF-8 也不是 GBK 的字节）；请将 CSV 另存为 UTF-8 或 GBK 编码后重新导入",
                row=line,
            ) from None
    if "\x00" in text:
        raise ImportFileError(
            "encoding", "文件含有空字符，疑似 UTF-16 等不支持的编码；请将 CSV 另存为 UTF-8 或 GBK 编码后重新导入"
        )
    return text


def _cell(value: Any) -> Any:
    if isinstance(value, str):
        return value.strip()
    return value


def _csv_rows(data: bytes) -> Iterator[tuple[int, list[Any]]]:
    text = _decode_csv(data)
    reader = csv.reader(io.StringIO(text, newline=""))
    start = 1
    try:
        for row in reader:
            yield start, [_cell(v) for v in row]
            start = reader.line_num + 1
    except csv.Error as exc:
        raise ImportFileError("file", f"CSV 格式错误（第 {reader.line_num} 行）：{exc}", row=reader.line_num) from None


def _xlsx_rows(data: bytes) -> Iterator[tuple[int, list[Any]]]:
    from openpyxl import load_workbook

    try:
        wb = load_workbook(io.BytesIO(data), read_only=False, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, EOFError, ValueError, TypeError) as exc:
        raise ImportFileError(
            "file", f"Excel 文件已损坏或不完整，无法读取（{type(exc).__name__}）；请重新保存或重新下载后再导入"
        ) from None
    except Exception as exc:  # openpyxl raises many kinds of errors on damaged files
        raise ImportFileError("file", f"Excel 文件无法读取（{type(exc).__name__}: {exc}）") from None
    ws = wb.worksheets[0]
    # merged cells (the official layout merges 区域 / 区域总投资 per district): fill the block down
    fills: dict[tuple[int, int], Any] = {}
    for rng in ws.merged_cells.ranges:
        if rng.min_col == rng.max_col and rng.max_row > rng.min_row:
            top = ws.cell(rng.min_row, rng.min_col).value
            for r in range(rng.min_row + 1, rng.max_row + 1):
                fills[(r, rng.min_col)] = top
    for r_idx, row in enumerate(ws.iter_rows(values_only=True), start=1):
        values = [fills.get((r_idx, c), v) for c, v in enumerate(row, start=1)]
        yield r_idx, [_cell(v) for v in values]


def _is_xlsx(data: bytes, name: str) -> bool:
    return data[:4] == b"PK\x03\x04" or name.lower().endswith((".xlsx", ".xlsm"))


def read_table(path_or_file: Any) -> tuple[str, list[tuple[int, dict[str, Any]]], set[str]]:
    """Read the file into ``[(row_number, {column: value})]``; returns (name, rows, columns present)."""
    data, name = _read_bytes(path_or_file)
    if not data.strip():
        raise ImportFileError("file", "文件为空")
    rows_iter = _xlsx_rows(data) if _is_xlsx(data, name) else _csv_rows(data)
    header: dict[int, str] | None = None
    out: list[tuple[int, dict[str, Any]]] = []
    seen_rows = 0
    for row_no, values in rows_iter:
        if header is None:
            seen_rows += 1
            mapping = {i: HEADER_INDEX[_norm_header(v)] for i, v in enumerate(values) if _norm_header(v) in HEADER_INDEX}
            if "code" in mapping.values():
                missing = [LABELS[k] for k in REQUIRED if k not in mapping.values()]
                if missing:
                    raise ImportFileError("header", f"缺少必需的列：{'、'.join(missing)}", row=row_no)
                header = {}
                for i, key in mapping.items():
                    header.setdefault(i, key) if key not in header.values() else None
                continue
            if seen_rows >= 10 or (not _is_xlsx(data, name) and any(v not in (None, "") for v in values)):
                got = "、".join(str(v) for v in values if v not in (None, "")) or "（空）"
                raise ImportFileError(
                    "header",
                    f"找不到表头：应包含“序号、项目编号、项目名称、项目总投资（亿元）、区域”等列，实际为“{got[:120]}”",
                    row=row_no,
                )
            continue
        if all(v in (None, "") for v in values):
            continue
        record = {key: (values[i] if i < len(values) else None) for i, key in header.items()}
        if all(record.get(k) in (None, "") for k in REQUIRED):
            continue  # a banner, subtotal or 合计 row of the official layout: no project in it
        out.append((row_no, record))
    if header is None:
        raise ImportFileError("header", "找不到表头：文件中没有“项目编号”列")
    return name, out, set(header.values())


# --- validating ---------------------------------------------------------------------------------


def _decimal(v: Any) -> Decimal:
    if isinstance(v, bool):
        raise InvalidOperation
    if isinstance(v, int):
        return Decimal(v)
    if isinstance(v, float):
        return Decimal(repr(v))
    return Decimal(cell_text(v).replace(",", "").replace("，", ""))


def _int_or_none(v: Any) -> int | None:
    t = cell_text(v)
    if not t:
        return None
    return int(Decimal(t)) if Decimal(t) == Decimal(t).to_integral_value() else int("x")


_CATEGORY = {**CATEGORY_ALIASES, **{v: v for v, _ in ProjectCategory.choices}, **{lbl: v for v, lbl in ProjectCategory.choices}}
_STATUS = {**{v: v for v, _ in ProjectStatus.choices}, **{lbl: v for v, lbl in ProjectStatus.choices}}


@dataclass
class _Parsed:
    row: int
    code: str
    name: str
    investment: Decimal
    districts: list[Region]
    group: RegionGroup | None
    city: Region | None
    seq: int | None
    extra: dict[str, Any]


class _Resolver:
    """Region and group look-ups, memoised (a 100,000-row file names a few dozen districts)."""

    def __init__(self, city: Region | None, crs: str = WGS84_CRS, bounds: Bounds | None = None):
        self.city = city
        self.crs, self.bounds = crs, bounds
        self._districts_at: dict[str, Region | None] = {}
        self._regions: dict[str, Region | None] = {}
        self._city_of: dict[int, Region | None] = {}
        self._groups: dict[tuple[int | None, str], RegionGroup | None] = {}
        self._group_by_id: dict[int, RegionGroup] = {}

    def region(self, name: str) -> Region | None:
        if name not in self._regions:
            self._regions[name] = region_by_name(name, within=self.city)
        return self._regions[name]

    def city_of(self, region: Region) -> Region | None:
        if region.pk not in self._city_of:
            self._city_of[region.pk] = region if region.level == RegionLevel.CITY else region.city()
        return self._city_of[region.pk]

    def group(self, city: Region | None, name: str) -> RegionGroup | None:
        key = (city.pk if city else None, name)
        if key not in self._groups:
            qs = RegionGroup.objects.filter(name=name)
            if city is not None:
                qs = qs.filter(city=city)
            self._groups[key] = qs.first()
        return self._groups[key]

    def district_at(self, geom: Any) -> Region | None:
        """The district whose boundary holds ``geom`` (a point, or an area's interior point)."""
        from cityrenew.map.spatial import region_at

        pt = geom if geom.geom_type == "Point" else geom.point_on_surface
        key = pt.wkt
        if key not in self._districts_at:
            self._districts_at[key] = region_at(pt, RegionLevel.DISTRICT, zones=True)
        return self._districts_at[key]

    def location_source(self, raw: dict[str, Any]) -> str:
        how = "经纬度" if cell_text(raw.get("lon")) else "几何（WKT/GeoJSON）"
        return f"项目导入：{how}，坐标系 {self.crs}"[:200]

    def group_by_id(self, pk: int | None) -> RegionGroup | None:
        if pk is None:
            return None
        if pk not in self._group_by_id:
            self._group_by_id[pk] = RegionGroup.objects.get(pk=pk)
        return self._group_by_id[pk]


def _coordinate(v: Any) -> float:
    if isinstance(v, bool):
        raise ValueError
    value = float(cell_text(v).replace("，", "").replace(",", ""))
    if not math.isfinite(value):
        raise ValueError
    return value


def _parse_location(row_no: int, raw: dict[str, Any], res: _Resolver, report: ImportReport) -> Any:
    """The row's location as a checked WGS84 GEOS geometry, from 经度/纬度 or a WKT/GeoJSON 几何 cell
    in the file's declared CRS; None when the row gives none (errors reported on ``report``)."""
    lon_t, lat_t, geom_t = cell_text(raw.get("lon")), cell_text(raw.get("lat")), cell_text(raw.get("geometry"))
    if not (lon_t or lat_t or geom_t):
        return None
    if geom_t and (lon_t or lat_t):
        report.error(row_no, "geometry", "经纬度和几何只能填写一种：点位填经度、纬度，范围（面）填几何")
        return None
    if geom_t:
        try:
            shape = shapely.from_geojson(geom_t) if geom_t.startswith("{") else shapely.from_wkt(geom_t)
        except (shapely.errors.GEOSException, ValueError, TypeError):
            report.error(row_no, "geometry", f"无法解析：应为 WKT（如 POINT(113.62 34.75)）或 GeoJSON（如 {{\"type\": \"Point\", "
                                             f"\"coordinates\": [113.62, 34.75]}}），实际为“{geom_t[:60]}”")
            return None
        if shape is None or shape.is_empty:
            report.error(row_no, "geometry", "几何为空")
            return None
        kind, field_key = shape.geom_type, "geometry"
        if kind not in ("Point", "MultiPoint", "Polygon", "MultiPolygon"):
            report.error(row_no, "geometry", f"项目位置应为点或面（范围），实际为 {kind}")
            return None
    else:
        field_key = "lon"
        if not lon_t or not lat_t:
            missing = "lat" if lon_t else "lon"
            report.error(row_no, missing, "经度和纬度需同时填写")
            return None
        try:
            x = _coordinate(raw.get("lon"))
        except ValueError:
            report.error(row_no, "lon", f"不是有效的数字，实际为“{lon_t}”")
            return None
        try:
            y = _coordinate(raw.get("lat"))
        except ValueError:
            report.error(row_no, "lat", f"不是有效的数字，实际为“{lat_t}”")
            return None
        shape = shapely.Point(x, y)
    try:
        wgs = shape if res.crs in (WGS84_CRS, crsmod.CGCS2000) else shapely.transform(
            shape, lambda xy: np.column_stack(crsmod.to_lonlat(xy[:, 0], xy[:, 1], res.crs)))
        checked = geo.check(GEOSGeometry(memoryview(shapely.to_wkb(shapely.force_2d(wgs))), srid=geo.WGS84),
                            polygonal=wgs.geom_type in geo.POLYGONAL, bounds=res.bounds)
    except geo.GeometryError as exc:
        message = str(exc)
        if shape.geom_type == "Point" and res.bounds is not None and _inside(res.bounds, shape.y, shape.x):
            message = "经度和纬度似乎填反了（经度如 113.6，纬度如 34.7），请交换后重新导入"
        report.error(row_no, field_key, message)
        return None
    if checked is None:
        return None
    return checked.geometry


def _inside(bounds: Bounds, x: float, y: float) -> bool:
    return bounds[0] <= x <= bounds[2] and bounds[1] <= y <= bounds[3]


def _parse_row(row_no: int, raw: dict[str, Any], res: _Resolver, report: ImportReport) -> _Parsed | None:
    n_errors = len(report.errors)
    code = cell_text(raw.get("code"))
    if not code:
        report.error(row_no, "code", "不能为空")
    elif not PROJECT_CODE_RE.match(code):
        report.error(row_no, "code", f"格式不正确，应为 K+年份+批次+序号（如 K202201001），实际为“{code}”")

    name = cell_text(raw.get("name"))
    if not name:
        report.error(row_no, "name", "不能为空")
    elif len(name) > MAX_NAME:
        report.error(row_no, "name", f"过长：最多 {MAX_NAME} 个字，实际 {len(name)} 个字")

    investment = Decimal("0")
    inv_raw = raw.get("total_investment")
    if cell_text(inv_raw) == "":
        report.error(row_no, "total_investment", "不能为空")
    else:
        try:
            investment = _decimal(inv_raw)
            if not investment.is_finite():
                raise InvalidOperation
        except (InvalidOperation, ValueError):
            report.error(row_no, "total_investment", f"不是有效的数字，实际为“{cell_text(inv_raw)}”")
        else:
            exp = investment.as_tuple().exponent
            if investment < 0:
                report.error(row_no, "total_investment", f"不能为负数，实际为“{cell_text(inv_raw)}”")
            elif isinstance(exp, int) and -exp > DECIMALS and investment != investment.quantize(Decimal(1).scaleb(-DECIMALS)):
                report.error(row_no, "total_investment", f"最多保留 {DECIMALS} 位小数，实际为“{cell_text(inv_raw)}”")
            elif investment >= Decimal(10) ** (MAX_DIGITS - DECIMALS):
                report.error(row_no, "total_investment", f"数值过大，实际为“{cell_text(inv_raw)}”")

    location = _parse_location(row_no, raw, res, report)

    districts: list[Region] = []
    d_raw = cell_text(raw.get("district"))
    if not d_raw and location is not None:
        # no 区域 given but a location: the district whose boundary holds it (the point, or an area's interior point)
        region = res.district_at(location)
        if region is None:
            report.error(row_no, "district", "未填写，且该位置不在任何已有边界的区县内，无法自动确定；请填写区域")
        else:
            districts.append(region)
    elif not d_raw:
        report.error(row_no, "district", "不能为空")
    else:
        for part in [p for p in DISTRICT_SPLIT.split(d_raw) if p]:
            region = res.region(part)
            if region is None:
                where = f"（{res.city.display_name}）" if res.city is not None else ""
                report.error(row_no, "district", f"未知区域“{part}”{where}，请填写行政区划名称，如 中原区、管城区，多个区域用“/”分隔")
            elif region in districts:
                report.error(row_no, "district", f"区域“{part}”重复填写")
            else:
                districts.append(region)

    city = res.city
    if districts and city is None:
        cities = {res.city_of(d) for d in districts}
        if len(cities) > 1:
            report.error(row_no, "district", f"所填区域“{d_raw}”属于不同城市")
        city = next(iter(cities))

    group = None
    derived = next((res.group_by_id(d.group_id) for d in districts if d.group_id), None)
    g_raw = cell_text(raw.get("region_group"))
    if g_raw:
        group = res.group(city, g_raw)
        if group is None:
            report.error(row_no, "region_group", f"未知片区分组“{g_raw}”")
        elif len(districts) == 1 and derived is not None and derived.pk != group.pk:
            report.error(row_no, "region_group", f"“{g_raw}”与区域“{districts[0].display_name}”所属分组“{derived.name}”不一致")
    else:
        group = derived

    seq = None
    try:
        seq = _int_or_none(raw.get("seq"))
        if seq is not None and seq < 0:
            raise ValueError
    except (ValueError, InvalidOperation):
        report.error(row_no, "seq", f"应为正整数，实际为“{cell_text(raw.get('seq'))}”")

    extra: dict[str, Any] = {}
    for key, table in (("category", _CATEGORY), ("status", _STATUS)):
        t = cell_text(raw.get(key))
        if t:
            if t not in table:
                allowed = "、".join(lbl for _, lbl in (ProjectCategory.choices if key == "category" else ProjectStatus.choices))
                report.error(row_no, key, f"未知取值“{t}”，可选：{allowed}")
            else:
                extra[key] = table[t]
    for key in ("start_year", "end_year"):
        try:
            y = _int_or_none(raw.get(key))
        except (ValueError, InvalidOperation):
            report.error(row_no, key, f"应为四位年份，实际为“{cell_text(raw.get(key))}”")
            continue
        if y is not None:
            if not 1900 <= y <= 2100:
                report.error(row_no, key, f"应为四位年份，实际为“{y}”")
            else:
                extra[key] = y
    if extra.get("start_year") and extra.get("end_year") and extra["end_year"] < extra["start_year"]:
        report.error(row_no, "end_year", "完工年份不能早于开工年份")
    if location is not None:
        extra["location"] = location
        extra["location_source"] = res.location_source(raw)

    if len(report.errors) > n_errors:
        return None
    return _Parsed(row_no, code, name, investment, districts, group, city, seq, extra)


def _diff(p: _Parsed, obj: RenewalProject, district_ids: set[int], with_seq: bool) -> dict[str, list[Any]]:
    d: dict[str, list[Any]] = {}
    if obj.name != p.name:
        d["name"] = [obj.name, p.name]
    if Decimal(obj.total_investment) != p.investment:
        d["total_investment"] = [obj.total_investment, p.investment]
    if district_ids != {r.pk for r in p.districts}:
        d["districts"] = [sorted(district_ids), [r.pk for r in p.districts]]
    if p.group is not None and obj.region_group_id != p.group.pk:
        d["region_group"] = [obj.region_group_id, p.group.pk]
    for key, value in p.extra.items():
        if getattr(obj, key) != value:
            d[key] = [getattr(obj, key), value]
    if with_seq and p.seq is not None and obj.seq != p.seq:
        d["seq"] = [obj.seq, p.seq]
    return d


def _region_names(ids: Iterable[int]) -> list[str]:
    regions = Region.objects.filter(pk__in=list(ids))
    return [r.display_name for r in sorted(regions, key=lambda r: (r.order, r.code))]


# --- the import ---------------------------------------------------------------------------------


def import_projects(
    path_or_file: Any,
    *,
    user: Any = None,
    batch_no: str | None = None,
    batch_type: str | None = None,
    batch_date: Any = None,
    batch_title: str = "",
    dry_run: bool = False,
    update: bool = False,
    city: Region | None = None,
    crs: str | None = None,
    progress: Any = None,
) -> ImportReport:
    """Import projects from a CSV or xlsx file; see the module docstring for the rules.

    ``batch_no`` (文号, e.g. ``郑建文〔2025〕45号``) records the import as an adjustment batch of
    ``batch_type`` (value or Chinese label: 初始入库 / 新增入库 / 调整 / 调出; default 新增入库);
    new projects are attached to it. With 调出 every row names an existing project to remove.
    ``user`` is the actor written to the audit log (and whose region scope is checked).
    ``progress(done, total, message)`` is called while rows are validated and before the write
    (a background job's ``Job.progress`` or the command line's progress bar).
    ``crs`` is the coordinate system of the optional 经度/纬度 and 几何 (WKT/GeoJSON) columns: WGS84
    (default), CGCS2000, a Gauss-Krüger zone (EPSG:4513–4554) or any EPSG code, GCJ-02 (高德/腾讯).
    A location outside the city (the boundaries stored under ``city``) is refused; a row with a
    location and no 区域 gets the district whose boundary holds it.
    """
    report = ImportReport(dry_run=dry_run, batch=batch_no or "")
    try:
        src_crs = crsmod.parse_crs(crs) if crs else WGS84_CRS
    except crsmod.CRSInputError as exc:
        report.error(0, "crs", str(exc))
        return report
    btype = BatchType.ADD
    if batch_type:
        btype = BATCH_TYPE_BY_LABEL.get(batch_type, batch_type)
        if btype not in BatchType.values:
            report.error(0, "batch", f"未知调整类型“{batch_type}”，可选：{'、'.join(BatchType.labels)}")
            return report
    # Field-level write rules (cityrenew.projects.fieldrules), the same as on the pages and the API:
    # adjustment batches (入库 / 调出 / 调整 by 文号) are the 市级管理员's workflow.
    restricted = user is not None and not is_city_level(user)
    if restricted and (batch_no or btype == BatchType.REMOVE):
        report.error(0, "batch", "调整批次（文号）和调出只能由市级管理员登记；区级编辑导入时请不要填写批次文号或选择“调出”")
        return report
    try:
        report.source, raw_rows, columns = read_table(path_or_file)
    except ImportFileError as exc:
        report.errors.append(RowError(exc.row, LABELS.get(exc.field_key, exc.field_key), exc.message))
        return report

    if raw_rows and (missing := regions_not_loaded(city)):  # one message, not one per row
        report.error(0, "district", missing)
        return report

    needs_bounds = bool(columns & {"lon", "lat", "geometry"})
    res = _Resolver(city, src_crs, city_bounds(city) if needs_bounds else None)
    parsed: list[_Parsed] = []
    first_row_of: dict[str, int] = {}
    n_rows = len(raw_rows)
    for i, (row_no, raw) in enumerate(raw_rows):
        if progress is not None and i % 500 == 0:
            progress(i, n_rows, f"校验第 {i + 1}/{n_rows} 行")
        n = len(report.errors)
        p = _parse_row(row_no, raw, res, report)
        code = cell_text(raw.get("code"))
        if code and PROJECT_CODE_RE.match(code):
            if code in first_row_of:
                report.error(row_no, "code", f"项目编号“{code}”在文件中重复（与第 {first_row_of[code]} 行相同）")
                p = None
            else:
                first_row_of[code] = row_no
        result = RowResult(row_no, code, cell_text(raw.get("name")), ERROR if len(report.errors) > n else "")
        result.messages = [str(e) for e in report.errors[n:]]
        report.rows.append(result)
        if p is not None:
            parsed.append(p)
    if not raw_rows:
        report.error(0, "file", "文件中没有数据行")

    # existing projects with the same codes
    existing: dict[str, RenewalProject] = {}
    codes = [p.code for p in parsed]
    for i in range(0, len(codes), 5000):
        for obj in RenewalProject.objects.filter(code__in=codes[i : i + 5000]):
            existing[obj.code] = obj
    links: dict[int, set[int]] = {}
    ids = [o.pk for o in existing.values()]
    for i in range(0, len(ids), 5000):
        for pid, rid in ProjectDistrict.objects.filter(renewalproject_id__in=ids[i : i + 5000]).values_list(
            "renewalproject_id", "region_id"
        ):
            links.setdefault(pid, set()).add(rid)

    scope = editable_region_ids(user) if user is not None else None
    rows_by_no = {r.row: r for r in report.rows}
    to_create: list[_Parsed] = []
    to_update: list[tuple[_Parsed, RenewalProject, dict[str, list[Any]]]] = []
    to_remove: list[tuple[_Parsed, RenewalProject]] = []
    for p in parsed:
        result = rows_by_no[p.row]
        n = len(report.errors)
        obj = existing.get(p.code)
        if btype == BatchType.REMOVE:
            if obj is None:
                report.error(p.row, "code", f"项目 {p.code} 不在项目库中，无法调出")
            elif obj.removed_batch_id or obj.status == ProjectStatus.REMOVED:
                result.status = UNCHANGED
                result.messages.append("该项目已调出")
            else:
                if scope is not None and not links.get(obj.pk, set()) <= scope:
                    report.error(p.row, "district", f"无权调出项目 {p.code}：其所在区域超出您的编辑范围")
                else:
                    to_remove.append((p, obj))
                    result.status = REMOVED
        elif obj is None:
            refused = value_refusals(user, RenewalProject, p.extra) if restricted else {}
            if scope is not None and not {r.pk for r in p.districts} <= scope:
                outside = [r.display_name for r in p.districts if r.pk not in scope]
                report.error(p.row, "district", f"无权在区域“{'、'.join(outside)}”新建项目：超出您的编辑范围")
            elif refused:
                for key, why in refused.items():
                    report.error(p.row, key, why)
            else:
                to_create.append(p)
                result.status = NEW
        else:
            diff = _diff(p, obj, links.get(obj.pk, set()), with_seq=update)
            if not diff:
                result.status = UNCHANGED
            elif not update:
                fields = "、".join(LABELS.get(k, k) for k in diff)
                report.error(
                    p.row, "code", f"项目 {p.code} 已在项目库中，且{fields}与库中不同；如需修改请使用“更新”（--update）"
                )
            elif scope is not None and not (links.get(obj.pk, set()) | {r.pk for r in p.districts}) <= scope:
                report.error(p.row, "district", f"无权修改项目 {p.code}：其所在区域超出您的编辑范围")
            elif restricted and (denied := _not_writable(user, obj, diff)):
                report.error(p.row, denied[0], f"无权修改项目 {p.code}：" + refusal_message(user, RenewalProject, denied, obj))
            elif restricted and (value_refused := value_refusals(user, RenewalProject, {k: v[1] for k, v in diff.items()}, obj)):
                for key, why in value_refused.items():
                    report.error(p.row, key, f"无权修改项目 {p.code}：{why}")
            else:
                to_update.append((p, obj, diff))
                result.status = UPDATED
                result.changes = diff
        if len(report.errors) > n:
            result.status = ERROR
            result.messages += [str(e) for e in report.errors[n:]]

    report.created = len(to_create)
    report.updated = len(to_update)
    report.removed = len(to_remove)
    report.unchanged = sum(1 for r in report.rows if r.status == UNCHANGED)
    report.created_investment = sum((p.investment for p in to_create), Decimal("0"))
    if not report.ok or dry_run or not (to_create or to_update or to_remove):
        return report

    if progress is not None:
        progress(n_rows, n_rows, "校验通过，正在写入数据库（一次提交）")
    ctx = audit.actor(user, "import", note=f"导入 {report.source}"[:300]) if user is not None else nullcontext()
    new_status = ProjectStatus.PLANNING if restricted else ProjectStatus.LIBRARY  # 入库 is the batch's job
    try:
        with ctx, transaction.atomic():  # all or nothing: a failure half-way leaves the database as it was
            _write(report, to_create, to_update, to_remove, links, batch_no, btype, batch_date, batch_title, city, res,
                   new_status)
    except DatabaseError as exc:
        report.error(0, "file", write_failed(exc))
        return report
    report.written = True
    return report


def _not_writable(user: Any, obj: RenewalProject, diff: dict[str, Any]) -> list[str]:
    """The changed fields ``user`` may not write on ``obj`` (field rules), in the file's order."""
    allowed = writable_fields(user, RenewalProject, obj)
    return [k for k in diff if k not in allowed]


def _audit_rows(objs_changes: list[tuple[RenewalProject, str, dict[str, Any]]]) -> list[AuditLog]:
    ctx = audit.current()
    user = ctx.user if getattr(ctx.user, "is_authenticated", False) else None
    ct = ContentType.objects.get_for_model(RenewalProject)
    return [
        AuditLog(
            user=user,
            user_name=user.get_username() if user else "",
            source=ctx.source,
            request_id=ctx.request_id,
            action=action,
            content_type=ct,
            object_id=str(obj.pk),
            object_repr=str(obj)[:300],
            changes=audit.to_jsonable(changes),
            note=ctx.note[:300],
        )
        for obj, action, changes in objs_changes
    ]


def _write(report, to_create, to_update, to_remove, links, batch_no, btype, batch_date, batch_title, city, res,
           new_status=ProjectStatus.LIBRARY) -> None:
    some_city = city or next((p.city for p, *_ in to_update + to_remove), None) or next((p.city for p in to_create), None)
    batch = None
    if batch_no:
        batch = AdjustmentBatch.objects.filter(doc_number=batch_no).first()
        if batch is None:
            batch = AdjustmentBatch(
                city=some_city, doc_number=batch_no, batch_type=btype, date=batch_date, title=batch_title
            )
            batch.save()

    changes_journal: list[ProjectChange] = []
    if to_create:
        # 序号 of new projects: the file's own numbering into an empty library; otherwise they are
        # appended after the library's last 序号 in file order (so each district block keeps the
        # official order: later batches come at the end of their district, as in the official table).
        base_qs = RenewalProject.objects.all()
        if some_city is not None:
            base_qs = base_qs.filter(city=some_city)
        max_seq = base_qs.aggregate(m=Max("seq"))["m"]
        objs = []
        for k, p in enumerate(to_create, start=1):
            seq = p.seq if max_seq is None else max_seq + k
            objs.append(
                RenewalProject(
                    code=p.code,
                    name=p.name,
                    city=p.city,
                    region_group=p.group,
                    total_investment=p.investment,
                    investment_micro=to_micro(p.investment),
                    seq=seq,
                    batch=batch,
                    **{"status": new_status, **p.extra},
                )
            )
        created = RenewalProject.objects.bulk_create(objs, batch_size=1000)
        if any(o.pk is None for o in created):  # backends that do not return ids
            pk_of = dict(RenewalProject.objects.filter(code__in=[o.code for o in created]).values_list("code", "pk"))
            for o in created:
                o.pk = o.id = pk_of[o.code]
        ProjectDistrict.objects.bulk_create(
            [ProjectDistrict(renewalproject_id=o.pk, region_id=r.pk) for o, p in zip(created, to_create) for r in p.districts],
            batch_size=2000,
        )
        audit_rows = []
        for o, p in zip(created, to_create):
            snap = {k: [None, v] for k, v in o.audit_snapshot().items() if v not in (None, "")}
            snap["districts"] = [None, [r.display_name for r in p.districts]]
            audit_rows.append((o, AuditAction.CREATE, snap))
            if batch is not None:
                changes_journal.append(ProjectChange(batch=batch, project_id=o.pk, action=ChangeAction.ADDED))
        AuditLog.objects.bulk_create(_audit_rows(audit_rows), batch_size=2000)

    if to_update:
        fields: set[str] = set()
        audit_rows = []
        district_changes: list[tuple[RenewalProject, list[Region]]] = []
        for p, obj, diff in to_update:
            rec: dict[str, Any] = {}
            for key, (old, new) in diff.items():
                if key == "districts":
                    district_changes.append((obj, p.districts))
                    rec["districts"] = [_region_names(old), [r.display_name for r in p.districts]]
                    continue
                attr = {"region_group": "region_group_id"}.get(key, key)
                setattr(obj, attr, new)
                fields.add(attr)
                if key == "total_investment":
                    obj.investment_micro = to_micro(new)
                    fields.add("investment_micro")
                if key == "region_group":
                    rec[key] = [str(res.group_by_id(old) or ""), str(res.group_by_id(new) or "")]
                else:
                    rec[key] = [old, new]
            audit_rows.append((obj, AuditAction.UPDATE, rec))
            if batch is not None:
                changes_journal.append(
                    ProjectChange(batch=batch, project_id=obj.pk, action=ChangeAction.UPDATED, changes=audit.to_jsonable(rec))
                )
        if fields:
            fields.add("updated_at")
            from django.utils import timezone

            now = timezone.now()
            for _, obj, _ in to_update:
                obj.updated_at = now
            RenewalProject.objects.bulk_update([obj for _, obj, _ in to_update], sorted(fields), batch_size=1000)
        if district_changes:
            ProjectDistrict.objects.filter(renewalproject_id__in=[o.pk for o, _ in district_changes]).delete()
            ProjectDistrict.objects.bulk_create(
                [ProjectDistrict(renewalproject_id=o.pk, region_id=r.pk) for o, regs in district_changes for r in regs],
                batch_size=2000,
            )
        AuditLog.objects.bulk_create(_audit_rows(audit_rows), batch_size=2000)

    for p, obj in to_remove:
        obj.status = ProjectStatus.REMOVED
        obj.removed_batch = batch
        obj.save()  # audited by AuditedModel
        if batch is not None:
            changes_journal.append(ProjectChange(batch=batch, project_id=obj.pk, action=ChangeAction.REMOVED))
    if changes_journal:
        ProjectChange.objects.bulk_create(changes_journal, batch_size=2000)
