"""`reactor train FILE`: build the selector's learned quality model from labelled data.

Input, one JSON object a line: `{"prompt": str, "scores": {model: 0..1}, "costs":
{model: usd}}` (costs are optional and unused here: the router prices with router.toml).
Prompts are embedded with the analyzer's configured embedder and given a task type by
its classifier, exactly as live requests are, then `stages.quality.QualityModel.fit`
and `save` (atomic) to `[selector] quality_model` or `--out`.
"""

from __future__ import annotations

import math
from pathlib import Path

import msgspec
import numpy as np

from reactor._config import RouterConfig
from reactor._errors import ConfigError


class Example(msgspec.Struct, frozen=True, kw_only=True):
    prompt: str
    scores: dict[str, float]
    costs: dict[str, float] = {}


def read_examples(path: Path) -> list[Example]:
    decoder = msgspec.json.Decoder(Example)
    examples: list[Example] = []
    with path.open("rb") as lines:
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                examples.append(decoder.decode(line))
            except msgspec.DecodeError as exc:
                raise ConfigError(f"line {number}: {exc}", source=str(path)) from None
    if not examples:
        raise ConfigError("no examples", source=str(path))
    return examples


async def train(config: RouterConfig, data: Path, out: Path | None,
                batch: int = 256) -> tuple[Path, int, list[str]]:
    """Fit and save; returns where, how many prompts, and which models were scored."""
    from stages.analyzer import classify
    from stages.embedders import build_embedder, embedder_identity
    from stages.quality import QualityModel

    target = out or (Path(config.selector.quality_model)
                     if config.selector.quality_model else None)
    if target is None:
        raise ConfigError("nowhere to save: set [selector] quality_model or pass --out")
    examples = read_examples(data)
    embedder = build_embedder(config.analyzer.embedder)
    vectors = [await embedder.embed([e.prompt for e in examples[i:i + batch]])
               for i in range(0, len(examples), batch)]
    embeddings = np.concatenate(vectors)
    models = sorted({model for e in examples for model in e.scores})
    scores = {model: np.array([e.scores.get(model, math.nan) for e in examples],
                              dtype=np.float32) for model in models}
    tasks = [classify(e.prompt)[0] for e in examples]
    quality = QualityModel(dim=embeddings.shape[1],
                           embedder=embedder_identity(config.analyzer.embedder))
    quality.fit(embeddings, scores, tasks=tasks)
    target.parent.mkdir(parents=True, exist_ok=True)
    quality.save(target)
    return target, len(examples), models
