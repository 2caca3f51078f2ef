"""The walking network (步行网络) as a scipy sparse matrix, and snapping points to it.

A :class:`WalkNetwork` holds the connected components of the input graph that are **large enough
to matter**: the largest one, and every other one with at least ``min_component_m`` metres of ways
(:data:`DEFAULT_MIN_COMPONENT_M`, 5 km; ``--min-component-m``): the towns of a prefecture, districts
cut apart by an unmapped bridge, the tiles of a tiled test city. Node coordinates are in metres in
a metric CRS, and a symmetric CSR matrix holds edge lengths in metres. Dropping the small islands
is half of the *snapping trap*: OpenStreetMap has unconnected nodes at identical coordinates (a
bridge above an underpass, a footway drawn over a road), and a coordinate-based snap that picks a
node of a small island reports "unreachable" or a detour of hundreds of metres. The other half is
determinism: among nodes at exactly the same coordinates the one with the smallest input id wins,
so repeated runs and different machines snap identically.

Points snap to the nearest node of any kept component; the multi-source Dijkstra runs once on the
whole matrix, so a unit is reached only by facilities of its own component (``inf`` otherwise).

Everything is arrays in, arrays out; there is no Python loop over nodes, edges or points.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import scipy.sparse as sp
from numpy.typing import ArrayLike, NDArray
from scipy.sparse.csgraph import connected_components, dijkstra
from scipy.spatial import cKDTree

# Zero-length edges (duplicated nodes joined by a way) are kept with this length in metres, because
# an explicit 0 in a sparse matrix is fragile (many sparse operations drop it, turning an edge into
# "no edge").
MIN_EDGE_M = 1e-3

# Units farther than this from the walking network (metres) are "outside the network's extent":
# excluded from the shares and reported, never silently counted as covered or uncovered.
# Facility access points farther than this are not used as network sources.
DEFAULT_MAX_SNAP_M = 300.0

# A connected component other than the largest is kept when its ways add up to at least this many
# metres. The islands of a city extract (a compound's internal footways not joined to the street, a
# fragment cut by the extract's edge) are shorter: in the Chengdu extract the largest of the 40
# islands has 1.3 km of ways, the main component 862 km. A town or a district cut off by an
# unmapped bridge has tens of kilometres.
DEFAULT_MIN_COMPONENT_M = 5000.0


class NetworkError(ValueError):
    """The walking network cannot be built (Chinese message)."""


@dataclass
class WalkNetwork:  # 步行网络（保留的连通分量）
    """Walking graph restricted to its kept connected components.

    Attributes: ``x``, ``y`` node coordinates in metres (``crs``); ``node_ids`` the caller's ids
    (OSM node ids), ascending; ``graph`` a symmetric ``n × n`` CSR matrix of edge lengths in metres;
    ``length_m`` the total length of the undirected edges in metres; ``input_nodes`` and
    ``components`` (components in the input) describe what was dropped; ``component`` the kept
    component of each node (0 = the largest, then by decreasing number of nodes) and
    ``component_length_m`` the length of the ways of each kept component.
    """

    x: NDArray[np.float64]
    y: NDArray[np.float64]
    node_ids: NDArray[np.int64]
    graph: sp.csr_matrix
    crs: str
    length_m: float
    input_nodes: int
    components: int
    component: NDArray[np.int64] = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    component_length_m: NDArray[np.float64] = field(default_factory=lambda: np.empty(0))
    min_component_m: float = DEFAULT_MIN_COMPONENT_M
    _tree: cKDTree | None = field(default=None, repr=False)
    _tree_nodes: NDArray[np.int64] | None = field(default=None, repr=False)

    @property
    def n(self) -> int:
        return int(self.x.shape[0])

    def bounds(self) -> tuple[float, float, float, float]:
        """(minx, miny, maxx, maxy) of the nodes, metres in ``crs``."""
        return float(self.x.min()), float(self.y.min()), float(self.x.max()), float(self.y.max())

    def _kdtree(self) -> tuple[cKDTree, NDArray[np.int64]]:
        if self._tree is None:
            xy = np.column_stack([self.x, self.y])
            # one representative per distinct coordinate: the first in node order (smallest id),
            # found by hashing (linear time) rather than sorting
            keep = np.flatnonzero(~pd.DataFrame({"x": self.x, "y": self.y}).duplicated(keep="first").to_numpy())
            self._tree = cKDTree(xy[keep], balanced_tree=False, compact_nodes=False)
            self._tree_nodes = keep.astype(np.int64)
        assert self._tree_nodes is not None
        return self._tree, self._tree_nodes

    def snap(self, x: ArrayLike, y: ArrayLike) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
        """Nearest network node for each point (metres, ``crs``): (node index, snap length in metres).

        Ties between nodes at identical coordinates go to the smallest node id; the result does
        not depend on the order of the points.
        """
        px = np.asarray(x, dtype=float)
        py = np.asarray(y, dtype=float)
        if px.size == 0:
            return np.empty(0, dtype=np.int64), np.empty(0, dtype=float)
        tree, nodes = self._kdtree()
        d, i = tree.query(np.column_stack([px, py]), k=1, workers=-1)
        return nodes[i], np.asarray(d, dtype=float)

    def distances_from(self, sources: ArrayLike, limit_m: float = np.inf) -> NDArray[np.float64]:
        """Walking distance in metres from every node to the nearest of ``sources`` (node indices).

        One multi-source Dijkstra (``min_only=True``); nodes farther than ``limit_m`` get ``inf``.
        """
        src = np.unique(np.asarray(sources, dtype=np.int64))
        if src.size == 0:
            return np.full(self.n, np.inf)
        return dijkstra(self.graph, directed=True, indices=src, min_only=True, limit=float(limit_m))

    def component_report(
        self,
        unit_node: NDArray[np.int64],
        unit_ok: NDArray[np.bool_],
        access_node: NDArray[np.int64],
        access_ok: NDArray[np.bool_],
        owner: NDArray[np.int64],
        members: dict[str, NDArray[np.int64]],
    ) -> list[dict]:
        """What each kept component holds: nodes, km of ways, units snapped to it (``unit_ok``)
        and per category the facilities with a usable access point (``access_ok``) on it."""
        k = int(self.component_length_m.size)
        nodes = np.bincount(self.component, minlength=k)
        units = np.bincount(self.component[unit_node[unit_ok]], minlength=k)
        # (facility, component) pairs through usable access points
        fac = owner[access_ok].astype(np.int64)
        comp = self.component[access_node[access_ok]]
        key = np.unique(fac * k + comp)  # one entry per (facility, component)
        fac, comp = key // k, key % k
        nfac = max([int(owner.max()) + 1 if owner.size else 0] + [int(i.max()) + 1 for i in members.values() if i.size])
        counts: dict[str, NDArray[np.int64]] = {}
        for cat, idx in sorted(members.items()):
            inside = np.zeros(nfac, dtype=bool)
            inside[idx] = True
            counts[cat] = np.bincount(comp[inside[fac]], minlength=k)
        out = []
        for c in range(k):
            per_cat = {cat: int(cnt[c]) for cat, cnt in counts.items()}
            out.append(
                {
                    "component": c,
                    "nodes": int(nodes[c]),
                    "length_km": round(float(self.component_length_m[c]) / 1000.0, 3),
                    "units": int(units[c]),
                    "facilities": {cat: n for cat, n in per_cat.items() if n},
                }
            )
        return out


def build_network(
    node_ids: ArrayLike,
    x: ArrayLike,
    y: ArrayLike,
    u: ArrayLike,
    v: ArrayLike,
    length_m: ArrayLike | None = None,
    *,
    crs: str,
    min_component_m: float = DEFAULT_MIN_COMPONENT_M,
) -> WalkNetwork:
    """Build a :class:`WalkNetwork` from node and edge arrays.

    ``node_ids``, ``x``, ``y``: nodes, coordinates in metres in the metric ``crs``.
    ``u``, ``v``: edge end node ids (undirected; walking ignores one-way tags). ``length_m``: edge
    lengths in metres (default: straight segment length between the end nodes). Parallel edges keep
    the shortest; self-loops are dropped; edges naming unknown nodes are dropped. The largest
    connected component is kept, and every other with at least ``min_component_m`` metres of edges.
    Raises :class:`NetworkError` if no edge is left.
    """
    ids = np.asarray(node_ids, dtype=np.int64)
    nx_ = np.asarray(x, dtype=float)
    ny_ = np.asarray(y, dtype=float)
    order = np.argsort(ids, kind="stable")
    ids, nx_, ny_ = ids[order], nx_[order], ny_[order]
    if ids.size > 1 and np.any(ids[1:] == ids[:-1]):
        keep = np.ones(ids.size, dtype=bool)
        keep[1:] = ids[1:] != ids[:-1]
        ids, nx_, ny_ = ids[keep], nx_[keep], ny_[keep]
    uu = np.asarray(u, dtype=np.int64)
    vv = np.asarray(v, dtype=np.int64)
    if ids.size == 0 or uu.size == 0:
        raise NetworkError("没有可用的步行路网（0条道路）。请检查输入文件是否包含 highway 道路（no walking network）")
    iu = np.searchsorted(ids, uu).clip(0, ids.size - 1)
    iv = np.searchsorted(ids, vv).clip(0, ids.size - 1)
    ok = (ids[iu] == uu) & (ids[iv] == vv) & (iu != iv)
    if length_m is None:
        w = np.hypot(nx_[iu] - nx_[iv], ny_[iu] - ny_[iv])
    else:
        w = np.asarray(length_m, dtype=float).copy()
    ok &= np.isfinite(w)
    iu, iv, w = iu[ok], iv[ok], np.maximum(w[ok], MIN_EDGE_M)
    if iu.size == 0:
        raise NetworkError("步行路网没有有效的道路段（all edges invalid or self-loops）")
    a = np.minimum(iu, iv)
    b = np.maximum(iu, iv)
    # keep the shortest of parallel edges: sort by (a, b, w), take the first of each (a, b)
    o = np.lexsort((w, b, a))
    a, b, w = a[o], b[o], w[o]
    first = np.ones(a.size, dtype=bool)
    first[1:] = (a[1:] != a[:-1]) | (b[1:] != b[:-1])
    a, b, w = a[first], b[first], w[first]

    n = ids.size
    ncomp, labels = connected_components(
        sp.csr_matrix((np.ones(a.size), (a, b)), shape=(n, n)), directed=False
    )
    # only nodes that carry an edge compete for "largest"
    used = np.zeros(n, dtype=bool)
    used[a] = True
    used[b] = True
    counts = np.bincount(labels[used], minlength=ncomp)
    comp_len = np.bincount(labels[a], weights=w, minlength=ncomp)
    big = int(np.argmax(counts))
    kept = np.flatnonzero((comp_len >= float(min_component_m)) & (counts > 0))
    kept = np.union1d(kept, [big])
    # number the kept components by decreasing node count (ties: by label), the largest is 0
    kept = kept[np.lexsort((kept, -counts[kept]))]
    comp_rank = np.full(ncomp, -1, dtype=np.int64)
    comp_rank[kept] = np.arange(kept.size)
    keep = comp_rank[labels] >= 0
    new_index = np.full(n, -1, dtype=np.int64)
    new_index[keep] = np.arange(int(keep.sum()))
    ek = keep[a]  # both ends share a component
    a2, b2, w2 = new_index[a[ek]], new_index[b[ek]], w[ek]
    m = int(keep.sum())
    rows = np.concatenate([a2, b2])
    cols = np.concatenate([b2, a2])
    graph = sp.csr_matrix((np.concatenate([w2, w2]), (rows, cols)), shape=(m, m))
    graph.sort_indices()
    net = WalkNetwork(
        x=nx_[keep],
        y=ny_[keep],
        node_ids=ids[keep],
        graph=graph,
        crs=crs,
        length_m=float(w2.sum()),
        input_nodes=int(used.sum()),
        components=int(np.count_nonzero(counts)),
        component=comp_rank[labels[keep]],
        component_length_m=comp_len[kept],
        min_component_m=float(min_component_m),
    )
    net._kdtree()  # the snapping index is part of the network: built once, used by every query
    return net
