"""Analyzer accuracy and speed: task types on labelled real prompts, token estimates
against OpenAI's tokenizers, and the time `analyze` takes.

    python -m bench.eval_analyzer [--data ../shared/data] [--no-minilm] [--errors]
                                  [--test] [--tasks-only] [--seeds-only] [--fit-tokens]

Task types are scored on MT-bench's 80 first turns and all 500 arena-hard-v0.1 prompts,
against the labels `bench/task_labels.toml` gives each prompt (read one at a time and
labelled from the definitions in `stages/classify/__init__.py`, before any classifier
was run on them). Prompts the definitions leave between two tasks are listed there with
both candidates, so each figure comes three ways: strict (ambiguous prompts left out),
lenient (all prompts; either candidate counts as right) and primary (all prompts, the
first candidate only). The labels the evaluation used before, read from arena-hard
cluster names (`bench/arena_hard_tasks.toml`) and MT-bench categories
(`MT_BENCH_TASKS`), are reported as a secondary figure on the prompts they cover.
The classifier never trains on any of these prompts: it learns from the hand-written
prompts in `stages/classify/_seeds_*`. Scored three ways: the keyword rules the analyzer
had before; the word model alone (what `analyze` does without an embedding, as with
the hashing embedder); words + all-MiniLM-L6-v2 embeddings (when the analyzer's
embedder is minilm).

The prompts are split, by a seeded hash of the arena-hard cluster name or the MT-bench
question id (`split_of`), into a development part and a held-out test part, so that
prompts of one cluster never sit on both sides. Only the development part is scored
by default, and `--errors` prints its misclassified prompts: improvements to the seeds,
features and model are made from those. `--test` also scores the test part and the
total; it is for reporting, not for tuning.

Two figures need no evaluation prompt at all, and come first: the seed prompts'
grouped cross-validation (near-duplicate seeds kept in one fold, so a prompt is not
scored against its twin) and the blind check (trained on every part but J and K, scored
on J and K, written from the label definitions by writers who never read the
evaluation prompts). The classifier's settings are chosen on those two and the
development part; a change is kept when it helps there, before the test part is run.
`--seeds-only` prints those two alone, reading no evaluation prompt.

Token estimates are compared with OpenAI's o200k and cl100k counts (`bpe-openai`, see
`bench.analyzer_tokens`) on held-out text: odd-numbered arena-hard prompts, all MT-bench
turns, and chunks of odd-numbered source files (the interpreter's standard library; C,
headers, JS and CSS in the venv). `--fit-tokens` refits the weights on the
even-numbered halves and a multilingual sample and prints them for `stages/analyzer.py`.
"""

from __future__ import annotations

import argparse
import hashlib
import statistics
import sysconfig
import time
import tomllib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Literal, NamedTuple, TypeVar

import msgspec
import numpy as np
import numpy.typing as npt

from bench import analyzer_baseline
from bench.analyzer_tokens import code_chunks, fit_weights, multilingual, token_counters
from reactor import AnalyzerConfig, ChatMessage, ChatRequest, MiniLMEmbedderConfig, TaskType
from stages.analyzer import analyze, estimate_tokens
from stages.classify import (
    TASKS,
    TaskClassifier,
    _seeds_j,
    _seeds_k,
    classifier_for,
    extract,
    seed_examples,
)
from stages.embedders import EmbedderUnavailable, MiniLMEmbedder

MT_BENCH_TASKS: dict[str, TaskType] = {
    "writing": "creative_writing", "roleplay": "chat", "reasoning": "reasoning",
    "math": "math", "coding": "code", "extraction": "extraction", "stem": "open_qa",
    "humanities": "open_qa",
}
MAPPING = Path(__file__).with_name("arena_hard_tasks.toml")
LABELS = Path(__file__).with_name("task_labels.toml")
MT_BENCH = "routing/routellm/mt_bench_question.jsonl"
ARENA_HARD = "classification/arena-hard-v0.1_question.jsonl"
T = TypeVar("T")


SPLIT_SEED = "reactor-task-split-1"
Part = Literal["dev", "test"]


