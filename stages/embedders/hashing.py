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
import math
import re
import unicodedata
from itertools import pairwise
from typing import cast

import anyio.to_thread
import numpy as np
import numpy.typing as npt

from stages.embedders._base import (
    Embeddings,
    HashingEmbedderConfig,
    normalize_row,
    normalize_rows,
)

U64 = npt.NDArray[np.uint64]
F64 = npt.NDArray[np.float64]
Slots = npt.NDArray[np.intp]

_WORDS = re.compile(r"\w+")
# What `_WORDS` keeps of ASCII text, case-folded, in one pass over bytes: letters lowered,
# digits and "_" kept, every other byte a space.
_ASCII_WORDS = bytes(byte if chr(byte).isascii() and (chr(byte).isalnum() or byte == 95)
                     else 32 for byte in range(256)).lower()
# As 0-d arrays, not numpy scalars: a ufunc takes them with less overhead.
_FNV_OFFSET = np.array(0xCBF29CE484222325, dtype=np.uint64)
_FNV_PRIME = np.array(0x100000001B3, dtype=np.uint64)
_MIX1 = np.array(0xFF51AFD7ED558CCD, dtype=np.uint64)
_MIX2 = np.array(0xC4CEB9FE1A85EC53, dtype=np.uint64)
_SHIFT = np.array(33, dtype=np.uint64)
_INLINE_CHARS = 4096
# Where a text with no features at all (empty, or only punctuation) puts its weight,
# so that it still gets a unit vector; all such texts are alike.
_EMPTY = "\x00empty"
# Word features remembered per embedder (~130 bytes each: ~4 MB). Embedded in order,
# 66k Quora questions found 86% of their words and 45% of their bigrams remembered,
# the 500 arena-hard prompts 72% and 20%.
_MEMO_SIZE = 1 << 15
_DIGEST = np.dtype("<u8")


def _finalise(h: U64) -> U64:
    """murmur3's fmix64: every input bit moves every output bit."""
    h ^= h >> _SHIFT
    h *= _MIX1
    h ^= h >> _SHIFT
    h *= _MIX2
    h ^= h >> _SHIFT
    return h


