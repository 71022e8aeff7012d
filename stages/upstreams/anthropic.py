"""Anthropic's Messages API (Claude), spoken from and back to Reactor's OpenAI shapes.

The request is built by `anthropic_request`. Back: text deltas become tokens; each
`tool_use` block becomes one tool call, indexed by its place among the calls (not among
all blocks), its arguments streamed as they come (`{}` for a call that took none). Stop
reasons are normalised (`end_turn`/`stop_sequence` → stop, `max_tokens` → length,
`tool_use` → tool_calls, `refusal` → content_filter; others pass through). A stream is
whole only with a stop reason and `message_stop`; otherwise `truncated`. Prompt tokens
include cache reads and writes, as OpenAI counts them. A stream that breaks after
`message_delta` gave the output count reports the usage on its fault (`Fault.usage`);
`message_start` alone counts the prompt but only a placeholder of the output, so a
stream broken before is left to be estimated; a sink is told of that usage as it comes
(`TokenSink.counted`), for a call its caller's timers cut short.
"""

from __future__ import annotations

import aiohttp
import msgspec

from reactor import AnthropicUpstream, ChatRequest, Token, ToolCallDelta, Usage
from stages.upstreams import Fault, FaultKind, OnToken, Reply, TokenSink
from stages.upstreams._session import SessionUpstream
from stages.upstreams.anthropic_request import translate
from stages.upstreams.wire import (
    present,
    raw_text,
    read_body,
)

VERSION = "2023-06-01"


class _Usage(msgspec.Struct):
    input_tokens: int | None = None
    output_tokens: int | None = None
    cache_creation_input_tokens: int | None = None
    cache_read_input_tokens: int | None = None

    @property
    def prompt_tokens(self) -> int | None:
        if self.input_tokens is None:
            return None
        return self.input_tokens + (self.cache_creation_input_tokens or 0) + \
            (self.cache_read_input_tokens or 0)


class _Content(msgspec.Struct):
    type: str
    text: str | None = None
    id: str | None = None
    name: str | None = None
    input: msgspec.Raw = msgspec.Raw()


class _Error(msgspec.Struct):
    type: str = ""
    message: str = ""


class _Message(msgspec.Struct):
    content: list[_Content] = []
    stop_reason: str | None = None
    usage: _Usage | None = None
    error: _Error | None = None  # an error body sent with a 200 (by a proxy, say)


class _MessageStart(msgspec.Struct, tag="message_start", tag_field="type"):
    message: _Message


class _BlockStart(msgspec.Struct, tag="content_block_start", tag_field="type"):
    index: int
    content_block: _Content


class _Delta(msgspec.Struct):
    type: str = ""
    text: str | None = None
    partial_json: str | None = None


class _BlockDelta(msgspec.Struct, tag="content_block_delta", tag_field="type"):
    index: int
    delta: _Delta


class _BlockStop(msgspec.Struct, tag="content_block_stop", tag_field="type"):
    index: int


class _Stop(msgspec.Struct):
    stop_reason: str | None = None


class _MessageDelta(msgspec.Struct, tag="message_delta", tag_field="type"):
    delta: _Stop
    usage: _Usage | None = None


class _MessageStop(msgspec.Struct, tag="message_stop", tag_field="type"):
    pass


class _Ping(msgspec.Struct, tag="ping", tag_field="type"):
    pass


class _ErrorEvent(msgspec.Struct, tag="error", tag_field="type"):
    error: _Error


Event = (_MessageStart | _BlockStart | _BlockDelta | _BlockStop | _MessageDelta
         | _MessageStop | _Ping | _ErrorEvent)


class _Kind(msgspec.Struct):
    type: str


_event: msgspec.json.Decoder[Event] = msgspec.json.Decoder(Event)
_kind = msgspec.json.Decoder(_Kind)
_message = msgspec.json.Decoder(_Message)
_KNOWN = frozenset(str(t.__struct_config__.tag) for t in Event.__args__)

