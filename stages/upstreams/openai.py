"""OpenAI-compatible chat completions (OpenAI, Groq, OpenRouter, vLLM, Ollama, ...).

Sends the caller's request with Reactor's own fields removed and the model name
replaced by the upstream's; streams with `stream_options.include_usage` so usage comes
back on streams too. Reads SSE line by line: a stream must end with a finish reason,
or the answer is reported `truncated`, never passed off as complete. The usage chunk
comes after the finish reason: a stream that breaks after it (before `[DONE]`, or with
garbage or an error chunk) reports that usage on its fault, and a sink is told of it as
it comes (`TokenSink.counted`), for a call its caller's timers cut short. Usage missing
either count is no usage (to be estimated), not zero. An answer filtered before its
first word is a `content_filter` reply, as the other adapters report it; so is a
refusal (`refusal` instead of `content`), its text passed on as the answer's.
"""

from __future__ import annotations

from contextlib import aclosing

import msgspec

from reactor import ChatRequest, OpenAIUpstream, StreamOptions, Token, ToolCallDelta, Usage
from stages.upstreams import Fault, FaultKind, OnToken, Reply, TokenSink
from stages.upstreams.http1 import Pool, Response
from stages.upstreams.wire import (
    Content,
    Quiet,
    billed,
    finish_body,
    lf_lines,
    missing_key,
    no_events,
    post,
    quiet_for,
    read_body,
    sse_line_batches,
    status_fault,
    streamed,
)


class _Function(msgspec.Struct):
    name: str | None = None
    arguments: str | None = None


class _ToolCall(msgspec.Struct):
    index: int | None = None
    id: str | None = None
    function: _Function | None = None


class _Delta(msgspec.Struct):
    content: str | None = None
    refusal: str | None = None
    tool_calls: list[_ToolCall] | None = None


class _Message(msgspec.Struct):
    content: str | None = None
    refusal: str | None = None
    tool_calls: list[_ToolCall] | None = None


class _Choice(msgspec.Struct):
    message: _Message | None = None
    delta: _Delta | None = None
    finish_reason: str | None = None


class _Usage(msgspec.Struct):
    prompt_tokens: int | None = None
    completion_tokens: int | None = None


class _Error(msgspec.Struct):
    message: str = ""
    type: str | None = None
    code: str | int | None = None


class _Body(msgspec.Struct):
    choices: list[_Choice] = []
    usage: _Usage | None = None
    error: _Error | None = None


_body = msgspec.json.Decoder(_Body)
_bodies = msgspec.json.Decoder(list[_Body])
_encoder = msgspec.json.Encoder()


