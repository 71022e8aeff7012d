"""BERT's uncased WordPiece tokenizer, as Hugging Face's fast `BertTokenizer` does it.

Normalise (drop control characters, map whitespace to spaces, put spaces around CJK
ideographs, strip accents through NFD, lowercase), split on whitespace and around
every punctuation character, then cut each word greedily into the longest pieces in
the vocabulary, continuations marked `##`. A word with a part no piece covers, or of
over 100 characters, becomes one `[UNK]`. As in the reference, the special tokens
(`[CLS]`, `[SEP]`, `[PAD]`, `[UNK]`, `[MASK]`) written verbatim in a text are those
tokens, not words.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

CLS = "[CLS]"
SEP = "[SEP]"
UNK = "[UNK]"
PAD = "[PAD]"
MAX_WORD_CHARS = 100
_SPECIAL = re.compile(r"(\[(?:CLS|SEP|PAD|UNK|MASK)\])")

_CJK = (
    (0x4E00, 0x9FFF), (0x3400, 0x4DBF), (0x20000, 0x2A6DF), (0x2A700, 0x2B73F),
    (0x2B740, 0x2B81F), (0x2B820, 0x2CEAF), (0xF900, 0xFAFF), (0x2F800, 0x2FA1F),
)


def _is_cjk(code: int) -> bool:
    return any(low <= code <= high for low, high in _CJK)


def _is_control(char: str) -> bool:
    if char in "\t\n\r":
        return False
    return unicodedata.category(char).startswith("C")


def _is_punctuation(char: str) -> bool:
    code = ord(char)
    # Every non-alphanumeric ASCII character counts, `$`, `+`, `^` and `~` included,
    # though Unicode calls some of them symbols.
    if 33 <= code <= 47 or 58 <= code <= 64 or 91 <= code <= 96 or 123 <= code <= 126:
        return True
    return unicodedata.category(char).startswith("P")


# ASCII text, the common case, takes a shortcut through str.translate and one regex.
_ASCII_CLEAN = {code: None for code in (*range(9), 11, 12, *range(14, 32), 127)} | {
    ord("\t"): " ", ord("\n"): " ", ord("\r"): " "}
_ASCII_WORDS = re.compile(r"[a-zA-Z0-9]+|[^\sa-zA-Z0-9]")


def normalize(text: str) -> str:
    if text.isascii():
        return text.translate(_ASCII_CLEAN).lower()
    return _normalize(text)


def _normalize(text: str) -> str:
    out: list[str] = []
    for char in text:
        if char in "\x00\ufffd" or _is_control(char):
            continue
        if char.isspace():
            out.append(" ")
        elif _is_cjk(ord(char)):
            out.extend((" ", char, " "))
        else:
            out.append(char)
    decomposed = unicodedata.normalize("NFD", "".join(out))
    return "".join(c for c in decomposed if unicodedata.category(c) != "Mn").lower()


def split_words(text: str) -> list[str]:
    """Whitespace-separated words, each punctuation character a word of its own."""
    if text.isascii():
        return _ASCII_WORDS.findall(text)
    return _split_words(text)


def _split_words(text: str) -> list[str]:
    words: list[str] = []
    for chunk in text.split():
        start = 0
        for i, char in enumerate(chunk):
            if _is_punctuation(char):
                if start < i:
                    words.append(chunk[start:i])
                words.append(char)
                start = i + 1
        if start < len(chunk):
            words.append(chunk[start:])
    return words


class WordPiece:
    def __init__(self, vocab: dict[str, int]) -> None:
        self.vocab = vocab
        for token in (CLS, SEP, UNK, PAD):
            if token not in vocab:
                raise ValueError(f"vocabulary lacks {token}")
        self.cls_id = vocab[CLS]
        self.sep_id = vocab[SEP]
        self.unk_id = vocab[UNK]
        self.pad_id = vocab[PAD]

    @classmethod
    def from_file(cls, path: Path) -> WordPiece:
        """A vocab.txt: one piece per line, its id the line number."""
        lines = path.read_text(encoding="utf-8").split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        return cls({piece: i for i, piece in enumerate(lines)})

    def split_word(self, word: str) -> list[str]:
        if len(word) > MAX_WORD_CHARS:
            return [UNK]
        pieces: list[str] = []
        start = 0
        while start < len(word):
            end = len(word)
            while end > start:
                piece = word[start:end] if start == 0 else "##" + word[start:end]
                if piece in self.vocab:
                    pieces.append(piece)
                    break
                end -= 1
            else:
                return [UNK]
            start = end
        return pieces

    def tokenize(self, text: str) -> list[str]:
        """The word pieces of `text`, without [CLS] and [SEP]."""
        pieces: list[str] = []
        for i, part in enumerate(_SPECIAL.split(text)):
            if i % 2:
                pieces.append(part if part in self.vocab else UNK)
            elif part:
                pieces.extend(p for word in split_words(normalize(part))
                              for p in self.split_word(word))
        return pieces

    def encode(self, text: str, max_tokens: int) -> list[int]:
        """Ids of [CLS], the first `max_tokens - 2` pieces of `text`, and [SEP]."""
        ids = [self.vocab[piece] for piece in self.tokenize(text)[: max(0, max_tokens - 2)]]
        return [self.cls_id, *ids, self.sep_id]
