"""PyNN's simulator state for one network: the Runtime it runs on plus PyNN's bookkeeping.

PyNN's ``common`` classes reach their simulator through a ``_simulator`` namespace with a
``state`` and a ``name``.  Here that namespace is a :class:`Simulator` object, and there may
be several: the global one behind ``spinstream.pyNN.setup()`` and one per
``spinstream.Session``.  Each gets its own classes (see ``_backend``), so objects of one
network never reach into another.
"""

from __future__ import annotations

import logging
import math
from typing import TYPE_CHECKING, Any

import numpy as np
from pyNN import errors
from pyNN.common.control import BaseState

from spinstream.board import MAX_DELAY_STEPS

if TYPE_CHECKING:
    from spinstream.session import Runtime

__all__ = [
    "Simulator",
    "StaleObjectError",
    "State",
    "check_delay_bounds",
    "check_network",
    "check_views",
]

logger = logging.getLogger("spinstream.pyNN")

#: Delay range checks and time rounding allow this fraction of a step of float error.
_EPS = 1e-6


class StaleObjectError(errors.ConnectionError):  # type: ignore[misc]
    """An object of an earlier ``setup()`` (or another session) was used with this one."""


def check_delay_bounds(dt: float, min_delay: float | str, max_delay: float | str) -> None:
    """Raise ``ValueError`` unless the delay bounds (ms or ``"auto"``) suit the time step."""
    bounds = {}
    for name, value in (("min_delay", min_delay), ("max_delay", max_delay)):
        if value == "auto":
            continue
        if isinstance(value, bool) or not isinstance(value, (int, float, np.number)):
            raise ValueError(f"{name} must be a number of ms or 'auto', got {value!r}")
        if not math.isfinite(value) or value < dt * (1 - _EPS):
            raise ValueError(
                f"{name} ({value!r} ms) must be a finite number of ms >= the time step ({dt} ms)"
            )
        bounds[name] = float(value)
    if len(bounds) == 2 and bounds["min_delay"] > bounds["max_delay"]:
        raise ValueError(f"min_delay ({min_delay} ms) must be <= max_delay ({max_delay} ms)")


def check_views(simulator: Any, views: Any, where: str = "serve(views=...)") -> None:
    """:func:`check_network` for each front-end object among ``views`` (bridge Views pass)."""
    for v in views:
        if hasattr(v, "_index_array") or hasattr(v, "populations"):
            check_network(simulator, v, where)


def check_network(simulator: Any, obj: Any, where: str) -> None:
    """Raise :class:`StaleObjectError` unless ``obj`` belongs to ``simulator``'s network.

    ``obj`` is a Population, PopulationView or Assembly (every member is checked).  Cells
    of another session, or of an earlier ``setup()``, would otherwise be read by their
    indices in this network's populations.
    """
    for m in getattr(obj, "populations", None) or [obj]:
        if getattr(m, "_simulator", None) is not simulator:
            raise StaleObjectError(
                f"{where}: {getattr(m, 'label', m)!r} belongs to another network "
                "(another session, or an earlier setup())"
            )
        m._runtime  # noqa: B018 - raises for a population of an ended network


