"""Child servers for the benchmarks: start a process that prints its URL once it is
listening, hand the URL over, and stop the process however the benchmark ends."""

from __future__ import annotations

import os
import subprocess
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import anyio.abc
import msgspec

STARTUP_S = 60.0


class Child(msgspec.Struct, kw_only=True):
    url: str
    pid: int


@asynccontextmanager
async def child(argv: list[str], log: Path | None = None,
                env: dict[str, str] | None = None) -> AsyncIterator[Child]:
    """A process whose first stdout line names its URL; stopped (shielded) on exit.

    Its stderr goes to `log` (or nowhere). Its environment is `env`, by default ours with
    one BLAS thread unless the caller set it: the children share a small machine with the
    load generator."""
    async with AsyncExitStack() as stack:
        stderr: Any = subprocess.DEVNULL
        if log is not None:
            stderr = (await stack.enter_async_context(await anyio.open_file(log, "wb"))).wrapped
        if env is None:
            env = {**os.environ,
                   "OPENBLAS_NUM_THREADS": os.environ.get("OPENBLAS_NUM_THREADS", "1")}
        process = await anyio.open_process(argv, stdout=subprocess.PIPE, stderr=stderr, env=env)
        try:
            url = await _listening_url(process, argv, log)
            yield Child(url=url, pid=process.pid)
        finally:
            with anyio.CancelScope(shield=True):
                await stop(process)


async def _listening_url(process: anyio.abc.Process, argv: list[str], log: Path | None) -> str:
    assert process.stdout is not None
    line = b""
    with anyio.fail_after(STARTUP_S):
        while b"\n" not in line:
            try:
                line += await process.stdout.receive()
            except anyio.EndOfStream:
                raise RuntimeError(f"{' '.join(argv[1:])} exited before listening"
                                   + (f"; see {log}" if log else "")) from None
    return next(word for word in line.decode().split() if word.startswith("http://")).rstrip("/")


async def stop(process: anyio.abc.Process) -> None:
    """SIGTERM, then SIGKILL after 10 s; always reaps the process."""
    process.terminate()
    with anyio.move_on_after(10):
        await process.wait()
    if process.returncode is None:
        process.kill()
        await process.wait()
    await process.aclose()
