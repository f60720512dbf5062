"""The ZeroMQ bridge: a session's live streams and input for other processes.

``await spinstream.bridge.serve(runtime)`` (or ``await sim.serve()`` on a
:class:`spinstream.Session`) binds a PUB socket for streams and a ROUTER socket for
control, on loopback unless CURVE security is configured.  docs/PROTOCOL.md describes
the wire protocol; :mod:`spinstream.client` is a client for it.  This package is the only
one in spinstream (besides the client) that imports pyzmq.
"""

from __future__ import annotations

from spinstream.bridge._bridge import Bridge, BridgeStatistics, Endpoints

# Used by the PyNN front end and the session API's serve() (not part of the user-facing API).
from spinstream.bridge._bridge import wait_for_bridges as wait_for_bridges
from spinstream.bridge._catalog import View
from spinstream.bridge._config import READ_ONLY, Access, Limits, Security, SecurityError
from spinstream.bridge._frontend import serve_async as serve_async
from spinstream.bridge._frontend import serve_blocking as serve_blocking
from spinstream.bridge._serve import make_bridge, serve

__all__ = [
    "READ_ONLY",
    "Access",
    "Bridge",
    "BridgeStatistics",
    "Endpoints",
    "Limits",
    "Security",
    "SecurityError",
    "View",
    "make_bridge",
    "serve",
]
