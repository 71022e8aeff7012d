"""The HTTP server, over real sockets on 127.0.0.1."""

from __future__ import annotations

import io
import json

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from reactor._server import Server
from reactor._wire import decode_chat_request

CHAT = "/v1/chat/completions"


def user(text: str, **extra: object) -> dict[str, object]:
    return {"messages": [{"role": "user", "content": text}], **extra}


async def post(server: Server, body: object, headers: dict[str, str] | None = None,
               raw: bytes | None = None) -> tuple[int, dict[str, str], bytes]:
    async with aiohttp.ClientSession() as session:
        data = raw if raw is not None else json.dumps(body).encode()
        async with session.post(server.url + CHAT, data=data, headers=headers) as response:
            return response.status, dict(response.headers), await response.read()


async def test_json_completion_says_who_answered_and_why(server: Server) -> None:
    status, headers, body = await post(server, user("hello there", model="auto"))
    assert status == 200
    payload = json.loads(body)
    assert payload["object"] == "chat.completion"
    assert payload["model"] in {"nano", "mini", "pro", "ultra"}
    assert headers["x-reactor-model"] == payload["model"]
    assert headers["x-reactor-reason"]
    assert headers["x-reactor-request-id"] == payload["router"]["request_id"]
    assert payload["choices"][0]["finish_reason"] == "stop"
    assert payload["choices"][0]["message"]["content"]
    usage = payload["usage"]
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"] > 0


async def test_pinned_model_answers(server: Server) -> None:
    status, headers, body = await post(server, user("hi", model="pro"))
    assert status == 200
    assert json.loads(body)["model"] == "pro"
    assert headers["x-reactor-reason"] == "pinned"


async def test_alias_routes_by_its_mode(server: Server) -> None:
    _, fast, _ = await post(server, user("hi", model="fast"))
    _, best, _ = await post(server, user("prove the theorem step by step", model="best"))
    assert fast["x-reactor-model"] != "ultra"
    assert best["x-reactor-model"] == "ultra"


async def test_stream_is_sse_with_usage_and_done(server: Server) -> None:
    async with aiohttp.ClientSession() as session:
        body = user("stream me", model="mini", stream=True,
                    stream_options={"include_usage": True})
        async with session.post(server.url + CHAT, json=body) as response:
            assert response.status == 200
            assert response.headers["Content-Type"].startswith("text/event-stream")
            assert response.headers["x-reactor-model"] == "mini"
            lines = [line.decode().strip() async for line in response.content]
    events = [line[len("data: "):] for line in lines if line.startswith("data: ")]
    assert events[-1] == "[DONE]"
    chunks = [json.loads(e) for e in events[:-1]]
    text = "".join(c["choices"][0]["delta"].get("content", "") for c in chunks if c["choices"])
    assert len(text.split()) == 16
    finishes = [c["choices"][0]["finish_reason"] for c in chunks if c["choices"]]
    assert finishes[-1] == "stop" and all(f is None for f in finishes[:-1])
    assert chunks[-1]["choices"] == [] and chunks[-1]["usage"]["completion_tokens"] == 16


@pytest.mark.parametrize(
    ("raw", "param"),
    [
        (b"{not json", None),
        (b'{"model": "auto"}', "messages"),
        (b'{"messages": [{"role": "user", "content": 3}]}', "messages[0].content"),
        (b'{"messages": [{"role": "wizard", "content": "x"}]}', "messages[0].role"),
        (b'{"messages": [{"role": "user", "content": "x"}], "temperature": 9}', "temperature"),
        (b'{"messages": [{"role": "user", "content": "x"}], "max_tokens": "lots"}',
         "max_tokens"),
        (b'{"messages": []}', "messages"),
        (b'{"messages": [{"role": "user", "content": "x"}], "n": 3}', "n"),
        (b'{"messages": [{"role": "user", "content": "x"}], "preferences": {"speed": 1}}',
         "preferences.speed"),
        (b'{"messages": [{"role": "user"}]}', "messages[0].content"),
        (b'{"messages": [{"role": "system", "content": "be brief"}, {"role": "user",'
         b' "content": null}]}', "messages[1].content"),
        (b'{"messages": [{"role": "user", "content": "x"}, {"role": "assistant"}]}',
         "messages[1].content"),
        (b'{"messages": [{"role": "user", "content": "x"}, {"role": "tool",'
         b' "content": "42"}]}', "messages[1].tool_call_id"),
    ],
)
async def test_malformed_body_gets_400_naming_the_field(server: Server, raw: bytes,
                                                         param: str | None) -> None:
    status, headers, body = await post(server, None, raw=raw)
    assert status == 400
    assert headers["Content-Type"].startswith("application/json")
    error = json.loads(body)["error"]
    assert error["type"] == "invalid_request_error"
    assert error["param"] == param
    if param:
        assert param in error["message"]


def test_a_tool_round_trip_needs_no_assistant_content() -> None:
    request = decode_chat_request(
        b'{"messages": [{"role": "user", "content": "weather?"}, {"role": "assistant",'
        b' "content": null, "tool_calls": [{"id": "c1", "type": "function", "function":'
        b' {"name": "weather", "arguments": "{}"}}]}, {"role": "tool", "tool_call_id": "c1",'
        b' "content": "sunny"}]}')
    assert [m.role for m in request.messages] == ["user", "assistant", "tool"]