class OpenAICompatible:
    """Calls over its own pool of keep-alive connections (`http1`), not a shared aiohttp
    session: the lean client costs about half the CPU per call."""

    def __init__(self, model: str, config: OpenAIUpstream, *,
                 connect_timeout_s: float = 5.0) -> None:
        self.model = model
        self.config = config
        self.upstream_model = config.model or model
        self._key = config.resolve_key()
        self._pool = Pool(config.base_url, connect_timeout_s=connect_timeout_s)
        # Without an Accept-Encoding any coding would do, and the lean client decodes none.
        headers = {"User-Agent": "reactor", "Accept": "*/*", "Accept-Encoding": "identity",
                   "Content-Type": "application/json", **config.headers}
        if self._key is not None:
            headers["Authorization"] = f"Bearer {self._key}"
        self._head = self._pool.request_head("/chat/completions", headers)

    def unavailable(self) -> str | None:
        if self.config.api_key_env is not None and self._key is None:
            return missing_key(self.config.api_key_env)
        return None

    def _payload(self, request: ChatRequest, stream: bool) -> bytes:
        body = msgspec.structs.replace(
            request, model=self.upstream_model, stream=stream, mode=None, preferences=None,
            constraints=None, cache=None,
            stream_options=StreamOptions(include_usage=True) if stream else None,
        )
        return _encoder.encode(body)

    async def call(self, request: ChatRequest, *, stream: bool,
                   on_token: OnToken) -> Reply | Fault:
        reason = self.unavailable()
        if reason is not None:
            return Fault(kind="unavailable", message=reason)

        counted = _Counted()

        async def read(response: Response) -> Reply | Fault:
            if streamed(response, stream):
                return await self._read_stream(response, on_token, counted)
            return await self._read_json(response, on_token)

        result = await post(self._pool, self._head, body=self._payload(request, stream),
                            on_status=status_fault, read=read, secret=self._key or "")
        # However the stream broke after its usage chunk, the upstream billed that.
        return billed(result, counted.usage)

    async def _read_json(self, response: Response,
                         on_token: OnToken) -> Reply | Fault:
        body = await read_body(response, _body)
        if isinstance(body, Fault):
            return body
        if body.error is not None:
            return _error_fault(body.error, "upstream error")
        if not body.choices or body.choices[0].message is None:
            return Fault(kind="empty", message="upstream answered with no choices")
        choice = body.choices[0]
        message = choice.message
        text = message.content or message.refusal if message else None
        calls = _tool_calls(message.tool_calls if message else None)
        outcome = _outcome(choice.finish_reason, bool(text or calls),
                           message is not None and bool(message.refusal), _usage(body.usage),
                           called=bool(calls))
        if isinstance(outcome, Reply) and (text or calls):
            await on_token(Token(text=text or "", tool_calls=calls))
        return outcome

    async def _read_stream(self, response: Response, on_token: OnToken,
                           counted: _Counted) -> Reply | Fault:
        # The tokens of one network read go over in one run when the sink takes runs.
        sink = on_token if isinstance(on_token, TokenSink) else None
        # A caller that takes the answer whole is handed the rest in one run, after the
        # first token: the reader sleeps through the tokens between.
        quiet = quiet_for(sink, response.content, b"[DONE]")
        try:
            return await self._read_events(response, on_token, counted, sink, quiet)
        except BaseException:
            # Cut short (a stall, a deadline, the caller gone) while reading quietly: the
            # tokens that came meanwhile were billed all the same.
            if quiet is not None and quiet.on and sink is not None:
                _salvage(response.content, sink, counted)
            raise

    async def _read_events(self, response: Response, on_token: OnToken, counted: _Counted,
                           sink: TokenSink | None, quiet: Quiet | None) -> Reply | Fault:
        finish: str | None = None
        got_text = refused = called = False
        got_event = False
        done = False
        run: list[Token] = []
        # Closed here when it stops at [DONE] (see `sse_line_batches`).
        async with aclosing(sse_line_batches(response.content, quiet)) as batches:
            async for lines in batches:
                datas = [line[5:].strip() for line in lines if line.startswith(b"data:")]
                if not datas:
                    continue
                got_event = True
                if b"[DONE]" in datas:
                    datas = datas[: datas.index(b"[DONE]")]
                    done = True
                chunks, malformed = _decode_events(datas)
                for chunk in chunks:
                    if chunk.error is not None:
                        await _hand_over(run, sink)
                        return _error_fault(chunk.error, "upstream error mid-stream")
                    _count(chunk, counted, sink)
                    if chunk.choices:
                        choice = chunk.choices[0]
                        token = _token(choice.delta)
                        if token is not None:
                            got_text = True
                            refused = refused or bool(choice.delta and choice.delta.refusal)
                            called = called or bool(token.tool_calls)
                            if sink is None:
                                await on_token(token)
                            else:
                                run.append(token)
                        if choice.finish_reason is not None:
                            finish = choice.finish_reason
                if run:
                    await _hand_over(run, sink)
                    if quiet is not None:
                        quiet.on = True
                if malformed is not None:
                    return Fault(kind="malformed", message="upstream sent a malformed "
                                 f"stream event: {malformed[:120]!r}")
                if done:
                    break
        outcome = _outcome(finish, got_text, refused, counted.usage, called=called) \
            if got_event else \
            no_events(response)
        return await finish_body(response.content, outcome, on_token)

    async def aclose(self) -> None:
        await self._pool.aclose()


def _count(chunk: _Body, counted: _Counted, sink: TokenSink | None) -> None:
    """Note the usage an event says, if it does."""
    if chunk.usage is not None and (usage := _usage(chunk.usage)) is not None:
        counted.usage = usage
        if sink is not None:
            sink.counted(usage)


def _token(delta: _Delta | None) -> Token | None:
    """The piece of answer a delta carries, if any."""
    if delta is None or not (delta.content or delta.refusal or delta.tool_calls):
        return None
    return Token(text=delta.content or delta.refusal or "",
                 tool_calls=_tool_calls(delta.tool_calls) if delta.tool_calls else None)


