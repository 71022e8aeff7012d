"""The embedded API: a whole router inside another asyncio program."""

from __future__ import annotations

import gc

import anyio
import msgspec
import pytest
from prometheus_client import generate_latest

from reactor import (
    AnalyzerConfig,
    ChatRequest,
    Done,
    Failed,
    Features,
    RequestFailed,
    RouterClosed,
    RouterConfig,
    Started,
    Token,
    parse_config,
)
from reactor._flow import Flow
from reactor._router import Router
from reactor._wire import ChatMessage
from stages.upstreams.simulated import simulated_words
from tests.conftest import FAST_MODELS


def ask(text: str, **fields: object) -> ChatRequest:
    return msgspec.convert({"messages": [{"role": "user", "content": text}], **fields},
                           ChatRequest)


async def test_complete_returns_an_openai_shaped_answer(router: Router) -> None:
    completion = await router.complete(ask("hello", model="nano"))
    assert completion.model == "nano"
    assert len(completion.text.split()) == 12
    assert completion.router is not None and completion.router.cost_usd > 0


async def test_complete_accepts_a_plain_dict(router: Router) -> None:
    completion = await router.complete({"messages": [{"role": "user", "content": "hi"}]})
    assert completion.choices[0].finish_reason == "stop"


async def test_stream_yields_started_tokens_done(router: Router) -> None:
    events = [event async for event in router.stream(ask("hi", model="mini"))]
    assert isinstance(events[0], Started) and events[0].model == "mini"
    assert isinstance(events[-1], Done) and events[-1].usage.completion_tokens == 16
    assert sum(isinstance(e, Token) for e in events) == 16


async def test_json_and_streamed_answers_carry_the_simulated_words(router: Router) -> None:
    completion = await router.complete(ask("answer in one piece", model="mini"))
    events = [event async for event in router.stream(ask("answer word by word", model="mini"))]

    assert completion.text == "".join(simulated_words("mini", "answer in one piece", 16))
    assert completion.usage.completion_tokens == 16
    assert [e.text for e in events if isinstance(e, Token)] == \
        simulated_words("mini", "answer word by word", 16)


async def test_failures_raise_request_failed(router: Router) -> None:
    with pytest.raises(RequestFailed) as caught:
        await router.complete(ask("x", model="missing"))
    assert caught.value.status == 404 and caught.value.code == "model_not_found"


async def test_context_too_long_for_pinned_model_is_refused(router: Router) -> None:
    with pytest.raises(RequestFailed) as caught:
        await router.complete(ask("word " * 40_000, model="nano"))
    assert caught.value.status == 400 and "context" in str(caught.value)


async def test_router_must_be_started() -> None:
    router = Router(parse_config(FAST_MODELS))
    with pytest.raises(RouterClosed):
        await router.complete(ask("x"))


async def test_full_pipeline_sheds_with_503_and_retry_after() -> None:
    config = parse_config(FAST_MODELS + "\n", source="t")
    config = msgspec.structs.replace(
        config, runtime=msgspec.structs.replace(config.runtime, mailbox_size=2))
    async with Router(config) as router:
        # Submitted in one go, without yielding: one goes straight to the waiting admission
        # actor, two fill its mailbox, the rest are shed at once.
        flows = [router.submit(ask(f"q{i}", model="nano")) for i in range(10)]
        results = []
        for flow in flows:
            event = await flow.receive()
            while not isinstance(event, Done | Failed):
                event = await flow.receive()
            flow.close()
            results.append(event)
    shed = [r for r in results if isinstance(r, Failed)]
    assert len(shed) == 7
    assert all(r.error.status == 503 and r.error.retry_after_s for r in shed)
    assert sum(isinstance(r, Done) for r in results) == 3


