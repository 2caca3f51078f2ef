"""Spatial questions answered in the database (空间查询): which district/street a point falls in, what lies
within N metres of a point or record, which check-up units and field problems lie inside a project's area.

Every geometry is WGS84 (EPSG:4326); every distance is in metres, measured on the sphere by the database
(PostGIS ``ST_DistanceSphere``, SpatiaLite ``ST_Distance(…, 0)``), so both give the same answer to well
under 0.5 %. Candidates are first narrowed by the spatial index (a bounding-box search), then tested
exactly.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from django.contrib.gis.geos import GEOSGeometry, Point, Polygon
from django.contrib.gis.measure import D
from django.core.exceptions import FieldDoesNotExist
from django.db import connection
from django.db.models import QuerySet
from django.db.models.expressions import RawSQL

from cityrenew.core.choices import RegionKind, RegionLevel
from cityrenew.core.models import Region

WGS84 = 4326
METRES_PER_DEGREE = 111_320.0  # at the equator, along a meridian (WGS84, ≈ 2πR/360)


class SpatialError(ValueError):
    """A spatial question that cannot be answered as asked; the message is for the user (Chinese)."""


def as_point(value: Any) -> Point:
    """A GEOS point from ``(lon, lat)``, a GEOS point or anything :func:`cityrenew.core.geo.parse` reads."""
    if isinstance(value, Point):
        point = value.clone()
    elif isinstance(value, (tuple, list)) and len(value) == 2:
        try:
            lon, lat = float(value[0]), float(value[1])
        except (TypeError, ValueError) as exc:
            raise SpatialError("经纬度应为数字") from exc
        point = Point(lon, lat, srid=WGS84)
    else:
        from cityrenew.core.geo import parse

        geom = parse(value)
        if geom is None or geom.geom_type != "Point":
            raise SpatialError("应为一个点（经度、纬度）")
        point = geom
    if point.srid is None:
        point.srid = WGS84
    if point.srid != WGS84:
        point.transform(WGS84)
    if not (-180 <= point.x <= 180 and -90 <= point.y <= 90):
        raise SpatialError(f"坐标超出经纬度范围：经度 {point.x}，纬度 {point.y}")
    return point


# --- the spatial index -----------------------------------------------------------------------------


def bbox_filter(qs: QuerySet, field: str, bbox: tuple[float, float, float, float]) -> QuerySet:
    """``qs`` narrowed to rows whose ``field`` bounding box meets ``bbox`` (lon/lat), through the index.

    PostGIS answers ``&&`` (``__bboverlaps``) from the GiST index. SpatiaLite does not consult its R*Tree
    for a plain predicate, so the rows are taken from its ``SpatialIndex`` virtual table instead — for a
    column of the model itself; an annotated geometry (a plan drawn at its project's location) is filtered
    by the plain predicate.
    """
    w, s, e, n = bbox
    qs = qs.filter(**{f"{field}__isnull": False})  # SpatiaLite's Mbr… functions answer -1 (true) for NULL
    table = qs.model._meta.db_table
    try:
        column = qs.model._meta.get_field(field).column
    except FieldDoesNotExist:
        column = None
    if connection.vendor == "sqlite" and column and spatialite_index(table, column):
        sql = ("SELECT ROWID FROM SpatialIndex WHERE f_table_name = %s AND f_geometry_column = %s "
               "AND search_frame = BuildMbr(%s, %s, %s, %s, 4326)")
        return qs.filter(pk__in=RawSQL(sql, (table, column, w, s, e, n)))
    return qs.filter(**{f"{field}__bboverlaps": Polygon.from_bbox((w, s, e, n))})


def spatialite_index(table: str, column: str) -> bool:
    """True when SpatiaLite keeps an R*Tree for ``table.column`` (``geometry_columns.spatial_index_enabled``;
    a table rebuilt by a migration may have lost it)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT spatial_index_enabled FROM geometry_columns WHERE f_table_name = %s AND f_geometry_column = %s",
            [table.lower(), column.lower()],
        )
        row = cursor.fetchone()
    return bool(row and row[0])


def metres_bbox(point: Point, metres: float) -> tuple[float, float, float, float]:
    """A lon/lat box that holds every point within ``metres`` of ``point`` (with a margin)."""
    dlat = metres / METRES_PER_DEGREE * 1.01
    coslat = max(math.cos(math.radians(min(abs(point.y) + dlat, 89.9))), 1e-6)
    dlon = dlat / coslat
    return (point.x - dlon, point.y - dlat, point.x + dlon, point.y + dlat)


# --- which region a point falls in ----------------------------------------------------------------


