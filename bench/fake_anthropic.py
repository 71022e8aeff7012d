"""A fake Anthropic Messages API, for tests: the real wire format over real HTTP.

`POST /v1/messages` answers a JSON `message`, or with `"stream": true` the event stream
the real API sends: `message_start`, then per content block `content_block_start`,
`content_block_delta`s and `content_block_stop`, a `ping`, `message_delta` with the stop
reason and output tokens, `message_stop`; each as `event: <type>` and `data: <json>`.

It refuses what the real API refuses (a 400 `invalid_request_error`, or 401 without
`x-api-key`): unknown top-level fields, a missing `max_tokens` or `anthropic-version`,
both `temperature` and `top_p` for the newer models that take one (`ONE_SAMPLER`),
roles other than user and assistant, two turns of one role in a row, empty or
whitespace-only text blocks, a final assistant turn (a prefill) whose text ends in
whitespace, tool results that do not answer the calls of the turn before.

The answer is `fake_words(prompt, n)` (the system text and every text block, joined by
newlines), cut to `max_tokens` with stop reason `max_tokens`. When the request offers
tools (and `tool_choice` is not `none`) and the last turn is not a tool result, the
answer is a short text block, then a `tool_use` block calling the chosen tool (the
first, or the one `tool_choice` names) with `{"query": <last user text>}` (or `{}` when
the tool's schema declares no properties), its input streamed in small
`input_json_delta` pieces (an empty input as one empty piece, as the real API streams
it); stop reason `tool_use`.

Faults (`FAULTS`), chosen as `bench.fake_server` says:

- `http_500`: api_error; `http_503`: api_error with `retry-after`; `http_429`:
  rate_limit_error with `retry-after`; `http_529`: overloaded_error.
- `bad_key`: 401 authentication_error whose message echoes the key it got (as some
  proxies do), so a test can check the key never reaches a fault.
- `hang_before_headers`; `hang_after_first_token` (JSON: half the body, then nothing).
- `malformed_sse`: a `data:` line that is not JSON after the first delta (JSON: a body
  cut in the middle); `drop_mid_stream`: the connection aborted after
  `drop_after_tokens` content deltas (JSON: after half the announced body).
- `empty`: no content blocks, stop reason end_turn; `empty_body`: a zero-length 200.
- `no_stop_reason`: stop reason null; `no_message_stop`: everything but `message_stop`
  (JSON: a normal answer).
- `error_event`: an `error` event (overloaded_error) after the first delta, then the
  end of the stream, as the real API does when overloaded mid-answer (JSON: a 529).

    async with FakeAnthropic(output_tokens=8) as fake:
        ...  # point an adapter at fake.base_url (no /v1: the adapter adds it)
"""

from __future__ import annotations

from typing import Any, Final, Literal, get_args

from aiohttp import web

from bench.fake_server import FakeServer, Invalid, SharedFault, encode, json_response, read_object
from bench.fake_upstream import fake_text, fake_words

Fault = Literal[SharedFault, "http_529", "bad_key", "no_stop_reason", "no_message_stop",
                "error_event"]
FAULTS: Final[tuple[Fault, ...]] = get_args(Fault)

FIELDS: Final = frozenset({
    "model", "max_tokens", "messages", "system", "temperature", "top_p", "top_k",
    "stop_sequences", "stream", "tools", "tool_choice", "metadata", "thinking",
    "service_tier",
})
TOOL_FIELDS: Final = frozenset({"name", "description", "input_schema", "type",
                                "cache_control"})
ONE_SAMPLER: Final = ("claude-sonnet-4-5", "claude-haiku-4-5", "claude-opus-4-1",
                      "claude-opus-4-5")
"""Models whose names start so take `temperature` or `top_p`, not both, as Anthropic's
newer ones do."""
JSON_PIECE: Final = 8
"""Characters of tool input per `input_json_delta`."""


def blocks_of(content: object) -> list[dict[str, Any]]:
    if isinstance(content, str):
        return [{"type": "text", "text": content}]
    if isinstance(content, list):
        return [block for block in content if isinstance(block, dict)]
    return []


def system_text(body: dict[str, Any]) -> str:
    system = body.get("system")
    if isinstance(system, str):
        return system
    return "\n".join(b["text"] for b in blocks_of(system) if isinstance(b.get("text"), str))


