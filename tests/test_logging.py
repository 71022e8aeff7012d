"""Logging as the `reactor` command sets it up: every line on stderr in one format."""

from __future__ import annotations

import contextlib
import json
import signal
import subprocess
import sys
from pathlib import Path

import anyio

from tests.conftest import FAST_MODELS
from tests.test_cli import child, listening
from tests.test_reload import Log

# What aiohttp and asyncio log goes through the standard library's logging, not structlog.
FOREIGN = """
import logging, sys
from reactor import _logging
_logging.configure(sys.argv[1], json=True)
try:
    1 / 0
except ZeroDivisionError:
    logging.getLogger("aiohttp.server").exception("Error handling request")
logging.getLogger("asyncio").warning("socket.send() raised exception.")
logging.getLogger("asyncio").info("said at info")
logging.getLogger("asyncio").debug("said at debug")
"""


def foreign(level: str) -> list[dict[str, object]]:
    result = subprocess.run([sys.executable, "-c", FOREIGN, level], capture_output=True,
                            text=True, timeout=60, check=True)
    return [json.loads(line) for line in result.stderr.splitlines()]


def test_log_json_covers_what_libraries_log_through_the_standard_library() -> None:
    lines = foreign("info")
    assert [line["event"] for line in lines] == [
        "Error handling request", "socket.send() raised exception.", "said at info"]
    assert lines[0]["level"] == "error" and lines[0]["logger"] == "aiohttp.server"
    assert "ZeroDivisionError" in str(lines[0]["exception"])
    assert all("timestamp" in line for line in lines)


def test_the_log_level_applies_to_library_logs_too() -> None:
    assert [line["event"] for line in foreign("error")] == ["Error handling request"]


async def test_a_malformed_request_is_logged_without_what_it_carried(tmp_path: Path) -> None:
    # aiohttp's parser quotes the offending bytes: an API key with a stray control
    # character, or one too long, would be written to the log (at error, with a
    # traceback, by any client that can connect).
    (tmp_path / "router.toml").write_text(FAST_MODELS)
    async with child("--log-json", "serve", "--port", "0", cwd=tmp_path) as process:
        with anyio.fail_after(60):
            url = await listening(process)
            log = Log(process)
            port = int(url.rsplit(":", 1)[1])
            for raw in (b"GET /healthz HTTP/1.1\r\nAuthorization: Bearer sk-SECRET-1\x01\r\n\r\n",
                        b"GET /healthz HTTP/1.1\r\nAuthorization: Bearer sk-SECRET-2"
                        + b"A" * 9000 + b"\r\n\r\n"):
                async with await anyio.connect_tcp("127.0.0.1", port) as connection:
                    await connection.send(raw)
                    answer = b""
                    with contextlib.suppress(anyio.EndOfStream, anyio.BrokenResourceError):
                        while True:
                            answer += await connection.receive()
                    assert answer.startswith(b"HTTP/1.0 400 ")
                bad = await log.until("bad_request")
                assert bad["level"] == "info" and bad["status"] == 400
            process.send_signal(signal.SIGTERM)
            assert await process.wait() == 0
            rest = b"".join([chunk async for chunk in log.lines.receive_stream])
    everything = b"".join(log.broken) + log.lines.buffer + rest
    assert b"sk-SECRET" not in everything
