"""Replaying traces: in process, over HTTP, open and closed loop, and the CLI."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import anyio
import pytest
from aiohttp import web

from bench.fake_upstream import FakeUpstream
from bench.replay import main, parse_options, replay
from bench.replay_config import ReplayOptions
from bench.replay_targets import build_request
from bench.traces import Synthesiser, TraceRequest, read_trace
from reactor._server import Server

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "traces"
TWENTY = FIXTURES / "azure_20.csv"
FAST = 10_000.0  # the fixture's 7 seconds in under a millisecond


def test_a_token_count_request_asks_for_the_traced_answer_length() -> None:
    item = TraceRequest(arrival_s=0.0, prompt_tokens=50, output_tokens=7)
    request = build_request(item, 3, Synthesiser(), stream=None, output_tokens=256)

    assert request.max_tokens == 7 and request.stream is False
    assert len(request.messages) == 1 and len(request.messages[0].text) == 200


def test_a_recorded_request_keeps_its_shape_and_gets_text_of_its_sizes() -> None:
    (first, second, real) = read_trace(FIXTURES / "reactor_tiny.jsonl")
    synth = Synthesiser()

    request = build_request(first, 0, synth, stream=None, output_tokens=256)
    assert [(m.role, len(m.text)) for m in request.messages] == [("system", 24),
                                                                 ("user", 120)]
    assert (request.model, request.stream, request.max_tokens) == ("fast", True, 64)

    assert build_request(second, 1, synth, stream=None, output_tokens=99).max_tokens == 99
    asked = build_request(real, 2, synth, stream=True, output_tokens=256)
    assert asked.messages[0].text == "What is the capital of France?"
    assert asked.stream is True and asked.max_completion_tokens == 16


async def test_an_open_loop_replay_in_process_answers_every_request() -> None:
    with anyio.fail_after(30):
        report = await replay(ReplayOptions(trace=TWENTY, speed=FAST))

    assert report.trace_requests == 20
    routed = report.router
    assert (routed.sent, routed.completed, routed.errors, routed.sheds) == (20, 20, {}, {})
    assert routed.unfinished == routed.skipped == 0
    assert report.direct is not None and report.direct.completed == 20
    assert report.overhead_ms is not None
    assert report.cost is not None and report.cost.requests == 20 and report.cost.cost_usd > 0
    assert report.cache is not None and report.cache.misses == 20
    assert "admission" in report.mailboxes


async def test_a_closed_loop_replay_stops_at_the_limit() -> None:
    with anyio.fail_after(30):
        report = await replay(ReplayOptions(trace=TWENTY, concurrency=3, limit=10,
                                            direct=False))

    assert report.loop == "closed" and report.trace_requests == 10
    assert (report.router.sent, report.router.completed) == (10, 10)
    assert report.direct is None and report.overhead_ms is None


async def test_a_streamed_replay_reports_time_to_first_token() -> None:
    with anyio.fail_after(30):
        report = await replay(ReplayOptions(trace=TWENTY, speed=0, stream=True))

    assert report.router.completed == 20
    assert report.router.ttft_ms is not None
    assert report.direct is not None and report.direct.ttft_ms is not None


async def test_a_duration_bounds_the_sending() -> None:
    # The fixture spans seven seconds; at real speed only its start fits in half of one.
    with anyio.fail_after(30):
        report = await replay(ReplayOptions(trace=TWENTY, speed=1, duration=0.5,
                                            direct=False))

    assert 1 <= report.router.sent < 20
    assert report.router.completed == report.router.sent


async def test_an_http_replay_against_a_running_server(server: Server) -> None:
    async with FakeUpstream(output_tokens=50) as fake:
        with anyio.fail_after(30):
            report = await replay(ReplayOptions(trace=TWENTY, speed=FAST, url=server.url,
                                                direct_url=fake.base_url, warmup=2))
        assert fake.requests == 2 + 20

    assert report.mode == "http"
    assert (report.router.sent, report.router.completed, report.router.errors) == (20, 20, {})
    assert report.direct is not None and report.direct.completed == 20
    assert report.cost is not None and report.cost.requests == 20
    # The test server caches only temperature-0 answers: no lookups, no hits.
    assert report.cache is not None and report.cache.hits == report.cache.misses == 0
    assert "provider" in report.mailboxes


async def test_a_streamed_http_replay_without_a_baseline_says_why(server: Server) -> None:
    with anyio.fail_after(30):
        report = await replay(ReplayOptions(trace=TWENTY, speed=0, url=server.url,
                                            stream=True, limit=5))

    assert report.router.completed == 5 and report.router.ttft_ms is not None
    assert report.direct is None and "--direct-url" in report.direct_note


async def test_serve_starts_a_server_and_an_upstream_and_replays_over_http(
        tmp_path: Path) -> None:
    with anyio.fail_after(60):
        report = await replay(ReplayOptions(trace=TWENTY, speed=0, serve=True, limit=8,
                                            out=tmp_path))

    assert report.mode == "http, --serve"
    assert (report.router.completed, report.router.errors) == (8, {})
    assert report.direct is not None and report.direct.completed == 8
    assert report.cost is not None and report.cost.requests == 8
    assert {"reactor.log", "upstream.log"} <= {p.name async for p in anyio.Path(tmp_path).iterdir()}


def test_the_command_prints_a_table_and_writes_the_report(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main([str(TWENTY), "--speed", "0", "--out", str(tmp_path)])

    assert code == 0
    printed = capsys.readouterr().out
    assert "latency p99 (ms)" in printed and "router overhead" in printed
    written = json.loads((tmp_path / "report.json").read_text())
    assert written["router"]["completed"] == 20
    assert written["trace_requests"] == 20


def test_direct_url_needs_url(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        parse_options([str(TWENTY), "--direct-url", "http://127.0.0.1:1/v1"])
    assert "--direct-url goes with --url" in capsys.readouterr().err


def test_a_bad_line_is_an_error_before_anything_is_sent(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    trace = tmp_path / "late.csv"
    trace.write_text(TWENTY.read_text().rstrip("\n") + "\n2023-11-16 18:00:00.0,10,10\n")

    assert main([str(trace), "--speed", "0", "--out", str(tmp_path / "out")]) == 2
    assert "late.csv:22: arrives" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_a_url_that_refuses_connections_is_an_error_not_a_traceback(
        capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        port = taken.getsockname()[1]
    # Nothing listens on the port now: connections are refused.

    assert main([str(TWENTY), "--speed", "0", "--warmup", "0",
                 "--url", f"http://127.0.0.1:{port}"]) == 2
    assert f"cannot reach http://127.0.0.1:{port}" in capsys.readouterr().err


async def test_a_server_answering_errors_is_reported_with_its_errors() -> None:
    async def fail(request: web.Request) -> web.Response:
        return web.json_response({"error": {"type": "server_error", "code": "boom"}},
                                 status=500)

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", fail)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        with anyio.fail_after(30):
            report = await replay(ReplayOptions(trace=TWENTY, speed=0, warmup=1,
                                                url=f"http://127.0.0.1:{port}"))
    finally:
        await runner.cleanup()

    assert (report.router.sent, report.router.completed) == (20, 0)
    assert report.router.errors == {"500 boom": 20}
    assert report.cost is None and report.cache is None


TENANTS_CONFIG = """
[admission]
require_key = true

