"""The chunk pipeline: jobs made from the input queue, run on the worker, then retired.

A chunk is made into a :class:`~spinstream.session._worker.Job` (the pending input at its
first step, timed input and probe taps at theirs), run on the worker thread (or inline),
and retired on the loop's thread: step, recording, streams, probes.  In fast mode the next
chunk is queued behind the running one (read-ahead: :meth:`ChunkPipeline.run_ahead`) and
taken back (:meth:`ChunkPipeline.recall_ahead`) when input, a subscription or a recording
arrives before it starts.  Pacing lives here too: real-time sleeps and the lock-step gate.
It belongs to one :class:`Runtime`, whose run loop drives it.
"""

from __future__ import annotations

import asyncio
import heapq
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from spinstream.model import EngineError, LockstepTimeoutError
from spinstream.session._routing import Routing
from spinstream.session._stats import TimingRing
from spinstream.session._worker import (
    QUEUED,
    RECALLED,
    Gate,
    Job,
    Outcome,
    Worker,
    execute,
)
from spinstream.streams import Subscription

if TYPE_CHECKING:
    from spinstream.session._runtime import Runtime


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


class ChunkPipeline:
    """The chunks of one :class:`Runtime`: making, running, read-ahead, retiring, pacing.

    Parameters
    ----------
    runtime
        The runtime whose board, routing and input queue the chunks use.
    worker
        The thread that runs the chunks.
    """

    def __init__(self, runtime: Runtime, worker: Worker) -> None:
        self._rt = runtime
        self.worker = worker
        #: ``(first step, steps)`` of what is on the board (``None``: nothing).
        self.in_flight: tuple[int, int] | None = None
        # fast mode: the running chunk and the one queued behind it (see run_ahead)
        self.pipe: list[_Slot] = []
        self.probes: list[Any] = []  # see Runtime.add_probe
        self.gate: asyncio.Future[None] | None = None  # lock-step: woken by a subscriber
        # real-time pacing: wall-clock time at which step anchor_step was due
        self.anchor = 0.0
        self.anchor_step = 0
        # statistics
        self.chunks = 0
        self.steps_run = 0
        self.overruns = 0
        self.lag_s = 0.0
        self.compute = TimingRing()
        self.overhead = TimingRing()
        self.queued_ahead = 0
        self.taken_back = 0

    @property
    def input_step(self) -> int:
        """The step at which input given now takes effect (the next chunk's first step).

        In fast mode a chunk may be queued behind the running one: input given now takes it
        back if it has not started, and lands in it (so this is its first step).
        """
        pipe = self.pipe
        if len(pipe) >= 2 and pipe[-1].job.state == QUEUED:
            return pipe[-1].job.first_step
        if self.in_flight is not None:
            return self.in_flight[0] + self.in_flight[1]
        return self._rt._step

    def pin_input_step(self, earliest: int | None = None) -> int:
        """Return :attr:`input_step` for input due at ``earliest`` (None: at once), made true.

        A chunk queued ahead that has not started and would miss such input is taken back
        first; input for later steps leaves it queued.
        """
        pipe = self.pipe
        if len(pipe) >= 2 and (earliest is None or earliest < pipe[-1].end):
            self.recall_ahead()
        return self.input_step

    async def _wait_gate(self) -> bool:
        """Wait until every lock-step subscriber has asked; returns whether it waited.

        Raises :class:`~spinstream.model.LockstepTimeoutError` after
        :attr:`lockstep_timeout` seconds, naming a subscriber that has not asked.
        """
        loop = asyncio.get_running_loop()
        waited = False
        deadline: float | None = None
        while True:
            waiting = [s for s in self._rt._subs if s.lockstep and not s.ready]
            if not waiting:
                return waited
            timeout = self._rt.lockstep_timeout
            if deadline is None and timeout is not None:
                deadline = loop.time() + timeout
            gate: asyncio.Future[None] = loop.create_future()
            self.gate = gate
            waited = True
            try:
                if deadline is None:
                    await gate
                else:
                    await asyncio.wait({gate}, timeout=max(0.0, deadline - loop.time()))
            finally:
                self.gate = None
            if deadline is not None and not gate.done() and loop.time() >= deadline:
                waiting = [s for s in self._rt._subs if s.lockstep and not s.ready]
                if waiting:
                    raise self._lockstep_timeout(waiting[0], timeout or 0.0)

    def _lockstep_timeout(self, sub: Subscription[Any], timeout: float) -> LockstepTimeoutError:
        last = sub.last_batch
        seen = (
            "it has not received a batch yet"
            if last is None
            else f"the last batch it received is of chunk {last.sequence}"
        )
        nxt = self.chunks + 1
        return LockstepTimeoutError(
            f"lock-step stream {sub.label} ({sub.variable} of {sub.selection!r}) did not ask "
            f"for its next batch within {timeout:g} s, so chunk {nxt} (from t = {self._rt.time} "
            f"ms) cannot start; {seen} and {len(sub)} wait unread in its buffer.  Read the "
            "stream (async for), close it, or give Session(lockstep_timeout=...) more time"
        )

    def _make_job(self, n: int, first: int | None = None) -> Job:
        """Make the job of ``n`` steps from ``first`` (default: the runtime's step)."""
        if self._rt._routing_dirty:
            self._rt._apply_routing_checked()
        if first is None:
            first = self._rt._step
        end = first + n
        inputs = self._rt._inputs
        ops = inputs.pending
        inputs.pending = []
        segments: list[tuple[list[Callable[[], None]], int]] = []
        cur = first
        timed = inputs.timed
        events: list[tuple[int, int, list[Callable[[], None]]]] = []
        self.probes = [p for p in self.probes if not p.closed]
        for probe in self.probes:
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
        job.probes = list(self.probes)
        return job

    async def one_chunk(self, n: int) -> None:
        t0 = time.perf_counter_ns()
        inline = self._rt._inline or self.worker.inline(n)
        yielded = self._rt.mode == "lockstep" and await self._wait_gate()
        if inline and not yielded:
            # the loop is not otherwise yielded to: let other tasks (and cancellation) in
            await asyncio.sleep(0)
        waited = time.perf_counter_ns() - t0
        job = self._make_job(n)
        board = self._rt._live_board()
        self.in_flight = (job.first_step, n)
        try:
            outcome, cancelled = await self.worker.call(execute, board, job, inline=inline)
        finally:
            self.in_flight = None
        self._finish_chunk(job, outcome, self._rt._routing, board_idle=True)
        t1 = time.perf_counter_ns()
        self.overhead.add(max(0, t1 - t0 - waited - outcome.compute_ns))
        if cancelled:
            raise asyncio.CancelledError
        if self._rt.mode == "realtime":
            await self._pace()

    def _finish_chunk(
        self, job: Job, outcome: Outcome, routing: Routing, *, board_idle: bool
    ) -> None:
        """Do the loop's part of a chunk: step, recording, streams, probes; raise its error.

        ``board_idle``: no other chunk is on the board, so its step can be checked.
        """
        self.worker.observe(outcome)
        self._rt._step = job.first_step + outcome.steps
        if outcome.steps:
            self.steps_run += outcome.steps
            self.chunks += 1
            routing.distribute(
                outcome.results,
                self._rt.recorder,
                job.first_step,
                outcome.steps,
                self._rt.dt,
                self.chunks,
            )
            self._rt._inputs.chunk_done(self.chunks, self._rt._step)
        for probe in job.probes:  # the probes this chunk tapped
            if outcome.steps and outcome.error is None:
                probe.flush(job.first_step, outcome.steps, self.chunks)
            else:
                probe.discard()
        self.compute.add(outcome.compute_ns)
        if outcome.error is not None:
            raise outcome.error
        board_step = self._rt._board.step if self._rt._board is not None else self._rt._step
        if board_idle and board_step != self._rt._step:
            raise EngineError(
                f"the board is at step {board_step} after a chunk that should end at "
                f"step {self._rt._step}"
            )

    # ------------------------------------------------------------------ read-ahead (fast)
    def ahead_ok(self, n: int) -> bool:
        """Whether chunks of ``n`` steps may be queued ahead (fast mode, worker thread)."""
        return (
            self._rt.mode == "fast"
            and not self._rt._inline
            and not self.worker.inline(n)
            and not any(not p.closed for p in self.probes)
        )

    async def run_ahead(self, s: int) -> None:
        """Run chunks towards step ``s`` with the next chunk queued behind the running one.

        In fast mode the worker thread then goes from one chunk straight to the next
        while the loop records and streams the one before: the hand-over to the thread
        and back (tens of microseconds, more on a busy machine) is no longer paid between
        chunks.  Nothing about results changes: a queued chunk is the same job the loop
        would make later, and it is taken back (:meth:`recall_ahead`) if input, a
        subscription or a recording arrives before it starts, so that these still take
        effect at the next chunk's first step.  Returns when ``s`` is reached or when
        read-ahead no longer applies (the caller goes on chunk by chunk).
        """
        gate = Gate()
        pipe = self.pipe
        try:
            self._fill(s, gate)
            while pipe:
                slot = pipe[0]
                if slot.fut.done():  # the worker is ahead: still let the loop's tasks run
                    await asyncio.sleep(0)
                # a cancelled run stops after the running chunk: the queued one goes back
                outcome, cancelled = await self.worker.wait(slot.fut, self.recall_ahead)
                t0 = time.perf_counter_ns()
                if cancelled or outcome.error is not None:
                    self.recall_ahead()  # while the pipe still holds this chunk first
                self._retire(slot, outcome)
                if cancelled:
                    await self._finish_pipe()
                    raise asyncio.CancelledError
                spent = time.perf_counter_ns() - t0
                if self._rt._subs:
                    # let subscribers see this chunk before the one after next is queued:
                    # a controller answering at once then always lands in the next chunk
                    await asyncio.sleep(0)
                t1 = time.perf_counter_ns()
                self._fill(s, gate)
                self.overhead.add(spent + time.perf_counter_ns() - t1)
        finally:
            if pipe:  # an error left a started chunk behind: account for it too
                await self._finish_pipe()

    async def _finish_pipe(self) -> None:
        """Take back what has not started; wait for and record what has."""
        self.recall_ahead()
        pipe = self.pipe
        error: BaseException | None = None
        while pipe:
            slot = pipe[0]
            outcome, _ = await self.worker.wait(slot.fut)
            try:
                self._retire(slot, outcome)
            except BaseException as exc:  # the pipe must end empty: raise after it
                error = error or exc
        if error is not None:
            raise error

    def _retire(self, slot: _Slot, outcome: Outcome) -> None:
        """Take the first chunk of the pipe off it and do its bookkeeping (raises its error)."""
        self.pipe.pop(0)
        self._sync_in_flight()
        if outcome.skipped:  # recalled, or behind a failed chunk: nothing ran
            return
        self.queued_ahead += slot.queued_behind
        # the board's step is checked only with no chunk on it: at the run's end
        self._finish_chunk(slot.job, outcome, slot.routing, board_idle=not self.pipe)

    def _fill(self, s: int, gate: Gate) -> None:
        """Queue chunks until one runs and one waits behind it (or ``s`` is reached)."""
        pipe = self.pipe
        while len(pipe) < 2:
            end = pipe[-1].end if pipe else self._rt._step
            n = min(self._rt.chunk_steps, s - end)
            if n <= 0 or not self.ahead_ok(n):
                return
            if pipe and self._rt._routing_dirty:
                return  # a new routing needs the board idle: after the running chunk
            job = self._make_job(n, end)
            job.gate = gate
            fut = self.worker.submit(execute, self._rt._live_board(), job)
            # queued behind a chunk not finished yet: the worker goes on without waiting
            behind = bool(pipe) and not pipe[-1].job.done
            pipe.append(_Slot(job, fut, self._rt._routing, queued_behind=behind))
            self._sync_in_flight()

    def recall_ahead(self) -> None:
        """Take back the chunk queued behind the running one, if it has not started.

        Its inputs go back to the queues they came from, so the next job made has them.
        """
        pipe = self.pipe
        if len(pipe) < 2:
            return
        job = pipe[-1].job
        assert job.gate is not None
        with job.gate.lock:
            if job.state != QUEUED:
                return
            job.state = RECALLED
        pipe.pop()
        self.taken_back += 1
        self._rt._inputs.pending[:0] = job.taken_pending
        for entry in job.taken_timed:
            heapq.heappush(self._rt._inputs.timed, entry)
        self._sync_in_flight()

    def _sync_in_flight(self) -> None:
        pipe = self.pipe
        if pipe:
            first = pipe[0].job.first_step
            self.in_flight = (first, pipe[-1].end - first)
        else:
            self.in_flight = None

    async def _pace(self) -> None:
        deadline = self.anchor + (
            (self._rt._step - self.anchor_step) * self._rt.dt * 1e-3 * self._rt.time_scale_factor
        )
        now = self._rt.clock.now()
        if now > deadline:
            self.overruns += 1
            self.lag_s += now - deadline
            self.anchor += now - deadline  # no catching up: the schedule slips
        else:
            await self._rt.clock.sleep_until(deadline)
