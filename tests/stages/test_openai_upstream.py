"""The OpenAI-compatible adapter, over real HTTP against `bench.fake_upstream`."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import anyio
import anyio.lowlevel
import msgspec
import pytest

from bench.fake_server import Seen
from bench.fake_upstream import FakeUpstream, fake_text, fake_words
from reactor import ChatRequest, OpenAIUpstream, Token
from reactor._wire import CacheOptions, Constraints, Preferences, StreamOptions
from stages.upstreams import Fault, Reply, TokenSink
from stages.upstreams.openai import OpenAICompatible, _decode_events, _Delta
from tests.stages import upstream_support
from tests.stages.adapter_cases import (
    BROKEN,
    PROMPT,
    WORDS,
    AdapterTests,
    Broken,
    ErrorStatus,
    Kit,
    matrix,
    request,
)
from tests.stages.upstream_support import sse


class Texts(upstream_support.Texts):
    """Keeps empty pieces too, as this module's tests always have."""

    keep_empty = True


@pytest.fixture
async def opened() -> AsyncIterator[list[OpenAICompatible]]:
    """The adapters a test made, closed (with their connection pools) after it."""
    adapters: list[OpenAICompatible] = []
    yield adapters
    for upstream in adapters:
        await upstream.aclose()


@pytest.fixture
async def fake() -> AsyncIterator[FakeUpstream]:
    async with FakeUpstream(output_tokens=WORDS, retry_after_s=2.5) as fake:
        yield fake


def adapter(base_url: str, opened: list[OpenAICompatible], *,
            model: str | None = "upstream-model", api_key: str | None = "sk-test",
            api_key_env: str | None = None,
            headers: dict[str, str] | None = None) -> OpenAICompatible:
    config = OpenAIUpstream(base_url=base_url, model=model, api_key=api_key,
                            api_key_env=api_key_env, headers=headers or {})
    upstream = OpenAICompatible("router-model", config)
    opened.append(upstream)
    return upstream


def check_sent(seen: Seen[Any], stream: bool) -> None:
    if stream:
        assert seen.body["stream"] is True
        assert seen.body["stream_options"] == {"include_usage": True}
    else:
        assert seen.body.get("stream") in (None, False)


@pytest.fixture
def kit(fake: FakeUpstream, opened: list[OpenAICompatible]) -> Kit:
    return Kit(
        fake=fake, adapter=lambda base_url, **config: adapter(base_url, opened, **config),
        new_fake=FakeUpstream, texts=Texts, key="sk-test", key_header="Authorization",
        key_format="Bearer {}", error_says=("http_429", "rate limit reached"),
        check_sent=check_sent)


error_status = matrix("error_status", [
    ErrorStatus("http_500", "server_error", 500),
    ErrorStatus("http_503", "server_error", 503, 2.5),
    ErrorStatus("http_429", "rate_limited", 429, 2.5),
])
broken_200 = matrix("broken_200", [
    *BROKEN,
    Broken("no_finish_reason", "truncated"),
])


class TestAsEveryAdapter(AdapterTests):
    """The tests every adapter runs (`adapter_cases`), with this module's `kit`."""


async def call(upstream: OpenAICompatible, req: ChatRequest, texts: Texts) -> Reply | Fault:
    with anyio.fail_after(5):
        return await upstream.call(req, stream=req.stream, on_token=texts)


# Happy paths


@pytest.mark.parametrize("stream", [False, True])
async def test_output_limit_is_forwarded_and_length_reported(
        stream: bool, fake: FakeUpstream, opened: list[OpenAICompatible]) -> None:
    texts = Texts()

    result = await call(adapter(fake.base_url, opened), request(stream=stream, max_tokens=2),
                        texts)

    assert isinstance(result, Reply)
    assert result.finish_reason == "length"
    assert texts.text == fake_text(PROMPT, 2)


async def test_stream_without_done_but_with_finish_reason_is_complete(
        fake: FakeUpstream, opened: list[OpenAICompatible]) -> None:
    # The finish reason, not [DONE], is what says the answer is whole.
    fake.faults.append("no_done")
    texts = Texts()

    result = await call(adapter(fake.base_url, opened), request(stream=True), texts)

    assert isinstance(result, Reply)
    assert result.finish_reason == "stop"
    assert texts.text == fake_text(PROMPT, WORDS)


