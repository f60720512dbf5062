"""Fast mode queues the next chunk behind the running one; nothing a user sees changes.

The worker thread goes from one chunk straight to the next while the loop records and
streams the one before.  A queued chunk that has not started is taken back when input, a
subscription or a recording arrives, so these still take effect at the next chunk's first
step; a failing or cancelled chunk never lets the queued one run.
"""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

import numpy as np
import pytest

from spinstream.board._base import ChunkResult
from spinstream.model import EngineError
from spinstream.session import Runtime
from tests.fakes import FakeBoard, injector, neurons, one_to_one, trivial_plan


class TicketBoard(FakeBoard):
    """A FakeBoard whose every run waits for a ticket (``release(k)`` lets k runs go)."""

    def __init__(self, **kw: Any) -> None:
        super().__init__(**kw)
        self.tickets = threading.Semaphore(0)
        self.entered = threading.Semaphore(0)  # one per run that has started waiting
        self.fail_at: int | None = None

    def release(self, k: int = 1) -> None:
        for _ in range(k):
            self.tickets.release()

    def run(self, n_steps: int) -> ChunkResult:
        self.entered.release()
        self.tickets.acquire()
        if self.fail_at is not None and self._step == self.fail_at:
            raise EngineError(f"the board failed at step {self._step}")
        return super().run(n_steps)


def make(board: FakeBoard, mode: str = "fast", **kw: Any) -> Runtime:
    rt = Runtime(
        dt=1.0,
        chunk_steps=10,
        mode=mode,
        board=board,
        mapper=trivial_plan,
        seed=1,
        inline_below_us=0,  # every chunk on the worker thread
        **kw,
    )
    rt.add_population(neurons(0, 4, i_offset=0.0, v_thresh=1.0, label="out"))
    rt.add_population(injector(1, 4, label="in"))
    rt.add_projection(one_to_one(0, 1, 0, 4, 2.0, delay=1))
    rt.set_recording(0, "spikes", np.arange(4))
    rt.set_recording(1, "spikes", np.arange(4))
    return rt


async def entered(board: TicketBoard) -> None:
    """Wait until the board has entered one more run (it is then blocked on a ticket)."""
    assert await asyncio.to_thread(board.entered.acquire, True, 5.0)


async def test_the_next_chunk_is_queued_and_runs_without_the_loop() -> None:
    board = TicketBoard()
    rt = make(board)
    await rt.run_steps(0)
    run = asyncio.create_task(rt.run_steps(30))
    await entered(board)  # chunk 0-10 runs; 10-20 is queued behind it
    board.release(1)
    await entered(board)  # 10-20 runs (the worker did not wait for the loop) ...
    for _ in range(5000):  # ... and 20-30 gets queued behind it (within 5 s)
        if rt._pipeline.pipe[-1].job.first_step == 20:
            break
        await asyncio.sleep(0.001)
    board.release(2)
    await run
    st = rt.statistics()
    assert rt.step == 30
    assert board.runs == [10, 10, 10]
    assert st.chunks == 3
    assert st.queued_ahead == 2
    assert st.taken_back == 0


async def test_input_while_a_chunk_is_queued_lands_in_that_chunk() -> None:
    board = TicketBoard()
    rt = make(board)
    await rt.run_steps(0)
    run = asyncio.create_task(rt.run_steps(30))
    await entered(board)  # 0-10 running, 10-20 queued
    first = rt.schedule_spikes(1, [2])  # the queued chunk is taken back for it
    assert first == 10
    at = rt.set_parameters(0, "i_offset", [3], [5.0])
    assert at == 10
    board.release(3)
    await run
    assert rt.statistics().taken_back == 1
    stamps, idx = rt.recorder.spikes(1)
    assert stamps.tolist() == [10]
    assert idx.tolist() == [2]
    # the driven neuron fires from step 10 on (the FakeBoard stamps a spike at m + 1)
    out_stamps, out_idx = rt.recorder.spikes(0)
    assert out_stamps[out_idx == 3].min() == 11
    assert board.runs == [10, 10, 10]


async def test_a_subscription_opened_mid_run_starts_with_the_next_chunk() -> None:
    board = TicketBoard()
    rt = make(board)
    await rt.run_steps(0)
    run = asyncio.create_task(rt.run_steps(30))
    await entered(board)
    sub = rt.subscribe_spikes(1, maxlen=10)
    board.release(3)
    await run
    got = []
    while len(sub):
        got.append(sub.receive_nowait().first_step)
    assert got == [10, 20]


