"""Asking a cheap model for the task type when the heuristic is unsure."""

from __future__ import annotations

import pytest

from bench.fake_upstream import FakeUpstream
from reactor import Router, parse_config
from stages.llm_classifier import parse_label

VAGUE = "hmm, about that thing we discussed"  # no keyword the heuristic can use


def config(base_url: str, per_minute: int = 60) -> str:
    return f"""
[analyzer.llm_classifier]
model = "labeller"
below_confidence = 0.5
per_minute = {per_minute}
timeout_s = 5.0

[[models]]
name = "answerer"
upstream = {{ kind = "simulated", output_tokens = 4 }}

[[models]]
name = "labeller"
tiers = ["internal"]
upstream = {{ kind = "openai", base_url = "{base_url}", api_key = "k" }}
"""


@pytest.mark.parametrize(("answer", "label"), [("math", "math"), ("Creative writing.",
                         "creative_writing"), ("open-qa", "open_qa"), ("no idea", None)])
def test_labels_are_read_from_free_text(answer: str, label: str | None) -> None:
    assert parse_label(answer) == label


async def test_an_unsure_prompt_is_labelled_by_the_model() -> None:
    async with FakeUpstream(content="translation") as fake:
        async with Router(parse_config(config(fake.base_url))) as router:
            decision = await router.route({"messages": [{"role": "user", "content": VAGUE}]})
            sure = await router.route({"messages": [{"role": "user", "content":
                                       "Write a python function that reverses a list"}]})
            classifier = router.pipeline.analyzer.classifier
    assert decision.features is not None and decision.features.task == "translation"
    assert decision.features.task_confidence == pytest.approx(0.8)
    assert sure.features is not None and sure.features.task == "code"
    assert fake.requests == 1  # the confident prompt was not sent
    system = fake.last.body["messages"][0]["content"]
    assert "Classify" in system and fake.last.body["messages"][1]["content"] == VAGUE
    assert classifier is not None and classifier.changed == 1


async def test_budget_and_failures_leave_the_heuristic_standing() -> None:
    async with FakeUpstream(content="math", faults=["http_500"]) as fake:
        async with Router(parse_config(config(fake.base_url, per_minute=2))) as router:
            tasks = []
            for _ in range(4):
                decision = await router.route({"messages": [{"role": "user",
                                                             "content": VAGUE}]})
                assert decision.features is not None
                tasks.append(decision.features.task)
            classifier = router.pipeline.analyzer.classifier
    # First call: the upstream fails, heuristic stands; second: labelled; then no budget.
    assert tasks[0] != "math" and tasks[1] == "math" and tasks[2] == tasks[0]
    assert fake.requests == 2
    assert classifier is not None and classifier.failures == 1 and classifier.skipped == 2


def test_config_names_an_unknown_model() -> None:
    from reactor import ConfigError

    with pytest.raises(ConfigError) as caught:
        parse_config(config("http://127.0.0.1:1/v1").replace('model = "labeller"',
                                                             'model = "nobody"'))
    assert "analyzer.llm_classifier.model" in str(caught.value)