class Labelled(NamedTuple):
    text: str
    task: TaskType
    source: str
    part: Part
    candidates: tuple[TaskType, ...]
    """`(task,)`, or the two tasks an ambiguous prompt reads as (`task` first)."""
    cluster_task: TaskType | None
    """The label the cluster name or MT-bench category gave (None: the name told none)."""

    @property
    def ambiguous(self) -> bool:
        return len(self.candidates) > 1


class MtBenchQuestion(msgspec.Struct):
    question_id: int
    category: str
    turns: list[str]


class ArenaQuestion(msgspec.Struct):
    uid: str
    cluster: str
    prompt: str


class ClusterLabels(msgspec.Struct, forbid_unknown_fields=True):
    labels: dict[str, TaskType]
    unlabelled: dict[str, str]


class Ambiguous(msgspec.Struct, forbid_unknown_fields=True):
    arena_hard: dict[str, tuple[TaskType, TaskType]] = {}
    mt_bench: dict[str, tuple[TaskType, TaskType]] = {}


class TaskLabels(msgspec.Struct, forbid_unknown_fields=True):
    arena_hard: dict[str, TaskType]
    mt_bench: dict[str, TaskType]
    ambiguous: Ambiguous = msgspec.field(default_factory=Ambiguous)


def read_jsonl(path: Path, kind: type[T]) -> list[T]:
    decoder = msgspec.json.Decoder(kind)
    return [decoder.decode(line) for line in path.read_bytes().splitlines() if line.strip()]


def split_of(key: str) -> Part:
    """Half of the keys go to development, half to test, fixed for all time by the hash."""
    digest = hashlib.sha256(f"{SPLIT_SEED}:{key}".encode()).digest()
    return "dev" if int.from_bytes(digest[:8], "big") < 2**63 else "test"


def task_labels() -> TaskLabels:
    """The per-prompt labels, checked: an ambiguous prompt's first candidate is its label."""
    labels = msgspec.convert(tomllib.loads(LABELS.read_text()), TaskLabels)
    for name, pairs, single in (("arena_hard", labels.ambiguous.arena_hard, labels.arena_hard),
                                ("mt_bench", labels.ambiguous.mt_bench, labels.mt_bench)):
        for key, (first, second) in pairs.items():
            if single.get(key) != first or first == second:
                raise ValueError(f"{LABELS.name}: ambiguous.{name}.{key} must start with "
                                 f"its label in [{name}] and name two tasks")
    return labels


def candidates_of(key: str, single: dict[str, TaskType],
                  pairs: dict[str, tuple[TaskType, TaskType]], source: str
                  ) -> tuple[TaskType, ...]:
    if key not in single:
        raise ValueError(f"{LABELS.name}: no label for {source} prompt {key}")
    return pairs.get(key, (single[key],))


def labelled_mt_bench(data: Path) -> list[Labelled]:
    labels = task_labels()
    items = []
    for row in read_jsonl(data / MT_BENCH, MtBenchQuestion):
        key = str(row.question_id)
        candidates = candidates_of(key, labels.mt_bench, labels.ambiguous.mt_bench, "mt_bench")
        items.append(Labelled(row.turns[0], candidates[0], "mt_bench",
                              split_of(f"mt_bench:{row.question_id}"), candidates,
                              MT_BENCH_TASKS.get(row.category)))
    return items


def labelled_arena(data: Path) -> list[Labelled]:
    """Every arena-hard prompt, with its own label and its cluster name's (if any)."""
    labels = task_labels()
    mapping = msgspec.convert(tomllib.loads(MAPPING.read_text()), ClusterLabels)
    items = []
    for row in read_jsonl(data / ARENA_HARD, ArenaQuestion):
        candidates = candidates_of(row.uid, labels.arena_hard, labels.ambiguous.arena_hard,
                                   "arena_hard")
        items.append(Labelled(row.prompt, candidates[0], "arena_hard",
                              split_of(f"arena:{row.cluster}"), candidates,
                              mapping.labels.get(row.cluster)))
    return items


