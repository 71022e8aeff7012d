"""Selector: which model answers, and which follow if it fails.

Inbox: `Select` (decide) and `Completed` (learn observed latency). Emits: `Routed` to
the breaker; unroutable requests (unknown model, nothing fits) end here with an error.
Backpressure: waits on the breaker's mailbox.

The core scores each candidate on quality, cost of this request and expected latency,
weighted by the mode (or the caller's preferences), after removing the models the
caller's tier, the prompt's size or its needs rule out.
"""

from __future__ import annotations

import math
from typing import Any

from reactor import (
    Actor,
    Candidate,
    Clock,
    Completed,
    Decision,
    ErrorInfo,
    Features,
    Inbox,
    ModelConfig,
    Outcomes,
    Routed,
    Select,
    SelectorConfig,
)
from reactor._wire import ChatRequest

WEIGHTS: dict[str, tuple[float, float, float]] = {
    # (quality, cost, latency)
    "fast": (0.25, 0.15, 0.60),
    "balanced": (0.55, 0.35, 0.10),
    "accurate": (0.90, 0.05, 0.05),
}
EWMA_ALPHA = 0.2


class NoRoute(Exception):
    """The request names no model or alias this router knows, or nothing fits it."""

    def __init__(self, error: ErrorInfo) -> None:
        self.error = error
        super().__init__(error.message)


