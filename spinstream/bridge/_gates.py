"""Lock-step gates: how a remote client holds each chunk until it has read the last one.

In session mode ``"lockstep"`` the runtime starts a chunk only when every lock-step
subscription has asked for its next batch.  A gate is such a subscription, held by the
bridge for one client: after each chunk it waits for the client's ``next`` naming that
chunk (or a later one), then asks for the next batch.  A client that falls silent for
``Limits.gate_timeout`` seconds loses its gate, so a crashed client never holds the
session for long.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass, field
from typing import Any

import anyio

from spinstream.bridge._config import Limits
from spinstream.bridge._requests import RequestError
from spinstream.client import ArrayError, as_int
from spinstream.session import Runtime
from spinstream.streams import Subscription

__all__ = ["Gates"]

logger = logging.getLogger("spinstream.bridge")

Spawn = Callable[[Coroutine[Any, Any, None]], "asyncio.Task[None]"]
WhenActive = Callable[[Callable[[], None]], None]


@dataclass
class _Gate:
    id: int
    owner: bytes
    sub: Subscription[Any] | None = None  # None until the runtime holds for it
    acked: int = -1
    changed: asyncio.Event = field(default_factory=asyncio.Event)
    task: asyncio.Task[None] | None = None


class Gates:
    """The open gates of a bridge (see the module docstring)."""

    def __init__(
        self,
        runtime: Runtime,
        limits: Limits,
        spawn: Spawn,
        when_active: WhenActive,
        active: Callable[[], bool],
    ) -> None:
        self.runtime = runtime
        self.limits = limits
        self.expired = 0
        self._spawn = spawn
        self._when_active = when_active
        self._active = active
        self._gates: dict[int, _Gate] = {}
        self._ids = itertools.count(1)

    def __len__(self) -> int:
        return len(self._gates)

    def open(self, owner: bytes) -> dict[str, Any]:
        """Open a gate for a client; the reply names it and the first chunk it holds."""
        rt = self.runtime
        if rt.mode != "lockstep":
            raise RequestError(
                "not_lockstep",
                f"the session runs in mode {rt.mode!r}; lock-step gates need mode 'lockstep'",
            )
        if len(self._gates) >= self.limits.max_gates:
            raise RequestError(
                "pending_full",
                f"{len(self._gates)} gates are open (the limit is {self.limits.max_gates})",
            )
        gate = _Gate(next(self._ids), owner)
        self._gates[gate.id] = gate
        self._when_active(lambda: self._start(gate))
        return {"gate": gate.id, "chunk": rt.statistics().chunks + 1}

    def _start(self, gate: _Gate) -> None:
        if gate.id not in self._gates:  # closed before it opened
            return
        gate.sub = self._holder()
        gate.sub.label = f"gate:{gate.id}"  # its key in the session's statistics().drops
        gate.sub.opener = None  # not the control task's: its input answers by answer_to
        gate.task = self._spawn(self._hold(gate, gate.sub))

    def _holder(self) -> Subscription[Any]:
        """Make a lock-step subscription that costs next to nothing per chunk.

        Nothing of it is published: it exists so that the runtime waits for the gate.
        One neuron's state sampled every 2**30 steps yields an empty batch per chunk;
        without any state variable in the network, one neuron of the smallest population
        spikes.
        """
        rt = self.runtime
        pops = sorted(rt.spec.populations, key=lambda p: p.size)
        for p in pops:
            names = [n for n in p.initial if not n.startswith("_")]
            if names:
                return rt.subscribe_state(
                    [(p.id, [0])], names[0], interval_steps=1 << 30, maxlen=2, lockstep=True
                )
        return rt.subscribe_spikes([(pops[0].id, [0])], maxlen=2, lockstep=True)

    async def _hold(self, gate: _Gate, sub: Subscription[Any]) -> None:
        timeout = self.limits.gate_timeout
        try:
            while True:
                batch = await sub.receive()  # asking for it lets the runtime go on
                chunk = batch.sequence
                while gate.acked < chunk:
                    gate.changed.clear()
                    try:
                        await asyncio.wait_for(gate.changed.wait(), timeout)
                    except TimeoutError:
                        if not self._active():
                            continue  # between blocking runs nobody waits for the gate
                        self.expired += 1
                        logger.warning(
                            "bridge: lock-step gate %d expired (no 'next' for chunk %d in %g s)",
                            gate.id,
                            chunk,
                            timeout,
                        )
                        return
        except (anyio.EndOfStream, anyio.ClosedResourceError):
            pass
        finally:
            sub.close()
            self._gates.pop(gate.id, None)

    def _find(self, owner: bytes, body: Mapping[str, Any]) -> _Gate:
        try:
            gid = as_int(body.get("gate"), "gate", 0)
        except ArrayError as exc:
            raise RequestError("bad_request", str(exc), "gate") from None
        gate = self._gates.get(gid)
        if gate is None or gate.owner != owner:
            raise RequestError("out_of_range", f"gate: no open gate {gid} of this client", "gate")
        return gate

    def next(self, owner: bytes, body: Mapping[str, Any]) -> dict[str, Any]:
        """Release every chunk up to ``body["chunk"]``."""
        gate = self._find(owner, body)
        try:
            chunk = as_int(body.get("chunk"), "chunk", 0)
        except ArrayError as exc:
            raise RequestError("bad_request", str(exc), "chunk") from None
        if chunk > gate.acked:
            gate.acked = chunk
            gate.changed.set()
        return {"gate": gate.id, "chunk": gate.acked}

    def close_one(self, owner: bytes, body: Mapping[str, Any]) -> dict[str, Any]:
        """Close a client's gate (``ungate``): the session goes on without it."""
        gate = self._find(owner, body)
        self._gates.pop(gate.id, None)
        self._when_active(lambda: _release(gate))
        return {"gate": gate.id}

    def close(self) -> None:
        """Close every gate."""
        for gate in list(self._gates.values()):
            _release(gate)
        self._gates.clear()


def _release(gate: _Gate) -> None:
    if gate.sub is not None:
        gate.sub.close()
    if gate.task is not None:
        gate.task.cancel()
