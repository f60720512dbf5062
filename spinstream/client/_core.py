"""What both clients share: messages, errors, request ids, gaps and lock-step bookkeeping.

No I/O here: the blocking and the asyncio client move the bytes, this module decides what
they mean.
"""

from __future__ import annotations

import collections
import itertools
import os
import secrets
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import urlsplit

import numpy as np
import numpy.typing as npt
import zmq

from spinstream.client._keys import load_public_key, load_secret_key
from spinstream.client._protocol import (
    PROTOCOL_VERSION,
    SESSION_KINDS,
    ArrayError,
    decode,
    encode,
    encode_array,
    frame_array,
)

__all__ = ["Message", "ProtocolError", "RemoteError", "SessionEvent", "StreamEnded"]


class RemoteError(Exception):
    """The bridge refused a request.

    Attributes
    ----------
    code
        The protocol's error code (``"late"``, ``"out_of_range"``, ``"read_only"``...).
    message
        The bridge's explanation.
    field
        The request field at fault, if one is.
    """

    def __init__(self, code: str, message: str, field: str | None = None) -> None:
        super().__init__(f"[{code}] {message}")
        self.code = code
        self.message = message
        self.field = field


class ProtocolError(Exception):
    """The bridge sent something this client does not understand."""


@dataclass(frozen=True)
class SessionEvent:
    """A message of the session itself: the end of a run, or the bridge closing.

    Attributes
    ----------
    kind
        ``"run_end"`` (a run ended; the session may run again) or ``"closing"`` (the
        bridge closes: nothing more comes).
    step, time, chunk
        Where the session stands: steps run, simulated time (ms), the last chunk's number.
    header
        The whole decoded header.
    """

    kind: str
    step: int
    time: float
    chunk: int
    header: Mapping[str, Any]


class StreamEnded(Exception):
    """The session ended a stream: it closed, or (``until="run"``) a run ended.

    Iterating a stream stops instead of raising it; ``receive`` raises it once every
    message published before the end has been read.

    Attributes
    ----------
    event
        The :class:`SessionEvent` that ended it.
    """

    def __init__(self, event: SessionEvent) -> None:
        what = "the session closed" if event.kind == "closing" else "the run ended"
        super().__init__(f"{what} at step {event.step} (t = {event.time} ms, chunk {event.chunk})")
        self.event = event


@dataclass(frozen=True, eq=False)
class Message:
    """One stream message: one chunk of one topic.

    Attributes
    ----------
    topic, kind, source, variable
        What it is: ``kind`` is ``"spikes"``, ``"state"`` or ``"weights"`` (then
        ``source`` is the projection's name and ``variable`` is ``"weight"``).
    seq
        The topic's message number; consecutive unless messages were lost.
    lost
        Messages of this topic lost in transport just before this one (a gap in ``seq``
        seen by this client).
    dropped
        Chunks the bridge dropped for this topic just before this one (it fell behind).
    chunk
        The session's chunk number (counts every chunk run; a lock-step ``next`` names it).
    first_step, last_step, n_steps, dt, t_start, t_stop
        The chunk: steps ``first_step .. last_step`` (inclusive), times in ms.
    arrays
        The frames by name: spikes ``stamps`` and ``indices``; state ``stamps`` and
        ``values`` (shape: samples x cells); weights ``stamps`` and ``values`` (shape:
        snapshots x synapses, in ``Projection.get(..., format="list")`` order).
        Read-only views of the received bytes.
    header
        The whole decoded header.
    received_ns
        ``time.time_ns()`` when this client received it.
    """

    topic: str
    kind: str
    source: str
    variable: str
    seq: int
    lost: int
    dropped: int
    chunk: int
    first_step: int
    last_step: int
    n_steps: int
    dt: float
    t_start: float
    t_stop: float
    arrays: Mapping[str, npt.NDArray[Any]]
    header: Mapping[str, Any]
    received_ns: int

    @property
    def stamps(self) -> npt.NDArray[np.int64]:
        """Spike or sample stamps (time = stamp * dt)."""
        return self.arrays["stamps"]

    @property
    def times(self) -> npt.NDArray[np.float64]:
        """Spike or sample times (ms)."""
        return self.arrays["stamps"] * self.dt

    @property
    def indices(self) -> npt.NDArray[np.int64]:
        """Spikes: positions of the spiking cells in the source."""
        return self.arrays["indices"]

    @property
    def values(self) -> npt.NDArray[np.float64]:
        """State: samples x cells; weights: snapshots x synapses (PyNN units)."""
        return self.arrays["values"]

    def __len__(self) -> int:
        return len(self.arrays["stamps"])

    def __repr__(self) -> str:
        return (
            f"<Message {self.topic} seq={self.seq} chunk={self.chunk} "
            f"steps {self.first_step}..{self.last_step} n={len(self)}>"
        )


