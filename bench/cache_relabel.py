"""A blind second reading of the pairs the semantic cache would serve: how noisy is QQP?

    OPENBLAS_NUM_THREADS=1 python -m bench.cache_relabel
        --pairs ../shared/data/paraphrase/qqp_shared.jsonl.gz --out FILE
        [--embedder hashing,minilm] [--seed 0] [--dev-share 0.5] [--cache DIR]
        [--half test|dev] [--floor 0.70] [--limit 700] [--skip READING]

At the default thresholds, with every guard on, what the cache lets through is mostly
the same words spelled, spaced or punctuated differently, and QQP labels some of those
"not duplicate". Whether the remaining false hits are the cache's fault or the data's
can only be told by reading them again, without the data's label in view.

This writes to FILE every test-half pair that is a hit at the default thresholds
(`stages.semantic.policy`) for any of the embedders, once each, in a seeded shuffle,
with its id (`pair_id`, a short hash of the two texts) and both texts, but never its
label, nor which embedder hit it, nor its similarity. FILE holds the data's texts, so
it belongs outside the repository (or under the ignored bench/out/). Someone reads
FILE and records, for each id, whether one answer serves both questions, in a TOML
file (`RELABEL_FILE`, ids and judgements only):

    annotator = "..."
    rule = "same question: one answer serves both"
    [duplicate]
    "3fa2c1e9b0d4" = true

`bench.eval_cache` then reports, for the pairs the file covers, the false-hit share
against that reading beside the one against QQP's labels, and how often the two
readings agree (`compare`).

`--half dev` lists the development half instead, for a reading guards and thresholds
may then be tuned against (`DEV_RELABEL_FILE`, used by `bench.eval_cache --half dev`):
the hits at the default thresholds; so that a lower threshold can be weighed too, those
served only at a threshold down to `--floor`; and so that a looser wording guard can be,
those at the default thresholds that only the wording guards (`WORDING_GUARDS`) veto.
Each group is taken whole while the listing stays within `--limit` pairs, else as a
seeded sample (the listing's header says how many of each). `--skip READING` leaves
out the pairs a reading already covers, to top it up once the guards changed. The test
half's reading (the default) covers default hits only, and is read once, when guards
and thresholds are settled.
"""

from __future__ import annotations

import argparse
import hashlib
import random
import sys
from collections.abc import Sequence
from pathlib import Path

import msgspec
import numpy as np
import numpy.typing as npt

from bench.embedders import Pair
from stages.semantic.guards import GUARDS, Guard, veto_reading
from stages.semantic.policy import DEFAULT_THRESHOLDS
from stages.semantic.reading import read

RELABEL_FILE = Path(__file__).with_name("qqp_test_hits_relabel.toml")
DEV_RELABEL_FILE = Path(__file__).with_name("qqp_dev_hits_relabel.toml")
FLOOR = 0.70
LIMIT = 700
WORDING_GUARDS = frozenset({"asks_differently", "modality_differs", "wording_differs",
                            "few_words_reworded"})
"""The guards a development listing also looks past, for a sample of what loosening
them would serve."""
SPECIFIC_GUARDS = tuple(g for g in GUARDS if g.__name__ not in WORDING_GUARDS)


