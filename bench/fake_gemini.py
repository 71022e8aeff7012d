"""A fake Gemini API (generateContent), for tests: the real wire format over real HTTP.

- `POST /v1beta/models/<model>:generateContent`: one `GenerateContentResponse`.
- `POST /v1beta/models/<model>:streamGenerateContent?alt=sse`: one response per word as
  `data: <json>` events separated by CRLF pairs, as Google sends them; the last carries
  `finishReason` and the full `usageMetadata`. There is no end marker. (Without
  `alt=sse` the real API streams a JSON array; this fake refuses that with a 400.)

It refuses what the real API refuses: no key (`x-goog-api-key` or `?key=`) is a 403
PERMISSION_DENIED; unknown top-level or `generationConfig` fields, roles other than
user and model, turns of one role in a row, parts that are not exactly one kind, and a
count of function responses that differs from the calls of the turn before are a 400
INVALID_ARGUMENT, and so is any penalty (a zero one too) sent to a model whose name
starts with `gemini-2.5` or `gemini-3`, which have none. (It is stricter than Google
about field names: camelCase only.)

The answer is `fake_words(prompt, n)` (the system instruction and every text part,
joined by newlines), cut to `maxOutputTokens` with finish reason MAX_TOKENS. When the
request declares functions (and the calling mode is not NONE) and the last turn holds
no function response, the answer is one whole `functionCall` of the first declared
function (or the first allowed one) with `{"query": <last user text>}`, finish STOP.

A model whose name starts with `gemini-3` signs each function call it makes
(`thoughtSignature`) and, as Gemini 3 does, refuses with a 400 a request whose current
turn (after the last user content that is not only function responses) has a model
content whose first function call comes back unsigned.

Faults (`FAULTS`), chosen as `bench.fake_server` says:

- `http_500`: INTERNAL; `http_503`: UNAVAILABLE (model overloaded); `http_429`:
  RESOURCE_EXHAUSTED with a `RetryInfo` detail of `retry_after_s` (Google's retry
  hint: there is no Retry-After header).
- `bad_key`: 400 INVALID_ARGUMENT with reason API_KEY_INVALID, as Google answers a
  wrong key; its message echoes the key (as some proxies do), so a test can check the
  key never reaches a fault.
- `hang_before_headers`; `hang_after_first_token` (JSON: half the body, then nothing).
- `malformed_sse`: a `data:` line that is not JSON after the first word (JSON: a body
  cut in the middle); `drop_mid_stream`: the connection aborted after
  `drop_after_tokens` words (JSON: after half the announced body).
- `empty`: a candidate with no parts, finish STOP; `empty_body`: a zero-length 200.
- `no_finish_reason`: every word, but no chunk carries a finish reason.
- `blocked`: the prompt refused: `promptFeedback.blockReason` SAFETY, no candidates.
- `safety`: the first word, then a candidate with finish SAFETY and no content.
- `error_event`: the first word, then an error chunk (503 UNAVAILABLE) and the end of the
  stream, as Google does when overloaded mid-answer (JSON: a 503).

    async with FakeGemini(output_tokens=8) as fake:
        ...  # point an adapter at fake.base_url (no /v1beta: the adapter adds it)
"""

from __future__ import annotations

import base64
from typing import Any, Final, Literal, get_args

from aiohttp import web

from bench.fake_server import FakeServer, Invalid, SharedFault, encode, json_response, read_object
from bench.fake_upstream import fake_text, fake_words

Fault = Literal[SharedFault, "bad_key", "no_finish_reason", "blocked", "safety", "error_event"]
FAULTS: Final[tuple[Fault, ...]] = get_args(Fault)

FIELDS: Final = frozenset({"contents", "systemInstruction", "generationConfig", "tools",
                           "toolConfig", "safetySettings", "cachedContent"})
GENERATION_FIELDS: Final = frozenset({
    "temperature", "topP", "topK", "maxOutputTokens", "stopSequences", "candidateCount",
    "responseMimeType", "responseSchema", "responseJsonSchema", "seed", "presencePenalty",
    "frequencyPenalty", "thinkingConfig", "responseLogprobs", "logprobs",
})
PART_KINDS: Final = frozenset({"text", "inlineData", "fileData", "functionCall",
                               "functionResponse"})
