"""The semantic cache's index: entries by partition, with TTL, LRU and a size bound.

Not an actor: the cache actor owns one `SemanticIndex` and calls it synchronously, so
it has no inbox and no backpressure of its own. Time is the caller's: every method
that needs it takes `now` (monotonic seconds from the actor's clock).

A partition key is built by the caller from everything that must match before an
answer may be reused (tenant, model or alias, a hash of the system prompt and earlier
turns); a lookup only ever searches its own partition, so one tenant can never be
served another's entry, however similar. Each partition searches exactly while small
and through an HNSW graph once large (`stages.semantic.partition`).

Entries carry an opaque `payload` (the caller's encoded answer) and the encoded
`Reading` of the question it answers (`stages.semantic.reading.encode_reading`), so a
lookup weighs a candidate without decoding its answer or reading its text again, and
one file holds everything a restart needs. The total number of entries is bounded: adding past
`max_entries` evicts the least recently used (`touch` marks a served hit as used;
lookups alone do not, or vetoed near-misses would keep entries alive). Expired entries
are never returned: `lookup` drops those it meets, `evict(now)` sweeps the rest.

Files: `save(path, now)` writes one .npz atomically (temporary file, fsync, rename),
led by a versioned JSON header. Times are stored as seconds left to live, since a
monotonic clock restarts with the machine, hence the `now` arguments to both.
"""

from __future__ import annotations

import heapq
import os
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

import msgspec
import numpy as np
import numpy.typing as npt

from stages.neighbours import Vectors
from stages.npz import save_atomic
from stages.semantic.partition import Partition, PartitionParams, load_graph

FORMAT_VERSION = 2
"""2: every partition's rows are saved, and graphs hold projected vectors
(`PartitionParams.graph_dim`). 1: rows of exact partitions only, graphs of whole
vectors; still read (the rows come back out of the graphs, which are rebuilt)."""


