"""Helpers that write small .osm.pbf files for tests (into tmp dirs; never into the repository)."""

from __future__ import annotations

from pathlib import Path

import osmium


def clip_pbf(src: Path, dst: Path, bbox: tuple[float, float, float, float]) -> Path:
    """Copy the nodes inside ``bbox`` (lon/lat) and the ways whose nodes are all inside."""
    keep = set()
    for o in osmium.FileProcessor(str(src), osmium.osm.NODE):
        if bbox[0] <= o.location.lon <= bbox[2] and bbox[1] <= o.location.lat <= bbox[3]:
            keep.add(o.id)
    w = osmium.SimpleWriter(str(dst))
    try:
        for o in osmium.FileProcessor(str(src), osmium.osm.NODE | osmium.osm.WAY):
            if o.is_node():
                if o.id in keep:
                    w.add_node(o)
            elif all(n.ref in keep for n in o.nodes):
                w.add_way(o)
    finally:
        w.close()
    return dst


def poi_only_pbf(dst: Path) -> Path:
    """An extract with two POIs and no roads at all."""
    w = osmium.SimpleWriter(str(dst))
    try:
        for i, (lon, lat, tags) in enumerate(
            [(104.07, 30.67, {"amenity": "school", "name": "测试小学"}), (104.08, 30.68, {"amenity": "hospital"})], 1
        ):
            w.add_node(osmium.osm.mutable.Node(id=i, version=1, location=osmium.osm.Location(lon, lat), tags=tags))
    finally:
        w.close()
    return dst
