"""The messages that travel between stages, one union per inbox.

Names are commands (`Dispatch`) or facts in the past tense (`Analyzed`, `Completed`).
A `Job` is one request on its way; its `flow` is the caller's reply channel, handed
from stage to stage (only the stage holding the job writes to it).

The per-request types are `gc=False`: the cyclic garbage collector neither tracks nor
scans them (~7 µs a request less at full load). That is sound because they only point
downstream (a message holds a job, a job its request and flow) and never back: a
flow's producer scope is detached when its producer ends, so none of them can sit
inside a reference cycle.
"""

from __future__ import annotations

from typing import Literal

import msgspec

from reactor._decision import Candidate as Candidate
from reactor._decision import Decision as Decision
from reactor._decision import Features as Features
from reactor._decision import TaskType as TaskType
from reactor._events import ErrorInfo, Part, Usage
from reactor._flow import Flow, Reply
from reactor._wire import ChatRequest


class Quota(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """What admission metered for a job whose tenant has limits."""

    remaining_usd: float | None = None
    """The tenant's budget left when the job was admitted; None: no budget."""
    window: Literal["day", "month"] = "day"
    """The budget window `remaining_usd` is left in (the one closest to its limit)."""
    resets_at: float = 0.0
    """When that window ends (wall-clock seconds since the epoch)."""
    reserved_tokens: int = 0
    """Tokens taken from the tenant's per-minute allowance, corrected on the outcome."""


class Job(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """One request on its way through the pipeline."""

    id: str
    request: ChatRequest
    flow: Flow
    received_at: float
    tenant: str = "default"
    tier: str = "default"
    deadline: float | None = None
    decide_only: bool = False
    """Answer with the routing decision (a `Decided` event) and call no model."""
    quota: Quota | None = None
    """Set by admission when the tenant has rate limits or a budget."""
    client_id: str | None = None
    """The caller's own id for the request (`x-request-id`), beside Reactor's `id`."""
    trace: list[tuple[str, float]] | None = None
    """On a traced request: each stage's name and the time (`clock.now()`) it handed the
    job on (`stamp`), in order; `stage_times` turns them into time spent per stage."""


# The stage that takes a job on from each stamping stage: it is charged whatever time
# is left after the last stamp (a cache hit's replay, the upstream's answer).
_NEXT_STAGE = {"admission": "cache", "cache": "analyzer", "analyzer": "semantic",
               "semantic": "selector", "selector": "breaker", "breaker": "provider",
               "provider": "upstream"}


def stamp(job: Job, stage: str, now: float) -> None:
    """Note on a traced job that `stage` hands it on at `now`; a stage that stamps again
    (it tried to hand on, then waited for room) keeps the later time. Call only when
    `job.trace is not None` (the check is the caller's: it costs less inline)."""
    trace = job.trace
    assert trace is not None
    if trace and trace[-1][0] == stage:
        trace[-1] = (stage, now)
    else:
        trace.append((stage, now))


def stage_times(job: Job, ended: float) -> list[tuple[str, float]]:
    """Seconds spent in each stage by a traced job that ended at `ended`, in order: from
    its arrival to the first stamp, between stamps, and from the last stamp to the end
    (charged to the stage after it). Empty for a job that was not traced."""
    trace = job.trace
    if not trace:
        return []
    times: list[tuple[str, float]] = []
    previous = job.received_at
    for stage, at in trace:
        times.append((stage, at - previous))
        previous = at
    times.append((_NEXT_STAGE.get(trace[-1][0], "rest"), max(0.0, ended - previous)))
    return times


AttemptStatus = Literal["ok", "failed", "cancelled", "skipped"]


class Attempt(msgspec.Struct, frozen=True, kw_only=True, gc=False):
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


class Completed(msgspec.Struct, frozen=True, kw_only=True, gc=False, tag=True):
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
    parts: list[Part] = []
    """Each model's share when a stream continued on another model (then `model` is the
    one that wrote last, and `usage` and `cost_usd` are the sums); empty otherwise. A
    stream that ended in error, or that its caller left, is charged what it consumed."""
    estimated: bool = False
    """`usage` and `cost_usd` (or some share of them) were worked out from the text: the
    upstream reported no usage."""
    discarded: list[Part] = []
    """Tries whose output the caller never saw (retried, failed over, or cut short by the
    caller leaving), which the upstream billed all the same; not in `usage`/`cost_usd`."""


# The pipeline, in order. Each stage's inbox takes the union named after it.


class Submitted(msgspec.Struct, frozen=True, kw_only=True, gc=False, tag=True):
    job: Job


class Admitted(msgspec.Struct, frozen=True, kw_only=True, gc=False, tag=True):
    job: Job


class Analyze(msgspec.Struct, frozen=True, kw_only=True, gc=False, tag=True):
    job: Job


class Analyzed(msgspec.Struct, frozen=True, kw_only=True, gc=False, tag=True):
    job: Job
    features: Features


class Select(msgspec.Struct, frozen=True, kw_only=True, gc=False, tag=True):
    job: Job
    features: Features


class Routed(msgspec.Struct, frozen=True, kw_only=True, gc=False, tag=True):
    job: Job
    features: Features
    decision: Decision


class Dispatch(msgspec.Struct, frozen=True, kw_only=True, gc=False, tag=True):
    job: Job
    features: Features
    decision: Decision
    chain: list[str]
    probes: list[str] = []


AdmissionInbox = Submitted
CacheInbox = Admitted | Analyzed | Completed
AnalyzerInbox = Analyze
class Feedback(msgspec.Struct, frozen=True, kw_only=True, tag=True):
    """A caller's rating of an answer, 0..1; `reply` learns whether it was known."""

    request_id: str
    score: float
    reply: Reply[bool]
    tenant: str | None = None
    """Who rates: only the tenant that asked may rate an answer. None: anyone (the
    embedding program's own call)."""


SelectorInbox = Select | Completed | Feedback
BreakerInbox = Routed | Completed
ProviderInbox = Dispatch
BookkeeperInbox = Completed