async def test_admission_caps_requests_in_flight(config: RouterConfig) -> None:
    config = msgspec.structs.replace(
        config, admission=msgspec.structs.replace(config.admission, max_in_flight=1))
    async with Router(config) as router:
        held = router.submit(ask("first", model="nano"))
        assert isinstance(await held.receive(), Started)
        # `held` is unread and open, so it still holds the only permit.
        with pytest.raises(RequestFailed) as caught:
            await router.complete(ask("second", model="nano"))
        assert caught.value.status == 503
        held.close()
        assert (await router.complete(ask("third", model="nano"))).model == "nano"


async def test_crashed_stage_is_restarted_and_later_requests_succeed(
        router: Router, monkeypatch: pytest.MonkeyPatch) -> None:
    import stages.analyzer

    real = stages.analyzer.analyze_batch

    def buggy(requests: list[ChatRequest], config: AnalyzerConfig,
              embeddings: object = None) -> list[Features]:
        if any("boom" in request.last_user_text for request in requests):
            raise RuntimeError("analyzer bug")
        return real(requests, config, embeddings)  # type: ignore[arg-type]

    monkeypatch.setattr(stages.analyzer, "analyze_batch", buggy)
    analyzer = router.pipeline.analyzer
    with anyio.fail_after(5):
        with pytest.raises(RequestFailed) as caught:
            await router.complete(ask("boom", model="nano"))
        assert caught.value.status == 500 and "analyzer" in str(caught.value)
        answer = await router.complete(ask("fine now", model="nano"))
        await router.quiesce()
    assert answer.model == "nano"
    assert analyzer.restarts == 1
    assert router.in_flight == 0
    # The crashed request is booked like any other: counted as a failure.
    metrics = generate_latest(router.pipeline.registry).decode()
    assert 'reactor_requests_total{cache="miss",model="none",status="failed"} 1.0' in metrics
    assert router.stats()["cost"]["total"]["requests"] == 2


async def test_leaving_a_stream_early_releases_the_request(router: Router) -> None:
    async for event in router.stream(ask("long", model="ultra")):
        if isinstance(event, Token):
            break
    with anyio.fail_after(5):
        while router.in_flight:
            await anyio.lowlevel.checkpoint()
    assert router.in_flight == 0


async def test_aexit_drains_in_flight_streams() -> None:
    # Real time, but short: 20 tokens at 400 tokens/s.
    config = parse_config(FAST_MODELS.replace(
        'upstream = { kind = "simulated", output_tokens = 20 }',
        'upstream = { kind = "simulated", output_tokens = 20, tokens_per_s = 400 }'))
    tokens: list[str] = []
    ending: list[object] = []
    request = ChatRequest(messages=[ChatMessage(role="user", content="drain me")],
                          model="pro", stream=True)
    with anyio.fail_after(10):
        async with Router(config) as router:
            flow = router.submit(request)
            assert isinstance(await flow.receive(), Started)

            async def reader() -> None:
                while True:
                    event = await flow.receive()
                    if isinstance(event, Token):
                        tokens.append(event.text)
                    else:
                        ending.append(event)
                        flow.close()
                        return

            async with anyio.create_task_group() as tg:
                tg.start_soon(reader)
                # Leaving the router's block while the stream is mid-way: it must finish.
                await anyio.lowlevel.checkpoint()
                assert router.in_flight == 1
    assert len(tokens) == 20
    assert isinstance(ending[0], Done)
    late = Router(config)
    with pytest.raises(RouterClosed):
        await late.complete(request)


async def test_finished_requests_leave_nothing_behind(router: Router) -> None:
    # A stage waiting for its next message must not hold on to its last one; and the
    # per-request messages are invisible to the cyclic GC, so a cycle through one would
    # never be freed. However a request ended, its flow must be gone.
    await router.complete(ask("a whole answer", model="mini"))
    _ = [event async for event in router.stream(ask("a streamed answer", model="mini"))]
    await router.route(ask("only the decision"))
    left = router.submit(ask("the caller leaves after the first event", model="mini",
                             stream=True))
    await left.receive()
    left.abandon()
    del left
    with anyio.fail_after(5):
        await router.quiesce()

    gc.collect()
    assert [obj for obj in gc.get_objects() if isinstance(obj, Flow)] == []