_FINISH = {"end_turn": "stop", "stop_sequence": "stop", "max_tokens": "length",
           "tool_use": "tool_calls", "refusal": "content_filter",
           "model_context_window_exceeded": "length"}
_ERROR_KIND: dict[str, FaultKind] = {
    "rate_limit_error": "rate_limited", "authentication_error": "auth",
    "permission_error": "auth", "invalid_request_error": "client_error",
    "not_found_error": "not_found", "request_too_large": "client_error",
}


def finish_reason(stop_reason: str) -> str:
    return _FINISH.get(stop_reason, stop_reason)


def error_fault(error: _Error, where: str = "upstream error mid-stream") -> Fault:
    """An error Anthropic reported inside a 200 (an `error` stream event)."""
    return Fault(kind=_ERROR_KIND.get(error.type, "server_error"),
                 message=f"{where}: {error.type}: {error.message[:300]}")


class StreamAssembly:
    """Reads stream events one at a time: what each one gives the caller, and the end.

    Pure: no I/O, so the whole event protocol can be checked with plain calls.
    """

    def __init__(self) -> None:
        self.calls: dict[int, int] = {}
        """Content block index → the tool call's index among calls."""
        self.unargued: set[int] = set()
        """Blocks of calls whose arguments have not come yet."""
        self.stop_reason: str | None = None
        self.done = False  # `message_stop` came: the answer is over
        self.prompt_tokens: int | None = None
        self.completion_tokens: int | None = None
        self.counted = False  # a `message_delta` gave the output count
        self.content = False

    def feed(self, event: Event) -> Token | Fault | None:
        match event:
            case _MessageStart(message=_Message(usage=usage)):
                self._count(usage)
            case _BlockStart(index=index, content_block=block) if block.type == "tool_use":
                self.calls[index] = len(self.calls)
                self.unargued.add(index)
                self.content = True
                return Token(tool_calls=[ToolCallDelta(index=self.calls[index], id=block.id,
                                                       name=block.name)])
            case _BlockStart(content_block=_Content(type="text", text=str(text))) if text:
                self.content = True
                return Token(text=text)
            case _BlockDelta(delta=_Delta(type="text_delta", text=str(text))) if text:
                self.content = True
                return Token(text=text)
            case _BlockDelta(index=index, delta=_Delta(type="input_json_delta",
                                                        partial_json=str(part))) \
                    if part and index in self.calls:
                # Input of blocks that are not our tool calls (server tools) is not ours.
                self.unargued.discard(index)
                return Token(tool_calls=[ToolCallDelta(index=self.calls[index],
                                                       arguments=part)])
            case _BlockStop(index=index) if index in self.unargued:
                # A call without arguments streams only an empty piece; OpenAI's callers
                # (and this adapter's whole answers) have `{}` for them, never "".
                self.unargued.discard(index)
                return Token(tool_calls=[ToolCallDelta(index=self.calls[index],
                                                       arguments="{}")])
            case _MessageDelta(delta=_Stop(stop_reason=reason), usage=usage):
                self.stop_reason = reason or self.stop_reason
                self._count(usage)
                self.counted = self.counted or (usage is not None and
                                                usage.output_tokens is not None)
            case _MessageStop():
                self.done = True
            case _ErrorEvent(error=error):
                return error_fault(error)
            case _:
                pass
        return None

    def _count(self, usage: _Usage | None) -> None:
        if usage is None:
            return
        if usage.prompt_tokens:
            self.prompt_tokens = usage.prompt_tokens
        if usage.output_tokens is not None:
            self.completion_tokens = usage.output_tokens

    def end(self) -> Reply | Fault:
        if not self.done:
            return Fault(kind="truncated", message="upstream stream ended without "
                         "message_stop")
        if self.stop_reason is None:
            return Fault(kind="truncated", message="upstream stream ended without a stop "
                         "reason")
        finish = finish_reason(self.stop_reason)
        if not self.content and finish != "content_filter":
            return Fault(kind="empty", message="upstream stream carried no content")
        # Without a counted output, `message_start`'s placeholder is no bill: estimated.
        return Reply(finish_reason=finish, usage=self.billed())

    def billed(self) -> Usage | None:
        """What the upstream said the call used so far, once it counted the output."""
        if not self.counted:
            return None
        return Usage(prompt_tokens=self.prompt_tokens or 0,
                     completion_tokens=self.completion_tokens or 0)


