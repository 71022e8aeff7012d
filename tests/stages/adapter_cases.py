"""Tests every adapter runs against its own fake (`bench.fake_upstream`, `fake_anthropic`,
`fake_gemini`), written once: an adapter's test module runs them in a subclass of
`AdapterTests` (`ProviderTests` for the providers called over the router's session)
and gives them its `kit` fixture (its fake, its adapter and what its wire format says
where they differ), plus the rows of the fault matrices it runs (`error_status`,
`broken_200`, made with `matrix`).

Faults named here are the ones every fake has (`SharedFault`); what one provider alone
does stays in its own module.
"""

from __future__ import annotations

import gc
import sys
from collections.abc import AsyncGenerator, Callable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple, Protocol

import aiohttp
import anyio
import msgspec
import openai
import pytest
import structlog

from bench.fake_server import FakeServer, Seen, SharedFault
from bench.fake_upstream import fake_text, fake_words
from reactor import ChatMessage, ChatRequest, parse_config
from reactor._router import Router
from reactor._server import Server
from stages.upstreams import Fault, FaultKind, OnToken, Reply, Upstream
from tests.conftest import hold_open
from tests.stages.upstream_support import refused_base_url

PROMPT = "Name five things that float."
WORDS = 5


def request(*, stream: bool = False, **fields: object) -> ChatRequest:
    plain = ChatRequest(model="reactor-alias", messages=[ChatMessage(role="user", content=PROMPT)])
    return msgspec.structs.replace(plain, stream=stream, **fields)


class Recording(Protocol):
    """An `on_token` that keeps the text of what it is given (each module has its own)."""

    pieces: list[str]
    arrived: anyio.Event

    async def __call__(self, token: Any) -> None: ...


@dataclass(frozen=True)
class Kit:
    """One adapter and its fake, as the shared tests use them."""

    fake: FakeServer[Any]
    """The module's running fake."""
    adapter: Callable[..., Upstream]
    """An adapter for a base URL; keywords as the module's `adapter` (model, api_key,
    api_key_env, headers)."""
    new_fake: Callable[..., FakeServer[Any]]
    """The fake's class, for a test that wants one started with its own options."""
    texts: Callable[[], Recording]
    key: str
    """The key the adapter is made with."""
    key_header: str
    key_format: str
    """How the key stands in `key_header` (`{}` for the key)."""
    error_says: tuple[str, str]
    """A fault whose error body's message the fault must carry, and words from it."""
    check_sent: Callable[[Seen[Any], bool], None]
    """Asserts what the fake saw of a plain call, streamed (True) or not: the endpoint
    and what asks for a stream, which differ by wire format."""


@dataclass(frozen=True)
class ProviderKit(Kit):
    """What the shared tests of the providers called over the router's session
    (Anthropic, Gemini) need besides."""

    path: str
    """Where a request to the fake goes (for one sent by hand)."""
    overloaded_says: str
    """Words of the error event sent mid-stream (`error_event`)."""
    name: str
    """The model's name in `router_toml`, and the provider's (`owned_by`)."""
    provider: str
    router_toml: Callable[..., str]
    """A router.toml with the one model, on the fake; `key` and `extra` as the module's."""


class ErrorStatus(NamedTuple):
    fault: str
    kind: FaultKind
    status: int
    retry_after_s: float | None = None


class Broken(NamedTuple):
    """A 200 that is no whole answer, and the fault it must be."""

    fault: str
    kind: FaultKind


BROKEN = (
    Broken("malformed_sse", "malformed"),
    Broken("drop_mid_stream", "truncated"),
    Broken("empty", "empty"),
    Broken("empty_body", "empty"),
)
"""The rows of `broken_200` every fake has (`SharedFault`), alike for every adapter."""


def matrix(name: str, rows: Sequence[ErrorStatus | Broken]) -> object:
    """A fixture `name` that runs each test using it once per row (the module's own
    rows of a fault matrix), the row named by its fault."""

    def row(request: pytest.FixtureRequest) -> object:
        return request.param

    return pytest.fixture(name=name, params=list(rows), ids=[r.fault for r in rows])(row)


async def call(upstream: Upstream, req: ChatRequest, on_token: OnToken) -> Reply | Fault:
    with anyio.fail_after(5):
        return await upstream.call(req, stream=req.stream, on_token=on_token)


