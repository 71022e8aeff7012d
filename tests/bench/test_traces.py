"""Trace readers and prompt synthesis, on hand-written miniatures of each format."""

from __future__ import annotations

from pathlib import Path

import anyio
import msgspec
import pytest

from bench.replay_targets import build_request
from bench.traces import (
    BLOCK_CHARS,
    Synthesiser,
    TraceError,
    TraceRequest,
    guess_format,
    read_azure,
    read_mooncake,
    read_reactor,
    read_trace,
)
from reactor import ChatRequest, FakeClock
from reactor._record import Recorder

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "traces"


def shared_prefix(a: str, b: str) -> int:
    return next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y),
                min(len(a), len(b)))


def test_azure_reads_every_row_including_the_last_one_without_a_newline() -> None:
    path = FIXTURES / "azure_tiny.csv"
    assert not path.read_bytes().endswith(b"\n")

    trace = list(read_azure(path))

    assert [(r.prompt_tokens, r.output_tokens) for r in trace] == \
        [(374, 44), (396, 109), (12, 7), (879, 20), (5, 1)]
    assert [r.arrival_s for r in trace] == pytest.approx(
        [0.0, 4.314579, 4.314579, 4.31941, 14.5])
    assert all(r.prefix_blocks is None and r.body is None for r in trace)


def test_azure_with_other_columns_is_refused_with_what_it_found(tmp_path: Path) -> None:
    path = tmp_path / "other.csv"
    path.write_text("time,prompt,output\n2023-11-16 18:15:46.68,1,2")
    with pytest.raises(TraceError, match="ContextTokens"):
        list(read_azure(path))


def test_azure_names_the_bad_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("TIMESTAMP,ContextTokens,GeneratedTokens\n"
                    "2023-11-16 18:15:46.68,1,2\n2023-11-16 18:15:47.00,many,2\n")
    with pytest.raises(TraceError, match=r"bad\.csv:3"):
        list(read_azure(path))


def test_mooncake_times_are_seconds_and_hash_ids_are_prefix_blocks() -> None:
    trace = list(read_mooncake(FIXTURES / "mooncake_tiny.jsonl"))

    assert [r.arrival_s for r in trace] == [0.0, 0.25, 0.25, 1.5]
    assert [r.prefix_blocks for r in trace] == [[0, 1, 2], [0, 1, 3], [4], [0, 1, 2]]
    assert [(r.prompt_tokens, r.output_tokens) for r in trace] == \
        [(1100, 12), (1300, 3), (300, 40), (1100, 12)]


def test_shared_hash_ids_become_shared_prefix_text() -> None:
    synth = Synthesiser()
    first, second, other, again = (
        synth.text(r.prompt_tokens, blocks=r.prefix_blocks, marker=str(i))
        for i, r in enumerate(read_mooncake(FIXTURES / "mooncake_tiny.jsonl")))

    assert [len(p) for p in (first, second, other, again)] == [4400, 5200, 1200, 4400]
    assert 2 * BLOCK_CHARS <= shared_prefix(first, second) < 3 * BLOCK_CHARS
    assert shared_prefix(first, other) < 8
    assert again == first


def test_a_long_prompt_is_built_from_cached_blocks() -> None:
    synth = Synthesiser()
    blocks = list(range(24))
    prompt = synth.text(12_000, blocks=blocks)
    assert len(prompt) == 48_000
    assert synth.generated == 24

    assert synth.text(12_000, blocks=blocks) == prompt
    assert synth.generated == 24


def test_the_block_cache_is_bounded() -> None:
    synth = Synthesiser(cached_blocks=2)
    first = synth.block(1)
    synth.block(2)
    synth.block(3)
    assert synth.block(1) == first
    assert synth.generated == 4


def test_prompts_without_blocks_share_neither_a_prefix_nor_words() -> None:
    synth = Synthesiser()
    prompts = [synth.text(700, marker=str(n)) for n in range(3)]
    assert all(len(p) == 2800 for p in prompts)
    assert len({p[:4] for p in prompts}) == 3
    first, second = (set(p.split()[1:]) for p in prompts[:2])
    assert not first & second
    assert synth.text(1, marker="12345") == "[12345] "
    assert synth.text(700, marker="0") == prompts[0]


