"""Connections that hold the server without using it, and a caller's leaving as the
metrics count it."""

from __future__ import annotations

import asyncio
import json

import aiohttp
import anyio
import pytest

from bench.fake_upstream import FakeUpstream
from reactor import Router, parse_config
from reactor._server import Server
from tests.conftest import FAST_MODELS
from tests.reactor._support import settle_tasks

HEALTHZ = b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
HELLO = b'{"model": "nano", "messages": [{"role": "user", "content": "hi"}]}'


def keeping_alive(seconds: float) -> str:
    return f"[server]\nkeepalive_timeout_s = {seconds}\n" + FAST_MODELS


async def read_response(reader: asyncio.StreamReader) -> tuple[bytes, bytes]:
    """One response with a Content-Length: its status line and its body."""
    status = await reader.readline()
    head = await reader.readuntil(b"\r\n\r\n")
    length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
    return status, await reader.readexactly(length)


async def closed_by_server(reader: asyncio.StreamReader) -> bool:
    """Wait for the server to end the connection: True once it has."""
    return await reader.read() == b""


@pytest.mark.parametrize("sent", [
    pytest.param(b"", id="nothing"),
    pytest.param(b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n", id="half_a_head"),
    pytest.param(HEALTHZ, id="one_request"),
    pytest.param(HEALTHZ + b"GET /healthz HTTP/1.1\r\nHo", id="one_request_then_half_a_head"),
])
async def test_a_connection_left_waiting_for_a_request_head_is_closed(sent: bytes) -> None:
    async with Router(parse_config(keeping_alive(0.05))) as router, \
            Server(router) as server:
        reader, writer = await asyncio.open_connection(server.host, server.port)
        try:
            with anyio.fail_after(10):
                writer.write(sent)
                if sent.startswith(HEALTHZ):
                    status, _ = await read_response(reader)
                    assert status == b"HTTP/1.1 200 OK\r\n"
                assert await closed_by_server(reader)
        finally:
            writer.close()


async def test_a_request_under_way_outlives_the_keepalive_timeout() -> None:
    # A body that is slow to come (within body_timeout_s): the request is being handled,
    # not waited for, and keep-alive is no reason to drop it.
    head = (b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n"
            b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(HELLO))
    async with Router(parse_config(keeping_alive(0.2))) as router, \
            Server(router) as server:
        reader, writer = await asyncio.open_connection(server.host, server.port)
        try:
            with anyio.fail_after(10):
                writer.write(head)
                # The handler is running (it said so), waiting for the body.
                assert await reader.readuntil(b"\r\n\r\n") == b"HTTP/1.1 100 Continue\r\n\r\n"
                # A connection opened later, left idle, is closed later than this one's
                # keep-alive timer came due.
                later, idle = await asyncio.open_connection(server.host, server.port)
                try:
                    assert await closed_by_server(later)
                finally:
                    idle.close()
                writer.write(HELLO)
                status, body = await read_response(reader)
                # Answered, the connection is idle again, and closes in its turn.
                assert await closed_by_server(reader)
        finally:
            writer.close()
    assert status == b"HTTP/1.1 200 OK\r\n"
    assert json.loads(body)["choices"][0]["message"]["content"]


def test_idle_connections_close_after_75_s_by_default() -> None:
    assert parse_config(FAST_MODELS).server.keepalive_timeout_s == 75.0


# A caller that leaves after the upstream's first word: counted against the model
# that was answering, streamed or not.

UPSTREAM = """
[[models]]
name = "remote"
upstream = {{ kind = "openai", base_url = "{base_url}", api_key = "sk-test" }}
"""


async def _leave_after_the_first_word(session: aiohttp.ClientSession, server: Server,
                                      fake: FakeUpstream, *, stream: bool) -> None:
    body = {"model": "remote", "stream": stream,
            "messages": [{"role": "user", "content": "tell me everything"}]}
    url = server.url + "/v1/chat/completions"
    if stream:
        async with session.post(url, json=body) as response:
            async for line in response.content:
                if line.startswith(b"data: ") and json.loads(line[6:])["choices"][0][
                        "delta"].get("content"):
                    break  # one word arrived; the upstream now hangs
            response.close()
        return

    async def ask() -> None:
        async with session.post(url, json=body):
            pass

    async with anyio.create_task_group() as tg:
        tg.start_soon(ask)
        await fake.hanging.wait()  # the first word is written...
        await settle_tasks()       # ...and the router has read it, holding it
        tg.cancel_scope.cancel()


@pytest.mark.parametrize("stream", [True, False], ids=["streamed", "held"])
async def test_a_caller_leaving_mid_answer_is_counted_against_the_answering_model(
        stream: bool) -> None:
    async with FakeUpstream(output_tokens=50, fault="hang_after_first_token") as fake, \
            Router(parse_config(UPSTREAM.format(base_url=fake.base_url))) as router, \
            Server(router) as server, aiohttp.ClientSession() as session:
        with anyio.fail_after(10):
            await _leave_after_the_first_word(session, server, fake, stream=stream)
            await fake.disconnected.wait()
            while not router.pipeline.metrics.books.requests:
                await anyio.lowlevel.checkpoint()
            async with session.get(server.url + "/metrics") as response:
                exposition = await response.text()
    lines = exposition.splitlines()
    assert 'reactor_requests_total{cache="miss",model="remote",status="cancelled"} 1.0' \
        in lines
    assert not [line for line in lines if line.startswith("reactor_requests_total{") and
                'model="none"' in line]
