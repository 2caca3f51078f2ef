"""Reading an ``.osm.pbf`` in one streaming pass with pyosmium (OSM读取).

What the engine needs from an extract — the walking network, the ``landuse=residential`` areas
(小区), the facility POIs and optionally the buildings, the driving network and the 绿道 ways — is read in a single pass over the file
with pyosmium (``osmium``, the Python binding of libosmium): the C++ reader decodes the blocks on
a thread pool, keeps node locations in its own index (not Python objects) and hands to Python only
the objects whose keys the engine reads (a C++ ``KeyFilter``). Of the walking ways only the node
ids and coordinates are kept, in flat arrays; no data frame of every way is built. Peak memory is
the location index (≈ 16 bytes per node of the file) plus these arrays.

The result is the same as the previous pyrosm reader (``pyrosm.OSM.get_network("walking")``,
``get_pois(custom_filter=…)``, ``get_data_by_custom_criteria(landuse=residential)``): the same
walking ways (:data:`WALKING_EXCLUDE` is pyrosm 0.25's ``walking`` filter written out), the same
node-to-node edges, the same POIs (nodes, then ways, then relations) and residential polygons. The
measurement that chose pyosmium over pyrosm is in ``docs/engine.md`` ("读取 PBF").
"""

from __future__ import annotations

import time
from array import array
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import shapely
from numpy.typing import NDArray

# The walking network: a way is walkable when it has a ``highway`` tag and none of these applies.
# This is pyrosm 0.25's ``walking`` network filter (``pyrosm.config.osm_filters.walking_filter``,
# which follows OSMnx's "walk" filter), written out so the engine does not depend on pyrosm:
# a way is excluded when a key below holds one of the values (also as one of several values
# separated by ";", e.g. ``highway=construction;footway``), or when the access tags close it to
# pedestrians: the most specific of ``foot``, ``access`` that the way carries decides, and
# ``no``/``private`` close it (``access=no`` + ``foot=yes`` stays walkable).
WALKING_EXCLUDE: dict[str, frozenset[str]] = {
    "area": frozenset({"yes"}),
    "highway": frozenset(
        {
            "abandoned", "construction", "no", "planned", "platform", "proposed", "raceway", "razed",
            "rest_area", "services", "bus_guideway", "cycleway", "motor", "motorway", "motorway_link",
        }
    ),
    "service": frozenset({"private"}),
    "sidewalk": frozenset({"separate"}),
    "sidewalk:both": frozenset({"separate"}),
    "sidewalk:left": frozenset({"separate"}),
    "sidewalk:right": frozenset({"separate"}),
}
WALKING_ACCESS_KEYS = ("foot", "access")  # most specific first
ACCESS_CLOSED = frozenset({"no", "private"})

# The driving network (消防站 行车时间): pyrosm 0.25's ``driving`` filter
# (``pyrosm.config.osm_filters.driving_filter``, OSMnx's "drive"), written out the same way.
DRIVING_EXCLUDE: dict[str, frozenset[str]] = {
    "area": frozenset({"yes"}),
    "highway": frozenset(
        {
            "abandoned", "construction", "no", "planned", "platform", "proposed", "raceway", "razed",
            "rest_area", "services", "bridleway", "bus_guideway", "busway", "corridor", "cycleway",
            "elevator", "escalator", "footway", "ladder", "path", "pedestrian", "steps", "track",
            "trail", "service",
        }
    ),
    "service": frozenset({"emergency_access", "parking", "parking_aisle", "private", "alley", "driveway"}),
}
DRIVING_ACCESS_KEYS = ("motorcar", "motor_vehicle", "vehicle", "access")


def _value_in(value: str, values: frozenset[str]) -> bool:
    if value in values:
        return True
    return ";" in value and any(part.strip() in values for part in value.split(";"))


def _passes(tags, exclude: dict[str, frozenset[str]], access_keys: tuple[str, ...]) -> bool:
    if tags.get("highway") is None:
        return False
    for key, values in exclude.items():
        v = tags.get(key)
        if v is not None and _value_in(v, values):
            return False
    for key in access_keys:
        v = tags.get(key)
        if v is not None:
            return not _value_in(v, ACCESS_CLOSED)
    return True


