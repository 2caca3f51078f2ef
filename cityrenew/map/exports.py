"""Export of the map's current view (导出当前视图): the chosen layers, inside a box, with the map's filters.

* GeoJSON: one FeatureCollection, each feature with a ``layer`` property (the layer name);
* GeoPackage: one table per layer (pyogrio/GDAL, WGS84), written to a temporary file;
* xlsx: one sheet per layer, a column per property and the geometry as WKT (six decimals ≈ 0.1 m);
  every text cell through :mod:`cityrenew.core.xlsx`, so formula-like names stay text.

The records are ``layer.filtered(request)`` — the same read rules and filters as the map — narrowed to
those meeting the box. More than ``CITYRENEW_EXPORT_JOB_ROWS`` features are exported by a background job
(``map.export``), whose request is rebuilt from the owner and the query string.
"""

from __future__ import annotations

import json
import math
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.contrib.gis.geos import Polygon, WKTWriter
from django.db.models import QuerySet
from django.http import QueryDict

from . import registry
from .features import iter_features
from .registry import Layer
from .spatial import bbox_filter

FORMATS = {
    "geojson": ("GeoJSON", "application/geo+json", ".geojson"),
    "gpkg": ("GeoPackage", "application/geopackage+sqlite3", ".gpkg"),
    "xlsx": ("Excel", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ".xlsx"),
}
EXCEL_CELL_LIMIT = 32_767  # characters in one Excel cell
WKT = WKTWriter(precision=6)


class ExportError(ValueError):
    """A request that cannot be exported; the message is for the user (Chinese)."""


@dataclass
class LayerRequest:
    """What a layer's queryset reads of a request (the user and the query string): the page's request,
    or one rebuilt by the background job."""

    user: Any
    GET: QueryDict


@dataclass
class ExportPlan:
    layers: list[Layer]
    bbox: tuple[float, float, float, float] | None
    format: str
    request: Any

    def querysets(self) -> list[tuple[Layer, QuerySet]]:
        out = []
        for layer in self.layers:
            try:
                qs = layer.filtered(self.request)
            except ValueError as exc:
                raise ExportError(f"图层“{layer.title}”：{exc}") from None
            if self.bbox is not None:
                qs = in_box(qs, layer, self.bbox)
            else:
                qs = qs.filter(**{f"{layer.geom_field}__isnull": False})
            out.append((layer, qs))
        return out

    def count(self) -> int:
        return sum(qs.order_by().count() for _, qs in self.querysets())

    @property
    def filename(self) -> str:
        return "一张图导出" + FORMATS[self.format][2]


def in_box(qs: QuerySet, layer: Layer, bbox: tuple[float, float, float, float]) -> QuerySet:
    """The records of ``qs`` whose geometry meets the lon/lat box (found through the spatial index)."""
    box = Polygon.from_bbox(bbox)
    box.srid = 4326
    return bbox_filter(qs, layer.geom_field, bbox).filter(**{f"{layer.geom_field}__intersects": box})


def parse_bbox(value: str) -> tuple[float, float, float, float] | None:
    if not value.strip():
        return None
    parts = value.split(",")
    try:
        w, s, e, n = (float(p) for p in parts)
    except ValueError:
        raise ExportError(f"范围 bbox 应为“西,南,东,北”四个经纬度数字（收到“{value}”）") from None
    if not all(math.isfinite(v) for v in (w, s, e, n)):
        raise ExportError("范围 bbox 应为有限的数字")
    if not (-180 <= w < e <= 180 and -90 <= s < n <= 90):
        raise ExportError(f"范围 bbox 无效：应满足 -180 ≤ 西 < 东 ≤ 180、-90 ≤ 南 < 北 ≤ 90（收到“{value}”）")
    return (w, s, e, n)


def plan(request: Any) -> ExportPlan:
    """Read ``layers``, ``bbox``, ``format`` and the filters from the query string. A layer the user may
    not read is reported as not existing (:class:`LookupError`)."""
    params = request.GET
    fmt = (params.get("format") or "geojson").strip().lower()
    if fmt not in FORMATS:
        raise ExportError(f"导出格式“{fmt}”无效，应为 geojson、gpkg 或 xlsx")
    names = [n.strip() for n in (params.get("layers") or "").split(",") if n.strip()]
    if not names:
        raise ExportError("请选择要导出的图层（layers=图层标识，以逗号分隔）")
    layers = []
    for name in dict.fromkeys(names):
        layer = registry.get(name)
        if layer is None or not layer.can_read(request):
            raise LookupError(f"图层“{name}”不存在或无权查看")
        layers.append(layer)
    return ExportPlan(layers, parse_bbox(params.get("bbox") or ""), fmt, request)


