"""Semantic cache evaluation: how often would a hit serve the answer to another question?

    OPENBLAS_NUM_THREADS=1 python -m bench.eval_cache
        --pairs ../shared/data/paraphrase/qqp_shared.jsonl.gz [--embedder hashing,minilm]
        [--sample N] [--seed 0] [--dev-share 0.5] [--cache DIR] [--out DIR]
        [--latency-entries 100000] [--no-latency] [--no-quality] [--relabel FILE]

Each labelled pair (`text_a`, `text_b`, `label` 1 for a duplicate) stands for a cache
holding `text_a`'s answer and a request asking `text_b`: a *hit* is a pair whose
cosine similarity reaches the threshold (and, with guards, that no guard vetoes).
Per embedder and threshold: hits, precision (duplicates among hits), the false-hit
share (1 - precision) and recall (duplicates hit among all duplicates).

The pairs are split once by a seeded hash of their text into a development half and a
test half, so a pair's side never depends on `--sample`. The guards
(`stages.semantic.guards`) were written by looking at development pairs only, and the
threshold is chosen on the development half: the lowest whose false-hit share is at
most 1% (over at least 20 hits), or, when none gets there, the one with the lowest 95%
(Wilson) upper bound on that share, which weighs a low share against the few hits it
may rest on (so use enough pairs: all of them by default). Every figure in the table
is from the test half; the only texts it quotes (false hits the guards let through)
are development pairs, so that reading the table never leaks the test half into the
next guard. False hits between texts identical up to case, spacing and punctuation are
counted apart (and the false-hit share is also given without them): they are label
noise, a floor no threshold gets under, and the headline share still counts them.
Label noise is also measured without that bias: `--relabel FILE` (default
bench/qqp_test_hits_relabel.toml, made with `bench.cache_relabel`) holds a blind
re-reading of the test pairs served at the default thresholds, and the table gives,
beside QQP's figures, the false-hit share against it and how often the two agree.
A second part times lookups (`bench.cache_latency`). Writes DIR/table.md and
DIR/results.json (default bench/out/eval_cache).
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import math
import random
import re
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path

import msgspec
import numpy as np
import numpy.typing as npt

from bench.cache_latency import LatencyReport, latency_table, measure
from bench.cache_relabel import RELABEL_FILE, Agreement, compare, load, pair_id
from bench.embedders import Pair
from bench.routing_embed import cached
from stages.embedders import HashingEmbedder, MiniLMEmbedder
from stages.semantic.guards import veto_reading
from stages.semantic.policy import DEFAULT_THRESHOLDS
from stages.semantic.reading import read

Embed = Callable[[list[str]], npt.NDArray[np.float32]]
THRESHOLDS = tuple(round(0.80 + 0.005 * i, 3) for i in range(41))
TARGET = 0.01
MIN_HITS = 20
_BATCH = 256
_NOT_WORD = re.compile(r"[\W_]+")


class Row(msgspec.Struct, frozen=True, kw_only=True):
    threshold: float
    guards: bool
    hits: int
    false_hits: int
    identical_false_hits: int
    """False hits between texts equal up to case, spacing and punctuation: label noise."""
    precision: float
    false_share: float
    false_share_upper: float
    """95% Wilson upper bound on the false-hit share."""
    false_share_without_noise: float
    """The false-hit share with the identical-text false hits left out of both counts."""
    recall: float


class Choice(msgspec.Struct, frozen=True, kw_only=True):
    guards: bool
    threshold: float
    rule: str
    dev: Row
    test: Row


class GuardEffect(msgspec.Struct, frozen=True, kw_only=True):
    """On test pairs at or above the chosen threshold, before any guard."""

    guard: str
    vetoed_false: int
    """Non-duplicates it vetoes (first guard to veto gets the pair)."""
    vetoed_true: int
    """Duplicates it vetoes: recall it costs."""


class Example(msgspec.Struct, frozen=True, kw_only=True):
    similarity: float
    text_a: str
    text_b: str


class Reread(msgspec.Struct, frozen=True, kw_only=True):
    """Test hits at the default threshold, guards on, against QQP and a blind reading."""

    threshold: float
    hits: int
    read: int
    """Hits the re-reading covers; the figures below are over these only."""
    false_qqp: int
    false_read: int
    false_share_qqp: float
    false_share_qqp_upper: float
    false_share_read: float
    false_share_read_upper: float
    recall_qqp: float
    recall_read: float
    """Recall with the re-read pairs' labels replaced by the reading, QQP's elsewhere."""
    agreement: Agreement


class EmbedderReport(msgspec.Struct, frozen=True, kw_only=True):
    embedder: str
    dev_pairs: int
    test_pairs: int
    test_duplicates: int
    test_identical: int
    """Test pairs whose texts are identical up to case, spacing and punctuation..."""
    test_identical_different: int
    """... and how many of those are labelled different: the noise floor."""
    sweep: list[Row]
    """On test, every threshold, without and with guards."""
    choices: list[Choice]
    guard_effects: list[GuardEffect]
    false_hits_left: list[Example]
    """Development false hits that pass the guards at the chosen threshold (up to ten):
    what the next guard would be designed from. The test half's are only counted."""
    guard_p50_us: float
    guard_p99_us: float
    """Both texts read and every guard run, per test pair."""
    reread: Reread | None = None