def is_walking_way(tags) -> bool:
    """Whether a way with these tags (a dict or osmium's TagList) belongs to the walking network
    (see :data:`WALKING_EXCLUDE`)."""
    return _passes(tags, WALKING_EXCLUDE, WALKING_ACCESS_KEYS)


def is_driving_way(tags) -> bool:
    """Whether a way with these tags belongs to the driving network (see :data:`DRIVING_EXCLUDE`)."""
    return _passes(tags, DRIVING_EXCLUDE, DRIVING_ACCESS_KEYS)


@dataclass
class Network:
    """A network as arrays, WGS84 degrees: ``node_ids``/``lon``/``lat`` its nodes (ascending id);
    ``u``/``v`` one edge per pair of consecutive nodes of a way, ``highway`` (and for the driving
    network ``oneway``/``junction``, ``None`` where untagged) that way's tag."""

    node_ids: NDArray[np.int64]
    lon: NDArray[np.float64]
    lat: NDArray[np.float64]
    u: NDArray[np.int64]
    v: NDArray[np.int64]
    highway: NDArray[np.object_]
    oneway: NDArray[np.object_] | None = None
    junction: NDArray[np.object_] | None = None


@dataclass
class PbfData:
    """An extract as arrays, WGS84 degrees.

    ``walk``: the walking network; ``drive``: the driving network (when asked for).
    ``residential``/``pois``/``buildings``/``greenways``: tables of osm id, osm type, shapely
    geometry, tags dict.
    """

    walk: Network
    drive: Network | None = None
    residential: dict = field(default_factory=dict)
    pois: dict = field(default_factory=dict)
    buildings: dict | None = None
    greenways: dict | None = None
    parse_s: float = 0.0


def _table() -> dict:
    return {"id": [], "osm_type": [], "geometry": [], "tags": []}


def _add(table: dict, oid: int, kind: str, geom: object, tags: dict) -> None:
    table["id"].append(oid)
    table["osm_type"].append(kind)
    table["geometry"].append(geom)
    table["tags"].append(tags)


def _first(row: tuple) -> int:
    return row[0]


def _keeps(tags, poi_filter: dict[str, frozenset[str] | None]) -> bool:
    """pyrosm's "keep" semantics of a custom filter: any filter key present with a listed value
    (exact match), or present at all when the key's values are ``None`` (any value)."""
    for key, values in poi_filter.items():
        v = tags.get(key)
        if v is not None and (values is None or v in values):
            return True
    return False


def is_greenway(tags) -> bool:
    """``highway=*`` with 绿道/greenway in ``name`` or ``name:zh`` (features.GREENWAY_NAME)."""
    if tags.get("highway") is None:
        return False
    for key in ("name", "name:zh"):
        v = tags.get(key)
        if v is not None and ("绿道" in v or "greenway" in v.lower()):
            return True
    return False


def _network(
    refs: NDArray[np.int64],
    lon: NDArray[np.float64],
    lat: NDArray[np.float64],
    way_len: NDArray[np.int64],
    ways: NDArray[np.bool_],
    highway: NDArray[np.object_],
    oneway: NDArray[np.object_] | None = None,
    junction: NDArray[np.object_] | None = None,
) -> Network:
    """Node-to-node edges of the ways selected by ``ways`` (node runs of ``way_len`` in ``refs``)."""
    way_of = np.repeat(np.arange(way_len.size), way_len)
    sel = ways[way_of] if way_of.size else np.zeros(0, dtype=bool)
    r, lo, la, wo = refs[sel], lon[sel], lat[sel], way_of[sel]
    same = wo[1:] == wo[:-1] if r.size else np.zeros(0, dtype=bool)
    ew = wo[:-1][same] if r.size else np.zeros(0, dtype=np.int64)
    used = np.zeros(r.size, dtype=bool)
    if r.size:
        used[:-1] |= same
        used[1:] |= same
    ids, first = np.unique(r[used], return_index=True)
    return Network(
        node_ids=ids,
        lon=lo[used][first],
        lat=la[used][first],
        u=r[:-1][same] if r.size else np.zeros(0, dtype=np.int64),
        v=r[1:][same] if r.size else np.zeros(0, dtype=np.int64),
        highway=highway[ew],
        oneway=None if oneway is None else oneway[ew],
        junction=None if junction is None else junction[ew],
    )


