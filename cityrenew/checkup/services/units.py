"""Assessment units (体检单元) import: from Excel, and from geodata (GeoPackage, Shapefile with GBK
attributes, GeoJSON) in WGS84 / CGCS2000 (EPSG:4490, 3-degree Gauss-Krüger zones 4513–4554) /
GCJ-02, detected from the file or declared; stored as WGS84.

All-or-nothing: every row is checked first, errors name the row and column, and nothing is written
unless the whole file is right. Re-importing the same file changes nothing (rows match by 编码, or
by city + type + name + region when no code is given).
"""

from __future__ import annotations

import io
import math
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from django.db import DatabaseError, transaction
from openpyxl import load_workbook

from cityrenew.core import geo
from cityrenew.core.geofiles import SHAPEFILE_PARTS, feature_count
from cityrenew.core.tabular import RowError, RowErrorReport, check_rows, read_upload, write_failed
from cityrenew.core.uploads import UploadLimitError, check_upload
from cityrenew.core.audit import actor
from cityrenew.core.models import AuditLog, Region
from cityrenew.core.permissions import editable_region_ids
from cityrenew.core.regions import region_by_name, regions_not_loaded

from ..choices import UNIT_KIND_BY_LABEL, UnitKind
from ..models import AssessmentUnit
from .problems import LAT_RANGE, LON_RANGE

KIND_PREFIX = {UnitKind.BUILDING: "B", UnitKind.COMPOUND: "X", UnitKind.COMMUNITY: "C", UnitKind.BLOCK: "J", UnitKind.DISTRICT: "Q"}
ATTRIBUTE_KEYS = {"建成年代": "year_built", "建成年份": "year_built", "户数": "households", "人口": "population",
                  "层数": "floors", "建筑面积": "floor_area_m2", "楼栋数": "buildings"}
COLUMNS = {
    "code": ("编码", "单元编码", "code"),
    "name": ("名称", "单元名称", "name", "xqmc", "mc"),
    "kind": ("类型", "单元类型", "kind", "type", "lx"),
    "region": ("所在区划", "区划", "街道", "社区", "区县", "region"),
    "parent": ("上级单元", "上级", "parent"),
    "lon": ("经度", "lon", "lng", "longitude"),
    "lat": ("纬度", "lat", "latitude"),
}


class UnitImportError(Exception):
    pass


@dataclass
class UnitImportReport(RowErrorReport):  # 体检单元导入结果
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rows: int = 0
    crs: str = ""
    encoding: str = ""

    def error(self, row: int, fld: str, message: str) -> None:
        self.add_error(RowError(row, fld, message))

    def summary_text(self) -> str:
        if not self.ok:
            return "\n".join([f"导入失败：发现{len(self.errors)}处错误，未保存任何数据。"] + [f"  {e}" for e in self.errors])
        crs = f"（坐标系：{self.crs}，已转换为WGS84）" if self.crs else ""
        return f"导入完成：共{self.rows}行，新增{self.created}个，更新{self.updated}个，不变{self.unchanged}个{crs}。"


def _norm(h: Any) -> str:
    return str(h or "").strip().replace(" ", "").lower()


def _colmap(headers: list[str]) -> dict[str, str]:
    out = {}
    normed = {_norm(h): h for h in headers}
    for key, names in COLUMNS.items():
        for n in names:
            if _norm(n) in normed:
                out[key] = normed[_norm(n)]
                break
    return out


def _region_at_row(row: dict[str, Any]) -> Region | None:
    """The community, else street, else district whose boundary holds the row's lon/lat (None without one)."""
    from cityrenew.core.choices import RegionLevel
    from cityrenew.map.spatial import region_at

    try:
        lon, lat = _num(row.get("lon")), _num(row.get("lat"))
    except ValueError:
        return None  # reported with the row's other coordinate errors
    if lon is None or lat is None or not (LON_RANGE[0] <= lon <= LON_RANGE[1] and LAT_RANGE[0] <= lat <= LAT_RANGE[1]):
        return None
    for level in (RegionLevel.COMMUNITY, RegionLevel.STREET, RegionLevel.DISTRICT):
        if (found := region_at((lon, lat), level)) is not None:
            return found
    return None


