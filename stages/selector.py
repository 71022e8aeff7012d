"""Selector: which model answers, and which follow if it fails.

Inbox: `Select` (decide), `Completed` (learn observed latency; remember the request
for feedback) and `Feedback` (learn quality). Emits: `Routed` to the breaker;
unroutable requests (unknown model, nothing fits, constraints unmet) end here with an
error. Backpressure: waits on the breaker's mailbox.

The core scores each candidate on predicted quality, the cost of this request and
expected latency, weighted by the mode (or the caller's preferences, or a willingness
to pay), after removing what the caller's tier, the prompt's size, its needs or the
caller's constraints rule out. Predicted quality comes from the learned model (nearest
past prompts and their per-model outcomes, `stages.quality`) shrunk toward the
per-(task, model) priors of router.toml; with no evidence it is the prior.

The learned model's hnswlib graph (past `QualityParams.exact_below` prompts) takes
seconds to build, so the selector builds it in a worker thread, from a task of its own
(one at a time), answering from exact search meanwhile; prompts learned during the build
are searched exactly until folded into the graph. At shutdown it writes the model back
in a worker thread too, for at most `save_timeout_s`.

A prompt's embedding is made before its answer only when something reads it then (a
learned model to consult, the semantic cache): `needs_embedding` tells the analyzer. Until
the first feedback, nothing does, and a request answered without one is remembered by its
text (up to `REMEMBERED_CHARS`; a longer one is embedded all the same), embedded only if
feedback on it comes.
"""

from __future__ import annotations

import math
import threading
from collections import Counter, OrderedDict
from collections.abc import Awaitable, Callable
from operator import attrgetter, itemgetter
from typing import Any

import anyio
import msgspec
import numpy as np
import numpy.typing as npt
import structlog
from anyio.abc import TaskStatus

from reactor import (
    Actor,
    Candidate,
    ChatRequest,
    Clock,
    Completed,
    Decision,
    ErrorInfo,
    Features,
    Feedback,
    ImagePart,
    Inbox,
    Job,
    ModelConfig,
    Outcomes,
    Quota,
    Reply,
    Routed,
    Select,
    SelectorConfig,
    stamp,
)
from stages.embedders import Embeddings
from stages.limits import iso
from stages.quality import QualityModel, QualityParams

log = structlog.get_logger("reactor.selector")

WEIGHTS: dict[str, tuple[float, float, float]] = {
    # (quality, cost, latency)
    "fast": (0.25, 0.15, 0.60),
    "balanced": (0.55, 0.35, 0.10),
    "accurate": (0.90, 0.05, 0.05),
}
EWMA_ALPHA = 0.2
QUALITY_SCALE = 0.25
_SHOWN_MEMO = 4096


class NoRoute(Exception):
    """The request names no model or alias this router knows, or nothing fits it."""

    def __init__(self, error: ErrorInfo) -> None:
        self.error = error
        super().__init__(error.message)



def has_images(request: ChatRequest) -> bool:
    """Any message carries an image part."""
    for message in request.messages:  # plain loops: no generator on every request
        content = message.content
        if isinstance(content, list):
            for part in content:
                if isinstance(part, ImagePart):
                    return True
    return False

