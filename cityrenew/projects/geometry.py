"""Project geometry from a layer (项目位置与范围导入): GeoPackage / Shapefile / GeoJSON matched by 项目编号.

Each feature names a project by its code (a chosen attribute column) and gives its point or area; the
layer is read and checked by :mod:`cityrenew.core.geofiles` (declared CRS or the file's own, to WGS84;
a layer outside the city refused; lines refused with their rows; self-intersecting polygons repaired
and counted). Then:

* a code not in the library is reported (行号 + 编号) and skipped — the rest is still imported;
* a feature with a bad geometry, an empty or repeated code, or a project the user may not change
  (its districts outside the user's scope, or a role without the ``location`` field rule) is an error,
  and with any error **nothing** is written;
* changed projects are written in bulk, each with an audit row of its old and new location and
  :attr:`~RenewalProject.location_source` (attributed to the user, source 导入); a project without
  districts gets the district whose boundary holds its location (:func:`cityrenew.map.spatial.region_at`);
* re-importing the same file changes nothing.
"""

from __future__ import annotations

from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import DatabaseError, transaction

from cityrenew.core import audit
from cityrenew.core.choices import RegionLevel
from cityrenew.core.fieldrules import refusal_message, writable_fields
from cityrenew.core.geofiles import (
    LayerImportReport,
    city_bounds,
    coded_features,
    read_into_report,
)
from cityrenew.core.models import Region
from cityrenew.core.permissions import editable_region_ids
from cityrenew.core.tabular import RowError, write_failed

from .models import RenewalProject

CODE_FIELDS = ("项目编号", "编号", "项目代码", "code", "xmbh", "project_code")
UNMATCHED_LISTED = 200


@dataclass
class GeometryImportReport(LayerImportReport):  # 项目位置导入结果
    unmatched: list[tuple[int, str]] = field(default_factory=list)  # (row, code) not in the library
    districts_filled: list[str] = field(default_factory=list)

    def headline(self) -> str:
        if not self.ok:
            return f"导入失败：共 {self.features} 个要素，发现 {len(self.errors)} 处错误，数据库未做任何修改。"
        head = "试导入（未写入）" if self.dry_run else "导入完成"
        text = (f"{head}：共 {self.features} 个要素，更新位置 {len(self.updated)} 个项目，"
                f"不变 {len(self.unchanged)} 个，编号未匹配 {len(self.unmatched)} 个")
        if self.repaired:
            text += f"，修复无效面（自相交等）{self.repaired} 个"
        if self.districts_filled:
            text += f"，按位置补填区域 {len(self.districts_filled)} 个"
        return text + "。"

    def summary_text(self) -> str:
        lines = [self.headline()]
        if self.source:
            lines.append(f"文件：{self.source}；图层：{self.layer}；坐标系：{self.crs}；编号字段：{self.code_field}")
        lines += [f"  {e}" for e in self.errors]
        if self.unmatched:
            shown = "；".join(f"第 {r} 行 {c or '（空）'}" for r, c in self.unmatched[:UNMATCHED_LISTED])
            more = f"……另有 {len(self.unmatched) - UNMATCHED_LISTED} 个" if len(self.unmatched) > UNMATCHED_LISTED else ""
            lines.append(f"项目库中没有以下编号，已跳过：{shown}{more}")
        return "\n".join(lines)

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok, "dry_run": self.dry_run, "source": self.source, "layer": self.layer, "crs": self.crs,
            "features": self.features, "updated": self.updated, "unchanged": len(self.unchanged),
            "unmatched": [{"row": r, "code": c} for r, c in self.unmatched], "repaired": self.repaired,
            "districts_filled": self.districts_filled,
            "errors": [{"row": e.row, "field": e.field, "message": e.message, "text": str(e)} for e in self.errors],
            "summary": self.summary_text(),
        }


def may_import(user: Any) -> bool:
    """Whether ``user`` holds a role whose field rules let it write a project's location."""
    return user is None or "location" in writable_fields(user, RenewalProject, RenewalProject(pk=0))


def refusal(user: Any) -> str:
    return "无权导入项目位置：" + refusal_message(user, RenewalProject, ["location"], RenewalProject(pk=0))


def district_at(geom: Any) -> Region | None:
    """The district whose boundary holds a point, or an area's interior point."""
    from cityrenew.map.spatial import region_at

    return region_at(geom if geom.geom_type == "Point" else geom.point_on_surface, RegionLevel.DISTRICT, zones=True)