def _num(v: Any) -> float | None:
    if v is None or (isinstance(v, str) and not v.strip()):
        return None
    try:
        f = float(str(v).strip())
    except ValueError:
        raise ValueError(f"“{v}”不是数字")
    if not math.isfinite(f):
        raise ValueError(f"“{v}”不是数字")
    return f


def _json_value(v: Any) -> Any:
    if v is None:
        return None
    if hasattr(v, "item"):
        v = v.item()
    if isinstance(v, float):
        if not math.isfinite(v):
            return None
        return int(v) if v.is_integer() else v
    if isinstance(v, (int, str, bool)):
        return v.strip() if isinstance(v, str) else v
    return str(v)


def _process(rows: list[tuple[int, dict[str, Any]]], city: Region, report: UnitImportReport, default_kind: str | None,
             default_region: Region | None, user: Any) -> UnitImportReport:
    """Check every row, then write all of them in one transaction (or nothing)."""
    if rows and (missing := regions_not_loaded(city)):  # one message, not one "unknown region" per row
        report.error(0, "所在区划", missing)
        return report
    planned: list[dict[str, Any]] = []
    codes_in_file: dict[str, int] = {}
    names_in_file: dict[str, dict[str, Any]] = {}
    for r, row in rows:
        report.rows += 1
        n_err = len(report.errors)
        name = str(row.get("name") or "").strip()
        if not name:
            report.error(r, "名称", "不能为空")
        kind_text = str(row.get("kind") or "").strip()
        kind = UNIT_KIND_BY_LABEL.get(kind_text) or (kind_text if kind_text in UnitKind.values else None)
        if kind is None:
            if kind_text or not default_kind:
                report.error(r, "类型", f"“{kind_text or '空'}”不是有效的体检单元类型，应为住房（楼栋）、小区、社区、街区或城区")
            else:
                kind = default_kind
        region_text = str(row.get("region") or "").strip()
        region = region_by_name(region_text, within=city) if region_text else default_region
        if region is None and not region_text:
            region = _region_at_row(row)  # 所在区划 left empty: the finest drawn region holding the unit's point
        if region is None:
            if region_text:
                report.error(r, "所在区划", f"“{region_text}”不在{city.display_name}的行政区划内")
            else:
                report.error(r, "所在区划", "不能为空")
        code = str(row.get("code") or "").strip()
        if code:
            if code in codes_in_file:
                report.error(r, "编码", f"与第{codes_in_file[code]}行重复")
            codes_in_file[code] = r
            other = AssessmentUnit.objects.filter(code=code).exclude(city=city).select_related("city").first()
            if other is not None:
                report.error(r, "编码", f"“{code}”已被{other.city.display_name}的体检单元“{other.name}”使用")
        try:
            lon, lat = _num(row.get("lon")), _num(row.get("lat"))
        except ValueError as exc:
            report.error(r, "经度/纬度", str(exc))
            lon = lat = None
        if (lon is None) != (lat is None):
            report.error(r, "经度/纬度", "经度和纬度须同时填写")
        elif lon is not None and not (LON_RANGE[0] <= lon <= LON_RANGE[1] and LAT_RANGE[0] <= lat <= LAT_RANGE[1]):
            report.error(r, "经度/纬度", f"坐标（{lon}, {lat}）不在中国范围内，请检查坐标系或经纬度是否填反")
        parent_text = str(row.get("parent") or "").strip()
        parent_ref = None
        if parent_text:
            parent_ref = parent_text
            if parent_text not in codes_in_file and parent_text not in names_in_file:
                exists = AssessmentUnit.objects.filter(city=city, code=parent_text).exists() or AssessmentUnit.objects.filter(city=city, name=parent_text).exists()
                if not exists:
                    report.error(r, "上级单元", f"“{parent_text}”不是{city.display_name}已有的体检单元，也不在本文件的前面几行中")
        if len(report.errors) > n_err:
            continue
        item = dict(row=r, code=code, name=name, kind=kind, region=region, parent=parent_ref, lon=lon, lat=lat,
                    geometry=row.get("geometry"), attributes=row.get("attributes") or {})
        planned.append(item)
        names_in_file[name] = item
    if report.errors:
        return report
    try:
        with transaction.atomic(), actor(user, "import"):
            by_ref: dict[str, AssessmentUnit] = {}
            for item in planned:
                unit = None
                if item["code"]:
                    unit = AssessmentUnit.objects.filter(code=item["code"]).first()
                else:
                    unit = AssessmentUnit.objects.filter(city=city, kind=item["kind"], name=item["name"], region=item["region"]).first()
                parent = None
                if item["parent"]:
                    ref = item["parent"]
                    parent = by_ref.get(ref) or AssessmentUnit.objects.filter(city=city, code=ref).first() \
                        or AssessmentUnit.objects.filter(city=city, name=ref).first()
                geometry = geo.parse(item["geometry"]) or (geo.point(item["lon"], item["lat"]) if item["lon"] is not None else None)
                values = dict(kind=item["kind"], name=item["name"], city=city, region=item["region"], parent=parent,
                              geometry=geometry, centroid_lon=item["lon"], centroid_lat=item["lat"], attributes=item["attributes"])
                if unit is None:
                    code = item["code"] or _next_code(item["region"], item["kind"])
                    unit = AssessmentUnit(code=code, **values)
                    unit.save()
                    report.created += 1
                else:
                    for k, v in values.items():
                        setattr(unit, k, v)
                    if unit.audit_diff():
                        unit.save()
                        report.updated += 1
                    else:
                        report.unchanged += 1
                by_ref[unit.code] = unit
                by_ref[unit.name] = unit
    except DatabaseError as exc:  # all or nothing: the block above was rolled back
        report.created = report.updated = report.unchanged = 0
        report.error(0, "文件", write_failed(exc))
    return report


