"""One keep-alive connection and the answer it reads: status line and headers, then
a body framed by Content-Length, chunked encoding or the connection's end."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from typing import TYPE_CHECKING, TypeVar, overload

if TYPE_CHECKING:
    from stages.upstreams.http1._pool import Pool

T = TypeVar("T")
MAX_HEAD_BYTES = 64 * 1024
"""The largest status line and headers read: past it the answer is not HTTP."""
HIGH_WATER = 64 * 1024
"""Bytes of body waiting for the reader before the socket stops being read (TCP pushes
back on the upstream)."""
TAIL = 32
"""The longest marker a quiet reader can wait for, or sign it listens for
(`Body.read_quietly`)."""


class ConnectFailed(Exception):
    """No connection to the upstream could be made."""


class Broken(Exception):
    """The connection ended or was reset before the answer's end."""

    def __init__(self, message: str, *, answered: bool) -> None:
        super().__init__(message)
        self.answered = answered


class NotHttp(Exception):
    """The upstream's bytes are not an HTTP/1.x answer."""


class Headers(Mapping[str, str]):
    """An answer's headers, looked up by any case; the first of repeated names wins."""

    __slots__ = ("_values",)

    def __init__(self, pairs: list[tuple[str, str]]) -> None:
        self._values: dict[str, str] = {}
        for name, value in pairs:
            self._values.setdefault(name.lower(), value)

    def __getitem__(self, name: str) -> str:
        return self._values[name.lower()]

    @overload
    def get(self, name: str, /) -> str | None: ...

    @overload
    def get(self, name: str, /, default: str | T) -> str | T: ...

    def get(self, name: str, /, default: object = None) -> object:
        # Mapping's own `get` goes through `__getitem__` and a KeyError for every
        # header that is not there, as most looked for on every answer are not.
        return self._values.get(name.lower(), default)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._values

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)


class Body:
    """An answer's body as it arrives: `readany` gives everything that came since the
    last read (b"" at its end) and raises `Broken` once what came before the break is
    read."""

    __slots__ = ("_chunks", "_connection", "_ended", "_error", "_quiet", "_size", "_tail",
                 "_waiter")

    def __init__(self, connection: Connection) -> None:
        self._connection = connection
        self._chunks: deque[bytes] = deque()
        self._size = 0
        self._ended = False
        self._error: Broken | None = None
        self._waiter: asyncio.Future[None] | None = None
        self._quiet: tuple[Callable[[], None], bytes, bytes] | None = None
        # The last bytes that came (read or not), so that a quiet reader finds a marker
        # however many pieces it came in, some perhaps read before the reader went quiet.
        self._tail = b""

    def at_eof(self) -> bool:
        return self._ended and not self._chunks

    async def readany(self) -> bytes:
        while not self._chunks:
            if self._error is not None:
                raise self._error
            if self._ended:
                return b""
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        chunks = self._chunks
        data = chunks.popleft() if len(chunks) == 1 else b"".join(chunks)
        chunks.clear()
        self._size = 0
        self._connection.drained()
        return data

    async def read_quietly(self, heard: Callable[[], None], marker: bytes,
                           sign: bytes = b"") -> bytes:
        """`readany` for a reader that wants the rest of the body in few pieces: while it
        waits, each piece that comes with `sign` in it (any piece if none is given) calls
        `heard` instead of waking it. It wakes when `marker` comes (a stream's last
        event), when `HIGH_WATER` bytes wait (the socket would stop being read), or at the
        body's end or break. A reader cut short meanwhile finds what came with
        `take_waiting`.

        A token stream read for a caller that takes the answer whole wakes its reader
        once, not once per token: most of what a token costs is the reader's wake-up and
        the step of parsing one event."""
        if len(marker) > TAIL or len(sign) > TAIL:
            raise ValueError(f"a quiet reader's marker and sign are at most {TAIL} bytes")
        if self._chunks or self._ended or self._error is not None:
            return await self.readany()
        self._quiet = (heard, marker, sign)
        try:
            return await self.readany()
        finally:
            self._quiet = None

    def take_waiting(self) -> bytes:
        """What came and was not read yet (b"" if nothing), without waiting."""
        chunks = self._chunks
        if not chunks:
            return b""
        data = b"".join(chunks)
        chunks.clear()
        self._size = 0
        self._connection.drained()
        return data

    async def iter_any(self) -> AsyncIterator[bytes]:
        while data := await self.readany():
            yield data

    def _feed(self, data: bytes) -> int:
        """Takes `data`; gives the bytes now waiting for the reader."""
        chunks = self._chunks
        chunks.append(data)
        self._size += len(data)
        tail = self._tail
        self._tail = data[-TAIL:] if len(data) >= TAIL else (tail + data)[-TAIL:]
        quiet = self._quiet
        if quiet is None:
            self._wake()
            return self._size
        heard, marker, sign = quiet
        # The sign and the marker may straddle this piece and the bytes before it (a sign
        # wholly before it was heard of with its own piece).
        if sign in data or (len(sign) > 1 and sign in tail[1 - len(sign):] +
                            data[:len(sign) - 1]):
            heard()
        if self._size >= HIGH_WATER or marker in data or (
                marker in tail + data[:len(marker) - 1]):
            self._wake()
        return self._size

    def _end(self) -> None:
        self._ended = True
        self._wake()

    def _fail(self, error: Broken) -> None:
        self._error = error
        self._wake()

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)


