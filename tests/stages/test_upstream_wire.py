"""Event-stream lines as `stages.upstreams.wire` reads them from a response body, and
what every adapter does with the body's end after its last event."""

from __future__ import annotations

import asyncio

import aiohttp
import anyio
import pytest
from aiohttp.base_protocol import BaseProtocol

from reactor import (
    AnthropicUpstream,
    ChatMessage,
    ChatRequest,
    GeminiUpstream,
    OpenAIUpstream,
)
from stages.upstreams import Fault, Reply, Upstream, retry_after, wire
from stages.upstreams.anthropic import Anthropic
from stages.upstreams.gemini import Gemini
from stages.upstreams.openai import OpenAICompatible
from tests.stages.upstream_support import FINAL_EVENT, HeldTail, Sink


def body() -> aiohttp.StreamReader:
    loop = asyncio.get_running_loop()
    return aiohttp.StreamReader(BaseProtocol(loop), 2**16, loop=loop)


async def test_lines_come_whole_however_the_reads_cut_them() -> None:
    content = body()
    batches = wire.sse_line_batches(content)
    content.feed_data(b"data: one\r\n\r\ndata: t")
    assert await anext(batches) == [b"data: one", b""]
    content.feed_data(b"wo")
    content.feed_data(b"\n\ndata: three\n")
    assert await anext(batches) == [b"data: two", b"", b"data: three"]
    content.feed_data(b"\ndata: [DONE]")
    content.feed_eof()
    assert await anext(batches) == [b""]
    assert await anext(batches) == [b"data: [DONE]"]
    with pytest.raises(StopAsyncIteration):
        await anext(batches)


async def test_one_at_a_time_gives_the_same_lines() -> None:
    content = body()
    content.feed_data(b"event: x\r\ndata: {}\r\n\r\n")
    content.feed_eof()
    assert [line async for line in wire.sse_lines(content)] == [b"event: x", b"data: {}", b""]


async def test_an_endless_line_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(wire, "MAX_EVENT_BYTES", 10)
    content = body()
    batches = wire.sse_line_batches(content)
    content.feed_data(b"data: 123")
    content.feed_data(b"45678")
    with pytest.raises(wire.OversizedEvent):
        await anext(batches)


@pytest.mark.parametrize(("headers", "seconds"), [
    ({}, None),
    ({"Retry-After": "2.5"}, 2.5),
    ({"Retry-After": "-3"}, 0.0),
    ({"Retry-After": "Wed, 02 Dec 2026 00:01:00 GMT"}, None),  # no Date to count from
    ({"Retry-After": "Wed, 02 Dec 2026 00:01:00 GMT",
      "Date": "Tue, 01 Dec 2026 23:59:30 GMT"}, 90.0),
    ({"Retry-After": "Wed, 02 Dec 2026 00:01:00 GMT", "Date": "yesterday"}, None),
    ({"retry-after-ms": "250"}, 0.25),
    ({"retry-after-ms": "soon", "Retry-After": "4"}, 4.0),
])
def test_retry_after_reads_seconds_milliseconds_and_dates(
        headers: dict[str, str], seconds: float | None) -> None:
    assert retry_after(headers) == seconds


@pytest.mark.parametrize(("body", "detail"), [
    ('{"error": {"message": "Rate limit\\n reached", "type": "requests"}}',
     "Rate limit reached"),
    ('{"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}',
     "Overloaded"),
    ('{"error": "model not found"}', "model not found"),
    ('{"object": "error", "message": "bad request", "code": 400}', "bad request"),
    ('{"error": {"code": 7}}', '{"error": {"code": 7}}'),
    ("<html><head><title> 504 Gateway\n Time-out </title></head><body>x</body></html>",
     "504 Gateway Time-out"),
    ("<html><body><h1>Bad</h1> <p>gateway</p></body></html>", "Bad gateway"),
    ("upstream connect error or disconnect/reset before headers", "upstream connect error "
     "or disconnect/reset before headers"),
    ("x" * 1000, "x" * 300),
])
def test_an_error_body_is_said_in_one_short_line(body: str, detail: str) -> None:
    assert wire.error_detail(body) == detail


# The body's tail: what follows a stream's last event


def _adapter(kind: str, base_url: str, session: aiohttp.ClientSession) -> Upstream:
    match kind:
        case "openai":
            return OpenAICompatible("m", OpenAIUpstream(base_url=base_url + "/v1",
                                                        api_key="sk-test"))
        case "anthropic":
            return Anthropic("m", AnthropicUpstream(base_url=base_url, api_key="sk-test"),
                             session)
        case _:
            return Gemini("m", GeminiUpstream(base_url=base_url, api_key="sk-test"), session)


ASK = ChatRequest(model="m", stream=True, messages=[ChatMessage(role="user", content="Hi")])


@pytest.mark.parametrize("kind", list(FINAL_EVENT))
async def test_the_answer_is_whole_at_its_last_event_and_the_connection_is_pooled_after(
        kind: str) -> None:
    async with HeldTail(FINAL_EVENT[kind]) as upstream, aiohttp.ClientSession() as session:
        adapter = _adapter(kind, upstream.base_url, session)
        for _ in range(2):
            upstream.release.clear()
            sink = Sink()
            results: list[Reply | Fault] = []

            async def ask(sink: Sink = sink, results: list[Reply | Fault] = results
                          ) -> None:
                results.append(await adapter.call(ASK, stream=True, on_token=sink))

            with anyio.fail_after(5):
                async with anyio.create_task_group() as tg:
                    tg.start_soon(ask)
                    await sink.whole.wait()
                    assert sink.text == "hi" and isinstance(sink.reply, Reply)
                    assert results == []  # still reading the body's end
                    upstream.release.set()
            assert results == [sink.reply]
        await adapter.aclose()
    assert upstream.requests == 2
    assert upstream.connections == 1


@pytest.mark.parametrize("kind", list(FINAL_EVENT))
async def test_a_connection_dropped_after_the_last_event_keeps_the_answer(kind: str) -> None:
    async with HeldTail(FINAL_EVENT[kind], drop=True) as upstream, \
            aiohttp.ClientSession() as session:
        sink = Sink()
        adapter = _adapter(kind, upstream.base_url, session)
        with anyio.fail_after(5):
            result = await adapter.call(ASK, stream=True, on_token=sink)
        await adapter.aclose()
    assert isinstance(result, Reply) and result.finish_reason == "stop"
    assert sink.text == "hi"
