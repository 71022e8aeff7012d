"""all-MiniLM-L6-v2 in numpy: a BERT encoder, mean pooling, unit length.

The weights load once, memory-mapped from model.safetensors; `encode` is the pure,
synchronous core and `embed` runs it on a worker thread (numpy's matrix products let
go of the GIL), one batch at a time per embedder.

Texts are sorted by length and cut into batches of at most `_TOKENS_PER_BATCH`
padded tokens (measured best among 256 to 4096), so padding stays small and every
array stays within the CPU caches.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import NamedTuple

import anyio
import anyio.to_thread
import msgspec
import numpy as np
import numpy.typing as npt

from stages.embedders._base import (
    EmbedderUnavailable,
    Embeddings,
    MiniLMEmbedderConfig,
    normalize_rows,
)
from stages.embedders.weights import (
    PACKAGED_SHA256,
    load_safetensors,
    packaged_model_dir,
    require,
    verify,
)
from stages.embedders.wordpiece import WordPiece

F32 = npt.NDArray[np.float32]
_TOKENS_PER_BATCH = 512
_ROWS = 128


class BertConfig(msgspec.Struct):
    """The keys of a Hugging Face config.json that the encoder needs."""

    hidden_size: int
    num_attention_heads: int
    num_hidden_layers: int
    intermediate_size: int
    max_position_embeddings: int
    layer_norm_eps: float = 1e-12
    hidden_act: str = "gelu"
    position_embedding_type: str = "absolute"


class _Layer(NamedTuple):
    qkv: F32
    qkv_bias: F32
    out: F32
    out_bias: F32
    norm1: F32
    norm1_bias: F32
    up: F32
    up_bias: F32
    down: F32
    down_bias: F32
    norm2: F32
    norm2_bias: F32


# erf(z) ~ z * P(z^2) / Q(z^2) on [-4, 4], where float32 erf is already +-1: the rational
# approximation Eigen and XLA use for float32. Measured against math.erf: at most
# 4.2e-7 off (7 float32 ulp); the tanh form of GELU would be 3e-4 off in the embedding.
_ERF_P = tuple(np.float32(c) for c in (
    -2.72614225801306e-10, 2.77068142495902e-08, -2.10102402082508e-06,
    -5.69250639462346e-05, -7.34990630326855e-04, -2.95459980854025e-03,
    -1.60960333262415e-02))
_ERF_Q = tuple(np.float32(c) for c in (
    -1.45660718464996e-05, -2.13374055278905e-04, -1.68282697438203e-03,
    -7.37332916720468e-03, -1.42647390514189e-02))
_SQRT_HALF = np.float32(1 / math.sqrt(2))


def erf(x: F32) -> F32:
    """erf of a float32 array, to float32 precision."""
    z = np.clip(x, np.float32(-4), np.float32(4))
    z2 = z * z
    p = _ERF_P[0] * z2
    p += _ERF_P[1]
    for c in _ERF_P[2:]:
        p *= z2
        p += c
    q = _ERF_Q[0] * z2
    q += _ERF_Q[1]
    for c in _ERF_Q[2:]:
        q *= z2
        q += c
    p *= z
    p /= q
    return p


def gelu(x: F32) -> F32:
    """x * Phi(x), the exact (erf) GELU, in place."""
    phi = erf(x * _SQRT_HALF)
    phi += np.float32(1)
    phi *= np.float32(0.5)
    x *= phi
    return x


def _tensor(tensors: dict[str, npt.NDArray[np.generic]], name: str,
            shape: tuple[int | None, ...]) -> F32:
    """The float32 tensor `name`, of this shape (None: any size)."""
    tensor = tensors.get(name)
    if tensor is not None and tensor.dtype == np.float32 and tensor.ndim == len(shape) \
            and all(want in (None, got) for want, got in zip(shape, tensor.shape, strict=True)):
        return tensor.astype(np.float32, copy=False)
    found = "missing" if tensor is None else f"{tensor.dtype}{list(tensor.shape)}"
    wanted = ", ".join("*" if size is None else str(size) for size in shape)
    raise EmbedderUnavailable(f"weights: {name} should be float32[{wanted}], is {found}")


class Encoder:
    """The network: token ids in, unit-length sentence vectors out."""

    def __init__(self, tensors: dict[str, npt.NDArray[np.generic]], config: BertConfig) -> None:
        if config.hidden_act != "gelu" or config.position_embedding_type != "absolute":
            raise EmbedderUnavailable(
                f"unsupported model: hidden_act={config.hidden_act!r}, "
                f"position_embedding_type={config.position_embedding_type!r}"
            )
        if config.hidden_size % config.num_attention_heads:
            raise EmbedderUnavailable("hidden_size is not a multiple of num_attention_heads")
        self.config = config
        self.dim = config.hidden_size
        self.heads = config.num_attention_heads
        self.eps = np.float32(config.layer_norm_eps)

        def get(name: str, *shape: int | None) -> F32:
            return _tensor(tensors, name, shape)

        d, ff = config.hidden_size, config.intermediate_size
        self.words = get("embeddings.word_embeddings.weight", None, d)
        self.positions = get("embeddings.position_embeddings.weight",
                             config.max_position_embeddings, d)
        # Sentence embedding sees one segment: type 0 for every token.
        self.token_type = np.array(get("embeddings.token_type_embeddings.weight", None, d)[0])
        self.norm = get("embeddings.LayerNorm.weight", d)
        self.norm_bias = get("embeddings.LayerNorm.bias", d)
        self.layers: list[_Layer] = []
        for i in range(config.num_hidden_layers):
            p = f"encoder.layer.{i}."
            qkv = [get(f"{p}attention.self.{n}.weight", d, d) for n in ("query", "key", "value")]
            qkv_bias = [get(f"{p}attention.self.{n}.bias", d) for n in ("query", "key", "value")]
            self.layers.append(_Layer(
                # One product for query, key and value: (d, 3d), already transposed.
                qkv=np.ascontiguousarray(np.concatenate(qkv, axis=0).T),
                qkv_bias=np.concatenate(qkv_bias),
                out=get(f"{p}attention.output.dense.weight", d, d).T,
                out_bias=get(f"{p}attention.output.dense.bias", d),
                norm1=get(f"{p}attention.output.LayerNorm.weight", d),
                norm1_bias=get(f"{p}attention.output.LayerNorm.bias", d),
                up=get(f"{p}intermediate.dense.weight", ff, d).T,
                up_bias=get(f"{p}intermediate.dense.bias", ff),
                down=get(f"{p}output.dense.weight", d, ff).T,
                down_bias=get(f"{p}output.dense.bias", d),
                norm2=get(f"{p}output.LayerNorm.weight", d),
                norm2_bias=get(f"{p}output.LayerNorm.bias", d),
            ))

    @property
    def vocab_size(self) -> int:
        return int(self.words.shape[0])

    def _layer_norm(self, x: F32, gain: F32, bias: F32) -> F32:
        mean = x.mean(axis=-1, keepdims=True)
        x = x - mean
        var = np.mean(np.square(x), axis=-1, keepdims=True)
        x *= gain / np.sqrt(var + self.eps)
        x += bias
        return x

    def _feed_forward(self, x: F32, layer: _Layer) -> F32:
        out = np.empty_like(x)
        # Row blocks keep the (rows, 1536) activations in cache: 5x faster than whole.
        for start in range(0, x.shape[0], _ROWS):
            rows = x[start : start + _ROWS]
            hidden = rows @ layer.up
            hidden += layer.up_bias
            block = gelu(hidden) @ layer.down
            block += layer.down_bias
            block += rows
            out[start : start + _ROWS] = block
        return self._layer_norm(out, layer.norm2, layer.norm2_bias)

    def forward(self, ids: npt.NDArray[np.int64], mask: npt.NDArray[np.bool_]) -> Embeddings:
        """ids and mask (batch, length), mask False on padding; one unit row per text."""
        batch, length = ids.shape
        heads, width = self.heads, self.dim // self.heads
        # Dense layers see one (batch * length, dim) matrix: one BLAS call, not `batch`.
        x = (self.words[ids] + self.positions[:length] + self.token_type).reshape(-1, self.dim)
        x = self._layer_norm(x, self.norm, self.norm_bias)
        # Padding keys get the most negative float: exp() makes their weight exactly 0.
        bias = np.where(mask, np.float32(0), np.finfo(np.float32).min)[:, None, None, :]
        scale = np.float32(1 / math.sqrt(width))
        for layer in self.layers:
            qkv = x @ layer.qkv
            qkv += layer.qkv_bias
            q, k, v = qkv.reshape(batch, length, 3, heads, width).transpose(2, 0, 3, 1, 4)
            scores = q @ k.transpose(0, 1, 3, 2)
            scores *= scale
            scores += bias
            scores -= scores.max(axis=-1, keepdims=True)
            np.exp(scores, out=scores)
            scores /= scores.sum(axis=-1, keepdims=True)
            context = (scores @ v).transpose(0, 2, 1, 3).reshape(-1, self.dim)
            attended = context @ layer.out
            attended += layer.out_bias
            attended += x
            x = self._layer_norm(attended, layer.norm1, layer.norm1_bias)
            x = self._feed_forward(x, layer)
        x = x.reshape(batch, length, self.dim)
        weights = mask.astype(np.float32)[:, :, None]
        pooled = (x * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), np.float32(1e-9))
        return normalize_rows(pooled)


def load_model(directory: Path) -> tuple[WordPiece, Encoder]:
    require(directory, "model.safetensors", "vocab.txt", "config.json")
    try:
        config = msgspec.json.decode((directory / "config.json").read_bytes(), type=BertConfig)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise EmbedderUnavailable(f"{directory / 'config.json'}: {exc}") from None
    tokenizer = WordPiece.from_file(directory / "vocab.txt")
    encoder = Encoder(load_safetensors(directory / "model.safetensors"), config)
    if len(tokenizer.vocab) != encoder.vocab_size:
        raise EmbedderUnavailable(f"vocab.txt has {len(tokenizer.vocab)} pieces, the weights "
                                  f"{encoder.vocab_size}: they belong to different models")
    return tokenizer, encoder


class MiniLMEmbedder:
    def __init__(self, config: MiniLMEmbedderConfig | None = None) -> None:
        config = config or MiniLMEmbedderConfig()
        given = {"model.safetensors": config.sha256} if config.sha256 else {}
        if config.path is None:
            directory = packaged_model_dir()
            expected = PACKAGED_SHA256 | given
        else:
            directory = Path(config.path)
            expected = given
        require(directory, *expected)
        for name, digest in expected.items():
            verify(directory / name, digest)
        self.tokenizer, self.encoder = load_model(directory)
        self.max_tokens = min(config.max_tokens, self.encoder.config.max_position_embeddings)
        self.dim = self.encoder.dim
        self.name = f"minilm:{directory.name if config.path else 'all-MiniLM-L6-v2'}"
        self._limiter = anyio.CapacityLimiter(1)

    def encode(self, texts: list[str]) -> Embeddings:
        """The embeddings of `texts`, computed on the calling thread."""
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        encoded = [self.tokenizer.encode(text, self.max_tokens) for text in texts]
        order = sorted(range(len(texts)), key=lambda i: len(encoded[i]))
        start = 0
        while start < len(order):
            # Sorted by length, so the last text of a batch sets its padded length.
            end = start + 1
            while end < len(order) and (end + 1 - start) * len(encoded[order[end]]) \
                    <= _TOKENS_PER_BATCH:
                end += 1
            chunk = order[start:end]
            length = len(encoded[chunk[-1]])
            ids = np.full((len(chunk), length), self.tokenizer.pad_id, dtype=np.int64)
            mask = np.zeros((len(chunk), length), dtype=np.bool_)
            for row, i in enumerate(chunk):
                ids[row, : len(encoded[i])] = encoded[i]
                mask[row, : len(encoded[i])] = True
            out[chunk] = self.encoder.forward(ids, mask)
            start = end
        return out

    async def embed(self, texts: list[str]) -> Embeddings:
        return await anyio.to_thread.run_sync(self.encode, texts, limiter=self._limiter)
