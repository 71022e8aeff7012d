"""The Gemini generateContent request, from Reactor's OpenAI-shaped `ChatRequest`.

User messages become `user` contents, assistant messages `model` contents, system and
developer messages the `systemInstruction`; consecutive contents of one role are merged,
and an empty message is left out. Tool definitions go as `functionDeclarations` with
their JSON Schema in `parametersJsonSchema` (the `parameters` field takes only an
OpenAPI subset and would refuse many OpenAI schemas); earlier calls go back as
`functionCall` parts and tool messages as `functionResponse` parts, named after the call
they answer; a call goes back with the thought signature Gemini gave it, kept by the
adapter (`Signatures`), or with the stand-in Google documents for one it did not sign.
Sampling options, the output limit, stop sequences and JSON mode go in
`generationConfig` (a penalty of zero, which is none, is left out). Only inline
(`data:`) images can be sent: Gemini does not fetch URLs. What the format cannot carry
raises `Untranslatable`.

`Content` and `Part` are Gemini's shapes both ways: answers are read with them too.
"""

from __future__ import annotations

from typing import Literal
from urllib.parse import quote

import msgspec

from reactor import ChatMessage, ChatRequest
from stages.upstreams.wire import (
    FunctionChoice,
    Named,
    Untranslatable,
    call_arguments,
    content_parts,
    data_url,
    json_object,
    present,
    stop_list,
    tool_choice_of,
)


class Blob(msgspec.Struct, rename="camel"):
    mime_type: str
    data: str


class FunctionCall(msgspec.Struct, omit_defaults=True):
    name: str
    args: msgspec.Raw = msgspec.Raw()
    id: str | None = None


class FunctionResponse(msgspec.Struct):
    name: str
    response: msgspec.Raw


class Part(msgspec.Struct, omit_defaults=True, rename="camel"):
    text: str | None = None
    inline_data: Blob | None = None
    function_call: FunctionCall | None = None
    function_response: FunctionResponse | None = None
    thought: bool | None = None
    thought_signature: str | None = None


UNSIGNED = "skip_thought_signature_validator"
"""What Google documents to send as the thought signature of a function call the model
did not sign (another model's, or one whose signature is not known any more)."""
SIGNATURES_KEPT = 4096


class Signatures:
    """The thought signatures of the function calls one model made, by call id: the most
    recent `SIGNATURES_KEPT`, the oldest forgotten first.

    OpenAI's tool calls have no room for them, and Gemini 3 refuses the calls of the
    current turn back without theirs."""

    def __init__(self, kept: int = SIGNATURES_KEPT) -> None:
        self.kept = kept
        self._by_call: dict[str, str] = {}

    def remember(self, call_id: str, signature: str) -> None:
        self._by_call.pop(call_id, None)
        self._by_call[call_id] = signature
        if len(self._by_call) > self.kept:
            del self._by_call[next(iter(self._by_call))]

    def get(self, call_id: str) -> str | None:
        return self._by_call.get(call_id)


Role = Literal["user", "model"]


class Content(msgspec.Struct, omit_defaults=True):
    parts: list[Part] = []
    role: str | None = None


class _FunctionDeclaration(msgspec.Struct, omit_defaults=True, rename="camel"):
    name: str
    description: str | None = None
    parameters_json_schema: msgspec.Raw | None = None


class _Tool(msgspec.Struct, rename="camel"):
    function_declarations: list[_FunctionDeclaration]


class _FunctionCallingConfig(msgspec.Struct, omit_defaults=True, rename="camel"):
    mode: Literal["AUTO", "ANY", "NONE"]
    allowed_function_names: list[str] | None = None


class _ToolConfig(msgspec.Struct, rename="camel"):
    function_calling_config: _FunctionCallingConfig


class _GenerationConfig(msgspec.Struct, omit_defaults=True, rename="camel"):
    temperature: float | None = None
    top_p: float | None = None
    max_output_tokens: int | None = None
    stop_sequences: list[str] | None = None
    response_mime_type: str | None = None
    response_json_schema: msgspec.Raw | None = None
    seed: int | None = None
    presence_penalty: float | None = None
    frequency_penalty: float | None = None


class GenerateRequest(msgspec.Struct, omit_defaults=True, rename="camel"):
    contents: list[Content]
    system_instruction: Content | None = None
    generation_config: _GenerationConfig | None = None
    tools: list[_Tool] | None = None
    tool_config: _ToolConfig | None = None


class _JsonSchema(msgspec.Struct):
    """OpenAI's `response_format.json_schema`: only the schema itself goes to Gemini."""

    schema: msgspec.Raw = msgspec.Raw()


_json_schema = msgspec.json.Decoder(_JsonSchema)
_encoder = msgspec.json.Encoder()


