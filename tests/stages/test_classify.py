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
    raw = _model.softmax(classifier.words.logits(features))
    guess = classifier.predict_features(features)
    assert guess.task == TASKS[int(np.argmax(raw))]
    assert guess.confidence < raw.max()
    longer = extract("Write a short poem about the sea at night for my grandmother.")
    assert classifier.predict_features(longer).confidence == \
        _model.softmax(classifier.words.logits(longer)).max()
