"""Routing evaluation: the metrics on curves we can work out by hand, then whole runs."""

from __future__ import annotations

import json
from pathlib import Path

import msgspec
import numpy as np
import numpy.typing as npt
import pytest

from bench.eval_routing import main, run, split, summarise
from bench.routing_data import Record
from bench.routing_metrics import (
    Point,
    apgr,
    cost_to_reach,
    frontier,
    mix,
    normalise,
    oracle_choice,
    outcome,
    quality_within,
)
from bench.routing_report import Report
from stages.quality import QualityParams

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "routing_small.jsonl"
CHEAP, BEST = Point(1.0, 0.6), Point(11.0, 0.8)


def test_apgr_is_one_at_best_quality_zero_at_cheapest_and_half_for_a_mix() -> None:
    shares = list(np.linspace(0, 1, 11))

    assert apgr(shares, [1.0] * 11) == pytest.approx(1.0)
    assert apgr(shares, [0.0] * 11) == pytest.approx(0.0)
    assert apgr(shares, shares) == pytest.approx(0.5)
    assert summarise("mix", mix(CHEAP, BEST, 11), CHEAP, BEST).apgr == pytest.approx(0.5)


def test_apgr_anchors_at_the_cheapest_and_holds_its_last_value() -> None:
    # Only one point, halfway in cost, at full quality: (0,0) -> (0.5,1) -> (1,1).
    assert apgr([0.5], [1.0]) == pytest.approx(0.75)
    # Spending past always-best does not earn area beyond x = 1.
    assert apgr([0.0, 2.0], [0.0, 2.0]) == pytest.approx(0.5)


def test_random_routing_recovers_half_the_gap() -> None:
    rng = np.random.default_rng(0)
    n = 4000
    weak = (rng.random(n) < 0.6).astype(float)
    strong = np.maximum(weak, rng.random(n) < 0.5)
    scores, costs = np.c_[weak, strong], np.tile([1.0, 10.0], (n, 1))
    points, shares = [], []
    for p in np.linspace(0, 1, 11):
        choice = (rng.random(n) < p).astype(np.int64)
        points.append(outcome(scores, costs, choice))
        shares.append(float(choice.mean()))
    cheap, best = (outcome(scores, costs, np.full(n, j, np.int64)) for j in (0, 1))

    summary = summarise("random", points, cheap, best, shares)

    assert summary.apgr == pytest.approx(0.5, abs=0.05)
    assert summary.apgr_calls == pytest.approx(0.5, abs=0.05)


def test_cost_to_reach_interpolates_and_says_never() -> None:
    costs, qualities = [1.0, 3.0, 5.0], [0.5, 0.7, 0.9]

    assert cost_to_reach(costs, qualities, 0.6) == pytest.approx(2.0)
    assert cost_to_reach(costs, qualities, 0.4) == pytest.approx(1.0)
    assert cost_to_reach(costs, qualities, 0.95) is None
    assert quality_within(costs, qualities, 4.0) == pytest.approx(0.8)


def test_oracle_takes_the_cheapest_right_model() -> None:
    scores = np.array([[1.0, 1.0, 1.0], [0.0, 1.0, 1.0], [0.0, 0.0, 0.0]])
    costs = np.array([[3.0, 2.0, 9.0], [1.0, 2.0, 9.0], [1.0, 2.0, 9.0]])

    assert oracle_choice(scores, costs).tolist() == [1, 1, 0]


def test_frontier_keeps_only_points_no_mix_beats() -> None:
    points = [Point(1, 0.5), Point(2, 0.55), Point(3, 0.8), Point(4, 0.7), Point(10, 0.9)]

    assert frontier(points) == [Point(1, 0.5), Point(3, 0.8), Point(10, 0.9)]
    assert normalise([1.0, 6.0, 11.0], 1.0, 11.0) == [0.0, 0.5, 1.0]


def test_split_is_deterministic_and_disjoint() -> None:
    train, test = split(100, 0.3, seed=0)

    assert len(test) == 30 and not set(train) & set(test)
    assert (split(100, 0.3, seed=0)[1] == test).all()
    assert not (split(100, 0.3, seed=1)[1] == test).all()


def topics(n: int, seed: int) -> list[Record]:
    """Three topics: easy (all right), medium (mid and best), hard (best only)."""
    rng = np.random.default_rng(seed)
    records = []
    for i in range(n):
        topic = int(rng.integers(3))
        right = {"nano": topic == 0, "mid": topic < 2, "ultra": True}
        records.append(Record(prompt=f"{topic} {i}",
                              scores={m: float(ok) for m, ok in right.items()},
                              costs={"nano": 0.001, "mid": 0.01, "ultra": 0.1}))
    return records


def embed_topic(texts: list[str]) -> npt.NDArray[np.float32]:
    """Topic from the prompt's first word; the index adds a small, fixed wobble."""
    out = np.zeros((len(texts), 8), dtype=np.float32)
    for row, text in enumerate(texts):
        topic, index = map(int, text.split())
        out[row, topic] = 1.0
        out[row, 3 + index % 5] = 0.2
    return out


def test_a_router_that_learns_beats_random_and_the_oracle_beats_it() -> None:
    report = run(topics(300, seed=1), embed_topic, embedder="topic", test_share=0.3, seed=0,
                 val_share=0.3, points=11, params=None, data="topics")
    by_method = {s.method: s for s in report.summaries}
    best_cost, best_quality = report.singles["ultra"]

    assert report.tuned and report.best == "ultra" and report.cheapest == "nano"
    assert by_method["router (kNN)"].apgr > 0.8 > 0.5 == pytest.approx(
        by_method["random mix"].apgr)
    assert by_method["oracle"].apgr >= by_method["router (kNN)"].apgr
    assert report.oracle_point.cost < 0.5 * best_cost
    assert report.oracle_point.quality >= best_quality


def test_cli_writes_table_and_results(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"

    code = main(["--data", str(FIXTURE), "--out", str(out), "--k", "3", "--power", "1",
                 "--prior-strength", "1", "--points", "5"])

    assert code == 0
    printed = capsys.readouterr().out
    assert "| router (kNN) |" in printed and "ultra" in printed
    assert (out / "table.md").read_text() == printed.split("\n(matplotlib")[0]
    report = msgspec.json.decode((out / "results.json").read_bytes(), type=Report)
    assert report.params == QualityParams(k=3, power=1.0, prior_strength=1.0)
    assert report.test_prompts == 7 and report.models == ["nano", "mid", "ultra"]
    oracle = report.oracle_point
    assert oracle.cost < report.singles["ultra"][0] and oracle.quality == 1.0
    assert json.loads((out / "results.json").read_text())["curves"][0]["method"] \
        == "router (kNN)"


def test_cli_wants_all_three_settings_or_none(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--data", str(FIXTURE), "--k", "3"])
    assert "go together" in capsys.readouterr().err
