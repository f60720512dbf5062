"""sPyNNaker's extra plasticity rules against NEST 3 (tests/refsim.py; CI runs these).

NEST runs the rules natively (a parrot neuron repeats the presynaptic train, a teacher makes
an ``iaf_psc_delta`` neuron fire at chosen times); spinstream runs the same presynaptic and
postsynaptic spike times (those NEST recorded) through its engine, and the final weights
must agree:

- ``Vogels2011Rule`` = ``vogels_sprekeler_synapse`` (eta = A_plus, Wmax = w_max, w_min = 0);
- ``PfisterSpikeTriplet`` + ``WeightDependenceAdditiveTriplet`` = ``stdp_triplet_synapse``
  (all to all; ``Aplus = A_plus w_max`` etc., ``tau_plus_triplet = tau_x``, the neuron's
  ``tau_minus_triplet = tau_y``);
- ``SpikeNearestPairRule`` = ``stdp_nn_symm_synapse`` (lambda = A_plus, alpha =
  A_minus / A_plus, mu = 0: additive) on trains with at most one postsynaptic spike between
  presynaptic ones, where the two definitions agree (with more, only sPyNNaker's first one
  potentiates: tests/test_plasticity_extra.py checks that against a closed form).
"""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from spinstream.model import STDPSpec
from tests import refsim
from tests.test_plasticity import DT, load, pair_spec

pytestmark = pytest.mark.reference

NEST_SCRIPT = """
import nest
sim.setup(timestep=dt, min_delay=dt, spike_precision="on_grid")
nest.set_verbosity("M_ERROR")
gen = nest.Create("spike_generator", params={"spike_times": list(pre_times)})
parrot = nest.Create("parrot_neuron")
nest.Connect(gen, parrot, syn_spec={"delay": dt})
teach = nest.Create("spike_generator", params={"spike_times": list(teach_times)})
post = nest.Create("iaf_psc_delta", params={
    "tau_m": 20.0, "C_m": 1.0, "t_ref": dt, "E_L": -65.0, "V_reset": -65.0,
    "V_th": -50.0, "V_m": -65.0, "I_e": 0.0, "tau_minus": tau_minus,
    "tau_minus_triplet": tau_y})
nest.Connect(teach, post, syn_spec={"weight": 100.0, "delay": dt})
if rule == "vogels":
    syn = {"synapse_model": "vogels_sprekeler_synapse", "tau": tau_plus, "alpha": alpha,
           "eta": a_plus, "Wmax": w_max, "weight": w0, "delay": delay}
elif rule == "triplet":
    syn = {"synapse_model": "stdp_triplet_synapse", "tau_plus": tau_plus,
           "tau_plus_triplet": tau_x, "Aplus": a_plus * w_max, "Aminus": a_minus * w_max,
           "Aplus_triplet": a3_plus * w_max, "Aminus_triplet": a3_minus * w_max,
           "Wmax": w_max, "weight": w0, "delay": delay}
else:
    syn = {"synapse_model": "stdp_nn_symm_synapse", "tau_plus": tau_plus, "lambda": a_plus,
           "alpha": a_minus / a_plus, "mu_plus": 0.0, "mu_minus": 0.0, "Wmax": w_max,
           "weight": w0, "delay": delay}
nest.Connect(parrot, post, syn_spec=syn)
rec_pre = nest.Create("spike_recorder")
rec_post = nest.Create("spike_recorder")
nest.Connect(parrot, rec_pre)
nest.Connect(post, rec_post)
nest.Simulate(t_stop)
conn = nest.GetConnections(parrot, post)
save(w=np.array(conn.get("weight")), pre=np.array(rec_pre.get("events")["times"]),
     post=np.array(rec_post.get("events")["times"]))
"""


def stamps(times: np.ndarray) -> np.ndarray:
    return np.rint(np.asarray(times) / DT).astype(np.int64)


