"""The embedded API: a whole router inside another asyncio program.

    async with Router.from_toml("router.toml") as router:
        answer = await router.complete(request)
        async for event in router.stream(request): ...

`submit` is the primitive both use (and the HTTP server too): it never waits. A full
admission mailbox, or a router that is shutting down, answers at once with an error
event carrying a retry hint.
"""

from __future__ import annotations

import asyncio
import json
import math
import os
import threading
import types
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, Literal, Self

import anyio
import anyio.lowlevel
import msgspec
import structlog
from anyio.abc import TaskGroup

from reactor._clock import Clock, SystemClock
from reactor._config import RouterConfig, load_config
from reactor._decision import Decision
from reactor._errors import ConfigError, Escalated, MailboxClosed, RequestFailed, RouterClosed
from reactor._events import (
    Decided,
    Done,
    ErrorInfo,
    Failed,
    FlowEvent,
    Started,
    Token,
    ToolCallDelta,
    Usage,
)
from reactor._fanout import unanswered
from reactor._flow import TERMINAL, Flow, Reply
from reactor._messages import Feedback, Job, Submitted
from reactor._pipeline import Pipeline, RuntimeCollector, metrics_snapshot
from reactor._rounding import round3
from reactor._wire import (
    CandidateInfo,
    ChatCompletion,
    ChatRequest,
    Choice,
    CompletionUsage,
    Constraints,
    DecisionInfo,
    FeaturesInfo,
    FunctionCall,
    InvalidRequest,
    ModelCard,
    PartInfo,
    Preferences,
    ResponseMessage,
    RouterInfo,
    ToolCall,
    check_chat_request,
    decode_chat_body,
    decode_chat_request,
)

log = structlog.get_logger("reactor.router")

SHUTTING_DOWN = ErrorInfo(status=503, type="service_unavailable", code="shutting_down",
                          message="the router is shutting down", retry_after_s=1.0)


class Answer(msgspec.Struct, kw_only=True):
    """What the flow said, gathered: the pieces of a non-streaming response."""

    request_id: str
    model: str = ""
    reason: str = ""
    cache: str = "miss"
    similarity: float | None = None
    text: str = ""
    tool_calls: list[ToolCall] | None = None
    done: Done | None = None
    decision: Decision | None = None

    def completion(self, created: int) -> ChatCompletion:
        done = self.done
        assert done is not None
        text, tool_calls = self.text, self.tool_calls
        return ChatCompletion(
            id="chatcmpl-" + self.request_id,
            created=created,
            model=self.model,
            choices=[Choice(index=0, message=ResponseMessage(
                role="assistant", content=text if text or not tool_calls else None,
                tool_calls=tool_calls), finish_reason=done.finish_reason)],
            usage=completion_usage(done.usage),
            router=router_info(self.request_id, self.model, self.reason, self.cache,
                               self.similarity, self.decision, done),
        )


async def gather(flow: Flow, first: FlowEvent | None = None) -> Answer | Failed:
    """Read a flow to its end; the answer, or the error that ended it."""
    answer = Answer(request_id=flow.request_id)
    parts: list[str] = []
    calls: dict[int, list[ToolCallDelta]] = {}
    # What is already buffered is read without a coroutine: a whole non-streaming answer
    # usually is, by the time its reader wakes.
    receive_nowait = flow.receive_nowait
    try:
        event = first if first is not None else receive_nowait() or await flow.receive()
        while True:
            match event:
                case Started(model=model, reason=reason, cache=cache, similarity=similarity,
                             decision=decision):
                    answer.model, answer.reason = model, reason
                    answer.cache, answer.similarity = cache, similarity
                    answer.decision = decision
                case Token(text=text, tool_calls=deltas):
                    parts.append(text)
                    for delta in deltas or ():
                        calls.setdefault(delta.index, []).append(delta)
                case Done() as done:
                    answer.done = done
                    answer.text = "".join(parts)
                    if calls:
                        answer.tool_calls = [assemble_tool_call(calls[i]) for i in sorted(calls)]
                    return answer
                case Failed() as failed:
                    return failed
                case Decided():
                    raise RuntimeError("a decision-only flow was gathered as an answer")
            event = receive_nowait() or await flow.receive()
    finally:
        flow.close()


