"""The shipped task-classifier weights: current with the seed prompts, equal to a fresh
training, and loaded (never trained) when a process starts."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from reactor import MiniLMEmbedderConfig
from stages.classify import (
    SEEDS,
    TASKS,
    TaskClassifier,
    _classifier,
    _features,
    _model,
    _trained,
    classifier_for,
    extract,
    fingerprint,
    read,
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


def test_the_fingerprint_reads_code_but_not_comments(tmp_path: Path) -> None:
    def code(text: str) -> str:
        (tmp_path / "m.py").write_text(text)
        return _trained._code(tmp_path / "m.py")

    plain = code("RATE = 0.1  # why\n\ndef f(x):\n    return x * RATE\n")

    assert code("RATE = 0.1  # why not\n\n\n# note\ndef f(x):\n    return x * RATE\n") \
        == plain
    assert code("RATE = 0.2  # why\n\ndef f(x):\n    return x * RATE\n") != plain
    assert code("RATE = 0.1  # why\n\ndef f(x):\n    return x + RATE\n") != plain


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


# Prompts written for the batch tests: every task, several languages and scripts, code,
# math notation, lists, pasted passages, one word, nothing, and long prompts whose middle
# is not read.
VARIED = (
    *PROMPTS,
    "",
    "ok",
    "hi!!",
    "Summarise the following in two sentences:\n\nThe ferry timetable changes on 1 May; "
    "boats leave every 40 minutes instead of every hour, and the last one is at 23:10.",
    "Translate into Spanish: the library opens at nine and closes at six.",
    "¿Cuál es la capital de Australia y por qué no es Sídney?",
    "日本語で短い詩を書いてください。",
    "Переведи на английский: я люблю читать по вечерам.",
    "Extract all dates and amounts from this receipt as JSON: 3 Jan 2024, $12.50; "
    "5 Jan 2024, $7.25",
    "Label each review as positive, negative or neutral:\n1. Great!\n2. Meh.\n3. Awful.",
    "Prove that the square root of 2 is irrational.",
    "Solve for x: $x^2 - 5x + 6 = 0$, then compute f(x) at x = 3.",
    "```python\ndef add(a, b):\n    return a + b\n```\nWhy does add('1', 2) raise a TypeError?",
    "My iPhone keeps restarting after the update; what should I try before a reset?",
    "refactor this: const userName = getUser(); if (userName != null) { print(userName); }",
    "You are a pirate captain. Stay in character and greet my crew!",
    "Knights always tell the truth and knaves always lie. A says B is a knave. "
    "B says both of us are knights. Who is who?",
    "Write a cover letter for a barista job, friendly but brief.",
    "Give me a step by step plan to learn to swim as an adult.",
    "word " * 700,
    "Please review my essay. " + "The old mill stood by the river for a century. " * 90
    + "Is the ending too abrupt?",
    "SELECT name, COUNT(*) FROM orders GROUP BY name;\nSELECT 1;\n{\n}\n" * 4,
)


def test_read_and_extract_give_the_same_columns() -> None:
    classifier = word_classifier()
    for prompt in VARIED:
        reading = read(prompt)
        assert reading.names() == extract(prompt)
        assert classifier.columns(reading) == classifier.columns(extract(prompt))


def test_a_batch_is_classified_as_each_prompt_alone() -> None:
    classifier = word_classifier()
    alone = [classifier.predict(prompt) for prompt in VARIED]
    for size in (1, 7, len(VARIED)):
        for start in range(0, len(VARIED), size):
            batch = classifier.predict_batch([read(p) for p in VARIED[start:start + size]])
            for guess, single in zip(batch, alone[start:start + size], strict=True):
                assert guess.task == single.task
                assert guess.confidence == pytest.approx(single.confidence, abs=1e-12)
    assert classifier.predict_batch([]) == []


def test_the_batched_word_model_is_the_average_of_its_two_models() -> None:
    classifier = word_classifier()
    batch = [classifier.columns(read(prompt)) for prompt in VARIED]
    expected = _model.softmax(np.array(
        [classifier.word_log_probabilities(read(prompt)) for prompt in VARIED]))
    np.testing.assert_allclose(classifier.probabilities_batch(batch), expected, atol=1e-12)


@pytest.mark.usefixtures("fresh_caches")
def test_a_batch_with_embeddings_is_classified_as_each_prompt_alone() -> None:
    minilm = classifier_for(MiniLMEmbedderConfig())
    if minilm.neighbours is None:
        pytest.skip("minilm weights not installed")
    # Any vectors do: what matters is that a batch reads each row as its own prompt.
    vectors = np.random.default_rng(6).standard_normal((len(VARIED), 384)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    batch = minilm.predict_batch([read(prompt) for prompt in VARIED], vectors)
    for prompt, vector, guess in zip(VARIED, vectors, batch, strict=True):
        single = minilm.predict(prompt, vector)
        assert guess.task == single.task
        assert guess.confidence == pytest.approx(single.confidence, abs=1e-6)
    # Embeddings of another size (a hashing embedder's) are not read.
    hashed = np.ones((len(VARIED), 256), dtype=np.float32)
    assert minilm.predict_batch([read(p) for p in VARIED], hashed) == \
        word_classifier().predict_batch([read(p) for p in VARIED])


def test_code_and_math_marks() -> None:
    def flags(text: str) -> set[str]:
        return read(text).flags

    assert "#techmark" in flags("call parseJson() on it")
    assert "#techmark" in flags("rename userName")
    assert "#techmark" not in flags("my iPhone and eBay account")
    assert "#techmark" in flags("a -> b")
    assert "#mathmark" in flags("what is 3 * 4")
    assert "#mathmark" in flags("solve 2x + 1 = 5")
    assert "#mathmark" in flags("x ≤ 4")
    assert "#mathmark" in flags(r"\frac{1}{2}")
    assert "#mathmark" not in flags("meet me at 3 pm")


MARKED = (
    "rename userName", "x ≤ 4", "Is it true?", "is it true ?  \n", "how? tell me",
    "def f():\n    return 1\n", "def f(): return 1", "日本語で答えて", "\uff21\uff22\uff23 letters",
    "\u212aelvin", "\uff38", "question number 5", "```\nx = 1\n```", "SELECT *\nFROM t;\nWHERE a;",
)


@pytest.mark.parametrize("text", MARKED)
def test_the_checks_before_a_search_change_no_mark(text: str) -> None:
    # `read` leaves out searches a cheaper check rules out: the marks must be those of
    # searching for every pattern.
    searched = {name for name, pattern, _ in _features._PATTERNS
                if pattern.search(text) is not None}
    lines = len(_features._CODE_LINE.findall(text))
    searched |= {"#codelines"} if lines >= 2 else set()
    searched |= {"#cjk"} if _features._CJK.search(text, 0, 200) else set()
    marks = {"#techmark", "#mathmark", "#fence", "#passage", "#question", "#codelines",
             "#cjk"}
    assert read(text).flags & marks == searched


def test_numbers_are_a_mark_not_words() -> None:
    reading = read("Add 12 and 7, then 3 more")
    assert not {"12", "7", "3"} & reading.words
    assert {"#number", "#numbers"} <= reading.flags
    assert "#number" not in read("Add twelve and seven").flags


def test_the_first_words_are_read_as_pairs_too() -> None:
    assert {"write a", "a poem", "poem about"} <= read("Write a poem about rain").pairs
    late = read(" ".join(["word"] * 30) + " closing pair").pairs
    assert "closing pair" not in late


def test_a_word_pair_of_one_training_prompt_is_not_a_column() -> None:
    texts = ["write a poem about rain", "write a poem about snow", "fix my sql query now"]
    classifier = TaskClassifier.train(texts, [3, 3, 0])
    vocabulary = classifier.words.vocabulary
    assert "+write a" in vocabulary and "+poem about" in vocabulary
    assert "+about rain" not in vocabulary and "+fix my" not in vocabulary
    assert "rain" in vocabulary and "fix" in vocabulary


def test_a_request_in_another_language_has_its_task_cue() -> None:
    assert "#cue:creative_writing" in read("Escribe un poema corto sobre el mar").flags
    assert "#cue:summarization" in read("Fasse diesen Artikel kurz zusammen").flags
    assert "#cue:open_qa" in read("Explique-moi pourquoi le ciel est bleu").flags
