"""API keys: who the caller is (tenant) and what they may use (tier)."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from reactor import ConfigError, Router, parse_config
from reactor._server import Server
from tests.conftest import FAST_MODELS, hold_open


def digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


KEYED = FAST_MODELS.replace("[runtime]", f"""[admission]
require_key = true
keys = [
    {{ tenant = "alice", tier = "gold", sha256 = "{digest('sk-alice')}" }},
    {{ tenant = "bob", env = "REACTOR_TEST_KEY_BOB" }},
]

[cache]
max_temperature = 1.0

[runtime]""").replace('name = "ultra"', 'name = "ultra"\ntiers = ["gold"]')


@pytest.fixture
async def keyed(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Server]:
    monkeypatch.setenv("REACTOR_TEST_KEY_BOB", "sk-bob")
    async for router in hold_open(Router(parse_config(KEYED))):
        async with Server(router) as server:
            yield server


async def chat(server: Server, key: str | None, **body: object) -> tuple[int, dict[str, str],
                                                                         dict[str, object]]:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    payload = {"messages": [{"role": "user", "content": "the same question"}], **body}
    async with aiohttp.ClientSession() as session, \
            session.post(server.url + "/v1/chat/completions", json=payload,
                         headers=headers) as response:
        return response.status, dict(response.headers), await response.json()


async def test_missing_or_unknown_keys_are_refused(keyed: Server) -> None:
    for key in (None, "sk-mallory"):
        status, _, body = await chat(keyed, key)
        assert status == 401
        assert body["error"]["code"] == "invalid_api_key"  # type: ignore[index]
        assert "sk-mallory" not in str(body)


async def test_keys_from_the_file_and_the_environment_both_work(keyed: Server) -> None:
    assert (await chat(keyed, "sk-alice", model="nano"))[0] == 200
    assert (await chat(keyed, "sk-bob", model="nano"))[0] == 200


async def test_tenants_do_not_share_cache_entries(keyed: Server) -> None:
    router = keyed.router
    await chat(keyed, "sk-alice", model="mini")
    await router.pipeline.cache.wait_stored(1)
    _, alice_again, _ = await chat(keyed, "sk-alice", model="mini")
    _, bob, _ = await chat(keyed, "sk-bob", model="mini")
    assert alice_again["x-reactor-cache"] == "exact"
    assert bob["x-reactor-cache"] == "miss"


async def test_tiers_limit_which_models_a_caller_may_use(keyed: Server) -> None:
    gold, _, _ = await chat(keyed, "sk-alice", model="ultra")
    default, _, body = await chat(keyed, "sk-bob", model="ultra")
    assert gold == 200
    assert default == 400 and "tier" in body["error"]["message"]  # type: ignore[index]
    _, headers, _ = await chat(keyed, "sk-bob", mode="accurate")
    assert headers["x-reactor-model"] != "ultra"


def test_a_key_needs_exactly_one_source() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config(FAST_MODELS + '\n[admission]\nkeys = [{ tenant = "x" }]\n')
    assert "admission.keys[0]" in str(caught.value)


async def feedback(server: Server, key: str | None, request_id: str) -> tuple[int, dict[str, Any]]:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    async with aiohttp.ClientSession() as session, \
            session.post(server.url + "/api/v1/feedback", headers=headers,
                         json={"request_id": request_id, "rating": 1}) as response:
        return response.status, await response.json()


async def test_only_the_tenant_that_asked_may_rate_the_answer(keyed: Server) -> None:
    status, headers, _ = await chat(keyed, "sk-alice", model="nano",
                                    messages=[{"role": "user", "content": "alice asks"}])
    assert status == 200
    request_id = headers["x-reactor-request-id"]
    status, body = await feedback(keyed, None, request_id)
    assert (status, body["error"]["code"]) == (401, "invalid_api_key")
    # Bob cannot steer what alice's prompts are routed to, nor tell her ids exist.
    status, body = await feedback(keyed, "sk-bob", request_id)
    assert (status, body["error"]["code"]) == (404, "unknown_request")
    status, unknown = await feedback(keyed, "sk-bob", "no-such-request")
    assert unknown["error"]["message"].replace("'no-such-request'", repr(request_id)) == \
        body["error"]["message"]
    status, body = await feedback(keyed, "sk-alice", request_id)
    assert (status, body) == (200, {"accepted": True, "request_id": request_id})
    assert keyed.router.pipeline.selector.learned == 1
