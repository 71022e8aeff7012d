"""The task-type evaluation's development/test split: fixed by a hash, about half each,
and never splitting one arena-hard cluster across both parts. Fixtures are written
here; nothing is read from ../shared."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest

from bench import eval_analyzer
from bench.eval_analyzer import labelled_arena, labelled_mt_bench, split_of


def test_the_split_is_fixed_and_about_half() -> None:
    keys = [f"arena:cluster {i}" for i in range(2000)]
    parts = [split_of(key) for key in keys]
    assert parts == [split_of(key) for key in keys]
    assert 0.45 < parts.count("dev") / len(parts) < 0.55
    assert split_of("mt_bench:81") in ("dev", "test")


def write_jsonl(path: Path, rows: Sequence[Mapping[str, object]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))


def test_prompts_of_one_cluster_share_a_part(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    clusters = [f"Topic {i}" for i in range(40)]
    write_jsonl(tmp_path / eval_analyzer.ARENA_HARD, [
        {"cluster": cluster, "prompt": f"prompt {n} of {cluster}"}
        for cluster in clusters for n in range(3)] + [
        {"cluster": "Vague", "prompt": "left out"}])
    labels = tmp_path / "labels.toml"
    labels.write_text("[labels]\n" + "".join(f'"{c}" = "code"\n' for c in clusters)
                      + '[unlabelled]\n"Vague" = "no task in the name"\n')
    monkeypatch.setattr(eval_analyzer, "MAPPING", labels)
    items, left_out = labelled_arena(tmp_path)
    assert left_out == 1 and len(items) == 120
    by_cluster: dict[str, set[str]] = {}
    for item in items:
        by_cluster.setdefault(item.text.split(" of ")[1], set()).add(item.part)
    assert all(len(parts) == 1 for parts in by_cluster.values())
    assert {part for parts in by_cluster.values() for part in parts} == {"dev", "test"}


def test_mt_bench_questions_are_split_by_id(tmp_path: Path) -> None:
    write_jsonl(tmp_path / eval_analyzer.MT_BENCH, [
        {"question_id": i, "category": "math", "turns": [f"question {i}", "follow-up"]}
        for i in range(60)])
    items = labelled_mt_bench(tmp_path)
    assert [item.text for item in items] == [f"question {i}" for i in range(60)]
    assert all(item.task == "math" for item in items)
    assert [item.part for item in items] == [split_of(f"mt_bench:{i}") for i in range(60)]
    assert {item.part for item in items} == {"dev", "test"}
