"""Running a chunk: the board calls of one chunk, on a worker thread or on the loop's.

A chunk is one or more ``Board.run`` calls (split where input is due at an exact step),
with the inputs due before each.  It runs on a single worker thread, so the event loop
stays live while the C engine (which releases the GIL) works, unless the previous chunks
show it will take less time than the hand-over to a thread and back would.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import queue
import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from spinstream.board._base import Board, ChunkResult

T = TypeVar("T")


@dataclass
class Job:
    """One chunk as the worker runs it: inputs, then steps, possibly several times."""

    first_step: int
    n_steps: int
    segments: list[tuple[list[Callable[[], None]], int]]


@dataclass
class Outcome:
    """What a chunk produced; ``error`` is raised by the loop after its bookkeeping."""

    results: list[ChunkResult] = field(default_factory=list)
    steps: int = 0
    compute_ns: int = 0
    error: BaseException | None = None


def execute(board: Board, job: Job) -> Outcome:
    """Run a job's inputs and board runs; never raises (see :attr:`Outcome.error`)."""
    out = Outcome()
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
    out.compute_ns = time.perf_counter_ns() - t0
    return out


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
        if self._queue is None:
            q: queue.SimpleQueue[_Call | None] = queue.SimpleQueue()
            self._queue = q
            threading.Thread(
                target=_serve, args=(q,), name="spinstream-board", daemon=True
            ).start()
            # the thread must not keep the Worker alive; it ends when the Worker goes
            weakref.finalize(self, q.put, None)
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[T] = loop.create_future()
        self._queue.put((loop, fut, fn, args))
        cancelled = False
        while True:
            try:
                return await asyncio.shield(fut), cancelled
            except asyncio.CancelledError:
                if fut.cancelled():
                    raise
                cancelled = True

    def close(self) -> None:
        """Let the worker thread end (after the call in progress, if any)."""
        if self._queue is not None:
            self._queue.put(None)
            self._queue = None


_Call = tuple[
    asyncio.AbstractEventLoop, "asyncio.Future[Any]", Callable[..., Any], tuple[Any, ...]
]


def _serve(q: queue.SimpleQueue[_Call | None]) -> None:
    # A bare thread and a queue: half the hand-over time of run_in_executor's
    # concurrent.futures machinery, which matters at chunks of a few steps.
    while True:
        item = q.get()
        if item is None:
            return
        loop, fut, fn, args = item
        result: Any = None
        error: BaseException | None = None
        try:
            result = fn(*args)
        except BaseException as exc:
            error = exc
        with contextlib.suppress(RuntimeError):  # a closed loop: nobody waits any more
            loop.call_soon_threadsafe(_settle, fut, result, error)
        del item, fut, fn, args, result, error


def _settle(fut: asyncio.Future[Any], result: Any, exc: BaseException | None) -> None:
    if fut.done():
        return
    if exc is not None:
        fut.set_exception(exc)
    else:
        fut.set_result(result)
