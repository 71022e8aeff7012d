"""Event-stream lines as `stages.upstreams.wire` reads them from a response body."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest
from aiohttp.base_protocol import BaseProtocol

from stages.upstreams import wire


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
