"""The semantic cache evaluation: its threshold rule, and a whole small run."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from bench.cache_latency import main as latency_main
from bench.cache_latency import measure, zipf_sizes
from bench.cache_relabel import compare, pair_id
from bench.cache_relabel import main as relabel_main
from bench.embedders import Pair
from bench.eval_cache import Row, choose, is_dev, main, row, wilson_upper
from stages.semantic.partition import PartitionParams

DUPLICATES = [
    ("How do I learn Python?", "How do I learn Python quickly?"),
    ("What is the capital of France?", "What is the capital city of France?"),
    ("How can I lose weight fast?", "How can I lose weight quickly?"),
    ("Why is the sky blue?", "Why is the sky blue during the day?"),
    ("What is machine learning?", "What exactly is machine learning?"),
    ("How do I make pancakes?", "How do I make fluffy pancakes?"),
]
DIFFERENT = [
    ("How do I convert °F to °C?", "How do I convert °C to °F?"),
    ("Is 100 mg of caffeine too much?", "Is 200 mg of caffeine too much?"),
    ("Is ibuprofen safe for dogs?", "Is ibuprofen not safe for dogs?"),
    ("What is the best laptop?", "What is the best pizza in Naples?"),
    ("How tall is Mount Everest?", "Who wrote War and Peace?"),
    ("How do I sort a list ascending?", "How do I sort a list descending?"),
]
# The same question twice, differing only in case and punctuation.
REPEATS = [(f"Is {word} a lucky word?", f"is {word} a lucky word") for word in
           "amber birch cedar dune ember fjord grove heath inlet juniper kelp larch".split()]


def write_pairs(path: Path, lines: Sequence[Mapping[str, object]]) -> Path:
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return path


def rows_at(false_hits: list[tuple[int, int]]) -> list[Row]:
    """Rows for thresholds 0.9, 0.91, ... with (hits, false hits) each."""
    out: list[Row] = []
    for i, (hits, false) in enumerate(false_hits):
        labels = np.array([True] * (hits - false) + [False] * false)
        out.append(row(0.9 + i / 100, True, np.ones(hits, dtype=bool), labels))
    return out


def test_the_lowest_threshold_meeting_the_target_wins() -> None:
    rows = rows_at([(400, 20), (200, 1), (100, 1), (50, 0)])
    chosen, rule = choose(rows)
    assert chosen.threshold == 0.91
    assert "lowest with" in rule


def test_the_target_on_the_development_half_keeps_a_margin_under_the_budget() -> None:
    rows = rows_at([(400, 4), (200, 2), (100, 0)])  # 1%, 1%, 0%
    chosen, _ = choose(rows)
    assert chosen.threshold == 0.92


def test_the_threshold_rises_while_that_costs_few_hits() -> None:
    rows = rows_at([(400, 0), (398, 0), (393, 0), (391, 0), (300, 0)])
    chosen, rule = choose(rows)
    assert chosen.threshold == 0.92  # 393 of 400; 391 would cost over 2%
    assert "raised" in rule


def test_without_the_target_the_lowest_upper_bound_wins_over_enough_hits() -> None:
    rows = rows_at([(400, 40), (200, 6), (100, 4), (10, 0)])
    chosen, rule = choose(rows)
    assert chosen.threshold == 0.91  # 3% of 200; 0.93 has no false hits, but 10 hits
    assert "not reached" in rule


def test_the_wilson_bound_sits_above_the_share_and_tightens_with_hits() -> None:
    assert 0.01 < wilson_upper(1, 100) < 0.06
    assert wilson_upper(10, 1000) < wilson_upper(1, 100)
    assert wilson_upper(0, 0) == 1.0


def test_a_pair_lands_on_the_same_side_whatever_else_is_sampled() -> None:
    pair = Pair(text_a="a", text_b="b", label=1)
    sides = {is_dev(pair, seed=0, dev_share=0.5) for _ in range(3)}
    assert len(sides) == 1
    shares = [is_dev(Pair(text_a=str(i), text_b="x", label=0), 0, 0.5) for i in range(400)]
    assert 150 < sum(shares) < 250


def test_a_small_run_writes_its_table_and_results(tmp_path: Path) -> None:
    lines = [{"text_a": a, "text_b": b, "label": 1} for a, b in DUPLICATES * 4]
    lines += [{"text_a": a, "text_b": b, "label": 0} for a, b in DIFFERENT * 4]
    data = write_pairs(tmp_path / "pairs.jsonl", lines)
    out = tmp_path / "out"

    assert main(["--pairs", str(data), "--embedder", "hashing", "--no-latency",
                 "--out", str(out)]) == 0

    results = json.loads((out / "results.json").read_text())
    [report] = results["embedders"]
    assert report["embedder"].startswith("hashing")
    assert report["dev_pairs"] + report["test_pairs"] == len(lines)
    with_guards = next(c for c in report["choices"] if c["guards"])
    assert with_guards["test"]["false_hits"] == 0
    assert "Chosen thresholds" in (out / "table.md").read_text()


def test_latency_is_measured_for_one_and_many_partitions() -> None:
    params = PartitionParams(graph_above=64, graph_below=16, catch_up=32)
    report = measure(entries=400, dim=16, queries=20, crossover_sizes=[32, 128], seed=0,
                     params=params, partitions=20)

    assert [t.partitions for t in report.timings] == [1, 20]
    assert report.timings[0].graph_partitions == 1
    assert report.timings[0].recall_at_1 > 0.9
    assert all(0 < t.reading_bytes_per_entry < 1000 for t in report.timings)
    assert report.timings[0].hit_cpu_p50_us <= report.timings[0].hit_p99_us
    assert [c.size for c in report.crossings] == [32, 128]
    assert sum(zipf_sizes(1000, 50)) == 1000


def test_the_latency_bench_runs_on_its_own(tmp_path: Path) -> None:
    assert latency_main(["--entries", "200", "--queries", "10", "--partitions", "10",
                         "--dim", "8", "--crossover-sizes", "16", "--runs", "2",
                         "--out", str(tmp_path)]) == 0
    results = json.loads((tmp_path / "results.json").read_text())
    assert results["dim"] == 8
    assert [t["run"] for t in results["timings"]] == [0, 0, 1, 1]


def test_identical_text_false_hits_are_counted_apart() -> None:
    labels = np.array([True, True, False, False])
    identical = np.array([False, False, True, False])
    counted = row(0.9, True, np.ones(4, dtype=bool), labels, identical)
    assert counted.false_share == 0.5 and counted.identical_false_hits == 1
    assert counted.false_share_without_noise == 1 / 3


def test_only_development_pairs_are_quoted(tmp_path: Path) -> None:
    # Repeats labelled different: no guard or threshold can tell them apart.
    noisy = REPEATS
    lines = [{"text_a": a, "text_b": b, "label": 0} for a, b in noisy]
    lines += [{"text_a": a, "text_b": b, "label": 1} for a, b in DUPLICATES]
    data = write_pairs(tmp_path / "pairs.jsonl", lines)

    assert main(["--pairs", str(data), "--embedder", "hashing", "--no-latency",
                 "--out", str(tmp_path / "out")]) == 0

    [report] = json.loads((tmp_path / "out" / "results.json").read_text())["embedders"]
    dev = {a for a, b in noisy if is_dev(Pair(text_a=a, text_b=b, label=0), 0, 0.5)}
    quoted = {x["text_a"] for x in report["false_hits_left"]}
    assert quoted and quoted <= dev < {a for a, _ in noisy}
    assert report["test_identical_different"] == len(noisy) - len(dev)


def test_the_blind_listing_shows_each_pair_once_without_its_label(tmp_path: Path) -> None:
    repeats = REPEATS[:6]
    lines = [{"text_a": a, "text_b": b, "label": i % 2} for i, (a, b) in enumerate(repeats)]
    data = write_pairs(tmp_path / "pairs.jsonl", lines * 2)
    listing = tmp_path / "hits.txt"

    assert relabel_main(["--pairs", str(data), "--embedder", "hashing", "--dev-share", "0",
                         "--out", str(listing)]) == 0

    text = listing.read_text()
    shown = [line for line in text.splitlines() if line and not line.startswith(" ")]
    assert sorted(shown) == sorted(pair_id(Pair(text_a=a, text_b=b, label=0))
                                   for a, b in repeats)
    assert "label" not in text and not any(line.endswith(("0", "1"))
                                           for line in text.splitlines()
                                           if line.startswith(" "))


def test_agreement_counts_both_directions() -> None:
    agreement = compare([True, True, False, False, False], [True, False, True, True, False])
    assert (agreement.both_duplicate, agreement.both_different) == (1, 1)
    assert agreement.qqp_different_read_duplicate == 2
    assert agreement.qqp_duplicate_read_different == 1
    assert compare([True, False], [True, False]).kappa == 1.0


def test_a_blind_reading_is_reported_beside_the_raw_labels(tmp_path: Path) -> None:
    data = write_pairs(tmp_path / "pairs.jsonl",
                       [{"text_a": a, "text_b": b, "label": 0} for a, b in REPEATS])
    reading = tmp_path / "relabel.toml"
    reading.write_text('annotator = "test"\nrule = "same question"\n[duplicate]\n' + "".join(
        f'"{pair_id(Pair(text_a=a, text_b=b, label=0))}" = true\n' for a, b in REPEATS))

    assert main(["--pairs", str(data), "--embedder", "hashing", "--no-latency",
                 "--relabel", str(reading), "--out", str(tmp_path / "out")]) == 0

    results = json.loads((tmp_path / "out" / "results.json").read_text())
    [report] = results["embedders"]
    again = report["reread"]
    assert again["read"] == again["hits"] > 0
    assert again["false_qqp"] == again["hits"] and again["false_read"] == 0
    assert results["relabel_agreement"]["qqp_different_read_duplicate"] == \
        report["test_pairs"]
    assert "blind re-reading" in (tmp_path / "out" / "table.md").read_text()


def test_the_development_listing_has_only_development_pairs_default_hits_first(
        tmp_path: Path) -> None:
    lines = [{"text_a": a, "text_b": b, "label": i % 2} for i, (a, b) in enumerate(REPEATS)]
    data = write_pairs(tmp_path / "pairs.jsonl", lines)
    listing = tmp_path / "dev.txt"

    assert relabel_main(["--pairs", str(data), "--embedder", "hashing", "--half", "dev",
                         "--limit", "3", "--out", str(listing)]) == 0

    text = listing.read_text()
    shown = [line for line in text.splitlines() if line and line[0] not in " #"]
    dev = {pair_id(Pair(text_a=a, text_b=b, label=0)) for a, b in REPEATS
           if is_dev(Pair(text_a=a, text_b=b, label=0), 0, 0.5)}
    assert len(dev) > 3 and len(shown) == 3 and set(shown) <= dev
    assert text.startswith("# Development-half pairs") and "seeded sample" in text
    assert "label" not in text


def test_the_development_half_is_reported_alone_and_chosen_on_by_its_reading(
        tmp_path: Path) -> None:
    data = write_pairs(tmp_path / "pairs.jsonl",
                       [{"text_a": a, "text_b": b, "label": 0} for a, b in REPEATS])
    dev = [Pair(text_a=a, text_b=b, label=0) for a, b in REPEATS]
    dev = [p for p in dev if is_dev(p, 0, 0.5)]
    reading = tmp_path / "dev.toml"
    reading.write_text('annotator = "test"\nrule = "same question"\n[duplicate]\n'
                       + "".join(f'"{pair_id(p)}" = true\n' for p in dev))
    out = tmp_path / "out"

    assert main(["--pairs", str(data), "--embedder", "hashing", "--no-latency", "--half",
                 "dev", "--relabel", str(reading), "--dev-relabel", str(reading),
                 "--out", str(out)]) == 0

    results = json.loads((out / "results.json").read_text())
    assert results["half"] == "dev"
    [report] = results["embedders"]
    assert report["test_pairs"] == report["dev_pairs"] == len(dev) < len(REPEATS)
    assert report["test_identical_different"] == len(dev)
    with_guards = next(c for c in report["choices"] if c["guards"])
    assert with_guards["dev"]["hits"] > 0 and with_guards["dev"]["false_hits"] == 0
    # The same pairs, reported with QQP's labels.
    assert with_guards["test"]["false_hits"] == with_guards["dev"]["hits"]
    assert report["reread"]["false_read"] == 0 and report["reread"]["read"] == len(dev)
    assert report["reread_sweep"][0]["threshold"] == 0.7
    assert "no test-half figure" in (out / "table.md").read_text()
