"""Routing a caller can see: decisions explained, constraints, willingness to pay,
feedback that changes later decisions, a learned model that survives a restart."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import aiohttp
import pytest

from reactor import RequestFailed, Router, parse_config
from reactor._server import Server
from stages.embedders import embedder_identity
from stages.quality import QualityModel
from tests.conftest import FAST_MODELS, TWO_MODELS

PROMPT = "How do I convert a timestamp with a timezone offset into UTC in Python?"


def ask(text: str, **fields: object) -> dict[str, object]:
    return {"messages": [{"role": "user", "content": text}], **fields}


async def test_route_endpoint_decides_without_calling_a_model(server: Server) -> None:
    async with aiohttp.ClientSession() as session:
        async with session.post(server.url + "/api/v1/route",
                                json=ask("prove that sqrt(2) is irrational")) as response:
            assert response.status == 200
            decision = await response.json()
        async with session.get(server.url + "/api/v1/stats") as response:
            stats = await response.json()
    assert decision["model"] in {"nano", "mini", "pro", "ultra"}
    assert decision["model"] not in decision["fallbacks"]
    assert {a["model"] for a in decision["alternatives"]} == {"nano", "mini", "pro", "ultra"}
    assert set(decision["alternatives"][0]) == {"model", "score", "quality", "cost_usd",
                                                "latency_ms"}
    assert decision["features"]["task"] == "math"
    assert 0 < decision["confidence"] <= 1 and decision["reason"]
    assert stats["cost"]["total"]["requests"] == 0  # nothing was answered, nothing billed


async def test_route_endpoint_rejects_bad_bodies(server: Server) -> None:
    async with aiohttp.ClientSession() as session, \
            session.post(server.url + "/api/v1/route", json={"messages": "hi"}) as response:
        assert response.status == 400
        assert (await response.json())["error"]["param"] == "messages"


async def test_answers_carry_the_decision(server: Server) -> None:
    async with aiohttp.ClientSession() as session, \
            session.post(server.url + "/v1/chat/completions",
                         json=ask("write a haiku about autumn")) as response:
        body = await response.json()
        headers = response.headers
    decision = body["router"]["decision"]
    assert decision["model"] == body["model"] == headers["x-reactor-model"]
    assert headers["x-reactor-task"] == decision["features"]["task"] == "creative_writing"
    assert float(headers["x-reactor-confidence"]) == pytest.approx(decision["confidence"],
                                                                   abs=1e-3)
    assert headers["x-reactor-fallbacks"] == ",".join(decision["fallbacks"])
    assert decision["routing_ms"] >= 0 and decision["estimated_cost_usd"] > 0


async def test_constraints_filter_and_can_be_unsatisfiable(router: Router) -> None:
    capped = await router.route(ask("hello", mode="accurate",
                                    constraints={"max_cost_usd": 0.0005}))
    assert capped.model != "ultra"
    assert all(c.cost_usd <= 0.0005 for c in capped.alternatives)
    good = await router.route(ask("hello", mode="fast", constraints={"min_quality": 0.8}))
    assert good.model in {"pro", "ultra"}
    with pytest.raises(RequestFailed) as caught:
        await router.route(ask("hello", constraints={"max_cost_usd": 1e-12}))
    assert caught.value.status == 400 and caught.value.code == "constraints_unsatisfiable"


async def test_willingness_to_pay_trades_cost_for_quality(router: Router) -> None:
    stingy = await router.route(ask("hello", preferences={"willingness_to_pay": 1e-6}))
    generous = await router.route(ask("hello", preferences={"willingness_to_pay": 100.0}))
    assert stingy.model == "nano" and generous.model == "ultra"
    chosen = []
    for wtp in (1e-6, 1e-4, 1e-3, 1e-2, 1.0, 100.0):
        decision = await router.route(ask("hello", preferences={"willingness_to_pay": wtp}))
        chosen.append(decision.estimated_cost_usd)
    assert chosen == sorted(chosen)  # paying more never buys a cheaper model


async def test_route_and_execute_in_one_call(router: Router) -> None:
    result = await router.route_and_execute("Summarize: the cat sat on the mat.",
                                            preferences={"cost": 1.0})
    assert result.model == "nano" and result.answer
    assert result.routing_ms >= 0 and 0 < result.confidence <= 1
    assert result.estimated_cost_usd > 0 and result.cost_usd > 0


async def test_feedback_teaches_the_selector_and_survives_a_restart(tmp_path: Path) -> None:
    config = parse_config(TWO_MODELS.format(path=tmp_path / "quality.npz"))
    async with Router(config) as router:
        first = await router.complete(ask(PROMPT))
        assert first.model == "cheap"
        for _ in range(4):
            answer = await router.complete(ask(PROMPT))
            assert answer.router is not None
            assert await router.feedback(answer.router.request_id, rating=1)
        assert not await router.feedback("no-such-request", rating=5)
        after = await router.route(ask(PROMPT))
        unrelated = await router.route(ask("Write a limerick about a goose."))
    assert after.model == "strong"
    assert unrelated.model == "cheap"  # what was learned is about prompts like this one
    assert (tmp_path / "quality.npz").exists()
    async with Router(config) as restarted:
        assert (await restarted.route(ask(PROMPT))).model == "strong"


async def test_feedback_endpoint(server: Server) -> None:
    async with aiohttp.ClientSession() as session:
        async with session.post(server.url + "/v1/chat/completions",
                                json=ask("hi", model="nano")) as response:
            request_id = response.headers["x-reactor-request-id"]
        async with session.post(server.url + "/api/v1/feedback",
                                json={"request_id": request_id, "rating": 5}) as response:
            assert response.status == 200
        async with session.post(server.url + "/api/v1/feedback",
                                json={"request_id": "nope", "rating": 5}) as response:
            assert response.status == 404
        async with session.post(server.url + "/api/v1/feedback",
                                json={"request_id": request_id, "rating": 9}) as response:
            assert response.status == 400
            assert (await response.json())["error"]["param"] == "rating"


def test_train_builds_a_model_the_router_loads(tmp_path: Path) -> None:
    data = tmp_path / "train.jsonl"
    rows = [{"prompt": f"{PROMPT} Variant {i}.", "scores": {"cheap": 0.0, "strong": 1.0}}
            for i in range(12)]
    rows += [{"prompt": f"Write a short poem about the sea, take {i}.",
              "scores": {"cheap": 1.0, "strong": 1.0}} for i in range(12)]
    data.write_text("\n".join(json.dumps(r) for r in rows))
    config_path = tmp_path / "router.toml"
    config_path.write_text(TWO_MODELS.format(path=tmp_path / "trained.npz"))
    result = subprocess.run([sys.executable, "-m", "reactor", "train", str(data), "--config",
                             str(config_path)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "trained on 24 prompts" in result.stdout
    embedder = parse_config(config_path.read_text()).analyzer.embedder
    assert QualityModel.load(tmp_path / "trained.npz").embedder == embedder_identity(embedder)
    route = subprocess.run([sys.executable, "-m", "reactor", "route", PROMPT, "--config",
                            str(config_path)], capture_output=True, text=True, timeout=120)
    assert route.returncode == 0, route.stderr
    assert "model: strong" in route.stdout
    poem = subprocess.run([sys.executable, "-m", "reactor", "route",
                           "Write a short poem about the sea.", "--config", str(config_path)],
                          capture_output=True, text=True, timeout=120)
    assert "model: cheap" in poem.stdout


def test_train_reports_bad_lines(tmp_path: Path) -> None:
    data = tmp_path / "bad.jsonl"
    data.write_text('{"prompt": "x", "scores": {"a": "high"}}\n')
    config_path = tmp_path / "router.toml"
    config_path.write_text(FAST_MODELS)
    result = subprocess.run([sys.executable, "-m", "reactor", "train", str(data), "--config",
                             str(config_path), "--out", str(tmp_path / "m.npz")],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2 and "line 1" in result.stderr




async def test_whole_answers_teach_the_latency_estimate_too() -> None:
    # Asked for whole answers (no first token to time), a model that answers in ~30 ms
    # is no longer expected to take the 5 s its card says.
    config = parse_config("""
[provider]
stream_sample = 0

[[models]]
name = "only"
ttft_ms = 5000
tokens_per_s = 1000
upstream = { kind = "simulated", ttft_ms = 30, output_tokens = 4 }
""")
    async with Router(config) as router:
        for i in range(12):
            await router.complete(ask(f"question {i}"))
        await router.quiesce()
        decision = await router.route(ask("question 13"))
    assert decision.alternatives[0].latency_ms < 1000
