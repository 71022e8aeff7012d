"""The simulated upstream: deterministic words, paced on the injected clock."""

from __future__ import annotations

import json

import anyio
import msgspec
import pytest

from reactor import ChatMessage, ChatRequest, FakeClock, SimulatedUpstream, Token
from reactor._wire import ResponseFormat
from stages.upstreams import Fault, Reply, TokenSink
from stages.upstreams.simulated import Simulated, simulated_words

PROMPT = "Explain backpressure in one paragraph."


def request(prompt: str = PROMPT, *,
            max_tokens: int | None = None, max_completion_tokens: int | None = None,
            stream: bool = False) -> ChatRequest:
    return ChatRequest(messages=[ChatMessage(role="user", content=prompt)], stream=stream,
                       max_tokens=max_tokens, max_completion_tokens=max_completion_tokens)


class Recorder:
    """An `on_token` that notes each piece with the clock time it arrived at."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.arrivals: list[tuple[float, str]] = []

    async def __call__(self, token: Token) -> None:
        self.arrivals.append((self.clock.now(), token.text))

    @property
    def texts(self) -> list[str]:
        return [text for _, text in self.arrivals]


async def call(upstream: Simulated, req: ChatRequest, *, stream: bool,
               on_token: Recorder) -> Reply | Fault:
    """Call with no pacing configured: nothing sleeps, so the clock never needs to move."""
    with anyio.fail_after(5):
        return await upstream.call(req, stream=stream, on_token=on_token)


@pytest.mark.parametrize("stream", [False, True])
async def test_same_prompt_gets_the_same_words(stream: bool) -> None:
    clock = FakeClock()
    config = SimulatedUpstream(output_tokens=12)
    first, second = Recorder(clock), Recorder(clock)

    await call(Simulated("sim", config, clock), request(), stream=stream, on_token=first)
    await call(Simulated("sim", config, clock), request(), stream=stream, on_token=second)

    expected = simulated_words("sim", request().messages[0].text, 12)
    assert "".join(first.texts) == "".join(second.texts) == "".join(expected)
    assert len("".join(expected).split()) == 12
    assert "".join(expected).endswith(".")


async def test_other_prompt_or_model_gets_other_words() -> None:
    clock = FakeClock()
    config = SimulatedUpstream(output_tokens=12)
    texts: list[str] = []
    for model, prompt in [("sim", "one prompt"), ("sim", "another prompt"),
                          ("other", "one prompt")]:
        recorder = Recorder(clock)
        await call(Simulated(model, config, clock), request(prompt), stream=False,
                   on_token=recorder)
        texts.append("".join(recorder.texts))
    assert len(set(texts)) == 3


async def test_stream_sends_one_word_at_a_time_and_finishes_with_usage() -> None:
    clock = FakeClock()
    recorder = Recorder(clock)
    upstream = Simulated("sim", SimulatedUpstream(output_tokens=6), clock)

    result = await call(upstream, request(stream=True), stream=True, on_token=recorder)

    assert recorder.texts == simulated_words("sim", request().messages[0].text, 6)
    assert isinstance(result, Reply)
    assert result.finish_reason == "stop"
    assert result.usage is not None
    assert result.usage.completion_tokens == 6
    assert result.usage.prompt_tokens > 0


class Runs(TokenSink):
    """A sink that notes how the pieces came: each `many` is one run."""

    def __init__(self) -> None:
        self.runs: list[list[str]] = []

    async def __call__(self, token: Token) -> None:
        self.runs.append([token.text])

    async def many(self, tokens: list[Token]) -> None:
        self.runs.append([token.text for token in tokens])


async def test_an_unpaced_stream_hands_its_words_over_in_one_run() -> None:
    clock = FakeClock()
    sink = Runs()

    with anyio.fail_after(5):
        result = await Simulated("sim", SimulatedUpstream(output_tokens=5), clock).call(
            request(), stream=True, on_token=sink)

    assert isinstance(result, Reply) and result.finish_reason == "stop"
    assert sink.runs == [simulated_words("sim", request().messages[0].text, 5)]


async def test_json_answer_arrives_in_one_piece() -> None:
    clock = FakeClock()
    recorder = Recorder(clock)
    upstream = Simulated("sim", SimulatedUpstream(output_tokens=6), clock)

    result = await call(upstream, request(), stream=False, on_token=recorder)

    assert recorder.texts == ["".join(simulated_words("sim", request().messages[0].text, 6))]
    assert isinstance(result, Reply)
    assert result.finish_reason == "stop"


async def run_on_clock(upstream: Simulated, clock: FakeClock, *, stream: bool,
                       on_token: Recorder, step: float) -> Reply | Fault:
    """Call while moving the fake clock `step` at a time once the call is waiting on it."""
    results: list[Reply | Fault] = []

    async def run() -> None:
        results.append(await upstream.call(request(stream=stream), stream=stream,
                                           on_token=on_token))

    with anyio.fail_after(5):
        async with anyio.create_task_group() as tg:
            tg.start_soon(run)
            await anyio.wait_all_tasks_blocked()
            while not results:
                assert clock.sleepers == 1, "the call should be waiting on the clock"
                clock.advance(step)
                await anyio.wait_all_tasks_blocked()
    return results[0]


async def test_stream_spends_ttft_then_one_gap_per_word_on_the_clock() -> None:
    clock = FakeClock()
    start = clock.now()
    recorder = Recorder(clock)
    config = SimulatedUpstream(output_tokens=4, ttft_ms=250, tokens_per_s=4)

    result = await run_on_clock(Simulated("sim", config, clock), clock, stream=True,
                                on_token=recorder, step=0.125)

    assert isinstance(result, Reply)
    assert [at - start for at, _ in recorder.arrivals] == [0.25, 0.5, 0.75, 1.0]
    assert clock.now() - start == 1.0


async def test_json_answer_waits_for_the_whole_generation_time_on_the_clock() -> None:
    clock = FakeClock()
    start = clock.now()
    recorder = Recorder(clock)
    config = SimulatedUpstream(output_tokens=4, ttft_ms=250, tokens_per_s=4)

    result = await run_on_clock(Simulated("sim", config, clock), clock, stream=False,
                                on_token=recorder, step=0.125)

    assert isinstance(result, Reply)
    # Time to first token, then the other three words at four a second.
    assert [at - start for at, _ in recorder.arrivals] == [1.0]


async def test_nothing_arrives_before_the_time_to_first_token() -> None:
    clock = FakeClock()
    recorder = Recorder(clock)
    upstream = Simulated("sim", SimulatedUpstream(output_tokens=2, ttft_ms=500), clock)

    with anyio.fail_after(5):
        async with anyio.create_task_group() as tg:
            tg.start_soon(lambda: upstream.call(request(), stream=True, on_token=recorder))
            await anyio.wait_all_tasks_blocked()
            clock.advance(0.25)
            await anyio.wait_all_tasks_blocked()
            assert recorder.texts == []
            clock.advance(0.25)
    assert len(recorder.texts) == 2


@pytest.mark.parametrize(("max_tokens", "max_completion_tokens", "words"), [
    (3, None, 3),
    (None, 2, 2),
    (5, 2, 2),
])
@pytest.mark.parametrize("stream", [False, True])
async def test_output_limit_cuts_the_answer_with_finish_reason_length(
        max_tokens: int | None, max_completion_tokens: int | None, words: int,
        stream: bool) -> None:
    clock = FakeClock()
    recorder = Recorder(clock)
    upstream = Simulated("sim", SimulatedUpstream(output_tokens=10), clock)
    req = request(max_tokens=max_tokens, max_completion_tokens=max_completion_tokens)

    result = await call(upstream, req, stream=stream, on_token=recorder)

    assert isinstance(result, Reply)
    assert result.finish_reason == "length"
    assert len("".join(recorder.texts).split()) == words
    assert result.usage is not None
    assert result.usage.completion_tokens == words


async def test_limit_above_output_tokens_finishes_with_stop() -> None:
    clock = FakeClock()
    recorder = Recorder(clock)
    upstream = Simulated("sim", SimulatedUpstream(output_tokens=4), clock)

    result = await call(upstream, request(max_tokens=100), stream=False, on_token=recorder)

    assert isinstance(result, Reply)
    assert result.finish_reason == "stop"
    assert len("".join(recorder.texts).split()) == 4


@pytest.mark.parametrize("stream", [False, True])
async def test_error_rate_one_fails_every_call_without_text(stream: bool) -> None:
    clock = FakeClock()
    recorder = Recorder(clock)
    upstream = Simulated("sim", SimulatedUpstream(error_rate=1.0, seed=7), clock)

    results = [await call(upstream, request(), stream=stream, on_token=recorder)
               for _ in range(20)]

    assert all(isinstance(r, Fault) and r.kind == "server_error" and r.status == 500
               for r in results)
    assert recorder.texts == []


async def test_error_rate_zero_never_fails() -> None:
    clock = FakeClock()
    upstream = Simulated("sim", SimulatedUpstream(error_rate=0.0, output_tokens=2), clock)

    results = [await call(upstream, request(), stream=False, on_token=Recorder(clock))
               for _ in range(20)]

    assert all(isinstance(r, Reply) for r in results)


async def test_failures_repeat_with_the_same_seed() -> None:
    clock = FakeClock()

    async def pattern(seed: int) -> list[bool]:
        upstream = Simulated("sim", SimulatedUpstream(error_rate=0.5, seed=seed,
                                                      output_tokens=2), clock)
        return [isinstance(await call(upstream, request(), stream=False,
                                      on_token=Recorder(clock)), Fault) for _ in range(40)]

    first, again = await pattern(3), await pattern(3)
    assert first == again
    assert 0 < sum(first) < 40


async def test_reports_no_reason_to_be_unavailable_and_closes() -> None:
    upstream = Simulated("sim", SimulatedUpstream(), FakeClock())
    assert upstream.unavailable() is None
    await upstream.aclose()


async def test_prompt_tokens_grow_with_the_prompt_and_the_messages() -> None:
    clock = FakeClock()
    upstream = Simulated("sim", SimulatedUpstream(output_tokens=2), clock)

    async def prompt_tokens(req: ChatRequest) -> int:
        result = await call(upstream, req, stream=False, on_token=Recorder(clock))
        assert isinstance(result, Reply)
        assert result.usage is not None
        return result.usage.prompt_tokens

    short = await prompt_tokens(request("x" * 40))
    long = await prompt_tokens(request("x" * 4000))
    # The same characters in two messages: each message costs its own overhead.
    two = await prompt_tokens(ChatRequest(messages=[
        ChatMessage(role="system", content="x" * 20), ChatMessage(role="user", content="x" * 19)]))
    assert short < two < long


@pytest.mark.parametrize("stream", [False, True])
async def test_json_mode_gets_a_json_object_unless_cut_short(stream: bool) -> None:
    upstream = Simulated("m", SimulatedUpstream(output_tokens=6), FakeClock())
    asked = msgspec.structs.replace(request(stream=stream),
                                    response_format=ResponseFormat(type="json_object"))

    recorder = Recorder(FakeClock())
    assert isinstance(await call(upstream, asked, stream=stream, on_token=recorder), Reply)
    answer = json.loads("".join(recorder.texts))
    assert answer == {"answer": "".join(simulated_words("m", PROMPT, 6))}

    cut = Recorder(FakeClock())
    reply = await call(upstream, msgspec.structs.replace(asked, max_tokens=3), stream=stream,
                       on_token=cut)
    assert isinstance(reply, Reply) and reply.finish_reason == "length"
    with pytest.raises(json.JSONDecodeError):
        json.loads("".join(cut.texts))
