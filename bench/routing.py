"""Routing decision time: analysis, embedding and selection for one prompt.

What a request spends between admission and the provider, with the hashing embedder
and a learned quality model of `--prompts` past prompts (synthetic outcomes), measured
one prompt at a time on the pure cores (no actors, no I/O).

    reactor bench routing [--prompts 10000] [--decisions 5000] [--embedder hashing]

Target (issue #4): p99 under 1 ms with the hashing embedder.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import time

import msgspec
import numpy as np

from reactor import ChatMessage, ChatRequest, HashingEmbedderConfig, parse_config
from stages.analyzer import analyze
from stages.embedders import build_embedder
from stages.quality import QualityModel
from stages.selector import Catalogue

CONFIG = """
[[models]]
name = "small"
price_in = 0.1
price_out = 0.4
quality = 0.6
upstream = { kind = "simulated" }
[[models]]
name = "medium"
price_in = 0.6
price_out = 2.4
quality = 0.72
upstream = { kind = "simulated" }
[[models]]
name = "large"
price_in = 2.5
price_out = 10.0
quality = 0.82
upstream = { kind = "simulated" }
[[models]]
name = "frontier"
price_in = 15.0
price_out = 75.0
quality = 0.9
upstream = { kind = "simulated" }
"""

TOPICS = ["sort a list in python", "integral of x squared", "capital of australia",
          "write a poem about rain", "summarize this paragraph", "translate hello to french",
          "explain quantum entanglement", "fix this sql query", "plan a trip to japan",
          "why is the sky blue"]


def prompts(n: int, rng: random.Random) -> list[str]:
    return [f"{rng.choice(TOPICS)} {rng.randrange(10**6)} {rng.choice(TOPICS)}"
            for _ in range(n)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="reactor bench routing", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--prompts", type=int, default=10_000)
    parser.add_argument("--decisions", type=int, default=5_000)
    args = parser.parse_args(argv)
    rng = random.Random(0)
    config = parse_config(CONFIG)
    embedder = build_embedder(HashingEmbedderConfig())
    catalogue = Catalogue(config.models, config.selector)

    past = prompts(args.prompts, rng)
    vectors = asyncio.run(embedder.embed(past))
    quality = QualityModel(dim=vectors.shape[1])
    outcomes = {m.name: np.array([min(1.0, max(0.0, rng.gauss(m.quality, 0.2)))
                                  for _ in past], dtype=np.float32) for m in config.models}
    quality.fit(vectors, outcomes)
    catalogue.quality = quality

    requests = [ChatRequest(messages=[ChatMessage(role="user", content=p)])
                for p in prompts(args.decisions, rng)]

    async def measure() -> list[float]:
        times = []
        for request in requests:
            t0 = time.perf_counter()
            embedding = (await embedder.embed([request.last_user_text]))[0]
            features = msgspec.structs.replace(analyze(request, config.analyzer),
                                               embedding=embedding)
            catalogue.decide(request, features, "default")
            times.append(time.perf_counter() - t0)
        return times

    times = sorted(asyncio.run(measure()))
    p50, p99 = times[len(times) // 2], times[int(len(times) * 0.99)]
    print(f"{args.decisions} decisions, learned model of {len(quality)} prompts "
          f"({'hnswlib' if quality.uses_graph else 'exact numpy'} search), hashing embedder:")
    print(f"  routing decision p50 {p50 * 1e3:.3f} ms  p99 {p99 * 1e3:.3f} ms  "
          f"max {times[-1] * 1e3:.3f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
