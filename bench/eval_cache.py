"""Semantic cache evaluation: how often would a hit serve the answer to another question?

    OPENBLAS_NUM_THREADS=1 python -m bench.eval_cache
        --pairs ../shared/data/paraphrase/qqp_shared.jsonl.gz [--embedder hashing,minilm]
        [--sample N] [--seed 0] [--dev-share 0.5] [--cache DIR] [--out DIR]
        [--latency-entries 100000] [--no-latency] [--no-quality] [--relabel FILE]
        [--half test|dev] [--dev-relabel FILE]

Each labelled pair (`text_a`, `text_b`, `label` 1 for a duplicate) stands for a cache
holding `text_a`'s answer and a request asking `text_b`: a *hit* is a pair whose
cosine similarity reaches the threshold (and, with guards, that no guard vetoes).
Per embedder and threshold: hits, precision (duplicates among hits), the false-hit
share (1 - precision) and recall (duplicates hit among all duplicates).

The pairs are split once by a seeded hash of their text into a development half and a
test half, so a pair's side never depends on `--sample`. The guards
(`stages.semantic.guards`) were written by looking at development pairs only, and the
threshold is chosen on the development half: the lowest whose false-hit share is at
most 0.5% (over at least 20 hits; half the 1% budget, a margin for unseen pairs, since
the guards were shaped on development pairs), raised further while that costs under 2%
of its hits (a margin where it is cheap), or, when none gets there, the one with the
lowest 95%
(Wilson) upper bound on that share, which weighs a low share against the few hits it
may rest on (so use enough pairs: all of them by default). That choice judges hits by
a blind re-reading of development pairs where it has one (`--dev-relabel`, default
bench/qqp_dev_hits_relabel.toml) and by QQP's label elsewhere. Every figure in the
table is from the test half; the only texts it quotes (false hits the guards let
through) are development pairs, so that reading the table never leaks the test half
into the next guard. False hits between texts identical up to case, spacing and
punctuation are counted apart (and the false-hit share is also given without them):
they are label noise, a floor no threshold gets under, and the headline share still
counts them. Label noise is also measured without that bias: `--relabel FILE` (default
bench/qqp_test_hits_relabel.toml, made with `bench.cache_relabel`) holds a blind
re-reading of the test pairs served at the default thresholds, and the table gives,
beside QQP's figures, the false-hit share against it and how often the two agree; its
"re-read" column says how many of the hits it covers (hits the guards or thresholds
let in since it was read are not).

`--half dev` reports the same table for the development half instead, and computes
nothing on the test half: the half to tune guards and thresholds on. Its re-reading
(`--relabel`, default bench/qqp_dev_hits_relabel.toml) is then given at every
threshold from 0.70 as well. A second part times lookups (`bench.cache_latency`).
Writes DIR/table.md and DIR/results.json (default bench/out/eval_cache).
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
from bench.cache_relabel import (
    DEV_RELABEL_FILE,
    RELABEL_FILE,
    Agreement,
    compare,
    load,
    pair_id,
)
from bench.embedders import Pair
from bench.routing_embed import cached
from stages.embedders import HashingEmbedder, MiniLMEmbedder
from stages.semantic.guards import veto_reading
from stages.semantic.policy import DEFAULT_THRESHOLDS
from stages.semantic.reading import read

Embed = Callable[[list[str]], npt.NDArray[np.float32]]
THRESHOLDS = tuple(round(0.70 + 0.005 * i, 3) for i in range(61))
REREAD_THRESHOLDS = tuple(round(0.70 + 0.01 * i, 2) for i in range(21))
TARGET = 0.01
AIM = TARGET / 2
"""The development half's bar: half the budget, a margin for pairs the guards were not
shaped on (the guards are read from development pairs, so that half flatters them)."""
FREE_MARGIN = 0.02
"""... and the threshold is then raised while that costs under this share of its hits:
a margin bought where it is cheap. Past the guards, what is left is near-identical
wording, and an embedding that still scores such a pair low is reading a difference
(before the few-words and number-aware word-order guards, 3 of MiniLM's 4 development
false hits lay among its 9 hits under 0.85)."""
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
    """On the reported half's pairs at or above the chosen threshold, before any guard."""

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
    reread_sweep: list[Reread] = msgspec.field(default_factory=list)
    """`--half dev` only: the same at every threshold of `REREAD_THRESHOLDS`."""


