"""Ledger locations from a layer (台账位置导入): GeoPackage / Shapefile / GeoJSON matched by 编号.

Each feature names a ledger row by its code (an attribute column) and gives its point, line (a pipe's
course) or area (a community, a building); the layer is read and checked by
:mod:`cityrenew.core.geofiles` (the declared CRS or the file's own, to WGS84; a layer outside the city
refused; invalid polygons repaired and counted). Then, all-or-nothing:

* a code not in the ledger is an error (a location for a row that does not exist is a mistake in
  the file or the wrong ledger), as are an empty or repeated code and a row outside the user's regions;
* changed rows are saved one by one through :class:`~cityrenew.core.models.AuditedModel` (an audit
  entry with the old and new location each), in one transaction; the same file again changes nothing.
"""

from __future__ import annotations

from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.db import DatabaseError, transaction

from cityrenew.core import audit
from cityrenew.core.geofiles import (
    LayerImportReport,
    city_bounds,
    coded_features,
    read_into_report,
)
from cityrenew.core.permissions import editable_region_ids
from cityrenew.core.tabular import RowError, write_failed

from .choices import LedgerKind
from .models import LEDGER_MODELS

CODE_FIELDS = ("编号", "code", "bh", "设备编号", "小区编号")


@dataclass
class LedgerGeometryReport(LayerImportReport):  # 台账位置导入结果
    kind: str = ""

    def headline(self) -> str:
        label = dict(LedgerKind.choices).get(self.kind, self.kind)
        if not self.ok:
            return f"{label}台账位置导入失败：共 {self.features} 个要素，发现 {len(self.errors)} 处错误，数据库未做任何修改。"
        head = "试导入（未写入）" if self.dry_run else "导入完成"
        text = f"{label}台账位置{head}：共 {self.features} 个要素，更新位置 {len(self.updated)} 行，不变 {len(self.unchanged)} 行"
        return text + (f"，修复无效面 {self.repaired} 个。" if self.repaired else "。")

    def summary_text(self) -> str:
        return "\n".join([self.headline(), *[f"  {e}" for e in self.errors]])


def import_ledger_geometry(path: str | Path, kind: str, *, code_field: str | None = None, crs: str | None = None,
                           layer: str | None = None, user: Any = None, dry_run: bool = False, name: str = "",
                           progress: Any = None) -> LedgerGeometryReport:
    """Set the ``location`` of ledger ``kind``'s rows from a layer, matched by 编号 (module docstring)."""
    model = LEDGER_MODELS[kind]
    report = LedgerGeometryReport(kind=kind, dry_run=dry_run, source=name or Path(path).name)
    if progress is not None:
        progress(0, 0, f"读取 {report.source}")
    read = read_into_report(report, path, field=code_field, candidates=CODE_FIELDS, label="编号", layer=layer, crs=crs,
                            kinds="any", bounds=city_bounds(None))
    if read is None:
        return report
    geo_layer, code_col = read
    report.code_field = code_col
    wanted = coded_features(report, geo_layer, code_col, "编号")
    codes = [code for _, code in wanted]
    rows = {}
    for i in range(0, len(codes), 900):
        rows.update((o.code, o) for o in model.objects.filter(code__in=codes[i:i + 900]).select_related("region"))
    scope = editable_region_ids(user) if user is not None else None
    changes = []
    for feat, code in wanted:
        obj = rows.get(code)
        if obj is None:
            report.add_error(RowError(feat.row, code_col, f"{dict(LedgerKind.choices)[kind]}台账中没有编号“{code}”"))
            continue
        if feat.geometry is None:
            continue  # its geometry error is listed already
        if scope is not None and obj.region_id not in scope:
            report.add_error(RowError(feat.row, code_col, f"无权修改“{code}”的位置：其所在区域（{obj.region}）超出您的授权区划范围"))
            continue
        if obj.location is not None and obj.location.equals_exact(feat.geometry, 1e-9):
            report.unchanged.append(code)
            continue
        changes.append((obj, feat.geometry))
        report.updated.append(code)
    if not report.ok or dry_run or not changes:
        return report
    ctx = audit.actor(user, "import", note=f"导入台账位置 {report.source}"[:300]) if user is not None else nullcontext()
    try:
        with ctx, transaction.atomic():
            for obj, geom in changes:
                obj.location = geom
                obj.save(update_fields=["location", "updated_at"])
    except DatabaseError as exc:
        report.add_error(RowError(0, "文件", write_failed(exc)))
        return report
    report.written = True
    return report
