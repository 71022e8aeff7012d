"""Analyzer: what kind of prompt is this, and how big and hard?

Inbox: `Analyze`. Emits: `Select` to the selector. Backpressure: waits on the
selector's mailbox. The core (`analyze`, `analyze_batch`) is a pure function of the
requests; the shell drains whatever is waiting in its mailbox (up to `batch_size`),
embeds the batch's last user turns in one call and classifies them in another, since
embedders and the task classifier are far cheaper per text in batches.
"""

from __future__ import annotations

import math
import re
import string
from collections.abc import Callable
from typing import Any

import aiohttp
import anyio
import msgspec
import numpy as np
import numpy.typing as npt
import structlog
from anyio.abc import TaskStatus

from reactor import (
    Actor,
    Analyze,
    AnalyzerConfig,
    ChatRequest,
    Clock,
    Features,
    HttpEmbedderConfig,
    Inbox,
    Job,
    ModelConfig,
    ProviderConfig,
    Select,
    SystemClock,
    TaskType,
    stamp,
)
from reactor._rounding import round3
from stages.classify import Reading, classifier_for, detect_language, read, word_classifier
from stages.embedders import Embedder, EmbedderFailed, Embeddings, build_embedder
from stages.llm_classifier import LLMClassifier
from stages.upstreams.factory import build_upstream, needs_session

log = structlog.get_logger("reactor.analyzer")

# Token estimate: a linear model of cheap counts, fitted to the mean of OpenAI's o200k
# and cl100k counts on prose and code by `python -m bench.eval_analyzer --fit-tokens`
# (which also reports its error on held-out text). CJK characters and other non-ASCII
# characters get their own weights, fitted on a small multilingual sample. The counts
# come from two translate passes (character classes, then letter runs), not regexes:
# ~10x faster on long prompts. They run on the ASCII bytes, through 256-byte tables: a
# `str.translate` looks each character up in a dict, which cost more than the rest of
# the estimate for a short prompt.
_CLASSES = str.maketrans({
    **dict.fromkeys(string.ascii_lowercase, "a"), **dict.fromkeys(string.ascii_uppercase, "A"),
    **dict.fromkeys(string.digits, "0"), **dict.fromkeys(string.punctuation, "."),
    **dict.fromkeys(" \t\r\x0b\x0c", " "),
})
_LETTERS_ONLY = str.maketrans({"A": "a", "0": " ", ".": " ", "\n": " "})
_BYTE_CLASSES = bytes(ord(chr(byte).translate(_CLASSES)) for byte in range(256))
# Letter runs are split on whitespace: what `str.split` splits on (\x1c-\x1f too, which
# `bytes.split` would not) becomes a space.
_BYTE_RUNS = bytes(32 if (run := chr(byte).translate(_LETTERS_ONLY)).isspace() else ord(run)
                   for byte in range(256))
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af\uf900-\ufaff]")
_NON_ASCII = re.compile(r"[^\x00-\x7f]")
TOKEN_WEIGHTS = (0.9797, 0.0243, 0.1133, 0.7325, 0.4744, 0.9496, 0.1288, 0.8616, 0.4091)
"""Per letter run, ASCII letter, capital, digit, ASCII punctuation mark, newline, double
space, CJK character and other non-ASCII character."""
_CHARS_PER_TOKEN = 4.0
_SAMPLED_CHARS = 3000
# OpenAI's chat format adds ~3 tokens per message and 3 to prime the reply.
_PER_MESSAGE, _PER_REQUEST = 3, 3

_HARD_WORDS = frozenset("""
prove proof optimize optimise optimal design architecture architect complex complexity
rigorous rigorously derive derivation concurrency concurrent distributed scalable
scalability efficient efficiency constraint constraints comprehensive detailed thorough
tradeoff tradeoffs trade edge robust production performance
""".split())
_REQUIREMENT_WORDS = frozenset("must should ensure required requirements exactly".split())
# A list item at the start of a line, looked for after a newline: a pattern that starts
# with a literal is searched for that literal first, not tried at every position.
_LIST_ITEMS = re.compile(r"\n[ \t]*(?:[-*\u2022]|\d{1,2}[.)])[ \t]")
# What a list item can start with, besides a digit (`\d`: any Unicode decimal digit).
_ITEM_STARTS = frozenset(" \t-*\u2022")
_HARD_TASKS: frozenset[TaskType] = frozenset({"code", "math", "reasoning"})
_NUMBER_WORDS = {"one": 1, "single": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
                 "seven": 7, "eight": 8, "nine": 9, "ten": 10, "twelve": 12, "fifteen": 15,
                 "twenty": 20, "fifty": 50, "hundred": 100}
