"""The Gemini adapter, over real HTTP against `bench.fake_gemini`."""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import anyio
import msgspec
import openai
import pytest

from bench.fake_gemini import FakeGemini
from bench.fake_server import Seen
from bench.fake_upstream import fake_text, fake_words
from reactor import ChatMessage, ChatRequest, GeminiUpstream, Usage, parse_config
from reactor._router import Router
from reactor._server import Server
from reactor._wire import (
    CacheOptions,
    FunctionCall,
    FunctionDef,
    ImagePart,
    ImageURL,
    Preferences,
    ResponseFormat,
    TextPart,
    Tool,
    ToolCall,
)
from stages.upstreams import Fault, Reply
from stages.upstreams.gemini import Assembly, Gemini, _Candidate, _Response, gemini_status_fault
from stages.upstreams.gemini_request import Content, Part, model_path
from stages.upstreams.gemini_request import FunctionCall as GeminiCall
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
from tests.stages.upstream_support import HeldTail, Texts, call

KEY = "AIza-test-key-123"
SCHEMA = b'{"type":"object","properties":{"query":{"type":"string"}},"additionalProperties":false}'
SEARCH = Tool(function=FunctionDef(name="search", description="Search the web",
                                   parameters=msgspec.Raw(SCHEMA)))


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
async def fake() -> AsyncIterator[FakeGemini]:
    async with FakeGemini(output_tokens=WORDS, retry_after_s=2.5) as fake:
        yield fake


def adapter(base_url: str, session: aiohttp.ClientSession, *,
            model: str | None = "gemini-upstream", api_key: str | None = KEY,
            api_key_env: str = "GEMINI_API_KEY",
            headers: dict[str, str] | None = None) -> Gemini:
    config = GeminiUpstream(base_url=base_url, model=model, api_key=api_key,
                            api_key_env=api_key_env, headers=headers or {})
    return Gemini("router-model", config, session)


def check_sent(seen: Seen[Any], stream: bool) -> None:
    if stream:
        assert seen.path == "/v1beta/models/gemini-upstream:streamGenerateContent"
        assert seen.query == {"alt": "sse"}
    else:
        assert seen.path == "/v1beta/models/gemini-upstream:generateContent"
        assert seen.query == {}


@pytest.fixture
def kit(fake: FakeGemini, session: aiohttp.ClientSession) -> ProviderKit:
    return ProviderKit(
        fake=fake, adapter=lambda base_url, **config: adapter(base_url, session, **config),
        new_fake=FakeGemini, texts=Texts, key=KEY, key_header="x-goog-api-key",
        key_format="{}", error_says=("http_503", "The model is overloaded"),
        check_sent=check_sent, path="/v1beta/models/m:generateContent",
        overloaded_says="overloaded", name="gemini", provider="gemini",
        router_toml=router_toml)


error_status = matrix("error_status", [
    ErrorStatus("http_500", "server_error", 500),
    ErrorStatus("http_503", "server_error", 503),
    ErrorStatus("http_429", "rate_limited", 429, 2.5),
    ErrorStatus("bad_key", "auth", 400),
])
broken_200 = matrix("broken_200", [
    *BROKEN,
    Broken("no_finish_reason", "truncated"),
    Broken("error_event", "server_error"),
])


class TestAsEveryAdapter(ProviderTests):
    """The tests every adapter runs (`adapter_cases`), with this module's `kit`."""


# Happy paths


@pytest.mark.parametrize("stream", [False, True])
async def test_output_limit_is_sent_as_max_output_tokens_and_length_reported(
        stream: bool, fake: FakeGemini, session: aiohttp.ClientSession) -> None:
    texts = Texts()

    result = await call(adapter(fake.base_url, session), request(stream=stream, max_tokens=2),
                        texts)

    assert isinstance(result, Reply)
    assert result.finish_reason == "length"
    assert texts.text == fake_text(PROMPT, 2)
    assert fake.last.body["generationConfig"] == {"maxOutputTokens": 2}


# What is sent upstream


async def test_key_goes_in_the_x_goog_api_key_header_never_the_url(
        fake: FakeGemini, session: aiohttp.ClientSession) -> None:
    upstream = adapter(fake.base_url, session, headers={"x-goog-user-project": "p-1"})

    await call(upstream, request(), Texts())

    headers = fake.last.headers
    assert headers["x-goog-api-key"] == KEY
    assert headers["x-goog-user-project"] == "p-1"
    assert headers["Content-Type"] == "application/json"
    assert "key" not in fake.last.query
    assert "Authorization" not in headers


