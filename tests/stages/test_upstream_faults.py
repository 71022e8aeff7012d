"""Every adapter against every fault a provider or the network produces, over real HTTP.

The upstream is `Scripted`: each provider's own bytes (its error bodies, its stream
events), ended as real failures end (FIN, RST, silence). Each test is one fault, run for
every wire format; together they are the matrix of what an adapter must never pass off
as a whole answer, and of what it must say the broken call used.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Literal, NamedTuple

import aiohttp
import anyio
import msgspec
import pytest

from reactor import (
    AnthropicUpstream,
    ChatMessage,
    ChatRequest,
    GeminiUpstream,
    OpenAIUpstream,
    Usage,
)
from stages.upstreams import Fault, Reply, Upstream, wire
from stages.upstreams.anthropic import Anthropic
from stages.upstreams.gemini import Gemini
from stages.upstreams.openai import OpenAICompatible
from tests.stages.upstream_support import (
    End,
    Scripted,
    Sink,
    Texts,
    event_stream,
    response,
    sse,
)

KEY = "sk-faults-test-key"
BILLED = Usage(prompt_tokens=7, completion_tokens=3)
WORDS = ["Wood ", "and ", "cork"]

Finish = Literal["stop", "length", "filter"]


class Wire(NamedTuple):
    """One provider's wire format, as much of it as the faults need."""

    adapter: Callable[[str, aiohttp.ClientSession], Upstream]
    error: Callable[[int, str], bytes]
    """The provider's error body for a status and message."""
    stream: Callable[[list[str], bool, Finish | None, bool], bytes]
    """Stream events: the words, the usage counted (`BILLED`) or not, the finish reason,
    and the format's end marker (`[DONE]`, `message_stop`; Gemini has none)."""
    error_event: Callable[[str], bytes]
    whole: Callable[[str, Finish], bytes]
    """A whole (non-streamed) answer's body, billed `BILLED`."""


def _encode(value: object) -> bytes:
    return msgspec.json.encode(value)


# OpenAI

_OPENAI_FINISH = {"stop": "stop", "length": "length", "filter": "content_filter"}


def _openai_chunk(delta: dict[str, str], finish: str | None = None) -> dict[str, object]:
    return {"id": "chatcmpl-1", "object": "chat.completion.chunk", "model": "m",
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}


def _openai_stream(words: list[str], usage: bool, finish: Finish | None, end: bool) -> bytes:
    events: list[object] = [_openai_chunk({"role": "assistant", "content": ""})]
    events += [_openai_chunk({"content": word}) for word in words]
    if finish is not None:
        events.append(_openai_chunk({}, _OPENAI_FINISH[finish]))
    if usage:
        events.append({"id": "chatcmpl-1", "object": "chat.completion.chunk", "choices": [],
                       "usage": {"prompt_tokens": 7, "completion_tokens": 3,
                                 "total_tokens": 10}})
    return sse(*events, done=end)


def _openai_error(status: int, message: str) -> bytes:
    kind = "server_error" if status >= 500 else "invalid_request_error"
    return _encode({"error": {"message": message, "type": kind, "param": None, "code": None}})


def _openai_whole(text: str, finish: Finish) -> bytes:
    return _encode({"id": "chatcmpl-1", "object": "chat.completion", "model": "m",
                    "choices": [{"index": 0, "finish_reason": _OPENAI_FINISH[finish],
                                 "message": {"role": "assistant", "content": text or None}}],
                    "usage": {"prompt_tokens": 7, "completion_tokens": 3, "total_tokens": 10}})


OPENAI = Wire(
    adapter=lambda base, session: OpenAICompatible(
        "m", OpenAIUpstream(base_url=base + "/v1", api_key=KEY)),
    error=_openai_error,
    stream=_openai_stream,
    error_event=lambda message: sse({"error": {"message": message, "type": "server_error"}}),
    whole=_openai_whole,
)


# Anthropic

_ANTHROPIC_FINISH = {"stop": "end_turn", "length": "max_tokens", "filter": "refusal"}
_ANTHROPIC_ERROR = {400: "invalid_request_error", 401: "authentication_error",
                    404: "not_found_error", 429: "rate_limit_error", 529: "overloaded_error"}


def _events(*events: dict[str, object]) -> bytes:
    return b"".join(f"event: {e['type']}\n".encode() + b"data: " + _encode(e) + b"\n\n"
                    for e in events)


