"""`python -m stages.classify`: retrain the task classifier on the seed prompts and
write its weights to `stages/classify/_weights.py` (needs the MiniLM weights package)."""

from __future__ import annotations

from stages.classify._trained import WEIGHTS_MODULE, regenerate

if __name__ == "__main__":
    regenerate()
    print(f"wrote {WEIGHTS_MODULE}")
