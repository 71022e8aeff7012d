"""Which language a prompt is written in, as an ISO 639-1 code, from its opening.

Non-Latin scripts decide by themselves (kana means Japanese even among kanji, Hangul
Korean, Cyrillic Russian unless a Ukrainian-only letter shows up, ...). Latin script
is told apart by function words and a few letters only one language uses. With no
evidence either way (code, numbers, a one-word prompt) the answer is English, the
language most prompts are in; an unknown non-Latin script gives "und".
"""

from __future__ import annotations

import re
import unicodedata

SAMPLE_CHARS = 400

_SCRIPTS: tuple[tuple[str, tuple[tuple[int, int], ...]], ...] = (
    ("ja", ((0x3040, 0x30FF), (0x31F0, 0x31FF))),
    ("ko", ((0xAC00, 0xD7AF), (0x1100, 0x11FF), (0x3130, 0x318F))),
    ("zh", ((0x4E00, 0x9FFF), (0x3400, 0x4DBF))),
    ("ru", ((0x0400, 0x04FF),)),
    ("ar", ((0x0600, 0x06FF), (0x0750, 0x077F))),
    ("he", ((0x0590, 0x05FF),)),
    ("el", ((0x0370, 0x03FF),)),
    ("hi", ((0x0900, 0x097F),)),
    ("bn", ((0x0980, 0x09FF),)),
    ("ta", ((0x0B80, 0x0BFF),)),
    ("th", ((0x0E00, 0x0E7F),)),
    ("ka", ((0x10A0, 0x10FF),)),
    ("hy", ((0x0530, 0x058F),)),
)
_UKRAINIAN = frozenset("іїєґІЇЄҐ")
_PERSIAN = frozenset("پچژگ")

_STOPWORDS: dict[str, frozenset[str]] = {
    "en": frozenset("the a an and is are of to in that it for you with this what how my "
                    "can be on please i was have not about me your from do does by at "
                    "as or if will would should write give make explain tell list why "
                    "which".split()),
    "es": frozenset("el la los las de que y en un una es por para con no se lo como más "
                    "pero qué cómo está del al muy yo mi tu su sus hay estoy puedo "
                    "quiero cuál dónde porque también este esta eso".split()),
    "fr": frozenset("le la les des de et est un une que qui pour dans pas vous je il ce "
                    "sur avec au du c'est est-ce très aux mais où comment faire être "
                    "nous mon ma mes votre vos cette ces peux pouvez quel quelle "
                    "pourquoi".split()),
    "de": frozenset("der die das und ist nicht ein eine ich zu mit den dem auf für sie "
                    "es wie was bitte auch sich einen wir mein meine kann können warum "
                    "wo oder aber haben habe werden wird noch schon".split()),
    "it": frozenset("il lo la di che e è un una per non sono con del della come mi ho "
                    "gli anche perché io mio mia sei cosa dove quando posso voglio "
                    "questo questa molto più".split()),
    "pt": frozenset("o a os as de que e é um uma para com não em do da no na por você "
                    "como mais muito eu meu minha vocês isso onde quando posso quero "
                    "porque também".split()),
    "nl": frozenset("de het een en is van ik niet dat op te met voor zijn je wat hoe "
                    "ook maar mijn jij jouw wij ons deze dit waar wanneer kan wil "
                    "waarom heb hebben".split()),
}
_LETTERS: dict[str, frozenset[str]] = {
    "es": frozenset("ñ¿¡"),
    "fr": frozenset("œêîûëç"),
    "de": frozenset("ßäöü"),
    "pt": frozenset("ãõç"),
    "it": frozenset("ìò"),
}
_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")
# `_WORD` on lower-cased ASCII text: the same words, faster (no Unicode categories).
_ASCII_WORD = re.compile(r"[a-z]+(?:'[a-z]+)?")
_OWNERS: dict[str, tuple[str, ...]] = {}
for _language, _words in _STOPWORDS.items():
    for _word in _words:
        _OWNERS[_word] = (*_OWNERS.get(_word, ()), _language)


_ENGLISH_ONLY = ("en",)
# `_ASCII_WORD`'s words, found faster: on ASCII bytes, every byte but a letter or an
# apostrophe becomes a space, and without an apostrophe a split gives the words (with
# one, the pattern runs on those bytes: it matches what it matched before). Only
# function words count, so they are looked up as bytes.
_ASCII_RUNS = bytes(byte if chr(byte) in "abcdefghijklmnopqrstuvwxyz'" else 32
                    for byte in range(256))
_ASCII_WORD_BYTES = re.compile(_ASCII_WORD.pattern.encode())
_ASCII_OWNERS = {word.encode(): owners for word, owners in _OWNERS.items() if word.isascii()}


def _ascii_owned(lower: str) -> list[tuple[str, ...]]:
    """The owners of each function word of lower-cased ASCII text, in order."""
    runs = lower.encode("ascii").translate(_ASCII_RUNS)
    words = _ASCII_WORD_BYTES.findall(runs) if b"'" in runs else runs.split()
    return list(filter(None, map(_ASCII_OWNERS.get, words)))


def _ranges(ranges: tuple[tuple[int, int], ...]) -> re.Pattern[str]:
    return re.compile("[" + "".join(f"{chr(low)}-{chr(high)}" for low, high in ranges) + "]")


_SCRIPT_PATTERNS = tuple((language, _ranges(ranges)) for language, ranges in _SCRIPTS)
_LATIN_LETTER = re.compile(r"[A-Za-z\u00c0-\u024f]")


def detect_language(text: str) -> str:
    sample = text[:SAMPLE_CHARS]
    if sample.isascii():
        return _latin_language(sample)
    counts = {language: n for language, pattern in _SCRIPT_PATTERNS
              if (n := len(pattern.findall(sample)))}
    latin = len(_LATIN_LETTER.findall(sample))
    if counts and sum(counts.values()) >= latin:
        if counts.get("ja"):
            return "ja"
        best = max(sorted(counts), key=counts.__getitem__)
        if best == "ru" and not _UKRAINIAN.isdisjoint(sample):
            return "uk"
        if best == "ar" and not _PERSIAN.isdisjoint(sample):
            return "fa"
        return best
    if not latin:
        return "und" if any(ch.isalpha() for ch in sample) else "en"
    return _latin_language(sample)


def _latin_language(sample: str) -> str:
    lower = sample.lower()
    plain = lower.isascii()
    if not plain:  # ASCII is its own NFC
        lower = unicodedata.normalize("NFC", lower)
        owned = list(filter(None, map(_OWNERS.get, _WORD.findall(lower))))
    else:
        owned = _ascii_owned(lower)
        # No other language can win when its best possible score (a whole point for
        # each function word it shares) is under 1.5 or at most twice what English's
        # own words already give it: sums of positive shares only grow, in any order.
        english = owned.count(_ENGLISH_ONLY)
        others = len(owned) - english
        if others < 1.5 or others <= 2 * english:
            return "en"
    scores = dict.fromkeys(_STOPWORDS, 0.0)
    for owners in owned:
        share = 1.0 / len(owners)
        for language in owners:
            scores[language] += share
    if not plain:
        for language, letters in _LETTERS.items():
            scores[language] += 0.5 * sum(lower.count(ch) for ch in letters)
    best = max(scores, key=scores.__getitem__)
    if best != "en" and scores[best] >= 1.5 and scores[best] > 2 * scores["en"]:
        return best
    return "en"
