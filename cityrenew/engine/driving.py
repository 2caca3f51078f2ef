"""The driving network (行车网络) for travel-time rules: 城市消防站服务半径覆盖率 (指标53).

A :class:`DriveNetwork` is a *directed* scipy sparse matrix whose entries are travel times in
seconds: each road segment's length (metres) divided by the speed of its road class
(``cityrenew/catalogue/drive_speeds.csv``: OSM ``highway`` value → km/h, each with its source). One-way
roads (``oneway=yes/true/1``, ``junction=roundabout``) are driven forward only, ``oneway=-1``
backward only, every other road both ways. Road classes missing from the table are not driven.

Components: every weakly connected component with at least :data:`MIN_COMPONENT_NODES` nodes is
kept (and always the largest), so a city cut in parts by an unmapped bridge keeps all its parts;
smaller islands (a car park, a gated compound's loop) are dropped so that nothing snaps to them.
Stations and units snap to their nearest kept node; the snap length is reported, not driven.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import scipy.sparse as sp
from numpy.typing import ArrayLike, NDArray
from scipy.sparse.csgraph import connected_components, dijkstra
from scipy.spatial import cKDTree

from cityrenew.catalogue.spatial import DriveSpeed, load_drive_speeds

from .network import NetworkError

MIN_COMPONENT_NODES = 50
ONEWAY_FORWARD = ("yes", "true", "1", "f")  # "F"/"T": along/against the digitised order
ONEWAY_BACKWARD = ("-1", "reverse", "t")


@dataclass
class DriveNetwork:  # 行车网络（有向，边权为行车秒数）
    x: NDArray[np.float64]
    y: NDArray[np.float64]
    node_ids: NDArray[np.int64]
    graph: sp.csr_matrix  # directed, seconds
    crs: str
    length_m: float
    components: int
    speeds: dict[str, DriveSpeed] = field(default_factory=dict)
    _tree: cKDTree | None = field(default=None, repr=False)

    @property
    def n(self) -> int:
        return int(self.x.shape[0])

    def snap(self, x: ArrayLike, y: ArrayLike) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
        """Nearest node for each point (metres): (node index, snap length in metres)."""
        px = np.asarray(x, dtype=float)
        if px.size == 0:
            return np.empty(0, dtype=np.int64), np.empty(0, dtype=float)
        if self._tree is None:
            self._tree = cKDTree(np.column_stack([self.x, self.y]))
        d, i = self._tree.query(np.column_stack([px, np.asarray(y, dtype=float)]), k=1, workers=-1)
        return np.asarray(i, dtype=np.int64), np.asarray(d, dtype=float)

    def times_from(self, sources: ArrayLike, limit_s: float = np.inf) -> NDArray[np.float64]:
        """Driving seconds from the nearest of ``sources`` (node indices) to every node (``inf`` beyond)."""
        src = np.unique(np.asarray(sources, dtype=np.int64))
        if src.size == 0:
            return np.full(self.n, np.inf)
        return dijkstra(self.graph, directed=True, indices=src, min_only=True, limit=float(limit_s))


def build_drive_network(
    node_ids: ArrayLike,
    x: ArrayLike,
    y: ArrayLike,
    u: ArrayLike,
    v: ArrayLike,
    length_m: ArrayLike,
    highway: ArrayLike,
    *,
    crs: str,
    oneway: ArrayLike | None = None,
    junction: ArrayLike | None = None,
    speeds: dict[str, DriveSpeed] | None = None,
    edge_index: tuple[ArrayLike, ArrayLike] | None = None,
) -> DriveNetwork:
    """Directed travel-time network from road segments ``u → v`` (node ids; metres in ``crs``).
    ``edge_index``: positions of ``u``/``v`` in strictly ascending ``node_ids``, when known."""
    speeds = speeds if speeds is not None else load_drive_speeds()
    ids = np.asarray(node_ids, dtype=np.int64)
    nx_, ny_ = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    ascending = ids.size < 2 or bool(np.all(ids[1:] > ids[:-1]))
    if not ascending:
        order = np.argsort(ids, kind="stable")
        ids, nx_, ny_ = ids[order], nx_[order], ny_[order]
        keep = np.ones(ids.size, dtype=bool)
        keep[1:] = ids[1:] != ids[:-1]
        ids, nx_, ny_ = ids[keep], nx_[keep], ny_[keep]
    uu, vv = np.asarray(u, dtype=np.int64), np.asarray(v, dtype=np.int64)
    codes, uniq = pd.factorize(np.asarray(highway, dtype=object))  # few distinct classes: map those
    table = np.array([speeds[str(h)].speed_kmh if str(h) in speeds else np.nan for h in uniq] + [np.nan])
    kmh = table[codes]  # code -1 (missing) → the trailing NaN
    secs = np.asarray(length_m, dtype=float) / (kmh / 3.6)
    n_ = ids.size
    if edge_index is not None and ascending:
        iu = np.asarray(edge_index[0], dtype=np.int64).clip(0, max(n_ - 1, 0))
        iv = np.asarray(edge_index[1], dtype=np.int64).clip(0, max(n_ - 1, 0))
    else:
        iu = np.searchsorted(ids, uu).clip(0, max(n_ - 1, 0))
        iv = np.searchsorted(ids, vv).clip(0, max(n_ - 1, 0))
    ok = (n_ > 0) & (ids[iu] == uu) & (ids[iv] == vv) & (iu != iv) & np.isfinite(secs) if n_ else np.zeros(0, bool)
    if not np.any(ok):
        raise NetworkError("没有可用的行车路网（没有可通行机动车的道路），无法计算消防站行车时间（no driving network）")
    back = np.zeros(uu.size, dtype=bool)  # one-way against the digitised order
    along = np.zeros(uu.size, dtype=bool)  # one-way along it
    if oneway is not None:
        back = _values_in(oneway, ONEWAY_BACKWARD)
        along = _values_in(oneway, ONEWAY_FORWARD)
    if junction is not None:
        along |= _values_in(junction, ("roundabout",)) & ~back
    fwd = ok & ~back
    bwd = ok & ~along
    rows = np.concatenate([iu[fwd], iv[bwd]])
    cols = np.concatenate([iv[fwd], iu[bwd]])
    w = np.maximum(np.concatenate([secs[fwd], secs[bwd]]), 1e-3)
    # shortest of parallel edges: sort by (row, col) as one key, the smallest time of each run
    key = rows * n_ + cols
    o = np.argsort(key, kind="stable")
    key, w = key[o], w[o]
    first = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
    w = np.minimum.reduceat(w, first)
    key = key[first]
    rows, cols = key // n_, key % n_
    # rows and columns are sorted: CSR without another sort
    ptr = np.r_[0, np.cumsum(np.bincount(rows, minlength=n_))]
    ncomp, labels = connected_components(sp.csr_matrix((np.ones(rows.size), cols, ptr), shape=(n_, n_)), directed=True, connection="weak")
    used = np.zeros(n_, dtype=bool)
    used[rows] = True
    used[cols] = True
    counts = np.bincount(labels[used], minlength=ncomp)
    big = counts >= MIN_COMPONENT_NODES
    big[int(np.argmax(counts))] = True
    keepn = big[labels] & used
    new = np.full(n_, -1, dtype=np.int64)
    new[keepn] = np.arange(int(keepn.sum()))
    ek = keepn[rows]
    m = int(keepn.sum())
    graph = sp.csr_matrix((w[ek], new[cols[ek]], np.r_[0, np.cumsum(np.bincount(new[rows[ek]], minlength=m))]), shape=(m, m))
    graph.has_sorted_indices = True
    seg_len = np.asarray(length_m, dtype=float)[ok]
    return DriveNetwork(
        x=nx_[keepn], y=ny_[keepn], node_ids=ids[keepn], graph=graph, crs=crs,
        length_m=float(np.nansum(seg_len)), components=int(np.count_nonzero(big)), speeds=speeds,
    )


def _values_in(values: ArrayLike, wanted: tuple[str, ...]) -> NDArray[np.bool_]:
    """Which entries, stripped and lower-cased, are in ``wanted`` (missing → False)."""
    codes, uniq = pd.factorize(np.asarray(values, dtype=object))
    hit = np.array([str(v).strip().lower() in wanted for v in uniq] + [False])
    return hit[codes]


def drive_network_from_lines(geoms: ArrayLike, highway: ArrayLike, *, crs: str, oneway: ArrayLike | None = None) -> DriveNetwork:
    """Driving network from a road line layer in metres with a ``highway``-like class column.

    Vertices shared at equal coordinates (1 cm) join lines; each segment takes its line's class
    and one-way value.
    """
    import shapely

    g = np.asarray(geoms, dtype=object)
    parts, pidx = shapely.get_parts(g, return_index=True)
    line = np.isin(shapely.get_type_id(parts), (1, 2))
    parts, pidx = parts[line], pidx[line]
    xy, idx = shapely.get_coordinates(parts, return_index=True)
    if len(xy) < 2:
        raise NetworkError("道路图层中没有线要素，无法构建行车路网（no driving network）")
    key = np.round(xy * 100).astype(np.int64)
    uniq, inv = np.unique(key, axis=0, return_inverse=True)
    inv = inv.ravel()
    same = idx[1:] == idx[:-1]
    seg_line = pidx[idx[:-1][same]]
    hw = np.asarray(highway, dtype=object)[seg_line]
    ow = None if oneway is None else np.asarray(oneway, dtype=object)[seg_line]
    ln = np.hypot(*(xy[1:][same] - xy[:-1][same]).T)
    return build_drive_network(
        np.arange(len(uniq)), uniq[:, 0] / 100.0, uniq[:, 1] / 100.0, inv[:-1][same], inv[1:][same], ln, hw, crs=crs, oneway=ow
    )
