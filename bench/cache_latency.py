"""Semantic lookup speed at 100k entries, and where a graph starts to pay.

    OPENBLAS_NUM_THREADS=1 python -m bench.cache_latency [--entries 100000]
        [--queries 2000] [--partitions 2000] [--runs 1]
        [--crossover-sizes 1024,2048,4096,6144,8192,12288,16384] [--seed 0] [--out DIR]
        [--graph-dim 96] [--rerank 8]

(`bench.eval_cache` runs this too, after its quality part; `--crossover-sizes ""`
skips the crossover part.)

Synthetic unit vectors (seeded normal draws, scaled to length one), which are the hard
case for HNSW: no clusters, every point about equally far from every other. Each entry
also keeps the `Reading` of a made-up one-line question, as the cache does. Every
lookup is a whole `stages.semantic.policy.weigh` (the k=3 nearest, the threshold, the
query read once, each close candidate's reading decoded and the guards run), as the
cache actor does it, timed one at a time on one thread, in wall-clock time and in the
thread's CPU time (which leaves out the time the scheduler gave to other processes:
on a shared machine the wall-clock p99 is mostly that). Queries are:

- hits: near-duplicates of a stored vector (cosine ~0.97) asking its question;
  recall@1 counts how often that entry is served;
- vetoes: the same vectors asking another entry's question (read, decoded, refused);
- misses: fresh random vectors (nothing clears the threshold, nothing is read).

- one partition: `entries` vectors in a single partition (graph search);
- many partitions: the same number spread over Zipf-sized partitions (a few large
  tenants or system prompts, a long tail of small ones), each query aimed at a
  partition with probability proportional to its size;
- crossover: one partition of each size searched exactly and through a graph.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import msgspec
import numpy as np

from stages.neighbours import Vectors
from stages.semantic.index import IndexParams, SemanticIndex
from stages.semantic.partition import PartitionParams
from stages.semantic.policy import weigh
from stages.semantic.reading import encode_reading, read

NEVER = 1 << 62
EMBEDDER = "minilm:bench"
"""Weighed at MiniLM's default threshold."""
_ASKING = ("What is the best way to", "How do I", "Why does it take so long to",
           "Where can I learn to", "Is it safe to")
_DOING = ("repair", "paint", "clean", "sell", "insure", "store", "ship", "photograph")
_THING = ("a bicycle", "an old piano", "a leather sofa", "a laptop battery", "a wool coat",
          "a garden shed", "a fish tank", "a vinyl record", "a cast iron pan")
_WHERE = ("in winter", "at home", "on a budget", "in a small flat", "without tools",
          "near Leeds", "for a wedding", "before moving")


class Timing(msgspec.Struct, frozen=True, kw_only=True):
    case: str
    run: int
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
    veto_p50_us: float = 0.0
    veto_p99_us: float = 0.0
    hit_cpu_p50_us: float = 0.0
    hit_cpu_p99_us: float = 0.0
    miss_cpu_p50_us: float = 0.0
    miss_cpu_p99_us: float = 0.0
    veto_cpu_p99_us: float = 0.0
    reading_bytes_per_entry: float = 0.0
    """Encoded readings only; each is also a bytes object (+33 B) in its entry."""
    index_bytes_per_entry: float = 0.0
    """Vectors and graphs, per entry."""
    load_before: float = 0.0
    load_after: float = 0.0
    """The machine's 1-minute load average as the timing started and ended."""


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


def question(rng: np.random.Generator) -> str:
    parts = (_ASKING, _DOING, _THING, _WHERE)
    return " ".join(str(part[int(rng.integers(len(part)))]) for part in parts) + "?"


class Lookups(msgspec.Struct, frozen=True):
    p50_us: float
    p99_us: float
    cpu_p50_us: float
    cpu_p99_us: float
    served: float
    """Share of queries served the expected entry."""