def _next_code(region: Region, kind: str) -> str:
    prefix = f"{region.code}-{KIND_PREFIX[kind]}"
    used = [c[len(prefix):] for c in AssessmentUnit.objects.filter(code__startswith=prefix).values_list("code", flat=True)]
    n = max([int(u) for u in used if u.isdigit()], default=0) + 1
    return f"{prefix}{n:03d}"


def import_units_excel(file: Any, city: Region, user: Any = None, *, crs: str = "wgs84", sheet: str | None = None) -> UnitImportReport:
    """Import units from an Excel sheet with columns 编码/名称/类型/所在区划/上级单元/经度/纬度 + attributes.

    ``crs`` declares the coordinates' system (wgs84, cgcs2000 or gcj02); they are stored as WGS84.
    Other columns (建成年代、户数、人口 …) go to ``attributes``.
    """
    report = UnitImportReport()
    try:
        data = read_upload(file)
    except UploadLimitError as exc:
        report.error(0, "文件", exc.message)
        return report
    try:
        wb = load_workbook(io.BytesIO(data), data_only=True, read_only=True)
    except Exception:
        report.error(0, "文件", "无法读取该文件，请上传 Excel（.xlsx）文件")
        return report
    ws = wb[sheet] if sheet else wb.active
    all_rows = list(ws.iter_rows(values_only=True))
    if not all_rows:
        report.error(0, "文件", "文件为空")
        return report
    headers = [str(h).strip() if h is not None else "" for h in all_rows[0]]
    cmap = _colmap(headers)
    if "name" not in cmap:
        report.error(1, "表头", "缺少“名称”列")
        return report
    from cityrenew.engine import crs as crsmod

    try:
        src = crsmod.parse_crs(crs)
    except crsmod.CRSInputError as exc:
        report.error(0, "坐标系", str(exc))
        return report
    report.crs = src
    known = set(cmap.values())
    rows = []
    for r, values in enumerate(all_rows[1:], start=2):
        rec = dict(zip(headers, values))
        if not any(v not in (None, "") for v in values):
            continue
        row = {k: rec.get(h) for k, h in cmap.items()}
        try:
            lon, lat = _num(row.get("lon")), _num(row.get("lat"))
        except ValueError:
            lon = lat = None
        if lon is not None and lat is not None and src != crsmod.WGS84:
            x, y = crsmod.to_lonlat([lon], [lat], src)
            row["lon"], row["lat"] = round(float(x[0]), 7), round(float(y[0]), 7)
        row["attributes"] = {ATTRIBUTE_KEYS.get(h, h): _json_value(v) for h, v in rec.items()
                             if h and h not in known and _json_value(v) not in (None, "")}
        rows.append((r, row))
    return _process(rows, city, report, None, None, user)


