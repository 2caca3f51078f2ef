"""Geometry files (地理数据文件): read a layer, bring it to WGS84, check every feature.

One reader for every import of geometry by file — project locations matched by 项目编号
(:mod:`cityrenew.projects.geometry`), region boundaries matched by name (:mod:`cityrenew.core.boundaries`):

* **files** — GeoPackage (``.gpkg``, a layer chosen when it holds several), GeoJSON (``.geojson``/``.json``),
  Shapefile (``.shp`` beside its ``.dbf``/``.shx``/``.prj``/``.cpg``, or all of them in one ``.zip``);
  size, zip members and feature count pass :mod:`cityrenew.core.uploads` limits before GDAL (pyogrio)
  opens anything; a Shapefile without ``.cpg`` has its attribute encoding detected (UTF-8, else GBK).
* **coordinate systems** — the declared one (WGS84, CGCS2000 EPSG:4490, its 3-degree Gauss-Krüger zones
  EPSG:4513–4554 or any EPSG code, GCJ-02), else the file's own (``.prj``, GeoPackage, GeoJSON = WGS84);
  converted with the engine's :mod:`cityrenew.engine.crs` (GCJ-02 by its inverse formula, the others by PROJ).
* **checks** — a layer that lands outside the city (the usual sign of an undeclared projected CRS or of
  swapped longitude/latitude) is refused as a whole with one Chinese message that says which it looks
  like; then each feature: no geometry, a kind the target does not take (e.g. a line for a project),
  out of range, invalid and not repairable → an error naming the row (the feature's 1-based position);
  a self-intersecting polygon is repaired with ``MakeValid`` (:func:`cityrenew.core.geo.check`) and counted.

Nothing here writes to the database: callers match features and write in one transaction.
"""

from __future__ import annotations

import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import numpy as np
import shapely
from django.contrib.gis.geos import GEOSGeometry

from . import geo
from .tabular import RowError, RowErrorReport, cell_text, check_rows, count_in_stream
from .uploads import UploadLimitError, check_upload

Bounds = tuple[float, float, float, float]  # lon_min, lat_min, lon_max, lat_max (WGS84 degrees)

SUFFIXES = (".gpkg", ".geojson", ".json", ".zip", ".shp")
SHAPEFILE_PARTS = (".shp", ".dbf", ".shx", ".prj", ".cpg")
FORMATS_TEXT = "GeoPackage（.gpkg）、GeoJSON（.geojson）或 Shapefile 压缩包（.zip，含 .shp、.dbf、.shx、.prj、.cpg）"
# Choices of the declared CRS on pages; the command line takes any form parse_crs() accepts.
CRS_CHOICES = [
    ("", "按文件自带坐标系（.prj / GeoPackage；GeoJSON 为 WGS84）"),
    ("wgs84", "WGS84 经纬度（EPSG:4326，GPS / 天地图 / OpenStreetMap）"),
    ("cgcs2000", "CGCS2000 经纬度（EPSG:4490）"),
    ("gcj02", "GCJ-02（高德 / 腾讯坐标）"),
    ("epsg", "其他 EPSG 代码（如 CGCS2000 3度带 EPSG:4545）"),
]
# How far beyond the city's boundaries a feature may reach before it counts as "outside the city".
CITY_MARGIN_DEG = 0.2  # ≈ 20 km

POINT_KINDS = ("Point", "MultiPoint")
LINE_KINDS = ("LineString", "MultiLineString", "LinearRing")
POLYGON_KINDS = geo.POLYGONAL
KIND_LABELS = {"Point": "点", "MultiPoint": "多点", "LineString": "线", "MultiLineString": "多线", "LinearRing": "线",
               "Polygon": "面", "MultiPolygon": "多面", "GeometryCollection": "几何集合"}


class GeoFileError(ValueError):
    """The file or layer as a whole cannot be used; ``field`` names what (文件 / 图层 / 坐标系 / 字段)."""

    def __init__(self, message: str, field: str = "文件"):
        super().__init__(message)
        self.message, self.field = message, field

    def as_row_error(self) -> RowError:
        return RowError(0, self.field, self.message)


@dataclass
class Feature:  # 一个要素
    row: int  # 1-based position in the layer, as the user counts rows of its attribute table
    attrs: dict[str, Any]
    geometry: GEOSGeometry | None = None  # WGS84, checked (repaired when ``repaired``)
    repaired: bool = False


