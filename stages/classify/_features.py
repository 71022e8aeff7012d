"""A prompt as a set of named features: words, word stems, opening words, word-list hits
and a few structural signals (code fences, code-shaped lines, math notation, a pasted
passage after the instruction).

Only the head and the tail of a long prompt are read: the instruction is nearly always
at one end, and the middle (pasted code or text) adds time, not signal.

`read` gives the features by kind (a `Reading`), which is what the classifier looks up
on each request; `extract` gives the same features as one set of names (`Reading.names`).
A word's name is the word itself, an opening word's `^word`, a stem's `~stem`, a pair of
neighbouring words near the start `+first second` and every other feature's `#name`.

Numbers are not words (their digits are topic, and the training prompts' topics do not
recur): a prompt with a number has `#number`, one with three `#numbers`.
"""

from __future__ import annotations

import re
from itertools import pairwise
from typing import NamedTuple

from stages.classify._lexicon import (
    CAMEL_CASE,
    CUE_PHRASES,
    CUE_WORDS,
    DOMAIN,
    FORMATS,
    LOOSE_TECH,
    MATH,
    MATH_PATTERNS,
    MATH_SYMBOLS,
    NATURAL_LANGUAGES,
    PROGRAMMING,
    TECH,
    TECH_PATTERNS,
)

HEAD_CHARS = 1500
TAIL_CHARS = 500
HEAD_WORDS = 160
TAIL_WORDS = 60
OPENING_WORDS = 3
# How a prompt asks ("how do", "write a", "this text") is in its first words.
PAIR_WORDS = 20
CUE_CHARS = 300
LONG_CHARS = 500
VERY_LONG_CHARS = 2000

_WORD = re.compile(r"[^\W\d_]+(?:[.+#][^\W\d_]+|\+\+|#)?", re.UNICODE)
# `_WORD` on lower-cased ASCII text, where a letter is a-z and a digit 0-9: the same
# words, a third faster (no Unicode category lookups).
_ASCII_WORD = re.compile(r"[a-z]+(?:[.+#][a-z]+|\+\+|#)?")
_FENCE = re.compile(r"```|~~~")
_CODE_LINE = re.compile(
    r"^\s*(?:def |class |import |from \w+ import|#include|public |private |func |fn "
    r"|let |const |var |return\b|if\s*\(|for\s*\(|while\s*\(|\}|\{|<\?php|SELECT |<div"
    r"|@\w+|\w+\s*=\s*[\w\[{(\"'].*[;)\]}]\s*$|.*;\s*$|.*\{\s*$|\s{4,}\S)",
    re.MULTILINE,
)
_PASSAGE = re.compile(r"[:\n]\s*\n|:\s*[\"'“«]|\"\"\"|'''|<text>|---")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_QUESTION_END = re.compile(r"\?\s*$")
_CJK = re.compile("[\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef]")
_LEXICONS = (("#tech", TECH), ("#prog", PROGRAMMING), ("#loosetech", LOOSE_TECH),
             ("#format", FORMATS), ("#mathword", MATH), ("#domain", DOMAIN),
             ("#natlang", NATURAL_LANGUAGES))
# Each pattern with what a text needs for it to match, where that is cheaper to check
# than the search: camelCase a capital (the text differs from its lower case), the math
# symbols a non-ASCII character, a question its question mark.
_ANY, _CAPITAL, _NON_ASCII, _QUESTION_MARK = range(4)
_NEEDS = {CAMEL_CASE: _CAPITAL, MATH_SYMBOLS: _NON_ASCII, _QUESTION_END: _QUESTION_MARK}
_PATTERNS = tuple((name, pattern, _NEEDS.get(pattern, _ANY))
                  for name, patterns in (("#techmark", TECH_PATTERNS),
                                         ("#mathmark", MATH_PATTERNS), ("#fence", (_FENCE,)),
                                         ("#passage", (_PASSAGE,)),
                                         ("#question", (_QUESTION_END,)))
                  for pattern in patterns)
STEM = 5

# Word lists, as one lookup: each listed word gives the features of the lists it is on
# (a task's cue words, `_LEXICONS`). A lexicon with three hits or more adds `<name>3`.
_LISTED: dict[str, tuple[str, ...]] = {}
for _name, _words in (*((f"#cue:{task}", words) for task, words in CUE_WORDS.items()),
                      *_LEXICONS):
    for _word in _words:
        _LISTED[_word] = (*_LISTED.get(_word, ()), _name)
