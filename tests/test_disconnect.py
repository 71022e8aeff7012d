"""A caller that goes away cancels the upstream call: the upstream sees its socket close."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import aiohttp
import anyio
import pytest

from bench.fake_upstream import FakeUpstream
from reactor import Started, Token, parse_config
from reactor._router import Router
from reactor._server import Server
from tests.conftest import hold_open


def upstream_config(base_url: str) -> str:
    return f"""
[[models]]
name = "remote"
upstream = {{ kind = "openai", base_url = "{base_url}", api_key = "sk-test" }}
"""


@pytest.fixture
async def fake() -> AsyncIterator[FakeUpstream]:
    async with FakeUpstream(output_tokens=50, fault="hang_after_first_token") as running:
        yield running


@pytest.fixture
async def remote_router(fake: FakeUpstream) -> AsyncIterator[Router]:
    async for running in hold_open(Router(parse_config(upstream_config(fake.base_url)))):
        yield running


async def test_http_client_leaving_mid_stream_closes_the_upstream_connection(
        fake: FakeUpstream, remote_router: Router) -> None:
    async with Server(remote_router) as server:
        with anyio.fail_after(10):
            async with aiohttp.ClientSession() as session:
                body = {"model": "remote", "stream": True,
                        "messages": [{"role": "user", "content": "tell me everything"}]}
                async with session.post(server.url + "/v1/chat/completions",
                                        json=body) as response:
                    assert response.status == 200
                    async for line in response.content:
                        if line.startswith(b"data: ") and json.loads(line[6:])["choices"][0][
                                "delta"].get("content"):
                            break  # one word arrived; the upstream now hangs
                    response.close()
            await fake.disconnected.wait()
            while remote_router.in_flight:
                await anyio.lowlevel.checkpoint()
    assert fake.disconnects == 1
    assert remote_router.stats()["cost"]["total"]["failures"] == 1


async def test_http_client_leaving_before_headers_closes_the_upstream_connection() -> None:
    async with FakeUpstream(fault="hang_before_headers") as fake:
        async for router in hold_open(Router(parse_config(upstream_config(fake.base_url)))):
            async with Server(router) as server:
                with anyio.fail_after(10):
                    async with aiohttp.ClientSession() as session:
                        body = {"model": "remote",
                                "messages": [{"role": "user", "content": "hello?"}]}

                        async def call(body: dict[str, object]) -> None:
                            async with session.post(server.url + "/v1/chat/completions",
                                                    json=body):
                                pass

                        async with anyio.create_task_group() as tg:
                            tg.start_soon(call, body)
                            await fake.hanging.wait()
                            tg.cancel_scope.cancel()
                    await fake.disconnected.wait()
    assert fake.disconnects == 1


async def test_embedded_caller_breaking_out_closes_the_upstream_connection(
        fake: FakeUpstream, remote_router: Router) -> None:
    seen: list[object] = []
    with anyio.fail_after(10):
        async for event in remote_router.stream({"model": "remote", "messages": [
                {"role": "user", "content": "go on"}]}):
            seen.append(event)
            if isinstance(event, Token):
                break
        await fake.disconnected.wait()
    assert isinstance(seen[0], Started) and seen[0].model == "remote"
