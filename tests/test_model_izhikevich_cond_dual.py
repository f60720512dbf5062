"""Izhikevich_cond_dual (sPyNNaker's extra model), one model file: checked two ways.

1. The C engine equals the ReferenceBoard (numpy RK4 from docs/ENGINE.md) on random
   parameters and input to all three receptors, split over cores.
2. Events on ``excitatory2`` give the closed-form conductance (``tau_syn_E2``), and with
   ``tau_syn_E2 == tau_syn_E`` the same ``v``, ``u`` and spikes as Izhikevich_cond (checked
   against a fine ODE solution in test_model_izhikevich_cond) given them on ``excitatory``.
"""

from __future__ import annotations

import numpy as np
from numpy.testing import assert_allclose, assert_array_equal

from tests.engine import require_engine
from tests.reference import ReferenceBoard, network, population, projection, trivial_plan

HostBoard = require_engine()

DT = 0.1
MODEL = "Izhikevich_cond_dual"
STATE = ("v", "u", "gsyn_exc", "gsyn_exc2", "gsyn_inh")


def test_host_matches_reference_board() -> None:
    rng = np.random.default_rng(44)
    n, n_steps, n_src = 20, 1500, 9
    params = {
        "a": rng.uniform(0.02, 0.1, n),
        "b": rng.uniform(0.2, 0.25, n),
        "c": rng.uniform(-70, -50, n),
        "d": rng.uniform(0.05, 8.0, n),
        "i_offset": rng.uniform(0.0, 8.0, n),
        "tau_syn_E": rng.uniform(1.0, 10.0, n),
        "tau_syn_E2": rng.uniform(5.0, 40.0, n),
        "tau_syn_I": rng.uniform(2.0, 12.0, n),
        "e_rev_E": rng.uniform(-5.0, 5.0, n),
        "e_rev_I": rng.uniform(-80.0, -65.0, n),
    }
    times = [np.sort(rng.choice(np.arange(1400) * DT, 20, replace=False)) for _ in range(n_src)]
    count = 300
    ext = (
        rng.integers(0, n_src, count),
        rng.integers(0, n, count),
        rng.uniform(0.01, 0.15, count),  # uS
        rng.integers(1, 30, count),
        rng.integers(0, 3, count),  # excitatory, inhibitory, excitatory2
    )
    spec = network(
        DT,
        [
            population(0, "SpikeSourceArray", n_src, spike_times=times),
            population(1, MODEL, n, initial={"v": rng.uniform(-70, -60, n)}, **params),
        ],
        [projection(0, 0, 1, *ext)],
    )
    host, ref = HostBoard(), ReferenceBoard()
    host.load(spec, trivial_plan(spec, atoms_per_core=6))
    ref.load(spec, trivial_plan(spec))
    for board in (host, ref):
        board.set_recording(1, "spikes", np.arange(n))
        for var in STATE:
            board.set_recording(1, var, np.arange(n))
    h, r = host.run(n_steps), ref.run(n_steps)
    assert_array_equal(h.spikes[1][0], r.spikes[1][0])
    assert_array_equal(h.spikes[1][1], r.spikes[1][1])
    for var in STATE:
        assert_allclose(h.samples[(1, var)][1], r.samples[(1, var)][1], rtol=1e-12, atol=1e-9)
    assert len(h.spikes[1][0]) >= 50  # not a vacuous comparison
    assert h.samples[(1, "gsyn_exc2")][1].max() > 0.05  # excitatory2 was driven


def _run(model: str, receptor: int, tau_e2: float) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    extra = {"tau_syn_E2": tau_e2} if model == MODEL else {}
    times = [[5.0], [25.0], [26.0], [60.0]]
    spec = network(
        DT,
        [
            population(0, "SpikeSourceArray", 4, spike_times=times),
            population(1, model, 1, i_offset=4.0, tau_syn_E=6.0, d=6.0, **extra),
        ],
        [
            projection(
                0, 0, 1, range(4), [0] * 4, [0.08, 0.05, 0.04, 0.1], [10] * 4, [receptor] * 4
            )
        ],
    )
    board = HostBoard()
    board.load(spec, trivial_plan(spec))
    board.set_recording(1, "spikes", np.arange(1))
    names = ("v", "u", "gsyn_exc") + (("gsyn_exc2",) if model == MODEL else ())
    for var in names:
        board.set_recording(1, var, np.arange(1))
    res = board.run(1000)
    return res.spikes[1][0], {var: res.samples[(1, var)][1][:, 0] for var in names}


def test_excitatory2_conductance_and_equivalence_with_izhikevich_cond() -> None:
    spikes2, dual = _run(MODEL, 2, 15.0)
    t = np.arange(len(dual["v"])) * DT
    w = {6.0: 0.08, 26.0: 0.05, 27.0: 0.04, 61.0: 0.1}  # arrival (ms) -> weight (uS)
    expected = sum(
        np.where(t >= ta - 1e-9, wa * np.exp(-(t - ta) / 15.0), 0.0) for ta, wa in w.items()
    )
    assert_allclose(dual["gsyn_exc2"], expected, rtol=0, atol=1e-12)
    assert not dual["gsyn_exc"].any()
    assert len(spikes2) >= 2
    # tau_syn_E2 == tau_syn_E: excitatory2 is excitatory
    spikes_same, same = _run(MODEL, 2, 6.0)
    spikes_cond, cond = _run("Izhikevich_cond", 0, 6.0)
    assert_array_equal(spikes_same, spikes_cond)
    assert_allclose(same["v"], cond["v"], rtol=0, atol=1e-9)
    assert_allclose(same["u"], cond["u"], rtol=0, atol=1e-9)
    assert_allclose(same["gsyn_exc2"], cond["gsyn_exc"], rtol=0, atol=0)
    assert not np.array_equal(spikes2, spikes_cond)  # and tau_syn_E2 does matter
