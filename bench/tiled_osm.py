"""A city-sized ``.osm.pbf`` for the end-to-end bench (拼接的城市规模OSM文件), written with osmium.

The Chengdu extract (``tests/data/osm-chengdu-central``, 9,552 walking nodes, 800 buildings) is
copied k × k times side by side: tile (i, j) shifts every coordinate by (i·Δlon, j·Δlat), where Δ is
the extent of its walking network plus a 20 m gap, and adds ``tile × ID_STEP`` to every node, way and relation
id (and to the references). The copies are stitched at their borders by new two-node
``highway=footway`` ways: every walking node within 80 m of a tile's east (north) edge is joined to
the nearest walking node of the neighbour's west (south) border band. The extract maps only 800 of
its buildings; to reach the building density of a city, each tile also gets ``extra_buildings``
12 m square ``building=residential`` ways on a 45 m grid inside its ``landuse=residential``
polygons. ``units_gpkg`` writes the buildings of the whole file (real and added) as the assessment
units the bench passes to ``cityrenew engine coverage --units``.

    python bench/tiled_osm.py 10 out.osm.pbf      # 10 × 10 copies (~0.95 M walking nodes)
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
PBF = REPO / "tests" / "data" / "osm-chengdu-central" / "chengdu_central.osm.pbf"
ID_STEP = 10**11  # larger than any id of the extract
GAP_M = 20.0
STITCH_M = 80.0
GRID_M = 45.0
SIDE_M = 12.0
M_PER_DEG = 111_320.0
VERSION = 2  # bump when the generator changes: cached files carry it in their name


def _read_base(src: Path):
    import osmium

    nodes, ways, rels = [], [], []
    for o in osmium.FileProcessor(str(src)):
        if o.is_node():
            nodes.append((o.id, o.location.lon, o.location.lat, dict(o.tags)))
        elif o.is_way():
            ways.append((o.id, [n.ref for n in o.nodes], dict(o.tags)))
        elif o.is_relation():
            rels.append((o.id, [(m.type, m.ref, m.role) for m in o.members], dict(o.tags)))
    return nodes, ways, rels


def _added_buildings(res_polys, lat0: float, count: int):
    """Up to ``count`` squares (WGS84 rings) on a grid inside the residential polygons."""
    import shapely

    mx = M_PER_DEG * np.cos(np.radians(lat0))
    pts = []
    for poly in res_polys:
        x0, y0, x1, y1 = poly.bounds
        xs = np.arange(x0 + GRID_M / 2 / mx, x1, GRID_M / mx)
        ys = np.arange(y0 + GRID_M / 2 / M_PER_DEG, y1, GRID_M / M_PER_DEG)
        if xs.size == 0 or ys.size == 0:
            continue
        gx, gy = np.meshgrid(xs, ys)
        p = shapely.points(gx.ravel(), gy.ravel())
        inside = shapely.contains(poly, p)
        pts.extend(zip(gx.ravel()[inside], gy.ravel()[inside]))
    pts = pts[:count]
    hx, hy = SIDE_M / 2 / mx, SIDE_M / 2 / M_PER_DEG
    return [[(x - hx, y - hy), (x + hx, y - hy), (x + hx, y + hy), (x - hx, y + hy)] for x, y in pts]


def build(k: int, dst: Path, *, extra_buildings: int = 700, src: Path = PBF) -> dict:
    """Write the k × k tiled file to ``dst``; return its counts and the per-tile shift."""
    import osmium
    import shapely
    from osmium.osm import Location, mutable
    from scipy.spatial import cKDTree

    from cityrenew.engine.io import read_osm

    nodes, ways, rels = _read_base(src)
    ext = read_osm(src, buildings=True)
    # the tile is the walking network's extent (other features, e.g. long relations, reach
    # farther and overlap the neighbour copy a little)
    x0, x1, y0, y1 = ext.lon.min(), ext.lon.max(), ext.lat.min(), ext.lat.max()
    lat0 = float((y0 + y1) / 2)
    mx = M_PER_DEG * np.cos(np.radians(lat0))
    dlon = (x1 - x0) + GAP_M / mx
    dlat = (y1 - y0) + GAP_M / M_PER_DEG
    max_id = max(max(n[0] for n in nodes), max(w[0] for w in ways), max((r[0] for r in rels), default=0))
    assert max_id < ID_STEP // 2

    squares = _added_buildings(ext.residential.geometry.values, lat0, extra_buildings)
    # border links between a tile and its east / north neighbour (base-tile node ids)
    wx, wy = ext.lon, ext.lat

    def links(a_mask, b_mask, sx, sy):
        a, b = np.flatnonzero(a_mask), np.flatnonzero(b_mask)
        tree = cKDTree(np.column_stack([(wx[b] + sx - x0) * mx, (wy[b] + sy - y0) * M_PER_DEG]))
        _, j = tree.query(np.column_stack([(wx[a] - x0) * mx, (wy[a] - y0) * M_PER_DEG]))
        return ext.node_ids[a], ext.node_ids[b[j]]

    band_x, band_y = STITCH_M / mx, STITCH_M / M_PER_DEG
    east = links(wx > x1 - band_x, wx < x0 + band_x, dlon, 0.0)
    north = links(wy > y1 - band_y, wy < y0 + band_y, 0.0, dlat)

    tiles = [(i, j) for i in range(k) for j in range(k)]
    tmp = dst.with_suffix(".partial.pbf")
    tmp.unlink(missing_ok=True)
    w = osmium.SimpleWriter(str(tmp))
    n_nodes = n_ways = 0
    try:
        for t, (i, j) in enumerate(tiles):
            off, sx, sy = t * ID_STEP, i * dlon, j * dlat
            for nid, lo, la, tags in nodes:
                w.add_node(mutable.Node(id=nid + off, version=1, location=Location(lo + sx, la + sy), tags=tags))
            nid = off + ID_STEP // 2
            for sq in squares:
                for lo, la in sq:
                    w.add_node(mutable.Node(id=nid, version=1, location=Location(lo + sx, la + sy)))
                    nid += 1
            n_nodes += len(nodes) + 4 * len(squares)
        for t, (i, j) in enumerate(tiles):
            off = t * ID_STEP
            for wid, refs, tags in ways:
                w.add_way(mutable.Way(id=wid + off, version=1, nodes=[r + off for r in refs], tags=tags))
            nid, wid = off + ID_STEP // 2, off + ID_STEP // 2
            for _ in squares:
                w.add_way(mutable.Way(id=wid, version=1, nodes=[nid, nid + 1, nid + 2, nid + 3, nid], tags={"building": "residential"}))
                nid += 4
                wid += 1
            n_ways += len(ways) + len(squares)
        sid = len(tiles) * ID_STEP
        n_links = 0
        for t, (i, j) in enumerate(tiles):
            for (a, b), step, has in ((east, k, i < k - 1), (north, 1, j < k - 1)):
                if not has:
                    continue
                for p, q in zip((a + t * ID_STEP).tolist(), (b + (t + step) * ID_STEP).tolist()):
                    w.add_way(mutable.Way(id=sid, version=1, nodes=[p, q], tags={"highway": "footway", "note": "bench stitch"}))
                    sid += 1
                    n_links += 1
        for t in range(len(tiles)):
            off = t * ID_STEP
            for rid, members, tags in rels:
                w.add_relation(
                    mutable.Relation(id=rid + off, version=1, members=[(ty, ref + off, role) for ty, ref, role in members], tags=tags)
                )
    finally:
        w.close()
    tmp.replace(dst)
    real = ext.buildings.geometry.values
    added = shapely.polygons([sq + [sq[0]] for sq in squares]) if squares else np.empty(0, dtype=object)
    return {
        "path": str(dst),
        "tiles": len(tiles),
        "nodes": n_nodes,
        "ways": n_ways + n_links,
        "stitch_ways": n_links,
        "walking_nodes_per_tile": int(ext.node_ids.size),
        "buildings": (len(real) + len(added)) * len(tiles),
        "shift": (dlon, dlat),
        "tile_buildings": np.concatenate([real, added]),
    }


def units_gpkg(meta: dict, k: int, dst: Path) -> Path:
    """The buildings of the tiled file (every tile's copy, shifted) as a GeoPackage of polygons."""
    import geopandas as gpd
    import shapely

    base = meta["tile_buildings"]
    dlon, dlat = meta["shift"]
    geoms, ids = [], []
    for t, (i, j) in enumerate((i, j) for i in range(k) for j in range(k)):
        geoms.append(shapely.transform(base, lambda xy, i=i, j=j: xy + np.array([i * dlon, j * dlat])))
        ids.append(np.char.add(f"t{t}_", np.arange(len(base)).astype(str)))
    g = gpd.GeoDataFrame({"id": np.concatenate(ids)}, geometry=np.concatenate(geoms), crs="EPSG:4326")
    tmp = dst.with_suffix(".partial.gpkg")
    tmp.unlink(missing_ok=True)
    g.to_file(tmp, driver="GPKG", engine="pyogrio")
    tmp.replace(dst)
    return dst


if __name__ == "__main__":
    kk = int(sys.argv[1])
    out = Path(sys.argv[2])
    m = build(kk, out)
    units_gpkg(m, kk, out.with_suffix(".units.gpkg"))
    print({a: b for a, b in m.items() if a != "tile_buildings"})