def _anthropic_stream(words: list[str], usage: bool, finish: Finish | None,
                      end: bool) -> bytes:
    events: list[dict[str, object]] = [
        {"type": "message_start", "message": {
            "id": "msg_1", "type": "message", "role": "assistant", "content": [],
            "model": "m", "stop_reason": None,
            "usage": {"input_tokens": 7, "output_tokens": 1}}}]
    if words:
        events.append({"type": "content_block_start", "index": 0,
                       "content_block": {"type": "text", "text": ""}})
        events += [{"type": "content_block_delta", "index": 0,
                    "delta": {"type": "text_delta", "text": word}} for word in words]
    if finish is not None or usage:
        if words:
            events.append({"type": "content_block_stop", "index": 0})
        delta: dict[str, object] = {"type": "message_delta", "delta": {
            "stop_reason": _ANTHROPIC_FINISH[finish] if finish else None}}
        if usage:
            delta["usage"] = {"output_tokens": 3}
        events.append(delta)
    if end:
        events.append({"type": "message_stop"})
    return _events(*events)


def _anthropic_error(status: int, message: str) -> bytes:
    return _encode({"type": "error", "error": {
        "type": _ANTHROPIC_ERROR.get(status, "api_error"), "message": message}})


def _anthropic_whole(text: str, finish: Finish) -> bytes:
    return _encode({"id": "msg_1", "type": "message", "role": "assistant", "model": "m",
                    "content": [{"type": "text", "text": text}] if text else [],
                    "stop_reason": _ANTHROPIC_FINISH[finish], "stop_sequence": None,
                    "usage": {"input_tokens": 7, "output_tokens": 3}})


ANTHROPIC = Wire(
    adapter=lambda base, session: Anthropic(
        "m", AnthropicUpstream(base_url=base, api_key=KEY), session),
    error=_anthropic_error,
    stream=_anthropic_stream,
    error_event=lambda message: _events(
        {"type": "error", "error": {"type": "overloaded_error", "message": message}}),
    whole=_anthropic_whole,
)


# Gemini

_GEMINI_FINISH = {"stop": "STOP", "length": "MAX_TOKENS", "filter": "SAFETY"}
_GEMINI_STATUS = {400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 404: "NOT_FOUND",
                  429: "RESOURCE_EXHAUSTED", 503: "UNAVAILABLE"}


def _gemini_events(*chunks: object) -> bytes:
    # Google frames its events with CRLF pairs.
    return b"".join(b"data: " + _encode(chunk) + b"\r\n\r\n" for chunk in chunks)


def _gemini_stream(words: list[str], usage: bool, finish: Finish | None, end: bool) -> bytes:
    chunks: list[dict[str, object]] = [
        {"candidates": [{"content": {"role": "model", "parts": [{"text": word}]},
                         "index": 0}]} for word in words]
    if finish is not None:
        chunks.append({"candidates": [{"finishReason": _GEMINI_FINISH[finish], "index": 0}]})
    for chunk in chunks:
        chunk["usageMetadata"] = {"promptTokenCount": 7}
    if usage and chunks:
        chunks[-1]["usageMetadata"] = {"promptTokenCount": 7, "candidatesTokenCount": 3,
                                       "totalTokenCount": 10}
    return _gemini_events(*chunks)


def _gemini_error(status: int, message: str) -> bytes:
    return _encode({"error": {"code": status, "message": message,
                              "status": _GEMINI_STATUS.get(status, "INTERNAL")}})


def _gemini_whole(text: str, finish: Finish) -> bytes:
    candidate: dict[str, object] = {"finishReason": _GEMINI_FINISH[finish], "index": 0}
    if text:
        candidate["content"] = {"role": "model", "parts": [{"text": text}]}
    return _encode({"candidates": [candidate], "usageMetadata": {
        "promptTokenCount": 7, "candidatesTokenCount": 3, "totalTokenCount": 10}})


GEMINI = Wire(
    adapter=lambda base, session: Gemini(
        "m", GeminiUpstream(base_url=base, api_key=KEY), session),
    error=_gemini_error,
    stream=_gemini_stream,
    error_event=lambda message: _gemini_events(
        {"error": {"code": 500, "message": message, "status": "INTERNAL"}}),
    whole=_gemini_whole,
)

WIRES = {"openai": OPENAI, "anthropic": ANTHROPIC, "gemini": GEMINI}


