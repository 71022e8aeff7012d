"""Provider: calls the chosen model and streams its answer into the job's flow.

Inbox: `Dispatch`. Emits: events into the job's flow; then `Completed` to every
learner and book-keeper. Backpressure: each job runs in a task of this actor, at most
`max_concurrency` at once; when all are busy the actor stops reading its mailbox. A
task gives its slot back before it publishes the outcome, so a slow learner upstream
can never wait on this actor while this actor waits on it.

Models are tried in the chain's order until one answers. Until the first token reaches
the caller, a failure moves on to the next model unseen. After that the answer cannot
be taken back: the flow ends with an explicit error, never with a clean finish.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import aiohttp
import anyio
from anyio.abc import TaskStatus

from reactor import (
    Actor,
    Attempt,
    Clock,
    Completed,
    Dispatch,
    Done,
    ErrorInfo,
    Failed,
    FlowClosed,
    ModelConfig,
    OpenAIUpstream,
    Outcomes,
    ProviderConfig,
    SimulatedUpstream,
    Started,
    Token,
    Usage,
)
from stages.upstreams import Fault, Reply, Upstream
from stages.upstreams.openai import OpenAICompatible
from stages.upstreams.simulated import Simulated

UpstreamFactory = Callable[[ModelConfig, aiohttp.ClientSession | None], Upstream]


def build_upstream(model: ModelConfig, session: aiohttp.ClientSession | None, clock: Clock,
                   config: ProviderConfig) -> Upstream:
    upstream = model.upstream
    match upstream:
        case SimulatedUpstream():
            return Simulated(model.name, upstream, clock)
        case OpenAIUpstream():
            assert session is not None
            return OpenAICompatible(model.name, upstream, session,
                                    connect_timeout_s=config.connect_timeout_s)


def cost_of(model: ModelConfig, usage: Usage) -> float:
    return (usage.prompt_tokens * model.price_in + usage.completion_tokens * model.price_out) / 1e6


def _fault_error(fault: Fault, model: str) -> ErrorInfo:
    return ErrorInfo(status=502, type="upstream_error", code=fault.kind,
                     message=f"{model}: {fault.message}", retry_after_s=fault.retry_after_s)


class Provider(Actor[Dispatch]):
    name = "provider"

    def __init__(self, models: list[ModelConfig], config: ProviderConfig, outcomes: Outcomes,
                 clock: Clock, **kwargs: Any) -> None:
        kwargs.setdefault("max_tasks", config.max_concurrency)
        super().__init__(**kwargs)
        self.models = {model.name: model for model in models}
        self.config = config
        self.outcomes = outcomes
        self.clock = clock
        self.session: aiohttp.ClientSession | None = None
        self.upstreams: dict[str, Upstream] = {}
        self._needs_session = any(isinstance(m.upstream, OpenAIUpstream) for m in models)

    def unavailable(self) -> dict[str, str]:
        """Models that cannot be called, with the reason (checked without network)."""
        out: dict[str, str] = {}
        for model in self.models.values():
            if isinstance(model.upstream, OpenAIUpstream) and model.upstream.api_key_env:
                if model.upstream.resolve_key() is None:
                    out[model.name] = f"environment variable {model.upstream.api_key_env} " \
                                      "is not set"
        return out

    async def run(self, *, task_status: TaskStatus[None] = anyio.TASK_STATUS_IGNORED) -> None:
        try:
            await super().run(task_status=task_status)
        finally:
            with anyio.CancelScope(shield=True), anyio.move_on_after(5):
                await self._close_upstreams()

    async def started(self) -> None:
        await self._close_upstreams()
        if self._needs_session:
            self.session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=0, ttl_dns_cache=300),
                auto_decompress=True,
            )
        self.upstreams = {name: build_upstream(model, self.session, self.clock, self.config)
                          for name, model in self.models.items()}

    async def _close_upstreams(self) -> None:
        for upstream in self.upstreams.values():
            await upstream.aclose()
        self.upstreams = {}
        if self.session is not None:
            await self.session.close()
            self.session = None

    async def handle(self, message: Dispatch) -> None:
        await self.spawn(self._serve_then_publish, message)

    async def _serve_then_publish(self, dispatch: Dispatch) -> None:
        try:
            outcome = await self._serve(dispatch)
        except BaseException:
            dispatch.job.flow.settle()
            raise
        # Free the slot first: publishing may wait on stages upstream of this one.
        self.release_slot()
        await self.outcomes.to_all(outcome)

    async def _serve(self, dispatch: Dispatch) -> Completed:
        job = dispatch.job
        flow = job.flow
        clock = self.clock
        request = job.request
        attempts: list[Attempt] = []
        parts: list[str] = []
        emitted = False
        answered: str | None = None
        usage = Usage()
        finish: str | None = None
        error: ErrorInfo | None = None
        ttft: float | None = None
        status: Any = "failed"
        deadline = job.deadline if job.deadline is not None else \
            job.received_at + self.config.total_timeout_s

        with anyio.CancelScope() as scope:
            flow.attach(scope)
            try:
                for index, name in enumerate(dispatch.chain):
                    model = self.models[name]
                    upstream = self.upstreams[name]
                    started_at = clock.now()
                    first_at: float | None = None
                    tokens = 0

                    async def on_token(token: Token, name: str = name,
                                       index: int = index) -> None:
                        nonlocal emitted, first_at, tokens, answered
                        if first_at is None:
                            first_at = clock.now()
                        if not emitted:
                            emitted = True
                            answered = name
                            reason = dispatch.decision.reason if index == 0 else \
                                f"fallback after {dispatch.chain[index - 1]} failed"
                            await flow.emit(Started(model=name, reason=reason, attempt=index + 1))
                        tokens += 1
                        if token.text:
                            parts.append(token.text)
                        await flow.emit(token)

                    result: Reply | Fault
                    with anyio.move_on_after(max(0.0, deadline - clock.now())) as timer:
                        result = await upstream.call(request, stream=request.stream,
                                                     on_token=on_token)
                    if timer.cancelled_caught:
                        result = Fault(kind="timeout", message="the request's deadline passed")
                    elapsed = clock.now() - started_at
                    first = None if first_at is None else first_at - started_at
                    probe = name in dispatch.probes
                    if isinstance(result, Reply):
                        if not emitted:
                            emitted = True
                            await flow.emit(Started(model=name, reason=dispatch.decision.reason,
                                                    attempt=index + 1))
                        usage = result.usage or Usage(
                            prompt_tokens=dispatch.features.prompt_tokens,
                            completion_tokens=max(1, sum(len(p) for p in parts) // 4))
                        attempts.append(Attempt(model=name, status="ok", ttft_s=first,
                                                duration_s=elapsed, tokens_out=tokens,
                                                probe=probe))
                        answered, finish, ttft = name, result.finish_reason, first
                        status = "ok"
                        await flow.emit(Done(finish_reason=finish, usage=usage,
                                             cost_usd=cost_of(model, usage)))
                        break
                    attempts.append(Attempt(model=name, status="failed", error=result.kind,
                                            retry_after_s=result.retry_after_s, ttft_s=first,
                                            duration_s=elapsed, tokens_out=tokens, probe=probe))
                    error = _fault_error(result, name)
                    if emitted:
                        # Tokens already reached the caller: say so, do not pretend.
                        answered = name
                        error = ErrorInfo(status=502, type="upstream_error",
                                          code="stream_interrupted",
                                          message=f"{name} failed after the answer started: "
                                          f"{result.message}")
                        await flow.emit(Failed(error=error))
                        break
                else:
                    if error is None:
                        error = ErrorInfo(status=503, type="service_unavailable",
                                          code="no_upstream", message="no model was available")
                    elif len(dispatch.chain) > 1:
                        tried = ", ".join(a.model for a in attempts)
                        error = ErrorInfo(status=error.status, type=error.type, code=error.code,
                                          message=f"every model failed ({tried}); last: "
                                          f"{error.message}", retry_after_s=error.retry_after_s)
                    await flow.emit(Failed(error=error))
            except FlowClosed:
                status = "cancelled"
            finally:
                flow.detach()
        if scope.cancelled_caught:
            status = "cancelled"
        seen = {a.model for a in attempts}
        if status == "cancelled" and dispatch.chain:
            current = next((m for m in dispatch.chain if m not in seen), None)
            if current is not None and len(attempts) < len(dispatch.chain):
                attempts.append(Attempt(model=current, status="cancelled",
                                        probe=current in dispatch.probes))
                seen.add(current)
        for name in dispatch.probes:
            if name not in seen:
                attempts.append(Attempt(model=name, status="skipped", probe=True))
        model_cfg = self.models.get(answered) if answered else None
        return Completed(
            job=job, status=status, model=answered, attempts=attempts, usage=usage,
            cost_usd=cost_of(model_cfg, usage) if model_cfg else 0.0,
            latency_s=clock.now() - job.received_at, ttft_s=ttft, text="".join(parts),
            finish_reason=finish, features=dispatch.features, decision=dispatch.decision,
            error=error if status != "ok" else None,
        )