async def test_roles_map_and_options_go_in_generation_config(
        fake: FakeGemini, session: aiohttp.ClientSession) -> None:
    req = ChatRequest(messages=[
        ChatMessage(role="system", content="Be brief."),
        ChatMessage(role="user", content="Hi."),
        ChatMessage(role="developer", content="Answer in JSON."),
        ChatMessage(role="user", content=[TextPart(text=PROMPT)]),
        ChatMessage(role="assistant", content="A boat."),
        ChatMessage(role="user", content="More?"),
    ], temperature=0.25, top_p=0.9, stop=["END", "STOP"], seed=7, max_tokens=50,
        response_format=ResponseFormat(type="json_object"), mode="accurate",
        preferences=Preferences(quality=1.0), cache=CacheOptions(mode="off"), user="u-1")

    result = await call(adapter(fake.base_url, session), req, Texts())

    assert isinstance(result, Reply)
    assert fake.last.body == {
        "contents": [
            {"role": "user", "parts": [{"text": "Hi."}, {"text": PROMPT}]},
            {"role": "model", "parts": [{"text": "A boat."}]},
            {"role": "user", "parts": [{"text": "More?"}]},
        ],
        "systemInstruction": {"parts": [{"text": "Be brief."}, {"text": "Answer in JSON."}]},
        "generationConfig": {"temperature": 0.25, "topP": 0.9, "maxOutputTokens": 50,
                             "stopSequences": ["END", "STOP"],
                             "responseMimeType": "application/json", "seed": 7},
    }


async def test_a_penalty_of_zero_is_not_sent(
        fake: FakeGemini, session: aiohttp.ClientSession) -> None:
    # Zero is OpenAI's default, and many clients send it; Gemini 2.5 and 3 have no
    # penalties and refuse the field, whatever its value. A penalty asked for still goes.
    upstream = adapter(fake.base_url, session, model="gemini-2.5-flash")

    unpenalised = await call(upstream, request(presence_penalty=0.0, frequency_penalty=0.0),
                             Texts())
    penalised = await call(upstream, request(presence_penalty=0.5), Texts())

    assert isinstance(unpenalised, Reply)
    assert fake.seen[0].body.get("generationConfig") is None
    assert isinstance(penalised, Fault) and penalised.kind == "client_error"
    assert fake.last.body["generationConfig"] == {"presencePenalty": 0.5}


async def test_a_json_schema_goes_as_the_response_schema(
        fake: FakeGemini, session: aiohttp.ClientSession) -> None:
    fmt = ResponseFormat(type="json_schema", json_schema=msgspec.Raw(
        b'{"name": "answer", "strict": true, "schema": ' + SCHEMA + b"}"))

    await call(adapter(fake.base_url, session), request(response_format=fmt), Texts())

    assert fake.last.body["generationConfig"] == {
        "responseMimeType": "application/json", "responseJsonSchema": json.loads(SCHEMA)}


async def test_a_message_with_nothing_in_it_is_left_out(
        fake: FakeGemini, session: aiohttp.ClientSession) -> None:
    # OpenAI takes an empty assistant message (a client keeps the empty answer it got);
    # Gemini refuses a content without parts, so it is left out and the turns around it
    # merge.
    req = request(messages=[ChatMessage(role="user", content="Hi."),
                            ChatMessage(role="assistant", content=""),
                            ChatMessage(role="user", content=PROMPT)])

    result = await call(adapter(fake.base_url, session), req, Texts())

    assert isinstance(result, Reply)
    assert fake.last.body["contents"] == [
        {"role": "user", "parts": [{"text": "Hi."}, {"text": PROMPT}]}]


async def test_model_name_defaults_to_the_routers_name(
        fake: FakeGemini, session: aiohttp.ClientSession) -> None:
    await call(adapter(fake.base_url, session, model=None), request(), Texts())

    assert fake.last.path == "/v1beta/models/router-model:generateContent"


def test_a_model_name_with_its_collection_is_kept() -> None:
    assert model_path("gemini-2.5-flash") == "models/gemini-2.5-flash"
    assert model_path("models/gemini-2.5-flash") == "models/gemini-2.5-flash"
    assert model_path("tunedModels/my-model") == "tunedModels/my-model"