@dataclass
class GeoLayer:  # 读取并检查后的图层
    source: str  # the file's name
    layer: str
    crs: str  # the CRS the coordinates were read in ("EPSG:4545", "GCJ-02" …)
    crs_from: str  # "声明" (declared) or "文件" (the file's own)
    fields: list[str]
    features: list[Feature] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)

    @property
    def repaired(self) -> int:
        return sum(1 for f in self.features if f.repaired)

    def crs_text(self) -> str:
        return f"{self.crs}（{self.crs_from}）"

    def column(self, wanted: str | None, candidates: tuple[str, ...], what: str) -> str:
        """The attribute column named ``wanted`` (case-insensitive), else the first of ``candidates``
        present; :class:`GeoFileError` naming the columns the layer has when there is none."""
        low = {f.lower(): f for f in self.fields}
        if wanted:
            if wanted.lower() in low:
                return low[wanted.lower()]
            raise GeoFileError(f"图层中没有字段“{wanted}”；现有字段：{'、'.join(self.fields) or '（无）'}", "字段")
        for c in candidates:
            if c.lower() in low:
                return low[c.lower()]
        raise GeoFileError(
            f"找不到{what}字段（可用名称：{'、'.join(candidates)}），请指定字段；现有字段：{'、'.join(self.fields) or '（无）'}", "字段"
        )


# --- the file on disk ------------------------------------------------------------------------------


def _dbf_records(path: Path) -> int:
    try:
        with open(path, "rb") as fh:
            head = fh.read(8)
    except OSError:
        return 0
    return int.from_bytes(head[4:8], "little") if len(head) == 8 else 0


def feature_count(path: Path) -> int:
    """Features of a file, counted without parsing it (for the row limit): a Shapefile's .dbf header,
    a GeoPackage's largest feature table, a GeoJSON's ``"type": "Feature"`` members (streamed)."""
    import re
    import sqlite3
    from contextlib import closing

    suffix = path.suffix.lower()
    if suffix == ".shp":
        return _dbf_records(path.with_suffix(".dbf"))
    if suffix == ".gpkg":
        try:
            with closing(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)) as db:
                tables = [t for (t,) in db.execute("SELECT table_name FROM gpkg_contents WHERE data_type = 'features'")]
                return max((db.execute(f'SELECT count(*) FROM "{t.replace(chr(34), chr(34) * 2)}"').fetchone()[0]
                            for t in tables), default=0)
        except sqlite3.Error:
            return 0
    with open(path, "rb") as fh:
        return count_in_stream(fh, re.compile(rb'"type"\s*:\s*"Feature"'))


@contextmanager
def readable(path: str | Path) -> Iterator[Path]:
    """The path GDAL should open: the file itself, or the ``.shp`` of a zipped Shapefile unpacked (flat,
    under fixed names: no name from the archive becomes a path) into a temporary directory.

    Limits are checked first (size, zip members / unpacked size / ratio, feature count).
    """
    p = Path(path)
    if not p.is_file():
        raise GeoFileError(f"文件不存在：{p.name}")
    suffix = p.suffix.lower()
    if suffix not in SUFFIXES:
        raise GeoFileError(f"不支持的文件类型“{p.name}”：请上传 {FORMATS_TEXT}")
    try:
        check_upload(p, "geodata")
    except UploadLimitError as exc:
        raise GeoFileError(exc.message) from None
    with tempfile.TemporaryDirectory(prefix="geofile-") as tmp:
        target = p
        if suffix == ".zip":
            target = _unzip_shapefile(p, Path(tmp))
        try:
            check_rows(feature_count(target), what="要素数", unit="个", counted="")
        except UploadLimitError as exc:
            raise GeoFileError(exc.message) from None
        yield target


def _unzip_shapefile(path: Path, workdir: Path) -> Path:
    try:
        with zipfile.ZipFile(path) as zf:
            members = [m for m in zf.infolist() if not m.is_dir()
                       and PurePosixPath(m.filename).suffix.lower() in SHAPEFILE_PARTS
                       and not PurePosixPath(m.filename).name.startswith(".")]
            shps = [m for m in members if m.filename.lower().endswith(".shp")]
            if len(shps) != 1:
                what = "没有 .shp 文件" if not shps else f"有 {len(shps)} 个 .shp 文件，请每个压缩包只放一个图层"
                raise GeoFileError(f"压缩包中{what}（Shapefile 需要同名的 .shp、.dbf、.shx，最好还有 .prj 和 .cpg）")
            stem = PurePosixPath(shps[0].filename).stem
            for m in members:
                p = PurePosixPath(m.filename)
                if p.stem == stem:
                    (workdir / f"layer{p.suffix.lower()}").write_bytes(zf.read(m))
    except zipfile.BadZipFile:
        raise GeoFileError("无法打开压缩包：请上传 .zip 格式的 Shapefile 压缩包") from None
    missing = [f"{stem}{part}" for part in (".dbf", ".shx") if not (workdir / f"layer{part}").exists()]
    if missing:
        raise GeoFileError(f"压缩包中缺少 {'、'.join(missing)}（Shapefile 需要同名的 .shp、.dbf、.shx）")
    return workdir / "layer.shp"


