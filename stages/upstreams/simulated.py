"""The simulated upstream: deterministic text, configured pace, no network.

The same prompt to the same model always gets the same words; asked for JSON
(`response_format`), the words come as `{"answer": "..."}`. Time to first token and
tokens per second come from config and are spent on the injected clock, so tests can
run them on a fake clock; `error_rate` fails that share of calls, chosen by a seeded
generator so a run can be repeated.
"""

from __future__ import annotations

import hashlib
import random

from reactor import ChatRequest, Clock, SimulatedUpstream, Token, Usage
from stages.upstreams import Fault, OnToken, Reply, TokenSink

VOCABULARY = (
    "the a of to and in is that for it as with on by this be are from at or an which "
    "model answer request token stream router latency cost quality cache prompt result "
    "data system value time first next each more than other into over such only also "
    "because when where while after before between through during without within "
    "simple clear short long fast careful exact useful likely general specific small "
    "large early later often always never usually probably certainly indeed however "
    "therefore thus hence so yet still even just well"
).split()


# Each digest byte's word, with its trailing space.
_BY_BYTE = tuple(f"{VOCABULARY[byte % len(VOCABULARY)]} " for byte in range(256))


def simulated_words(model: str, prompt: str, count: int) -> list[str]:
    # One SHAKE digest byte picks each word: as deterministic as a seeded generator and
    # several times cheaper to start, which is most of the cost for a short answer.
    if count <= 0:
        return []
    picks = hashlib.shake_128(f"{model}\0{prompt}".encode()).digest(count)
    words = list(map(_BY_BYTE.__getitem__, picks))  # in C, not a comprehension
    words[0] = words[0].capitalize()
    words[-1] = f"{words[-1][:-1]}."
    return words


class Simulated:
    def __init__(self, model: str, config: SimulatedUpstream, clock: Clock) -> None:
        self.model = model
        self.config = config
        self.clock = clock
        self._errors = random.Random(config.seed)

    def unavailable(self) -> str | None:
        return None

    async def call(self, request: ChatRequest, *, stream: bool,
                   on_token: OnToken) -> Reply | Fault:
        config = self.config
        count = config.output_tokens
        limit = request.output_limit
        finish = "stop"
        if limit is not None and limit < count:
            count, finish = limit, "length"
        prompt = "\n".join([message.text for message in request.messages])
        if config.error_rate and self._errors.random() < config.error_rate:
            if config.ttft_ms:
                await self.clock.sleep(config.ttft_ms / 1000)
            return Fault(kind="server_error", status=500, message="simulated upstream error")
        words = simulated_words(self.model, prompt, count)
        fmt = request.response_format
        if words and fmt is not None and fmt.type != "text":
            # JSON mode: the words as one string field, closed only if the answer ends
            # (cut short by the limit, it is cut JSON, as a real model's would be).
            words[0] = '{"answer": "' + words[0]
            if finish == "stop":
                words[-1] += '"}'
        if config.ttft_ms:
            await self.clock.sleep(config.ttft_ms / 1000)
        if stream and not config.tokens_per_s and isinstance(on_token, TokenSink):
            # No pace: every word is there at once, so they go over in one run.
            await on_token.texts(words)
        elif stream:
            gap = 1.0 / config.tokens_per_s if config.tokens_per_s else 0.0
            for i, word in enumerate(words):
                if gap and i:
                    await self.clock.sleep(gap)
                await on_token(Token(text=word))
        else:
            if config.tokens_per_s:
                await self.clock.sleep((count - 1) / config.tokens_per_s)
            await on_token(Token(text="".join(words)))
        prompt_tokens = max(1, len(prompt) // 4) + 4 * len(request.messages)
        return Reply(finish_reason=finish,
                     usage=Usage(prompt_tokens=prompt_tokens, completion_tokens=count))

    async def aclose(self) -> None:
        pass