class Catalogue:
    """The selector's private state: models, aliases, live latency estimates."""

    def __init__(self, models: list[ModelConfig], config: SelectorConfig) -> None:
        self.config = config
        self.models = {model.name: model for model in models}
        self.order = [model.name for model in models]
        self.aliases = {alias.name: alias for alias in config.aliases}
        self.ttft_ms = {model.name: model.ttft_ms for model in models}
        self.tokens_per_s = {model.name: model.tokens_per_s for model in models}

    def observe(self, model: str, ttft_s: float | None, tokens: int, duration_s: float) -> None:
        if model not in self.models or ttft_s is None:
            return
        self.ttft_ms[model] += EWMA_ALPHA * (ttft_s * 1000 - self.ttft_ms[model])
        streaming = duration_s - ttft_s
        if tokens > 1 and streaming > 0:
            rate = tokens / streaming
            self.tokens_per_s[model] += EWMA_ALPHA * (rate - self.tokens_per_s[model])

    def cost(self, model: ModelConfig, prompt_tokens: int, output_tokens: int) -> float:
        return (prompt_tokens * model.price_in + output_tokens * model.price_out) / 1e6

    def fits(self, model: ModelConfig, request: ChatRequest, features: Features, tier: str) -> str:
        """'' if `model` can serve this request, else why not."""
        if model.tiers and tier not in model.tiers:
            return f"tier {tier!r} not allowed"
        needed = features.prompt_tokens + (features.output_tokens or 0)
        if needed > model.context_window:
            return f"needs {needed} tokens of context, has {model.context_window}"
        if request.tools and not model.tools:
            return "no tool support"
        fmt = request.response_format
        if fmt is not None and fmt.type != "text" and not model.json_mode:
            return "no JSON mode"
        return ""

    def decide(self, request: ChatRequest, features: Features, tier: str) -> Decision:
        name = request.model
        if name in self.models:
            model = self.models[name]
            why = self.fits(model, request, features, tier)
            if why:
                raise NoRoute(ErrorInfo(status=400, type="invalid_request_error",
                                        code="model_unsuitable", param="model",
                                        message=f"model {name!r} cannot serve this request: {why}"))
            fallbacks = self.fallbacks(name, [], request, features, tier)
            return Decision(model=name, fallbacks=fallbacks, reason="pinned", confidence=1.0,
                            mode="pinned")
        alias = self.aliases.get(name)
        if alias is None and name != "auto":
            raise NoRoute(ErrorInfo(status=404, type="invalid_request_error",
                                    code="model_not_found", param="model",
                                    message=f"the model {name!r} does not exist"))
        mode = request.mode or (alias.mode if alias else self.config.default_mode)
        pool = alias.models if alias and alias.models else self.order
        return self.rank(request, features, tier, pool, mode)

    def rank(self, request: ChatRequest, features: Features, tier: str, pool: list[str],
             mode: str) -> Decision:
        output_tokens = features.output_tokens or 256
        rejected: list[str] = []
        rows: list[tuple[str, float, float, float]] = []
        for name in pool:
            model = self.models[name]
            why = self.fits(model, request, features, tier)
            if why:
                rejected.append(f"{name}: {why}")
                continue
            quality = model.quality_by_task.get(features.task, model.quality)
            cost = self.cost(model, features.prompt_tokens, output_tokens)
            latency = self.ttft_ms[name] + 1000 * output_tokens / self.tokens_per_s[name]
            rows.append((name, quality, cost, latency))
        if not rows:
            raise NoRoute(ErrorInfo(status=400, type="invalid_request_error",
                                    code="no_model_fits", param="model",
                                    message="no model can serve this request: "
                                    + "; ".join(rejected)))
        wq, wc, wl = self._weights(request, mode)
        # Harder prompts make quality matter more.
        wq *= 0.5 + features.complexity
        costs = [math.log10(row[2] + 1e-7) for row in rows]
        lats = [math.log10(row[3] + 1.0) for row in rows]
        quals = [row[1] for row in rows]
        scored = [
            Candidate(
                model=name,
                quality=round(quality, 4),
                cost_usd=cost,
                latency_ms=round(latency, 1),
                score=round(wq * _norm(quality, quals) - wc * _norm(c, costs)
                            - wl * _norm(lt, lats), 4),
            )
            for (name, quality, cost, latency), c, lt in zip(rows, costs, lats, strict=True)
        ]
        scored.sort(key=lambda c: c.score, reverse=True)
        best = scored[0]
        margin = best.score - scored[1].score if len(scored) > 1 else 1.0
        fallbacks = self.fallbacks(best.model, [c.model for c in scored[1:]], request,
                                   features, tier)
        reason = f"{mode}: best score for {features.task} (complexity {features.complexity:.2f})"
        return Decision(model=best.model, fallbacks=fallbacks, reason=reason,
                        confidence=round(min(1.0, 0.5 + margin), 3), mode=mode,
                        alternatives=scored)

    def fallbacks(self, primary: str, ranked: list[str], request: ChatRequest,
                  features: Features, tier: str) -> list[str]:
        """The primary's configured failover models first, then the ranked alternatives;
        each able to serve this request, none twice, at most `max_fallbacks`."""
        chain = [primary]
        for name in [*self.models[primary].failover, *ranked]:
            if name in chain or self.fits(self.models[name], request, features, tier):
                continue
            chain.append(name)
            for extra in self.models[name].failover:
                if extra not in chain and extra not in ranked and \
                        not self.fits(self.models[extra], request, features, tier):
                    chain.append(extra)
        return chain[1: 1 + self.config.max_fallbacks]

    def _weights(self, request: ChatRequest, mode: str) -> tuple[float, float, float]:
        prefs = request.preferences
        if prefs is not None and prefs.quality + prefs.cost + prefs.latency > 0:
            total = prefs.quality + prefs.cost + prefs.latency
            return prefs.quality / total, prefs.cost / total, prefs.latency / total
        return WEIGHTS[mode]


def _norm(value: float, values: list[float]) -> float:
    low, high = min(values), max(values)
    return 0.0 if high - low < 1e-12 else (value - low) / (high - low)


class Selector(Actor[Select | Completed]):
    name = "selector"

    def __init__(self, catalogue: Catalogue, downstream: Inbox[Routed], outcomes: Outcomes,
                 clock: Clock, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.catalogue = catalogue
        self.downstream = downstream
        self.outcomes = outcomes
        self.clock = clock

    async def handle(self, message: Select | Completed) -> None:
        match message:
            case Select(job=job, features=features):
                try:
                    decision = self.catalogue.decide(job.request, features, job.tier)
                except NoRoute as exc:
                    await self.outcomes.reject(job, exc.error, self.clock.now())
                    return
                await self.downstream.send(Routed(job=job, features=features, decision=decision))
            case Completed(attempts=attempts):
                for attempt in attempts:
                    if attempt.status == "ok":
                        self.catalogue.observe(attempt.model, attempt.ttft_s, attempt.tokens_out,
                                               attempt.duration_s)
