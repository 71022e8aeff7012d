"""Serving traces, read into one shape, and prompts synthesised to their lengths.

Readers (each yields `TraceRequest`s in arrival order, times in seconds from the first):

- `read_reactor`: what `reactor serve --record` wrote (`reactor._record`). Each header
  line starts a recording session; sessions follow one another in time.
- `read_azure`: the Azure LLM inference trace CSV (`TIMESTAMP,ContextTokens,
  GeneratedTokens`, timestamps like `2023-11-16 18:15:46.6805900`; the published files
  end without a newline).
- `read_mooncake`: Mooncake JSONL (`timestamp` in ms, `input_length`, `output_length`,
  `hash_ids`: one id per 512-token block of the prompt; equal ids, equal text).

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
import random
from collections import OrderedDict
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any, Final

import msgspec

BLOCK_TOKENS: Final = 512
CHARS_PER_TOKEN: Final = 4
BLOCK_CHARS: Final = BLOCK_TOKENS * CHARS_PER_TOKEN

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


def _body_tokens(body: dict[str, Any]) -> int:
    total = 0
    for message in body.get("messages") or []:
        if "tokens" in message:
            total += int(message["tokens"])
            continue
        content = message.get("content")
        if isinstance(content, list):
            content = "\n".join(part.get("text", "") for part in content)
        total += -(-len(content or "") // CHARS_PER_TOKEN)
    return total


def read_reactor(path: Path) -> Iterator[TraceRequest]:
    offset = last = 0.0
    first: float | None = None
    with path.open("rb") as file:
        for number, raw in enumerate(file, 1):
            if not raw.strip():
                continue
            try:
                line = _reactor_line.decode(raw)
            except msgspec.DecodeError as exc:
                raise TraceError(f"{path}:{number}: {exc}") from None
            if line.trace is not None:
                offset = last
                continue
            if line.arrival_s is None or line.body is None:
                raise TraceError(f"{path}:{number}: neither a header nor a request")
            body = line.body
            limit = body.get("max_completion_tokens", body.get("max_tokens"))
            arrival = offset + line.arrival_s
            first = arrival if first is None else first
            last = arrival
            yield TraceRequest(arrival_s=arrival - first, prompt_tokens=_body_tokens(body),
                               output_tokens=limit if isinstance(limit, int) else None,
                               body=body, tenant=line.tenant, tier=line.tier)


def _timestamp(text: str) -> tuple[datetime, float]:
    # Seven fractional digits: more than datetime takes, so the fraction is kept apart,
    # which also keeps sub-microsecond differences that a float of epoch seconds loses.
    whole, _, fraction = text.strip().partition(".")
    return datetime.fromisoformat(whole), float(f"0.{fraction}") if fraction else 0.0


def read_azure(path: Path) -> Iterator[TraceRequest]:
    first: tuple[datetime, float] | None = None
    with path.open(newline="") as file:
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
            try:
                when, fraction = _timestamp(row[at])
                prompt, output = int(row[ins]), int(row[outs])
            except (ValueError, IndexError) as exc:
                raise TraceError(f"{path}:{number}: {exc}") from None
            first = (when, fraction) if first is None else first
            arrival = (when - first[0]).total_seconds() + fraction - first[1]
            yield TraceRequest(arrival_s=arrival, prompt_tokens=prompt, output_tokens=output)


class _Mooncake(msgspec.Struct):
    timestamp: float
    input_length: int
    output_length: int
    hash_ids: list[int] = []


_mooncake_line = msgspec.json.Decoder(_Mooncake)


def read_mooncake(path: Path) -> Iterator[TraceRequest]:
    first: float | None = None
    with path.open("rb") as file:
        for number, raw in enumerate(file, 1):
            if not raw.strip():
                continue
            try:
                row = _mooncake_line.decode(raw)
            except msgspec.DecodeError as exc:
                raise TraceError(f"{path}:{number}: {exc}") from None
            when = row.timestamp / 1000
            first = when if first is None else first
            yield TraceRequest(arrival_s=when - first, prompt_tokens=row.input_length,
                               output_tokens=row.output_length,
                               prefix_blocks=row.hash_ids or None)


READERS: Final[dict[str, Reader]] = {
    "reactor": read_reactor, "azure": read_azure, "mooncake": read_mooncake}


def guess_format(path: Path) -> str:
    """`azure` for .csv; for JSONL, `mooncake` if the first line has `hash_ids` or
    `input_length`, else `reactor`."""
    if path.suffix.lower() == ".csv":
        return "azure"
    with path.open("rb") as file:
        head = file.readline()
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
