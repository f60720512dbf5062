"""The Runtime's guarantees on the real engine (HostBoard): chunking and streams change nothing."""

from __future__ import annotations

import asyncio
from typing import Any

import numpy as np
import pytest

from spinstream.model import (
    EXCITATORY,
    INHIBITORY,
    NetworkSpec,
    PopulationSpec,
    ProjectionSpec,
)
from spinstream.session import Runtime
from tests.engine import require_engine
from tests.fakes import trivial_plan

HostBoard = require_engine()

CELL = {
    "v_rest": -65.0,
    "cm": 1.0,
    "tau_m": 20.0,
    "tau_refrac": 2.0,
    "tau_syn_E": 5.0,
    "tau_syn_I": 5.0,
    "i_offset": 0.0,
    "v_reset": -65.0,
    "v_thresh": -55.0,
}
N_SRC, N_EXC, N_INJ = 40, 60, 5


def build(rt: Runtime) -> None:
    """Poisson input -> recurrent LIF population, plus an injector into the first 5 cells."""
    rng = np.random.default_rng(7)
    spec: NetworkSpec = rt.spec
    assert spec.populations == []
    rt.add_population(
        PopulationSpec(
            0,
            "noise",
            N_SRC,
            "SpikeSourcePoisson",
            params={
                "rate": np.full(N_SRC, 60.0),
                "start": np.zeros(N_SRC),
                "duration": np.full(N_SRC, np.inf),
            },
            initial={},
        )
    )
    rt.add_population(
        PopulationSpec(
            1,
            "cells",
            N_EXC,
            "IF_curr_exp",
            params={k: np.full(N_EXC, v) for k, v in CELL.items()},
            initial={
                "v": rng.uniform(-65.0, -56.0, N_EXC),
                "isyn_exc": np.zeros(N_EXC),
                "isyn_inh": np.zeros(N_EXC),
            },
        )
    )
    rt.add_population(PopulationSpec(2, "inject", N_INJ, "SpikeInjector", {}, {}))

    def proj(pid: int, pre: int, post: int, n_pre: int, n: int, w: float, rec: int) -> None:
        pre_i = rng.integers(0, n_pre, n)
        post_i = rng.integers(0, N_EXC, n)
        rt.add_projection(
            ProjectionSpec(
                pid,
                pre,
                post,
                pre_i.astype(np.int64),
                post_i.astype(np.int64),
                np.full(n, w),
                rng.integers(1, 8, n).astype(np.int64),
                np.full(n, rec, np.int64),
            )
        )

    proj(0, 0, 1, N_SRC, 600, 1.2, EXCITATORY)
    proj(1, 1, 1, N_EXC, 400, 0.4, INHIBITORY)
    idx = np.arange(N_INJ, dtype=np.int64)
    rt.add_projection(
        ProjectionSpec(
            2,
            2,
            1,
            idx,
            idx,
            np.full(N_INJ, 8.0),
            np.full(N_INJ, 2, np.int64),
            np.zeros(N_INJ, np.int64),
        )
    )
    rt.set_recording(0, "spikes", np.arange(N_SRC))
    rt.set_recording(1, "spikes", np.arange(N_EXC))
    rt.set_recording(1, "v", np.array([0, 3, 17, 59]))
    rt.set_recording(1, "isyn_exc", np.arange(0, N_EXC, 2), interval_steps=4)


def runtime(chunk_steps: int, **kw: object) -> Runtime:
    rt = Runtime(
        dt=0.1,
        chunk_steps=chunk_steps,
        seed=11,
        board=HostBoard(),
        mapper=lambda spec: trivial_plan(spec, atoms_per_core=32),
        **kw,  # type: ignore[arg-type]
    )
    build(rt)
    return rt


def outputs(rt: Runtime) -> list[np.ndarray]:
    out = [*rt.recorder.spikes(0), *rt.recorder.spikes(1)]
    out += rt.recorder.samples(1, "v")
    out += rt.recorder.samples(1, "isyn_exc")
    return out


def assert_same(a: list[np.ndarray], b: list[np.ndarray]) -> None:
    for x, y in zip(a, b, strict=True):
        np.testing.assert_array_equal(x, y)


async def reference(n: int = 600) -> list[np.ndarray]:
    rt = runtime(chunk_steps=n)
    rt.schedule_spikes(2, [0, 1, 4], [50, 50, 333])
    await rt.run_steps(n)
    assert len(rt.recorder.spikes(1)[0]) > 50  # the network is active
    return outputs(rt)


@pytest.mark.parametrize("chunk", [1, 7, 10, 64])
async def test_hostboard_results_do_not_depend_on_chunk_size(chunk: int) -> None:
    ref = await reference()
    rt = runtime(chunk_steps=chunk)
    rt.schedule_spikes(2, [0, 1, 4], [50, 50, 333])
    await rt.run_steps(211)
    await rt.run_steps(389)
    assert_same(ref, outputs(rt))


