"""`reactor bench pipeline`: what it sends, and a short run through every stage."""

from __future__ import annotations

from pathlib import Path

import anyio
import pytest

from bench import pipeline
from reactor import parse_config
from reactor._router import Router


def test_prompts_come_from_json_lines_or_plain_lines(tmp_path: Path) -> None:
    jsonl = tmp_path / "questions.jsonl"
    jsonl.write_text('{"uid": "a", "prompt": "Write a haiku."}\n\n'
                     '{"uid": "b", "prompt": "Sort a list\\nin place."}\n{"uid": "c"}\n')
    assert pipeline.read_prompts(str(jsonl)) == ["Write a haiku.", "Sort a list\nin place."]
    plain = tmp_path / "questions.txt"
    plain.write_text("first\n\nsecond\n")
    assert pipeline.read_prompts(str(plain)) == ["first", "second"]
    (tmp_path / "empty.txt").write_text("\n")
    with pytest.raises(SystemExit, match="no prompts"):
        pipeline.read_prompts(str(tmp_path / "empty.txt"))


async def test_each_request_is_new_and_real_prompts_go_through_every_stage(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pipeline, "PROMPTS", ["Explain recursion.", "¿Qué hora es?"])
    texts = [pipeline._request(n).messages[0].text for n in range(4)]
    assert len(set(texts)) == 4 and texts[2].startswith("Explain recursion.")
    config = parse_config(pipeline.CONFIG.format(mailbox=64, tokens=4))
    with anyio.fail_after(30):
        async with Router(config) as router:
            latencies = await pipeline.closed_loop(router, 20, 4)
            await router.quiesce()  # the books are told after the answers
            stats = router.stats()
    assert len(latencies) == 20
    assert stats["cost"]["total"]["requests"] == 20
