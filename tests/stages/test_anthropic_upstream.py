"""The Anthropic adapter, over real HTTP against `bench.fake_anthropic`."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import anyio
import msgspec
import openai
import pytest

from bench.fake_anthropic import FakeAnthropic
from bench.fake_server import Seen
from bench.fake_upstream import fake_text, fake_words
from reactor import AnthropicUpstream, ChatMessage, ChatRequest, Usage, parse_config
from reactor._router import Router
from reactor._server import Server
from reactor._wire import (
    CacheOptions,
    Constraints,
    FunctionCall,
    FunctionDef,
    ImagePart,
    ImageURL,
    Preferences,
    TextPart,
    Tool,
    ToolCall,
)
from stages.upstreams import Fault, Reply
from stages.upstreams.anthropic import (
    Anthropic,
    StreamAssembly,
    _BlockDelta,
    _Delta,
    decode_event,
)
from tests.conftest import hold_open
from tests.stages.adapter_cases import (
    BROKEN,
    PROMPT,
    WORDS,
    Broken,
    ErrorStatus,
    ProviderKit,
    ProviderTests,
    matrix,
    request,
)
from tests.stages.upstream_support import HeldTail, Texts, call, sse

KEY = "sk-ant-test-123"
SEARCH = Tool(function=FunctionDef(
    name="search", description="Search the web",
    parameters=msgspec.Raw(b'{"type":"object","properties":{"query":{"type":"string"}}}')))


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
async def fake() -> AsyncIterator[FakeAnthropic]:
    async with FakeAnthropic(output_tokens=WORDS, retry_after_s=2.5) as fake:
        yield fake


def adapter(base_url: str, session: aiohttp.ClientSession, *,
            model: str | None = "claude-upstream", api_key: str | None = KEY,
            api_key_env: str = "ANTHROPIC_API_KEY", max_tokens: int = 4096,
            headers: dict[str, str] | None = None) -> Anthropic:
    config = AnthropicUpstream(base_url=base_url, model=model, api_key=api_key,
                               api_key_env=api_key_env, max_tokens=max_tokens,
                               headers=headers or {})
    return Anthropic("router-model", config, session)


def check_sent(seen: Seen[Any], stream: bool) -> None:
    if stream:
        assert seen.body["stream"] is True
    else:
        assert "stream" not in seen.body


@pytest.fixture
def kit(fake: FakeAnthropic, session: aiohttp.ClientSession) -> ProviderKit:
    return ProviderKit(
        fake=fake, adapter=lambda base_url, **config: adapter(base_url, session, **config),
        new_fake=FakeAnthropic, texts=Texts, key=KEY, key_header="x-api-key",
        key_format="{}", error_says=("http_529", "Overloaded"), check_sent=check_sent,
        path="/v1/messages", overloaded_says="overloaded_error", name="claude",
        provider="anthropic", router_toml=router_toml)


error_status = matrix("error_status", [
    ErrorStatus("http_500", "server_error", 500),
    ErrorStatus("http_503", "server_error", 503, 2.5),
    ErrorStatus("http_429", "rate_limited", 429, 2.5),
    ErrorStatus("http_529", "server_error", 529),
    ErrorStatus("bad_key", "auth", 401),
])
broken_200 = matrix("broken_200", [
    *BROKEN,
    Broken("no_stop_reason", "truncated"),
    Broken("error_event", "server_error"),
])


class TestAsEveryAdapter(ProviderTests):
    """The tests every adapter runs (`adapter_cases`), with this module's `kit`."""


# Happy paths


@pytest.mark.parametrize("stream", [False, True])
async def test_output_limit_is_sent_as_max_tokens_and_length_reported(
        stream: bool, fake: FakeAnthropic, session: aiohttp.ClientSession) -> None:
    texts = Texts()

    result = await call(adapter(fake.base_url, session),
                        request(stream=stream, max_completion_tokens=2), texts)

    assert isinstance(result, Reply)
    assert result.finish_reason == "length"
    assert texts.text == fake_text(PROMPT, 2)
    assert fake.last.body["max_tokens"] == 2


async def test_without_an_output_limit_the_configured_max_tokens_is_sent(
        fake: FakeAnthropic, session: aiohttp.ClientSession) -> None:
    await call(adapter(fake.base_url, session, max_tokens=777), request(), Texts())

    assert fake.last.body["max_tokens"] == 777


# What is sent upstream


