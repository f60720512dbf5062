"""Controllers as part of a run: they see every chunk, fail the run loudly, never hang it."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

import spinstream
from spinstream.model import LockstepTimeoutError
from tests.engine import require_engine

require_engine()


def network(sim: Any) -> tuple[Any, Any]:
    drive = sim.Population(20, sim.SpikeSourcePoisson(rate=50.0), label="drive")
    cells = sim.Population(30, sim.IF_curr_exp(), label="cells")
    sim.Projection(
        drive,
        cells,
        sim.FixedProbabilityConnector(0.3),
        sim.StaticSynapse(weight=1.0, delay=1.0),
    )
    cells.record("spikes")
    return drive, cells


@pytest.mark.parametrize("mode", ["lockstep", "fast"])
async def test_every_controller_sees_every_chunk_and_its_loop_ends_with_the_run(mode) -> None:
    async with spinstream.Session(timestep=0.1, chunk=1.0, mode=mode, seed=3) as sim:
        drive, cells = network(sim)
        seen: dict[str, list[int]] = {"a": [], "b": []}
        after: list[str] = []

        async def controller(name: str) -> None:
            async with cells.stream("spikes", lockstep=mode == "lockstep", maxlen=1000) as s:
                async for batch in s:
                    seen[name].append(batch.sequence)
                    drive.set(rate=40.0 + len(batch))
            after.append(name)  # the loop ended: code after it runs

        await sim.run(100.0, controllers=[controller("a"), lambda: controller("b")])
        assert sim.time == 100.0
        assert seen["a"] == seen["b"] == list(range(1, 101))  # the last chunk included
        assert sorted(after) == ["a", "b"]
        # a second run with a fresh controller sees the next 50 chunks
        more: list[int] = []

        async def again() -> None:
            async with cells.stream("spikes") as s:
                async for batch in s:
                    more.append(batch.sequence)

        await sim.run(50.0, controllers=[again])
        assert more == list(range(101, 151))


async def test_a_controller_that_raises_fails_the_run_with_its_exception() -> None:
    async with spinstream.Session(timestep=0.1, chunk=1.0, mode="lockstep", seed=3) as sim:
        _drive, cells = network(sim)
        cancelled = asyncio.Event()

        async def crashes() -> None:
            async with cells.stream("spikes", lockstep=True) as s:
                async for batch in s:
                    if batch.sequence == 20:
                        raise ValueError("controller failed at chunk 20")

        async def bystander() -> None:
            try:
                async with cells.stream("spikes") as s:
                    async for _ in s:
                        pass
            except asyncio.CancelledError:
                cancelled.set()
                raise

        with pytest.raises(ValueError, match="controller failed at chunk 20"):
            await sim.run(1000.0, controllers=[crashes, bystander])
        # stopped at a chunk boundary soon after, not at the end; the recording is kept
        assert 20.0 <= sim.time < 30.0
        assert cancelled.is_set()
        spikes = cells.get_data().segments[0].spiketrains
        assert max((float(st.max()) for st in spikes if len(st)), default=0.0) <= sim.time
        # the session is still usable
        await sim.run(5.0)
        assert sim.time == pytest.approx(sim.time)


async def test_a_lockstep_stream_nobody_reads_fails_after_the_timeout_naming_it() -> None:
    async with spinstream.Session(
        timestep=0.1, chunk=1.0, mode="lockstep", seed=3, lockstep_timeout=0.3
    ) as sim:
        _drive, cells = network(sim)

        async def stalls() -> None:
            async with cells.stream("spikes", lockstep=True) as s:
                async for batch in s:
                    if batch.sequence == 3:
                        await asyncio.sleep(3600)  # stuck, but alive

        t0 = time.monotonic()
        with pytest.raises(LockstepTimeoutError) as info:
            await sim.run(100.0, controllers=[stalls])
        assert time.monotonic() - t0 < 30.0
        msg = str(info.value)
        assert "spikes#" in msg
        assert "chunk 4" in msg
        assert "chunk 3" in msg
        assert "0.3 s" in msg
        assert sim.time == 3.0  # three chunks ran


async def test_lockstep_timeout_is_checked() -> None:
    with pytest.raises(ValueError, match="lockstep_timeout"):
        spinstream.Session(mode="lockstep", lockstep_timeout=-1.0)


async def test_controllers_must_be_coroutines() -> None:
    async with spinstream.Session(timestep=0.1, chunk=1.0, seed=3) as sim:
        network(sim)
        with pytest.raises(TypeError, match=r"controllers\[0\]"):
            await sim.run(10.0, controllers=[42])
        with pytest.raises(TypeError, match="controllers must be a list"):
            await sim.run(10.0, controllers=print)  # type: ignore[arg-type]
        assert sim.time == 0.0


async def test_late_answers_are_counted_in_realtime_and_never_in_lockstep() -> None:
    async with spinstream.Session(timestep=0.1, chunk=5.0, mode="realtime", seed=3) as sim:
        drive, cells = network(sim)

        async def slow() -> None:
            async with cells.stream("spikes") as s:
                async for batch in s:
                    if batch.sequence % 4 == 0:
                        await asyncio.sleep(0.02)  # four chunks' worth: the next has started
                        drive.set(rate=30.0)

        await sim.run(200.0, controllers=[slow])
        st = sim.statistics()
        assert st.chunks == 40
        # chunks 4, 8 ... 36 were answered after the next chunk had started; chunk 40's
        # answer came after the run, in time for the next run's first chunk
        assert st.late_answers == 9
        assert st.late_inputs == 0  # nothing was refused: late answers are not refusals
        assert st.answer_us.n == 10
        assert st.answer_us.p50 >= 20_000.0  # at least the controller's 20 ms
    async with spinstream.Session(timestep=0.1, chunk=5.0, mode="lockstep", seed=3) as sim:
        drive, cells = network(sim)

        async def prompt() -> None:
            async with cells.stream("spikes", lockstep=True) as s:
                async for _ in s:
                    await asyncio.sleep(0.002)
                    drive.set(rate=30.0)
                    drive.set(rate=31.0)  # a second input for the same batch: one answer

        await sim.run(100.0, controllers=[prompt])
        st = sim.statistics()
        assert (st.late_answers, st.answer_us.n) == (0, 20)
        assert st.answer_us.p50 >= 2000.0


async def test_every_operation_after_close_says_the_session_is_closed() -> None:
    sim = spinstream.Session(timestep=0.1, chunk=1.0, seed=3)
    _drive, cells = network(sim)
    await sim.run(10.0)
    await sim.aclose()
    for call in (
        lambda: cells.set(i_offset=0.1),
        lambda: sim.Population(3, sim.IF_curr_exp()),
        lambda: cells.stream("spikes"),
        lambda: cells.record("v"),
        lambda: sim.reset(),
    ):
        with pytest.raises(Exception, match="session is closed"):
            call()
    with pytest.raises(RuntimeError, match="session is closed"):
        await sim.run(10.0)
    with pytest.raises(RuntimeError, match="Serving is not possible: the session is closed"):
        await sim.serve()
    assert len(cells.get_data().segments[0].spiketrains) == 30  # the data stays


async def test_a_stream_opened_before_the_run_ends_with_the_controller_that_reads_it() -> None:
    async with spinstream.Session(timestep=0.1, chunk=1.0, mode="lockstep", seed=3) as sim:
        _drive, cells = network(sim)
        stream = cells.stream("spikes", lockstep=True)  # opened by the main task
        seen: list[int] = []

        async def reads() -> None:
            async for batch in stream:
                seen.append(batch.sequence)

        await asyncio.wait_for(sim.run(20.0, controllers=[reads]), 30)
        assert seen == list(range(1, 21))


async def test_cancelling_the_run_cancels_its_controllers() -> None:
    async with spinstream.Session(timestep=0.1, chunk=1.0, mode="realtime", seed=3) as sim:
        _drive, cells = network(sim)
        cancelled = asyncio.Event()

        async def controller() -> None:
            try:
                async with cells.stream("spikes") as s:
                    async for _ in s:
                        pass
            except asyncio.CancelledError:
                cancelled.set()
                raise

        run = asyncio.ensure_future(sim.run(10_000.0, controllers=[controller]))
        await asyncio.sleep(0.1)
        run.cancel()
        with pytest.raises(asyncio.CancelledError):
            await run
        assert cancelled.is_set()
        assert 0.0 < sim.time < 10_000.0  # stopped at a chunk boundary
        await sim.run(1.0)  # and the session goes on
