"""Changes to a loaded network: spike arrays, synaptic weights and delays.

A change that takes effect at step ``k`` must give exactly what a network gives that was
built with the new values from step ``k`` on.  The yardsticks: a fresh network on the same
board spliced at ``k`` (a spike array with the old times up to ``k`` and the new ones
after; for synapses, two copies of the source, the spikes emitted before ``k`` through the
old synapses and those after through the new ones), and the ReferenceBoard making the same
change (for neurons' own spikes, which cannot be spliced).
"""

from __future__ import annotations

import asyncio
import math
import threading
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from pyNN import errors

import spinstream.pyNN as sim
from spinstream.board import Board, ChunkResult, HostBoard
from spinstream.model import INHIBITORY, ParameterError, TsodyksMarkramSpec
from spinstream.session import Runtime
from tests.fakes import FakeBoard, trivial_plan
from tests.reference import ReferenceBoard
from tests.reference.build import population, projection

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


# ---------------------------------------------------------------- weights and delays

PRE, POST = (a.ravel() for a in np.divmod(np.arange(9), 3))
W_OLD = 3.0 + 0.5 * POST
D_OLD = np.full(9, 3)
CHANGED = np.array([0, 2, 4, 5, 8])  # synapses that change
W_NEW = W_OLD.copy()
W_NEW[CHANGED] = [0.0, 6.0, 1.5, 8.0, 4.0]
D_NEW = D_OLD.copy()
D_NEW[CHANGED] = [3, 40, 1, 2, 17]  # a longer delay than the ring holds, shorter ones
SOURCE_TIMES: Times = [[1.0, 4.0, 4.2, 7.5, 12.0, 13.0], [2.0, 3.9, 9.0, 14.0], [4.1, 11.0]]


def synapse_net(rt: Runtime, parts: list[tuple[Times, np.ndarray, np.ndarray]]) -> int:
    """Spike arrays (3 neurons each) -> 3 neurons, all to all, one projection per part.

    Returns the target population's id.
    """
    target = len(parts)
    for pid, (times, _, _) in enumerate(parts):
        rt.add_population(population(pid, "SpikeSourceArray", 3, spike_times=times))
    rt.add_population(population(target, "IF_curr_exp", 3, tau_refrac=1.0, tau_syn_E=2.0))
    for pid, (_, w, d) in enumerate(parts):
        rt.add_projection(projection(pid, pid, target, PRE, POST, w, d))
    rt.set_recording(target, "spikes", np.arange(3))
    rt.set_recording(target, "v", np.arange(3))
    return target


def _target(rt: Runtime, pop: int) -> dict[str, np.ndarray]:
    stamps, idx = rt.recorder.spikes(pop)
    return {"spikes": np.stack([stamps, idx]), "v": rt.recorder.samples(pop, "v")[1]}


def _split_at(k: int, board: str, n: int = 250) -> dict[str, np.ndarray]:
    """The yardstick: the old synapses carry the spikes emitted before step k, new ones after."""
    first = k + 1 if k > 0 else 0
    early = [[t for t in ts if _stamps([t])[0] < first] for ts in SOURCE_TIMES]
    late = [[t for t in ts if _stamps([t])[0] >= first] for ts in SOURCE_TIMES]
    rt = _runtime(board)
    target = synapse_net(rt, [(early, W_OLD, D_OLD), (late, W_NEW, D_NEW)])
    rt.run_steps_blocking(n)
    return _target(rt, target)


def _same_target(a: dict[str, np.ndarray], b: dict[str, np.ndarray], atol: float = 1e-12) -> None:
    """Same spikes, same ``v`` (to rounding; 1e-9 between the two boards' arithmetic)."""
    assert_array_equal(a["spikes"], b["spikes"])
    assert_allclose(a["v"], b["v"], rtol=0, atol=atol)


