"""Reading an ``.osm.pbf`` with pyosmium in two passes that run mostly in C++ (OSM读取).

What the engine needs from an extract — the walking network, the ``landuse=residential`` areas
(小区), the facility POIs and, when asked for, the driving network, the 绿道 ways and the buildings —
is read with pyosmium (``osmium``, the Python binding of libosmium):

1. every ``highway`` way with the locations of its nodes, written by libosmium as OPL text without
   any Python object per way or node (C++ location index, key filter and writer); the text is
   parsed in bulk: node ids and coordinates by numpy's C number parser, tags per way. The walking
   and the driving networks are the ways that pass pyrosm's filters (:data:`WALKING_EXCLUDE`,
   :data:`DRIVING_EXCLUDE`), kept as flat node-id/coordinate arrays; 绿道 ways are kept as lines.
2. residential areas, POIs and buildings: only objects with one of their key=value pairs reach
   Python (C++ tag filters); multipolygon relations are assembled by libosmium; geometries are
   built in bulk from the WKB libosmium writes.

Peak memory is the location index (≈ 16 bytes per node of the file) plus these arrays. The result
is the same as the previous pyrosm reader (``pyrosm.OSM.get_network("walking"/"driving")``,
``get_pois(custom_filter=…)``, ``get_data_by_custom_criteria``): the same ways, the same
node-to-node edges, the same POIs (nodes, then ways, then relations) and residential polygons
(``tests/engine/test_pbf.py``). The measurements are in ``docs/engine.md`` ("Reading the PBF").
"""

from __future__ import annotations

import gc
import re
import tempfile
import time
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
# every key the two network filters read
NETWORK_KEYS = frozenset({*WALKING_EXCLUDE, *DRIVING_EXCLUDE, *WALKING_ACCESS_KEYS, *DRIVING_ACCESS_KEYS})
_GREENWAY_OPL = "%7eff%%9053%"  # 绿道 as OPL writes it


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

_OPL_NUMBERS = bytes.maketrans(b"xy", b",,")
_ESCAPED = re.compile(r"%([0-9a-fA-F]+)%")


def _unescape(text: str) -> str:
    """OPL's escapes (``%4eba%`` for 人, ``%20%`` for a space) back to characters."""
    return _ESCAPED.sub(lambda m: chr(int(m.group(1), 16)), text) if "%" in text else text


_OPL_TAG = re.compile(r"([^,=]+)=([^,]*)")


def _opl_tags(field: str) -> dict[str, str]:
    """The ``T`` field of an OPL line (``Tk=v,k2=v2``) as a dict, still escaped (see :func:`_decoded`)."""
    return dict(_OPL_TAG.findall(field, 1))


def _decoded(tags: dict[str, str], keys: frozenset[str] | None = None) -> dict[str, str]:
    """``tags`` with OPL escapes resolved: in every key, and in the values of ``keys`` (all when
    ``None``)."""
    out = {}
    for k, v in tags.items():
        if "%" in k:
            k = _unescape(k)
        out[k] = _unescape(v) if "%" in v and (keys is None or k in keys) else v
    return out


def _opl_nodes(fields: list[str]) -> tuple[NDArray[np.int64], NDArray[np.float64], NDArray[np.float64], NDArray[np.int64]]:
    """The ``N`` fields of OPL lines written with ``locations_on_ways`` (``Nn1x104.1y30.6,n2xy``: a
    node without a location) as flat arrays: node ids, lon, lat (NaN: no location), nodes per line."""
    counts = np.fromiter((0 if len(f) <= 1 else f.count(",") + 1 for f in fields), dtype=np.int64, count=len(fields))
    if not counts.sum():
        return np.empty(0, dtype=np.int64), np.empty(0), np.empty(0), counts
    raw = ",".join([f[1:] for f in fields if len(f) > 1]).encode("ascii")
    missing = b"xy" in raw  # a node without a location
    if missing:
        raw = raw.replace(b"xy", b"x@y@")
    raw = raw.translate(_OPL_NUMBERS, b"n")  # "n12x104.1y30.6" → "12,104.1,30.6"
    if missing:
        raw = raw.replace(b"@", b"nan")
    flat = np.fromstring(raw, sep=",").reshape(-1, 3)  # C parser; ids below 2**53 are exact
    return flat[:, 0].astype(np.int64), flat[:, 1].copy(), flat[:, 2].copy(), counts