async def test_first_call_fails_and_the_next_succeeds(
        fake: FakeUpstream, opened: list[OpenAICompatible]) -> None:
    fake.faults.extend(["http_503", None])
    upstream = adapter(fake.base_url, opened)

    first = await call(upstream, request(), Texts())
    second = await call(upstream, request(), Texts())

    assert isinstance(first, Fault)
    assert isinstance(second, Reply)
    assert fake.requests == 2


# What is sent upstream


async def test_authorization_carries_the_configured_key_and_extra_headers(
        fake: FakeUpstream, opened: list[OpenAICompatible]) -> None:
    upstream = adapter(fake.base_url, opened, api_key="sk-secret-123",
                       headers={"X-Title": "reactor-tests"})

    await call(upstream, request(), Texts())

    assert fake.last.headers["Authorization"] == "Bearer sk-secret-123"
    assert fake.last.headers["X-Title"] == "reactor-tests"
    assert fake.last.headers["Content-Type"] == "application/json"


async def test_no_key_sends_no_authorization(
        fake: FakeUpstream, opened: list[OpenAICompatible]) -> None:
    await call(adapter(fake.base_url, opened, api_key=None), request(), Texts())

    assert "Authorization" not in fake.last.headers


@pytest.mark.parametrize("stream", [False, True])
async def test_reactor_fields_stay_home_and_the_model_is_the_upstreams(
        stream: bool, fake: FakeUpstream, opened: list[OpenAICompatible]) -> None:
    req = request(stream=stream, mode="accurate", preferences=Preferences(quality=1.0),
                  constraints=Constraints(max_cost_usd=0.01), cache=CacheOptions(mode="off"),
                  temperature=0.25, max_tokens=50, user="u-1")

    await call(adapter(fake.base_url, opened), req, Texts())

    body = fake.last.body
    for field in ("mode", "preferences", "constraints", "cache"):
        assert field not in body
    assert body["model"] == "upstream-model"
    assert body["messages"] == [{"role": "user", "content": PROMPT}]
    assert body["temperature"] == 0.25
    assert body["max_tokens"] == 50
    assert body["user"] == "u-1"


async def test_reasoning_effort_and_verbosity_are_passed_on(
        fake: FakeUpstream, opened: list[OpenAICompatible]) -> None:
    await call(adapter(fake.base_url, opened),
               request(reasoning_effort="high", verbosity="low"), Texts())

    assert fake.last.body["reasoning_effort"] == "high"
    assert fake.last.body["verbosity"] == "low"


async def test_model_name_defaults_to_the_routers_name(
        fake: FakeUpstream, opened: list[OpenAICompatible]) -> None:
    await call(adapter(fake.base_url, opened, model=None), request(), Texts())

    assert fake.last.body["model"] == "router-model"


async def test_caller_stream_options_are_not_forwarded_on_json_calls(
        fake: FakeUpstream, opened: list[OpenAICompatible]) -> None:
    await call(adapter(fake.base_url, opened),
               request(stream_options=StreamOptions(include_usage=True)), Texts())

    assert "stream_options" not in fake.last.body


# Faults


async def test_fault_header_from_config_selects_the_fault(
        fake: FakeUpstream, opened: list[OpenAICompatible]) -> None:
    upstream = adapter(fake.base_url, opened, headers={"x-fake-fault": "http_500"})

    result = await call(upstream, request(), Texts())

    assert isinstance(result, Fault)
    assert result.kind == "server_error"


async def test_stream_event_larger_than_the_line_limit_is_read(
        opened: list[OpenAICompatible]) -> None:
    # aiohttp's own line reader raises LineTooLong past 512 KiB; the adapter must not.
    words = 200_000  # about 1.3 MB of content in one delta
    async with FakeUpstream(output_tokens=words, words_per_chunk=words) as fake:
        texts = Texts()

        result = await call(adapter(fake.base_url, opened), request(stream=True), texts)

    assert isinstance(result, Reply)
    assert texts.text == fake_text(PROMPT, words)


# Connections and sinks


