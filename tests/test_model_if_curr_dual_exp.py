"""IF_curr_dual_exp (sPyNNaker's extra model), added as one model file: checked three ways.

1. The C engine equals the ReferenceBoard (``expm`` of each neuron's own linear system) on
   random parameters and random input to all three receptors, split over several cores.
2. A single spike on ``excitatory2`` gives the closed-form current and PSP.
3. The same network through ``spinstream.pyNN`` (receptor type ``"excitatory2"``) and NEST's
   ``iaf_psc_exp_multisynapse`` (three receptor ports): same traces, same spikes.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from tests import refsim
from tests.engine import require_engine
from tests.reference import ReferenceBoard, network, population, projection, trivial_plan

HostBoard = require_engine()

DT = 0.1
MODEL = "IF_curr_dual_exp"
STATE = ("v", "isyn_exc", "isyn_exc2", "isyn_inh")


def _spec(params: dict[str, np.ndarray], n: int, rng: np.random.Generator) -> object:
    n_src = 9
    times = [np.sort(rng.choice(np.arange(900) * DT, 12, replace=False)) for _ in range(n_src)]
    count = 400
    ext = (
        rng.integers(0, n_src, count),
        rng.integers(0, n, count),
        rng.uniform(0.05, 1.0, count),
        rng.integers(1, 30, count),
        rng.integers(0, 3, count),  # excitatory, inhibitory, excitatory2
    )
    return network(
        DT,
        [
            population(0, "SpikeSourceArray", n_src, spike_times=times),
            population(1, MODEL, n, **params),
        ],
        [projection(0, 0, 1, *ext)],
    )


def test_host_matches_reference_board() -> None:
    rng = np.random.default_rng(21)
    n, n_steps = 24, 1000
    params = {
        "v_rest": rng.uniform(-70, -60, n),
        "cm": rng.uniform(0.5, 2.0, n),
        "tau_m": rng.uniform(5.0, 30.0, n),
        "tau_refrac": rng.uniform(0.0, 5.0, n),
        "tau_syn_E": rng.uniform(0.5, 10.0, n),
        "tau_syn_E2": rng.uniform(0.5, 20.0, n),
        "tau_syn_I": rng.uniform(1.0, 12.0, n),
        "i_offset": rng.uniform(0.0, 0.8, n),
        "v_reset": rng.uniform(-75, -65, n),
        "v_thresh": rng.uniform(-58, -50, n),
    }
    spec = _spec(params, n, rng)
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
    assert len(h.spikes[1][0]) >= 20  # not a vacuous comparison
    assert np.abs(h.samples[(1, "isyn_exc2")][1]).max() > 0.5  # excitatory2 was driven


def test_excitatory2_psp_matches_closed_form() -> None:
    cm, tau_m, tau_e2, w, delay, t_spike = 0.8, 15.0, 7.0, 0.6, 3, 2.0
    spec = network(
        DT,
        [
            population(0, "SpikeSourceArray", 1, spike_times=[[t_spike]]),
            population(1, MODEL, 1, cm=cm, tau_m=tau_m, tau_syn_E2=tau_e2, v_rest=-65.0),
        ],
        [projection(0, 0, 1, [0], [0], [w], [delay], [2])],
    )
    board = HostBoard()
    board.load(spec, trivial_plan(spec))
    for var in STATE:
        board.set_recording(1, var, np.arange(1))
    res = board.run(600)
    stamps, v = res.samples[(1, "v")]
    t = stamps * DT - (t_spike + delay * DT)  # time since the current started
    after = t >= 0
    i2 = w * np.exp(-t / tau_e2)
    psp = w / cm * (np.exp(-t / tau_e2) - np.exp(-t / tau_m)) / (1 / tau_m - 1 / tau_e2)
    assert_allclose(res.samples[(1, "isyn_exc2")][1][after, 0], i2[after], atol=1e-12)
    assert_allclose(v[after, 0], -65.0 + psp[after], atol=1e-12)
    assert_allclose(v[~after, 0], -65.0, atol=0)
    for var in ("isyn_exc", "isyn_inh"):  # the other receptors saw nothing
        assert not res.samples[(1, var)][1].any()


PARAMS = {
    "cm": 0.5,
    "tau_m": 12.0,
    "tau_refrac": 2.0,
    "tau_syn_E": 1.5,
    "tau_syn_E2": 8.0,
    "tau_syn_I": 4.0,
    "v_rest": -63.0,
    "v_reset": -70.0,
    "v_thresh": -52.0,
}
I_OFFSET = [0.0, 0.65]  # a quiet neuron and a driven one (nA)
SPIKES = {
    "excitatory": [10.0, 12.0, 40.0],
    "excitatory2": [20.0, 55.0, 56.0],
    "inhibitory": [30.0, 70.0],
}
WEIGHTS = {"excitatory": 0.9, "excitatory2": 0.7, "inhibitory": -0.8}  # nA (PyNN's sign)
DELAY, T_STOP = 1.0, 150.0


def _run_spinstream() -> dict[str, np.ndarray]:
    import spinstream.pyNN as sim

    sim.setup(timestep=DT, min_delay=DT)
    try:
        cells = sim.Population(2, sim.IF_curr_dual_exp(**PARAMS), label="cells")
        cells.set(i_offset=I_OFFSET)
        for receptor, times in SPIKES.items():
            src = sim.Population(1, sim.SpikeSourceArray(spike_times=times))
            sim.Projection(
                src,
                cells,
                sim.AllToAllConnector(),
                sim.StaticSynapse(weight=WEIGHTS[receptor], delay=DELAY),
                receptor_type=receptor,
            )
        cells.record(["v", "spikes"])
        sim.run(T_STOP)
        seg = cells.get_data().segments[0]
        v = np.asarray(seg.filter(name="v")[0].magnitude)
        spikes = [np.asarray(st.rescale("ms").magnitude) for st in seg.spiketrains]
    finally:
        sim.end()
    return {"v": v, "spikes_1": spikes[1], "spikes_0": spikes[0]}


NEST_SCRIPT = """
import sys
import numpy as np
import nest

