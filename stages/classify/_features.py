"""A prompt as a set of named features: words, word stems, opening words, word-list hits
and a few structural signals (code fences, code-shaped lines, math notation, a pasted
passage after the instruction).

Only the head and the tail of a long prompt are read: the instruction is nearly always
at one end, and the middle (pasted code or text) adds time, not signal.
"""

from __future__ import annotations

import re

from stages.classify._lexicon import (
    CUE_PHRASES,
    CUE_WORDS,
    DOMAIN,
    FORMATS,
    LOOSE_TECH,
    MATH,
    MATH_PATTERN,
    NATURAL_LANGUAGES,
    PROGRAMMING,
    TECH,
    TECH_PATTERN,
)

HEAD_CHARS = 1500
TAIL_CHARS = 500
HEAD_WORDS = 160
TAIL_WORDS = 60
OPENING_WORDS = 3
CUE_CHARS = 300
LONG_CHARS = 500
VERY_LONG_CHARS = 2000

_WORD = re.compile(r"[^\W\d_]+(?:[.+#][^\W\d_]+|\+\+|#)?|\d+", re.UNICODE)
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
_CUES = tuple((f"#cue:{task}", CUE_WORDS[task], CUE_PHRASES[task]) for task in CUE_WORDS)
_LEXICONS = (("#tech", TECH), ("#prog", PROGRAMMING), ("#loosetech", LOOSE_TECH),
             ("#format", FORMATS), ("#mathword", MATH), ("#domain", DOMAIN),
             ("#natlang", NATURAL_LANGUAGES))
_PATTERNS = (("#techmark", TECH_PATTERN), ("#mathmark", MATH_PATTERN), ("#fence", _FENCE),
             ("#passage", _PASSAGE), ("#question", _QUESTION_END))
STEM = 5


def _window(text: str) -> str:
    if len(text) <= HEAD_CHARS + TAIL_CHARS:
        return text
    return f"{text[:HEAD_CHARS]}\n{text[-TAIL_CHARS:]}"


def extract(text: str) -> set[str]:
    """The prompt's features, as names; each appears at most once."""
    window = _window(text)
    lower = window.lower()
    words = _WORD.findall(lower)
    total_words = len(words)
    if total_words > HEAD_WORDS + TAIL_WORDS:
        words = words[:HEAD_WORDS] + words[-TAIL_WORDS:]
    vocabulary = set(words)
    found = set(vocabulary)
    found.update([f"^{w}" for w in words[:OPENING_WORDS]])
    found.update([f"~{w[:STEM]}" for w in vocabulary if len(w) > STEM + 1])
    ends = lower if len(lower) <= 2 * CUE_CHARS else f"{lower[:CUE_CHARS]}\n{lower[-CUE_CHARS:]}"
    for name, cue_words, cue_phrases in _CUES:
        if not cue_words.isdisjoint(vocabulary) or any(p in ends for p in cue_phrases):
            found.add(name)
    for name, lexicon in _LEXICONS:
        hits = len(lexicon.intersection(vocabulary))
        if hits:
            found.add(name)
            if hits >= 3:
                found.add(f"{name}3")
    for name, pattern in _PATTERNS:
        if pattern.search(window):
            found.add(name)
    code_lines = len(_CODE_LINE.findall(window))
    if code_lines >= 2:
        found.add("#codelines")
        if code_lines >= 6:
            found.add("#codelines6")
    if len(_NUMBER.findall(window, 0, 400)) >= 3:
        found.add("#numbers")
    if total_words <= 6:
        found.add("#short")
    elif len(text) >= LONG_CHARS:
        found.add("#long")
        if len(text) >= VERY_LONG_CHARS:
            found.add("#verylong")
    if _CJK.search(window, 0, 200):
        found.add("#cjk")
    return found
