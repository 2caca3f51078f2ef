"""Loading reference layers (参考图层) into the database: an OSM extract or any geometry file.

* :func:`load_osm` reads an ``.osm.pbf`` with pyrosm (whole layers as GeoDataFrames; the engine has its own pyosmium reader for networks) into up to four layers:
  ``osm-buildings`` (building polygons, category = the ``building`` value), ``osm-roads`` (highway
  lines, category = the highway class), ``osm-water`` (``natural=water``, ``waterway=*``,
  ``landuse=reservoir|basin``; polygons and lines) and ``osm-green`` (``leisure=park|garden``,
  ``landuse=grass|forest|meadow|recreation_ground|village_green``, ``natural=wood|grassland|scrub``).
  Roads, water and green are marked as the offline base map. Source and licence: "© OpenStreetMap
  contributors, ODbL 1.0".
* :func:`load_file` reads one GeoPackage / zipped Shapefile / GeoJSON layer through the engine's
  reader (:func:`cityrenew.engine.io.read_layer`), with its CRS (the file's own or the declared one:
  WGS84, CGCS2000, GCJ-02, EPSG codes), and projects it to WGS84.

Both end in :func:`load_features`, which checks every feature before anything is written:

* coordinates outside lon/lat ranges, or (when ``bounds`` is given, e.g. the city's extent) outside
  the city — the usual sign of an undeclared or wrong CRS — refuse the whole layer with the feature
  number and :mod:`cityrenew.core.geo`'s Chinese reason;
* a layer of polygons (buildings, green, boundaries) refuses other geometry types (``strict``, for a
  user's file) or skips them and counts them (an OSM extract, where an unclosed building way is
  common); empty geometries are skipped and counted;
* invalid polygons (self-intersections …) are repaired with ``MakeValid`` (:func:`cityrenew.core.geo.check`)
  and counted in ``ReferenceLayer.repaired_count``;
* an empty layer is refused.

Then the layer is written in ONE transaction: the layer row (audited: who loaded it, when, counts),
its features with ``bulk_create`` in batches of :data:`BATCH`. With ``replace`` the old features are
deleted in that same transaction, so a load that fails halfway leaves the previous layer as it was.
Only a 市级管理员 (or the command line, which runs as the operator) loads reference layers.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from django.contrib.gis.geos import GEOSGeometry, Polygon
from django.db import connection, transaction

from cityrenew.core import geo
from cityrenew.core.permissions import is_city_admin

from .models import ReferenceFeature, ReferenceLayer, ReferenceLayerKind

Progress = Callable[[int, int, str], None]

BATCH = 5000
OSM_LICENCE = "© OpenStreetMap contributors, ODbL 1.0"
POLYGONAL_KINDS = {ReferenceLayerKind.BUILDINGS, ReferenceLayerKind.GREEN, ReferenceLayerKind.BOUNDARIES}
LINEAR_KINDS = {ReferenceLayerKind.ROADS}
_POLYGON_TYPES = (3, 6)  # shapely type ids: Polygon, MultiPolygon
_LINE_TYPES = (1, 2, 5)  # LineString, LinearRing, MultiLineString
MAX_LISTED = 10


class LoadError(ValueError):
    """A layer that cannot be loaded; the message is for the user (Chinese). Nothing was written."""


def _noop(done: int, total: int, message: str = "") -> None:
    return None


@dataclass
class Features:
    """Features read from a source, before checking: shapely geometries in WGS84 and their attributes."""

    geoms: np.ndarray  # object array of shapely geometries (None allowed)
    names: list[str]
    categories: list[str]
    properties: list[dict[str, Any]]

    def __len__(self) -> int:
        return len(self.geoms)


@dataclass
class LayerSpec:
    name: str
    title: str
    kind: str
    source: str = ""
    licence: str = ""
    source_crs: str = "EPSG:4326"
    basemap: bool = False


@dataclass
class LoadResult:
    layer: ReferenceLayer
    loaded: int
    repaired: int = 0
    skipped: int = 0
    replaced: int = 0  # features of the previous version deleted
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)

    def headline(self) -> str:
        text = f"图层“{self.layer.title}”（{self.layer.name}）已载入 {self.loaded:,} 个要素"
        if self.replaced:
            text += f"，替换原有 {self.replaced:,} 个"
        if self.repaired:
            text += f"；{self.repaired:,} 个无效几何已修复（MakeValid）"
        if self.skipped:
            text += f"；跳过 {self.skipped:,} 个（空几何或类型不符）"
        return text + f"，用时 {self.seconds:.1f} 秒"


# --------------------------------------------------------------------------- checking and writing


def _feature_error(index: int, message: str) -> LoadError:
    return LoadError(f"第 {index + 1} 个要素：{message}（未写入任何数据）")


def check_features(spec: LayerSpec, feats: Features, *, strict: bool = True,
                   bounds: tuple[float, float, float, float] | None = None) -> tuple[list[GEOSGeometry | None], int, int]:
    """Checked GEOS geometries for ``feats`` (``None`` where skipped), the number repaired and skipped.

    Raises :class:`LoadError` for a layer that cannot be loaded as a whole."""
    geoms = np.asarray(feats.geoms, dtype=object)
    if len(geoms) == 0:
        raise LoadError(f"图层“{spec.title}”中没有要素（空图层），未写入任何数据")
    missing = shapely.is_missing(geoms) | shapely.is_empty(np.where(shapely.is_missing(geoms), shapely.Point(), geoms))
    keep = ~missing
    if not keep.any():
        raise LoadError(f"图层“{spec.title}”中的要素都没有几何（空图层），未写入任何数据")
    # coordinates: lon/lat range, then the city's extent (an undeclared or wrong CRS lands elsewhere)
    b = shapely.bounds(np.where(keep, geoms, None))
    with np.errstate(invalid="ignore"):
        out_of_range = keep & ((b[:, 0] < -180) | (b[:, 2] > 180) | (b[:, 1] < -90) | (b[:, 3] > 90))
        outside = np.zeros(len(geoms), dtype=bool)
        if bounds is not None:
            bx0, by0, bx1, by1 = bounds
            outside = keep & ((b[:, 2] < bx0) | (b[:, 0] > bx1) | (b[:, 3] < by0) | (b[:, 1] > by1))
    bad = np.flatnonzero(out_of_range | outside)
    if len(bad):
        i = int(bad[0])
        try:
            geo.check(geoms[i], bounds=bounds)
            reason = "坐标超出范围"
        except geo.GeometryError as exc:
            reason = str(exc)
        more = f"；共 {len(bad):,} 个要素如此" if len(bad) > 1 else ""
        raise _feature_error(i, reason + more)
    # geometry types
    types = shapely.get_type_id(np.where(keep, geoms, None))
    wanted = _POLYGON_TYPES if spec.kind in POLYGONAL_KINDS else _LINE_TYPES if spec.kind in LINEAR_KINDS else None
    if wanted is not None:
        wrong = keep & ~np.isin(types, wanted)
        if wrong.any():
            need = "面（Polygon/MultiPolygon）" if wanted == _POLYGON_TYPES else "线（LineString/MultiLineString）"
            if strict:
                rows = np.flatnonzero(wrong)
                listed = "、".join(f"第 {r + 1} 个（{geoms[r].geom_type}）" for r in rows[:MAX_LISTED])
                etc = f" 等 {len(rows):,} 个" if len(rows) > MAX_LISTED else ""
                raise LoadError(f"图层“{spec.title}”（{ReferenceLayerKind(spec.kind).label}）只能包含{need}，"
                                f"以下要素类型不符：{listed}{etc}（混合几何类型，未写入任何数据）")
            keep &= ~wrong
    # validity: repair with MakeValid (geo.check), counted
    idx = np.flatnonzero(keep)
    valid = shapely.is_valid(geoms[idx])
    out: list[GEOSGeometry | None] = [None] * len(geoms)
    repaired = 0
    polygonal = spec.kind in POLYGONAL_KINDS
    wkb = shapely.to_wkb(geoms[idx[valid]])
    for i, w in zip(idx[valid], wkb):
        out[i] = GEOSGeometry(memoryview(w), srid=geo.WGS84)
    for i in idx[~valid]:
        try:
            checked = geo.check(geoms[i], polygonal=polygonal)
        except geo.GeometryError as exc:
            if strict:
                raise _feature_error(int(i), str(exc)) from None
            keep[i] = False
            continue
        if checked is None:
            keep[i] = False
            continue
        out[i] = checked.geometry
        repaired += int(checked.repaired)
    skipped = int(len(geoms) - keep.sum())
    return out, repaired, skipped


def _extent(geoms: np.ndarray) -> Polygon | None:
    """The bounding box of shapely ``geoms`` (a repair by MakeValid never grows a geometry's box)."""
    if len(geoms) == 0:
        return None
    x0, y0, x1, y1 = (float(v) for v in shapely.total_bounds(geoms))
    if x0 == x1 or y0 == y1:  # a single point or a straight north-south/east-west line
        x0, y0, x1, y1 = x0 - 1e-6, y0 - 1e-6, x1 + 1e-6, y1 + 1e-6
    return Polygon.from_bbox((x0, y0, x1, y1))


def _analyze() -> None:
    """Refresh PostgreSQL's planner statistics of the features table after a load: a table that grew
    by a million rows since autovacuum last looked gets bad plans for tile queries until then."""
    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(ReferenceFeature._meta.db_table)}")


