"""Per-stage traces: a traced request notes when it leaves each stage, and its answer,
the metrics and the ledger say how long it spent in each; a share of requests is traced
on its own, and a caller can ask for it."""

from __future__ import annotations

import json
from pathlib import Path

import aiohttp
import anyio
import pytest
from prometheus_client import generate_latest

from reactor import ChatMessage, ChatRequest, Done, parse_config
from reactor._router import Answer, Router, gather
from reactor._server import Server

PIPELINE = ["admission", "cache", "analyzer", "semantic", "selector", "breaker", "provider",
            "upstream"]

CONFIG = """
[cache]
max_temperature = 0.0

[metrics]
trace_sample = {share}

[ledger]
path = "{ledger}"
fsync = false

[[models]]
name = "nano"
upstream = {{ kind = "simulated", output_tokens = 8 }}
"""


def router(tmp_path: Path, share: float = 0.0) -> Router:
    return Router(parse_config(CONFIG.format(share=share, ledger=tmp_path / "ledger.jsonl")))


def ask(text: str, temperature: float | None = None) -> ChatRequest:
    return ChatRequest(messages=[ChatMessage(role="user", content=text)],
                       temperature=temperature)


async def answer(r: Router, request: ChatRequest, trace: bool = False) -> Answer:
    result = await gather(r.submit(request, trace=trace))
    assert isinstance(result, Answer), result
    return result


def stages_of(result: Answer) -> list[tuple[str, float]]:
    assert isinstance(result.done, Done)
    return result.done.stages


async def test_a_traced_request_says_how_long_it_spent_in_every_stage(
        tmp_path: Path) -> None:
    with anyio.fail_after(10):
        async with router(tmp_path) as r:
            traced = await answer(r, ask("what is a mailbox"), trace=True)
            plain = await answer(r, ask("what is an actor"))

    assert [stage for stage, _ in stages_of(traced)] == PIPELINE
    assert all(seconds >= 0 for _, seconds in stages_of(traced))
    assert stages_of(plain) == []
    info = traced.completion(0).router
    assert info is not None and info.stages_ms is not None
    assert list(info.stages_ms) == PIPELINE
    assert plain.completion(0).router.stages_ms is None  # type: ignore[union-attr]

    # The ledger has them too, and they add up to the request's latency.
    lines = [json.loads(line) for line in (tmp_path / "ledger.jsonl").read_bytes().splitlines()]
    by_id = {line["id"]: line for line in lines}
    traced_line, plain_line = by_id[traced.request_id], by_id[plain.request_id]
    assert list(traced_line["stages_ms"]) == PIPELINE
    assert sum(traced_line["stages_ms"].values()) == pytest.approx(
        traced_line["latency_ms"], abs=0.01)
    assert "stages_ms" not in plain_line


async def test_a_cache_hit_is_traced_through_the_stages_it_passed(tmp_path: Path) -> None:
    with anyio.fail_after(10):
        async with router(tmp_path) as r:
            await answer(r, ask("the same question", temperature=0.0))
            await r.pipeline.cache.wait_stored(1)
            hit = await answer(r, ask("the same question", temperature=0.0), trace=True)

    assert hit.cache == "exact"
    assert [stage for stage, _ in stages_of(hit)] == ["admission", "cache"]


@pytest.mark.parametrize(("share", "traced"), [(0.0, 0), (0.25, 3), (1.0, 12)])
async def test_a_share_of_requests_is_traced_evenly_and_counted_in_the_metrics(
        tmp_path: Path, share: float, traced: int) -> None:
    with anyio.fail_after(10):
        async with router(tmp_path, share) as r:
            results = [await answer(r, ask(f"question {n}")) for n in range(12)]
            await r.quiesce()
            metrics = generate_latest(r.pipeline.registry).decode()

    assert sum(1 for result in results if stages_of(result)) == traced
    if traced:
        assert f'reactor_stage_seconds_count{{stage="analyzer"}} {traced}.0' in metrics
        assert f'reactor_stage_seconds_count{{stage="upstream"}} {traced}.0' in metrics
    else:
        assert "reactor_stage_seconds_count" not in metrics


async def test_over_http_a_caller_asks_for_a_trace_and_gets_server_timing(
        tmp_path: Path) -> None:
    body = {"messages": [{"role": "user", "content": "hello there"}]}
    with anyio.fail_after(10):
        async with router(tmp_path) as r, Server(r) as server, \
                aiohttp.ClientSession() as session:
            url = server.url + "/v1/chat/completions"
            async with session.post(url, json=body, headers={"x-reactor-trace": "1"}) as got:
                traced_timing = got.headers.get("Server-Timing")
                traced = await got.json()
            async with session.post(url, json=body) as got:
                plain_timing = got.headers.get("Server-Timing")
                plain = await got.json()

    assert traced_timing is not None
    names = [part.split(";")[0].strip() for part in traced_timing.split(",")]
    assert names == PIPELINE
    assert all(part.split(";dur=")[1] for part in traced_timing.split(","))
    assert list(traced["router"]["stages_ms"]) == PIPELINE
    assert plain_timing is None and "stages_ms" not in plain["router"]
