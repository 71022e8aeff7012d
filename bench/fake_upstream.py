"""A fake OpenAI-compatible chat-completions server, for tests and benchmarks.

It speaks the real wire format over real HTTP (aiohttp.web on 127.0.0.1):

- `POST /v1/chat/completions`: a JSON `chat.completion`, or with `"stream": true` an SSE
  stream of `chat.completion.chunk` events: a role delta, content deltas of
  `words_per_chunk` words (one by default), a delta carrying the finish reason, a usage
  chunk with `choices: []` when `stream_options.include_usage` is true, `data: [DONE]`.
- `GET /v1/models`: the one model it serves.

The answer is deterministic: `output_tokens` words picked by a hash of the prompt
(`fake_text(prompt, n)` gives the same text), cut to `max_completion_tokens` /
`max_tokens` with `finish_reason: "length"`. Latency is off unless asked for:
`headers_delay_s` before the response starts, `token_delay_s` between content deltas
(JSON mode: once per word, before the body). `content=` replaces the deterministic words
with a fixed answer (a JSON document, say), streamed in its whitespace-separated pieces.

Faults (`FAULTS`) are chosen per server (`fault=`), by a queue the test fills so that
"the first call fails, the second succeeds" can be said (`faults=` or `fake.faults`,
where `None` is a healthy answer), or per request with the `x-fake-fault` header
(`none` forces a healthy answer). The header wins over the queue (and leaves it as it
is), the queue over the server's default. The `x-fake-tokens` header sets the number of
words for one request.

It records what it saw: `requests` (how many chat calls), `seen` (the last parsed
bodies and headers), and `disconnects` / `disconnected`, counted and set when a client
goes away while the server is still answering or hanging (the handler is cancelled,
as the runner uses `handler_cancellation=True`, or a write fails). `hanging` is set when
a handler starts to hang, so a test knows when to cancel its call.

    async with FakeUpstream(output_tokens=8, faults=["http_500", None]) as fake:
        ...  # point a client at fake.base_url, which ends in /v1

For benchmarks: `python -m bench.fake_upstream --port 8001 --ttft-ms 200 --token-ms 20`.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import random
import re
import time
from collections.abc import Iterable
from typing import Any, Final, Literal, get_args

import anyio
import msgspec
from aiohttp import web

from bench.fake_server import FakeServer, Invalid, SharedFault, json_response, read_object

Fault = Literal[SharedFault, "no_finish_reason", "no_done", "stall_mid_stream"]
"""What goes wrong.

- `http_500`, `http_503`, `http_429`: an OpenAI-style error body with that status; 503 and
  429 carry `Retry-After: retry_after_s`.
- `hang_before_headers`: no response until the client goes away (or the server stops).
- `hang_after_first_token`: headers and the first word (or the start of the JSON body),
  then nothing.
- `malformed_sse`: a `data:` line that is not JSON after the first word (JSON mode: a
  body cut in the middle).
- `drop_mid_stream`: the connection is aborted after `drop_after_tokens` content deltas
  (JSON mode: after half of the announced Content-Length).
- `empty`: a well-formed 200 with no content (`""` in JSON mode, no content deltas when
  streaming), finish reason `stop`.
- `empty_body`: a 200 with a zero-length body.
- `no_finish_reason`: every word, then `[DONE]`, but `finish_reason` is always null.
- `no_done`: the whole stream, finish reason and usage included, but no `data: [DONE]`
  (JSON mode: a normal answer).
- `stall_mid_stream`: `drop_after_tokens` content deltas, then nothing, the connection
  kept open (JSON mode: as `hang_after_first_token`).
