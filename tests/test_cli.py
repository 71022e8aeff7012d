"""The `reactor` command, run as a user runs it: a real process."""

from __future__ import annotations

import gc
import json
import os
import signal
import socket
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path

import aiohttp
import anyio
import anyio.abc
import pytest

from reactor._cli import main
from tests.conftest import FAST_MODELS

REACTOR = [sys.executable, "-m", "reactor"]


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*REACTOR, *args], capture_output=True, text=True, timeout=60,
                          cwd=cwd)


@asynccontextmanager
async def child(*args: str, cwd: Path | None = None) -> AsyncIterator[anyio.abc.Process]:
    """`reactor *args` as a child process (unbuffered, so its lines come as written),
    killed on the way out if still running."""
    process = await anyio.open_process([*REACTOR, *args], cwd=cwd,
                                       env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        yield process
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
        await process.aclose()


def serving(cwd: Path, *args: str) -> AbstractAsyncContextManager[anyio.abc.Process]:
    """`reactor serve --port 0 *args` in `cwd` (`child`)."""
    return child("serve", "--port", "0", *args, cwd=cwd)


async def listening(process: anyio.abc.Process) -> str:
    """The URL from the server's first line, `listening on <url>`."""
    assert process.stdout is not None
    buffer = b""
    while b"\n" not in buffer:
        buffer += await process.stdout.receive()
    return buffer.split(b"listening on ", 1)[1].split()[0].decode()


def test_check_config_accepts_the_shipped_router_toml(repo_root: Path) -> None:
    result = run("check-config", str(repo_root / "router.toml"))
    assert result.returncode == 0, result.stderr
    assert "ok" in result.stdout


@pytest.mark.parametrize(
    ("text", "path"),
    [
        ('[[models]]\nname = "a"\nprice_in = "cheap"\nupstream = { kind = "simulated" }\n',
         "models[0].price_in"),
        ('[[models]]\nname = "a"\nupstream = { kind = "simulated", tokens = 3 }\n',
         "models[0].upstream.tokens"),
        ('[server]\nprot = 80\n[[models]]\nname = "a"\nupstream = { kind = "simulated" }\n',
         "server.prot"),
        ('[[models]]\nname = "a"\nfailover = ["b"]\nupstream = { kind = "simulated" }\n',
         "models[0].failover[0]"),
    ],
)
def test_broken_config_names_the_key_and_exits_2(tmp_path: Path, text: str, path: str) -> None:
    config = tmp_path / "router.toml"
    config.write_text(text)
    for command in (["check-config", str(config)], ["serve", "--config", str(config)]):
        result = run(*command)
        assert result.returncode == 2
        assert f"{path}:" in result.stderr


def test_missing_config_file_exits_2(tmp_path: Path) -> None:
    result = run("check-config", str(tmp_path / "absent.toml"))
    assert result.returncode == 2 and "absent.toml" in result.stderr


def test_route_prints_the_decision_and_the_answer(tmp_path: Path) -> None:
    (tmp_path / "router.toml").write_text(FAST_MODELS)
    result = run("route", "write a python function that adds two numbers", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "model: " in result.stdout and "reason: " in result.stdout
    assert "finish: stop" in result.stdout


async def test_sigterm_lets_an_in_flight_stream_finish(tmp_path: Path) -> None:
    slow = FAST_MODELS.replace(
        'upstream = { kind = "simulated", output_tokens = 20 }',
        'upstream = { kind = "simulated", output_tokens = 40, tokens_per_s = 100 }')
    (tmp_path / "router.toml").write_text(slow)
    async with serving(tmp_path) as process:
        with anyio.fail_after(30):
            url = await listening(process)
            body = {"model": "pro", "stream": True,
                    "messages": [{"role": "user", "content": "a long answer please"}]}
            events: list[str] = []
            async with aiohttp.ClientSession() as session, \
                    session.post(url + "/v1/chat/completions", json=body) as response:
                assert response.status == 200
                async for line in response.content:
                    text = line.decode().strip()
                    if not text.startswith("data: "):
                        continue
                    events.append(text[6:])
                    if len(events) == 3:
                        process.send_signal(signal.SIGTERM)
            assert await process.wait() == 0
    assert events[-1] == "[DONE]"
    chunks = [json.loads(e) for e in events[:-1]]
    text = "".join(c["choices"][0]["delta"].get("content", "") for c in chunks)
    assert len(text.split()) == 40
    assert chunks[-1]["choices"][0]["finish_reason"] == "stop"


async def test_serve_records_requests_without_prompts_by_default(tmp_path: Path) -> None:
    (tmp_path / "router.toml").write_text(FAST_MODELS)
    trace = tmp_path / "trace.jsonl"
    async with serving(tmp_path, "--record", str(trace)) as process:
        with anyio.fail_after(30):
            url = await listening(process)
            async with aiohttp.ClientSession() as session:
                for text in ("a secret prompt", "another secret"):
                    body = {"model": "nano", "messages": [{"role": "user", "content": text}]}
                    async with session.post(url + "/v1/chat/completions", json=body) as r:
                        assert r.status == 200
            process.send_signal(signal.SIGTERM)
            assert await process.wait() == 0
    lines = [json.loads(line) for line in trace.read_text().splitlines()]
    assert lines[0]["trace"] == "reactor" and len(lines) == 3
    assert "secret" not in trace.read_text()
    assert lines[1]["body"]["messages"][0]["tokens"] > 0


async def _worker_pids(url: str) -> set[int]:
    """The pids behind `url`, from fresh connections: each comes from a new port, which
    the kernel hashes to a worker, so both are seen long before 200 connections."""
    pids: set[int] = set()
    for _ in range(200):
        connector = aiohttp.TCPConnector(force_close=True)
        async with aiohttp.ClientSession(connector=connector) as session, \
                session.get(url + "/healthz") as response:
            pids.add((await response.json())["pid"])
        if len(pids) == 2:
            break
    return pids


async def test_two_workers_share_the_port_and_both_answer(tmp_path: Path) -> None:
    (tmp_path / "router.toml").write_text(FAST_MODELS)
    async with serving(tmp_path, "--workers", "2") as process:
        with anyio.fail_after(60):
            url = await listening(process)
            pids = await _worker_pids(url)
            assert len(pids) == 2 and process.pid not in pids
            body = {"model": "nano", "messages": [{"role": "user", "content": "hi"}]}
            async with aiohttp.ClientSession() as session, \
                    session.post(url + "/v1/chat/completions", json=body) as response:
                assert response.status == 200
            process.send_signal(signal.SIGTERM)
            assert await process.wait() == 0


async def test_a_worker_that_dies_stops_the_others_and_the_exit_says_so(
        tmp_path: Path) -> None:
    (tmp_path / "router.toml").write_text(FAST_MODELS)
    async with serving(tmp_path, "--workers", "2") as process:
        with anyio.fail_after(60):
            pids = await _worker_pids(await listening(process))
            assert len(pids) == 2
            victim, survivor = sorted(pids)
            os.kill(victim, signal.SIGKILL)
            assert await process.wait() == 128 + signal.SIGKILL
            with pytest.raises(ProcessLookupError):
                os.kill(survivor, 0)


@pytest.mark.parametrize("workers", [[], ["--workers", "2"]], ids=["one", "workers"])
def test_a_taken_port_is_one_line_and_exit_1(tmp_path: Path, workers: list[str]) -> None:
    (tmp_path / "router.toml").write_text(FAST_MODELS)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]

        result = run("serve", "--port", str(port), *workers, cwd=tmp_path)

    assert result.returncode == 1
    assert result.stderr.strip() == f"reactor: cannot bind 127.0.0.1:{port}: " \
        "Address already in use"


def test_serve_that_fails_before_listening_leaves_the_collector_on(tmp_path: Path) -> None:
    config = tmp_path / "router.toml"
    config.write_text('[server]\nprot = 80\n')
    with pytest.raises(SystemExit) as exit_:
        main(["serve", "--config", str(config)])
    assert exit_.value.code == 2
    assert gc.isenabled()


OPTIONAL = ("stages.upstreams.anthropic", "stages.upstreams.gemini")


def test_the_shipped_config_starts_without_importing_what_it_does_not_use(
        repo_root: Path) -> None:
    code = ("import sys\nfrom reactor import Router, load_config\n"
            f"Router(load_config({str(repo_root / 'router.toml')!r}))\n"
            f"print([name for name in {OPTIONAL!r} if name in sys.modules])")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=60, check=True)
    assert result.stdout.strip() == "[]"