async def test_a_stream_read_to_its_end_leaves_its_connection_for_the_next_call(
        opened: list[OpenAICompatible]) -> None:
    # A server that ends its body only after the client has read `[DONE]` and is idle:
    # a client that let go of the body at `[DONE]` would have closed the connection.
    connections = 0
    events = [{"choices": [{"delta": {"content": "hi"}, "finish_reason": None}]},
              {"choices": [{"delta": {}, "finish_reason": "stop"}]}]
    stream = sse(*events, done=True)

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal connections
        connections += 1
        with contextlib.suppress(asyncio.IncompleteReadError, ConnectionError):
            await serve(reader, writer)
        writer.close()

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while head := await reader.readuntil(b"\r\n\r\n"):
            length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
            await reader.readexactly(length)
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
                         b"Transfer-Encoding: chunked\r\n\r\n"
                         + f"{len(stream):x}\r\n".encode() + stream + b"\r\n")
            await writer.drain()
            # Loop turns let the client read what was sent; then it either waits for
            # the rest of the body or has already given the connection up.
            for _ in range(3):
                await anyio.lowlevel.checkpoint()
            await anyio.wait_all_tasks_blocked()
            writer.write(b"0\r\n\r\n")
            await writer.drain()

    server = await asyncio.start_server(answer, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        upstream = adapter(f"http://127.0.0.1:{port}/v1", opened)
        for _ in range(2):
            texts = Texts()
            assert isinstance(await call(upstream, request(stream=True), texts), Reply)
            assert texts.text == "hi"
    finally:
        server.close()
        await server.wait_closed()
    assert connections == 1


class Runs(TokenSink):
    """A sink that takes runs: every piece, in order, however they were grouped."""

    def __init__(self) -> None:
        self.pieces: list[str] = []

    async def __call__(self, token: Token) -> None:
        self.pieces.append(token.text)

    async def many(self, tokens: list[Token]) -> None:
        self.pieces.extend(token.text for token in tokens)


async def test_a_sink_that_takes_runs_gets_every_piece_in_order(
        fake: FakeUpstream, opened: list[OpenAICompatible]) -> None:
    sink = Runs()

    with anyio.fail_after(5):
        result = await adapter(fake.base_url, opened).call(request(stream=True), stream=True,
                                                            on_token=sink)

    assert isinstance(result, Reply)
    assert sink.pieces == fake_words(PROMPT, WORDS)


async def test_a_sink_that_takes_runs_keeps_what_arrived_before_the_stream_dropped(
        opened: list[OpenAICompatible]) -> None:
    async with FakeUpstream(output_tokens=WORDS, drop_after_tokens=3,
                            fault="drop_mid_stream") as fake:
        sink = Runs()
        with anyio.fail_after(5):
            result = await adapter(fake.base_url, opened).call(
                request(stream=True), stream=True, on_token=sink)

    assert isinstance(result, Fault) and result.kind == "truncated"
    assert sink.pieces == fake_words(PROMPT, WORDS)[:3]


def test_the_events_of_one_read_decode_together_and_a_malformed_one_stops_them() -> None:
    good = b'{"choices": [{"delta": {"content": "hi"}}]}'
    chunks, malformed = _decode_events([good, good])
    assert malformed is None and [c.choices[0].delta for c in chunks] == [
        _Delta(content="hi"), _Delta(content="hi")]
    for bad in (b'{"choices": []},{"choices": []}', b"5", b"", b"{"):
        chunks, malformed = _decode_events([good, bad, good])
        assert len(chunks) == 1 and malformed == bad


CALL = {"index": 0, "id": "c1", "type": "function",
        "function": {"name": "weather", "arguments": "{\"city\": \"Oslo\"}"}}


@pytest.mark.parametrize("stream", [True, False], ids=["streamed", "whole"])
async def test_tool_calls_that_end_with_stop_end_with_tool_calls(
        stream: bool, opened: list[OpenAICompatible]) -> None:
    # Older vLLM and Ollama end a tool call with "stop": a client's agent loop waits for
    # "tool_calls", and a cache would have kept the answer as its (empty) text.
    if stream:
        raw = upstream_support.event_stream(sse(
            {"choices": [{"delta": {"role": "assistant", "tool_calls": [CALL]},
                          "finish_reason": None}]},
            {"choices": [{"delta": {}, "finish_reason": "stop"}]}, done=True))
    else:
        raw = upstream_support.response(200, msgspec.json.encode({"choices": [{
            "message": {"role": "assistant", "content": None, "tool_calls": [CALL]},
            "finish_reason": "stop"}]}))
    async with upstream_support.Scripted((raw, "keep")) as server:
        texts = Texts()
        result = await call(adapter(server.base_url + "/v1", opened), request(stream=stream),
                            texts)
    assert isinstance(result, Reply) and result.finish_reason == "tool_calls"
    assert [c.name for c in texts.calls] == ["weather"] and "Oslo" in texts.arguments()
