"""What a bridge allows: limits, per-client access, CURVE security, and where it may bind.

A bridge is safe by default: it binds only to loopback (or ``ipc://``/``inproc://``)
unless CURVE security is configured, every message from outside is bounded in size and
rate, and a client's permissions decide whether it may send input and to which sources.
"""

from __future__ import annotations

import ipaddress
import math
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import zmq
from zmq.utils import z85

from spinstream.client import load_public_key, load_secret_key

__all__ = ["Access", "Limits", "Security", "SecurityError", "check_bind_address"]


class SecurityError(RuntimeError):
    """The bridge refused a configuration that would expose the session unsafely."""


@dataclass(frozen=True)
class Limits:
    """Bounds on what clients may send and on what the bridge keeps for them.

    Attributes
    ----------
    max_message_bytes
        Largest control message answered normally; a larger one (up to
        ``hard_message_bytes``) gets a ``too_large`` error and changes nothing.
    hard_message_bytes
        The socket's own limit (ZMQ_MAXMSGSIZE): a peer that sends more is disconnected
        by ZeroMQ without a reply, so such a message never reaches memory in full.
    max_array_len
        Most elements of one array (indices, stamps, values) in one message.
    max_rate
        Largest Poisson rate (Hz) a client may set (a huge rate would make the engine
        emit without bound).
    max_input_rate
        Input messages per second per client (token bucket; bursts of up to
        ``max(1, max_input_rate)`` messages).  ``math.inf``: no limit.
    max_pending_per_chunk
        Input messages (all clients together) accepted for one chunk boundary; once full,
        more input for that boundary is refused with ``pending_full`` until the next chunk.
    max_scheduled
        Input messages (all clients together) accepted for steps beyond the next chunk
        boundary and not yet reached.
    max_ahead_steps
        How far beyond the next input step an ``at_step`` or spike stamp may lie.
    max_topics
        Topics one ``subscribe`` request may name.
    max_gates
        Lock-step gates open at once (all clients together).
    max_views
        Views defined by clients (``view`` requests, all clients together).
    gate_timeout
        Seconds a lock-step gate waits for its client's ``next`` before it is closed (so a
        crashed client never holds the session).
    max_clients
        Clients whose counters (rate limit, statistics) are remembered; the least recently
        seen is forgotten first.
    send_hwm
        Stream messages queued per subscriber before ZeroMQ drops that subscriber's newest
        messages (the subscriber sees a gap in ``seq``).  The queued messages hold their
        arrays (they are sent without copying): a slow subscriber costs at most this many
        messages of memory.
    control_hwm
        Control messages queued per client, each way.
    """

    max_message_bytes: int = 1 << 20
    hard_message_bytes: int = 16 << 20
    max_array_len: int = 1 << 16
    max_rate: float = 100_000.0
    max_input_rate: float = 2000.0
    max_pending_per_chunk: int = 1000
    max_scheduled: int = 10_000
    max_ahead_steps: int = 10_000_000
    max_topics: int = 256
    max_gates: int = 16
    max_views: int = 64
    gate_timeout: float = 10.0
    max_clients: int = 1024
    send_hwm: int = 256
    control_hwm: int = 1000

    def __post_init__(self) -> None:
        ints = (
            "max_message_bytes",
            "hard_message_bytes",
            "max_array_len",
            "max_pending_per_chunk",
            "max_scheduled",
            "max_ahead_steps",
            "max_topics",
            "max_gates",
            "max_views",
            "max_clients",
            "send_hwm",
            "control_hwm",
        )
        for name in ints:
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise ValueError(f"Limits.{name} must be a positive integer, got {v!r}")
        if self.hard_message_bytes < self.max_message_bytes:
            raise ValueError(
                f"Limits.hard_message_bytes ({self.hard_message_bytes}) must be >= "
                f"max_message_bytes ({self.max_message_bytes})"
            )
        for name in ("max_rate", "max_input_rate", "gate_timeout"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int | float) or not v > 0:
                raise ValueError(f"Limits.{name} must be a positive number, got {v!r}")
        if math.isnan(self.max_input_rate):
            raise ValueError("Limits.max_input_rate must not be NaN")

    def describe(self) -> dict[str, float | int | None]:
        """Return the limits as plain data (``describe`` sends them to clients)."""
        out: dict[str, float | int | None] = {}
        for name in self.__dataclass_fields__:
            v = getattr(self, name)
            out[name] = None if isinstance(v, float) and math.isinf(v) else v
        return out


@dataclass(frozen=True)
class Access:
    """What one client may do.

    Attributes
    ----------
    read_only
        Streams and ``describe`` only: every input message is refused (``read_only``).
    inject
        Names of the server's sources (populations, and the views and assemblies given to
        the bridge) whose cells this client may send input to; ``None``: every source.
        The bridge judges an input by the cells it reaches, whatever source it names: a
        view a client defined grants nothing.  A current source counts as allowed when
        every cell it drives is.
    """

    read_only: bool = False
    inject: frozenset[str] | None = None

    def __post_init__(self) -> None:
        if self.inject is not None:
            names = frozenset(self.inject)
            if not all(isinstance(n, str) for n in names):
                raise TypeError(f"Access.inject must hold source names, got {self.inject!r}")
            object.__setattr__(self, "inject", names)

    def may_inject(self, source: str) -> bool:
        """Whether input to the server's source named ``source`` is allowed (by name only).

        The bridge goes further and checks the cells an input reaches
        (:meth:`~spinstream.bridge._catalog.Catalog.permits`).
        """
        return not self.read_only and (self.inject is None or source in self.inject)

    def describe(self) -> dict[str, object]:
        """As plain data, for ``describe``."""
        return {
            "read_only": self.read_only,
            "inject": None if self.inject is None else sorted(self.inject),
        }