class Relabel(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    annotator: str
    rule: str
    note: str = ""
    duplicate: dict[str, bool]
    """By `pair_id`: does one answer serve both texts?"""


class Agreement(msgspec.Struct, frozen=True, kw_only=True):
    """QQP's label against the blind reading, over the pairs both judged."""

    pairs: int
    both_duplicate: int
    both_different: int
    qqp_different_read_duplicate: int
    """Labelled "not duplicate" by QQP, read as the same question."""
    qqp_duplicate_read_different: int
    """Labelled duplicate by QQP, read as different questions."""
    kappa: float
    """Cohen's kappa: agreement beyond what the two readings' base rates give by chance."""


def pair_id(pair: Pair) -> str:
    return hashlib.blake2b(f"{pair.text_a}\x00{pair.text_b}".encode(),
                           digest_size=6).hexdigest()


def default_hits(pairs: Sequence[Pair], similarity: npt.NDArray[np.float32],
                 embedder_name: str, floor: float | None = None,
                 guards: tuple[Guard, ...] = GUARDS) -> npt.NDArray[np.bool_]:
    """Pairs served at `embedder_name`'s default threshold (or at `floor`, when given)
    with `guards` (every one by default) on (query `text_b`, cached `text_a`, as in
    `bench.eval_cache`)."""
    threshold = DEFAULT_THRESHOLDS.for_embedder(embedder_name) if floor is None else floor
    if threshold is None:
        return np.zeros(len(pairs), dtype=bool)
    return np.array([bool(s >= threshold)
                     and veto_reading(read(p.text_b), read(p.text_a), guards) is None
                     for p, s in zip(pairs, similarity, strict=True)], dtype=bool)


def blind_listing(pairs: Sequence[Pair], seed: int, header: str = "") -> str:
    """The pairs, deduplicated and shuffled, as `id`, `A:` and `B:` lines: no label.
    `header` (if any) opens the listing as `#` lines."""
    unique = {pair_id(p): p for p in pairs}
    ids = sorted(unique)
    random.Random(seed).shuffle(ids)
    blocks = [f"{i}\n  A: {unique[i].text_a}\n  B: {unique[i].text_b}\n" for i in ids]
    opening = "".join(f"# {line}\n" for line in header.splitlines())
    return opening + ("\n" if opening else "") + "\n".join(blocks)


def fill(groups: Sequence[Sequence[Pair]], limit: int,
         seed: int) -> tuple[list[Pair], list[tuple[int, int]]]:
    """`groups` in order, each pair once (in the first group that has it), each group
    whole while it fits under `limit` pairs in all and a seeded sample of it otherwise;
    with, per group, (pairs taken, pairs it had)."""
    taken: dict[str, Pair] = {}
    seen: set[str] = set()
    counts: list[tuple[int, int]] = []
    for group in groups:
        fresh = {i: p for i, p in ((pair_id(p), p) for p in group) if i not in seen}
        ids = sorted(fresh)
        room = max(limit - len(taken), 0)
        picked = ids if len(ids) <= room else random.Random(seed).sample(ids, room)
        taken.update((i, fresh[i]) for i in picked)
        seen.update(ids)
        counts.append((len(picked), len(ids)))
    return list(taken.values()), counts


def _of(taken: int, had: int) -> str:
    return f"all {had}" if taken == had else f"{taken} of the {had} (a seeded sample)"


def load(path: Path) -> Relabel:
    return msgspec.toml.decode(path.read_bytes(), type=Relabel)


def compare(qqp: Sequence[bool], read_again: Sequence[bool]) -> Agreement:
    pairs = len(qqp)
    both = sum(q and r for q, r in zip(qqp, read_again, strict=True))
    neither = sum(not q and not r for q, r in zip(qqp, read_again, strict=True))
    observed = (both + neither) / pairs if pairs else 1.0
    q_rate = sum(qqp) / pairs if pairs else 0.0
    r_rate = sum(read_again) / pairs if pairs else 0.0
    chance = q_rate * r_rate + (1 - q_rate) * (1 - r_rate)
    kappa = (observed - chance) / (1 - chance) if chance < 1 else 1.0
    return Agreement(pairs=pairs, both_duplicate=both, both_different=neither,
                     qqp_different_read_duplicate=sum(r and not q for q, r
                                                      in zip(qqp, read_again, strict=True)),
                     qqp_duplicate_read_different=sum(q and not r for q, r
                                                      in zip(qqp, read_again, strict=True)),
                     kappa=kappa)


def main(argv: Sequence[str] | None = None) -> int:
    from bench.eval_cache import is_dev, load_embed, read_all_pairs, similarities

    parser = argparse.ArgumentParser(prog="python -m bench.cache_relabel", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pairs", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True,
                        help="where to write the unlabelled listing (holds the texts)")
    parser.add_argument("--embedder", default="hashing,minilm")
    parser.add_argument("--seed", type=int, default=0, help="the split's seed")
    parser.add_argument("--dev-share", type=float, default=0.5)
    parser.add_argument("--shuffle-seed", type=int, default=20261201)
    parser.add_argument("--half", choices=("dev", "test"), default="test",
                        help="which half's hits to list (default test)")
    parser.add_argument("--floor", type=float, default=FLOOR,
                        help="--half dev also lists hits down to this threshold")
    parser.add_argument("--limit", type=int, default=LIMIT,
                        help="--half dev: at most this many pairs, all default hits first")
    parser.add_argument("--skip", type=Path,
                        help="a reading whose pairs to leave out (to top it up once the "
                        "guards changed)")
    parser.add_argument("--cache", type=Path, help="directory to keep embeddings in")
    args = parser.parse_args(argv)
    names = [n.strip() for n in args.embedder.split(",") if n.strip()]
    if any(n not in ("hashing", "minilm") for n in names):
        parser.error("--embedder takes hashing, minilm or both")
    pairs = read_all_pairs(args.pairs)
    done = frozenset(load(args.skip).duplicate) if args.skip else frozenset()
    side = np.array([is_dev(p, args.seed, args.dev_share) == (args.half == "dev")
                     and pair_id(p) not in done for p in pairs])
    served = np.zeros(len(pairs), dtype=bool)
    lower = np.zeros(len(pairs), dtype=bool)
    unworded = np.zeros(len(pairs), dtype=bool)
    for name in names:
        # Every pair embedded, as eval_cache does, so that both share `--cache`.
        embed, described = load_embed(name, args.cache)
        similarity = similarities(pairs, embed)
        hit = side & default_hits(pairs, similarity, described)
        print(f"{described}: {int(hit.sum())} {args.half} hits", file=sys.stderr)
        served |= hit
        if args.half == "dev":
            lower |= side & default_hits(pairs, similarity, described, args.floor)
            unworded |= side & default_hits(pairs, similarity, described,
                                            guards=SPECIFIC_GUARDS)
    chosen = [pairs[i] for i in np.flatnonzero(served)]
    header = ""
    if args.half == "dev":
        chosen, [(first, firsts), (low, lows), (loose, looses)] = fill(
            [chosen, [pairs[i] for i in np.flatnonzero(lower)],
             [pairs[i] for i in np.flatnonzero(unworded)]], args.limit, args.shuffle_seed)
        skipped = f" not in {args.skip.name}" if args.skip else ""
        header = (
            f"Development-half pairs{skipped} ({', '.join(names)}), shuffled together, ids "
            "and texts "
            f"only: {_of(first, firsts)} served at the default thresholds with every guard "
            f"on; "
            f"{_of(low, lows)} more served only at a threshold down to {args.floor:.2f}; "
            f"and {_of(loose, looses)} more at the default thresholds that only the wording "
            f"guards ({', '.join(sorted(WORDING_GUARDS))}) veto; {args.limit} at most in all.")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(blind_listing(chosen, args.shuffle_seed, header))
    print(f"{len({pair_id(p) for p in chosen})} pairs to read in {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
