"""How the guards read a text: tokens, numbers, names, wording, worked out once.

`read` turns a text into a `Reading`, every fact any guard compares (its numbers and
units, negations, names, the words around "to" / "from", the wording with contractions
spelled out ...), so that weighing a pair is a few set and tuple comparisons. Worth
keeping with each cached entry: a read is ~10-25 µs, a comparison ~1 µs. Kept as
`encode_reading`'s bytes (~300 B for a one-line question, against ~3 KB for the live
tuples and sets), which `decode_reading` turns back in ~2 µs.
"""

from __future__ import annotations

import re
import unicodedata
from typing import NamedTuple

import msgspec

# A number with what sticks to it ("100mg", "2nd", "1970s"), a word with its inner
# apostrophes ("don't", but "Venezuela's" is "venezuela" and "s"), a degree unit, an
# arrow, or a symbol that changes meaning. Run on case-folded text.
_TOKEN = re.compile(
    r"\d[\d,]*(?:\.\d+)?[^\W\d_]*"
    r"|°[cfk](?![^\W\d_])"
    r"|[^\W\d_]+(?:'(?!s\b)[^\W\d_]+)*"
    r"|->|=>|<-|[→←+*/\u00d7÷=<>%$€£#@&^~|]"
)
_NUMBER = re.compile(r"(\d[\d,]*(?:\.\d+)?)([^\W\d_]*)")
# "/" and "&" are left out: "A/B" and "A & B" read as "A or B", "A and B". A "-" only
# counts in an arrow ("->") or as a minus before a number ("-5", "x = - 3", "10-3",
# "2x-1"), not as a hyphen (they are everywhere), nor when it joins a word to a number
# ("COVID-19", "GPT-4"); "\u2212" is the minus sign itself. The look-behinds come after
# the first character so that the regex engine can skip ahead to candidates quickly.
_SYMBOL = re.compile(r"[-=<>→←+*\u00d7÷%$€£#@^~|\u2212]"
                     r"(?<=[^-]|-(?=>)|(?<![^\W\d_]{2})-(?=\s*\d))")
# A capital not straight after a letter, digit, "°" (°C) or "'" (I'M).
_CAPITALISED = re.compile(r"[A-Z](?<![°'\w][A-Z])[^\W_]*")
_OPENER = re.compile(r"(?:^|[.?!:;]\s+)[\"'\u201c\u2018(\[]*([A-Z][^\W_]*)")
_NEGATIONS = frozenset(
    "not no never none nobody nothing nowhere neither nor without except cannot non "
    "dont cant wont isnt arent wasnt werent doesnt didnt shouldnt couldnt wouldnt "
    "havent hasnt hadnt aint".split())
_THOUSANDS = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?")
# A letter hyphened onto a word is part of it: "ENFJ-A" is not "ENFJ" plus an article.
_GLUED_LETTER = re.compile(r"(?<=[^\W_])-(?=[^\W\d_](?![^\W_]))")

# "one" and "first" are left out on purpose: "which one", "for the first time".
_NUMBER_WORDS = {
    word: str(value) for value, word in enumerate(
        "zero _ two three four five six seven eight nine ten eleven twelve thirteen "
        "fourteen fifteen sixteen seventeen eighteen nineteen".split())
    if word != "_"
} | {word: str(10 * tens) for tens, word in enumerate(
        "twenty thirty forty fifty sixty seventy eighty ninety".split(), start=2)} | {
    word: f"{value}th" for value, word in enumerate(
        "third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth".split(),
        start=3)} | {"dozen": "12", "hundred": "e2", "thousand": "e3", "million": "e6",
                     "billion": "e9", "trillion": "e12", "half": "0.5"}

# Units count after a number ("100 mg", "5years"); "in" is left out: "5 in a row".
_UNITS = frozenset(
    "mg g kg lb lbs oz ton tons tonne tonnes ml l litre liter litres liters gallon gallons "
    "mm cm m km inch inches ft foot feet mi mile miles yard yards kb mb gb tb kbps mbps "
    "gbps hz khz mhz ghz w kw mw kwh v mah mph kph kmh usd eur gbp inr rs dollar dollars "
    "euro euros rupee rupees pound pounds cal kcal calorie calories ms sec secs second "
    "seconds min mins minute minutes hour hours hr hrs day days week weeks month months "
    "year years yr yrs".split())
# ... and these anywhere.
_UNIT_WORDS = frozenset("°c °f °k celsius fahrenheit kelvin percent % $ € £".split())