RESERVED_NAMES = {"load"}  # /map/reference/load/ is the load page


def check_name(name: str) -> None:
    from django.utils.text import slugify

    if not name or slugify(name) != name or name != name.lower() or len(name) > 64:
        raise LoadError(f"图层标识“{name}”无效：只能使用英文小写字母、数字和连字符（不超过 64 个字符）")
    if name in RESERVED_NAMES:
        raise LoadError(f"图层标识“{name}”是页面地址的保留字，请换一个")


def _authorise(user: Any) -> None:
    if user is not None and not is_city_admin(user):
        raise LoadError("只有市级管理员可以载入或替换参考图层")


def load_features(spec: LayerSpec, feats: Features, *, replace: bool = False, user: Any = None,
                  strict: bool = True, bounds: tuple[float, float, float, float] | None = None,
                  progress: Progress | None = None) -> LoadResult:
    """Check ``feats`` and write them as the layer ``spec.name`` in one transaction (see the module doc)."""
    progress = progress or _noop
    t0 = time.perf_counter()
    _authorise(user)
    existing = ReferenceLayer.objects.filter(name=spec.name).first()
    if existing is not None and not replace:
        raise LoadError(f"参考图层“{spec.name}”（{existing.title}）已存在，共 {existing.feature_count:,} 个要素；"
                        "如需替换请使用“替换”（--replace）")
    progress(0, len(feats), f"检查 {len(feats):,} 个要素")
    checked, repaired, skipped = check_features(spec, feats, strict=strict, bounds=bounds)
    kept = [i for i, g in enumerate(checked) if g is not None]
    total = len(kept)
    extent = _extent(np.asarray(feats.geoms, dtype=object)[kept])
    replaced = 0
    with transaction.atomic():
        layer = ReferenceLayer.objects.select_for_update().filter(name=spec.name).first()
        if layer is None:
            layer = ReferenceLayer(name=spec.name)
        elif not replace:
            raise LoadError(f"参考图层“{spec.name}”已存在；如需替换请使用“替换”（--replace）")
        else:
            replaced = ReferenceFeature.objects.filter(layer=layer).delete()[0]
        layer.title, layer.kind, layer.source, layer.licence = spec.title, spec.kind, spec.source[:300], spec.licence[:100]
        layer.source_crs, layer.basemap = spec.source_crs[:64], spec.basemap
        layer.feature_count, layer.repaired_count, layer.extent = total, repaired, extent
        layer.save()
        for start in range(0, total, BATCH):
            chunk = [
                ReferenceFeature(layer=layer, name=(feats.names[i] or "")[:200], category=(feats.categories[i] or "")[:64],
                                 properties=feats.properties[i] or {}, geom=checked[i])
                for i in kept[start:start + BATCH]
            ]
            ReferenceFeature.objects.bulk_create(chunk, batch_size=BATCH)
            progress(start + len(chunk), total, f"写入 {start + len(chunk):,}/{total:,}")
    _analyze()
    return LoadResult(layer, total, repaired, skipped, replaced, time.perf_counter() - t0)


