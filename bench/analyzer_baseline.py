"""The analyzer's token estimate and task rules as they were before the trained
classifier (a frozen copy), so `bench.eval_analyzer` can report before and after."""

from __future__ import annotations

import math
import re

from reactor import TaskType

_WORDS = re.compile(r"\w+|[^\w\s]", re.UNICODE)
_CODE = re.compile(
    r"```|\bdef |\bclass |\bfunction\b|\breturn\b|#include|=>|\bimport \w|;\s*$|\{\s*$"
    r"|\b(python|javascript|typescript|java|rust|golang|c\+\+|sql|regex|bash|html|css)\b",
    re.IGNORECASE | re.MULTILINE,
)
_MATH = re.compile(
    r"\d\s*[-+*/^=]\s*\d|\b(equation|integral|derivative|solve|probability|theorem|prove"
    r"|calculate|compute|sum of|how many|percent|matrix)\b|[∑∫√π]",
    re.IGNORECASE,
)
_RULES: list[tuple[TaskType, re.Pattern[str]]] = [
    ("translation", re.compile(r"\btranslat\w*\b|\bin (french|spanish|german|chinese|japanese"
                               r"|italian|portuguese|russian|korean)\b", re.I)),
    ("summarization", re.compile(r"\bsummar\w*|\btl;?dr\b|\bkey points\b|\bcondense\b", re.I)),
    ("extraction", re.compile(r"\bextract\w*|\blist all\b|\bpull out\b|\bparse\b|\bfind all\b",
                              re.I)),
    ("classification", re.compile(r"\bclassif\w*|\bcategori[sz]e\b|\bsentiment\b|\blabel\b"
                                  r"|\bwhich category\b", re.I)),
    ("creative_writing", re.compile(r"\b(write|compose)\b.*\b(poem|story|song|essay|haiku"
                                    r"|limerick|script|novel)\b|\bpoem\b|\bstory\b", re.I)),
    ("reasoning", re.compile(r"\bwhy\b|\bexplain\b|\breason\w*|\bcompare\b|\banaly[sz]e\b"
                             r"|\bstep by step\b|\btrade-?offs?\b|\bpros and cons\b", re.I)),
    ("open_qa", re.compile(r"^\s*(what|who|when|where|which|how)\b|\?\s*$", re.I)),
]


def estimate_tokens(text: str, chars_per_token: float = 4.0) -> int:
    if not text:
        return 0
    pieces = len(_WORDS.findall(text))
    by_chars = len(text) / chars_per_token
    return max(1, math.ceil(max(pieces * 0.75, by_chars * 0.5) * 0.5 + by_chars * 0.5))


def classify(text: str) -> TaskType:
    if _CODE.search(text):
        return "code"
    for task, pattern in _RULES:
        if pattern.search(text):
            return task
    if _MATH.search(text):
        return "math"
    return "chat"
