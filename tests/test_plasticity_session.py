"""Plastic weights in a live session: read at any time, streamed with ``proj.stream``."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

import spinstream
from spinstream.streams import WeightBatch
from tests.engine import require_engine

HostBoard = require_engine()


def build(sim: object) -> tuple[object, object]:
    """Poisson -> 20 LIF cells through STDP, plus a static projection."""
    rng = sim.NumpyRNG(seed=3)  # type: ignore[attr-defined]
    src = sim.Population(30, sim.SpikeSourcePoisson(rate=40.0))  # type: ignore[attr-defined]
    out = sim.Population(20, sim.IF_curr_exp(tau_refrac=2.0, v_thresh=-55.0))  # type: ignore[attr-defined]
    rule = sim.STDPMechanism(  # type: ignore[attr-defined]
        timing_dependence=sim.SpikePairRule(  # type: ignore[attr-defined]
            tau_plus=20.0, tau_minus=20.0, A_plus=0.02, A_minus=0.021
        ),
        weight_dependence=sim.MultiplicativeWeightDependence(w_min=0.0, w_max=1.5),  # type: ignore[attr-defined]
        weight=sim.RandomDistribution("uniform", (0.3, 1.2), rng=rng),  # type: ignore[attr-defined]
        delay=1.0,
    )
    conn = sim.FixedProbabilityConnector(0.5, rng=rng)  # type: ignore[attr-defined]
    plastic = sim.Projection(src, out, conn, rule)  # type: ignore[attr-defined]
    static = sim.Projection(  # type: ignore[attr-defined]
        out,
        out,
        sim.FixedProbabilityConnector(0.1, rng=rng),  # type: ignore[attr-defined]
        sim.StaticSynapse(weight=-0.2, delay=2.0),
        receptor_type="inhibitory",  # type: ignore[attr-defined]
    )
    return plastic, static


async def stream_run(chunk: float, every: float, t: float) -> tuple[list[WeightBatch], object]:
    async with spinstream.Session(timestep=0.1, chunk=chunk, seed=11) as sim:
        plastic, static = build(sim)
        s = plastic.stream("weight", every=every, maxlen=10_000)
        s_static = static.stream("weight", every=t)
        batches: list[WeightBatch] = []
        checked = 0
        while sim.time < t:
            await sim.run(chunk)
            while len(s):
                batches.append(s.receive_nowait())
            # between chunks, get() gives the weights at the end of the chunk: the last
            # snapshot, when one was due then
            if batches[-1].stamps[-1] == sim.runtime.step:
                checked += 1
                assert_array_equal(
                    batches[-1].values[-1],
                    plastic.get("weight", format="list", with_address=False),
                )
        assert checked >= t / chunk / 2
        static_batch = s_static.receive_nowait()
        return batches, (plastic.get("weight", format="array"), static_batch, len(static))


async def test_weight_stream_snapshots_every_interval_whatever_the_chunk() -> None:
    a, (final_a, static_batch, n_static) = await stream_run(chunk=5.0, every=1.0, t=50.0)
    b, (final_b, _, _) = await stream_run(chunk=2.5, every=1.0, t=50.0)
    for got in (a, b):
        stamps = np.concatenate([x.stamps for x in got])
        assert_array_equal(stamps, np.arange(0, 501, 10))  # t = 0, 1, ..., 50 ms
        for x in got:
            assert x.values.shape == (len(x.stamps), x.values.shape[1])
            assert np.all(x.stamps > x.first_step) or x.first_step == 0
            assert np.all(x.stamps <= x.first_step + x.n_steps)
            assert_allclose(x.times, x.stamps * 0.1)
    va = np.concatenate([x.values for x in a])
    vb = np.concatenate([x.values for x in b])
    assert_array_equal(va, vb)
    assert_array_equal(final_a, final_b)
    assert np.abs(va[-1] - va[0]).max() > 1e-3  # the weights moved
    assert np.all((va >= 0.0) & (va <= 1.5))
    assert a[0].projection.startswith("population")  # the projection's label
    # a static projection streams its weights too, with PyNN's signs
    assert static_batch.values.shape == (1, n_static)
    assert np.all(static_batch.values == -0.2)


async def test_weights_can_be_read_while_a_run_is_in_progress() -> None:
    async with spinstream.Session(timestep=0.1, chunk=1.0, seed=11) as sim:
        plastic, _ = build(sim)
        initial = plastic.get("weight", format="list", with_address=False)
        sim.runtime._worker._inline_below_ns = 0.0  # always compute chunks in the worker thread
        task = asyncio.create_task(sim.run(200.0))
        seen = []
        while not task.done():
            seen.append(np.array(plastic.get("weight", format="list", with_address=False)))
            await asyncio.sleep(0)
        await task
        final = np.array(plastic.get("weight", format="list", with_address=False))
    assert len(seen) > 5
    for w in seen:
        assert np.all((w >= 0.0) & (w <= 1.5))
    assert not np.array_equal(final, initial)
    assert any(not np.array_equal(w, initial) and not np.array_equal(w, final) for w in seen)


async def test_weight_stream_arguments_are_checked() -> None:
    async with spinstream.Session(timestep=0.1, chunk=1.0, seed=1) as sim:
        plastic, _ = build(sim)
        with pytest.raises(ValueError, match="multiple of the time step"):
            plastic.stream("weight", every=0.25)
        with pytest.raises(ValueError, match="only 'weight'"):
            plastic.stream("delay")
        s = plastic.stream("weight", every=2.0)
        await s.aclose()
        await sim.run(5.0)  # a closed stream is dropped; the run is unaffected
        assert len(s) == 0