def test_a_prompt_longer_than_its_blocks_goes_on_with_its_own_text() -> None:
    synth = Synthesiser()
    prompt = synth.text(600, blocks=[7], marker="x")
    assert len(prompt) == 2400
    assert prompt.startswith(synth.block(7))
    assert prompt[BLOCK_CHARS:].startswith("[x] ")


def test_reactor_recordings_follow_one_another_in_time() -> None:
    trace = list(read_reactor(FIXTURES / "reactor_tiny.jsonl"))

    assert [r.arrival_s for r in trace] == [0.0, 1.5, 3.0]
    assert [r.prompt_tokens for r in trace] == [36, 8, 8]
    assert [r.output_tokens for r in trace] == [64, None, 16]
    assert (trace[0].tenant, trace[0].tier) == ("acme", "gold")
    assert trace[2].body is not None
    assert trace[2].body["messages"][0]["content"] == "What is the capital of France?"


async def test_what_the_recorder_writes_reads_back_as_a_trace(tmp_path: Path) -> None:
    path = tmp_path / "recorded.jsonl"
    clock = FakeClock()
    request = msgspec.convert({"messages": [{"role": "user", "content": "x" * 400}],
                               "max_tokens": 9}, ChatRequest)
    with anyio.fail_after(5):
        async with Recorder(path, clock=clock) as recorder:
            recorder.record(request, "acme", "gold", clock.now() + 2)
            recorder.record(request, "acme", "gold", clock.now() + 3)

    trace = list(read_trace(path))
    assert trace == [
        TraceRequest(arrival_s=s, prompt_tokens=100, output_tokens=9, tenant="acme",
                     tier="gold", body={"messages": [{"role": "user", "tokens": 100}],
                                        "max_tokens": 9})
        for s in (0.0, 1.0)]


def test_the_format_is_guessed_from_the_file() -> None:
    assert guess_format(FIXTURES / "azure_tiny.csv") == "azure"
    assert guess_format(FIXTURES / "mooncake_tiny.jsonl") == "mooncake"
    assert guess_format(FIXTURES / "reactor_tiny.jsonl") == "reactor"
    with pytest.raises(TraceError, match="unknown trace format"):
        read_trace(FIXTURES / "azure_tiny.csv", "sharegpt")


AZURE_HEADER = "TIMESTAMP,ContextTokens,GeneratedTokens\n"
RECORDED = '{"arrival_s":%s,"body":{"messages":[{"role":"user","tokens":3}]}}\n'


def written(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode())
    return path


def test_a_byte_order_mark_is_not_part_of_the_first_line(tmp_path: Path) -> None:
    azure = written(tmp_path, "bom.csv", "\ufeff" + AZURE_HEADER + "2023-11-16 18:15:46,1,2")
    mooncake = written(tmp_path, "bom.jsonl", '\ufeff{"timestamp": 0, "input_length": 10, '
                       '"output_length": 2, "hash_ids": [1]}\r\n')
    reactor = written(tmp_path, "bom-reactor.jsonl", "\ufeff" + RECORDED % 0)

    assert [r.prompt_tokens for r in read_trace(azure)] == [1]
    assert guess_format(mooncake) == "mooncake"
    assert [r.prefix_blocks for r in read_trace(mooncake)] == [[1]]
    assert [r.prompt_tokens for r in read_trace(reactor)] == [3]


def test_azure_timestamps_may_carry_a_time_zone_but_not_only_some_of_them(
        tmp_path: Path) -> None:
    zoned = written(tmp_path, "zoned.csv", AZURE_HEADER + "2023-11-16 18:15:46.68+00:00,1,2\n"
                    "2023-11-16T19:15:47.5+01:00,1,2\n2023-11-16 18:15:48Z,1,2\n")
    assert [r.arrival_s for r in read_trace(zoned)] == pytest.approx([0.0, 0.82, 1.32])

    mixed = written(tmp_path, "mixed.csv", AZURE_HEADER + "2023-11-16 18:15:46+00:00,1,2\n"
                    "2023-11-16 18:15:47,1,2\n")
    with pytest.raises(TraceError, match=r"mixed\.csv:3: a time zone on some"):
        list(read_trace(mixed))