def import_units_geodata(
    path: str | Path,
    city: Region,
    user: Any = None,
    *,
    kind: str | None = None,
    region: Region | None = None,
    crs: str | None = None,
    encoding: str | None = None,
) -> UnitImportReport:
    """Import units from a GeoPackage / Shapefile / GeoJSON; CRS from the file or ``crs``.

    Attribute columns are matched like the Excel columns (名称/name, 类型/kind, 所在区划/region,
    编码/code, 上级单元/parent); ``kind`` and ``region`` give defaults for all features. A shapefile
    without .cpg has its attribute encoding detected by the engine (UTF-8, else GBK).
    """
    from shapely.geometry import mapping

    from cityrenew.engine import crs as crsmod
    from cityrenew.engine.io import InputError, project_geoms, read_layer

    report = UnitImportReport()
    try:
        check_upload(Path(path), "geodata")
        check_rows(feature_count(Path(path)), what="要素数", unit="个", counted="")
    except UploadLimitError as exc:
        report.error(0, "文件", exc.message)
        return report
    try:
        layer = read_layer(path, crs=crs, encoding=encoding, what="体检单元")
    except (InputError, crsmod.CRSInputError) as exc:
        report.error(0, "文件", str(exc))
        return report
    report.crs, report.encoding = layer.crs, layer.encoding or ""
    gdf = layer.gdf
    geoms = project_geoms(gdf.geometry.to_numpy(), layer.crs, crsmod.WGS84)
    cols = [c for c in gdf.columns if c != gdf.geometry.name]
    cmap = _colmap(cols)
    if "name" not in cmap:
        report.error(0, "字段", f"找不到名称字段（名称/name），现有字段：{'、'.join(map(str, cols))}")
        return report
    known = set(cmap.values())
    rows = []
    for i, (rec, geom) in enumerate(zip(gdf[cols].to_dict("records"), geoms), start=1):
        row = {k: _json_value(rec.get(h)) for k, h in cmap.items() if k not in ("lon", "lat")}
        if geom is None or geom.is_empty:
            report.error(i, "几何", "要素没有几何图形")
            continue
        c = geom.representative_point() if geom.geom_type != "Point" else geom
        row["lon"], row["lat"] = round(c.x, 7), round(c.y, 7)
        row["geometry"] = geo.round_coords(mapping(geom), 7)
        row["attributes"] = {ATTRIBUTE_KEYS.get(str(h), str(h)): _json_value(v) for h, v in rec.items()
                             if h not in known and _json_value(v) not in (None, "")}
        rows.append((i, row))
    return _process(rows, city, report, kind, region, user)


# --- the import as pages and the command line run it (dry run, zipped Shapefile, scope) ----------
# (the feature count and the parts of a zipped Shapefile are those of cityrenew.core.geofiles)


def declared_crs(options: dict[str, str]) -> str | None:
    if options["crs"] == "epsg":
        return options["epsg"]
    return None if options["crs"] == "auto" else options["crs"]


