"""A file of lines appended from the event loop and written off it.

    async with LineFile("out.jsonl", max_buffer_bytes=8 << 20) as out:
        out.add(b'{"a": 1}\\n')        # never waits: False when it does not fit
        await out.put(b'{"a": 2}\\n')  # waits for room

Neither call touches the disk: a line joins a buffer that a writer task hands, in
batches, to a worker thread. The buffer, the batch being written included, is bounded by
`max_buffer_bytes` (a line longer than that is taken when the buffer is empty, so `put`
cannot wait forever). With `fsync`, each batch is on the disk before the next is taken,
so a crashed machine loses at most the batch being written; without it, a crashed
process loses nothing written and a crashed machine what the OS had not flushed.

A batch that cannot be written is lost and counted (`lost`); `failed` keeps the error,
which is logged once (and the recovery, if one comes).
With `keep_trying`, the next batch is tried all the same (a full disk may be emptied),
after a newline, so that a line the failure cut short stays on a line of its own;
without it, the file is given up and every later line is lost too. Closing writes what
is buffered. `reopen` has the writer open `path` afresh before its next batch, for a
rotated file (`logrotate` moves it, then the process is told: SIGUSR1).
"""

from __future__ import annotations

import os
import types
from io import FileIO
from pathlib import Path
from typing import Final, Self

import anyio
import anyio.to_thread
import structlog
from anyio.abc import TaskGroup

log = structlog.get_logger("reactor.lines")

CLOSE_TIMEOUT_S: Final = 10.0