_INT_FIELDS = ("seq", "chunk", "first_step", "last_step", "n_steps", "dropped")


def decode_message(
    frames: Sequence[Any], last_seq: dict[str, int]
) -> Message | SessionEvent | None:
    """Decode ``[topic, header, frames...]``; ``None`` for a ``sync`` message.

    The session's own messages (``run_end``, ``closing``) come as :class:`SessionEvent`.

    ``last_seq`` (topic -> last seq seen) is updated and gives :attr:`Message.lost`.
    """
    if len(frames) < 2:
        raise ProtocolError(f"a stream message has at least 2 frames, got {len(frames)}")
    topic = bytes(_buf(frames[0])).decode("utf-8", "replace")
    try:
        header = decode(_buf(frames[1]))
    except Exception as exc:
        raise ProtocolError(f"{topic}: header is not msgpack ({exc})") from None
    if not isinstance(header, dict):
        raise ProtocolError(f"{topic}: header is not a map")
    if header.get("v") != PROTOCOL_VERSION:
        raise ProtocolError(
            f"{topic}: protocol version {header.get('v')!r}; this client speaks {PROTOCOL_VERSION}"
        )
    if header.get("kind") == "sync":
        return None
    if header.get("kind") in SESSION_KINDS:
        try:
            return SessionEvent(
                str(header["kind"]),
                int(header["step"]),
                float(header["time"]),
                int(header["chunk"]),
                header,
            )
        except (KeyError, TypeError, ValueError):
            raise ProtocolError(
                f"{topic}: a {header['kind']} message needs step, time, chunk"
            ) from None
    specs = header.get("frames")
    if not isinstance(specs, list) or len(specs) != len(frames) - 2:
        raise ProtocolError(f"{topic}: header announces {specs!r} for {len(frames) - 2} frames")
    arrays: dict[str, npt.NDArray[Any]] = {}
    try:
        for spec, frame in zip(specs, frames[2:], strict=True):
            arrays[str(spec.get("name"))] = frame_array(spec, _buf(frame))
    except (ArrayError, AttributeError) as exc:
        raise ProtocolError(f"{topic}: {exc}") from None
    for k in _INT_FIELDS:
        if not isinstance(header.get(k), int):
            raise ProtocolError(f"{topic}: header field {k!r} is missing or not an integer")
    seq = header["seq"]
    prev = last_seq.get(topic)
    lost = max(0, seq - prev - 1) if prev is not None else 0
    last_seq[topic] = seq
    return Message(
        topic=topic,
        kind=str(header.get("kind")),
        source=str(header.get("source")),
        variable=str(header.get("variable")),
        seq=seq,
        lost=lost,
        dropped=header["dropped"],
        chunk=header["chunk"],
        first_step=header["first_step"],
        last_step=header["last_step"],
        n_steps=header["n_steps"],
        dt=float(header.get("dt", 0.0)),
        t_start=float(header.get("t_start", 0.0)),
        t_stop=float(header.get("t_stop", 0.0)),
        arrays=arrays,
        header=header,
        received_ns=time.time_ns(),
    )


def _buf(frame: Any) -> memoryview | bytes:
    if isinstance(frame, bytes | memoryview):
        return frame
    return frame.buffer  # type: ignore[no-any-return]


