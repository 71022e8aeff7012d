"""The task-type evaluation: per-prompt labels (ambiguous prompts carry two), scored
strict, lenient and primary; the development/test split fixed by a hash, about half
each, never splitting one arena-hard cluster across both parts. Fixtures are written
here; nothing is read from ../shared."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pytest

from bench import eval_analyzer
from bench.eval_analyzer import (
    Labelled,
    accuracy,
    cluster_name_accuracy,
    labelled_arena,
    labelled_mt_bench,
    split_of,
    task_labels,
)
from reactor import TaskType
from stages.classify import _seeds_a, _seeds_j, _seeds_k, seed_examples


def test_the_split_is_fixed_and_about_half() -> None:
    keys = [f"arena:cluster {i}" for i in range(2000)]
    parts = [split_of(key) for key in keys]
    assert parts == [split_of(key) for key in keys]
    assert 0.45 < parts.count("dev") / len(parts) < 0.55
    assert split_of("mt_bench:81") in ("dev", "test")


def write_jsonl(path: Path, rows: Sequence[Mapping[str, object]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))


def use_labels(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str,
               clusters: str = "[labels]\n[unlabelled]\n") -> None:
    (tmp_path / "task_labels.toml").write_text(text)
    (tmp_path / "clusters.toml").write_text(clusters)
    monkeypatch.setattr(eval_analyzer, "LABELS", tmp_path / "task_labels.toml")
    monkeypatch.setattr(eval_analyzer, "MAPPING", tmp_path / "clusters.toml")


def test_every_arena_prompt_gets_its_own_label_and_keeps_its_cluster_part(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    clusters = [f"Topic {i}" for i in range(40)]
    rows = [{"uid": f"u{c}-{n}", "cluster": cluster, "prompt": f"prompt {n} of {cluster}"}
            for c, cluster in enumerate(clusters) for n in range(3)]
    write_jsonl(tmp_path / eval_analyzer.ARENA_HARD, rows)
    own = {row["uid"]: ("math" if row["uid"].endswith("-0") else "code") for row in rows}
    use_labels(tmp_path, monkeypatch,
               "[arena_hard]\n" + "".join(f'"{uid}" = "{task}"\n' for uid, task in own.items())
               + "[mt_bench]\n[ambiguous.arena_hard]\n"
               + '"u0-1" = ["code", "open_qa"]\n',
               '[labels]\n"Topic 0" = "code"\n[unlabelled]\n"Topic 1" = "no task"\n')
    items = labelled_arena(tmp_path)
    assert len(items) == 120
    assert [item.task for item in items] == list(own.values())
    assert items[1].candidates == ("code", "open_qa") and items[1].ambiguous
    assert items[0].candidates == ("math",) and not items[0].ambiguous
    assert {item.cluster_task for item in items[:3]} == {"code"}
    assert all(item.cluster_task is None for item in items[3:])
    by_cluster: dict[str, set[str]] = {}
    for item in items:
        by_cluster.setdefault(item.text.split(" of ")[1], set()).add(item.part)
    assert all(len(parts) == 1 for parts in by_cluster.values())
    assert {part for parts in by_cluster.values() for part in parts} == {"dev", "test"}


def test_a_prompt_without_a_label_is_an_error(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    write_jsonl(tmp_path / eval_analyzer.ARENA_HARD,
                [{"uid": "a", "cluster": "C", "prompt": "p"},
                 {"uid": "b", "cluster": "C", "prompt": "q"}])
    use_labels(tmp_path, monkeypatch, '[arena_hard]\n"a" = "code"\n[mt_bench]\n')
    with pytest.raises(ValueError, match="no label for arena_hard prompt b"):
        labelled_arena(tmp_path)


def test_an_ambiguous_pair_must_start_with_the_prompts_label(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    use_labels(tmp_path, monkeypatch, '[arena_hard]\n[mt_bench]\n"1" = "math"\n'
               '[ambiguous.mt_bench]\n"1" = ["reasoning", "math"]\n')
    with pytest.raises(ValueError, match=r"ambiguous\.mt_bench\.1"):
        task_labels()


def test_mt_bench_questions_are_split_by_id(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    write_jsonl(tmp_path / eval_analyzer.MT_BENCH, [
        {"question_id": i, "category": "math", "turns": [f"question {i}", "follow-up"]}
        for i in range(60)])
    use_labels(tmp_path, monkeypatch, "[arena_hard]\n[mt_bench]\n" + "".join(
        f'"{i}" = "{"reasoning" if i % 2 else "math"}"\n' for i in range(60)))
    items = labelled_mt_bench(tmp_path)
    assert [item.text for item in items] == [f"question {i}" for i in range(60)]
    assert [item.task for item in items] == [
        "reasoning" if i % 2 else "math" for i in range(60)]
    assert all(item.cluster_task == "math" for item in items)
    assert [item.part for item in items] == [split_of(f"mt_bench:{i}") for i in range(60)]
    assert {item.part for item in items} == {"dev", "test"}


def item(*candidates: TaskType, cluster_task: TaskType | None = None) -> Labelled:
    return Labelled("text", candidates[0], "arena_hard", "dev", candidates, cluster_task)


def test_strict_leaves_ambiguous_prompts_out_and_lenient_takes_either_candidate() -> None:
    items = [item("code"), item("math"), item("creative_writing", "open_qa"),
             item("reasoning", "math")]
    predicted: list[TaskType] = ["code", "reasoning", "open_qa", "code"]
    got = accuracy(items, predicted)
    assert (got.strict, got.strict_n) == (0.5, 2)
    assert (got.lenient, got.n) == (0.5, 4)
    assert got.primary == 0.25
    only_ambiguous = accuracy(items[2:], predicted[2:])
    assert math.isnan(only_ambiguous.strict) and only_ambiguous.strict_n == 0


def test_the_cluster_name_figure_counts_only_prompts_a_name_labelled() -> None:
    items = [item("code", cluster_task="open_qa"), item("math"),
             item("code", cluster_task="code")]
    assert cluster_name_accuracy(items, ["code", "math", "code"]) == "50.0% of 2"
    assert cluster_name_accuracy(items[1:2], ["math"]) == "no prompts"


def test_held_out_seeds_score_folds_and_the_blind_parts_with_and_without_vectors(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # The words cannot tell the two tasks apart; the vectors (the label itself) can.
    # Twenty prompts of three words each, no word shared: twenty groups.
    texts = [f"{c}{c}x {c}{c}y {c}{c}z" for c in "abcdefghijklmnopqrst"]
    labels = [3, 0] * 10
    monkeypatch.setattr(eval_analyzer, "seed_examples", lambda: (texts, labels))
    monkeypatch.setattr(eval_analyzer, "blind_written",
                        lambda texts: [i >= 14 for i in range(len(texts))])
    words_only, none = eval_analyzer.held_out_seeds()
    assert none is None
    assert words_only.grouped <= 0.6 and words_only.blind <= 0.67
    vectors = np.eye(10, dtype=np.float32)[labels]
    words_again, both = eval_analyzer.held_out_seeds(vectors)
    assert words_again == words_only
    assert both == eval_analyzer.HeldOut(1.0, 1.0)


def test_near_duplicate_seeds_share_a_group_and_so_a_fold() -> None:
    texts = ["write a poem about the sea at night",
             "sort these numbers from small to large",
             "write a poem about the sea at dawn",     # 7 of 9 words: with the first
             "write a short poem about the sea at dawn please",   # 8 of 10: the third
             "what is the capital of France"]
    assert eval_analyzer.near_duplicate_groups(texts) == [0, 1, 0, 0, 4]
    for assignment in ("1", "2"):
        folds = eval_analyzer.seed_folds(texts, assignment)
        assert folds[0] == folds[2] == folds[3]
        assert all(0 <= fold < 5 for fold in folds)
        assert folds == eval_analyzer.seed_folds(texts, assignment)


def test_the_blind_parts_are_the_seeds_of_j_and_k() -> None:
    texts, _ = seed_examples()
    blind = eval_analyzer.blind_written(texts)
    assert sum(blind) == 500
    assert blind[texts.index(_seeds_j.CHAT[0])]
    assert blind[texts.index(_seeds_k.CODE[0])]
    assert not any(blind[texts.index(text)] for text in _seeds_a.CODE)


def test_seeds_only_prints_the_seed_checks_without_reading_evaluation_data(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    texts = [f"{c}{c}x {c}{c}y {c}{c}z" for c in "abcdefghij"]
    monkeypatch.setattr(eval_analyzer, "seed_examples", lambda: (texts, [3, 0] * 5))
    monkeypatch.setattr(eval_analyzer, "blind_written",
                        lambda texts: [i >= 8 for i in range(len(texts))])
    # No data directory: reading any evaluation prompt would fail.
    assert eval_analyzer.main(["--seeds-only", "--no-minilm",
                               "--data", str(tmp_path / "absent")]) == 0
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 1
    assert out[0].startswith("seed prompts, word model: grouped 5-fold cross-validation ")
