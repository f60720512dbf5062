"""Running a chunk: the board calls of one chunk, on a worker thread or on the loop's.

A chunk is one or more ``Board.run`` calls (split where input is due at an exact step),
with the inputs due before each.  It runs on a single worker thread, so the event loop
stays live while the C engine (which releases the GIL) works, unless the previous chunks
show it will take less time than the hand-over to a thread and back would.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
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
        self._executor: ThreadPoolExecutor | None = None

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
        if self._executor is None:
            self._executor = ThreadPoolExecutor(1, thread_name_prefix="spinstream-board")
        fut = asyncio.get_running_loop().run_in_executor(self._executor, fn, *args)
        cancelled = False
        while True:
            try:
                return await asyncio.shield(fut), cancelled
            except asyncio.CancelledError:
                if fut.cancelled():
                    raise
                cancelled = True

    def close(self) -> None:
        """Stop the worker thread (after the call in progress, if any)."""
        if self._executor is not None:
            self._executor.shutdown(wait=True)
            self._executor = None
