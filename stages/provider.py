"""Provider: calls the chosen models and streams the answer into the job's flow.

Inbox: `Dispatch`. Emits: events into the job's flow, then `Completed` to every learner
and book-keeper. Backpressure: each job runs in a task of this actor, at most
`max_concurrency` at once; when all are busy the actor stops reading its mailbox. A
task gives its slot back before it publishes the outcome, so a slow learner upstream
can never wait on this actor while this actor waits on it.

The chain is tried in order. A model that fails before anything reached the caller is
retried (exponential backoff with full jitter, Retry-After honoured, within a retry
budget) and then left for the next model: the caller sees none of it. Non-streaming
answers are held back until they are complete and valid, so they always fail over
unseen. Once tokens of a stream have reached the caller the answer cannot be taken
back: the stream either continues on the next model (`continue_after_failure`) or ends
with an explicit error event and a non-`stop` finish. Never a clean end after a broken
upstream. A continued stream announces its next model with another `Started`, and its
outcome charges each model its own part (`Part`).

The books are charged what the upstreams billed, not only what was answered: a stream
that broke, or that its caller left, is charged its prompt and the words it produced,
and so is every try whose words were thrown away (retried, failed over) once its
upstream had produced any or said what it used; without the upstream's usage, the
tokens are estimated from what it wrote, text and tool calls (`estimated`). A try that
failed before it produced anything (an error status, a refused connection, no first
token in time, a hedge that lost before its first token) is charged nothing: providers
do not bill error statuses, and there is nothing to count one cut off before its
output by.

Timeouts per attempt (kept by `stages.attempt`, which says how): connect (in the
adapter), first token, stall between tokens, the attempt as a whole; and one deadline per
request over every retry and fallback. Time spent waiting on a slow reader is not held
against the upstream. For a caller that does not stream, the upstream is asked for a
whole answer (`json_upstream`, the default: reading a stream costs a wake-up and a read
per token), which only the attempt's and the request's limits bound; the first-token and
stall timeouts hold for every streamed call, and calls are streamed all the same for
the `stream_sample` share, for a half-open breaker's probe, with hedging, and for
`stream_after_fault_s` after a model's try hung or broke off.

Hedging (`hedge = true`): when the first model's first token is later than its observed
p95, the next model is started too; the first to produce a token answers, the other is
cancelled (its connection closed).
"""

from __future__ import annotations

import asyncio
import random
from collections import deque
from collections.abc import Callable, Coroutine
from typing import Any, Literal

import aiohttp
import anyio
import msgspec
from anyio.abc import TaskStatus

from reactor import (
    Actor,
    Attempt,
    ChatMessage,
    ChatRequest,
    Clock,
    Completed,
    Dispatch,
    Done,
    ErrorInfo,
    Failed,
    FlowClosed,
    ModelConfig,
    Outcomes,
    Part,
    ProviderConfig,
    SimulatedUpstream,
    Usage,
    stage_times,
    stamp,
)
from stages.attempt import Alarm, Call, cost_of, estimate, run_attempt, written
from stages.retry import RetryBudget, backoff, should_retry
from stages.upstreams import Fault, Reply, Upstream
from stages.upstreams.factory import build_upstream, needs_session
from stages.upstreams.wire import missing_key

CONTINUE_PROMPT = ("Continue your previous answer exactly where it stopped. Do not repeat "
                   "any of it and do not comment on the interruption.")
# Faults after which a model's calls are streamed for a while (`stream_after_fault_s`):
# it hung or broke off, which only a stream's timeouts catch early.
_HANGS = frozenset({"timeout", "truncated"})


