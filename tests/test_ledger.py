"""The durable ledger: one JSON line for every request that reached the pipeline, on
disk once the router has stopped, none lost to a slow disk; and `reactor ledger`, which
sums a ledger up."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path
from typing import Any

import aiohttp
import anyio
import msgspec
import pytest
from prometheus_client import generate_latest
from structlog.testing import capture_logs

from reactor import ConfigError, FakeClock, RequestFailed, parse_config
from reactor._events import Failed
from reactor._lines import LineFile
from reactor._router import Router, gather
from reactor._server import Server
from stages.ledger import Entry, Only, render, summarize

MODELS = """
[runtime]
restart_backoff_s = 0.0

[cache]
max_temperature = 0.0

[[models]]
name = "nano"
price_in = 1.0
price_out = 2.0
upstream = {{ kind = "simulated", output_tokens = 8 }}

[[models]]
name = "broken"
price_in = 1.0
price_out = 2.0
upstream = {{ kind = "simulated", error_rate = 1.0 }}

[ledger]
path = "{path}"
{extra}
"""


def router(path: Path, extra: str = "", clock: FakeClock | None = None) -> Router:
    return Router(parse_config(MODELS.format(path=path, extra=extra)), clock=clock)


def ask(text: str, **fields: Any) -> dict[str, Any]:
    return {"messages": [{"role": "user", "content": text}], **fields}


def entries(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_bytes().splitlines()]


async def test_every_request_has_its_line_once_the_router_stops(tmp_path: Path) -> None:
    path = tmp_path / "ledger.jsonl"
    with anyio.fail_after(10):
        async with router(path) as r:
            answer = await r.complete(ask("what is a router", model="nano", temperature=0),
                                      tenant="acme", tier="gold")
            await r.complete(ask("what is a router", model="nano", temperature=0),
                             tenant="acme", tier="gold")  # the same again: a cache hit
            with pytest.raises(RequestFailed):
                await r.complete(ask("this one fails", model="broken"))

    ok, hit, failed = entries(path)
    assert ok["v"] == 1 and ok["id"] == answer.id.removeprefix("chatcmpl-")
    assert ok["config"] == hit["config"] == failed["config"] == r.config_digest
    assert (ok["tenant"], ok["tier"], ok["status"], ok["model"], ok["requested"]) == \
        ("acme", "gold", "ok", "nano", "nano")
    assert ok["cache"] == "miss" and ok["finish_reason"] == "stop"
    assert answer.usage is not None
    assert (ok["prompt_tokens"], ok["completion_tokens"]) == \
        (answer.usage.prompt_tokens, answer.usage.completion_tokens) == \
        (answer.usage.prompt_tokens, 8)
    assert ok["cost_usd"] == pytest.approx((answer.usage.prompt_tokens * 1.0 + 8 * 2.0) / 1e6)
    assert [t["model"] for t in ok["tries"]] == ["nano"] and ok["tries"][0]["status"] == "ok"
    assert ok["tries"][0]["tokens_out"] == 8
    assert "prompt" not in ok and "answer" not in ok  # texts are off by default

    assert hit["cache"] == "exact" and hit["status"] == "ok" and "tries" not in hit
    assert hit["saved_usd"] == pytest.approx(ok["cost_usd"])

    assert failed["status"] == "failed" and "model" not in failed  # none answered
    assert failed["error"]["status"] >= 500 and failed["error"]["message"]
    assert all(t["status"] == "failed" for t in failed["tries"]) and failed["tries"]


async def test_with_texts_the_prompt_and_the_answer_are_kept(tmp_path: Path) -> None:
    path = tmp_path / "ledger.jsonl"
    with anyio.fail_after(10):
        async with router(path, "texts = true") as r:
            answer = await r.complete(ask("say something", model="nano"))

    (line,) = entries(path)
    assert line["prompt"] == "say something"
    assert line["answer"] == answer.choices[0].message.content


async def test_with_texts_a_cache_hit_keeps_the_answer_it_served(tmp_path: Path) -> None:
    path = tmp_path / "ledger.jsonl"
    with anyio.fail_after(10):
        async with router(path, "texts = true") as r:
            first = await r.complete(ask("say it again", model="nano", temperature=0))
            await r.quiesce()
            again = await r.complete(ask("say it again", model="nano", temperature=0))
    assert again.router is not None and again.router.cache == "exact"
    assert [(line["cache"], line["answer"]) for line in entries(path)] == [
        ("miss", first.choices[0].message.content), ("exact", again.choices[0].message.content)]
    assert again.choices[0].message.content


async def test_requests_shed_at_the_door_have_their_lines_too(tmp_path: Path) -> None:
    # Sent faster than the first stage takes them (no await between), the requests past
    # its mailbox are refused at the door: each is still a request of the books.
    path = tmp_path / "ledger.jsonl"
    with anyio.fail_after(10):
        config = parse_config(MODELS.format(path=path, extra="").replace(
            "[runtime]\n", "[runtime]\nmailbox_size = 2\n"))
        async with Router(config) as r:
            flows = [r.submit(ask(f"q{i}", model="nano")) for i in range(8)]
            results = [await gather(flow) for flow in flows]
            shed = [result for result in results if isinstance(result, Failed)]
            assert shed and all(result.error.code == "overloaded" for result in shed)
            # The books' mailboxes are as small as the door's: those shed once they were
            # full too go unbooked, and are counted so.
            unbooked = r.stats()["shed_unbooked"]
            assert r.stats()["shed"] == len(shed) and unbooked < len(shed)
    lines = entries(path)
    assert len(lines) == 8 - unbooked
    refused = [line for line in lines if line["status"] == "rejected"]
    assert len(refused) == len(shed) - unbooked
    assert {line["error"]["code"] for line in refused} == {"overloaded"}


async def test_a_line_says_when_its_request_arrived_in_wall_clock_time(
        tmp_path: Path) -> None:
    path = tmp_path / "ledger.jsonl"
    clock = FakeClock(start=500.0, wall_offset=1_800_000_000.0)
    with anyio.fail_after(10):
        async with router(path, clock=clock) as r:
            arrived = clock.wall()
            await r.complete(ask("hi", model="nano"))

    (line,) = entries(path)
    assert line["at"] == pytest.approx(arrived, abs=1e-3)


async def test_a_slow_disk_slows_the_books_and_loses_no_line(tmp_path: Path) -> None:
    # A buffer of one byte holds one line at a time: every outcome waits for the one
    # before it to be written.
    path = tmp_path / "ledger.jsonl"
    with anyio.fail_after(20):
        async with router(path, "max_buffer_bytes = 1\nfsync = false") as r:
            async with anyio.create_task_group() as tg:
                for n in range(40):
                    tg.start_soon(r.complete, ask(f"question {n}", model="nano"))
            stats = r.stats()["ledger"]
        assert r.pipeline.ledger is not None
        assert r.pipeline.ledger.file.written == 40 and r.pipeline.ledger.file.lost == 0

    assert stats["lost"] == 0
    assert sorted(line["id"] for line in entries(path)) == sorted(
        {line["id"] for line in entries(path)})
    assert len(entries(path)) == 40


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
async def test_a_disk_that_refuses_costs_lines_counted_not_answers() -> None:
    with anyio.fail_after(10):
        async with Router(parse_config(MODELS.format(path="/dev/full", extra=""))) as r:
            for n in range(3):
                answer = await r.complete(ask(f"question {n}", model="nano"))
                assert answer.choices[0].message.content

    stats = r.stats()["ledger"]
    assert stats["written"] == 0 and stats["lost"] == 3 and "space" in stats["error"]
    metrics = generate_latest(r.pipeline.registry).decode()
    assert 'reactor_ledger_lines_total{result="lost"} 3.0' in metrics


async def test_a_ledger_that_cannot_be_opened_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"ledger\.path: cannot open"):
        async with router(tmp_path / "no" / "such" / "dir.jsonl"):
            pass


def test_serve_with_a_ledger_it_cannot_open_says_so_and_exits_2(tmp_path: Path) -> None:
    config = tmp_path / "router.toml"
    config.write_text(MODELS.format(path=tmp_path / "missing" / "l.jsonl", extra=""))
    done = subprocess.run([sys.executable, "-m", "reactor", "serve", "--config", str(config),
                           "--port", "0"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "ledger.path: cannot open" in done.stderr


async def test_a_callers_request_id_is_echoed_and_kept_beside_reactors(
        tmp_path: Path) -> None:
    path = tmp_path / "ledger.jsonl"
    body = ask("hi", model="nano")
    with anyio.fail_after(10):
        async with router(path) as r, Server(r) as server, \
                aiohttp.ClientSession() as session:
            url = server.url + "/v1/chat/completions"
            answers = []
            for client_id, stream in (("trace-7f3a", False), ("trace-7f3b", True),
                                      ("not valid", False), (None, False)):
                headers = {"x-request-id": client_id} if client_id is not None else {}
                async with session.post(url, json={**body, "stream": stream},
                                        headers=headers) as got:
                    await got.read()
                    answers.append((got.headers.get("x-request-id"),
                                    got.headers["x-reactor-request-id"]))
            async with session.post(url, json={"messages": []},
                                    headers={"x-request-id": "trace-bad"}) as got:
                refused = (got.status, got.headers.get("x-request-id"))

    assert [echoed for echoed, _ in answers] == ["trace-7f3a", "trace-7f3b", None, None]
    assert refused == (400, "trace-bad")
    kept = {line["id"]: line.get("client_id") for line in entries(path)}
    assert [kept[ours] for _, ours in answers] == ["trace-7f3a", "trace-7f3b", None, None]


# The file underneath: a batch the disk refuses is lost, the next one tried


class FailingOnce(LineFile):
    """A file whose first write fails midway, as a full disk would."""

    def __init__(self, path: Path) -> None:
        super().__init__(path, keep_trying=True)
        self.failures = 1
        self.flushed = anyio.Event()

    def _write(self, batch: bytes) -> None:
        if self.failures:
            self.failures -= 1
            assert self._file is not None
            self._file.write(batch[: len(batch) // 2])  # a torn line, then the error
            raise OSError(28, "No space left on device")
        super()._write(batch)

    async def _flush(self, batch: bytes, counted: int) -> None:
        await super()._flush(batch, counted)
        if batch:
            self.flushed.set()


async def test_after_a_refused_batch_the_next_is_written_on_a_line_of_its_own(
        tmp_path: Path) -> None:
    path = tmp_path / "lines.jsonl"
    with anyio.fail_after(5), capture_logs() as logs:
        async with FailingOnce(path) as out:
            assert out.add(b'{"n": 1}\n')
            await out.flushed.wait()
            assert (out.written, out.lost) == (0, 1)
            assert out.add(b'{"n": 2}\n')
    assert (out.written, out.lost) == (1, 1)
    assert [entry["event"] for entry in logs] == ["file_write_failed", "file_write_recovered"]
    assert isinstance(out.failed, OSError)
    torn, whole = path.read_bytes().splitlines()
    assert torn == b'{"n"' and json.loads(whole) == {"n": 2}


class Watched(LineFile):
    """A file whose batches can be waited for."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.flushed = anyio.Event()

    async def _flush(self, batch: bytes, counted: int) -> None:
        await super()._flush(batch, counted)
        if batch:
            self.flushed.set()