@dataclass
class Edges:
    """Nodes and edges as arrays, WGS84 degrees: ``node_ids``/``lon``/``lat`` the nodes (ascending id);
    ``u``/``v`` one edge per pair of consecutive nodes of a way, ``highway`` that way's tag."""

    node_ids: NDArray[np.int64]
    lon: NDArray[np.float64]
    lat: NDArray[np.float64]
    u: NDArray[np.int64]
    v: NDArray[np.int64]
    highway: NDArray[np.object_]


@dataclass
class Network(Edges):
    """A network as arrays (:class:`Edges`); for the driving network also ``oneway``/``junction``,
    ``None`` where untagged, the way's tags."""

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


def _highway_pass(path: str, osmium) -> list[str]:
    """First pass, all in C++: every way with a ``highway`` tag, with the locations of its nodes,
    written as OPL text (one line per way) to a temporary file and read back as lines."""
    from osmium.filter import EntityFilter, KeyFilter

    index = osmium.index.create_map("flex_mem")
    locations = osmium.NodeLocationsForWays(index)
    locations.ignore_errors()  # nodes missing from the extract: written without a location
    highways = KeyFilter("highway")
    highways.enable_for(osmium.osm.WAY)
    with tempfile.TemporaryDirectory(prefix="cityrenew-pbf-") as tmp:
        out = str(Path(tmp) / "highways.opl")
        writer = osmium.SimpleWriter(osmium.io.File(out, "opl,locations_on_ways=true,add_metadata=false"))
        try:
            osmium.apply(str(path), locations, EntityFilter(osmium.osm.WAY), highways, writer)
        finally:
            writer.close()
        del index, locations
        with open(out, encoding="utf-8") as f:
            return f.read().splitlines()


def read_pbf(
    path: str | Path,
    poi_filter: dict[str, frozenset[str] | None],
    *,
    buildings: bool = False,
    driving: bool = False,
    greenways: bool = False,
) -> PbfData:
    """Read the walking network, residential areas, POIs matching ``poi_filter`` and (optionally)
    buildings, the driving network and the 绿道 ways from ``path``. Raises whatever pyosmium raises
    for a file it cannot read.

    Two passes, each mostly in C++: (1) every ``highway`` way with its node locations, written by
    libosmium as OPL text and parsed in bulk (node ids and coordinates by numpy's C parser, tags per
    way): the walking and driving networks, the 绿道 ways, and POIs tagged only through ``highway``;
    (2) residential areas, POIs and buildings, with only the objects carrying one of their keys
    handed to Python (C++ key/tag filters). The second pass does not see highway-only ways.
    """
    t0 = time.perf_counter()
    gc_was = gc.isenabled()
    gc.disable()  # millions of short-lived objects and no cycles: the collector would only cost time
    try:
        data = _read(path, poi_filter, buildings=buildings, driving=driving, greenways=greenways)
    finally:
        if gc_was:
            gc.enable()
    data.parse_s = time.perf_counter() - t0
    return data


