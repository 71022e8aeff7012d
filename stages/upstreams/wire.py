"""What every HTTP adapter shares: one POST with its failures made faults, SSE lines, and the
pure helpers that take OpenAI request pieces apart.

`exchange` sends one request and hands a 200 to the adapter's reader; every other
status goes to the adapter's status mapping (with the wait its headers ask for, and its
body said in a line), and broken connections become faults, so an adapter never raises
for upstream trouble: a connection that fails before the status is `connect`, one that
breaks after it `truncated`, bytes that are not HTTP `malformed`. The API key is cut out
of every fault message, whatever the upstream echoed back.
"""

from __future__ import annotations

import re
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Mapping
from contextlib import aclosing
from typing import Protocol, TypeVar

import aiohttp
import anyio
import msgspec

from reactor import ChatMessage, ChatRequest, ImagePart, Usage
from stages.upstreams import Fault, OnToken, Reply, TokenSink, http1, retry_after

T = TypeVar("T")
Reader = Callable[[aiohttp.ClientResponse], Awaitable[Reply | Fault]]
StatusMapping = Callable[[int, str, float | None], Fault]
"""A status other than 200, its body's text and the wait it asked for: the fault."""
BROKEN = (aiohttp.ClientError, http1.Broken)
"""What a read from a broken connection raises, from either client."""


class Content(Protocol):
    """An answer's body as it arrives: aiohttp's `StreamReader`, or `http1.Body`."""

    def at_eof(self) -> bool: ...

    async def readany(self) -> bytes: ...

    def iter_any(self) -> AsyncIterator[bytes]: ...


class Answer(Protocol):
    """What the readers use of an answer: aiohttp's `ClientResponse`, or
    `http1.Response`."""

    @property
    def content_type(self) -> str: ...

    @property
    def content(self) -> Content: ...

    @property
    def status(self) -> int: ...

    @property
    def headers(self) -> Mapping[str, str]: ...


A = TypeVar("A", bound=Answer)


class Untranslatable(Exception):
    """The request says something the upstream's wire format cannot carry."""


async def exchange(session: aiohttp.ClientSession, url: str, *, body: bytes,
                   headers: dict[str, str], limits: aiohttp.ClientTimeout,
                   on_status: StatusMapping, read: Reader, secret: str) -> Reply | Fault:
    """POST `body`; a 200 goes to `read`, any other status to `on_status`."""
    return _without(secret, await _exchange(session, url, body, headers, limits, on_status,
                                            read))


def _without(secret: str, result: Reply | Fault) -> Reply | Fault:
    """`result`, with the API key cut out of its fault message."""
    if isinstance(result, Fault) and secret and secret in result.message:
        return msgspec.structs.replace(result, message=result.message.replace(secret, "[key]"))
    return result


async def _answered(response: A, on_status: StatusMapping,
                    read: Callable[[A], Awaitable[Reply | Fault]]) -> Reply | Fault:
    """An answer whose status came: a 200 to `read`, any other status to `on_status`; a
    connection that breaks now cut the answer short."""
    if response.status != 200:
        return on_status(response.status, await _error_text(response),
                         retry_after(response.headers))
    try:
        return await read(response)
    except BROKEN as exc:
        return Fault(kind="truncated", message=f"upstream connection broke: {exc}")
    except OversizedEvent as exc:
        return Fault(kind="malformed", message=f"upstream sent a stream event of "
                     f"over {exc.args[0]} bytes")