def completion_usage(usage: Usage) -> CompletionUsage:
    prompt, completion = usage.prompt_tokens, usage.completion_tokens
    return CompletionUsage(prompt_tokens=prompt, completion_tokens=completion,
                           total_tokens=prompt + completion)


def router_info(request_id: str, model: str, reason: str, cache: str,
                similarity: float | None, decision: Decision | None, done: Done) -> RouterInfo:
    """The `router` object of a finished answer, whole or streamed: who answered and why,
    and each model's share when more than one wrote it."""
    return RouterInfo(request_id=request_id, model=model, reason=reason, cache=cache,
                      cost_usd=done.cost_usd, similarity=similarity,
                      decision=None if decision is None else decision_info(decision),
                      parts=[PartInfo(model=p.model, prompt_tokens=p.usage.prompt_tokens,
                                      completion_tokens=p.usage.completion_tokens,
                                      cost_usd=p.cost_usd)
                             for p in done.parts] if done.parts else None,
                      stages_ms=stages_ms(done.stages) if done.stages else None)


def stages_ms(stages: list[tuple[str, float]]) -> dict[str, float]:
    """`Done.stages` in milliseconds, rounded to the microsecond."""
    return {stage: round3(seconds * 1000.0) for stage, seconds in stages}


def decision_info(decision: Decision) -> DecisionInfo:
    features = decision.features
    return DecisionInfo(
        model=decision.model, fallbacks=decision.fallbacks, reason=decision.reason,
        confidence=decision.confidence, mode=decision.mode,
        routing_ms=round(decision.routing_s * 1000, 3),
        estimated_cost_usd=decision.estimated_cost_usd,
        alternatives=[CandidateInfo(model=c.model, score=c.score, quality=c.quality,
                                    cost_usd=c.cost_usd, latency_ms=c.latency_ms)
                      for c in decision.alternatives],
        features=None if features is None else FeaturesInfo(
            task=features.task, task_confidence=features.task_confidence,
            complexity=features.complexity, prompt_tokens=features.prompt_tokens,
            has_code=features.has_code, has_math=features.has_math,
            language=features.language, turns=features.turns,
            output_tokens=features.output_tokens),
    )


class Routed(msgspec.Struct, frozen=True, kw_only=True):
    """`route_and_execute`'s answer: what was chosen, what it said, what it cost."""

    model: str
    answer: str
    routing_ms: float
    confidence: float
    estimated_cost_usd: float
    cost_usd: float
    request_id: str
    decision: Decision


def assemble_tool_call(deltas: list[ToolCallDelta]) -> ToolCall:
    """One whole tool call from its streamed pieces."""
    call_id = next((d.id for d in deltas if d.id), f"call_{deltas[0].index}")
    name = next((d.name for d in deltas if d.name), "")
    arguments = "".join(d.arguments for d in deltas)
    return ToolCall(id=call_id, function=FunctionCall(name=name, arguments=arguments))


def checked_request(request: ChatRequest | dict[str, Any]) -> ChatRequest:
    """`request` validated as the HTTP API validates a body; `InvalidRequest` names the
    field that is wrong."""
    if isinstance(request, dict):
        # Through JSON, as from the wire: opaque fields (tool schemas) stay raw JSON,
        # and errors name the field like the HTTP API's do.
        return decode_chat_request(json_body(request))
    if not isinstance(request, ChatRequest):
        raise TypeError("a request is a ChatRequest or a dict shaped like a chat "
                        f"completions body, not {type(request).__name__}")
    # A Struct built in code was never validated: a field of the wrong type (a mode
    # that is not one) would crash a stage, and enough of them the whole router.
    try:
        body = msgspec.json.encode(request)
    except TypeError as exc:
        raise InvalidRequest(f"request: {exc}", None) from None
    checked = decode_chat_body(body)
    # The rules on the struct as given, not its copy: JSON writes a NaN as null.
    check_chat_request(request)
    return checked


