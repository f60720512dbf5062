"""Running a chunk: the board calls of one chunk, on a worker thread or on the loop's.

A chunk is one or more ``Board.run`` calls (split where input is due at an exact step),
with the inputs due before each.  It runs on a single worker thread, so the event loop
stays live while the C engine (which releases the GIL) works, unless the previous chunks
show it will take less time than the hand-over to a thread and back would.  Calls may be
queued ahead (:meth:`Worker.submit`); when the next one is already waiting, a second thread
wakes the loop, so the worker enters the next board run before the loop takes the GIL.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import queue
import sys
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar

from spinstream.board import Board, ChunkResult

T = TypeVar("T")


QUEUED, STARTED, RECALLED = 0, 1, 2


class Gate:
    """What the loop and the worker share about the jobs queued ahead (read-ahead runs).

    A queued job starts only if, under ``lock``, it has not been recalled and no job
    before it failed (``halted``); the loop recalls a job, under the same lock, only if it
    has not started.  So a job either runs whole or not at all.
    """

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.halted = False


@dataclass
class Job:
    """One chunk as the worker runs it: inputs, then steps, possibly several times.

    ``taken_pending`` and ``taken_timed`` are the runtime's queued inputs the job took
    when it was made; a recalled job gives them back.
    """

    first_step: int
    n_steps: int
    segments: list[tuple[list[Callable[[], None]], int]]
    taken_pending: list[Callable[[], None]] = field(default_factory=list)
    taken_timed: list[Any] = field(default_factory=list)
    gate: Gate | None = None
    state: int = QUEUED
    done: bool = False  # set by the worker when the job has run (or was skipped)
    probes: list[Any] = field(default_factory=list)  # the probes it taps (see add_probe)


@dataclass
class Outcome:
    """What a chunk produced; ``error`` is raised by the loop after its bookkeeping."""

    results: list[ChunkResult] = field(default_factory=list)
    steps: int = 0
    compute_ns: int = 0
    error: BaseException | None = None
    skipped: bool = False  # recalled, or a job before it failed: nothing ran


def execute(board: Board, job: Job) -> Outcome:
    """Run a job's inputs and board runs; never raises (see :attr:`Outcome.error`)."""
    out = Outcome()
    gate = job.gate
    if gate is not None:
        with gate.lock:
            if job.state == RECALLED or gate.halted:
                out.skipped = True
                job.done = True
                return out
            job.state = STARTED
    t0 = time.perf_counter_ns()
    try:
        for ops, k in job.segments:
            for op in ops:
                op()
            if k:
                out.results.append(board.run(k))
                out.steps += k
    except BaseException as exc:  # reported on the loop thread after bookkeeping
        out.error = exc
        if gate is not None:
            with gate.lock:
                gate.halted = True
    out.compute_ns = time.perf_counter_ns() - t0
    job.done = True
    return out


#: GIL switch interval (s) while the worker thread runs long stretches of Python (mapping
#: and loading a network): the loop thread then waits at most this long for the GIL
#: before each of its turns, instead of Python's default 5 ms.
RESPONSIVE_SWITCH_S = 0.0005

_switch_lock = threading.Lock()
_switch_users = 0
_switch_saved = 0.0


@contextlib.contextmanager
def responsive_loop() -> Iterator[None]:
    """Lower the GIL switch interval while the worker thread runs Python (nestable).

    Python's default lets a thread that runs Python keep the GIL for 5 ms whenever another
    thread asks for it; with the mapper and the board's loader on the worker thread, each
    turn of the event loop (a 1 ms timer, a ZeroMQ reply) would wait that long, and longer
    when the machine is loaded.  The interval is restored when the last user leaves.
    """
    global _switch_users, _switch_saved
    with _switch_lock:
        if _switch_users == 0:
            _switch_saved = sys.getswitchinterval()
            sys.setswitchinterval(min(_switch_saved, RESPONSIVE_SWITCH_S))
        _switch_users += 1
    try:
        yield
    finally:
        with _switch_lock:
            _switch_users -= 1
            if _switch_users == 0:
                sys.setswitchinterval(_switch_saved)


