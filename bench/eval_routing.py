"""Routing evaluation: does the learned quality model pick cheap models that answer well?

    python -m bench.eval_routing --data FILE [--test-share 0.3] [--seed 0]
        [--embedder hashing|minilm] [--points 11] [--out DIR]

FILE is the training JSONL (`bench.routing_data`). The prompts are split once,
deterministically, into train and test (`--test-share`, `--seed`). The quality model's
settings (k, kernel power, prior strength) are tuned on a validation split carved from
train, never on test, unless given with --k/--power/--prior-strength. The model is then
fitted on all of train and routes each test prompt to the model maximising

    predicted quality - lambda * estimated cost / estimated cost of always-best

for a sweep of lambda (the willingness-to-pay knob). Estimated costs are per-model
train means, since a router cannot know a reply's length before asking; outcomes are
charged at each prompt's true cost. Test prompts missing any model's score or cost are
left out of the test set (the chosen model's outcome must be known).

Reported against always-cheapest, always-best (best mean quality on train), a random mix
of the two, the single-model frontier, and the oracle. See `bench.routing_metrics` for
APGR and its cost-normalised generalisation. Writes DIR/table.md, DIR/results.json and,
with matplotlib installed, DIR/plot.png.
"""

from __future__ import annotations

import argparse
import itertools
import math
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from bench.routing_data import Record, read_records
from bench.routing_embed import Embed, cached, load_embedder
from bench.routing_metrics import (
    Matrix,
    Point,
    apgr,
    cost_to_reach,
    even_cost_lambdas,
    frontier,
    mix,
    normalise,
    oracle_choice,
    outcome,
    quality_within,
    route,
)
from bench.routing_report import Curve, Report, Summary, write_report
from stages.neighbours import Vectors
from stages.quality import QualityModel, QualityParams

GRID: dict[str, tuple[float, ...]] = {
    "k": (4, 8, 16, 32, 64, 128, 256),
    "power": (1, 2, 4, 8, 16),
    "prior_strength": (0.25, 0.5, 1, 2, 4, 8, 16),
}


class Table(NamedTuple):
    """Outcomes with columns sorted cheapest first by train-mean cost."""

    models: list[str]
    scores: Matrix  # NaN: unknown
    costs: Matrix  # NaN: unknown


def tabulate(records: Sequence[Record], train: npt.NDArray[np.int64]) -> Table:
    names = sorted({m for r in records for m in r.scores})
    scores = np.full((len(records), len(names)), np.nan)
    costs = np.full_like(scores, np.nan)
    column = {m: j for j, m in enumerate(names)}
    for i, record in enumerate(records):
        for model, score in record.scores.items():
            scores[i, column[model]] = score
        for model, cost in record.costs.items():
            if model in column:
                costs[i, column[model]] = cost
    missing = [m for j, m in enumerate(names) if np.isnan(costs[train, j]).all()]
    if missing:
        raise SystemExit(f"no costs for {', '.join(missing)} in the training split")
    order = np.argsort(np.nanmean(costs[train], axis=0), kind="stable")
    return Table([names[j] for j in order], scores[:, order], costs[:, order])


def split(n: int, share: float, seed: int) -> tuple[npt.NDArray[np.int64], ...]:
    """(rest, held out): a seeded permutation, the first `share` of it held out."""
    perm = np.random.default_rng(seed).permutation(n).astype(np.int64)
    cut = round(n * share)
    return np.sort(perm[cut:]), np.sort(perm[:cut])