#: A read-only client.
READ_ONLY = Access(read_only=True)


@dataclass(frozen=True)
class Security:
    """CURVE authentication and encryption for both of the bridge's sockets.

    Usually made with :meth:`from_files`.

    Attributes
    ----------
    server_public, server_secret
        The server's key pair (40-character Z85 keys); clients need the public key.
    clients
        The allow-list: client public key (Z85) -> its :class:`Access`.  Clients with
        other keys cannot connect at all.
    """

    server_public: bytes
    server_secret: bytes
    clients: Mapping[bytes, Access] = field(default_factory=dict)

    @classmethod
    def from_files(
        cls,
        server_secret_key: str | os.PathLike[str],
        clients: str
        | os.PathLike[str]
        | Iterable[str | os.PathLike[str]]
        | Mapping[str | os.PathLike[str], Access],
        *,
        default_access: Access | None = None,
    ) -> Security:
        """Load the server's key pair and the allow-list of client public keys.

        Parameters
        ----------
        server_secret_key
            The server's secret key file (``NAME.key_secret`` from ``spinstream keys
            generate``); clients need the matching public key (``NAME.key``).
        clients
            Client public key -> :class:`Access`, keys given as Z85 strings or key files;
            or an iterable of keys or key files; or a directory, whose ``*.key`` files
            (but the server's own) are all allowed.
        default_access
            Access of clients given without one (iterable or directory).
        """
        public, secret = load_secret_key(server_secret_key)
        default = default_access if default_access is not None else Access()
        allowed: dict[bytes, Access] = {}
        items: Iterable[tuple[str | os.PathLike[str], Access]]
        if isinstance(clients, str | os.PathLike) and Path(clients).is_dir():
            # the server's own key may share the directory: it is no client
            files = [
                f for f in sorted(Path(clients).glob("*.key")) if load_public_key(f) != public
            ]
            if not files:
                raise SecurityError(f"no client public keys (*.key files) in {clients}")
            items = [(f, default) for f in files]
        elif isinstance(clients, str | os.PathLike):
            items = [(clients, default)]
        elif isinstance(clients, Mapping):
            items = list(clients.items())
        else:
            items = [(c, default) for c in clients]
        for key, access in items:
            if not isinstance(access, Access):
                raise TypeError(f"the access of client {key!s} must be an Access, got {access!r}")
            allowed[load_public_key(key)] = access
        if public in allowed:
            raise SecurityError("the server's own public key must not be on the client allow-list")
        return cls(public, secret, allowed)

    def __post_init__(self) -> None:
        for name in ("server_public", "server_secret"):
            key = getattr(self, name)
            if not isinstance(key, bytes) or len(key) != 40:
                raise SecurityError(f"Security.{name} must be a 40-character Z85 key")
            z85.decode(key)
        if not zmq.has("curve"):
            raise SecurityError("this libzmq was built without CURVE support")

    def access_of(self, client_key: bytes) -> Access | None:
        """Return the access of a client (Z85 public key), ``None`` if it is unknown."""
        return self.clients.get(client_key)


# ---------------------------------------------------------------------- bind addresses
def is_local_address(address: str) -> bool:
    """Whether a ZeroMQ endpoint is reachable only from this machine.

    ``ipc://`` and ``inproc://`` are local; ``tcp://`` is local when its host is a
    loopback IP address or ``localhost``.  Interface names, wildcards (``*``,
    ``0.0.0.0``) and other hosts are not.
    """
    scheme, sep, rest = address.partition("://")
    if not sep:
        return False
    if scheme in ("ipc", "inproc"):
        return True
    if scheme != "tcp":
        return False
    host = rest.rsplit(":", 1)[0] if ":" in rest else rest
    if ";" in host:  # "source;destination" form: only for connect, never local here
        return False
    host = host.strip("[]")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_bind_address(address: str, security: Security | None) -> None:
    """Refuse a non-loopback bind without security, saying how to enable it."""
    if not isinstance(address, str) or "://" not in address:
        raise ValueError(
            f"address must be a ZeroMQ endpoint such as 'tcp://127.0.0.1:*', got {address!r}"
        )
    scheme = address.partition("://")[0]
    if scheme not in ("tcp", "ipc", "inproc"):
        raise ValueError(f"address: transport {scheme!r} is not supported (tcp, ipc, inproc)")
    if security is None and not is_local_address(address):
        raise SecurityError(
            f"refusing to bind the bridge to {address!r} without security: anyone who can "
            "reach that address could read the streams and inject input.  Either bind to "
            "loopback ('tcp://127.0.0.1:*') or enable CURVE: make keys with "
            "`spinstream keys generate DIR` (it writes DIR/server.key_secret and a key pair "
            "per client, all in DIR) and pass server_key='DIR/server.key_secret', "
            "client_keys='DIR' to serve() (every *.key in DIR but the server's own is "
            "allowed), or security=Security.from_files('DIR/server.key_secret', 'DIR')"
        )
