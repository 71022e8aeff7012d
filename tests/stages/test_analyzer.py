"""The analyzer's pure core: task type and confidence, token estimate, language, length
asks, complexity. Every prompt here is written for these tests (none is a training
prompt of the classifier, none comes from ../shared)."""

from __future__ import annotations

import json
import math
import os
import re
import subprocess
import sys
import unicodedata
from pathlib import Path

import numpy as np
import pytest

from reactor import (
    AnalyzerConfig,
    ChatMessage,
    ChatRequest,
    HashingEmbedderConfig,
    MiniLMEmbedderConfig,
    TaskType,
)
from stages.analyzer import (
    _complexity,
    analyze,
    analyze_batch,
    classify,
    estimate_tokens,
    requested_output_tokens,
)
from stages.classify import (
    SEEDS,
    TASKS,
    TaskClassifier,
    classifier_for,
    detect_language,
    seed_examples,
    word_classifier,
)
from stages.classify._language import _LETTERS, _STOPWORDS, _latin_language

ROOT = Path(__file__).resolve().parents[2]

CLEAR: dict[TaskType, tuple[str, ...]] = {
    "code": (
        "Write a Python function that checks whether a string is a valid IPv4 address.",
        "My Go program panics with 'index out of range' inside this loop:\n```go\n"
        "for i := 0; i <= len(xs); i++ {\n    total += xs[i]\n}\n```",
        "How do I add a foreign key to an existing table in PostgreSQL?",
    ),
    "math": (
        "Solve 5x - 3 = 2x + 9.",
        "What is the probability of drawing two aces from a shuffled deck without "
        "replacement?",
        "Find the derivative of ln(x^2 + 1).",
    ),
    "reasoning": (
        "All poets are dreamers and no dreamer is punctual. Can a poet be punctual? Explain.",
        "A riddle for you: the more you take, the more you leave behind. What am I?",
    ),
    "creative_writing": (
        "Write a haiku about a cat sleeping in the sun.",
        "Write a short bedtime story about a robot who is afraid of the dark.",
        "Compose a toast for my parents' 40th wedding anniversary.",
    ),
    "summarization": (
        "Summarize this paragraph in one sentence: The council voted to extend library "
        "hours on weekends after a survey showed strong demand from students and parents.",
        "Give me the key points of this meeting transcript.",
    ),
    "translation": (
        "Translate 'good evening, how was your day?' into Italian.",
        "How do you say 'where is the bathroom' in German?",
        "Translate to English: Je suis très content de te voir.",
    ),
    "extraction": (
        "Extract every email address and phone number from the text below.",
        "From this invoice, pull out the invoice number, the date and the total as JSON.",
    ),
    "classification": (
        "Classify the sentiment of this tweet as positive, negative or neutral: 'Worst "
        "customer service ever.'",
        "Categorize these expenses into travel, food or office supplies.",
    ),
    "open_qa": (
        "What are the main causes of the French Revolution?",
        "How does a credit score work?",
    ),
    "chat": (
        "Hey there! How's it going?",
        "Thanks so much, you've been a great help today!",
        "Let's role-play: you are a friendly dragon and I'm a lost traveller.",
    ),
}
AMBIGUOUS = (
    "Tell me about it.",
    "Write about numbers.",
    "What do you think?",
    "Explain this code and summarize it, then translate the summary to French.",
)


def request(*turns: str, max_tokens: int | None = None) -> ChatRequest:
    roles = ["user", "assistant"]
    return ChatRequest(model="auto", max_tokens=max_tokens, messages=[
        ChatMessage(role=roles[i % 2], content=text) for i, text in enumerate(turns)])


@pytest.mark.parametrize(("task", "prompt"),
                         [(task, prompt) for task, prompts in CLEAR.items() for prompt in prompts])
def test_each_task_is_recognised_on_clear_prompts(task: TaskType, prompt: str) -> None:
    assert classify(prompt)[0] == task


