"""What the books charge when an answer breaks, over real HTTP against fake upstreams.

An upstream bills what it read and wrote, whether or not the answer came out whole: a
stream cut mid-answer, a try thrown away before a fallback, a caller who left. The cost
ledger (by model and tenant), the metrics and the tenant's spend book (budget and token
rate) must all be charged that, estimated from the text when the upstream said nothing.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass

import aiohttp
import anyio
import anyio.lowlevel
import pytest

from bench.fake_upstream import FakeUpstream, fake_text, fake_words, prompt_of
from bench.fake_upstream import Fault as FakeFault
from reactor import ChatMessage, ChatRequest, Failed, FakeClock
from reactor._router import Router, gather
from reactor._server import Server
from stages.analyzer import analyze
from stages.limits import MemoryLimits
from stages.provider import CONTINUE_PROMPT
from tests.resilience_support import (
    BACKUP_WORDS,
    PRIMARY_WORDS,
    PROMPT,
    Answer,
    chat,
    router_toml,
    serving,
)
from tests.stages.upstream_support import HeldTail, sse

PRICES = {"primary": (1.0, 10.0), "backup": (3.0, 30.0)}  # USD per million in, out
TOKENS_PER_MINUTE = 1_000_000
PATIENCE = "ttft_timeout_s = 0.3\nstall_timeout_s = 0.3"
# Every caller is the "default" tenant: with a budget and a token rate, it is metered.
METERED = f"usd_per_day = 100.0\ntokens_per_minute = {TOKENS_PER_MINUTE}"


def priced(name: str, extra: str = "") -> str:
    price_in, price_out = PRICES[name]
    return f"price_in = {price_in}\nprice_out = {price_out}\n{extra}"


def cost(name: str, prompt_tokens: int, completion_tokens: int) -> float:
    price_in, price_out = PRICES[name]
    return (prompt_tokens * price_in + completion_tokens * price_out) / 1e6


def reported_prompt(prompt: str) -> int:
    """The prompt tokens the fake upstream reports in its usage."""
    return max(1, len(prompt) // 4)


@dataclass
class Rig:
    router: Router
    server: Server
    session: aiohttp.ClientSession

    async def books_settled(self, requests: int = 1) -> None:
        """Wait until the cost, metrics and spend books have each heard of `requests`."""
        pipeline = self.router.pipeline
        with anyio.fail_after(10):
            while pipeline.cost.ledger.total.requests < requests or \
                    sum(pipeline.metrics.books.requests.values()) < requests or \
                    pipeline.spend.settled < requests:
                await anyio.lowlevel.checkpoint()

    async def exposition(self) -> str:
        async with self.session.get(self.server.url + "/metrics") as response:
            return await response.text()

    async def spent_usd(self) -> float:
        tenants = (await self.router.pipeline.spend.snapshot())["tenants"]
        assert isinstance(tenants, dict)
        return float(tenants["default"]["day"]["spent_usd"])

    def tokens_charged(self) -> float:
        """Tokens the tenant's per-minute allowance lost, once its reservation was settled
        (the fake clock stands still, so nothing refills it meanwhile)."""
        store = self.router.pipeline.spend.store
        assert isinstance(store, MemoryLimits)
        level = store._tenants["default"].tokens
        assert level is not None
        return TOKENS_PER_MINUTE - level

    def prompt_estimate(self) -> int:
        """The analyzer's estimate of the prompt's tokens (what a silent upstream is
        charged for it)."""
        request = ChatRequest(messages=[ChatMessage(role="user", content=PROMPT)])
        return analyze(request, self.router.config.analyzer).prompt_tokens


@asynccontextmanager
async def rigged(primary: FakeUpstream | HeldTail, backup: FakeUpstream | None = None, *,
                 provider: str = "", retry: str = "max_attempts = 1",
                 primary_model: str = PATIENCE, kind: str = "openai") -> AsyncIterator[Rig]:
    """`primary` (then `backup`) behind a metered router; `kind` is their wire format."""
    async with AsyncExitStack() as stack:
        await stack.enter_async_context(primary)
        if backup is not None:
            await stack.enter_async_context(backup)
        text = router_toml(primary.base_url, None if backup is None else backup.base_url,
                           provider=provider, retry=retry, admission=METERED,
                           primary_model=priced("primary", primary_model),
                           backup_model=priced("backup"))
        text = text.replace('kind = "openai"', f'kind = "{kind}"')
        yield Rig(*await stack.enter_async_context(serving(text, clock=FakeClock())))


async def assert_charged(rig: Rig, shares: dict[str, tuple[int, int]], *,
                         estimated: tuple[str, ...]) -> None:
    """Each model was charged its (prompt, completion) tokens at its price, in every book;
    the `estimated` ones' charges are marked as estimated."""
    ledger = rig.router.pipeline.cost.ledger
    exposition = await rig.exposition()
    total = 0.0
    for model, (prompt_tokens, completion_tokens) in shares.items():
        price = cost(model, prompt_tokens, completion_tokens)
        total += price
        row = ledger.by_model[model]
        assert (row.prompt_tokens, row.completion_tokens) == (prompt_tokens, completion_tokens)
        assert row.cost_usd == pytest.approx(price)
        assert row.estimated_usd == (pytest.approx(price) if model in estimated else 0.0)
        for direction, tokens in (("prompt", prompt_tokens), ("completion", completion_tokens)):
            assert f'reactor_tokens_total{{direction="{direction}",model="{model}"}} ' \
                f'{float(tokens)}\n' in exposition
        sample = next(line for line in exposition.splitlines()
                      if line.startswith(f'reactor_cost_usd_total{{model="{model}"}}'))
        assert float(sample.split()[-1]) == pytest.approx(price)
    tokens = sum(p + c for p, c in shares.values())
    for row in (ledger.total, ledger.by_tenant["default"]):
        assert row.prompt_tokens + row.completion_tokens == tokens
        assert row.cost_usd == pytest.approx(total)
    assert await rig.spent_usd() == pytest.approx(total, abs=1e-8)
    assert rig.tokens_charged() == tokens


