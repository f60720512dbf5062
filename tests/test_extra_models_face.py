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
    assert {"IFCurDelta", "IFCurrExpCa2Adaptive", "IF_curr_dual_exp"} <= set(out["names"])
    assert all(out["same"])