class AdapterTests:
    """What every adapter must do against its fake; a module runs them as
    `class TestAsEveryAdapter(AdapterTests)`, with its `kit`, `error_status` and
    `broken_200` fixtures. A test added here runs for every adapter."""

    async def test_json_answer_gives_text_finish_reason_and_usage(self, kit: Kit) -> None:
        texts = kit.texts()

        result = await call(kit.adapter(kit.fake.base_url), request(), texts)

        assert isinstance(result, Reply)
        assert texts.pieces == [fake_text(PROMPT, WORDS)]
        assert result.finish_reason == "stop"
        assert result.usage is not None
        assert (result.usage.prompt_tokens, result.usage.completion_tokens) == \
            (len(PROMPT) // 4, WORDS)
        kit.check_sent(kit.fake.last, False)

    async def test_stream_gives_each_piece_as_it_comes_then_finish_reason_and_usage(
            self, kit: Kit) -> None:
        texts = kit.texts()

        result = await call(kit.adapter(kit.fake.base_url), request(stream=True), texts)

        assert isinstance(result, Reply)
        assert texts.pieces == fake_words(PROMPT, WORDS)
        assert result.finish_reason == "stop"
        assert result.usage is not None
        assert (result.usage.prompt_tokens, result.usage.completion_tokens) == \
            (len(PROMPT) // 4, WORDS)
        kit.check_sent(kit.fake.last, True)

    async def test_a_stream_read_to_its_end_leaves_no_generator_for_the_loop_to_close(
            self, kit: Kit) -> None:
        # An async generator dropped unclosed is closed later by the event loop, in a
        # task of its own woken through the loop's self-pipe: work after every answer.
        dropped: list[str] = []
        firstiter, finalizer = sys.get_asyncgen_hooks()

        def counting(generator: AsyncGenerator[Any, Any]) -> None:
            if "/stages/" in generator.ag_code.co_filename:
                dropped.append(generator.ag_code.co_qualname)
            if finalizer is not None:
                finalizer(generator)

        sys.set_asyncgen_hooks(firstiter, counting)
        try:
            result = await call(kit.adapter(kit.fake.base_url), request(stream=True),
                                kit.texts())
            gc.collect()
        finally:
            sys.set_asyncgen_hooks(firstiter, finalizer)

        assert isinstance(result, Reply)
        assert dropped == []

    async def test_key_from_the_environment_is_sent(
            self, kit: Kit, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("REACTOR_TEST_ENV_KEY", "sk-from-env")
        upstream = kit.adapter(kit.fake.base_url, api_key=None,
                               api_key_env="REACTOR_TEST_ENV_KEY")

        await call(upstream, request(), kit.texts())

        assert kit.fake.last.headers[kit.key_header] == kit.key_format.format("sk-from-env")

    async def test_missing_key_is_unavailable_without_calling(
            self, kit: Kit, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.delenv("REACTOR_TEST_MISSING_KEY", raising=False)
        upstream = kit.adapter(kit.fake.base_url, api_key=None,
                               api_key_env="REACTOR_TEST_MISSING_KEY")

        result = await call(upstream, request(), kit.texts())

        assert upstream.unavailable() == \
            "environment variable REACTOR_TEST_MISSING_KEY is not set"
        assert isinstance(result, Fault)
        assert result.kind == "unavailable"
        assert "REACTOR_TEST_MISSING_KEY" in result.message
        assert kit.fake.requests == 0

    @pytest.mark.parametrize("stream", [False, True])
    async def test_error_status_maps_to_fault(self, error_status: ErrorStatus, stream: bool,
                                              kit: Kit) -> None:
        kit.fake.faults.append(error_status.fault)
        texts = kit.texts()

        result = await call(kit.adapter(kit.fake.base_url), request(stream=stream), texts)

        assert isinstance(result, Fault)
        assert (result.kind, result.status, result.retry_after_s) == \
            (error_status.kind, error_status.status, error_status.retry_after_s)
        assert kit.key not in result.message
        assert texts.pieces == []

    async def test_error_message_comes_from_the_error_body(self, kit: Kit) -> None:
        fault, says = kit.error_says
        kit.fake.faults.append(fault)

        result = await call(kit.adapter(kit.fake.base_url), request(), kit.texts())

        assert isinstance(result, Fault)
        assert says in result.message

    @pytest.mark.parametrize("stream", [False, True])
    async def test_connection_refused_is_connect(self, stream: bool, kit: Kit) -> None:
        with refused_base_url() as url:
            result = await call(kit.adapter(url), request(stream=stream), kit.texts())

        assert isinstance(result, Fault)
        assert result.kind == "connect"

    @pytest.mark.parametrize("stream", [False, True])
    async def test_broken_200_maps_to_fault(self, broken_200: Broken, stream: bool,
                                            kit: Kit) -> None:
        kit.fake.faults.append(broken_200.fault)

        result = await call(kit.adapter(kit.fake.base_url), request(stream=stream),
                            kit.texts())

        assert isinstance(result, Fault)
        assert result.kind == broken_200.kind

    async def test_stream_dropped_midway_keeps_what_arrived_and_says_truncated(
            self, kit: Kit) -> None:
        async with kit.new_fake(output_tokens=WORDS, drop_after_tokens=3,
                                fault="drop_mid_stream") as fake:
            texts = kit.texts()

            result = await call(kit.adapter(fake.base_url), request(stream=True), texts)

        assert isinstance(result, Fault)
        assert result.kind == "truncated"
        assert texts.pieces == fake_words(PROMPT, WORDS)[:3]

    @pytest.mark.parametrize(("fault", "stream"), [
        ("hang_before_headers", False),
        ("hang_before_headers", True),
        ("hang_after_first_token", False),
        ("hang_after_first_token", True),
    ])
    async def test_cancelled_call_hangs_up_on_the_upstream(
            self, fault: SharedFault, stream: bool, kit: Kit) -> None:
        fake = kit.fake
        fake.faults.append(fault)
        upstream = kit.adapter(fake.base_url)
        texts = kit.texts()
        returned: list[Reply | Fault] = []

        async def run() -> None:
            returned.append(await upstream.call(request(stream=stream), stream=stream,
                                                on_token=texts))

        with anyio.fail_after(5):
            async with anyio.create_task_group() as tg:
                tg.start_soon(run)
                await fake.hanging.wait()
                if fault == "hang_after_first_token" and stream:
                    await texts.arrived.wait()
                tg.cancel_scope.cancel()
            await fake.disconnected.wait()

        assert returned == [], "cancellation must propagate, not become a result"
        assert fake.disconnects == 1
        if fault == "hang_after_first_token" and stream:
            assert texts.pieces == fake_words(PROMPT, WORDS)[:1]


class ProviderTests(AdapterTests):
    """And what the providers called over the router's session (Anthropic, Gemini) must
    do besides; their `kit` is a `ProviderKit`."""

    async def test_a_key_echoed_back_never_reaches_the_fault(
            self, kit: ProviderKit, session: aiohttp.ClientSession) -> None:
        kit.fake.faults.extend(["bad_key", "bad_key"])
        async with session.post(kit.fake.base_url + kit.path, json={},
                                headers={kit.key_header: kit.key}) as response:
            echoed = await response.text()

        result = await call(kit.adapter(kit.fake.base_url), request(), kit.texts())

        assert kit.key in echoed, "the fake must echo the key for this test to mean anything"
        assert isinstance(result, Fault)
        assert result.kind == "auth"
        assert kit.key not in result.message

    async def test_overloaded_mid_stream_keeps_what_arrived_and_says_so(
            self, kit: ProviderKit) -> None:
        kit.fake.faults.append("error_event")
        texts = kit.texts()

        result = await call(kit.adapter(kit.fake.base_url), request(stream=True), texts)

        assert isinstance(result, Fault)
        assert result.kind == "server_error"
        assert kit.overloaded_says in result.message
        assert texts.pieces == fake_words(PROMPT, WORDS)[:1]

    async def test_a_stream_cut_before_its_output_was_counted_reports_no_usage(
            self, kit: ProviderKit) -> None:
        # What came before the cut counted only the prompt (Anthropic's `message_start`
        # holds a placeholder of the output): the words that came are left to be
        # estimated.
        async with kit.new_fake(output_tokens=WORDS, drop_after_tokens=3,
                                fault="drop_mid_stream") as fake:
            result = await call(kit.adapter(fake.base_url), request(stream=True),
                                kit.texts())

        assert isinstance(result, Fault)
        assert result.kind == "truncated"
        assert result.usage is None

    async def test_a_refused_key_reaches_neither_the_caller_nor_the_logs(
            self, kit: ProviderKit) -> None:
        config = parse_config(kit.router_toml(kit.fake.base_url,
                                              extra=', headers = { x-fake-fault = "bad_key" }'))
        with structlog.testing.capture_logs() as logs:
            async for router in hold_open(Router(config)):
                async with Server(router) as server, openai.AsyncOpenAI(
                        base_url=server.url + "/v1", api_key="unused", max_retries=0) as client:
                    with anyio.fail_after(10), pytest.raises(openai.APIStatusError) as caught:
                        await client.chat.completions.create(
                            model=kit.name, messages=[{"role": "user", "content": PROMPT}])

        assert kit.fake.requests >= 1
        assert kit.key not in str(caught.value) and kit.key not in caught.value.response.text
        assert kit.key not in repr(logs)

    async def test_a_model_whose_key_is_missing_is_listed_unavailable(
            self, kit: ProviderKit, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.delenv("REACTOR_TEST_NO_KEY", raising=False)
        toml = kit.router_toml(kit.fake.base_url, key='api_key_env = "REACTOR_TEST_NO_KEY"')
        async for router in hold_open(Router(parse_config(toml))):
            [card] = [c for c in router.models() if c.id == kit.name]

        assert (card.available, card.owned_by) == (False, kit.provider)
        assert card.unavailable_reason == "environment variable REACTOR_TEST_NO_KEY is not set"
