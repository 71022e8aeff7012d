"""Keep-alive connections to one upstream origin."""

from __future__ import annotations

import asyncio
import ssl
from collections import deque
from collections.abc import Mapping
from urllib.parse import urlsplit

import anyio

from stages.upstreams.http1._connection import ConnectFailed, Connection, Response

IDLE_S = 15.0
"""An idle pooled connection older than this is closed rather than reused (aiohttp's
keep-alive default): servers close theirs after a while, and a request written into a
connection the server is closing fails."""


class Pool:
    """Keep-alive connections to the one origin of `base_url`; `post` sends a request
    on one (reused when one is idle) and gives its answer."""

    def __init__(self, base_url: str, *, connect_timeout_s: float,
                 ssl_context: ssl.SSLContext | None = None) -> None:
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"an upstream URL must be http:// or https://: {base_url!r}")
        self.tls = parts.scheme == "https"
        self.host = parts.hostname
        self.port = parts.port or (443 if self.tls else 80)
        self.path = parts.path.rstrip("/")
        default = 443 if self.tls else 80
        host = f"[{self.host}]" if ":" in self.host else self.host
        self.authority = host if self.port == default else f"{host}:{self.port}"
        self.connect_timeout_s = connect_timeout_s
        self._ssl = ssl_context
        self._idle: deque[Connection] = deque()
        self._open: set[Connection] = set()

    def request_head(self, path: str, headers: Mapping[str, str]) -> bytes:
        """A POST's request line and headers, built once per adapter and completed by
        `post` with the Content-Length: every call writes the same bytes but for it."""
        lines = [f"POST {self.path}{path} HTTP/1.1", f"Host: {self.authority}"]
        for name, value in headers.items():
            if any(c in name + value for c in "\r\n\0") or not name or ":" in name:
                raise ValueError(f"header {name!r} cannot be sent: a newline, NUL or "
                                 "colon in its name or value")
            lines.append(f"{name}: {value}")
        return ("\r\n".join(lines) + "\r\nContent-Length: ").encode("latin-1")

    async def post(self, head: bytes, body: bytes) -> tuple[Response, Connection]:
        """Send `head` (from `request_head`) and `body`; the answer once its status and
        headers came, and the connection to `release` once done with it."""
        connection = await self._acquire()
        try:
            response = await connection.send(
                b"".join((head, str(len(body)).encode(), b"\r\n\r\n", body)))
        except BaseException:
            connection.close()
            raise
        return response, connection

    def release(self, connection: Connection) -> None:
        """Take the connection back: pooled if its answer was read to the end, else
        closed (an abandoned answer would be read as the next one's start)."""
        if connection.reusable():
            connection.idle_since = asyncio.get_running_loop().time()
            self._idle.append(connection)
        else:
            connection.close()

    def forget(self, connection: Connection) -> None:
        """A connection closed: out of the pool."""
        self._open.discard(connection)
        try:
            self._idle.remove(connection)
        except ValueError:
            pass

    async def _acquire(self) -> Connection:
        idle, now = self._idle, asyncio.get_running_loop().time()
        while idle and now - idle[0].idle_since > IDLE_S:
            idle.popleft().close()
        while idle:
            connection = idle.pop()
            # Bytes that came while it was idle (the tail of a body longer than its
            # Content-Length, an answer to nothing) mean the server and this side no
            # longer agree where an answer begins: the next one could be misread.
            if connection.reusable():
                return connection
            connection.close()
        return await self._connect()

    async def _connect(self) -> Connection:
        loop = asyncio.get_running_loop()
        context: ssl.SSLContext | None = None
        if self.tls:
            if self._ssl is None:
                self._ssl = ssl.create_default_context()
            context = self._ssl
        try:
            with anyio.fail_after(self.connect_timeout_s):
                _, connection = await loop.create_connection(
                    lambda: Connection(self), self.host, self.port, ssl=context,
                    server_hostname=self.host if context is not None else None)
        except TimeoutError:
            raise ConnectFailed(f"no connection to {self.authority} within "
                                f"{self.connect_timeout_s:g} s") from None
        except OSError as exc:  # refused, unreachable, DNS, TLS
            raise ConnectFailed(f"{self.authority}: {exc}") from None
        self._open.add(connection)
        return connection

    async def aclose(self) -> None:
        """Close every connection, and wait (a second at most) until they are closed."""
        connections = list(self._open)
        for connection in connections:
            connection.close()
        self._idle.clear()
        self._open.clear()
        with anyio.move_on_after(1.0):
            for connection in connections:
                await connection.lost