# Only asks ("in 200 words", "a 500-word essay", "write three paragraphs"), not
# descriptions of the input ("my 5000 lines of logs"). The unit is found first (cheap),
# then the words before it are checked.
_LENGTH_UNIT = re.compile(r"[ -](words?|sentences?|paragraphs?|pages?|bullet points?|bullets"
                          r"|lines?|tweets?)\b")
# Every unit above holds one of these: a prompt with none of them asks for no length,
# which a few substring searches tell for less than the pattern's scan of every space.
_UNIT_STEMS = ("word", "line", "page", "sentence", "paragraph", "bullet", "tweet")
_LENGTH_AMOUNT = re.compile(
    r"(?:\b(?:in|under|within|about|around|approximately|exactly|max|maximum|at most"
    r"|at least|no more than|less than|fewer than|up to|write|give me|list|only|just) "
    r"(\d{1,5}|" + "|".join(_NUMBER_WORDS) + r")|\b(\d{1,5}|" + "|".join(_NUMBER_WORDS)
    + r"))$")
_MOST_OUTPUT_TOKENS = 16_000
_ASK_CHARS = 500
"""Length asks are looked for at the prompt's two ends, where instructions are."""
_COMPLEXITY_CHARS = 2000
# Tokens per unit of a requested length (English: ~1.3 tokens a word).
_TOKENS_PER_UNIT = {"word": 1.35, "sentence": 25.0, "paragraph": 120.0, "page": 650.0,
                    "bullet": 20.0, "line": 12.0, "tweet": 60.0}


def token_features(text: str) -> tuple[int, ...]:
    """The counts `TOKEN_WEIGHTS` weigh, in the same order."""
    cjk = other = 0
    if text.isascii():
        ascii_ = text.encode("ascii")
    else:
        cjk = len(_CJK.findall(text))
        other = len(_NON_ASCII.findall(text)) - cjk
        # Only ASCII is classed; the rest is counted above.
        ascii_ = text.encode("ascii", "ignore")
    classes = ascii_.translate(_BYTE_CLASSES)
    runs = len(classes.translate(_BYTE_RUNS).split())
    return (runs, classes.count(b"a"), classes.count(b"A"), classes.count(b"0"),
            classes.count(b"."), classes.count(b"\n"), classes.count(b"  "), cjk, other)