async def test_unknown_pinned_model_is_404(server: Server) -> None:
    status, _, body = await post(server, user("x", model="gpt-17"))
    assert status == 404
    error = json.loads(body)["error"]
    assert error["code"] == "model_not_found" and error["param"] == "model"
    assert "gpt-17" in error["message"]


async def test_unknown_path_is_json_404(server: Server) -> None:
    async with aiohttp.ClientSession() as session, \
            session.get(server.url + "/v1/nothing") as response:
        assert response.status == 404
        assert (await response.json())["error"]["type"] == "invalid_request_error"


async def test_a_known_path_asked_with_another_method_is_json_405(server: Server) -> None:
    async with aiohttp.ClientSession() as session, \
            session.get(server.url + CHAT) as response:
        assert response.status == 405
        assert (await response.json())["error"]["code"] == "method_not_allowed"


async def test_a_body_over_the_limit_is_json_413(server: Server) -> None:
    limit = server.router.config.server.max_body_bytes
    async with aiohttp.ClientSession() as session, \
            session.post(server.url + CHAT, data=io.BytesIO(b" " * (limit + 1))) as response:
        assert response.status == 413
        assert (await response.json())["error"]["code"] == "request_entity_too_large"


async def test_head_asks_a_get_endpoint_for_its_headers_only(server: Server) -> None:
    async with aiohttp.ClientSession() as session, \
            session.head(server.url + "/healthz") as response:
        assert response.status == 200
        assert await response.read() == b""


async def test_models_health_ready_metrics(server: Server) -> None:
    async with aiohttp.ClientSession() as session:
        async with session.get(server.url + "/v1/models") as response:
            ids = [m["id"] for m in (await response.json())["data"]]
        assert {"auto", "fast", "best", "nano", "mini", "pro", "ultra"} <= set(ids)
        async with session.get(server.url + "/healthz") as response:
            assert response.status == 200
        async with session.get(server.url + "/readyz") as response:
            assert response.status == 200
            assert (await response.json())["models_available"] == ["nano", "mini", "pro",
                                                                    "ultra"]
        await post(server, user("count me", model="nano"))
        async with session.get(server.url + "/metrics") as response:
            text = await response.text()
        assert 'reactor_requests_total{cache="miss",model="nano",status="ok"} 1.0' in text
        assert 'reactor_mailbox_depth{actor="provider"}' in text
        async with session.get(server.url + "/api/v1/stats") as response:
            stats = await response.json()
        assert stats["cost"]["by_model"]["nano"]["requests"] == 1
        assert stats["cost"]["total"]["cost_usd"] > 0


async def test_repeated_request_is_served_from_exact_cache(server: Server) -> None:
    body = user("what is the boiling point of water?", model="nano", temperature=0)
    _, first, payload_a = await post(server, body)
    _, second, payload_b = await post(server, body)
    assert first["x-reactor-cache"] == "miss" and second["x-reactor-cache"] == "exact"
    a, b = json.loads(payload_a), json.loads(payload_b)
    assert a["choices"][0]["message"]["content"] == b["choices"][0]["message"]["content"]
    assert b["router"]["cost_usd"] == 0.0
    _, third, _ = await post(server, body, headers={"Cache-Control": "no-cache"})
    assert third["x-reactor-cache"] == "miss"
    # Directives are matched in any case (RFC 9111): `No-Store` skips the cache too.
    _, fourth, _ = await post(server, body, headers={"Cache-Control": "max-age=0, No-Store"})
    assert fourth["x-reactor-cache"] == "miss"


async def test_metrics_snapshot_is_metrics_as_a_json_download(server: Server) -> None:
    await post(server, user("count me", model="nano"))
    async with aiohttp.ClientSession() as session:
        async with session.get(server.url + "/api/v1/metrics/snapshot") as response:
            assert response.status == 200
            assert response.content_type == "application/json"
            disposition = response.headers["Content-Disposition"]
            snapshot = await response.json()
        async with session.get(server.url + "/metrics") as response:
            text = await response.text()
    assert disposition.startswith('attachment; filename="reactor-metrics-')
    assert disposition.endswith('Z.json"')
    assert snapshot["taken_at"] > 1.7e9
    families = {family["name"]: family for family in snapshot["metrics"]}
    requests = families["reactor_requests"]
    assert requests["type"] == "counter" and requests["help"]
    assert {"name": "reactor_requests_total", "value": 1.0,
            "labels": {"cache": "miss", "model": "nano", "status": "ok"}} in \
        requests["samples"]
    # The same samples as the text format, value for value (the router is idle).
    samples = {(s["name"], tuple(sorted(s["labels"].items()))): s["value"]
               for family in snapshot["metrics"] for s in family["samples"]}
    expected = {(s.name, tuple(sorted(s.labels.items()))): s.value
                for family in text_string_to_metric_families(text) for s in family.samples}
    assert samples.keys() == expected.keys()
    assert all(samples[key] == value or (samples[key] is None and value != value)
               for key, value in expected.items())
    latency = families["reactor_request_duration_seconds"]
    assert latency["type"] == "histogram"
    assert any(s["name"] == "reactor_request_duration_seconds_bucket"
               and s["labels"]["le"] == "+Inf" for s in latency["samples"])
