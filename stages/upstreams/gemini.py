"""Google's Gemini API (generateContent), spoken from and back to Reactor's OpenAI shapes.

The request is built by `gemini_request`. Back: Gemini sends whole function calls, never
fragments, so each becomes one tool-call delta with all its arguments and an id
(Gemini's own when it gives one); the thought signature a call comes with is kept, by
that id, to go back with the call in the next request (Gemini 3 requires it). Finish
reasons are normalised: STOP → stop (tool_calls when the answer called tools),
MAX_TOKENS → length, MALFORMED_FUNCTION_CALL (and the other tool-call failures) → a
`malformed` fault (the model failed, another may not), the filters (SAFETY, RECITATION,
BLOCKLIST, ...) → content_filter, and any other reason (OTHER, unspecified, one newer
than this adapter) → a `truncated` fault naming it: an answer stopped for no reason
given is not passed off as whole, nor as filtered. A prompt Gemini refuses to answer
(`promptFeedback.blockReason`) is a reply with finish reason content_filter and no text,
as OpenAI reports its own filter: the request was heard and answered "no", so it must
neither count against the model's health nor be retried elsewhere. A stream that ends
without a finish reason is `truncated`; the chunk with the finish reason is the last one
read (Gemini sends no end marker). Completion tokens include thinking tokens, which
Gemini bills as output. A stream that breaks after a chunk's `usageMetadata` counted the
output reports that usage on its fault (`Fault.usage`), and a sink is told of it as it
comes (`TokenSink.counted`), for a call its caller's timers cut short; one that counted
only the prompt is left to be estimated.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

import aiohttp
import msgspec

from reactor import ChatRequest, GeminiUpstream, Token, ToolCallDelta, Usage
from stages.upstreams import Fault, FaultKind, OnToken, Reply, TokenSink, parse_retry_after
from stages.upstreams._session import SessionUpstream
from stages.upstreams.gemini_request import Content, Signatures, model_path, translate
from stages.upstreams.wire import (
    present,
    raw_text,
    read_body,
    status_fault,
)


class _Candidate(msgspec.Struct, rename="camel"):
    content: Content | None = None
    finish_reason: str | None = None


class _UsageMetadata(msgspec.Struct, rename="camel"):
    prompt_token_count: int = 0
    candidates_token_count: int | None = None  # left out until the output is counted
    thoughts_token_count: int = 0


class _PromptFeedback(msgspec.Struct, rename="camel"):
    block_reason: str | None = None


class _Detail(msgspec.Struct, rename="camel"):
    reason: str | None = None
    retry_delay: str | None = None


class _Error(msgspec.Struct):
    code: int | None = None
    message: str = ""
    status: str | None = None
    details: list[_Detail] = []


class _Response(msgspec.Struct, rename="camel"):
    candidates: list[_Candidate] = []
    usage_metadata: _UsageMetadata | None = None
    prompt_feedback: _PromptFeedback | None = None
    error: _Error | None = None


class _ErrorBody(msgspec.Struct):
    error: _Error


_response = msgspec.json.Decoder(_Response)
# The streaming endpoint can answer an error as a one-element array.
_error_body: msgspec.json.Decoder[_ErrorBody | list[_ErrorBody]] = \
    msgspec.json.Decoder(_ErrorBody | list[_ErrorBody])


def gemini_status_fault(status: int, text: str, retry_after_s: float | None) -> Fault:
    """Like OpenAI's mapping, plus what Gemini says in the body: a bad key comes back
    as 400 API_KEY_INVALID, and a retry hint as a `RetryInfo` detail."""
    fault = status_fault(status, text, retry_after_s)
    try:
        body = _error_body.decode(text)
    except (msgspec.DecodeError, msgspec.ValidationError):
        return fault
    error = (body[0] if body else None) if isinstance(body, list) else body
    if error is None:
        return fault
    details = error.error.details
    if any(d.reason == "API_KEY_INVALID" for d in details):
        return Fault(kind="auth", status=status,
                     message=f"upstream refused the credentials ({status})")
    if fault.kind == "auth":
        return fault
    retry_after_s = fault.retry_after_s
    if retry_after_s is None and fault.kind != "client_error":
        retry_after_s = retry_delay(next((d.retry_delay for d in details if d.retry_delay),
                                         None))
    return msgspec.structs.replace(
        fault, message=f"upstream answered {status}: {error.error.message[:300]}",
        retry_after_s=retry_after_s)


def retry_delay(value: str | None) -> float | None:
    """Seconds from a protobuf duration (`"57.2s"`)."""
    if not value or not value.endswith("s"):
        return None
    return parse_retry_after(value[:-1])


class Assembly:
    """Turns response chunks into tokens and, at the end, the outcome. Pure: no I/O."""

    def __init__(self, new_id: Callable[[], str] | None = None,
                 signatures: Signatures | None = None) -> None:
        self._new_id = new_id or _call_id
        self._signatures = signatures
        self.calls = 0
        self.content = False
        self.finish: str | None = None
        self.done = False  # the chunk with the finish reason came: Gemini sends no end marker
        self.blocked: str | None = None
        self.usage: Usage | None = None
        self.counted = False  # the latest usage counted the output too

    def feed(self, chunk: _Response) -> Token | Fault | None:
        if chunk.error is not None:
            error = chunk.error
            kind: FaultKind = "rate_limited" if error.code == 429 or \
                error.status == "RESOURCE_EXHAUSTED" else "server_error"
            return Fault(kind=kind, message=f"upstream error: {error.message[:300]}")
        if chunk.usage_metadata is not None:
            meta = chunk.usage_metadata
            self.usage = Usage(prompt_tokens=meta.prompt_token_count,
                               completion_tokens=(meta.candidates_token_count or 0) +
                               meta.thoughts_token_count)
            self.counted = meta.candidates_token_count is not None
        if chunk.prompt_feedback is not None and chunk.prompt_feedback.block_reason:
            self.blocked = chunk.prompt_feedback.block_reason
        if not chunk.candidates:
            return None
        candidate = chunk.candidates[0]
        if candidate.finish_reason is not None:
            self.finish = candidate.finish_reason
            self.done = True
        parts = candidate.content.parts if candidate.content is not None else []
        text = "".join(p.text for p in parts if p.text and not p.thought)
        calls: list[ToolCallDelta] = []
        for part in parts:
            if part.function_call is None:
                continue
            call = part.function_call
            call_id = call.id or self._new_id()
            if part.thought_signature and self._signatures is not None:
                self._signatures.remember(call_id, part.thought_signature)
            calls.append(ToolCallDelta(index=self.calls + len(calls), id=call_id,
                                       name=call.name, arguments=raw_text(present(call.args))))
        self.calls += len(calls)
        if not text and not calls:
            return None
        self.content = True
        return Token(text=text, tool_calls=calls or None)

    def billed(self) -> Usage | None:
        """What the upstream said the call used so far, once it counted the output."""
        return self.usage if self.counted else None

    def reported(self) -> Usage | None:
        """A finished answer's usage: none (to be estimated) if it wrote something the
        upstream did not count, rather than zero output."""
        return self.usage if self.counted or not self.content else None

    def end(self) -> Reply | Fault:
        if self.blocked is not None and self.finish is None:
            return Reply(finish_reason="content_filter", usage=self.reported())
        if self.finish is None:
            return Fault(kind="truncated", message="upstream answer ended without a finish "
                         "reason")
        match self.finish:
            case "STOP":
                finish = "tool_calls" if self.calls else "stop"
            case "MAX_TOKENS":
                finish = "length"
            case "MALFORMED_FUNCTION_CALL" | "UNEXPECTED_TOOL_CALL" | "TOO_MANY_TOOL_CALLS":
                return Fault(kind="malformed", message="upstream model failed at calling a "
                             f"function ({self.finish})")
            case reason if reason in _FILTERS:
                return Reply(finish_reason="content_filter", usage=self.reported())
            case reason:
                return Fault(kind="truncated", message=f"upstream answer stopped for a "
                             f"reason it did not name ({reason})", usage=self.billed())
        if not self.content:
            return Fault(kind="empty", message="upstream answered with empty content")
        return Reply(finish_reason=finish, usage=self.reported())


_FILTERS = frozenset({"SAFETY", "RECITATION", "LANGUAGE", "BLOCKLIST", "PROHIBITED_CONTENT",
                      "SPII", "IMAGE_SAFETY", "IMAGE_PROHIBITED_CONTENT", "IMAGE_RECITATION"})


def _call_id() -> str:
    return f"call_{uuid.uuid4().hex[:24]}"


class Gemini(SessionUpstream[GeminiUpstream, Assembly]):
    provider = "Gemini"

    def __init__(self, model: str, config: GeminiUpstream, session: aiohttp.ClientSession,
                 *, connect_timeout_s: float = 5.0) -> None:
        super().__init__(model, config, session, connect_timeout_s=connect_timeout_s)
        base = f"{config.base_url.rstrip('/')}/v1beta/{model_path(config.model or model)}"
        self.url = base + ":generateContent"
        self.stream_url = base + ":streamGenerateContent?alt=sse"
        self.signatures = Signatures()

    def _headers(self) -> dict[str, str]:
        return {"content-type": "application/json", **self.config.headers,
                "x-goog-api-key": self._key or ""}

    def _translate(self, request: ChatRequest, stream: bool) -> object:
        return translate(request, self.signatures)

    def _url(self, stream: bool) -> str:
        return self.stream_url if stream else self.url

    def _status_fault(self, status: int, text: str, retry_after_s: float | None) -> Fault:
        return gemini_status_fault(status, text, retry_after_s)

    def _assembly(self) -> Assembly:
        return Assembly(signatures=self.signatures)

    async def _read_json(self, response: aiohttp.ClientResponse,
                         on_token: OnToken) -> Reply | Fault:
        chunk = await read_body(response, _response)
        if isinstance(chunk, Fault):
            return chunk
        assembly = self._assembly()
        token = assembly.feed(chunk)
        if isinstance(token, Fault):
            return token
        outcome = assembly.end()
        if token is not None and isinstance(outcome, Reply):
            await on_token(token)
        return outcome

    def _event(self, data: bytes, assembly: Assembly,
               sink: TokenSink | None) -> Token | Fault | None:
        try:
            chunk = _response.decode(data)
        except (msgspec.DecodeError, msgspec.ValidationError):
            return Fault(kind="malformed",
                         message=f"upstream sent a malformed stream event: {data[:120]!r}")
        given = assembly.feed(chunk)
        if isinstance(given, Fault):
            return given
        usage = assembly.billed() if chunk.usage_metadata is not None else None
        if sink is not None and usage is not None:
            sink.counted(usage)
        return given
