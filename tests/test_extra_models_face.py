"""``sim.extra_models`` neuron models as sPyNNaker scripts use them, in a fresh interpreter."""

from __future__ import annotations

import pathlib

import numpy as np
from numpy.testing import assert_allclose

from tests.test_spinnaker_face import result, run_script

CA2_SCRIPT = """
    import json
    import numpy as np
    import pyNN.spiNNaker as sim

    sim.setup(timestep=1.0)
    cell = sim.extra_models.IFCurrExpCa2Adaptive(
        i_offset=1.0, tau_ca2=100.0, i_alpha=0.1, tau_refrac=2.0)
    pop = sim.Population(1, cell, label="adaptive")
    pop.record(["spikes", "v", "i_ca2"])
    sim.run(500.0)
    seg = pop.get_data().segments[0]
    spikes = [float(t) for t in seg.spiketrains[0].rescale("ms").magnitude]
    ca = np.asarray(seg.filter(name="i_ca2")[0].magnitude)[:, 0]
    names = sorted(n for n in dir(sim.extra_models) if not n.startswith("_"))
    same = [
        sim.extra_models.IFCurDelta is sim.IF_curr_delta,
        sim.extra_models.IF_curr_dual_exp is sim.IF_curr_dual_exp,
    ]
    sim.end()
    print(json.dumps({"spikes": spikes, "ca": ca.tolist(), "names": names, "same": same}))
"""


def test_ca2_adaptive_script_adapts_and_records_the_calcium_current(
    tmp_path: pathlib.Path,
) -> None:
    out = result(run_script(tmp_path, CA2_SCRIPT))
    spikes = np.asarray(out["spikes"])
    assert len(spikes) >= 5
    isi = np.diff(spikes)
    assert isi[-1] > isi[0]  # spike-frequency adaptation
    t = np.arange(len(out["ca"])) * 1.0
    expected = (0.1 * np.exp(-(t[:, None] - spikes) / 100.0) * (t[:, None] >= spikes)).sum(1)
    assert_allclose(out["ca"], expected, rtol=0, atol=1e-9)
    assert {
        "IFCurDelta",
        "IFCurrDeltaCa2Adaptive",
        "IFCurrExpCa2Adaptive",
        "IF_curr_dual_exp",
        "Izhikevich_cond",
        "Izhikevich_cond_dual",
        "IF_curr_exp_sEMD",
    } <= set(out["names"])
    assert all(out["same"])


DELTA_CA2_SCRIPT = """
    import json
    import numpy as np
    import pyNN.spiNNaker as sim

    sim.setup(timestep=1.0)
    src = sim.Population(1, sim.SpikeSourceArray(spike_times=[20.0, 60.0]))
    cell = sim.extra_models.IFCurrDeltaCa2Adaptive(tau_ca2=50.0, i_alpha=0.2)
    pop = sim.Population(1, cell, label="delta")
    pop.initialize(i_ca2=0.5)
    sim.Projection(src, pop, sim.OneToOneConnector(),
                   sim.StaticSynapse(weight=3.0, delay=1.0))
    pop.record(["v", "i_ca2", "gsyn_exc"])
    sim.run(100.0)
    seg = pop.get_data().segments[0]
    out = {name: np.asarray(seg.filter(name=name)[0].magnitude)[:, 0].tolist()
           for name in ("v", "i_ca2", "gsyn_exc")}
    sim.end()
    print(json.dumps(out))
"""


def test_delta_ca2_script_jumps_v_and_decays_the_initial_calcium_current(
    tmp_path: pathlib.Path,
) -> None:
    out = result(run_script(tmp_path, DELTA_CA2_SCRIPT))
    t = np.arange(len(out["v"])) * 1.0
    assert_allclose(out["i_ca2"], 0.5 * np.exp(-t / 50.0), rtol=0, atol=1e-12)
    kernel = (np.exp(-t / 50.0) - np.exp(-t / 20.0)) / (1 / 20.0 - 1 / 50.0)
    jumps = sum(np.where(t >= a, 3.0 * np.exp(-(t - a) / 20.0), 0.0) for a in (21.0, 61.0))
    assert_allclose(out["v"], -65.0 - 0.5 * kernel + jumps, rtol=0, atol=1e-9)
    # sPyNNaker records the arriving jumps of a delta cell as gsyn_exc
    assert np.flatnonzero(out["gsyn_exc"]).tolist() == [21, 61]


