"""sPyNNaker's extra rules in a live session: weights streamed, identical whatever the chunk."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from numpy.testing import assert_array_equal

import spinstream
from spinstream.spinnaker.extra_models import (
    PfisterSpikeTriplet,
    SpikeNearestPairRule,
    Vogels2011Rule,
    WeightDependenceAdditiveTriplet,
)
from tests.engine import require_engine

HostBoard = require_engine()


def rule(sim: Any, name: str) -> Any:
    if name == "nearest":
        td: Any = SpikeNearestPairRule(tau_plus=20.0, tau_minus=20.0, A_plus=0.02, A_minus=0.021)
    elif name == "vogels":
        td = Vogels2011Rule(alpha=0.2, tau=20.0, A_plus=0.01)
    else:
        td = PfisterSpikeTriplet(20.0, 20.0, 100.0, 120.0, 0.005, 0.007)
    wd = (
        WeightDependenceAdditiveTriplet(w_min=0.0, w_max=1.5, A3_plus=0.006, A3_minus=0.002)
        if name == "triplet"
        else sim.AdditiveWeightDependence(w_min=0.0, w_max=1.5)
    )
    return sim.STDPMechanism(timing_dependence=td, weight_dependence=wd, weight=0.8, delay=1.0)


async def stream_run(name: str, chunk: float, t: float) -> tuple[np.ndarray, np.ndarray, Any]:
    async with spinstream.Session(timestep=0.1, chunk=chunk, seed=5) as sim:
        src = sim.Population(20, sim.SpikeSourcePoisson(rate=50.0))
        out = sim.Population(5, sim.IF_curr_exp(tau_refrac=2.0, v_thresh=-55.0))
        drive = sim.Population(5, sim.SpikeSourcePoisson(rate=30.0))
        sim.Projection(drive, out, sim.OneToOneConnector(), sim.StaticSynapse(weight=20.0))
        proj = sim.Projection(src, out, sim.AllToAllConnector(), rule(sim, name))
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


@pytest.mark.parametrize("name", ["nearest", "vogels", "triplet"])
async def test_extra_rule_weights_stream_the_same_whatever_the_chunk(name: str) -> None:
    va, sa, final = await stream_run(name, 5.0, 60.0)
    vb, sb, _ = await stream_run(name, 2.5, 60.0)
    assert_array_equal(sa, sb)
    assert_array_equal(sa, np.arange(0, 601, 10))  # one snapshot per ms (10 steps), from 0
    assert_array_equal(va, vb)
    assert_array_equal(va[-1], final)  # the last snapshot is the weights now
    assert np.abs(va[-1] - 0.8).max() > 1e-3  # the rule moved them