_LISTED_WORDS = frozenset(_LISTED)
_COUNTED = frozenset(name for name, _ in _LEXICONS)


def _phrase_groups() -> tuple[tuple[str, tuple[tuple[str, str], ...]], ...]:
    """The cue phrases grouped by their first word (with the space after it, if any):
    a group whose first word is not in the text has none of its phrases there, so most
    phrases are never looked for."""
    groups: dict[str, list[tuple[str, str]]] = {}
    for task, phrases in CUE_PHRASES.items():
        for phrase in phrases:
            head, space, _ = phrase.partition(" ")
            groups.setdefault(head + space, []).append((phrase, f"#cue:{task}"))
    return tuple((head, tuple(members)) for head, members in groups.items())


_PHRASE_GROUPS = _phrase_groups()


class Reading(NamedTuple):
    """A prompt's features by kind."""

    words: set[str]
    """Its distinct words (of the head and tail words, lower-cased)."""
    openings: set[str]
    """Its first `OPENING_WORDS` words."""
    stems: set[str]
    """The first `STEM` letters of its words longer than `STEM + 1`."""
    pairs: set[str]
    """Neighbouring words among its first `PAIR_WORDS`, as "first second"."""
    flags: set[str]
    """Word-list hits and structural signals, each named `#...`."""

    def names(self) -> set[str]:
        found = set(self.words)
        found.update(["^" + word for word in self.openings])
        found.update(["~" + stem for stem in self.stems])
        found.update(["+" + pair for pair in self.pairs])
        found.update(self.flags)
        return found


def _window(text: str) -> str:
    if len(text) <= HEAD_CHARS + TAIL_CHARS:
        return text
    return f"{text[:HEAD_CHARS]}\n{text[-TAIL_CHARS:]}"


def read(text: str) -> Reading:
    """The prompt's features, by kind."""
    window = _window(text)
    lower = window.lower()
    words = (_ASCII_WORD if lower.isascii() else _WORD).findall(lower)
    total_words = len(words)
    if total_words > HEAD_WORDS + TAIL_WORDS:
        words = words[:HEAD_WORDS] + words[-TAIL_WORDS:]
    vocabulary = set(words)
    stems = {word[:STEM] for word in vocabulary if len(word) > STEM + 1}
    pairs = {f"{first} {second}" for first, second in pairwise(words[:PAIR_WORDS])}
    flags: set[str] = set()
    listed = _LISTED_WORDS.intersection(vocabulary)
    if listed:
        hits: dict[str, int] = {}
        for word in listed:
            for name in _LISTED[word]:
                hits[name] = hits.get(name, 0) + 1
        flags.update(hits)
        flags.update([name + "3" for name, count in hits.items()
                      if count >= 3 and name in _COUNTED])
    ends = lower if len(lower) <= 2 * CUE_CHARS else f"{lower[:CUE_CHARS]}\n{lower[-CUE_CHARS:]}"
    for head, members in _PHRASE_GROUPS:
        if head in ends:
            for phrase, name in members:
                if phrase in ends:
                    flags.add(name)
    plain = window.isascii()
    possible = (True, window != lower, not plain, "?" in window)
    for name, pattern, needs in _PATTERNS:
        if possible[needs] and name not in flags and pattern.search(window) is not None:
            flags.add(name)
    # Code lines start lines: one line holds one at most.
    if "\n" in window:
        code_lines = len(_CODE_LINE.findall(window))
        if code_lines >= 2:
            flags.add("#codelines")
            if code_lines >= 6:
                flags.add("#codelines6")
    numbers = len(_NUMBER.findall(window, 0, 400))
    if numbers:
        flags.add("#number")
        if numbers >= 3:
            flags.add("#numbers")
    if total_words <= 6:
        flags.add("#short")
    elif len(text) >= LONG_CHARS:
        flags.add("#long")
        if len(text) >= VERY_LONG_CHARS:
            flags.add("#verylong")
    if not plain and _CJK.search(window, 0, 200) is not None:
        flags.add("#cjk")
    return Reading(vocabulary, set(words[:OPENING_WORDS]), stems, pairs, flags)


def extract(text: str) -> set[str]:
    """The prompt's features, as names; each appears at most once."""
    return read(text).names()
