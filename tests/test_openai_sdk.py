"""The official OpenAI SDK, pointed at Reactor, works unchanged."""

from __future__ import annotations

import openai
import pytest

from reactor._server import Server


@pytest.fixture
async def client(server: Server) -> openai.AsyncOpenAI:
    return openai.AsyncOpenAI(base_url=server.url + "/v1", api_key="unused", max_retries=0)


async def test_sdk_plain_completion(client: openai.AsyncOpenAI) -> None:
    async with client:
        completion = await client.chat.completions.create(
            model="auto", messages=[{"role": "user", "content": "Say hello"}])
    assert completion.model in {"nano", "mini", "pro", "ultra"}
    assert completion.choices[0].message.content
    assert completion.choices[0].finish_reason == "stop"
    assert completion.usage is not None and completion.usage.completion_tokens > 0


async def test_sdk_streaming_completion(client: openai.AsyncOpenAI) -> None:
    async with client:
        stream = await client.chat.completions.create(
            model="pro", stream=True, stream_options={"include_usage": True},
            messages=[{"role": "user", "content": "Stream a reply"}])
        pieces: list[str] = []
        finish: list[str | None] = []
        usage = None
        async for chunk in stream:
            if chunk.choices:
                pieces.append(chunk.choices[0].delta.content or "")
                finish.append(chunk.choices[0].finish_reason)
            if chunk.usage is not None:
                usage = chunk.usage
    assert len("".join(pieces).split()) == 20
    assert finish[-1] == "stop"
    assert usage is not None and usage.completion_tokens == 20


async def test_sdk_sees_errors_as_exceptions(client: openai.AsyncOpenAI) -> None:
    async with client:
        with pytest.raises(openai.NotFoundError) as caught:
            await client.chat.completions.create(
                model="no-such-model", messages=[{"role": "user", "content": "x"}])
    assert caught.value.status_code == 404


async def test_sdk_lists_models(client: openai.AsyncOpenAI) -> None:
    async with client:
        models = [m.id async for m in client.models.list()]
    assert "auto" in models and "pro" in models


async def test_sdk_retrieves_one_model(client: openai.AsyncOpenAI) -> None:
    async with client:
        model = await client.models.retrieve("pro")
        with pytest.raises(openai.NotFoundError) as caught:
            await client.models.retrieve("gpt-17")
    assert model.id == "pro" and model.object == "model"
    assert caught.value.code == "model_not_found"