class IndexParams(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    dim: int = 384
    max_entries: int = 100_000
    ttl_s: float = 24 * 3600.0
    partition: PartitionParams = msgspec.field(default_factory=PartitionParams)


class IndexStats(msgspec.Struct, frozen=True, kw_only=True):
    entries: int
    partitions: int
    graph_partitions: int
    vector_bytes: int
    graph_bytes: int
    payload_bytes: int
    reading_bytes: int
    evicted_ttl: int
    evicted_lru: int


@dataclass(slots=True)
class _Entry:
    partition: str
    label: int
    expires: float
    payload: bytes
    reading: bytes


class _Saved(msgspec.Struct, array_like=True):
    entry_id: str
    partition: int
    label: int
    ttl_left: float
    payload: bytes
    reading: bytes = b""
    """Absent from files written before readings were kept: `unread` lists those."""


class _SavedPartition(msgspec.Struct, array_like=True):
    key: str
    next_label: int
    labels: list[int]
    graph_bytes: int
    """Bytes of this partition's graph in the `graphs` array; 0 when it had none."""


class _Header(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    version: int
    params: IndexParams
    entries: int
    partitions: int


class _Body(msgspec.Struct, array_like=True):
    partitions: list[_SavedPartition]
    entries: list[_Saved]
    """Least recently used first."""


_HEADER = msgspec.json.Decoder(_Header)
_BODY = msgspec.msgpack.Decoder(_Body)


class SemanticIndex:
    def __init__(self, params: IndexParams | None = None) -> None:
        self.params = params = params or IndexParams()
        if params.dim <= 0 or params.max_entries <= 0:
            raise ValueError("dim and max_entries must be positive")
        self._partitions: dict[str, Partition] = {}
        self._entries: dict[str, _Entry] = {}
        self._by_label: dict[tuple[str, int], str] = {}
        self._recency: OrderedDict[str, None] = OrderedDict()
        self._expiry: list[tuple[float, str]] = []
        self._payload_bytes = 0
        self._reading_bytes = 0
        self.evicted_ttl = 0
        self.evicted_lru = 0

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, entry_id: object) -> bool:
        return entry_id in self._entries

    def add(self, partition: str, vector: npt.ArrayLike, entry_id: str, now: float, *,
            payload: bytes = b"", reading: bytes = b"",
            ttl_s: float | None = None) -> list[str]:
        """Store `vector` under `entry_id` (replacing any entry of that id) in `partition`;
        return the ids evicted to stay within `max_entries`, least recently used first."""
        row = self._row(vector)
        self.remove(entry_id)
        store = self._partitions.get(partition)
        if store is None:
            store = self._partitions[partition] = Partition(self.params.dim,
                                                            self.params.partition)
        label = store.add(row)
        expires = now + (self.params.ttl_s if ttl_s is None else ttl_s)
        self._entries[entry_id] = _Entry(partition, label, expires, payload, reading)
        self._by_label[partition, label] = entry_id
        self._recency[entry_id] = None
        self._payload_bytes += len(payload)
        self._reading_bytes += len(reading)
        self._schedule(expires, entry_id)
        evicted: list[str] = []
        while len(self._entries) > self.params.max_entries:
            oldest = next(iter(self._recency))
            self.remove(oldest)
            self.evicted_lru += 1
            evicted.append(oldest)
        return evicted

    def lookup(self, partition: str, vector: npt.ArrayLike, now: float,
               k: int = 1) -> list[tuple[str, float]]:
        """The `k` most similar live entries of `partition`: (entry_id, cosine), best
        first. Expired entries met on the way are dropped."""
        query = self._row(vector)
        store = self._partitions.get(partition)
        if store is None or k <= 0:
            return []
        while True:
            labels, similarities = store.search(query, k)
            found: list[tuple[str, float]] = []
            expired = False
            for label, similarity in zip(labels, similarities, strict=True):
                entry_id = self._by_label[partition, label]
                if self._entries[entry_id].expires <= now:
                    self.remove(entry_id)
                    self.evicted_ttl += 1
                    expired = True
                else:
                    found.append((entry_id, similarity))
            if not expired or len(found) == k or partition not in self._partitions:
                return found

    def touch(self, entry_id: str) -> None:
        """Mark an entry as just used (a hit was served from it)."""
        if entry_id in self._recency:
            self._recency.move_to_end(entry_id)

    def payload(self, entry_id: str) -> bytes | None:
        entry = self._entries.get(entry_id)
        return None if entry is None else entry.payload

    def reading(self, entry_id: str) -> bytes | None:
        """The encoded `Reading` stored with the entry (b"" if none was)."""
        entry = self._entries.get(entry_id)
        return None if entry is None else entry.reading

    def unread(self) -> list[str]:
        """Entries stored without a reading (loaded from an older file)."""
        return [entry_id for entry_id, entry in self._entries.items() if not entry.reading]

    def set_reading(self, entry_id: str, reading: bytes) -> None:
        entry = self._entries.get(entry_id)
        if entry is not None:
            self._reading_bytes += len(reading) - len(entry.reading)
            entry.reading = reading

    def remove(self, entry_id: str) -> bool:
        entry = self._entries.pop(entry_id, None)
        if entry is None:
            return False
        del self._recency[entry_id]
        del self._by_label[entry.partition, entry.label]
        self._payload_bytes -= len(entry.payload)
        self._reading_bytes -= len(entry.reading)
        store = self._partitions[entry.partition]
        store.remove(entry.label)
        if not len(store):
            del self._partitions[entry.partition]
        return True

    def evict(self, now: float) -> list[str]:
        """Drop every entry whose time is up; return their ids, soonest expired first."""
        evicted: list[str] = []
        while self._expiry and self._expiry[0][0] <= now:
            expires, entry_id = heapq.heappop(self._expiry)
            entry = self._entries.get(entry_id)
            if entry is not None and entry.expires == expires:
                self.remove(entry_id)
                self.evicted_ttl += 1
                evicted.append(entry_id)
        return evicted

    def stats(self) -> IndexStats:
        stores = self._partitions.values()
        return IndexStats(
            entries=len(self._entries), partitions=len(self._partitions),
            graph_partitions=sum(store.uses_graph for store in stores),
            vector_bytes=sum(store.vector_bytes() for store in stores),
            graph_bytes=sum(store.graph_bytes() for store in stores),
            payload_bytes=self._payload_bytes, reading_bytes=self._reading_bytes,
            evicted_ttl=self.evicted_ttl,
            evicted_lru=self.evicted_lru)

    def _row(self, vector: npt.ArrayLike) -> Vectors:
        # One vector per call, on every lookup: a dot product scales it in ~2 µs where
        # the general `normalise` (norms per row, a masked divide) takes ~10.
        row: Vectors = np.asarray(vector, dtype=np.float32)
        if row.shape != (self.params.dim,):
            row = row.reshape(-1) if row.shape == (1, self.params.dim) else row
            if row.shape != (self.params.dim,):
                raise ValueError(f"expected one {self.params.dim}-d vector, got shape "
                                 f"{np.shape(vector)}")
        norm = float(np.sqrt(np.dot(row, row)))
        return row / np.float32(norm) if norm > 0 else np.zeros_like(row)

    def _schedule(self, expires: float, entry_id: str) -> None:
        heapq.heappush(self._expiry, (expires, entry_id))
        # Removed and replaced entries leave stale records behind: rebuild now and then
        # so the heap stays within a constant factor of the live entries.
        if len(self._expiry) > 2 * len(self._entries) + 1024:
            self._expiry = [(entry.expires, entry_id)
                            for entry_id, entry in self._entries.items()]
            heapq.heapify(self._expiry)

    def save(self, path: str | os.PathLike[str], now: float) -> None:
        """Write every live entry to `path` atomically: readers see the old file or the
        new one, never half of one."""
        keys = list(self._partitions)
        number = {key: i for i, key in enumerate(keys)}
        dead: dict[str, set[int]] = {key: set() for key in keys}
        saved: list[_Saved] = []
        for entry_id in self._recency:
            entry = self._entries[entry_id]
            if entry.expires <= now:
                dead[entry.partition].add(entry.label)
            else:
                saved.append(_Saved(entry_id, number[entry.partition], entry.label,
                                    entry.expires - now, entry.payload, entry.reading))
        partitions: list[_SavedPartition] = []
        rows: list[Vectors] = []
        graphs: list[bytes] = []
        for key in keys:
            store = self._partitions[key]
            labels, vectors, graph = store.snapshot(dead[key])
            partitions.append(_SavedPartition(key, store.next_label, labels, len(graph)))
            rows.append(vectors)
            graphs.append(graph)
        header = _Header(version=FORMAT_VERSION, params=self.params, entries=len(saved),
                         partitions=len(partitions))
        arrays: dict[str, npt.NDArray[np.generic]] = {
            "header": np.frombuffer(msgspec.json.encode(header), dtype=np.uint8),
            "body": np.frombuffer(msgspec.msgpack.encode(_Body(partitions, saved)),
                                  dtype=np.uint8),
            "rows": np.concatenate(rows) if rows else np.zeros((0, self.params.dim),
                                                                np.float32),
            "graphs": np.frombuffer(b"".join(graphs), dtype=np.uint8),
        }
        save_atomic(path, arrays)

    @classmethod
    def saved_params(cls, path: str | os.PathLike[str]) -> IndexParams:
        """The params a file was saved with, read without its entries."""
        with np.load(Path(path), allow_pickle=False) as stored:
            return _HEADER.decode(stored["header"].tobytes()).params

    @classmethod
    def load(cls, path: str | os.PathLike[str], now: float,
             params: IndexParams | None = None) -> SemanticIndex:
        """The index `save` wrote, its entries' time to live counted on from `now`;
        with `params` (of the same `dim`), under those rather than the saved ones. A
        graph built with another projection than `params` asks for is built again."""
        with np.load(Path(path), allow_pickle=False) as stored:
            header = _HEADER.decode(stored["header"].tobytes())
            if header.version not in (1, FORMAT_VERSION):
                raise ValueError(f"{path}: semantic index format {header.version}, "
                                 f"this build reads {FORMAT_VERSION}")
            body = _BODY.decode(stored["body"].tobytes())
            rows = np.asarray(stored["rows"], dtype=np.float32)
            graphs = stored["graphs"].tobytes()
        if params is not None and params.dim != header.params.dim:
            raise ValueError(f"{path}: {header.params.dim}-d vectors, expected {params.dim}")
        index = cls(params or header.params)
        dim, was, now_is = index.params.dim, header.params.partition, index.params.partition
        same_graphs = header.version == FORMAT_VERSION and \
            was.projected_dim(dim) == now_is.projected_dim(dim) and \
            (was.seed == now_is.seed or now_is.projected_dim(dim) == dim)
        keys = [saved.key for saved in body.partitions]
        row_at = graph_at = 0
        for saved in body.partitions:
            graph = graphs[graph_at : graph_at + saved.graph_bytes]
            graph_at += saved.graph_bytes
            if header.version == 1 and graph:  # whole vectors, in the graph only
                vectors = np.asarray(load_graph(graph, dim).get_items(saved.labels),
                                     dtype=np.float32).reshape(-1, dim)
            else:
                vectors = rows[row_at : row_at + len(saved.labels)]
                row_at += len(saved.labels)
            if saved.labels:
                index._partitions[saved.key] = Partition.restore(
                    dim, now_is, saved.next_label, saved.labels, vectors,
                    graph if same_graphs else b"")
        if row_at != len(rows) or graph_at != len(graphs):
            raise ValueError(f"{path}: vectors or graphs do not match the entries")
        for entry in body.entries:
            key = keys[entry.partition]
            expires = now + entry.ttl_left
            index._entries[entry.entry_id] = _Entry(key, entry.label, expires, entry.payload,
                                                    entry.reading)
            index._by_label[key, entry.label] = entry.entry_id
            index._recency[entry.entry_id] = None
            index._payload_bytes += len(entry.payload)
            index._reading_bytes += len(entry.reading)
            index._schedule(expires, entry.entry_id)
        while len(index._entries) > index.params.max_entries:
            index.remove(next(iter(index._recency)))
            index.evicted_lru += 1
        return index
