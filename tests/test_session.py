"""The Runtime's chunk loop, recording and live input, on the fake board."""

from __future__ import annotations

import asyncio
import threading

import numpy as np
import pytest

import spinstream.session
from spinstream.model import LateInputError, ParameterError
from spinstream.session import Runtime
from tests.fakes import FakeBoard, injector, neurons, one_to_one, trivial_plan


def make_runtime(chunk_steps: int = 10, board: FakeBoard | None = None, **kw: object) -> Runtime:
    """Three fake populations: a driven one, an injector into a quiet one."""
    rt = Runtime(
        dt=0.5,
        chunk_steps=chunk_steps,
        board=board or FakeBoard(),
        mapper=trivial_plan,
        seed=3,
        **kw,  # type: ignore[arg-type]
    )
    a = neurons(0, 6, i_offset=1.0, v_thresh=4.0, label="driven")
    a.params["i_offset"] = np.array([1.0, 0.5, 0.25, 2.0, 0.0, 1.5])
    rt.add_population(a)
    rt.add_population(injector(1, 4, label="in"))
    rt.add_population(neurons(2, 4, i_offset=0.0, v_thresh=1.5, label="quiet"))
    rt.add_projection(one_to_one(0, 1, 2, 4, 1.0, delay=2))
    rt.add_projection(one_to_one(1, 0, 2, 4, 0.25, delay=3))
    return rt


def record_all(rt: Runtime) -> None:
    rt.set_recording(0, "spikes", np.arange(6))
    rt.set_recording(2, "spikes", np.arange(4))
    rt.set_recording(0, "v", np.arange(6))
    rt.set_recording(2, "v", np.array([3, 1]), interval_steps=3)


def results(rt: Runtime, segment: int = -1) -> list[np.ndarray]:
    out: list[np.ndarray] = []
    for pop in (0, 2):
        out.extend(rt.recorder.spikes(pop, segment))
    for pop in (0, 2):
        out.extend(rt.recorder.samples(pop, "v", segment))
    return out


def assert_same(a: list[np.ndarray], b: list[np.ndarray]) -> None:
    assert len(a) == len(b)
    for x, y in zip(a, b, strict=True):
        np.testing.assert_array_equal(x, y)


def test_exports() -> None:
    assert set(spinstream.session.__all__) == {
        "MODES",
        "Clock",
        "MonotonicClock",
        "Percentiles",
        "Runtime",
        "Statistics",
        "VirtualClock",
    }
    assert all(hasattr(spinstream.session, name) for name in spinstream.session.__all__)


async def test_run_records_spikes_and_samples() -> None:
    rt = make_runtime()
    record_all(rt)
    rt.schedule_spikes(1, [0, 2], [4, 9])
    await rt.run_steps(40)
    assert rt.step == 40
    assert rt.time == 20.0
    assert rt.loaded
    assert rt.plan is not None
    stamps, idx = rt.recorder.spikes(0)
    assert np.all(np.diff(stamps) >= 0)
    # neuron 3 (i_offset 2, threshold 4) fires every 2 steps
    np.testing.assert_array_equal(stamps[idx == 3], np.arange(2, 41, 2))
    # neuron 4 (no drive) never fires
    assert not np.any(idx == 4)
    s2, _, i2 = rt.recorder.samples(2, "v")
    np.testing.assert_array_equal(i2, [3, 1])
    np.testing.assert_array_equal(s2, np.arange(0, 41, 3))
    _, v0, _ = rt.recorder.samples(0, "v")
    assert v0.shape == (41, 6)
    stats = rt.statistics()
    assert (stats.chunks, stats.steps) == (4, 40)
    assert stats.compute_us.n == 4


@pytest.mark.parametrize("chunk", [1, 3, 7, 40, 1000])
async def test_results_do_not_depend_on_chunk_size(chunk: int) -> None:
    ref = make_runtime(chunk_steps=10)
    record_all(ref)
    ref.schedule_spikes(1, [0, 1, 3], [5, 5, 17])
    await ref.run_steps(40)

    rt = make_runtime(chunk_steps=chunk)
    record_all(rt)
    rt.schedule_spikes(1, [0, 1, 3], [5, 5, 17])
    await rt.run_steps(13)
    await rt.run_steps(27)
    assert_same(results(ref), results(rt))


