"""``serve``: start a bridge for a runtime with the common options as keywords."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from spinstream.bridge._bridge import Bridge
from spinstream.bridge._catalog import View
from spinstream.bridge._config import Access, Limits, Security
from spinstream.session import Runtime

__all__ = ["make_bridge", "serve"]

KeySpec = (
    str
    | os.PathLike[str]
    | Iterable[str | os.PathLike[str]]
    | Mapping[str | os.PathLike[str], Access]
)


def make_bridge(
    runtime: Runtime,
    *,
    views: Sequence[View] = (),
    recordables: Mapping[int, Sequence[str]] | None = None,
    security: Security | None = None,
    server_key: str | os.PathLike[str] | None = None,
    client_keys: KeySpec | None = None,
    read_only: bool = False,
    inject: Iterable[str] | None = None,
    limits: Limits | None = None,
    **options: Any,
) -> Bridge:
    """Make (but do not start) a bridge; see :func:`serve` for the keywords."""
    if security is None and (server_key is not None or client_keys is not None):
        if server_key is None or client_keys is None:
            raise ValueError(
                "CURVE security needs both server_key (the server's .key_secret file) and "
                "client_keys (the allowed clients' public keys)"
            )
        default = Access(read_only=read_only, inject=None if inject is None else frozenset(inject))
        security = Security.from_files(server_key, client_keys, default_access=default)
    access = Access(read_only=read_only, inject=None if inject is None else frozenset(inject))
    return Bridge(
        runtime,
        views=views,
        recordables=recordables,
        security=security,
        access=access,
        limits=limits,
        **options,
    )


async def serve(
    runtime: Runtime,
    address: str = "tcp://127.0.0.1:*",
    *,
    publish: Iterable[str] = (),
    interval_steps: int | None = None,
    every: float | None = None,
    pub_address: str | None = None,
    **options: Any,
) -> Bridge:
    """Start a bridge on the running event loop; returns it (``bridge.endpoints``).

    Parameters
    ----------
    runtime
        The runtime to serve.
    address
        The control socket's endpoint (default: loopback, a free port).  Anything beyond
        loopback needs security.
    publish
        Topics to turn on at once (clients can turn on more with ``subscribe``), e.g.
        ``["spikes/exc/", "weights/stdp/"]``.
    interval_steps, every
        Sampling interval of the state and weight topics in ``publish``: steps, or ms (a
        whole number of steps); default every step.
    pub_address
        The PUB socket's endpoint (default: next to ``address``).
    **options
        ``views``, ``recordables``, ``projections``, ``limits``, ``spike_buffer``,
        ``state_buffer``;
        ``read_only`` (every client) and ``inject`` (source names clients may send
        input to); CURVE: ``security``, or ``server_key`` (the server's
        ``.key_secret`` file) with ``client_keys`` (a directory of allowed ``.key``
        files, a list of key files or Z85 keys, or a mapping key -> ``Access``).
    """
    bridge = make_bridge(runtime, **options)
    await bridge.start(address, pub_address=pub_address)
    try:
        topics = list(publish)
        if topics:
            bridge.publish(topics, interval_steps=interval_steps, every=every)
    except BaseException:
        await bridge.aclose()
        raise
    return bridge
