"""Where a replay sends its requests, and what each request becomes.

A target answers `send(request, tenant, tier)` with an `Outcome`; the load loops time
it. `RouterTarget` goes through an embedded `Router`; `SimulatedTarget` calls the
simulated upstream adapter alone (the in-process baseline for router overhead);
`HttpTarget` posts to any OpenAI-compatible `/chat/completions` over a pooled aiohttp
session (a Reactor server, or the upstream behind it as the HTTP baseline).
"""

from __future__ import annotations

import time
from typing import Final, Protocol

import aiohttp
import msgspec

from bench.traces import Synthesiser, TraceRequest, request_body
from reactor import ChatMessage, ChatRequest, Decided, Done, Failed, Router, Started, Token
from reactor import decode_chat_request as decode_request
from stages.upstreams import Fault
from stages.upstreams.simulated import Simulated

SHED_STATUSES: Final = frozenset({429, 503})


class Outcome(msgspec.Struct, frozen=True, kw_only=True):
    """How one request ended, as its sender saw it."""

    error: str | None = None
    """None for a complete answer; else a kind like `503 overloaded`."""
    status: int = 200
    first_token_at: float | None = None
    """`time.perf_counter()` when the first text of a streamed answer arrived."""
    tokens: int = 0
    cache_hit: bool = False

    @property
    def shed(self) -> bool:
        return self.status in SHED_STATUSES


class Target(Protocol):
    name: str

    async def send(self, request: ChatRequest, tenant: str, tier: str) -> Outcome: ...


def build_request(item: TraceRequest, index: int, synth: Synthesiser, *,
                  stream: bool | None, output_tokens: int) -> ChatRequest:
    """The request to replay for trace entry `index`.

    The answer is asked to be `item.output_tokens` long (else `output_tokens`) through
    `max_tokens`; the simulated models are configured to say more than that, so the
    limit is what ends every answer. Token-count messages get synthetic text marked
    with `index`, so prompts are the same in every pass and across runs.
    """
    limit = max(1, item.output_tokens if item.output_tokens is not None else output_tokens)
    if item.body is None:
        text = synth.text(item.prompt_tokens, blocks=item.prefix_blocks, marker=str(index))
        return ChatRequest(messages=[ChatMessage(role="user", content=text)],
                           max_tokens=limit, stream=bool(stream))
    body = request_body(item.body,
                        lambda i, tokens: synth.text(tokens, marker=f"{index}.{i}"))
    if body.get("max_tokens") is None and body.get("max_completion_tokens") is None:
        body["max_tokens"] = limit
    if stream is not None:
        body["stream"] = stream
    return decode_request(msgspec.json.encode(body))


def _kind(status: int, code: str | None) -> str:
    return f"{status} {code}" if code else str(status)


class RouterTarget:
    def __init__(self, router: Router, name: str = "router") -> None:
        self.router = router
        self.name = name

    async def send(self, request: ChatRequest, tenant: str, tier: str) -> Outcome:
        flow = self.router.submit(request, tenant=tenant, tier=tier)
        first: float | None = None
        hit = False
        try:
            while True:
                match await flow.receive():
                    case Started(cache=cache):
                        hit = cache in ("exact", "semantic")
                    case Token():
                        if first is None and request.stream:
                            first = time.perf_counter()
                    case Done(usage=usage):
                        return Outcome(first_token_at=first, tokens=usage.completion_tokens,
                                       cache_hit=hit)
                    case Failed(error=error):
                        return Outcome(error=_kind(error.status, error.code or error.type),
                                       status=error.status)
                    case Decided():
                        return Outcome(error="decided", status=200)
        finally:
            flow.close()


class SimulatedTarget:
    def __init__(self, upstream: Simulated, name: str = "direct") -> None:
        self.upstream = upstream
        self.name = name

    async def send(self, request: ChatRequest, tenant: str, tier: str) -> Outcome:
        first: float | None = None

        async def on_token(token: Token) -> None:
            nonlocal first
            if first is None and request.stream:
                first = time.perf_counter()

        reply = await self.upstream.call(request, stream=request.stream, on_token=on_token)
        if isinstance(reply, Fault):
            return Outcome(error=_kind(reply.status or 0, reply.kind), status=reply.status or 0)
        tokens = reply.usage.completion_tokens if reply.usage is not None else 0
        return Outcome(first_token_at=first, tokens=tokens)


class _Error(msgspec.Struct):
    type: str | None = None
    code: str | int | None = None


class _Usage(msgspec.Struct):
    completion_tokens: int = 0


class _Delta(msgspec.Struct):
    content: str | None = None


class _Choice(msgspec.Struct):
    delta: _Delta | None = None


class _Body(msgspec.Struct):
    choices: list[_Choice] = []
    usage: _Usage | None = None
    error: _Error | None = None


_body = msgspec.json.Decoder(_Body)
_encode = msgspec.json.Encoder().encode
_JSON: Final = {"Content-Type": "application/json"}


def _code(error: _Error | None) -> str | None:
    if error is None:
        return None
    return str(error.code) if error.code is not None else error.type


Callers = dict[tuple[str, str], str]
"""The API key to send for each (tenant, tier)."""


class HttpTarget:
    """Posts to `chat_url` (a full `.../chat/completions` URL), with the key of each
    request's (tenant, tier) in `keys`, else `key`, else none."""

    def __init__(self, session: aiohttp.ClientSession, chat_url: str, name: str, *,
                 keys: Callers | None = None, key: str | None = None) -> None:
        self.session = session
        self.url = chat_url
        self.name = name
        self.headers = {caller: {**_JSON, "Authorization": f"Bearer {secret}"}
                        for caller, secret in (keys or {}).items()}
        self.default = _JSON if key is None else {**_JSON, "Authorization": f"Bearer {key}"}

    async def send(self, request: ChatRequest, tenant: str, tier: str) -> Outcome:
        headers = self.headers.get((tenant, tier), self.default)
        try:
            async with self.session.post(self.url, data=_encode(request),
                                         headers=headers) as response:
                if response.status != 200:
                    body = await response.read()
                    try:
                        code = _code(_body.decode(body).error)
                    except msgspec.DecodeError:
                        code = None
                    return Outcome(error=_kind(response.status, code), status=response.status)
                hit = response.headers.get("x-reactor-cache", "miss") in ("exact", "semantic")
                if request.stream:
                    return await self._stream(response, hit)
                answer = _body.decode(await response.read())
                tokens = answer.usage.completion_tokens if answer.usage is not None else 0
                return Outcome(tokens=tokens, cache_hit=hit)
        except (aiohttp.ClientError, TimeoutError) as exc:
            return Outcome(error=f"client {type(exc).__name__}", status=0)
        except (msgspec.DecodeError, ValueError):
            return Outcome(error="malformed", status=200)

    async def _stream(self, response: aiohttp.ClientResponse, hit: bool) -> Outcome:
        first: float | None = None
        tokens = 0
        usage: _Usage | None = None
        async for line in response.content:
            if not line.startswith(b"data: "):
                continue
            data = line[6:].strip()
            if data == b"[DONE]":
                return Outcome(first_token_at=first,
                               tokens=usage.completion_tokens if usage else tokens,
                               cache_hit=hit)
            chunk = _body.decode(data)
            if chunk.error is not None:
                return Outcome(error=f"stream {_code(chunk.error)}", status=200)
            usage = chunk.usage or usage
            for choice in chunk.choices:
                if choice.delta is not None and choice.delta.content:
                    tokens += 1
                    if first is None:
                        first = time.perf_counter()
        return Outcome(error="stream truncated", status=200)
