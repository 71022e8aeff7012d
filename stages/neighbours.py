"""Cosine nearest neighbours over L2-normalised rows: exact below a size, HNSW above.

Not an actor: a synchronous helper owned by whoever holds it (the quality model), so it
has no inbox and no backpressure of its own.

Exact search is one matrix product, so it is both faster and better than a graph for
small sets; measured here (384-d, one BLAS thread) a whole prediction takes ~0.3 ms at
10k rows but ~1.1 ms at 20k, so past `exact_below` (10k) an hnswlib graph answers
instead (~0.3 ms at 50k). Building the graph costs seconds (~17 s for 50k rows): it is
built once, when the index first reaches `exact_below`, and saved with the model.
Rows are never removed, so row ids are stable and double as hnswlib labels.

With `build_inline=False` the index never builds a graph itself: its owner builds one
off its event loop (`build_graph` on a `vectors` snapshot, in a thread) and `adopt`s it.
Rows the graph lacks (appended meanwhile) are the tail: searched exactly and folded into
the graph a few at a time as more rows are added.

The rows are one array, so that exact search is one matrix product. Once it is over half
full, each add also copies a few rows into an array twice its size, which replaces it
when it has them all: no single add copies every row (that took ~0.1 s of the event loop
at 20k rows and grew with the index). Rows never change once stored, so a `vectors`
view stays valid while more are added.
"""

from __future__ import annotations

import tempfile
import threading
from pathlib import Path

import hnswlib
import numpy as np
import numpy.typing as npt

Vectors = npt.NDArray[np.float32]
Ids = npt.NDArray[np.int64]

# Exact search scores queries in blocks so that one block's similarity matrix stays
# under this many floats (64 MiB) whatever the index size.
_BLOCK_FLOATS = 1 << 24
# Tail rows the graph takes in per `add`, beyond the added ones (~0.1 ms each).
_FOLD = 4
# A graph is built this many rows at a time, so that a build told to stop stops soon.
_BUILD_CHUNK = 1024
# Rows each add copies into the next, larger array (~0.1 ms at 384-d), beyond twice those
# it adds: the copy catches up long before the current array is full.
_MOVE = 256


def normalise(vectors: npt.ArrayLike) -> Vectors:
    """Rows scaled to unit length (zero rows stay zero), as float32."""
    rows = np.atleast_2d(np.asarray(vectors, dtype=np.float32))
    # What np.linalg.norm(rows, axis=1) computes, without its checks (a few us a call).
    norms: Vectors = np.sqrt(np.add.reduce(rows * rows, axis=1, keepdims=True))
    if len(rows) == 1:
        # One query per request: a plain division costs less than a masked one.
        one: Vectors = rows / norms if norms[0, 0] > 0 else np.zeros_like(rows)
        return one
    scaled: Vectors = np.divide(rows, norms, out=np.zeros_like(rows), where=norms > 0)
    return scaled