# --------------------------------------------------------------------------- OSM


@dataclass(frozen=True)
class OsmLayer:
    key: str
    kind: str
    title: str
    basemap: bool


OSM_LAYERS: dict[str, OsmLayer] = {
    "buildings": OsmLayer("buildings", ReferenceLayerKind.BUILDINGS, "建筑轮廓（OSM）", False),
    "roads": OsmLayer("roads", ReferenceLayerKind.ROADS, "道路（OSM）", True),
    "water": OsmLayer("water", ReferenceLayerKind.WATER, "水系（OSM）", True),
    "green": OsmLayer("green", ReferenceLayerKind.GREEN, "绿地（OSM）", True),
}
# what each layer keeps (OSM key → values; True = any value); the first key present gives the category
OSM_FILTERS: dict[str, dict[str, list[str] | bool]] = {
    "water": {"natural": ["water"], "waterway": True, "landuse": ["reservoir", "basin"]},
    "green": {"leisure": ["park", "garden"], "landuse": ["grass", "forest", "meadow", "recreation_ground", "village_green"],
              "natural": ["wood", "grassland", "scrub"]},
}
ROAD_PROPERTIES = ("ref", "lanes", "oneway", "bridge", "tunnel")
BUILDING_PROPERTIES = ("building:levels", "height", "amenity")