class Accuracy(NamedTuple):
    strict: float
    strict_n: int
    lenient: float
    primary: float
    n: int


def accuracy(items: Sequence[Labelled], predicted: Sequence[TaskType]) -> Accuracy:
    """Strict: unambiguous prompts only; lenient: either candidate counts; primary: the
    first candidate only, over all prompts."""
    clear = [guess == item.task for item, guess in zip(items, predicted, strict=True)
             if not item.ambiguous]
    lenient = [guess in item.candidates for item, guess in zip(items, predicted, strict=True)]
    primary = [guess == item.task for item, guess in zip(items, predicted, strict=True)]
    return Accuracy(float(np.mean(clear)) if clear else float("nan"), len(clear),
                    float(np.mean(lenient)), float(np.mean(primary)), len(items))


def headline(accuracy: Accuracy) -> str:
    return (f"strict {accuracy.strict:.1%} of {accuracy.strict_n}, lenient "
            f"{accuracy.lenient:.1%} of {accuracy.n} (primary {accuracy.primary:.1%})")


def cluster_name_accuracy(items: Sequence[Labelled], predicted: Sequence[TaskType]) -> str:
    """Against the labels read from cluster names and MT-bench categories (secondary)."""
    pairs = [(item.cluster_task, guess) for item, guess in zip(items, predicted, strict=True)
             if item.cluster_task is not None]
    right = sum(truth == guess for truth, guess in pairs)
    return f"{right / len(pairs):.1%} of {len(pairs)}" if pairs else "no prompts"


def request_for(text: str) -> ChatRequest:
    return ChatRequest(model="auto", messages=[ChatMessage(role="user", content=text)])


def report(title: str, items: Sequence[Labelled], predicted: Sequence[TaskType],
           confidence: Sequence[float] | None = None) -> None:
    """Accuracy three ways; per source and per task (recall, strict / lenient); the
    confusion matrix against each prompt's first label."""
    print(f"\n## {title}: {headline(accuracy(items, predicted))}")
    print(f"  against cluster-name / category labels (secondary): "
          f"{cluster_name_accuracy(items, predicted)}")
    for source in sorted({item.source for item in items}):
        keep = [i for i, item in enumerate(items) if item.source == source]
        mine = [items[i] for i in keep]
        guesses = [predicted[i] for i in keep]
        print(f"  {source}: {headline(accuracy(mine, guesses))}")
    print("  per task (first label), strict / lenient recall:")
    for task in TASKS:
        keep = [i for i, item in enumerate(items) if item.task == task]
        if keep:
            got = accuracy([items[i] for i in keep], [predicted[i] for i in keep])
            print(f"    {task:<17}{got.strict:>6.0%} of {got.strict_n:<4}"
                  f"{got.lenient:>6.0%} of {got.n}")
    right = np.array([guess in item.candidates
                      for item, guess in zip(items, predicted, strict=True)])
    if confidence is not None and (~right).any():
        conf = np.array(confidence)
        print(f"  mean confidence (lenient): right {conf[right].mean():.2f}, "
              f"wrong {conf[~right].mean():.2f}")
        print("  lenient accuracy when confidence >= t (share of prompts): " + ", ".join(
            f"{t}: {right[conf >= t].mean():.0%} ({(conf >= t).mean():.0%})"
            for t in (0.4, 0.5, 0.6, 0.7, 0.8) if (conf >= t).any()))
    matrix = np.zeros((len(TASKS), len(TASKS)), dtype=np.int64)
    for item, guess in zip(items, predicted, strict=True):
        matrix[TASKS.index(item.task), TASKS.index(guess)] += 1
    heading = "truth \\ predicted"
    print(f"  {heading:<17}" + "".join(f"{t[:6]:>7}" for t in TASKS) + "  recall")
    for i, task in enumerate(TASKS):
        if total := matrix[i].sum():
            cells = "".join(f"{n:>7}" for n in matrix[i])
            print(f"  {task:<17}{cells}  {matrix[i, i] / total:.0%} of {total}")