def list_layers(path: str | Path) -> list[str]:
    """The names of the vector layers in a file (one for GeoJSON and Shapefile)."""
    import pyogrio

    with readable(path) as p:
        try:
            return [str(name) for name, _ in pyogrio.list_layers(p)]
        except Exception as exc:  # GDAL's errors on damaged files are of many kinds
            raise GeoFileError(f"无法读取文件 {Path(path).name}（{type(exc).__name__}: {exc}）") from None


# --- reading and checking -----------------------------------------------------------------------------


def read_layer(
    path: str | Path,
    *,
    layer: str | None = None,
    crs: str | None = None,
    kinds: str = "polygon",
    bounds: Bounds | None = None,
    name: str = "",
) -> GeoLayer:
    """Read one layer of a geometry file, convert it to WGS84 and check each feature.

    ``kinds``: ``"polygon"`` (boundaries: polygons only), ``"point_or_polygon"`` (projects: a point or
    an area; lines refused) or ``"any"`` (ledger assets: points, lines such as pipes, or areas). ``bounds``: the city's extent (WGS84, see :func:`city_bounds`); a layer
    outside it is refused with :class:`GeoFileError`, a feature outside it is a row error.
    ``crs`` overrides the file's own CRS (any form :func:`cityrenew.engine.crs.parse_crs` accepts).
    Whole-file problems raise :class:`GeoFileError`; feature problems are in ``GeoLayer.errors``.
    """
    import pyogrio

    from cityrenew.engine import crs as crsmod
    from cityrenew.engine.io import shapefile_encoding

    display = name or Path(path).name
    try:
        declared = crsmod.parse_crs(crs) if crs else None
    except crsmod.CRSInputError as exc:
        raise GeoFileError(str(exc), "坐标系") from None
    with readable(path) as p:
        try:
            layers = [str(n) for n, _ in pyogrio.list_layers(p)]
        except Exception as exc:
            raise GeoFileError(f"无法读取文件 {display}（{type(exc).__name__}: {exc}）") from None
        if not layers:
            raise GeoFileError(f"文件 {display} 中没有图层")
        if layer:
            if layer not in layers:
                raise GeoFileError(f"文件中没有图层“{layer}”；现有图层：{'、'.join(layers)}", "图层")
        elif len(layers) > 1:
            raise GeoFileError(f"文件含有 {len(layers)} 个图层（{'、'.join(layers)}），请选择要导入的图层", "图层")
        else:
            layer = layers[0]
        encoding = shapefile_encoding(p) if p.suffix.lower() == ".shp" else None
        try:
            kw: dict[str, Any] = {"layer": layer}
            if encoding:
                kw["encoding"] = encoding
            gdf = pyogrio.read_dataframe(p, **kw)
        except Exception as exc:
            raise GeoFileError(f"无法读取图层“{layer}”（{type(exc).__name__}: {exc}）") from None
    if len(gdf) == 0:
        raise GeoFileError(f"图层“{layer}”中没有要素（空图层），没有可导入的内容", "图层")
    if declared is not None:
        src, src_from = declared, "声明"
    elif gdf.crs is not None:
        src, src_from = crsmod.parse_crs(gdf.crs), "文件"
    else:
        raise GeoFileError(
            f"文件 {display} 没有坐标系信息（例如 Shapefile 缺少 .prj）：请声明坐标系，如 WGS84、CGCS2000、GCJ-02 "
            "或 EPSG 代码（CGCS2000 3度带高斯投影如 EPSG:4545）", "坐标系")
    fields = [str(c) for c in gdf.columns if c != gdf.geometry.name]
    out = GeoLayer(display, str(layer), src, src_from, fields)
    raw = np.asarray(gdf.geometry.values, dtype=object)
    raw = np.array([None if g is None or g.is_empty else shapely.force_2d(g) for g in raw], dtype=object)
    wgs = _to_wgs84(raw, src)
    _check_extent(wgs, raw, src, src_from, bounds, display)
    records = gdf[fields].to_dict("records") if fields else [{} for _ in range(len(gdf))]
    for i, (attrs, g) in enumerate(zip(records, wgs), start=1):
        feat = Feature(i, {k: _plain(v) for k, v in attrs.items()})
        out.features.append(feat)
        if g is None:
            out.errors.append(RowError(i, "几何", "要素没有几何图形（空几何）"))
            continue
        kind = g.geom_type
        polygonal = kind in POLYGON_KINDS
        if kinds == "polygon" and not polygonal:
            out.errors.append(RowError(i, "几何", f"边界应为面（Polygon/MultiPolygon），该要素是{KIND_LABELS.get(kind, kind)}（{kind}）"))
            continue
        if kinds == "point_or_polygon" and not (polygonal or kind in POINT_KINDS):
            what = "线" if kind in LINE_KINDS else KIND_LABELS.get(kind, kind)
            out.errors.append(RowError(i, "几何", f"项目位置应为点或面（范围），该要素是{what}（{kind}），不能导入"))
            continue
        try:
            checked = geo.check(GEOSGeometry(memoryview(shapely.to_wkb(g)), srid=geo.WGS84), polygonal=polygonal, bounds=bounds)
        except geo.GeometryError as exc:
            out.errors.append(RowError(i, "几何", str(exc)))
            continue
        if checked is None:
            out.errors.append(RowError(i, "几何", "要素没有几何图形（空几何）"))
            continue
        feat.geometry, feat.repaired = checked.geometry, checked.repaired
    return out