# ---------------------------------------------------------------------- requests
class Requests:
    """Request ids and reply checking."""

    def __init__(self) -> None:
        self._ids = itertools.count(1)

    def make(self, op: str, fields: Mapping[str, Any]) -> tuple[int, bytes]:
        """Make a request: its id and bytes."""
        rid = next(self._ids)
        return rid, encode({"v": PROTOCOL_VERSION, "id": rid, "op": op, **fields})

    @staticmethod
    def parse(payload: bytes) -> dict[str, Any]:
        """Decode a reply."""
        try:
            reply = decode(payload)
        except Exception as exc:
            raise ProtocolError(f"reply is not msgpack ({exc})") from None
        if not isinstance(reply, dict):
            raise ProtocolError("reply is not a map")
        return reply

    @staticmethod
    def result(reply: dict[str, Any]) -> dict[str, Any]:
        """Return the reply, or raise :class:`RemoteError` for an error reply."""
        if reply.get("ok") is True:
            return reply
        raise RemoteError(
            str(reply.get("error", "unknown")),
            str(reply.get("message", "")),
            reply.get("field") if isinstance(reply.get("field"), str) else None,
        )


def input_fields(kind: str, **fields: Any) -> dict[str, Any]:
    """Build an ``input`` message's fields; numpy arrays go as binary array maps."""
    out: dict[str, Any] = {"kind": kind}
    for k, v in fields.items():
        if v is None:
            continue
        if isinstance(v, np.ndarray) and v.ndim >= 1:
            out[k] = encode_array(v)
        elif isinstance(v, np.generic):
            out[k] = v.item()
        elif isinstance(v, range | tuple):
            out[k] = list(v)
        else:
            out[k] = v
    return out


# ---------------------------------------------------------------------- lock-step
@dataclass
class Gate:
    """A client's side of a lock-step gate: which chunk it may release next."""

    id: int
    first_chunk: int
    topics: tuple[str, ...]
    last: dict[str, int] = field(default_factory=dict)
    acked: int = -1

    def delivered(self, msg: Message) -> None:
        """Note that a message was handed to the user."""
        if msg.topic in self.topics:
            self.last[msg.topic] = max(self.last.get(msg.topic, -1), msg.chunk)

    def releasable(self) -> int | None:
        """Return the chunk to release with ``next`` now (every topic delivered it), if any."""
        if not self.topics:
            return None
        done = min(self.last.get(t, self.first_chunk - 1) for t in self.topics)
        if done >= self.first_chunk and done > self.acked:
            return done
        return None


# ---------------------------------------------------------------------- sockets
@dataclass(frozen=True)
class Credentials:
    """CURVE keys of a client: the server's public key and the client's key pair."""

    server_public: bytes
    public: bytes
    secret: bytes

    @classmethod
    def load(
        cls,
        server_key: str | bytes | os.PathLike[str] | None,
        client_key: str | os.PathLike[str] | None,
    ) -> Credentials | None:
        """From key files (or a Z85 server key); ``None`` when neither is given."""
        if server_key is None and client_key is None:
            return None
        if server_key is None or client_key is None:
            raise ValueError(
                "a secured bridge needs both server_key (its public key file or Z85 key) "
                "and client_key (this client's .key_secret file)"
            )
        public, secret = load_secret_key(client_key)
        return cls(load_public_key(server_key), public, secret)

    def apply(self, sock: zmq.Socket[Any]) -> None:
        """Make ``sock`` a CURVE client of the server."""
        sock.setsockopt(zmq.CURVE_SERVERKEY, self.server_public)
        sock.setsockopt(zmq.CURVE_PUBLICKEY, self.public)
        sock.setsockopt(zmq.CURVE_SECRETKEY, self.secret)


class EndpointsLike(Protocol):
    """What ``serve()`` returns (``spinstream.bridge.Endpoints``), as a client reads it."""

    @property
    def control(self) -> str:
        """The control endpoint."""

    @property
    def server_key(self) -> str | None:
        """The server's public CURVE key, if secured."""


def resolve_endpoint(
    endpoint: str | EndpointsLike, server_key: str | bytes | os.PathLike[str] | None
) -> tuple[str, str | bytes | os.PathLike[str] | None]:
    """Return the control endpoint, and the server key (from an Endpoints when not given).

    A client accepts what a user has at hand: the control endpoint's string, or the
    endpoints object that ``serve()`` returned.
    """
    if isinstance(endpoint, str):
        return endpoint, server_key
    control = getattr(endpoint, "control", None)
    if not isinstance(control, str):
        raise TypeError(
            "endpoint: expected the control endpoint (a string such as "
            f"'tcp://127.0.0.1:5555') or the endpoints serve() returned, got {endpoint!r}"
        )
    if server_key is None:
        server_key = getattr(endpoint, "server_key", None)
    return control, server_key


