"""Serving traces, read into one shape, and prompts synthesised to their lengths.

Readers (each yields `TraceRequest`s in arrival order, times in seconds from the first):

- `read_reactor`: what `reactor serve --record` wrote (`reactor._record`). Each header
  line starts a recording session; sessions follow one another in time.
- `read_azure`: the Azure LLM inference trace CSV (`TIMESTAMP,ContextTokens,
  GeneratedTokens`, timestamps like `2023-11-16 18:15:46.6805900`; the published files
  end without a newline).
- `read_mooncake`: Mooncake JSONL (`timestamp` in ms, `input_length`, `output_length`,
  `hash_ids`: one id per 512-token block of the prompt; equal ids, equal text).

Every reader refuses, naming the line, what would replay as something else: a line it
cannot read, a request arriving before the one above it (sort the trace first), a token
count that is negative or over `MAX_TOKENS`, a recorded body that is not a request, and
a file without requests. A UTF-8 byte order mark and CRLF line ends are read as nothing.

`Synthesiser` turns token counts into text at 4 characters a token (the estimate the
recorder, the simulated upstream and the fake upstream all use). Each block id maps to
the same 2,048 characters every time, kept in a bounded LRU, so prompts that share
`hash_ids` share a text prefix and a 12k-token prompt is a join of cached blocks. A
prompt without block ids (or longer than its blocks) goes on with its own marker and
text of its own. The text is pseudo-words of random letters: different blocks, and the
own text of different prompts, share no words, so only what the trace says is shared
is shared, and neither cache (nor the learned router's neighbours) sees a likeness the
trace did not put there.
"""

from __future__ import annotations

import csv
import hashlib
import math
import random
import re
from collections import OrderedDict
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any, Final

import msgspec

from reactor import InvalidRequest, decode_chat_request

BLOCK_TOKENS: Final = 512
CHARS_PER_TOKEN: Final = 4
BLOCK_CHARS: Final = BLOCK_TOKENS * CHARS_PER_TOKEN
MAX_TOKENS: Final = 1_000_000
"""The most tokens a trace may give a prompt or an answer: a replay's models take no
more, and the text of a larger count is a typo's worth of memory."""
BOM: Final = b"\xef\xbb\xbf"

_LETTERS: Final = bytes.maketrans(bytes(range(256)),
                                  bytes(ord("a") + i % 26 for i in range(256)))


def random_text(seed: str, size: int) -> str:
    """`size` characters of six-letter pseudo-words, the same for the same seed.

    Random letters, so that two texts share no words (and no meaning to an embedder).
    """
    key = int.from_bytes(hashlib.blake2b(seed.encode(), digest_size=8).digest())
    text = bytearray(random.Random(key).randbytes(size).translate(_LETTERS))
    text[6::7] = b" " * len(range(6, size, 7))
    if text:
        text[-1] = ord(" ")
    return text.decode("ascii")


class TraceRequest(msgspec.Struct, frozen=True, kw_only=True):
    """One request of a trace, whatever file it came from."""

    arrival_s: float
    prompt_tokens: int
    output_tokens: int | None
    """None when the trace does not say (a recorded request without max_tokens)."""
    prefix_blocks: list[int] | None = None
    body: dict[str, Any] | None = None
    """A recorded request body: real messages, or `{"role", "tokens"}` per message."""
    tenant: str = "default"
    tier: str = "default"


class TraceError(ValueError):
    """A trace file that cannot be read; says which line."""


Reader = Callable[[Path], Iterator[TraceRequest]]


class _Line(msgspec.Struct, kw_only=True):
    trace: str | None = None
    arrival_s: float | None = None
    tenant: str = "default"
    tier: str = "default"
    body: dict[str, Any] | None = None


_reactor_line = msgspec.json.Decoder(_Line)


def _count(value: object, what: str) -> int:
    if type(value) is not int or not 0 <= value <= MAX_TOKENS:
        raise ValueError(f"{what}: a whole number of tokens from 0 to {MAX_TOKENS:,} is "
                         f"expected, not {value!r}")
    return value


