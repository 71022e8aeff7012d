"""Helpers for the fault matrix: fake upstreams behind a real router, over real HTTP."""

from __future__ import annotations

import json
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import anyio

from reactor import Clock, FakeClock, parse_config
from reactor._router import Router
from reactor._server import Server

PROMPT = "Which rivers flow north?"
PRIMARY_WORDS = 12
BACKUP_WORDS = 8


def model_toml(name: str, base_url: str, *, failover: list[str] | None = None,
               extra: str = "") -> str:
    return f"""
[[models]]
name = "{name}"
failover = {json.dumps(failover or [])}
upstream = {{ kind = "openai", base_url = "{base_url}", api_key = "sk-test" }}
{extra}
"""


def router_toml(primary_url: str, backup_url: str | None = None, *, provider: str = "",
                retry: str = "", breaker: str = "", primary_model: str = "",
                backup_model: str = "", admission: str = "") -> str:
    """Two models, `primary` failing over to `backup` (or `primary` alone); each string
    is TOML added to its table."""
    text = f"""
[server]
drain_timeout_s = 2.0

[admission]
{admission}

[runtime]
restart_backoff_s = 0.0

[cache]
enabled = false

[breaker]
{breaker}

[provider]
{provider}

[provider.retry]
backoff_s = 0.0
{retry}
"""
    text += model_toml("primary", primary_url, failover=["backup"] if backup_url else [],
                       extra=primary_model)
    if backup_url is not None:
        text += model_toml("backup", backup_url, extra=backup_model)
    return text


def refused_url() -> str:
    """A base URL where nothing listens: a port that was bound, then closed."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1"


@dataclass
class Answer:
    """What an HTTP client received: a JSON body, or the `data:` events of a stream."""

    status: int
    headers: dict[str, str]
    body: dict[str, Any] | None = None
    events: list[dict[str, Any] | str] = field(default_factory=list)

    @property
    def chunks(self) -> list[dict[str, Any]]:
        return [e for e in self.events if isinstance(e, dict) and "error" not in e]

    @property
    def errors(self) -> list[dict[str, Any]]:
        return [e["error"] for e in self.events if isinstance(e, dict) and "error" in e]

    @property
    def done(self) -> bool:
        """The stream ended with `data: [DONE]` (and said it nowhere else)."""
        return "[DONE]" in self.events and self.events.index("[DONE]") == len(self.events) - 1

    @property
    def text(self) -> str:
        if self.body is not None:
            return str(self.body["choices"][0]["message"]["content"] or "")
        return "".join(choice["delta"].get("content") or ""
                       for chunk in self.chunks for choice in chunk["choices"])

    @property
    def finish_reasons(self) -> list[str]:
        if self.body is not None:
            return [choice["finish_reason"] for choice in self.body["choices"]]
        return [choice["finish_reason"] for chunk in self.chunks for choice in chunk["choices"]
                if choice["finish_reason"] is not None]

    @property
    def models(self) -> set[str]:
        """The `model` named by the body, or by every chunk of the stream."""
        if self.body is not None:
            return {self.body["model"]}
        return {chunk["model"] for chunk in self.chunks}


async def chat(session: aiohttp.ClientSession, server: Server, *, stream: bool,
               prompt: str = PROMPT, **extra: Any) -> Answer:
    body = {"model": "primary", "stream": stream,
            "messages": [{"role": "user", "content": prompt}], **extra}
    async with session.post(server.url + "/v1/chat/completions", json=body) as response:
        raw = await response.read()
        answer = Answer(status=response.status, headers=dict(response.headers))
    if response.content_type == "text/event-stream":
        for block in raw.decode().split("\n\n"):
            for line in block.splitlines():
                assert line.startswith("data: "), f"not an SSE data line: {line!r}"
                data = line.removeprefix("data: ")
                answer.events.append(data if data == "[DONE]" else json.loads(data))
    else:
        answer.body = json.loads(raw)
    return answer


@asynccontextmanager
async def serving(toml: str, *, clock: Clock | None = None
                  ) -> AsyncIterator[tuple[Router, Server, aiohttp.ClientSession]]:
    """A router built from `toml`, its HTTP server on port 0, and a client session."""
    async with Router(parse_config(toml, source="test.toml"), clock=clock) as router, \
            Server(router) as server, aiohttp.ClientSession() as session:
        yield router, server, session


async def settled(router: Router) -> None:
    """Wait until every request has ended and the breaker has learnt from each outcome.

    An outcome is published after the client may already have its answer; it is learnt
    once the breaker's mailbox is empty and the breaker waits for its next message.
    """
    breaker = router.pipeline.breaker.mailbox
    # The mailbox counts what is buffered, not a message handed straight to a waiting
    # receiver: the breaker is idle only once it waits again with nothing buffered.
    with anyio.fail_after(5):
        while router.in_flight or not breaker.idle:
            await anyio.lowlevel.checkpoint()


async def sleeping(clock: FakeClock, count: int = 1) -> None:
    """Wait until `count` tasks sleep on the fake clock."""
    with anyio.fail_after(5):
        while clock.sleepers < count:
            await anyio.lowlevel.checkpoint()
