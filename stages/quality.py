"""Learned quality: how well each model is likely to answer this prompt.

Not an actor: a pure, synchronous core that the selector owns and calls per decision
(no inbox, no backpressure). The selector feeds it outcomes and feedback with
`observe`; `reactor train FILE` builds one with `fit` and `save`s it for start-up.

The estimate for a model is the similarity-weighted mean of that model's scores on the
prompt's nearest neighbours, shrunk toward a prior by how much evidence there is:

    mean = (sum_i w_i * count_i * score_i + prior_strength * prior)
           / (sum_i w_i * count_i + prior_strength)
    w_i  = max(similarity_i, 0) ** power
    n_effective = sum_i w_i * count_i

so two far neighbours move the estimate little and many close ones dominate it. The
prior is itself a chain of shrunk means: a configured prior (`priors`, e.g. from
router.toml; 0.5 if none) <- the model's observed mean <- its mean on this task.

Past `params.exact_below` prompts the neighbours come from an hnswlib graph. `fit` and
`load` (offline, or in a worker thread) build it at once; `observe` never does, since it
runs on the event loop: when `graph_due`, the owner runs `build_graph` on a `snapshot`
in a thread and `adopt`s the result, and until then every search is exact.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import NamedTuple

import hnswlib
import msgspec
import numpy as np
import numpy.typing as npt

from stages.neighbours import Ids, NeighbourIndex, Vectors, normalise
from stages.npz import save_atomic

FORMAT_VERSION = 1
Scores = npt.NDArray[np.float32]


class Estimate(NamedTuple):
    mean: float
    n_effective: float


class QualityParams(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    k: int = 16
    power: float = 4.0
    prior_strength: float = 2.0
    task_prior_strength: float = 20.0
    # An observation this similar to a stored prompt updates it instead of adding a row.
    merge_above: float = 0.995
    exact_below: int = 10_000
    ef: int = 64


class _Header(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    version: int
    dim: int
    embedder: str = ""
    """`embedder_identity` of the vectors' embedder; empty in files saved before it was
    kept (and by programs that did not say)."""
    models: list[str]
    tasks: list[str]
    rows: int
    params: QualityParams


_HEADER = msgspec.json.Decoder(_Header)


class QualityModel:
    """Nearest-neighbour outcomes per model, blended with per-(task, model) priors."""

    def __init__(self, dim: int, params: QualityParams | None = None, *,
                 embedder: str = "") -> None:
        self.params = params or QualityParams()
        self.dim = dim
        self.embedder = embedder
        """Which embedder made the vectors (`embedder_identity`); empty: not said."""
        self.models: list[str] = []
        self._index = self._new_index()
        self._scores: Scores = np.zeros((0, 0), dtype=np.float32)
        self._counts: Scores = np.zeros((0, 0), dtype=np.float32)
        self._model_sum = np.zeros(0)
        self._model_n = np.zeros(0)
        self._task_sum: dict[str, npt.NDArray[np.float64]] = {}
        self._task_n: dict[str, npt.NDArray[np.float64]] = {}

    def __len__(self) -> int:
        return len(self._index)

    @property
    def uses_graph(self) -> bool:
        return self._index.uses_graph

    @property
    def graph_due(self) -> bool:
        """Enough prompts for a graph and none yet: `build_graph` one and `adopt` it."""
        return self._index.graph_due

    def snapshot(self) -> Vectors:
        """The stored prompts as they are now, for `build_graph` (later ones stay out)."""
        return self._index.vectors

    def build_graph(self, rows: Vectors, stop: threading.Event | None = None
                    ) -> hnswlib.Index | None:
        """A graph over `rows` on one core (None if `stop` is set first). Safe in a
        worker thread while the loop goes on observing and predicting."""
        return self._index.build_graph(rows, stop=stop)

    def adopt(self, graph: hnswlib.Index) -> None:
        """Answer from `graph` from now on; prompts stored since its snapshot are
        searched exactly until folded into it."""
        self._index.adopt(graph)

    def _new_index(self) -> NeighbourIndex:
        return NeighbourIndex(self.dim, exact_below=self.params.exact_below, ef=self.params.ef,
                              build_inline=False)

    def _graph_now(self) -> None:
        if self._index.graph_due:
            self._index.build_now()

    def fit(
        self,
        embeddings: npt.ArrayLike,
        scores: Mapping[str, npt.ArrayLike],
        tasks: Sequence[str] | None = None,
    ) -> None:
        """Replace everything with these prompts and their per-model scores (NaN: unknown)."""
        rows = normalise(embeddings)
        n = len(rows)
        columns = {m: np.asarray(s, dtype=np.float32).reshape(-1) for m, s in scores.items()}
        for model, column in columns.items():
            if len(column) != n:
                raise ValueError(f"{model}: {len(column)} scores for {n} embeddings")
        if tasks is not None and len(tasks) != n:
            raise ValueError(f"{len(tasks)} tasks for {n} embeddings")
        self.models = list(columns)
        matrix = np.stack(list(columns.values()), axis=1) if columns else np.zeros((n, 0))
        self._scores = np.clip(matrix, 0.0, 1.0).astype(np.float32)
        self._counts = (~np.isnan(self._scores)).astype(np.float32)
        self._index = self._new_index()
        self._index.add(rows)
        self._graph_now()
        known = np.nan_to_num(self._scores)
        self._model_sum = known.sum(axis=0, dtype=np.float64)
        self._model_n = self._counts.sum(axis=0, dtype=np.float64)
        self._task_sum, self._task_n = {}, {}
        for task in sorted(set(tasks or ())):
            mask = np.array([t == task for t in tasks or ()])
            self._task_sum[task] = known[mask].sum(axis=0, dtype=np.float64)
            self._task_n[task] = self._counts[mask].sum(axis=0, dtype=np.float64)

    def prior(self, model: str, task: str | None = None, configured: float = 0.5) -> float:
        """The estimate for `model` with no neighbours at all."""
        if model not in self.models:
            return configured
        chain = self._priors(configured_for(self.models, {model: configured}), task)
        return float(chain[self.models.index(model)])

    def neighbours(self, embeddings: npt.ArrayLike, k: int | None = None) -> tuple[Ids, Vectors]:
        return self._index.search(embeddings, self.params.k if k is None else k)

    def predict(
        self,
        embedding: npt.ArrayLike,
        k: int | None = None,
        *,
        task: str | None = None,
        priors: Mapping[str, float] | None = None,
    ) -> dict[str, Estimate]:
        """Per model: (expected score 0..1, how many neighbours' worth of evidence)."""
        means, n_eff = self.predict_many(
            embedding, k, tasks=None if task is None else [task], priors=priors
        )
        return {m: Estimate(float(means[0, j]), float(n_eff[0, j]))
                for j, m in enumerate(self.models)}

    def predict_many(
        self,
        embeddings: npt.ArrayLike,
        k: int | None = None,
        *,
        tasks: Sequence[str | None] | None = None,
        priors: Mapping[str, float] | None = None,
        neighbours: tuple[Ids, Vectors] | None = None,
    ) -> tuple[Scores, Scores]:
        """(means, n_effective), each shaped (queries, models) in `self.models` order.

        `neighbours` lets a caller reuse one search (say, at the largest k) across
        several settings of `params`.
        """
        ids, sims = neighbours if neighbours is not None else self.neighbours(embeddings, k)
        weights = np.clip(sims, 0.0, 1.0) ** self.params.power
        evidence = weights[:, :, None] * self._counts[ids]
        total = (evidence * np.nan_to_num(self._scores[ids])).sum(axis=1)
        n_eff = evidence.sum(axis=1)
        configured = configured_for(self.models, priors or {})
        by_task = tasks if tasks is not None else [None] * len(ids)
        chains = {task: self._priors(configured, task) for task in set(by_task)}
        prior = np.array([chains[task] for task in by_task]).reshape(len(ids), -1)
        s = self.params.prior_strength
        means = (total + s * prior) / (n_eff + s)
        return means.astype(np.float32), n_eff.astype(np.float32)

    def observe(self, embedding: npt.ArrayLike, model: str, score: float,
                *, task: str | None = None) -> int:
        """Learn one outcome: merge into a near-identical stored prompt, else add one.
        Returns the stored prompt's row, for `revise`."""
        value = float(np.clip(score, 0.0, 1.0))
        j = self._column(model)
        row = normalise(embedding)
        ids, sims = self._index.search(row, 1)
        if ids.shape[1] and sims[0, 0] >= self.params.merge_above:
            i = int(ids[0, 0])
            old, count = self._scores[i, j], self._counts[i, j]
            self._scores[i, j] = value if count == 0 else (old * count + value) / (count + 1)
            self._counts[i, j] = count + 1
        else:
            i = len(self)
            self._index.add(row)
            if i >= len(self._scores):
                self._scores, self._counts = _grown(self._scores, i), _grown(self._counts, i)
            self._scores[i] = np.nan
            self._counts[i] = 0
            self._scores[i, j] = value
            self._counts[i, j] = 1
        self._model_sum[j] += value
        self._model_n[j] += 1
        if task is not None:
            width = len(self.models)
            self._task_sum.setdefault(task, np.zeros(width))[j] += value
            self._task_n.setdefault(task, np.zeros(width))[j] += 1
        return i

    def revise(self, row: int, model: str, old: float, new: float,
               *, task: str | None = None) -> None:
        """Replace one outcome `observe`d at `row` (`old`, clipped as it was) by `new`:
        the same evidence, another score, counted once."""
        j = self._column(model)
        before, after = float(np.clip(old, 0.0, 1.0)), float(np.clip(new, 0.0, 1.0))
        count = self._counts[row, j]
        if count > 0:
            self._scores[row, j] = np.clip(
                self._scores[row, j] + (after - before) / count, 0.0, 1.0)
        self._model_sum[j] += after - before
        if task is not None and task in self._task_sum:
            self._task_sum[task][j] += after - before

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write one .npz atomically: a reader sees the old file or the new, never half."""
        tasks = sorted(self._task_sum)
        header = _Header(version=FORMAT_VERSION, dim=self.dim, embedder=self.embedder,
                         models=self.models, tasks=tasks, rows=len(self), params=self.params)
        arrays: dict[str, npt.NDArray[np.generic]] = {
            "header": np.frombuffer(msgspec.json.encode(header), dtype=np.uint8),
            "vectors": self._index.vectors,
            "scores": self._scores[: len(self)],
            "counts": self._counts[: len(self)],
            "model_sum": self._model_sum,
            "model_n": self._model_n,
            "task_sum": _stack_rows([self._task_sum[t] for t in tasks], len(self.models)),
            "task_n": _stack_rows([self._task_n[t] for t in tasks], len(self.models)),
            "graph": np.frombuffer(self._index.graph_bytes(), dtype=np.uint8),
        }
        save_atomic(path, arrays)

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> QualityModel:
        with np.load(Path(path), allow_pickle=False) as stored:
            header = _HEADER.decode(stored["header"].tobytes())
            if header.version != FORMAT_VERSION:
                raise ValueError(f"{path}: quality model format {header.version}, "
                                 f"this build reads {FORMAT_VERSION}")
            model = cls(header.dim, header.params, embedder=header.embedder)
            model.models = list(header.models)
            vectors = stored["vectors"].astype(np.float32)
            if vectors.shape != (header.rows, header.dim):
                raise ValueError(f"{path}: vectors shaped {vectors.shape}, header says "
                                 f"{(header.rows, header.dim)}")
            model._index.restore(vectors, stored["graph"].tobytes())
            model._graph_now()
            model._scores = stored["scores"].astype(np.float32)
            model._counts = stored["counts"].astype(np.float32)
            model._model_sum = stored["model_sum"].astype(np.float64)
            model._model_n = stored["model_n"].astype(np.float64)
            for i, task in enumerate(header.tasks):
                model._task_sum[task] = stored["task_sum"][i].astype(np.float64)
                model._task_n[task] = stored["task_n"][i].astype(np.float64)
        return model

    def _column(self, model: str) -> int:
        if model in self.models:
            return self.models.index(model)
        self.models.append(model)
        rows = len(self._scores)
        self._scores = np.concatenate([self._scores, np.full((rows, 1), np.nan, np.float32)], 1)
        self._counts = np.concatenate([self._counts, np.zeros((rows, 1), np.float32)], 1)
        self._model_sum = np.append(self._model_sum, 0.0)
        self._model_n = np.append(self._model_n, 0.0)
        for stats in (self._task_sum, self._task_n):
            for task, row in stats.items():
                stats[task] = np.append(row, 0.0)
        return len(self.models) - 1

    def _priors(self, configured: npt.NDArray[np.float64],
                task: str | None) -> npt.NDArray[np.float64]:
        strength = self.params.task_prior_strength
        by_model = (self._model_sum + strength * configured) / (self._model_n + strength)
        if task is None or task not in self._task_sum:
            return by_model
        return (self._task_sum[task] + strength * by_model) / (self._task_n[task] + strength)


def configured_for(models: Sequence[str], priors: Mapping[str, float]) -> npt.NDArray[np.float64]:
    """Configured priors in `models` order; 0.5 (know nothing) where none is given."""
    return np.array([priors.get(m, 0.5) for m in models], dtype=np.float64)


def _grown(rows: Scores, needed: int) -> Scores:
    """`rows` with room for at least `needed + 1` rows (doubling, so appends are cheap)."""
    grown = np.full((max(2 * len(rows), needed + 1, 64), rows.shape[1]), np.nan, np.float32)
    grown[: len(rows)] = rows
    return grown


def _stack_rows(rows: list[npt.NDArray[np.float64]], width: int) -> npt.NDArray[np.float64]:
    return np.stack(rows) if rows else np.zeros((0, width))
