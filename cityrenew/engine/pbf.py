"""Reading an ``.osm.pbf`` with pyosmium in one pass that runs mostly in C++ (OSM读取).

What the engine needs from an extract — the walking network, the ``landuse=residential`` areas
(小区), the facility POIs and, when asked for, the driving network, the 绿道 ways and the buildings —
is read with pyosmium (``osmium``, the Python binding of libosmium):

1. a short read of the relations: the multipolygons libosmium will assemble;
2. one pass over the file, in C++: the POI nodes and every way with a ``highway`` or an area/POI/
   building key, with the locations of their nodes, written by libosmium as OPL text without any
   Python object per node or way (C++ location index, tag filters and writer); only the areas
   assembled from multipolygon relations reach Python. The text is parsed in bulk: node ids and
   coordinates by numpy's C number parser, a highway way's tags by two regular-expression searches
   when its highway value alone decides (most ways), else into a dict. The walking and the driving
   networks are the ways that pass pyrosm's filters (:data:`WALKING_EXCLUDE`,
   :data:`DRIVING_EXCLUDE`), kept as flat node-id/coordinate arrays; 绿道 ways are kept as lines;
   the geometries of residential areas, POI ways and buildings are built in bulk.

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
_HIGHWAY_OPL = re.compile(r"(?:^T|,)highway=([^,]*)")


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


def _opl_lines(path: str, osmium, node_filter, way_filter, area_keys: set[str], on_area):
    """The one pass over the file, all in C++ except the few relation areas, as an iterator of
    OPL lines: nodes passing ``node_filter`` and ways passing ``way_filter``, the ways with the
    locations of their nodes, written by libosmium to a temporary file and read back line by line
    (never all in memory). Multipolygon relations with one of ``area_keys`` are assembled by
    libosmium (after a read of the relations) and the areas with one of those keys handed to
    ``on_area`` (which skips the ones from closed ways: those ways are in the text). The location
    index and the assembler's member store are freed before the text is read."""
    from osmium.filter import EntityFilter, KeyFilter

    areas = osmium.area.AreaManager()
    rel_ids: list[int] = []

    class _Relations(osmium.SimpleHandler):
        def relation(self, r) -> None:
            rel_ids.append(r.id)

    class _Areas(osmium.SimpleHandler):
        def area(self, a) -> None:
            on_area(a)

    with osmium.io.Reader(path, osmium.osm.RELATION) as rd:
        osmium.apply(rd, KeyFilter(*sorted(area_keys)), areas.first_pass_handler(), _Relations())
    index = osmium.index.create_map("flex_mem")
    locations = osmium.NodeLocationsForWays(index)
    locations.ignore_errors()  # nodes missing from the extract: written without a location
    handlers = [locations]
    if rel_ids:
        # areas with one of the keys (an IdFilter of the relation areas' ids would be a dense bit
        # set over the id range: 0.5 GB for the tiled bench file); the ones from closed ways are
        # skipped in Python
        wanted = KeyFilter(*sorted(area_keys))
        wanted.enable_for(osmium.osm.AREA)
        handlers.append(areas.second_pass_handler(wanted, _Areas()))
    with tempfile.TemporaryDirectory(prefix="cityrenew-pbf-") as tmp:
        out = str(Path(tmp) / "objects.opl")
        writer = osmium.SimpleWriter(osmium.io.File(out, "opl,locations_on_ways=true,add_metadata=false"))
        try:
            osmium.apply(path, *handlers, EntityFilter(osmium.osm.NODE | osmium.osm.WAY), node_filter, way_filter, writer)
        finally:
            writer.close()
        del handlers, areas, index, locations
        with open(out, encoding="utf-8") as f:
            for line in f:
                yield line[:-1]


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

    One pass over the file, mostly in C++ (after a short read of its relations): the POI nodes and
    the ways with a ``highway`` or an area/POI/building key, with their node locations, written by
    libosmium as OPL text and parsed in bulk; multipolygon relations assembled by libosmium.
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
    from osmium.geom import WKBFactory

    NODE, WAY = osmium.osm.NODE, osmium.osm.WAY
    area_keys = {"landuse", *poi_filter} | ({"building"} if buildings else set())
    # Residential areas, POI ways and buildings: the ways with a residential/POI/building tag other
    # than highway (exact key=value pairs when every key lists its values, else keys); POIs tagged
    # only through highway (highway=bus_stop) are read with the highway ways.
    way_filter = {k: v for k, v in poi_filter.items() if k != "highway"}
    landuse = way_filter.get("landuse", frozenset())
    way_filter["landuse"] = None if landuse is None else frozenset(landuse) | {"residential"}
    exact_ways = not buildings and all(v is not None for v in way_filter.values())
    way_keys = frozenset(way_filter) | ({"building"} if buildings else set())

    def area_way(tags: dict) -> bool:
        if way_keys.isdisjoint(tags):
            return False  # most highway ways
        if exact_ways:
            return _keeps(tags, way_filter)
        return any(k in tags for k in way_keys)

    wkb = WKBFactory()
    poi_rel: list[tuple] = []
    res_rel: list[tuple] = []
    bld_rel: list[tuple] = []

    def on_area(obj) -> None:
        if obj.from_way():
            return  # closed ways are read as ways
        tags = obj.tags
        is_res = tags.get("landuse") == "residential"
        is_poi = _keeps(tags, poi_filter)
        is_bld = buildings and tags.get("building", "no") != "no"
        if not (is_res or is_poi or is_bld):
            return
        try:
            geom = shapely.from_wkb(wkb.create_multipolygon(obj))
        except RuntimeError:
            return  # an incomplete multipolygon (members outside the extract)
        parts = shapely.get_parts(geom)
        if len(parts) == 1:
            geom = parts[0]
        rid, d = obj.orig_id(), dict(tags)
        if is_res:
            res_rel.append((rid, "relation", geom, d))
        if is_poi:
            poi_rel.append((rid, "relation", geom, d))
        if is_bld:
            bld_rel.append((rid, "relation", geom, d))

    # ---- the main pass: POI nodes, highway ways and area/POI/building ways as OPL text
    if not poi_filter:
        node_f = EntityFilter(WAY)  # no POI keys: no node is needed
    elif all(v is not None for v in poi_filter.values()):
        node_f = TagFilter(*sorted((k, v) for k, vs in poi_filter.items() for v in vs))
    else:
        node_f = KeyFilter(*sorted(poi_filter))
    node_f.enable_for(NODE)
    way_f = KeyFilter("highway", *sorted(way_keys))  # a superset; the exact choice is made per line
    way_f.enable_for(WAY)
    exact_nodes = isinstance(node_f, TagFilter)
    lines = _opl_lines(str(path), osmium, node_f, way_f, area_keys, on_area)

    walk_l: list[bool] = []
    drive_l: list[bool] = []
    highway: list[str] = []
    oneway: list[str | None] = []
    junction: list[str | None] = []
    net_fields: list[str] = []
    gw = _table()
    pois = _table()
    kept: list[tuple] = []  # ways with a geometry to build: id, N field, area=no, residential, POI, building, tags
    read_keys = NETWORK_KEYS | {"oneway", "junction", "building"} | set(poi_filter) | way_keys
    other_net_keys = NETWORK_KEYS - {"highway"}
    walk_hw, drive_hw = WALKING_EXCLUDE["highway"], DRIVING_EXCLUDE["highway"]
    hw_poi = poi_filter.get("highway")  # None: any value (when "highway" is a POI key at all)
    def add_greenway(wid: str, tfield: str, nfield: str) -> None:
        full = _decoded(_opl_tags(tfield))
        if is_greenway(full):
            _, lo, la, _ = _opl_nodes([nfield])
            ok = ~np.isnan(lo)
            if ok.sum() >= 2:
                _add(gw, int(wid[1:]), "way", shapely.linestrings(np.column_stack([lo[ok], la[ok]])), full)

    # Most highway ways carry no tag that decides anything but their highway value: for those the
    # tag field is not parsed into a dict (one search for the keys that matter, one for the value)
    deciding = re.compile("(?:^T|,)(?:" + "|".join(re.escape(k) for k in sorted(other_net_keys | way_keys | {"oneway", "junction"})) + ")=")
    for line in lines:
        if line[0] == "w":
            wid, tfield, nfield = line.split(" ")
            hm = _HIGHWAY_OPL.search(tfield)
            if hm is not None and "%" not in hm.group(1) and deciding.search(tfield) is None:
                hv = hm.group(1)
                is_walk = not _value_in(hv, walk_hw)
                is_drive = driving and not _value_in(hv, drive_hw)
                if is_walk or is_drive:
                    walk_l.append(is_walk)
                    drive_l.append(is_drive)
                    highway.append(hv)
                    oneway.append(None)
                    junction.append(None)
                    net_fields.append(nfield)
                if greenways and (_GREENWAY_OPL in tfield or "greenway" in tfield.lower()):
                    add_greenway(wid, tfield, nfield)
                if "highway" in poi_filter and (hw_poi is None or hv in hw_poi):
                    kept.append((int(wid[1:]), nfield, False, False, True, False, tfield))
                continue
        else:
            nid, tfield, xf, yf = line.split(" ")
            if len(xf) == 1 or len(yf) == 1:
                continue  # a node without a valid location
            tags = _opl_tags(tfield)
            if "%" in tfield:
                tags = _decoded(tags)
            if exact_nodes or _keeps(tags, poi_filter):
                _add(pois, int(nid[1:]), "node", shapely.Point(float(xf[1:]), float(yf[1:])), tags)
            continue
        tags = _opl_tags(tfield)
        if "%" in tfield:
            tags = _decoded(tags, read_keys)
        hv = tags.get("highway")
        takes = area_way(tags)
        if hv is not None:
            if other_net_keys.isdisjoint(tags):  # only the highway value decides (most ways)
                is_walk = not _value_in(hv, walk_hw)
                is_drive = driving and not _value_in(hv, drive_hw)
            else:
                is_walk = is_walking_way(tags)
                is_drive = driving and is_driving_way(tags)
            if is_walk or is_drive:
                walk_l.append(is_walk)
                drive_l.append(is_drive)
                highway.append(hv)
                oneway.append(tags.get("oneway"))
                junction.append(tags.get("junction"))
                net_fields.append(nfield)
            if greenways and (_GREENWAY_OPL in tfield or "greenway" in tfield.lower()):
                add_greenway(wid, tfield, nfield)
            if not takes and "highway" in poi_filter and (hw_poi is None or hv in hw_poi):
                kept.append((int(wid[1:]), nfield, tags.get("area") == "no", False, True, False, tfield))
            if not takes:
                continue
        if takes:
            is_res = tags.get("landuse") == "residential"
            is_poi = _keeps(tags, poi_filter)
            is_bld = buildings and tags.get("building", "no") != "no"
            if is_res or is_poi or is_bld:
                kept.append((int(wid[1:]), nfield, tags.get("area") == "no", is_res, is_poi, is_bld, tfield))
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

    # the kept ways' geometries, built in bulk from the node coordinates of their lines
    res, bld = _table(), _table()
    poi_ways: list[tuple] = []
    geoms, closed = _way_geometries([k[1] for k in kept], np.fromiter((k[2] for k in kept), dtype=bool, count=len(kept)))
    for (wid, _, _, is_res, is_poi, is_bld, tfield), geom, cl in zip(kept, geoms, closed, strict=True):
        if geom is None:
            continue
        tags = _decoded(_opl_tags(tfield)) if "%" in tfield else _opl_tags(tfield)
        if is_res and cl:
            _add(res, wid, "way", geom, tags)
        if is_poi:
            poi_ways.append((wid, "way", geom, tags))
        if is_bld and cl:
            _add(bld, wid, "way", geom, tags)
    del kept, geoms
    # ways by id (the file order of an .osm.pbf), then relations by id (areas are assembled when
    # their last member way has been read, in no fixed order), as pyrosm gives them
    for table, rows in ((pois, sorted(poi_ways, key=_first)), (pois, sorted(poi_rel, key=_first)),
                        (res, sorted(res_rel, key=_first)), (bld, sorted(bld_rel, key=_first))):
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