async def test_key_goes_in_x_api_key_with_the_api_version_and_extra_headers(
        fake: FakeAnthropic, session: aiohttp.ClientSession) -> None:
    upstream = adapter(fake.base_url, session, headers={"anthropic-beta": "tools-2024"})

    await call(upstream, request(), Texts())

    headers = fake.last.headers
    assert headers["x-api-key"] == KEY
    assert headers["anthropic-version"] == "2023-06-01"
    assert headers["anthropic-beta"] == "tools-2024"
    assert headers["Content-Type"] == "application/json"
    assert "Authorization" not in headers
    assert fake.last.path == "/v1/messages"


async def test_system_prompts_go_on_top_and_turns_of_one_role_merge(
        fake: FakeAnthropic, session: aiohttp.ClientSession) -> None:
    req = ChatRequest(messages=[
        ChatMessage(role="system", content="Be brief."),
        ChatMessage(role="user", content="Hi."),
        ChatMessage(role="developer", content="Answer in English."),
        ChatMessage(role="user", content=[TextPart(text=PROMPT)]),
        ChatMessage(role="assistant", content="A boat."),
        ChatMessage(role="user", content="More?"),
    ], temperature=0.25, top_p=0.9, stop="END", user="u-1", seed=7, mode="accurate",
        preferences=Preferences(quality=1.0), constraints=Constraints(max_cost_usd=0.01),
        cache=CacheOptions(mode="off"))

    result = await call(adapter(fake.base_url, session), req, Texts())

    assert isinstance(result, Reply)
    assert fake.last.body == {
        "model": "claude-upstream",
        "max_tokens": 4096,
        "system": "Be brief.\n\nAnswer in English.",
        "messages": [
            {"role": "user", "content": [{"type": "text", "text": "Hi."},
                                         {"type": "text", "text": PROMPT}]},
            {"role": "assistant", "content": [{"type": "text", "text": "A boat."}]},
            {"role": "user", "content": [{"type": "text", "text": "More?"}]},
        ],
        "temperature": 0.25,
        "top_p": 0.9,
        "stop_sequences": ["END"],
        "metadata": {"user_id": "u-1"},
    }


async def test_a_message_with_nothing_in_it_is_left_out(
        fake: FakeAnthropic, session: aiohttp.ClientSession) -> None:
    # OpenAI takes an empty assistant message (a client keeps the empty answer it got);
    # Anthropic refuses a turn without content, so it is left out and the turns around
    # it merge.
    req = request(messages=[ChatMessage(role="user", content="Hi."),
                            ChatMessage(role="assistant", content=""),
                            ChatMessage(role="user", content=PROMPT)])

    result = await call(adapter(fake.base_url, session), req, Texts())

    assert isinstance(result, Reply)
    assert fake.last.body["messages"] == [
        {"role": "user", "content": [{"type": "text", "text": "Hi."},
                                     {"type": "text", "text": PROMPT}]}]


async def test_whitespace_anthropic_refuses_is_not_sent(
        fake: FakeAnthropic, session: aiohttp.ClientSession) -> None:
    # OpenAI takes a text that is only whitespace, and an assistant message ending in
    # some; Anthropic refuses both (the latter when it is the last turn, a prefill).
    req = request(messages=[
        ChatMessage(role="user", content=[TextPart(text=PROMPT), TextPart(text="\n")]),
        ChatMessage(role="assistant", content=" "),
        ChatMessage(role="user", content="Go on."),
        ChatMessage(role="assistant", content="Wood, ")])

    result = await call(adapter(fake.base_url, session), req, Texts())

    assert isinstance(result, Reply)
    assert fake.last.body["messages"] == [
        {"role": "user", "content": [{"type": "text", "text": PROMPT},
                                     {"type": "text", "text": "Go on."}]},
        {"role": "assistant", "content": [{"type": "text", "text": "Wood,"}]}]


@pytest.mark.parametrize(("temperature", "top_p", "sent"), [
    (0.3, 1.0, {"temperature": 0.3}),
    (1.0, 0.5, {"top_p": 0.5}),
])
async def test_a_sampling_option_left_at_its_default_is_not_sent(
        temperature: float, top_p: float, sent: dict[str, float], fake: FakeAnthropic,
        session: aiohttp.ClientSession) -> None:
    # Many clients send OpenAI's defaults (temperature 1, top_p 1) with every request;
    # Anthropic's newer models refuse temperature and top_p together, though at 1 either
    # is no change from what the model does without it.
    upstream = adapter(fake.base_url, session, model="claude-sonnet-4-5")

    result = await call(upstream, request(temperature=temperature, top_p=top_p), Texts())

    assert isinstance(result, Reply)
    assert {k: v for k, v in fake.last.body.items() if k in ("temperature", "top_p")} == sent