async def test_inline_images_go_as_inline_data_and_urls_are_refused(
        fake: FakeGemini, session: aiohttp.ClientSession) -> None:
    inline = ImagePart(image_url=ImageURL(url="data:image/png;base64,iVBORw0KGgo="))
    linked = ImagePart(image_url=ImageURL(url="https://example.com/cat.jpg"))
    upstream = adapter(fake.base_url, session)

    sent = await call(upstream, request(messages=[
        ChatMessage(role="user", content=[TextPart(text=PROMPT), inline])]), Texts())
    refused = await call(upstream, request(messages=[
        ChatMessage(role="user", content=[TextPart(text=PROMPT), linked])]), Texts())

    assert isinstance(sent, Reply)
    assert fake.last.body["contents"][0]["parts"][1] == {
        "inlineData": {"mimeType": "image/png", "data": "iVBORw0KGgo="}}
    assert isinstance(refused, Fault)
    assert refused.kind == "client_error"
    assert fake.requests == 1


# Tools


async def test_tool_definitions_go_as_function_declarations_with_their_json_schema(
        fake: FakeGemini, session: aiohttp.ClientSession) -> None:
    req = request(tools=[SEARCH], tool_choice=msgspec.Raw(b'"required"'))

    await call(adapter(fake.base_url, session), req, Texts())

    assert fake.last.body["tools"] == [{"functionDeclarations": [{
        "name": "search", "description": "Search the web",
        "parametersJsonSchema": json.loads(SCHEMA)}]}]
    assert fake.last.body["toolConfig"] == {"functionCallingConfig": {"mode": "ANY"}}


@pytest.mark.parametrize(("choice", "expected"), [
    (b'"auto"', {"mode": "AUTO"}),
    (b'"none"', {"mode": "NONE"}),
    (b'{"type": "function", "function": {"name": "search"}}',
     {"mode": "ANY", "allowedFunctionNames": ["search"]}),
])
async def test_tool_choice_is_translated(
        choice: bytes, expected: dict[str, object], fake: FakeGemini,
        session: aiohttp.ClientSession) -> None:
    await call(adapter(fake.base_url, session),
               request(tools=[SEARCH], tool_choice=msgspec.Raw(choice)), Texts())

    assert fake.last.body["toolConfig"] == {"functionCallingConfig": expected}


@pytest.mark.parametrize("stream", [False, True])
async def test_a_function_call_arrives_whole_as_one_tool_call(
        stream: bool, fake: FakeGemini, session: aiohttp.ClientSession) -> None:
    texts = Texts()

    result = await call(adapter(fake.base_url, session), request(stream=stream, tools=[SEARCH]),
                        texts)

    assert isinstance(result, Reply)
    assert result.finish_reason == "tool_calls"
    assert texts.text == ""
    [delta] = texts.calls
    assert (delta.index, delta.name) == (0, "search")
    assert delta.id is not None and delta.id.startswith("call_")
    assert json.loads(delta.arguments) == {"query": PROMPT}


@pytest.mark.parametrize("stream", [False, True])
async def test_calls_and_results_go_back_as_function_call_and_response_parts(
        stream: bool, fake: FakeGemini, session: aiohttp.ClientSession) -> None:
    calls = [ToolCall(id="call_1", function=FunctionCall(name="search",
                                                        arguments='{"query": "floats"}')),
             ToolCall(id="call_2", function=FunctionCall(name="lookup", arguments=""))]
    req = request(stream=stream, tools=[SEARCH], messages=[
        ChatMessage(role="user", content=PROMPT),
        ChatMessage(role="assistant", tool_calls=calls),
        ChatMessage(role="tool", tool_call_id="call_1", content="wood, cork"),
        ChatMessage(role="tool", tool_call_id="call_2", content='{"found": 2}'),
    ])
    texts = Texts()

    result = await call(adapter(fake.base_url, session), req, texts)

    assert isinstance(result, Reply)
    assert result.finish_reason == "stop"
    assert texts.text == fake_text(PROMPT, WORDS)
    assert fake.last.body["contents"][1:] == [
        {"role": "model", "parts": [
            {"functionCall": {"name": "search", "args": {"query": "floats"}},
             "thoughtSignature": "skip_thought_signature_validator"},
            {"functionCall": {"name": "lookup", "args": {}}}]},
        {"role": "user", "parts": [
            {"functionResponse": {"name": "search", "response": {"result": "wood, cork"}}},
            {"functionResponse": {"name": "lookup", "response": {"found": 2}}}]},
    ]


def calls_then_results(calls: list[ToolCall], *, stream: bool) -> ChatRequest:
    """A request whose history is `calls` (made by the model) answered by tool results."""
    return request(stream=stream, tools=[SEARCH], messages=[
        ChatMessage(role="user", content=PROMPT),
        ChatMessage(role="assistant", tool_calls=calls),
        *[ChatMessage(role="tool", tool_call_id=c.id, content="cork") for c in calls]])


