"""Subscriptions: buffers and drops, pacing modes, lock-step, cancellation, robustness."""

from __future__ import annotations

import asyncio
import threading

import anyio
import numpy as np
import pytest

import spinstream.streams
from spinstream.model import LateInputError
from spinstream.session import Runtime, VirtualClock
from spinstream.streams import Selection, SpikeBatch, StateBatch, Subscription
from tests.fakes import FakeBoard, injector, neurons, one_to_one, trivial_plan


def make_runtime(chunk_steps: int = 10, board: FakeBoard | None = None, **kw: object) -> Runtime:
    rt = Runtime(
        dt=1.0,
        chunk_steps=chunk_steps,
        board=board or FakeBoard(),
        mapper=trivial_plan,
        seed=1,
        **kw,  # type: ignore[arg-type]
    )
    a = neurons(0, 4, i_offset=1.0, v_thresh=3.0, label="a")
    a.params["i_offset"] = np.array([1.0, 0.5, 0.0, 3.0])
    rt.add_population(a)
    rt.add_population(injector(1, 4, label="in"))
    rt.add_population(neurons(2, 4, i_offset=0.0, v_thresh=1.0, label="out"))
    rt.add_projection(one_to_one(0, 1, 2, 4, 1.0, delay=1))
    return rt


def drain(sub: Subscription[SpikeBatch] | Subscription[StateBatch]) -> list[object]:
    return [sub.receive_nowait() for _ in range(len(sub))]


def test_exports() -> None:
    assert set(spinstream.streams.__all__) == {
        "Batch",
        "Selection",
        "SpikeBatch",
        "StateBatch",
        "Subscription",
        "WeightBatch",
        "as_selection",
    }
    assert all(hasattr(spinstream.streams, n) for n in spinstream.streams.__all__)


# ---------------------------------------------------------------------- batches
async def test_spike_batches_cover_every_chunk_with_positions() -> None:
    rt = make_runtime(chunk_steps=4)
    sub = rt.subscribe_spikes(0, [3, 0], maxlen=100)
    await rt.run_steps(10)
    batches = drain(sub)
    assert [(b.first_step, b.n_steps, b.t_start, b.t_stop) for b in batches] == [
        (0, 4, 0.0, 4.0),
        (4, 4, 4.0, 8.0),
        (8, 2, 8.0, 10.0),
    ]
    stamps = np.concatenate([b.stamps for b in batches])
    pos = np.concatenate([b.indices for b in batches])
    # neuron 3 (position 0) fires every step, neuron 0 (position 1) every third step
    np.testing.assert_array_equal(stamps[pos == 0], np.arange(1, 11))
    np.testing.assert_array_equal(stamps[pos == 1], [3, 6, 9])
    np.testing.assert_array_equal(batches[0].times, batches[0].stamps * 1.0)
    assert all(b.dropped == 0 for b in batches)
    assert [b.sequence for b in batches] == [1, 2, 3]


async def test_streaming_unrecorded_population_keeps_recorder_clean() -> None:
    rt = make_runtime()
    rt.set_recording(0, "spikes", np.array([0]))
    spikes = rt.subscribe_spikes(0, maxlen=10)
    v = rt.subscribe_state(0, "v", [1, 2], maxlen=10)
    await rt.run_steps(20)
    # the recorder has only what was asked: spikes of neuron 0, no v
    st, idx = rt.recorder.spikes(0)
    assert set(idx.tolist()) == {0}
    assert len(st) == 6
    assert rt.recorder.samples(0, "v")[0].size == 0
    assert "v" not in rt.recorder.variables(0)
    # the streams have everything they asked for
    got = {int(i) for b in drain(spikes) for i in b.indices}  # type: ignore[attr-defined]
    assert got == {0, 1, 3}
    state = drain(v)
    assert all(b.values.shape[1] == 2 for b in state)  # type: ignore[attr-defined]
    assert [len(b) for b in state] == [11, 10]  # stamp 0 and stamps 1..10, then 11..20


async def test_state_stream_interval_and_selection_of_several_populations() -> None:
    rt = make_runtime()
    rt.set_recording(0, "v", np.arange(4))  # recorder at every step
    sub = rt.subscribe_state([(2, [1]), (0, [3, 1])], "v", interval_steps=5, maxlen=10)
    await rt.run_steps(20)
    batches = drain(sub)
    stamps = np.concatenate([b.stamps for b in batches])  # type: ignore[attr-defined]
    np.testing.assert_array_equal(stamps, [0, 5, 10, 15, 20])
    values = np.concatenate([b.values for b in batches])  # type: ignore[attr-defined]
    rec_stamps, rec_values, rec_idx = rt.recorder.samples(0, "v")
    np.testing.assert_array_equal(rec_idx, np.arange(4))
    np.testing.assert_array_equal(values[:, 1:], rec_values[rec_stamps % 5 == 0][:, [3, 1]])
    np.testing.assert_array_equal(values[:, 0], 0.0)  # 'out' gets no input


