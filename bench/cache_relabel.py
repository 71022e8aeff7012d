"""A blind second reading of the pairs the semantic cache would serve: how noisy is QQP?

    OPENBLAS_NUM_THREADS=1 python -m bench.cache_relabel
        --pairs ../shared/data/paraphrase/qqp_shared.jsonl.gz --out FILE
        [--embedder hashing,minilm] [--seed 0] [--dev-share 0.5] [--cache DIR]

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
from stages.semantic.guards import veto_reading
from stages.semantic.policy import DEFAULT_THRESHOLDS
from stages.semantic.reading import read

RELABEL_FILE = Path(__file__).with_name("qqp_test_hits_relabel.toml")


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
                 embedder_name: str) -> npt.NDArray[np.bool_]:
    """Pairs served at `embedder_name`'s default threshold with every guard on (query
    `text_b`, cached `text_a`, as in `bench.eval_cache`)."""
    threshold = DEFAULT_THRESHOLDS.for_embedder(embedder_name)
    if threshold is None:
        return np.zeros(len(pairs), dtype=bool)
    return np.array([bool(s >= threshold)
                     and veto_reading(read(p.text_b), read(p.text_a)) is None
                     for p, s in zip(pairs, similarity, strict=True)], dtype=bool)


def blind_listing(pairs: Sequence[Pair], seed: int) -> str:
    """The pairs, deduplicated and shuffled, as `id`, `A:` and `B:` lines: no label."""
    unique = {pair_id(p): p for p in pairs}
    ids = sorted(unique)
    random.Random(seed).shuffle(ids)
    blocks = [f"{i}\n  A: {unique[i].text_a}\n  B: {unique[i].text_b}\n" for i in ids]
    return "\n".join(blocks)


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
    parser.add_argument("--cache", type=Path, help="directory to keep embeddings in")
    args = parser.parse_args(argv)
    names = [n.strip() for n in args.embedder.split(",") if n.strip()]
    if any(n not in ("hashing", "minilm") for n in names):
        parser.error("--embedder takes hashing, minilm or both")
    pairs = read_all_pairs(args.pairs)
    test = np.array([not is_dev(p, args.seed, args.dev_share) for p in pairs])
    served = np.zeros(len(pairs), dtype=bool)
    for name in names:
        # Every pair embedded, as eval_cache does, so that both share `--cache`.
        embed, described = load_embed(name, args.cache)
        hit = test & default_hits(pairs, similarities(pairs, embed), described)
        print(f"{described}: {int(hit.sum())} test hits", file=sys.stderr)
        served |= hit
    chosen = [pairs[i] for i in np.flatnonzero(served)]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(blind_listing(chosen, args.shuffle_seed))
    print(f"{len({pair_id(p) for p in chosen})} pairs to read in {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