@pytest.mark.parametrize(("name", "text", "where"), [
    ("late.csv", AZURE_HEADER + "2023-11-16 18:15:47,1,2\n2023-11-16 18:15:46,1,2\n", 3),
    ("late.jsonl", '{"timestamp": 10, "input_length": 1, "output_length": 1}\n'
                   '{"timestamp": 5, "input_length": 1, "output_length": 1}\n', 2),
    ("late-reactor.jsonl", RECORDED % 5 + RECORDED % 1, 2),
])
def test_a_request_before_the_one_above_it_is_refused_not_sent_late(
        tmp_path: Path, name: str, text: str, where: int) -> None:
    path = written(tmp_path, name, text)
    with pytest.raises(TraceError, match=rf"{name}:{where}: .*sort the trace"):
        list(read_trace(path))


@pytest.mark.parametrize(("name", "text", "what"), [
    ("negative.csv", AZURE_HEADER + "2023-11-16 18:15:47,-5,2\n", "ContextTokens"),
    ("huge.csv", AZURE_HEADER + "2023-11-16 18:15:47,5,99999999999\n", "GeneratedTokens"),
    ("negative.jsonl", '{"timestamp": 0, "input_length": -1, "output_length": 1}\n',
     "input_length"),
    ("huge-reactor.jsonl", '{"arrival_s":0,"body":{"messages":[{"role":"user","tokens":'
     '1}],"max_tokens":5000000000}}\n', "max_tokens"),
    ("text.jsonl", '{"arrival_s":0,"body":{"messages":[{"role":"user","tokens":"x"}]}}\n',
     r"messages\[0\].tokens"),
])
def test_a_token_count_out_of_range_is_refused_with_its_line(
        tmp_path: Path, name: str, text: str, what: str) -> None:
    path = written(tmp_path, name, text)
    with pytest.raises(TraceError, match=rf"{name}:1?\d?: {what}"):
        list(read_trace(path))


@pytest.mark.parametrize(("body", "said"), [
    ('{"messages":["hi"]}', r"messages\[0\]: Expected `object`"),
    ('{"messages":[{"role":"user","content":5}]}', r"messages\[0\].content"),
    ('{"messages":[{"role":"robot","content":"hi"}]}', r"messages\[0\].role"),
    ('{"messages":[]}', "messages: at least one message"),
])
def test_a_recorded_body_that_is_not_a_request_is_refused_with_its_line(
        tmp_path: Path, body: str, said: str) -> None:
    path = written(tmp_path, "bodies.jsonl", RECORDED % 0 + f'{{"arrival_s":1,"body":{body}}}\n')
    with pytest.raises(TraceError, match=rf"bodies\.jsonl:2: {said}"):
        list(read_trace(path))


def test_a_missing_column_is_named(tmp_path: Path) -> None:
    path = written(tmp_path, "short.csv", AZURE_HEADER + "2023-11-16 18:15:47,5\n")
    with pytest.raises(TraceError, match=r"short\.csv:2: 2 columns where the header has 3"):
        list(read_trace(path))


@pytest.mark.parametrize(("name", "text"), [
    ("header.csv", AZURE_HEADER),
    ("empty.jsonl", ""),
    ("header.jsonl", '{"trace":"reactor","version":1,"started_at":1.0,"prompts":false}\n'),
])
def test_a_trace_without_requests_is_refused(tmp_path: Path, name: str, text: str) -> None:
    path = written(tmp_path, name, text)
    with pytest.raises(TraceError, match="no requests"):
        list(read_trace(path))


def test_a_tool_message_recorded_by_size_replays_as_a_valid_request(tmp_path: Path) -> None:
    path = written(tmp_path, "tools.jsonl", '{"arrival_s":0,"body":{"messages":['
                   '{"role":"user","tokens":3},{"role":"assistant","tokens":0},'
                   '{"role":"tool","tokens":4}]}}\n')
    (item,) = read_trace(path)

    request = build_request(item, 0, Synthesiser(), stream=None, output_tokens=8)
    assert [m.role for m in request.messages] == ["user", "assistant", "tool"]
    assert request.messages[2].tool_call_id
    assert item.prompt_tokens == 7
