"""How the PyNN front end serves its network: views, recordables, projections, blocking runs.

``spinstream.Session.serve`` and ``spinstream.pyNN.serve`` call :func:`serve_async` and
:func:`serve_blocking`.  PyNN objects are read through the attributes the front end
gives them (a population's runtime id and its cells' indices, a projection's specs and
where their synapses go in its list); nothing here imports the front end.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from typing import Any

from spinstream.bridge._bridge import Bridge, BridgeStatistics, Endpoints
from spinstream.bridge._catalog import View
from spinstream.bridge._serve import make_bridge
from spinstream.bridge._weights import ProjectionInfo
from spinstream.session import Runtime

__all__ = [
    "BlockingBridge",
    "pynn_projections",
    "pynn_recordables",
    "pynn_views",
    "serve_async",
    "serve_blocking",
]


def pynn_views(objects: Sequence[Any]) -> list[View]:
    """PopulationViews and Assemblies of the front end as bridge views (by their labels)."""
    views = []
    for obj in objects:
        if isinstance(obj, View):
            views.append(obj)
            continue
        members = list(getattr(obj, "populations", None) or [obj])
        try:
            parts = [(int(m._spec_id), m._index_array()) for m in members]
        except AttributeError:
            raise TypeError(
                f"views must be PopulationViews, Populations or Assemblies of this network "
                f"(or spinstream.bridge.View), got {obj!r}"
            ) from None
        kind = "assembly" if hasattr(obj, "populations") else "view"
        views.append(View(str(obj.label), parts, kind))
    return views


def pynn_recordables(populations: Sequence[Any]) -> dict[int, list[str]]:
    """Map population id -> the cell type's recordable variables, for every population."""
    out: dict[int, list[str]] = {}
    for p in populations:
        names = getattr(p.celltype, "recordable", None)
        if names is not None:
            out[int(p._spec_id)] = [str(n) for n in names]
    return out


def pynn_projections(projections: Sequence[Any]) -> list[ProjectionInfo]:
    """Describe the front end's projections for the bridge (labels, specs, list order)."""
    return [
        ProjectionInfo(
            str(p.label),
            [(int(spec_id), sel) for spec_id, sel in p._parts],
            len(p._pre),  # structural projections: every potential synapse (NaN: absent)
            str(p.pre.label),
            str(p.post.label),
        )
        for p in projections
    ]


async def serve_async(
    runtime: Runtime,
    populations: Sequence[Any],
    address: str,
    views: Sequence[Any] = (),
    *,
    projections: Sequence[Any] | None = None,
    publish: Sequence[str] = (),
    interval_steps: int | None = None,
    every: float | None = None,
    pub_address: str | None = None,
    **options: Any,
) -> Bridge:
    """Start a bridge for a front-end network on the running loop (``Session.serve``).

    ``projections`` is the front end's own list of projections (read again as it grows).
    """
    recordables = options.pop("recordables", None) or pynn_recordables(populations)
    if projections is not None:
        known = projections
        options["projections"] = lambda: pynn_projections(known)
    bridge = make_bridge(runtime, views=pynn_views(views), recordables=recordables, **options)
    await bridge.start(address, pub_address=pub_address)
    try:
        if publish:
            bridge.publish(publish, interval_steps=interval_steps, every=every)
    except BaseException:
        await bridge.aclose()
        raise
    return bridge


class BlockingBridge:
    """A bridge for the blocking API: its own event loop on a background thread.

    Runs of the runtime (``run_steps_blocking``, i.e. ``sim.run()``) execute on that loop,
    so streams flow and input is applied while they run; between runs the bridge answers
    ``describe``/``ping``/``stats`` and keeps requests that would change the network for
    the start of the next run (the script's thread owns the runtime then).
    """

    def __init__(
        self, runtime: Runtime, bridge_factory: Callable[[], Coroutine[Any, Any, Bridge]]
    ) -> None:
        if getattr(runtime, "blocking_runner", None) is not None:
            raise RuntimeError("this network is already served (call end() or close() first)")
        self.runtime = runtime
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="spinstream-bridge", daemon=True
        )
        self._thread.start()
        try:
            self.bridge: Bridge = self._call(bridge_factory())
        except BaseException:
            self._stop_loop()
            raise
        self.bridge.defer_between_runs()
        runtime.blocking_runner = self._run
        self._closed = False

    def _call(self, coro: Coroutine[Any, Any, Any]) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result()

    def _run(self, make_run: Callable[[], Awaitable[None]]) -> None:
        """Run one blocking run on the bridge's loop; Ctrl-C stops it at a chunk boundary."""
        fut = asyncio.run_coroutine_threadsafe(self.bridge.run(make_run), self._loop)
        try:
            fut.result()
        except KeyboardInterrupt:
            fut.cancel()
            concurrent.futures.wait([fut])
            raise
        except concurrent.futures.CancelledError:
            raise KeyboardInterrupt from None

    @property
    def endpoints(self) -> Endpoints:
        """Where the bridge listens."""
        return self.bridge.endpoints

    def statistics(self) -> BridgeStatistics:
        """Return the bridge's counters."""
        return self.bridge.statistics()

    def wait_for(self, *, gates: int = 0, clients: int = 0, timeout: float | None = 10.0) -> None:
        """Wait until the bridge holds ``gates`` lock-step gates and knows ``clients``.

        See :meth:`spinstream.Session.wait_for`; raises ``TimeoutError`` after ``timeout``
        seconds (``None``: wait for ever).
        """
        from spinstream.bridge._bridge import wait_for_bridges

        self._call(wait_for_bridges([self.bridge], gates=gates, clients=clients, timeout=timeout))

    def publish(
        self,
        topics: Sequence[str],
        *,
        interval_steps: int | None = None,
        every: float | None = None,
    ) -> list[str]:
        """Turn topics on (see :meth:`Bridge.publish`)."""

        async def on() -> list[str]:
            return self.bridge.publish(topics, interval_steps=interval_steps, every=every)

        result: list[str] = self._call(on())
        return result

    def close(self) -> None:
        """Stop serving and end the loop thread; runs go back to the runtime's own loop."""
        if self._closed:
            return
        self._closed = True
        if getattr(self.runtime, "blocking_runner", None) == self._run:
            self.runtime.blocking_runner = None
        try:
            self._call(self.bridge.aclose())
        finally:
            self._stop_loop()

    def _stop_loop(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join()
        self._loop.close()

    def __enter__(self) -> BlockingBridge:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def serve_blocking(
    runtime: Runtime,
    populations: Sequence[Any],
    address: str,
    views: Sequence[Any] = (),
    *,
    projections: Sequence[Any] | None = None,
    **options: Any,
) -> BlockingBridge:
    """Start a bridge for the blocking API (``spinstream.pyNN.serve``)."""
    recordables = pynn_recordables(populations)
    view_list = pynn_views(views)

    async def start() -> Bridge:
        return await serve_async(
            runtime,
            [],
            address,
            view_list,
            projections=projections,
            recordables=recordables,
            **options,
        )

    return BlockingBridge(runtime, start)
