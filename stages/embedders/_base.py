"""What every embedder shares: the protocol, its errors, and the tagged config union."""

from __future__ import annotations

import math
from typing import Protocol

import numpy as np
import numpy.typing as npt

from reactor import (
    EmbedderConfig,
    HashingEmbedderConfig,
    HttpEmbedderConfig,
    MiniLMEmbedderConfig,
    ReactorError,
)

__all__ = [
    "EmbedderConfig",
    "HashingEmbedderConfig",
    "HttpEmbedderConfig",
    "MiniLMEmbedderConfig",
]

Embeddings = npt.NDArray[np.float32]
"""Shape (n, dim), float32, each row of unit length."""


class EmbedderUnavailable(ReactorError):
    """An embedder cannot be built: weights missing or corrupt, or its key not set."""


class EmbedderFailed(ReactorError):
    """An embedding call failed: the endpoint erred, timed out or answered garbage."""


class Embedder(Protocol):
    name: str
    dim: int

    async def embed(self, texts: list[str]) -> Embeddings:
        """One row per text, in order; a unit vector each."""
        ...


def normalize_rows(vectors: npt.NDArray[np.floating]) -> Embeddings:
    """Rows scaled to unit length; an all-zero row stays zero."""
    out = np.asarray(vectors, dtype=np.float32)
    # What np.linalg.norm(out, axis=1) computes, without its checks (a few us a call).
    norms: npt.NDArray[np.floating] = np.sqrt(np.add.reduce(out * out, axis=1, keepdims=True))
    unit: Embeddings = out / np.maximum(norms, np.float32(1e-12))
    return unit


def normalize_row(vector: npt.NDArray[np.floating]) -> Embeddings:
    """`normalize_rows` of a one-row matrix, in fewer numpy calls (the same sum in the
    same order; the square root in float64, rounded once to float32, is float32's own
    correctly rounded square root)."""
    out = np.asarray(vector, dtype=np.float32)
    norm = max(np.float32(math.sqrt(float(np.add.reduce(out * out, axis=None)))),
               np.float32(1e-12))
    unit: Embeddings = out / norm
    return unit
