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
    _chains: Chains | None = field(default=None, repr=False)

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
            # (one complex number per node holds both coordinates exactly: one hashed column)
            xy_c = np.empty(self.x.size, dtype=complex)
            xy_c.real, xy_c.imag = self.x, self.y
            keep = np.flatnonzero(~pd.Series(xy_c).duplicated(keep="first").to_numpy())
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

    def chains(self) -> Chains:
        """The graph with its chains of degree-2 nodes contracted (:class:`Chains`), built once."""
        if self._chains is None:
            self._chains = contract_chains(self.graph)
        return self._chains

    def distances_to(self, sources: ArrayLike, targets: ArrayLike, limit_m: float = np.inf) -> NDArray[np.float64]:
        """Walking distance in metres from each of ``targets`` (node indices) to the nearest of
        ``sources`` (node indices); ``inf`` beyond ``limit_m``. The same numbers as
        ``distances_from(sources, limit_m)[targets]``, computed on the contracted graph
        (:class:`Chains`): one multi-source Dijkstra over the junctions, then each target on a chain
        from the two ends of its chain."""
        t = np.asarray(targets, dtype=np.int64)
        src = np.unique(np.asarray(sources, dtype=np.int64))
        if src.size == 0:
            return np.full(t.size, np.inf)
        return self.chains().distances(src, t, float(limit_m))

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


@dataclass
class Chains:  # 收缩度为2的节点链
    """The walking graph with every chain of degree-2 nodes contracted into one edge.

    Most nodes of an OSM walking network only shape a way: they have exactly two neighbours
    (64 % of the nodes in the tiled Chengdu network). A *chain* is a maximal path of such nodes
    between two *junctions* (nodes of any other degree; on a ring without any junction, every node
    counts as one). ``graph`` is the junction graph: the original edges between junctions plus one
    edge per chain, as long as the chain. A shortest path to a chain node enters its chain from one
    of the two ends, so its distance is the smaller of ``D[end0] + dist0`` and ``D[end1] + dist1``;
    a source on a chain becomes an extra node joined to its chain's ends, and a target on the same
    chain as a source is also reached along the chain (``pos`` difference). The distances are the
    same as on the full graph, up to the order in which floating-point lengths are added (< 1e-9 m).

    Per node (index of the full graph): ``junction``; ``index`` its row in ``graph`` (junctions, else
    -1); for chain nodes ``end0``/``end1`` (rows in ``graph``) and ``dist0``/``dist1`` (metres along
    the chain to them), ``chain`` (an id shared by the nodes of one chain) and ``pos`` (metres from
    one fixed end of the chain).
    """

    junction: NDArray[np.bool_]
    index: NDArray[np.integer]
    graph: sp.csr_matrix
    end0: NDArray[np.integer]
    end1: NDArray[np.integer]
    dist0: NDArray[np.float64]
    dist1: NDArray[np.float64]
    chain: NDArray[np.integer]
    pos: NDArray[np.float64]

    def distances(self, src: NDArray[np.int64], t: NDArray[np.int64], limit: float) -> NDArray[np.float64]:
        g = self.graph
        m = g.shape[0]
        on_chain = ~self.junction[src]
        si = src[on_chain]
        starts = self.index[src[~on_chain]]
        if si.size:  # a source inside a chain: an extra node with an edge to each end of its chain
            k = si.size
            indices = np.concatenate([g.indices, np.column_stack([self.end0[si], self.end1[si]]).ravel().astype(g.indices.dtype)])
            data = np.concatenate([g.data, np.column_stack([self.dist0[si], self.dist1[si]]).ravel()])
            indptr = np.concatenate([g.indptr, g.indptr[-1] + 2 * np.arange(1, k + 1, dtype=g.indptr.dtype)])
            g = sp.csr_matrix((data, indices, indptr), shape=(m + k, m + k))
            starts = np.concatenate([starts, m + np.arange(k)])
        d = dijkstra(g, directed=True, indices=starts, min_only=True, limit=limit)
        out = np.empty(t.size)
        tj = self.junction[t]
        out[tj] = d[self.index[t[tj]]]
        tc = t[~tj]
        via = np.minimum(d[self.end0[tc]] + self.dist0[tc], d[self.end1[tc]] + self.dist1[tc])
        if si.size:
            via = np.minimum(via, self._along_chain(si, tc))
        with np.errstate(invalid="ignore"):
            via[via > limit] = np.inf
        out[~tj] = via
        return out

    def _along_chain(self, si: NDArray[np.int64], tc: NDArray[np.int64]) -> NDArray[np.float64]:
        """For chain targets ``tc``: the distance along the chain to the nearest source of ``si`` on
        the same chain (``inf`` where none): neighbours in (chain, pos) order, filled forwards and
        backwards."""
        out = np.full(tc.size, np.inf)
        near = np.flatnonzero(np.isin(self.chain[tc], self.chain[si]))
        if near.size == 0:
            return out
        ch = np.concatenate([self.chain[si], self.chain[tc[near]]])
        pos = np.concatenate([self.pos[si], self.pos[tc[near]]])
        is_src = np.concatenate([np.ones(si.size, dtype=bool), np.zeros(near.size, dtype=bool)])
        order = np.lexsort((~is_src, pos, ch))
        ch, pos, is_src = ch[order], pos[order], is_src[order]
        idx = np.arange(ch.size)
        before = np.maximum.accumulate(np.where(is_src, idx, -1))
        after = np.minimum.accumulate(np.where(is_src, idx, ch.size)[::-1])[::-1]
        best = np.full(ch.size, np.inf)
        ok = (before >= 0) & (ch[np.maximum(before, 0)] == ch)
        best[ok] = pos[ok] - pos[before[ok]]
        ok = (after < ch.size) & (ch[np.minimum(after, ch.size - 1)] == ch)
        best[ok] = np.minimum(best[ok], pos[after[ok]] - pos[ok])
        res = np.empty(ch.size)
        res[order] = best
        out[near] = res[si.size:]
        return out


