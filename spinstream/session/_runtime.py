"""The Runtime: one network, one Board, and the chunk loop that makes it live.

The network is built through the ``add_*`` methods (plain specs, no PyNN objects), mapped
with ``spinstream.mapping.map_network`` and loaded on the board on the first run.  A run
advances in chunks of ``chunk_steps`` steps; each chunk runs in a worker thread so the
event loop stays live (in fast mode the next chunk waits queued behind the running one, so
the worker never waits for the loop: see :meth:`Runtime._run_ahead`), and after it the
runtime

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

Threads: everything but ``Board.run`` (and loading) happens on the event loop's thread.
The board is touched only when no chunk is in flight; inputs given while one is are
queued.  Reading state (``get_state``) while a chunk is in flight raises, since the only
consistent answer would be stale; state streams are the live way to watch it.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt

from spinstream._indices import has_repeats
from spinstream.board import Board
from spinstream.model import (
    CurrentSourceSpec,
    EngineError,
    LateInputError,
    LockstepTimeoutError,
    MappingPlan,
    NetworkSpec,
    ParameterError,
    PopulationSpec,
    ProjectionSpec,
    STDPSpec,
    UnknownParameterError,
    check_weight_bounds,
    check_weights,
)
from spinstream.recording import Recorder
from spinstream.session._checks import (
    check_indices,
    check_interval,
    check_param_values,
    check_pop,
    check_values,
    copy_set,
    signed_weights,
)
from spinstream.session._clock import Clock, MonotonicClock
from spinstream.session._routing import BoardSelection, Routing
from spinstream.session._stats import Statistics, TimingRing
from spinstream.session._worker import (
    QUEUED,
    RECALLED,
    Gate,
    Job,
    Outcome,
    Worker,
    execute,
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


@dataclass
class _Slot:
    """A chunk handed to the worker thread: the job, its future, the routing it records."""

    job: Job
    fut: asyncio.Future[Outcome]
    routing: Routing
    queued_behind: bool  # submitted while another chunk was on the worker

    @property
    def end(self) -> int:
        return self.job.first_step + self.job.n_steps


SPIKE_SOURCES = ("SpikeSourceArray", "SpikeInjector")


def _default_mapper(spec: NetworkSpec) -> MappingPlan:
    from spinstream.mapping import map_network

    plan: MappingPlan = map_network(spec, n_boards=spec.n_boards)
    return plan


def _default_board(threads: int | None = None) -> Board:
    try:
        from spinstream.board import HostBoard
    except ImportError as exc:  # pragma: no cover - only before the C engine exists
        raise EngineError(
            "no board was given and spinstream.board.HostBoard is not available"
        ) from exc
    board: Board = HostBoard() if threads is None else HostBoard(threads=threads)
    return board


def _check_threads(threads: object, board: Board | None) -> int | None:
    """Validate ``threads`` (None: the board's own, or the default board's default)."""
    if threads is None:
        return None
    if (
        isinstance(threads, bool)
        or not isinstance(threads, int | np.integer)
        or not 1 <= threads <= 1024  # HostBoard's bound (MAX_THREADS)
    ):
        raise ValueError(f"threads must be a whole number in [1, 1024], got {threads!r}")
    if board is not None:
        own = getattr(board, "threads", 1)
        if own != threads:
            raise ValueError(
                f"threads={threads} was given with a board that runs on {own} thread(s) "
                f"({type(board).__name__}): give the board its threads instead, e.g. "
                "HostBoard(threads=...)"
            )
    return int(threads)


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
    ) -> None:
        self._threads = _check_threads(threads, board)
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
        self._in_flight: tuple[int, int] | None = None
        # fast mode: the running chunk and the one queued behind it (see _run_ahead)
        self._pipe: list[_Slot] = []
        self._inline = False
        self._worker = Worker(inline_below_us)
        self._closed = False
        # inputs
        self._pending: list[Callable[[], None]] = []
        self._timed: list[tuple[int, int, Callable[[], None], Callable[[], None]]] = []
        self._seq = itertools.count()
        self._spike_log: list[tuple[int, IntArray, IntArray]] = []
        self._initial_dirty: set[tuple[int, str]] = set()
        # recording and streams
        self._recording: dict[tuple[int, str], tuple[IntArray, int]] = {}
        self._rec_currents: set[int] = set()  # current sources recorded
        self._subs: list[Subscription[SpikeBatch] | Subscription[StateBatch]] = []
        self._all_subs: list[Subscription[SpikeBatch] | Subscription[StateBatch]] = []
        self._closed_drops = 0  # batches dropped by subscriptions since closed
        self._closed_subs = 0
        self._probes: list[Any] = []  # see add_probe
        self._run_hooks: list[Any] = []  # see add_run_hook
        self._routing = Routing({}, [])
        self._routing_dirty = False
        # added while the board could not check them (not loaded, or a chunk in flight)
        self._unchecked_subs: list[Subscription[Any]] = []
        self._unchecked_rec: dict[tuple[int, str], tuple[IntArray, int] | None] = {}
        self._board_sel: dict[tuple[int, str], BoardSelection] = {}
        self._gate: asyncio.Future[None] | None = None
        #: When set, :meth:`run_steps_blocking` hands each run to it instead of starting a
        #: fresh event loop: ``blocking_runner(make_run)`` must await ``make_run()`` (a
        #: coroutine of ``run_steps``) to its end on a loop of its own.  The ZeroMQ bridge
        #: of the blocking API sets it so that runs happen on the bridge's loop thread.
        self.blocking_runner: Callable[[Callable[[], Any]], None] | None = None
        # statistics
        self._chunks = 0
        self._steps_run = 0
        self._overruns = 0
        self._lag_s = 0.0
        self._late = 0
        self._inputs = 0
        self._compute = TimingRing()
        self._overhead = TimingRing()
        self._queued_ahead = 0
        self._taken_back = 0
        self._late_answers = 0
        self._answer = TimingRing()
        # chunk number -> (when it was handed out, its end step), for the last 64 chunks
        self._chunk_done_ns: dict[int, tuple[int, int]] = {}
        #: Called (no arguments) on the loop's thread when a run ends, completed or not,
        #: after the last chunk was handed to the subscribers (the ZeroMQ bridge publishes
        #: what is left and an end-of-run message).
        self.run_listeners: list[Callable[[], None]] = []
        self._rt_anchor = 0.0
        self._rt_anchor_step = 0

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
        pipe = self._pipe
        if len(pipe) >= 2 and pipe[-1].job.state == QUEUED:
            return pipe[-1].job.first_step
        if self._in_flight is not None:
            return self._in_flight[0] + self._in_flight[1]
        return self._step

    def _pin_input_step(self, earliest: int | None = None) -> int:
        """Return :attr:`input_step` for input due at ``earliest`` (None: at once), made true.

        A chunk queued ahead that has not started and would miss such input is taken back
        first; input for later steps leaves it queued.
        """
        pipe = self._pipe
        if len(pipe) >= 2 and (earliest is None or earliest < pipe[-1].end):
            self._recall_ahead()
        return self.input_step

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
            and self._in_flight is None
        )

    def _check_step(self, at_step: int | None, what: str) -> int:
        self.check_open(what)
        if at_step is None:
            at = self._pin_input_step()
            self._note_answer(at, timed=False)
            return at
        if not isinstance(at_step, int | np.integer):
            raise TypeError(f"at_step must be an integer step, got {at_step!r}")
        now = self._pin_input_step(int(at_step))
        if at_step < now:
            self._late += 1
            raise LateInputError(
                f"{what} for step {int(at_step)} (t = {at_step * self.dt} ms) is late: the "
                f"earliest step input can take effect is {now} (t = {now * self.dt} ms)"
            )
        self._note_answer(int(at_step), timed=True)
        return int(at_step)

    def _note_answer(self, at: int, *, timed: bool) -> None:
        """Count input given by a task that reads a stream as that task's answer.

        The answer is to the last batch the task received (of any stream it opened or
        reads); it is meant for the chunk after that batch.  Only the first input after
        each batch counts: its latency (from the chunk's hand-out to the input) goes into
        ``answer_us``, and, untimed input landing later than that chunk's first step, into
        ``late_answers``.
        """
        try:
            task = asyncio.current_task()
        except RuntimeError:
            return
        if task is None:
            return
        mine = [s for s in self._subs if s.opener is task or task in s._consumers]
        seen = [s.last_batch for s in mine if s.last_batch is not None]
        if not seen:
            return
        b = max(seen, key=lambda batch: batch.sequence)
        if any(s.answered >= b.sequence for s in mine):
            return  # this batch was answered already (by an earlier input)
        for sub in mine:
            sub.answered = b.sequence
        self._count_answer(b.sequence, b.first_step + b.n_steps, at, timed)

    def note_answer(self, chunk: int, at: int, *, timed: bool) -> None:
        """Count input that answers chunk ``chunk`` and takes effect at step ``at``.

        For input whose sender says which chunk it answers (a ZeroMQ client's
        ``answer_to``); in-process answers are recognised by the task that gives them.
        ``timed``: the input named its step.  See ``Statistics.late_answers``.
        """
        done = self._chunk_done_ns.get(chunk)
        if done is not None:
            self._count_answer(chunk, done[1], at, timed)
        elif 0 < chunk <= self._chunks - 64 and not timed:
            self._late_answers += 1  # 64 chunks later: late, whatever its step

    def _count_answer(self, chunk: int, end: int, at: int, timed: bool) -> None:
        done = self._chunk_done_ns.get(chunk)
        if done is not None:
            self._answer.add(max(0, time.perf_counter_ns() - done[0]))
        if not timed and at > end:
            self._late_answers += 1

    def _submit(
        self,
        at: int,
        board_op: Callable[[], None],
        spec_op: Callable[[], None],
    ) -> int:
        self._inputs += 1
        if at > self._pin_input_step(at):
            heapq.heappush(self._timed, (at, next(self._seq), board_op, spec_op))
            return at
        if self._board_idle():
            board_op()  # first: what the board refuses changes nothing
            spec_op()
            return at
        spec_op()
        if self._loading or self.loaded:
            self._pending.append(board_op)
        return at

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
        p = check_pop(self.spec, pop)
        if name not in p.params:
            raise UnknownParameterError(
                f"population {p.label!r} ({p.model}) has no parameter {name!r}; "
                f"it has {', '.join(sorted(p.params)) or 'none'}"
            )
        idx = check_indices(p, indices)
        vals = check_param_values(p, name, values, len(idx))
        at = self._check_step(at_step, f"setting {name}")
        pid = int(pop)

        def spec_op() -> None:
            p.params[name] = copy_set(p.params[name], idx, vals)

        def board_op() -> None:
            self._live_board().set_parameters(pid, name, idx, vals)

        return self._submit(at, board_op, spec_op)

    def get_parameters(self, pop: int, name: str, indices: npt.ArrayLike | None) -> FloatArray:
        """Return current values of a parameter (including changes not yet in effect)."""
        p = check_pop(self.spec, pop)
        if name not in p.params:
            raise UnknownParameterError(
                f"population {p.label!r} ({p.model}) has no parameter {name!r}; "
                f"it has {', '.join(sorted(p.params)) or 'none'}"
            )
        idx = check_indices(p, indices)
        if self._board_idle() and not self._pending:
            assert self._board is not None
            return np.asarray(self._board.get_parameters(int(pop), name, idx), dtype=np.float64)
        return np.array(p.params[name][idx], dtype=np.float64)

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
        p = check_pop(self.spec, pop)
        if p.initial and name not in p.initial:
            raise UnknownParameterError(
                f"population {p.label!r} ({p.model}) has no state variable {name!r}; "
                f"it has {', '.join(sorted(p.initial))}"
            )
        idx = check_indices(p, indices)
        vals = check_values(name, values, len(idx))
        at = self._check_step(at_step, f"setting {name}")
        pid = int(pop)

        def spec_op() -> None:
            base = p.initial.get(name)
            if base is None:
                base = np.zeros(p.size)
            p.initial[name] = copy_set(base, idx, vals)
            self._initial_dirty.add((pid, name))

        def board_op() -> None:
            self._live_board().set_state(pid, name, idx, vals)

        return self._submit(at, board_op, spec_op)

    def get_state(self, pop: int, name: str, indices: npt.ArrayLike | None) -> FloatArray:
        """Return current values of a state variable (initial values before the first run)."""
        p = check_pop(self.spec, pop)
        idx = check_indices(p, indices)
        if not self.loaded and not self._loading:
            if name not in p.initial:
                raise ParameterError(
                    f"population {p.label!r} ({p.model}) has no initial value for {name!r}"
                )
            return np.array(p.initial[name][idx], dtype=np.float64)
        if not self._board_idle() or self._pending:
            raise RuntimeError(
                f"cannot read {name!r} while a chunk is being computed; read it between "
                "runs, subscribe to it with subscribe_state(), or use lockstep mode"
            )
        assert self._board is not None
        return np.asarray(self._board.get_state(int(pop), name, idx), dtype=np.float64)

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
        self.check_open("injecting spikes")
        p = check_pop(self.spec, pop)
        if p.model not in SPIKE_SOURCES:
            raise ParameterError(
                f"population {p.label!r} is a {p.model}; spikes can only be injected into "
                f"{' or '.join(SPIKE_SOURCES)} populations"
            )
        idx = check_indices(p, indices)
        if stamps is None:
            now = self._pin_input_step()
            st = np.full(len(idx), now, dtype=np.int64)
        else:
            raw = np.asarray(stamps)
            if raw.size and not np.issubdtype(raw.dtype, np.integer):
                raise TypeError(f"spike stamps must be integer steps, got dtype {raw.dtype}")
            try:
                st = np.broadcast_to(raw.astype(np.int64), (len(idx),)).copy()
            except ValueError:
                raise ValueError(
                    f"stamps: expected one stamp or {len(idx)} stamps, got shape {raw.shape}"
                ) from None
            now = self._pin_input_step(int(st.min()) if len(st) else None)
        if len(st) == 0:
            return now
        first = int(st.min())
        if first < now:
            self._late += 1
            raise LateInputError(
                f"spike stamped {first} (t = {first * self.dt} ms) for population {p.label!r} "
                f"is late: the earliest step input can take effect is {now} "
                f"(t = {now * self.dt} ms)"
            )
        self._inputs += 1
        self._note_answer(first, timed=stamps is not None)
        order = np.argsort(st, kind="stable")
        idx, st = idx[order], st[order]
        pid = int(pop)
        if self._step == 0 and self._in_flight is None:
            # kept until the first chunk runs, so a reload (network changed at step 0)
            # re-arms them
            self._spike_log.append((pid, idx, st))
        if self._board_idle():
            assert self._board is not None
            self._board.schedule_spikes(pid, idx, st)
        elif self.loaded and not self._loading:
            self._pending.append(lambda: self._live_board().schedule_spikes(pid, idx, st))
        return first

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
        p = check_pop(self.spec, pop)
        if p.model != "SpikeSourceArray":
            raise ParameterError(
                f"population {p.label!r} is a {p.model}; only SpikeSourceArray populations "
                "have spike times (inject spikes with schedule_spikes)"
            )
        idx = check_indices(p, indices)
        if has_repeats(idx):
            raise ValueError(f"indices of population {p.label!r} repeat a neuron")
        if isinstance(times, np.ndarray) and times.dtype != object and times.ndim < 2:
            raise ValueError(
                f"times: expected one array of spike times per neuron ({len(idx)} arrays), "
                "not a single array"
            )
        if len(times) != len(idx):
            raise ValueError(
                f"times: expected one array of spike times per neuron, {len(idx)} arrays; "
                f"got {len(times)}"
            )
        arrays: list[FloatArray] = []
        for i, t in zip(idx.tolist(), times, strict=True):
            try:
                arr = np.sort(np.array(t, dtype=np.float64).reshape(-1))
            except (TypeError, ValueError):
                raise ParameterError(
                    f"spike times of neuron {i} of {p.label!r} must be numbers, got {t!r:.60}"
                ) from None
            if not np.all(np.isfinite(arr)) or (arr.size and arr[0] < 0):
                raise ParameterError(
                    f"spike times of neuron {i} of {p.label!r} must be finite and >= 0 ms, "
                    f"got {arr.tolist()[:10]}"
                )
            arr.setflags(write=False)
            arrays.append(arr)
        at = self._check_step(at_step, "setting spike_times")
        pid = int(pop)

        def spec_op() -> None:
            old = p.spike_times or []
            new = [*old, *[np.zeros(0)] * (p.size - len(old))]
            for i, arr in zip(idx.tolist(), arrays, strict=True):
                new[i] = arr
            p.spike_times = new  # a new list: a board may hold the old one

        def board_op() -> None:
            self._live_board().set_spike_times(pid, idx, arrays)

        return self._submit(at, board_op, spec_op)

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
        projs = self.spec.projections
        if not isinstance(projection, int | np.integer) or not 0 <= projection < len(projs):
            raise IndexError(
                f"projection id {projection!r} does not exist (there are {len(projs)})"
            )
        proj = projs[int(projection)]
        where = f"projection {proj.label or int(projection)!r}"
        n = len(proj.pre_index)
        if indices is None:
            idx = np.arange(n, dtype=np.int64)
        else:
            raw = np.asarray(indices)
            if raw.size and not np.issubdtype(raw.dtype, np.integer):
                raise TypeError(f"synapse indices must be integers, got dtype {raw.dtype}")
            idx = raw.astype(np.int64).reshape(-1)
            if idx.size and (idx.min() < 0 or idx.max() >= n):
                bad = idx[(idx < 0) | (idx >= n)][0]
                raise IndexError(f"synapse index {bad} is out of range for {where} ({n} synapses)")
            if has_repeats(idx):
                raise ValueError(f"synapse indices of {where} repeat a synapse")
        w = d = None
        if weight is not None:
            w = check_values(f"{where}: weight", weight, len(idx))
            check_weights(where, w, signed_weights(self.spec.populations[proj.post]))
            if isinstance(proj.plasticity, STDPSpec):  # each synapse's own bounds
                check_weight_bounds(
                    where, w, proj.rule_param("w_min")[idx], proj.rule_param("w_max")[idx]
                )
        if delay_steps is not None:
            raw_d = np.asarray(delay_steps)
            if raw_d.size and not np.issubdtype(raw_d.dtype, np.integer):
                raise TypeError(f"delay_steps must be integer steps, got dtype {raw_d.dtype}")
            try:
                d = np.broadcast_to(raw_d.astype(np.int64), (len(idx),)).copy()
            except ValueError:
                raise ValueError(
                    f"delay_steps: expected one value or {len(idx)} values, got shape "
                    f"{raw_d.shape}"
                ) from None
            board = self._board
            limit = None if board is None else board.max_delay_steps
            bad = (d < 1) | (d > (limit if limit is not None else np.iinfo(np.int64).max))
            if bad.any():
                upper = "" if limit is None else f", at most {limit} steps on this board"
                raise ParameterError(
                    f"{where}: a delay of {int(d[bad][0])} steps is not allowed: delays are "
                    f"at least 1 step{upper}"
                )
            old_d = np.asarray(proj.delay_steps)[idx]
            if (
                proj.plasticity is not None
                and (self._loading or self.loaded)
                and np.any(d != old_d)
            ):
                raise ParameterError(
                    f"{where}: the delays of plastic synapses are fixed once the network is "
                    "loaded on the board"
                )
        at = self._check_step(at_step, f"changing synapses of {where}")
        pid = int(projection)

        def spec_op() -> None:
            if w is not None:
                proj.weight = copy_set(proj.weight, idx, w)
            if d is not None:
                delays = np.array(proj.delay_steps, dtype=np.int64, copy=True)
                delays[idx] = d
                proj.delay_steps = delays

        def board_op() -> None:
            self._live_board().set_synapses(pid, idx, w, d)

        return self._submit(at, board_op, spec_op)

    def set_current_source(
        self, source: int, params: dict[str, Any], *, at_step: int | None = None
    ) -> int:
        """Change parameters of a current source; returns the step they take effect."""
        sources = self.spec.current_sources
        if not isinstance(source, int | np.integer) or not 0 <= source < len(sources):
            raise IndexError(
                f"current source id {source!r} does not exist (there are {len(sources)})"
            )
        cs = sources[int(source)]
        unknown = set(params) - set(cs.params)
        if unknown:
            raise ParameterError(
                f"current source {source} ({cs.kind}) has no parameter "
                f"{', '.join(map(repr, sorted(unknown)))}; it has {', '.join(sorted(cs.params))}"
            )
        new = dict(params)
        at = self._check_step(at_step, "changing a current source")

        def spec_op() -> None:
            cs.params = {**cs.params, **new}

        def board_op() -> None:
            self._live_board().set_current_source(int(source), new)

        return self._submit(at, board_op, spec_op)

    def set_current_recording(self, source: int, on: bool = True) -> int:
        """Record the current a source gives, step by step (``recorder.current(source)``).

        Each step's value is the current applied during it, averaged over the source's
        targets (a noisy source draws per target).  Starts with the next chunk, like any
        input; returns the first step recorded.
        """
        sources = self.spec.current_sources
        if not isinstance(source, int | np.integer) or not 0 <= source < len(sources):
            raise IndexError(
                f"current source id {source!r} does not exist (there are {len(sources)})"
            )
        src, flag = int(source), bool(on)
        at = self._pin_input_step()
        if flag:
            self._rec_currents.add(src)
        else:
            self._rec_currents.discard(src)
        if self._board_idle():
            self._live_board().set_current_recording(src, flag)
        elif self._loading or self.loaded:
            self._pending.append(lambda: self._live_board().set_current_recording(src, flag))
        return at

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
        self._recall_ahead()
        self._routing_dirty = True
        gate = self._gate
        if gate is not None and not gate.done():
            gate.set_result(None)

    def _routing_changed(self) -> None:
        self._recall_ahead()  # so the change starts with the next chunk, as documented
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
            self._board = _default_board(self._threads)
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
        self._initial_dirty.clear()
        self._board_sel.clear()
        for pid, idx, st in self._spike_log:
            board.schedule_spikes(pid, idx, st)
        for source in sorted(self._rec_currents):
            board.set_current_recording(source, True)
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
            self._rt_anchor = self.clock.now()
            self._rt_anchor_step = self._step
            while self._step < s:
                n = min(self._chunk_steps, int(s) - self._step)
                if self._ahead_ok(n):
                    await self._run_ahead(int(s))
                else:
                    await self._one_chunk(n)
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

    async def _wait_gate(self) -> bool:
        """Wait until every lock-step subscriber has asked; returns whether it waited.

        Raises :class:`~spinstream.model.LockstepTimeoutError` after
        :attr:`lockstep_timeout` seconds, naming a subscriber that has not asked.
        """
        loop = asyncio.get_running_loop()
        waited = False
        deadline: float | None = None
        while True:
            waiting = [s for s in self._subs if s.lockstep and not s.ready]
            if not waiting:
                return waited
            timeout = self.lockstep_timeout
            if deadline is None and timeout is not None:
                deadline = loop.time() + timeout
            gate: asyncio.Future[None] = loop.create_future()
            self._gate = gate
            waited = True
            try:
                if deadline is None:
                    await gate
                else:
                    await asyncio.wait({gate}, timeout=max(0.0, deadline - loop.time()))
            finally:
                self._gate = None
            if deadline is not None and not gate.done() and loop.time() >= deadline:
                waiting = [s for s in self._subs if s.lockstep and not s.ready]
                if waiting:
                    raise self._lockstep_timeout(waiting[0], timeout or 0.0)

    def _lockstep_timeout(self, sub: Subscription[Any], timeout: float) -> LockstepTimeoutError:
        last = sub.last_batch
        seen = (
            "it has not received a batch yet"
            if last is None
            else f"the last batch it received is of chunk {last.sequence}"
        )
        nxt = self._chunks + 1
        return LockstepTimeoutError(
            f"lock-step stream {sub.label} ({sub.variable} of {sub.selection!r}) did not ask "
            f"for its next batch within {timeout:g} s, so chunk {nxt} (from t = {self.time} "
            f"ms) cannot start; {seen} and {len(sub)} wait unread in its buffer.  Read the "
            "stream (async for), close it, or give Session(lockstep_timeout=...) more time"
        )

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
        self._recall_ahead()
        self._probes.append(probe)

    def _make_job(self, n: int, first: int | None = None) -> Job:
        if self._routing_dirty:
            self._apply_routing_checked()
        if first is None:
            first = self._step
        end = first + n
        ops = self._pending
        self._pending = []
        segments: list[tuple[list[Callable[[], None]], int]] = []
        cur = first
        timed = self._timed
        events: list[tuple[int, int, list[Callable[[], None]]]] = []
        self._probes = [p for p in self._probes if not p.closed]
        for probe in self._probes:
            events.extend((at, 0, [fn]) for at, fn in probe.taps(first, end))
        taken_timed = []
        while timed and timed[0][0] < end:
            entry = heapq.heappop(timed)
            taken_timed.append(entry)
            at, _, board_op, spec_op = entry
            events.append((at, 1, [spec_op, board_op]))
        taken_pending = list(ops)
        events.sort(key=lambda ev: ev[:2])  # probes see a step before its inputs
        for at, _, fns in events:
            if at > cur:
                segments.append((ops, at - cur))
                ops, cur = [], at
            ops.extend(fns)
        segments.append((ops, end - cur))
        job = Job(first, n, segments, taken_pending, taken_timed)
        job.probes = list(self._probes)
        return job

    async def _one_chunk(self, n: int) -> None:
        t0 = time.perf_counter_ns()
        inline = self._inline or self._worker.inline(n)
        yielded = self.mode == "lockstep" and await self._wait_gate()
        if inline and not yielded:
            # the loop is not otherwise yielded to: let other tasks (and cancellation) in
            await asyncio.sleep(0)
        waited = time.perf_counter_ns() - t0
        job = self._make_job(n)
        board = self._live_board()
        self._in_flight = (job.first_step, n)
        try:
            outcome, cancelled = await self._worker.call(execute, board, job, inline=inline)
        finally:
            self._in_flight = None
        self._finish_chunk(job, outcome, self._routing, board_idle=True)
        t1 = time.perf_counter_ns()
        self._overhead.add(max(0, t1 - t0 - waited - outcome.compute_ns))
        if cancelled:
            raise asyncio.CancelledError
        if self.mode == "realtime":
            await self._pace()

    def _finish_chunk(
        self, job: Job, outcome: Outcome, routing: Routing, *, board_idle: bool
    ) -> None:
        """Do the loop's part of a chunk: step, recording, streams, probes; raise its error.

        ``board_idle``: no other chunk is on the board, so its step can be checked.
        """
        self._worker.observe(outcome)
        self._step = job.first_step + outcome.steps
        if outcome.steps:
            self._steps_run += outcome.steps
            self._chunks += 1
            routing.distribute(
                outcome.results,
                self.recorder,
                job.first_step,
                outcome.steps,
                self.dt,
                self._chunks,
            )
            done = self._chunk_done_ns
            done[self._chunks] = (time.perf_counter_ns(), self._step)
            done.pop(self._chunks - 64, None)
            if self._step > 0:
                self._spike_log.clear()
        for probe in job.probes:  # the probes this chunk tapped
            if outcome.steps and outcome.error is None:
                probe.flush(job.first_step, outcome.steps, self._chunks)
            else:
                probe.discard()
        self._compute.add(outcome.compute_ns)
        if outcome.error is not None:
            raise outcome.error
        board_step = self._board.step if self._board is not None else self._step
        if board_idle and board_step != self._step:
            raise EngineError(
                f"the board is at step {board_step} after a chunk that should end at "
                f"step {self._step}"
            )

    # ------------------------------------------------------------------ read-ahead (fast)
    def _ahead_ok(self, n: int) -> bool:
        """Whether chunks of ``n`` steps may be queued ahead (fast mode, worker thread)."""
        return (
            self.mode == "fast"
            and not self._inline
            and not self._worker.inline(n)
            and not any(not p.closed for p in self._probes)
        )

    async def _run_ahead(self, s: int) -> None:
        """Run chunks towards step ``s`` with the next chunk queued behind the running one.

        In fast mode the worker thread then goes from one chunk straight to the next
        while the loop records and streams the one before: the hand-over to the thread
        and back (tens of microseconds, more on a busy machine) is no longer paid between
        chunks.  Nothing about results changes: a queued chunk is the same job the loop
        would make later, and it is taken back (:meth:`_recall_ahead`) if input, a
        subscription or a recording arrives before it starts, so that these still take
        effect at the next chunk's first step.  Returns when ``s`` is reached or when
        read-ahead no longer applies (the caller goes on chunk by chunk).
        """
        gate = Gate()
        pipe = self._pipe
        try:
            self._fill(s, gate)
            while pipe:
                slot = pipe[0]
                if slot.fut.done():  # the worker is ahead: still let the loop's tasks run
                    await asyncio.sleep(0)
                # a cancelled run stops after the running chunk: the queued one goes back
                outcome, cancelled = await self._worker.wait(slot.fut, self._recall_ahead)
                t0 = time.perf_counter_ns()
                if cancelled or outcome.error is not None:
                    self._recall_ahead()  # while the pipe still holds this chunk first
                self._retire(slot, outcome)
                if cancelled:
                    await self._finish_pipe()
                    raise asyncio.CancelledError
                spent = time.perf_counter_ns() - t0
                if self._subs:
                    # let subscribers see this chunk before the one after next is queued:
                    # a controller answering at once then always lands in the next chunk
                    await asyncio.sleep(0)
                t1 = time.perf_counter_ns()
                self._fill(s, gate)
                self._overhead.add(spent + time.perf_counter_ns() - t1)
        finally:
            if pipe:  # an error left a started chunk behind: account for it too
                await self._finish_pipe()

    async def _finish_pipe(self) -> None:
        """Take back what has not started; wait for and record what has."""
        self._recall_ahead()
        pipe = self._pipe
        error: BaseException | None = None
        while pipe:
            slot = pipe[0]
            outcome, _ = await self._worker.wait(slot.fut)
            try:
                self._retire(slot, outcome)
            except BaseException as exc:  # the pipe must end empty: raise after it
                error = error or exc
        if error is not None:
            raise error

    def _retire(self, slot: _Slot, outcome: Outcome) -> None:
        """Take the first chunk of the pipe off it and do its bookkeeping (raises its error)."""
        self._pipe.pop(0)
        self._sync_in_flight()
        if outcome.skipped:  # recalled, or behind a failed chunk: nothing ran
            return
        self._queued_ahead += slot.queued_behind
        # the board's step is checked only with no chunk on it: at the run's end
        self._finish_chunk(slot.job, outcome, slot.routing, board_idle=not self._pipe)

    def _fill(self, s: int, gate: Gate) -> None:
        """Queue chunks until one runs and one waits behind it (or ``s`` is reached)."""
        pipe = self._pipe
        while len(pipe) < 2:
            end = pipe[-1].end if pipe else self._step
            n = min(self._chunk_steps, s - end)
            if n <= 0 or not self._ahead_ok(n):
                return
            if pipe and self._routing_dirty:
                return  # a new routing needs the board idle: after the running chunk
            job = self._make_job(n, end)
            job.gate = gate
            fut = self._worker.submit(execute, self._live_board(), job)
            # queued behind a chunk not finished yet: the worker goes on without waiting
            behind = bool(pipe) and not pipe[-1].job.done
            pipe.append(_Slot(job, fut, self._routing, queued_behind=behind))
            self._sync_in_flight()

    def _recall_ahead(self) -> None:
        """Take back the chunk queued behind the running one, if it has not started.

        Its inputs go back to the queues they came from, so the next job made has them.
        """
        pipe = self._pipe
        if len(pipe) < 2:
            return
        job = pipe[-1].job
        assert job.gate is not None
        with job.gate.lock:
            if job.state != QUEUED:
                return
            job.state = RECALLED
        pipe.pop()
        self._taken_back += 1
        self._pending[:0] = job.taken_pending
        for entry in job.taken_timed:
            heapq.heappush(self._timed, entry)
        self._sync_in_flight()

    def _sync_in_flight(self) -> None:
        pipe = self._pipe
        if pipe:
            first = pipe[0].job.first_step
            self._in_flight = (first, pipe[-1].end - first)
        else:
            self._in_flight = None

    async def _pace(self) -> None:
        deadline = self._rt_anchor + (
            (self._step - self._rt_anchor_step) * self.dt * 1e-3 * self.time_scale_factor
        )
        now = self.clock.now()
        if now > deadline:
            self._overruns += 1
            self._lag_s += now - deadline
            self._rt_anchor += now - deadline  # no catching up: the schedule slips
        else:
            await self.clock.sleep_until(deadline)

    # ================================================================== reset, close, stats
    def reset(self) -> None:
        """Back to step 0: state to initial values, new recorder segment.

        Parameters keep their current values; scheduled input (injected spikes, inputs for
        future steps) is dropped.
        """
        self.check_open("resetting")
        if self._running:
            raise RuntimeError("cannot reset while a run is in progress")
        self._timed.clear()
        self._pending.clear()
        self._spike_log.clear()
        if self._loaded and not self._stale:
            board = self._board
            assert board is not None
            board.reset()
            for pid, name in sorted(self._initial_dirty):
                p = self.spec.populations[pid]
                board.set_state(pid, name, np.arange(p.size), p.initial[name])
        self._step = 0
        self.recorder.new_segment(0)

    def statistics(self) -> Statistics:
        """Counters and timing percentiles of the chunk loop so far."""
        return Statistics(
            chunks=self._chunks,
            steps=self._steps_run,
            overruns=self._overruns,
            lag_ms=self._lag_s * 1e3,
            late_inputs=self._late,
            inputs=self._inputs,
            drops=self._drops(),
            compute_us=self._compute.percentiles(),
            overhead_us=self._overhead.percentiles(),
            queued_ahead=self._queued_ahead,
            taken_back=self._taken_back,
            late_answers=self._late_answers,
            answer_us=self._answer.percentiles(),
        )

    def _drops(self) -> dict[str, int]:
        self._all_subs = [s for s in self._all_subs if not s.closed or self._forget(s)]
        drops = {s.label: s.dropped for s in self._all_subs}
        if self._closed_subs:
            drops["closed"] = self._closed_drops
        return drops

    def clear_timings(self) -> None:
        """Forget the chunk timings collected so far (e.g. after a warm-up run)."""
        self._compute = TimingRing()
        self._overhead = TimingRing()
        self._answer = TimingRing()

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
        for probe in self._probes:
            probe.sub._end()
        self._worker.close()
        if self._board is not None:
            self._board.close()

    async def aclose(self) -> None:
        """Async form of :meth:`close`."""
        self.close()
