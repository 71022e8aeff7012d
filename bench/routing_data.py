"""Routing data: public per-prompt, per-model outcomes in Reactor's training format.

One JSON object a line, the format `reactor train` and `bench.eval_routing` read:

    {"prompt": str, "scores": {model: 0..1}, "costs": {model: usd}}

Converters for ../shared/data/routing (see its SOURCES.md; nothing is copied into
this repository):

    python -m bench.routing_data mmlu|gsm8k|mt_bench|mmlu_pro --out FILE [--data-dir DIR]

- mmlu: RouteLLM's MMLU outcomes (57 subjects) for Mixtral-8x7B-Instruct and GPT-4-1106.
- gsm8k: RouteLLM's GSM8K outcomes for the same pair.
- mt_bench: RouteLLM's MT-bench judgements, the mean of both turns' 1-10 score / 10,
  keyed by the first turn (RouteLLM routes on the first turn too).
- mmlu_pro: MMLU-Pro correctness of 31 models (a model with no answer row is left out
  of that prompt's scores).

RouteLLM's contaminated prompts (those overlapping its router training data) are left
out as RouteLLM's own evaluation does. Costs come from `PRICES` and estimated tokens.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import re
import sys
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import NamedTuple

import msgspec

from stages.analyzer import estimate_tokens

DEFAULT_DATA_DIR = Path(__file__).resolve().parents[2] / "shared" / "data" / "routing"
MIXTRAL = "mistralai/Mixtral-8x7B-Instruct-v0.1"
GPT4 = "gpt-4-1106-preview"

csv.field_size_limit(sys.maxsize)


class Record(msgspec.Struct, frozen=True, kw_only=True):
    """One prompt with each model's score (0..1) and, optionally, its cost in USD."""

    prompt: str
    scores: dict[str, float]
    costs: dict[str, float] = {}


class Price(NamedTuple):
    input: float  # USD per million input tokens
    output: float  # USD per million output tokens
    source: str


# USD per million tokens. These are public list prices as the author remembers them for
# mid/late 2024 (when these outcomes were recorded), not prices fetched live: check
# them before quoting a dollar figure. Open-weight models use typical hosted prices by
# size (Together AI's serverless tiers); base models are priced like their size class.
_TOGETHER_8B = "typical hosted price, open model up to 8B (Together AI tier)"
_TOGETHER_13B = "typical hosted price, open model 8-21B (Together AI tier)"
_TOGETHER_34B = "typical hosted price, open model 21-41B (Together AI tier)"
_TOGETHER_70B = "typical hosted price, open model 41-80B (Together AI tier)"
_TOGETHER_110B = "typical hosted price, open model 80-110B (Together AI tier)"
_TOGETHER_MIXTRAL = "Together AI list price for Mixtral 8x7B (Mistral's own: 0.70/0.70)"
_DEEPSEEK = "DeepSeek API list price (mid-2024)"
PRICES: dict[str, Price] = {
    GPT4: Price(10.00, 30.00, "OpenAI list price, GPT-4 Turbo (gpt-4-1106-preview)"),
    MIXTRAL: Price(0.60, 0.60, _TOGETHER_MIXTRAL),
    "gpt-4o": Price(5.00, 15.00, "OpenAI list price, gpt-4o-2024-05-13 (the one MMLU-Pro ran)"),
    "gemini-1.5-pro-002": Price(1.25, 5.00, "Google AI list price from Oct 2024, <=128k"),
    "gemini-1.5-flash-002": Price(0.075, 0.30, "Google AI list price from Aug 2024, <=128k"),
    "DeepSeek-Coder-V2": Price(0.14, 0.28, _DEEPSEEK),
    "deepseek-v2-chat": Price(0.14, 0.28, _DEEPSEEK),
    "jamba-1.5-large": Price(2.00, 8.00, "AI21 list price"),
    "c4ai-command-r-v01": Price(0.50, 1.50, "Cohere list price, Command R (03-2024)"),
    "Phi-3-mini-4k-instruct": Price(0.13, 0.52, "Azure AI serverless list price"),
    "Qwen1.5-110B": Price(1.80, 1.80, _TOGETHER_110B),
    "Qwen1.5-72B-Chat": Price(0.90, 0.90, _TOGETHER_70B),
    "Meta-Llama-3_1-70B-Instruct": Price(0.88, 0.88, "Together AI list price, Llama 3.1 70B"),
    "Meta-Llama-3_1-70B": Price(0.88, 0.88, "Together AI list price, Llama 3.1 70B"),
    "Meta-Llama-3-70B": Price(0.90, 0.90, _TOGETHER_70B),
    "Llama-2-70b-hf": Price(0.90, 0.90, _TOGETHER_70B),
    "Yi-34B": Price(0.80, 0.80, _TOGETHER_34B),
    "Llama-2-13b-hf": Price(0.30, 0.30, _TOGETHER_13B),
    "Mixtral-8x7B-Instruct-v0.1": Price(0.60, 0.60, _TOGETHER_MIXTRAL),
    "Mixtral-8x7B-v0.1": Price(0.60, 0.60, _TOGETHER_MIXTRAL),
    "Meta-Llama-3_1-8B-Instruct": Price(0.18, 0.18, "Together AI list price, Llama 3.1 8B"),
    "Meta-Llama-3_1-8B": Price(0.18, 0.18, "Together AI list price, Llama 3.1 8B"),
    "Meta-Llama-3-8B": Price(0.20, 0.20, _TOGETHER_8B),
    "mathstral-7B": Price(0.20, 0.20, _TOGETHER_8B),
    "Mistral-7B-Instruct-v0.1": Price(0.20, 0.20, _TOGETHER_8B),
    "Mistral-7B-Instruct-v0.2": Price(0.20, 0.20, _TOGETHER_8B),
    "Mistral-7B-v0.1": Price(0.20, 0.20, _TOGETHER_8B),
    "Mistral-7B-v0.2-hf": Price(0.20, 0.20, _TOGETHER_8B),
    "gemma-7b": Price(0.20, 0.20, _TOGETHER_8B),
    "Qwen1.5-7B-Chat": Price(0.20, 0.20, _TOGETHER_8B),
    "Yi-6B": Price(0.20, 0.20, _TOGETHER_8B),
    "Yi-6b-Chat": Price(0.20, 0.20, _TOGETHER_8B),
    "Llama-2-7b-hf": Price(0.20, 0.20, _TOGETHER_8B),
}


