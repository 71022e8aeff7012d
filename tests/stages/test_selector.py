"""Selector core: candidates, modes, pins, aliases and fallback chains."""

from __future__ import annotations

import threading
from pathlib import Path

import anyio
import anyio.from_thread
import anyio.lowlevel
import hnswlib
import msgspec
import numpy as np
import numpy.typing as npt
import pytest

from reactor import ChatRequest, Router, RouterConfig, parse_config
from stages.analyzer import analyze
from stages.embedders import HashingEmbedder, embedder_identity
from stages.neighbours import Vectors
from stages.quality import QualityModel, QualityParams
from stages.selector import (
    REMEMBERED_CHARS,
    Catalogue,
    NoRoute,
    Remembered,
    remember_rounded,
)
from tests.conftest import FAST_MODELS, TWO_MODELS


@pytest.fixture
def catalogue(config: RouterConfig) -> Catalogue:
    return Catalogue(config.models, config.selector)


def decide(catalogue: Catalogue, config: RouterConfig, text: str, tier: str = "default",
           **fields: object):  # type: ignore[no-untyped-def]
    body = {"messages": [{"role": "user", "content": text}], **fields}
    request = msgspec.json.decode(msgspec.json.encode(body), type=ChatRequest)
    return catalogue.decide(request, analyze(request, config.analyzer), tier)


def test_modes_trade_quality_for_cost(catalogue: Catalogue, config: RouterConfig) -> None:
    fast = decide(catalogue, config, "hello", mode="fast")
    accurate = decide(catalogue, config, "hello", mode="accurate")
    models = {m.name: m for m in config.models}
    assert models[accurate.model].quality > models[fast.model].quality
    assert accurate.model == "ultra"
    assert fast.model != "ultra"


def test_decision_explains_itself(catalogue: Catalogue, config: RouterConfig) -> None:
    decision = decide(catalogue, config, "prove that there are infinitely many primes")
    assert decision.reason and 0 <= decision.confidence <= 1
    assert {c.model for c in decision.alternatives} == {"nano", "mini", "pro", "ultra"}
    assert decision.alternatives[0].model == decision.model
    assert decision.model not in decision.fallbacks and len(decision.fallbacks) <= 2


def test_preferences_override_the_mode(catalogue: Catalogue, config: RouterConfig) -> None:
    cheap = decide(catalogue, config, "hello", preferences={"cost": 1.0})
    best = decide(catalogue, config, "hello", preferences={"quality": 1.0})
    assert cheap.model == "nano" and best.model == "ultra"


def test_pinned_model_fails_over_to_its_configured_list(catalogue: Catalogue,
                                                        config: RouterConfig) -> None:
    decision = decide(catalogue, config, "hi", model="nano")
    assert decision.model == "nano" and decision.reason == "pinned"
    assert decision.fallbacks == ["mini"]


def test_capabilities_filter_candidates_and_fallbacks(catalogue: Catalogue,
                                                      config: RouterConfig) -> None:
    tools = [{"type": "function", "function": {"name": "f", "parameters": {}}}]
    decision = decide(catalogue, config, "call the tool", tools=tools, mode="fast")
    chain = [decision.model, *decision.fallbacks]
    assert "nano" not in chain
    with pytest.raises(NoRoute) as caught:
        decide(catalogue, config, "call it", model="nano", tools=tools)
    assert caught.value.error.status == 400 and "tool" in caught.value.error.message


def test_image_input_and_output_limits_filter_candidates() -> None:
    text = FAST_MODELS.replace('name = "pro"', 'name = "pro"\nvision = true') \
        .replace('name = "ultra"', 'name = "ultra"\nvision = true') \
        .replace('name = "nano"', 'name = "nano"\nmax_output_tokens = 1000')
    limited = parse_config(text)
    catalogue = Catalogue(limited.models, limited.selector)
    picture = [{"type": "text", "text": "what is in this picture?"},
               {"type": "image_url", "image_url": {"url": "https://example.com/cat.png"}}]

    seen = decide(catalogue, limited, picture, preferences={"cost": 1.0})  # type: ignore[arg-type]
    assert {seen.model, *seen.fallbacks} <= {"pro", "ultra"}
    long = decide(catalogue, limited, "hello", preferences={"cost": 1.0}, max_tokens=2000)
    assert "nano" not in {long.model, *long.fallbacks}
    assert decide(catalogue, limited, "hello", preferences={"cost": 1.0},
                  max_tokens=1000).model == "nano"
    with pytest.raises(NoRoute) as caught:
        decide(catalogue, limited, picture, model="mini")  # type: ignore[arg-type]
    assert caught.value.error.status == 400 and "image" in caught.value.error.message
    with pytest.raises(NoRoute) as caught:
        decide(catalogue, limited, "hi", model="nano", max_completion_tokens=4000)
    assert "1000" in caught.value.error.message


