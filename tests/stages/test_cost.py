"""The books agree: what the stats endpoint (the cost tracker), `/metrics` and the ledger
(read back by `reactor ledger`) say each request cost, in total, by model and by tenant."""

from __future__ import annotations

import msgspec
import pytest
from prometheus_client import CollectorRegistry

from reactor import ChatMessage, ChatRequest, Completed, FakeClock, Flow, Part, Usage
from reactor._messages import Job
from stages.cost import Ledger as CostLedger
from stages.ledger import entry_of, summarize
from stages.metrics import Metrics


def outcome(*, tenant: str = "t", model: str | None = "a", usage: Usage | None = None,
            cost_usd: float = 0.0, status: str = "ok", cache: str = "miss",
            saved_usd: float = 0.0, parts: list[Part] | None = None,
            discarded: list[Part] | None = None, estimated: bool = False) -> Completed:
    job = Job(id="r1", request=ChatRequest(messages=[ChatMessage(role="user", content="hi")]),
              flow=Flow("r1"), received_at=0.0, tenant=tenant)
    return Completed(job=job, status=status, model=model,  # type: ignore[arg-type]
                     attempts=[], usage=usage or Usage(), cost_usd=cost_usd, latency_s=0.5,
                     cache=cache, saved_usd=saved_usd,  # type: ignore[arg-type]
                     parts=parts or [], discarded=discarded or [], estimated=estimated)


def share(model: str, prompt: int, completion: int, cost: float,
          estimated: bool = False) -> Part:
    return Part(model=model, usage=Usage(prompt_tokens=prompt, completion_tokens=completion),
                cost_usd=cost, estimated=estimated)


def outcomes() -> list[Completed]:
    """A stream that moved from a (usage reported) to b (estimated from its text), after a
    try on c was billed and thrown away (estimated too); a plain answer; a cache hit; a
    refusal. Made afresh: a module-level one would keep its flows alive for the session."""
    return [
        outcome(tenant="t", model="b", usage=Usage(prompt_tokens=30, completion_tokens=9),
                cost_usd=1.5, estimated=True,
                parts=[share("a", 10, 4, 0.5), share("b", 20, 5, 1.0, estimated=True)],
                discarded=[share("c", 10, 2, 0.25, estimated=True)]),
        outcome(tenant="u", model="a", usage=Usage(prompt_tokens=7, completion_tokens=3),
                cost_usd=0.125),
        outcome(tenant="u", model="a", usage=Usage(prompt_tokens=7, completion_tokens=3),
                cache="exact", saved_usd=0.125),
        outcome(tenant="u", model=None, status="rejected"),
    ]


def from_ledger(books: list[Completed]) -> dict[str, object]:
    lines = [msgspec.json.encode(entry_of(each, 0.0, texts=False)) for each in books]
    return msgspec.to_builtins(summarize(lines))  # type: ignore[no-any-return]


def test_the_cost_tracker_counts_as_estimated_only_the_shares_that_were() -> None:
    books = CostLedger()
    ended = outcomes()
    for each in ended:
        books.add(each)

    # b's share (1.0) and c's thrown-away try (0.25) were estimated; a's share was not.
    assert books.total.estimated_usd == pytest.approx(1.25)
    assert books.by_tenant["t"].estimated_usd == pytest.approx(1.25)
    assert from_ledger(ended)["estimated_usd"] == pytest.approx(books.total.estimated_usd)


def test_the_stats_the_metrics_and_the_ledger_agree_on_every_total() -> None:
    books = CostLedger()
    registry = CollectorRegistry(auto_describe=True)
    metrics = Metrics(registry, FakeClock())
    ended = outcomes()
    for each in ended:
        books.add(each)
        metrics.books.add(each)
    summary = from_ledger(ended)

    assert summary["cost_usd"] == pytest.approx(books.total.cost_usd) == \
        pytest.approx(sum(metrics.books.cost.values()))
    assert summary["saved_usd"] == pytest.approx(books.total.saved_usd)
    for model, row in summary["by_model"].items():  # type: ignore[attr-defined]
        mine = books.by_model[model]
        assert (row["requests"], row["prompt_tokens"], row["completion_tokens"]) == \
            (mine.requests, mine.prompt_tokens, mine.completion_tokens), model
        assert row["cost_usd"] == pytest.approx(mine.cost_usd) == \
            pytest.approx(metrics.books.cost[model])
        assert metrics.books.tokens[model, "prompt"] == mine.prompt_tokens
    for tenant, row in summary["by_tenant"].items():  # type: ignore[attr-defined]
        mine = books.by_tenant[tenant]
        # The thrown-away try's tokens are the tenant's as much as its cost is.
        assert (row["requests"], row["failed"], row["prompt_tokens"],
                row["completion_tokens"]) == (mine.requests, mine.failures,
                                              mine.prompt_tokens, mine.completion_tokens), \
            tenant
        assert row["cost_usd"] == pytest.approx(mine.cost_usd)
