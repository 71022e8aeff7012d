"""Feature hashing: words, word n-grams and character n-grams, signed, into `dim` slots.

Text is NFKC-normalised and case-folded. Each feature hashes to 64 bits with a fixed
function (blake2b for words, FNV-1a over code points with a murmur finaliser for
character n-grams, vectorised in numpy), never Python's salted `hash()`, so vectors
agree across processes and machines. The low bits pick the slot, the top bit the sign,
so collisions cancel out on average instead of piling up. The word block and the
character block are each scaled to unit length, then mixed by `char_weight`.

It knows spelling, not meaning: good for near-duplicates, poor for paraphrases.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

import anyio.to_thread
import numpy as np
import numpy.typing as npt

from stages.embedders._base import Embeddings, HashingEmbedderConfig, normalize_rows

U64 = npt.NDArray[np.uint64]
F64 = npt.NDArray[np.float64]

_WORDS = re.compile(r"\w+")
_FNV_OFFSET = np.uint64(0xCBF29CE484222325)
_FNV_PRIME = np.uint64(0x100000001B3)
_MIX1 = np.uint64(0xFF51AFD7ED558CCD)
_MIX2 = np.uint64(0xC4CEB9FE1A85EC53)
_SHIFT = np.uint64(33)
_TOP = np.uint64(63)
_INLINE_CHARS = 4096
# Where a text with no features at all (empty, or only punctuation) puts its weight,
# so that it still gets a unit vector; all such texts are alike.
_EMPTY = "\x00empty"


def _word_hash(feature: str) -> int:
    return int.from_bytes(hashlib.blake2b(feature.encode(), digest_size=8,
                                          person=b"reactor.w").digest(), "little")


def _finalise(h: U64) -> U64:
    """murmur3's fmix64: every input bit moves every output bit."""
    h ^= h >> _SHIFT
    h *= _MIX1
    h ^= h >> _SHIFT
    h *= _MIX2
    h ^= h >> _SHIFT
    return h


def _char_hashes(text: str, low: int, high: int) -> U64:
    codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    parts: list[U64] = []
    for n in range(low, min(high, len(codes)) + 1):
        count = len(codes) - n + 1
        h = np.full(count, _FNV_OFFSET ^ np.uint64(n), dtype=np.uint64)
        for k in range(n):
            h ^= codes[k : k + count]
            h *= _FNV_PRIME
        parts.append(_finalise(h))
    return np.concatenate(parts) if parts else np.empty(0, dtype=np.uint64)


class HashingEmbedder:
    def __init__(self, config: HashingEmbedderConfig | None = None) -> None:
        self.config = config = config or HashingEmbedderConfig()
        self.dim = config.dim
        self.name = f"hashing:{config.dim}"
        self._dim = np.uint64(config.dim)

    def _scatter(self, hashes: U64) -> F64:
        signs = np.where((hashes >> _TOP) == 1, 1.0, -1.0)
        slots = (hashes % self._dim).astype(np.intp)
        block = np.bincount(slots, weights=signs, minlength=self.dim).astype(np.float64)
        norm = np.linalg.norm(block)
        return block / norm if norm > 0 else block

    def vector(self, text: str) -> F64:
        config = self.config
        words = _WORDS.findall(unicodedata.normalize("NFKC", text).casefold())
        features = [" ".join(words[i : i + n]) for n in range(1, config.word_ngrams + 1)
                    for i in range(len(words) - n + 1)]
        vector = self._scatter(np.array([_word_hash(f) for f in features], dtype=np.uint64))
        if config.char_weight > 0 and words:
            chars = _char_hashes(f" {' '.join(words)} ", config.char_ngram_min,
                                 config.char_ngram_max)
            vector += config.char_weight * self._scatter(chars)
        if not vector.any():
            vector = self._scatter(np.array([_word_hash(_EMPTY)], dtype=np.uint64))
        return vector

    def encode(self, texts: list[str]) -> Embeddings:
        out = np.zeros((len(texts), self.dim), dtype=np.float64)
        for row, text in enumerate(texts):
            out[row] = self.vector(text)
        return normalize_rows(out)

    async def embed(self, texts: list[str]) -> Embeddings:
        # ~75 us for a one-line prompt, ~2 ms per 4000 characters: short batches are not
        # worth a thread hop, long ones would hold up the event loop.
        if sum(len(text) for text in texts) <= _INLINE_CHARS:
            return self.encode(texts)
        return await anyio.to_thread.run_sync(self.encode, texts)
