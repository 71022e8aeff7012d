"""What a prompt asks for: its task type (from `reactor.TaskType`) and its language.

# Layout

- `_seeds_a` .. `_seeds_k`: the hand-written training prompts, 89-311 per task (1662)
- `_lexicon`: word lists (languages, tools, math terms) and each task's cue words
- `_features`: a prompt's features (`read`: by kind; `extract`: as a set of names)
- `_model`: logistic regression in numpy (trained in its dual form), naive Bayes and a
  nearest-neighbour vote
- `_classifier`: the task classifier (words, plus embeddings when they mean something)
- `_language`: ISO 639-1 language codes from scripts and function words
- `_trained`: the classifiers as a process uses them, loaded from the generated
  `_weights.py` (`python -m stages.classify` retrains and rewrites it)

# Labels

A prompt gets the label of what its answer must be, by the first rule that applies
(bench/task_labels.toml applies them to real prompts, one prompt at a time):

1. code: the answer is code or about building software: write, fix, explain, convert,
   test or optimise code (any language, shell, SQL, spreadsheet formulas and macros,
   shaders, HDL, music or diagram notations such as ABC and Mermaid), configure or use
   developer tools, libraries, frameworks, servers and cloud services, programming
   puzzles stated as problems to implement. Math or data that is to be computed by a
   program is code, and so is building or training a model in code.
2. translation: render a text in another natural language, or say what a word or phrase
   of one language is in another.
3. summarization: shorten a text the prompt supplies (summary, key points, TL;DR).
4. extraction: pull given kinds of items out of a supplied text or data, often into a
   format (JSON, CSV, a table).
5. classification: assign supplied items to given categories (sentiment, topic, spam,
   a rating on a scale).
6. math: a calculation, derivation or proof with a definite answer, including word
   problems, probability and statistics, and physics or engineering calculations.
7. reasoning: logic puzzles, riddles and deductions whose difficulty is the inference,
   not knowledge or arithmetic.
8. creative_writing: a new text whose wording is the product: stories, poems, lyrics,
   jokes, letters and emails, speeches, ads, slogans, blog posts and articles, scripts,
   product and marketing copy, prompts written for a language model; also rewriting,
   rephrasing or polishing a supplied text (other than shortening or translating it).
9. open_qa: knowledge, explanation, advice, plans, strategies, comparisons and analysis
   in any field outside building software (computing, security and AI explained in
   general are open_qa), in prose or a table (a persona framing such as "act as a
   lawyer" does not change this, nor does a requested output format).
10. chat: small talk, feelings, games and role-play where the conversation itself is the
    point (a persona set up without a concrete question is chat, as is a text adventure
    or a game run turn by turn).
"""

from __future__ import annotations

from stages.classify._classifier import SEEDS as SEEDS
from stages.classify._classifier import TASKS as TASKS
from stages.classify._classifier import Columns as Columns
from stages.classify._classifier import TaskClassifier as TaskClassifier
from stages.classify._classifier import TaskGuess as TaskGuess
from stages.classify._classifier import seed_examples as seed_examples
from stages.classify._features import Reading as Reading
from stages.classify._features import extract as extract
from stages.classify._features import read as read
from stages.classify._language import detect_language as detect_language
from stages.classify._trained import classifier_for as classifier_for
from stages.classify._trained import fingerprint as fingerprint
from stages.classify._trained import shipped_is_current as shipped_is_current
from stages.classify._trained import word_classifier as word_classifier

__all__ = [
    "SEEDS",
    "TASKS",
    "Columns",
    "Reading",
    "TaskClassifier",
    "TaskGuess",
    "classifier_for",
    "detect_language",
    "extract",
    "fingerprint",
    "read",
    "seed_examples",
    "shipped_is_current",
    "word_classifier",
]
