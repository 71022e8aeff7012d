"""The OpenAI chat-completions wire format, as typed Structs.

Requests are decoded straight into `ChatRequest` at the HTTP edge (or built by an
embedding program); unknown fields are ignored, as OpenAI's SDKs add new ones often.
Fields Reactor only passes through (tool schemas, logit bias) stay `msgspec.Raw`: opaque
JSON, never parsed into dicts.
"""

from __future__ import annotations

import math
import re
from typing import Annotated, Literal, NamedTuple

import msgspec


class TextPart(msgspec.Struct, frozen=True, kw_only=True, tag="text", tag_field="type"):
    text: str


class ImageURL(msgspec.Struct, frozen=True, kw_only=True):
    url: str
    detail: str | None = None


class ImagePart(msgspec.Struct, frozen=True, kw_only=True, tag="image_url", tag_field="type"):
    image_url: ImageURL


ContentPart = TextPart | ImagePart


class FunctionCall(msgspec.Struct, frozen=True, kw_only=True):
    name: str
    arguments: str


class ToolCall(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    function: FunctionCall
    type: Literal["function"] = "function"


class ChatMessage(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    role: Literal["system", "developer", "user", "assistant", "tool"]
    content: str | list[ContentPart] | None = None
    name: str | None = None
    tool_calls: list[ToolCall] | None = None
    tool_call_id: str | None = None

    @property
    def text(self) -> str:
        """The message's text, parts joined; images contribute nothing."""
        content = self.content
        if content is None:
            return ""
        if isinstance(content, str):
            return content
        return "\n".join(part.text for part in content if isinstance(part, TextPart))


class FunctionDef(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    name: str
    description: str | None = None
    parameters: msgspec.Raw = msgspec.Raw()
    strict: bool | None = None


class Tool(msgspec.Struct, frozen=True, kw_only=True):
    function: FunctionDef
    type: Literal["function"] = "function"


class ResponseFormat(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    type: Literal["text", "json_object", "json_schema"]
    json_schema: msgspec.Raw = msgspec.Raw()


class StreamOptions(msgspec.Struct, frozen=True, kw_only=True):
    include_usage: bool = False


NonNegative = Annotated[float, msgspec.Meta(ge=0)]


class Preferences(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Relative weights the caller puts on quality, cost and latency.

    None may be negative: a negative cost weight would rank the dearest model first."""

    quality: NonNegative = 0.0
    cost: NonNegative = 0.0
    latency: NonNegative = 0.0
    willingness_to_pay: NonNegative | None = None
    """USD per point of quality (0..1): trades cost for quality smoothly."""


class Constraints(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Hard limits on the models a request may go to. Unbounded, a NaN or a quality
    past 1 (`1e999` is infinity in JSON) was read as no limit at all."""

    max_cost_usd: NonNegative | None = None
    max_latency_ms: NonNegative | None = None
    min_quality: Annotated[float, msgspec.Meta(ge=0, le=1)] | None = None


class CacheOptions(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    mode: Literal["off", "exact", "semantic", "refresh"] | None = None
    """`refresh` skips the lookup but stores the new answer (Cache-Control: no-cache)."""
    ttl_s: Annotated[float, msgspec.Meta(gt=0)] | None = None
    """Positive, as `cache.ttl_s` in router.toml; `mode = "off"` is how not to store."""


class ChatRequest(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    messages: list[ChatMessage]
    model: str = "auto"
    stream: bool = False
    temperature: float | None = None
    top_p: float | None = None
    max_tokens: int | None = None
    max_completion_tokens: int | None = None
    stop: str | list[str] | None = None
    seed: int | None = None
    n: int | None = None
    presence_penalty: float | None = None
    frequency_penalty: float | None = None
    logit_bias: msgspec.Raw = msgspec.Raw()
    tools: list[Tool] | None = None
    tool_choice: msgspec.Raw = msgspec.Raw()
    parallel_tool_calls: bool | None = None
    response_format: ResponseFormat | None = None
    stream_options: StreamOptions | None = None
    user: str | None = None
    # Passed on to OpenAI-compatible upstreams as they are (the upstream judges the
    # value; its 400 reaches the caller as a 400); the Anthropic and Gemini adapters
    # have no equivalent and leave them out.
    reasoning_effort: str | None = None
    verbosity: str | None = None
    # Outputs Reactor does not give: held only to refuse a request that asks for them
    # (`check_chat_request`) rather than answer it without them.
    logprobs: bool | None = None
    top_logprobs: int | None = None
    modalities: list[str] | None = None
    audio: msgspec.Raw = msgspec.Raw()
    # Reactor's own extensions; OpenAI SDKs send them through `extra_body`.
    mode: Literal["fast", "balanced", "accurate"] | None = None
    preferences: Preferences | None = None
    constraints: Constraints | None = None
    cache: CacheOptions | None = None

    @property
    def output_limit(self) -> int | None:
        return self.max_completion_tokens if self.max_completion_tokens is not None \
            else self.max_tokens

    @property
    def last_user_text(self) -> str:
        for message in reversed(self.messages):
            if message.role == "user":
                return message.text
        return ""


class ResponseMessage(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    # `role` has no default so that `omit_defaults` cannot leave it out: typed clients
    # (Rust's async-openai, generated ones) refuse a message without it.
    role: Literal["assistant"]
    content: str | None
    tool_calls: list[ToolCall] | None = None


class Choice(msgspec.Struct, frozen=True, kw_only=True):
    index: int
    message: ResponseMessage
    finish_reason: str | None
    logprobs: None = None


class CompletionUsage(msgspec.Struct, frozen=True, kw_only=True):
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int


class CandidateInfo(msgspec.Struct, frozen=True, kw_only=True):
    model: str
    score: float
    quality: float
    cost_usd: float
    latency_ms: float


class FeaturesInfo(msgspec.Struct, frozen=True, kw_only=True):
    task: str
    task_confidence: float
    complexity: float
    prompt_tokens: int
    has_code: bool
    has_math: bool
    language: str
    turns: int
    output_tokens: int | None = None


class DecisionInfo(msgspec.Struct, frozen=True, kw_only=True):
    """A routing decision as callers see it (`/api/v1/route`, `router.decision`)."""

    model: str
    fallbacks: list[str]
    reason: str
    confidence: float
    mode: str
    routing_ms: float
    estimated_cost_usd: float
    alternatives: list[CandidateInfo]
    features: FeaturesInfo | None = None


class PartInfo(msgspec.Struct, frozen=True, kw_only=True):
    """One model's share of an answer that a stream continued on another model."""

    model: str
    prompt_tokens: int
    completion_tokens: int
    cost_usd: float


class RouterInfo(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """What Reactor decided, attached to responses as `router`."""

    request_id: str
    model: str
    reason: str
    cache: str = "miss"
    cost_usd: float = 0.0
    similarity: float | None = None
    decision: DecisionInfo | None = None
    parts: list[PartInfo] | None = None
    """Present when more than one model wrote the answer: each one's share, in order."""
    stages_ms: dict[str, float] | None = None
    """Present on a traced request: the milliseconds spent in each stage, in order."""


class FeedbackRequest(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """`POST /api/v1/feedback`: a 1-5 rating (or a 0-1 score) of one answer."""

    request_id: str
    rating: Annotated[int, msgspec.Meta(ge=1, le=5)] | None = None
    score: Annotated[float, msgspec.Meta(ge=0, le=1)] | None = None
    comment: str | None = None

    @property
    def value(self) -> float:
        if self.score is not None:
            return self.score
        assert self.rating is not None
        return (self.rating - 1) / 4


class ChatCompletion(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    created: int
    model: str
    choices: list[Choice]
    usage: CompletionUsage
    object: Literal["chat.completion"] = "chat.completion"
    system_fingerprint: str | None = None
    router: RouterInfo | None = None

    @property
    def text(self) -> str:
        return self.choices[0].message.content or "" if self.choices else ""


class FunctionDelta(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    name: str | None = None
    arguments: str = ""


class ToolCallChunk(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    index: int
    function: FunctionDelta
    id: str | None = None
    type: Literal["function"] | None = None


class Delta(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    role: Literal["assistant"] | None = None
    content: str | None = None
    tool_calls: list[ToolCallChunk] | None = None


class ChunkChoice(msgspec.Struct, frozen=True, kw_only=True):
    index: int
    delta: Delta
    finish_reason: str | None = None


class ChatCompletionChunk(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    # No default for `object`, as for `ResponseMessage.role`: typed clients require it.
    id: str
    object: Literal["chat.completion.chunk"]
    created: int
    model: str
    choices: list[ChunkChoice]
    usage: CompletionUsage | None = None
    router: RouterInfo | None = None


class ErrorBody(msgspec.Struct, frozen=True, kw_only=True):
    message: str
    type: str
    param: str | None = None
    code: str | None = None


class ErrorResponse(msgspec.Struct, frozen=True, kw_only=True):
    error: ErrorBody


class ModelCard(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    owned_by: str
    created: int = 0
    object: Literal["model"] = "model"
    available: bool = True
    unavailable_reason: str | None = None


class ModelList(msgspec.Struct, frozen=True, kw_only=True):
    data: list[ModelCard]
    object: Literal["list"] = "list"


_PATH = re.compile(r" - at `\$(?P<path>[^`]*)`$")
_FIELD = re.compile(r"Object (?P<problem>missing required|contains unknown) field "
                    r"`(?P<field>[^`]+)`")


class Located(NamedTuple):
    """Where a msgspec validation error points: `models[2].price_in`, what it said, and
    whether a field was missing or unknown (that field is then the path's last part)."""

    path: str
    message: str
    problem: Literal["missing", "unknown"] | None


def locate(exc: msgspec.ValidationError) -> Located:
    text = str(exc)
    match = _PATH.search(text)
    path = match.group("path").lstrip(".") if match else ""
    message = text[: match.start()] if match else text
    field = _FIELD.search(message)
    if field is None:
        return Located(path, message, None)
    name = field.group("field")
    problem: Literal["missing", "unknown"] = \
        "missing" if field.group("problem").startswith("missing") else "unknown"
    return Located(f"{path}.{name}" if path else name, message, problem)


class InvalidRequest(ValueError):
    """A request body failed validation; `param` names the offending field."""

    def __init__(self, message: str, param: str | None) -> None:
        self.param = param
        super().__init__(message)


_decoder = msgspec.json.Decoder(ChatRequest)


def decode_chat_request(body: bytes) -> ChatRequest:
    """Decode and check a chat request body, or raise `InvalidRequest` naming the field."""
    request = decode_chat_body(body)
    check_chat_request(request)
    return request


def decode_chat_body(body: bytes) -> ChatRequest:
    """`decode_chat_request` without `check_chat_request`: the types alone."""
    try:
        request = _decoder.decode(body)
    except msgspec.ValidationError as exc:
        raise invalid_from_validation(exc) from None
    except msgspec.DecodeError as exc:
        raise not_json(body, exc) from None
    except RecursionError:
        # msgspec recurses once per level of nesting, even through fields it skips
        # (`logit_bias`, unknown ones): a deep enough body exhausts the stack.
        raise InvalidRequest("request body is nested too deeply", None) from None
    return request


# A `\uD800`-`\uDBFF` escape (not itself escaped) that no `\u` follows: the first half of
# a surrogate pair without its second.
_LONE_HIGH = re.compile(rb"(?<!\\)(?:\\\\)*(\\u[dD][89abAB][0-9a-fA-F]{2})(?!\\u)")


def not_json(body: bytes, exc: msgspec.DecodeError) -> InvalidRequest:
    """A body that is not JSON, said as plainly as can be."""
    if not body.strip():
        return InvalidRequest("request body is empty: a JSON object is expected", None)
    detail = str(exc)
    # A JavaScript client that cut a string inside an emoji sends half of it; msgspec
    # calls that "truncated", or "unexpected end of hex escape", depending on what follows.
    lone = _LONE_HIGH.search(body)
    if lone is not None:
        detail = (f"{lone.group(1).decode()} at byte {lone.start(1)} is the first half "
                  "of a UTF-16 surrogate pair without its second (a character cut in two)")
    return InvalidRequest(f"request body is not valid JSON: {detail}", None)


def invalid_from_validation(exc: msgspec.ValidationError) -> InvalidRequest:
    path, message, _ = locate(exc)
    param = path or None
    where = f"{param}: " if param else ""
    return InvalidRequest(f"{where}{message}", param)


def check_chat_request(request: ChatRequest) -> None:
    """The rules a schema cannot say."""
    if not request.messages:
        raise InvalidRequest("messages: at least one message is required", "messages")
    if request.n not in (None, 1):
        raise InvalidRequest("n: only n=1 is supported", "n")
    constraints = request.constraints
    if constraints is not None:  # as its schema says, for a struct built in code too
        for name, most in (("max_cost_usd", math.inf), ("max_latency_ms", math.inf),
                           ("min_quality", 1.0)):
            value = getattr(constraints, name)
            if value is not None and not 0 <= value <= most:  # a NaN is neither
                raise InvalidRequest(f"constraints.{name}: must be between 0 and {most:g}",
                                     f"constraints.{name}")
    if request.stream_options is not None and not request.stream:
        # As OpenAI answers it: the options would be silently ignored.
        raise InvalidRequest("stream_options: only allowed when stream is true",
                             "stream_options")
    if request.logprobs or request.top_logprobs:
        name = "logprobs" if request.logprobs else "top_logprobs"
        raise InvalidRequest(f"{name}: Reactor does not return log probabilities", name)
    if request.modalities is not None and request.modalities != ["text"]:
        raise InvalidRequest('modalities: only ["text"] is supported', "modalities")
    if _opaque_type(request.audio):
        raise InvalidRequest("audio: Reactor does not return audio", "audio")
    if request.temperature is not None and not 0.0 <= request.temperature <= 2.0:
        raise InvalidRequest("temperature: must be between 0 and 2", "temperature")
    if request.top_p is not None and not 0.0 <= request.top_p <= 1.0:
        raise InvalidRequest("top_p: must be between 0 and 1", "top_p")
    # OpenAI refuses these with a 400; sent on, that 400 would read as every model
    # failing (a 502), and count against each model's breaker.
    for name in ("presence_penalty", "frequency_penalty"):
        value = getattr(request, name)
        if value is not None and not -2.0 <= value <= 2.0:
            raise InvalidRequest(f"{name}: must be between -2 and 2", name)
    if request.seed is not None and not -(2**63) <= request.seed < 2**63:
        raise InvalidRequest("seed: must fit in a signed 64-bit integer", "seed")
    for name in ("max_tokens", "max_completion_tokens"):
        value = getattr(request, name)
        if value is not None and value < 1:
            raise InvalidRequest(f"{name}: must be at least 1", name)
    if not request.model:
        raise InvalidRequest("model: must not be empty", "model")
    # OpenAI refuses an empty array where one is optional ("Expected an array with
    # minimum length 1"), and a json_schema format without its schema.
    if request.tools == []:
        raise InvalidRequest("tools: must not be empty (leave it out for no tools)", "tools")
    _check_opaque(request)
    for index, message in enumerate(request.messages):
        where = f"messages[{index}]"
        if message.content == []:
            raise InvalidRequest(f"{where}.content: must not be an empty array",
                                 f"{where}.content")
        if message.tool_calls == []:
            raise InvalidRequest(f"{where}.tool_calls: must not be an empty array",
                                 f"{where}.tool_calls")
        if message.role == "assistant":
            if message.content is None and not message.tool_calls:
                raise InvalidRequest(f"{where}.content: an assistant message needs content "
                                     "or tool_calls", f"{where}.content")
        elif message.content is None:
            raise InvalidRequest(f"{where}.content: required for a {message.role} message",
                                 f"{where}.content")
        if message.role == "tool" and not message.tool_call_id:
            raise InvalidRequest(f"{where}.tool_call_id: required for a tool message",
                                 f"{where}.tool_call_id")


_TOOL_CHOICES = (b'"none"', b'"auto"', b'"required"')


def _opaque_type(raw: msgspec.Raw) -> bytes:
    """The first byte of a passed-through JSON value (`{` for an object, `"` for a
    string, ...): enough to tell its type; empty when absent or null."""
    if not raw:
        return b""  # absent, as on most requests: no view to make
    head = memoryview(raw)[:1].tobytes()
    return b"" if head == b"n" else head


def _check_opaque(request: ChatRequest) -> None:
    """The JSON types of the fields Reactor passes through without parsing."""
    if _opaque_type(request.logit_bias) not in (b"", b"{"):
        raise InvalidRequest("logit_bias: expected an object of token ids to biases",
                             "logit_bias")
    choice = _opaque_type(request.tool_choice)
    if choice not in (b"", b"{") and bytes(request.tool_choice) not in _TOOL_CHOICES:
        raise InvalidRequest('tool_choice: expected "none", "auto", "required" or an '
                             "object naming a function", "tool_choice")
    for index, tool in enumerate(request.tools or ()):
        if _opaque_type(tool.function.parameters) not in (b"", b"{"):
            where = f"tools[{index}].function.parameters"
            raise InvalidRequest(f"{where}: expected a JSON Schema object", where)
    response_format = request.response_format
    if response_format is not None:
        schema = _opaque_type(response_format.json_schema)
        if schema == b"" and response_format.type == "json_schema":
            raise InvalidRequest("response_format.json_schema: required when type is "
                                 "json_schema", "response_format.json_schema")
        if schema not in (b"", b"{"):
            raise InvalidRequest("response_format.json_schema: expected an object",
                                 "response_format.json_schema")