BLAS_THREADS = """
import ctypes, pathlib, sys
from reactor._cli import one_blas_thread
told = one_blas_thread() if sys.argv[1] == "call" else None
maps = pathlib.Path("/proc/self/maps").read_text().splitlines()
library = sorted({line.split(maxsplit=5)[-1] for line in maps
                  if "openblas" in line.lower() and ".so" in line})[0]
print(told, ctypes.CDLL(library).scipy_openblas_get_num_threads64_())
"""


def blas_threads(how: str, setting: str | None) -> list[str]:
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
    if setting is not None:
        env["OPENBLAS_NUM_THREADS"] = setting
    return subprocess.run([sys.executable, "-c", BLAS_THREADS, how], env=env, check=True,
                          capture_output=True, text=True).stdout.split()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/maps")
def test_the_command_keeps_numpys_openblas_to_one_thread_unless_told_otherwise() -> None:
    # Importing reactor has loaded numpy before the command runs, too late for the
    # variable: the loaded library itself must be told. A user's own setting wins.
    assert blas_threads("call", None) == ["True", "1"]
    assert blas_threads("call", "2") == ["False", blas_threads("plain", "2")[1]]


async def test_workers_share_one_ledger_line_by_whole_line(tmp_path: Path) -> None:
    # Each worker appends its batches to the same file; every line must come out whole.
    # Long prompts (texts kept) make lines of ~4 KB, and fresh connections spread the
    # requests over both workers.
    ledger = tmp_path / "ledger.jsonl"
    (tmp_path / "router.toml").write_text(
        FAST_MODELS + f'\n[ledger]\npath = "{ledger}"\ntexts = true\nfsync = false\n')
    total, callers = 120, 12
    async with serving(tmp_path, "--workers", "2") as process:
        with anyio.fail_after(90):
            url = await listening(process)

            async def caller(first: int) -> None:
                for n in range(first, total, callers):
                    text = f"request {n} " + "lorem ipsum dolor " * 220
                    body = {"model": "nano", "messages": [{"role": "user", "content": text}]}
                    connector = aiohttp.TCPConnector(force_close=True)
                    async with aiohttp.ClientSession(connector=connector) as session, \
                            session.post(url + "/v1/chat/completions", json=body) as r:
                        assert r.status == 200

            async with anyio.create_task_group() as tg:
                for first in range(callers):
                    tg.start_soon(caller, first)
            process.send_signal(signal.SIGTERM)
            assert await process.wait() == 0
    lines = [json.loads(line) for line in ledger.read_bytes().splitlines()]
    assert sorted(int(line["prompt"].split()[1]) for line in lines) == list(range(total))
    assert len({line["id"] for line in lines}) == total
    assert len({line["id"][:8] for line in lines}) == 2  # both workers wrote