def configure(sock: zmq.Socket[Any], credentials: Credentials | None, endpoint: str) -> None:
    """Set the common options: no linger, IPv6 when needed, CURVE when given."""
    sock.setsockopt(zmq.LINGER, 0)
    if "[" in endpoint:
        sock.setsockopt(zmq.IPV6, 1)
    if credentials is not None:
        credentials.apply(sock)


def pub_endpoint(description: Mapping[str, Any], control: str) -> str:
    """Return the PUB endpoint from ``describe`` (a wildcard host: the control's host)."""
    eps = description.get("endpoints")
    if not isinstance(eps, dict) or not isinstance(eps.get("pub"), str):
        raise ProtocolError("describe did not name the PUB endpoint")
    pub: str = eps["pub"]
    if pub.startswith("tcp://"):
        host = urlsplit(pub).hostname
        if host in ("0.0.0.0", "::", "*"):
            ctl_host = urlsplit(control).hostname or "127.0.0.1"
            port = pub.rsplit(":", 1)[1]
            if ":" in ctl_host:
                ctl_host = f"[{ctl_host}]"
            pub = f"tcp://{ctl_host}:{port}"
    return pub


def sync_token() -> str:
    """Make a fresh token for the ``sync`` handshake."""
    return secrets.token_hex(8)


def timeout_error(endpoint: str, timeout: float, secured: bool) -> TimeoutError:
    """Make the error of a request without reply."""
    hint = (
        "are the keys right, and is this client's public key on the bridge's allow-list?"
        if secured
        else "is the session serving there? (a secured bridge needs server_key and client_key)"
    )
    return TimeoutError(f"no reply from {endpoint} within {timeout:g} s; {hint}")


class StreamBase:
    """What the blocking and the asyncio stream share: buffer, sequence numbers, gate."""

    def __init__(self, client: Any, topics: list[str], sock: Any, until: str = "close") -> None:
        if until not in ("close", "run"):
            raise ValueError(f"until must be 'close' or 'run', got {until!r}")
        self.until = until
        self.topics = topics
        self._client = client
        self._sock = sock
        self._gate: Gate | None = None
        # messages, and the session events that end an iteration, in arrival order
        self._buffer: collections.deque[Message | SessionEvent] = collections.deque()
        self._last_seq: dict[str, int] = {}
        self._closed = False
        self._final: SessionEvent | None = None  # the closing message, once read
        self.received = 0
        self.lost = 0
        #: The ``run_end`` messages seen (one per run of the session since subscribing).
        self.runs_ended: list[SessionEvent] = []
        #: The ``closing`` message, once the bridge said it closes.
        self.closing: SessionEvent | None = None

    @property
    def gate(self) -> int | None:
        """The lock-step gate's id (``None`` without lock-step)."""
        return None if self._gate is None else self._gate.id

    def _take(self, frames: list[Any]) -> None:
        msg = decode_message(frames, self._last_seq)
        if isinstance(msg, SessionEvent):
            if msg.kind == "closing":
                self.closing = msg
                self._buffer.append(msg)
            else:
                self.runs_ended.append(msg)
                if self.until == "run":
                    self._buffer.append(msg)
        elif msg is not None:
            self.received += 1
            self.lost += msg.lost
            self._buffer.append(msg)

    def _check_final(self) -> None:
        """Raise :class:`StreamEnded` if the closing message was read and nothing is left."""
        if self._final is not None and not self._buffer:
            raise StreamEnded(self._final)

    def _pop(self) -> Message:
        """Hand out the next buffered message; raise :class:`StreamEnded` at an end.

        An end of run (``until="run"``) ends one iteration: the next read goes on with the
        next run.  Closing is final.
        """
        item = self._buffer.popleft()
        if isinstance(item, SessionEvent):
            if item.kind == "closing":
                self._final = item
            raise StreamEnded(item)
        if self._gate is not None:
            self._gate.delivered(item)
        client = self._client
        if client.last_chunk is None or item.chunk > client.last_chunk:
            client.last_chunk = item.chunk  # the next input answers it (answer_to)
        return item

    def _release(self) -> None:
        g = self._gate
        if g is None:
            return
        chunk = g.releasable()
        if chunk is not None:
            g.acked = chunk
            self._client.post("next", gate=g.id, chunk=chunk)
