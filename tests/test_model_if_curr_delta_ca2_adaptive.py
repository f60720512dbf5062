"""IFCurrDeltaCa2Adaptive (sPyNNaker's extra model), one model file: checked two ways.

1. The C engine equals the ReferenceBoard (``expm`` of each neuron's linear system: ``v``,
   ``i_ca2``) on random parameters and input, split over cores.
2. Closed forms: a synaptic event jumps ``v`` by its weight on top of the decay of an initial
   calcium current; a DC-driven neuron's ``i_ca2`` is the sum of ``i_alpha`` jumps at its
   spikes and ``v`` between its first two spikes the LIF response to ``i_offset - i_ca2(t)``.
"""

from __future__ import annotations

import numpy as np
from numpy.testing import assert_allclose, assert_array_equal

from tests.engine import require_engine
from tests.reference import ReferenceBoard, network, population, projection, trivial_plan

HostBoard = require_engine()

DT = 0.1
MODEL = "IFCurrDeltaCa2Adaptive"
STATE = ("v", "i_ca2")


def test_host_matches_reference_board() -> None:
    rng = np.random.default_rng(61)
    n, n_steps, n_src = 24, 1500, 8
    params = {
        "v_rest": rng.uniform(-70, -60, n),
        "cm": rng.uniform(0.5, 2.0, n),
        "tau_m": rng.uniform(5.0, 30.0, n),
        "tau_refrac": rng.uniform(0.0, 5.0, n),
        "i_offset": rng.uniform(0.3, 1.5, n),
        "v_reset": rng.uniform(-75, -65, n),
        "v_thresh": rng.uniform(-58, -50, n),
        "tau_ca2": rng.uniform(10.0, 200.0, n),
        "i_alpha": rng.uniform(0.0, 0.3, n),
    }
    times = [np.sort(rng.choice(np.arange(1400) * DT, 15, replace=False)) for _ in range(n_src)]
    count = 300
    ext = (
        rng.integers(0, n_src, count),
        rng.integers(0, n, count),
        rng.uniform(0.2, 3.0, count),  # mV
        rng.integers(1, 30, count),
        rng.integers(0, 2, count),
    )
    spec = network(
        DT,
        [
            population(0, "SpikeSourceArray", n_src, spike_times=times),
            population(1, MODEL, n, **params),
        ],
        [projection(0, 0, 1, *ext)],
    )
    host, ref = HostBoard(), ReferenceBoard()
    host.load(spec, trivial_plan(spec, atoms_per_core=7))
    ref.load(spec, trivial_plan(spec))
    for board in (host, ref):
        board.set_recording(1, "spikes", np.arange(n))
        for var in STATE:
            board.set_recording(1, var, np.arange(n))
    h, r = host.run(n_steps), ref.run(n_steps)
    assert_array_equal(h.spikes[1][0], r.spikes[1][0])
    assert_array_equal(h.spikes[1][1], r.spikes[1][1])
    for var in STATE:
        assert_allclose(h.samples[(1, var)][1], r.samples[(1, var)][1], rtol=0, atol=1e-10)
    assert len(h.spikes[1][0]) >= 50  # not a vacuous comparison
    assert h.samples[(1, "i_ca2")][1].max() > 0.3


TAU_M, CM, TAU_CA, V_REST = 15.0, 0.8, 60.0, -65.0


def test_jump_on_a_decaying_calcium_current_matches_closed_form() -> None:
    ca0, w, delay, t_spike = 0.4, 2.5, 7, 10.0
    spec = network(
        DT,
        [
            population(0, "SpikeSourceArray", 1, spike_times=[[t_spike]]),
            population(
                1,
                MODEL,
                1,
                tau_m=TAU_M,
                cm=CM,
                tau_ca2=TAU_CA,
                v_rest=V_REST,
                initial={"i_ca2": ca0},
            ),
        ],
        [projection(0, 0, 1, [0], [0], [w], [delay], [0])],
    )
    board = HostBoard()
    board.load(spec, trivial_plan(spec))
    for var in STATE:
        board.set_recording(1, var, np.arange(1))
    res = board.run(800)
    stamps, v = res.samples[(1, "v")]
    t = stamps * DT
    kernel = (np.exp(-t / TAU_CA) - np.exp(-t / TAU_M)) / (1.0 / TAU_M - 1.0 / TAU_CA)
    t_arr = t_spike + delay * DT
    jump = np.where(t >= t_arr - 1e-9, w * np.exp(-(t - t_arr) / TAU_M), 0.0)
    assert_allclose(v[:, 0], V_REST - ca0 / CM * kernel + jump, rtol=0, atol=1e-10)
    assert_allclose(res.samples[(1, "i_ca2")][1][:, 0], ca0 * np.exp(-t / TAU_CA), atol=1e-12)


def test_dc_driven_neuron_matches_closed_forms() -> None:
    i_off, alpha, v_reset, v_th = 1.3, 0.2, -70.0, -50.0
    spec = network(
        DT,
        [
            population(
                0,
                MODEL,
                1,
                i_offset=i_off,
                tau_m=TAU_M,
                cm=CM,
                tau_refrac=0.0,
                tau_ca2=TAU_CA,
                i_alpha=alpha,
                v_rest=V_REST,
                v_reset=v_reset,
                v_thresh=v_th,
            )
        ],
    )
    board = HostBoard()
    board.load(spec, trivial_plan(spec))
    board.set_recording(0, "spikes", np.arange(1))
    for var in STATE:
        board.set_recording(0, var, np.arange(1))
    res = board.run(2000)
    stamps, v = res.samples[(0, "v")]
    v, ca, t = v[:, 0], res.samples[(0, "i_ca2")][1][:, 0], stamps * DT
    spikes = res.spikes[0][0]
    assert len(spikes) >= 4
    ts = spikes * DT
    expected_ca = (alpha * np.exp(-(t[:, None] - ts) / TAU_CA) * (t[:, None] >= ts)).sum(1)
    assert_allclose(ca, expected_ca, rtol=0, atol=1e-10)
    t1, t2 = spikes[0], spikes[1]
    s = (np.arange(t1, t2) - t1) * DT
    decay = np.exp(-s / TAU_M)
    kernel = (np.exp(-s / TAU_CA) - decay) / (1.0 / TAU_M - 1.0 / TAU_CA)
    r_i = TAU_M / CM * i_off
    v_closed = V_REST + r_i * (1.0 - decay) + (v_reset - V_REST) * decay - alpha / CM * kernel
    assert_allclose(v[t1:t2], v_closed, rtol=0, atol=1e-10)
    assert np.diff(spikes)[-1] > np.diff(spikes)[0]  # adaptation
