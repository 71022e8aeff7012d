"""Analyzer: what kind of prompt is this, and how big and hard?

Inbox: `Analyze`. Emits: `Select` to the selector. Backpressure: waits on the
selector's mailbox. The core (`analyze`) is a pure function of the request; the shell
drains whatever is waiting in its mailbox (up to `batch_size`) and embeds the batch's
last user turns in one call, since embedders are far cheaper per text in batches.
"""

from __future__ import annotations

import math
import re
from typing import Any

import aiohttp
import anyio
import msgspec
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
)
from stages.embedders import Embedder, EmbedderFailed, Embeddings, build_embedder
from stages.llm_classifier import LLMClassifier
from stages.upstreams.factory import build_upstream, needs_session

log = structlog.get_logger("reactor.analyzer")

_WORDS = re.compile(r"\w+|[^\w\s]", re.UNICODE)
_CODE = re.compile(
    r"```|\bdef |\bclass |\bfunction\b|\breturn\b|#include|=>|\bimport \w|;\s*$|\{\s*$"
    r"|\b(python|javascript|typescript|java|rust|golang|c\+\+|sql|regex|bash|html|css)\b",
    re.IGNORECASE | re.MULTILINE,
)
_MATH = re.compile(
    r"\d\s*[-+*/^=]\s*\d|\b(equation|integral|derivative|solve|probability|theorem|prove"
    r"|calculate|compute|sum of|how many|percent|matrix)\b|[∑∫√π]",
    re.IGNORECASE,
)
_RULES: list[tuple[TaskType, re.Pattern[str]]] = [
    ("translation", re.compile(r"\btranslat\w*\b|\bin (french|spanish|german|chinese|japanese"
                               r"|italian|portuguese|russian|korean)\b", re.I)),
    ("summarization", re.compile(r"\bsummar\w*|\btl;?dr\b|\bkey points\b|\bcondense\b", re.I)),
    ("extraction", re.compile(r"\bextract\w*|\blist all\b|\bpull out\b|\bparse\b|\bfind all\b",
                              re.I)),
    ("classification", re.compile(r"\bclassif\w*|\bcategori[sz]e\b|\bsentiment\b|\blabel\b"
                                  r"|\bwhich category\b", re.I)),
    ("creative_writing", re.compile(r"\b(write|compose)\b.*\b(poem|story|song|essay|haiku"
                                    r"|limerick|script|novel)\b|\bpoem\b|\bstory\b", re.I)),
    ("reasoning", re.compile(r"\bwhy\b|\bexplain\b|\breason\w*|\bcompare\b|\banaly[sz]e\b"
                             r"|\bstep by step\b|\btrade-?offs?\b|\bpros and cons\b", re.I)),
    ("open_qa", re.compile(r"^\s*(what|who|when|where|which|how)\b|\?\s*$", re.I)),
]
_HARD = re.compile(r"\b(prove|optimi[sz]e|design|architect|complex|rigorous|edge cases"
                   r"|step by step|derive|trade-?offs?|concurren\w+|distributed)\b", re.I)


def estimate_tokens(text: str, chars_per_token: float = 4.0) -> int:
    """A tokenizer-free estimate: words and punctuation, cross-checked by length."""
    if not text:
        return 0
    pieces = len(_WORDS.findall(text))
    by_chars = len(text) / chars_per_token
    return max(1, math.ceil(max(pieces * 0.75, by_chars * 0.5) * 0.5 + by_chars * 0.5))


def classify(text: str) -> tuple[TaskType, float, bool, bool]:
    has_code = bool(_CODE.search(text))
    has_math = bool(_MATH.search(text))
    if has_code:
        return "code", 0.7, has_code, has_math
    for task, pattern in _RULES:
        if pattern.search(text):
            return task, 0.6, has_code, has_math
    if has_math:
        return "math", 0.6, has_code, has_math
    return "chat", 0.4, has_code, has_math


def analyze(request: ChatRequest, config: AnalyzerConfig) -> Features:
    prompt = "\n".join(message.text for message in request.messages)
    last = request.last_user_text or prompt
    tokens = estimate_tokens(prompt, config.chars_per_token) + 4 * len(request.messages)
    task, confidence, has_code, has_math = classify(last)
    hard = len(_HARD.findall(last))
    complexity = min(
        1.0,
        0.15
        + 0.1 * math.log10(1 + tokens)
        + 0.15 * hard
        + (0.2 if task in ("code", "math", "reasoning") else 0.0)
        + (0.1 if has_math else 0.0),
    )
    ascii_share = sum(1 for ch in last[:400] if ch.isascii()) / max(1, len(last[:400]))
    return Features(
        prompt_tokens=tokens,
        task=task,
        task_confidence=confidence,
        complexity=round(complexity, 3),
        has_code=has_code,
        has_math=has_math,
        language="en" if ascii_share > 0.9 else "other",
        turns=sum(1 for message in request.messages if message.role == "user"),
        output_tokens=request.output_limit,
    )


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

    async def handle(self, message: Analyze) -> None:
        # Drain what is already waiting: one embedding call for the whole batch.
        batch = self.batch = [message]
        while len(batch) < self.config.batch_size:
            try:
                batch.append(self.mailbox.receive_nowait())
            except anyio.WouldBlock:
                break
        vectors = await self._embed([m.job.request.last_user_text for m in batch])
        while batch:
            item = batch[0]
            features = analyze(item.job.request, self.config)
            if vectors is not None:
                features = msgspec.structs.replace(features, embedding=vectors[len(vectors) -
                                                                               len(batch)])
            if self.classifier is not None and self.classifier.wanted(features):
                batch.pop(0)
                await self.spawn(self._ask_then_send, item.job, features)
                continue
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
        await self.downstream.send(Select(job=job, features=features))

    async def _embed(self, texts: list[str]) -> Embeddings | None:
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