Progress = Callable[[int, int, str], None]


def _rows(plan: ExportPlan, progress: Progress | None):
    jobs = plan.querysets()
    total = sum(qs.order_by().count() for _, qs in jobs) if progress else 0
    done = 0
    for layer, qs in jobs:
        rows = []
        for pk, props, geom in iter_features(layer, qs):
            rows.append((pk, props, geom))
            done += 1
            if progress and done % 500 == 0:
                progress(done, total, f"读取“{layer.title}”")
        yield layer, rows
    if progress:
        progress(done, total, "写出文件")


def write(plan: ExportPlan, path: Path, progress: Progress | None = None) -> int:
    """Write the export to ``path``; returns the number of features written."""
    return {"geojson": _geojson, "gpkg": _gpkg, "xlsx": _xlsx}[plan.format](plan, path, progress)


def _geojson(plan: ExportPlan, path: Path, progress: Progress | None) -> int:
    features = []
    for layer, rows in _rows(plan, progress):
        for pk, props, geom in rows:
            features.append({"type": "Feature", "id": f"{layer.name}.{pk}", "geometry": json.loads(geom.json),
                             "properties": {"layer": layer.name, "id": pk, **props}})
    data = {"type": "FeatureCollection", "name": "一张图导出", "features": features}
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return len(features)


def _gpkg(plan: ExportPlan, path: Path, progress: Progress | None) -> int:
    import geopandas as gpd
    import pyogrio
    import shapely

    n = 0
    for written, (layer, rows) in enumerate(_rows(plan, progress)):
        columns = ["id", *layer.properties]
        data = {c: [pk if c == "id" else props.get(c) for pk, props, _ in rows] for c in columns}
        geoms = shapely.from_wkb([bytes(g.wkb) for _, _, g in rows]) if rows else []
        frame = gpd.GeoDataFrame(data, geometry=gpd.GeoSeries(geoms, crs="EPSG:4326"), crs="EPSG:4326")
        kinds = {g.geom_type for g in geoms}
        # one table per layer; a layer of mixed kinds (points and areas) is a generic GEOMETRY table
        geometry_type = next(iter(kinds)) if len(kinds) == 1 else "Unknown"
        pyogrio.write_dataframe(frame, path, layer=layer.name, driver="GPKG", geometry_type=geometry_type,
                                append=written > 0)  # the first table creates the file, the next are added
        n += len(rows)
    return n


def _xlsx(plan: ExportPlan, path: Path, progress: Progress | None) -> int:
    from cityrenew.core.xlsx import XlsxBook

    book = XlsxBook()
    n = 0
    used: set[str] = set()
    for layer, rows in _rows(plan, progress):
        labels = dict(layer.popup)
        names = list(layer.properties)
        headers = ["编号", *[str(labels.get(p, p)) for p in names], "几何（WKT，WGS84）"]
        title = sheet_title(str(layer.title), used)
        ws = book.add_sheet(title)
        book.table(ws, headers, _sheet_rows(rows, names), widths=[8, *[16] * len(names), 40])
        n += len(rows)
    book.save(path)
    return n


def _sheet_rows(rows: list, names: list[str]):
    for pk, props, geom in rows:
        wkt = WKT.write(geom).decode()
        if len(wkt) > EXCEL_CELL_LIMIT:
            wkt = f"（几何过长：{len(wkt)} 个字符，超过 Excel 单元格上限，请导出 GeoPackage 或 GeoJSON）"
        yield [pk, *[props.get(p) for p in names], wkt]


def sheet_title(title: str, used: set[str]) -> str:
    """An Excel sheet name: at most 31 characters, none of ``[]:*?/\\``, unique in the workbook."""
    clean = "".join("_" if ch in '[]:*?/\\' else ch for ch in title)[:31] or "图层"
    name, i = clean, 2
    while name in used:
        suffix = f"({i})"
        name, i = clean[: 31 - len(suffix)] + suffix, i + 1
    used.add(name)
    return name


def export_to_temp(plan: ExportPlan, progress: Progress | None = None) -> tuple[Path, int]:
    """The export in a new temporary file (the caller deletes it)."""
    with tempfile.NamedTemporaryFile(prefix="cityrenew-map-", suffix=FORMATS[plan.format][2], delete=False) as handle:
        path = Path(handle.name)
    path.unlink()  # GDAL creates the GeoPackage itself
    try:
        n = write(plan, path, progress)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return path, n
