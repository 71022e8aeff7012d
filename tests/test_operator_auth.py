"""The operator endpoints (`/metrics`, `/api/v1/stats`, ...) show every tenant's spend:
once keys are required, or an operator key is named, only an operator key reads them.
Health probes stay open. Real sockets; the reload case a real `reactor serve`."""

from __future__ import annotations

import hashlib
import json
import signal
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import anyio
import pytest

from reactor import ConfigError, Router, parse_config
from reactor._server import Server
from tests.conftest import FAST_MODELS, hold_open
from tests.test_cli import child, listening
from tests.test_reload import MODELS, Log

OPERATED = ["/metrics", "/api/v1/stats", "/api/v1/breakers", "/api/v1/metrics/snapshot"]
PROBES = ["/healthz", "/readyz", "/v1/models"]
CHAT = "/v1/chat/completions"


def digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def keyed(require_key: bool, *, operator: bool = True) -> str:
    """alice (gold, a tenant), ops (an operator, its key from the environment)."""
    ops = ', operator = true' if operator else ''
    return FAST_MODELS.replace("[runtime]", f"""[admission]
require_key = {str(require_key).lower()}
keys = [
    {{ tenant = "alice", tier = "gold", sha256 = "{digest('sk-alice')}" }},
    {{ tenant = "ops", env = "REACTOR_TEST_OPERATOR_KEY"{ops} }},
]

[runtime]""").replace('name = "ultra"', 'name = "ultra"\ntiers = ["gold"]')


async def serving(text: str) -> AsyncIterator[Server]:
    async for router in hold_open(Router(parse_config(text))):
        async with Server(router) as server:
            yield server


@pytest.fixture(autouse=True)
def operator_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REACTOR_TEST_OPERATOR_KEY", "sk-ops")


@pytest.fixture
async def required() -> AsyncIterator[Server]:
    """Keys required, an operator named."""
    async for server in serving(keyed(True)):
        yield server


@pytest.fixture(params=[True, False], ids=["required", "named"])
async def guarded(request: pytest.FixtureRequest) -> AsyncIterator[Server]:
    """Keys required, or only an operator named."""
    async for server in serving(keyed(request.param)):
        yield server


@pytest.fixture
async def named() -> AsyncIterator[Server]:
    """An operator named, keys not required: unknown callers may chat as "default"."""
    async for server in serving(keyed(False)):
        yield server


async def call(server: Server, path: str, key: str | None, method: str = "GET"
               ) -> tuple[int, dict[str, str], bytes]:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    async with aiohttp.ClientSession() as session, \
            session.request(method, server.url + path, headers=headers) as response:
        return response.status, dict(response.headers), await response.read()


async def chat(server: Server, key: str | None, model: str = "nano"
               ) -> tuple[int, dict[str, str], bytes]:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    body = {"model": model, "messages": [{"role": "user", "content": "hi"}]}
    async with aiohttp.ClientSession() as session, \
            session.post(server.url + CHAT, json=body, headers=headers) as response:
        return response.status, dict(response.headers), await response.read()


async def test_without_keys_named_the_operator_endpoints_stay_open() -> None:
    # A key without `operator = true` and no `require_key`: the development default.
    async for server in serving(keyed(False, operator=False)):
        for path in OPERATED + PROBES:
            for key in (None, "sk-mallory", "sk-alice", "sk-ops"):
                status, _, _ = await call(server, path, key)
                assert status == 200, (path, key)


@pytest.mark.parametrize("path", OPERATED)
async def test_only_an_operator_key_reads_an_operator_endpoint(guarded: Server,
                                                               path: str) -> None:
    server = guarded
    for method in ("GET", "HEAD"):
        for key in (None, "sk-mallory"):
            status, _, body = await call(server, path, key, method)
            assert status == 401, (method, key)
            if method == "GET":
                assert b'"invalid_api_key"' in body and b"alice" not in body
        status, _, body = await call(server, path, "sk-alice", method)
        assert status == 403, method
        if method == "GET":
            assert b'"permission_denied"' in body and b"operator = true" in body
            assert b"cost" not in body and b"reactor_" not in body
        status, _, body = await call(server, path, "sk-ops", method)
        assert status == 200, method
    # Prometheus's `authorization` sends the scheme as configured, in any case.
    async with aiohttp.ClientSession() as session, session.get(
            server.url + path, headers={"Authorization": "bearer  sk-ops "}) as response:
        assert response.status == 200


async def test_a_refused_operator_request_is_answered_as_a_refused_chat_request(
        required: Server) -> None:
    for key in (None, "sk-mallory"):
        chat_status, chat_headers, chat_body = await chat(required, key)
        status, headers, body = await call(required, "/api/v1/stats", key)
        assert (status, body) == (chat_status, chat_body) == (401, body)
        assert headers["WWW-Authenticate"] == chat_headers["WWW-Authenticate"] == "Bearer"
        assert headers["Content-Type"] == chat_headers["Content-Type"]


