"""Retry policy for the provider: which faults to retry, how long to wait, and the
budget that keeps an outage from turning into a retry storm.

Pure and synchronous; time comes from the caller's clock, randomness from the caller's
generator, so tests can pin both.
"""

from __future__ import annotations

import random
from collections import deque

from reactor import Clock, RetryConfig
from stages.upstreams import Fault

# Worth another try on the same model: the next call may well succeed.
RETRYABLE = frozenset({"rate_limited", "server_error", "connect", "timeout", "truncated",
                       "malformed", "empty"})
# Not worth it on this model, but another model may answer.
FALL_THROUGH = frozenset({"client_error", "auth", "unavailable", "invalid_json",
                          "content_filter", "not_found"})


def backoff(attempt: int, config: RetryConfig, rng: random.Random,
            retry_after_s: float | None = None) -> float:
    """Seconds to wait before retry number `attempt` (1-based): full jitter, or the
    upstream's Retry-After when it asks for longer."""
    cap = min(config.backoff_max_s, config.backoff_s * 2 ** (attempt - 1))
    wait = rng.uniform(0.0, cap)
    if retry_after_s is not None:
        wait = max(wait, retry_after_s)
    return wait


def should_retry(fault: Fault, attempt: int, config: RetryConfig) -> bool:
    """May the same model be tried again after `attempt` tries ended in `fault`?"""
    if attempt >= config.max_attempts or fault.kind not in RETRYABLE:
        return False
    return fault.retry_after_s is None or fault.retry_after_s <= config.max_retry_after_s


class RetryBudget:
    """Retries allowed: `ratio` of recent requests, plus `min_per_s` a second.

    Counted over a sliding window, per model. During a full outage every request
    fails, but upstream calls stay near requests x (1 + ratio).
    """

    def __init__(self, config: RetryConfig, clock: Clock) -> None:
        self.config = config
        self.clock = clock
        self._requests: deque[float] = deque()
        self._retries: deque[float] = deque()
        self.refused = 0

    def _prune(self, now: float) -> None:
        horizon = now - self.config.budget_window_s
        for times in (self._requests, self._retries):
            while times and times[0] < horizon:
                times.popleft()

    def record_request(self) -> None:
        now = self.clock.now()
        requests = self._requests
        requests.append(now)
        # Pruned here too, not only when a retry is asked for: without failures the
        # window would otherwise keep every request ever made.
        horizon = now - self.config.budget_window_s
        while requests[0] < horizon:
            requests.popleft()

    def try_retry(self) -> bool:
        now = self.clock.now()
        self._prune(now)
        config = self.config
        allowed = config.budget_ratio * len(self._requests) + \
            config.budget_min_per_s * config.budget_window_s
        if len(self._retries) + 1 > allowed:
            self.refused += 1
            return False
        self._retries.append(now)
        return True
