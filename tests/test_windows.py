"""Windows: the engine runs up to the shortest synaptic delay before it delivers spikes.

A spike on its way for d steps cannot reach its target before d steps have run, so the
engine keeps each step's spike lists and delivers them together, step by step and in core
order, at the end of a window of up to d steps (docs/ENGINE.md, "Windows"): two barriers
per window on several threads, one exchange per window over MPI.  Each ring then receives
its inputs in the order one step at a time gives, so the spikes and traces must be the same
bit for bit as with windows of one step, whatever the chunks and the threads, on networks
that use every path a window changes: Poisson sources (several spikes per step), spike
arrays with a spike at t = 0, spikes injected while running (due at the very next step),
current sources, and recordings of spikes, v and conductances.
"""

from __future__ import annotations

import asyncio
from typing import Any

import numpy as np
import pytest
from numpy.testing import assert_array_equal

import spinstream
from spinstream.model import ParameterError
from tests.engine import require_engine

HostBoard = require_engine()

DT = 0.1
SHORTEST = 1.0  # ms: the windows are 10 steps


def build(s: Any, current: bool = True) -> tuple[Any, ...]:
    """Static synapses, delays drawn in [1, 3] ms, several cores per population."""
    rng = s.NumpyRNG(seed=3)
    delays = s.RandomDistribution("uniform", (SHORTEST, 3.0), rng=rng)
    exc = s.Population(300, s.IF_curr_exp(tau_refrac=2.0, i_offset=0.1), label="exc")
    inh = s.Population(100, s.IF_cond_exp(tau_refrac=1.0), label="inh")
    noise = s.Population(80, s.SpikeSourcePoisson(rate=900.0), label="noise")
    times = [[0.0, 1.0, 1.0, 5.0, 22.3]] * 10
    arr = s.Population(10, s.SpikeSourceArray(spike_times=times), label="arr")
    inj = s.Population(10, s.SpikeInjector(), label="inj")
    for p in (exc, inh, noise):
        p.set_max_atoms_per_core(64)
    conn = s.FixedProbabilityConnector
    s.Projection(exc, exc, conn(0.05, rng=rng), s.StaticSynapse(weight=0.12, delay=delays))
    s.Projection(exc, inh, conn(0.1, rng=rng), s.StaticSynapse(weight=0.004, delay=delays))
    w_inh = s.RandomDistribution("uniform", (0.1, 0.5), rng=rng)
    s.Projection(
        inh,
        exc,
        conn(0.1, rng=rng),
        s.StaticSynapse(weight=w_inh, delay=delays),
        receptor_type="inhibitory",
    )
    s.Projection(noise, exc, conn(0.1, rng=rng), s.StaticSynapse(weight=0.05, delay=SHORTEST))
    s.Projection(arr, exc, s.AllToAllConnector(), s.StaticSynapse(weight=0.3, delay=SHORTEST))
    s.Projection(inj, inh, s.AllToAllConnector(), s.StaticSynapse(weight=0.02, delay=SHORTEST))
    if current:
        exc.inject(s.NoisyCurrentSource(mean=0.2, stdev=0.3, dt=0.5))
    for p in (exc, inh, noise, arr, inj):
        p.record("spikes")
    exc.record("v")
    inh.record("gsyn_exc")
    return (exc, inh, noise, arr, inj)


def outcome(pops: tuple[Any, ...]) -> dict[str, np.ndarray]:
    out: dict[str, np.ndarray] = {}
    for p in pops:
        seg = p.get_data().segments[-1]
        for k, st in enumerate(seg.spiketrains):
            out[f"{p.label} spikes {k}"] = np.asarray(st.magnitude)
        for sig in seg.analogsignals:
            out[f"{p.label} {sig.name}"] = np.asarray(sig.magnitude)
    return out


def session(threads: int, chunk: float, limit: int | None) -> spinstream.Session:
    """A Session on its own board, its windows limited to ``limit`` steps (None: not)."""
    board = HostBoard(threads=threads)
    if limit is not None:
        board.limit_window(limit)
    return spinstream.Session(timestep=DT, chunk=chunk, seed=5, threads=threads, board=board)


async def session_run(
    threads: int,
    chunk: float,
    limit: int | None = None,
    current: bool = True,
    board_out: dict[str, Any] | None = None,
) -> tuple[dict[str, np.ndarray], int, int]:
    """50 ms with input injected twice; the outcome, the window and the windows run
    (``board_out`` gets whether the board exchanged through a shared segment, and how
    many collectives it made each way)."""
    async with session(threads, chunk, limit) as s:
        pops = build(s, current)
        await s.run(20.0)
        pops[4].inject_spikes(np.arange(10))  # due at the next step: a window's first
        pops[4].inject_spikes([1, 3], times=[27.0, 33.5])
        await s.run(25.0)
        pops[4].inject_spikes([2, 4, 6])
        await s.run(5.0)
        board = s.runtime.board
        if board_out is not None:
            board_out["shared_segment"] = board.shared_segment
            procs = board._procs  # the engine's collectives: through the segment, through MPI
            board_out["collectives"] = procs.collectives() if procs is not None else (0, 0)
        return outcome(pops), board.window, board.windows_run()