IZK_COND_SCRIPT = """
    import json
    import numpy as np
    import pyNN.spiNNaker as sim

    sim.setup(timestep=0.1)
    src = sim.Population(1, sim.SpikeSourceArray(spike_times=[10.0]))
    cells = sim.Population(2, sim.extra_models.Izhikevich_cond, {
        "a": 0.02, "b": 0.2, "c": -65.0, "d": 6.0, "i_offset": [0.0, 8.0],
        "tau_syn_E": 6.0, "e_rev_E": 0.0}, label="izk")
    cells.initialize(v=-65.0, u=-13.0)
    sim.Projection(src, cells, sim.AllToAllConnector(),
                   sim.StaticSynapse(weight=0.05, delay=1.0), receptor_type="excitatory")
    cells.record(["spikes", "v", "gsyn_exc"])
    sim.run(100.0)
    seg = cells.get_data().segments[0]
    out = {
        "counts": [len(st) for st in seg.spiketrains],
        "g": np.asarray(seg.filter(name="gsyn_exc")[0].magnitude)[:, 0].tolist(),
        "v": np.asarray(seg.filter(name="v")[0].magnitude)[:, 0].tolist(),
    }
    sim.end()
    print(json.dumps(out))
"""


def test_izhikevich_cond_script_in_spynnaker_units(tmp_path: pathlib.Path) -> None:
    out = result(run_script(tmp_path, IZK_COND_SCRIPT))
    # 8 nA taken as a number drives tonic spiking; the quiet neuron sees only the PSP
    assert out["counts"][0] == 0
    assert 3 <= out["counts"][1] <= 10
    t = np.arange(len(out["g"])) * 0.1
    expected = np.where(t >= 11.0 - 1e-9, 0.05 * np.exp(-(t - 11.0) / 6.0), 0.0)
    assert_allclose(out["g"], expected, rtol=0, atol=1e-12)
    v = np.asarray(out["v"])
    assert v[int(13.0 / 0.1)] > v[int(10.0 / 0.1)] + 1.0  # the conductance pulls v up


SEMD_SCRIPT = """
    import json
    import numpy as np
    import pyNN.spiNNaker as p

    p.setup(timestep=1)
    params = {"cm": 0.25, "i_offset": 0, "tau_m": 10, "tau_refrac": 1, "tau_syn_E": 20,
              "tau_syn_I": 20, "v_reset": -85, "v_rest": -60, "v_thresh": -50,
              "scaling_factor": 100.0}
    semd = p.Population(1, p.extra_models.IF_curr_exp_sEMD, params, label="sEMD")
    fac = p.Population(1, p.SpikeSourceArray, {"spike_times": [[4]]})
    trig = p.Population(1, p.SpikeSourceArray, {"spike_times": [[20]]})
    semd.initialize(v=-60.0)
    p.Projection(fac, semd, p.OneToOneConnector(), p.StaticSynapse(weight=1, delay=1),
                 receptor_type="excitatory")
    p.Projection(trig, semd, p.OneToOneConnector(), p.StaticSynapse(weight=1, delay=1),
                 receptor_type="excitatory2")
    semd.record(["spikes", "v", "gsyn_exc", "gsyn_inh"])
    p.run(100)
    seg = semd.get_data().segments[0]
    out = {
        "spikes": [float(t) for t in seg.spiketrains[0].magnitude],
        "gsyn_exc": np.asarray(seg.filter(name="gsyn_exc")[0].magnitude)[:, 0].tolist(),
    }
    p.end()
    print(json.dumps(out))
"""


def test_semd_example_fires_only_after_the_trigger(tmp_path: pathlib.Path) -> None:
    out = result(run_script(tmp_path, SEMD_SCRIPT))
    spikes = np.asarray(out["spikes"])
    # the facilitation (arriving at 5 ms) alone does nothing; the trigger (21 ms) fires it
    assert len(spikes) >= 3
    assert spikes.min() >= 21.0
    t = np.arange(len(out["gsyn_exc"])) * 1.0
    expected = np.where(t >= 5.0, np.exp(-(t - 5.0) / 20.0), 0.0)  # gsyn_exc is isyn_exc
    assert_allclose(out["gsyn_exc"], expected, rtol=0, atol=1e-12)


def test_bad_parameters_name_population_parameter_and_value() -> None:
    import pytest
    from pyNN.errors import InvalidParameterValueError

    import spinstream.spinnaker as sim

    sim.setup(timestep=0.1)
    try:
        with pytest.raises(InvalidParameterValueError, match=r"'ad'.*'tau_ca2'.*-1\.0"):
            sim.Population(2, sim.extra_models.IFCurrExpCa2Adaptive(tau_ca2=-1.0), label="ad")
        with pytest.raises(InvalidParameterValueError, match=r"'iz'.*'tau_syn_E2'.*0\.0"):
            sim.Population(1, sim.extra_models.Izhikevich_cond_dual(tau_syn_E2=0.0), label="iz")
        semd = sim.Population(1, sim.extra_models.IF_curr_exp_sEMD(), label="semd")
        semd.record("v")
        with pytest.raises(InvalidParameterValueError, match=r"'scaling_factor'.*nan"):
            semd.set(scaling_factor=float("nan"))
        sim.run(1.0)  # the session stays usable, the recording intact
        v = semd.get_data().segments[0].filter(name="v")[0]
        assert v.shape == (11, 1)  # t = 0 to 1 ms inclusive, as PyNN records
    finally:
        sim.end()
