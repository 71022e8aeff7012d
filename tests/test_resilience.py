"""The fault matrix: what a client sees when an upstream fails, over real HTTP.

Each case runs two fake OpenAI-compatible upstreams: `primary`, which fails in one way,
and `backup`, which is healthy; the client pins `model = "primary"`. A failure before
anything reached the client is hidden: the client gets the backup's whole answer. A
failure after a stream's first token cannot be taken back: the stream ends with an error
event and no `[DONE]`, unless `continue_after_failure` finishes it on the backup.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from typing import Any

import aiohttp
import anyio
import pytest

from bench.fake_upstream import FakeUpstream, fake_text, fake_words, prompt_of
from bench.fake_upstream import Fault as FakeFault
from reactor import Attempt, ChatMessage, ChatRequest, FakeClock
from reactor._router import Router
from reactor._server import Server
from stages.provider import CONTINUE_PROMPT
from tests.resilience_support import (
    BACKUP_WORDS,
    PRIMARY_WORDS,
    PROMPT,
    Answer,
    chat,
    refused_url,
    router_toml,
    serving,
    settled,
    sleeping,
)
from tests.stages.upstream_support import FINAL_EVENT, HeldTail

# Hang cases give up after this long without a first token or between two tokens.
PATIENCE_S = 0.4
MATRIX_RETRY = "max_attempts = 2\nmax_retry_after_s = 10.0"
MATRIX_PRIMARY = f"ttft_timeout_s = {PATIENCE_S}\nstall_timeout_s = {PATIENCE_S}"
# Longer than `max_retry_after_s`: the router moves on rather than wait.
LONG_RETRY_AFTER_S = 30.0


@dataclass(frozen=True)
class Case:
    fault: FakeFault | None
    """What the primary does wrong; None with `refused` set: nothing listens."""
    json_calls: int
    """Calls the primary sees for one non-streaming request (retries included)."""
    stream_calls: int
    streamed_words: int | None = None
    """Words of the primary's that reach a streaming client before the fault, if any."""
    refused: bool = False

    @property
    def id(self) -> str:
        return "connection_refused" if self.refused else str(self.fault)


CASES = [
    Case("http_500", 2, 2),
    Case("http_503", 1, 1),  # Retry-After longer than max_retry_after_s: no retry
    Case("http_429", 1, 1),
    Case(None, 2, 2, refused=True),
    Case("hang_before_headers", 2, 2),
    Case("hang_after_first_token", 2, 1, streamed_words=1),
    Case("malformed_sse", 2, 1, streamed_words=1),
    Case("drop_mid_stream", 2, 1, streamed_words=2),
    Case("empty", 2, 2),
    Case("empty_body", 2, 2),
    Case("no_finish_reason", 2, 1, streamed_words=PRIMARY_WORDS),
]
HIDDEN = [pytest.param(case, stream, id=f"{case.id}-{'stream' if stream else 'json'}")
          for case in CASES for stream in (False, True)
          if not stream or case.streamed_words is None]
MID_STREAM = [pytest.param(case, id=case.id) for case in CASES if case.streamed_words]


@dataclass
class Rig:
    primary: FakeUpstream
    second: FakeUpstream | None
    router: Router
    server: Server
    session: aiohttp.ClientSession

    @property
    def backup(self) -> FakeUpstream:
        assert self.second is not None, "this rig has no backup"
        return self.second

    async def ask(self, stream: bool, **extra: Any) -> Answer:
        """One request, pinned to `primary`; returns once the breaker has learnt from it."""
        with anyio.fail_after(10):
            answer = await chat(self.session, self.server, stream=stream, **extra)
            await settled(self.router)
        return answer


@asynccontextmanager
async def rigged(primary: FakeUpstream, backup: FakeUpstream | None = None, *,
                 refused: bool = False, clock: FakeClock | None = None,
                 **toml: str) -> AsyncIterator[Rig]:
    """`primary` (failing over to `backup`) behind a router and its HTTP server."""
    async with AsyncExitStack() as stack:
        await stack.enter_async_context(primary)
        if backup is not None:
            await stack.enter_async_context(backup)
        text = router_toml(refused_url() if refused else primary.base_url,
                           backup.base_url if backup is not None else None, **toml)
        served = await stack.enter_async_context(serving(text, clock=clock))
        yield Rig(primary, backup, *served)


def matrix(case: Case, *, provider: str = "") -> AbstractAsyncContextManager[Rig]:
    return rigged(
        FakeUpstream(output_tokens=PRIMARY_WORDS, fault=case.fault,
                     retry_after_s=LONG_RETRY_AFTER_S),
        FakeUpstream(output_tokens=BACKUP_WORDS), refused=case.refused,
        provider=provider, retry=MATRIX_RETRY, primary_model=MATRIX_PRIMARY)


def assert_complete_from_backup(answer: Answer) -> None:
    assert answer.status == 200, answer
    assert answer.headers["x-reactor-model"] == "backup"
    assert answer.models == {"backup"}
    assert answer.text == fake_text(PROMPT, BACKUP_WORDS)
    assert answer.finish_reasons == ["stop"]
    if answer.body is None:
        assert answer.errors == []
        assert answer.done


# The matrix


