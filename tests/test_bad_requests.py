"""Odd and malformed requests over real HTTP: each gets a 4xx in OpenAI's error shape,
naming the field where there is one, never a 500 or a text/plain page."""

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
from tests.conftest import FAST_MODELS

CHAT = "/v1/chat/completions"
HELLO = b'{"model": "nano", "messages": [{"role": "user", "content": "hi"}]}'


async def send(server: Server, path: str, data: bytes,
               headers: dict[str, str] | None = None) -> tuple[int, str, dict[str, object]]:
    async with aiohttp.ClientSession() as session, \
            session.post(server.url + path, data=data, headers=headers) as response:
        return response.status, response.headers["Content-Type"], await response.json()


async def exchange(server: Server, head: bytes, body: bytes = b"") -> tuple[bytes, bytes]:
    """One request written as raw bytes (what aiohttp's client refuses to send):
    the status line and the response body."""
    reader, writer = await asyncio.open_connection(server.host, server.port)
    try:
        writer.write(head + body)
        await writer.drain()
        answer = await reader.read()
    finally:
        writer.close()
        await writer.wait_closed()
    status, _, rest = answer.partition(b"\r\n")
    return status, rest.partition(b"\r\n\r\n")[2]


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


async def test_a_key_that_is_not_utf8_is_an_unknown_key_not_a_500(server: Server) -> None:
    head = (b"POST " + CHAT.encode() + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
            b"Authorization: Bearer \xff\xfe\r\nContent-Type: application/json\r\n"
            b"Content-Length: " + str(len(HELLO)).encode() + b"\r\n\r\n")
    status, body = await exchange(server, head, HELLO)
    # No key is required by this config: an unknown key is the default tenant's.
    assert status == b"HTTP/1.1 200 OK"
    assert json.loads(body)["model"] == "nano"


async def test_not_asking_for_those_outputs_in_so_many_words_is_answered(
        server: Server) -> None:
    body = {"model": "nano", "messages": [{"role": "user", "content": "hi"}],
            "logprobs": False, "top_logprobs": 0, "modalities": ["text"], "audio": None}
    status, _, payload = await send(server, CHAT, json.dumps(body).encode())
    assert status == 200, payload
    assert payload["choices"][0]["logprobs"] is None  # type: ignore[index]


@pytest.mark.parametrize(
    ("field", "value"),
    [("presence_penalty", 5), ("presence_penalty", -2.5), ("frequency_penalty", 3),
     ("frequency_penalty", -100), ("seed", 2**64), ("seed", -(2**63) - 1),
     # Outputs Reactor does not give: refused, not answered without them.
     ("logprobs", True), ("top_logprobs", 3), ("modalities", ["text", "audio"]),
     ("audio", {"voice": "alloy", "format": "wav"}),
     # As OpenAI answers it: the options would be ignored without a stream.
     ("stream_options", {"include_usage": True})],
)
async def test_values_openai_or_reactor_refuses_are_refused_before_any_upstream_sees_them(
        server: Server, field: str, value: object) -> None:
    body = {"model": "nano", "messages": [{"role": "user", "content": "hi"}], field: value}
    status, _, payload = await send(server, CHAT, json.dumps(body).encode())
    assert status == 400
    error = error_of(payload)
    assert error["param"] == field and field in str(error["message"])


@pytest.mark.parametrize(
    ("head", "body", "said"),
    [
        (b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nX-Long: " + b"a" * 10_000
         + b"\r\nContent-Length: 2\r\n\r\n", b"{}", b"8190 bytes"),
        (b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n",
         b"zz\r\n{}\r\n0\r\n\r\n", b"chunk size"),
        (b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nBogus header\r\n"
         b"Content-Length: 2\r\n\r\n", b"{}", b"header"),
    ],
    ids=["header-too-long", "bad-chunk-size", "header-without-colon"],
)
async def test_a_request_http_itself_cannot_parse_gets_a_json_400(
        server: Server, head: bytes, body: bytes, said: bytes) -> None:
    status, answer = await exchange(server, head, body)
    assert status.endswith(b" 400 Bad Request")
    error = error_of(json.loads(answer))
    assert error["type"] == "invalid_request_error" and error["code"] == "bad_request"
    assert said.decode() in str(error["message"])