def import_project_geometry(
    path: str | Path,
    *,
    code_field: str | None = None,
    crs: str | None = None,
    layer: str | None = None,
    user: Any = None,
    dry_run: bool = False,
    city: Region | None = None,
    name: str = "",
    source: str = "",
    progress: Any = None,
) -> GeometryImportReport:
    """Set :attr:`RenewalProject.location` from a layer, matched by 项目编号; see the module docstring.

    ``code_field``: the attribute column holding the code (default: the first of :data:`CODE_FIELDS`);
    ``crs``: declared CRS (default: the file's); ``layer``: for a GeoPackage with several layers;
    ``city``: whose boundaries bound the layer (default: every stored boundary); ``name``: the file's
    name as the user knows it (an upload is kept under a random name); ``source``: the
    :attr:`~RenewalProject.location_source` to record (default: the file, layer and CRS).
    """
    report = GeometryImportReport(dry_run=dry_run, source=name or Path(path).name)
    if user is not None and not may_import(user):
        report.add_error(RowError(0, "权限", refusal(user)))
        return report
    if progress is not None:
        progress(0, 0, f"读取 {report.source}")
    read = read_into_report(report, path, field=code_field, candidates=CODE_FIELDS, label="项目编号",
                            layer=layer, crs=crs, kinds="point_or_polygon", bounds=city_bounds(city))
    if read is None:
        return report
    geo_layer, code_col = read
    report.code_field = code_col

    wanted = coded_features(report, geo_layer, code_col, "项目编号")
    existing: dict[str, RenewalProject] = {}
    wanted_codes = [code for _, code in wanted]
    for i in range(0, len(wanted_codes), 5000):  # chunks: SQLite's limit on query parameters
        existing.update((p.code, p) for p in RenewalProject.objects.filter(code__in=wanted_codes[i : i + 5000]))
    links: dict[int, set[int]] = {}  # project id → district ids, from the link table (no Region rows loaded)
    ids = [p.pk for p in existing.values()]
    through = RenewalProject.districts.through
    for i in range(0, len(ids), 5000):
        for pid, rid in through.objects.filter(renewalproject_id__in=ids[i : i + 5000]).values_list("renewalproject_id", "region_id"):
            links.setdefault(pid, set()).add(rid)
    scope = editable_region_ids(user) if user is not None else None
    source = (source or f"导入：{report.source} · 图层 {report.layer} · {report.crs}")[:200]
    changes: list[tuple[RenewalProject, Any, Region | None]] = []
    for i, (feat, code) in enumerate(wanted):
        if progress is not None and i % 500 == 0:
            progress(i, len(wanted), f"匹配第 {i + 1}/{len(wanted)} 个要素")
        obj = existing.get(code)
        if obj is None:
            report.unmatched.append((feat.row, code))
            continue
        if feat.geometry is None:
            continue  # its geometry error is already listed
        district_ids = links.get(obj.pk, set())
        if scope is not None and not district_ids <= scope:
            report.add_error(RowError(feat.row, code_col, f"无权修改项目 {code} 的位置：其所在区域超出您的编辑范围"))
            continue
        if user is not None and "location" not in writable_fields(user, RenewalProject, obj):
            report.add_error(RowError(feat.row, code_col, f"无权修改项目 {code}：" + refusal_message(user, RenewalProject, ["location"], obj)))
            continue
        filled = None
        if not district_ids:
            filled = district_at(feat.geometry)
            if filled is not None and scope is not None and filled.pk not in scope:
                report.add_error(RowError(feat.row, code_col, f"项目 {code} 的位置在{filled.display_name}，超出您的编辑范围"))
                continue
        if obj.location is not None and obj.location == feat.geometry and obj.location_source == source and filled is None:
            report.unchanged.append(code)
            continue
        changes.append((obj, feat.geometry, filled))
        report.updated.append(code)
        if filled is not None:
            report.districts_filled.append(f"{code} → {filled.display_name}")
    if not report.ok or dry_run or not changes:
        return report
    if progress is not None:
        progress(len(wanted), len(wanted), "校验通过，正在写入数据库（一次提交）")
    ctx = audit.actor(user, "import", note=f"导入项目位置 {report.source}"[:300]) if user is not None else nullcontext()
    try:
        with ctx, transaction.atomic():
            _write(changes, source)
    except DatabaseError as exc:
        report.add_error(RowError(0, "文件", write_failed(exc)))
        return report
    report.written = True
    return report


def _write(changes: list[tuple[RenewalProject, Any, Region | None]], source: str) -> None:
    """Bulk update (a layer of 100,000 projects in one statement per 1,000), with one audit row per
    project written in bulk too: the old and new location (:func:`cityrenew.core.geo.audit_text`) and source."""
    from django.utils import timezone

    from cityrenew.core.choices import AuditAction
    from cityrenew.core.models import AuditLog

    from .importer import _audit_rows

    now = timezone.now()
    rows = []
    for obj, geom, _ in changes:
        rows.append((obj, AuditAction.UPDATE, {"location": [obj.location, geom], "location_source": [obj.location_source or None, source]}))
        obj.location, obj.location_source, obj.updated_at = geom, source, now
    RenewalProject.objects.bulk_update([obj for obj, _, _ in changes], ["location", "location_source", "updated_at"], batch_size=1000)
    AuditLog.objects.bulk_create(_audit_rows(rows), batch_size=2000)
    for obj, _, filled in changes:
        if filled is not None:
            obj.districts.add(filled)  # audited by the m2m_changed receiver