@pytest.mark.parametrize("stream", [False, True])
async def test_gemini_3_gets_back_the_signature_of_the_call_it_made(
        stream: bool, fake: FakeGemini, session: aiohttp.ClientSession) -> None:
    upstream = adapter(fake.base_url, session, model="gemini-3-pro")
    texts = Texts()
    await call(upstream, request(stream=stream, tools=[SEARCH]), texts)
    [made] = texts.calls
    assert made.id is not None
    answered = ToolCall(id=made.id, function=FunctionCall(name="search",
                                                         arguments=made.arguments))

    result = await call(upstream, calls_then_results([answered], stream=stream), Texts())

    assert isinstance(result, Reply)
    [part] = fake.last.body["contents"][1]["parts"]
    assert part["thoughtSignature"] == \
        base64.b64encode(b"thought of fake-response-0001").decode()


@pytest.mark.parametrize("stream", [False, True])
async def test_gemini_3_takes_calls_it_did_not_make_with_the_documented_stand_in(
        stream: bool, fake: FakeGemini, session: aiohttp.ClientSession) -> None:
    # Calls another model made (or this one, before a restart): Gemini 3 refuses a call
    # of the current turn without a signature, and Google documents a stand-in for
    # history it did not sign. Only the first call of a step carries one.
    calls = [ToolCall(id=f"call_{i}", function=FunctionCall(name="search", arguments="{}"))
             for i in (1, 2)]
    upstream = adapter(fake.base_url, session, model="gemini-3-pro")

    result = await call(upstream, calls_then_results(calls, stream=stream), Texts())

    assert isinstance(result, Reply)
    assert [part.get("thoughtSignature") for part in fake.last.body["contents"][1]["parts"]] \
        == ["skip_thought_signature_validator", None]


async def test_a_result_for_no_known_call_is_a_client_error_without_calling(
        fake: FakeGemini, session: aiohttp.ClientSession) -> None:
    req = request(messages=[ChatMessage(role="user", content=PROMPT),
                            ChatMessage(role="tool", tool_call_id="call_9", content="?")])

    result = await call(adapter(fake.base_url, session), req, Texts())

    assert isinstance(result, Fault)
    assert result.kind == "client_error"
    assert fake.requests == 0


# Faults


def test_an_error_sent_as_a_one_element_array_is_read_too() -> None:
    body = ('[{"error": {"code": 429, "message": "Resource exhausted", "status": '
            '"RESOURCE_EXHAUSTED", "details": [{"@type": '
            '"type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "57.2s"}]}}]')

    fault = gemini_status_fault(429, body, None)

    assert (fault.kind, fault.retry_after_s) == ("rate_limited", 57.2)
    assert "Resource exhausted" in fault.message


@pytest.mark.parametrize("stream", [False, True])
async def test_a_blocked_prompt_is_an_answer_filtered_to_nothing(
        stream: bool, fake: FakeGemini, session: aiohttp.ClientSession) -> None:
    fake.faults.append("blocked")
    texts = Texts()

    result = await call(adapter(fake.base_url, session), request(stream=stream), texts)

    assert isinstance(result, Reply)
    assert result.finish_reason == "content_filter"
    assert result.usage is not None and result.usage.prompt_tokens == len(PROMPT) // 4
    assert texts.pieces == [] and texts.calls == []


@pytest.mark.parametrize(("stream", "pieces"), [(False, []),
                                               (True, fake_words(PROMPT, WORDS)[:1])])
async def test_an_answer_stopped_for_safety_is_content_filter(
        stream: bool, pieces: list[str], fake: FakeGemini,
        session: aiohttp.ClientSession) -> None:
    fake.faults.append("safety")
    texts = Texts()

    result = await call(adapter(fake.base_url, session), request(stream=stream), texts)

    assert isinstance(result, Reply)
    assert result.finish_reason == "content_filter"
    assert texts.pieces == pieces


def counted_chunks(words: list[str]) -> bytes:
    """A stream of `words`, each chunk's usage counting the output so far (thinking
    included), and no finish reason."""
    chunks = [{"candidates": [{"content": {"role": "model", "parts": [{"text": word}]}}],
               "usageMetadata": {"promptTokenCount": 11, "candidatesTokenCount": i + 1,
                                 "thoughtsTokenCount": 20}}
              for i, word in enumerate(words)]
    return b"".join(b"data: " + msgspec.json.encode(c) + b"\r\n\r\n" for c in chunks)