class Catalogue:
    """The selector's private state: models, aliases, live latency estimates."""

    def __init__(self, models: list[ModelConfig], config: SelectorConfig,
                 quality_params: QualityParams | None = None, *, embedder: str = "") -> None:
        self.config = config
        self.embedder = embedder
        """`embedder_identity` of the prompts' embeddings: a learned model made from
        another's is not read, and one started here is marked with it."""
        self.quality_params = quality_params
        """For a learned model started from scratch (a loaded one keeps its own)."""
        self.models = {model.name: model for model in models}
        self.order = [model.name for model in models]
        self.aliases = {alias.name: alias for alias in config.aliases}
        self.ttft_ms = {model.name: model.ttft_ms for model in models}
        self.tokens_per_s = {model.name: model.tokens_per_s for model in models}
        self.quality: QualityModel | None = None
        # Per task, every model's prior and no evidence: what a prompt without learned
        # neighbours is predicted (built once per task; read-only).
        self._priors: dict[str, dict[str, float]] = {}
        self._unlearned: dict[str, dict[str, tuple[float, float]]] = {}
        # Predicted qualities as candidates show them (4 places): priors recur on every
        # request, and `round` to places costs more than the rest of scoring a model.
        self._shown: dict[float, float] = {}
        self._reasons: dict[tuple[float | None, str, str, float, bool, float], str] = {}
        # Scores and confidences as decisions show them (6 and 3 places): with few
        # candidates they take few values, and `round` costs more than scoring a model.
        self._scores: dict[float, float] = {}
        self._confidences: dict[float, float] = {}
        self._mismatch_logged = False

    def observe(self, model: str, ttft_s: float | None, tokens: int, duration_s: float) -> None:
        """Latency learned from a good try: its first-token time and its rate, when it
        was streamed. A whole answer (`ttft_s` None) has only its duration: what the
        learned rate leaves of it for `tokens` is taken as its first-token time, so the
        expected latency of answers like it still follows what they take."""
        if model not in self.models:
            return
        if ttft_s is None:
            if duration_s > 0:
                implied = 1000 * (duration_s - tokens / self.tokens_per_s[model])
                self.ttft_ms[model] += EWMA_ALPHA * (max(0.0, implied) - self.ttft_ms[model])
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
        unfit = self.unfit(model, request, features, tier)
        return "" if unfit is None else unfit[1]

    def unfit(self, model: ModelConfig, request: ChatRequest, features: Features,
              tier: str) -> tuple[str, str] | None:
        """None if `model` can serve this request, else the request field that asks for
        what it lacks (the `param` of the error) and why."""
        if model.tiers and tier not in model.tiers:
            return "model", f"tier {tier!r} not allowed"
        limit = request.output_limit
        # Which field set the limit, if the request set one.
        limit_field = "max_completion_tokens" if request.max_completion_tokens is not None \
            else "max_tokens"
        needed = features.prompt_tokens + (features.output_tokens or 0)
        if needed > model.context_window:
            # The answer's room is to blame only when the request asked for it and the
            # prompt alone would fit.
            blamed = limit_field if limit is not None and features.output_tokens == limit \
                and features.prompt_tokens <= model.context_window else "messages"
            return blamed, f"needs {needed} tokens of context, has {model.context_window}"
        if request.tools and not model.tools:
            return "tools", "no tool support"
        fmt = request.response_format
        if fmt is not None and fmt.type != "text" and not model.json_mode:
            return "response_format", "no JSON mode"
        if limit is not None and limit > model.max_output_tokens:
            return limit_field, f"asks for up to {limit} output tokens, gives " \
                f"{model.max_output_tokens}"
        if not model.vision and has_images(request):
            return "messages", "no image input"
        return None

    def decide(self, request: ChatRequest, features: Features, tier: str,
               quota: Quota | None = None, now_wall: float = 0.0) -> Decision:
        """`quota`: what the tenant may still spend (as admission saw it), if limited;
        `now_wall` is read only to say when that budget resets."""
        budget = None if quota is None else quota.remaining_usd
        name = request.model
        if name in self.models:
            model = self.models[name]
            unfit = self.unfit(model, request, features, tier)
            if unfit is not None:
                param, why = unfit
                raise NoRoute(ErrorInfo(status=400, type="invalid_request_error",
                                        code="model_unsuitable", param=param,
                                        message=f"model {name!r} cannot serve this request: {why}"))
            if budget is not None and self.estimate(model, features) > budget:
                assert quota is not None
                raise NoRoute(over_budget(quota, now_wall, [(name, self.estimate(model,
                                                                                 features))]))
            allowed = None
            if request.constraints is not None:
                # Hard limits hold for a pinned model and its failovers as for any other.
                predicted = self.predicted_quality(features)
                rows = [self._row(other, features, predicted) for other in self.order]
                allowed = {row[0] for row in self._constrain(
                    request, rows, [row for row in rows if row[0] == name])}
            fallbacks = self.fallbacks(name, [], request, features, tier, budget,
                                       allowed=allowed)
            return Decision(model=name, fallbacks=fallbacks, reason="pinned", confidence=1.0,
                            mode="pinned")
        alias = self.aliases.get(name)
        if alias is None and name != "auto":
            raise NoRoute(ErrorInfo(status=404, type="invalid_request_error",
                                    code="model_not_found", param="model",
                                    message=f"the model {name!r} does not exist"))
        mode = request.mode or (alias.mode if alias else self.config.default_mode)
        pool = alias.models if alias and alias.models else self.order
        return self.rank(request, features, tier, pool, mode, quota, now_wall)

    def comparable(self, learned: QualityModel, embedding: npt.NDArray[np.float32]) -> bool:
        """Was `learned` made with embeddings like this one? One from another embedder
        (another size, or another embedder named in the file: one trained or saved
        under another configuration) is useless to this one: decisions go on from the
        priors, and it is said once. A file that names no embedder is taken on trust."""
        if len(embedding) == learned.dim and (
                not learned.embedder or not self.embedder or learned.embedder == self.embedder):
            return True
        if not self._mismatch_logged:
            self._mismatch_logged = True
            log.warning("quality_model_mismatch", path=self.config.quality_model,
                        model_dim=learned.dim, embedding_dim=len(embedding),
                        model_embedder=learned.embedder, embedder=self.embedder)
        return False

    def estimate(self, model: ModelConfig, features: Features) -> float:
        """USD this request would cost on `model`, as `rank` estimates it."""
        return self.cost(model, features.prompt_tokens, features.output_tokens or 256)

    def predicted_quality(self, features: Features) -> dict[str, tuple[float, float]]:
        """Per model: (expected quality 0..1, evidence), from the learned model when
        there is one and this prompt has an embedding, else from router.toml's priors.
        The caller must not change the dict it gets."""
        task = features.task
        unlearned = self._unlearned.get(task)
        if unlearned is None:
            self._priors[task] = {name: model.quality_by_task.get(task, model.quality)
                                  for name, model in self.models.items()}
            unlearned = self._unlearned[task] = {
                name: (prior, 0.0) for name, prior in self._priors[task].items()}
        learned = self.quality
        if learned is None or len(learned) == 0 or features.embedding is None or \
                not self.comparable(learned, features.embedding):
            return unlearned
        priors = self._priors[task]
        out = dict(unlearned)
        estimates = learned.predict(features.embedding, self.config.neighbours,
                                    task=features.task, priors=priors)
        for name, estimate in estimates.items():
            if name in out:
                out[name] = (estimate.mean, estimate.n_effective)
        return out

    def rank(self, request: ChatRequest, features: Features, tier: str, pool: list[str],
             mode: str, quota: Quota | None = None, now_wall: float = 0.0) -> Decision:
        output_tokens = features.output_tokens or 256
        predicted = self.predicted_quality(features)
        budget = None if quota is None else quota.remaining_usd
        rejected: list[tuple[str, str, str]] = []
        unaffordable: list[tuple[str, float]] = []
        rows: list[tuple[str, float, float, float]] = []
        models, ttft_ms, tokens_per_s = self.models, self.ttft_ms, self.tokens_per_s
        prompt_tokens = features.prompt_tokens
        # `fits`, with what depends on the request alone worked out once; `fits` itself
        # says why, for the models it rules out.
        needed = prompt_tokens + (features.output_tokens or 0)
        tools = bool(request.tools)
        fmt = request.response_format
        structured = fmt is not None and fmt.type != "text"
        limit = request.output_limit or 0
        images = has_images(request)
        for name in pool:
            model = models[name]
            if (model.tiers and tier not in model.tiers) or needed > model.context_window \
                    or (tools and not model.tools) or (structured and not model.json_mode) \
                    or limit > model.max_output_tokens or (images and not model.vision):
                unfit = self.unfit(model, request, features, tier)
                assert unfit is not None  # the same checks as `unfit`'s, inlined
                rejected.append((name, *unfit))
                continue
            cost = (prompt_tokens * model.price_in + output_tokens * model.price_out) / 1e6
            if budget is not None and cost > budget:
                unaffordable.append((name, cost))
                continue
            latency = ttft_ms[name] + 1000 * output_tokens / tokens_per_s[name]
            rows.append((name, predicted[name][0], cost, latency))
        if not rows and unaffordable:
            assert quota is not None
            raise NoRoute(over_budget(quota, now_wall, unaffordable))
        if not rows:
            # One field to blame if every model was ruled out by the same one.
            params = {param for _, param, _ in rejected}
            raise NoRoute(ErrorInfo(status=400, type="invalid_request_error",
                                    code="no_model_fits",
                                    param=params.pop() if len(params) == 1 else "model",
                                    message="no model can serve this request: " + "; ".join(
                                        f"{name}: {why}" for name, _, why in rejected)))
        allowed, constrained = None, []
        if request.constraints is not None:
            kept = self._constrain(request, rows)
            allowed = set(map(_NAME, kept))
            constrained = [name for name, *_ in rows if name not in allowed]
            rows = kept
        how = mode
        if request.preferences is None:  # `_weights` and `_willingness`, without calls
            wq, wc, wl = WEIGHTS[mode]
            wtp = self.config.willingness_to_pay
        else:
            wq, wc, wl = self._weights(request, mode)
            wtp = self._willingness(request)
            if (wq, wc, wl) != WEIGHTS[mode]:
                how = f"preferences (quality {wq:.2f}, cost {wc:.2f}, latency {wl:.2f})"
        # Harder prompts make quality matter more.
        wq *= 0.5 + features.complexity
        log10 = math.log10
        log_costs = [log10(row[2] + 1e-7) for row in rows]
        log_lats = [log10(row[3] + 1.0) for row in rows]
        # Each log cost and latency is placed between the smallest (0) and the largest (1),
        # all 0 if they are equal; worked out in the loop below (two lists and two calls
        # less on every request).
        low_cost, low_lat = min(log_costs), min(log_lats)
        span_cost, span_lat = max(log_costs) - low_cost, max(log_lats) - low_lat
        flat_cost, flat_lat = span_cost < 1e-12, span_lat < 1e-12
        best_quality = max(rows, key=_QUALITY)[1]

        scored: list[Candidate] = []
        shown, shown_quality = self._shown, self._shown_quality
        scores = self._scores
        for (name, quality, cost, latency), log_cost, log_lat in zip(rows, log_costs, log_lats,
                                                                      strict=True):
            norm_cost = 0.0 if flat_cost else (log_cost - low_cost) / span_cost
            norm_lat = 0.0 if flat_lat else (log_lat - low_lat) / span_lat
            if wtp is not None:
                score = quality - cost / wtp - wl * norm_lat * 0.1
            else:
                # Quality on a fixed scale (QUALITY_SCALE points = 1), not the candidates'
                # range: two models 0.01 apart must not look a whole unit apart.
                score = wq * (quality - best_quality) / QUALITY_SCALE \
                    - wc * norm_cost - wl * norm_lat
            shown_score = scores.get(score)
            if shown_score is None:
                shown_score = remember_rounded(scores, score, 6)
            scored.append(Candidate(model=name, quality=shown.get(quality)
                                    or shown_quality(quality),
                                    cost_usd=cost, latency_ms=round(latency, 1),
                                    score=shown_score))
        if len(scored) > 1:
            scored.sort(key=_BY_SCORE, reverse=True)
        best = scored[0]
        spread = best.score - scored[-1].score
        # Alone, a candidate wins outright; candidates all scoring alike are a tie.
        if len(scored) == 1:
            margin = 1.0
        else:
            margin = (best.score - scored[1].score) / spread if spread else 0.0
        evidence = predicted[best.model][1]
        confidence = min(1.0, (0.5 + 0.5 * margin) * (0.6 + 0.4 * evidence / (evidence + 2.0)))
        shown_confidence = self._confidences.get(confidence)
        if shown_confidence is None:
            shown_confidence = remember_rounded(self._confidences, confidence, 3)
        fallbacks = self.fallbacks(best.model, list(map(_MODEL, scored[1:])), request,
                                   features, tier, budget, usable=set(map(_NAME, rows)),
                                   allowed=allowed)
        reason = self._reason(wtp, how, features.task, features.complexity, evidence > 0,
                              best.quality)
        if constrained:
            reason += "; ruled out by the constraints: " + ", ".join(constrained)
        if unaffordable:
            reason += (f"; over the budget left (${budget:.6f}): "
                       + ", ".join(f"{name} ~${cost:.6f}" for name, cost in unaffordable))
        return Decision(model=best.model, fallbacks=fallbacks, reason=reason,
                        confidence=shown_confidence, mode=mode,
                        alternatives=scored)

    def _reason(self, wtp: float | None, weights: str, task: str, complexity: float,
                learned: bool, quality: float) -> str:
        """Why the best candidate won, in words; `weights`: the mode, or the preferences,
        that weighted it. Remembered: the same few (weights, task, complexity, quality)
        recur, and formatting two floats costs more than scoring."""
        key = (wtp, weights, task, complexity, learned, quality)
        reason = self._reasons.get(key)
        if reason is None:
            how = f"willingness to pay ${wtp:g}/quality" if wtp is not None else weights
            source = "learned" if learned else "prior"
            reason = (f"{how}: best score for {task} (complexity {complexity:.2f}, "
                      f"{source} quality {quality:.2f})")
            if complexity > 0.0 and quality > 0.0:  # not -0.0, which shows its sign
                if len(self._reasons) >= _SHOWN_MEMO:
                    self._reasons.clear()
                self._reasons[key] = reason
        return reason

    def _shown_quality(self, quality: float) -> float:
        """`round(quality, 4)`, remembered."""
        shown = self._shown.get(quality)
        return remember_rounded(self._shown, quality, 4) if shown is None else shown

    def _willingness(self, request: ChatRequest) -> float | None:
        prefs = request.preferences
        if prefs is not None and prefs.willingness_to_pay is not None:
            return max(prefs.willingness_to_pay, 1e-12)
        return self.config.willingness_to_pay

    def _row(self, name: str, features: Features, predicted: dict[str, tuple[float, float]]
             ) -> tuple[str, float, float, float]:
        """(name, predicted quality, cost, latency) as `rank` works them out."""
        model, output_tokens = self.models[name], features.output_tokens or 256
        return (name, predicted[name][0],
                self.cost(model, features.prompt_tokens, output_tokens),
                self.ttft_ms[name] + 1000 * output_tokens / self.tokens_per_s[name])

    def _constrain(self, request: ChatRequest, rows: list[tuple[str, float, float, float]],
                   needed: list[tuple[str, float, float, float]] | None = None
                   ) -> list[tuple[str, float, float, float]]:
        """The rows that meet the request's constraints; a 400 if none of `needed` (by
        default: of `rows`) does."""
        limits = request.constraints
        if limits is None:
            return rows
        kept = [row for row in rows
                if (limits.max_cost_usd is None or row[2] <= limits.max_cost_usd)
                and (limits.max_latency_ms is None or row[3] <= limits.max_latency_ms)
                and (limits.min_quality is None or row[1] >= limits.min_quality)]
        needed = rows if needed is None else needed
        if any(row in kept for row in needed):
            return kept
        closest = "; ".join(f"{name}: quality {q:.2f}, ~${c:.6f}, ~{lat:.0f} ms"
                            for name, q, c, lat in needed)
        raise NoRoute(ErrorInfo(status=400, type="invalid_request_error",
                                code="constraints_unsatisfiable", param="constraints",
                                message=f"no model meets the constraints: {closest}"))

    def fallbacks(self, primary: str, ranked: list[str], request: ChatRequest,
                  features: Features, tier: str, budget: float | None = None,
                  usable: set[str] | None = None, allowed: set[str] | None = None
                  ) -> list[str]:
        """The primary's configured failover models first, then the ranked alternatives;
        each able to serve this request (within `budget`, if any), none twice, at most
        `max_fallbacks`. `usable`: models already known to be (`rank`'s candidates);
        `allowed`, if given: the only models the request's constraints let in."""
        chain = [primary]
        known = usable or set()
        models = self.models
        for name in [*models[primary].failover, *ranked]:
            if name in chain or (allowed is not None and name not in allowed) or (
                    name not in known and
                    not self._fit(name, request, features, tier, budget)):
                continue
            chain.append(name)
            for extra in models[name].failover:
                if extra not in chain and extra not in ranked and (
                        allowed is None or extra in allowed) and (
                        extra in known or self._fit(extra, request, features, tier, budget)):
                    chain.append(extra)
        return chain[1: 1 + self.config.max_fallbacks]

    def _fit(self, name: str, request: ChatRequest, features: Features, tier: str,
             budget: float | None) -> bool:
        """Can `name` serve this request, within `budget` if there is one?"""
        model = self.models[name]
        return not self.fits(model, request, features, tier) and (
            budget is None or self.estimate(model, features) <= budget)

    def _weights(self, request: ChatRequest, mode: str) -> tuple[float, float, float]:
        prefs = request.preferences
        if prefs is not None and prefs.quality + prefs.cost + prefs.latency > 0:
            total = prefs.quality + prefs.cost + prefs.latency
            return prefs.quality / total, prefs.cost / total, prefs.latency / total
        return WEIGHTS[mode]


