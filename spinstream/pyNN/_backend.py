"""The PyNN API bound to one network: classes and control functions over one State.

``spinstream.pyNN`` is one :class:`Backend` (the global network of ``setup()``);
``spinstream.Session`` makes another per session.  Classes that need their network
(Population, PopulationView, Assembly, Projection, StaticSynapse for its default delay)
are subclassed per backend with their own ``_simulator``; cell types, connectors and
current sources need none and are shared.
"""

from __future__ import annotations

import logging
import math
import numbers
from typing import Any

from pyNN import common
from pyNN.connectors import FixedProbabilityConnector
from pyNN.recording import get_io

from spinstream.pyNN import _cells
from spinstream.pyNN import _plasticity as _plast
from spinstream.pyNN import _populations as _pops
from spinstream.pyNN import _projections as _proj
from spinstream.pyNN._state import Simulator, State, check_delay_bounds, check_views

__all__ = ["Backend"]

logger = logging.getLogger("spinstream.pyNN")

#: Keywords of ``setup()`` that configure the runtime.
_RUNTIME_KEYS = ("mode", "time_scale_factor", "board", "clock", "mapper")


def _one_of(options: dict[str, Any], name: str, synonym: str) -> Any:
    """Pop an option given under either of two names; different values under both raise."""
    a = options.pop(name, None)
    b = options.pop(synonym, None)
    if a is not None and b is not None and a != b:
        raise ValueError(f"setup(): {name}={a!r} and {synonym}={b!r} disagree; give one")
    return a if a is not None else b


#: Other simulators' setup() options that change nothing here: accepted with a warning.
_INERT_OPTIONS = {
    "db_name": "PyNN 0.7's benchmark database name; nothing reads it",
    "t_flush": "NEST's flush time for off-grid spikes; spikes are on the grid here",
    "verbosity": "NEST's and NEURON's log level",
    "filename": "the file that PyNN's NeuroML and NineML exports write",
    "file": "the file that PyNN's NeuroML export writes",
    "label": "the model label of PyNN's NeuroML and NineML exports",
}