async def test_drop_counting_with_a_slow_subscriber() -> None:
    rt = make_runtime(chunk_steps=2)
    slow = rt.subscribe_spikes(0, maxlen=3)
    fast = rt.subscribe_spikes(0, maxlen=100)
    await rt.run_steps(20)  # 10 chunks, nobody reads
    assert len(slow) == 3
    b = slow.receive_nowait()
    assert b.dropped == 7
    assert b.first_step == 14
    assert [slow.receive_nowait().dropped for _ in range(2)] == [0, 0]
    with pytest.raises(anyio.WouldBlock):
        slow.receive_nowait()
    await rt.run_steps(10)  # 5 more chunks
    b = slow.receive_nowait()
    assert (b.first_step, b.dropped) == (24, 2)
    stats = rt.statistics()
    assert stats.drops == {slow.label: 9, fast.label: 0}
    assert len(fast) == 15


async def test_state_stream_keeps_the_latest() -> None:
    rt = make_runtime(chunk_steps=5)
    latest = rt.subscribe_state(0, "v")
    await rt.run_steps(30)
    assert len(latest) == 1
    b = latest.receive_nowait()
    assert (b.first_step, b.dropped, b.variable) == (25, 5, "v")


async def test_slow_subscriber_does_not_stall_fast_mode() -> None:
    rt = make_runtime(chunk_steps=1)
    sub = rt.subscribe_spikes(0, maxlen=2)
    got: list[int] = []

    async def slow_reader() -> None:
        async for batch in sub:
            got.append(batch.first_step)
            await anyio.Event().wait()  # never comes back

    task = asyncio.create_task(slow_reader())
    await rt.run_steps(50)
    assert rt.step == 50
    assert rt.statistics().drops[sub.label] >= 45
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


# ---------------------------------------------------------------------- subscription object
async def test_subscription_close_and_end() -> None:
    rt = make_runtime()
    sub = rt.subscribe_spikes(0)
    await rt.run_steps(10)
    async with sub:
        assert (await sub.receive()).first_step == 0
    assert sub.closed
    with pytest.raises(anyio.ClosedResourceError):
        sub.receive_nowait()
    await rt.run_steps(10)  # a closed subscription gets nothing and costs nothing
    assert sub.delivered == 1
    assert sub not in rt.subscriptions

    other = rt.subscribe_spikes(0)
    await rt.run_steps(10)
    rt.close()
    assert (await other.receive()).first_step == 20
    with pytest.raises(anyio.EndOfStream):
        await other.receive()
    assert [b async for b in other] == []


async def test_receive_waits_for_the_next_chunk() -> None:
    rt = make_runtime(chunk_steps=5)
    sub = rt.subscribe_spikes(0)
    reader = asyncio.create_task(sub.receive())
    await rt.run_steps(5)
    batch = await reader
    assert batch.first_step == 0


async def test_pending_receive_ends_on_aclose() -> None:
    rt = make_runtime()
    sub = rt.subscribe_spikes(0)
    got: list[SpikeBatch] = []

    async def reader() -> None:
        got.extend([b async for b in sub])

    task = asyncio.create_task(reader())
    await asyncio.sleep(0)
    await sub.aclose()
    await task
    assert got == []


def test_selection_validation() -> None:
    with pytest.raises(ValueError, match="repeat"):
        Selection([(0, [1, 1])])
    with pytest.raises(ValueError, match="at least one"):
        Selection([])
    rt = make_runtime()
    with pytest.raises(IndexError, match="out of range"):
        rt.subscribe_spikes(0, [4])
    with pytest.raises(IndexError, match="population id 5"):
        rt.subscribe_spikes([(5, [0])])
    with pytest.raises(ValueError, match="maxlen"):
        rt.subscribe_spikes(0, maxlen=0)
    with pytest.raises(ValueError, match="subscribe_spikes"):
        rt.subscribe_state(0, "spikes")
    with pytest.raises(ValueError, match="lockstep"):
        rt.subscribe_spikes(0, lockstep=True)
    with pytest.raises(ValueError, match="interval_steps"):
        rt.subscribe_state(0, "v", interval_steps=0)