[admission.tenants.acme]
requests_per_minute = 1

[[models]]
name = "only"
price_in = 0.1
price_out = 0.4
quality = 0.5
upstream = { kind = "simulated" }
"""


async def test_serve_replays_each_request_as_its_tenant_and_tier(tmp_path: Path) -> None:
    config = tmp_path / "router.toml"
    config.write_text(TENANTS_CONFIG)
    trace = tmp_path / "tenants.jsonl"
    trace.write_text("".join(
        f'{{"arrival_s":{n},"tenant":"{tenant}","tier":"{tier}",'
        '"body":{"messages":[{"role":"user","tokens":5}],"max_tokens":3}}\n'
        for n, (tenant, tier) in enumerate([("acme", "gold"), ("default", "default"),
                                            ("acme", "gold"), ("beta", "free"),
                                            ("acme", "gold")])))

    with anyio.fail_after(60):
        report = await replay(ReplayOptions(trace=trace, speed=0, serve=True, warmup=1,
                                            config=config, direct=False))

    # Without a key every request was refused (401); with the trace's tenants, acme's
    # one request a minute lets its first through and sheds the other two.
    assert report.router.errors == {}
    assert report.router.completed == 3 and sum(report.router.sheds.values()) == 2


def test_api_key_env_needs_url(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        parse_options([str(TWENTY), "--api-key-env", "KEY"])
    assert "--api-key-env goes with --url" in capsys.readouterr().err


async def test_api_key_env_sends_that_key_with_every_request(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REPLAY_TEST_KEY", "sk-replay")

    async def answer(request: web.Request) -> web.Response:
        if request.headers.get("Authorization") != "Bearer sk-replay":
            return web.json_response({"error": {"code": "invalid_api_key"}}, status=401)
        return web.json_response({"choices": [], "usage": {"completion_tokens": 1}})

    app = web.Application()
    app.router.add_post("/v1/chat/completions", answer)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    port = runner.addresses[0][1]
    try:
        with anyio.fail_after(30):
            report = await replay(ReplayOptions(trace=TWENTY, speed=0, warmup=0, limit=5,
                                                url=f"http://127.0.0.1:{port}",
                                                api_key_env="REPLAY_TEST_KEY"))
    finally:
        await runner.cleanup()

    assert (report.router.completed, report.router.errors) == (5, {})


def test_a_duration_of_zero_is_refused_not_taken_as_no_bound(
        capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        parse_options([str(TWENTY), "--duration", "0"])
    assert "--duration must be positive" in capsys.readouterr().err
