"""``spinstream.Session``: the PyNN API on an async runtime, with live streams and input.

::

    async with spinstream.Session(timestep=0.1, chunk=1.0, mode="fast", seed=1) as sim:
        out = sim.Population(100, sim.IF_curr_exp(), label="out")
        inj = sim.Population(10, sim.SpikeInjector(), label="in")
        sim.Projection(inj, out, sim.AllToAllConnector(), sim.StaticSynapse(weight=2.0))
        out.record(["spikes", "v"])
        await sim.run(1000.0)
        block = out.get_data()

A session is a network of its own: ``sim.Population``, ``sim.Projection`` and the other
classes that belong to a network are bound to it, so several sessions (and the global
``spinstream.pyNN`` network) can exist side by side.  Everything else of
``spinstream.pyNN`` (cell types, connectors, current sources, random distributions) is
reachable as an attribute too.  ``run``/``run_until`` are coroutines; the rest of the
PyNN API works as usual, also while a run is in progress (changes take effect at the next
chunk's first step).
"""

from __future__ import annotations

from types import TracebackType
from typing import Any

import spinstream.pyNN as _pynn
from spinstream.pyNN._backend import Backend
from spinstream.session import Runtime, Statistics

__all__ = ["Session"]

#: Names of spinstream.pyNN that act on the global network: a session has its own.
_GLOBAL_ONLY = frozenset({"setup", "state", "simulator"})


class Session:
    """One network on its own runtime, driven with ``await``.

    Parameters
    ----------
    timestep
        Time step (ms).
    chunk
        Chunk length (ms): streams deliver one batch per chunk and live input takes
        effect at chunk boundaries.  Results do not depend on it.
    mode
        ``"fast"``, ``"realtime"`` (wall clock follows simulated time times
        ``time_scale_factor``) or ``"lockstep"`` (each chunk waits for the lock-step
        subscribers).
    seed
        Seed of the board's random generators.
    min_delay, max_delay
        Delay bounds (ms) or ``"auto"``.
    threads
        Threads the engine runs the board's cores on (default 1; the results are the same
        bit for bit for every number: docs/GUIDE.md, "Performance notes").
    n_boards, board, clock, mapper
        Passed to :class:`spinstream.session.Runtime` (a test can give a board or a clock).
    """

    def __init__(
        self,
        timestep: float = 0.1,
        chunk: float = 1.0,
        mode: str = "fast",
        seed: int | None = None,
        *,
        time_scale_factor: float = 1.0,
        min_delay: float | str = "auto",
        max_delay: float | str = "auto",
        n_boards: int | None = None,
        board: Any = None,
        clock: Any = None,
        mapper: Any = None,
        threads: int | None = None,
    ) -> None:
        if not (isinstance(timestep, (int, float)) and timestep > 0):
            raise ValueError(f"timestep must be a positive number of ms, got {timestep!r}")
        steps = round(float(chunk) / timestep)
        if steps < 1 or abs(steps * timestep - chunk) > 1e-9 * max(1.0, chunk):
            raise ValueError(
                f"chunk ({chunk} ms) must be a positive whole multiple of timestep ({timestep} ms)"
            )
        extra = {"mapper": mapper} if mapper is not None else {}
        runtime = Runtime(
            dt=float(timestep),
            chunk_steps=steps,
            mode=mode,
            time_scale_factor=time_scale_factor,
            seed=seed,
            n_boards=n_boards,
            board=board,
            clock=clock,
            threads=threads,
            **extra,
        )
        self._backend = Backend()
        self._backend.state.start(runtime, timestep, min_delay, max_delay)
        self._runtime = runtime
        self._bridges: list[Any] = []

    # -- context -------------------------------------------------------------------------

    async def __aenter__(self) -> Session:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Stop serving, write the files asked for with ``record(to_file=...)``, free the board."""
        bridges, self._bridges = self._bridges, []
        for bridge in bridges:
            await bridge.aclose()
        self.end()

    def end(self) -> None:
        """Blocking form of :meth:`aclose`."""
        self._backend.end()

    # -- running -------------------------------------------------------------------------

    async def run(self, simtime: float) -> float:
        """Run for ``simtime`` ms; returns the time reached (ms)."""
        return await self.run_until(self.time + float(simtime))

    run_for = run

    async def run_until(self, tstop: float) -> float:
        """Run until ``tstop`` ms; returns the time reached (ms).

        Cancelling the task stops at a chunk boundary; what was recorded stays recorded
        and ``run`` may be called again to continue.
        """
        state = self._backend.state
        n = state.steps_until(float(tstop))
        state.running = True
        await self._runtime.run_until_step(self._runtime.step + n)
        return self.time

    @property
    def time(self) -> float:
        """Simulated time (ms) at the end of the last completed chunk."""
        return float(self._runtime.time)

    @property
    def runtime(self) -> Runtime:
        """The underlying :class:`~spinstream.session.Runtime`."""
        return self._runtime

    def statistics(self) -> Statistics:
        """Chunks, steps, overruns, late inputs, drops per subscriber, timing percentiles."""
        return self._runtime.statistics()

    # -- ZeroMQ ----------------------------------------------------------------------------

    async def serve(
        self, address: str = "tcp://127.0.0.1:*", *, views: Any = (), **options: Any
    ) -> Any:
        """Serve the streams and live input over ZeroMQ; returns the endpoints.

        ``address`` is the control socket (loopback by default; anything else needs CURVE
        keys).  ``views``: PopulationViews or Assemblies to serve besides the populations;
        ``options``: those of :func:`spinstream.bridge.serve` (``publish`` with ``every``
        or ``interval_steps``, ``read_only``, ``inject``, ``server_key``/``client_keys``,
        ``limits``...); plastic projections' weights are served on ``weights/<label>/``.
        The bridge closes with the session; :attr:`bridges` lists the running ones.
        """
        from spinstream.bridge._frontend import serve_async

        state = self._backend.state
        bridge = await serve_async(
            self._runtime,
            state.populations,
            address,
            views,
            projections=state.projections,
            **options,
        )
        self._bridges.append(bridge)
        return bridge.endpoints

    @property
    def bridges(self) -> list[Any]:
        """The ZeroMQ bridges serving this session (see :meth:`serve`)."""
        return list(self._bridges)

    # -- the PyNN API --------------------------------------------------------------------

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") or name in _GLOBAL_ONLY:
            raise AttributeError(name)
        backend = self.__dict__.get("_backend")
        if backend is not None and name in vars(backend):
            return vars(backend)[name]
        if backend is not None and hasattr(type(backend), name):
            return getattr(backend, name)
        if name in _pynn.__all__:
            return getattr(_pynn, name)
        raise AttributeError(f"spinstream.Session has no attribute {name!r}")

    def __dir__(self) -> list[str]:
        names = set(super().__dir__()) | set(vars(self._backend)) | set(_pynn.__all__)
        return sorted(names - _GLOBAL_ONLY)