class Report(msgspec.Struct, frozen=True, kw_only=True):
    data: str
    seed: int
    sample: int | None
    dev_share: float
    embedders: list[EmbedderReport]
    latency: LatencyReport | None
    relabel: str | None = None
    relabel_agreement: Agreement | None = None
    """QQP against the blind reading over every reported pair the reading covers."""
    half: str = "test"
    """The half every figure is from: "test", or "dev" while guards are being tuned (the
    `test_*` fields and `Choice.test` are then the development half's)."""


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
    met = [r for r in enough if r.false_share <= AIM]
    if met:
        lowest = min(met, key=lambda r: r.threshold)
        cheap = [r for r in met if r.hits >= (1 - FREE_MARGIN) * lowest.hits]
        return (max(cheap, key=lambda r: r.threshold),
                f"lowest with false hits <= {AIM:.1%}, raised while under "
                f"{FREE_MARGIN:.0%} of hits")
    best = min(enough, key=lambda r: (r.false_share_upper, r.threshold))
    return best, f"{AIM:.1%} not reached: lowest upper bound"


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
    """`hit` and `labels` over one half's pairs only, `ids` their `pair_id`s."""
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
             name: str, reading: dict[str, bool] | None = None,
             half: str = "test", dev_reading: dict[str, bool] | None = None) -> EmbedderReport:
    """Figures from the test half, or from the development half when `half` is "dev"
    (for tuning guards and thresholds without looking at the test half). `reading` is
    the reported half's blind re-reading; `dev_reading`, the development half's, stands
    in for QQP's labels where it has a judgement when the threshold is chosen."""
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
    shown = dev if half == "dev" else ~dev
    choosing = labels
    if dev_reading:
        choosing = np.array([dev_reading.get(pair_id(p), bool(label)) if d else bool(label)
                             for p, d, label in zip(pairs, dev, labels, strict=True)])
    choices: list[Choice] = []
    for guards in (False, True):
        dev_rows = [r for r in sweep(similarity[dev], vetoed[dev], choosing[dev],
                                     identical[dev]) if r.guards == guards]
        picked, rule = choose(dev_rows)
        if dev_reading:
            rule += " (dev re-read)"
        on_test = row(picked.threshold, guards, (similarity[shown] >= picked.threshold)
                      & ~(vetoed[shown] & guards), labels[shown], identical[shown])
        choices.append(Choice(guards=guards, threshold=picked.threshold, rule=rule,
                              dev=picked, test=on_test))
    threshold = choices[1].threshold
    above = shown & (similarity >= threshold)
    effects = [GuardEffect(guard=guard,
                           vetoed_false=sum(1 for i in np.flatnonzero(above)
                                            if reasons[i] == guard and not labels[i]),
                           vetoed_true=sum(1 for i in np.flatnonzero(above)
                                           if reasons[i] == guard and labels[i]))
               for guard, _ in Counter(r for r, s in zip(reasons, shown, strict=True)
                                       if s and r is not None).most_common()]
    left = [int(i) for i in np.flatnonzero(dev & (similarity >= threshold) & ~vetoed & ~labels)]
    examples = [Example(similarity=float(similarity[i]), text_a=pairs[i].text_a,
                        text_b=pairs[i].text_b)
                for i in sorted(left, key=lambda i: -similarity[i])[:10]]
    micros = np.asarray(spent, dtype=np.float64)[shown] / 1000
    default = DEFAULT_THRESHOLDS.for_embedder(name)
    again = None
    again_sweep: list[Reread] = []
    if reading is not None and default is not None:
        ids = [pair_id(pairs[int(i)]) for i in np.flatnonzero(shown)]
        again = reread((similarity[shown] >= default) & ~vetoed[shown], labels[shown], ids,
                       reading, default)
        if half == "dev":
            again_sweep = [reread((similarity[shown] >= t) & ~vetoed[shown], labels[shown],
                                  ids, reading, t) for t in REREAD_THRESHOLDS]
    return EmbedderReport(
        embedder=name, dev_pairs=int(dev.sum()), test_pairs=int(shown.sum()),
        test_duplicates=int(labels[shown].sum()),
        test_identical=int((identical & shown).sum()),
        test_identical_different=int((identical & shown & ~labels).sum()),
        sweep=sweep(similarity[shown], vetoed[shown], labels[shown], identical[shown]),
        choices=choices,
        guard_effects=effects, false_hits_left=examples,
        guard_p50_us=float(np.percentile(micros, 50)) if len(micros) else 0.0,
        guard_p99_us=float(np.percentile(micros, 99)) if len(micros) else 0.0,
        reread=again, reread_sweep=again_sweep)


def _pct(x: float) -> str:
    return f"{100 * x:.2f}%"


