"""Neuromodulation against NEST 3's ``stdp_dopamine_synapse`` (tests/refsim.py; CI runs these).

NEST runs the rule natively: a parrot repeats the presynaptic train, a teacher makes an
``iaf_psc_delta`` neuron fire, a second parrot sends dopamine spikes to a
``volume_transmitter``.  spinstream runs the same spike times (those NEST recorded).  Where
the two definitions agree the weights agree:

- NEST's dopamine jumps by ``1/tau_n`` per spike; sPyNNaker's by the Neuromodulation
  synapse's weight: the weight here is ``1/tau_d``;
- NEST's dopamine arrives after the volume transmitter's delay and is not delayed again at the
  synapse; sPyNNaker's is seen a synaptic delay after its spike (with the neuron's spikes): the
  volume transmitter's delay here is the STDP synapse's;
- NEST keeps integrating the weight up to the end of the run (its volume transmitter updates
  every synapse each step); sPyNNaker changes it at presynaptic spikes: NEST stops at the
  last presynaptic spike;
- NEST neither bounds the eligibility nor clips the weight only at presynaptic spikes: the
  trains keep c positive and the weight inside its bounds (b = 0, no punishment: NEST has
  none).  tests/test_neuromodulation.py checks those parts against a closed form.
"""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from spinstream.model import NeuromodulationSpec, STDPSpec
from tests import refsim
from tests.test_neuromodulation import DT, nm_spec
from tests.test_plasticity import load

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
    "V_th": -50.0, "V_m": -65.0, "I_e": 0.0, "tau_minus": tau_minus})
nest.Connect(teach, post, syn_spec={"weight": 100.0, "delay": dt})
dgen = nest.Create("spike_generator", params={"spike_times": list(da_times)})
dparrot = nest.Create("parrot_neuron")
nest.Connect(dgen, dparrot, syn_spec={"delay": dt})
vt = nest.Create("volume_transmitter")
nest.Connect(dparrot, vt, syn_spec={"delay": delay})
nest.SetDefaults("stdp_dopamine_synapse", {"volume_transmitter": vt, "tau_c": tau_c,
    "tau_n": tau_d, "A_plus": a_plus, "A_minus": a_minus, "tau_plus": tau_plus,
    "Wmin": w_min, "Wmax": w_max, "b": 0.0})
nest.Connect(parrot, post, syn_spec={"synapse_model": "stdp_dopamine_synapse",
    "weight": w0, "delay": delay})
rec_pre = nest.Create("spike_recorder")
rec_post = nest.Create("spike_recorder")
rec_da = nest.Create("spike_recorder")
nest.Connect(parrot, rec_pre)
nest.Connect(post, rec_post)
nest.Connect(dparrot, rec_da)
nest.Simulate(t_stop)
conn = nest.GetConnections(parrot, post)
save(w=np.array(conn.get("weight")), c=np.array(conn.get("c")),
     pre=np.array(rec_pre.get("events")["times"]),
     post=np.array(rec_post.get("events")["times"]),
     da=np.array(rec_da.get("events")["times"]))
"""


def stamps(times: np.ndarray) -> np.ndarray:
    return np.rint(np.asarray(times) / DT).astype(np.int64)


@pytest.mark.parametrize("seed", [11, 12])
def test_weights_match_stdp_dopamine_synapse(seed: int) -> None:
    refsim.require("nest")
    rng = np.random.default_rng(seed)
    # causal pairs (post 1-8 ms after each pre, as seen at the synapse) with weak depression
    # keep the eligibility positive; dopamine spikes in between
    pre_ms = np.round(np.cumsum(rng.uniform(15.0, 40.0, 25)) + 5.0, 1)
    d = int(rng.integers(2, 20))
    arrive_ms = np.round(pre_ms[:-1] + rng.uniform(1.0, 8.0, len(pre_ms) - 1), 1)
    da_ms = np.unique(np.round(rng.uniform(10.0, float(pre_ms[-1]) - 5.0, 15), 1))
    rule = STDPSpec(10.0, 12.0, 0.1, 0.02, 0.0, 50.0)
    nm = NeuromodulationSpec(tau_c=300.0, tau_d=80.0, w_min=0.0, w_max=100.0)
    w0 = 5.0
    inputs = {
        "dt": DT,
        "pre_times": np.round(pre_ms - DT, 1),  # the parrots repeat them one step later
        "teach_times": np.round(arrive_ms - (1 + d) * DT, 1),  # fires 1 step later, seen d
        "da_times": np.round(da_ms - DT, 1),
        "tau_plus": rule.tau_plus,
        "tau_minus": rule.tau_minus,
        "a_plus": rule.A_plus,
        "a_minus": rule.A_minus,
        "tau_c": nm.tau_c,
        "tau_d": nm.tau_d,
        "w_min": nm.w_min,
        "w_max": nm.w_max,
        "w0": w0,
        "delay": d * DT,
        "t_stop": float(pre_ms[-1]),  # NEST integrates up to here: the last pre spike
    }
    nest = refsim.run_pynn("nest", NEST_SCRIPT, **inputs)
    pre_nest, post_nest = stamps(nest["pre"]), stamps(nest["post"])
    assert_array_equal(pre_nest[:-1], stamps(pre_ms[:-1]))
    assert_array_equal(stamps(nest["da"]), stamps(da_ms))
    assert float(np.ravel(nest["c"])[0]) > 0.0
    w, board = run_ours(rule, nm, w0, pre_ms, post_nest, da_ms, d)
    assert_array_equal(board[: len(post_nest)], post_nest)
    assert len(post_nest) >= 20
    expected = float(np.ravel(nest["w"])[0])
    assert_allclose(w, expected, rtol=1e-9, atol=1e-12)
    assert abs(w - w0) > 0.1  # not vacuous


def run_ours(
    rule: STDPSpec,
    nm: NeuromodulationSpec,
    w0: float,
    pre_ms: np.ndarray,
    post_nest: np.ndarray,
    da_ms: np.ndarray,
    d: int,
) -> tuple[float, np.ndarray]:
    """Our weight after the last presynaptic spike, and the neuron's spike stamps."""
    spec = nm_spec(
        rule,
        nm,
        w0,
        list(pre_ms),
        list((post_nest - 1) * DT),  # the teacher: the neuron fires one step later
        list(da_ms),
        [],
        d,
        1.0 / nm.tau_d,  # NEST's jump per dopamine spike
    )
    board = load(spec)
    board.set_recording(2, "spikes", np.array([0]))
    res = board.run(round(float(pre_ms[-1]) / DT) + 50)
    return float(board.get_weights(0)[0]), np.asarray(res.spikes[2][0])