class Provider(Actor[Dispatch]):
    name = "provider"

    def __init__(self, models: list[ModelConfig], config: ProviderConfig, outcomes: Outcomes,
                 clock: Clock, *, seed: int | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("max_tasks", config.max_concurrency)
        super().__init__(**kwargs)
        self.models = {model.name: model for model in models}
        self.config = config
        self.outcomes = outcomes
        self.clock = clock
        self.session: aiohttp.ClientSession | None = None
        self.upstreams: dict[str, Upstream] = {}
        self.budgets = {model.name: RetryBudget(config.retry, clock) for model in models}
        self.rng = random.Random(seed)
        self.retries_total = 0
        self.hedges_total = 0
        self.ttft_samples = {model.name: deque[float](maxlen=256) for model in models}
        # With `json_upstream`, each model's credit towards its next streamed call
        # (`stream_sample`): the first streams, then one call in 1/share.
        self.stream_credit = {model.name: 1.0 for model in models}
        # Models streamed whatever the caller, until this time (`stream_after_fault_s`).
        self.streamed_until: dict[str, float] = {}
        self._needs_session = any(needs_session(m) for m in models)
        self._new_scope: Callable[[], anyio.CancelScope] = anyio.CancelScope
        self._alarm: Alarm | None = None  # every try's timeouts, on one timer

    def share(self, old: Provider) -> None:
        """Carry on from `old`, a provider to be replaced (a reload): a model that hung or
        broke off a moment ago is as likely to again, so the `stream_after_fault_s`
        windows go on (shared while `old` drains, as the breakers are)."""
        self.streamed_until = old.streamed_until

    def unavailable(self) -> dict[str, str]:
        """Models that cannot be called, with the reason (checked without network)."""
        out: dict[str, str] = {}
        for model in self.models.values():
            upstream = model.upstream
            if isinstance(upstream, SimulatedUpstream) or not upstream.api_key_env:
                continue
            if upstream.resolve_key() is None:
                out[model.name] = missing_key(upstream.api_key_env)
        return out

    async def run(self, *, task_status: TaskStatus[None] = anyio.TASK_STATUS_IGNORED) -> None:
        try:
            await super().run(task_status=task_status)
        finally:
            if self._alarm is not None:
                self._alarm.close()
            with anyio.CancelScope(shield=True), anyio.move_on_after(5):
                await self._close_upstreams()

    async def started(self) -> None:
        # The running backend's own cancel scope class: `anyio.CancelScope()` looks the
        # backend up on each call, which costs more than the scope.
        self._new_scope = type(anyio.CancelScope())
        if self._alarm is not None:
            self._alarm.close()
        self._alarm = Alarm(asyncio.get_running_loop())
        await self._close_upstreams()
        if self._needs_session:
            self.session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=0, ttl_dns_cache=300))
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

    def handle_nowait(self, message: Dispatch) -> bool:
        return self.spawn_nowait(self._serve_then_publish, message)

    async def _serve_then_publish(self, dispatch: Dispatch) -> None:
        try:
            outcome = await self._serve(dispatch)
        except BaseException:
            dispatch.job.flow.settle()
            raise
        # Free the slot first: publishing may wait on stages upstream of this one.
        self.release_slot()
        rest = self.outcomes.to_all_nowait(outcome)
        if rest is not None:
            await rest

    def _deadline(self, dispatch: Dispatch) -> float:
        job = dispatch.job
        if job.deadline is not None:
            return job.deadline
        return job.received_at + self.config.total_timeout_s

    async def _serve(self, dispatch: Dispatch) -> Completed:
        if dispatch.job.trace is not None:
            stamp(dispatch.job, "provider", self.clock.now())
        call = Call(dispatch, self.clock)
        status: Literal["ok", "failed", "cancelled"] = "failed"
        error: ErrorInfo | None = None
        usage = Usage()
        finish: str | None = None
        deadline = self._deadline(dispatch)
        request = dispatch.job.request
        chain = dispatch.chain

        # Each try, and each wait between tries, runs in a scope the flow cancels if the
        # caller leaves; that ends it with FlowClosed. (One scope per request around
        # them all would cost another scope on every request.)
        try:
            last: Fault | None = None
            skip = -1
            for index, name in enumerate(chain):
                if index <= skip:
                    continue
                tries = 0
                self.budgets[name].record_request()
                while True:
                    tries += 1
                    streamed = call.streamed
                    if index == 0 and tries == 1 and self.config.hedge and \
                            self._hedge_delay(call) is not None:
                        index, result = await self._race(call, request, deadline)
                        name = chain[index]
                        skip = index
                    else:
                        result = await self._attempt(call, name, index, request,
                                                     deadline, retry=tries - 1)
                    if isinstance(result, Reply):
                        status, finish = "ok", result.finish_reason
                        # The model announced, then a held answer in one piece, each emit
                        # awaited only if the reader is behind (a coroutine less each).
                        flow = call.flow
                        started = call.announce(name, self._reason(call, index), index + 1)
                        if started is not None and not flow.emit_nowait(started):
                            await flow.emit(started)
                        held = call.take_held()  # then the share holds a held answer
                        if held is not None and not flow.emit_nowait(held):
                            await flow.emit(held)
                        estimated = result.usage is None
                        usage = result.usage or estimate(call.prompt_tokens, call.share)
                        cost = cost_of(self.models[name], usage)
                        if call.parts:
                            call.parts.append(Part(model=name, usage=usage, cost_usd=cost,
                                                   estimated=estimated))
                            usage, cost, estimated = _sums(call.parts)
                        call.estimated = estimated
                        job = dispatch.job
                        done = Done(finish_reason=finish, usage=usage, cost_usd=cost,
                                    parts=call.parts, stages=stage_times(
                                        job, self.clock.now()) if job.trace else [])
                        if not flow.emit_nowait(done):
                            await flow.emit(done)
                        return self._outcome(call, status, usage, finish, None, cost)
                    last = result
                    if result.kind in _HANGS and self.config.stream_after_fault_s and \
                            call.attempts[-1].error != "deadline":
                        self.streamed_until[name] = \
                            self.clock.now() + self.config.stream_after_fault_s
                    if call.streamed > streamed:
                        break  # its words reached the caller: this try cannot be redone
                    if name in dispatch.probes:
                        break  # a half-open model gets one call, not one per retry
                    if not should_retry(result, tries, self.config.retry):
                        break
                    wait = backoff(tries, self.config.retry, self.rng, result.retry_after_s)
                    if self.clock.now() + wait >= deadline:
                        break
                    if not self.budgets[name].try_retry():
                        break
                    self.retries_total += 1
                    await self._backoff(call, wait)
                if call.emitted:
                    assert last is not None
                    if call.live and call.answered is not None:
                        # The share of the model that broke mid-answer: billed, though
                        # mostly estimated (a broken upstream rarely reports usage).
                        call.hand_over(call.charge(self.models[call.answered], last.usage,
                                                   call.share))
                    if self.config.continue_after_failure and index + 1 < len(chain):
                        request = self._continuation(dispatch.job.request, call.text)
                        call.prompt_tokens = dispatch.features.prompt_tokens + \
                            (len(call.text) + len(CONTINUE_PROMPT)) // 4
                        continue
                    error = ErrorInfo(
                        status=502, type="upstream_error", code="stream_interrupted",
                        message=f"{name} failed after the answer started ({last.kind}): "
                        f"{last.message}")
                    await call.flow.emit(Failed(error=error))
                    return self._outcome(call, "failed", usage, None, error)
                if self.clock.now() >= deadline:
                    break
            error = self._exhausted(call, last)
            await call.flow.emit(Failed(error=error))
        except FlowClosed:
            status = "cancelled"
            self._charge_cut_short(call)
        finally:
            call.flow.detach()
        return self._outcome(call, status, usage, finish, error)

    def _charge_cut_short(self, call: Call) -> None:
        """The caller left: what the try under way had produced was billed all the same,
        and its model was answering (as a stream's is, once announced)."""
        if call.buffered:
            if call.held and call.producer is not None:
                call.answered = call.producer
                call.discarded.append(call.charge(self.models[call.producer], None,
                                                  written(call.held)))
        elif call.live and call.answered is not None:
            call.hand_over(call.charge(self.models[call.answered], None, call.share))

    async def _backoff(self, call: Call, wait: float) -> None:
        """Wait between tries of one model; a caller who leaves meanwhile ends it."""
        flow = call.flow
        with anyio.CancelScope() as scope:
            flow.attach(scope)
            try:
                await self.clock.sleep(wait)
            finally:
                flow.unattach(scope)
        if scope.cancelled_caught:
            raise FlowClosed(flow.request_id)

    def _hedge_delay(self, call: Call) -> float | None:
        """Seconds to wait for the first model's first token before starting the next."""
        chain = call.dispatch.chain
        if not self.config.hedge or len(chain) < 2 or chain[1] in call.dispatch.probes:
            return None
        samples = self.ttft_samples[chain[0]]
        if len(samples) < self.config.hedge_min_samples:
            return None
        ordered = sorted(samples)
        return ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]

    async def _race(self, call: Call, request: ChatRequest,
                    deadline: float) -> tuple[int, Reply | Fault]:
        """The first model, hedged by the second once it is later than its p95."""
        delay = self._hedge_delay(call)
        assert delay is not None
        chain = call.dispatch.chain
        results: dict[int, Reply | Fault] = {}
        scopes: dict[int, anyio.CancelScope] = {}
        settled = anyio.Event()

        def claim(index: int) -> bool:
            if call.winner is None:
                call.winner = index
                for other, scope in scopes.items():
                    if other != index:
                        scope.cancel()
                settled.set()
            return call.winner == index

        async def run(index: int) -> None:
            with anyio.CancelScope() as scope:
                scopes[index] = scope
                results[index] = await self._attempt(call, chain[index], index, request,
                                                     deadline, retry=0, claim=claim)
            if scope.cancelled_caught:
                # A probe that lost told nothing: its breaker's slot is freed at once.
                call.attempts.append(Attempt(model=chain[index], status="cancelled",
                                             error="hedge_lost",
                                             probe=chain[index] in call.dispatch.probes))
            if len(results) == len(scopes):
                settled.set()

        flow = call.flow
        tg = anyio.create_task_group()
        try:
            async with tg:
                flow.attach(tg.cancel_scope)
                tg.start_soon(run, 0)
                with anyio.move_on_after(delay):
                    await settled.wait()
                # A hedge is an extra call, like a retry: it spends the first model's
                # retry budget, so a hang does not double every request's load.
                if call.winner is None and 0 not in results and \
                        self.budgets[chain[0]].try_retry():
                    self.hedges_total += 1
                    tg.start_soon(run, 1)
        except BaseExceptionGroup as group:
            gone = group.subgroup(FlowClosed)
            if gone is not None and len(gone.exceptions) == len(group.exceptions):
                raise gone.exceptions[0] from None
            raise
        finally:
            flow.unattach(tg.cancel_scope)
        if tg.cancel_scope.cancelled_caught:
            raise FlowClosed(flow.request_id)
        if call.winner is not None:
            return call.winner, results[call.winner]
        return 0, results[0]

    def _attempt(self, call: Call, name: str, index: int, request: ChatRequest,
                 deadline: float, retry: int, claim: Callable[[int], bool] | None = None
                 ) -> Coroutine[Any, Any, Reply | Fault]:
        """`run_attempt` for `name`, to await: handed back rather than awaited here, so
        a try costs no coroutine of its own around it."""
        assert self._alarm is not None, "the provider has not started"
        return run_attempt(call, self.models[name], self.upstreams[name], self.config,
                           request, index=index, reason=self._reason(call, index),
                           deadline=deadline, retry=retry, samples=self.ttft_samples[name],
                           claim=claim, alarm=self._alarm, new_scope=self._new_scope,
                           whole=call.buffered and self._whole(call, name))

    def _whole(self, call: Call, name: str) -> bool:
        """Ask `name` for a whole answer (a caller that does not stream is calling)?
        Not without `json_upstream`; not with hedging, which races first tokens; not for
        a half-open breaker's probe, nor for a model that recently hung or broke off,
        whose next hang the first-token and stall timeouts should catch; otherwise yes,
        but for the `stream_sample` share."""
        config = self.config
        if not config.json_upstream or config.hedge or name in call.dispatch.probes:
            return False
        until = self.streamed_until.get(name)
        if until is not None:
            if self.clock.now() < until:
                return False
            del self.streamed_until[name]
        share = config.stream_sample
        if not share:
            return True
        credit = self.stream_credit[name]
        if credit >= 1.0:
            self.stream_credit[name] = credit - 1.0 + share
            return False
        self.stream_credit[name] = credit + share
        return True

    def _reason(self, call: Call, index: int) -> str:
        if index == 0:
            return call.dispatch.decision.reason
        if call.parts:
            return f"continued: {call.parts[-1].model} failed mid-answer"
        failed = call.dispatch.chain[index - 1]
        return f"fallback: {failed} failed"

    def _continuation(self, original: ChatRequest, partial: str) -> ChatRequest:
        messages = [*original.messages, ChatMessage(role="assistant", content=partial),
                    ChatMessage(role="user", content=CONTINUE_PROMPT)]
        return msgspec.structs.replace(original, messages=messages)

    def _exhausted(self, call: Call, last: Fault | None) -> ErrorInfo:
        if last is None:
            return ErrorInfo(status=503, type="service_unavailable", code="no_upstream",
                             message="no model was available before the deadline")
        tried = ", ".join(f"{a.model} ({a.error})" for a in call.attempts if a.error)
        message = f"every attempt failed: {tried}; last: {last.message}"
        if all(a.error == "client_error" for a in call.attempts if a.error):
            # Every upstream refused the request itself: the caller's to fix, not ours.
            return ErrorInfo(status=400, type="invalid_request_error", code="upstream_refused",
                             message=message)
        status = 504 if last.kind == "timeout" else 429 if last.kind == "rate_limited" \
            else 502
        return ErrorInfo(status=status, type="upstream_error", code=last.kind,
                         message=message, retry_after_s=last.retry_after_s)

    def _outcome(self, call: Call, status: Literal["ok", "failed", "cancelled"], usage: Usage,
                 finish: str | None, error: ErrorInfo | None, cost_usd: float = 0.0
                 ) -> Completed:
        dispatch = call.dispatch
        attempts = call.attempts
        if status == "cancelled" or dispatch.probes:
            seen = {a.model for a in attempts}
            if status == "cancelled":
                current = next((m for m in dispatch.chain if m not in seen), None)
                if current is not None and not call.emitted:
                    attempts.append(Attempt(model=current, status="cancelled",
                                            probe=current in dispatch.probes))
                    seen.add(current)
            for name in dispatch.probes:
                if name not in seen:
                    attempts.append(Attempt(model=name, status="skipped", probe=True))
        job = dispatch.job
        ok = status == "ok"
        parts = call.parts
        if not ok:
            # A broken or abandoned answer: each model that wrote some of it is charged
            # its share (`hand_over`), even when that is a single model.
            usage, cost_usd, call.estimated = _sums(parts)
            if len(parts) < 2:
                parts = []
        return Completed(
            job=job, status=status, model=call.answered, attempts=attempts, usage=usage,
            cost_usd=cost_usd, latency_s=self.clock.now() - job.received_at, ttft_s=call.ttft,
            text=call.text, finish_reason=finish, features=dispatch.features,
            decision=dispatch.decision, error=None if ok else error, parts=parts,
            estimated=call.estimated, discarded=call.discarded,
        )


def _sums(parts: list[Part]) -> tuple[Usage, float, bool]:
    """The usage and cost of an answer that several models wrote, and whether any share
    of them was estimated."""
    usage = Usage(prompt_tokens=sum(p.usage.prompt_tokens for p in parts),
                  completion_tokens=sum(p.usage.completion_tokens for p in parts))
    return usage, sum((p.cost_usd for p in parts), 0.0), any(p.estimated for p in parts)


