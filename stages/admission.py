"""Admission: the door. Caps concurrency, meters each tenant's limits; sheds, never queues.

Inbox: `Submitted` (the router puts jobs here with `try_send`, so a full mailbox is
already a shed). Emits: `Admitted` to the exact cache, or ends the job with 429/503 and
a `Retry-After`. Backpressure: waits on the cache's mailbox; the permit a job holds
is released only when its reader is done and its outcome is in the books, so
everything downstream is bounded by `max_in_flight`.

A tenant with limits (`stages.limits`) is checked against its budgets and buckets: a
spent budget is a 429 `budget_exceeded` until its window ends, an empty bucket a 429
until it refills; an admitted job carries its `Quota` on (budget left, tokens
reserved). A tenant without limits costs one dictionary lookup. Against the memory
store the check is a plain call; against a shared one (Redis) it runs in a task of its
own (at most `_CONCURRENT_CHECKS` at once), holding its permit meanwhile, so one
tenant's checks waiting on the network hold up no other tenant's job. When the shared
backend fails, `on_backend_error` decides: `open` admits unmetered (counted, logged),
`closed` refuses with a 503.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import anyio
import msgspec
import structlog

from reactor import (
    Actor,
    AdmissionConfig,
    Admitted,
    Clock,
    ErrorInfo,
    Inbox,
    Job,
    Outcomes,
    Submitted,
    TenantLimits,
    stamp,
)
from stages.limits import (
    LimitStore,
    LimitsUnavailable,
    MemoryLimits,
    Policy,
    Reason,
    Refusal,
    refusal_error,
)

log = structlog.get_logger("reactor.admission")

_CONCURRENT_CHECKS = 64


class Gate:
    """The in-flight count."""

    def __init__(self, config: AdmissionConfig) -> None:
        self.config = config
        self.in_flight = 0
        self.shed_total = 0

    @property
    def full(self) -> bool:
        return self.in_flight >= self.config.max_in_flight

    def admit(self) -> ErrorInfo | None:
        config = self.config
        if self.full:
            self.shed_total += 1
            return ErrorInfo(status=503, type="overloaded_error", code="overloaded",
                             message="the router is at capacity; retry later",
                             retry_after_s=config.retry_after_s)
        self.in_flight += 1
        return None

    def release(self) -> None:
        self.in_flight -= 1


class Admission(Actor[Submitted]):
    name = "admission"

    def __init__(self, config: AdmissionConfig, downstream: Inbox[Admitted],
                 outcomes: Outcomes, clock: Clock, store: LimitStore, policy: Policy,
                 chars_per_token: float = 4.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        # Built once, not in `started`: a restart must not forget the permits held.
        self.gate = Gate(config)
        self.config = config
        self.downstream = downstream
        self.outcomes = outcomes
        self.clock = clock
        self.store = store
        self.policy = policy
        self.chars_per_token = chars_per_token
        self.rejected: Counter[tuple[Reason, str]] = Counter()
        self.unmetered = 0
        """Jobs admitted without their limits because the backend failed (`open`)."""
        self.checks = anyio.Semaphore(_CONCURRENT_CHECKS)
        """Checks waiting on a shared backend at once (each holds a connection)."""

    async def handle(self, message: Submitted) -> None:
        job = message.job
        limits = self.policy.of(job.tenant)
        # A job the gate is about to shed takes nothing from its tenant's limits.
        if limits is not None and not self.gate.full:
            if not isinstance(self.store, MemoryLimits):
                # The check waits on the network: it runs in a task of its own, so the
                # next tenant's job is not held up behind it. Its permit is taken first,
                # so `max_in_flight` bounds the checks waiting too.
                self.gate.in_flight += 1
                job.flow.on_release(self.gate.release)
                try:
                    await self.spawn(self._check_then_pass, job, limits)
                except BaseException as exc:
                    self.crashed(message, exc)
                    raise
                return
            metered = await self._metered(job, limits)
            if metered is None:
                return
            job = metered
        refusal = self.gate.admit()
        if refusal is not None:
            await self.outcomes.reject(job, refusal, self.clock.now())
            return
        job.flow.on_release(self.gate.release)
        await self._pass(job)

    async def _check_then_pass(self, job: Job, limits: TenantLimits) -> None:
        try:
            async with self.checks:
                metered = await self._metered(job, limits)
            if metered is not None:
                await self._pass(metered)
        except BaseException as exc:
            # A check the actor's restart or stop cut short ends its job as a crash
            # does, so that no permit is held for a job nobody ends.
            self.crashed(Submitted(job=job), exc)
            raise

    async def _metered(self, job: Job, limits: TenantLimits) -> Job | None:
        """`job` with its quota (or unmetered, when the backend failed and the policy is
        `open`); None when it was refused, and is ended."""
        tokens = 0
        if limits.tokens_per_minute is not None:
            if job.decide_only:
                # It calls no model, so no tokens are taken, and a bucket in debt
                # (an answer used more than it reserved) does not refuse it.
                limits = msgspec.structs.replace(limits, tokens_per_minute=None)
            else:
                tokens = self.policy.reserve(job.request, self.chars_per_token)
        try:
            verdict = await self.store.admit(job.tenant, limits, tokens, self.clock.wall())
        except LimitsUnavailable:
            if self.config.on_backend_error == "closed":
                await self.outcomes.reject(job, ErrorInfo(
                    status=503, type="service_unavailable", code="limits_unavailable",
                    message="the rate-limit and budget backend is unavailable; retry "
                    "later", retry_after_s=self.config.retry_after_s), self.clock.now())
                return None
            self.unmetered += 1
            log.warning("admitted_unmetered", request_id=job.id, tenant=job.tenant)
            return job
        if isinstance(verdict, Refusal):
            self.rejected[verdict.reason, job.tenant] += 1
            await self.outcomes.reject(
                job, refusal_error(job.tenant, verdict, limits, tokens), self.clock.now())
            return None
        return msgspec.structs.replace(job, quota=verdict)

    async def _pass(self, job: Job) -> None:
        if job.trace is not None:
            stamp(job, "admission", self.clock.now())
        admitted = Admitted(job=job)
        if not self.downstream.put_nowait(admitted):
            await self.downstream.send(admitted)