def _read(path: str | Path, poi_filter: dict[str, frozenset[str] | None], *, buildings: bool, driving: bool,
          greenways: bool) -> PbfData:
    import osmium
    from osmium.filter import EntityFilter, KeyFilter, TagFilter

    NODE, WAY, AREA = osmium.osm.NODE, osmium.osm.WAY, osmium.osm.AREA
    area_keys = {"landuse", *poi_filter} | ({"building"} if buildings else set())
    # Pass 2 takes the ways with a residential/POI/building tag other than highway (an exact
    # key=value filter when every key lists its values, else a key filter); the first pass takes
    # the POIs tagged only through highway (highway=bus_stop).
    way_filter = {k: v for k, v in poi_filter.items() if k != "highway"}
    landuse = way_filter.get("landuse", frozenset())
    way_filter["landuse"] = None if landuse is None else frozenset(landuse) | {"residential"}
    exact_ways = not buildings and all(v is not None for v in way_filter.values())
    way_keys = frozenset(way_filter) | ({"building"} if buildings else set())

    def pass2_takes(tags: dict) -> bool:
        if exact_ways:
            return _keeps(tags, way_filter)
        return any(k in tags for k in way_keys)

    # ---- pass 1: highway ways
    lines = _highway_pass(str(path), osmium)
    walk_l: list[bool] = []
    drive_l: list[bool] = []
    highway: list[str] = []
    oneway: list[str | None] = []
    junction: list[str | None] = []
    net_fields: list[str] = []
    gw = _table()
    hw_pois: list[tuple] = []
    net_keys = NETWORK_KEYS | {"oneway", "junction"}
    hw_poi = poi_filter.get("highway")  # None: any value (when "highway" is a POI key at all)
    for line in lines:
        wid, tfield, nfield = line.split(" ")
        tags = _opl_tags(tfield)
        if "%" in tfield:
            tags = _decoded(tags, net_keys)
        is_walk = is_walking_way(tags)
        is_drive = driving and is_driving_way(tags)
        if is_walk or is_drive:
            walk_l.append(is_walk)
            drive_l.append(is_drive)
            highway.append(tags["highway"])
            oneway.append(tags.get("oneway"))
            junction.append(tags.get("junction"))
            net_fields.append(nfield)
        is_gw = greenways and (_GREENWAY_OPL in tfield or "greenway" in tfield.lower()) and any(
            v is not None and (_GREENWAY_OPL in v or "greenway" in v.lower()) for v in (tags.get("name"), tags.get("name:zh"))
        )
        hv = tags.get("highway")
        is_poi = (hw_poi is None or hv in hw_poi) and "highway" in poi_filter and not pass2_takes(tags)
        if is_gw or is_poi:
            ids, lo, la, _ = _opl_nodes([nfield])
            ok = ~np.isnan(lo)
            if ok.sum() < 2:
                continue
            coords = np.column_stack([lo[ok], la[ok]])
            full = _decoded(tags)
            if is_gw:
                _add(gw, int(wid[1:]), "way", shapely.linestrings(coords), full)
            if is_poi:
                closed = ids.size >= 4 and ids[0] == ids[-1] and bool(ok.all()) and tags.get("area") != "no"
                hw_pois.append((int(wid[1:]), "way", shapely.polygons(coords) if closed else shapely.linestrings(coords), full))
    del lines
    refs, lons, lats, counts = _opl_nodes(net_fields)
    del net_fields
    ok = ~np.isnan(lons)
    way_of = np.repeat(np.arange(counts.size), counts)
    wl = np.bincount(way_of[ok], minlength=counts.size).astype(np.int64)
    refs, lons, lats = refs[ok], lons[ok], lats[ok]
    hw_a = np.asarray(highway, dtype=object)
    walk_net = _network(refs, lons, lats, wl, np.asarray(walk_l, dtype=bool), hw_a)
    drive_net = None
    if driving:
        drive_net = _network(refs, lons, lats, wl, np.asarray(drive_l, dtype=bool), hw_a,
                             np.asarray(oneway, dtype=object), np.asarray(junction, dtype=object))
    del refs, lons, lats

    # ---- pass 2: residential areas, POIs, buildings
    # Nodes: only POIs (exact key=value pairs when every POI key lists its values).
    if not poi_filter:
        node_f = EntityFilter(WAY | AREA)  # no POI keys: no node is needed
    elif all(v is not None for v in poi_filter.values()):
        node_f = TagFilter(*sorted((k, v) for k, vs in poi_filter.items() for v in vs))
    else:
        node_f = KeyFilter(*sorted(poi_filter))
    node_f.enable_for(NODE)
    if exact_ways:
        way_f = TagFilter(*sorted((k, v) for k, vs in way_filter.items() for v in vs))
    else:
        way_f = KeyFilter(*sorted(way_keys))
    way_f.enable_for(WAY)
    if exact_ways and all(v is not None for v in poi_filter.values()):
        area_f = TagFilter(*sorted({(k, v) for f in (way_filter, poi_filter) for k, vs in f.items() for v in vs}))
    else:
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
    from osmium.geom import ALL, WKBFactory

    wkb = WKBFactory()
    kept: list[tuple] = []  # ways of pass 2: id, WKB or coordinates, closed, residential, POI, building, tags
    res, pois, bld = _table(), _table(), _table()
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
            is_res = tags.get("landuse") == "residential"
            is_poi = _keeps(tags, poi_filter)
            is_bld = buildings and tags.get("building", "no") != "no"
            if is_res or is_poi or is_bld:
                kept.append((obj.id, *_way_wkb(obj, tags.get("area") == "no", wkb, ALL), is_res, is_poi, is_bld, dict(tags)))
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
    # the kept ways' geometries, built in bulk from the WKB libosmium wrote
    geoms = _way_geometries([k[1] for k in kept], [k[2] for k in kept])
    for (wid, _, closed, is_res, is_poi, is_bld, tags), geom in zip(kept, geoms, strict=True):
        if geom is None:
            continue
        if is_res and closed:
            _add(res, wid, "way", geom, tags)
        if is_poi:
            poi_ways.append((wid, "way", geom, tags))
        if is_bld and closed:
            _add(bld, wid, "way", geom, tags)
    del kept, geoms
    if hw_pois:  # both lists are in file order; an .osm.pbf is sorted by id
        poi_ways = sorted(poi_ways + hw_pois, key=_first)
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
    return PbfData(
        walk=walk_net,
        drive=drive_net,
        residential=res,
        pois=pois,
        buildings=bld if buildings else None,
        greenways=gw if greenways else None,
    )