# Words that point one way: "A to B" is not "B to A".
_DIRECTED = frozenset({"to", "into", "from", "minus", "->", "=>", "→", "<-", "←"})

_OPPOSITES = [
    ("ascending", "descending"), ("ascend", "descend"), ("asc", "desc"),
    ("increase", "decrease"), ("increasing", "decreasing"), ("increased", "decreased"),
    ("minimize", "maximize"), ("minimise", "maximise"), ("minimum", "maximum"),
    ("min", "max"), ("largest", "smallest"), ("biggest", "smallest"),
    ("highest", "lowest"), ("higher", "lower"), ("upper", "lower"), ("high", "low"),
    ("best", "worst"), ("better", "worse"), ("before", "after"), ("above", "below"),
    ("buy", "sell"), ("buying", "selling"), ("import", "export"), ("imports", "exports"),
    ("add", "remove"), ("encode", "decode"), ("encrypt", "decrypt"),
    ("encryption", "decryption"), ("compress", "decompress"), ("summer", "winter"),
    ("male", "female"), ("men", "women"), ("boy", "girl"), ("boys", "girls"),
    ("advantages", "disadvantages"), ("pros", "cons"), ("positive", "negative"),
    ("true", "false"), ("win", "lose"), ("enable", "disable"), ("input", "output"),
    ("upload", "download"), ("push", "pull"), ("inner", "outer"),
    ("internal", "external"), ("private", "public"), ("strongest", "weakest"),
    ("strong", "weak"), ("cheapest", "expensive"), ("fastest", "slowest"),
    ("fast", "slow"), ("easiest", "hardest"), ("rich", "poor"), ("legal", "illegal"),
    ("north", "south"), ("east", "west"), ("hot", "cold"), ("love", "hate"),
    ("like", "dislike"), ("agree", "disagree"), ("accept", "reject"),
    ("include", "exclude"), ("lowercase", "uppercase"), ("left", "right"),
    ("gain", "lose"), ("profit", "loss"), ("success", "failure"), ("pass", "fail"),
    ("start", "stop"), ("open", "close"), ("morning", "evening"), ("day", "night"),
    ("past", "future"), ("old", "new"), ("old", "young"), ("older", "younger"),
    ("oldest", "youngest"), ("safe", "dangerous"), ("healthy", "unhealthy"),
    ("possible", "impossible"), ("legal", "illegal"), ("happy", "sad"),
]


def _both_ways(pairs: list[tuple[str, str]]) -> dict[str, frozenset[str]]:
    opposite: dict[str, frozenset[str]] = {}
    for a, b in pairs:
        opposite[a] = opposite.get(a, frozenset()) | {b}
        opposite[b] = opposite.get(b, frozenset()) | {a}
    return opposite


OPPOSITE = _both_ways(_OPPOSITES)
_POLAR = frozenset(OPPOSITE)

STOPWORDS = frozenset(
    "a an the and or but if then so of in on at by for with about as is are was were be "
    "been being am do does did doing have has had having i me my mine we us our you your "
    "he him his she her it its they them their this that these those there here what "
    "which who whom whose when where why how can could should would will shall may might "
    "must any some all each every many much more most other such own same very just also "
    "only too quite really one ones get gets got s t up out off again once "
    "it's i'm what's how's".split())


# How `wording_differs` reads a text: contractions spelled out, "which" as "what",
# "does" and "are" as "do" and "is"; articles, "please", a possessive "s" and a few
# intensifiers left out (a word's number and how-to questions are matched when two
# wordings are compared: `same_but_number`, `how_to`). On QQP's development half, above
# the thresholds, pairs that differ only in these were duplicates (but for label noise);
# any other word, even a stop word ("in", "for", "you", "some", "online", "can"), also
# told apart pairs labelled different, often enough to break a 1% budget of false hits.
_CONTRACTED = {"m": ("am",), "re": ("are",), "ve": ("have",), "ll": ("will",),
               "d": ("would",)}
_NOT_CONTRACTED = {"can't": ("can", "not"), "cant": ("can", "not"), "cannot": ("can", "not"),
                   "won't": ("will", "not"), "wont": ("will", "not"),
                   "shan't": ("shall", "not"), "ain't": ("is", "not")}
_NEGATABLE = frozenset(
    "do does did is are was were have has had should could would must need might".split())
_READ_AS = {"which": "what", "does": "do", "are": "is"}
_SLACK = frozenset("a an the please s any really actually exactly ever".split())
_AUXILIARIES = ("do", "is")
_ASKING = frozenset("what why how when where who whom whose".split())
_MODALITY = frozenset("can could should would will shall may might must did was were".split())