@dataclass
class LayerImportReport(RowErrorReport):
    """What a geometry import from a layer matched by code reports (projects, ledgers): the file, layer,
    CRS and code column read, the feature and repair counts (:func:`read_into_report`), the codes whose
    geometry changes or not, and whether anything was written."""

    source: str = ""
    layer: str = ""
    crs: str = ""
    code_field: str = ""
    dry_run: bool = False
    features: int = 0
    repaired: int = 0
    updated: list[str] = field(default_factory=list)  # codes whose location changes
    unchanged: list[str] = field(default_factory=list)
    written: bool = False


def read_into_report(
    report: Any, path: str | Path, *, field: str | None, candidates: Any, label: str, **read: Any
) -> tuple[GeoLayer, str] | None:
    """:func:`read_layer` for an import report: the layer and its match column (``field``, else the first
    of ``candidates`` present), with the layer, CRS, feature and repair counts and the feature errors put
    on ``report``; ``None`` when the file is refused (the reason is then the report's error)."""
    try:
        geo_layer = read_layer(path, name=report.source, **read)
        column = geo_layer.column(field, candidates, label)
    except GeoFileError as exc:
        report.add_error(exc.as_row_error())
        return None
    report.layer, report.crs = geo_layer.layer, geo_layer.crs_text()
    report.features, report.repaired = len(geo_layer.features), geo_layer.repaired
    for err in geo_layer.errors:
        report.add_error(err)
    return geo_layer, column


def coded_features(report: RowErrorReport, geo_layer: GeoLayer, column: str, label: str) -> list[tuple[Feature, str]]:
    """The layer's features with their code (``column``); an empty code or one repeated in the layer is
    an error on ``report`` (``label``: the code's name in messages, e.g. 项目编号) and its feature left out."""
    seen: dict[str, int] = {}
    out: list[tuple[Feature, str]] = []
    for feat in geo_layer.features:
        code = cell_text(feat.attrs.get(column))
        if not code:
            report.add_error(RowError(feat.row, column, f"{label}为空"))
        elif code in seen:
            report.add_error(RowError(feat.row, column, f"{label}“{code}”在图层中重复（与第 {seen[code]} 行相同）"))
        else:
            seen[code] = feat.row
            out.append((feat, code))
    return out


def _plain(v: Any) -> Any:
    if v is None:
        return None
    if isinstance(v, float) and np.isnan(v):
        return None
    if isinstance(v, np.generic):
        return v.item()
    return v


def _to_wgs84(geoms: np.ndarray, src: str) -> np.ndarray:
    from cityrenew.engine import crs as crsmod
    from cityrenew.engine.io import project_geoms

    if src in (crsmod.WGS84, crsmod.CGCS2000):  # CGCS2000 ≈ WGS84 to a few cm (engine/crs.py)
        return geoms
    with np.errstate(all="ignore"):
        return project_geoms(geoms, src, crsmod.WGS84)


