"""Vector tiles (矢量切片) from the database, in the Mapbox Vector Tile format (EPSG:3857, XYZ scheme).

A tile holds one MVT layer named after the map layer, with each record's id and the layer's
database-computed properties (paths and expressions; see ``Layer.properties``). Records come from
the layer's filtered queryset, so the permission and the filters apply to tiles as to GeoJSON.

* PostGIS: one SQL statement — the queryset (bounding-box filtered through the GiST index) compiled
  with ``sql_with_params()`` and wrapped in ``ST_AsMVT(… ST_AsMVTGeom(ST_Simplify(ST_Transform(…))),
  ST_TileEnvelope(z, x, y))``.
* SpatiaLite: the rows of the tile's box, found through the R*Tree (``SpatialIndex``), read as WKB, then
  projected to 3857, simplified, snapped, clipped (shapely, vectorised) and encoded with ``mapbox_vector_tile``.

Geometries are simplified to one tile pixel (``extent`` 4096) at the tile's zoom.
"""

from __future__ import annotations

import math
from typing import Any

from django.db import connection
from django.db.models import BinaryField, DecimalField, F, Func, QuerySet

from .features import PREFIX, plain, sql_properties
from .registry import Layer
from .spatial import bbox_filter

MVT_MIME = "application/vnd.mapbox-vector-tile"
EXTENT = 4096  # tile coordinates per side (the MVT default)
BUFFER = 64  # tile coordinates drawn beyond the edge, so strokes join across tiles
MAX_ZOOM = 22
TILE_MAX_AGE = 60  # seconds a browser may reuse a tile (records change; the cache is private)
WEB_MERCATOR_HALF = 20037508.342789244  # metres from the origin to the edge of EPSG:3857
EARTH_RADIUS = 6378137.0  # metres: the sphere of EPSG:3857 (WGS84 semi-major axis)
MAX_LATITUDE = 85.0511287798066  # degrees: the edge of the Web Mercator square


def check_tile(z: int, x: int, y: int) -> None:
    """Refuse tile coordinates outside the XYZ scheme (0 ≤ x, y < 2^z, 0 ≤ z ≤ 22)."""
    if not 0 <= z <= MAX_ZOOM:
        raise ValueError(f"切片层级 z={z} 超出范围（0–{MAX_ZOOM}）")
    n = 1 << z
    if not (0 <= x < n and 0 <= y < n):
        raise ValueError(f"切片坐标超出范围：层级 {z} 的 x、y 应在 0–{n - 1} 之间（收到 x={x}，y={y}）")


def mercator_bounds(z: int, x: int, y: int) -> tuple[float, float, float, float]:
    """The tile's box in EPSG:3857 metres (west, south, east, north)."""
    size = 2 * WEB_MERCATOR_HALF / (1 << z)
    west = -WEB_MERCATOR_HALF + x * size
    north = WEB_MERCATOR_HALF - y * size
    return (west, north - size, west + size, north)


def lonlat_bounds(z: int, x: int, y: int) -> tuple[float, float, float, float]:
    """The tile's box in WGS84 degrees (west, south, east, north)."""
    n = 1 << z

    def lat(row: float) -> float:
        return math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * row / n))))

    return (x / n * 360.0 - 180.0, lat(y + 1), (x + 1) / n * 360.0 - 180.0, lat(y))


def pixel_metres(z: int) -> float:
    """The size of one tile coordinate (1/4096 of the tile) at zoom ``z``, in metres of EPSG:3857."""
    return 2 * WEB_MERCATOR_HALF / (1 << z) / EXTENT


def _query_box(z: int, x: int, y: int) -> tuple[float, float, float, float]:
    """The lon/lat box of the tile grown by the buffer, for the index search."""
    w, s, e, n = lonlat_bounds(z, x, y)
    grow = BUFFER / EXTENT
    dx, dy = (e - w) * grow, (n - s) * grow
    return (max(w - dx, -180.0), max(s - dy, -85.06), min(e + dx, 180.0), min(n + dy, 85.06))