def _spelled_out(token: str) -> tuple[str, ...]:
    """A contraction spelled out ("don't" -> do, not; "I'm" -> i, am), else the token."""
    if token in _NOT_CONTRACTED:
        return _NOT_CONTRACTED[token]
    for ending in ("n't", "nt"):
        head = token.removesuffix(ending)
        if head != token and head in _NEGATABLE:
            return head, "not"
    head, apostrophe, tail = token.partition("'")
    if apostrophe and tail in _CONTRACTED:
        return (head, *_CONTRACTED[tail])
    return (token,)


_POINTERS = frozenset({"this", "these"})
_NOT_POINTED_AT = frozenset(
    "year month week weekend time day morning evening night summer winter spring autumn "
    "fall season semester century decade world country life way".split())
_SNIPPET_WORDS = 30


def _points_at_something(words: list[str]) -> bool:
    if len(words) >= _SNIPPET_WORDS:
        return False
    return any(word in _POINTERS and i + 1 < len(words) and words[i + 1] not in STOPWORDS
               and words[i + 1] not in _NOT_POINTED_AT for i, word in enumerate(words[:-1]))


class Reading(NamedTuple):
    """What the guards need to know about one text, worked out once by `read`."""

    words: tuple[str, ...]
    """Every token, case-folded; number words as digits ("two" -> "2")."""
    content: tuple[str, ...]
    """`words` without stop words, in order."""
    numbers: tuple[str, ...]
    """Normalised numbers, sorted: `1,000` -> `1000`, `3.0` -> `3`, "hundred" -> `e2`."""
    negations: int
    units: tuple[str, ...]
    symbols: tuple[str, ...]
    names: frozenset[str]
    """Capitalised words but stop words and sentence openers, and acronyms, folded."""
    relations: frozenset[tuple[str, str]]
    """(left, right) content words around a directed word: "°F to °C" -> (°f, °c)."""
    vocabulary: frozenset[str]
    """The set of `words`."""
    polar: frozenset[str]
    """Words that have an opposite ("ascending", "minimize")."""
    points: bool
    """A short text saying "this X" or "these X" (X not a time: "this year")."""
    wording: tuple[str, ...]
    """Every word, sorted, as `wording_differs` compares them: contractions spelled out,
    numbers normalised; articles, "please", a few fillers, "do" and "is" left out."""
    auxiliaries: tuple[int, int]
    """How often "do" and "is" (in any form) occur."""
    asking: frozenset[str]
    """The question words: "what" (or "which"), "why", "how", ..."""
    modality: frozenset[str]
    """Modal verbs and past-tense auxiliaries: "can", "should", "did", "was", ..."""


_ENCODER = msgspec.msgpack.Encoder()
_DECODER = msgspec.msgpack.Decoder(Reading)


def encode_reading(reading: Reading) -> bytes:
    return _ENCODER.encode(reading)


def decode_reading(data: bytes) -> Reading:
    return _DECODER.decode(data)


# A question asking how to do something ("how do I", "how can one", "how should you",
# "how to", "what is the best way to") asks for the same method whoever would do it and
# whichever of these modals it uses; on QQP's development half such pairs were
# duplicates, once read again, while swapping the person or the modal elsewhere ("how
# often do you" / "how often should I", "what can" / "what should") changes the
# question. "We" is left out: often a group whose answer depends on who it is ("how can
# we become friends" / "how do I become a friend").
_HOW_MODALS = frozenset({"can", "could", "should"})
_WAY_FILLERS = frozenset({"the", "a", "some", "best"})
_ASKERS = frozenset({"i", "you", "one", "someone"})
# After the asker, "you" still means the asker; "someone" and "one" do not ("how can you
# tell if someone is shy" / "how can you tell if you are shy").
_PERSONS = {"you": "i", "your": "my", "yourself": "myself"}


def how_to(reading: Reading) -> tuple[str, ...] | None:
    """The wording of a how-to question without its asker and modal ("how do I", "how
    can you", "how to", "what is the best way to"), "you" read as "I" ("your" as
    "my"), sorted; None when `reading` is no such question."""
    if "how" not in reading.asking and "what" not in reading.asking:
        return None
    words = reading.words
    for i, word in enumerate(words[:-2]):
        if word == "how":
            asker = _how_asker(words, i)
        elif word in ("what", "which"):
            asker = _way_asker(words, i)
        else:
            continue
        if asker is None:
            continue
        left = list(reading.wording)
        for dropped in asker:
            if dropped in left:  # "do" and "does" never are
                left.remove(dropped)
        return tuple(sorted(_PERSONS.get(w, w) for w in left))
    return None


