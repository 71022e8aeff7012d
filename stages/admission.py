"""Admission: the door. Caps concurrency and request rates; sheds, never queues.

Inbox: `Submitted` (the router puts jobs here with `try_send`, so a full mailbox is
already a shed). Emits: `Admitted` to the exact cache, or ends the job with 429/503 and
a `Retry-After`. Backpressure: waits on the cache's mailbox; the permit a job holds
is released only when its reader is done and its outcome is in the books, so
everything downstream is bounded by `max_in_flight`.
"""

from __future__ import annotations

from typing import Any

from reactor import (
    Actor,
    AdmissionConfig,
    Admitted,
    Clock,
    ErrorInfo,
    Inbox,
    Outcomes,
    Submitted,
)


class Gate:
    """In-flight count and per-tenant request-rate buckets."""

    def __init__(self, config: AdmissionConfig, clock: Clock) -> None:
        self.config = config
        self.clock = clock
        self.in_flight = 0
        self.shed_total = 0
        self._buckets: dict[str, tuple[float, float]] = {}

    def admit(self, tenant: str) -> ErrorInfo | None:
        config = self.config
        if self.in_flight >= config.max_in_flight:
            self.shed_total += 1
            return ErrorInfo(status=503, type="overloaded_error", code="overloaded",
                             message="the router is at capacity; retry later",
                             retry_after_s=config.retry_after_s)
        if config.requests_per_minute is not None:
            wait = self._take(tenant, config.requests_per_minute)
            if wait > 0:
                self.shed_total += 1
                return ErrorInfo(status=429, type="rate_limit_error", code="rate_limited",
                                 message=f"rate limit of {config.requests_per_minute} "
                                 "requests per minute reached",
                                 retry_after_s=round(wait, 3))
        self.in_flight += 1
        return None

    def release(self) -> None:
        self.in_flight -= 1

    def _take(self, tenant: str, per_minute: int) -> float:
        """Token bucket: seconds to wait for a token, 0 if one was taken."""
        now = self.clock.now()
        rate = per_minute / 60.0
        tokens, last = self._buckets.get(tenant, (float(per_minute), now))
        tokens = min(float(per_minute), tokens + (now - last) * rate)
        if tokens >= 1.0:
            self._buckets[tenant] = (tokens - 1.0, now)
            return 0.0
        self._buckets[tenant] = (tokens, now)
        return (1.0 - tokens) / rate


class Admission(Actor[Submitted]):
    name = "admission"

    def __init__(self, config: AdmissionConfig, downstream: Inbox[Admitted],
                 outcomes: Outcomes, clock: Clock, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        # Built once, not in `started`: a restart must not forget the permits held.
        self.gate = Gate(config, clock)
        self.downstream = downstream
        self.outcomes = outcomes
        self.clock = clock

    async def handle(self, message: Submitted) -> None:
        job = message.job
        refusal = self.gate.admit(job.tenant)
        if refusal is not None:
            await self.outcomes.reject(job, refusal, self.clock.now())
            return
        job.flow.on_release(self.gate.release)
        await self.downstream.send(Admitted(job=job))
