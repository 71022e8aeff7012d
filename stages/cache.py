"""Exact cache: the same request, asked again, answered from memory.

Inbox: `Admitted` (look up) and `Completed` (store complete answers). Emits: `Analyze`
to the analyzer on a miss; on a hit it replays the stored answer into the job's flow
itself (as one JSON body, or as a token stream) and tells the books. Backpressure:
waits on the analyzer's mailbox; long replays run in tasks bounded by the actor.

The key is a hash of everything that changes the answer (messages, model or alias,
sampling parameters, tools, response format), the tenant and its tier (which decides
the models it may use), and a version tag config can bump. Only answers that finished
cleanly are stored (`STORABLE_FINISH`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any

import anyio
import msgspec
from anyio.abc import TaskStatus
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from reactor import (
    Actor,
    Admitted,
    Analyze,
    CacheConfig,
    ChatRequest,
    Clock,
    Completed,
    Inbox,
    Job,
    Outcomes,
    stamp,
)
from stages.cache_store import Entry, EntryStore, MemoryStore, build_store
from stages.replay import Stored, replay_soon

STORABLE_FINISH = frozenset({"stop", "length"})
"""A `length` answer is kept too: the key holds its token limit, so only a request with
the same limit is served it, and the upstream would cut that one short alike."""


class _KeyParts(msgspec.Struct, array_like=True):
    version: str
    tenant: str
    tier: str
    request: ChatRequest


def cache_key(request: ChatRequest, tenant: str, tier: str, version: str) -> str:
    """A deterministic key: the same on every machine and in every process. The tier is
    part of it as the tenant is: a tier's answers may come from models another of the
    tenant's tiers may not use."""
    canonical = msgspec.structs.replace(
        request, stream=False, stream_options=None, user=None, cache=None
    )
    blob = msgspec.json.encode(_KeyParts(version=version, tenant=tenant, tier=tier,
                                         request=canonical))
    return hashlib.blake2b(blob, digest_size=20).hexdigest()


def cacheable(request: ChatRequest, config: CacheConfig) -> bool:
    """May this request's answer be stored (and, unless refreshing, looked up)?"""
    if not config.enabled:
        return False
    mode = request.cache.mode if request.cache is not None else None
    if mode == "off":
        return False
    if mode in ("exact", "semantic"):
        return True  # the caller opted in, whatever the temperature
    temperature = 1.0 if request.temperature is None else request.temperature
    return temperature <= config.max_temperature


def requested_ttl(request: ChatRequest, default_s: float) -> float:
    """The request's own `cache.ttl_s`, else the configured one."""
    options = request.cache
    return options.ttl_s if options is not None and options.ttl_s is not None else default_s


def readable(request: ChatRequest, config: CacheConfig) -> bool:
    refresh = request.cache is not None and request.cache.mode == "refresh"
    return not refresh and cacheable(request, config)


class CacheCollector(Collector):
    """Exact-cache lookups, entries, bytes, evictions and backend errors, at scrape."""

    def __init__(self, cache: ExactCache) -> None:
        self.cache = cache

    def collect(self) -> Iterator[Any]:
        cache = self.cache
        lookups = CounterMetricFamily("reactor_cache_lookups", "Exact-cache lookups.",
                                      labels=["result"])
        lookups.add_metric(["hit"], cache.hits)
        lookups.add_metric(["miss"], cache.misses)
        yield lookups
        store = cache.store
        for name, value, help_ in (
                ("reactor_cache_stored", cache.stored, "Answers stored."),
                ("reactor_cache_evictions", cache.evictions, "Entries evicted for room."),
                ("reactor_cache_errors", cache.errors, "Backend failures (counted as misses)."),
        ):
            family = CounterMetricFamily(name, help_)
            family.add_metric([], value)
            yield family
        if store is not None and store.entries >= 0:
            for name, value, help_ in (("reactor_cache_entries", store.entries, "Entries held."),
                                       ("reactor_cache_bytes", store.bytes, "Answer bytes held.")):
                gauge = GaugeMetricFamily(name, help_)
                gauge.add_metric([], value)
                yield gauge