async def _exchange(session: aiohttp.ClientSession, url: str, body: bytes,
                    headers: dict[str, str], limits: aiohttp.ClientTimeout,
                    on_status: StatusMapping, read: Reader) -> Reply | Fault:
    # A connection that breaks before the answer began is a connection fault, however it
    # broke (refused, reset, a pooled connection the server had closed); once the status
    # came, a broken connection cut the answer short.
    try:
        # A redirect is not followed, by either client: it says the configured URL is
        # wrong, and aiohttp would have turned the POST into a GET on a 301 or 302.
        async with session.post(url, data=body, headers=headers, timeout=limits,
                                allow_redirects=False) as response:
            return await _answered(response, on_status, read)
    except aiohttp.ClientConnectorError as exc:
        return Fault(kind="connect", message=f"cannot connect to upstream: {exc.os_error}")
    except aiohttp.ClientResponseError as exc:  # not HTTP
        return Fault(kind="malformed", message=f"upstream answer could not be read: "
                     f"{' '.join(exc.message.split())}")
    except aiohttp.ClientError as exc:
        return Fault(kind="connect", message=f"upstream connection broke before it "
                     f"answered: {exc}")


async def post(pool: http1.Pool, head: bytes, *, body: bytes, on_status: StatusMapping,
               read: Callable[[http1.Response], Awaitable[Reply | Fault]],
               secret: str) -> Reply | Fault:
    """`exchange` on the lean client: POST `body` after `head` (`Pool.request_head`)."""
    return _without(secret, await _post(pool, head, body, on_status, read))


async def _post(pool: http1.Pool, head: bytes, body: bytes, on_status: StatusMapping,
                read: Callable[[http1.Response], Awaitable[Reply | Fault]]) -> Reply | Fault:
    # The same faults as `_exchange`, phase by phase.
    try:
        response, connection = await pool.post(head, body)
    except http1.ConnectFailed as exc:
        return Fault(kind="connect", message=f"cannot connect to upstream: {exc}")
    except http1.Broken as exc:
        return Fault(kind="connect", message=f"upstream connection broke before it "
                     f"answered: {exc}")
    except http1.NotHttp as exc:
        return Fault(kind="malformed", message=f"upstream answer could not be read: {exc}")
    try:
        coding = response.headers.get("content-encoding", "identity").lower()
        if response.status == 200 and coding != "identity":
            # The lean client decodes no compression and asks for none
            # (`Accept-Encoding: identity`): the bytes would be read as a stream with no
            # events in it, or as broken JSON.
            return Fault(kind="malformed", message=f"upstream compressed its answer "
                         f"({coding[:40]}) though the request asked for no compression")
        return await _answered(response, on_status, read)
    finally:
        pool.release(connection)


ERROR_BODY_BYTES = 64 * 1024


async def _error_text(response: Answer) -> str:
    """The start of an error status's body, as much of it as came: a body cut short,
    endless or stalled (waited on for `BODY_TAIL_S` at most) still says its status."""
    raw = bytearray()
    with anyio.move_on_after(BODY_TAIL_S):
        try:
            while len(raw) < ERROR_BODY_BYTES and (chunk := await response.content.readany()):
                raw += chunk
        except BROKEN:
            pass
    return bytes(raw[:ERROR_BODY_BYTES]).decode(errors="replace")


def billed(result: Reply | Fault, usage: Usage | None) -> Reply | Fault:
    """`result`, a fault carrying what the upstream said the failed call used (`usage`,
    read from the stream before it broke) unless the fault says it already."""
    if isinstance(result, Fault) and result.usage is None and usage is not None:
        return msgspec.structs.replace(result, usage=usage)
    return result


async def read_body(response: Answer,
                    decoder: msgspec.json.Decoder[T]) -> T | Fault:
    """A 200's JSON body, or the fault an empty, undecodable or endless one is."""
    body = bytearray()
    while chunk := await response.content.readany():
        body += chunk
        if len(body) > MAX_EVENT_BYTES:
            return Fault(kind="malformed", message=f"upstream sent an answer of over "
                         f"{MAX_EVENT_BYTES} bytes")
    raw = bytes(body)
    if not raw.strip():
        return Fault(kind="empty", message="upstream answered 200 with an empty body")
    try:
        return decoder.decode(raw)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        return Fault(kind="malformed", message=f"upstream sent invalid JSON "
                     f"({response.content_type}): {exc}")