def test_every_task_has_its_training_prompts() -> None:
    texts, labels = seed_examples()
    assert set(SEEDS) == set(TASKS)
    assert all(len(SEEDS[task]) >= 40 for task in TASKS)
    assert len(texts) == len(labels) == sum(len(p) for p in SEEDS.values())
    assert not {p for prompts in CLEAR.values() for p in prompts} & set(texts)


def test_confidence_is_lower_on_ambiguous_prompts() -> None:
    clear = [classify(p)[1] for prompts in CLEAR.values() for p in prompts]
    unsure = [classify(p)[1] for p in AMBIGUOUS]
    assert all(0.0 < c <= 1.0 for c in clear + unsure)
    assert max(unsure) < 0.5
    assert np.mean(unsure) < np.mean(clear) - 0.2


def test_code_and_math_presence() -> None:
    _, _, has_code, has_math = classify(CLEAR["code"][1])
    assert has_code and not has_math
    _, _, has_code, has_math = classify("Simplify 3x^2 + 2x - x^2 for me")
    assert has_math and not has_code
    assert classify("Tell me a story about a fox.")[2:] == (False, False)


@pytest.mark.parametrize(("text", "tokens"), [
    # Counted by hand, piece by piece, as o200k and cl100k split them (both agree here).
    ("Hello, world!", 4),                                      # Hello , ␣world !
    ("The quick brown fox jumps over the lazy dog.", 10),     # nine words and "."
    ("def add(a, b):\n    return a + b\n", 12),
    ("for (int i = 0; i < n; i++) {\n    total += values[i];\n}\n", 22),
    ("Please summarize the following paragraph in two sentences. The city council met on "
     "Tuesday evening to discuss the new budget, which includes funding for three parks, a "
     "library renovation and more frequent bus service on weekends.", 40),
])
def test_token_estimate_is_close_to_real_counts(text: str, tokens: int) -> None:
    assert abs(estimate_tokens(text) - tokens) <= max(2, 0.15 * tokens)


def test_token_estimate_edges_and_scale() -> None:
    assert estimate_tokens("") == 0
    assert estimate_tokens("a") == 1
    prose = "The committee will publish its findings next spring. " * 200
    assert 1600 <= estimate_tokens(prose) <= 2400  # 10 tokens a sentence, sampled
    assert estimate_tokens(prose, chars_per_token=2.0) == pytest.approx(
        2 * estimate_tokens(prose), rel=0.01)
    assert estimate_tokens("今日はとても良い天気です") >= 8  # ~1 token per CJK character


@pytest.mark.parametrize(("text", "code"), [
    ("How do I sort a list of tuples by the second item?", "en"),
    ("¿Cuál es la mejor manera de aprender a tocar la guitarra?", "es"),
    ("Pouvez-vous me dire pourquoi le pain ne lève pas ?", "fr"),
    ("Kannst du mir bitte erklären, wie eine Wärmepumpe funktioniert?", "de"),
    ("Come posso preparare un buon risotto ai funghi?", "it"),
    ("Você pode me ajudar a escrever um e-mail para o meu chefe?", "pt"),
    ("Hoe kan ik mijn fiets het beste onderhouden in de winter?", "nl"),
    ("Как выучить английский язык за полгода?", "ru"),
    ("Як навчитися готувати борщ? Це її рецепт.", "uk"),
    ("请帮我写一封感谢信。", "zh"),
    ("明日の天気はどうですか？", "ja"),  # noqa: RUF001
    ("오늘 저녁에 뭐 먹을까요?", "ko"),
    ("كيف يمكنني تحسين نومي؟", "ar"),
    ("איך אני מכין חומוס בבית?", "he"),
    ("Πώς μπορώ να μάθω ελληνικά;", "el"),  # noqa: RUF001
    ("मुझे हिंदी सीखनी है।", "hi"),
    ("print(sum(range(10)))", "en"),
])
def test_language_codes(text: str, code: str) -> None:
    assert detect_language(text) == code


