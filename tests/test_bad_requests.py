"""Odd and malformed requests over real HTTP: each gets a 4xx in OpenAI's error shape,
naming the field where there is one, never a 500 or a text/plain page."""

from __future__ import annotations

import aiohttp
import pytest

from reactor._server import Server

CHAT = "/v1/chat/completions"
HELLO = b'{"model": "nano", "messages": [{"role": "user", "content": "hi"}]}'


async def send(server: Server, path: str, data: bytes,
               headers: dict[str, str] | None = None) -> tuple[int, str, dict[str, object]]:
    async with aiohttp.ClientSession() as session, \
            session.post(server.url + path, data=data, headers=headers) as response:
        return response.status, response.headers["Content-Type"], await response.json()


def error_of(payload: dict[str, object]) -> dict[str, object]:
    error = payload["error"]
    assert isinstance(error, dict)
    assert set(error) == {"message", "type", "param", "code"}
    return error


@pytest.mark.parametrize("path", [CHAT, "/api/v1/route"])
async def test_a_deeply_nested_body_is_a_400_not_a_500(server: Server, path: str) -> None:
    nested = b"[" * 100_000 + b"]" * 100_000
    status, content_type, payload = await send(server, path, b'{"x": ' + nested + b"}")
    assert status == 400
    assert content_type.startswith("application/json")
    assert "nested" in str(error_of(payload)["message"])


@pytest.mark.parametrize("encoding", ["gzip", "deflate"])
async def test_a_body_that_does_not_decode_as_its_content_encoding_is_a_400(
        server: Server, encoding: str) -> None:
    status, content_type, payload = await send(server, CHAT, HELLO,
                                               headers={"Content-Encoding": encoding})
    assert status == 400
    assert content_type.startswith("application/json")
    assert encoding in str(error_of(payload)["message"])
