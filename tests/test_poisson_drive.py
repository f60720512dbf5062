"""A Poisson source of more than one spike per step drives a neuron in full (closed forms).

The microcircuit lumps each neuron's ``K_ext`` background inputs of 8 Hz into one
``SpikeSourcePoisson`` of ``K_ext x 8`` Hz: 12.8 kHz for L2/3E at full scale, 1.28 spikes
per 0.1 ms step.  A source that emitted (or a synapse that delivered) at most one spike per
step would drive the neuron at ``1 - exp(-1.28)`` = 72 % of that.  The membrane potential
of a neuron that never fires is a shot noise whose mean and variance are closed forms
(Campbell's theorem), so the drive it received can be checked without a reference
simulator.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from tests.engine import require_engine

require_engine()

CM, TAU_M, TAU_S = 0.25, 10.0, 0.5  # nF, ms, ms: the microcircuit's cells
W = 0.01  # nA


def psp_kernel(t: np.ndarray) -> np.ndarray:
    """Membrane response (mV) of IF_curr_exp to one input spike of weight W, t in ms."""
    amp = W / CM * TAU_M * TAU_S / (TAU_M - TAU_S)
    return amp * (np.exp(-t / TAU_M) - np.exp(-t / TAU_S))


@pytest.mark.parametrize("rate", [12800.0, 1280.0])  # Hz: full scale and k_scale 0.1
def test_poisson_drive_mean_and_variance_match_campbell(rate: float) -> None:
    import spinstream.pyNN as sim

    dt, n, t_stop, t_skip = 0.1, 40, 2000.0, 100.0
    sim.setup(timestep=dt, min_delay=dt, seed=5)
    try:
        drive = sim.Population(n, sim.SpikeSourcePoisson(rate=rate))
        cells = sim.Population(
            n,
            sim.IF_curr_exp(
                cm=CM, tau_m=TAU_M, tau_syn_E=TAU_S, v_rest=-65.0, v_thresh=1e6, i_offset=0.0
            ),
        )
        sim.Projection(
            drive,
            cells,
            sim.OneToOneConnector(),
            sim.StaticSynapse(weight=W, delay=1.5),
            receptor_type="excitatory",
        )
        cells.record("v")
        sim.run(t_stop)
        v = cells.get_data().segments[0].filter(name="v")[0].magnitude
    finally:
        sim.end()
    dv = np.asarray(v)[round(t_skip / dt) :] + 65.0  # (samples, cells), mV above rest

    lam = rate * dt * 1e-3  # spikes per step
    t = np.arange(1, 20000) * dt  # the kernel at the steps after an arrival
    mean = lam * psp_kernel(t).sum()  # shot noise on the step grid
    var = lam * (psp_kernel(t) ** 2).sum()
    # continuous-time Campbell: the grid sums above are its Riemann sums
    assert math.isclose(mean, rate * 1e-3 * W * TAU_S * TAU_M / CM, rel_tol=1e-3)

    # 40 cells x 1.9 s, correlation time ~ tau_m: the mean to ~0.2 %, the variance to ~2 %
    assert dv.mean() == pytest.approx(mean, rel=0.01)
    assert dv.var(axis=0).mean() == pytest.approx(var, rel=0.06)
    # at most one spike per step would have given this much less drive
    assert dv.mean() > 1.05 * (1.0 - math.exp(-lam)) / lam * mean