async def test_model_name_defaults_to_the_routers_name(
        fake: FakeAnthropic, session: aiohttp.ClientSession) -> None:
    await call(adapter(fake.base_url, session, model=None), request(), Texts())

    assert fake.last.body["model"] == "router-model"


async def test_images_go_as_base64_or_url_sources(
        fake: FakeAnthropic, session: aiohttp.ClientSession) -> None:
    content: list[TextPart | ImagePart] = [
        TextPart(text=PROMPT),
        ImagePart(image_url=ImageURL(url="data:image/png;base64,iVBORw0KGgo=")),
        ImagePart(image_url=ImageURL(url="https://example.com/cat.jpg"))]
    req = request(messages=[ChatMessage(role="user", content=content)])

    result = await call(adapter(fake.base_url, session), req, Texts())

    assert isinstance(result, Reply)
    assert fake.last.body["messages"][0]["content"][1:] == [
        {"type": "image", "source": {"type": "base64", "media_type": "image/png",
                                     "data": "iVBORw0KGgo="}},
        {"type": "image", "source": {"type": "url", "url": "https://example.com/cat.jpg"}},
    ]


# Tools


async def test_tool_definitions_are_translated(
        fake: FakeAnthropic, session: aiohttp.ClientSession) -> None:
    req = request(tools=[SEARCH], tool_choice=msgspec.Raw(b'"required"'),
                  parallel_tool_calls=False)

    await call(adapter(fake.base_url, session), req, Texts())

    assert fake.last.body["tools"] == [{
        "name": "search", "description": "Search the web",
        "input_schema": {"type": "object", "properties": {"query": {"type": "string"}}}}]
    assert fake.last.body["tool_choice"] == {"type": "any", "disable_parallel_tool_use": True}


@pytest.mark.parametrize(("choice", "expected"), [
    (b'"auto"', {"type": "auto"}),
    (b'"none"', {"type": "none"}),
    (b'{"type": "function", "function": {"name": "search"}}', {"type": "tool",
                                                               "name": "search"}),
])
async def test_tool_choice_is_translated(
        choice: bytes, expected: dict[str, str], fake: FakeAnthropic,
        session: aiohttp.ClientSession) -> None:
    await call(adapter(fake.base_url, session),
               request(tools=[SEARCH], tool_choice=msgspec.Raw(choice)), Texts())

    assert fake.last.body["tool_choice"] == expected


async def test_tool_call_answer_in_json(
        fake: FakeAnthropic, session: aiohttp.ClientSession) -> None:
    texts = Texts()

    result = await call(adapter(fake.base_url, session), request(tools=[SEARCH]), texts)

    assert isinstance(result, Reply)
    assert result.finish_reason == "tool_calls"
    assert texts.text == "Calling search."
    [delta] = texts.calls
    assert (delta.index, delta.id, delta.name) == (0, "toolu_fake0001", "search")
    assert json.loads(delta.arguments) == {"query": PROMPT}


async def test_streamed_tool_call_arrives_in_pieces_that_assemble(
        fake: FakeAnthropic, session: aiohttp.ClientSession) -> None:
    texts = Texts()

    result = await call(adapter(fake.base_url, session), request(stream=True, tools=[SEARCH]),
                        texts)

    assert isinstance(result, Reply)
    assert result.finish_reason == "tool_calls"
    assert texts.text == "Calling search."
    first = texts.calls[0]
    # The tool_use is content block 1 (after the text), but it is the first call.
    assert (first.index, first.id, first.name, first.arguments) == \
        (0, "toolu_fake0001", "search", "")
    assert len(texts.calls) > 3
    assert {d.index for d in texts.calls} == {0}
    assert json.loads(texts.arguments(0)) == {"query": PROMPT}


@pytest.mark.parametrize("stream", [False, True])
async def test_a_call_without_arguments_has_an_empty_object_for_them(
        stream: bool, fake: FakeAnthropic, session: aiohttp.ClientSession) -> None:
    # A tool that takes nothing is called with `{}`, which Anthropic streams as one empty
    # `input_json_delta`: the caller must still get `{}`, as OpenAI gives it, not "".
    clock = Tool(function=FunctionDef(name="now", description="The time"))
    texts = Texts()

    result = await call(adapter(fake.base_url, session), request(stream=stream, tools=[clock]),
                        texts)

    assert isinstance(result, Reply)
    assert result.finish_reason == "tool_calls"
    assert fake.last.body["tools"][0]["input_schema"] == {"type": "object", "properties": {}}
    assert (texts.calls[0].id, texts.calls[0].name) == ("toolu_fake0001", "now")
    assert texts.arguments(0) == "{}"


