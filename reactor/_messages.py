"""The messages that travel between stages, one union per inbox.

Names are commands (`Dispatch`) or facts in the past tense (`Analyzed`, `Completed`).
A `Job` is one request on its way; its `flow` is the caller's reply channel, handed
from stage to stage (only the stage holding the job writes to it).
"""

from __future__ import annotations

from typing import Literal

import msgspec
import numpy as np
import numpy.typing as npt

from reactor._events import ErrorInfo, Usage
from reactor._flow import Flow
from reactor._wire import ChatRequest

TaskType = Literal[
    "code",
    "math",
    "reasoning",
    "creative_writing",
    "summarization",
    "translation",
    "extraction",
    "classification",
    "open_qa",
    "chat",
]


class Job(msgspec.Struct, frozen=True, kw_only=True):
    """One request on its way through the pipeline."""

    id: str
    request: ChatRequest
    flow: Flow
    received_at: float
    tenant: str = "default"
    tier: str = "default"
    deadline: float | None = None


class Features(msgspec.Struct, frozen=True, kw_only=True):
    """What the analyzer learned about a prompt."""

    prompt_tokens: int
    task: TaskType
    task_confidence: float
    complexity: float
    has_code: bool = False
    has_math: bool = False
    language: str = "en"
    turns: int = 1
    output_tokens: int | None = None
    embedding: npt.NDArray[np.float32] | None = None
    """The last user turn's embedding (unit length), when the analyzer embeds."""


class Candidate(msgspec.Struct, frozen=True, kw_only=True):
    """One model the selector scored, with the parts of its score."""

    model: str
    score: float
    quality: float
    cost_usd: float
    latency_ms: float


class Decision(msgspec.Struct, frozen=True, kw_only=True):
    model: str
    fallbacks: list[str]
    reason: str
    confidence: float
    mode: str
    alternatives: list[Candidate] = []

    @property
    def chain(self) -> list[str]:
        return [self.model, *self.fallbacks]


AttemptStatus = Literal["ok", "failed", "cancelled", "skipped"]


class Attempt(msgspec.Struct, frozen=True, kw_only=True):
    """One try of one model for one request."""

    model: str
    status: AttemptStatus
    error: str | None = None
    retry_after_s: float | None = None
    ttft_s: float | None = None
    duration_s: float = 0.0
    tokens_out: int = 0
    probe: bool = False


OutcomeStatus = Literal["ok", "failed", "cancelled", "rejected"]


class Completed(msgspec.Struct, frozen=True, kw_only=True, tag=True):
    """A request ended; every bookkeeping stage hears of it."""

    job: Job
    status: OutcomeStatus
    model: str | None
    attempts: list[Attempt]
    usage: Usage
    cost_usd: float
    latency_s: float
    ttft_s: float | None = None
    text: str = ""
    finish_reason: str | None = None
    features: Features | None = None
    decision: Decision | None = None
    cache: Literal["miss", "exact", "semantic", "off"] = "miss"
    saved_usd: float = 0.0
    error: ErrorInfo | None = None


# The pipeline, in order. Each stage's inbox takes the union named after it.


class Submitted(msgspec.Struct, frozen=True, kw_only=True, tag=True):
    job: Job


class Admitted(msgspec.Struct, frozen=True, kw_only=True, tag=True):
    job: Job


class Analyze(msgspec.Struct, frozen=True, kw_only=True, tag=True):
    job: Job


class Analyzed(msgspec.Struct, frozen=True, kw_only=True, tag=True):
    job: Job
    features: Features


class Select(msgspec.Struct, frozen=True, kw_only=True, tag=True):
    job: Job
    features: Features


class Routed(msgspec.Struct, frozen=True, kw_only=True, tag=True):
    job: Job
    features: Features
    decision: Decision


class Dispatch(msgspec.Struct, frozen=True, kw_only=True, tag=True):
    job: Job
    features: Features
    decision: Decision
    chain: list[str]
    probes: list[str] = []


AdmissionInbox = Submitted
CacheInbox = Admitted | Analyzed | Completed
AnalyzerInbox = Analyze
SelectorInbox = Select | Completed
BreakerInbox = Routed | Completed
ProviderInbox = Dispatch
BookkeeperInbox = Completed
