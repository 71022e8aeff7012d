"""An upstream that refuses a request (HTTP 400) is the caller's problem: the caller
gets a 400 that says so, and no model's breaker counts it, so one caller's bad requests
never shut the models for everyone else. Over real HTTP, both sides."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import anyio
import pytest
from aiohttp import web

from reactor import parse_config
from reactor._router import Router
from reactor._server import Server


@pytest.fixture
async def upstream() -> AsyncIterator[str]:
    """An OpenAI-compatible upstream that refuses any request carrying `user`."""

    async def complete(request: web.Request) -> web.Response:
        body = await request.json()
        if "user" in body:
            return web.json_response({"error": {
                "message": "user: this deployment takes no user field",
                "type": "invalid_request_error", "param": "user", "code": None}}, status=400)
        return web.json_response({
            "choices": [{"message": {"role": "assistant", "content": "fine"},
                         "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 3, "completion_tokens": 1}})

    app = web.Application()
    app.router.add_post("/v1/chat/completions", complete)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    yield f"http://127.0.0.1:{port}/v1"
    await runner.cleanup()


def config(base_url: str) -> str:
    models = "".join(f"""
[[models]]
name = "{name}"
quality = {quality}
upstream = {{ kind = "openai", base_url = "{base_url}", api_key = "sk-test" }}
""" for name, quality in (("a", 0.7), ("b", 0.8)))
    return f"[breaker]\nfailure_threshold = 2\n{models}"


async def test_refused_requests_are_a_400_and_open_no_breaker(upstream: str) -> None:
    bad = {"model": "auto", "user": "someone",
           "messages": [{"role": "user", "content": "hi"}]}
    good = {"model": "auto", "messages": [{"role": "user", "content": "hi"}]}
    async with Router(parse_config(config(upstream))) as router, Server(router) as server, \
            aiohttp.ClientSession() as session:
        url = server.url + "/v1/chat/completions"
        with anyio.fail_after(10):
            for _ in range(5):
                async with session.post(url, json=bad) as response:
                    assert response.status == 400
                    error = (await response.json())["error"]
                    assert error["type"] == "invalid_request_error"
                    assert error["code"] == "upstream_refused"
                    assert "takes no user field" in error["message"]
            async with session.post(url, json=good) as response:
                assert response.status == 200
                assert (await response.json())["choices"][0]["message"]["content"] == "fine"
            async with session.get(server.url + "/api/v1/breakers") as response:
                breakers = await response.json()
    assert {name: (state["state"], state["consecutive_failures"], state["opened_total"])
            for name, state in breakers.items()} == {"a": ("closed", 0, 0),
                                                     "b": ("closed", 0, 0)}
