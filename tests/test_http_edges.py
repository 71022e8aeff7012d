"""The HTTP API at its edges, over real sockets: the fields a typed OpenAI client
requires, and requests the server can refuse before reading their bodies."""

from __future__ import annotations

import asyncio
import gzip
import json
from collections.abc import AsyncIterator

import aiohttp
import anyio
import pytest

from reactor import Router, parse_config
from reactor._server import Server
from tests.conftest import FAST_MODELS, hold_open

CHAT = "/v1/chat/completions"

# Required by OpenAI's API reference, and so by clients whose types are generated from
# it (Rust's async-openai fails to parse an answer without any one of them).
COMPLETION_KEYS = {"id", "object", "created", "model", "choices", "usage"}
CHUNK_KEYS = {"id", "object", "created", "model", "choices"}


async def test_a_completion_carries_every_field_a_typed_client_requires(
        server: Server) -> None:
    body = {"model": "nano", "messages": [{"role": "user", "content": "hi"}]}
    async with aiohttp.ClientSession() as session, \
            session.post(server.url + CHAT, json=body) as response:
        payload = await response.json()
    assert response.status == 200
    assert COMPLETION_KEYS <= payload.keys() and payload["object"] == "chat.completion"
    message = payload["choices"][0]["message"]
    assert message["role"] == "assistant" and message["content"]


async def test_every_stream_chunk_carries_every_field_a_typed_client_requires(
        server: Server) -> None:
    body = {"model": "nano", "stream": True, "stream_options": {"include_usage": True},
            "messages": [{"role": "user", "content": "hi"}]}
    async with aiohttp.ClientSession() as session, \
            session.post(server.url + CHAT, json=body) as response:
        lines = [line.strip() async for line in response.content]
    events = [line[len(b"data: "):] for line in lines if line.startswith(b"data: ")]
    assert events[-1] == b"[DONE]"
    chunks = [json.loads(event) for event in events[:-1]]
    assert len(chunks) > 3  # the role, the words, the finish, the usage
    for chunk in chunks:
        assert CHUNK_KEYS <= chunk.keys(), chunk
        assert chunk["object"] == "chat.completion.chunk"


async def head_of_answer(server: Server, request: bytes) -> tuple[bytes, bytes, bytes]:
    """The first status line, headers and body the server writes back to `request`,
    sent as raw bytes; a client holding back a body waits for the answer."""
    reader, writer = await asyncio.open_connection(server.host, server.port)
    try:
        writer.write(request)
        with anyio.fail_after(5):
            status = await reader.readline()
            headers = await reader.readuntil(b"\r\n\r\n")
            length = int(headers.lower().split(b"content-length:")[1].split(b"\r\n")[0])
            body = await reader.readexactly(length)
    finally:
        writer.close()
    return status, headers.lower(), body


@pytest.fixture
async def small_server() -> AsyncIterator[Server]:
    config = parse_config("[server]\nmax_body_bytes = 1000\n" + FAST_MODELS)
    async for router in hold_open(Router(config)):
        async with Server(router, "127.0.0.1", 0) as running:
            yield running


async def test_a_body_declared_over_the_limit_is_refused_before_100_continue(
        small_server: Server) -> None:
    # Told `100 Continue`, the client would send the whole body only to be refused.
    status, headers, body = await head_of_answer(small_server, (
        b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n"
        b"Content-Type: application/json\r\nContent-Length: 5000000\r\n\r\n"))
    assert status == b"HTTP/1.1 413 Request Entity Too Large\r\n"
    # The body never comes: the next bytes could be anything, so the connection ends.
    assert b"connection: close" in headers
    error = json.loads(body)["error"]
    assert error["code"] == "request_entity_too_large" and "1000 bytes" in error["message"]


async def test_a_request_refused_before_its_body_closes_a_connection_awaiting_100_continue(
        server: Server) -> None:
    status, headers, _ = await head_of_answer(server, (
        b"POST /v1/nothing HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n"
        b"Content-Length: 2\r\n\r\n"))
    assert status == b"HTTP/1.1 404 Not Found\r\n"
    assert b"connection: close" in headers


async def test_a_body_over_the_limit_is_told_what_the_limit_is(small_server: Server) -> None:
    body = json.dumps({"messages": [{"role": "user", "content": "x" * 2000}]}).encode()

    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: read to the limit
        yield body

    async with aiohttp.ClientSession() as session:
        for data in (body, chunks()):
            async with session.post(small_server.url + CHAT, data=data) as response:
                assert response.status == 413
                error = (await response.json())["error"]
            assert error["code"] == "request_entity_too_large"
            assert "1000 bytes" in error["message"]
            assert "max_body_bytes" in error["message"]


