"""`bench.embedders`: its AUC, and one run end to end on a tiny pairs file."""

from __future__ import annotations

import gzip
import itertools
import json
from pathlib import Path

import numpy as np
import pytest

from bench.embedders import main, roc_auc


def brute_force_auc(scores: list[float], labels: list[bool]) -> float:
    pairs = [(p, n) for (p, lp), (n, ln) in itertools.product(zip(scores, labels, strict=True),
                                                              repeat=2) if lp and not ln]
    return sum(1.0 if p > n else 0.5 if p == n else 0.0 for p, n in pairs) / len(pairs)


def test_auc_counts_ties_half_like_the_pairwise_definition() -> None:
    rng = np.random.default_rng(7)
    scores = rng.integers(0, 6, size=60).astype(np.float64)  # many ties
    labels = rng.random(60) < 0.4
    assert roc_auc(scores, labels) == pytest.approx(
        brute_force_auc(scores.tolist(), labels.tolist()))


def test_auc_needs_both_classes() -> None:
    with pytest.raises(ValueError, match="both"):
        roc_auc(np.array([0.1, 0.2]), np.array([True, True]))


def test_main_prints_speed_and_auc(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rows = [
        {"text_a": "How do I reverse a list in Python?",
         "text_b": "How can I reverse a list in Python?", "label": 1},
        {"text_a": "What is the capital of France?",
         "text_b": "Which city is the capital of France?", "label": 1},
        {"text_a": "How do I bake bread?", "text_b": "Who won the 1998 World Cup?", "label": 0},
        {"text_a": "Best laptop for students", "text_b": "How tall is Everest?", "label": 0},
    ]
    path = tmp_path / "pairs.jsonl.gz"
    with gzip.open(path, "wt") as file:
        file.writelines(json.dumps(row) + "\n" for row in rows)
    assert main(["--embedders", "hashing", "--seconds", "0.05", "--pairs", str(path)]) == 0
    header, line = capsys.readouterr().out.strip().splitlines()
    assert "AUC (n=4)" in header
    assert line.startswith("hashing:384")
    assert line.split()[-1] == "1.0000"