def _check_foreign_options(options: dict[str, Any]) -> None:
    """Other simulators' ``setup()`` options: honoured, documented as met, or refused."""
    precision = options.pop("spike_precision", "on_grid")
    if precision != "on_grid":
        raise ValueError(
            f"setup(): spike_precision={precision!r} is not supported: spinstream runs every "
            "spike on the time grid (SpikeSourceArray times go to the nearest step); use "
            "spike_precision='on_grid' or a smaller timestep"
        )
    chips = options.pop("n_chips_required", None)
    if chips is not None and not (isinstance(chips, int) and chips > 0):
        raise ValueError(f"setup(): n_chips_required must be a positive integer, got {chips!r}")
    inert = {k: options.pop(k) for k in _INERT_OPTIONS if k in options}
    if options:
        name = sorted(options)[0]
        raise TypeError(
            f"setup(): unknown option {name}={options[name]!r} (spinstream takes timestep, "
            "min_delay, max_delay, seed, rng_seed, n_boards, n_boards_required, chunk, threads, "
            "weight_bits, "
            f"spike_precision='on_grid', n_chips_required, {', '.join(_RUNTIME_KEYS)})"
        )
    if inert:
        # Said, not silently dropped: scripts written for other backends pass these.
        logger.warning(
            "setup(): %s: no effect on spinstream (%s)",
            ", ".join(f"{k}={v!r}" for k, v in inert.items()),
            "; ".join(_INERT_OPTIONS[k] for k in inert),
        )


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
            Delay bounds (ms) or ``"auto"`` (one time step; the board's longest delay, 16383
            steps: 1638.3 ms at 0.1 ms).
        seed, rng_seed
            Seed of the board's random generators (Poisson sources, noise): an integer >= 0
            (both names may be given only with the same value).
        n_boards, n_boards_required
            Number of boards of the virtual machine (default: as many as needed).
        chunk
            Chunk length (ms, >= timestep, rounded to whole steps) of the run loop (default
            10 ms); results do not depend on it.
        threads
            Threads the engine runs the board's cores on (default 1, as pyNN.nest); the
            spikes and traces are the same bit for bit for every number.
        weight_bits
            Bits of each stored static weight: 32 (default) or 16 (opt-in, networks of
            static synapses only: 4 bytes a synapse instead of 6 for blocks of many distinct
            weights, each rounded to 16 bits of its block's largest; docs/GUIDE.md).
            Left out with a ``board`` of your own: that board's.
        mode, time_scale_factor, board, clock, mapper
            Passed to :class:`spinstream.session.Runtime`.
        spike_precision
            ``"on_grid"`` (what spinstream does: every spike lies on a time step);
            ``"off_grid"`` (NEST's exact spike times) is refused.
        n_chips_required
            sPyNNaker's machine size request: checked (a positive integer); the virtual
            machine always grows to what the network needs.

        db_name, t_flush, verbosity, filename, file, label
            Other simulators' options that mean nothing here: accepted, with one warning
            naming them (scripts written for those simulators pass them).

        Any other keyword raises ``TypeError`` (no option is silently accepted and ignored).
        """
        from spinstream.session import Runtime

        if not (isinstance(timestep, (int, float)) and math.isfinite(timestep) and timestep > 0):
            raise ValueError(f"timestep must be a finite, positive number of ms, got {timestep!r}")
        max_delay = extra_params.pop("max_delay", common.control.DEFAULT_MAX_DELAY)
        check_delay_bounds(float(timestep), min_delay, max_delay)
        common.setup(timestep, min_delay, **extra_params)
        seed: Any = _one_of(extra_params, "seed", "rng_seed")
        if seed is not None:
            if not (isinstance(seed, numbers.Integral) and not isinstance(seed, bool)) or seed < 0:
                raise ValueError(f"setup(): seed must be an integer >= 0, got {seed!r}")
            seed = int(seed)
        n_boards = _one_of(extra_params, "n_boards", "n_boards_required")
        chunk: Any = extra_params.pop("chunk", 10.0)
        if not (isinstance(chunk, numbers.Real) and not isinstance(chunk, bool)) or not (
            math.isfinite(chunk) and float(chunk) >= timestep
        ):
            raise ValueError(
                f"setup(): chunk must be a finite number of ms >= timestep ({timestep}), "
                f"got {chunk!r}"
            )
        chunk = float(chunk)
        threads = extra_params.pop("threads", None)
        weight_bits = extra_params.pop("weight_bits", None)
        runtime_kw = {k: extra_params.pop(k) for k in _RUNTIME_KEYS if k in extra_params}
        _check_foreign_options(extra_params)
        runtime = Runtime(
            dt=float(timestep),
            chunk_steps=max(1, round(chunk / timestep)),
            seed=seed,
            n_boards=n_boards,
            threads=threads,
            weight_bits=weight_bits,
            **runtime_kw,
        )
        self._stop_serving()
        self.end_writes()
        self.state.start(runtime, timestep, min_delay, max_delay)
        self.state.mode_given = "mode" in runtime_kw
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
        from spinstream.bridge import serve_blocking

        self._stop_serving()
        state = self.state
        runtime = state.require_runtime()
        check_views(self.simulator, views)
        self._bridge: Any = serve_blocking(
            runtime, state.populations, address, views, projections=state.projections, **options
        )
        return self._bridge.endpoints

    def wait_for(self, *, gates: int = 0, clients: int = 0, timeout: float | None = 10.0) -> None:
        """Wait until the bridge of :meth:`serve` holds ``gates`` gates and knows ``clients``.

        A client counts once it has sent a request; a gate is a client's lock-step
        subscription.  For a script that must not ``run()`` before its remote controller is there:
        ``sim.serve(); sim.wait_for(gates=1, timeout=30); sim.run(1000.0)``.  Raises
        ``TimeoutError`` saying what was reached after ``timeout`` seconds (``None``: wait
        for ever), ``RuntimeError`` when nothing is served.
        """
        bridge = getattr(self, "_bridge", None)
        if bridge is None:
            raise RuntimeError("wait_for: nothing is served; call serve() first")
        bridge.wait_for(gates=gates, clients=clients, timeout=timeout)

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
        return sorted(_cells.CELL_TYPES)