HELLO = b'{"model": "nano", "messages": [{"role": "user", "content": "hi"}]}'


@pytest.mark.parametrize("coding", ["x-gzip", "compress", "gzip, gzip"])
async def test_a_body_in_a_coding_the_server_cannot_decode_is_a_415_naming_it(
        server: Server, coding: str) -> None:
    # aiohttp hands such a body over as it came: it read as JSON that "is not valid".
    async with aiohttp.ClientSession() as session, \
            session.post(server.url + CHAT, data=gzip.compress(HELLO),
                         headers={"Content-Encoding": coding}) as response:
        assert response.status == 415
        assert response.headers["Accept-Encoding"] == "gzip, deflate"
        error = (await response.json())["error"]
    assert error["code"] == "unsupported_media_type" and repr(coding) in error["message"]


@pytest.mark.parametrize(("coding", "body"), [("identity", HELLO), ("GZIP", gzip.compress(HELLO))])
async def test_a_body_in_a_coding_the_server_decodes_is_answered(
        server: Server, coding: str, body: bytes) -> None:
    async with aiohttp.ClientSession() as session, \
            session.post(server.url + CHAT, data=body,
                         headers={"Content-Encoding": coding}) as response:
        assert response.status == 200
        assert (await response.json())["model"] == "nano"


async def test_a_model_path_takes_only_get_and_head(server: Server) -> None:
    async with aiohttp.ClientSession() as session:
        async with session.head(server.url + "/v1/models/auto") as response:
            assert response.status == 200
        async with session.post(server.url + "/v1/models/auto") as response:
            assert response.status == 405
            assert response.headers["Allow"] == "GET, HEAD"
            assert (await response.json())["error"]["code"] == "method_not_allowed"


async def test_a_caller_without_a_key_is_a_401_whatever_its_body() -> None:
    config = parse_config("[admission]\nrequire_key = true\n" + FAST_MODELS)
    async for router in hold_open(Router(config)):
        async with Server(router) as server, aiohttp.ClientSession() as session:
            for path in (CHAT, "/api/v1/route"):
                async with session.post(server.url + path, data=b'{"messages": 5}') as response:
                    assert response.status == 401
                    assert (await response.json())["error"]["code"] == "invalid_api_key"


@pytest.mark.parametrize("path", [CHAT, "/api/v1/feedback"])
@pytest.mark.parametrize(("body", "said"), [
    (b"", "request body is empty"),
    # A JavaScript client that cut a string inside an emoji (`"ab😀".slice(0, 3)`):
    # msgspec says "truncated" or "unexpected end of hex escape", and sends the caller
    # looking for a short body.
    (b'{"request_id": "ab\\ud83d", "messages": [{"role": "user", "content": "ab\\ud83d"}]}',
     "\\ud83d at byte 18 is the first half of a UTF-16 surrogate pair"),
], ids=["empty", "half-an-emoji"])
async def test_a_body_that_is_not_json_is_told_what_is_wrong_with_it(
        server: Server, path: str, body: bytes, said: str) -> None:
    async with aiohttp.ClientSession() as session, \
            session.post(server.url + path, data=body) as response:
        assert response.status == 400
        error = (await response.json())["error"]
    assert said in error["message"] and "truncated" not in error["message"]


@pytest.mark.parametrize(("method", "path", "said"), [
    ("POST", "/chat/completions", "did you mean /v1/chat/completions?"),
    ("GET", "/models", "did you mean /v1/models?"),
    ("GET", "/v2/models", "no endpoint GET /v2/models"),
    ("GET", CHAT, f"{CHAT} takes POST, not GET"),
])
async def test_a_path_without_an_endpoint_says_what_was_asked_and_what_may_be_meant(
        server: Server, method: str, path: str, said: str) -> None:
    # An OpenAI client given a base URL without /v1 posts to /chat/completions.
    async with aiohttp.ClientSession() as session, \
            session.request(method, server.url + path) as response:
        assert response.status in (404, 405)
        error = (await response.json())["error"]
    assert said in error["message"]
    assert "did you mean" not in error["message"] or said.startswith("did you mean")


async def test_a_body_in_a_transfer_coding_the_server_cannot_decode_is_a_400_naming_it(
        server: Server) -> None:
    packed = gzip.compress(HELLO)
    status, _, body = await head_of_answer(server, (
        b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n"
        b"Transfer-Encoding: gzip, chunked\r\n\r\n"
        + f"{len(packed):x}\r\n".encode() + packed + b"\r\n0\r\n\r\n"))
    assert status == b"HTTP/1.1 400 Bad Request\r\n"
    error = json.loads(body)["error"]
    assert error["code"] == "unsupported_transfer_encoding"
    assert "'gzip, chunked'" in error["message"]
