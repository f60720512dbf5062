"""The cortical microcircuit on spinstream and on NEST 3 (pyNN.nest): the same spikes.

With ``native_rng=False`` the model gives every projection its own ``NumpyRNG``, so both
simulators build the same network, and ``background="frozen"`` plays the same Poisson
background to both.  At the microcircuit's own settings (dt 0.1 ms, normal-clipped delays
clipped at one step and rounded to steps, DC compensation in ``i_offset``, multapses,
several background spikes in one step) the two must then produce the same spikes and the
same membrane potentials: any difference in the dynamics, the delays or the network
drawn shows up here as a spike that one simulator has and the other has not.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_allclose

from tests.engine import require_engine
from tests.test_pynn_reference import both

require_engine()

pytestmark = pytest.mark.reference

MODEL_DIR = str(Path(__file__).resolve().parents[1] / "examples" / "microcircuit")

SCRIPT = """
import sys
sys.path.insert(0, model_dir)
from model import POPULATIONS, build
sim.setup(timestep=dt, min_delay=dt, max_delay=100.0, spike_precision="on_grid")
net = build(sim, scale=scale, k_scale=k_scale, background="frozen", seed=seed,
            native_rng=False, frozen_duration=t_stop)
net.record_spikes()
for name in POPULATIONS:
    net.populations[name][:2].record("v")
sim.run(t_stop)
cells, times, vs = [], [], []
offset = 0
spikes = net.spikes()
for name in POPULATIONS:
    t, c = spikes[name]
    times.append(t)
    cells.append(c + offset)
    offset += net.sizes[name]
    v = net.populations[name].get_data("v").segments[0].filter(name="v")[0]
    vs.append(v.rescale("mV").magnitude)
save(times=np.concatenate(times), cells=np.concatenate(cells), v=np.hstack(vs),
     dc=np.array([net.dc[name] for name in POPULATIONS]))
"""


def test_microcircuit_matches_nest_spike_for_spike() -> None:
    dt, t_stop = 0.1, 200.0
    ours, nest = both(
        SCRIPT, model_dir=MODEL_DIR, dt=dt, t_stop=t_stop, scale=0.02, k_scale=0.02, seed=3
    )
    assert np.all(ours["dc"] > 0.0), "the DC compensation should be on"

    def spikes(out: dict[str, np.ndarray]) -> list[tuple[int, int]]:
        steps = np.rint(out["times"] / dt).astype(np.int64)
        return sorted(zip(steps.tolist(), out["cells"].tolist(), strict=True))

    s_ours, s_nest = spikes(ours), spikes(nest)
    # Beyond the first 20 ms (cells that start above threshold), the network's own activity
    late = [s for s in s_nest if s[0] * dt > 20.0]
    assert len(late) > 100, f"only {len(late)} spikes after 20 ms in NEST"
    if s_ours != s_nest:
        first = next(
            (i for i, (a, b) in enumerate(zip(s_ours, s_nest, strict=False)) if a != b),
            min(len(s_ours), len(s_nest)),
        )
        pytest.fail(
            f"{len(s_ours)} spikes here, {len(s_nest)} in NEST; first difference at index "
            f"{first}: here {s_ours[first : first + 3]}, NEST {s_nest[first : first + 3]}"
            " ((step, cell))"
        )
    # Sample 0 is skipped: pyNN.nest reports a fresh draw of the initial values there.
    assert_allclose(ours["v"][1:], nest["v"][1:], rtol=0, atol=1e-5)
