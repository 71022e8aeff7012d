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
tokens are estimated from the text (`estimated`). A try that failed before it produced
anything (an error status, a refused connection, no first token in time, a hedge that
lost before its first token) is charged nothing: providers do not bill error statuses,
and there is nothing to count one cut off before its output by.

Timeouts per attempt: connect (in the adapter), first token, stall between tokens, the
attempt as a whole; and one deadline per request over every retry and fallback. Time
spent waiting on a slow reader is not held against the upstream. Upstreams are asked to
stream even for non-streaming callers, so that the first-token and stall timeouts hold
for everyone; `json_upstream = true` asks for whole answers instead (cheaper, but then
only the attempt's and the request's limits bound those calls).

Hedging (`hedge = true`): when the first model's first token is later than its observed
p95, the next model is started too; the first to produce a token answers, the other is
cancelled (its connection closed).
"""

from __future__ import annotations

import asyncio
import math
import random
from collections import deque
from collections.abc import Callable
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
    Started,
    Token,
    Usage,
)
from stages.retry import RetryBudget, backoff, should_retry
from stages.upstreams import Fault, Reply, TokenSink, Upstream
from stages.upstreams.factory import build_upstream, needs_session
from stages.upstreams.wire import missing_key

CONTINUE_PROMPT = ("Continue your previous answer exactly where it stopped. Do not repeat "
                   "any of it and do not comment on the interruption.")


def cost_of(model: ModelConfig, usage: Usage) -> float:
    return (usage.prompt_tokens * model.price_in + usage.completion_tokens * model.price_out) / 1e6


def estimate(prompt_tokens: int, text: str) -> Usage:
    """What a call that reported no usage used: its prompt and ~4 characters a token of its
    answer (at least one: it answered something)."""
    return Usage(prompt_tokens=prompt_tokens, completion_tokens=max(1, len(text) // 4))


def wants_json(request: ChatRequest) -> bool:
    fmt = request.response_format
    return fmt is not None and fmt.type in ("json_object", "json_schema")


class _Call:
    """One request on its way along the chain: what the caller has seen so far."""

    def __init__(self, dispatch: Dispatch, clock: Clock) -> None:
        self.dispatch = dispatch
        self.job = dispatch.job
        self.flow = dispatch.job.flow
        self.clock = clock
        self.buffered = not dispatch.job.request.stream
        self.emitted = False
        self.live = False  # the model now writing was announced (`Started`)
        self.parts: list[Part] = []  # the shares of the models that wrote before it
        self.part_from = 0  # where in `sent` its own share begins
        self.streamed = 0
        self.winner: int | None = None
        self.answered: str | None = None
        self.sent: list[str] = []
        self.held: list[Token] = []
        self.attempts: list[Attempt] = []
        self.ttft: float | None = None
        self.prompt_tokens = dispatch.features.prompt_tokens  # of the request now sent
        self.producer: str | None = None  # the model whose try produced the held tokens
        self.estimated = False
        self.discarded: list[Part] = []  # billed tries the caller never saw

    async def start(self, model: str, reason: str, attempt: int) -> None:
        if not self.live:
            self.live = self.emitted = True
            self.answered = model
            await self.flow.emit(Started(model=model, reason=reason, attempt=attempt,
                                         decision=self.dispatch.decision))

    def deliver_nowait(self, token: Token) -> bool:
        """Deliver without waiting if that is possible (the common case)."""
        if self.buffered:
            self.held.append(token)
            return True
        if not self.live or not self.flow.try_emit(token):
            return False
        self.streamed += 1
        if token.text:
            self.sent.append(token.text)
        return True

    async def deliver(self, token: Token, model: str, reason: str, attempt: int) -> None:
        if self.buffered:
            self.held.append(token)
            return
        await self.start(model, reason, attempt)
        self.streamed += 1
        if token.text:
            self.sent.append(token.text)
        await self.flow.emit(token)

    async def release_held(self) -> None:
        """Hand a held (non-streaming) answer over in one piece."""
        if not self.held:
            return
        text = "".join(token.text for token in self.held)
        calls = [call for token in self.held for call in token.tool_calls or ()]
        self.held = []
        self.sent.append(text)
        await self.flow.emit(Token(text=text, tool_calls=calls or None))

    @property
    def text(self) -> str:
        return "".join(self.sent)

    @property
    def share(self) -> str:
        """The text of the model now writing (all of it unless a stream continued)."""
        return "".join(self.sent[self.part_from:])

    def charge(self, model: ModelConfig, reported: Usage | None, text: str) -> Part:
        """One try's bill: what its upstream reported, or an estimate from its text."""
        usage = reported or estimate(self.prompt_tokens, text)
        return Part(model=model.name, usage=usage, cost_usd=cost_of(model, usage),
                    estimated=reported is None)

    def hand_over(self, part: Part) -> None:
        """The model now writing failed mid-answer: its share is done, and the next
        model's first token announces that model."""
        self.parts.append(part)
        self.part_from = len(self.sent)
        self.live = False


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
        self._needs_session = any(needs_session(m) for m in models)

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
            with anyio.CancelScope(shield=True), anyio.move_on_after(5):
                await self._close_upstreams()

    async def started(self) -> None:
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

    async def _serve_then_publish(self, dispatch: Dispatch) -> None:
        try:
            outcome = await self._serve(dispatch)
        except BaseException:
            dispatch.job.flow.settle()
            raise
        # Free the slot first: publishing may wait on stages upstream of this one.
        self.release_slot()
        await self.outcomes.to_all(outcome)

    def _deadline(self, dispatch: Dispatch) -> float:
        job = dispatch.job
        if job.deadline is not None:
            return job.deadline
        return job.received_at + self.config.total_timeout_s

    async def _serve(self, dispatch: Dispatch) -> Completed:
        call = _Call(dispatch, self.clock)
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
                    if index == 0 and tries == 1 and self._hedge_delay(call) is not None:
                        index, result = await self._race(call, request, deadline)
                        name = chain[index]
                        skip = index
                    else:
                        result = await self._attempt(call, name, index, request,
                                                     deadline, retry=tries - 1)
                    if isinstance(result, Reply):
                        status, finish = "ok", result.finish_reason
                        await call.start(name, self._reason(call, index), index + 1)
                        await call.release_held()  # then the share holds a held answer
                        estimated = result.usage is None
                        usage = result.usage or estimate(call.prompt_tokens, call.share)
                        cost = cost_of(self.models[name], usage)
                        if call.parts:
                            call.parts.append(Part(model=name, usage=usage, cost_usd=cost,
                                                   estimated=estimated))
                            usage, cost = _sums(call.parts)
                            estimated = any(part.estimated for part in call.parts)
                        call.estimated = estimated
                        await call.flow.emit(Done(finish_reason=finish, usage=usage,
                                                  cost_usd=cost, parts=call.parts))
                        return self._outcome(call, status, usage, finish, None, cost)
                    last = result
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

    def _charge_cut_short(self, call: _Call) -> None:
        """The caller left: what the try under way had produced was billed all the same."""
        if call.buffered:
            if call.held and call.producer is not None:
                text = "".join(token.text for token in call.held)
                call.discarded.append(call.charge(self.models[call.producer], None, text))
        elif call.live and call.answered is not None:
            call.hand_over(call.charge(self.models[call.answered], None, call.share))

    async def _backoff(self, call: _Call, wait: float) -> None:
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

    def _hedge_delay(self, call: _Call) -> float | None:
        """Seconds to wait for the first model's first token before starting the next."""
        chain = call.dispatch.chain
        if not self.config.hedge or len(chain) < 2 or chain[1] in call.dispatch.probes:
            return None
        samples = self.ttft_samples[chain[0]]
        if len(samples) < self.config.hedge_min_samples:
            return None
        ordered = sorted(samples)
        return ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]

    async def _race(self, call: _Call, request: ChatRequest,
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
                call.attempts.append(Attempt(model=chain[index], status="cancelled",
                                             error="hedge_lost"))
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
                if call.winner is None and 0 not in results:
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

    async def _attempt(self, call: _Call, name: str, index: int, request: ChatRequest,
                       deadline: float, retry: int,
                       claim: Callable[[int], bool] | None = None) -> Reply | Fault:
        model = self.models[name]
        upstream = self.upstreams[name]
        config = self.config
        clock = self.clock
        ttft_s = model.ttft_timeout_s or config.ttft_timeout_s
        stall_s = model.stall_timeout_s or config.stall_timeout_s
        # Streamed from the upstream by default, so the first-token and stall timeouts mean
        # the same for every caller (non-streaming answers are held until done); with
        # `json_upstream` a non-streaming caller's answer comes whole, untimed until then.
        stream = not (call.buffered and config.json_upstream)
        if not stream:
            ttft_s = stall_s = math.inf
        # Deadlines are in the event loop's time, as anyio's cancel scopes keep them.
        loop_time = asyncio.get_running_loop().time
        now_loop = loop_time()
        request_end = now_loop + max(0.0, deadline - clock.now())
        attempt_end = min(request_end, now_loop + (model.attempt_timeout_s or
                                                   config.attempt_timeout_s))
        started = clock.now()
        probe = name in call.dispatch.probes and retry == 0
        scope = anyio.CancelScope()
        watchdog = _Watchdog(asyncio.get_running_loop(), scope, now_loop, ttft_s, stall_s,
                             attempt_end, request_end)
        receiver = _Receiver(call, name, index, self._reason(call, index), clock, started,
                             self.ttft_samples[name] if stream else None, watchdog,
                             loop_time, claim)
        call.held = []

        flow = call.flow
        if claim is None:
            flow.attach(scope)  # in a race, the race's own scope is attached
        result: Reply | Fault
        try:
            with scope:
                result = await upstream.call(request, stream=stream, on_token=receiver)
        finally:
            watchdog.stop()
            if claim is None:
                flow.unattach(scope)
        if scope.cancelled_caught:
            if flow.abandoned:
                raise FlowClosed(flow.request_id)
        if scope.cancelled_caught and receiver.reply is not None:
            # Cut short while reading the body's tail: the answer was already whole.
            result = receiver.reply
        elif scope.cancelled_caught:
            now = loop_time()
            if now >= request_end:
                what = "the request's deadline passed"
            elif now >= watchdog.attempt_end:
                what = "the attempt took too long"
            elif receiver.first_at is None:
                what = f"no first token within {ttft_s:g}s"
            else:
                what = f"no token for {stall_s:g}s"
            result = Fault(kind="timeout", message=what)
        if isinstance(result, Reply) and wants_json(request):
            text = "".join(t.text for t in call.held) if call.buffered else call.text
            if not _is_json(text):
                result = Fault(kind="invalid_json", usage=result.usage,
                               message="JSON mode was asked for but the answer is not JSON")
        elapsed = clock.now() - started
        first_at, tokens = receiver.first_at, receiver.tokens
        ttft = None if first_at is None or not stream else first_at - started
        if isinstance(result, Fault) and (tokens or result.usage is not None):
            # The upstream billed this try. Words that reached the caller are the share of
            # the model now writing (charged where the stream ends or continues); held or
            # empty output is thrown away now, to be retried or failed over.
            if call.buffered:
                text = "".join(token.text for token in call.held)
                call.discarded.append(call.charge(model, result.usage, text))
                call.held = []
            elif not tokens:
                call.discarded.append(call.charge(model, result.usage, ""))
        if isinstance(result, Reply):
            call.ttft = ttft if call.ttft is None else call.ttft
            call.attempts.append(Attempt(model=name, status="ok", ttft_s=ttft,
                                         duration_s=elapsed, tokens_out=tokens, probe=probe))
        else:
            skipped = result.kind == "unavailable"
            call.attempts.append(Attempt(model=name, status="skipped" if skipped else "failed",
                                         error=result.kind, retry_after_s=result.retry_after_s,
                                         ttft_s=ttft, duration_s=elapsed, tokens_out=tokens,
                                         probe=probe))
        return result

    def _reason(self, call: _Call, index: int) -> str:
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

    def _exhausted(self, call: _Call, last: Fault | None) -> ErrorInfo:
        if last is None:
            return ErrorInfo(status=503, type="service_unavailable", code="no_upstream",
                             message="no model was available before the deadline")
        tried = ", ".join(f"{a.model} ({a.error})" for a in call.attempts if a.error)
        status = 504 if last.kind == "timeout" else 429 if last.kind == "rate_limited" \
            else 502
        return ErrorInfo(status=status, type="upstream_error", code=last.kind,
                         message=f"every attempt failed: {tried}; last: {last.message}",
                         retry_after_s=last.retry_after_s)

    def _outcome(self, call: _Call, status: Literal["ok", "failed", "cancelled"], usage: Usage,
                 finish: str | None, error: ErrorInfo | None, cost_usd: float = 0.0
                 ) -> Completed:
        dispatch = call.dispatch
        attempts = call.attempts
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
            usage, cost_usd = _sums(parts)
            call.estimated = any(part.estimated for part in parts)
            if len(parts) < 2:
                parts = []
        return Completed(
            job=job, status=status, model=call.answered, attempts=attempts, usage=usage,
            cost_usd=cost_usd, latency_s=self.clock.now() - job.received_at, ttft_s=call.ttft,
            text=call.text, finish_reason=finish, features=dispatch.features,
            decision=dispatch.decision, error=None if ok else error, parts=parts,
            estimated=call.estimated, discarded=call.discarded,
        )


class _Receiver(TokenSink):
    """One attempt's `on_token`: notes when pieces come and passes them on to the call."""

    __slots__ = ("call", "claim", "clock", "first_at", "index", "loop_time", "lost", "name",
                 "reason", "reply", "samples", "started", "tokens", "watchdog")

    def __init__(self, call: _Call, name: str, index: int, reason: str, clock: Clock,
                 started: float, samples: deque[float] | None, watchdog: _Watchdog,
                 loop_time: Callable[[], float], claim: Callable[[int], bool] | None) -> None:
        self.call = call
        self.name = name
        self.index = index
        self.reason = reason
        self.clock = clock
        self.started = started
        self.samples = samples
        self.watchdog = watchdog
        self.loop_time = loop_time
        self.claim = claim
        self.first_at: float | None = None
        self.tokens = 0
        self.lost = False
        self.reply: Reply | None = None

    def _first(self) -> bool:
        """Note the first piece; False if this attempt lost a hedged race."""
        self.first_at = first_at = self.clock.now()
        self.watchdog.first_token()
        if self.samples is not None:  # None: a whole answer, not a first token
            self.samples.append(first_at - self.started)
        if self.claim is not None and not self.claim(self.index):
            self.lost = True  # being cancelled
            return False
        self.call.producer = self.name
        return True

    async def __call__(self, token: Token) -> None:
        if self.lost or (self.first_at is None and not self._first()):
            return
        self.tokens += 1
        call = self.call
        if call.buffered:
            # A non-streaming answer is kept until it is whole (in `call.held`, which a
            # hedged attempt may have replaced since this one began).
            call.held.append(token)
        elif not call.deliver_nowait(token):
            await self._deliver(token)
        self.watchdog.last = self.loop_time()

    async def many(self, tokens: list[Token]) -> None:
        if not tokens or self.lost:
            return
        if self.first_at is None and not self._first():
            return
        call = self.call
        if call.buffered:
            self.tokens += len(tokens)
            call.held.extend(tokens)
        else:
            deliver_nowait = call.deliver_nowait
            for token in tokens:
                self.tokens += 1
                if not deliver_nowait(token):
                    await self._deliver(token)
        self.watchdog.last = self.loop_time()

    async def texts(self, texts: list[str]) -> None:
        if self.call.buffered and texts and not self.lost:
            # Held only to be joined into one piece (`_Call.release_held`): join them now.
            if self.first_at is None and not self._first():
                return
            self.tokens += len(texts)
            self.call.held.append(Token(text="".join(texts)))
            self.watchdog.last = self.loop_time()
        else:
            await self.many([Token(text=text) for text in texts])

    def completed(self, reply: Reply) -> None:
        if not self.lost:
            self.reply = reply
            self.watchdog.complete()

    async def _deliver(self, token: Token) -> None:
        # Waiting on a slow reader is not the upstream's fault: only the request's own
        # deadline runs while the token is being delivered.
        watchdog = self.watchdog
        watchdog.pause()
        try:
            await self.call.deliver(token, self.name, self.reason, self.index + 1)
        finally:
            watchdog.resume()


class _Watchdog:
    """One attempt's timeouts on one timer, re-armed lazily.

    Tokens only note when they came; when the timer fires it works out the deadline that
    applies now (the first token's; the last token's plus the stall timeout; while a slow
    reader is waited on, only the request's own) and either cancels the attempt or sets
    itself for that deadline. Moving an anyio deadline on every token re-arms a timer
    each time, which costs more than the token. The timer is brought forward only when
    the deadline can move earlier: at the first token (the stall timeout may be shorter
    than the first-token one) and when the reader catches up (the timer may have been
    put off to the request's deadline meanwhile).

    Time spent waiting on the reader is added to the attempt's own limit: it is not the
    upstream's. Once the answer is whole, only the request's deadline runs: the upstream's
    limits were about producing it.
    """

    __slots__ = ("attempt_end", "delivering", "finished", "first_token_end", "last", "loop",
                 "paused_at", "request_end", "scope", "seen", "stall_s", "timer")

    def __init__(self, loop: asyncio.AbstractEventLoop, scope: anyio.CancelScope, now: float,
                 ttft_s: float, stall_s: float, attempt_end: float, request_end: float) -> None:
        self.loop = loop
        self.scope = scope
        self.stall_s = stall_s
        self.attempt_end = attempt_end
        self.request_end = request_end
        self.first_token_end = min(attempt_end, now + ttft_s)
        self.seen = False
        self.delivering = False
        self.finished = False
        self.paused_at = now
        self.last = now
        self.timer: asyncio.TimerHandle | None = loop.call_at(self.first_token_end, self._fire)

    def due(self) -> float:
        if self.delivering or self.finished:
            return self.request_end
        if not self.seen:
            return self.first_token_end
        return min(self.attempt_end, self.last + self.stall_s)

    def first_token(self) -> None:
        self.last = self.loop.time()
        self.seen = True
        self._bring_forward()

    def complete(self) -> None:
        """The answer is whole: the upstream's own limits no longer apply."""
        self.finished = True

    def pause(self) -> None:
        """The attempt waits on the reader: only the request's deadline runs."""
        self.delivering = True
        self.paused_at = self.loop.time()

    def resume(self) -> None:
        """The reader took the token: the upstream's clocks run again from now."""
        now = self.loop.time()
        self.delivering = False
        self.attempt_end = min(self.request_end, self.attempt_end + (now - self.paused_at))
        self.last = now
        self._bring_forward()

    def _bring_forward(self) -> None:
        timer = self.timer
        if timer is not None and self.due() < timer.when():
            timer.cancel()
            self.timer = self.loop.call_at(self.due(), self._fire)

    def _fire(self) -> None:
        deadline = self.due()
        if self.loop.time() >= deadline:
            self.timer = None
            self.scope.cancel()
        else:
            self.timer = self.loop.call_at(deadline, self._fire)

    def stop(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None


def _sums(parts: list[Part]) -> tuple[Usage, float]:
    """The usage and cost of an answer that several models wrote."""
    usage = Usage(prompt_tokens=sum(p.usage.prompt_tokens for p in parts),
                  completion_tokens=sum(p.usage.completion_tokens for p in parts))
    return usage, sum((p.cost_usd for p in parts), 0.0)


def _is_json(text: str) -> bool:
    try:
        msgspec.json.decode(text)
    except msgspec.DecodeError:
        return False
    return True