def same(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> None:
    assert a.keys() == b.keys()
    for key in a:
        assert_array_equal(a[key], b[key], err_msg=key, strict=True)


STEPS = 500


@pytest.fixture(scope="module")
def one_step_windows() -> dict[bool, dict[str, np.ndarray]]:
    """The reference: one thread, windows of one step (spikes delivered every step)."""
    out = {}
    for current in (True, False):
        result, window, windows = asyncio.run(session_run(1, 1.0, limit=1, current=current))
        assert window == 1
        assert windows == STEPS
        out[current] = result
    return out


def test_the_reference_network_uses_every_path(
    one_step_windows: dict[bool, dict[str, np.ndarray]],
) -> None:
    ref = one_step_windows[True]
    for label in ("exc", "inh", "noise", "arr", "inj"):
        assert sum(len(v) for k, v in ref.items() if k.startswith(f"{label} spikes")) > 0
    # the spike at t = 0 and the injected ones are there
    assert ref["arr spikes 0"][0] == 0.0
    assert len(ref["inj spikes 0"]) == 1
    assert len(ref["inj spikes 1"]) == 2


@pytest.mark.parametrize(
    ("threads", "chunk", "current", "windows"),
    [
        (1, 1.0, True, 50),  # one window per 1 ms chunk
        (1, 0.7, True, 73),  # windows end where chunks end
        (2, 1.0, False, 50),
        (3, 2.3, False, 65),
        (2, 1.0, True, STEPS),  # current sources on several threads: one step at a time
    ],
)
def test_windows_of_the_shortest_delay_give_the_same_bits(
    one_step_windows: dict[bool, dict[str, np.ndarray]],
    threads: int,
    chunk: float,
    current: bool,
    windows: int,
) -> None:
    result, window, run = asyncio.run(session_run(threads, chunk, current=current))
    assert window == (1 if current and threads > 1 else round(SHORTEST / DT))
    assert run == windows
    same(one_step_windows[current], result)


def test_a_shorter_window_gives_the_same_bits(
    one_step_windows: dict[bool, dict[str, np.ndarray]],
) -> None:
    result, window, run = asyncio.run(session_run(2, 1.0, limit=3, current=False))
    assert window == 3
    assert run == 4 * 50  # 3 + 3 + 3 + 1 steps in each 1 ms chunk
    same(one_step_windows[False], result)


def test_plastic_synapses_make_windows_of_one_step() -> None:
    import spinstream.pyNN as sim

    sim.setup(timestep=DT, seed=1)
    try:
        pre = sim.Population(20, sim.SpikeSourcePoisson(rate=50.0))
        post = sim.Population(20, sim.IF_curr_exp())
        stdp = sim.STDPMechanism(
            timing_dependence=sim.SpikePairRule(),
            weight_dependence=sim.AdditiveWeightDependence(w_max=1.0),
            weight=0.5,
            delay=2.0,
        )
        sim.Projection(pre, post, sim.AllToAllConnector(), stdp)
        sim.run(1.0)
        board = sim.state.runtime.board  # type: ignore[attr-defined]
        assert board.window == 1  # a plastic synapse learns as each spike arrives
        assert board.windows_run() == 10
    finally:
        sim.end()


@pytest.mark.parametrize("bad", [0, -2, 1.5, "3", True, None])
def test_bad_window_limits_are_refused(bad: object) -> None:
    with pytest.raises(ParameterError, match="limit_window"):
        HostBoard().limit_window(bad)  # type: ignore[arg-type]


def build_lean(s: Any, shortest: float) -> tuple[Any, ...]:
    """No sources, no current sources, no plasticity: a run with one barrier per window."""
    rng = s.NumpyRNG(seed=8)
    delays = s.RandomDistribution("uniform", (shortest, shortest + 2.0), rng=rng)
    v0 = s.RandomDistribution("uniform", (-65.0, -50.0), rng=rng)
    exc = s.Population(
        400, s.IF_curr_exp(tau_refrac=2.0, i_offset=2.0), initial_values={"v": v0}, label="exc"
    )
    inh = s.Population(
        100, s.IF_cond_exp(tau_refrac=1.0, i_offset=1.5), initial_values={"v": v0}, label="inh"
    )
    for p in (exc, inh):
        p.set_max_atoms_per_core(48)
    conn = s.FixedProbabilityConnector
    s.Projection(exc, exc, conn(0.05, rng=rng), s.StaticSynapse(weight=0.2, delay=delays))
    s.Projection(exc, inh, conn(0.1, rng=rng), s.StaticSynapse(weight=0.004, delay=delays))
    s.Projection(
        inh,
        exc,
        conn(0.1, rng=rng),
        s.StaticSynapse(weight=0.05, delay=delays),
        receptor_type="inhibitory",
    )
    for p in (exc, inh):
        p.record("spikes")
    exc[:20].record("v")
    return (exc, inh)


async def lean_run(
    threads: int, chunk: float, shortest: float, limit: int | None = None
) -> tuple[dict[str, np.ndarray], int]:
    async with session(threads, chunk, limit) as s:
        pops = build_lean(s, shortest)
        await s.run(30.0)
        pops[0].set(i_offset=2.5)  # between runs: the threads start again from here
        await s.run(30.0)
        return outcome(pops), s.runtime.board.window


@pytest.mark.parametrize("shortest", [0.1, 1.0])
def test_runs_without_sources_same_bits_on_every_thread_count(shortest: float) -> None:
    """One barrier per window on 2-3 threads (no sources to draw, no current sources)."""
    ref, window = asyncio.run(lean_run(1, 1.0, shortest, limit=1))
    assert window == 1
    spikes = sum(len(v) for k, v in ref.items() if " spikes " in k)
    assert spikes > 2000  # the network is busy: every window has spikes to deliver
    for threads, chunk in [(2, 1.0), (3, 0.7), (2, 6.1), (3, 60.0)]:
        got, window = asyncio.run(lean_run(threads, chunk, shortest))
        assert window == round(shortest / DT)
        same(ref, got)
