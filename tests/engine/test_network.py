"""The sparse walking graph: parallel edges, largest component, and the snapping trap."""

from __future__ import annotations

import numpy as np
import pytest

from cityrenew.engine.network import NetworkError, build_network


def test_parallel_edges_keep_the_shortest_and_distances_are_metres():
    #   1 --(100)-- 2 --(50)-- 3 ; a second 1-2 edge of 80 m
    net = build_network(
        [1, 2, 3], [0, 100, 150], [0, 0, 0], [1, 2, 1], [2, 3, 2], [100.0, 50.0, 80.0], crs="EPSG:4544"
    )
    d = net.distances_from([0])
    np.testing.assert_allclose(d, [0.0, 80.0, 130.0])


def test_only_the_largest_component_is_kept():
    # a 3-node line and a separate 2-node island
    net = build_network([1, 2, 3, 10, 11], [0, 10, 20, 0, 10], [0, 0, 0, 5, 5], [1, 2, 10], [2, 3, 11], crs="EPSG:4544")
    assert net.n == 3
    assert sorted(net.node_ids.tolist()) == [1, 2, 3]
    assert net.components == 2


def test_snapping_trap_coincident_island_node_is_never_chosen():
    # Node 1 sits at exactly the coordinates of node 6 (a bridge above an underpass) but belongs to
    # a 2-node island (1-2); it has the smallest id, so a coordinate-only snap with "smallest id
    # wins" would pick it. Restricting snapping to the largest component must not.
    ids = [5, 6, 7, 8, 1, 2]
    x = [0.0, 100.0, 200.0, 300.0, 100.0, 100.0]
    y = [0.0, 0.0, 0.0, 0.0, 0.0, 50.0]
    u = [5, 6, 7, 1]
    v = [6, 7, 8, 2]
    net = build_network(ids, x, y, u, v, crs="EPSG:4544")
    node, snap = net.snap([100.0, 100.0], [3.0, 45.0])
    assert net.node_ids[node].tolist() == [6, 6]
    assert snap[0] == pytest.approx(3.0)
    assert net.distances_from(node[:1])[np.searchsorted(net.node_ids, 8)] == pytest.approx(200.0)


def test_ties_at_identical_coordinates_go_to_the_smallest_id_whatever_the_input_order():
    # two connected-to-everything nodes at the same place (a footway drawn over a road): 40 and 30
    ids = np.array([10, 20, 30, 40, 50])
    x = np.array([0.0, 100.0, 50.0, 50.0, 200.0])
    y = np.array([0.0, 0.0, 10.0, 10.0, 0.0])
    u = np.array([10, 30, 10, 40, 20])
    v = np.array([30, 20, 40, 20, 50])
    chosen = set()
    rng = np.random.default_rng(0)
    for _ in range(5):
        p = rng.permutation(5)
        net = build_network(ids[p], x[p], y[p], u, v, crs="EPSG:4544")
        node, _ = net.snap([50.0, 49.0], [11.0, 10.0])
        chosen.add(tuple(net.node_ids[node].tolist()))
    assert chosen == {(30, 30)}


def test_no_edges_is_a_clear_error():
    with pytest.raises(NetworkError, match="没有可用的步行路网"):
        build_network([1, 2], [0, 1], [0, 1], [], [], crs="EPSG:4544")


def test_multi_source_limit_returns_inf_beyond_limit():
    n = 11
    net = build_network(np.arange(n), np.arange(n) * 100.0, np.zeros(n), np.arange(n - 1), np.arange(1, n), crs="EPSG:4544")
    d = net.distances_from([0, 10], limit_m=250.0)
    assert d[2] == pytest.approx(200.0)
    assert d[8] == pytest.approx(200.0)
    assert np.isinf(d[5])


def test_contracted_search_equals_the_full_graph_search():
    # A grid of streets (junctions) whose blocks are drawn with shape nodes (degree 2), a dead end,
    # a loop back to its own junction and a separate ring without any junction (≥ 5 km, kept).
    # Sources and targets on chains, on junctions and on the same chain: every node's distance from
    # the contracted search equals the plain Dijkstra on the full graph.
    rng = np.random.default_rng(7)
    ids, xs, ys, us, vs = [], [], [], [], []

    def node(x, y):
        ids.append(len(ids))
        xs.append(x)
        ys.append(y)
        return ids[-1]

    grid = {(i, j): node(i * 100.0, j * 100.0) for i in range(6) for j in range(6)}
    for (i, j), a in grid.items():
        for di, dj in ((1, 0), (0, 1)):
            b = grid.get((i + di, j + dj))
            if b is None:
                continue
            prev = a
            for k in range(1, int(rng.integers(0, 5)) + 1):  # shape nodes along the block
                s = node(i * 100.0 + di * 100.0 * k / 6 + rng.normal(0, 3), j * 100.0 + dj * 100.0 * k / 6 + rng.normal(0, 3))
                us.append(prev)
                vs.append(s)
                prev = s
            us.append(prev)
            vs.append(b)
    tail = [grid[(5, 5)]] + [node(500.0 + 20 * k, 500.0 + 15 * k) for k in range(1, 5)]  # dead end
    loop = [grid[(0, 0)], node(-30.0, -10.0), node(-40.0, -40.0), node(-10.0, -30.0), grid[(0, 0)]]  # loop
    ring = [node(5000.0 + 900 * np.cos(t), 900 * np.sin(t)) for t in np.linspace(0, 2 * np.pi, 40, endpoint=False)]
    for path in (tail, loop, ring + ring[:1]):
        us += path[:-1]
        vs += path[1:]
    net = build_network(ids, xs, ys, us, vs, crs="EPSG:4544")
    ch = net.chains()
    assert ch.graph.shape[0] < net.n / 2 and (~ch.junction).any()
    everything = np.arange(net.n)
    ring_nodes = np.searchsorted(net.node_ids, ring)
    for sources in ([0], rng.choice(net.n, 3, replace=False), rng.choice(net.n, 25, replace=False), ring_nodes[[3, 20]]):
        for limit in (120.0, 400.0, np.inf):
            full = net.distances_from(sources, limit)
            fast = net.distances_to(sources, everything, limit)
            np.testing.assert_array_equal(np.isfinite(full), np.isfinite(fast))
            np.testing.assert_allclose(fast[np.isfinite(full)], full[np.isfinite(full)], atol=1e-9)
    assert net.distances_to([], everything).tolist() == [np.inf] * net.n
