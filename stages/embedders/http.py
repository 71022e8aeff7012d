"""An OpenAI-compatible `POST {base_url}/embeddings` endpoint, over the shared aiohttp
session.

Sends `{"model", "input": [texts], "encoding_format": "float"}` in turns of at most
`batch_size` texts, puts the answer's rows back in input order by their `index`, and
scales them to unit length (not every server does). Any trouble, from a refused
connection to a vector of the wrong length, raises `EmbedderFailed`; the key never
appears in its message.
"""

from __future__ import annotations

import aiohttp
import msgspec
import numpy as np

from stages.embedders._base import (
    EmbedderFailed,
    EmbedderUnavailable,
    Embeddings,
    HttpEmbedderConfig,
    normalize_rows,
)


class _Request(msgspec.Struct, kw_only=True):
    model: str
    input: list[str]
    encoding_format: str = "float"


class _Item(msgspec.Struct):
    index: int
    embedding: list[float]


class _Answer(msgspec.Struct):
    data: list[_Item]


_encoder = msgspec.json.Encoder()
_answer = msgspec.json.Decoder(_Answer)


class HttpEmbedder:
    def __init__(self, config: HttpEmbedderConfig, session: aiohttp.ClientSession) -> None:
        self.config = config
        self.session = session
        self.dim = config.dim
        self.name = f"http:{config.model}"
        self.url = config.base_url.rstrip("/") + "/embeddings"
        self._key = config.resolve_key()
        if config.api_key_env is not None and self._key is None:
            raise EmbedderUnavailable(f"environment variable {config.api_key_env} is not set")
        self._headers = {"Content-Type": "application/json"}
        if self._key is not None:
            self._headers["Authorization"] = f"Bearer {self._key}"
        self._timeout = aiohttp.ClientTimeout(total=config.timeout_s)

    async def embed(self, texts: list[str]) -> Embeddings:
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        step = self.config.batch_size
        for start in range(0, len(texts), step):
            out[start : start + step] = await self._request(texts[start : start + step])
        return normalize_rows(out)

    def _failed(self, message: str) -> EmbedderFailed:
        if self._key:
            message = message.replace(self._key, "[key]")
        return EmbedderFailed(f"{self.url}: {message}")

    async def _request(self, texts: list[str]) -> Embeddings:
        body = _encoder.encode(_Request(model=self.config.model, input=texts))
        try:
            async with self.session.post(self.url, data=body, headers=self._headers,
                                         timeout=self._timeout) as response:
                raw = await response.read()
                status = response.status
        except TimeoutError:
            raise self._failed(f"no answer within {self.config.timeout_s} s") from None
        except aiohttp.ClientError as exc:
            raise self._failed(f"request failed: {exc!r}") from None
        if status != 200:
            text = raw[:300].decode(errors="replace")
            raise self._failed(f"answered {status}: {text}")
        try:
            answer = _answer.decode(raw)
        except (msgspec.DecodeError, msgspec.ValidationError) as exc:
            raise self._failed(f"unreadable answer: {exc}") from None
        if sorted(item.index for item in answer.data) != list(range(len(texts))):
            raise self._failed(f"asked for {len(texts)} embeddings, got indices "
                               f"{[item.index for item in answer.data][:10]}")
        rows = np.empty((len(texts), self.dim), dtype=np.float32)
        for item in answer.data:
            if len(item.embedding) != self.dim:
                raise self._failed(f"embedding of length {len(item.embedding)}, expected "
                                   f"{self.dim}")
            rows[item.index] = item.embedding
        return rows
