"""Edges of the wire the fault matrix (`test_upstream_faults`) leaves out: a Retry-After
that parses as a number yet is none, a 408, a redirect, a stream opening with a byte
order mark or ending its lines in CR, compression nobody asked for, bytes on an idle
pooled connection, keep-alive comments after a stall. Over real HTTP for every wire
format, and through the router where the caller would notice."""

from __future__ import annotations

import asyncio
import gzip
from collections.abc import AsyncIterator
from contextlib import aclosing

import aiohttp
import anyio
import pytest

from bench.fake_upstream import FakeUpstream
from stages.upstreams import Reply, http1, wire
from tests.resilience_support import chat, router_toml, serving, settled
from tests.stages.test_upstream_faults import OPENAI, WIRES, WORDS, Wire, answer, ask, fault
from tests.stages.test_upstream_http1 import Transport, chunk, drain
from tests.stages.upstream_support import (
    RawUpstream,
    Scripted,
    Texts,
    event_stream,
    refused_base_url,
    response,
    sse,
)


@pytest.fixture(params=list(WIRES))
def provider(request: pytest.FixtureRequest) -> Wire:
    return WIRES[request.param]


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


# Retry-After


@pytest.mark.parametrize("headers", [
    {"Retry-After": "inf"}, {"Retry-After": "Infinity"}, {"Retry-After": "1e999"},
    {"Retry-After": "nan"}, {"retry-after-ms": "inf"},
], ids=["inf", "Infinity", "1e999", "nan", "ms-inf"])
async def test_a_retry_after_that_is_no_number_of_seconds_asks_for_no_wait(
        provider: Wire, session: aiohttp.ClientSession, headers: dict[str, str]) -> None:
    body = provider.error(429, "rate limit reached")

    result, _ = await answer(provider, session, (response(429, body, headers=headers), "keep"),
                             stream=True)

    got = fault(result)
    assert (got.kind, got.status, got.retry_after_s) == ("rate_limited", 429, None)


async def test_an_endless_retry_after_neither_breaks_the_answer_nor_shuts_the_model_out(
        ) -> None:
    body = WIRES["openai"].error(429, "rate limit reached")
    limited = response(429, body, headers={"Retry-After": "inf"})
    async with Scripted((limited, "keep")) as upstream:
        # One try a request: each call the upstream hears is a request that reached it.
        config = router_toml(upstream.base_url + "/v1", retry="max_attempts = 1")
        async with serving(config) as (router, server, session):
            for stream in (False, True):
                got = await chat(session, server, stream=stream)
                await settled(router)

                assert got.status == 429, got
                assert got.body is not None and got.body["error"]["code"] == "rate_limited"
    assert upstream.requests == 2


# Status codes


async def test_a_408_is_a_timeout_to_retry_not_the_callers_bad_request(
        provider: Wire, session: aiohttp.ClientSession) -> None:
    result, _ = await answer(provider, session,
                             (response(408, b"request timed out", content_type="text/plain"),
                              "close"), stream=True)

    got = fault(result)
    assert (got.kind, got.status) == ("timeout", 408)


async def test_an_upstream_timing_out_on_the_request_is_a_gateway_timeout_not_a_bad_request(
        ) -> None:
    timed_out = response(408, b"request timed out", content_type="text/plain")
    async with Scripted((timed_out, "close")) as upstream, \
            serving(router_toml(upstream.base_url + "/v1")) as (router, server, session):
        got = await chat(session, server, stream=False)
        await settled(router)

    assert got.status == 504, got
    assert got.body is not None and got.body["error"]["code"] == "timeout"


REDIRECT = b"HTTP/1.1 %d Moved\r\nLocation: http://127.0.0.1:9/v1\r\n" \
    b"Content-Type: text/html\r\nContent-Length: 9\r\n\r\n<a>..</a>"


@pytest.mark.parametrize("status", [301, 307, 308])
async def test_a_redirect_is_the_models_fault_not_the_callers_and_is_not_followed(
        provider: Wire, session: aiohttp.ClientSession, status: int) -> None:
    result, _ = await answer(provider, session, (REDIRECT % status, "keep"), stream=True)

    got = fault(result)
    assert (got.kind, got.status) == ("server_error", status)
    assert "redirect" in got.message


async def test_an_upstream_that_redirects_is_a_bad_gateway_not_a_bad_request() -> None:
    async with Scripted((REDIRECT % 301, "keep")) as upstream, \
            serving(router_toml(upstream.base_url + "/v1")) as (router, server, session):
        got = await chat(session, server, stream=False)
        await settled(router)

    assert got.status == 502, got
    assert got.body is not None and "check the model's URL" in got.body["error"]["message"]


# Event streams


async def test_a_stream_that_opens_with_a_byte_order_mark_loses_no_event(
        provider: Wire, session: aiohttp.ClientSession) -> None:
    body = "\ufeff".encode() + provider.stream(WORDS, True, "stop", True)

    result, texts = await answer(provider, session, (event_stream(body), "keep"), stream=True)

    assert isinstance(result, Reply), result
    assert texts.text == "".join(WORDS)


@pytest.mark.parametrize("end", [b"\r\n", b"\r"], ids=["CRLF", "CR"])
async def test_a_stream_whose_lines_end_in_cr_is_read_as_any_other(
        provider: Wire, session: aiohttp.ClientSession, end: bytes) -> None:
    body = provider.stream(WORDS, True, "stop", True).replace(b"\r\n", b"\n")

    result, texts = await answer(provider, session,
                                 (event_stream(body.replace(b"\n", end)), "keep"), stream=True)

    assert isinstance(result, Reply), result
    assert texts.text == "".join(WORDS)