class State(BaseState):  # type: ignore[misc]
    """One network: a :class:`~spinstream.session.Runtime` and what PyNN keeps beside it.

    Attributes
    ----------
    runtime
        The runtime that builds, maps and runs the network (``None`` before ``setup()``).
    dt
        Time step (ms).
    min_delay, max_delay
        Delay bounds (ms); ``max_delay`` is ``None`` when no bound was given.
    """

    def __init__(self) -> None:
        super().__init__()
        self.mpi_rank = 0
        self.num_processes = 1
        self.runtime: Runtime | None = None
        #: whether setup() was given ``mode=`` (live I/O paces a run only when it was not)
        self.mode_given = False
        self.dt = 0.1
        self.min_delay = 0.1
        self.max_delay: float | None = None
        self.id_counter = 0
        self.segment_counter = 0
        self.populations: list[Any] = []
        self.projections: list[Any] = []
        self.largest_delay = 0.0
        self.smallest_delay: float | None = None
        self.auto_min_delay = True

    # -- lifecycle ---------------------------------------------------------------------

    def start(
        self,
        runtime: Runtime,
        timestep: float,
        min_delay: float | str = "auto",
        max_delay: float | str = "auto",
    ) -> None:
        """Begin a new network on ``runtime``; objects of the previous one become stale."""
        from spinstream.board import mpi_processes

        self.runtime_close()
        self.runtime = runtime
        # rank() and num_processes(), as in pyNN.nest: the processes the board spans
        self.mpi_rank, self.num_processes = mpi_processes(runtime.board)
        self.dt = float(timestep)
        self.auto_min_delay = min_delay == "auto"
        self.min_delay = self.dt if self.auto_min_delay else float(min_delay)
        self.max_delay = None if max_delay == "auto" else float(max_delay)
        self.running = False
        self.t_start = 0.0
        self.write_on_end: list[tuple[Any, Any, Any]] = []
        self.recorders: set[Any] = set()
        self.id_counter = 0
        self.segment_counter = 0
        self.populations = []
        self.projections = []
        self.largest_delay = 0.0
        self.smallest_delay = None

    def runtime_close(self) -> None:
        """Release the runtime's board: the network cannot run again, its data stays."""
        if self.runtime is not None:
            self.runtime.close()

    def require_runtime(self) -> Runtime:
        """Return the runtime, or raise a clear error when ``setup()`` was not called."""
        if self.runtime is None:
            raise RuntimeError(
                "spinstream.pyNN: call setup() before creating populations or running"
            )
        return self.runtime

    # -- time ----------------------------------------------------------------------------

    @property
    def t(self) -> float:
        """Current simulated time (ms)."""
        return 0.0 if self.runtime is None else float(self.runtime.time)

    def steps_until(self, tstop: float) -> int:
        """Count the steps from now until ``tstop`` (ms), which must not lie in the past."""
        runtime = self.require_runtime()
        target = tstop / self.dt
        if not math.isfinite(target):  # before round(), which cannot take NaN or inf
            raise ValueError(f"run time must be finite, got {tstop!r} ms")
        stop = round(target)
        if stop < runtime.step:
            raise ValueError(f"time {tstop} ms is in the past (current time {self.t} ms)")
        return int(stop - runtime.step)

    def run_until(self, tstop: float) -> None:
        """Run (blocking) until ``tstop`` ms."""
        n = self.steps_until(tstop)
        self.running = True
        if n > 0:
            self.require_runtime().run_steps_blocking(n)

    def run(self, simtime: float) -> None:
        """Run (blocking) for ``simtime`` ms."""
        self.run_until(self.t + simtime)

    def reset(self) -> None:
        """Back to t = 0 with a new recording segment."""
        runtime = self.require_runtime()
        runtime.reset()  # spike arrays replay their current spike_times
        self.running = False
        self.t_start = 0.0
        self.segment_counter += 1

    # -- delays --------------------------------------------------------------------------

    def delay_steps(self, delays: Any, what: str) -> Any:
        """Delays (ms, array) -> whole steps, checked against [dt, max_delay].

        ``what`` names the projection in the error message.
        """
        d = np.asarray(delays, dtype=np.float64)
        if d.size == 0:
            return d.astype(np.int64)
        lo = float(d.min())
        hi = float(d.max())
        # the board's longest delay bounds every network, max_delay or not (a delay past
        # it was accepted here and refused at every run after, which no call could undo)
        longest = MAX_DELAY_STEPS * self.dt
        if self.max_delay is not None and self.max_delay < longest:
            bound, why = self.max_delay, f"{self.max_delay} ms (max_delay)"
        else:
            bound = longest
            why = f"{longest:g} ms (the board's longest delay, {MAX_DELAY_STEPS} steps)"
        if (
            not (np.isfinite(lo) and np.isfinite(hi))
            or lo < self.dt * (1 - _EPS)
            or hi > bound * (1 + _EPS)
        ):
            bad = lo if lo < self.dt * (1 - _EPS) or not np.isfinite(lo) else hi
            raise errors.ConnectionError(
                f"{what}: delay {bad} ms is outside the allowed range "
                f"[{self.dt} ms (one time step), {why}]"
            )
        self.largest_delay = max(self.largest_delay, hi)
        self.smallest_delay = lo if self.smallest_delay is None else min(self.smallest_delay, lo)
        return np.rint(d / self.dt).astype(np.int64)


class Simulator:
    """The ``_simulator`` namespace that PyNN's common classes expect (``state``, ``name``)."""

    name = "spinstream"

    def __init__(self, state: State) -> None:
        self.state = state
