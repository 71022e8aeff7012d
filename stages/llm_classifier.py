"""Asking a cheap model what kind of prompt this is, when the heuristic is unsure.

Used by the analyzer (off unless `[analyzer] llm_classifier` is set). Bounded three
ways: only prompts below `below_confidence`; at most `per_minute` calls (a token bucket
on the injected clock); each call within `timeout_s`. Any trouble (timeout, upstream
fault, an answer that is not a label) leaves the heuristic's answer standing.
"""

from __future__ import annotations

import re
from typing import get_args

import anyio
import msgspec

from reactor import ChatMessage, ChatRequest, Clock, Features, LLMClassifierConfig, TaskType, Token
from stages.upstreams import Reply, Upstream

LABELS: tuple[str, ...] = get_args(TaskType)
INSTRUCTION = (
    "Classify the user's request into exactly one of these task types: "
    + ", ".join(LABELS)
    + ". Answer with the label only."
)
_LABEL = re.compile(r"[a-z_]+")
CONFIDENCE = 0.8


class LLMClassifier:
    def __init__(self, config: LLMClassifierConfig, upstream: Upstream, clock: Clock) -> None:
        self.config = config
        self.upstream = upstream
        self.clock = clock
        self._tokens = float(config.per_minute)
        self._last = clock.now()
        self.calls = 0
        self.changed = 0
        self.failures = 0
        self.skipped = 0

    def wanted(self, features: Features) -> bool:
        """Is this prompt unsure enough, and is there budget left this minute?"""
        if features.task_confidence >= self.config.below_confidence:
            return False
        now = self.clock.now()
        rate = self.config.per_minute / 60.0
        self._tokens = min(float(self.config.per_minute),
                           self._tokens + (now - self._last) * rate)
        self._last = now
        if self._tokens < 1.0:
            self.skipped += 1
            return False
        self._tokens -= 1.0
        return True

    async def refine(self, prompt: str, features: Features) -> Features:
        """`features` with the model's task label, or unchanged if it had none to give."""
        self.calls += 1
        parts: list[str] = []

        async def collect(token: Token) -> None:
            parts.append(token.text)

        request = ChatRequest(messages=[ChatMessage(role="system", content=INSTRUCTION),
                                        ChatMessage(role="user", content=prompt[:4000])],
                              temperature=0.0, max_tokens=8)
        with anyio.move_on_after(self.config.timeout_s):
            result = await self.upstream.call(request, stream=False, on_token=collect)
            label = parse_label("".join(parts)) if isinstance(result, Reply) else None
            if label is not None:
                if label != features.task:
                    self.changed += 1
                return msgspec.structs.replace(features, task=label,
                                               task_confidence=CONFIDENCE)
        self.failures += 1
        return features


def parse_label(text: str) -> str | None:
    """The first label named in the answer ("creative writing" counts), if any."""
    words: list[str] = _LABEL.findall(text.lower().replace("-", "_"))
    for first, second in zip(words, [*words[1:], ""], strict=True):
        for candidate in (f"{first}_{second}", first):
            if candidate in LABELS:
                return candidate
    return None