def table(report: Report) -> str:
    lines = [f"# Semantic cache evaluation: {Path(report.data).name}", ""]
    half = report.half
    if report.embedders:
        e0 = report.embedders[0]
        counts = (f"{e0.dev_pairs} development and {e0.test_pairs} test pairs"
                  if half == "test" else f"{e0.dev_pairs} development pairs")
        lines += [
            f"- {counts} ({e0.test_duplicates} {half} duplicates); split by a seeded hash "
            f"(seed {report.seed}, development share {report.dev_share}); sample: "
            f"{report.sample or 'all'}.",
            "- Guards and thresholds were developed and chosen on the development pairs "
            "only; every figure below is from the test pairs." if half == "test" else
            "- Development half only (`--half dev`), for tuning guards and thresholds: "
            "no test-half figure is computed.",
            f"- Label noise: {e0.test_identical_different} of the {e0.test_identical} {half} "
            "pairs whose texts are identical up to case, spacing and punctuation are "
            "labelled different; any cache that serves such repeats counts them as false "
            "hits.",
            "",
            f"## Chosen thresholds ({half})",
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
        lines += ["", f"Guards at {chosen:.3f} ({report.half} pairs at or above it; first veto "
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
        "", f"## Against a blind re-reading ({report.half})", "",
        f"`{Path(report.relabel).name}` records, for the {report.half} pairs served at "
        "the default thresholds (guards on), whether one answer serves both, judged "
        "without QQP's label (`bench.cache_relabel`). Shares are over the hits it covers; "
        "the QQP column is the same pairs with QQP's labels. Recall (re-read) takes the "
        "reading's label where there is one and QQP's elsewhere.", "",
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
    for name, sweep_rows in ((e.embedder, e.reread_sweep) for e in report.embedders
                             if e.reread_sweep):
        lines += ["", f"{name}, every threshold (guards on):", "",
                  "| threshold | hits | re-read | false (QQP) | false share QQP "
                  "| false (re-read) | false share re-read (95% upper) | recall QQP "
                  "| recall re-read |", "|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
        lines += [f"| {r.threshold:.2f} | {r.hits} | {r.read} | {r.false_qqp} "
                  f"| {_pct(r.false_share_qqp)} | {r.false_read} "
                  f"| {_pct(r.false_share_read)} ({_pct(r.false_share_read_upper)}) "
                  f"| {_pct(r.recall_qqp)} | {_pct(r.recall_read)} |" for r in sweep_rows]
    a = report.relabel_agreement
    if a is not None:
        lines += [
            "", f"QQP and the re-reading on all {a.pairs} {report.half} pairs read: "
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
    parser.add_argument("--half", choices=("test", "dev"), default="test",
                        help="the half every figure is from; dev for tuning (default test)")
    parser.add_argument("--relabel", type=Path,
                        help="blind re-reading of that half's hits (bench.cache_relabel; "
                        f"default {RELABEL_FILE.name}, or {DEV_RELABEL_FILE.name} with "
                        "--half dev); skipped when the file does not exist")
    parser.add_argument("--dev-relabel", type=Path, default=DEV_RELABEL_FILE,
                        help="blind re-reading of development pairs, used instead of "
                        "QQP's labels where it has one when thresholds are chosen "
                        f"(default {DEV_RELABEL_FILE.name}); skipped when absent")
    args = parser.parse_args(argv)
    names = [n.strip() for n in args.embedder.split(",") if n.strip()]
    if any(n not in ("hashing", "minilm") for n in names):
        parser.error("--embedder takes hashing, minilm or both")
    if not args.no_quality and args.pairs is None:
        parser.error("--pairs is required unless --no-quality")
    embedders: list[EmbedderReport] = []
    relabel = args.relabel or (DEV_RELABEL_FILE if args.half == "dev" else RELABEL_FILE)
    reading = load(relabel).duplicate if relabel.exists() else None
    dev_reading = load(args.dev_relabel).duplicate if args.dev_relabel.exists() else None
    agreement = None
    if not args.no_quality:
        pairs = read_all_pairs(args.pairs)
        if args.sample is not None:
            pairs = random.Random(args.seed).sample(pairs, min(args.sample, len(pairs)))
        dev = np.array([is_dev(p, args.seed, args.dev_share) for p in pairs])
        for name in names:
            embed, described = load_embed(name, args.cache)
            embedders.append(evaluate(pairs, dev, embed, described, reading, args.half,
                                      dev_reading))
            print(f"evaluated {described}", file=sys.stderr, flush=True)
        if reading is not None:
            read = [(p.label == 1, reading[i]) for p, d in zip(pairs, dev, strict=True)
                    if d == (args.half == "dev") and (i := pair_id(p)) in reading]
            agreement = compare([q for q, _ in read], [r for _, r in read])
    latency = None
    if not args.no_latency:
        sizes = [int(s) for s in args.crossover_sizes.split(",") if s.strip()]
        latency = measure(args.latency_entries, 384, args.latency_queries, sizes, args.seed)
    report = Report(data=str(args.pairs), seed=args.seed, sample=args.sample,
                    dev_share=args.dev_share, embedders=embedders, latency=latency,
                    relabel=None if reading is None else str(relabel),
                    relabel_agreement=agreement, half=args.half)
    args.out.mkdir(parents=True, exist_ok=True)
    text = table(report)
    (args.out / "table.md").write_text(text)
    (args.out / "results.json").write_bytes(msgspec.json.format(msgspec.json.encode(report)))
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