def streamed(response: Answer, asked: bool) -> bool:
    """Whether to read a 200 as an event stream: as it says it is, whatever was `asked`
    (a server that does not stream answers whole, with an error too; one that always
    streams answers a whole-answer request with events), else as asked."""
    match response.content_type:
        case "text/event-stream":
            return True
        case "application/json":
            return False
        case _:
            return asked


def no_events(response: Answer) -> Fault:
    """The fault a stream that carried no event is: empty, or not an event stream at all
    (a web page from a proxy or a captive portal)."""
    kind = response.content_type
    if kind in ("text/event-stream", "application/octet-stream"):  # the latter: none said
        return Fault(kind="empty", message="upstream stream carried no events")
    return Fault(kind="malformed", message=f"upstream answered 200 with {kind}, not an "
                 "event stream")


def missing_key(api_key_env: str) -> str:
    return f"environment variable {api_key_env} is not set"


def content_parts(message: ChatMessage) -> list[str | ImagePart]:
    """A message's content in order: its non-empty texts and its images."""
    content = message.content
    if isinstance(content, str):
        return [content] if content else []
    return [part if isinstance(part, ImagePart) else part.text for part in content or ()
            if isinstance(part, ImagePart) or part.text]


def stop_list(request: ChatRequest) -> list[str] | None:
    stop = request.stop
    if stop is None:
        return None
    return [stop] if isinstance(stop, str) else list(stop) or None


_object = msgspec.json.Decoder(dict[str, msgspec.Raw])
EMPTY_OBJECT = msgspec.Raw(b"{}")


def json_object(text: str) -> msgspec.Raw | None:
    """`text` as raw JSON if it is one JSON object, else None."""
    try:
        _object.decode(text)
    except (msgspec.DecodeError, msgspec.ValidationError):
        return None
    return msgspec.Raw(text.encode())


def call_arguments(name: str, arguments: str) -> msgspec.Raw:
    """A past tool call's arguments, which both Anthropic and Gemini take as an object."""
    if not arguments.strip():
        return EMPTY_OBJECT
    raw = json_object(arguments)
    if raw is None:
        raise Untranslatable(f"the arguments of the earlier call to tool {name!r} are not "
                             "a JSON object")
    return raw


class Named(msgspec.Struct):
    name: str


class FunctionChoice(msgspec.Struct):
    """OpenAI's `{"type": "function", "function": {"name": ...}}` tool choice."""

    function: Named
    type: str = "function"


_tool_choice = msgspec.json.Decoder(str | FunctionChoice)


def tool_choice_of(request: ChatRequest) -> str | FunctionChoice | None:
    """The request's tool choice: a mode (`none`, `auto`, `required`) or the function it
    names; None when it gave none."""
    raw = present(request.tool_choice)
    if raw is None:
        return None
    try:
        return _tool_choice.decode(raw)
    except (msgspec.DecodeError, msgspec.ValidationError):
        raise Untranslatable("tool_choice must be none, auto, required or name a "
                             "function") from None


def present(raw: msgspec.Raw | None) -> msgspec.Raw | None:
    """Raw JSON the caller really sent: None when absent, empty or `null`."""
    if raw is None or not len(raw) or bytes(raw).strip() == b"null":
        return None
    return raw


def raw_text(raw: msgspec.Raw | None) -> str:
    """Raw JSON back to text (a tool call's arguments), `{}` when there is none."""
    return bytes(raw).decode() if raw is not None and len(raw) else "{}"


_DATA_URL = re.compile(r"data:(?P<mime>[\w.+-]+/[\w.+-]+)(?:;[^,]*)?;base64,(?P<data>.*)",
                       re.DOTALL)


def data_url(url: str) -> tuple[str, str] | None:
    """(media type, base64 data) of a base64 `data:` URL, or None for any other URL."""
    if not url.startswith("data:"):
        return None
    match = _DATA_URL.fullmatch(url)
    if match is None:
        raise Untranslatable("an image data URL must be base64 encoded with a media type")
    return match.group("mime"), match.group("data")