def _how_asker(words: tuple[str, ...], i: int) -> tuple[str, ...] | None:
    """ "how to", "how can I", "how do you" ... at `i`."""
    if words[i + 1] == "to":
        return "how", "to"
    if (words[i + 1] in _HOW_MODALS or words[i + 1] in ("do", "does")) \
            and words[i + 2] in _ASKERS:
        return "how", words[i + 1], words[i + 2]
    return None


def _way_asker(words: tuple[str, ...], i: int) -> tuple[str, ...] | None:
    """ "what is the best way to", "what are some ways to", "which is the way to" ... at
    `i`: a how-to question's other opening."""
    k = i + 1
    if k < len(words) and words[k] in ("is", "are", "s"):
        k += 1
    while k < len(words) and words[k] in _WAY_FILLERS:
        k += 1
    if k + 1 < len(words) and words[k] in ("way", "ways") and words[k + 1] == "to":
        return ("what", *(w for w in words[i + 1:k] if w in ("best", "some")), words[k],
                "to")
    return None


def modals_of_how_to(a: Reading, b: Reading) -> bool:
    """Both how-to questions (`how_to`), their modalities differing only in "can",
    "could" and "should"."""
    return (a.modality ^ b.modality <= _HOW_MODALS and how_to(a) is not None
            and how_to(b) is not None)


