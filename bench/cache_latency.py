"""Semantic index speed: lookups at 100k entries, and where a graph starts to pay.

    OPENBLAS_NUM_THREADS=1 python -m bench.cache_latency [--entries 100000]
        [--queries 2000] [--partitions 2000]
        [--crossover-sizes 1024,2048,4096,6144,8192,12288,16384] [--seed 0] [--out DIR]

(`bench.eval_cache` runs this too, after its quality part.)

Synthetic unit vectors (seeded normal draws, scaled to length one), which are the hard
case for HNSW: no clusters, every point about equally far from every other. Queries
are either near-duplicates of a stored vector (cosine ~0.97, what a cache hit looks
like; recall@1 counts how often the stored original comes back first) or fresh random
vectors (what a miss looks like). Every lookup goes through `SemanticIndex.lookup`,
Python overhead included, timed one at a time on one thread.

- one partition: `entries` vectors in a single partition (graph search);
- many partitions: the same number spread over Zipf-sized partitions (a few large
  tenants or system prompts, a long tail of small ones), each query aimed at a
  partition with probability proportional to its size;
- crossover: one partition of each size searched exactly and through a graph.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import msgspec
import numpy as np

from stages.neighbours import Vectors
from stages.semantic.index import IndexParams, SemanticIndex
from stages.semantic.partition import PartitionParams

NEVER = 1 << 62


class Timing(msgspec.Struct, frozen=True, kw_only=True):
    case: str
    entries: int
    partitions: int
    graph_partitions: int
    queries: int
    build_s: float
    hit_p50_us: float
    hit_p99_us: float
    miss_p50_us: float
    miss_p99_us: float
    recall_at_1: float


class Crossing(msgspec.Struct, frozen=True, kw_only=True):
    size: int
    exact_p50_us: float
    exact_p99_us: float
    graph_p50_us: float
    graph_p99_us: float
    graph_add_us: float
    """Mean time to insert one vector into the graph, while building it."""


class LatencyReport(msgspec.Struct, frozen=True, kw_only=True):
    dim: int
    params: PartitionParams
    timings: list[Timing]
    crossings: list[Crossing]
    crossover: int | None
    """Smallest measured size at which the graph beats exact search at p50 and p99."""


def unit_rows(rng: np.random.Generator, n: int, dim: int) -> Vectors:
    rows = rng.standard_normal((n, dim)).astype(np.float32)
    rows /= np.linalg.norm(rows, axis=1, keepdims=True)
    return rows


def near(rng: np.random.Generator, rows: Vectors, cosine: float = 0.97) -> Vectors:
    """Rows at about `cosine` from `rows`: the original plus an orthogonal-ish nudge."""
    noise = unit_rows(rng, len(rows), rows.shape[1])
    mixed = cosine * rows + np.sqrt(1 - cosine**2) * noise
    out: Vectors = (mixed / np.linalg.norm(mixed, axis=1, keepdims=True)).astype(np.float32)
    return out


def _percentiles(samples: list[int]) -> tuple[float, float]:
    values = np.asarray(samples, dtype=np.float64) / 1000
    return float(np.percentile(values, 50)), float(np.percentile(values, 99))


def _time_lookups(index: SemanticIndex, keys: Sequence[str], queries: Vectors,
                  expected: Sequence[str] | None = None) -> tuple[float, float, float]:
    """(p50 µs, p99 µs, share of queries whose expected id came back first)."""
    samples: list[int] = []
    right = 0
    for i, (key, query) in enumerate(zip(keys, queries, strict=True)):
        started = time.perf_counter_ns()
        found = index.lookup(key, query, now=0.0, k=1)
        samples.append(time.perf_counter_ns() - started)
        if expected is not None and found and found[0][0] == expected[i]:
            right += 1
    p50, p99 = _percentiles(samples)
    return p50, p99, right / len(queries)


def timing(case: str, sizes: Sequence[int], dim: int, queries: int, params: PartitionParams,
           seed: int) -> Timing:
    """Fill an index with `sizes[i]` vectors in partition i, then time lookups."""
    rng = np.random.default_rng(seed)
    total = int(sum(sizes))
    index = SemanticIndex(IndexParams(dim=dim, max_entries=total, ttl_s=1e9, partition=params))
    rows = unit_rows(rng, total, dim)
    owner = np.repeat(np.arange(len(sizes)), sizes)
    started = time.perf_counter()
    for i in range(total):
        index.add(f"p{owner[i]}", rows[i], f"e{i}", now=0.0)
    build = time.perf_counter() - started
    picks = rng.integers(0, total, queries)
    keys = [f"p{owner[i]}" for i in picks]
    hit_p50, hit_p99, recall = _time_lookups(index, keys, near(rng, rows[picks]),
                                             [f"e{i}" for i in picks])
    miss_p50, miss_p99, _ = _time_lookups(index, keys, unit_rows(rng, queries, dim))
    stats = index.stats()
    return Timing(case=case, entries=total, partitions=len(sizes),
                  graph_partitions=stats.graph_partitions, queries=queries, build_s=build,
                  hit_p50_us=hit_p50, hit_p99_us=hit_p99, miss_p50_us=miss_p50,
                  miss_p99_us=miss_p99, recall_at_1=recall)


def zipf_sizes(total: int, partitions: int, exponent: float = 1.1) -> list[int]:
    """`partitions` sizes falling off as rank^-exponent, at least 1 each, summing to
    `total`."""
    weights = np.arange(1, partitions + 1, dtype=np.float64) ** -exponent
    sizes = np.maximum(1, np.floor(weights / weights.sum() * total)).astype(np.int64)
    sizes[0] += total - int(sizes.sum())
    return [int(s) for s in sizes]


def crossing(size: int, dim: int, queries: int, params: PartitionParams,
             seed: int) -> Crossing:
    rng = np.random.default_rng(seed)
    rows = unit_rows(rng, size, dim)
    probes = rng.integers(0, size, queries)
    mixed = np.concatenate([near(rng, rows[probes[: queries // 2]]),
                            unit_rows(rng, queries - queries // 2, dim)])
    keys = ["p"] * queries
    timings: list[tuple[float, float]] = []
    add_us = 0.0
    for graph_above in (NEVER, 1):
        index = SemanticIndex(IndexParams(dim=dim, max_entries=size, ttl_s=1e9,
                                          partition=msgspec.structs.replace(
                                              params, graph_above=graph_above,
                                              graph_below=0)))
        started = time.perf_counter()
        for i in range(size):
            index.add("p", rows[i], f"e{i}", now=0.0)
        if graph_above == 1:
            add_us = (time.perf_counter() - started) / size * 1e6
        p50, p99, _ = _time_lookups(index, keys, mixed)
        timings.append((p50, p99))
    (exact_p50, exact_p99), (graph_p50, graph_p99) = timings
    return Crossing(size=size, exact_p50_us=exact_p50, exact_p99_us=exact_p99,
                    graph_p50_us=graph_p50, graph_p99_us=graph_p99, graph_add_us=add_us)


def measure(entries: int, dim: int, queries: int, crossover_sizes: Sequence[int],
            seed: int, params: PartitionParams | None = None,
            partitions: int = 2000) -> LatencyReport:
    params = params or PartitionParams()
    crossings = [crossing(size, dim, queries, params, seed) for size in crossover_sizes]
    crossover = next((c.size for c in crossings if c.graph_p50_us < c.exact_p50_us
                      and c.graph_p99_us <= c.exact_p99_us), None)
    timings = [
        timing("one partition", [entries], dim, queries, params, seed),
        timing(f"{partitions} Zipf partitions", zipf_sizes(entries, partitions), dim,
               queries, params, seed),
    ]
    return LatencyReport(dim=dim, params=params, timings=timings, crossings=crossings,
                         crossover=crossover)


def latency_table(report: LatencyReport) -> list[str]:
    p = report.params
    lines = [
        "## Lookup latency",
        "",
        f"Synthetic {report.dim}-d unit vectors; `SemanticIndex.lookup(k=1)` one at a time "
        f"on one thread; graph past {p.graph_above} entries per partition (M={p.m}, "
        f"ef_construction={p.ef_construction}, ef={p.ef}). Hit queries sit at cosine "
        "~0.97 from a stored vector; recall@1 is how often that vector comes back first.",
        "",
        "| case | entries | partitions (graph) | build s | hit p50 µs | hit p99 µs "
        "| miss p50 µs | miss p99 µs | recall@1 |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for t in report.timings:
        lines.append(
            f"| {t.case} | {t.entries} | {t.partitions} ({t.graph_partitions}) "
            f"| {t.build_s:.1f} | {t.hit_p50_us:.0f} | {t.hit_p99_us:.0f} "
            f"| {t.miss_p50_us:.0f} | {t.miss_p99_us:.0f} | {t.recall_at_1:.3f} |")
    lines += [
        "",
        "## Exact search or graph, by partition size",
        "",
        "Half near-duplicate, half random queries. Crossover (graph better at p50 and p99): "
        f"**{report.crossover if report.crossover is not None else 'not reached'}**.",
        "",
        "| size | exact p50 µs | exact p99 µs | graph p50 µs | graph p99 µs "
        "| graph insert µs |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    for c in report.crossings:
        lines.append(f"| {c.size} | {c.exact_p50_us:.0f} | {c.exact_p99_us:.0f} "
                     f"| {c.graph_p50_us:.0f} | {c.graph_p99_us:.0f} "
                     f"| {c.graph_add_us:.0f} |")
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.cache_latency", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=2000)
    parser.add_argument("--partitions", type=int, default=2000)
    parser.add_argument("--dim", type=int, default=384)
    parser.add_argument("--crossover-sizes", default="1024,2048,4096,6144,8192,12288,16384")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=Path("bench/out/cache_latency"))
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.crossover_sizes.split(",") if s.strip()]
    report = measure(args.entries, args.dim, args.queries, sizes, args.seed,
                     partitions=args.partitions)
    text = "\n".join(latency_table(report)) + "\n"
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "table.md").write_text(text)
    (args.out / "results.json").write_bytes(msgspec.json.format(msgspec.json.encode(report)))
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
