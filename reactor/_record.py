"""Recording traffic: one JSON line per request, written off the event loop.

    async with Recorder("trace.jsonl", prompts=False, clock=router.clock) as recorder:
        recorder.record(request, tenant, tier, router.clock.now())

`record` never waits and never touches the disk: it encodes the line and appends it to
a buffer that a writer task hands, in batches, to a worker thread. The buffer, the batch
being written included, is bounded by `max_buffer_bytes`; a line that does not fit is
dropped and counted (`dropped`), so a slow disk costs lines, not memory or latency. A
file that cannot be written ends the recording (later lines are dropped and counted),
not the server. Closing writes what is buffered. Lines reach the OS page cache, not
necessarily the platter: a crashed process loses nothing written, a crashed machine may.

Each recording appends a header line, then one line per request:

    {"trace":"reactor","version":1,"started_at":1731781546.68,"prompts":false}
    {"arrival_s":0.0132,"tenant":"default","tier":"default","body":{...}}

`arrival_s` counts from the header. With `prompts=True` the body is the request as
decoded; otherwise each message is `{"role": ..., "tokens": N}` with N estimated as
ceil(len(text) / 4), and only the fields that shape load are kept (model, stream,
max_tokens, max_completion_tokens, temperature, mode).
"""

from __future__ import annotations

import math
import types
from io import FileIO
from pathlib import Path
from typing import Final, Literal, Self

import anyio
import anyio.to_thread
import msgspec
import structlog
from anyio.abc import TaskGroup

from reactor._clock import Clock, SystemClock
from reactor._wire import ChatRequest

log = structlog.get_logger("reactor.record")

CHARS_PER_TOKEN: Final = 4
CLOSE_TIMEOUT_S: Final = 10.0


class RecordingStarted(msgspec.Struct, frozen=True, kw_only=True):
    """The header line: one per recording session appended to the file."""

    trace: Literal["reactor"] = "reactor"
    version: int = 1
    started_at: float
    prompts: bool


class MessageSize(msgspec.Struct, frozen=True, kw_only=True):
    role: str
    tokens: int


class RequestShape(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """A request without its text: what it costs and how it is served."""

    messages: list[MessageSize]
    model: str = "auto"
    stream: bool = False
    max_tokens: int | None = None
    max_completion_tokens: int | None = None
    temperature: float | None = None
    mode: Literal["fast", "balanced", "accurate"] | None = None


class RecordedRequest(msgspec.Struct, frozen=True, kw_only=True):
    arrival_s: float
    tenant: str
    tier: str
    body: ChatRequest | RequestShape


def estimate_tokens(text: str) -> int:
    return math.ceil(len(text) / CHARS_PER_TOKEN)


def shape_of(request: ChatRequest) -> RequestShape:
    return RequestShape(
        messages=[MessageSize(role=m.role, tokens=estimate_tokens(m.text))
                  for m in request.messages],
        model=request.model, stream=request.stream, max_tokens=request.max_tokens,
        max_completion_tokens=request.max_completion_tokens,
        temperature=request.temperature, mode=request.mode)


class Recorder:
    """Appends requests to a JSONL trace; use as an async context manager."""

    def __init__(self, path: str | Path, *, prompts: bool = False, clock: Clock | None = None,
                 max_buffer_bytes: int = 8 * 1024 * 1024) -> None:
        if max_buffer_bytes < 1:
            raise ValueError("max_buffer_bytes must be at least 1")
        self.path = Path(path)
        self.prompts = prompts
        self.clock: Clock = clock or SystemClock()
        self.max_buffer_bytes = max_buffer_bytes
        self.recorded = 0
        """Request lines written to the file."""
        self.dropped = 0
        """Request lines lost: the buffer was full, or the file could not be written."""
        self.failed: OSError | None = None
        self._encode = msgspec.json.Encoder().encode
        self._lines: list[bytes] = []
        self._requests = 0  # request lines among `_lines` (the header is not one)
        self._held = 0  # bytes buffered plus bytes being written
        self._wake: anyio.Event | None = None
        self._closing = False
        self._started = 0.0
        self._file: FileIO | None = None
        self._tg: TaskGroup | None = None

    async def __aenter__(self) -> Self:
        if self._tg is not None:
            raise RuntimeError("the recorder is already open")
        self._file = await anyio.to_thread.run_sync(self._open)
        self._started = self.clock.now()
        self._closing = False
        header = self._encode(RecordingStarted(started_at=round(self.clock.wall(), 3),
                                               prompts=self.prompts)) + b"\n"
        self._lines.append(header)
        self._held += len(header)
        self._wake = anyio.Event()
        self._wake.set()
        tg = anyio.create_task_group()
        await tg.__aenter__()
        tg.start_soon(self._write_batches)
        self._tg = tg
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None,
                        exc: BaseException | None, tb: types.TracebackType | None) -> None:
        tg, self._tg = self._tg, None
        if tg is None:
            return
        self._closing = True
        assert self._wake is not None
        self._wake.set()
        try:
            await tg.__aexit__(None, None, None)
        finally:
            # Whatever the writer left (it was cancelled, or lines came after its last
            # batch) is written now, even if our caller is being cancelled.
            with anyio.CancelScope(shield=True), anyio.move_on_after(CLOSE_TIMEOUT_S):
                await self._flush(*self._take())
                await anyio.to_thread.run_sync(self._close)
            if self.dropped:
                log.warning("recording_dropped_lines", path=str(self.path),
                            dropped=self.dropped, recorded=self.recorded)

    def record(self, request: ChatRequest, tenant: str, tier: str, now: float) -> None:
        """Queue one request for the file; never waits. `now` is `clock.now()`."""
        if self._tg is None:
            raise RuntimeError("use `async with recorder:` before recording")
        body = request if self.prompts else shape_of(request)
        line = self._encode(RecordedRequest(arrival_s=round(now - self._started, 6),
                                            tenant=tenant, tier=tier, body=body)) + b"\n"
        if self.failed is not None or self._held + len(line) > self.max_buffer_bytes:
            self.dropped += 1
            return
        self._lines.append(line)
        self._requests += 1
        self._held += len(line)
        assert self._wake is not None
        self._wake.set()

    def _take(self) -> tuple[bytes, int]:
        batch, requests = b"".join(self._lines), self._requests
        self._lines, self._requests = [], 0
        return batch, requests

    async def _write_batches(self) -> None:
        while True:
            assert self._wake is not None
            await self._wake.wait()
            self._wake = anyio.Event()
            batch, requests = self._take()
            try:
                await self._flush(batch, requests)
            finally:
                self._held -= len(batch)
            if self._closing and not self._lines:
                return

    async def _flush(self, batch: bytes, requests: int) -> None:
        if not batch:
            return
        if self.failed is not None:
            self.dropped += requests
            return
        try:
            await anyio.to_thread.run_sync(self._write, batch)
        except OSError as exc:
            self.failed = exc
            self.dropped += requests
            log.error("recording_failed", path=str(self.path), error=str(exc))
            return
        self.recorded += requests

    # on the worker thread

    def _open(self) -> FileIO:
        # Unbuffered: batches are already whole, and a failed write must not linger in
        # a buffer that close() would try (and fail) to flush again.
        return FileIO(self.path, "ab")

    def _write(self, batch: bytes) -> None:
        assert self._file is not None
        view = memoryview(batch)
        while view:
            view = view[self._file.write(view):]

    def _close(self) -> None:
        file, self._file = self._file, None
        if file is not None:
            file.close()