params, i_offset, spikes, weights, delay, dt, t_stop = eval(open(sys.argv[1]).read())
nest.set_verbosity("M_ERROR")
nest.ResetKernel()
nest.resolution = dt
cells = nest.Create("iaf_psc_exp_multisynapse", 2, params={
    "C_m": 1000.0 * params["cm"], "tau_m": params["tau_m"], "t_ref": params["tau_refrac"],
    "E_L": params["v_rest"], "V_reset": params["v_reset"], "V_th": params["v_thresh"],
    "tau_syn": [params["tau_syn_E"], params["tau_syn_E2"], params["tau_syn_I"]],
    "V_m": -65.0,
})
for k, cell in enumerate(cells):
    cell.I_e = 1000.0 * i_offset[k]
ports = {"excitatory": 1, "excitatory2": 2, "inhibitory": 3}
for receptor, times in spikes.items():
    gen = nest.Create("spike_generator", params={"spike_times": times})
    nest.Connect(gen, cells, syn_spec={"weight": 1000.0 * weights[receptor], "delay": delay,
                                       "receptor_type": ports[receptor]})
meter = nest.Create("multimeter", params={"record_from": ["V_m"], "interval": dt})
rec = nest.Create("spike_recorder")
nest.Connect(meter, cells)
nest.Connect(cells, rec)
nest.Simulate(t_stop)
ev = meter.events
t, s, vm = np.asarray(ev["times"]), np.asarray(ev["senders"]), np.asarray(ev["V_m"])
first, second = cells[0].global_id, cells[1].global_id
st, ss = np.asarray(rec.events["times"]), np.asarray(rec.events["senders"])
np.savez(sys.argv[2], t=t[s == first], v0=vm[s == first], v1=vm[s == second],
         s0=st[ss == first], s1=st[ss == second])
"""


@pytest.mark.reference
def test_matches_nest_iaf_psc_exp_multisynapse(tmp_path: Path) -> None:
    refsim.require("nest")
    inputs = tmp_path / "inputs.py"
    inputs.write_text(repr((PARAMS, I_OFFSET, SPIKES, WEIGHTS, DELAY, DT, T_STOP)))
    script = tmp_path / "nest_dual.py"
    script.write_text(textwrap.dedent(NEST_SCRIPT))
    out = tmp_path / "nest.npz"
    refsim.run_python([str(script), str(inputs), str(out)])
    nest = np.load(out)
    ours = _run_spinstream()
    # NEST's multimeter starts at dt; ours at 0: sample k of NEST is sample k of ours
    k = np.rint(nest["t"] / DT).astype(int)
    assert_allclose(ours["v"][k, 0], nest["v0"], rtol=0, atol=1e-9)
    assert_allclose(ours["v"][k, 1], nest["v1"], rtol=0, atol=1e-9)
    assert len(nest["s1"]) >= 3, "the driven neuron should fire in NEST"
    assert len(nest["s0"]) == len(ours["spikes_0"]) == 0
    assert_allclose(ours["spikes_1"], nest["s1"], rtol=0, atol=1e-9)
    # the quiet neuron saw every receptor: the excitatory2 PSP is there (and decays slowly)
    v0 = ours["v"][:, 0]
    assert v0[int(22.0 / DT)] > -63.0 + 0.5