def prompt_of(body: dict[str, Any]) -> str:
    texts = [system_text(body)] if body.get("system") else []
    for message in body.get("messages") or []:
        texts.extend(block["text"] for block in blocks_of(message.get("content"))
                     if block.get("type") == "text")
    return "\n".join(texts)


def last_user_text(body: dict[str, Any]) -> str:
    for message in reversed(body.get("messages") or []):
        if message.get("role") == "user":
            return "\n".join(block["text"] for block in blocks_of(message.get("content"))
                             if block.get("type") == "text")
    return ""


def check(body: dict[str, Any]) -> None:
    """Raise `Invalid` for what the real Messages API refuses."""
    for key in body:
        if key not in FIELDS:
            raise Invalid(f"{key}: Extra inputs are not permitted")
    if not isinstance(body.get("model"), str) or not body["model"]:
        raise Invalid("model: Field required")
    max_tokens = body.get("max_tokens")
    if not isinstance(max_tokens, int) or isinstance(max_tokens, bool) or max_tokens < 1:
        raise Invalid("max_tokens: Field required")
    temperature = body.get("temperature")
    if temperature is not None and not 0 <= temperature <= 1:
        raise Invalid("temperature: Input should be less than or equal to 1")
    if temperature is not None and body.get("top_p") is not None and \
            str(body.get("model")).startswith(ONE_SAMPLER):
        raise Invalid("`temperature` and `top_p` cannot both be specified for this model. "
                      "Please use only one.")
    system = body.get("system")
    if system is not None and not isinstance(system, str | list):
        raise Invalid("system: Input should be a valid string or list")
    for i, tool in enumerate(body.get("tools") or []):
        extra = set(tool) - TOOL_FIELDS
        if extra:
            raise Invalid(f"tools.{i}.{sorted(extra)[0]}: Extra inputs are not permitted")
        if not isinstance(tool.get("name"), str) or not isinstance(tool.get("input_schema"),
                                                                   dict):
            raise Invalid(f"tools.{i}: name and input_schema are required")
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise Invalid("messages: at least one message is required")
    _check_turns(messages)


def _check_turns(messages: list[Any]) -> None:
    previous: str | None = None
    calls: set[str] = set()
    for i, message in enumerate(messages):
        role = message.get("role") if isinstance(message, dict) else None
        if role not in ("user", "assistant"):
            raise Invalid(f"messages.{i}.role: Input should be 'user' or 'assistant'")
        if role == previous:
            raise Invalid(f"messages: roles must alternate between \"user\" and "
                          f"\"assistant\", but found multiple \"{role}\" roles in a row")
        blocks = blocks_of(message.get("content"))
        if not blocks:
            raise Invalid(f"messages.{i}: all messages must have non-empty content")
        answered = [b.get("tool_use_id") for b in blocks if b.get("type") == "tool_result"]
        if calls and (set(answered) != calls or
                      any(b.get("type") != "tool_result" for b in blocks[: len(answered)])):
            raise Invalid(f"messages.{i}: `tool_use` ids were found without `tool_result` "
                          "blocks immediately after")
        if answered and set(answered) - calls:
            raise Invalid(f"messages.{i}: unexpected `tool_use_id` found in `tool_result` "
                          "blocks")
        for j, block in enumerate(blocks):
            _check_block(block, role, f"messages.{i}.content.{j}")
        calls = {b["id"] for b in blocks if b.get("type") == "tool_use"}
        previous = role
    last = blocks_of(messages[-1].get("content"))
    if previous == "assistant" and last and last[-1].get("type") == "text" and \
            last[-1]["text"] != last[-1]["text"].rstrip():
        raise Invalid("final assistant content cannot end with trailing whitespace")


def _check_block(block: dict[str, Any], role: str, where: str) -> None:
    match block.get("type"):
        case "text":
            if not isinstance(block.get("text"), str) or not block["text"]:
                raise Invalid(f"{where}.text: text content blocks must be non-empty")
            if not block["text"].strip():
                raise Invalid("messages: text content blocks must contain non-whitespace "
                              "text")
        case "image":
            source = block.get("source")
            if not isinstance(source, dict) or source.get("type") not in ("base64", "url"):
                raise Invalid(f"{where}.source: a base64 or url source is required")
        case "tool_use" if role == "assistant":
            if not isinstance(block.get("id"), str) or not isinstance(block.get("name"), str) \
                    or not isinstance(block.get("input"), dict):
                raise Invalid(f"{where}: tool_use needs an id, a name and an input object")
        case "tool_result" if role == "user":
            if not isinstance(block.get("content", ""), str | list):
                raise Invalid(f"{where}.content: a string or a list of blocks is required")
        case other:
            raise Invalid(f"{where}.type: {other!r} is not allowed in a {role} turn")