def over_budget(quota: Quota, now_wall: float, costs: list[tuple[str, float]]) -> ErrorInfo:
    """The 429 for a request no model can answer within the tenant's budget left."""
    name, cost = min(costs, key=lambda item: item[1])
    every = "daily" if quota.window == "day" else "monthly"
    return ErrorInfo(
        status=429, type="insufficient_quota", code="budget_exceeded",
        message=f"no model fits the {every} budget left (${quota.remaining_usd or 0.0:.6f}): "
        f"the cheapest that could answer, {name}, would cost ~${cost:.6f}; the budget "
        f"resets at {iso(quota.resets_at)}",
        retry_after_s=math.ceil(max(1.0, quota.resets_at - now_wall)))


def remember_rounded(memo: dict[float, float], value: float, places: int) -> float:
    """`round(value, places)`, remembered in `memo` (not for zeros: 0.0 and -0.0 are one
    key but round to themselves, each keeping its sign); `memo` is emptied when full."""
    rounded = round(value, places)
    if value != 0.0:
        if len(memo) >= _SHOWN_MEMO:
            memo.clear()
        memo[value] = rounded
    return rounded


# Read in C, not in a Python function or comprehension per call.
_BY_SCORE = attrgetter("score")
_MODEL = attrgetter("model")
_NAME = itemgetter(0)
_QUALITY = itemgetter(1)