async def test_unknown_state_variable_is_refused_when_subscribing() -> None:
    rt = make_runtime()
    await rt.run_steps(1)
    with pytest.raises(ValueError, match="cannot record 'w'"):
        rt.subscribe_state(0, "w")
    assert rt.subscriptions == []
    await rt.run_steps(1)


# ---------------------------------------------------------------------- lock-step
async def closed_loop(chunk_steps: int, log: list[tuple[int, int, int]]) -> Runtime:
    """Controller: when 'out' neuron i spikes, inject into neuron (i + 1) % 4."""
    rt = make_runtime(chunk_steps=chunk_steps, mode="lockstep")
    rt.set_recording(2, "spikes", np.arange(4))
    rt.schedule_spikes(1, [0], [0])

    async def controller() -> None:
        async with rt.subscribe_spikes(2, lockstep=True) as stream:
            async for batch in stream:
                for i in batch.indices:
                    at = rt.schedule_spikes(1, [(int(i) + 1) % 4])
                    log.append((batch.first_step + batch.n_steps, int(i), at))

    task = asyncio.create_task(controller())
    await rt.run_steps(60)
    task.cancel()
    return rt


async def test_lockstep_closed_loop_is_deterministic() -> None:
    log1: list[tuple[int, int, int]] = []
    log2: list[tuple[int, int, int]] = []
    rt1 = await closed_loop(5, log1)
    rt2 = await closed_loop(5, log2)
    assert log1 == log2
    assert len(log1) > 5
    # every answer takes effect at the first step of the chunk after the spike
    assert all(end == at for end, _, at in log1)
    np.testing.assert_array_equal(rt1.recorder.spikes(2)[0], rt2.recorder.spikes(2)[0])
    # the loop: spike stamped s -> 'out' fires at s + 2 -> seen at chunk end -> next inject
    stamps, idx = rt1.recorder.spikes(2)
    np.testing.assert_array_equal(idx[:4], [0, 1, 2, 3])
    assert stamps[0] == 2


async def test_lockstep_waits_for_the_controller() -> None:
    rt = make_runtime(chunk_steps=5, mode="lockstep")
    sub = rt.subscribe_spikes(0, lockstep=True)
    run = asyncio.create_task(rt.run_steps(20))
    for _ in range(20):
        await asyncio.sleep(0)
    assert rt.step == 0  # nobody has asked yet
    first = await sub.receive()
    assert first.first_step == 0
    for _ in range(20):
        await asyncio.sleep(0)
    assert rt.step == 5  # the batch was taken but the next one not asked for
    second = await sub.receive()
    assert second.first_step == 5
    await sub.aclose()  # a closed subscriber no longer holds the runtime
    await run
    assert rt.step == 20


async def test_crashed_lockstep_controller_does_not_hold_or_corrupt() -> None:
    rt = make_runtime(chunk_steps=5, mode="lockstep")
    rt.set_recording(0, "spikes", np.arange(4))
    sub = rt.subscribe_spikes(0, lockstep=True)  # not closed by the controller

    async def controller() -> None:
        async for batch in sub:
            if batch.first_step == 10:
                rt.set_parameters(0, "i_offset", [0], "bad")  # raises ParameterError

    task = asyncio.create_task(controller())
    await rt.run_steps(30)
    assert task.done()
    assert isinstance(task.exception(), ValueError)
    assert rt.step == 30
    ref = make_runtime(chunk_steps=7)
    ref.set_recording(0, "spikes", np.arange(4))
    await ref.run_steps(30)
    np.testing.assert_array_equal(rt.recorder.spikes(0)[0], ref.recorder.spikes(0)[0])


# ---------------------------------------------------------------------- real time
async def test_realtime_follows_the_virtual_clock() -> None:
    clock = VirtualClock(100.0)
    board = FakeBoard(clock=clock, seconds_per_step=0.0004)  # 4 ms per 10 ms chunk
    rt = make_runtime(chunk_steps=10, board=board, mode="realtime", clock=clock)
    await rt.run_steps(100)  # 100 ms
    assert clock.now() == pytest.approx(100.1)
    stats = rt.statistics()
    assert (stats.overruns, stats.lag_ms) == (0, 0.0)


async def test_realtime_time_scale_factor() -> None:
    clock = VirtualClock()
    board = FakeBoard(clock=clock, seconds_per_step=0.0001)
    rt = make_runtime(
        chunk_steps=10, board=board, mode="realtime", clock=clock, time_scale_factor=3.0
    )
    await rt.run_steps(50)
    assert clock.now() == pytest.approx(0.15)