def _way_geometries(fields: list[str], area_no: NDArray[np.bool_]) -> tuple[NDArray[np.object_], NDArray[np.bool_]]:
    """Geometries of ways from their OPL ``N`` fields, in bulk: a polygon where the way is closed
    (first node = last node), has ≥ 4 nodes, every node located and no ``area=no``; else a
    LineString of its located nodes; ``None`` with fewer than two located nodes. Returns the
    geometries and the polygon flags. Invalid polygons are kept as drawn (the caller repairs and
    counts them)."""
    n = len(fields)
    out = np.full(n, None, dtype=object)
    refs, lon, lat, counts = _opl_nodes(fields)
    if n == 0 or refs.size == 0:
        return out, np.zeros(n, dtype=bool)
    way = np.repeat(np.arange(n), counts)
    located = ~np.isnan(lon)
    nloc = np.bincount(way[located], minlength=n)
    last = np.cumsum(counts) - 1
    first = last - counts + 1
    has = counts > 0
    same_end = np.zeros(n, dtype=bool)
    same_end[has] = refs[first[has]] == refs[last[has]]
    closed = (nloc == counts) & (counts >= 4) & same_end & ~np.asarray(area_no, dtype=bool)
    for polygon in (True, False):
        want = closed if polygon else (~closed & (nloc >= 2))
        sel = located & want[way]
        if not sel.any():
            continue
        owners, dense = np.unique(way[sel], return_inverse=True)
        xy = np.column_stack([lon[sel], lat[sel]])
        if polygon:
            out[owners] = shapely.polygons(shapely.linearrings(xy, indices=dense.ravel()))
        else:
            out[owners] = shapely.linestrings(xy, indices=dense.ravel())
    return out, closed