# A prompt up to this long is remembered as its text when it was answered without an
# embedding; a longer one is embedded before its answer (at most ~2 KB a remembered
# answer either way: a 384-d embedding is 1.5 KB).
REMEMBERED_CHARS = 2048


class Remembered(msgspec.Struct, frozen=True, kw_only=True):
    model: str
    task: str
    embedding: npt.NDArray[np.float32] | None
    """None until feedback asks for it: `text` is embedded then."""
    text: str | None = None
    tenant: str = "default"
    rating: float | None = None
    """The score its feedback gave, once rated: rating again replaces it."""
    row: int = -1
    """Where `learned_in` keeps that score."""
    learned_in: QualityModel | None = None


class Selector(Actor[Select | Completed | Feedback]):
    name = "selector"

    def __init__(self, catalogue: Catalogue, downstream: Inbox[Routed], outcomes: Outcomes,
                 clock: Clock, *, save_timeout_s: float = 30.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.catalogue = catalogue
        self.downstream = downstream
        self.outcomes = outcomes
        self.clock = clock
        self.recent: OrderedDict[str, Remembered] = OrderedDict()
        self.over_budget: Counter[str] = Counter()
        """Requests refused per tenant because no model fit its budget left."""
        self.learned = 0
        self.save_timeout_s = save_timeout_s
        """How long shutdown waits for the learned model to be written (the drain's
        deadline, 30 s by default); past it the write goes on in its thread, unawaited."""
        self._loaded = False
        self._building: anyio.CancelScope | None = None
        self._handed_over = False
        self.embed: Callable[[list[str]], Awaitable[Embeddings | None]] | None = None
        """The analyzer's embedder, for prompts remembered by their text (None failed);
        with none, a prompt answered without an embedding is not remembered."""

    def needs_embedding(self, job: Job) -> bool:
        """Must this job's prompt be embedded before it is routed? When a learned model
        is consulted, or feedback could not be learned from it otherwise."""
        quality = self.catalogue.quality
        return (quality is not None and len(quality) > 0) or self.embed is None or \
            len(job.request.last_user_text) > REMEMBERED_CHARS

    def share(self, old: Selector) -> None:
        """Carry on from `old`, a selector to be replaced (a reload, same embedder): share
        its memory of answers awaiting feedback, and its learned model (not read again
        from the file, which is older than what `old` learned). `replaced` then makes
        saving it this one's job."""
        self.recent = old.recent
        quality = old.catalogue.quality
        if quality is not None and \
                old.catalogue.config.quality_model == self.catalogue.config.quality_model:
            self.catalogue.quality = quality
            self._loaded = True

    def replaced(self, old: Selector) -> None:
        """`old` (whose state this one `share`s) no longer gets requests: the shared model
        is saved by this one only, as the other may change it while a save runs."""
        if old.catalogue.quality is not None and old.catalogue.quality is \
                self.catalogue.quality:
            self.learned = max(self.learned, old.learned, 1)
            old._handed_over = True

    async def run(self, *, task_status: TaskStatus[None] = anyio.TASK_STATUS_IGNORED) -> None:
        try:
            await super().run(task_status=task_status)
        finally:
            with anyio.CancelScope(shield=True):
                await self.save()

    async def started(self) -> None:
        path = self.catalogue.config.quality_model
        if self._loaded or path is None or not await anyio.Path(path).exists():
            return
        self.catalogue.quality = await anyio.to_thread.run_sync(QualityModel.load, path)
        self._loaded = True
        log.info("quality_model_loaded", path=path, prompts=len(self.catalogue.quality))

    async def stopping(self) -> None:
        if self._building is not None:
            self._building.cancel()

    async def save(self) -> None:
        """Write the learned model back, if feedback changed it (atomic replace), in a
        worker thread: ~0.5 s at 100k prompts. Call only once nothing else changes it."""
        path = self.catalogue.config.quality_model
        quality = self.catalogue.quality
        if path is None or quality is None or not self.learned or self._handed_over:
            return
        with anyio.move_on_after(self.save_timeout_s) as deadline:
            await anyio.to_thread.run_sync(quality.save, path, abandon_on_cancel=True)
        if deadline.cancelled_caught:
            log.warning("quality_model_save_timed_out", path=path, prompts=len(quality),
                        timeout_s=self.save_timeout_s)
            return
        self.learned = 0
        log.info("quality_model_saved", path=path, prompts=len(quality))

    async def _build_graph(self, quality: QualityModel, scope: anyio.CancelScope) -> None:
        """Build the learned model's graph in a worker thread and swap it in; the loop
        goes on deciding (exactly) and learning meanwhile."""
        stop = threading.Event()
        rows = quality.snapshot()
        started = self.clock.now()
        graph = None
        try:
            with scope:
                # Abandoned on cancel: the thread reads only its snapshot and sees `stop`
                # within one chunk (~0.1 s).
                graph = await anyio.to_thread.run_sync(quality.build_graph, rows, stop,
                                                       abandon_on_cancel=True)
        finally:
            stop.set()
            self._building = None
        if graph is None or self.catalogue.quality is not quality:
            return
        quality.adopt(graph)
        log.info("quality_graph_built", prompts=len(rows), since=len(quality) - len(rows),
                 seconds=round(self.clock.now() - started, 3))

    async def handle(self, message: Select | Completed | Feedback) -> None:
        match message:
            case Select(job=job, features=features):
                try:
                    decision = self.catalogue.decide(
                        job.request, features, job.tier, job.quota,
                        self.clock.wall() if job.quota is not None else 0.0)
                except NoRoute as exc:
                    if exc.error.code == "budget_exceeded":
                        self.over_budget[job.tenant] += 1
                    await self.outcomes.reject(job, exc.error, self.clock.now())
                    return
                decision = msgspec.structs.replace(
                    decision, features=features, routing_s=self.clock.now() - job.received_at)
                if job.trace is not None:
                    stamp(job, "selector", self.clock.now())
                routed = Routed(job=job, features=features, decision=decision)
                if not self.downstream.put_nowait(routed):
                    await self.downstream.send(routed)
            case Completed() as outcome:
                self._learn_from(outcome)
            case Feedback(request_id=request_id, score=score, reply=reply, tenant=tenant):
                seen = self.recent.get(request_id)
                # Another tenant's answer is as unknown as a forgotten one: a caller can
                # neither steer the routing others get nor learn which ids exist.
                if seen is None or (tenant is not None and tenant != seen.tenant) or \
                        (seen.embedding is None and self.embed is None):
                    reply.send(False)
                elif seen.embedding is None:
                    # In a task: an embedder may be remote, and routing goes on meanwhile.
                    await self.spawn(self._embed_then_learn, request_id, seen, score, reply)
                else:
                    reply.send(self._learn(request_id, seen, score))
                    await self._build_if_due()

    async def _embed_then_learn(self, request_id: str, seen: Remembered, score: float,
                                reply: Reply[bool]) -> None:
        learned = False
        try:
            assert self.embed is not None and seen.text is not None  # see `handle`
            vectors = await self.embed([seen.text])
            if vectors is not None:
                seen = msgspec.structs.replace(seen, embedding=vectors[0], text=None)
                learned = self._learn(request_id, seen, score)
        finally:
            reply.send(learned)
        await self._build_if_due()

    async def _build_if_due(self) -> None:
        quality = self.catalogue.quality
        if quality is not None and quality.graph_due and self._building is None:
            # One build at a time; `stopping` may cancel it before its task starts.
            self._building = anyio.CancelScope()
            await self.spawn(self._build_graph, quality, self._building)

    def crashed(self, message: Select | Completed | Feedback | None,
                exc: BaseException) -> None:
        # Whoever sent feedback waits on its reply: not learned, rather than never answered.
        if isinstance(message, Feedback):
            message.reply.send(False)
        else:
            super().crashed(message, exc)

    def handle_nowait(self, message: Select | Completed | Feedback) -> bool:
        if isinstance(message, Completed):  # learning needs no wait
            self._learn_from(message)
            return True
        return False

    def _learn_from(self, outcome: Completed) -> None:
        """What an outcome teaches: its features' quality, each good try's latency."""
        self._remember(outcome)
        observe = self.catalogue.observe
        for attempt in outcome.attempts:
            if attempt.status == "ok":
                # A whole answer came as one piece: its length is the usage's.
                tokens = attempt.tokens_out if attempt.ttft_s is not None \
                    else outcome.usage.completion_tokens
                observe(attempt.model, attempt.ttft_s, tokens, attempt.duration_s)

    def _remember(self, outcome: Completed) -> None:
        features = outcome.features
        if outcome.status != "ok" or outcome.model is None or features is None:
            return
        embedding, text = features.embedding, None
        if embedding is None:
            # Left for later (or failed): the text, if short, can be embedded on feedback.
            text = outcome.job.request.last_user_text
            if self.embed is None or len(text) > REMEMBERED_CHARS:
                return
        self.recent[outcome.job.id] = Remembered(model=outcome.model, task=features.task,
                                                 embedding=embedding, text=text,
                                                 tenant=outcome.job.tenant)
        while len(self.recent) > self.catalogue.config.feedback_memory:
            self.recent.popitem(last=False)

    def _learn(self, request_id: str, seen: Remembered, score: float) -> bool:
        """Learn `score` for the answer `seen`; an answer rated before (by feedback that
        may have raced this one through an embedder) has its rating replaced, so that
        one answer is one piece of evidence however often it is rated."""
        embedding = seen.embedding
        assert embedding is not None
        current = self.recent.get(request_id)
        if current is not None and current.rating is not None:
            seen = msgspec.structs.replace(seen, rating=current.rating, row=current.row,
                                           learned_in=current.learned_in)
        quality = self.catalogue.quality
        if quality is None:
            quality = self.catalogue.quality = QualityModel(
                dim=len(embedding), params=self.catalogue.quality_params,
                embedder=self.catalogue.embedder)
        elif not self.catalogue.comparable(quality, embedding):
            return False
        if seen.rating is not None and seen.learned_in is quality:
            quality.revise(seen.row, seen.model, seen.rating, score, task=seen.task)
            row = seen.row
        else:
            row = quality.observe(embedding, seen.model, score, task=seen.task)
        if current is not None:  # not forgotten meanwhile
            self.recent[request_id] = msgspec.structs.replace(
                seen, text=None, rating=score, row=row, learned_in=quality)
        self.learned += 1
        return True
