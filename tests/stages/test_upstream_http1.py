"""The lean HTTP/1.1 client: answers framed every way, however the network splits them,
connections pooled only when whole, and a reader that falls behind stops the socket.

Parsing is tested by handing a connection its bytes in every split (a real socket would
coalesce them at will); pooling and hang-ups over real sockets.
"""

from __future__ import annotations

import asyncio
import socket

import anyio
import pytest

from stages.upstreams import http1
from stages.upstreams.http1 import Body, Broken, NotHttp, Pool, Response
from tests.stages.upstream_support import Scripted, event_stream, response

CHUNKED = (b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream; charset=utf-8\r\n"
           b"Transfer-Encoding: chunked\r\n\r\n"
           b"6\r\ndata: \r\n"
           b"a;name=value\r\nhello\n\nab\n\r\n"
           b"3\r\n[x]\r\n"
           b"0\r\nX-Trailer: yes\r\n\r\n")
CHUNKED_BODY = b"data: hello\n\nab\n[x]"


class Transport(asyncio.Transport):
    """What a connection writes, and whether it paused or closed its socket."""

    def __init__(self) -> None:
        super().__init__()
        self.written = bytearray()
        self.paused = False
        self.closing = False

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self.written += data

    def pause_reading(self) -> None:
        self.paused = True

    def resume_reading(self) -> None:
        self.paused = False

    def is_closing(self) -> bool:
        return self.closing

    def close(self) -> None:
        self.closing = True


def connection() -> tuple[http1.Connection, Transport, asyncio.Future[Response]]:
    pool = Pool("http://127.0.0.1:9/v1", connect_timeout_s=1.0)
    conn = http1.Connection(pool)
    transport = Transport()
    conn.connection_made(transport)
    return conn, transport, conn.send(b"POST / HTTP/1.1\r\n\r\n")


async def drain(body: Body) -> bytes:
    out = bytearray()
    while not body.at_eof() and (data := await body.readany()):
        out += data
    return bytes(out)


def splits(raw: bytes) -> list[list[bytes]]:
    """`raw` in two pieces at every place, and a byte at a time."""
    return [[raw[:i], raw[i:]] for i in range(1, len(raw))] + [
        [raw[i : i + 1] for i in range(len(raw))]]


@pytest.mark.parametrize("pieces", splits(CHUNKED))
async def test_a_chunked_answer_reads_the_same_however_it_is_split(
        pieces: list[bytes]) -> None:
    conn, _, head = connection()
    for piece in pieces:
        conn.data_received(piece)
    answer = await head
    assert answer.status == 200
    assert answer.content_type == "text/event-stream"
    assert answer.headers["TRANSFER-encoding"] == "chunked"
    assert await drain(answer.content) == CHUNKED_BODY
    assert conn.reusable()


@pytest.mark.parametrize("pieces", splits(b"HTTP/1.1 100 Continue\r\n\r\n" +
                                          response(200, b'{"ok": true}')))
async def test_a_sized_answer_after_an_interim_one_reads_whole(pieces: list[bytes]) -> None:
    conn, _, head = connection()
    for piece in pieces:
        conn.data_received(piece)
    answer = await head
    assert answer.status == 200 and answer.content_type == "application/json"
    assert await drain(answer.content) == b'{"ok": true}'
    assert conn.reusable()


async def test_an_answer_without_length_ends_with_its_connection_and_is_not_pooled() -> None:
    conn, _, head = connection()
    conn.data_received(b"HTTP/1.1 200 OK\r\n\r\nwhole ")
    conn.data_received(b"answer")
    answer = await head
    conn.connection_lost(None)
    assert await drain(answer.content) == b"whole answer"
    assert not conn.reusable()


@pytest.mark.parametrize("lost", [None, ConnectionResetError("reset")])
async def test_a_body_cut_short_gives_what_came_then_says_it_broke(
        lost: Exception | None) -> None:
    conn, _, head = connection()
    conn.data_received(event_stream(b"data: one\n\n", whole=False))
    answer = await head
    conn.connection_lost(lost)
    assert await answer.content.readany() == b"data: one\n\n"
    with pytest.raises(Broken) as broken:
        await answer.content.readany()
    assert broken.value.answered


@pytest.mark.parametrize("raw", [b"SSH-2.0-OpenSSH_9.6\r\n\r\n", b"HTTP/1.1 abc\r\n\r\n",
                                 b"HTTP/1.1 200 OK\r\nno colon here\r\n\r\n",
                                 b"HTTP/1.1 200 OK\r\nContent-Length: ten\r\n\r\n"])