class NeighbourIndex:
    """Append-only cosine index; `search` returns (ids, similarities), best first."""

    def __init__(
        self,
        dim: int,
        *,
        exact_below: int = 10_000,
        ef: int = 64,
        m: int = 16,
        ef_construction: int = 200,
        seed: int = 0,
        build_inline: bool = True,
    ) -> None:
        if dim <= 0:
            raise ValueError(f"dimension must be positive, got {dim}")
        self.dim = dim
        self.exact_below = exact_below
        self.ef = ef
        self.m = m
        self.ef_construction = ef_construction
        self.seed = seed
        self.build_inline = build_inline
        self._rows: Vectors = np.zeros((0, dim), dtype=np.float32)
        self._size = 0
        self._next: Vectors | None = None  # the larger array, rows [0, _moved) copied
        self._moved = 0
        self._graph: hnswlib.Index | None = None
        self._covered = 0  # rows [0, _covered) are in the graph; the rest are the tail

    def __len__(self) -> int:
        return self._size

    @property
    def vectors(self) -> Vectors:
        return self._rows[: self._size]

    @property
    def uses_graph(self) -> bool:
        return self._graph is not None

    @property
    def graph_due(self) -> bool:
        """Past `exact_below` with no graph: time to `build_graph` and `adopt` one."""
        return self._graph is None and self._size >= self.exact_below

    def add(self, vectors: npt.ArrayLike) -> Ids:
        """Append rows (normalised here); return their ids."""
        rows = normalise(vectors)
        if rows.shape[1] != self.dim:
            raise ValueError(f"expected {self.dim}-d vectors, got {rows.shape[1]}-d")
        start, end = self._size, self._size + len(rows)
        self._store(rows)
        ids = np.arange(start, end, dtype=np.int64)
        if self._graph is not None:
            self._fold(self._graph, len(rows) + _FOLD)
        elif self.build_inline and end >= self.exact_below:
            self.build_now()
        return ids

    def _store(self, rows: Vectors) -> None:
        start, end = self._size, self._size + len(rows)
        if end > len(self._rows):
            # Only a batch (fit, load) outruns the move: copy at once, with room to spare
            # (unzeroed: nothing reads past `_size`).
            grown = np.empty((max(2 * end, 64), self.dim), dtype=np.float32)
            grown[:start] = self._rows[:start]
            self._rows, self._next = grown, None
        self._rows[start:end] = rows
        self._size = end
        if self._next is None and 2 * end > len(self._rows):
            self._next = np.empty((2 * len(self._rows), self.dim), dtype=np.float32)
            self._moved = 0
        if self._next is not None:
            upto = min(end, self._moved + _MOVE + 2 * len(rows))
            self._next[self._moved : upto] = self._rows[self._moved : upto]
            self._moved = upto
            if upto == end:
                self._rows, self._next = self._next, None

    def _fold(self, graph: hnswlib.Index, most: int) -> None:
        upto = min(self._size, self._covered + most)
        if upto <= self._covered:
            return
        if upto > graph.get_max_elements():
            graph.resize_index(max(upto, 2 * graph.get_max_elements()))
        graph.add_items(self._rows[self._covered : upto],
                        np.arange(self._covered, upto, dtype=np.int64), num_threads=1)
        self._covered = upto

    def search(self, queries: npt.ArrayLike, k: int) -> tuple[Ids, Vectors]:
        """The `k` nearest rows of each query (fewer if the index is smaller)."""
        q = normalise(queries)
        k = min(k, self._size)
        if k <= 0:
            return np.zeros((len(q), 0), dtype=np.int64), np.zeros((len(q), 0), np.float32)
        if self._graph is None:
            return self._exact(q, k)
        graph_k = min(k, self._covered)
        if graph_k:
            # Recall@k on 11k MiniLM vectors: ef = k gives 0.967 at k = 64, ef = 2k 0.993
            # (0.14 ms a query); ef = 64 gives 0.993 at k = 16.
            self._graph.set_ef(max(self.ef, 2 * graph_k))
            labels, distances = self._graph.knn_query(q, k=graph_k, num_threads=1)
            ids = np.asarray(labels, dtype=np.int64)
            sims: Vectors = 1.0 - np.asarray(distances, dtype=np.float32)
        else:
            ids, sims = np.zeros((len(q), 0), np.int64), np.zeros((len(q), 0), np.float32)
        if self._covered == self._size:
            return ids, sims
        tail_ids, tail_sims = self._exact(q, min(k, self._size - self._covered), self._covered)
        ids, sims = np.concatenate([ids, tail_ids], 1), np.concatenate([sims, tail_sims], 1)
        best = np.argsort(-sims, axis=1, kind="stable")[:, :k]
        return np.take_along_axis(ids, best, axis=1), np.take_along_axis(sims, best, axis=1)

    def _exact(self, q: Vectors, k: int, first: int = 0) -> tuple[Ids, Vectors]:
        """The `k` nearest of rows `first`.. (ids of the whole index)."""
        ids = np.empty((len(q), k), dtype=np.int64)
        sims = np.empty((len(q), k), dtype=np.float32)
        size = self._size - first
        block = max(1, _BLOCK_FLOATS // max(size, 1))
        rows = self._rows[first : self._size]
        for start in range(0, len(q), block):
            scores = q[start : start + block] @ rows.T
            if k < size:
                top = np.argpartition(-scores, k - 1, axis=1)[:, :k]
            else:
                top = np.broadcast_to(np.arange(size), scores.shape)
            top_scores = np.take_along_axis(scores, top, axis=1)
            order = np.argsort(-top_scores, axis=1, kind="stable")
            ids[start : start + block] = np.take_along_axis(top, order, axis=1) + first
            sims[start : start + block] = np.take_along_axis(top_scores, order, axis=1)
        return ids, sims

    def build_graph(self, rows: Vectors, *, threads: int = 1,
                    stop: threading.Event | None = None) -> hnswlib.Index | None:
        """A graph over `rows` (ids from 0), or None if `stop` was set meanwhile.

        Reads only this index's settings and `rows`: safe in another thread on a
        `vectors` snapshot while this index takes more rows and answers searches.
        hnswlib releases the GIL while it adds; `threads` is how many cores it takes.
        """
        graph = hnswlib.Index(space="cosine", dim=self.dim)
        graph.init_index(
            max_elements=max(len(rows), 2 * self.exact_below),
            ef_construction=self.ef_construction,
            M=self.m,
            random_seed=self.seed,
        )
        for start in range(0, len(rows), _BUILD_CHUNK):
            if stop is not None and stop.is_set():
                return None
            end = min(start + _BUILD_CHUNK, len(rows))
            graph.add_items(rows[start:end], np.arange(start, end, dtype=np.int64),
                            num_threads=threads)
        return graph

    def build_now(self) -> None:
        """`build_graph` over every row, on every core, and `adopt` it (blocks: not on
        an event loop)."""
        graph = self.build_graph(self.vectors, threads=-1)
        assert graph is not None  # nothing can stop it
        self.adopt(graph)

    def adopt(self, graph: hnswlib.Index) -> None:
        """Search `graph` (built over this index's first rows) from now on; the rows it
        lacks are searched exactly until folded in."""
        count = graph.get_current_count()
        if count > self._size:
            raise ValueError(f"graph of {count} rows for an index of {self._size}")
        self._graph = graph
        self._covered = count

    def graph_bytes(self) -> bytes:
        """The HNSW graph in hnswlib's own format (empty when searching exactly)."""
        if self._graph is None:
            return b""
        with tempfile.TemporaryDirectory() as scratch:
            path = Path(scratch) / "graph.bin"
            self._graph.save_index(str(path))
            return path.read_bytes()

    def restore(self, vectors: Vectors, graph: bytes) -> None:
        """Replace the contents with saved rows and, if given, their saved graph."""
        self._rows = np.zeros((0, self.dim), dtype=np.float32)
        self._size = 0
        self._next = None
        if len(vectors):
            self._store(normalise(vectors))
        self._graph = None
        self._covered = 0
        if graph:
            with tempfile.TemporaryDirectory() as scratch:
                path = Path(scratch) / "graph.bin"
                path.write_bytes(graph)
                loaded = hnswlib.Index(space="cosine", dim=self.dim)
                loaded.load_index(str(path), max_elements=max(self._size, 2 * self.exact_below))
            if loaded.get_current_count() > self._size:
                raise ValueError("saved graph does not match the saved vectors")
            self.adopt(loaded)
        elif self.build_inline and self._size >= self.exact_below:
            self.build_now()
