"""What a prompt asks for: its task type (from `reactor.TaskType`) and its language.

# Layout

- `_seeds_a` .. `_seeds_e`: the hand-written training prompts, 55-90 per task (668)
- `_lexicon`: word lists (languages, tools, math terms) and each task's cue words
- `_features`: a prompt as a set of named features
- `_model`: logistic regression in numpy, trained in its dual form
- `_classifier`: the task classifier (words, plus embeddings when they mean something)
- `_language`: ISO 639-1 language codes from scripts and function words
"""

from __future__ import annotations

from stages.classify._classifier import SEEDS as SEEDS
from stages.classify._classifier import TASKS as TASKS
from stages.classify._classifier import TaskClassifier as TaskClassifier
from stages.classify._classifier import TaskGuess as TaskGuess
from stages.classify._classifier import seed_examples as seed_examples
from stages.classify._features import extract as extract
from stages.classify._language import detect_language as detect_language
from stages.classify._trained import classifier_for as classifier_for
from stages.classify._trained import fingerprint as fingerprint
from stages.classify._trained import shipped_is_current as shipped_is_current
from stages.classify._trained import word_classifier as word_classifier

__all__ = [
    "SEEDS",
    "TASKS",
    "TaskClassifier",
    "TaskGuess",
    "classifier_for",
    "detect_language",
    "extract",
    "fingerprint",
    "seed_examples",
    "shipped_is_current",
    "word_classifier",
]
