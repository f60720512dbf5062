"""Neuromodulation in a live session: weights streamed, the same whatever the chunk size."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.testing import assert_array_equal

import spinstream
from spinstream.spinnaker.extra_models import Neuromodulation
from tests.engine import require_engine

HostBoard = require_engine()


async def stream_run(chunk: float, t: float) -> tuple[np.ndarray, np.ndarray, Any]:
    async with spinstream.Session(timestep=0.1, chunk=chunk, seed=5) as sim:
        src = sim.Population(20, sim.SpikeSourcePoisson(rate=50.0))
        out = sim.Population(5, sim.IF_curr_exp(tau_refrac=2.0, v_thresh=-55.0))
        drive = sim.Population(5, sim.SpikeSourcePoisson(rate=30.0))
        reward = sim.Population(2, sim.SpikeSourcePoisson(rate=40.0))
        punish = sim.Population(2, sim.SpikeSourcePoisson(rate=20.0))
        sim.Projection(drive, out, sim.OneToOneConnector(), sim.StaticSynapse(weight=20.0))
        stdp = sim.STDPMechanism(
            timing_dependence=sim.SpikePairRule(
                tau_plus=20.0, tau_minus=20.0, A_plus=0.1, A_minus=0.12
            ),
            weight_dependence=sim.AdditiveWeightDependence(w_min=0.0, w_max=1.5),
            weight=0.8,
            delay=1.0,
        )
        proj = sim.Projection(src, out, sim.AllToAllConnector(), stdp)
        for pop, kind in ((reward, "reward"), (punish, "punishment")):
            sim.Projection(
                pop,
                out,
                sim.AllToAllConnector(),
                Neuromodulation(weight=0.05, tau_c=50.0, tau_d=20.0, w_max=1.5),
                receptor_type=kind,
            )
        s = proj.stream("weight", every=1.0, maxlen=10_000)
        values, stamps = [], []
        while sim.time < t:
            await sim.run(chunk)
            while len(s):
                batch = s.receive_nowait()
                values.append(batch.values)
                stamps.append(batch.stamps)
        final = proj.get("weight", format="list", with_address=False)
        return np.concatenate(values), np.concatenate(stamps), final


async def test_modulated_weights_stream_the_same_whatever_the_chunk() -> None:
    va, sa, final = await stream_run(5.0, 60.0)
    vb, sb, _ = await stream_run(2.5, 60.0)
    assert_array_equal(sa, sb)
    assert_array_equal(sa, np.arange(0, 601, 10))  # one snapshot per ms (10 steps), from 0
    assert_array_equal(va, vb)
    assert_array_equal(va[-1], final)  # the last snapshot is the weights now
    assert np.abs(va[-1] - 0.8).max() > 1e-3  # dopamine moved them