@pytest.fixture(params=list(WIRES))
def provider(request: pytest.FixtureRequest) -> Wire:
    return WIRES[request.param]


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


def ask(stream: bool) -> ChatRequest:
    return ChatRequest(model="m", stream=stream,
                       messages=[ChatMessage(role="user", content="What floats?")])


async def answer(provider: Wire, session: aiohttp.ClientSession, *script: tuple[bytes, End],
                 stream: bool) -> tuple[Reply | Fault, Texts]:
    """What the adapter made of the scripted answers, and the pieces it passed on."""
    texts = Texts()
    async with Scripted(*script) as upstream:
        adapter = provider.adapter(upstream.base_url, session)
        try:
            with anyio.fail_after(5):
                result = await adapter.call(ask(stream), stream=stream, on_token=texts)
        finally:
            await adapter.aclose()
    return result, texts


def fault(result: Reply | Fault) -> Fault:
    assert isinstance(result, Fault), f"expected a fault, got {result!r}"
    assert KEY not in result.message
    return result


STREAMS = pytest.mark.parametrize("stream", [False, True], ids=["json", "stream"])
BREAKS = pytest.mark.parametrize("end", ["close", "reset"])


# Before an answer


@STREAMS
@BREAKS
async def test_a_connection_broken_before_the_answer_is_connect(
        provider: Wire, session: aiohttp.ClientSession, stream: bool, end: End) -> None:
    # A pooled connection the server closed meanwhile ends the same way: the call never
    # reached a model, so it is a connection fault whichever way the socket went.
    result, texts = await answer(provider, session, (b"", end), stream=stream)

    assert fault(result).kind == "connect"
    assert texts.pieces == []


@STREAMS
async def test_an_answer_that_is_not_http_is_malformed(
        provider: Wire, session: aiohttp.ClientSession, stream: bool) -> None:
    result, _ = await answer(provider, session, (b"SSH-2.0-OpenSSH_9.6\r\n\r\n", "close"),
                             stream=stream)

    assert fault(result).kind == "malformed"


@STREAMS
@pytest.mark.parametrize(("status", "kind"), [
    (400, "client_error"), (404, "not_found"), (500, "server_error"),
    (503, "server_error"), (529, "server_error"),
])
async def test_an_error_status_says_the_providers_own_message(
        provider: Wire, session: aiohttp.ClientSession, stream: bool, status: int,
        kind: str) -> None:
    body = provider.error(status, "the model is having a moment")

    result, texts = await answer(provider, session, (response(status, body), "keep"),
                                 stream=stream)

    got = fault(result)
    assert (got.kind, got.status) == (kind, status)
    assert "the model is having a moment" in got.message
    assert texts.pieces == []


async def test_refused_credentials_are_auth(provider: Wire,
                                            session: aiohttp.ClientSession) -> None:
    body = provider.error(401, f"invalid x-api-key {KEY}")

    result, _ = await answer(provider, session, (response(401, body), "keep"), stream=True)

    assert (fault(result).kind, fault(result).status) == ("auth", 401)


@STREAMS
@pytest.mark.parametrize("page", [
    b"<html><body><h1>502 Bad Gateway</h1></body></html>",
    b"<!DOCTYPE html>\n<html><head><meta charset=utf-8>" + b"<style>p{}</style>" * 50 +
    b"<title>example.com | 502: Bad gateway</title></head><body>...</body></html>",
], ids=["plain", "long-head"])
async def test_an_error_page_that_is_not_json_still_says_its_status_in_a_line(
        provider: Wire, session: aiohttp.ClientSession, stream: bool, page: bytes) -> None:
    result, _ = await answer(provider, session,
                             (response(502, page, content_type="text/html"), "keep"),
                             stream=stream)

    got = fault(result)
    assert (got.kind, got.status) == ("server_error", 502)
    assert "502" in got.message.removeprefix("upstream answered 502")
    assert "Bad" in got.message and "<" not in got.message


@pytest.mark.parametrize("body", [
    b'{"error": "model \\"m\\" not found, try pulling it first"}',  # Ollama
    b'{"object": "error", "message": "The model m does not exist.", "type": "NotFoundError",'
    b' "param": null, "code": 404}',  # vLLM
], ids=["ollama", "vllm"])
async def test_the_error_bodies_of_openai_compatible_servers_are_read(
        session: aiohttp.ClientSession, body: bytes) -> None:
    result, _ = await answer(OPENAI, session, (response(404, body), "keep"), stream=True)

    got = fault(result)
    assert (got.kind, got.status) == ("not_found", 404)
    assert "not" in got.message and "{" not in got.message


