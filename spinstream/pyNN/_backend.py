"""The PyNN API bound to one network: classes and control functions over one State.

``spinstream.pyNN`` is one :class:`Backend` (the global network of ``setup()``);
``spinstream.Session`` makes another per session.  Classes that need their network
(Population, PopulationView, Assembly, Projection, StaticSynapse for its default delay)
are subclassed per backend with their own ``_simulator``; cell types, connectors and
current sources need none and are shared.
"""

from __future__ import annotations

import logging
from typing import Any

from pyNN import common
from pyNN.connectors import FixedProbabilityConnector
from pyNN.recording import get_io
from pyNN.standardmodels import StandardCellType

from spinstream.pyNN import _cells
from spinstream.pyNN import _plasticity as _plast
from spinstream.pyNN import _populations as _pops
from spinstream.pyNN import _projections as _proj
from spinstream.pyNN._state import Simulator, State

__all__ = ["Backend"]

logger = logging.getLogger("spinstream.pyNN")

#: Keywords of ``setup()`` that configure the runtime.
_RUNTIME_KEYS = ("mode", "time_scale_factor", "board", "clock", "mapper")


def _bound(base: type, simulator: Simulator, **attrs: Any) -> type:
    attrs = {
        "_simulator": simulator,
        "__doc__": base.__doc__,
        "__module__": "spinstream.pyNN",
        **attrs,
    }
    return type(base.__name__, (base,), attrs)


class Backend:
    """PyNN's classes and functions for one network (one :class:`State`)."""

    def __init__(self, state: State | None = None) -> None:
        self.state = state if state is not None else State()
        sim = self.simulator = Simulator(self.state)
        self.Assembly = _bound(_pops.Assembly, sim)
        self.PopulationView = _bound(_pops.PopulationView, sim, _assembly_class=self.Assembly)
        self.Population = _bound(
            _pops.Population, sim, _assembly_class=self.Assembly, _view_class=self.PopulationView
        )
        self.StaticSynapse = _bound(_proj.StaticSynapse, sim)
        self.Projection = _bound(_proj.Projection, sim, _static_synapse_class=self.StaticSynapse)
        self.STDPMechanism = _bound(_plast.STDPMechanism, sim)
        self.TsodyksMarkramSynapse = _bound(_plast.TsodyksMarkramSynapse, sim)
        self.SimpleStochasticSynapse = _bound(_plast.SimpleStochasticSynapse, sim)
        run, run_until = common.build_run(sim)
        self.run = run
        self.run_until = run_until
        self.run_for = run
        self.reset = common.build_reset(sim)
        (
            self.get_current_time,
            self.get_time_step,
            _min_delay,
            _max_delay,
            self.num_processes,
            self.rank,
        ) = common.build_state_queries(sim)
        self.create = common.build_create(self.Population)
        self.connect = common.build_connect(
            self.Projection, FixedProbabilityConnector, self.StaticSynapse
        )
        self.record = common.build_record(sim)
        self.initialize = common.initialize
        self.set = common.set

    # -- set-up and tear-down -------------------------------------------------------------

    def setup(
        self,
        timestep: float = common.control.DEFAULT_TIMESTEP,
        min_delay: float | str = common.control.DEFAULT_MIN_DELAY,
        **extra_params: Any,
    ) -> int:
        """Start a new network (any previous one is ended).

        Parameters
        ----------
        timestep
            Time step (ms).
        min_delay, max_delay
            Delay bounds (ms) or ``"auto"`` (one time step; no upper bound).
        seed, rng_seed
            Seed of the board's random generators (Poisson sources, noise).
        n_boards, n_boards_required
            Number of boards of the virtual machine (default: as many as needed).
        chunk
            Chunk length (ms) of the run loop (default 10 ms); results do not depend on it.
        threads
            Threads the engine runs the board's cores on (default 1, as pyNN.nest); the
            spikes and traces are the same bit for bit for every number.
        mode, time_scale_factor, board, clock, mapper
            Passed to :class:`spinstream.session.Runtime`.

        Other keywords (other backends' options) are accepted and ignored.
        """
        from spinstream.session import Runtime

        common.setup(timestep, min_delay, **extra_params)
        if not (isinstance(timestep, (int, float)) and timestep > 0):
            raise ValueError(f"timestep must be a positive number of ms, got {timestep!r}")
        max_delay = extra_params.pop("max_delay", common.control.DEFAULT_MAX_DELAY)
        if max_delay != "auto" and float(max_delay) < timestep:
            raise ValueError(f"max_delay ({max_delay} ms) must be >= timestep ({timestep} ms)")
        seed = extra_params.pop("seed", extra_params.pop("rng_seed", None))
        n_boards = extra_params.pop("n_boards", extra_params.pop("n_boards_required", None))
        chunk = float(extra_params.pop("chunk", 10.0))
        threads = extra_params.pop("threads", None)
        runtime_kw = {k: extra_params.pop(k) for k in _RUNTIME_KEYS if k in extra_params}
        if extra_params:
            logger.debug("setup(): ignoring options of other backends: %s", sorted(extra_params))
        runtime = Runtime(
            dt=float(timestep),
            chunk_steps=max(1, round(chunk / timestep)),
            seed=seed,
            n_boards=n_boards,
            threads=threads,
            **runtime_kw,
        )
        self._stop_serving()
        self.end_writes()
        self.state.start(runtime, timestep, min_delay, max_delay)
        return 0

    def end_writes(self) -> None:
        """Write the files asked for with ``record(..., to_file=...)``."""
        state = self.state
        pending, state.write_on_end = list(state.write_on_end), []
        for obj, variables, target in pending:
            io = get_io(target) if isinstance(target, str) else target
            obj.write_data(io, variables)

    def serve(self, address: str = "tcp://127.0.0.1:*", *, views: Any = (), **options: Any) -> Any:
        """Serve the network's streams and live input over ZeroMQ; returns the endpoints.

        The bridge runs on a thread of its own: streams flow and input is applied while
        ``run()`` runs; between runs it answers ``describe``.  ``views``: PopulationViews
        or Assemblies to serve besides the populations; ``options``: those of
        :func:`spinstream.bridge.serve`.  ``end()`` or the next ``setup()`` stops it.
        """
        from spinstream.bridge._frontend import serve_blocking

        self._stop_serving()
        state = self.state
        runtime = state.require_runtime()
        self._bridge: Any = serve_blocking(
            runtime, state.populations, address, views, projections=state.projections, **options
        )
        return self._bridge.endpoints

    def _stop_serving(self) -> None:
        bridge = getattr(self, "_bridge", None)
        self._bridge = None
        if bridge is not None:
            bridge.close()

    def end(self, compatible_output: bool = True) -> None:
        """Write pending files and release the board; the network cannot run again."""
        if self.state.runtime is None:
            return
        self._stop_serving()
        self.end_writes()
        self.state.runtime_close()

    def get_min_delay(self) -> float:
        """Smallest allowed delay (ms); with ``min_delay="auto"``, the smallest one in use."""
        state = self.state
        if state.auto_min_delay and state.smallest_delay is not None:
            return state.smallest_delay
        return state.min_delay

    def get_max_delay(self) -> float:
        """Largest allowed delay (ms); with ``max_delay="auto"``, the largest one in use."""
        state = self.state
        if state.max_delay is not None:
            return state.max_delay
        return max(state.largest_delay, state.min_delay)

    def list_standard_models(self) -> list[str]:
        """Names of the standard cell types this backend runs."""
        return sorted(
            name
            for name in _cells.__all__
            if isinstance(getattr(_cells, name), type)
            and issubclass(getattr(_cells, name), StandardCellType)
        )
