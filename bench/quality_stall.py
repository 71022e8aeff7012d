"""Loop stall while the learned quality model crosses its graph threshold.

A selector actor (no other stages) holds a learned model of `--prompts` - 1 past
prompts (hashing embedder, synthetic outcomes) and a threshold of `--prompts`, so the
next new prompt makes the hnswlib graph due (the last seed prompt is observed, not
fitted, so that any growth of the row store happens before the ticker starts: code
older than the incremental growth in `stages.neighbours` copied every row at once,
~0.1 s at 20k prompts); then `--feed` rated prompts go through its mailbox one after
another, as feedback would. Meanwhile a ticker task sleeps 1 ms at a
time and records how late it wakes: the longest gap is the longest the event loop
stalled (every request and stream of a router waits that long).

    .venv/bin/python -m bench.quality_stall [--prompts 20000] [--feed 3000]

Runs against whichever `stages` is importable, so the same script measures a former
commit: `git archive <commit> reactor stages | tar -x -C /tmp/before`, copy bench/
there and run it from /tmp/before (the current directory comes first on the path).

Measured (2 shared cores, defaults, OPENBLAS_NUM_THREADS=1): the graph built on the loop
(bcd052c) stalled it 2.4-2.8 s; built in a worker thread, the longest stall is 18-21 ms
(p99 13-15 ms: each outcome searches 20k rows exactly until the graph is swapped in,
~6 s later on the one core the build takes).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import time

import anyio
import numpy as np

from bench.http_load import percentiles
from bench.routing import CONFIG, prompts
from reactor import (
    Feedback,
    HashingEmbedderConfig,
    Mailbox,
    Outcomes,
    Reply,
    Routed,
    SystemClock,
    parse_config,
)
from stages.embedders import build_embedder
from stages.quality import QualityModel, QualityParams
from stages.selector import Catalogue, Remembered, Selector

TICK_S = 0.001


async def run(total: int, feed: int) -> None:
    rng = random.Random(0)
    config = parse_config(CONFIG)
    embedder = build_embedder(HashingEmbedderConfig())
    texts = prompts(total - 1 + feed, rng)
    vectors = np.concatenate([await embedder.embed(texts[i:i + 1024])
                              for i in range(0, len(texts), 1024)])
    names = [m.name for m in config.models]
    quality = QualityModel(dim=vectors.shape[1], params=QualityParams(exact_below=total))
    seed = vectors[: total - 2]
    quality.fit(seed, {name: np.array([rng.random() for _ in seed], dtype=np.float32)
                       for name in names})
    quality.observe(vectors[total - 2], names[0], 0.5)
    catalogue = Catalogue(config.models, config.selector)
    catalogue.quality = quality
    sink: Mailbox[Routed] = Mailbox("sink", 1)
    selector = Selector(catalogue, sink, Outcomes(), SystemClock())

    gaps: list[float] = []

    async def ticker() -> None:
        while True:
            before = time.perf_counter()
            await anyio.sleep(TICK_S)
            gaps.append(time.perf_counter() - before - TICK_S)

    async with anyio.create_task_group() as tg:
        await tg.start(selector.run)
        tg.start_soon(ticker)
        started = time.perf_counter()
        crossed = None
        for i, vector in enumerate(vectors[total - 1:]):
            request_id = f"r{i}"
            selector.recent[request_id] = Remembered(model=rng.choice(names), task="chat",
                                                     embedding=vector)
            reply: Reply[bool] = Reply()
            await selector.mailbox.send(Feedback(request_id=request_id, score=rng.random(),
                                                 reply=reply))
            assert await reply.receive()
            del selector.recent[request_id]
            if crossed is None and len(quality) >= total:
                crossed = time.perf_counter()
        fed = time.perf_counter() - started
        # Polled: former commits have no hook to wait on.
        while not quality.uses_graph:  # noqa: ASYNC110
            await anyio.sleep(0.01)
        graph_at = time.perf_counter()
        tg.cancel_scope.cancel()

    stall_ms = percentiles(gaps)
    print(f"learned model crossing a threshold of {total} prompts, {feed} outcomes fed "
          f"in {fed:.2f} s; graph searched {graph_at - (crossed or started):.2f} s after "
          f"the crossing; {len(quality)} prompts")
    print(f"  loop stall (1 ms ticker lateness): max {stall_ms['max']:.1f} ms  "
          f"p99 {stall_ms['p99']:.2f} ms  "
          f"p50 {stall_ms['p50']:.2f} ms  over {len(gaps)} ticks")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench.quality_stall", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--prompts", type=int, default=20_000)
    parser.add_argument("--feed", type=int, default=3_000)
    args = parser.parse_args(argv)
    asyncio.run(run(args.prompts, args.feed))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
