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


class BridgeFeed:
    """The streams of a session in another process, through its ZeroMQ bridge.

    Parameters
    ----------
    endpoint
        The bridge's control endpoint (``tcp://127.0.0.1:PORT``).
    traces
        Population label -> neuron indices whose ``v`` to trace (default: the first two
        neurons of every population that has a membrane).  The feed asks the bridge for a
        view of just those cells, so only their samples travel.
    server_key, client_key
        For a CURVE-secured bridge (see :class:`spinstream.client.AsyncClient`).
    stats_interval
        Seconds between statistics requests.
    timeout
        Seconds to wait for the bridge's replies.
    """

    def __init__(
        self,
        endpoint: str,
        traces: Mapping[str, Sequence[int]] | None = None,
        *,
        server_key: Any = None,
        client_key: Any = None,
        stats_interval: float = 0.25,
        timeout: float = 5.0,
    ) -> None:
        self.endpoint = str(endpoint)
        self._traces = traces
        self._keys = {"server_key": server_key, "client_key": client_key}
        self._timeout = timeout
        self.stats_interval = float(stats_interval)
        self.populations: list[PopulationInfo] = []
        self._description: dict[str, Any] = {}
        self._client: Any = None
        self._stream: Any = None
        self._topics: dict[str, tuple[int, bool]] = {}
        self._time = 0.0
        self._lost = 0

    async def start(self) -> None:
        """Connect, describe the session, define the traced views and subscribe."""
        from spinstream.client import AsyncClient

        if self._client is not None:
            return
        client = AsyncClient(self.endpoint, timeout=self._timeout, **self._keys)
        self._client = client
        try:
            d = await client.describe()
            pops = [s for s in d["sources"] if s.get("kind") == "population"]
            self.populations = pick_traces(
                [(s["name"], int(s["size"]), str(s.get("celltype", ""))) for s in pops],
                self._traces,
            )
            self._description = d
            topics: list[str] = []
            for k, (src, info) in enumerate(zip(pops, self.populations, strict=True)):
                topic = src["topics"]["spikes"]
                self._topics[topic] = (k, True)
                topics.append(topic)
                if info.traced and "v" in src["topics"]:
                    if list(info.traced) == list(range(info.size)):
                        vtopic = src["topics"]["v"]
                    else:
                        view = await client.request(
                            "view",
                            name=f"{info.label}~dashboard",
                            source=info.label,
                            indices=list(info.traced),
                        )
                        vtopic = view["source"]["topics"]["v"]
                    self._topics[vtopic] = (k, False)
                    topics.append(vtopic)
            self._stream = await client.subscribe(topics)
        except BaseException:
            await self.aclose()
            raise

    def describe(self) -> dict[str, Any]:
        """Return the populations, time step and chunk (ms), and the session's mode."""
        d = self._description
        return {
            "populations": self.populations,
            "dt": d.get("dt"),
            "chunk": d.get("chunk_ms"),
            "mode": d.get("mode"),
        }

    async def events(self) -> AsyncIterator[Event]:
        """Events as the bridge publishes them, with statistics every ``stats_interval``."""
        await self.start()
        stream = self._stream
        next_stats = time.monotonic()
        while True:
            now = time.monotonic()
            if now >= next_stats:
                next_stats = now + self.stats_interval
                stats = await self._stats()
                if stats is not None:
                    yield stats
            try:
                msg = await asyncio.wait_for(
                    stream.receive(), timeout=max(0.0, next_stats - time.monotonic())
                )
            except TimeoutError:
                continue
            except Exception:  # the stream was closed
                return
            k, spikes = self._topics.get(msg.topic, (-1, True))
            if k < 0:
                continue
            self._time = max(self._time, msg.t_stop)
            self._lost += msg.lost + msg.dropped
            if spikes:
                yield SpikeEvent(k, msg.t_start, msg.t_stop, msg.times, msg.indices)
            else:
                yield StateEvent(
                    k, msg.t_start, msg.t_stop, msg.times, np.asarray(msg.arrays["values"])
                )

    async def _stats(self) -> StatsEvent | None:
        try:
            r = await self._client.stats()
        except Exception:  # the session may be gone; the page keeps what it has
            return None
        session, bridge = r.get("session", {}), r.get("bridge", {})
        return StatsEvent(
            {
                "time": self._time,
                "chunks": session.get("chunks"),
                "steps": session.get("steps"),
                "overruns": session.get("overruns"),
                "lag_ms": session.get("lag_ms"),
                "late_inputs": session.get("late_inputs"),
                "drops": int(bridge.get("stream_drops", 0)) + self._lost,
            }
        )

    async def aclose(self) -> None:
        """Close the subscription and the connection."""
        client, self._client = self._client, None
        if client is not None:
            await client.aclose()