def estimate_tokens(text: str, chars_per_token: float = _CHARS_PER_TOKEN) -> int:
    """About what OpenAI's tokenizers count for `text` (held-out error: bench/eval_analyzer).

    Text longer than `_SAMPLED_CHARS` is counted on its start, middle and end, scaled up
    by length. `chars_per_token` (the analyzer config's) scales the estimate relative to
    its default of 4.0, for tokenizers denser or sparser than OpenAI's.
    """
    if not text:
        return 0
    scale = _CHARS_PER_TOKEN / chars_per_token
    if len(text) > _SAMPLED_CHARS:
        third, middle = _SAMPLED_CHARS // 3, len(text) // 2
        sample = (text[:third], text[middle - third // 2:middle + third - third // 2],
                  text[-third:])
        text_sample = "".join(sample)
        scale *= len(text) / len(text_sample)
        text = text_sample
    runs, letters, capitals, digits, marks, newlines, doubles, cjk, other = \
        token_features(text)
    w = TOKEN_WEIGHTS
    # Summed left to right, as a loop over the weights would.
    tokens = (w[0] * runs + w[1] * letters + w[2] * capitals + w[3] * digits + w[4] * marks
              + w[5] * newlines + w[6] * doubles + w[7] * cjk + w[8] * other)
    return max(1, round(tokens * scale))


def requested_output_tokens(text: str) -> int | None:
    """Tokens the prompt asks for in words ("in 200 words", "three paragraphs"), if it does."""
    ends = text if len(text) <= 2 * _ASK_CHARS else f"{text[:_ASK_CHARS]}\n{text[-_ASK_CHARS:]}"
    lower = ends.lower()
    for stem in _UNIT_STEMS:
        if stem in lower:
            break
    else:
        return None
    for unit in _LENGTH_UNIT.finditer(lower):
        amount = _LENGTH_AMOUNT.search(lower, max(0, unit.start() - 40), unit.start())
        if amount is None or (amount.group(1) is None and lower[unit.start()] != "-"):
            continue
        said = amount.group(1) or amount.group(2)
        count = int(said) if said.isdigit() else _NUMBER_WORDS[said]
        name = unit.group(1)
        per_unit = next(tokens for stem, tokens in _TOKENS_PER_UNIT.items()
                        if name.startswith(stem))
        return min(_MOST_OUTPUT_TOKENS, max(1, math.ceil(count * per_unit)))
    return None


def classify(text: str, embedding: npt.NDArray[np.floating] | None = None,
             config: AnalyzerConfig | None = None) -> tuple[TaskType, float, bool, bool]:
    """Task type, its confidence, and whether the text holds code and math.

    With an embedding of `text` from the analyzer's embedder (`config.embedder`), the
    classifier also reads it when that embedder knows meaning (minilm).
    """
    embeddings = None if embedding is None else embedding[np.newaxis]
    return _classify([read(text)], embeddings, config)[0]


def _classify(readings: list[Reading], embeddings: npt.NDArray[np.floating] | None,
              config: AnalyzerConfig | None) -> list[tuple[TaskType, float, bool, bool]]:
    classifier = word_classifier() if embeddings is None or config is None \
        else classifier_for(config.embedder)
    out: list[tuple[TaskType, float, bool, bool]] = []
    for reading, (task, confidence) in zip(
            readings, classifier.predict_batch(readings, embeddings), strict=True):
        flags = reading.flags
        has_code = task == "code" or "#fence" in flags or "#codelines" in flags
        has_math = task == "math" or "#mathmark" in flags
        out.append((task, round3(confidence), has_code, has_math))
    return out


def _complexity(text: str, words: set[str], tokens: int, task: TaskType, has_math: bool,
                turns: int) -> float:
    hard = len(_HARD_WORDS.intersection(words))
    requirements = len(_REQUIREMENT_WORDS.intersection(words))
    head = text[:_COMPLEXITY_CHARS]
    first = head[:1]
    # Without a newline, only the very start can be a list item.
    if "\n" in head or first in _ITEM_STARTS or first.isdecimal():
        requirements += len(_LIST_ITEMS.findall(f"\n{head}"))
    score = (0.15 + 0.1 * math.log10(1 + tokens) + 0.15 * min(hard, 4)
             + 0.02 * min(requirements, 10) + (0.2 if task in _HARD_TASKS else 0.0)
             + (0.1 if has_math else 0.0) + 0.02 * min(turns - 1, 5))
    return round3(min(1.0, score))


def _prompt(request: ChatRequest) -> str:
    messages = request.messages
    return messages[0].text if len(messages) == 1 else "\n".join(m.text for m in messages)


def analyze(request: ChatRequest, config: AnalyzerConfig,
            embedding: npt.NDArray[np.floating] | None = None) -> Features:
    """The prompt's features. `embedding`: the last user turn's, from `config.embedder`,
    when the caller has it; it sharpens the task type when that embedder is minilm."""
    embeddings = None if embedding is None else embedding[np.newaxis]
    return analyze_batch([request], config, embeddings)[0]


def analyze_batch(requests: list[ChatRequest], config: AnalyzerConfig,
                  embeddings: npt.NDArray[np.floating] | None = None) -> list[Features]:
    """`analyze` of each request, the task classifier run once for all; `embeddings`:
    one row per request, or none."""
    prompts = [_prompt(request) for request in requests]
    lasts = [request.last_user_text or prompt
             for request, prompt in zip(requests, prompts, strict=True)]
    readings = [read(text) for text in lasts]
    out: list[Features] = []
    for request, prompt, last, reading, (task, confidence, has_code, has_math) in zip(
            requests, prompts, lasts, readings, _classify(readings, embeddings, config),
            strict=True):
        messages = request.messages
        tokens = (estimate_tokens(prompt, config.chars_per_token)
                  + _PER_MESSAGE * len(messages) + _PER_REQUEST)
        turns = [message.role for message in messages].count("user")
        asked = requested_output_tokens(last)
        limit = request.output_limit
        output_tokens = limit if asked is None else asked if limit is None else min(asked, limit)
        out.append(Features(
            prompt_tokens=tokens,
            task=task,
            task_confidence=confidence,
            complexity=_complexity(last, reading.words, tokens, task, has_math, turns),
            has_code=has_code,
            has_math=has_math,
            language=detect_language(last),
            turns=turns,
            output_tokens=output_tokens,
        ))
    return out


class Analyzer(Actor[Analyze]):
    name = "analyzer"

    def __init__(self, config: AnalyzerConfig, downstream: Inbox[Select], *,
                 models: list[ModelConfig] | None = None, provider: ProviderConfig | None = None,
                 clock: Clock | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.config = config
        self.downstream = downstream
        self.models = {model.name: model for model in models or []}
        self.provider_config = provider or ProviderConfig()
        self.clock: Clock = clock or SystemClock()
        self.classifier: LLMClassifier | None = None
        self.embedder: Embedder | None = None
        self.wants: Callable[[Job], bool] | None = None
        """Does anyone read this job's embedding before its answer (the semantic cache,
        the selector)? None: always embed. A job none needs it for goes on without one:
        a single prompt's embedding costs about a third of its analysis."""
        self.reads_embeddings = False
        """The task classifier reads the embedding too (MiniLM): every prompt is embedded."""
        self.session: aiohttp.ClientSession | None = None
        self.batch: list[Analyze] = []
        self.embed_failures = 0

    async def run(self, *, task_status: TaskStatus[None] = anyio.TASK_STATUS_IGNORED) -> None:
        try:
            await super().run(task_status=task_status)
        finally:
            if self.session is not None:
                with anyio.CancelScope(shield=True):
                    await self.session.close()
                self.session = None

    async def started(self) -> None:
        wanted = self.config.llm_classifier
        remote = wanted is not None and needs_session(self.models[wanted.model])
        if self.session is None and (remote or (self.config.embed and isinstance(
                self.config.embedder, HttpEmbedderConfig))):
            self.session = aiohttp.ClientSession()
        if wanted is not None and self.classifier is None:
            upstream = build_upstream(self.models[wanted.model], self.session, self.clock,
                                      self.provider_config)
            self.classifier = LLMClassifier(wanted, upstream, self.clock)
        if self.config.embed and self.embedder is None:
            self.embedder = build_embedder(self.config.embedder, session=self.session)
            # Train the task classifier now (off the loop: with minilm it embeds its
            # training prompts), not on the first request.
            classifier = await anyio.to_thread.run_sync(classifier_for, self.config.embedder)
            self.reads_embeddings = classifier.embedded is not None
        else:
            await anyio.to_thread.run_sync(word_classifier)

    async def handle(self, message: Analyze) -> None:
        # Drain what is already waiting: one embedding call for the whole batch.
        batch = self.batch = [message]
        while len(batch) < self.config.batch_size:
            try:
                batch.append(self.mailbox.receive_nowait())
            except anyio.WouldBlock:
                break
        wants = self.wants
        wanted = range(len(batch)) if wants is None or self.reads_embeddings else \
            [at for at, item in enumerate(batch) if wants(item.job)]
        vectors = await self.embed([batch[at].job.request.last_user_text for at in wanted]) \
            if wanted else None
        analyzed = analyze_batch([m.job.request for m in batch], self.config,
                                 vectors if len(wanted) == len(batch) else None)
        embeddings: list[Any] = [None] * len(batch)
        if vectors is not None:
            for row, at in enumerate(wanted):
                embeddings[at] = vectors[row]
        while batch:
            item = batch[0]
            done = len(analyzed) - len(batch)
            features = analyzed[done]
            if embeddings[done] is not None:
                features = msgspec.structs.replace(features, embedding=embeddings[done])
            if self.classifier is not None and self.classifier.wanted(features):
                batch.pop(0)
                await self.spawn(self._ask_then_send, item.job, features)
                continue
            if item.job.trace is not None:
                stamp(item.job, "analyzer", self.clock.now())
            await self.downstream.send(Select(job=item.job, features=features))
            batch.pop(0)

    async def _ask_then_send(self, job: Job, features: Features) -> None:
        assert self.classifier is not None
        try:
            features = await self.classifier.refine(job.request.last_user_text, features)
        except BaseException as exc:
            # This job is no longer `current`: end it here so its caller is not left waiting.
            super().crashed(Analyze(job=job), exc)
            raise
        if job.trace is not None:
            stamp(job, "analyzer", self.clock.now())
        await self.downstream.send(Select(job=job, features=features))

    async def embed(self, texts: list[str]) -> Embeddings | None:
        """The texts' embeddings; None when there is no embedder, or it failed."""
        if self.embedder is None:
            return None
        try:
            return await self.embedder.embed(texts)
        except EmbedderFailed as exc:
            # Routing goes on without the embedding (priors only); never fail the request.
            self.embed_failures += 1
            log.warning("embedding_failed", error=str(exc), batch=len(texts))
            return None

    def crashed(self, message: Analyze | None, exc: BaseException) -> None:
        for item in self.batch or ([message] if message is not None else []):
            super().crashed(item, exc)
        self.batch = []
