"""The HTTP API at its edges, over real sockets: the fields a typed OpenAI client
requires, and requests the server can refuse before reading their bodies."""

from __future__ import annotations

import json

import aiohttp

from reactor._server import Server

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
