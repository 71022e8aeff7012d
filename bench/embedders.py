"""Embedder speed and quality: embeddings per second, and how well cosine similarity
tells duplicate questions from different ones.

    python -m bench.embedders [--embedders hashing,minilm] [--seconds 3]
        [--pairs ../shared/data/paraphrase/qqp_shared.jsonl.gz] [--sample 2000] [--seed 0]
        [--http-base-url URL --http-model NAME --http-dim N [--http-key-env VAR]]

Speed goes through the protocol's `embed`, as the analyzer would call it (minilm's
thread hop included), one text per call and 32 per call, over distinct texts: the
pairs' questions when given, else a built-in list.

With `--pairs` (JSON lines of `text_a`, `text_b`, `label` 1 for a duplicate), a seeded
sample of pairs is embedded and scored by the ROC AUC of cosine(a, b): the chance that
a random duplicate pair scores above a random non-duplicate one (ties count half).

OpenBLAS uses every core by default; on a busy machine that is much slower than one
thread: compare with `OPENBLAS_NUM_THREADS=1 python -m bench.embedders ...`.
"""

from __future__ import annotations

import argparse
import gzip
import random
import time
from collections.abc import Sequence
from pathlib import Path

import aiohttp
import anyio
import msgspec
import numpy as np
import numpy.typing as npt

from stages.embedders import (
    Embedder,
    EmbedderConfig,
    EmbedderUnavailable,
    HashingEmbedderConfig,
    HttpEmbedderConfig,
    MiniLMEmbedderConfig,
    build_embedder,
)

SENTENCES = [
    "How do I reverse a list in Python?",
    "What is the capital of France?",
    "Write a haiku about autumn leaves.",
    "Explain the difference between TCP and UDP.",
    "Summarise the plot of Hamlet in three sentences.",
    "Translate 'good morning' into Spanish.",
    "What are the health benefits of green tea?",
    "Prove that the square root of two is irrational.",
]


class Pair(msgspec.Struct):
    text_a: str
    text_b: str
    label: int


def read_pairs(path: Path, sample: int, seed: int) -> list[Pair]:
    decoder = msgspec.json.Decoder(Pair)
    with gzip.open(path, "rb") if path.suffix == ".gz" else path.open("rb") as file:
        pairs = [decoder.decode(line) for line in file if line.strip()]
    return random.Random(seed).sample(pairs, min(sample, len(pairs)))


def roc_auc(scores: npt.NDArray[np.float64], labels: npt.NDArray[np.bool_]) -> float:
    """Mann-Whitney U over average ranks, so tied scores count half."""
    positives, negatives = int(labels.sum()), int((~labels).sum())
    if not positives or not negatives:
        raise ValueError("the AUC needs both duplicate and non-duplicate pairs")
    _, which, counts = np.unique(scores, return_inverse=True, return_counts=True)
    ranks = (np.cumsum(counts) - (counts - 1) / 2)[which]  # 1-based, ties averaged
    u = ranks[labels].sum() - positives * (positives + 1) / 2
    return float(u / (positives * negatives))


async def throughput(embedder: Embedder, texts: list[str], batch: int,
                     seconds: float) -> float:
    await embedder.embed(texts[:batch])  # warm-up: page in weights, start threads
    done, i = 0, 0
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        chunk = [texts[(i + j) % len(texts)] for j in range(batch)]
        await embedder.embed(chunk)
        done += batch
        i += batch
    return done / (time.perf_counter() - start)


async def embed_all(embedder: Embedder, texts: list[str],
                    batch: int = 32) -> npt.NDArray[np.float32]:
    parts = [await embedder.embed(texts[i : i + batch]) for i in range(0, len(texts), batch)]
    return np.concatenate(parts) if parts else np.zeros((0, embedder.dim), np.float32)


async def pairs_auc(embedder: Embedder, pairs: list[Pair]) -> float:
    a = await embed_all(embedder, [pair.text_a for pair in pairs])
    b = await embed_all(embedder, [pair.text_b for pair in pairs])
    scores = np.einsum("ij,ij->i", a.astype(np.float64), b.astype(np.float64))
    return roc_auc(scores, np.array([pair.label == 1 for pair in pairs]))


def configs(args: argparse.Namespace) -> list[EmbedderConfig]:
    chosen: list[EmbedderConfig] = []
    for name in args.embedders.split(","):
        match name.strip():
            case "hashing":
                chosen.append(HashingEmbedderConfig())
            case "minilm":
                chosen.append(MiniLMEmbedderConfig())
            case "http":
                if not (args.http_base_url and args.http_model and args.http_dim):
                    raise SystemExit("http needs --http-base-url, --http-model, --http-dim")
                chosen.append(HttpEmbedderConfig(
                    base_url=args.http_base_url, model=args.http_model, dim=args.http_dim,
                    api_key_env=args.http_key_env))
            case other:
                raise SystemExit(f"unknown embedder {other!r}: hashing, minilm or http")
    return chosen


async def run(args: argparse.Namespace) -> None:
    pairs = read_pairs(Path(args.pairs), args.sample, args.seed) if args.pairs else []
    texts = list(dict.fromkeys(p.text_a for p in pairs)) if pairs else SENTENCES
    auc_head = f"  AUC (n={len(pairs)})" if pairs else ""
    print(f"{'embedder':28} {'load s':>7} {'batch 1/s':>10} {'batch 32/s':>11}{auc_head}")
    async with aiohttp.ClientSession() as session:
        for config in configs(args):
            started = time.perf_counter()
            try:
                embedder = build_embedder(config, session=session)
            except EmbedderUnavailable as exc:
                print(f"{config.__struct_config__.tag!s:28} unavailable: {exc}")
                continue
            load = time.perf_counter() - started
            one = await throughput(embedder, texts, 1, args.seconds)
            many = await throughput(embedder, texts, 32, args.seconds)
            auc = f"  {await pairs_auc(embedder, pairs):.4f}" if pairs else ""
            print(f"{embedder.name:28} {load:7.2f} {one:10.0f} {many:11.0f}{auc}", flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.embedders", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--embedders", default="hashing,minilm")
    parser.add_argument("--seconds", type=float, default=3.0,
                        help="time spent measuring each speed")
    parser.add_argument("--pairs", help="JSON lines (optionally .gz) of labelled pairs")
    parser.add_argument("--sample", type=int, default=2000, help="pairs to score")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--http-base-url")
    parser.add_argument("--http-model")
    parser.add_argument("--http-dim", type=int)
    parser.add_argument("--http-key-env")
    args = parser.parse_args(argv)
    anyio.run(run, args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