def geodata_file(path: Path, workdir: Path, report: UnitImportReport) -> Path | None:
    """The file to read: the upload itself, or the .shp of a zipped Shapefile (unzipped into ``workdir``)."""
    if path.suffix.lower() != ".zip":
        return path
    try:
        check_upload(path, "geodata")  # size, members, unpacked size and ratio, before anything is unzipped
    except UploadLimitError as exc:
        report.error(0, "文件", exc.message)
        return None
    try:
        with zipfile.ZipFile(path) as zf:
            members = [m for m in zf.infolist() if not m.is_dir() and PurePosixPath(m.filename).suffix.lower() in SHAPEFILE_PARTS
                       and not PurePosixPath(m.filename).name.startswith(".")]
            shps = [m for m in members if m.filename.lower().endswith(".shp")]
            if len(shps) != 1:
                what = "没有 .shp 文件" if not shps else f"有 {len(shps)} 个 .shp 文件，请每个压缩包只放一个图层"
                report.error(0, "文件", f"压缩包中{what}（需要同名的 .shp、.dbf、.shx，最好还有 .prj）")
                return None
            stem = PurePosixPath(shps[0].filename).stem
            for m in members:  # flattened: names from the archive never become paths
                p = PurePosixPath(m.filename)
                if p.stem == stem:
                    (workdir / f"layer{p.suffix.lower()}").write_bytes(zf.read(m))
    except zipfile.BadZipFile:
        report.error(0, "文件", "无法打开压缩包，请上传 .zip 格式的 Shapefile 压缩包")
        return None
    for part in (".dbf", ".shx"):
        if not (workdir / f"layer{part}").exists():
            report.error(0, "文件", f"压缩包中缺少 {stem}{part}（Shapefile 需要同名的 .shp、.dbf、.shx）")
    return None if report.errors else workdir / "layer.shp"


def run_unit_import(path: Path, city: Region, options: dict[str, str], user: Any, *, dry_run: bool) -> UnitImportReport:
    """Import ``path`` for ``city``; on a dry run, or when any row is refused, nothing stays written.

    A district editor may only create or change units inside its own district(s): any other unit
    the file touches is reported and the whole import rolled back.
    """
    declared = declared_crs(options)
    with transaction.atomic(), tempfile.TemporaryDirectory(prefix="unit-import-") as tmp:
        last_log = AuditLog.objects.order_by("-id").values_list("id", flat=True).first() or 0
        if path.suffix.lower() == ".xlsx":
            report = import_units_excel(path, city, user, crs=declared or "wgs84")
        else:
            report = UnitImportReport()
            region = None
            if options["region"]:
                region = region_by_name(options["region"], within=city)
                if region is None:
                    report.error(0, "默认所在区划", f"“{options['region']}”不在{city.display_name}的行政区划内")
            source = None if report.errors else geodata_file(path, Path(tmp), report)
            if source is not None:
                report = import_units_geodata(source, city, user, kind=options["kind"] or None, region=region, crs=declared)
        if report.ok:
            check_scope(report, user, last_log)
        if dry_run or not report.ok:
            transaction.set_rollback(True)
    return report


def check_scope(report: UnitImportReport, user: Any, after_log_id: int) -> None:
    """Refuse units the import created or changed outside ``user``'s editable regions.

    Both ends of a move count: a unit taken *from* another district is refused like one placed in
    it. The units are found through the audit rows the import wrote (ids above ``after_log_id``).
    """
    if user is None:  # the command line (cityrenew checkup units import) runs with the operator's rights
        return
    allowed = editable_region_ids(user)
    if allowed is None:
        return
    from django.contrib.contenttypes.models import ContentType

    logs = AuditLog.objects.filter(id__gt=after_log_id, content_type=ContentType.objects.get_for_model(AssessmentUnit))
    ids: set[int] = set()
    moved_from: dict[int, int] = {}
    for object_id, changes in logs.values_list("object_id", "changes"):
        ids.add(int(object_id))
        old = (changes or {}).get("region")
        if isinstance(old, list) and old and old[0] is not None and int(old[0]) not in allowed:
            moved_from[int(object_id)] = int(old[0])
    for u in AssessmentUnit.objects.filter(pk__in=ids).select_related("region").order_by("code"):
        if u.region_id not in allowed:
            report.errors.append(RowError(0, "所在区划", f"体检单元“{u.name}”位于{u.region.place_label()}，不在您的授权区划内"))
        elif u.pk in moved_from:
            origin = Region.objects.get(pk=moved_from[u.pk])
            report.errors.append(RowError(0, "所在区划", f"体检单元“{u.name}”原属{origin.place_label()}，不在您的授权区划内，不能移入本区"))