def json_body(request: dict[str, Any]) -> bytes:
    """A request given as a dict, as the JSON body it stands for. What JSON cannot say is
    refused, naming where it is: msgspec would send a NaN or an infinity as null (an
    unset field) and bytes as base64 text, a different request from the one given."""
    try:
        return json.dumps(request, allow_nan=False, ensure_ascii=False,
                          default=_builtins).encode()
    except (TypeError, ValueError) as exc:
        param = _unsayable(request, "")
        raise InvalidRequest(f"{param or 'request'}: not a JSON value ({exc})",
                             param) from None


_BINARY = (bytes, bytearray, memoryview)


def _builtins(value: Any) -> Any:
    if isinstance(value, _BINARY):
        raise TypeError(f"{type(value).__name__} is not text")
    return msgspec.to_builtins(value, builtin_types=_BINARY)


def _unsayable(value: Any, path: str) -> str | None:
    """Where in `value` the first NaN, infinity or bytes is."""
    if isinstance(value, float):
        return None if math.isfinite(value) else path
    if isinstance(value, _BINARY):
        return path
    if isinstance(value, dict):
        items: Any = ((f"{path}.{key}" if path else str(key), item)
                      for key, item in value.items())
    elif isinstance(value, list | tuple):
        items = ((f"{path}[{i}]", item) for i, item in enumerate(value))
    elif isinstance(value, msgspec.Struct):
        return _unsayable(msgspec.to_builtins(value, builtin_types=_BINARY), path)
    else:
        return None
    for where, item in items:
        found = _unsayable(item, where)
        if found is not None:
            return found
    return None