def decode_event(data: bytes) -> Event | Fault | None:
    """One stream event; None for event types newer than this adapter (to be skipped)."""
    try:
        return _event.decode(data)
    except (msgspec.DecodeError, msgspec.ValidationError):
        pass
    try:
        kind = _kind.decode(data).type
    except (msgspec.DecodeError, msgspec.ValidationError):
        kind = None
    if kind is not None and kind not in _KNOWN:
        return None
    return Fault(kind="malformed", message=f"upstream sent a malformed stream event: "
                 f"{data[:120]!r}")


def message_reply(message: _Message) -> tuple[Token | None, Reply | Fault]:
    """The one token and the outcome of a whole (non-streamed) message."""
    if message.error is not None:
        return None, error_fault(message.error, "upstream error")
    text = "".join(block.text or "" for block in message.content if block.type == "text")
    calls = [ToolCallDelta(index=i, id=block.id, name=block.name,
                           arguments=raw_text(present(block.input)))
             for i, block in enumerate(b for b in message.content if b.type == "tool_use")]
    if message.stop_reason is None:
        return None, Fault(kind="truncated", message="upstream answer has no stop reason")
    finish = finish_reason(message.stop_reason)
    if not text and not calls:
        if finish == "content_filter":
            return None, Reply(finish_reason=finish, usage=_usage(message.usage))
        return None, Fault(kind="empty", message="upstream answered with empty content")
    return Token(text=text, tool_calls=calls or None), \
        Reply(finish_reason=finish, usage=_usage(message.usage))


def _usage(usage: _Usage | None) -> Usage | None:
    """A whole message's usage; one missing a count is no bill (estimated), not zero."""
    if usage is None or usage.prompt_tokens is None or usage.output_tokens is None:
        return None
    return Usage(prompt_tokens=usage.prompt_tokens, completion_tokens=usage.output_tokens)


class Anthropic(SessionUpstream[AnthropicUpstream, StreamAssembly]):
    provider = "Anthropic"

    def __init__(self, model: str, config: AnthropicUpstream, session: aiohttp.ClientSession,
                 *, connect_timeout_s: float = 5.0) -> None:
        super().__init__(model, config, session, connect_timeout_s=connect_timeout_s)
        self.url = config.base_url.rstrip("/") + "/v1/messages"
        self.upstream_model = config.model or model

    def _headers(self) -> dict[str, str]:
        return {"content-type": "application/json", "anthropic-version": VERSION,
                **self.config.headers, "x-api-key": self._key or ""}

    def _translate(self, request: ChatRequest, stream: bool) -> object:
        return translate(request, self.upstream_model, self.config.max_tokens, stream)

    def _url(self, stream: bool) -> str:
        return self.url

    def _assembly(self) -> StreamAssembly:
        return StreamAssembly()

    async def _read_json(self, response: aiohttp.ClientResponse,
                         on_token: OnToken) -> Reply | Fault:
        message = await read_body(response, _message)
        if isinstance(message, Fault):
            return message
        token, outcome = message_reply(message)
        if token is not None:
            await on_token(token)
        return outcome

    def _event(self, data: bytes, assembly: StreamAssembly,
               sink: TokenSink | None) -> Token | Fault | None:
        event = decode_event(data)
        if event is None or isinstance(event, Fault):
            return event
        given = assembly.feed(event)
        if given is None and sink is not None and isinstance(event, _MessageDelta):
            usage = assembly.billed()
            if usage is not None:
                sink.counted(usage)
        return given
