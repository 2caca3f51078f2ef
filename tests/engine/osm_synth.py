"""Write small synthetic .osm.pbf files laid out in metres (EPSG:4544, near Chengdu) with osmium.

Coordinates are given in the metric CRS the engine itself picks for this place (CGCS2000 GK CM
105E), so the distances the tests construct are the distances the engine measures (to ~1 cm, the
precision of OSM coordinates).
"""

from __future__ import annotations

from pathlib import Path

import osmium

from cityrenew.engine import crs

METRIC = "EPSG:4544"
X0, Y0 = 400_000.0, 3_395_000.0


def lonlat(x: float, y: float) -> tuple[float, float]:
    lon, lat = crs.to_lonlat([X0 + x], [Y0 + y], METRIC)
    return float(lon[0]), float(lat[0])


class OsmFile:
    """Nodes at (x, y) metres from (X0, Y0); ways by node ids; ``write`` sorts nodes before ways."""

    def __init__(self) -> None:
        self.nodes: list[tuple[int, float, float, dict]] = []
        self.ways: list[tuple[int, list[int], dict]] = []
        self._next_node = 1
        self._next_way = 1

    def node(self, x: float, y: float, **tags: str) -> int:
        i = self._next_node
        self._next_node += 1
        self.nodes.append((i, x, y, {k.replace("__", ":"): v for k, v in tags.items()}))
        return i

    def way(self, nodes: list[int], **tags: str) -> int:
        i = self._next_way
        self._next_way += 1
        self.ways.append((i, list(nodes), {k.replace("__", ":"): v for k, v in tags.items()}))
        return i

    def line(self, xs: list[float], y: float = 0.0, **tags: str) -> list[int]:
        """A way along y through the given x positions; returns its node ids."""
        ids = [self.node(x, y) for x in xs]
        self.way(ids, **tags)
        return ids

    def polygon(self, x: float, y: float, w: float, h: float, **tags: str) -> int:
        """A closed rectangular way with its lower-left corner at (x, y), w × h metres."""
        ids = [self.node(x, y), self.node(x + w, y), self.node(x + w, y + h), self.node(x, y + h)]
        return self.way(ids + ids[:1], **tags)

    def write(self, path: Path) -> Path:
        w = osmium.SimpleWriter(str(path))
        try:
            for i, x, y, tags in self.nodes:
                lon, lat = lonlat(x, y)
                w.add_node(osmium.osm.mutable.Node(id=i, version=1, location=osmium.osm.Location(lon, lat), tags=tags))
            for i, nodes, tags in self.ways:
                w.add_way(osmium.osm.mutable.Way(id=i, version=1, nodes=nodes, tags=tags))
        finally:
            w.close()
        return path


def units_csv(path: Path, xy: list[tuple[float, float]], **cols: list) -> Path:
    """A CSV of unit points (WGS84 lon/lat) at the given metric positions."""
    import pandas as pd

    ll = [lonlat(x, y) for x, y in xy]
    pd.DataFrame({"name": [f"单元{i}" for i in range(len(xy))], "lon": [a for a, _ in ll], "lat": [b for _, b in ll], **cols}).to_csv(path, index=False)
    return path