@pytest.mark.parametrize("board", sorted(BOARDS))
@pytest.mark.parametrize("k", [0, 41, 75])
def test_synapses_changed_between_runs_equal_a_network_built_with_them_from_that_step(
    board: str, k: int
) -> None:
    rt = _runtime(board)
    target = synapse_net(rt, [(SOURCE_TIMES, W_OLD, D_OLD)])
    rt.run_steps_blocking(k)  # at 41, spikes stamped 40 and 39 are on their way
    v_before = rt.get_state(target, "v", None) if k else None
    assert rt.set_synapses(0, CHANGED, weight=W_NEW[CHANGED], delay_steps=D_NEW[CHANGED]) == k
    if v_before is not None:  # neuron state is untouched
        assert_array_equal(rt.get_state(target, "v", None), v_before)
    assert_array_equal(rt.spec.projections[0].weight, W_NEW)
    assert_array_equal(rt.spec.projections[0].delay_steps, D_NEW)
    rt.run_steps_blocking(250 - k)
    got = _target(rt, target)
    assert got["spikes"].shape[1] > 3, "the network should fire"
    _same_target(got, _split_at(k, board))
    # the yardstick itself is board-independent
    _same_target(got, _split_at(k, "reference"), atol=1e-9)
    # reset keeps the new synapses: the same as a network built with them
    rt.reset()
    rt.run_steps_blocking(250)
    fresh = _runtime(board)
    synapse_net(fresh, [(SOURCE_TIMES, W_NEW, D_NEW)])
    fresh.run_steps_blocking(250)
    _same_target(_target(rt, target), _target(fresh, target))


@pytest.mark.parametrize("board", sorted(BOARDS))
def test_synapses_changed_at_a_future_step(board: str) -> None:
    rt = _runtime(board, chunk_steps=30)
    target = synapse_net(rt, [(SOURCE_TIMES, W_OLD, D_OLD)])
    assert rt.set_synapses(0, CHANGED, weight=W_NEW[CHANGED], at_step=41) == 41
    assert rt.set_synapses(0, CHANGED, delay_steps=D_NEW[CHANGED], at_step=41) == 41
    assert_array_equal(rt.spec.projections[0].weight, W_OLD)  # not yet
    rt.run_steps_blocking(250)
    _same_target(_target(rt, target), _split_at(41, board))


def test_synapses_changed_while_a_chunk_computes_take_effect_at_the_next_chunk() -> None:
    board = HeldBoard(hold_at=41)
    rt = Runtime(dt=DT, seed=3, board=board, mapper=trivial_plan, chunk_steps=41)
    rt._worker._inline_below_ns = 0.0
    target = synapse_net(rt, [(SOURCE_TIMES, W_OLD, D_OLD)])

    def change() -> int:
        at = rt.set_synapses(0, CHANGED, weight=W_NEW[CHANGED], delay_steps=D_NEW[CHANGED])
        assert_array_equal(rt.spec.projections[0].weight, W_NEW)  # the spec at once
        return at

    async def run() -> int:
        run = asyncio.create_task(rt.run_steps(250))
        assert await asyncio.to_thread(board.holding.wait, 10)
        at = change()
        board.release.set()
        await run
        return at

    assert asyncio.run(run()) == 82
    _same_target(_target(rt, target), _split_at(82, "host"))


def recurrent_spec(atoms_per_core: int) -> tuple[Any, Any]:
    """Poisson-free recurrent network: spike arrays drive 40 neurons that drive each other."""
    rng = np.random.default_rng(5)
    n = 40
    times = [sorted(rng.uniform(0, 30, 3).round(1).tolist()) for _ in range(10)]
    pops = [
        population(0, "SpikeSourceArray", 10, spike_times=times),
        population(1, "IF_curr_exp", n, tau_refrac=2.0, i_offset=0.5),
    ]
    pre_in, post_in = rng.integers(0, 10, 120), rng.integers(0, n, 120)
    pre_rec, post_rec = rng.integers(0, n, 300), rng.integers(0, n, 300)
    projs = [
        projection(0, 0, 1, pre_in, post_in, 2.5, rng.integers(1, 6, 120)),
        projection(
            1, 1, 1, pre_rec, post_rec, rng.uniform(0.5, 2.0, 300), rng.integers(1, 9, 300)
        ),
        projection(2, 1, 1, post_rec[:100], pre_rec[:100], 1.0, 2, receptor=INHIBITORY),
    ]
    return pops, projs


