"""Metrics: Prometheus counters and histograms, from outcomes.

Inbox: `Completed`. Emits nothing; the server renders `registry` at `/metrics`.
Backpressure: publishers wait on this mailbox. Each router has its own registry, so
two routers in one process (tests, embedding) never mix their numbers.

The numbers are plain floats in dicts, turned into metric families only when the
registry is read: prometheus_client's own counters take a lock on every increment,
which cost more than the rest of booking an outcome.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterator
from typing import Any

from prometheus_client import CollectorRegistry
from prometheus_client.metrics_core import (
    CounterMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector
from prometheus_client.samples import Sample

from reactor import Actor, Clock, Completed, Usage, stage_times

# Up to [provider] total_timeout_s (600 by default, 300 in router.toml): a long answer
# takes minutes.
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30,
                   60, 120, 180, 300, 600)
# A stage of the pipeline takes microseconds; the upstream, seconds.
STAGE_BUCKETS = (0.00005, 0.0001, 0.00025, 0.0005, *LATENCY_BUCKETS)


def _le(bounds: tuple[float, ...]) -> tuple[str, ...]:
    """The `le` labels as prometheus_client writes them."""
    return (*(repr(float(bound)) for bound in bounds), "+Inf")


_LE = {LATENCY_BUCKETS: _le(LATENCY_BUCKETS), STAGE_BUCKETS: _le(STAGE_BUCKETS)}


class Metrics(Actor[Completed]):
    name = "metrics"

    def __init__(self, registry: CollectorRegistry, clock: Clock, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.registry = registry
        self.books = Books(clock)
        registry.register(self.books)

    async def handle(self, message: Completed) -> None:
        self.books.add(message)

    def handle_nowait(self, message: Completed) -> bool:
        self.books.add(message)
        return True


class _Histogram:
    """One label set's observations: a count per bucket (not cumulative) and the sum."""

    __slots__ = ("bounds", "counts", "created", "total")

    def __init__(self, created: float, bounds: tuple[float, ...] = LATENCY_BUCKETS) -> None:
        self.bounds = bounds
        self.counts = [0] * (len(bounds) + 1)
        self.total = 0.0
        self.created = created

    def observe(self, value: float) -> None:
        self.counts[bisect_left(self.bounds, value)] += 1
        self.total += value

    def buckets(self) -> list[tuple[str, float]]:
        out: list[tuple[str, float]] = []
        running = 0
        for le, count in zip(_LE[self.bounds], self.counts, strict=True):
            running += count
            out.append((le, running))
        return out