def test_context_window_filters(config: RouterConfig) -> None:
    small = parse_config(FAST_MODELS.replace('name = "nano"', 'name = "nano"\ncontext_window = 64'))
    catalogue = Catalogue(small.models, small.selector)
    decision = decide(catalogue, small, "word " * 200, preferences={"cost": 1.0})
    assert decision.model != "nano" and "nano" not in decision.fallbacks


def test_tiers_restrict_models() -> None:
    tiered = parse_config(FAST_MODELS.replace('name = "ultra"', 'name = "ultra"\ntiers = ["gold"]'))
    catalogue = Catalogue(tiered.models, tiered.selector)
    free = decide(catalogue, tiered, "hello", mode="accurate")
    gold = decide(catalogue, tiered, "hello", tier="gold", mode="accurate")
    assert free.model != "ultra" and gold.model == "ultra"


def test_unknown_model_is_404(catalogue: Catalogue, config: RouterConfig) -> None:
    with pytest.raises(NoRoute) as caught:
        decide(catalogue, config, "x", model="gpt-9")
    assert caught.value.error.status == 404


def test_observed_latency_moves_the_estimate(catalogue: Catalogue) -> None:
    before = catalogue.ttft_ms["nano"]
    for _ in range(20):
        catalogue.observe("nano", ttft_s=2.0, tokens=10, duration_s=2.5)
    assert catalogue.ttft_ms["nano"] > before + 1000


def test_a_whole_answer_s_duration_moves_the_latency_estimate(catalogue: Catalogue) -> None:
    # No first token to time: what the learned rate leaves of the duration for its
    # tokens is taken as the first-token time.
    rate = catalogue.tokens_per_s["nano"]
    for _ in range(60):
        catalogue.observe("nano", ttft_s=None, tokens=int(rate), duration_s=4.0)
    assert catalogue.ttft_ms["nano"] == pytest.approx(3000.0, rel=0.01)
    assert catalogue.tokens_per_s["nano"] == rate
    for _ in range(60):  # faster than the rate alone allows: no negative first token
        catalogue.observe("nano", ttft_s=None, tokens=int(rate), duration_s=0.5)
    assert catalogue.ttft_ms["nano"] == pytest.approx(0.0, abs=30.0)


class HeldBuild(QualityModel):
    """A learned model whose graph build waits in its thread until released."""

    def __init__(self, dim: int, params: QualityParams) -> None:
        super().__init__(dim, params)
        self.entered = anyio.Event()
        self.adopted = anyio.Event()
        self.release = threading.Event()

    def build_graph(self, rows: Vectors, stop: threading.Event | None = None
                    ) -> hnswlib.Index | None:
        anyio.from_thread.run_sync(self.entered.set)
        self.release.wait(10)
        return super().build_graph(rows, stop)

    def adopt(self, graph: hnswlib.Index) -> None:
        super().adopt(graph)
        self.adopted.set()


def ask(text: str) -> dict[str, object]:
    return {"messages": [{"role": "user", "content": text}]}


async def rated(router: Router, text: str) -> npt.NDArray[np.float32]:
    """Ask, rate the answer; the embedding the selector learned it under."""
    answer = await router.complete(ask(text))
    assert answer.router is not None
    assert await router.feedback(answer.router.request_id, rating=5)
    return router.pipeline.selector.recent[answer.router.request_id].embedding


async def held_at_the_threshold(router: Router) -> HeldBuild:
    """Seven prompts learned, then the eighth crosses the threshold: the build is held."""
    dim = len(await rated(router, "What is the capital of France?"))
    quality = HeldBuild(dim, QualityParams(exact_below=8))
    rng = np.random.default_rng(0)
    for vector in rng.normal(size=(7, dim)):
        quality.observe(vector, "cheap", 0.5)
    router.pipeline.catalogue.quality = quality
    await rated(router, "How do I convert a timestamp into UTC in Python?")
    await quality.entered.wait()
    return quality


