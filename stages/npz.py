"""Writing an .npz atomically: readers find the old file or the new one, never half."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import numpy.typing as npt


def save_atomic(path: str | os.PathLike[str], arrays: Mapping[str, npt.NDArray[np.generic]],
                ) -> None:
    """Write `arrays` to a temporary file beside `path`, fsync it, then rename it over."""
    target = Path(path)
    handle = tempfile.NamedTemporaryFile(
        dir=target.parent, prefix=f".{target.name}.", suffix=".tmp", delete=False)
    try:
        with handle:
            np.savez(handle, allow_pickle=False, **arrays)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(handle.name, target)
    except BaseException:
        Path(handle.name).unlink(missing_ok=True)
        raise
