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

import asyncio
import inspect
import math
from collections.abc import Awaitable, Callable, Iterable
from types import TracebackType
from typing import Any

import spinstream.pyNN as _pynn
from spinstream.pyNN import Backend, check_delay_bounds, check_views
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
    lockstep_timeout
        Lock-step mode: seconds a chunk waits for a lock-step stream to ask for its next
        batch before the run fails with :class:`~spinstream.model.LockstepTimeoutError`
        naming the stream and the chunk (``None``: wait for ever).
    threads
        Threads the engine runs the board's cores on (default 1; the results are the same
        bit for bit for every number: docs/GUIDE.md, "Performance notes").
    weight_bits
        Bits of each stored static weight: 32 (default) or 16 (opt-in: 4 bytes a synapse
        instead of 6 for blocks of many distinct weights, each rounded to 16 bits of its
        block's largest; docs/GUIDE.md, "Memory"; networks of static synapses only).
        Left out with a ``board`` of your own: that board's.
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
        lockstep_timeout: float | None = 60.0,
        threads: int | None = None,
        weight_bits: int | None = None,
    ) -> None:
        if not (isinstance(timestep, (int, float)) and math.isfinite(timestep) and timestep > 0):
            raise ValueError(f"timestep must be a finite, positive number of ms, got {timestep!r}")
        if not (isinstance(chunk, (int, float)) and math.isfinite(chunk)):
            raise ValueError(
                f"chunk ({chunk!r} ms) must be a finite, positive whole multiple of timestep "
                f"({timestep} ms)"
            )
        check_delay_bounds(float(timestep), min_delay, max_delay)
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
            lockstep_timeout=lockstep_timeout,
            threads=threads,
            weight_bits=weight_bits,
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
        """Stop serving, write the files asked for with ``record(to_file=...)``, free the board.

        A run still in progress in another task is cancelled first (it stops at a chunk
        boundary, keeping what was recorded) and waited for, so that no run goes on after
        the session closed; leaving ``async with`` through an exception re-raises that
        exception, not the run's.
        """
        task = self._runtime.run_task
        if task is not None and task is not asyncio.current_task():
            task.cancel()
            await asyncio.wait([task])
        bridges, self._bridges = self._bridges, []
        for bridge in bridges:
            await bridge.aclose()
        self.end()

    def end(self) -> None:
        """Blocking form of :meth:`aclose`."""
        self._backend.end()

    # -- running -------------------------------------------------------------------------

    async def run(self, simtime: float, *, controllers: Iterable[Controller] = ()) -> float:
        """Run for ``simtime`` ms; returns the time reached (ms).

        ``controllers``: coroutines (or functions returning one) that run alongside; see
        :meth:`run_until`.
        """
        return await self.run_until(self.time + float(simtime), controllers=controllers)

    run_for = run

    async def run_until(self, tstop: float, *, controllers: Iterable[Controller] = ()) -> float:
        """Run until ``tstop`` ms; returns the time reached (ms).

        Cancelling the task stops at a chunk boundary; what was recorded stays recorded
        and ``run`` may be called again to continue.

        ``controllers`` run as tasks of this run (structured concurrency): each is a
        coroutine, or a function called with no arguments that returns one.

        * The streams a controller opens (or reads) belong to the run: after its last
          chunk they end, so ``async for batch in stream`` sees every batch, the last one
          included, and then stops; the run returns once every controller has returned
          (a controller that waits on something else must return by itself).
        * A controller that raises stops the run at the next chunk boundary (everything
          recorded stays), the other controllers are cancelled, and ``run`` raises that
          exception.  If the run itself fails, the controllers are cancelled and ``run``
          raises the run's error.
        * A controller that returns early is done; a lock-step stream whose reader has
          ended no longer holds the run.
        """
        runtime = self._runtime
        runtime.check_open("running")
        coros = _controller_coroutines(controllers)
        state = self._backend.state
        try:
            n = state.steps_until(float(tstop))
        except BaseException:
            for c in coros:
                c.close()
            raise
        state.running = True
        if not coros:
            await runtime.run_until_step(runtime.step + n)
            return self.time
        await _run_with(runtime, runtime.step + n, coros)
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
        """Chunks, steps, overruns, late inputs and answers, drops, timing percentiles.

        Every field is described in :class:`~spinstream.session.Statistics`.
        """
        return self._runtime.statistics()

    async def wait_for(
        self,
        *,
        gates: int = 0,
        clients: int = 0,
        timeout: float | None = 10.0,  # noqa: ASYNC109
    ) -> None:
        """Wait until the ZeroMQ bridges hold ``gates`` lock-step gates and know ``clients``.

        For a server that must not ``run()`` before its remote controller is there:
        ``await sim.wait_for(gates=1, timeout=30)``.  Counts are summed over the bridges
        of :meth:`serve`; a client counts once it has sent a request.  Raises
        ``TimeoutError`` (saying what was reached) after ``timeout`` seconds (``None``:
        wait for ever), and ``RuntimeError`` when nothing is served.
        """
        if not self._bridges:
            raise RuntimeError("wait_for: this session serves nothing; await sim.serve() first")
        from spinstream.bridge import wait_for_bridges

        await wait_for_bridges(self._bridges, gates=gates, clients=clients, timeout=timeout)

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
        from spinstream.bridge import serve_async

        self._runtime.check_open("serving")
        state = self._backend.state
        check_views(self._backend.simulator, views)
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