def contract_chains(graph: sp.csr_matrix) -> Chains:
    """:class:`Chains` of a symmetric CSR graph (no self-loops, no parallel edges). Every chain is
    walked from both of its ends at once, one node per step, all chains together (vectorised)."""
    n = graph.shape[0]
    indptr, indices, data = graph.indptr, graph.indices, graph.data
    deg = np.diff(indptr)
    inner = deg == 2
    first = indptr[:-1]
    nb0 = np.where(inner, indices[np.minimum(first, max(indices.size - 1, 0))], -1) if indices.size else np.full(n, -1)
    nb1 = np.where(inner, indices[np.minimum(first + 1, max(indices.size - 1, 0))], -1) if indices.size else np.full(n, -1)
    w0 = np.where(inner, data[np.minimum(first, max(data.size - 1, 0))], 0.0) if data.size else np.zeros(n)
    w1 = np.where(inner, data[np.minimum(first + 1, max(data.size - 1, 0))], 0.0) if data.size else np.zeros(n)
    del first
    it = np.int32 if n < 2**31 else np.int64  # node indices: half the memory of int64 for any city
    rows = np.repeat(np.arange(n, dtype=it), deg)
    # one walk per edge from a junction into a chain
    start = ~inner[rows] & inner[indices]
    walk_from = rows[start]
    cur, prev, dist = indices[start], walk_from.copy(), data[start].copy()
    walk = np.arange(cur.size, dtype=it)
    walk0 = np.full(n, -1, dtype=it)  # the walk that arrived from nb0 (so nb0's side is its end)
    walk1 = np.full(n, -1, dtype=it)
    d0 = np.zeros(n)
    d1 = np.zeros(n)
    ends_s, ends_e, ends_w = [], [], []
    while cur.size:
        from0 = nb0[cur] == prev
        walk0[cur[from0]], d0[cur[from0]] = walk[from0], dist[from0]
        walk1[cur[~from0]], d1[cur[~from0]] = walk[~from0], dist[~from0]
        nxt = np.where(from0, nb1[cur], nb0[cur])
        dist = dist + np.where(from0, w1[cur], w0[cur])
        done = ~inner[nxt]
        if done.any():
            ends_s.append(walk_from[walk[done]])
            ends_e.append(nxt[done])
            ends_w.append(dist[done])
        go = ~done
        prev, cur, dist, walk = cur[go], nxt[go], dist[go], walk[go]
    # rings without any junction: never walked; their nodes count as junctions
    junction = ~inner | (walk0 < 0) | (walk1 < 0)
    index = np.full(n, -1, dtype=it)
    m = int(junction.sum())
    index[junction] = np.arange(m, dtype=it)
    direct = junction[rows] & junction[indices]
    es = np.concatenate([rows[direct]] + ends_s)
    ee = np.concatenate([indices[direct]] + ends_e)
    ew = np.concatenate([data[direct]] + ends_w)
    keep = es != ee  # a chain from a junction back to itself never shortens a path
    r, c, w = index[es[keep]], index[ee[keep]], ew[keep]
    order = np.argsort(r, kind="stable")
    r, c, w = r[order], c[order], w[order]
    counts = np.bincount(r, minlength=m)
    jptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int32 if r.size < 2**31 else np.int64)
    # both walks of a chain record it, so every chain appears in both directions (parallel entries
    # between two junctions are kept: Dijkstra relaxes each)
    jgraph = sp.csr_matrix((w, c.astype(jptr.dtype), jptr), shape=(m, m))
    chain_nodes = ~junction
    e0 = np.full(n, -1, dtype=it)
    e1 = np.full(n, -1, dtype=it)
    e0[chain_nodes] = index[walk_from[walk0[chain_nodes]]]
    e1[chain_nodes] = index[walk_from[walk1[chain_nodes]]]
    chain = np.where(chain_nodes, np.minimum(walk0, walk1), -1)
    pos = np.where(walk0 < walk1, d0, d1)
    return Chains(junction=junction, index=index, graph=jgraph, end0=e0, end1=e1, dist0=d0, dist1=d1, chain=chain, pos=pos)


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
    edge_index: tuple[ArrayLike, ArrayLike] | None = None,
) -> WalkNetwork:
    """Build a :class:`WalkNetwork` from node and edge arrays.

    ``node_ids``, ``x``, ``y``: nodes, coordinates in metres in the metric ``crs``.
    ``u``, ``v``: edge end node ids (undirected; walking ignores one-way tags). ``length_m``: edge
    lengths in metres (default: straight segment length between the end nodes). Parallel edges keep
    the shortest; self-loops are dropped; edges naming unknown nodes are dropped. The largest
    connected component is kept, and every other with at least ``min_component_m`` metres of edges.
    ``edge_index``: the positions of ``u`` and ``v`` in ``node_ids`` when the caller has them and
    ``node_ids`` are strictly ascending (the OSM reader's arrays), so they are not searched again.
    Raises :class:`NetworkError` if no edge is left.
    """
    ids = np.asarray(node_ids, dtype=np.int64)
    nx_ = np.asarray(x, dtype=float)
    ny_ = np.asarray(y, dtype=float)
    ascending = ids.size < 2 or bool(np.all(ids[1:] > ids[:-1]))
    if not ascending:
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
    if edge_index is not None and ascending:
        iu = np.asarray(edge_index[0], dtype=np.int64).clip(0, ids.size - 1)
        iv = np.asarray(edge_index[1], dtype=np.int64).clip(0, ids.size - 1)
    else:
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
    n = ids.size
    # keep the shortest of parallel edges: sort by the pair (a, b) as one key, take the smallest
    # length of each run of equal keys
    key = np.minimum(iu, iv) * n + np.maximum(iu, iv)
    o = np.argsort(key, kind="stable")
    key, w = key[o], w[o]
    first = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
    w = np.minimum.reduceat(w, first)
    key = key[first]
    a, b = key // n, key % n  # sorted by (a, b): the upper triangle as CSR without a sort
    upper = sp.csr_matrix((np.ones(a.size), b, np.r_[0, np.cumsum(np.bincount(a, minlength=n))]), shape=(n, n))
    ncomp, labels = connected_components(upper, directed=False)
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
    # the symmetric matrix in canonical CSR form: the upper triangle (rows a2 ascending, then b2)
    # plus its transpose, which share no entry
    upper = sp.csr_matrix((w2, b2, np.r_[0, np.cumsum(np.bincount(a2, minlength=m))]), shape=(m, m))
    graph = (upper + upper.T.tocsr()).tocsr()
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
    net.chains()  # and so is the contracted graph the searches run on
    return net
