"""Writing results (结果输出): a GeoPackage with one row per unit, and the JSON summary.

GeoPackage layers (geometry in the metric CRS the computation used, stated in the summary):

* ``units``: ``unit_id``, ``name``, ``district``, ``area_m2``, ``population``, ``node_id`` (the
  id of the network node the centroid snapped to: the OSM node id for an OSM network), ``snap_m`` (metres), ``outside_network`` (1 = farther
  than the snap limit, excluded from shares); per category ``dist_<category>_m`` (walking metres,
  NULL beyond the category's search limit or outside the network) and ``line_<category>_m``
  (straight line); per rule ``cov_<code>`` (1/0, network) and ``covl_<code>`` (straight line); per
  life-circle rule ``lc_<code>`` (categories reached).
* ``facilities``: ``name``, ``categories``, ``node_id`` and ``snap_m`` (of the access point nearest
  the network).
* ``units`` also has ``drive_<category>_s`` (driving seconds from the nearest station, NULL beyond the
  rule's budget) for drive-time rules (消防站).
* ``jobs`` (with ``--jobs``): ``jobs`` per site, ``dist_<category>_m``, ``cov_<code>`` (指标43 就业端).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .coverage import CoverageResult


def _nullable(a: np.ndarray) -> np.ndarray:
    out = np.asarray(a, dtype=float).copy()
    out[~np.isfinite(out)] = np.nan
    return np.round(out, 3)


def units_frame(res: CoverageResult, node_ids: np.ndarray | None = None) -> gpd.GeoDataFrame:
    """Per-unit results as a GeoDataFrame in ``res.crs``."""
    u = res.units
    ids = node_ids if node_ids is not None else res.node_ids
    cols: dict[str, Any] = {
        "unit_id": u.ids.astype(str),
        "name": u.names.astype(str),
        "district": u.district.astype(str),
        "area_m2": np.round(u.area_m2, 1),
        "population": u.population,
        "node_id": (np.asarray(ids)[res.unit_node] if ids is not None else res.unit_node).astype(np.int64),
        "snap_m": np.round(res.unit_snap_m, 3),
        "outside_network": res.outside.astype(np.int8),
    }
    for cat in sorted(res.distance_m):
        cols[f"dist_{cat}_m"] = _nullable(res.distance_m[cat])
        cols[f"line_{cat}_m"] = _nullable(res.straight_m[cat])
    for cat in sorted(res.drive_time_s):
        cols[f"drive_{cat}_s"] = _nullable(res.drive_time_s[cat])
    for code, flag in res.covered.items():
        cols[f"cov_{code}"] = flag.astype(np.int8)
        cols[f"covl_{code}"] = res.covered_line[code].astype(np.int8)
    for code, cnt in res.life_circle.items():
        cols[f"lc_{code}"] = cnt
    geom = u.geometry if u.geometry is not None else shapely.points(u.x, u.y)
    return gpd.GeoDataFrame(pd.DataFrame(cols), geometry=list(geom), crs=res.crs)


def facilities_frame(res: CoverageResult) -> gpd.GeoDataFrame | None:
    """One row per facility with its categories and snap length (metres), or None."""
    f = res.facilities
    if f is None or f.n == 0:
        return None
    cats = [[] for _ in range(f.n)]
    for k, idx in f.members.items():
        for i in idx.tolist():
            cats[i].append(k)
    snap = np.full(f.n, np.inf)
    node = np.full(f.n, -1, dtype=np.int64)
    if res.facility_snap_m is not None and res.facility_node is not None:
        # per facility, the access point nearest the network: its snap length and node id
        order = np.lexsort((res.facility_snap_m, f.owner))
        first = order[np.r_[True, f.owner[order][1:] != f.owner[order][:-1]]]
        snap[f.owner[first]] = res.facility_snap_m[first]
        nodes = res.facility_node[first]
        node[f.owner[first]] = res.node_ids[nodes] if res.node_ids is not None else nodes
    return gpd.GeoDataFrame(
        {
            "name": f.names.astype(str),
            "categories": [";".join(c) for c in cats],
            "node_id": node,
            "snap_m": np.round(snap, 3),
        },
        geometry=list(shapely.points(f.px, f.py)),
        crs=res.crs,
    )


def write_geopackage(res: CoverageResult, path: str | Path, node_ids: np.ndarray | None = None) -> Path:
    """Write the ``units`` and ``facilities`` layers to a GeoPackage (replacing the file)."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    if p.exists():
        p.unlink()
    units_frame(res, node_ids).to_file(p, layer="units", driver="GPKG")
    fac = facilities_frame(res)
    if fac is not None:
        fac.to_file(p, layer="facilities", driver="GPKG", mode="a")
    if res.jobs is not None and res.jobs_covered:
        j = res.jobs
        cols: dict[str, Any] = {"jobs": j.population}
        cols.update({f"dist_{c}_m": _nullable(d) for c, d in res.jobs_distance_m.items()})
        cols.update({f"cov_{c}": f.astype(np.int8) for c, f in res.jobs_covered.items()})
        geom = j.geometry if j.geometry is not None else shapely.points(j.x, j.y)
        gpd.GeoDataFrame(pd.DataFrame(cols), geometry=list(geom), crs=res.crs).to_file(p, layer="jobs", driver="GPKG", mode="a")
    return p


def write_summary(summary: dict[str, Any], path: str | Path) -> Path:
    """Write the JSON summary (UTF-8, Chinese kept readable)."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(json.dumps(summary, ensure_ascii=False, indent=2), encoding="utf-8")
    return p
