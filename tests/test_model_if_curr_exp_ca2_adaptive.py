"""IFCurrExpCa2Adaptive (sPyNNaker's extra model), one model file: checked two ways.

1. The C engine equals the ReferenceBoard (``expm`` of each neuron's linear system, the
   calcium current one more column) on random parameters and input, split over cores.
2. Closed forms for a DC-driven neuron: the first spike where the plain LIF charging curve
   crosses threshold, ``i_ca2`` the sum of decaying ``i_alpha`` jumps at the recorded spikes,
   ``v`` between the first two spikes the LIF response to ``i_offset - i_ca2(t)``.
"""

from __future__ import annotations

import numpy as np
from numpy.testing import assert_allclose, assert_array_equal

from tests.engine import require_engine
from tests.reference import ReferenceBoard, network, population, projection, trivial_plan

HostBoard = require_engine()

DT = 0.1
MODEL = "IFCurrExpCa2Adaptive"
STATE = ("v", "isyn_exc", "isyn_inh", "i_ca2")


def test_host_matches_reference_board() -> None:
    rng = np.random.default_rng(16)
    n, n_steps, n_src = 24, 1500, 8
    params = {
        "v_rest": rng.uniform(-70, -60, n),
        "cm": rng.uniform(0.5, 2.0, n),
        "tau_m": rng.uniform(5.0, 30.0, n),
        "tau_refrac": rng.uniform(0.0, 5.0, n),
        "tau_syn_E": rng.uniform(0.5, 10.0, n),
        "tau_syn_I": rng.uniform(1.0, 12.0, n),
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
        rng.uniform(0.05, 1.0, count),
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
    assert h.samples[(1, "i_ca2")][1].max() > 0.3  # the calcium current built up


def _dc_run(i_alpha: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    spec = network(
        DT,
        [
            population(
                0,
                MODEL,
                1,
                i_offset=I_OFF,
                tau_m=TAU_M,
                cm=CM,
                tau_refrac=0.0,
                tau_ca2=TAU_CA,
                i_alpha=i_alpha,
                v_rest=V_REST,
                v_reset=V_RESET,
                v_thresh=V_TH,
            )
        ],
    )
    board = HostBoard()
    board.load(spec, trivial_plan(spec))
    board.set_recording(0, "spikes", np.arange(1))
    for var in ("v", "i_ca2"):
        board.set_recording(0, var, np.arange(1))
    res = board.run(3000)
    stamps, v = res.samples[(0, "v")]
    return res.spikes[0][0], stamps, np.column_stack([v[:, 0], res.samples[(0, "i_ca2")][1][:, 0]])


I_OFF, TAU_M, CM, TAU_CA, ALPHA = 1.2, 20.0, 1.0, 80.0, 0.15
V_REST, V_RESET, V_TH = -65.0, -70.0, -50.0


def test_dc_driven_neuron_matches_closed_forms() -> None:
    spike_stamps, stamps, trace = _dc_run(ALPHA)
    v, ca = trace[:, 0], trace[:, 1]
    t = stamps * DT
    r_i = TAU_M / CM * I_OFF
    # before the first spike: the plain LIF charging curve from v_rest
    lif = V_REST + r_i * (1.0 - np.exp(-t / TAU_M))
    first = int(np.argmax(lif >= V_TH))
    assert spike_stamps[0] == first
    assert_allclose(v[:first], lif[:first], rtol=0, atol=1e-10)
    # the calcium current: i_alpha at each spike, decaying with tau_ca2
    ts = spike_stamps * DT
    expected_ca = (ALPHA * np.exp(-(t[:, None] - ts[None, :]) / TAU_CA) * (t[:, None] >= ts)).sum(
        1
    )
    assert_allclose(ca, expected_ca, rtol=0, atol=1e-10)
    # between the first two spikes: reset at t1, input i_offset - alpha exp(-s/tau_ca)
    t1, t2 = spike_stamps[0], spike_stamps[1]
    s = (np.arange(t1, t2) - t1) * DT
    decay = np.exp(-s / TAU_M)
    kernel = (np.exp(-s / TAU_CA) - decay) / (1.0 / TAU_M - 1.0 / TAU_CA)
    v_closed = V_REST + r_i * (1.0 - decay) + (V_RESET - V_REST) * decay - ALPHA / CM * kernel
    assert_allclose(v[t1:t2], v_closed, rtol=0, atol=1e-10)
    # adaptation: the intervals lengthen, and more than without the calcium current
    isi = np.diff(spike_stamps)
    assert isi[-1] > isi[0]
    plain, _, _ = _dc_run(0.0)
    assert np.all(np.diff(plain) == np.diff(plain)[0])  # a plain LIF fires regularly
    assert len(spike_stamps) < len(plain)