def compare(rule: STDPSpec, name: str, pre_ms: np.ndarray, arrive_ms: np.ndarray, d: int) -> None:
    """Run NEST and spinstream on the same trains and compare the final weights."""
    refsim.require("nest")
    w0 = 0.8
    # the teacher's spike reaches the neuron one step later and it fires then; the synapse
    # sees that spike d steps later: arrive = teacher + (1 + d) steps
    teach_ms = np.round(arrive_ms - (1 + d) * DT, 1)
    inputs = {
        "dt": DT,
        "rule": name,
        "pre_times": np.round(pre_ms - DT, 1),  # the parrot repeats them one step later
        "teach_times": teach_ms,
        "tau_plus": rule.tau_plus,
        "tau_minus": rule.tau_minus,
        "a_plus": rule.A_plus,
        "a_minus": rule.A_minus,
        "alpha": rule.alpha,
        "tau_x": rule.tau_x or 1.0,
        "tau_y": rule.tau_y or 110.0,
        "a3_plus": rule.A3_plus,
        "a3_minus": rule.A3_minus,
        "w_max": rule.w_max,
        "w0": w0,
        "delay": d * DT,
        "t_stop": float(pre_ms.max() + 20.0),
    }
    nest = refsim.run_pynn("nest", NEST_SCRIPT, **inputs)
    pre_nest, post_nest = stamps(nest["pre"]), stamps(nest["post"])
    assert_array_equal(pre_nest, stamps(pre_ms))
    board = load(
        pair_spec(rule, w0, list(pre_nest * DT), list((post_nest - 1) * DT), d)  # teacher
    )
    board.set_recording(2, "spikes", np.array([0]))
    res = board.run(int(pre_nest.max()) + 100)
    assert_array_equal(res.spikes[2][0], post_nest)
    assert len(post_nest) >= 10
    got = float(board.get_weights(0)[0])
    assert_allclose(got, float(np.ravel(nest["w"])[0]), rtol=1e-9, atol=1e-12)
    assert abs(got - w0) > 0.01  # not vacuous


def test_vogels2011_matches_vogels_sprekeler_synapse() -> None:
    rng = np.random.default_rng(5)
    pre_ms = np.unique(np.round(rng.uniform(5.0, 400.0, 40), 1))
    arrive_ms = np.unique(np.round(rng.uniform(10.0, 400.0, 40), 1))
    rule = STDPSpec(20.0, 20.0, 0.02, 0.0, 0.0, 2.0, timing="vogels", alpha=0.3)
    compare(rule, "vogels", pre_ms, arrive_ms, 13)


def test_nearest_pair_matches_stdp_nn_symm_with_one_post_spike_per_interval() -> None:
    rng = np.random.default_rng(6)
    pre_ms = np.round(np.cumsum(rng.uniform(6.0, 20.0, 40)) + 5.0, 1)
    # one postsynaptic spike (as seen at the synapse) in most intervals, 1 ms from both ends
    keep = rng.random(len(pre_ms) - 1) < 0.8
    arrive_ms = np.round(
        pre_ms[:-1] + 1.0 + rng.random(len(pre_ms) - 1) * (np.diff(pre_ms) - 2.0), 1
    )[keep]
    rule = STDPSpec(16.8, 16.8, 0.05, 0.06, 0.0, 2.0, timing="nearest")
    compare(rule, "nearest", pre_ms, arrive_ms, 17)


def test_triplet_matches_stdp_triplet_synapse() -> None:
    rng = np.random.default_rng(7)
    pre_ms = np.unique(np.round(rng.uniform(5.0, 400.0, 45), 1))
    arrive_ms = np.unique(np.round(rng.uniform(10.0, 400.0, 45), 1))
    rule = STDPSpec(
        16.8,
        33.7,
        0.005,
        0.007,
        0.0,
        2.0,
        timing="triplet",
        tau_x=101.0,
        tau_y=125.0,
        A3_plus=0.0062,
        A3_minus=0.0023,
    )
    compare(rule, "triplet", pre_ms, arrive_ms, 9)
