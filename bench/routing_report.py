"""The routing evaluation's results: one typed record, a Markdown table, a plot."""

from __future__ import annotations

import importlib
import itertools
from pathlib import Path

import msgspec
import numpy as np

from bench.routing_metrics import Point, mix
from stages.quality import QualityParams

Pair = tuple[float, float]  # (cost in USD per prompt, quality)


class Summary(msgspec.Struct, frozen=True, kw_only=True):
    method: str
    apgr: float  # cost-normalised (see bench.routing_metrics)
    apgr_calls: float | None  # RouteLLM's, over the share of calls to the strong model
    auc: float  # quality over normalised cost, x in [0, 1]
    cost_50: float | None  # USD per prompt to recover 50% of the cheapest-best gap
    cost_80: float | None
    strong_calls_50: float | None  # share of calls to the strong model, two models only
    strong_calls_80: float | None
    cost_95_of_best: float | None  # USD per prompt to reach 95% of always-best's quality
    quality_at_half_best_cost: float


class Curve(msgspec.Struct, frozen=True, kw_only=True):
    method: str
    lambdas: list[float | None]  # None: infinite (never pay)
    points: list[Pair]
    calls: list[dict[str, float]]


class Report(msgspec.Struct, frozen=True, kw_only=True):
    data: str
    embedder: str
    seed: int
    test_share: float
    val_share: float
    train_prompts: int
    test_prompts: int
    test_dropped: int  # held-out prompts lacking some model's outcome
    models: list[str]  # cheapest first (train-mean cost)
    cheapest: str
    best: str
    params: QualityParams
    tuned: bool
    tuning: list[tuple[QualityParams, float]]  # best ten, by validation APGR
    singles: dict[str, Pair]
    oracle_point: Point
    mean_n_effective: float
    summaries: list[Summary]
    curves: list[Curve]
    random_mix: list[Pair]
    frontier: list[Pair]


def _usd(value: float | None, best: float) -> str:
    if value is None:
        return "never"
    return f"${value * 1000:.4f} ({100 * value / best:.1f}%)"


def _share(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}%"