class Report(msgspec.Struct, frozen=True, kw_only=True):
    data: str
    seed: int
    sample: int | None
    dev_share: float
    embedders: list[EmbedderReport]
    latency: LatencyReport | None
    relabel: str | None = None
    relabel_agreement: Agreement | None = None
    """QQP against the blind reading over every test pair the reading covers."""


def read_all_pairs(path: Path) -> list[Pair]:
    decoder = msgspec.json.Decoder(Pair)
    with gzip.open(path, "rb") if path.suffix == ".gz" else path.open("rb") as file:
        return [decoder.decode(line) for line in file if line.strip()]


def is_dev(pair: Pair, seed: int, dev_share: float) -> bool:
    digest = hashlib.blake2b(f"{seed}\x00{pair.text_a}\x00{pair.text_b}".encode(),
                             digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64 < dev_share


def wilson_upper(false: int, n: int, z: float = 1.96) -> float:
    if n == 0:
        return 1.0
    p = false / n
    centre = p + z * z / (2 * n)
    spread = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return min(1.0, (centre + spread) / (1 + z * z / n))


def row(threshold: float, guards: bool, hit: npt.NDArray[np.bool_],
        labels: npt.NDArray[np.bool_], identical: npt.NDArray[np.bool_] | None = None) -> Row:
    hits, true = int(hit.sum()), int((hit & labels).sum())
    false = hits - true
    same = 0 if identical is None else int((hit & ~labels & identical).sum())
    return Row(threshold=threshold, guards=guards, hits=hits, false_hits=false,
               identical_false_hits=same, precision=true / hits if hits else 1.0,
               false_share=false / hits if hits else 0.0,
               false_share_upper=wilson_upper(false, hits),
               false_share_without_noise=(false - same) / (hits - same) if hits > same else 0.0,
               recall=true / max(int(labels.sum()), 1))


def sweep(similarity: npt.NDArray[np.float32], vetoed: npt.NDArray[np.bool_],
          labels: npt.NDArray[np.bool_], identical: npt.NDArray[np.bool_]) -> list[Row]:
    return [row(t, guards, (similarity >= t) & ~(vetoed & guards), labels, identical)
            for guards in (False, True) for t in THRESHOLDS]


def identical_texts(pair: Pair) -> bool:
    return _squeeze(pair.text_a) == _squeeze(pair.text_b)


def _squeeze(text: str) -> str:
    return _NOT_WORD.sub("", text.casefold())


def choose(rows: Sequence[Row]) -> tuple[Row, str]:
    """The development rule: see the module docstring."""
    enough = [r for r in rows if r.hits >= MIN_HITS] or [max(rows, key=lambda r: r.threshold)]
    met = [r for r in enough if r.false_share <= TARGET]
    if met:
        return min(met, key=lambda r: r.threshold), f"lowest with false hits <= {TARGET:.0%}"
    best = min(enough, key=lambda r: (r.false_share_upper, r.threshold))
    return best, f"{TARGET:.0%} not reached: lowest upper bound"


def load_embed(name: str, cache: Path | None) -> tuple[Embed, str]:
    embedder = HashingEmbedder() if name == "hashing" else MiniLMEmbedder()

    def embed(texts: list[str]) -> npt.NDArray[np.float32]:
        parts = [embedder.encode(texts[i : i + _BATCH]) for i in range(0, len(texts), _BATCH)]
        return np.concatenate(parts) if parts else np.zeros((0, embedder.dim), np.float32)

    if cache is None:
        return embed, embedder.name
    cache.mkdir(parents=True, exist_ok=True)
    return cached(embed, embedder.name, cache / f"{name}.npz"), embedder.name


def similarities(pairs: Sequence[Pair], embed: Embed) -> npt.NDArray[np.float32]:
    """Each pair's cosine similarity (every distinct text embedded once, in one call, so
    that `--cache` keeps one file per embedder)."""
    texts = list(dict.fromkeys([p.text_a for p in pairs] + [p.text_b for p in pairs]))
    where = {text: i for i, text in enumerate(texts)}
    vectors = embed(texts)
    a = vectors[[where[p.text_a] for p in pairs]]
    b = vectors[[where[p.text_b] for p in pairs]]
    similarity: npt.NDArray[np.float32] = np.einsum("ij,ij->i", a, b).astype(np.float32)
    return similarity


def reread(hit: npt.NDArray[np.bool_], labels: npt.NDArray[np.bool_], ids: Sequence[str],
           reading: dict[str, bool], threshold: float) -> Reread:
    """`hit` and `labels` over test pairs only, `ids` their `pair_id`s."""
    covered = np.array([i in reading for i in ids], dtype=bool)
    mine = np.array([reading.get(i, False) for i in ids], dtype=bool)
    merged = np.where(covered, mine, labels)
    read = hit & covered
    n = int(read.sum())
    false_qqp, false_read = int((read & ~labels).sum()), int((read & ~mine).sum())
    return Reread(
        threshold=threshold, hits=int(hit.sum()), read=n, false_qqp=false_qqp,
        false_read=false_read, false_share_qqp=false_qqp / n if n else 0.0,
        false_share_qqp_upper=wilson_upper(false_qqp, n),
        false_share_read=false_read / n if n else 0.0,
        false_share_read_upper=wilson_upper(false_read, n),
        recall_qqp=int((hit & labels).sum()) / max(int(labels.sum()), 1),
        recall_read=int((hit & merged).sum()) / max(int(merged.sum()), 1),
        agreement=compare(labels[read].tolist(), mine[read].tolist()))


def evaluate(pairs: Sequence[Pair], dev: npt.NDArray[np.bool_], embed: Embed,
             name: str, reading: dict[str, bool] | None = None) -> EmbedderReport:
    similarity = similarities(pairs, embed)
    labels = np.array([p.label == 1 for p in pairs])
    reasons: list[str | None] = []
    spent: list[int] = []
    for p in pairs:
        started = time.perf_counter_ns()
        reasons.append(veto_reading(read(p.text_b), read(p.text_a)))
        spent.append(time.perf_counter_ns() - started)
    vetoed = np.array([r is not None for r in reasons])
    identical = np.array([identical_texts(p) for p in pairs])
    test = ~dev
    choices: list[Choice] = []
    for guards in (False, True):
        dev_rows = [r for r in sweep(similarity[dev], vetoed[dev], labels[dev],
                                     identical[dev]) if r.guards == guards]
        picked, rule = choose(dev_rows)
        on_test = row(picked.threshold, guards, (similarity[test] >= picked.threshold)
                      & ~(vetoed[test] & guards), labels[test], identical[test])
        choices.append(Choice(guards=guards, threshold=picked.threshold, rule=rule,
                              dev=picked, test=on_test))
    threshold = choices[1].threshold
    above = test & (similarity >= threshold)
    effects = [GuardEffect(guard=guard,
                           vetoed_false=sum(1 for i in np.flatnonzero(above)
                                            if reasons[i] == guard and not labels[i]),
                           vetoed_true=sum(1 for i in np.flatnonzero(above)
                                           if reasons[i] == guard and labels[i]))
               for guard, _ in Counter(r for r in reasons if r is not None).most_common()]
    left = [int(i) for i in np.flatnonzero(dev & (similarity >= threshold) & ~vetoed & ~labels)]
    examples = [Example(similarity=float(similarity[i]), text_a=pairs[i].text_a,
                        text_b=pairs[i].text_b)
                for i in sorted(left, key=lambda i: -similarity[i])[:10]]
    micros = np.asarray(spent, dtype=np.float64)[test] / 1000
    default = DEFAULT_THRESHOLDS.for_embedder(name)
    again = None
    if reading is not None and default is not None:
        ids = [pair_id(pairs[int(i)]) for i in np.flatnonzero(test)]
        again = reread((similarity[test] >= default) & ~vetoed[test], labels[test], ids,
                       reading, default)
    return EmbedderReport(
        embedder=name, dev_pairs=int(dev.sum()), test_pairs=int(test.sum()),
        test_duplicates=int(labels[test].sum()),
        test_identical=int((identical & test).sum()),
        test_identical_different=int((identical & test & ~labels).sum()),
        sweep=sweep(similarity[test], vetoed[test], labels[test], identical[test]),
        choices=choices,
        guard_effects=effects, false_hits_left=examples,
        guard_p50_us=float(np.percentile(micros, 50)) if len(micros) else 0.0,
        guard_p99_us=float(np.percentile(micros, 99)) if len(micros) else 0.0,
        reread=again)


def _pct(x: float) -> str:
    return f"{100 * x:.2f}%"


def table(report: Report) -> str:
    lines = [f"# Semantic cache evaluation: {Path(report.data).name}", ""]
    if report.embedders:
        e0 = report.embedders[0]
        lines += [
            f"- {e0.dev_pairs} development and {e0.test_pairs} test pairs ({e0.test_duplicates} "
            f"test duplicates); split by a seeded hash (seed {report.seed}, development share "
            f"{report.dev_share}); sample: {report.sample or 'all'}.",
            "- Guards and thresholds were developed and chosen on the development pairs "
            "only; every figure below is from the test pairs.",
            f"- Label noise: {e0.test_identical_different} of the {e0.test_identical} test "
            "pairs whose texts are identical up to case, spacing and punctuation are "
            "labelled different; any cache that serves such repeats counts them as false "
            "hits.",
            "",
            "## Chosen thresholds (test)",
            "",
            "| embedder | guards | threshold | rule (on dev) | hits | false hits "
            "(identical texts) | false share (95% upper) | without identical texts "
            "| recall |",
            "|---|---|---:|---|---:|---:|---:|---:|---:|",
        ]
    for e in report.embedders:
        for c in e.choices:
            t = c.test
            lines.append(
                f"| {e.embedder} | {'on' if c.guards else 'off'} | {c.threshold:.3f} "
                f"| {c.rule} | {t.hits} | {t.false_hits} ({t.identical_false_hits}) "
                f"| {_pct(t.false_share)} ({_pct(t.false_share_upper)}) "
                f"| {_pct(t.false_share_without_noise)} | {_pct(t.recall)} |")
    lines += reread_table(report)
    for e in report.embedders:
        chosen = e.choices[1].threshold
        lines += [
            "", f"## {e.embedder}", "",
            f"Guards: p50 {e.guard_p50_us:.1f} µs, p99 {e.guard_p99_us:.1f} µs per pair "
            "(both texts read).", "",
            "| threshold | hits | false share | recall | hits (guards) | false share (guards) "
            "| recall (guards) |",
            "|---:|---:|---:|---:|---:|---:|---:|",
        ]
        plain = {r.threshold: r for r in e.sweep if not r.guards}
        for r in (r for r in e.sweep if r.guards and round(r.threshold * 200) % 2 == 0):
            p = plain[r.threshold]
            lines.append(f"| {r.threshold:.2f} | {p.hits} | {_pct(p.false_share)} "
                         f"| {_pct(p.recall)} | {r.hits} | {_pct(r.false_share)} "
                         f"| {_pct(r.recall)} |")
        lines += ["", f"Guards at {chosen:.3f} (test pairs at or above it; first veto "
                  "counts):", "", "| guard | non-duplicates vetoed | duplicates vetoed |",
                  "|---|---:|---:|"]
        lines += [f"| {g.guard} | {g.vetoed_false} | {g.vetoed_true} |"
                  for g in e.guard_effects]
        if e.false_hits_left:
            lines += ["", f"Development false hits left at {chosen:.3f} with guards (most "
                      "similar first; the test half's are only counted):", ""]
            lines += [f"- {x.similarity:.3f}: {x.text_a!r} / {x.text_b!r}"
                      for x in e.false_hits_left]
    if report.latency is not None:
        lines += ["", *latency_table(report.latency)]
    return "\n".join(lines) + "\n"


def reread_table(report: Report) -> list[str]:
    rows = [(e.embedder, e.reread) for e in report.embedders if e.reread is not None]
    if not rows or report.relabel is None:
        return []
    lines = [
        "", "## Against a blind re-reading (test)", "",
        f"`{Path(report.relabel).name}` records, for the test pairs served at the default "
        "thresholds (guards on), whether one answer serves both, judged without QQP's label "
        "(`bench.cache_relabel`). Shares are over the hits it covers; the QQP column is "
        "the same pairs with QQP's labels. Recall (re-read) takes the reading's label "
        "where there is one and QQP's elsewhere.", "",
        "| embedder | threshold | hits | re-read | false (QQP) | false share QQP (95% "
        "upper) | false (re-read) | false share re-read (95% upper) | recall QQP "
        "| recall re-read |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, r in rows:
        assert r is not None
        lines.append(
            f"| {name} | {r.threshold:.3f} | {r.hits} | {r.read} | {r.false_qqp} "
            f"| {_pct(r.false_share_qqp)} ({_pct(r.false_share_qqp_upper)}) "
            f"| {r.false_read} | {_pct(r.false_share_read)} "
            f"({_pct(r.false_share_read_upper)}) | {_pct(r.recall_qqp)} "
            f"| {_pct(r.recall_read)} |")
    a = report.relabel_agreement
    if a is not None:
        lines += [
            "", f"QQP and the re-reading on all {a.pairs} test pairs read: "
            f"{a.both_duplicate + a.both_different} agree ({a.both_duplicate} duplicate, "
            f"{a.both_different} not); {a.qqp_different_read_duplicate} labelled not "
            f"duplicate but read as the same question; {a.qqp_duplicate_read_different} "
            f"labelled duplicate but read as different; Cohen's kappa {a.kappa:.2f}."]
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.eval_cache", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pairs", type=Path, help="JSON lines (optionally .gz) of pairs")
    parser.add_argument("--embedder", default="hashing,minilm",
                        help="hashing, minilm, or both separated by a comma")
    parser.add_argument("--sample", type=int, help="pairs to use (seeded); default all")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--dev-share", type=float, default=0.5)
    parser.add_argument("--cache", type=Path, help="directory to keep embeddings in")
    parser.add_argument("--out", type=Path, default=Path("bench/out/eval_cache"))
    parser.add_argument("--latency-entries", type=int, default=100_000)
    parser.add_argument("--latency-queries", type=int, default=2000)
    parser.add_argument("--crossover-sizes", default="1024,2048,4096,6144,8192,12288,16384")
    parser.add_argument("--no-latency", action="store_true")
    parser.add_argument("--no-quality", action="store_true")
    parser.add_argument("--relabel", type=Path, default=RELABEL_FILE,
                        help="blind re-reading of the test hits (bench.cache_relabel); "
                        "skipped when the file does not exist")
    args = parser.parse_args(argv)
    names = [n.strip() for n in args.embedder.split(",") if n.strip()]
    if any(n not in ("hashing", "minilm") for n in names):
        parser.error("--embedder takes hashing, minilm or both")
    if not args.no_quality and args.pairs is None:
        parser.error("--pairs is required unless --no-quality")
    embedders: list[EmbedderReport] = []
    reading = load(args.relabel).duplicate if args.relabel.exists() else None
    agreement = None
    if not args.no_quality:
        pairs = read_all_pairs(args.pairs)
        if args.sample is not None:
            pairs = random.Random(args.seed).sample(pairs, min(args.sample, len(pairs)))
        dev = np.array([is_dev(p, args.seed, args.dev_share) for p in pairs])
        for name in names:
            embed, described = load_embed(name, args.cache)
            embedders.append(evaluate(pairs, dev, embed, described, reading))
            print(f"evaluated {described}", file=sys.stderr, flush=True)
        if reading is not None:
            read = [(p.label == 1, reading[i]) for p, d in zip(pairs, dev, strict=True)
                    if not d and (i := pair_id(p)) in reading]
            agreement = compare([q for q, _ in read], [r for _, r in read])
    latency = None
    if not args.no_latency:
        sizes = [int(s) for s in args.crossover_sizes.split(",") if s.strip()]
        latency = measure(args.latency_entries, 384, args.latency_queries, sizes, args.seed)
    report = Report(data=str(args.pairs), seed=args.seed, sample=args.sample,
                    dev_share=args.dev_share, embedders=embedders, latency=latency,
                    relabel=None if reading is None else str(args.relabel),
                    relabel_agreement=agreement)
    args.out.mkdir(parents=True, exist_ok=True)
    text = table(report)
    (args.out / "table.md").write_text(text)
    (args.out / "results.json").write_bytes(msgspec.json.format(msgspec.json.encode(report)))
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
