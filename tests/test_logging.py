"""Logging as the `reactor` command sets it up: every line on stderr in one format."""

from __future__ import annotations

import json
import subprocess
import sys

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
