"""The semantic cache's synchronous core: where to look, and whether a neighbour may answer.

# Layout

- `index`: `SemanticIndex`, entries under partition keys with TTL, LRU, a size bound
  and atomic files; `partition` holds one key's vectors (exact numpy search while
  small, an hnswlib graph once large)
- `reading`: each text read once (numbers, names, wording, ...) into a `Reading`
- `guards`: pure checks on two `Reading`s that veto a hit the embedding cannot tell
  apart ("°F to °C" vs "°C to °F", "how do I" vs "how do you"), each named for metrics
- `policy`: a threshold per embedder, then the guards: `decide` -> `Hit | Veto | Miss`;
  `weigh` runs a whole lookup against an index

No actor here, no clock, no I/O but `save` / `load`: the cache actor owns one index,
passes its clock's `now`, and turns decisions into replies and metrics.
"""

from stages.semantic.guards import GUARDS as GUARDS
from stages.semantic.guards import Guard as Guard
from stages.semantic.guards import veto_reading as veto_reading
from stages.semantic.guards import veto_reason as veto_reason
from stages.semantic.index import IndexParams as IndexParams
from stages.semantic.index import IndexStats as IndexStats
from stages.semantic.index import SemanticIndex as SemanticIndex
from stages.semantic.partition import PartitionParams as PartitionParams
from stages.semantic.policy import DEFAULT_THRESHOLDS as DEFAULT_THRESHOLDS
from stages.semantic.policy import Decision as Decision
from stages.semantic.policy import Hit as Hit
from stages.semantic.policy import Miss as Miss
from stages.semantic.policy import Thresholds as Thresholds
from stages.semantic.policy import Veto as Veto
from stages.semantic.policy import Weighed as Weighed
from stages.semantic.policy import decide as decide
from stages.semantic.policy import weigh as weigh
from stages.semantic.reading import Reading as Reading
from stages.semantic.reading import decode_reading as decode_reading
from stages.semantic.reading import encode_reading as encode_reading
from stages.semantic.reading import read as read

__all__ = [
    "DEFAULT_THRESHOLDS",
    "GUARDS",
    "Decision",
    "Guard",
    "Hit",
    "IndexParams",
    "IndexStats",
    "Miss",
    "PartitionParams",
    "Reading",
    "SemanticIndex",
    "Thresholds",
    "Veto",
    "Weighed",
    "decide",
    "decode_reading",
    "encode_reading",
    "read",
    "veto_reading",
    "veto_reason",
    "weigh",
]
