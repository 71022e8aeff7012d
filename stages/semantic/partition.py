"""One partition's vectors: exact search while small, an HNSW graph once large.

Not an actor: `SemanticIndex` owns its partitions and calls them synchronously.

Every vector has a partition-local integer label, handed out in increasing order and
never reused: hnswlib's `replace_deleted` rewires a deleted node to a new label, and
reusing a label that still names a deleted node would corrupt its label table.

- Rows: every live vector, whole, in one float32 matrix kept dense by moving the last
  row into a removed one. While the partition is small a search is one matrix-vector
  product over them; once it has a graph they re-score the graph's candidates.
- Growing: once a partition holds `graph_above` vectors, a graph is started and fed
  `catch_up` pending rows per `add`, so no single call stalls for the whole build;
  searches stay exact until it has caught up.
- Graph: it holds each vector projected onto `graph_dim` dimensions (a fixed random
  orthonormal basis) and finds the `rerank` nearest there; the whole rows then put
  those in order and give the similarities, which are therefore exact. A 96-d graph
  moves a quarter of the memory a 384-d one does; at 100k 384-d vectors
  (`bench.cache_latency`) a lookup's p99 falls from ~0.9 to ~0.4 ms and recall@1 goes
  up (0.97 to 1.00), since re-scoring the candidates forgives the graph's small
  misorderings. A graph that cannot give enough candidates (too many deleted nodes in
  the way) leaves the search to the rows: a slower answer, never a missed one.
  Removal is `mark_deleted`, and new vectors take deleted nodes' places
  (`replace_deleted`), so the graph never outgrows the partition's peak size. A graph
  that shrinks under `graph_below` is dropped, which also clears out the deleted nodes.
"""

from __future__ import annotations

import functools
import itertools
import tempfile
from pathlib import Path

import hnswlib
import msgspec
import numpy as np
import numpy.typing as npt

from stages.neighbours import Vectors

Labels = npt.NDArray[np.int64]