async def test_realtime_overruns_are_counted_and_the_schedule_slips() -> None:
    clock = VirtualClock()
    # chunks starting at steps 20 and 50 take 25 ms and 12 ms instead of 2 ms
    board = FakeBoard(clock=clock, seconds_per_step=0.0002, extra_seconds={20: 0.023, 50: 0.010})
    rt = make_runtime(chunk_steps=10, board=board, mode="realtime", clock=clock)
    await rt.run_steps(100)
    stats = rt.statistics()
    assert stats.overruns == 2
    assert stats.lag_ms == pytest.approx(15.0 + 2.0)
    assert clock.now() == pytest.approx(0.100 + 0.017)
    assert stats.chunks == 10


# ---------------------------------------------------------------------- threads, cancellation
async def test_event_loop_stays_responsive_while_a_chunk_computes() -> None:
    gate = threading.Event()
    board = FakeBoard(gate=gate)
    rt = make_runtime(chunk_steps=10, board=board)
    run = asyncio.create_task(rt.run_steps(10))
    await asyncio.to_thread(board.started.wait)
    ticks = 0
    for _ in range(100):
        await asyncio.sleep(0)
        ticks += 1
    assert ticks == 100
    assert board.runs == []  # still inside the first run
    assert not run.done()
    gate.set()
    await run
    assert board.runs == [10]


async def test_cancelled_run_stops_at_a_chunk_boundary_and_continues() -> None:
    gate = threading.Event()
    board = FakeBoard(gate=gate)
    rt = make_runtime(chunk_steps=10, board=board)
    rt.set_recording(0, "spikes", np.arange(4))
    sub = rt.subscribe_spikes(0, maxlen=100)
    run = asyncio.create_task(rt.run_steps(50))
    await asyncio.to_thread(board.started.wait)
    run.cancel()
    await asyncio.sleep(0)
    assert not run.done()  # waits for the chunk in flight
    gate.set()
    with pytest.raises(asyncio.CancelledError):
        await run
    assert rt.step == 10
    assert not rt.running
    assert rt.recorder.segment_steps() == (0, 10)
    assert rt.recorder.spikes(0)[0].max() == 10
    assert len(sub) == 1
    await rt.run_steps(40)
    assert rt.step == 50
    ref = make_runtime(chunk_steps=10)
    ref.set_recording(0, "spikes", np.arange(4))
    await ref.run_steps(50)
    np.testing.assert_array_equal(rt.recorder.spikes(0)[0], ref.recorder.spikes(0)[0])
    np.testing.assert_array_equal(rt.recorder.spikes(0)[1], ref.recorder.spikes(0)[1])


async def test_timeout_around_run_keeps_the_session_consistent() -> None:
    rt = make_runtime(chunk_steps=5, mode="lockstep")
    sub = rt.subscribe_spikes(0, lockstep=True)
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0):
            await rt.run_steps(20)  # waits forever for the lock-step subscriber
    assert rt.step == 0
    await sub.aclose()
    await rt.run_steps(20)
    assert rt.step == 20


async def test_second_concurrent_run_is_refused() -> None:
    gate = threading.Event()
    board = FakeBoard(gate=gate)
    rt = make_runtime(board=board)
    run = asyncio.create_task(rt.run_steps(10))
    await asyncio.to_thread(board.started.wait)
    with pytest.raises(RuntimeError, match="already in progress"):
        await rt.run_steps(10)
    with pytest.raises(RuntimeError, match="reset while a run"):
        rt.reset()
    gate.set()
    await run
    assert rt.step == 10


async def test_late_input_during_lockstep_pause_is_exact() -> None:
    rt = make_runtime(chunk_steps=5, mode="lockstep")
    rt.set_recording(1, "spikes", np.arange(4))
    sub = rt.subscribe_spikes(0, lockstep=True)
    run = asyncio.create_task(rt.run_steps(15))
    b = await sub.receive()
    # between chunks: input takes effect exactly at the next chunk's first step
    assert rt.input_step == b.first_step + b.n_steps == 5
    with pytest.raises(LateInputError):
        rt.schedule_spikes(1, [0], [4])
    assert rt.schedule_spikes(1, [0], [7]) == 7
    await sub.aclose()
    await run
    np.testing.assert_array_equal(rt.recorder.spikes(1)[0], [7])


