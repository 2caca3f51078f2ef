"""A tiny OSM writer for tests: street grids, polygons and POIs written to a real .osm.pbf by osmium.

Coordinates are given in metres east/north of an origin (lon0, lat0) and converted with a local
equirectangular approximation, which is exact enough for test towns a few kilometres across.
"""

from __future__ import annotations

import math
from pathlib import Path

import osmium


class OsmBuilder:
    def __init__(self, lon0: float = 104.05, lat0: float = 30.65, first_id: int = 1) -> None:
        self.lon0, self.lat0 = lon0, lat0
        self.nodes: list[tuple[int, float, float, dict]] = []
        self.ways: list[tuple[int, list[int], dict]] = []
        self._nid = first_id  # OSM ids far from 0..n-1, so an internal index cannot pass for one
        self._wid = first_id

    def lonlat(self, x_m: float, y_m: float) -> tuple[float, float]:
        lat = self.lat0 + y_m / 110_940.0
        lon = self.lon0 + x_m / (111_320.0 * math.cos(math.radians(self.lat0)))
        return lon, lat

    def node(self, x_m: float, y_m: float, tags: dict | None = None) -> int:
        lon, lat = self.lonlat(x_m, y_m)
        return self.node_lonlat(lon, lat, tags)

    def node_lonlat(self, lon: float, lat: float, tags: dict | None = None) -> int:
        nid = self._nid
        self._nid += 1
        self.nodes.append((nid, lon, lat, dict(tags or {})))
        return nid

    def way(self, refs: list[int], tags: dict) -> int:
        wid = self._wid
        self._wid += 1
        self.ways.append((wid, list(refs), dict(tags)))
        return wid

    def grid(self, x0: float, y0: float, n: int, step_m: float = 100.0, highway: str = "residential") -> list[list[int]]:
        """An n × n street grid with its south-west corner at (x0, y0): n east-west and n
        north-south ways. Total length 2·n·(n−1)·step_m."""
        ids = [[self.node(x0 + i * step_m, y0 + j * step_m) for i in range(n)] for j in range(n)]
        for j in range(n):
            self.way(ids[j], {"highway": highway, "name": f"东西路{j}"})
        for i in range(n):
            self.way([ids[j][i] for j in range(n)], {"highway": highway, "name": f"南北路{i}"})
        return ids

    def ring(self, coords_m: list[tuple[float, float]], tags: dict) -> int:
        """A closed way through ``coords_m`` (metres), e.g. a landuse=residential area."""
        refs = [self.node(x, y) for x, y in coords_m]
        return self.way(refs + [refs[0]], tags)

    def box(self, x: float, y: float, w: float, h: float, tags: dict) -> int:
        return self.ring([(x, y), (x + w, y), (x + w, y + h), (x, y + h)], tags)

    def write(self, path: Path) -> Path:
        path = Path(path)
        if path.exists():
            path.unlink()
        w = osmium.SimpleWriter(str(path))
        try:
            for nid, lon, lat, tags in self.nodes:
                w.add_node(osmium.osm.mutable.Node(id=nid, version=1, location=osmium.osm.Location(lon, lat), tags=tags))
            for wid, refs, tags in self.ways:
                w.add_way(osmium.osm.mutable.Way(id=wid, version=1, nodes=refs, tags=tags))
        finally:
            w.close()
        return path


def town(b: OsmBuilder, x0: float, y0: float, *, n: int = 8, step: float = 100.0, named: bool = True, prefix: str = "") -> None:
    """A street grid (n × n, ``step`` metres) with four residential areas inside its blocks."""
    b.grid(x0, y0, n, step)
    for k, (i, j) in enumerate(((1, 1), (1, n - 3), (n - 3, 1), (n - 3, n - 3))):
        tags = {"landuse": "residential"}
        if named:
            tags["name"] = f"{prefix}小区{k + 1}"
        b.box(x0 + i * step + 20, y0 + j * step + 20, step - 40, step - 40, tags)


def tile_pbf(src: Path, dst: Path, shifts: list[tuple[float, float]], id_step: int = 100_000_000_000) -> Path:
    """A tiled copy of ``src``: one copy per (dlon, dlat) shift, ids offset by ``id_step`` per copy
    (nodes, ways, relations and their member references), no connection between the copies."""
    w = osmium.SimpleWriter(str(dst))
    try:
        for kind in (osmium.osm.NODE, osmium.osm.WAY, osmium.osm.RELATION):
            for k, (dlon, dlat) in enumerate(shifts):
                off = k * id_step
                for o in osmium.FileProcessor(str(src), kind):
                    tags = {t.k: t.v for t in o.tags}
                    if o.is_node():
                        loc = osmium.osm.Location(o.location.lon + dlon, o.location.lat + dlat)
                        w.add_node(osmium.osm.mutable.Node(id=o.id + off, version=1, location=loc, tags=tags))
                    elif o.is_way():
                        w.add_way(osmium.osm.mutable.Way(id=o.id + off, version=1, nodes=[n.ref + off for n in o.nodes], tags=tags))
                    else:
                        members = [(m.type, m.ref + off, m.role) for m in o.members]
                        w.add_relation(osmium.osm.mutable.Relation(id=o.id + off, version=1, members=members, tags=tags))
    finally:
        w.close()
    return dst
