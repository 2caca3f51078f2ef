"""Geometry values (几何) for every record: one way in, one way out.

Records keep their geometry in GeoDjango columns in WGS84 (EPSG:4326) with a spatial index: SpatiaLite
in the embedded default, PostGIS in production (docs/spatial.md). This module turns what users and files
give (GeoJSON, WKT/EWKT, shapely or GEOS objects, lon/lat pairs) into a checked GEOS geometry, and a
stored geometry back into GeoJSON for pages and the API. Every refusal is a Chinese sentence naming the
reason; a repairable geometry (self-intersection) is repaired with ``MakeValid`` and the repair counted.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from django.contrib.gis.geos import GEOSException, GEOSGeometry, MultiPolygon, Point, Polygon
from django.core.exceptions import ValidationError

WGS84 = 4326
POLYGONAL = ("Polygon", "MultiPolygon")


class GeometryError(ValueError):
    """A geometry that cannot be stored; the message is for the user (Chinese)."""


@dataclass
class Checked:
    geometry: GEOSGeometry
    repaired: bool = False


def parse(value: Any, *, srid: int = WGS84) -> GEOSGeometry | None:
    """GeoJSON (dict or text), WKT/EWKT, a GEOS or shapely geometry → GEOS in ``srid``; ``None`` for empty."""
    if value is None or value == "" or value == {}:
        return None
    try:
        if isinstance(value, GEOSGeometry):
            geom = value.clone()
        elif hasattr(value, "__geo_interface__") and not isinstance(value, dict):  # shapely
            geom = GEOSGeometry(json.dumps(value.__geo_interface__))
            geom.srid = srid
        elif isinstance(value, dict):
            if value.get("type") == "Feature":
                value = value.get("geometry")
                if not value:
                    return None
            geom = GEOSGeometry(json.dumps(value))
            geom.srid = srid  # GeoJSON carries no CRS of its own: the declared one
        elif isinstance(value, str):
            text = value.strip()
            geom = GEOSGeometry(text)
            if text.startswith("{"):
                geom.srid = srid
        else:
            raise GeometryError(f"无法识别的几何值（{type(value).__name__}），请使用 GeoJSON 或 WKT")
    except (GEOSException, ValueError, TypeError) as exc:
        if isinstance(exc, GeometryError):
            raise
        raise GeometryError("几何格式无法解析：应为 GeoJSON（如 {\"type\": \"Point\", \"coordinates\": [经度, 纬度]}）或 WKT（如 POINT(113.6 34.7)）") from exc
    if geom.srid is None:
        geom.srid = srid
    if geom.srid != WGS84:
        geom.transform(WGS84)
    return None if geom.empty else geom


def check(value: Any, *, srid: int = WGS84, polygonal: bool = False, bounds: tuple[float, float, float, float] | None = None) -> Checked | None:
    """Parse and check a geometry for storage: lon/lat ranges, the expected kind, validity (repaired).

    ``bounds`` (lon_min, lat_min, lon_max, lat_max) refuses a geometry that lies outside the city's area,
    the usual sign of an undeclared or wrong coordinate system.
    """
    geom = parse(value, srid=srid)
    if geom is None:
        return None
    x0, y0, x1, y1 = geom.extent
    if not (-180 <= x0 <= 180 and -180 <= x1 <= 180 and -90 <= y0 <= 90 and -90 <= y1 <= 90):
        raise GeometryError(
            f"坐标超出经纬度范围（范围 {x0:.3f},{y0:.3f} – {x1:.3f},{y1:.3f}）：数据可能是投影坐标（如 CGCS2000 高斯投影），请声明坐标系"
        )
    if bounds is not None:
        bx0, by0, bx1, by1 = bounds
        if x1 < bx0 or x0 > bx1 or y1 < by0 or y0 > by1:
            raise GeometryError(
                f"几何位于本市范围之外（{x0:.4f},{y0:.4f} – {x1:.4f},{y1:.4f}；本市约 {bx0:.2f},{by0:.2f} – {bx1:.2f},{by1:.2f}）："
                "请检查坐标系（WGS84 / CGCS2000 / GCJ-02）或经纬度是否颠倒"
            )
    if polygonal and geom.geom_type not in POLYGONAL:
        raise GeometryError(f"此处需要面（Polygon/MultiPolygon），收到的是 {geom.geom_type}")
    repaired = False
    if not geom.valid:
        fixed = geom.make_valid()
        if polygonal:
            fixed = polygons_only(fixed)
        if fixed is None or fixed.empty:
            raise GeometryError(f"几何无效且无法修复：{geom.valid_reason}")
        fixed.srid = WGS84
        geom, repaired = fixed, True
    return Checked(geom, repaired)


def polygons_only(geom: GEOSGeometry) -> GEOSGeometry | None:
    """The polygonal part of a geometry (a repaired polygon can come back as a collection with lines)."""
    if geom.geom_type in POLYGONAL:
        return geom
    parts: list[Polygon] = []
    if geom.geom_type == "GeometryCollection":
        for g in geom:
            if g.geom_type == "Polygon":
                parts.append(g)
            elif g.geom_type == "MultiPolygon":
                parts.extend(g)
    if not parts:
        return None
    return MultiPolygon(parts, srid=geom.srid)


def as_multipolygon(geom: GEOSGeometry | None) -> MultiPolygon | None:
    if geom is None:
        return None
    if geom.geom_type == "Polygon":
        return MultiPolygon([geom], srid=geom.srid)
    if geom.geom_type == "MultiPolygon":
        return geom
    only = polygons_only(geom)
    if only is None:
        raise GeometryError(f"此处需要面（Polygon/MultiPolygon），收到的是 {geom.geom_type}")
    return only if only.geom_type == "MultiPolygon" else MultiPolygon([only], srid=geom.srid)


def point(lon: float, lat: float) -> Point:
    return Point(float(lon), float(lat), srid=WGS84)


def to_geojson(geom: GEOSGeometry | None, precision: int = 6) -> dict | None:
    """A stored geometry as a GeoJSON geometry dict (WGS84), coordinates rounded to ``precision``."""
    if geom is None:
        return None
    return round_coords(json.loads(geom.json), precision)


def round_coords(obj: Any, precision: int = 6) -> Any:
    """Every float in a GeoJSON-like structure (dicts, lists, tuples) rounded to ``precision`` decimals."""
    if isinstance(obj, float):
        return round(obj, precision)
    if isinstance(obj, (list, tuple)):
        return [round_coords(v, precision) for v in obj]
    if isinstance(obj, dict):
        return {k: round_coords(v, precision) for k, v in obj.items()}
    return obj


def audit_text(geom: GEOSGeometry) -> str:
    """How a geometry reads in the audit log: its WKT when short, else type, vertices and centre."""
    wkt = geom.wkt
    if len(wkt) <= 400:
        return wkt
    c = geom.centroid
    return f"{geom.geom_type}（{geom.num_coords} 个顶点，中心 {c.x:.5f},{c.y:.5f}）"


def validate_geometry(value: Any) -> None:
    """Model-field validator: the geometry is valid and in lon/lat range."""
    try:
        checked = check(value)
    except GeometryError as exc:
        raise ValidationError(str(exc)) from exc
    if checked and checked.repaired:
        raise ValidationError("几何无效（自相交等），请修复后再保存")


# --- the API: geometry columns read and write GeoJSON ---------------------------------------------

def _serializer_field():
    from drf_spectacular.types import OpenApiTypes
    from drf_spectacular.utils import extend_schema_field
    from rest_framework import serializers

    @extend_schema_field(OpenApiTypes.OBJECT)
    class GeometryJSONField(serializers.Field):
        """A geometry column in the API: GeoJSON geometry (WGS84) out; GeoJSON or WKT in, checked by :func:`check`."""

        default_error_messages = {"invalid": "{reason}"}

        def to_representation(self, value: GEOSGeometry) -> dict | None:
            return to_geojson(value)

        def to_internal_value(self, data: Any) -> GEOSGeometry | None:
            try:
                checked = check(data)
            except GeometryError as exc:
                self.fail("invalid", reason=str(exc))
            return checked.geometry if checked else None

    return GeometryJSONField


def register_api_geometry_field() -> None:
    """Every GeoDjango column in a ModelSerializer becomes a :class:`GeometryJSONField` (core app ready)."""
    from django.contrib.gis.db.models import GeometryField
    from rest_framework import serializers

    serializers.ModelSerializer.serializer_field_mapping[GeometryField] = _serializer_field()