async def test_bytes_that_are_not_http_say_so_and_close_the_connection(raw: bytes) -> None:
    conn, transport, head = connection()
    conn.data_received(raw)
    with pytest.raises(NotHttp):
        await head
    assert transport.closing


async def test_a_broken_chunk_size_breaks_the_body() -> None:
    conn, transport, head = connection()
    conn.data_received(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n")
    answer = await head
    with pytest.raises(Broken):
        await drain(answer.content)
    assert transport.closing and not conn.reusable()


async def test_a_reader_that_falls_behind_pauses_the_socket_until_it_reads() -> None:
    conn, transport, head = connection()
    size = 3 * http1.HIGH_WATER
    conn.data_received(f"HTTP/1.1 200 OK\r\nContent-Length: {size}\r\n\r\n".encode())
    answer = await head
    for _ in range(3):
        conn.data_received(b"x" * http1.HIGH_WATER)
    assert transport.paused
    assert len(await answer.content.readany()) == size
    assert not transport.paused


async def test_the_request_is_one_write_with_its_length() -> None:
    pool = Pool("https://api.example.com/v1/", connect_timeout_s=1.0)
    head = pool.request_head("/chat/completions", {"Content-Type": "application/json"})
    conn = http1.Connection(pool)
    transport = Transport()
    conn.connection_made(transport)
    conn.send(b"".join((head, b"2\r\n\r\n{}")))
    assert bytes(transport.written) == (
        b"POST /v1/chat/completions HTTP/1.1\r\nHost: api.example.com\r\n"
        b"Content-Type: application/json\r\nContent-Length: 2\r\n\r\n{}")
    with pytest.raises(ValueError, match="cannot be sent"):
        pool.request_head("/x", {"X-Evil": "a\r\nHost: elsewhere"})


# Over real sockets


async def test_a_whole_answer_pools_its_connection_and_an_abandoned_one_hangs_up() -> None:
    whole = event_stream(b"data: [DONE]\n\n")
    async with Scripted((whole, "keep"), (whole, "keep"),
                        (event_stream(b"data: x\n\n", whole=False), "hold")) as upstream:
        pool = Pool(upstream.base_url, connect_timeout_s=1.0)
        head = pool.request_head("/chat", {})
        with anyio.fail_after(5):
            for _ in range(2):
                answer, conn = await pool.post(head, b"{}")
                assert await drain(answer.content) == b"data: [DONE]\n\n"
                pool.release(conn)
            answer, conn = await pool.post(head, b"{}")
            assert await answer.content.readany() == b"data: x\n\n"
            pool.release(conn)  # the rest of the answer is never read
            await upstream.hung_up.wait()
        await pool.aclose()
    assert upstream.connections == 1
    assert upstream.requests == 3


async def test_a_refused_connection_is_connect_failed() -> None:
    with socket.socket() as bound:  # bound, not listening: refused, and nobody takes it
        bound.bind(("127.0.0.1", 0))
        pool = Pool(f"http://127.0.0.1:{bound.getsockname()[1]}", connect_timeout_s=1.0)
        with anyio.fail_after(5), pytest.raises(http1.ConnectFailed):
            await pool.post(pool.request_head("/", {}), b"")


# Quiet reading: a caller that takes the answer whole is woken once, not per piece


def chunk(data: bytes) -> bytes:
    return f"{len(data):x}\r\n".encode() + data + b"\r\n"


class Quietly:
    """A task reading `body` quietly, and the pieces it heard of meanwhile."""

    def __init__(self, body: Body, marker: bytes = b"[DONE]") -> None:
        self.heard = 0
        self.task = asyncio.ensure_future(body.read_quietly(self.hear, marker))

    @classmethod
    async def waiting(cls, body: Body) -> Quietly:
        """A reader already waiting, quietly."""
        reader = cls(body)
        await reader.settle()
        return reader

    def hear(self) -> None:
        self.heard += 1

    async def settle(self) -> None:
        """Let the reader run as far as it can without more bytes."""
        for _ in range(5):
            await asyncio.sleep(0)


async def quiet_answer() -> tuple[http1.Connection, Transport, Body]:
    conn, transport, head = connection()
    conn.data_received(event_stream(b"data: first\n\n", whole=False))
    answer = await head
    assert await answer.content.readany() == b"data: first\n\n"  # read as it came
    return conn, transport, answer.content


async def test_a_quiet_reader_hears_each_piece_and_wakes_at_the_marker() -> None:
    conn, _, body = await quiet_answer()
    reader = await Quietly.waiting(body)
    for word in (b"data: two\n\n", b"data: three\n\n"):
        conn.data_received(chunk(word))
        await reader.settle()
        assert not reader.task.done()
    assert reader.heard == 2
    conn.data_received(chunk(b"data: [DONE]\n\n"))
    await reader.settle()
    assert reader.task.result() == b"data: two\n\ndata: three\n\ndata: [DONE]\n\n"
    assert reader.heard == 3
    # Back to waking at every piece once the quiet read is over.
    conn.data_received(b"0\r\n\r\n")
    assert await body.readany() == b"" and conn.reusable()


@pytest.mark.parametrize("pieces", [
    [b"data: two\n\ndata: [DO", b"NE]\n\n"],
    [b"data: two\n\ndata: [D", b"O", b"N", b"E]\n\n"],
    [b"data: two\n\n"] + [bytes([c]) for c in b"data: [DONE]"],
], ids=["two pieces", "four pieces", "byte by byte"])
async def test_a_marker_split_over_many_reads_still_wakes_the_quiet_reader(
        pieces: list[bytes]) -> None:
    conn, _, body = await quiet_answer()
    reader = await Quietly.waiting(body)
    for piece in pieces[:-1]:
        conn.data_received(chunk(piece))
        await reader.settle()
        assert not reader.task.done()
    conn.data_received(chunk(pieces[-1]))
    await reader.settle()
    assert reader.task.result() == b"".join(pieces)


async def test_a_marker_begun_before_the_reader_went_quiet_still_wakes_it() -> None:
    conn, _, body = await quiet_answer()
    for piece in (b"data: [", b"D"):  # read as they came, by a reader that is not quiet
        conn.data_received(chunk(piece))
        assert await body.readany() == piece
    reader = await Quietly.waiting(body)
    conn.data_received(chunk(b"ON"))
    await reader.settle()
    assert not reader.task.done()
    conn.data_received(chunk(b"E]\n\n"))
    await reader.settle()
    assert reader.task.result() == b"ONE]\n\n"


@pytest.mark.parametrize("how", ["end", "break", "high water"])
async def test_a_quiet_reader_wakes_with_what_waits_when_it_must(how: str) -> None:
    conn, transport, body = await quiet_answer()
    reader = await Quietly.waiting(body)
    conn.data_received(chunk(b"data: two\n\n"))
    await reader.settle()
    assert not reader.task.done()
    expected = b"data: two\n\n"
    if how == "end":
        conn.data_received(b"0\r\n\r\n")
    elif how == "break":
        conn.connection_lost(ConnectionResetError("reset"))
    elif how == "high water":
        filler = b"x" * http1.HIGH_WATER
        conn.data_received(chunk(filler))
        expected += filler
    await reader.settle()
    assert reader.task.result() == expected
    assert not transport.paused  # what made the socket stop was read: it reads again
    if how == "break":
        with pytest.raises(Broken):
            await body.readany()


async def test_a_quiet_reader_cut_short_leaves_what_came_to_be_taken() -> None:
    conn, transport, body = await quiet_answer()
    reader = await Quietly.waiting(body)
    filler = b"x" * (http1.HIGH_WATER // 2)
    for piece in (b"data: two\n\n", filler, filler):
        conn.data_received(chunk(piece))
    assert transport.paused  # past the high water: woken, but not yet run
    reader.task.cancel()
    await reader.settle()
    assert reader.task.cancelled()
    assert body.take_waiting() == b"data: two\n\n" + filler + filler
    assert not transport.paused and body.take_waiting() == b""
    conn.data_received(chunk(b"data: three\n\n"))  # a plain reader is woken again
    assert await body.readany() == b"data: three\n\n"


def test_headers_are_looked_up_by_any_case_and_the_first_repeated_one_wins() -> None:
    headers = http1.Headers([("Content-Type", "text/plain"), ("X-Twice", "first"),
                             ("x-twice", "second")])
    assert headers.get("content-type") == headers["CONTENT-TYPE"] == "text/plain"
    assert headers.get("X-TWICE") == "first"
    assert headers.get("transfer-encoding") is None
    assert headers.get("Transfer-Encoding", "") == ""
    assert "x-twice" in headers and "connection" not in headers
    assert dict(headers) == {"content-type": "text/plain", "x-twice": "first"}
