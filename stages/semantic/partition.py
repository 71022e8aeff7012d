"""One partition's vectors: exact search while small, an HNSW graph once large.

Not an actor: `SemanticIndex` owns its partitions and calls them synchronously.

Every vector has a partition-local integer label, handed out in increasing order and
never reused: hnswlib's `replace_deleted` rewires a deleted node to a new label, and
reusing a label that still names a deleted node would corrupt its label table.

- Exact: rows in one float32 matrix, kept dense by moving the last row into a removed
  one, so a search is one matrix-vector product over live rows only.
- Growing: once a partition holds `graph_above` vectors, a graph is started and fed
  `catch_up` pending rows per `add`, so no single call stalls for the whole build
  (~1.5 s at 8k rows, ~10 ms per call instead); searches stay exact until it has
  caught up.
- Graph: the rows are dropped (hnswlib keeps its own copy); removal is `mark_deleted`,
  and new vectors take deleted nodes' places (`replace_deleted`), so the graph never
  outgrows the partition's peak size. A graph that shrinks under `graph_below` turns
  back into rows, which also clears out the deleted nodes.
"""

from __future__ import annotations

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
    graph_above: int = 8192
    """Vectors in one partition past which an HNSW graph answers. `bench.eval_cache`
    (384-d, one thread): exact and graph tie at ~6k (p50 ~0.12 ms); at 8192 the graph
    wins at p50 and p99 (0.13 / 0.21 ms against 0.17 / 0.26 ms), at 16k by 3x."""
    graph_below: int = 2048
    """A graph partition shrinking under this many vectors goes back to exact search."""
    catch_up: int = 64
    """Rows fed to a growing graph per `add`."""
    ef: int = 64
    m: int = 24
    # At 100k synthetic 384-d vectors, recall@1 of a stored vector's near-duplicate:
    # M=16 0.83 (ef 64) / 0.93 (ef 96); M=24 0.97 / 0.99; M=32 0.995 (ef 64, p99 ~0.7
    # ms). Real MiniLM vectors are far easier: 0.994+ at M=16, ef=32 over 62k.
    ef_construction: int = 100
    seed: int = 0