@pytest.mark.parametrize(("case", "stream"), HIDDEN)
async def test_failure_before_the_answer_started_is_hidden_by_the_backup(
        case: Case, stream: bool) -> None:
    async with matrix(case) as rig:
        answer = await rig.ask(stream)

    assert_complete_from_backup(answer)
    calls = case.stream_calls if stream else case.json_calls
    if not case.refused:
        assert rig.primary.requests == calls
    assert rig.backup.requests == 1
    assert rig.backup.last.body["messages"] == [{"role": "user", "content": PROMPT}]
    breakers = rig.router.breaker_states()
    if case.fault == "http_429":
        # A 429 with Retry-After opens the breaker at once, for as long as it asks.
        assert breakers["primary"] == {"state": "open", "consecutive_failures": 1,
                                       "opened_total": 1}
    else:
        assert breakers["primary"] == {"state": "closed", "consecutive_failures": calls,
                                       "opened_total": 0}
    assert breakers["backup"] == {"state": "closed", "consecutive_failures": 0,
                                  "opened_total": 0}


@pytest.mark.parametrize("case", MID_STREAM)
async def test_failure_after_the_first_token_ends_the_stream_with_an_error(case: Case) -> None:
    async with matrix(case) as rig:
        answer = await rig.ask(True)

    assert answer.status == 200
    assert answer.headers["x-reactor-model"] == "primary"
    assert answer.models == {"primary"}
    assert case.streamed_words is not None
    assert answer.text == "".join(fake_words(PROMPT, PRIMARY_WORDS)[: case.streamed_words])
    assert "[DONE]" not in answer.events
    assert answer.finish_reasons and "stop" not in answer.finish_reasons
    assert len(answer.errors) == 1 and answer.events[-1] == {"error": answer.errors[0]}
    assert answer.errors[0]["code"] == "stream_interrupted"
    assert "primary failed after the answer started" in answer.errors[0]["message"]
    assert rig.primary.requests == 1
    assert rig.backup.requests == 0
    assert rig.router.breaker_states()["primary"] == {
        "state": "closed", "consecutive_failures": 1, "opened_total": 0}


@pytest.mark.parametrize("case", MID_STREAM)
async def test_failure_after_the_first_token_continues_on_the_backup_when_configured(
        case: Case) -> None:
    async with matrix(case, provider="continue_after_failure = true") as rig:
        answer = await rig.ask(True)

    assert case.streamed_words is not None
    partial = "".join(fake_words(PROMPT, PRIMARY_WORDS)[: case.streamed_words])
    assert answer.status == 200
    assert answer.headers["x-reactor-model"] == "primary"  # it started the visible answer
    assert answer.errors == []
    assert answer.done
    assert answer.finish_reasons == ["stop"]
    continuation = rig.backup.last.body
    assert continuation["messages"] == [
        {"role": "user", "content": PROMPT},
        {"role": "assistant", "content": partial},
        {"role": "user", "content": CONTINUE_PROMPT},
    ]
    assert answer.text == partial + fake_text(prompt_of(continuation), BACKUP_WORDS)
    assert rig.primary.requests == 1
    assert rig.backup.requests == 1
    assert rig.router.breaker_states()["primary"]["consecutive_failures"] == 1


@pytest.mark.parametrize("stream", [False, True], ids=["json", "stream"])
async def test_stream_with_a_finish_reason_but_no_done_is_a_complete_answer(
        stream: bool) -> None:
    async with matrix(Case("no_done", 1, 1)) as rig:
        answer = await rig.ask(stream)

    assert answer.status == 200
    assert answer.headers["x-reactor-model"] == "primary"
    assert answer.models == {"primary"}
    assert answer.text == fake_text(PROMPT, PRIMARY_WORDS)
    assert answer.finish_reasons == ["stop"]
    if stream:
        assert answer.errors == [] and answer.done
    assert rig.primary.requests == 1 and rig.backup.requests == 0
    assert rig.router.breaker_states()["primary"]["consecutive_failures"] == 0


# The breaker


async def test_consecutive_failures_open_the_breaker_then_one_probe_passes_after_cooldown(
        ) -> None:
    clock = FakeClock()
    primary = FakeUpstream(output_tokens=PRIMARY_WORDS, fault="http_500")
    backup = FakeUpstream(output_tokens=BACKUP_WORDS)
    async with rigged(primary, backup, clock=clock, retry="max_attempts = 1",
                      breaker="failure_threshold = 3\ncooldown_s = 30.0") as rig:
        for _ in range(3):
            assert_complete_from_backup(await rig.ask(stream=False))
        assert primary.requests == 3
        assert rig.router.breaker_states()["primary"] == {
            "state": "open", "consecutive_failures": 3, "opened_total": 1}

        # Open: the primary is not even asked; the client never notices.
        assert_complete_from_backup(await rig.ask(stream=False))
        assert_complete_from_backup(await rig.ask(stream=True))
        assert primary.requests == 3
        assert rig.backup.last.body["messages"] == [{"role": "user", "content": PROMPT}]

        # Past the cooldown, one request (and only one) probes the primary.
        clock.advance(30.0)
        assert rig.router.breaker_states()["primary"]["state"] == "half_open"
        with anyio.fail_after(10):
            async with anyio.create_task_group() as tg:
                for stream in (False, True, False, True):
                    tg.start_soon(rig.ask, stream)
        assert primary.requests == 4
        assert rig.router.breaker_states()["primary"] == {
            "state": "open", "consecutive_failures": 4, "opened_total": 2}

        # The next probe finds the primary well again: the breaker closes.
        primary.fault = None
        clock.advance(30.0)
        answer = await rig.ask(stream=True)
        assert answer.headers["x-reactor-model"] == "primary"
        assert answer.text == fake_text(PROMPT, PRIMARY_WORDS) and answer.done
        assert rig.router.breaker_states()["primary"] == {
            "state": "closed", "consecutive_failures": 0, "opened_total": 2}
        answer = await rig.ask(stream=False)
        assert answer.headers["x-reactor-model"] == "primary"
        assert primary.requests == 6


