"""Embedders: text in, unit vectors out, behind one small protocol.

# Layout

- `_base`: the `Embedder` protocol, its errors, and the config union (`kind` tag)
- `hashing`: signed feature hashing, numpy only, no weights
- `minilm`: all-MiniLM-L6-v2 as a numpy BERT encoder; `wordpiece` is its tokenizer,
  `weights` finds, checks and maps its files
- `http`: any OpenAI-compatible `/embeddings` endpoint

# Why `embed` is async

One of the three does network I/O, and the analyzer that batches texts awaits
whichever is configured, so the protocol is `async def embed(texts)` for all of them.
The numpy embedders keep a synchronous `encode(texts)` as their pure core (tests and
benchmarks call it directly). `hashing` runs it inline: it is cheap. `minilm` runs it
on a worker thread with `anyio.to_thread.run_sync`, one batch at a time per embedder
(its matrix products release the GIL, so the event loop keeps serving meanwhile); a
cancelled caller waits for the batch in progress to finish, a few ms to a few hundred.

Every embedder returns float32 rows of unit length, one per text, in input order:
cosine similarity is a dot product. `build_embedder` may block for a moment (minilm
checks and maps 90 MB of weights): call it at start-up, not per request.
"""

from __future__ import annotations

from pathlib import Path
from typing import assert_never

import aiohttp

from stages.embedders._base import Embedder as Embedder
from stages.embedders._base import EmbedderConfig as EmbedderConfig
from stages.embedders._base import EmbedderFailed as EmbedderFailed
from stages.embedders._base import EmbedderUnavailable as EmbedderUnavailable
from stages.embedders._base import Embeddings as Embeddings
from stages.embedders._base import HashingEmbedderConfig as HashingEmbedderConfig
from stages.embedders._base import HttpEmbedderConfig as HttpEmbedderConfig
from stages.embedders._base import MiniLMEmbedderConfig as MiniLMEmbedderConfig
from stages.embedders.hashing import HashingEmbedder as HashingEmbedder
from stages.embedders.http import HttpEmbedder as HttpEmbedder
from stages.embedders.minilm import MiniLMEmbedder as MiniLMEmbedder

__all__ = [
    "Embedder",
    "EmbedderConfig",
    "EmbedderFailed",
    "EmbedderUnavailable",
    "Embeddings",
    "HashingEmbedder",
    "HashingEmbedderConfig",
    "HttpEmbedder",
    "HttpEmbedderConfig",
    "MiniLMEmbedder",
    "MiniLMEmbedderConfig",
    "build_embedder",
    "embedder_identity",
]


def build_embedder(config: EmbedderConfig, *,
                   session: aiohttp.ClientSession | None = None) -> Embedder:
    """The embedder `config` describes; `http` needs the shared aiohttp `session`.

    Raises `EmbedderUnavailable` when it cannot work: minilm weights missing or not
    matching their checksum, an http key's environment variable unset.
    """
    match config:
        case HashingEmbedderConfig():
            return HashingEmbedder(config)
        case MiniLMEmbedderConfig():
            return MiniLMEmbedder(config)
        case HttpEmbedderConfig():
            if session is None:
                raise ValueError("the http embedder needs the shared aiohttp session")
            return HttpEmbedder(config, session)
        case _:
            assert_never(config)


def embedder_identity(config: EmbedderConfig) -> str:
    """What makes `config`'s vectors comparable with another's: everything that changes
    them (kind, size, hashing's n-grams and weight, the weights or remote model), and
    nothing that does not (timeouts, batch sizes, an endpoint's address). Saved with
    what was learned from the vectors, so that a file made under another embedder of
    the same size is not read as if it were this one's."""
    match config:
        case HashingEmbedderConfig():
            return (f"hashing:{config.dim}:{config.word_ngrams}:{config.char_ngram_min}-"
                    f"{config.char_ngram_max}:{config.char_weight:g}")
        case MiniLMEmbedderConfig():
            weights = config.sha256 or (Path(config.path).name if config.path
                                        else "all-MiniLM-L6-v2")
            return f"minilm:{weights}:{config.max_tokens}"
        case HttpEmbedderConfig():
            return f"http:{config.model}:{config.dim}"
        case _:
            assert_never(config)
