"""What the adapter tests share: a recording `on_token`, a port nobody answers on, and
a bounded call."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager

import anyio

from reactor import ChatRequest, Token, ToolCallDelta
from stages.upstreams import Fault, Reply, Upstream


class Texts:
    """An `on_token` that keeps every piece it is given."""

    def __init__(self) -> None:
        self.pieces: list[str] = []
        self.calls: list[ToolCallDelta] = []
        self.arrived = anyio.Event()

    async def __call__(self, token: Token) -> None:
        if token.text:
            self.pieces.append(token.text)
        self.calls.extend(token.tool_calls or [])
        self.arrived.set()

    @property
    def text(self) -> str:
        return "".join(self.pieces)

    def arguments(self, index: int = 0) -> str:
        """One tool call's arguments, its streamed pieces joined."""
        return "".join(d.arguments for d in self.calls if d.index == index)


@contextmanager
def refused_base_url() -> Iterator[str]:
    """A port that is bound but not listening, so nothing can take it meanwhile."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"


async def call(upstream: Upstream, request: ChatRequest, texts: Texts) -> Reply | Fault:
    with anyio.fail_after(5):
        return await upstream.call(request, stream=request.stream, on_token=texts)