@pytest.mark.parametrize("atoms", [7, 40])
def test_recurrent_changes_host_equals_reference(atoms: int) -> None:
    """Neurons' own spikes through changed synapses: HostBoard == ReferenceBoard."""
    results = []
    for make in (HostBoard, ReferenceBoard):
        rt = Runtime(
            dt=DT,
            seed=3,
            board=make(),
            mapper=lambda spec: trivial_plan(spec, atoms_per_core=atoms),
        )
        pops, projs = recurrent_spec(atoms)
        for p in pops:
            rt.add_population(p)
        for p in projs:
            rt.add_projection(p)
        rt.set_recording(1, "spikes", np.arange(40))
        rt.set_recording(1, "v", np.arange(40))
        rt.run_steps_blocking(120)
        rng = np.random.default_rng(9)
        rt.set_synapses(1, rng.choice(300, 80, replace=False), weight=rng.uniform(0, 3, 80))
        rt.set_synapses(1, None, delay_steps=rng.integers(1, 70, 300))  # the ring grows
        rt.set_synapses(2, [0, 5], weight=[4.0, 0.0], delay_steps=[30, 1])
        rt.run_steps_blocking(130)
        rt.set_synapses(0, None, weight=3.0, delay_steps=1)
        rt.run_steps_blocking(150)
        results.append(_target(rt, 1))
    host, ref = results
    assert host["spikes"].shape[1] > 50
    assert_array_equal(host["spikes"], ref["spikes"])
    assert_allclose(host["v"], ref["v"], rtol=0, atol=1e-9)


@pytest.mark.parametrize("board", sorted(BOARDS))
def test_bad_synapse_changes_change_nothing(board: str) -> None:
    rt = _runtime(board)
    target = synapse_net(rt, [(SOURCE_TIMES, W_OLD, D_OLD)])
    rt.run_steps_blocking(41)
    bad: list[tuple[type[Exception], str, dict[str, Any]]] = [
        (ParameterError, ">= 0", {"weight": [1.0, -0.5]}),
        (ParameterError, "NaN", {"weight": [1.0, np.nan]}),
        (ParameterError, "finite", {"weight": [1.0, np.inf]}),
        (ParameterError, "at least 1 step", {"delay_steps": [0, 3]}),
        (TypeError, "integer steps", {"delay_steps": [1.5, 3.0]}),
        (ValueError, "expected one value or 2", {"delay_steps": [1, 2, 3]}),
    ]
    if board == "host":
        bad.append((ParameterError, "at most 16383", {"delay_steps": [16384, 3]}))
    for exc, match, kw in bad:
        with pytest.raises(exc, match=match):
            rt.set_synapses(0, [1, 2], **kw)
    with pytest.raises(IndexError, match="out of range"):
        rt.set_synapses(0, [9], weight=1.0)
    with pytest.raises(ValueError, match="repeat"):
        rt.set_synapses(0, [1, 1], weight=1.0)
    with pytest.raises(IndexError, match="does not exist"):
        rt.set_synapses(1, None, weight=1.0)
    # the board refuses directly too, and nothing changes
    direct: list[dict[str, Any]] = [
        {"weight": -1.0},
        {"weight": np.nan},
        {"delay_steps": 0},
        {"indices": np.array([12]), "weight": 1.0},
    ]
    for kw in direct:
        kw.setdefault("indices", np.array([1, 2]))
        with pytest.raises(ParameterError):
            rt.board.set_synapses(0, **kw)  # type: ignore[union-attr]
    assert_array_equal(rt.spec.projections[0].weight, W_OLD)
    rt.run_steps_blocking(209)
    unchanged = _runtime(board)
    synapse_net(unchanged, [(SOURCE_TIMES, W_OLD, D_OLD)])
    unchanged.run_steps_blocking(250)
    _same_target(_target(rt, target), _target(unchanged, target))