async def test_results_do_not_depend_on_subscribers() -> None:
    ref = make_runtime()
    record_all(ref)
    await ref.run_steps(50)

    rt = make_runtime(chunk_steps=3)
    record_all(rt)
    subs = [
        rt.subscribe_spikes(0, maxlen=1),
        rt.subscribe_spikes([(0, [5, 1]), (2, [0])], maxlen=2),
        rt.subscribe_state(2, "v", interval_steps=2),
        rt.subscribe_state(0, "v", [0], maxlen=100),
    ]
    await rt.run_steps(50)
    assert_same(results(ref), results(rt))
    for s in subs:
        await s.aclose()


async def test_recorder_mid_run_has_every_completed_chunk() -> None:
    rt = make_runtime(chunk_steps=5, mode="lockstep")
    record_all(rt)
    seen: list[tuple[int, int]] = []

    async def watcher() -> None:
        async with rt.subscribe_spikes(0, lockstep=True) as stream:
            async for batch in stream:
                stamps, _ = rt.recorder.spikes(0)
                steps = rt.recorder.segment_steps()
                seen.append((steps[1], int(stamps.max()) if len(stamps) else 0))
                assert rt.step == batch.first_step + batch.n_steps
                if rt.step == 20:
                    return

    task = asyncio.create_task(watcher())
    await rt.run_steps(20)
    await task
    assert [s[0] for s in seen] == [5, 10, 15, 20]
    assert all(last <= end for end, last in seen)


def test_blocking_run_matches_async() -> None:
    ref = make_runtime()
    record_all(ref)
    asyncio.run(ref.run_steps(30))

    rt = make_runtime(chunk_steps=4)
    record_all(rt)
    rt.run_steps_blocking(30)
    assert rt.step == 30
    assert_same(results(ref), results(rt))


async def test_blocking_run_refuses_inside_a_loop() -> None:
    rt = make_runtime()
    with pytest.raises(RuntimeError, match=r"await runtime\.run_steps"):
        rt.run_steps_blocking(3)


async def test_run_until_step_and_bad_targets() -> None:
    rt = make_runtime(chunk_steps=4)
    await rt.run_until_step(10)
    assert rt.step == 10
    assert isinstance(rt.board, FakeBoard)
    assert rt.board.runs == [4, 4, 2]
    with pytest.raises(ValueError, match="already at step 10"):
        await rt.run_until_step(5)
    with pytest.raises(ValueError, match="non-negative"):
        await rt.run_steps(-1)
    await rt.run_steps(0)
    assert rt.step == 10


async def test_constructor_errors_name_the_argument() -> None:
    with pytest.raises(ValueError, match="chunk_steps"):
        Runtime(chunk_steps=0)
    with pytest.raises(ValueError, match="mode"):
        Runtime(mode="slow")
    with pytest.raises(ValueError, match="dt"):
        Runtime(dt=-1.0)
    with pytest.raises(ValueError, match="time_scale_factor"):
        Runtime(time_scale_factor=0)


# ---------------------------------------------------------------------- parameters, state
async def test_parameters_before_and_after_load() -> None:
    rt = make_runtime()
    assert rt.set_parameters(0, "i_offset", [0], 3.0) == 0
    assert rt.spec.populations[0].params["i_offset"][0] == 3.0
    np.testing.assert_array_equal(rt.get_parameters(0, "i_offset", [0, 1]), [3.0, 0.5])
    await rt.run_steps(10)
    board = rt.board
    assert isinstance(board, FakeBoard)
    assert rt.set_parameters(0, "i_offset", None, 0.0) == 10
    assert board.log[-1][:4] == (10, "param", 0, "i_offset")
    np.testing.assert_array_equal(rt.get_parameters(0, "i_offset", None), np.zeros(6))
    with pytest.raises(ParameterError, match="no parameter 'tau_x'"):
        rt.set_parameters(0, "tau_x", None, 1.0)
    with pytest.raises(ParameterError, match="i_offset"):
        rt.set_parameters(0, "i_offset", [0, 1], [1.0, 2.0, 3.0])
    with pytest.raises(IndexError, match="out of range"):
        rt.set_parameters(0, "i_offset", [6], 1.0)
    with pytest.raises(IndexError, match="population id 9"):
        rt.set_parameters(9, "i_offset", [0], 1.0)


