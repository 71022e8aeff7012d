"""`reactor serve` stopping: SIGTERM drains within `server.drain_timeout_s`, signals that
come during the drain do what they say, and a stream still running when the drain ends
is cut with an error event, never silently. Real processes, real sockets."""

from __future__ import annotations

import json
import os
import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import aiohttp
import anyio
import anyio.abc
import pytest

from tests.conftest import FAST_MODELS
from tests.test_cli import child, listening
from tests.test_reload import Log

SLOW = """
[server]
drain_timeout_s = {drain}

[runtime]
restart_backoff_s = 0.0

[[models]]
name = "slow"
price_in = 0.1
price_out = 0.4
upstream = {{ kind = "simulated", output_tokens = 400, tokens_per_s = 20 }}
"""

STREAM = {"model": "slow", "stream": True,
          "messages": [{"role": "user", "content": "a long answer please"}]}


@asynccontextmanager
async def serving(tmp_path: Path, drain: float) -> AsyncIterator[anyio.abc.Process]:
    config = tmp_path / "router.toml"
    config.write_text(SLOW.format(drain=drain))
    async with child("--log-json", "serve", "--config", str(config), "--port", "0") as process:
        yield process


async def events_after(stream: aiohttp.ClientResponse) -> list[str]:
    """The rest of an SSE stream's `data:` events; a truncated body raises."""
    rest = (await stream.content.read()).decode()
    return [line[len("data: "):] for line in rest.splitlines() if line.startswith("data: ")]


async def test_signals_during_a_drain_reopen_files_and_a_second_stop_cuts_it_short(
        tmp_path: Path) -> None:
    async with serving(tmp_path, drain=600) as process:
        with anyio.fail_after(60):
            url = await listening(process)
            log = Log(process)
            async with aiohttp.ClientSession() as session, \
                    session.post(url + "/v1/chat/completions", json=STREAM) as stream:
                assert (await stream.content.readline()).startswith(b"data: ")
                process.send_signal(signal.SIGTERM)
                await log.until("shutting_down")
                async with session.get(url + "/readyz") as ready:
                    assert ready.status == 503
                # New requests are refused, and their connections closed: a keep-alive
                # client goes to another server rather than come back to this one.
                async with session.post(url + "/v1/chat/completions",
                                        json={**STREAM, "stream": False}) as refused:
                    assert refused.status == 503
                    assert refused.headers["Retry-After"] == "1"
                    assert refused.headers["Connection"] == "close"
                # A log rotation during the drain: the files are reopened, nothing dies.
                process.send_signal(signal.SIGUSR1)
                await log.until("reopening_files")
                process.send_signal(signal.SIGHUP)
                await log.until("reopening_files")
                # A second stop signal ends the wait: the stream is told, not cut short.
                process.send_signal(signal.SIGTERM)
                await log.until("drain_cut_short")
                events = await events_after(stream)
            assert events[-1] != "[DONE]"
            assert "error" in json.loads(events[-1])
            assert await process.wait() == 0


async def test_a_drain_that_runs_out_ends_the_stream_with_an_error_and_waits_once(
        tmp_path: Path) -> None:
    async with serving(tmp_path, drain=0.5) as process:
        with anyio.fail_after(60):
            url = await listening(process)
            log = Log(process)
            async with aiohttp.ClientSession() as session, \
                    session.post(url + "/v1/chat/completions", json=STREAM) as stream:
                assert (await stream.content.readline()).startswith(b"data: ")
                process.send_signal(signal.SIGTERM)
                drained = await log.until("drained")
                assert drained["complete"] is False
                events = await events_after(stream)
            assert "error" in json.loads(events[-1])
            assert await process.wait() == 0
            assert process.stderr is not None
            rest = b"".join([chunk async for chunk in log.lines.receive_stream])
    # The drain is waited for once: the router does not wait the timeout out again.
    later = [json.loads(line)["event"] for line in (log.lines.buffer + rest).splitlines()]
    assert "drain_timed_out" not in later


def _feed(path: Path, text: str) -> None:
    with open(path, "w") as fifo:  # returns once the server opens it to read
        fifo.write(text)


@pytest.mark.parametrize("workers", [[], ["--workers", "2"]], ids=["one", "workers"])
async def test_sighup_and_sigusr1_while_starting_wait_for_the_server_to_listen(
        tmp_path: Path, workers: list[str]) -> None:
    # The configuration is handed over through a pipe: once the server has read it, it
    # is starting (building its router, its workers importing) and not yet listening.
    # A reload or a log rotation asked for then must not kill it (their default action).
    config = tmp_path / "router.toml"
    os.mkfifo(config)
    async with child(
            "--log-json", "serve", "--config", str(config), "--port", "0", *workers) as process:
        with anyio.fail_after(60):
            await anyio.to_thread.run_sync(_feed, config, FAST_MODELS, abandon_on_cancel=True)
            regular = tmp_path / "router.toml.new"
            regular.write_text(FAST_MODELS)
            regular.replace(config)  # what the workers and the reload read
            process.send_signal(signal.SIGHUP)
            process.send_signal(signal.SIGUSR1)
            url = await listening(process)
            log = Log(process)
            for _ in range(len(workers) or 1):  # each worker, once it listens
                await log.until("reload_unchanged")
            async with aiohttp.ClientSession() as session, \
                    session.get(url + "/readyz") as ready:
                assert ready.status == 200
            process.send_signal(signal.SIGTERM)
            assert await process.wait() == 0


BIG = """
[server]
drain_timeout_s = 0.5

[[models]]
name = "big"
price_in = 0.1
price_out = 0.4
upstream = { kind = "simulated", output_tokens = 400000, tokens_per_s = 1000000 }
"""


async def test_a_client_that_stopped_reading_does_not_hold_the_shutdown(
        tmp_path: Path) -> None:
    # Its stream cannot be written (the socket's buffers are full) nor ended: once the
    # drain has run out, the server closes it rather than wait for aiohttp's 60 s.
    config = tmp_path / "router.toml"
    config.write_text(BIG)
    async with child("serve", "--config", str(config), "--port", "0") as process:
        with anyio.fail_after(60):
            port = int((await listening(process)).rsplit(":", 1)[1])
            body = json.dumps({**STREAM, "model": "big"}).encode()
            connection = await anyio.connect_tcp("127.0.0.1", port)
        async with connection:
            await connection.send(b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n"
                                  b"Content-Type: application/json\r\n"
                                  b"Content-Length: %d\r\n\r\n" % len(body) + body)
            assert (await connection.receive()).startswith(b"HTTP/1.1 200 ")
            process.send_signal(signal.SIGTERM)  # and read no more
            with anyio.fail_after(30):  # a hang guard: it takes about a second
                assert await process.wait() == 0