def test_host_board_delay_beyond_the_compact_format_and_back() -> None:
    """A delay of 2048+ steps turns the block wide; pending input survives both ways."""
    rt = _runtime("host")
    target = synapse_net(rt, [(SOURCE_TIMES, W_OLD, D_OLD)])
    rt.run_steps_blocking(41)
    rt.set_synapses(0, [4], delay_steps=2500)
    assert rt.board.synapses.n_compact == 0  # type: ignore[union-attr]
    rt.run_steps_blocking(60)
    rt.set_synapses(0, [4], delay_steps=3)
    assert rt.board.synapses.n_compact == 9  # type: ignore[union-attr]
    rt.run_steps_blocking(2599)
    ref = _runtime("reference")
    synapse_net(ref, [(SOURCE_TIMES, W_OLD, D_OLD)])
    ref.run_steps_blocking(41)
    ref.set_synapses(0, [4], delay_steps=2500)
    ref.run_steps_blocking(60)
    ref.set_synapses(0, [4], delay_steps=3)
    ref.run_steps_blocking(2599)
    _same_target(_target(rt, target), _target(ref, target), atol=1e-9)
    # source 1's spike stamped 90 went through synapse 4 (1 -> 1) with the long delay and
    # was still on its way when the delay went back to 3: its effect starts at step 2590
    stamps, values, _ = rt.recorder.samples(target, "v")
    assert_array_equal(stamps, np.arange(2701))
    v = values[:, 1]
    assert abs(v[2590] - v[2400]) < 1e-3  # at rest since the spike stamped 140
    assert v[2591] - v[2590] > 0.1


def test_fake_board_synapses() -> None:
    board = FakeBoard()
    rt = Runtime(dt=DT, seed=3, board=board, mapper=trivial_plan)
    rt.add_population(population(0, "SpikeSourceArray", 1, spike_times=[[1.0, 3.0]]))
    rt.add_population(population(1, "IF_curr_exp", 1))
    rt.add_projection(projection(0, 0, 1, [0], [0], 2.0, 1))
    rt.set_recording(1, "v", [0])
    rt.run_steps_blocking(20)
    rt.set_synapses(0, None, weight=5.0, delay_steps=4)
    rt.run_steps_blocking(20)
    stamps, values, _ = rt.recorder.samples(1, "v")
    # the fake integrates: v jumps by the weight when a spike arrives (stamp + delay)
    jumps = stamps[1:][np.diff(values[:, 0]) != 0]
    assert jumps.tolist() == [12, 35]  # input of step s + d, sampled at its end
    assert board.log[-1][1] == "synapses"


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


def _conns(w: np.ndarray, d: np.ndarray) -> list[tuple[int, int, float, float]]:
    rows = zip(PRE, POST, w, d, strict=True)
    return [(int(i), int(j), float(wk), float(dk) * DT) for i, j, wk, dk in rows]


def _pynn_synapse_net(sim_: Any, parts: list[tuple[Times, np.ndarray, np.ndarray]]) -> Any:
    out = sim_.Population(3, sim_.IF_curr_exp(tau_refrac=1.0, tau_syn_E=2.0), label="out")
    projs = []
    for k, (times, w, d) in enumerate(parts):
        src = sim_.Population(3, sim_.SpikeSourceArray(spike_times=times), label=f"src{k}")
        projs.append(sim_.Projection(src, out, sim_.FromListConnector(_conns(w, d))))
    out.record(["spikes", "v"])
    return out, projs


def _split_parts(k: int) -> list[tuple[Times, np.ndarray, np.ndarray]]:
    first = k + 1 if k > 0 else 0
    early = [[t for t in ts if _stamps([t])[0] < first] for ts in SOURCE_TIMES]
    late = [[t for t in ts if _stamps([t])[0] >= first] for ts in SOURCE_TIMES]
    return [(early, W_OLD, D_OLD), (late, W_NEW, D_NEW)]


def _set_new(proj: Any) -> None:
    """W_NEW / D_NEW through PyNN: Projection.set, then Connection.weight / .delay."""
    order = {(c.presynaptic_index, c.postsynaptic_index): c for c in proj.connections}
    w = np.full((3, 3), np.nan)
    d = np.full((3, 3), np.nan)
    w[PRE, POST], d[PRE, POST] = W_NEW, D_NEW * DT
    proj.set(weight=w, delay=d)  # arrays of shape (pre, post)
    conn = order[(2, 2)]
    conn.weight = 0.5  # then back, one connection at a time
    conn.weight = float(W_NEW[8])
    conn.delay = float(D_NEW[8]) * DT