class _ErrorDetail(msgspec.Struct):
    message: str = ""


class _ErrorBody(msgspec.Struct):
    error: _ErrorDetail | str | None = None  # a bare string from Ollama and the like
    message: str = ""  # vLLM's `{"object": "error", "message": ...}`


_error_body = msgspec.json.Decoder(_ErrorBody)
_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<[^>]*>")


def error_detail(text: str) -> str:
    """What an error body says, in a line: its JSON error's message, else the page's
    title or text (a proxy's HTML page), else the text."""
    try:
        body = _error_body.decode(text)
    except msgspec.DecodeError:
        body = None
    if body is not None:
        error = body.error
        detail = error if isinstance(error, str) else error.message if error else body.message
        if detail:
            return " ".join(detail.split())[:300]
    if text.lstrip().startswith("<"):
        title = _TITLE.search(text)
        text = title.group(1) if title else _TAG.sub(" ", text)
    return " ".join(text.split())[:300]


def status_fault(status: int, text: str, retry_after_s: float | None) -> Fault:
    detail = error_detail(text)
    message = f"upstream answered {status}: {detail}"
    if status == 429:
        return Fault(kind="rate_limited", status=status, message=message,
                     retry_after_s=retry_after_s)
    if status in (401, 403):
        return Fault(kind="auth", status=status, message=f"upstream refused the credentials "
                     f"({status})")
    if 300 <= status < 400:
        # The model is not where it was configured to be: not the caller's request to fix,
        # and the model's to answer for until someone fixes its URL.
        return Fault(kind="server_error", status=status, message=f"upstream answered "
                     f"{status}, a redirect, which is not followed: check the model's URL")
    if status == 404:
        # The path is Reactor's and the model name the configuration's: a wrong base URL
        # or an upstream model name that does not exist (or is gone) is the model's to
        # answer for, so its breaker hears of it and the caller is not told to fix a
        # request it could not have got wrong.
        return Fault(kind="not_found", status=status, message=f"{message} (check the "
                     "model's base_url and upstream model name)")
    if status == 408:
        # The upstream (or a proxy before it) gave up waiting for the request: nothing
        # the caller sent is wrong, and the next try may well get through.
        return Fault(kind="timeout", status=status, message=message,
                     retry_after_s=retry_after_s)
    if status >= 500:
        return Fault(kind="server_error", status=status, message=message,
                     retry_after_s=retry_after_s)
    return Fault(kind="client_error", status=status, message=message)


MAX_EVENT_BYTES = 16 * 1024 * 1024
"""The largest stream event, or whole answer, read: past it the upstream is broken."""
BOM = "\ufeff".encode()
"""A byte order mark (UTF-8), which an event stream may open with."""


class Quiet:
    """How `sse_line_batches` reads once its reader has the first token of an answer its
    caller takes whole: quietly (`http1.Body.read_quietly`), so that the pieces between
    the first token and `marker` (the stream's last event) do not wake the reader one by
    one. `heard` is called for each piece meanwhile that brings an event (`data:`): the
    sink keeps its stall timer with it, so comments and keep-alives are no more a sign
    of life than they are to a reader woken for each line. `on` is set by the reader
    when it has handed over the first token (the first-token timer and sample are about
    that token, so it must come at once). With aiohttp's reader, which cannot read this
    way, nothing changes."""

    __slots__ = ("heard", "marker", "on", "read_quietly")

    def __init__(self, read_quietly: Callable[[Callable[[], None], bytes, bytes],
                                              Awaitable[bytes]],
                 heard: Callable[[], None], marker: bytes) -> None:
        self.read_quietly = read_quietly
        self.heard = heard
        self.marker = marker
        self.on = False