def parse_layer_keys(value: str | None) -> list[str]:
    """``"buildings,roads"`` → ``["buildings", "roads"]``; all four when empty; a Chinese error otherwise."""
    if not value:
        return list(OSM_LAYERS)
    keys = [k.strip() for k in value.split(",") if k.strip()]
    unknown = [k for k in keys if k not in OSM_LAYERS]
    if unknown or not keys:
        raise LoadError(f"未知的 OSM 图层：{'、'.join(unknown) or value}；可选：{', '.join(OSM_LAYERS)}")
    return list(dict.fromkeys(keys))


def _open_osm(path: Path):
    import pyrosm
    from pyrosm.exceptions import PBFException

    if not path.is_file():
        raise LoadError(f"找不到 OSM 文件：{path}")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            osm = pyrosm.OSM(str(path))
    except (PBFException, OSError, ValueError) as exc:
        raise LoadError(f"无法读取 OSM 文件 {path.name}：不是有效的 .osm.pbf（{type(exc).__name__}）") from None
    return osm


def _text(value: Any) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    return str(value)


def _frame_features(df: Any, category_keys: tuple[str, ...], property_keys: tuple[str, ...]) -> Features:
    if df is None or len(df) == 0:
        return Features(np.array([], dtype=object), [], [], [])
    cols = set(df.columns)
    names = [_text(v) for v in df["name"]] if "name" in cols else [""] * len(df)
    categories = [""] * len(df)
    for key in reversed(category_keys):  # the first key present wins
        if key in cols:
            categories = [_text(v) or c for v, c in zip(df[key], categories)]
    props: list[dict[str, Any]] = [{} for _ in range(len(df))]
    ids = df["id"].tolist() if "id" in cols else [None] * len(df)
    for i, osm_id in enumerate(ids):
        if osm_id is not None:
            props[i]["osm_id"] = int(osm_id)
    for key in property_keys:
        if key in cols:
            for i, v in enumerate(df[key]):
                t = _text(v)
                if t:
                    props[i][key] = t
    return Features(np.asarray(df.geometry.values, dtype=object), names, categories, props)


def read_osm_features(path: str | Path, key: str, osm: Any = None) -> Features:
    """One of the :data:`OSM_LAYERS` read from an ``.osm.pbf`` (WGS84, as OSM is); ``osm`` is the file
    already opened with pyrosm (which keeps what it parsed for the next layer)."""
    from pyrosm.exceptions import PBFException

    osm = osm or _open_osm(Path(path))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            if key == "buildings":
                df = osm.get_buildings()
                return _frame_features(df, ("building",), BUILDING_PROPERTIES)
            if key == "roads":
                df = osm.get_network(network_type="all")
                return _frame_features(df, ("highway",), ROAD_PROPERTIES)
            flt = OSM_FILTERS[key]
            df = osm.get_data_by_custom_criteria(custom_filter=flt, filter_type="keep", keep_nodes=False,
                                                 keep_ways=True, keep_relations=True)
        except (PBFException, OSError, ValueError, KeyError, IndexError, RuntimeError) as exc:  # a damaged file
            raise LoadError(f"读取 OSM 文件 {Path(path).name} 的{OSM_LAYERS[key].title}失败（{type(exc).__name__}: {exc}）") from None
    return _frame_features(df, tuple(flt), ())


def load_osm(path: str | Path, layers: list[str] | None = None, *, replace: bool = False, user: Any = None,
             prefix: str = "osm", source_name: str = "", progress: Progress | None = None) -> list[LoadResult]:
    """Load the chosen :data:`OSM_LAYERS` of an ``.osm.pbf`` as reference layers ``<prefix>-<layer>``.

    Each layer is its own transaction; every layer is read and checked before the first is written,
    so an unreadable file or a layer that cannot be loaded leaves the database unchanged."""
    p = Path(path)
    keys = layers or list(OSM_LAYERS)
    check_name(f"{prefix}-buildings")
    _authorise(user)
    progress = progress or _noop
    read: list[tuple[LayerSpec, Features]] = []
    osm = _open_osm(p)
    for n, key in enumerate(keys):
        spec_ = OSM_LAYERS[key]
        progress(n, len(keys), f"读取 {spec_.title}")
        feats = read_osm_features(p, key, osm)
        spec = LayerSpec(name=f"{prefix}-{key}", title=spec_.title, kind=spec_.kind, source=f"OpenStreetMap {source_name or p.name}",
                         licence=OSM_LICENCE, source_crs="EPSG:4326", basemap=spec_.basemap)
        if len(feats) == 0:
            raise LoadError(f"OSM 文件 {p.name} 中没有{spec_.title}（空图层）；请去掉该图层（--layers）或换用其他提取范围，未写入任何数据")
        existing = ReferenceLayer.objects.filter(name=spec.name).first()
        if existing is not None and not replace:
            raise LoadError(f"参考图层“{spec.name}”（{existing.title}）已存在；如需替换请使用“替换”（--replace），未写入任何数据")
        read.append((spec, feats))
    return [load_features(spec, feats, replace=replace, user=user, strict=False, progress=progress) for spec, feats in read]


