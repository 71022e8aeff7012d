"""Recording traffic to a JSONL trace, read back from the file the recorder wrote."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import anyio
import msgspec
import pytest

from bench.replay_targets import build_request
from bench.traces import Synthesiser, read_trace
from reactor import ChatRequest, FakeClock, decode_chat_request
from reactor._cli import build_parser
from reactor._record import Recorder

SECRET = "my password is hunter2, please remember it"


def ask(text: str, **fields: object) -> ChatRequest:
    return msgspec.convert({"messages": [{"role": "system", "content": "Be brief."},
                                         {"role": "user", "content": text}], **fields},
                           ChatRequest)


def lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


async def test_without_prompts_only_token_counts_and_load_shaping_fields_are_kept(
        tmp_path: Path) -> None:
    path = tmp_path / "trace.jsonl"
    clock = FakeClock(start=500.0)
    with anyio.fail_after(5):
        async with Recorder(path, clock=clock) as recorder:
            recorder.record(ask(SECRET, model="fast", max_tokens=64, stream=True, user="bob",
                                temperature=0.2), "acme", "gold", clock.now() + 1.25)

    header, line = lines(path)
    assert header["trace"] == "reactor" and header["prompts"] is False
    assert line == {
        "arrival_s": 1.25, "tenant": "acme", "tier": "gold",
        "body": {"messages": [{"role": "system", "tokens": 3},
                              {"role": "user", "tokens": 11}],
                 "model": "fast", "stream": True, "max_tokens": 64, "temperature": 0.2},
    }
    assert "hunter2" not in path.read_text()
    assert recorder.recorded == 1 and recorder.dropped == 0


async def test_with_prompts_the_request_reads_back_as_it_was(tmp_path: Path) -> None:
    path = tmp_path / "trace.jsonl"
    request = ask(SECRET, model="pro", max_completion_tokens=20)
    with anyio.fail_after(5):
        async with Recorder(path, prompts=True) as recorder:
            recorder.record(request, "default", "default", recorder.clock.now())

    header, line = lines(path)
    assert header["prompts"] is True
    assert msgspec.convert(line["body"], ChatRequest) == request
    assert line["arrival_s"] >= 0


async def test_lines_recorded_just_before_closing_reach_the_file(tmp_path: Path) -> None:
    path = tmp_path / "trace.jsonl"
    clock = FakeClock()
    with anyio.fail_after(5):
        async with Recorder(path, clock=clock) as recorder:
            for n in range(500):
                recorder.record(ask(f"question {n}"), "default", "default", clock.now() + n)

    arrivals = [line["arrival_s"] for line in lines(path)[1:]]
    assert arrivals == [float(n) for n in range(500)]
    assert recorder.recorded == 500


async def test_a_full_buffer_drops_and_counts_instead_of_waiting(tmp_path: Path) -> None:
    path = tmp_path / "trace.jsonl"
    clock = FakeClock()
    with anyio.fail_after(5):
        async with Recorder(path, clock=clock, max_buffer_bytes=1000) as recorder:
            # No await between records: the writer cannot run, so the buffer fills.
            for n in range(50):
                recorder.record(ask(f"question {n}"), "default", "default", clock.now())
            assert recorder.dropped > 0

    written = lines(path)[1:]
    assert len(written) == recorder.recorded == 50 - recorder.dropped
    assert recorder.failed is None


async def test_each_recording_appends_its_own_header(tmp_path: Path) -> None:
    path = tmp_path / "trace.jsonl"
    with anyio.fail_after(5):
        for text in ("first", "second"):
            async with Recorder(path) as recorder:
                recorder.record(ask(text), "default", "default", recorder.clock.now())

    kinds = ["header" if "trace" in line else "request" for line in lines(path)]
    assert kinds == ["header", "request", "header", "request"]


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
async def test_a_disk_that_fails_ends_the_recording_not_the_caller() -> None:
    with anyio.fail_after(5):
        async with Recorder("/dev/full") as recorder:
            for n in range(3):
                recorder.record(ask(f"question {n}"), "default", "default",
                                recorder.clock.now())

    assert isinstance(recorder.failed, OSError)
    assert recorder.recorded == 0 and recorder.dropped == 3


async def test_recording_before_opening_is_a_bug(tmp_path: Path) -> None:
    recorder = Recorder(tmp_path / "trace.jsonl")
    with pytest.raises(RuntimeError, match="async with"):
        recorder.record(ask("hi"), "default", "default", 0.0)


def test_serve_with_a_record_path_it_cannot_write_says_so_in_one_line(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "router.toml"
    config.write_text('[[models]]\nname = "only"\nprice_in = 0.1\nprice_out = 0.4\n'
                      'quality = 0.5\nupstream = { kind = "simulated" }\n')
    missing = tmp_path / "no such folder" / "trace.jsonl"

    # The command without `main`, which would point logging at this test's stderr.
    args = build_parser().parse_args(["serve", "--config", str(config), "--port", "0",
                                      "--record", str(missing)])
    code = args.func(args)

    assert code == 2
    assert f"reactor: cannot record to {missing}: No such file or directory" in \
        capsys.readouterr().err


async def test_without_prompts_what_routes_and_caches_a_request_replays_the_same(
        tmp_path: Path) -> None:
    path = tmp_path / "trace.jsonl"
    request = decode_chat_request(json.dumps({
        "messages": [{"role": "user", "content": SECRET}],
        "tools": [{"type": "function", "function": {"name": "lookup_password",
                                                     "parameters": {"type": "object"}}},
                  {"type": "function", "function": {"name": "other"}}],
        "response_format": {"type": "json_schema",
                            "json_schema": {"name": "secret_shape", "schema": {}}},
        "cache": {"mode": "off"}}).encode())
    with anyio.fail_after(5):
        async with Recorder(path) as recorder:
            recorder.record(request, "default", "default", recorder.clock.now())

    assert "lookup_password" not in path.read_text()
    assert "secret_shape" not in path.read_text()
    (item,) = read_trace(path)
    replayed = build_request(item, 0, Synthesiser(), stream=None, output_tokens=8)
    # Tools decide which models may answer, a format too; `off` keeps it out of the cache.
    assert replayed.tools is not None and len(replayed.tools) == 2
    assert replayed.response_format is not None
    assert replayed.response_format.type == "json_schema"
    assert replayed.cache == request.cache