def same_but_number(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    """Two sorted wordings with the same words but for a noun's number or a verb's "-s":
    "cat" / "cats", "box" / "boxes", "story" / "stories", "affect" / "affects". Not a
    number's suffix ("1970" / "1970s"), nor words under three letters ("it" / "its")."""
    if len(a) != len(b):
        return False
    only_a: list[str] = []
    only_b: list[str] = []
    i = j = 0
    while i < len(a) and j < len(b):  # a merge: both are sorted
        if a[i] == b[j]:
            i, j = i + 1, j + 1
        elif a[i] < b[j]:
            only_a.append(a[i])
            i += 1
        else:
            only_b.append(b[j])
            j += 1
    only_a += a[i:]
    only_b += b[j:]
    for word in only_a:
        twin = next((w for w in only_b if _singular_and_plural(word, w)), None)
        if twin is None:
            return False
        only_b.remove(twin)
    return True


def in_order_but_number(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    """The same words in the same order but for a noun's number or a verb's "-s", as
    `same_but_number` pairs them: "things right" / "thing right", not "right thing"."""
    return len(a) == len(b) and all(x == y or _singular_and_plural(x, y)
                                    for x, y in zip(a, b, strict=True))


def _singular_and_plural(a: str, b: str) -> bool:
    short, long = (a, b) if len(a) < len(b) else (b, a)
    if len(short) < 3 or short[0].isdigit():
        return False
    return (long in (short + "s", short + "es")
            or (short.endswith("y") and long == short[:-1] + "ies"))


# Either side of "and", "or", "vs" may come first: "the difference between A and B",
# "who is better, A or B", "A vs B" ask the same. Punctuation is not read, so where a
# side ends is a guess: one word each, or as many as the shorter run of words holds
# ("better, Ronaldo or Messi": Ronaldo, Messi; "Honda City or Hyundai Verna").
_COORDINATORS = frozenset({"and", "or", "vs", "versus", "&", "/"})
_ARTICLES = frozenset({"a", "an", "the"})


def either_side(words: tuple[str, ...], width: int | None = None) -> tuple[str, ...]:
    """`words`' content words (but coordinators), the two sides of each "A and B", "A
    or B", "A vs B" put in one order, so that "B or A" gives the same: sides of `width`
    words, or (None) as long as the shorter run of content words around it."""
    out: list[str] = []
    run = 0  # content words at the end of `out` since the last stop word
    i = 0
    while i < len(words):
        word = words[i]
        if word in _COORDINATORS:
            start = i + 1
            while start < len(words) and words[start] in _ARTICLES:
                start += 1
            end = start
            longest = run if width is None else min(run, width)
            while end < len(words) and end - start < longest \
                    and words[end] not in STOPWORDS and words[end] not in _COORDINATORS:
                end += 1
            if end > start:
                left, right = tuple(out[len(out) - (end - start):]), words[start:end]
                del out[len(out) - len(left):]
                out += [*min(left, right), *max(left, right)]
                i, run = end, 0
                continue
        if word in STOPWORDS or word in _COORDINATORS:
            run = 0
        else:
            out.append(word)
            run += 1
        i += 1
    return tuple(out)


def normalise_number(text: str) -> str:
    """`1,000` -> `1000`, `3.0` -> `3`, `3,5` -> `3.5`, `007` -> `7`."""
    if _THOUSANDS.fullmatch(text):
        text = text.replace(",", "")
    elif text.count(",") == 1 and "." not in text and not text.endswith(","):
        text = text.replace(",", ".")
    text = text.rstrip(",")
    try:
        value = float(text.replace(",", ""))
    except ValueError:
        return text
    return str(int(value)) if value.is_integer() else repr(value)


def read(text: str) -> Reading:
    """Tokenise `text` once for every guard (~10 µs for a one-line question)."""
    text = unicodedata.normalize("NFKC", text).replace("\u2019", "'")
    folded = text.casefold()
    tokens = _TOKEN.findall(folded)
    words = tokens
    numbers = [normalise_number(n) for n, _ in _NUMBER.findall(folded)]
    if not _NUMBER_WORDS.keys().isdisjoint(tokens):
        words = [_NUMBER_WORDS.get(token, token) for token in tokens]
        numbers += [_NUMBER_WORDS[token] for token in tokens if token in _NUMBER_WORDS]
    content = tuple([w for w in words if w not in STOPWORDS])
    vocabulary = frozenset(words)
    capitalised = _CAPITALISED.findall(text)
    # An acronym counts even when it spells a stop word: "IT jobs", "moving to the US".
    names = {w.casefold() for w in capitalised
             if w.casefold() not in STOPWORDS or (len(w) > 1 and w.isupper())}
    for opener in _OPENER.findall(text) if names else ():
        # A sentence's capitalised first word ("Convert ...") is no name, unless it is an
        # acronym or capitalised elsewhere too. Most openers are stop words anyway.
        if not (len(opener) > 1 and opener.isupper()) and capitalised.count(opener) == 1:
            names.discard(opener.casefold())
    wording, auxiliaries = _wording(
        _TOKEN.findall(_GLUED_LETTER.sub("", folded))
        if "-" in folded and _GLUED_LETTER.search(folded) else tokens)
    return Reading(
        words=tuple(words), content=content, numbers=tuple(sorted(numbers)),
        negations=sum(map(_NEGATIONS.__contains__, tokens)) + folded.count("n't"),
        units=_units(tokens) if numbers else tuple(
            sorted(t for t in tokens if t in _UNIT_WORDS)),
        symbols=tuple(sorted(_SYMBOL.findall(folded))), names=frozenset(names),
        relations=_relations(content) if not _DIRECTED.isdisjoint(content) else frozenset(),
        vocabulary=vocabulary, polar=vocabulary & _POLAR,
        points=not _POINTERS.isdisjoint(vocabulary) and _points_at_something(words),
        wording=wording, auxiliaries=auxiliaries, asking=_ASKING.intersection(wording),
        modality=_MODALITY.intersection(wording))


def _wording(tokens: list[str]) -> tuple[tuple[str, ...], tuple[int, int]]:
    kept: list[str] = []
    auxiliaries = [0, 0]
    for token in tokens:
        if token[0].isdigit() and (number := _NUMBER.fullmatch(token)) is not None:
            kept.append(normalise_number(number[1]) + number[2])
            continue
        for word in _spelled_out(_NUMBER_WORDS.get(token, token)):
            word = _READ_AS.get(word, word)
            if word in _AUXILIARIES:
                auxiliaries[_AUXILIARIES.index(word)] += 1
            elif word not in _SLACK:
                kept.append(word)
    return tuple(sorted(kept)), (auxiliaries[0], auxiliaries[1])


def _units(tokens: list[str]) -> tuple[str, ...]:
    units: list[str] = []
    for i, token in enumerate(tokens):
        if token in _UNIT_WORDS:
            units.append(token)
        elif token[0].isdigit():
            suffix = _NUMBER.fullmatch(token)
            if suffix is not None and suffix[2] in _UNITS:
                units.append(suffix[2])
            elif i + 1 < len(tokens) and tokens[i + 1] in _UNITS:
                units.append(tokens[i + 1])
    return tuple(sorted(units))


def _relations(content: tuple[str, ...]) -> frozenset[tuple[str, str]]:
    found: set[tuple[str, str]] = set()
    for i, word in enumerate(content):
        if word in _DIRECTED and 0 < i < len(content) - 1:
            left, right = content[i - 1], content[i + 1]
            if left != right and left not in _DIRECTED and right not in _DIRECTED:
                found.add((left, right))
    return frozenset(found)