def table(report: Report) -> str:
    best_cost, best_quality = report.singles[report.best]
    cheap_cost, cheap_quality = report.singles[report.cheapest]
    p = report.params
    lines = [
        f"# Routing evaluation: {Path(report.data).name}",
        "",
        f"- train {report.train_prompts} prompts, test {report.test_prompts} "
        f"(seed {report.seed}, test share {report.test_share}; {report.test_dropped} held-out "
        "prompts without every model's outcome left out)",
        f"- embedder: {report.embedder}",
        f"- quality model: k={p.k}, power={p.power}, prior_strength={p.prior_strength} "
        + ("(tuned on a validation split of train, share "
           f"{report.val_share}; test never used)" if report.tuned else "(given)"),
        f"- mean n_effective per prediction: {report.mean_n_effective:.2f}",
        f"- always-cheapest: {report.cheapest}, quality {cheap_quality:.4f}, "
        f"${cheap_cost * 1000:.4f} per 1k prompts",
        f"- always-best (best on train): {report.best}, quality {best_quality:.4f}, "
        f"${best_cost * 1000:.4f} per 1k prompts",
        f"- oracle (cheapest right model): quality {report.oracle_point.quality:.4f}, "
        f"{_usd(report.oracle_point.cost, best_cost)} per 1k prompts",
        "",
        "Costs are USD per 1k prompts (% of always-best). APGR: cost-normalised; "
        "RouteLLM's (share of strong calls) where there are two models.",
        "",
        "| method | APGR | APGR (calls) | AUC | cost for 50% gap | cost for 80% gap "
        "| strong calls 50% / 80% | cost for 95% of best | quality at 50% of best cost |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for s in report.summaries:
        calls = "-" if s.apgr_calls is None else f"{s.apgr_calls:.3f}"
        lines.append(
            f"| {s.method} | {s.apgr:.3f} | {calls} | {s.auc:.4f} | {_usd(s.cost_50, best_cost)} "
            f"| {_usd(s.cost_80, best_cost)} | {_share(s.strong_calls_50)} / "
            f"{_share(s.strong_calls_80)} | {_usd(s.cost_95_of_best, best_cost)} "
            f"| {s.quality_at_half_best_cost:.4f} |")
    router = report.curves[0]
    lines += ["", f"## {router.method}: the willingness-to-pay sweep", "",
              "| lambda | quality | cost | calls (top 3) |", "|---|---|---|---|"]
    for lam, (cost, quality), shares in zip(router.lambdas, router.points, router.calls,
                                            strict=True):
        top = sorted(shares.items(), key=lambda kv: -kv[1])[:3]
        shown = ", ".join(f"{m} {100 * share:.0f}%" for m, share in top)
        lam_text = "inf" if lam is None else f"{lam:.4g}"
        lines.append(f"| {lam_text} | {quality:.4f} | {_usd(cost, best_cost)} | {shown} |")
    lines += ["", "## Single models (test)", "", "| model | quality | cost |", "|---|---|---|"]
    for model in report.models:
        cost, quality = report.singles[model]
        lines.append(f"| {model} | {quality:.4f} | {_usd(cost, best_cost)} |")
    if report.tuning:
        lines += ["", "## Tuning (validation split of train; best 10)", "",
                  "| k | power | prior_strength | validation APGR |", "|---|---|---|---|"]
        for params, score in report.tuning:
            lines.append(f"| {params.k} | {params.power} | {params.prior_strength} "
                         f"| {score:.4f} |")
    return "\n".join(lines) + "\n"


def plot(report: Report, path: Path) -> bool:
    """Quality against cost (% of always-best); False when matplotlib is missing."""
    try:
        importlib.import_module("matplotlib").use("Agg")
        plt = importlib.import_module("matplotlib.pyplot")
    except ImportError:
        return False
    best_cost = report.singles[report.best][0]

    def xy(pairs: list[Pair]) -> tuple[list[float], list[float]]:
        ordered = sorted(pairs)
        return [100 * c / best_cost for c, _ in ordered], [q for _, q in ordered]

    # Mixes are straight lines only on a linear axis: draw them point by point.
    hull = [Point(*pair) for pair in report.frontier]
    dense = [(p.cost, p.quality) for a, b in itertools.pairwise(hull) for p in mix(a, b, 21)]
    figure, panels = plt.subplots(1, 2, figsize=(15, 6))
    for axes, scale in zip(panels, ("linear", "log"), strict=True):
        for curve, style in zip(report.curves, ("o-", "x--"), strict=False):
            axes.plot(*xy(curve.points), style, label=curve.method)
        axes.plot(*xy(report.random_mix), ":", color="grey", label="random mix")
        axes.plot(*xy(dense), "-.", color="tab:green", label="single-model frontier")
        xs, ys = xy(list(report.singles.values()))
        axes.scatter(xs, ys, s=12, color="black", label="single models")
        for model in (report.cheapest, report.best):
            cost, quality = report.singles[model]
            axes.annotate(model, (100 * cost / best_cost, quality), fontsize=8)
        axes.set_xscale(scale)
        axes.set_xlabel(f"cost per prompt, % of always-best ({report.best}), {scale} scale")
        axes.set_ylabel("quality (mean score of the chosen model)")
        axes.grid(alpha=0.3)
        axes.legend(loc="lower right")
    figure.suptitle(f"{Path(report.data).name}: routing {report.test_prompts} held-out prompts "
                    f"({report.embedder})")
    figure.savefig(path, dpi=120, bbox_inches="tight")
    plt.close(figure)
    return True


def _plain(value: object) -> object:
    if isinstance(value, np.generic):
        return value.item()
    raise NotImplementedError(f"cannot encode {type(value).__name__}")


def write_report(report: Report, out: Path | None) -> str:
    """The Markdown table; with `out`, also table.md, results.json and plot.png there."""
    text = table(report)
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        (out / "table.md").write_text(text, encoding="utf-8")
        encoded = msgspec.json.encode(report, enc_hook=_plain)
        (out / "results.json").write_bytes(msgspec.json.format(encoded))
        if not plot(report, out / "plot.png"):
            text += "\n(matplotlib not installed: no plot)\n"
    return text
