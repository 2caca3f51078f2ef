"""Assessment units (评价单元): 小区 polygons, buildings or imported units, as centroid arrays."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from numpy.typing import ArrayLike, NDArray


@dataclass
class Units:  # 评价单元（小区、建筑）
    """Units in a metric CRS: ``x``, ``y`` centroids in metres; ``area_m2`` (NaN for points);
    ``population`` (NaN where unknown); ``district`` label per unit ("" where unknown);
    ``geometry`` shapely geometries in the same metric CRS (for the GeoPackage)."""

    ids: NDArray[np.object_]
    names: NDArray[np.object_]
    x: NDArray[np.float64]
    y: NDArray[np.float64]
    area_m2: NDArray[np.float64]
    population: NDArray[np.float64]
    district: NDArray[np.object_]
    geometry: NDArray[np.object_] | None = None
    repaired: int = 0  # invalid geometries repaired with make_valid
    dropped_empty: int = 0  # geometries empty (or empty after repair), left out
    kind: str = "area"  # "area" (小区/用地面: area-weighted value) or "building" (建筑: population-weighted or count)

    @property
    def n(self) -> int:
        return int(self.x.shape[0])


def repair_geometries(geoms: ArrayLike) -> tuple[NDArray[np.object_], int]:
    """Repair invalid geometries (self-intersections, common in OSM and building layers):
    ``shapely.make_valid`` keeps every part (a bow-tie becomes two triangles, where ``buffer(0)``
    would drop one); for polygon input only the polygonal parts are kept, so a repaired polygon
    stays a (multi)polygon. Returns the geometries and how many were repaired."""
    g = np.asarray(geoms, dtype=object).copy()
    present = ~shapely.is_missing(g)
    bad = np.zeros(len(g), dtype=bool)
    bad[present] = ~shapely.is_valid(g[present])
    if not bad.any():
        return g, 0
    idx = np.flatnonzero(bad)
    fixed = shapely.make_valid(g[idx])
    poly_in = np.isin(shapely.get_type_id(g[idx]), (3, 6))
    if poly_in.any():
        sub = fixed[poly_in]
        parts, owner = shapely.get_parts(sub, return_index=True)
        keep = np.isin(shapely.get_type_id(parts), (3, 6))
        parts, owner = parts[keep], owner[keep]
        out = np.array([shapely.Polygon() for _ in range(len(sub))], dtype=object)  # empty: nothing left
        if parts.size:
            have, dense = np.unique(owner, return_inverse=True)
            out[have] = shapely.multipolygons(parts, indices=dense.ravel())
        fixed[poly_in] = out
    g[idx] = fixed
    return g, int(bad.sum())


def units_from_geometries(
    geoms: ArrayLike,
    *,
    ids: ArrayLike | None = None,
    names: ArrayLike | None = None,
    population: ArrayLike | None = None,
) -> Units:
    """Build :class:`Units` from shapely geometries in a metric CRS (metres).

    Polygons are represented by their centroid (point-on-surface if the centroid falls outside,
    e.g. an L-shaped compound) and carry their area in m²; points have ``area_m2 = NaN``.
    Invalid geometries are repaired (:func:`repair_geometries`, counted in ``repaired``); missing
    or empty ones are left out (``dropped_empty``).
    """
    g, repaired = repair_geometries(geoms)
    ok = ~shapely.is_missing(g) & ~shapely.is_empty(g)
    if not ok.all():
        g = g[ok]
        ids = None if ids is None else np.asarray(ids, dtype=object)[ok]
        names = None if names is None else np.asarray(names, dtype=object)[ok]
        population = None if population is None else np.asarray(population, dtype=float)[ok]
    n = len(g)
    c = shapely.centroid(g)
    outside = ~shapely.contains(g, c) & np.isin(shapely.get_type_id(g), (3, 6))
    if outside.any():
        c[outside] = shapely.point_on_surface(g[outside])
    area = shapely.area(g).astype(float)
    area[~np.isin(shapely.get_type_id(g), (3, 6))] = np.nan
    pop = np.full(n, np.nan) if population is None else np.asarray(population, dtype=float)
    return Units(
        ids=np.asarray(ids if ids is not None else np.arange(n).astype(str), dtype=object),
        names=np.asarray(names if names is not None else [""] * n, dtype=object),
        x=shapely.get_x(c).astype(float),
        y=shapely.get_y(c).astype(float),
        area_m2=area,
        population=pop,
        district=np.full(n, "", dtype=object),
        geometry=g,
        repaired=repaired,
        dropped_empty=int((~ok).sum()),
    )


def assign_districts(units: Units, polygons: ArrayLike, labels: ArrayLike) -> NDArray[np.object_]:
    """Label each unit centroid with the district polygon (metric CRS) that contains it ("" if none).

    Where districts overlap the first polygon in input order wins.
    """
    polys = np.asarray(polygons, dtype=object)
    lab = np.asarray(labels, dtype=object)
    pts = shapely.points(units.x, units.y)
    tree = shapely.STRtree(polys)
    pi, di = tree.query(pts, predicate="within")
    out = np.full(units.n, "", dtype=object)
    order = np.lexsort((di, pi))
    pi, di = pi[order], di[order]
    first = np.ones(pi.size, dtype=bool)
    first[1:] = pi[1:] != pi[:-1]
    out[pi[first]] = lab[di[first]]
    return out