def _extent(geoms: np.ndarray) -> Bounds | None:
    present = [g for g in geoms if g is not None]
    if not present:
        return None
    with np.errstate(all="ignore"):
        x0, y0, x1, y1 = shapely.total_bounds(np.asarray(present, dtype=object))
    return float(x0), float(y0), float(x1), float(y1)


def _overlaps(a: Bounds, b: Bounds) -> bool:
    return not (a[2] < b[0] or a[0] > b[2] or a[3] < b[1] or a[1] > b[3])


def _check_extent(wgs: np.ndarray, raw: np.ndarray, src: str, src_from: str, bounds: Bounds | None, name: str) -> None:
    """Refuse a layer that, once in WGS84, lies outside lon/lat range or wholly outside the city."""
    ext = _extent(wgs)
    if ext is None:
        return
    x0, y0, x1, y1 = ext
    in_range = all(np.isfinite(ext)) and -180 <= x0 <= x1 <= 180 and -90 <= y0 <= y1 <= 90
    if in_range and (bounds is None or _overlaps(ext, bounds)):
        return
    where = f"图层范围 {x0:.4f},{y0:.4f} – {x1:.4f},{y1:.4f}" if all(np.isfinite(ext)) else "坐标无法换算为经纬度"
    city = ""
    if bounds is not None:
        city = f"；本市约 {bounds[0]:.2f},{bounds[1]:.2f} – {bounds[2]:.2f},{bounds[3]:.2f}"
    hint = _diagnose(raw, src, bounds)
    what = "图层位于本市范围之外" if in_range else "图层坐标超出经纬度范围"
    raise GeoFileError(f"{what}（{where}，按坐标系 {src}（{src_from}）换算{city}）：{hint}", "坐标系")


def _diagnose(raw: np.ndarray, src: str, bounds: Bounds | None) -> str:
    """Why a layer lands outside the city: swapped lon/lat, an undeclared projected CRS (naming the
    CGCS2000 Gauss-Krüger zone that would place it in the city), or simply another place."""
    from cityrenew.engine import crs as crsmod

    ext = _extent(raw)
    default = "请检查坐标系（WGS84 / CGCS2000 / GCJ-02 / EPSG 代码）或经纬度是否颠倒"
    if ext is None:
        return default
    x0, y0, x1, y1 = ext
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    geographic = crsmod.is_geographic(src)
    if geographic and bounds is not None and bounds[0] <= cy <= bounds[2] and bounds[1] <= cx <= bounds[3]:
        return "经度和纬度似乎填反了（第一个坐标应为经度，如 113.6；第二个为纬度，如 34.7），请交换后重新导入"
    if geographic and (abs(cx) > 180 or abs(cy) > 90):
        for epsg in (list(range(4534, 4555)) + list(range(4513, 4534))) if bounds is not None else []:
            try:
                lon, lat = crsmod.to_lonlat([cx], [cy], f"EPSG:{epsg}")
            except Exception:  # noqa: BLE001 — PROJ refuses far-off coordinates in various ways
                continue
            if np.isfinite(lon[0]) and bounds[0] <= lon[0] <= bounds[2] and bounds[1] <= lat[0] <= bounds[3]:
                return (f"坐标像是投影坐标（米），而文件未声明或声明为经纬度；按 CGCS2000 3度带 EPSG:{epsg} 换算正好落在本市，"
                        f"请声明坐标系 EPSG:{epsg} 后重新导入")
        return "坐标像是投影坐标（米），而文件未声明坐标系或声明为经纬度：请声明坐标系（如 CGCS2000 3度带 EPSG:4545）"
    return default


def city_bounds(city: Any, margin: float = CITY_MARGIN_DEG) -> Bounds | None:
    """The WGS84 extent of the boundaries stored under ``city`` (a :class:`~cityrenew.core.models.Region`),
    widened by ``margin`` degrees; None when no boundary is stored (then only lon/lat ranges are checked)."""
    from django.contrib.gis.db.models import Extent

    from .models import Region

    if city is None:
        qs = Region.objects.all()
    else:
        qs = Region.objects.filter(path__startswith=city.path)
    ext = qs.exclude(boundary=None).aggregate(e=Extent("boundary"))["e"]
    if not ext:
        return None
    x0, y0, x1, y1 = ext
    return x0 - margin, y0 - margin, x1 + margin, y1 + margin