async def test_rate_limit_with_retry_after_skips_the_model_for_as_long_as_it_asks() -> None:
    clock = FakeClock()
    primary = FakeUpstream(output_tokens=PRIMARY_WORDS, faults=["http_429"],
                           retry_after_s=LONG_RETRY_AFTER_S)
    backup = FakeUpstream(output_tokens=BACKUP_WORDS)
    async with rigged(primary, backup, clock=clock, retry="max_retry_after_s = 10.0") as rig:
        assert_complete_from_backup(await rig.ask(stream=True))
        assert rig.router.breaker_states()["primary"]["state"] == "open"

        clock.advance(LONG_RETRY_AFTER_S - 1)
        assert_complete_from_backup(await rig.ask(stream=False))
        assert primary.requests == 1

        clock.advance(1)
        answer = await rig.ask(stream=False)
        assert answer.status == 200 and answer.headers["x-reactor-model"] == "primary"
        assert answer.text == fake_text(PROMPT, PRIMARY_WORDS)
        assert primary.requests == 2
        assert rig.router.breaker_states()["primary"]["state"] == "closed"


async def test_every_model_rate_limited_tells_the_client_when_to_come_back() -> None:
    clock = FakeClock()
    primary = FakeUpstream(output_tokens=PRIMARY_WORDS, faults=["http_429"],
                           retry_after_s=LONG_RETRY_AFTER_S)
    async with rigged(primary, clock=clock, retry="max_retry_after_s = 10.0") as rig:
        answer = await rig.ask(stream=True)
        assert answer.status == 429 and answer.body is not None
        assert answer.body["error"]["code"] == "rate_limited"
        assert answer.headers["Retry-After"] == "30"

        # The breaker now answers for the model, without calling it.
        clock.advance(10)
        answer = await rig.ask(stream=False)
        assert answer.status == 503 and answer.body is not None
        assert answer.body["error"]["code"] == "circuit_open"
        assert answer.headers["Retry-After"] == "20"
        assert primary.requests == 1

        clock.advance(20)
        answer = await rig.ask(stream=False)
        assert answer.status == 200 and answer.text == fake_text(PROMPT, PRIMARY_WORDS)
        assert primary.requests == 2


# Retries


@pytest.mark.parametrize("stream", [False, True], ids=["json", "stream"])
async def test_retry_waits_for_the_upstreams_retry_after(stream: bool) -> None:
    clock = FakeClock()
    primary = FakeUpstream(output_tokens=PRIMARY_WORDS, faults=["http_429"], retry_after_s=2.0)
    async with rigged(primary, clock=clock, retry="max_retry_after_s = 10.0") as rig:
        with anyio.fail_after(10):
            async with anyio.create_task_group() as tg:
                answers: list[Answer] = []

                async def ask() -> None:
                    answers.append(await rig.ask(stream))

                tg.start_soon(ask)
                await sleeping(clock)
                assert primary.requests == 1
                clock.advance(1.9)
                assert clock.sleepers == 1
                assert primary.requests == 1
                clock.advance(0.1)
        [answer] = answers
        assert answer.status == 200
        assert answer.headers["x-reactor-model"] == "primary"
        assert answer.text == fake_text(PROMPT, PRIMARY_WORDS)
        assert answer.finish_reasons == ["stop"]
        assert primary.requests == 2


async def test_a_caller_leaving_during_a_retry_wait_ends_the_request_at_once() -> None:
    clock = FakeClock()
    primary = FakeUpstream(output_tokens=PRIMARY_WORDS, faults=["http_429"], retry_after_s=2.0)
    async with rigged(primary, clock=clock, retry="max_retry_after_s = 10.0") as rig:
        router = rig.router
        flow = router.submit(ChatRequest(messages=[ChatMessage(role="user", content=PROMPT)],
                                         model="primary"))
        await sleeping(clock)
        outcomes = router.pipeline.outcomes.published_total

        flow.abandon()

        with anyio.fail_after(5):
            while router.in_flight or router.pipeline.outcomes.published_total == outcomes:
                await anyio.lowlevel.checkpoint()
        assert clock.sleepers == 0
        assert primary.requests == 1