def request_body(body: dict[str, Any], text: Callable[[int, int], str]) -> dict[str, Any]:
    """A recorded body as a chat request body: a message recorded by its size
    (`{"role", "tokens"}`) gets `text(position, tokens)` as its content, and a tool
    message an id (the recorder keeps neither); tools recorded as a count and a response
    format as its type get stand-ins. Raises ValueError for a bad size."""
    body = dict(body)
    tools = body.get("tools")
    if type(tools) is int:
        body["tools"] = [{"type": "function", "function": {
            "name": f"tool_{k}", "parameters": {"type": "object"}}} for k in range(tools)]
    kind = body.get("response_format")
    if isinstance(kind, str):
        body["response_format"] = {"type": kind, **(
            {"json_schema": {"name": "recorded", "schema": {"type": "object"}}}
            if kind == "json_schema" else {})}
    messages = body.get("messages")
    if not isinstance(messages, list):
        return body
    out = []
    for i, message in enumerate(messages):
        if isinstance(message, dict) and "tokens" in message:
            tokens = _count(message["tokens"], f"messages[{i}].tokens")
            message = {"role": message.get("role"), "content": text(i, tokens)}
            if message["role"] == "tool":
                message["tool_call_id"] = f"call_{i}"
        out.append(message)
    return {**body, "messages": out}


