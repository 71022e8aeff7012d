"""One try of one model for one request (`run_attempt`), and what it runs on.

`Call` is a request on its way along the provider's chain: what the caller has seen so
far (the model announced with `Started`, the words sent, a non-streaming answer held until
it is whole) and what each model is billed (`charge`, `hand_over`). `Receiver` is one
try's `TokenSink`: it notes when pieces come, settles a hedged race at the first one
(`claim`) and hands them to the call. `Watchdog` keeps one try's timeouts; `Alarm`, the
provider's one loop timer for every try's watchdog, fires them.
The provider (`stages.provider`) decides which model to try, when to retry and when to
give up; nothing here is an actor: it runs in the provider's per-request task and waits
on the job's flow like the provider does (internal edge: it waits).

Timer rules, per try: the first token must come within the first-token timeout, each
later one within the stall timeout of the one before, and the whole try within the
attempt timeout (a model's own settings override the provider's); the request's
deadline, over every retry and fallback, bounds them all. Time spent waiting on a slow
reader is not the upstream's: while a token is being delivered only the request's
deadline runs, and the wait is added to the try's limit. Once the answer is whole
(`TokenSink.completed`) only the request's deadline runs: the upstream's limits were about
producing it, and a tail cut short keeps the answer. A whole answer (`whole`: the
provider asks for one for a caller that does not stream, unless it chose to stream this
call) has no first token to time: only the attempt's and the request's limits bound it.
"""
from __future__ import annotations

import asyncio
import heapq
import itertools
import math
from collections import deque
from collections.abc import Callable

import anyio
import msgspec

from reactor import (
    Attempt,
    ChatRequest,
    Clock,
    Dispatch,
    FlowClosed,
    ModelConfig,
    Part,
    ProviderConfig,
    Started,
    Token,
    ToolCallDelta,
    Usage,
)
from stages.upstreams import Fault, Reply, TokenSink, Upstream


def cost_of(model: ModelConfig, usage: Usage) -> float:
    return (usage.prompt_tokens * model.price_in + usage.completion_tokens * model.price_out) / 1e6