class Pieces:
    """A body that comes in the given pieces, one a read."""

    def __init__(self, pieces: list[bytes]) -> None:
        self.pieces = pieces

    def at_eof(self) -> bool:
        return not self.pieces

    async def readany(self) -> bytes:
        return self.pieces.pop(0) if self.pieces else b""

    async def iter_any(self) -> AsyncIterator[bytes]:
        while data := await self.readany():
            yield data


@pytest.mark.parametrize("end", [b"\n", b"\r\n", b"\r"], ids=["LF", "CRLF", "CR"])
async def test_the_lines_of_a_stream_are_the_same_however_it_is_split(end: bytes) -> None:
    raw = end.join([b": hi", b"event: delta", b'data: {"a": 1}', b"", b"data: [DONE]", b""])
    for at in range(1, len(raw)):
        async with aclosing(wire.sse_lines(Pieces([raw[:at], raw[at:]]))) as lines:
            got = [line async for line in lines if line]
        assert got == [b": hi", b"event: delta", b'data: {"a": 1}', b"data: [DONE]"], at


# Compression


async def test_the_lean_client_asks_for_no_compression_and_refuses_what_it_was_sent(
        session: aiohttp.ClientSession) -> None:
    async with FakeUpstream() as fake:
        upstream = OPENAI.adapter(fake.base_url.removesuffix("/v1"), session)
        try:
            with anyio.fail_after(5):
                assert isinstance(await upstream.call(ask(True), stream=True, on_token=Texts()),
                                  Reply)
        finally:
            await upstream.aclose()
    assert fake.last.headers["Accept-Encoding"] == "identity"

    for stream in (False, True):
        plain = OPENAI.stream(WORDS, True, "stop", True) if stream else \
            OPENAI.whole("".join(WORDS), "stop")
        packed = response(200, gzip.compress(plain), headers={"Content-Encoding": "gzip"},
                          content_type="text/event-stream" if stream else "application/json")

        result, texts = await answer(OPENAI, session, (packed, "keep"), stream=stream)

        got = fault(result)
        assert got.kind == "malformed" and "gzip" in got.message, got
        assert texts.pieces == []


# The pool


async def test_a_connection_that_heard_bytes_while_idle_is_not_reused() -> None:
    # Say a server wrote a body longer than its Content-Length in two writes: the rest
    # comes once the answer was read and its connection pooled. A request sent on it
    # would have its answer read from wherever the server's bytes now are.
    with refused_base_url() as base_url:
        pool = http1.Pool(base_url, connect_timeout_s=1.0)
        head = pool.request_head("/chat", {})
        idle = http1.Connection(pool)
        idle.connection_made(Transport())
        answered = idle.send(head + b"2\r\n\r\n{}")
        idle.data_received(response(200, b'{"ok": true}'))
        assert await drain((await answered).content) == b'{"ok": true}'
        pool.release(idle)

        idle.data_received(b'{"and": "more"}')

        with anyio.fail_after(5), pytest.raises(http1.ConnectFailed):  # a new one: refused
            await pool.post(head, b"{}")
    assert idle.closed


# Reading quietly, for a caller that takes the answer whole


async def test_a_quiet_reader_hears_events_not_comments() -> None:
    # What it hears keeps the stall timer: SSE comments (a proxy's keep-alives) are no
    # sign that the answer goes on, to a reader woken at every line or to a quiet one.
    pool = http1.Pool("http://127.0.0.1:9/v1", connect_timeout_s=1.0)
    conn = http1.Connection(pool)
    conn.connection_made(Transport())
    answered = conn.send(b"POST / HTTP/1.1\r\n\r\n")
    conn.data_received(event_stream(b"data: one\n\n", whole=False))
    body = (await answered).content
    assert await body.readany() == b"data: one\n\n"
    heard = 0

    def hear() -> None:
        nonlocal heard
        heard += 1

    reading = asyncio.ensure_future(body.read_quietly(hear, b"[DONE]", b"data:"))
    for _ in range(5):  # until the reader waits, quietly
        await asyncio.sleep(0)
    pieces = [b": keep-alive\n\n", b"data: two\n\n", b": keep-alive\n\n", b"da",
              b"ta: three\n\n", b": keep-alive\n\n"]
    heard_at: list[int] = []
    for piece in pieces:
        conn.data_received(chunk(piece))
        heard_at.append(heard)
    assert not reading.done()
    assert heard_at == [0, 1, 1, 1, 2, 2]  # the events (one split), never a comment
    conn.data_received(chunk(b"data: [DONE]\n\n"))
    with anyio.fail_after(5):
        assert await reading == b"".join(pieces) + b"data: [DONE]\n\n"


class KeepAlive(RawUpstream):
    """Answers with one word, then only SSE comments, as a proxy keeps a connection up
    while the model behind it has stalled."""

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool:
        writer.write(event_stream(sse({"choices": [{"delta": {"content": "hi"}}]}),
                                  whole=False))
        while True:
            await writer.drain()
            await anyio.sleep(0.02)  # the proxy's pace, not a wait for anything
            writer.write(chunk(b": keep-alive\n\n"))


@pytest.mark.parametrize("stream", [False, True], ids=["json", "stream"])
async def test_a_stall_behind_keep_alives_is_a_stall_for_every_caller(stream: bool) -> None:
    async with KeepAlive() as upstream, serving(router_toml(
            upstream.base_url + "/v1", retry="max_attempts = 1",
            primary_model="stall_timeout_s = 0.3\nattempt_timeout_s = 2.0")) as served:
        router, server, session = served
        with anyio.fail_after(10):
            got = await chat(session, server, stream=stream)
            await settled(router)

    errors = [got.body["error"]] if got.body is not None else got.errors
    assert len(errors) == 1
    assert "no token for 0.3s" in errors[0]["message"]
