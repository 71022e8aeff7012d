"""Breaker: stop sending work to a model that keeps failing.

Inbox: `Routed` (filter the chain) and `Completed` (learn from attempts). Emits:
`Dispatch` to the provider, or ends the job with 503 when every model in its chain is
open. Backpressure: waits on the provider's mailbox.

Per model: closed -> open after `failure_threshold` consecutive failures, or when the
failure rate over the last `window_s` passes `failure_rate` (with at least
`min_requests` attempts seen), or at once for a 429 with Retry-After, which also sets
the cooldown (at most `max_retry_after_s`); open -> half-open after the
cooldown, when exactly one probe request may pass; the probe's success closes the
breaker, its failure reopens it. A probe that never reports back frees its slot after
`probe_timeout_s`.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from typing import Any, Literal

import msgspec
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from reactor import (
    Actor,
    Attempt,
    BreakerConfig,
    Clock,
    Completed,
    Decided,
    Decision,
    Dispatch,
    ErrorInfo,
    FlowClosed,
    Inbox,
    Job,
    Outcomes,
    Routed,
    stamp,
)

State = Literal["closed", "open", "half_open"]
# The failure-rate window is counted in this many slices: it is kept to within one.
BUCKETS_PER_WINDOW = 60


class ModelBreaker(msgspec.Struct, kw_only=True):
    state: State = "closed"
    failures: int = 0
    opened_at: float = 0.0
    cooldown_s: float = 0.0
    probe_started: float | None = None
    opened_total: int = 0
    recent: deque[list[int]] = msgspec.field(default_factory=deque)
    """Outcomes within the window, counted by slice of it (`BUCKETS_PER_WINDOW`):
    [slice number, outcomes, failures]. One entry per outcome would hold a tuple for
    every request of the window (600k at 10k requests/s over 60 s)."""
    recent_total: int = 0
    recent_failures: int = 0
    """The sums over `recent`, kept as slices come and go."""


class Breakers:
    """The pure core: breaker state for every model."""

    def __init__(self, config: BreakerConfig, clock: Clock) -> None:
        self.config = config
        self.clock = clock
        self.models: dict[str, ModelBreaker] = {}

    def get(self, model: str) -> ModelBreaker:
        breaker = self.models.get(model)
        if breaker is None:
            breaker = self.models[model] = ModelBreaker()
        return breaker

    def state(self, model: str) -> State:
        breaker = self.get(model)
        if breaker.state == "open" and self.clock.now() >= breaker.opened_at + breaker.cooldown_s:
            return "half_open"
        return breaker.state

    def admit(self, model: str) -> Literal["pass", "probe", "blocked"]:
        """May a request go to `model` now? A 'probe' reserves the half-open slot."""
        breaker = self.get(model)
        if breaker.state == "closed":
            return "pass"
        now = self.clock.now()
        if breaker.state == "open" and now < breaker.opened_at + breaker.cooldown_s:
            return "blocked"
        if breaker.probe_started is not None and now < breaker.probe_started + \
                self.config.probe_timeout_s:
            return "blocked"
        breaker.state = "half_open"
        breaker.probe_started = now
        return "probe"

    def record(self, attempt: Attempt) -> None:
        breaker = self.models.get(attempt.model) or self.get(attempt.model)
        status = attempt.status
        if status == "ok" and breaker.state == "closed" and attempt.error != "client_error":
            # The common case: remembered, and nothing changes state.
            self._remember(breaker, True)
            breaker.failures = 0
            return
        if status in ("skipped", "cancelled") or attempt.error == "client_error":
            # An upstream refusing the request (a 4xx other than 401, 403, 429) says the
            # caller sent something it will not take, not that the model is down: counted
            # against the model, one caller's bad requests would open it for everyone.
            if attempt.probe:
                breaker.probe_started = None
            return
        if breaker.state != "closed" and not attempt.probe:
            # A call let through before the breaker opened, reporting late: once it is
            # open only the probe speaks for the model. A success from before the outage
            # must not close it, nor failures the outage already counted put the probe
            # off; an upstream asking for a longer wait is still heeded.
            if attempt.error == "rate_limited" and attempt.retry_after_s is not None:
                self._extend(breaker, attempt.retry_after_s)
            return
        self._remember(breaker, status == "ok")
        if status == "ok":
            breaker.failures = 0
            if breaker.state != "closed":
                breaker.state = "closed"
                breaker.probe_started = None
            return
        breaker.failures += 1
        if attempt.retry_after_s is not None and attempt.error == "rate_limited":
            self._open(breaker, self._retry_after(attempt.retry_after_s))
        elif breaker.state == "half_open" or breaker.failures >= self.config.failure_threshold \
                or self._rate_exceeded(breaker):
            self._open(breaker, self.config.cooldown_s)

    def _retry_after(self, retry_after_s: float) -> float:
        return min(max(retry_after_s, 0.001), self.config.max_retry_after_s)

    def _extend(self, breaker: ModelBreaker, retry_after_s: float) -> None:
        """Keep an open breaker shut until the upstream's Retry-After, if that is later."""
        until = self.clock.now() + self._retry_after(retry_after_s)
        if until > breaker.opened_at + breaker.cooldown_s:
            breaker.state = "open"
            breaker.cooldown_s = until - breaker.opened_at

    def _remember(self, breaker: ModelBreaker, ok: bool) -> None:
        number = int(self.clock.now() * BUCKETS_PER_WINDOW // self.config.window_s)
        recent = breaker.recent
        if recent and recent[-1][0] == number:
            bucket = recent[-1]
        else:
            bucket = [number, 0, 0]
            recent.append(bucket)
            # Slices wholly older than the window leave; the oldest one kept may be
            # partly older (the window is kept to within a slice of it).
            while recent[0][0] <= number - BUCKETS_PER_WINDOW - 1:
                _, total, failures = recent.popleft()
                breaker.recent_total -= total
                breaker.recent_failures -= failures
        bucket[1] += 1
        breaker.recent_total += 1
        if not ok:
            bucket[2] += 1
            breaker.recent_failures += 1

    def _rate_exceeded(self, breaker: ModelBreaker) -> bool:
        total = breaker.recent_total
        if total < self.config.min_requests:
            return False
        return breaker.recent_failures / total >= self.config.failure_rate

    def _open(self, breaker: ModelBreaker, cooldown_s: float) -> None:
        if breaker.state != "open":
            breaker.opened_total += 1
        breaker.state = "open"
        breaker.opened_at = self.clock.now()
        breaker.cooldown_s = cooldown_s
        breaker.probe_started = None
        breaker.recent.clear()
        breaker.recent_total = breaker.recent_failures = 0


STATE_VALUE = {"closed": 0, "half_open": 1, "open": 2}


class BreakerCollector(Collector):
    """`reactor_breaker_state{model}`: 0 closed, 1 half-open, 2 open; read at scrape."""

    def __init__(self, breakers: Breakers, models: list[str]) -> None:
        self.breakers = breakers
        self.models = models

    def collect(self) -> Iterator[Any]:
        state = GaugeMetricFamily("reactor_breaker_state",
                                  "Circuit breaker: 0 closed, 1 half-open, 2 open.",
                                  labels=["model"])
        opened = GaugeMetricFamily("reactor_breaker_opened", "Times the breaker opened.",
                                   labels=["model"])
        for model in self.models:
            state.add_metric([model], STATE_VALUE[self.breakers.state(model)])
            opened.add_metric([model], self.breakers.get(model).opened_total)
        yield state
        yield opened


class Breaker(Actor[Routed | Completed]):
    name = "breaker"

    def __init__(self, breakers: Breakers, downstream: Inbox[Dispatch], outcomes: Outcomes,
                 clock: Clock, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.breakers = breakers
        self.downstream = downstream
        self.outcomes = outcomes
        self.clock = clock

    async def handle(self, message: Routed | Completed) -> None:
        match message:
            case Routed(job=job, features=features, decision=decision):
                chain: list[str] = []
                probes: list[str] = []
                breakers = self.breakers.models
                for model in (decision.model, *decision.fallbacks):  # `decision.chain`
                    breaker = breakers.get(model)
                    if breaker is not None and breaker.state == "closed":
                        chain.append(model)  # `admit`'s "pass", without a call
                        continue
                    verdict = self.breakers.admit(model)
                    if verdict == "blocked":
                        continue
                    chain.append(model)
                    if verdict == "probe":
                        probes.append(model)
                if job.decide_only:
                    for model in probes:
                        self.breakers.record(Attempt(model=model, status="skipped", probe=True))
                    await self._decided(job, decision, chain)
                    return
                if not chain:
                    error = ErrorInfo(
                        status=503, type="service_unavailable", code="circuit_open",
                        message="every model able to serve this request is failing "
                        f"(circuit open): {', '.join(decision.chain)}",
                        retry_after_s=self._soonest(decision.chain))
                    await self.outcomes.reject(job, error, self.clock.now())
                    return
                if job.trace is not None:
                    stamp(job, "breaker", self.clock.now())
                dispatch = Dispatch(job=job, features=features, decision=decision, chain=chain,
                                    probes=probes)
                if not self.downstream.put_nowait(dispatch):
                    await self.downstream.send(dispatch)
            case Completed(attempts=attempts):
                for attempt in attempts:
                    self.breakers.record(attempt)

    def handle_nowait(self, message: Routed | Completed) -> bool:
        if isinstance(message, Completed):  # learning needs no wait
            record = self.breakers.record
            for attempt in message.attempts:
                record(attempt)
            return True
        return False

    async def _decided(self, job: Job, decision: Decision, chain: list[str]) -> None:
        """A decision-only request: answer with the decision, minus open models."""
        if chain:
            decision = msgspec.structs.replace(decision, model=chain[0], fallbacks=chain[1:])
            try:
                await job.flow.emit(Decided(decision=decision))
            except FlowClosed:
                pass
            job.flow.detach()
            job.flow.settle()
            return
        error = ErrorInfo(status=503, type="service_unavailable", code="circuit_open",
                          message="every model able to serve this request is failing "
                          f"(circuit open): {', '.join(decision.chain)}",
                          retry_after_s=self._soonest(decision.chain))
        await self.outcomes.reject(job, error, self.clock.now())

    def _soonest(self, models: list[str]) -> float:
        now = self.clock.now()
        waits = [b.opened_at + b.cooldown_s - now for m in models
                 if (b := self.breakers.get(m)).state == "open"]
        return round(max(0.0, min(waits, default=1.0)), 3)