class Router:
    """A running pipeline; use as an async context manager."""

    def __init__(self, config: RouterConfig, *, clock: Clock | None = None,
                 previous: Router | None = None) -> None:
        """`previous`: a router this one replaces (`reactor serve` on SIGHUP): tenants'
        limits and budgets kept in memory, the models' breakers (unless `[breaker]`
        changed), what the selector learned, and the caches' entries (unless the embedder
        or their settings changed) carry on from it instead of starting over, shared
        while both run. Call `replaced_previous` once new requests come here."""
        self.config = config
        self.clock: Clock = clock or SystemClock()
        self.pipeline: Pipeline = Pipeline(config, self.clock,
                                           None if previous is None else previous.pipeline)
        self._tg: TaskGroup | None = None
        self._entered = False
        self._thread: int | None = None
        self._accepting = False
        self._in_flight = 0
        self._trace_share = config.metrics.trace_sample
        self._trace_credit = 0.0
        # Made by `drain` when it has to wait, set when the last request ends: an event
        # per busy spell would cost a lone caller one on every request.
        self._idle: anyio.Event | None = None
        self._ids = 0
        self._id_prefix = os.urandom(4).hex()
        self.shed_total = 0
        self.shed_unbooked = 0  # shed at the door while a book had no room: no line
        self.config_digest = self.pipeline.config_digest
        self.loaded_at = self.clock.wall()
        self.pipeline.registry.register(RuntimeCollector(self.pipeline.actors, {
            "reactor_in_flight": lambda: self._in_flight,
            "reactor_shed_total": lambda: self.shed_total,
            "reactor_config_loaded_timestamp_seconds": lambda: self.loaded_at,
        }, config_digest=self.config_digest))

    @classmethod
    def from_toml(cls, path: str | Path, *, clock: Clock | None = None) -> Router:
        return cls(load_config(path), clock=clock)

    # lifecycle

    async def __aenter__(self) -> Self:
        # Its actors' mailboxes are disposed of when it stops: a second run would find
        # them closed and crash every stage until the supervisor gave up.
        if self._entered:
            raise RuntimeError("a Router runs once: it is running or has run; build a new "
                               "one (`previous=` carries its state over)")
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            # Under anyio's trio backend the stages would start and then fail one by one
            # (aiohttp, the upstreams' clients, is asyncio's).
            raise RuntimeError("a Router runs on an asyncio event loop (anyio's asyncio "
                               "backend), not on trio or another library's") from None
        self._entered = True
        ledger = self.pipeline.ledger
        if ledger is not None:  # open before the books start, closed after they stop
            try:
                await ledger.file.__aenter__()
            except OSError as exc:
                raise ConfigError(f"cannot open {str(ledger.file.path)!r}: "
                                  f"{exc.strerror or exc}", path="ledger.path") from None
        tg = anyio.create_task_group()
        await tg.__aenter__()
        try:
            await tg.start(self.pipeline.system.run)
        except BaseException:
            await tg.__aexit__(None, None, None)
            if ledger is not None:
                await ledger.file.__aexit__(None, None, None)
            raise
        self._tg = tg
        self._thread = threading.get_ident()
        self._accepting = True
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None,
                        exc: BaseException | None, tb: types.TracebackType | None) -> bool | None:
        tg = self._tg
        if tg is None:
            return None
        timeout_s = self.config.server.drain_timeout_s
        if exc_type is None:
            started = self.clock.now()
            if await self.drain(timeout_s):
                await self._close_books(timeout_s - (self.clock.now() - started))
        else:
            # Leaving on an exception (the caller's, or a cancellation): requests still in
            # flight are abandoned, but the outcomes the books already hold are not, so
            # the ledger keeps every request that was settled. The books are shielded
            # from the caller's cancellation (`System.add`); this wait is too, and bounded
            # as a drain is. An outcome published after it is dropped by its closed book.
            self.stop_admitting()
            if self._in_flight:
                log.warning("exit_abandons_requests", in_flight=self._in_flight,
                            error=exc_type.__name__)
            with anyio.CancelScope(shield=True):
                await self._close_books(timeout_s)
        self._accepting = False
        self.pipeline.system.stop()
        self._tg = None
        try:
            # The caller's own exception is not the task group's business: let it
            # propagate as it is, not wrapped in an ExceptionGroup.
            await tg.__aexit__(None, None, None)
        except BaseExceptionGroup as group:
            escalated = group.subgroup(Escalated)
            if escalated is not None:
                raise escalated.exceptions[0] from group
            raise
        finally:
            ledger = self.pipeline.ledger
            if ledger is not None:
                await ledger.file.__aexit__(None, None, None)
        return None

    def replaced_previous(self) -> None:
        """The router this one was built to replace (`previous`) gets no new requests
        now: what they share and must save (the learned model, the semantic index) is
        saved by this one, not by the other as it stops."""
        self.pipeline.replaced_previous()

    def reopen_files(self) -> None:
        """Have the ledger go on in its file opened afresh (after a rotation)."""
        ledger = self.pipeline.ledger
        if ledger is not None:
            ledger.file.reopen()

    def stop_admitting(self) -> None:
        """New requests get 503 from now on; those in flight go on."""
        self._accepting = False

    async def drain(self, timeout_s: float) -> bool:
        """Stop admitting and wait (at most `timeout_s`) for in-flight requests to end."""
        self.stop_admitting()
        with anyio.move_on_after(timeout_s):
            while self._in_flight:
                if self._idle is None:
                    self._idle = anyio.Event()
                await self._idle.wait()
        if self._in_flight:
            log.warning("drain_timed_out", in_flight=self._in_flight)
        return self._in_flight == 0

    async def _close_books(self, timeout_s: float) -> bool:
        """With no request left in flight, close the books' mailboxes and wait (at most
        `timeout_s`) for them to handle what is in them: a request is settled once its
        outcome is in their mailboxes, and a book that waits on a disk (the ledger) may
        still be behind."""
        books = self.pipeline.books
        for book in books:
            book.mailbox.close()
        with anyio.move_on_after(max(0.0, timeout_s)):
            for book in books:
                if book.ended is not None:
                    await book.ended.wait()
        behind = {book.name: book.mailbox.depth for book in books
                  if book.ended is None or not book.ended.is_set()}
        if behind:
            log.warning("books_not_handled", behind=behind)
        return not behind

    async def quiesce(self) -> None:
        """Wait until no request is in flight and every stage has handled all its mail
        (the books included). For tests and tools; the caller bounds it with a timeout."""
        actors = self.pipeline.actors
        while self._in_flight or not all(a.mailbox.idle and not a.tasks_running
                                         for a in actors):
            await anyio.lowlevel.checkpoint()

    @property
    def accepting(self) -> bool:
        return self._accepting

    @property
    def in_flight(self) -> int:
        return self._in_flight

    # requests

    def new_request_id(self) -> str:
        self._ids += 1
        return f"{self._id_prefix}{self._ids:08x}"

    def submit(self, request: ChatRequest | dict[str, Any], *, tenant: str = "default",
               tier: str = "default", timeout_s: float | None = None,
               request_id: str | None = None, decide_only: bool = False,
               trace: bool = False, client_id: str | None = None) -> Flow:
        """Start a request; read its events from the returned flow. Never waits; a
        request that is not valid raises `InvalidRequest` (a stage would crash on it).

        A traced request (`trace`, or one in `[metrics] trace_sample` of them) notes the
        time it leaves each stage; its `Done` carries the time spent in each. `client_id`
        is the caller's own id for the request, kept in the ledger."""
        return self._submit(checked_request(request), tenant=tenant, tier=tier,
                            timeout_s=timeout_s, request_id=request_id,
                            decide_only=decide_only, trace=trace, client_id=client_id)

    def _submit(self, request: ChatRequest, *, tenant: str = "default",
                tier: str = "default", timeout_s: float | None = None,
                request_id: str | None = None, decide_only: bool = False,
                trace: bool = False, client_id: str | None = None) -> Flow:
        self._check_thread()
        request_id = request_id or self.new_request_id()
        flow = Flow(request_id, self.config.runtime.flow_size)
        if not self._accepting:
            self._refuse(flow, SHUTTING_DOWN)
            return flow
        now = self.clock.now()
        if not trace and self._trace_share:
            # One in every 1/share requests, evenly: a credit, not a die.
            credit = self._trace_credit + self._trace_share
            trace = credit >= 1.0
            self._trace_credit = credit - 1.0 if trace else credit
        job = Job(id=request_id, request=request, flow=flow, received_at=now, tenant=tenant,
                  tier=tier, deadline=None if timeout_s is None else now + timeout_s,
                  decide_only=decide_only, trace=[] if trace else None, client_id=client_id)
        self._in_flight += 1
        flow.on_release(self._released)
        try:
            sent = self.pipeline.entry.try_send(Submitted(job=job))
        except MailboxClosed:
            sent = False
        if not sent:
            self.shed_total += 1
            error = ErrorInfo(status=503, type="overloaded_error", code="overloaded",
                              message="the router is overloaded; retry later",
                              retry_after_s=self.config.admission.retry_after_s)
            flow.fail_nowait(error)
            # Booked like every request (a ledger line, the metrics) where the books
            # have room now: the door cannot wait for them.
            if not self.pipeline.outcomes.to_books_nowait(unanswered(job, error, now)):
                self.shed_unbooked += 1
            flow.settle()
        return flow

    def _check_thread(self) -> None:
        # The stages wake on their own event loop's events: a request sent from another
        # loop would never be answered, and one from another thread would race them.
        if self._thread is not None and threading.get_ident() != self._thread:
            raise RuntimeError("a Router is called from the thread (and event loop) that "
                               "entered it; from another, go through that loop "
                               "(asyncio.run_coroutine_threadsafe, anyio.from_thread)")

    def _refuse(self, flow: Flow, error: ErrorInfo) -> None:
        flow.fail_nowait(error)
        flow.settle()

    def _released(self) -> None:
        self._in_flight -= 1
        if self._in_flight == 0 and self._idle is not None:
            self._idle.set()
            self._idle = None

    async def complete(self, request: ChatRequest | dict[str, Any], *,
                       tenant: str = "default", tier: str = "default") -> ChatCompletion:
        """Send one request and wait for the whole answer; raises `RequestFailed`."""
        request = self._coerce(request)
        if request.stream:
            request = msgspec.structs.replace(request, stream=False)
        result = await gather(self._submit(request, tenant=tenant, tier=tier))
        if isinstance(result, Failed):
            raise RequestFailed(result.error)
        return result.completion(int(self.clock.wall()))

    async def stream(self, request: ChatRequest | dict[str, Any], *, tenant: str = "default",
                     tier: str = "default") -> AsyncIterator[FlowEvent]:
        """Send one request and yield its events as they come, ending with Done or Failed.

        Leaving the loop early cancels the upstream call once the generator is closed:
        at once when nothing else holds it (`async for e in router.stream(...)`); one kept
        in a variable goes on until `aclose()` (`contextlib.aclosing` does it).
        """
        request = self._coerce(request)
        if not request.stream:
            request = msgspec.structs.replace(request, stream=True)
        flow = self._submit(request, tenant=tenant, tier=tier)
        # Events already waiting (tokens come in runs) are read without a coroutine.
        receive_nowait = flow.receive_nowait
        try:
            while True:
                event = receive_nowait() or await flow.receive()
                yield event
                if isinstance(event, TERMINAL):
                    return
        finally:
            flow.abandon()

    async def route(self, request: ChatRequest | dict[str, Any], *, tenant: str = "default",
                    tier: str = "default") -> Decision:
        """The decision alone: which model, which fallbacks, why. No model is called."""
        request = self._coerce(request)
        flow = self._submit(request, tenant=tenant, tier=tier, decide_only=True)
        try:
            event = await flow.receive()
        finally:
            flow.close()
        if isinstance(event, Failed):
            raise RequestFailed(event.error)
        assert isinstance(event, Decided)
        return event.decision

    async def route_and_execute(
        self, prompt: str, *, preferences: Preferences | dict[str, float] | None = None,
        constraints: Constraints | dict[str, float] | None = None,
        mode: Literal["fast", "balanced", "accurate"] | None = None, model: str = "auto",
        system: str | None = None, tenant: str = "default", tier: str = "default",
    ) -> Routed:
        """Route one prompt and answer it: for scripts that want one call."""
        messages = [{"role": "user", "content": prompt}]
        if system is not None:
            messages.insert(0, {"role": "system", "content": system})
        # As a body is: a mode, preference or constraint that is not one is refused
        # naming its field, not left to crash the selector.
        body: dict[str, Any] = {"messages": messages, "model": model}
        for name, value in (("mode", mode), ("preferences", preferences),
                            ("constraints", constraints)):
            if value is not None:
                body[name] = value
        request = self._coerce(body)
        result = await gather(self._submit(request, tenant=tenant, tier=tier))
        if isinstance(result, Failed):
            raise RequestFailed(result.error)
        assert result.done is not None
        decision = result.decision or Decision(model=result.model, fallbacks=[],
                                               reason=result.reason, confidence=1.0,
                                               mode=result.cache)
        return Routed(model=result.model, answer=result.text,
                      routing_ms=round(decision.routing_s * 1000, 3),
                      confidence=decision.confidence,
                      estimated_cost_usd=decision.estimated_cost_usd,
                      cost_usd=result.done.cost_usd, request_id=result.request_id,
                      decision=decision)

    async def feedback(self, request_id: str, *, rating: int | None = None,
                       score: float | None = None, tenant: str | None = None) -> bool:
        """Rate an answer (1-5, or a 0-1 score); False if the request is not remembered,
        or (with `tenant`) was not that tenant's."""
        if (rating is None) == (score is None):
            raise ValueError("give exactly one of rating (1-5) or score (0-1)")
        value = (rating - 1) / 4 if rating is not None else float(score or 0.0)
        if not 0.0 <= value <= 1.0:
            raise ValueError("rating must be 1-5 and score 0-1")
        if self._tg is None:
            # Nothing would read the selector's mailbox: the reply would never come.
            raise RouterClosed("use `async with router:` before sending feedback")
        self._check_thread()
        reply: Reply[bool] = Reply()
        await self.pipeline.selector.mailbox.send(
            Feedback(request_id=request_id, score=value, reply=reply, tenant=tenant))
        return await reply.receive()

    def _coerce(self, request: ChatRequest | dict[str, Any]) -> ChatRequest:
        if self._tg is None:
            raise RouterClosed("use `async with router:` before sending requests")
        return checked_request(request)

    # introspection

    def models(self) -> list[ModelCard]:
        unavailable = self.pipeline.provider.unavailable()
        cards = [ModelCard(id="auto", owned_by="reactor")]
        cards += [ModelCard(id=alias.name, owned_by="reactor")
                  for alias in self.config.selector.aliases]
        cards += [ModelCard(id=m.name, owned_by=str(m.upstream.__struct_config__.tag),
                            available=m.name not in unavailable,
                            unavailable_reason=unavailable.get(m.name))
                  for m in self.config.models]
        return cards

    def readiness(self) -> tuple[bool, dict[str, Any]]:
        unavailable = self.pipeline.provider.unavailable()
        usable = [m.name for m in self.config.models if m.name not in unavailable]
        ready = self._accepting and bool(usable)
        return ready, {
            "ready": ready,
            "accepting": self._accepting,
            "models_available": usable,
            "models_unavailable": unavailable,
            "in_flight": self._in_flight,
        }

    def stats(self) -> dict[str, Any]:
        """What `GET /api/v1/stats` shows but its `limits`, which `limits()` reads."""
        pipeline = self.pipeline
        cache = pipeline.cache
        return {
            "config": {"digest": self.config_digest, "loaded_at": self.loaded_at},
            "in_flight": self._in_flight,
            "shed": self.shed_total + pipeline.admission.gate.shed_total,
            "shed_unbooked": self.shed_unbooked,
            "cost": pipeline.cost.snapshot(),
            "ledger": pipeline.ledger.snapshot() if pipeline.ledger is not None else None,
            "cache": {"backend": self.config.cache.backend, "hits": cache.hits,
                      "misses": cache.misses, "stored": cache.stored,
                      "evictions": cache.evictions, "errors": cache.errors,
                      "semantic": {"hits": pipeline.semantic.hits,
                                   "misses": pipeline.semantic.misses,
                                   "stored": pipeline.semantic.stored,
                                   "propagated": pipeline.semantic.propagated,
                                   "vetoes": dict(pipeline.semantic.vetoes),
                                   "entries": len(pipeline.semantic.index or ())}},
            "breakers": self.breaker_states(),
            "mailboxes": {a.name: {"depth": a.mailbox.depth, "size": a.mailbox.size,
                                   "blocked": a.mailbox.blocked_senders,
                                   "restarts": a.restarts}
                          for a in pipeline.actors},
        }

    async def limits(self) -> dict[str, Any]:
        """Per-tenant spend and budget left, and the requests refused for a tenant's
        limits: the `limits` part of `GET /api/v1/stats`, read from the limits store."""
        pipeline = self.pipeline
        rejected: dict[str, dict[str, int]] = {}
        for (reason, tenant), count in sorted(pipeline.limit_rejections().items()):
            rejected.setdefault(reason, {})[tenant] = count
        return {**await pipeline.spend.snapshot(), "rejected": rejected,
                "admitted_unmetered": pipeline.admission.unmetered}

    def metrics_snapshot(self) -> dict[str, Any]:
        """Every metric `/metrics` shows, as JSON-ready data (`GET
        /api/v1/metrics/snapshot`), with the wall-clock time it was taken."""
        return metrics_snapshot(self.pipeline.registry, self.clock.wall())

    def breaker_states(self) -> dict[str, Any]:
        breakers = self.pipeline.breakers
        return {m.name: {"state": breakers.state(m.name),
                         "consecutive_failures": breakers.get(m.name).failures,
                         "opened_total": breakers.get(m.name).opened_total}
                for m in self.config.models}


