"""The Anthropic Messages API request, from Reactor's OpenAI-shaped `ChatRequest`.

System and developer messages become the top-level `system`; the other messages become
user/assistant turns of content blocks (text of only whitespace, and a message left with
nothing, left out; a last assistant turn's trailing whitespace cut, as Anthropic refuses
all three), consecutive turns of one role merged, assistant tool calls as `tool_use`
blocks and tool messages as `tool_result` blocks in a user turn. `max_tokens`, which
Anthropic requires, is the request's output limit or the configured default; a
temperature or top_p of 1, which is Anthropic's default, is not sent. Anthropic has no
seed, penalties, logit bias or JSON mode, so those are not sent. What the format cannot
carry raises `Untranslatable`.
"""

from __future__ import annotations

from typing import Literal

import msgspec

from reactor import ChatMessage, ChatRequest
from stages.upstreams.wire import (
    FunctionChoice,
    Named,
    Untranslatable,
    call_arguments,
    content_parts,
    data_url,
    present,
    stop_list,
    tool_choice_of,
)


class _Text(msgspec.Struct, tag="text", tag_field="type"):
    text: str


class _Base64(msgspec.Struct, tag="base64", tag_field="type"):
    media_type: str
    data: str


class _URL(msgspec.Struct, tag="url", tag_field="type"):
    url: str


class _Image(msgspec.Struct, tag="image", tag_field="type"):
    source: _Base64 | _URL


class _ToolUse(msgspec.Struct, tag="tool_use", tag_field="type"):
    id: str
    name: str
    input: msgspec.Raw


class _ToolResult(msgspec.Struct, tag="tool_result", tag_field="type"):
    tool_use_id: str
    content: str


_Block = _Text | _Image | _ToolUse | _ToolResult
Role = Literal["user", "assistant"]


class _Turn(msgspec.Struct):
    role: Role
    content: list[_Block]


class _ToolDef(msgspec.Struct, omit_defaults=True):
    name: str
    input_schema: msgspec.Raw
    description: str | None = None


class _ToolChoice(msgspec.Struct, omit_defaults=True):
    type: Literal["auto", "any", "tool", "none"]
    name: str | None = None
    disable_parallel_tool_use: bool | None = None


class _Metadata(msgspec.Struct):
    user_id: str


class MessagesRequest(msgspec.Struct, omit_defaults=True):
    model: str
    max_tokens: int
    messages: list[_Turn]
    system: str | None = None
    temperature: float | None = None
    top_p: float | None = None
    stop_sequences: list[str] | None = None
    tools: list[_ToolDef] | None = None
    tool_choice: _ToolChoice | None = None
    metadata: _Metadata | None = None
    stream: bool = False


_ANY_OBJECT = msgspec.Raw(b'{"type":"object","properties":{}}')


def translate(request: ChatRequest, model: str, default_max_tokens: int,
              stream: bool) -> MessagesRequest:
    """The Messages API request for `request`, or `Untranslatable`."""
    system = [m.text for m in request.messages if m.role in ("system", "developer")]
    tools = [_ToolDef(name=t.function.name, description=t.function.description,
                      input_schema=present(t.function.parameters) or _ANY_OBJECT)
             for t in request.tools or ()]
    return MessagesRequest(
        model=model, max_tokens=request.output_limit or default_max_tokens,
        messages=turns(request.messages), system="\n\n".join(system) or None,
        temperature=_unless(1.0, request.temperature), top_p=_unless(1.0, request.top_p),
        stop_sequences=stop_list(request), tools=tools or None,
        tool_choice=tool_choice(request),
        metadata=_Metadata(user_id=request.user) if request.user else None,
        stream=stream,
    )


def _unless(default: float, value: float | None) -> float | None:
    """`value`, or None when it is Anthropic's own default: OpenAI clients send their
    defaults (temperature and top_p of 1) with every request, and Anthropic's newer models
    refuse temperature and top_p together though either at 1 changes nothing."""
    return None if value == default else value


def turns(messages: list[ChatMessage]) -> list[_Turn]:
    """Alternating user/assistant turns: consecutive messages of one role are merged, and
    a message with nothing in it (which Anthropic refuses) is left out."""
    out: list[_Turn] = []
    for message in messages:
        if message.role in ("system", "developer"):
            continue
        role: Role = "assistant" if message.role == "assistant" else "user"
        blocks = _blocks(message)
        if not blocks:
            continue
        if out and out[-1].role == role:
            out[-1].content.extend(blocks)
        else:
            out.append(_Turn(role=role, content=blocks))
    if out and out[-1].role == "assistant" and isinstance(out[-1].content[-1], _Text):
        # A last assistant turn is a prefill, which Anthropic refuses ending in whitespace.
        last = out[-1].content[-1]
        out[-1].content[-1] = _Text(text=last.text.rstrip())
    return out


def _blocks(message: ChatMessage) -> list[_Block]:
    if message.role == "tool":
        if not message.tool_call_id:
            raise Untranslatable("a tool message needs the tool_call_id it answers")
        return [_ToolResult(tool_use_id=message.tool_call_id, content=message.text)]
    # Anthropic refuses a text block of only whitespace; it says nothing anyway.
    blocks: list[_Block] = [
        _Text(text=part) if isinstance(part, str) else
        _Image(source=_image_source(part.image_url.url)) for part in content_parts(message)
        if not isinstance(part, str) or part.strip()]
    for call in message.tool_calls or ():
        blocks.append(_ToolUse(id=call.id, name=call.function.name,
                               input=call_arguments(call.function.name,
                                                    call.function.arguments)))
    return blocks


def _image_source(url: str) -> _Base64 | _URL:
    inline = data_url(url)
    if inline is None:
        return _URL(url=url)
    media_type, data = inline
    return _Base64(media_type=media_type, data=data)


def tool_choice(request: ChatRequest) -> _ToolChoice | None:
    single = True if request.parallel_tool_calls is False else None
    choice = tool_choice_of(request)
    if choice is None:
        return _ToolChoice(type="auto", disable_parallel_tool_use=True) \
            if single and request.tools else None
    match choice:
        case "none":
            return _ToolChoice(type="none")
        case "auto":
            return _ToolChoice(type="auto", disable_parallel_tool_use=single)
        case "required":
            return _ToolChoice(type="any", disable_parallel_tool_use=single)
        case FunctionChoice(function=Named(name=name)):
            return _ToolChoice(type="tool", name=name, disable_parallel_tool_use=single)
        case _:
            raise Untranslatable(f"unknown tool_choice {choice!r}")
