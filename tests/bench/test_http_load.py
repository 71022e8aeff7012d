"""The HTTP load generator: its response parser, and a bounded run against the fake."""

from __future__ import annotations

import pytest

from bench.fake_upstream import FakeUpstream
from bench.http_load import _Load, _parse, parse

HEAD = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"


def test_a_body_with_content_length_is_whole_only_once_every_byte_arrived() -> None:
    raw = HEAD + b"Content-Length: 5\r\n\r\nhello" + b"HTTP/1.1 200 OK"
    assert _parse(bytearray(raw[:-20])) is None
    status, _, body, used = _parse(bytearray(raw)) or (0, b"", b"", 0)
    assert (status, body) == (200, b"hello")
    assert raw[used:] == b"HTTP/1.1 200 OK"


def test_a_chunked_body_is_joined_and_ends_at_the_empty_chunk() -> None:
    raw = HEAD + b"Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"
    for cut in range(len(raw)):
        assert _parse(bytearray(raw[:cut])) is None
    status, _, body, used = _parse(bytearray(raw)) or (0, b"", b"", 0)
    assert (status, body, used) == (200, b"abcde", len(raw))


@pytest.mark.parametrize("stream", [False, True])
async def test_a_bounded_run_counts_answers_and_streamed_tokens(stream: bool) -> None:
    async with FakeUpstream(output_tokens=4) as fake:
        argv = [f"{fake.base_url}/chat/completions", "--concurrency", "2",
                "--duration", "60", "--warmup", "0", "--max-requests", "10"]
        result = await _Load(parse([*argv, "--stream"] if stream else argv)).run()
        prompts = {body["messages"][0]["content"] for body in fake.bodies}
    assert result.ok == 10 and result.errors == 0
    assert result.tokens == (40 if stream else 0)
    assert len(prompts) == fake.requests  # every prompt distinct: no cache can answer
