"""Embedders for the routing benchmarks, as one plain callable: `Embed`.

The quality model only needs `list[str] -> (n, dim) float32 unit rows`, so the
benchmarks take any function of that shape. `load_embedder` adapts the router's own
embedders (`stages.embedders`, whose `embed` is async) to it, and falls back to a small
local hashing embedder (below, clearly marked) when that package cannot be imported.
"""

from __future__ import annotations

import hashlib
import itertools
import re
import sys
import zlib
from collections.abc import Callable
from pathlib import Path

import anyio
import numpy as np
import numpy.typing as npt

try:
    from stages.embedders import (
        HashingEmbedderConfig,
        MiniLMEmbedderConfig,
        build_embedder,
    )
except ImportError as missing:  # pragma: no cover - only before stages.embedders exists
    embedders_missing: ImportError | None = missing
else:
    embedders_missing = None

Embed = Callable[[list[str]], npt.NDArray[np.float32]]

_WORDS = re.compile(r"\w+", re.UNICODE)
_BATCH = 4096


def load_embedder(name: str) -> tuple[Embed, str]:
    """(embed, a description naming what was actually used): `hashing` or `minilm`."""
    if embedders_missing is not None:
        if name != "hashing":
            raise SystemExit(f"embedder {name!r} needs stages.embedders: {embedders_missing}")
        print(f"stages.embedders unavailable ({embedders_missing}); using the local fallback",
              file=sys.stderr)
        return fallback_hashing_embed, "hashing (local fallback, bench/routing_embed.py)"
    config = HashingEmbedderConfig() if name == "hashing" else MiniLMEmbedderConfig()
    embedder = build_embedder(config)

    def embed(texts: list[str]) -> npt.NDArray[np.float32]:
        rows = [anyio.run(embedder.embed, texts[start : start + _BATCH])
                for start in range(0, len(texts), _BATCH)]
        return np.concatenate(rows) if rows else np.zeros((0, embedder.dim), np.float32)

    return embed, f"{name} (stages.embedders: {embedder.name})"


# --- Local fallback, used only when stages.embedders.hashing is missing. -----------
# Signed feature hashing of lower-cased words and word bigrams, sublinear counts.
# crc32, not hash(): Python salts str hashes per process, and the vectors must not
# change between runs.


def fallback_hashing_embed(texts: list[str], dim: int = 1024) -> npt.NDArray[np.float32]:
    out = np.zeros((len(texts), dim), dtype=np.float32)
    for i, text in enumerate(texts):
        words = _WORDS.findall(text.lower())
        for feature in [*words, *(f"{a} {b}" for a, b in itertools.pairwise(words))]:
            h = zlib.crc32(feature.encode())
            out[i, h % dim] += 1.0 if h & (1 << 31) else -1.0
    out = np.sign(out) * np.log1p(np.abs(out))
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    scaled: npt.NDArray[np.float32] = np.divide(out, norms, out=np.zeros_like(out),
                                                where=norms > 0)
    return scaled


def cached(embed: Embed, name: str, path: Path) -> Embed:
    """`embed`, remembering one batch's result in `path` (keyed by embedder and texts)."""

    def embed_cached(texts: list[str]) -> npt.NDArray[np.float32]:
        digest = hashlib.sha256(name.encode())
        for text in texts:
            digest.update(hashlib.sha256(text.encode()).digest())
        key = digest.hexdigest()
        if path.exists():
            with np.load(path, allow_pickle=False) as stored:
                if str(stored["key"]) == key:
                    return np.asarray(stored["vectors"], dtype=np.float32)
        vectors = embed(texts)
        with path.open("wb") as out:
            np.savez(out, key=np.array(key), vectors=vectors)
        return vectors

    return embed_cached