SEPARATOR: Final = b"\r\n\r\n"
PENALTIES: Final = frozenset({"presencePenalty", "frequencyPenalty"})
UNPENALISED: Final = ("gemini-2.5", "gemini-3")
"""Models whose names start so refuse any penalty, a zero one too, as Google's do."""
SIGNING: Final = "gemini-3"
"""Models whose names start so sign their function calls and check the signatures."""
OVERLOADED: Final = "The model is overloaded. Please try again later."


def parts_of(content: object) -> list[dict[str, Any]]:
    parts = content.get("parts") if isinstance(content, dict) else None
    return [part for part in parts if isinstance(part, dict)] if isinstance(parts, list) else []


def prompt_of(body: dict[str, Any]) -> str:
    texts = [p["text"] for p in parts_of(body.get("systemInstruction")) if "text" in p]
    for content in body.get("contents") or []:
        texts.extend(p["text"] for p in parts_of(content) if isinstance(p.get("text"), str))
    return "\n".join(texts)


def last_user_text(body: dict[str, Any]) -> str:
    for content in reversed(body.get("contents") or []):
        if content.get("role") == "user":
            return "\n".join(p["text"] for p in parts_of(content)
                             if isinstance(p.get("text"), str))
    return ""


def check(body: dict[str, Any], model: str = "") -> None:
    """Raise `Invalid` for what the real API refuses (of `model`: a Gemini 3 model checks
    thought signatures)."""
    for key in body:
        if key not in FIELDS:
            raise Invalid(f"Invalid JSON payload received. Unknown name \"{key}\": "
                          "Cannot find field.")
    for key in body.get("generationConfig") or {}:
        if key not in GENERATION_FIELDS:
            raise Invalid(f"Invalid JSON payload received. Unknown name \"{key}\" at "
                          "'generation_config': Cannot find field.")
        if key in PENALTIES and model.startswith(UNPENALISED):
            raise Invalid(f"Penalty is not enabled for models/{model}")
    contents = body.get("contents")
    if not isinstance(contents, list) or not contents:
        raise Invalid("* GenerateContentRequest.contents: contents is not specified")
    previous: str | None = None
    calls = 0
    for i, content in enumerate(contents):
        role = content.get("role") if isinstance(content, dict) else None
        if role not in ("user", "model"):
            raise Invalid("Please use a valid role: user, model.")
        if role == previous:
            raise Invalid("Please ensure that multiturn requests alternate between user "
                          "and model.")
        parts = parts_of(content)
        if not parts:
            raise Invalid(f"* GenerateContentRequest.contents[{i}].parts: contents.parts "
                          "must not be empty.")
        for j, part in enumerate(parts):
            kinds = PART_KINDS & set(part)
            if len(kinds) != 1:
                raise Invalid(f"* GenerateContentRequest.contents[{i}].parts[{j}].data: "
                              "required oneof field 'data' must have one initialized field")
        responses = sum(1 for part in parts if "functionResponse" in part)
        if calls and responses != calls:
            raise Invalid("Please ensure that the number of function response parts is "
                          "equal to the number of function call parts of the function "
                          "call turn.")
        calls = sum(1 for part in parts if "functionCall" in part)
        previous = role
    if model.startswith(SIGNING):
        _check_signatures(contents)


def _check_signatures(contents: list[Any]) -> None:
    """Gemini 3 refuses a step of the current turn (the contents after the last user
    content that is not only function responses) whose first function call comes back
    without the thought signature it was given."""
    start = max((i for i, content in enumerate(contents) if content.get("role") == "user"
                 and any("functionResponse" not in part for part in parts_of(content))),
                default=0)
    for i, content in enumerate(contents[start:], start):
        calls = [part for part in parts_of(content) if "functionCall" in part]
        if content.get("role") == "model" and calls and \
                not isinstance(calls[0].get("thoughtSignature"), str):
            raise Invalid(f"Function call {calls[0]['functionCall'].get('name')!r} in "
                          f"content {i} has no thought_signature; function calls of the "
                          "current turn need theirs.")


