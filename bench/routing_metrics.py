"""Routing curves and their summary numbers, as pure functions of arrays.

Shapes: `scores` and `costs` are (prompts, models), true outcomes; `predicted` is the
router's quality estimate in the same shape; `est_cost` is the router's cost estimate
per model (it cannot know a reply's length before asking). Columns are sorted by
estimated cost, cheapest first, so ties in utility go to the cheaper model.

APGR (RouteLLM, Ong et al. 2024): with x the share of calls sent to the strong model
and y the quality, the area under y(x) over x in [0, 1], normalised so that the weak
model's quality scores 0 and the strong model's 1; random routing scores 0.5.

For N models the share of "strong" calls is replaced by cost (the cost-normalised
generalisation used here): x = (cost - cost of always-cheapest) / (cost of always-best
- cost of always-cheapest), y = (quality - quality of always-cheapest) / (quality of
always-best - quality of always-cheapest), where always-best is the model with the best
average quality on the training split. The curve is anchored at (0, 0), since
always-cheapest is always available (a point cheaper than that counts at x = 0); it is
cut at x = 1 by interpolation, and held flat to x = 1 if it stops short (leaving budget
unspent is allowed). With two models whose cost per call is fixed, both definitions
give the same number.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

Matrix = npt.NDArray[np.float64]
Choice = npt.NDArray[np.int64]

# Lambda is in quality per "one always-best call's worth of cost"; beyond these
# bounds every decision is already made by one side of the trade.
_LOG_LAMBDA = (-7.0, 7.0)
_NEVER_PAY = 1e12


class Point(NamedTuple):
    cost: float
    quality: float


def route(predicted: Matrix, est_cost: Matrix, lam: float) -> Choice:
    """Per prompt, the model maximising predicted quality - lam * cost (cheaper on ties).

    `est_cost` is per model (shape (models,)) or per prompt and model.
    """
    utility = predicted - lam * est_cost
    return np.asarray(np.argmax(utility, axis=1), dtype=np.int64)


def spend(est_cost: Matrix, choice: Choice) -> float:
    if est_cost.ndim == 1:
        return float(est_cost[choice].mean())
    return float(est_cost[np.arange(len(choice)), choice].mean())


def outcome(scores: Matrix, costs: Matrix, choice: Choice) -> Point:
    rows = np.arange(len(choice))
    return Point(float(costs[rows, choice].mean()), float(scores[rows, choice].mean()))


def even_cost_lambdas(predicted: Matrix, est_cost: Matrix, points: int) -> list[float]:
    """Lambdas whose decisions spread estimated spend evenly from cheapest to dearest.

    Uses predictions and cost estimates only, never outcomes; with two models this is
    RouteLLM's choice of thresholds at quantiles of the router's scores.
    """
    def spent(lam: float) -> float:
        return spend(est_cost, route(predicted, est_cost, lam))

    low, high = spent(_NEVER_PAY), spent(0.0)
    lambdas = [0.0]
    for target in np.linspace(high, low, points)[1:-1]:
        lo, hi = _LOG_LAMBDA
        for _ in range(40):
            mid = (lo + hi) / 2
            lo, hi = (mid, hi) if spent(10.0**mid) > target else (lo, mid)
        lambdas.append(10.0**hi)
    lambdas.append(_NEVER_PAY)
    return lambdas


def oracle_choice(scores: Matrix, costs: Matrix) -> Choice:
    """Per prompt, the cheapest model among those with the best true score."""
    best = scores >= scores.max(axis=1, keepdims=True) - 1e-12
    return np.asarray(np.argmin(np.where(best, costs, np.inf), axis=1), dtype=np.int64)


def unit_curve(xs: Sequence[float], ys: Sequence[float]) -> tuple[Matrix, Matrix]:
    """Sorted by x, anchored at (0, 0), cut at x = 1, held flat to x = 1."""
    order = np.argsort(np.asarray(xs, dtype=np.float64), kind="stable")
    x = np.concatenate([[0.0], np.asarray(xs, dtype=np.float64)[order]])
    y = np.concatenate([[0.0], np.asarray(ys, dtype=np.float64)[order]])
    x = np.maximum(x, 0.0)
    if x[-1] > 1.0:
        cut = int(np.searchsorted(x, 1.0))
        y_at_1 = float(np.interp(1.0, x, y))
        x, y = np.append(x[:cut], 1.0), np.append(y[:cut], y_at_1)
    elif x[-1] < 1.0:
        x, y = np.append(x, 1.0), np.append(y, y[-1])
    return x, y


def apgr(xs: Sequence[float], ys: Sequence[float]) -> float:
    """Area under gap recovered (y) over spend (x), both already normalised to 0..1."""
    x, y = unit_curve(xs, ys)
    return float(np.trapezoid(y, x))


def normalise(values: Sequence[float], low: float, high: float) -> list[float]:
    span = high - low
    return [(v - low) / span if span else 0.0 for v in values]


def cost_to_reach(costs: Sequence[float], qualities: Sequence[float],
                  target: float) -> float | None:
    """The least spend at which the curve (linearly interpolated) reaches `target`."""
    order = np.argsort(np.asarray(costs, dtype=np.float64), kind="stable")
    c = np.asarray(costs, dtype=np.float64)[order]
    q = np.asarray(qualities, dtype=np.float64)[order]
    for i in range(len(c)):
        if q[i] >= target:
            if i == 0 or q[i] == q[i - 1]:
                return float(c[i])
            share = (target - q[i - 1]) / (q[i] - q[i - 1])
            return float(c[i - 1] + max(0.0, share) * (c[i] - c[i - 1]))
    return None


def quality_within(costs: Sequence[float], qualities: Sequence[float], budget: float) -> float:
    """The best quality the curve (linearly interpolated) reaches spending at most `budget`."""
    order = np.argsort(np.asarray(costs, dtype=np.float64), kind="stable")
    c = np.asarray(costs, dtype=np.float64)[order]
    q = np.asarray(qualities, dtype=np.float64)[order]
    within = q[c <= budget]
    best = float(within.max()) if len(within) else -math.inf
    if c[0] <= budget < c[-1]:
        best = max(best, float(np.interp(budget, c, q)))
    return best


def frontier(points: Sequence[Point]) -> list[Point]:
    """The upper-left convex hull: the best any random mix of these points can do."""
    ordered = sorted(set(points))
    hull: list[Point] = []
    for p in ordered:
        if hull and p.quality <= hull[-1].quality:
            continue
        while len(hull) >= 2 and _cross(hull[-2], hull[-1], p) >= 0:
            hull.pop()
        hull.append(p)
    return hull


def _cross(a: Point, b: Point, c: Point) -> float:
    return (b.cost - a.cost) * (c.quality - a.quality) - (b.quality - a.quality) * (c.cost - a.cost)


def mix(a: Point, b: Point, points: int) -> list[Point]:
    """Sending a share p of prompts at random to b, the rest to a: expected outcomes."""
    return [Point(a.cost + p * (b.cost - a.cost), a.quality + p * (b.quality - a.quality))
            for p in np.linspace(0.0, 1.0, points).tolist()]


def finite_or_none(value: float | None) -> float | None:
    return None if value is None or not math.isfinite(value) else value
