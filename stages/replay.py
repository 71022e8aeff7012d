"""Serving a stored answer: the same events a live answer makes, at no upstream cost.

Shared by the exact and semantic caches. A JSON request gets the text in one token; a
stream gets it in word-sized pieces. Short replays run in the calling actor's handler
(they fit the flow's buffer, so they never wait); longer ones in a task it owns.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from reactor import (
    Actor,
    Clock,
    Completed,
    Done,
    FlowClosed,
    Job,
    Outcomes,
    Started,
    Token,
    Usage,
    stage_times,
)

_CHUNK = re.compile(r"\S+\s*|\s+")


class Stored:
    """What a cache hands back: enough to replay and to account for the saving."""

    __slots__ = ("cost_usd", "finish_reason", "model", "text", "usage")

    def __init__(self, model: str, text: str, finish_reason: str, usage: Usage,
                 cost_usd: float) -> None:
        self.model = model
        self.text = text
        self.finish_reason = finish_reason
        self.usage = usage
        self.cost_usd = cost_usd


async def replay_soon(actor: Actor[Any], job: Job, stored: Stored, outcomes: Outcomes,
                      clock: Clock, flow_size: int, kind: Literal["exact", "semantic"],
                      similarity: float | None = None) -> None:
    chunks = _CHUNK.findall(stored.text) if job.request.stream else [stored.text]
    if len(chunks) + 2 <= flow_size:
        await replay(job, stored, chunks, outcomes, clock, kind, similarity)
    else:
        await actor.spawn(replay, job, stored, chunks, outcomes, clock, kind, similarity)


async def replay(job: Job, stored: Stored, chunks: list[str], outcomes: Outcomes, clock: Clock,
                 kind: Literal["exact", "semantic"], similarity: float | None) -> None:
    flow = job.flow
    status: Literal["ok", "cancelled"] = "ok"
    try:
        await flow.emit(Started(model=stored.model, reason=f"{kind} cache hit", cache=kind,
                                similarity=similarity))
        for chunk in chunks:
            await flow.emit(Token(text=chunk))
        await flow.emit(Done(finish_reason=stored.finish_reason, usage=stored.usage,
                             cost_usd=0.0, stages=stage_times(job, clock.now())))
    except FlowClosed:
        status = "cancelled"
    finally:
        flow.detach()
    await outcomes.to_books(Completed(
        job=job, status=status, model=stored.model, attempts=[], usage=stored.usage,
        cost_usd=0.0, latency_s=clock.now() - job.received_at, ttft_s=0.0,
        text=stored.text if status == "ok" else "",  # the ledger's `answer` (`texts`)
        finish_reason=stored.finish_reason, cache=kind,
        saved_usd=stored.cost_usd if status == "ok" else 0.0))