class ExactCache(Actor[Admitted | Completed]):
    name = "cache"

    def __init__(self, config: CacheConfig, downstream: Inbox[Analyze], outcomes: Outcomes,
                 clock: Clock, flow_size: int = 16, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.config = config
        self.downstream = downstream
        self.outcomes = outcomes
        self.clock = clock
        self.flow_size = flow_size
        self.store: EntryStore | None = None
        self.hits = 0
        self.misses = 0
        self.stored = 0
        self._stored_event: anyio.Event | None = None  # made by whoever waits

    @property
    def evictions(self) -> int:
        return 0 if self.store is None else self.store.evictions

    @property
    def errors(self) -> int:
        return 0 if self.store is None else self.store.errors

    def share(self, old: ExactCache) -> None:
        """Carry on with `old`'s entries, `old` to be replaced (a reload): an in-memory
        store is shared while `old` drains (closing it frees nothing), unless the new
        settings ask for another (a Redis store, or a new `version` to start afresh).
        `replaced` then gives it this one's `max_entries`."""
        store = old.store
        if isinstance(store, MemoryStore) and self.config.backend == "memory" and \
                self.config.version == old.config.version:
            self.store = store

    def replaced(self, old: ExactCache) -> None:
        """`old` no longer gets requests: a shared store is bounded as this one says."""
        if isinstance(self.store, MemoryStore) and self.store is old.store:
            self.store.max_entries = self.config.max_entries

    async def started(self) -> None:
        if self.store is None:
            self.store = build_store(self.config, self.clock)

    async def run(self, *, task_status: TaskStatus[None] = anyio.TASK_STATUS_IGNORED) -> None:
        try:
            await super().run(task_status=task_status)
        finally:
            if self.store is not None:
                with anyio.CancelScope(shield=True), anyio.move_on_after(2):
                    await self.store.close()
                self.store = None

    async def wait_stored(self, count: int) -> None:
        """Wait until `count` answers have been stored in all (for tests and tools)."""
        while self.stored < count:
            if self._stored_event is None:
                self._stored_event = anyio.Event()
            await self._stored_event.wait()

    async def handle(self, message: Admitted | Completed) -> None:
        match message:
            case Admitted(job=job):
                if self.store is not None and self._looked_up(job):
                    key = cache_key(job.request, job.tenant, job.tier, self.config.version)
                    entry = await self.store.get(key)
                    if entry is not None:
                        self.hits += 1
                        await replay_soon(self, job, Stored(
                            entry.model, entry.text, entry.finish_reason, entry.usage,
                            entry.cost_usd), self.outcomes, self.clock, self.flow_size, "exact")
                        return
                    self.misses += 1
                if job.trace is not None:
                    stamp(job, "cache", self.clock.now())
                analyze = Analyze(job=job)
                if not self.downstream.put_nowait(analyze):
                    await self.downstream.send(analyze)
            case Completed() as outcome:
                await self._store(outcome)

    def handle_nowait(self, message: Admitted | Completed) -> bool:
        # An outcome that is not to be stored (most are not) needs no wait, nor a job
        # that is not looked up when the analyzer has room for it.
        if isinstance(message, Completed):
            return not self._will_store(message)
        job = message.job
        if self._looked_up(job):
            return False
        if job.trace is not None:
            stamp(job, "cache", self.clock.now())
        return self.downstream.put_nowait(Analyze(job=job))

    def _looked_up(self, job: Job) -> bool:
        """Is this job's answer looked for in the cache?"""
        return not job.decide_only and self.store is not None and \
            readable(job.request, self.config)

    def storable(self, outcome: Completed) -> bool:
        """Is this an answer to store? (Read from the outcome and the config alone: the
        publisher asks it too, to send only those.)"""
        if outcome.status != "ok" or outcome.cache != "miss" or outcome.model is None:
            return False
        if outcome.finish_reason not in STORABLE_FINISH or not outcome.text:
            return False
        return cacheable(outcome.job.request, self.config)

    def _will_store(self, outcome: Completed) -> bool:
        return self.store is not None and self.storable(outcome)

    async def _store(self, outcome: Completed) -> None:
        if not self._will_store(outcome):
            return
        assert self.store is not None and outcome.model is not None
        assert outcome.finish_reason is not None
        job = outcome.job
        key = cache_key(job.request, job.tenant, job.tier, self.config.version)
        entry = Entry(model=outcome.model, text=outcome.text,
                      finish_reason=outcome.finish_reason, usage=outcome.usage,
                      cost_usd=outcome.cost_usd)
        ttl = requested_ttl(job.request, self.config.ttl_s)
        await self.store.set(key, entry, ttl)
        self.stored += 1
        # An event costs more to make than storing the answer: only for a waiter.
        if self._stored_event is not None:
            self._stored_event.set()
            self._stored_event = None