def region_at(point: Any, level: str = RegionLevel.DISTRICT, *, zones: bool = False) -> Region | None:
    """The region of ``level`` (district, street, community) whose boundary contains ``point``; ``None``
    outside every drawn boundary.

    Development zones (开发区) overlap the administrative districts: an administrative district is
    returned unless ``zones`` is set (then a zone containing the point is preferred). Where boundaries
    overlap otherwise, the smallest region wins.
    """
    point = as_point(point)
    qs = Region.objects.filter(level=level, boundary__isnull=False)
    qs = bbox_filter(qs, "boundary", (point.x, point.y, point.x, point.y)).filter(boundary__intersects=point)
    candidates = list(qs.order_by("code"))
    if not candidates:
        return None

    def rank(r: Region) -> tuple:
        is_zone = r.kind == RegionKind.DEVELOPMENT_ZONE
        return (is_zone != zones, r.boundary.area, r.code)  # area in square degrees: only compared

    return min(candidates, key=rank)


def regions_at(points: Iterable[tuple[float, float]], level: str = RegionLevel.DISTRICT, *, zones: bool = False) -> list[int | None]:
    """Region ids for many ``(lon, lat)`` points at once (an import of 100,000 rows): the boundaries of
    ``level`` are read once and the points tested in bulk (shapely's STRtree), with the same preference
    as :func:`region_at`. ``None`` where no boundary contains the point."""
    import numpy as np
    import shapely

    coords = np.asarray(list(points), dtype=float).reshape(-1, 2)
    result: list[int | None] = [None] * len(coords)
    rows = list(Region.objects.filter(level=level, boundary__isnull=False).values_list("pk", "code", "kind", "boundary"))
    if not rows or not len(coords):
        return result
    shapes = [shapely.from_wkb(bytes(r[3].wkb)) for r in rows]
    ranks = [((r[2] == RegionKind.DEVELOPMENT_ZONE) != zones, shapes[i].area, r[1]) for i, r in enumerate(rows)]
    tree = shapely.STRtree(shapes)
    pts = shapely.points(coords)
    point_idx, shape_idx = tree.query(pts, predicate="intersects")
    best: dict[int, int] = {}
    for p, s in zip(point_idx.tolist(), shape_idx.tolist()):
        if p not in best or ranks[s] < ranks[best[p]]:
            best[p] = s
    for p, s in best.items():
        result[p] = rows[s][0]
    return result


# --- within N metres ------------------------------------------------------------------------------


def within(qs: QuerySet, field: str, geometry: Any, metres: float) -> QuerySet:
    """The rows of ``qs`` whose ``field`` lies within ``metres`` of ``geometry`` (a point, or any WGS84
    geometry such as a record's area), nearest first (``distance_m`` annotated on each row, in metres).

    The index narrows the candidates to the bounding box grown by ``metres``; the exact test is the
    spherical distance, in the database.
    """
    from django.contrib.gis.db.models.functions import Distance

    try:
        metres = float(metres)
    except (TypeError, ValueError) as exc:
        raise SpatialError("距离应为数字（米）") from exc
    if not (metres >= 0) or math.isinf(metres):
        raise SpatialError("距离应为不小于 0 的米数")
    geom = geometry if isinstance(geometry, GEOSGeometry) else as_point(geometry)
    if geom.srid is None:
        geom = geom.clone()
        geom.srid = WGS84
    if geom.empty:
        raise SpatialError("几何为空，无法计算距离")
    x0, y0, x1, y1 = geom.extent
    bw, bs, _, _ = metres_bbox(Point(x0, y0, srid=WGS84), metres)
    _, _, be, bn = metres_bbox(Point(x1, y1, srid=WGS84), metres)
    qs = bbox_filter(qs, field, (bw, bs, be, bn))
    qs = qs.filter(**{f"{field}__distance_lte": (geom, D(m=metres))})
    return qs.annotate(distance=Distance(field, geom)).order_by("distance", "pk")


def distance_m(row: Any) -> float:
    """The ``distance`` annotation of a :func:`within` row, in metres."""
    d = getattr(row, "distance", None)
    return float(getattr(d, "m", d) or 0.0)


# --- inside a project's area ----------------------------------------------------------------------


def inside(project: Any) -> dict[str, QuerySet]:
    """Check-up units and field problems inside ``project``'s area (its polygon location).

    Units whose geometry meets the area and problems whose location lies in it. A project located by a
    point (or not at all) has no area: :class:`SpatialError` says so.
    """
    from cityrenew.checkup.models import AssessmentUnit, FieldProblem

    area = project.location
    if area is None or area.empty:
        raise SpatialError(f"项目 {project.code} 尚无位置，无法查询其范围内的体检单元和问题")
    if area.geom_type not in ("Polygon", "MultiPolygon"):
        raise SpatialError(f"项目 {project.code} 的位置是点，不是范围（面），无法查询其范围内的体检单元和问题")
    bbox = area.extent
    units = bbox_filter(AssessmentUnit.objects.all(), "geometry", bbox).filter(geometry__intersects=area)
    problems = bbox_filter(FieldProblem.objects.all(), "location", bbox).filter(location__intersects=area)
    return {"units": units.order_by("kind", "code"), "problems": problems.order_by("pk")}