@pytest.mark.parametrize("stream", [False, True])
async def test_tool_calls_and_results_go_back_as_tool_use_and_tool_result_blocks(
        stream: bool, fake: FakeAnthropic, session: aiohttp.ClientSession) -> None:
    calls = [ToolCall(id="toolu_1", function=FunctionCall(name="search",
                                                         arguments='{"query": "floats"}')),
             ToolCall(id="toolu_2", function=FunctionCall(name="search", arguments=""))]
    req = request(stream=stream, tools=[SEARCH], messages=[
        ChatMessage(role="user", content=PROMPT),
        ChatMessage(role="assistant", content="Looking.", tool_calls=calls),
        ChatMessage(role="tool", tool_call_id="toolu_1", content="wood, cork"),
        ChatMessage(role="tool", tool_call_id="toolu_2", content="ice"),
    ])
    texts = Texts()

    result = await call(adapter(fake.base_url, session), req, texts)

    assert isinstance(result, Reply)
    assert result.finish_reason == "stop"
    assert texts.text == fake_text(f"{PROMPT}\nLooking.", WORDS)
    assert fake.last.body["messages"][1:] == [
        {"role": "assistant", "content": [
            {"type": "text", "text": "Looking."},
            {"type": "tool_use", "id": "toolu_1", "name": "search",
             "input": {"query": "floats"}},
            {"type": "tool_use", "id": "toolu_2", "name": "search", "input": {}}]},
        {"role": "user", "content": [
            {"type": "tool_result", "tool_use_id": "toolu_1", "content": "wood, cork"},
            {"type": "tool_result", "tool_use_id": "toolu_2", "content": "ice"}]},
    ]


@pytest.mark.parametrize("broken", [
    ChatMessage(role="tool", content="orphan result"),
    ChatMessage(role="assistant", tool_calls=[ToolCall(
        id="toolu_9", function=FunctionCall(name="search", arguments="[1, 2"))]),
])
async def test_a_request_anthropic_cannot_carry_is_a_client_error_without_calling(
        broken: ChatMessage, fake: FakeAnthropic, session: aiohttp.ClientSession) -> None:
    req = request(messages=[ChatMessage(role="user", content=PROMPT), broken])

    result = await call(adapter(fake.base_url, session), req, Texts())

    assert isinstance(result, Fault)
    assert result.kind == "client_error"
    assert fake.requests == 0


# Faults


async def test_a_request_anthropic_refuses_is_a_client_error(
        fake: FakeAnthropic, session: aiohttp.ClientSession) -> None:
    # Anthropic's temperature tops out at 1, OpenAI's at 2: passed as is, refused there.
    result = await call(adapter(fake.base_url, session), request(temperature=1.5), Texts())

    assert isinstance(result, Fault)
    assert (result.kind, result.status) == ("client_error", 400)
    assert "temperature" in result.message


async def test_stream_without_message_stop_is_truncated_even_with_a_stop_reason(
        fake: FakeAnthropic, session: aiohttp.ClientSession) -> None:
    fake.faults.append("no_message_stop")
    texts = Texts()

    result = await call(adapter(fake.base_url, session), request(stream=True), texts)

    assert isinstance(result, Fault)
    assert result.kind == "truncated"
    assert texts.pieces == fake_words(PROMPT, WORDS)


# What a broken stream used


def counted_then_cut(*, stop: bool) -> bytes:
    """A stream whose `message_delta` counted the output (with a stop reason if `stop`),
    then no `message_stop`."""
    events: list[object] = [
        {"type": "message_start", "message": {"usage": {
            "input_tokens": 9, "cache_read_input_tokens": 4, "output_tokens": 1}}},
        {"type": "content_block_start", "index": 0,
         "content_block": {"type": "text", "text": ""}},
        {"type": "content_block_delta", "index": 0,
         "delta": {"type": "text_delta", "text": "Wood, cork and ice"}},
        {"type": "content_block_stop", "index": 0},
        {"type": "message_delta", "delta": {"stop_reason": "end_turn" if stop else None},
         "usage": {"output_tokens": 6}}]
    return sse(*events)


