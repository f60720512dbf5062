"""Changes to a loaded network: spike arrays, synaptic weights and delays.

A change that takes effect at step ``k`` must give exactly what a network gives that was
built with the new values and only ever differs from the old one from step ``k`` on: the
yardstick here is a fresh network on the same board whose inputs are spliced at ``k``
(old spike times up to ``k``, new ones after), and the ReferenceBoard.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from numpy.testing import assert_array_equal

from spinstream.board import Board, ChunkResult, HostBoard
from spinstream.model import ParameterError
from spinstream.session import Runtime

try:
    from tests.fakes import FakeBoard, trivial_plan
    from tests.reference import ReferenceBoard
    from tests.reference.build import population, projection
except ImportError:  # tests/ itself on sys.path
    from fakes import FakeBoard, trivial_plan  # type: ignore[no-redef]
    from reference import ReferenceBoard  # type: ignore[no-redef]
    from reference.build import population, projection  # type: ignore[no-redef]

DT = 0.1
BOARDS: dict[str, Callable[[], Board]] = {"host": HostBoard, "reference": ReferenceBoard}

Times = list[list[float]]


def _stamps(t: list[float] | np.ndarray) -> np.ndarray:
    return np.floor(np.asarray(t, dtype=np.float64) / DT + 0.5).astype(np.int64)


def _spliced(old: list[float], new: list[float], k: int) -> list[float]:
    """What a spike array emits when its times change from ``old`` to ``new`` at step k."""
    first = k + 1 if k > 0 else 0
    o, n = np.asarray(old, float), np.asarray(new, float)
    return sorted([*o[_stamps(o) < first].tolist(), *n[_stamps(n) >= first].tolist()])


def array_net(rt: Runtime, times: Times, *, delay: int = 3) -> None:
    """A 3-neuron spike array -> 3 neurons, all to all (strong enough to fire)."""
    rt.add_population(population(0, "SpikeSourceArray", 3, spike_times=times))
    rt.add_population(population(1, "IF_curr_exp", 3, tau_refrac=1.0))
    pre, post = np.divmod(np.arange(9), 3)
    rt.add_projection(projection(0, 0, 1, pre, post, 3.0 + 0.5 * post, delay))
    rt.set_recording(0, "spikes", np.arange(3))
    rt.set_recording(1, "spikes", np.arange(3))
    rt.set_recording(1, "v", np.arange(3))


def _runtime(board: str, **kw: Any) -> Runtime:
    return Runtime(dt=DT, seed=3, board=BOARDS[board](), mapper=trivial_plan, **kw)


def _result(rt: Runtime) -> dict[str, np.ndarray]:
    rec = rt.recorder
    out = {}
    for pop in (0, 1):
        stamps, idx = rec.spikes(pop)
        out[f"spikes{pop}"] = np.stack([stamps, idx])
    out["v"] = rec.samples(1, "v")[1]
    return out


def _same(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> None:
    for key in a:
        assert_array_equal(a[key], b[key], err_msg=key)


OLD: Times = [[1.0, 4.0, 7.5, 12.0], [2.0, 9.0], []]
NEW: Times = [[3.0, 4.0, 6.0, 8.0, 11.0, 14.0], [], [5.0, 5.5, 13.0]]


# ---------------------------------------------------------------- spike times


@pytest.mark.parametrize("board", sorted(BOARDS))
@pytest.mark.parametrize("k", [0, 40, 60])
def test_spike_times_between_runs_equal_a_spliced_network(board: str, k: int) -> None:
    rt = _runtime(board)
    array_net(rt, OLD)
    rt.run_steps_blocking(k)
    assert rt.set_spike_times(0, [0, 2], [NEW[0], NEW[2]]) == k
    rt.run_steps_blocking(200 - k)
    expected = _runtime(board)
    array_net(expected, [_spliced(OLD[0], NEW[0], k), OLD[1], _spliced(OLD[2], NEW[2], k)])
    expected.run_steps_blocking(200)
    _same(_result(rt), _result(expected))
    # the spec keeps the new lists: reset replays them
    assert_array_equal(rt.spec.populations[0].spike_times[0], NEW[0])
    assert_array_equal(rt.spec.populations[0].spike_times[1], OLD[1])
    rt.reset()
    rt.run_steps_blocking(200)
    fresh = _runtime(board)
    array_net(fresh, [NEW[0], OLD[1], NEW[2]])
    fresh.run_steps_blocking(200)
    _same(_result(rt), _result(fresh))


@pytest.mark.parametrize("board", sorted(BOARDS))
def test_spike_times_at_a_future_step_and_while_a_chunk_computes(board: str) -> None:
    # at_step: applied exactly there, inside a chunk (split there)
    rt = _runtime(board, chunk_steps=25)
    array_net(rt, OLD)
    assert rt.set_spike_times(0, [0, 1, 2], NEW, at_step=55) == 55
    rt.run_steps_blocking(200)
    expected = _runtime(board)
    array_net(expected, [_spliced(o, n, 55) for o, n in zip(OLD, NEW, strict=True)])
    expected.run_steps_blocking(200)
    _same(_result(rt), _result(expected))


class HeldBoard(HostBoard):
    """A HostBoard whose run starting at ``hold_at`` waits until ``release`` is set."""

    def __init__(self, hold_at: int) -> None:
        super().__init__()
        self.hold_at = hold_at
        self.holding = threading.Event()
        self.release = threading.Event()

    def run(self, n_steps: int) -> ChunkResult:
        if self.step == self.hold_at:
            self.holding.set()
            assert self.release.wait(10)
        return super().run(n_steps)


async def _while_held(rt: Runtime, board: HeldBoard, change: Callable[[], int]) -> int:
    run = asyncio.create_task(rt.run_steps(200))
    assert await asyncio.to_thread(board.holding.wait, 10)
    at = change()  # queued: the chunk in flight runs with the old values
    board.release.set()
    await run
    return at


def test_spike_times_set_while_a_chunk_computes_take_effect_at_the_next_chunk() -> None:
    board = HeldBoard(hold_at=40)
    rt = Runtime(dt=DT, seed=3, board=board, mapper=trivial_plan, chunk_steps=20)
    rt._worker._inline_below_ns = 0.0  # always the worker thread
    array_net(rt, OLD)
    at = asyncio.run(_while_held(rt, board, lambda: rt.set_spike_times(0, [0, 1, 2], NEW)))
    assert at == 60
    # the spec has the new lists at once (what reset replays, what PyNN's get() shows)
    assert_array_equal(rt.spec.populations[0].spike_times[2], NEW[2])
    expected = _runtime("host")
    array_net(expected, [_spliced(o, n, 60) for o, n in zip(OLD, NEW, strict=True)])
    expected.run_steps_blocking(200)
    _same(_result(rt), _result(expected))


@pytest.mark.parametrize("board", sorted(BOARDS))
def test_bad_spike_times_change_nothing(board: str) -> None:
    rt = _runtime(board)
    array_net(rt, OLD)
    rt.run_steps_blocking(30)
    with pytest.raises(ParameterError, match="finite"):
        rt.set_spike_times(0, [0, 1], [[50.0], [np.nan]])
    with pytest.raises(ParameterError, match=">= 0"):
        rt.set_spike_times(0, [0], [[-1.0]])
    with pytest.raises(ValueError, match="one array of spike times per neuron"):
        rt.set_spike_times(0, [0, 1], [[50.0]])
    with pytest.raises(ValueError, match="one array of spike times per neuron"):
        rt.set_spike_times(0, [0, 1], np.array([5.0, 6.0]))
    with pytest.raises(ValueError, match="repeat"):
        rt.set_spike_times(0, [1, 1], [[50.0], [60.0]])
    with pytest.raises(ParameterError, match="only SpikeSourceArray"):
        rt.set_spike_times(1, [0], [[50.0]])
    with pytest.raises(IndexError):
        rt.set_spike_times(0, [3], [[50.0]])
    rt.run_steps_blocking(170)
    unchanged = _runtime(board)
    array_net(unchanged, OLD)
    unchanged.run_steps_blocking(200)
    _same(_result(rt), _result(unchanged))
    assert rt.spec.populations[0].spike_times[0].tolist() == OLD[0]


def test_host_board_refuses_bad_spike_times_and_keeps_its_schedule() -> None:
    board = HostBoard()
    rt = Runtime(dt=DT, seed=3, board=board, mapper=trivial_plan)
    array_net(rt, OLD)
    rt.run_steps_blocking(10)
    with pytest.raises(ParameterError, match="finite"):
        board.set_spike_times(0, np.array([0, 1]), [[50.0], [np.inf]])
    with pytest.raises(ParameterError, match="one array per neuron"):
        board.set_spike_times(0, np.array([0, 1]), [[50.0]])
    with pytest.raises(ParameterError, match="outside"):
        board.set_spike_times(0, np.array([0, 7]), [[50.0], [60.0]])
    with pytest.raises(ParameterError, match="cannot be given spikes"):
        board.set_spike_times(1, np.array([0]), [[50.0]])
    rt.run_steps_blocking(190)
    unchanged = _runtime("host")
    array_net(unchanged, OLD)
    unchanged.run_steps_blocking(200)
    _same(_result(rt), _result(unchanged))


def test_fake_board_spike_times() -> None:
    board = FakeBoard()
    rt = Runtime(dt=DT, seed=3, board=board, mapper=trivial_plan)
    rt.add_population(population(0, "SpikeSourceArray", 2, spike_times=[[1.0, 3.0], [2.0]]))
    rt.set_recording(0, "spikes", [0, 1])
    rt.run_steps_blocking(20)
    rt.set_spike_times(0, [0], [[1.5, 2.5, 4.0]])  # 1.5 ms is past: only 4.0 ms is ahead
    rt.run_steps_blocking(30)
    stamps, idx = rt.recorder.spikes(0)
    assert list(zip(stamps.tolist(), idx.tolist(), strict=True)) == [
        (10, 0),
        (20, 1),
        (25, 0),
        (40, 0),
    ]
    rt.reset()
    rt.run_steps_blocking(50)
    stamps, idx = rt.recorder.spikes(0)
    assert stamps.tolist() == [15, 20, 25, 40]


# ---------------------------------------------------------------- through PyNN


def _pynn_net(s: Any, times: Times) -> tuple[Any, Any, Any]:
    src = s.Population(3, s.SpikeSourceArray(spike_times=times), label="src")
    out = s.Population(3, s.IF_curr_exp(tau_refrac=1.0), label="out")
    proj = s.Projection(
        src, out, s.AllToAllConnector(), s.StaticSynapse(weight=3.0, delay=0.3), label="p"
    )
    src.record("spikes")
    out.record(["spikes", "v"])
    return src, out, proj


def _pynn_data(*pops: Any) -> list[np.ndarray]:
    data = []
    for p in pops:
        seg = p.get_data().segments[-1]
        data.extend(np.asarray(st.magnitude) for st in seg.spiketrains)
        data.extend(np.asarray(sig.magnitude) for sig in seg.analogsignals)
    return data


def _session(**kw: Any) -> Any:
    import spinstream

    return spinstream.Session(
        timestep=DT, chunk=1.0, seed=1, board=HostBoard(), mapper=trivial_plan, **kw
    )


async def _lockstep_run(s: Any, watch: Any, at_ms: float, change: Callable[[], None]) -> None:
    async def drive() -> None:
        async with watch.stream("v", lockstep=True) as st:
            async for batch in st:
                if abs(batch.t_stop - at_ms) < 1e-9:
                    change()

    task = asyncio.create_task(drive())
    await asyncio.sleep(0)
    await s.run(20.0)
    task.cancel()


async def test_pynn_spike_times_set_while_a_session_runs() -> None:
    async with _session(mode="lockstep") as s:
        src, out, _ = _pynn_net(s, OLD)
        await _lockstep_run(s, out, 5.0, lambda: src.set(spike_times=NEW))
        got = _pynn_data(src, out)
        assert [list(t) for t in src.get("spike_times")] == NEW
    async with _session() as s:
        k = 50
        src, out, _ = _pynn_net(s, [_spliced(o, n, k) for o, n in zip(OLD, NEW, strict=True)])
        await s.run(20.0)
        expected = _pynn_data(src, out)
    for a, b in zip(got, expected, strict=True):
        assert_array_equal(a, b)