def _tool_choice(body: dict[str, Any]) -> str | None:
    """The tool this answer calls, or None for a text answer."""
    tools = body.get("tools") or []
    choice = body.get("tool_choice") or {}
    last = (body.get("messages") or [{}])[-1]
    answered = any(b.get("type") == "tool_result" for b in blocks_of(last.get("content")))
    if not tools or choice.get("type") == "none" or answered:
        return None
    if choice.get("type") == "tool":
        return str(choice.get("name"))
    return str(tools[0]["name"])


def _takes_nothing(body: dict[str, Any], name: str) -> bool:
    """Whether tool `name`'s schema declares no properties at all (`"properties": {}`)."""
    for tool in body.get("tools") or []:
        if tool.get("name") == name:
            return (tool.get("input_schema") or {}).get("properties") == {}
    return False


class _Answer:
    """One answer, as the events of a stream; the JSON message is built from them."""

    def __init__(self, number: int, body: dict[str, Any], count: int, empty: bool) -> None:
        self.id = f"msg_fake{number:04d}"
        self.model = str(body["model"])
        self.prompt = prompt_of(body)
        self.input_tokens = max(1, len(self.prompt) // 4)
        self.tool = _tool_choice(body)
        limit = int(body["max_tokens"])
        self.count, self.stop_reason = count, "end_turn"
        if limit < count:
            self.count, self.stop_reason = limit, "max_tokens"
        self.blocks: list[dict[str, Any]] = []
        self.pieces: list[list[dict[str, Any]]] = []
        """Per block, its deltas in order."""
        if empty:
            self.count = 0
        elif self.tool is not None:
            self.stop_reason = "tool_use"
            preamble = f"Calling {self.tool}."
            self.count = 2
            self.blocks.append({"type": "text", "text": preamble})
            self.pieces.append([{"type": "text_delta", "text": preamble}])
            tool_input = {} if _takes_nothing(body, self.tool) else \
                {"query": last_user_text(body)}
            # An empty input streams as one empty piece, as the real API sends it.
            arguments = encode(tool_input).decode() if tool_input else ""
            self.blocks.append({"type": "tool_use", "id": f"toolu_fake{number:04d}",
                                "name": self.tool, "input": tool_input})
            self.pieces.append([{"type": "input_json_delta", "partial_json": ""}] + [
                {"type": "input_json_delta", "partial_json": arguments[i : i + JSON_PIECE]}
                for i in range(0, len(arguments), JSON_PIECE)])
        elif self.count:
            self.blocks.append({"type": "text", "text": fake_text(self.prompt, self.count)})
            self.pieces.append([{"type": "text_delta", "text": word}
                                for word in fake_words(self.prompt, self.count)])

    def message(self, *, stop_reason: str | None) -> dict[str, Any]:
        return {"id": self.id, "type": "message", "role": "assistant", "model": self.model,
                "content": self.blocks, "stop_reason": stop_reason, "stop_sequence": None,
                "usage": {"input_tokens": self.input_tokens, "output_tokens": self.count}}

    def start(self) -> dict[str, Any]:
        message = self.message(stop_reason=None)
        message["content"] = []
        message["usage"] = {"input_tokens": self.input_tokens, "output_tokens": 1}
        return {"type": "message_start", "message": message}


def event(payload: dict[str, Any]) -> bytes:
    return b"event: " + str(payload["type"]).encode() + b"\ndata: " + encode(payload) + \
        b"\n\n"


def error_body(kind: str, message: str) -> dict[str, Any]:
    return {"type": "error", "error": {"type": kind, "message": message},
            "request_id": "req_fake"}


class FakeAnthropic(FakeServer[Fault]):
    """The Messages API on 127.0.0.1; `async with FakeAnthropic() as fake`."""

    known = FAULTS
    default_model = "claude-fake"

    def routes(self, app: web.Application) -> None:
        app.router.add_post("/v1/messages", self._messages)

    async def _messages(self, request: web.Request) -> web.StreamResponse:
        try:
            body = await read_object(request)
            count = self.count_for(request)
        except Invalid as exc:
            return self._error(400, "invalid_request_error", str(exc))
        fault = self.fault_for(request)
        self.record(request, body, fault)
        key = request.headers.get("x-api-key")
        if not key:
            return self._error(401, "authentication_error", "x-api-key header is required")
        if fault == "bad_key":
            return self._error(401, "authentication_error", f"invalid x-api-key: {key}")
        if not request.headers.get("anthropic-version"):
            return self._error(400, "invalid_request_error",
                               "anthropic-version: header is required")
        try:
            check(body)
        except Invalid as exc:
            return self._error(400, "invalid_request_error", str(exc))
        return await self.serve(lambda: self._answer(request, body, fault, count))

    def _error(self, status: int, kind: str, message: str, *,
               retry_after: bool = False) -> web.Response:
        headers = {"retry-after": f"{self.retry_after_s:g}"} if retry_after else None
        return json_response(status, error_body(kind, message), headers)

    async def _answer(self, request: web.Request, body: dict[str, Any], fault: Fault | None,
                      count: int) -> web.StreamResponse:
        stream = body.get("stream") is True
        match fault:
            case "http_500":
                return self._error(500, "api_error", "Internal server error")
            case "http_503":
                return self._error(503, "api_error", "Service unavailable", retry_after=True)
            case "http_429":
                return self._error(429, "rate_limit_error", "Number of requests has exceeded "
                                   "your per-minute rate limit", retry_after=True)
            case "http_529":
                return self._error(529, "overloaded_error", "Overloaded")
            case "error_event" if not stream:
                return self._error(529, "overloaded_error", "Overloaded")
            case _:
                pass
        early = await self.before_answer(request, fault, stream=stream)
        if early is not None:
            return early
        answer = _Answer(self.next_id(), body, count, empty=fault == "empty")
        if stream:
            return await self._stream(request, answer, fault)
        stop_reason = None if fault == "no_stop_reason" else answer.stop_reason
        return await self.send_whole(request, encode(answer.message(stop_reason=stop_reason)),
                                     fault)

    async def _stream(self, request: web.Request, answer: _Answer,
                      fault: Fault | None) -> web.StreamResponse:
        response = web.StreamResponse(status=200, headers={
            "Content-Type": "text/event-stream; charset=utf-8", "Cache-Control": "no-cache"})
        deltas = 0
        try:
            await response.prepare(request)
            await response.write(event(answer.start()))
            for index, (block, pieces) in enumerate(zip(answer.blocks, answer.pieces,
                                                        strict=True)):
                opening = {**block, "text": ""} if block["type"] == "text" else \
                    {**block, "input": {}}
                await response.write(event({"type": "content_block_start", "index": index,
                                            "content_block": opening}))
                if index == 0:
                    await response.write(event({"type": "ping"}))
                for piece in pieces:
                    if fault == "drop_mid_stream" and deltas == self.drop_after_tokens:
                        self.abort(request)
                        return response
                    await response.write(event({"type": "content_block_delta",
                                                "index": index, "delta": piece}))
                    deltas += 1
                    if deltas == 1 and fault == "hang_after_first_token":
                        await self.hang(request)
                        return response
                    if deltas == 1 and fault == "malformed_sse":
                        await response.write(b'event: content_block_delta\ndata: {"type": '
                                             b'"content_block_delta", "index": \n\n')
                    if deltas == 1 and fault == "error_event":
                        await response.write(event(error_body("overloaded_error",
                                                              "Overloaded")))
                        await response.write_eof()
                        return response
                await response.write(event({"type": "content_block_stop", "index": index}))
            stop_reason = None if fault == "no_stop_reason" else answer.stop_reason
            await response.write(event({
                "type": "message_delta",
                "delta": {"stop_reason": stop_reason, "stop_sequence": None},
                "usage": {"output_tokens": answer.count}}))
            if fault != "no_message_stop":
                await response.write(event({"type": "message_stop"}))
            await response.write_eof()
        except ConnectionResetError:
            self.client_left()
        return response