class Books(Collector):
    """Every outcome's numbers, rendered as metric families when the registry is read.

    Each series appears, at zero, once its labels are first seen, and carries the wall
    time of that moment as its `_created` sample, as prometheus_client's own would.
    """

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.created: dict[tuple[str, ...], float] = {}
        self.requests: dict[tuple[str, str, str], float] = {}
        self.attempts: dict[tuple[str, str, str], float] = {}
        self.latency: dict[str, _Histogram] = {}
        self.ttft: dict[str, _Histogram] = {}
        self.tokens: dict[tuple[str, str], float] = {}
        self.cost: dict[str, float] = {}
        self.saved: dict[str, float] = {}
        self.stages: dict[str, _Histogram] = {}
        # Each model's two `tokens` keys, built once.
        self._keys: dict[str, tuple[tuple[str, str], tuple[str, str]]] = {}

    def add(self, message: Completed) -> None:
        model = message.model or "none"
        key = (model, message.status, message.cache)
        requests = self.requests
        count = requests.get(key)
        if count is None:
            self._first_seen(("requests", *key))
            count = 0.0
        requests[key] = count + 1.0
        latency = self.latency.get(model)
        if latency is None:
            latency = self._new_model(model)
        latency.observe(message.latency_s)
        attempts = self.attempts
        for attempt in message.attempts:
            akey = (attempt.model, attempt.status, attempt.error or "")
            count = attempts.get(akey)
            if count is None:
                self._first_seen(("attempts", *akey))
                count = 0.0
            attempts[akey] = count + 1.0
            ttft_s = attempt.ttft_s
            if ttft_s is not None:
                ttft = self.ttft.get(attempt.model)
                if ttft is None:
                    ttft = self.ttft[attempt.model] = _Histogram(self.clock.wall())
                ttft.observe(ttft_s)
        if message.parts:  # a stream that continued on another model: each its share
            for part in message.parts:
                self._spent(part.model, part.usage, part.cost_usd)
        elif message.cache == "miss" and message.model is not None:
            self._spent(model, message.usage, message.cost_usd)
        for part in message.discarded:  # tries billed, though their words were thrown away
            self._spent(part.model, part.usage, part.cost_usd)
        if message.saved_usd:
            cache = message.cache
            saved = self.saved.get(cache)
            if saved is None:
                self._first_seen(("saved", cache))
                saved = 0.0
            self.saved[cache] = saved + message.saved_usd
        job = message.job
        if job.trace:
            self._staged(stage_times(job, job.received_at + message.latency_s))

    def _staged(self, times: list[tuple[str, float]]) -> None:
        """A traced request's time in each stage."""
        stages = self.stages
        for stage, seconds in times:
            histogram = stages.get(stage)
            if histogram is None:
                histogram = stages[stage] = _Histogram(self.clock.wall(), STAGE_BUCKETS)
            histogram.observe(seconds)

    def _spent(self, model: str, usage: Usage, cost_usd: float) -> None:
        keys = self._keys.get(model)
        if keys is None:
            if model not in self.cost:
                self._new_model(model)
            keys = self._keys[model] = ((model, "prompt"), (model, "completion"))
        prompt, completion = keys
        tokens = self.tokens
        tokens[prompt] = tokens.get(prompt, 0.0) + usage.prompt_tokens
        tokens[completion] = tokens.get(completion, 0.0) + usage.completion_tokens
        self.cost[model] = self.cost.get(model, 0.0) + cost_usd

    def _first_seen(self, key: tuple[str, ...]) -> None:
        self.created[key] = self.clock.wall()

    def _new_model(self, model: str) -> _Histogram:
        """A model's first outcome: its latency, token and cost series start at zero."""
        histogram = self.latency[model] = _Histogram(self.clock.wall())
        for direction in ("prompt", "completion"):
            self.tokens[(model, direction)] = 0.0
            self._first_seen(("tokens", model, direction))
        self.cost[model] = 0.0
        self._first_seen(("cost", model))
        return histogram

    def collect(self) -> Iterator[Metric]:
        created = self.created
        yield _counter("reactor_requests", "Requests by outcome.",
                       ["model", "status", "cache"],
                       [(key, value, created[("requests", *key)])
                        for key, value in self.requests.items()])
        yield _counter("reactor_upstream_attempts", "Upstream attempts by result.",
                       ["model", "status", "error"],
                       [(key, value, created[("attempts", *key)])
                        for key, value in self.attempts.items()])
        yield _histogram("reactor_request_duration_seconds",
                         "Time from arrival to the last event.", self.latency)
        yield _histogram("reactor_time_to_first_token_seconds",
                         "Time from the upstream call to its first token.", self.ttft)
        yield _histogram("reactor_stage_seconds", "Time traced requests spent in each "
                         "stage ([metrics] trace_sample).", self.stages, "stage")
        yield _counter("reactor_tokens", "Tokens by direction.", ["model", "direction"],
                       [(key, value, created[("tokens", *key)])
                        for key, value in self.tokens.items()])
        yield _counter("reactor_cost_usd", "Upstream spend in USD.", ["model"],
                       [((model,), value, created[("cost", model)])
                        for model, value in self.cost.items()])
        yield _counter("reactor_cache_saved_usd", "Spend avoided by cache hits.", ["cache"],
                       [((cache,), value, created[("saved", cache)])
                        for cache, value in self.saved.items()])

    def describe(self) -> Iterator[Metric]:
        return Books(self.clock).collect()


def _counter(name: str, documentation: str, labels: list[str],
             series: list[tuple[tuple[str, ...], float, float]]) -> CounterMetricFamily:
    family = CounterMetricFamily(name, documentation, labels=labels)
    for key, value, created in series:
        family.add_metric(list(key), value, created=created)
    return family


def _histogram(name: str, documentation: str, series: dict[str, _Histogram],
               label: str = "model") -> HistogramMetricFamily:
    family = HistogramMetricFamily(name, documentation, labels=[label])
    for value, histogram in series.items():
        family.add_metric([value], histogram.buckets(), histogram.total)
        family.samples.append(Sample(f"{name}_created", {label: value}, histogram.created))
    return family
