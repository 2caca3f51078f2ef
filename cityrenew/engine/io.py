"""Reading inputs (数据读取): OSM .osm.pbf, GeoPackage, Shapefile (UTF-8 or GBK), GeoJSON, CSV lon/lat.

Every reader returns data with a stated CRS; :func:`load_city` projects everything into the metric
CRS chosen for the city (:func:`cityrenew.engine.crs.metric_crs_for`) and builds the network, units
and facilities the coverage computation needs. Problems with the input raise :class:`InputError`
with a Chinese message that names the file and what to do; the CLI turns it into exit code 2.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray

from . import crs as crsmod
from . import features
from .driving import DriveNetwork, build_drive_network, drive_network_from_lines
from .facilities import (
    CATEGORIES,
    OSM_KEYS,
    Facilities,
    category_label,
    deduplicate,
    facilities_from_geometries,
    match_osm,
    match_poi_types,
    unclassified_messages,
    unclassified_osm,
)
from .network import (  # noqa: F401
    DEFAULT_MAX_SNAP_M,
    DEFAULT_MIN_COMPONENT_M,
    NetworkError,
    WalkNetwork,
    build_network,
)
from .pbf import Edges, Network
from .units import Units, assign_districts, repair_geometries, units_from_geometries

# OSM highway classes counted as 城市道路 (快速路/主干路/次干路/支路) for 城市道路网密度 (指标35);
# service roads, footways, paths and tracks are not city roads.
CITY_ROAD_CLASSES = (
    "motorway", "motorway_link", "trunk", "trunk_link", "primary", "primary_link", "secondary",
    "secondary_link", "tertiary", "tertiary_link", "unclassified", "residential", "living_street",
)


class InputError(ValueError):
    """Bad input that a user can fix; the message is Chinese first and names the file."""


@dataclass
class Layer:
    """A vector layer as read: ``gdf`` geometries in ``crs`` coordinates (GCJ-02 kept as degrees)."""

    gdf: gpd.GeoDataFrame
    crs: str
    path: str
    declared: bool  # CRS stated by the file (.prj, GeoPackage) or by the user, not assumed
    encoding: str | None = None
    gcj_hint: str = ""  # why the layer looks like Amap/Tencent data (GCJ-02)
    warnings: list[str] = field(default_factory=list)


@dataclass
class City:  # 一个城市（或分区）的计算输入
    network: WalkNetwork
    units: Units
    facilities: Facilities
    crs: str
    roads: NDArray  # city roads in ``crs`` (for 道路网密度): line geometries, or segments as coordinates (n, 2, 2) from OSM
    area: object  # shapely polygon in ``crs``: the built-up area the density is measured over
    area_source: str
    sources: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    drive: DriveNetwork | None = None  # driving network (消防站 行车时间)
    jobs: Units | None = None  # workplaces (指标43 就业端); population = jobs per site
    greenways: dict | None = None  # 绿道 length statistics
    timings: dict[str, float] = field(default_factory=dict)  # seconds: parse_s (reading the OSM file)


# ---------------------------------------------------------------- OSM


def _require_file(path: str | Path, what: str) -> Path:
    p = Path(path)
    if not p.exists():
        raise InputError(f"找不到{what}文件：{p}（file not found）")
    if p.is_dir():
        raise InputError(f"{what}路径是一个目录，而不是文件：{p}")
    return p


def _tags_frame(df: pd.DataFrame, keys: tuple[str, ...]) -> pd.DataFrame:
    """One column per OSM key, filling keys pyrosm left in its JSON ``tags`` column."""
    out = pd.DataFrame(index=df.index)
    extra = None
    for k in keys:
        if k in df.columns:
            out[k] = df[k].astype("string")
            continue
        if extra is None:
            raw = df["tags"] if "tags" in df.columns else pd.Series([None] * len(df), index=df.index)
            extra = raw.map(lambda t: json.loads(t) if isinstance(t, str) and t else (t if isinstance(t, dict) else {}))
        out[k] = extra.map(lambda d, k=k: d.get(k)).astype("string")
    return out


@dataclass
class OsmExtract(Edges):
    """What the engine needs from an OSM extract, in WGS84 degrees.

    ``node_ids`` (ascending), ``lon``, ``lat``: the walking network's nodes; ``u``, ``v``,
    ``highway``: one edge per pair of consecutive nodes of a walking way (:class:`Edges`). ``residential``,
    ``pois`` (and ``buildings`` when asked for): GeoDataFrames with ``id``, ``osm_type``, ``name`` and the
    OSM keys the engine reads. ``parse_s``: seconds spent reading the file.
    """

    residential: gpd.GeoDataFrame
    pois: gpd.GeoDataFrame
    poi_tags: pd.DataFrame
    greenways: gpd.GeoDataFrame | None = None  # highway ways named 绿道/greenway (WGS84)
    drive: Network | None = None  # driving network (pyrosm's "driving" filter), with oneway/junction
    buildings: gpd.GeoDataFrame | None = None  # building=* polygons (only when asked for)
    parse_s: float = 0.0

    def edge_index(self) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
        """Positions of ``u`` and ``v`` in ``node_ids``."""
        return np.searchsorted(self.node_ids, self.u), np.searchsorted(self.node_ids, self.v)

    @property
    def edge_geoms(self) -> NDArray[np.object_]:
        """Each edge as a two-point LineString (WGS84), built on demand."""
        iu, iv = self.edge_index()
        coords = np.stack([np.column_stack([self.lon[iu], self.lat[iu]]), np.column_stack([self.lon[iv], self.lat[iv]])], axis=1)
        return shapely.linestrings(coords)


def osm_poi_filter() -> dict[str, frozenset[str] | None]:
    """OSM key → values (``None``: any value) of the features any facility category reads."""
    filt: dict[str, set] = {}
    for c in CATEGORIES.values():
        for r in c.osm:
            filt.setdefault(r.key, set()).update(r.values or [None])
    return {k: (None if None in v else frozenset(v)) for k, v in filt.items()}


def _frame(table: dict, keys: tuple[str, ...]) -> gpd.GeoDataFrame:
    tags = table["tags"]
    cols: dict[str, object] = {
        "id": np.asarray(table["id"], dtype=np.int64),
        "osm_type": np.asarray(table["osm_type"], dtype=object),
    }
    for k in keys:
        cols[k] = pd.array([t.get(k) for t in tags], dtype="string")
    return gpd.GeoDataFrame(cols, geometry=table["geometry"], crs=crsmod.WGS84)


POI_KEYS = tuple(sorted(set(OSM_KEYS) | {"sport"}))  # the tags facilities and football sizes read


def read_osm(path: str | Path, *, driving: bool = False, buildings: bool = False, greenways: bool = False) -> OsmExtract:
    """Read the walking network, residential areas and facilities from an ``.osm.pbf`` (WGS84), and
    when asked for the driving network (``driving``), the 绿道 ways (``greenways``) and the building
    outlines (``buildings``) — all in one pass (:mod:`cityrenew.engine.pbf`, pyosmium)."""
    p = _require_file(path, "OSM")
    from .pbf import read_pbf

    try:
        data = read_pbf(p, osm_poi_filter(), buildings=buildings, driving=driving, greenways=greenways)
    except (RuntimeError, OSError) as exc:  # osmium: "PBF error: …", "Could not detect file format …"
        raise InputError(f"无法读取OSM文件 {p.name}：不是有效的 .osm.pbf（{type(exc).__name__}: {exc}）") from None
    w = data.walk
    if w.u.size == 0:
        raise InputError(
            f"OSM文件 {p.name} 中没有步行路网（没有可步行的 highway 道路）。"
            "请换用包含道路的OSM提取范围，或用 --roads 提供道路图层（no walking network in the file）"
        )
    pois = _frame(data.pois, POI_KEYS)
    gw = None
    if data.greenways is not None:
        gw = _frame(data.greenways, ("name", "name:zh", "highway"))
    return OsmExtract(
        node_ids=w.node_ids,
        lon=w.lon,
        lat=w.lat,
        u=w.u,
        v=w.v,
        highway=w.highway,
        residential=_frame(data.residential, ("name", "landuse")),
        pois=pois,
        poi_tags=pd.DataFrame({k: pois[k] for k in POI_KEYS}),
        greenways=gw,
        drive=data.drive,
        buildings=None if data.buildings is None else _frame(data.buildings, ("name", "building", "building:levels")),
        parse_s=data.parse_s,
    )


# ---------------------------------------------------------------- layers

_LON = ("lon", "lng", "longitude", "long", "经度", "x", "wgs_lng", "gcj_lng", "gcj_lon", "lng_gcj")
_LAT = ("lat", "latitude", "纬度", "y", "wgs_lat", "gcj_lat", "lat_gcj")
_AMAP_COLUMNS = ("typecode", "adcode", "pcode", "citycode", "pname", "adname", "business_area")


def _detect_text_encoding(raw: bytes) -> str:
    try:
        raw.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        raw.decode("gb18030")
        return "gb18030"
    except UnicodeDecodeError:
        return "latin-1"


def shapefile_encoding(p: Path) -> str | None:
    """UTF-8 or GB18030 (a superset of GBK) for a shapefile's .dbf when no .cpg declares it.

    GDAL would assume ISO-8859-1. Only the records are judged: the .dbf header (its length is in
    bytes 8–9) holds binary numbers, which need not decode in either encoding.
    """
    dbf = p.with_suffix(".dbf")
    if not dbf.exists():
        return None
    raw = dbf.read_bytes()
    if len(raw) < 32:
        return None
    found = _detect_text_encoding(raw[int.from_bytes(raw[8:10], "little"):])
    cpg = p.with_suffix(".cpg")
    if cpg.exists():
        said = cpg.read_text(encoding="ascii", errors="replace").strip().lower().replace("-", "")
        if said in ("utf8", "65001") and found != "utf-8":
            return found  # the .cpg says UTF-8 but the records are not: GBK written by a tool that lied
        return None  # GDAL honours the .cpg
    return found


def _gcj_hint(columns: list[str], df: pd.DataFrame) -> str:
    low = [str(c).lower() for c in columns]
    for c in low:
        if "gcj" in c or "amap" in c or "gaode" in c or "高德" in c or "腾讯" in c or "火星" in c:
            return f"列名“{c}”"
    found = [c for c in _AMAP_COLUMNS if c in low]
    if found:
        return f"高德POI字段（{', '.join(found)}）"
    if "location" in low:
        col = df.columns[low.index("location")]
        sample = df[col].astype(str).head(20)
        if sample.str.match(r"^\s*\d{2,3}\.\d+\s*,\s*\d{1,2}\.\d+\s*$").all() and len(sample):
            return "“location”列为高德格式“经度,纬度”"
    return ""


def _read_csv(p: Path, encoding: str | None, lon_col: str | None, lat_col: str | None) -> tuple[pd.DataFrame, str, str, str]:
    enc = encoding or _detect_text_encoding(p.read_bytes())
    if enc == "utf-8":
        enc = "utf-8-sig"
    try:
        df = pd.read_csv(p, encoding=enc, dtype=str, keep_default_na=False)
    except Exception as exc:
        raise InputError(f"无法读取CSV文件 {p.name}（{type(exc).__name__}: {exc}）") from None
    cols = {str(c).strip().lower(): c for c in df.columns}
    lon_c = cols.get(lon_col.lower()) if lon_col else next((cols[c] for c in _LON if c in cols), None)
    lat_c = cols.get(lat_col.lower()) if lat_col else next((cols[c] for c in _LAT if c in cols), None)
    if (lon_c is None or lat_c is None) and "location" in cols:
        loc = df[cols["location"]].astype(str).str.split(",", n=1, expand=True)
        if loc.shape[1] == 2:
            df["_lon"], df["_lat"] = loc[0], loc[1]
            lon_c, lat_c = "_lon", "_lat"
    if lon_c is None or lat_c is None:
        raise InputError(
            f"CSV文件 {p.name} 中找不到经纬度列。请提供 lon/lat（或 经度/纬度、lng/lat、location）列，"
            f"或用 --lon-col/--lat-col 指定；现有列：{', '.join(map(str, df.columns))}"
        )
    return df, lon_c, lat_c, enc


def read_layer(
    path: str | Path,
    *,
    crs: str | None = None,
    encoding: str | None = None,
    lon_col: str | None = None,
    lat_col: str | None = None,
    what: str = "图层",
) -> Layer:
    """Read a GeoPackage / Shapefile / GeoJSON / CSV (lon, lat) layer with its CRS.

    ``crs`` (any form :func:`cityrenew.engine.crs.parse_crs` accepts, including ``gcj02``)
    overrides the file's own CRS. A shapefile without ``.cpg`` has its attribute encoding detected
    (UTF-8, else GBK/GB18030). A CSV without a stated CRS is assumed WGS84 (``declared=False``);
    a layer with neither a CRS in the file nor ``crs`` raises :class:`InputError`.
    """
    p = _require_file(path, what)
    user_crs = crsmod.parse_crs(crs) if crs else None
    suffix = p.suffix.lower()
    if suffix in (".csv", ".txt"):
        df, lon_c, lat_c, enc = _read_csv(p, encoding, lon_col, lat_col)
        lon = pd.to_numeric(df[lon_c], errors="coerce").to_numpy(float)
        lat = pd.to_numeric(df[lat_c], errors="coerce").to_numpy(float)
        bad = ~(np.isfinite(lon) & np.isfinite(lat))
        if bad.any():
            rows = ", ".join(str(i + 2) for i in np.flatnonzero(bad)[:10])
            raise InputError(f"CSV文件 {p.name} 第 {rows} 行的经纬度不是数字（{lon_c}/{lat_c}）")
        hint = _gcj_hint(list(df.columns), df)
        geo_crs = user_crs or crsmod.WGS84
        if not crsmod.is_geographic(geo_crs) and user_crs is not None:
            pass  # projected x/y columns are fine when the user says so
        elif (np.abs(lon) > 180).any() or (np.abs(lat) > 90).any():
            try:
                crsmod.check_coordinates(lon, lat, geo_crs, what=f"CSV文件 {p.name}")
            except crsmod.CRSInputError as exc:
                raise InputError(str(exc)) from None
        gdf = gpd.GeoDataFrame(df, geometry=shapely.points(lon, lat), crs=None)
        return Layer(gdf, geo_crs, str(p), declared=user_crs is not None, encoding=enc, gcj_hint=hint)
    enc = encoding
    layer_warn: list[str] = []
    if suffix == ".shp" and enc is None:
        enc = shapefile_encoding(p)
        if enc is not None and p.with_suffix(".cpg").exists():
            layer_warn.append(
                f"{what}文件 {p.name} 的 .cpg 声明为 UTF-8，但属性不是有效的 UTF-8 编码，已按 {enc.upper()}（GBK）读取；"
                "请核对名称是否正确，或用 --encoding 指定编码"
            )
    try:
        import pyogrio

        gdf = pyogrio.read_dataframe(p, encoding=enc) if enc else pyogrio.read_dataframe(p)
    except UnicodeDecodeError:
        raise InputError(
            f"无法读取{what}文件 {p.name}：属性编码不是 {enc or 'UTF-8'}。请用 --encoding 指定编码（如 gbk 或 utf-8）"
            "（attribute encoding mismatch）"
        ) from None
    except Exception as exc:
        raise InputError(f"无法读取{what}文件 {p.name}（{type(exc).__name__}: {exc}）") from None
    if gdf.geometry is None or len(gdf) == 0:
        raise InputError(f"{what}文件 {p.name} 中没有要素（empty layer）")
    hint = _gcj_hint(list(gdf.columns), gdf)
    if user_crs is not None:
        return Layer(gdf, user_crs, str(p), declared=True, encoding=enc, gcj_hint=hint, warnings=layer_warn)
    if gdf.crs is None:
        raise InputError(
            f"{what}文件 {p.name} 没有坐标系信息（例如缺少 .prj 文件）。请用参数指定坐标系，"
            "如 wgs84、cgcs2000、gcj02 或 EPSG:4545（CGCS2000 3度带 CM 108E）（unknown CRS）"
        )
    return Layer(gdf, crsmod.parse_crs(gdf.crs), str(p), declared=True, encoding=enc, gcj_hint=hint, warnings=layer_warn)


def project_geoms(geoms: NDArray[np.object_], src_crs: str, dst_crs: str) -> NDArray[np.object_]:
    """Project shapely geometries between CRSs (GCJ-02 source converted to WGS84 first)."""
    g = np.asarray(geoms, dtype=object)
    if src_crs == dst_crs:
        return g

    def fn(xy: NDArray) -> NDArray:
        x, y = crsmod.to_metric(xy[:, 0], xy[:, 1], src_crs, dst_crs)
        return np.column_stack([x, y])

    return shapely.transform(g, fn)


def _first_col(gdf: pd.DataFrame, names: tuple[str, ...]) -> str | None:
    low = {str(c).lower(): c for c in gdf.columns}
    return next((low[n] for n in names if n in low), None)


_NAME_COLS = ("name", "名称", "小区名称", "xqmc", "mc", "unit_name")
_ID_COLS = ("id", "unit_id", "编号", "code", "osm_id", "fid")
_POP_COLS = ("population", "pop", "人口", "常住人口", "户籍人口", "rk")
_JOBS_COLS = ("jobs", "employment", "employees", "workers", "就业岗位", "岗位数", "就业人数", "从业人员")
_TYPE_COLS = ("category", "type", "类型", "类别", "poi_type", "设施类型", "kind")
_DISTRICT_NAME = ("name", "名称", "district", "区县", "区名")


# ---------------------------------------------------------------- city


def _check_layer(layer: Layer, what: str, reference: tuple[float, float, float, float] | None) -> list[str]:
    """The layer's own warnings plus :func:`cityrenew.engine.crs.check_coordinates` on one vertex
    per feature (raises :class:`InputError` for swapped or out-of-CRS coordinates)."""
    xy, idx = shapely.get_coordinates(layer.gdf.geometry.values, return_index=True)
    first = np.unique(idx, return_index=True)[1]
    x = np.full(len(layer.gdf), np.nan)
    y = np.full(len(layer.gdf), np.nan)
    x[idx[first]], y[idx[first]] = xy[first, 0], xy[first, 1]
    try:
        found = crsmod.check_coordinates(x, y, layer.crs, what=f"{what}文件 {Path(layer.path).name}", reference=reference)
    except crsmod.CRSInputError as exc:
        raise InputError(str(exc)) from None
    return layer.warnings + found


def _network_from_lines(geoms: NDArray[np.object_], crs: str, min_component_m: float = DEFAULT_MIN_COMPONENT_M) -> WalkNetwork:
    """Walking network from line geometries in metres: vertices are nodes, shared at equal
    coordinates (rounded to 1 cm); consecutive vertices are edges."""
    lines = shapely.get_parts(np.asarray(geoms, dtype=object))
    lines = lines[np.isin(shapely.get_type_id(lines), (1, 2))]
    xy, idx = shapely.get_coordinates(lines, return_index=True)
    if len(xy) < 2:
        raise NetworkError("道路图层中没有线要素，无法构建步行路网（no walking network）")
    key = np.round(xy * 100).astype(np.int64)
    uniq, inv = np.unique(key, axis=0, return_inverse=True)
    inv = inv.ravel()
    same = idx[1:] == idx[:-1]
    u, v = inv[:-1][same], inv[1:][same]
    ln = np.hypot(*(xy[1:][same] - xy[:-1][same]).T)
    return build_network(
        np.arange(len(uniq)), uniq[:, 0] / 100.0, uniq[:, 1] / 100.0, u, v, ln, crs=crs, min_component_m=min_component_m
    )


def load_city(
    *,
    osm: str | Path | None = None,
    roads: str | Path | None = None,
    units: str | Path | None = None,
    facilities: str | Path | None = None,
    districts: str | Path | None = None,
    area: str | Path | None = None,
    units_crs: str | None = None,
    facilities_crs: str | None = None,
    roads_crs: str | None = None,
    encoding: str | None = None,
    lon_col: str | None = None,
    lat_col: str | None = None,
    all_residential: bool = False,
    metric_crs: str | None = None,
    gcj_check: bool = True,
    min_component_m: float = DEFAULT_MIN_COMPONENT_M,
    building_units: bool = False,
    population: str | Path | None = None,
    jobs: str | Path | None = None,
    driving: bool = False,
    greenways: bool = False,
    jobs_crs: str | None = None,
    population_crs: str | None = None,
) -> City:
    """Read everything for one city and project it into one metric CRS (metres).

    Network from ``osm`` (walking network, :func:`read_osm`) or ``roads`` (line layer). Units from
    ``units`` or, by default, the named ``landuse=residential`` areas (小区) of ``osm``
    (``all_residential`` adds unnamed ones). Facilities from ``facilities`` (category from a
    ``category``/``type`` column or OSM tag columns) or from the OSM POIs. ``districts``: polygons
    whose ``name`` labels the units. ``area``: polygon(s) for 道路网密度 (default: the districts
    clipped to the convex hull of the units, else that hull). ``min_component_m``: keep every
    network component with at least this length of ways (the largest is always kept).

    ``building_units``: every residential building is a unit (rule in
    :func:`cityrenew.engine.features.residential_building_mask`; with ``units`` the layer's features
    are buildings). ``population``: a layer with a population column spread onto the units
    (:func:`cityrenew.engine.features.building_population`). ``jobs``: workplaces with a jobs column
    for the jobs end of 指标43. ``driving``: build the driving network for 消防站 (指标53);
    ``greenways``: read the 绿道 ways (read in the same pass over an OSM file; :func:`coverage_files`
    turns them on when a rule needs them).
    """
    if osm is None and roads is None:
        raise InputError("需要 --osm（OSM .osm.pbf）或 --roads（道路线图层）之一来构建步行路网")
    warn: list[str] = []
    sources: dict[str, str] = {}
    timings: dict[str, float] = {}
    ext: OsmExtract | None = (
        read_osm(osm, driving=driving, buildings=building_units and units is None, greenways=greenways)
        if osm is not None
        else None
    )
    road_layer = read_layer(roads, crs=roads_crs, encoding=encoding, what="道路") if roads is not None else None
    unit_layer = (
        read_layer(units, crs=units_crs, encoding=encoding, lon_col=lon_col, lat_col=lat_col, what="评价单元")
        if units is not None
        else None
    )
    fac_layer = (
        read_layer(facilities, crs=facilities_crs, encoding=encoding, lon_col=lon_col, lat_col=lat_col, what="设施")
        if facilities is not None
        else None
    )
    if fac_layer is not None and fac_layer.gcj_hint and not fac_layer.declared and gcj_check:
        raise InputError(
            f"设施文件 {Path(fac_layer.path).name} 看起来来自高德/腾讯（{fac_layer.gcj_hint}），"
            "其坐标通常是GCJ-02（火星坐标），但文件没有声明坐标系。请加 --facilities-crs gcj02；"
            "若确认是WGS84，请加 --facilities-crs wgs84。（GCJ-02 suspected, CRS not declared）"
        )
    ref = None
    if ext is not None:
        ref = (float(ext.lon.min()), float(ext.lat.min()), float(ext.lon.max()), float(ext.lat.max()))
    if road_layer is not None:
        warn += _check_layer(road_layer, "道路", None)
    for layer, what in ((unit_layer, "评价单元"), (fac_layer, "设施")):
        if layer is not None:
            warn += _check_layer(layer, what, ref)

    # --- metric CRS for the city
    if metric_crs is None:
        if ext is not None:
            lon0, lat0 = float(np.median(ext.lon)), float(np.median(ext.lat))
        else:
            assert road_layer is not None
            b = road_layer.gdf.total_bounds
            cx, cy = (b[0] + b[2]) / 2, (b[1] + b[3]) / 2
            lon0, lat0 = (float(v[0]) for v in crsmod.to_lonlat([cx], [cy], road_layer.crs))
        metric_crs = crsmod.metric_crs_for(lon0, lat0)
    mcrs = metric_crs

    # --- network + city roads
    walk_xy = None
    if ext is not None:
        x, y = crsmod.to_metric(ext.lon, ext.lat, crsmod.WGS84, mcrs)
        walk_xy = (x, y)
        iu, iv = ext.edge_index()
        dx, dy = x[iv] - x[iu], y[iv] - y[iu]
        network = build_network(
            ext.node_ids, x, y, ext.u, ext.v, np.sqrt(dx * dx + dy * dy), crs=mcrs, min_component_m=min_component_m,
            edge_index=(iu, iv),
        )
        is_city = np.isin(ext.highway.astype(str), CITY_ROAD_CLASSES)
        ru, rv = iu[is_city], iv[is_city]
        # segments as coordinates (n, 2, 2): road_network_density makes geometries only where needed
        road_geoms = np.stack([np.column_stack([x[ru], y[ru]]), np.column_stack([x[rv], y[rv]])], axis=1)
        sources["network"] = f"OSM {Path(osm).name}（步行路网 walking，pyosmium 读取）"  # type: ignore[arg-type]
        timings["parse_s"] = round(ext.parse_s, 3)
    else:
        assert road_layer is not None
        g = project_geoms(road_layer.gdf.geometry.values, road_layer.crs, mcrs)
        network = _network_from_lines(g, mcrs, min_component_m)
        hw = _first_col(road_layer.gdf, ("highway", "fclass", "class"))
        road_geoms = g if hw is None else g[np.isin(road_layer.gdf[hw].astype(str), CITY_ROAD_CLASSES)]
        sources["network"] = f"道路图层 {Path(roads).name}"  # type: ignore[arg-type]
    drive_net = _drive_network(ext, road_layer, mcrs, warn, walk_xy) if driving else None
    if network.n < 2:
        raise InputError("步行路网的最大连通分量少于2个节点，无法计算（no walking network）")

    # --- units
    floor_w = None
    if unit_layer is not None:
        gdf = unit_layer.gdf
        geoms = project_geoms(gdf.geometry.values, unit_layer.crs, mcrs)
        name_c, id_c, pop_c = _first_col(gdf, _NAME_COLS), _first_col(gdf, _ID_COLS), _first_col(gdf, _POP_COLS)
        the_units = units_from_geometries(
            geoms,
            ids=gdf[id_c].astype(str).to_numpy() if id_c else None,
            names=gdf[name_c].astype(str).to_numpy() if name_c else None,
            population=pd.to_numeric(gdf[pop_c], errors="coerce").to_numpy(float) if pop_c else None,
        )
        sources["units"] = f"{Path(unit_layer.path).name}（{unit_layer.crs}）"
        if building_units:
            the_units.kind = "building"
            sources["units"] += "（每个要素为一栋建筑）"
    elif building_units:
        if ext is None:
            raise InputError("按建筑单元计算（--building-units）需要 --osm 文件中的建筑，或用 --units 提供建筑图层")
        the_units, floor_w = _building_units(ext, mcrs)
        sources["units"] = (
            "OSM 居住建筑（building=residential/apartments/house/dormitory…，及居住用地 landuse=residential 内的其他建筑）"
        )
    else:
        assert ext is not None
        res = ext.residential
        names_s = res["name"] if "name" in res.columns else pd.Series([None] * len(res), index=res.index, dtype=object)
        named = names_s.notna() & (names_s.astype(str).str.strip() != "")
        sel = res if all_residential else res[named]
        if len(sel) == 0:
            if len(res) and not all_residential:
                raise InputError(
                    f"OSM文件中有 {len(res)} 个居住用地（landuse=residential），但都没有名称（name），不能作为小区单元。"
                    "请加 --all-residential 使用无名称的居住用地，或用 --units 提供评价单元（no named residential areas）"
                )
            raise InputError("OSM文件中没有居住用地（landuse=residential）作为小区单元；请用 --units 提供评价单元")
        geoms = project_geoms(sel.geometry.values, crsmod.WGS84, mcrs)
        the_units = units_from_geometries(
            geoms,
            ids=sel["id"].astype(str).to_numpy() if "id" in sel.columns else None,
            names=names_s[sel.index].fillna("").astype(str).to_numpy(),
        )
        sources["units"] = "OSM landuse=residential" + ("" if all_residential else "（有名称的小区）")
    if the_units.repaired:
        warn.append(
            f"评价单元中有 {the_units.repaired} 个无效几何（自相交等），已用 make_valid 修复后计算（invalid geometries repaired）"
        )
    if the_units.dropped_empty:
        warn.append(f"评价单元中有 {the_units.dropped_empty} 个空几何（或修复后为空），已忽略（empty geometries skipped）")
    if the_units.n == 0:
        raise InputError("评价单元中没有有效的几何要素（全部为空）")

    # --- facilities
    if fac_layer is not None:
        gdf = fac_layer.gdf
        geoms = project_geoms(gdf.geometry.values, fac_layer.crs, mcrs)
        is_line = np.isin(shapely.get_type_id(geoms), (1, 5))
        if is_line.any():  # lines (绿道) reached from any point: vertices at most 25 m apart
            geoms = np.asarray(geoms, dtype=object).copy()
            geoms[is_line] = features.segmentize(geoms[is_line])
        membership = {k: np.zeros(len(gdf), dtype=bool) for k in CATEGORIES}
        type_c = _first_col(gdf, _TYPE_COLS)
        if type_c is not None:
            for k, m in match_poi_types(gdf[type_c]).items():
                membership[k] |= m
        unclassified: dict[str, int] = {}
        if any(k in gdf.columns for k in OSM_KEYS if k != "name"):
            tags = _tags_frame(gdf, OSM_KEYS)
            for k, m in match_osm(tags).items():
                membership[k] |= m
            unclassified = {k: int((m & ~np.any(list(membership.values()), axis=0)).sum()) for k, m in unclassified_osm(tags, membership).items()}
        if "sport" in gdf.columns or "highway" in gdf.columns:  # OSM-tagged pitches and greenways
            ft = _tags_frame(gdf, ("leisure", "sport", "name", "highway", "name:zh"))
            for k, m in features.football_sizes(ft, geoms).items():
                membership[k] |= m
            membership["greenway"] |= features.greenway_mask(ft) & is_line
        if type_c is None and not any(k in gdf.columns for k in OSM_KEYS if k != "name"):
            raise InputError(
                f"设施文件 {Path(fac_layer.path).name} 没有类别列（category/type/类型）或OSM标签列（amenity、leisure…），"
                "无法判断设施类别"
            )
        name_c = _first_col(gdf, _NAME_COLS)
        the_facilities = facilities_from_geometries(
            geoms, membership, gdf[name_c].astype(str).to_numpy() if name_c else None
        )
        the_facilities.unclassified = unclassified_messages(unclassified)
        if the_facilities.n == 0:
            raise InputError(f"设施文件 {Path(fac_layer.path).name} 中没有任何要素能对应到设施类别（请检查类别列的取值）")
        sources["facilities"] = f"{Path(fac_layer.path).name}（{fac_layer.crs}）"
        if gcj_check and ext is not None and not fac_layer.declared and fac_layer.crs == crsmod.WGS84:
            ref = facilities_from_geometries(
                project_geoms(ext.pois.geometry.values, crsmod.WGS84, mcrs), match_osm(ext.poi_tags)
            )
            _check_not_gcj(ref, the_facilities, mcrs, Path(fac_layer.path).name)
    else:
        if ext is None:
            raise InputError("没有OSM文件时必须用 --facilities 提供设施图层")
        membership = match_osm(ext.poi_tags)
        geoms = project_geoms(ext.pois.geometry.values, crsmod.WGS84, mcrs)
        names = ext.pois["name"].fillna("").astype(str).to_numpy() if "name" in ext.pois else None
        membership.update(features.football_sizes(ext.poi_tags, geoms))
        # unclassified POIs are counted on the POI rows, before greenway ways are appended
        counts = {k: int(m.sum()) for k, m in unclassified_osm(ext.poi_tags, membership).items()}
        if ext.greenways is not None and len(ext.greenways):
            gw = features.segmentize(project_geoms(ext.greenways.geometry.values, crsmod.WGS84, mcrs))
            ng = len(gw)
            membership = {k: np.concatenate([m, np.full(ng, k == "greenway")]) for k, m in membership.items()}
            membership.setdefault("greenway", np.concatenate([np.zeros(len(geoms), bool), np.ones(ng, bool)]))
            gnames = ext.greenways["name"].fillna("").astype(str).to_numpy() if "name" in ext.greenways else np.full(ng, "")
            names = np.concatenate([names if names is not None else np.full(len(geoms), "", dtype=object), gnames])
            geoms = np.concatenate([np.asarray(geoms, dtype=object), gw])
        the_facilities = facilities_from_geometries(geoms, membership, names)
        the_facilities.unclassified = unclassified_messages(counts)
        sources["facilities"] = "OSM POI（amenity/leisure/shop/railway…）"
    the_facilities = deduplicate(the_facilities)
    warn += [m for m, _ in the_facilities.unclassified]
    if the_facilities.repaired:
        warn.append(f"设施中有 {the_facilities.repaired} 个无效几何（自相交等），已用 make_valid 修复（invalid geometries repaired）")
    if the_facilities.duplicates:
        detail = "、".join(f"{category_label(k)} {n} 处" for k, n in the_facilities.duplicates.items())
        warn.append(
            f"去除重复设施 {sum(the_facilities.duplicates.values())} 处（同一类别、相距不超过 5 米的点只计一次）：{detail}"
            "（duplicate facilities removed）"
        )

    # --- districts and area
    area_poly = None
    area_source = ""
    if districts is not None:
        dl = read_layer(districts, what="行政区")
        dg, nrep = repair_geometries(project_geoms(dl.gdf.geometry.values, dl.crs, mcrs))
        if nrep:
            warn.append(f"行政区图层中有 {nrep} 个无效几何，已修复（invalid geometries repaired）")
        nc = _first_col(dl.gdf, _DISTRICT_NAME)
        labels = dl.gdf[nc].astype(str).to_numpy() if nc else np.arange(len(dl.gdf)).astype(str)
        the_units.district = assign_districts(the_units, dg, labels)
        sources["districts"] = Path(districts).name
    if population is not None:
        pl = read_layer(population, crs=population_crs, encoding=encoding, lon_col=lon_col, lat_col=lat_col, what="人口")
        pc = _first_col(pl.gdf, _POP_COLS)
        if pc is None:
            raise InputError(f"人口文件 {Path(population).name} 中找不到人口列（population/pop/人口/常住人口）")
        pv = pd.to_numeric(pl.gdf[pc], errors="coerce").to_numpy(float)
        if the_units.geometry is None or not np.isin(shapely.get_type_id(the_units.geometry), (3, 6)).any():
            raise InputError("评价单元不是面要素，无法把人口图层分配到单元（请用建筑或小区面作为单元）")
        fw = floor_w if floor_w is not None else features.floor_weight(the_units.geometry, None)
        pop, lost = features.building_population(the_units.geometry, np.nan_to_num(fw, nan=0.0), project_geoms(pl.gdf.geometry.values, pl.crs, mcrs), pv)
        the_units.population = pop
        sources["population"] = f"{Path(population).name}（列 {pc}，按建筑面积（占地×层数）分配到单元）"
        if lost:
            warn.append(f"人口图层中 {lost} 个要素没有落入任何评价单元，其人口未计入（population features outside every unit）")
        if np.isnan(pop).any():
            warn.append(
                f"{int(np.isnan(pop).sum())} 个评价单元不在人口图层的任何要素内，没有人口数，不计入按人口加权的覆盖率"
                "（units without population are left out of population-weighted shares）"
            )
    jobs_units = None
    if jobs is not None:
        jl = read_layer(jobs, crs=jobs_crs, encoding=encoding, lon_col=lon_col, lat_col=lat_col, what="就业岗位")
        if jl.gcj_hint and not jl.declared and gcj_check:
            raise InputError(
                f"就业岗位文件 {Path(jl.path).name} 看起来来自高德/腾讯（{jl.gcj_hint}），坐标通常是GCJ-02，"
                "但文件没有声明坐标系。请加 --jobs-crs gcj02；若确认是WGS84，请加 --jobs-crs wgs84。（GCJ-02 suspected）"
            )
        jc = _first_col(jl.gdf, _JOBS_COLS)
        jobs_units = units_from_geometries(
            project_geoms(jl.gdf.geometry.values, jl.crs, mcrs),
            population=pd.to_numeric(jl.gdf[jc], errors="coerce").to_numpy(float) if jc else None,
        )
        sources["jobs"] = f"{Path(jobs).name}" + (f"（按列 {jc} 的岗位数加权）" if jc else "（未找到岗位数列，按就业地个数计）")
    if facilities is None:
        greenway_stats = _greenway_stats(ext, mcrs)
    else:
        gl = geoms[membership["greenway"] & is_line]
        greenway_stats = {"ways": len(gl), "km": round(float(shapely.length(gl).sum()) / 1000.0, 3), "reading": "设施图层中类别为绿道的线要素"}
    if area is not None:
        al = read_layer(area, what="建成区范围")
        ag, nrep = repair_geometries(project_geoms(al.gdf.geometry.values, al.crs, mcrs))
        if nrep:
            warn.append(f"建成区范围图层中有 {nrep} 个无效几何，已修复（invalid geometries repaired）")
        area_poly = shapely.union_all(ag)
        area_source = f"建成区范围文件 {Path(area).name}"
    else:
        # the convex hull of the unit centroids and every vertex of the unit geometries: the hull
        # of their union, without computing the union (slow for 10⁵ buildings, and it fails on
        # invalid polygons)
        pts = np.column_stack([the_units.x, the_units.y])
        if the_units.geometry is not None:
            pts = np.vstack([pts, shapely.get_coordinates(the_units.geometry)])
        area_poly = shapely.convex_hull(shapely.multipoints(_hull_candidates(pts)))
        area_source = "评价单元的凸包（未提供 --area 建成区范围）"
    return City(
        network=network,
        units=the_units,
        facilities=the_facilities,
        crs=mcrs,
        roads=road_geoms if isinstance(road_geoms, np.ndarray) and road_geoms.dtype != object else np.asarray(road_geoms, dtype=object),
        area=area_poly,
        area_source=area_source,
        sources=sources,
        warnings=warn,
        drive=drive_net,
        jobs=jobs_units,
        greenways=greenway_stats,
        timings=timings,
    )


def _drive_network(
    ext: OsmExtract | None, road_layer: Layer | None, mcrs: str, warn: list[str],
    walk_xy: tuple[NDArray[np.float64], NDArray[np.float64]] | None = None,
) -> DriveNetwork | None:
    """Driving network from the OSM extract, or from a road layer with a highway/fclass column."""
    try:
        if ext is not None and ext.drive is not None and ext.drive.u.size:
            d = ext.drive
            x, y = np.empty(d.node_ids.size), np.empty(d.node_ids.size)
            # most driving nodes are walking nodes, already projected: project only the others
            hit = np.zeros(d.node_ids.size, dtype=bool)
            if walk_xy is not None and ext.node_ids.size:
                pos = np.searchsorted(ext.node_ids, d.node_ids).clip(0, ext.node_ids.size - 1)
                hit = ext.node_ids[pos] == d.node_ids
                x[hit], y[hit] = walk_xy[0][pos[hit]], walk_xy[1][pos[hit]]
            if not hit.all():
                x[~hit], y[~hit] = crsmod.to_metric(d.lon[~hit], d.lat[~hit], crsmod.WGS84, mcrs)
            iu, iv = np.searchsorted(d.node_ids, d.u), np.searchsorted(d.node_ids, d.v)
            return build_drive_network(
                d.node_ids, x, y, d.u, d.v, np.hypot(x[iv] - x[iu], y[iv] - y[iu]),
                d.highway, crs=mcrs, oneway=d.oneway, junction=d.junction, edge_index=(iu, iv),
            )
        if road_layer is not None:
            hw = _first_col(road_layer.gdf, ("highway", "fclass", "class"))
            if hw is None:
                warn.append("道路图层没有道路等级列（highway/fclass），无法构建行车路网，消防站行车时间不计算")
                return None
            ow = _first_col(road_layer.gdf, ("oneway",))
            g = project_geoms(road_layer.gdf.geometry.values, road_layer.crs, mcrs)
            return drive_network_from_lines(g, road_layer.gdf[hw].astype(str).to_numpy(object), crs=mcrs,
                                            oneway=None if ow is None else road_layer.gdf[ow].to_numpy(object))
    except NetworkError as exc:
        warn.append(str(exc))
    return None


def _building_units(ext: OsmExtract, mcrs: str) -> tuple[Units, NDArray[np.float64]]:
    """Every residential building of the extract as a unit (see features.residential_building_mask)."""
    b = ext.buildings
    if b is None or len(b) == 0:
        raise InputError("OSM文件中没有建筑（building=*），无法按建筑单元计算；请用 --units 提供建筑图层")
    geoms = project_geoms(b.geometry.values, crsmod.WGS84, mcrs)
    res = project_geoms(ext.residential.geometry.values, crsmod.WGS84, mcrs)
    bcol = b["building"] if "building" in b.columns else pd.Series(["yes"] * len(b))
    keep = features.residential_building_mask(bcol, geoms, res)
    if not keep.any():
        raise InputError(
            "OSM文件中没有居住建筑（building=residential/apartments/house/dormitory…，或位于 landuse=residential 内的建筑）；"
            "请用 --units 提供建筑图层"
        )
    sel = b[keep]
    lv = sel["building:levels"] if "building:levels" in sel.columns else None
    u = units_from_geometries(
        geoms[keep],
        ids=sel["id"].astype(str).to_numpy(),
        names=sel["name"].fillna("").astype(str).to_numpy() if "name" in sel.columns else None,
    )
    u.kind = "building"
    return u, features.floor_weight(geoms[keep], lv)


def _greenway_stats(ext: OsmExtract | None, mcrs: str) -> dict | None:
    """绿道 length (km) and number of ways read from the OSM extract."""
    if ext is None:
        return None
    gw = ext.greenways
    if gw is None or len(gw) == 0:
        return {"ways": 0, "km": 0.0, "reading": features.GREENWAY_READING}
    g = project_geoms(gw.geometry.values, crsmod.WGS84, mcrs)
    names = sorted({str(n) for n in gw["name"].dropna()}) if "name" in gw.columns else []
    return {
        "ways": len(gw),
        "km": round(float(shapely.length(g).sum()) / 1000.0, 3),
        "names": names[:50],
        "reading": features.GREENWAY_READING,
    }


def _hull_candidates(pts: NDArray[np.float64]) -> NDArray[np.float64]:
    """The vertices of the convex hull of ``pts`` (Qhull), so that GEOS builds the same hull from a
    handful of points instead of 10⁶; all points when Qhull cannot (fewer than 3, collinear)."""
    from scipy.spatial import ConvexHull, QhullError

    if len(pts) < 16:
        return pts
    try:
        return pts[ConvexHull(pts).vertices]
    except QhullError:
        return pts


def _check_not_gcj(reference: Facilities, fac: Facilities, crs: str, name: str) -> None:
    """Refuse a point layer assumed to be WGS84 whose points match OSM much better after GCJ→WGS.

    GCJ-02 shifts points by 100–700 m, more than the spacing of nodes in a city street network, so
    the distance to the *network* cannot tell the two apart. The OSM features of the same extract
    can: a school POI lies on or next to the school mapped in OSM. Statistic: the share of the
    layer's points within 40 m of an OSM facility point/outline vertex, as given and after treating
    the points as GCJ-02. Decision: refuse when the corrected share is at least 10 %, at least 3
    points, and at least 3 × the share as given.
    """
    if fac.n < 5 or reference.n == 0:
        return
    from scipy.spatial import cKDTree

    lon, lat = crsmod.to_lonlat(fac.px, fac.py, crs)
    if not crsmod.in_china(lon, lat).all():
        return
    glon, glat = crsmod.gcj02_to_wgs84(lon, lat)
    cx, cy = crsmod.to_metric(glon, glat, crsmod.WGS84, crs)
    tree = cKDTree(np.column_stack([reference.ax, reference.ay]))
    d0, _ = tree.query(np.column_stack([fac.px, fac.py]), distance_upper_bound=40.0)
    d1, _ = tree.query(np.column_stack([cx, cy]), distance_upper_bound=40.0)
    h0, h1 = int(np.isfinite(d0).sum()), int(np.isfinite(d1).sum())
    if h1 >= 3 and h1 >= 0.10 * fac.n and h1 >= 3 * max(h0, 1):
        raise InputError(
            f"设施文件 {name} 的坐标疑似GCJ-02（火星坐标，如高德/腾讯POI）却被当作WGS84：按GCJ-02纠偏后"
            f"与OSM设施重合（40米内）的点从 {h0} 个增加到 {h1} 个（共 {fac.n} 个）。请加 --facilities-crs gcj02；"
            "若确认是WGS84，请加 --facilities-crs wgs84。（GCJ-02 coordinates assumed as WGS84）"
        )