async def test_a_reopened_file_goes_on_in_the_file_now_at_its_path(tmp_path: Path) -> None:
    path, rotated = tmp_path / "lines.jsonl", tmp_path / "lines.jsonl.1"
    with anyio.fail_after(5):
        async with Watched(path) as out:
            out.add(b"before\n")
            await out.flushed.wait()
            path.rename(rotated)  # what logrotate does, before it sends SIGHUP
            out.reopen()
            out.add(b"after\n")
    assert rotated.read_bytes() == b"before\n"
    assert path.read_bytes() == b"after\n" and out.written == 2


@pytest.mark.parametrize("signum", [signal.SIGUSR1, signal.SIGHUP], ids=["usr1", "hup"])
def test_serve_reopens_its_ledger_on_sigusr1_or_a_reload(tmp_path: Path,
                                                         signum: signal.Signals) -> None:
    ledger, rotated = tmp_path / "ledger.jsonl", tmp_path / "ledger.jsonl.1"
    config = tmp_path / "router.toml"
    config.write_text(MODELS.format(path=ledger, extra="fsync = false"))
    with subprocess.Popen(
            [sys.executable, "-m", "reactor", "--log-json", "serve", "--config", str(config),
             "--port", "0"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    ) as server:
        try:
            assert server.stdout is not None and server.stderr is not None
            url = server.stdout.readline().split("listening on ", 1)[1].strip()

            def ask_over_http(text: str) -> None:
                body = json.dumps(ask(text, model="nano")).encode()
                with urllib.request.urlopen(url + "/v1/chat/completions", body,
                                            timeout=30) as got:
                    assert got.status == 200

            def wait_in_log(event: str) -> None:
                for line in server.stderr:  # type: ignore[union-attr]
                    if f'"event": "{event}"' in line or f'"event":"{event}"' in line:
                        return
                raise AssertionError(f"the server exited before logging {event}")

            ask_over_http("first")
            ledger.rename(rotated)
            server.send_signal(signum)
            wait_in_log("reopening_files")
            ask_over_http("second")
            server.send_signal(signal.SIGTERM)
            assert server.wait(timeout=60) == 0
        finally:
            if server.poll() is None:
                server.kill()
    assert len(entries(rotated)) == 1 and len(entries(ledger)) == 1


async def test_a_file_a_crash_left_midway_through_a_line_goes_on_on_a_new_one(
        tmp_path: Path) -> None:
    # A process killed mid-write leaves a line with no newline; the next run's first
    # line must not be glued to it.
    path = tmp_path / "lines.jsonl"
    path.write_bytes(b'{"whole": 1}\n{"cut sh')
    with anyio.fail_after(5):
        async with LineFile(path) as out:
            await out.put(b'{"next": 2}\n')
        async with LineFile(path) as out:  # a file that ends well gets no blank line
            await out.put(b'{"then": 3}\n')
    assert path.read_bytes().splitlines() == [
        b'{"whole": 1}', b'{"cut sh', b'{"next": 2}', b'{"then": 3}']


async def test_a_line_longer_than_the_buffer_is_still_taken_alone(tmp_path: Path) -> None:
    path = tmp_path / "lines.jsonl"
    with anyio.fail_after(5):
        async with LineFile(path, max_buffer_bytes=4) as out:
            await out.put(b"0123456789\n")
            await out.put(b"abcdefghij\n")
    assert path.read_bytes() == b"0123456789\nabcdefghij\n" and out.written == 2


# Summing up


def line(**fields: Any) -> bytes:
    base: dict[str, Any] = {"v": 1, "at": 1_800_000_000.0, "id": "x", "tenant": "t",
                            "tier": "default", "status": "ok", "model": "a",
                            "requested": "auto", "cache": "miss"}
    return msgspec.json.encode(msgspec.convert({**base, **fields}, Entry))


def test_a_summary_books_each_model_its_share_and_skips_unreadable_lines() -> None:
    lines = [
        line(prompt_tokens=10, completion_tokens=5, cost_usd=0.5, latency_ms=100.0,
             ttft_ms=20.0),
        # A stream that moved from a to b, after a try on c was thrown away.
        line(model="b", tenant="u", prompt_tokens=30, completion_tokens=9, cost_usd=1.5,
             latency_ms=300.0,
             parts=[{"model": "a", "prompt_tokens": 10, "completion_tokens": 4,
                     "cost_usd": 0.5},
                    {"model": "b", "prompt_tokens": 20, "completion_tokens": 5,
                     "cost_usd": 1.0, "estimated": True}],
             discarded=[{"model": "c", "prompt_tokens": 10, "completion_tokens": 2,
                         "cost_usd": 0.25}]),
        line(cache="exact", prompt_tokens=10, completion_tokens=5, saved_usd=0.5,
             latency_ms=1.0),
        line(status="rejected", model=None, latency_ms=0.0,
             error={"status": 429, "code": "rate_limited", "message": "slow down"}),
        b'{"v":1,"at":1800000000.0,"id":"torn',
        b"",
    ]
    summary = summarize(lines)

    assert summary.requests == 4 and summary.unreadable == 1
    assert summary.statuses == {"ok": 3, "rejected": 1}
    assert summary.cache == {"miss": 3, "exact": 1}
    assert summary.cost_usd == pytest.approx(0.5 + 1.5 + 0.25)
    assert summary.estimated_usd == pytest.approx(1.0)
    assert summary.saved_usd == pytest.approx(0.5)
    a, b, c = (summary.by_model[m] for m in "abc")
    # The hit is a request of a with no tokens; c's try was thrown away: no request.
    assert (a.requests, a.prompt_tokens, a.completion_tokens) == (3, 10 + 10, 5 + 4)
    assert (b.requests, b.prompt_tokens, c.requests, c.prompt_tokens) == (1, 20, 0, 10)
    assert [a.cost_usd, b.cost_usd, c.cost_usd] == pytest.approx([1.0, 1.0, 0.25])
    assert summary.by_tenant["u"].cost_usd == pytest.approx(1.75)
    assert summary.by_tenant["t"].failed == 1
    assert summary.latency_ms["p50"] == 100.0  # the rejected request has no latency
    assert summary.ttft_ms == {"p50": 20.0, "p90": 20.0, "p99": 20.0}

    text = render(summary, "ledger.jsonl")
    assert text.startswith("ledger.jsonl: 4 requests, 2027-01-15 08:00:00 to ")
    assert "(1 unreadable lines: 5)" in text and "status: ok 3  rejected 1" in text


def test_a_summary_can_be_narrowed_to_a_time_a_tenant_or_a_model() -> None:
    lines = [line(at=1_800_000_000.0, tenant="t", model="a", cost_usd=1.0),
             line(at=1_800_000_100.0, tenant="u", model="b", cost_usd=2.0),
             line(at=1_800_000_200.0, tenant="t", model="b", cost_usd=4.0,
                  parts=[{"model": "a", "prompt_tokens": 1, "completion_tokens": 1,
                          "cost_usd": 1.0},
                         {"model": "b", "prompt_tokens": 1, "completion_tokens": 1,
                          "cost_usd": 3.0}])]

    def cost(only: Only) -> float:
        return summarize(lines, only).cost_usd

    assert cost(Only()) == 7.0
    assert cost(Only(since=1_800_000_100.0)) == 6.0
    assert cost(Only(until=1_800_000_100.0)) == 1.0
    assert cost(Only(tenant="t")) == 5.0
    assert cost(Only(model="a")) == 5.0  # it answered one and wrote a share of another
    assert cost(Only(tenant="u", model="a")) == 0.0


def test_reactor_ledger_prints_the_summary_and_json(tmp_path: Path) -> None:
    path = tmp_path / "ledger.jsonl"
    path.write_bytes(line(cost_usd=0.25, latency_ms=5.0) + b"\n" +
                     line(model="b", cost_usd=0.5, latency_ms=7.0) + b"\n")
    text = subprocess.run([sys.executable, "-m", "reactor", "ledger", str(path)],
                          capture_output=True, text=True, timeout=60, check=True).stdout
    assert "2 requests" in text and "cost $0.750000" in text
    as_json = subprocess.run([sys.executable, "-m", "reactor", "ledger", str(path), "--json"],
                             capture_output=True, text=True, timeout=60, check=True).stdout
    assert json.loads(as_json)["by_model"]["b"]["cost_usd"] == 0.5

    narrowed = subprocess.run([sys.executable, "-m", "reactor", "ledger", str(path), "--json",
                               "--model", "b", "--since", "2027-01-15"],
                              capture_output=True, text=True, timeout=60, check=True).stdout
    assert json.loads(narrowed)["requests"] == 1
    bad = subprocess.run([sys.executable, "-m", "reactor", "ledger", str(path), "--since",
                          "yesterday"], capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and "ISO 8601" in bad.stderr

    missing = subprocess.run([sys.executable, "-m", "reactor", "ledger",
                              str(tmp_path / "none.jsonl")], capture_output=True, text=True,
                             timeout=60)
    assert missing.returncode == 1 and "cannot read" in missing.stderr


async def test_leaving_on_an_exception_still_writes_every_settled_request(
        tmp_path: Path) -> None:
    # A buffer of one byte keeps the ledger behind the answers, so when the caller's
    # code raises, most outcomes are still in the ledger's mailbox: they must be written,
    # not cancelled with the pipeline.
    path = tmp_path / "ledger.jsonl"

    class Boom(Exception):
        pass

    with anyio.fail_after(20), pytest.raises(Boom):
        async with router(path, "max_buffer_bytes = 1\nfsync = false") as r:
            async with anyio.create_task_group() as tg:
                for n in range(40):
                    tg.start_soon(r.complete, ask(f"question {n}", model="nano"))
            raise Boom
    assert r.pipeline.ledger is not None and r.pipeline.ledger.file.lost == 0
    assert len({line["id"] for line in entries(path)}) == len(entries(path)) == 40


async def test_a_cancelled_router_still_writes_every_settled_request(tmp_path: Path) -> None:
    path = tmp_path / "ledger.jsonl"
    with anyio.fail_after(20):
        with anyio.CancelScope() as scope:
            async with router(path, "max_buffer_bytes = 1\nfsync = false") as r:
                async with anyio.create_task_group() as tg:
                    for n in range(40):
                        tg.start_soon(r.complete, ask(f"question {n}", model="nano"))
                scope.cancel()
                await anyio.sleep_forever()
    assert scope.cancelled_caught
    assert len(entries(path)) == 40


def test_a_summary_counts_each_configuration_and_can_be_narrowed_to_one(
        tmp_path: Path) -> None:
    # A reload in the span: requests handled under two configurations.
    lines = [line(config="aaaa1111", cost_usd=1.0), line(config="aaaa1111", cost_usd=1.0),
             line(config="bbbb2222", cost_usd=4.0), line(cost_usd=8.0)]  # before digests
    summary = summarize(lines)
    assert summary.configs == {"aaaa1111": 2, "bbbb2222": 1}
    assert "configs: aaaa1111 2  bbbb2222 1" in render(summary, "ledger")
    assert summarize(lines, Only(config="bbbb")).cost_usd == 4.0
    assert "configs:" not in render(summarize(lines, Only(config="aaaa")), "ledger")

    path = tmp_path / "ledger.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    result = subprocess.run([sys.executable, "-m", "reactor", "ledger", str(path), "--json",
                             "--config", "aaaa"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["cost_usd"] == 2.0


def test_a_line_torn_by_a_crash_does_not_take_the_next_runs_first_line_with_it(
        tmp_path: Path) -> None:
    # A process killed mid-write leaves a line without its newline; the next run appends
    # right after it. The whole line glued to the torn one is still a request.
    path = tmp_path / "ledger.jsonl"
    path.write_bytes(line(id="a", cost_usd=1.0) + b"\n" + line(id="b", cost_usd=2.0)[:40]
                     + line(id="c", cost_usd=4.0) + b"\n" + b"\xff\xfe not json\n"
                     + line(id="d", cost_usd=8.0) + b"\n")
    summary = summarize(path.read_bytes().splitlines(keepends=True))

    assert summary.requests == 3 and summary.cost_usd == 13.0
    assert summary.unreadable == 2
    assert summary.unreadable_lines == [2, 3]  # named, for a person to look at
    text = render(summary, "ledger.jsonl")
    assert "(2 unreadable lines: 2, 3)" in text


def test_a_summarys_percentiles_are_nearest_rank_not_the_maximum() -> None:
    # Of ten latencies, p90 is the ninth: the slowest is above it, not it.
    summary = summarize([line(latency_ms=float(ms)) for ms in range(1, 11)])
    assert summary.latency_ms == {"p50": 5.0, "p90": 9.0, "p99": 10.0}
    assert summarize([line(latency_ms=1.0), line(latency_ms=2.0)]).latency_ms["p50"] == 1.0


async def test_a_tenant_or_id_that_is_not_unicode_still_gets_its_line(tmp_path: Path) -> None:
    # An embedding program may pass any str (os.fsdecode of a byte name gives lone
    # surrogates, which UTF-8 cannot hold): the line is written with them escaped
    # rather than the ledger crashing and the request going unrecorded.
    path = tmp_path / "ledger.jsonl"
    with anyio.fail_after(10):
        async with router(path) as r:
            await gather(r.submit(ask("hi", model="nano"), tenant="caf\udce9",
                                  client_id="id-\udcff"))
            await r.complete(ask("hello", model="nano"), tenant="plain")
        assert r.stats()["mailboxes"]["ledger"]["restarts"] == 0

    odd, plain = entries(path)
    assert (odd["tenant"], odd["client_id"]) == ("caf\\udce9", "id-\\udcff")
    assert plain["tenant"] == "plain"


def test_a_json_summary_gives_each_models_percentiles_not_every_latency() -> None:
    # A ledger of millions of lines must not print millions of numbers with --json.
    summary = summarize([line(latency_ms=float(ms)) for ms in range(1, 101)])
    row = msgspec.to_builtins(summary)["by_model"]["a"]

    assert row["latency_ms"] == {"p50": 50.0, "p90": 90.0, "p99": 99.0}
    assert not any(isinstance(value, list) for value in row.values())
    assert "      50.0      99.0" in render(summary, "ledger.jsonl")