NEAR_DUPLICATE = 0.5
"""Word-set Jaccard similarity at which two seed prompts are near duplicates: they go
to the same fold, so that cross-validation does not score a prompt against its twin."""
FOLD_ASSIGNMENTS = ("1", "2")
FOLDS = 5


class HeldOut(NamedTuple):
    """Accuracy on seed prompts the classifier did not train on."""

    grouped: float
    """Grouped cross-validation: mean over `FOLD_ASSIGNMENTS` of `FOLDS` folds each."""
    blind: float
    """Trained on every part but J and K, scored on J and K (written blind)."""


def seed_words(text: str) -> set[str]:
    """The prompt's words as the classifier reads them (no numbers, marks or pairs)."""
    return {name for name in extract(text) if name[0] not in "#^~+"}


def near_duplicate_groups(texts: Sequence[str]) -> list[int]:
    """Each text's group: the index of its group's first text, where texts whose word
    sets reach `NEAR_DUPLICATE` Jaccard similarity (directly or through a chain of
    such texts) share a group."""
    sets = [seed_words(text) for text in texts]
    vocabulary = {word: i for i, word in enumerate(sorted(set().union(*sets)))}
    present = np.zeros((len(sets), len(vocabulary)), dtype=np.float32)
    for row, words in enumerate(sets):
        present[row, [vocabulary[word] for word in words]] = 1.0
    shared = present @ present.T
    sizes = present.sum(axis=1)
    union = np.maximum(sizes[:, None] + sizes[None, :] - shared, 1.0)
    parent = list(range(len(sets)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for first, second in zip(*np.nonzero(np.triu(shared / union >= NEAR_DUPLICATE, 1)),
                             strict=True):
        a, b = root(int(first)), root(int(second))
        parent[max(a, b)] = min(a, b)
    return [root(i) for i in range(len(sets))]


def seed_folds(texts: Sequence[str], assignment: str, folds: int = FOLDS) -> list[int]:
    """Each text's fold: its group's, from a seeded hash of the group's first text (so a
    seed added elsewhere does not move the others)."""
    groups = near_duplicate_groups(texts)
    return [int.from_bytes(hashlib.sha256(f"{assignment}:{texts[group]}".encode())
                           .digest()[:8], "big") % folds for group in groups]


def blind_written(texts: Sequence[str]) -> list[bool]:
    """Whether each seed prompt is from `_seeds_j` or `_seeds_k`, the parts written from
    the label definitions by writers who never read the evaluation prompts."""
    blind = {text for module in (_seeds_j, _seeds_k) for task in TASKS
             for text in getattr(module, task.upper(), ())}
    return [text in blind for text in texts]


def held_out_seeds(vectors: npt.NDArray[np.floating] | None = None
                   ) -> tuple[HeldOut, HeldOut | None]:
    """`HeldOut` accuracy of the word model and, with `vectors` (the seeds' embeddings,
    one row each), of the whole classifier: the classifier's settings are chosen on
    these, never on the evaluation prompts' test part. Each model is trained once per
    fold and read both ways."""
    texts, labels = seed_examples()
    right = np.zeros((2, 2))

    def score(train: list[int], held: list[int], column: int) -> None:
        model = TaskClassifier.train([texts[i] for i in train], [labels[i] for i in train],
                                     None if vectors is None else vectors[train])
        for i in held:
            right[0, column] += model.predict(texts[i]).task == TASKS[labels[i]]
            if vectors is not None:
                right[1, column] += model.predict(texts[i], vectors[i]).task \
                    == TASKS[labels[i]]

    for assignment in FOLD_ASSIGNMENTS:
        fold_of = seed_folds(texts, assignment)
        for fold in range(FOLDS):
            score([i for i, f in enumerate(fold_of) if f != fold],
                  [i for i, f in enumerate(fold_of) if f == fold], 0)
    blind = blind_written(texts)
    score([i for i, b in enumerate(blind) if not b], [i for i, b in enumerate(blind) if b], 1)
    totals = (len(texts) * len(FOLD_ASSIGNMENTS), max(1, sum(blind)))
    words = HeldOut(right[0, 0] / totals[0], right[0, 1] / totals[1])
    both = HeldOut(right[1, 0] / totals[0], right[1, 1] / totals[1])
    return words, (None if vectors is None else both)


def held_out_line(title: str, held: HeldOut) -> str:
    return (f"seed prompts, {title}: grouped {FOLDS}-fold cross-validation "
            f"{held.grouped:.1%} (near duplicates in one fold, {len(FOLD_ASSIGNMENTS)} "
            f"fold assignments); trained without J and K, on J and K (blind) "
            f"{held.blind:.1%}")


def scored(title: str, items: Sequence[Labelled], predicted: Sequence[TaskType],
           confidence: Sequence[float] | None, *, test: bool, errors: bool) -> None:
    """Report the development part; with `test`, the test part and the total too."""
    for part in ("dev", "test") if test else ("dev",):
        keep = [i for i, item in enumerate(items) if item.part == part]
        report(f"{title} [{part}]", [items[i] for i in keep], [predicted[i] for i in keep],
               None if confidence is None else [confidence[i] for i in keep])
        if errors and part == "dev":
            for i in keep:
                if predicted[i] not in items[i].candidates:
                    text = " ".join(items[i].text.split())[:240]
                    truth = "|".join(items[i].candidates)
                    print(f"    {truth} -> {predicted[i]}: {text}")
    if test:
        print(f"\n## {title} [dev + test]: {headline(accuracy(items, predicted))}")


def seed_checks(*, use_minilm: bool) -> MiniLMEmbedder | None:
    """Print `held_out_seeds` for the word model and, with `use_minilm` (when its
    weights are installed), for words + MiniLM; return the MiniLM encoder if any."""
    encoder = None
    if use_minilm:
        try:
            encoder = MiniLMEmbedder(MiniLMEmbedderConfig())
        except EmbedderUnavailable as exc:
            print(f"(minilm skipped: {exc})")
    seed_vectors = None if encoder is None else encoder.encode(seed_examples()[0])
    held_words, held_both = held_out_seeds(seed_vectors)
    print(held_out_line("word model", held_words))
    if held_both is not None:
        print(held_out_line("words + minilm", held_both))
    return encoder


def classification(data: Path, *, use_minilm: bool, test: bool, errors: bool) -> None:
    mt_bench = labelled_mt_bench(data)
    arena = labelled_arena(data)
    items = mt_bench + arena
    dev = sum(item.part == "dev" for item in items)
    ambiguous = sum(item.ambiguous for item in items)
    print(f"# Task types: {len(mt_bench)} MT-bench + {len(arena)} arena-hard prompts, "
          f"labelled one by one ({ambiguous} ambiguous between two tasks); "
          f"{dev} development, {len(items) - dev} test")
    encoder = seed_checks(use_minilm=use_minilm)
    scored("before: keyword rules", items,
           [analyzer_baseline.classify(item.text) for item in items], None,
           test=test, errors=False)
    config = AnalyzerConfig()
    words = [analyze(request_for(item.text), config) for item in items]
    scored("words (analyze without an embedding)", items, [f.task for f in words],
           [f.task_confidence for f in words], test=test, errors=errors)
    if encoder is None:
        return
    minilm = MiniLMEmbedderConfig()
    classifier = classifier_for(minilm)
    vectors = encoder.encode([item.text for item in items])
    guesses = [classifier.predict_features(extract(item.text), vector)
               for item, vector in zip(items, vectors, strict=True)]
    scored("words + minilm embeddings", items, [g.task for g in guesses],
           [g.confidence for g in guesses], test=test, errors=errors)


def token_sets(data: Path, *, fit: bool) -> dict[str, list[str]]:
    """Held-out text; with `fit`, the other halves (the multilingual sample is both)."""
    half = 0 if fit else 1
    prompts = [row.prompt for row in read_jsonl(data / ARENA_HARD, ArenaQuestion)]
    paths = sysconfig.get_paths()
    stdlib = sorted(Path(paths["stdlib"]).glob("*.py"))
    native = sorted(p for ext in ("c", "h", "js", "css")
                    for p in Path(paths["purelib"]).rglob(f"*.{ext}"))
    code = code_chunks(stdlib[half::2]) + code_chunks(native[half::2])
    if fit:
        return {"arena-hard (even)": prompts[0::2], "code (even files)": code}
    turns = [turn for row in read_jsonl(data / MT_BENCH, MtBenchQuestion) for turn in row.turns]
    return {"arena-hard prompts (odd)": prompts[1::2], "mt-bench turns": turns,
            "code chunks (odd files)": code, "multilingual (in-sample)": multilingual()}


def mape(estimate: Callable[[str], int], texts: list[str], truth: npt.NDArray[np.float64]
         ) -> float:
    guess = np.array([estimate(text) for text in texts], dtype=np.float64)
    return float(np.mean(np.abs(guess - truth) / np.maximum(truth, 1.0)) * 100)


def tokens(data: Path, fit: bool) -> None:
    counters = token_counters()
    if counters is None:
        print("\n# Token estimate: skipped (install bpe-openai to compare)")
        return
    if fit:
        texts = [text for texts in token_sets(data, fit=True).values() for text in texts]
        print("TOKEN_WEIGHTS =", fit_weights(texts, multilingual(), counters))
        return
    print("\n# Token estimate: mean absolute % error vs o200k / cl100k (held-out text)")
    print(f"  {'text':<28}{'n':>5}{'before':>15}{'after':>15}")
    for name, texts in token_sets(data, fit=False).items():
        truths = [np.array([len(count(t)) for t in texts], dtype=np.float64)
                  for count in counters]
        before = [mape(analyzer_baseline.estimate_tokens, texts, truth) for truth in truths]
        after = [mape(estimate_tokens, texts, truth) for truth in truths]
        print(f"  {name:<28}{len(texts):>5}{before[0]:>8.1f} /{before[1]:>5.1f}"
              f"{after[0]:>8.1f} /{after[1]:>5.1f}")


def speed(data: Path) -> None:
    texts = [row.turns[0] for row in read_jsonl(data / MT_BENCH, MtBenchQuestion)]
    texts += [row.prompt for row in read_jsonl(data / ARENA_HARD, ArenaQuestion)]
    requests = [request_for(text) for text in texts]
    config = AnalyzerConfig()
    analyze(requests[0], config)  # trains the word model
    times = []
    for request in requests * 3:
        start = time.perf_counter()
        analyze(request, config)
        times.append((time.perf_counter() - start) * 1e6)
    times.sort()
    print(f"\n# analyze() without an embedding, {len(texts)} real prompts x 3: mean "
          f"{statistics.fmean(times):.0f} us, p50 {statistics.median(times):.0f} us, "
          f"p99 {times[int(0.99 * (len(times) - 1))]:.0f} us")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Analyzer accuracy, token error and speed.")
    parser.add_argument("--data", type=Path,
                        default=Path(__file__).resolve().parents[2] / "shared" / "data")
    parser.add_argument("--no-minilm", action="store_true",
                        help="score the word model only (no embeddings)")
    parser.add_argument("--errors", action="store_true",
                        help="print the development part's misclassified prompts")
    parser.add_argument("--test", action="store_true",
                        help="also score the held-out test part (for reporting only)")
    parser.add_argument("--seeds-only", action="store_true",
                        help="only the seed checks (grouped cross-validation, blind J+K): "
                             "no evaluation prompt is read")
    parser.add_argument("--tasks-only", action="store_true",
                        help="score task types only (no token estimate, no timing)")
    parser.add_argument("--fit-tokens", action="store_true",
                        help="refit the token estimate's weights and print them")
    args = parser.parse_args(argv)
    data: Path = args.data
    if args.fit_tokens:
        tokens(data, fit=True)
        return 0
    if args.seeds_only:
        seed_checks(use_minilm=not args.no_minilm)
        return 0
    classification(data, use_minilm=not args.no_minilm, test=args.test, errors=args.errors)
    if args.tasks_only:
        return 0
    tokens(data, fit=False)
    speed(data)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