def quiet_for(sink: TokenSink | None, content: Content, marker: bytes) -> Quiet | None:
    """A `Quiet` for reading `content` into `sink`, if both can: the sink takes the
    answer whole, and the body can be read quietly (`http1.Body`). A reader cut short
    while quiet hands what came meanwhile to `TokenSink.keep`."""
    read_quietly = getattr(content, "read_quietly", None)
    if sink is None or read_quietly is None:
        return None
    heard = sink.listen()
    return None if heard is None else Quiet(read_quietly, heard, marker)


async def sse_line_batches(content: Content,
                           quiet: Quiet | None = None) -> AsyncGenerator[list[bytes], None]:
    """The complete lines of an event stream, a list per network read, however long the
    lines (aiohttp's own reader caps them). One step per read rather than per line: a
    token stream arrives a few events at a time, and each step of an async generator
    costs more than parsing the line.

    A reader that stops early (at `[DONE]`) closes it (`contextlib.aclosing`): an async
    generator dropped unclosed is closed by the event loop in a task of its own, woken
    through the loop's self-pipe. The body is read with `readany`, not `iter_any`, so
    there is no inner generator to be dropped that way when this one is closed.

    With `quiet` switched on, the rest is read quietly (see `Quiet`).

    Lines end as the event stream format says: with CRLF, LF or a lone CR (a CRLF split
    between two reads makes an empty line more, which means nothing to an event's
    fields). A byte order mark opening the stream is dropped: left on, it hides the
    first line's `data:` and the first event would be skipped unseen."""
    pending = bytearray()
    readany = content.readany
    first = True
    while chunk := await (quiet.read_quietly(quiet.heard, quiet.marker, b"data:")
                          if quiet is not None and quiet.on else readany()):
        if b"\r" in chunk:
            chunk = lf_lines(chunk)
        end = chunk.rfind(b"\n")
        if end < 0:
            pending += chunk
            if len(pending) > MAX_EVENT_BYTES:
                raise OversizedEvent(len(pending))
            continue
        if pending:
            pending += chunk[:end]
            text = bytes(pending)
            pending = bytearray(chunk[end + 1 :])
        else:
            text = chunk[:end]
            pending += chunk[end + 1 :]
        lines = text.split(b"\n")
        if first:
            first = False
            lines[0] = lines[0].removeprefix(BOM)
        yield lines
        if len(pending) > MAX_EVENT_BYTES:  # a line begun in that read, already too long
            raise OversizedEvent(len(pending))
    if pending:
        last = bytes(pending)
        yield [last.removeprefix(BOM) if first else last]


def lf_lines(data: bytes) -> bytes:
    """`data` with each of an event stream's line ends (CRLF, lone CR) made LF."""
    return data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")


BODY_TAIL_S = 1.0


async def finish_body(content: Content, result: Reply | Fault,
                      on_token: OnToken) -> Reply | Fault:
    """`result`, once what follows a stream's last event is read (the body's closing
    chunk, usually already on its way) so the connection goes back to the pool: aiohttp
    closes a connection whose body was left unfinished, and the next call pays a new TCP
    (and TLS) handshake.

    A whole answer is announced to the sink first (`TokenSink.completed`), so that a
    timeout or deadline that cuts this wait short cannot turn it into a failure. An
    upstream that never ends the body, or drops the connection instead, costs its
    connection, not the answer. A failed answer is not waited on: its connection closes
    and the retry goes ahead at once.
    """
    if isinstance(result, Fault):
        return result
    if isinstance(on_token, TokenSink):
        on_token.completed(result)
    if content.at_eof():  # nothing is left: skip the timer
        return result
    with anyio.move_on_after(BODY_TAIL_S):
        try:
            while await content.readany():
                pass
        except BROKEN:
            pass
    return result


async def sse_lines(content: Content) -> AsyncGenerator[bytes, None]:
    """Lines of an event stream, one at a time. Close it when done early, as
    `sse_line_batches` says; it closes the batches it reads in turn."""
    async with aclosing(sse_line_batches(content)) as batches:
        async for lines in batches:
            for line in lines:
                yield line


class OversizedEvent(Exception):
    """One stream event was larger than `MAX_EVENT_BYTES`."""