async def test_state_and_initialize_survive_reset() -> None:
    rt = make_runtime()
    rt.set_recording(0, "v", np.arange(6))
    await rt.run_steps(5)
    v = rt.get_state(0, "v", None)
    assert v.shape == (6,)
    assert rt.set_state(0, "v", [4], 2.5) == 5
    np.testing.assert_array_equal(rt.spec.populations[0].initial["v"][4], 2.5)
    assert rt.get_state(0, "v", [4])[0] == 2.5
    rt.reset()
    assert rt.step == 0
    assert rt.recorder.n_segments == 2
    assert rt.get_state(0, "v", [4])[0] == 2.5  # initial value as set by initialize
    await rt.run_steps(5)
    stamps, values, _ = rt.recorder.samples(0, "v")
    assert stamps[0] == 0
    assert values[0, 4] == 2.5
    assert rt.recorder.samples(0, "v", segment=0)[0][-1] == 5


async def test_reset_gives_identical_segments() -> None:
    rt = make_runtime(chunk_steps=6)
    record_all(rt)
    rt.schedule_spikes(1, [0], [3])
    await rt.run_steps(30)
    rt.reset()
    rt.schedule_spikes(1, [0], [3])
    await rt.run_steps(30)
    assert_same(results(rt, 0), results(rt, 1))


async def test_network_changes_after_run_are_refused_until_reset() -> None:
    rt = make_runtime()
    await rt.run_steps(5)
    with pytest.raises(RuntimeError, match="after the network has run"):
        rt.add_population(neurons(3, 2))
    rt.reset()
    rt.add_population(neurons(3, 2, i_offset=1.0, v_thresh=2.0))
    assert not rt.loaded
    rt.set_recording(3, "spikes", np.arange(2))
    await rt.run_steps(4)
    board = rt.board
    assert isinstance(board, FakeBoard)
    assert board.loads == 2
    np.testing.assert_array_equal(rt.recorder.spikes(3)[0], [2, 2, 4, 4])


async def test_spikes_scheduled_before_a_reload_are_kept() -> None:
    rt = make_runtime()
    rt.set_recording(1, "spikes", np.arange(4))
    rt.schedule_spikes(1, [2], [1])
    await rt.run_steps(0)  # loads
    rt.add_population(neurons(3, 1))  # step 0: reload on the next run
    await rt.run_steps(3)
    np.testing.assert_array_equal(rt.recorder.spikes(1)[1], [2])


async def test_schedule_spikes_only_into_spike_sources() -> None:
    rt = make_runtime()
    with pytest.raises(ParameterError, match="SpikeInjector"):
        rt.schedule_spikes(0, [0], [3])
    with pytest.raises(TypeError, match="integer"):
        rt.schedule_spikes(1, [0], [2.5])


# ---------------------------------------------------------------------- live input
async def test_live_input_takes_effect_at_next_chunk_start() -> None:
    gate = threading.Event()
    board = FakeBoard(gate=gate)
    rt = make_runtime(chunk_steps=10, board=board)
    rt.set_recording(1, "spikes", np.arange(4))
    task = asyncio.create_task(rt.run_steps(30))
    await asyncio.to_thread(board.started.wait)
    # chunk [0, 10) is computing
    assert rt.input_step == 10
    assert rt.set_parameters(0, "i_offset", [0], 9.0) == 10
    assert rt.schedule_spikes(1, [1]) == 10
    with pytest.raises(RuntimeError, match="being computed"):
        rt.get_state(0, "v", None)
    np.testing.assert_array_equal(rt.get_parameters(0, "i_offset", [0]), [9.0])
    gate.set()
    await task
    applied = [e for e in board.log if e[1] in ("param", "spikes")]
    assert applied[0][:2] == (10, "param")
    assert applied[1][:2] == (10, "spikes")
    np.testing.assert_array_equal(rt.recorder.spikes(1)[0], [10])


async def test_input_at_a_future_step_is_exact_and_chunks_stay_whole() -> None:
    board = FakeBoard()
    rt = make_runtime(chunk_steps=10, board=board)
    stream = rt.subscribe_spikes(0, maxlen=100)
    assert rt.set_parameters(0, "i_offset", [4], 4.0, at_step=13) == 13
    assert rt.set_state(0, "v", [4], 1.0, at_step=27) == 27
    await rt.run_steps(30)
    assert board.runs == [10, 3, 7, 7, 3]
    assert [e[:2] for e in board.log if e[1] in ("param", "state")] == [
        (13, "param"),
        (27, "state"),
    ]
    batches = [stream.receive_nowait() for _ in range(len(stream))]
    assert [(b.first_step, b.n_steps) for b in batches] == [(0, 10), (10, 10), (20, 10)]
    assert rt.statistics().chunks == 3
    # neuron 4 starts firing: i_offset 4 from step 13 reaches threshold 4 during step 13
    stamps = np.concatenate([b.stamps[b.indices == 4] for b in batches])
    assert stamps[0] == 14