def translate(request: ChatRequest, signatures: Signatures | None = None) -> GenerateRequest:
    """The generateContent body for `request`, or `Untranslatable`; earlier calls carry
    the thought signatures `signatures` knows."""
    system = [Part(text=m.text) for m in request.messages
              if m.role in ("system", "developer") and m.text]
    declarations = [_FunctionDeclaration(name=t.function.name,
                                         description=t.function.description,
                                         parameters_json_schema=present(t.function.parameters))
                    for t in request.tools or ()]
    return GenerateRequest(
        contents=contents(request.messages, signatures or Signatures(kept=0)),
        system_instruction=Content(parts=system) if system else None,
        generation_config=generation_config(request),
        tools=[_Tool(function_declarations=declarations)] if declarations else None,
        tool_config=tool_config(request),
    )


def contents(messages: list[ChatMessage], signatures: Signatures) -> list[Content]:
    """User and model turns; consecutive messages of one role are merged, and a message
    with nothing in it (which Gemini refuses) is left out."""
    names: dict[str, str] = {}
    out: list[Content] = []
    for message in messages:
        if message.role in ("system", "developer"):
            continue
        role: Role = "model" if message.role == "assistant" else "user"
        for call in message.tool_calls or ():
            names[call.id] = call.function.name
        parts = _parts(message, names, signatures)
        if not parts:
            continue
        if out and out[-1].role == role:
            out[-1].parts.extend(parts)
        else:
            out.append(Content(role=role, parts=parts))
    return out


def _parts(message: ChatMessage, names: dict[str, str], signatures: Signatures) -> list[Part]:
    if message.role == "tool":
        name = message.name or names.get(message.tool_call_id or "")
        if name is None:
            raise Untranslatable("a tool message must answer an earlier tool call by its "
                                 "tool_call_id")
        response = json_object(message.text) or \
            msgspec.Raw(_encoder.encode({"result": message.text}))
        return [Part(function_response=FunctionResponse(name=name, response=response))]
    parts = [Part(text=piece) if isinstance(piece, str) else
             Part(inline_data=_image(piece.image_url.url)) for piece in content_parts(message)]
    for i, call in enumerate(message.tool_calls or ()):
        args = call_arguments(call.function.name, call.function.arguments)
        # Gemini signs the first of the calls it makes at once, and checks that one.
        signature = signatures.get(call.id) or (UNSIGNED if i == 0 else None)
        parts.append(Part(function_call=FunctionCall(name=call.function.name, args=args),
                          thought_signature=signature))
    return parts


def _image(url: str) -> Blob:
    inline = data_url(url)
    if inline is None:
        raise Untranslatable("Gemini takes images only inline, as base64 data: URLs")
    mime_type, data = inline
    return Blob(mime_type=mime_type, data=data)


def generation_config(request: ChatRequest) -> _GenerationConfig | None:
    mime: str | None = None
    schema: msgspec.Raw | None = None
    fmt = request.response_format
    if fmt is not None and fmt.type != "text":
        mime = "application/json"
        raw = present(fmt.json_schema)
        if fmt.type == "json_schema" and raw is not None:
            try:
                schema = present(_json_schema.decode(raw).schema)
            except (msgspec.DecodeError, msgspec.ValidationError):
                raise Untranslatable("response_format.json_schema must be an object with "
                                     "a schema") from None
    config = _GenerationConfig(
        temperature=request.temperature, top_p=request.top_p,
        max_output_tokens=request.output_limit, stop_sequences=stop_list(request),
        response_mime_type=mime, response_json_schema=schema, seed=request.seed,
        # Zero is no penalty, OpenAI's default that many clients send; Gemini 2.5 and 3
        # have no penalties and refuse the field whatever its value.
        presence_penalty=request.presence_penalty or None,
        frequency_penalty=request.frequency_penalty or None,
    )
    return None if config == _GenerationConfig() else config


def tool_config(request: ChatRequest) -> _ToolConfig | None:
    choice = tool_choice_of(request)
    if choice is None:
        return None
    match choice:
        case "none":
            calling = _FunctionCallingConfig(mode="NONE")
        case "auto":
            calling = _FunctionCallingConfig(mode="AUTO")
        case "required":
            calling = _FunctionCallingConfig(mode="ANY")
        case FunctionChoice(function=Named(name=name)):
            calling = _FunctionCallingConfig(mode="ANY", allowed_function_names=[name])
        case _:
            raise Untranslatable(f"unknown tool_choice {choice!r}")
    return _ToolConfig(function_calling_config=calling)


def model_path(model: str) -> str:
    """`models/<name>`; a name that already has a collection (`tunedModels/x`) is kept."""
    return model if "/" in model else f"models/{quote(model, safe='')}"