async def test_routing_goes_on_while_the_graph_is_built(tmp_path: Path) -> None:
    config = parse_config(TWO_MODELS.format(path=tmp_path / "quality.npz"))
    with anyio.fail_after(10):
        async with Router(config) as router:
            quality = await held_at_the_threshold(router)
            try:
                decision = await router.route(ask("How do I convert a timestamp into UTC?"))
                assert decision.model in ("cheap", "strong")
                assert not quality.uses_graph and len(quality) == 8
                meanwhile = await rated(router, "Write a limerick about a goose.")
                assert len(quality) == 9
            finally:
                quality.release.set()
            await quality.adopted.wait()

            assert quality.uses_graph
            ids, sims = quality.neighbours(meanwhile, 1)
            assert ids[0, 0] == 8 and sims[0, 0] == pytest.approx(1.0)
            assert (await router.route(ask("A limerick about a goose"))).model


async def test_shutdown_during_a_graph_build_is_clean(tmp_path: Path) -> None:
    path = tmp_path / "quality.npz"
    config = parse_config(TWO_MODELS.format(path=path))
    with anyio.fail_after(10):
        async with Router(config) as router:
            quality = await held_at_the_threshold(router)
        quality.release.set()  # the abandoned thread sees `stop` and gives up

    assert not quality.adopted.is_set()
    loaded = QualityModel.load(path)  # written at shutdown; loading builds the graph
    assert len(loaded) == 8 and loaded.uses_graph


def test_remembered_roundings_are_rounds_and_zeros_keep_their_sign() -> None:
    memo: dict[float, float] = {}
    values = [-0.4123456789, 0.0000005, 1.2345675, -1.2345675, 0.1 + 0.2, 2.5e-7]
    for value in [*values, *values]:  # the second time from the memo
        assert remember_rounded(memo, value, 6) == round(value, 6)
    assert set(memo) == set(values)
    for zero in (0.0, -0.0, -0.0):
        assert str(remember_rounded(memo, zero, 3)) == str(round(zero, 3))
    assert 0.0 not in memo


# --- embeddings made when something reads them ------------------------------------------


async def remembered(router: Router, request_id: str) -> Remembered:
    """What the selector remembers of an answer, once its outcome reached it (an outcome
    is published after the caller may already have the answer)."""
    recent = router.pipeline.selector.recent
    with anyio.fail_after(5):
        while request_id not in recent:
            await anyio.lowlevel.checkpoint()
    return recent[request_id]


async def test_a_prompt_is_embedded_when_feedback_comes_until_a_model_is_learned(
        tmp_path: Path) -> None:
    config = parse_config(TWO_MODELS.format(path=tmp_path / "quality.npz"))
    with anyio.fail_after(10):
        async with Router(config) as router:
            recent = router.pipeline.selector.recent
            text = "What is the capital of France?"
            first = await router.complete(ask(text))
            assert first.router is not None
            # Nothing read its embedding before the answer: none was made, the text waits.
            waiting = await remembered(router, first.router.request_id)
            assert waiting.embedding is None and waiting.text == text
            assert await router.feedback(first.router.request_id, rating=5)
            learned = recent[first.router.request_id]
            assert learned.text is None and learned.embedding is not None
            np.testing.assert_array_equal(
                learned.embedding, HashingEmbedder(config.analyzer.embedder).encode([text])[0])
            quality = router.pipeline.catalogue.quality
            assert quality is not None and len(quality) == 1
            # A learned model is consulted from now on: every prompt is embedded first.
            second = await router.complete(ask("Name the capital of Spain."))
            assert second.router is not None
            assert (await remembered(router, second.router.request_id)).embedding is not None
            assert second.router.request_id != first.router.request_id


