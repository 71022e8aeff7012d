"""A lean HTTP/1.1 client for upstream calls: keep-alive connections on asyncio protocols,
one write per request, an answer's body handed over a network read at a time.

Why not aiohttp's client: an upstream streams a 16-word answer as ~20 small chunks, and
aiohttp runs several Python calls per chunk (parser callbacks, stream bookkeeping, flow
control) on top of building each request from scratch; measured against a local
upstream, a call through this client costs about half the CPU. It speaks only what an
adapter needs: POST with a body; answers framed by Content-Length, chunked encoding or
the connection's end; plain TCP or TLS; no proxies, redirects or compression (an
adapter asks for none: `Accept-Encoding: identity`).

Broken connections are exceptions for the caller to map to faults: `ConnectFailed`
(no connection), `Broken` (it ended or was reset; `answered` says whether the status
had come) and `NotHttp` (the bytes are not an HTTP/1.x answer). A connection goes back
to the pool only once its answer was read to the end; one abandoned midway is closed.
"""

from stages.upstreams.http1._connection import HIGH_WATER as HIGH_WATER
from stages.upstreams.http1._connection import MAX_HEAD_BYTES as MAX_HEAD_BYTES
from stages.upstreams.http1._connection import Body as Body
from stages.upstreams.http1._connection import Broken as Broken
from stages.upstreams.http1._connection import ConnectFailed as ConnectFailed
from stages.upstreams.http1._connection import Connection as Connection
from stages.upstreams.http1._connection import Headers as Headers
from stages.upstreams.http1._connection import NotHttp as NotHttp
from stages.upstreams.http1._connection import Response as Response
from stages.upstreams.http1._pool import IDLE_S as IDLE_S
from stages.upstreams.http1._pool import Pool as Pool

__all__ = ["HIGH_WATER", "IDLE_S", "MAX_HEAD_BYTES", "Body", "Broken", "ConnectFailed",
           "Connection", "Headers", "NotHttp", "Pool", "Response"]