async def test_a_failing_chunk_keeps_the_queued_one_from_running() -> None:
    board = TicketBoard()
    board.fail_at = 10
    rt = make(board)
    await rt.run_steps(0)
    run = asyncio.create_task(rt.run_steps(40))
    await entered(board)  # 0-10 running, 10-20 queued
    board.release(1)
    await entered(board)  # 10-20 started (it will fail); 20-30 queued behind it
    rt.schedule_spikes(1, [1], np.array([25]))  # for a step inside the queued chunk
    board.release(1)
    with pytest.raises(EngineError, match="failed at step 10"):
        await run
    assert rt.step == 10
    assert not rt.running
    assert board.runs == [10]
    # the session goes on, and the input the queued chunk had taken is still there
    board.fail_at = None
    board.release(3)
    await rt.run_steps(30)
    assert rt.step == 40
    stamps, idx = rt.recorder.spikes(1)
    assert stamps.tolist() == [25]
    assert idx.tolist() == [1]


async def test_results_are_those_of_lockstep_whatever_the_controller_does() -> None:
    """A controller injecting on every batch: fast mode with read-ahead gives exactly
    the spikes of a run where those inputs are given at the steps fast mode reported."""

    async def controlled(rt: Runtime) -> list[tuple[int, int]]:
        given: list[tuple[int, int]] = []
        sub = rt.subscribe_spikes(0, maxlen=1000)

        async def controller() -> None:
            async for batch in sub:
                k = batch.sequence % 4
                given.append((rt.schedule_spikes(1, [k]), k))

        task = asyncio.create_task(controller())
        await rt.run_steps(300)
        task.cancel()
        return list(given)

    rt = make(FakeBoard())
    given = await controlled(rt)
    assert rt.statistics().queued_ahead > 0
    assert len(given) > 5
    ref = make(FakeBoard(), mode="lockstep")
    for step, k in given:
        if step >= 300:  # given after the run's end (the controller was behind)
            continue
        ref.schedule_spikes(1, [k], np.array([step]))
    await ref.run_steps(300)
    for pop in (0, 1):
        for a, b in zip(rt.recorder.spikes(pop), ref.recorder.spikes(pop), strict=True):
            np.testing.assert_array_equal(a, b)


async def test_reading_input_step_or_far_input_leaves_the_queued_chunk_alone() -> None:
    board = TicketBoard()
    rt = make(board)
    await rt.run_steps(0)
    run = asyncio.create_task(rt.run_steps(40))
    await entered(board)  # 0-10 running, 10-20 queued
    assert rt.input_step == 10  # where input given now would land; nothing taken back
    assert rt.schedule_spikes(1, [3], np.array([25])) == 25  # beyond the queued chunk
    board.release(4)
    await run
    st = rt.statistics()
    assert st.taken_back == 0
    assert st.queued_ahead >= 1
    stamps, idx = rt.recorder.spikes(1)
    assert stamps.tolist() == [25]
    assert idx.tolist() == [3]


class _Probe:
    """A probe that notes which steps it was tapped at and what each flush covered."""

    closed = False

    def __init__(self) -> None:
        self.tapped: list[int] = []
        self.flushed: list[tuple[int, int, int]] = []

    def taps(self, first: int, end: int) -> list[tuple[int, Any]]:
        return [(s, lambda s=s: self.tapped.append(s)) for s in range(first + 1, end + 1)]

    def flush(self, first: int, n_steps: int, sequence: int) -> None:
        self.flushed.append((first, n_steps, len(self.tapped)))
        self.tapped = []

    def discard(self) -> None:
        self.tapped = []


async def test_a_probe_added_mid_run_is_flushed_only_for_chunks_it_tapped() -> None:
    board = TicketBoard()
    rt = make(board)
    await rt.run_steps(0)
    run = asyncio.create_task(rt.run_steps(40))
    await entered(board)  # 0-10 running, 10-20 queued
    board.release(1)
    await entered(board)  # 10-20 started: neither chunk has the probe's taps
    probe = _Probe()
    rt.add_probe(probe)
    board.release(100)  # a tap at every step splits a chunk into one-step runs
    await run
    assert probe.flushed == [(20, 10, 10), (30, 10, 10)]


class _BusyBoard(FakeBoard):
    """A FakeBoard whose runs take a while (sleeping, so the GIL is free meanwhile)."""

    def run(self, n_steps: int) -> ChunkResult:
        time.sleep(200e-6)
        return super().run(n_steps)


async def test_a_controller_answering_at_once_always_lands_in_the_next_chunk() -> None:
    """Fast mode: the answer to chunk k's batch takes effect at chunk k + 2's first step
    (k + 1 is already running), every time, however the threads happen to interleave."""
    rt = make(_BusyBoard())
    sub = rt.subscribe_spikes(0, maxlen=1000)
    late: list[int] = []

    async def controller() -> None:
        async for batch in sub:
            end = batch.first_step + batch.n_steps
            if end < 2000:  # the last chunk's answer lands after the run, at step 2000
                late.append(rt.schedule_spikes(1, [0]) - end)

    task = asyncio.create_task(controller())
    await rt.run_steps(2000)
    task.cancel()
    assert rt.statistics().queued_ahead > 100
    assert len(late) > 150
    assert set(late) == {10}