async def test_hostboard_results_do_not_depend_on_subscribers() -> None:
    ref = await reference()
    rt = runtime(chunk_steps=10)
    rt.schedule_spikes(2, [0, 1, 4], [50, 50, 333])
    subs = [
        rt.subscribe_spikes(1, maxlen=1),
        rt.subscribe_spikes([(0, [3, 1]), (1, np.arange(10, 40))], maxlen=1000),
        rt.subscribe_state(1, "v", [59, 2], interval_steps=3),
        rt.subscribe_state(1, "isyn_inh", None, maxlen=5),
    ]
    got: list[Any] = []

    async def slow() -> None:
        async for batch in subs[1]:
            got.append(batch)
            await asyncio.sleep(0)

    task = asyncio.create_task(slow())
    await rt.run_steps(600)
    task.cancel()
    assert_same(ref, outputs(rt))
    # the stream saw what the recorder saw, for its selection
    st, idx = rt.recorder.spikes(1)
    want = np.sort(st[(idx >= 10) & (idx < 40)])
    batches = got + [subs[1].receive_nowait() for _ in range(len(subs[1]))]
    assert sum(b.dropped for b in batches) == 0  # 60 chunks fit its buffer: lossless
    assert len(batches) == 60
    streamed = np.concatenate([b.stamps[b.indices >= 2] for b in batches])
    np.testing.assert_array_equal(streamed, want)


async def test_hostboard_input_at_a_step_equals_stopping_there() -> None:
    stop = 237
    a = runtime(chunk_steps=50)
    a.set_parameters(0, "rate", np.arange(10), 5.0, at_step=stop)
    a.set_state(1, "v", [5, 6], -50.0, at_step=stop)
    a.schedule_spikes(2, [2], [stop + 3])
    await a.run_steps(500)

    b = runtime(chunk_steps=50)
    await b.run_steps(stop)
    b.set_parameters(0, "rate", np.arange(10), 5.0)
    b.set_state(1, "v", [5, 6], -50.0)
    b.schedule_spikes(2, [2], [stop + 3])
    await b.run_steps(500 - stop)
    assert_same(outputs(a), outputs(b))
    assert a.statistics().chunks == 10


async def test_hostboard_closed_loop_in_lockstep_is_deterministic() -> None:
    async def loop_once() -> tuple[list[tuple[int, int]], np.ndarray]:
        rt = runtime(chunk_steps=10, mode="lockstep")
        answers: list[tuple[int, int]] = []

        async def controller() -> None:
            async with rt.subscribe_spikes(1, [0, 1, 2], lockstep=True) as stream:
                async for batch in stream:
                    if len(batch):
                        at = rt.schedule_spikes(2, [int(batch.indices[-1]) + 2])
                        answers.append((batch.sequence, at))

        task = asyncio.create_task(controller())
        await rt.run_steps(400)
        task.cancel()
        return answers, rt.recorder.spikes(1)[0].copy()

    a1, s1 = await loop_once()
    a2, s2 = await loop_once()
    assert a1 == a2
    assert len(a1) > 3
    np.testing.assert_array_equal(s1, s2)


async def test_default_mapper_and_board() -> None:
    # spinstream.mapping.map_network (PACMAN) and HostBoard, as the front end uses them
    runs = []
    for chunk in (10, 3):
        rt = Runtime(dt=0.1, chunk_steps=chunk, seed=11)
        build(rt)
        rt.schedule_spikes(2, [0, 1, 4], [50, 50, 333])
        await rt.run_steps(400)
        assert rt.plan is not None
        assert rt.plan.cores
        runs.append(outputs(rt))
        rt.close()
    assert_same(runs[0], runs[1])
    assert len(runs[0][2]) > 20


@pytest.mark.parametrize("how", ["recorded", "streamed"])
async def test_a_burst_of_more_than_65536_injected_spikes_in_one_step(how: str) -> None:
    """Every spike of a large burst arrives, and later runs go on as usual."""
    import spinstream

    n, burst = 100, 70_000  # 700 spikes per neuron, all at one step
    async with spinstream.Session(timestep=0.1, chunk=1.0, board=HostBoard()) as sim:
        inj = sim.Population(n, sim.SpikeInjector(), label="in")
        stream = None
        if how == "recorded":
            inj.record("spikes")
        else:
            stream = inj.stream("spikes", maxlen=1000)
        await sim.run(1.0)
        inj.inject_spikes(np.arange(burst) % n)
        inj.inject_spikes(np.arange(burst) % n, times=[3.0])  # a second burst, later
        await sim.run(5.0)
        await sim.run(1.0)
        assert sim.time == pytest.approx(7.0)
        if stream is not None:
            batches = [stream.receive_nowait() for _ in range(len(stream))]
            times = np.concatenate([b.times for b in batches])
        else:
            trains = inj.get_data("spikes").segments[-1].spiketrains
            assert [len(st) for st in trains] == [2 * burst // n] * n
            times = np.concatenate([st.magnitude for st in trains])
        stamps, counts = np.unique(np.round(times / 0.1).astype(np.int64), return_counts=True)
        assert stamps.tolist() == [10, 30]
        assert counts.tolist() == [burst, burst]