def cost_usd(model: str, input_tokens: float, output_tokens: float) -> float:
    price = PRICES[model]
    return (input_tokens * price.input + output_tokens * price.output) / 1e6


def read_records(path: str | Path) -> list[Record]:
    decoder = msgspec.json.Decoder(Record)
    records = []
    with Path(path).open("rb") as lines:
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                record = decoder.decode(line)
            except msgspec.ValidationError as exc:
                raise ValueError(f"{path}:{number}: {exc}") from None
            for model, score in record.scores.items():
                if not 0.0 <= score <= 1.0:
                    raise ValueError(f"{path}:{number}: score of {model} is {score}, not 0..1")
            records.append(record)
    return records


def write_records(records: Iterable[Record], path: str | Path) -> int:
    encoder = msgspec.json.Encoder()
    count = 0
    with Path(path).open("wb") as out:
        for record in records:
            out.write(encoder.encode(record) + b"\n")
            count += 1
    return count


def _contaminated(path: Path) -> set[str]:
    if not path.exists():
        return set()
    with path.open(encoding="utf-8") as lines:
        return {json.loads(line)["eval_prompt"] for line in lines if line.strip()}


def _correct(cell: str) -> float:
    return {"True": 1.0, "False": 0.0}[cell]


def mmlu(data_dir: Path) -> Iterator[Record]:
    """RouteLLM MMLU: one token answered (they ran max_new_tokens=1)."""
    root = data_dir / "routellm"
    skip = _contaminated(root / "mmlu_contaminated_prompts.jsonl")
    for path in sorted((root / "mmlu_responses").glob("mmlu_*.csv")):
        with path.open(encoding="utf-8", newline="") as rows:
            for row in csv.DictReader(rows):
                prompt = row["prompt"]
                if prompt in skip:
                    continue
                tokens = estimate_tokens(prompt)
                yield Record(
                    prompt=prompt,
                    scores={m: _correct(row[m]) for m in (MIXTRAL, GPT4)},
                    costs={m: cost_usd(m, tokens, 1) for m in (MIXTRAL, GPT4)},
                )


def gsm8k(data_dir: Path) -> Iterator[Record]:
    root = data_dir / "routellm"
    skip = _contaminated(root / "gsm8k_contaminated_prompts.jsonl")
    with (root / "gsm8k_responses.csv").open(encoding="utf-8", newline="") as rows:
        for row in csv.DictReader(rows):
            prompt = row["prompt"]
            if prompt in skip:
                continue
            tokens = estimate_tokens(prompt)
            yield Record(
                prompt=prompt,
                scores={m: _correct(row[m]) for m in (MIXTRAL, GPT4)},
                costs={m: cost_usd(m, tokens, estimate_tokens(row[f"{m}_response"]))
                       for m in (MIXTRAL, GPT4)},
            )


