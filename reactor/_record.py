"""Recording traffic: one JSON line per request, written off the event loop.

    async with Recorder("trace.jsonl", prompts=False, clock=router.clock) as recorder:
        recorder.record(request, tenant, tier, router.clock.now())

`record` never waits and never touches the disk: it encodes the line and hands it to a
`LineFile`, which writes in batches on a worker thread. Its buffer is bounded by
`max_buffer_bytes`; a line that does not fit is dropped and counted (`dropped`), so a
slow disk costs lines, not memory or latency. A file that cannot be written ends the
recording (later lines are dropped and counted), not the server. Closing writes what is
buffered. Lines reach the OS page cache, not necessarily the platter: a crashed process
loses nothing written, a crashed machine may.

Each recording appends a header line, then one line per request:

    {"trace":"reactor","version":1,"started_at":1731781546.68,"prompts":false}
    {"arrival_s":0.0132,"tenant":"default","tier":"default","body":{...}}

`arrival_s` counts from the header. With `prompts=True` the body is the request as
decoded; otherwise each message is `{"role": ..., "tokens": N}` with N estimated as
ceil(len(text) / 4), and only the fields that shape load are kept (model, stream,
max_tokens, max_completion_tokens, temperature, mode, cache), with `tools` as how many
tools were offered and `response_format` as its type: which models may answer depends on
them, not on what the tools or the schema say.

Requests are recorded once the key is known and the body decoded: a request refused as
unauthorised (401) or invalid (400) is not in the trace; one shed later (429, 503) or
failing upstream is.
"""

from __future__ import annotations

import math
import types
from pathlib import Path
from typing import Final, Literal, Self

import msgspec
import structlog

from reactor._clock import Clock, SystemClock
from reactor._lines import LineFile
from reactor._wire import CacheOptions, ChatRequest

log = structlog.get_logger("reactor.record")

CHARS_PER_TOKEN: Final = 4


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
    tools: int | None = None
    """How many tools were offered."""
    response_format: Literal["text", "json_object", "json_schema"] | None = None
    cache: CacheOptions | None = None


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
        temperature=request.temperature, mode=request.mode,
        tools=len(request.tools) if request.tools else None,
        response_format=request.response_format.type if request.response_format else None,
        cache=request.cache)


class Recorder:
    """Appends requests to a JSONL trace; use as an async context manager."""

    def __init__(self, path: str | Path, *, prompts: bool = False, clock: Clock | None = None,
                 max_buffer_bytes: int = 8 * 1024 * 1024) -> None:
        self.path = Path(path)
        self.prompts = prompts
        self.clock: Clock = clock or SystemClock()
        self._file = LineFile(path, max_buffer_bytes=max_buffer_bytes)
        self._full = 0  # request lines that did not fit in the buffer
        self._encode = msgspec.json.Encoder().encode
        self._started = 0.0

    @property
    def recorded(self) -> int:
        """Request lines written to the file."""
        return self._file.written

    @property
    def dropped(self) -> int:
        """Request lines lost: the buffer was full, or the file could not be written."""
        return self._full + self._file.lost

    @property
    def failed(self) -> OSError | None:
        return self._file.failed

    async def __aenter__(self) -> Self:
        if self._file.is_open:
            raise RuntimeError("the recorder is already open")
        self._started = self.clock.now()
        header = self._encode(RecordingStarted(started_at=round(self.clock.wall(), 3),
                                               prompts=self.prompts)) + b"\n"
        self._file.add(header, counted=False)
        await self._file.__aenter__()
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None,
                        exc: BaseException | None, tb: types.TracebackType | None) -> None:
        if not self._file.is_open:
            return
        await self._file.__aexit__(exc_type, exc, tb)
        if self.dropped:
            log.warning("recording_dropped_lines", path=str(self.path),
                        dropped=self.dropped, recorded=self.recorded)

    def reopen(self) -> None:
        """Go on in a file opened afresh at `path` (a rotated trace)."""
        self._file.reopen()

    def record(self, request: ChatRequest, tenant: str, tier: str, now: float) -> None:
        """Queue one request for the file; never waits. `now` is `clock.now()`."""
        if not self._file.is_open:
            raise RuntimeError("use `async with recorder:` before recording")
        body = request if self.prompts else shape_of(request)
        line = self._encode(RecordedRequest(arrival_s=round(now - self._started, 6),
                                            tenant=tenant, tier=tier, body=body)) + b"\n"
        if not self._file.add(line) and not self._file.given_up:
            self._full += 1