def _time_lookups(index: SemanticIndex, keys: Sequence[str], queries: Vectors,
                  texts: Sequence[str], expected: Sequence[str] | None = None) -> Lookups:
    wall: list[int] = []
    cpu: list[int] = []
    right = 0
    gc.collect()  # not one left over from the build, in the middle of the timings
    for i, (key, query) in enumerate(zip(keys, queries, strict=True)):
        started, started_cpu = time.perf_counter_ns(), time.thread_time_ns()
        weighed = weigh(index, key, query, texts[i], 0.0, EMBEDDER)
        cpu.append(time.thread_time_ns() - started_cpu)
        wall.append(time.perf_counter_ns() - started)
        if expected is not None and weighed.entry_id == expected[i]:
            right += 1
    p50, p99 = _percentiles(wall)
    cpu_p50, cpu_p99 = _percentiles(cpu)
    return Lookups(p50, p99, cpu_p50, cpu_p99, right / len(queries))


def timing(case: str, sizes: Sequence[int], dim: int, queries: int, params: PartitionParams,
           seed: int, run: int = 0) -> Timing:
    """Fill an index with `sizes[i]` vectors in partition i, then time lookups."""
    rng = np.random.default_rng(seed)
    total = int(sum(sizes))
    index = SemanticIndex(IndexParams(dim=dim, max_entries=total, ttl_s=1e9, partition=params))
    rows = unit_rows(rng, total, dim)
    texts = [question(rng) for _ in range(total)]
    owner = np.repeat(np.arange(len(sizes)), sizes)
    started = time.perf_counter()
    for i in range(total):
        index.add(f"p{owner[i]}", rows[i], f"e{i}", now=0.0,
                  reading=encode_reading(read(texts[i])))
    build = time.perf_counter() - started
    picks = rng.integers(0, total, queries)
    keys = [f"p{owner[i]}" for i in picks]
    nearby = near(rng, rows[picks])
    load_before = os.getloadavg()[0]
    hits = _time_lookups(index, keys, nearby, [texts[i].lower() for i in picks],
                         [f"e{i}" for i in picks])
    others = [texts[i] for i in rng.integers(0, total, queries)]
    vetoes = _time_lookups(index, keys, nearby, [f"{t} Or not at all" for t in others])
    misses = _time_lookups(index, keys, unit_rows(rng, queries, dim),
                           [texts[i] for i in picks])
    stats = index.stats()
    return Timing(case=case, run=run, entries=total, partitions=len(sizes),
                  graph_partitions=stats.graph_partitions, queries=queries, build_s=build,
                  hit_p50_us=hits.p50_us, hit_p99_us=hits.p99_us, miss_p50_us=misses.p50_us,
                  miss_p99_us=misses.p99_us, recall_at_1=hits.served,
                  veto_p50_us=vetoes.p50_us, veto_p99_us=vetoes.p99_us,
                  hit_cpu_p50_us=hits.cpu_p50_us, hit_cpu_p99_us=hits.cpu_p99_us,
                  miss_cpu_p50_us=misses.cpu_p50_us, miss_cpu_p99_us=misses.cpu_p99_us,
                  veto_cpu_p99_us=vetoes.cpu_p99_us,
                  reading_bytes_per_entry=stats.reading_bytes / total,
                  index_bytes_per_entry=(stats.vector_bytes + stats.graph_bytes) / total,
                  load_before=load_before, load_after=os.getloadavg()[0])


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
        samples: list[int] = []
        for key, query in zip(keys, mixed, strict=True):
            started_ns = time.perf_counter_ns()
            index.lookup(key, query, now=0.0, k=1)
            samples.append(time.perf_counter_ns() - started_ns)
        timings.append(_percentiles(samples))
    (exact_p50, exact_p99), (graph_p50, graph_p99) = timings
    return Crossing(size=size, exact_p50_us=exact_p50, exact_p99_us=exact_p99,
                    graph_p50_us=graph_p50, graph_p99_us=graph_p99, graph_add_us=add_us)


