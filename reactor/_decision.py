"""What the analyzer learned about a prompt and what the selector decided.

Shared by the messages between stages and the events a flow carries back (a `Started`
or `Decided` event tells the caller why a model was chosen).
"""

from __future__ import annotations

from typing import Literal

import msgspec
import numpy as np
import numpy.typing as npt

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


class Features(msgspec.Struct, frozen=True, kw_only=True, gc=False):
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


class Candidate(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """One model the selector scored, with the parts of its score."""

    model: str
    score: float
    quality: float
    cost_usd: float
    latency_ms: float


class Decision(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    model: str
    fallbacks: list[str]
    reason: str
    confidence: float
    mode: str
    alternatives: list[Candidate] = []
    features: Features | None = None
    routing_s: float = 0.0
    """From arrival to this decision: admission, cache, analysis and selection."""

    @property
    def estimated_cost_usd(self) -> float:
        for candidate in self.alternatives:
            if candidate.model == self.model:
                return candidate.cost_usd
        return 0.0

    @property
    def chain(self) -> list[str]:
        return [self.model, *self.fallbacks]