def streamed_words(answer: Answer) -> str:
    assert answer.status == 200 and not answer.done
    return answer.text


# A stream that ends in error


@pytest.mark.parametrize(("fault", "words"), [
    ("drop_mid_stream", 2),          # the upstream's connection broke
    ("malformed_sse", 1),            # garbage on the wire
    ("hang_after_first_token", 1),   # the stall timeout gave up on it
])
async def test_a_stream_that_breaks_is_charged_its_prompt_and_the_words_it_delivered(
        fault: FakeFault, words: int) -> None:
    async with rigged(FakeUpstream(output_tokens=PRIMARY_WORDS, fault=fault)) as rig:
        answer = await chat(rig.session, rig.server, stream=True)
        await rig.books_settled()
        partial = streamed_words(answer)
        assert partial == "".join(fake_words(PROMPT, PRIMARY_WORDS)[:words])
        # The upstream said nothing of its usage before it broke: estimated.
        await assert_charged(rig, {"primary": (rig.prompt_estimate(),
                                               max(1, len(partial) // 4))},
                             estimated=("primary",))
        assert rig.router.pipeline.cost.ledger.total.failures == 1


async def test_a_stream_cut_after_its_usage_arrived_is_charged_that_usage() -> None:
    # Every word and the usage came, but no finish reason: a broken answer, billed whole.
    async with rigged(FakeUpstream(output_tokens=PRIMARY_WORDS,
                                   fault="no_finish_reason")) as rig:
        answer = await chat(rig.session, rig.server, stream=True,
                            stream_options={"include_usage": True})
        await rig.books_settled()
        assert streamed_words(answer) == fake_text(PROMPT, PRIMARY_WORDS)
        await assert_charged(rig, {"primary": (reported_prompt(PROMPT), PRIMARY_WORDS)},
                             estimated=())


async def test_a_continuation_that_breaks_too_charges_both_models_their_shares() -> None:
    primary = FakeUpstream(output_tokens=PRIMARY_WORDS, fault="drop_mid_stream")
    backup = FakeUpstream(output_tokens=BACKUP_WORDS, fault="drop_mid_stream")
    async with rigged(primary, backup, provider="continue_after_failure = true") as rig:
        answer = await chat(rig.session, rig.server, stream=True)
        await rig.books_settled()
        text = streamed_words(answer)
        first = "".join(fake_words(PROMPT, PRIMARY_WORDS)[:2])
        continued = prompt_of(backup.last.body)
        second = text.removeprefix(first)
        assert second == "".join(fake_words(continued, BACKUP_WORDS)[:2])
        prompt = rig.prompt_estimate()
        await assert_charged(rig, {
            "primary": (prompt, len(first) // 4),
            # The continuation's prompt holds the answer so far.
            "backup": (prompt + (len(first) + len(CONTINUE_PROMPT)) // 4, len(second) // 4),
        }, estimated=("primary", "backup"))


async def test_a_caller_leaving_mid_stream_is_charged_what_reached_it() -> None:
    async with rigged(FakeUpstream(output_tokens=PRIMARY_WORDS,
                                   fault="hang_after_first_token"),
                      primary_model="stall_timeout_s = 60") as rig:
        body = {"model": "primary", "stream": True,
                "messages": [{"role": "user", "content": PROMPT}]}
        with anyio.fail_after(10):
            async with rig.session.post(rig.server.url + "/v1/chat/completions",
                                        json=body) as response:
                async for line in response.content:
                    if line.startswith(b"data: ") and json.loads(line[6:])["choices"][0][
                            "delta"].get("content"):
                        break  # one word arrived; the upstream now hangs
                response.close()
        await rig.books_settled()
        word = fake_words(PROMPT, PRIMARY_WORDS)[0]
        await assert_charged(rig, {"primary": (rig.prompt_estimate(), max(1, len(word) // 4))},
                             estimated=("primary",))


# Each wire format's stream that said what it used, then broke: ("Wood, cork and ice"
# for 13 prompt and 6 completion tokens, without its end).
COUNTED_THEN_BROKEN = {
    "anthropic": sse(
        {"type": "message_start", "message": {"usage": {"input_tokens": 13,
                                                        "output_tokens": 1}}},
        {"type": "content_block_start", "index": 0,
         "content_block": {"type": "text", "text": ""}},
        {"type": "content_block_delta", "index": 0,
         "delta": {"type": "text_delta", "text": "Wood, cork and ice"}},
        {"type": "content_block_stop", "index": 0},
        {"type": "message_delta", "delta": {"stop_reason": "end_turn"},
         "usage": {"output_tokens": 6}}),
    "gemini": sse(*(
        {"candidates": [{"content": {"role": "model", "parts": [{"text": word}]}}],
         "usageMetadata": {"promptTokenCount": 13, "candidatesTokenCount": count}}
        for word, count in (("Wood, ", 2), ("cork ", 4), ("and ice", 6)))),
}


@pytest.mark.parametrize("kind", ["anthropic", "gemini"])
async def test_an_anthropic_or_gemini_stream_broken_after_its_usage_is_charged_that_usage(
        kind: str) -> None:
    async with rigged(HeldTail(COUNTED_THEN_BROKEN[kind], drop=True), kind=kind) as rig:
        answer = await chat(rig.session, rig.server, stream=True)
        await rig.books_settled()
        assert streamed_words(answer) == "Wood, cork and ice"
        assert answer.errors
        await assert_charged(rig, {"primary": (13, 6)}, estimated=())


# Tries thrown away


async def test_tries_that_produced_words_before_failing_over_are_charged_too() -> None:
    # Non-streaming: each try of the primary produced a word, then stalled; the caller
    # sees only the backup's answer, but the primary billed both tries.
    primary = FakeUpstream(output_tokens=PRIMARY_WORDS, fault="hang_after_first_token")
    async with rigged(primary, FakeUpstream(output_tokens=BACKUP_WORDS),
                      retry="max_attempts = 2") as rig:
        answer = await chat(rig.session, rig.server, stream=False)
        await rig.books_settled()
        assert answer.status == 200 and answer.text == fake_text(PROMPT, BACKUP_WORDS)
        assert primary.requests == 2
        backup = (reported_prompt(PROMPT), BACKUP_WORDS)
        assert answer.body is not None
        # The caller is told what its answer cost, not the thrown-away tries.
        assert answer.body["usage"]["completion_tokens"] == BACKUP_WORDS
        assert answer.body["router"]["cost_usd"] == pytest.approx(cost("backup", *backup))
        word = fake_words(PROMPT, PRIMARY_WORDS)[0]
        await assert_charged(rig, {"primary": (2 * rig.prompt_estimate(),
                                               2 * max(1, len(word) // 4)),
                                   "backup": backup}, estimated=("primary",))
        # Tries, not a request of the primary's own.
        assert rig.router.pipeline.cost.ledger.by_model["primary"].requests == 0


async def test_a_whole_answer_stalled_midway_is_charged_every_word_that_came() -> None:
    # Non-streaming, so the router reads the stream quietly after the first word: the
    # next five come (paced, so each in its own read) without waking the reader, then
    # the upstream stalls. The try is charged all six, not only the word it had parsed.
    primary = FakeUpstream(output_tokens=PRIMARY_WORDS, fault="stall_mid_stream",
                           drop_after_tokens=6, token_delay_s=0.02)
    async with rigged(primary, FakeUpstream(output_tokens=BACKUP_WORDS)) as rig:
        answer = await chat(rig.session, rig.server, stream=False)
        await rig.books_settled()
        assert answer.status == 200 and answer.text == fake_text(PROMPT, BACKUP_WORDS)
        came = "".join(fake_words(PROMPT, PRIMARY_WORDS)[:6])
        await assert_charged(rig, {"primary": (rig.prompt_estimate(), len(came) // 4),
                                   "backup": (reported_prompt(PROMPT), BACKUP_WORDS)},
                             estimated=("primary",))


# A whole answer without usage


def sse_without_usage(words: list[str]) -> bytes:
    events: list[object] = [{"choices": [{"delta": {"content": word}, "finish_reason": None}]}
                            for word in words]
    events.append({"choices": [{"delta": {}, "finish_reason": "stop"}]})
    return sse(*events, done=True)


async def test_a_whole_answer_without_usage_is_estimated_from_all_of_its_text() -> None:
    words = fake_words(PROMPT, 40)
    text = "".join(words)
    async with rigged(HeldTail(sse_without_usage(words), delay_s=0.0)) as rig:
        answer = await chat(rig.session, rig.server, stream=False)
        await rig.books_settled()
        assert answer.status == 200 and answer.text == text
        assert answer.body is not None
        estimate = (rig.prompt_estimate(), len(text) // 4)
        assert answer.body["usage"]["completion_tokens"] == estimate[1]
        await assert_charged(rig, {"primary": estimate}, estimated=("primary",))


# Tool calls


TOOL_NAME = "lookup_weather"
TOOL_ARGUMENTS = json.dumps({"city": "Reykjavik", "days": list(range(30))})


def sse_tool_call(*, finished: bool) -> bytes:
    """A tool call (no text, no usage), its arguments in three pieces; with `finished`,
    its finish reason and the stream's end."""
    third = len(TOOL_ARGUMENTS) // 3
    pieces = [TOOL_ARGUMENTS[:third], TOOL_ARGUMENTS[third:2 * third],
              TOOL_ARGUMENTS[2 * third:]]
    events: list[object] = [{"choices": [{"delta": {"tool_calls": [{
        "index": 0, "id": "call_1", "type": "function",
        "function": {"name": TOOL_NAME, "arguments": ""}}]}, "finish_reason": None}]}]
    events += [{"choices": [{"delta": {"tool_calls": [{
        "index": 0, "function": {"arguments": piece}}]}, "finish_reason": None}]}
        for piece in pieces]
    if finished:
        events.append({"choices": [{"delta": {}, "finish_reason": "tool_calls"}]})
    return sse(*events, done=finished)


async def test_a_tool_call_answer_without_usage_is_estimated_from_its_call() -> None:
    async with rigged(HeldTail(sse_tool_call(finished=True), delay_s=0.0)) as rig:
        answer = await chat(rig.session, rig.server, stream=False)
        await rig.books_settled()
        assert answer.status == 200 and answer.body is not None
        call = answer.body["choices"][0]["message"]["tool_calls"][0]["function"]
        assert (call["name"], call["arguments"]) == (TOOL_NAME, TOOL_ARGUMENTS)
        estimate = (rig.prompt_estimate(), (len(TOOL_NAME) + len(TOOL_ARGUMENTS)) // 4)
        assert answer.body["usage"]["completion_tokens"] == estimate[1]
        await assert_charged(rig, {"primary": estimate}, estimated=("primary",))


async def test_a_stream_that_breaks_after_tool_call_deltas_is_charged_the_call() -> None:
    async with rigged(HeldTail(sse_tool_call(finished=False), drop=True)) as rig:
        answer = await chat(rig.session, rig.server, stream=True)
        await rig.books_settled()
        assert streamed_words(answer) == ""
        arguments = "".join(call["function"].get("arguments") or ""
                            for chunk in answer.chunks
                            for call in chunk["choices"][0]["delta"].get("tool_calls") or ())
        assert arguments == TOOL_ARGUMENTS
        assert answer.errors
        await assert_charged(rig, {"primary": (rig.prompt_estimate(),
                                               (len(TOOL_NAME) + len(TOOL_ARGUMENTS)) // 4)},
                             estimated=("primary",))


# The embedded API


async def test_a_gathered_continued_stream_lists_each_models_part() -> None:
    primary = FakeUpstream(output_tokens=PRIMARY_WORDS, fault="drop_mid_stream")
    async with rigged(primary, FakeUpstream(output_tokens=BACKUP_WORDS),
                      provider="continue_after_failure = true") as rig:
        request = ChatRequest(model="primary", stream=True,
                              messages=[ChatMessage(role="user", content=PROMPT)])
        with anyio.fail_after(10):
            result = await gather(rig.router.submit(request))
        assert not isinstance(result, Failed)
        completion = result.completion(0)
        assert completion.router is not None and completion.router.parts is not None
        assert [part.model for part in completion.router.parts] == ["primary", "backup"]
        assert completion.router.cost_usd == pytest.approx(
            sum(part.cost_usd for part in completion.router.parts))


@pytest.mark.parametrize("kind", ["anthropic", "gemini"])
async def test_a_stream_stalled_after_its_usage_is_charged_that_usage(kind: str) -> None:
    async with rigged(HeldTail(COUNTED_THEN_BROKEN[kind]), kind=kind) as rig:
        answer = await chat(rig.session, rig.server, stream=True)
        await rig.books_settled()
        assert streamed_words(answer) == "Wood, cork and ice"
        assert answer.errors
        await assert_charged(rig, {"primary": (13, 6)}, estimated=())
