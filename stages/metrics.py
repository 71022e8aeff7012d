"""Metrics: Prometheus counters and histograms, from outcomes.

Inbox: `Completed`. Emits nothing; the server renders `registry` at `/metrics`.
Backpressure: publishers wait on this mailbox. Each router has its own registry, so
two routers in one process (tests, embedding) never mix their numbers.
"""

from __future__ import annotations

from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram

from reactor import Actor, Completed

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30,
                   60, 120)


class Metrics(Actor[Completed]):
    name = "metrics"

    def __init__(self, registry: CollectorRegistry, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.registry = registry
        self.requests = Counter("reactor_requests", "Requests by outcome.",
                                ["model", "status", "cache"], registry=registry)
        self.attempts = Counter("reactor_upstream_attempts", "Upstream attempts by result.",
                                ["model", "status", "error"], registry=registry)
        self.latency = Histogram("reactor_request_duration_seconds",
                                 "Time from arrival to the last event.", ["model"],
                                 buckets=LATENCY_BUCKETS, registry=registry)
        self.ttft = Histogram("reactor_time_to_first_token_seconds",
                              "Time from the upstream call to its first token.", ["model"],
                              buckets=LATENCY_BUCKETS, registry=registry)
        self.tokens = Counter("reactor_tokens", "Tokens by direction.", ["model", "direction"],
                              registry=registry)
        self.cost = Counter("reactor_cost_usd", "Upstream spend in USD.", ["model"],
                            registry=registry)
        self.saved = Counter("reactor_cache_saved_usd", "Spend avoided by cache hits.",
                             ["cache"], registry=registry)
        self._per_model: dict[str, _ModelSeries] = {}
        self._requests: dict[tuple[str, str, str], Counter] = {}
        self._attempts: dict[tuple[str, str, str], Counter] = {}
        self._ttft: dict[str, Histogram] = {}

    async def handle(self, message: Completed) -> None:
        model = message.model or "none"
        per_model = self._per_model.get(model)
        if per_model is None:
            per_model = self._per_model[model] = _ModelSeries(self, model)
        key = (model, message.status, message.cache)
        requests = self._requests.get(key)
        if requests is None:
            requests = self._requests[key] = self.requests.labels(*key)
        requests.inc()
        per_model.latency.observe(message.latency_s)
        for attempt in message.attempts:
            akey = (attempt.model, attempt.status, attempt.error or "")
            attempts = self._attempts.get(akey)
            if attempts is None:
                attempts = self._attempts[akey] = self.attempts.labels(*akey)
            attempts.inc()
            if attempt.ttft_s is not None:
                ttft = self._ttft.get(attempt.model)
                if ttft is None:
                    ttft = self._ttft[attempt.model] = self.ttft.labels(attempt.model)
                ttft.observe(attempt.ttft_s)
        if message.cache == "miss" and message.model is not None:
            per_model.prompt.inc(message.usage.prompt_tokens)
            per_model.completion.inc(message.usage.completion_tokens)
            per_model.cost.inc(message.cost_usd)
        if message.saved_usd:
            self.saved.labels(message.cache).inc(message.saved_usd)


class _ModelSeries:
    """One model's children of the labelled metrics, looked up once (`labels` is slow)."""

    __slots__ = ("completion", "cost", "latency", "prompt")

    def __init__(self, metrics: Metrics, model: str) -> None:
        self.latency = metrics.latency.labels(model)
        self.prompt = metrics.tokens.labels(model, "prompt")
        self.completion = metrics.tokens.labels(model, "completion")
        self.cost = metrics.cost.labels(model)
