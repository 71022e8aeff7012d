"""The semantic index under churn: random adds, replacements, removals, touches,
expiries, lookups, saves and loads, checked step by step against a plain model of what
it must hold (a dict and a recency list). Small thresholds make partitions go through
every state: exact rows, a growing graph, a caught-up projected graph, and back."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

from stages.semantic.index import IndexParams, SemanticIndex
from stages.semantic.partition import PartitionParams

DIM = 16
Row = npt.NDArray[np.float32]


@dataclass
class Held:
    partition: str
    vector: Row
    expires: float


class Model:
    """What the index must hold: live entries, and their recency (least recent first)."""

    def __init__(self, max_entries: int) -> None:
        self.max_entries = max_entries
        self.held: dict[str, Held] = {}
        self.recency: list[str] = []

    def add(self, entry_id: str, held: Held) -> list[str]:
        self.remove(entry_id)
        self.held[entry_id] = held
        self.recency.append(entry_id)
        evicted = []
        while len(self.held) > self.max_entries:
            evicted.append(self.recency[0])
            self.remove(self.recency[0])
        return evicted

    def remove(self, entry_id: str) -> None:
        if self.held.pop(entry_id, None) is not None:
            self.recency.remove(entry_id)

    def touch(self, entry_id: str) -> None:
        if entry_id in self.held:
            self.recency.remove(entry_id)
            self.recency.append(entry_id)

    def live(self, partition: str, now: float) -> dict[str, Held]:
        return {entry_id: held for entry_id, held in self.held.items()
                if held.partition == partition and held.expires > now}


def unit(rng: np.random.Generator) -> Row:
    row = rng.standard_normal(DIM).astype(np.float32)
    out: Row = row / np.linalg.norm(row)
    return out


def drop_expired_the_index_dropped(index: SemanticIndex, model: Model, now: float) -> None:
    """The index may drop an expired entry whenever it meets one; nothing else goes."""
    for entry_id in [e for e in model.held if e not in index]:
        assert model.held[entry_id].expires <= now, f"{entry_id} vanished while live"
        model.remove(entry_id)


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("graph_dim", [8, 0], ids=["projected", "whole"])
def test_the_index_matches_a_plain_model_under_churn(
        tmp_path: Path, seed: int, graph_dim: int) -> None:
    rng = np.random.default_rng(seed)
    partition_params = PartitionParams(graph_above=40, graph_below=20, catch_up=8,
                                       graph_dim=graph_dim, rerank=6, ef=32,
                                       ef_construction=64)
    params = IndexParams(dim=DIM, max_entries=150, ttl_s=50.0, partition=partition_params)
    index, model = SemanticIndex(params), Model(params.max_entries)
    now = 0.0
    next_id = 0
    states: set[tuple[bool, bool]] = set()
    lru_evictions = reloads_with_a_graph = 0

    for step in range(2500):
        now += float(rng.exponential(0.05))
        action = rng.random()
        ids = list(model.held)
        if action < 0.45 or not ids:  # add, now and then replacing an entry
            if ids and rng.random() < 0.1:
                entry_id = ids[int(rng.integers(len(ids)))]
            else:
                entry_id, next_id = f"e{next_id}", next_id + 1
            partition = "big" if rng.random() < 0.8 else "small"
            ttl = float(rng.uniform(5, 60))
            held = Held(partition, unit(rng), now + ttl)
            evicted = index.add(partition, held.vector, entry_id, now, ttl_s=ttl,
                                payload=entry_id.encode())
            assert evicted == model.add(entry_id, held)
            lru_evictions += len(evicted)
        elif action < 0.6:
            entry_id = ids[int(rng.integers(len(ids)))]
            assert index.remove(entry_id)
            model.remove(entry_id)
        elif action < 0.65:
            entry_id = ids[int(rng.integers(len(ids)))]
            index.touch(entry_id)
            model.touch(entry_id)
        elif action < 0.7:
            swept = index.evict(now)
            assert all(model.held[e].expires <= now for e in swept)
            for entry_id in swept:
                model.remove(entry_id)
            assert not [e for e, held in model.held.items() if held.expires <= now]
        elif action < 0.72:
            reloads_with_a_graph += index.stats().graph_partitions
            index.save(tmp_path / "index.npz", now)
            index = SemanticIndex.load(tmp_path / "index.npz", now)
            drop_expired_the_index_dropped(index, model, now)
        else:
            partition = "big" if rng.random() < 0.8 else "small"
            live = model.live(partition, now)
            near = [e for e in live if rng.random() < 0.7]
            target = near[0] if near else None
            query = unit(rng) if target is None else \
                live[target].vector + 0.05 * unit(rng)
            k = int(rng.integers(1, 5))
            found = index.lookup(partition, query, now, k=k)
            drop_expired_the_index_dropped(index, model, now)

            assert len(found) == min(k, len(live))
            query = query / np.linalg.norm(query)
            for entry_id, similarity in found:
                assert entry_id in live
                assert similarity == pytest.approx(float(live[entry_id].vector @ query),
                                                   abs=1e-5)
                assert index.payload(entry_id) == entry_id.encode()
            assert [s for _, s in found] == sorted((s for _, s in found), reverse=True)
            if target is not None:
                assert found[0][0] == target, f"step {step}: the near-duplicate was missed"

        assert len(index) == len(model.held)
        store = index._partitions.get("big")
        if store is not None:
            states.add((store._graph is not None, store.uses_graph))

    # Every state was gone through: rows alone, a growing graph, a caught-up one; the
    # size bound evicted, and graphs were saved and loaded.
    assert states == {(False, False), (True, False), (True, True)}
    assert lru_evictions > 0 and reloads_with_a_graph > 0