"""

FAULTS: Final[tuple[Fault, ...]] = get_args(Fault)

VOCABULARY: Final = (
    "alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima mike "
    "november oscar papa quebec romeo sierra tango uniform victor whiskey xray yankee zulu "
    "amber basil cedar dune ember fern grove heath iris jade kelp loam moss"
).split()

_json = msgspec.json.Encoder()
_PIECE = re.compile(r"\s*\S+\s*|\s+")


def fake_words(prompt: str, count: int) -> list[str]:
    """The pieces a fake answer to `prompt` is streamed in: one word each."""
    seed = int.from_bytes(hashlib.blake2b(prompt.encode(), digest_size=8).digest())
    words = random.Random(seed).choices(VOCABULARY, k=count)
    if words:
        words[0] = words[0].capitalize()
    return [f"{word} " if i < count - 1 else f"{word}." for i, word in enumerate(words)]


def fake_text(prompt: str, count: int) -> str:
    """The whole fake answer to `prompt` with `count` words."""
    return "".join(fake_words(prompt, count))


def content_pieces(content: str) -> list[str]:
    """The pieces a fixed `content` is streamed in; joined, they give `content` back."""
    return _PIECE.findall(content)


def prompt_of(body: dict[str, Any]) -> str:
    """The text of every message, joined by newlines; image parts contribute nothing."""
    texts: list[str] = []
    messages = body.get("messages")
    for message in messages if isinstance(messages, list) else []:
        content = message.get("content") if isinstance(message, dict) else None
        if isinstance(content, str):
            texts.append(content)
        elif isinstance(content, list):
            texts.extend(part["text"] for part in content
                         if isinstance(part, dict) and isinstance(part.get("text"), str))
    return "\n".join(texts)


class FakeUpstream(FakeServer[Fault]):
    """An OpenAI-compatible server on 127.0.0.1; use as `async with FakeUpstream() as f`.

    `model` is what `/v1/models` lists and what answers name when the request names
    none; `retry_after_s` goes in Retry-After on 429 and 503; `history` bounds `seen`.
    `content`, when given, is the answer to every request instead of the deterministic
    words (`output_tokens` and `x-fake-tokens` then play no part).
    `port=0` binds a free port, read back from `port` / `base_url` once started.
    """

    known = FAULTS

    def __init__(
        self,
        *,
        model: str = "fake-model",
        output_tokens: int = 16,
        headers_delay_s: float = 0.0,
        token_delay_s: float = 0.0,
        fault: Fault | None = None,
        faults: Iterable[Fault | None] = (),
        retry_after_s: float = 1.0,
        drop_after_tokens: int = 2,
        words_per_chunk: int = 1,
        host: str = "127.0.0.1",
        port: int = 0,
        history: int = 64,
        content: str | None = None,
    ) -> None:
        super().__init__(model=model, output_tokens=output_tokens, fault=fault, faults=faults,
                         retry_after_s=retry_after_s, drop_after_tokens=drop_after_tokens,
                         host=host, port=port, history=history)
        if words_per_chunk < 1:
            raise ValueError("words_per_chunk must be at least 1")
        self.headers_delay_s = headers_delay_s
        self.token_delay_s = token_delay_s
        self.words_per_chunk = words_per_chunk
        self.content = content

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}/v1"

    def routes(self, app: web.Application) -> None:
        app.router.add_post("/v1/chat/completions", self._chat)
        app.router.add_get("/v1/models", self._models)

    async def _models(self, request: web.Request) -> web.Response:
        card = {"id": self.model, "object": "model", "created": 0, "owned_by": "fake"}
        return json_response(200, {"object": "list", "data": [card]})

    async def _chat(self, request: web.Request) -> web.StreamResponse:
        try:
            body = await read_object(request)
            count = self.count_for(request)
            fault = self.fault_for(request)
        except (Invalid, ValueError) as exc:  # an unknown fault named is a ValueError
            return _error(400, "invalid_request_error", str(exc))
        self.record(request, body, fault)
        return await self.serve(lambda: self._answer(request, body, fault, count))

    async def _pause(self, request: web.Request, seconds: float) -> bool:
        """Wait `seconds`; if the server stops meanwhile, drop the connection, return True."""
        with anyio.move_on_after(seconds):
            await self._stopping.wait()
        if not self._stopping.is_set():
            return False
        self.abort(request)
        return True

    async def _answer(self, request: web.Request, body: dict[str, Any], fault: Fault | None,
                      count: int) -> web.StreamResponse:
        if self.headers_delay_s and await self._pause(request, self.headers_delay_s):
            return web.Response(status=503)
        match fault:
            case "http_500":
                return _error(500, "server_error", "the fake upstream failed")
            case "http_503":
                return _error(503, "service_unavailable", "the fake upstream is overloaded",
                              retry_after_s=self.retry_after_s)
            case "http_429":
                return _error(429, "rate_limit_error", "rate limit reached for requests",
                              code="rate_limit_exceeded", retry_after_s=self.retry_after_s)
            case _:
                pass
        stream = body.get("stream") is True
        early = await self.before_answer(request, fault, stream=stream)
        if early is not None:
            return early
        answer = _Answer(f"chatcmpl-fake-{self.next_id()}", body, count,
                         default_model=self.model, content=self.content)
        if stream:
            return await self._stream(request, answer, fault)
        return await self._complete(request, answer, fault)

    async def _complete(self, request: web.Request, answer: _Answer,
                        fault: Fault | None) -> web.StreamResponse:
        if self.token_delay_s and answer.count and \
                await self._pause(request, self.token_delay_s * answer.count):
            return web.Response(status=503)
        content = "" if fault == "empty" else answer.text
        finish = None if fault == "no_finish_reason" else answer.finish
        raw = _json.encode({
            "id": answer.id, "object": "chat.completion", "created": answer.created,
            "model": answer.model,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": content},
                         "logprobs": None, "finish_reason": finish}],
            "usage": answer.usage(0 if fault == "empty" else answer.count),
        })
        return await self.send_whole(
            request, raw, "hang_after_first_token" if fault == "stall_mid_stream" else fault)

    async def _stream(self, request: web.Request, answer: _Answer,
                      fault: Fault | None) -> web.StreamResponse:
        response = web.StreamResponse(status=200, headers={
            "Content-Type": "text/event-stream", "Cache-Control": "no-cache"})
        words = [] if fault == "empty" else answer.words
        size = self.words_per_chunk
        pieces = ["".join(words[i : i + size]) for i in range(0, len(words), size)]
        try:
            await response.prepare(request)
            await response.write(_event(answer.chunk({"role": "assistant", "content": ""})))
            for i, piece in enumerate(pieces):
                if fault == "drop_mid_stream" and i == self.drop_after_tokens:
                    self.abort(request)
                    return response
                if fault == "stall_mid_stream" and i == self.drop_after_tokens:
                    await self.hang(request)
                    return response
                if i and self.token_delay_s and await self._pause(request, self.token_delay_s):
                    return response
                await response.write(_event(answer.chunk({"content": piece})))
                if i == 0 and fault == "hang_after_first_token":
                    await self.hang(request)
                    return response
                if i == 0 and fault == "malformed_sse":
                    await response.write(b'data: {"id": "' + answer.id.encode() +
                                         b'", "choices": [{"delta": {"content": \n\n')
            if fault != "no_finish_reason":
                await response.write(_event(answer.chunk({}, finish=answer.finish)))
            if answer.include_usage:
                await response.write(_event(answer.usage_chunk(len(words))))
            if fault != "no_done":
                await response.write(b"data: [DONE]\n\n")
            await response.write_eof()
        except ConnectionResetError:
            self.client_left()
        return response


class _Answer:
    """The parts of one answer that every chunk or body repeats."""

    def __init__(self, answer_id: str, body: dict[str, Any], count: int, *,
                 default_model: str, content: str | None = None) -> None:
        self.id = answer_id
        self.created = int(time.time())
        model = body.get("model")
        self.model = model if isinstance(model, str) and model else default_model
        self.prompt = prompt_of(body)
        pieces = None if content is None else content_pieces(content)
        if pieces is not None:
            count = len(pieces)
        limit = body.get("max_completion_tokens", body.get("max_tokens"))
        self.count, self.finish = count, "stop"
        if isinstance(limit, int) and limit < count:
            self.count, self.finish = max(0, limit), "length"
        if pieces is None:
            self.words = fake_words(self.prompt, self.count)
        else:
            self.words = pieces[: self.count]
        self.text = "".join(self.words)
        options = body.get("stream_options")
        self.include_usage = isinstance(options, dict) and options.get("include_usage") is True

    def usage(self, completion_tokens: int) -> dict[str, int]:
        prompt_tokens = max(1, len(self.prompt) // 4)
        return {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                "total_tokens": prompt_tokens + completion_tokens}

    def chunk(self, delta: dict[str, str], *, finish: str | None = None) -> dict[str, Any]:
        chunk: dict[str, Any] = {
            "id": self.id, "object": "chat.completion.chunk", "created": self.created,
            "model": self.model,
            "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}],
        }
        if self.include_usage:
            chunk["usage"] = None
        return chunk

    def usage_chunk(self, completion_tokens: int) -> dict[str, Any]:
        return {"id": self.id, "object": "chat.completion.chunk", "created": self.created,
                "model": self.model, "choices": [], "usage": self.usage(completion_tokens)}


def _event(chunk: dict[str, Any]) -> bytes:
    return b"data: " + _json.encode(chunk) + b"\n\n"


def _error(status: int, type_: str, message: str, *, code: str | None = None,
           retry_after_s: float | None = None) -> web.Response:
    headers = {} if retry_after_s is None else {"Retry-After": f"{retry_after_s:g}"}
    payload = {"error": {"message": message, "type": type_, "param": None, "code": code}}
    return json_response(status, payload, headers)


async def _serve(args: argparse.Namespace) -> None:
    fake = FakeUpstream(model=args.model, output_tokens=args.tokens,
                        headers_delay_s=args.ttft_ms / 1000, token_delay_s=args.token_ms / 1000,
                        words_per_chunk=args.words_per_chunk, fault=args.fault,
                        retry_after_s=args.retry_after,
                        host=args.host, port=args.port)
    async with fake:
        print(f"fake upstream listening on {fake.base_url}", flush=True)
        await anyio.sleep_forever()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.fake_upstream",
                                     description="A fake OpenAI-compatible upstream.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    parser.add_argument("--model", default="fake-model")
    parser.add_argument("--tokens", type=int, default=16, help="words per answer")
    parser.add_argument("--ttft-ms", type=float, default=0.0, help="delay before headers")
    parser.add_argument("--token-ms", type=float, default=0.0, help="delay between content deltas")
    parser.add_argument("--words-per-chunk", type=int, default=1,
                        help="words in each streamed content delta")
    parser.add_argument("--fault", choices=FAULTS, default=None,
                        help="fail every call this way (x-fake-fault overrides it)")
    parser.add_argument("--retry-after", type=float, default=1.0,
                        help="Retry-After seconds on 429 and 503")
    parser.add_argument("--no-uvloop", action="store_true")
    args = parser.parse_args(argv)
    uvloop = not args.no_uvloop and importlib.util.find_spec("uvloop") is not None
    try:
        anyio.run(_serve, args, backend_options={"use_uvloop": uvloop})
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
