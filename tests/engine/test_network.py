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