async def test_health_probes_stay_open(guarded: Server) -> None:
    for path in PROBES:
        for key in (None, "sk-mallory", "sk-alice"):
            assert (await call(guarded, path, key))[0] == 200, (path, key)


async def spenders(server: Server) -> set[str]:
    await server.router.quiesce()
    status, _, body = await call(server, "/api/v1/stats", "sk-ops")
    assert status == 200
    return set(json.loads(body)["cost"]["by_tenant"])


async def test_an_operator_reads_every_tenants_spend(required: Server) -> None:
    assert (await chat(required, "sk-alice"))[0] == 200
    assert await spenders(required) == {"alice"}
    status, _, body = await call(required, "/metrics", "sk-ops")
    assert status == 200 and b"reactor_requests_total{" in body


async def test_an_operator_key_chats_as_its_own_tenant_and_tier(required: Server) -> None:
    assert (await chat(required, "sk-ops"))[0] == 200
    assert (await chat(required, "sk-alice", model="ultra"))[0] == 200
    assert (await chat(required, "sk-ops", model="ultra"))[0] == 400  # ops is not gold
    assert await spenders(required) == {"alice", "ops"}


async def test_naming_an_operator_leaves_chat_open_to_unknown_callers(named: Server) -> None:
    assert (await chat(named, None))[0] == 200
    assert (await call(named, "/api/v1/stats", None))[0] == 401


async def test_an_operator_key_left_unset_closes_the_operator_endpoints_to_everyone(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("REACTOR_TEST_OPERATOR_KEY")
    async for server in serving(keyed(False)):
        assert (await call(server, "/metrics", "sk-ops"))[0] == 401
        assert (await call(server, "/metrics", "sk-alice"))[0] == 403
        assert (await call(server, "/healthz", None))[0] == 200


async def test_a_swapped_router_brings_its_operators(monkeypatch: pytest.MonkeyPatch) -> None:
    with anyio.fail_after(20):
        async with Router(parse_config(keyed(True))) as old, Server(old) as server:
            assert (await call(server, "/metrics", "sk-ops"))[0] == 200
            async with Router(parse_config(keyed(False, operator=False)),
                              previous=old) as new:
                server.use(new)
                assert (await call(server, "/metrics", None))[0] == 200
                server.use(old)
                assert (await call(server, "/metrics", None))[0] == 401
                assert (await call(server, "/metrics", "sk-ops"))[0] == 200


@pytest.mark.parametrize(("entry", "said"), [
    ('{ tenant = "ops", operator = true }', "give exactly one of sha256 or env"),
    (f'{{ tenant = "ops", operator = true, env = "X", sha256 = "{digest("x")}" }}',
     "give exactly one of sha256 or env"),
    (f'{{ tenant = "ops", operator = true, sha256 = "{digest("sk-alice")}" }}',
     "the same key as admission.keys[0]"),
    ('{ tenant = "ops", operator = "yes", env = "X" }', "expected bool"),
    ('{ tenant = "ops", operator = true, env = "" }', "admission.keys[1].env"),
    ('{ tenant = "ops", operator = true, env = "REACTOR_TEST_OPERATOR_KEY" }',
     "cannot be sent in a header"),
])
def test_an_operator_key_follows_the_rules_of_every_key(
        monkeypatch: pytest.MonkeyPatch, entry: str, said: str) -> None:
    monkeypatch.setenv("REACTOR_TEST_OPERATOR_KEY", "sk-ops\n")
    text = (f'[admission]\nkeys = [{{ tenant = "alice", sha256 = "{digest("sk-alice")}" }}, '
            f'{entry}]\n' + FAST_MODELS)
    with pytest.raises(ConfigError) as caught:
        parse_config(text)
    assert "admission.keys[1]" in str(caught.value)
    assert said in str(caught.value)


def reloadable(operator: str) -> str:
    keys = ", ".join(
        f'{{ tenant = "{name}", sha256 = "{digest(name)}"'
        f'{", operator = true" if name == operator else ""} }}'
        for name in ("sk-one", "sk-two"))
    return f"[admission]\nrequire_key = true\nkeys = [{keys}]\n" + MODELS


async def test_sighup_moves_the_operator_key_for_the_next_request(tmp_path: Path) -> None:
    config = tmp_path / "router.toml"
    config.write_text(reloadable("sk-one"))
    async with child("--log-json", "serve", "--config", str(config), "--port", "0") as process:
        with anyio.fail_after(60):
            url = await listening(process)
            log = Log(process)
            async with aiohttp.ClientSession() as session:
                async def status(key: str) -> int:
                    async with session.get(url + "/api/v1/stats",
                                           headers={"Authorization": f"Bearer {key}"}
                                           ) as response:
                        return response.status

                assert (await status("sk-one"), await status("sk-two")) == (200, 403)
                config.write_text(reloadable("sk-two"))
                process.send_signal(signal.SIGHUP)
                await log.until("reloaded")
                assert (await status("sk-one"), await status("sk-two")) == (403, 200)
                assert await status("sk-three") == 401
            process.send_signal(signal.SIGTERM)
            assert await process.wait() == 0