class PartitionParams(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    graph_above: int = 2048
    """Vectors in one partition past which an HNSW graph answers. `bench.cache_latency`
    (384-d, one thread, the graph 96-d): at 1024 exact search wins (p50 / p99 30 / 92
    µs against 46 / 107); at 2048 the graph wins (54 / 126 against 108 / 223), at 8192
    by 6x (77 / 171 against 449 / 595). A graph insert costs ~70-100 µs, an exact one
    next to nothing, but every request looks up and only misses insert."""
    graph_below: int = 1024
    """A graph partition shrinking under this many vectors goes back to exact search."""
    catch_up: int = 64
    """Rows fed to a growing graph per `add`."""
    graph_dim: int = 96
    """Dimensions the graph's vectors are projected onto; 0 (or at least the vectors'
    own) keeps them whole."""
    rerank: int = 16
    """Candidates taken from the graph and re-scored with the whole vectors."""
    ef: int = 64
    m: int = 24
    # At 100k synthetic 384-d vectors, recall@1 of a stored vector's near-duplicate, whole
    # vectors in the graph: M=16 0.83 (ef 64) / 0.93 (ef 96); M=24 0.97 / 0.99; M=32 0.995.
    # Projected to 96-d and re-scored (8 candidates), M=24, ef 64: 1.000. Real QQP
    # questions (59k stored, 4k asked), how often the graph finds exact search's nearest
    # when that clears the threshold: hashing embedder whole 0.978, projected with 8
    # re-scored 0.986, with 16 0.990 (ef 128: 0.994, at 1.7x the time); MiniLM 1.000 for
    # all. Re-scoring 16 rather than 8 costs ~2 µs.
    ef_construction: int = 100
    seed: int = 0

    def projected_dim(self, dim: int) -> int:
        """Dimensions of the vectors the graph holds for `dim`-d rows."""
        return self.graph_dim if 0 < self.graph_dim < dim else dim


@functools.cache
def projection(dim: int, graph_dim: int, seed: int) -> Vectors:
    """A `dim` x `graph_dim` matrix with orthonormal columns, the same in every process
    for the same arguments (a QR of seeded normal draws)."""
    draws = np.random.default_rng(seed).standard_normal((dim, graph_dim))
    basis, _ = np.linalg.qr(draws)
    out: Vectors = np.ascontiguousarray(basis, dtype=np.float32)
    out.flags.writeable = False
    return out


class Partition:
    """Vectors under integer labels; `search` returns (labels, similarities), best first."""

    def __init__(self, dim: int, params: PartitionParams) -> None:
        self.dim = dim
        self.params = params
        self.graph_dim = params.projected_dim(dim)
        self._basis: Vectors | None = (projection(dim, self.graph_dim, params.seed)
                                       if self.graph_dim < dim else None)
        self.next_label = 0
        self._rows: Vectors = np.zeros((16, dim), dtype=np.float32)
        self._labels: Labels = np.zeros(16, dtype=np.int64)
        self._row_of: dict[int, int] = {}
        self._graph: hnswlib.Index | None = None
        self._pending: dict[int, None] = {}
        self._vacant = 0
        """Deleted graph nodes, waiting for `replace_deleted` to reuse them."""

    def __len__(self) -> int:
        return len(self._row_of)

    @property
    def uses_graph(self) -> bool:
        """Searches go to the graph (it has caught up with every row)."""
        return self._graph is not None and not self._pending

    def vector_bytes(self) -> int:
        return self._rows.nbytes + self._labels.nbytes

    def graph_bytes(self) -> int:
        """An estimate: hnswlib allocates level 0 (vector, 2M links, label) per slot."""
        if self._graph is None:
            return 0
        per_slot = 4 * self.graph_dim + 4 * (2 * self.params.m + 1) + 8
        return int(self._graph.get_max_elements()) * per_slot

    def add(self, vector: Vectors) -> int:
        """Store one unit row; return its new label."""
        label = self.next_label
        self.next_label += 1
        self._append_row(label, vector)
        if self._graph is None:
            if len(self._row_of) >= self.params.graph_above:
                self._graph = self._new_graph(2 * len(self._row_of))
                self._pending = dict.fromkeys(self._labels[: len(self._row_of)].tolist())
                self._catch_up()
        elif self._pending:
            self._pending[label] = None
            self._catch_up()
        else:
            self._insert(vector[None, :], np.array([label], dtype=np.int64))
        return label

    def remove(self, label: int) -> None:
        self._remove_row(label)
        if self._graph is None:
            return
        if label in self._pending:
            del self._pending[label]
        else:
            self._graph.mark_deleted(label)
            self._vacant += 1
        if len(self._row_of) < self.params.graph_below:
            self._graph, self._pending, self._vacant = None, {}, 0

    def search(self, query: Vectors, k: int) -> tuple[list[int], list[float]]:
        k = min(k, len(self._row_of))
        if k <= 0:
            return [], []
        if self.uses_graph:
            found = self._search_graph(query, k)
            if found is not None:
                return found
        n = len(self._row_of)
        scores = self._rows[:n] @ query
        if k == 1:
            top = np.array([int(np.argmax(scores))])
        else:
            top = np.argpartition(-scores, k - 1)[:k] if k < n else np.arange(n)
            top = top[np.argsort(-scores[top], kind="stable")]
        return self._labels[top].tolist(), scores[top].tolist()

    def _search_graph(self, query: Vectors, k: int) -> tuple[list[int], list[float]] | None:
        graph = self._graph
        assert graph is not None
        wanted = min(max(k, self.params.rerank), len(self._row_of))
        ef = max(self.params.ef, 2 * wanted)
        point = query if self._basis is None else query @ self._basis
        for attempt in range(2):
            graph.set_ef(ef * (1 + 3 * attempt))
            try:
                found, _ = graph.knn_query(point[None, :], k=wanted, num_threads=1)
            except RuntimeError:
                # Fewer than `wanted` live nodes reachable (many deletions): widen once,
                # then let the caller search the rows exactly.
                continue
            labels = found[0]
            rows = [self._row_of[label] for label in labels.tolist()]
            scores = self._rows[rows] @ query
            top = np.argsort(-scores, kind="stable")[:k]
            return labels[top].tolist(), scores[top].tolist()
        return None

    def _append_row(self, label: int, vector: Vectors) -> None:
        n = len(self._row_of)
        if n == len(self._rows):
            self._rows = np.concatenate([self._rows, np.zeros_like(self._rows)])
            self._labels = np.concatenate([self._labels, np.zeros_like(self._labels)])
        self._rows[n] = vector
        self._labels[n] = label
        self._row_of[label] = n

    def _remove_row(self, label: int) -> None:
        row = self._row_of.pop(label)
        last = len(self._row_of)
        if row != last:
            moved = int(self._labels[last])
            self._rows[row] = self._rows[last]
            self._labels[row] = moved
            self._row_of[moved] = row
        if 64 < len(self._rows) > 4 * (last + 1):
            self._rows = self._rows[: len(self._rows) // 2].copy()
            self._labels = self._labels[: len(self._labels) // 2].copy()

    def _new_graph(self, capacity: int) -> hnswlib.Index:
        graph = hnswlib.Index(space="cosine", dim=self.graph_dim)
        graph.init_index(max_elements=capacity, M=self.params.m,
                         ef_construction=self.params.ef_construction,
                         random_seed=self.params.seed, allow_replace_deleted=True)
        return graph

    def _insert(self, rows: Vectors, labels: Labels) -> None:
        graph = self._graph
        assert graph is not None
        reused = min(self._vacant, len(rows))
        needed = graph.get_current_count() + len(rows) - reused
        if needed > graph.get_max_elements():
            graph.resize_index(max(needed, 2 * graph.get_max_elements()))
        points = rows if self._basis is None else rows @ self._basis
        graph.add_items(points, labels, num_threads=1, replace_deleted=True)
        self._vacant -= reused

    def _catch_up(self, most: int | None = None) -> None:
        batch = list(itertools.islice(self._pending, most or self.params.catch_up))
        for label in batch:
            del self._pending[label]
        rows = self._rows[[self._row_of[label] for label in batch]]
        self._insert(rows, np.array(batch, dtype=np.int64))

    def _set_rows(self, labels: list[int], rows: Vectors) -> None:
        capacity = max(16, 2 * len(labels))
        self._rows = np.zeros((capacity, self.dim), dtype=np.float32)
        self._rows[: len(labels)] = rows
        self._labels = np.zeros(capacity, dtype=np.int64)
        self._labels[: len(labels)] = labels
        self._row_of = dict(zip(labels, range(len(labels)), strict=True))

    # --- persistence: every partition's rows, and a caught-up graph as hnswlib saves it.

    def snapshot(self, dead: set[int]) -> tuple[list[int], Vectors, bytes]:
        """(labels, rows, graph bytes or b"") for the live labels not in `dead`."""
        labels = [label for label in self._labels[: len(self._row_of)].tolist()
                  if label not in dead]
        rows = self._rows[[self._row_of[label] for label in labels]]
        if not self.uses_graph:
            return labels, rows, b""
        assert self._graph is not None
        dying = dead & self._row_of.keys()
        for label in dying:
            self._graph.mark_deleted(label)
        try:
            with tempfile.TemporaryDirectory() as scratch:
                path = Path(scratch) / "graph.bin"
                self._graph.save_index(str(path))
                return labels, rows, path.read_bytes()
        finally:
            for label in dying:
                self._graph.unmark_deleted(label)

    @classmethod
    def restore(cls, dim: int, params: PartitionParams, next_label: int, labels: list[int],
                rows: Vectors, graph: bytes) -> Partition:
        """The partition `snapshot` saved. `graph` is b"" when there was none, or when it
        was built with another projection: then one is built now if the rows call for it."""
        partition = cls(dim, params)
        partition.next_label = next_label
        partition._set_rows(labels, rows)
        if graph:
            loaded = load_graph(graph, partition.graph_dim)
            partition._graph = loaded
            partition._vacant = int(loaded.get_current_count()) - len(labels)
        elif len(labels) >= params.graph_above:
            partition._graph = partition._new_graph(2 * len(labels))
            partition._pending = dict.fromkeys(labels)
            partition._catch_up(len(labels))
        return partition


def load_graph(graph: bytes, dim: int) -> hnswlib.Index:
    """An hnswlib graph of `dim`-d vectors from the bytes `save_index` wrote."""
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "graph.bin"
        path.write_bytes(graph)
        loaded = hnswlib.Index(space="cosine", dim=dim)
        loaded.load_index(str(path), allow_replace_deleted=True)
    return loaded
