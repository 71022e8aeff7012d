"""The learned quality model: neighbours, priors, online updates, both searches, files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

from stages.neighbours import NeighbourIndex, normalise
from stages.quality import QualityModel, QualityParams

DIM = 16


def around(centre: npt.NDArray[np.float32], n: int, seed: int) -> npt.NDArray[np.float32]:
    """Near `centre`, jittered in the first four dimensions only: the rest stay free for
    queries that are orthogonal to everything stored."""
    noise = np.zeros((n, len(centre)))
    noise[:, :4] = np.random.default_rng(seed).normal(scale=0.05, size=(n, 4))
    return (centre + noise).astype(np.float32)


def axis(i: int, dim: int = DIM) -> npt.NDArray[np.float32]:
    v = np.zeros(dim, dtype=np.float32)
    v[i] = 1.0
    return v


@pytest.fixture
def two_topics() -> QualityModel:
    """Topic 0: only `big` gets it right. Topic 1: both do."""
    vectors = np.concatenate([around(axis(0), 20, seed=1), around(axis(1), 20, seed=2)])
    model = QualityModel(DIM, QualityParams(k=8, power=1.0, prior_strength=1.0))
    model.fit(vectors, {"small": np.r_[np.zeros(20), np.ones(20)], "big": np.ones(40)},
              tasks=["math"] * 20 + ["chat"] * 20)
    return model


def test_predictions_follow_the_neighbours(two_topics: QualityModel) -> None:
    hard = two_topics.predict(axis(0))
    easy = two_topics.predict(axis(1))

    assert hard["small"].mean < 0.2 < 0.8 < hard["big"].mean
    assert easy["small"].mean > 0.8 and easy["big"].mean > 0.8
    assert hard["small"].n_effective == pytest.approx(8, rel=0.05)


def test_few_or_far_neighbours_leave_the_prior_in_charge(two_topics: QualityModel) -> None:
    far = two_topics.predict(axis(5), priors={"small": 0.9})

    assert far["small"].n_effective == 0.0
    assert far["small"].mean == pytest.approx(two_topics.prior("small", configured=0.9))
    stubborn = QualityModel(DIM, QualityParams(k=8, power=1.0, prior_strength=100.0))
    stubborn.fit(np.eye(DIM, dtype=np.float32)[:1], {"small": [0.0]})
    near = stubborn.predict(axis(0), priors={"small": 0.9})["small"]
    assert near.n_effective == pytest.approx(1.0)
    assert 0.8 < near.mean < stubborn.prior("small", configured=0.9)


def test_priors_chain_from_configured_to_model_to_task(two_topics: QualityModel) -> None:
    empty = QualityModel(DIM)
    assert empty.prior("small", configured=0.7) == 0.7
    assert empty.predict(axis(0), priors={"small": 0.7}) == {}

    overall = two_topics.prior("small")
    on_math, on_chat = two_topics.prior("small", "math"), two_topics.prior("small", "chat")
    assert on_math < overall < on_chat
    assert two_topics.prior("small", "unheard-of task") == overall
    assert two_topics.predict(axis(5), task="math")["small"].mean == pytest.approx(on_math)


def test_observed_outcomes_change_later_predictions(two_topics: QualityModel) -> None:
    before = two_topics.predict(axis(2))["big"]
    for score in (0.0, 0.0, 0.0):
        two_topics.observe(axis(2), "big", score, task="chat")
    after = two_topics.predict(axis(2))["big"]

    assert len(two_topics) == 41  # identical prompts merge into one stored row
    assert after.n_effective > before.n_effective + 2.5
    assert after.mean < 0.5 < before.mean
    two_topics.observe(axis(3), "newcomer", 1.0)
    assert two_topics.predict(axis(3))["newcomer"].mean > 0.5
    assert two_topics.predict(axis(0))["newcomer"].n_effective == 0.0


def test_exact_and_graph_search_agree_above_the_threshold() -> None:
    rng = np.random.default_rng(7)
    vectors = rng.normal(size=(3000, 32)).astype(np.float32)
    queries = vectors[:50] + rng.normal(scale=0.3, size=(50, 32)).astype(np.float32)
    exact = NeighbourIndex(32, exact_below=10**9)
    graph = NeighbourIndex(32, exact_below=1000, ef=100)
    exact.add(vectors)
    graph.add(vectors[:2000])
    graph.add(vectors[2000:])  # rows added after the graph exists are found too

    assert graph.uses_graph and not exact.uses_graph
    exact_ids, exact_sims = exact.search(queries, 10)
    graph_ids, graph_sims = graph.search(queries, 10)
    recall = np.mean([len(set(a) & set(b)) / 10 for a, b in zip(exact_ids, graph_ids,
                                                                 strict=True)])
    assert recall >= 0.95
    assert (exact_ids[:, 0] == graph_ids[:, 0]).all()
    np.testing.assert_allclose(exact_sims[:, 0], graph_sims[:, 0], atol=1e-5)


def test_save_and_load_round_trip(tmp_path: Path, two_topics: QualityModel) -> None:
    two_topics.observe(axis(4), "newcomer", 0.25, task="chat")
    path = tmp_path / "quality.npz"
    two_topics.save(path)
    loaded = QualityModel.load(path)

    assert loaded.models == two_topics.models and len(loaded) == len(two_topics)
    assert loaded.params == two_topics.params
    for query in (axis(0), axis(1), axis(4)):
        assert loaded.predict(query, task="chat") == two_topics.predict(query, task="chat")
    assert loaded.prior("small", "math") == two_topics.prior("small", "math")


def test_save_and_load_keep_the_graph(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    vectors = rng.normal(size=(600, DIM)).astype(np.float32)
    model = QualityModel(DIM, QualityParams(exact_below=500))
    model.fit(vectors, {"a": rng.random(600)})
    model.save(tmp_path / "q.npz")
    loaded = QualityModel.load(tmp_path / "q.npz")

    assert model.uses_graph and loaded.uses_graph
    assert loaded.predict(vectors[0]) == model.predict(vectors[0])


def test_a_failed_save_leaves_the_old_file_whole(tmp_path: Path, two_topics: QualityModel,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "quality.npz"
    two_topics.save(path)
    before = path.read_bytes()
    two_topics.observe(axis(6), "big", 0.0)

    def torn(file: object, *args: object, **kwargs: object) -> None:
        assert hasattr(file, "write")
        file.write(b"PK\x03\x04 half a zip")
        raise OSError("disk full")

    monkeypatch.setattr(np, "savez", torn)
    with pytest.raises(OSError, match="disk full"):
        two_topics.save(path)

    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["quality.npz"]


def test_loading_refuses_other_versions_and_shapes(tmp_path: Path) -> None:
    path = tmp_path / "q.npz"
    QualityModel(DIM).save(path)
    with np.load(path) as stored:
        arrays = dict(stored)
    arrays["header"] = np.frombuffer(
        arrays["header"].tobytes().replace(b'"version":1', b'"version":99'), dtype=np.uint8)
    np.savez(path, **arrays)

    with pytest.raises(ValueError, match="format 99"):
        QualityModel.load(path)


def test_fit_checks_its_inputs() -> None:
    model = QualityModel(DIM)
    with pytest.raises(ValueError, match="3 scores for 2 embeddings"):
        model.fit(np.ones((2, DIM)), {"a": [1.0, 0.0, 1.0]})
    with pytest.raises(ValueError, match="expected 16-d"):
        model.fit(np.ones((2, 4)), {"a": [1.0, 0.0]})


def test_normalise_scales_one_vector_as_it_would_in_a_batch() -> None:
    rows = np.random.default_rng(3).standard_normal((6, 48)).astype(np.float32)
    rows[2] = 0.0
    batch = normalise(rows)
    expected = rows / np.maximum(np.linalg.norm(rows, axis=1, keepdims=True), 1e-30)
    np.testing.assert_allclose(batch, expected, rtol=1e-6)
    for row, scaled in zip(rows, batch, strict=True):
        for given in (row, row[np.newaxis], row.astype(np.float64), row.tolist()):
            one = normalise(given)
            assert one.dtype == np.float32
            np.testing.assert_array_equal(one, scaled[np.newaxis])
    assert not normalise(np.zeros(48)).any()


def test_a_graph_built_from_a_snapshot_keeps_the_rows_added_meanwhile() -> None:
    rng = np.random.default_rng(11)
    vectors = rng.normal(size=(400, 32)).astype(np.float32)
    queries = np.concatenate([vectors[::7], rng.normal(size=(40, 32)).astype(np.float32)])
    exact = NeighbourIndex(32, exact_below=10**9)
    deferred = NeighbourIndex(32, exact_below=300, ef=200, build_inline=False)
    exact.add(vectors[:340])
    deferred.add(vectors[:300])
    assert deferred.graph_due and not deferred.uses_graph
    snapshot = deferred.vectors
    deferred.add(vectors[300:340])  # learned while the graph was being built
    graph = deferred.build_graph(snapshot)
    assert graph is not None
    deferred.adopt(graph)

    def same_as_exact() -> None:
        exact_ids, exact_sims = exact.search(queries, 10)
        ids, sims = deferred.search(queries, 10)
        np.testing.assert_array_equal(ids, exact_ids)
        np.testing.assert_allclose(sims, exact_sims, atol=1e-5)

    assert deferred.uses_graph and not deferred.graph_due
    same_as_exact()  # 40 rows still in the exact tail
    exact.add(vectors[340:400])
    deferred.add(vectors[340:400])  # folds the tail into the graph as it goes
    same_as_exact()


def test_a_stopped_build_gives_no_graph() -> None:
    import threading

    index = NeighbourIndex(8, exact_below=10, build_inline=False)
    index.add(np.eye(8, dtype=np.float32).repeat(2, axis=0))
    stop = threading.Event()
    stop.set()
    assert index.build_graph(index.vectors, stop=stop) is None
    assert index.graph_due


def test_observing_never_builds_the_graph_but_fit_and_load_do(tmp_path: Path) -> None:
    rng = np.random.default_rng(5)
    vectors = rng.normal(size=(60, DIM)).astype(np.float32)
    model = QualityModel(DIM, QualityParams(exact_below=50))
    for vector in vectors:
        model.observe(vector, "a", 0.5)
    assert model.graph_due and not model.uses_graph
    model.save(tmp_path / "q.npz")
    assert QualityModel.load(tmp_path / "q.npz").uses_graph  # built in the loading thread

    graph = model.build_graph(model.snapshot()[:55])
    assert graph is not None
    model.adopt(graph)  # 5 prompts past the graph, saved and loaded as a tail
    model.save(tmp_path / "tail.npz")
    loaded = QualityModel.load(tmp_path / "tail.npz")
    assert loaded.neighbours(vectors[57], 1)[0][0, 0] == 57
    assert loaded.predict(vectors[3]) == model.predict(vectors[3])

    fitted = QualityModel(DIM, QualityParams(exact_below=50))
    fitted.fit(vectors, {"a": rng.random(60)})
    assert fitted.uses_graph


def test_revising_an_outcome_is_as_if_it_had_been_observed_so() -> None:
    revised, direct = QualityModel(DIM), QualityModel(DIM)
    for model in (revised, direct):
        model.observe(axis(0), "big", 1.0, task="math")
    first = revised.observe(axis(0), "big", 0.0, task="math")  # merged into row 0
    revised.observe(axis(1), "big", 0.5, task="chat")
    revised.revise(first, "big", 0.0, 0.75, task="math")
    direct.observe(axis(0), "big", 0.75, task="math")
    direct.observe(axis(1), "big", 0.5, task="chat")
    assert first == 0 and len(revised) == len(direct) == 2
    for query in (axis(0), axis(1), axis(2)):
        for task in ("math", "chat", None):
            assert tuple(revised.predict(query, task=task)["big"]) == pytest.approx(
                tuple(direct.predict(query, task=task)["big"]))


def test_a_saved_model_keeps_the_embedder_its_vectors_came_from(tmp_path: Path) -> None:
    path = tmp_path / "quality.npz"
    model = QualityModel(dim=4, embedder="hashing:4:2:3-5:1")
    model.observe(np.ones(4, dtype=np.float32) / 2, "a", 1.0)
    model.save(path)
    assert QualityModel.load(path).embedder == "hashing:4:2:3-5:1"