class Worker:
    """The worker thread, and the estimate that decides whether a chunk needs it.

    Parameters
    ----------
    inline_below_us
        Chunks expected to take less board time than this run on the calling thread.
    """

    def __init__(self, inline_below_us: float) -> None:
        if not (isinstance(inline_below_us, int | float) and inline_below_us >= 0):
            raise ValueError(
                f"inline_below_us must be a non-negative number, got {inline_below_us!r}"
            )
        self._inline_below_ns = float(inline_below_us) * 1e3
        self._ns_per_step = math.inf  # board time per step, running average
        self._queue: queue.SimpleQueue[_Call | None] | None = None

    def inline(self, n_steps: int) -> bool:
        """Whether a chunk of ``n_steps`` is expected to be too short for the thread."""
        return self._ns_per_step * n_steps < self._inline_below_ns

    def observe(self, outcome: Outcome) -> None:
        """Update the estimate of board time per step."""
        if outcome.steps:
            per_step = outcome.compute_ns / outcome.steps
            old = self._ns_per_step
            self._ns_per_step = per_step if math.isinf(old) else 0.75 * old + 0.25 * per_step

    async def call(self, fn: Callable[..., T], *args: Any, inline: bool = False) -> tuple[T, bool]:
        """Run ``fn`` (on the worker thread unless ``inline``); outlive cancellation.

        Returns ``(result, cancelled)``.  When the awaiting task is cancelled, ``fn`` still
        runs to its end and its result is returned with ``cancelled=True``: the caller
        finishes its bookkeeping and then raises ``CancelledError``, so a cancelled run
        always stops at a chunk boundary with everything recorded.
        """
        if inline:
            return fn(*args), False
        return await self.wait(self.submit(fn, *args))

    def submit(self, fn: Callable[..., T], *args: Any) -> asyncio.Future[T]:
        """Queue ``fn(*args)`` for the worker thread; its future settles on this loop.

        Calls run one at a time, in the order submitted.
        """
        if self._queue is None:
            q: queue.SimpleQueue[_Call | None] = queue.SimpleQueue()
            nq: queue.SimpleQueue[_Settle | None] = queue.SimpleQueue()
            self._queue = q
            threading.Thread(
                target=_serve, args=(q, nq), name="spinstream-board", daemon=True
            ).start()
            threading.Thread(
                target=_notify, args=(nq,), name="spinstream-notify", daemon=True
            ).start()
            # the threads must not keep the Worker alive; they end when the Worker goes
            weakref.finalize(self, q.put, None)
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[T] = loop.create_future()
        self._queue.put((loop, fut, fn, args))
        return fut

    @staticmethod
    async def wait(
        fut: asyncio.Future[T], on_cancel: Callable[[], None] | None = None
    ) -> tuple[T, bool]:
        """Await a submitted call; outlive cancellation as :meth:`call` does.

        ``on_cancel`` is called (on the loop's thread) when the cancellation arrives.
        """
        cancelled = False
        while True:
            try:
                return await asyncio.shield(fut), cancelled
            except asyncio.CancelledError:
                if fut.cancelled():
                    raise
                if not cancelled and on_cancel is not None:
                    on_cancel()
                cancelled = True

    def close(self) -> None:
        """Let the worker thread end (after the call in progress, if any)."""
        if self._queue is not None:
            self._queue.put(None)
            self._queue = None


_Call = tuple[
    asyncio.AbstractEventLoop, "asyncio.Future[Any]", Callable[..., Any], tuple[Any, ...]
]


_Settle = tuple[asyncio.AbstractEventLoop, "asyncio.Future[Any]", Any, BaseException | None]


def _serve(q: queue.SimpleQueue[_Call | None], nq: queue.SimpleQueue[_Settle | None]) -> None:
    # A bare thread and a queue: half the hand-over time of run_in_executor's
    # concurrent.futures machinery, which matters at chunks of a few steps.
    while True:
        item = q.get()
        if item is None:
            nq.put(None)
            return
        loop, fut, fn, args = item
        result: Any = None
        error: BaseException | None = None
        try:
            result = fn(*args)
        except BaseException as exc:
            error = exc
        if q.empty():
            _wake(loop, fut, result, error)
        else:
            # The next call is queued (read-ahead): start it first.  Waking the loop from
            # here would hand it the GIL for its whole bookkeeping of this result before
            # this thread could enter the next board run; the notifier thread wakes it
            # while the board runs instead.
            nq.put((loop, fut, result, error))
        del item, fut, fn, args, result, error


def _notify(nq: queue.SimpleQueue[_Settle | None]) -> None:
    while True:
        item = nq.get()
        if item is None:
            return
        _wake(*item)
        del item


def _wake(
    loop: asyncio.AbstractEventLoop,
    fut: asyncio.Future[Any],
    result: Any,
    error: BaseException | None,
) -> None:
    with contextlib.suppress(RuntimeError):  # a closed loop: nobody waits any more
        loop.call_soon_threadsafe(_settle, fut, result, error)


def _settle(fut: asyncio.Future[Any], result: Any, exc: BaseException | None) -> None:
    if fut.done():
        return
    if exc is not None:
        fut.set_exception(exc)
    else:
        fut.set_result(result)
