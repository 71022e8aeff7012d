"""The events a flow carries back to the caller, in order.

`Started` (which model answers, and why), any number of `Token`, then exactly one of
`Done` or `Failed`. A stream that continues on another model after its model failed
mid-answer (`continue_after_failure`) has one more `Started` before the next model's
first token, naming that model.
"""

from __future__ import annotations

from typing import Literal

import msgspec

from reactor._decision import Decision


class ErrorInfo(msgspec.Struct, frozen=True, kw_only=True):
    """An OpenAI-style error, plus the HTTP status it maps to."""

    status: int
    type: str
    message: str
    code: str | None = None
    param: str | None = None
    retry_after_s: float | None = None


class Usage(msgspec.Struct, frozen=True, kw_only=True):
    prompt_tokens: int = 0
    completion_tokens: int = 0

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


CacheStatus = Literal["miss", "exact", "semantic", "off"]


class Started(msgspec.Struct, frozen=True, kw_only=True, gc=False, tag=True):
    model: str
    reason: str
    cache: CacheStatus = "miss"
    similarity: float | None = None
    attempt: int = 1
    decision: Decision | None = None


class Decided(msgspec.Struct, frozen=True, kw_only=True, tag=True):
    """The whole answer to a decision-only request (`/api/v1/route`)."""

    decision: Decision


class ToolCallDelta(msgspec.Struct, frozen=True, kw_only=True):
    """A piece of one tool call; pieces with the same `index` concatenate."""

    index: int
    id: str | None = None
    name: str | None = None
    arguments: str = ""


class Token(msgspec.Struct, frozen=True, kw_only=True, tag=True):
    text: str = ""
    tool_calls: list[ToolCallDelta] | None = None


class Part(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """One model's share of an answer that more than one model wrote: the tokens it was
    sent (a continuation's prompt holds the answer so far) and wrote, at its own price.
    `estimated`: the upstream reported no usage, so it was worked out from the text."""

    model: str
    usage: Usage
    cost_usd: float
    estimated: bool = False


class Done(msgspec.Struct, frozen=True, kw_only=True, gc=False, tag=True):
    """The answer is complete. `usage` and `cost_usd` are the sums over `parts`, which
    is empty when one model wrote the whole answer."""

    finish_reason: str
    usage: Usage
    cost_usd: float = 0.0
    parts: list[Part] = []
    stages: list[tuple[str, float]] = []
    """On a traced request, the seconds spent in each stage, in order (`stage_times`)."""


class Failed(msgspec.Struct, frozen=True, kw_only=True, tag=True):
    error: ErrorInfo
    finish_reason: str = "error"


FlowEvent = Started | Token | Done | Failed | Decided