@pytest.mark.parametrize(
    ("extra", "param"),
    [({"preferences": {"quality": 1, "cost": -0.9}}, "preferences.cost"),
     ({"preferences": {"latency": -1}}, "preferences.latency"),
     ({"preferences": {"willingness_to_pay": -5}}, "preferences.willingness_to_pay"),
     ({"cache": {"ttl_s": -1}}, "cache.ttl_s"),
     ({"cache": {"ttl_s": 0}}, "cache.ttl_s"),
     # A quality past 1 (or 1e999, infinity in JSON) was read as no limit at all.
     ({"constraints": {"min_quality": 1.5}}, "constraints.min_quality"),
     ({"constraints": {"max_cost_usd": -1}}, "constraints.max_cost_usd"),
     ({"constraints": {"max_latency_ms": -5}}, "constraints.max_latency_ms")],
)
async def test_negative_weights_prices_and_ttls_are_refused_not_silently_used(
        server: Server, extra: dict[str, object], param: str) -> None:
    # With latency 1, a cost weight of -0.9 routed to a model 25x dearer; a negative TTL was
    # kept for a second by Redis and not at all in memory.
    body = {"messages": [{"role": "user", "content": "hi"}], **extra}
    for path in (CHAT, "/api/v1/route"):
        status, _, payload = await send(server, path, json.dumps(body).encode())
        assert status == 400
        error = error_of(payload)
        assert error["param"] == param and param in str(error["message"])


async def test_an_infinite_minimum_quality_is_refused(server: Server) -> None:
    body = b'{"messages": [{"role": "user", "content": "hi"}], ' \
        b'"constraints": {"min_quality": 1e999}}'
    status, _, payload = await send(server, CHAT, body)
    assert status == 400 and error_of(payload)["param"] == "constraints.min_quality"


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [("GET", CHAT, "POST"), ("OPTIONS", "/api/v1/feedback", "POST"),
     ("POST", "/v1/models", "GET, HEAD"), ("DELETE", "/metrics", "GET, HEAD")],
)
async def test_a_405_says_which_methods_the_path_takes(server: Server, method: str,
                                                       path: str, allow: str) -> None:
    async with aiohttp.ClientSession() as session, \
            session.request(method, server.url + path) as response:
        assert response.status == 405
        assert response.headers["Allow"] == allow
        assert error_of(await response.json())["code"] == "method_not_allowed"


def _with(**extra: object) -> dict[str, object]:
    return {"messages": [{"role": "user", "content": "hi"}], **extra}


@pytest.mark.parametrize(
    ("body", "param"),
    [(_with(model="mini", tools=[]), "tools"),
     ({"messages": [{"role": "user", "content": []}]}, "messages[0].content"),
     ({"messages": [{"role": "user", "content": "x"},
                    {"role": "assistant", "content": "y", "tool_calls": []},
                    {"role": "user", "content": "z"}]}, "messages[1].tool_calls"),
     (_with(model="mini", response_format={"type": "json_schema"}),
      "response_format.json_schema"),
     (_with(model="mini", response_format={"type": "json_schema", "json_schema": None}),
      "response_format.json_schema")],
    ids=["tools", "content", "tool_calls", "json_schema-missing", "json_schema-null"],
)
async def test_an_empty_array_or_a_missing_schema_openai_refuses_is_refused_here(
        server: Server, body: dict[str, object], param: str) -> None:
    # Sent on, OpenAI's 400 ("empty array. Expected an array with minimum length 1")
    # would come back as a 502 after every model had failed it, and open breakers.
    status, _, payload = await send(server, CHAT, json.dumps(body).encode())
    assert status == 400
    error = error_of(payload)
    assert error["param"] == param and param in str(error["message"])