def read_pbf(
    path: str | Path,
    poi_filter: dict[str, frozenset[str] | None],
    *,
    buildings: bool = False,
    driving: bool = False,
    greenways: bool = False,
) -> PbfData:
    """Read the walking network, residential areas, POIs matching ``poi_filter`` and (optionally)
    buildings, the driving network and the 绿道 ways from ``path`` in one pass. Raises whatever
    pyosmium raises for a file it cannot read.
    """
    import osmium
    from osmium.filter import EntityFilter, KeyFilter, TagFilter

    t0 = time.perf_counter()
    NODE, WAY, AREA = osmium.osm.NODE, osmium.osm.WAY, osmium.osm.AREA
    area_keys = {"landuse", *poi_filter} | ({"building"} if buildings else set())
    # Filters run in C++ before an object reaches Python; each applies to one type only.
    # Nodes: only POIs (exact key=value pairs when every POI key lists its values).
    if not poi_filter:
        node_f = EntityFilter(WAY | AREA)  # no POI keys: no node is needed
    elif all(v is not None for v in poi_filter.values()):
        node_f = TagFilter(*sorted((k, v) for k, vs in poi_filter.items() for v in vs))
    else:
        node_f = KeyFilter(*sorted(poi_filter))
    node_f.enable_for(NODE)
    way_f = KeyFilter(*sorted(area_keys | {"highway"}))
    way_f.enable_for(WAY)
    area_f = KeyFilter(*sorted(area_keys))
    area_f.enable_for(AREA)
    proc = (
        osmium.FileProcessor(str(path))
        .with_locations("flex_mem")
        .with_areas(KeyFilter(*sorted(area_keys)))  # relations assembled into multipolygons
        .with_filter(EntityFilter(NODE | WAY | AREA))
        .with_filter(node_f)
        .with_filter(way_f)
        .with_filter(area_f)
    )
    from osmium.geom import WKBFactory

    wkb = WKBFactory()
    # every highway way: its nodes (ids, coordinates) in runs of way_len, and per way its tags
    refs = array("q")
    lons = array("d")
    lats = array("d")
    way_len = array("q")
    walk = array("b")
    drive = array("b")
    highway: list[str] = []
    oneway: list[str | None] = []
    junction: list[str | None] = []
    res, pois, bld, gw = _table(), _table(), _table(), _table()
    poi_ways: list[tuple] = []
    poi_rel: list[tuple] = []
    res_rel: list[tuple] = []
    bld_rel: list[tuple] = []
    exact = isinstance(node_f, TagFilter)  # then every node reaching Python is a POI
    for obj in proc:
        tags = obj.tags  # osmium's TagList: .get() reads the C++ buffer; dict() only for kept features
        kind = obj.type_str()
        if kind == "n":
            if exact or _keeps(tags, poi_filter):
                loc = obj.location
                if loc.valid():
                    _add(pois, obj.id, "node", shapely.Point(loc.lon, loc.lat), dict(tags))
            continue
        if kind == "w":
            hw = tags.get("highway")
            if hw is not None:
                is_walk = is_walking_way(tags)
                is_drive = driving and is_driving_way(tags)
                if is_walk or is_drive:
                    n0 = len(refs)
                    for nd in obj.nodes:
                        loc = nd.location
                        if loc.valid():
                            refs.append(nd.ref)
                            lons.append(loc.lon)
                            lats.append(loc.lat)
                    way_len.append(len(refs) - n0)
                    walk.append(is_walk)
                    drive.append(is_drive)
                    highway.append(hw)
                    if driving:
                        oneway.append(tags.get("oneway"))
                        junction.append(tags.get("junction"))
                if greenways and is_greenway(tags):
                    coords = [(nd.lon, nd.lat) for nd in obj.nodes if nd.location.valid()]
                    if len(coords) >= 2:
                        _add(gw, obj.id, "way", shapely.LineString(coords), dict(tags))
            is_res = tags.get("landuse") == "residential"
            is_poi = _keeps(tags, poi_filter)
            is_bld = buildings and tags.get("building", "no") != "no"
            if is_res or is_poi or is_bld:
                geom = _way_geometry(obj, tags.get("area") == "no")
                if geom is None:
                    continue
                polygon = shapely.get_type_id(geom) == 3
                tags = dict(tags)
                if is_res and polygon:
                    _add(res, obj.id, "way", geom, tags)
                if is_poi:
                    poi_ways.append((obj.id, "way", geom, tags))
                if is_bld and polygon:
                    _add(bld, obj.id, "way", geom, tags)
            continue
        if kind == "a":
            if obj.from_way():
                continue  # closed ways were handled as ways above
            is_res = tags.get("landuse") == "residential"
            is_poi = _keeps(tags, poi_filter)
            is_bld = buildings and tags.get("building", "no") != "no"
            if not (is_res or is_poi or is_bld):
                continue
            try:
                geom = shapely.from_wkb(wkb.create_multipolygon(obj))
            except RuntimeError:
                continue  # an incomplete multipolygon (members outside the extract)
            parts = shapely.get_parts(geom)
            if len(parts) == 1:
                geom = parts[0]
            rid = obj.orig_id()
            tags = dict(tags)
            if is_res:
                res_rel.append((rid, "relation", geom, tags))
            if is_poi:
                poi_rel.append((rid, "relation", geom, tags))
            if is_bld:
                bld_rel.append((rid, "relation", geom, tags))
    # ways in file order, then relations by id (areas are assembled when their last member way
    # has been read, in no fixed order), as pyrosm gives them
    for table, rows in ((pois, poi_ways), (pois, sorted(poi_rel, key=_first)), (res, sorted(res_rel, key=_first)),
                        (bld, sorted(bld_rel, key=_first))):
        for rid, kind, geom, t in rows:
            _add(table, rid, kind, geom, t)

    for table in (res, pois, bld):
        # rings in the OGC/GeoJSON right-hand rule (exterior counter-clockwise), as pyrosm gives them
        g = np.empty(len(table["geometry"]), dtype=object)
        g[:] = table["geometry"]
        table["geometry"] = shapely.orient_polygons(g, exterior_cw=False) if len(g) else g
    r = np.frombuffer(refs, dtype=np.int64) if len(refs) else np.empty(0, dtype=np.int64)
    lo = np.frombuffer(lons, dtype=np.float64) if len(lons) else np.empty(0)
    la = np.frombuffer(lats, dtype=np.float64) if len(lats) else np.empty(0)
    wl = np.frombuffer(way_len, dtype=np.int64) if len(way_len) else np.empty(0, dtype=np.int64)
    hw_a = np.asarray(highway, dtype=object)
    walk_net = _network(r, lo, la, wl, np.frombuffer(walk, dtype=np.int8).astype(bool) if len(walk) else np.zeros(0, bool), hw_a)
    drive_net = None
    if driving:
        dm = np.frombuffer(drive, dtype=np.int8).astype(bool) if len(drive) else np.zeros(0, bool)
        drive_net = _network(r, lo, la, wl, dm, hw_a, np.asarray(oneway, dtype=object), np.asarray(junction, dtype=object))
    return PbfData(
        walk=walk_net,
        drive=drive_net,
        residential=res,
        pois=pois,
        buildings=bld if buildings else None,
        greenways=gw if greenways else None,
        parse_s=time.perf_counter() - t0,
    )


def _way_geometry(way, area_no: bool) -> object | None:
    """A closed way (first node = last node, ≥ 4 nodes, not ``area=no``) as a Polygon, else a
    LineString; ``None`` when fewer than two of its nodes have a location. Invalid polygons are
    kept as drawn (the caller repairs and counts them)."""
    coords = [(nd.lon, nd.lat) for nd in way.nodes if nd.location.valid()]
    if len(coords) < 2:
        return None
    nodes = way.nodes
    if not area_no and len(nodes) >= 4 and nodes[0].ref == nodes[-1].ref and len(coords) == len(nodes):
        return shapely.Polygon(coords)
    return shapely.LineString(coords)
