"""IF_curr_exp_sEMD (sPyNNaker's extra model), one model file: checked two ways.

1. The C engine equals the ReferenceBoard (the gate in numpy, then ``expm`` of each neuron's
   linear system with that step's multiplicator) on random parameters and input to all three
   receptors, split over cores.
2. Closed forms: the facilitation alone leaves ``v`` at rest; a trigger samples the decayed
   facilitation current at its onset and gives the exponential-current PSP of amplitude
   ``scaling_factor * multiplicator * w``; once the trigger has decayed below 0.001 nA a new
   trigger samples again, and a facilitation during an active trigger changes nothing.
"""

from __future__ import annotations

import numpy as np
from numpy.testing import assert_allclose, assert_array_equal

from tests.engine import require_engine
from tests.reference import ReferenceBoard, network, population, projection, trivial_plan

HostBoard = require_engine()

DT = 0.1
MODEL = "IF_curr_exp_sEMD"
STATE = ("v", "isyn_exc", "isyn_exc2", "isyn_inh", "multiplicator", "exc2_old")


def test_host_matches_reference_board() -> None:
    rng = np.random.default_rng(77)
    n, n_steps, n_src = 12, 1200, 9
    params = {
        "v_rest": rng.uniform(-70, -60, n),
        "cm": rng.uniform(0.2, 1.0, n),
        "tau_m": rng.uniform(5.0, 20.0, n),
        "tau_refrac": rng.uniform(0.0, 3.0, n),
        "tau_syn_E": rng.uniform(5.0, 30.0, n),
        "tau_syn_E2": rng.uniform(0.5, 3.0, n),
        "tau_syn_I": rng.uniform(1.0, 12.0, n),
        "i_offset": rng.uniform(0.0, 0.3, n),
        "v_reset": rng.uniform(-75, -65, n),
        "v_thresh": rng.uniform(-55, -50, n),
        "scaling_factor": rng.uniform(5.0, 50.0, n),
    }
    times = [np.sort(rng.choice(np.arange(1100) * DT, 6, replace=False)) for _ in range(n_src)]
    count = 150
    ext = (
        rng.integers(0, n_src, count),
        rng.integers(0, n, count),
        rng.uniform(0.05, 1.0, count),
        rng.integers(1, 30, count),
        rng.integers(0, 3, count),  # excitatory, inhibitory, excitatory2
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
    host.load(spec, trivial_plan(spec, atoms_per_core=5))
    ref.load(spec, trivial_plan(spec))
    for board in (host, ref):
        board.set_recording(1, "spikes", np.arange(n))
        for var in STATE:
            board.set_recording(1, var, np.arange(n))
    h, r = host.run(n_steps), ref.run(n_steps)
    assert_array_equal(h.spikes[1][0], r.spikes[1][0])
    assert_array_equal(h.spikes[1][1], r.spikes[1][1])
    for var in STATE:
        assert_allclose(h.samples[(1, var)][1], r.samples[(1, var)][1], rtol=1e-12, atol=1e-10)
    assert len(h.spikes[1][0]) >= 10  # not a vacuous comparison
    assert (h.samples[(1, "multiplicator")][1] > 0).sum() > 100  # the gate opened


CM, TAU_M, TAU_E, TAU_E2, SCALE, V_REST = 0.5, 10.0, 20.0, 1.5, 4.0, -60.0
DELAY = 5  # steps


def _psp(s: np.ndarray, amplitude: float) -> np.ndarray:
    """v - v_rest for an exponential current of ``amplitude`` nA starting at s = 0."""
    k = (np.exp(-s / TAU_E2) - np.exp(-s / TAU_M)) / (1.0 / TAU_M - 1.0 / TAU_E2)
    return np.where(s >= 0, amplitude / CM * k, 0.0)


def test_trigger_samples_the_facilitation_closed_form() -> None:
    # (spike time in ms, receptor, weight): facilitation, trigger; a facilitation during the
    # trigger (ignored); a second trigger after the first has decayed below 0.001 nA
    events = [(4.0, 0, 0.8), (20.0, 2, 1.0), (21.0, 0, 5.0), (60.0, 2, 0.5)]
    spec = network(
        DT,
        [
            population(
                0, "SpikeSourceArray", len(events), spike_times=[[t] for t, _, _ in events]
            ),
            population(
                1,
                MODEL,
                1,
                cm=CM,
                tau_m=TAU_M,
                tau_syn_E=TAU_E,
                tau_syn_E2=TAU_E2,
                scaling_factor=SCALE,
                v_rest=V_REST,
                v_thresh=0.0,
                initial={"v": V_REST},
            ),
        ],
        [
            projection(
                0,
                0,
                1,
                range(len(events)),
                [0] * len(events),
                [w for _, _, w in events],
                [DELAY] * len(events),
                [r for _, r, _ in events],
            )
        ],
    )
    board = HostBoard()
    board.load(spec, trivial_plan(spec))
    for var in STATE:
        board.set_recording(1, var, np.arange(1))
    res = board.run(1200)
    stamps, v = res.samples[(1, "v")]
    t = stamps * DT
    mult = res.samples[(1, "multiplicator")][1][:, 0]
    arrive = [te + DELAY * DT for te, _, _ in events]  # when each current starts
    # before the first trigger: the facilitation alone does not move v
    assert_allclose(v[t < arrive[1] + 1e-9, 0], V_REST, atol=0)
    # the first trigger samples 0.8 exp(-(20 - 4)/tau_E) at its onset
    m1 = 0.8 * np.exp(-(arrive[1] - arrive[0]) / TAU_E)
    # the second samples 0.8 and 5.0 decayed to its own onset
    m2 = sum(
        w * np.exp(-(arrive[3] - a) / TAU_E)
        for a, (_, r, w) in zip(arrive, events, strict=True)
        if r == 0
    )
    on1 = (t > arrive[1] + 1e-9) & (t < arrive[1] + TAU_E2 * np.log(1.0 / 0.001) - DT)
    on2 = (t > arrive[3] + 1e-9) & (t < arrive[3] + TAU_E2 * np.log(0.5 / 0.001) - DT)
    assert on1.sum() > 50
    assert on2.sum() > 50
    assert_allclose(mult[on1], m1, rtol=1e-12)
    assert_allclose(mult[on2], m2, rtol=1e-12)
    assert not mult[(t > arrive[1] + 16.0) & (t < arrive[3] - 1e-9)].any()  # gate closed
    # while a gate is open, v is the relaxation from its value at the onset plus the PSP
    gates = ((arrive[1], SCALE * m1 * 1.0, on1), (arrive[3], SCALE * m2 * 0.5, on2))
    for onset, amplitude, window in gates:
        k = round(onset / DT)
        relax = (v[k, 0] - V_REST) * np.exp(-(t - onset) / TAU_M)
        expected = V_REST + relax + _psp(t - onset, amplitude)
        assert_allclose(v[window, 0], expected[window], rtol=0, atol=1e-9)
    assert v[:, 0].max() > V_REST + 1.0  # a visible response