# --------------------------------------------------------------------------- any geometry file


LAYER_SUFFIXES = (".gpkg", ".geojson", ".json", ".zip", ".shp")


def read_file_features(path: str | Path, *, crs: str | None = None) -> tuple[Features, str]:
    """A GeoPackage / zipped Shapefile / GeoJSON layer as WGS84 features, with the CRS it was read in."""
    from cityrenew.engine import crs as crsmod
    from cityrenew.engine.io import InputError, project_geoms, read_layer

    p = Path(path)
    if p.suffix.lower() not in LAYER_SUFFIXES:
        raise LoadError(f"不支持的文件类型“{p.suffix}”：请使用 GeoPackage（.gpkg）、GeoJSON（.geojson）或压缩的 Shapefile（.zip）")
    try:
        layer = read_layer(p, crs=crs, what="图层")
        src = layer.crs
        geoms = project_geoms(layer.gdf.geometry.values, src, crsmod.WGS84)
    except (InputError, crsmod.CRSInputError) as exc:
        raise LoadError(str(exc)) from None
    gdf = layer.gdf
    name_col = next((c for c in ("name", "名称", "NAME", "Name", "mc", "MC") if c in gdf.columns), None)
    cat_col = next((c for c in ("category", "type", "类型", "分类", "TYPE", "kind") if c in gdf.columns), None)
    attrs = [c for c in gdf.columns if c != gdf.geometry.name]
    props = []
    for rec in gdf[attrs].itertuples(index=False, name=None):
        props.append({k: _json_value(v) for k, v in zip(attrs, rec) if _json_value(v) not in (None, "")})
    names = [_text(v) for v in gdf[name_col]] if name_col else [""] * len(gdf)
    cats = [_text(v) for v in gdf[cat_col]] if cat_col else [""] * len(gdf)
    return Features(np.asarray(geoms, dtype=object), names, cats, props), src


def _json_value(v: Any) -> Any:
    if v is None:
        return None
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (np.floating, float)):
        return None if np.isnan(v) else float(v)
    if isinstance(v, (np.bool_, bool)):
        return bool(v)
    if isinstance(v, (str, int)):
        return v
    return str(v)


def load_file(path: str | Path, *, name: str, title: str, kind: str = ReferenceLayerKind.OTHER, crs: str | None = None,
              source: str = "", licence: str = "", basemap: bool = False, replace: bool = False, user: Any = None,
              bounds: tuple[float, float, float, float] | None = None, progress: Progress | None = None) -> LoadResult:
    """Load one geometry file as the reference layer ``name`` (see the module doc for the checks)."""
    if kind not in ReferenceLayerKind.values:
        raise LoadError(f"未知的图层类型“{kind}”；可选：{', '.join(ReferenceLayerKind.values)}")
    check_name(name)
    if not title.strip():
        raise LoadError("请填写图层名称")
    _authorise(user)
    progress = progress or _noop
    progress(0, 0, f"读取 {Path(path).name}")
    feats, src = read_file_features(path, crs=crs)
    spec = LayerSpec(name=name, title=title.strip(), kind=kind, source=source or Path(path).name, licence=licence,
                     source_crs=src if len(src) <= 64 else "WKT", basemap=basemap)
    return load_features(spec, feats, replace=replace, user=user, strict=True, bounds=bounds, progress=progress)


def city_bounds(margin_deg: float = 0.2) -> tuple[float, float, float, float] | None:
    """The extent of the loaded city boundaries (every region with a boundary), widened by ``margin_deg``;
    ``None`` when no boundary is loaded. A layer wholly outside it is in a wrong or undeclared CRS."""
    from cityrenew.core.geofiles import city_bounds as boundaries_extent

    return boundaries_extent(None, margin=margin_deg)
