"""The Runtime: one network, one Board, and the chunk loop that makes it live.

The network is built through the ``add_*`` methods (plain specs, no PyNN objects), mapped
with ``spinstream.mapping.map_network`` and loaded on the board on the first run.  A run
advances in chunks of ``chunk_steps`` steps; each chunk runs in a worker thread so the
event loop stays live (in fast mode the next chunk waits queued behind the running one, so
the worker never waits for the loop: see
:meth:`~spinstream.session._pipeline.ChunkPipeline.run_ahead`), and after it the runtime

1. records what the user asked to record (lossless, :class:`~spinstream.recording.Recorder`),
2. hands every open subscription its own batch (bounded buffers, drop oldest),
3. paces: real time sleeps until the wall clock catches up with simulated time, lock-step
   waits until every lock-step subscriber has asked for its next batch,
4. applies the input that arrived meanwhile, at the next chunk's first step.

Input with an explicit future step is applied exactly at that step: the chunk that
contains the step is run as two board calls split there (results do not depend on how
the board's runs are cut), and is still streamed as one chunk.

Streams over several populations (PyNN views of several populations, assemblies) are
made here, not by composing per-population streams: ``subscribe_*`` take either a
population id with neuron indices, or a list of ``(population id, indices)`` parts (or a
:class:`~spinstream.streams.Selection`); a batch numbers the cells by their position in
that list.  So an assembly's stream is one subscription with one batch per chunk, one
buffer and one lock-step gate.

The parts: :class:`~spinstream.session._inputs.InputQueue` (``_inputs.py``) validates
input and holds it until its step (pending and timed input); the
:class:`~spinstream.session._pipeline.ChunkPipeline` (``_pipeline.py``) makes chunks from it,
runs them (read-ahead, recall), retires them and paces; the Runtime builds and loads the
network, routes recordings and streams, and drives the run loop.  Its public input methods
delegate to the queue.

Threads: everything but ``Board.run`` (and loading) happens on the event loop's thread.
The board is touched only when no chunk is in flight; inputs given while one is are
queued.  Reading state (``get_state``) while a chunk is in flight raises, since the only
consistent answer would be stale; state streams are the live way to watch it.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt

from spinstream._indices import has_repeats
from spinstream.board import Board
from spinstream.model import (
    CurrentSourceSpec,
    EngineError,
    MappingPlan,
    NetworkSpec,
    ParameterError,
    PopulationSpec,
    ProjectionSpec,
)
from spinstream.recording import Recorder
from spinstream.session._checks import (
    check_indices,
    check_interval,
    check_pop,
)
from spinstream.session._clock import Clock, MonotonicClock
from spinstream.session._inputs import InputQueue
from spinstream.session._pipeline import ChunkPipeline
from spinstream.session._routing import BoardSelection, Routing
from spinstream.session._stats import Statistics, TimingRing
from spinstream.session._worker import (
    Worker,
    responsive_loop,
)
from spinstream.streams import (
    Selection,
    SpikeBatch,
    StateBatch,
    Subscription,
    as_selection,
)

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
Mapper = Callable[[NetworkSpec], MappingPlan]
SelectionLike = int | Sequence[tuple[int, npt.ArrayLike]] | Selection
T = TypeVar("T")

MODES = ("fast", "realtime", "lockstep")


def _default_mapper(spec: NetworkSpec) -> MappingPlan:
    from spinstream.mapping import map_network

    plan: MappingPlan = map_network(spec, n_boards=spec.n_boards)
    return plan


def _default_board(threads: int | None = None, weight_bits: int = 32) -> Board:
    try:
        from spinstream.board import HostBoard
    except ImportError as exc:  # pragma: no cover - only before the C engine exists
        raise EngineError(
            "no board was given and spinstream.board.HostBoard is not available"
        ) from exc
    kw: dict[str, Any] = {} if threads is None else {"threads": threads}
    board: Board = HostBoard(weight_bits=weight_bits, **kw)
    return board


def _board_option(
    name: str,
    value: object,
    board: Board | None,
    valid: Callable[[int], bool],
    what: str,
    error: type[Exception],
    unit: str,
    usual: int,
) -> int | None:
    """Validate a board option asked of the runtime (None: the board's own, or its default).

    ``valid`` says which whole numbers are allowed and ``what`` names them in the error; with
    a board of one's own, the value must be the board's (``usual`` where the board does not
    say; ``unit`` names it in the error).
    """
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or not valid(int(value)):
        raise error(f"{name} must be {what}, got {value!r}")
    if board is not None:
        own = getattr(board, name, usual)
        if own != value:
            raise error(
                f"{name}={value} was given with a board that {unit.format(own)} "
                f"({type(board).__name__}): give the board its {name} instead, e.g. "
                f"HostBoard({name}=...)"
            )
    return int(value)


def _check_weight_bits(weight_bits: object, board: Board | None) -> int:
    """Validate ``weight_bits`` (16 or 32; None: the board's own, or the default board's 32)."""
    bits = _board_option(
        "weight_bits",
        weight_bits,
        board,
        lambda v: v in (16, 32),
        "16 or 32 (bits per stored static weight)",
        ParameterError,
        "stores {}-bit weights",
        32,
    )
    if bits is None:
        return int(getattr(board, "weight_bits", 32)) if board is not None else 32
    return bits


def _check_threads(threads: object, board: Board | None) -> int | None:
    """Validate ``threads`` (None: the board's own, or the default board's default)."""
    return _board_option(
        "threads",
        threads,
        board,
        lambda v: 1 <= v <= 1024,  # HostBoard's bound (MAX_THREADS)
        "a whole number in [1, 1024]",
        ValueError,
        "runs on {} thread(s)",
        1,
    )


class Runtime:
    """One network under construction, one Board, and the chunk loop.

    Parameters
    ----------
    dt
        Time step (ms).
    chunk_steps
        Steps per chunk: the granularity of streaming, pacing and live input.
    mode
        ``"fast"`` (as fast as possible), ``"realtime"`` (wall clock follows simulated
        time times ``time_scale_factor``; late chunks are counted as overruns) or
        ``"lockstep"`` (a chunk starts only when every lock-step subscriber has asked for
        its next batch).
    time_scale_factor
        Real-time mode: wall-clock seconds per simulated second.
    seed
        Seed of the board's random generators (``None``: drawn from the OS).
    n_boards
        Boards of the virtual machine (``None``: as many as the network needs).
    board
        The board to run on (default: ``spinstream.board.HostBoard()``).
    threads
        Threads of the default board (``HostBoard(threads=...)``; ``None``: its default,
        1).  Results do not depend on it.  With a board of your own, leave it out or give
        the board's own number.
    weight_bits
        Bits of each stored static weight on the default board (``HostBoard(weight_bits=...)``):
        32 (default) or 16 (opt-in: 4 bytes a synapse where 6 were, weights rounded to 16
        bits of their block's largest; networks of static synapses only).  ``None``: the
        board's own, or 32.  With a board of your own, leave it out or give the board's own.
    clock
        Clock for real-time pacing (default: :class:`MonotonicClock`).
    mapper
        ``spec -> MappingPlan`` (default: ``spinstream.mapping.map_network``).
    inline_below_us
        A chunk expected (from the previous ones) to take less board time than this
        runs on the event loop's thread instead of the worker thread: handing a chunk
        to a thread and back costs tens of microseconds, more than such a chunk, and
        blocking the loop that briefly does not make it less responsive.  ``0``: always
        use the worker thread.
    lockstep_timeout
        Lock-step mode: seconds a chunk waits for a lock-step subscriber to ask for its
        next batch before the run fails with
        :class:`~spinstream.model.LockstepTimeoutError` naming the stream and the chunk
        (``None``: wait for ever).
    """

    def __init__(
        self,
        *,
        dt: float = 0.1,
        chunk_steps: int = 10,
        mode: str = "fast",
        time_scale_factor: float = 1.0,
        seed: int | None = None,
        n_boards: int | None = None,
        board: Board | None = None,
        clock: Clock | None = None,
        mapper: Mapper | None = None,
        inline_below_us: float = 100.0,
        lockstep_timeout: float | None = 60.0,
        threads: int | None = None,
        weight_bits: int | None = None,
    ) -> None:
        self._threads = _check_threads(threads, board)
        self._weight_bits = _check_weight_bits(weight_bits, board)
        if not (isinstance(dt, int | float) and math.isfinite(dt) and dt > 0):
            raise ValueError(f"dt must be a positive number of ms, got {dt!r}")
        if mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(map(repr, MODES))}, got {mode!r}")
        if not (
            isinstance(time_scale_factor, int | float)
            and math.isfinite(time_scale_factor)
            and time_scale_factor > 0
        ):
            raise ValueError(
                f"time_scale_factor must be a positive number, got {time_scale_factor!r}"
            )
        if lockstep_timeout is not None and not (
            isinstance(lockstep_timeout, int | float)
            and not isinstance(lockstep_timeout, bool)
            and lockstep_timeout > 0
        ):
            raise ValueError(
                f"lockstep_timeout must be a positive number of seconds or None, "
                f"got {lockstep_timeout!r}"
            )
        self.lockstep_timeout = None if lockstep_timeout is None else float(lockstep_timeout)
        if n_boards is not None and (not isinstance(n_boards, int) or n_boards < 1):
            raise ValueError(f"n_boards must be a positive integer or None, got {n_boards!r}")
        if seed is None:
            seed = int(np.random.SeedSequence().entropy % (2**31 - 1))  # type: ignore[operator]
            if board is None or getattr(board, "processes", 1) > 1:
                from spinstream.board import mpi_agreed_seed

                seed = mpi_agreed_seed(seed)  # over MPI processes: rank 0's, on every rank
        self.spec = NetworkSpec(dt=float(dt), seed=int(seed), n_boards=n_boards)
        self.chunk_steps = chunk_steps
        self.mode = mode
        self.time_scale_factor = float(time_scale_factor)
        self.clock: Clock = clock if clock is not None else MonotonicClock()
        self.recorder = Recorder()
        self._board = board
        self._mapper: Mapper = mapper if mapper is not None else _default_mapper
        self._plan: MappingPlan | None = None
        self._loaded = False
        self._loading = False
        self._stale = False  # the network changed since it was loaded
        self._step = 0
        self._running = False
        #: The task awaiting the run in progress (``None`` between runs).
        self.run_task: asyncio.Task[Any] | None = None
        self._inline = False
        self._worker = Worker(inline_below_us)
        self._closed = False
        self._inputs = InputQueue(self)
        self._pipeline = ChunkPipeline(self, self._worker)
        # recording and streams
        self._recording: dict[tuple[int, str], tuple[IntArray, int]] = {}
        self._subs: list[Subscription[SpikeBatch] | Subscription[StateBatch]] = []
        self._all_subs: list[Subscription[SpikeBatch] | Subscription[StateBatch]] = []
        self._closed_drops = 0  # batches dropped by subscriptions since closed
        self._closed_subs = 0
        self._run_hooks: list[Any] = []  # see add_run_hook
        self._routing = Routing({}, [])
        self._routing_dirty = False
        # added while the board could not check them (not loaded, or a chunk in flight)
        self._unchecked_subs: list[Subscription[Any]] = []
        self._unchecked_rec: dict[tuple[int, str], tuple[IntArray, int] | None] = {}
        self._board_sel: dict[tuple[int, str], BoardSelection] = {}
        #: When set, :meth:`run_steps_blocking` hands each run to it instead of starting a
        #: fresh event loop: ``blocking_runner(make_run)`` must await ``make_run()`` (a
        #: coroutine of ``run_steps``) to its end on a loop of its own.  The ZeroMQ bridge
        #: of the blocking API sets it so that runs happen on the bridge's loop thread.
        self.blocking_runner: Callable[[Callable[[], Any]], None] | None = None
        #: Called (no arguments) on the loop's thread when a run ends, completed or not,
        #: after the last chunk was handed to the subscribers (the ZeroMQ bridge publishes
        #: what is left and an end-of-run message).
        self.run_listeners: list[Callable[[], None]] = []

    # ================================================================== properties
    @property
    def dt(self) -> float:
        """Time step (ms)."""
        return self.spec.dt

    @property
    def chunk_steps(self) -> int:
        """Steps per chunk (may be changed between runs)."""
        return self._chunk_steps

    @chunk_steps.setter
    def chunk_steps(self, value: int) -> None:
        if not isinstance(value, int | np.integer) or isinstance(value, bool) or value < 1:
            raise ValueError(f"chunk_steps must be a positive integer, got {value!r}")
        self._chunk_steps = int(value)

    @property
    def step(self) -> int:
        """Steps completed (at the end of the last completed chunk)."""
        return self._step

    @property
    def time(self) -> float:
        """Simulated time (ms) at the end of the last completed chunk."""
        return self._step * self.spec.dt

    @property
    def loaded(self) -> bool:
        """Whether the current network is loaded on the board."""
        return self._loaded and not self._stale

    @property
    def plan(self) -> MappingPlan | None:
        """The mapping plan of the loaded network (``None`` before the first run)."""
        return self._plan

    @property
    def board(self) -> Board | None:
        """The board (``None`` until given or first needed)."""
        return self._board

    @property
    def weight_bits(self) -> int:
        """Bits of each stored static weight: 32, or 16 (``HostBoard(weight_bits=16)``).

        The board's own, or those asked for its default board.
        """
        return self._weight_bits

    @property
    def threads(self) -> int:
        """Threads the board runs on (its own, or those asked for its default board)."""
        if self._board is not None:
            return int(getattr(self._board, "threads", 1))
        return self._threads or 1

    @property
    def running(self) -> bool:
        """Whether a run is in progress."""
        return self._running

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` was called (what was recorded can still be read)."""
        return self._closed

    @property
    def input_step(self) -> int:
        """The step at which input given now takes effect (the next chunk's first step).

        In fast mode a chunk may be queued behind the running one: input given now takes it
        back if it has not started, and lands in it (so this is its first step).
        """
        return self._pipeline.input_step

    @property
    def subscriptions(self) -> list[Subscription[SpikeBatch] | Subscription[StateBatch]]:
        """The open subscriptions."""
        return [s for s in self._subs if not s.closed]

    # ================================================================== building
    def check_open(self, what: str) -> None:
        """Raise ``RuntimeError`` if the session is closed (``what``: "running", ...)."""
        if self._closed:
            raise RuntimeError(
                f"{what[:1].upper()}{what[1:]} is not possible: the session is closed (its "
                "board was freed by close(), aclose() or end()); what it recorded can still "
                "be read with get_data()"
            )

    def _check_can_change_network(self, what: str) -> None:
        self.check_open(f"adding a {what}")
        if self._running:
            raise RuntimeError(f"cannot add a {what} while a run is in progress")
        if self._step > 0:
            raise RuntimeError(
                f"cannot add a {what} after the network has run (t = {self.time} ms); "
                "call reset() first"
            )
        if self._loaded:
            self._stale = True

    def add_population(self, p: PopulationSpec) -> int:
        """Add a population; returns its id, which must be the next dense id."""
        n = len(self.spec.populations)
        if p.id != n:
            raise ValueError(f"population ids are dense: expected id {n}, got {p.id}")
        if p.size < 1:
            raise ValueError(f"population {p.label!r} must have at least 1 neuron, got {p.size}")
        self._check_can_change_network("population")
        self.spec.populations.append(p)
        return p.id

    def withdraw_population(self, pop_id: int) -> None:
        """Take back the population just added (a front end refused it while it was made).

        Only the last population, before anything refers to it.
        """
        n = len(self.spec.populations)
        if pop_id != n - 1:
            raise ValueError(f"only the last population ({n - 1}) can be withdrawn, not {pop_id}")
        used = any(pop_id in (q.pre, q.post) for q in self.spec.projections) or any(
            pop == pop_id for c in self.spec.current_sources for pop, _ in c.targets
        )
        if used:
            raise ValueError(
                f"population {pop_id} cannot be withdrawn: a projection or current source uses it"
            )
        self.spec.populations.pop()

    def add_projection(self, p: ProjectionSpec) -> int:
        """Add a projection; returns its id, which must be the next dense id."""
        n = len(self.spec.projections)
        if p.id != n:
            raise ValueError(f"projection ids are dense: expected id {n}, got {p.id}")
        for role, pop in (("pre", p.pre), ("post", p.post)):
            check_pop(self.spec, pop, role)
        self._check_can_change_network("projection")
        self.spec.projections.append(p)
        return p.id

    def add_current_source(self, c: CurrentSourceSpec) -> int:
        """Add a current source; returns its id, which must be the next dense id."""
        n = len(self.spec.current_sources)
        if c.id != n:
            raise ValueError(f"current source ids are dense: expected id {n}, got {c.id}")
        for pop, idx in c.targets:
            check_indices(check_pop(self.spec, pop), idx)
        self._check_can_change_network("current source")
        self.spec.current_sources.append(c)
        return c.id

    # ================================================================== input
    def _live_board(self) -> Board:
        board = self._board
        if board is None:  # pragma: no cover - inputs reach the board only once loaded
            raise EngineError("no board is loaded")
        return board

    def _board_idle(self) -> bool:
        return (
            not self._closed
            and self._loaded
            and not self._stale
            and not self._loading
            and self._pipeline.in_flight is None
        )

    def note_answer(self, chunk: int, at: int, *, timed: bool) -> None:
        """Count input that answers chunk ``chunk`` and takes effect at step ``at``.

        For input whose sender says which chunk it answers (a ZeroMQ client's
        ``answer_to``); in-process answers are recognised by the task that gives them.
        ``timed``: the input named its step.  See ``Statistics.late_answers``.
        """
        self._inputs.note_answer(chunk, at, timed=timed)

    def set_parameters(
        self,
        pop: int,
        name: str,
        indices: npt.ArrayLike | None,
        values: npt.ArrayLike,
        *,
        at_step: int | None = None,
    ) -> int:
        """Set a parameter of some neurons; returns the step at which it takes effect.

        ``at_step=None``: at once between runs, or at the next chunk's first step while a
        run is in progress.  A future ``at_step`` is applied exactly at that step; a past
        one raises :class:`~spinstream.model.LateInputError`.
        """
        return self._inputs.set_parameters(pop, name, indices, values, at_step=at_step)

    def get_parameters(self, pop: int, name: str, indices: npt.ArrayLike | None) -> FloatArray:
        """Return current values of a parameter (including changes not yet in effect)."""
        return self._inputs.get_parameters(pop, name, indices)

    def set_state(
        self,
        pop: int,
        name: str,
        indices: npt.ArrayLike | None,
        values: npt.ArrayLike,
        *,
        at_step: int | None = None,
    ) -> int:
        """Overwrite a state variable (and its initial value, as PyNN's ``initialize``).

        Returns the step at which it takes effect (see :meth:`set_parameters`).
        """
        return self._inputs.set_state(pop, name, indices, values, at_step=at_step)

    def get_state(self, pop: int, name: str, indices: npt.ArrayLike | None) -> FloatArray:
        """Return current values of a state variable (initial values before the first run)."""
        return self._inputs.get_state(pop, name, indices)

    def schedule_spikes(
        self,
        pop: int,
        indices: npt.ArrayLike,
        stamps: npt.ArrayLike | None = None,
    ) -> int:
        """Make neurons of a spike source emit spikes stamped ``stamps`` (time = stamp*dt).

        ``stamps=None`` means the next chunk's first step (:attr:`input_step`).  Stamps
        before :attr:`input_step` raise :class:`~spinstream.model.LateInputError` and
        nothing is scheduled.  Returns the earliest stamp scheduled.
        """
        return self._inputs.schedule_spikes(pop, indices, stamps)

    def set_spike_times(
        self,
        pop: int,
        indices: npt.ArrayLike | None,
        times: Sequence[npt.ArrayLike],
        *,
        at_step: int | None = None,
    ) -> int:
        """Give neurons of a ``SpikeSourceArray`` new spike times (ms), one array per index.

        From the step it takes effect on (see :meth:`set_parameters`), those neurons emit
        the new times that lie ahead (stamp ``round(t/dt)`` after that step, or from 0 at
        step 0) instead of what they had not emitted yet; times before are the past.  The
        spec keeps the new lists, so :meth:`reset` replays them.  Returns the step.
        """
        return self._inputs.set_spike_times(pop, indices, times, at_step=at_step)

    def set_synapses(
        self,
        projection: int,
        indices: npt.ArrayLike | None = None,
        *,
        weight: npt.ArrayLike | None = None,
        delay_steps: npt.ArrayLike | None = None,
        at_step: int | None = None,
    ) -> int:
        """Change weights and/or delays of some synapses of a projection.

        ``indices`` are positions in the projection's spec order (``None``: all);
        ``weight`` (nA or uS, finite, ``>= 0``: the receptor gives the sign) and
        ``delay_steps`` (whole steps ``>= 1``, at most the board's ``max_delay_steps``) are
        one value or one per index.  Takes effect like :meth:`set_parameters`: spikes
        emitted from that step on use the new values, spikes on their way keep theirs.
        The spec keeps the new values (``reset`` keeps them too).  Plastic synapses: new
        weights replace the learned ones; their delays are fixed once loaded.  Returns
        the step at which the change takes effect.
        """
        return self._inputs.set_synapses(
            projection, indices, weight=weight, delay_steps=delay_steps, at_step=at_step
        )

    def set_current_source(
        self, source: int, params: dict[str, Any], *, at_step: int | None = None
    ) -> int:
        """Change parameters of a current source; returns the step they take effect."""
        return self._inputs.set_current_source(source, params, at_step=at_step)

    def set_current_recording(self, source: int, on: bool = True) -> int:
        """Record the current a source gives, step by step (``recorder.current(source)``).

        Each step's value is the current applied during it, averaged over the source's
        targets (a noisy source draws per target).  Starts with the next chunk, like any
        input; returns the first step recorded.
        """
        return self._inputs.set_current_recording(source, on)

    # ================================================================== recording, streams
    def set_recording(
        self,
        pop: int,
        variable: str,
        indices: npt.ArrayLike | None,
        interval_steps: int = 1,
    ) -> None:
        """Record ``variable`` (``"spikes"`` or a state variable) of some neurons.

        ``indices=None`` stops recording it.  Takes effect at the next chunk.
        """
        self.check_open("changing what is recorded")
        p = check_pop(self.spec, pop)
        if not isinstance(variable, str) or not variable:
            raise ValueError(f"variable must be a non-empty name, got {variable!r}")
        check_interval(interval_steps)
        key = (int(pop), variable)
        old = self._recording.get(key)
        if indices is None:
            self._recording.pop(key, None)
        else:
            idx = check_indices(p, indices)
            if has_repeats(idx):
                raise ValueError(f"indices recorded of population {p.label!r} repeat a neuron")
            idx.setflags(write=False)
            self._recording[key] = (idx, int(interval_steps))
        if not self._board_idle():
            self._unchecked_rec.setdefault(key, old)
        try:
            self._routing_changed()
        except Exception:
            if old is None:
                self._recording.pop(key, None)
            else:
                self._recording[key] = old
            self._routing_changed()
            raise
        if indices is not None:
            self.recorder.note_selection(key[0], variable, self._recording[key][0], interval_steps)

    def subscribe_spikes(
        self,
        pop: SelectionLike,
        indices: npt.ArrayLike | None = None,
        *,
        maxlen: int = 64,
        lockstep: bool = False,
    ) -> Subscription[SpikeBatch]:
        """Stream the spikes of some cells: one :class:`SpikeBatch` per chunk.

        ``pop`` is a population id (with ``indices``, default all neurons), or a list of
        ``(population id, indices)`` parts.  The buffer keeps ``maxlen`` batches and
        drops the oldest when full.
        """
        self._check_lockstep(lockstep)
        sel = as_selection(pop, indices, self._sizes())
        sub: Subscription[SpikeBatch] = Subscription(
            "spikes", "spikes", sel, maxlen=maxlen, lockstep=lockstep, on_change=self._sub_changed
        )
        self._add_sub(sub)
        return sub

    def subscribe_state(
        self,
        pop: SelectionLike,
        variable: str,
        indices: npt.ArrayLike | None = None,
        *,
        interval_steps: int = 1,
        maxlen: int = 1,
        lockstep: bool = False,
    ) -> Subscription[StateBatch]:
        """Stream samples of a state variable: one :class:`StateBatch` per chunk.

        Samples are taken every ``interval_steps`` steps.  The buffer keeps ``maxlen``
        batches (default 1: always the latest) and drops the oldest when full.
        """
        if not isinstance(variable, str) or not variable or variable == "spikes":
            raise ValueError(
                f"variable must name a state variable (use subscribe_spikes for spikes), "
                f"got {variable!r}"
            )
        check_interval(interval_steps)
        self._check_lockstep(lockstep)
        sel = as_selection(pop, indices, self._sizes())
        sub: Subscription[StateBatch] = Subscription(
            "state",
            variable,
            sel,
            maxlen=maxlen,
            lockstep=lockstep,
            interval_steps=int(interval_steps),
            on_change=self._sub_changed,
        )
        self._add_sub(sub)
        return sub

    def _sizes(self) -> list[int]:
        return [p.size for p in self.spec.populations]

    def _check_lockstep(self, lockstep: bool) -> None:
        if lockstep and self.mode != "lockstep":
            raise ValueError(
                f"lockstep=True needs mode='lockstep' (this runtime runs in {self.mode!r} "
                "mode, where a subscriber never holds the simulation)"
            )
        self.check_open("opening a stream")

    def _add_sub(self, sub: Subscription[SpikeBatch] | Subscription[StateBatch]) -> None:
        self._subs.append(sub)
        if not self._board_idle():
            self._unchecked_subs.append(sub)
        try:
            self._routing_changed()
        except Exception:
            self._subs.remove(sub)
            self._routing_changed()
            raise
        self._all_subs.append(sub)

    def _forget(self, sub: Subscription[Any]) -> bool:
        """Keep only the drops of a closed subscription (so many come and go for free)."""
        self._closed_drops += sub.dropped
        self._closed_subs += 1
        return False

    def _sub_changed(self) -> None:
        self._pipeline.recall_ahead()
        self._routing_dirty = True
        gate = self._pipeline.gate
        if gate is not None and not gate.done():
            gate.set_result(None)

    def _routing_changed(self) -> None:
        self._pipeline.recall_ahead()  # so the change starts with the next chunk, as documented
        self._routing_dirty = True
        if self._board_idle():
            self._apply_routing()

    def _apply_routing(self) -> None:
        """Rebuild the routing and tell the board what to record (board idle)."""
        self._subs = [s for s in self._subs if not s.closed]
        self._all_subs = [s for s in self._all_subs if not s.closed or self._forget(s)]
        routing = Routing(self._recording, self._subs)
        board = self._board
        assert board is not None
        for key in [k for k in self._board_sel if k not in routing.board]:
            board.set_recording(key[0], key[1], None)
            del self._board_sel[key]
        for key, bsel in routing.board.items():
            if not bsel.same(self._board_sel.get(key)):
                self._board_sel.pop(key, None)
                board.set_recording(key[0], key[1], bsel.indices, bsel.interval)
                self._board_sel[key] = bsel
        self._routing = routing
        self._routing_dirty = False
        self._unchecked_subs.clear()
        self._unchecked_rec.clear()

    def _apply_routing_checked(self) -> None:
        """Apply the routing between chunks; drop what the board refuses.

        Subscriptions and recordings added while the board could not check them are
        tried one by one: a refused subscription ends with the board's error (its
        ``receive`` raises it), a refused recording is undone and its error raised here,
        before the chunk starts, so the runtime stays consistent and usable.
        """
        try:
            self._apply_routing()
            return
        except Exception:
            subs, recs = list(self._unchecked_subs), dict(self._unchecked_rec)
            if not subs and not recs:
                raise
        for sub in subs:
            if sub in self._subs:
                self._subs.remove(sub)
        for key, old in recs.items():
            new = self._recording.pop(key, None)
            recs[key] = new
            if old is not None:
                self._recording[key] = old
        self._apply_routing()  # what was checked before
        refused: Exception | None = None
        for sub in subs:
            if sub.closed:
                continue
            self._subs.append(sub)
            try:
                self._apply_routing()
            except Exception as exc:
                self._subs.remove(sub)
                sub._fail(exc)
        for key, new in recs.items():
            old_rec = self._recording.get(key)
            if new is None:
                self._recording.pop(key, None)
            else:
                self._recording[key] = new
            try:
                self._apply_routing()
            except Exception as exc:
                if old_rec is None:
                    self._recording.pop(key, None)
                else:
                    self._recording[key] = old_rec
                refused = refused or exc
        self._apply_routing()
        if refused is not None:
            raise refused

    # ================================================================== running
    async def _ensure_loaded(self) -> None:
        if self._loaded and not self._stale:
            return
        if not self.spec.populations:
            raise RuntimeError("the network has no populations; add one before running")
        if self._board is None:
            self._board = _default_board(self._threads, self._weight_bits)
        board = self._board
        self._loading = True
        cancelled = False
        try:
            with contextlib.nullcontext() if self._inline else responsive_loop():
                plan, c1 = await self._worker.call(self._mapper, self.spec, inline=self._inline)
                _, c2 = await self._worker.call(board.load, self.spec, plan, inline=self._inline)
            cancelled = c1 or c2
        finally:
            self._loading = False
        self._plan = plan
        self._loaded, self._stale = True, False
        self._step = 0
        self._inputs.initial_dirty.clear()
        self._board_sel.clear()
        self._inputs.rearm(board)
        self._apply_routing_checked()
        if cancelled:
            raise asyncio.CancelledError

    async def run_steps(self, n: int) -> None:
        """Run ``n`` more steps (maps and loads the network on first use)."""
        if not isinstance(n, int | np.integer) or n < 0:
            raise ValueError(f"n must be a non-negative integer number of steps, got {n!r}")
        await self.run_until_step(self._step + int(n))

    async def run_until_step(self, s: int) -> None:
        """Run until ``step == s``; the last chunk is shortened to end exactly there."""
        if not isinstance(s, int | np.integer):
            raise TypeError(f"the target step must be an integer, got {s!r}")
        self.check_open("running")
        if self._running:
            raise RuntimeError("a run is already in progress; await it or cancel it first")
        if s < self._step:
            raise ValueError(
                f"cannot run until step {s}: the runtime is already at step {self._step} "
                "(call reset() to go back)"
            )
        self._running = True
        self.run_task = asyncio.current_task()
        started: list[Any] = []
        try:
            await self._ensure_loaded()
            for hook in list(self._run_hooks):
                started.append(hook)
                await hook.run_starting(self, int(s))
            pipeline = self._pipeline
            pipeline.anchor = self.clock.now()
            pipeline.anchor_step = self._step
            while self._step < s:
                n = min(self._chunk_steps, int(s) - self._step)
                if pipeline.ahead_ok(n):
                    await pipeline.run_ahead(int(s))
                else:
                    await pipeline.one_chunk(n)
        finally:
            self._running = False
            self.run_task = None
            for hook in started:
                hook.run_ended(self)
            for listener in list(self.run_listeners):
                listener()

    def run_steps_blocking(self, n: int) -> None:
        """Run ``n`` steps without an event loop (the blocking PyNN API).

        The same chunk loop as :meth:`run_steps`, on a fresh event loop, with the board
        run on this thread (nothing else is waiting on that loop).  Ctrl-C stops at a
        chunk boundary, keeping everything recorded.
        """
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            pass
        else:
            raise RuntimeError(
                "run_steps_blocking() was called inside a running event loop; "
                "use 'await runtime.run_steps(n)' there"
            )
        if self.blocking_runner is not None:
            self.blocking_runner(lambda: self.run_steps(n))
            return
        self._inline = True
        try:
            asyncio.run(self.run_steps(n))
        finally:
            self._inline = False

    def add_run_hook(self, hook: Any) -> None:
        """Call ``hook`` around every run (the live I/O of ``spinstream.live_io`` uses it).

        ``await hook.run_starting(runtime, target_step)`` runs on the run's event loop once
        the network is loaded, before the first chunk (an exception there ends the run
        before any step); ``hook.run_ended(runtime)`` after the last chunk, also when the
        run failed or was cancelled; ``hook.runtime_closed(runtime)`` from :meth:`close`.
        """
        if hook not in self._run_hooks:
            self._run_hooks.append(hook)

    def remove_run_hook(self, hook: Any) -> None:
        """Stop calling ``hook`` (see :meth:`add_run_hook`); unknown hooks are ignored."""
        if hook in self._run_hooks:
            self._run_hooks.remove(hook)

    def add_probe(self, probe: Any) -> None:
        """Call ``probe`` at chosen steps of every chunk, between board runs (worker thread).

        A probe has ``taps(first, end) -> [(step, fn), ...]`` (steps in ``[first, end]``:
        ``fn()`` runs when the board has run exactly up to ``step``), ``flush(first,
        n_steps, sequence)`` (on the loop's thread after the chunk), ``discard()`` (the chunk
        failed) and ``closed`` (it is dropped once true).  Weight streams are probes.
        """
        self._pipeline.recall_ahead()
        self._pipeline.probes.append(probe)

    # ================================================================== reset, close, stats
    def reset(self) -> None:
        """Back to step 0: state to initial values, new recorder segment.

        Parameters keep their current values; scheduled input (injected spikes, inputs for
        future steps) is dropped.
        """
        self.check_open("resetting")
        if self._running:
            raise RuntimeError("cannot reset while a run is in progress")
        self._inputs.clear()
        if self._loaded and not self._stale:
            board = self._board
            assert board is not None
            board.reset()
            for pid, name in sorted(self._inputs.initial_dirty):
                p = self.spec.populations[pid]
                board.set_state(pid, name, np.arange(p.size), p.initial[name])
        self._step = 0
        self.recorder.new_segment(0)

    def statistics(self) -> Statistics:
        """Counters and timing percentiles of the chunk loop so far."""
        pipeline, inputs = self._pipeline, self._inputs
        return Statistics(
            chunks=pipeline.chunks,
            steps=pipeline.steps_run,
            overruns=pipeline.overruns,
            lag_ms=pipeline.lag_s * 1e3,
            late_inputs=inputs.late,
            inputs=inputs.count,
            drops=self._drops(),
            compute_us=pipeline.compute.percentiles(),
            overhead_us=pipeline.overhead.percentiles(),
            queued_ahead=pipeline.queued_ahead,
            taken_back=pipeline.taken_back,
            late_answers=inputs.late_answers,
            answer_us=inputs.answer.percentiles(),
        )

    def _drops(self) -> dict[str, int]:
        self._all_subs = [s for s in self._all_subs if not s.closed or self._forget(s)]
        drops = {s.label: s.dropped for s in self._all_subs}
        if self._closed_subs:
            drops["closed"] = self._closed_drops
        return drops

    def clear_timings(self) -> None:
        """Forget the chunk timings collected so far (e.g. after a warm-up run)."""
        self._pipeline.compute = TimingRing()
        self._pipeline.overhead = TimingRing()
        self._inputs.answer = TimingRing()

    def close(self) -> None:
        """End every stream and free the board and the worker thread."""
        if self._running:
            raise RuntimeError("cannot close while a run is in progress")
        if self._closed:
            return
        self._closed = True
        for hook in list(self._run_hooks):
            hook.runtime_closed(self)
        self._run_hooks.clear()
        for sub in self._subs:
            sub._end()
        for probe in self._pipeline.probes:
            probe.sub._end()
        self._worker.close()
        if self._board is not None:
            self._board.close()

    async def aclose(self) -> None:
        """Async form of :meth:`close`."""
        self.close()
