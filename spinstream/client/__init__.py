"""Clients of the ZeroMQ bridge: a blocking :class:`Client` and an :class:`AsyncClient`.

They need only numpy, pyzmq and msgpack: importing this package does not load the engine,
PyNN or the session, so any process can use it::

    from spinstream.client import Client

    with Client("tcp://127.0.0.1:5555") as c:
        with c.subscribe(["spikes/out/"]) as stream:
            for msg in stream:
                print(msg.chunk, msg.times, msg.indices)

A plastic projection's weights come the same way (``weight_topic(label)``, i.e.
``weights/<label>/``): ``msg.values`` holds one row per snapshot, one column per synapse.
docs/PROTOCOL.md describes the protocol for clients in other languages.
"""

from __future__ import annotations

from spinstream.client._async import AsyncClient, AsyncStream
from spinstream.client._blocking import Client, Stream
from spinstream.client._core import (
    Message,
    ProtocolError,
    RemoteError,
    SessionEvent,
    StreamEnded,
)
from spinstream.client._keys import generate_key_pair, load_public_key, load_secret_key

# Shared with the bridge, which speaks the same protocol (not part of the clients' API).
from spinstream.client._protocol import CLOSING_TOPIC as CLOSING_TOPIC
from spinstream.client._protocol import (
    ERROR_CODES,
    PROTOCOL_VERSION,
    parse_topic,
    spike_topic,
    state_topic,
    weight_topic,
)
from spinstream.client._protocol import RUN_END_TOPIC as RUN_END_TOPIC
from spinstream.client._protocol import ArrayError as ArrayError
from spinstream.client._protocol import as_int as as_int
from spinstream.client._protocol import check_names as check_names
from spinstream.client._protocol import decode as decode
from spinstream.client._protocol import decode_array as decode_array
from spinstream.client._protocol import encode as encode
from spinstream.client._protocol import frame_spec as frame_spec
from spinstream.client._protocol import interval_steps_of as interval_steps_of
from spinstream.client._protocol import is_finite_number as is_finite_number
from spinstream.client._protocol import little_endian as little_endian
from spinstream.client._protocol import sync_topic as sync_topic

__all__ = [
    "ERROR_CODES",
    "PROTOCOL_VERSION",
    "AsyncClient",
    "AsyncStream",
    "Client",
    "Message",
    "ProtocolError",
    "RemoteError",
    "SessionEvent",
    "Stream",
    "StreamEnded",
    "generate_key_pair",
    "load_public_key",
    "load_secret_key",
    "parse_topic",
    "spike_topic",
    "state_topic",
    "weight_topic",
]
