"""The shipped task-classifier weights: current with the seed prompts, equal to a fresh
training, and loaded (never trained) when a process starts."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest

from reactor import MiniLMEmbedderConfig
from stages.classify import (
    SEEDS,
    TASKS,
    TaskClassifier,
    _classifier,
    _model,
    _trained,
    classifier_for,
    extract,
    fingerprint,
    seed_examples,
    shipped_is_current,
    word_classifier,
)

PROMPTS = (
    "Write a Go function that retries an HTTP call three times with backoff.",
    "A tank holds 240 litres and drains at 6 litres a minute. How long until it is empty?",
    "Which is heavier, a kilo of feathers or a kilo of lead? Think it through.",
    "Write a limerick about a cat who hates Mondays.",
    "What are the trade-offs of leasing a car compared with buying one?",
)


@pytest.fixture
def fresh_caches() -> Iterator[None]:
    for cached in (_trained.word_classifier, _trained.classifier_for, _trained._shipped):
        cached.cache_clear()
    yield
    for cached in (_trained.word_classifier, _trained.classifier_for, _trained._shipped):
        cached.cache_clear()


def test_shipped_weights_were_trained_on_the_current_seeds() -> None:
    assert shipped_is_current(), (
        "seed prompts, features or training settings changed since the weights were "
        "generated: run `python -m stages.classify`")


def test_the_fingerprint_notices_a_changed_seed(monkeypatch: pytest.MonkeyPatch) -> None:
    before = fingerprint()
    monkeypatch.setitem(SEEDS, "chat", (*SEEDS["chat"][:-1], "Hi, how is your week going?"))
    assert fingerprint() != before


def test_shipped_word_model_is_what_training_gives() -> None:
    fresh = TaskClassifier.train(*seed_examples())
    shipped = word_classifier()
    assert fresh.words.vocabulary == shipped.words.vocabulary
    np.testing.assert_allclose(shipped.words.weights, fresh.words.weights, atol=1e-5)
    np.testing.assert_allclose(shipped.words.bias, fresh.words.bias, atol=1e-5)
    np.testing.assert_allclose(shipped.bayes.weights, fresh.bayes.weights, atol=1e-5)
    for prompt in PROMPTS:
        assert shipped.predict(prompt).task == fresh.predict(prompt).task
        assert shipped.predict(prompt).confidence == pytest.approx(
            fresh.predict(prompt).confidence, abs=1e-4)


@pytest.mark.usefixtures("fresh_caches")
def test_start_up_loads_the_classifiers_without_training(
        monkeypatch: pytest.MonkeyPatch) -> None:
    def no_training(*args: object, **kwargs: object) -> None:
        raise AssertionError("trained at start-up")

    monkeypatch.setattr(_model, "fit_dual", no_training)
    words = word_classifier()
    minilm = classifier_for(MiniLMEmbedderConfig())
    assert minilm.words is words.words
    assert minilm.embedded is not None
    assert minilm.embedded.weights.shape == (384, len(TASKS))
    assert words.predict(PROMPTS[3]).task == "creative_writing"


def test_a_prompt_of_few_words_keeps_its_winner_but_is_less_sure() -> None:
    classifier = word_classifier()
    features = extract("Write about numbers.")
    raw = _model.softmax(classifier.word_log_probabilities(features, scale=1.0))
    guess = classifier.predict_features(features)
    assert guess.task == TASKS[int(np.argmax(raw))]
    assert guess.confidence < raw.max()
    longer = extract("Write a short poem about the sea at night for my grandmother.")
    assert classifier.predict_features(longer).confidence == pytest.approx(
        _model.softmax(classifier.word_log_probabilities(longer, scale=1.0)).max())


def test_the_word_model_averages_the_regression_and_naive_bayes() -> None:
    classifier = word_classifier()
    for prompt in PROMPTS:
        features = extract(prompt)
        columns, flags, _ = classifier.words.split(features)
        regression = np.log(_model.softmax(classifier.words.logits(features)))
        bayes = np.log(_model.softmax(classifier.bayes.logits_at(columns + flags)))
        share = _classifier.BAYES_SHARE
        np.testing.assert_allclose(classifier.word_log_probabilities(features, scale=1.0),
                                   (1 - share) * regression + share * bayes, atol=1e-9)


def test_naive_bayes_weighs_each_feature_by_how_much_more_one_task_uses_it() -> None:
    rows = [{"poem", "the"}, {"poem", "the"}, {"sql", "the"}, {"sql"}]
    vocabulary = {name: i for i, name in enumerate(sorted(set().union(*rows)))}
    bayes = _model.NaiveBayes.fit(rows, [0, 0, 1, 1], 2, vocabulary, alpha=0.1, scale=1.0)
    poem, sql, the = (bayes.weights[vocabulary[name]] for name in ("poem", "sql", "the"))
    assert poem[0] > 0 > poem[1] and sql[1] > 0 > sql[0]
    assert poem[0] == pytest.approx(sql[1])
    assert 0 < the[0] < poem[0]
    assert bayes.logits_at([]).tolist() == [0.0, 0.0]


def test_the_neighbour_vote_follows_the_nearest_seeds() -> None:
    vectors = np.array([[1.0, 0.0], [0.9, 0.1], [0.0, 1.0], [0.1, 0.9], [0.2, 0.8]])
    neighbours = _model.Neighbours.fit(vectors, np.array([0, 0, 1, 1, 1]), 3, k=3,
                                       temperature=0.05)
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    np.testing.assert_allclose(neighbours.vectors, unit, atol=0.5 / 127)
    near_first = np.exp(neighbours.log_probabilities(np.array([2.0, 0.1])))
    assert int(np.argmax(near_first)) == 0
    assert near_first.sum() == pytest.approx(1.0)
    assert near_first.min() >= _model.Neighbours.FLOOR  # never certain, never impossible
    assert int(np.argmax(neighbours.log_probabilities(np.array([0.1, 1.0])))) == 1


@pytest.mark.usefixtures("fresh_caches")
def test_the_shipped_minilm_classifier_has_the_seed_vectors_for_its_vote() -> None:
    minilm = classifier_for(MiniLMEmbedderConfig())
    if minilm.neighbours is None:
        pytest.skip("minilm weights not installed")
    texts, labels = seed_examples()
    assert minilm.neighbours.vectors.shape == (len(texts), 384)
    assert minilm.neighbours.labels.tolist() == labels
    assert minilm.bayes is word_classifier().bayes