#: A controller: a coroutine, or a function that returns one when called with no arguments.
Controller = Awaitable[Any] | Callable[[], Awaitable[Any]]


def _controller_coroutines(controllers: Iterable[Controller]) -> list[Any]:
    if isinstance(controllers, str | bytes) or not isinstance(controllers, Iterable):
        raise TypeError(
            f"controllers must be a list of coroutines or coroutine functions, "
            f"got {controllers!r:.80}"
        )
    out: list[Any] = []
    try:
        for k, c in enumerate(controllers):
            made = c() if callable(c) and not inspect.isawaitable(c) else c
            if not inspect.isawaitable(made):
                raise TypeError(
                    f"controllers[{k}] must be a coroutine or a function returning one, "
                    f"got {c!r:.80}"
                    + (" (it returned " + repr(made)[:60] + ")" if made is not c else "")
                )
            out.append(made)
    except BaseException:
        for made in out:
            if inspect.iscoroutine(made):
                made.close()
        raise
    return out


async def _run_with(runtime: Runtime, step: int, coros: list[Any]) -> None:
    """Run ``runtime`` to ``step`` with ``coros`` as its controllers (see ``run_until``)."""
    tasks = [asyncio.ensure_future(c) for c in coros]
    run: asyncio.Future[None] | None = None
    failed: BaseException | None = None
    try:
        # one loop turn first: a controller opens its streams before the first chunk runs
        await asyncio.sleep(0)
        run = asyncio.ensure_future(runtime.run_until_step(step))
        pending: set[asyncio.Future[Any]] = {run, *tasks}
        while not run.done():
            done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
            bad = [t for t in done if t is not run and not t.cancelled() and t.exception()]
            if bad:
                failed = bad[0].exception()
                break
        if failed is None:
            run.result()  # the run's own error, if any
            _end_streams(runtime, tasks)  # the last batch is in: let the controllers finish
            await asyncio.wait(tasks)
            for t in tasks:
                exc = None if t.cancelled() else t.exception()
                if exc is not None:
                    raise exc
            return
    finally:
        started = [] if run is None else [run]
        for t in [*started, *tasks]:
            if not t.done():
                t.cancel()
        await asyncio.gather(*started, *tasks, return_exceptions=True)
        _end_streams(runtime, tasks)
    assert failed is not None
    raise failed


def _end_streams(runtime: Runtime, tasks: list[asyncio.Future[Any]]) -> None:
    """End the streams the controller tasks opened or read (buffered batches stay readable)."""
    owners = set(tasks)
    for sub in runtime.subscriptions:
        if sub.opener in owners or not owners.isdisjoint(sub._consumers):
            sub._end()