async def test_retry_budget_caps_upstream_load_during_an_outage() -> None:
    requests, ratio = 100, 0.1
    clock = FakeClock()  # the budget's window never slides: every request counts
    primary = FakeUpstream(fault="http_500")
    async with rigged(primary, clock=clock,
                      retry=f"max_attempts = 5\nbudget_ratio = {ratio}\nbudget_min_per_s = 0.0",
                      breaker="failure_threshold = 1000000\nmin_requests = 1000000") as rig:
        answers: list[Answer] = []

        async def client(count: int) -> None:
            for _ in range(count):
                answers.append(await rig.ask(stream=False))

        with anyio.fail_after(20):
            async with anyio.create_task_group() as tg:
                for _ in range(4):
                    tg.start_soon(client, requests // 4)

    assert len(answers) == requests
    for answer in answers:
        assert answer.status == 502
        assert answer.body is not None
        error = answer.body["error"]
        assert error["type"] == "upstream_error" and error["code"] == "server_error"
        assert "primary (server_error)" in error["message"]
        assert "upstream answered 500" in error["message"]
    # Without a budget, 5 tries each: 500 calls. With it, at most 10% more than requests.
    assert requests < primary.requests <= requests * (1 + ratio) + 1
    assert rig.router.breaker_states()["primary"]["state"] == "closed"


# Deadlines


@pytest.mark.parametrize("stream", [False, True], ids=["json", "stream"])
async def test_one_deadline_spans_every_retry_and_fallback(stream: bool) -> None:
    total_s = 1.0
    primary = FakeUpstream(fault="hang_before_headers")
    backup = FakeUpstream(fault="hang_before_headers")
    async with rigged(primary, backup, provider=f"total_timeout_s = {total_s}",
                      retry="max_attempts = 2", primary_model="ttft_timeout_s = 0.3",
                      backup_model="ttft_timeout_s = 30.0") as rig:
        started = time.monotonic()
        answer = await rig.ask(stream)
        elapsed = time.monotonic() - started

    # Two tries of the primary (0.3 s each), then the backup until the deadline: had each
    # attempt its own clock, the backup alone would have waited 30 s.
    assert answer.status == 504
    assert answer.body is not None and answer.body["error"]["code"] == "timeout"
    assert "the request's deadline passed" in answer.body["error"]["message"]
    assert primary.requests == 2 and backup.requests == 1
    assert total_s * 0.9 <= elapsed < total_s + 2.0


# JSON mode


JSON_ANSWER = '{"rivers": ["Nile", "Ob", "Mackenzie"], "count": 3}'
JSON_MODELS = "json_mode = true"


async def test_json_mode_answer_that_is_not_json_falls_back_unseen() -> None:
    primary = FakeUpstream(output_tokens=PRIMARY_WORDS)
    backup = FakeUpstream(content=JSON_ANSWER)
    async with rigged(primary, backup, primary_model=JSON_MODELS, backup_model=JSON_MODELS) as rig:
        answer = await rig.ask(False, response_format={"type": "json_object"})

    assert answer.status == 200
    assert answer.headers["x-reactor-model"] == "backup"
    assert answer.text == JSON_ANSWER
    assert answer.finish_reasons == ["stop"]
    assert primary.requests == 1 and backup.requests == 1
    assert rig.router.breaker_states()["primary"]["consecutive_failures"] == 1


async def test_json_mode_stream_that_is_json_completes() -> None:
    primary = FakeUpstream(content=JSON_ANSWER)
    async with rigged(primary, primary_model=JSON_MODELS) as rig:
        answer = await rig.ask(True, response_format={"type": "json_object"})

    assert answer.status == 200 and answer.done and answer.errors == []
    assert answer.text == JSON_ANSWER
    assert len(answer.chunks) > 3  # streamed in pieces, judged once whole
    assert answer.finish_reasons == ["stop"]


async def test_json_mode_stream_that_is_not_json_ends_with_an_error() -> None:
    primary = FakeUpstream(output_tokens=PRIMARY_WORDS)
    backup = FakeUpstream(content=JSON_ANSWER)
    async with rigged(primary, backup, primary_model=JSON_MODELS, backup_model=JSON_MODELS) as rig:
        answer = await rig.ask(True, response_format={"type": "json_object"})

    # The words were streamed before they could be judged: the client is told they are
    # not the JSON it asked for.
    assert answer.status == 200
    assert answer.text == fake_text(PROMPT, PRIMARY_WORDS)
    assert "[DONE]" not in answer.events
    assert "stop" not in answer.finish_reasons
    assert [error["code"] for error in answer.errors] == ["stream_interrupted"]
    assert "invalid_json" in answer.errors[0]["message"]
    assert backup.requests == 0


# Regressions: bugs the matrix found, now fixed.


@pytest.mark.parametrize("stream", [False, True], ids=["json", "stream"])
async def test_answer_slower_than_the_ttft_timeout_but_steady_is_not_a_timeout(
        stream: bool) -> None:
    # A healthy model writing 12 words at 20 a second: its first word comes at once, but
    # a non-streaming upstream call shows nothing until the last one, 0.6 s later.
    primary = FakeUpstream(output_tokens=12, token_delay_s=0.05)
    backup = FakeUpstream(output_tokens=BACKUP_WORDS)
    async with rigged(primary, backup, retry="max_attempts = 1",
                      primary_model="ttft_timeout_s = 0.3\nstall_timeout_s = 0.5") as rig:
        answer = await rig.ask(stream)

    assert answer.status == 200
    assert answer.headers["x-reactor-model"] == "primary"
    assert answer.text == fake_text(PROMPT, 12)
    assert backup.requests == 0


async def test_continuation_retries_a_backup_that_fails_before_its_first_token() -> None:
    primary = FakeUpstream(output_tokens=PRIMARY_WORDS, fault="drop_mid_stream")
    backup = FakeUpstream(output_tokens=BACKUP_WORDS, faults=["http_500"])
    async with rigged(primary, backup, provider="continue_after_failure = true",
                      retry="max_attempts = 2") as rig:
        answer = await rig.ask(True)

    partial = "".join(fake_words(PROMPT, PRIMARY_WORDS)[:2])
    assert answer.errors == []
    assert answer.done and answer.finish_reasons == ["stop"]
    assert answer.text == partial + fake_text(prompt_of(backup.last.body), BACKUP_WORDS)
    assert backup.requests == 2


async def test_half_open_breaker_lets_one_call_through_even_when_retries_are_allowed() -> None:
    clock = FakeClock()
    primary = FakeUpstream(output_tokens=PRIMARY_WORDS, fault="http_500")
    backup = FakeUpstream(output_tokens=BACKUP_WORDS)
    async with rigged(primary, backup, clock=clock, retry="max_attempts = 3",
                      breaker="failure_threshold = 3\ncooldown_s = 30.0") as rig:
        assert_complete_from_backup(await rig.ask(stream=False))
        assert primary.requests == 3
        assert rig.router.breaker_states()["primary"]["state"] == "open"

        clock.advance(30.0)
        assert_complete_from_backup(await rig.ask(stream=True))
        assert primary.requests == 4
        assert rig.router.breaker_states()["primary"]["state"] == "open"


@pytest.mark.parametrize("stream", [False, True], ids=["json", "stream"])
async def test_hedging_answers_from_the_next_model_when_the_first_is_late(
        stream: bool) -> None:
    # Twenty quick answers teach the router the primary's p95; then the primary hangs.
    # Its own first-token timeout is a minute away: only the hedge can answer in time.
    primary = FakeUpstream(output_tokens=PRIMARY_WORDS, faults=[None] * 20,
                           fault="hang_before_headers")
    backup = FakeUpstream(output_tokens=BACKUP_WORDS)
    async with rigged(primary, backup, provider="hedge = true\nhedge_min_samples = 20") as rig:
        for _ in range(20):
            warm = await rig.ask(False)
            assert warm.headers["x-reactor-model"] == "primary"
        assert backup.requests == 0
        with anyio.fail_after(10):
            answer = await rig.ask(stream)
            await primary.disconnected.wait()  # the late attempt was cancelled
    assert_complete_from_backup(answer)
    assert primary.requests == 21 and backup.requests == 1
    assert rig.router.pipeline.provider.hedges_total == 1


async def test_no_hedging_without_enough_observations() -> None:
    primary = FakeUpstream(output_tokens=PRIMARY_WORDS, faults=[None] * 3,
                           fault="hang_before_headers")
    backup = FakeUpstream(output_tokens=BACKUP_WORDS)
    async with rigged(primary, backup, provider="hedge = true\nhedge_min_samples = 20",
                      primary_model="ttft_timeout_s = 0.3") as rig:
        for _ in range(3):
            await rig.ask(False)
        answer = await rig.ask(False)
    # The primary timed out on its own clock (and its retries), then the backup answered.
    assert_complete_from_backup(answer)
    assert rig.router.pipeline.provider.hedges_total == 0


# Asking the upstream for whole answers


@pytest.mark.parametrize("json_upstream", [False, True], ids=["streamed", "json_upstream"])
async def test_only_json_upstream_asks_for_whole_answers_and_only_for_json_callers(
        json_upstream: bool) -> None:
    primary = FakeUpstream(output_tokens=PRIMARY_WORDS)
    async with rigged(primary, provider=f"json_upstream = {str(json_upstream).lower()}\n"
                      "stream_sample = 0") as rig:
        answer = await rig.ask(stream=False)
        assert answer.status == 200 and answer.text == fake_text(PROMPT, PRIMARY_WORDS)
        assert primary.last.body.get("stream", False) is not json_upstream

        answer = await rig.ask(stream=True)
        assert answer.status == 200 and answer.finish_reasons == ["stop"]
        assert primary.last.body["stream"] is True


async def test_by_default_a_model_s_first_call_and_one_in_twenty_are_streamed() -> None:
    primary = FakeUpstream(output_tokens=PRIMARY_WORDS)
    async with rigged(primary) as rig:
        for _ in range(22):
            answer = await rig.ask(stream=False)
            assert answer.status == 200 and answer.text == fake_text(PROMPT, PRIMARY_WORDS)
    streamed = [i for i, body in enumerate(primary.bodies) if body.get("stream", False)]
    assert streamed == [0, 20]


async def test_with_hedging_every_call_is_streamed_for_its_first_token() -> None:
    primary = FakeUpstream(output_tokens=PRIMARY_WORDS)
    backup = FakeUpstream(output_tokens=BACKUP_WORDS)
    async with rigged(primary, backup, provider="hedge = true\nstream_sample = 0") as rig:
        for _ in range(3):
            answer = await rig.ask(stream=False)
            assert answer.status == 200 and answer.text == fake_text(PROMPT, PRIMARY_WORDS)
    assert [body.get("stream", False) for body in primary.bodies] == [True] * 3


@pytest.mark.parametrize("after_s", [60.0, 0.0], ids=["default", "never"])
async def test_after_a_hang_a_model_s_calls_are_streamed_for_a_while(after_s: float) -> None:
    # A whole answer that never comes is cut by the attempt timeout; the retry and the
    # next request are streamed, so the next hang meets the first-token timeout.
    primary = FakeUpstream(output_tokens=PRIMARY_WORDS, faults=["hang_before_headers"])
    async with rigged(primary, provider=f"stream_sample = 0\nattempt_timeout_s = 0.3\n"
                      f"stream_after_fault_s = {after_s}", retry="max_attempts = 2") as rig:
        for _ in range(2):
            answer = await rig.ask(stream=False)
            assert answer.status == 200 and answer.text == fake_text(PROMPT, PRIMARY_WORDS)
    streamed = [body.get("stream", False) for body in primary.bodies]
    assert streamed == ([False, True, True] if after_s else [False, False, False])


async def test_a_half_open_breaker_s_probe_is_streamed() -> None:
    clock = FakeClock()
    primary = FakeUpstream(output_tokens=PRIMARY_WORDS, fault="http_500")
    backup = FakeUpstream(output_tokens=BACKUP_WORDS)
    async with rigged(primary, backup, clock=clock, provider="stream_sample = 0",
                      retry="max_attempts = 1",
                      breaker="failure_threshold = 2\ncooldown_s = 30.0") as rig:
        for _ in range(2):
            assert_complete_from_backup(await rig.ask(stream=False))
        assert rig.router.breaker_states()["primary"]["state"] == "open"
        primary.fault = None
        clock.advance(30.0)
        for _ in range(2):  # the probe, then a closed breaker's call
            answer = await rig.ask(stream=False)
            assert answer.headers["x-reactor-model"] == "primary"
        assert rig.router.breaker_states()["primary"]["state"] == "closed"
    assert [body.get("stream", False) for body in primary.bodies] == [False, False, True, False]


async def test_a_stream_sample_still_streams_some_calls_and_learns_from_them() -> None:
    # One non-streaming call in four is streamed from the upstream, the first included;
    # those teach first-token times, and a streaming caller takes no share.
    primary = FakeUpstream(output_tokens=PRIMARY_WORDS)
    async with rigged(primary, provider="json_upstream = true\nstream_sample = 0.25") as rig:
        for _ in range(8):
            answer = await rig.ask(stream=False)
            assert answer.status == 200 and answer.text == fake_text(PROMPT, PRIMARY_WORDS)
        streamed = [body.get("stream", False) for body in primary.bodies]
        assert streamed == [True, False, False, False, True, False, False, False]
        assert len(rig.router.pipeline.provider.ttft_samples["primary"]) == 2

        answer = await rig.ask(stream=True)
        assert answer.status == 200 and primary.last.body["stream"] is True
        await rig.ask(stream=False)  # the ninth non-streaming call: the third streamed
        assert primary.last.body.get("stream", False) is True


async def test_a_whole_answer_upstream_is_bounded_by_the_attempt_timeout_only() -> None:
    # Slower to answer than the first-token timeout, within the attempt timeout: whole
    # answers have no first token, so it is not held against them.
    primary = FakeUpstream(output_tokens=PRIMARY_WORDS, headers_delay_s=0.3)
    async with rigged(primary, provider="stream_sample = 0\nttft_timeout_s = 0.1") as rig:
        answer = await rig.ask(stream=False)
        assert answer.status == 200 and answer.text == fake_text(PROMPT, PRIMARY_WORDS)
        assert primary.requests == 1

    hanging = FakeUpstream(output_tokens=PRIMARY_WORDS, fault="hang_before_headers")
    async with rigged(hanging, provider="stream_sample = 0\nattempt_timeout_s = 0.2",
                      retry="max_attempts = 1") as rig:
        answer = await rig.ask(stream=False)
        assert answer.status == 504 and answer.body is not None
        assert answer.body["error"]["code"] == "timeout"


async def test_a_stall_shorter_than_the_first_token_timeout_is_caught_on_time() -> None:
    # The first word comes at once, then nothing: a stall of `stall_timeout_s`, however
    # far off the first-token timeout still is.
    primary = FakeUpstream(output_tokens=PRIMARY_WORDS, fault="hang_after_first_token")
    async with rigged(primary, retry="max_attempts = 1",
                      primary_model=f"ttft_timeout_s = 60.0\nstall_timeout_s = {PATIENCE_S}"
                      ) as rig:
        answer = await rig.ask(True)

    assert answer.text == fake_words(PROMPT, PRIMARY_WORDS)[0]
    assert len(answer.errors) == 1 and answer.errors[0]["code"] == "stream_interrupted"
    assert f"no token for {PATIENCE_S:g}s" in answer.errors[0]["message"]


async def test_a_caller_leaving_during_a_hedged_race_closes_both_upstream_calls() -> None:
    primary = FakeUpstream(output_tokens=PRIMARY_WORDS, faults=[None] * 20,
                           fault="hang_before_headers")
    backup = FakeUpstream(output_tokens=BACKUP_WORDS, fault="hang_before_headers")
    async with rigged(primary, backup, provider="hedge = true\nhedge_min_samples = 20") as rig:
        for _ in range(20):
            await rig.ask(False)
        router = rig.router
        flow = router.submit(ChatRequest(messages=[ChatMessage(role="user", content=PROMPT)],
                                         model="primary", stream=True))
        with anyio.fail_after(5):
            while backup.requests < 1:  # the hedge has started: both calls hang
                await anyio.lowlevel.checkpoint()

            flow.abandon()

            await primary.disconnected.wait()
            await backup.disconnected.wait()
            await settled(router)
        assert router.pipeline.provider.hedges_total == 1


@pytest.mark.parametrize("stream", [False, True], ids=["json", "stream"])
async def test_an_answer_whose_body_ends_after_the_timeouts_is_still_whole(
        stream: bool) -> None:
    # The whole answer and `[DONE]` come at once; the body's closing chunk only after
    # the stall and attempt timeouts have run out (but within the second the adapter
    # waits for it, so the connection goes back to the pool).
    answer_s = 0.2
    held = HeldTail(FINAL_EVENT["openai"], delay_s=2.5 * answer_s)
    async with held, serving(router_toml(held.base_url + "/v1", retry="max_attempts = 1",
                                         primary_model=f"stall_timeout_s = {answer_s}\n"
                                         f"attempt_timeout_s = {answer_s}")) as served:
        router, server, session = served
        for _ in range(2):
            with anyio.fail_after(10):
                answer = await chat(session, server, stream=stream)
                await settled(router)
            assert answer.status == 200, answer
            assert answer.text == "hi" and answer.finish_reasons == ["stop"]
            if stream:
                assert answer.errors == [] and answer.done
    assert held.requests == 2
    assert held.connections == 1
    assert router.breaker_states()["primary"]["consecutive_failures"] == 0


PRICES = {"primary": (1.0, 10.0), "backup": (3.0, 30.0)}  # USD per million in, out


def priced(name: str) -> str:
    price_in, price_out = PRICES[name]
    return f"price_in = {price_in}\nprice_out = {price_out}"


def cost(name: str, prompt_tokens: int, completion_tokens: int) -> float:
    price_in, price_out = PRICES[name]
    return (prompt_tokens * price_in + completion_tokens * price_out) / 1e6


async def test_a_continued_stream_names_and_charges_each_model_for_its_own_part() -> None:
    primary = FakeUpstream(output_tokens=PRIMARY_WORDS, fault="drop_mid_stream")
    backup = FakeUpstream(output_tokens=BACKUP_WORDS)
    async with rigged(primary, backup, provider="continue_after_failure = true",
                      retry="max_attempts = 1", primary_model=MATRIX_PRIMARY + "\n" +
                      priced("primary"), backup_model=priced("backup")) as rig:
        answer = await rig.ask(True, stream_options={"include_usage": True})
        pipeline = rig.router.pipeline
        with anyio.fail_after(5):  # the books hear of the outcome after the caller
            while pipeline.cost.ledger.total.requests < 1 or \
                    not pipeline.metrics.books.requests:
                await anyio.lowlevel.checkpoint()
        async with rig.session.get(rig.server.url + "/metrics") as response:
            exposition = await response.text()

    partial = "".join(fake_words(PROMPT, PRIMARY_WORDS)[:2])
    assert answer.errors == [] and answer.done
    assert answer.headers["x-reactor-model"] == "primary"  # the model that began the answer
    # Each chunk names the model that wrote it; the last ones, the model that finished.
    by_model = [(chunk["model"], choice["delta"].get("content") or "")
                for chunk in answer.chunks for choice in chunk["choices"]]
    assert "".join(text for model, text in by_model if model == "primary") == partial
    assert by_model[-1][0] == "backup" and answer.chunks[-1]["model"] == "backup"
    info = next(chunk["router"] for chunk in answer.chunks if "router" in chunk)
    assert info["model"] == "backup"
    assert info["reason"] == "continued: primary failed mid-answer"

    # The primary reported no usage before it broke: its share is estimated. The backup
    # was sent the answer so far, and says what that cost.
    first, second = info["parts"]
    assert first["model"] == "primary"
    assert first["completion_tokens"] == len(partial) // 4 and first["prompt_tokens"] > 0
    continued = prompt_of(backup.last.body)
    assert second == {"model": "backup", "prompt_tokens": len(continued) // 4,
                      "completion_tokens": BACKUP_WORDS,
                      "cost_usd": cost("backup", len(continued) // 4, BACKUP_WORDS)}
    assert first["cost_usd"] == cost("primary", first["prompt_tokens"],
                                     first["completion_tokens"])
    assert info["cost_usd"] == pytest.approx(first["cost_usd"] + second["cost_usd"])
    usage = answer.chunks[-1]["usage"]
    assert usage["prompt_tokens"] == first["prompt_tokens"] + second["prompt_tokens"]
    assert usage["completion_tokens"] == first["completion_tokens"] + BACKUP_WORDS

    # The books charge each model its own part.
    books = pipeline.cost.ledger.by_model
    for part in (first, second):
        row = books[part["model"]]
        assert (row.prompt_tokens, row.completion_tokens) == (
            part["prompt_tokens"], part["completion_tokens"])
        assert row.cost_usd == pytest.approx(part["cost_usd"])
        assert f'reactor_tokens_total{{direction="completion",model="{part["model"]}"}} ' \
            f'{float(part["completion_tokens"])}' in exposition
    assert pipeline.cost.ledger.total.cost_usd == pytest.approx(info["cost_usd"])


async def test_a_try_cut_by_the_request_s_deadline_is_not_held_against_its_model() -> None:
    # The primary hangs and uses up most of the request's time; the backup, healthy but
    # slower than what is left, is cut by the deadline, not by its own limits: one
    # request's deadline says nothing of the backup's health, so its breaker (which
    # opens at the first failure here) stays shut and its calls are not streamed for it.
    primary = FakeUpstream(fault="hang_before_headers")
    backup = FakeUpstream(output_tokens=BACKUP_WORDS, headers_delay_s=5.0)
    async with rigged(primary, backup, provider="total_timeout_s = 0.6\nstream_sample = 0",
                      retry="max_attempts = 1", breaker="failure_threshold = 1",
                      primary_model="ttft_timeout_s = 0.3\nattempt_timeout_s = 0.3") as rig:
        answer = await rig.ask(False)

        assert answer.status == 504 and answer.body is not None
        assert "the request's deadline passed" in answer.body["error"]["message"]
        assert primary.requests == 1 and backup.requests == 1
        breakers = rig.router.breaker_states()
        assert breakers["primary"]["state"] == "open"
        assert breakers["backup"] == {"state": "closed", "consecutive_failures": 0,
                                      "opened_total": 0}
        assert "backup" not in rig.router.pipeline.provider.streamed_until


async def test_a_half_open_model_s_probe_that_loses_a_hedged_race_frees_the_probe_slot(
        ) -> None:
    # The probe hangs and the hedge answers: the probe told nothing, so the next request
    # may probe again at once, not only after `probe_timeout_s`.
    clock = FakeClock()
    primary = FakeUpstream(output_tokens=PRIMARY_WORDS, faults=[None],
                           fault="hang_before_headers")
    backup = FakeUpstream(output_tokens=BACKUP_WORDS)
    async with rigged(primary, backup, clock=clock,
                      provider="hedge = true\nhedge_min_samples = 1",
                      breaker="failure_threshold = 1\ncooldown_s = 30.0",
                      retry="max_attempts = 1") as rig:
        await rig.ask(False)  # one first-token time: hedging may begin
        rig.router.pipeline.breakers.record(
            Attempt(model="primary", status="failed", error="server_error"))
        clock.advance(30.0)

        assert_complete_from_backup(await rig.ask(False))
        assert primary.requests == 2
        assert rig.router.pipeline.provider.hedges_total == 1

        assert_complete_from_backup(await rig.ask(False))
        assert primary.requests == 3  # probed again


async def test_an_upstream_that_answers_404_is_the_model_s_fault_not_the_caller_s() -> None:
    # A wrong base_url or upstream model name: the backup answers, the primary's breaker
    # hears of it, and alone the model is a 502 naming what to check, not a 400 telling
    # the caller to fix a request it could not have got wrong.
    async with FakeUpstream(output_tokens=PRIMARY_WORDS) as primary, \
            FakeUpstream(output_tokens=BACKUP_WORDS) as backup:
        text = router_toml(primary.base_url + "/nowhere", backup.base_url,
                           breaker="failure_threshold = 2")
        async with serving(text) as (router, server, session):
            for _ in range(2):
                with anyio.fail_after(10):
                    answer = await chat(session, server, stream=False)
                    await settled(router)
                assert answer.status == 200 and answer.headers["x-reactor-model"] == "backup"
            assert router.breaker_states()["primary"]["state"] == "open"
        async with serving(router_toml(primary.base_url + "/nowhere")) as (
                router, server, session):
            with anyio.fail_after(10):
                alone = await chat(session, server, stream=False)
    assert alone.status == 502 and alone.body is not None
    assert alone.body["error"]["code"] == "not_found"
    assert "base_url" in alone.body["error"]["message"]


async def test_a_hedge_spends_the_retry_budget_and_none_left_means_no_hedge() -> None:
    # A hang makes every request late: unbudgeted, each would call the backup as well.
    primary = FakeUpstream(output_tokens=PRIMARY_WORDS, faults=[None] * 20,
                           fault="hang_before_headers")
    backup = FakeUpstream(output_tokens=BACKUP_WORDS)
    async with rigged(primary, backup, provider="hedge = true\nhedge_min_samples = 20",
                      retry="max_attempts = 1\nbudget_ratio = 0\nbudget_min_per_s = 0",
                      primary_model="ttft_timeout_s = 0.3") as rig:
        for _ in range(20):
            await rig.ask(False)
        answer = await rig.ask(False)
    # No hedge: the primary ran into its own first-token timeout, then the backup answered.
    assert_complete_from_backup(answer)
    provider = rig.router.pipeline.provider
    assert provider.hedges_total == 0 and provider.budgets["primary"].refused == 1