def tile(layer: Layer, qs: QuerySet, z: int, x: int, y: int) -> bytes:
    """The encoded tile (empty bytes when no record meets the tile)."""
    check_tile(z, x, y)
    if qs.query.is_empty() or z < layer.minzoom:  # below its minimum zoom a layer is not drawn (a city of buildings)
        return b""
    qs = bbox_filter(qs.prefetch_related(None), layer.geom_field, _query_box(z, x, y))
    props = sql_properties(layer)
    columns = {PREFIX + n: e for n, e in props.items()}
    if connection.vendor == "postgresql":
        qs = qs.order_by().values(mapid=F("pk"), mapgeom=F(layer.geom_field), **columns)
        return _postgis_tile(layer, qs, list(props), z, x, y)
    # the geometry as plain WKB (no GEOS object per row); projected and clipped in bulk with shapely
    qs = qs.order_by().values(mapid=F("pk"), mapgeom=Func(layer.geom_field, function="AsBinary", output_field=BinaryField()),
                              **columns)
    return _python_tile(layer, qs, list(props), z, x, y)


def _postgis_tile(layer: Layer, qs: QuerySet, names: list[str], z: int, x: int, y: int) -> bytes:
    inner, params = qs.query.sql_with_params()
    qn = connection.ops.quote_name
    def column(n: str) -> str:  # numeric → double precision: ST_AsMVT would write a decimal as text
        decimal = isinstance(qs.query.annotations[PREFIX + n].output_field, DecimalField)
        return f", q.{qn(PREFIX + n)}{'::double precision' if decimal else ''} AS {qn(n)}"

    columns = "".join(column(n) for n in names)
    sql = (
        "SELECT ST_AsMVT(t.*, %s, %s, 'geom', 'id') FROM ("
        "  SELECT q.mapid AS id,"
        "    ST_AsMVTGeom(ST_Simplify(ST_Transform(q.mapgeom, 3857), %s, true), ST_TileEnvelope(%s, %s, %s), %s, %s, true) AS geom"
        f"   {columns}"
        f"  FROM ({inner}) q"
        ") t WHERE t.geom IS NOT NULL"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [layer.name, EXTENT, pixel_metres(z), z, x, y, EXTENT, BUFFER, *params])
        row = cursor.fetchone()
    return bytes(row[0]) if row and row[0] else b""


def _mercator_tile_coords(coords: Any, west: float, south: float, scale: float) -> Any:
    """WGS84 lon/lat rows (N×2) → tile coordinates (spherical Web Mercator, EPSG:3857), vectorised."""
    import numpy as np

    lon = coords[:, 0]
    lat = np.clip(coords[:, 1], -MAX_LATITUDE, MAX_LATITUDE)
    mx = np.radians(lon) * EARTH_RADIUS
    my = np.log(np.tan(np.pi / 4 + np.radians(lat) / 2)) * EARTH_RADIUS
    return np.column_stack(((mx - west) * scale, (my - south) * scale))


def _python_tile(layer: Layer, qs: QuerySet, names: list[str], z: int, x: int, y: int) -> bytes:
    import mapbox_vector_tile
    import shapely

    rows = list(qs.values_list("mapid", "mapgeom", *[PREFIX + n for n in names]))
    if not rows:
        return b""
    west, south, east, _ = mercator_bounds(z, x, y)
    scale = EXTENT / (east - west)
    geoms = shapely.from_wkb([bytes(r[1]) for r in rows])
    # into tile coordinates (0–4096, y up: the encoder flips it and rounds), simplified to one unit, clipped
    # with the buffer; exterior rings clockwise here, so positive area in the tile's y-down grid (MVT 2.1)
    geoms = shapely.transform(geoms, lambda c: _mercator_tile_coords(c, west, south, scale))
    geoms = shapely.simplify(geoms, 1.0, preserve_topology=True)
    geoms = shapely.clip_by_rect(geoms, -BUFFER, -BUFFER, EXTENT + BUFFER, EXTENT + BUFFER)
    geoms = shapely.orient_polygons(geoms, exterior_cw=True)
    features = []
    for row, geom in zip(rows, geoms):
        if geom is None or geom.is_empty:
            continue
        props = {n: plain(v) for n, v in zip(names, row[2:]) if v is not None}
        features.append({"geometry": geom, "properties": props, "id": row[0]})
    if not features:
        return b""
    return mapbox_vector_tile.encode(
        [{"name": layer.name, "features": features}],
        default_options={"extents": EXTENT, "check_winding_order": False},
    )
