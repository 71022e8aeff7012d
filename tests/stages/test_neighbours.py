"""The neighbour index's row store: growing without copying every row in one add."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from stages.neighbours import NeighbourIndex, normalise

DIM = 16


def rows(n: int, seed: int) -> npt.NDArray[np.float32]:
    return np.random.default_rng(seed).normal(size=(n, DIM)).astype(np.float32)


def test_rows_added_one_at_a_time_are_searched_as_if_added_at_once() -> None:
    stored = rows(3000, seed=1)  # one at a time, the store grows six times
    queries = np.concatenate([stored[::97], rows(20, seed=2)])
    one_by_one = NeighbourIndex(DIM, exact_below=10**9)
    for row in stored:
        one_by_one.add(row)
    at_once = NeighbourIndex(DIM, exact_below=10**9)
    at_once.add(stored)

    np.testing.assert_array_equal(one_by_one.vectors, normalise(stored))
    for k in (1, 16, 3000):
        ids, sims = one_by_one.search(queries, k)
        expected_ids, expected_sims = at_once.search(queries, k)
        np.testing.assert_array_equal(ids, expected_ids)
        np.testing.assert_array_equal(sims, expected_sims)
    assert (one_by_one.search(stored[::97], 1)[0][:, 0] == np.arange(0, 3000, 97)).all()


def test_growing_copies_the_rows_over_several_adds_before_the_store_is_full() -> None:
    index = NeighbourIndex(DIM, exact_below=10**9)
    index.add(rows(2000, seed=3))  # a batch leaves room for as many again
    first = index.vectors
    before = first.copy()
    added = 0
    while np.shares_memory(first, index.vectors):
        index.add(rows(1, seed=4 + added))
        added += 1
    # Past half full the rows move a few hundred an add, not all in one: the store
    # was replaced after several adds, long before its 2000 free rows were used.
    assert 1 < added < 100
    # A view taken before keeps its rows, as a graph build in a thread needs.
    np.testing.assert_array_equal(first, before)
    np.testing.assert_array_equal(index.vectors[:2000], before)


def test_the_graph_folds_in_rows_stored_while_the_store_grew() -> None:
    stored = rows(1500, seed=5)
    queries = rows(30, seed=6)
    exact = NeighbourIndex(DIM, exact_below=10**9)
    exact.add(stored)
    deferred = NeighbourIndex(DIM, exact_below=600, ef=400, build_inline=False)
    for row in stored[:600]:
        deferred.add(row)
    graph = deferred.build_graph(deferred.vectors)
    assert graph is not None
    for row in stored[600:]:  # two moves to larger stores while the tail folds in
        deferred.add(row)
    deferred.adopt(graph)
    for row in rows(40, seed=7):  # folds the tail into the graph, a few rows an add
        deferred.add(row)
        exact.add(row)

    ids, sims = deferred.search(queries, 10)
    exact_ids, exact_sims = exact.search(queries, 10)
    np.testing.assert_array_equal(ids, exact_ids)
    np.testing.assert_allclose(sims, exact_sims, atol=1e-5)