async def test_a_long_prompt_is_embedded_before_its_answer_and_not_kept_as_text(
        tmp_path: Path) -> None:
    config = parse_config(TWO_MODELS.format(path=tmp_path / "quality.npz"))
    text = "Summarise this. " + "word " * (REMEMBERED_CHARS // 5)
    with anyio.fail_after(10):
        async with Router(config) as router:
            answer = await router.complete(ask(text))
            assert answer.router is not None
            kept = await remembered(router, answer.router.request_id)
            assert kept.text is None and kept.embedding is not None
            assert await router.feedback(answer.router.request_id, rating=1)


async def test_a_semantic_cache_lookup_gets_its_embedding_before_the_answer(
        tmp_path: Path) -> None:
    config = parse_config(TWO_MODELS.format(path=tmp_path / "quality.npz").replace(
        "[cache]\nenabled = false", "[cache]\nenabled = true"))
    with anyio.fail_after(10):
        async with Router(config) as router:
            plain = await router.complete(ask("What is the capital of France?"))
            looked_up = await router.complete({**ask("What is the capital of Spain?"),
                                               "cache": {"mode": "semantic"}})
            assert plain.router is not None and looked_up.router is not None
            assert (await remembered(router, plain.router.request_id)).embedding is None
            assert (await remembered(router, looked_up.router.request_id)).embedding \
                is not None
            # ...and its answer was stored under it, for the next one like it.
            await router.pipeline.semantic.wait_stored(1)


async def test_feedback_on_a_prompt_whose_embedding_fails_is_not_learned(
        tmp_path: Path) -> None:
    config = parse_config(TWO_MODELS.format(path=tmp_path / "quality.npz"))
    with anyio.fail_after(10):
        async with Router(config) as router:
            answer = await router.complete(ask("What is the capital of France?"))
            assert answer.router is not None

            async def failing(texts: list[str]) -> None:
                return None

            router.pipeline.selector.embed = failing
            assert not await router.feedback(answer.router.request_id, rating=5)
            assert router.pipeline.catalogue.quality is None


async def test_feedback_that_crashes_the_selector_is_answered_not_left_waiting(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = parse_config(TWO_MODELS.format(path=tmp_path / "quality.npz"))
    with anyio.fail_after(10):
        async with Router(config) as router:
            rated_once = await rated(router, "What is the capital of France?")
            assert rated_once is not None
            answer = await router.complete(ask("What is the capital of Spain?"))
            assert answer.router is not None
            await remembered(router, answer.router.request_id)
            selector = router.pipeline.selector

            def broken(request_id: str, seen: Remembered, score: float) -> bool:
                raise RuntimeError("a bug in learning")

            monkeypatch.setattr(selector, "_learn", broken)
            assert not await router.feedback(answer.router.request_id, rating=5)
            monkeypatch.undo()
            # The selector is restarted and routes on.
            assert (await router.route(ask("What is the capital of Italy?"))).model
            assert selector.restarts == 1


# --- one answer, one piece of evidence ----------------------------------------------------


async def test_rating_an_answer_again_replaces_its_rating(tmp_path: Path) -> None:
    config = parse_config(TWO_MODELS.format(path=tmp_path / "quality.npz"))
    text = "What is the capital of France?"
    with anyio.fail_after(10):
        async with Router(config) as router:
            answer = await router.complete(ask(text))
            assert answer.router is not None
            request_id = answer.router.request_id
            await remembered(router, request_id)
            for _ in range(5):
                assert await router.feedback(request_id, rating=1)
            assert await router.feedback(request_id, rating=5)
            quality = router.pipeline.catalogue.quality
            assert quality is not None and len(quality) == 1
            embedding = router.pipeline.selector.recent[request_id].embedding
            assert embedding is not None
            # One answer rated six times counts once, with its last rating.
            estimate = quality.predict(embedding)[answer.model]
            assert estimate.n_effective == pytest.approx(1.0)
            assert quality.prior(answer.model, configured=0.0) == pytest.approx(1 / 21)
            one = QualityModel(dim=len(embedding))
            one.observe(embedding, answer.model, 1.0)
            assert estimate.mean == pytest.approx(one.predict(embedding)[answer.model].mean)


async def test_ratings_racing_through_the_embedder_count_once(tmp_path: Path) -> None:
    config = parse_config(TWO_MODELS.format(path=tmp_path / "quality.npz"))
    with anyio.fail_after(10):
        async with Router(config) as router:
            answer = await router.complete(ask("What is the capital of France?"))
            assert answer.router is not None
            request_id = answer.router.request_id
            assert (await remembered(router, request_id)).embedding is None
            selector = router.pipeline.selector
            assert selector.embed is not None
            embed, both_asked = selector.embed, anyio.Event()
            asked = 0

            async def held(texts: list[str]):  # type: ignore[no-untyped-def]
                nonlocal asked
                asked += 1
                if asked == 2:
                    both_asked.set()
                await both_asked.wait()
                return await embed(texts)

            selector.embed = held
            results: list[bool] = []

            async def rate(rating: int) -> None:
                results.append(await router.feedback(request_id, rating=rating))

            async with anyio.create_task_group() as tg:
                tg.start_soon(rate, 1)
                tg.start_soon(rate, 5)
            assert results == [True, True]
            quality = router.pipeline.catalogue.quality
            assert quality is not None
            embedding = selector.recent[request_id].embedding
            assert embedding is not None
            ids, _ = quality.neighbours(embedding, 1)
            assert quality._counts[ids[0, 0]].sum() == 1


# --- constraints are hard limits for every model that may answer ------------------------


def test_constraints_hold_for_failover_models(catalogue: Catalogue,
                                              config: RouterConfig) -> None:
    # Only nano is cheap enough; its configured failover (mini) is not.
    decision = decide(catalogue, config, "hello there", constraints={"max_cost_usd": 2e-4})
    assert decision.model == "nano"
    assert [c.model for c in decision.alternatives] == ["nano"]
    assert decision.fallbacks == []


def test_constraints_hold_for_a_pinned_model_and_its_failovers(
        catalogue: Catalogue, config: RouterConfig) -> None:
    pinned = decide(catalogue, config, "hello there", model="nano",
                    constraints={"max_cost_usd": 2e-4})
    assert pinned.model == "nano" and pinned.fallbacks == []
    assert decide(catalogue, config, "hello there", model="nano").fallbacks == ["mini"]
    with pytest.raises(NoRoute) as refused:
        decide(catalogue, config, "hello there", model="pro",
               constraints={"max_cost_usd": 2e-4})
    assert refused.value.error.code == "constraints_unsatisfiable"
    assert refused.value.error.param == "constraints"
    assert "pro:" in refused.value.error.message and "nano" not in refused.value.error.message


# --- what a decision says about itself ----------------------------------------------------

TWINS = """
[[models]]
name = "left"
quality = 0.7
upstream = { kind = "simulated" }

[[models]]
name = "right"
quality = 0.7
upstream = { kind = "simulated" }

[[models]]
name = "worse"
quality = 0.3
tiers = ["gold"]
upstream = { kind = "simulated" }
"""


def test_a_tie_is_less_confident_than_a_clear_win() -> None:
    config = parse_config(TWINS)
    catalogue = Catalogue(config.models, config.selector)
    tie = decide(catalogue, config, "hello there")
    assert [c.score for c in tie.alternatives] == [0.0, 0.0]
    won = decide(catalogue, config, "hello there", tier="gold")
    assert won.alternatives[0].score == won.alternatives[1].score  # the twins tie again
    # A tie between two is as unsure as a tie at the top of three.
    assert tie.confidence == won.confidence
    clear = decide(catalogue, config, "hello there", model="left")
    assert tie.confidence < 0.6 and clear.confidence == 1.0


def test_the_reason_names_the_weights_and_the_constraints_used(
        catalogue: Catalogue, config: RouterConfig) -> None:
    cheap = decide(catalogue, config, "hello", preferences={"cost": 1.0})
    assert cheap.reason.startswith("preferences (quality 0.00, cost 1.00, latency 0.00): ")
    assert "balanced" not in cheap.reason
    moded = decide(catalogue, config, "hello", mode="fast")
    assert moded.reason.startswith("fast: ")
    constrained = decide(catalogue, config, "hello there",
                         constraints={"max_cost_usd": 2e-4})
    assert constrained.reason.endswith("; ruled out by the constraints: mini, pro, ultra")


@pytest.mark.parametrize(("dim", "embedder"), [(7, ""), (384, "minilm:other:256")],
                         ids=["another size", "another embedder"])
async def test_a_learned_model_from_another_embedder_leaves_routing_on_priors(
        tmp_path: Path, dim: int, embedder: str) -> None:
    # Refused when the router is built (tests/test_config_edges.py); one that appears
    # after that, or whose size the config does not say (minilm), is met at start.
    path = tmp_path / "quality.npz"
    config = parse_config(TWO_MODELS.format(path=path))
    built = Router(config)
    other = QualityModel(dim=dim, embedder=embedder)
    for vector in np.random.default_rng(0).normal(size=(5, dim)):
        other.observe(vector, "strong", 0.0, task="chat")
    other.save(path)
    with anyio.fail_after(10):
        async with built as router:
            decision = await router.route(ask("What is the capital of France?"))
            assert "prior quality" in decision.reason
            answer = await router.complete(ask("What is the capital of France?"))
            assert answer.router is not None
            await remembered(router, answer.router.request_id)
            assert not await router.feedback(answer.router.request_id, rating=5)
            assert router.pipeline.selector.restarts == 0
    assert QualityModel.load(path).dim == dim  # left as it was


async def test_a_model_learned_here_names_the_embedder_it_was_learned_from(
        tmp_path: Path) -> None:
    path = tmp_path / "quality.npz"
    config = parse_config(TWO_MODELS.format(path=path))
    with anyio.fail_after(10):
        async with Router(config) as router:
            answer = await router.complete(ask("What is the capital of France?"))
            assert answer.router is not None
            await remembered(router, answer.router.request_id)
            assert await router.feedback(answer.router.request_id, rating=5)
    assert QualityModel.load(path).embedder == embedder_identity(config.analyzer.embedder)