def _checked(body: dict[str, Any]) -> tuple[int, int | None]:
    """(prompt tokens, output tokens) of a recorded body that replays as a valid
    request; else ValueError."""
    request = decode_chat_request(msgspec.json.encode(request_body(body, lambda i, n: "x")))
    total = 0
    for message, recorded in zip(request.messages, body["messages"], strict=True):
        if "tokens" in recorded:
            total += recorded["tokens"]
        else:
            total += -(-len(message.text) // CHARS_PER_TOKEN)
    limit = request.output_limit
    return total, None if limit is None else _count(limit, "max_tokens")


def _lines(path: Path) -> Iterator[tuple[int, bytes]]:
    """(line number, line) of a JSONL file, blank lines and a byte order mark left out."""
    with path.open("rb") as file:
        for number, raw in enumerate(file, 1):
            if number == 1:
                raw = raw.removeprefix(BOM)
            if raw.strip():
                yield number, raw


class _Order:
    """Arrival times from the first request's, checked to never go back."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.first: float | None = None
        self.last = 0.0
        self.count = 0

    def arrival(self, at: float, number: int) -> float:
        if not math.isfinite(at):
            raise TraceError(f"{self.path}:{number}: arrival time {at} is not a number")
        if self.first is None:
            self.first = at
        elif at < self.last:
            raise TraceError(f"{self.path}:{number}: arrives {self.last - at:.6g} s before "
                             "the request above it; sort the trace by arrival time")
        self.last = at
        self.count += 1
        return at - self.first

    def end(self) -> None:
        if not self.count:
            raise TraceError(f"{self.path}: no requests in the trace")


def read_reactor(path: Path) -> Iterator[TraceRequest]:
    offset = 0.0
    order = _Order(path)
    for number, raw in _lines(path):
        try:
            line = _reactor_line.decode(raw)
        except msgspec.DecodeError as exc:
            raise TraceError(f"{path}:{number}: {exc}") from None
        if line.trace is not None:
            offset = order.last
            continue
        if line.arrival_s is None or line.body is None:
            raise TraceError(f"{path}:{number}: neither a header nor a request")
        try:
            prompt, output = _checked(line.body)
        except (InvalidRequest, ValueError) as exc:
            raise TraceError(f"{path}:{number}: {exc}") from None
        yield TraceRequest(arrival_s=order.arrival(offset + line.arrival_s, number),
                           prompt_tokens=prompt, output_tokens=output, body=line.body,
                           tenant=line.tenant, tier=line.tier)
    order.end()


# Seven fractional digits: more than datetime takes, so the fraction is kept apart,
# which also keeps sub-microsecond differences that a float of epoch seconds loses.
_TIMESTAMP = re.compile(r"(\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d)(?:\.(\d+))?"
                        r"(Z|[+-]\d\d:?\d\d)?")


def _timestamp(text: str) -> tuple[datetime, float]:
    match = _TIMESTAMP.fullmatch(text.strip())
    if match is None:
        raise ValueError(f"timestamp {text!r} is not like 2023-11-16 18:15:46.6805900")
    whole, fraction, zone = match.groups()
    return datetime.fromisoformat(whole + (zone or "")), float(f"0.{fraction or 0}")


def read_azure(path: Path) -> Iterator[TraceRequest]:
    first: datetime | None = None
    order = _Order(path)
    with path.open(newline="", encoding="utf-8-sig") as file:
        rows = csv.reader(file)
        header = [name.strip() for name in next(rows, [])]
        try:
            at, ins, outs = (header.index(name) for name in
                             ("TIMESTAMP", "ContextTokens", "GeneratedTokens"))
        except ValueError:
            raise TraceError(f"{path}: expected columns TIMESTAMP, ContextTokens, "
                             f"GeneratedTokens; found {header}") from None
        for number, row in enumerate(rows, 2):
            if not row:
                continue
            if len(row) < len(header):
                raise TraceError(f"{path}:{number}: {len(row)} columns where the header "
                                 f"has {len(header)}")
            try:
                when, fraction = _timestamp(row[at])
                prompt = _count(_integer(row[ins]), "ContextTokens")
                output = _count(_integer(row[outs]), "GeneratedTokens")
                first = when if first is None else first
                if (when.tzinfo is None) != (first.tzinfo is None):
                    raise ValueError("a time zone on some timestamps and not on others")
                since = (when - first).total_seconds()
            except ValueError as exc:
                raise TraceError(f"{path}:{number}: {exc}") from None
            yield TraceRequest(arrival_s=order.arrival(since + fraction, number),
                               prompt_tokens=prompt, output_tokens=output)
    order.end()


def _integer(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise ValueError(f"a whole number of tokens is expected, not {text!r}") from None


class _Mooncake(msgspec.Struct):
    timestamp: float
    input_length: int
    output_length: int
    hash_ids: list[int] = []


_mooncake_line = msgspec.json.Decoder(_Mooncake)


def read_mooncake(path: Path) -> Iterator[TraceRequest]:
    order = _Order(path)
    for number, raw in _lines(path):
        try:
            row = _mooncake_line.decode(raw)
            prompt = _count(row.input_length, "input_length")
            output = _count(row.output_length, "output_length")
        except (msgspec.DecodeError, ValueError) as exc:
            raise TraceError(f"{path}:{number}: {exc}") from None
        yield TraceRequest(arrival_s=order.arrival(row.timestamp / 1000, number),
                           prompt_tokens=prompt, output_tokens=output,
                           prefix_blocks=row.hash_ids or None)
    order.end()


READERS: Final[dict[str, Reader]] = {
    "reactor": read_reactor, "azure": read_azure, "mooncake": read_mooncake}


def guess_format(path: Path) -> str:
    """`azure` for .csv; for JSONL, `mooncake` if the first line has `hash_ids` or
    `input_length`, else `reactor`."""
    if path.suffix.lower() == ".csv":
        return "azure"
    head = next((line for _, line in _lines(path)), b"")
    return "mooncake" if b'"input_length"' in head else "reactor"


def read_trace(path: Path, format: str | None = None) -> Iterator[TraceRequest]:
    name = format or guess_format(path)
    try:
        reader = READERS[name]
    except KeyError:
        raise TraceError(f"unknown trace format {name!r}; expected one of "
                         f"{', '.join(READERS)}") from None
    return reader(path)


class Synthesiser:
    """Prompt text of a given length; equal block ids give equal text."""

    def __init__(self, cached_blocks: int = 4096) -> None:
        self.cached_blocks = cached_blocks
        self._blocks: OrderedDict[int, str] = OrderedDict()
        self.generated = 0

    def block(self, block_id: int) -> str:
        """The 2,048 characters of one 512-token block."""
        text = self._blocks.get(block_id)
        if text is not None:
            self._blocks.move_to_end(block_id)
            return text
        text = _block_text(block_id)
        self.generated += 1
        self._blocks[block_id] = text
        if len(self._blocks) > self.cached_blocks:
            self._blocks.popitem(last=False)
        return text

    def text(self, tokens: int, *, blocks: list[int] | None = None, marker: str = "") -> str:
        """`tokens` tokens of text: the blocks' text, cut to length; without blocks (or
        past their end), `[marker] ` and then text of this prompt's own."""
        size = max(1, tokens) * CHARS_PER_TOKEN
        parts = [self.block(b) for b in (blocks or [])[: -(-size // BLOCK_CHARS)]]
        have = len(parts) * BLOCK_CHARS
        if have >= size:
            return "".join(parts)[:size]
        # The marker is never cut: it is what keeps a prompt unique.
        parts.append(f"[{marker}] ")
        have += len(parts[-1])
        parts.append(random_text(f"prompt {marker}", max(0, size - have)))
        return "".join(parts)


def _block_text(block_id: int) -> str:
    return random_text(f"block {block_id}", BLOCK_CHARS)