class LineFile:
    def __init__(self, path: str | Path, *, max_buffer_bytes: int = 8 * 1024 * 1024,
                 fsync: bool = False, keep_trying: bool = False) -> None:
        if max_buffer_bytes < 1:
            raise ValueError("max_buffer_bytes must be at least 1")
        self.path = Path(path)
        self.max_buffer_bytes = max_buffer_bytes
        self.fsync = fsync
        self.keep_trying = keep_trying
        self.written = 0
        """Counted lines written to the file."""
        self.lost = 0
        """Counted lines that could not be written."""
        self.failed: OSError | None = None
        """The last error writing the file."""
        self._lines: list[bytes] = []
        self._counted = 0  # counted lines among `_lines`
        self._held = 0  # bytes buffered plus bytes being written
        self._wake: anyio.Event | None = None
        self._room = anyio.Event()
        self._closing = False
        self._torn = False  # the last write failed, perhaps midway through a line
        self._ragged = False  # the file opened ends midway through a line (a crash)
        self._reopening = False
        self._file: FileIO | None = None
        self._tg: TaskGroup | None = None
        # The writer is shielded from its opener's cancellation (so a cancelled caller's
        # lines are still written) and stopped by `__aexit__` instead.
        self._writer = anyio.CancelScope(shield=True)
        self._written_all = anyio.Event()

    @property
    def is_open(self) -> bool:
        return self._tg is not None

    @property
    def given_up(self) -> bool:
        return self.failed is not None and not self.keep_trying

    async def __aenter__(self) -> Self:
        if self._tg is not None:
            raise RuntimeError(f"{self.path} is already open")
        self._file = await anyio.to_thread.run_sync(self._open)
        self._closing = False
        self._wake = anyio.Event()
        if self._lines:
            self._wake.set()
        self._writer = anyio.CancelScope(shield=True)
        self._written_all = anyio.Event()
        tg = anyio.create_task_group()
        await tg.__aenter__()
        tg.start_soon(self._write_shielded)
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
            # However our caller is leaving, the writer gets a while to write what it
            # holds; then it is stopped.
            with anyio.CancelScope(shield=True), anyio.move_on_after(CLOSE_TIMEOUT_S):
                await self._written_all.wait()
            self._writer.cancel()
            await tg.__aexit__(None, None, None)
        finally:
            # Whatever the writer left (it was cancelled, or lines came after its last
            # batch) is written now, even if our caller is being cancelled.
            with anyio.CancelScope(shield=True), anyio.move_on_after(CLOSE_TIMEOUT_S):
                await self._flush(*self._take())
                await anyio.to_thread.run_sync(self._close)

    def reopen(self) -> None:
        """Write the next batch, and those after it, to `path` opened afresh (the file
        there now, or a new one): lines still buffered go there too."""
        self._reopening = True
        if self._wake is not None:
            self._wake.set()

    def add(self, line: bytes, *, counted: bool = True) -> bool:
        """Queue `line` (whole, with its newline); never waits. False, and the line is
        not queued, when it does not fit, or when the file was given up (the line is then
        `lost`). A line that is not `counted` (a header) is in neither `written` nor
        `lost`."""
        size = len(line)
        if self.given_up:
            self.lost += counted
            return False
        if self._held + size > self.max_buffer_bytes and self._held:
            return False
        self._lines.append(line)
        self._counted += counted
        self._held += size
        if self._wake is not None:
            self._wake.set()
        return True

    async def put(self, line: bytes) -> None:
        """Queue `line`, waiting for room; a line is lost (and counted) only when the
        file was given up."""
        while not self.add(line):
            if self.given_up:
                return
            if self._room.is_set():
                self._room = anyio.Event()
            await self._room.wait()

    def _take(self) -> tuple[bytes, int]:
        batch, counted = b"".join(self._lines), self._counted
        self._lines, self._counted = [], 0
        return batch, counted

    async def _write_shielded(self) -> None:
        try:
            with self._writer:
                await self._write_batches()
        finally:
            self._written_all.set()

    async def _write_batches(self) -> None:
        while True:
            assert self._wake is not None
            await self._wake.wait()
            self._wake = anyio.Event()
            if self._reopening:
                self._reopening = False
                try:
                    await anyio.to_thread.run_sync(self._swap)
                except OSError as exc:
                    self.failed = exc  # the old file is kept
            batch, counted = self._take()
            try:
                await self._flush(batch, counted)
            finally:
                self._held -= len(batch)
                self._room.set()
            if self._closing and not self._lines:
                return

    async def _flush(self, batch: bytes, counted: int) -> None:
        if not batch:
            return
        if self.given_up:
            self.lost += counted
            return
        if self._torn or self._ragged:
            batch = b"\n" + batch
        try:
            await anyio.to_thread.run_sync(self._write, batch)
        except OSError as exc:
            if not self._torn:  # said once, not at every batch of a full disk
                log.error("file_write_failed", path=str(self.path), error=str(exc),
                          keep_trying=self.keep_trying)
            self.failed = exc
            self.lost += counted
            self._torn = True
            return
        if self._torn:
            log.warning("file_write_recovered", path=str(self.path), lost=self.lost)
        self._torn = self._ragged = False
        self.written += counted

    # on the worker thread

    def _open(self) -> FileIO:
        # Unbuffered: batches are already whole, and a failed write must not linger in
        # a buffer that close() would try (and fail) to flush again.
        file = FileIO(self.path, "ab")
        # A file whose last line a crash cut short: the next batch starts a line of its
        # own, not the end of that one.
        self._ragged = _ends_midline(self.path)
        return file

    def _write(self, batch: bytes) -> None:
        assert self._file is not None
        view = memoryview(batch)
        while view:
            view = view[self._file.write(view):]
        if self.fsync:
            os.fsync(self._file.fileno())

    def _swap(self) -> None:
        self._torn = False
        new = self._open()
        old, self._file = self._file, new
        if old is not None:
            old.close()

    def _close(self) -> None:
        file, self._file = self._file, None
        if file is not None:
            file.close()


def _ends_midline(path: str | os.PathLike[str]) -> bool:
    """Does the file end with a line that has no newline (one cut short)? Not when it
    is empty, cannot be read or cannot seek (a device)."""
    try:
        with open(path, "rb") as file:
            if file.seek(0, os.SEEK_END) == 0:
                return False
            file.seek(-1, os.SEEK_END)
            return file.read(1) != b"\n"
    except OSError:
        return False