def _salvage(content: Content, sink: TokenSink, counted: _Counted) -> None:
    """What came while a quiet read was cut short, to the sink: its tokens (kept, not
    delivered) and the usage it says. An event begun in an earlier read is lost with the
    line reader; the rest is read as the stream would have been."""
    take = getattr(content, "take_waiting", None)
    data = take() if take is not None else b""
    lines = lf_lines(data).split(b"\n")
    datas = [line[5:].strip() for line in lines if line.startswith(b"data:")]
    chunks, _ = _decode_events([d for d in datas if d and d != b"[DONE]"])
    tokens: list[Token] = []
    for chunk in chunks:
        _count(chunk, counted, sink)
        if chunk.choices and (token := _token(chunk.choices[0].delta)) is not None:
            tokens.append(token)
    if tokens:
        sink.keep(tokens)


def _decode_events(datas: list[bytes]) -> tuple[list[_Body], bytes | None]:
    """The events of one network read, decoded in one call (a call per event costs
    more than the decoding); on a malformed one, the events before it, and it."""
    if len(datas) > 1:
        try:
            chunks = _bodies.decode(b"[" + b",".join(datas) + b"]")
        except (msgspec.DecodeError, msgspec.ValidationError):
            pass
        else:
            if len(chunks) == len(datas):  # not `data: {...},{...}` passed off as two
                return chunks, None
    chunks = []
    for data in datas:
        try:
            chunks.append(_body.decode(data))
        except (msgspec.DecodeError, msgspec.ValidationError):
            return chunks, data
    return chunks, None


# Finish reasons that say the answer broke: OpenRouter's `error` (its provider failed
# mid-answer) and vLLM's `abort` (the engine dropped the request).
_BROKEN = frozenset({"error", "abort"})


class _Counted:
    """The usage a stream reported, kept where its reader's end cannot lose it."""

    __slots__ = ("usage",)

    def __init__(self) -> None:
        self.usage: Usage | None = None


def _outcome(finish: str | None, content: bool, refused: bool,
             usage: Usage | None, *, called: bool = False) -> Reply | Fault:
    """What an answer read to its end (whole or streamed) comes to. Tool calls that end
    with `stop` (older vLLM and Ollama say so) end with `tool_calls`, as OpenAI's do:
    a client's agent loop waits for that, and a cache must not keep them as text."""
    if finish is None:
        return Fault(kind="truncated", message="upstream answer ended without a finish "
                     "reason", usage=usage)
    if finish in _BROKEN:
        return Fault(kind="server_error", message=f"upstream answer ended in an error "
                     f"({finish})", usage=usage)
    if refused and finish == "stop":
        finish = "content_filter"
    elif called and finish == "stop":
        finish = "tool_calls"
    if not content and finish != "content_filter":
        return Fault(kind="empty", message="upstream answered with no content", usage=usage)
    return Reply(finish_reason=finish, usage=usage)


def _error_fault(error: _Error, where: str) -> Fault:
    """An error the upstream sent in a 200 (an error body, an error chunk)."""
    rate_limited = error.code in (429, "429", "rate_limit_exceeded") or \
        error.type in ("rate_limit_exceeded", "rate_limit_error")
    kind: FaultKind = "rate_limited" if rate_limited else "server_error"
    return Fault(kind=kind, message=f"{where}: {error.message[:300]}")


async def _hand_over(run: list[Token], sink: TokenSink | None) -> None:
    """Deliver the tokens gathered so far in one run; empties `run`. Tokens are gathered
    only for a sink that takes runs (a plain `on_token` gets each as it is read)."""
    if not run or sink is None:
        return
    tokens = run.copy()
    run.clear()
    await sink.many(tokens)


def _tool_calls(calls: list[_ToolCall] | None) -> list[ToolCallDelta] | None:
    if not calls:
        return None
    return [ToolCallDelta(index=call.index if call.index is not None else i, id=call.id,
                          name=call.function.name if call.function else None,
                          arguments=(call.function.arguments or "") if call.function else "")
            for i, call in enumerate(calls)]


def _usage(usage: _Usage | None) -> Usage | None:
    if usage is None or usage.prompt_tokens is None or usage.completion_tokens is None:
        return None
    return Usage(prompt_tokens=usage.prompt_tokens, completion_tokens=usage.completion_tokens)