@pytest.mark.parametrize("drop", [False, True], ids=["ended", "dropped"])
async def test_a_stream_cut_after_its_output_was_counted_reports_that_usage(
        drop: bool, session: aiohttp.ClientSession) -> None:
    texts = Texts()
    words = ["Wood, ", "cork ", "and ice"]
    async with HeldTail(counted_chunks(words), delay_s=0.0, drop=drop) as upstream:
        result = await call(adapter(upstream.base_url, session), request(stream=True), texts)

    assert isinstance(result, Fault)
    assert result.kind == "truncated"
    assert texts.pieces == words
    assert result.usage == Usage(prompt_tokens=11, completion_tokens=len(words) + 20)


def test_a_malformed_function_call_is_a_fault_not_an_answer() -> None:
    assembly = Assembly()

    assembly.feed(_Response(candidates=[_Candidate(finish_reason="MALFORMED_FUNCTION_CALL")]))

    outcome = assembly.end()
    assert isinstance(outcome, Fault) and outcome.kind == "malformed"


def test_thoughts_are_not_passed_off_as_answer_text_and_calls_keep_gemini_ids() -> None:
    assembly = Assembly(new_id=lambda: "call_generated")
    parts = [Part(text="Let me think.", thought=True), Part(text="Cork."),
             Part(function_call=GeminiCall(name="a", id="gemini-id")),
             Part(function_call=GeminiCall(name="b", args=msgspec.Raw(b'{"x": 1}')))]

    token = assembly.feed(_Response(candidates=[_Candidate(
        content=Content(parts=parts, role="model"), finish_reason="STOP")]))

    assert not isinstance(token, Fault) and token is not None
    assert token.text == "Cork."
    assert [(d.index, d.id, d.name, d.arguments) for d in token.tool_calls or ()] == [
        (0, "gemini-id", "a", "{}"), (1, "call_generated", "b", '{"x": 1}')]
    outcome = assembly.end()
    assert isinstance(outcome, Reply) and outcome.finish_reason == "tool_calls"


# Through the whole router


def test_one_line_of_router_toml_is_enough() -> None:
    config = parse_config('[[models]]\nname = "gemini"\n'
                          'upstream = { kind = "gemini", model = "gemini-2.5-flash" }\n')

    upstream = config.models[0].upstream
    assert upstream == GeminiUpstream(model="gemini-2.5-flash")
    assert (upstream.base_url, upstream.api_key_env) == \
        ("https://generativelanguage.googleapis.com", "GEMINI_API_KEY")


def router_toml(base_url: str, *, key: str = f'api_key = "{KEY}"', extra: str = "") -> str:
    upstream = f'kind = "gemini", base_url = "{base_url}", model = "gemini-test", {key}'
    return f"""
[cache]
enabled = false

[[models]]
name = "gemini"
tools = true
json_mode = true
upstream = {{ {upstream}{extra} }}
"""


async def test_the_openai_sdk_talks_to_gemini_through_the_router(fake: FakeGemini) -> None:
    async for router in hold_open(Router(parse_config(router_toml(fake.base_url)))):
        async with Server(router) as server, openai.AsyncOpenAI(
                base_url=server.url + "/v1", api_key="unused", max_retries=0) as client:
            with anyio.fail_after(10):
                completion = await client.chat.completions.create(
                    model="gemini", messages=[{"role": "system", "content": "Be brief."},
                                              {"role": "user", "content": PROMPT}])
                stream = await client.chat.completions.create(
                    model="gemini", stream=True, stream_options={"include_usage": True},
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
                    model="gemini", tools=[{"type": "function", "function": {
                        "name": "search", "parameters": {"type": "object"}}}],
                    messages=[{"role": "user", "content": PROMPT}])

    assert completion.choices[0].message.content == fake_text(f"Be brief.\n{PROMPT}", WORDS)
    assert completion.choices[0].finish_reason == "stop"
    assert completion.usage is not None and completion.usage.completion_tokens == WORDS
    assert "".join(pieces) == fake_text(PROMPT, WORDS)
    assert finishes[-1] == "stop"
    assert usage is not None and usage.completion_tokens == WORDS
    assert called.choices[0].finish_reason == "tool_calls"
    [tool_call] = called.choices[0].message.tool_calls or []
    assert tool_call.type == "function" and tool_call.function.name == "search"
    assert json.loads(tool_call.function.arguments) == {"query": PROMPT}
    assert [seen.headers["x-goog-api-key"] for seen in fake.seen] == [KEY] * 3
    assert fake.bodies[0]["systemInstruction"] == {"parts": [{"text": "Be brief."}]}


