"""Converters from the shared routing data, on hand-written miniatures of each file."""

from __future__ import annotations

import csv
import gzip
import shutil
from pathlib import Path

import pytest

from bench.routing_data import (
    GPT4,
    MIXTRAL,
    PRICES,
    Record,
    cost_usd,
    gsm8k,
    main,
    mmlu,
    mmlu_pro,
    mmlu_pro_prompt,
    mt_bench,
    read_records,
    write_records,
)
from stages.analyzer import estimate_tokens

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "routing"


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """The fixtures laid out like ../shared/data/routing, MMLU-Pro files gzipped."""
    root = tmp_path / "routing"
    shutil.copytree(FIXTURES / "routellm", root / "routellm")
    (root / "mmlu_pro").mkdir()
    for plain in (FIXTURES / "mmlu_pro").iterdir():
        with gzip.open(root / "mmlu_pro" / f"{plain.name}.gz", "wb") as packed:
            packed.write(plain.read_bytes())
    return root


def test_mmlu_leaves_out_contaminated_prompts_and_reads_correctness(data_dir: Path) -> None:
    records = list(mmlu(data_dir))

    assert len(records) == 3
    assert not any(r.prompt.startswith("A contaminated question") for r in records)
    hyoid = next(r for r in records if "hyoid" in r.prompt)
    assert hyoid.scores == {MIXTRAL: 0.0, GPT4: 1.0}
    assert all(r.costs[GPT4] > 10 * r.costs[MIXTRAL] for r in records)


def test_gsm8k_charges_each_model_for_its_own_reply(data_dir: Path) -> None:
    records = list(gsm8k(data_dir))

    assert [r.prompt[:9] for r in records] == ["Tom has 3", "A train l"]
    with (FIXTURES / "routellm" / "gsm8k_responses.csv").open(newline="") as rows:
        replies = next(csv.DictReader(rows))
    tom = records[0]
    for model in (MIXTRAL, GPT4):
        expected = cost_usd(model, estimate_tokens(tom.prompt),
                            estimate_tokens(replies[f"{model}_response"]))
        assert tom.costs[model] == pytest.approx(expected)
    assert records[1].scores == {MIXTRAL: 0.0, GPT4: 1.0}


def test_mt_bench_averages_both_turns_out_of_ten(data_dir: Path) -> None:
    records = {r.prompt: r for r in mt_bench(data_dir)}

    assert set(records) == {"Write a haiku about autumn.", "What is 2 + 2?"}
    assert records["What is 2 + 2?"].scores == {MIXTRAL: pytest.approx(0.3), GPT4: 1.0}
    haiku = records["Write a haiku about autumn."]
    assert haiku.scores[MIXTRAL] == pytest.approx(0.7)
    assert 0 < haiku.costs[MIXTRAL] < haiku.costs[GPT4]


def test_mmlu_pro_scores_all_models_and_skips_missing_rows(data_dir: Path) -> None:
    records = list(mmlu_pro(data_dir))

    assert len(records) == 3
    assert len(records[0].scores) == 31 and set(records[0].scores) <= set(PRICES)
    assert "DeepSeek-Coder-V2" not in records[1].scores
    assert "DeepSeek-Coder-V2" not in records[1].costs
    assert records[2].scores["gpt-4o"] == 1.0 and records[2].scores["gemma-7b"] == 0.0
    prompt = mmlu_pro_prompt("What is the derivative of x^2?", ["x", "2x", "x^2", "2"])
    assert records[1].prompt == prompt
    assert records[1].costs["gpt-4o"] == pytest.approx(
        (estimate_tokens(prompt) * 5.00 + 435 / 4 * 15.00) / 1e6)


def test_every_price_names_its_source() -> None:
    assert all(price.source and price.input > 0 and price.output > 0
               for price in PRICES.values())


def test_cli_writes_records_that_read_back(data_dir: Path, tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "mt.jsonl"

    assert main(["mt_bench", "--out", str(out), "--data-dir", str(data_dir)]) == 0

    assert "wrote 2 prompts" in capsys.readouterr().out
    assert [r.prompt for r in read_records(out)] == [r.prompt for r in mt_bench(data_dir)]


def test_costs_are_optional_and_scores_must_be_fractions(tmp_path: Path) -> None:
    path = tmp_path / "data.jsonl"
    path.write_text('{"prompt": "hi", "scores": {"a": 1.0}}\n\n')
    assert read_records(path) == [Record(prompt="hi", scores={"a": 1.0})]

    write_records([Record(prompt="hi", scores={"a": 7.0})], path)
    with pytest.raises(ValueError, match=r"data.jsonl:1: score of a is 7.0"):
        read_records(path)


def test_cli_fails_and_says_why_when_the_data_folder_holds_nothing(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["mmlu", "--out", str(tmp_path / "m.jsonl"), "--data-dir", str(tmp_path)]) == 1

    assert "--data-dir must hold routellm/" in capsys.readouterr().err