def _function_to_call(body: dict[str, Any]) -> str | None:
    declared = [d for tool in body.get("tools") or []
                for d in tool.get("functionDeclarations") or []]
    config = (body.get("toolConfig") or {}).get("functionCallingConfig") or {}
    last = (body.get("contents") or [{}])[-1]
    answered = any("functionResponse" in part for part in parts_of(last))
    if not declared or config.get("mode") == "NONE" or answered:
        return None
    allowed = config.get("allowedFunctionNames") or []
    return str(allowed[0]) if allowed else str(declared[0]["name"])


class _Answer:
    def __init__(self, number: int, model: str, body: dict[str, Any], count: int) -> None:
        self.id = f"fake-response-{number:04d}"
        self.model = model
        self.prompt = prompt_of(body)
        self.prompt_tokens = max(1, len(self.prompt) // 4)
        self.function = _function_to_call(body)
        self.query = last_user_text(body)
        limit = (body.get("generationConfig") or {}).get("maxOutputTokens")
        self.count, self.finish = count, "STOP"
        if isinstance(limit, int) and limit < count:
            self.count, self.finish = limit, "MAX_TOKENS"

    def chunk(self, parts: list[dict[str, Any]] | None, *, finish: str | None = None,
              completion_tokens: int | None = None) -> dict[str, Any]:
        candidate: dict[str, Any] = {"index": 0}
        if parts is not None:
            candidate["content"] = {"parts": parts, "role": "model"}
        if finish is not None:
            candidate["finishReason"] = finish
        usage: dict[str, int] = {"promptTokenCount": self.prompt_tokens,
                                 "totalTokenCount": self.prompt_tokens}
        if completion_tokens is not None:
            usage["candidatesTokenCount"] = completion_tokens
            usage["totalTokenCount"] += completion_tokens
        return {"candidates": [candidate], "usageMetadata": usage,
                "modelVersion": self.model, "responseId": self.id}

    def call_part(self) -> dict[str, Any]:
        part: dict[str, Any] = {"functionCall": {"name": self.function,
                                                 "args": {"query": self.query}}}
        if self.model.startswith(SIGNING):
            part["thoughtSignature"] = self.signature
        return part

    @property
    def signature(self) -> str:
        """The thought signature of this answer's function call (base64, as Google's)."""
        return base64.b64encode(f"thought of {self.id}".encode()).decode()

    def blocked(self) -> dict[str, Any]:
        return {"promptFeedback": {"blockReason": "SAFETY", "safetyRatings": [
                    {"category": "HARM_CATEGORY_DANGEROUS_CONTENT", "probability": "HIGH"}]},
                "usageMetadata": {"promptTokenCount": self.prompt_tokens,
                                  "totalTokenCount": self.prompt_tokens},
                "modelVersion": self.model, "responseId": self.id}


def sse(payload: dict[str, Any]) -> bytes:
    return b"data: " + encode(payload) + SEPARATOR


class FakeGemini(FakeServer[Fault]):
    """The Gemini API on 127.0.0.1; `async with FakeGemini() as fake`."""

    known = FAULTS
    default_model = "gemini-fake"

    def routes(self, app: web.Application) -> None:
        app.router.add_post("/v1beta/models/{target}", self._generate)

    async def _generate(self, request: web.Request) -> web.StreamResponse:
        model, _, method = request.match_info["target"].partition(":")
        if method not in ("generateContent", "streamGenerateContent"):
            return self._error(404, "NOT_FOUND", f"method {method!r} is not found")
        stream = method == "streamGenerateContent"
        try:
            body = await read_object(request)
            count = self.count_for(request)
        except Invalid as exc:
            return self._error(400, "INVALID_ARGUMENT", str(exc))
        fault = self.fault_for(request)
        self.record(request, body, fault)
        key = request.headers.get("x-goog-api-key") or request.query.get("key")
        if not key:
            return self._error(403, "PERMISSION_DENIED", "Method doesn't allow unregistered "
                               "callers (callers without established identity). Please use "
                               "API Key or other form of API consumer identity to call this "
                               "API.")
        if fault == "bad_key":
            return self._error(400, "INVALID_ARGUMENT", f"API key not valid: {key}", [
                {"@type": "type.googleapis.com/google.rpc.ErrorInfo",
                 "reason": "API_KEY_INVALID", "domain": "googleapis.com",
                 "metadata": {"service": "generativelanguage.googleapis.com"}}])
        if stream and request.query.get("alt") != "sse":
            return self._error(400, "INVALID_ARGUMENT", "this fake streams only with alt=sse")
        try:
            check(body, model)
        except Invalid as exc:
            return self._error(400, "INVALID_ARGUMENT", str(exc))
        answer = _Answer(self.next_id(), model, body, count)
        return await self.serve(lambda: self._answer(request, answer, fault, stream))

    def _error(self, status: int, code: str, message: str,
               details: list[dict[str, Any]] | None = None) -> web.Response:
        error: dict[str, Any] = {"code": status, "message": message, "status": code}
        if details:
            error["details"] = details
        return json_response(status, {"error": error})

    async def _answer(self, request: web.Request, answer: _Answer, fault: Fault | None,
                      stream: bool) -> web.StreamResponse:
        match fault:
            case "http_500":
                return self._error(500, "INTERNAL", "An internal error has occurred. Please "
                                   "retry or report in https://developers.generativeai.google"
                                   "/guide/troubleshooting")
            case "http_503":
                return self._error(503, "UNAVAILABLE", OVERLOADED)
            case "error_event" if not stream:
                return self._error(503, "UNAVAILABLE", OVERLOADED)
            case "http_429":
                return self._error(429, "RESOURCE_EXHAUSTED", "You exceeded your current "
                                   "quota, please check your plan and billing details.", [
                                       {"@type": "type.googleapis.com/google.rpc.RetryInfo",
                                        "retryDelay": f"{self.retry_after_s:g}s"}])
            case _:
                pass
        early = await self.before_answer(request, fault, stream=stream)
        if early is not None:
            return early
        if stream:
            return await self._stream(request, answer, fault)
        return await self.send_whole(request, encode(self._whole(answer, fault)), fault)

    def _whole(self, answer: _Answer, fault: Fault | None) -> dict[str, Any]:
        finish = None if fault == "no_finish_reason" else answer.finish
        match fault:
            case "blocked":
                return answer.blocked()
            case "safety":
                return answer.chunk(None, finish="SAFETY", completion_tokens=0)
            case "empty":
                return answer.chunk([], finish="STOP", completion_tokens=0)
            case _ if answer.function is not None:
                return answer.chunk([answer.call_part()], finish=finish, completion_tokens=8)
            case _:
                return answer.chunk([{"text": fake_text(answer.prompt, answer.count)}],
                                    finish=finish, completion_tokens=answer.count)

    async def _stream(self, request: web.Request, answer: _Answer,
                      fault: Fault | None) -> web.StreamResponse:
        response = web.StreamResponse(status=200, headers={
            "Content-Type": "text/event-stream", "Cache-Control": "no-cache"})
        try:
            await response.prepare(request)
            if fault in ("blocked", "empty") or answer.function is not None:
                await response.write(sse(self._whole(answer, fault)))
                await response.write_eof()
                return response
            words = fake_words(answer.prompt, answer.count)
            for i, word in enumerate(words):
                if fault == "drop_mid_stream" and i == self.drop_after_tokens:
                    self.abort(request)
                    return response
                last = i == len(words) - 1 and fault not in ("no_finish_reason", "safety")
                await response.write(sse(answer.chunk(
                    [{"text": word}], finish=answer.finish if last else None,
                    completion_tokens=answer.count if last else None)))
                if i == 0 and fault == "hang_after_first_token":
                    await self.hang(request)
                    return response
                if i == 0 and fault == "malformed_sse":
                    await response.write(b'data: {"candidates": [{"content": \r\n\r\n')
                if i == 0 and fault == "error_event":
                    await response.write(sse({"error": {"code": 503, "message": OVERLOADED,
                                                         "status": "UNAVAILABLE"}}))
                    break
                if i == 0 and fault == "safety":
                    await response.write(sse(answer.chunk(None, finish="SAFETY",
                                                          completion_tokens=1)))
                    break
            await response.write_eof()
        except ConnectionResetError:
            self.client_left()
        return response