@pytest.mark.parametrize("drop", [False, True], ids=["ended", "dropped"])
@pytest.mark.parametrize("stop", [False, True], ids=["no_stop_reason", "stop_reason"])
async def test_a_stream_cut_after_its_output_was_counted_reports_that_usage(
        drop: bool, stop: bool, session: aiohttp.ClientSession) -> None:
    texts = Texts()
    async with HeldTail(counted_then_cut(stop=stop), delay_s=0.0, drop=drop) as upstream:
        result = await call(adapter(upstream.base_url, session), request(stream=True), texts)

    assert isinstance(result, Fault)
    assert result.kind == "truncated"
    assert texts.text == "Wood, cork and ice"
    # Prompt tokens with the cache reads, as on a whole answer.
    assert result.usage == Usage(prompt_tokens=13, completion_tokens=6)


def test_event_types_newer_than_the_adapter_are_skipped_and_garbage_is_malformed() -> None:
    assert decode_event(b'{"type": "content_block_citation", "index": 0}') is None
    garbage = decode_event(b'{"type": "content_block_delta", "index": ')
    assert isinstance(garbage, Fault) and garbage.kind == "malformed"
    broken = decode_event(b'{"type": "content_block_delta"}')
    assert isinstance(broken, Fault) and broken.kind == "malformed"


def test_thinking_deltas_are_not_passed_off_as_answer_text() -> None:
    assembly = StreamAssembly()

    given = assembly.feed(_BlockDelta(index=0, delta=_Delta(type="thinking_delta",
                                                            text="hmm")))

    assert given is None
    assert not assembly.content


# Through the whole router


def test_one_line_of_router_toml_is_enough() -> None:
    config = parse_config('[[models]]\nname = "claude"\n'
                          'upstream = { kind = "anthropic", model = "claude-sonnet-4-5" }\n')

    upstream = config.models[0].upstream
    assert upstream == AnthropicUpstream(model="claude-sonnet-4-5")
    assert (upstream.base_url, upstream.api_key_env, upstream.max_tokens) == \
        ("https://api.anthropic.com", "ANTHROPIC_API_KEY", 4096)


def router_toml(base_url: str, *, key: str = f'api_key = "{KEY}"', extra: str = "") -> str:
    upstream = f'kind = "anthropic", base_url = "{base_url}", model = "claude-test", {key}'
    return f"""
[cache]
enabled = false

[[models]]
name = "claude"
tools = true
upstream = {{ {upstream}{extra} }}
"""


async def test_the_openai_sdk_talks_to_claude_through_the_router(
        fake: FakeAnthropic) -> None:
    async for router in hold_open(Router(parse_config(router_toml(fake.base_url)))):
        async with Server(router) as server, openai.AsyncOpenAI(
                base_url=server.url + "/v1", api_key="unused", max_retries=0) as client:
            with anyio.fail_after(10):
                completion = await client.chat.completions.create(
                    model="claude", messages=[{"role": "system", "content": "Be brief."},
                                              {"role": "user", "content": PROMPT}])
                stream = await client.chat.completions.create(
                    model="claude", stream=True, stream_options={"include_usage": True},
                    messages=[{"role": "user", "content": PROMPT}])
                pieces: list[str] = []
                finishes: list[str | None] = []
                usage = None
                async for chunk in stream:
                    if chunk.choices:
                        pieces.append(chunk.choices[0].delta.content or "")
                        finishes.append(chunk.choices[0].finish_reason)
                    usage = chunk.usage or usage
                called = await client.chat.completions.create(
                    model="claude", stream=True, tools=[{"type": "function", "function": {
                        "name": "search", "parameters": {"type": "object"}}}],
                    messages=[{"role": "user", "content": PROMPT}])
                deltas = [d for chunk in [c async for c in called] if chunk.choices
                          for d in chunk.choices[0].delta.tool_calls or ()]

    assert completion.choices[0].message.content == fake_text(f"Be brief.\n{PROMPT}", WORDS)
    assert completion.choices[0].finish_reason == "stop"
    assert completion.usage is not None and completion.usage.completion_tokens == WORDS
    assert "".join(pieces) == fake_text(PROMPT, WORDS)
    assert finishes[-1] == "stop"
    assert usage is not None and usage.completion_tokens == WORDS
    assert deltas[0].id == "toolu_fake0003" and deltas[0].function is not None
    assert deltas[0].function.name == "search"
    assert json.loads("".join(d.function.arguments or "" for d in deltas if d.function)) == \
        {"query": PROMPT}
    assert [seen.headers["x-api-key"] for seen in fake.seen] == [KEY] * 3
    assert fake.bodies[0]["system"] == "Be brief."