async def test_subscribers_of_the_same_cells_share_batches_not_drops() -> None:
    rt = make_runtime(chunk_steps=2)
    a = rt.subscribe_spikes(0, maxlen=1)
    b = rt.subscribe_spikes(0, [0, 1, 2, 3], maxlen=10)
    await rt.run_steps(10)
    last_a = a.receive_nowait()
    batches_b = drain(b)
    assert last_a.dropped == 4
    assert [x.dropped for x in batches_b] == [0] * 5  # type: ignore[attr-defined]
    assert last_a.stamps is batches_b[-1].stamps  # type: ignore[attr-defined]
    assert rt.statistics().drops == {a.label: 4, b.label: 0}


@pytest.mark.parametrize("inline_below_us", [0.0, 1e9])
async def test_chunks_on_the_loop_thread_give_the_same_results(inline_below_us: float) -> None:
    ref = make_runtime(chunk_steps=3)
    ref.set_recording(2, "spikes", np.arange(4))
    ref.set_recording(0, "v", np.arange(4))
    ref.schedule_spikes(1, [0, 2], [4, 9])
    await ref.run_steps(40)

    rt = make_runtime(chunk_steps=3, inline_below_us=inline_below_us)
    rt.set_recording(2, "spikes", np.arange(4))
    rt.set_recording(0, "v", np.arange(4))
    rt.schedule_spikes(1, [0, 2], [4, 9])
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0)

    task = asyncio.create_task(ticker())
    await rt.run_steps(40)
    task.cancel()
    assert ticks >= 10  # other tasks ran between the chunks
    for x, y in zip(
        [*ref.recorder.spikes(2), *ref.recorder.samples(0, "v")],
        [*rt.recorder.spikes(2), *rt.recorder.samples(0, "v")],
        strict=True,
    ):
        np.testing.assert_array_equal(x, y)


@pytest.mark.parametrize("mode", ["fast", "lockstep"])
async def test_cancellation_reaches_a_run_of_fast_inline_chunks(mode: str) -> None:
    rt = make_runtime(chunk_steps=1, mode=mode, inline_below_us=1e9)
    run = asyncio.create_task(rt.run_steps(1000))
    while rt.step < 5:  # noqa: ASYNC110 - yields only, no wall-clock wait
        await asyncio.sleep(0)
    run.cancel()
    with pytest.raises(asyncio.CancelledError):
        await run
    assert 5 <= rt.step <= 7


async def test_bad_stream_opened_during_a_chunk_fails_alone() -> None:
    gate = threading.Event()
    board = FakeBoard(gate=gate)
    rt = make_runtime(chunk_steps=10, board=board)
    rt.set_recording(0, "spikes", np.arange(4))
    good = rt.subscribe_spikes(0, maxlen=10)
    run = asyncio.create_task(rt.run_steps(30))
    await asyncio.to_thread(board.started.wait)
    bad = rt.subscribe_state(0, "w")  # the board cannot check it now
    also_good = rt.subscribe_state(0, "v", maxlen=10)
    gate.set()
    await run
    with pytest.raises(ValueError, match="cannot record 'w'"):
        await bad.receive()
    assert len(good) == 3
    assert [b.first_step for b in drain(also_good)] == [10, 20]  # type: ignore[attr-defined]
    assert rt.step == 30


async def test_bad_recording_before_load_is_refused_at_the_first_run() -> None:
    rt = make_runtime()
    rt.set_recording(0, "spikes", np.arange(4))
    rt.set_recording(0, "w", np.arange(4))  # not checkable before load
    with pytest.raises(ValueError, match="cannot record 'w'"):
        await rt.run_steps(10)
    assert rt.step == 0
    await rt.run_steps(10)  # the refused recording is gone; the rest is kept
    assert len(rt.recorder.spikes(0)[0]) > 0


async def test_closed_subscriptions_leave_the_runtime() -> None:
    """Opening and closing many subscriptions keeps neither them nor their statistics."""
    import gc
    import weakref

    rt = make_runtime(chunk_steps=2)
    kept = rt.subscribe_spikes(0, maxlen=1)
    refs = []
    for k in range(300):
        sub = rt.subscribe_spikes(0, maxlen=1) if k % 2 else rt.subscribe_state(0, "v")
        await rt.run_steps(4)  # two chunks: a full buffer of one drops one
        assert sub.dropped == 1
        refs.append(weakref.ref(sub))
        await sub.aclose()
        del sub
    await rt.run_steps(4)
    gc.collect()
    assert sum(r() is not None for r in refs) == 0
    drops = rt.statistics().drops
    assert drops == {kept.label: kept.dropped, "closed": 300}
    assert rt.subscriptions == [kept]
    rt.close()
