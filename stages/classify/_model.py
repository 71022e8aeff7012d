"""Multinomial logistic regression in numpy, trained in its dual form; naive Bayes and a
nearest-neighbour vote beside it.

With a few hundred training prompts and thousands of features, the weights lie in the
span of the training rows (W = X^T A), so training works on the n x n Gram matrix
X X^T instead of X: one small dense product per step. It is full-batch gradient
descent with Nesterov momentum from zero, for a fixed number of steps: no randomness,
so the same training set gives the same model in every process, in ~0.1 s.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

import numpy as np
import numpy.typing as npt

F64 = npt.NDArray[np.float64]

_MOMENTUM = 0.9


def softmax(logits: F64) -> F64:
    shifted = np.exp(logits - logits.max(axis=-1, keepdims=True))
    out: F64 = shifted / shifted.sum(axis=-1, keepdims=True)
    return out


def fit_dual(rows: npt.NDArray[np.floating], labels: Sequence[int], classes: int, *,
             l2: float, steps: int, rate: float) -> tuple[F64, F64]:
    """Weights (features x classes) and bias minimising mean cross-entropy + l2/2 |W|^2.

    Steps go along the gradient in the dual coefficients A, preconditioned by the Gram
    matrix (which drops out); the fixed point is the primal optimum.
    """
    n = len(labels)
    gram = (rows @ rows.T).astype(np.float64)
    target = np.zeros((n, classes))
    target[np.arange(n), np.asarray(labels, dtype=np.intp)] = 1.0
    dual, bias = np.zeros((n, classes)), np.zeros(classes)
    moment_a, moment_b = np.zeros((n, classes)), np.zeros(classes)
    for _ in range(steps):
        ahead_a = dual + _MOMENTUM * moment_a
        ahead_b = bias + _MOMENTUM * moment_b
        error = (softmax(gram @ ahead_a + ahead_b) - target) / n
        moment_a = _MOMENTUM * moment_a - rate * (error + l2 * ahead_a)
        moment_b = _MOMENTUM * moment_b - rate * error.sum(axis=0)
        dual += moment_a
        bias += moment_b
    weights: F64 = (rows.T @ dual).astype(np.float64)
    return weights, bias


class SparseSoftmax:
    """Logistic regression over sets of feature names.

    A row holds 1/sqrt(#words) for each word feature (so long prompts do not shout) and
    a fixed `flag_value` for each `#flag` feature (so a code fence counts the same in a
    long prompt as in a short one).
    """

    def __init__(self, vocabulary: dict[str, int], weights: F64, bias: F64,
                 flag_value: float) -> None:
        self.vocabulary = vocabulary
        self.weights = weights
        self.bias = bias
        self.flag_value = flag_value

    @classmethod
    def fit(cls, rows: Sequence[Collection[str]], labels: Sequence[int], classes: int,
            columns: Collection[str], *, flag_value: float, l2: float, steps: int,
            rate: float) -> SparseSoftmax:
        """Weights for `columns` (other features of the rows count as unknown words)."""
        vocabulary = {name: i for i, name in enumerate(sorted(columns))}
        model = cls(vocabulary, np.zeros((len(vocabulary), classes)), np.zeros(classes),
                    flag_value)
        dense = np.zeros((len(rows), len(vocabulary)), dtype=np.float32)
        for r, row in enumerate(rows):
            dense[r] = model.row(row)
        model.weights, model.bias = fit_dual(dense, labels, classes, l2=l2, steps=steps,
                                             rate=rate)
        return model

    def split(self, features: Collection[str]) -> tuple[list[int], list[int], int]:
        """Known word columns, known flag columns (each sorted), and the word count."""
        vocabulary = self.vocabulary
        words: list[int] = []
        flags: list[int] = []
        count = 0
        for name in features:
            column = vocabulary.get(name)
            if name.startswith("#"):
                if column is not None:
                    flags.append(column)
            else:
                count += 1
                if column is not None:
                    words.append(column)
        words.sort()
        flags.sort()
        return words, flags, count

    def row(self, features: Collection[str]) -> F64:
        """The features as a dense row over the vocabulary (for training)."""
        words, flags, count = self.split(features)
        out = np.zeros(len(self.vocabulary))
        out[words] = 1.0 / np.sqrt(max(1, count))
        out[flags] = self.flag_value
        return out

    def logits(self, features: Collection[str]) -> F64:
        words, flags, count = self.split(features)
        out = self.bias.copy()
        if words:
            out += self.weights[words].sum(axis=0) / np.sqrt(max(1, count))
        if flags:
            out += self.flag_value * self.weights[flags].sum(axis=0)
        return out


class NaiveBayes:
    """Naive Bayes over the columns of a `SparseSoftmax` vocabulary.

    A weight is log P(feature present | task), smoothed by `alpha`, minus its mean over
    the tasks, so a feature every task's prompts share says nothing; only the features a
    prompt has count (absences say little about prompts of a few dozen words), summed
    over 1/sqrt(their number) like the regression's words, times `scale`. There is no
    class prior: the seeds' class sizes say nothing about traffic.

    It reads the same features as the regression but learns them differently: each
    feature on its own evidence, where the regression lets a few strong features
    explain a training prompt and leaves the rest near zero; on held-out seeds the two
    averaged beat either.
    """

    def __init__(self, weights: F64) -> None:
        self.weights = weights

    @classmethod
    def fit(cls, rows: Sequence[Collection[str]], labels: Sequence[int], classes: int,
            vocabulary: dict[str, int], *, alpha: float, scale: float) -> NaiveBayes:
        counts = np.zeros((len(vocabulary), classes))
        for row, label in zip(rows, labels, strict=True):
            counts[[vocabulary[name] for name in row if name in vocabulary], label] += 1
        sizes = np.bincount(np.asarray(labels, dtype=np.intp), minlength=classes)
        log_present = np.log((counts + alpha) / (sizes + 2 * alpha))
        return cls(scale * (log_present - log_present.mean(axis=1, keepdims=True)))

    def logits_at(self, columns: list[int]) -> F64:
        if not columns:
            return np.zeros(self.weights.shape[1])
        out: F64 = self.weights[columns].sum(axis=0) / np.sqrt(len(columns))
        return out


class DenseSoftmax:
    """Logistic regression over fixed-length vectors (sentence embeddings)."""

    def __init__(self, weights: F64, bias: F64) -> None:
        self.weights = weights
        self.bias = bias

    @classmethod
    def fit(cls, vectors: npt.NDArray[np.floating], labels: Sequence[int], classes: int, *,
            l2: float, steps: int, rate: float) -> DenseSoftmax:
        weights, bias = fit_dual(vectors, labels, classes, l2=l2, steps=steps, rate=rate)
        return cls(weights, bias)

    def logits(self, vector: npt.NDArray[np.floating]) -> F64:
        out: F64 = np.asarray(vector, dtype=np.float64) @ self.weights + self.bias
        return out


class Neighbours:
    """A vote of the `k` training vectors most similar (by cosine) to a query.

    Each neighbour votes for its label with exp((similarity - best) / temperature), so
    the nearest count most; the votes, as probabilities with a small floor (one
    neighbour's class is never certain), become log-probabilities. The training vectors
    are kept as int8 with one scale per row, as shipped (a quarter of float32's size;
    similarities move by about 1e-3, a fiftieth of the temperature).
    """

    FLOOR = 0.002

    def __init__(self, codes: npt.NDArray[np.int8], scales: npt.NDArray[np.float32],
                 labels: npt.NDArray[np.integer], classes: int, *, k: int,
                 temperature: float) -> None:
        self.codes = codes
        self.scales = scales
        self.vectors = codes.astype(np.float32) * scales[:, None]
        self.labels = np.asarray(labels, dtype=np.intp)
        self.classes = classes
        self.k = min(k, len(self.labels))
        self.temperature = temperature

    @classmethod
    def fit(cls, vectors: npt.NDArray[np.floating], labels: npt.NDArray[np.integer],
            classes: int, *, k: int, temperature: float) -> Neighbours:
        rows = np.asarray(vectors, dtype=np.float32)
        rows = rows / np.maximum(np.linalg.norm(rows, axis=1, keepdims=True), 1e-12)
        scales = (np.maximum(np.abs(rows).max(axis=1), 1e-12) / 127).astype(np.float32)
        codes = np.rint(rows / scales[:, None]).astype(np.int8)
        return cls(codes, scales, labels, classes, k=k, temperature=temperature)

    def log_probabilities(self, vectors: npt.NDArray[np.floating]) -> F64:
        """The vote's log-probabilities for one query vector, or for each row of a
        matrix of them (one similarity product for all)."""
        queries = np.asarray(vectors, dtype=np.float32)
        if queries.ndim == 1:
            out: F64 = self.log_probabilities(queries[np.newaxis])[0]
            return out
        norms = np.maximum(np.linalg.norm(queries, axis=1, keepdims=True), 1e-12)
        similarity = (queries / norms) @ self.vectors.T
        nearest = np.argpartition(-similarity, self.k - 1, axis=1)[:, :self.k]
        top = np.take_along_axis(similarity, nearest, axis=1).astype(np.float64)
        weights = np.exp((top - top.max(axis=1, keepdims=True)) / self.temperature)
        # One bincount for all queries: query i's votes go to bins i*classes + label.
        bins = self.labels[nearest] + self.classes * np.arange(len(queries))[:, np.newaxis]
        votes = np.bincount(bins.ravel(), weights.ravel(),
                            minlength=len(queries) * self.classes).reshape(len(queries), -1)
        share = votes / votes.sum(axis=1, keepdims=True)
        out = np.log((1 - self.classes * self.FLOOR) * share + self.FLOOR)
        return out