class Response:
    """An answer's status and headers, and its body as it comes."""

    __slots__ = ("content", "content_type", "headers", "status")

    def __init__(self, status: int, headers: Headers, content: Body) -> None:
        self.status = status
        self.headers = headers
        self.content = content
        kind = headers.get("content-type")
        # As aiohttp says it: no Content-Type is application/octet-stream.
        self.content_type = kind.split(";", 1)[0].strip().lower() if kind else \
            "application/octet-stream"


# How a body is framed; `_DONE` once it was read to its end.
_LENGTH, _CHUNK_SIZE, _CHUNK_DATA, _CHUNK_END, _TRAILER, _UNTIL_CLOSE, _DONE = range(7)


class Connection(asyncio.Protocol):
    """One connection: parses the answer to the request last written into it."""

    def __init__(self, pool: Pool) -> None:
        self.pool = pool
        self.transport: asyncio.Transport | None = None
        self.closed = False
        self.idle_since = 0.0
        self._buffer = bytearray()
        self._head: asyncio.Future[Response] | None = None
        self._body: Body | None = None
        self._state = _DONE
        self._left = 0
        self._keep_alive = False
        self._paused = False
        self.lost = asyncio.get_running_loop().create_future()

    # asyncio.Protocol

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]  # uvloop's is no subclass

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self.pool.forget(self)
        if not self.lost.done():
            self.lost.set_result(None)
        how = f"reset ({exc})" if exc is not None else "closed"
        head = self._head
        if head is not None and not head.done():
            head.set_exception(Broken(f"the upstream {how} the connection before it "
                                      "answered", answered=False))
        body = self._body
        if body is None or self._state == _DONE:
            return
        if self._state == _UNTIL_CLOSE and exc is None:
            self._state = _DONE
            body._end()
        else:
            body._fail(Broken(f"the upstream {how} the connection before the answer's "
                              "end", answered=True))

    def data_received(self, data: bytes) -> None:
        if self._head is not None:
            self._buffer += data
            self._read_head()
        else:
            self._body_received(data)

    def _body_received(self, data: bytes) -> None:
        body = self._body
        if body is None or self._state == _DONE:
            self._keep_alive = False  # bytes nobody asked for: not reusable
            return
        state = self._state
        if self._buffer:  # a piece of the last read waits for this one
            self._buffer += data
            self._read_body()
        elif state == _CHUNK_SIZE:
            rest = self._whole_chunks(body, data)
            if rest:
                self._buffer += rest
                self._read_body()
        elif state == _UNTIL_CLOSE:
            self._flow(body._feed(data))
        elif state == _LENGTH and len(data) <= self._left:
            self._left -= len(data)
            self._flow(body._feed(data))
            if not self._left:
                self._finish()
        else:
            self._buffer += data
            self._read_body()

    def _whole_chunks(self, body: Body, data: bytes) -> bytes:
        """The chunks wholly in `data`, given to the body in one piece; what is left
        (a chunk begun, the last chunk, anything odd) goes to `_read_body`. A server
        writes a stream event as one chunk, which usually arrives in one read: this
        way costs a few calls per read instead of a few per chunk and state."""
        pieces: list[bytes] = []
        at, size_of = 0, len(data)
        while True:
            eol = data.find(b"\r\n", at)
            if eol < 0:
                break
            try:
                size = int(data[at:eol], 16)
            except ValueError:  # a chunk extension, or garbage: `_read_body` sees which
                break
            end = eol + 2 + size
            if size <= 0 or end + 2 > size_of or data[end : end + 2] != b"\r\n":
                break
            pieces.append(data[eol + 2 : end])
            at = end + 2
        if pieces:
            self._flow(body._feed(pieces[0] if len(pieces) == 1 else b"".join(pieces)))
        return data[at:] if at else data

    # the client's side

    def send(self, request: bytes) -> asyncio.Future[Response]:
        assert self.transport is not None
        self._head = asyncio.get_running_loop().create_future()
        self._body = None
        self._buffer.clear()
        self.transport.write(request)
        return self._head

    def reusable(self) -> bool:
        return self._state == _DONE and self._keep_alive and not self.closed

    def close(self) -> None:
        if not self.closed and self.transport is not None:
            self.closed = True
            self.transport.close()

    def drained(self) -> None:
        """The reader took what was waiting: read the socket again."""
        if self._paused and self.transport is not None and not self.closed:
            self._paused = False
            self.transport.resume_reading()

    def _flow(self, waiting: int) -> None:
        if waiting > HIGH_WATER and not self._paused and self.transport is not None:
            self._paused = True
            self.transport.pause_reading()

    # parsing

    def _read_head(self) -> None:
        buffer = self._buffer
        while self._head is not None:
            if len(buffer) >= 5 and not buffer.startswith(b"HTTP/"):
                return self._not_http("it does not begin with an HTTP status line")
            end = buffer.find(b"\r\n\r\n")
            if end < 0:
                if len(buffer) > MAX_HEAD_BYTES:
                    self._not_http(f"its headers run past {MAX_HEAD_BYTES} bytes")
                return None
            try:
                version, status, pairs = _parse_head(bytes(buffer[:end]))
            except ValueError as exc:
                return self._not_http(str(exc))
            del buffer[: end + 4]
            if 100 <= status < 200:  # an interim answer (100 Continue): the real one follows
                continue
            self._begin(version, status, Headers(pairs))
        if buffer:
            rest = bytes(buffer)
            buffer.clear()
            self._body_received(rest)
        return None

    def _begin(self, version: str, status: int, headers: Headers) -> None:
        connection = headers.get("connection", "").lower()
        self._keep_alive = version == "HTTP/1.1" and "close" not in connection
        body = self._body = Body(self)
        encoding = headers.get("transfer-encoding", "").lower()
        length = headers.get("content-length")
        if "chunked" in encoding:
            self._state = _CHUNK_SIZE
        elif length is not None:
            self._state, self._left = _LENGTH, int(length)  # checked by _parse_head
        elif status in (204, 304):
            self._state, self._left = _LENGTH, 0
        else:
            self._state, self._keep_alive = _UNTIL_CLOSE, False
        head, self._head = self._head, None
        assert head is not None
        if self._state == _LENGTH and not self._left:
            self._finish()
        if not head.done():
            head.set_result(Response(status, headers, body))

    def _read_body(self) -> None:
        body, buffer = self._body, self._buffer
        assert body is not None
        while buffer:
            state = self._state
            if state == _CHUNK_SIZE:
                if len(buffer) > 5:  # whole chunks may follow: the fast way first
                    whole = bytes(buffer)
                    rest = self._whole_chunks(body, whole)
                    if len(rest) < len(whole):
                        buffer[:] = rest
                        continue
                end = buffer.find(b"\r\n")
                if end < 0:
                    if len(buffer) > 1024:
                        return self._bad_body("a chunk size line runs past 1024 bytes")
                    return None
                try:
                    size = int(bytes(buffer[:end]).split(b";", 1)[0], 16)
                except ValueError:
                    return self._bad_body("a chunk size is not a hex number")
                if size < 0:
                    return self._bad_body("a chunk size is negative")
                del buffer[: end + 2]
                self._state, self._left = (_CHUNK_DATA, size) if size else (_TRAILER, 0)
            elif state in (_CHUNK_DATA, _LENGTH, _UNTIL_CLOSE):
                take = len(buffer) if state == _UNTIL_CLOSE else min(self._left, len(buffer))
                data = bytes(buffer[:take])
                del buffer[:take]
                self._left -= take
                self._flow(body._feed(data))
                if state == _LENGTH and not self._left:
                    self._finish()
                elif state == _CHUNK_DATA and not self._left:
                    self._state = _CHUNK_END
            elif state == _CHUNK_END:
                if len(buffer) < 2:
                    return None
                if buffer[:2] != b"\r\n":
                    return self._bad_body("a chunk does not end with CRLF")
                del buffer[:2]
                self._state = _CHUNK_SIZE
            elif state == _TRAILER:
                end = buffer.find(b"\r\n")
                if end < 0:
                    return None
                del buffer[: end + 2]
                if end == 0:
                    self._finish()
            else:  # _DONE: bytes after the answer, which nobody asked for
                buffer.clear()
                self._keep_alive = False
        return None

    def _finish(self) -> None:
        self._state = _DONE
        if self._buffer:
            self._keep_alive = False
        assert self._body is not None
        self._body._end()

    def _not_http(self, why: str) -> None:
        head, self._head = self._head, None
        if head is not None and not head.done():
            head.set_exception(NotHttp(f"the upstream's answer is not HTTP: {why}"))
        self.close()

    def _bad_body(self, why: str) -> None:
        assert self._body is not None
        self._body._fail(Broken(f"the upstream's chunked body is broken: {why}",
                                answered=True))
        self._state = _DONE
        self._keep_alive = False
        self.close()


def _parse_head(head: bytes) -> tuple[str, int, list[tuple[str, str]]]:
    """(version, status, headers) of a status line and headers; ValueError if broken."""
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/1.") or not parts[1].isdigit():
        raise ValueError(f"a broken status line {lines[0][:80]!r}")
    pairs: list[tuple[str, str]] = []
    for line in lines[1:]:
        name, colon, value = line.partition(":")
        if not colon or not name or name != name.strip():
            raise ValueError(f"a broken header line {line[:80]!r}")
        pairs.append((name, value.strip()))
        if len(name) == 14 and name.lower() == "content-length" and \
                not value.strip().isdigit():
            raise ValueError(f"a broken Content-Length {value.strip()[:40]!r}")
    return parts[0], int(parts[1]), pairs
