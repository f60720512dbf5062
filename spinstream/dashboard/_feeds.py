"""Where a dashboard's data comes from: a session's streams, in-process or over ZeroMQ.

A feed describes the network once (:meth:`Feed.describe`) and then yields events: one
:class:`SpikeEvent` per population and chunk, one :class:`StateEvent` per traced population
and chunk, and :class:`StatsEvent` snapshots of the session's statistics.  The dashboard's
server does not care which feed it has.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

#: Models that have no membrane potential to trace.
SOURCE_MODELS = ("SpikeInjector",)
#: Neurons per population whose ``v`` is traced by default.
DEFAULT_TRACES = 2


def is_source(model: str) -> bool:
    """Whether a population of this model is a spike source (no state variables)."""
    return model.startswith("SpikeSource") or model in SOURCE_MODELS


@dataclass(frozen=True)
class PopulationInfo:
    """A population as the dashboard shows it."""

    label: str
    size: int
    model: str
    traced: tuple[int, ...] = ()


@dataclass(frozen=True)
class SpikeEvent:
    """The spikes of population ``source`` (its index in the description) in one chunk."""

    source: int
    t_start: float
    t_stop: float
    times: npt.NDArray[np.float64]
    indices: npt.NDArray[np.int64]


@dataclass(frozen=True)
class StateEvent:
    """Samples of ``v`` of the traced neurons of population ``source`` in one chunk."""

    source: int
    t_start: float
    t_stop: float
    times: npt.NDArray[np.float64]
    values: npt.NDArray[np.float64]


@dataclass(frozen=True)
class StatsEvent:
    """A snapshot of the session's statistics (plain JSON-able values)."""

    values: Mapping[str, Any] = field(default_factory=dict)


Event = SpikeEvent | StateEvent | StatsEvent


class Feed(Protocol):
    """What the dashboard server reads."""

    def describe(self) -> dict[str, Any]:
        """Describe the network: ``{"populations": [...], "dt": ms, "chunk": ms, "mode": str}``."""
        ...

    def events(self) -> AsyncIterator[Event]:
        """Events until the feed is closed or its source ends."""
        ...

    async def aclose(self) -> None:
        """Stop reading (unsubscribe)."""
        ...


def pick_traces(
    pops: Sequence[tuple[str, int, str]], traces: Mapping[str, Sequence[int]] | None
) -> list[PopulationInfo]:
    """Choose the neurons to trace: ``traces`` by label, else the first few."""
    out = []
    labels = {label for label, _, _ in pops}
    for label in traces or {}:
        if label not in labels:
            raise ValueError(
                f"traces: no population labelled {label!r} (there are {sorted(labels)})"
            )
    for label, size, model in pops:
        if traces is not None:
            chosen = tuple(int(i) for i in traces.get(label, ()))
        else:
            chosen = tuple(range(min(DEFAULT_TRACES, size)))
        if is_source(model):
            if traces is not None and chosen:
                raise ValueError(f"traces: {label!r} is a {model}, which has no v")
            chosen = ()
        bad = [i for i in chosen if not 0 <= i < size]
        if bad:
            raise ValueError(f"traces: neuron {bad[0]} is out of range for {label!r} ({size})")
        out.append(PopulationInfo(label, size, model, chosen))
    return out


class SessionFeed:
    """The streams of a session in this process.

    Parameters
    ----------
    session
        A :class:`spinstream.Session` or its :class:`~spinstream.session.Runtime`.
    traces
        Population label -> neuron indices whose ``v`` to trace (default: the first two
        neurons of every population that has a membrane).
    maxlen
        Buffer of each subscription in chunks (the oldest are dropped when full).
    stats_every
        Statistics are sent after every this many chunks.
    """

    def __init__(
        self,
        session: Any,
        traces: Mapping[str, Sequence[int]] | None = None,
        *,
        maxlen: int = 256,
        stats_every: int = 5,
    ) -> None:
        self.runtime = getattr(session, "runtime", session)
        spec = self.runtime.spec
        self.populations = pick_traces(
            [(p.label, p.size, p.model) for p in spec.populations], traces
        )
        self._ids = [p.id for p in spec.populations]
        self._maxlen = maxlen
        self._stats_every = max(1, int(stats_every))
        self._queue: asyncio.Queue[Event | None] = asyncio.Queue()
        self._tasks: list[asyncio.Task[None]] = []
        self._subs: list[Any] = []
        self._started = False
        self._wall0 = time.perf_counter()
        self._sim0 = self.runtime.time

    def describe(self) -> dict[str, Any]:
        """Return the populations, time step and chunk (ms), and the session's mode."""
        rt = self.runtime
        return {
            "populations": self.populations,
            "dt": rt.dt,
            "chunk": rt.chunk_steps * rt.dt,
            "mode": rt.mode,
        }

    def start(self) -> None:
        """Subscribe now (before the run, to see it from its first chunk)."""
        if self._started:
            return
        self._started = True
        rt = self.runtime
        for k, (pid, info) in enumerate(zip(self._ids, self.populations, strict=True)):
            sub = rt.subscribe_spikes(pid, maxlen=self._maxlen)
            self._subs.append(sub)
            self._tasks.append(asyncio.create_task(self._pump(k, sub, spikes=True)))
            if info.traced:
                vsub = rt.subscribe_state(pid, "v", list(info.traced), maxlen=self._maxlen)
                self._subs.append(vsub)
                self._tasks.append(asyncio.create_task(self._pump(k, vsub, spikes=False)))

    async def _pump(self, k: int, sub: Any, *, spikes: bool) -> None:
        try:
            async with sub:
                async for b in sub:
                    if spikes:
                        self._queue.put_nowait(
                            SpikeEvent(k, b.t_start, b.t_stop, b.times, b.indices)
                        )
                        if k == 0 and b.sequence % self._stats_every == 0:
                            self._queue.put_nowait(self.stats())
                    else:
                        self._queue.put_nowait(
                            StateEvent(k, b.t_start, b.t_stop, b.times, b.values)
                        )
        finally:
            if k == 0 and spikes:
                self._queue.put_nowait(self.stats())
                self._queue.put_nowait(None)

    def stats(self) -> StatsEvent:
        """Snapshot the session's statistics."""
        rt = self.runtime
        st = rt.statistics()
        return StatsEvent(
            {
                "time": rt.time,
                "chunks": st.chunks,
                "steps": st.steps,
                "overruns": st.overruns,
                "lag_ms": st.lag_ms,
                "late_inputs": st.late_inputs,
                "drops": int(sum(st.drops.values())),
                "compute_us_p50": st.compute_us.p50,
            }
        )

    async def events(self) -> AsyncIterator[Event]:
        """Events until the session's streams end or :meth:`aclose` is called."""
        self.start()
        while True:
            ev = await self._queue.get()
            if ev is None:
                return
            yield ev

    async def aclose(self) -> None:
        """Unsubscribe and stop the readers."""
        for sub in self._subs:
            sub.close()
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._queue.put_nowait(None)