class Partition:
    """Vectors under integer labels; `search` returns (labels, similarities), best first."""

    def __init__(self, dim: int, params: PartitionParams) -> None:
        self.dim = dim
        self.params = params
        self.next_label = 0
        self._rows: Vectors | None = np.zeros((16, dim), dtype=np.float32)
        self._labels: Labels = np.zeros(16, dtype=np.int64)
        self._row_of: dict[int, int] = {}
        self._graph: hnswlib.Index | None = None
        self._pending: dict[int, None] = {}
        self._live: set[int] = set()
        self._vacant = 0
        """Deleted graph nodes, waiting for `replace_deleted` to reuse them."""

    def __len__(self) -> int:
        return len(self._live)

    @property
    def uses_graph(self) -> bool:
        """Searches go to the graph (it has caught up with every row)."""
        return self._graph is not None and not self._pending

    def vector_bytes(self) -> int:
        return 0 if self._rows is None else self._rows.nbytes + self._labels.nbytes

    def graph_bytes(self) -> int:
        """An estimate: hnswlib allocates level 0 (vector, 2M links, label) per slot."""
        if self._graph is None:
            return 0
        per_slot = 4 * self.dim + 4 * (2 * self.params.m + 1) + 8
        return int(self._graph.get_max_elements()) * per_slot

    def add(self, vector: Vectors) -> int:
        """Store one unit row; return its new label."""
        label = self.next_label
        self.next_label += 1
        self._live.add(label)
        if self._rows is not None:
            self._append_row(label, vector)
            if self._graph is None and len(self._live) >= self.params.graph_above:
                self._graph = self._new_graph(2 * len(self._live))
                self._pending = dict.fromkeys(self._labels[: len(self._row_of)].tolist())
            elif self._graph is not None:
                self._pending[label] = None
            if self._graph is not None:
                self._catch_up()
        else:
            assert self._graph is not None
            self._insert(vector[None, :], np.array([label], dtype=np.int64))
        return label

    def remove(self, label: int) -> None:
        self._live.remove(label)
        if self._rows is not None:
            self._remove_row(label)
        if self._graph is None:
            return
        if label in self._pending:
            del self._pending[label]
        else:
            self._graph.mark_deleted(label)
            self._vacant += 1
        if len(self._live) < self.params.graph_below:
            if self._rows is None:
                self._to_rows()
            else:
                self._graph, self._pending, self._vacant = None, {}, 0

    def search(self, query: Vectors, k: int) -> tuple[list[int], list[float]]:
        k = min(k, len(self._live))
        if k <= 0:
            return [], []
        if self._rows is None:
            assert self._graph is not None
            return self._search_graph(query, k)
        n = len(self._row_of)
        scores = self._rows[:n] @ query
        if k == 1:
            top = np.array([int(np.argmax(scores))])
        else:
            top = np.argpartition(-scores, k - 1)[:k] if k < n else np.arange(n)
            top = top[np.argsort(-scores[top], kind="stable")]
        return self._labels[top].tolist(), scores[top].tolist()

    def _search_graph(self, query: Vectors, k: int) -> tuple[list[int], list[float]]:
        assert self._graph is not None
        ef = max(self.params.ef, 2 * k)
        for attempt in range(2):
            self._graph.set_ef(ef * (1 + 3 * attempt))
            try:
                labels, distances = self._graph.knn_query(query[None, :], k=k,
                                                          num_threads=1)
            except RuntimeError:
                # Fewer than k live nodes reachable (many deletions): widen once, then
                # answer with nothing. A miss is always safe; a wrong hit is not.
                continue
            return labels[0].tolist(), (1.0 - distances[0]).tolist()
        return [], []

    def _append_row(self, label: int, vector: Vectors) -> None:
        assert self._rows is not None
        n = len(self._row_of)
        if n == len(self._rows):
            self._rows = np.concatenate([self._rows, np.zeros_like(self._rows)])
            self._labels = np.concatenate([self._labels, np.zeros_like(self._labels)])
        self._rows[n] = vector
        self._labels[n] = label
        self._row_of[label] = n

    def _remove_row(self, label: int) -> None:
        assert self._rows is not None
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
        graph = hnswlib.Index(space="cosine", dim=self.dim)
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
        graph.add_items(rows, labels, num_threads=1, replace_deleted=True)
        self._vacant -= reused

    def _catch_up(self) -> None:
        assert self._rows is not None
        batch = list(itertools.islice(self._pending, self.params.catch_up))
        for label in batch:
            del self._pending[label]
        rows = self._rows[[self._row_of[label] for label in batch]]
        self._insert(rows, np.array(batch, dtype=np.int64))
        if not self._pending:
            self._rows, self._labels, self._row_of = None, np.zeros(0, np.int64), {}

    def _to_rows(self) -> None:
        assert self._graph is not None
        labels = sorted(self._live)
        rows = np.asarray(self._graph.get_items(labels), dtype=np.float32)
        self._graph, self._pending, self._vacant = None, {}, 0
        self._set_rows(labels, rows)

    def _set_rows(self, labels: list[int], rows: Vectors) -> None:
        capacity = max(16, 2 * len(labels))
        self._rows = np.zeros((capacity, self.dim), dtype=np.float32)
        self._rows[: len(labels)] = rows
        self._labels = np.zeros(capacity, dtype=np.int64)
        self._labels[: len(labels)] = labels
        self._row_of = dict(zip(labels, range(len(labels)), strict=True))

    # --- persistence: rows for exact (and still growing) partitions, else the graph.

    def snapshot(self, dead: set[int]) -> tuple[list[int], Vectors | None, bytes]:
        """(labels, rows or None, graph bytes or b"") for the live labels not in `dead`."""
        if self._rows is not None:
            labels = [label for label in self._labels[: len(self._row_of)].tolist()
                      if label not in dead]
            return labels, self._rows[[self._row_of[label] for label in labels]], b""
        assert self._graph is not None
        for label in dead & self._live:
            self._graph.mark_deleted(label)
        try:
            with tempfile.TemporaryDirectory() as scratch:
                path = Path(scratch) / "graph.bin"
                self._graph.save_index(str(path))
                return sorted(self._live - dead), None, path.read_bytes()
        finally:
            for label in dead & self._live:
                self._graph.unmark_deleted(label)

    @classmethod
    def restore(cls, dim: int, params: PartitionParams, next_label: int, labels: list[int],
                rows: Vectors | None, graph: bytes) -> Partition:
        partition = cls(dim, params)
        partition.next_label = next_label
        partition._live = set(labels)
        if rows is not None:
            partition._set_rows(labels, rows)
            return partition
        with tempfile.TemporaryDirectory() as scratch:
            path = Path(scratch) / "graph.bin"
            path.write_bytes(graph)
            loaded = hnswlib.Index(space="cosine", dim=dim)
            loaded.load_index(str(path), allow_replace_deleted=True)
        partition._graph, partition._rows = loaded, None
        partition._vacant = int(loaded.get_current_count()) - len(labels)
        partition._labels, partition._row_of = np.zeros(0, np.int64), {}
        return partition