async def test_workers_do_not_outlive_a_parent_that_was_killed(tmp_path: Path) -> None:
    # SIGKILL (the OOM killer, a supervisor's last resort) gives the parent no chance
    # to stop its workers: left running, they would serve the port with no supervisor,
    # beside the next server started on it (SO_REUSEPORT lets it bind).
    (tmp_path / "router.toml").write_text(FAST_MODELS)
    pids: set[int] = set()
    async with serving(tmp_path, "--workers", "2") as process:
        try:
            with anyio.fail_after(60):
                pids = await _worker_pids(await listening(process))
                assert len(pids) == 2
                process.kill()
                await process.wait()
                # The workers share the parent's stderr: it ends once both have exited.
                assert process.stderr is not None
                async for _ in process.stderr:
                    pass
                pids.clear()
        finally:
            for pid in pids:  # only when they outlived it: the test has failed
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass


@pytest.mark.parametrize("port", ["70000", "-1"])
def test_a_port_out_of_range_is_refused_not_wrapped(tmp_path: Path, port: str) -> None:
    # 70000 would otherwise listen on 4464 (70000 - 65536), without a word.
    (tmp_path / "router.toml").write_text(FAST_MODELS)
    result = run("serve", "--port", port, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.splitlines()[-1] == \
        f"reactor serve: error: argument --port: {port} is not a port (0-65535)"


@pytest.mark.parametrize(("data", "out", "said"), [
    ("absent.jsonl", "q.json", "absent.jsonl: No such file or directory"),
    (".", "q.json", ".: Is a directory"),
    ("data.jsonl", ".", ": Is a directory"),
])
def test_train_without_its_files_says_so_in_one_line(tmp_path: Path, data: str, out: str,
                                                     said: str) -> None:
    (tmp_path / "router.toml").write_text(FAST_MODELS)
    (tmp_path / "data.jsonl").write_text(
        json.dumps({"prompt": "hi", "scores": {"nano": 0.5}}) + "\n")
    result = run("train", data, "--out", out, cwd=tmp_path)
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("reactor train: cannot ")
    assert lines[0].endswith(said)


def test_check_config_refuses_what_serve_would_refuse(tmp_path: Path) -> None:
    # Every model needs a key from an environment variable that is not set: serve could
    # never answer and refuses to start; check-config must say so before a deploy.
    config = tmp_path / "router.toml"
    config.write_text('[[models]]\nname = "a"\nupstream = { kind = "openai", base_url = '
                      '"https://api.openai.com/v1", api_key_env = "REACTOR_TEST_UNSET_KEY" }\n')
    env = {k: v for k, v in os.environ.items() if k != "REACTOR_TEST_UNSET_KEY"}
    said = {}
    for command in (["check-config", str(config)], ["serve", "--config", str(config)]):
        result = subprocess.run([*REACTOR, *command], capture_output=True, text=True,
                                timeout=60, env=env)
        assert result.returncode == 2
        said[command[0]] = result.stderr.strip()
    assert said["check-config"] == said["serve"] == (
        f"reactor: invalid configuration: {config}: models: no model can answer "
        "(a: environment variable REACTOR_TEST_UNSET_KEY is not set)")


def test_check_config_refuses_an_embedder_without_its_weights(tmp_path: Path) -> None:
    config = tmp_path / "router.toml"
    config.write_text(f'[analyzer]\nembed = true\n[analyzer.embedder]\nkind = "minilm"\n'
                      f'path = "{tmp_path}"\n' + FAST_MODELS)
    said = {}
    for command in (["check-config", str(config)], ["serve", "--config", str(config)]):
        result = run(*command)
        assert result.returncode == 2
        said[command[0]] = result.stderr.strip()
    assert said["check-config"] == said["serve"]
    assert said["serve"].startswith(f"reactor: invalid configuration: {config}: "
                                    f"analyzer.embedder: model files missing from {tmp_path}")


def test_workers_that_cannot_start_say_why_once_and_exit_2(tmp_path: Path) -> None:
    # Said by the parent, before any worker starts: not once per worker, and not hidden
    # behind the exit status of a worker stopped because another failed.
    config = tmp_path / "router.toml"
    config.write_text(FAST_MODELS + f'\n[ledger]\npath = "{tmp_path}/absent/ledger.jsonl"\n')
    result = run("serve", "--config", str(config), "--port", "0", "--workers", "3")
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        f"reactor: invalid configuration: {config}: ledger.path: cannot open "
        f"'{tmp_path}/absent/ledger.jsonl': directory '{tmp_path}/absent' does not exist"]


def test_workers_failing_as_they_start_exit_with_the_failure_not_143(tmp_path: Path) -> None:
    # Each worker finds the embedder's weights missing; the one seen failing first says
    # the exit status, not another stopped (SIGTERM, 143) because of it.
    config = tmp_path / "router.toml"
    config.write_text(f'[analyzer]\nembed = true\n[analyzer.embedder]\nkind = "minilm"\n'
                      f'path = "{tmp_path}"\n' + FAST_MODELS)
    result = run("serve", "--config", str(config), "--port", "0", "--workers", "3")
    assert result.returncode == 2
    assert "analyzer.embedder: model files missing" in result.stderr


def test_record_prompts_without_record_is_refused_not_ignored(tmp_path: Path) -> None:
    (tmp_path / "router.toml").write_text(FAST_MODELS)
    result = run("serve", "--port", "0", "--record-prompts", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip() == "reactor: --record-prompts takes --record FILE"