def test_pynn_projection_set_between_runs() -> None:
    sim.setup(timestep=DT, seed=1, board=HostBoard(), mapper=trivial_plan)
    try:
        out, (proj,) = _pynn_synapse_net(sim, [(SOURCE_TIMES, W_OLD, D_OLD)])
        sim.run(4.1)
        _set_new(proj)
        assert_allclose(proj.get("weight", format="array")[PRE, POST], W_NEW)
        assert_allclose(proj.get("delay", format="array")[PRE, POST], D_NEW * DT)
        sim.run(20.9)
        got = _pynn_data(out)
        sim.setup(timestep=DT, seed=1, board=HostBoard(), mapper=trivial_plan)
        out, _ = _pynn_synapse_net(sim, _split_parts(41))
        sim.run(25.0)
        expected = _pynn_data(out)
    finally:
        sim.end()
    assert len(got[0]) + len(got[1]) + len(got[2]) > 3
    for a, b in zip(got, expected, strict=True):
        assert_allclose(a, b, rtol=0, atol=1e-12)


async def test_pynn_projection_set_while_a_session_runs() -> None:
    async with _session(mode="lockstep") as s:
        out, (proj,) = _pynn_synapse_net(s, [(SOURCE_TIMES, W_OLD, D_OLD)])
        await _lockstep_run(s, out, 5.0, lambda: _set_new(proj))
        got = _pynn_data(out)
    async with _session() as s:
        out, _ = _pynn_synapse_net(s, _split_parts(50))
        await s.run(20.0)
        expected = _pynn_data(out)
    for a, b in zip(got, expected, strict=True):
        assert_allclose(a, b, rtol=0, atol=1e-12)


def test_pynn_bad_synapse_values_change_nothing() -> None:
    sim.setup(timestep=DT, seed=1, max_delay=5.0, board=HostBoard(), mapper=trivial_plan)
    try:
        a = sim.Population(2, sim.SpikeSourceArray(spike_times=[[1.0], [2.0]]))
        b = sim.Population(2, sim.IF_curr_exp())
        inh = sim.Projection(
            a,
            b,
            sim.OneToOneConnector(),
            sim.StaticSynapse(weight=-0.5, delay=1.0),
            receptor_type="inhibitory",
        )
        sim.run(1.0)
        inh.set(weight=-1.0)  # PyNN's sign for inhibitory current synapses
        assert_array_equal(inh.get("weight", format="list"), [(0, 0, -1.0), (1, 1, -1.0)])
        spec = inh._owner.spec.projections[inh._parts[0][0]]
        assert_array_equal(spec.weight, [1.0, 1.0])  # the engine gets magnitudes
        with pytest.raises(errors.ConnectionError, match="all <= 0"):
            inh[0].weight = 0.5  # mixed signs
        with pytest.raises(errors.ConnectionError, match=r"outside the allowed range"):
            inh.set(delay=6.0)  # beyond max_delay
        with pytest.raises(errors.ConnectionError, match=r"outside the allowed range"):
            inh.set(delay=0.05)  # below one step
        with pytest.raises(errors.InvalidParameterValueError, match="NaN"):
            inh.set(weight=np.nan)
        assert_array_equal(inh.get("weight", format="list"), [(0, 0, -1.0), (1, 1, -1.0)])
        assert_array_equal(inh.get("delay", format="list"), [(0, 0, 1.0), (1, 1, 1.0)])
        assert_array_equal(spec.weight, [1.0, 1.0])
        assert_array_equal(spec.delay_steps, [10, 10])
        inh.set(weight=0.7)  # all >= 0: sPyNNaker's convention, also fine
        assert_array_equal(spec.weight, [0.7, 0.7])
    finally:
        sim.end()


def _stdp_pair(sim_: Any) -> Any:
    pre = sim_.Population(1, sim_.SpikeSourceArray(spike_times=[10.0, 40.0]))
    teach = sim_.Population(1, sim_.SpikeSourceArray(spike_times=[14.2]))
    post = sim_.Population(1, sim_.IF_curr_delta(tau_refrac=0.1, v_thresh=-50.0))
    rule = sim_.STDPMechanism(
        timing_dependence=sim_.SpikePairRule(
            tau_plus=16.8, tau_minus=33.7, A_plus=0.05, A_minus=0.0525
        ),
        weight_dependence=sim_.AdditiveWeightDependence(w_min=0.0, w_max=2.0),
        weight=0.8,
        delay=1.5,
    )
    proj = sim_.Projection(pre, post, sim_.AllToAllConnector(), rule)
    sim_.Projection(
        teach, post, sim_.AllToAllConnector(), sim_.StaticSynapse(weight=100.0, delay=0.1)
    )
    return proj