class HashingEmbedder:
    def __init__(self, config: HashingEmbedderConfig | None = None, *,
                 memo_size: int = _MEMO_SIZE) -> None:
        self.config = config = config or HashingEmbedderConfig()
        self.dim = config.dim
        self.name = f"hashing:{config.dim}"
        self._dim = np.array(config.dim, dtype=np.uint64)
        self._hasher = hashlib.blake2b(digest_size=8, person=b"reactor.w")
        # A word feature's digest (blake2b, ~0.4 us) is remembered: most words and many
        # bigrams recur from prompt to prompt. Forgotten all at once when full.
        self.memo: dict[str, bytes] = {}
        self.memo_size = memo_size
        # FNV's starting state for each character n-gram length, one row each.
        self._offsets = _FNV_OFFSET ^ np.arange(
            config.char_ngram_min, config.char_ngram_max + 1, dtype=np.uint64)[:, np.newaxis]
        self._empty: F64 = self._blocks(*self._slots(self._hashes([_EMPTY])), 1)[0]

    def _digest(self, feature: str) -> bytes:
        hasher = self._hasher.copy()
        hasher.update(feature.encode())
        digest = hasher.digest()
        memo = self.memo
        if len(memo) >= self.memo_size:
            memo.clear()
        memo[feature] = digest
        return digest

    @staticmethod
    def _words(text: str) -> list[str]:
        """The text's words, NFKC-normalised and case-folded. ASCII text (most prompts)
        needs neither and splits 4-5x faster through a byte table than through `\\w+`."""
        if text.isascii():
            return text.encode().translate(_ASCII_WORDS).decode().split()
        return _WORDS.findall(unicodedata.normalize("NFKC", text).casefold())

    def _features(self, words: list[str]) -> list[str]:
        """A text's words, then its word n-grams, by n and then by position."""
        features = list(words)
        longest = self.config.word_ngrams
        if longest > 1:
            features += map(" ".join, pairwise(words))  # bigrams, the common case
            for n in range(3, longest + 1):
                features += map(" ".join, zip(*[words[k:] for k in range(n)], strict=False))
        return features

    def _hashes(self, features: list[str]) -> U64:
        memo, digest = self.memo, self._digest
        joined = b"".join([memo.get(feature) or digest(feature) for feature in features])
        return np.frombuffer(joined, dtype=_DIGEST)

    def _char_grams(self, spelled: str) -> tuple[U64, int]:
        """Every character n-gram's hash in `spelled` (n from `char_ngram_min` to
        `char_ngram_max`), and `width`: row r holds n = `char_ngram_min` + r by start
        position, the first `width - r` of them n-grams, the rest padding. All lengths
        advance together: one numpy step per character of the longest n-gram."""
        low, high = self.config.char_ngram_min, self.config.char_ngram_max
        width = len(spelled) - low + 1
        if width <= 0:
            return np.empty((0, 0), dtype=np.uint64), 0
        codes = np.frombuffer((spelled + "\0" * (high - low)).encode("utf-32-le"),
                              dtype=np.uint32).astype(np.uint64)
        states = self._offsets ^ codes[:width]
        states *= _FNV_PRIME
        for k in range(1, high):
            # The lengths above k take their n-gram's character k.
            longer = states[max(0, k - low + 1):]
            longer ^= codes[k : k + width]
            longer *= _FNV_PRIME
        return _finalise(states), width

    def _slots(self, hashes: U64) -> tuple[Slots, F64]:
        """Each hash's slot (its low bits) and sign (its top bit)."""
        # The top bit set is a negative int64: one comparison, no shift.
        return (hashes % self._dim).astype(np.intp), np.where(hashes.view(np.int64) < 0,
                                                               1.0, -1.0)

    def _blocks(self, slots: Slots, signs: F64, count: int) -> F64:
        """Signed counts per slot, `count` rows (slot s of row i at i * dim + s), each
        row scaled to unit length."""
        block = np.bincount(slots, weights=signs, minlength=count * self.dim).astype(
            np.float64, copy=False)
        block = block.reshape(count, self.dim)
        norms = np.sqrt(np.einsum("ij,ij->i", block, block))
        # A row with nothing in it stays zero, divided by one: a `where=` mask would make
        # numpy take its slow masked loop over the whole block.
        norms[norms == 0] = 1.0
        block /= norms[:, None]
        return block

    def _vector(self, text: str) -> F64:
        """`_vectors` of one text (the common case when the pipeline is not busy): the
        same arithmetic, without the bookkeeping of which text each feature came from,
        and each block scaled in Python (a ufunc with a `where` costs more than that)."""
        config, dim = self.config, self.dim
        words = self._words(text)
        if not words:
            return self._empty[np.newaxis].copy()
        hashed = self._hashes(self._features(words))
        if config.char_weight > 0:
            grams, width = self._char_grams(f" {' '.join(words)} ")
            slots, signs = self._slots(np.concatenate(
                [hashed, *[grams[r, : width - r] for r in range(min(width, len(grams)))]]))
            # Both blocks in one scatter: the character block's slots after the words'.
            slots[len(hashed):] += dim
        else:
            slots, signs = self._slots(hashed)
        # Float64, as its weights are.
        counts = cast(F64, np.bincount(slots, weights=signs, minlength=2 * dim))
        vector, chars = counts[:dim], counts[dim:]
        for block in (vector, chars):
            # Sums of squared whole counts: exact in any order.
            squares = float(np.dot(block, block))
            if squares:
                block /= math.sqrt(squares)
        weight = config.char_weight
        if weight > 0:
            if weight != 1.0:  # times one is the same number: skip a pass
                chars *= weight
            vector += chars
        if not vector.any():
            return self._empty[np.newaxis].copy()
        return vector[np.newaxis]

    def _vectors(self, texts: list[str]) -> F64:
        """Numpy is called once per batch, not per text: for short texts its per-call
        overhead is most of the cost."""
        if len(texts) == 1:
            return self._vector(texts[0])
        config = self.config
        features: list[str] = []
        counts: list[int] = []
        spelled: list[str] = []
        spelled_rows: list[int] = []
        for row, text in enumerate(texts):
            words = self._words(text)
            before = len(features)
            features += self._features(words)
            counts.append(len(features) - before)
            if words:
                spelled.append(f" {' '.join(words)} ")
                spelled_rows.append(row)
        count = len(texts)
        hashed = self._hashes(features)
        word_rows = np.repeat(np.arange(count, dtype=np.intp), counts)
        if config.char_weight > 0 and spelled:
            rows = np.repeat(np.array(spelled_rows, dtype=np.intp),
                             [len(text) for text in spelled])
            grams, width = self._char_grams("".join(spelled))
            chars: list[U64] = []
            owners: list[Slots] = []
            for r in range(min(width, len(grams))):
                # N-grams that would span two texts are left out.
                inside = rows[: width - r] == rows[config.char_ngram_min + r - 1 :]
                chars.append(grams[r, : width - r][inside])
                # The character block's rows come after the words'.
                owners.append(rows[: width - r][inside] + count)
            slots, signs = self._slots(np.concatenate([hashed, *chars]))
            slots += np.concatenate([word_rows, *owners]) * self.dim
            blocks = self._blocks(slots, signs, 2 * count)
            vectors, spelling = blocks[:count], blocks[count:]
            spelling *= config.char_weight
            vectors += spelling
        else:
            slots, signs = self._slots(hashed)
            vectors = self._blocks(slots + word_rows * self.dim, signs, count)
        empty = ~vectors.any(axis=1)
        if empty.any():
            vectors[empty] = self._empty
        return vectors

    def encode(self, texts: list[str]) -> Embeddings:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        if len(texts) == 1:
            return normalize_row(self._vector(texts[0]))
        return normalize_rows(self._vectors(texts))

    async def embed(self, texts: list[str]) -> Embeddings:
        # ~35 us for one one-line prompt, ~5-17 us each in a batch of 64, ~0.35 ms per 4000
        # characters: short batches are not worth a thread hop, long ones would hold up
        # the event loop.
        if sum(len(text) for text in texts) <= _INLINE_CHARS:
            return self.encode(texts)
        return await anyio.to_thread.run_sync(self.encode, texts)