_ANSWER = re.compile(r"### Assistant A:\n(.*?)(?=\n\n### User:|\n\n<\|The End of Assistant A)",
                     re.DOTALL)


def mt_bench(data_dir: Path) -> Iterator[Record]:
    """Both turns' mean score; tokens count the whole two-turn conversation."""
    root = data_dir / "routellm"
    skip = _contaminated(root / "mt_bench_contaminated_prompts.jsonl")
    with (root / "mt_bench_judgements.jsonl").open(encoding="utf-8") as lines:
        judgements = [json.loads(line) for line in lines if line.strip()]
    scores: dict[tuple[int, str], list[float]] = {}
    answers: dict[tuple[int, str], list[str]] = {}
    for row in judgements:
        key = (row["question_id"], row["model"])
        scores.setdefault(key, []).append(float(row["score"]) / 10)
        if row["turn"] == 2:
            answers[key] = _ANSWER.findall(row["user_prompt"])
    with (root / "mt_bench_question.jsonl").open(encoding="utf-8") as lines:
        questions = [json.loads(line) for line in lines if line.strip()]
    for question in questions:
        turns: list[str] = question["turns"]
        if any(turn in skip for turn in turns):
            continue
        record = Record(prompt=turns[0], scores={}, costs={})
        for model in (MIXTRAL, GPT4):
            key = (question["question_id"], model)
            if key not in scores:
                continue
            record.scores[model] = min(1.0, max(0.0, sum(scores[key]) / len(scores[key])))
            replies = answers.get(key, [])
            first = replies[0] if replies else ""
            prompt_tokens = estimate_tokens(turns[0]) + estimate_tokens(
                "\n".join([turns[0], first, *turns[1:]]))
            output_tokens = sum(estimate_tokens(reply) for reply in replies)
            record.costs[model] = cost_usd(model, prompt_tokens, output_tokens)
        yield record


def mmlu_pro_prompt(question: str, options: Sequence[str]) -> str:
    letters = "ABCDEFGHIJ"
    return "\n".join([question, *(f"{letters[i]}. {o}" for i, o in enumerate(options))])


def mmlu_pro(data_dir: Path) -> Iterator[Record]:
    """31 models; input tokens from question + options (the real 5-shot prompt is longer),
    output tokens as the model's output length in characters / 4."""
    root = data_dir / "mmlu_pro"
    with gzip.open(root / "mmlu_pro_questions.jsonl.gz", "rt", encoding="utf-8") as lines:
        questions = {q["question_id"]: q for q in map(json.loads, lines)}
    with gzip.open(root / "mmlu_pro_correct.csv.gz", "rt", encoding="utf-8", newline="") as a, \
            gzip.open(root / "mmlu_pro_output_chars.csv.gz", "rt", encoding="utf-8",
                      newline="") as b:
        for correct, chars in zip(csv.DictReader(a), csv.DictReader(b), strict=True):
            qid = int(correct["question_id"])
            if int(chars["question_id"]) != qid:
                raise ValueError(f"question {qid}: correctness and output files disagree")
            question = questions[qid]
            prompt = mmlu_pro_prompt(question["question"], question["options"])
            tokens = estimate_tokens(prompt)
            models = [m for m in correct if m not in ("question_id", "category")]
            yield Record(
                prompt=prompt,
                scores={m: float(correct[m]) for m in models if correct[m] != ""},
                costs={m: cost_usd(m, tokens, int(chars[m]) / 4) for m in models
                       if chars[m] != ""},
            )


CONVERTERS = {"mmlu": mmlu, "gsm8k": gsm8k, "mt_bench": mt_bench, "mmlu_pro": mmlu_pro}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.routing_data", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("dataset", choices=sorted(CONVERTERS))
    parser.add_argument("--out", required=True, type=Path, help="JSONL file to write")
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR,
                        help="the folder holding routellm/ and mmlu_pro/ "
                             "(default: %(default)s)")
    args = parser.parse_args(argv)
    count = write_records(CONVERTERS[args.dataset](args.data_dir), args.out)
    if count == 0:
        # Usually a --data-dir one level off (it holds routellm/ and mmlu_pro/).
        print(f"{args.dataset}: no prompts found under {args.data_dir}; "
              "--data-dir must hold routellm/ and mmlu_pro/", file=sys.stderr)
        return 1
    print(f"{args.dataset}: wrote {count} prompts to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