def estimate(prompt_tokens: int, written: int) -> Usage:
    """What a call that reported no usage used: its prompt and ~4 characters a token of the
    `written` characters of its answer (at least one: it answered something)."""
    return Usage(prompt_tokens=prompt_tokens, completion_tokens=max(1, written // 4))


def calls_written(calls: list[ToolCallDelta]) -> int:
    """Characters of tool calls an upstream wrote: their names and arguments, billed as
    output like text (the ids are the upstream's own labels)."""
    return sum(len(call.name or "") + len(call.arguments) for call in calls)


def written(tokens: list[Token]) -> int:
    """Characters an upstream wrote in `tokens`: their text and their tool calls."""
    total = 0
    for token in tokens:  # a plain loop: called per answer, over every token it held
        total += len(token.text)
        if token.tool_calls:
            total += calls_written(token.tool_calls)
    return total


class Call:
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
        self.share = 0  # characters (text, tool calls) the model now writing sent
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
        started = self.announce(model, reason, attempt)
        if started is not None:
            await self.flow.emit(started)

    def announce(self, model: str, reason: str, attempt: int) -> Started | None:
        """`start` up to its emit: the `Started` to send, None if the model is live."""
        if self.live:
            return None
        self.live = self.emitted = True
        self.answered = model
        return Started(model=model, reason=reason, attempt=attempt,
                       decision=self.dispatch.decision)

    def deliver_nowait(self, token: Token) -> bool:
        """Deliver without waiting if that is possible (the common case)."""
        if self.buffered:
            self.held.append(token)
            return True
        if not self.live or not self.flow.try_emit(token):
            return False
        self._count(token)
        return True

    async def deliver(self, token: Token, model: str, reason: str, attempt: int) -> None:
        if self.buffered:
            self.held.append(token)
            return
        await self.start(model, reason, attempt)
        self._count(token)
        await self.flow.emit(token)

    def _count(self, token: Token) -> None:
        """Note a streamed token: its text, and its characters in the writer's share."""
        self.streamed += 1
        if token.text:
            self.sent.append(token.text)
            self.share += len(token.text)
        if token.tool_calls:
            self.share += calls_written(token.tool_calls)

    def take_held(self) -> Token | None:
        """A held (non-streaming) answer as one token to emit, counted as sent; None if
        nothing is held."""
        held = self.held
        if not held:
            return None
        self.held = []
        if len(held) == 1 and held[0].tool_calls is None:
            # Already one piece (a run of words is joined as it comes): it goes as it is.
            token = held[0]
            self.share += len(token.text)
            self.sent.append(token.text)
            return token
        text = "".join(token.text for token in held)
        calls = [call for token in held for call in token.tool_calls or ()]
        self.share += written(held)
        self.sent.append(text)
        return Token(text=text, tool_calls=calls or None)

    @property
    def text(self) -> str:
        return "".join(self.sent)

    def charge(self, model: ModelConfig, reported: Usage | None, written: int) -> Part:
        """One try's bill: what its upstream reported, or an estimate from the `written`
        characters of its output."""
        usage = reported or estimate(self.prompt_tokens, written)
        return Part(model=model.name, usage=usage, cost_usd=cost_of(model, usage),
                    estimated=reported is None)

    def hand_over(self, part: Part) -> None:
        """The model now writing failed mid-answer: its share is done, and the next
        model's first token announces that model."""
        self.parts.append(part)
        self.share = 0
        self.live = False


class Receiver(TokenSink):
    """One attempt's `on_token`: notes when pieces come and passes them on to the call."""

    __slots__ = ("call", "claim", "clock", "first_at", "index", "loop_time", "lost", "name",
                 "reason", "reply", "samples", "started", "tokens", "usage", "watchdog")

    def __init__(self, call: Call, name: str, index: int, reason: str, clock: Clock,
                 started: float, samples: deque[float] | None, watchdog: Watchdog,
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
        self.usage: Usage | None = None  # what the upstream said it used so far

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
            # Held only to be joined into one piece (`Call.take_held`): join them now.
            if self.first_at is None and not self._first():
                return
            self.tokens += len(texts)
            self.call.held.append(Token(text="".join(texts)))
            self.watchdog.last = self.loop_time()
        else:
            await self.many([Token(text=text) for text in texts])

    def counted(self, usage: Usage) -> None:
        self.usage = usage

    def listen(self) -> Callable[[], None] | None:
        # Only a caller that waits for the whole answer can have it late.
        return self.heard if self.call.buffered else None

    def heard(self) -> None:
        """Bytes came while the adapter reads quietly: the upstream is alive."""
        self.watchdog.last = self.loop_time()

    def keep(self, tokens: list[Token]) -> None:
        # Cut short while reading quietly: billed (`written(call.held)`) like the rest.
        if not self.lost and self.call.buffered:
            self.tokens += len(tokens)
            self.call.held.extend(tokens)

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


class Alarm:
    """One loop timer for every running attempt's `Watchdog`, set for the soonest of
    their deadlines.

    A loop timer per attempt would be set and cancelled on every try, and asyncio orders
    its timers with comparisons made in Python. Here each try's deadline goes on a heap of
    plain tuples (compared in C), and a try that ends only leaves the set of those
    watched: its entry is dropped when it comes up, or when ended tries' entries
    outnumber the live ones. When the timer fires, each watchdog whose entry has come
    says its deadline now (it may have moved later): it is cancelled if that has come
    too, else queued again. Its owner closes it when it stops.
    """

    __slots__ = ("loop", "order", "queue", "timer", "watched", "when")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.watched: set[Watchdog] = set()
        self.queue: list[tuple[float, int, Watchdog]] = []
        self.order = itertools.count()  # equal deadlines by arrival, never by watchdog
        self.timer: asyncio.TimerHandle | None = None
        self.when = math.inf

    def watch(self, watchdog: Watchdog, due: float) -> None:
        """Keep `watchdog`, whose deadline is `due` now."""
        self.watched.add(watchdog)
        self.queue_at(watchdog, due)

    def unwatch(self, watchdog: Watchdog) -> None:
        watched = self.watched
        watched.discard(watchdog)
        if len(self.queue) > 2 * len(watched) + 64:
            self.queue = [entry for entry in self.queue
                          if entry[2] in watched and entry[2].queued == entry[0]]
            heapq.heapify(self.queue)

    def queue_at(self, watchdog: Watchdog, due: float) -> None:
        """Look at `watchdog` again at `due` (its entries for later are then stale)."""
        watchdog.queued = due
        heapq.heappush(self.queue, (due, next(self.order), watchdog))
        self._ring_by(due)

    def _ring_by(self, due: float) -> None:
        if due < self.when:
            if self.timer is not None:
                self.timer.cancel()
            self.when = due
            self.timer = self.loop.call_at(due, self._fire)

    def _fire(self) -> None:
        self.timer, self.when = None, math.inf
        now = self.loop.time()
        queue, watched = self.queue, self.watched
        while queue and queue[0][0] <= now:
            queued, _, watchdog = heapq.heappop(queue)
            if watchdog not in watched or watchdog.queued != queued:
                continue  # ended, or queued again for sooner
            due = watchdog.due()
            if now >= due:
                watched.discard(watchdog)
                watchdog.scope.cancel()
            else:
                watchdog.queued = due
                heapq.heappush(queue, (due, next(self.order), watchdog))
        if queue:
            self._ring_by(queue[0][0])

    def close(self) -> None:
        self.watched.clear()
        self.queue = []
        if self.timer is not None:
            self.timer.cancel()
            self.timer, self.when = None, math.inf


class Watchdog:
    """One attempt's timeouts, on its provider's `Alarm`.

    Tokens only note when they came; when the alarm fires it works out the deadline that
    applies now (the first token's; the last token's plus the stall timeout; while a slow
    reader is waited on, only the request's own) and either cancels the attempt or sets
    itself for the soonest deadline. Moving an anyio deadline on every token re-arms a
    timer each time, which costs more than the token. The alarm is brought forward only
    when the deadline can move earlier: at the first token (the stall timeout may be
    shorter than the first-token one) and when the reader catches up (the alarm may have
    been put off to the request's deadline meanwhile).

    Time spent waiting on the reader is added to the attempt's own limit: it is not the
    upstream's. Once the answer is whole, only the request's deadline runs: the upstream's
    limits were about producing it.
    """

    __slots__ = ("alarm", "attempt_end", "attempt_limit", "delivering", "finished",
                 "first_token_end", "last", "loop", "paused_at", "queued", "request_end",
                 "scope", "seen", "stall_s", "ttft_end")

    def __init__(self, alarm: Alarm, scope: anyio.CancelScope, now: float, ttft_s: float,
                 stall_s: float, attempt_end: float, request_end: float,
                 attempt_limit: float | None = None) -> None:
        self.alarm = alarm
        self.loop = alarm.loop
        self.scope = scope
        self.stall_s = stall_s
        self.attempt_end = attempt_end
        # The model's own limits, before the request's deadline cuts them short.
        self.attempt_limit = attempt_end if attempt_limit is None else attempt_limit
        self.ttft_end = now + ttft_s
        self.request_end = request_end
        self.first_token_end = min(attempt_end, self.ttft_end)
        self.seen = False
        self.delivering = False
        self.finished = False
        self.paused_at = now
        self.last = now
        self.queued = math.inf  # when the alarm looks at it next
        alarm.watch(self, self.first_token_end)

    def due(self) -> float:
        if self.delivering or self.finished:
            return self.request_end
        if not self.seen:
            return self.first_token_end
        return min(self.attempt_end, self.last + self.stall_s)

    def own_due(self) -> float:
        """When the model's own limits (first token, stall, attempt) run out, whatever the
        request's deadline: later than it, and it was the deadline that cut the try."""
        if self.finished:
            return math.inf
        if not self.seen:
            return min(self.attempt_limit, self.ttft_end)
        return min(self.attempt_limit, self.last + self.stall_s)

    def first_token(self) -> None:
        self.last = last = self.loop.time()
        self.seen = True
        if last + self.stall_s < self.first_token_end:  # the deadline moved earlier
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
        waited = now - self.paused_at
        self.attempt_end = min(self.request_end, self.attempt_end + waited)
        self.attempt_limit += waited
        self.last = now
        self._bring_forward()

    def _bring_forward(self) -> None:
        alarm = self.alarm
        if self in alarm.watched:  # not yet stopped, nor cancelled
            due = self.due()
            if due < self.queued:
                alarm.queue_at(self, due)

    def stop(self) -> None:
        self.alarm.unwatch(self)


async def run_attempt(call: Call, model: ModelConfig, upstream: Upstream,
                      config: ProviderConfig, request: ChatRequest, *, index: int, reason: str,
                      deadline: float, retry: int, samples: deque[float],
                      claim: Callable[[int], bool] | None, alarm: Alarm,
                      new_scope: Callable[[], anyio.CancelScope] = anyio.CancelScope,
                      whole: bool = False) -> Reply | Fault:
    """One try of `model` for the call: its tokens delivered, its timeouts kept (on
    `alarm`, the provider's), the try recorded in `call.attempts` (and billed in
    `call.discarded` if thrown away); `claim`, in a hedged race, settles the race at this
    try's first token. `new_scope` makes the try's cancel scope (the running backend's
    class, looked up once, saves `anyio.CancelScope()` finding the backend again on every
    try). `whole`: ask the upstream for a whole answer if the caller does not stream (the
    provider decides, from `json_upstream` and `stream_sample`)."""
    name = model.name
    clock = call.clock
    ttft_s = model.ttft_timeout_s or config.ttft_timeout_s
    stall_s = model.stall_timeout_s or config.stall_timeout_s
    # `whole` (for a caller that does not stream) has the answer come whole, untimed
    # until then; a streamed one is held until done for such a caller.
    stream = not (call.buffered and whole)
    if not stream:
        ttft_s = stall_s = math.inf
    # Deadlines are in the event loop's time, as anyio's cancel scopes keep them.
    loop_time = alarm.loop.time
    now_loop = loop_time()
    started = clock.now()
    request_end = now_loop + max(0.0, deadline - started)
    attempt_limit = now_loop + (model.attempt_timeout_s or config.attempt_timeout_s)
    attempt_end = min(request_end, attempt_limit)
    probe = name in call.dispatch.probes and retry == 0
    scope = new_scope()
    watchdog = Watchdog(alarm, scope, now_loop, ttft_s, stall_s, attempt_end, request_end,
                        attempt_limit)
    receiver = Receiver(call, name, index, reason, clock, started,
                            samples if stream else None, watchdog, loop_time, claim)
    call.held = []

    flow = call.flow
    if claim is None:
        flow.attach(scope)  # in a race, the race's own scope is attached
    result: Reply | Fault
    deadline_cut = False  # by the request's deadline, before the model's own limits ran out
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
        if receiver.reply is not None:
            # Cut short while reading the body's tail: the answer was already whole.
            result = receiver.reply
        else:
            now = loop_time()
            if now >= request_end:
                what = "the request's deadline passed"
                deadline_cut = watchdog.own_due() > request_end
            elif now >= watchdog.attempt_end:
                what = "the attempt took too long"
            elif receiver.first_at is None:
                what = f"no first token within {ttft_s:g}s"
            else:
                what = f"no token for {stall_s:g}s"
            result = Fault(kind="timeout", message=what, usage=receiver.usage)
    fmt = request.response_format  # `wants_json`, without a call on every try
    if isinstance(result, Reply) and fmt is not None and \
            fmt.type in ("json_object", "json_schema"):
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
            call.discarded.append(call.charge(model, result.usage, written(call.held)))
            call.held = []
        elif not tokens:
            call.discarded.append(call.charge(model, result.usage, 0))
    if isinstance(result, Reply):
        call.ttft = ttft if call.ttft is None else call.ttft
        call.attempts.append(Attempt(model=name, status="ok", ttft_s=ttft,
                                     duration_s=elapsed, tokens_out=tokens, probe=probe))
    elif deadline_cut:
        # Not the model's failure (its own limits had time left): the request ran out of
        # time, maybe spent on other models. Counted against it, one request's short
        # deadline could open a healthy model's breaker for everyone.
        call.attempts.append(Attempt(model=name, status="cancelled", error="deadline",
                                     ttft_s=ttft, duration_s=elapsed, tokens_out=tokens,
                                     probe=probe))
    else:
        skipped = result.kind == "unavailable"
        call.attempts.append(Attempt(model=name, status="skipped" if skipped else "failed",
                                     error=result.kind, retry_after_s=result.retry_after_s,
                                     ttft_s=ttft, duration_s=elapsed, tokens_out=tokens,
                                     probe=probe))
    return result


def wants_json(request: ChatRequest) -> bool:
    fmt = request.response_format
    return fmt is not None and fmt.type in ("json_object", "json_schema")


def _is_json(text: str) -> bool:
    try:
        msgspec.json.decode(text)
    except msgspec.DecodeError:
        return False
    return True
