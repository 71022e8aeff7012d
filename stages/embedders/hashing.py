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


def _char_hashes(codes: U64, rows: npt.NDArray[np.intp] | None, low: int,
                 high: int) -> tuple[U64, npt.NDArray[np.intp] | None]:
    """Every character n-gram's hash (n from `low` to `high`) of texts laid end to end,
    with the row each came from (`rows`: each character's; None for a single text);
    n-grams that would span two texts are left out. Per row they come in the order of
    one text alone: by n, then by position."""
    hashes: list[U64] = []
    owners: list[npt.NDArray[np.intp]] = []
    for n in range(low, high + 1):
        count = len(codes) - n + 1
        if count <= 0:
            break
        h = np.full(count, _FNV_OFFSET ^ np.uint64(n), dtype=np.uint64)
        for k in range(n):
            h ^= codes[k : k + count]
            h *= _FNV_PRIME
        if rows is not None:
            inside = rows[:count] == rows[n - 1 :]
            h = h[inside]
            owners.append(rows[:count][inside])
        hashes.append(h)
    if not hashes:
        return np.empty(0, dtype=np.uint64), None if rows is None else np.empty(0, np.intp)
    return _finalise(np.concatenate(hashes)), None if rows is None else np.concatenate(owners)


class HashingEmbedder:
    def __init__(self, config: HashingEmbedderConfig | None = None) -> None:
        self.config = config = config or HashingEmbedderConfig()
        self.dim = config.dim
        self.name = f"hashing:{config.dim}"
        self._dim = np.uint64(config.dim)

    def _scatter(self, hashes: U64, rows: npt.NDArray[np.intp] | None, count: int) -> F64:
        """Signed counts per slot, one row per text (`rows`: each hash's; None for a
        single text), each row scaled to unit length."""
        signs = np.where((hashes >> _TOP) == 1, 1.0, -1.0)
        slots = (hashes % self._dim).astype(np.intp)
        if rows is not None:
            slots += rows * self.dim
        block = np.bincount(slots, weights=signs, minlength=count * self.dim).astype(
            np.float64, copy=False)
        block = block.reshape(count, self.dim)
        norms = np.sqrt(np.einsum("ij,ij->i", block, block))
        np.divide(block, norms[:, None], out=block, where=norms[:, None] > 0)
        return block

    def _vectors(self, texts: list[str]) -> F64:
        """Numpy is called once per batch, not per text: for short texts its per-call
        overhead is most of the cost."""
        config = self.config
        word_hashes: list[int] = []
        word_rows: list[int] = []
        spelled: list[str] = []
        spelled_rows: list[int] = []
        for row, text in enumerate(texts):
            words = _WORDS.findall(unicodedata.normalize("NFKC", text).casefold())
            for n in range(1, config.word_ngrams + 1):
                for i in range(len(words) - n + 1):
                    word_hashes.append(_word_hash(" ".join(words[i : i + n])))
                    word_rows.append(row)
            if words:
                spelled.append(f" {' '.join(words)} ")
                spelled_rows.append(row)
        count = len(texts)
        hashed = np.array(word_hashes, dtype=np.uint64)
        if config.char_weight > 0 and spelled:
            codes = np.frombuffer("".join(spelled).encode("utf-32-le"),
                                  dtype=np.uint32).astype(np.uint64)
            # One text alone (the common case when the pipeline is not busy) skips the
            # bookkeeping of which text each character belongs to.
            rows = None if count == 1 else np.repeat(np.array(spelled_rows, dtype=np.intp),
                                                     [len(text) for text in spelled])
            chars, owners = _char_hashes(codes, rows, config.char_ngram_min,
                                         config.char_ngram_max)
            # Both blocks in one scatter: the character block's rows come after the words'.
            word_owners = np.array(word_rows, dtype=np.intp)
            char_owners = np.zeros(len(chars), dtype=np.intp) if owners is None else owners
            blocks = self._scatter(np.concatenate([hashed, chars]),
                                   np.concatenate([word_owners, char_owners + count]),
                                   2 * count)
            vectors = blocks[:count]
            vectors += config.char_weight * blocks[count:]
        else:
            vectors = self._scatter(hashed, np.array(word_rows, dtype=np.intp), count)
        empty = ~vectors.any(axis=1)
        if empty.any():
            vectors[empty] = self._scatter(np.array([_word_hash(_EMPTY)], dtype=np.uint64),
                                           None, 1)[0]
        return vectors

    def encode(self, texts: list[str]) -> Embeddings:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return normalize_rows(self._vectors(texts))

    async def embed(self, texts: list[str]) -> Embeddings:
        # ~60 us for one one-line prompt, ~8 us each in a batch of 64, ~2.5 ms per 4000
        # characters: short batches are not worth a thread hop, long ones would hold up
        # the event loop.
        if sum(len(text) for text in texts) <= _INLINE_CHARS:
            return self.encode(texts)
        return await anyio.to_thread.run_sync(self.encode, texts)