_TOOL = {"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}


@pytest.mark.parametrize(
    ("extra", "param"),
    [({"logit_bias": "x"}, "logit_bias"),
     ({"logit_bias": [1, 2]}, "logit_bias"),
     ({"tools": [_TOOL], "tool_choice": 5}, "tool_choice"),
     ({"tools": [_TOOL], "tool_choice": "sometimes"}, "tool_choice"),
     ({"tools": [{"type": "function", "function": {"name": "f", "parameters": "x"}}]},
      "tools[0].function.parameters"),
     ({"response_format": {"type": "json_schema", "json_schema": "x"}},
      "response_format.json_schema")],
)
async def test_a_passed_through_field_of_the_wrong_json_type_is_a_400(
        server: Server, extra: dict[str, object], param: str) -> None:
    # These stay opaque JSON on their way upstream, but their type is OpenAI's to
    # check only at the cost of a 502 and a breaker's count.
    body = {"model": "mini", "messages": [{"role": "user", "content": "hi"}], **extra}
    status, _, payload = await send(server, CHAT, json.dumps(body).encode())
    assert status == 400
    error = error_of(payload)
    assert error["param"] == param and param in str(error["message"])


async def test_passed_through_fields_of_the_right_type_are_answered(server: Server) -> None:
    body = {"model": "mini", "messages": [{"role": "user", "content": "hi"}],
            "logit_bias": {"50256": -100}, "tools": [_TOOL], "tool_choice": "none",
            "parallel_tool_calls": False}
    status, _, payload = await send(server, CHAT, json.dumps(body).encode())
    assert status == 200 and payload["model"] == "mini"
    body["tool_choice"] = {"type": "function", "function": {"name": "f"}}
    status, _, _ = await send(server, CHAT, json.dumps(body).encode())
    assert status == 200


async def test_a_chunked_gzipped_body_sent_after_100_continue_is_answered(
        server: Server) -> None:
    # The client sends its body only once the server says `100 Continue` (curl does
    # this for large bodies, then gives up waiting after a second).
    async def pieces() -> AsyncIterator[bytes]:
        packed = gzip.compress(HELLO)
        for start in range(0, len(packed), 16):
            yield packed[start:start + 16]

    with anyio.fail_after(5):
        async with aiohttp.ClientSession() as session, \
                session.post(server.url + CHAT, data=pieces(), expect100=True,
                             headers={"Content-Encoding": "gzip",
                                      "Content-Type": "text/plain"}) as response:
            assert response.status == 200
            assert (await response.json())["model"] == "nano"


async def test_a_request_refused_before_its_body_gets_no_100_continue(server: Server) -> None:
    reader, writer = await asyncio.open_connection(server.host, server.port)
    try:
        writer.write(b"POST /v1/nothing HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n"
                     b"Content-Length: 2\r\n\r\n")
        with anyio.fail_after(5):
            status = await reader.readline()
    finally:
        writer.close()
        await writer.wait_closed()
    assert status == b"HTTP/1.1 404 Not Found\r\n"


async def test_a_body_that_never_arrives_is_a_408() -> None:
    config = parse_config("[server]\nbody_timeout_s = 0.2\n" + FAST_MODELS)
    head = (b"POST " + CHAT.encode() + b" HTTP/1.1\r\nHost: x\r\n"
            b"Content-Type: application/json\r\nContent-Length: 100\r\n\r\n")
    async with Router(config) as router, Server(router, "127.0.0.1", 0) as server:
        reader, writer = await asyncio.open_connection(server.host, server.port)
        try:
            with anyio.fail_after(10):
                # Six bytes of a promised hundred, then nothing: the server gives up
                # on the body and answers (the connection then closes, in aiohttp's
                # own time: it lingers to read what a client may still send).
                writer.write(head + b'{"mod')
                status = await reader.readline()
                headers = await reader.readuntil(b"\r\n\r\n")
                length = int(headers.lower().split(b"content-length:")[1].split(b"\r\n")[0])
                body = await reader.readexactly(length)
                answered = await send(server, CHAT, HELLO)  # the server still serves
        finally:
            writer.close()

    assert status == b"HTTP/1.1 408 Request Timeout\r\n"
    assert b"connection: close" in headers.lower()
    assert error_of(json.loads(body))["code"] == "body_timeout"
    assert answered[0] == 200


LONG = "word " * 9000  # ~9,000 tokens: more than any FAST_MODELS model's 8,192


@pytest.mark.parametrize(("model", "extra", "param"), [
    # The prompt fits; the room asked for the answer does not.
    ("nano", {"max_tokens": 8000}, "max_tokens"),
    ("auto", {"max_completion_tokens": 8000}, "max_completion_tokens"),
    # More output than any model gives.
    ("auto", {"max_tokens": 5000, "messages": [{"role": "user", "content": "hi"}]},
     "max_tokens"),
    # The prompt alone is too long, whatever the answer's room.
    ("nano", {"messages": [{"role": "user", "content": LONG}], "max_tokens": 10},
     "messages"),
    ("auto", {"messages": [{"role": "user", "content": LONG}]}, "messages"),
    # Tools to a model without them.
    ("nano", {"tools": [{"type": "function", "function": {"name": "f"}}]}, "tools"),
])
async def test_a_request_no_model_can_serve_names_the_field_that_asks_too_much(
        server: Server, model: str, extra: dict[str, object], param: str) -> None:
    body = {"model": model, "messages": [{"role": "user", "content": "word " * 1000}],
            **extra}
    status, _, payload = await send(server, CHAT, json.dumps(body).encode())
    assert status == 400
    error = error_of(payload)
    assert error["param"] == param
    assert error["code"] == ("model_unsuitable" if model != "auto" else "no_model_fits")


async def test_models_ruled_out_for_different_reasons_name_the_model_param(
        server: Server) -> None:
    # Tools that nano lacks, more output than the others give: no one field to blame.
    body = {"model": "auto", "messages": [{"role": "user", "content": "hi"}],
            "max_tokens": 5000, "tools": [{"type": "function", "function": {"name": "f"}}]}
    status, _, payload = await send(server, CHAT, json.dumps(body).encode())
    assert status == 400 and error_of(payload)["param"] == "model"