def _way_wkb(way, area_no: bool, wkb, all_nodes) -> tuple[object, bool]:
    """The way's line as WKB (from C++, every node located) or as a coordinate list (some nodes
    without a location: those are left out), and whether it is a polygon: closed (first node = last
    node), ≥ 4 nodes, every node located, not ``area=no``."""
    nodes = way.nodes
    try:
        line = wkb.create_linestring(way, use_nodes=all_nodes)
    except Exception:  # noqa: BLE001 — osmium raises InvalidLocationError, or RuntimeError below 2 points
        return [(nd.lon, nd.lat) for nd in nodes if nd.location.valid()], False
    return line, (not area_no and len(nodes) >= 4 and nodes[0].ref == nodes[-1].ref)


def _way_geometries(lines: list, closed: list[bool]) -> NDArray[np.object_]:
    """Polygons (closed) and LineStrings from :func:`_way_wkb`'s output, in bulk; ``None`` for a way
    with fewer than two located nodes. Invalid polygons are kept as drawn (the caller repairs and
    counts them)."""
    n = len(lines)
    out = np.full(n, None, dtype=object)
    is_wkb = np.fromiter((not isinstance(x, list) for x in lines), dtype=bool, count=n)
    if is_wkb.any():
        wk = np.empty(int(is_wkb.sum()), dtype=object)
        wk[:] = [x for x, w in zip(lines, is_wkb, strict=True) if w]
        out[is_wkb] = shapely.from_wkb(wk)
    for i in np.flatnonzero(~is_wkb):
        if len(lines[i]) >= 2:
            out[i] = shapely.LineString(lines[i])
    poly = np.asarray(closed, dtype=bool) & is_wkb
    if poly.any():
        coords, idx = shapely.get_coordinates(out[poly], return_index=True)
        out[poly] = shapely.polygons(shapely.linearrings(coords, indices=idx))
    return out