def plain_latin_language(sample: str) -> str:
    """`_latin_language` as it reads: every word by the pattern, every share summed."""
    lower = unicodedata.normalize("NFC", sample.lower())
    plain = lower.isascii()
    words = re.findall(r"[a-z]+(?:'[a-z]+)?" if plain else r"[^\W\d_]+(?:'[^\W\d_]+)?",
                       lower)
    scores = dict.fromkeys(_STOPWORDS, 0.0)
    for word in words:
        owners = [language for language, stopwords in _STOPWORDS.items() if word in stopwords]
        for language in owners:
            scores[language] += 1.0 / len(owners)
    if not plain:
        for language, letters in _LETTERS.items():
            scores[language] += 0.5 * sum(lower.count(ch) for ch in letters)
    best = max(scores, key=scores.__getitem__)
    if best != "en" and scores[best] >= 1.5 and scores[best] > 2 * scores["en"]:
        return best
    return "en"


def test_latin_languages_shortcuts_agree_with_the_plain_reading() -> None:
    # The ASCII words found by a split, and English decided before any scoring.
    stopwords = sorted({word for words in _STOPWORDS.values() for word in words})
    mixed = [" ".join(words)
             for words in zip(stopwords, stopwords[7:], stopwords[13:], strict=False)]
    texts = [*(text for texts in CLEAR.values() for text in texts), *AMBIGUOUS,
             *(text for texts in SEEDS.values() for text in texts), *mixed,
             "c'est la vie, n'est-ce pas? Qu'il est beau", "'the' 'de' rock'n'roll it's",
             "de la de la the", "die das der und the", "a a a o o o e e", "", "123 ... ---",
             "Ma quando è il tuo compleanno?", "Hoe gaat het met je, mijn vriend?"]
    for text in texts:
        for sample in (text, text.lower(), text.upper()):
            assert _latin_language(sample) == plain_latin_language(sample), sample


def test_length_asks_become_output_tokens() -> None:
    assert requested_output_tokens("Write a story in 300 words.") == 405
    assert requested_output_tokens("Describe it in two paragraphs") == 240
    assert requested_output_tokens("I need a 500-word essay on tides") == 675
    assert requested_output_tokens("My log has 5000 lines, what is wrong?") is None
    assert requested_output_tokens("What's a word for happy?") is None
    config = AnalyzerConfig()
    assert analyze(request("Summarize it in 50 words."), config).output_tokens == 68
    assert analyze(request("Summarize it in 50 words.", max_tokens=20), config).output_tokens == 20
    assert analyze(request("Summarize it.", max_tokens=20), config).output_tokens == 20
    assert analyze(request("Summarize it."), config).output_tokens is None


def test_features_of_a_conversation() -> None:
    config = AnalyzerConfig()
    chat = analyze(request("hi!", "Hello! How can I help?", "Wie spät ist es bitte?"), config)
    assert chat.turns == 2 and chat.language == "de"
    easy = analyze(request("Thanks, that was helpful!"), config)
    hard = analyze(request(
        "Implement a distributed rate limiter in Go that must stay correct under "
        "concurrency and network partitions. Requirements:\n- at most 100 requests per "
        "second per user\n- works across regions\n- explain the design trade-offs"),
        config)
    assert 0.0 <= easy.complexity < hard.complexity <= 1.0
    assert hard.task == "code" and hard.has_code
    assert easy.prompt_tokens < hard.prompt_tokens


def test_embeddings_inform_the_classifier_only_when_it_has_an_embedding_model() -> None:
    texts, labels = seed_examples()
    # A toy embedder that encodes the label itself: the embedding model learns to trust it.
    vectors = np.eye(len(TASKS), dtype=np.float32)[labels]
    classifier = TaskClassifier.train(texts, labels, vectors)
    prompt = "Write about numbers."
    math = np.eye(len(TASKS), dtype=np.float32)[TASKS.index("math")]
    assert classifier.predict(prompt, math).task == "math"
    assert classifier.predict(prompt).task == word_classifier().predict(prompt).task
    wrong_size = np.ones(7, dtype=np.float32)
    assert classifier.predict(prompt, wrong_size) == classifier.predict(prompt)