def test_pynn_stdp_weights_set_while_loaded() -> None:
    """Plastic weights can be set (learning goes on from them); delays cannot."""
    sim.setup(timestep=DT, min_delay=DT, board=HostBoard(), mapper=trivial_plan)
    try:
        proj = _stdp_pair(sim)
        sim.run(30.0)
        proj[0].weight = 1.0  # the pairing at 14.3 ms is pending until the spike at 40 ms
        assert proj[0].weight == 1.0
        with pytest.raises(errors.ConnectionError, match=r"outside \[w_min, w_max\]"):
            proj.set(weight=2.5)
        with pytest.raises(errors.ConnectionError, match="delays of plastic synapses"):
            proj.set(delay=2.0)
        proj.set(delay=1.5)  # unchanged delays are fine
        sim.run(20.0)
        k_plus = math.exp(-(14.3 + 1.5 - 10.0) / 16.8)
        k_minus = math.exp(-(40.0 - 15.8) / 33.7)
        expected = 1.0 + 0.05 * 2.0 * k_plus - 0.0525 * 2.0 * k_minus
        assert proj[0].weight == pytest.approx(expected, rel=1e-9)
        sim.reset()  # back to the weight last set
        assert proj[0].weight == 1.0
    finally:
        sim.end()


def test_tsodyks_markram_weight_set_while_loaded() -> None:
    runs = []
    for change in (False, True):
        board = HostBoard()
        rt = Runtime(dt=DT, seed=3, board=board, mapper=trivial_plan)
        target = synapse_net(rt, [(SOURCE_TIMES, W_OLD, D_OLD)])
        rt.spec.projections[0].plasticity = TsodyksMarkramSpec(U=0.5, tau_rec=100.0, tau_facil=0.0)
        rt.run_steps_blocking(41)
        if change:
            rt.set_synapses(0, [1], weight=7.0)
            w = W_OLD.copy()
            w[1] = 7.0
            assert_array_equal(board.get_weights(0), w)
            with pytest.raises(ParameterError, match="fixed once the network is loaded"):
                rt.set_synapses(0, [1], delay_steps=5)
            rt.set_synapses(0, [1], delay_steps=3)  # the same delay
        rt.run_steps_blocking(100)
        runs.append(rt.recorder.samples(target, "v")[1][:, 1])
    old, new = runs
    assert_array_equal(old[:45], new[:45])  # the spike stamped 42 is the first affected
    assert np.all(new[46:60] > old[46:60])


def test_static_changes_leave_plastic_synapses_alone() -> None:
    """A rebuild for a static projection keeps every plastic weight, trace and history."""
    from tests.test_plasticity import recurrent_plastic_spec

    def run(change: float | None) -> tuple[Any, ...]:
        spec = recurrent_plastic_spec()
        n = 40
        pre, post = np.nonzero(np.random.default_rng(2).random((n, n)) < 0.1)
        spec.projections.append(projection(2, 1, 1, pre, post, 0.4, 2, receptor=INHIBITORY))
        board = HostBoard()
        board.load(spec, trivial_plan(spec, atoms_per_core=16))
        board.set_recording(1, "spikes", np.arange(n))
        first = board.run(1500)
        if change is not None:
            board.set_synapses(2, None, weight=change, delay_steps=40)
            board.set_synapses(2, None, delay_steps=2)  # the ring grew; back to the old
        second = board.run(2500)
        return first.spikes[1], second.spikes[1], board.get_weights(0), board.get_weights(1)

    same = run(None)
    for a, b in zip(run(0.4), same, strict=True):  # rebuilt with the same values
        assert_array_equal(np.asarray(a), np.asarray(b))
    changed = run(2.0)
    assert len(changed[1][0]) < len(same[1][0])  # stronger inhibition
    assert not np.array_equal(changed[3], same[3])  # and learning follows it