def complete(table: Table, rows: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    known = ~np.isnan(table.scores[rows]).any(axis=1) & ~np.isnan(table.costs[rows]).any(axis=1)
    return rows[known]


def fit(params: QualityParams, table: Table, vectors: Vectors,
        rows: npt.NDArray[np.int64]) -> QualityModel:
    model = QualityModel(vectors.shape[1], params)
    model.fit(vectors[rows], {m: table.scores[rows, j] for j, m in enumerate(table.models)})
    return model


class Sweep(NamedTuple):
    lambdas: list[float]
    points: list[Point]
    calls: list[Matrix]  # share of calls per model


def sweep(predicted: Matrix, est_cost: Matrix, scores: Matrix, costs: Matrix,
          points: int, lambdas: list[float] | None = None) -> Sweep:
    grid = lambdas if lambdas is not None else even_cost_lambdas(predicted, est_cost, points)
    out = Sweep([], [], [])
    for lam in grid:
        choice = route(predicted, est_cost, lam)
        out.lambdas.append(lam)
        out.points.append(outcome(scores, costs, choice))
        out.calls.append(np.bincount(choice, minlength=scores.shape[1]) / len(choice))
    return out


def gap_area(curve: Sequence[Point], cheap: Point, best: Point) -> float:
    xs = normalise([p.cost for p in curve], cheap.cost, best.cost)
    ys = normalise([p.quality for p in curve], cheap.quality, best.quality)
    return apgr(xs, ys)


def tune(table: Table, vectors: Vectors, train: npt.NDArray[np.int64], val_share: float,
         seed: int, points: int, est_cost: Matrix, cheap: int, best: int,
         ) -> tuple[QualityParams, list[tuple[QualityParams, float]]]:
    """Grid search on a validation split carved from train, scored by cost APGR."""
    fit_rows, val_rows = split(len(train), val_share, seed + 1)
    fit_rows, val_rows = train[fit_rows], complete(table, train[val_rows])
    if len(val_rows) < 10:
        raise SystemExit(f"only {len(val_rows)} complete validation prompts: too few to tune")
    model = fit(QualityParams(), table, vectors, fit_rows)
    ids, sims = model.neighbours(vectors[val_rows], int(max(GRID["k"])))
    scores, costs = table.scores[val_rows], table.costs[val_rows]
    refs = [outcome(scores, costs, np.full(len(val_rows), j, np.int64)) for j in (cheap, best)]
    trials = []
    for k, power, strength in itertools.product(*GRID.values()):
        model.params = QualityParams(k=int(k), power=power, prior_strength=strength)
        predicted, _ = model.predict_many(vectors[val_rows], neighbours=(ids[:, : int(k)],
                                                                         sims[:, : int(k)]))
        result = sweep(predicted.astype(np.float64), est_cost, scores, costs, points)
        trials.append((model.params, gap_area(result.points, *refs)))
    trials.sort(key=lambda trial: -trial[1])
    return trials[0][0], trials


def summarise(name: str, curve: Sequence[Point], cheap: Point, best: Point,
              strong_share: Sequence[float] | None = None) -> Summary:
    costs = [cheap.cost, *(p.cost for p in curve)]
    qualities = [cheap.quality, *(p.quality for p in curve)]
    gap = best.quality - cheap.quality
    area = gap_area(curve, cheap, best)
    calls_apgr = calls_50 = calls_80 = None
    if strong_share is not None:
        ys = normalise([p.quality for p in curve], cheap.quality, best.quality)
        calls_apgr = apgr(strong_share, ys)
        shares, quals = [0.0, *strong_share], [cheap.quality, *(p.quality for p in curve)]
        calls_50 = cost_to_reach(shares, quals, cheap.quality + 0.5 * gap)
        calls_80 = cost_to_reach(shares, quals, cheap.quality + 0.8 * gap)
    return Summary(
        method=name,
        apgr=area,
        apgr_calls=calls_apgr,
        auc=cheap.quality + area * gap,
        cost_50=cost_to_reach(costs, qualities, cheap.quality + 0.5 * gap),
        cost_80=cost_to_reach(costs, qualities, cheap.quality + 0.8 * gap),
        strong_calls_50=calls_50,
        strong_calls_80=calls_80,
        cost_95_of_best=cost_to_reach(costs, qualities, 0.95 * best.quality),
        quality_at_half_best_cost=quality_within(costs, qualities, 0.5 * best.cost),
    )


def curve_of(name: str, result: Sweep, models: Sequence[str]) -> Curve:
    return Curve(method=name, lambdas=[None if math.isinf(x) else x for x in result.lambdas],
                 points=[(p.cost, p.quality) for p in result.points],
                 calls=[{m: float(c[j]) for j, m in enumerate(models) if c[j] > 0}
                        for c in result.calls])


def run(records: Sequence[Record], embed: Embed, *, embedder: str, test_share: float,
        seed: int, val_share: float, points: int, params: QualityParams | None,
        data: str) -> Report:
    train, test = split(len(records), test_share, seed)
    table = tabulate(records, train)
    test = complete(table, test)
    vectors = np.asarray(embed([r.prompt for r in records]), dtype=np.float32)
    mean_cost = np.nanmean(table.costs[train], axis=0)
    best = int(np.nanargmax(np.nanmean(table.scores[train], axis=0)))
    cheap = 0
    est_cost = mean_cost / mean_cost[best]
    trials: list[tuple[QualityParams, float]] = []
    if params is None:
        params, trials = tune(table, vectors, train, val_share, seed, points, est_cost,
                              cheap, best)
    model = fit(params, table, vectors, train)
    predicted, n_eff = model.predict_many(vectors[test])
    scores, costs = table.scores[test], table.costs[test]
    singles = [outcome(scores, costs, np.full(len(test), j, np.int64))
               for j in range(len(table.models))]
    router = sweep(predicted.astype(np.float64), est_cost, scores, costs, points)
    oracle_est = costs / mean_cost[best]
    oracle = sweep(scores, oracle_est, scores, costs, points,
                   [max(x, 1e-9) for x in even_cost_lambdas(scores, oracle_est, points)])
    train_singles = [Point(float(mean_cost[j]), float(np.nanmean(table.scores[train, j])))
                     for j in range(len(table.models))]
    hull = [singles[train_singles.index(p)] for p in frontier(train_singles)]
    two = len(table.models) == 2
    summaries = [
        summarise("router (kNN)", router.points, singles[cheap], singles[best],
                  [float(c[best]) for c in router.calls] if two else None),
        summarise("oracle", oracle.points, singles[cheap], singles[best],
                  [float(c[best]) for c in oracle.calls] if two else None),
        summarise("random mix", mix(singles[cheap], singles[best], points),
                  singles[cheap], singles[best],
                  list(np.linspace(0, 1, points)) if two else None),
        summarise("single-model frontier (hull on train)", hull, singles[cheap], singles[best]),
    ]
    return Report(
        data=data, embedder=embedder, seed=seed, test_share=test_share, val_share=val_share,
        train_prompts=len(train), test_prompts=len(test),
        test_dropped=round(len(records) * test_share) - len(test),
        models=table.models, cheapest=table.models[cheap], best=table.models[best],
        params=params, tuned=bool(trials),
        tuning=[(p, score) for p, score in trials[:10]],
        singles={m: (p.cost, p.quality) for m, p in zip(table.models, singles, strict=True)},
        oracle_point=outcome(scores, costs, oracle_choice(scores, costs)),
        mean_n_effective=float(n_eff.mean()),
        summaries=summaries,
        curves=[curve_of("router (kNN)", router, table.models),
                curve_of("oracle", oracle, table.models)],
        random_mix=[(p.cost, p.quality) for p in mix(singles[cheap], singles[best], points)],
        frontier=[(p.cost, p.quality) for p in hull],
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.eval_routing", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", required=True, type=Path, help="training JSONL file")
    parser.add_argument("--test-share", type=float, default=0.3)
    parser.add_argument("--val-share", type=float, default=0.2,
                        help="share of train held out to tune k, power, prior strength")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--embedder", default="hashing", choices=("hashing", "minilm"))
    parser.add_argument("--points", type=int, default=11,
                        help="lambda values in the sweep (RouteLLM reports 11 thresholds)")
    parser.add_argument("--k", type=int, help="neighbours (skips tuning with the two below)")
    parser.add_argument("--power", type=float, help="similarity kernel exponent")
    parser.add_argument("--prior-strength", type=float, help="pseudo-neighbours of prior")
    parser.add_argument("--out", type=Path, help="directory for table.md, results.json, plot")
    parser.add_argument("--cache", type=Path,
                        help="file to keep the prompts' embeddings in between runs")
    args = parser.parse_args(argv)
    fixed = (args.k, args.power, args.prior_strength)
    if any(x is not None for x in fixed) and any(x is None for x in fixed):
        parser.error("--k, --power and --prior-strength go together")
    params = None if args.k is None else QualityParams(
        k=args.k, power=args.power, prior_strength=args.prior_strength)
    embed, embedder = load_embedder(args.embedder)
    if args.cache is not None:
        embed = cached(embed, embedder, args.cache)
    report = run(read_records(args.data), embed, embedder=embedder, test_share=args.test_share,
                 seed=args.seed, val_share=args.val_share, points=max(3, args.points),
                 params=params, data=str(args.data))
    sys.stdout.write(write_report(report, args.out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