def measure(entries: int, dim: int, queries: int, crossover_sizes: Sequence[int],
            seed: int, params: PartitionParams | None = None,
            partitions: int = 2000, runs: int = 1) -> LatencyReport:
    params = params or PartitionParams()
    crossings = [crossing(size, dim, queries, params, seed) for size in crossover_sizes]
    crossover = next((c.size for c in crossings if c.graph_p50_us < c.exact_p50_us
                      and c.graph_p99_us <= c.exact_p99_us), None)
    timings = [
        timing(case, sizes, dim, queries, params, seed + run, run)
        for run in range(runs)
        for case, sizes in (("one partition", [entries]),
                            (f"{partitions} Zipf partitions",
                             zipf_sizes(entries, partitions)))
    ]
    return LatencyReport(dim=dim, params=params, timings=timings, crossings=crossings,
                         crossover=crossover)


def latency_table(report: LatencyReport) -> list[str]:
    p = report.params
    lines = [
        "## Lookup latency",
        "",
        f"Synthetic {report.dim}-d unit vectors, each entry with a made-up question's "
        "reading; a whole `weigh` (k=3, threshold, guards) one at a time on one thread; "
        f"graph past {p.graph_above} entries per partition (M={p.m}, "
        f"ef_construction={p.ef_construction}, ef={p.ef}; vectors projected to "
        f"{p.projected_dim(report.dim)}-d in the graph, its {p.rerank} nearest re-scored "
        "whole). Hit and veto queries sit at "
        "cosine ~0.97 from a stored vector (the hit asks its question, the veto another); "
        "recall@1 is how often the hit is served. Wall-clock µs, then the thread's CPU "
        "µs (without the time other processes had the core); load is the 1-minute load "
        "average before / after the timings.",
        "",
        "| case | run | entries | partitions (graph) | build s | hit p50 | hit p99 "
        "| miss p50 | miss p99 | veto p50 | veto p99 | CPU hit p50 / p99 "
        "| CPU miss p50 / p99 | CPU veto p99 | recall@1 | reading B/entry "
        "| vectors+graph B/entry | load |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:"
        "|---:|---:|",
    ]
    for t in report.timings:
        lines.append(
            f"| {t.case} | {t.run} | {t.entries} | {t.partitions} ({t.graph_partitions}) "
            f"| {t.build_s:.1f} | {t.hit_p50_us:.0f} | {t.hit_p99_us:.0f} "
            f"| {t.miss_p50_us:.0f} | {t.miss_p99_us:.0f} | {t.veto_p50_us:.0f} "
            f"| {t.veto_p99_us:.0f} | {t.hit_cpu_p50_us:.0f} / {t.hit_cpu_p99_us:.0f} "
            f"| {t.miss_cpu_p50_us:.0f} / {t.miss_cpu_p99_us:.0f} "
            f"| {t.veto_cpu_p99_us:.0f} | {t.recall_at_1:.3f} "
            f"| {t.reading_bytes_per_entry:.0f} | {t.index_bytes_per_entry:.0f} "
            f"| {t.load_before:.1f} / {t.load_after:.1f} |")
    if not report.crossings:
        return lines
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
    parser.add_argument("--runs", type=int, default=1, help="index builds per case")
    parser.add_argument("--dim", type=int, default=384)
    parser.add_argument("--crossover-sizes", default="1024,2048,4096,6144,8192,12288,16384")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--graph-dim", type=int, default=PartitionParams().graph_dim,
                        help="dimensions the graph's vectors are projected to (0: whole)")
    parser.add_argument("--rerank", type=int, default=PartitionParams().rerank)
    parser.add_argument("--out", type=Path, default=Path("bench/out/cache_latency"))
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.crossover_sizes.split(",") if s.strip()]
    params = PartitionParams(graph_dim=args.graph_dim, rerank=args.rerank)
    report = measure(args.entries, args.dim, args.queries, sizes, args.seed, params,
                     partitions=args.partitions, runs=args.runs)
    text = "\n".join(latency_table(report)) + "\n"
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "table.md").write_text(text)
    (args.out / "results.json").write_bytes(msgspec.json.format(msgspec.json.encode(report)))
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
