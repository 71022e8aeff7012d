"""The trained task classifiers, as the process uses them: loaded, not trained.

Training happens once, offline: `python -m stages.classify` fits the word model and the
all-MiniLM-L6-v2 embedding models on the seed prompts and writes their weights (and the
seed prompts' vectors, int8, for the neighbour vote) into the generated module
`_weights.py` (a base64 .npz: plain data, no pickle, shipped as code
so it travels with the package however it is installed). Start-up only decodes it.

The weights carry a fingerprint of everything that shaped them: the seed prompts and
their labels, the training settings, the source of the feature extractor, word lists
and trainer, and the MiniLM weights' checksum. `shipped_is_current()` compares it with
the fingerprint of the code as it is now; a test fails when they differ, so a changed
seed prompt cannot ship with stale weights. The source counts as its tokens, without
comments or blank lines, so a comment can be corrected without training again.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import io
import json
import tokenize
from pathlib import Path

import numpy as np

from reactor import EmbedderConfig, MiniLMEmbedderConfig
from stages.classify import _classifier, _features, _lexicon, _model, _weights
from stages.classify._classifier import (
    BAYES_ALPHA,
    BAYES_SCALE,
    BAYES_SHARE,
    EMBEDDING_L2,
    EMBEDDING_RATE,
    FLAG_VALUE,
    MIXTURE,
    NEIGHBOUR_TEMPERATURE,
    NEIGHBOURS,
    PAIR_PROMPTS,
    STEPS,
    TASKS,
    WORD_L2,
    WORD_RATE,
    TaskClassifier,
    seed_examples,
)
from stages.classify._model import DenseSoftmax, NaiveBayes, Neighbours, SparseSoftmax
from stages.embedders import EmbedderUnavailable, MiniLMEmbedder
from stages.embedders.weights import PACKAGED_SHA256

WEIGHTS_MODULE = Path(__file__).with_name("_weights.py")
_LINE = 76


def fingerprint() -> str:
    """What the shipped weights must have been trained from, as one sha256."""
    texts, labels = seed_examples()
    settings = [WORD_L2, FLAG_VALUE, STEPS, WORD_RATE, EMBEDDING_L2, EMBEDDING_RATE,
                list(MIXTURE), NEIGHBOURS, NEIGHBOUR_TEMPERATURE, BAYES_ALPHA, BAYES_SCALE,
                BAYES_SHARE, PAIR_PROMPTS]
    digest = hashlib.sha256(json.dumps(
        [list(TASKS), texts, labels, settings, PACKAGED_SHA256,
         MiniLMEmbedderConfig().max_tokens], ensure_ascii=False).encode())
    for module in (_classifier, _features, _lexicon, _model):
        digest.update(_code(Path(module.__file__ or "")).encode())
    return digest.hexdigest()


def _code(path: Path) -> str:
    """A module's tokens, one a line, leaving out comments and blank lines."""
    with tokenize.open(path) as source:
        return "\n".join(token.string for token in tokenize.generate_tokens(source.readline)
                         if token.type not in (tokenize.COMMENT, tokenize.NL))


def shipped_is_current() -> bool:
    return _weights.FINGERPRINT == fingerprint()


@functools.cache
def _shipped() -> dict[str, np.ndarray]:
    blob = base64.b64decode(_weights.WEIGHTS)
    with np.load(io.BytesIO(blob), allow_pickle=False) as arrays:
        return {name: arrays[name] for name in arrays.files}


@functools.cache
def word_classifier() -> TaskClassifier:
    """The word-only classifier, from the shipped weights (a few ms), then shared."""
    arrays = _shipped()
    vocabulary = {str(name): i for i, name in enumerate(arrays["word_vocabulary"].tolist())}
    words = SparseSoftmax(vocabulary, arrays["word_weights"].astype(np.float64),
                          arrays["word_bias"].astype(np.float64), float(arrays["flag_value"]))
    return TaskClassifier(words, NaiveBayes(arrays["bayes_weights"].astype(np.float64)))


def _is_packaged_minilm(embedder: MiniLMEmbedderConfig) -> bool:
    return embedder.path is None and embedder.max_tokens == MiniLMEmbedderConfig().max_tokens \
        and embedder.sha256 in (None, PACKAGED_SHA256["model.safetensors"])


@functools.cache
def classifier_for(embedder: EmbedderConfig) -> TaskClassifier:
    """The classifier to use next to this embedder's vectors.

    The packaged all-MiniLM-L6-v2 gets the shipped embedding model. Other MiniLM weights
    (`path`) need their own: the first call embeds the seed prompts (seconds on one
    core; call it at start-up, off the event loop). Embedders that know only spelling
    (hashing) or cannot be run here without I/O (http) get the word-only classifier.
    """
    if not isinstance(embedder, MiniLMEmbedderConfig):
        return word_classifier()
    if _is_packaged_minilm(embedder):
        arrays = _shipped()
        embedded = DenseSoftmax(arrays["minilm_weights"].astype(np.float64),
                                arrays["minilm_bias"].astype(np.float64))
        neighbours = Neighbours(arrays["minilm_codes"], arrays["minilm_scales"],
                                arrays["minilm_labels"], len(TASKS), k=NEIGHBOURS,
                                temperature=NEIGHBOUR_TEMPERATURE)
        shipped = word_classifier()
        return TaskClassifier(shipped.words, shipped.bayes, embedded, neighbours)
    try:
        encoder = MiniLMEmbedder(embedder)
    except EmbedderUnavailable:
        return word_classifier()
    texts, labels = seed_examples()
    trained = TaskClassifier.train(texts, labels, encoder.encode(texts))
    shipped = word_classifier()
    return TaskClassifier(shipped.words, shipped.bayes, trained.embedded, trained.neighbours)


def train_all() -> TaskClassifier:
    """Both models, fitted on the seed prompts (needs the packaged MiniLM weights)."""
    texts, labels = seed_examples()
    vectors = MiniLMEmbedder(MiniLMEmbedderConfig()).encode(texts)
    return TaskClassifier.train(texts, labels, vectors)


def render(classifier: TaskClassifier) -> str:
    """The source of `_weights.py` holding this classifier's weights."""
    words, embedded, neighbours = classifier.words, classifier.embedded, classifier.neighbours
    assert embedded is not None and neighbours is not None
    names = sorted(words.vocabulary, key=words.vocabulary.__getitem__)
    buffer = io.BytesIO()
    np.savez_compressed(
        buffer, allow_pickle=False,
        word_vocabulary=np.array(names, dtype=np.str_),
        word_weights=words.weights.astype(np.float32),
        word_bias=words.bias.astype(np.float32),
        bayes_weights=classifier.bayes.weights.astype(np.float32),
        flag_value=np.float64(words.flag_value),
        minilm_weights=embedded.weights.astype(np.float32),
        minilm_bias=embedded.bias.astype(np.float32),
        minilm_codes=neighbours.codes,
        minilm_scales=neighbours.scales,
        minilm_labels=neighbours.labels.astype(np.int8),
    )
    encoded = base64.b64encode(buffer.getvalue()).decode()
    lines = "\n".join(encoded[i:i + _LINE] for i in range(0, len(encoded), _LINE))
    return (
        '"""Generated by `python -m stages.classify` from the seed prompts: do not edit.\n\n'
        "The task classifier's trained weights, a base64 .npz (see `_trained`).\n"
        '"""\n\n'
        f'FINGERPRINT = "{fingerprint()}"\n\n'
        f'WEIGHTS = """\n{lines}\n"""\n'
    )


def regenerate(path: Path = WEIGHTS_MODULE) -> None:
    path.write_text(render(train_all()))