def test_analyze_ignores_embeddings_of_embedders_that_know_only_spelling() -> None:
    config = AnalyzerConfig(embedder=HashingEmbedderConfig())
    assert classifier_for(config.embedder) is word_classifier()
    vector = np.ones(384, dtype=np.float32) / np.sqrt(384)
    chat = request("Compose a limerick about a sleepy owl.")
    assert analyze(chat, config, vector) == analyze(chat, config)


def test_minilm_classifier_reads_the_embedding() -> None:
    config = MiniLMEmbedderConfig()
    classifier = classifier_for(config)
    if classifier.embedded is None:
        pytest.skip("minilm weights not installed")
    assert classifier.words is word_classifier().words
    assert classifier.embedded.weights.shape == (384, len(TASKS))


def test_predictions_are_the_same_in_another_process() -> None:
    prompts = [p for prompts in CLEAR.values() for p in prompts] + list(AMBIGUOUS)
    here = [[classify(p)[0], classify(p)[1]] for p in prompts]
    script = ("import json, sys\nfrom stages.analyzer import classify\n"
              "prompts = json.load(sys.stdin)\n"
              "print(json.dumps([[classify(p)[0], classify(p)[1]] for p in prompts]))")
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    result = subprocess.run([sys.executable, "-c", script], input=json.dumps(prompts),
                            capture_output=True, text=True, cwd=ROOT, env=env, timeout=120,
                            check=True)
    assert json.loads(result.stdout) == here


def test_a_batch_is_analyzed_as_each_request_alone() -> None:
    config = AnalyzerConfig()
    requests = [request(p) for prompts in CLEAR.values() for p in prompts]
    requests += [request(p) for p in AMBIGUOUS]
    requests += [
        request("hi!", "Hello! How can I help?", "Wie spät ist es bitte?"),
        request("Write a story in 300 words.", max_tokens=100),
        request(""),
        request("Fix this:\n```js\nconst x = 1;\nx = 2;\n```\n" * 40),
        ChatRequest(model="auto", messages=[ChatMessage(role="system", content="Be brief."),
                                            ChatMessage(role="assistant", content="Hi.")]),
    ]
    alone = [analyze(r, config) for r in requests]
    assert analyze_batch(requests, config) == alone
    assert analyze_batch(requests[:1], config) == alone[:1]
    assert analyze_batch([], config) == []
    minilm = AnalyzerConfig(embedder=MiniLMEmbedderConfig())
    if classifier_for(minilm.embedder).embedded is None:
        return
    vectors = np.random.default_rng(3).standard_normal((len(requests), 384))
    vectors = (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)
    batch = analyze_batch(requests, minilm, vectors)
    for got, r, vector in zip(batch, requests, vectors, strict=True):
        single = analyze(r, minilm, vector)
        assert got.task == single.task
        assert got.task_confidence == pytest.approx(single.task_confidence, abs=1e-3)



@pytest.mark.parametrize("text", [
    "", "plain words only", "1. first\n2. second", "12) twelfth", "- a dash item",
    " * a starred item", "\t\u2022 a bullet", "\u0663. an Arabic-Indic three", "3.5 is a number",
    "no list\n- but here\n  * and here", "-not an item", "\u2022", "line\n\n10. ten",
])
def test_list_items_are_counted_as_the_pattern_finds_them(text: str) -> None:
    words = set(text.split())
    items = len(re.findall(r"\n[ \t]*(?:[-*\u2022]|\d{1,2}[.)])[ \t]", f"\n{text[:2000]}"))
    score = (0.15 + 0.1 * math.log10(1 + 30) + 0.02 * min(items, 10))
    assert _complexity(text, words, 30, "open_qa", False, 1) == round(min(1.0, score), 3)


@pytest.mark.parametrize(("text", "tokens"), [
    ("Give it to me in 3 sentences", 75), ("Write two pages on tides", 1300),
    ("List 5 bullet points", 100), ("Answer in 4 bullets", 80), ("in 10 lines please", 120),
    ("write 3 tweets", 180), ("a 200-word bio", 270), ("Summarize the pipeline online", None),
    ("Name 3 colours", None),
])
def test_every_unit_of_a_length_ask_is_read(text: str, tokens: int | None) -> None:
    assert requested_output_tokens(text) == tokens