async def test_late_input_raises_and_is_counted() -> None:
    gate = threading.Event()
    board = FakeBoard(gate=gate)
    rt = make_runtime(chunk_steps=10, board=board)
    task = asyncio.create_task(rt.run_steps(20))
    await asyncio.to_thread(board.started.wait)
    with pytest.raises(LateInputError, match="earliest step input can take effect is 10"):
        rt.schedule_spikes(1, [0], [5])
    with pytest.raises(LateInputError, match="step 9"):
        rt.set_parameters(0, "i_offset", [0], 1.0, at_step=9)
    with pytest.raises(LateInputError):
        rt.set_state(0, "v", [0], 0.0, at_step=0)
    assert rt.schedule_spikes(1, [0], [10]) == 10
    gate.set()
    await task
    stats = rt.statistics()
    assert stats.late_inputs == 3
    assert stats.inputs == 1
    # nothing of the refused input reached the board
    assert [e[1] for e in board.log if e[1] in ("param", "state", "spikes")] == ["spikes"]


async def test_statistics_is_a_frozen_record() -> None:
    rt = make_runtime()
    await rt.run_steps(20)
    stats = rt.statistics()
    with pytest.raises(AttributeError):
        stats.chunks = 0  # type: ignore[misc]
    assert stats.overhead_us.n == 2
    assert stats.overhead_us.p50 > 0
    assert stats.overruns == 0


async def test_mapping_error_propagates_and_a_later_run_works() -> None:
    from spinstream.model import MappingError

    calls = []

    def mapper(spec):  # type: ignore[no-untyped-def]
        calls.append(1)
        if len(calls) == 1:
            raise MappingError("population 'driven' does not fit")
        return trivial_plan(spec)

    rt = Runtime(dt=0.5, chunk_steps=5, board=FakeBoard(), mapper=mapper, seed=1)
    rt.add_population(neurons(0, 3, i_offset=1.0))
    with pytest.raises(MappingError, match="does not fit"):
        await rt.run_steps(10)
    assert not rt.loaded
    assert not rt.running
    await rt.run_steps(10)
    assert rt.step == 10


async def test_close_ends_the_worker_thread() -> None:
    gate = threading.Event()
    gate.set()
    before = set(threading.enumerate())
    rt = make_runtime(board=FakeBoard(gate=gate), inline_below_us=0)
    await rt.run_steps(20)
    workers = [t for t in set(threading.enumerate()) - before if t.name == "spinstream-board"]
    assert len(workers) == 1
    rt.close()
    for t in workers:
        await asyncio.to_thread(t.join, 10)
    assert not any(t.is_alive() for t in workers)


async def test_mapping_and_loading_keep_the_loop_responsive() -> None:
    """While the worker thread maps and loads (Python), the GIL changes hands every 0.5 ms."""
    import sys

    from spinstream.session._worker import RESPONSIVE_SWITCH_S

    seen: list[tuple[str, float]] = []

    def mapper(spec: object) -> object:
        seen.append(("map", sys.getswitchinterval()))
        return trivial_plan(spec)  # type: ignore[arg-type]

    class Board(FakeBoard):
        def load(self, spec: object, plan: object) -> None:
            seen.append(("load", sys.getswitchinterval()))
            super().load(spec, plan)  # type: ignore[arg-type]

    before = sys.getswitchinterval()
    rt = Runtime(dt=1.0, chunk_steps=10, board=Board(), mapper=mapper, seed=1)
    rt.add_population(neurons(0, 4, i_offset=1.0))
    other = Runtime(dt=1.0, chunk_steps=10, board=Board(), mapper=mapper, seed=1)
    other.add_population(neurons(0, 4, i_offset=1.0))
    await asyncio.gather(rt.run_steps(20), other.run_steps(20))  # two load at once
    assert sorted(what for what, _ in seen) == ["load", "load", "map", "map"]
    assert all(s == pytest.approx(RESPONSIVE_SWITCH_S) for _, s in seen)
    assert sys.getswitchinterval() == before  # restored once both are loaded
    rt.close()
    other.close()