async def test_an_error_body_that_stalls_still_says_its_status(
        provider: Wire, session: aiohttp.ClientSession, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(wire, "BODY_TAIL_S", 0.01)
    body = provider.error(503, "overloaded")

    result, _ = await answer(provider, session,
                             (response(503, body[:10], length=len(body)), "hold"), stream=True)

    got = fault(result)
    assert (got.kind, got.status) == ("server_error", 503)


@BREAKS
async def test_an_error_body_cut_short_still_says_its_status(
        provider: Wire, session: aiohttp.ClientSession, end: End) -> None:
    body = provider.error(503, "overloaded")

    result, _ = await answer(provider, session,
                             (response(503, body, length=len(body) + 100), end), stream=True)

    got = fault(result)
    assert (got.kind, got.status) == ("server_error", 503)


@pytest.mark.parametrize(("headers", "seconds"), [
    ({"Retry-After": "7"}, 7.0),
    ({"Retry-After": "Tue, 01 Dec 2026 12:00:30 GMT",
      "Date": "Tue, 01 Dec 2026 12:00:00 GMT"}, 30.0),
    ({"Retry-After": "Tue, 01 Dec 2026 11:59:00 GMT",
      "Date": "Tue, 01 Dec 2026 12:00:00 GMT"}, 0.0),
    ({"retry-after-ms": "1500", "Retry-After": "2"}, 1.5),
    ({"Retry-After": "soon"}, None),
])
async def test_a_429_says_when_to_come_back_in_seconds_or_as_a_date(
        provider: Wire, session: aiohttp.ClientSession, headers: dict[str, str],
        seconds: float | None) -> None:
    body = provider.error(429, "rate limit reached")

    result, _ = await answer(provider, session, (response(429, body, headers=headers), "keep"),
                             stream=True)

    got = fault(result)
    assert (got.kind, got.status, got.retry_after_s) == ("rate_limited", 429, seconds)
    assert "rate limit reached" in got.message


# A whole (non-streamed) answer


@BREAKS
async def test_a_json_answer_shorter_than_its_content_length_is_truncated(
        provider: Wire, session: aiohttp.ClientSession, end: End) -> None:
    body = provider.whole("Wood and cork", "stop")

    result, texts = await answer(
        provider, session, (response(200, body[: len(body) // 2], length=len(body)), end),
        stream=False)

    assert fault(result).kind == "truncated"
    assert texts.pieces == []


@STREAMS
@pytest.mark.parametrize(("finish", "reason"), [("length", "length"),
                                                ("filter", "content_filter")])
async def test_an_answer_cut_by_its_limit_or_a_filter_is_whole_and_says_so(
        provider: Wire, session: aiohttp.ClientSession, stream: bool, finish: Finish,
        reason: str) -> None:
    body = event_stream(provider.stream(WORDS, True, finish, True)) if stream else \
        response(200, provider.whole("".join(WORDS), finish))

    result, texts = await answer(provider, session, (body, "keep"), stream=stream)

    assert isinstance(result, Reply)
    assert result.finish_reason == reason
    assert result.usage == BILLED
    assert texts.text == "".join(WORDS)


@STREAMS
async def test_an_answer_filtered_before_its_first_word_is_a_filtered_answer_not_a_failure(
        provider: Wire, session: aiohttp.ClientSession, stream: bool) -> None:
    # The request was heard and answered "no": retrying it elsewhere would not be right.
    body = event_stream(provider.stream([], True, "filter", True)) if stream else \
        response(200, provider.whole("", "filter"))

    result, texts = await answer(provider, session, (body, "keep"), stream=stream)

    assert isinstance(result, Reply)
    assert result.finish_reason == "content_filter"
    assert texts.pieces == []


@STREAMS
async def test_an_openai_refusal_is_a_filtered_answer_that_says_why(
        session: aiohttp.ClientSession, stream: bool) -> None:
    # Structured outputs put a refusal in `refusal`, not `content`, and finish `stop`.
    body = event_stream(sse(_openai_chunk({"refusal": "I can't "}),
                            _openai_chunk({"refusal": "help with that."}),
                            _openai_chunk({}, "stop"), done=True)) if stream else \
        response(200, _encode({"choices": [{"index": 0, "finish_reason": "stop", "message": {
            "content": None, "refusal": "I can't help with that."}}]}))

    result, texts = await answer(OPENAI, session, (body, "keep"), stream=stream)

    assert isinstance(result, Reply)
    assert result.finish_reason == "content_filter"
    assert texts.text == "I can't help with that."


# A stream that breaks


@BREAKS
async def test_a_stream_cut_after_some_words_is_truncated_and_keeps_them(
        provider: Wire, session: aiohttp.ClientSession, end: End) -> None:
    body = event_stream(provider.stream(WORDS, False, None, False), whole=False)

    result, texts = await answer(provider, session, (body, end), stream=True)

    got = fault(result)
    assert got.kind == "truncated"
    assert got.usage is None  # nothing was counted: the words are to be estimated
    assert texts.pieces == WORDS


@BREAKS
async def test_a_stream_cut_after_its_usage_was_counted_reports_that_usage(
        provider: Wire, session: aiohttp.ClientSession, end: End) -> None:
    body = event_stream(provider.stream(WORDS, True, None, False), whole=False)

    result, texts = await answer(provider, session, (body, end), stream=True)

    got = fault(result)
    assert (got.kind, got.usage) == ("truncated", BILLED)
    assert texts.pieces == WORDS


@BREAKS
@pytest.mark.parametrize("kind", ["openai", "anthropic"])
async def test_a_stream_cut_after_its_finish_but_before_its_end_marker_reports_its_usage(
        session: aiohttp.ClientSession, kind: str, end: End) -> None:
    # OpenAI's usage chunk comes after the finish reason, Anthropic's count with it: a
    # connection lost before `[DONE]` / `message_stop` must not lose what was billed.
    provider = WIRES[kind]
    body = event_stream(provider.stream(WORDS, True, "stop", False), whole=False)

    result, texts = await answer(provider, session, (body, end), stream=True)

    assert (fault(result).kind, fault(result).usage) == ("truncated", BILLED)
    assert texts.pieces == WORDS


async def test_a_stream_that_ends_cleanly_without_its_finish_is_truncated(
        provider: Wire, session: aiohttp.ClientSession) -> None:
    body = event_stream(provider.stream(WORDS, True, None, False))

    result, texts = await answer(provider, session, (body, "keep"), stream=True)

    assert (fault(result).kind, fault(result).usage) == ("truncated", BILLED)
    assert texts.pieces == WORDS


async def test_a_malformed_event_is_malformed_and_keeps_what_came_and_was_counted(
        provider: Wire, session: aiohttp.ClientSession) -> None:
    body = provider.stream(WORDS, True, None, False) + b'data: {"choices": [{"delta": \n\n'

    result, texts = await answer(provider, session, (event_stream(body, whole=False), "hold"),
                                 stream=True)

    assert (fault(result).kind, fault(result).usage) == ("malformed", BILLED)
    assert texts.pieces == WORDS


async def test_an_error_event_mid_stream_is_a_fault_with_the_providers_message(
        provider: Wire, session: aiohttp.ClientSession) -> None:
    body = provider.stream(WORDS[:1], False, None, False) + provider.error_event("Overloaded")

    result, texts = await answer(provider, session, (event_stream(body), "keep"), stream=True)

    got = fault(result)
    assert got.kind == "server_error"
    assert "Overloaded" in got.message
    assert texts.pieces == WORDS[:1]


RATE_LIMITED_MID_STREAM = {
    "openai": sse({"error": {"message": "Rate limit reached for requests",
                             "type": "requests", "code": "rate_limit_exceeded"}}),
    "anthropic": _events({"type": "error", "error": {"type": "rate_limit_error",
                                                     "message": "Rate limit reached"}}),
    "gemini": _gemini_events({"error": {"code": 429, "message": "Rate limit reached",
                                        "status": "RESOURCE_EXHAUSTED"}}),
}


@pytest.mark.parametrize("kind", list(WIRES))
async def test_a_rate_limit_mid_stream_is_rate_limited(
        session: aiohttp.ClientSession, kind: str) -> None:
    provider = WIRES[kind]
    body = provider.stream(WORDS[:1], False, None, False) + RATE_LIMITED_MID_STREAM[kind]

    result, _ = await answer(provider, session, (event_stream(body), "keep"), stream=True)

    assert fault(result).kind == "rate_limited"
    assert "Rate limit reached" in fault(result).message


@STREAMS
@pytest.mark.parametrize("reason", ["error", "abort"])
async def test_a_finish_reason_that_says_the_answer_broke_is_a_fault_not_an_answer(
        session: aiohttp.ClientSession, stream: bool, reason: str) -> None:
    # OpenRouter ends a stream its provider broke with `error`, vLLM an aborted one `abort`.
    body = event_stream(sse(_openai_chunk({"content": "Wood "}), _openai_chunk({}, reason),
                            done=True)) if stream else \
        response(200, _encode({"choices": [{"index": 0, "finish_reason": reason,
                                            "message": {"content": "Wood "}}]}))

    result, _ = await answer(OPENAI, session, (body, "keep"), stream=stream)

    assert fault(result).kind == "server_error"


@pytest.mark.parametrize(("reason", "kind"), [
    ("OTHER", "truncated"), ("FINISH_REASON_UNSPECIFIED", "truncated"),
    ("SOMETHING_NEWER", "truncated"), ("UNEXPECTED_TOOL_CALL", "malformed"),
])
async def test_a_gemini_answer_stopped_for_no_reason_given_is_not_passed_off_as_filtered(
        session: aiohttp.ClientSession, reason: str, kind: str) -> None:
    body = _gemini_events(
        {"candidates": [{"content": {"role": "model", "parts": [{"text": "Wood "}]}}]},
        {"candidates": [{"finishReason": reason}], "usageMetadata": {
            "promptTokenCount": 7, "candidatesTokenCount": 3}})

    result, texts = await answer(GEMINI, session, (event_stream(body), "keep"), stream=True)

    assert fault(result).kind == kind
    assert reason in fault(result).message
    assert texts.pieces == ["Wood "]


# What an answer used


async def test_a_whole_stream_that_never_counted_its_output_has_no_usage_rather_than_zero(
        provider: Wire, session: aiohttp.ClientSession) -> None:
    # Anthropic's `message_start` holds only a placeholder of the output; Gemini's chunks
    # may count the prompt alone: billing either as the answer's usage would bill its
    # words as nothing. No usage is estimated from the words instead.
    body = event_stream(provider.stream(WORDS, False, "stop", True))

    result, texts = await answer(provider, session, (body, "keep"), stream=True)

    assert isinstance(result, Reply)
    assert result.usage is None
    assert texts.pieces == WORDS


@pytest.mark.parametrize(("kind", "stream", "body"), [
    ("openai", True, event_stream(sse(_openai_chunk({"content": "Wood"}), _openai_chunk({}, "stop"),
                                {"choices": [], "usage": {"prompt_tokens": 7}}, done=True))),
    ("openai", False, response(200, _encode({"choices": [{"index": 0, "finish_reason": "stop",
                                                   "message": {"content": "Wood"}}],
                                      "usage": {"total_tokens": 10}}))),
    ("anthropic", False, response(200, _encode({"content": [{"type": "text", "text": "Wood"}],
                                         "stop_reason": "end_turn",
                                         "usage": {"input_tokens": 7}}))),
], ids=["openai-stream", "openai-json", "anthropic-json"])
async def test_usage_missing_a_count_is_no_usage_rather_than_zero(
        session: aiohttp.ClientSession, kind: str, stream: bool, body: bytes) -> None:
    result, texts = await answer(WIRES[kind], session, (body, "keep"), stream=stream)

    assert isinstance(result, Reply)
    assert result.usage is None
    assert texts.text == "Wood"


# What the body is not


async def test_a_json_answer_to_a_stream_request_is_read_as_the_answer(
        provider: Wire, session: aiohttp.ClientSession) -> None:
    # Some servers (and proxies) answer a stream request whole, as JSON.
    body = response(200, provider.whole("Wood and cork", "stop"))

    result, texts = await answer(provider, session, (body, "keep"), stream=True)

    assert isinstance(result, Reply)
    assert (result.finish_reason, result.usage) == ("stop", BILLED)
    assert texts.text == "Wood and cork"


async def test_an_event_stream_answering_a_request_for_a_whole_answer_is_read(
        provider: Wire, session: aiohttp.ClientSession) -> None:
    # Some servers always stream.
    body = event_stream(provider.stream(WORDS, True, "stop", True))

    result, texts = await answer(provider, session, (body, "keep"), stream=False)

    assert isinstance(result, Reply)
    assert (result.finish_reason, result.usage) == ("stop", BILLED)
    assert texts.text == "".join(WORDS)


async def test_a_json_error_in_a_200_to_a_stream_request_says_the_error(
        provider: Wire, session: aiohttp.ClientSession) -> None:
    body = response(200, provider.error(500, "the engine is down"))

    result, _ = await answer(provider, session, (body, "keep"), stream=True)

    got = fault(result)
    assert got.kind == "server_error"
    assert "the engine is down" in got.message


@STREAMS
async def test_a_web_page_in_a_200_is_malformed(
        provider: Wire, session: aiohttp.ClientSession, stream: bool) -> None:
    # A captive portal or a misconfigured proxy answering for the provider.
    page = b"<html><body>Please sign in to the network</body></html>"

    result, texts = await answer(provider, session,
                                 (response(200, page, content_type="text/html"), "keep"),
                                 stream=stream)

    got = fault(result)
    assert got.kind == "malformed"
    assert "text/html" in got.message
    assert texts.pieces == []


async def test_an_event_of_megabytes_is_read_whole(
        provider: Wire, session: aiohttp.ClientSession) -> None:
    # aiohttp's own line reader gives up past 512 KiB; a long answer in one event must not.
    long = "float " * 400_000
    body = event_stream(provider.stream([long], True, "stop", True))

    result, texts = await answer(provider, session, (body, "keep"), stream=True)

    assert isinstance(result, Reply)
    assert texts.text == long


async def test_an_event_that_never_ends_is_malformed(
        provider: Wire, session: aiohttp.ClientSession,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(wire, "MAX_EVENT_BYTES", 4096)
    body = provider.stream(WORDS, False, None, False) + b"data: " + b"x" * 10_000

    result, texts = await answer(provider, session, (event_stream(body, whole=False), "hold"),
                                 stream=True)

    assert fault(result).kind == "malformed"
    assert texts.pieces == WORDS


async def test_a_whole_answer_larger_than_any_answer_is_malformed(
        provider: Wire, session: aiohttp.ClientSession,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(wire, "MAX_EVENT_BYTES", 4096)
    body = provider.whole("float " * 2000, "stop")

    result, texts = await answer(provider, session, (response(200, body), "keep"),
                                 stream=False)

    assert fault(result).kind == "malformed"
    assert texts.pieces == []


# Silence


@STREAMS
async def test_silence_after_the_headers_is_left_to_the_callers_timers(
        provider: Wire, session: aiohttp.ClientSession, stream: bool) -> None:
    # The stall and first-token timers are the caller's (`stages.attempt`): the adapter
    # waits, and when the caller gives up, hangs up on the upstream.
    head = event_stream(b"", whole=False) if stream else \
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 400\r\n\r\n"
    returned: list[Reply | Fault] = []
    async with Scripted((head, "hold")) as upstream:
        adapter = provider.adapter(upstream.base_url, session)

        async def run() -> None:
            returned.append(await adapter.call(ask(stream), stream=stream, on_token=Texts()))

        with anyio.fail_after(5):
            async with anyio.create_task_group() as tg:
                tg.start_soon(run)
                await upstream.held.wait()
                await anyio.wait_all_tasks_blocked()
                tg.cancel_scope.cancel()
            await upstream.hung_up.wait()
    assert returned == [], "cancellation must propagate, not become a result"


async def test_a_stream_that_stalls_after_its_usage_was_counted_has_told_the_sink(
        provider: Wire, session: aiohttp.ClientSession) -> None:
    # The stall timer cancels the call, so no fault can carry the usage: the sink must
    # already know what the upstream billed.
    body = event_stream(provider.stream(WORDS, True, None, False), whole=False)
    sink = Sink()
    async with Scripted((body, "hold")) as upstream:
        adapter = provider.adapter(upstream.base_url, session)
        with anyio.fail_after(5):
            async with anyio.create_task_group() as tg:
                tg.start_soon(lambda: adapter.call(ask(True), stream=True, on_token=sink))
                await sink.counting.wait()
                await anyio.wait_all_tasks_blocked()  # what was sent is all read
                tg.cancel_scope.cancel()
    assert sink.usage == BILLED
    assert sink.text == "".join(WORDS)
